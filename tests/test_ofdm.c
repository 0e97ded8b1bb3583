/* OFDM over multipath (channel/multipath.h, channel/ofdm.h, channel/ofdm_est.h) and OFDM links
 * in the simulator: exact properties of the transforms and of a noiseless frame, the profiles
 * and their frequency correlation, the estimators' mean squared errors against their analytic
 * values, bit error rates against the flat-Rayleigh and LS-pilot closed forms, the prefix's
 * effect, determinism over thread counts, and the configurations refused.
 *
 * Statistical checks use fixed seeds (chosen once, never tuned to pass) and two-sided 99.9%
 * bounds: Z999 standard errors of a mean over independent units, or the Clopper-Pearson
 * interval. Where values are correlated the independent unit is named at each check:
 *   - a frame with static taps (ch_ofdm_frame, or ch_ofdm_frames, which draws a batch of
 *     frames' taps and noise together) has its own taps and noise, so frames are independent;
 *     statistics averaged over the subcarriers of a frame are taken one value per frame, with
 *     the standard error from the spread of those values across frames;
 *   - in the simulator the bit errors of one OFDM frame are correlated (one set of taps serves
 *     all its subcarriers), and a chunk of the engine holds whole frames drawn from its own
 *     stream, so chunks are independent: the interval is on the effective counts (bits and
 *     errors over the design effect measured from the spread of the chunks' error counts,
 *     sim_design_effect), from 256 chunks or more, so that the measured variance itself is good
 *     to about 9% (a t quantile of 255 degrees of freedom, 3.32, hardly differs from Z999).
 * Each check alone has a 0.1% false alarm rate; with some sixty of them a fresh seed would fail
 * somewhere about once in twenty runs, which is why the seeds are fixed. */
#include "test_sim.h"

#include "ch_complex.h"
#include "test_channel_util.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

/* Two-sided 99.9% quantile of the standard normal. */
#define Z999 3.2905

static const double two_pi = 6.283185307179586;

/* ---- helpers ------------------------------------------------------------------------------ */

static ch_profile profile_of(ch_profile_kind kind)
{
    ch_profile p;
    if (ch_profile_make(kind, CH_MULTIPATH_DEFAULT_FS, &p) != CH_OK)
        fail_msg("ch_profile_make: %s", ch_last_error());
    return p;
}

static ch_ofdm *make_ofdm(unsigned n, unsigned cp, unsigned symbols, ch_profile_kind kind,
                          double doppler)
{
    ch_ofdm_config cfg = {.n = n, .cp = cp, .symbols = symbols, .profile = profile_of(kind),
                          .doppler = doppler};
    ch_ofdm *o = ch_ofdm_create(&cfg);
    if (!o) fail_msg("ch_ofdm_create: %s", ch_last_error());
    return o;
}

static ch_ofdm_worker *make_worker(const ch_ofdm *o)
{
    ch_ofdm_worker *w = ch_ofdm_worker_create(o);
    assert_non_null(w);
    return w;
}

static double abs2(double complex z)
{
    return creal(z) * creal(z) + cimag(z) * cimag(z);
}

static double energy(size_t n, const float complex *x)
{
    double e = 0;
    for (size_t i = 0; i < n; i++) e += abs2(x[i]);
    return e;
}

/* Mean and standard error of independent samples, in double. */
typedef struct {
    double n, sum, sum_sq;
} running;

static void take(running *a, double x)
{
    a->n += 1, a->sum += x, a->sum_sq += x * x;
}

static double mean_of(const running *a)
{
    return a->sum / a->n;
}

static double se_of(const running *a)
{
    double m = mean_of(a), var = (a->sum_sq - a->n * m * m) / (a->n - 1);
    return sqrt((var > 0 ? var : 0) / a->n);
}

/* |x - expect| within Z999 standard errors se. */
static void assert_within(const char *what, double x, double expect, double se)
{
    if (!(fabs(x - expect) <= Z999 * se))
        fail_msg("%s = %.9g, expected %.9g within %.3g (99.9%%)", what, x, expect, Z999 * se);
}

/* ---- 1. the unitary transforms ------------------------------------------------------------ */

/* Forward then inverse gives the input back; energy is kept; a delta at 0 has the flat spectrum
 * 1/sqrt(N) and a delta at 1 the phase ramp e^(-j 2 pi k / N) / sqrt(N) (e^(+j ...) inverse),
 * which fixes sign and scale; at N <= 64 the forward transform of noise equals a direct sum in
 * double; in place works. */
static void test_dft_round_trip(void **state)
{
    (void)state;
    const unsigned sizes[] = {8, 64, 4096};
    ch_rng *r = make_rng(20261201, 1);
    for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
        unsigned n = sizes[c];
        ch_ofdm *o = make_ofdm(n, 0, 1, CH_PROFILE_EXP, 0);
        ch_ofdm_worker *w = make_worker(o);
        float complex *x = make_array(n), *f = make_array(n), *back = make_array(n);
        ch_rng_cgauss(r, n, 1.0f, x);
        ch_ofdm_dft(o, w, 0, x, f);
        ch_ofdm_dft(o, w, 1, f, back);
        double ex = energy(n, x), err = 0, max_err = 0, max_x = 0;
        for (unsigned i = 0; i < n; i++) {
            double e = abs2(back[i] - x[i]);
            err += e;
            max_err = fmax(max_err, sqrt(e));
            max_x = fmax(max_x, cabsf(x[i]));
        }
        if (!(sqrt(err / ex) <= 1e-5 && max_err <= 1e-5 * max_x))
            fail_msg("N = %u: round trip off by %.3g (rms relative), %.3g (max)", n,
                     sqrt(err / ex), max_err);
        assert_close(energy(n, f), ex, 1e-5, 0.0);
        /* inverse then forward too */
        ch_ofdm_dft(o, w, 1, x, f);
        ch_ofdm_dft(o, w, 0, f, back);
        assert_close(energy(n, f), ex, 1e-5, 0.0);
        for (unsigned i = 0; i < n; i++) assert_true(cabsf(back[i] - x[i]) <= 1e-5 * max_x);
        /* in place gives what out of place gives */
        ch_ofdm_dft(o, w, 0, x, f);
        memcpy(back, x, n * sizeof *x);
        ch_ofdm_dft(o, w, 0, back, back);
        for (unsigned i = 0; i < n; i++) assert_true(cabsf(back[i] - f[i]) <= 1e-6 * max_x);
        /* against the definition, X_k = N^(-1/2) sum_n x_n e^(-j 2 pi k n / N) */
        if (n <= 64) {
            for (unsigned k = 0; k < n; k++) {
                double complex sum = 0;
                for (unsigned i = 0; i < n; i++)
                    sum += x[i] * cexp(-I * two_pi * (double)(k * i % n) / n);
                sum /= sqrt(n);
                assert_true(cabs(f[k] - sum) <= 1e-5 * sqrt(ex / n));
            }
        }
        /* deltas */
        double a = 1 / sqrt(n);
        memset(x, 0, n * sizeof *x);
        x[0] = 1;
        ch_ofdm_dft(o, w, 0, x, f);
        for (unsigned k = 0; k < n; k++) assert_true(cabsf(f[k] - (float)a) <= 1e-5 * a);
        ch_ofdm_dft(o, w, 1, x, f);
        for (unsigned k = 0; k < n; k++) assert_true(cabsf(f[k] - (float)a) <= 1e-5 * a);
        x[0] = 0, x[1] = 1;
        ch_ofdm_dft(o, w, 0, x, f);
        for (unsigned k = 0; k < n; k++)
            assert_true(cabs(f[k] - a * cexp(-I * two_pi * k / n)) <= 1e-5 * a);
        ch_ofdm_dft(o, w, 1, x, f);
        for (unsigned k = 0; k < n; k++)
            assert_true(cabs(f[k] - a * cexp(I * two_pi * k / n)) <= 1e-5 * a);
        free(x);
        free(f);
        free(back);
        ch_ofdm_worker_destroy(w);
        ch_ofdm_destroy(o);
    }
    ch_rng_destroy(r);
}

/* ---- 2. a frame without noise ------------------------------------------------------------- */

/* With no noise, a prefix at least the spread (equal to it included), no clipping and no offset,
 * the receiver's FFT gives Y = H X exactly (up to float rounding, 1e-4 of the frame's RMS), H
 * being the response reported, which is ch_profile_response of the last taps. Static taps keep
 * H over a frame and draw it anew the next frame; Doppler taps move it from symbol to symbol. */
static void test_frame_noiseless(void **state)
{
    (void)state;
    const struct {
        ch_profile_kind kind;
        unsigned cp;
    } cases[] = {{CH_PROFILE_EXP, 16}, {CH_PROFILE_EVA, 16}, {CH_PROFILE_ETU, 16},
                 {CH_PROFILE_EXP, 7},  {CH_PROFILE_ETU, 15}};
    const double dopplers[] = {0, 0.05};
    const unsigned n = 64, symbols = 4;
    float complex *s = make_array(n * symbols), *y = make_array(n * symbols),
                  *h = make_array(n * symbols), *h_prev = make_array(n * symbols),
                  *ref = make_array(n);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (size_t d = 0; d < 2; d++) {
            ch_ofdm *o = make_ofdm(n, cases[c].cp, symbols, cases[c].kind, dopplers[d]);
            ch_ofdm_worker *w = make_worker(o);
            ch_profile p = profile_of(cases[c].kind);
            ch_rng *r = make_rng(20261202, c * 2 + d);
            ch_ofdm_reset(o, w, r);
            for (unsigned frame = 0; frame < 3; frame++) {
                ch_rng_cgauss(r, n * symbols, 1.0f, s);
                ch_ofdm_frame(o, w, r, 0.0f, s, y, h);
                double rms = 0;
                for (unsigned i = 0; i < n * symbols; i++) rms += abs2(h[i] * s[i]);
                rms = sqrt(rms / (n * symbols));
                for (unsigned i = 0; i < n * symbols; i++)
                    if (!(cabsf(y[i] - h[i] * s[i]) <= 1e-4 * rms))
                        fail_msg("%s cp %u doppler %g: y[%u] = %g%+gi, H s = %g%+gi",
                                 ch_profile_name(cases[c].kind), cases[c].cp, dopplers[d], i,
                                 crealf(y[i]), cimagf(y[i]), crealf(h[i] * s[i]),
                                 cimagf(h[i] * s[i]));
                ch_profile_response(&p, ch_ofdm_last_taps(w), n, ref);
                const float complex *h_last = h + (size_t)(symbols - 1) * n;
                double eh = energy(n, h_last);
                for (unsigned k = 0; k < n; k++)
                    assert_true(cabsf(ref[k] - h_last[k]) <= 1e-5 * sqrt(eh / n));
                /* static taps: one H a frame; Doppler: H moves (J0(2 pi 0.05 3) = 0.79) */
                double moved = 0;
                for (unsigned k = 0; k < n; k++) moved += abs2(h_last[k] - h[k]);
                if (dopplers[d] == 0)
                    assert_true(moved == 0);
                else
                    assert_true(moved > 1e-3 * eh);
                /* each frame a new channel */
                if (frame > 0) assert_true(energy(n, h) > 0 && memcmp(h, h_prev, n * sizeof *h));
                memcpy(h_prev, h, n * symbols * sizeof *h);
            }
            ch_rng_destroy(r);
            ch_ofdm_worker_destroy(w);
            ch_ofdm_destroy(o);
        }
    }
    free(s);
    free(y);
    free(h);
    free(h_prev);
    free(ref);
}

/* The true response reported against ch_profile_response (in double) of the last taps, within
 * 1e-5 of the RMS response: channels within 8 samples (exp, EPA) at N >= 64 have it from the
 * last stage of a radix-8 FFT of their own (ofdm.c, response_short; every N / 8 subcarriers one
 * block of 8 vectors), longer ones (EVA) or smaller N from FFTW; static taps and Doppler. */
static void test_response_short_channels(void **state)
{
    (void)state;
    const ch_profile_kind kinds[] = {CH_PROFILE_EXP, CH_PROFILE_EPA, CH_PROFILE_EVA};
    const unsigned ns[] = {32, 64, 128, 1024};
    for (size_t c = 0; c < 3; c++)
        for (size_t a = 0; a < 4; a++)
            for (int d = 0; d < 2; d++) {
                unsigned n = ns[a];
                ch_ofdm *o = make_ofdm(n, n / 4, 2, kinds[c], d ? 0.05 : 0);
                ch_ofdm_worker *w = make_worker(o);
                ch_profile p = profile_of(kinds[c]);
                ch_rng *r = make_rng(20261203, c * 8 + a * 2 + (size_t)d);
                float complex *s = make_array(2 * n), *y = make_array(2 * n),
                              *h = make_array(2 * n), *ref = make_array(n);
                ch_ofdm_reset(o, w, r);
                for (int frame = 0; frame < 4; frame++) {
                    ch_rng_cgauss(r, 2 * n, 1.0f, s);
                    ch_ofdm_frame(o, w, r, 0.1f, s, y, h);
                    ch_profile_response(&p, ch_ofdm_last_taps(w), n, ref);
                    double rms = sqrt(energy(n, ref) / n);
                    for (unsigned k = 0; k < n; k++)
                        if (!(cabsf(h[n + k] - ref[k]) <= 1e-5 * rms))
                            fail_msg("%s N %u doppler %d: H[%u] = %g%+gi, expected %g%+gi",
                                     ch_profile_name(kinds[c]), n, d, k, crealf(h[n + k]),
                                     cimagf(h[n + k]), crealf(ref[k]), cimagf(ref[k]));
                }
                free(s);
                free(y);
                free(h);
                free(ref);
                ch_rng_destroy(r);
                ch_ofdm_worker_destroy(w);
                ch_ofdm_destroy(o);
            }
}

/* A symbol shorter than the convolution's block of 64 samples (N = 8 with a prefix of 7) is
 * convolved one vector of 8 samples at a time, reaching back into the history: Y = H X still
 * holds (an index i - d_l once went below 0 in unsigned arithmetic, undefined behaviour that
 * UBSan reported). */
static void test_frame_short_symbol(void **state)
{
    (void)state;
    const unsigned n = 8, cp = 7, symbols = 2;
    ch_ofdm *o = make_ofdm(n, cp, symbols, CH_PROFILE_EXP, 0);
    ch_ofdm_worker *w = make_worker(o);
    ch_rng *r = make_rng(20261201, 0);
    float complex *s = make_array(n * symbols), *y = make_array(n * symbols),
                  *h = make_array(n * symbols);
    ch_ofdm_reset(o, w, r);
    for (unsigned frame = 0; frame < 3; frame++) {
        ch_rng_cgauss(r, n * symbols, 1.0f, s);
        ch_ofdm_frame(o, w, r, 0.0f, s, y, h);
        for (unsigned i = 0; i < n * symbols; i++)
            assert_true(cabsf(y[i] - h[i] * s[i]) <= 1e-4f * (1 + cabsf(h[i] * s[i])));
    }
    free(s);
    free(y);
    free(h);
    ch_rng_destroy(r);
    ch_ofdm_worker_destroy(w);
    ch_ofdm_destroy(o);
}

/* ch_ofdm_frames, which draws the taps and noise of a batch of frames together: over 250
 * frames (several batches, the last one partial) without noise Y = H X holds frame by frame,
 * static taps are drawn anew for every frame (no H_0 repeats, across batch boundaries too), with
 * noise no frame's noise repeats another's, and the same stream and count give the same frames
 * bit for bit. With Doppler, Y = H X still holds symbol by symbol. */
static void test_frames_batch(void **state)
{
    (void)state;
    const unsigned n = 64, nframes = 250;
    const double dopplers[] = {0, 0.05};
    for (unsigned d = 0; d < 2; d++) {
        unsigned symbols = d ? 2 : 1, frame = n * symbols;
        size_t total = (size_t)nframes * frame;
        ch_ofdm *o = make_ofdm(n, 16, symbols, CH_PROFILE_EVA, dopplers[d]);
        ch_ofdm_worker *w = make_worker(o);
        float complex *s = make_array(total), *y = make_array(total), *h = make_array(total),
                      *y2 = make_array(total), *h2 = make_array(total);
        ch_rng *r = make_rng(20261213, d);
        ch_rng_cgauss(r, total, 1.0f, s);
        ch_ofdm_reset(o, w, r);
        ch_ofdm_frames(o, w, r, 0.0f, nframes, s, y, h);
        for (unsigned f = 0; f < nframes; f++) {
            const float complex *yf = y + (size_t)f * frame, *hf = h + (size_t)f * frame,
                                *sf = s + (size_t)f * frame;
            double rms = 0;
            for (unsigned i = 0; i < frame; i++) rms += abs2(hf[i] * sf[i]);
            rms = sqrt(rms / frame);
            for (unsigned i = 0; i < frame; i++)
                if (!(cabsf(yf[i] - hf[i] * sf[i]) <= 1e-4 * rms))
                    fail_msg("doppler %g frame %u: y[%u] is not H s", dopplers[d], f, i);
            for (unsigned g = 0; g < f; g++) assert_true(hf[0] != h[(size_t)g * frame]);
        }
        /* noise: no frame's repeats another's */
        ch_ofdm_frames(o, w, r, 0.5f, nframes, s, y, h);
        for (unsigned f = 0; f < nframes; f++) {
            size_t a = (size_t)f * frame;
            float complex wf = y[a] - h[a] * s[a];
            for (unsigned g = 0; g < f; g++) {
                size_t b = (size_t)g * frame;
                assert_true(wf != y[b] - h[b] * s[b]);
            }
        }
        /* the same stream, the same frames */
        ch_rng *r1 = make_rng(20261214, d), *r2 = make_rng(20261214, d);
        ch_ofdm_reset(o, w, r1);
        ch_ofdm_frames(o, w, r1, 0.1f, nframes, s, y, h);
        ch_ofdm_reset(o, w, r2);
        ch_ofdm_frames(o, w, r2, 0.1f, nframes, s, y2, h2);
        assert_memory_equal(y, y2, total * sizeof *y);
        assert_memory_equal(h, h2, total * sizeof *h);
        ch_rng_destroy(r1);
        ch_rng_destroy(r2);
        ch_rng_destroy(r);
        free(s);
        free(y);
        free(h);
        free(y2);
        free(h2);
        ch_ofdm_worker_destroy(w);
        ch_ofdm_destroy(o);
    }
}

/* The noise at the FFT's output: Y - H X is CN(0, n0) on every subcarrier (mean 0, E|W|^2 = n0,
 * neighbours uncorrelated), so that Es/N0 per subcarrier is 1/n0. 512 frames of 8 symbols of 64:
 * 262144 independent values (white noise through a unitary DFT stays white); |W|^2 is
 * exponential with standard deviation n0, W W'* has E|.|^2 = n0^2, half of it in each part. */
static void test_frame_noise_per_subcarrier(void **state)
{
    (void)state;
    const unsigned n = 64, symbols = 8, frames = 512;
    const float n0 = 0.25f;
    ch_ofdm *o = make_ofdm(n, 16, symbols, CH_PROFILE_EVA, 0);
    ch_ofdm_worker *w = make_worker(o);
    ch_rng *r = make_rng(20261203, 1);
    float complex *s = make_array(n * symbols), *y = make_array(n * symbols),
                  *h = make_array(n * symbols);
    double sum_re = 0, sum_p = 0, lag_re = 0, count = 0, lags = 0;
    for (unsigned f = 0; f < frames; f++) {
        ch_rng_cgauss(r, n * symbols, 1.0f, s);
        ch_ofdm_frame(o, w, r, n0, s, y, h);
        for (unsigned i = 0; i < n * symbols; i++) {
            double complex e = y[i] - h[i] * s[i];
            sum_re += creal(e), sum_p += abs2(e), count++;
            if (i % n) {
                double complex prev = y[i - 1] - h[i - 1] * s[i - 1];
                lag_re += creal(e * conj(prev)), lags++;
            }
        }
    }
    assert_within("E Re W", sum_re / count, 0, sqrt(n0 / 2 / count));
    assert_within("E|W|^2", sum_p / count, n0, n0 / sqrt(count));
    assert_within("Re E W_k W_(k-1)*", lag_re / lags, 0, n0 / sqrt(2 * lags));
    free(s);
    free(y);
    free(h);
    ch_rng_destroy(r);
    ch_ofdm_worker_destroy(w);
    ch_ofdm_destroy(o);
}

/* ---- 3. profiles -------------------------------------------------------------------------- */

static double db_to_lin(double db)
{
    return pow(10, db / 10);
}

static void assert_profile(ch_profile_kind kind, unsigned count, const unsigned *delay,
                           const double *power)
{
    ch_profile p = profile_of(kind);
    double total = 0, sum = 0;
    for (unsigned i = 0; i < count; i++) total += power[i];
    if (p.n_taps != count)
        fail_msg("%s: %u taps, expected %u", ch_profile_name(kind), p.n_taps, count);
    for (unsigned i = 0; i < count; i++) {
        assert_int_equal(p.delay[i], delay[i]);
        assert_close(p.power[i], power[i] / total, 1e-12, 0.0);
        sum += p.power[i];
    }
    assert_close(sum, 1.0, 1e-12, 0.0);
    assert_int_equal(ch_profile_spread(&p), delay[count - 1]);
}

/* The taps on the sample grid at 3 MHz, from the 3GPP tables by hand: tau fs = 0.09, 0.45 -> 0,
 * 0.93, 1.11 -> 1, ..., 7.53 -> 8 for EVA (its last delay round(2510e-9 3e6) = 8), and 1.5 ->
 * 2 (halves up), 15.0 -> 15 for ETU; taps on one sample add their powers. */
static void test_profiles(void **state)
{
    (void)state;
    unsigned exp_delay[8];
    double exp_power[8];
    for (unsigned t = 0; t < 8; t++) exp_delay[t] = t, exp_power[t] = exp(-(double)t);
    assert_profile(CH_PROFILE_EXP, 8, exp_delay, exp_power);

    const unsigned epa_delay[] = {0, 1};
    const double epa_power[] = {1 + db_to_lin(-1) + db_to_lin(-2) + db_to_lin(-3) + db_to_lin(-8),
                                db_to_lin(-17.2) + db_to_lin(-20.8)};
    assert_profile(CH_PROFILE_EPA, 2, epa_delay, epa_power);

    const unsigned eva_delay[] = {0, 1, 2, 3, 5, 8};
    const double eva_power[] = {1 + db_to_lin(-1.5) + db_to_lin(-1.4),
                                db_to_lin(-3.6) + db_to_lin(-0.6), db_to_lin(-9.1),
                                db_to_lin(-7.0), db_to_lin(-12.0), db_to_lin(-16.9)};
    assert_profile(CH_PROFILE_EVA, 6, eva_delay, eva_power);

    const unsigned etu_delay[] = {0, 1, 2, 5, 7, 15};
    const double etu_power[] = {3 * db_to_lin(-1), 2 * db_to_lin(0), db_to_lin(0), db_to_lin(-3),
                                db_to_lin(-5), db_to_lin(-7)};
    assert_profile(CH_PROFILE_ETU, 6, etu_delay, etu_power);

    /* the sample rate moves the 3GPP taps, not exp's; a bad rate is refused */
    ch_profile p;
    assert_int_equal(ch_profile_make(CH_PROFILE_ETU, 6e6, &p), CH_OK);
    assert_int_equal(ch_profile_spread(&p), 30);
    assert_int_equal(ch_profile_make(CH_PROFILE_EXP, 6e6, &p), CH_OK);
    assert_int_equal(ch_profile_spread(&p), 7);
    assert_int_not_equal(ch_profile_make(CH_PROFILE_EVA, 0, &p), CH_OK);
    assert_int_not_equal(ch_profile_make(CH_PROFILE_EVA, NAN, &p), CH_OK);
    assert_int_not_equal(ch_profile_make(CH_PROFILE_EVA, -3e6, &p), CH_OK);
    assert_int_not_equal(ch_profile_make(CH_PROFILE_ETU, 1e12, &p), CH_OK); /* 5e6 samples */

    /* the correlation: r[0] = 1, |r[m]| <= 1, r[N - m] = conj r[m], r[m] by the definition */
    const ch_profile_kind kinds[] = {CH_PROFILE_EXP, CH_PROFILE_EVA, CH_PROFILE_ETU};
    double complex r[64];
    for (size_t c = 0; c < 3; c++) {
        p = profile_of(kinds[c]);
        ch_profile_correlation(&p, 64, r);
        assert_close(creal(r[0]), 1.0, 1e-12, 0.0);
        assert_close(cimag(r[0]), 0.0, 0.0, 1e-12);
        for (unsigned m = 1; m < 64; m++) {
            assert_true(cabs(r[m]) <= 1 + 1e-12);
            assert_true(cabs(r[64 - m] - conj(r[m])) <= 1e-12);
            double complex direct = 0;
            for (unsigned l = 0; l < p.n_taps; l++)
                direct += p.power[l] * cexp(-I * two_pi * m * p.delay[l] / 64.0);
            assert_true(cabs(r[m] - direct) <= 1e-12);
        }
    }
}

/* The channel's statistics over many frames match the profile: E|H_k|^2 = 1 on every
 * subcarrier and E H_k conj(H_(k-m)) = r[m]. 20000 independent frames (static taps, drawn anew
 * each frame), EVA's by ch_ofdm_frame, ETU's by ch_ofdm_frames. Per subcarrier |H_k|^2 is exponential of mean 1 across frames (standard error
 * 1/sqrt(F)), and uncorrelated from frame to frame; the lag products are averaged over the k of a frame first, one value a frame,
 * the standard error from their spread across frames. */
static void test_channel_statistics(void **state)
{
    (void)state;
    const unsigned n = 64, frames = 20000, lags[] = {0, 1, 3, 8, 21, 32};
    const ch_profile_kind kinds[] = {CH_PROFILE_EVA, CH_PROFILE_ETU};
    const unsigned batch = 1000;
    float complex *s = make_array(n), *y = make_array(n), *h_one = make_array(n),
                  *s_all = make_array((size_t)batch * n), *y_all = make_array((size_t)batch * n),
                  *h_all = make_array((size_t)batch * n);
    for (unsigned k = 0; k < n; k++) s[k] = CH_PILOT;
    for (size_t i = 0; i < (size_t)batch * n; i++) s_all[i] = CH_PILOT;
    for (size_t c = 0; c < 2; c++) {
        float complex *h = h_one;
        ch_ofdm *o = make_ofdm(n, 16, 1, kinds[c], 0);
        ch_ofdm_worker *w = make_worker(o);
        ch_rng *r = make_rng(20261204, c);
        ch_profile p = profile_of(kinds[c]);
        double complex rho[64];
        ch_profile_correlation(&p, n, rho);
        running p0 = {0}, p37 = {0}, re[6] = {{0}}, im[6] = {{0}}, cross = {0};
        double complex prev0 = 0;
        for (unsigned f = 0; f < frames; f++) {
            /* ETU through ch_ofdm_frames: 1000 frames a call, the one used below */
            if (kinds[c] == CH_PROFILE_EVA)
                ch_ofdm_frame(o, w, r, 0.0f, s, y, h);
            else if (f % batch == 0)
                ch_ofdm_frames(o, w, r, 0.0f, batch, s_all, y_all, h_all);
            if (kinds[c] == CH_PROFILE_ETU) h = h_all + (size_t)(f % batch) * n;
            take(&p0, abs2(h[0]));
            if (f > 0) take(&cross, creal(h[0] * conj(prev0)));
            prev0 = h[0];
            take(&p37, abs2(h[37]));
            for (unsigned j = 0; j < 6; j++) {
                double complex sum = 0;
                for (unsigned k = 0; k < n; k++) sum += h[k] * conjf(h[(k + n - lags[j]) % n]);
                take(&re[j], creal(sum) / n);
                take(&im[j], cimag(sum) / n);
            }
        }
        assert_within("E|H_0|^2", mean_of(&p0), 1.0, 1.0 / sqrt(frames));
        assert_within("E|H_37|^2", mean_of(&p37), 1.0, 1.0 / sqrt(frames));
        /* successive frames independent: Re H_0(f) H_0(f-1)* has mean 0, variance 1/2, and the
         * products are uncorrelated with one another */
        assert_within("Re E H_0(f) H_0(f-1)*", mean_of(&cross), 0.0, sqrt(0.5 / cross.n));
        for (unsigned j = 0; j < 6; j++) {
            char what[64];
            snprintf(what, sizeof what, "%s Re r[%u]", ch_profile_name(kinds[c]), lags[j]);
            assert_within(what, mean_of(&re[j]), creal(rho[lags[j]]), se_of(&re[j]));
            /* at lags 0 and N/2 the sum over k pairs each term with its conjugate: real in
             * every frame, as r[0] and r[N/2] are */
            if (lags[j] == 0 || lags[j] == n / 2) {
                assert_true(fabs(cimag(rho[lags[j]])) <= 1e-12);
                assert_true(fabs(mean_of(&im[j])) <= 1e-6);
                continue;
            }
            snprintf(what, sizeof what, "%s Im r[%u]", ch_profile_name(kinds[c]), lags[j]);
            assert_within(what, mean_of(&im[j]), cimag(rho[lags[j]]), se_of(&im[j]));
        }
        ch_rng_destroy(r);
        ch_ofdm_worker_destroy(w);
        ch_ofdm_destroy(o);
    }
    free(s);
    free(y);
    free(h_one);
    free(s_all);
    free(y_all);
    free(h_all);
}

/* ---- 6. estimation errors ----------------------------------------------------------------- */

static ch_ofdm_est *make_est(ch_est_kind kind, unsigned n, unsigned pilots, const ch_profile *p)
{
    ch_ofdm_est *e = ch_ofdm_est_create(kind, n, pilots, p);
    if (!e) fail_msg("ch_ofdm_est_create: %s", ch_last_error());
    return e;
}

/* LS and LMMSE from P = 64, 16, 8 pilots over EVA at N = 64, n0 = 0.1 and 0.01: the measured
 * mean of |H_k - h_k|^2 over the subcarriers matches the mean of the analytic ch_ofdm_est_mse
 * (one value a frame, 4000 independent frames, standard error from their spread); on single
 * subcarriers the error is a linear function of Gaussian taps and noise, CN(0, mse_k), so
 * |H_k - h_k|^2 is exponential with standard error mse_k / sqrt(F). LMMSE is the least-MSE
 * linear estimate from the same pilots as LS's interpolation, so its analytic MSE is at most
 * LS's on every subcarrier, and its measured MSE is below LS's (paired on the same frames, one
 * sided at 99.9%, still Z999 standard errors). The MSE ch_ofdm_estimate gives is
 * ch_ofdm_est_mse's; LS's at a pilot is n0. */
static void test_estimation_mse(void **state)
{
    (void)state;
    const unsigned n = 64, frames = 4000, pilots[] = {64, 16, 8};
    const float n0s[] = {0.1f, 0.01f};
    const ch_profile p = profile_of(CH_PROFILE_EVA);
    ch_ofdm *o = make_ofdm(n, 16, 1, CH_PROFILE_EVA, 0);
    ch_ofdm_worker *w = make_worker(o);
    float complex *s = make_array(n), *y = make_array(n), *h = make_array(n),
                  *est = make_array(n), *y_pilots = make_array(n);
    float mse[64];
    for (unsigned k = 0; k < n; k++) s[k] = CH_PILOT;
    for (unsigned q = 0; q < 2; q++) {
        float n0 = n0s[q];
        ch_rng *r = make_rng(20261206, q);
        ch_ofdm_est *e[2][3];
        double analytic[2][3];
        for (unsigned kind = 0; kind < 2; kind++) {
            for (unsigned j = 0; j < 3; j++) {
                e[kind][j] = make_est(kind ? CH_EST_LMMSE : CH_EST_LS, n, pilots[j], &p);
                analytic[kind][j] = 0;
                for (unsigned k = 0; k < n; k++)
                    analytic[kind][j] += ch_ofdm_est_mse(e[kind][j], n0, k) / n;
            }
        }
        for (unsigned j = 0; j < 3; j++) {
            for (unsigned k = 0; k < n; k++) {
                double ls = ch_ofdm_est_mse(e[0][j], n0, k), lm = ch_ofdm_est_mse(e[1][j], n0, k);
                if (!(lm <= ls * (1 + 1e-5) && lm > 0))
                    fail_msg("P %u n0 %g k %u: analytic LMMSE %g above LS %g", pilots[j], n0, k,
                             lm, ls);
                if (k % (n / pilots[j]) == 0) assert_close(ls, n0, 1e-6, 0.0);
            }
        }
        running all[2][3], diff[3], one_ls = {0}, one_lm = {0};
        memset(all, 0, sizeof all);
        memset(diff, 0, sizeof diff);
        for (unsigned f = 0; f < frames; f++) {
            ch_ofdm_frame(o, w, r, n0, s, y, h);
            double frame_mse[2];
            for (unsigned j = 0; j < 3; j++) {
                /* the frame sent ones; the estimators expect pilot i of P to carry the chirp
                 * z_i: y z_i is what z_i would have given (H z_i + W z_i, W z_i ~ W) */
                unsigned spacing = n / pilots[j];
                memcpy(y_pilots, y, n * sizeof *y);
                for (unsigned i = 0; i < pilots[j]; i++)
                    y_pilots[i * spacing] *= ch_ofdm_pilot_value(pilots[j], i);
                for (unsigned kind = 0; kind < 2; kind++) {
                    assert_int_equal(ch_ofdm_estimate(e[kind][j], y_pilots, n0, est, mse), CH_OK);
                    double sum = 0;
                    for (unsigned k = 0; k < n; k++) sum += abs2(h[k] - est[k]);
                    take(&all[kind][j], frame_mse[kind] = sum / n);
                    if (f == 0)
                        for (unsigned k = 0; k < n; k++)
                            assert_close(mse[k], ch_ofdm_est_mse(e[kind][j], n0, k), 1e-6, 0.0);
                    if (kind == 0 && j == 1) take(&one_ls, abs2(h[6] - est[6]));
                    if (kind == 1 && j == 2) take(&one_lm, abs2(h[4] - est[4]));
                }
                take(&diff[j], frame_mse[0] - frame_mse[1]);
            }
        }
        for (unsigned j = 0; j < 3; j++) {
            for (unsigned kind = 0; kind < 2; kind++) {
                char what[80];
                snprintf(what, sizeof what, "%s P %u n0 %g: mean |H - h|^2",
                         kind ? "lmmse" : "ls", pilots[j], n0);
                if (getenv("TEST_OFDM_VERBOSE"))
                    printf("  %s: %.5g +- %.2g, analytic %.5g\n", what, mean_of(&all[kind][j]),
                           se_of(&all[kind][j]), analytic[kind][j]);
                assert_within(what, mean_of(&all[kind][j]), analytic[kind][j],
                              se_of(&all[kind][j]));
            }
            if (!(mean_of(&diff[j]) > Z999 * se_of(&diff[j])))
                fail_msg("P %u n0 %g: LMMSE's measured MSE %g not below LS's %g", pilots[j], n0,
                         mean_of(&all[1][j]), mean_of(&all[0][j]));
        }
        double m6 = ch_ofdm_est_mse(e[0][1], n0, 6), m4 = ch_ofdm_est_mse(e[1][2], n0, 4);
        assert_within("ls P 16 |H_6 - h_6|^2", mean_of(&one_ls), m6, m6 / sqrt(frames));
        assert_within("lmmse P 8 |H_4 - h_4|^2", mean_of(&one_lm), m4, m4 / sqrt(frames));
        for (unsigned kind = 0; kind < 2; kind++)
            for (unsigned j = 0; j < 3; j++) ch_ofdm_est_destroy(e[kind][j]);
        ch_rng_destroy(r);
    }
    /* perfect estimates nothing and has no error */
    ch_ofdm_est *perfect = make_est(CH_EST_PERFECT, n, n, &p);
    assert_int_equal(ch_ofdm_estimate(perfect, y, 0.1f, est, mse), CH_OK);
    for (unsigned k = 0; k < n; k++) assert_true(mse[k] == 0 && ch_ofdm_est_mse(perfect, 0.1f, k) == 0);
    ch_ofdm_est_destroy(perfect);
    free(s);
    free(y);
    free(h);
    free(est);
    free(y_pilots);
    ch_ofdm_worker_destroy(w);
    ch_ofdm_destroy(o);
}

/* ---- 4, 5, 7. bit error rates of OFDM links ----------------------------------------------- */

static sim_link ofdm_link(ch_mod_kind mod, ch_est_kind est, unsigned pilots,
                          ch_profile_kind profile, unsigned cp)
{
    return (sim_link){.mod = mod, .fading = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1},
                      .rx = SIM_RX_HARD,
                      .ofdm = {.n = 64, .cp = cp, .pilots = pilots, .symbols = 1,
                               .profile = profile, .sample_rate = CH_MULTIPATH_DEFAULT_FS,
                               .est = est}};
}

/* A point of link run for exactly `chunks` chunks (no error-count stop). */
static sim_counts run_chunks(sim_link link, uint64_t seed, unsigned point, double ebn0_db,
                             uint64_t chunks)
{
    sim_chain *c = test_chain(link, 0);
    const sim_ofdm *o = &link.ofdm;
    size_t frame = (size_t)(1 + o->symbols) * o->n;
    size_t data = (size_t)(o->n - o->pilots) + (size_t)o->symbols * o->n;
    uint64_t bits = sim_chain_chunk_symbols(c) / frame * data * sim_chain_bits_per_symbol(c);
    sim_counts counts = test_run_point(c, seed, point, ebn0_db, UINT64_MAX, chunks * bits, 2);
    assert_int_equal(counts.chunks, chunks);
    sim_chain_destroy(c);
    return counts;
}

/* The 99.9% Clopper-Pearson interval on the effective counts (see the top of the file). */
static void interval_999(const sim_counts *c, double *lo, double *hi)
{
    double deff = sim_design_effect(c->bit_errors, c->bits, c->chunks, c->chunk_error_sq);
    sim_clopper_pearson_real((double)c->bit_errors / deff, (double)c->bits / deff, 0.999, lo, hi);
    if (getenv("TEST_OFDM_VERBOSE"))
        printf("  %.1f dB: %llu errors in %llu bits, %llu chunks, ber %.4e, design effect %.2f, "
               "99.9%% [%.4e, %.4e]\n", c->ebn0_db, (unsigned long long)c->bit_errors,
               (unsigned long long)c->bits, (unsigned long long)c->chunks,
               (double)c->bit_errors / (double)c->bits, deff, *lo, *hi);
}

static double rayleigh_ber(ch_mod_kind mod, double ebn0_db)
{
    const ch_fading_config rayleigh_fast = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1};
    double ber, ser;
    if (sim_theory_point(mod, &rayleigh_fast, ebn0_db, &ber, &ser) != SIM_OK)
        fail_msg("sim_theory_point: %s", sim_last_error());
    return ber;
}

static void assert_inside(const char *what, const sim_counts *c, double p)
{
    double lo, hi;
    interval_999(c, &lo, &hi);
    if (!(lo <= p && p <= hi))
        fail_msg("%s at %.1f dB: %llu errors in %llu bits (ber %.4e, 99.9%% [%.4e, %.4e]), "
                 "theory %.4e", what, c->ebn0_db, (unsigned long long)c->bit_errors,
                 (unsigned long long)c->bits, (double)c->bit_errors / (double)c->bits, lo, hi, p);
}

static void assert_outside(const char *what, const sim_counts *c, double p)
{
    double lo, hi;
    interval_999(c, &lo, &hi);
    if (lo <= p && p <= hi)
        fail_msg("%s at %.1f dB: %.4e is inside [%.4e, %.4e]: the check has no power", what,
                 c->ebn0_db, p, lo, hi);
}

/* With perfect CSI and a prefix that holds the channel (EVA spans 9 samples, prefix 16), every
 * subcarrier is a flat Rayleigh channel (E|H_k|^2 = 1) at Es/N0 = k Eb/N0: the BER of a hard
 * detector is sim_theory_point's over fast Rayleigh fading, whatever the correlation between
 * subcarriers (it correlates the errors, not their rate). QPSK at 10 and 20 dB, 16-QAM at
 * 15 dB, 512 chunks each (128 frames a chunk). Power: the theory of 1 dB less Eb/N0 is outside
 * every interval. */
static void test_perfect_csi_is_flat_rayleigh(void **state)
{
    (void)state;
    const struct {
        ch_mod_kind mod;
        double ebn0_db;
    } points[] = {{CH_MOD_QPSK, 10}, {CH_MOD_QPSK, 20}, {CH_MOD_16QAM, 15}};
    for (unsigned i = 0; i < 3; i++) {
        sim_link link = ofdm_link(points[i].mod, CH_EST_PERFECT, 64, CH_PROFILE_EVA, 16);
        sim_counts c = run_chunks(link, 20261207, i, points[i].ebn0_db, 512);
        assert_inside(ch_mod_name(points[i].mod), &c, rayleigh_ber(points[i].mod,
                                                                   points[i].ebn0_db));
        assert_outside("1 dB less", &c, rayleigh_ber(points[i].mod, points[i].ebn0_db - 1));
    }
}

/* LS from a full pilot symbol (P = N) over taps static for the frame: the data subcarrier k is
 * detected with h_k = Y_pilot,k / z_k = H_k + W_k (z_k the pilot chirp), which is sim_theory_ls_pilot's model at
 * Es/N0 = Eb/N0 + 10 log10(2) for QPSK. 10 and 20 dB, 512 chunks each. Power: the perfect-CSI
 * BER at the same Es/N0 is outside the interval. */
static void test_ls_full_pilots_closed_form(void **state)
{
    (void)state;
    const double ebn0[] = {10, 20};
    for (unsigned i = 0; i < 2; i++) {
        sim_link link = ofdm_link(CH_MOD_QPSK, CH_EST_LS, 64, CH_PROFILE_EVA, 16);
        sim_counts c = run_chunks(link, 20261208, i, ebn0[i], 512);
        double p;
        assert_int_equal(sim_theory_ls_pilot(CH_MOD_QPSK, ebn0[i] + 10 * log10(2), &p), SIM_OK);
        assert_inside("LS qpsk", &c, p);
        assert_outside("perfect CSI", &c, rayleigh_ber(CH_MOD_QPSK, ebn0[i]));
    }
}

/* ETU spans 16 samples: without a prefix the previous symbol leaks in and the circular
 * convolution breaks, a floor that shows at 25 dB: QPSK with perfect CSI, 256 chunks each, the
 * interval of cp = 0 lies wholly above that of cp = 16, which holds the theory. */
static void test_no_prefix_is_worse(void **state)
{
    (void)state;
    sim_counts with = run_chunks(ofdm_link(CH_MOD_QPSK, CH_EST_PERFECT, 64, CH_PROFILE_ETU, 16),
                                 20261209, 0, 25, 256);
    sim_counts without = run_chunks(ofdm_link(CH_MOD_QPSK, CH_EST_PERFECT, 64, CH_PROFILE_ETU, 0),
                                    20261209, 1, 25, 256);
    assert_inside("cp 16", &with, rayleigh_ber(CH_MOD_QPSK, 25));
    double lo_with, hi_with, lo_without, hi_without;
    interval_999(&with, &lo_with, &hi_with);
    interval_999(&without, &lo_without, &hi_without);
    if (!(hi_with < lo_without))
        fail_msg("cp 0 BER [%.4e, %.4e] not above cp 16's [%.4e, %.4e]", lo_without, hi_without,
                 lo_with, hi_with);
}

/* ---- 8. determinism ----------------------------------------------------------------------- */

/* The same seed gives the same counts with 1, 2 and 4 threads: 16-QAM, LS from 16 pilots, 3
 * data symbols a frame, Doppler 0.01 (tap processes running across frames within a chunk),
 * stopped on errors. */
static void test_threads_deterministic(void **state)
{
    (void)state;
    sim_link link = ofdm_link(CH_MOD_16QAM, CH_EST_LS, 16, CH_PROFILE_EVA, 16);
    link.ofdm.symbols = 3;
    link.ofdm.doppler = 0.01;
    link.rx = SIM_RX_MAXLOG;
    sim_chain *c = test_chain(link, 0);
    sim_counts ref = test_run_point(c, 20261210, 3, 15, 20000, 100000000, 1);
    assert_true(ref.bit_errors >= 20000 && ref.chunks >= SIM_ENGINE_MIN_CHUNKS_MEMORY);
    const int threads[] = {2, 4};
    for (unsigned i = 0; i < 2; i++) {
        sim_counts t = test_run_point(c, 20261210, 3, 15, 20000, 100000000, threads[i]);
        assert_int_equal(t.bits, ref.bits);
        assert_int_equal(t.bit_errors, ref.bit_errors);
        assert_int_equal(t.symbols, ref.symbols);
        assert_int_equal(t.symbol_errors, ref.symbol_errors);
        assert_int_equal(t.chunks, ref.chunks);
        assert_true(t.chunk_error_sq == ref.chunk_error_sq);
    }
    /* another seed, other counts */
    sim_counts other = test_run_point(c, 20261211, 3, 15, 20000, 100000000, 2);
    assert_true(other.bit_errors != ref.bit_errors || other.bits != ref.bits);
    sim_chain_destroy(c);
}

/* ---- 9. configurations refused ------------------------------------------------------------ */

/* ch_ofdm_check and ch_ofdm_create refuse cfg, with a message containing word. */
static void assert_refused(ch_ofdm_config cfg, const char *word)
{
    if (ch_ofdm_check(&cfg) == CH_OK) fail_msg("a bad config (%s) accepted", word);
    if (!strstr(ch_last_error(), word))
        fail_msg("message '%s' does not name '%s'", ch_last_error(), word);
    assert_null(ch_ofdm_create(&cfg));
}

static void test_bad_configs(void **state)
{
    (void)state;
    const ch_ofdm_config good = {.n = 64, .cp = 16, .symbols = 2,
                                 .profile = profile_of(CH_PROFILE_EVA)};
    assert_int_equal(ch_ofdm_check(&good), CH_OK);
    ch_ofdm_config c = good;
    c.n = 48;
    assert_refused(c, "subcarriers");
    c.n = 100;
    assert_refused(c, "subcarriers");
    c.n = 4;
    c.cp = 0;
    c.profile = profile_of(CH_PROFILE_EPA);
    assert_refused(c, "subcarriers");
    c.n = 8192;
    assert_refused(c, "subcarriers");
    c = good;
    c.cp = 64;
    assert_refused(c, "prefix");
    c.cp = 100;
    assert_refused(c, "prefix");
    c = good;
    c.n = 8, c.cp = 4; /* EVA's last tap at 8 samples: not inside 8 */
    assert_refused(c, "spans");
    c.profile = profile_of(CH_PROFILE_ETU);
    assert_refused(c, "spans");
    c = good;
    c.clip = -1;
    assert_refused(c, "clipping");
    c.clip = NAN;
    assert_refused(c, "clipping");
    c = good;
    c.cfo = NAN;
    assert_refused(c, "offset");
    c.cfo = INFINITY;
    assert_refused(c, "offset");
    c = good;
    c.doppler = 0.6;
    assert_refused(c, "Doppler");
    c.doppler = -0.1;
    assert_refused(c, "Doppler");
    c = good;
    c.symbols = 0;
    assert_refused(c, "symbols");
    /* the limits themselves are taken: N = 8 with exp (spread 7), N = 4096, cp = N - 1 */
    c = good;
    c.n = 8, c.cp = 7, c.profile = profile_of(CH_PROFILE_EXP);
    assert_int_equal(ch_ofdm_check(&c), CH_OK);
    c.n = 4096, c.cp = 4095;
    assert_int_equal(ch_ofdm_check(&c), CH_OK);

    /* estimators: P must divide N; LMMSE at most CH_EST_LMMSE_MAX_PILOTS pilots */
    ch_profile p = profile_of(CH_PROFILE_EVA);
    const unsigned bad_pilots[] = {0, 48, 128, 3};
    for (unsigned i = 0; i < 4; i++)
        for (unsigned kind = 0; kind < 3; kind++)
            assert_null(ch_ofdm_est_create((ch_est_kind)kind, 64, bad_pilots[i], &p));
    assert_non_null(strstr(ch_last_error(), "pilots"));
    assert_null(ch_ofdm_est_create(CH_EST_LMMSE, 4096, 1024, &p));
    ch_ofdm_est *e = ch_ofdm_est_create(CH_EST_LS, 4096, 1024, &p);
    assert_non_null(e);
    ch_ofdm_est_destroy(e);
    e = ch_ofdm_est_create(CH_EST_LMMSE, 64, 1, &p);
    assert_non_null(e);
    ch_ofdm_est_destroy(e);

    /* the link: OFDM brings its own pilots and channel */
    sim_link link = ofdm_link(CH_MOD_QPSK, CH_EST_LS, 16, CH_PROFILE_EVA, 16);
    assert_int_equal(sim_link_check(&link), SIM_OK);
    sim_link bad = link;
    bad.pilot_spacing = 8;
    assert_int_equal(sim_link_check(&bad), SIM_EINVAL);
    assert_null(sim_chain_create(&bad, 0));
    bad = link;
    bad.fading = (ch_fading_config){.kind = CH_CHAN_AWGN, .coherence = 1};
    assert_int_equal(sim_link_check(&bad), SIM_EINVAL);
    assert_null(sim_chain_create(&bad, 0));
    bad = link;
    bad.fading.coherence = 8;
    assert_int_equal(sim_link_check(&bad), SIM_EINVAL);
    bad = link;
    bad.ofdm.pilots = 48;
    assert_int_equal(sim_link_check(&bad), SIM_EINVAL);
    bad = link;
    bad.ofdm.cp = 64;
    assert_int_equal(sim_link_check(&bad), SIM_EINVAL);
    bad = link;
    bad.ofdm.n = 8; /* EVA does not fit */
    bad.ofdm.cp = 2;
    bad.ofdm.pilots = 8;
    assert_int_equal(sim_link_check(&bad), SIM_EINVAL);
}

/* A configuration without a profile (n_taps 0, as a zeroed ch_ofdm_config has) is refused with
 * a message, like every other bad field (ofdm.h: "CH_OK or CH_EINVAL with a message naming the
 * bad field"). */
static void test_empty_profile_refused(void **state)
{
    (void)state;
    ch_ofdm_config c = {.n = 64, .cp = 16, .symbols = 2};
    assert_int_equal(ch_ofdm_check(&c), CH_EINVAL);
    assert_null(ch_ofdm_create(&c));
}

/* LMMSE without noise: R_pp is singular for a channel of fewer taps than pilots; refused, not
 * garbage. */
static void test_lmmse_needs_noise(void **state)
{
    (void)state;
    ch_profile p;
    assert_int_equal(ch_profile_make(CH_PROFILE_EVA, CH_MULTIPATH_DEFAULT_FS, &p), CH_OK);
    ch_ofdm_est *e = ch_ofdm_est_create(CH_EST_LMMSE, 64, 64, &p);
    assert_non_null(e);
    float complex y[64], h[64];
    for (int k = 0; k < 64; k++) y[k] = 1;
    assert_int_equal(ch_ofdm_estimate(e, y, 0.0f, h, NULL), CH_EINVAL);
    assert_int_equal(ch_ofdm_estimate(e, y, 0.01f, h, NULL), CH_OK);
    ch_ofdm_est_destroy(e);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dft_round_trip),
        cmocka_unit_test(test_frame_noiseless),
        cmocka_unit_test(test_response_short_channels),
        cmocka_unit_test(test_frame_short_symbol),
        cmocka_unit_test(test_frames_batch),
        cmocka_unit_test(test_frame_noise_per_subcarrier),
        cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_channel_statistics),
        cmocka_unit_test(test_estimation_mse),
        cmocka_unit_test(test_perfect_csi_is_flat_rayleigh),
        cmocka_unit_test(test_ls_full_pilots_closed_form),
        cmocka_unit_test(test_no_prefix_is_worse),
        cmocka_unit_test(test_threads_deterministic),
        cmocka_unit_test(test_bad_configs),
        cmocka_unit_test(test_empty_profile_refused),
        cmocka_unit_test(test_lmmse_needs_noise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
