/* Regression tests on known SNR points: the simulated BER's 99.9% Clopper–Pearson interval
 * contains the exact theory, at fixed seeds. A deliberately mis-scaled noise case shows that the
 * check has the power to fail. */
#include "test_util.h"

#include <gsl/gsl_errno.h>

#include "sim.h"

typedef struct {
    ch_mod_kind mod;
    ch_chan_kind channel;
    double ebn0_db[3];
} regression_case;

static const regression_case cases[] = {
    {CH_MOD_BPSK, CH_CHAN_AWGN, {0.0, 4.0, 7.5}},
    {CH_MOD_QPSK, CH_CHAN_AWGN, {1.5, 5.0, 8.0}},
    {CH_MOD_16QAM, CH_CHAN_AWGN, {4.0, 8.0, 10.5}},
    {CH_MOD_64QAM, CH_CHAN_AWGN, {8.0, 12.0, 14.5}},
    {CH_MOD_BPSK, CH_CHAN_RAYLEIGH, {5.0, 15.0, 25.0}},
    {CH_MOD_16QAM, CH_CHAN_RAYLEIGH, {10.0, 20.0, 30.0}},
};

/* Simulated counts of one point; code_rate != 1 mis-scales the noise on purpose. */
static sim_counts simulate(ch_mod_kind mod, ch_chan_kind channel, double ebn0_db,
                           double code_rate, unsigned point)
{
    ch_modem *m = ch_modem_create(mod);
    assert_non_null(m);
    sim_receiver *rx = sim_receiver_classical(SIM_RX_MAXLOG, m);
    assert_non_null(rx);
    sim_engine_config cfg = {.modem = m, .fading = {.kind = channel, .coherence = 1},
                             .code_rate = code_rate, .rx = rx, .seed = 20261128,
                             .min_errors = 4000, .max_bits = 40000000, .threads = 2};
    sim_counts c;
    assert_int_equal(sim_engine_run_point(&cfg, point, ebn0_db, &c), SIM_ENGINE_OK);
    sim_receiver_destroy(rx);
    ch_modem_destroy(m);
    return c;
}

static double theory_ber(ch_mod_kind mod, ch_chan_kind channel, double ebn0_db)
{
    ch_fading_config f = {.kind = channel, .coherence = 1};
    double ber, ser;
    assert_int_equal(sim_theory_point(mod, &f, ebn0_db, &ber, &ser), 0);
    return ber;
}

static bool inside_999(const sim_counts *c, double p)
{
    double lo, hi;
    sim_clopper_pearson(c->bit_errors, c->bits, 0.999, &lo, &hi);
    return lo <= p && p <= hi;
}

static void test_simulation_matches_theory(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (unsigned j = 0; j < 3; j++) {
            const regression_case *rc = &cases[i];
            sim_counts c = simulate(rc->mod, rc->channel, rc->ebn0_db[j], 1.0, j);
            double p = theory_ber(rc->mod, rc->channel, rc->ebn0_db[j]);
            if (!inside_999(&c, p))
                fail_msg("%s over %s at %.1f dB: %llu errors in %llu bits, theory %.4e",
                         ch_mod_name(rc->mod), ch_chan_name(rc->channel), rc->ebn0_db[j],
                         (unsigned long long)c.bit_errors, (unsigned long long)c.bits, p);
        }
    }
}

/* Noise 0.5 dB too strong (the Eb/N0 scaling of a rate-0.891 code applied to an uncoded link):
 * theory must fall outside the interval, or the check above proves nothing. */
static void test_misscaled_noise_is_caught(void **state)
{
    (void)state;
    double rate = pow(10.0, -0.05);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const regression_case *rc = &cases[i];
        sim_counts c = simulate(rc->mod, rc->channel, rc->ebn0_db[1], rate, 1);
        assert_false(inside_999(&c, theory_ber(rc->mod, rc->channel, rc->ebn0_db[1])));
    }
}

/* Errors come in fades on a slow channel: QPSK over block Rayleigh fading of 1000 symbols at
 * 20 dB. The binomial interval would cover theory in a fraction of the runs (its width is that
 * of ~2000 independent errors where only ~50 fades caused them); the interval on the effective
 * counts covers it in at least 16 of 20 seeds (95% expected; 16 or more with probability
 * 0.997). */
static void test_interval_under_block_fading(void **state)
{
    (void)state;
    ch_modem *m = ch_modem_create(CH_MOD_QPSK);
    sim_receiver *rx = sim_receiver_classical(SIM_RX_MAXLOG, m);
    ch_fading_config block = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1000};
    double p = theory_ber(CH_MOD_QPSK, CH_CHAN_RAYLEIGH, 20.0);
    int covered = 0, binomial_covered = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        sim_engine_config cfg = {.modem = m, .fading = block, .code_rate = 1.0, .rx = rx,
                                 .seed = seed, .min_errors = 100, .max_bits = 1ull << 40,
                                 .threads = 2};
        sim_counts c;
        assert_int_equal(sim_engine_run_point(&cfg, 0, 20.0, &c), SIM_ENGINE_OK);
        assert_true(c.chunks >= SIM_ENGINE_MIN_CHUNKS_MEMORY);
        double deff = sim_design_effect(c.bit_errors, c.bits, c.chunks, c.chunk_error_sq);
        double lo, hi;
        sim_clopper_pearson_real(c.bit_errors / deff, c.bits / deff, 0.95, &lo, &hi);
        covered += lo <= p && p <= hi;
        sim_clopper_pearson(c.bit_errors, c.bits, 0.95, &lo, &hi);
        binomial_covered += lo <= p && p <= hi;
    }
    assert_true(covered >= 16);
    assert_true(binomial_covered <= 10);
    sim_receiver_destroy(rx);
    ch_modem_destroy(m);
}

/* Without memory, and with one bit a symbol, the design effect stays near 1: BPSK over fast
 * fading at 10 dB. (A symbol's bits err together, so QAM's is above 1 even over AWGN; the tables
 * keep the plain interval there, as is usual.) */
static void test_no_design_effect_without_memory(void **state)
{
    (void)state;
    ch_modem *m = ch_modem_create(CH_MOD_BPSK);
    sim_receiver *rx = sim_receiver_classical(SIM_RX_MAXLOG, m);
    sim_engine_config cfg = {.modem = m, .fading = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1},
                             .code_rate = 1.0, .rx = rx, .seed = 5, .min_errors = UINT64_MAX,
                             .max_bits = 64 * SIM_ENGINE_CHUNK_SYMBOLS, .threads = 2};
    sim_counts c;
    assert_int_equal(sim_engine_run_point(&cfg, 0, 10.0, &c), SIM_ENGINE_OK);
    assert_int_equal(c.chunks, 64);
    /* The variance ratio of 64 binomial counts is chi-square/63: below 1.65 with 99.9%. */
    double deff = sim_design_effect(c.bit_errors, c.bits, c.chunks, c.chunk_error_sq);
    assert_true(deff < 1.65);
    sim_receiver_destroy(rx);
    ch_modem_destroy(m);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simulation_matches_theory),
        cmocka_unit_test(test_misscaled_noise_is_caught),
        cmocka_unit_test(test_interval_under_block_fading),
        cmocka_unit_test(test_no_design_effect_without_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
