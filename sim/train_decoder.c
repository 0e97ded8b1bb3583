/* Training a learned decoder: codewords drawn at random through the link's own stages up to the
 * detector (sim_chain_sample), the detector's LLRs of each codeword in, its information bits as
 * the targets. */
#include <stdlib.h>

#include "chain.h"
#include "rx_features.h"
#include "sim_error.h"
#include "train_internal.h"

/* Codewords from one random stream: the chain's worker draws the frames, rng their SNRs. */
typedef struct {
    sim_chain *chain;
    sim_chain_worker *w;
    ch_rng *rng;
    double lo, hi, rate;
    unsigned k_mod, n, k;
    size_t unit_symbols, unit_words, max_words;
    bool soft;
    float scale;
    volatile sig_atomic_t *stop;
} word_source;

static void source_destroy(word_source *s)
{
    sim_chain_worker_destroy(s->w);
    sim_chain_destroy(s->chain);
    ch_rng_destroy(s->rng);
}

/* c = n0 / 4 at the middle (in dB) of the training range: a BPSK LLR is about 4 / n0, so the
 * features are of order one. */
static float llr_scale(const sim_train_config *cfg, unsigned k_mod)
{
    double mid = (cfg->ebn0_lo + cfg->ebn0_hi) / 2;
    return (float)(ch_n0_from_ebn0(mid, k_mod, sim_link_rate(cfg->link)) / 4);
}

static int source_init(word_source *s, const sim_train_config *cfg, uint64_t stream)
{
    const sim_link *link = cfg->link;
    s->chain = sim_chain_create(link, SIM_CHAIN_TO_DETECTOR);
    if (!s->chain) return SIM_EINVAL;
    s->w = sim_chain_worker_create(s->chain);
    s->rng = ch_rng_create(cfg->seed, 2 * stream + 1);
    if (!s->w || !s->rng) return sim_error(SIM_ENOMEM, "train: out of memory");
    sim_chain_worker_seed(s->w, cfg->seed, 2 * stream);
    const ch_code *code = sim_chain_code(s->chain);
    s->k_mod = ch_modem_bits_per_symbol(sim_chain_modem(s->chain));
    s->n = ch_code_n(code), s->k = ch_code_k(code);
    s->unit_symbols = sim_chain_unit_symbols(s->chain);
    /* symbols of a unit carry whole codewords: data symbols times bits per symbol over n */
    size_t unit_data = link->pilot_spacing
                           ? s->unit_symbols / link->pilot_spacing * (link->pilot_spacing - 1)
                           : s->unit_symbols;
    s->unit_words = unit_data * s->k_mod / s->n;
    s->max_words = sim_chain_max_frame(s->chain) / s->unit_symbols * s->unit_words;
    s->lo = cfg->ebn0_lo, s->hi = cfg->ebn0_hi, s->rate = sim_link_rate(link);
    s->soft = link->rx != SIM_RX_HARD;
    s->scale = llr_scale(cfg, s->k_mod);
    s->stop = cfg->stop;
    return SIM_OK;
}

/* nn_sample_fn: n codewords' scaled LLRs in x, their information bits in y; frames of up to
 * the chain's largest, each at its own Eb/N0 drawn uniformly in dB. */
static int draw_words(void *user, size_t n, float *x, float *y)
{
    word_source *s = user;
    if (s->stop && *s->stop) return -1; /* nn_train stops with NN_ECALLBACK */
    if (n % s->unit_words != 0) return -1;
    for (size_t done = 0; done < n;) {
        size_t words = n - done < s->max_words ? n - done : s->max_words;
        size_t nsym = words / s->unit_words * s->unit_symbols;
        double ebn0 = s->lo + (s->hi - s->lo) * ch_rng_double(s->rng);
        float n0 = (float)ch_n0_from_ebn0(ebn0, s->k_mod, s->rate);
        const sim_frame *f = sim_chain_sample(s->w, nsym, n0);
        size_t nbits = words * s->n;
        float *xi = x + done * s->n;
        if (s->soft) {
            sim_feat_llr_scaled(nbits, f->llr, s->scale, xi);
        } else {
            for (size_t i = 0; i < nbits; i++) xi[i] = s->scale * (f->decided[i] ? -1.0f : 1.0f);
        }
        for (size_t i = 0; i < words * s->k; i++) y[done * s->k + i] = f->bits[i];
        done += words;
    }
    return 0;
}

int sim_train_decoder(const sim_train_config *cfg, nn_net **net, nn_meta **meta)
{
    word_source src = {0}, val = {0};
    int status = source_init(&src, cfg, 1);
    if (status == SIM_OK) status = source_init(&val, cfg, 2);
    /* every batch holds whole units of codewords */
    size_t batch = status == SIM_OK ? cfg->batch / src.unit_words * src.unit_words : 0;
    if (status == SIM_OK && batch == 0)
        status = sim_error(SIM_EINVAL, "train: --batch %llu holds no whole frame of %zu "
                           "codewords", (unsigned long long)cfg->batch, src.unit_words);
    if (status == SIM_OK)
        status = sim_train_run(cfg, src.n, src.k, src.scale, batch, draw_words, &src, &val, NULL, net,
                               meta);
    source_destroy(&src);
    source_destroy(&val);
    return status;
}
