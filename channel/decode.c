/* Decoders of channel codes: bounded-distance syndrome decoding, block ML and bitwise MAP over
 * the codebook, and the dispatch to the polar decoders (polar_decode.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if defined(__SSE__)
#include <immintrin.h>
#endif

#include "ch_error.h"
#include "ch_vmath.h"
#include "decode_internal.h"

int ch_decoder_parse(const char *name, ch_decoder_kind *kind, unsigned *list_size)
{
    static const char *const names[] = {"hard", "ml", "map", "sc"};
    *list_size = 1;
    for (unsigned i = 0; i < 4; i++)
        if (strcasecmp(name, names[i]) == 0) return *kind = (ch_decoder_kind)i, CH_OK;
    unsigned l = 0;
    const char *p = name + 4;
    if (strncasecmp(name, "scl:", 4) == 0 && ch_parse_uint(&p, CH_CODE_MAX_LIST, &l) && *p == '\0' &&
        l >= 1) {
        *kind = CH_DEC_SCL;
        *list_size = l;
        return CH_OK;
    }
    return ch_error(CH_EINVAL, "unknown decoder '%s' (hard, ml, map, sc, scl:L with 1 <= L <= "
                    "%d)", name, CH_CODE_MAX_LIST);
}

/* What a decoder kind needs of the code; the message names both. */
static int check_fit(const ch_code *c, ch_decoder_kind kind)
{
    static const char *const names[] = {"hard", "ml", "map", "sc", "scl"};
    const char *why = NULL;
    /* the codebook is built from the generator's rows, which are words of n <= 64 bits */
    if ((kind == CH_DEC_ML || kind == CH_DEC_MAP) && (c->k > CH_CODE_CODEBOOK_MAX_K || !c->gen))
        why = "searches the codebook, for k <= 12 and n <= 64 only";
    else if ((kind == CH_DEC_SC || kind == CH_DEC_SCL) && !c->polar)
        why = "is for polar codes only";
    else if (kind == CH_DEC_HARD && c->t < 0)
        why = "needs a syndrome table (n <= 64, n - k <= 16)";
    if (!why) return CH_OK;
    return ch_error(CH_EINVAL, "decoder %s %s; %s has n=%u, k=%u", names[kind], why, c->name,
                    c->n, c->k);
}

/* Row msg of the codebook: the signs 1 - 2 x_i of the codeword of message index msg. */
static int build_codebook(ch_decoder *d)
{
    const ch_code *c = d->code;
    size_t words = (size_t)1 << c->k;
    d->codebook = malloc(words * c->n * sizeof *d->codebook);
    d->message = malloc(words * c->k);
    d->lanes = malloc(c->n * DEC_GROUP * sizeof *d->lanes);
    /* ml of n <= 16 splits the codeword in halves (ml_split): per message the sign pattern of
     * each half, and room for the sums of both halves' patterns */
    unsigned h1 = (c->n + 1) / 2;
    bool split = d->kind == CH_DEC_ML && c->n > 7 && c->n <= 16;
    size_t cells = d->kind == CH_DEC_MAP ? words : split ? (1u << h1) + (1u << (c->n - h1)) : 0;
    if (cells) d->metric = malloc(cells * DEC_GROUP * sizeof *d->metric);
    if (split) d->half = malloc(2 * words * sizeof *d->half);
    if ((cells && !d->metric) || (split && !d->half)) return CH_ENOMEM;
    if (!d->codebook || !d->message || !d->lanes || (d->kind == CH_DEC_MAP && !d->metric))
        return CH_ENOMEM;
    for (uint32_t msg = 0; msg < words; msg++) {
        for (unsigned j = 0; j < c->k; j++) d->message[msg * c->k + j] = msg >> (c->k - 1 - j) & 1;
        uint64_t x = code_word_of(c, msg);
        for (unsigned i = 0; i < c->n; i++) d->codebook[msg * c->n + i] = x >> i & 1 ? -1.0f : 1.0f;
        if (split) {
            d->half[2 * msg] = (uint16_t)(x & ((1u << h1) - 1));
            d->half[2 * msg + 1] = (uint16_t)(x >> h1);
        }
    }
    return CH_OK;
}

ch_decoder *ch_decoder_create(const ch_code *c, ch_decoder_kind kind, unsigned list_size,
                              size_t max_words)
{
    if (!c || max_words == 0) return ch_error(CH_EINVAL, "ch_decoder_create: no code"), NULL;
    if (check_fit(c, kind) != CH_OK) return NULL;
    if (kind == CH_DEC_SCL && (list_size < 1 || list_size > CH_CODE_MAX_LIST))
        return ch_error(CH_EINVAL, "scl: list size %u, not 1 to %d", list_size,
                        CH_CODE_MAX_LIST), NULL;
    ch_decoder *d = calloc(1, sizeof *d);
    if (!d) return ch_error(CH_ENOMEM, "ch_decoder_create: out of memory"), NULL;
    *d = (ch_decoder){.code = c, .kind = kind, .list_size = list_size, .max_words = max_words};
    int status = CH_OK;
    if (kind == CH_DEC_ML || kind == CH_DEC_MAP) status = build_codebook(d);
    if (kind == CH_DEC_SC && !(d->sc = polar_sc_create(c))) status = CH_ENOMEM;
    if (kind == CH_DEC_SCL && !(d->scl = polar_scl_create(c, list_size))) status = CH_ENOMEM;
    if (status != CH_OK) {
        ch_decoder_destroy(d);
        return ch_error(CH_ENOMEM, "ch_decoder_create: out of memory"), NULL;
    }
    return d;
}

void ch_decoder_destroy(ch_decoder *d)
{
    if (!d) return;
    free(d->codebook);
    free(d->message);
    free(d->lanes);
    free(d->metric);
    free(d->half);
    polar_sc_destroy(d->sc);
    polar_scl_destroy(d->scl);
    free(d);
}

/* ---- hard: bounded-distance syndrome decoding -------------------------------------------- */

static void decode_hard(const ch_code *c, size_t nwords, const float *llr, uint8_t *u,
                        uint8_t *failed)
{
    uint8_t x[CODE_MASK_MAX_N];
    for (size_t w = 0; w < nwords; w++) {
        const float *l = llr + w * c->n;
        uint64_t word = 0;
        uint32_t s = 0;
        for (unsigned i = 0; i < c->n; i++)
            if (l[i] < 0) word |= 1ull << i, s ^= c->hcol[i];
        uint64_t e = c->table[s];
        if (e != CODE_NO_LEADER) word ^= e;
        if (failed) failed[w] = e == CODE_NO_LEADER;
        for (unsigned i = 0; i < c->n; i++) x[i] = word >> i & 1;
        ch_code_info(c, x, u + w * c->k);
    }
}

/* ---- ml and map over the codebook ------------------------------------------------------- */

/* The LLRs of m <= DEC_GROUP codewords transposed into lanes[i][g], unused lanes zero: each
 * codeword read in order, its positions scattered to their rows. */
static inline __attribute__((always_inline)) void to_lanes(unsigned n, size_t m, const float *llr,
                                                           float *lanes)
{
    for (size_t g = 0; g < m; g++)
        for (unsigned i = 0; i < n; i++) lanes[i * DEC_GROUP + g] = llr[g * n + i];
    for (size_t g = m; g < DEC_GROUP; g++)
        for (unsigned i = 0; i < n; i++) lanes[i * DEC_GROUP + g] = 0;
}

#if defined(__AVX512F__)
/* to_lanes of a whole group of (7,4) blocks: the 112 LLRs of 16 blocks are 7 vectors, and row i
 * (position i of block g, at 7g + i) is taken from each pair of them by a two-source permute,
 * each pair's lanes merged under a mask. gcc 12 moved the LLRs a float at a time, a quarter of
 * code_ml_h74's time after the choice was vectorised (AMD EPYC Zen 5); the same floats moved. */
static void to_lanes7_group(const float *llr, float *lanes)
{
    const __m512i block = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i first = _mm512_mullo_epi32(block, _mm512_set1_epi32(7));
    for (size_t g0 = 0; g0 < DEC_GROUP; g0 += 16) {
        __m512 v[8];
        for (unsigned j = 0; j < 7; j++) v[j] = _mm512_loadu_ps(llr + g0 * 7 + 16 * j);
        v[7] = v[6];
        for (unsigned i = 0; i < 7; i++) {
            __m512i at = _mm512_add_epi32(first, _mm512_set1_epi32((int)i));
            __m512i pair = _mm512_srli_epi32(at, 5);
            __m512 row = _mm512_setzero_ps();
            for (unsigned p = 0; p < 4; p++) {
                __mmask16 in = _mm512_cmpeq_epi32_mask(pair, _mm512_set1_epi32((int)p));
                __m512 from = _mm512_permutex2var_ps(v[2 * p], at, v[2 * p + 1]);
                row = _mm512_mask_mov_ps(row, in, from);
            }
            _mm512_storeu_ps(lanes + i * DEC_GROUP + g0, row);
        }
    }
}
#endif

/* to_lanes for Hamming (7,4): a whole group by permutes where the target has AVX-512. */
static void to_lanes7(size_t m, const float *llr, float *lanes)
{
#if defined(__AVX512F__)
    if (m == DEC_GROUP) {
        to_lanes7_group(llr, lanes);
        return;
    }
#endif
    to_lanes(7, m, llr, lanes);
}

/* Correlation sum_i sign_i llr_i of one codebook row with the block in lane g of lanes; a loop
 * over the lanes around it vectorises whatever n is. Always inlined and restrict: clang 14 neither
 * inlined it (so n = 7 was no constant) nor ruled out that the output aliased the inputs, and ran
 * the correlations scalar at a seventh of gcc's speed. */
static inline __attribute__((always_inline)) float correlate_lane(unsigned n,
                                                                  const float *restrict signs,
                                                                  const float *restrict lanes,
                                                                  size_t g)
{
    float m = 0;
    for (unsigned i = 0; i < n; i++) m += signs[i] * lanes[i * DEC_GROUP + g];
    return m;
}

/* The correlations of one codebook row with all DEC_GROUP blocks into m. */
static inline __attribute__((always_inline)) void correlate(unsigned n,
                                                            const float *restrict signs,
                                                            const float *restrict lanes,
                                                            float *restrict m)
{
    for (size_t g = 0; g < DEC_GROUP; g++) m[g] = correlate_lane(n, signs, lanes, g);
}

/* The information bits of m decided message indices into u[m k]; a constant k in each case, so
 * the copy is a move, not a call. */
static void copy_messages(const ch_decoder *d, size_t m, const uint32_t *arg, uint8_t *u)
{
    unsigned k = d->code->k;
    const uint8_t *msg = d->message;
    switch (k) {
    case 4:
        for (size_t g = 0; g < m; g++) memcpy(u + g * 4, msg + (size_t)arg[g] * 4, 4);
        break;
    case 8:
        for (size_t g = 0; g < m; g++) memcpy(u + g * 8, msg + (size_t)arg[g] * 8, 8);
        break;
    default:
        for (size_t g = 0; g < m; g++) memcpy(u + g * k, msg + (size_t)arg[g] * k, k);
        break;
    }
}

/* Correlation ML of one group of DEC_GROUP blocks already in lanes: every codeword's
 * sum_i (1 - 2 x_i) llr_i, the best kept per lane (ties to the lower message index). n is a
 * constant in each case of the caller's switch, so the loops unroll. */
static inline __attribute__((always_inline)) void ml_correlate(const float *restrict codebook,
                                                               unsigned n, uint32_t words,
                                                               const float *restrict lanes,
                                                               uint32_t *restrict arg)
{
    float best[DEC_GROUP];
    correlate(n, codebook, lanes, best);
    for (size_t g = 0; g < DEC_GROUP; g++) arg[g] = 0;
    /* the correlation and the choice in one loop over the lanes: with the correlations first
     * stored into an array and compared in a second loop, clang 14 unrolled that loop and kept
     * its 32 lanes' choices scalar */
    for (uint32_t msg = 1; msg < words; msg++) {
        const float *signs = codebook + (size_t)msg * n;
        for (size_t g = 0; g < DEC_GROUP; g++) {
            float metric = correlate_lane(n, signs, lanes, g);
            bool better = metric > best[g];
            best[g] = better ? metric : best[g];
            arg[g] = better ? msg : arg[g];
        }
    }
}

/* The target's vector width, so that one dec_vf is one register: gcc 12 kept ml_correlate's best
 * metric and choice of each lane in memory and branched on any lane being better (1.9x slower
 * than clang 14 on code_ml_h74, 6.7e8 against 1.26e9 bit/s, AMD EPYC Zen 5); as vectors in
 * registers both compilers choose with a compare, a max and a select. */
#if defined(__AVX512F__)
#define DEC_VEC_BYTES 64
#elif defined(__AVX__)
#define DEC_VEC_BYTES 32
#else
#define DEC_VEC_BYTES 16
#endif
#define DEC_VEC_LANES (DEC_VEC_BYTES / 4)
typedef float dec_vf __attribute__((vector_size(DEC_VEC_BYTES)));
typedef int32_t dec_vi __attribute__((vector_size(DEC_VEC_BYTES)));

/* Widest code ml_correlate_vec keeps in registers (Hamming (7,4)). */
#define DEC_VEC_MAX_N 8

/* metric > best ? metric : best, lane by lane. x86's max instructions are exactly that select
 * (the second operand where the two are equal, zeros of either sign, or either is a NaN), one
 * instruction where gcc 12 made the select a compare and two xors on the loop's critical path
 * (code_ml_h74 under gcc 1.08-1.39e9 bit/s with the select, 1.31-1.76e9 with the max, AMD EPYC
 * Zen 5). */
static inline dec_vf keep_greater(dec_vf metric, dec_vf best)
{
#if defined(__AVX512F__)
    return (dec_vf)_mm512_max_ps((__m512)metric, (__m512)best);
#elif defined(__AVX__)
    return (dec_vf)_mm256_max_ps((__m256)metric, (__m256)best);
#elif defined(__SSE__)
    return (dec_vf)_mm_max_ps((__m128)metric, (__m128)best);
#else
    dec_vi better = metric > best;
    return (dec_vf)(((dec_vi)metric & better) | ((dec_vi)best & ~better));
#endif
}

/* sum_i signs_i l_i in the order of correlate_lane (from 0, position 0 first), one lane a block */
static inline __attribute__((always_inline)) dec_vf correlate_vec(unsigned n, const float *signs,
                                                                  const dec_vf *l)
{
    dec_vf m = {0};
    for (unsigned i = 0; i < n; i++) m += signs[i] * l[i];
    return m;
}

/* ml_correlate for n <= DEC_VEC_MAX_N, one vector of lanes at a time: its n LLR vectors, the best
 * metric and the choice stay in registers across the codebook. The same comparisons in the same
 * order, so the same choice (ties to the lower message index). */
static inline __attribute__((always_inline)) void ml_correlate_vec(const float *restrict codebook,
                                                                   unsigned n, uint32_t words,
                                                                   const float *restrict lanes,
                                                                   uint32_t *restrict arg)
{
    for (size_t v = 0; v < DEC_GROUP; v += DEC_VEC_LANES) {
        dec_vf l[DEC_VEC_MAX_N];
        for (unsigned i = 0; i < n; i++) memcpy(&l[i], lanes + i * DEC_GROUP + v, sizeof l[i]);
        dec_vf best = correlate_vec(n, codebook, l);
        dec_vi choice = {0};
        for (uint32_t msg = 1; msg < words; msg++) {
            dec_vf metric = correlate_vec(n, codebook + (size_t)msg * n, l);
            dec_vi better = metric > best;
            best = keep_greater(metric, best);
            choice = (choice & ~better) | ((int32_t)msg & better);
        }
        memcpy(arg + v, &choice, sizeof choice);
    }
}

/* The sums sum_i (1 - 2 b_i) llr_i over h positions (lanes of rows first..first+h) for every
 * sign pattern b of them, into s[2^h][DEC_GROUP]: each pattern from a smaller one less twice one
 * LLR, 2^h - 1 vector operations. */
static void half_sums(unsigned h, const float *lanes, float *s)
{
    for (size_t g = 0; g < DEC_GROUP; g++) {
        float sum = 0;
        for (unsigned i = 0; i < h; i++) sum += lanes[i * DEC_GROUP + g];
        s[g] = sum;
    }
    for (unsigned i = 0; i < h; i++)
        for (uint32_t p = 0; p < 1u << i; p++)
            for (size_t g = 0; g < DEC_GROUP; g++)
                s[(p | 1u << i) * DEC_GROUP + g] = s[p * DEC_GROUP + g] - 2 * lanes[i * DEC_GROUP + g];
}

/* Split ML: a codeword's correlation is the sum of its first half's and its second half's, each
 * one of at most 2^h sign patterns whose sums half_sums makes once; then each codeword costs one
 * add and a compare. For n <= 16 this is a few times fewer operations than correlating each
 * codeword whole. */
static void ml_split(const ch_decoder *d, const float *lanes, uint32_t *arg)
{
    const ch_code *c = d->code;
    unsigned h1 = (c->n + 1) / 2;
    float *s1 = d->metric, *s2 = d->metric + ((size_t)DEC_GROUP << h1);
    half_sums(h1, lanes, s1);
    half_sums(c->n - h1, lanes + h1 * DEC_GROUP, s2);
    float best[DEC_GROUP];
    for (size_t g = 0; g < DEC_GROUP; g++) best[g] = -INFINITY, arg[g] = 0;
    for (uint32_t msg = 0; msg < 1u << c->k; msg++) {
        const float *a = s1 + (size_t)d->half[2 * msg] * DEC_GROUP;
        const float *b = s2 + (size_t)d->half[2 * msg + 1] * DEC_GROUP;
        for (size_t g = 0; g < DEC_GROUP; g++) {
            float m = a[g] + b[g];
            bool better = m > best[g];
            best[g] = better ? m : best[g];
            arg[g] = better ? msg : arg[g];
        }
    }
}

static void decode_ml(ch_decoder *d, size_t nwords, const float *llr, uint8_t *u)
{
    const ch_code *c = d->code;
    for (size_t w0 = 0; w0 < nwords; w0 += DEC_GROUP) {
        size_t m = nwords - w0 < DEC_GROUP ? nwords - w0 : DEC_GROUP;
        uint32_t arg[DEC_GROUP];
        const float *l = llr + w0 * c->n;
        if (c->n == 7) {
            to_lanes7(m, l, d->lanes);
            ml_correlate_vec(d->codebook, 7, 1u << c->k, d->lanes, arg);
        } else if (d->half) {
            to_lanes(c->n, m, l, d->lanes);
            ml_split(d, d->lanes, arg);
        } else {
            to_lanes(c->n, m, l, d->lanes);
            ml_correlate(d->codebook, c->n, 1u << c->k, d->lanes, arg);
        }
        copy_messages(d, m, arg, u + w0 * c->k);
    }
}

/* Bit j's LLR from the metrics M_c of every codeword: the log-sum-exp of each class about its
 * own maximum. */
static void map_bit(unsigned k, unsigned j, const float *metric, float *llr_j)
{
    uint32_t words = 1u << k, mask = 1u << (k - 1 - j);
    float mx[2][DEC_GROUP], sum[2][DEC_GROUP];
    for (size_t g = 0; g < DEC_GROUP; g++) mx[0][g] = mx[1][g] = -INFINITY, sum[0][g] = sum[1][g] = 0;
    for (uint32_t msg = 0; msg < words; msg++) {
        float *x = mx[(msg & mask) != 0];
        for (size_t g = 0; g < DEC_GROUP; g++) {
            float v = metric[msg * DEC_GROUP + g];
            x[g] = v > x[g] ? v : x[g];
        }
    }
    for (uint32_t msg = 0; msg < words; msg++) {
        unsigned cls = (msg & mask) != 0;
        for (size_t g = 0; g < DEC_GROUP; g++)
            sum[cls][g] += ch_expf_nonpositive(metric[msg * DEC_GROUP + g] - mx[cls][g]);
    }
    for (size_t g = 0; g < DEC_GROUP; g++)
        llr_j[g] = mx[0][g] - mx[1][g] + ch_logf(sum[0][g]) - ch_logf(sum[1][g]);
}

static void decode_map(ch_decoder *d, size_t nwords, const float *llr, uint8_t *u,
                       float *info_llr)
{
    const ch_code *c = d->code;
    uint32_t words = 1u << c->k;
    for (size_t w0 = 0; w0 < nwords; w0 += DEC_GROUP) {
        size_t m = nwords - w0 < DEC_GROUP ? nwords - w0 : DEC_GROUP;
        to_lanes(c->n, m, llr + w0 * c->n, d->lanes);
        for (uint32_t msg = 0; msg < words; msg++) {
            float *mc = d->metric + (size_t)msg * DEC_GROUP;
            correlate(c->n, d->codebook + (size_t)msg * c->n, d->lanes, mc);
            for (size_t g = 0; g < DEC_GROUP; g++) mc[g] *= 0.5f;
        }
        for (unsigned j = 0; j < c->k; j++) {
            float l[DEC_GROUP];
            map_bit(c->k, j, d->metric, l);
            for (size_t g = 0; g < m; g++) {
                size_t at = (w0 + g) * c->k + j;
                u[at] = l[g] < 0;
                if (info_llr) info_llr[at] = l[g];
            }
        }
    }
}

void ch_decoder_run(ch_decoder *d, size_t nwords, const float *llr, uint8_t *u, uint8_t *failed,
                    float *info_llr)
{
    const ch_code *c = d->code;
    if (failed && d->kind != CH_DEC_HARD) memset(failed, 0, nwords);
    switch (d->kind) {
    case CH_DEC_HARD:
        decode_hard(c, nwords, llr, u, failed);
        break;
    case CH_DEC_ML:
        decode_ml(d, nwords, llr, u);
        break;
    case CH_DEC_MAP:
        decode_map(d, nwords, llr, u, info_llr);
        break;
    case CH_DEC_SC:
        for (size_t w = 0; w < nwords; w++) polar_sc_decode(d->sc, llr + w * c->n, u + w * c->k);
        break;
    case CH_DEC_SCL:
        for (size_t w = 0; w < nwords; w++)
            polar_scl_decode(d->scl, llr + w * c->n, u + w * c->k);
        break;
    }
}
