/* End-to-end learning (e2e.h): the network transmitter - power normalisation - channel -
 * receiver - loss as one nn_net, its training loop, and the trained pair as a model file. */
#include "e2e.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_channel.h"
#include "receiver.h"
#include "sim_error.h"

/* Samples of the validation set, drawn once with their noise. */
#define VAL_SAMPLES 8192
/* Most layers: transmitter, power normalisation, channel, 8 hidden, receiver output, loss. */
#define MAX_LAYERS 13

struct sim_e2e {
    sim_e2e_mode mode;
    unsigned n, k;
    ch_chan_kind channel;
    float *codebook; /* M x n */
    nn_net *rx;
    nn_meta *meta;
};

int sim_e2e_check(const sim_e2e_config *cfg)
{
    if (cfg->k < 1 || cfg->k > SIM_E2E_MAX_K)
        return sim_error(SIM_EINVAL, "e2e: K=%u bits a message, not 1 to %d", cfg->k,
                         SIM_E2E_MAX_K);
    if (cfg->n < 1 || cfg->n > SIM_E2E_MAX_N)
        return sim_error(SIM_EINVAL, "e2e: N=%u real channel uses, not 1 to %d", cfg->n,
                         SIM_E2E_MAX_N);
    if (cfg->mode == SIM_E2E_BITS && cfg->n != 2)
        return sim_error(SIM_EINVAL, "e2e: a learned constellation has N = 2 (one complex symbol)");
    if (cfg->channel != CH_CHAN_AWGN && cfg->channel != CH_CHAN_RAYLEIGH)
        return sim_error(SIM_EINVAL, "e2e: the channel layer is awgn or rayleigh");
    if (cfg->channel == CH_CHAN_RAYLEIGH && cfg->n % 2)
        return sim_error(SIM_EINVAL, "e2e: over Rayleigh fading N must be even (pairs of reals "
                         "make the complex symbols h multiplies), not %u", cfg->n);
    if (!(cfg->ebn0_lo <= cfg->ebn0_hi) || cfg->n_hidden > 8 || cfg->batch < 1)
        return sim_error(SIM_EINVAL, "e2e: bad Eb/N0 range, hidden layers or batch");
    return SIM_OK;
}

void sim_e2e_destroy(sim_e2e *e)
{
    if (!e) return;
    free(e->codebook);
    nn_net_destroy(e->rx);
    nn_meta_destroy(e->meta);
    free(e);
}

sim_e2e_mode sim_e2e_get_mode(const sim_e2e *e) { return e->mode; }
unsigned sim_e2e_n(const sim_e2e *e) { return e->n; }
unsigned sim_e2e_k(const sim_e2e *e) { return e->k; }
ch_chan_kind sim_e2e_channel(const sim_e2e *e) { return e->channel; }
const float *sim_e2e_codebook(const sim_e2e *e) { return e->codebook; }
unsigned sim_e2e_symbols(const sim_e2e *e) { return (e->n + 1) / 2; }

const char *sim_e2e_meta(const sim_e2e *e, const char *key)
{
    return e->meta ? nn_meta_get(e->meta, key) : NULL;
}

/* ---- the network ----------------------------------------------------------------------- */

/* The layers: the transmitter (a dense layer from the one-hot message to its n reals: an
 * embedding, whose rows are the codewords), power normalisation, the channel, the receiver's
 * hidden layers and its output (M logits of a softmax, or K bit logits), the loss. *rx_first
 * is the receiver's first layer. A ReLU layer before the embedding, as O'Shea and Hoydis have,
 * trains no better here and sometimes worse: (2,2) then stalls with a point near the origin in
 * some seeds, where the embedding finds QPSK in every seed tried. */
static size_t layer_specs(const sim_e2e_config *cfg, sim_chan_layer *chan, nn_layer_spec *specs,
                          size_t *rx_first)
{
    size_t t = 0, m = (size_t)1 << cfg->k;
    specs[t++] = (nn_layer_spec){.kind = NN_LAYER_DENSE, .n_out = cfg->n, .act = NN_ACT_IDENTITY};
    specs[t++] = (nn_layer_spec){.kind = NN_LAYER_POWER_NORM};
    specs[t++] = sim_chan_layer_spec(chan);
    *rx_first = t;
    for (size_t i = 0; i < cfg->n_hidden; i++)
        specs[t++] = (nn_layer_spec){.kind = NN_LAYER_DENSE, .n_out = cfg->hidden[i],
                                     .act = NN_ACT_RELU};
    bool block = cfg->mode == SIM_E2E_BLOCK;
    specs[t++] = (nn_layer_spec){.kind = NN_LAYER_DENSE, .n_out = block ? m : cfg->k,
                                 .act = NN_ACT_IDENTITY};
    specs[t++] = (nn_layer_spec){.kind = NN_LAYER_LOSS,
                                 .loss = block ? NN_LOSS_SOFTMAX_CE : NN_LOSS_SIGMOID_BCE};
    return t;
}

/* ---- samples ------------------------------------------------------------------------------ */

/* A batch of messages: one-hot inputs, targets (one-hot or bits), and the side inputs of the
 * channel (sigma from an Eb/N0 drawn per sample uniformly in dB; h ~ CN(0, 1) per pair). */
typedef struct {
    const sim_e2e_config *cfg;
    ch_rng *rng;
    size_t side_width;
    float complex *h; /* max_batch n/2 gains */
} sampler;

static void draw_batch(sampler *s, size_t nb, float *x, float *y, float *side)
{
    const sim_e2e_config *cfg = s->cfg;
    size_t m = (size_t)1 << cfg->k, n_out = cfg->mode == SIM_E2E_BLOCK ? m : cfg->k;
    size_t pairs = cfg->n / 2;
    memset(x, 0, nb * m * sizeof *x);
    memset(y, 0, nb * n_out * sizeof *y);
    if (s->side_width > 1) ch_rng_cgauss(s->rng, nb * pairs, 1.0f, s->h);
    for (size_t i = 0; i < nb; i++) {
        uint32_t msg = (uint32_t)(ch_rng_u64(s->rng) >> (64 - cfg->k));
        x[i * m + msg] = 1;
        if (cfg->mode == SIM_E2E_BLOCK)
            y[i * m + msg] = 1;
        else
            for (unsigned b = 0; b < cfg->k; b++) y[i * cfg->k + b] = msg >> (cfg->k - 1 - b) & 1;
        /* energy 1/2 per real: n0 = n / (2 K Eb/N0), sigma^2 = n0 / 2 per real */
        double ebn0 = cfg->ebn0_lo + (cfg->ebn0_hi - cfg->ebn0_lo) * ch_rng_double(s->rng);
        double n0 = cfg->n / (2.0 * cfg->k * pow(10, ebn0 / 10));
        float *sd = side + i * s->side_width;
        sd[0] = (float)sqrt(n0 / 2);
        for (size_t p = 0; s->side_width > 1 && p < pairs; p++) {
            sd[1 + 2 * p] = crealf(s->h[i * pairs + p]);
            sd[2 + 2 * p] = cimagf(s->h[i * pairs + p]);
        }
    }
}

/* ---- training ------------------------------------------------------------------------------ */

/* Everything a training run owns. */
typedef struct {
    nn_net *net;
    nn_optim *opt;
    sim_chan_layer *chan;
    sampler samples;
    float *x, *y, *side;             /* a training batch */
    float *vx, *vy, *vside, *vnoise; /* the validation set and its noise */
    nn_train_row *rows;
    size_t n_rows, rx_first, n_layers;
} run;

static void run_free(run *r)
{
    nn_net_destroy(r->net);
    nn_optim_destroy(r->opt);
    sim_chan_layer_destroy(r->chan);
    ch_rng_destroy(r->samples.rng);
    free(r->samples.h);
    free(r->x), free(r->y), free(r->side);
    free(r->vx), free(r->vy), free(r->vside), free(r->vnoise);
    free(r->rows);
}

/* A learned constellation starts from the Gray constellation of its order (BPSK, QPSK, 8-PSK,
 * 16/64/256-QAM), point and label: the labelling, which gradients move poorly, starts good, and
 * training shapes the geometry from there (from random weights it settles 0.1 bit below Gray
 * 16-QAM at 10 dB Es/N0). Other orders start random. */
static void start_from_gray(nn_net *net, unsigned k)
{
    static const ch_mod_kind by_k[9] = {CH_MOD_CUSTOM, CH_MOD_BPSK, CH_MOD_QPSK, CH_MOD_8PSK,
                                        CH_MOD_16QAM, CH_MOD_CUSTOM, CH_MOD_64QAM,
                                        CH_MOD_CUSTOM, CH_MOD_256QAM};
    ch_modem *m = by_k[k] == CH_MOD_CUSTOM ? NULL : ch_modem_create(by_k[k]);
    if (!m) return;
    nn_layer_info tx;
    nn_net_layer_info(net, 0, &tx);
    float *w = nn_net_params(net) + tx.param_offset;
    const float complex *p = ch_modem_points(m);
    for (unsigned i = 0; i < 1u << k; i++) w[2 * i] = crealf(p[i]), w[2 * i + 1] = cimagf(p[i]);
    w[2u << k] = w[(2u << k) + 1] = 0; /* the bias */
    ch_modem_destroy(m);
}

static int run_init(run *r, const sim_e2e_config *cfg)
{
    size_t m = (size_t)1 << cfg->k, b = cfg->batch, n_out = cfg->mode == SIM_E2E_BLOCK ? m : cfg->k;
    memset(r, 0, sizeof *r);
    r->chan = sim_chan_layer_create(cfg->n, cfg->channel == CH_CHAN_RAYLEIGH, b, cfg->seed, 3);
    if (!r->chan) return sim_error(SIM_ENOMEM, "e2e: out of memory");
    nn_layer_spec specs[MAX_LAYERS];
    r->n_layers = layer_specs(cfg, r->chan, specs, &r->rx_first);
    nn_net_config nc = {.n_in = m, .max_batch = b, .seed = cfg->seed, .init = NN_INIT_AUTO};
    r->net = nn_net_create(&nc, r->n_layers, specs);
    if (!r->net) return sim_error(SIM_EINVAL, "e2e: %s", nn_last_error());
    if (cfg->mode == SIM_E2E_BITS) start_from_gray(r->net, cfg->k);
    nn_optim_config oc = nn_optim_adam(cfg->lr);
    oc.schedule = (nn_schedule){.kind = NN_SCHED_COSINE, .total_steps = cfg->steps,
                                .lr_min = cfg->lr / 30};
    r->opt = nn_optim_create(nn_net_n_params(r->net), &oc);
    size_t sw = sim_chan_layer_side_width(r->chan), v = VAL_SAMPLES;
    r->samples = (sampler){.cfg = cfg, .rng = ch_rng_create(cfg->seed, 1), .side_width = sw};
    r->samples.h = malloc((v > b ? v : b) * (cfg->n / 2 + 1) * sizeof *r->samples.h);
    r->x = malloc(b * m * sizeof *r->x), r->y = malloc(b * n_out * sizeof *r->y);
    r->side = malloc(b * sw * sizeof *r->side);
    r->vx = malloc(v * m * sizeof *r->vx), r->vy = malloc(v * n_out * sizeof *r->vy);
    r->vside = malloc(v * sw * sizeof *r->vside), r->vnoise = malloc(v * cfg->n * sizeof(float));
    /* a row every max(1, steps/20) steps, at step 0 and after the last */
    size_t every = cfg->steps / 20 ? cfg->steps / 20 : 1;
    r->rows = malloc((cfg->steps / every + 2) * sizeof *r->rows);
    if (!r->opt || !r->samples.rng || !r->samples.h || !r->x || !r->y || !r->side || !r->vx ||
        !r->vy || !r->vside || !r->vnoise || !r->rows)
        return sim_error(SIM_ENOMEM, "e2e: out of memory");
    draw_batch(&r->samples, v, r->vx, r->vy, r->vside);
    ch_rng_gauss(r->samples.rng, v * cfg->n, 1.0f, r->vnoise);
    return SIM_OK;
}

/* The validation loss: the fixed set through the training network with its fixed noise, in
 * batches. */
static double validation_loss(run *r, const sim_e2e_config *cfg)
{
    size_t m = (size_t)1 << cfg->k, b = cfg->batch, sw = r->samples.side_width;
    size_t n_out = cfg->mode == SIM_E2E_BLOCK ? m : cfg->k;
    double sum = 0;
    size_t done = 0, chan = r->rx_first - 1;
    for (; done + b <= VAL_SAMPLES; done += b) {
        double loss;
        sim_chan_layer_fix_noise(r->chan, r->vnoise + done * cfg->n);
        nn_net_set_side(r->net, chan, r->vside + done * sw);
        nn_net_forward(r->net, b, r->vx + done * m);
        nn_net_loss(r->net, r->vy + done * n_out, &loss);
        sum += loss * (double)b;
    }
    sim_chan_layer_fix_noise(r->chan, NULL);
    nn_net_set_side(r->net, chan, r->side);
    return done ? sum / (double)done : NAN;
}

static int notify_row(const sim_e2e_config *cfg, const nn_train_row *row)
{
    if (cfg->on_row && cfg->on_row(cfg->on_row_user, row) != 0)
        return sim_error(SIM_EINTERRUPTED, "e2e: stopped");
    return SIM_OK;
}

static int add_row(run *r, const sim_e2e_config *cfg, uint64_t step, double train_loss)
{
    nn_train_row row = {step, train_loss, validation_loss(r, cfg), nn_optim_lr(r->opt)};
    r->rows[r->n_rows++] = row;
    return notify_row(cfg, &row);
}

/* zero gradients -> batch -> forward -> loss -> backward (through the channel into the
 * transmitter) -> Adam step, with a row of the learning curve every steps/20; row 0's training
 * loss is the untrained pair's on the first batch (the first step's forward pass). */
static int train_loop(run *r, const sim_e2e_config *cfg)
{
    uint64_t every = cfg->steps / 20 ? cfg->steps / 20 : 1;
    nn_net_set_side(r->net, r->rx_first - 1, r->side);
    r->rows[r->n_rows++] = (nn_train_row){0, NAN, validation_loss(r, cfg), nn_optim_lr(r->opt)};
    int status = SIM_OK;
    double sum = 0;
    for (uint64_t step = 1; status == SIM_OK && step <= cfg->steps; step++) {
        if (cfg->stop && *cfg->stop)
            return sim_error(SIM_EINTERRUPTED, "train: interrupted; no model written");
        double loss;
        draw_batch(&r->samples, cfg->batch, r->x, r->y, r->side);
        nn_net_zero_grad(r->net);
        nn_net_forward(r->net, cfg->batch, r->x);
        nn_net_loss(r->net, r->y, &loss);
        if (!isfinite(loss)) return sim_error(SIM_ENUMERIC, "e2e: step %llu: loss %g",
                                              (unsigned long long)step, loss);
        if (step == 1 && (r->rows[0].train_loss = loss, notify_row(cfg, &r->rows[0])) != SIM_OK)
            return SIM_EINTERRUPTED;
        nn_net_backward(r->net);
        nn_optim_step(r->opt, nn_net_params(r->net), nn_net_grads(r->net));
        sum += loss;
        uint64_t since = (step - 1) % every + 1;
        if (step % every == 0 || step == cfg->steps) {
            status = add_row(r, cfg, step, sum / (double)since);
            sum = 0, since = 0;
        }
        if (status == SIM_OK && cfg->on_step) {
            const nn_train_row *last = &r->rows[r->n_rows - 1];
            nn_train_progress p = {
                .step = step, .steps = cfg->steps, .loss_sum = sum, .loss_count = since,
                .train_loss = since ? sum / (double)since : last->train_loss,
                .val_loss = last->val_loss, .lr = nn_optim_lr(r->opt), .rows = r->rows,
                .n_rows = r->n_rows};
            if (cfg->on_step(cfg->on_step_user, &p) != 0)
                return sim_error(SIM_EINTERRUPTED, "e2e: stopped");
        }
    }
    return status;
}

/* ---- the trained pair --------------------------------------------------------------------- */

/* y[n_out] = x[n_in] W + b for a dense layer whose parameters start at theta. */
static void dense_apply(const float *theta, size_t n_in, size_t n_out, bool relu, const float *x,
                        float *y)
{
    const float *w = theta, *b = theta + n_in * n_out;
    for (size_t j = 0; j < n_out; j++) {
        double z = b[j];
        for (size_t i = 0; i < n_in; i++) z += (double)x[i] * w[i * n_out + j];
        y[j] = relu && z < 0 ? 0.0f : (float)z;
    }
}

/* The transmitter's output for each message (one-hot input), normalised over the codebook to
 * the mean energy 1/2 per real that the power normalisation keeps over a uniform batch. */
static void extract_codebook(const run *r, const sim_e2e_config *cfg, float *codebook)
{
    size_t m = (size_t)1 << cfg->k, n = cfg->n;
    const float *theta = nn_net_params_const(r->net);
    nn_layer_info tx;
    nn_net_layer_info(r->net, 0, &tx);
    float *onehot = calloc(m, sizeof *onehot);
    double energy = 0;
    for (size_t msg = 0; onehot && msg < m; msg++) {
        float *row = codebook + msg * n;
        onehot[msg] = 1;
        dense_apply(theta + tx.param_offset, m, n, false, onehot, row);
        onehot[msg] = 0;
        for (size_t j = 0; j < n; j++) energy += (double)row[j] * row[j];
    }
    float scale = (float)sqrt((double)m * n / 2 / energy);
    for (size_t i = 0; i < m * n; i++) codebook[i] *= scale;
    free(onehot);
}

/* The receiver alone: its layers and parameters copied out of the training network. */
static nn_net *extract_receiver(const run *r)
{
    nn_layer_spec specs[MAX_LAYERS];
    nn_layer_info first;
    nn_net_layer_info(r->net, r->rx_first, &first);
    size_t count = r->n_layers - r->rx_first;
    for (size_t i = 0; i < count; i++) {
        nn_layer_info info;
        nn_net_layer_info(r->net, r->rx_first + i, &info);
        specs[i] = info.spec;
    }
    nn_net_config nc = {.n_in = first.n_in, .max_batch = 1, .seed = 1};
    nn_net *rx = nn_net_create(&nc, count, specs);
    if (rx)
        memcpy(nn_net_params(rx), nn_net_params_const(r->net) + first.param_offset,
               nn_net_n_params(rx) * sizeof(float));
    return rx;
}

/* The metadata: the pair's kind, sizes, channel, training range and the codebook as text. */
static nn_meta *pair_meta(const sim_e2e_config *cfg, const float *codebook)
{
    nn_meta *meta = nn_meta_create();
    size_t count = ((size_t)1 << cfg->k) * cfg->n;
    char *text = malloc(count * 18 + 1), buf[64];
    int bad = !meta || !text;
    if (!bad) {
        size_t at = 0;
        for (size_t i = 0; i < count; i++)
            at += (size_t)snprintf(text + at, 18, i ? " %.9g" : "%.9g", codebook[i]);
        bad |= nn_meta_set(meta, "role", "e2e");
        bad |= nn_meta_set(meta, "e2e_mode", cfg->mode == SIM_E2E_BLOCK ? "block" : "bits");
        snprintf(buf, sizeof buf, "%u,%u", cfg->n, cfg->k);
        bad |= nn_meta_set(meta, "e2e_n_k", buf);
        bad |= nn_meta_set(meta, "channel", ch_chan_name(cfg->channel));
        snprintf(buf, sizeof buf, "%g:%g", cfg->ebn0_lo, cfg->ebn0_hi);
        bad |= nn_meta_set(meta, "ebn0_db", buf);
        bad |= nn_meta_set(meta, "codebook", text);
        bad |= nn_meta_set(meta, "trained_by", "bersim " BERSIM_VERSION);
    }
    free(text);
    if (bad) nn_meta_destroy(meta), meta = NULL;
    return meta;
}

int sim_e2e_train(const sim_e2e_config *cfg, sim_e2e **out)
{
    *out = NULL;
    int status = sim_e2e_check(cfg);
    if (status != SIM_OK) return status;
    run r = {0};
    sim_e2e *e = calloc(1, sizeof *e);
    status = e ? run_init(&r, cfg) : sim_error(SIM_ENOMEM, "e2e: out of memory");
    if (status == SIM_OK) {
        nn_blas_set_threads(1);
        status = train_loop(&r, cfg);
    }
    if (status == SIM_OK && cfg->log &&
        nn_train_write_curve(cfg->log, NULL, 0, r.rows, r.n_rows) != NN_OK)
        status = sim_error(SIM_EIO, "%s", nn_last_error());
    if (status == SIM_OK) {
        *e = (sim_e2e){.mode = cfg->mode, .n = cfg->n, .k = cfg->k, .channel = cfg->channel};
        e->codebook = malloc(((size_t)1 << cfg->k) * cfg->n * sizeof *e->codebook);
        if (e->codebook) extract_codebook(&r, cfg, e->codebook);
        e->rx = extract_receiver(&r);
        e->meta = e->codebook ? pair_meta(cfg, e->codebook) : NULL;
        if (!e->codebook || !e->rx || !e->meta) status = sim_error(SIM_ENOMEM, "e2e: out of memory");
    }
    run_free(&r);
    if (status != SIM_OK) {
        sim_e2e_destroy(e);
        return status;
    }
    *out = e;
    return SIM_OK;
}

int sim_e2e_save(const sim_e2e *e, const char *path)
{
    if (nn_model_save(path, e->rx, e->meta) != NN_OK)
        return sim_error(SIM_EIO, "%s", nn_last_error());
    return SIM_OK;
}

/* The codebook from its text: exactly count finite numbers of magnitude below 100 (a codebook
 * of energy 1/2 per real has none beyond sqrt(n M / 2)). */
static int parse_codebook(const char *text, size_t count, float *codebook)
{
    const char *at = text;
    for (size_t i = 0; i < count; i++) {
        char *end;
        double v = strtod(at, &end);
        if (end == at || !isfinite(v) || fabs(v) > 100) return -1;
        codebook[i] = (float)v;
        at = end;
    }
    while (*at == ' ') at++;
    return *at ? -1 : 0;
}

/* Reads the pair's kind and sizes from the metadata and checks them against the receiver. */
static int read_pair(sim_e2e *e, const char *path)
{
    const char *role = nn_meta_get(e->meta, "role"), *mode = nn_meta_get(e->meta, "e2e_mode");
    const char *nk = nn_meta_get(e->meta, "e2e_n_k"), *chan = nn_meta_get(e->meta, "channel");
    const char *book = nn_meta_get(e->meta, "codebook");
    char tail;
    if (!role || strcmp(role, "e2e") != 0 || !mode || !nk || !chan || !book)
        return sim_error(SIM_EMODEL, "model '%s' is not an end-to-end pair (bersim train --e2e)",
                         path);
    sim_e2e_config cfg = {.mode = strcmp(mode, "bits") == 0 ? SIM_E2E_BITS : SIM_E2E_BLOCK,
                          .batch = 1};
    if (sscanf(nk, "%u,%u%c", &cfg.n, &cfg.k, &tail) != 2 || ch_chan_parse(chan, &cfg.channel) ||
        (strcmp(mode, "bits") != 0 && strcmp(mode, "block") != 0) || sim_e2e_check(&cfg))
        return sim_error(SIM_EMODEL, "model '%s': bad end-to-end sizes or channel", path);
    e->mode = cfg.mode, e->n = cfg.n, e->k = cfg.k, e->channel = cfg.channel;
    size_t m = (size_t)1 << e->k, in = e->channel == CH_CHAN_RAYLEIGH ? 2 * e->n : e->n;
    size_t out = e->mode == SIM_E2E_BLOCK ? m : e->k;
    if (nn_net_n_in(e->rx) != in || nn_net_n_out(e->rx) != out)
        return sim_error(SIM_EMODEL, "model '%s' maps %zu inputs to %zu outputs, its pair needs "
                         "%zu to %zu", path, nn_net_n_in(e->rx), nn_net_n_out(e->rx), in, out);
    e->codebook = malloc(m * e->n * sizeof *e->codebook);
    if (!e->codebook) return sim_error(SIM_ENOMEM, "out of memory");
    if (parse_codebook(book, m * e->n, e->codebook) != 0)
        return sim_error(SIM_EMODEL, "model '%s': the codebook is not %zu finite numbers", path,
                         m * e->n);
    return SIM_OK;
}

sim_e2e *sim_e2e_load(const char *path)
{
    sim_e2e *e = calloc(1, sizeof *e);
    if (!e) return sim_error(SIM_ENOMEM, "out of memory"), NULL;
    e->rx = nn_model_load(path, 1, &e->meta);
    int status = e->rx ? sim_model_check_width(e->rx, path)
                       : sim_error(SIM_EIO, "%s", nn_last_error());
    if (status == SIM_OK) status = read_pair(e, path);
    if (status != SIM_OK) {
        sim_e2e_destroy(e);
        return NULL;
    }
    return e;
}

/* ---- stages --------------------------------------------------------------------------------- */

/* A message's codeword as the chain sends it: S = ceil(N/2) complex symbols, the reals in pairs,
 * the last one's imaginary part 0 when N is odd, scaled by sqrt(2S/N) so that a message carries
 * the energy S of its symbols (Es = 1 a symbol, as the chain's n0 assumes). */
static float symbol_scale(const sim_e2e *e)
{
    return sqrtf(2.0f * (float)sim_e2e_symbols(e) / (float)e->n);
}

static uint32_t message_of(const uint8_t *bits, unsigned k)
{
    uint32_t msg = 0;
    for (unsigned b = 0; b < k; b++) msg = msg << 1 | bits[b];
    return msg;
}

static void tx_run(const sim_stage *st, void *w, ch_rng *r, sim_frame *f)
{
    (void)w, (void)r;
    const sim_e2e *e = st->state;
    unsigned s = sim_e2e_symbols(e);
    float scale = symbol_scale(e);
    for (size_t wd = 0; wd < f->nwords; wd++) {
        const float *row = e->codebook + (size_t)message_of(f->bits + wd * e->k, e->k) * e->n;
        float complex *x = f->x + wd * s;
        for (unsigned p = 0; p < s; p++) {
            float im = 2 * p + 1 < e->n ? row[2 * p + 1] : 0.0f;
            x[p] = scale * (row[2 * p] + im * I);
        }
    }
}

static const sim_stage_ops tx_ops = {"e2e transmitter", NULL, NULL, NULL, tx_run, NULL};

sim_stage *sim_e2e_transmitter(const sim_e2e *e)
{
    return sim_stage_create(&tx_ops, 0, (void *)e);
}

/* The receiver's per-thread scratch: features and outputs of a frame's messages. */
typedef struct {
    nn_workspace *ws;
    float *features, *out;
} rx_worker;

static void rx_worker_destroy(void *p)
{
    rx_worker *w = p;
    if (!w) return;
    nn_workspace_destroy(w->ws);
    free(w->features);
    free(w->out);
    free(w);
}

/* max_symbols bounds the messages of a frame. */
static void *rx_worker_create(const sim_stage *st, size_t max_symbols)
{
    const sim_e2e *e = st->state;
    rx_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    size_t words = max_symbols, m = (size_t)1 << e->k;
    w->ws = nn_workspace_create(e->rx, 256);
    w->features = malloc(words * nn_net_n_in(e->rx) * sizeof *w->features);
    w->out = malloc(words * (m > e->k ? m : e->k) * sizeof *w->out);
    if (!w->ws || !w->features || !w->out) {
        rx_worker_destroy(w);
        return NULL;
    }
    return w;
}

/* Features of message wd as in training: the received reals back at the training scale (energy
 * 1/2 per real) and, for a receiver trained with CSI, the gains of its symbols (1 over AWGN). */
static void rx_features(const sim_e2e *e, const sim_frame *f, size_t wd, float *x)
{
    unsigned s = sim_e2e_symbols(e);
    float inv = 1.0f / symbol_scale(e);
    const float complex *y = f->y + wd * s, *h = f->h ? f->h + wd * s : NULL;
    for (unsigned j = 0; j < e->n; j++) {
        float complex v = y[j / 2];
        x[j] = inv * (j % 2 ? cimagf(v) : crealf(v));
    }
    if (e->channel != CH_CHAN_RAYLEIGH) return;
    for (unsigned j = 0; j < e->n; j++) {
        float complex g = h ? h[j / 2] : 1.0f;
        x[e->n + j] = j % 2 ? cimagf(g) : crealf(g);
    }
}

static void rx_run(const sim_stage *st, void *p, ch_rng *r, sim_frame *f)
{
    (void)r;
    const sim_e2e *e = st->state;
    rx_worker *w = p;
    size_t in = nn_net_n_in(e->rx), out = nn_net_n_out(e->rx);
    for (size_t wd = 0; wd < f->nwords; wd++) rx_features(e, f, wd, w->features + wd * in);
    nn_net_infer(e->rx, w->ws, f->nwords, w->features, w->out);
    for (size_t wd = 0; wd < f->nwords; wd++) {
        const float *o = w->out + wd * out;
        uint8_t *u = f->decoded + wd * e->k;
        if (e->mode == SIM_E2E_BITS) {
            for (unsigned b = 0; b < e->k; b++) u[b] = o[b] > 0; /* logit of bit 1 */
            continue;
        }
        size_t best = 0;
        for (size_t i = 1; i < out; i++) best = o[i] > o[best] ? i : best;
        for (unsigned b = 0; b < e->k; b++) u[b] = best >> (e->k - 1 - b) & 1;
    }
    memset(f->failed, 0, f->nwords);
}

static const sim_stage_ops rx_ops = {"e2e receiver", rx_worker_create, rx_worker_destroy, NULL,
                                     rx_run, NULL};

sim_stage *sim_e2e_receiver(const sim_e2e *e)
{
    return sim_stage_create(&rx_ops, 0, (void *)e);
}

/* ---- bitwise mutual information ------------------------------------------------------------- */

/* 1 - log2(1 + e^(-s llr)) summed: what one bit's LLR tells, s = +1 for a 0 sent (llr =
 * log P(0)/P(1)). */
static double bit_information(double llr, unsigned bit)
{
    double z = bit ? llr : -llr; /* the log-odds against the bit sent */
    double softplus = z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
    return 1 - softplus / log(2.0);
}

/* The received symbols of nsym random labels of points[M] over the channel at noise n0 (fading:
 * h per symbol, returned in h), labels in lab. */
static void draw_symbols(ch_rng *r, const float complex *points, unsigned k, ch_chan_kind chan,
                         size_t nsym, float n0, uint32_t *lab, float complex *y,
                         float complex *h)
{
    ch_rng_cgauss(r, nsym, n0, y);
    if (chan == CH_CHAN_RAYLEIGH) ch_rng_cgauss(r, nsym, 1.0f, h);
    for (size_t i = 0; i < nsym; i++) {
        lab[i] = (uint32_t)(ch_rng_u64(r) >> (64 - k));
        y[i] += (chan == CH_CHAN_RAYLEIGH ? h[i] : 1.0f) * points[lab[i]];
    }
}

int sim_bmi(const sim_e2e *e, const ch_modem *modem, double esn0_db, size_t nsym, uint64_t seed,
            double *bmi)
{
    unsigned k = e ? e->k : ch_modem_bits_per_symbol(modem);
    ch_chan_kind chan = e ? e->channel : CH_CHAN_AWGN;
    size_t m = (size_t)1 << k;
    float complex *points = malloc(m * sizeof *points), *y = malloc(nsym * sizeof *y);
    float complex *h = malloc(nsym * sizeof *h);
    uint32_t *lab = malloc(nsym * sizeof *lab);
    float *llr = malloc(nsym * k * sizeof *llr), *n0v = malloc(nsym * sizeof *n0v);
    float *x = e ? malloc(nsym * nn_net_n_in(e->rx) * sizeof *x) : NULL;
    nn_workspace *ws = e ? nn_workspace_create(e->rx, 256) : NULL;
    ch_rng *r = ch_rng_create(seed, 11);
    int status = points && y && h && lab && llr && n0v && r && (!e || (x && ws))
                     ? SIM_OK
                     : sim_error(SIM_ENOMEM, "out of memory");
    float n0 = (float)pow(10, -esn0_db / 10);
    if (status == SIM_OK) {
        for (size_t i = 0; i < m; i++)
            points[i] = e ? e->codebook[2 * i] + e->codebook[2 * i + 1] * I
                          : ch_modem_points(modem)[i];
        draw_symbols(r, points, k, chan, nsym, n0, lab, y, h);
        for (size_t i = 0; i < nsym; i++) n0v[i] = n0;
        if (e) { /* the learned demapper: features as in training, llr = -logit */
            size_t in = nn_net_n_in(e->rx);
            for (size_t i = 0; i < nsym; i++) {
                float *xi = x + i * in;
                xi[0] = crealf(y[i]), xi[1] = cimagf(y[i]);
                if (in == 4) xi[2] = crealf(h[i]), xi[3] = cimagf(h[i]);
            }
            nn_net_infer(e->rx, ws, nsym, x, llr);
            for (size_t i = 0; i < nsym * k; i++) llr[i] = -llr[i];
        } else {
            ch_modem_demap_exact(modem, nsym, y, NULL, n0v, llr);
        }
        double sum = 0;
        for (size_t i = 0; i < nsym; i++)
            for (unsigned b = 0; b < k; b++)
                sum += bit_information(llr[i * k + b], lab[i] >> (k - 1 - b) & 1);
        *bmi = sum / (double)nsym;
    }
    free(points), free(y), free(h), free(lab), free(llr), free(n0v), free(x);
    nn_workspace_destroy(ws);
    ch_rng_destroy(r);
    return status;
}
