/* Training a learned OFDM receiver (after Ye, Li and Juang 2018): whole frames drawn through the
 * link's own stages (pilot grid, OFDM channel) at random Eb/N0, the received grid in, every data
 * bit of the frame out. */
#include <stdlib.h>

#include "chain.h"
#include "rx_ofdm_net.h"
#include "sim_error.h"
#include "train_internal.h"

/* Frames from one random stream: the chain's worker draws them, rng their SNRs. */
typedef struct {
    sim_chain *chain;
    sim_chain_worker *w;
    ch_rng *rng;
    sim_link link; /* the link with a classical detector: the chain only draws frames */
    double lo, hi, rate;
    unsigned k;
    size_t frame, n_bits;
    volatile sig_atomic_t *stop;
} frame_source;

static void source_destroy(frame_source *s)
{
    sim_chain_worker_destroy(s->w);
    sim_chain_destroy(s->chain);
    ch_rng_destroy(s->rng);
}

static int source_init(frame_source *s, const sim_train_config *cfg, uint64_t stream)
{
    s->link = *cfg->link;
    /* the detector's output is not used: the cheapest one, and no estimator whose set-up
     * depends on the noise level (LMMSE's would be made again for every frame's SNR) */
    s->link.rx = SIM_RX_HARD, s->link.model = NULL, s->link.ofdm.est = CH_EST_PERFECT;
    s->chain = sim_chain_create(&s->link, SIM_CHAIN_TO_DETECTOR);
    if (!s->chain) return SIM_EINVAL;
    s->w = sim_chain_worker_create(s->chain);
    s->rng = ch_rng_create(cfg->seed, 2 * stream + 1);
    if (!s->w || !s->rng) return sim_error(SIM_ENOMEM, "train: out of memory");
    sim_chain_worker_seed(s->w, cfg->seed, 2 * stream);
    s->k = sim_chain_bits_per_symbol(s->chain);
    s->frame = sim_chain_unit_symbols(s->chain);
    const sim_ofdm *o = &s->link.ofdm;
    s->n_bits = ((size_t)o->symbols * o->n + o->n - o->pilots) * s->k;
    s->lo = cfg->ebn0_lo, s->hi = cfg->ebn0_hi, s->rate = sim_link_rate(&s->link);
    s->stop = cfg->stop;
    return SIM_OK;
}

/* nn_sample_fn: n frames, each at its own Eb/N0 drawn uniformly in dB: the received grid
 * (Re, Im of every position) in x, the frame's data bits in y. */
static int draw_frames(void *user, size_t n, float *x, float *y)
{
    frame_source *s = user;
    if (s->stop && *s->stop) return -1; /* nn_train stops with NN_ECALLBACK */
    for (size_t i = 0; i < n; i++) {
        double ebn0 = s->lo + (s->hi - s->lo) * ch_rng_double(s->rng);
        float n0 = (float)ch_n0_from_ebn0(ebn0, s->k, s->rate);
        const sim_frame *f = sim_chain_sample(s->w, s->frame, n0);
        const float *yr = (const float *)f->y;
        float *xi = x + i * 2 * s->frame;
        for (size_t j = 0; j < 2 * s->frame; j++) xi[j] = yr[j];
        for (size_t j = 0; j < s->n_bits; j++) y[i * s->n_bits + j] = f->bits[j];
    }
    return 0;
}

int sim_train_ofdm(const sim_train_config *cfg, nn_net **net, nn_meta **meta)
{
    if (cfg->link->mod == CH_MOD_CUSTOM)
        return sim_error(SIM_EINVAL, "train: learned receivers are for the built-in modulations");
    if (cfg->link->code.name)
        return sim_error(SIM_EINVAL, "train: the learned OFDM receiver is for uncoded links");
    frame_source src = {0}, val = {0};
    int status = source_init(&src, cfg, 1);
    if (status == SIM_OK) status = source_init(&val, cfg, 2);
    nn_net *given = NULL;
    if (status == SIM_OK && !cfg->ofdm_mlp) {
        given = sim_ofdm_net_create(cfg->link, cfg->n_hidden ? cfg->hidden[0] : 0, cfg->batch,
                                    cfg->seed);
        if (!given) status = SIM_EINVAL;
    }
    if (status == SIM_OK)
        status = sim_train_run(cfg, 2 * src.frame, src.n_bits, 1.0f, cfg->batch, draw_frames,
                               &src, &val, given, net, meta);
    source_destroy(&src);
    source_destroy(&val);
    return status;
}
