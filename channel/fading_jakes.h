/* Private to channel/ and its tests: the Jakes/Clarke sum of sinusoids behind ch_fading.
 *
 * The scatter part of a Doppler-correlated gain is
 *   h_scatter(k) = sum_{n < CH_JAKES_SINUSOIDS} c_n exp(j 2 pi nu_n k),
 *   nu_n = doppler cos(alpha_n),  alpha_n = 2 pi (n + u_n) / CH_JAKES_SINUSOIDS,
 * with u_n uniform in (0, 1) and c_n ~ CN(0, 1 / CH_JAKES_SINUSOIDS), all drawn afresh by each
 * ch_fading_reset; k counts symbols from that reset. */
#ifndef CH_FADING_JAKES_H
#define CH_FADING_JAKES_H

#include <complex.h>
#include <stdint.h>

#include "fading.h"

/* Sinusoids per realisation. The marginal of h is exactly Gaussian for any count (the c_n are
 * Gaussian); the count sets how closely one realisation's spectrum follows Jakes' U shape. */
#define CH_JAKES_SINUSOIDS 32

/* The gain of symbol k (counted from the last reset) of f's current Doppler realisation,
 * evaluated directly in double precision: the reference the fast evaluation is tested
 * against. f must have doppler > 0 and have drawn its realisation (reset or first gains). */
double complex ch_fading_jakes_reference(const ch_fading *f, uint64_t k);

/* Chebyshev terms per group of f's fast evaluation, 0 where it takes the table of powers
 * (Doppler too fast for JAKES_MAX_TERMS terms). f must have doppler > 0. */
unsigned ch_fading_jakes_terms(const ch_fading *f);

/* Bessel functions of the first kind J_r(x[i]) for r < count (count <= 80) and lanes <=
 * CH_JAKES_SINUSOIDS values x[i] in [0, 48], into j[r * lanes + i]: the Chebyshev coefficients
 * of the fast evaluation, tested against the library's. */
void ch_fading_jakes_bessel(size_t lanes, const double *x, unsigned count, double *j);

#endif
