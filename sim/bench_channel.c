/* bersim bench figures of channel: Gaussian generation and the bare link loops built on it.
 *
 * Each figure works on L1-sized blocks of BENCH_BLOCK symbols with static scratch, allocates
 * nothing in its loop, repeats until min_seconds have passed and returns its throughput. */
#include "bench.h"

#include <complex.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"

/* Symbols (or variates) per block: the scratch of a figure stays within L1. */
#define BENCH_BLOCK 4096
/* Blocks between two reads of the clock. */
#define BENCH_BATCH 16

/* Eb/N0 of the link figures: errors occur (the counts are real work) without dominating. */
#define BENCH_EBN0_DB 4.0

static uint8_t bits[4 * BENCH_BLOCK], dec[4 * BENCH_BLOCK];
static float noise[2 * BENCH_BLOCK];
static float complex x[BENCH_BLOCK], y[BENCH_BLOCK], h[BENCH_BLOCK];

/* n0 for unit-energy symbols of k bits at BENCH_EBN0_DB. */
static double bench_n0(unsigned k)
{
    return pow(10.0, -BENCH_EBN0_DB / 10) / k;
}

/* Runs the block statement (the variadic part, so that it may hold commas) in batches until
 * min_seconds have passed, and sets rate to units per second. */
#define BENCH_LOOP(min_seconds, units_per_block, ...)                                              \
    do {                                                                                           \
        double start_ = sim_bench_now(), elapsed_;                                                 \
        uint64_t blocks_ = 0;                                                                      \
        do {                                                                                       \
            for (int b_ = 0; b_ < BENCH_BATCH; b_++) {                                             \
                __VA_ARGS__;                                                                       \
            }                                                                                      \
            blocks_ += BENCH_BATCH;                                                                \
            elapsed_ = sim_bench_now() - start_;                                                   \
        } while (elapsed_ < (min_seconds));                                                        \
        rate = (double)blocks_ * (units_per_block) / elapsed_;                                     \
    } while (0)

/* gauss: N(0, 1) variates into a float array. */
static double bench_gauss(double min_seconds, int threads)
{
    (void)threads;
    ch_rng *r = ch_rng_create(2385, 1);
    if (!r) return -1;
    double rate, sum = 0;
    BENCH_LOOP(min_seconds, BENCH_BLOCK, {
        ch_rng_gauss(r, BENCH_BLOCK, 1.0f, noise);
        sum += noise[b_];
    });
    sim_bench_sink(sum);
    ch_rng_destroy(r);
    return rate;
}

/* bpsk_awgn: bits, x = 1 - 2b, y = x + n, decision y < 0, errors counted. Only the in-phase
 * noise reaches a BPSK decision, so one real N(0, n0/2) variate per bit is the whole channel. */
static double bench_bpsk_awgn(double min_seconds, int threads)
{
    (void)threads;
    ch_rng *r = ch_rng_create(2385, 2);
    if (!r) return -1;
    const float sigma = (float)sqrt(bench_n0(1) / 2);
    uint64_t errors = 0;
    double rate;
    BENCH_LOOP(min_seconds, BENCH_BLOCK, {
        ch_rng_bits(r, BENCH_BLOCK, bits);
        ch_rng_gauss(r, BENCH_BLOCK, sigma, noise);
        uint32_t e = 0;
        for (size_t i = 0; i < BENCH_BLOCK; i++) {
            float yi = (bits[i] ? -1.0f : 1.0f) + noise[i];
            e += (uint8_t)(yi < 0) ^ bits[i];
        }
        errors += e;
    });
    sim_bench_sink((double)errors);
    ch_rng_destroy(r);
    return rate;
}

/* Errors between n sent and decided bits (each 0 or 1). Partial sums in 16 bits over chunks
 * of 4096 cannot overflow and let the compiler keep four times as many lanes per vector. */
static uint32_t count_errors(size_t n, const uint8_t *a, const uint8_t *b)
{
    uint32_t e = 0;
    for (size_t i = 0; i < n; i += 4096) {
        size_t end = n - i < 4096 ? n : i + 4096;
        uint16_t part = 0;
        for (size_t j = i; j < end; j++)
            part += (uint16_t)(a[j] ^ b[j]);
        e += part;
    }
    return e;
}

/* y = x + w for n complex samples, w ~ CN(0, n0) given as 2n interleaved re, im variates: a
 * float complex array is a float array of twice the length (C11 6.2.5). */
static void add_noise(size_t n, const float *w, const float complex *xs, float complex *ys)
{
    const float *xf = (const float *)xs;
    float *yf = (float *)ys;
    for (size_t f = 0; f < 2 * n; f++)
        yf[f] = xf[f] + w[f];
}

/* qam16_awgn_hard: bits, Gray 16-QAM mapper, CN(0, n0) noise, per-axis slicer, errors. The
 * noise is added in the generator's pass (ch_rng_gauss_add: the variates of ch_rng_gauss, the
 * same sums as drawing them and adding). */
static double bench_qam16_awgn_hard(double min_seconds, int threads)
{
    (void)threads;
    ch_rng *r = ch_rng_create(2385, 3);
    ch_modem *m = ch_modem_create(CH_MOD_16QAM);
    double rate = -1;
    if (!r || !m) goto done;
    const float sigma = (float)sqrt(bench_n0(4) / 2);
    uint64_t errors = 0;
    BENCH_LOOP(min_seconds, 4 * BENCH_BLOCK, {
        ch_rng_bits(r, 4 * BENCH_BLOCK, bits);
        ch_modem_map(m, BENCH_BLOCK, bits, y);
        ch_rng_gauss_add(r, 2 * BENCH_BLOCK, sigma, (float *)y);
        ch_modem_demap_hard(m, BENCH_BLOCK, y, NULL, dec);
        errors += count_errors(4 * BENCH_BLOCK, bits, dec);
    });
    sim_bench_sink((double)errors);
done:
    ch_modem_destroy(m);
    ch_rng_destroy(r);
    return rate;
}

/* Soft demapping, max-log or exact, of received symbols of modem m with their n0; the symbols
 * are drawn once (AWGN at BENCH_EBN0_DB), the demapper runs over them again and again. sym/s;
 * takes m. */
static double bench_soft(ch_modem *m, double min_seconds, int exact)
{
    static float n0[BENCH_BLOCK], llr[8 * BENCH_BLOCK];
    static uint8_t sent[8 * BENCH_BLOCK];
    ch_rng *r = ch_rng_create(2385, 4);
    double rate = -1, sum = 0;
    if (!r || !m) goto done;
    const unsigned k = ch_modem_bits_per_symbol(m);
    const float n0_val = (float)bench_n0(k);
    ch_rng_bits(r, k * BENCH_BLOCK, sent);
    ch_modem_map(m, BENCH_BLOCK, sent, x);
    ch_rng_gauss(r, 2 * BENCH_BLOCK, sqrtf(n0_val / 2), noise);
    add_noise(BENCH_BLOCK, noise, x, y);
    for (size_t i = 0; i < BENCH_BLOCK; i++)
        n0[i] = n0_val;
    BENCH_LOOP(min_seconds, BENCH_BLOCK, {
        if (exact)
            ch_modem_demap_exact(m, BENCH_BLOCK, y, NULL, n0, llr);
        else
            ch_modem_demap_maxlog(m, BENCH_BLOCK, y, NULL, n0, llr);
        sum += llr[b_];
    });
    sim_bench_sink(sum);
done:
    ch_modem_destroy(m);
    ch_rng_destroy(r);
    return rate;
}

/* qam16_maxlog: 16-QAM max-log LLRs from received symbols (the per-axis path). sym/s. */
static double bench_qam16_maxlog(double min_seconds, int threads)
{
    (void)threads;
    return bench_soft(ch_modem_create(CH_MOD_16QAM), min_seconds, 0);
}

/* qam16_exact: 16-QAM exact log-MAP LLRs from received symbols. sym/s. */
static double bench_qam16_exact(double min_seconds, int threads)
{
    (void)threads;
    return bench_soft(ch_modem_create(CH_MOD_16QAM), min_seconds, 1);
}

/* psk8_maxlog, psk8_exact: 8-PSK (the general path over all points). sym/s. */
static double bench_psk8_maxlog(double min_seconds, int threads)
{
    (void)threads;
    return bench_soft(ch_modem_create(CH_MOD_8PSK), min_seconds, 0);
}

static double bench_psk8_exact(double min_seconds, int threads)
{
    (void)threads;
    return bench_soft(ch_modem_create(CH_MOD_8PSK), min_seconds, 1);
}

/* The 16-QAM points as a custom constellation: the general path on the points that
 * qam16_maxlog and qam16_exact demap by axes. */
static ch_modem *custom16(void)
{
    ch_modem *q = ch_modem_create(CH_MOD_16QAM);
    ch_modem *m = q ? ch_modem_from_points(16, ch_modem_points(q), "custom16") : NULL;
    ch_modem_destroy(q);
    return m;
}

/* custom16_maxlog, custom16_exact: sym/s. */
static double bench_custom16_maxlog(double min_seconds, int threads)
{
    (void)threads;
    return bench_soft(custom16(), min_seconds, 0);
}

static double bench_custom16_exact(double min_seconds, int threads)
{
    (void)threads;
    return bench_soft(custom16(), min_seconds, 1);
}

/* bpsk_rayleigh: bits, BPSK, fast Rayleigh gains h from ch_fading_gains, y = h x + w with
 * w ~ CN(0, n0), coherent decision Re(conj(h) y) < 0, errors counted. */
static double bench_bpsk_rayleigh(double min_seconds, int threads)
{
    (void)threads;
    ch_rng *r = ch_rng_create(2385, 5);
    ch_fading *f = ch_fading_create(&(ch_fading_config){.kind = CH_CHAN_RAYLEIGH, .coherence = 1});
    double rate = -1;
    if (!r || !f) goto done;
    const float sigma = (float)sqrt(bench_n0(1) / 2);
    uint64_t errors = 0;
    ch_fading_reset(f, r);
    BENCH_LOOP(min_seconds, BENCH_BLOCK, {
        ch_rng_bits(r, BENCH_BLOCK, bits);
        ch_fading_gains(f, r, BENCH_BLOCK, h);
        ch_rng_gauss(r, 2 * BENCH_BLOCK, sigma, noise);
        uint32_t e = 0;
        for (size_t i = 0; i < BENCH_BLOCK; i++) {
            float hr = crealf(h[i]), hi = cimagf(h[i]), xi = bits[i] ? -1.0f : 1.0f;
            float yr = hr * xi + noise[2 * i], yi = hi * xi + noise[2 * i + 1];
            e += (uint8_t)(hr * yr + hi * yi < 0) ^ bits[i];
        }
        errors += e;
    });
    sim_bench_sink((double)errors);
done:
    ch_fading_destroy(f);
    ch_rng_destroy(r);
    return rate;
}

const sim_bench_figure sim_bench_channel_figures[] = {
    {"gauss", "samples/s", bench_gauss},
    {"bpsk_awgn", "bit/s", bench_bpsk_awgn},
    {"qam16_awgn_hard", "bit/s", bench_qam16_awgn_hard},
    {"qam16_maxlog", "sym/s", bench_qam16_maxlog},
    {"bpsk_rayleigh", "bit/s", bench_bpsk_rayleigh},
    {"qam16_exact", "sym/s", bench_qam16_exact},
    {"psk8_maxlog", "sym/s", bench_psk8_maxlog},
    {"psk8_exact", "sym/s", bench_psk8_exact},
    {"custom16_maxlog", "sym/s", bench_custom16_maxlog},
    {"custom16_exact", "sym/s", bench_custom16_exact},
    {NULL, NULL, NULL},
};
