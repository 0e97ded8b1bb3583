/* The Monte Carlo engine: determinism across thread counts, stop rules, and the confidence
 * interval of its rows. */
#include "test_util.h"

#include <string.h>

#include <gsl/gsl_errno.h>

#include "sim.h"

typedef struct {
    ch_mod_kind mod;
    ch_fading_config fading;
    sim_rx_kind rx;
    double ebn0_db;
} link_case;

static sim_counts run(const link_case *lc, int threads, uint64_t min_errors, uint64_t max_bits)
{
    ch_modem *m = ch_modem_create(lc->mod);
    assert_non_null(m);
    sim_receiver *rx = sim_receiver_classical(lc->rx, m);
    assert_non_null(rx);
    sim_engine_config cfg = {.modem = m, .fading = lc->fading, .code_rate = 1.0, .rx = rx,
                             .seed = 2385, .min_errors = min_errors, .max_bits = max_bits,
                             .threads = threads};
    sim_counts c;
    assert_int_equal(sim_engine_run_point(&cfg, 3, lc->ebn0_db, &c), SIM_ENGINE_OK);
    sim_receiver_destroy(rx);
    ch_modem_destroy(m);
    return c;
}

static void assert_same_counts(const sim_counts *a, const sim_counts *b)
{
    assert_int_equal(a->bits, b->bits);
    assert_int_equal(a->bit_errors, b->bit_errors);
    assert_int_equal(a->symbols, b->symbols);
    assert_int_equal(a->symbol_errors, b->symbol_errors);
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
    uint64_t chunk_bits = SIM_ENGINE_CHUNK_SYMBOLS; /* BPSK: one bit per symbol */
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
    ch_modem *m = ch_modem_create(CH_MOD_BPSK);
    for (sim_rx_kind kind = SIM_RX_HARD; kind <= SIM_RX_EXACT; kind++) {
        sim_receiver *rx = sim_receiver_classical(kind, m);
        sim_engine_config cfg = {.modem = m, .fading = {.kind = CH_CHAN_AWGN, .coherence = 1},
                                 .code_rate = 1.0, .rx = rx, .seed = 31, .min_errors = 2000,
                                 .max_bits = 1ull << 40, .threads = 2};
        sim_counts fused, staged;
        assert_int_equal(sim_engine_run_point(&cfg, 1, 3.3, &fused), SIM_ENGINE_OK);
        cfg.generic_only = true;
        assert_int_equal(sim_engine_run_point(&cfg, 1, 3.3, &staged), SIM_ENGINE_OK);
        assert_same_counts(&fused, &staged);
        sim_receiver_destroy(rx);
    }
    /* 2^27 bits at 0 dB hold a few received samples exactly 0 (noise of exactly -+1): both
     * paths decide bit 0 there. */
    sim_receiver *rx = sim_receiver_classical(SIM_RX_HARD, m);
    sim_engine_config cfg = {.modem = m, .fading = {.kind = CH_CHAN_AWGN, .coherence = 1},
                             .code_rate = 1.0, .rx = rx, .seed = 7, .min_errors = UINT64_MAX,
                             .max_bits = 1ull << 27, .threads = 2};
    sim_counts fused, staged;
    assert_int_equal(sim_engine_run_point(&cfg, 0, 0.0, &fused), SIM_ENGINE_OK);
    cfg.generic_only = true;
    assert_int_equal(sim_engine_run_point(&cfg, 0, 0.0, &staged), SIM_ENGINE_OK);
    assert_same_counts(&fused, &staged);
    sim_receiver_destroy(rx);
    ch_modem_destroy(m);
}

/* The seed reaches every stream: over 8 seeds the counts of BPSK at 2 dB (2^20 bits each) lie
 * in the 99.9% interval of theory and vary between seeds as much as binomial counts do (the
 * variance ratio times 7 is chi-square with 7 degrees of freedom: inside [0.598, 24.32] with
 * 99.8%). A seed that reached only some chunks, or streams that repeat, shrink that spread. */
static void test_seed_matters(void **state)
{
    (void)state;
    ch_modem *m = ch_modem_create(CH_MOD_BPSK);
    sim_receiver *rx = sim_receiver_classical(SIM_RX_HARD, m);
    sim_engine_config cfg = {.modem = m, .fading = {.kind = CH_CHAN_AWGN, .coherence = 1},
                             .code_rate = 1.0, .rx = rx, .min_errors = UINT64_MAX,
                             .max_bits = 1u << 20, .threads = 1};
    ch_fading_config awgn = {.kind = CH_CHAN_AWGN, .coherence = 1};
    double p, ser, sum = 0, sum_sq = 0, lo, hi;
    assert_int_equal(sim_theory_point(CH_MOD_BPSK, &awgn, 2.0, &p, &ser), 0);
    uint64_t counts[8];
    for (uint64_t seed = 0; seed < 8; seed++) {
        sim_counts c;
        cfg.seed = 1000 + seed;
        assert_int_equal(sim_engine_run_point(&cfg, 0, 2.0, &c), SIM_ENGINE_OK);
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
    sim_receiver_destroy(rx);
    ch_modem_destroy(m);
}

/* A stop flag already set ends the point before any chunk. */
static void test_interrupt(void **state)
{
    (void)state;
    volatile sig_atomic_t stop = 1;
    ch_modem *m = ch_modem_create(CH_MOD_QPSK);
    sim_receiver *rx = sim_receiver_classical(SIM_RX_HARD, m);
    sim_engine_config cfg = {.modem = m, .fading = {.kind = CH_CHAN_AWGN, .coherence = 1},
                             .code_rate = 1.0, .rx = rx, .seed = 1, .min_errors = 100,
                             .max_bits = 1ull << 40, .threads = 2, .stop = &stop};
    sim_counts c;
    assert_int_equal(sim_engine_run_point(&cfg, 0, 2.0, &c), SIM_ENGINE_INTERRUPTED);
    assert_int_equal(c.bits, 0);
    sim_receiver_destroy(rx);
    ch_modem_destroy(m);
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
        cmocka_unit_test(test_seed_matters),
        cmocka_unit_test(test_interrupt),
        cmocka_unit_test(test_clopper_pearson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
