/* Regression tests on known SNR points: the simulated BER's 99.9% Clopper–Pearson interval
 * contains the exact theory, at fixed seeds. A deliberately mis-scaled noise case shows that the
 * check has the power to fail. */
#include "test_sim.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

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
    {CH_MOD_8PSK, CH_CHAN_AWGN, {3.0, 7.0, 10.0}},
    {CH_MOD_8PSK, CH_CHAN_RAYLEIGH, {10.0, 20.0, 30.0}},
    {CH_MOD_64QAM, CH_CHAN_RICIAN, {10.0, 16.0, 22.0}},
};

/* Rician cases use K = 2.385. */
#define K_FACTOR 2.385

/* Simulated counts of one point; code_rate != 1 mis-scales the noise on purpose. */
static sim_counts simulate_n(ch_mod_kind mod, ch_chan_kind channel, double ebn0_db,
                             double code_rate, unsigned point, uint64_t min_errors)
{
    ch_fading_config fading = {.kind = channel, .coherence = 1,
                               .k_factor = channel == CH_CHAN_RICIAN ? K_FACTOR : 0};
    sim_chain *c = test_chain(test_link(mod, fading, SIM_RX_MAXLOG), 0);
    /* a code rate below 1 is Eb/N0 counted for a code the link does not have: the noise is
     * 10 log10(1/code_rate) dB too strong */
    sim_counts counts = test_run_point(c, 20261128, point, ebn0_db + 10 * log10(code_rate),
                                       min_errors, 40000000, 2);
    counts.ebn0_db = ebn0_db;
    sim_chain_destroy(c);
    return counts;
}

static sim_counts simulate(ch_mod_kind mod, ch_chan_kind channel, double ebn0_db,
                           double code_rate, unsigned point)
{
    return simulate_n(mod, channel, ebn0_db, code_rate, point, 4000);
}

/* The exact BER, or with ser_out the exact SER too. */
static double theory(ch_mod_kind mod, ch_chan_kind channel, double ebn0_db, double *ser_out)
{
    ch_fading_config f = {.kind = channel, .coherence = 1,
                          .k_factor = channel == CH_CHAN_RICIAN ? K_FACTOR : 0};
    double ber, ser;
    assert_int_equal(sim_theory_point(mod, &f, ebn0_db, &ber, &ser), 0);
    if (ser_out) *ser_out = ser;
    return ber;
}

static double theory_ber(ch_mod_kind mod, ch_chan_kind channel, double ebn0_db)
{
    return theory(mod, channel, ebn0_db, NULL);
}

static bool inside_999(const sim_counts *c, double p)
{
    double lo, hi;
    sim_clopper_pearson(c->bit_errors, c->bits, 0.999, &lo, &hi);
    return lo <= p && p <= hi;
}

/* Symbols are independent without memory: the SER's interval is binomial. */
static bool ser_inside_999(const sim_counts *c, double p)
{
    double lo, hi;
    sim_clopper_pearson(c->symbol_errors, c->symbols, 0.999, &lo, &hi);
    return lo <= p && p <= hi;
}

static void test_simulation_matches_theory(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (unsigned j = 0; j < 3; j++) {
            const regression_case *rc = &cases[i];
            sim_counts c = simulate(rc->mod, rc->channel, rc->ebn0_db[j], 1.0, j);
            double ser, p = theory(rc->mod, rc->channel, rc->ebn0_db[j], &ser);
            if (!inside_999(&c, p))
                fail_msg("%s over %s at %.1f dB: %llu errors in %llu bits, theory %.4e",
                         ch_mod_name(rc->mod), ch_chan_name(rc->channel), rc->ebn0_db[j],
                         (unsigned long long)c.bit_errors, (unsigned long long)c.bits, p);
            if (!ser_inside_999(&c, ser))
                fail_msg("%s over %s at %.1f dB: %llu symbol errors in %llu, theory SER %.4e",
                         ch_mod_name(rc->mod), ch_chan_name(rc->channel), rc->ebn0_db[j],
                         (unsigned long long)c.symbol_errors, (unsigned long long)c.symbols, ser);
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
        double ser, p = theory(rc->mod, rc->channel, rc->ebn0_db[1], &ser);
        assert_false(inside_999(&c, p));
        assert_false(ser_inside_999(&c, ser));
    }
}

/* Counting every bit error as a symbol error must leave the SER interval: the SER check above
 * has the power to catch it wherever k > 1. Gray labels make most symbol errors single bit
 * errors, so the difference shows where symbols often lose two bits: at Eb/N0 = -2 dB, over
 * 40000 errors. */
static void test_ser_counted_as_bits_is_caught(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const regression_case *rc = &cases[i];
        if (rc->mod == CH_MOD_BPSK) continue;
        sim_counts c = simulate_n(rc->mod, rc->channel, -2.0, 1.0, 0, 40000);
        double ser;
        theory(rc->mod, rc->channel, -2.0, &ser);
        assert_true(ser_inside_999(&c, ser));
        c.symbol_errors = c.bit_errors;
        if (ser_inside_999(&c, ser))
            fail_msg("%s over %s: %llu bit errors in %llu symbols pass for SER %.4e",
                     ch_mod_name(rc->mod), ch_chan_name(rc->channel),
                     (unsigned long long)c.bit_errors, (unsigned long long)c.symbols, ser);
    }
}

/* Least squares from one pilot per block of 8 over block Rayleigh fading (--csi pilot): the
 * classical receivers' BER lies in the 99.9% interval (on the effective counts: errors come in
 * blocks) of the closed form sim_theory_ls_pilot, and outside that of the perfect-CSI BER at
 * the same Es/N0; hard slicing and max-log decide alike. An estimate off by a constant factor
 * (1.3 h_ls) moves the 16-QAM decisions and leaves the interval. */
static sim_counts simulate_ls(ch_mod_kind mod, sim_rx_kind kind, double ebn0_db, unsigned point)
{
    sim_link link = test_link(mod, (ch_fading_config){.kind = CH_CHAN_RAYLEIGH, .coherence = 8},
                              kind);
    link.pilot_spacing = 8;
    sim_chain *c = test_chain(link, 0);
    sim_counts counts = test_run_point(c, 20261201, point, ebn0_db, 20000, 40000000, 2);
    sim_chain_destroy(c);
    return counts;
}

static bool inside_999_effective(const sim_counts *c, double p)
{
    double deff = sim_design_effect(c->bit_errors, c->bits, c->chunks, c->chunk_error_sq);
    double lo, hi;
    sim_clopper_pearson_real(c->bit_errors / deff, c->bits / deff, 0.999, &lo, &hi);
    return lo <= p && p <= hi;
}

static void test_ls_pilot_matches_closed_form(void **state)
{
    (void)state;
    const struct {
        ch_mod_kind mod;
        sim_rx_kind rx;
        double ebn0_db[3];
    } ls_cases[] = {
        {CH_MOD_QPSK, SIM_RX_MAXLOG, {5.0, 15.0, 25.0}},
        {CH_MOD_16QAM, SIM_RX_HARD, {10.0, 20.0, 30.0}},
        {CH_MOD_16QAM, SIM_RX_MAXLOG, {10.0, 20.0, 30.0}},
    };
    for (size_t i = 0; i < sizeof ls_cases / sizeof ls_cases[0]; i++) {
        for (unsigned j = 0; j < 3; j++) {
            ch_mod_kind mod = ls_cases[i].mod;
            unsigned k = mod == CH_MOD_QPSK ? 2 : 4;
            double ebn0 = ls_cases[i].ebn0_db[j];
            double esn0 = ch_esn0_from_ebn0(ebn0, k, 7.0 / 8.0), p, perfect, ser;
            sim_counts c = simulate_ls(mod, ls_cases[i].rx, ebn0, j);
            assert_int_equal(sim_theory_ls_pilot(mod, esn0, &p), 0);
            if (!inside_999_effective(&c, p))
                fail_msg("LS %s at %.0f dB: %llu errors in %llu bits, closed form %.4e",
                         ch_mod_name(mod), ebn0, (unsigned long long)c.bit_errors,
                         (unsigned long long)c.bits, p);
            ch_fading_config ray = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1};
            assert_int_equal(sim_theory_point(mod, &ray, esn0 - 10 * log10(k), &perfect, &ser),
                             0);
            assert_false(inside_999_effective(&c, perfect));
        }
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
    ch_fading_config block = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1000};
    sim_chain *chain = test_chain(test_link(CH_MOD_QPSK, block, SIM_RX_MAXLOG), 0);
    double p = theory_ber(CH_MOD_QPSK, CH_CHAN_RAYLEIGH, 20.0);
    int covered = 0, binomial_covered = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        sim_counts c = test_run_point(chain, seed, 0, 20.0, 100, 1ull << 40, 2);
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
    sim_chain_destroy(chain);
}

/* Without memory, and with one bit a symbol, the design effect stays near 1: BPSK over fast
 * fading at 10 dB. (A symbol's bits err together, so QAM's is above 1 even over AWGN; the tables
 * keep the plain interval there, as is usual.) */
static void test_no_design_effect_without_memory(void **state)
{
    (void)state;
    ch_fading_config fast = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1};
    sim_chain *chain = test_chain(test_link(CH_MOD_BPSK, fast, SIM_RX_MAXLOG), 0);
    sim_counts c = test_run_point(chain, 5, 0, 10.0, UINT64_MAX, 64 * SIM_CHAIN_CHUNK_SYMBOLS, 2);
    assert_int_equal(c.chunks, 64);
    /* The variance ratio of 64 binomial counts is chi-square/63: below 1.65 with 99.9%. */
    double deff = sim_design_effect(c.bit_errors, c.bits, c.chunks, c.chunk_error_sq);
    assert_true(deff < 1.65);
    sim_chain_destroy(chain);
}

/* sim_rate_interval at 95% as its rules say (sim/stats.h), each value from GSL here: the t
 * allowance's degrees of freedom (U - 1, or the clustered share's), the scale at most the
 * trials of a unit, the lower end at least one unit's failure, and no error as 0 of U. */
static void expect_rate_interval(uint64_t k, uint64_t n, uint64_t units, double sum_sq, double dof)
{
    double lo, hi, want_lo, want_hi, one_lo, one_hi;
    sim_rate_interval(k, n, units, sum_sq, 0.95, &lo, &hi);
    double allow = gsl_cdf_tdist_Pinv(0.975, dof) / gsl_cdf_ugaussian_Pinv(0.975);
    double scale =
        fmin(sim_design_effect(k, n, units, sum_sq) * allow * allow, (double)n / (double)units);
    sim_clopper_pearson_real((double)k / scale, (double)n / scale, 0.95, &want_lo, &want_hi);
    sim_clopper_pearson_real(1, (double)units, 0.95, &one_lo, &one_hi);
    want_lo = fmax(want_lo, one_lo * (double)units / (double)n);
    if (fabs(lo - want_lo) > 1e-12 * want_hi || fabs(hi - want_hi) > 1e-12 * want_hi)
        fail_msg("k %llu n %llu units %llu: [%.9g, %.9g], want [%.9g, %.9g] (dof %g)",
                 (unsigned long long)k, (unsigned long long)n, (unsigned long long)units, lo, hi,
                 want_lo, want_hi, dof);
}

static void test_rate_interval_rules(void **state)
{
    (void)state;
    double lo, hi, cp_lo, cp_hi;
    /* 50 lone errors in 1e5 units of one trial: no clustering, t with U - 1 */
    expect_rate_interval(50, 100000, 100000, 50, 99999);
    /* one lone error: Clopper-Pearson on the trials, to the last digit */
    sim_rate_interval(1, 1000000, 1000000, 1, 0.95, &lo, &hi);
    sim_clopper_pearson(1, 1000000, 0.95, &cp_lo, &cp_hi);
    assert_true(fabs(lo - cp_lo) < 1e-9 * cp_lo && fabs(hi - cp_hi) < 1e-9 * cp_hi);
    /* 300 errors, 6 in each of 50 of 100 units of 1000 trials: m = 50, c = 1500/1800 */
    double c = 1500.0 / 1800;
    expect_rate_interval(300, 100000, 100, 1800, fmin(49 / (c * c), 99));
    /* the same 300 errors in one unit: m = 1, one degree of freedom, the scale capped at 1000
     * (the whole unit failing), the lower end one unit's failure of 1000 trials */
    expect_rate_interval(300, 100000, 100, 90000, 1);
    sim_rate_interval(300, 100000, 100, 90000, 0.95, &lo, &hi);
    assert_true(hi > 10 * 300.0 / 100000 && lo > 1e-7);
    /* no error in 100 units of 1000 trials: Clopper-Pearson on 0 of 100, not of 1e5 */
    sim_rate_interval(0, 100000, 100, 0, 0.95, &lo, &hi);
    assert_true(lo == 0 && fabs(hi - (1 - pow(0.025, 1.0 / 100))) < 1e-12);
    /* but no error in 4 chunks (Doppler: no unit smaller than the engine's chunk) is 0 of n */
    sim_counts doppler = {.bits = 4 * 32768, .chunks = 4};
    sim_counts_interval(&doppler, false, 0.95, &lo, &hi);
    sim_clopper_pearson(0, 4 * 32768, 0.95, &cp_lo, &cp_hi);
    assert_true(lo == 0 && fabs(hi - cp_hi) < 1e-12 * cp_hi);
}

/* Bounded-distance hard decoding over BPSK (and Gray QPSK: two BPSK axes) and AWGN: the
 * simulated block error rate of Hamming (7,4), Hamming (15,11) and Golay (24,12) lies in the
 * 99.9% interval of the exact sum_(i > t) C(n,i) p^i (1-p)^(n-i), at three points each; with the
 * noise 0.5 dB too strong it does not. */
static sim_counts simulate_code(const char *code, ch_mod_kind mod, double ebn0_db,
                                double shift_db, unsigned point)
{
    sim_link link = test_link(mod, (ch_fading_config){.kind = CH_CHAN_AWGN, .coherence = 1},
                              SIM_RX_MAXLOG);
    link.code = (sim_code){.name = code, .decoder = SIM_DEC_HARD};
    sim_chain *c = test_chain(link, 0);
    sim_engine_config cfg = {.chain = c, .seed = 20261201, .min_errors = 1,
                             .min_block_errors = 3000, .max_bits = 200000000, .threads = 2};
    sim_counts counts;
    assert_int_equal(sim_engine_run_point(&cfg, point, ebn0_db + shift_db, &counts), SIM_OK);
    sim_chain_destroy(c);
    return counts;
}

static bool bler_inside_999(const sim_counts *c, double p)
{
    double lo, hi;
    sim_clopper_pearson(c->block_errors, c->blocks, 0.999, &lo, &hi);
    return lo <= p && p <= hi;
}

static void test_hard_decoding_matches_theory(void **state)
{
    (void)state;
    const struct {
        const char *code;
        ch_mod_kind mod;
        double ebn0_db[3];
    } codes[] = {
        {"hamming74", CH_MOD_BPSK, {2.0, 5.0, 7.5}},
        {"hamming1511", CH_MOD_QPSK, {3.0, 5.5, 7.5}},
        {"golay24", CH_MOD_BPSK, {3.0, 5.0, 6.5}},
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        ch_code *code = ch_code_create(codes[i].code, 0);
        for (unsigned j = 0; j < 3; j++) {
            double ebn0 = codes[i].ebn0_db[j], p, p_shift;
            sim_counts c = simulate_code(codes[i].code, codes[i].mod, ebn0, 0, j);
            assert_int_equal(sim_theory_code_hard(code, ebn0, &p), SIM_OK);
            if (!bler_inside_999(&c, p))
                fail_msg("%s at %.1f dB: %llu block errors in %llu, exact %.4e", codes[i].code,
                         ebn0, (unsigned long long)c.block_errors, (unsigned long long)c.blocks,
                         p);
            sim_counts s = simulate_code(codes[i].code, codes[i].mod, ebn0, -0.5, j);
            assert_int_equal(sim_theory_code_hard(code, ebn0, &p_shift), SIM_OK);
            assert_false(bler_inside_999(&s, p_shift));
        }
        ch_code_destroy(code);
    }
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simulation_matches_theory),
        cmocka_unit_test(test_misscaled_noise_is_caught),
        cmocka_unit_test(test_ser_counted_as_bits_is_caught),
        cmocka_unit_test(test_ls_pilot_matches_closed_form),
        cmocka_unit_test(test_hard_decoding_matches_theory),
        cmocka_unit_test(test_interval_under_block_fading),
        cmocka_unit_test(test_no_design_effect_without_memory),
        cmocka_unit_test(test_rate_interval_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
