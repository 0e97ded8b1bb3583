/* The vectorised demappers against a double-precision reference written here: every built-in
 * constellation, the 16- and 64-QAM grids with random (not Gray) labels, and random custom
 * constellations of 2 to 256 points, with h = 1 and with random complex gains, at Es/N0 from
 * -10 to 40 dB (and a low-SNR pass, where the exact demapper's shared exponentials serve).
 *
 * The reference takes the metrics d_l = |y - h s_l|^2 / n0 in double from the very float y, h,
 * n0 and points the demappers see. Stated tolerance, max-log and exact alike:
 *   |llr - reference| <= LLR_TOL_REL * S + LLR_TOL_ABS,   S = max_l d_l,
 * the largest metric of the symbol, which bounds the size of the terms the float metric is made
 * of (|y|^2 / n0 and |h s_l|^2 / n0): float rounding of those terms is a few 1e-7 S. Max-log
 * decisions (the signs) equal the reference's wherever the reference is farther than the
 * tolerance from 0, and hard decisions are the reference's nearest point wherever the two
 * nearest distances differ by more than the tolerance. */
#include "test_channel_util.h"

#include "ch_complex.h"

#include <string.h>

#include "modem.h"

#define LLR_TOL_REL 2e-6
#define LLR_TOL_ABS 1e-5

/* Symbols per case: not a multiple of the demappers' chunk of 64, so a partial chunk runs. */
#define NSYM 1237
#define KMAX 8

static uint8_t bits[NSYM * KMAX], hard[NSYM * KMAX];
static float complex x[NSYM], y[NSYM], h[NSYM], w[NSYM];
static float n0[NSYM], lm[NSYM * KMAX], le[NSYM * KMAX];

/* The largest error seen, relative to the tolerance's scale S, over the whole test: printed, so
 * that the margin of the stated tolerance is on record. */
static double worst_rel;

/* Reference LLRs of symbol j, bit b, and the symbol's largest metric S. */
static void reference(const ch_modem *m, size_t j, const float complex *hp, unsigned b,
                      double *ref_maxlog, double *ref_exact, double *scale)
{
    const unsigned k = ch_modem_bits_per_symbol(m), order = ch_modem_order(m);
    const float complex *p = ch_modem_points(m);
    double complex hj = hp ? (double complex)hp[j] : 1.0;
    double mn[2] = {INFINITY, INFINITY}, s[2] = {0, 0}, big = 0;
    for (unsigned l = 0; l < order; l++) {
        double complex e = (double complex)y[j] - hj * (double complex)p[l];
        double d = (creal(e) * creal(e) + cimag(e) * cimag(e)) / n0[j];
        int c = l >> (k - 1 - b) & 1;
        mn[c] = fmin(mn[c], d);
        big = fmax(big, d);
    }
    for (unsigned l = 0; l < order; l++) {
        double complex e = (double complex)y[j] - hj * (double complex)p[l];
        double d = (creal(e) * creal(e) + cimag(e) * cimag(e)) / n0[j];
        s[l >> (k - 1 - b) & 1] += exp(mn[l >> (k - 1 - b) & 1] - d);
    }
    *ref_maxlog = mn[1] - mn[0];
    *ref_exact = *ref_maxlog + log(s[0] / s[1]);
    *scale = big;
}

/* The nearest label of symbol j by double distances, and the gap to the second nearest. */
static unsigned nearest(const ch_modem *m, size_t j, const float complex *hp, double *gap)
{
    const float complex *p = ch_modem_points(m);
    double complex hj = hp ? (double complex)hp[j] : 1.0;
    double best = INFINITY, second = INFINITY;
    unsigned label = 0;
    for (unsigned l = 0; l < ch_modem_order(m); l++) {
        double complex e = (double complex)y[j] - hj * (double complex)p[l];
        double d = creal(e) * creal(e) + cimag(e) * cimag(e);
        if (d < best) {
            second = best;
            best = d;
            label = l;
        } else if (d < second) {
            second = d;
        }
    }
    *gap = second - best;
    return label;
}

/* Draws NSYM symbols of m through random gains at Es/N0 uniform in dB over [lo, hi]. */
static void draw_link(ch_rng *r, const ch_modem *m, double lo_db, double hi_db)
{
    unsigned k = ch_modem_bits_per_symbol(m);
    ch_rng_bits(r, NSYM * k, bits);
    ch_modem_map(m, NSYM, bits, x);
    ch_rng_cgauss(r, NSYM, 1.0f, h);
    ch_rng_cgauss(r, NSYM, 1.0f, w);
    for (size_t j = 0; j < NSYM; j++) {
        double esn0_db = lo_db + (hi_db - lo_db) * ch_rng_double(r);
        n0[j] = (float)pow(10.0, -esn0_db / 10);
        y[j] = (float complex)((double complex)h[j] * x[j] + sqrt(n0[j]) * w[j]);
    }
}

/* Every demapper of m on one draw, with h given and with h = 1, against the reference. */
static void check_draw(const ch_modem *m)
{
    const unsigned k = ch_modem_bits_per_symbol(m);
    for (int with_h = 0; with_h < 2; with_h++) {
        const float complex *hp = with_h ? h : NULL;
        if (!with_h)
            for (size_t j = 0; j < NSYM; j++) /* y = x + w at the same noise */
                y[j] = (float complex)((double complex)x[j] + sqrt(n0[j]) * w[j]);
        ch_modem_demap_maxlog(m, NSYM, y, hp, n0, lm);
        ch_modem_demap_exact(m, NSYM, y, hp, n0, le);
        ch_modem_demap_hard(m, NSYM, y, hp, hard);
        for (size_t j = 0; j < NSYM; j++) {
            double gap, scale = 0;
            for (unsigned b = 0; b < k; b++) {
                double rm, re;
                reference(m, j, hp, b, &rm, &re, &scale);
                double tol = LLR_TOL_REL * scale + LLR_TOL_ABS;
                double err = fmax(fabs(lm[j * k + b] - rm), fabs(le[j * k + b] - re));
                worst_rel = fmax(worst_rel, err / (scale + 1));
                if (!(err <= tol))
                    fail_msg("%s, h %s, symbol %zu bit %u: max-log %.9g vs %.9g, exact %.9g vs "
                             "%.9g (tolerance %.3g)",
                             ch_modem_name(m), with_h ? "random" : "1", j, b, lm[j * k + b], rm,
                             le[j * k + b], re, tol);
                if (fabs(rm) > tol && (lm[j * k + b] < 0) != (rm < 0))
                    fail_msg("%s, symbol %zu bit %u: max-log decision differs (%.9g vs %.9g)",
                             ch_modem_name(m), j, b, lm[j * k + b], rm);
            }
            unsigned want = nearest(m, j, hp, &gap), got = 0;
            for (unsigned b = 0; b < k; b++)
                got = got << 1 | hard[j * k + b];
            if (got != want && gap / n0[j] > LLR_TOL_REL * scale + LLR_TOL_ABS)
                fail_msg("%s, h %s, symbol %zu: hard decision %u, nearest %u (gap %.3g)",
                         ch_modem_name(m), with_h ? "random" : "1", j, got, want, gap);
        }
    }
}

/* Wide SNR range, then low SNR only (exact LLRs by the shared exponentials). */
static void check_modem(ch_rng *r, const ch_modem *m)
{
    draw_link(r, m, -10, 40);
    check_draw(m);
    draw_link(r, m, -10, 8);
    check_draw(m);
}

static void test_builtins(void **state)
{
    (void)state;
    ch_rng *r = make_rng(2385, 40);
    for (int kind = CH_MOD_BPSK; kind <= CH_MOD_256QAM; kind++) {
        ch_modem *m = ch_modem_create((ch_mod_kind)kind);
        assert_non_null(m);
        check_modem(r, m);
        ch_modem_destroy(m);
    }
    ch_rng_destroy(r);
}

/* A random permutation of 0 .. n-1 into perm. */
static void shuffle(ch_rng *r, unsigned n, unsigned *perm)
{
    for (unsigned i = 0; i < n; i++)
        perm[i] = i;
    for (unsigned i = n - 1; i > 0; i--) {
        unsigned j = (unsigned)(ch_rng_double(r) * (i + 1));
        unsigned t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

/* The square grids of 16- and 64-QAM with their labels shuffled: the general path on points
 * the per-axis path knows, under a labelling that is not Gray. */
static void test_grids_relabelled(void **state)
{
    (void)state;
    ch_rng *r = make_rng(2385, 41);
    const ch_mod_kind kinds[] = {CH_MOD_16QAM, CH_MOD_64QAM};
    for (size_t t = 0; t < 2; t++) {
        ch_modem *q = ch_modem_create(kinds[t]);
        assert_non_null(q);
        unsigned order = ch_modem_order(q), perm[256];
        float complex pts[256];
        shuffle(r, order, perm);
        for (unsigned l = 0; l < order; l++)
            pts[l] = ch_modem_points(q)[perm[l]];
        ch_modem *m = ch_modem_from_points(order, pts, "shuffled grid");
        assert_non_null(m);
        assert_int_equal(ch_modem_kind(m), CH_MOD_CUSTOM);
        check_modem(r, m);
        ch_modem_destroy(m);
        ch_modem_destroy(q);
    }
    ch_rng_destroy(r);
}

/* Random constellations of every order from 2 to 256: Gaussian points, so labels and geometry
 * have no structure at all. */
static void test_random_custom(void **state)
{
    (void)state;
    ch_rng *r = make_rng(2385, 42);
    for (unsigned order = 2; order <= 256; order *= 2) {
        float complex pts[256];
        ch_rng_cgauss(r, order, 1.0f, pts);
        ch_modem *m = ch_modem_from_points(order, pts, "random");
        assert_non_null(m);
        check_modem(r, m);
        ch_modem_destroy(m);
    }
    printf("largest LLR error / (1 + largest metric): %.3g (tolerance %.3g)\n", worst_rel,
           LLR_TOL_REL);
    ch_rng_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtins),
        cmocka_unit_test(test_grids_relabelled),
        cmocka_unit_test(test_random_custom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
