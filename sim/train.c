#include "train.h"

#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rx_features.h"
#include "sim_error.h"
#include "train_internal.h"

/* The sample source: fresh pairs of one link from one random stream. */
typedef struct {
    ch_link link;
    ch_rng *rng;
    ch_fading *fading;
    const ch_pilots *pilots; /* NULL: perfect CSI */
    sim_feat_layout layout;
    float feature_scale;
    uint8_t *bits;
    float complex *y, *h;
    float *n0;
    volatile sig_atomic_t *stop;
} pair_source;

/* c = 1 / the Es/N0 at the middle (in dB) of the training range: features of order one. */
static float feature_scale(const sim_train_config *cfg, const ch_modem *modem)
{
    double mid = (cfg->ebn0_lo + cfg->ebn0_hi) / 2;
    unsigned k = ch_modem_bits_per_symbol(modem);
    return (float)ch_n0_from_ebn0(mid, k, sim_link_rate(cfg->link));
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

/* A source of up to max_samples samples a call, on stream (seed, stream), of the link's modem
 * and pilot pattern (borrowed). */
static int source_init(pair_source *s, const sim_train_config *cfg, const ch_modem *modem,
                       const ch_pilots *pilots, uint64_t stream, size_t max_samples)
{
    const ch_fading_config *fading = &cfg->link->fading;
    bool faded = fading->kind != CH_CHAN_AWGN;
    s->layout = sim_link_feat_layout(cfg->link);
    s->feature_scale = feature_scale(cfg, modem);
    s->pilots = pilots;
    s->stop = cfg->stop;
    /* With pilots a sample is a data symbol: a frame carries n_data of them. */
    size_t symbols = pilots ? max_samples / ch_pilots_n_data(pilots) * ch_pilots_frame(pilots)
                            : max_samples;
    s->rng = ch_rng_create(cfg->seed, stream);
    s->fading = faded ? ch_fading_create(fading) : NULL;
    s->bits = malloc(max_samples * ch_modem_bits_per_symbol(modem));
    s->y = malloc(symbols * sizeof *s->y);
    s->h = malloc(symbols * sizeof *s->h);
    s->n0 = malloc(symbols * sizeof *s->n0);
    s->link = (ch_link){.modem = modem, .fading = s->fading, .ebn0_lo_db = cfg->ebn0_lo,
                        .ebn0_hi_db = cfg->ebn0_hi, .code_rate = sim_link_rate(cfg->link)};
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
    if (s->pilots) {
        size_t per_frame = ch_pilots_n_data(s->pilots);
        if (n % per_frame != 0) return -1;
        size_t nblocks = n / per_frame;
        status = ch_pairs_fill_pilot(&s->link, s->rng, s->pilots, nblocks, s->bits, s->y, NULL,
                                     s->n0);
        /* Each call draws its own SNR, so its first frame has no earlier pilot to look at. */
        if (status == 0)
            sim_feat_pilot(s->layout, s->pilots, nblocks, s->y, NULL, s->n0, s->feature_scale,
                           x);
    } else {
        float complex *h = s->fading ? s->h : NULL;
        status = ch_pairs_fill(&s->link, s->rng, 1, n, s->bits, s->y, h, s->n0);
        if (status == 0) sim_feat_eq(n, s->y, h, s->n0, s->feature_scale, x);
    }
    for (size_t i = 0; i < n * k; i++) y[i] = s->bits[i];
    return status;
}

static nn_net *build_net(const sim_train_config *cfg, size_t n_in, size_t n_out, size_t batch)
{
    size_t widths[SIM_TRAIN_MAX_HIDDEN + 1];
    nn_act acts[SIM_TRAIN_MAX_HIDDEN + 1];
    for (size_t i = 0; i < cfg->n_hidden; i++) widths[i] = cfg->hidden[i], acts[i] = NN_ACT_RELU;
    widths[cfg->n_hidden] = n_out;
    acts[cfg->n_hidden] = NN_ACT_IDENTITY;
    nn_net_config nc = {.n_in = n_in, .max_batch = batch, .seed = cfg->seed,
                        .init = NN_INIT_AUTO};
    return nn_mlp_create(&nc, cfg->n_hidden + 1, widths, acts, NN_LOSS_SIGMOID_BCE);
}

/* The link a model was made for (checked when a simulation loads it, sim_link_check_model),
 * and what training adds: the feature scale, the SNR range, the LLR convention. */
static nn_meta *link_meta(const sim_train_config *cfg, float scale)
{
    nn_meta *meta = nn_meta_create();
    char buf[96];
    if (!meta) return NULL;
    int bad = sim_link_model_meta(cfg->link, meta);
    snprintf(buf, sizeof buf, "%.9g", scale);
    bad |= nn_meta_set(meta, "feature_scale", buf);
    snprintf(buf, sizeof buf, "%g:%g", cfg->ebn0_lo, cfg->ebn0_hi);
    bad |= nn_meta_set(meta, "ebn0_db", buf);
    bad |= nn_meta_set(meta, "llr", "llr = -logit = log P(b=0|y) / P(b=1|y)");
    if (cfg->optimal_loss > 0) {
        snprintf(buf, sizeof buf, "%.9g", cfg->optimal_loss);
        bad |= nn_meta_set(meta, "optimal_loss", buf);
    }
    if (cfg->link->ofdm.n)
        bad |= nn_meta_set(meta, "network", cfg->ofdm_mlp ? "mlp" : "unfolded");
    bad |= nn_meta_set(meta, "trained_by", "bersim " BERSIM_VERSION);
    if (bad) nn_meta_destroy(meta), meta = NULL;
    return meta;
}

size_t sim_train_val_samples(uint64_t steps, size_t batch)
{
    uint64_t v = steps * batch / 64;
    v = v < SIM_TRAIN_VAL_SAMPLES_MIN ? SIM_TRAIN_VAL_SAMPLES_MIN : v;
    v = v > SIM_TRAIN_VAL_SAMPLES ? SIM_TRAIN_VAL_SAMPLES : v;
    v = v / batch * batch;
    return v < batch ? batch : (size_t)v;
}

static int run_training(const sim_train_config *cfg, size_t batch, nn_net *net, nn_meta *meta,
                        nn_sample_fn draw, void *src, void *val)
{
    nn_optim_config oc = nn_optim_adam(cfg->lr);
    oc.schedule = (nn_schedule){.kind = NN_SCHED_COSINE, .total_steps = cfg->steps,
                                .lr_min = cfg->lr / 30};
    nn_optim *opt = nn_optim_create(nn_net_n_params(net), &oc);
    if (!opt) return -1;
    if (cfg->resume && nn_checkpoint_restore(cfg->resume, net, opt) != NN_OK) {
        nn_optim_destroy(opt);
        return -1;
    }
    /* The learning curve's metadata: the model's own key/value pairs, all of them (a model
     * has at most NN_META_MAX_PAIRS; an OFDM decoder's has 16 today). */
    const char *curve_meta[2 * NN_META_MAX_PAIRS];
    size_t n_meta = nn_meta_count(meta);
    for (size_t i = 0; i < n_meta; i++) {
        curve_meta[2 * i] = nn_meta_key(meta, i);
        curve_meta[2 * i + 1] = nn_meta_value(meta, i);
    }
    nn_train_config tc = {
        .steps = cfg->steps, .batch = batch, .source = draw, .source_user = src,
        .val_every = cfg->steps / 20 ? cfg->steps / 20 : 1,
        .val_samples = sim_train_val_samples(cfg->steps, batch),
        .val_source = draw, .val_user = val,
        .curve_path = cfg->log, .curve_meta = curve_meta, .curve_n_meta = n_meta,
        .on_row = cfg->on_row, .on_row_user = cfg->on_row_user,
        .on_step = cfg->on_step, .on_step_user = cfg->on_step_user, .stop = cfg->stop,
        .checkpoint_path = cfg->checkpoint, .checkpoint_meta = cfg->checkpoint_meta,
        .checkpoint_every = cfg->checkpoint_every, .resume = cfg->resume,
    };
    int status = nn_train(net, opt, &tc, NULL);
    nn_optim_destroy(opt);
    return status;
}

/* What one run of training owns besides the network. */
typedef struct {
    ch_modem *modem;
    ch_pilots *pilots;
    pair_source src, val;
} training;

static void training_destroy(training *t)
{
    source_destroy(&t->src);
    source_destroy(&t->val);
    ch_pilots_destroy(t->pilots);
    ch_modem_destroy(t->modem);
}

/* The modem, pilot pattern and the two pair sources (training: stream 1, validation: 2). */
static int training_init(training *t, const sim_train_config *cfg, size_t batch)
{
    const sim_link *link = cfg->link;
    t->modem = ch_modem_create(link->mod);
    if (!t->modem) return sim_error(SIM_EINVAL, "train: %s", ch_last_error());
    if (link->pilot_spacing && !(t->pilots = ch_pilots_create_block(link->pilot_spacing)))
        return sim_error(SIM_EINVAL, "train: %s", ch_last_error());
    size_t val_samples = sim_train_val_samples(cfg->steps, batch);
    if (source_init(&t->src, cfg, t->modem, t->pilots, 1, batch) != 0 ||
        source_init(&t->val, cfg, t->modem, t->pilots, 2, val_samples) != 0)
        return sim_error(SIM_ENOMEM, "train: out of memory");
    return SIM_OK;
}

int sim_train_run(const sim_train_config *cfg, size_t n_in, size_t n_out, float scale,
                  size_t batch, nn_sample_fn draw, void *src, void *val, nn_net *net_given,
                  nn_net **net, nn_meta **meta)
{
    int status = SIM_OK;
    *net = net_given ? net_given : build_net(cfg, n_in, n_out, batch);
    *meta = link_meta(cfg, scale);
    if (!*net || !*meta)
        status = sim_error(SIM_ENOMEM, "train: %s", !*net ? nn_last_error() : "out of memory");
    if (status == SIM_OK) {
        nn_blas_set_threads(1);
        if (run_training(cfg, batch, *net, *meta, draw, src, val) != 0)
            status = !(cfg->stop && *cfg->stop)
                         ? sim_error(SIM_EINVAL, "train: %s", nn_last_error())
                     : cfg->checkpoint && nn_last_status() == NN_ECALLBACK
                         ? sim_error(SIM_EINTERRUPTED, "train: interrupted; no model written; "
                                     "checkpoint written to %s", cfg->checkpoint)
                         : sim_error(SIM_EINTERRUPTED, "train: interrupted; no model written");
    }
    if (status != SIM_OK) {
        nn_net_destroy(*net);
        nn_meta_destroy(*meta);
        *net = NULL, *meta = NULL;
    }
    return status;
}

/* A learned detector: pairs of the link's symbols and their bits. */
/* Symbols of the sample on which the optimal receiver's loss is measured: its standard error is
 * then about 0.8% of it (five seeds: 0.515 to 0.526 for 16-QAM over Rayleigh, 0:20 dB). */
#define OPTIMAL_LOSS_SYMBOLS 65536

/* The least loss a detector can reach, where a receiver that reaches it is known: with perfect
 * CSI (or over AWGN) exact log-MAP LLRs are the bits' true log posterior ratios, so their binary
 * cross-entropy — summed over a symbol's bits, averaged over symbols drawn like the training
 * pairs (stream 3) — is the learning curve's floor. 0 with pilots, where no such receiver is
 * at hand. */
static double optimal_loss(const sim_train_config *cfg, const ch_modem *modem)
{
    if (cfg->link->pilot_spacing) return 0;
    size_t n = OPTIMAL_LOSS_SYMBOLS, k = ch_modem_bits_per_symbol(modem);
    pair_source s = {0};
    float *llr = malloc(n * k * sizeof *llr);
    double loss = 0;
    if (llr && source_init(&s, cfg, modem, NULL, 3, n) == 0 &&
        ch_pairs_fill(&s.link, s.rng, 1, n, s.bits, s.y, s.fading ? s.h : NULL, s.n0) == 0) {
        ch_modem_demap_exact(modem, n, s.y, s.fading ? s.h : NULL, s.n0, llr);
        for (size_t i = 0; i < n * k; i++) {
            double x = -(double)llr[i]; /* the logit of bit 1 */
            loss += fmax(x, 0) - x * s.bits[i] + log1p(exp(-fabs(x)));
        }
        loss /= (double)n;
    }
    free(llr);
    source_destroy(&s);
    return loss;
}

static int train_detector(const sim_train_config *given, nn_net **net, nn_meta **meta)
{
    sim_train_config with_floor = *given, *cfg = &with_floor;
    if (cfg->link->mod == CH_MOD_CUSTOM)
        return sim_error(SIM_EINVAL, "train: learned receivers are for the built-in modulations");
    /* With pilots every batch holds whole frames: N-1 samples each. */
    unsigned spacing = cfg->link->pilot_spacing;
    size_t per_block = spacing ? spacing - 1 : 1;
    size_t batch = cfg->batch / per_block * per_block;
    if (batch == 0)
        return sim_error(SIM_EINVAL, "train: --batch %llu holds no whole pilot block of %zu data "
                         "symbols", (unsigned long long)cfg->batch, per_block);
    training t = {0};
    int status = training_init(&t, cfg, batch);
    if (status == SIM_OK) with_floor.optimal_loss = optimal_loss(cfg, t.modem);
    if (status == SIM_OK)
        status = sim_train_run(cfg, sim_feat_width(sim_link_feat_layout(cfg->link)),
                               ch_modem_bits_per_symbol(t.modem), t.src.feature_scale, batch,
                               draw_samples, &t.src, &t.val, NULL, net, meta);
    training_destroy(&t);
    return status;
}

int sim_train(const sim_train_config *cfg, nn_net **net, nn_meta **meta)
{
    *net = NULL, *meta = NULL;
    const sim_link *link = cfg->link;
    bool decoder = link->code.name && link->code.decoder == SIM_DEC_NN;
    /* the model is what training makes */
    sim_link checked = *link;
    if (!checked.model && (decoder || link->rx == SIM_RX_NN)) checked.model = "(being trained)";
    if (sim_link_check(&checked) != SIM_OK) return SIM_EINVAL;
    if (link->ofdm.n && !decoder) return sim_train_ofdm(cfg, net, meta);
    return decoder ? sim_train_decoder(cfg, net, meta) : train_detector(cfg, net, meta);
}
