/* bersim bench figures of the Monte Carlo engine: the bpsk_awgn work through chunking, ordered
 * sums, stop rules, threads and MPI ranks. */
#include "bench.h"

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "sched_mpi.h"
#include "sim_error.h"

/* Bits per engine run: large enough that per-point set-up is negligible. */
#define BENCH_POINT_BITS (1ull << 28)

static double engine_rate(double min_seconds, int threads)
{
    sim_link link = {.mod = CH_MOD_BPSK, .fading = {.kind = CH_CHAN_AWGN, .coherence = 1},
                     .rx = SIM_RX_HARD};
    sim_chain *chain = sim_chain_create(&link, 0);
    double rate = -1;
    if (!chain) return rate;
    sim_engine_config cfg = {.chain = chain, .seed = 2385, .min_errors = UINT64_MAX,
                             .max_bits = BENCH_POINT_BITS, .threads = threads};
    uint64_t bits = 0;
    double start = sim_bench_now(), elapsed;
    unsigned point = 0;
    do {
        sim_counts c;
        if (sim_engine_run_point(&cfg, point++, 6.0, &c) != SIM_OK) goto done;
        bits += c.bits;
        sim_bench_sink((double)c.bit_errors);
        elapsed = sim_bench_now() - start;
    } while (elapsed < min_seconds);
    rate = (double)bits / elapsed;
done:
    sim_chain_destroy(chain);
    return rate;
}

/* Bits a second over every rank of mpirun (R ranks of `threads` threads; one rank: the
 * threads' scheduler alone). Ranks other than 0 serve rank 0's points and return 0. */
static double sim_bpsk_awgn_mpi(double min_seconds, int threads)
{
    if (sim_mpi_ranks() == 1) return engine_rate(min_seconds, threads);
    sim_link link = {.mod = CH_MOD_BPSK, .fading = {.kind = CH_CHAN_AWGN, .coherence = 1},
                     .rx = SIM_RX_HARD};
    sim_chain *chain = sim_chain_create(&link, 0);
    double rate = -1;
    if (!chain) return rate; /* every rank fails alike: none has begun a point */
    sim_engine_config cfg = {.chain = chain, .seed = 2385, .min_errors = UINT64_MAX,
                             .max_bits = BENCH_POINT_BITS, .threads = threads};
    if (sim_mpi_rank() > 0) {
        rate = sim_mpi_serve(&cfg) == SIM_OK ? 0 : -1;
        sim_chain_destroy(chain);
        return rate;
    }
    uint64_t bits = 0;
    double start = sim_bench_now(), elapsed;
    unsigned point = 0;
    bool failed = false;
    do {
        sim_counts c;
        failed = sim_mpi_run_point(&cfg, point++, 6.0, &c) != SIM_OK;
        bits += c.bits;
        elapsed = sim_bench_now() - start;
    } while (!failed && elapsed < min_seconds);
    sim_mpi_end_points();
    sim_chain_destroy(chain);
    return failed ? -1 : (double)bits / elapsed;
}

static double sim_bpsk_awgn(double min_seconds, int threads)
{
    (void)threads;
    return engine_rate(min_seconds, 1);
}

static double sim_bpsk_awgn_mt(double min_seconds, int threads)
{
    return engine_rate(min_seconds, threads);
}

const sim_bench_figure sim_bench_engine_figures[] = {
    {"sim_bpsk_awgn", "bit/s", sim_bpsk_awgn},
    {"sim_bpsk_awgn_mt", "bit/s", sim_bpsk_awgn_mt},
    {"sim_bpsk_awgn_mpi", "bit/s", sim_bpsk_awgn_mpi},
    {NULL, NULL, NULL},
};
