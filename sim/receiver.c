#include "receiver.h"

#include <stdlib.h>
#include <string.h>

struct sim_receiver {
    sim_rx_kind kind;
    const ch_modem *modem;
};

struct sim_rx_worker {
    const sim_receiver *rx;
    size_t max_symbols;
    float *llr; /* max_symbols * k: soft receivers write here before deciding */
};

static const char *const rx_names[] = {
    [SIM_RX_HARD] = "hard",
    [SIM_RX_MAXLOG] = "maxlog",
    [SIM_RX_EXACT] = "exact",
};

int sim_rx_parse(const char *name, sim_rx_kind *kind)
{
    for (size_t i = 0; i < sizeof rx_names / sizeof rx_names[0]; i++)
        if (strcmp(name, rx_names[i]) == 0) {
            *kind = (sim_rx_kind)i;
            return 0;
        }
    return -1;
}

sim_receiver *sim_receiver_create(sim_rx_kind kind, const ch_modem *modem)
{
    sim_receiver *rx = malloc(sizeof *rx);
    if (!rx) return NULL;
    rx->kind = kind;
    rx->modem = modem;
    return rx;
}

void sim_receiver_destroy(sim_receiver *rx)
{
    free(rx);
}

const char *sim_receiver_name(const sim_receiver *rx)
{
    return rx_names[rx->kind];
}

bool sim_receiver_inphase_only(const sim_receiver *rx)
{
    /* The classical BPSK detectors are functions of Re(conj(h) y) alone. */
    return ch_modem_kind(rx->modem) == CH_MOD_BPSK;
}

sim_rx_worker *sim_rx_worker_create(const sim_receiver *rx, size_t max_symbols)
{
    sim_rx_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->rx = rx;
    w->max_symbols = max_symbols;
    w->llr = malloc(max_symbols * ch_modem_bits_per_symbol(rx->modem) * sizeof *w->llr);
    if (!w->llr) goto fail;
    return w;
fail:
    sim_rx_worker_destroy(w);
    return NULL;
}

void sim_rx_worker_destroy(sim_rx_worker *w)
{
    if (!w) return;
    free(w->llr);
    free(w);
}

void sim_rx_decide(sim_rx_worker *w, const sim_frame *f, uint8_t *bits, float *llr)
{
    const ch_modem *m = w->rx->modem;
    size_t nbits = f->nsym * ch_modem_bits_per_symbol(m);
    switch (w->rx->kind) {
    case SIM_RX_HARD:
        ch_modem_demap_hard(m, f->nsym, f->y, f->h, bits);
        return;
    case SIM_RX_MAXLOG:
        ch_modem_demap_maxlog(m, f->nsym, f->y, f->h, f->n0, w->llr);
        break;
    case SIM_RX_EXACT:
        ch_modem_demap_exact(m, f->nsym, f->y, f->h, f->n0, w->llr);
        break;
    }
    ch_llr_decide(nbits, w->llr, bits);
    if (llr) memcpy(llr, w->llr, nbits * sizeof *llr);
}
