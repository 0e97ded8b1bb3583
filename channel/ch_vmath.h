/* The vectorisable exp and log of channel/: written out in plain C (libm's expf and logf are a
 * call per value, and fmaxf and rintf stop the vectoriser too), so that the loops that use them
 * — the Gaussian generator's Box-Muller, the exact demappers' log-sum-exp — vectorise. Private
 * to channel/; nn/ keeps its own pair (nn_internal.h), since the two libraries include nothing
 * of each other. */
#ifndef CH_VMATH_H
#define CH_VMATH_H

#include <stdint.h>
#include <string.h>

/* log(1 + f) = f + f^2 R(f) for f in [sqrt(1/2) - 1, sqrt(2) - 1]: R is the Chebyshev
 * interpolant of degree 7 of (log(1 + f) - f) / f^2, relative error of the sum 6e-8 with these
 * float coefficients (fitted for bersim). f is added last, exactly as given, so that the
 * rounding of the polynomial only touches the small correction f^2 R. Estrin's scheme rather
 * than Horner's: the dependency chain is 4 multiplies deep instead of 8, and latency bounded
 * the Gaussian loop. */
static inline float ch_log1p_reduced(float f)
{
    float f2 = f * f, f4 = f2 * f2;
    float r01 = -0.49999997f + f * 0.333336711f, r23 = -0.250011474f + f * 0.199720502f;
    float r45 = -0.165884882f + f * 0.14834787f, r67 = -0.141596466f + f * 0.0878726542f;
    float r = (r01 + f2 * r23) + f4 * (r45 + f2 * r67);
    return f + f2 * r;
}

/* log x for a positive normal float: x = 2^k m with m in [sqrt(1/2), sqrt(2)), then
 * log x = k log 2 + log(1 + (m - 1)). Bit manipulation instead of frexpf keeps it vectorisable.
 * Relative error 1.4e-7 at most (test_rng sweeps every float in [1/2, 2) and 64 binades). */
static inline float ch_logf(float x)
{
    uint32_t ix;
    memcpy(&ix, &x, sizeof ix);
    ix += 0x3f800000u - 0x3f3504f3u; /* moves the exponent boundary to sqrt(1/2) */
    int32_t k = (int32_t)(ix >> 23) - 127;
    ix = (ix & 0x007fffffu) + 0x3f3504f3u;
    float m;
    memcpy(&m, &ix, sizeof m);
    return (float)k * 0.693147182f + ch_log1p_reduced(m - 1.0f);
}

/* e^x for x <= 0, relative error below 2e-7, 0 below -87: 2^n 2^f with n = round(x log2 e)
 * and a degree-6 Taylor polynomial of 2^f, |f| <= 1/2. */
static inline float ch_expf_nonpositive(float x)
{
    float t = x * 1.44269504f;
    t = t > -126.0f ? t : -126.0f; /* fmaxf would stop the loop from vectorising */
    /* Round to nearest by the 1.5 * 2^23 trick, exact for |t| < 2^22 (rintf, too, blocks it). */
    float n = (t + 12582912.0f) - 12582912.0f, f = (t - n) * 0.693147181f;
    float p = 1.0f + f * (1.0f + f * (0.5f + f * (1.0f / 6 + f * (1.0f / 24 + f * (1.0f / 120 +
                                                                        f * (1.0f / 720))))));
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

#endif
