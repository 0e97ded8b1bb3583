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
 * evaluated directly in double precision: the reference the fast recurrence is tested
 * against. f must have doppler > 0 and have drawn its realisation (reset or first gains). */
double complex ch_fading_jakes_reference(const ch_fading *f, uint64_t k);

#endif
