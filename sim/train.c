#include "train.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link_options.h"
#include "rx_features.h"

/* Samples in the validation set, drawn once before training. */
#define VAL_SAMPLES 16384

/* The sample source: fresh pairs of one link from one random stream. */
typedef struct {
    ch_link link;
    ch_rng *rng;
    ch_fading *fading;
    sim_feat_layout layout;
    float feature_scale;
    unsigned spacing;
    uint8_t *bits;
    float complex *y, *h;
    float *n0;
    volatile sig_atomic_t *stop;
} pair_source;

static sim_feat_layout layout_of(const sim_train_config *cfg)
{
    if (!cfg->pilot_spacing) return SIM_FEAT_EQ;
    return cfg->fading.doppler > 0 ? SIM_FEAT_PILOT_WINDOW : SIM_FEAT_PILOT;
}

/* c = 1 / the Es/N0 at the middle (in dB) of the training range: features of order one. */
static float feature_scale(const sim_train_config *cfg)
{
    double mid = (cfg->ebn0_lo + cfg->ebn0_hi) / 2;
    unsigned k = ch_modem_bits_per_symbol(cfg->modem);
    return (float)ch_n0_from_ebn0(mid, k, sim_pilot_rate(cfg->pilot_spacing));
}

static void source_destroy(pair_source *s)
{
    ch_rng_destroy(s->rng);
    ch_fading_destroy(s->fading);
    free(s->bits);
    free(s->y);
    free(s->h);
    free(s->n0);
}

/* A source of up to max_samples samples a call, on stream (seed, stream). */
static int source_init(pair_source *s, const sim_train_config *cfg, uint64_t stream,
                       size_t max_samples)
{
    bool faded = cfg->fading.kind != CH_CHAN_AWGN;
    s->layout = layout_of(cfg);
    s->feature_scale = feature_scale(cfg);
    s->spacing = cfg->pilot_spacing;
    s->stop = cfg->stop;
    /* With pilots a sample is a data symbol: a block of N carries N-1 of them. */
    size_t symbols = s->spacing ? max_samples / (s->spacing - 1) * s->spacing : max_samples;
    s->rng = ch_rng_create(cfg->seed, stream);
    s->fading = faded ? ch_fading_create(&cfg->fading) : NULL;
    s->bits = malloc(max_samples * ch_modem_bits_per_symbol(cfg->modem));
    s->y = malloc(symbols * sizeof *s->y);
    s->h = malloc(symbols * sizeof *s->h);
    s->n0 = malloc(symbols * sizeof *s->n0);
    s->link = (ch_link){.modem = cfg->modem, .fading = s->fading, .ebn0_lo_db = cfg->ebn0_lo,
                        .ebn0_hi_db = cfg->ebn0_hi, .code_rate = sim_pilot_rate(s->spacing)};
    if (!s->rng || (faded && !s->fading) || !s->bits || !s->y || !s->h || !s->n0) return -1;
    if (s->fading) ch_fading_reset(s->fading, s->rng);
    return 0;
}

/* nn_sample_fn: n samples of features x and their bits y as 0.0/1.0 targets. */
static int draw_samples(void *user, size_t n, float *x, float *y)
{
    pair_source *s = user;
    size_t k = ch_modem_bits_per_symbol(s->link.modem);
    int status;
    if (s->stop && *s->stop) return -1; /* nn_train stops with NN_ECALLBACK */
    /* A Jakes realisation has 32 fixed frequencies and a power that differs from 1 by chance:
     * each batch gets a realisation of its own, as each simulated chunk does. */
    if (s->fading && ch_fading_get_config(s->fading)->doppler > 0)
        ch_fading_reset(s->fading, s->rng);
    if (s->spacing) {
        if (n % (s->spacing - 1) != 0) return -1;
        size_t nblocks = n / (s->spacing - 1);
        status = ch_pairs_fill_pilot(&s->link, s->rng, s->spacing, nblocks, s->bits, s->y, NULL,
                                     s->n0);
        /* Each call draws its own SNR, so its first block has no earlier pilot to look at. */
        if (status == 0)
            sim_feat_pilot(s->layout, nblocks, s->spacing, s->y, NULL, s->n0, s->feature_scale,
                           x);
    } else {
        float complex *h = s->fading ? s->h : NULL;
        status = ch_pairs_fill(&s->link, s->rng, 1, n, s->bits, s->y, h, s->n0);
        if (status == 0) sim_feat_eq(n, s->y, h, s->n0, s->feature_scale, x);
    }
    for (size_t i = 0; i < n * k; i++) y[i] = s->bits[i];
    return status;
}

static nn_net *build_net(const sim_train_config *cfg, size_t batch)
{
    size_t widths[SIM_TRAIN_MAX_HIDDEN + 1];
    nn_act acts[SIM_TRAIN_MAX_HIDDEN + 1];
    for (size_t i = 0; i < cfg->n_hidden; i++) widths[i] = cfg->hidden[i], acts[i] = NN_ACT_RELU;
    widths[cfg->n_hidden] = ch_modem_bits_per_symbol(cfg->modem);
    acts[cfg->n_hidden] = NN_ACT_IDENTITY;
    nn_net_config nc = {.n_in = sim_feat_width(layout_of(cfg)), .max_batch = batch, .seed = cfg->seed,
                        .init = NN_INIT_AUTO};
    return nn_mlp_create(&nc, cfg->n_hidden + 1, widths, acts, NN_LOSS_SIGMOID_BCE);
}

/* The link a model was made for, checked when a simulation loads it (receiver.c). */
static nn_meta *link_meta(const sim_train_config *cfg)
{
    nn_meta *meta = nn_meta_create();
    char buf[96];
    if (!meta) return NULL;
    int bad = nn_meta_set(meta, "modulation", ch_modem_name(cfg->modem));
    bad |= nn_meta_set(meta, "channel", ch_chan_name(cfg->fading.kind));
    sim_link_channel_text(&cfg->fading, buf, sizeof buf);
    bad |= nn_meta_set(meta, "channel_detail", buf);
    bad |= nn_meta_set(meta, "features", sim_feat_name(layout_of(cfg)));
    snprintf(buf, sizeof buf, "%u", cfg->pilot_spacing);
    bad |= nn_meta_set(meta, "pilot_spacing", buf);
    snprintf(buf, sizeof buf, "%.9g", feature_scale(cfg));
    bad |= nn_meta_set(meta, "feature_scale", buf);
    snprintf(buf, sizeof buf, "%g:%g", cfg->ebn0_lo, cfg->ebn0_hi);
    bad |= nn_meta_set(meta, "ebn0_db", buf);
    bad |= nn_meta_set(meta, "llr", "llr = -logit = log P(b=0|y) / P(b=1|y)");
    bad |= nn_meta_set(meta, "trained_by", "bersim " BERSIM_VERSION);
    if (bad) nn_meta_destroy(meta), meta = NULL;
    return meta;
}

static int run_training(const sim_train_config *cfg, size_t batch, nn_net *net, nn_meta *meta,
                        pair_source *src, pair_source *val)
{
    nn_optim_config oc = nn_optim_adam(cfg->lr);
    oc.schedule = (nn_schedule){.kind = NN_SCHED_COSINE, .total_steps = cfg->steps,
                                .lr_min = cfg->lr / 30};
    nn_optim *opt = nn_optim_create(nn_net_n_params(net), &oc);
    if (!opt) return -1;
    /* The learning curve's metadata: the model's own key/value pairs. */
    const char *curve_meta[2 * 16];
    size_t n_meta = nn_meta_count(meta) < 16 ? nn_meta_count(meta) : 16;
    for (size_t i = 0; i < n_meta; i++) {
        curve_meta[2 * i] = nn_meta_key(meta, i);
        curve_meta[2 * i + 1] = nn_meta_value(meta, i);
    }
    nn_train_config tc = {
        .steps = cfg->steps, .batch = batch, .source = draw_samples, .source_user = src,
        .val_every = cfg->steps / 20 ? cfg->steps / 20 : 1,
        .val_samples = VAL_SAMPLES > batch ? VAL_SAMPLES / batch * batch : batch,
        .val_source = draw_samples, .val_user = val,
        .curve_path = cfg->log, .curve_meta = curve_meta, .curve_n_meta = n_meta,
        .on_row = cfg->on_row, .on_row_user = cfg->on_row_user,
    };
    int status = nn_train(net, opt, &tc, NULL);
    nn_optim_destroy(opt);
    return status;
}

int sim_train(const sim_train_config *cfg, nn_net **net, nn_meta **meta, char *err,
              size_t err_size)
{
    /* With pilots every batch holds whole blocks: N-1 samples each. */
    size_t per_block = cfg->pilot_spacing ? cfg->pilot_spacing - 1 : 1;
    size_t batch = cfg->batch / per_block * per_block;
    if (batch == 0) {
        snprintf(err, err_size, "train: --batch %llu holds no whole pilot block of %zu data symbols",
                 (unsigned long long)cfg->batch, per_block);
        *net = NULL, *meta = NULL;
        return -1;
    }
    pair_source src = {0}, val = {0};
    *net = build_net(cfg, batch);
    *meta = link_meta(cfg);
    int status = -1;
    if (!*net || !*meta) {
        snprintf(err, err_size, "train: %s", !*net ? nn_last_error() : "out of memory");
        goto done;
    }
    size_t val_samples = VAL_SAMPLES > batch ? VAL_SAMPLES : batch;
    if (source_init(&src, cfg, 1, batch) != 0 || source_init(&val, cfg, 2, val_samples) != 0) {
        snprintf(err, err_size, "train: out of memory");
        goto done;
    }
    nn_blas_set_threads(1);
    status = run_training(cfg, batch, *net, *meta, &src, &val);
    if (status != 0 && cfg->stop && *cfg->stop) {
        snprintf(err, err_size, "train: interrupted; no model written");
        status = SIM_TRAIN_STOPPED;
    } else if (status != 0) {
        snprintf(err, err_size, "train: %s", nn_last_error());
    }
done:
    source_destroy(&src);
    source_destroy(&val);
    if (status != 0) {
        nn_net_destroy(*net);
        nn_meta_destroy(*meta);
        *net = NULL, *meta = NULL;
    }
    return status;
}
