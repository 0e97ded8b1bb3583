/* bersim bench figures of channel codes: the bare decoders on fixed noisy LLRs (information
 * bits or codewords per second), a learned decoder's inference, and the coded engine. */
#include "bench.h"

#include <math.h>
#include <stdlib.h>

#include "chain.h"
#include "engine.h"
#include "sim_error.h"

/* LLRs of nwords random codewords of c over BPSK/AWGN at Eb/N0 = ebn0_db, into llr[nwords n]. */
static int noisy_words(const ch_code *c, size_t nwords, double ebn0_db, float *llr)
{
    unsigned n = ch_code_n(c), k = ch_code_k(c);
    uint8_t *u = malloc(nwords * k), *x = malloc(nwords * n);
    float *w = malloc(nwords * n * sizeof *w);
    ch_rng *r = ch_rng_create(2385, 9);
    int status = u && x && w && r ? 0 : -1;
    if (status == 0) {
        double sigma2 = 1 / (2 * ch_code_rate(c) * pow(10, ebn0_db / 10));
        ch_rng_bits(r, nwords * k, u);
        ch_code_encode(c, nwords, u, x);
        ch_rng_gauss(r, nwords * n, (float)sqrt(sigma2), w);
        for (size_t i = 0; i < nwords * n; i++)
            llr[i] = (float)(2 * ((x[i] ? -1.0 : 1.0) + w[i]) / sigma2);
    }
    free(u), free(x), free(w);
    ch_rng_destroy(r);
    return status;
}

/* Information bits per second of a classical decoder on fixed LLRs, blocks of nwords. */
static double decoder_rate(const char *code, ch_decoder_kind kind, size_t nwords,
                           double ebn0_db, double min_seconds)
{
    ch_code *c = ch_code_create(code, CH_CODE_DESIGN_EBN0_DB);
    ch_decoder *d = c ? ch_decoder_create(c, kind, 1, nwords) : NULL;
    float *llr = c ? malloc(nwords * ch_code_n(c) * sizeof *llr) : NULL;
    uint8_t *u = c ? malloc(nwords * ch_code_k(c)) : NULL;
    double rate = -1;
    if (d && llr && u && noisy_words(c, nwords, ebn0_db, llr) == 0) {
        uint64_t bits = 0, wrong = 0;
        double t0 = sim_bench_now(), elapsed;
        do {
            ch_decoder_run(d, nwords, llr, u, NULL, NULL);
            wrong += u[0];
            bits += nwords * ch_code_k(c);
            elapsed = sim_bench_now() - t0;
        } while (elapsed < min_seconds);
        sim_bench_sink((double)wrong);
        rate = (double)bits / elapsed;
    }
    free(llr), free(u);
    ch_decoder_destroy(d);
    ch_code_destroy(c);
    return rate;
}

/* code_ml_h74: block ML of Hamming (7,4) over its 16 codewords, 4096 blocks a call. */
static double code_ml_h74(double min_seconds, int threads)
{
    (void)threads;
    return decoder_rate("hamming74", CH_DEC_ML, 4096, 4.0, min_seconds);
}

/* polar_sc_1024: SC decoding of the rate-1/2 length-1024 polar code at 2 dB, 16 a call. */
static double polar_sc_1024(double min_seconds, int threads)
{
    (void)threads;
    return decoder_rate("polar:1024,512", CH_DEC_SC, 16, 2.0, min_seconds);
}

/* nn_decode_polar16: inference of a learned decoder of polar (16,8) of the default size
 * (16 -> 128 -> 64 -> 32 -> 8, ReLU), 4096 codewords a call in pieces of 256, as the decoder
 * stage runs it. Codewords per second. */
static double nn_decode_polar16(double min_seconds, int threads)
{
    (void)threads;
    enum { N = 4096, N_IN = 16, N_OUT = 8 };
    static float x[N * N_IN], out[N * N_OUT];
    const size_t widths[] = {128, 64, 32, N_OUT};
    const nn_act acts[] = {NN_ACT_RELU, NN_ACT_RELU, NN_ACT_RELU, NN_ACT_IDENTITY};
    nn_net_config cfg = {.n_in = N_IN, .max_batch = 256, .seed = 2385};
    nn_net *net = nn_mlp_create(&cfg, 4, widths, acts, NN_LOSS_SIGMOID_BCE);
    nn_workspace *ws = net ? nn_workspace_create(net, 256) : NULL;
    double rate = -1.0, sum = 0.0;
    ch_code *c = ch_code_create("polar16_8", 0);
    if (ws && c && noisy_words(c, N, 4.0, x) == 0) {
        uint64_t words = 0;
        double t0 = sim_bench_now(), elapsed = 0;
        do {
            nn_net_infer(net, ws, N, x, out);
            sum += out[0];
            words += N;
            elapsed = sim_bench_now() - t0;
        } while (elapsed < min_seconds);
        sim_bench_sink(sum);
        rate = (double)words / elapsed;
    }
    ch_code_destroy(c);
    nn_workspace_destroy(ws);
    nn_net_destroy(net);
    return rate;
}

/* y[i] += w[i], the real parts, as the channel stage adds them: through wc[2n], w with
 * quadrature parts -0 (x + -0 is x), one sum over contiguous floats. Adding to every second float
 * in place, clang 14 wrote them with scatters. */
static void add_inphase(size_t n, const float *restrict w, float *restrict wc,
                        float complex *restrict y)
{
    float *yf = (float *)y; /* C11 6.2.5: a complex is an array of two reals */
    for (size_t i = 0; i < n; i++) {
        wc[2 * i] = w[i];
        wc[2 * i + 1] = -0.0f;
    }
    for (size_t i = 0; i < 2 * n; i++) yf[i] += wc[i];
}

/* The same coded BPSK/AWGN link as a bare loop, without the engine: bits, encoder, BPSK, in-phase
 * noise, max-log LLRs, decoder, error count, a frame of whole codewords at a time, calling the
 * functions the chain's stages call. The engine's overhead is the difference. */
static double bare_coded_rate(const char *code, ch_decoder_kind kind, double ebn0_db,
                              double min_seconds)
{
    enum { FRAME = 4096 };
    ch_code *c = ch_code_create(code, CH_CODE_DESIGN_EBN0_DB);
    ch_modem *m = ch_modem_create(CH_MOD_BPSK);
    size_t n = c ? ch_code_n(c) : 1, k = c ? ch_code_k(c) : 1, words = FRAME / n;
    ch_decoder *d = c ? ch_decoder_create(c, kind, 1, words) : NULL;
    ch_rng *r = ch_rng_create(2385, 12);
    static uint8_t u[FRAME], x[FRAME], dec[FRAME];
    static float complex y[FRAME];
    static float w[FRAME], wc[2 * FRAME], n0v[FRAME], llr[FRAME];
    double rate = -1;
    if (c && m && d && r) {
        float n0 = (float)ch_n0_from_ebn0(ebn0_db, 1, ch_code_rate(c)), s = sqrtf(n0 / 2);
        for (size_t i = 0; i < FRAME; i++) n0v[i] = n0;
        uint64_t bits = 0, errors = 0;
        double t0 = sim_bench_now(), elapsed;
        do {
            ch_rng_bits(r, words * k, u);
            ch_code_encode(c, words, u, x);
            ch_modem_map(m, words * n, x, y);
            ch_rng_gauss(r, words * n, s, w);
            add_inphase(words * n, w, wc, y);
            ch_modem_demap_maxlog(m, words * n, y, NULL, n0v, llr);
            ch_decoder_run(d, words, llr, dec, NULL, NULL);
            for (size_t i = 0; i < words * k; i++) errors += u[i] ^ dec[i];
            bits += words * k;
            elapsed = sim_bench_now() - t0;
        } while (elapsed < min_seconds);
        sim_bench_sink((double)errors);
        rate = (double)bits / elapsed;
    }
    ch_rng_destroy(r);
    ch_decoder_destroy(d);
    ch_modem_destroy(m);
    ch_code_destroy(c);
    return rate;
}

static double coded_h74_bare(double min_seconds, int threads)
{
    (void)threads;
    return bare_coded_rate("hamming74", CH_DEC_ML, 4.0, min_seconds);
}

static double coded_polar_sc_bare(double min_seconds, int threads)
{
    (void)threads;
    return bare_coded_rate("polar:1024,512", CH_DEC_SC, 2.0, min_seconds);
}

/* Information bits per second of a coded BPSK/AWGN link through the engine, one thread. */
static double coded_engine_rate(const char *code, sim_dec_kind dec, double ebn0_db,
                                double min_seconds)
{
    sim_link link = {.mod = CH_MOD_BPSK, .fading = {.kind = CH_CHAN_AWGN, .coherence = 1},
                     .rx = SIM_RX_MAXLOG,
                     .code = {.name = code, .design_ebn0_db = CH_CODE_DESIGN_EBN0_DB,
                              .decoder = dec}};
    sim_chain *chain = sim_chain_create(&link, 0);
    if (!chain) return -1;
    sim_engine_config cfg = {.chain = chain, .seed = 2385, .min_errors = UINT64_MAX,
                             .max_bits = 1 << 22, .threads = 1};
    uint64_t bits = 0;
    double t0 = sim_bench_now(), elapsed, rate = -1;
    unsigned point = 0;
    do {
        sim_counts c;
        if (sim_engine_run_point(&cfg, point++, ebn0_db, &c) != SIM_OK) goto done;
        bits += c.bits;
        sim_bench_sink((double)c.bit_errors);
        elapsed = sim_bench_now() - t0;
    } while (elapsed < min_seconds);
    rate = (double)bits / elapsed;
done:
    sim_chain_destroy(chain);
    return rate;
}

/* sim_code_ml_h74, sim_polar_sc_1024: the same decoders inside the whole chain (bits, encoder,
 * BPSK, AWGN, max-log LLRs, decoder, count). */
static double sim_code_ml_h74(double min_seconds, int threads)
{
    (void)threads;
    return coded_engine_rate("hamming74", SIM_DEC_ML, 4.0, min_seconds);
}

static double sim_polar_sc_1024(double min_seconds, int threads)
{
    (void)threads;
    return coded_engine_rate("polar:1024,512", SIM_DEC_SC, 2.0, min_seconds);
}

const sim_bench_figure sim_bench_code_figures[] = {
    {"code_ml_h74", "bit/s", code_ml_h74},
    {"polar_sc_1024", "bit/s", polar_sc_1024},
    {"nn_decode_polar16", "word/s", nn_decode_polar16},
    {"coded_h74_bare", "bit/s", coded_h74_bare},
    {"sim_code_ml_h74", "bit/s", sim_code_ml_h74},
    {"coded_polar_sc_bare", "bit/s", coded_polar_sc_bare},
    {"sim_polar_sc_1024", "bit/s", sim_polar_sc_1024},
    {NULL, NULL, NULL},
};
