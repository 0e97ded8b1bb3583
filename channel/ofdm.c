/* OFDM over multipath with FFTW (ofdm.h). */
#include "ofdm.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ch_error.h"
#include "fading.h"

/* FFTW's planner is not thread-safe: every plan of the process is made under this lock. */
static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;

struct ch_ofdm {
    ch_ofdm_config cfg;
    fftwf_plan forward, inverse; /* on fftwf_malloc arrays: workers' arrays share the alignment */
    float scale;                 /* N^(-1/2), the unitary transforms' factor */
    float tx_limit;              /* the clipping level of the unscaled signal, R sqrt N */
    /* [SHORT_TAPS][N / SHORT_TAPS] e^(-j 2 pi q d / N) at d N / SHORT_TAPS + q: the twiddles of
     * the response of taps within the first SHORT_TAPS samples (response_short); NULL where the
     * channel is longer or N too small, and FFTW transforms the taps. */
    float complex *twiddle;
};

struct ch_ofdm_worker {
    fftwf_complex *freq, *time; /* [N] the transforms' arrays */
    fftwf_complex *impulse;     /* [N] the taps on their delays, zero elsewhere (response) */
    float complex *tx;          /* [silence + T (N + L)]: silence, then the frame on air, with
                                   the transforms' N^(-1/2) left out (conv_taps has it) */
    size_t silence;             /* samples before the frame: the spread at least, and such that
                                   a symbol's kept samples share the plans' alignment */
    float complex *rx;          /* [N] the samples of a symbol the receiver keeps */
    float complex *rotation;    /* [T (N + L)] e^(j 2 pi eps n / N); NULL without offset */
    size_t batch;               /* frames whose random numbers are drawn in one go */
    float complex *noise;       /* [batch T (N + L)] */
    float complex *gains;       /* [batch n_taps] unit-power static taps */
    float complex taps[CH_MULTIPATH_MAX_TAPS];
    /* taps / N: the scale of both unitary transforms, applied once to the taps (and the noise
     * drawn N^(-1/2) smaller) rather than to every sample the transforms give */
    float complex conv_taps[CH_MULTIPATH_MAX_TAPS];
    float complex gain[CH_MULTIPATH_MAX_TAPS];
    ch_fading *jakes[CH_MULTIPATH_MAX_TAPS]; /* with Doppler: one unit-power process per tap */
    float amplitude[CH_MULTIPATH_MAX_TAPS];  /* sqrt(p_l) */
};

/* Taps within this many samples get their response by response_short, for N at least
 * SHORT_TAPS times as many (whole vectors of the twiddles' index q). */
#define SHORT_TAPS 8
#define SHORT_MIN_N 64

/* Samples of a batch of frames (see ch_ofdm_worker_create). */
#define BATCH_SAMPLES 8192

static bool power_of_two(unsigned n)
{
    return n && !(n & (n - 1));
}

int ch_ofdm_check(const ch_ofdm_config *c)
{
    if (!power_of_two(c->n) || c->n < CH_OFDM_MIN_N || c->n > CH_OFDM_MAX_N)
        return ch_error(CH_EINVAL, "%u subcarriers: need a power of two from %u to %u", c->n,
                        CH_OFDM_MIN_N, CH_OFDM_MAX_N);
    if (c->cp >= c->n)
        return ch_error(CH_EINVAL, "prefix of %u samples: must be shorter than the %u-sample "
                        "symbol", c->cp, c->n);
    if (c->symbols < 1 || c->symbols > 1024)
        return ch_error(CH_EINVAL, "%u OFDM symbols a frame: need 1 to 1024", c->symbols);
    if (c->profile.n_taps < 1 || c->profile.n_taps > CH_MULTIPATH_MAX_TAPS)
        return ch_error(CH_EINVAL, "a profile of %u taps: need 1 to %d", c->profile.n_taps,
                        CH_MULTIPATH_MAX_TAPS);
    if (ch_profile_spread(&c->profile) >= c->n)
        return ch_error(CH_EINVAL, "the channel spans %u samples, longer than the %u-sample "
                        "symbol", ch_profile_spread(&c->profile) + 1, c->n);
    if (!(c->doppler >= 0 && c->doppler <= 0.5))
        return ch_error(CH_EINVAL, "Doppler %g: need 0 to 0.5 per OFDM symbol", c->doppler);
    if (!(c->clip >= 0 && isfinite(c->clip)))
        return ch_error(CH_EINVAL, "clipping ratio %g: need a positive number (0: none)",
                        c->clip);
    if (!isfinite(c->cfo))
        return ch_error(CH_EINVAL, "carrier frequency offset %g is not a number", c->cfo);
    return CH_OK;
}

/* The twiddles of response_short, in double and then rounded, where it serves (CH_OK
 * otherwise, twiddle left NULL). */
static int make_twiddles(ch_ofdm *o)
{
    const ch_ofdm_config *c = &o->cfg;
    if (ch_profile_spread(&c->profile) >= SHORT_TAPS || c->n < SHORT_MIN_N) return CH_OK;
    size_t m = c->n / SHORT_TAPS;
    if (!(o->twiddle = fftwf_malloc(SHORT_TAPS * m * sizeof *o->twiddle))) return CH_ENOMEM;
    const double two_pi = 6.283185307179586476925286766559;
    for (size_t d = 0; d < SHORT_TAPS; d++)
        for (size_t q = 0; q < m; q++)
            o->twiddle[d * m + q] = (float complex)cexp(-I * two_pi * (double)(d * q) / c->n);
    return CH_OK;
}

ch_ofdm *ch_ofdm_create(const ch_ofdm_config *cfg)
{
    if (ch_ofdm_check(cfg) != CH_OK) return NULL;
    ch_ofdm *o = calloc(1, sizeof *o);
    fftwf_complex *a = fftwf_malloc(sizeof *a * cfg->n), *b = fftwf_malloc(sizeof *b * cfg->n);
    if (o && a && b) {
        o->cfg = *cfg;
        o->scale = (float)(1 / sqrt(cfg->n));
        o->tx_limit = (float)(cfg->clip * sqrt(cfg->n));
        int n = (int)cfg->n;
        pthread_mutex_lock(&planner_lock);
        o->forward = fftwf_plan_dft_1d(n, a, b, FFTW_FORWARD, FFTW_ESTIMATE);
        o->inverse = fftwf_plan_dft_1d(n, a, b, FFTW_BACKWARD, FFTW_ESTIMATE);
        pthread_mutex_unlock(&planner_lock);
    }
    fftwf_free(a);
    fftwf_free(b);
    if (!o || !o->forward || !o->inverse || make_twiddles(o) != CH_OK) {
        ch_ofdm_destroy(o);
        return ch_error(CH_ENOMEM, "out of memory"), NULL;
    }
    return o;
}

void ch_ofdm_destroy(ch_ofdm *o)
{
    if (!o) return;
    pthread_mutex_lock(&planner_lock);
    if (o->forward) fftwf_destroy_plan(o->forward);
    if (o->inverse) fftwf_destroy_plan(o->inverse);
    pthread_mutex_unlock(&planner_lock);
    fftwf_free(o->twiddle);
    free(o);
}

const ch_ofdm_config *ch_ofdm_get_config(const ch_ofdm *o)
{
    return &o->cfg;
}

static size_t frame_samples(const ch_ofdm_config *c)
{
    return (size_t)c->symbols * (c->n + c->cp);
}

static int make_rotation(const ch_ofdm_config *c, ch_ofdm_worker *w)
{
    if (c->cfo == 0) return CH_OK;
    size_t n = frame_samples(c);
    if (!(w->rotation = fftwf_malloc(n * sizeof *w->rotation))) return CH_ENOMEM;
    const double two_pi = 6.283185307179586476925286766559;
    for (size_t i = 0; i < n; i++)
        w->rotation[i] = (float complex)cexp(I * two_pi * c->cfo * (double)i / c->n);
    return CH_OK;
}

static int make_jakes(const ch_ofdm_config *c, ch_ofdm_worker *w)
{
    ch_fading_config f = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1, .doppler = c->doppler};
    for (unsigned l = 0; c->doppler > 0 && l < c->profile.n_taps; l++)
        if (!(w->jakes[l] = ch_fading_create(&f))) return CH_ENOMEM;
    return CH_OK;
}

ch_ofdm_worker *ch_ofdm_worker_create(const ch_ofdm *o)
{
    const ch_ofdm_config *c = &o->cfg;
    ch_ofdm_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    size_t n = frame_samples(c), spread = ch_profile_spread(&c->profile);
    /* the first symbol's kept samples (after its prefix) start on a whole vector of 8 */
    w->silence = spread + (8 - (spread + c->cp) % 8) % 8;
    w->freq = fftwf_malloc(c->n * sizeof *w->freq);
    w->time = fftwf_malloc(c->n * sizeof *w->time);
    w->impulse = fftwf_malloc(c->n * sizeof *w->impulse);
    w->tx = fftwf_malloc((w->silence + n) * sizeof *w->tx);
    w->rx = fftwf_malloc(c->n * sizeof *w->rx);
    /* The generator makes Gaussians CH_RNG_BLOCK at a time, whatever is asked (rng.h): frames
     * draw their noise and taps for a batch of BATCH_SAMPLES samples at once. */
    w->batch = n >= BATCH_SAMPLES ? 1 : BATCH_SAMPLES / n;
    w->noise = fftwf_malloc(w->batch * n * sizeof *w->noise);
    w->gains = fftwf_malloc(w->batch * c->profile.n_taps * sizeof *w->gains);
    if (!w->freq || !w->time || !w->impulse || !w->tx || !w->rx || !w->noise || !w->gains ||
        make_rotation(c, w) != CH_OK ||
        make_jakes(c, w) != CH_OK) {
        ch_ofdm_worker_destroy(w);
        return NULL;
    }
    memset(w->tx, 0, w->silence * sizeof *w->tx); /* the silence before every frame */
    /* response() writes only the taps' delays, the same ones every symbol: the rest stays 0 */
    memset(w->impulse, 0, c->n * sizeof *w->impulse);
    for (unsigned l = 0; l < c->profile.n_taps; l++)
        w->amplitude[l] = (float)sqrt(c->profile.power[l]);
    return w;
}

void ch_ofdm_worker_destroy(ch_ofdm_worker *w)
{
    if (!w) return;
    for (unsigned l = 0; l < CH_MULTIPATH_MAX_TAPS; l++) ch_fading_destroy(w->jakes[l]);
    fftwf_free(w->freq);
    fftwf_free(w->time);
    fftwf_free(w->impulse);
    fftwf_free(w->tx);
    fftwf_free(w->rx);
    fftwf_free(w->rotation);
    fftwf_free(w->noise);
    fftwf_free(w->gains);
    free(w);
}

void ch_ofdm_reset(const ch_ofdm *o, ch_ofdm_worker *w, ch_rng *r)
{
    for (unsigned l = 0; o->cfg.doppler > 0 && l < o->cfg.profile.n_taps; l++)
        ch_fading_reset(w->jakes[l], r);
}

const float complex *ch_ofdm_last_taps(const ch_ofdm_worker *w)
{
    return w->taps;
}

/* out[2n] = a in[2n]: n complex values scaled, as reals so that the loop vectorises. */
static void scale_copy(size_t n, float a, const float *restrict in, float *restrict out)
{
    for (size_t i = 0; i < 2 * n; i++) out[i] = a * in[i];
}

void ch_ofdm_dft(const ch_ofdm *o, ch_ofdm_worker *w, int inverse, const float complex *in,
                 float complex *out)
{
    unsigned n = o->cfg.n;
    memcpy(w->time, in, n * sizeof *in);
    fftwf_execute_dft(inverse ? o->inverse : o->forward, w->time, w->freq);
    scale_copy(n, o->scale, (const float *)w->freq, (float *)out);
}

/* The taps of symbol t of frame b of the batch: static ones drawn for the batch, Doppler ones
 * moving from symbol to symbol. */
static void next_taps(const ch_ofdm *o, ch_ofdm_worker *w, ch_rng *r, size_t b, unsigned t)
{
    const ch_profile *p = &o->cfg.profile;
    const float complex *g = w->gain;
    if (o->cfg.doppler > 0) {
        for (unsigned l = 0; l < p->n_taps; l++) ch_fading_gains(w->jakes[l], r, 1, &w->gain[l]);
    } else if (t == 0) {
        g = w->gains + b * p->n_taps;
    } else {
        return;
    }
    const float inverse_n = 1.0f / (float)o->cfg.n; /* exact: N is a power of two */
    for (unsigned l = 0; l < p->n_taps; l++) {
        w->taps[l] = w->amplitude[l] * g[l];
        w->conv_taps[l] = w->taps[l] * inverse_n;
    }
}

/* Eight complex samples, re and im interleaved, as one vector of GCC's extensions: an AVX-512
 * register in the native build, split into smaller ones by the compiler elsewhere. N, a power of
 * two from 8, is always a whole number of them. Vectors pass through pointers, never by value:
 * a 64-byte vector argument would change the calling convention between the native and portable
 * builds (GCC warns, -Werror stops). */
typedef float ofdm_cvec __attribute__((vector_size(64)));
#define CVEC_SAMPLES 8
/* Vectors of output a block of the convolution keeps in registers: 64 samples. */
#define CONV_VECS 8

static inline void load_cvec(ofdm_cvec *v, const float complex *p)
{
    memcpy(v, p, sizeof *v);
}

static inline void store_cvec(float complex *p, const ofdm_cvec *v)
{
    memcpy(p, v, sizeof *v);
}

/* One tap g = gr + j gi as the two vectors the product needs: gr everywhere, and (-gi, gi) in
 * each (re, im) pair. */
typedef struct {
    ofdm_cvec re, im_signed;
} cvec_tap;

static inline void make_tap(cvec_tap *t, float complex g)
{
    const ofdm_cvec one = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    const ofdm_cvec alternate = {-1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1};
    t->re = one * crealf(g); /* exact, signed zeros too */
    t->im_signed = alternate * cimagf(g);
}

/* g x for eight samples x: (gr xr - gi xi) + j (gr xi + gi xr), each product rounded, then their
 * sum, the floats of C's complex product. The sign of the cross term sits in the tap vector, so
 * that no add-subtract appears: gcc 12's vectoriser turns that pattern into a fused
 * multiply-add despite -ffp-contract=off, which the native build then drew other floats from
 * than clang and the portable build. */
static inline void cvec_mul(ofdm_cvec *out, const cvec_tap *g, const ofdm_cvec *x)
{
    ofdm_cvec swapped = __builtin_shufflevector(*x, *x, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13,
                                                12, 15, 14);
    *out = g->re * *x + g->im_signed * swapped;
}

/* *out = x times -j, (xr, xi) -> (xi, -xr). */
static inline void times_minus_j(ofdm_cvec *out, const ofdm_cvec *x)
{
    const ofdm_cvec sign = {1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1};
    *out = sign * __builtin_shufflevector(*x, *x, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12,
                                          15, 14);
}

/* The true response of taps within the first SHORT_TAPS samples into h[N]: H_k = sum_(d < 8)
 * g_d W^(k d), W = e^(-j 2 pi / N). With k = q + (N/8) r, q < N/8, r < 8, W^(k d) is
 * W^(q d) e^(-j 2 pi r d / 8), so for each q the eight H_(q + (N/8) r) are the 8-point DFT over
 * d of g_d W^(q d): the last stage of a radix-8 FFT, its other stages being copies on an input
 * that is zero past the eighth sample, which FFTW's whole transform computes all the same.
 * Vectors run over 8 values of q, so each r gives 8 consecutive H. Its error against the exact
 * sum is FFTW's (6e-8 of the RMS response, 4e-7 at worst), not its floats. */
static void response_short(const ch_ofdm *o, const ch_ofdm_worker *w, float complex *h)
{
    const ch_profile *p = &o->cfg.profile;
    const float r2 = 0.707106781f; /* 1 / sqrt 2 */
    size_t m = o->cfg.n / SHORT_TAPS;
    float complex g[SHORT_TAPS] = {0};
    for (unsigned l = 0; l < p->n_taps; l++) g[p->delay[l]] = w->taps[l];
    cvec_tap taps[SHORT_TAPS];
    for (int d = 0; d < SHORT_TAPS; d++) make_tap(&taps[d], g[d]);
    for (size_t q = 0; q < m; q += CVEC_SAMPLES) {
        ofdm_cvec t[SHORT_TAPS], x;
        for (int d = 0; d < SHORT_TAPS; d++) {
            load_cvec(&x, o->twiddle + (size_t)d * m + q);
            cvec_mul(&t[d], &taps[d], &x);
        }
        /* even and odd d: two 4-point DFTs (e^(-j pi/2) = -j) */
        ofdm_cvec a0 = t[0] + t[4], a1 = t[0] - t[4], b0 = t[2] + t[6], b1 = t[2] - t[6];
        ofdm_cvec c0 = t[1] + t[5], c1 = t[1] - t[5], e0 = t[3] + t[7], e1 = t[3] - t[7];
        ofdm_cvec jb1, je1;
        times_minus_j(&jb1, &b1);
        times_minus_j(&je1, &e1);
        ofdm_cvec even[4] = {a0 + b0, a1 + jb1, a0 - b0, a1 - jb1};
        ofdm_cvec odd[4] = {c0 + e0, c1 + je1, c0 - e0, c1 - je1};
        /* odd[r] e^(-j pi r / 4): (1 - j)/sqrt 2, -j, (-1 - j)/sqrt 2 */
        ofdm_cvec s1, s2, s3;
        times_minus_j(&s1, &odd[1]);
        times_minus_j(&s2, &odd[2]);
        times_minus_j(&s3, &odd[3]);
        odd[1] = (odd[1] + s1) * r2;
        odd[2] = s2;
        odd[3] = (s3 - odd[3]) * r2;
        for (int r = 0; r < 4; r++) {
            ofdm_cvec sum = even[r] + odd[r], difference = even[r] - odd[r];
            store_cvec(h + q + m * (size_t)r, &sum);
            store_cvec(h + q + m * (size_t)(r + 4), &difference);
        }
    }
}

/* The true response H_k: response_short for channels within SHORT_TAPS samples, else the
 * (unscaled) DFT of the taps on their delays by FFTW, straight into h where h has the plans'
 * alignment. The impulse array keeps its zeros between symbols (the delays are fixed), which
 * saves clearing and filling N values a symbol; each tap is stored as 0 + g_l, the value the sum
 * into a cleared array gave (it turns a -0 into +0), so that H stays bit for bit what it was. */
static void response(const ch_ofdm *o, ch_ofdm_worker *w, float complex *h)
{
    if (o->twiddle) {
        response_short(o, w, h);
        return;
    }
    const ch_profile *p = &o->cfg.profile;
    float complex *t = (float complex *)w->impulse;
    const float complex zero = 0; /* complex: a real 0 + g would leave a -0 imaginary part */
    for (unsigned l = 0; l < p->n_taps; l++) t[p->delay[l]] = zero + w->taps[l];
    if (fftwf_alignment_of((float *)h) == 0) {
        fftwf_execute_dft(o->forward, w->impulse, (fftwf_complex *)h);
    } else {
        fftwf_execute_dft(o->forward, w->impulse, w->freq);
        memcpy(h, w->freq, o->cfg.n * sizeof *h);
    }
}

/* The input array of a transform of in[n]: in itself where its alignment is that of the plans'
 * arrays (FFTW's condition for executing a plan on other arrays; it leaves the input of a
 * complex out-of-place transform untouched), else a copy in scratch. */
static fftwf_complex *plan_input(fftwf_complex *scratch, const float complex *in, unsigned n)
{
    if (fftwf_alignment_of((float *)(uintptr_t)in) == 0) return (fftwf_complex *)(uintptr_t)in;
    memcpy(scratch, in, n * sizeof *in);
    return scratch;
}

/* x[n] limited to magnitude limit, phases kept. */
static void clip_at(float limit, size_t n, float complex *x)
{
    float limit2 = limit * limit;
    for (size_t i = 0; i < n; i++) {
        float m2 = crealf(x[i]) * crealf(x[i]) + cimagf(x[i]) * cimagf(x[i]);
        if (m2 > limit2) x[i] *= limit / sqrtf(m2);
    }
}

void ch_ofdm_clip(const ch_ofdm *o, size_t n, float complex *x)
{
    if (o->cfg.clip > 0) clip_at((float)o->cfg.clip, n, x);
}

/* Symbol t on air into tx (its prefix first): the inverse DFT without its N^(-1/2), straight
 * into tx where tx has the plans' alignment, the prefix copied from its tail, and clipping at
 * the ratio times the unscaled signal's RMS, sqrt N. */
static void transmit(const ch_ofdm *o, ch_ofdm_worker *w, const float complex *s, float complex *tx)
{
    unsigned n = o->cfg.n, cp = o->cfg.cp;
    float complex *body = tx + cp;
    if (fftwf_alignment_of((float *)body) == 0) {
        fftwf_execute_dft(o->inverse, plan_input(w->freq, s, n), (fftwf_complex *)body);
    } else {
        fftwf_execute_dft(o->inverse, plan_input(w->freq, s, n), w->time);
        memcpy(body, w->time, n * sizeof *body);
    }
    memcpy(tx, body + n - cp, cp * sizeof *tx);
    if (o->cfg.clip > 0) clip_at(o->tx_limit, n + cp, tx);
}

/* out = *sum (+ the noise where noise is not NULL), eight samples. */
static inline void add_noise_store(float complex *out, const ofdm_cvec *sum,
                                   const float complex *noise)
{
    ofdm_cvec y = *sum;
    if (noise) {
        ofdm_cvec w;
        load_cvec(&w, noise);
        y += w;
    }
    store_cvec(out, &y);
}

/* rx[0..nvec CVEC_SAMPLES) = sum_l g_l tx[i - d_l] (+ noise where noise is not NULL). The sums
 * stay in registers over all taps, CONV_VECS vectors at a time (adding each tap into rx in
 * memory stalled on store-to-load forwarding), starting from +0 and adding the taps in order as
 * the scalar sum did. The noise is added as a block is stored, which saves a pass over the
 * symbol; the sum is complete first, so each sample is the float of adding it afterwards. */
static void convolve_vecs(const ch_profile *p, const float complex *taps, const float complex *tx,
                          size_t nvec, const float complex *noise, float complex *rx)
{
    size_t v = 0;
    for (; v + CONV_VECS <= nvec; v += CONV_VECS) {
        ofdm_cvec acc[CONV_VECS] = {0};
        const float complex *at = tx + v * CVEC_SAMPLES;
        for (unsigned l = 0; l < p->n_taps; l++) {
            cvec_tap g;
            make_tap(&g, taps[l]);
            for (int k = 0; k < CONV_VECS; k++) {
                ofdm_cvec x, product;
                load_cvec(&x, at - p->delay[l] + k * CVEC_SAMPLES);
                cvec_mul(&product, &g, &x);
                acc[k] += product;
            }
        }
        for (int k = 0; k < CONV_VECS; k++)
            add_noise_store(rx + (v + (size_t)k) * CVEC_SAMPLES, &acc[k],
                            noise ? noise + (v + (size_t)k) * CVEC_SAMPLES : NULL);
    }
    for (; v < nvec; v++) { /* N below 64 */
        ofdm_cvec acc = {0};
        size_t i = v * CVEC_SAMPLES;
        for (unsigned l = 0; l < p->n_taps; l++) {
            cvec_tap g;
            ofdm_cvec x, product;
            make_tap(&g, taps[l]);
            load_cvec(&x, tx + i - p->delay[l]);
            cvec_mul(&product, &g, &x);
            acc += product;
        }
        add_noise_store(rx + i, &acc, noise ? noise + i : NULL);
    }
}

/* Receiver: forward DFT of the N samples after the prefix (their scale is in conv_taps and the
 * noise's variance), straight into y where y has the plans' alignment. */
static void receive(const ch_ofdm *o, ch_ofdm_worker *w, const float complex *rx, float complex *y)
{
    unsigned n = o->cfg.n;
    if (fftwf_alignment_of((float *)y) == 0) {
        fftwf_execute_dft(o->forward, plan_input(w->time, rx, n), (fftwf_complex *)y);
    } else {
        fftwf_execute_dft(o->forward, plan_input(w->time, rx, n), w->freq);
        memcpy(y, w->freq, n * sizeof *y);
    }
}

/* Frame b of the batch, its noise drawn. Symbol by symbol from the transmitter's DFT to the
 * receiver's while its samples are in L1; every sample goes through the same operations in the
 * same order as when each stage ran over the whole frame (channel, offset, noise), so the frame
 * is the same bit for bit. The channel's output is computed for the N samples the receiver keeps
 * only: the prefix's are dropped unread (their noise is drawn all the same, so the stream is that
 * of the whole frame). */
static void one_frame(const ch_ofdm *o, ch_ofdm_worker *w, ch_rng *r, size_t b,
                      const float complex *s, float complex *y, float complex *h)
{
    const ch_ofdm_config *c = &o->cfg;
    size_t len = c->n + c->cp, total = frame_samples(c), nvec = c->n / CVEC_SAMPLES;
    float complex *tx = w->tx + w->silence, *rx = w->rx;
    const float complex *noise = w->noise + b * total;
    for (unsigned t = 0; t < c->symbols; t++) {
        size_t kept = (size_t)t * len + c->cp; /* the symbol's first sample after the prefix */
        next_taps(o, w, r, b, t);
        if (h) response(o, w, h + (size_t)t * c->n);
        transmit(o, w, s + (size_t)t * c->n, tx + kept - c->cp);
        if (!w->rotation) {
            convolve_vecs(&c->profile, w->conv_taps, tx + kept, nvec, noise + kept, rx);
        } else {
            /* the offset turns the channel's output before the noise is added */
            convolve_vecs(&c->profile, w->conv_taps, tx + kept, nvec, NULL, rx);
            for (size_t i = 0; i < c->n; i++) rx[i] *= w->rotation[kept + i];
            float *f = (float *)rx;
            const float *nz = (const float *)(noise + kept);
            for (size_t i = 0; i < 2 * (size_t)c->n; i++) f[i] += nz[i];
        }
        receive(o, w, rx, y + (size_t)t * c->n);
    }
}

void ch_ofdm_frames(const ch_ofdm *o, ch_ofdm_worker *w, ch_rng *r, float n0, size_t nframes,
                    const float complex *s, float complex *y, float complex *h)
{
    const ch_ofdm_config *c = &o->cfg;
    size_t frame = (size_t)c->symbols * c->n, total = frame_samples(c);
    for (size_t f0 = 0; f0 < nframes; f0 += w->batch) {
        size_t count = nframes - f0 < w->batch ? nframes - f0 : w->batch;
        if (c->doppler == 0) ch_rng_cgauss(r, count * c->profile.n_taps, 1.0f, w->gains);
        /* N^(-1/2) smaller: the forward DFT leaves out its scale (receive) */
        ch_rng_cgauss(r, count * total, n0 / (float)c->n, w->noise);
        for (size_t b = 0; b < count; b++) {
            size_t at = (f0 + b) * frame;
            one_frame(o, w, r, b, s + at, y + at, h ? h + at : NULL);
        }
    }
}

void ch_ofdm_frame(const ch_ofdm *o, ch_ofdm_worker *w, ch_rng *r, float n0,
                   const float complex *s, float complex *y, float complex *h)
{
    ch_ofdm_frames(o, w, r, n0, 1, s, y, h);
}
