// ctest-labels: slow
/* End-to-end learning: the channel as a layer (its noise and gains, and its Jacobian), the whole
 * transmitter-channel-receiver chain against finite differences, and short trainings from fixed
 * seeds: (7,4) against Hamming (7,4) with soft ML, (2,2) against QPSK, a 16-point constellation
 * against Gray 16-QAM; model files and their refusals. */
#include "test_sim.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "e2e.h"
#include "e2e_channel.h"

static char dir[] = "/tmp/bersim-test-e2e-XXXXXX";

/* The noise has variance sigma^2 per real, the fading output carries h, and a fixed noise makes
 * the layer a function. */
static void test_channel_layer_statistics(void **state)
{
    (void)state;
    enum { B = 4096, N = 4 };
    sim_chan_layer *c = sim_chan_layer_create(N, false, B, 2385, 0);
    nn_layer_spec spec = sim_chan_layer_spec(c);
    nn_net_config nc = {.n_in = N, .max_batch = B, .seed = 1};
    nn_net *net = nn_net_create(&nc, 1, &spec);
    assert_non_null(net);
    static float x[B * N], side[B];
    for (size_t i = 0; i < B; i++) side[i] = 0.385f;
    assert_int_equal(nn_net_set_side(net, 0, side), NN_OK);
    assert_int_equal(nn_net_forward(net, B, x), NN_OK);
    const float *z = nn_net_output(net);
    double sum = 0;
    for (size_t i = 0; i < B * N; i++) sum += (double)z[i] * z[i];
    double var = sum / (B * N), want = 0.385 * 0.385;
    assert_close(var, want, 3.29 * sqrt(2.0 / (B * N)), 0); /* 99.9% for a chi-square mean */
    nn_net_destroy(net);
    sim_chan_layer_destroy(c);
}

/* Loss of the net on (x, y) in double, through its float forward. */
static double loss_of(nn_net *net, size_t n, const float *x, const float *y)
{
    double loss;
    assert_int_equal(nn_net_forward(net, n, x), NN_OK);
    assert_int_equal(nn_net_loss(net, y, &loss), NN_OK);
    return loss;
}

/* The gradient of the whole chain (embedding, power normalisation, Rayleigh channel with CSI and
 * fixed noise, receiver, softmax cross-entropy) against central differences of the loss, every
 * parameter: transmitter parameters get their gradient only through the channel's backward. A
 * channel whose backward forgets the conjugate fails the same check. */
static void test_chain_gradient(void **state)
{
    (void)state;
    enum { B = 24, N = 4, M = 8 };
    sim_chan_layer *c = sim_chan_layer_create(N, true, B, 2385, 0);
    static float noise[B * N], side[B * (1 + N)], x[B * M], y[B * M];
    ch_rng *r = ch_rng_create(7, 7);
    ch_rng_gauss(r, B * N, 1.0f, noise);
    ch_rng_gauss(r, B * (1 + N), 0.7f, side);
    for (size_t i = 0; i < B; i++) {
        side[i * (1 + N)] = 0.2385f;
        x[i * M + i % M] = 1;
        y[i * M + (i * 3) % M] = 1;
    }
    sim_chan_layer_fix_noise(c, noise);
    nn_layer_spec specs[] = {{.kind = NN_LAYER_DENSE, .n_out = N, .act = NN_ACT_IDENTITY},
                             {.kind = NN_LAYER_POWER_NORM}, sim_chan_layer_spec(c),
                             {.kind = NN_LAYER_DENSE, .n_out = 16, .act = NN_ACT_TANH},
                             {.kind = NN_LAYER_DENSE, .n_out = M, .act = NN_ACT_IDENTITY},
                             {.kind = NN_LAYER_LOSS, .loss = NN_LOSS_SOFTMAX_CE}};
    nn_net_config nc = {.n_in = M, .max_batch = B, .seed = 11};
    nn_net *net = nn_net_create(&nc, 6, specs);
    assert_non_null(net);
    assert_int_equal(nn_net_set_side(net, 2, side), NN_OK);
    nn_net_zero_grad(net);
    loss_of(net, B, x, y);
    assert_int_equal(nn_net_backward(net), NN_OK);
    size_t p = nn_net_n_params(net);
    float *theta = nn_net_params(net), *grad = malloc(p * sizeof *grad);
    memcpy(grad, nn_net_grads(net), p * sizeof *grad);
    double worst = 0, rms = 0;
    for (size_t i = 0; i < p; i++) rms += (double)grad[i] * grad[i];
    rms = sqrt(rms / p);
    for (size_t i = 0; i < p; i++) {
        float keep = theta[i];
        const float h = 1e-2f;
        theta[i] = keep + h;
        double up = loss_of(net, B, x, y);
        theta[i] = keep - h;
        double down = loss_of(net, B, x, y);
        theta[i] = keep;
        double fd = (up - down) / (2 * h), e = fabs(fd - grad[i]) / (fabs(fd) + 0.05 * rms);
        if (e > worst) worst = e;
    }
    print_message("  whole chain: worst gradient error %.2e over %zu parameters\n", worst, p);
    assert_true(worst < 0.02);
    free(grad);
    nn_net_destroy(net);
    ch_rng_destroy(r);
    sim_chan_layer_destroy(c);
}

static sim_e2e *train(sim_e2e_mode mode, unsigned n, unsigned k, double lo, double hi,
                      uint64_t steps)
{
    size_t hidden[2] = {mode == SIM_E2E_BLOCK ? 4u << k : 64, 64};
    sim_e2e_config cfg = {.mode = mode, .n = n, .k = k, .channel = CH_CHAN_AWGN, .ebn0_lo = lo,
                          .ebn0_hi = hi, .hidden = hidden,
                          .n_hidden = mode == SIM_E2E_BLOCK ? 1 : 2, .steps = steps,
                          .batch = 512, .seed = 2385, .lr = 0.003};
    sim_e2e *e;
    if (sim_e2e_train(&cfg, &e) != SIM_OK) fail_msg("%s", sim_last_error());
    return e;
}

/* Trains and saves a pair, then simulates it beside a classical link on the same seed. */
static sim_counts simulate_pair(const sim_e2e *e, const char *name, double ebn0)
{
    char path[300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(sim_e2e_save(e, path), SIM_OK);
    sim_link link = {.e2e_model = path, .fading = {.kind = CH_CHAN_AWGN, .coherence = 1}};
    sim_chain *c = test_chain(link, 0);
    sim_engine_config cfg = {.chain = c, .seed = 9, .min_errors = 1, .min_block_errors = 1500,
                             .max_bits = 1ull << 40, .threads = 2};
    sim_counts counts;
    assert_int_equal(sim_engine_run_point(&cfg, 0, ebn0, &counts), SIM_OK);
    sim_chain_destroy(c);
    return counts;
}

/* (7,4) after 20000 steps: block error rate within 1.3 times Hamming (7,4) soft ML's at 6 dB
 * (measured: 1.1 times; 1.3 is about 0.1 dB there) and below hard decoding's. */
static void test_autoencoder_74(void **state)
{
    (void)state;
    sim_e2e *e = train(SIM_E2E_BLOCK, 7, 4, 0, 8, 20000);
    sim_counts ae = simulate_pair(e, "ae74.model", 6.0);
    sim_link ham = {.mod = CH_MOD_BPSK, .fading = {.kind = CH_CHAN_AWGN, .coherence = 1},
                    .rx = SIM_RX_MAXLOG, .code = {.name = "hamming74", .decoder = SIM_DEC_ML}};
    sim_chain *c = test_chain(ham, 0);
    sim_engine_config cfg = {.chain = c, .seed = 9, .min_errors = 1, .min_block_errors = 1500,
                             .max_bits = 1ull << 40, .threads = 2};
    sim_counts ml;
    assert_int_equal(sim_engine_run_point(&cfg, 0, 6.0, &ml), SIM_OK);
    ch_code *h = ch_code_create("hamming74", 0);
    double hard;
    assert_int_equal(sim_theory_code_hard(h, 6.0, &hard), SIM_OK);
    double bler_ae = (double)ae.block_errors / ae.blocks, bler_ml = (double)ml.block_errors / ml.blocks;
    print_message("  (7,4) at 6 dB: autoencoder %.3e, Hamming ML %.3e, hard %.3e\n", bler_ae,
                  bler_ml, hard);
    assert_true(bler_ae < 1.3 * bler_ml && bler_ae < 0.5 * hard);
    ch_code_destroy(h);
    sim_chain_destroy(c);
    sim_e2e_destroy(e);
}

/* (2,2) finds QPSK: four points of energy 1 at right angles, and QPSK's symbol error rate at
 * 6 dB as its message error rate (its labels are its own, not Gray's: the BER may differ). */
static void test_autoencoder_22_is_qpsk(void **state)
{
    (void)state;
    sim_e2e *e = train(SIM_E2E_BLOCK, 2, 2, 0, 10, 10000);
    const float *b = sim_e2e_codebook(e);
    for (int i = 0; i < 4; i++) assert_close(hypot(b[2 * i], b[2 * i + 1]), 1.0, 0.05, 0);
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++) {
            double d = hypot(b[2 * i] - b[2 * j], b[2 * i + 1] - b[2 * j + 1]);
            assert_true(fabs(d - sqrt(2.0)) < 0.1 || fabs(d - 2.0) < 0.1); /* sides, diagonals */
        }
    sim_counts c = simulate_pair(e, "ae22.model", 6.0);
    ch_fading_config awgn = {.kind = CH_CHAN_AWGN, .coherence = 1};
    double ber, ser, lo, hi;
    assert_int_equal(sim_theory_point(CH_MOD_QPSK, &awgn, 6.0, &ber, &ser), SIM_OK);
    sim_clopper_pearson(c.block_errors, c.blocks, 0.999, &lo, &hi);
    print_message("  (2,2) at 6 dB: message error rate in [%.4e, %.4e], QPSK SER %.4e\n", lo, hi,
                  ser);
    assert_true(lo <= ser && ser <= hi);
    sim_e2e_destroy(e);
}

/* A learned 16-point constellation (from Gray 16-QAM, shaped at Eb/N0 2-6 dB) has, with exact
 * LLRs of its points and labels, bitwise mutual information no lower than Gray 16-QAM's at Es/N0
 * 8, 10 and 12 dB; a save and load round trip keeps it. */
static void test_learned_constellation(void **state)
{
    (void)state;
    sim_e2e *e = train(SIM_E2E_BITS, 2, 4, 2, 6, 20000);
    const float *b = sim_e2e_codebook(e);
    float complex pts[16];
    for (int i = 0; i < 16; i++) pts[i] = b[2 * i] + b[2 * i + 1] * I;
    ch_modem *mine = ch_modem_from_points(16, pts, "learned"), *gray = ch_modem_create(CH_MOD_16QAM);
    for (double es = 8; es <= 12; es += 2) {
        double a, g;
        assert_int_equal(sim_bmi(NULL, mine, es, 1u << 20, 3, &a), SIM_OK);
        assert_int_equal(sim_bmi(NULL, gray, es, 1u << 20, 3, &g), SIM_OK);
        print_message("  Es/N0 %.0f dB: learned %.5f, Gray 16-QAM %.5f bits\n", es, a, g);
        assert_true(a >= g - 0.002); /* 2^20 symbols: the estimates' spread is below 1e-3 */
    }
    char path[300];
    snprintf(path, sizeof path, "%s/c16.model", dir);
    assert_int_equal(sim_e2e_save(e, path), SIM_OK);
    sim_e2e *back = sim_e2e_load(path);
    assert_non_null(back);
    assert_memory_equal(sim_e2e_codebook(back), b, 32 * sizeof(float));
    assert_int_equal(sim_e2e_get_mode(back), SIM_E2E_BITS);
    sim_e2e_destroy(back);
    ch_modem_destroy(mine);
    ch_modem_destroy(gray);
    sim_e2e_destroy(e);
}

/* Models that are not pairs, or whose codebook text is damaged, are refused by name. */
static void test_refusals(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/other.model", dir);
    size_t hidden[] = {8};
    sim_link l = {.mod = CH_MOD_QPSK, .fading = {.kind = CH_CHAN_AWGN, .coherence = 1},
                  .rx = SIM_RX_NN};
    sim_train_config cfg = {.link = &l, .ebn0_lo = 0, .ebn0_hi = 5, .hidden = hidden,
                            .n_hidden = 1, .steps = 10, .batch = 64, .seed = 1, .lr = 0.01};
    nn_net *net;
    nn_meta *meta;
    assert_int_equal(sim_train(&cfg, &net, &meta), SIM_OK);
    assert_int_equal(nn_model_save(path, net, meta), NN_OK);
    assert_null(sim_e2e_load(path));
    assert_non_null(strstr(sim_last_error(), "not an end-to-end pair"));
    nn_meta_set(meta, "role", "e2e");
    nn_meta_set(meta, "e2e_mode", "block");
    nn_meta_set(meta, "e2e_n_k", "2,2");
    nn_meta_set(meta, "codebook", "1 0 0 1 -1 0 0 nan");
    assert_int_equal(nn_model_save(path, net, meta), NN_OK);
    assert_null(sim_e2e_load(path));
    sim_e2e_config bad = {.mode = SIM_E2E_BLOCK, .n = 3, .k = 9, .channel = CH_CHAN_AWGN,
                          .batch = 1};
    assert_int_equal(sim_e2e_check(&bad), SIM_EINVAL);
    bad.k = 2, bad.channel = CH_CHAN_RAYLEIGH;
    assert_int_equal(sim_e2e_check(&bad), SIM_EINVAL); /* odd N over fading */
    nn_net_destroy(net);
    nn_meta_destroy(meta);
    unlink(path);
}

static int make_dir(void **state)
{
    (void)state;
    gsl_set_error_handler_off();
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    const char *names[] = {"ae74.model", "ae22.model", "c16.model"};
    char path[300];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channel_layer_statistics),
        cmocka_unit_test(test_chain_gradient),
        cmocka_unit_test(test_autoencoder_74),
        cmocka_unit_test(test_autoencoder_22_is_qpsk),
        cmocka_unit_test(test_learned_constellation),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
