/* CMPLXF and CMPLX where the C library lacks them (C11 7.3.9.3; clang 14 with glibc 2.36 has
 * neither): a complex built from its parts through the array representation C11 6.2.5 gives it,
 * exact for every value (x + I y would turn an infinite y into a NaN real part). */
#ifndef CH_COMPLEX_H
#define CH_COMPLEX_H

#include <complex.h>

static inline float complex ch_cmplxf(float re, float im)
{
    union {
        float complex c;
        float part[2];
    } u = {.part = {re, im}};
    return u.c;
}

static inline double complex ch_cmplx(double re, double im)
{
    union {
        double complex c;
        double part[2];
    } u = {.part = {re, im}};
    return u.c;
}

/* (hr + i hi)(xr + i xi), each part rounded once, into *re, *im: the product every fading gain
 * is applied with (ch_fading_apply, ch_rng_gauss_cmul_add). Written out: the C operator checks
 * every product for NaN and calls __mulsc3. The real part as hr xr + (-hi) xi, the same float as
 * hr xr - hi xi: written as a difference, gcc 12's vectoriser fuses the pair into multiply-adds
 * despite -ffp-contract=off, and the native build drew other floats than the portable and clang
 * builds. */
static inline void ch_cmul_parts(float hr, float hi, float xr, float xi, float *re, float *im)
{
    float minus_hi = -hi;
    *re = hr * xr + minus_hi * xi;
    *im = hr * xi + hi * xr;
}

#ifndef CMPLXF
#define CMPLXF(re, im) ch_cmplxf((re), (im))
#endif
#ifndef CMPLX
#define CMPLX(re, im) ch_cmplx((re), (im))
#endif

#endif
