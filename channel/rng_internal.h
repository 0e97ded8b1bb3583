/* Private parts of rng.c that the tests reach: the word-to-Gaussian mapping on its own, so that
 * its tail can be checked deterministically, word by word. */
#ifndef CH_RNG_INTERNAL_H
#define CH_RNG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Box-Muller on given 32-bit words, the transform ch_rng_gauss applies to its stream.
 *
 * Pair i < npairs takes its radius from ra[i] (high half) and rb[i] (low half) and its angle
 * from a[i]. Outputs x[i] = sigma r cos(theta) and x[npairs + i] = sigma r sin(theta), x of
 * 2 npairs floats.
 *
 * Radius: u = (ra 2^32 + (rb | 1)) / 2^64 as a float with 24 significant bits at every scale
 * (down to u = 2^-64, so r = sqrt(-2 ln u) reaches 9.42), r = sqrt(-2 ln u); P(r > t) =
 * exp(-t^2/2) holds within the float grid of u. Angle: the low 30 bits of a, as a signed
 * fraction, give phi in [-pi/4, pi/4) and theta = phi + pi/4 in [0, pi/2); bits 31 and 30 flip
 * the signs of the cosine and sine outputs. */
void rng_box_muller(size_t npairs, const uint32_t *ra, const uint32_t *rb, const uint32_t *a,
                    float sigma, float *x);

/* The uniform u in (0, 1] that rng_box_muller takes from the radius words ra, rb. */
float rng_radius_uniform(uint32_t ra, uint32_t rb);

/* Natural log of x > 0 (normal floats) by the polynomial rng_box_muller uses:
 * relative error below 2e-7 over the whole range (see rng.c), no libm call, so it vectorises. */
float rng_logf(float x);

#endif
