#include "engine.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* Bits a thread claims at once, at least: a claim takes a lock, and a chunk of BPSK is only a
 * few microseconds of work. Each chunk of a group keeps its own stream and its own place in the
 * ordered sum, so the grouping changes no count. */
#define GROUP_BITS (1u << 16)
#define MAX_GROUP 8

/* Symbols per block inside a chunk: the block's arrays stay in L1/L2 cache. */
#define BLOCK_SYMBOLS 4096

/* What one thread needs to run chunks: its random stream, fading state and block arrays. */
typedef struct {
    ch_rng *rng;
    ch_fading *fading;
    sim_rx_worker *rx;
    uint8_t *tx_bits, *rx_bits;
    float complex *h, *y;
    float *n0, *noise;
    float complex last_pilot; /* pilots: the last pilot observation of this chunk, */
    bool has_last_pilot;      /* if a block of it has run */
} worker;

/* The ordered sum shared by the threads of one point. */
typedef struct {
    const sim_engine_config *cfg;
    unsigned point_index;
    double n0;
    double ebn0_db;
    size_t chunk_symbols;
    size_t block_symbols; /* a multiple of the pilot spacing */
    bool inphase_only; /* BPSK with a receiver that discards the quadrature noise */
    bool fused_bpsk;   /* ... over AWGN: the whole chain in one loop (run_fused_bpsk) */
    pthread_mutex_t lock;
    pthread_cond_t moved;
    uint64_t next_chunk; /* the next chunk to hand out */
    uint64_t summed;     /* chunks 0 .. summed-1 are in total */
    sim_counts ring[SIM_ENGINE_WINDOW];
    bool ready[SIM_ENGINE_WINDOW];
    sim_counts total;
    bool done, interrupted, failed;
    int waiting;    /* threads waiting for the sum to move */
    unsigned group; /* chunks a thread claims at once */
    uint64_t min_chunks; /* before the error rule may stop the point */
    double start, last_progress;
} point_run;

static void worker_destroy(worker *w)
{
    ch_rng_destroy(w->rng);
    ch_fading_destroy(w->fading);
    sim_rx_worker_destroy(w->rx);
    free(w->tx_bits);
    free(w->rx_bits);
    free(w->h);
    free(w->y);
    free(w->n0);
    free(w->noise);
}

/* Block arrays start on cache lines, so that 64-byte vector loads and stores never straddle
 * two of them. */
static void *alloc_lines(size_t bytes)
{
    return aligned_alloc(64, (bytes + 63) / 64 * 64);
}

static int worker_init(worker *w, const point_run *p)
{
    const sim_engine_config *cfg = p->cfg;
    size_t k = ch_modem_bits_per_symbol(cfg->modem);
    memset(w, 0, sizeof *w);
    w->rng = ch_rng_create(cfg->seed, 0);
    w->fading = ch_fading_create(&cfg->fading);
    size_t n = p->block_symbols;
    w->rx = sim_rx_worker_create(cfg->rx, n);
    w->tx_bits = alloc_lines(n * k);
    w->rx_bits = alloc_lines(n * k);
    w->h = alloc_lines(n * sizeof *w->h);
    w->y = alloc_lines(n * sizeof *w->y);
    w->n0 = alloc_lines(n * sizeof *w->n0);
    w->noise = alloc_lines(n * sizeof *w->noise);
    if (!w->rng || !w->fading || !w->rx || !w->tx_bits || !w->rx_bits || !w->h ||
        !w->y || !w->n0 || !w->noise) {
        worker_destroy(w);
        return -1;
    }
    for (size_t i = 0; i < n; i++) w->n0[i] = (float)p->n0;
    return 0;
}

/* y += in-phase noise only: the quadrature part is independent of what the receiver uses. */
static void add_inphase_noise(worker *w, size_t n, float n0)
{
    ch_rng_gauss(w->rng, n, sqrtf(0.5f * n0), w->noise);
    float *y = (float *)w->y; /* C11 6.2.5: a complex is an array of two reals */
    for (size_t i = 0; i < n; i++) y[2 * i] += w->noise[i];
}

/* Error counts of n symbols of k bits. The loops see k as a constant through the switch in
 * count_errors, so they vectorise. */
static inline void count_k(size_t n, size_t k, const uint8_t *tx, const uint8_t *rx,
                           uint64_t *bit_errors, uint64_t *symbol_errors)
{
    uint32_t bits = 0, symbols = 0; /* n * k < 2^32 per block */
    for (size_t i = 0; i < n; i++) {
        uint8_t wrong = 0, any = 0;
        for (size_t j = 0; j < k; j++) {
            uint8_t e = tx[i * k + j] ^ rx[i * k + j];
            wrong += e;
            any |= e;
        }
        bits += wrong;
        symbols += any;
    }
    *bit_errors += bits;
    *symbol_errors += symbols;
}

static void count_errors(size_t n, size_t k, const uint8_t *tx, const uint8_t *rx,
                         sim_counts *c)
{
    switch (k) {
    case 1: count_k(n, 1, tx, rx, &c->bit_errors, &c->symbol_errors); break;
    case 2: count_k(n, 2, tx, rx, &c->bit_errors, &c->symbol_errors); break;
    case 3: count_k(n, 3, tx, rx, &c->bit_errors, &c->symbol_errors); break;
    case 4: count_k(n, 4, tx, rx, &c->bit_errors, &c->symbol_errors); break;
    case 6: count_k(n, 6, tx, rx, &c->bit_errors, &c->symbol_errors); break;
    case 8: count_k(n, 8, tx, rx, &c->bit_errors, &c->symbol_errors); break;
    default: count_k(n, k, tx, rx, &c->bit_errors, &c->symbol_errors); break;
    }
    c->bits += n * k;
    c->symbols += n;
}

/* Pilot-aided blocks: pilot and data -> block fading -> AWGN -> receiver without CSI. */
static void run_pilot_block(worker *w, const point_run *p, size_t n, sim_counts *c)
{
    const sim_engine_config *cfg = p->cfg;
    unsigned spacing = cfg->pilot_spacing;
    size_t k = ch_modem_bits_per_symbol(cfg->modem), nblocks = n / spacing;
    ch_link link = {.modem = cfg->modem,
                    .fading = cfg->fading.kind == CH_CHAN_AWGN ? NULL : w->fading,
                    .ebn0_lo_db = p->ebn0_db, .ebn0_hi_db = p->ebn0_db,
                    .code_rate = cfg->code_rate};
    /* sim_engine_run_point checked the pilot layout against the fading: this cannot fail. */
    int status = ch_pairs_fill_pilot(&link, w->rng, spacing, nblocks, w->tx_bits, w->y, NULL,
                                     w->noise);
    assert(status == CH_OK);
    (void)status;
    float complex prev = w->last_pilot;
    sim_frame f = {.nsym = n, .y = w->y, .h = NULL, .n0 = w->n0,
                   .prev_pilot = w->has_last_pilot ? &prev : NULL};
    sim_rx_decide(w->rx, &f, w->rx_bits, NULL);
    w->last_pilot = w->y[(nblocks - 1) * spacing];
    w->has_last_pilot = true;
    count_errors(nblocks * (spacing - 1), k, w->tx_bits, w->rx_bits, c);
}

/* BPSK over AWGN with a classical receiver: every one of them decides for the point on whose
 * side of 0 Re(y) lies (hard slicing, and the sign of the max-log or exact LLR 4 Re(y)/n0
 * alike), so mapper, in-phase noise, decision and count fuse into one loop over the same random
 * numbers the staged chain draws (bits, then the noise): the counts are those of the staged
 * chain, at the speed of the bare loop. The points are +-x0, x0 > 0 (checked in point_init). */
static void run_fused_bpsk(worker *w, const point_run *p, size_t n, sim_counts *c)
{
    const float x0 = crealf(ch_modem_points(p->cfg->modem)[0]);
    const uint8_t *restrict bits = w->tx_bits;
    const float *restrict noise = w->noise;
    ch_rng_bits(w->rng, n, w->tx_bits);
    ch_rng_gauss(w->rng, n, sqrtf(0.5f * (float)p->n0), w->noise);
    uint32_t errors = 0;
    for (size_t i = 0; i < n; i++) {
        /* Bit 1 where y < 0 (points[0] = +x0 > 0), ties to bit 0 as the LLR rule llr < 0 does. */
        float y = x0 - 2.0f * x0 * bits[i] + noise[i];
        errors += (y < 0) != bits[i];
    }
    c->bits += n;
    c->bit_errors += errors;
    c->symbols += n;
    c->symbol_errors += errors;
}

/* bits -> mapper -> channel -> receiver -> error counts, for n symbols. */
static void run_block(worker *w, const point_run *p, size_t n, sim_counts *c)
{
    if (p->fused_bpsk) {
        run_fused_bpsk(w, p, n, c);
        return;
    }
    if (p->cfg->pilot_spacing) {
        run_pilot_block(w, p, n, c);
        return;
    }
    const sim_engine_config *cfg = p->cfg;
    size_t k = ch_modem_bits_per_symbol(cfg->modem);
    bool faded = cfg->fading.kind != CH_CHAN_AWGN;
    ch_rng_bits(w->rng, n * k, w->tx_bits);
    ch_modem_map(cfg->modem, n, w->tx_bits, w->y);
    if (faded) {
        ch_fading_gains(w->fading, w->rng, n, w->h);
        ch_fading_apply(n, w->h, w->y, w->y);
    }
    if (p->inphase_only && !faded)
        add_inphase_noise(w, n, (float)p->n0);
    else
        ch_awgn_add(w->rng, n, (float)p->n0, w->y);
    sim_frame f = {.nsym = n, .y = w->y, .h = faded ? w->h : NULL, .n0 = w->n0};
    sim_rx_decide(w->rx, &f, w->rx_bits, NULL);
    count_errors(n, k, w->tx_bits, w->rx_bits, c);
}

static void run_chunk(worker *w, const point_run *p, uint64_t chunk, sim_counts *c)
{
    memset(c, 0, sizeof *c);
    ch_rng_seed(w->rng, p->cfg->seed, (uint64_t)p->point_index << 40 | chunk);
    ch_fading_reset(w->fading, w->rng);
    w->has_last_pilot = false; /* a new fading realisation */
    for (size_t done = 0; done < p->chunk_symbols; done += p->block_symbols) {
        size_t left = p->chunk_symbols - done;
        run_block(w, p, left < p->block_symbols ? left : p->block_symbols, c);
    }
    c->chunks = 1;
    c->chunk_error_sq = (double)c->bit_errors * (double)c->bit_errors;
}

static void add_counts(sim_counts *total, const sim_counts *c)
{
    total->bits += c->bits;
    total->bit_errors += c->bit_errors;
    total->symbols += c->symbols;
    total->symbol_errors += c->symbol_errors;
    total->chunks += c->chunks;
    total->chunk_error_sq += c->chunk_error_sq;
}

bool sim_channel_has_memory(const ch_fading_config *fading)
{
    return fading->kind != CH_CHAN_AWGN && (fading->coherence > 1 || fading->doppler > 0);
}

/* Takes a snapshot of the ordered sum for a progress report about 4 times a second; returns
 * false when none is due. Called with the lock held; the report itself is made after it is
 * released, so that stderr never holds up the other threads. */
static bool progress_due(point_run *p, sim_counts *snapshot, double *seconds)
{
    double now = sim_bench_now();
    if (!p->cfg->progress || now - p->last_progress < 0.25) return false;
    p->last_progress = now;
    *snapshot = p->total;
    *seconds = now - p->start;
    return true;
}

/* Adds the finished chunks that continue the ordered sum, then checks the stop rules on it.
 * Called with the lock held. */
static void advance_sum(point_run *p)
{
    const sim_engine_config *cfg = p->cfg;
    while (!p->done && p->ready[p->summed % SIM_ENGINE_WINDOW]) {
        size_t slot = p->summed % SIM_ENGINE_WINDOW;
        p->ready[slot] = false;
        add_counts(&p->total, &p->ring[slot]);
        p->summed++;
        bool enough_errors = p->total.bit_errors >= cfg->min_errors &&
                             p->total.chunks >= p->min_chunks;
        if (enough_errors || p->total.bits >= cfg->max_bits) p->done = true;
    }
}

/* Adds the chunks a thread finished (first .. first+count-1; count may be 0) to the ordered sum
 * and hands it the next group of chunks, under one lock; returns false when the point is done.
 * Threads more than the window ahead of the sum wait for it. */
static bool exchange_chunks(point_run *p, const sim_counts *finished, uint64_t first,
                            unsigned count, uint64_t *next)
{
    pthread_mutex_lock(&p->lock);
    for (unsigned i = 0; i < count; i++) {
        p->ring[(first + i) % SIM_ENGINE_WINDOW] = finished[i];
        p->ready[(first + i) % SIM_ENGINE_WINDOW] = true;
    }
    if (count) advance_sum(p);
    if (count && p->waiting) pthread_cond_broadcast(&p->moved);
    sim_counts snapshot;
    double seconds = 0;
    bool report = count && progress_due(p, &snapshot, &seconds);
    while (!p->done && p->next_chunk + p->group > p->summed + SIM_ENGINE_WINDOW) {
        p->waiting++;
        pthread_cond_wait(&p->moved, &p->lock);
        p->waiting--;
    }
    if (!p->done && p->cfg->stop && *p->cfg->stop) p->done = p->interrupted = true;
    if (p->done && p->waiting) pthread_cond_broadcast(&p->moved);
    bool got = !p->done;
    if (got) *next = p->next_chunk, p->next_chunk += p->group;
    pthread_mutex_unlock(&p->lock);
    if (report)
        p->cfg->progress(&snapshot, seconds > 0 ? (double)snapshot.bits / seconds : 0, seconds,
                         p->cfg->progress_user);
    return got;
}

static void *thread_main(void *arg)
{
    point_run *p = arg;
    worker w;
    if (worker_init(&w, p) != 0) {
        pthread_mutex_lock(&p->lock);
        p->failed = p->done = true;
        pthread_cond_broadcast(&p->moved);
        pthread_mutex_unlock(&p->lock);
        return NULL;
    }
    uint64_t first;
    sim_counts c[MAX_GROUP];
    bool got = exchange_chunks(p, NULL, 0, 0, &first);
    while (got) {
        for (unsigned i = 0; i < p->group; i++) run_chunk(&w, p, first + i, &c[i]);
        got = exchange_chunks(p, c, first, p->group, &first);
    }
    worker_destroy(&w);
    return NULL;
}

/* Symbols per chunk: whole coherence blocks, so that no block straddles two chunks. */
static size_t chunk_symbols(const sim_engine_config *cfg)
{
    size_t block = cfg->fading.coherence > 1 ? cfg->fading.coherence : 1;
    if (cfg->pilot_spacing > block) block = cfg->pilot_spacing;
    return (SIM_ENGINE_CHUNK_SYMBOLS + block - 1) / block * block;
}

static void point_init(point_run *p, const sim_engine_config *cfg, unsigned point_index,
                       double ebn0_db)
{
    unsigned k = ch_modem_bits_per_symbol(cfg->modem);
    memset(p, 0, sizeof *p);
    p->cfg = cfg;
    p->point_index = point_index;
    p->n0 = ch_n0_from_ebn0(ebn0_db, k, cfg->code_rate);
    p->chunk_symbols = chunk_symbols(cfg);
    p->min_chunks = sim_channel_has_memory(&cfg->fading) ? SIM_ENGINE_MIN_CHUNKS_MEMORY : 1;
    size_t chunk_bits = p->chunk_symbols * k;
    p->group = chunk_bits >= GROUP_BITS ? 1 : (unsigned)(GROUP_BITS / chunk_bits);
    if (p->group > MAX_GROUP) p->group = MAX_GROUP;
    size_t spacing = cfg->pilot_spacing ? cfg->pilot_spacing : 1;
    p->block_symbols = BLOCK_SYMBOLS > spacing ? BLOCK_SYMBOLS / spacing * spacing : spacing;
    p->inphase_only = sim_receiver_inphase_only(cfg->rx);
    const float complex *points = ch_modem_points(cfg->modem);
    p->fused_bpsk = p->inphase_only && cfg->fading.kind == CH_CHAN_AWGN && !cfg->generic_only &&
                    points[1] == -points[0] && cimagf(points[0]) == 0 && crealf(points[0]) > 0;
    p->ebn0_db = ebn0_db;
    p->total.ebn0_db = ebn0_db;
    p->total.esn0_db = ch_esn0_from_ebn0(ebn0_db, k, cfg->code_rate);
    p->start = p->last_progress = sim_bench_now();
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->moved, NULL);
}

/* Pilots lead blocks of the block fading's own length, or are spaced on a Doppler channel. */
static bool pilots_fit_fading(const sim_engine_config *cfg)
{
    unsigned n = cfg->pilot_spacing;
    if (n == 0) return true;
    if (n < 2) return false;
    const ch_fading_config *f = &cfg->fading;
    return f->kind == CH_CHAN_AWGN || (f->doppler > 0 ? f->coherence == 1 : f->coherence == n);
}

size_t sim_engine_chunk_symbols(const sim_engine_config *cfg)
{
    return chunk_symbols(cfg);
}

int sim_engine_run_point(const sim_engine_config *cfg, unsigned point_index, double ebn0_db,
                         sim_counts *out)
{
    if (!pilots_fit_fading(cfg)) return SIM_ENGINE_EINVAL;
    point_run p;
    point_init(&p, cfg, point_index, ebn0_db);
    int threads = cfg->threads < SIM_ENGINE_MAX_THREADS ? cfg->threads : SIM_ENGINE_MAX_THREADS;
    int extra = threads > 1 ? threads - 1 : 0;
    pthread_t tid[extra > 0 ? extra : 1];
    int started = 0;
    while (started < extra && pthread_create(&tid[started], NULL, thread_main, &p) == 0)
        started++;
    thread_main(&p); /* the calling thread works too */
    for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
    pthread_mutex_destroy(&p.lock);
    pthread_cond_destroy(&p.moved);
    *out = p.total;
    if (p.failed) return SIM_ENGINE_ENOMEM;
    return p.interrupted ? SIM_ENGINE_INTERRUPTED : SIM_ENGINE_OK;
}
