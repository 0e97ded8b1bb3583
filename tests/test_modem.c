/* Constellations, mapper and demappers: unit energy, Gray labels, noise-free round trips through
 * every demapper, LLRs against a brute-force double-precision formula, custom constellation
 * files (valid and every kind of bad one), and the name parser. */
#include "test_util.h"

#include "ch_complex.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ch_error.h"
#include "modem.h"
#include "rng.h"

static const ch_mod_kind builtins[] = {CH_MOD_BPSK,  CH_MOD_QPSK,  CH_MOD_8PSK,
                                       CH_MOD_16QAM, CH_MOD_64QAM, CH_MOD_256QAM};
#define N_BUILTINS (sizeof builtins / sizeof builtins[0])

/* An irregular 8-point constellation with decimal and binary labels, comments and blank
 * lines: the general demapper path on a constellation that is neither PSK nor square. */
static const char custom_text[] = "# irregular 8 points\n"
                                  "\n"
                                  "000  2.385  0.31\n"
                                  "1   -0.7   1.9   # decimal label\n"
                                  "2    0.2  -1.45\n"
                                  "011 -1.6  -0.9\n"
                                  "4    1.1   1.2\n"
                                  "101 -2.2   0.4\n"
                                  "6    0.05 -0.12\n"
                                  "  7  1.7  -1.8\n";

/* Writes text to a fresh temporary file; its path into path[64]. */
static void write_temp(const char *text, char *path)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, 64, "%s/bersim_modem_XXXXXX", dir && strlen(dir) < 32 ? dir : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* The custom constellation above, loaded from a temporary file. */
static ch_modem *load_custom(void)
{
    char path[64];
    write_temp(custom_text, path);
    ch_modem *m = ch_modem_load(path);
    unlink(path);
    assert_non_null(m);
    return m;
}

/* Every modulation under test: the built-ins, then the custom one; NULL after the last. */
static ch_modem *modem_at(size_t i)
{
    if (i < N_BUILTINS) {
        ch_modem *m = ch_modem_create(builtins[i]);
        assert_non_null(m);
        return m;
    }
    return i == N_BUILTINS ? load_custom() : NULL;
}

static double energy(const ch_modem *m)
{
    const float complex *p = ch_modem_points(m);
    double e = 0;
    for (unsigned l = 0; l < ch_modem_order(m); l++)
        e += (double)crealf(p[l]) * crealf(p[l]) + (double)cimagf(p[l]) * cimagf(p[l]);
    return e / ch_modem_order(m);
}

/* Orders, names, and mean symbol energy 1 within float rounding (each point's energy carries a
 * relative rounding of about 2^-23). */
static void test_builtin_shapes_and_energy(void **state)
{
    (void)state;
    static const unsigned order[] = {2, 4, 8, 16, 64, 256};
    for (size_t i = 0; i < N_BUILTINS; i++) {
        ch_modem *m = ch_modem_create(builtins[i]);
        assert_non_null(m);
        assert_int_equal(ch_modem_kind(m), builtins[i]);
        assert_int_equal(ch_modem_order(m), order[i]);
        assert_int_equal(1u << ch_modem_bits_per_symbol(m), order[i]);
        assert_string_equal(ch_modem_name(m), ch_mod_name(builtins[i]));
        assert_close(energy(m), 1.0, 0, 3e-7);
        ch_modem_destroy(m);
    }
    ch_modem *m = load_custom();
    assert_close(energy(m), 1.0, 0, 3e-7);
    assert_int_equal(ch_modem_kind(m), CH_MOD_CUSTOM);
    ch_modem_destroy(m);
    ch_modem_destroy(NULL);
}

/* Gray property: every point's nearest neighbours (all points at the minimum distance, within
 * float rounding) differ from it in exactly one bit. */
static void test_builtin_gray(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_BUILTINS; i++) {
        ch_modem *m = ch_modem_create(builtins[i]);
        assert_non_null(m);
        const float complex *p = ch_modem_points(m);
        unsigned M = ch_modem_order(m);
        for (unsigned a = 0; a < M; a++) {
            double dmin = INFINITY;
            for (unsigned b = 0; b < M; b++)
                if (b != a) dmin = fmin(dmin, cabs((double complex)p[a] - p[b]));
            unsigned neighbours = 0;
            for (unsigned b = 0; b < M; b++)
                if (b != a && cabs((double complex)p[a] - p[b]) < dmin * (1 + 1e-5)) {
                    neighbours++;
                    if (__builtin_popcount(a ^ b) != 1)
                        fail_msg("%s: labels %u and %u are neighbours", ch_mod_name(builtins[i]), a,
                                 b);
                }
            assert_true(neighbours >= 1 && neighbours <= 4);
        }
        ch_modem_destroy(m);
    }
}

/* Square QAM labels: the first k/2 bits give the I coordinate, the last k/2 the Q one; bit 0
 * of BPSK is +1. */
static void test_square_label_layout(void **state)
{
    (void)state;
    ch_modem *m = ch_modem_create(CH_MOD_16QAM);
    assert_non_null(m);
    const float complex *p = ch_modem_points(m);
    for (unsigned a = 0; a < 16; a++)
        for (unsigned b = 0; b < 16; b++) {
            if ((a >> 2) == (b >> 2)) assert_true(crealf(p[a]) == crealf(p[b]));
            if ((a & 3) == (b & 3)) assert_true(cimagf(p[a]) == cimagf(p[b]));
        }
    ch_modem_destroy(m);
    m = ch_modem_create(CH_MOD_BPSK);
    assert_non_null(m);
    assert_true(ch_modem_points(m)[0] == 1.0f && ch_modem_points(m)[1] == -1.0f);
    ch_modem_destroy(m);
}

/* Random bits[n], and random gains h[n] with |h| between 0.3 and 2.1, n0[n] in (0.05, 2). */
static void random_link(ch_rng *r, size_t nbits, size_t nsym, uint8_t *bits, float complex *h,
                        float *n0)
{
    ch_rng_bits(r, nbits, bits);
    for (size_t j = 0; j < nsym; j++) {
        double mag = 0.3 + 1.8 * ch_rng_double(r), ph = 6.283185307179586 * ch_rng_double(r);
        h[j] = CMPLXF((float)(mag * cos(ph)), (float)(mag * sin(ph)));
        n0[j] = (float)(0.05 + 1.95 * ch_rng_double(r));
    }
}

/* Noise-free round trip for every modulation and every demapper, with h = 1 (NULL) and with a
 * random complex gain per symbol (y = h x): the bits come back, and every LLR has the sign of
 * its bit. n0 is scaled down to about 1e-4 (far below d^2 of 256-QAM): at low SNR an exact LLR
 * may rightly disagree with the transmitted bit even without noise. */
static void test_round_trip(void **state)
{
    (void)state;
    enum { NSYM = 1000, KMAX = 8 };
    static uint8_t bits[NSYM * KMAX], out[NSYM * KMAX];
    static float complex x[NSYM], y[NSYM], h[NSYM];
    static float n0[NSYM], llr[NSYM * KMAX];
    ch_rng *r = ch_rng_create(2385, 20);
    assert_non_null(r);
    ch_modem *m;
    for (size_t i = 0; (m = modem_at(i)); i++) {
        size_t k = ch_modem_bits_per_symbol(m), nb = NSYM * k;
        random_link(r, nb, NSYM, bits, h, n0);
        for (size_t j = 0; j < NSYM; j++)
            n0[j] *= 1e-4f;
        ch_modem_map(m, NSYM, bits, x);
        for (int with_h = 0; with_h < 2; with_h++) {
            const float complex *hp = with_h ? h : NULL;
            for (size_t j = 0; j < NSYM; j++)
                y[j] = with_h ? CMPLXF(crealf(h[j]) * crealf(x[j]) - cimagf(h[j]) * cimagf(x[j]),
                                       crealf(h[j]) * cimagf(x[j]) + cimagf(h[j]) * crealf(x[j]))
                              : x[j];
            memset(out, 7, nb);
            ch_modem_demap_hard(m, NSYM, y, hp, out);
            assert_memory_equal(out, bits, nb);
            for (int exact = 0; exact < 2; exact++) {
                (exact ? ch_modem_demap_exact : ch_modem_demap_maxlog)(m, NSYM, y, hp, n0, llr);
                for (size_t b = 0; b < nb; b++)
                    if (!(bits[b] ? llr[b] < 0 : llr[b] > 0))
                        fail_msg("%s, %s, h %s: bit %zu = %u, llr %g", ch_modem_name(m),
                                 exact ? "exact" : "max-log", with_h ? "random" : "1", b, bits[b],
                                 llr[b]);
                memset(out, 7, nb);
                ch_llr_decide(nb, llr, out);
                assert_memory_equal(out, bits, nb);
            }
        }
        ch_modem_destroy(m);
    }
    ch_rng_destroy(r);
}

/* Max-log and exact LLRs against the definitions evaluated in double over all M points, on
 * noisy symbols with random h and n0. Tolerance: float rounding of metrics of size up to
 * mmax = max(min0, min1, |llr|) gives a few 1e-7 mmax; 2e-6 mmax + 2e-5 leaves margin. */
static void test_llr_against_brute_force(void **state)
{
    (void)state;
    enum { NSYM = 2000, KMAX = 8 };
    static uint8_t bits[NSYM * KMAX];
    static float complex x[NSYM], y[NSYM], h[NSYM], w[NSYM];
    static float n0[NSYM], lm[NSYM * KMAX], le[NSYM * KMAX];
    ch_rng *r = ch_rng_create(2385, 21);
    assert_non_null(r);
    ch_modem *m;
    for (size_t i = 0; (m = modem_at(i)); i++) {
        unsigned k = ch_modem_bits_per_symbol(m), M = ch_modem_order(m);
        const float complex *p = ch_modem_points(m);
        random_link(r, NSYM * k, NSYM, bits, h, n0);
        ch_modem_map(m, NSYM, bits, x);
        ch_rng_cgauss(r, NSYM, 1.0f, w);
        for (size_t j = 0; j < NSYM; j++)
            y[j] = (float complex)((double complex)h[j] * x[j] + sqrt(n0[j]) * w[j]);
        for (int with_h = 0; with_h < 2; with_h++) {
            ch_modem_demap_maxlog(m, NSYM, y, with_h ? h : NULL, n0, lm);
            ch_modem_demap_exact(m, NSYM, y, with_h ? h : NULL, n0, le);
            for (size_t j = 0; j < NSYM; j++) {
                double complex hj = with_h ? (double complex)h[j] : 1.0;
                for (unsigned b = 0; b < k; b++) {
                    double mn[2] = {INFINITY, INFINITY}, s[2] = {0, 0};
                    for (unsigned l = 0; l < M; l++) {
                        double complex e = y[j] - hj * p[l];
                        double dist = (creal(e) * creal(e) + cimag(e) * cimag(e)) / n0[j];
                        int c = l >> (k - 1 - b) & 1;
                        mn[c] = fmin(mn[c], dist);
                    }
                    for (unsigned l = 0; l < M; l++) {
                        double complex e = y[j] - hj * p[l];
                        double dist = (creal(e) * creal(e) + cimag(e) * cimag(e)) / n0[j];
                        int c = l >> (k - 1 - b) & 1;
                        s[c] += exp(mn[c] - dist);
                    }
                    double ref_m = mn[1] - mn[0], ref_e = ref_m + log(s[0] / s[1]);
                    double mmax = fmax(fmax(mn[0], mn[1]), fabs(ref_m));
                    double tol = 2e-6 * mmax + 2e-5;
                    if (!(fabs(lm[j * k + b] - ref_m) <= tol && fabs(le[j * k + b] - ref_e) <= tol))
                        fail_msg("%s, h %s, symbol %zu bit %u: max-log %.9g vs %.9g, exact %.9g "
                                 "vs %.9g (tol %.3g)",
                                 ch_modem_name(m), with_h ? "random" : "1", j, b, lm[j * k + b],
                                 ref_m, le[j * k + b], ref_e, tol);
                }
            }
        }
        ch_modem_destroy(m);
    }
    ch_rng_destroy(r);
}

/* Hard decisions are the nearest point: against a brute-force search on noisy symbols. */
static void test_hard_is_nearest(void **state)
{
    (void)state;
    enum { NSYM = 3000, KMAX = 8 };
    static uint8_t bits[NSYM * KMAX], out[NSYM * KMAX];
    static float complex x[NSYM], y[NSYM], h[NSYM], w[NSYM];
    static float n0[NSYM];
    ch_rng *r = ch_rng_create(2385, 22);
    assert_non_null(r);
    ch_modem *m;
    for (size_t i = 0; (m = modem_at(i)); i++) {
        unsigned k = ch_modem_bits_per_symbol(m), M = ch_modem_order(m);
        const float complex *p = ch_modem_points(m);
        random_link(r, NSYM * k, NSYM, bits, h, n0);
        ch_modem_map(m, NSYM, bits, x);
        ch_rng_cgauss(r, NSYM, 0.2385f, w);
        for (size_t j = 0; j < NSYM; j++)
            y[j] = (float complex)((double complex)h[j] * x[j] + w[j]);
        ch_modem_demap_hard(m, NSYM, y, h, out);
        for (size_t j = 0; j < NSYM; j++) {
            unsigned got = 0;
            for (unsigned b = 0; b < k; b++)
                got = got << 1 | out[j * k + b];
            double complex z = y[j] / (double complex)h[j];
            double dgot = cabs(z - p[got]), dbest = INFINITY;
            for (unsigned l = 0; l < M; l++)
                dbest = fmin(dbest, cabs(z - p[l]));
            if (!(dgot <= dbest + 1e-5))
                fail_msg("%s: symbol %zu decided at distance %g, nearest %g", ch_modem_name(m), j,
                         dgot, dbest);
        }
        ch_modem_destroy(m);
    }
    ch_rng_destroy(r);
}

/* A custom file: labels binary or decimal, in any order; points scaled by one common factor to
 * unit energy; name "custom(path)". */
static void test_load_valid(void **state)
{
    (void)state;
    char path[64], name[80];
    write_temp(custom_text, path);
    ch_modem *m = ch_modem_load(path);
    assert_non_null(m);
    snprintf(name, sizeof name, "custom(%s)", path);
    assert_string_equal(ch_modem_name(m), name);
    assert_int_equal(ch_modem_order(m), 8);
    assert_int_equal(ch_modem_bits_per_symbol(m), 3);
    const float complex *p = ch_modem_points(m);
    static const double raw[8][2] = {{2.385, 0.31}, {-0.7, 1.9}, {0.2, -1.45},  {-1.6, -0.9},
                                     {1.1, 1.2},    {-2.2, 0.4}, {0.05, -0.12}, {1.7, -1.8}};
    double e = 0;
    for (int l = 0; l < 8; l++)
        e += raw[l][0] * raw[l][0] + raw[l][1] * raw[l][1];
    double scale = 1 / sqrt(e / 8);
    for (int l = 0; l < 8; l++) {
        assert_close(crealf(p[l]), raw[l][0] * scale, 1e-6, 1e-7);
        assert_close(cimagf(p[l]), raw[l][1] * scale, 1e-6, 1e-7);
    }
    ch_modem_destroy(m);
    unlink(path);
}

/* Points of any magnitude reach unit energy: 1e-300 and 1e200 times a QPSK give QPSK. */
static void test_load_extreme_scales(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "0 1e-300 1e-300\n1 -1e-300 1e-300\n2 1e-300 -1e-300\n3 -1e-300 -1e-300\n",
        "0 2.385e200 2.385e200\n1 -2.385e200 2.385e200\n2 2.385e200 -2.385e200\n"
        "3 -2.385e200 -2.385e200\n",
    };
    for (size_t i = 0; i < 2; i++) {
        char path[64];
        write_temp(texts[i], path);
        ch_modem *m = ch_modem_load(path);
        assert_non_null(m);
        const float complex *p = ch_modem_points(m);
        for (unsigned l = 0; l < 4; l++) {
            assert_close(fabsf(crealf(p[l])), sqrt(0.5), 1e-6, 0);
            assert_close(fabsf(cimagf(p[l])), sqrt(0.5), 1e-6, 0);
        }
        ch_modem_destroy(m);
        unlink(path);
    }
}

/* Every kind of bad file gives NULL and one line naming the file, the line and the fault. */
static void test_load_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *line, *fault;
    } cases[] = {
        {"", "line 1", "no points"},
        {"# only a comment\n\n", "line 1", "no points"},
        {"0 1.5 0\n1 -0.5 0.3\n2 0.25 -1\n", "line 3", "not a power of two"},
        {"0 2.385 0\n", "line 1", "not a power of two"},
        {"00 1 1\n01 -1 1\n01 1 -1\n11 -1 -1\n", "line 3", "already given on line 2"},
        {"00 1 1\n-1.2 1.1\n10 1 -1\n11 -1 -1\n", "line 2", "missing label"},
        {"0 1 1\n1 -1 1\n7 1 -1\n3 -1 -1\n", "line 3", "label 7 out of range 0..3"},
        {"0 1 1\n1 -1 1\n2 1 -1\n3 -1 -1\n4 0.5 0.5\n5 -0.5 0.5\n6 1 1\n7 0.3 0.2\n", "line 7",
         "equals the one on line 1"},
        /* distinct floats closer than 1e-6 of the RMS, and 1e-40 beside 0 */
        {"0 1 0\n1 1.0000003 0\n2 -1 0\n3 0 1\n", "line 2",
         "equals the one on line 1 (closer than 1e-06 of the RMS"},
        {"0 1 0\n1 1e-40 0\n2 0 0\n3 0 1\n", "line 3", "equals the one on line 2"},
        {"0 1 1\n1 -1 1x\n", "line 2", "'1x' is not a finite number"},
        {"0 1 1\n1 nan 1\n", "line 2", "'nan' is not a finite number"},
        {"0 1 1\n1 -1 1 4\n", "line 2", "more than 3 fields"},
        {"0 1 1\nx1 -1 1\n", "line 2", "bad label 'x1'"},
        {"0 0 0\n1 0 0\n", "line 1", "every point is 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[64];
        write_temp(cases[i].text, path);
        ch_modem *m = ch_modem_load(path);
        const char *msg = ch_last_error();
        if (m || !strstr(msg, path) || !strstr(msg, cases[i].line) ||
            !strstr(msg, cases[i].fault) || strchr(msg, '\n'))
            fail_msg("case %zu: got %s, message '%s'", i, m ? "a modem" : "NULL", msg);
        unlink(path);
    }
    assert_null(ch_modem_load("/nonexistent/bersim/const.txt"));
    assert_non_null(strstr(ch_last_error(), "/nonexistent/bersim/const.txt"));
    assert_non_null(strstr(ch_last_error(), "cannot open"));
}

/* Over CH_MODEM_MAX_ORDER points is refused at the first extra line. */
static void test_load_too_many(void **state)
{
    (void)state;
    size_t n = CH_MODEM_MAX_ORDER + 1;
    char *text = malloc(n * 40);
    assert_non_null(text);
    size_t len = 0;
    for (size_t l = 0; l < n; l++)
        len += (size_t)sprintf(text + len, "%zu %.4f %.4f\n", l, (double)l * 0.001, 2.385);
    char path[64];
    write_temp(text, path);
    free(text);
    assert_null(ch_modem_load(path));
    assert_non_null(strstr(ch_last_error(), "line 4097: more than 4096 points"));
    unlink(path);
}

/* Names round-trip through ch_mod_parse; bad names are refused with a message naming them. */
static void test_mod_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_BUILTINS; i++) {
        ch_mod_kind k = CH_MOD_CUSTOM;
        assert_int_equal(ch_mod_parse(ch_mod_name(builtins[i]), &k), CH_OK);
        assert_int_equal(k, builtins[i]);
    }
    /* names are case-insensitive, as users type them */
    ch_mod_kind upper = CH_MOD_CUSTOM;
    assert_int_equal(ch_mod_parse("16QAM", &upper), CH_OK);
    assert_int_equal(upper, CH_MOD_16QAM);
    static const char *const bad[] = {"", "qam16", "bpsk ", "32qam", "custom", "16-qam"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ch_mod_kind k = CH_MOD_8PSK;
        assert_int_equal(ch_mod_parse(bad[i], &k), CH_EINVAL);
        assert_int_equal(k, CH_MOD_8PSK);
        char quoted[16];
        snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
        assert_non_null(strstr(ch_last_error(), quoted));
    }
    assert_string_equal(ch_mod_name(CH_MOD_CUSTOM), "custom");
    assert_null(ch_modem_create(CH_MOD_CUSTOM));
    assert_non_null(strstr(ch_last_error(), "ch_modem_create"));
}

/* Hard decisions on a received point that is a constellation point (h = 1) give its own label,
 * even where two points are 1e-5 to 1e-4 of the RMS apart (above CH_MODEM_MIN_DISTANCE): the
 * expanded metric's rounding tied such points (a fuzzer's find), over 200 random 64-point
 * constellations with one close pair each. */
static void test_hard_exact_on_close_points(void **state)
{
    (void)state;
    enum { M = 64, K = 6 };
    ch_rng *r = ch_rng_create(2385, 0);
    uint8_t bits[M * K], back[M * K];
    for (unsigned s = 0; s < M; s++)
        for (unsigned b = 0; b < K; b++) bits[s * K + b] = (uint8_t)(s >> (K - 1 - b) & 1);
    for (int trial = 0; trial < 200; trial++) {
        float complex pts[M], x[M];
        for (unsigned i = 0; i < M; i++)
            pts[i] = (float)(4 * ch_rng_double(r) - 2) + I * (float)(4 * ch_rng_double(r) - 2);
        pts[1] = pts[0] + (float)(1e-5 + 1e-4 * ch_rng_double(r)) * I;
        ch_modem *m = ch_modem_from_points(M, pts, "close");
        assert_non_null(m);
        ch_modem_map(m, M, bits, x);
        ch_modem_demap_hard(m, M, x, NULL, back);
        assert_memory_equal(bits, back, sizeof bits);
        ch_modem_destroy(m);
    }
    ch_rng_destroy(r);
}

/* Received samples for the decision test: noise around the points, and samples exactly on the
 * per-axis thresholds (0 and the midpoints between levels, where max-log LLRs are exactly 0 and
 * the decision must be bit 0 as llr < 0 says), some with a zero gain (scale 0: every LLR 0). */
static void decision_samples(ch_rng *r, const ch_modem *m, size_t n, float sigma,
                             float complex *y, float complex *h)
{
    static uint8_t bits[1000 * 8];
    static const float edges[] = {0.0f, 0.6324555f, -0.6324555f, 0.3086067f, -0.3086067f};
    ch_rng_bits(r, n * ch_modem_bits_per_symbol(m), bits);
    ch_modem_map(m, n, bits, y);
    for (size_t i = 0; i < n; i++) {
        y[i] += sigma * (float)(2 * ch_rng_double(r) - 1) + I * sigma * (float)(2 * ch_rng_double(r) - 1);
        h[i] = (float)(0.2 + ch_rng_double(r)) + I * (float)(ch_rng_double(r) - 0.5);
        if (i % 7 == 0) y[i] = edges[i / 7 % 5] + I * edges[(i / 7 + 2) % 5];
        if (i % 11 == 0) h[i] = 0;
    }
}

/* ch_modem_demap_soft: its decisions, with or without the LLRs stored, are ch_llr_decide of its
 * LLRs bit for bit, and its LLRs are those of ch_modem_demap_maxlog and _exact; every built-in
 * constellation, the general path, with and without gains, from high SNR to n0 = infinity
 * (scale 0), on 1000 symbols (a partial block at the end). */
static void test_soft_decisions_are_llr_signs(void **state)
{
    (void)state;
    enum { N = 1000 };
    static float complex y[N], h[N];
    static float n0[N], llr[N * 8], llr2[N * 8];
    static uint8_t want[N * 8], got[N * 8], got2[N * 8];
    static const float n0s[] = {1e-4f, 0.1f, 1.0f, 30.0f, INFINITY};
    ch_rng *r = ch_rng_create(2385, 3);
    for (size_t t = 0; t <= N_BUILTINS; t++) {
        ch_modem *m = t < N_BUILTINS ? ch_modem_create(builtins[t]) : load_custom();
        assert_non_null(m);
        size_t nb = N * ch_modem_bits_per_symbol(m);
        for (size_t v = 0; v < sizeof n0s / sizeof n0s[0]; v++)
            for (int exact = 0; exact < 2; exact++)
                for (int faded = 0; faded < 2; faded++) {
                    decision_samples(r, m, N, 0.4f, y, h);
                    for (size_t i = 0; i < N; i++) n0[i] = n0s[v];
                    const float complex *g = faded ? h : NULL;
                    if (exact)
                        ch_modem_demap_exact(m, N, y, g, n0, llr);
                    else
                        ch_modem_demap_maxlog(m, N, y, g, n0, llr);
                    ch_llr_decide(nb, llr, want);
                    memset(got, 7, sizeof got);
                    ch_modem_demap_soft(m, exact, N, y, g, n0, NULL, got);
                    assert_memory_equal(got, want, nb);
                    ch_modem_demap_soft(m, exact, N, y, g, n0, llr2, got2);
                    assert_memory_equal(got2, want, nb);
                    assert_memory_equal(llr2, llr, nb * sizeof *llr);
                }
        ch_modem_destroy(m);
    }
    ch_rng_destroy(r);
}

/* Whether a[0 .. n-1] and b[0 .. n-1] are the same floats bit for bit, any two NaNs alike: the
 * sign and payload of a NaN follow the order the compiler gives a product's operands, which
 * differs between the demappers' loops and is no part of their contract. */
static int same_floats(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(isnan(a[i]) && isnan(b[i])) && memcmp(a + i, b + i, sizeof *a) != 0) return 0;
    return 1;
}

/* One noise level against one a symbol: unfaded symbols whose n0 are all one value take its
 * scale once (the square-QAM demappers read y itself then, 16-point constellations take the
 * AVX-512 demapper where the build has it). Three calls: every n0 `base`; the same but symbol
 * p's `other` (a scale a symbol); every n0 `other`. Every LLR and decision of the second but
 * symbol p's must be the first's, and symbol p's the third's, bit for bit, with other one float
 * above base and with base +0, other -0 (infinite scales of opposite signs), p first (0), second
 * in the first vector of 16 symbols of a pair (257), in the middle of the second (310) and last;
 * max-log and, where `exact`, exact, faded or not, LLRs alone, decisions alone and both, with
 * partial ends (600 symbols: 18.5 steps of 32, then 8 more), two symbols near the largest float
 * (2y overflows) and
 * four of infinite or NaN coordinates. Neither LLRs nor decisions wanted: nothing is written and
 * nothing fails. */
static void check_one_noise_level(ch_rng *r, const ch_modem *m, int exact_too)
{
    enum { N = 600 };
    const float pairs[][2] = {{0.3f, nextafterf(0.3f, 1.0f)}, {0.0f, -0.0f}};
    static const size_t at[] = {0, 257, 310, N - 1};
    static float complex y[N], h[N];
    static float base[N], each[N], other[N], llr[3][N * 8];
    static uint8_t bits[3][N * 8];
    const unsigned k = ch_modem_bits_per_symbol(m);
    for (size_t v = 0; v < 2 * 4; v++) {
        const size_t p = at[v % 4];
        for (size_t i = 0; i < N; i++)
            base[i] = each[i] = pairs[v / 4][0], other[i] = pairs[v / 4][1];
        each[p] = pairs[v / 4][1];
        for (int exact = 0; exact <= exact_too; exact++)
            for (int faded = 0; faded < 2; faded++)
                for (int out = 0; out < 4; out++) { /* 1 LLRs, 2 decisions, 3 both */
                    decision_samples(r, m, N, 0.5f, y, h);
                    y[5] = CMPLXF(1.75e38f, 0.5f), y[300] = CMPLXF(0.5f, -1.75e38f); /* 2y overflows */
                    y[21] = CMPLXF(INFINITY, 0.25f), y[22] = CMPLXF(-0.5f, -INFINITY);
                    y[23] = CMPLXF(NAN, 0.0f), y[330] = CMPLXF(INFINITY, INFINITY);
                    const float complex *g = faded ? h : NULL;
                    const float *n0s[3] = {base, each, other};
                    memset(llr, 0x7f, sizeof llr), memset(bits, 7, sizeof bits);
                    for (int c = 0; c < 3; c++)
                        ch_modem_demap_soft(m, exact, N, y, g, n0s[c], out & 1 ? llr[c] : NULL,
                                            out & 2 ? bits[c] : NULL);
                    const size_t lo = p * k, hi = (p + 1) * k, nb = N * k;
                    assert_true(same_floats(llr[1], llr[0], lo));
                    assert_true(same_floats(llr[1] + hi, llr[0] + hi, nb - hi));
                    assert_true(same_floats(llr[1] + lo, llr[2] + lo, k));
                    assert_memory_equal(bits[1], bits[0], lo);
                    assert_memory_equal(bits[1] + hi, bits[0] + hi, nb - hi);
                    assert_memory_equal(bits[1] + lo, bits[2] + lo, k);
                }
    }
}

/* Point v (0 .. 15) of a 4 x 4 grid whose coordinates include 0 ({-1, 0, 1, 2} x {-2, -1, 0, 1}):
 * y of an infinite coordinate makes some of its metrics NaN (infinity times 0), others infinite. */
static float complex grid16_point(unsigned v)
{
    return CMPLXF((float)(v % 4) - 1.0f, (float)(v / 4) - 2.0f);
}

/* check_one_noise_level on every square constellation (BPSK, QPSK, 16-, 64- and 256-QAM), max-log
 * and exact, and max-log on the general path: 8-PSK, the custom 8 points, 16 random points, the
 * 16-QAM points with their labels shuffled and a 4 x 4 grid with zero coordinates (the general
 * path's exact LLRs of a symbol may depend on the other symbols of its chunk, which choose the
 * way its sums are taken). */
static void test_one_noise_level_as_per_symbol(void **state)
{
    (void)state;
    ch_rng *r = ch_rng_create(2385, 41);
    assert_non_null(r);
    for (size_t t = 0; t < N_BUILTINS; t++) {
        ch_modem *m = modem_at(t);
        check_one_noise_level(r, m, builtins[t] != CH_MOD_8PSK);
        ch_modem_destroy(m);
    }
    ch_modem *m = load_custom();
    check_one_noise_level(r, m, 0);
    ch_modem_destroy(m);
    float complex p[16];
    for (int kind = 0; kind < 3; kind++) { /* random, 16-QAM shuffled, a grid with zeros */
        ch_modem *q = ch_modem_create(CH_MOD_16QAM);
        assert_non_null(q);
        for (unsigned l = 0; l < 16; l++)
            p[l] = kind == 1   ? ch_modem_points(q)[(5 * l + 3) % 16]
                   : kind == 2 ? grid16_point((7 * l + 2) % 16)
                               : CMPLXF((float)(2 * ch_rng_double(r) - 1),
                                        (float)(2 * ch_rng_double(r) - 1));
        ch_modem_destroy(q);
        m = ch_modem_from_points(16, p, "sixteen");
        assert_non_null(m);
        check_one_noise_level(r, m, 0);
        ch_modem_destroy(m);
    }
    ch_rng_destroy(r);
}

/* The 16 points of grid16_point, labelled at random. */
static ch_modem *random_grid16(ch_rng *r)
{
    float complex p[16];
    unsigned at[16];
    for (unsigned l = 0; l < 16; l++)
        at[l] = l;
    for (unsigned l = 15; l > 0; l--) {
        unsigned j = (unsigned)(ch_rng_u64(r) % (l + 1)), t = at[l];
        at[l] = at[j], at[j] = t;
    }
    for (unsigned l = 0; l < 16; l++)
        p[l] = grid16_point(at[l]);
    ch_modem *m = ch_modem_from_points(16, p, "grid");
    assert_non_null(m);
    return m;
}

/* Max-log LLRs of unfaded symbols of one noise level (the AVX-512 demapper where the build has
 * it; elsewhere the C path on both sides) against those of the same symbols taken a noise level
 * each: all but the last of one level (small_maxlog for the last), two levels alternating (the
 * AVX-512 demapper of a noise level each), and each symbol alone (small_maxlog): the same
 * floats for symbols of infinite and NaN coordinates too, NaNs alike but NaN against a number
 * not, on 200 random grids of random_grid16. Which operand a minimum passes on when one is NaN
 * decides such a symbol's LLRs, so a demapper that takes any minimum's operands the other way round
 * fails this. */
static void test_maxlog16_special_values(void **state)
{
    (void)state;
    enum { N = 81 }; /* two loop rounds of 32, the odd step of 16 and one symbol more */
    const float special[] = {INFINITY, -INFINITY, NAN, 0.0f, -0.0f, 1.0f, -1.0f, 2.0f, 1e30f};
    const size_t n_special = sizeof special / sizeof *special;
    const float level[2] = {0.5f, 0.25f};
    ch_rng *r = ch_rng_create(612, 3);
    assert_non_null(r);
    float complex y[N];
    float n0[N], llr[4][N * 4]; /* levels 0 and 1, the last symbol at level 1, alternating */
    for (int trial = 0; trial < 200; trial++) {
        ch_modem *m = random_grid16(r);
        for (size_t i = 0; i < N; i++)
            y[i] = CMPLXF(special[ch_rng_u64(r) % n_special], special[ch_rng_u64(r) % n_special]);
        for (int c = 0; c < 4; c++) {
            for (size_t i = 0; i < N; i++)
                n0[i] = level[c == 1 || (c == 3 && i % 2)];
            if (c == 2) n0[N - 1] = level[1];
            ch_modem_demap_maxlog(m, N, y, NULL, n0, llr[c]);
        }
        assert_true(same_floats(llr[0], llr[2], (N - 1) * 4));
        for (size_t i = 0; i < N; i++) {
            float alone[4]; /* a symbol alone: the C loop's floats */
            ch_modem_demap_maxlog(m, 1, y + i, NULL, level, alone);
            assert_true(same_floats(llr[0] + 4 * i, alone, 4));
            assert_true(same_floats(llr[i % 2] + 4 * i, llr[3] + 4 * i, 4));
        }
        ch_modem_destroy(m);
    }
    ch_rng_destroy(r);
}

/* ---- the general max-log demapper of constellations of up to 16 points ---- */

enum { SMALL_NSYM = 2600 }; /* more than two of the demapper's blocks of 1024, a partial end */

/* The constellations of the test: 8-PSK (built in), the points of BPSK, QPSK, 8-PSK and 16-QAM
 * as custom constellations (the general path) in their Gray labelling and shuffled, and random
 * constellations of 2 to 16 points (random labels). Returns NULL after the last. */
static ch_modem *small_modem_at(ch_rng *r, size_t i)
{
    static const ch_mod_kind kinds[] = {CH_MOD_BPSK, CH_MOD_QPSK, CH_MOD_8PSK, CH_MOD_16QAM};
    float complex p[16];
    if (i-- == 0) {
        ch_modem *m = ch_modem_create(CH_MOD_8PSK);
        assert_non_null(m);
        return m;
    }
    if (i < 8) {
        ch_modem *q = ch_modem_create(kinds[i / 2]);
        assert_non_null(q);
        unsigned order = ch_modem_order(q);
        memcpy(p, ch_modem_points(q), order * sizeof *p);
        ch_modem_destroy(q);
        for (unsigned l = order - 1; i % 2 && l > 0; l--) { /* Fisher-Yates: labels not Gray */
            unsigned j = (unsigned)(ch_rng_double(r) * (l + 1));
            float complex t = p[l];
            p[l] = p[j], p[j] = t;
        }
        ch_modem *m = ch_modem_from_points(order, p, i % 2 ? "shuffled" : "gray");
        assert_non_null(m);
        return m;
    }
    i -= 8;
    if (i >= 12) return NULL;
    unsigned order = 2u << (i % 4);
    for (unsigned l = 0; l < order; l++)
        p[l] = CMPLXF((float)(2 * ch_rng_double(r) - 1), (float)(2 * ch_rng_double(r) - 1));
    ch_modem *m = ch_modem_from_points(order, p, "random");
    assert_non_null(m);
    return m;
}

/* The max-log LLR of symbol j, bit b as the demapper defines it, in float: with g = |h|^2 and
 * t = conj(h) y, the scale g / n0, u + iw = 2 t / g (0 when g is below the normal floats), the
 * metrics fmaf(w, -Im s_l, fmaf(u, -Re s_l, |s_l|^2)) and
 * llr = (min over bit 1 - min over bit 0) * scale; unfaded, the metric scaled before the
 * minima: u + iw = y, the points' terms |s_l|^2 (1 / n0) and -s_l (2 (1 / n0)), and
 * llr = min_1 - min_0. A minimum is one float whatever the order it is taken in and fmaf is
 * correctly rounded, so the demapper's LLR must be this, bit for bit. */
static float float_maxlog(const ch_modem *m, float complex y, const float complex *h, size_t j,
                          float n0, unsigned b)
{
    const unsigned k = ch_modem_bits_per_symbol(m);
    const float complex *p = ch_modem_points(m);
    float u = crealf(y), w = cimagf(y), inv = 1.0f / n0;
    float energy_scale = inv, point_scale = 2.0f * inv, scale = 1.0f;
    if (h) {
        float hr = crealf(h[j]), hi = cimagf(h[j]), g = hr * hr + hi * hi;
        float two_inv = g >= FLT_MIN ? 2.0f / g : 0.0f, yr = u, yi = w;
        scale = g / n0, energy_scale = point_scale = 1.0f;
        u = (hr * yr + hi * yi) * two_inv;
        w = (hr * yi - hi * yr) * two_inv;
    }
    float mn[2] = {INFINITY, INFINITY};
    for (unsigned l = 0; l < ch_modem_order(m); l++) {
        float re = crealf(p[l]), im = cimagf(p[l]), e = re * re + im * im;
        float d = fmaf(w, -im * point_scale, fmaf(u, -re * point_scale, e * energy_scale));
        unsigned c = l >> (k - 1 - b) & 1u;
        mn[c] = d < mn[c] ? d : mn[c];
    }
    return h ? (mn[1] - mn[0]) * scale : mn[1] - mn[0];
}

/* Symbols y = h x + w of random bits through m at Es/N0 esn0_db, with n0[j] random around the
 * noise level (or all one value), and random gains h. */
static void small_link(ch_rng *r, const ch_modem *m, double esn0_db, int uniform, uint8_t *bits,
                       float complex *y, float complex *h, float *n0)
{
    static float complex x[SMALL_NSYM], w[SMALL_NSYM];
    const double level = pow(10.0, -esn0_db / 10);
    ch_rng_bits(r, SMALL_NSYM * ch_modem_bits_per_symbol(m), bits);
    ch_modem_map(m, SMALL_NSYM, bits, x);
    ch_rng_cgauss(r, SMALL_NSYM, 1.0f, w);
    for (size_t j = 0; j < SMALL_NSYM; j++) {
        double mag = 0.3 + 1.8 * ch_rng_double(r), ph = 6.283185307179586 * ch_rng_double(r);
        h[j] = CMPLXF((float)(mag * cos(ph)), (float)(mag * sin(ph)));
        n0[j] = (float)(uniform ? level : level * (0.5 + ch_rng_double(r)));
        y[j] = (float complex)((double complex)h[j] * x[j] + sqrt(n0[j]) * w[j]);
    }
}

/* Max-log LLRs of constellations of up to 16 points (the two trees of class minima, blocks of
 * 1024 symbols): bit for bit the float definition above, within 2e-6 S + 1e-5 of the
 * double-precision reference (S the symbol's largest metric |y - h s_l|^2 / n0, as in
 * test_demap_general.c) with its sign wherever the reference is farther than that from 0,
 * with h = 1 and random gains, one noise level per block and one per symbol; and
 * ch_modem_demap_soft's decisions, with and without the LLRs stored, are their signs. */
static void test_small_maxlog_against_references(void **state)
{
    (void)state;
    static uint8_t bits[SMALL_NSYM * 4], want[SMALL_NSYM * 4], got[SMALL_NSYM * 4];
    static float complex y[SMALL_NSYM], h[SMALL_NSYM];
    static float n0[SMALL_NSYM], llr[SMALL_NSYM * 4], llr2[SMALL_NSYM * 4];
    static const double esn0s[] = {-5.0, 8.0, 25.0};
    ch_rng *r = ch_rng_create(2385, 40);
    assert_non_null(r);
    ch_modem *m;
    for (size_t i = 0; (m = small_modem_at(r, i)); i++) {
        const unsigned k = ch_modem_bits_per_symbol(m), order = ch_modem_order(m);
        const float complex *p = ch_modem_points(m);
        const size_t nb = SMALL_NSYM * (size_t)k;
        for (size_t v = 0; v < 2 * sizeof esn0s / sizeof esn0s[0]; v++)
            for (int faded = 0; faded < 2; faded++) {
                small_link(r, m, esn0s[v / 2], v % 2, bits, y, h, n0);
                const float complex *g = faded ? h : NULL;
                ch_modem_demap_maxlog(m, SMALL_NSYM, y, g, n0, llr);
                for (size_t j = 0; j < SMALL_NSYM; j++) {
                    double complex hj = g ? (double complex)g[j] : 1.0;
                    double dist[16], big = 0;
                    for (unsigned l = 0; l < order; l++) {
                        double complex e = (double complex)y[j] - hj * (double complex)p[l];
                        dist[l] = (creal(e) * creal(e) + cimag(e) * cimag(e)) / n0[j];
                        big = fmax(big, dist[l]);
                    }
                    for (unsigned b = 0; b < k; b++) {
                        double mn[2] = {INFINITY, INFINITY};
                        for (unsigned l = 0; l < order; l++)
                            mn[l >> (k - 1 - b) & 1] = fmin(mn[l >> (k - 1 - b) & 1], dist[l]);
                        double ref = mn[1] - mn[0], tol = 2e-6 * big + 1e-5;
                        float got_llr = llr[j * k + b];
                        float exact = float_maxlog(m, y[j], g, j, n0[j], b);
                        if (memcmp(&got_llr, &exact, sizeof exact) != 0 ||
                            !(fabs(got_llr - ref) <= tol) ||
                            (fabs(ref) > tol && (got_llr < 0) != (ref < 0)))
                            fail_msg("%s (%u points, case %zu), Es/N0 %g dB, h %s, n0 %s: symbol "
                                     "%zu bit %u: llr %.9g, float definition %.9g, double %.9g "
                                     "(tol %.3g)",
                                     ch_modem_name(m), order, i, esn0s[v / 2],
                                     faded ? "random" : "1", v % 2 ? "uniform" : "per symbol", j,
                                     b, got_llr, exact, ref, tol);
                    }
                }
                ch_llr_decide(nb, llr, want);
                memset(got, 7, nb);
                ch_modem_demap_soft(m, 0, SMALL_NSYM, y, g, n0, NULL, got);
                assert_memory_equal(got, want, nb);
                memset(got, 7, nb);
                ch_modem_demap_soft(m, 0, SMALL_NSYM, y, g, n0, llr2, got);
                assert_memory_equal(got, want, nb);
                assert_memory_equal(llr2, llr, nb * sizeof *llr);
            }
        ch_modem_destroy(m);
    }
    ch_rng_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_shapes_and_energy),
        cmocka_unit_test(test_hard_exact_on_close_points),
        cmocka_unit_test(test_soft_decisions_are_llr_signs),
        cmocka_unit_test(test_one_noise_level_as_per_symbol),
        cmocka_unit_test(test_maxlog16_special_values),
        cmocka_unit_test(test_builtin_gray),
        cmocka_unit_test(test_square_label_layout),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_llr_against_brute_force),
        cmocka_unit_test(test_small_maxlog_against_references),
        cmocka_unit_test(test_hard_is_nearest),
        cmocka_unit_test(test_load_valid),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_load_extreme_scales),
        cmocka_unit_test(test_load_too_many),
        cmocka_unit_test(test_mod_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
