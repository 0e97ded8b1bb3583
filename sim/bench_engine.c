/* bersim bench figures of the Monte Carlo engine: the work of the bare loops of bench_channel.c
 * (bpsk_awgn, qam16_maxlog, bpsk_rayleigh) through chunking, ordered sums, stop rules, threads
 * and MPI ranks, and 16-QAM under block and Doppler fading. */
#include "bench.h"

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "sched_mpi.h"
#include "sim_error.h"

/* Bits per engine run: large enough that per-point set-up is negligible; short runs (a check
 * that every figure works) take fewer. */
#define BENCH_POINT_BITS (1ull << 28)
#define BENCH_SHORT_POINT_BITS (1ull << 22)

/* Runs points of link at ebn0_db until min_seconds have passed; bits (or symbols, per_symbol)
 * a second. */
static double engine_rate(const sim_link *link, double ebn0_db, int per_symbol,
                          double min_seconds, int threads)
{
    sim_chain *chain = sim_chain_create(link, 0);
    double rate = -1;
    if (!chain) return rate;
    sim_engine_config cfg = {.chain = chain, .seed = 2385, .min_errors = UINT64_MAX,
                             .max_bits = min_seconds < 0.1 ? BENCH_SHORT_POINT_BITS
                                                           : BENCH_POINT_BITS,
                             .threads = threads};
    uint64_t bits = 0;
    double start = sim_bench_now(), elapsed;
    unsigned point = 0;
    do {
        sim_counts c;
        if (sim_engine_run_point(&cfg, point++, ebn0_db, &c) != SIM_OK) goto done;
        bits += c.bits;
        sim_bench_sink((double)c.bit_errors);
        elapsed = sim_bench_now() - start;
    } while (elapsed < min_seconds);
    rate = (double)bits / elapsed;
    if (per_symbol) rate /= sim_chain_bits_per_symbol(chain);
done:
    sim_chain_destroy(chain);
    return rate;
}

static const sim_link bpsk_awgn = {
    .mod = CH_MOD_BPSK, .fading = {.kind = CH_CHAN_AWGN, .coherence = 1}, .rx = SIM_RX_HARD};

/* Bits a second over every rank of mpirun (R ranks of `threads` threads; one rank: the
 * threads' scheduler alone). Ranks other than 0 serve rank 0's points and return 0. */
static double sim_bpsk_awgn_mpi(double min_seconds, int threads)
{
    if (sim_mpi_ranks() == 1) return engine_rate(&bpsk_awgn, 6.0, 0, min_seconds, threads);
    sim_chain *chain = sim_chain_create(&bpsk_awgn, 0);
    double rate = -1;
    if (!chain) return rate; /* every rank fails alike: none has begun a point */
    sim_engine_config cfg = {.chain = chain, .seed = 2385, .min_errors = UINT64_MAX,
                             .max_bits = min_seconds < 0.1 ? BENCH_SHORT_POINT_BITS
                                                           : BENCH_POINT_BITS,
                             .threads = threads};
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

/* sim_bpsk_awgn, sim_bpsk_awgn_mt: bit/s. */
static double sim_bpsk_awgn(double min_seconds, int threads)
{
    (void)threads;
    return engine_rate(&bpsk_awgn, 6.0, 0, min_seconds, 1);
}

static double sim_bpsk_awgn_mt(double min_seconds, int threads)
{
    return engine_rate(&bpsk_awgn, 6.0, 0, min_seconds, threads);
}

/* sim_bpsk_rayleigh: BPSK, fast Rayleigh fading, perfect CSI, hard decisions. bit/s. */
static double sim_bpsk_rayleigh(double min_seconds, int threads)
{
    (void)threads;
    sim_link link = {.mod = CH_MOD_BPSK, .fading = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1},
                     .rx = SIM_RX_HARD};
    return engine_rate(&link, 4.0, 0, min_seconds, 1);
}

/* sim_qam16_maxlog: 16-QAM over AWGN, max-log LLRs, bit errors of their signs. sym/s. */
static double sim_qam16_maxlog(double min_seconds, int threads)
{
    (void)threads;
    sim_link link = {.mod = CH_MOD_16QAM, .fading = {.kind = CH_CHAN_AWGN, .coherence = 1},
                     .rx = SIM_RX_MAXLOG};
    return engine_rate(&link, 4.0, 1, min_seconds, 1);
}

/* block_qam16, doppler_qam16: 16-QAM max-log over Rayleigh fading with perfect CSI, block
 * fading of 64 symbols against Doppler fading at f_D T = 0.01. sym/s. */
static double block_qam16(double min_seconds, int threads)
{
    (void)threads;
    sim_link link = {.mod = CH_MOD_16QAM,
                     .fading = {.kind = CH_CHAN_RAYLEIGH, .coherence = 64},
                     .rx = SIM_RX_MAXLOG};
    return engine_rate(&link, 10.0, 1, min_seconds, 1);
}

static double doppler_qam16(double min_seconds, int threads)
{
    (void)threads;
    sim_link link = {.mod = CH_MOD_16QAM,
                     .fading = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1, .doppler = 0.01},
                     .rx = SIM_RX_MAXLOG};
    return engine_rate(&link, 10.0, 1, min_seconds, 1);
}

const sim_bench_figure sim_bench_engine_figures[] = {
    {"sim_bpsk_awgn", "bit/s", sim_bpsk_awgn},
    {"sim_bpsk_awgn_mt", "bit/s", sim_bpsk_awgn_mt},
    {"sim_bpsk_awgn_mpi", "bit/s", sim_bpsk_awgn_mpi},
    {"sim_bpsk_rayleigh", "bit/s", sim_bpsk_rayleigh},
    {"sim_qam16_maxlog", "sym/s", sim_qam16_maxlog},
    {"block_qam16", "sym/s", block_qam16},
    {"doppler_qam16", "sym/s", doppler_qam16},
    {NULL, NULL, NULL},
};
