/* OFDM over multipath with FFTW (ofdm.h). */
#include "ofdm.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
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
};

struct ch_ofdm_worker {
    fftwf_complex *freq, *time; /* [N] the transforms' arrays */
    float complex *tx;          /* [spread + T (N + L)]: silence, then the frame on air */
    float complex *rx;          /* [T (N + L)] */
    float complex *rotation;    /* [T (N + L)] e^(j 2 pi eps n / N); NULL without offset */
    float complex taps[CH_MULTIPATH_MAX_TAPS];
    float complex gain[CH_MULTIPATH_MAX_TAPS];
    ch_fading *jakes[CH_MULTIPATH_MAX_TAPS]; /* with Doppler: one unit-power process per tap */
    float amplitude[CH_MULTIPATH_MAX_TAPS];  /* sqrt(p_l) */
};

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
    if (c->profile.n_taps < 1 || ch_profile_spread(&c->profile) >= c->n)
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

ch_ofdm *ch_ofdm_create(const ch_ofdm_config *cfg)
{
    if (ch_ofdm_check(cfg) != CH_OK) return NULL;
    ch_ofdm *o = calloc(1, sizeof *o);
    fftwf_complex *a = fftwf_malloc(sizeof *a * cfg->n), *b = fftwf_malloc(sizeof *b * cfg->n);
    if (o && a && b) {
        o->cfg = *cfg;
        o->scale = (float)(1 / sqrt(cfg->n));
        int n = (int)cfg->n;
        pthread_mutex_lock(&planner_lock);
        o->forward = fftwf_plan_dft_1d(n, a, b, FFTW_FORWARD, FFTW_ESTIMATE);
        o->inverse = fftwf_plan_dft_1d(n, a, b, FFTW_BACKWARD, FFTW_ESTIMATE);
        pthread_mutex_unlock(&planner_lock);
    }
    fftwf_free(a);
    fftwf_free(b);
    if (!o || !o->forward || !o->inverse) {
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
    w->freq = fftwf_malloc(c->n * sizeof *w->freq);
    w->time = fftwf_malloc(c->n * sizeof *w->time);
    w->tx = fftwf_malloc((spread + n) * sizeof *w->tx);
    w->rx = fftwf_malloc(n * sizeof *w->rx);
    if (!w->freq || !w->time || !w->tx || !w->rx || make_rotation(c, w) != CH_OK ||
        make_jakes(c, w) != CH_OK) {
        ch_ofdm_worker_destroy(w);
        return NULL;
    }
    memset(w->tx, 0, spread * sizeof *w->tx); /* the silence before every frame */
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
    fftwf_free(w->tx);
    fftwf_free(w->rx);
    fftwf_free(w->rotation);
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

void ch_ofdm_dft(const ch_ofdm *o, ch_ofdm_worker *w, int inverse, const float complex *in,
                 float complex *out)
{
    unsigned n = o->cfg.n;
    memcpy(w->time, in, n * sizeof *in);
    fftwf_execute_dft(inverse ? o->inverse : o->forward, w->time, w->freq);
    const float complex *f = (const float complex *)w->freq;
    for (unsigned k = 0; k < n; k++) out[k] = f[k] * o->scale;
}

/* The taps of the next symbol: static ones drawn once a frame (symbol 0), Doppler ones moving. */
static void next_taps(const ch_ofdm *o, ch_ofdm_worker *w, ch_rng *r, unsigned t)
{
    const ch_profile *p = &o->cfg.profile;
    if (o->cfg.doppler > 0) {
        for (unsigned l = 0; l < p->n_taps; l++) ch_fading_gains(w->jakes[l], r, 1, &w->gain[l]);
    } else if (t == 0) {
        ch_rng_cgauss(r, p->n_taps, 1.0f, w->gain);
    } else {
        return;
    }
    for (unsigned l = 0; l < p->n_taps; l++) w->taps[l] = w->amplitude[l] * w->gain[l];
}

/* The true response H_k: the (unscaled) DFT of the taps on their delays. */
static void response(const ch_ofdm *o, ch_ofdm_worker *w, float complex *h)
{
    const ch_profile *p = &o->cfg.profile;
    float complex *t = (float complex *)w->time;
    memset(t, 0, o->cfg.n * sizeof *t);
    for (unsigned l = 0; l < p->n_taps; l++) t[p->delay[l]] += w->taps[l];
    fftwf_execute_dft(o->forward, w->time, w->freq);
    memcpy(h, w->freq, o->cfg.n * sizeof *h);
}

/* Symbol t on air: inverse DFT, prefix, clipping, into tx (after the silence). */
static void transmit(const ch_ofdm *o, ch_ofdm_worker *w, const float complex *s, float complex *tx)
{
    unsigned n = o->cfg.n, cp = o->cfg.cp;
    memcpy(w->freq, s, n * sizeof *s);
    fftwf_execute_dft(o->inverse, w->freq, w->time);
    const float complex *x = (const float complex *)w->time;
    float a = o->scale;
    for (unsigned i = 0; i < n; i++) tx[cp + i] = x[i] * a;
    for (unsigned i = 0; i < cp; i++) tx[i] = tx[n + i];
    if (o->cfg.clip > 0) {
        float limit = (float)o->cfg.clip, limit2 = limit * limit;
        for (unsigned i = 0; i < n + cp; i++) {
            float m2 = crealf(tx[i]) * crealf(tx[i]) + cimagf(tx[i]) * cimagf(tx[i]);
            if (m2 > limit2) tx[i] *= limit / sqrtf(m2);
        }
    }
}

/* rx[i] = sum_l g_l tx[i - d_l] over one symbol's samples (tx preceded by its history). */
static void convolve(const ch_ofdm *o, const ch_ofdm_worker *w, const float complex *tx,
                     size_t count, float complex *rx)
{
    const ch_profile *p = &o->cfg.profile;
    for (size_t i = 0; i < count; i++) rx[i] = 0;
    for (unsigned l = 0; l < p->n_taps; l++) {
        float complex g = w->taps[l];
        const float complex *x = tx - p->delay[l];
        for (size_t i = 0; i < count; i++) rx[i] += g * x[i];
    }
}

/* Receiver: drops the prefix, forward DFT, scale. */
static void receive(const ch_ofdm *o, ch_ofdm_worker *w, const float complex *rx, float complex *y)
{
    unsigned n = o->cfg.n;
    memcpy(w->time, rx + o->cfg.cp, n * sizeof *rx);
    fftwf_execute_dft(o->forward, w->time, w->freq);
    const float complex *f = (const float complex *)w->freq;
    for (unsigned k = 0; k < n; k++) y[k] = f[k] * o->scale;
}

void ch_ofdm_frame(const ch_ofdm *o, ch_ofdm_worker *w, ch_rng *r, float n0,
                   const float complex *s, float complex *y, float complex *h)
{
    const ch_ofdm_config *c = &o->cfg;
    size_t len = c->n + c->cp, total = frame_samples(c);
    float complex *tx = w->tx + ch_profile_spread(&c->profile);
    for (unsigned t = 0; t < c->symbols; t++) {
        next_taps(o, w, r, t);
        if (h) response(o, w, h + (size_t)t * c->n);
        transmit(o, w, s + (size_t)t * c->n, tx + t * len);
        convolve(o, w, tx + t * len, len, w->rx + t * len);
    }
    if (w->rotation)
        for (size_t i = 0; i < total; i++) w->rx[i] *= w->rotation[i];
    ch_awgn_add(r, total, n0, w->rx);
    for (unsigned t = 0; t < c->symbols; t++)
        receive(o, w, w->rx + t * len, y + (size_t)t * c->n);
}
