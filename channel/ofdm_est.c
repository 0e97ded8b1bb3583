/* OFDM channel estimators (ofdm_est.h). */
#include "ofdm_est.h"

#include <gsl/gsl_complex_math.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ch_error.h"
#include "pilots.h"

static const char *const names[] = {"perfect", "ls", "lmmse"};

int ch_est_parse(const char *name, ch_est_kind *kind)
{
    for (unsigned i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) return *kind = (ch_est_kind)i, CH_OK;
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
    float *mse;           /* [N] */
};

unsigned ch_ofdm_pilot_carrier(unsigned n, unsigned pilots, unsigned i)
{
    return i * (n / pilots);
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
    *e = (ch_ofdm_est){kind, n, pilots, n / pilots, NULL, -1, NULL, NULL};
    e->r = malloc(n * sizeof *e->r);
    e->mse = malloc(n * sizeof *e->mse);
    if (kind == CH_EST_LMMSE) e->w = malloc((size_t)n * pilots * sizeof *e->w);
    if (!e->r || !e->mse || (kind == CH_EST_LMMSE && !e->w)) {
        ch_ofdm_est_destroy(e);
        return ch_error(CH_ENOMEM, "out of memory"), NULL;
    }
    ch_profile_correlation(profile, n, e->r);
    return e;
}

void ch_ofdm_est_destroy(ch_ofdm_est *e)
{
    if (!e) return;
    free(e->r);
    free(e->w);
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
        float complex h1 = y[i * s] / CH_PILOT, h2 = y[(i + 1) % e->pilots * s] / CH_PILOT;
        for (unsigned j = 0; j < s; j++) {
            float a = (float)j / (float)s;
            h[i * s + j] = (1 - a) * h1 + a * h2;
        }
    }
}

/* W = R_hp (R_pp + n0 I)^(-1) and mse_k = 1 - Re sum_i W_ki conj(R_hp,ki), in double with
 * GSL's LU. */
static int lmmse_prepare(ch_ofdm_est *e, float n0)
{
    unsigned n = e->n, p = e->pilots, s = e->spacing;
    /* without noise R_pp is singular wherever the channel has fewer taps than pilots */
    if (!(n0 > 0 && isfinite(n0)))
        return ch_error(CH_EINVAL, "lmmse needs a noise level n0 > 0, not %g", (double)n0);
    gsl_matrix_complex *a = gsl_matrix_complex_alloc(p, p), *inv = gsl_matrix_complex_alloc(p, p);
    gsl_permutation *perm = gsl_permutation_alloc(p);
    int status = a && inv && perm ? CH_OK : CH_ENOMEM;
    for (unsigned i = 0; !status && i < p; i++)
        for (unsigned j = 0; j < p; j++) {
            double complex v = corr(e, ((long)i - (long)j) * s) + (i == j ? n0 : 0);
            gsl_matrix_complex_set(a, i, j, gsl_complex_rect(creal(v), cimag(v)));
        }
    int sign;
    if (!status && (gsl_linalg_complex_LU_decomp(a, perm, &sign) ||
                    gsl_linalg_complex_LU_invert(a, perm, inv)))
        status = ch_error(CH_EINVAL, "lmmse: singular pilot correlation");
    for (unsigned k = 0; !status && k < n; k++) {
        double err = 1;
        for (unsigned j = 0; j < p; j++) {
            double complex wkj = 0;
            for (unsigned i = 0; i < p; i++) {
                gsl_complex v = gsl_matrix_complex_get(inv, i, j);
                wkj += corr(e, (long)k - (long)i * s) * (GSL_REAL(v) + I * GSL_IMAG(v));
            }
            e->w[(size_t)k * p + j] = (float complex)wkj;
            err -= creal(wkj * conj(corr(e, (long)k - (long)j * s)));
        }
        e->mse[k] = (float)err;
    }
    gsl_matrix_complex_free(a);
    gsl_matrix_complex_free(inv);
    gsl_permutation_free(perm);
    if (!status) e->mse_n0 = n0;
    return status;
}

static void lmmse_estimate(const ch_ofdm_est *e, const float complex *y, float complex *h)
{
    unsigned p = e->pilots, s = e->spacing;
    for (unsigned k = 0; k < e->n; k++) {
        const float complex *w = e->w + (size_t)k * p;
        float complex sum = 0;
        for (unsigned i = 0; i < p; i++) sum += w[i] * (y[i * s] / CH_PILOT);
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
