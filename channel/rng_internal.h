/* Private parts of rng.c that the tests reach: the word-to-Gaussian mapping on its own, so that
 * its tail can be checked deterministically, word by word. */
#ifndef CH_RNG_INTERNAL_H
#define CH_RNG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Box-Muller on given 32-bit words, the transform ch_rng_gauss applies to its stream.
 *
 * Pair i < npairs takes its radius from the top 31 bits of ra[i] and of rb[i] and its angle
 * from a[i]. Outputs x[i] = sigma r cos(theta) and x[npairs + i] = sigma r sin(theta), x of
 * 2 npairs floats.
 *
 * Radius: u = ((ra >> 1) 2^31 + (rb >> 1) + 1/2) / 2^62 as a float with 24 significant bits at
 * every scale (down to u = 2^-63, so r = sqrt(-2 ln u) reaches 9.35), r = sqrt(-2 ln u);
 * P(r > t) = exp(-t^2/2) holds within the float grid of u. Angle: 29 bits give phi in
 * [0, pi/4], three bits pick one of the 8 symmetries (swap, two signs) that carry [0, pi/4]
 * over the whole circle. */
void rng_box_muller(size_t npairs, const uint32_t *ra, const uint32_t *rb, const uint32_t *a,
                    float sigma, float *x);

/* The uniform u in (0, 1] that rng_box_muller takes from the radius words ra, rb. */
float rng_radius_uniform(uint32_t ra, uint32_t rb);

/* Natural log of x > 0 (normal floats) by the polynomial rng_box_muller uses:
 * relative error below 2e-7 over the whole range (see rng.c), no libm call, so it vectorises. */
float rng_logf(float x);

#endif
