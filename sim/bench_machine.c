/* bersim bench figures of the machine itself: its single-core FP32 peak of fused multiply-adds,
 * so that every other figure can be read against what the core can do. */
#include "bench.h"

#include <stddef.h>
#include <stdint.h>

#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

/* Independent accumulators: more than FMA latency (4 cycles) times FMA pipes (2), so that the
 * chains never wait on one another and the loop runs at the pipes' throughput. */
#define FMA_CHAINS 12
/* FMAs per chain between two reads of the clock: a slice of about 0.1 ms at peak. */
#define FMA_ROUNDS 4096

/* The peak is the best rate of any slice, not the mean: a slice the scheduler interrupts (on
 * a shared machine) is slower, one that runs through is the core's own rate. */
static double best_rate(double rate, double best)
{
    return rate > best ? rate : best;
}

#if defined(__AVX512F__)
typedef __m512 fma_vec;
#define FMA_LANES 16
#define fma_set1 _mm512_set1_ps
#define fma_fmadd _mm512_fmadd_ps
#define fma_add _mm512_add_ps
#define fma_sum _mm512_reduce_add_ps
#elif defined(__FMA__)
typedef __m256 fma_vec;
#define FMA_LANES 8
#define fma_set1 _mm256_set1_ps
#define fma_fmadd _mm256_fmadd_ps
#define fma_add _mm256_add_ps
static float fma_sum(__m256 v)
{
    float lanes[8], s = 0;
    _mm256_storeu_ps(lanes, v);
    for (int i = 0; i < 8; i++) s += lanes[i];
    return s;
}
#endif

#ifdef FMA_LANES
/* FMA_CHAINS vectors of chains x = x a + b with a just below 1, so nothing over- or underflows;
 * 2 flops a lane an FMA. GFLOP/s. */
static double fma_peak(double min_seconds, int threads)
{
    (void)threads;
    fma_vec x[FMA_CHAINS];
    const fma_vec a = fma_set1(0.999999f), b = fma_set1(1e-7f);
    for (int c = 0; c < FMA_CHAINS; c++)
        x[c] = fma_set1(1.0f + 0.01f * (float)c);
    double t0 = sim_bench_now(), t = t0, best = 0;
    do {
        for (int r = 0; r < FMA_ROUNDS; r++)
            for (int c = 0; c < FMA_CHAINS; c++)
                x[c] = fma_fmadd(x[c], a, b);
        double now = sim_bench_now();
        best = best_rate(2.0 * FMA_LANES * FMA_CHAINS * FMA_ROUNDS / (now - t) * 1e-9, best);
        t = now;
    } while (t - t0 < min_seconds);
    fma_vec s = x[0];
    for (int c = 1; c < FMA_CHAINS; c++)
        s = fma_add(s, x[c]);
    sim_bench_sink(fma_sum(s));
    return best;
}
#else
/* A build without FMA instructions (portable): the peak of separate multiplies and adds over
 * independent chains, which the compiler vectorises as wide as the build allows. */
static double fma_peak(double min_seconds, int threads)
{
    (void)threads;
    enum { LANES = 16 * FMA_CHAINS };
    float x[LANES];
    for (int c = 0; c < LANES; c++)
        x[c] = 1.0f + 0.001f * (float)c;
    double t0 = sim_bench_now(), t = t0, best = 0;
    do {
        for (int r = 0; r < FMA_ROUNDS; r++)
            for (int c = 0; c < LANES; c++)
                x[c] = x[c] * 0.999999f + 1e-7f;
        double now = sim_bench_now();
        best = best_rate(2.0 * LANES * FMA_ROUNDS / (now - t) * 1e-9, best);
        t = now;
    } while (t - t0 < min_seconds);
    double s = 0;
    for (int c = 0; c < LANES; c++)
        s += x[c];
    sim_bench_sink(s);
    return best;
}
#endif

const sim_bench_figure sim_bench_machine_figures[] = {
    {"fma_peak", "GFLOP/s", fma_peak},
    {NULL, NULL, NULL},
};
