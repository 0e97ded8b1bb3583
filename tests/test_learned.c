// ctest-labels: slow
/* Learned receivers on known SNR points: short training runs from fixed seeds, simulated with
 * the same random numbers as the classical receivers they are held against. */
#include "test_sim.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

static char model_dir[] = "/tmp/bersim-test-learned-XXXXXX";

/* The link of a modulation, channel and pilot spacing with receiver rx (and model). */
static sim_link link_of(ch_mod_kind mod, ch_fading_config fading, unsigned spacing,
                        sim_rx_kind rx, const char *model)
{
    sim_link link = {.mod = mod, .fading = fading, .pilot_spacing = spacing, .rx = rx,
                     .model = model};
    return link;
}

/* Trains a model for the link and saves it under name; returns its path (static storage). */
static const char *train_model(const char *name, ch_mod_kind mod, ch_fading_config fading,
                               unsigned spacing, double lo, double hi, uint64_t steps)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", model_dir, name);
    sim_link link = link_of(mod, fading, spacing, SIM_RX_MAXLOG, NULL);
    size_t hidden[] = {64, 64};
    sim_train_config cfg = {.link = &link, .ebn0_lo = lo, .ebn0_hi = hi, .hidden = hidden,
                            .n_hidden = 2, .steps = steps, .batch = 512, .seed = 2385,
                            .lr = 0.003};
    nn_net *net;
    nn_meta *meta;
    if (sim_train(&cfg, &net, &meta) != SIM_OK) fail_msg("%s", sim_last_error());
    assert_int_equal(nn_model_save(path, net, meta), 0);
    nn_net_destroy(net);
    nn_meta_destroy(meta);
    return path;
}

/* Bit errors of a receiver over a fixed number of bits; the same seed gives every receiver the
 * same bits, channel and noise. */
static sim_counts simulate(const sim_chain *c, double ebn0_db, uint64_t bits)
{
    return test_run_point(c, 99, 0, ebn0_db, UINT64_MAX, bits, 2);
}

static const ch_fading_config awgn = {.kind = CH_CHAN_AWGN, .coherence = 1};
static const ch_fading_config block8 = {.kind = CH_CHAN_RAYLEIGH, .coherence = 8};

/* 16-QAM over AWGN: the learned demapper's BER lies within 15% of exact log-MAP at 8 and 12 dB
 * (0.1 dB at 12 dB, where the BER falls 12-fold per 2 dB). */
static void test_awgn_16qam_demapper_near_exact(void **state)
{
    (void)state;
    const char *model = train_model("q16.model", CH_MOD_16QAM, awgn, 0, 0, 16, 3000);
    sim_chain *nn = test_chain(link_of(CH_MOD_16QAM, awgn, 0, SIM_RX_NN, model), 0);
    sim_chain *exact = test_chain(link_of(CH_MOD_16QAM, awgn, 0, SIM_RX_EXACT, NULL), 0);
    const double ebn0[] = {8.0, 12.0};
    const uint64_t bits[] = {2000000, 40000000};
    for (int i = 0; i < 2; i++) {
        sim_counts a = simulate(nn, ebn0[i], bits[i]);
        sim_counts b = simulate(exact, ebn0[i], bits[i]);
        double ratio = (double)a.bit_errors / (double)b.bit_errors;
        if (!(b.bit_errors > 500 && ratio > 1 / 1.15 && ratio < 1.15))
            fail_msg("%.0f dB: nn %llu errors, exact %llu", ebn0[i],
                     (unsigned long long)a.bit_errors, (unsigned long long)b.bit_errors);
    }
    sim_chain_destroy(nn);
    sim_chain_destroy(exact);
}

/* The learned LLRs are usable soft values: on the same frames at 10 dB their signs agree with
 * exact log-MAP's on 99.5% of the bits, their mean magnitude where exact's is below 10 (the
 * range a decoder weighs; BCE training puts little weight on surer bits, whose learned LLRs
 * stay smaller) is within 20%, and the bitwise mutual information 1 - E log2(1 + e^(-s llr))
 * (s = +-1 the sent bit's sign) is within 0.005 bit of exact's. */
static void test_awgn_16qam_llrs_near_exact(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/q16.model", model_dir);
    sim_chain *nn = test_chain(link_of(CH_MOD_16QAM, awgn, 0, SIM_RX_NN, path), 0);
    sim_chain *exact = test_chain(link_of(CH_MOD_16QAM, awgn, 0, SIM_RX_EXACT, NULL), 0);
    enum { N = 4096 };
    static uint8_t bits[4 * N], decided[4 * N];
    static float complex y[N];
    static float n0[N], llr_nn[4 * N], llr_exact[4 * N];
    ch_rng *r = ch_rng_create(7, 7);
    ch_link link = {.modem = sim_chain_modem(nn), .ebn0_lo_db = 10, .ebn0_hi_db = 10,
                    .code_rate = 1};
    assert_int_equal(ch_pairs_fill(&link, r, 0, N, bits, y, NULL, n0), 0);
    sim_chain_worker *wn = sim_chain_worker_create(nn), *we = sim_chain_worker_create(exact);
    assert_true(sim_chain_max_frame(nn) >= N);
    sim_chain_detect(wn, N, y, NULL, n0, decided, llr_nn);
    sim_chain_detect(we, N, y, NULL, n0, decided, llr_exact);
    double agree = 0, mag_nn = 0, mag_exact = 0, info_nn = 0, info_exact = 0;
    for (size_t i = 0; i < 4 * N; i++) {
        double s = bits[i] ? -1 : 1;
        agree += (llr_nn[i] < 0) == (llr_exact[i] < 0);
        if (fabs(llr_exact[i]) < 10) {
            mag_nn += fabs(llr_nn[i]);
            mag_exact += fabs(llr_exact[i]);
        }
        info_nn += 1 - log1p(exp(-s * llr_nn[i])) / log(2);
        info_exact += 1 - log1p(exp(-s * llr_exact[i])) / log(2);
    }
    assert_true(agree / (4 * N) > 0.995);
    assert_close(mag_nn / mag_exact, 1.0, 0, 0.2);
    assert_close(info_nn / (4 * N), info_exact / (4 * N), 0, 0.005);
    sim_chain_worker_destroy(wn);
    sim_chain_worker_destroy(we);
    ch_rng_destroy(r);
    sim_chain_destroy(nn);
    sim_chain_destroy(exact);
}

/* Bitwise MAP decisions of a data symbol y seen with its block's pilot observation y_p over
 * block Rayleigh fading, written here from the model alone: (y_p, y) given x is CN(0, C) with
 * C = [[1 + n0, conj x], [x, |x|^2 + n0]], so log p = -(|y_p|^2 (|x|^2 + n0) + |y|^2 (1 + n0)
 * - 2 Re(conj(x) y conj(y_p))) / det C - log det C, det C = n0 (1 + n0 + |x|^2); each bit is
 * decided by the sign of the log-sum-exp difference over the points. */
static void map_decide(const ch_modem *m, float complex yp, float complex y, double n0,
                       uint8_t *bits)
{
    unsigned k = ch_modem_bits_per_symbol(m), M = ch_modem_order(m);
    const float complex *pts = ch_modem_points(m);
    double ll[256], best = -INFINITY;
    for (unsigned s = 0; s < M; s++) {
        double complex x = pts[s];
        double e = creal(x) * creal(x) + cimag(x) * cimag(x), det = n0 * (1 + n0 + e);
        double q = creal(conj(x) * y * conj(yp));
        double a = cabs(yp), b = cabs(y);
        ll[s] = -(a * a * (e + n0) + b * b * (1 + n0) - 2 * q) / det - log(det);
        if (ll[s] > best) best = ll[s];
    }
    for (unsigned j = 0; j < k; j++) {
        double p0 = 0, p1 = 0;
        for (unsigned s = 0; s < M; s++) {
            double w = exp(ll[s] - best);
            if ((s >> (k - 1 - j)) & 1) p1 += w; else p0 += w;
        }
        bits[j] = p1 > p0;
    }
}

/* Bit errors of the learned and the LS receiver and of bitwise MAP over the same blocks, given
 * to the receivers 512 blocks at a time. */
static void pilot_errors(const sim_chain *nn, const sim_chain *ls, double ebn0_db,
                         size_t nblocks, uint64_t err[3])
{
    enum { N = 8, PIECE = 512 * N };
    const ch_modem *m = sim_chain_modem(nn);
    unsigned k = ch_modem_bits_per_symbol(m);
    ch_fading *fading = ch_fading_create(&block8);
    ch_pilots *pilots = ch_pilots_create_block(N);
    ch_rng *r = ch_rng_create(4242, 0);
    ch_link link = {.modem = m, .fading = fading, .ebn0_lo_db = ebn0_db, .ebn0_hi_db = ebn0_db,
                    .code_rate = (N - 1.0) / N};
    size_t nsym = nblocks * N, nbits = nblocks * (N - 1) * k;
    uint8_t *tx = malloc(nbits), *rx = malloc(nbits);
    float complex *y = malloc(nsym * sizeof *y);
    float *n0 = malloc(nblocks * sizeof *n0), *n0sym = malloc(nsym * sizeof *n0sym);
    sim_chain_worker *ws[2] = {sim_chain_worker_create(nn), sim_chain_worker_create(ls)};
    assert_int_equal(ch_pairs_fill_pilot(&link, r, pilots, nblocks, tx, y, NULL, n0), 0);
    for (size_t i = 0; i < nsym; i++) n0sym[i] = n0[i / N];
    assert_true(sim_chain_max_frame(nn) >= PIECE && nsym % PIECE == 0);
    for (int i = 0; i < 2; i++) {
        size_t per_piece = PIECE / N * (N - 1) * k;
        for (size_t at = 0; at < nsym; at += PIECE)
            sim_chain_detect(ws[i], PIECE, y + at, NULL, n0sym + at, rx + at / PIECE * per_piece,
                             NULL);
        err[i] = 0;
        for (size_t b = 0; b < nbits; b++) err[i] += tx[b] != rx[b];
        sim_chain_worker_destroy(ws[i]);
    }
    err[2] = 0;
    for (size_t b = 0; b < nblocks; b++)
        for (unsigned j = 1; j < N; j++) {
            uint8_t d[8];
            size_t at = (b * (N - 1) + j - 1) * k;
            map_decide(m, y[b * N], y[b * N + j], n0[b], d);
            for (unsigned t = 0; t < k; t++) err[2] += d[t] != tx[at + t];
        }
    free(tx), free(rx), free(y), free(n0), free(n0sym);
    ch_rng_destroy(r);
    ch_pilots_destroy(pilots);
    ch_fading_destroy(fading);
}

/* Block Rayleigh fading, one pilot per 8 symbols, no CSI, 16-QAM: the bitwise MAP detector is
 * the bound, least squares with coherent max-log lies measurably above it, and the learned
 * detector must come within 1.5% of MAP's errors and below LS's, on the same bits, gains and
 * noise (2^20 data bits a point, 70000 to 150000 errors). LS is 2.6-2.9% above MAP at 5 and
 * 10 dB; a learned receiver that far off fails (measured: 0.9% above MAP after 4000 steps). */
static void test_pilot_detector_near_map(void **state)
{
    (void)state;
    const char *model = train_model("p16.model", CH_MOD_16QAM, block8, 8, 0, 30, 4000);
    sim_chain *nn = test_chain(link_of(CH_MOD_16QAM, block8, 8, SIM_RX_NN, model), 0);
    sim_chain *ls = test_chain(link_of(CH_MOD_16QAM, block8, 8, SIM_RX_MAXLOG, NULL), 0);
    const double ebn0[] = {5.0, 10.0};
    for (int i = 0; i < 2; i++) {
        uint64_t e[3];
        pilot_errors(nn, ls, ebn0[i], 1u << 15, e);
        printf("    %.0f dB: nn %llu, LS %llu, MAP %llu bit errors\n", ebn0[i],
               (unsigned long long)e[0], (unsigned long long)e[1], (unsigned long long)e[2]);
        if (!(e[0] < e[1] && e[0] <= 1.015 * e[2] && e[1] > 1.02 * e[2]))
            fail_msg("%.0f dB: nn %llu errors, LS %llu, MAP %llu", ebn0[i],
                     (unsigned long long)e[0], (unsigned long long)e[1], (unsigned long long)e[2]);
    }
    sim_chain_destroy(nn);
    sim_chain_destroy(ls);
}

/* Doppler-correlated fading (f_D T_s = 0.02), a pilot every 8 symbols: least squares holds each
 * block's estimate while h drifts, which floors its BER; the learned detector, seeing the
 * previous pilot too, follows the drift: at 20 dB it makes less than half LS's errors. */
static void test_pilot_window_follows_doppler(void **state)
{
    (void)state;
    ch_fading_config jakes = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1, .doppler = 0.02};
    const char *model = train_model("d4.model", CH_MOD_QPSK, jakes, 8, 0, 30, 3000);
    sim_chain *nn = test_chain(link_of(CH_MOD_QPSK, jakes, 8, SIM_RX_NN, model), 0);
    sim_chain *ls = test_chain(link_of(CH_MOD_QPSK, jakes, 8, SIM_RX_MAXLOG, NULL), 0);
    sim_counts a = simulate(nn, 20.0, 2000000);
    sim_counts b = simulate(ls, 20.0, 2000000);
    if (!(2 * a.bit_errors < b.bit_errors))
        fail_msg("nn %llu errors, LS %llu", (unsigned long long)a.bit_errors,
                 (unsigned long long)b.bit_errors);
    sim_chain_destroy(nn);
    sim_chain_destroy(ls);
}

/* A learned decoder of Hamming (7,4) over BPSK/AWGN: after 8000 steps its block error rate at
 * 5 dB is within 1.3 times block ML's on the same seed (0.1 dB there) and its BER within 1.3 times
 * bitwise MAP's, far below hard decoding's. */
static void test_learned_decoder(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/dec.model", model_dir);
    sim_link link = {.mod = CH_MOD_BPSK, .fading = awgn, .rx = SIM_RX_MAXLOG,
                     .code = {.name = "hamming74", .decoder = SIM_DEC_NN}};
    size_t hidden[] = {128, 64, 32};
    sim_train_config cfg = {.link = &link, .ebn0_lo = 0, .ebn0_hi = 8, .hidden = hidden,
                            .n_hidden = 3, .steps = 8000, .batch = 512, .seed = 2385,
                            .lr = 0.004};
    nn_net *net;
    nn_meta *meta;
    if (sim_train(&cfg, &net, &meta) != SIM_OK) fail_msg("%s", sim_last_error());
    assert_int_equal(nn_model_save(path, net, meta), 0);
    nn_net_destroy(net);
    nn_meta_destroy(meta);
    link.model = path;
    sim_counts c[3];
    const sim_dec_kind kinds[3] = {SIM_DEC_NN, SIM_DEC_ML, SIM_DEC_MAP};
    for (int i = 0; i < 3; i++) {
        link.code.decoder = kinds[i];
        link.model = kinds[i] == SIM_DEC_NN ? path : NULL;
        sim_chain *ch = test_chain(link, 0);
        sim_engine_config ec = {.chain = ch, .seed = 5, .min_errors = 3000,
                                .min_block_errors = 1500, .max_bits = 1ull << 40, .threads = 2};
        assert_int_equal(sim_engine_run_point(&ec, 0, 5.0, &c[i]), SIM_OK);
        sim_chain_destroy(ch);
    }
    double bler[3], ber[3];
    for (int i = 0; i < 3; i++)
        bler[i] = (double)c[i].block_errors / c[i].blocks, ber[i] = (double)c[i].bit_errors / c[i].bits;
    print_message("  5 dB: nn BLER %.3e BER %.3e; ML BLER %.3e; MAP BER %.3e\n", bler[0], ber[0],
                  bler[1], ber[2]);
    assert_true(bler[0] < 1.3 * bler[1] && ber[0] < 1.3 * ber[2]);
}

static void expect_refused(ch_mod_kind mod, ch_fading_config fading, unsigned spacing,
                           const char *model, const char *word)
{
    sim_link link = link_of(mod, fading, spacing, SIM_RX_NN, model);
    assert_null(sim_chain_create(&link, 0));
    if (!strstr(sim_last_error(), word))
        fail_msg("'%s' does not name '%s'", sim_last_error(), word);
}

/* A model is only used for the link it was trained for, and a damaged file is refused. */
static void test_model_mismatch_and_damage(void **state)
{
    (void)state;
    char q16[256], p16[256], bad[300];
    snprintf(q16, sizeof q16, "%s/q16.model", model_dir);
    snprintf(p16, sizeof p16, "%s/p16.model", model_dir);
    ch_fading_config fast = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1};
    ch_fading_config block4 = {.kind = CH_CHAN_RAYLEIGH, .coherence = 4};
    ch_fading_config jakes = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1, .doppler = 0.02};
    expect_refused(CH_MOD_64QAM, awgn, 0, q16, "modulation 16qam, not 64qam");
    expect_refused(CH_MOD_16QAM, fast, 0, q16, "channel awgn, not rayleigh");
    expect_refused(CH_MOD_16QAM, fast, 0, p16, "input layout 'pilot'");
    expect_refused(CH_MOD_16QAM, block4, 4, p16, "every 8 symbols, not 4");
    expect_refused(CH_MOD_16QAM, jakes, 8, p16, "needs 'pilot_window'");
    expect_refused(CH_MOD_16QAM, awgn, 0, "/nonexistent/model", "/nonexistent/model");
    /* One flipped byte in the parameters. */
    snprintf(bad, sizeof bad, "%s/flipped.model", model_dir);
    FILE *in = fopen(q16, "rb"), *out = fopen(bad, "wb");
    assert_non_null(in);
    assert_non_null(out);
    int c;
    for (long i = 0; (c = fgetc(in)) != EOF; i++) fputc(i == 700 ? c ^ 0x10 : c, out);
    fclose(in);
    fclose(out);
    expect_refused(CH_MOD_16QAM, awgn, 0, bad, "checksum");
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
    const char *names[] = {"q16.model", "p16.model", "d4.model", "flipped.model", "dec.model"};
    char path[300];
    for (size_t i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/%s", model_dir, names[i]);
        unlink(path);
    }
    return rmdir(model_dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_awgn_16qam_demapper_near_exact),
        cmocka_unit_test(test_awgn_16qam_llrs_near_exact),
        cmocka_unit_test(test_pilot_detector_near_map),
        cmocka_unit_test(test_pilot_window_follows_doppler),
        cmocka_unit_test(test_model_mismatch_and_damage),
        cmocka_unit_test(test_learned_decoder),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
