/* The Monte Carlo engine: the chain of stages a link becomes, the pure chunk runner and ordered
 * sum, determinism across thread counts, stop rules, and the confidence interval of its rows. */
#include "test_sim.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

typedef struct {
    ch_mod_kind mod;
    ch_fading_config fading;
    sim_rx_kind rx;
    double ebn0_db;
} link_case;

static sim_counts run(const link_case *lc, int threads, uint64_t min_errors, uint64_t max_bits)
{
    sim_chain *chain = test_chain(test_link(lc->mod, lc->fading, lc->rx), 0);
    sim_counts c = test_run_point(chain, 2385, 3, lc->ebn0_db, min_errors, max_bits, threads);
    sim_chain_destroy(chain);
    return c;
}

static void assert_same_counts(const sim_counts *a, const sim_counts *b)
{
    assert_int_equal(a->bits, b->bits);
    assert_int_equal(a->bit_errors, b->bit_errors);
    assert_int_equal(a->symbols, b->symbols);
    assert_int_equal(a->symbol_errors, b->symbol_errors);
}

/* Coded links count blocks too, the same with any thread count. */
static void test_coded_threads(void **state)
{
    (void)state;
    ch_fading_config fast = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1};
    sim_link link = test_link(CH_MOD_16QAM, fast, SIM_RX_EXACT);
    link.code = (sim_code){.name = "polar16_8", .decoder = SIM_DEC_SCL, .list_size = 4};
    sim_chain *c = test_chain(link, 0);
    sim_counts one = test_run_point(c, 77, 0, 9.0, 300, UINT64_MAX >> 8, 1);
    sim_counts three = test_run_point(c, 77, 0, 9.0, 300, UINT64_MAX >> 8, 3);
    assert_memory_equal(&one.bits, &three.bits, sizeof one - offsetof(sim_counts, bits));
    assert_true(one.block_errors > 0 && one.block_errors <= one.blocks);
    assert_int_equal(one.blocks * 8, one.bits);
    assert_int_equal(one.blocks * 16, one.symbols * 4);
    sim_chain_destroy(c);
}

static const link_case cases[] = {
    {CH_MOD_BPSK, {.kind = CH_CHAN_AWGN, .coherence = 1}, SIM_RX_HARD, 4.2},
    {CH_MOD_16QAM, {.kind = CH_CHAN_AWGN, .coherence = 1}, SIM_RX_MAXLOG, 7.3},
    {CH_MOD_QPSK, {.kind = CH_CHAN_RAYLEIGH, .coherence = 7}, SIM_RX_EXACT, 11.5},
    {CH_MOD_8PSK, {.kind = CH_CHAN_RICIAN, .k_factor = 2.385, .coherence = 1, .doppler = 0.013},
     SIM_RX_MAXLOG,
     9.1},
};

/* The same seed gives the same counts with 1, 2 and 3 threads, under both stop rules. */
static void test_threads_do_not_change_counts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_counts one = run(&cases[i], 1, 500, 1ull << 40);
        sim_counts two = run(&cases[i], 2, 500, 1ull << 40);
        sim_counts three = run(&cases[i], 3, 500, 1ull << 40);
        assert_true(one.bit_errors >= 500);
        assert_same_counts(&one, &two);
        assert_same_counts(&one, &three);
        sim_counts capped1 = run(&cases[i], 1, UINT64_MAX, 3000000);
        sim_counts capped2 = run(&cases[i], 2, UINT64_MAX, 3000000);
        assert_same_counts(&capped1, &capped2);
    }
}

/* A point stops at the first whole chunk that reaches min_errors or max_bits. */
static void test_stop_rules(void **state)
{
    (void)state;
    uint64_t chunk_bits = SIM_CHAIN_CHUNK_SYMBOLS; /* BPSK: one bit per symbol */
    sim_counts c = run(&cases[0], 2, UINT64_MAX, 5 * chunk_bits + 1);
    assert_int_equal(c.bits, 6 * chunk_bits);
    c = run(&cases[0], 2, 10, 1ull << 40);
    assert_int_equal(c.bits, chunk_bits); /* BER ~1e-2: the first chunk has > 10 errors */
    assert_true(c.bit_errors >= 10);
    assert_int_equal(c.symbols, c.bits);
    assert_int_equal(c.symbol_errors, c.bit_errors);
}

/* The fused BPSK/AWGN loop counts exactly what the chain of stages counts, for every classical
 * receiver. */
static void test_fused_bpsk_matches_stages(void **state)
{
    (void)state;
    ch_fading_config awgn = {.kind = CH_CHAN_AWGN, .coherence = 1};
    for (sim_rx_kind kind = SIM_RX_HARD; kind <= SIM_RX_EXACT; kind++) {
        sim_chain *fused = test_chain(test_link(CH_MOD_BPSK, awgn, kind), 0);
        sim_chain *staged = test_chain(test_link(CH_MOD_BPSK, awgn, kind), SIM_CHAIN_STAGED);
        assert_int_equal(sim_chain_n_stages(fused), 1);
        assert_string_equal(sim_chain_stage_name(fused, 0), "fused BPSK/AWGN");
        assert_int_equal(sim_chain_n_stages(staged), 5);
        sim_counts a = test_run_point(fused, 31, 1, 3.3, 2000, 1ull << 40, 2);
        sim_counts b = test_run_point(staged, 31, 1, 3.3, 2000, 1ull << 40, 2);
        assert_same_counts(&a, &b);
        sim_chain_destroy(fused);
        sim_chain_destroy(staged);
    }
    /* 2^27 bits at 0 dB hold a few received samples exactly 0 (noise of exactly -+1): both
     * paths decide bit 0 there. */
    sim_chain *fused = test_chain(test_link(CH_MOD_BPSK, awgn, SIM_RX_HARD), 0);
    sim_chain *staged = test_chain(test_link(CH_MOD_BPSK, awgn, SIM_RX_HARD), SIM_CHAIN_STAGED);
    sim_counts a = test_run_point(fused, 7, 0, 0.0, UINT64_MAX, 1ull << 27, 2);
    sim_counts b = test_run_point(staged, 7, 0, 0.0, UINT64_MAX, 1ull << 27, 2);
    assert_same_counts(&a, &b);
    sim_chain_destroy(fused);
    sim_chain_destroy(staged);
}

/* Each link becomes the chain of stages its description asks for, and only that one. */
static void test_chain_of_each_link(void **state)
{
    (void)state;
    static const char *const perfect[] = {"source", "mapper", "channel, real symbols",
                                          "coherent demapper", "error counter"};
    static const char *const pilots[] = {"source", "mapper", "pilot insertion", "channel",
                                         "least squares", "coherent demapper", "error counter"};
    ch_fading_config fast = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1};
    ch_fading_config block8 = {.kind = CH_CHAN_RAYLEIGH, .coherence = 8};
    sim_chain *c = test_chain(test_link(CH_MOD_BPSK, fast, SIM_RX_MAXLOG), 0);
    assert_int_equal(sim_chain_n_stages(c), 5);
    for (size_t i = 0; i < 5; i++) assert_string_equal(sim_chain_stage_name(c, i), perfect[i]);
    assert_string_equal(sim_chain_receiver_name(c), "maxlog");
    sim_chain_destroy(c);
    sim_link link = test_link(CH_MOD_16QAM, block8, SIM_RX_HARD);
    link.pilot_spacing = 8;
    c = test_chain(link, 0);
    assert_int_equal(sim_chain_n_stages(c), 7);
    for (size_t i = 0; i < 7; i++) assert_string_equal(sim_chain_stage_name(c, i), pilots[i]);
    assert_string_equal(sim_chain_receiver_name(c), "hard, LS pilots");
    assert_null(sim_chain_stage_name(c, 7));
    sim_chain_destroy(c);
    /* BPSK and its pilots are real: the channel's products leave out their imaginary parts */
    link.mod = CH_MOD_BPSK;
    c = test_chain(link, 0);
    assert_string_equal(sim_chain_stage_name(c, 3), "channel, real symbols");
    sim_chain_destroy(c);
    link.mod = CH_MOD_16QAM;
    /* a coded link: encoder after the source, decoder after the detector */
    static const char *const coded[] = {"source", "encoder", "mapper", "pilot insertion",
                                        "channel", "least squares", "coherent demapper",
                                        "decoder", "error counter"};
    link.code = (sim_code){.name = "hamming74", .decoder = SIM_DEC_ML};
    c = test_chain(link, 0);
    assert_int_equal(sim_chain_n_stages(c), 9);
    for (size_t i = 0; i < 9; i++) assert_string_equal(sim_chain_stage_name(c, i), coded[i]);
    assert_string_equal(sim_chain_decoder_name(c), "ml");
    sim_chain_destroy(c);
    link.code = (sim_code){.name = "hamming74", .decoder = SIM_DEC_SC};
    assert_null(sim_chain_create(&link, 0));
    assert_non_null(strstr(sim_last_error(), "polar"));
    link.code = (sim_code){0};
    /* pilots that do not fit the fading, and a model without the learned receiver */
    link.pilot_spacing = 4;
    assert_null(sim_chain_create(&link, 0));
    assert_non_null(strstr(sim_last_error(), "coherence"));
    link = test_link(CH_MOD_QPSK, fast, SIM_RX_MAXLOG);
    link.model = "x.model";
    assert_null(sim_chain_create(&link, 0));
    link.rx = SIM_RX_NN;
    link.model = "/nonexistent/x.model";
    assert_null(sim_chain_create(&link, 0));
    assert_non_null(strstr(sim_last_error(), "x.model"));
}

/* The channel takes the real-symbol product only where it multiplies gains into symbols that
 * are all real: BPSK or a constellation file of real points over fading, not BPSK over AWGN and
 * not 8-PSK (whose first point is real). */
static void test_channel_of_real_symbols(void **state)
{
    (void)state;
    ch_fading_config fast = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1};
    ch_fading_config awgn = {.kind = CH_CHAN_AWGN, .coherence = 1};
    sim_chain *c = test_chain(test_link(CH_MOD_BPSK, awgn, SIM_RX_HARD), SIM_CHAIN_STAGED);
    assert_string_equal(sim_chain_stage_name(c, 2), "channel");
    sim_chain_destroy(c);
    c = test_chain(test_link(CH_MOD_8PSK, fast, SIM_RX_MAXLOG), 0);
    assert_string_equal(sim_chain_stage_name(c, 2), "channel");
    sim_chain_destroy(c);
    char path[] = "/tmp/bersim-test-pam4-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("00 -3 0\n01 -1 0\n11 1 0\n10 3 0\n", f);
    assert_int_equal(fclose(f), 0);
    sim_link pam = test_link(CH_MOD_CUSTOM, fast, SIM_RX_MAXLOG);
    pam.constellation = path;
    c = test_chain(pam, 0);
    assert_string_equal(sim_chain_stage_name(c, 2), "channel, real symbols");
    sim_chain_destroy(c);
    remove(path);
}

/* The chunk runner is a pure function of (chain, seed, point, chunk): the same chunk gives the
 * same counts on any worker, whatever ran before it; and the ordered sum gives the same total
 * whatever order the chunks arrive in, stopping at the same chunk. */
static void test_chunk_runner_and_ordered_sum(void **state)
{
    (void)state;
    ch_fading_config ray = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1, .doppler = 0.0385};
    sim_chain *c = test_chain(test_link(CH_MOD_16QAM, ray, SIM_RX_EXACT), 0);
    sim_chain_worker *w1 = sim_chain_worker_create(c), *w2 = sim_chain_worker_create(c);
    sim_point p = sim_point_make(c, 2385, 2, 12.5);
    enum { N = 40 };
    sim_counts fwd[N], again;
    for (uint64_t i = 0; i < N; i++) sim_engine_run_chunk(w1, &p, i, &fwd[i]);
    for (uint64_t i = N; i-- > 0;) {
        sim_engine_run_chunk(w2, &p, i, &again);
        assert_same_counts(&fwd[i], &again);
    }
    sim_stop_rule rule = sim_stop_rule_make(c, 3000, 0, UINT64_MAX);
    assert_int_equal(rule.min_chunks, SIM_ENGINE_MIN_CHUNKS_MEMORY);
    sim_ordered_sum in_order, shuffled;
    assert_int_equal(sim_ordered_sum_init(&in_order, c, &p, &rule, 0), SIM_OK);
    assert_int_equal(sim_ordered_sum_init(&shuffled, c, &p, &rule, 0), SIM_OK);
    for (uint64_t i = 0; i < N && !in_order.done; i++) sim_ordered_sum_add(&in_order, i, &fwd[i]);
    /* chunks arrive two by two in reverse: 1 0 3 2 5 4 ... */
    for (uint64_t i = 0; i < N; i++) {
        uint64_t chunk = i ^ 1;
        if (chunk < N && sim_ordered_sum_has_room(&shuffled, chunk))
            sim_ordered_sum_add(&shuffled, chunk, &fwd[chunk]);
    }
    assert_true(in_order.done && shuffled.done);
    assert_int_equal(in_order.summed, shuffled.summed);
    assert_int_equal(in_order.summed, SIM_ENGINE_MIN_CHUNKS_MEMORY); /* errors came sooner */
    assert_same_counts(&in_order.total, &shuffled.total);
    assert_true(sim_stop_reached(&rule, &in_order.total));
    assert_false(sim_ordered_sum_has_room(&shuffled, shuffled.summed + SIM_ENGINE_WINDOW));
    sim_ordered_sum_destroy(&in_order);
    sim_ordered_sum_destroy(&shuffled);
    sim_chain_worker_destroy(w1);
    sim_chain_worker_destroy(w2);
    sim_chain_destroy(c);
}

/* The ordered sum by groups (the MPI scheduler's: one entry a group of chunks, recounted where
 * the rule is met before its last chunk) stops at the chunk, and with the total, of
 * chunk-by-chunk adding: over BPSK at 4 dB with groups of 7 chunks arriving in reverse pairs,
 * for rules met by errors at every chunk of a group, by bits inside a group and at its end, and
 * never. */
typedef struct {
    sim_chain_worker *w;
    const sim_point *p;
    unsigned recounted;
} recounter;

static void recount(void *user, uint64_t chunk, sim_counts *out)
{
    recounter *r = user;
    r->recounted++;
    sim_engine_run_chunk(r->w, r->p, chunk, out);
}

static void check_by_groups(const sim_chain *c, const sim_point *p, const sim_counts *chunks,
                            unsigned n, sim_stop_rule rule)
{
    enum { SPAN = 7 };
    sim_ordered_sum one, groups;
    assert_int_equal(sim_ordered_sum_init(&one, c, p, &rule, 0), SIM_OK);
    assert_int_equal(sim_ordered_sum_init(&groups, c, p, &rule, 0), SIM_OK);
    recounter r = {sim_chain_worker_create(c), p, 0};
    assert_int_equal(sim_ordered_sum_by_groups(&groups, SPAN, recount, &r), SIM_OK);
    for (unsigned i = 0; i < n && !one.done; i++) sim_ordered_sum_add(&one, i, &chunks[i]);
    for (unsigned g = 0; g < n / SPAN; g++) {
        unsigned group = g ^ 1; /* 1 0 3 2 ... */
        if (group >= n / SPAN || groups.done) continue;
        sim_counts sum = {0};
        for (unsigned j = 0; j < SPAN; j++) {
            const sim_counts *k = &chunks[group * SPAN + j];
            sum.bits += k->bits, sum.bit_errors += k->bit_errors, sum.symbols += k->symbols;
            sum.symbol_errors += k->symbol_errors, sum.chunks += k->chunks, sum.units += k->units;
            sum.chunk_error_sq += k->chunk_error_sq, sum.unit_error_sq += k->unit_error_sq;
        }
        sim_ordered_sum_add_group(&groups, group, &sum, &chunks[group * SPAN + SPAN - 1]);
    }
    assert_int_equal(one.done, groups.done);
    assert_same_counts(&one.total, &groups.total);
    /* a group is recounted only where the rule is met before its last chunk, up to that chunk */
    assert_int_equal(r.recounted, one.done ? one.summed % SPAN : 0);
    sim_chain_worker_destroy(r.w);
    sim_ordered_sum_destroy(&one);
    sim_ordered_sum_destroy(&groups);
}

static void test_ordered_sum_by_groups(void **state)
{
    (void)state;
    sim_chain *c = test_chain(test_link(CH_MOD_BPSK, (ch_fading_config){.kind = CH_CHAN_AWGN,
                                                                       .coherence = 1},
                                        SIM_RX_HARD), 0);
    sim_chain_worker *w = sim_chain_worker_create(c);
    sim_point p = sim_point_make(c, 2385, 1, 4.0);
    enum { N = 70 };
    sim_counts chunks[N];
    uint64_t errors = 0;
    for (unsigned i = 0; i < N; i++) {
        sim_engine_run_chunk(w, &p, i, &chunks[i]);
        errors += chunks[i].bit_errors;
    }
    /* met by errors at each chunk of the fourth group, by bits inside the sixth, never */
    for (unsigned stop = 21; stop < 28; stop++) {
        uint64_t before = 0;
        for (unsigned i = 0; i <= stop; i++) before += chunks[i].bit_errors;
        check_by_groups(c, &p, chunks, N, sim_stop_rule_make(c, before, 0, UINT64_MAX));
    }
    check_by_groups(c, &p, chunks, N, sim_stop_rule_make(c, UINT64_MAX, 0, 38 * chunks[0].bits));
    check_by_groups(c, &p, chunks, N, sim_stop_rule_make(c, UINT64_MAX, 0, 42 * chunks[0].bits));
    check_by_groups(c, &p, chunks, N, sim_stop_rule_make(c, errors + 1, 0, UINT64_MAX));
    sim_chain_worker_destroy(w);
    sim_chain_destroy(c);
}

/* The seed reaches every stream: over 8 seeds the counts of BPSK at 2 dB (2^20 bits each) lie
 * in the 99.9% interval of theory and vary between seeds as much as binomial counts do (the
 * variance ratio times 7 is chi-square with 7 degrees of freedom: inside [0.598, 24.32] with
 * 99.8%). A seed that reached only some chunks, or streams that repeat, shrink that spread. */
static void test_seed_matters(void **state)
{
    (void)state;
    ch_fading_config awgn = {.kind = CH_CHAN_AWGN, .coherence = 1};
    sim_chain *chain = test_chain(test_link(CH_MOD_BPSK, awgn, SIM_RX_HARD), 0);
    double p, ser, sum = 0, sum_sq = 0, lo, hi;
    assert_int_equal(sim_theory_point(CH_MOD_BPSK, &awgn, 2.0, &p, &ser), 0);
    uint64_t counts[8];
    for (uint64_t seed = 0; seed < 8; seed++) {
        sim_counts c = test_run_point(chain, 1000 + seed, 0, 2.0, UINT64_MAX, 1u << 20, 1);
        sim_clopper_pearson(c.bit_errors, c.bits, 0.999, &lo, &hi);
        assert_true(lo <= p && p <= hi);
        counts[seed] = c.bit_errors;
        for (uint64_t j = 0; j < seed; j++) assert_int_not_equal(counts[j], c.bit_errors);
        sum += (double)c.bit_errors;
        sum_sq += (double)c.bit_errors * (double)c.bit_errors;
    }
    double n = (double)(1u << 20), mean = sum / 8, var = (sum_sq - 8 * mean * mean) / 7;
    double ratio7 = 7 * var / (n * p * (1 - p));
    if (!(ratio7 > 0.598 && ratio7 < 24.32)) fail_msg("7 var / binomial var = %g", ratio7);
    sim_chain_destroy(chain);
}

/* A stop flag already set ends the point before any chunk. */
static void test_interrupt(void **state)
{
    (void)state;
    volatile sig_atomic_t stop = 1;
    ch_fading_config awgn = {.kind = CH_CHAN_AWGN, .coherence = 1};
    sim_chain *chain = test_chain(test_link(CH_MOD_QPSK, awgn, SIM_RX_HARD), 0);
    sim_engine_config cfg = {.chain = chain, .seed = 1, .min_errors = 100,
                             .max_bits = 1ull << 40, .threads = 2, .stop = &stop};
    sim_counts c;
    assert_int_equal(sim_engine_run_point(&cfg, 0, 2.0, &c), SIM_EINTERRUPTED);
    assert_int_equal(c.bits, 0);
    sim_chain_destroy(chain);
}

/* Clopper–Pearson against its closed forms at the edges and a published value. */
static void test_clopper_pearson(void **state)
{
    (void)state;
    double lo, hi;
    /* k = 0: lo = 0, hi = 1 - (a/2)^(1/n). */
    sim_clopper_pearson(0, 2385, 0.95, &lo, &hi);
    assert_true(lo == 0);
    assert_close(hi, -expm1(log(0.025) / 2385), 1e-9, 0);
    /* k = n: hi = 1, lo = (a/2)^(1/n). */
    sim_clopper_pearson(2385, 2385, 0.95, &lo, &hi);
    assert_true(hi == 1);
    assert_close(lo, exp(log(0.025) / 2385), 1e-9, 0);
    /* k = 0, n = 10^10: still resolved (a long error-free run at high SNR). */
    sim_clopper_pearson(0, 10000000000ull, 0.95, &lo, &hi);
    assert_close(hi, -expm1(log(0.025) / 1e10), 1e-6, 0);
    /* Clopper & Pearson (1934), k = 5, n = 20, 95%: [0.0866, 0.4910]. */
    sim_clopper_pearson(5, 20, 0.95, &lo, &hi);
    assert_close(lo, 0.0866, 0, 5e-5);
    assert_close(hi, 0.4910, 0, 5e-5);
    /* A long run: 4000 errors in 10^9 bits, near the normal approximation 4e-6 +- 1.96 sd. */
    sim_clopper_pearson(4000, 1000000000, 0.95, &lo, &hi);
    assert_close(lo, 4e-6 - 1.96 * sqrt(4e-6 / 1e9), 0.01, 0);
    assert_close(hi, 4e-6 + 1.96 * sqrt(4e-6 / 1e9), 0.01, 0);
    /* 10^6 errors, where GSL's incomplete beta fails near the mean: the normal limit. */
    sim_clopper_pearson(1000000, 5061442, 0.95, &lo, &hi);
    double rate = 1e6 / 5061442.0, sd = sqrt(rate * (1 - rate) / 5061442.0);
    assert_close(lo, rate - 1.96 * sd, 1e-4, 0);
    assert_close(hi, rate + 1.96 * sd, 1e-4, 0);
    /* The interval contains the rate. */
    sim_clopper_pearson(123, 1000000, 0.95, &lo, &hi);
    assert_true(lo < 123e-6 && 123e-6 < hi);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_do_not_change_counts),
        cmocka_unit_test(test_stop_rules),
        cmocka_unit_test(test_fused_bpsk_matches_stages),
        cmocka_unit_test(test_chain_of_each_link),
        cmocka_unit_test(test_channel_of_real_symbols),
        cmocka_unit_test(test_coded_threads),
        cmocka_unit_test(test_chunk_runner_and_ordered_sum),
        cmocka_unit_test(test_ordered_sum_by_groups),
        cmocka_unit_test(test_seed_matters),
        cmocka_unit_test(test_interrupt),
        cmocka_unit_test(test_clopper_pearson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
