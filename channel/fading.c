/* AWGN and flat fading: fast, block and Doppler-correlated (Jakes/Clarke) Rayleigh and Rician
 * gains. See fading.h for the contract and fading_jakes.h for the sum-of-sinusoids model. */
#include "fading.h"

#include "ch_complex.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ch_error.h"
#include "fading_jakes.h"

/* Variates drawn per ch_rng_cgauss call by the bulk paths: 2 KiB of stack scratch. */
#define SCRATCH (CH_RNG_BLOCK / 2) /* complex: a whole block of Gaussians, none wasted */

#define JAKES_N CH_JAKES_SINUSOIDS
/* Consecutive samples evaluated together, a group: 128 balances the Chebyshev way's two costs
 * (per group, per sample and term; see span_by_chebyshev). */
#define JAKES_LANES 128
/* The table of powers' half group: 64 rather than one vector's worth, as GCC unrolls a loop of
 * 16 completely and then vectorises across sinusoids with shuffles, 6x slower; and not 128,
 * with which the table way measured 15-20% slower (twice the table, 32 KiB; 2-core AMD EPYC,
 * Zen 4). */
#define JAKES_POW_LANES (JAKES_LANES / 2)
/* Samples between re-anchorings of the float recurrence from the double-precision state. */
#define JAKES_SPAN 512
_Static_assert(JAKES_SPAN == 4 * JAKES_LANES, "jakes_draw computes the span step as rot^4");
/* Most Chebyshev terms of a group (jakes_terms); faster Doppler than that allows takes the
 * table of powers. A multiple of 16, the lanes of weights16. At 48 terms (doppler 0.07) a gain
 * costs 48 + 24 products against the table's 128, and measured 1.9-2.2 ns against 3.2 (2-core
 * AMD EPYC, Zen 4). */
#define JAKES_MAX_TERMS 48
/* Truncation of the Chebyshev series: the dropped terms of one sinusoid weigh at most this
 * (times its amplitude), below the float rounding of a gain. */
#define JAKES_TAIL 1e-7

static const double two_pi = 6.283185307179586476925286766559;

/* Doppler realisation, h(k) = los + sum_n z_n(k), z_n(k) = c_n exp(j 2 pi nu_n k), a group of
 * JAKES_LANES symbols at a time from its phasors z_n(g) one of two ways:
 *   Chebyshev (slow Doppler, up to about 0.07: JAKES_MAX_TERMS): z_n at the group's middle
 *     times the series of exp(j 2 pi nu_n (l - mid)) in Chebyshev polynomials of l
 *     (span_by_chebyshev);
 *   table of powers (faster Doppler): z_n at the group's start times exp(j 2 pi nu_n l) from a
 *     table (group_by_powers).
 * The phasors advance one group per step by a float rotation, whose rounding grows the error
 * by ~2^-23 per step. So each span of JAKES_SPAN symbols (4 steps) restarts from phasors kept
 * in double, advanced by one double rotation per span, whose angle (from squarings) is off by
 * ~1e-16 per symbol: ~1e-5 after 10^11 symbols of one realisation, which the engine redraws
 * every chunk. Measured |h - exact| up to 1.3e-6 both ways, float roundings of |h| up to ~3.
 * Direct cos/sin per sinusoid and symbol would cost 64 transcendental calls a symbol. */
typedef struct {
    double nu[JAKES_N];                  /* Doppler shift of sinusoid n, cycles per symbol */
    double c_re[JAKES_N], c_im[JAKES_N]; /* amplitude and phase at k = 0 */
    double anchor_re[JAKES_N], anchor_im[JAKES_N]; /* z_n at the next span's first group */
    double step_re[JAKES_N], step_im[JAKES_N];     /* exp(j 2 pi nu_n JAKES_SPAN) */
    float rot_re[JAKES_N], rot_im[JAKES_N];        /* exp(j 2 pi nu_n JAKES_LANES) */
    float complex buf[JAKES_SPAN];                 /* the current span */
    unsigned pos; /* next unread sample of buf; JAKES_SPAN if none */
    /* The tables are read a vector at a time: aligned to cache lines (ch_fading_create gives
     * the object that alignment), since a vector across two lines costs two loads. */
    /* Table of powers (terms == 0): z_n taken at the group's first symbol. */
    _Alignas(64) float pow_re[JAKES_N][JAKES_POW_LANES]; /* exp(j 2 pi nu_n l), l < POW_LANES */
    _Alignas(64) float pow_im[JAKES_N][JAKES_POW_LANES];
    float half_re[JAKES_N], half_im[JAKES_N]; /* exp(j 2 pi nu_n JAKES_POW_LANES) */
    /* Chebyshev (terms > 0): z_n taken at the group's middle, and
     * exp(j 2 pi nu_n (l - mid)) = sum_r beta[n][r] i^r T_r(t_l), t_l = (l - mid) / mid. */
    unsigned terms;
    _Alignas(64) float beta[JAKES_N][JAKES_MAX_TERMS]; /* eps_r J_r(2 pi nu_n mid); 0 past terms */
    _Alignas(64) float cheb[JAKES_MAX_TERMS][JAKES_LANES]; /* T_r(t_l) */
} jakes_state;

struct ch_fading {
    ch_fading_config cfg;
    float los;         /* line-of-sight gain sqrt(K/(K+1)), phase 0; 0 for Rayleigh */
    float scatter_var; /* E|h_scatter|^2 = 1/(K+1) */
    unsigned left;     /* block fading: symbols left in the current block */
    float complex block_h;
    int drawn; /* Doppler: a realisation has been drawn since create */
    jakes_state jakes;
};

/* ---------------------------------------------------------------------------------------- */
/* AWGN */

double ch_n0_from_ebn0(double ebn0_db, unsigned bits_per_symbol, double code_rate)
{
    if (bits_per_symbol == 0 || !(code_rate > 0.0 && code_rate <= 1.0)) return NAN;
    /* 10^(-ebn0/10) / (k r) directly: going through Es/N0 in dB would round twice. */
    return pow(10.0, -ebn0_db / 10.0) / ((double)bits_per_symbol * code_rate);
}

double ch_n0_from_esn0(double esn0_db)
{
    return pow(10.0, -esn0_db / 10.0);
}

double ch_esn0_from_ebn0(double ebn0_db, unsigned bits_per_symbol, double code_rate)
{
    if (bits_per_symbol == 0 || !(code_rate > 0.0 && code_rate <= 1.0)) return NAN;
    return ebn0_db + 10.0 * log10((double)bits_per_symbol * code_rate);
}

/* The variates ch_rng_cgauss(r, n, n0, w) would draw, added in the generator's pass (a float
 * complex is two floats, C11 6.2.5); the same numbers as drawing into scratch and adding. */
void ch_awgn_add(ch_rng *r, size_t n, float n0, float complex *y)
{
    ch_rng_gauss_add(r, 2 * n, sqrtf(0.5f * n0), (float *)y);
}

void ch_awgn_add_faded(ch_rng *r, size_t n, float n0, const float complex *h, float complex *y)
{
    ch_rng_gauss_cmul_add(r, n, sqrtf(0.5f * n0), h, y);
}

void ch_awgn_add_faded_real(ch_rng *r, size_t n, float n0, const float complex *h, float complex *y)
{
    ch_rng_gauss_rmul_add(r, n, sqrtf(0.5f * n0), h, y);
}

/* ---------------------------------------------------------------------------------------- */
/* Names and configuration */

static const char *const chan_names[] = {
    [CH_CHAN_AWGN] = "awgn",
    [CH_CHAN_RAYLEIGH] = "rayleigh",
    [CH_CHAN_RICIAN] = "rician",
};
#define CHAN_KINDS (sizeof chan_names / sizeof chan_names[0])

int ch_chan_parse(const char *name, ch_chan_kind *kind)
{
    for (size_t i = 0; name && i < CHAN_KINDS; i++) {
        if (strcasecmp(name, chan_names[i]) == 0) {
            *kind = (ch_chan_kind)i;
            return CH_OK;
        }
    }
    return ch_error(CH_EINVAL, "channel '%s' is not one of awgn, rayleigh, rician",
                    name ? name : "(null)");
}

const char *ch_chan_name(ch_chan_kind kind)
{
    return (unsigned)kind < CHAN_KINDS ? chan_names[kind] : "unknown";
}

/* Checks each field alone, then the combinations; the message names the field. */
static int check_config(const ch_fading_config *cfg)
{
    const char *fn = "ch_fading_create";
    if (!cfg) return ch_error(CH_EINVAL, "%s: cfg is NULL", fn);
    if ((unsigned)cfg->kind >= CHAN_KINDS)
        return ch_error(CH_EINVAL, "%s: kind=%d is not a channel kind", fn, (int)cfg->kind);
    if (!isfinite(cfg->k_factor) || cfg->k_factor < 0.0)
        return ch_error(CH_EINVAL, "%s: k_factor=%g must be finite and >= 0", fn, cfg->k_factor);
    if (cfg->coherence == 0) return ch_error(CH_EINVAL, "%s: coherence=0 must be >= 1 symbol", fn);
    if (!(cfg->doppler >= 0.0 && cfg->doppler <= 0.5))
        return ch_error(CH_EINVAL, "%s: doppler=%g outside [0, 0.5]", fn, cfg->doppler);
    if (cfg->k_factor != 0.0 && cfg->kind != CH_CHAN_RICIAN)
        return ch_error(CH_EINVAL, "%s: k_factor=%g given for %s (only rician has one)", fn,
                        cfg->k_factor, chan_names[cfg->kind]);
    if (cfg->kind == CH_CHAN_AWGN && (cfg->coherence != 1 || cfg->doppler != 0.0))
        return ch_error(CH_EINVAL, "%s: coherence=%u, doppler=%g given for awgn (needs 1, 0)", fn,
                        cfg->coherence, cfg->doppler);
    if (cfg->doppler > 0.0 && cfg->coherence != 1)
        return ch_error(CH_EINVAL,
                        "%s: doppler=%g with coherence=%u: correlated fading is not block "
                        "fading",
                        fn, cfg->doppler, cfg->coherence);
    return CH_OK;
}

static unsigned jakes_terms(double doppler);
static void jakes_chebyshev_table(jakes_state *s);

ch_fading *ch_fading_create(const ch_fading_config *cfg)
{
    if (check_config(cfg) != CH_OK) return NULL;
    /* sizeof *f is a multiple of its 64-byte alignment, as aligned_alloc requires. */
    ch_fading *f = aligned_alloc(_Alignof(ch_fading), sizeof *f);
    if (!f) {
        ch_error(CH_ENOMEM, "ch_fading_create: out of memory");
        return NULL;
    }
    memset(f, 0, sizeof *f);
    f->cfg = *cfg;
    double k = cfg->kind == CH_CHAN_RICIAN ? cfg->k_factor : 0.0;
    f->los = (float)sqrt(k / (k + 1.0));
    f->scatter_var = (float)(1.0 / (k + 1.0));
    f->jakes.pos = JAKES_SPAN;
    if (cfg->doppler > 0.0) f->jakes.terms = jakes_terms(cfg->doppler);
    if (f->jakes.terms) jakes_chebyshev_table(&f->jakes);
    return f;
}

void ch_fading_destroy(ch_fading *f)
{
    free(f);
}

const ch_fading_config *ch_fading_get_config(const ch_fading *f)
{
    return &f->cfg;
}

/* ---------------------------------------------------------------------------------------- */
/* Doppler: sum of sinusoids */

/* exp(j w l) for l < JAKES_POW_LANES into pow_re/pow_im, and exp(j w JAKES_POW_LANES) into
 * rot, from (wr, wi) = exp(j w): by doubling in double, pow[b + i] = pow[i] pow[b], so each power
 * is at most log2(JAKES_POW_LANES) products deep (error ~1e-15) and the loop over i vectorises. */
static void jakes_powers(double wr, double wi, float *pow_re, float *pow_im, double rot[2])
{
    double re[2 * JAKES_POW_LANES], im[2 * JAKES_POW_LANES];
    re[0] = 1.0;
    im[0] = 0.0;
    re[1] = wr;
    im[1] = wi;
    for (int b = 1; b < JAKES_POW_LANES; b *= 2) {
        double br = re[b], bi = im[b];
        for (int i = 0; i < b; i++) {
            re[b + i] = re[i] * br - im[i] * bi;
            im[b + i] = re[i] * bi + im[i] * br;
        }
        re[2 * b] = br * br - bi * bi; /* the next doubling's factor, exp(j w 2b) */
        im[2 * b] = 2.0 * br * bi;
    }
    for (int l = 0; l < JAKES_POW_LANES; l++) {
        pow_re[l] = (float)re[l];
        pow_im[l] = (float)im[l];
    }
    rot[0] = re[JAKES_POW_LANES];
    rot[1] = im[JAKES_POW_LANES];
}

/* The middle of a group, in symbols from its first: where the Chebyshev way expands. */
static const double jakes_mid = (JAKES_LANES - 1) / 2.0;

/* Below this x, ch_fading_jakes_bessel sums the power series; from it on, Miller's recurrence
 * (started at most count + x + 12 and at x >= 0.5 it grows at most 4^r r!: no overflow). */
#define BESSEL_SERIES_BELOW 0.5

/* J_r(x) = (x/2)^r / r! sum_k (-(x/2)^2)^k / (k! (r+1)...(r+k)): eight terms reach 1e-13
 * relative for x < 0.5. */
static double bessel_series(double x, unsigned r, double lead)
{
    double y = -0.25 * x * x, term = 1.0, sum = 1.0;
    for (unsigned k = 1; k < 8; k++) {
        term *= y / (k * (double)(r + k));
        sum += term;
    }
    return lead * sum;
}

void ch_fading_jakes_bessel(size_t lanes, const double *x, unsigned count, double *j)
{
    double top_x = 0.0;
    for (size_t i = 0; i < lanes; i++)
        top_x = x[i] > top_x ? x[i] : top_x;
    const unsigned top = 2 * ((count + (unsigned)top_x + 13) / 2);
    /* Miller's recurrence J_(r-1) = (2r/x) J_r - J_(r+1) downwards from top, every lane at
     * once (the lanes innermost, so that the recurrence's latency overlaps), normalised by
     * J_0 + 2 sum_k J_2k = 1. */
    assert(lanes <= JAKES_N);
    double above[JAKES_N], cur[JAKES_N], norm[JAKES_N], two_over_x[JAKES_N];
    for (size_t i = 0; i < lanes; i++) {
        above[i] = 0.0, cur[i] = 1e-30, norm[i] = 0.0;
        two_over_x[i] = 2.0 / (x[i] < BESSEL_SERIES_BELOW ? BESSEL_SERIES_BELOW : x[i]);
    }
    for (unsigned r = top; r > 0; r--) {
        for (size_t i = 0; i < lanes; i++) {
            if (r < count) j[r * lanes + i] = cur[i];
            norm[i] += r % 2 == 0 ? 2.0 * cur[i] : 0.0;
            double below = r * two_over_x[i] * cur[i] - above[i];
            above[i] = cur[i], cur[i] = below;
        }
    }
    for (size_t i = 0; i < lanes; i++) {
        j[i] = cur[i];
        norm[i] += cur[i];
    }
    for (size_t i = 0; i < lanes; i++)
        norm[i] = 1.0 / norm[i];
    for (unsigned r = 0; r < count; r++)
        for (size_t i = 0; i < lanes; i++)
            j[r * lanes + i] *= norm[i];
    for (size_t i = 0; i < lanes; i++) {
        if (x[i] >= BESSEL_SERIES_BELOW) continue;
        double lead = 1.0, half = 0.5 * x[i];
        for (unsigned r = 0; r < count; r++) {
            j[r * lanes + i] = bessel_series(x[i], r, lead);
            lead *= half / (r + 1);
        }
    }
}

/* Terms of the Chebyshev way for normalised Doppler `doppler`: the fewest R whose dropped terms
 * 2 sum_(r >= R) |J_r(x)| stay below JAKES_TAIL at the fastest sinusoid's x = 2 pi doppler mid
 * (past r > x, |J_r(x)| grows with |x|, so slower sinusoids drop less); 0, the table of powers,
 * when that needs more than JAKES_MAX_TERMS. */
static unsigned jakes_terms(double doppler)
{
    enum { COUNT = JAKES_MAX_TERMS + 32 };
    double x = two_pi * doppler * jakes_mid, j[COUNT];
    if (x >= JAKES_MAX_TERMS) return 0; /* the terms past r > x alone are too many */
    ch_fading_jakes_bessel(1, &x, COUNT, j);
    for (unsigned r = 1; r <= JAKES_MAX_TERMS; r++) {
        if (r <= x) continue;
        double tail = 0.0;
        for (unsigned q = r; q < COUNT; q++)
            tail += 2.0 * fabs(j[q]);
        if (tail <= JAKES_TAIL) return r;
    }
    return 0;
}

/* T_r(t_l) = cos(r acos t_l) at the group's symbols, t_l = (l - mid) / mid in [-1, 1], for the
 * terms used (span_by_chebyshev reads no row past them). */
static void jakes_chebyshev_table(jakes_state *s)
{
    for (int l = 0; l < JAKES_LANES; l++) {
        double theta = acos((l - jakes_mid) / jakes_mid);
        for (unsigned r = 0; r < s->terms; r++)
            s->cheb[r][l] = (float)cos(r * theta);
    }
}

/* beta[n][r] = eps_r J_r(w_n mid) (eps_0 = 1, else 2) for r < terms, 0 after: by
 * Jacobi-Anger, exp(j w mid t) = sum_r eps_r i^r J_r(w mid) T_r(t), and J_r(-x) = (-1)^r
 * J_r(x). */
static void jakes_beta(jakes_state *s)
{
    double x[JAKES_N], j[JAKES_MAX_TERMS * JAKES_N];
    for (int n = 0; n < JAKES_N; n++)
        x[n] = fabs(two_pi * s->nu[n]) * jakes_mid;
    ch_fading_jakes_bessel(JAKES_N, x, s->terms, j);
    /* beta[n][r] for r >= terms stays 0 from ch_fading_create. */
    for (int n = 0; n < JAKES_N; n++) {
        const double eps_odd = s->nu[n] < 0.0 ? -2.0 : 2.0;
        s->beta[n][0] = (float)j[n];
        for (unsigned r = 1; r < s->terms; r++)
            s->beta[n][r] = (float)((r % 2 ? eps_odd : 2.0) * j[r * JAKES_N + n]);
    }
}

/* exp(j w JAKES_SPAN) = rot^4 into the span step, in double, and rot in float. */
static void jakes_steps(jakes_state *s, int n, const double rot[2])
{
    s->rot_re[n] = (float)rot[0];
    s->rot_im[n] = (float)rot[1];
    double a = rot[0] * rot[0] - rot[1] * rot[1], b = 2.0 * rot[0] * rot[1];
    s->step_re[n] = a * a - b * b;
    s->step_im[n] = 2.0 * a * b;
}

/* The table of powers of sinusoid n, w = 2 pi nu_n; exp(j w JAKES_LANES) as the square of the
 * table's exp(j w JAKES_POW_LANES). */
static void draw_table_way(jakes_state *s, int n, double w)
{
    double half[2];
    jakes_powers(cos(w), sin(w), s->pow_re[n], s->pow_im[n], half);
    s->half_re[n] = (float)half[0];
    s->half_im[n] = (float)half[1];
    const double rot[2] = {half[0] * half[0] - half[1] * half[1], 2.0 * half[0] * half[1]};
    jakes_steps(s, n, rot);
}

/* The Chebyshev way's rotations of sinusoid n and its anchor moved to the first group's
 * middle, from one sine and cosine: with e = exp(j w / 2), exp(j w JAKES_LANES) = e^256 and
 * exp(j w mid) = e^127 = e^128 conj(e), by squarings in double (relative error ~1e-14). */
static void draw_chebyshev_way(jakes_state *s, int n, double w)
{
    _Static_assert(JAKES_LANES == 128, "e^128 takes 7 squarings");
    const double er = cos(0.5 * w), ei = sin(0.5 * w);
    double pr = er, pi = ei;
    for (int q = 0; q < 7; q++) {
        double t = pr * pr - pi * pi;
        pi = 2.0 * pr * pi;
        pr = t;
    }
    const double rot[2] = {pr * pr - pi * pi, 2.0 * pr * pi};
    jakes_steps(s, n, rot);
    const double mr = pr * er + pi * ei, mi = pi * er - pr * ei;
    s->anchor_re[n] = s->c_re[n] * mr - s->c_im[n] * mi;
    s->anchor_im[n] = s->c_re[n] * mi + s->c_im[n] * mr;
}

/* Draws angles and amplitudes, then the tables of the recurrence. The anchors are the phasors
 * at the first group's first symbol (table of powers) or its middle (Chebyshev). */
static void jakes_draw(ch_fading *f, ch_rng *r)
{
    jakes_state *s = &f->jakes;
    float u[JAKES_N];
    float complex c[JAKES_N];
    ch_rng_uniform(r, JAKES_N, u);
    ch_rng_cgauss(r, JAKES_N, f->scatter_var / JAKES_N, c);
    for (int n = 0; n < JAKES_N; n++) {
        /* One angle per sector of the circle: the sectors tile it, so the ensemble average of
         * exp(j 2 pi nu k) over n and u is J0(2 pi doppler k) exactly, for any JAKES_N. */
        double alpha = two_pi * (n + (double)u[n]) / JAKES_N;
        s->nu[n] = f->cfg.doppler * cos(alpha);
        s->c_re[n] = s->anchor_re[n] = crealf(c[n]);
        s->c_im[n] = s->anchor_im[n] = cimagf(c[n]);
        if (s->terms)
            draw_chebyshev_way(s, n, two_pi * s->nu[n]);
        else
            draw_table_way(s, n, two_pi * s->nu[n]);
    }
    if (s->terms) jakes_beta(s);
    s->pos = JAKES_SPAN;
    f->drawn = 1;
}

/* Half a group by the table of powers: h(g + l) = los + sum_n z_n(g) exp(j 2 pi nu_n l),
 * summed in n order per lane. */
static void half_by_powers(const jakes_state *s, const float *zr, const float *zi, float los,
                           float complex *out)
{
    float ar[JAKES_POW_LANES], ai[JAKES_POW_LANES];
    for (int l = 0; l < JAKES_POW_LANES; l++) {
        ar[l] = los;
        ai[l] = 0.0f;
    }
    for (int n = 0; n < JAKES_N; n++) {
        float a = zr[n], b = zi[n];
        for (int l = 0; l < JAKES_POW_LANES; l++) {
            ar[l] += a * s->pow_re[n][l] - b * s->pow_im[n][l];
            ai[l] += a * s->pow_im[n][l] + b * s->pow_re[n][l];
        }
    }
    for (int l = 0; l < JAKES_POW_LANES; l++)
        out[l] = CMPLXF(ar[l], ai[l]);
}

/* One group by the table of powers, z_n at the group's first symbol: its two halves, the
 * second from the phasors turned by the half group. */
static void group_by_powers(const jakes_state *s, const float *zr, const float *zi, float los,
                            float complex *out)
{
    float hr[JAKES_N], hi[JAKES_N];
    half_by_powers(s, zr, zi, los, out);
    for (int n = 0; n < JAKES_N; n++) {
        hr[n] = zr[n] * s->half_re[n] - zi[n] * s->half_im[n];
        hi[n] = zr[n] * s->half_im[n] + zi[n] * s->half_re[n];
    }
    half_by_powers(s, hr, hi, los, out + JAKES_POW_LANES);
}

/* Sixteen floats: GCC's vector extension (plain SSE2 code in the portable build). */
typedef float jakes_v16 __attribute__((vector_size(64)));

/* Groups per span. */
#define JAKES_GROUPS (JAKES_SPAN / JAKES_LANES)

/* The phasors of a span's groups, z_n(g) for each group g. */
typedef struct {
    float re[JAKES_GROUPS][JAKES_N], im[JAKES_GROUPS][JAKES_N];
} jakes_phasors;

/* The Chebyshev weights of a span's groups, V_r(g) for each group g. */
typedef struct {
    float re[JAKES_GROUPS][JAKES_MAX_TERMS], im[JAKES_GROUPS][JAKES_MAX_TERMS];
} jakes_weights;

/* w_r(g) = sum_n beta[n][r] z_n(g) for the 16 terms r0 <= r < r0 + 16 and every group of the
 * span, in registers: each row of beta is loaded once for all the groups (one load per
 * product made the loop wait on loads), and the 2 JAKES_GROUPS running sums are independent
 * enough to hide the latency of their adds. */
static void weights16(const jakes_state *s, const jakes_phasors *z, unsigned r0, jakes_weights *w)
{
    jakes_v16 re[JAKES_GROUPS] = {{0}}, im[JAKES_GROUPS] = {{0}};
    for (int n = 0; n < JAKES_N; n++) {
        jakes_v16 beta;
        memcpy(&beta, s->beta[n] + r0, sizeof beta);
        for (int g = 0; g < JAKES_GROUPS; g++) {
            re[g] += beta * z->re[g][n];
            im[g] += beta * z->im[g][n];
        }
    }
    for (int g = 0; g < JAKES_GROUPS; g++) {
        memcpy(w->re[g] + r0, &re[g], sizeof re[g]);
        memcpy(w->im[g] + r0, &im[g], sizeof im[g]);
    }
}

/* V_r(g) = i^r sum_n beta[n][r] z_n(g) for r < terms and every group of the span. */
static void chebyshev_weights(const jakes_state *s, const jakes_phasors *z, jakes_weights *v)
{
    jakes_weights w;
    for (unsigned r0 = 0; r0 < s->terms; r0 += 16)
        weights16(s, z, r0, &w);
    /* Times i^r: each factor i maps (re, im) to (-im, re). Four terms a step, one of each
     * power, the sign flips and swaps written out (clang 14 kept the form with r % 4 scalar);
     * the step may pass terms, up to the multiple of 16 that weights16 filled, and no reader
     * looks past terms. */
    for (int g = 0; g < JAKES_GROUPS; g++)
        for (unsigned r = 0; r < s->terms; r += 4) {
            v->re[g][r] = w.re[g][r], v->im[g][r] = w.im[g][r];
            v->re[g][r + 1] = -w.im[g][r + 1], v->im[g][r + 1] = w.re[g][r + 1];
            v->re[g][r + 2] = -w.re[g][r + 2], v->im[g][r + 2] = -w.im[g][r + 2];
            v->re[g][r + 3] = w.im[g][r + 3], v->im[g][r + 3] = -w.re[g][r + 3];
        }
}

/* The lanes of *x in reverse order (through a pointer: a 64-byte vector passed by value would
 * change the calling convention between the native and portable builds). */
static inline void reverse16(jakes_v16 *x)
{
    *x = __builtin_shufflevector(*x, *x, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
}

/* The span by Chebyshev terms, from its weights (z_n at each group's middle):
 * h(g + l) = los + sum_r V_r(g) T_r(t_l). T_r(-t) = (-1)^r T_r(t) and t_(L-1-l) = -t_l, so the
 * even terms E and odd terms O are summed over the first half of each group only:
 * h(l) = los + E + O and h(L-1-l) = los + E - O. Sixteen lanes at a time for all the groups,
 * so that each vector of the table is loaded once for 2 JAKES_GROUPS products. Products a
 * gain: R terms here (half the lanes, two parts) and 2 N R / L for V (16 lanes of terms, N
 * sinusoids, groups of L), 23 at doppler 0.01 (R = 15), against the table of powers'
 * 4 N = 128. Longer groups need more terms, shorter ones more V. */
static void span_by_chebyshev(const jakes_state *s, const jakes_weights *v, float los,
                              float complex *out)
{
    enum { G = JAKES_GROUPS, HALF = JAKES_LANES / 2, W = 16 };
    float ar[G][JAKES_LANES], ai[G][JAKES_LANES];
    for (int c = 0; c < HALF; c += W) {
        jakes_v16 er[G] = {{0}}, ei[G] = {{0}}, or_[G] = {{0}}, oi[G] = {{0}};
        for (unsigned r = 0; r < s->terms; r += 2) {
            jakes_v16 t;
            memcpy(&t, s->cheb[r] + c, sizeof t);
            for (int g = 0; g < G; g++) {
                er[g] += v->re[g][r] * t;
                ei[g] += v->im[g][r] * t;
            }
            if (r + 1 == s->terms) break;
            memcpy(&t, s->cheb[r + 1] + c, sizeof t);
            for (int g = 0; g < G; g++) {
                or_[g] += v->re[g][r + 1] * t;
                oi[g] += v->im[g][r + 1] * t;
            }
        }
        for (int g = 0; g < G; g++) {
            jakes_v16 lo_re = (los + er[g]) + or_[g], lo_im = ei[g] + oi[g];
            jakes_v16 hi_re = (los + er[g]) - or_[g], hi_im = ei[g] - oi[g];
            memcpy(ar[g] + c, &lo_re, sizeof lo_re);
            memcpy(ai[g] + c, &lo_im, sizeof lo_im);
            /* Lane l of hi is symbol L - 1 - c - l: reversed, it lands at L - W - c. */
            reverse16(&hi_re);
            reverse16(&hi_im);
            memcpy(ar[g] + JAKES_LANES - W - c, &hi_re, sizeof hi_re);
            memcpy(ai[g] + JAKES_LANES - W - c, &hi_im, sizeof hi_im);
        }
    }
    for (int g = 0; g < G; g++)
        for (int l = 0; l < JAKES_LANES; l++)
            out[g * JAKES_LANES + l] = CMPLXF(ar[g][l], ai[g][l]);
}

/* The next JAKES_SPAN gains into out, from the anchor phasors. */
static void jakes_span(jakes_state *s, float los, float complex *out)
{
    jakes_phasors z;
    for (int n = 0; n < JAKES_N; n++) {
        z.re[0][n] = (float)s->anchor_re[n];
        z.im[0][n] = (float)s->anchor_im[n];
    }
    for (int g = 1; g < JAKES_GROUPS; g++)
        for (int n = 0; n < JAKES_N; n++) {
            float a = z.re[g - 1][n], b = z.im[g - 1][n];
            z.re[g][n] = a * s->rot_re[n] - b * s->rot_im[n];
            z.im[g][n] = a * s->rot_im[n] + b * s->rot_re[n];
        }
    if (s->terms) {
        jakes_weights v;
        chebyshev_weights(s, &z, &v);
        span_by_chebyshev(s, &v, los, out);
    } else {
        for (int g = 0; g < JAKES_GROUPS; g++)
            group_by_powers(s, z.re[g], z.im[g], los, out + g * JAKES_LANES);
    }
    for (int n = 0; n < JAKES_N; n++) {
        double a = s->anchor_re[n];
        s->anchor_re[n] = a * s->step_re[n] - s->anchor_im[n] * s->step_im[n];
        s->anchor_im[n] = a * s->step_im[n] + s->anchor_im[n] * s->step_re[n];
    }
}

/* Whole spans go straight to h; the rest passes through the span buffer. */
static void jakes_gains(ch_fading *f, ch_rng *r, size_t n, float complex *h)
{
    jakes_state *s = &f->jakes;
    if (!f->drawn) jakes_draw(f, r);
    size_t i = 0;
    while (i < n) {
        if (s->pos == JAKES_SPAN && n - i >= JAKES_SPAN) {
            jakes_span(s, f->los, h + i);
            i += JAKES_SPAN;
            continue;
        }
        if (s->pos == JAKES_SPAN) {
            jakes_span(s, f->los, s->buf);
            s->pos = 0;
        }
        size_t m = JAKES_SPAN - s->pos < n - i ? JAKES_SPAN - s->pos : n - i;
        memcpy(h + i, s->buf + s->pos, m * sizeof *h);
        s->pos += (unsigned)m;
        i += m;
    }
}

unsigned ch_fading_jakes_terms(const ch_fading *f)
{
    return f->jakes.terms;
}

double complex ch_fading_jakes_reference(const ch_fading *f, uint64_t k)
{
    const jakes_state *s = &f->jakes;
    double re = f->los, im = 0.0;
    for (int n = 0; n < JAKES_N; n++) {
        /* Reduce the phase in cycles first so that cos and sin see at most one turn. */
        double cycles = s->nu[n] * (double)k;
        double phase = two_pi * (cycles - floor(cycles));
        double cr = cos(phase), ci = sin(phase);
        re += s->c_re[n] * cr - s->c_im[n] * ci;
        im += s->c_re[n] * ci + s->c_im[n] * cr;
    }
    return CMPLX(re, im);
}

/* ---------------------------------------------------------------------------------------- */
/* Fast and block fading */

/* n independent gains los + CN(0, scatter_var): fast Rayleigh is one bulk ch_rng_cgauss. */
static void draw_independent(const ch_fading *f, ch_rng *r, size_t n, float complex *h)
{
    ch_rng_cgauss(r, n, f->scatter_var, h);
    if (f->los != 0.0f) {
        for (size_t i = 0; i < n; i++)
            h[i] += f->los;
    }
}

/* h[i] = v for i < n, through the floats of h (a float complex is two floats, C11 6.2.5):
 * GCC stores complex values one part at a time, and this loop vectorises. */
static void fill(size_t n, float complex v, float complex *h)
{
    float *p = (float *)h, re = crealf(v), im = cimagf(v);
    for (size_t i = 0; i < n; i++) {
        p[2 * i] = re;
        p[2 * i + 1] = im;
    }
}

/* Finishes the current block, then draws the gains of the blocks this call needs in bulk. */
static void block_gains(ch_fading *f, ch_rng *r, size_t n, float complex *h)
{
    size_t coh = f->cfg.coherence;
    size_t m = f->left < n ? f->left : n;
    fill(m, f->block_h, h);
    f->left -= (unsigned)m;
    size_t i = m;
    while (i < n) {
        float complex g[SCRATCH];
        size_t blocks = (n - i + coh - 1) / coh;
        if (blocks > SCRATCH) blocks = SCRATCH;
        draw_independent(f, r, blocks, g);
        for (size_t b = 0; b < blocks; b++) {
            m = coh < n - i ? coh : n - i;
            fill(m, g[b], h + i);
            i += m;
            f->left = (unsigned)(coh - m);
            f->block_h = g[b];
        }
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Life cycle of a realisation */

void ch_fading_reset(ch_fading *f, ch_rng *r)
{
    f->left = 0;
    if (f->cfg.doppler > 0.0) jakes_draw(f, r);
}

/* Whether f draws each gain afresh (draw_independent): fading, neither Doppler nor blocks. */
static int draws_independent(const ch_fading *f)
{
    return f->cfg.kind != CH_CHAN_AWGN && !(f->cfg.doppler > 0.0) && f->cfg.coherence <= 1;
}

void ch_fading_gains(ch_fading *f, ch_rng *r, size_t n, float complex *h)
{
    assert(f && (h || n == 0));
    if (draws_independent(f))
        draw_independent(f, r, n, h);
    else if (f->cfg.kind == CH_CHAN_AWGN)
        fill(n, 1.0f, h);
    else if (f->cfg.doppler > 0.0)
        jakes_gains(f, r, n, h);
    else
        block_gains(f, r, n, h);
}

/* h x by ch_cmul_parts. */
static inline float complex rounded_product(float complex h, float complex x)
{
    float re, im;
    ch_cmul_parts(crealf(h), cimagf(h), crealf(x), cimagf(x), &re, &im);
    return CMPLXF(re, im);
}

/* y[i] = h[i] y[i]: one pointer for what is read and written, so that clang knows the two
 * coincide. Given x == y as two pointers, clang 14 vectorised behind a check that the arrays do
 * not overlap, which fails in place, and ran the scalar loop at a fifth of gcc's speed. */
static void apply_in_place(size_t n, const float complex *restrict h, float complex *restrict y)
{
    for (size_t i = 0; i < n; i++) y[i] = rounded_product(h[i], y[i]);
}

static void apply_apart(size_t n, const float complex *restrict h, const float complex *restrict x,
                        float complex *restrict y)
{
    for (size_t i = 0; i < n; i++) y[i] = rounded_product(h[i], x[i]);
}

void ch_fading_apply(size_t n, const float complex *h, const float complex *x, float complex *y)
{
    if (x == y)
        apply_in_place(n, h, y);
    else
        apply_apart(n, h, x, y);
}
