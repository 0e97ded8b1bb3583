// ctest-labels: slow
/* The learned OFDM receiver (sim/rx_ofdm_net.h) on known SNR points, held against LS and LMMSE
 * on the same frames: every chain below is run by the engine from the same seed and point, and
 * no receiver draws random numbers, so each sees the same bits, channels and noise.
 *
 * Link: N = 64 subcarriers, prefix 16, EVA at 3 MHz, one pilot symbol and one data symbol,
 * QPSK. Seeds are fixed (chosen once, never tuned). The margins asserted are far outside the
 * sampling spread: the counts are thousands of errors, and the ratios asserted are 1.5 to 5
 * times away from 1. */
#include "test_sim.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

static char model_dir[] = "/tmp/bersim-test-ofdm-learned-XXXXXX";

static sim_link ofdm_link(unsigned pilots, ch_est_kind est, sim_rx_kind rx, const char *model)
{
    return (sim_link){.mod = CH_MOD_QPSK, .fading = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1},
                      .rx = rx, .model = model,
                      .ofdm = {.n = 64, .cp = 16, .pilots = pilots, .symbols = 1,
                               .profile = CH_PROFILE_EVA,
                               .sample_rate = CH_MULTIPATH_DEFAULT_FS, .est = est}};
}

/* Trains the unfolded receiver for `pilots` pilots (and clipping at clip x RMS, 0: none) and
 * saves it as name; its path. */
static const char *train_clipped(const char *name, unsigned pilots, double clip, uint64_t steps,
                                 double lr)
{
    static char path[300];
    snprintf(path, sizeof path, "%s/%s", model_dir, name);
    sim_link link = ofdm_link(pilots, CH_EST_PERFECT, SIM_RX_HARD, NULL);
    link.ofdm.clip = clip;
    sim_train_config cfg = {.link = &link, .ebn0_lo = 15, .ebn0_hi = 35, .steps = steps,
                            .batch = 256, .seed = 2385, .lr = lr};
    nn_net *net;
    nn_meta *meta;
    if (sim_train(&cfg, &net, &meta) != SIM_OK) fail_msg("%s", sim_last_error());
    assert_int_equal(nn_model_save(path, net, meta), 0);
    nn_net_destroy(net);
    nn_meta_destroy(meta);
    return path;
}

static const char *train(const char *name, unsigned pilots, uint64_t steps, double lr)
{
    return train_clipped(name, pilots, 0, steps, lr);
}

/* Bit errors of the link over exactly max_bits bits at ebn0 (point 0, seed 7). */
static uint64_t errors(sim_link link, double ebn0, uint64_t max_bits)
{
    sim_chain *c = test_chain(link, 0);
    sim_counts n = test_run_point(c, 7, 0, ebn0, UINT64_MAX, max_bits, 2);
    sim_chain_destroy(c);
    return n.bit_errors;
}

/* Before training the network is least squares with linear interpolation and one-tap
 * decisions, built into its weights: a step of 1e-9 leaves every weight where the structure put
 * it (float steps near 1 are 1.2e-7), and its decisions are LS's but for the rounding of a
 * different order of sums (a handful of near-ties in 2 million bits). */
static void test_starts_at_least_squares(void **state)
{
    (void)state;
    const char *model = train("start.model", 8, 1, 1e-9);
    for (double ebn0 = 10; ebn0 <= 30; ebn0 += 20) {
        uint64_t nn = errors(ofdm_link(8, CH_EST_PERFECT, SIM_RX_NN, model), ebn0, 2000000);
        uint64_t ls = errors(ofdm_link(8, CH_EST_LS, SIM_RX_HARD, NULL), ebn0, 2000000);
        print_message("  %4.1f dB: untrained %llu errors, LS %llu\n", ebn0,
                      (unsigned long long)nn, (unsigned long long)ls);
        assert_true(ls > 10000);
        assert_true(nn + 20 >= ls && nn <= ls + 20);
    }
}

/* With 8 pilots LS interpolation and LMMSE floor; the trained receiver, which re-estimates the
 * channel from its own soft decisions, does not: fewer errors than either at 15 and 25 dB. */
static void test_beats_ls_and_lmmse_with_8_pilots(void **state)
{
    (void)state;
    const char *model = train("p8.model", 8, 3000, 0.01);
    for (double ebn0 = 15; ebn0 <= 25; ebn0 += 10) {
        uint64_t nn = errors(ofdm_link(8, CH_EST_PERFECT, SIM_RX_NN, model), ebn0, 4000000);
        uint64_t ls = errors(ofdm_link(8, CH_EST_LS, SIM_RX_MAXLOG, NULL), ebn0, 4000000);
        uint64_t lmmse = errors(ofdm_link(8, CH_EST_LMMSE, SIM_RX_MAXLOG, NULL), ebn0, 4000000);
        print_message("  %4.1f dB: learned %llu errors, LS %llu, LMMSE %llu\n", ebn0,
                      (unsigned long long)nn, (unsigned long long)ls,
                      (unsigned long long)lmmse);
        assert_true(nn > 1000);
        assert_true(1.5 * (double)nn < (double)lmmse && lmmse < ls);
    }
}

/* With 64 pilots LMMSE is within 0.3 dB of perfect CSI; the receiver trained with the default
 * steps is within 0.5 dB of LMMSE at BER 1e-3 (LMMSE reaches it near 24 dB): 0.5 dB more Eb/N0
 * gives it fewer errors than LMMSE makes at 24 dB. */
static void test_near_lmmse_with_64_pilots(void **state)
{
    (void)state;
    const char *model = train("p64.model", 64, 10000, 0.01);
    uint64_t nn = errors(ofdm_link(64, CH_EST_PERFECT, SIM_RX_NN, model), 24.5, 20000000);
    uint64_t lmmse = errors(ofdm_link(64, CH_EST_LMMSE, SIM_RX_MAXLOG, NULL), 24.0, 20000000);
    print_message("  learned at 24.5 dB %llu errors, LMMSE at 24 dB %llu\n",
                  (unsigned long long)nn, (unsigned long long)lmmse);
    assert_true(lmmse > 10000 && lmmse < 40000);
    assert_true(nn < lmmse);
}

/* The link with clipping at 1.0 x RMS, 64 pilots, and the learned receiver's reconstruction
 * passes. */
static sim_link clipped(ch_est_kind est, sim_rx_kind rx, const char *model, unsigned declip)
{
    sim_link link = ofdm_link(64, est, rx, model);
    link.ofdm.clip = 1.0;
    link.ofdm.declip = declip;
    return link;
}

/* Clipping at 1.0 x RMS leaves distortion 12 dB below the data; the learned receiver's two passes
 * of reconstruction from its own decisions (sim/rx_declip.h), each frame keeping the pass whose
 * decisions explain it best, take most of it off: fewer errors than LMMSE at 10, 20 and 30 dB,
 * and at 20 and 30 dB at least 3% fewer than the same network without them (4e6 bits,
 * thousands of errors, the same frames). */
static void test_clipping_reconstruction(void **state)
{
    (void)state;
    const char *model = train_clipped("clip.model", 64, 1.0, 3000, 0.01);
    for (double ebn0 = 10; ebn0 <= 30; ebn0 += 10) {
        uint64_t plain = errors(clipped(CH_EST_PERFECT, SIM_RX_NN, model, 0), ebn0, 4000000);
        uint64_t declip = errors(clipped(CH_EST_PERFECT, SIM_RX_NN, model, 2), ebn0, 4000000);
        uint64_t lmmse = errors(clipped(CH_EST_LMMSE, SIM_RX_MAXLOG, NULL, 0), ebn0, 4000000);
        print_message("  %4.1f dB: learned %llu errors, with reconstruction %llu, LMMSE %llu\n",
                      ebn0, (unsigned long long)plain, (unsigned long long)declip,
                      (unsigned long long)lmmse);
        assert_true(declip > 1000);
        assert_true(declip < lmmse);
        if (ebn0 > 10) assert_true((double)declip < 0.97 * (double)plain);
    }
}

static int make_dir(void **state)
{
    (void)state;
    gsl_set_error_handler_off();
    return mkdtemp(model_dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    const char *names[] = {"start.model", "p8.model", "p64.model", "clip.model"};
    char path[400];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", model_dir, names[i]);
        unlink(path);
    }
    return rmdir(model_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starts_at_least_squares),
        cmocka_unit_test(test_beats_ls_and_lmmse_with_8_pilots),
        cmocka_unit_test(test_near_lmmse_with_64_pilots),
        cmocka_unit_test(test_clipping_reconstruction),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
