#include "chain.h"

#include <stdlib.h>
#include <string.h>

#include "e2e.h"
#include "receiver.h"
#include "sim_error.h"
#include "stages_ofdm.h"

/* Symbols per frame of the hot loop: the frame's arrays stay in L1/L2 cache. */
#define FRAME_SYMBOLS 4096

/* Most stages a chain has: source, encoder, mapper, pilots, channel, estimator, detector,
 * decoder, counter. */
#define MAX_STAGES 10

struct sim_chain {
    sim_link link;
    ch_modem *modem;
    ch_pilots *pilots; /* NULL: perfect CSI */
    ch_code *code;     /* NULL: uncoded */
    sim_e2e *e2e;      /* an end-to-end pair instead of modem, detector and code */
    char modulation[64];
    sim_stage *stage[MAX_STAGES];
    size_t n_stages;
    size_t first_rx;       /* the first stage after the channel */
    sim_stage *detector;   /* owned here; also in stage[] (the fused chain keeps it only for
                              its name and sim_chain_detect) */
    sim_stage *decoder;    /* coded links; also in stage[] */
    bool fused;
    size_t unit_period; /* items of an independent unit for the counter (unit_period) */
    char unit_text[128];  /* what the unit is, for tables */
    unsigned k;            /* bits a symbol carries (2 for a pair: two reals) */
    double rate;           /* information per bit carried: code and pilots */
    unsigned code_n, code_k; /* 0 uncoded */
    size_t frame;          /* symbols per pilot frame (1 without pilots) */
    size_t unit_symbols;   /* the least whole number of pilot frames and codewords */
    size_t chunk_symbols;  /* a multiple of unit_symbols and of the coherence */
    size_t frame_symbols;  /* symbols per frame of the hot loop, a multiple of unit_symbols */
};

struct sim_chain_worker {
    const sim_chain *chain;
    ch_rng *rng;
    sim_frame sample;     /* the last frame of sim_chain_sample */
    sim_counts unused;
    void *stage_worker[MAX_STAGES];
    uint8_t *bits, *coded, *decided, *decoded, *failed;
    float complex *x, *y, *h;
    float *n0, *llr;
    float n0_filled; /* the value n0[] holds */
};

/* ---- building ------------------------------------------------------------------------------ */

static int add(sim_chain *c, sim_stage *st)
{
    if (!st) return sim_error(SIM_ENOMEM, "out of memory");
    c->stage[c->n_stages++] = st;
    return SIM_OK;
}

/* A stage whose maker reported its own error. */
static int add_made(sim_chain *c, sim_stage *st)
{
    if (!st) return SIM_EINVAL;
    c->stage[c->n_stages++] = st;
    return SIM_OK;
}

/* BPSK with points +-x0, x0 > 0, over AWGN, and a detector deciding on Re(y) alone. */
static bool can_fuse(const sim_chain *c, const sim_stage *det, unsigned options)
{
    const float complex *p = ch_modem_points(c->modem);
    return !(options & SIM_CHAIN_STAGED) && !c->code && (det->flags & SIM_STAGE_INPHASE_ONLY) &&
           c->link.fading.kind == CH_CHAN_AWGN && !c->pilots && ch_modem_order(c->modem) == 2 &&
           p[1] == -p[0] && cimagf(p[0]) == 0 && crealf(p[0]) > 0;
}

/* Whether the channel multiplies gains into symbols that are all real: a fading channel, and
 * each point of the modem and each pilot real. */
static bool faded_symbols_real(const sim_chain *c)
{
    if (c->link.fading.kind == CH_CHAN_AWGN) return false;
    const float complex *p = ch_modem_points(c->modem);
    for (unsigned l = 0; l < ch_modem_order(c->modem); l++)
        if (cimagf(p[l]) != 0) return false;
    for (size_t j = 0; c->pilots && j < ch_pilots_n_pilot(c->pilots); j++)
        if (cimagf(ch_pilots_value(c->pilots, j)) != 0) return false;
    return true;
}

/* An end-to-end pair: its transmitter and receiver around the channel. */
static int build_e2e_stages(sim_chain *c)
{
    int status = add(c, sim_stage_source());
    if (!status) status = add(c, sim_e2e_transmitter(c->e2e));
    if (!status) status = add(c, sim_stage_channel(&c->link.fading, 0, 0));
    c->first_rx = c->n_stages;
    c->detector = sim_e2e_receiver(c->e2e);
    if (!c->detector) return sim_error(SIM_ENOMEM, "out of memory");
    c->stage[c->n_stages++] = c->detector;
    if (!status) status = add(c, sim_stage_counter(c->unit_period));
    return status;
}

/* The stages in their order; the detector is made first, since what it declares decides the
 * others. */
static int build_stages(sim_chain *c, unsigned options)
{
    if (c->e2e) return build_e2e_stages(c);
    sim_stage *det = c->detector = sim_detector_create(&c->link, c->modem, c->pilots);
    if (!det) return SIM_EINVAL;
    bool inphase = (det->flags & SIM_STAGE_INPHASE_ONLY) && c->link.fading.kind == CH_CHAN_AWGN;
    if (can_fuse(c, det, options)) {
        c->fused = true;
        c->first_rx = 1;
        int status = add(c, sim_stage_fused_bpsk(c->modem));
        c->stage[c->n_stages++] = det; /* kept for its name; not run */
        return status;
    }
    int status = add(c, sim_stage_source());
    if (!status && c->code) status = add(c, sim_stage_encoder(c->code));
    if (!status) status = add(c, sim_stage_mapper(c->modem));
    bool ofdm = c->link.ofdm.n != 0;
    if (!status && c->pilots) status = add(c, sim_stage_pilots(c->pilots));
    if (!status && ofdm) status = add_made(c, sim_stage_ofdm_channel(&c->link));
    if (!status && !ofdm)
        status = add(c, sim_stage_channel(&c->link.fading, inphase, faded_symbols_real(c)));
    c->first_rx = c->n_stages;
    if (!status && ofdm && (det->flags & SIM_STAGE_COHERENT))
        status = add_made(c, sim_stage_ofdm_est(&c->link, c->pilots));
    if (!status && !ofdm && c->pilots && (det->flags & SIM_STAGE_COHERENT))
        status = add(c, sim_stage_ls(c->pilots));
    c->stage[c->n_stages++] = det;
    if (options & SIM_CHAIN_TO_DETECTOR) return status;
    if (!status && c->code) {
        bool soft = c->link.rx != SIM_RX_HARD;
        c->decoder = sim_decoder_create(&c->link, c->code, soft);
        if (!c->decoder) return SIM_EINVAL;
        c->stage[c->n_stages++] = c->decoder;
    }
    if (!status) status = add(c, sim_stage_counter(c->unit_period));
    return status;
}

static size_t gcd(size_t a, size_t b)
{
    while (b) {
        size_t t = a % b;
        a = b, b = t;
    }
    return a;
}

static size_t lcm(size_t a, size_t b)
{
    return a / gcd(a, b) * b;
}

/* The independent unit of the error counts in counter items (data symbols, or codewords on a
 * coded link): `block` symbols, whole frames and fading blocks, drawn independently of every
 * other block — unless the fading is Doppler-correlated (or the OFDM taps are), which ties every
 * symbol of a chunk to its neighbours: 0, no unit but the chunk. */
static size_t unit_period(const sim_chain *c, size_t block)
{
    const sim_link *l = &c->link;
    if ((l->fading.kind != CH_CHAN_AWGN && l->fading.doppler > 0) || l->ofdm.doppler > 0)
        return 0;
    size_t per_frame = c->pilots ? ch_pilots_n_data(c->pilots) : 1;
    size_t data = block / c->frame * per_frame;
    return c->code_n ? data * c->k / c->code_n : data;
}

/* The unit of every frame: whole pilot frames carrying whole codewords (their data symbols a
 * multiple of n / gcd(n, k) when k bits ride a symbol). Chunks are whole units and coherence
 * blocks; hot-loop frames whole units. */
static void size_chunks(sim_chain *c)
{
    size_t per_frame = c->pilots ? ch_pilots_n_data(c->pilots) : 1;
    size_t data = c->code_n ? lcm(per_frame, c->code_n / gcd(c->code_n, c->k)) : per_frame;
    c->unit_symbols = data / per_frame * c->frame;
    size_t coherence = c->link.fading.coherence > 1 ? c->link.fading.coherence : 1;
    size_t block = lcm(c->unit_symbols, coherence);
    c->chunk_symbols = (SIM_CHAIN_CHUNK_SYMBOLS + block - 1) / block * block;
    size_t u = c->unit_symbols;
    c->frame_symbols = FRAME_SYMBOLS > u ? FRAME_SYMBOLS / u * u : u;
    c->unit_period = unit_period(c, block);
    if (!c->unit_period)
        snprintf(c->unit_text, sizeof c->unit_text, "chunks of %zu symbols, as Doppler fading "
                 "ties each symbol to its neighbours", c->chunk_symbols);
    else if (block == 1 && !c->code_n)
        snprintf(c->unit_text, sizeof c->unit_text, "single symbols");
    else
        snprintf(c->unit_text, sizeof c->unit_text, "spans of %zu symbols, each with its own "
                 "fading, frame and %zu %s", block, c->unit_period,
                 c->code_n ? "codewords" : "data symbols");
}

const char *sim_chain_unit_text(const sim_chain *c) { return c->unit_text; }

/* The pair of link->e2e_model: a message of K bits is a codeword of ceil(N/2) symbols, which the
 * chain treats like a code of 2 ceil(N/2) bits on symbols of 2. A receiver trained without CSI
 * cannot run over fading. */
static int load_e2e(sim_chain *c)
{
    c->e2e = sim_e2e_load(c->link.e2e_model);
    if (!c->e2e) return SIM_EMODEL;
    unsigned s = sim_e2e_symbols(c->e2e), n = sim_e2e_n(c->e2e), k = sim_e2e_k(c->e2e);
    if (c->link.fading.kind != CH_CHAN_AWGN && sim_e2e_channel(c->e2e) == CH_CHAN_AWGN)
        return sim_error(SIM_EMODEL, "model '%s' was trained over awgn: its receiver takes no "
                         "channel state; simulate it over awgn", c->link.e2e_model);
    c->k = 2;
    c->code_n = 2 * s, c->code_k = k;
    c->rate = (double)k / (2 * s);
    snprintf(c->modulation, sizeof c->modulation, "e2e %s (%u,%u)",
             sim_e2e_get_mode(c->e2e) == SIM_E2E_BITS ? "constellation" : "block", n, k);
    return SIM_OK;
}

sim_chain *sim_chain_create(const sim_link *link, unsigned options)
{
    /* up to the detector, a learned decoder (being trained) needs no model yet */
    sim_link checked = *link;
    bool training = (options & SIM_CHAIN_TO_DETECTOR) && link->code.name &&
                    link->code.decoder == SIM_DEC_NN;
    if (training && !link->model) checked.model = "(being trained)";
    if (sim_link_check(&checked) != SIM_OK) return NULL;
    sim_chain *c = calloc(1, sizeof *c);
    if (!c) return sim_error(SIM_ENOMEM, "out of memory"), NULL;
    c->link = *link;
    if (link->e2e_model) {
        if (load_e2e(c) != SIM_OK) goto fail;
    } else {
        c->modem = link->mod == CH_MOD_CUSTOM ? ch_modem_load(link->constellation)
                                              : ch_modem_create(link->mod);
        if (!c->modem) goto fail_channel;
        snprintf(c->modulation, sizeof c->modulation, "%s", ch_modem_name(c->modem));
        c->k = ch_modem_bits_per_symbol(c->modem);
        c->rate = sim_link_rate(link);
    }
    if (link->pilot_spacing && !(c->pilots = ch_pilots_create_block(link->pilot_spacing)))
        goto fail_channel;
    if (link->ofdm.n && !(c->pilots = sim_link_ofdm_pilots(link))) goto fail;
    if (link->code.name && !(c->code = ch_code_create(link->code.name, link->code.design_ebn0_db)))
        goto fail_channel;
    if (c->code) c->code_n = ch_code_n(c->code), c->code_k = ch_code_k(c->code);
    c->frame = c->pilots ? ch_pilots_frame(c->pilots) : 1;
    size_chunks(c);
    if (build_stages(c, options) != SIM_OK) goto fail;
    return c;
fail_channel:
    sim_error(SIM_EINVAL, "%s", ch_last_error());
fail:
    sim_chain_destroy(c);
    return NULL;
}

void sim_chain_destroy(sim_chain *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n_stages; i++)
        if (c->stage[i] != c->detector && c->stage[i] != c->decoder)
            sim_stage_destroy(c->stage[i]);
    sim_stage_destroy(c->detector);
    sim_stage_destroy(c->decoder);
    ch_pilots_destroy(c->pilots);
    ch_code_destroy(c->code);
    sim_e2e_destroy(c->e2e);
    ch_modem_destroy(c->modem);
    free(c);
}

const sim_link *sim_chain_link(const sim_chain *c) { return &c->link; }
const ch_modem *sim_chain_modem(const sim_chain *c) { return c->modem; }
const char *sim_chain_modulation_name(const sim_chain *c) { return c->modulation; }
unsigned sim_chain_bits_per_symbol(const sim_chain *c) { return c->k; }
double sim_chain_info_per_symbol(const sim_chain *c) { return c->k * c->rate; }

const char *sim_chain_receiver_name(const sim_chain *c)
{
    return c->e2e ? "e2e receiver" : sim_detector_name(c->detector);
}
const ch_code *sim_chain_code(const sim_chain *c) { return c->code; }

const char *sim_chain_decoder_name(const sim_chain *c)
{
    return c->decoder ? sim_decoder_name(c->decoder) : NULL;
}
size_t sim_chain_chunk_symbols(const sim_chain *c) { return c->chunk_symbols; }
size_t sim_chain_max_frame(const sim_chain *c) { return c->frame_symbols; }
size_t sim_chain_unit_symbols(const sim_chain *c) { return c->unit_symbols; }

const char *sim_chain_model_meta(const sim_chain *c, const char *key)
{
    if (c->e2e) return sim_e2e_meta(c->e2e, key);
    const char *v = sim_detector_model_meta(c->detector, key);
    return v || !c->decoder ? v : sim_decoder_model_meta(c->decoder, key);
}

/* The fused chain lists its detector only for its name. */
size_t sim_chain_n_stages(const sim_chain *c)
{
    return c->fused ? 1 : c->n_stages;
}

const char *sim_chain_stage_name(const sim_chain *c, size_t i)
{
    return i < sim_chain_n_stages(c) ? c->stage[i]->ops->name : NULL;
}

/* ---- workers --------------------------------------------------------------------------------- */

/* Frame arrays start on cache lines, so that 64-byte vector loads and stores never straddle two
 * of them. */
static void *alloc_lines(size_t bytes)
{
    return aligned_alloc(64, (bytes + 63) / 64 * 64);
}

sim_chain_worker *sim_chain_worker_create(const sim_chain *c)
{
    sim_chain_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    size_t n = c->frame_symbols, k = c->k;
    w->chain = c;
    w->rng = ch_rng_create(0, 0);
    bool coded = c->code_n != 0;
    /* information bits: at most a symbol's bits, but for a pair whose K exceeds 2 ceil(N/2) */
    size_t words = coded ? n * k / c->code_n : 0, info = n * k;
    if (words * c->code_k > info) info = words * c->code_k;
    w->bits = alloc_lines(info);
    w->decided = alloc_lines(n * k);
    w->coded = coded ? alloc_lines(n * k) : w->bits;
    w->decoded = coded ? alloc_lines(info) : w->decided;
    w->failed = alloc_lines(n * k / (coded ? c->code_n : 1) + 1);
    w->y = alloc_lines(n * sizeof *w->y);
    w->x = c->pilots ? alloc_lines(n * sizeof *w->x) : w->y; /* mapped in place without pilots */
    w->h = c->link.fading.kind != CH_CHAN_AWGN ? alloc_lines(n * sizeof *w->h) : NULL;
    w->n0 = alloc_lines(n * sizeof *w->n0);
    w->llr = alloc_lines(n * k * sizeof *w->llr);
    bool ok = w->rng && w->bits && w->decided && w->coded && w->decoded && w->failed && w->y &&
              w->x && w->n0 && w->llr && (w->h || c->link.fading.kind == CH_CHAN_AWGN);
    for (size_t i = 0; ok && i < sim_chain_n_stages(c); i++) {
        const sim_stage *st = c->stage[i];
        if (st->ops->worker_create && !(w->stage_worker[i] = st->ops->worker_create(st, n)))
            ok = false;
    }
    if (!ok) {
        sim_chain_worker_destroy(w);
        return NULL;
    }
    w->n0_filled = -1;
    return w;
}

void sim_chain_worker_destroy(sim_chain_worker *w)
{
    if (!w) return;
    const sim_chain *c = w->chain;
    for (size_t i = 0; i < sim_chain_n_stages(c); i++)
        if (w->stage_worker[i]) c->stage[i]->ops->worker_destroy(w->stage_worker[i]);
    ch_rng_destroy(w->rng);
    if (w->x != w->y) free(w->x);
    if (w->coded != w->bits) free(w->coded);
    if (w->decoded != w->decided) free(w->decoded);
    free(w->bits);
    free(w->decided);
    free(w->failed);
    free(w->y);
    free(w->h);
    free(w->n0);
    free(w->llr);
    free(w);
}

/* ---- running --------------------------------------------------------------------------------- */

/* A frame of nsym symbols over the worker's buffers, the detector's view defaulting to the
 * received samples themselves (perfect CSI). */
static sim_frame frame_of(sim_chain_worker *w, size_t nsym, sim_counts *counts)
{
    const sim_chain *c = w->chain;
    size_t ndata = c->pilots ? nsym / c->frame * ch_pilots_n_data(c->pilots) : nsym;
    size_t nwords = c->code_n ? ndata * c->k / c->code_n : 0;
    return (sim_frame){.nsym = nsym, .ndata = ndata, .k = c->k, .nwords = nwords,
                       .code_n = c->code_n, .code_k = c->code_k,
                       .ninfo = c->code_n ? nwords * c->code_k : ndata * c->k, .bits = w->bits,
                       .words_are_symbols = c->e2e != NULL,
                       .coded = w->coded, .x = w->x, .s = w->y, .h = w->h, .y = w->y,
                       .n0 = w->n0, .y_data = w->y, .h_data = w->h, .n0_data = w->n0,
                       .llr = w->llr, .llr_read = c->decoder != NULL,
                       .decided = w->decided, .decoded = w->decoded,
                       .failed = w->failed, .counts = counts};
}

static void run_stages(sim_chain_worker *w, size_t from, sim_frame *f)
{
    const sim_chain *c = w->chain;
    for (size_t i = from; i < sim_chain_n_stages(c); i++)
        c->stage[i]->ops->run(c->stage[i], w->stage_worker[i], w->rng, f);
}

void sim_chain_run_chunk(sim_chain_worker *w, uint64_t seed, uint64_t stream, float n0,
                         sim_counts *out)
{
    const sim_chain *c = w->chain;
    memset(out, 0, sizeof *out);
    if (w->n0_filled != n0) {
        for (size_t i = 0; i < c->frame_symbols; i++) w->n0[i] = n0;
        w->n0_filled = n0;
    }
    ch_rng_seed(w->rng, seed, stream);
    for (size_t i = 0; i < sim_chain_n_stages(c); i++)
        if (c->stage[i]->ops->reset)
            c->stage[i]->ops->reset(c->stage[i], w->stage_worker[i], w->rng);
    for (size_t done = 0; done < c->chunk_symbols; done += c->frame_symbols) {
        size_t left = c->chunk_symbols - done;
        sim_frame f = frame_of(w, left < c->frame_symbols ? left : c->frame_symbols, out);
        run_stages(w, 0, &f);
    }
    out->chunks = 1;
    out->chunk_error_sq = (double)out->bit_errors * (double)out->bit_errors;
    out->chunk_block_sq = (double)out->block_errors * (double)out->block_errors;
}

void sim_chain_worker_seed(sim_chain_worker *w, uint64_t seed, uint64_t stream)
{
    const sim_chain *c = w->chain;
    ch_rng_seed(w->rng, seed, stream);
    for (size_t i = 0; i < sim_chain_n_stages(c); i++)
        if (c->stage[i]->ops->reset)
            c->stage[i]->ops->reset(c->stage[i], w->stage_worker[i], w->rng);
}

const sim_frame *sim_chain_sample(sim_chain_worker *w, size_t nsym, float n0)
{
    const sim_chain *c = w->chain;
    if (w->n0_filled != n0) {
        for (size_t i = 0; i < c->frame_symbols; i++) w->n0[i] = n0;
        w->n0_filled = n0;
    }
    w->sample = frame_of(w, nsym, &w->unused);
    w->sample.llr_read = true; /* the caller's */
    for (size_t i = 0; i < c->n_stages; i++) {
        c->stage[i]->ops->run(c->stage[i], w->stage_worker[i], w->rng, &w->sample);
        if (c->stage[i] == c->detector) break;
    }
    return &w->sample;
}

void sim_chain_detect(sim_chain_worker *w, size_t nsym, const float complex *y,
                      const float complex *h, const float *n0, uint8_t *bits, float *llr)
{
    const sim_chain *c = w->chain;
    sim_counts unused;
    memcpy(w->y, y, nsym * sizeof *y);
    memcpy(w->n0, n0, nsym * sizeof *n0);
    w->n0_filled = -1;
    if (h && w->h) memcpy(w->h, h, nsym * sizeof *h);
    sim_frame f = frame_of(w, nsym, &unused);
    f.llr_read = true; /* copied out below */
    f.h = h && w->h ? w->h : NULL;
    f.h_data = f.h;
    /* the estimator (if any) and the detector, in the fused chain too */
    for (size_t i = c->first_rx; i < c->n_stages; i++) {
        c->stage[i]->ops->run(c->stage[i], w->stage_worker[i], w->rng, &f);
        if (c->stage[i] == c->detector) break;
    }
    memcpy(bits, w->decided, f.ndata * c->k);
    if (llr && c->link.rx != SIM_RX_HARD) memcpy(llr, w->llr, f.ndata * c->k * sizeof *llr);
}
