/* Channel estimation for OFDM from the pilot symbol's P equally spaced pilots (subcarriers
 * i N / P, i < P, pilot i carrying the unit-modulus chirp ch_ofdm_pilot_value(P, i)), and the
 * estimates' mean squared errors.
 *
 *   perfect  the true response (given, not estimated);
 *   ls       least squares at the pilots, hp_i = y_(p_i) / z_i, linearly interpolated across
 *            subcarriers; between the last pilot and the band's end the interpolation runs on to
 *            the first pilot, N subcarriers on (the response is periodic in k with period N);
 *   lmmse    h = R_hp (R_pp + n0 I)^(-1) hp from the profile's frequency correlation r
 *            (multipath.h) and the noise level: the linear estimate of least mean squared error.
 *
 * Every estimator gives the mean squared error E|H_k - h_k|^2 of each subcarrier as well, which
 * the receiver adds to the noise variance of the symbols it equalises (the estimate's error
 * times a unit-energy symbol is one more noise term). */
#ifndef CH_OFDM_EST_H
#define CH_OFDM_EST_H

#include <complex.h>

#include "multipath.h"

typedef enum {
    CH_EST_PERFECT,
    CH_EST_LS,
    CH_EST_LMMSE,
} ch_est_kind;

/* Most pilots LMMSE takes: its matrix has N P entries per worker. */
#define CH_EST_LMMSE_MAX_PILOTS 512u

/* Parses "perfect", "ls", "lmmse". CH_EINVAL with a message otherwise. */
int ch_est_parse(const char *name, ch_est_kind *kind);
const char *ch_est_name(ch_est_kind kind);

typedef struct ch_ofdm_est ch_ofdm_est;

/* An estimator for N subcarriers with P pilots (P divides N) over profile (copied). NULL with a
 * message for P not dividing N, LMMSE beyond CH_EST_LMMSE_MAX_PILOTS, or out of memory. Each
 * thread makes its own: LMMSE keeps its matrix for the last noise level. */
ch_ofdm_est *ch_ofdm_est_create(ch_est_kind kind, unsigned n, unsigned pilots,
                                const ch_profile *profile);
void ch_ofdm_est_destroy(ch_ofdm_est *e);

/* The subcarrier of pilot i: i N / P. */
unsigned ch_ofdm_pilot_carrier(unsigned n, unsigned pilots, unsigned i);

/* The pilot of pilot subcarrier i of P: the Zadoff-Chu chirp z_i = e^(-j pi i^2 / P) (P a power
 * of two). Unit modulus like the data; and a full pilot symbol (P = N) is a chirp whose inverse
 * DFT has a constant envelope, so clipping leaves it alone and it has no impulse to make a
 * prefix-less channel look kinder than it is (a pilot symbol of all ones is an impulse in time,
 * of peak-to-average power N). */
float complex ch_ofdm_pilot_value(unsigned pilots, unsigned i);

/* Estimates h[N] from the pilot symbol y[N] (only its pilot subcarriers are read) at noise n0,
 * and gives the analytic mse[N] (NULL: not wanted). perfect is not estimated here: h comes from
 * the channel. Allocates nothing, but for LMMSE's matrix when n0 changes. CH_OK, CH_ENOMEM, or
 * CH_EINVAL (LMMSE at n0 <= 0, where R_pp + n0 I may be singular). */
int ch_ofdm_estimate(ch_ofdm_est *e, const float complex *y, float n0, float complex *h,
                     float *mse);

/* The analytic mean squared error of subcarrier k's estimate at noise n0 (0 for perfect). */
double ch_ofdm_est_mse(ch_ofdm_est *e, float n0, unsigned k);

#endif
