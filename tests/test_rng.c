/* Random streams: determinism, independence, the uniform and bit outputs, and the Gaussian
 * checked against its exact distribution: moments, tail probabilities at 3 and 4 sigma, and a
 * word-by-word proof that the radius reaches beyond 9 sigma with P(R > r) = exp(-r^2/2).
 * (test_rng_tail counts the 3..6 sigma tails over 1e10 variates; it is labelled slow.)
 *
 * Statistical bounds are two-sided 99.9% normal bounds (z = 3.29) at fixed seeds, so a pass is
 * reproducible and a generator off by more than the bound fails. */
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "rng_internal.h"

/* Two-sided 99.9% standard normal quantile. */
#define Z999 3.29

#define BLOCK 4096

/* |x - mean| within z standard errors. */
static void assert_within(double x, double mean, double sd, const char *what)
{
    if (!(fabs(x - mean) <= Z999 * sd))
        fail_msg("%s = %.9g, expected %.9g +- %.3g (99.9%%)", what, x, mean, Z999 * sd);
}

/* A count c of events of probability p in n trials, against its 99.9% normal bound. */
static void assert_count(uint64_t c, uint64_t n, double p, const char *what)
{
    double mu = (double)n * p;
    assert_within((double)c, mu, sqrt(mu * (1 - p)) + 1.0 / Z999, what);
}

/* A count c of events of small probability p in n trials, against the exact 99.9% central
 * interval of its Poisson law of mean n p: P(X < lo) <= 0.0005 and P(X > hi) <= 0.0005. */
static void assert_rare_count(uint64_t c, uint64_t n, double p, const char *what)
{
    double mu = (double)n * p, q = exp(-mu), cdf = q;
    uint64_t k = 0, lo = 0;
    while (cdf <= 0.0005) {
        q *= mu / (double)++k;
        cdf += q;
        lo = k;
    }
    while (1 - cdf > 0.0005) {
        q *= mu / (double)++k;
        cdf += q;
    }
    if (c < lo || c > k)
        fail_msg("%s: %llu events, 99.9%% interval [%llu, %llu] for mean %.2f", what,
                 (unsigned long long)c, (unsigned long long)lo, (unsigned long long)k, mu);
}

/* FNV-1a over bytes: a fingerprint of a whole output. */
static uint64_t fnv(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3u;
    return h;
}

/* Same (seed, stream), same numbers: fresh, reseeded, and against fingerprints recorded from
 * the native build, so the portable build must reproduce them bit for bit. */
static void test_streams_are_reproducible(void **state)
{
    (void)state;
    static float x[3000], y[3000];
    ch_rng *r = ch_rng_create(2385, 7), *q = ch_rng_create(99, 1);
    assert_non_null(r);
    assert_non_null(q);
    uint64_t w = ch_rng_u64(r);
    ch_rng_gauss(r, 3000, 1.7f, x);
    ch_rng_u64(q);
    ch_rng_seed(q, 2385, 7);
    assert_true(ch_rng_u64(q) == w);
    ch_rng_gauss(q, 3000, 1.7f, y);
    assert_memory_equal(x, y, sizeof x);

    ch_rng_seed(r, 2385, 7);
    uint64_t words[5];
    for (int i = 0; i < 5; i++)
        words[i] = ch_rng_u64(r);
    ch_rng_gauss(r, 3000, 1.0f, x);
    float u[1000];
    ch_rng_uniform(r, 1000, u);
    uint8_t b[1000];
    ch_rng_bits(r, 1000, b);
    assert_true(fnv(words, 40) == 0xa1dea3b686d3798bu);
    assert_true(fnv(x, sizeof x) == 0xeb9f7e4ba69ee820u);
    assert_true(fnv(u, sizeof u) == 0x5d756fdaccd6265cu);
    assert_true(fnv(b, sizeof b) == 0x6ce3d472cdcf4046u);
    ch_rng_destroy(r);
    ch_rng_destroy(q);
    ch_rng_destroy(NULL);
}

/* Neighbouring keys give unrelated streams: no equal words, and sample correlations of their
 * Gaussians within the 99.9% bound 3.29/sqrt(n). */
static void test_streams_are_independent(void **state)
{
    (void)state;
    enum { N = 1 << 16 };
    static float a[N], b[N];
    const uint64_t keys[][2] = {{2385, 0}, {2385, 1}, {2386, 0}, {0, 2385}, {0, 0}};
    const size_t nk = sizeof keys / sizeof keys[0];
    for (size_t i = 0; i < nk; i++)
        for (size_t j = i + 1; j < nk; j++) {
            ch_rng *r = ch_rng_create(keys[i][0], keys[i][1]);
            ch_rng *q = ch_rng_create(keys[j][0], keys[j][1]);
            assert_non_null(r);
            assert_non_null(q);
            for (int k = 0; k < 64; k++)
                assert_true(ch_rng_u64(r) != ch_rng_u64(q));
            ch_rng_gauss(r, N, 1.0f, a);
            ch_rng_gauss(q, N, 1.0f, b);
            double sab = 0;
            for (size_t k = 0; k < N; k++)
                sab += (double)a[k] * b[k];
            assert_within(sab / N, 0, 1 / sqrt(N), "stream correlation");
            ch_rng_destroy(r);
            ch_rng_destroy(q);
        }
}

/* Every bit position of ch_rng_u64 is fair; ch_rng_double stays in (0, 1) with mean 1/2. */
static void test_words_and_doubles(void **state)
{
    (void)state;
    enum { N = 1 << 16 };
    ch_rng *r = ch_rng_create(2385, 3);
    assert_non_null(r);
    uint64_t ones[64] = {0};
    for (int i = 0; i < N; i++) {
        uint64_t w = ch_rng_u64(r);
        for (int k = 0; k < 64; k++)
            ones[k] += (w >> k) & 1;
    }
    for (int k = 0; k < 64; k++)
        assert_count(ones[k], N, 0.5, "ones at a bit position");
    double s = 0;
    for (int i = 0; i < N; i++) {
        double d = ch_rng_double(r);
        assert_true(d > 0 && d < 1);
        s += d;
    }
    assert_within(s / N, 0.5, sqrt(1.0 / 12 / N), "mean of ch_rng_double");
    ch_rng_destroy(r);
}

/* ch_rng_uniform: strictly inside (0, 1), mean 1/2, variance 1/12, and flat over 64 bins
 * (chi-square with 63 degrees of freedom below its 99.9% quantile 103.4). Odd lengths leave
 * the rest of the array alone. */
static void test_uniform(void **state)
{
    (void)state;
    enum { N = 1 << 20 };
    float *u = malloc((N + 1) * sizeof *u);
    assert_non_null(u);
    ch_rng *r = ch_rng_create(2385, 4);
    assert_non_null(r);
    u[N - 3] = 2.385f;
    ch_rng_uniform(r, N - 3, u);
    assert_true(u[N - 3] == 2.385f);
    ch_rng_uniform(r, N, u);
    double s = 0, s2 = 0;
    uint64_t bins[64] = {0};
    for (size_t i = 0; i < N; i++) {
        assert_true(u[i] > 0 && u[i] < 1);
        s += u[i];
        s2 += (double)u[i] * u[i];
        bins[(int)(u[i] * 64)]++;
    }
    assert_within(s / N, 0.5, sqrt(1.0 / 12 / N), "uniform mean");
    /* Var(u^2) = 1/5 - 1/9 = 4/45. */
    assert_within(s2 / N - (s / N) * (s / N), 1.0 / 12, sqrt(4.0 / 45 / N), "uniform variance");
    double chi2 = 0, e = N / 64.0;
    for (int k = 0; k < 64; k++)
        chi2 += (bins[k] - e) * (bins[k] - e) / e;
    if (chi2 > 103.4) fail_msg("uniform chi-square %.1f > 103.4 (63 dof, 99.9%%)", chi2);
    ch_rng_destroy(r);
    free(u);
}

/* ch_rng_bits: only 0/1, half ones, no correlation between neighbours, exact length. */
static void test_bits(void **state)
{
    (void)state;
    enum { N = 1 << 20 };
    static uint8_t b[N + 1];
    ch_rng *r = ch_rng_create(2385, 5);
    assert_non_null(r);
    b[N - 77] = 2;
    ch_rng_bits(r, N - 77, b);
    assert_int_equal(b[N - 77], 2);
    ch_rng_bits(r, N, b);
    uint64_t ones = 0, same = 0;
    for (size_t i = 0; i < N; i++) {
        assert_true(b[i] <= 1);
        ones += b[i];
        if (i) same += b[i] == b[i - 1];
    }
    assert_count(ones, N, 0.5, "ones");
    assert_count(same, N - 1, 0.5, "equal neighbours");
    ch_rng_destroy(r);
}

/* Moments and tails of ch_rng_gauss over 2^25 variates, sigma = 2.385: mean, variance,
 * kurtosis (E x^4 / sigma^4 = 3, sd of the estimate sqrt(96/n)) and P(|x| > k sigma) =
 * erfc(k / sqrt 2) for k = 3, 4 (normal bounds) and 5 (19 events expected, exact Poisson
 * bounds; test_rng_tail has the precise counts). Sums in double. */
static void test_gauss_moments_and_tails(void **state)
{
    (void)state;
    const double sigma = 2.385;
    const uint64_t n = (uint64_t)1 << 25;
    float *x = malloc(BLOCK * sizeof *x);
    assert_non_null(x);
    ch_rng *r = ch_rng_create(2385, 6);
    assert_non_null(r);
    double s1 = 0, s2 = 0, s4 = 0;
    uint64_t tail3 = 0, tail4 = 0, tail5 = 0;
    for (uint64_t done = 0; done < n; done += BLOCK) {
        ch_rng_gauss(r, BLOCK, (float)sigma, x);
        for (size_t i = 0; i < BLOCK; i++) {
            double v = x[i] / sigma, v2 = v * v;
            s1 += v;
            s2 += v2;
            s4 += v2 * v2;
            tail3 += fabs(v) > 3;
            tail4 += fabs(v) > 4;
            tail5 += fabs(v) > 5;
        }
    }
    double dn = (double)n;
    assert_within(s1 / dn, 0, 1 / sqrt(dn), "mean / sigma");
    assert_within(s2 / dn, 1, sqrt(2 / dn), "variance / sigma^2");
    assert_within(s4 / dn, 3, sqrt(96 / dn), "kurtosis");
    assert_count(tail3, n, erfc(3 / sqrt(2.0)), "P(|x| > 3 sigma)");
    assert_count(tail4, n, erfc(4 / sqrt(2.0)), "P(|x| > 4 sigma)");
    assert_rare_count(tail5, n, erfc(5 / sqrt(2.0)), "P(|x| > 5 sigma)");
    ch_rng_destroy(r);
    free(x);
}

/* ch_rng_cgauss: re and im each of variance var/2, uncorrelated. */
static void test_cgauss(void **state)
{
    (void)state;
    enum { N = 1 << 18 };
    const double var = 0.2385;
    float complex *w = malloc(N * sizeof *w);
    assert_non_null(w);
    ch_rng *r = ch_rng_create(2385, 8);
    assert_non_null(r);
    ch_rng_cgauss(r, N, (float)var, w);
    double sr = 0, si = 0, sri = 0;
    for (size_t i = 0; i < N; i++) {
        double a = crealf(w[i]), b = cimagf(w[i]);
        sr += a * a;
        si += b * b;
        sri += a * b;
    }
    double h = var / 2;
    assert_within(sr / N, h, h * sqrt(2.0 / N), "E re^2");
    assert_within(si / N, h, h * sqrt(2.0 / N), "E im^2");
    assert_within(sri / N, 0, h / sqrt(N), "E re im");
    ch_rng_destroy(r);
    free(w);
}

/* The 32-bit halves of n words, low half first (the little-endian view rng.c takes). */
static void halves(size_t n, const uint64_t *w, uint32_t *h)
{
    for (size_t i = 0; i < n; i++) {
        h[2 * i] = (uint32_t)w[i];
        h[2 * i + 1] = (uint32_t)(w[i] >> 32);
    }
}

/* ch_rng_gauss is exactly rng_box_muller applied to the stream's words (per block of 1024: 256
 * words for ra, 256 for rb, 256 for the angles), so the deterministic tail proof below covers
 * it. */
static void test_gauss_is_box_muller_of_stream(void **state)
{
    (void)state;
    enum { BLK = 1024, WORDS = BLK / 4 };
    static float x[2 * BLK], y[2 * BLK];
    uint64_t w[WORDS];
    static uint32_t h[3][2 * WORDS];
    ch_rng *r = ch_rng_create(2385, 9);
    assert_non_null(r);
    ch_rng_gauss(r, 2 * BLK, 0.7f, x);
    ch_rng_seed(r, 2385, 9);
    for (int blk = 0; blk < 2; blk++) {
        for (int part = 0; part < 3; part++) {
            for (int i = 0; i < WORDS; i++)
                w[i] = ch_rng_u64(r);
            halves(WORDS, w, h[part]);
        }
        rng_box_muller(BLK / 2, h[0], h[1], h[2], 0.7f, y + BLK * blk);
    }
    assert_memory_equal(x, y, sizeof x);
    ch_rng_destroy(r);
}

/* The radius r = |(x_c, x_s)| of the radius word 2m + 1 (ra its high half, rb its low half,
 * odd: rb | 1 is what the transform uses, so the odd words stand for all words). */
static double radius_of(uint64_t m)
{
    uint64_t v = 2 * m + 1;
    uint32_t ra[1] = {(uint32_t)(v >> 32)}, rb[1] = {(uint32_t)v}, a[1] = {0};
    float x[2];
    rng_box_muller(1, ra, rb, a, 1.0f, x);
    return hypot(x[0], x[1]);
}

/* No truncation, shown word by word: the radius decreases as the word grows, so the number
 * N(t) of the 2^64 radius words giving r > t comes from a bisection, and N(t) / 2^64 must equal
 * P(R > t) = exp(-t^2/2) for t = 4..9 (relative error 2e-5 from the float grid and the log
 * polynomial, plus two words of discreteness). A generator truncated anywhere below 9.4 fails. */
static void test_gauss_tail_word_count(void **state)
{
    (void)state;
    assert_true(radius_of(0) > 9.4);
    for (int t = 4; t <= 9; t++) {
        uint64_t lo = 0, hi = (uint64_t)1 << 63; /* radius_of(lo) > t >= radius_of(hi) */
        while (hi - lo > 1) {
            uint64_t mid = lo + (hi - lo) / 2;
            if (radius_of(mid) > t)
                lo = mid;
            else
                hi = mid;
        }
        double count = 2.0 * (double)hi, expect = ldexp(exp(-0.5 * t * t), 64);
        if (!(fabs(count - expect) <= 2e-5 * expect + 2))
            fail_msg("t = %d: %.0f words give r > t, exp(-t^2/2) 2^64 = %.1f", t, count, expect);
    }
}

/* Accuracy of the mapping for random words: r against sqrt(-2 ln u) in double and the angle
 * against cos, sin of the exact angle the bits encode. */
static void test_gauss_mapping_accuracy(void **state)
{
    (void)state;
    ch_rng *r = ch_rng_create(2385, 10);
    assert_non_null(r);
    double worst_r = 0, worst_a = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t w = ch_rng_u64(r);
        uint32_t ra[1] = {(uint32_t)w}, rb[1] = {(uint32_t)(w >> 32)}, a[1];
        a[0] = (uint32_t)ch_rng_u64(r);
        float x[2];
        rng_box_muller(1, ra, rb, a, 1.0f, x);
        double u = rng_radius_uniform(ra[0], rb[0]);
        double rr = sqrt(-2 * log(u));
        uint32_t h = a[0];
        double theta = (int32_t)(h << 2) * ldexp(atan(1.0), -31) + atan(1.0);
        double c = cos(theta), s = sin(theta);
        if (h >> 31) c = -c;
        if ((h >> 30) & 1) s = -s;
        double got = hypot(x[0], x[1]);
        if (rr > 1e-2) worst_r = fmax(worst_r, fabs(got - rr) / rr);
        worst_a = fmax(worst_a, fmax(fabs(x[0] / got - c), fabs(x[1] / got - s)));
    }
    printf("worst relative radius error %.3g, worst cos/sin error %.3g\n", worst_r, worst_a);
    assert_true(worst_r < 4e-7);
    assert_true(worst_a < 4e-7);
    ch_rng_destroy(r);
}

/* The log polynomial against log() in double over every float in [1/2, 2) (one full period
 * of the reduction) and over exponents down to 2^-64. */
static void test_log_accuracy(void **state)
{
    (void)state;
    double worst = 0;
    for (float x = 0.5f; x < 2.0f; x = nextafterf(x, 3.0f)) {
        double e = log((double)x);
        if (x != 1.0f) worst = fmax(worst, fabs(rng_logf(x) - e) / fabs(e));
    }
    for (int k = -64; k < 0; k++)
        for (float m = 1.0f; m < 2.0f; m += 0.001953125f * 1.2385f) {
            float x = ldexpf(m, k);
            double e = log((double)x);
            worst = fmax(worst, fabs(rng_logf(x) - e) / fabs(e));
        }
    printf("worst relative log error %.3g\n", worst);
    assert_true(worst < 2e-7);
}

/* ch_rng_gauss_add adds exactly the floats ch_rng_gauss draws from the same stream position,
 * over whole blocks and a tail, and leaves the stream where ch_rng_gauss leaves it. */
static void test_gauss_add_is_gauss_added(void **state)
{
    (void)state;
    enum { N = 3 * CH_RNG_BLOCK + 123 };
    static float base[N], w[N], y[N];
    ch_rng *r = ch_rng_create(2385, 11), *q = ch_rng_create(2385, 11);
    assert_non_null(r);
    assert_non_null(q);
    for (size_t i = 0; i < N; i++) base[i] = y[i] = (float)i * 0.37f - 500.0f;
    ch_rng_gauss(r, N, 0.83f, w);
    ch_rng_gauss_add(q, N, 0.83f, y);
    for (size_t i = 0; i < N; i++) {
        float want = base[i] + w[i];
        assert_memory_equal(&y[i], &want, sizeof want);
    }
    assert_true(ch_rng_u64(r) == ch_rng_u64(q));
    ch_rng_destroy(r);
    ch_rng_destroy(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_streams_are_reproducible),
        cmocka_unit_test(test_streams_are_independent),
        cmocka_unit_test(test_words_and_doubles),
        cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_bits),
        cmocka_unit_test(test_gauss_moments_and_tails),
        cmocka_unit_test(test_cgauss),
        cmocka_unit_test(test_gauss_is_box_muller_of_stream),
        cmocka_unit_test(test_gauss_tail_word_count),
        cmocka_unit_test(test_gauss_mapping_accuracy),
        cmocka_unit_test(test_log_accuracy),
        cmocka_unit_test(test_gauss_add_is_gauss_added),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
