/* Exact BER and SER of the built-in modulations (see theory.h).
 *
 * Everything reduces to three averages over the normalised SNR g = |h|^2 (E g = 1), each the
 * exact AWGN expression when g = 1:
 *   E Q(sqrt(2 x g)),  E Q^2(sqrt(2 x g)),  and the probability G(phi) that the phase of y/h
 *   falls in [phi, pi].
 * In Craig's form each is (1/pi) int_0^theta_max exp(-x g / sin^2 theta) dtheta, so averaging
 * over the fading replaces exp(-x g / sin^2 theta) by the moment generating function
 * M(s) = E exp(-s g) at s = x / sin^2 theta (Simon & Alouini, Digital Communication over Fading
 * Channels, 2nd ed., Wiley 2005, ch. 5: the "MGF-based approach").
 *
 * References, cited below by author:
 *   Craig, "A new, simple and exact result for calculating the probability of error for
 *     two-dimensional signal constellations", IEEE MILCOM 1991.
 *   Simon & Divsalar, "Some new twists to problems involving the Gaussian probability
 *     integral", IEEE Trans. Commun. 46(2), 1998.
 *   Cho & Yoon, "On the general BER expression of one- and two-dimensional amplitude
 *     modulations", IEEE Trans. Commun. 50(7), 2002.
 *   Proakis, Digital Communications, 4th ed., McGraw-Hill 2001. */
#include "theory.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf_erf.h>

static const double theory_pi = 3.14159265358979323846;

/* Relative tolerance of every quadrature: the integrands are smooth and positive, so GSL's
 * adaptive Gauss-Kronrod rule reaches it in a few dozen subintervals; the limit is generous. */
#define SIM_THEORY_EPSREL 1e-12
#define SIM_THEORY_LIMIT 512

/* Most levels per axis of a square QAM: sqrt(CH_MODEM_MAX_ORDER). */
#define SIM_THEORY_MAX_LEVELS 64


/* What every average needs: the fading law, a quadrature workspace, and the name of the public
 * function for messages. */
typedef struct {
    ch_chan_kind kind;
    double k_factor;
    gsl_integration_workspace *ws;
    const char *fn;
} theory_ctx;

/* M(s) = E exp(-s g) for the normalised SNR g = |h|^2, E g = 1 (Simon & Alouini, ch. 2):
 *   AWGN      exp(-s)
 *   Rayleigh  1 / (1 + s)
 *   Rician K  (1 + K) / (1 + K + s) exp(-K s / (1 + K + s)).
 * Every one tends to 0 as s -> infinity, the limit the quadrature needs near theta = 0. */
static double theory_mgf(const theory_ctx *c, double s)
{
    if (isinf(s)) return 0.0;
    switch (c->kind) {
    case CH_CHAN_AWGN:
        return exp(-s);
    case CH_CHAN_RAYLEIGH:
        return 1.0 / (1.0 + s);
    case CH_CHAN_RICIAN: {
        double d = 1.0 + c->k_factor + s;
        return (1.0 + c->k_factor) / d * exp(-c->k_factor * s / d);
    }
    }
    return NAN;
}

typedef struct {
    const theory_ctx *c;
    double x;
} craig_params;

static double craig_integrand(double theta, void *params)
{
    const craig_params *p = params;
    double s = sin(theta);
    if (p->x == 0.0) return 1.0;
    if (s == 0.0) return 0.0;
    return theory_mgf(p->c, p->x / (s * s));
}

/* (1/pi) int_0^theta_max M(x / sin^2 theta) dtheta, 0 < theta_max < pi. The integrand rises to
 * its peak at pi/2 and falls after, so the range is cut there: each piece is monotone and its
 * peak is an endpoint, where the Gauss-Kronrod nodes cluster. */
static int theory_craig(const theory_ctx *c, double x, double theta_max, double *out)
{
    craig_params p = {c, x};
    gsl_function f = {craig_integrand, &p};
    double cut[3] = {0.0, fmin(theta_max, theory_pi / 2), theta_max};
    double sum = 0.0;
    for (int i = 0; i < 2; i++) {
        double value, abserr;
        if (!(cut[i + 1] > cut[i])) continue;
        int status =
            gsl_integration_qag(&f, cut[i], cut[i + 1], 0.0, SIM_THEORY_EPSREL, SIM_THEORY_LIMIT,
                                GSL_INTEG_GAUSS21, c->ws, &value, &abserr);
        if (status)
            return sim_error(SIM_ENUMERIC, "%s: quadrature over [%g, %g] at x=%g: %s",
                               c->fn, cut[i], cut[i + 1], x, gsl_strerror(status));
        sum += value;
    }
    *out = sum / theory_pi;
    return 0;
}

/* E Q(sqrt(2 x g)), Q the Gaussian tail probability.
 *   AWGN:     Q(sqrt(2 x)) = erfc(sqrt(x)) / 2; an erfc that underflows is 0.
 *   Rayleigh: (1 - sqrt(x / (1 + x))) / 2 (Proakis eq. 14.3-7), computed as
 *             1 / (2 (1 + x) (1 + sqrt(x / (1 + x)))) so that nothing cancels at high SNR.
 *   Rician:   Craig's Q(y) = (1/pi) int_0^{pi/2} exp(-y^2 / (2 sin^2 theta)) dtheta, averaged. */
static int theory_q(const theory_ctx *c, double x, double *out)
{
    if (c->kind == CH_CHAN_AWGN) {
        gsl_sf_result r;
        int status = gsl_sf_erfc_e(sqrt(x), &r);
        if (status == GSL_EUNDRFLW) {
            r.val = 0.0; /* below the smallest double */
        } else if (status) {
            return sim_error(SIM_ENUMERIC, "%s: erfc(%g): %s", c->fn, sqrt(x),
                               gsl_strerror(status));
        }
        *out = 0.5 * r.val;
        return 0;
    }
    if (c->kind == CH_CHAN_RAYLEIGH) {
        *out = 0.5 / ((1.0 + x) * (1.0 + sqrt(x / (1.0 + x))));
        return 0;
    }
    return theory_craig(c, x, theory_pi / 2, out);
}

/* E Q^2(sqrt(2 x g)). AWGN: the square of Q. Fading: Craig's form of the square,
 * Q^2(y) = (1/pi) int_0^{pi/4} exp(-y^2 / (2 sin^2 theta)) dtheta (Simon & Divsalar), averaged. */
static int theory_q2(const theory_ctx *c, double x, double *out)
{
    if (c->kind == CH_CHAN_AWGN) {
        double q;
        int status = theory_q(c, x, &q);
        if (status) return status;
        *out = q * q;
        return 0;
    }
    return theory_craig(c, x, theory_pi / 4, out);
}

/* G(phi) = P(the phase of y/h lies in [phi, pi]) when the point at phase 0 was sent, for
 * 0 < phi < pi and mean SNR per symbol gbar. Craig's polar construction: seen from the sent
 * point at distance sqrt(gamma) from the origin, the ray from the origin at phase phi lies at
 * distance sqrt(gamma) sin(phi) / sin(u) in the direction u + phi, u in (0, pi - phi), and the
 * noise, circular with variance 1/2 per axis in units of n0, passes it with probability
 * exp(-gamma sin^2(phi) / sin^2 u) / (2 pi) per unit angle, so
 *   G(phi) = (1 / 2 pi) int_0^{pi - phi} exp(-gamma sin^2(phi) / sin^2 u) du.
 * Twice G(pi / M) is Craig's M-PSK symbol error probability. */
static int theory_wedge(const theory_ctx *c, double gbar, double phi, double *out)
{
    double s = sin(phi), v;
    int status = theory_craig(c, gbar * s * s, theory_pi - phi, &v);
    if (status) return status;
    *out = 0.5 * v;
    return 0;
}

static unsigned theory_popcount(unsigned v)
{
    unsigned n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

static unsigned theory_gray(unsigned i)
{
    return i ^ (i >> 1);
}

static unsigned theory_log2(unsigned m)
{
    unsigned k = 0;
    while ((1u << k) < m)
        k++;
    return k;
}

/* Mean Hamming distance between the Gray labels of PSK points d steps apart on the circle,
 * w_d = (1/M) sum_i dH(gray(i), gray((i + d) mod M)). The distance between the labels of two
 * points depends on where they are, not only on d, so it is averaged over the sent point. */
static double psk_weight(unsigned m, unsigned d)
{
    unsigned sum = 0;
    for (unsigned i = 0; i < m; i++)
        sum += theory_popcount(theory_gray(i) ^ theory_gray((i + d) % m));
    return (double)sum / m;
}

/* M-PSK, M >= 4, with the phases of the decision boundaries phi_d = (2d - 1) pi / M. The point
 * d steps from the sent one is decided with probability P_d = G(phi_d) - G(phi_{d+1}) for
 * 0 < d < M/2, P_{M/2} = 2 G(phi_{M/2}), P_{M-d} = P_d, so
 *   SER = 2 G(pi / M)   (Craig),   BER = (1 / log2 M) sum_{d=1}^{M-1} w_d P_d. */
static int psk_sectors(const theory_ctx *c, unsigned m, double gbar, double *ber, double *ser)
{
    double g, sum = 0.0;
    int status = theory_wedge(c, gbar, theory_pi / m, &g);
    if (status) return status;
    *ser = 2.0 * g;
    for (unsigned d = 1; d < m / 2; d++) {
        double g_next;
        status = theory_wedge(c, gbar, (2.0 * d + 1.0) * theory_pi / m, &g_next);
        if (status) return status;
        sum += 2.0 * psk_weight(m, d) * (g - g_next);
        g = g_next;
    }
    sum += psk_weight(m, m / 2) * 2.0 * g;
    *ber = sum / theory_log2(m);
    return 0;
}

/* Coefficients c_j, j = 0 .. L-2, of the exact Gray BER of one axis of square QAM,
 *   P_b = sum_j c_j Q((2j + 1) a),   a = d / sigma = sqrt(3 gamma / (M - 1)):
 * with level i sent and interval l != i decided, the noise crosses the near boundary of l at
 * (2|l - i| - 1) d and, unless l is an outer interval, not its far one at (2|l - i| + 1) d;
 * each such probability counts dH(gray(i), gray(l)) wrong bits out of log2 L, averaged over the
 * L levels. Built from the labels, this is the closed form of Cho & Yoon. */
static void qam_coefficients(unsigned l_levels, double *c)
{
    unsigned bits = theory_log2(l_levels);
    for (unsigned j = 0; j + 1 < l_levels; j++)
        c[j] = 0.0;
    for (unsigned i = 0; i < l_levels; i++) {
        for (unsigned l = 0; l < l_levels; l++) {
            unsigned dist = l > i ? l - i : i - l;
            unsigned outer = l == 0 || l + 1 == l_levels;
            double h = theory_popcount(theory_gray(i) ^ theory_gray(l));
            if (dist == 0) continue;
            c[dist - 1] += h;
            if (!outer) c[dist] -= h;
        }
    }
    for (unsigned j = 0; j + 1 < l_levels; j++)
        c[j] /= (double)l_levels * bits;
}

/* Square M-QAM with L = sqrt(M) levels per axis, mean SNR per symbol gbar. The axes are
 * independent and carry half of the bits each, so the BER is that of one axis. A symbol is right
 * when both axes are: SER = 1 - (1 - P_L)^2 = 2 P_L - P_L^2 with the L-PAM symbol error
 * probability P_L = 2 (1 - 1/L) Q(a) (Proakis §5.2.9); over fading, with q = 1 - 1/L,
 *   SER = 4 q E Q(a) - 4 q^2 E Q^2(a). */
static int qam_exact(const theory_ctx *c, unsigned m, double gbar, double *ber, double *ser)
{
    unsigned l_levels = theory_log2(m) / 2;
    double coef[SIM_THEORY_MAX_LEVELS], sum = 0.0, q1, q2;
    l_levels = 1u << l_levels;
    qam_coefficients(l_levels, coef);
    /* Q((2j + 1) a) = Q(sqrt(2 x_j g)) with x_j = (2j + 1)^2 3 gbar / (2 (M - 1)). */
    double x0 = 3.0 * gbar / (2.0 * (m - 1));
    for (unsigned j = 0; j + 1 < l_levels; j++) {
        double q;
        int status = theory_q(c, (2.0 * j + 1.0) * (2.0 * j + 1.0) * x0, &q);
        if (status) return status;
        sum += coef[j] * q;
    }
    int status = theory_q(c, x0, &q1);
    if (!status) status = theory_q2(c, x0, &q2);
    if (status) return status;
    double q = 1.0 - 1.0 / l_levels;
    *ber = sum;
    *ser = 4.0 * q * q1 - 4.0 * q * q * q2;
    return 0;
}

/* Checks what every public function shares and prepares the context: ber and ser not NULL,
 * a known channel with a finite K >= 0 for Rician, a finite Eb/N0 whose Es/N0 = k Eb/N0 is
 * finite; then allocates the quadrature workspace. */
static int theory_begin(theory_ctx *c, const char *fn, const ch_fading_config *chan, double ebn0_db,
                        unsigned k, const double *ber, const double *ser, double *gbar)
{
    c->fn = fn;
    c->ws = NULL;
    if (!chan) return sim_error(SIM_EINVAL, "%s: NULL channel", fn);
    if (!ber || !ser) return sim_error(SIM_EINVAL, "%s: NULL %s", fn, ber ? "ser" : "ber");
    if (chan->kind != CH_CHAN_AWGN && chan->kind != CH_CHAN_RAYLEIGH &&
        chan->kind != CH_CHAN_RICIAN)
        return sim_error(SIM_EINVAL, "%s: unknown channel kind %d", fn, (int)chan->kind);
    if (chan->kind == CH_CHAN_RICIAN && !(chan->k_factor >= 0.0 && isfinite(chan->k_factor)))
        return sim_error(SIM_EINVAL, "%s: Rician K=%g is not a finite number >= 0", fn,
                           chan->k_factor);
    if (!isfinite(ebn0_db))
        return sim_error(SIM_EINVAL, "%s: ebn0_db is %g, not a finite number", fn,
                           ebn0_db);
    *gbar = k * pow(10.0, ebn0_db / 10.0);
    if (!isfinite(*gbar))
        return sim_error(SIM_EINVAL, "%s: ebn0_db=%g is too large", fn, ebn0_db);
    c->kind = chan->kind;
    c->k_factor = chan->k_factor;
    c->ws = gsl_integration_workspace_alloc(SIM_THEORY_LIMIT);
    if (!c->ws) return sim_error(SIM_ENOMEM, "%s: out of memory", fn);
    return 0;
}

/* M-PSK for the public function fn (named in messages). */
static int theory_psk(const char *fn, unsigned m, const ch_fading_config *chan, double ebn0_db,
                      double *ber, double *ser)
{
    theory_ctx c;
    double gbar, b, s;
    if (m < 2 || m > CH_MODEM_MAX_ORDER || (m & (m - 1)))
        return sim_error(SIM_EINVAL, "%s: M=%u is not a power of two from 2 to %d", fn, m,
                           CH_MODEM_MAX_ORDER);
    int status = theory_begin(&c, fn, chan, ebn0_db, theory_log2(m), ber, ser, &gbar);
    if (status) return status;
    if (m == 2) {
        /* BPSK: one axis, P_b = P_s = Q(sqrt(2 gamma)). */
        status = theory_q(&c, gbar, &b);
        s = b;
    } else {
        status = psk_sectors(&c, m, gbar, &b, &s);
    }
    gsl_integration_workspace_free(c.ws);
    if (status) return status;
    *ber = b;
    *ser = s;
    return 0;
}

/* Square M-QAM for the public function fn (named in messages). */
static int theory_qam(const char *fn, unsigned m, const ch_fading_config *chan, double ebn0_db,
                      double *ber, double *ser)
{
    theory_ctx c;
    double gbar, b, s;
    unsigned k = theory_log2(m);
    if (m < 4 || m > SIM_THEORY_MAX_LEVELS * SIM_THEORY_MAX_LEVELS || (m & (m - 1)) || k % 2)
        return sim_error(SIM_EINVAL, "%s: M=%u is not a power of 4 from 4 to %d", fn, m,
                           SIM_THEORY_MAX_LEVELS * SIM_THEORY_MAX_LEVELS);
    int status = theory_begin(&c, fn, chan, ebn0_db, k, ber, ser, &gbar);
    if (status) return status;
    status = qam_exact(&c, m, gbar, &b, &s);
    gsl_integration_workspace_free(c.ws);
    if (status) return status;
    *ber = b;
    *ser = s;
    return 0;
}

int sim_theory_psk(unsigned m, const ch_fading_config *chan, double ebn0_db, double *ber,
                   double *ser)
{
    return theory_psk("sim_theory_psk", m, chan, ebn0_db, ber, ser);
}

int sim_theory_qam(unsigned m, const ch_fading_config *chan, double ebn0_db, double *ber,
                   double *ser)
{
    return theory_qam("sim_theory_qam", m, chan, ebn0_db, ber, ser);
}

int sim_theory_point(ch_mod_kind mod, const ch_fading_config *chan, double ebn0_db, double *ber,
                     double *ser)
{
    static const char fn[] = "sim_theory_point";
    switch (mod) {
    case CH_MOD_BPSK:
        return theory_psk(fn, 2, chan, ebn0_db, ber, ser);
    case CH_MOD_QPSK:
        return theory_qam(fn, 4, chan, ebn0_db, ber, ser);
    case CH_MOD_8PSK:
        return theory_psk(fn, 8, chan, ebn0_db, ber, ser);
    case CH_MOD_16QAM:
        return theory_qam(fn, 16, chan, ebn0_db, ber, ser);
    case CH_MOD_64QAM:
        return theory_qam(fn, 64, chan, ebn0_db, ber, ser);
    case CH_MOD_256QAM:
        return theory_qam(fn, 256, chan, ebn0_db, ber, ser);
    case CH_MOD_CUSTOM:
        return sim_error(SIM_EUNSUPPORTED,
                           "%s: no exact theory for a custom constellation", fn);
    }
    return sim_error(SIM_EINVAL, "%s: unknown modulation kind %d", fn, (int)mod);
}

/* ---- least squares from one pilot over block Rayleigh fading ------------------------------- */

/* E Q(kappa sqrt(G)) over G ~ exponential with mean m: with gamma = kappa^2 G / 2 of mean
 * gbar = kappa^2 m / 2 it is E Q(sqrt(2 gamma)) = (1 - sqrt(gbar / (1 + gbar))) / 2 (Proakis
 * §14.3), written as 1 / (2 (1 + gbar) (1 + sqrt(gbar / (1 + gbar)))) so that no two numbers
 * near 1 are subtracted; Q(-u) = 1 - Q(u) for kappa < 0. */
static double ls_mean_q(double kappa, double m)
{
    if (isinf(kappa)) return kappa > 0 ? 0.0 : 1.0;
    double gbar = kappa * kappa * m / 2.0;
    double q = 1.0 / (2.0 * (1.0 + gbar) * (1.0 + sqrt(gbar / (1.0 + gbar))));
    return kappa >= 0 ? q : 1.0 - q;
}

/* Wrong bits, averaged over the fading, of one axis of L levels (spacing 2d, levels
 * a_i = (2i - L + 1) d) when level i is sent and the other axis carries power p_other:
 * z = y / h_ls is Gaussian given h_ls with mean a_i c, c = 1 / (1 + n0), and variance
 * sigma2 / (2 |h_ls|^2) per axis, sigma2 = |x|^2 n0 / (1 + n0) + n0; the slicer decides
 * level l on [t_(l-1), t_l] with t_l = (2l - L + 2) d, and each such decision costs
 * dH(gray(i), gray(l)) bits. */
static double ls_axis_errors(unsigned l_levels, double d, unsigned i, double p_other, double n0)
{
    double a = (2.0 * i - l_levels + 1.0) * d, c = 1.0 / (1.0 + n0);
    double sigma = sqrt((a * a + p_other) * n0 * c + n0);
    double m = 1.0 + n0, wrong = 0.0;
    for (unsigned l = 0; l < l_levels; l++) {
        double lo = l == 0 ? -INFINITY : (2.0 * l - l_levels) * d;
        double hi = l + 1 == l_levels ? INFINITY : (2.0 * l - l_levels + 2.0) * d;
        double p = ls_mean_q(sqrt(2.0) * (lo - a * c) / sigma, m) -
                   ls_mean_q(sqrt(2.0) * (hi - a * c) / sigma, m);
        wrong += theory_popcount(theory_gray(i) ^ theory_gray(l)) * p;
    }
    return wrong;
}

int sim_theory_ls_pilot(ch_mod_kind mod, double esn0_db, double *ber)
{
    static const char fn[] = "sim_theory_ls_pilot";
    unsigned m = mod == CH_MOD_BPSK ? 2 : mod == CH_MOD_QPSK ? 4 : mod == CH_MOD_16QAM ? 16
               : mod == CH_MOD_64QAM ? 64 : mod == CH_MOD_256QAM ? 256 : 0;
    if (!ber) return sim_error(SIM_EINVAL, "%s: NULL ber", fn);
    if (m == 0)
        return sim_error(SIM_EUNSUPPORTED, "%s: no closed form for %s", fn,
                           ch_mod_name(mod));
    if (!isfinite(esn0_db))
        return sim_error(SIM_EINVAL, "%s: esn0_db is %g, not a finite number", fn,
                           esn0_db);
    double n0 = pow(10.0, -esn0_db / 10.0);
    /* BPSK: one axis of 2 levels, d = 1; square QAM: two axes of L levels, d^2 = 3/(2(M-1)). */
    unsigned axes = m == 2 ? 1 : 2, l_levels = m == 2 ? 2 : 1u << (theory_log2(m) / 2);
    double d = m == 2 ? 1.0 : sqrt(3.0 / (2.0 * (m - 1))), wrong = 0.0;
    for (unsigned i = 0; i < l_levels; i++) {
        for (unsigned j = 0; j < (axes == 2 ? l_levels : 1); j++) {
            double b = axes == 2 ? (2.0 * j - l_levels + 1.0) * d : 0.0;
            wrong += ls_axis_errors(l_levels, d, i, b * b, n0);
        }
    }
    /* Averaged over the M points; by symmetry the other axis's bits err alike. */
    *ber = wrong / ((double)(axes == 2 ? l_levels * l_levels : l_levels) * theory_log2(l_levels));
    return 0;
}

/* ---- block codes over BPSK and AWGN -------------------------------------------------------- */

/* Q(x) by erfc, accurate where it is small. */
static double q_function(double x)
{
    return 0.5 * erfc(x / sqrt(2.0));
}

/* ln C(n, i) */
static double log_choose(unsigned n, unsigned i)
{
    return lgamma(n + 1.0) - lgamma(i + 1.0) - lgamma(n - i + 1.0);
}

int sim_theory_code_hard(const ch_code *code, double ebn0_db, double *bler)
{
    static const char fn[] = "sim_theory_code_hard";
    if (!code || !bler) return sim_error(SIM_EINVAL, "%s: NULL argument", fn);
    int t = ch_code_hard_radius(code);
    if (t < 0)
        return sim_error(SIM_EUNSUPPORTED, "%s: %s has no bounded-distance hard decoder", fn,
                         ch_code_name(code));
    if (!isfinite(ebn0_db))
        return sim_error(SIM_EINVAL, "%s: ebn0_db is %g, not a finite number", fn, ebn0_db);
    unsigned n = ch_code_n(code);
    /* The coded bit's crossover probability p = Q(sqrt(2 R Eb/N0)); a block is right exactly
     * when at most t of its n bits cross over. The complement is summed from the large terms
     * down, in logs, so that a BLER far below 1 keeps its digits. */
    double p = q_function(sqrt(2 * ch_code_rate(code) * pow(10, ebn0_db / 10)));
    if (p == 0) return *bler = 0, SIM_OK;
    double sum = 0;
    for (unsigned i = n; i > (unsigned)t; i--)
        sum += exp(log_choose(n, i) + i * log(p) + (n - i) * log1p(-p));
    *bler = sum;
    return SIM_OK;
}

int sim_theory_code_union(const ch_code *code, double ebn0_db, double *bound)
{
    static const char fn[] = "sim_theory_code_union";
    if (!code || !bound) return sim_error(SIM_EINVAL, "%s: NULL argument", fn);
    if (!isfinite(ebn0_db))
        return sim_error(SIM_EINVAL, "%s: ebn0_db is %g, not a finite number", fn, ebn0_db);
    uint64_t A[CH_CODE_MAX_N + 1];
    if (ch_code_weights(code, A) != CH_OK)
        return sim_error(SIM_EUNSUPPORTED, "%s: %s: no weight distribution (k > 24)", fn,
                         ch_code_name(code));
    /* Soft ML errs towards a codeword at distance w with probability Q(sqrt(2 w R Eb/N0)); the
     * union over the codewords bounds the block error rate from above. */
    double snr = ch_code_rate(code) * pow(10, ebn0_db / 10), sum = 0;
    for (unsigned w = 1; w <= ch_code_n(code); w++)
        if (A[w]) sum += (double)A[w] * q_function(sqrt(2 * w * snr));
    *bound = sum;
    return SIM_OK;
}
