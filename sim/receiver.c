#include "receiver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nn.h>

#include "rx_features.h"

struct sim_receiver {
    sim_rx_config cfg;
    char name[160];
    nn_net *net;   /* SIM_RX_NN */
    nn_meta *meta; /* its link */
    sim_feat_layout layout;
    float feature_scale; /* the model's c (rx_features.h) */
};

struct sim_rx_worker {
    const sim_receiver *rx;
    size_t max_symbols;
    float *llr;           /* max_symbols * k: soft receivers write here before deciding */
    float complex *ydata; /* pilots: the data symbols, */
    float complex *hls;   /* their least-squares gains */
    float *n0data;        /* and noise variances */
    float *features;      /* nn: max_symbols * 5 */
    nn_workspace *ws;     /* nn */
};

static const char *const rx_names[] = {
    [SIM_RX_HARD] = "hard",
    [SIM_RX_MAXLOG] = "maxlog",
    [SIM_RX_EXACT] = "exact",
    [SIM_RX_NN] = "nn",
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

/* The value of key in the model's metadata, or "(none)". */
static const char *meta_value(const nn_meta *meta, const char *key)
{
    const char *v = nn_meta_get(meta, key);
    return v ? v : "(none)";
}

/* Checks that the model was made for this link; 0, or -1 with the mismatch in err. */
static int check_model(const sim_receiver *rx, const nn_meta *meta, char *err, size_t size)
{
    const sim_rx_config *c = &rx->cfg;
    const char *path = c->model;
    const char *mod = meta_value(meta, "modulation"), *chan = meta_value(meta, "channel");
    const char *feat = meta_value(meta, "features");
    unsigned spacing = (unsigned)strtoul(meta_value(meta, "pilot_spacing"), NULL, 10);
    size_t k = ch_modem_bits_per_symbol(c->modem);
    if (strcmp(mod, ch_modem_name(c->modem)) != 0)
        snprintf(err, size, "model '%s' was trained for modulation %s, not %s", path, mod,
                 ch_modem_name(c->modem));
    else if (strcmp(chan, ch_chan_name(c->channel)) != 0)
        snprintf(err, size, "model '%s' was trained for channel %s, not %s", path, chan,
                 ch_chan_name(c->channel));
    else if (strcmp(feat, sim_feat_name(rx->layout)) != 0)
        snprintf(err, size, "model '%s' has input layout '%s', this link needs '%s'", path, feat,
                 sim_feat_name(rx->layout));
    else if (rx->layout != SIM_FEAT_EQ && spacing != c->pilot_spacing)
        snprintf(err, size, "model '%s' was trained with a pilot every %u symbols, not %u", path,
                 spacing, c->pilot_spacing);
    else if (nn_net_n_in(rx->net) != sim_feat_width(rx->layout) || nn_net_n_out(rx->net) != k)
        snprintf(err, size, "model '%s' maps %zu inputs to %zu outputs, this link needs %zu to %zu",
                 path, nn_net_n_in(rx->net), nn_net_n_out(rx->net), sim_feat_width(rx->layout),
                 k);
    else
        return 0;
    return -1;
}

static int load_model(sim_receiver *rx, char *err, size_t size)
{
    nn_meta *meta = NULL;
    rx->net = nn_model_load(rx->cfg.model, 1, &meta);
    rx->meta = meta;
    if (!rx->net) {
        snprintf(err, size, "%s", nn_last_error());
        return -1;
    }
    int status = check_model(rx, meta, err, size);
    char *end;
    rx->feature_scale = strtof(meta_value(meta, "feature_scale"), &end);
    if (status == 0 && (*end != '\0' || !(rx->feature_scale > 0))) {
        snprintf(err, size, "model '%s' has no valid feature_scale", rx->cfg.model);
        status = -1;
    }
    return status;
}

sim_receiver *sim_receiver_create(const sim_rx_config *cfg, char *err, size_t err_size)
{
    sim_receiver *rx = calloc(1, sizeof *rx);
    if (!rx) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    rx->cfg = *cfg;
    rx->layout = !cfg->pilot_spacing ? SIM_FEAT_EQ
                 : cfg->correlated   ? SIM_FEAT_PILOT_WINDOW
                                     : SIM_FEAT_PILOT;
    if (cfg->kind == SIM_RX_NN) {
        const char *base = strrchr(cfg->model, '/');
        snprintf(rx->name, sizeof rx->name, "nn (%s)", base ? base + 1 : cfg->model);
    }
    else
        snprintf(rx->name, sizeof rx->name, "%s%s", rx_names[cfg->kind],
                 cfg->pilot_spacing ? ", LS pilots" : "");
    if (cfg->kind == SIM_RX_NN && load_model(rx, err, err_size) != 0) {
        sim_receiver_destroy(rx);
        return NULL;
    }
    return rx;
}

sim_receiver *sim_receiver_classical(sim_rx_kind kind, const ch_modem *modem)
{
    char err[64];
    sim_rx_config cfg = {.kind = kind, .modem = modem, .channel = CH_CHAN_AWGN};
    return kind == SIM_RX_NN ? NULL : sim_receiver_create(&cfg, err, sizeof err);
}

void sim_receiver_destroy(sim_receiver *rx)
{
    if (!rx) return;
    nn_net_destroy(rx->net);
    nn_meta_destroy(rx->meta);
    free(rx);
}

const char *sim_receiver_name(const sim_receiver *rx)
{
    return rx->name;
}

const char *sim_receiver_model_meta(const sim_receiver *rx, const char *key)
{
    return rx->meta ? nn_meta_get(rx->meta, key) : NULL;
}

bool sim_receiver_inphase_only(const sim_receiver *rx)
{
    /* The classical coherent BPSK detectors are functions of Re(conj(h) y) alone. */
    return ch_modem_kind(rx->cfg.modem) == CH_MOD_BPSK && rx->cfg.kind != SIM_RX_NN &&
           rx->cfg.pilot_spacing == 0;
}

sim_rx_worker *sim_rx_worker_create(const sim_receiver *rx, size_t max_symbols)
{
    sim_rx_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    size_t k = ch_modem_bits_per_symbol(rx->cfg.modem);
    w->rx = rx;
    w->max_symbols = max_symbols;
    w->llr = malloc(max_symbols * k * sizeof *w->llr);
    w->ydata = malloc(max_symbols * sizeof *w->ydata);
    w->hls = malloc(max_symbols * sizeof *w->hls);
    w->n0data = malloc(max_symbols * sizeof *w->n0data);
    if (!w->llr || !w->ydata || !w->hls || !w->n0data) goto fail;
    if (rx->net) {
        w->features = malloc(max_symbols * sim_feat_width(rx->layout) * sizeof *w->features);
        /* Pieces of 256 keep a layer's activations (256 x 64 floats) in L1/L2. */
        w->ws = nn_workspace_create(rx->net, max_symbols < 256 ? max_symbols : 256);
        if (!w->features || !w->ws) goto fail;
    }
    return w;
fail:
    sim_rx_worker_destroy(w);
    return NULL;
}

void sim_rx_worker_destroy(sim_rx_worker *w)
{
    if (!w) return;
    free(w->llr);
    free(w->ydata);
    free(w->hls);
    free(w->n0data);
    free(w->features);
    nn_workspace_destroy(w->ws);
    free(w);
}

/* The data symbols of a pilot frame, each with its block's least-squares gain y_p / CH_PILOT. */
static size_t split_pilots(sim_rx_worker *w, const sim_frame *f)
{
    unsigned n = w->rx->cfg.pilot_spacing;
    size_t nd = 0;
    for (size_t b = 0; b < f->nsym / n; b++) {
        float complex h_ls = f->y[b * n] / CH_PILOT;
        for (unsigned j = 1; j < n; j++, nd++) {
            w->ydata[nd] = f->y[b * n + j];
            w->hls[nd] = h_ls;
            w->n0data[nd] = f->n0[b * n + j];
        }
    }
    return nd;
}

/* Classical receivers: coherent with the true gains, or with least-squares ones from pilots. */
static size_t decide_classical(sim_rx_worker *w, const sim_frame *f, uint8_t *bits)
{
    const ch_modem *m = w->rx->cfg.modem;
    size_t nd = f->nsym;
    const float complex *y = f->y, *h = f->h;
    const float *n0 = f->n0;
    if (w->rx->cfg.pilot_spacing) {
        nd = split_pilots(w, f);
        y = w->ydata, h = w->hls, n0 = w->n0data;
    }
    switch (w->rx->cfg.kind) {
    case SIM_RX_HARD:
        ch_modem_demap_hard(m, nd, y, h, bits);
        return 0;
    case SIM_RX_MAXLOG:
        ch_modem_demap_maxlog(m, nd, y, h, n0, w->llr);
        break;
    default:
        ch_modem_demap_exact(m, nd, y, h, n0, w->llr);
        break;
    }
    return nd;
}

/* The learned receiver: features, one batched inference, LLRs. */
static size_t decide_nn(sim_rx_worker *w, const sim_frame *f)
{
    const sim_receiver *rx = w->rx;
    unsigned n = rx->cfg.pilot_spacing;
    size_t nd = f->nsym;
    if (n) {
        nd = f->nsym / n * (n - 1);
        for (size_t b = 0; b < f->nsym / n; b++) w->n0data[b] = f->n0[b * n];
        sim_feat_pilot(rx->layout, f->nsym / n, n, f->y, f->prev_pilot, w->n0data,
                       rx->feature_scale, w->features);
    } else {
        sim_feat_eq(nd, f->y, f->h, f->n0, rx->feature_scale, w->features);
    }
    nn_net_infer(rx->net, w->ws, nd, w->features, w->llr);
    sim_feat_llr_from_logits(nd * nn_net_n_out(rx->net), w->llr, w->llr);
    return nd;
}

void sim_rx_decide(sim_rx_worker *w, const sim_frame *f, uint8_t *bits, float *llr)
{
    size_t soft = w->rx->cfg.kind == SIM_RX_NN ? decide_nn(w, f) : decide_classical(w, f, bits);
    if (soft == 0) return; /* hard decisions are already in bits */
    size_t nbits = soft * ch_modem_bits_per_symbol(w->rx->cfg.modem);
    ch_llr_decide(nbits, w->llr, bits);
    if (llr) memcpy(llr, w->llr, nbits * sizeof *llr);
}
