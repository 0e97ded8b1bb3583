/* bersim bench figures of OFDM: the comparison workload of the OFDM link loop. */
#include "bench.h"

#include <complex.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <channel.h>
#include <nn.h>

#include "rx_ofdm_net.h"

#define OFDM_N 64
#define OFDM_CP 16
/* OFDM symbols a call, as the simulator's OFDM stage runs them, and calls between two reads of
 * the clock. */
#define OFDM_FRAMES 64
#define OFDM_BATCH 16

/* Errors of the hard Gray QPSK decisions on y/h against the bits sent (bits[2i] on the I axis,
 * bits[2i + 1] on Q, bit 0 on the positive level, as ch_modem_map puts them): the equaliser of
 * ch_modem_demap_hard, z = y conj(h) / |h|^2, with its decisions (z < 0 on each axis) and the
 * count in one pass, which spares the decided bits' buffer and a second pass over them. */
static uint32_t zf_qpsk_errors(size_t nsym, const float complex *y, const float complex *h,
                               const uint8_t *bits)
{
    uint32_t e = 0;
    for (size_t i = 0; i < nsym; i++) {
        float yr = crealf(y[i]), yi = cimagf(y[i]), hr = crealf(h[i]), hi = cimagf(h[i]);
        float g = hr * hr + hi * hi, inv = g > 0 ? 1 / g : 0;
        float zr = (yr * hr + yi * hi) * inv, zi = (yi * hr - yr * hi) * inv;
        e += (uint32_t)((zr < 0) ^ bits[2 * i]) + (uint32_t)((zi < 0) ^ bits[2 * i + 1]);
    }
    return e;
}

/* ofdm_frame: per OFDM symbol, 128 bits onto 64 Gray QPSK subcarriers, inverse FFT, a prefix of
 * 16, the exp 8-tap channel drawn anew, AWGN on all 80 samples (Es/N0 10 dB), FFT, one-tap ZF
 * with the true response (the nearest point to y/h), hard decisions and the error count. */
static double bench_ofdm_frame(double min_seconds, int threads)
{
    (void)threads;
    ch_ofdm_config cfg = {.n = OFDM_N, .cp = OFDM_CP, .symbols = 1};
    ch_profile_make(CH_PROFILE_EXP, 0, &cfg.profile);
    ch_ofdm *o = ch_ofdm_create(&cfg);
    ch_ofdm_worker *w = o ? ch_ofdm_worker_create(o) : NULL;
    ch_modem *m = ch_modem_create(CH_MOD_QPSK);
    ch_rng *r = ch_rng_create(2385, 40);
    static uint8_t bits[2 * OFDM_N * OFDM_FRAMES];
    /* aligned as FFTW's arrays, so that the transforms read s and write h without a copy (ofdm.c) */
    static _Alignas(64) float complex s[OFDM_N * OFDM_FRAMES], y[OFDM_N * OFDM_FRAMES],
        h[OFDM_N * OFDM_FRAMES];
    const size_t nsym = OFDM_N * OFDM_FRAMES;
    double rate = -1;
    if (w && m && r) {
        uint64_t errors = 0, symbols = 0;
        double start = sim_bench_now(), elapsed;
        do {
            for (int b = 0; b < OFDM_BATCH; b++) {
                ch_rng_bits(r, 2 * nsym, bits);
                ch_modem_map(m, nsym, bits, s);
                ch_ofdm_frames(o, w, r, 0.1f, OFDM_FRAMES, s, y, h);
                errors += zf_qpsk_errors(nsym, y, h, bits);
            }
            symbols += OFDM_BATCH * OFDM_FRAMES;
            elapsed = sim_bench_now() - start;
        } while (elapsed < min_seconds);
        sim_bench_sink((double)errors);
        rate = (double)symbols / elapsed;
    }
    ch_rng_destroy(r);
    ch_modem_destroy(m);
    ch_ofdm_worker_destroy(w);
    ch_ofdm_destroy(o);
    return rate;
}

/* ofdm_nn: inference of the learned OFDM receiver (the unfolded network of rx_ofdm_net.h, as
 * trained by default: its starting weights, as speed does not depend on them) for frames of one
 * pilot symbol with 8 pilots and one data symbol of 64 QPSK subcarriers over EVA, prefix 16, 32
 * frames a call as the detector stage runs them. Frames per second. */
static double bench_ofdm_nn(double min_seconds, int threads)
{
    (void)threads;
    enum { FRAMES = 32, N_IN = 4 * OFDM_N, N_OUT = 2 * (2 * OFDM_N - 8) };
    static float x[FRAMES * N_IN], out[FRAMES * N_OUT];
    sim_link link = {.mod = CH_MOD_QPSK, .rx = SIM_RX_NN,
                     .ofdm = {.n = OFDM_N, .cp = 16, .pilots = 8, .symbols = 1,
                              .profile = CH_PROFILE_EVA, .sample_rate = CH_MULTIPATH_DEFAULT_FS}};
    nn_net *net = sim_ofdm_net_create(&link, 0, FRAMES, 2385);
    nn_workspace *ws = net ? nn_workspace_create(net, FRAMES) : NULL;
    ch_rng *r = ch_rng_create(2385, 41);
    double rate = -1.0, sum = 0.0;
    if (ws && r) {
        ch_rng_gauss(r, FRAMES * N_IN, 1.0f, x);
        uint64_t frames = 0;
        double t0 = sim_bench_now(), elapsed = 0;
        do {
            nn_net_infer(net, ws, FRAMES, x, out);
            sum += out[0];
            frames += FRAMES;
            elapsed = sim_bench_now() - t0;
        } while (elapsed < min_seconds);
        sim_bench_sink(sum);
        rate = (double)frames / elapsed;
    }
    ch_rng_destroy(r);
    nn_workspace_destroy(ws);
    nn_net_destroy(net);
    return rate;
}

const sim_bench_figure sim_bench_ofdm_figures[] = {
    {"ofdm_frame", "sym/s", bench_ofdm_frame},
    {"ofdm_nn", "frame/s", bench_ofdm_nn},
    {NULL, NULL, NULL},
};
