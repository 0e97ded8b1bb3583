/* AWGN helpers and flat fading: exact values, statistics against theory, configuration errors.
 *
 * Statistical checks use fixed seeds and two-sided bounds of Z999 standard errors: each one
 * alone holds with 99.9% confidence when the code is right (normal approximation of a mean
 * over many independent samples; standard errors computed in double). */
#include "test_util.h"

#include "ch_complex.h"
#include "test_channel_util.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_sf_bessel.h>

#include "channel.h"
#include "fading_jakes.h"

/* Two-sided 99.9% quantile of the standard normal. */
#define Z999 3.2905

static const double two_pi = 6.283185307179586;

static ch_fading *make(ch_chan_kind kind, double k_factor, unsigned coherence, double doppler)
{
    ch_fading_config cfg = {
        .kind = kind, .k_factor = k_factor, .coherence = coherence, .doppler = doppler};
    ch_fading *f = ch_fading_create(&cfg);
    if (!f) fail_msg("ch_fading_create: %s", ch_last_error());
    return f;
}

/* Sample moments in double. */
typedef struct {
    double mean_re, mean_im, var_re, var_im, cov_re_im;
    double p_mean, p_var, p_m4; /* mean, variance and 4th central moment of |h|^2 */
} moments;

static moments moments_of(size_t n, const float complex *h)
{
    moments m = {0};
    for (size_t i = 0; i < n; i++) {
        m.mean_re += crealf(h[i]);
        m.mean_im += cimagf(h[i]);
        m.p_mean += (double)crealf(h[i]) * crealf(h[i]) + (double)cimagf(h[i]) * cimagf(h[i]);
    }
    m.mean_re /= (double)n;
    m.mean_im /= (double)n;
    m.p_mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double a = crealf(h[i]) - m.mean_re, b = cimagf(h[i]) - m.mean_im;
        double p = (double)crealf(h[i]) * crealf(h[i]) + (double)cimagf(h[i]) * cimagf(h[i]);
        double d = p - m.p_mean;
        m.var_re += a * a;
        m.var_im += b * b;
        m.cov_re_im += a * b;
        m.p_var += d * d;
        m.p_m4 += d * d * d * d;
    }
    m.var_re /= (double)(n - 1);
    m.var_im /= (double)(n - 1);
    m.cov_re_im /= (double)(n - 1);
    m.p_var /= (double)(n - 1);
    m.p_m4 /= (double)n;
    return m;
}

/* |x - expect| within Z999 standard errors se. */
static void assert_within(const char *what, double x, double expect, double se)
{
    if (!(fabs(x - expect) <= Z999 * se))
        fail_msg("%s = %.9g, expected %.9g within %.3g (99.9%%)", what, x, expect, Z999 * se);
}

/* Fraction of |h|^2 below t. */
static double fraction_below(size_t n, const float complex *h, double t)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += (double)crealf(h[i]) * crealf(h[i]) + (double)cimagf(h[i]) * cimagf(h[i]) < t;
    return (double)count / (double)n;
}

/* ---------------------------------------------------------------------------------------- */

static void test_n0_helpers(void **state)
{
    (void)state;
    /* By hand: Eb/N0 = 10^0.96 = 9.1201083935591; Es/N0 = 9.1201083935591 * 4 * 0.5 =
     * 18.2402167871182 (12.6102999566398 dB); n0 = 1 / 18.2402167871182 = 0.0548239098071593. */
    assert_close(ch_n0_from_ebn0(9.6, 4, 0.5), 0.0548239098071593, 1e-12, 0.0);
    assert_close(ch_esn0_from_ebn0(9.6, 4, 0.5), 12.6102999566398, 1e-12, 0.0);
    /* 10^-0.7385 = 0.182599674907497; 2.385 + 10 log10(6 * 0.75) = 2.385 + 6.53212513775344. */
    assert_close(ch_n0_from_esn0(7.385), 0.182599674907497, 1e-12, 0.0);
    assert_close(ch_esn0_from_ebn0(2.385, 6, 0.75), 8.91712513775344, 1e-12, 0.0);
    /* Uncoded BPSK: Es/N0 = Eb/N0. */
    assert_close(ch_n0_from_ebn0(-3.17, 1, 1.0), ch_n0_from_esn0(-3.17), 1e-14, 0.0);
    /* The three helpers agree with one another. */
    assert_close(ch_n0_from_ebn0(-3.17, 8, 0.8), ch_n0_from_esn0(ch_esn0_from_ebn0(-3.17, 8, 0.8)),
                 1e-12, 0.0);
    /* No bits per symbol or a rate outside (0, 1] has no meaning: NaN. */
    assert_true(isnan(ch_n0_from_ebn0(5.5, 0, 1.0)));
    assert_true(isnan(ch_n0_from_ebn0(5.5, 2, 0.0)));
    assert_true(isnan(ch_n0_from_ebn0(5.5, 2, 1.25)));
    assert_true(isnan(ch_n0_from_ebn0(5.5, 2, NAN)));
    assert_true(isnan(ch_esn0_from_ebn0(5.5, 0, 0.5)));
    assert_true(isnan(ch_esn0_from_ebn0(5.5, 2, -0.5)));
}

static void test_awgn_add_statistics(void **state)
{
    (void)state;
    /* Not a multiple of the internal block, so the tail block is exercised. */
    const size_t n = (1u << 20) + 77;
    const float n0 = 0.3817f;
    const float complex y0 = CMPLXF(0.625f, -0.25f);
    float complex *y = make_array(n);
    for (size_t i = 0; i < n; i++)
        y[i] = y0;
    ch_rng *r = make_rng(2385, 11);
    ch_awgn_add(r, n, n0, y);
    for (size_t i = 0; i < n; i++)
        y[i] -= y0; /* the noise was added, not written */
    moments m = moments_of(n, y);
    double var = n0 / 2.0, dn = (double)n;
    assert_within("mean re", m.mean_re, 0.0, sqrt(var / dn));
    assert_within("mean im", m.mean_im, 0.0, sqrt(var / dn));
    /* Gaussian sample variance: standard error var sqrt(2 / (n - 1)). */
    assert_within("var re", m.var_re, var, var * sqrt(2.0 / (dn - 1.0)));
    assert_within("var im", m.var_im, var, var * sqrt(2.0 / (dn - 1.0)));
    /* Independent re, im: the correlation coefficient has standard error 1/sqrt(n). */
    assert_within("corr(re, im)", m.cov_re_im / var, 0.0, 1.0 / sqrt(dn));
    /* n = 0 touches nothing. */
    ch_awgn_add(r, 0, n0, NULL);
    ch_rng_destroy(r);
    free(y);
}

static void test_awgn_kind_gives_unit_gain(void **state)
{
    (void)state;
    ch_fading *f = make(CH_CHAN_AWGN, 0.0, 1, 0.0);
    ch_rng *r = make_rng(7, 3);
    float complex h[333];
    ch_fading_reset(f, r);
    ch_fading_gains(f, r, 333, h);
    for (size_t i = 0; i < 333; i++)
        assert_true(h[i] == 1.0f);
    ch_rng_destroy(r);
    ch_fading_destroy(f);
}

static void test_rayleigh_fast_statistics(void **state)
{
    (void)state;
    const size_t n = 1u << 20;
    const double dn = (double)n;
    ch_fading *f = make(CH_CHAN_RAYLEIGH, 0.0, 1, 0.0);
    ch_rng *r = make_rng(2385, 12);
    float complex *h = make_array(n);
    ch_fading_reset(f, r);
    ch_fading_gains(f, r, n, h);
    moments m = moments_of(n, h);
    assert_within("E h re", m.mean_re, 0.0, sqrt(0.5 / dn));
    assert_within("E h im", m.mean_im, 0.0, sqrt(0.5 / dn));
    /* |h|^2 ~ Exp(1): mean 1, variance 1. */
    assert_within("E|h|^2", m.p_mean, 1.0, 1.0 / sqrt(dn));
    assert_within("var |h|^2", m.p_var, 1.0, sqrt((m.p_m4 - m.p_var * m.p_var) / dn));
    /* The exponential law at a deep fade and above the mean: P(|h|^2 < t) = 1 - exp(-t). */
    const double t[] = {0.1, 2.385};
    for (int i = 0; i < 2; i++) {
        double p = 1.0 - exp(-t[i]);
        assert_within("P(|h|^2 < t)", fraction_below(n, h, t[i]), p, sqrt(p * (1 - p) / dn));
    }
    /* Fast fading: consecutive gains uncorrelated. Each product h(k+1) h*(k) has E = 0 and
     * E|.|^2 = 1, so each of re, im of the mean has standard error sqrt(0.5 / n). */
    double c_re = 0.0, c_im = 0.0;
    for (size_t i = 0; i + 1 < n; i++) {
        float complex p = h[i + 1] * conjf(h[i]);
        c_re += crealf(p);
        c_im += cimagf(p);
    }
    assert_within("lag-1 corr re", c_re / (dn - 1), 0.0, sqrt(0.5 / (dn - 1)));
    assert_within("lag-1 corr im", c_im / (dn - 1), 0.0, sqrt(0.5 / (dn - 1)));
    free(h);
    ch_rng_destroy(r);
    ch_fading_destroy(f);
}

static void test_rician_fast_statistics(void **state)
{
    (void)state;
    const size_t n = 1u << 20;
    const double dn = (double)n, k = 2.385;
    const double los = sqrt(k / (k + 1)), scatter = 1.0 / (k + 1);
    ch_fading *f = make(CH_CHAN_RICIAN, k, 1, 0.0);
    ch_rng *r = make_rng(2385, 13);
    float complex *h = make_array(n);
    ch_fading_reset(f, r);
    ch_fading_gains(f, r, n, h);
    moments m = moments_of(n, h);
    /* The mean is the line of sight, phase 0; each component of the scatter has variance
     * scatter / 2. */
    assert_within("E h re", m.mean_re, los, sqrt(scatter / 2 / dn));
    assert_within("E h im", m.mean_im, 0.0, sqrt(scatter / 2 / dn));
    assert_within("var re", m.var_re, scatter / 2, scatter / 2 * sqrt(2.0 / (dn - 1)));
    assert_within("var im", m.var_im, scatter / 2, scatter / 2 * sqrt(2.0 / (dn - 1)));
    /* |h|^2: mean 1, variance (1 + 2K) / (1 + K)^2. */
    double p_var = (1 + 2 * k) / ((1 + k) * (1 + k));
    assert_within("E|h|^2", m.p_mean, 1.0, sqrt(p_var / dn));
    assert_within("var |h|^2", m.p_var, p_var, sqrt((m.p_m4 - m.p_var * m.p_var) / dn));
    free(h);
    ch_rng_destroy(r);
    ch_fading_destroy(f);
}

/* h constant over [from, from + len) and different from h[from - 1] when from > 0. */
static void assert_block(const float complex *h, size_t from, size_t len)
{
    for (size_t i = from; i < from + len; i++) {
        if (h[i] != h[from]) fail_msg("gain %zu differs from %zu in the same block", i, from);
    }
    if (from > 0 && h[from] == h[from - 1])
        fail_msg("gain %zu equals gain %zu across a block boundary", from, from - 1);
}

static void test_block_structure(void **state)
{
    (void)state;
    const unsigned coh = 7;
    ch_fading *f = make(CH_CHAN_RICIAN, 0.8125, coh, 0.0);
    ch_rng *r = make_rng(2385, 14);
    float complex h[100];
    /* Odd call sizes: blocks continue across calls. */
    const size_t calls[] = {5, 11, 3, 20, 1, 40};
    size_t done = 0;
    ch_fading_reset(f, r);
    for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++) {
        ch_fading_gains(f, r, calls[c], h + done);
        done += calls[c];
    }
    assert_int_equal(done, 80);
    for (size_t b = 0; b * coh < done; b++)
        assert_block(h, b * coh, b * coh + coh <= done ? coh : done - b * coh);
    /* A reset in the middle of a block (80 = 11 * 7 + 3) starts a new block at once. */
    ch_fading_reset(f, r);
    ch_fading_gains(f, r, 20, h + done);
    assert_block(h, 80, coh);
    assert_block(h, 80 + coh, coh);
    assert_block(h, 80 + 2 * coh, 20 - 2 * coh);
    ch_rng_destroy(r);
    ch_fading_destroy(f);
}

static void test_block_many_blocks_in_one_call(void **state)
{
    (void)state;
    /* More blocks in one call than the bulk scratch holds, ending inside a block. */
    const unsigned coh = 3;
    const size_t n = 3 * 1000 + 2;
    ch_fading *f = make(CH_CHAN_RAYLEIGH, 0.0, coh, 0.0);
    ch_rng *r = make_rng(2385, 15);
    float complex *h = make_array(n + 4);
    ch_fading_reset(f, r);
    ch_fading_gains(f, r, n, h);
    ch_fading_gains(f, r, 4, h + n); /* 1 finishing the last block, then a new one */
    for (size_t b = 0; b * coh < n + 4; b++)
        assert_block(h, b * coh, b * coh + coh <= n + 4 ? coh : n + 4 - b * coh);
    free(h);
    ch_rng_destroy(r);
    ch_fading_destroy(f);
}

static void test_block_statistics(void **state)
{
    (void)state;
    /* Block gains follow the Rician law of fast fading: one sample per block. */
    const unsigned coh = 5;
    const size_t blocks = 1u << 17, n = blocks * coh;
    const double k = 1.6180, dn = (double)blocks;
    const double los = sqrt(k / (k + 1)), scatter = 1.0 / (k + 1);
    ch_fading *f = make(CH_CHAN_RICIAN, k, coh, 0.0);
    ch_rng *r = make_rng(2385, 16);
    float complex *h = make_array(n);
    ch_fading_reset(f, r);
    ch_fading_gains(f, r, n, h);
    for (size_t b = 0; b < blocks; b++)
        h[b] = h[b * coh];
    moments m = moments_of(blocks, h);
    double p_var = (1 + 2 * k) / ((1 + k) * (1 + k));
    assert_within("E h re", m.mean_re, los, sqrt(scatter / 2 / dn));
    assert_within("E h im", m.mean_im, 0.0, sqrt(scatter / 2 / dn));
    assert_within("E|h|^2", m.p_mean, 1.0, sqrt(p_var / dn));
    free(h);
    ch_rng_destroy(r);
    ch_fading_destroy(f);
}

/* Mean over realisations of the time-averaged autocorrelation of h - E h at the given lags,
 * with its standard error from the spread across realisations (independent by construction). */
typedef struct {
    double re, im, se_re, se_im;
} corr_estimate;

#define MAX_LAGS 8

static void jakes_autocorr(ch_fading *f, ch_rng *r, double mean, int realisations, size_t len,
                           int nlags, const int *lags, corr_estimate *out)
{
    float complex *h = make_array(len);
    double s_re[MAX_LAGS] = {0}, s_im[MAX_LAGS] = {0};
    double q_re[MAX_LAGS] = {0}, q_im[MAX_LAGS] = {0};
    size_t span = len - (size_t)lags[nlags - 1];
    for (int t = 0; t < realisations; t++) {
        ch_fading_reset(f, r);
        ch_fading_gains(f, r, len, h);
        for (int l = 0; l < nlags; l++) {
            double a_re = 0.0, a_im = 0.0;
            for (size_t i = 0; i < span; i++) {
                double complex x = h[i + (size_t)lags[l]] - mean, y = h[i] - mean;
                double complex p = x * conj(y);
                a_re += creal(p);
                a_im += cimag(p);
            }
            a_re /= (double)span;
            a_im /= (double)span;
            s_re[l] += a_re;
            s_im[l] += a_im;
            q_re[l] += a_re * a_re;
            q_im[l] += a_im * a_im;
        }
    }
    double dr = realisations;
    for (int l = 0; l < nlags; l++) {
        out[l].re = s_re[l] / dr;
        out[l].im = s_im[l] / dr;
        out[l].se_re = sqrt((q_re[l] / dr - out[l].re * out[l].re) / (dr - 1));
        out[l].se_im = sqrt((q_im[l] / dr - out[l].im * out[l].im) / (dr - 1));
    }
    free(h);
}

static void test_jakes_autocorrelation(void **state)
{
    (void)state;
    const double fd = 0.05;
    const int lags[] = {0, 1, 5, 10, 20};
    const int nlags = sizeof lags / sizeof lags[0];
    corr_estimate c[MAX_LAGS];
    ch_fading *f = make(CH_CHAN_RAYLEIGH, 0.0, 1, fd);
    ch_rng *r = make_rng(2385, 17);
    jakes_autocorr(f, r, 0.0, 2000, 1000, nlags, lags, c);
    for (int l = 0; l < nlags; l++) {
        /* E[h(k) h*(0)] = J0(2 pi f_D k), real; lag 0 is E|h|^2 = 1. */
        double j0 = gsl_sf_bessel_J0(two_pi * fd * lags[l]);
        char what[64];
        snprintf(what, sizeof what, "autocorr re, lag %d", lags[l]);
        assert_within(what, c[l].re, j0, c[l].se_re);
        snprintf(what, sizeof what, "autocorr im, lag %d", lags[l]);
        assert_within(what, c[l].im, 0.0, c[l].se_im);
    }
    /* The bound is tight enough to see a Doppler 10% off (J0 at lag 10 moves by ~0.09). */
    double j0_off = gsl_sf_bessel_J0(two_pi * 1.1 * fd * 10);
    assert_true(fabs(j0_off - gsl_sf_bessel_J0(two_pi * fd * 10)) > 3 * Z999 * c[3].se_re);
    ch_rng_destroy(r);
    ch_fading_destroy(f);
}

static void test_jakes_rician(void **state)
{
    (void)state;
    /* Rician Doppler: constant line of sight plus Jakes scatter, so
     * E h = sqrt(K/(K+1)) and cov(h(k), h(0)) = J0(2 pi f_D k) / (K+1). */
    const double fd = 0.0317, k = 2.385;
    const double los = sqrt(k / (k + 1));
    const int lags[] = {0, 7, 16};
    corr_estimate c[MAX_LAGS];
    ch_fading *f = make(CH_CHAN_RICIAN, k, 1, fd);
    ch_rng *r = make_rng(2385, 18);
    jakes_autocorr(f, r, los, 1500, 800, 3, lags, c);
    for (int l = 0; l < 3; l++) {
        double cov = gsl_sf_bessel_J0(two_pi * fd * lags[l]) / (k + 1);
        assert_within("rician scatter autocov re", c[l].re, cov, c[l].se_re);
        assert_within("rician scatter autocov im", c[l].im, 0.0, c[l].se_im);
    }
    /* The mean over many realisations is the line of sight. */
    const int realisations = 4000;
    double m_re = 0.0, m_im = 0.0;
    float complex h[3];
    for (int t = 0; t < realisations; t++) {
        ch_fading_reset(f, r);
        ch_fading_gains(f, r, 3, h);
        m_re += crealf(h[2]);
        m_im += cimagf(h[2]);
    }
    double se = sqrt(1.0 / (k + 1) / 2 / realisations);
    assert_within("rician doppler E h re", m_re / realisations, los, se);
    assert_within("rician doppler E h im", m_im / realisations, 0.0, se);
    ch_rng_destroy(r);
    ch_fading_destroy(f);
}

/* max_k |h(k) - reference(k)| over n gains fetched in calls of varying size. */
static double jakes_max_error(ch_fading *f, ch_rng *r, size_t n, float complex *h)
{
    const size_t sizes[] = {1, 255, 256, 1000, 17, 4096, 3};
    size_t done = 0;
    for (int c = 0; done < n; c = (c + 1) % 7) {
        size_t m = sizes[c] < n - done ? sizes[c] : n - done;
        ch_fading_gains(f, r, m, h + done);
        done += m;
    }
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = cabs(h[i] - ch_fading_jakes_reference(f, i));
        worst = e > worst ? e : worst;
    }
    return worst;
}

static void test_jakes_matches_direct_evaluation(void **state)
{
    (void)state;
    /* Both fast ways (Chebyshev terms for slow Doppler, in each of the three vectors of 16 terms;
     * the float table of powers for fast Doppler) stay within 2e-6 of the sum evaluated in
     * double (a few float roundings of |h|, which reaches ~3; up to 1.3e-6 seen over 200 Doppler
     * values), Rayleigh and Rician, over many re-anchorings. */
    const size_t n = 40000;
    const double dopplers[] = {1e-7, 0.0021, 0.01, 0.03, 0.06, 0.1234, 0.5};
    const double kf[] = {0.0, 0.0, 0.75, 0.0, 0.0, 0.75, 0.0};
    const unsigned least_terms[] = {1, 1, 1, 17, 33, 0, 0},
                   most_terms[] = {16, 16, 16, 32, 48, 0, 0};
    float complex *h = make_array(n);
    ch_rng *r = make_rng(2385, 19);
    for (int i = 0; i < 7; i++) {
        ch_fading *f = make(kf[i] > 0.0 ? CH_CHAN_RICIAN : CH_CHAN_RAYLEIGH, kf[i], 1, dopplers[i]);
        unsigned terms = ch_fading_jakes_terms(f);
        if (terms < least_terms[i] || terms > most_terms[i])
            fail_msg("doppler %g: %u Chebyshev terms", dopplers[i], terms);
        for (int t = 0; t < 3; t++) {
            ch_fading_reset(f, r);
            double e = jakes_max_error(f, r, n, h);
            if (!(e <= 2e-6)) fail_msg("doppler %g: max |h - reference| = %.3g", dopplers[i], e);
        }
        ch_fading_destroy(f);
    }
    free(h);
    ch_rng_destroy(r);
}

static void test_jakes_bessel_matches_library(void **state)
{
    (void)state;
    /* Power series below x = 0.5, Miller's recurrence from there, all lanes in one call. */
    const double x[] = {0.0, 1e-9, 0.1,  0.4999, 0.5,  0.5001, 1.0,  2.0, 3.99,
                        8.0, 12.0, 16.0, 20.0,   25.0, 32.0,   40.0, 48.0};
    enum { LANES = sizeof x / sizeof x[0], COUNT = 80 };
    double j[COUNT * LANES];
    ch_fading_jakes_bessel(LANES, x, COUNT, j);
    gsl_error_handler_t *was = gsl_set_error_handler_off(); /* J_59(1e-9) underflows there */
    for (unsigned r = 0; r < COUNT; r++)
        for (unsigned i = 0; i < LANES; i++) {
            gsl_sf_result lib;
            int status = gsl_sf_bessel_Jn_e((int)r, x[i], &lib);
            double want = status == GSL_EUNDRFLW ? 0.0 : lib.val, got = j[r * LANES + i];
            if (status != GSL_SUCCESS && status != GSL_EUNDRFLW)
                fail_msg("library J_%u(%g): %s", r, x[i], gsl_strerror(status));
            if (!(fabs(got - want) <= 1e-13 + 1e-11 * fabs(want)))
                fail_msg("J_%u(%g) = %.17g, library %.17g", r, x[i], got, want);
        }
    gsl_set_error_handler(was);
}

static void test_jakes_long_run_accuracy(void **state)
{
    (void)state;
    /* After 2^21 symbols (4096 re-anchorings) the gains of both ways still match the direct
     * sum. */
    const size_t n = 1u << 21, tail = 4096;
    const double dopplers[] = {0.0731, 0.0097};
    float complex *h = make_array(n);
    ch_rng *r = make_rng(2385, 20);
    for (int d = 0; d < 2; d++) {
        ch_fading *f = make(CH_CHAN_RAYLEIGH, 0.0, 1, dopplers[d]);
        ch_fading_reset(f, r);
        ch_fading_gains(f, r, n, h);
        double worst = 0.0;
        for (size_t i = n - tail; i < n; i++) {
            double e = cabs(h[i] - ch_fading_jakes_reference(f, i));
            worst = e > worst ? e : worst;
        }
        if (!(worst <= 2e-6))
            fail_msg("doppler %g: max |h - reference| near symbol 2^21 = %.3g", dopplers[d], worst);
        ch_fading_destroy(f);
    }
    ch_rng_destroy(r);
    free(h);
}

/* Two objects on two identically seeded streams give bit-identical gains. */
static void assert_deterministic(ch_chan_kind kind, double k, unsigned coh, double doppler)
{
    const size_t n = 5000;
    float complex *a = make_array(n), *b = make_array(n);
    ch_fading *fa = make(kind, k, coh, doppler), *fb = make(kind, k, coh, doppler);
    ch_rng *ra = make_rng(2385, 21), *rb = make_rng(2385, 21);
    /* The first call draws the Doppler realisation when no reset came before. */
    ch_fading_gains(fa, ra, n, a);
    ch_fading_gains(fb, rb, n, b);
    assert_memory_equal(a, b, n * sizeof *a);
    ch_fading_reset(fa, ra);
    ch_fading_reset(fb, rb);
    ch_fading_gains(fa, ra, n, a);
    ch_fading_gains(fb, rb, n, b);
    assert_memory_equal(a, b, n * sizeof *a);
    /* Another stream, other gains. */
    ch_rng_seed(rb, 2385, 22);
    ch_fading_reset(fb, rb);
    ch_fading_gains(fb, rb, n, b);
    assert_true(memcmp(a, b, n * sizeof *a) != 0);
    ch_rng_destroy(ra);
    ch_rng_destroy(rb);
    ch_fading_destroy(fa);
    ch_fading_destroy(fb);
    free(a);
    free(b);
}

static void test_determinism(void **state)
{
    (void)state;
    assert_deterministic(CH_CHAN_RAYLEIGH, 0.0, 1, 0.0);
    assert_deterministic(CH_CHAN_RICIAN, 2.385, 1, 0.0);
    assert_deterministic(CH_CHAN_RICIAN, 2.385, 9, 0.0);
    assert_deterministic(CH_CHAN_RAYLEIGH, 0.0, 1, 0.0417);
    assert_deterministic(CH_CHAN_RICIAN, 2.385, 1, 0.0417);
}

static void test_jakes_independent_of_call_sizes(void **state)
{
    (void)state;
    /* Doppler gains draw nothing after the realisation: how they are fetched cannot matter. */
    const size_t n = 5000;
    const size_t sizes[] = {1, 255, 256, 1000, 3488};
    float complex *a = make_array(n), *b = make_array(n);
    ch_fading *fa = make(CH_CHAN_RICIAN, 0.5, 1, 0.0917);
    ch_fading *fb = make(CH_CHAN_RICIAN, 0.5, 1, 0.0917);
    ch_rng *ra = make_rng(2385, 23), *rb = make_rng(2385, 23);
    ch_fading_reset(fa, ra);
    ch_fading_reset(fb, rb);
    ch_fading_gains(fa, ra, n, a);
    for (size_t c = 0, done = 0; c < 5; done += sizes[c], c++)
        ch_fading_gains(fb, rb, sizes[c], b + done);
    assert_memory_equal(a, b, n * sizeof *a);
    ch_rng_destroy(ra);
    ch_rng_destroy(rb);
    ch_fading_destroy(fa);
    ch_fading_destroy(fb);
    free(a);
    free(b);
}

/* cfg is rejected with a message from ch_fading_create naming field. */
static void assert_rejected(const ch_fading_config *cfg, const char *field)
{
    ch_error(CH_OK, "%s", "");
    ch_fading *f = ch_fading_create(cfg);
    if (f) {
        ch_fading_destroy(f);
        fail_msg("config accepted, expected an error naming %s", field);
    }
    const char *msg = ch_last_error();
    if (!strstr(msg, "ch_fading_create") || !strstr(msg, field))
        fail_msg("message \"%s\" does not name %s", msg, field);
}

static void test_config_errors(void **state)
{
    (void)state;
    const ch_fading_config ray = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1};
    const ch_fading_config ric = {.kind = CH_CHAN_RICIAN, .k_factor = 2.385, .coherence = 1};
    ch_fading_config c;

    assert_rejected(NULL, "cfg");
    c = ray, c.kind = (ch_chan_kind)7, assert_rejected(&c, "kind=7");
    c = ric, c.k_factor = -2.385, assert_rejected(&c, "k_factor=-2.385");
    c = ric, c.k_factor = NAN, assert_rejected(&c, "k_factor");
    c = ric, c.k_factor = INFINITY, assert_rejected(&c, "k_factor");
    /* A K factor given for a channel without line of sight is a mistake, not ignored. */
    c = ray, c.k_factor = 2.385, assert_rejected(&c, "k_factor=2.385");
    c = ray, c.coherence = 0, assert_rejected(&c, "coherence=0");
    c = ray, c.doppler = -0.01, assert_rejected(&c, "doppler=-0.01");
    c = ray, c.doppler = 0.5001, assert_rejected(&c, "doppler=0.5001");
    c = ray, c.doppler = NAN, assert_rejected(&c, "doppler");
    /* Doppler-correlated and block fading exclude each other: both fields named. */
    c = ric, c.doppler = 0.05, c.coherence = 4, assert_rejected(&c, "coherence=4");
    c = ric, c.doppler = 0.05, c.coherence = 4, assert_rejected(&c, "doppler=0.05");
    c = ray, c.kind = CH_CHAN_AWGN, c.coherence = 4, assert_rejected(&c, "coherence=4");
    c = ray, c.kind = CH_CHAN_AWGN, c.doppler = 0.1, assert_rejected(&c, "doppler=0.1");
    c = ray, c.kind = CH_CHAN_AWGN, c.k_factor = 1.5, assert_rejected(&c, "k_factor=1.5");

    /* The edges of the valid ranges are accepted, and the config is kept. */
    const ch_fading_config ok[] = {
        {.kind = CH_CHAN_AWGN, .coherence = 1},
        {.kind = CH_CHAN_RICIAN, .k_factor = 0.0, .coherence = 1},
        {.kind = CH_CHAN_RAYLEIGH, .coherence = 1, .doppler = 0.5},
        {.kind = CH_CHAN_RICIAN, .k_factor = 2.385, .coherence = 4096},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ch_fading *f = ch_fading_create(&ok[i]);
        if (!f) fail_msg("config %zu rejected: %s", i, ch_last_error());
        const ch_fading_config *got = ch_fading_get_config(f);
        assert_int_equal(got->kind, ok[i].kind);
        assert_true(got->k_factor == ok[i].k_factor);
        assert_int_equal(got->coherence, ok[i].coherence);
        assert_true(got->doppler == ok[i].doppler);
        ch_fading_destroy(f);
    }
    ch_fading_destroy(NULL);
}

static void test_channel_names(void **state)
{
    (void)state;
    const ch_chan_kind kinds[] = {CH_CHAN_AWGN, CH_CHAN_RAYLEIGH, CH_CHAN_RICIAN};
    for (int i = 0; i < 3; i++) {
        ch_chan_kind k = (ch_chan_kind)-1;
        assert_int_equal(ch_chan_parse(ch_chan_name(kinds[i]), &k), CH_OK);
        assert_int_equal(k, kinds[i]);
    }
    assert_string_equal(ch_chan_name(CH_CHAN_RICIAN), "rician");
    ch_chan_kind k;
    assert_int_equal(ch_chan_parse("Rayleigh2", &k), CH_EINVAL);
    assert_non_null(strstr(ch_last_error(), "Rayleigh2"));
    assert_int_equal(ch_chan_parse("", &k), CH_EINVAL);
    assert_int_equal(ch_chan_parse(NULL, &k), CH_EINVAL);
    assert_string_equal(ch_chan_name((ch_chan_kind)99), "unknown");
}

static void test_apply(void **state)
{
    (void)state;
    const size_t n = 1001;
    float complex *h = make_array(n), *x = make_array(n), *y = make_array(n);
    ch_rng *r = make_rng(2385, 24);
    ch_rng_cgauss(r, n, 1.7f, h);
    ch_rng_cgauss(r, n, 0.6f, x);
    ch_fading_apply(n, h, x, y);
    for (size_t i = 0; i < n; i++) {
        double complex e = (double complex)h[i] * (double complex)x[i];
        assert_close(crealf(y[i]), creal(e), 0.0, 1e-6 * cabs(e) + 1e-30);
        assert_close(cimagf(y[i]), cimag(e), 0.0, 1e-6 * cabs(e) + 1e-30);
    }
    /* Each product rounded, then their sum or difference, as C says: the products through
     * volatile floats here, which no compiler fuses. A multiply-add (gcc 12's vectoriser made
     * them despite -ffp-contract=off) rounds once and differs in about 40% of products, which
     * made the native build draw other floats than the portable and clang builds. */
    size_t differ = 0;
    for (size_t i = 0; i < n; i++) {
        volatile float p = crealf(h[i]) * crealf(x[i]), q = cimagf(h[i]) * cimagf(x[i]);
        volatile float u = crealf(h[i]) * cimagf(x[i]), v = cimagf(h[i]) * crealf(x[i]);
        differ += crealf(y[i]) != p - q || cimagf(y[i]) != u + v;
    }
    if (differ) fail_msg("%zu of %zu products differ from rounding each product", differ, n);
    /* In place (y aliasing x) gives the same result. */
    ch_fading_apply(n, h, x, x);
    assert_memory_equal(x, y, n * sizeof *y);
    ch_rng_destroy(r);
    free(h);
    free(x);
    free(y);
}

/* Call sizes that fall on, off and across the generator's blocks of 512 complex values. */
static const size_t call_sizes[] = {0, 1, 255, 256, 511, 512, 513, 1000, 4096, 5000, 3};
enum { CALLS_TOTAL = 12147 }; /* the sum of call_sizes */

/* CALLS_TOTAL gains of f into h, every 11th lost (0), in the tails and in whole blocks. */
static void gains_with_losses(ch_fading *f, ch_rng *r, float complex *h)
{
    ch_fading_reset(f, r);
    ch_fading_gains(f, r, CALLS_TOTAL, h);
    for (size_t i = 3; i < CALLS_TOTAL; i += 11)
        h[i] = 0;
}

/* ch_awgn_add_faded is ch_fading_apply then ch_awgn_add, bit for bit, over runs of calls of
 * sizes that fall on, off and across the generator's blocks of 512 complex values, with gains of
 * every kind of fading (zero gains and exact ones among them) and symbols of mixed signs and
 * zeros; the generator then continues alike. */
static void test_awgn_add_faded_is_apply_then_add(void **state)
{
    (void)state;
    enum { TOTAL = CALLS_TOTAL };
    const struct {
        ch_chan_kind kind;
        double k;
        unsigned coherence;
        double doppler;
    } cases[] = {{CH_CHAN_RAYLEIGH, 0, 1, 0},
                 {CH_CHAN_RICIAN, 3, 1, 0},
                 {CH_CHAN_AWGN, 0, 1, 0},
                 {CH_CHAN_RAYLEIGH, 0, 64, 0},
                 {CH_CHAN_RAYLEIGH, 0, 1, 0.01}};
    float complex *x = make_array(TOTAL), *h = make_array(TOTAL), *y1 = make_array(TOTAL);
    float complex *y2 = make_array(TOTAL);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ch_fading *f = make(cases[c].kind, cases[c].k, cases[c].coherence, cases[c].doppler);
        ch_rng *r = make_rng(2385, 60 + c);
        ch_rng_cgauss(r, TOTAL, 1.0f, x);
        for (size_t i = 0; i < TOTAL; i += 7)
            x[i] = 0; /* zero symbols */
        gains_with_losses(f, r, h);
        h[600] = CMPLXF(1, 0), h[601] = CMPLXF(0, -1); /* exact gains */
        /* n0 = 0 adds signed zeros, so that the products' own zeros show in y */
        static const float n0s[] = {0.3f, 0.0f};
        for (size_t v = 0; v < sizeof n0s / sizeof n0s[0]; v++) {
            float n0 = n0s[v];
            ch_rng *r1 = make_rng(2385, 80 + c), *r2 = make_rng(2385, 80 + c);
            memcpy(y1, x, TOTAL * sizeof *x);
            memcpy(y2, x, TOTAL * sizeof *x);
            size_t at = 0;
            for (size_t i = 0; i < sizeof call_sizes / sizeof call_sizes[0]; i++) {
                ch_fading_apply(call_sizes[i], h + at, y1 + at, y1 + at);
                ch_awgn_add(r1, call_sizes[i], n0, y1 + at);
                ch_awgn_add_faded(r2, call_sizes[i], n0, h + at, y2 + at);
                at += call_sizes[i];
            }
            assert_int_equal(at, TOTAL);
            assert_memory_equal(y1, y2, TOTAL * sizeof *y1);
            assert_true(ch_rng_u64(r1) == ch_rng_u64(r2));
            ch_rng_destroy(r1);
            ch_rng_destroy(r2);
        }
        ch_fading_destroy(f);
        ch_rng_destroy(r);
    }
    free(x);
    free(h);
    free(y1);
    free(y2);
}

/* ch_awgn_add_faded_real on real symbols: y = (hr x, hi x) + w, each part one rounded product
 * plus the variate ch_rng_gauss draws, whatever y's imaginary parts held (NaNs here), signs of
 * zeros included; the values of ch_awgn_add_faded on the same symbols with imaginary parts 0 (a
 * zero part may differ in sign only), and the same draws. Call sizes on, off and across the
 * generator's blocks, zero gains and zero symbols among them, with noise and with n0 = 0 (signed
 * zeros added, so that the products' own zeros show). */
static void test_awgn_add_faded_real(void **state)
{
    (void)state;
    enum { TOTAL = CALLS_TOTAL };
    float complex *x = make_array(TOTAL), *h = make_array(TOTAL), *y1 = make_array(TOTAL);
    float complex *y2 = make_array(TOTAL), *w = make_array(TOTAL);
    ch_fading *f = make(CH_CHAN_RAYLEIGH, 0, 1, 0);
    ch_rng *r = make_rng(2385, 90);
    ch_rng_cgauss(r, TOTAL, 1.0f, x);
    for (size_t i = 0; i < TOTAL; i++)
        x[i] = CMPLXF(i % 7 ? crealf(x[i]) : 0.0f, 0.0f); /* real, zeros among them */
    gains_with_losses(f, r, h);
    static const float n0s[] = {0.3f, 0.0f};
    for (size_t v = 0; v < sizeof n0s / sizeof n0s[0]; v++) {
        ch_rng *r1 = make_rng(2385, 91), *r2 = make_rng(2385, 91), *r3 = make_rng(2385, 91);
        memcpy(y1, x, TOTAL * sizeof *x);
        for (size_t i = 0; i < TOTAL; i++)
            y2[i] = CMPLXF(crealf(x[i]), NAN); /* not to be read */
        size_t at = 0;
        for (size_t i = 0; i < sizeof call_sizes / sizeof call_sizes[0]; i++) {
            ch_awgn_add_faded(r1, call_sizes[i], n0s[v], h + at, y1 + at);
            ch_awgn_add_faded_real(r2, call_sizes[i], n0s[v], h + at, y2 + at);
            ch_rng_gauss(r3, 2 * call_sizes[i], sqrtf(0.5f * n0s[v]), (float *)(w + at));
            at += call_sizes[i];
        }
        size_t differ = 0;
        for (size_t i = 0; i < TOTAL; i++) {
            differ += crealf(y1[i]) != crealf(y2[i]) || cimagf(y1[i]) != cimagf(y2[i]);
            volatile float re = crealf(h[i]) * crealf(x[i]), im = cimagf(h[i]) * crealf(x[i]);
            const float expect[2] = {re + crealf(w[i]), im + cimagf(w[i])};
            assert_memory_equal(expect, &y2[i], sizeof y2[i]);
        }
        if (differ) fail_msg("n0 %g: %zu of %d values differ", n0s[v], differ, TOTAL);
        assert_true(ch_rng_u64(r1) == ch_rng_u64(r2));
        ch_rng_destroy(r1);
        ch_rng_destroy(r2);
        ch_rng_destroy(r3);
    }
    ch_fading_destroy(f);
    ch_rng_destroy(r);
    free(x);
    free(h);
    free(y1);
    free(y2);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_n0_helpers),
        cmocka_unit_test(test_awgn_add_statistics),
        cmocka_unit_test(test_awgn_kind_gives_unit_gain),
        cmocka_unit_test(test_rayleigh_fast_statistics),
        cmocka_unit_test(test_rician_fast_statistics),
        cmocka_unit_test(test_block_structure),
        cmocka_unit_test(test_block_many_blocks_in_one_call),
        cmocka_unit_test(test_block_statistics),
        cmocka_unit_test(test_jakes_autocorrelation),
        cmocka_unit_test(test_jakes_rician),
        cmocka_unit_test(test_jakes_matches_direct_evaluation),
        cmocka_unit_test(test_jakes_bessel_matches_library),
        cmocka_unit_test(test_jakes_long_run_accuracy),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_jakes_independent_of_call_sizes),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_channel_names),
        cmocka_unit_test(test_apply),
        cmocka_unit_test(test_awgn_add_faded_is_apply_then_add),
        cmocka_unit_test(test_awgn_add_faded_real),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
