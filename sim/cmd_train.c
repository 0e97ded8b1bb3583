/* bersim train: trains a learned receiver on fresh channel pairs and saves it with its link. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nn.h>

#include "cli.h"
#include "commands.h"
#include "link_options.h"
#include "rx_features.h"

#define MAX_HIDDEN 8
/* Samples in the validation set, drawn once before training. */
#define VAL_SAMPLES 16384

typedef struct {
    sim_link_options link;
    double ebn0_lo, ebn0_hi;
    bool ebn0_given, pilots, quiet;
    const char *output, *log;
    uint64_t hidden[MAX_HIDDEN];
    size_t n_hidden;
    uint64_t steps, batch, seed;
    double lr;
} train_options;

/* The sample source: fresh pairs of one link from one random stream. */
typedef struct {
    ch_link link;
    ch_rng *rng;
    ch_fading *fading;
    sim_feat_layout layout;
    unsigned spacing;
    size_t max_symbols;
    uint8_t *bits;
    float complex *y, *h;
    float *n0;
} pair_source;

static void train_usage(void)
{
    puts("usage: bersim train --mod M --channel C --ebn0 A[:B] -o MODEL [options]\n\n"
         "Trains a neural demapper (one logit per bit, binary cross-entropy) on fresh channel\n"
         "pairs drawn at Eb/N0 uniform in dB over [A, B], and saves it with its link.\n");
    sim_link_options_help();
    puts("  --csi K           perfect (default): the network sees the equalised symbol y/h and\n"
         "                    its SNR; pilot: a pilot leads each block of --coherence N symbols\n"
         "                    and the network sees the pilot's observation beside each symbol\n"
         "  -o MODEL          the model file to write\n"
         "  --hidden LIST     hidden layer widths, ReLU (default 64,64)\n"
         "  --steps N         optimizer steps (default 4000)\n"
         "  --batch N         samples per step (default 512)\n"
         "  --lr X            Adam learning rate, cosine-decayed to 1/30 of it (default 0.003)\n"
         "  --seed S          seed of the initial weights and the pairs (default 1)\n"
         "  --log FILE        the learning curve (step, train_loss, val_loss, lr) as a table\n"
         "  --quiet           no progress on stderr");
}

static int parse_ebn0_range(train_options *o, const char *v)
{
    double f[2];
    const char *colon = strchr(v, ':');
    char first[64];
    if (!colon) {
        if (sim_cli_double("--ebn0", v, &f[0]) != 0) return -1;
        f[1] = f[0];
    } else {
        size_t len = (size_t)(colon - v);
        if (len >= sizeof first) return sim_cli_fail("--ebn0: '%s' is too long", v), -1;
        memcpy(first, v, len);
        first[len] = '\0';
        if (sim_cli_double("--ebn0", first, &f[0]) != 0 ||
            sim_cli_double("--ebn0", colon + 1, &f[1]) != 0)
            return -1;
    }
    if (f[1] < f[0]) return sim_cli_fail("--ebn0: '%s' ends below its start", v), -1;
    if (f[0] < -20 || f[1] > 60)
        return sim_cli_fail("--ebn0: '%s' leaves the range -20 to 60 dB", v), -1;
    o->ebn0_lo = f[0], o->ebn0_hi = f[1], o->ebn0_given = true;
    return 0;
}

static int parse_option(train_options *o, int argc, char **argv, int *i)
{
    const char *opt = argv[*i], *v;
    int status = sim_link_options_parse(&o->link, argc, argv, i);
    if (status <= 0) return status;
    if (strcmp(opt, "--quiet") == 0) return o->quiet = true, 0;
    if (!(v = sim_cli_value(argc, argv, i))) return -1;
    if (strcmp(opt, "--ebn0") == 0) return parse_ebn0_range(o, v);
    if (strcmp(opt, "-o") == 0) return o->output = v, 0;
    if (strcmp(opt, "--log") == 0) return o->log = v, 0;
    if (strcmp(opt, "--csi") == 0) return sim_cli_csi(v, &o->pilots);
    if (strcmp(opt, "--hidden") == 0)
        return sim_cli_list(opt, v, MAX_HIDDEN, 1, 4096, o->hidden, &o->n_hidden);
    if (strcmp(opt, "--steps") == 0) return sim_cli_u64(opt, v, 1, 1e9, &o->steps);
    if (strcmp(opt, "--batch") == 0) return sim_cli_u64(opt, v, 16, 65536, &o->batch);
    if (strcmp(opt, "--seed") == 0) return sim_cli_u64(opt, v, 0, UINT64_MAX >> 11, &o->seed);
    if (strcmp(opt, "--lr") == 0) {
        if (sim_cli_double(opt, v, &o->lr) != 0) return -1;
        if (o->lr > 0 && o->lr < 1) return 0;
        return sim_cli_fail("--lr: '%s' must be in (0, 1)", v), -1;
    }
    return sim_cli_fail("train: unknown option '%s'", opt), -1;
}

static int parse_options(train_options *o, int argc, char **argv)
{
    *o = (train_options){.hidden = {64, 64}, .n_hidden = 2, .steps = 4000, .batch = 512,
                         .seed = 1, .lr = 0.003};
    sim_link_options_init(&o->link);
    for (int i = 1; i < argc; i++)
        if (parse_option(o, argc, argv, &i) != 0) return -1;
    if (!o->ebn0_given) return sim_cli_fail("train: --ebn0 is required"), -1;
    if (!o->output) return sim_cli_fail("train: -o MODEL is required"), -1;
    if (o->link.constellation)
        return sim_cli_fail("train: learned receivers are for the built-in --mod only"), -1;
    if (sim_link_options_check(&o->link) != 0) return -1;
    return o->pilots ? sim_link_options_check_pilots(&o->link) : 0;
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
static int source_init(pair_source *s, const train_options *o, const ch_modem *modem,
                       uint64_t stream, size_t max_samples)
{
    s->layout = o->pilots ? SIM_FEAT_PILOT : SIM_FEAT_EQ;
    s->spacing = o->pilots ? o->link.fading.coherence : 0;
    /* With pilots a sample is a data symbol: a block of N carries N-1 of them. */
    s->max_symbols = o->pilots ? max_samples / (s->spacing - 1) * s->spacing : max_samples;
    size_t k = ch_modem_bits_per_symbol(modem);
    s->rng = ch_rng_create(o->seed, stream);
    s->fading = o->link.fading.kind == CH_CHAN_AWGN ? NULL : ch_fading_create(&o->link.fading);
    s->bits = malloc(max_samples * k);
    s->y = malloc(s->max_symbols * sizeof *s->y);
    s->h = malloc(s->max_symbols * sizeof *s->h);
    s->n0 = malloc(s->max_symbols * sizeof *s->n0);
    s->link = (ch_link){.modem = modem, .fading = s->fading, .ebn0_lo_db = o->ebn0_lo,
                        .ebn0_hi_db = o->ebn0_hi, .code_rate = sim_pilot_rate(s->spacing)};
    if (!s->rng || (!s->fading && o->link.fading.kind != CH_CHAN_AWGN) || !s->bits || !s->y ||
        !s->h || !s->n0)
        return -1;
    if (s->fading) ch_fading_reset(s->fading, s->rng);
    return 0;
}

/* nn_sample_fn: n samples of features x and their bits y as 0.0/1.0 targets. */
static int draw_samples(void *user, size_t n, float *x, float *y)
{
    pair_source *s = user;
    size_t k = ch_modem_bits_per_symbol(s->link.modem);
    int status;
    if (s->layout == SIM_FEAT_PILOT) {
        if (n % (s->spacing - 1) != 0) return -1;
        size_t nblocks = n / (s->spacing - 1);
        status = ch_pairs_fill_pilot(&s->link, s->rng, s->spacing, nblocks, s->bits, s->y, NULL,
                                     s->n0);
        if (status == 0) sim_feat_pilot(nblocks, s->spacing, s->y, s->n0, x);
    } else {
        float complex *h = s->fading ? s->h : NULL;
        status = ch_pairs_fill(&s->link, s->rng, 1, n, s->bits, s->y, h, s->n0);
        if (status == 0) sim_feat_eq(n, s->y, h, s->n0, x);
    }
    for (size_t i = 0; i < n * k; i++) y[i] = s->bits[i];
    return status;
}

static int print_row(void *user, const nn_train_row *row)
{
    const train_options *o = user;
    fprintf(stderr, "  step %6llu/%llu  train loss %.5f  validation loss %.5f  lr %.2e\n",
            (unsigned long long)row->step, (unsigned long long)o->steps, row->train_loss,
            row->val_loss, row->lr);
    return 0;
}

static nn_net *build_net(const train_options *o, size_t n_in, size_t k, size_t batch)
{
    size_t widths[MAX_HIDDEN + 1];
    nn_act acts[MAX_HIDDEN + 1];
    for (size_t i = 0; i < o->n_hidden; i++) widths[i] = o->hidden[i], acts[i] = NN_ACT_RELU;
    widths[o->n_hidden] = k;
    acts[o->n_hidden] = NN_ACT_IDENTITY;
    nn_net_config cfg = {.n_in = n_in, .max_batch = batch, .seed = o->seed,
                         .init = NN_INIT_AUTO};
    return nn_mlp_create(&cfg, o->n_hidden + 1, widths, acts, NN_LOSS_SIGMOID_BCE);
}

/* The link a model was made for, checked when a simulation loads it (receiver.c). */
static nn_meta *link_meta(const train_options *o, const ch_modem *modem, sim_feat_layout layout)
{
    nn_meta *meta = nn_meta_create();
    char buf[96];
    if (!meta) return NULL;
    int bad = nn_meta_set(meta, "modulation", ch_modem_name(modem));
    bad |= nn_meta_set(meta, "channel", ch_chan_name(o->link.fading.kind));
    sim_link_channel_text(&o->link.fading, buf, sizeof buf);
    bad |= nn_meta_set(meta, "channel_detail", buf);
    bad |= nn_meta_set(meta, "features", sim_feat_name(layout));
    snprintf(buf, sizeof buf, "%u", o->pilots ? o->link.fading.coherence : 0);
    bad |= nn_meta_set(meta, "pilot_spacing", buf);
    snprintf(buf, sizeof buf, "%g:%g", o->ebn0_lo, o->ebn0_hi);
    bad |= nn_meta_set(meta, "ebn0_db", buf);
    bad |= nn_meta_set(meta, "llr", "llr = -logit = log P(b=0|y) / P(b=1|y)");
    bad |= nn_meta_set(meta, "trained_by", "bersim " BERSIM_VERSION);
    if (bad) nn_meta_destroy(meta), meta = NULL;
    return meta;
}

static int train(const train_options *o, const ch_modem *modem, size_t batch, nn_net *net,
                 pair_source *src, pair_source *val)
{
    nn_optim_config oc = nn_optim_adam(o->lr);
    oc.schedule = (nn_schedule){.kind = NN_SCHED_COSINE, .total_steps = o->steps,
                                .lr_min = o->lr / 30};
    nn_optim *opt = nn_optim_create(nn_net_n_params(net), &oc);
    if (!opt) return sim_cli_fail("train: %s", nn_last_error()), 1;
    const char *meta[] = {"modulation", ch_modem_name(modem), "channel", ch_chan_name(o->link.fading.kind),
                          "features", sim_feat_name(src->layout)};
    size_t val_samples = VAL_SAMPLES / batch * batch;
    nn_train_config tc = {
        .steps = o->steps, .batch = batch, .source = draw_samples, .source_user = src,
        .val_every = o->steps / 20 ? o->steps / 20 : 1, .val_samples = val_samples,
        .val_source = draw_samples, .val_user = val, .curve_path = o->log,
        .curve_meta = meta, .curve_n_meta = 3,
        .on_row = o->quiet ? NULL : print_row, .on_row_user = (void *)o,
    };
    int status = nn_train(net, opt, &tc, NULL);
    nn_optim_destroy(opt);
    if (status != 0) return sim_cli_fail("train: %s", nn_last_error()), 1;
    return 0;
}

int sim_cmd_train(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) return train_usage(), 0;
    static train_options o;
    if (parse_options(&o, argc, argv) != 0) return SIM_EXIT_USAGE;
    sim_link link;
    if (sim_link_create(&o.link, &link) != 0) return SIM_EXIT_USAGE;
    sim_feat_layout layout = o.pilots ? SIM_FEAT_PILOT : SIM_FEAT_EQ;
    /* With pilots every batch holds whole blocks: N-1 samples each. */
    size_t per_block = o.pilots ? link.fading.coherence - 1 : 1;
    size_t batch = o.batch / per_block * per_block;
    pair_source src = {0}, val = {0};
    nn_net *net = build_net(&o, sim_feat_width(layout), ch_modem_bits_per_symbol(link.modem), batch);
    nn_meta *meta = link_meta(&o, link.modem, layout);
    int status = 1;
    int ok = source_init(&src, &o, link.modem, 1, batch) == 0 &&
             source_init(&val, &o, link.modem, 2, VAL_SAMPLES) == 0;
    if (!net || !meta || !ok) {
        sim_cli_fail("train: %s", !net ? nn_last_error() : "out of memory");
        goto done;
    }
    nn_blas_set_threads(1);
    status = train(&o, link.modem, batch, net, &src, &val);
    if (status == 0 && nn_model_save(o.output, net, meta) != 0)
        status = sim_cli_fail("train: %s", nn_last_error());
    if (status == 0 && !o.quiet) fprintf(stderr, "bersim: model written to %s\n", o.output);
done:
    source_destroy(&src);
    source_destroy(&val);
    nn_meta_destroy(meta);
    nn_net_destroy(net);
    sim_link_destroy(&link);
    return status;
}
