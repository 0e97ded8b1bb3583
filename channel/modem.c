/* Constellations, mapper and demappers.
 *
 * Square QAM (and BPSK, QPSK as its small cases) is a pair of Gray PAM axes: level index i of
 * an axis has amplitude a_i = (L - 1 - 2i) d and axis label i ^ (i >> 1), so label 0 sits on the
 * most positive level and a positive LLR favours bit 0 as it should. Every demapper of square
 * QAM equalises first, z = y / h with scale g / n0 where g = |h|^2: |y - h s|^2 = g |z - s|^2 is
 * exact, and the metric then splits into an I and a Q part, so each axis is demapped over its L
 * levels instead of the M points. PSK and custom constellations take the general path over all
 * M points, symbols innermost like the per-axis path, with |y - h s|^2 expanded so that a point
 * costs five flops a symbol (general_terms). */
#include "modem.h"

#include "ch_complex.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ch_vmath.h"

#include "ch_error.h"
#include "ch_unroll.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

/* The helpers whose loops over bits, levels and points unroll, and whose loops over symbols
 * vectorise, only once their constant arguments (k, kax, axes, exact) are known are inlined
 * by force: GCC inlined and cloned them anyway, but clang 14 kept some out of line with the
 * constants as variables and ran them scalar (max-log of 16-QAM 50x slower than GCC's). */
#define MODEM_INLINE __attribute__((always_inline)) static inline

/* Largest number of levels on a square-QAM axis (256-QAM). */
#define MODEM_MAX_LEVELS 16
#define MODEM_MAX_KAX 4

/* Symbols per block of the per-axis demappers: scratch of a few KiB stays in L1. */
#define MODEM_BLOCK 256

/* Bits a symbol at most: log2 CH_MODEM_MAX_ORDER. */
#define CH_MODEM_MAX_BITS 12
_Static_assert(1 << CH_MODEM_MAX_BITS == CH_MODEM_MAX_ORDER, "bits of the largest order");

struct ch_modem {
    ch_mod_kind kind;
    unsigned order;                   /* M */
    unsigned k;                       /* log2 M */
    unsigned axes;                    /* 0: general, 1: BPSK (I only), 2: square QAM */
    unsigned levels;                  /* L, levels per axis */
    unsigned kax;                     /* bits per axis, log2 L */
    float d;                          /* half the distance between neighbouring levels */
    float level_of[MODEM_MAX_LEVELS]; /* a_i, by axis label */
    char *name;                       /* "custom(path)"; NULL for built-ins */
    float complex *points;            /* M points by label */
    float *pt_re, *pt_im, *pt_energy; /* the points split, and |s_l|^2: the general demappers */
};

static const char *const mod_names[] = {"bpsk", "qpsk", "8psk", "16qam", "64qam", "256qam"};
#define N_BUILTIN (sizeof mod_names / sizeof mod_names[0])

int ch_mod_parse(const char *name, ch_mod_kind *kind)
{
    for (unsigned i = 0; name && i < N_BUILTIN; i++)
        if (strcasecmp(name, mod_names[i]) == 0) {
            *kind = (ch_mod_kind)i;
            return CH_OK;
        }
    return ch_error(
        CH_EINVAL, "ch_mod_parse: unknown modulation '%s' (bpsk, qpsk, 8psk, 16qam, 64qam, 256qam)",
        name ? name : "(null)");
}

const char *ch_mod_name(ch_mod_kind kind)
{
    if ((unsigned)kind < N_BUILTIN) return mod_names[kind];
    return kind == CH_MOD_CUSTOM ? "custom" : "unknown";
}

static unsigned log2u(unsigned m)
{
    unsigned k = 0;
    while ((1u << k) < m)
        k++;
    return k;
}

static ch_modem *modem_alloc(ch_mod_kind kind, unsigned order)
{
    ch_modem *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->points = malloc(order * sizeof *m->points);
    m->pt_re = malloc(3 * order * sizeof *m->pt_re);
    if (!m->points || !m->pt_re) {
        free(m->points);
        free(m->pt_re);
        free(m);
        return NULL;
    }
    m->pt_im = m->pt_re + order;
    m->pt_energy = m->pt_im + order;
    m->kind = kind;
    m->order = order;
    m->k = log2u(order);
    return m;
}

/* Square QAM of order M = L^2 (axes = 2) or BPSK (L = 2, axes = 1). Unit energy: an L-PAM axis
 * with levels (L - 1 - 2i) d has mean energy (L^2 - 1) d^2 / 3, so d = sqrt(3 / (axes (L^2 - 1))).
 * d is rounded once to float and each level is the float product (L - 1 - 2i) d, the very
 * product the mapper computes, so the mapper needs no table. */
static void init_square(ch_modem *m, unsigned axes, unsigned levels)
{
    double d = sqrt(3.0 / (axes * ((double)levels * levels - 1)));
    m->axes = axes;
    m->levels = levels;
    m->kax = log2u(levels);
    m->d = (float)d;
    for (unsigned i = 0; i < levels; i++)
        m->level_of[i ^ (i >> 1)] = (float)((int)levels - 1 - 2 * (int)i) * m->d;
    if (axes == 1) {
        for (unsigned g = 0; g < levels; g++)
            m->points[g] = m->level_of[g];
        return;
    }
    for (unsigned gi = 0; gi < levels; gi++)
        for (unsigned gq = 0; gq < levels; gq++)
            m->points[gi << m->kax | gq] = CMPLXF(m->level_of[gi], m->level_of[gq]);
}

/* 8-PSK: point i of the circle, exp(j 2 pi i / 8), gets Gray label i ^ (i >> 1). */
static void init_psk(ch_modem *m)
{
    const double pi = 3.14159265358979323846;
    for (unsigned i = 0; i < m->order; i++) {
        double a = 2 * pi * i / m->order;
        m->points[i ^ (i >> 1)] = CMPLXF((float)cos(a), (float)sin(a));
    }
}

/* The split tables of the general demappers, once the points are final. */
static void split_points(ch_modem *m)
{
    for (unsigned l = 0; l < m->order; l++) {
        float re = crealf(m->points[l]), im = cimagf(m->points[l]);
        m->pt_re[l] = re;
        m->pt_im[l] = im;
        m->pt_energy[l] = re * re + im * im;
    }
}

ch_modem *ch_modem_create(ch_mod_kind kind)
{
    static const unsigned order[N_BUILTIN] = {2, 4, 8, 16, 64, 256};
    if ((unsigned)kind >= N_BUILTIN) {
        ch_error(CH_EINVAL, "ch_modem_create: kind %d is not a built-in modulation", (int)kind);
        return NULL;
    }
    ch_modem *m = modem_alloc(kind, order[kind]);
    if (!m) {
        ch_error(CH_ENOMEM, "ch_modem_create: out of memory");
        return NULL;
    }
    if (kind == CH_MOD_BPSK)
        init_square(m, 1, 2);
    else if (kind == CH_MOD_8PSK)
        init_psk(m);
    else
        init_square(m, 2, 1u << (m->k / 2));
    split_points(m);
    return m;
}

void ch_modem_destroy(ch_modem *m)
{
    if (!m) return;
    free(m->points);
    free(m->pt_re);
    free(m->name);
    free(m);
}

ch_mod_kind ch_modem_kind(const ch_modem *m)
{
    return m->kind;
}

const char *ch_modem_name(const ch_modem *m)
{
    return m->name ? m->name : ch_mod_name(m->kind);
}

unsigned ch_modem_order(const ch_modem *m)
{
    return m->order;
}

unsigned ch_modem_bits_per_symbol(const ch_modem *m)
{
    return m->k;
}

const float complex *ch_modem_points(const ch_modem *m)
{
    return m->points;
}

/* ---- custom constellation files ---- */

/* Longest line of a constellation file, newline included. */
#define LOAD_LINE_MAX 256
/* Longest label token: 12 binary digits for M = 4096, and some room. */
#define LOAD_LABEL_MAX 32

typedef struct {
    char label[LOAD_LABEL_MAX + 1];
    unsigned line;
    double re, im;
} load_entry;

/* Parses a finite number filling the whole token tok. */
static int parse_number(const char *tok, double *x)
{
    char *end;
    errno = 0;
    *x = strtod(tok, &end);
    return end != tok && *end == '\0' && errno != ERANGE && isfinite(*x) ? 0 : -1;
}

/* Reads the label token tok for k bits: k binary digits, or else a decimal integer. */
static int parse_label(const char *tok, unsigned k, unsigned long *label)
{
    size_t len = strlen(tok);
    if (len == k && strspn(tok, "01") == len) {
        *label = strtoul(tok, NULL, 2);
        return 0;
    }
    if (len == 0 || len > 9 || strspn(tok, "0123456789") != len) return -1;
    *label = strtoul(tok, NULL, 10);
    return 0;
}

/* Splits the line into at most 4 whitespace-separated tokens, '#' ending the line. Returns the
 * number of tokens (4 means too many). */
static int split_line(char *s, char *tok[4])
{
    char *hash = strchr(s, '#');
    if (hash) *hash = '\0';
    int n = 0;
    for (char *save = NULL, *t = strtok_r(s, " \t\r\n\v\f", &save); t && n < 4;
         t = strtok_r(NULL, " \t\r\n\v\f", &save))
        tok[n++] = t;
    return n;
}

/* Parses one line (number `line`, its text in buf) into *x. Returns 1 for a point, 0 for a
 * blank or comment line, or a negative error status (message set). */
static int parse_entry(const char *path, unsigned line, char *buf, load_entry *x)
{
    char *tok[4];
    int nt = split_line(buf, tok);
    if (nt == 0) return 0;
    if (nt == 2)
        return -ch_error(CH_EFORMAT,
                         "%s: line %u: missing label (want 'label re im')", path,
                         line);
    if (nt != 3)
        return -ch_error(CH_EFORMAT,
                         "%s: line %u: expected 'label re im', found %s%d fields",
                         path, line, nt > 3 ? "more than " : "", nt > 3 ? 3 : nt);
    if (strlen(tok[0]) > LOAD_LABEL_MAX)
        return -ch_error(CH_EFORMAT, "%s: line %u: bad label '%.20s...'", path, line,
                         tok[0]);
    strcpy(x->label, tok[0]);
    x->line = line;
    for (int c = 1; c <= 2; c++)
        if (parse_number(tok[c], c == 1 ? &x->re : &x->im) != 0)
            return -ch_error(CH_EFORMAT, "%s: line %u: '%s' is not a finite number",
                             path, line, tok[c]);
    return 1;
}

/* Reads the entries of the file into *out (allocated, *count of them). Returns CH_OK or an
 * error status (message set). */
static int load_entries(const char *path, FILE *f, load_entry **out, unsigned *count)
{
    load_entry *e = NULL, x;
    unsigned n = 0, cap = 0, line = 0;
    char buf[LOAD_LINE_MAX + 1];
    int status = CH_OK;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        if (!strchr(buf, '\n') && !feof(f)) {
            status = ch_error(CH_EFORMAT, "%s: line %u: longer than %d characters",
                              path, line, LOAD_LINE_MAX - 1);
            goto fail;
        }
        int got = parse_entry(path, line, buf, &x);
        if (got < 0) {
            status = -got;
            goto fail;
        }
        if (got == 0) continue;
        if (n == CH_MODEM_MAX_ORDER) {
            status = ch_error(CH_EFORMAT, "%s: line %u: more than %d points", path,
                              line, CH_MODEM_MAX_ORDER);
            goto fail;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            load_entry *g = realloc(e, cap * sizeof *e);
            if (!g) {
                status = ch_error(CH_ENOMEM, "%s: out of memory", path);
                goto fail;
            }
            e = g;
        }
        e[n++] = x;
    }
    if (ferror(f)) {
        status = ch_error(CH_EIO, "%s: line %u: read error", path, line + 1);
        goto fail;
    }
    *out = e;
    *count = n;
    return CH_OK;
fail:
    free(e);
    return status;
}

/* Places the entries by label into m->points and scales them to unit energy; checks the labels
 * (in range and not repeated, so that all n are present) and that no two points are equal. */
static int place_entries(const char *path, const load_entry *e, unsigned n, ch_modem *m)
{
    unsigned line_of[CH_MODEM_MAX_ORDER] = {0}, entry_of[CH_MODEM_MAX_ORDER];
    /* Scaled by the largest coordinate first, so that points of any magnitude (1e-300, 1e200)
     * reach unit energy without underflow or overflow. */
    double peak = 0, energy = 0;
    for (unsigned i = 0; i < n; i++)
        peak = fmax(peak, fmax(fabs(e[i].re), fabs(e[i].im)));
    if (peak == 0)
        return ch_error(CH_EFORMAT, "%s: line %u: every point is 0: no energy",
                        path, e[0].line);
    for (unsigned i = 0; i < n; i++) {
        unsigned long label;
        if (parse_label(e[i].label, m->k, &label) != 0)
            return ch_error(CH_EFORMAT,
                            "%s: line %u: bad label '%s' (want %u binary digits or "
                            "a decimal integer)",
                            path, e[i].line, e[i].label, m->k);
        if (label >= n)
            return ch_error(CH_EFORMAT, "%s: line %u: label %lu out of range 0..%u",
                            path, e[i].line, label, n - 1);
        if (line_of[label])
            return ch_error(CH_EFORMAT,
                            "%s: line %u: label %lu already given on line %u", path,
                            e[i].line, label, line_of[label]);
        line_of[label] = e[i].line;
        entry_of[label] = i;
        energy += (e[i].re / peak) * (e[i].re / peak) + (e[i].im / peak) * (e[i].im / peak);
    }
    double unit = sqrt(n / energy); /* energy >= 1: the peak point counts fully */
    for (unsigned l = 0; l < n; l++) {
        const load_entry *p = &e[entry_of[l]];
        m->points[l] = CMPLXF((float)(p->re / peak * unit), (float)(p->im / peak * unit));
    }
    /* On the stored (float) points, at unit RMS: points apart in the file can round together,
     * and nearly equal points make hard decisions that depend on rounding. */
    for (unsigned a = 0; a < n; a++)
        for (unsigned b = a + 1; b < n; b++)
            if (cabsf(m->points[a] - m->points[b]) < CH_MODEM_MIN_DISTANCE) {
                unsigned la = line_of[a], lb = line_of[b];
                return ch_error(CH_EFORMAT,
                                "%s: line %u: point equals the one on line %u (closer than %g "
                                "of the RMS amplitude)", path, la > lb ? la : lb,
                                la < lb ? la : lb, CH_MODEM_MIN_DISTANCE);
            }
    return CH_OK;
}

ch_modem *ch_modem_from_points(unsigned order, const float complex *points, const char *name)
{
    const char *fn = "ch_modem_from_points";
    if (order < 2 || order > CH_MODEM_MAX_ORDER || (order & (order - 1)) || !points || !name)
        return ch_error(CH_EINVAL, "%s: %u points, not a power of two from 2 to %d", fn, order,
                        CH_MODEM_MAX_ORDER), NULL;
    double energy = 0;
    for (unsigned i = 0; i < order; i++) {
        double re = crealf(points[i]), im = cimagf(points[i]);
        if (!isfinite(re) || !isfinite(im))
            return ch_error(CH_EINVAL, "%s: point %u is not finite", fn, i), NULL;
        energy += re * re + im * im;
    }
    if (!(energy > 0)) return ch_error(CH_EINVAL, "%s: every point is 0", fn), NULL;
    ch_modem *m = modem_alloc(CH_MOD_CUSTOM, order);
    if (!m || !(m->name = malloc(strlen(name) + 1))) {
        ch_modem_destroy(m);
        return ch_error(CH_ENOMEM, "%s: out of memory", fn), NULL;
    }
    strcpy(m->name, name);
    float unit = (float)sqrt(order / energy);
    for (unsigned i = 0; i < order; i++) m->points[i] = points[i] * unit;
    for (unsigned a = 0; a < order; a++)
        for (unsigned b = a + 1; b < order; b++)
            if (m->points[a] == m->points[b]) {
                ch_modem_destroy(m);
                return ch_error(CH_EINVAL, "%s: points %u and %u coincide", fn, a, b), NULL;
            }
    split_points(m);
    return m;
}

ch_modem *ch_modem_load(const char *path)
{
    load_entry *e = NULL;
    unsigned n = 0;
    ch_modem *m = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        ch_error(CH_EIO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    int status = load_entries(path, f, &e, &n);
    fclose(f);
    if (status != CH_OK) return NULL;
    if (n == 0) {
        ch_error(CH_EFORMAT, "%s: line 1: no points", path);
        goto fail;
    }
    if (n < 2 || (n & (n - 1)) != 0) {
        ch_error(CH_EFORMAT,
                 "%s: line %u: %u points, not a power of two from 2 to %d", path,
                 e[n - 1].line, n, CH_MODEM_MAX_ORDER);
        goto fail;
    }
    m = modem_alloc(CH_MOD_CUSTOM, n);
    size_t name_len = strlen(path) + sizeof "custom()";
    if (!m || !(m->name = malloc(name_len))) {
        ch_error(CH_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    snprintf(m->name, name_len, "custom(%s)", path);
    if (place_entries(path, e, n, m) != CH_OK) goto fail;
    split_points(m);
    free(e);
    return m;
fail:
    free(e);
    ch_modem_destroy(m);
    return NULL;
}

/* ---- mapper ---- */

/* The label of one symbol from its k bits, most significant first. */
MODEM_INLINE unsigned label_of(const uint8_t *b, unsigned k)
{
    unsigned l = 0;
    for (unsigned j = 0; j < k; j++)
        l = l << 1 | (b[j] & 1u);
    return l;
}

/* The mapper with k a compile-time constant once inlined, so the bit loop unrolls. */
MODEM_INLINE void map_k(const float complex *pts, unsigned k, size_t nsym, const uint8_t *bits,
                        float complex *x)
{
    for (size_t i = 0; i < nsym; i++)
        x[i] = pts[label_of(bits + i * k, k)];
}

/* The level index factor (L - 1 - 2i) of the Gray label in bits b[kax], most significant first,
 * as an integer: with s_j = 1 - 2 b_j it is s_0 (2^(kax-1) + s_1 (2^(kax-2) + ... + s_(kax-1))),
 * since the sign bit leads and each further bit of a Gray PAM label folds the remaining half
 * about its middle. Arithmetic instead of a table lookup lets the mapper vectorise without
 * gathers. */
MODEM_INLINE int pam_factor(const uint8_t *b, unsigned kax)
{
    int t = 1;
    for (unsigned j = kax - 1; j >= 1; j--)
        t = (1 - 2 * (int)b[j]) * t + (1 << (kax - j));
    return (1 - 2 * (int)b[0]) * t;
}

/* The kax = 2 or 4 bytes of an axis value's label bits at b as one little-endian word (byte j
 * at bits 8 j and up), and back: contiguous word loads and stores vectorise without the byte
 * shuffles that kax bytes at a stride of kax took. */
MODEM_INLINE uint32_t label_word_load(const uint8_t *b, unsigned kax)
{
    if (kax == 2) {
        uint16_t h;
        memcpy(&h, b, sizeof h);
        return h;
    }
    uint32_t w;
    memcpy(&w, b, sizeof w);
    return w;
}

MODEM_INLINE void label_word_store(uint8_t *b, unsigned kax, uint32_t w)
{
    if (kax == 2) {
        uint16_t h = (uint16_t)w;
        memcpy(b, &h, sizeof h);
    } else {
        memcpy(b, &w, sizeof w);
    }
}

/* pam_factor of the kax = 2 or 4 label bytes at b read as one word (label_word_load). The same
 * integer for bits of 0 or 1 (the mapper's contract). */
MODEM_INLINE int pam_factor_word(const uint8_t *b, unsigned kax)
{
    uint32_t w = label_word_load(b, kax);
    /* bits are 0 or 1: (1 - 2 b) t is t or -t, a select rather than a multiply */
    int t = 1;
    for (unsigned j = kax - 1; j >= 1; j--)
        t = (w >> (8 * j) & 1u ? -t : t) + (1 << (kax - j));
    return w & 1u ? -t : t;
}

/* Square QAM mapper into the floats of x (re, im interleaved), kax and axes compile-time
 * constants once inlined: float f of the output takes the kax label bits at bits[f * kax]
 * (axes = 2); for BPSK (axes = 1) the imaginary parts are 0. */
MODEM_INLINE void map_square(float d, unsigned kax, unsigned axes, size_t nsym, const uint8_t *bits,
                             float complex *x)
{
    float *xf = (float *)x;
    if (axes == 1) {
        /* (float)(1 - 2 b) * d is d or -d exactly: a select rather than a conversion and a
         * multiply (bits are 0 or 1) */
        for (size_t i = 0; i < nsym; i++) {
            xf[2 * i] = bits[i] & 1u ? -d : d;
            xf[2 * i + 1] = 0.0f;
        }
        return;
    }
    if (kax == 2 || kax == 4) {
        for (size_t f = 0; f < 2 * nsym; f++)
            xf[f] = (float)pam_factor_word(bits + f * kax, kax) * d;
        return;
    }
    for (size_t f = 0; f < 2 * nsym; f++)
        xf[f] = (float)pam_factor(bits + f * kax, kax) * d;
}

void ch_modem_map(const ch_modem *m, size_t nsym, const uint8_t *bits, float complex *x)
{
    if (m->axes == 1) {
        map_square(m->d, 1, 1, nsym, bits, x);
        return;
    }
    if (m->axes == 2) {
        switch (m->kax) {
        case 1:
            map_square(m->d, 1, 2, nsym, bits, x);
            return;
        case 2:
            map_square(m->d, 2, 2, nsym, bits, x);
            return;
        case 3:
            map_square(m->d, 3, 2, nsym, bits, x);
            return;
        default:
            map_square(m->d, 4, 2, nsym, bits, x);
            return;
        }
    }
    if (m->k == 3)
        map_k(m->points, 3, nsym, bits, x);
    else
        map_k(m->points, m->k, nsym, bits, x);
}

/* ---- equalisation ---- */

/* z = y / h into z[2n] (re, im interleaved, as y is laid out) and, when sc is not NULL, the
 * metric scale g / n0[j] with g = |h|^2 into sc[2j] and sc[2j + 1]: one scale per float of z,
 * so that the per-axis loops read z and sc alike, without gathers. A zero gain gives z = 0 and
 * scale 0: no information. Written out: complex division in ISO C calls __divsc3. */
static void equalise(size_t n, const float complex *y, const float complex *h, const float *n0,
                     float *z, float *sc)
{
    for (size_t j = 0; j < n; j++) {
        float yr = crealf(y[j]), yi = cimagf(y[j]), hr = crealf(h[j]), hi = cimagf(h[j]);
        float g = hr * hr + hi * hi, inv = g > 0 ? 1 / g : 0;
        /* yr (-hi), not - yr hi: the same float, but a difference here is fused into a
         * multiply-add by gcc 12's vectoriser despite -ffp-contract=off (see ch_cmul_parts) */
        float minus_hi = -hi;
        z[2 * j] = (yr * hr + yi * hi) * inv;
        z[2 * j + 1] = (yi * hr + yr * minus_hi) * inv;
        if (sc) sc[2 * j] = sc[2 * j + 1] = g / n0[j];
    }
}

/* The received samples of symbols s.. s+n of a square constellation as interleaved floats z and
 * scales sc[2n] laid out as z (NULL to skip): equalised into the caller's buffers when h is
 * given, y itself and 1 / n0 otherwise. A float complex array is a float array of twice the
 * length (C11 6.2.5). */
static const float *square_block(size_t n, const float complex *y, const float complex *h,
                                 const float *n0, float *zbuf, float *sc)
{
    if (h) {
        equalise(n, y, h, n0, zbuf, sc);
        return zbuf;
    }
    if (sc)
        for (size_t j = 0; j < n; j++)
            sc[2 * j] = sc[2 * j + 1] = 1 / n0[j];
    return (const float *)y;
}

/* ---- hard decisions ---- */

/* slice_axes for kax = 2 or 4: the kax decisions of a value gathered into one word and stored
 * at once (label_word_store). The same thresholds in the same order, so the same bits. */
MODEM_INLINE void slice_axes_words(float d, unsigned kax, size_t nf, const float *z, uint8_t *bits)
{
    for (size_t f = 0; f < nf; f++) {
        float v = z[f], t = (float)(1u << (kax - 1)) * d;
        uint32_t w = v < 0;
        v = fabsf(v);
        for (unsigned j = 1; j < kax; j++) {
            w |= (uint32_t)(v < t) << (8 * j);
            v = fabsf(v - t);
            t *= 0.5f;
        }
        label_word_store(bits + f * kax, kax, w);
    }
}

/* Slices nf axis values z[f] into kax bits each at bits[f * kax]: for square QAM the
 * interleaved re, im floats of the symbols are exactly the I, Q halves of their labels in
 * order. A Gray PAM label is read off bit by bit without finding the level: the first bit is
 * the sign, and each further bit tells whether |z| (folded about the previous threshold) lies
 * inside the next threshold, T_1 = 2^(kax-1) d, T_(j+1) = T_j / 2. These thresholds are the
 * midpoints between levels, so the decision is the nearest level. kax a compile-time constant
 * once inlined, so that the loop vectorises. */
MODEM_INLINE void slice_axes(float d, unsigned kax, size_t nf, const float *z, uint8_t *bits)
{
    if (kax == 2 || kax == 4) {
        slice_axes_words(d, kax, nf, z, bits);
        return;
    }
    for (size_t f = 0; f < nf; f++) {
        float v = z[f], t = (float)(1u << (kax - 1)) * d;
        bits[f * kax] = v < 0;
        v = fabsf(v);
        for (unsigned j = 1; j < kax; j++) {
            bits[f * kax + j] = v < t;
            v = fabsf(v - t);
            t *= 0.5f;
        }
    }
}

static void hard_square(const ch_modem *m, size_t nsym, const float complex *y,
                        const float complex *h, uint8_t *bits)
{
    float zbuf[2 * MODEM_BLOCK];
    const float d = m->d;
    if (m->axes == 1 && h) {
        /* BPSK: the sign of Re(conj(h) y), which is Re(y / h) times g >= 0, without the
         * division (g = 0 gives 0 either way, decided as bit 0). */
        for (size_t j = 0; j < nsym; j++)
            bits[j] = crealf(h[j]) * crealf(y[j]) + cimagf(h[j]) * cimagf(y[j]) < 0;
        return;
    }
    for (size_t s = 0; s < nsym; s += MODEM_BLOCK) {
        size_t n = nsym - s < MODEM_BLOCK ? nsym - s : MODEM_BLOCK;
        const float *z = square_block(n, y + s, h ? h + s : NULL, NULL, zbuf, NULL);
        uint8_t *b = bits + s * m->k;
        if (m->axes == 1) {
            for (size_t j = 0; j < n; j++)
                b[j] = z[2 * j] < 0;
            continue;
        }
        switch (m->kax) {
        case 1:
            slice_axes(d, 1, 2 * n, z, b);
            break;
        case 2:
            slice_axes(d, 2, 2 * n, z, b);
            break;
        case 3:
            slice_axes(d, 3, 2 * n, z, b);
            break;
        default:
            slice_axes(d, 4, 2 * n, z, b);
            break;
        }
    }
}

/* ---- the general path: any constellation, any labelling ---- */

/* Symbols per pass of the general demappers: their per-symbol and per-bit arrays
 * (2 * 12 * 2 * GENERAL_CHUNK floats at most) stay in L1. A loop of 64 rather than one
 * vector's worth, which GCC would unroll completely and vectorise the wrong way. */
#define GENERAL_CHUNK 64

/* The per-symbol terms of the metric of symbol j against every point s_l. With t = conj(h) y
 * and g = |h|^2,
 *   |y - h s_l|^2 = |y|^2 + g |s_l|^2 - 2 (Re s_l Re t + Im s_l Im t),
 * so, scaled by 1 / n0 and without |y|^2, which every point shares and every LLR cancels,
 *   d_l = a |s_l|^2 - (b_re Re s_l + b_im Im s_l),  a = g / n0,  b = 2 t / n0:
 * five flops a point, and no division. n0 NULL: unscaled (hard decisions). A chunk of n
 * symbols is padded with zeros to GENERAL_CHUNK: the passes over points then run loops of a
 * constant GENERAL_CHUNK, which vectorise without the set-up of a loop of unknown length for
 * every point and bit (for M = 64 that set-up was most of the time). */
static void general_terms(size_t n, const float complex *y, const float complex *h,
                          const float *n0, float *a, float *b_re, float *b_im)
{
    for (size_t j = n; j < GENERAL_CHUNK; j++)
        a[j] = b_re[j] = b_im[j] = 0.0f;
    for (size_t j = 0; j < n; j++) {
        float yr = crealf(y[j]), yi = cimagf(y[j]);
        float hr = h ? crealf(h[j]) : 1.0f, hi = h ? cimagf(h[j]) : 0.0f;
        float s = n0 ? 1.0f / n0[j] : 1.0f, two_s = 2.0f * s;
        a[j] = (hr * hr + hi * hi) * s;
        b_re[j] = (hr * yr + hi * yi) * two_s;
        b_im[j] = (hr * yi - hi * yr) * two_s;
    }
}

/* The metric of general_terms, written once so that every pass computes it bit for bit alike
 * (the exact demapper recomputes it and needs mn - d <= 0 exactly). */
MODEM_INLINE float general_metric(float a, float b_re, float b_im, float e, float re, float im)
{
    return a * e - (b_re * re + b_im * im);
}

/* Nearest point of n symbols: the first label of least |y - h s_l|^2, computed as that
 * distance (not general_terms' expanded form, whose rounding can tie points closer than about
 * 1e-3 of the RMS): a received point that is a constellation point with h = 1 then decides its
 * own label exactly, whatever the constellation (its points are at least
 * CH_MODEM_MIN_DISTANCE apart). The symbols run innermost, point after point, so that the loop
 * over them vectorises. */
static void hard_general(const ch_modem *m, size_t nsym, const float complex *y,
                         const float complex *h, uint8_t *bits)
{
    float yr[GENERAL_CHUNK], yi[GENERAL_CHUNK], hr[GENERAL_CHUNK], hi[GENERAL_CHUNK];
    float best[GENERAL_CHUNK];
    int32_t label[GENERAL_CHUNK];
    const unsigned k = m->k;
    for (size_t s = 0; s < nsym; s += GENERAL_CHUNK) {
        size_t n = nsym - s < GENERAL_CHUNK ? nsym - s : GENERAL_CHUNK;
        for (size_t i = 0; i < GENERAL_CHUNK; i++) {
            int in = i < n;
            yr[i] = in ? crealf(y[s + i]) : 0.0f, yi[i] = in ? cimagf(y[s + i]) : 0.0f;
            hr[i] = in && h ? crealf(h[s + i]) : 1.0f, hi[i] = in && h ? cimagf(h[s + i]) : 0.0f;
            best[i] = INFINITY, label[i] = 0;
        }
        for (unsigned l = 0; l < m->order; l++) {
            const float re = m->pt_re[l], im = m->pt_im[l];
            for (size_t i = 0; i < GENERAL_CHUNK; i++) {
                float dr = yr[i] - (hr[i] * re - hi[i] * im);
                float di = yi[i] - (hr[i] * im + hi[i] * re);
                float d = dr * dr + di * di;
                label[i] = d < best[i] ? (int32_t)l : label[i];
                best[i] = d < best[i] ? d : best[i];
            }
        }
        for (unsigned b = 0; b < k; b++)
            for (size_t i = 0; i < n; i++)
                bits[(s + i) * k + b] = (uint8_t)(label[i] >> (k - 1 - b) & 1);
    }
}

void ch_modem_demap_hard(const ch_modem *m, size_t nsym, const float complex *y,
                         const float complex *h, uint8_t *bits)
{
    if (m->axes)
        hard_square(m, nsym, y, h, bits);
    else
        hard_general(m, nsym, y, h, bits);
}

/* Whether n0[0 .. n-1] (n >= 1) hold one value, bit for bit (compared as integers, so that -0
 * and +0 differ): unfaded symbols then have one metric scale, 1 / n0[0], the same float as each
 * symbol's own, which the square-QAM demappers take once and hold in a register (soft_square),
 * and the general max-log demapper scales its points' terms by once (small_maxlog). */
static int n0_uniform(size_t n, const float *n0)
{
    uint32_t first, differ = 0;
    memcpy(&first, n0, sizeof first);
    size_t j = 1;
#if defined(__AVX512F__)
    /* Two vectors a step into two partial results from n0[0] itself: GCC's own loop is one
     * chain of dependent ORs from n0[1] with a scalar tail, 0.07 TSC ticks a value (2-core AMD
     * EPYC, Zen 5). */
    const __m512i f = _mm512_set1_epi32((int)first);
    __m512i d0 = _mm512_setzero_si512(), d1 = d0;
    for (j = 0; j + 32 <= n; j += 32) {
        d0 = _mm512_or_si512(d0, _mm512_xor_si512(_mm512_loadu_si512(n0 + j), f));
        d1 = _mm512_or_si512(d1, _mm512_xor_si512(_mm512_loadu_si512(n0 + j + 16), f));
    }
    differ = _mm512_test_epi32_mask(_mm512_or_si512(d0, d1), _mm512_or_si512(d0, d1)) != 0;
#endif
    for (; j < n; j++) {
        uint32_t v;
        memcpy(&v, n0 + j, sizeof v);
        differ |= v ^ first;
    }
    return differ == 0;
}

/* ---- soft decisions ---- */

/* Class minima of a chunk for M >= 32: mn[b][c][i] = min of d_l over the labels l whose bit b
 * (most significant first) is c, d_l the metric of general_terms. By groups of 16 consecutive
 * labels: within a group the last four bits take all 16 values and the leading k - 4 bits are
 * fixed, so the group's 16 metrics update the last four bits' minima in registers (unrolled, as
 * in small_llr, the symbols innermost) and only the group's own minimum goes to the leading
 * bits' minima, once a group instead of once a point and bit. */
static void group_minima(const ch_modem *m, const float *a, const float *br, const float *bi,
                         float mn[][2][GENERAL_CHUNK])
{
    const unsigned k = m->k, lead = k - 4;
    float (*last)[2][GENERAL_CHUNK] = mn + lead, group_min[GENERAL_CHUNK];
    for (unsigned b = 0; b < k; b++)
        for (size_t i = 0; i < GENERAL_CHUNK; i++)
            mn[b][0][i] = mn[b][1][i] = INFINITY;
    for (unsigned g = 0; g < m->order >> 4; g++) {
        float pe[16], pr[16], pi[16];
        for (unsigned j = 0; j < 16; j++)
            pe[j] = m->pt_energy[16 * g + j], pr[j] = m->pt_re[16 * g + j],
            pi[j] = m->pt_im[16 * g + j];
        for (size_t i = 0; i < GENERAL_CHUNK; i++) {
            float lm[4][2] = {{INFINITY, INFINITY}, {INFINITY, INFINITY},
                              {INFINITY, INFINITY}, {INFINITY, INFINITY}};
            CH_UNROLL(16)
            for (unsigned j = 0; j < 16; j++) {
                float d = general_metric(a[i], br[i], bi[i], pe[j], pr[j], pi[j]);
                CH_UNROLL(4)
                for (unsigned b = 0; b < 4; b++) {
                    unsigned c = j >> (3 - b) & 1u;
                    lm[b][c] = d < lm[b][c] ? d : lm[b][c];
                }
            }
            CH_UNROLL(4)
            for (unsigned b = 0; b < 4; b++) {
                last[b][0][i] = lm[b][0] < last[b][0][i] ? lm[b][0] : last[b][0][i];
                last[b][1][i] = lm[b][1] < last[b][1][i] ? lm[b][1] : last[b][1][i];
            }
            group_min[i] = lm[0][0] < lm[0][1] ? lm[0][0] : lm[0][1];
        }
        for (unsigned b = 0; b < lead; b++) {
            float *mc = mn[b][g >> (lead - 1 - b) & 1u];
            for (size_t i = 0; i < GENERAL_CHUNK; i++)
                mc[i] = group_min[i] < mc[i] ? group_min[i] : mc[i];
        }
    }
}

/* Class sums about the class minima: sum[b][c][i] = sum over labels l of class c of bit b of
 * e^(mn[b][c][i] - d_l), each at least 1 (the minimum's own term), so no sum underflows
 * however far apart the classes are. The metric is recomputed rather than stored: five flops
 * against M * GENERAL_CHUNK floats of scratch. */
static void general_sums(const ch_modem *m, const float *a, const float *br,
                         const float *bi, float mn[][2][GENERAL_CHUNK],
                         float sum[][2][GENERAL_CHUNK])
{
    const unsigned k = m->k;
    for (unsigned b = 0; b < k; b++)
        for (size_t i = 0; i < GENERAL_CHUNK; i++)
            sum[b][0][i] = sum[b][1][i] = 0.0f;
    for (unsigned l = 0; l < m->order; l++) {
        const float e = m->pt_energy[l], re = m->pt_re[l], im = m->pt_im[l];
        float d[GENERAL_CHUNK];
        for (size_t i = 0; i < GENERAL_CHUNK; i++)
            d[i] = general_metric(a[i], br[i], bi[i], e, re, im);
        for (unsigned b = 0; b < k; b++) {
            unsigned c = l >> (k - 1 - b) & 1u;
            const float *mc = mn[b][c];
            float *sc = sum[b][c];
            for (size_t i = 0; i < GENERAL_CHUNK; i++)
                sc[i] += ch_expf_nonpositive(mc[i] - d[i]);
        }
    }
}

/* Ways of small_llr (max-log LLRs of small constellations are small_maxlog's). */
enum { SMALL_EXACT_BY_CLASS, SMALL_EXACT_SHARED };

/* Largest gap between the class minima of a bit for which SMALL_EXACT_SHARED is used: its terms
 * e^(mn - d) of the class away from the overall minimum mn are then at least e^-64, normal
 * floats with full precision, and the terms ch_expf_nonpositive clamps (below e^-87) weigh
 * less than 1e-9 of them. */
#define SHARED_MAX_GAP 64.0f

/* The smaller of x and y (y when either is NaN): one vector minimum. */
MODEM_INLINE float min2(float x, float y)
{
    return x < y ? x : y;
}

/* mn[0], mn[1]: the minima of the 2^w entries t[j] (w = 1 or 2) whose bit p (of w, most
 * significant first) is 0 and 1. */
MODEM_INLINE void table_classes(const float *t, unsigned w, unsigned p, float mn[2])
{
    if (w == 1)
        mn[0] = t[0], mn[1] = t[1];
    else if (p == 0)
        mn[0] = min2(t[1], t[0]), mn[1] = min2(t[3], t[2]);
    else
        mn[0] = min2(t[2], t[0]), mn[1] = min2(t[3], t[1]);
}

/* Symbols per call of the max-log pass of small constellations: its set-up (the points as
 * vectors) is paid once for many symbols, and a block's LLRs (16 KiB at most) are still in L1
 * when ch_llr_decide reads them. */
#define SMALL_BLOCK 1024

/* The terms of small_maxlog's metric of faded symbol j: with g = |h|^2 and t = conj(h) y,
 *   |y - h s_l|^2 / n0 = (|y|^2 + g (|s_l|^2 - 2 (Re s_l Re u' + Im s_l Im u'))) / n0,  u' = t / g,
 * so, without |y|^2 / n0, which every point shares and every LLR cancels, the metric is
 * scale * d_l with scale = g / n0 and d_l = |s_l|^2 - (u Re s_l + w Im s_l), u + iw = 2 t / g:
 * the LLRs are scale times differences of minima of d_l, whose two multiply-adds a point are
 * the whole per-point cost. A gain below the normal floats (or 0) gives u = w = 0 and
 * scale ~ 0: LLRs of 0, as the metric's own limit.
 * Unfaded, the metric is scaled before the minima instead: u + iw = y and the points' terms
 * scaled, |s_l|^2 (1 / n0) and -s_l (2 (1 / n0)), so that the LLRs are the differences of
 * minima themselves. With one noise level for many symbols those terms are constants and a
 * metric is two multiply-adds and nothing more (small_maxlog16_avx512); a symbol's own n0
 * gives the same floats (small_llrs). */
MODEM_INLINE void small_terms(const float complex *y, const float complex *h, float n0, size_t j,
                              float *scale, float *u, float *w)
{
    float yr = crealf(y[j]), yi = cimagf(y[j]);
    float hr = crealf(h[j]), hi = cimagf(h[j]), g = hr * hr + hi * hi;
    float two_inv = g >= FLT_MIN ? 2.0f / g : 0.0f;
    *scale = g / n0;
    *u = (hr * yr + hi * yi) * two_inv;
    *w = (hr * yi - hi * yr) * two_inv;
}

/* d_l of small_terms, as two fused multiply-adds of the negated point (nr, ni) = -s_l: fmaf is
 * correctly rounded, so every build computes the same float, whether it has the instruction
 * or calls libm. */
MODEM_INLINE float small_metric(float u, float w, float e, float nr, float ni)
{
    return fmaf(w, ni, fmaf(u, nr, e));
}

/* Class minima mn[b][c] of the metrics small_metric of the 2^k labels (k <= 4, a compile-time
 * constant once inlined), the labels taken as groups g of the first lead = k / 2 bits, each of
 * the 2^tail labels j of the other bits: within a group, the minimum t[g] over its labels (the
 * minima over the tail bits); across groups, the running minimum c[j] of each j (the minima
 * over the lead bits); the classes of a lead bit then from t, those of a tail bit from c. For
 * 16 points 32 minima instead of the 64 of a minimum a point and bit, for 8 points 14 instead
 * of 24, and only a group's metrics alive at once: the loop over symbols around it keeps its
 * partial minima and the points' constants in registers (about 1.1x faster for 16 points than
 * the same minima taken after all 16 metrics, on a 2-core AMD EPYC, Zen 5). A minimum is the
 * same float whatever the order it is taken in (no metric is -0: its last addend, |s_l|^2, is
 * +0 or more, and a sum is -0 only of two -0), so the LLRs are those of running minima bit for
 * bit, NaN metrics aside (a NaN or infinite y or h): a running minimum from infinity skips them,
 * these may pass one on, and such a symbol's LLRs, NaN or infinite either way, can differ. */
MODEM_INLINE void small_minima(unsigned k, float u, float w, const float *pe, const float *nr,
                               const float *ni, float mn[][2])
{
    const unsigned lead = k / 2, tail = k - lead, groups = 1u << lead, width = 1u << tail;
    float t[4], c[4];
    CH_UNROLL(4)
    for (unsigned g = 0; g < groups; g++) {
        float d[4];
        CH_UNROLL(4)
        for (unsigned j = 0; j < width; j++) {
            unsigned l = g << tail | j;
            d[j] = small_metric(u, w, pe[l], nr[l], ni[l]);
            c[j] = g ? min2(d[j], c[j]) : d[j];
        }
        t[g] = width == 2 ? min2(d[1], d[0]) : min2(min2(d[1], d[0]), min2(d[3], d[2]));
    }
    CH_UNROLL(4)
    for (unsigned b = 0; b < k; b++) {
        if (b < lead)
            table_classes(t, lead, b, mn[b]);
        else
            table_classes(c, tail, b - lead, mn[b]);
    }
}

/* The LLRs of small_maxlog from its terms ts, tu, tw and the points' terms: energies pe and
 * negated coordinates nr, ni, unscaled (faded), scaled for symbol i by ts[i] and 2 ts[i] here
 * (unfaded), or scaled already where one n0 serves the whole block (`one`). faded and one are
 * compile-time constants once inlined. */
MODEM_INLINE void small_llrs(unsigned k, int faded, int one, size_t n, const float *pe,
                             const float *nr, const float *ni, const float *ts, const float *tu,
                             const float *tw, float *llr)
{
    const unsigned order = 1u << k;
    for (size_t i = 0; i < n; i++) {
        float mn[4][2];
        if (faded || one) {
            small_minima(k, tu[i], tw[i], pe, nr, ni, mn);
        } else {
            float es[16], cr[16], ci[16], two = 2.0f * ts[i];
            CH_UNROLL(16)
            for (unsigned l = 0; l < order; l++)
                es[l] = pe[l] * ts[i], cr[l] = nr[l] * two, ci[l] = ni[l] * two;
            small_minima(k, tu[i], tw[i], es, cr, ci, mn);
        }
        CH_UNROLL(4)
        for (unsigned b = 0; b < k; b++)
            llr[i * k + b] = faded ? (mn[b][1] - mn[b][0]) * ts[i] : mn[b][1] - mn[b][0];
    }
}

/* Max-log LLRs of n <= SMALL_BLOCK symbols of a small constellation (k <= 4, `faded` whether h
 * is given: both compile-time constants once inlined), the symbols innermost: the terms of
 * every symbol first (into L1), then each symbol's 2^k metrics and the class minima of
 * small_minima in registers. The terms in a pass of their own: its divisions then do not
 * compete with the metrics, and the long loop carries no division's latency. Unfaded, where
 * the block's n0 are one value (n0_uniform), as the engine's unfaded frames are, the points'
 * terms are scaled once for the block (the same floats as a symbol's own), and no symbol needs
 * a division. */
MODEM_INLINE void small_maxlog(const ch_modem *m, unsigned k, int faded, size_t n,
                               const float complex *y, const float complex *h, const float *n0,
                               float *llr)
{
    const unsigned order = 1u << k;
    float pe[16], nr[16], ni[16]; /* copies: stores into llr cannot alias them */
    float ts[SMALL_BLOCK], tu[SMALL_BLOCK], tw[SMALL_BLOCK];
    for (unsigned l = 0; l < order; l++)
        pe[l] = m->pt_energy[l], nr[l] = -m->pt_re[l], ni[l] = -m->pt_im[l];
    if (faded) {
        for (size_t i = 0; i < n; i++)
            small_terms(y, h, n0[i], i, ts + i, tu + i, tw + i);
        small_llrs(k, 1, 0, n, pe, nr, ni, ts, tu, tw, llr);
        return;
    }
    for (size_t i = 0; i < n; i++)
        tu[i] = crealf(y[i]), tw[i] = cimagf(y[i]);
    if (!n0_uniform(n, n0)) {
        for (size_t i = 0; i < n; i++)
            ts[i] = 1.0f / n0[i];
        small_llrs(k, 0, 0, n, pe, nr, ni, ts, tu, tw, llr);
        return;
    }
    const float inv = 1.0f / n0[0], two = 2.0f * inv;
    for (unsigned l = 0; l < order; l++)
        pe[l] *= inv, nr[l] *= two, ni[l] *= two;
    small_llrs(k, 0, 1, n, pe, nr, ni, ts, tu, tw, llr);
}

/* A build for x86-64 processors without fused multiply-adds (the portable build) calls libm's
 * fmaf for small_metric: the same floats, but a call a point, 12x slower than the native
 * build's instruction. There small_maxlog_chunk is compiled twice, for processors with FMA (and
 * so AVX) and without, the first chosen at load time where the processor has it. A clone per
 * feature, not per architecture level: clang 14's resolver never chose "arch=x86-64-v3". */
#if defined(__x86_64__) && !defined(__FMA__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define SMALL_MAXLOG_CLONES __attribute__((target_clones("fma", "default")))
#endif
#endif
#ifndef SMALL_MAXLOG_CLONES
#define SMALL_MAXLOG_CLONES
#endif

#if defined(__AVX512F__)
/* small_maxlog of 16-point constellations, unfaded, while n0 holds one value (k = 4, h NULL),
 * written with AVX-512 intrinsics: the commonest case of a custom constellation, which GCC 12
 * compiles poorly from small_maxlog. It holds the 48 points' constants in 3 KiB of stack and
 * reloads them as whole vectors every step, loads that stall behind the LLRs' stores whenever
 * the two lie a multiple of 4 KiB apart (1.6-1.8 TSC ticks a symbol on a 2-core AMD EPYC, Zen 5,
 * against about 1.1 here). The same floats as small_maxlog,
 * bit for bit: the same points' terms |s_l|^2 (1 / n0) and -s_l (2 (1 / n0)) and u + iw = y, the
 * same fused metrics, the minima of small_minima in the same order.
 *
 * The scaled energies stay in 16 registers; each coordinate is broadcast from a table every
 * step, one load folded into its multiply-add, the other into a register of its own that the
 * first multiply-add overwrites, so nothing is copied. The next 16 symbols are loaded a step
 * ahead. Lane 4c + p of a vector holds symbol 4p + c, so that the LLRs of bit b in vector b
 * become each symbol's 4 LLRs in order by an in-lane 4 x 4 transpose of eight unpacks (a 128-bit
 * lane a symbol) rather than eight lane-crossing permutations. The metrics scaled before the
 * minima leave no multiply to the LLRs and none to y. A step of 16 symbols is 79 vector
 * operations (32 multiply-adds, 32 minima, 4 subtractions, 10 shuffles, a comparison of n0),
 * about 20 cycles on the four FP pipes; it takes about 28 in the benchmark (the core clock read
 * from fma_peak). The comparisons check n0 as the kernel goes, 32 symbols at a time, instead of
 * a pass over n0 before it (that pass had taken about 6% of the kernel's time): the kernel stops
 * at the first 16 symbols of another n0 and returns how many it took. */

/* The tables of the kernels, read through a pointer the compiler cannot follow (no hoisting, no
 * spills): -Re s_l, -Im s_l of label l at 2l, 2l + 1, scaled by 2 / n0 for one noise level; then
 * n0 (one noise level) or the energies |s_l|^2 (a noise level each). */
enum { TABLE_N0 = 32, TABLE_ENERGY = 32, TABLE_SIZE = 48 };

/* u + iw = y of symbols 0 .. 15 of y, in small_maxlog16_avx512's lane order. */
static inline __attribute__((always_inline)) void lanes_of_y(const float complex *y, __m512 *u,
                                                             __m512 *w)
{
    const __m512i lane_re =
        _mm512_setr_epi32(0, 8, 16, 24, 2, 10, 18, 26, 4, 12, 20, 28, 6, 14, 22, 30);
    const __m512i lane_im = _mm512_add_epi32(lane_re, _mm512_set1_epi32(1));
    const float *yf = (const float *)y;
    __m512 y0 = _mm512_loadu_ps(yf), y1 = _mm512_loadu_ps(yf + 16);
    *u = _mm512_permutex2var_ps(y0, lane_re, y1);
    *w = _mm512_permutex2var_ps(y0, lane_im, y1);
}

/* The LLR vectors l0 .. l3 (bit b in l_b) in-lane transposed into symbol order, stored at llr. */
static inline __attribute__((always_inline)) void store_by_symbol(float *llr, __m512 l0, __m512 l1,
                                                                  __m512 l2, __m512 l3)
{
    __m512d a = _mm512_castps_pd(_mm512_unpacklo_ps(l0, l1));
    __m512d b = _mm512_castps_pd(_mm512_unpackhi_ps(l0, l1));
    __m512d e = _mm512_castps_pd(_mm512_unpacklo_ps(l2, l3));
    __m512d f = _mm512_castps_pd(_mm512_unpackhi_ps(l2, l3));
    _mm512_storeu_ps(llr, _mm512_castpd_ps(_mm512_unpacklo_pd(a, e)));
    _mm512_storeu_ps(llr + 16, _mm512_castpd_ps(_mm512_unpackhi_pd(a, e)));
    _mm512_storeu_ps(llr + 32, _mm512_castpd_ps(_mm512_unpacklo_pd(b, f)));
    _mm512_storeu_ps(llr + 48, _mm512_castpd_ps(_mm512_unpackhi_pd(b, f)));
}

/* The metric vectors of label l of 16 symbols whose u, w are given. One noise level: c holds the
 * points' coordinates scaled (table of small_maxlog16_avx512), pe their scaled energies. A noise
 * level each (`each`, a compile-time constant once inlined): c holds them unscaled, the energies
 * at TABLE_ENERGY, and each symbol's 1 / n0 and 2 / n0 in inv and two scale them here, as
 * small_llrs does. */
static inline __attribute__((always_inline)) __m512 metric16(const float *c, const __m512 *pe,
                                                             int each, __m512 inv, __m512 two,
                                                             unsigned l, __m512 u, __m512 w)
{
    if (each) {
        __m512 e = _mm512_mul_ps(_mm512_set1_ps(c[TABLE_ENERGY + l]), inv);
        __m512 nr = _mm512_mul_ps(_mm512_set1_ps(c[2 * l]), two);
        __m512 ni = _mm512_mul_ps(_mm512_set1_ps(c[2 * l + 1]), two);
        return _mm512_fmadd_ps(w, ni, _mm512_fmadd_ps(u, nr, e));
    }
    /* nr loaded into a register of its own, which the first multiply-add then overwrites: no
     * copy of u or pe */
    __m512 nr = _mm512_set1_ps(c[2 * l]);
    __asm__("" : "+v"(nr));
    return _mm512_fmadd_ps(w, _mm512_set1_ps(c[2 * l + 1]), _mm512_fmadd_ps(u, nr, pe[l]));
}

/* The LLRs of the 16 symbols whose u, w are given, stored at llr; the metrics of metric16. */
static inline __attribute__((always_inline)) void maxlog16_step(const float *c, const __m512 *pe,
                                                                int each, __m512 inv, __m512 two,
                                                                __m512 u, __m512 w, float *llr)
{
    __m512 t[4], cm[4];
    for (unsigned g = 0; g < 4; g++) {
        __m512 d[4];
        for (unsigned j = 0; j < 4; j++) {
            d[j] = metric16(c, pe, each, inv, two, 4 * g + j, u, w);
            cm[j] = g ? _mm512_min_ps(d[j], cm[j]) : d[j];
        }
        t[g] = _mm512_min_ps(_mm512_min_ps(d[1], d[0]), _mm512_min_ps(d[3], d[2]));
    }
    store_by_symbol(llr, _mm512_sub_ps(_mm512_min_ps(t[3], t[2]), _mm512_min_ps(t[1], t[0])),
                    _mm512_sub_ps(_mm512_min_ps(t[3], t[1]), _mm512_min_ps(t[2], t[0])),
                    _mm512_sub_ps(_mm512_min_ps(cm[3], cm[2]), _mm512_min_ps(cm[1], cm[0])),
                    _mm512_sub_ps(_mm512_min_ps(cm[3], cm[1]), _mm512_min_ps(cm[2], cm[0])));
}

/* Whether any of the 16 n0 at n0 differs from *one, bit for bit (so -0 from +0). */
static inline __attribute__((always_inline)) __mmask16 n0_differ(const float *n0, const float *one)
{
    int32_t bits;
    memcpy(&bits, one, sizeof bits);
    return _mm512_cmpneq_epi32_mask(_mm512_loadu_si512(n0), _mm512_set1_epi32(bits));
}

/* The LLRs of the first symbols of y (n of them at most, a multiple of 16) while their n0 are
 * bit for bit n0[0], 16 at a time; returns how many it took. noinline: inlined into its
 * caller, GCC allocates its registers worse (about 5% slower). */
__attribute__((noinline)) static size_t small_maxlog16_avx512(const ch_modem *m, size_t n,
                                                              const float complex *y,
                                                              const float *n0, float *llr)
{
    if (n0_differ(n0, n0)) return 0; /* before the set-up: n0 of a symbol each costs no more */
    const float inv = 1.0f / n0[0], two = 2.0f * inv;
    float table[TABLE_SIZE];
    __m512 pe[16];
    for (unsigned l = 0; l < 16; l++) {
        table[2 * l] = -m->pt_re[l] * two, table[2 * l + 1] = -m->pt_im[l] * two;
        pe[l] = _mm512_set1_ps(m->pt_energy[l] * inv);
    }
    table[TABLE_N0] = n0[0];
    const __m512 unused = _mm512_setzero_ps(); /* the scales of a noise level each */
    __m512 ua, wa, ub, wb;
    lanes_of_y(y, &ua, &wa);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const float *c = table;
        __asm__("" : "+r"(c));
        if (n0_differ(n0 + i, c + TABLE_N0) | n0_differ(n0 + i + 16, c + TABLE_N0)) break;
        lanes_of_y(y + i + 16, &ub, &wb); /* a step ahead */
        maxlog16_step(c, pe, 0, unused, unused, ua, wa, llr + 4 * i);
        if (i + 32 < n) lanes_of_y(y + i + 32, &ua, &wa);
        maxlog16_step(c, pe, 0, unused, unused, ub, wb, llr + 4 * i + 64);
    }
    const float *c = table;
    __asm__("" : "+r"(c));
    if (i + 16 <= n && !n0_differ(n0 + i, c + TABLE_N0)) {
        maxlog16_step(c, pe, 0, unused, unused, ua, wa, llr + 4 * i);
        i += 16;
    }
    return i;
}

/* 1 / n0 of symbols 0 .. 15 in small_maxlog16_avx512's lane order (a division: the same float
 * as 1.0f / n0). */
static inline __attribute__((always_inline)) __m512 inverse_lanes(const float *n0)
{
    const __m512i lane = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_permutexvar_ps(lane, _mm512_loadu_ps(n0)));
}

/* The LLRs of n symbols (a multiple of 16) of a noise level each: the same floats as
 * small_maxlog16_avx512 of each symbol's n0, its scales taken 16 at a time (a division: the
 * same float as 1.0f / n0) and the points' terms scaled for each symbol, three products a point
 * more than one noise level needs. */
__attribute__((noinline)) static void small_maxlog16_each_avx512(const ch_modem *m, size_t n,
                                                                 const float complex *y,
                                                                 const float *n0, float *llr)
{
    float table[TABLE_SIZE];
    for (unsigned l = 0; l < 16; l++) {
        table[2 * l] = -m->pt_re[l], table[2 * l + 1] = -m->pt_im[l];
        table[TABLE_ENERGY + l] = m->pt_energy[l];
    }
    __m512 u, w, inv = inverse_lanes(n0);
    lanes_of_y(y, &u, &w);
    for (size_t i = 0; i < n; i += 16) {
        const float *c = table;
        __asm__("" : "+r"(c));
        __m512 now_u = u, now_w = w, now_inv = inv;
        if (i + 16 < n) { /* a step ahead: the division's latency off the step's path */
            lanes_of_y(y + i + 16, &u, &w);
            inv = inverse_lanes(n0 + i + 16);
        }
        maxlog16_step(c, NULL, 1, now_inv, _mm512_add_ps(now_inv, now_inv), now_u, now_w,
                      llr + 4 * i);
    }
}

/* Symbols small_maxlog16_block gives small_maxlog16_each_avx512 at a time before it tries one
 * noise level again: its set-up paid for many steps, yet a lone symbol of another n0 costs
 * little. */
#define EACH_RUN 256

/* Max-log LLRs of n unfaded symbols of a 16-point constellation, any n0: small_maxlog16_avx512
 * while n0 holds one value, small_maxlog16_each_avx512 where it varies, small_maxlog for the
 * last few symbols, all the same floats. */
static void small_maxlog16_block(const ch_modem *m, size_t n, const float complex *y,
                                 const float *n0, float *llr)
{
    for (size_t i = 0; i < n;) {
        size_t left = n - i, took = 0;
        if (left >= 16)
            took = small_maxlog16_avx512(m, left & ~(size_t)15, y + i, n0 + i, llr + 4 * i);
        if (took == 0 && left >= 16) {
            took = (left < EACH_RUN ? left : EACH_RUN) & ~(size_t)15;
            small_maxlog16_each_avx512(m, took, y + i, n0 + i, llr + 4 * i);
        } else if (took == 0) {
            small_maxlog(m, 4, 0, left, y + i, NULL, n0 + i, llr + 4 * i);
            took = left;
        }
        i += took;
    }
}
#endif

/* small_maxlog of m, k = 1 .. 4, n <= SMALL_BLOCK symbols. */
SMALL_MAXLOG_CLONES static void small_maxlog_chunk(const ch_modem *m, size_t n,
                                                   const float complex *y, const float complex *h,
                                                   const float *n0, float *llr)
{
    switch (m->k * 2 + (h != NULL)) {
#define SMALL_MAXLOG_CASE(K)                                                                       \
    case 2 * K:                                                                                    \
        small_maxlog(m, K, 0, n, y, h, n0, llr);                                                   \
        return;                                                                                    \
    case 2 * K + 1:                                                                                \
        small_maxlog(m, K, 1, n, y, h, n0, llr);                                                   \
        return;
        SMALL_MAXLOG_CASE(1)
        SMALL_MAXLOG_CASE(2)
        SMALL_MAXLOG_CASE(3)
        SMALL_MAXLOG_CASE(4)
#undef SMALL_MAXLOG_CASE
    }
}

/* small_maxlog of m, k = 1 .. 4, any n: unfaded 16-point constellations through the AVX-512
 * kernel where the build has it, in one call (its set-up is then paid once), the rest by
 * blocks of SMALL_BLOCK. */
static void small_maxlog_block(const ch_modem *m, size_t n, const float complex *y,
                               const float complex *h, const float *n0, float *llr)
{
#if defined(__AVX512F__)
    if (m->k == 4 && !h) {
        small_maxlog16_block(m, n, y, n0, llr);
        return;
    }
#endif
    for (size_t s = 0; s < n; s += SMALL_BLOCK)
        small_maxlog_chunk(m, n - s < SMALL_BLOCK ? n - s : SMALL_BLOCK, y + s, h ? h + s : NULL,
                           n0 + s, llr + s * m->k);
}

/* Exact LLRs of a chunk of a small constellation, k a compile-time constant once inlined: with
 * M <= 16 the loops over points and bits unroll, the metrics, class minima and sums live in
 * registers, and the loop over symbols vectorises, as in axis_maxlog. The
 * arithmetic of group_minima and general_sums. Two ways:
 *   SMALL_EXACT_BY_CLASS: each class's sum about its own minimum, k M exponentials a symbol,
 *     valid for any gap between the classes (general_sums);
 *   SMALL_EXACT_SHARED: one exponential a point, e^(mn - d_l) about the overall minimum mn,
 *     summed into the class of every bit: llr_b = log S_0 - log S_1 (mn cancels), valid while
 *     no bit's classes are more than SHARED_MAX_GAP apart.
 * Returns how many of the chunk's gaps |mn_1 - mn_0| (over symbols and bits) exceed
 * SHARED_MAX_GAP: a count, not the largest gap, since an integer sum vectorises where a float
 * maximum (NaN rules) does not. */
MODEM_INLINE int small_llr(const ch_modem *m, unsigned k, int way, size_t n, const float *a,
                           const float *br, const float *bi, float *llr)
{
    const unsigned order = 1u << k;
    float pe[16], pr[16], pi[16]; /* copies: stores into llr cannot alias them */
    for (unsigned l = 0; l < order; l++)
        pe[l] = m->pt_energy[l], pr[l] = m->pt_re[l], pi[l] = m->pt_im[l];
    int wide = 0;
    for (size_t i = 0; i < n; i++) {
        float mn[4][2], sum[4][2], d[16];
        CH_UNROLL(4)
        for (unsigned b = 0; b < k; b++)
            mn[b][0] = mn[b][1] = INFINITY, sum[b][0] = sum[b][1] = 0.0f;
        CH_UNROLL(16)
        for (unsigned l = 0; l < order; l++) {
            d[l] = general_metric(a[i], br[i], bi[i], pe[l], pr[l], pi[l]);
            CH_UNROLL(4)
            for (unsigned b = 0; b < k; b++) {
                unsigned c = l >> (k - 1 - b) & 1u;
                mn[b][c] = d[l] < mn[b][c] ? d[l] : mn[b][c];
            }
        }
        const float mn_all = mn[0][0] < mn[0][1] ? mn[0][0] : mn[0][1];
        CH_UNROLL(16)
        for (unsigned l = 0; l < order; l++) {
            float shared = ch_expf_nonpositive(mn_all - d[l]);
            CH_UNROLL(4)
            for (unsigned b = 0; b < k; b++) {
                unsigned c = l >> (k - 1 - b) & 1u;
                sum[b][c] += way == SMALL_EXACT_SHARED ? shared
                                                       : ch_expf_nonpositive(mn[b][c] - d[l]);
            }
        }
        CH_UNROLL(4)
        for (unsigned b = 0; b < k; b++) {
            float gap = mn[b][1] - mn[b][0];
            wide += (gap > SHARED_MAX_GAP) | (gap < -SHARED_MAX_GAP);
            if (way == SMALL_EXACT_SHARED)
                llr[i * k + b] = ch_logf(sum[b][0]) - ch_logf(sum[b][1]);
            else
                llr[i * k + b] = gap + ch_logf(sum[b][0]) - ch_logf(sum[b][1]);
        }
    }
    return wide;
}

/* small_llr of way `way` for k = 1 .. 4 (returns its count of wide gaps), or -1 for larger
 * constellations. */
static int small_way(const ch_modem *m, int way, size_t n, const float *a, const float *br,
                       const float *bi, float *llr)
{
    switch (m->k * 2 + (unsigned)way) {
#define SMALL_CASE(K)                                                                              \
    case 2 * K + SMALL_EXACT_BY_CLASS:                                                             \
        return small_llr(m, K, SMALL_EXACT_BY_CLASS, n, a, br, bi, llr);                           \
    case 2 * K + SMALL_EXACT_SHARED:                                                               \
        return small_llr(m, K, SMALL_EXACT_SHARED, n, a, br, bi, llr);
        SMALL_CASE(1)
        SMALL_CASE(2)
        SMALL_CASE(3)
        SMALL_CASE(4)
#undef SMALL_CASE
    default:
        return -1;
    }
}

/* Exact LLRs of a chunk of a small constellation (returns 1), or 0 for larger ones. They try
 * the shared exponentials first and redo the chunk by class when its gaps are too wide for
 * them; *by_class remembers that, so that a run of wide chunks (high SNR) goes by class at once
 * and returns to the shared way when the gaps allow it. */
static int small_exact_chunk(const ch_modem *m, int *by_class, size_t n, const float *a,
                             const float *br, const float *bi, float *llr)
{
    int way = *by_class ? SMALL_EXACT_BY_CLASS : SMALL_EXACT_SHARED;
    int wide = small_way(m, way, n, a, br, bi, llr);
    if (wide < 0) return 0;
    *by_class = wide > 0;
    if (way == SMALL_EXACT_SHARED && *by_class)
        small_way(m, SMALL_EXACT_BY_CLASS, n, a, br, bi, llr);
    return 1;
}

/* General path, any constellation and labelling: over all M points, chunk by chunk (max-log
 * LLRs of up to 16 points by blocks of small_maxlog),
 *   max-log: llr_b = min_{b=1} d - min_{b=0} d
 *   exact:   llr_b = log sum_{b=0} e^(-d) - log sum_{b=1} e^(-d)
 *          = max-log + log sum_{b=0} e^(mn_0 - d) - log sum_{b=1} e^(mn_1 - d),
 * the log-sum-exp taken about each class's own minimum. */
static void soft_general(const ch_modem *m, size_t nsym, const float complex *y,
                         const float complex *h, const float *n0, int exact, float *llr,
                         uint8_t *bits)
{
    float a[GENERAL_CHUNK], br[GENERAL_CHUNK], bi[GENERAL_CHUNK];
    float mn[CH_MODEM_MAX_BITS][2][GENERAL_CHUNK], sum[CH_MODEM_MAX_BITS][2][GENERAL_CHUNK];
    float spare[GENERAL_CHUNK * CH_MODEM_MAX_BITS]; /* a chunk's LLRs when llr is NULL */
    const unsigned k = m->k;
    int by_class = 0;
    if (!exact && k <= 4) {
        /* by blocks whose LLRs are still in L1 when decided; LLRs alone in one call */
        float block[SMALL_BLOCK * 4]; /* a block's LLRs when llr is NULL */
        const size_t most = llr && !bits ? nsym : SMALL_BLOCK;
        for (size_t s = 0; s < nsym; s += most) {
            size_t n = nsym - s < most ? nsym - s : most;
            float *out = llr ? llr + s * k : block;
            small_maxlog_block(m, n, y + s, h ? h + s : NULL, n0 + s, out);
            if (bits) ch_llr_decide(n * k, out, bits + s * k);
        }
        return;
    }
    for (size_t s = 0; s < nsym; s += GENERAL_CHUNK) {
        size_t n = nsym - s < GENERAL_CHUNK ? nsym - s : GENERAL_CHUNK;
        general_terms(n, y + s, h ? h + s : NULL, n0 + s, a, br, bi);
        float *out = llr ? llr + s * k : spare;
        if (!exact || !small_exact_chunk(m, &by_class, n, a, br, bi, out)) {
            group_minima(m, a, br, bi, mn);
            if (exact) general_sums(m, a, br, bi, mn, sum);
            for (unsigned b = 0; exact && b < k; b++)
                for (size_t i = 0; i < n; i++)
                    out[i * k + b] = mn[b][1][i] - mn[b][0][i] + ch_logf(sum[b][0][i]) -
                                     ch_logf(sum[b][1][i]);
            for (unsigned b = 0; !exact && b < k; b++)
                for (size_t i = 0; i < n; i++)
                    out[i * k + b] = mn[b][1][i] - mn[b][0][i];
        }
        if (bits) ch_llr_decide(n * k, out, bits + s * k);
    }
}

/* The class minima mn[b][c] = min_{g: bit b of g is c} (v - a_g)^2 of one axis value v, kax a
 * compile-time constant once inlined. Each minimum starts from its class's first level (level
 * 0 for bit value 0, the level with only bit b set for 1) rather than from infinity, which
 * would cost a compare and a blend a level (the minimum is the same: the distances are never
 * NaN unless v is, and then every LLR is NaN either way). */
MODEM_INLINE void axis_minima(const float *level_of, unsigned kax, float v, float mn[][2])
{
    const unsigned levels = 1u << kax;
    float dist[MODEM_MAX_LEVELS];
    for (unsigned g = 0; g < levels; g++) {
        float e = v - level_of[g];
        dist[g] = e * e;
    }
    for (unsigned b = 0; b < kax; b++) {
        mn[b][0] = dist[0];
        mn[b][1] = dist[1u << (kax - 1 - b)];
    }
    for (unsigned g = 1; g < levels; g++)
        for (unsigned b = 0; b < kax; b++) {
            unsigned c = g >> (kax - 1 - b) & 1u;
            mn[b][c] = dist[g] < mn[b][c] ? dist[g] : mn[b][c];
        }
}

/* Max-log LLRs of nf axis values z[f] (interleaved re, im when axes = 2, re only when axes =
 * 1), kax bits each, scale sc laid out as z (scs = 1) or one scale sc[0] for all (scs = 0):
 *   llr[f*kax + b] = (min_{g: bit b of g is 1} (z - a_g)^2 - min_{bit 0} (z - a_g)^2) sc.
 * kax, axes and scs compile-time constants once inlined, so that the loops over levels and
 * bits unroll and the loop over values vectorises. */
MODEM_INLINE void axis_maxlog(const float *level_of, unsigned kax, unsigned axes, size_t nf,
                              const float *z, const float *sc, unsigned scs, float *llr)
{
    for (size_t f = 0; f < nf; f++) {
        float mn[4][2];
        axis_minima(level_of, kax, z[f * (3 - axes)], mn);
        for (unsigned b = 0; b < kax; b++)
            llr[f * kax + b] = (mn[b][1] - mn[b][0]) * sc[f * (3 - axes) * scs];
    }
}

/* The decisions llr < 0 of axis_maxlog's LLRs alone, for square QAM (axes = 2) with kax = 2 or
 * 4: the kax decisions of a value gathered into one little-endian word (bit b in byte b) and
 * stored at once, as slice_axes_words does; the LLR of each is computed as axis_maxlog computes
 * it, so the decisions are the same. */
MODEM_INLINE void axis_maxlog_words(const float *level_of, unsigned kax, size_t nf, const float *z,
                                    const float *sc, unsigned scs, uint8_t *bits)
{
    for (size_t f = 0; f < nf; f++) {
        float mn[4][2];
        axis_minima(level_of, kax, z[f], mn);
        uint32_t w = 0;
        for (unsigned b = 0; b < kax; b++)
            w |= (uint32_t)((mn[b][1] - mn[b][0]) * sc[f * scs] < 0) << (8 * b);
        label_word_store(bits + f * kax, kax, w);
    }
}

/* Axis values per pass of axis_exact: its per-level and per-bit arrays stay in L1. */
#define EXACT_CHUNK 64

/* Exact (log-MAP) LLRs of nf axis values, arguments as axis_maxlog:
 *   llr = log sum_{bit 0} e^(-d_g) - log sum_{bit 1} e^(-d_g),  d_g = (z - a_g)^2 sc,
 * each sum taken about its own class minimum mn_c as in llr_from_metrics:
 *   llr = mn_1 - mn_0 + log sum_{bit 0} e^(mn_0 - d_g) - log sum_{bit 1} e^(mn_1 - d_g).
 * The values run innermost, level by level and bit by bit, so that every loop is a plain loop
 * over values that vectorises. */
MODEM_INLINE void axis_exact(const float *level_of, unsigned kax, unsigned axes, size_t nf,
                             const float *z, const float *sc, unsigned scs, float *llr)
{
    const unsigned levels = 1u << kax;
    for (size_t f0 = 0; f0 < nf; f0 += EXACT_CHUNK) {
        size_t m = nf - f0 < EXACT_CHUNK ? nf - f0 : EXACT_CHUNK;
        float d[MODEM_MAX_LEVELS][EXACT_CHUNK], mn[2][EXACT_CHUNK], sum[2][EXACT_CHUNK];
        for (unsigned g = 0; g < levels; g++)
            for (size_t i = 0; i < m; i++) {
                float e = z[(f0 + i) * (3 - axes)] - level_of[g];
                d[g][i] = e * e * sc[(f0 + i) * (3 - axes) * scs];
            }
        for (unsigned b = 0; b < kax; b++) {
            for (size_t i = 0; i < m; i++)
                mn[0][i] = mn[1][i] = INFINITY, sum[0][i] = sum[1][i] = 0;
            for (unsigned g = 0; g < levels; g++) {
                float *mc = mn[g >> (kax - 1 - b) & 1u];
                const float *dg = d[g];
                for (size_t i = 0; i < m; i++) mc[i] = dg[i] < mc[i] ? dg[i] : mc[i];
            }
            for (unsigned g = 0; g < levels; g++) {
                unsigned c = g >> (kax - 1 - b) & 1u;
                float *sc_ = sum[c];
                const float *mc = mn[c], *dg = d[g];
                for (size_t i = 0; i < m; i++) sc_[i] += ch_expf_nonpositive(mc[i] - dg[i]);
            }
            for (size_t i = 0; i < m; i++)
                llr[(f0 + i) * kax + b] = mn[1][i] - mn[0][i] + ch_logf(sum[0][i]) -
                                          ch_logf(sum[1][i]);
        }
    }
}

/* axis_exact or axis_maxlog; kax, axes and scs stay compile-time constants through the
 * inlining. */
MODEM_INLINE void axis_soft(int exact, const float *level_of, unsigned kax, unsigned axes,
                            size_t nf, const float *z, const float *sc, unsigned scs, float *llr)
{
    if (exact)
        axis_exact(level_of, kax, axes, nf, z, sc, scs, llr);
    else
        axis_maxlog(level_of, kax, axes, nf, z, sc, scs, llr);
}

/* The per-axis loops, one function a case: exact or max-log, kax bits an axis value on
 * axes = 1 or 2, scales by value (scs = 1) or one scale (scs = 0), and the decisions alone of
 * max-log (words) for kax = 2 and 4. Small functions, so that the loop's pointers stay in
 * registers: inlined into soft_square, among the registers of every case, GCC had kept them
 * on the stack and reloaded them in every step, loads that stall whenever the LLRs' stores run
 * 4 KiB apart from them. */
typedef void axis_soft_fn(const float *level_of, size_t nf, const float *z, const float *sc,
                          float *llr);
typedef void axis_words_fn(const float *level_of, size_t nf, const float *z, const float *sc,
                           uint8_t *bits);
#define AXIS_SOFT_FN(EXACT, KAX, AXES, SCS)                                                        \
    __attribute__((noinline)) static void axis_soft_##EXACT##KAX##AXES##SCS(                       \
        const float *level_of, size_t nf, const float *z, const float *sc, float *llr)             \
    {                                                                                              \
        axis_soft(EXACT, level_of, KAX, AXES, nf, z, sc, SCS, llr);                                \
    }
#define AXIS_SOFT_FNS(EXACT, SCS)                                                                  \
    AXIS_SOFT_FN(EXACT, 1, 1, SCS)                                                                 \
    AXIS_SOFT_FN(EXACT, 1, 2, SCS)                                                                 \
    AXIS_SOFT_FN(EXACT, 2, 2, SCS)                                                                 \
    AXIS_SOFT_FN(EXACT, 3, 2, SCS)                                                                 \
    AXIS_SOFT_FN(EXACT, 4, 2, SCS)
AXIS_SOFT_FNS(0, 0)
AXIS_SOFT_FNS(0, 1)
AXIS_SOFT_FNS(1, 0)
AXIS_SOFT_FNS(1, 1)
#define AXIS_WORDS_FN(KAX, SCS)                                                                    \
    __attribute__((noinline)) static void axis_words_##KAX##SCS(                                   \
        const float *level_of, size_t nf, const float *z, const float *sc, uint8_t *bits)          \
    {                                                                                              \
        axis_maxlog_words(level_of, KAX, nf, z, sc, SCS, bits);                                    \
    }
AXIS_WORDS_FN(2, 0)
AXIS_WORDS_FN(2, 1)
AXIS_WORDS_FN(4, 0)
AXIS_WORDS_FN(4, 1)
#undef AXIS_SOFT_FNS
#undef AXIS_SOFT_FN
#undef AXIS_WORDS_FN

/* axis_soft_fns[exact][scs][c]: c = 0 for BPSK-like (kax 1, axes 1), kax otherwise. */
static axis_soft_fn *const axis_soft_fns[2][2][5] = {
    {{axis_soft_0110, axis_soft_0120, axis_soft_0220, axis_soft_0320, axis_soft_0420},
     {axis_soft_0111, axis_soft_0121, axis_soft_0221, axis_soft_0321, axis_soft_0421}},
    {{axis_soft_1110, axis_soft_1120, axis_soft_1220, axis_soft_1320, axis_soft_1420},
     {axis_soft_1111, axis_soft_1121, axis_soft_1221, axis_soft_1321, axis_soft_1421}}};

/* The LLRs (out) and/or decisions (bits, NULL to skip) of n symbols of a square constellation
 * from their axis values z and scales sc (scs as axis_maxlog); out is the caller's llr or
 * scratch, keep_llr whether it is the caller's. */
static void square_soft_block(const ch_modem *m, int exact, size_t n, const float *z,
                              const float *sc, unsigned scs, int keep_llr, float *out,
                              uint8_t *bits)
{
    const unsigned k = m->k, kax = m->kax, axes = m->axes;
    if (!keep_llr && bits && !exact && axes == 2 && (kax == 2 || kax == 4)) {
        axis_words_fn *words = kax == 2 ? (scs ? axis_words_21 : axis_words_20)
                                        : (scs ? axis_words_41 : axis_words_40);
        words(m->level_of, 2 * n, z, sc, bits);
        return;
    }
    axis_soft_fns[exact != 0][scs][axes == 1 ? 0 : kax](m->level_of, axes * n, z, sc, out);
    if (bits) ch_llr_decide(n * k, out, bits);
}

/* Square QAM: per-axis LLRs on z = y / h with scale g / n0, exact or max-log, and/or their
 * decisions (llr, bits as ch_modem_demap_soft). The decisions are taken a block at a time from
 * the block's LLRs while they are in L1 (in a scratch block when llr is NULL): a separate
 * contiguous pass vectorises better than deciding inside the demapper's loop, whose interleaved
 * byte stores took more shuffles than the pass costs. Unfaded symbols of one noise level
 * (n0_uniform) are read from y itself with their one scale, without the pass that wrote a scale
 * a symbol to the stack, and in one call when no decisions are wanted. Both spare loads from
 * the stack just after the LLRs' stores (the scales' stream; the registers a return between
 * blocks reloads), which stall whenever they run 4 KiB apart: that had made 16-QAM max-log
 * 1.3x slower in most processes, depending on where the stack lay (a 2-core AMD EPYC, Zen 5). */
static void soft_square(const ch_modem *m, size_t nsym, const float complex *y,
                        const float complex *h, const float *n0, int exact, float *llr,
                        uint8_t *bits)
{
    float zbuf[2 * MODEM_BLOCK], sc[2 * MODEM_BLOCK], spare[MODEM_BLOCK * 2 * MODEM_MAX_KAX];
    const unsigned k = m->k;
    const int one_scale = !h && nsym > 0 && n0_uniform(nsym, n0);
    const float one = one_scale ? 1 / n0[0] : 0.0f;
    if (one_scale && !bits) { /* llr NULL too: nothing wanted */
        if (llr) square_soft_block(m, exact, nsym, (const float *)y, &one, 0, 1, llr, NULL);
        return;
    }
    for (size_t s = 0; s < nsym; s += MODEM_BLOCK) {
        size_t n = nsym - s < MODEM_BLOCK ? nsym - s : MODEM_BLOCK;
        float *out = llr ? llr + s * k : spare;
        uint8_t *b = bits ? bits + s * k : NULL;
        if (one_scale) {
            square_soft_block(m, exact, n, (const float *)(y + s), &one, 0, llr != NULL, out, b);
        } else {
            const float *z = square_block(n, y + s, h ? h + s : NULL, n0 + s, zbuf, sc);
            square_soft_block(m, exact, n, z, sc, 1, llr != NULL, out, b);
        }
    }
}

void ch_modem_demap_soft(const ch_modem *m, int exact, size_t nsym, const float complex *y,
                         const float complex *h, const float *n0, float *llr, uint8_t *bits)
{
    if (m->axes)
        soft_square(m, nsym, y, h, n0, exact, llr, bits);
    else
        soft_general(m, nsym, y, h, n0, exact, llr, bits);
}

void ch_modem_demap_maxlog(const ch_modem *m, size_t nsym, const float complex *y,
                           const float complex *h, const float *n0, float *llr)
{
    ch_modem_demap_soft(m, 0, nsym, y, h, n0, llr, NULL);
}

void ch_modem_demap_exact(const ch_modem *m, size_t nsym, const float complex *y,
                          const float complex *h, const float *n0, float *llr)
{
    ch_modem_demap_soft(m, 1, nsym, y, h, n0, llr, NULL);
}

void ch_llr_decide(size_t n, const float *llr, uint8_t *bits)
{
    for (size_t i = 0; i < n; i++)
        bits[i] = llr[i] < 0;
}
