/* OFDM channel estimators (ofdm_est.h). */
#include "ofdm_est.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ch_error.h"
#include "pilots.h"

static const char *const names[] = {"perfect", "ls", "lmmse"};

int ch_est_parse(const char *name, ch_est_kind *kind)
{
    for (unsigned i = 0; i < 3; i++)
        if (strcasecmp(name, names[i]) == 0) return *kind = (ch_est_kind)i, CH_OK;
    return ch_error(CH_EINVAL, "unknown estimator '%s' (perfect, ls, lmmse)", name);
}

const char *ch_est_name(ch_est_kind kind)
{
    return names[kind];
}

struct ch_ofdm_est {
    ch_est_kind kind;
    unsigned n, pilots, spacing;
    double complex *r;    /* [N] the frequency correlation, r[m] = E H_k conj(H_(k-m)) */
    float mse_n0;         /* the noise level w and mse were made for; < 0: none yet */
    float complex *w;     /* [N P] the LMMSE weights */
    double complex *chol; /* [P P] R_pp + n0 I, then its Cholesky factor */
    double complex *x;    /* [P] a solve's right-hand side and solution */
    float complex *pilot; /* [P] the pilot of each pilot subcarrier (ch_ofdm_pilot_value) */
    float *mse;           /* [N] */
};

unsigned ch_ofdm_pilot_carrier(unsigned n, unsigned pilots, unsigned i)
{
    return i * (n / pilots);
}

float complex ch_ofdm_pilot_value(unsigned pilots, unsigned i)
{
    const double pi = 3.14159265358979323846264338327950288;
    /* i^2 mod 2P keeps the phase argument small and exact */
    unsigned long long q = (unsigned long long)i * i % (2ull * pilots);
    return (float complex)cexp(-I * pi * (double)q / pilots);
}

ch_ofdm_est *ch_ofdm_est_create(ch_est_kind kind, unsigned n, unsigned pilots,
                                const ch_profile *profile)
{
    if (pilots < 1 || pilots > n || n % pilots)
        return ch_error(CH_EINVAL, "%u pilots do not divide %u subcarriers evenly", pilots, n),
               NULL;
    if (kind == CH_EST_LMMSE && pilots > CH_EST_LMMSE_MAX_PILOTS)
        return ch_error(CH_EINVAL, "lmmse takes at most %u pilots, not %u",
                        CH_EST_LMMSE_MAX_PILOTS, pilots), NULL;
    ch_ofdm_est *e = calloc(1, sizeof *e);
    if (!e) return ch_error(CH_ENOMEM, "out of memory"), NULL;
    *e = (ch_ofdm_est){.kind = kind, .n = n, .pilots = pilots, .spacing = n / pilots, .mse_n0 = -1};
    e->r = malloc(n * sizeof *e->r);
    e->mse = malloc(n * sizeof *e->mse);
    e->pilot = malloc(pilots * sizeof *e->pilot);
    if (kind == CH_EST_LMMSE) {
        e->w = malloc((size_t)n * pilots * sizeof *e->w);
        e->chol = malloc((size_t)pilots * pilots * sizeof *e->chol);
        e->x = malloc(pilots * sizeof *e->x);
    }
    bool lmmse_ok = kind != CH_EST_LMMSE || (e->w && e->chol && e->x);
    if (!e->r || !e->mse || !e->pilot || !lmmse_ok) {
        ch_ofdm_est_destroy(e);
        return ch_error(CH_ENOMEM, "out of memory"), NULL;
    }
    ch_profile_correlation(profile, n, e->r);
    for (unsigned i = 0; i < pilots; i++) e->pilot[i] = ch_ofdm_pilot_value(pilots, i);
    return e;
}

void ch_ofdm_est_destroy(ch_ofdm_est *e)
{
    if (!e) return;
    free(e->r);
    free(e->w);
    free(e->chol);
    free(e->x);
    free(e->pilot);
    free(e->mse);
    free(e);
}

/* r at any lag m: periodic with period N, as the delays are whole samples. */
static double complex corr(const ch_ofdm_est *e, long m)
{
    long n = e->n;
    return e->r[((m % n) + n) % n];
}

/* Linear interpolation of subcarrier k between pilots i and i + 1 (wrapping): weight a of the
 * second. */
static void ls_neighbours(const ch_ofdm_est *e, unsigned k, unsigned *i, double *a)
{
    *i = k / e->spacing;
    *a = (double)(k % e->spacing) / e->spacing;
}

static double ls_mse(const ch_ofdm_est *e, double n0, unsigned k)
{
    unsigned i;
    double a;
    ls_neighbours(e, k, &i, &a);
    long p1 = (long)i * e->spacing, p2 = p1 + e->spacing, kk = k;
    double b = 1 - a;
    return 1 + (b * b + a * a) * (1 + n0) + 2 * a * b * creal(corr(e, p1 - p2)) -
           2 * b * creal(corr(e, kk - p1)) - 2 * a * creal(corr(e, kk - p2));
}

static void ls_estimate(const ch_ofdm_est *e, const float complex *y, float complex *h)
{
    unsigned s = e->spacing;
    for (unsigned i = 0; i < e->pilots; i++) {
        unsigned i2 = (i + 1) % e->pilots;
        float complex h1 = y[i * s] * conjf(e->pilot[i]), h2 = y[i2 * s] * conjf(e->pilot[i2]);
        for (unsigned j = 0; j < s; j++) {
            float a = (float)j / (float)s;
            h[i * s + j] = (1 - a) * h1 + a * h2;
        }
    }
}

/* Cholesky factor of the Hermitian positive definite a[p p] in place (lower triangle, a = L L^H).
 * Written here rather than taken from GSL: GSL's complex routines call the CBLAS complex dot
 * kernels, and OpenBLAS 0.3.21's (Debian 12) read past their arrays on some CPUs, which crashed
 * the LMMSE set-up intermittently; the matrices are at most 512 x 512. CH_OK, or CH_EINVAL when a
 * pivot is not positive. */
static int cholesky(double complex *a, unsigned p)
{
    for (unsigned j = 0; j < p; j++) {
        double d = creal(a[(size_t)j * p + j]);
        for (unsigned k = 0; k < j; k++) {
            double complex l = a[(size_t)j * p + k];
            d -= creal(l) * creal(l) + cimag(l) * cimag(l);
        }
        if (!(d > 0)) return ch_error(CH_EINVAL, "lmmse: pilot correlation not positive definite");
        double root = sqrt(d);
        a[(size_t)j * p + j] = root;
        for (unsigned i = j + 1; i < p; i++) {
            double complex sum = a[(size_t)i * p + j];
            for (unsigned k = 0; k < j; k++) sum -= a[(size_t)i * p + k] * conj(a[(size_t)j * p + k]);
            a[(size_t)i * p + j] = sum / root;
        }
    }
    return CH_OK;
}

/* x = (L L^H)^(-1) b with the factor of cholesky (forward then back substitution, in place). */
static void cholesky_solve(const double complex *l, unsigned p, double complex *x)
{
    for (unsigned i = 0; i < p; i++) {
        double complex sum = x[i];
        for (unsigned k = 0; k < i; k++) sum -= l[(size_t)i * p + k] * x[k];
        x[i] = sum / creal(l[(size_t)i * p + i]);
    }
    for (unsigned i = p; i-- > 0;) {
        double complex sum = x[i];
        for (unsigned k = i + 1; k < p; k++) sum -= conj(l[(size_t)k * p + i]) * x[k];
        x[i] = sum / creal(l[(size_t)i * p + i]);
    }
}

/* W = R_hp (R_pp + n0 I)^(-1) and mse_k = 1 - Re sum_i W_ki conj(R_hp,ki), in double: with
 * A = R_pp + n0 I Hermitian, row k of W is the conjugate of x = A^(-1) b, b_i = conj(R_hp,ki). */
static int lmmse_prepare(ch_ofdm_est *e, float n0)
{
    unsigned n = e->n, p = e->pilots, s = e->spacing;
    /* without noise R_pp is singular wherever the channel has fewer taps than pilots */
    if (!(n0 > 0 && isfinite(n0)))
        return ch_error(CH_EINVAL, "lmmse needs a noise level n0 > 0, not %g", (double)n0);
    for (unsigned i = 0; i < p; i++)
        for (unsigned j = 0; j < p; j++)
            e->chol[(size_t)i * p + j] = corr(e, ((long)i - (long)j) * s) + (i == j ? n0 : 0);
    int status = cholesky(e->chol, p);
    for (unsigned k = 0; status == CH_OK && k < n; k++) {
        for (unsigned i = 0; i < p; i++) e->x[i] = conj(corr(e, (long)k - (long)i * s));
        cholesky_solve(e->chol, p, e->x);
        double err = 1;
        for (unsigned j = 0; j < p; j++) {
            e->w[(size_t)k * p + j] = (float complex)conj(e->x[j]);
            err -= creal(conj(e->x[j]) * conj(corr(e, (long)k - (long)j * s)));
        }
        e->mse[k] = (float)err;
    }
    if (status == CH_OK) e->mse_n0 = n0;
    return status;
}

static void lmmse_estimate(const ch_ofdm_est *e, const float complex *y, float complex *h)
{
    unsigned p = e->pilots, s = e->spacing;
    for (unsigned k = 0; k < e->n; k++) {
        const float complex *w = e->w + (size_t)k * p;
        float complex sum = 0;
        for (unsigned i = 0; i < p; i++) sum += w[i] * (y[i * s] * conjf(e->pilot[i]));
        h[k] = sum;
    }
}

int ch_ofdm_estimate(ch_ofdm_est *e, const float complex *y, float n0, float complex *h,
                     float *mse)
{
    if (e->kind == CH_EST_LS) {
        ls_estimate(e, y, h);
        if (mse && e->mse_n0 != n0) {
            for (unsigned k = 0; k < e->n; k++) e->mse[k] = (float)ls_mse(e, n0, k);
            e->mse_n0 = n0;
        }
        if (mse) memcpy(mse, e->mse, e->n * sizeof *mse);
        return CH_OK;
    }
    if (e->kind == CH_EST_LMMSE) {
        int status = e->mse_n0 != n0 ? lmmse_prepare(e, n0) : CH_OK;
        if (status != CH_OK) return status;
        lmmse_estimate(e, y, h);
        if (mse) memcpy(mse, e->mse, e->n * sizeof *mse);
        return CH_OK;
    }
    for (unsigned k = 0; mse && k < e->n; k++) mse[k] = 0;
    return CH_OK;
}

double ch_ofdm_est_mse(ch_ofdm_est *e, float n0, unsigned k)
{
    if (e->kind == CH_EST_LS) return ls_mse(e, n0, k);
    if (e->kind == CH_EST_LMMSE) {
        if (e->mse_n0 != n0 && lmmse_prepare(e, n0) != CH_OK) return NAN;
        return e->mse[k];
    }
    return 0;
}
