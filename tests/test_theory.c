/* Exact BER and SER theory: agreement with independent closed forms, with published values,
 * with brute-force sums over the Gray labels, with numerical averages over the fading density,
 * and every error provoked.
 *
 * Published values are outputs of MATLAB's berawgn as printed to five digits in public tables
 * (they agree in every digit with Lee's exact 8-PSK and Cho & Yoon's exact QAM expressions
 * below), and the Rayleigh BPSK values of Proakis, Digital Communications, 4th ed., eq. 14.3-7.
 * The independent closed forms are written here from their papers, not shared with
 * sim/theory.c. */
#include "test_util.h"

#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf_bessel.h>

#include "theory.h"

static const double pi = 3.14159265358979323846;

static const ch_fading_config awgn = {.kind = CH_CHAN_AWGN, .coherence = 1};
static const ch_fading_config rayleigh = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1};
static const ch_fading_config rician = {.kind = CH_CHAN_RICIAN, .k_factor = 2.385, .coherence = 1};

/* Q(x) from the C library's erfc, independent of GSL's. */
static double q_tail(double x)
{
    return 0.5 * erfc(x / sqrt(2.0));
}

static double db(double x)
{
    return pow(10.0, x / 10.0);
}

static void point(ch_mod_kind mod, const ch_fading_config *chan, double ebn0_db, double *ber,
                  double *ser)
{
    int status = sim_theory_point(mod, chan, ebn0_db, ber, ser);
    if (status) fail_msg("sim_theory_point: %d %s", status, sim_last_error());
}

static void psk(unsigned m, const ch_fading_config *chan, double ebn0_db, double *ber, double *ser)
{
    int status = sim_theory_psk(m, chan, ebn0_db, ber, ser);
    if (status) fail_msg("sim_theory_psk: %d %s", status, sim_last_error());
}

static void qam(unsigned m, const ch_fading_config *chan, double ebn0_db, double *ber, double *ser)
{
    int status = sim_theory_qam(m, chan, ebn0_db, ber, ser);
    if (status) fail_msg("sim_theory_qam: %d %s", status, sim_last_error());
}

static unsigned popcount(unsigned v)
{
    unsigned n = 0;
    for (; v; v >>= 1)
        n += v & 1u;
    return n;
}

/* ---------------------------------------------------------------------------------------------
 * Published values, AWGN */

/* BPSK, Eb/N0 = 0..10 dB: berawgn(0:10, 'psk', 2, 'nondiff'), five digits. */
static void test_bpsk_awgn_published(void **state)
{
    static const double table[11] = {0.07865,    0.056282,   0.037506,  0.022878,
                                     0.012501,   0.0059539,  0.0023883, 0.00077267,
                                     0.00019091, 3.3627e-05, 3.8721e-06};
    (void)state;
    for (int e = 0; e <= 10; e++) {
        double ber, ser;
        point(CH_MOD_BPSK, &awgn, e, &ber, &ser);
        assert_close(ber, table[e], 1e-4, 0.0);
        assert_close(ser, ber, 1e-15, 0.0);
    }
    /* The textbook "1e-5 at 9.6 dB" (Sklar, Digital Communications, 2nd ed., §3.7) is a round
     * figure: Q(sqrt(2 * 10^0.96)) = 9.736e-6. */
    double ber, ser;
    point(CH_MOD_BPSK, &awgn, 9.6, &ber, &ser);
    assert_close(ber, 9.736e-6, 1e-4, 0.0);
    assert_close(ber, q_tail(sqrt(2.0 * db(9.6))), 1e-12, 0.0);
}

/* QPSK, 8-PSK, 16-QAM and 64-QAM at Es/N0 = es dB: berawgn(es - 10 log10(k), ...), five digits
 * (the tables of MATLAB outputs indexed by Es/N0 0..20 dB). */
static void test_awgn_published(void **state)
{
    static const struct {
        ch_mod_kind mod;
        double k, esn0_db, ber;
    } rows[] = {
        {CH_MOD_QPSK, 2, 0, 0.15866},      {CH_MOD_QPSK, 2, 10, 0.0007827},
        {CH_MOD_QPSK, 2, 17, 7.236e-13},   {CH_MOD_8PSK, 3, 0, 0.24115},
        {CH_MOD_8PSK, 3, 10, 0.029013},    {CH_MOD_8PSK, 3, 14, 0.0022266},
        {CH_MOD_8PSK, 3, 20, 2.0779e-08},  {CH_MOD_16QAM, 4, 0, 0.28728},
        {CH_MOD_16QAM, 4, 9, 0.077858},    {CH_MOD_16QAM, 4, 16, 0.0017912},
        {CH_MOD_16QAM, 4, 20, 2.9041e-06}, {CH_MOD_64QAM, 6, 0, 0.35986},
        {CH_MOD_64QAM, 6, 15, 0.064159},   {CH_MOD_64QAM, 6, 20, 0.0084864},
    };
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double ber, ser;
        point(rows[i].mod, &awgn, rows[i].esn0_db - 10.0 * log10(rows[i].k), &ber, &ser);
        assert_close(ber, rows[i].ber, 1e-4, 0.0);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Independent closed forms, AWGN */

/* Gray QPSK is two BPSK axes: BER = Q(sqrt(2 Eb/N0)), SER = 2 p - p^2 with the same p. */
static void test_qpsk_is_two_bpsk(void **state)
{
    static const double grid[] = {-7.3, -1.15, 0.0, 2.385, 6.1, 9.87, 13.3};
    (void)state;
    for (size_t i = 0; i < sizeof grid / sizeof grid[0]; i++) {
        double b2, s2, b4, s4, p = q_tail(sqrt(2.0 * db(grid[i])));
        point(CH_MOD_BPSK, &awgn, grid[i], &b2, &s2);
        point(CH_MOD_QPSK, &awgn, grid[i], &b4, &s4);
        assert_close(b2, p, 1e-12, 0.0);
        assert_close(b4, p, 1e-12, 0.0);
        assert_close(s4, 2.0 * p - p * p, 1e-12, 0.0);
    }
}

/* 4-PSK through the M-PSK path (Craig's SER integral, sector BER) equals the closed forms
 * SER = 2 Q - Q^2, BER = Q with Q = Q(sqrt(Es/N0)). */
static void test_psk4_craig(void **state)
{
    static const double grid[] = {-4.6, 0.7, 3.9, 7.3, 10.2, 12.85};
    (void)state;
    for (size_t i = 0; i < sizeof grid / sizeof grid[0]; i++) {
        double ber, ser, p = q_tail(sqrt(2.0 * db(grid[i])));
        psk(4, &awgn, grid[i], &ber, &ser);
        assert_close(ser, 2.0 * p - p * p, 1e-11, 0.0);
        assert_close(ber, p, 1e-11, 0.0);
    }
}

/* Lee (IEEE Trans. Commun. 34(5), 1986; Pursley, Introduction to Digital Communications, 2005,
 * p. 340): Gray 8-PSK, whose bit decision regions are half-planes and quadrants,
 *   P_b = (2/3) [Q(s1) + Q(s3) - Q(s1) Q(s3)],  s_i = sin(i pi / 8) sqrt(2 Es/N0). */
static double lee_8psk(double esn0)
{
    double q1 = q_tail(sin(pi / 8.0) * sqrt(2.0 * esn0));
    double q3 = q_tail(sin(3.0 * pi / 8.0) * sqrt(2.0 * esn0));
    return 2.0 / 3.0 * (q1 + q3 - q1 * q3);
}

static void test_8psk_lee(void **state)
{
    static const double grid[] = {-3.3, 0.0, 4.41, 8.2, 11.7, 14.05, 17.5};
    (void)state;
    for (size_t i = 0; i < sizeof grid / sizeof grid[0]; i++) {
        double ber, ser;
        point(CH_MOD_8PSK, &awgn, grid[i], &ber, &ser);
        assert_close(ber, lee_8psk(3.0 * db(grid[i])), 1e-11, 0.0);
    }
}

/* Cho & Yoon (IEEE Trans. Commun. 50(7), 2002, eqs. 14-16): Gray square M-QAM,
 *   P_b = (1 / log2 L) sum_{k=1}^{log2 L} P_b(k),
 *   P_b(k) = (1/L) sum_{i=0}^{(1 - 2^-k) L - 1} (-1)^floor(i 2^(k-1) / L)
 *            (2^(k-1) - floor(i 2^(k-1) / L + 1/2)) erfc((2i + 1) u),
 * with L = sqrt(M) and u = sqrt(3 log2(M) Eb/N0 / (2 (M - 1))). */
static double cho_yoon(unsigned m, double ebn0)
{
    unsigned l = (unsigned)lround(sqrt((double)m));
    unsigned nb = (unsigned)lround(log2((double)l));
    double u = sqrt(3.0 * log2((double)m) * ebn0 / (2.0 * (m - 1))), sum = 0.0;
    for (unsigned k = 1; k <= nb; k++) {
        double pk = 0.0, w = ldexp(1.0, (int)k - 1);
        unsigned top = (unsigned)lround((1.0 - ldexp(1.0, -(int)k)) * l);
        for (unsigned i = 0; i < top; i++) {
            double f = floor(i * w / l);
            double sign = fmod(f, 2.0) == 0.0 ? 1.0 : -1.0;
            pk += sign * (w - floor(i * w / l + 0.5)) * erfc((2.0 * i + 1.0) * u);
        }
        sum += pk / l;
    }
    return sum / nb;
}

static void test_qam_cho_yoon(void **state)
{
    static const unsigned orders[] = {4, 16, 64, 256, 1024};
    static const double grid[] = {-2.2, 3.75, 8.9, 13.1, 17.45, 21.6};
    (void)state;
    for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++)
        for (size_t j = 0; j < sizeof grid / sizeof grid[0]; j++) {
            double ber, ser;
            qam(orders[i], &awgn, grid[j], &ber, &ser);
            assert_close(ber, cho_yoon(orders[i], db(grid[j])), 1e-12, 0.0);
        }
}

/* Square M-QAM SER = 1 - (1 - P_L)^2 with the L-PAM SER P_L = 2 (1 - 1/L) Q(sqrt(3 Es/N0 /
 * (M - 1))), L = sqrt(M) (Proakis, ch. 5, probability of error for QAM), evaluated as
 * P_L (2 - P_L) so that nothing cancels when P_L is small. */
static void test_qam_ser_closed_form(void **state)
{
    static const unsigned orders[] = {16, 64, 256};
    static const double grid[] = {1.3, 7.7, 12.4, 16.0, 19.2};
    (void)state;
    for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++)
        for (size_t j = 0; j < sizeof grid / sizeof grid[0]; j++) {
            double ber, ser, m = orders[i], l = sqrt(m);
            double es = log2(m) * db(grid[j]);
            double pl = 2.0 * (1.0 - 1.0 / l) * q_tail(sqrt(3.0 * es / (m - 1.0)));
            qam(orders[i], &awgn, grid[j], &ber, &ser);
            assert_close(ser, pl * (2.0 - pl), 1e-11, 0.0);
        }
}

/* ---------------------------------------------------------------------------------------------
 * Brute force over the labels, AWGN */

/* Gray 8-PSK labels around the circle, point j at phase 2 pi j / 8 (channel/modem.h). */
static const unsigned psk8_labels[8] = {0, 1, 3, 2, 6, 7, 5, 4};

/* Density of the phase psi of y = sqrt(gamma) + w, w ~ CN(0, 1): in polar coordinates the
 * density is (r / pi) exp(-(r^2 - 2 r a + gamma)) with a = sqrt(gamma) cos psi; integrating r
 * over (0, inf) by hand,
 *   p(psi) = exp(-gamma) / (2 pi) + a exp(-gamma sin^2 psi) erfc(-a) / (2 sqrt(pi)). */
static double phase_density(double psi, void *params)
{
    double gamma = *(const double *)params, a = sqrt(gamma) * cos(psi);
    return exp(-gamma) / (2.0 * pi) +
           a * exp(-gamma * sin(psi) * sin(psi)) * erfc(-a) / (2.0 * sqrt(pi));
}

/* M-PSK with labels[j] the label of the point at position j on the circle: for every sent point
 * i and decided point j, the probability that the phase falls in j's sector (a 256-point
 * Gauss-Legendre rule over the sector) times the Hamming distance of their labels. */
static void psk_brute_force(unsigned m, const unsigned *labels, double ebn0_db)
{
    double gamma = log2((double)m) * db(ebn0_db), ber = 0.0, ser = 0.0, b, s;
    gsl_integration_glfixed_table *t = gsl_integration_glfixed_table_alloc(256);
    assert_non_null(t);
    gsl_function f = {phase_density, &gamma};
    for (unsigned i = 0; i < m; i++)
        for (unsigned j = 0; j < m; j++) {
            double mid = 2.0 * pi * ((double)j - i) / m;
            double p = gsl_integration_glfixed(&f, mid - pi / m, mid + pi / m, t);
            ber += p * popcount(labels[i] ^ labels[j]) / (m * log2((double)m));
            if (i != j) ser += p / m;
        }
    gsl_integration_glfixed_table_free(t);
    psk(m, &awgn, ebn0_db, &b, &s);
    assert_close(b, ber, 1e-9, 0.0);
    assert_close(s, ser, 1e-9, 0.0);
}

static void test_8psk_brute_force(void **state)
{
    (void)state;
    psk_brute_force(8, psk8_labels, -0.85);
    psk_brute_force(8, psk8_labels, 7.3);
    psk_brute_force(8, psk8_labels, 12.35);
}

/* P(level index i sent, interval j decided) on one axis: levels (2i - L + 1) d, boundaries half
 * way between, Gaussian noise of standard deviation sigma per axis. The tails are taken on the
 * side away from the sent level so that no difference of two numbers near 1 is formed. */
static double axis_prob(unsigned l, unsigned i, unsigned j, double d, double sigma)
{
    double x = (2.0 * i - l + 1.0) * d;
    double lo = j == 0 ? -INFINITY : (2.0 * j - l) * d;
    double hi = j + 1 == l ? INFINITY : (2.0 * j - l + 2.0) * d;
    if (lo >= x) return q_tail((lo - x) / sigma) - q_tail((hi - x) / sigma);
    if (hi <= x) return q_tail((x - hi) / sigma) - q_tail((x - lo) / sigma);
    return 1.0 - q_tail((x - lo) / sigma) - q_tail((hi - x) / sigma);
}

/* Square M-QAM with labels[iI * L + iQ] the label of the point with I level index iI and Q level
 * index iQ (levels in increasing order): every (sent, decided) pair of the M^2, each with the
 * product of its per-axis probabilities and the Hamming distance of the full labels. */
static void qam_brute_force(unsigned m, const unsigned *labels, double ebn0_db)
{
    unsigned l = (unsigned)lround(sqrt((double)m));
    double es_n0 = log2((double)m) * db(ebn0_db);
    double d = sqrt(3.0 / (2.0 * (m - 1.0))), sigma = sqrt(0.5 / es_n0);
    double ber = 0.0, ser = 0.0, b, s;
    for (unsigned t = 0; t < m; t++)
        for (unsigned r = 0; r < m; r++) {
            double p = axis_prob(l, t / l, r / l, d, sigma) * axis_prob(l, t % l, r % l, d, sigma);
            unsigned h = popcount(labels[t] ^ labels[r]);
            ber += p * h;
            if (h) ser += p;
        }
    ber /= m * log2((double)m);
    ser /= m;
    qam(m, &awgn, ebn0_db, &b, &s);
    assert_close(b, ber, 1e-9, 0.0);
    assert_close(s, ser, 1e-9, 0.0);
}

/* The layout channel/modem.h states: each axis Gray labelled in the order of its levels,
 * gray(i) = i ^ (i >> 1), the I label in the first k/2 bits. */
static void convention_qam_labels(unsigned m, unsigned *labels)
{
    unsigned l = (unsigned)lround(sqrt((double)m)), bits = (unsigned)lround(log2((double)l));
    for (unsigned i = 0; i < l; i++)
        for (unsigned q = 0; q < l; q++)
            labels[i * l + q] = ((i ^ (i >> 1)) << bits) | (q ^ (q >> 1));
}

static void test_qam_brute_force(void **state)
{
    /* A low SNR too, where errors to far levels weigh and tell Gray codes apart. */
    static const unsigned orders[] = {4, 16, 64, 256};
    static const double low_db[] = {-1.45, 0.6, 1.9, 3.35}, high_db[] = {3.85, 9.15, 13.6, 17.9};
    static unsigned labels[256];
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        convention_qam_labels(orders[i], labels);
        qam_brute_force(orders[i], labels, low_db[i]);
        qam_brute_force(orders[i], labels, high_db[i]);
    }
}

/* The labels of channel/modem.c's own constellations, found from their points: the level index
 * of each coordinate of a square QAM point (levels (2i - L + 1) d in increasing order), or the
 * position of a PSK point on the circle counted from label 0's. Each point must sit on its
 * nominal place to float precision and each place must be taken once. */
static void modem_qam_labels(const ch_modem *mod, unsigned *labels)
{
    unsigned m = ch_modem_order(mod), l = (unsigned)lround(sqrt((double)m));
    const float complex *pt = ch_modem_points(mod);
    double d = sqrt(3.0 / (2.0 * (m - 1.0)));
    for (unsigned t = 0; t < m; t++)
        labels[t] = m;
    for (unsigned label = 0; label < m; label++) {
        double x = crealf(pt[label]), y = cimagf(pt[label]);
        long i = lround((x / d + l - 1.0) / 2.0), q = lround((y / d + l - 1.0) / 2.0);
        assert_true(i >= 0 && i < (long)l && q >= 0 && q < (long)l);
        assert_close(x, (2.0 * i - l + 1.0) * d, 0.0, 1e-6);
        assert_close(y, (2.0 * q - l + 1.0) * d, 0.0, 1e-6);
        assert_int_equal(labels[i * l + q], m);
        labels[i * l + q] = label;
    }
}

static void modem_psk_labels(const ch_modem *mod, unsigned *labels)
{
    unsigned m = ch_modem_order(mod);
    const float complex *pt = ch_modem_points(mod);
    double step = 2.0 * pi / m, origin = cargf(pt[0]);
    for (unsigned j = 0; j < m; j++)
        labels[j] = m;
    for (unsigned label = 0; label < m; label++) {
        double a = cargf(pt[label]) - origin;
        long j = lround(a / step);
        assert_close(cabsf(pt[label]), 1.0, 0.0, 1e-6);
        assert_close(a, j * step, 0.0, 1e-6);
        j = ((j % (long)m) + (long)m) % (long)m;
        assert_int_equal(labels[j], m);
        labels[j] = label;
    }
}

/* The theory of each built-in kind against the brute force over the labels the mapper really
 * uses, at a low and a high SNR. */
static void test_modem_labels(void **state)
{
    static const struct {
        ch_mod_kind mod;
        unsigned order;
        int is_psk;
        double low_db, high_db;
    } kinds[] = {
        {CH_MOD_BPSK, 2, 1, -2.15, 6.6},   {CH_MOD_QPSK, 4, 0, -1.45, 7.05},
        {CH_MOD_8PSK, 8, 1, -0.85, 11.2},  {CH_MOD_16QAM, 16, 0, 0.6, 10.35},
        {CH_MOD_64QAM, 64, 0, 1.9, 14.75}, {CH_MOD_256QAM, 256, 0, 3.35, 18.6},
    };
    static unsigned labels[256];
    (void)state;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        ch_modem *mod = ch_modem_create(kinds[i].mod);
        assert_non_null(mod);
        assert_int_equal(ch_modem_order(mod), kinds[i].order);
        if (kinds[i].is_psk) {
            modem_psk_labels(mod, labels);
            psk_brute_force(kinds[i].order, labels, kinds[i].low_db);
            psk_brute_force(kinds[i].order, labels, kinds[i].high_db);
        } else {
            modem_qam_labels(mod, labels);
            qam_brute_force(kinds[i].order, labels, kinds[i].low_db);
            qam_brute_force(kinds[i].order, labels, kinds[i].high_db);
        }
        ch_modem_destroy(mod);
    }
}

/* ---------------------------------------------------------------------------------------------
 * Fading */

/* Rayleigh BPSK, Proakis eq. 14.3-7: (1 - sqrt(g / (1 + g))) / 2, and its values to three
 * digits at Eb/N0 = 10, 20 and 30 dB as quoted in the issue (2.33e-2, 2.49e-3, 2.50e-4: the
 * 1/(4 Eb/N0) law of Proakis ch. 14). */
static void test_rayleigh_bpsk(void **state)
{
    static const double published[3] = {2.33e-2, 2.49e-3, 2.50e-4};
    static const double grid[] = {-5.5, 0.0, 4.2, 10.0, 20.0, 30.0, 47.3};
    (void)state;
    for (size_t i = 0; i < sizeof grid / sizeof grid[0]; i++) {
        double ber, ser, g = db(grid[i]);
        point(CH_MOD_BPSK, &rayleigh, grid[i], &ber, &ser);
        assert_close(ber, 0.5 * (1.0 - sqrt(g / (1.0 + g))), 1e-9, 0.0);
        assert_close(ser, ber, 1e-15, 0.0);
    }
    for (int i = 0; i < 3; i++) {
        double ber, ser;
        point(CH_MOD_BPSK, &rayleigh, 10.0 * (i + 1), &ber, &ser);
        assert_close(ber, published[i], 0.0, 0.005 * published[i]);
    }
}

/* QPSK and BPSK share their BER over every channel; QPSK through 4-PSK equals QPSK through
 * 4-QAM also over fading (Craig integrals against the Rayleigh closed form). */
static void test_fading_qpsk(void **state)
{
    const ch_fading_config *chans[] = {&rayleigh, &rician};
    static const double grid[] = {-3.1, 5.55, 14.2, 26.7};
    (void)state;
    for (size_t c = 0; c < 2; c++)
        for (size_t i = 0; i < sizeof grid / sizeof grid[0]; i++) {
            double b2, s2, b4, s4, bp, sp;
            point(CH_MOD_BPSK, chans[c], grid[i], &b2, &s2);
            point(CH_MOD_QPSK, chans[c], grid[i], &b4, &s4);
            psk(4, chans[c], grid[i], &bp, &sp);
            assert_close(b4, b2, 1e-10, 0.0);
            assert_close(bp, b4, 1e-10, 0.0);
            assert_close(sp, s4, 1e-10, 0.0);
        }
}

/* Rayleigh M-PSK SER in closed form (Simon & Alouini, Digital Communication over Fading
 * Channels, 2nd ed., ch. 8), with g = sin^2(pi/M) and c = sqrt(g gbar / (1 + g gbar)):
 *   P_s = (M-1)/M [1 - c M / ((M-1) pi) (pi/2 + atan(c cot(pi/M)))]. */
static double rayleigh_psk_ser(unsigned m, double gbar)
{
    double g = sin(pi / m) * sin(pi / m), c = sqrt(g * gbar / (1.0 + g * gbar));
    double mm = m;
    return (mm - 1.0) / mm *
           (1.0 - c * mm / ((mm - 1.0) * pi) * (pi / 2.0 + atan(c / tan(pi / mm))));
}

static void test_rayleigh_psk_ser(void **state)
{
    static const unsigned orders[] = {4, 8, 16, 32};
    static const double grid[] = {-1.7, 6.4, 13.3, 24.9, 38.0};
    (void)state;
    for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++)
        for (size_t j = 0; j < sizeof grid / sizeof grid[0]; j++) {
            double ber, ser, k = log2((double)orders[i]);
            psk(orders[i], &rayleigh, grid[j], &ber, &ser);
            assert_close(ser, rayleigh_psk_ser(orders[i], k * db(grid[j])), 1e-10, 0.0);
        }
}

/* Rayleigh square M-QAM SER in closed form, from E Q = (1 - c)/2 and
 * E Q^2 = (1 - (4/pi) c atan(1/c)) / 4 (Simon & Alouini, ch. 5 and ch. 8), where
 * c = sqrt(g gbar / (1 + g gbar)), g = 3 / (2 (M - 1)) and q = 1 - 1/sqrt(M):
 *   P_s = 2 q (1 - c) - q^2 (1 - (4/pi) c atan(1/c)). */
static double rayleigh_qam_ser(unsigned m, double gbar)
{
    double g = 3.0 / (2.0 * (m - 1.0)), c = sqrt(g * gbar / (1.0 + g * gbar));
    double q = 1.0 - 1.0 / sqrt((double)m);
    return 2.0 * q * (1.0 - c) - q * q * (1.0 - 4.0 / pi * c * atan(1.0 / c));
}

static void test_rayleigh_qam_ser(void **state)
{
    static const unsigned orders[] = {4, 16, 64, 256};
    static const double grid[] = {-2.9, 4.4, 12.5, 23.3, 41.0};
    (void)state;
    for (size_t i = 0; i < sizeof orders / sizeof orders[0]; i++)
        for (size_t j = 0; j < sizeof grid / sizeof grid[0]; j++) {
            double ber, ser, k = log2((double)orders[i]);
            qam(orders[i], &rayleigh, grid[j], &ber, &ser);
            assert_close(ser, rayleigh_qam_ser(orders[i], k * db(grid[j])), 1e-10, 0.0);
        }
}

/* Rician with K = 0 is Rayleigh: the Craig integrals against the closed forms, and the same
 * integrals for the modulations that use them in both. */
static void test_rician_k0_is_rayleigh(void **state)
{
    static const ch_mod_kind mods[] = {CH_MOD_BPSK,  CH_MOD_QPSK,  CH_MOD_8PSK,
                                       CH_MOD_16QAM, CH_MOD_64QAM, CH_MOD_256QAM};
    static const double grid[] = {-6.2, 2.385, 11.4, 19.7, 33.3};
    const ch_fading_config k0 = {.kind = CH_CHAN_RICIAN, .k_factor = 0.0};
    (void)state;
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++)
        for (size_t j = 0; j < sizeof grid / sizeof grid[0]; j++) {
            double br, sr, bk, sk;
            point(mods[i], &rayleigh, grid[j], &br, &sr);
            point(mods[i], &k0, grid[j], &bk, &sk);
            assert_close(bk, br, 1e-10, 0.0);
            assert_close(sk, sr, 1e-10, 0.0);
        }
}

/* As K grows the Rician gain becomes deterministic (Var |h|^2 = (1 + 2K)/(1 + K)^2): at
 * K = 1e9 the results are AWGN's to a relative 1e-6. */
static void test_rician_large_k_is_awgn(void **state)
{
    static const ch_mod_kind mods[] = {CH_MOD_BPSK, CH_MOD_8PSK, CH_MOD_16QAM, CH_MOD_64QAM};
    const ch_fading_config big = {.kind = CH_CHAN_RICIAN, .k_factor = 1e9};
    (void)state;
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
        double ba, sa, bk, sk;
        point(mods[i], &awgn, 8.15, &ba, &sa);
        point(mods[i], &big, 8.15, &bk, &sk);
        assert_close(bk, ba, 1e-6, 0.0);
        assert_close(sk, sa, 1e-6, 0.0);
    }
}

/* Averages of an AWGN formula over the density of g = |h|^2 by direct quadrature. */
typedef struct {
    double k_factor; /* < 0 for Rayleigh */
    double gbar;     /* mean Es/N0 */
    int qam16;       /* 16-QAM (Cho & Yoon) instead of 8-PSK (Lee) */
} density_case;

/* Rayleigh: exp(-g). Rician K (Simon & Alouini, ch. 2, the Nakagami-n density, E g = 1):
 *   (1 + K) exp(-K - (1 + K) g) I0(2 sqrt(K (1 + K) g)), with I0 scaled to avoid overflow. */
static double fading_density(double g, double k)
{
    if (k < 0.0) return exp(-g);
    double z = 2.0 * sqrt(k * (1.0 + k) * g);
    return (1.0 + k) * exp(-k - (1.0 + k) * g + z) * gsl_sf_bessel_I0_scaled(z);
}

static double density_integrand(double g, void *params)
{
    const density_case *c = params;
    double es = c->gbar * g;
    double p = c->qam16 ? cho_yoon(16, es / 4.0) : lee_8psk(es);
    return p * fading_density(g, c->k_factor);
}

static void check_density_average(double k_factor, int qam16, ch_mod_kind mod,
                                  const ch_fading_config *chan, double ebn0_db)
{
    density_case c = {k_factor, (qam16 ? 4.0 : 3.0) * db(ebn0_db), qam16};
    gsl_function f = {density_integrand, &c};
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
    double expected, err, ber, ser;
    assert_non_null(ws);
    assert_int_equal(gsl_integration_qagiu(&f, 0.0, 0.0, 1e-12, 1000, ws, &expected, &err), 0);
    gsl_integration_workspace_free(ws);
    point(mod, chan, ebn0_db, &ber, &ser);
    assert_close(ber, expected, 1e-9, 0.0);
}

static void test_fading_density_average(void **state)
{
    (void)state;
    check_density_average(-1.0, 0, CH_MOD_8PSK, &rayleigh, 12.7);
    check_density_average(-1.0, 1, CH_MOD_16QAM, &rayleigh, 16.3);
    check_density_average(rician.k_factor, 0, CH_MOD_8PSK, &rician, 9.45);
    check_density_average(rician.k_factor, 1, CH_MOD_16QAM, &rician, 14.8);
}

/* ---------------------------------------------------------------------------------------------
 * Whole ranges and errors */

/* Over every modulation, channel and -30..60 dB: no error, 0 <= BER <= SER <= k BER <= 1 (a
 * symbol error costs at least one and at most k bits), and neither grows with the SNR. */
static void test_sweep(void **state)
{
    static const ch_mod_kind mods[] = {CH_MOD_BPSK,  CH_MOD_QPSK,  CH_MOD_8PSK,
                                       CH_MOD_16QAM, CH_MOD_64QAM, CH_MOD_256QAM};
    static const double k[] = {1, 2, 3, 4, 6, 8};
    const ch_fading_config *chans[] = {&awgn, &rayleigh, &rician};
    (void)state;
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++)
        for (size_t c = 0; c < 3; c++) {
            double last_ber = 1.0, last_ser = 1.0;
            for (double e = -30.0; e <= 60.0; e += 2.5) {
                double ber, ser;
                point(mods[i], chans[c], e, &ber, &ser);
                assert_true(ber >= 0.0 && ber <= ser * (1.0 + 1e-12));
                assert_true(ser <= k[i] * ber * (1.0 + 1e-12) && ser <= 1.0);
                assert_true(ber <= last_ber && ser <= last_ser);
                last_ber = ber;
                last_ser = ser;
            }
        }
}

static void expect_error(int status, int code, const char *fn)
{
    assert_int_equal(status, code);
    if (!strstr(sim_last_error(), fn))
        fail_msg("message '%s' lacks '%s'", sim_last_error(), fn);
}

static void test_errors(void **state)
{
    (void)state;
    double ber = 0.125, ser = 0.25;
    const ch_fading_config bad_k = {.kind = CH_CHAN_RICIAN, .k_factor = -0.5};
    const ch_fading_config nan_k = {.kind = CH_CHAN_RICIAN, .k_factor = NAN};
    const ch_fading_config bad_kind = {.kind = (ch_chan_kind)7};
    expect_error(sim_theory_point(CH_MOD_BPSK, &awgn, NAN, &ber, &ser), SIM_EINVAL,
                 "sim_theory_point");
    assert_non_null(strstr(sim_last_error(), "nan"));
    expect_error(sim_theory_point(CH_MOD_8PSK, &rayleigh, INFINITY, &ber, &ser), SIM_EINVAL,
                 "sim_theory_point");
    expect_error(sim_theory_point(CH_MOD_16QAM, &awgn, 1e6, &ber, &ser), SIM_EINVAL,
                 "sim_theory_point");
    expect_error(sim_theory_point(CH_MOD_CUSTOM, &awgn, 5.5, &ber, &ser), SIM_EUNSUPPORTED,
                 "custom");
    expect_error(sim_theory_point((ch_mod_kind)42, &awgn, 5.5, &ber, &ser), SIM_EINVAL,
                 "42");
    expect_error(sim_theory_point(CH_MOD_QPSK, &bad_k, 5.5, &ber, &ser), SIM_EINVAL,
                 "K=-0.5");
    expect_error(sim_theory_point(CH_MOD_QPSK, &nan_k, 5.5, &ber, &ser), SIM_EINVAL,
                 "K=nan");
    expect_error(sim_theory_point(CH_MOD_QPSK, &bad_kind, 5.5, &ber, &ser), SIM_EINVAL,
                 "channel kind 7");
    expect_error(sim_theory_point(CH_MOD_QPSK, NULL, 5.5, &ber, &ser), SIM_EINVAL,
                 "NULL channel");
    expect_error(sim_theory_point(CH_MOD_QPSK, &awgn, 5.5, NULL, &ser), SIM_EINVAL,
                 "NULL ber");
    expect_error(sim_theory_point(CH_MOD_QPSK, &awgn, 5.5, &ber, NULL), SIM_EINVAL,
                 "NULL ser");
    expect_error(sim_theory_psk(12, &awgn, 5.5, &ber, &ser), SIM_EINVAL, "M=12");
    expect_error(sim_theory_psk(1, &awgn, 5.5, &ber, &ser), SIM_EINVAL, "M=1");
    expect_error(sim_theory_psk(8192, &awgn, 5.5, &ber, &ser), SIM_EINVAL, "M=8192");
    expect_error(sim_theory_qam(32, &awgn, 5.5, &ber, &ser), SIM_EINVAL, "M=32");
    expect_error(sim_theory_qam(2, &awgn, 5.5, &ber, &ser), SIM_EINVAL, "M=2");
    expect_error(sim_theory_qam(16384, &awgn, 5.5, &ber, &ser), SIM_EINVAL, "M=16384");
    /* Outputs are untouched on error. */
    assert_true(ber == 0.125 && ser == 0.25);
}

/* Least squares from one pilot over block Rayleigh: BPSK and QPSK have the closed forms of a
 * decision Re(conj(u) v) on jointly Gaussian u = h_ls, v = y with correlation rho:
 * P = (1 - Re rho / sqrt(1 - (Im rho)^2)) / 2, rho = x / (1 + n0) (E|u|^2 = E|v|^2 = 1 + n0);
 * so BPSK n0 / (2 (1 + n0)), QPSK with r = 1 / (sqrt 2 (1 + n0)): (1 - r / sqrt(1 - r^2)) / 2.
 * 16-QAM agrees with a direct numerical average over |h_ls|^2 (GSL quadrature) of the Gaussian
 * interval probabilities, and every result exceeds the perfect-CSI BER. */
static double ls16_integrand(double g, void *params)
{
    double n0 = *(const double *)params, d = sqrt(3.0 / 30.0), c = 1.0 / (1.0 + n0);
    static const unsigned gray[4] = {0, 1, 3, 2};
    double wrong = 0.0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            double a = (2.0 * i - 3.0) * d, b = (2.0 * j - 3.0) * d;
            double s = sqrt(((a * a + b * b) * n0 * c + n0) / (2.0 * g * (1.0 + n0)));
            for (int l = 0; l < 4; l++) {
                double lo = l == 0 ? -INFINITY : (2.0 * l - 4.0) * d;
                double hi = l == 3 ? INFINITY : (2.0 * l - 2.0) * d;
                double p = 0.5 * (erfc((lo - a * c) / (s * sqrt(2.0))) -
                                  erfc((hi - a * c) / (s * sqrt(2.0))));
                wrong += __builtin_popcount(gray[i] ^ gray[l]) * p;
            }
        }
    return wrong / 32.0 * exp(-g);
}

static void test_ls_pilot_closed_forms(void **state)
{
    (void)state;
    const double esn0[] = {0.0, 7.385, 15.0, 30.0};
    for (int i = 0; i < 4; i++) {
        double n0 = pow(10.0, -esn0[i] / 10.0), ber, r = 1.0 / (sqrt(2.0) * (1.0 + n0));
        assert_int_equal(sim_theory_ls_pilot(CH_MOD_BPSK, esn0[i], &ber), 0);
        assert_close(ber, n0 / (2.0 * (1.0 + n0)), 1e-12, 0);
        assert_int_equal(sim_theory_ls_pilot(CH_MOD_QPSK, esn0[i], &ber), 0);
        assert_close(ber, 0.5 * (1.0 - r / sqrt(1.0 - r * r)), 1e-11, 0);
        assert_int_equal(sim_theory_ls_pilot(CH_MOD_16QAM, esn0[i], &ber), 0);
        gsl_integration_workspace *ws = gsl_integration_workspace_alloc(256);
        gsl_function f = {ls16_integrand, &n0};
        double ref, err;
        assert_int_equal(gsl_integration_qagiu(&f, 0.0, 0.0, 1e-12, 256, ws, &ref, &err), 0);
        gsl_integration_workspace_free(ws);
        assert_close(ber, ref, 1e-9, 0);
        ch_fading_config ray = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1};
        double perfect, ser;
        double ebn0 = esn0[i] - 10.0 * log10(4.0);
        assert_int_equal(sim_theory_point(CH_MOD_16QAM, &ray, ebn0, &perfect, &ser), 0);
        assert_true(ber > perfect);
    }
    double ber;
    assert_int_equal(sim_theory_ls_pilot(CH_MOD_8PSK, 10.0, &ber), SIM_EUNSUPPORTED);
    assert_int_equal(sim_theory_ls_pilot(CH_MOD_QPSK, NAN, &ber), SIM_EINVAL);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bpsk_awgn_published),
        cmocka_unit_test(test_awgn_published),
        cmocka_unit_test(test_qpsk_is_two_bpsk),
        cmocka_unit_test(test_psk4_craig),
        cmocka_unit_test(test_8psk_lee),
        cmocka_unit_test(test_qam_cho_yoon),
        cmocka_unit_test(test_qam_ser_closed_form),
        cmocka_unit_test(test_8psk_brute_force),
        cmocka_unit_test(test_qam_brute_force),
        cmocka_unit_test(test_modem_labels),
        cmocka_unit_test(test_rayleigh_bpsk),
        cmocka_unit_test(test_fading_qpsk),
        cmocka_unit_test(test_rayleigh_psk_ser),
        cmocka_unit_test(test_rayleigh_qam_ser),
        cmocka_unit_test(test_rician_k0_is_rayleigh),
        cmocka_unit_test(test_rician_large_k_is_awgn),
        cmocka_unit_test(test_fading_density_average),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_ls_pilot_closed_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
