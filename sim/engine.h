/* The Monte Carlo BER engine.
 *
 * Work is cut into chunks of a fixed number of symbols, independent of the thread count. Chunk
 * c of SNR point p draws every random number from the stream (seed, p << 40 | c) and the chunks'
 * counts are added in chunk order; the stop rules are checked on that ordered sum. So --seed
 * fixes every count whatever --threads is. Threads claim chunks at most SIM_ENGINE_WINDOW ahead
 * of the ordered sum, so memory does not grow with the number of bits. */
#ifndef SIM_ENGINE_H
#define SIM_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <channel.h>

#include "receiver.h"

/* Symbols per chunk (rounded up to whole coherence blocks). */
#define SIM_ENGINE_CHUNK_SYMBOLS 16384
/* How many chunks threads may run ahead of the ordered sum. */
#define SIM_ENGINE_WINDOW 64

/* Counts of one SNR point. */
typedef struct {
    double ebn0_db;
    double esn0_db;
    uint64_t bits, bit_errors;
    uint64_t symbols, symbol_errors;
    uint64_t chunks;       /* chunks summed; each is an independent fading realisation */
    double chunk_error_sq; /* sum over chunks of (bit errors of the chunk)^2 */
} sim_counts;

/* On channels with memory (block or Doppler fading) a point stops on --min-errors only after
 * this many chunks, so that the errors come from many independent fades and the spread of the
 * chunks' counts (sim_counts.chunk_error_sq) can measure their correlation. */
#define SIM_ENGINE_MIN_CHUNKS_MEMORY 32

/* True when errors are correlated from symbol to symbol on this channel (block or Doppler
 * fading), so that the counts are not binomial. */
bool sim_channel_has_memory(const ch_fading_config *fading);

/* Progress of the point in flight, for a progress line. */
typedef void (*sim_progress_fn)(const sim_counts *so_far, double bits_per_second,
                                double seconds, void *user);

typedef struct {
    const ch_modem *modem;       /* borrowed */
    ch_fading_config fading;     /* the channel */
    double code_rate;            /* information bits per coded bit and pilot overhead:
                                    1 when uncoded without pilots, (N-1)/N with pilots */
    unsigned pilot_spacing;      /* 0: perfect CSI; N >= 2: a pilot leads each block of N
                                    symbols (fading coherence N), receivers get no h */
    const sim_receiver *rx;      /* borrowed */
    uint64_t seed;
    uint64_t min_errors;         /* a point stops once it has this many bit errors ... */
    uint64_t max_bits;           /* ... or this many bits, whichever comes first */
    int threads;                 /* >= 1 */
    volatile sig_atomic_t *stop; /* set asynchronously (Ctrl-C): finish the chunks in flight and
                                    return SIM_ENGINE_INTERRUPTED; may be NULL */
    bool generic_only;           /* run every link through the general chain of stages, never
                                    the fused BPSK path (for tests that compare the two) */
    sim_progress_fn progress;    /* called about 4 times a second, or NULL */
    void *progress_user;
} sim_engine_config;

enum {
    SIM_ENGINE_OK = 0,
    SIM_ENGINE_INTERRUPTED = 1,
    SIM_ENGINE_ENOMEM = -1,
    SIM_ENGINE_EINVAL = -2, /* pilot_spacing does not fit the fading (engine.c) */
};

/* Threads beyond this are not started. */
#define SIM_ENGINE_MAX_THREADS 1024

/* Symbols in each chunk of this configuration: SIM_ENGINE_CHUNK_SYMBOLS rounded up to whole
 * coherence blocks or pilot blocks. */
size_t sim_engine_chunk_symbols(const sim_engine_config *cfg);

/* Simulates SNR point number point_index at Eb/N0 = ebn0_db into *out. Returns SIM_ENGINE_OK,
 * SIM_ENGINE_INTERRUPTED (the point is incomplete, *out holds what was counted),
 * SIM_ENGINE_ENOMEM, or SIM_ENGINE_EINVAL when pilots do not fit the fading (a pilot spacing
 * N >= 2 needs block fading of coherence N, or Doppler fading of coherence 1). */
int sim_engine_run_point(const sim_engine_config *cfg, unsigned point_index, double ebn0_db,
                         sim_counts *out);

#endif
