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
/* Consecutive samples evaluated together. 64 rather than one vector's worth: GCC unrolls a
 * loop of 16 completely and then vectorises across sinusoids with shuffles, 6x slower. */
#define JAKES_LANES 64
/* Samples between re-anchorings of the float recurrence from the double-precision state. */
#define JAKES_SPAN 256
_Static_assert(JAKES_SPAN == 4 * JAKES_LANES, "jakes_draw computes the span step as rot^4");

static const double two_pi = 6.283185307179586476925286766559;

/* Doppler realisation. h(g + l) = los + sum_n z_n(g) exp(j 2 pi nu_n l) for the JAKES_LANES
 * symbols l of a group, from a table of exp(j 2 pi nu_n l); the phasors z_n = c_n exp(j 2 pi
 * nu_n k) advance one group per step by a float rotation, whose rounding grows the error by
 * ~2^-23 per step. So each span of JAKES_SPAN symbols (4 steps) restarts from phasors kept in
 * double, advanced by one double rotation per span (~1e-16 a span, ~1e-6 after 10^12 symbols):
 * measured |h - exact| < 2e-6. Direct cos/sin per sinusoid and symbol would cost 64
 * transcendental calls a symbol instead of 8 vectorised flops per sinusoid. */
typedef struct {
    double nu[JAKES_N];                  /* Doppler shift of sinusoid n, cycles per symbol */
    double c_re[JAKES_N], c_im[JAKES_N]; /* amplitude and phase at k = 0 */
    double anchor_re[JAKES_N], anchor_im[JAKES_N]; /* z_n at the start of the next span */
    double step_re[JAKES_N], step_im[JAKES_N];     /* exp(j 2 pi nu_n JAKES_SPAN) */
    float pow_re[JAKES_N][JAKES_LANES];            /* exp(j 2 pi nu_n l), l < JAKES_LANES */
    float pow_im[JAKES_N][JAKES_LANES];
    float rot_re[JAKES_N], rot_im[JAKES_N]; /* exp(j 2 pi nu_n JAKES_LANES) */
    float complex buf[JAKES_SPAN];          /* the current span */
    unsigned pos;                           /* next unread sample of buf; JAKES_SPAN if none */
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

ch_fading *ch_fading_create(const ch_fading_config *cfg)
{
    if (check_config(cfg) != CH_OK) return NULL;
    ch_fading *f = calloc(1, sizeof *f);
    if (!f) {
        ch_error(CH_ENOMEM, "ch_fading_create: out of memory");
        return NULL;
    }
    f->cfg = *cfg;
    double k = cfg->kind == CH_CHAN_RICIAN ? cfg->k_factor : 0.0;
    f->los = (float)sqrt(k / (k + 1.0));
    f->scatter_var = (float)(1.0 / (k + 1.0));
    f->jakes.pos = JAKES_SPAN;
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

/* exp(j w l) for l < JAKES_LANES into pow_re/pow_im, and exp(j w JAKES_LANES) into rot, from
 * (wr, wi) = exp(j w): by doubling in double, pow[b + i] = pow[i] pow[b], so each power is at
 * most log2(JAKES_LANES) products deep (error ~1e-15) and the loop over i vectorises. */
static void jakes_powers(double wr, double wi, float *pow_re, float *pow_im, double rot[2])
{
    double re[2 * JAKES_LANES], im[2 * JAKES_LANES];
    re[0] = 1.0;
    im[0] = 0.0;
    re[1] = wr;
    im[1] = wi;
    for (int b = 1; b < JAKES_LANES; b *= 2) {
        double br = re[b], bi = im[b];
        for (int i = 0; i < b; i++) {
            re[b + i] = re[i] * br - im[i] * bi;
            im[b + i] = re[i] * bi + im[i] * br;
        }
        re[2 * b] = br * br - bi * bi; /* the next doubling's factor, exp(j w 2b) */
        im[2 * b] = 2.0 * br * bi;
    }
    for (int l = 0; l < JAKES_LANES; l++) {
        pow_re[l] = (float)re[l];
        pow_im[l] = (float)im[l];
    }
    rot[0] = re[JAKES_LANES];
    rot[1] = im[JAKES_LANES];
}

/* Draws angles and amplitudes, then the tables of the recurrence. */
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
        double rot[2];
        double w = two_pi * s->nu[n];
        jakes_powers(cos(w), sin(w), s->pow_re[n], s->pow_im[n], rot);
        s->rot_re[n] = (float)rot[0];
        s->rot_im[n] = (float)rot[1];
        /* exp(j w JAKES_SPAN) = rot^4, in double. */
        double a = rot[0] * rot[0] - rot[1] * rot[1], b = 2.0 * rot[0] * rot[1];
        s->step_re[n] = a * a - b * b;
        s->step_im[n] = 2.0 * a * b;
    }
    s->pos = JAKES_SPAN;
    f->drawn = 1;
}

/* The next JAKES_SPAN gains into out, from the anchor phasors. */
static void jakes_span(jakes_state *s, float los, float complex *out)
{
    float zr[JAKES_N], zi[JAKES_N];
    for (int n = 0; n < JAKES_N; n++) {
        zr[n] = (float)s->anchor_re[n];
        zi[n] = (float)s->anchor_im[n];
    }
    for (int g = 0; g < JAKES_SPAN; g += JAKES_LANES) {
        float ar[JAKES_LANES], ai[JAKES_LANES];
        for (int l = 0; l < JAKES_LANES; l++) {
            ar[l] = los;
            ai[l] = 0.0f;
        }
        /* h(g + l) = los + sum_n z_n(g) exp(j 2 pi nu_n l), summed in n order per lane. */
        for (int n = 0; n < JAKES_N; n++) {
            float a = zr[n], b = zi[n];
            for (int l = 0; l < JAKES_LANES; l++) {
                ar[l] += a * s->pow_re[n][l] - b * s->pow_im[n][l];
                ai[l] += a * s->pow_im[n][l] + b * s->pow_re[n][l];
            }
        }
        for (int n = 0; n < JAKES_N; n++) {
            float a = zr[n];
            zr[n] = a * s->rot_re[n] - zi[n] * s->rot_im[n];
            zi[n] = a * s->rot_im[n] + zi[n] * s->rot_re[n];
        }
        for (int l = 0; l < JAKES_LANES; l++)
            out[g + l] = CMPLXF(ar[l], ai[l]);
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

void ch_fading_gains(ch_fading *f, ch_rng *r, size_t n, float complex *h)
{
    assert(f && (h || n == 0));
    if (f->cfg.kind == CH_CHAN_AWGN)
        fill(n, 1.0f, h);
    else if (f->cfg.doppler > 0.0)
        jakes_gains(f, r, n, h);
    else if (f->cfg.coherence > 1)
        block_gains(f, r, n, h);
    else
        draw_independent(f, r, n, h);
}

void ch_fading_apply(size_t n, const float complex *h, const float complex *x, float complex *y)
{
    /* Written out: the C operator would check every product for NaN and call __mulsc3. */
    for (size_t i = 0; i < n; i++) {
        float hr = crealf(h[i]), hi = cimagf(h[i]), xr = crealf(x[i]), xi = cimagf(x[i]);
        y[i] = CMPLXF(hr * xr - hi * xi, hr * xi + hi * xr);
    }
}
