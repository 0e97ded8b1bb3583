/* Channel codes: construction, encoding, weight distribution, syndrome tables. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_error.h"
#include "code_internal.h"

/* ---- construction ------------------------------------------------------------------------ */

/* Parity parts P of the systematic Hamming generators [I_k | P]: row i of P as n - k bits, the
 * first parity bit most significant; each information bit's column of H is a distinct vector
 * of weight 2 or more. */
static const uint32_t hamming74_p[4] = {06, 05, 03, 07};
static const uint32_t hamming1511_p[11] = {0x3, 0x5, 0x6, 0x7, 0x9, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf};

/* The Golay (23,12) code's generator polynomial g(x) = 1 + x^2 + x^4 + x^5 + x^6 + x^10 + x^11,
 * bit i the coefficient of x^i. */
#define GOLAY_G 0xC75u

static ch_code *code_new(const char *name, unsigned n, unsigned k)
{
    ch_code *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    snprintf(c->name, sizeof c->name, "%s", name);
    c->n = n, c->k = k, c->t = -1;
    if (n <= CODE_MASK_MAX_N && !(c->gen = calloc(k ? k : 1, sizeof *c->gen))) {
        free(c);
        return NULL;
    }
    return c;
}

/* G = [I_k | P]: the information bits first. */
static void systematic_rows(ch_code *c, const uint32_t *p)
{
    unsigned r = c->n - c->k;
    for (unsigned i = 0; i < c->k; i++) {
        uint64_t row = 1ull << i;
        for (unsigned j = 0; j < r; j++)
            if (p[i] >> (r - 1 - j) & 1) row |= 1ull << (c->k + j);
        c->gen[i] = row;
    }
}

/* The extended Golay code in systematic form: the rows x^i g(x), i < 12, of the cyclic (23,12)
 * code, each extended by its overall parity to 24 bits, then reduced to [I_12 | P] by Gaussian
 * elimination (row i has its lowest term at position i: the first 12 columns are triangular). */
static void golay_rows(ch_code *c)
{
    for (unsigned i = 0; i < 12; i++) {
        uint64_t row = (uint64_t)GOLAY_G << i;
        c->gen[i] = row | (uint64_t)(__builtin_popcountll(row) & 1) << 23;
    }
    for (unsigned col = 0; col < 12; col++)
        for (unsigned i = 0; i < 12; i++)
            if (i != col && (c->gen[i] >> col & 1)) c->gen[i] ^= c->gen[col];
}

/* lo[i] ^= hi[i], i < s: the two halves of a butterfly stage's block, which do not overlap. As
 * x[i] ^= x[i + s] over an unsigned i from b to b + s, gcc 12 left the loop scalar, a byte at a
 * time (most of the encoder's time at n = 1024). */
static inline void xor_halves(size_t s, uint8_t *restrict lo, const uint8_t *restrict hi)
{
    for (size_t i = 0; i < s; i++) lo[i] ^= hi[i];
}

/* The same for s a multiple of 8, 8 bytes at a time: clang 14 vectorised xor_halves 256 bytes a
 * step and left the spans 8 to 128 to its scalar remainder, a byte at a time. */
static inline void xor_halves_words(size_t s, uint8_t *restrict lo, const uint8_t *restrict hi)
{
    for (size_t i = 0; i < s; i += 8) {
        uint64_t a, b;
        memcpy(&a, lo + i, 8);
        memcpy(&b, hi + i, 8);
        a ^= b;
        memcpy(lo + i, &a, 8);
    }
}

/* The butterflies of spans 1, 2 and 4 within each 8 bytes, as one 64-bit word: byte i of a
 * little-endian word is bits 8i..8i+7, so x[i] ^= x[i + s] for the first half of each 2s block is
 * w ^= (w >> 8s) & mask. The spans from 8 on are whole words apart (xor_halves_words). */
static void polar_transform_words(unsigned n, uint8_t *x)
{
    static const uint64_t mask[3] = {0x00FF00FF00FF00FFull, 0x0000FFFF0000FFFFull,
                                     0x00000000FFFFFFFFull};
    for (unsigned i = 0; i < n; i += 8) {
        uint64_t w;
        memcpy(&w, x + i, 8);
        for (unsigned l = 0; l < 3; l++) w ^= (w >> (8u << l)) & mask[l];
        memcpy(x + i, &w, 8);
    }
    for (unsigned s = 8; s < n; s *= 2)
        for (unsigned b = 0; b < n; b += 2 * s) xor_halves_words(s, x + b, x + b + s);
}

/* 64 bytes as 8 little-endian words: one vector register of AVX-512 (4 of SSE2). */
typedef uint64_t polar_v8 __attribute__((vector_size(64)));

/* The butterflies of spans 1 to 32 within each 64-byte block as whole vectors: spans 1, 2 and 4
 * within each word as in polar_transform_words, spans 8, 16 and 32 as the word 1, 2 or 4 places
 * up xored into the first half of each pair. gcc 12 ran the spans 1 to 4 a word at a time and
 * those of 8 to 32 as words (code_polar_transform 11% of coded_polar_sc_bare, against clang 14's
 * 7%, AMD EPYC Zen 5). */
static void polar_transform_blocks(unsigned n, uint8_t *x)
{
    const polar_v8 first8 = {~0ull, 0, ~0ull, 0, ~0ull, 0, ~0ull, 0};
    const polar_v8 first16 = {~0ull, ~0ull, 0, 0, ~0ull, ~0ull, 0, 0};
    const polar_v8 first32 = {~0ull, ~0ull, ~0ull, ~0ull, 0, 0, 0, 0};
    for (unsigned i = 0; i < n; i += 64) {
        polar_v8 w;
        memcpy(&w, x + i, 64);
        w ^= (w >> 8) & 0x00FF00FF00FF00FFull;
        w ^= (w >> 16) & 0x0000FFFF0000FFFFull;
        w ^= (w >> 32) & 0x00000000FFFFFFFFull;
        w ^= __builtin_shufflevector(w, w, 1, 0, 3, 2, 5, 4, 7, 6) & first8;
        w ^= __builtin_shufflevector(w, w, 2, 3, 0, 1, 6, 7, 4, 5) & first16;
        w ^= __builtin_shufflevector(w, w, 4, 5, 6, 7, 0, 1, 2, 3) & first32;
        memcpy(x + i, &w, 64);
    }
    for (unsigned s = 64; s < n; s *= 2)
        for (unsigned b = 0; b < n; b += 2 * s) xor_halves_words(s, x + b, x + b + s);
}

void code_polar_transform(unsigned n, uint8_t *x)
{
    uint16_t probe = 1;
    uint8_t little;
    memcpy(&little, &probe, 1);
    if (n >= 64 && little) {
        polar_transform_blocks(n, x);
        return;
    }
    if (n >= 8 && little) {
        polar_transform_words(n, x);
        return;
    }
    for (unsigned s = 1; s < n; s *= 2)
        for (unsigned b = 0; b < n; b += 2 * s) xor_halves(s, x + b, x + b + s);
}

/* Logarithms of the Bhattacharyya parameters of the n bit channels from ln z0, by Arikan's
 * recursion: the minus channel 2z - z^2 = 1 - (1 - z)^2 for a 0, the plus channel z^2 for a 1.
 * Each level appends its bit at the least significant end, so the first split ends up as the
 * most significant bit. In the log domain with expm1/log1p, because z itself underflows to 0 at
 * a high design SNR and rounds to 1 at a low one, and the ties then chose the frozen set. */
/* ln(2z - z^2) from v = ln z, accurate at both ends: ln z + ln(2 - z) for small z, and
 * ln(1 - (1 - z)^2) with 1 - z = -expm1(v) for z near 1. */
static double log_minus(double v)
{
    if (v < -1) return v + log(2 - exp(v));
    double u = -expm1(v);
    return log1p(-u * u);
}

static void bhattacharyya(unsigned n, double log_z0, double *z)
{
    z[0] = log_z0;
    for (unsigned len = 1; len < n; len *= 2) {
        /* z[0..len) are the channels after the first bits; channel i splits into its minus
         * (2i) and plus (2i + 1) channels, backwards so that nothing is read after it is
         * overwritten. */
        for (unsigned i = len; i-- > 0;) {
            double v = z[i];
            z[2 * i] = log_minus(v);
            z[2 * i + 1] = 2 * v;
        }
    }
}

/* The k most reliable positions (smallest ln z, ties to the higher index), ascending. */
static void choose_info(ch_code *c, const double *z)
{
    for (unsigned chosen = 0; chosen < c->k; chosen++) {
        unsigned best = UINT32_MAX;
        for (unsigned i = c->n; i-- > 0;)
            if (c->frozen[i] && (best == UINT32_MAX || z[i] < z[best])) best = i;
        c->frozen[best] = 0;
    }
    for (unsigned i = 0, a = 0; i < c->n; i++)
        if (!c->frozen[i]) c->info[a++] = i;
}

static int polar_rows(ch_code *c)
{
    if (!c->gen) return CH_OK;
    uint8_t row[CODE_MASK_MAX_N];
    for (unsigned a = 0; a < c->k; a++) {
        memset(row, 0, sizeof row);
        row[c->info[a]] = 1;
        code_polar_transform(c->n, row);
        c->gen[a] = 0;
        for (unsigned i = 0; i < c->n; i++) c->gen[a] |= (uint64_t)row[i] << i;
    }
    return CH_OK;
}

static ch_code *polar_new(const char *name, unsigned n, unsigned k, const uint32_t *info,
                          double design_ebn0_db)
{
    ch_code *c = code_new(name, n, k);
    if (!c) return NULL;
    c->polar = true;
    while ((1u << c->m) < n) c->m++;
    c->info = malloc((k ? k : 1) * sizeof *c->info);
    c->frozen = malloc(n);
    double *z = malloc(n * sizeof *z);
    if (!c->info || !c->frozen || !z) {
        free(z);
        ch_code_destroy(c);
        return NULL;
    }
    memset(c->frozen, 1, n);
    if (info) {
        for (unsigned a = 0; a < k; a++) c->frozen[info[a]] = 0, c->info[a] = info[a];
    } else {
        bhattacharyya(n, -(double)k / n * pow(10.0, design_ebn0_db / 10), z);
        choose_info(c, z);
    }
    free(z);
    polar_rows(c);
    return c;
}

/* "polar:N,K": digits only (sscanf's %u would take spaces, signs and wrap-around values) */
static ch_code *parse_polar(const char *name, double design_ebn0_db)
{
    unsigned n = 0, k = 0;
    const char *p = name + 6;
    bool ok = strncmp(name, "polar:", 6) == 0 && ch_parse_uint(&p, 1u << 30, &n) && *p++ == ',' &&
              ch_parse_uint(&p, 1u << 30, &k) && *p == '\0';
    if (!ok)
        return ch_error(CH_EINVAL, "code: '%s' is not polar:N,K", name), NULL;
    if (n < 2 || n > CH_CODE_MAX_N || (n & (n - 1)) || k < 1 || k > n)
        return ch_error(CH_EINVAL, "code: %s: N must be a power of two from 2 to %d "
                        "and 1 <= K <= N", name, CH_CODE_MAX_N), NULL;
    if (!isfinite(design_ebn0_db))
        return ch_error(CH_EINVAL, "code: design SNR %g is not finite",
                        design_ebn0_db), NULL;
    char canonical[32];
    snprintf(canonical, sizeof canonical, "polar:%u,%u", n, k);
    return polar_new(canonical, n, k, NULL, design_ebn0_db);
}

static ch_code *create_named(const char *name, double design_ebn0_db)
{
    static const uint32_t gruber_a[8] = {7, 9, 10, 11, 12, 13, 14, 15};
    ch_code *c = NULL;
    if (strcmp(name, "hamming74") == 0) {
        if ((c = code_new(name, 7, 4))) systematic_rows(c, hamming74_p);
    } else if (strcmp(name, "hamming1511") == 0) {
        if ((c = code_new(name, 15, 11))) systematic_rows(c, hamming1511_p);
    } else if (strcmp(name, "golay24") == 0) {
        if ((c = code_new(name, 24, 12))) golay_rows(c);
    } else if (strcmp(name, "polar16_8") == 0) {
        c = polar_new(name, 16, 8, gruber_a, 0);
    } else if (strncmp(name, "polar:", 6) == 0) {
        return parse_polar(name, design_ebn0_db);
    } else {
        return ch_error(CH_EINVAL, "code: unknown code '%s' (hamming74, hamming1511, "
                        "golay24, polar16_8, polar:N,K)", name), NULL;
    }
    if (!c) ch_error(CH_ENOMEM, "out of memory");
    return c;
}

/* ---- masks: codewords, parity checks, syndromes ------------------------------------------ */

uint64_t code_word_of(const ch_code *c, uint32_t msg)
{
    uint64_t x = 0;
    for (unsigned j = 0; j < c->k; j++)
        if (msg >> (c->k - 1 - j) & 1) x ^= c->gen[j];
    return x;
}

/* Column i of H, the checks position i takes part in: systematic codes H = [P^T | I]; polar
 * codes the frozen columns of F^{⊗m} (x F^{⊗m} = v, whose frozen bits are 0). */
static void parity_columns(ch_code *c)
{
    unsigned r = c->n - c->k;
    if (!c->polar) {
        for (unsigned i = 0; i < c->n; i++) {
            if (i >= c->k) {
                c->hcol[i] = 1u << (i - c->k);
                continue;
            }
            c->hcol[i] = 0;
            for (unsigned j = 0; j < r; j++)
                c->hcol[i] |= (uint32_t)(c->gen[i] >> (c->k + j) & 1) << j;
        }
        return;
    }
    for (unsigned i = 0; i < c->n; i++) {
        uint8_t row[CODE_MASK_MAX_N] = {0};
        row[i] = 1;
        code_polar_transform(c->n, row); /* row i of F^{⊗m} */
        uint32_t col = 0;
        for (unsigned j = 0, q = 0; j < c->n; j++)
            if (c->frozen[j]) col |= (uint32_t)row[j] << q++;
        c->hcol[i] = col;
    }
}

static uint32_t syndrome_of(const ch_code *c, uint64_t x)
{
    uint32_t s = 0;
    for (unsigned i = 0; i < c->n; i++)
        if (x >> i & 1) s ^= c->hcol[i];
    return s;
}

/* Every error pattern of weight w or less, by recursion over the positions. */
static void add_leaders(ch_code *c, uint64_t e, unsigned from, unsigned w)
{
    uint32_t s = syndrome_of(c, e);
    if (c->table[s] == CODE_NO_LEADER) c->table[s] = e;
    if (w == 0) return;
    for (unsigned i = from; i < c->n; i++) add_leaders(c, e | 1ull << i, i + 1, w - 1);
}

/* The hard decoder: coset leaders of weight t = (d - 1) / 2 or less, whose syndromes are all
 * different (two of them would differ by a codeword lighter than d). */
static int build_table(ch_code *c)
{
    unsigned r = c->n - c->k;
    if (c->n > CODE_MASK_MAX_N || r > CODE_TABLE_MAX_R || c->k > 24 || c->dmin == 0)
        return CH_OK;
    c->hcol = malloc(c->n * sizeof *c->hcol);
    c->table = malloc(((size_t)1 << r) * sizeof *c->table);
    if (!c->hcol || !c->table) return CH_ENOMEM;
    parity_columns(c);
    for (size_t s = 0; s < (size_t)1 << r; s++) c->table[s] = CODE_NO_LEADER;
    c->t = (int)(c->dmin - 1) / 2;
    add_leaders(c, 0, 0, (unsigned)c->t);
    return CH_OK;
}

/* ---- public ------------------------------------------------------------------------------- */

/* The codebook as bytes, for encoding by one look-up. */
static int build_words(ch_code *c)
{
    if (!c->gen || c->k > CH_CODE_CODEBOOK_MAX_K) return CH_OK;
    c->words = malloc(((size_t)1 << c->k) * c->n);
    if (!c->words) return CH_ENOMEM;
    for (uint32_t msg = 0; msg < 1u << c->k; msg++) {
        uint64_t x = code_word_of(c, msg);
        for (unsigned i = 0; i < c->n; i++) c->words[(size_t)msg * c->n + i] = x >> i & 1;
    }
    return CH_OK;
}

ch_code *ch_code_create(const char *name, double design_snr_db)
{
    if (!name) return ch_error(CH_EINVAL, "no code name"), NULL;
    ch_code *c = create_named(name, design_snr_db);
    if (!c) return NULL;
    c->dmin = ch_code_min_distance(c);
    if (build_table(c) != CH_OK || build_words(c) != CH_OK) {
        ch_code_destroy(c);
        return ch_error(CH_ENOMEM, "out of memory"), NULL;
    }
    return c;
}

void ch_code_destroy(ch_code *c)
{
    if (!c) return;
    free(c->info);
    free(c->frozen);
    free(c->gen);
    free(c->hcol);
    free(c->table);
    free(c->words);
    free(c);
}

const char *ch_code_name(const ch_code *c) { return c->name; }
unsigned ch_code_n(const ch_code *c) { return c->n; }
unsigned ch_code_k(const ch_code *c) { return c->k; }
double ch_code_rate(const ch_code *c) { return (double)c->k / c->n; }
bool ch_code_is_polar(const ch_code *c) { return c->polar; }
const uint32_t *ch_code_info_positions(const ch_code *c) { return c->polar ? c->info : NULL; }
int ch_code_hard_radius(const ch_code *c) { return c->t; }

/* Codewords by table look-up: each message's bits as its index. Hamming (7, 4) has its own
 * loop, where the index and the copy have constant lengths (moves, not calls). */
static void encode_by_table(const ch_code *c, size_t nwords, const uint8_t *u, uint8_t *x)
{
    unsigned n = c->n, k = c->k;
    if (n == 7 && k == 4) {
        for (size_t w = 0; w < nwords; w++) {
            const uint8_t *uw = u + w * 4;
            uint32_t msg = (uint32_t)uw[0] << 3 | uw[1] << 2 | uw[2] << 1 | uw[3];
            memcpy(x + w * 7, c->words + (size_t)msg * 7, 7);
        }
        return;
    }
    for (size_t w = 0; w < nwords; w++) {
        const uint8_t *uw = u + w * k;
        uint32_t msg = 0;
        for (unsigned j = 0; j < k; j++) msg = msg << 1 | uw[j];
        memcpy(x + w * n, c->words + (size_t)msg * n, n);
    }
}

static void encode_polar(const ch_code *c, size_t nwords, const uint8_t *u, uint8_t *x)
{
    unsigned n = c->n, k = c->k;
    for (size_t w = 0; w < nwords; w++) {
        uint8_t *xw = x + w * n;
        memset(xw, 0, n);
        for (unsigned a = 0; a < k; a++) xw[c->info[a]] = u[w * k + a];
        code_polar_transform(n, xw);
    }
}

static void encode_by_generator(const ch_code *c, size_t nwords, const uint8_t *u, uint8_t *x)
{
    unsigned n = c->n, k = c->k;
    for (size_t w = 0; w < nwords; w++) {
        uint64_t word = 0;
        for (unsigned j = 0; j < k; j++)
            if (u[w * k + j]) word ^= c->gen[j];
        for (unsigned i = 0; i < n; i++) x[w * n + i] = word >> i & 1;
    }
}

/* One loop per kind of code: with the three in one loop, clang 14 spilled the table look-up's
 * registers around the polar transform's vector code and cleared the upper vector halves
 * before every copy. */
void ch_code_encode(const ch_code *c, size_t nwords, const uint8_t *u, uint8_t *x)
{
    if (c->words)
        encode_by_table(c, nwords, u, x);
    else if (c->polar)
        encode_polar(c, nwords, u, x);
    else
        encode_by_generator(c, nwords, u, x);
}

unsigned ch_code_n_checks(const ch_code *c)
{
    return c->hcol ? c->n - c->k : 0;
}

void ch_code_syndrome(const ch_code *c, const uint8_t *x, uint8_t *s)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < c->n; i++)
        if (x[i]) v ^= c->hcol[i];
    for (unsigned j = 0; j < c->n - c->k; j++) s[j] = v >> j & 1;
}

void ch_code_info(const ch_code *c, const uint8_t *x, uint8_t *u)
{
    if (!c->polar) {
        memcpy(u, x, c->k);
        return;
    }
    uint8_t v[CH_CODE_MAX_N];
    memcpy(v, x, c->n);
    code_polar_transform(c->n, v);
    for (unsigned a = 0; a < c->k; a++) u[a] = v[c->info[a]];
}

int ch_code_weights(const ch_code *c, uint64_t *A)
{
    if (c->k > 24 || !c->gen)
        return ch_error(CH_EINVAL, "ch_code_weights: %s: 2^%u codewords of length %u are too "
                        "many to enumerate", c->name, c->k, c->n);
    memset(A, 0, (c->n + 1) * sizeof *A);
    /* Gray order: each codeword differs from the one before by one generator row. */
    uint64_t x = 0;
    A[0]++;
    for (uint32_t i = 1; i < 1u << c->k; i++) {
        x ^= c->gen[c->k - 1 - (unsigned)__builtin_ctz(i)];
        A[__builtin_popcountll(x)]++;
    }
    return CH_OK;
}

unsigned ch_code_min_distance(const ch_code *c)
{
    if (c->dmin) return c->dmin;
    if (c->gen && c->k <= 24) {
        uint64_t A[CODE_MASK_MAX_N + 1];
        ch_code_weights(c, A);
        for (unsigned w = 1; w <= c->n; w++)
            if (A[w]) return w;
        return 0;
    }
    if (!c->polar) return 0;
    /* Row i of F^{⊗m} has weight 2^popcount(i); a polar code's least weight is its lightest
     * row's. */
    unsigned least = 32;
    for (unsigned a = 0; a < c->k; a++) {
        unsigned w = (unsigned)__builtin_popcount(c->info[a]);
        if (w < least) least = w;
    }
    return 1u << least;
}
