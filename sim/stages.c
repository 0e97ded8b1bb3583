/* The classical stages of a link: source, mapper, pilot insertion, channel, least-squares
 * estimator, error counter, and the fused BPSK/AWGN loop (stage.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stage.h"

sim_stage *sim_stage_create(const sim_stage_ops *ops, unsigned flags, void *state)
{
    sim_stage *st = calloc(1, sizeof *st);
    if (!st) {
        sim_stage tmp = {ops, flags, state};
        if (ops->destroy) ops->destroy(&tmp);
        return NULL;
    }
    *st = (sim_stage){ops, flags, state};
    return st;
}

void sim_stage_destroy(sim_stage *st)
{
    if (!st) return;
    if (st->ops->destroy) st->ops->destroy(st);
    free(st);
}

/* Frees a stage's state that is one plain allocation. */
static void free_state(sim_stage *st)
{
    free(st->state);
}

/* ---- source and mapper ----------------------------------------------------------------------- */

static void source_run(const sim_stage *st, void *w, ch_rng *r, sim_frame *f)
{
    (void)st, (void)w;
    ch_rng_bits(r, f->ninfo, f->bits);
}

static const sim_stage_ops source_ops = {"source", NULL, NULL, NULL, source_run, NULL};

sim_stage *sim_stage_source(void)
{
    return sim_stage_create(&source_ops, 0, NULL);
}

static void encoder_run(const sim_stage *st, void *w, ch_rng *r, sim_frame *f)
{
    (void)w, (void)r;
    ch_code_encode(st->state, f->nwords, f->bits, f->coded);
}

static const sim_stage_ops encoder_ops = {"encoder", NULL, NULL, NULL, encoder_run, NULL};

sim_stage *sim_stage_encoder(const ch_code *code)
{
    return sim_stage_create(&encoder_ops, 0, (void *)code);
}

static void mapper_run(const sim_stage *st, void *w, ch_rng *r, sim_frame *f)
{
    (void)w, (void)r;
    ch_modem_map(st->state, f->ndata, f->coded, f->x);
}

static const sim_stage_ops mapper_ops = {"mapper", NULL, NULL, NULL, mapper_run, NULL};

sim_stage *sim_stage_mapper(const ch_modem *modem)
{
    return sim_stage_create(&mapper_ops, 0, (void *)modem);
}

/* ---- pilot insertion ------------------------------------------------------------------------- */

static void pilots_run(const sim_stage *st, void *w, ch_rng *r, sim_frame *f)
{
    (void)w, (void)r;
    const ch_pilots *p = st->state;
    ch_pilots_insert(p, f->nsym / ch_pilots_frame(p), f->x, f->s);
}

static const sim_stage_ops pilots_ops = {"pilot insertion", NULL, NULL, NULL, pilots_run, NULL};

sim_stage *sim_stage_pilots(const ch_pilots *pilots)
{
    return sim_stage_create(&pilots_ops, 0, (void *)pilots);
}

/* ---- the channel ----------------------------------------------------------------------------- */

typedef struct {
    ch_fading_config fading;
    int inphase_only, real_symbols;
} channel_state;

/* A thread's fading process (state of the realisation) and noise scratch: the in-phase variates
 * and, for adding them, the same as complex numbers with quadrature part -0. */
typedef struct {
    ch_fading *fading;
    float *noise;
    float complex *inphase;
} channel_worker;

static void channel_worker_destroy(void *p)
{
    channel_worker *w = p;
    if (!w) return;
    ch_fading_destroy(w->fading);
    free(w->noise);
    free(w->inphase);
    free(w);
}

static void *channel_worker_create(const sim_stage *st, size_t max_symbols)
{
    const channel_state *s = st->state;
    channel_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->fading = ch_fading_create(&s->fading);
    if (s->inphase_only) {
        w->noise = malloc(max_symbols * sizeof *w->noise);
        w->inphase = malloc(max_symbols * sizeof *w->inphase);
    }
    if (!w->fading || (s->inphase_only && (!w->noise || !w->inphase))) {
        channel_worker_destroy(w);
        return NULL;
    }
    return w;
}

static void channel_reset(const sim_stage *st, void *p, ch_rng *r)
{
    (void)st;
    channel_worker *w = p;
    ch_fading_reset(w->fading, r);
}

/* y[i] += noise[i], the real parts only, through scratch[n]. Adding -0 gives every float itself
 * (-0 + -0 = -0, x + -0 = x), so the quadrature parts stay as they were, and the sum runs over
 * contiguous floats: adding to every second float in place, clang 14 wrote them with scatters (it
 * drops storing back what a float already holds) at a third of gcc's speed. */
static void add_inphase(size_t n, const float *restrict noise, float complex *restrict scratch,
                        float complex *restrict y)
{
    /* C11 6.2.5: a complex is an array of two reals */
    float *w = (float *)scratch, *yf = (float *)y;
    for (size_t i = 0; i < n; i++) {
        w[2 * i] = noise[i];
        w[2 * i + 1] = -0.0f;
    }
    for (size_t i = 0; i < 2 * n; i++) yf[i] += w[i];
}

/* y = h s + w in place (the chain gives s and y the same buffer): the gains of the whole frame,
 * then its noise. */
static void channel_run(const sim_stage *st, void *p, ch_rng *r, sim_frame *f)
{
    const channel_state *s = st->state;
    channel_worker *w = p;
    size_t n = f->nsym;
    float n0 = f->n0[0];
    if (f->h) ch_fading_gains(w->fading, r, n, f->h);
    if (!s->inphase_only) {
        /* the gains' product in the noise's pass: the floats of apply then add (real symbols:
         * without the products by their imaginary parts, 0) */
        if (f->h && s->real_symbols)
            ch_awgn_add_faded_real(r, n, n0, f->h, f->y);
        else if (f->h)
            ch_awgn_add_faded(r, n, n0, f->h, f->y);
        else
            ch_awgn_add(r, n, n0, f->y);
        return;
    }
    if (f->h) ch_fading_apply(n, f->h, f->y, f->y);
    /* In-phase noise only: the quadrature part is independent of what the detector uses. */
    ch_rng_gauss(r, n, sqrtf(0.5f * n0), w->noise);
    add_inphase(n, w->noise, w->inphase, f->y);
}

static const sim_stage_ops channel_ops = {"channel", channel_worker_create, channel_worker_destroy,
                                          channel_reset, channel_run, free_state};
static const sim_stage_ops real_channel_ops = {
    "channel, real symbols", channel_worker_create, channel_worker_destroy,
    channel_reset,           channel_run,           free_state};

sim_stage *sim_stage_channel(const ch_fading_config *fading, int inphase_only, int real_symbols)
{
    channel_state *s = malloc(sizeof *s);
    if (!s) return NULL;
    *s = (channel_state){*fading, inphase_only, real_symbols};
    return sim_stage_create(real_symbols ? &real_channel_ops : &channel_ops, 0, s);
}

/* ---- least squares from pilots --------------------------------------------------------------- */

typedef struct {
    float complex *y, *h;
    float *n0;
} ls_worker;

static void ls_worker_destroy(void *p)
{
    ls_worker *w = p;
    if (!w) return;
    free(w->y);
    free(w->h);
    free(w->n0);
    free(w);
}

static void *ls_worker_create(const sim_stage *st, size_t max_symbols)
{
    (void)st;
    ls_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->y = malloc(max_symbols * sizeof *w->y);
    w->h = malloc(max_symbols * sizeof *w->h);
    w->n0 = malloc(max_symbols * sizeof *w->n0);
    if (!w->y || !w->h || !w->n0) {
        ls_worker_destroy(w);
        return NULL;
    }
    return w;
}

/* Each data symbol with its frame's least-squares gain h_ls = y_p / CH_PILOT. */
static void ls_run(const sim_stage *st, void *p, ch_rng *r, sim_frame *f)
{
    (void)r;
    const ch_pilots *pilots = st->state;
    ls_worker *w = p;
    size_t frame = ch_pilots_frame(pilots), nd_frame = ch_pilots_n_data(pilots), nd = 0;
    const uint32_t *data = ch_pilots_data_positions(pilots);
    uint32_t pilot = ch_pilots_pilot_positions(pilots)[0];
    for (size_t b = 0; b < f->nsym / frame; b++) {
        const float complex *y = f->y + b * frame;
        float complex h_ls = y[pilot] / CH_PILOT;
        for (size_t j = 0; j < nd_frame; j++, nd++) {
            w->y[nd] = y[data[j]];
            w->h[nd] = h_ls;
            w->n0[nd] = f->n0[b * frame + data[j]];
        }
    }
    f->y_data = w->y, f->h_data = w->h, f->n0_data = w->n0;
}

static const sim_stage_ops ls_ops = {"least squares", ls_worker_create, ls_worker_destroy, NULL,
                                     ls_run, NULL};

sim_stage *sim_stage_ls(const ch_pilots *pilots)
{
    if (ch_pilots_n_freq(pilots) != 1 || ch_pilots_n_pilot(pilots) != 1) return NULL;
    return sim_stage_create(&ls_ops, 0, (void *)pilots);
}

/* ---- error counter --------------------------------------------------------------------------- */

/* Error counts of n symbols of k bits, and the sum of the squares of each symbol's bit errors
 * (the units of a memoryless link). The loops see k as a constant through the switch in
 * count_symbols, so they vectorise. */
static inline void count_k(size_t n, size_t k, const uint8_t *tx, const uint8_t *rx,
                           uint64_t *bit_errors, uint64_t *symbol_errors, uint64_t *squares)
{
    uint32_t bits = 0, symbols = 0, sq = 0; /* n * k^2 < 2^32 per frame */
    for (size_t i = 0; i < n; i++) {
        uint8_t wrong = 0, any = 0;
        for (size_t j = 0; j < k; j++) {
            uint8_t e = tx[i * k + j] ^ rx[i * k + j];
            wrong += e;
            any |= e;
        }
        bits += wrong;
        symbols += any;
        sq += (uint32_t)wrong * wrong;
    }
    *bit_errors += bits;
    *symbol_errors += symbols;
    *squares += sq;
}

/* count_k for symbols of 4 bits, read as one 32-bit word each: the xor of the two words has a
 * byte 0 or 1 per bit, and their sum, the symbol's bit errors, is the top byte of the word
 * times 0x01010101. A few word operations a symbol instead of the byte shuffles and widenings
 * the byte loop vectorised into. The same counts. */
static void count_4(size_t n, const uint8_t *tx, const uint8_t *rx, uint64_t *bit_errors,
                    uint64_t *symbol_errors, uint64_t *squares)
{
    uint32_t bits = 0, symbols = 0, sq = 0; /* n * 16 < 2^32 per frame */
    for (size_t i = 0; i < n; i++) {
        uint32_t a, b;
        memcpy(&a, tx + 4 * i, sizeof a);
        memcpy(&b, rx + 4 * i, sizeof b);
        uint32_t e = a ^ b, wrong = (e * 0x01010101u) >> 24;
        bits += wrong;
        symbols += e != 0;
        sq += wrong * wrong;
    }
    *bit_errors += bits;
    *symbol_errors += symbols;
    *squares += sq;
}

/* count_k for symbols of one bit: a symbol's bit errors, its symbol error and their square are
 * all the xor of its two bits (0 or 1), so one sum gives all three; partial sums in 16 bits
 * over pieces of 4096 cannot overflow and keep four times as many lanes a vector as the three
 * 32-bit sums of count_k. The same counts. */
static void count_1(size_t n, const uint8_t *tx, const uint8_t *rx, uint64_t *bit_errors,
                    uint64_t *symbol_errors, uint64_t *squares)
{
    uint64_t e = 0;
    for (size_t i = 0; i < n; i += 4096) {
        size_t end = n - i < 4096 ? n : i + 4096;
        uint16_t part = 0;
        for (size_t j = i; j < end; j++) part += (uint16_t)(tx[j] ^ rx[j]);
        e += part;
    }
    *bit_errors += e;
    *symbol_errors += e;
    *squares += e;
}

/* Bit and symbol errors of n symbols of k bits, k a constant in each case of the switch. */
static void count_symbols(size_t n, unsigned k, const uint8_t *tx, const uint8_t *rx,
                          uint64_t *bit_errors, uint64_t *symbol_errors, uint64_t *squares)
{
    switch (k) {
    case 1: count_1(n, tx, rx, bit_errors, symbol_errors, squares); break;
    case 2: count_k(n, 2, tx, rx, bit_errors, symbol_errors, squares); break;
    case 3: count_k(n, 3, tx, rx, bit_errors, symbol_errors, squares); break;
    case 4: count_4(n, tx, rx, bit_errors, symbol_errors, squares); break;
    case 6: count_k(n, 6, tx, rx, bit_errors, symbol_errors, squares); break;
    case 8: count_k(n, 8, tx, rx, bit_errors, symbol_errors, squares); break;
    default: count_k(n, k, tx, rx, bit_errors, symbol_errors, squares); break;
    }
}

/* A unit in progress: items counted, and its bit and block errors so far. */
typedef struct {
    size_t items;
    uint64_t bits, blocks;
} unit_acc;

/* Adds items with errors to the unit in progress; a unit completed goes into c. */
static void unit_add(unit_acc *u, size_t period, size_t items, uint64_t bits, uint64_t blocks,
                     sim_counts *c)
{
    u->items += items, u->bits += bits, u->blocks += blocks;
    if (u->items < period) return;
    c->units++;
    c->unit_error_sq += (double)u->bits * (double)u->bits;
    c->unit_block_sq += (double)u->blocks * (double)u->blocks;
    *u = (unit_acc){0};
}

/* A coded frame: information bit errors and block errors of the decoded words (a unit holds
 * whole words), and the symbol errors of the detector's decisions on the mapped bits. */
static void count_coded(const sim_frame *f, size_t period, unit_acc *u, sim_counts *c)
{
    uint64_t raw_bits = 0, blocks = 0, squares = 0;
    if (!f->words_are_symbols)
        count_symbols(f->ndata, f->k, f->coded, f->decided, &raw_bits, &c->symbol_errors,
                      &squares);
    for (size_t w = 0; w < f->nwords; w++) {
        const uint8_t *s = f->bits + w * f->code_k, *d = f->decoded + w * f->code_k;
        uint32_t wrong = 0;
        for (unsigned j = 0; j < f->code_k; j++) wrong += s[j] ^ d[j];
        bool block = wrong > 0 || f->failed[w];
        c->bit_errors += wrong;
        blocks += block;
        if (period) unit_add(u, period, 1, wrong, block, c);
    }
    c->block_errors += blocks;
    c->blocks += f->nwords;
    if (f->words_are_symbols) c->symbol_errors += blocks;
}

/* An uncoded frame: a unit of one symbol takes the squares of count_symbols; longer units are
 * counted a piece at a time. */
static void count_uncoded(const sim_frame *f, size_t period, unit_acc *u, sim_counts *c)
{
    uint64_t squares = 0;
    if (period <= 1) {
        count_symbols(f->ndata, f->k, f->bits, f->decided, &c->bit_errors, &c->symbol_errors,
                      &squares);
        if (period) c->units += f->ndata, c->unit_error_sq += (double)squares;
        return;
    }
    for (size_t i = 0; i < f->ndata;) {
        size_t n = period - u->items < f->ndata - i ? period - u->items : f->ndata - i;
        uint64_t bits = 0;
        count_symbols(n, f->k, f->bits + i * f->k, f->decided + i * f->k, &bits,
                      &c->symbol_errors, &squares);
        c->bit_errors += bits;
        unit_add(u, period, n, bits, 0, c);
        i += n;
    }
}

static void *counter_worker_create(const sim_stage *st, size_t max_symbols)
{
    (void)st, (void)max_symbols;
    return calloc(1, sizeof(unit_acc));
}

static void counter_reset(const sim_stage *st, void *w, ch_rng *r)
{
    (void)st, (void)r;
    *(unit_acc *)w = (unit_acc){0};
}

static void counter_run(const sim_stage *st, void *w, ch_rng *r, sim_frame *f)
{
    (void)r;
    size_t period = *(const size_t *)st->state;
    sim_counts *c = f->counts;
    if (f->nwords)
        count_coded(f, period, w, c);
    else
        count_uncoded(f, period, w, c);
    c->bits += f->ninfo;
    c->symbols += f->words_are_symbols ? f->nwords : f->ndata;
}

static const sim_stage_ops counter_ops = {"error counter", counter_worker_create, free,
                                          counter_reset, counter_run, free_state};

sim_stage *sim_stage_counter(size_t period)
{
    size_t *state = malloc(sizeof *state);
    if (!state) return NULL;
    *state = period;
    return sim_stage_create(&counter_ops, 0, state);
}

/* ---- the fused BPSK/AWGN loop ---------------------------------------------------------------- */

/* Every classical detector of BPSK over AWGN decides for the point on whose side of 0 Re(y) lies
 * (hard slicing, and the sign of the max-log or exact LLR 4 Re(y)/n0 alike), so source, mapper,
 * in-phase noise, decision and count fuse into one loop over the random numbers the staged
 * chain draws (bits, then the noise): the staged chain's counts at the speed of the bare loop.
 * The noise goes to f->llr, which nothing else uses here. */
static void fused_run(const sim_stage *st, void *w, ch_rng *r, sim_frame *f)
{
    (void)w;
    const float x0 = crealf(ch_modem_points(st->state)[0]);
    size_t n = f->ndata;
    const uint8_t *restrict bits = f->bits;
    float *restrict noise = f->llr;
    ch_rng_bits(r, n, f->bits);
    ch_rng_gauss(r, n, sqrtf(0.5f * f->n0[0]), noise);
    uint32_t errors = 0;
    for (size_t i = 0; i < n; i++) {
        /* Bit 1 where y < 0 (points[0] = +x0 > 0), ties to bit 0 as the LLR rule llr < 0 does. */
        float y = x0 - 2.0f * x0 * bits[i] + noise[i];
        errors += (uint8_t)(y < 0) ^ bits[i];
    }
    f->counts->bits += n;
    f->counts->bit_errors += errors;
    f->counts->symbols += n;
    f->counts->symbol_errors += errors;
    f->counts->units += n; /* a bit: 0 or 1 errors, its own square */
    f->counts->unit_error_sq += errors;
}

static const sim_stage_ops fused_ops = {"fused BPSK/AWGN", NULL, NULL, NULL, fused_run, NULL};

sim_stage *sim_stage_fused_bpsk(const ch_modem *modem)
{
    return sim_stage_create(&fused_ops, 0, (void *)modem);
}
