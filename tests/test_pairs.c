/* Training pairs: shapes, y = h map(bits) + noise, the SNR law, link validation.
 *
 * Statistical checks use fixed seeds and two-sided 99.9% bounds (normal approximation of a mean,
 * or the asymptotic Kolmogorov-Smirnov quantile), computed in double. */
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#include "channel.h"

#define Z999 3.2905
/* P(sqrt(n) D_n > 1.9495) = 0.001 for the Kolmogorov-Smirnov statistic D_n, n large. */
#define KS999 1.9495

/* Caller arrays for n symbols of a modem with k bits per symbol. */
typedef struct {
    size_t n;
    unsigned k;
    uint8_t *bits;
    float complex *y, *h, *x;
    float *n0;
} pairs;

static pairs pairs_alloc(size_t n, unsigned k)
{
    pairs p = {.n = n, .k = k};
    p.bits = malloc(n * k);
    p.y = malloc(n * sizeof *p.y);
    p.h = malloc(n * sizeof *p.h);
    p.x = malloc(n * sizeof *p.x);
    p.n0 = malloc(n * sizeof *p.n0);
    assert_true(p.bits && p.y && p.h && p.x && p.n0);
    return p;
}

static void pairs_free(pairs *p)
{
    free(p->bits);
    free(p->y);
    free(p->h);
    free(p->x);
    free(p->n0);
}

static ch_modem *make_modem(ch_mod_kind kind)
{
    ch_modem *m = ch_modem_create(kind);
    if (!m) fail_msg("ch_modem_create: %s", ch_last_error());
    return m;
}

static ch_fading *make_fading(ch_chan_kind kind, double k_factor, unsigned coh, double doppler)
{
    ch_fading_config cfg = {
        .kind = kind, .k_factor = k_factor, .coherence = coh, .doppler = doppler};
    ch_fading *f = ch_fading_create(&cfg);
    if (!f) fail_msg("ch_fading_create: %s", ch_last_error());
    return f;
}

static void fill(const ch_link *link, ch_rng *r, int per_symbol, pairs *p)
{
    int status = ch_pairs_fill(link, r, per_symbol, p->n, p->bits, p->y, p->h, p->n0);
    if (status != CH_OK) fail_msg("ch_pairs_fill: %s", ch_last_error());
}

/* Eb/N0 in dB that n0 stands for. */
static double ebn0_db_of(double n0, unsigned k, double rate)
{
    return -10.0 * log10(n0 * k * rate);
}

static void test_shapes_and_awgn(void **state)
{
    (void)state;
    const size_t n = 1001;
    ch_modem *m = make_modem(CH_MOD_16QAM);
    ch_link link = {.modem = m, .ebn0_lo_db = 5.25, .ebn0_hi_db = 5.25, .code_rate = 0.75};
    ch_rng *r = ch_rng_create(2385, 1);
    /* One guard element past each array: nothing is written beyond n. */
    pairs p = pairs_alloc(n + 1, 4);
    p.n = n;
    memset(p.bits, 0xAB, (n + 1) * 4);
    p.h[n] = p.y[n] = 9.75f;
    p.n0[n] = 9.75f;
    /* One SNR: n0 follows Eb/N0 with k = 4 and the code rate. */
    float n0 = (float)ch_n0_from_ebn0(5.25, 4, 0.75);
    for (int per_symbol = 0; per_symbol < 2; per_symbol++) {
        fill(&link, r, per_symbol, &p);
        for (size_t i = 0; i < n * 4; i++)
            assert_true(p.bits[i] <= 1);
        for (size_t i = 0; i < n; i++) {
            assert_true(p.h[i] == 1.0f); /* AWGN: unit gains */
            assert_true(p.n0[i] == n0);
        }
        assert_int_equal(p.bits[n * 4], 0xAB);
        assert_true(p.h[n] == 9.75f && p.y[n] == 9.75f && p.n0[n] == 9.75f);
    }
    pairs_free(&p);
    ch_rng_destroy(r);
    ch_modem_destroy(m);
}

/* At 300 dB the noise vanishes: y = h map(bits) to float rounding. */
static void assert_noise_free(ch_fading *f, ch_mod_kind mod, int per_symbol)
{
    const size_t n = 3000;
    ch_modem *m = make_modem(mod);
    unsigned k = ch_modem_bits_per_symbol(m);
    ch_link link = {
        .modem = m, .fading = f, .ebn0_lo_db = 300, .ebn0_hi_db = 300, .code_rate = 1.0};
    ch_rng *r = ch_rng_create(2385, 2);
    pairs p = pairs_alloc(n, k);
    fill(&link, r, per_symbol, &p);
    ch_modem_map(m, n, p.bits, p.x);
    for (size_t i = 0; i < n; i++) {
        double complex e = (double complex)p.h[i] * (double complex)p.x[i];
        double tol = 1e-6 * cabs(e) + 1e-12;
        assert_close(crealf(p.y[i]), creal(e), 0.0, tol);
        assert_close(cimagf(p.y[i]), cimag(e), 0.0, tol);
    }
    pairs_free(&p);
    ch_rng_destroy(r);
    ch_modem_destroy(m);
}

static void test_noise_free_at_huge_snr(void **state)
{
    (void)state;
    ch_fading *fast = make_fading(CH_CHAN_RAYLEIGH, 0.0, 1, 0.0);
    ch_fading *doppler = make_fading(CH_CHAN_RICIAN, 2.385, 1, 0.0317);
    ch_fading *block = make_fading(CH_CHAN_RICIAN, 0.625, 13, 0.0);
    for (int per_symbol = 0; per_symbol < 2; per_symbol++) {
        assert_noise_free(NULL, CH_MOD_QPSK, per_symbol);
        assert_noise_free(fast, CH_MOD_16QAM, per_symbol);
        assert_noise_free(doppler, CH_MOD_64QAM, per_symbol);
        assert_noise_free(block, CH_MOD_8PSK, per_symbol);
    }
    ch_fading_destroy(fast);
    ch_fading_destroy(doppler);
    ch_fading_destroy(block);
}

/* (y - h x) / sqrt(n0) is CN(0, 1): mean 0, each part variance 1/2, parts uncorrelated. */
static void assert_unit_noise(const ch_modem *m, size_t n, pairs *p)
{
    double s_re = 0, s_im = 0, q_re = 0, q_im = 0, c = 0, dn = (double)n;
    ch_modem_map(m, n, p->bits, p->x);
    for (size_t i = 0; i < n; i++) {
        double complex w =
            ((double complex)p->y[i] - (double complex)p->h[i] * p->x[i]) / sqrt(p->n0[i]);
        s_re += creal(w);
        s_im += cimag(w);
        q_re += creal(w) * creal(w);
        q_im += cimag(w) * cimag(w);
        c += creal(w) * cimag(w);
    }
    const double se_mean = sqrt(0.5 / dn), se_var = 0.5 * sqrt(2.0 / dn);
    if (!(fabs(s_re / dn) <= Z999 * se_mean && fabs(s_im / dn) <= Z999 * se_mean))
        fail_msg("noise mean (%g, %g), bound %g", s_re / dn, s_im / dn, Z999 * se_mean);
    if (!(fabs(q_re / dn - 0.5) <= Z999 * se_var && fabs(q_im / dn - 0.5) <= Z999 * se_var))
        fail_msg("noise variances (%g, %g), expected 0.5 within %g", q_re / dn, q_im / dn,
                 Z999 * se_var);
    if (!(fabs(c / dn) <= Z999 * 0.5 / sqrt(dn))) fail_msg("noise re/im covariance %g", c / dn);
}

static void test_noise_statistics(void **state)
{
    (void)state;
    const size_t n = 1u << 18, calls = 512, per_call = n / calls;
    ch_modem *m = make_modem(CH_MOD_16QAM);
    ch_fading *f = make_fading(CH_CHAN_RAYLEIGH, 0.0, 1, 0.0);
    ch_link link = {
        .modem = m, .fading = f, .ebn0_lo_db = -2.5, .ebn0_hi_db = 7.75, .code_rate = 0.5};
    ch_rng *r = ch_rng_create(2385, 3);
    pairs p = pairs_alloc(n, 4);
    /* One SNR per symbol. */
    fill(&link, r, 1, &p);
    assert_unit_noise(m, n, &p);
    /* One SNR per call: many calls, so that many SNRs are seen. */
    for (size_t c = 0; c < calls; c++) {
        size_t o = c * per_call;
        int s = ch_pairs_fill(&link, r, 0, per_call, p.bits + o * 4, p.y + o, p.h + o, p.n0 + o);
        assert_int_equal(s, CH_OK);
    }
    assert_unit_noise(m, n, &p);
    pairs_free(&p);
    ch_rng_destroy(r);
    ch_fading_destroy(f);
    ch_modem_destroy(m);
}

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The n values db[] lie in [lo, hi] and follow the uniform law there: mean and KS test. */
static void assert_uniform_db(size_t n, double *db, double lo, double hi)
{
    double sum = 0.0, dn = (double)n;
    for (size_t i = 0; i < n; i++) {
        /* float n0: 1e-5 dB is ~2e-6 relative, a dozen float roundings */
        if (!(db[i] >= lo - 1e-5 && db[i] <= hi + 1e-5))
            fail_msg("Eb/N0 %.9g dB outside [%g, %g]", db[i], lo, hi);
        sum += db[i];
    }
    double se = (hi - lo) / sqrt(12.0 * dn);
    if (!(fabs(sum / dn - (lo + hi) / 2) <= Z999 * se))
        fail_msg("mean Eb/N0 %.6g dB, expected %.6g within %.3g", sum / dn, (lo + hi) / 2,
                 Z999 * se);
    qsort(db, n, sizeof *db, compare_double);
    double d = 0.0;
    for (size_t i = 0; i < n; i++) {
        double cdf = (db[i] - lo) / (hi - lo);
        double above = (double)(i + 1) / dn - cdf, below = cdf - (double)i / dn;
        d = fmax(d, fmax(above, below));
    }
    if (!(sqrt(dn) * d <= KS999))
        fail_msg("KS statistic sqrt(n) D = %.4g > %.4g: not uniform in dB", sqrt(dn) * d, KS999);
}

static void test_snr_uniform_in_db(void **state)
{
    (void)state;
    const size_t n = 1u << 17, calls = 4000;
    const double lo = -1.75, hi = 9.125, rate = 0.5;
    ch_modem *m = make_modem(CH_MOD_QPSK);
    ch_link link = {.modem = m, .ebn0_lo_db = lo, .ebn0_hi_db = hi, .code_rate = rate};
    ch_rng *r = ch_rng_create(2385, 4);
    pairs p = pairs_alloc(n, 2);
    double *db = malloc(n * sizeof *db);
    assert_non_null(db);
    /* Per symbol. */
    fill(&link, r, 1, &p);
    for (size_t i = 0; i < n; i++)
        db[i] = ebn0_db_of(p.n0[i], 2, rate);
    assert_uniform_db(n, db, lo, hi);
    /* Per call: the n0 of a call is one value; across calls uniform in dB. */
    for (size_t c = 0; c < calls; c++) {
        assert_int_equal(ch_pairs_fill(&link, r, 0, 3, p.bits, p.y, p.h, p.n0), CH_OK);
        assert_true(p.n0[0] == p.n0[1] && p.n0[1] == p.n0[2]);
        db[c] = ebn0_db_of(p.n0[0], 2, rate);
    }
    assert_uniform_db(calls, db, lo, hi);
    free(db);
    pairs_free(&p);
    ch_rng_destroy(r);
    ch_modem_destroy(m);
}

static void test_h_is_optional(void **state)
{
    (void)state;
    /* Asking for h changes nothing else: same bits, y and n0 from the same stream. */
    const size_t n = 1500;
    ch_modem *m = make_modem(CH_MOD_8PSK);
    ch_fading *fa = make_fading(CH_CHAN_RICIAN, 1.25, 6, 0.0);
    ch_fading *fb = make_fading(CH_CHAN_RICIAN, 1.25, 6, 0.0);
    ch_link la = {.modem = m, .fading = fa, .ebn0_lo_db = 1.5, .ebn0_hi_db = 4.5, .code_rate = 0.8};
    ch_link lb = la;
    lb.fading = fb;
    ch_rng *ra = ch_rng_create(2385, 5), *rb = ch_rng_create(2385, 5);
    pairs a = pairs_alloc(n, 3), b = pairs_alloc(n, 3);
    for (int per_symbol = 0; per_symbol < 2; per_symbol++) {
        ch_fading_reset(fa, ra);
        ch_fading_reset(fb, rb);
        fill(&la, ra, per_symbol, &a);
        assert_int_equal(ch_pairs_fill(&lb, rb, per_symbol, n, b.bits, b.y, NULL, b.n0), CH_OK);
        assert_memory_equal(a.bits, b.bits, n * 3);
        assert_memory_equal(a.y, b.y, n * sizeof *a.y);
        assert_memory_equal(a.n0, b.n0, n * sizeof *a.n0);
    }
    pairs_free(&a);
    pairs_free(&b);
    ch_rng_destroy(ra);
    ch_rng_destroy(rb);
    ch_fading_destroy(fa);
    ch_fading_destroy(fb);
    ch_modem_destroy(m);
}

static void test_bits_balanced(void **state)
{
    (void)state;
    const size_t n = 1u << 16;
    ch_modem *m = make_modem(CH_MOD_64QAM);
    ch_link link = {.modem = m, .ebn0_lo_db = 0.5, .ebn0_hi_db = 12.0, .code_rate = 1.0};
    ch_rng *r = ch_rng_create(2385, 6);
    pairs p = pairs_alloc(n, 6);
    fill(&link, r, 1, &p);
    double ones = 0.0, nb = (double)n * 6;
    for (size_t i = 0; i < n * 6; i++)
        ones += p.bits[i];
    if (!(fabs(ones / nb - 0.5) <= Z999 * 0.5 / sqrt(nb)))
        fail_msg("fraction of ones %g", ones / nb);
    pairs_free(&p);
    ch_rng_destroy(r);
    ch_modem_destroy(m);
}

/* ch_pairs_fill rejects the call with CH_EINVAL and a message naming what. */
static void assert_rejected(const ch_link *link, ch_rng *r, pairs *p, const char *what)
{
    ch_error(CH_OK, "%s", "");
    int s = ch_pairs_fill(link, r, 0, p->n, p->bits, p->y, p->h, p->n0);
    if (s != CH_EINVAL) fail_msg("status %d, expected CH_EINVAL for %s", s, what);
    const char *msg = ch_last_error();
    if (!strstr(msg, "ch_pairs_fill") || !strstr(msg, what))
        fail_msg("message \"%s\" does not name %s", msg, what);
}

static void test_bad_links(void **state)
{
    (void)state;
    ch_modem *m = make_modem(CH_MOD_QPSK);
    const ch_link good = {.modem = m, .ebn0_lo_db = 2.25, .ebn0_hi_db = 8.5, .code_rate = 0.5};
    ch_rng *r = ch_rng_create(2385, 7);
    pairs p = pairs_alloc(16, 2);
    ch_link l;

    assert_rejected(NULL, r, &p, "link");
    l = good, l.modem = NULL, assert_rejected(&l, r, &p, "modem");
    l = good, l.ebn0_lo_db = NAN, assert_rejected(&l, r, &p, "ebn0_lo_db");
    l = good, l.ebn0_hi_db = INFINITY, assert_rejected(&l, r, &p, "ebn0_hi_db=inf");
    l = good, l.ebn0_lo_db = 8.5, l.ebn0_hi_db = 2.25,
    assert_rejected(&l, r, &p, "ebn0_lo_db=8.5 > ebn0_hi_db=2.25");
    l = good, l.code_rate = 0.0, assert_rejected(&l, r, &p, "code_rate=0");
    l = good, l.code_rate = 1.25, assert_rejected(&l, r, &p, "code_rate=1.25");
    l = good, l.code_rate = -0.5, assert_rejected(&l, r, &p, "code_rate=-0.5");
    l = good, l.code_rate = NAN, assert_rejected(&l, r, &p, "code_rate");
    /* An SNR whose n0 a float cannot hold: n0 = 1e-45 would round to 0, 1e45 to inf. */
    l = good, l.ebn0_hi_db = 445.5, assert_rejected(&l, r, &p, "ebn0_hi_db=445.5");
    l = good, l.ebn0_lo_db = -455.5, assert_rejected(&l, r, &p, "ebn0_lo_db=-455.5");
    assert_rejected(&good, NULL, &p, "r is NULL");
    pairs q = p;
    q.y = NULL, assert_rejected(&good, r, &q, "y is NULL");
    q = p, q.n0 = NULL, assert_rejected(&good, r, &q, "n0 is NULL");
    q = p, q.bits = NULL, assert_rejected(&good, r, &q, "bits is NULL");

    /* The edges are valid: one SNR, rate 1, no symbols with no arrays. */
    l = good, l.ebn0_lo_db = l.ebn0_hi_db = -4.5, l.code_rate = 1.0;
    assert_int_equal(ch_pairs_fill(&l, r, 1, 16, p.bits, p.y, NULL, p.n0), CH_OK);
    assert_int_equal(ch_pairs_fill(&good, r, 0, 0, NULL, NULL, NULL, NULL), CH_OK);
    pairs_free(&p);
    ch_rng_destroy(r);
    ch_modem_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes_and_awgn),  cmocka_unit_test(test_noise_free_at_huge_snr),
        cmocka_unit_test(test_noise_statistics), cmocka_unit_test(test_snr_uniform_in_db),
        cmocka_unit_test(test_h_is_optional),    cmocka_unit_test(test_bits_balanced),
        cmocka_unit_test(test_bad_links),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
