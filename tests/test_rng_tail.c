// ctest-labels: slow
/* The Gaussian tail by counting: 10^10 variates of ch_rng_gauss, and the counts beyond 3, 4, 5
 * and 6 sigma against n erfc(k / sqrt 2), the exact two-sided tail. 6 sigma expects 19.7
 * events, so its bound is the exact 99.9% central Poisson interval; the others use the 99.9%
 * normal bound. A generator truncated anywhere below 6 sigma, or whose tail is off by a few
 * percent at 5 sigma, fails. (test_rng proves the tail beyond 9 sigma word by word.) */
#include "test_util.h"

#include "rng.h"

#define N_BLOCKS 2441407u /* of 4096: 1.0000003e10 variates */
#define BLOCK 4096

/* The 99.9% central interval [lo, hi] of a Poisson count with mean mu: P(X < lo) <= 0.0005
 * and P(X > hi) <= 0.0005. */
static void poisson_interval(double mu, uint64_t *lo, uint64_t *hi)
{
    double p = exp(-mu), cdf = p;
    uint64_t k = 0;
    *lo = 0;
    while (cdf <= 0.0005) {
        p *= mu / (double)++k;
        cdf += p;
        *lo = k;
    }
    while (1 - cdf > 0.0005) {
        p *= mu / (double)++k;
        cdf += p;
    }
    *hi = k;
}

static void test_gauss_tail_counts(void **state)
{
    (void)state;
    static float x[BLOCK];
    ch_rng *r = ch_rng_create(2385, 11);
    assert_non_null(r);
    uint64_t count[4] = {0};
    for (uint32_t b = 0; b < N_BLOCKS; b++) {
        ch_rng_gauss(r, BLOCK, 1.0f, x);
        uint32_t c3 = 0, c4 = 0, c5 = 0, c6 = 0;
        for (size_t i = 0; i < BLOCK; i++) {
            float a = fabsf(x[i]);
            c3 += a > 3.0f;
            c4 += a > 4.0f;
            c5 += a > 5.0f;
            c6 += a > 6.0f;
        }
        count[0] += c3;
        count[1] += c4;
        count[2] += c5;
        count[3] += c6;
    }
    double n = (double)N_BLOCKS * BLOCK;
    for (int k = 3; k <= 6; k++) {
        double p = erfc(k / sqrt(2.0)), mu = n * p;
        uint64_t c = count[k - 3], lo, hi;
        if (k < 6) {
            double half = 3.29 * sqrt(mu * (1 - p));
            lo = (uint64_t)ceil(mu - half);
            hi = (uint64_t)floor(mu + half);
        } else {
            poisson_interval(mu, &lo, &hi);
        }
        printf("|x| > %d sigma: %llu, expected %.1f, 99.9%% interval [%llu, %llu]\n", k,
               (unsigned long long)c, mu, (unsigned long long)lo, (unsigned long long)hi);
        if (c < lo || c > hi) fail_msg("tail beyond %d sigma out of its 99.9%% interval", k);
    }
    ch_rng_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gauss_tail_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
