/* Random streams: counter-keyed, splittable, fast.
 *
 * A stream is fixed by (seed, stream id): the Monte Carlo engine keys one stream per
 * (SNR point, chunk), so every number it draws is fixed by --seed whatever the thread count.
 * Variates come in bulk into caller-owned float arrays; nothing here allocates except
 * ch_rng_create. */
#ifndef CH_RNG_H
#define CH_RNG_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ch_rng ch_rng;

/* Gaussian variates are made CH_RNG_BLOCK at a time; a request for fewer still consumes a whole
 * block of the stream, so callers that draw in pieces should draw CH_RNG_BLOCK reals (or
 * CH_RNG_BLOCK / 2 complex) at a time. */
#define CH_RNG_BLOCK 1024

/* A generator positioned at the start of stream (seed, stream). NULL when out of memory. */
ch_rng *ch_rng_create(uint64_t seed, uint64_t stream);

/* Frees r; ch_rng_destroy(NULL) is a no-op. */
void ch_rng_destroy(ch_rng *r);

/* Repositions r at the start of stream (seed, stream) without allocating. Distinct
 * (seed, stream) pairs give independent streams. */
void ch_rng_seed(ch_rng *r, uint64_t seed, uint64_t stream);

/* One uniform 64-bit word. */
uint64_t ch_rng_u64(ch_rng *r);

/* One uniform double in (0, 1), 53 random bits. */
double ch_rng_double(ch_rng *r);

/* n uniform floats in (0, 1) into u[n]. */
void ch_rng_uniform(ch_rng *r, size_t n, float *u);

/* n equiprobable bits, one per byte (0 or 1), into bits[n]. */
void ch_rng_bits(ch_rng *r, size_t n, uint8_t *bits);

/* n independent N(0, sigma^2) variates into x[n]. Exact in distribution far into the tail:
 * no truncation below 9 sigma. */
void ch_rng_gauss(ch_rng *r, size_t n, float sigma, float *x);

/* x[i] += the i-th of the n variates ch_rng_gauss would write (the same stream consumed, the
 * same floats added), in the generator's own pass: no scratch array and no second pass. */
void ch_rng_gauss_add(ch_rng *r, size_t n, float sigma, float *x);

/* n independent circular complex Gaussians CN(0, var) (each of re, im has variance var/2)
 * into w[n]. */
void ch_rng_cgauss(ch_rng *r, size_t n, float var, float complex *w);

/* y[j] = h[j] y[j] + w[j], j < n, where w[j] is the j-th complex value (re, im) of the 2n
 * variates ch_rng_gauss(r, 2n, sigma, .) would write (the same stream consumed), and each part of
 * the product is rounded once, hr yr - hi yi and hr yi + hi yr (the product of ch_fading_apply),
 * before the sum: the floats of ch_fading_apply then ch_rng_gauss_add, in the generator's own
 * pass. y overlaps nothing of h. */
void ch_rng_gauss_cmul_add(ch_rng *r, size_t n, float sigma, const float complex *h,
                           float complex *y);

/* For real symbols: y[j] = h[j] Re(y[j]) + w[j], j < n, with w as ch_rng_gauss_cmul_add draws
 * it and each part of the product one rounded product, hr xr and hi xr; the imaginary parts of
 * y are not read. When they are 0, this is ch_rng_gauss_cmul_add's y bit for bit for finite
 * gains, but for the sign of a part of y that comes out 0 (the product by 0 is left out). y
 * overlaps nothing of h. */
void ch_rng_gauss_rmul_add(ch_rng *r, size_t n, float sigma, const float complex *h,
                           float complex *y);

#endif
