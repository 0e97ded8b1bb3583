/* Channel codes and their classical decoders: parity checks, minimum distances and weight
 * distributions, encoding round trips, the polar frozen set, syndrome decoding of every pattern
 * it should correct, ML and MAP against brute force, (7,4) ML's choice bit for bit on ties and
 * order-dependent sums, the polar transform at every length, SC and SCL against ML, SC's
 * decisions on ties and zeros, and every error. */
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "code_internal.h"

static ch_code *code(const char *name)
{
    ch_code *c = ch_code_create(name, CH_CODE_DESIGN_EBN0_DB);
    if (!c) fail_msg("%s: %s", name, ch_last_error());
    return c;
}

static uint64_t test_state = 2385;

static double uniform(void)
{
    test_state = test_state * 6364136223846793005u + 1442695040888963407u;
    return ((double)(test_state >> 11) + 0.5) * 0x1p-53;
}

static double gauss(void)
{
    return sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform());
}

static void random_bits(size_t n, uint8_t *b)
{
    for (size_t i = 0; i < n; i++) b[i] = uniform() < 0.5;
}

/* BPSK LLRs of codeword x over AWGN of noise variance n0 per real dimension... sigma^2: the
 * LLR 2 y / sigma^2 of y = (1 - 2x) + sigma w. */
static void noisy_llr(unsigned n, const uint8_t *x, double sigma, float *llr)
{
    for (unsigned i = 0; i < n; i++)
        llr[i] = (float)(2 * ((1.0 - 2 * x[i]) + sigma * gauss()) / (sigma * sigma));
}

/* Every codeword passes every parity check; the distances and weight distributions are the
 * codes' (Golay: 1, 759, 2576, 759, 1 at 0, 8, 12, 16, 24). */
static void test_checks_and_distances(void **state)
{
    (void)state;
    const char *names[] = {"hamming74", "hamming1511", "golay24", "polar16_8"};
    const unsigned n[] = {7, 15, 24, 16}, k[] = {4, 11, 12, 8}, d[] = {3, 3, 8, 4};
    const int t[] = {1, 1, 3, 1};
    for (int j = 0; j < 4; j++) {
        ch_code *c = code(names[j]);
        assert_int_equal(ch_code_n(c), n[j]);
        assert_int_equal(ch_code_k(c), k[j]);
        assert_int_equal(ch_code_min_distance(c), d[j]);
        assert_int_equal(ch_code_hard_radius(c), t[j]);
        assert_string_equal(ch_code_name(c), names[j]);
        assert_int_equal(ch_code_n_checks(c), n[j] - k[j]);
        for (uint32_t msg = 0; msg < 1u << c->k; msg++) {
            uint64_t x = code_word_of(c, msg);
            uint8_t bits[24], syn[16];
            for (unsigned i = 0; i < c->n; i++) bits[i] = x >> i & 1;
            ch_code_syndrome(c, bits, syn);
            for (unsigned i = 0; i < c->n - c->k; i++)
                if (syn[i]) fail_msg("%s: codeword of message %u fails check %u", names[j], msg, i);
            bits[msg % c->n] ^= 1; /* one error: a nonzero syndrome */
            ch_code_syndrome(c, bits, syn);
            unsigned weight = 0;
            for (unsigned i = 0; i < c->n - c->k; i++) weight += syn[i];
            assert_true(weight > 0);
        }
        ch_code_destroy(c);
    }
    ch_code *g = code("golay24");
    uint64_t A[25];
    assert_int_equal(ch_code_weights(g, A), CH_OK);
    for (unsigned w = 0; w <= 24; w++) {
        uint64_t want = w == 0 || w == 24 ? 1 : w == 8 || w == 16 ? 759 : w == 12 ? 2576 : 0;
        assert_int_equal(A[w], want);
    }
    ch_code_destroy(g);
    ch_code *p = code("polar:1024,512");
    assert_int_equal(ch_code_weights(p, A), CH_EINVAL);
    assert_true(ch_code_min_distance(p) >= 16);
    ch_code_destroy(p);
}

/* Encoding, and back: systematic codes carry u in front; polar codes put u at A and zeros at
 * the frozen positions of v = x F^{⊗m}. The Bhattacharyya construction of polar:16,8 at 2 dB is
 * Gruber's set. */
/* The frozen set at extreme design SNRs: the Bhattacharyya parameters underflowed to 0 (and
 * rounded to 1) in the linear domain, and ties to the higher index made polar:16,8 at 30 dB the
 * positions 8..15, minimum distance 2. In the log domain the high-SNR order is that of the row
 * weights 2^popcount(i), so the minimum distance of polar:16,8 and of polar:64,32 is at least 4
 * (RM-like), and the sets at -100 dB and 30 dB are distinct from those of the ties. */
static void test_polar_extreme_design(void **state)
{
    (void)state;
    const char *names[] = {"polar:16,8", "polar:64,32"};
    for (int j = 0; j < 2; j++) {
        ch_code *c = ch_code_create(names[j], 30.0);
        assert_non_null(c);
        const uint32_t *info = ch_code_info_positions(c);
        unsigned min_weight = 64;
        for (unsigned a = 0; a < ch_code_k(c); a++) {
            unsigned w = (unsigned)__builtin_popcount(info[a]);
            if (w < min_weight) min_weight = w;
        }
        if (min_weight < 2) fail_msg("%s at 30 dB: a row of weight %u", names[j], 1u << min_weight);
        ch_code_destroy(c);
    }
    ch_code *low = ch_code_create("polar:64,32", -100.0);
    assert_non_null(low);
    unsigned above_half = 0;
    for (unsigned a = 0; a < 32; a++) above_half += ch_code_info_positions(low)[a] >= 32;
    assert_true(above_half < 32); /* not simply the upper half, as the ties made it */
    ch_code_destroy(low);
}

static void test_encoding_round_trip(void **state)
{
    (void)state;
    const char *names[] = {"hamming74", "golay24", "polar16_8", "polar:1024,512", "polar:64,1",
                           "polar:32,32"};
    for (int j = 0; j < 6; j++) {
        ch_code *c = code(names[j]);
        enum { W = 5 };
        uint8_t u[W * 1024], x[W * 1024], back[1024];
        random_bits(W * c->k, u);
        ch_code_encode(c, W, u, x);
        for (int w = 0; w < W; w++) {
            ch_code_info(c, x + w * c->n, back);
            assert_memory_equal(back, u + w * c->k, c->k);
            if (c->n <= 64) {
                uint32_t msg = 0;
                for (unsigned i = 0; i < c->k; i++) msg = msg << 1 | u[w * c->k + i];
                uint64_t mask = code_word_of(c, msg);
                for (unsigned i = 0; i < c->n; i++) assert_int_equal(x[w * c->n + i], mask >> i & 1);
            }
        }
        ch_code_destroy(c);
    }
    ch_code *b = code("polar:16,8"), *g = code("polar16_8");
    assert_memory_equal(ch_code_info_positions(b), ch_code_info_positions(g), 8 * sizeof(uint32_t));
    ch_code_destroy(b);
    ch_code_destroy(g);
}

/* Every error pattern of weight t or less is corrected, from every codeword tried; for Golay
 * every pattern of weight 4 is a flagged failure (none is within 3 of another codeword). */
static void test_syndrome_decoding(void **state)
{
    (void)state;
    const char *names[] = {"hamming74", "hamming1511", "golay24", "polar16_8"};
    for (int j = 0; j < 4; j++) {
        ch_code *c = code(names[j]);
        ch_decoder *d = ch_decoder_create(c, CH_DEC_HARD, 1, 1);
        assert_non_null(d);
        unsigned n = c->n, k = c->k;
        int t = c->t;
        for (int trial = 0; trial < 3; trial++) {
            uint8_t u[24], x[24], dec[24], failed;
            float llr[24];
            random_bits(k, u);
            ch_code_encode(c, 1, u, x);
            /* all patterns of weight <= t (and 4 for Golay), as positions i < j < l < m */
            for (unsigned a = 0; a <= n; a++)
                for (unsigned b = a; b <= n; b++)
                    for (unsigned e = b; e <= n; e++)
                        for (unsigned q = e; q <= (j == 2 ? n : e); q++) {
                            unsigned pos[4] = {a, b, e, q}, w = 0;
                            bool distinct = true;
                            for (int i = 0; i < 4; i++) {
                                if (pos[i] == n) continue;
                                for (int i2 = 0; i2 < i; i2++) distinct &= pos[i2] != pos[i];
                                w++;
                            }
                            if (!distinct || (int)w > (j == 2 ? 4 : t)) continue;
                            for (unsigned i = 0; i < n; i++) llr[i] = x[i] ? -1.0f : 1.0f;
                            for (int i = 0; i < 4; i++)
                                if (pos[i] < n) llr[pos[i]] = -llr[pos[i]];
                            ch_decoder_run(d, 1, llr, dec, &failed, NULL);
                            if ((int)w <= t) {
                                assert_int_equal(failed, 0);
                                assert_memory_equal(dec, u, k);
                            } else {
                                assert_int_equal(failed, 1);
                            }
                        }
        }
        ch_decoder_destroy(d);
        ch_code_destroy(c);
    }
}

/* The brute-force ML codeword index of llr[n] (double precision) and its metric margin over the
 * runner-up. */
static uint32_t brute_ml(const ch_code *c, const float *llr, double *margin)
{
    double best = -INFINITY, second = -INFINITY;
    uint32_t arg = 0;
    for (uint32_t msg = 0; msg < 1u << c->k; msg++) {
        uint64_t x = code_word_of(c, msg);
        double m = 0;
        for (unsigned i = 0; i < c->n; i++) m += (x >> i & 1 ? -1.0 : 1.0) * llr[i];
        if (m > best) second = best, best = m, arg = msg;
        else if (m > second) second = m;
    }
    *margin = best - second;
    return arg;
}

static uint32_t message_of(unsigned k, const uint8_t *u)
{
    uint32_t msg = 0;
    for (unsigned i = 0; i < k; i++) msg = msg << 1 | u[i];
    return msg;
}

/* ML is the brute-force argmax of the correlation, for every code; MAP's information LLRs are
 * the brute-force log-sum-exp ratios in double to 1e-4 (plus 1e-5 relative). */
static void test_ml_and_map_against_brute_force(void **state)
{
    (void)state;
    const char *names[] = {"hamming74", "hamming1511", "golay24", "polar16_8"};
    for (int j = 0; j < 4; j++) {
        ch_code *c = code(names[j]);
        enum { W = 37 };
        unsigned n = c->n, k = c->k;
        ch_decoder *ml = ch_decoder_create(c, CH_DEC_ML, 1, W);
        ch_decoder *map = ch_decoder_create(c, CH_DEC_MAP, 1, W);
        uint8_t u[W * 12], x[W * 24], dec[W * 12], dmap[W * 12];
        float llr[W * 24], info[W * 12];
        random_bits(W * k, u);
        ch_code_encode(c, W, u, x);
        for (int w = 0; w < W; w++) noisy_llr(n, x + w * n, 0.9, llr + w * n);
        ch_decoder_run(ml, W, llr, dec, NULL, NULL);
        ch_decoder_run(map, W, llr, dmap, NULL, info);
        for (int w = 0; w < W; w++) {
            double margin;
            uint32_t want = brute_ml(c, llr + w * n, &margin);
            if (margin > 1e-4) assert_int_equal(message_of(k, dec + w * k), want);
            for (unsigned b = 0; b < k; b++) {
                double mx[2] = {-INFINITY, -INFINITY}, sum[2] = {0, 0};
                for (uint32_t msg = 0; msg < 1u << k; msg++) {
                    uint64_t cw = code_word_of(c, msg);
                    double m = 0;
                    for (unsigned i = 0; i < n; i++)
                        m += 0.5 * (cw >> i & 1 ? -1.0 : 1.0) * llr[w * n + i];
                    int cls = msg >> (k - 1 - b) & 1;
                    if (m > mx[cls]) sum[cls] = sum[cls] * exp(mx[cls] - m) + 1, mx[cls] = m;
                    else sum[cls] += exp(m - mx[cls]);
                }
                double ref = mx[0] - mx[1] + log(sum[0]) - log(sum[1]);
                assert_close(info[w * k + b], ref, 1e-5, 1e-4);
                assert_int_equal(dmap[w * k + b], info[w * k + b] < 0);
            }
        }
        ch_decoder_destroy(ml);
        ch_decoder_destroy(map);
        ch_code_destroy(c);
    }
}

/* The float ML choice the decoder must make bit for bit: the correlation summed from 0 in
 * position order, in float, the first message of greatest metric (a later one must be greater).
 */
static uint32_t float_ml(const ch_code *c, const float *llr)
{
    float best = 0;
    uint32_t arg = 0;
    for (uint32_t msg = 0; msg < 1u << c->k; msg++) {
        uint64_t x = code_word_of(c, msg);
        float m = 0;
        for (unsigned i = 0; i < c->n; i++) m += (x >> i & 1 ? -1.0f : 1.0f) * llr[i];
        if (msg == 0 || m > best) best = m, arg = msg;
    }
    return arg;
}

/* Hamming (7,4) ML against float_ml on LLRs made for ties (small integers and zeros: many
 * codewords share the best metric) and for rounding that depends on the order of the sum (2^24
 * beside units: 2^24 + 1 rounds back to 2^24) and with infinities of both signs (NaN metrics,
 * which never become the best), over 3 groups of 32 blocks and a partial one, so that every lane
 * of every vector is used. */
static void test_ml_h74_ties_and_order(void **state)
{
    (void)state;
    static const float values[] = {0, 1, 2, 3, 0.5f, 16777216, 16777218, 1e-7f, INFINITY};
    ch_code *c = code("hamming74");
    enum { W = 3 * 32 + 13 };
    ch_decoder *ml = ch_decoder_create(c, CH_DEC_ML, 1, W);
    uint8_t dec[W * 4];
    float llr[W * 7];
    for (int round = 0; round < 60; round++) {
        unsigned kinds = round % 3 == 0 ? 4 : round % 3 == 1 ? 8 : 9;
        for (unsigned i = 0; i < W * 7; i++) {
            float v = values[(unsigned)(uniform() * kinds)];
            llr[i] = uniform() < 0.5 ? -v : v;
        }
        ch_decoder_run(ml, W, llr, dec, NULL, NULL);
        for (int w = 0; w < W; w++)
            if (message_of(4, dec + w * 4) != float_ml(c, llr + w * 7))
                fail_msg("round %d block %d: ML chose %u, not %u", round, w,
                         message_of(4, dec + w * 4), float_ml(c, llr + w * 7));
    }
    ch_decoder_destroy(ml);
    ch_code_destroy(c);
}

/* The polar transform x F^{⊗m} of every length 1 to 2048 against the butterflies a byte at a
 * time, on random bits with random bits after them: the word and 64-byte-block paths, every
 * span. */
static void test_polar_transform_every_length(void **state)
{
    (void)state;
    static uint8_t x[2048], want[2048];
    for (unsigned n = 1; n <= 2048; n *= 2)
        for (int trial = 0; trial < 8; trial++) {
            random_bits(sizeof x, x);
            memcpy(want, x, sizeof x);
            for (unsigned s = 1; s < n; s *= 2)
                for (unsigned b = 0; b < n; b += 2 * s)
                    for (unsigned i = b; i < b + s; i++) want[i] ^= want[i + s];
            code_polar_transform(n, x);
            /* and nothing past n changed */
            if (memcmp(x, want, sizeof x) != 0) fail_msg("n = %u: transform differs", n);
        }
}

/* SC: without noise every code is decoded; one weak wrong position (|llr| 1 against 4 on the
 * others) is corrected wherever ML corrects it, on polar16_8 and a length-1024 code. */
static void test_sc_where_it_must_equal_ml(void **state)
{
    (void)state;
    const char *names[] = {"polar16_8", "polar:1024,512", "polar:256,200"};
    for (int j = 0; j < 3; j++) {
        ch_code *c = code(names[j]);
        unsigned n = c->n, k = c->k;
        ch_decoder *sc = ch_decoder_create(c, CH_DEC_SC, 1, 1);
        uint8_t u[1024], x[1024], dec[1024];
        float llr[1024];
        for (int trial = 0; trial < 4; trial++) {
            random_bits(k, u);
            ch_code_encode(c, 1, u, x);
            for (unsigned i = 0; i < n; i++) llr[i] = x[i] ? -4.0f : 4.0f;
            ch_decoder_run(sc, 1, llr, dec, NULL, NULL);
            assert_memory_equal(dec, u, k);
            for (unsigned i = 0; i < n; i += n / 16) {
                llr[i] = x[i] ? 1.0f : -1.0f;
                ch_decoder_run(sc, 1, llr, dec, NULL, NULL);
                if (memcmp(dec, u, k) != 0) fail_msg("%s: SC misses a single weak error at %u",
                                                     names[j], i);
                llr[i] = x[i] ? -4.0f : 4.0f;
            }
        }
        ch_decoder_destroy(sc);
        ch_code_destroy(c);
    }
}

/* SCL with L = 2^K keeps every path: its codeword is the ML one, but for near-ties (margin in
 * the correlation below 1e-3). Also on a longer code: polar:32,5 with L = 32. */
static void test_scl_full_list_is_ml(void **state)
{
    (void)state;
    const char *names[] = {"polar16_8", "polar:32,5"};
    const unsigned lists[] = {256, 32};
    const double sigma[] = {1.1, 2.2};
    for (int j = 0; j < 2; j++) {
        ch_code *c = code(names[j]);
        unsigned n = c->n, k = c->k;
        ch_decoder *scl = ch_decoder_create(c, CH_DEC_SCL, lists[j], 1);
        assert_non_null(scl);
        int agree = 0, ties = 0, errors = 0;
        for (int trial = 0; trial < 400; trial++) {
            uint8_t u[32], x[32], dec[32];
            float llr[32];
            random_bits(k, u);
            ch_code_encode(c, 1, u, x);
            noisy_llr(n, x, sigma[j], llr);
            ch_decoder_run(scl, 1, llr, dec, NULL, NULL);
            double margin;
            uint32_t want = brute_ml(c, llr, &margin);
            errors += want != message_of(k, u);
            if (message_of(k, dec) == want) agree++;
            else if (margin < 1e-3) ties++;
            else fail_msg("%s trial %d: SCL %u, ML %u (margin %g)", names[j], trial,
                          message_of(k, dec), want, margin);
        }
        assert_true(errors > 20); /* the noise is strong enough to test something */
        print_message("  %s: SCL(L=%u) = ML on %d of 400 (%d near-ties), %d ML errors\n",
                      names[j], lists[j], agree, ties, errors);
        ch_decoder_destroy(scl);
        ch_code_destroy(c);
    }
}

/* Bad names, specifications and decoder-code combinations are refused with a message. */
static void test_errors(void **state)
{
    (void)state;
    const char *bad[] = {"hamming", "polar:12,6", "polar:16,0", "polar:16,17", "polar:2048,1024",
                         "polar:16,8x", "polar16"};
    for (int j = 0; j < 7; j++) {
        assert_null(ch_code_create(bad[j], 0));
        assert_true(strlen(ch_last_error()) > 0);
    }
    assert_null(ch_code_create("polar:16,8", NAN));
    ch_code *h = code("hamming74"), *p = code("polar:1024,512"), *g = code("polar:64,40");
    assert_null(ch_decoder_create(h, CH_DEC_SC, 1, 1));
    assert_non_null(strstr(ch_last_error(), "polar"));
    assert_null(ch_decoder_create(p, CH_DEC_ML, 1, 1));
    assert_non_null(strstr(ch_last_error(), "k <= 12"));
    assert_null(ch_decoder_create(p, CH_DEC_HARD, 1, 1));
    assert_null(ch_decoder_create(g, CH_DEC_HARD, 1, 1)); /* n - k = 24: no table */
    ch_decoder_kind kind;
    unsigned l;
    assert_int_equal(ch_decoder_parse("scl:8", &kind, &l), CH_OK);
    assert_true(kind == CH_DEC_SCL && l == 8);
    assert_int_equal(ch_decoder_parse("scl:0", &kind, &l), CH_EINVAL);
    assert_int_equal(ch_decoder_parse("scl:2000", &kind, &l), CH_EINVAL);
    assert_int_equal(ch_decoder_parse("viterbi", &kind, &l), CH_EINVAL);
    ch_code_destroy(h);
    ch_code_destroy(p);
    ch_code_destroy(g);
    ch_code_destroy(NULL);
    ch_decoder_destroy(NULL);
}

/* Plain successive cancellation, leaf by leaf with min-sum f and nothing pruned, written here
 * from the recursion x = [a ^ b, b]: the reference the decoder's rate-0, rate-1 and repetition
 * shortcuts must match decision for decision. */
typedef void sc_reference_fn(const ch_code *c, unsigned first, unsigned size, const float *l,
                             uint8_t *x, uint8_t *v);

/* A node of size leaves split in two, each half decoded by `child`: min-sum f, the first half,
 * g with its estimate, the second half, and x = [a ^ b, b]. */
static void sc_split_reference(const ch_code *c, unsigned first, unsigned size, const float *l,
                               uint8_t *x, uint8_t *v, sc_reference_fn *child)
{
    unsigned h = size / 2;
    float *next = calloc(h, sizeof *next);
    assert_non_null(next);
    for (unsigned i = 0; i < h; i++) {
        float a = fabsf(l[i]), b = fabsf(l[h + i]), m = a < b ? a : b;
        next[i] = (l[i] < 0) != (l[h + i] < 0) ? -m : m;
    }
    child(c, first, h, next, x, v);
    for (unsigned i = 0; i < h; i++) next[i] = l[h + i] + (x[i] ? -l[i] : l[i]);
    child(c, first + h, h, next, x + h, v);
    for (unsigned i = 0; i < h; i++) x[i] ^= x[h + i];
    free(next);
}

static void sc_reference(const ch_code *c, unsigned first, unsigned size, const float *l,
                         uint8_t *x, uint8_t *v)
{
    if (size == 1) {
        x[0] = v[first] = c->frozen[first] ? 0 : l[0] < 0;
        return;
    }
    sc_split_reference(c, first, size, l, x, v, sc_reference);
}

static void test_sc_shortcuts_match_plain_sc(void **state)
{
    (void)state;
    const char *names[] = {"polar:1024,512", "polar:256,200", "polar:64,20", "polar16_8"};
    for (int j = 0; j < 4; j++) {
        ch_code *c = code(names[j]);
        unsigned n = c->n, k = c->k;
        ch_decoder *sc = ch_decoder_create(c, CH_DEC_SC, 1, 1);
        uint8_t u[1024], x[1024], dec[1024], xr[1024], v[1024];
        float llr[1024];
        int wrong = 0;
        for (int trial = 0; trial < 50; trial++) {
            random_bits(k, u);
            ch_code_encode(c, 1, u, x);
            /* BPSK at Eb/N0 = 2 dB: sigma^2 = 1 / (2 R Eb/N0) */
            noisy_llr(n, x, 1 / sqrt(2 * ch_code_rate(c) * pow(10, 0.2)), llr);
            ch_decoder_run(sc, 1, llr, dec, NULL, NULL);
            sc_reference(c, 0, n, llr, xr, v);
            for (unsigned a = 0; a < k; a++)
                if (dec[a] != v[c->info[a]]) fail_msg("%s trial %d: bit %u differs", names[j],
                                                      trial, a);
            wrong += memcmp(dec, u, k) != 0;
        }
        print_message("  %s: %d of 50 blocks wrong, every decision as plain SC's\n", names[j],
                      wrong);
        assert_true(wrong > 0 && wrong < 50); /* noise that makes SC decide something */
        ch_decoder_destroy(sc);
        ch_code_destroy(c);
    }
}

/* SC with the decoder's shortcuts, as plain C: a node of only frozen leaves is 0; one without
 * frozen leaves takes the hard decisions of its LLRs, its leaves through the transform; one with
 * only its last leaf information, the sign of its LLRs' sum folded in halves (as the g steps
 * would add them); the others recurse as sc_reference. Where an LLR is 0 these are not plain SC
 * (its f gives 0 where a rate-1 node decides a sign), so on such LLRs this is the reference. */
static void sc_shortcut_reference(const ch_code *c, unsigned first, unsigned size, const float *l,
                                  uint8_t *x, uint8_t *v)
{
    unsigned frozen = 0, h = size / 2;
    for (unsigned i = 0; i < size; i++) frozen += c->frozen[first + i];
    if (frozen == size) {
        memset(x, 0, size);
        memset(v + first, 0, size);
        return;
    }
    if (frozen == 0) {
        for (unsigned i = 0; i < size; i++) x[i] = v[first + i] = l[i] < 0;
        for (unsigned s = 1; s < size; s *= 2)
            for (unsigned b = 0; b < size; b += 2 * s)
                for (unsigned i = b; i < b + s; i++) v[first + i] ^= v[first + i + s];
        return;
    }
    if (frozen == size - 1 && !c->frozen[first + size - 1]) {
        float *next = calloc(h, sizeof *next);
        assert_non_null(next);
        for (unsigned i = 0; i < h; i++) next[i] = l[h + i] + l[i];
        for (unsigned len = h / 2; len >= 1; len /= 2)
            for (unsigned i = 0; i < len; i++) next[i] = next[len + i] + next[i];
        memset(x, next[0] < 0, size);
        memset(v + first, 0, size);
        v[first + size - 1] = next[0] < 0;
        free(next);
        return;
    }
    sc_split_reference(c, first, size, l, x, v, sc_shortcut_reference);
}

/* SC on LLRs rounded to integers (ties in f's minimum, zeros of both signs, sums of 0 in g and in
 * the repetition nodes) and on unrounded ones, decision for decision against
 * sc_shortcut_reference, on codes whose trees have nodes of every size from 1 to 512. */
static void test_sc_ties_and_zeros(void **state)
{
    (void)state;
    const char *names[] = {"polar:1024,512", "polar:256,200", "polar:64,20", "polar:32,16",
                           "polar16_8", "polar:8,4", "polar:4,2", "polar:2,1"};
    for (int j = 0; j < 8; j++) {
        ch_code *c = code(names[j]);
        unsigned n = c->n, k = c->k;
        ch_decoder *sc = ch_decoder_create(c, CH_DEC_SC, 1, 1);
        uint8_t u[1024], x[1024], dec[1024], xr[1024], v[1024];
        float llr[1024];
        for (int trial = 0; trial < 60; trial++) {
            random_bits(k, u);
            ch_code_encode(c, 1, u, x);
            noisy_llr(n, x, 1 / sqrt(2 * ch_code_rate(c) * pow(10, 0.1)), llr);
            if (trial % 3)
                for (unsigned i = 0; i < n; i++) llr[i] = nearbyintf(llr[i] / (float)(trial % 3));
            ch_decoder_run(sc, 1, llr, dec, NULL, NULL);
            sc_shortcut_reference(c, 0, n, llr, xr, v);
            for (unsigned a = 0; a < k; a++)
                if (dec[a] != v[c->info[a]])
                    fail_msg("%s trial %d: bit %u differs", names[j], trial, a);
        }
        ch_decoder_destroy(sc);
        ch_code_destroy(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks_and_distances),
        cmocka_unit_test(test_encoding_round_trip),
        cmocka_unit_test(test_polar_extreme_design),
        cmocka_unit_test(test_syndrome_decoding),
        cmocka_unit_test(test_ml_and_map_against_brute_force),
        cmocka_unit_test(test_ml_h74_ties_and_order),
        cmocka_unit_test(test_polar_transform_every_length),
        cmocka_unit_test(test_sc_where_it_must_equal_ml),
        cmocka_unit_test(test_sc_shortcuts_match_plain_sc),
        cmocka_unit_test(test_sc_ties_and_zeros),
        cmocka_unit_test(test_scl_full_list_is_ml),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
