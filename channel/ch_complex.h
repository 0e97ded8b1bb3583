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

#ifndef CMPLXF
#define CMPLXF(re, im) ch_cmplxf((re), (im))
#endif
#ifndef CMPLX
#define CMPLX(re, im) ch_cmplx((re), (im))
#endif

#endif
