/* Shared helpers of the cmocka tests. */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

/* cmocka 1.1.5 needs these before cmocka.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>

/* |a - b| <= tol_abs + tol_rel |b|, with both values printed when it fails. */
#define assert_close(a, b, tol_rel, tol_abs)                                                       \
    do {                                                                                           \
        double assert_close_a = (a), assert_close_b = (b);                                         \
        double assert_close_tol = (tol_abs) + (tol_rel)*fabs(assert_close_b);                      \
        if (!(fabs(assert_close_a - assert_close_b) <= assert_close_tol))                          \
            fail_msg("%s = %.17g, expected %s = %.17g (tolerance %.3g)", #a, assert_close_a, #b,   \
                     assert_close_b, assert_close_tol);                                            \
    } while (0)

#endif
