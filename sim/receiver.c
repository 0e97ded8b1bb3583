#include "receiver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nn.h>

#include "rx_declip.h"
#include "rx_features.h"
#include "sim_error.h"

typedef struct {
    sim_rx_kind kind;
    const ch_modem *modem;
    const ch_pilots *pilots; /* NULL: perfect CSI */
    char name[160];
    nn_net *net;   /* SIM_RX_NN */
    nn_meta *meta; /* its link */
    sim_feat_layout layout;
    float feature_scale; /* the model's c (rx_features.h) */
    sim_declip *declip;  /* the learned OFDM receiver on a clipped link; else NULL */
    unsigned declip_passes;
} detector;

/* What a learned detector needs per thread. */
typedef struct {
    float *features;      /* max_symbols * width */
    float *n0_frame;      /* pilots: the noise variance of each frame */
    nn_workspace *ws;
    float complex last_pilot; /* pilots: the last pilot seen in this chunk, */
    bool has_last_pilot;      /* if a frame of it has run */
    sim_declip_worker *declip;
    float complex *declipped; /* [max_symbols] */
    float *residual, *best;   /* [frames] the last pass's residuals, the best so far */
    uint8_t *kept_bits;       /* [frames bits] the decisions of the best pass per frame */
    float *kept_llr;          /* and their LLRs */
} nn_worker;

static void detector_destroy(sim_stage *st)
{
    detector *d = st->state;
    if (!d) return;
    nn_net_destroy(d->net);
    nn_meta_destroy(d->meta);
    sim_declip_destroy(d->declip);
    free(d);
}

/* ---- classical ------------------------------------------------------------------------------ */

static void classical_run(const sim_stage *st, void *w, ch_rng *r, sim_frame *f)
{
    (void)w, (void)r;
    const detector *d = st->state;
    size_t nd = f->ndata;
    if (d->kind == SIM_RX_HARD) {
        ch_modem_demap_hard(d->modem, nd, f->y_data, f->h_data, f->decided);
        return;
    }
    /* the decisions in the demapper's pass, from the LLRs it computes */
    ch_modem_demap_soft(d->modem, d->kind != SIM_RX_MAXLOG, nd, f->y_data, f->h_data,
                        f->n0_data, f->llr_read ? f->llr : NULL, f->decided);
}

static const sim_stage_ops classical_ops = {"coherent demapper", NULL, NULL, NULL, classical_run,
                                            detector_destroy};

/* ---- learned -------------------------------------------------------------------------------- */

static void nn_worker_destroy(void *p)
{
    nn_worker *w = p;
    if (!w) return;
    free(w->features);
    free(w->n0_frame);
    nn_workspace_destroy(w->ws);
    sim_declip_worker_destroy(w->declip);
    free(w->declipped);
    free(w->residual);
    free(w->best);
    free(w->kept_bits);
    free(w->kept_llr);
    free(w);
}

static void *nn_worker_create(const sim_stage *st, size_t max_symbols)
{
    const detector *d = st->state;
    nn_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->features = malloc(max_symbols * sim_feat_width(d->layout) * sizeof *w->features);
    w->n0_frame = malloc(max_symbols * sizeof *w->n0_frame);
    /* Pieces of 256 keep a layer's activations (256 x 64 floats) in L1/L2. */
    w->ws = nn_workspace_create(d->net, max_symbols < 256 ? max_symbols : 256);
    if (!w->features || !w->n0_frame || !w->ws) {
        nn_worker_destroy(w);
        return NULL;
    }
    return w;
}

static void nn_reset(const sim_stage *st, void *p, ch_rng *r)
{
    (void)st, (void)r;
    nn_worker *w = p;
    w->has_last_pilot = false; /* a new fading realisation */
}

/* The features of the frame's data symbols: per symbol with perfect CSI, with the frames' pilots
 * (and the one before them in this chunk) otherwise. */
static void nn_features(const detector *d, nn_worker *w, const sim_frame *f)
{
    if (!d->pilots) {
        sim_feat_eq(f->ndata, f->y_data, f->h_data, f->n0_data, d->feature_scale, w->features);
        return;
    }
    size_t frame = ch_pilots_frame(d->pilots), nframes = f->nsym / frame;
    uint32_t pilot = ch_pilots_pilot_positions(d->pilots)[0];
    for (size_t b = 0; b < nframes; b++) w->n0_frame[b] = f->n0[b * frame + pilot];
    float complex prev = w->last_pilot;
    sim_feat_pilot(d->layout, d->pilots, nframes, f->y, w->has_last_pilot ? &prev : NULL,
                   w->n0_frame, d->feature_scale, w->features);
    w->last_pilot = f->y[(nframes - 1) * frame + pilot];
    w->has_last_pilot = true;
}

static void nn_run(const sim_stage *st, void *p, ch_rng *r, sim_frame *f)
{
    (void)r;
    const detector *d = st->state;
    nn_worker *w = p;
    nn_features(d, w, f);
    nn_net_infer(d->net, w->ws, f->ndata, w->features, f->llr);
    sim_feat_llr_from_logits(f->ndata * f->k, f->llr, f->llr);
    ch_llr_decide(f->ndata * f->k, f->llr, f->decided);
}

static const sim_stage_ops nn_ops = {"learned detector", nn_worker_create, nn_worker_destroy,
                                     nn_reset, nn_run, detector_destroy};

/* ---- learned OFDM receiver ---------------------------------------------------------------- */

/* A whole frame in, every data bit of it out: the features are the received grid's real and
 * imaginary parts times the model's scale. */
static void *ofdm_nn_worker_create(const sim_stage *st, size_t max_symbols)
{
    const detector *d = st->state;
    size_t frame = ch_pilots_frame(d->pilots), frames = max_symbols / frame;
    if (!frames) frames = 1;
    nn_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->features = malloc(2 * max_symbols * sizeof *w->features);
    w->ws = nn_workspace_create(d->net, frames);
    if (d->declip) {
        size_t bits = frames * ch_pilots_n_data(d->pilots) * ch_modem_bits_per_symbol(d->modem);
        w->declip = sim_declip_worker_create(d->declip, frames);
        w->declipped = malloc(max_symbols * sizeof *w->declipped);
        w->residual = malloc(frames * sizeof *w->residual);
        w->best = malloc(frames * sizeof *w->best);
        w->kept_bits = malloc(bits);
        w->kept_llr = malloc(bits * sizeof *w->kept_llr);
    }
    bool declip_ok = w->declip && w->declipped && w->residual && w->best && w->kept_bits &&
                     w->kept_llr;
    if (!w->features || !w->ws || (d->declip && !declip_ok)) {
        nn_worker_destroy(w);
        return NULL;
    }
    return w;
}

/* The network's decisions on the grid y[nsym]. */
static void ofdm_nn_decide(const detector *d, nn_worker *w, const float complex *grid,
                           sim_frame *f)
{
    const float *y = (const float *)grid;
    for (size_t i = 0; i < 2 * f->nsym; i++) w->features[i] = d->feature_scale * y[i];
    nn_net_infer(d->net, w->ws, f->nsym / ch_pilots_frame(d->pilots), w->features, f->llr);
    sim_feat_llr_from_logits(f->ndata * f->k, f->llr, f->llr);
    ch_llr_decide(f->ndata * f->k, f->llr, f->decided);
}

/* Per frame, the decisions of the last pass replace the best so far where their residual
 * (sim_declip_residual) is smaller; otherwise the frame gets the best back. */
static void keep_better(nn_worker *w, size_t nframes, size_t bits_per_frame, sim_frame *f)
{
    for (size_t b = 0; b < nframes; b++) {
        uint8_t *bits = f->decided + b * bits_per_frame, *kept = w->kept_bits + b * bits_per_frame;
        float *llr = f->llr + b * bits_per_frame, *kept_llr = w->kept_llr + b * bits_per_frame;
        bool better = w->residual[b] < w->best[b];
        if (better) w->best[b] = w->residual[b];
        memcpy(better ? kept : bits, better ? bits : kept, bits_per_frame);
        memcpy(better ? kept_llr : llr, better ? llr : kept_llr, bits_per_frame * sizeof *llr);
    }
}

/* On a clipped link, each pass takes off the distortion the last decisions imply (always from
 * the grid received) and decides again; a frame keeps the pass whose decisions explain what it
 * received best. Wrong decisions rebuild a wrong distortion, and at low SNR a pass can make
 * more errors than it removes: the residual under the clipping model tells which pass to
 * trust, frame by frame. */
static void ofdm_nn_run(const sim_stage *st, void *p, ch_rng *r, sim_frame *f)
{
    (void)r;
    const detector *d = st->state;
    nn_worker *w = p;
    ofdm_nn_decide(d, w, f->y, f);
    if (!d->declip) return;
    size_t nframes = f->nsym / ch_pilots_frame(d->pilots), bits = f->ndata * f->k / nframes;
    sim_declip_residual(d->declip, w->declip, nframes, f->y, f->decided, w->best);
    memcpy(w->kept_bits, f->decided, nframes * bits);
    memcpy(w->kept_llr, f->llr, nframes * bits * sizeof *f->llr);
    for (unsigned pass = 0; pass < d->declip_passes; pass++) {
        sim_declip_run(d->declip, w->declip, nframes, f->y, f->decided, w->declipped);
        ofdm_nn_decide(d, w, w->declipped, f);
        sim_declip_residual(d->declip, w->declip, nframes, f->y, f->decided, w->residual);
        keep_better(w, nframes, bits, f);
    }
}

static const sim_stage_ops ofdm_nn_ops = {"learned OFDM receiver", ofdm_nn_worker_create,
                                          nn_worker_destroy, NULL, ofdm_nn_run,
                                          detector_destroy};

int sim_model_check_width(const nn_net *net, const char *path)
{
    for (size_t t = 0; t < nn_net_n_layers(net); t++) {
        nn_layer_info info;
        nn_net_layer_info(net, t, &info);
        size_t width = info.spec.n_out;
        if (info.spec.kind == NN_LAYER_DENSE && width > SIM_MODEL_MAX_HIDDEN &&
            width != nn_net_n_out(net))
            return sim_error(SIM_EMODEL, "model '%s': layer %zu has %zu units, more than the "
                             "%u a simulation takes", path, t, width, SIM_MODEL_MAX_HIDDEN);
    }
    return SIM_OK;
}

int sim_model_load(const sim_link *link, size_t n_in, size_t n_out, nn_net **net,
                   nn_meta **meta, float *scale)
{
    const char *path = link->model;
    *net = nn_model_load(path, 1, meta);
    if (!*net) return sim_error(SIM_EIO, "%s", nn_last_error());
    int status = sim_model_check_width(*net, path);
    if (status == SIM_OK) status = sim_link_check_model(link, *meta, path);
    if (status != SIM_OK) return status;
    if (nn_net_n_in(*net) != n_in || nn_net_n_out(*net) != n_out)
        return sim_error(SIM_EMODEL, "model '%s' maps %zu inputs to %zu outputs, this link needs "
                         "%zu to %zu", path, nn_net_n_in(*net), nn_net_n_out(*net), n_in, n_out);
    const char *text = nn_meta_get(*meta, "feature_scale");
    char *end;
    *scale = text ? strtof(text, &end) : 0;
    /* strtof takes "inf" and makes 1e39 inf: a scale no training made multiplies every feature
     * off the range the network learned */
    bool in_range = *scale >= SIM_MODEL_MIN_SCALE && *scale <= SIM_MODEL_MAX_SCALE;
    if (!text || *end != '\0' || !in_range)
        return sim_error(SIM_EMODEL, "model '%s' has no valid feature_scale (a number from %g to "
                         "%g)", path, SIM_MODEL_MIN_SCALE, SIM_MODEL_MAX_SCALE);
    return SIM_OK;
}

/* Loads the detector's model and checks it against the link. */
static int load_model(detector *d, const sim_link *link)
{
    size_t k = ch_modem_bits_per_symbol(d->modem);
    if (d->layout == SIM_FEAT_OFDM)
        return sim_model_load(link, 2 * ch_pilots_frame(d->pilots),
                              k * ch_pilots_n_data(d->pilots), &d->net, &d->meta,
                              &d->feature_scale);
    return sim_model_load(link, sim_feat_width(d->layout), k, &d->net, &d->meta,
                          &d->feature_scale);
}

sim_stage *sim_detector_create(const sim_link *link, const ch_modem *modem,
                               const ch_pilots *pilots)
{
    detector *d = calloc(1, sizeof *d);
    if (!d) return sim_error(SIM_ENOMEM, "out of memory"), NULL;
    *d = (detector){.kind = link->rx, .modem = modem, .pilots = pilots,
                    .layout = sim_link_feat_layout(link)};
    if (link->rx == SIM_RX_NN) {
        const char *base = strrchr(link->model, '/');
        snprintf(d->name, sizeof d->name, "nn (%s)", base ? base + 1 : link->model);
    } else {
        snprintf(d->name, sizeof d->name, "%s%s%s%s", sim_rx_name(link->rx),
                 link->ofdm.n ? ", " : pilots ? ", LS pilots" : "",
                 link->ofdm.n ? ch_est_name(link->ofdm.est) : "",
                 link->ofdm.n && link->ofdm.est != CH_EST_PERFECT ? " estimate" : "");
    }
    sim_stage tmp = {NULL, 0, d};
    if (link->rx == SIM_RX_NN && load_model(d, link) != SIM_OK) {
        detector_destroy(&tmp);
        return NULL;
    }
    d->declip_passes = link->ofdm.declip;
    if (link->rx == SIM_RX_NN && link->ofdm.n && d->declip_passes &&
        !(d->declip = sim_declip_create(link, modem, pilots))) {
        detector_destroy(&tmp);
        return NULL;
    }
    /* The classical coherent BPSK detectors are functions of Re(conj(h) y) alone. */
    bool bpsk = ch_modem_kind(modem) == CH_MOD_BPSK;
    unsigned flags = SIM_STAGE_COHERENT | (bpsk ? SIM_STAGE_INPHASE_ONLY : 0);
    if (link->rx == SIM_RX_NN) flags = pilots ? 0 : SIM_STAGE_COHERENT;
    const sim_stage_ops *ops = link->rx != SIM_RX_NN ? &classical_ops
                               : link->ofdm.n      ? &ofdm_nn_ops
                                                   : &nn_ops;
    sim_stage *st = sim_stage_create(ops, flags, d);
    if (!st) sim_error(SIM_ENOMEM, "out of memory");
    return st;
}

const char *sim_detector_name(const sim_stage *det)
{
    return ((const detector *)det->state)->name;
}

const char *sim_detector_model_meta(const sim_stage *det, const char *key)
{
    const detector *d = det->state;
    return d->meta ? nn_meta_get(d->meta, key) : NULL;
}
