/* The Monte Carlo engine, in three pieces:
 *
 *   the chunk runner   chunk c of point p -> its counts (sim_engine_run_chunk): a pure function
 *                      of the chain, the seed, p and c. Chunk c of point p draws every random
 *                      number from the stream (seed, p << 40 | c);
 *   the stop decision  the ordered sum of the chunks' counts and the stop rule on it
 *                      (sim_ordered_sum, sim_stop_reached): pure, no threads, no clock;
 *   a scheduler        hands out groups of chunks and brings their counts back to the ordered
 *                      sum: threads (sim_engine_run_point, sched_threads.c). Another scheduler
 *                      (MPI ranks) is a new file beside it that uses the same two pieces.
 *
 * Chunks have a fixed number of symbols, independent of the thread count, and their counts are
 * added in chunk order; the stop rules are checked on that ordered sum after each chunk. So
 * --seed fixes every count whatever the scheduler and the number of workers. Workers run at
 * most SIM_ENGINE_WINDOW chunks ahead of the ordered sum, so memory does not grow with the
 * number of bits. */
#ifndef SIM_ENGINE_H
#define SIM_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "chain.h"
#include "stage.h"

/* How many chunks workers may run ahead of the ordered sum, at least: a scheduler with more
 * workers asks for a larger window (sim_ordered_sum_init), a few groups a worker, so that
 * workers wait for the sum only behind a straggler. */
#define SIM_ENGINE_WINDOW 64

/* On channels with memory (block or Doppler fading) a point stops on --min-errors only after
 * this many chunks, so that the errors come from many independent fades and the spread of the
 * chunks' counts (sim_counts.chunk_error_sq) can measure their correlation. */
#define SIM_ENGINE_MIN_CHUNKS_MEMORY 32

/* A point stops after this many chunks whatever its rule: the chunk number has 40 bits of the
 * stream key (seed, p << 40 | c). */
#define SIM_ENGINE_MAX_CHUNKS (1ull << 40)

/* Threads beyond this are not started. */
#define SIM_ENGINE_MAX_THREADS 1024

/* One SNR point: everything a chunk of it depends on besides the chain. */
typedef struct {
    uint64_t seed;
    unsigned index; /* the point's place in the sweep: its streams */
    double ebn0_db;
    float n0;       /* noise variance per symbol, from Eb/N0, bits per symbol and the link's rate */
} sim_point;

/* The point index of a sweep at Eb/N0 = ebn0_db for chain c. */
sim_point sim_point_make(const sim_chain *c, uint64_t seed, unsigned index, double ebn0_db);

/* The chunk runner: chunk `chunk` of point p on a thread's worker, counts into *out. */
void sim_engine_run_chunk(sim_chain_worker *w, const sim_point *p, uint64_t chunk,
                          sim_counts *out);

/* When a point stops: min_errors bit errors and min_block_errors block errors (after at least
 * min_chunks chunks), or max_bits bits, whichever comes first. */
typedef struct {
    uint64_t min_errors, min_block_errors, max_bits, min_chunks;
} sim_stop_rule;

/* The rule for chain c: min_chunks SIM_ENGINE_MIN_CHUNKS_MEMORY on channels with memory, 1
 * otherwise. */
sim_stop_rule sim_stop_rule_make(const sim_chain *c, uint64_t min_errors,
                                 uint64_t min_block_errors, uint64_t max_bits);

/* The stop decision on the ordered sum of a point's first chunks. */
bool sim_stop_reached(const sim_stop_rule *rule, const sim_counts *sum);

/* The ordered sum of one point: chunks' counts arrive in any order, within the window, and are
 * added in chunk order until the stop rule is met. */
typedef struct {
    sim_stop_rule rule;
    uint64_t summed; /* entries 0 .. summed-1 are in total */
    uint64_t window; /* entries the ring holds */
    sim_counts *ring; /* [window] counts of entries that arrived ahead of the sum */
    bool *ready;      /* [window] */
    sim_counts total;
    bool done;       /* the rule is met: entries from `summed` on are not needed */
    unsigned span;   /* chunks an entry holds: 1, or a group's (sim_ordered_sum_by_groups) */
    sim_counts *last; /* [window] by groups: each entry's last chunk */
    void (*recount)(void *user, uint64_t chunk, sim_counts *out);
    void *recount_user;
} sim_ordered_sum;

/* Starts the sum of point p of chain c under rule with a window of `window` chunks (at least
 * SIM_ENGINE_WINDOW is used). Returns SIM_OK or SIM_ENOMEM; sim_ordered_sum_destroy frees it. */
int sim_ordered_sum_init(sim_ordered_sum *s, const sim_chain *c, const sim_point *p,
                         const sim_stop_rule *rule, uint64_t window);
void sim_ordered_sum_destroy(sim_ordered_sum *s);

/* Makes every entry of s a group of `span` chunks (entry g: chunks g span .. g span + span - 1)
 * given as their summed counts and the counts of the last (sim_ordered_sum_add_group), for a
 * scheduler whose workers send a group's sum, not its chunks' counts: one addition and one
 * check of the rule a group. Where the rule is met inside a group before its last chunk,
 * recount(user, chunk, out) gives that group's chunks again (a chunk is a pure function of the
 * seed, the point and its number) and they are added one by one, so that the sum stops at the
 * chunk and with the total of chunk-by-chunk adding: the rule is monotone in the counts, and
 * their floating-point fields are sums of squares of integers, exact in any order below 2^53.
 * Call before the first entry is added. SIM_OK or SIM_ENOMEM. */
int sim_ordered_sum_by_groups(sim_ordered_sum *s, unsigned span,
                              void (*recount)(void *user, uint64_t chunk, sim_counts *out),
                              void *user);

/* By groups: adds group g (sum: its chunks' counts summed; last: its last chunk's), then every
 * group that continues the ordered sum. */
void sim_ordered_sum_add_group(sim_ordered_sum *s, uint64_t g, const sim_counts *sum,
                               const sim_counts *last);

/* total += c, field by field (not the Eb/N0 and Es/N0). */
void sim_counts_add(sim_counts *total, const sim_counts *c);

/* True when chunk fits the window (chunk < summed + window): a worker may run it. */
bool sim_ordered_sum_has_room(const sim_ordered_sum *s, uint64_t chunk);

/* Adds the counts of chunk (which must fit the window and not be in yet), then every chunk that
 * continues the ordered sum, checking the rule after each. */
void sim_ordered_sum_add(sim_ordered_sum *s, uint64_t chunk, const sim_counts *c);

/* The interval at `level` of a point's bit error rate (blocks false) or block error rate
 * (blocks true) over its independent units, or its chunks where the link has none smaller
 * (sim_rate_interval). */
void sim_counts_interval(const sim_counts *c, bool blocks, double level, double *lo, double *hi);

/* ---- the threads' scheduler ------------------------------------------------------------- */

/* Progress of the point in flight, for a progress line. */
typedef void (*sim_progress_fn)(const sim_counts *so_far, double bits_per_second,
                                double seconds, void *user);

typedef struct {
    const sim_chain *chain;      /* borrowed */
    uint64_t seed;
    uint64_t min_errors;         /* a point stops once it has this many bit errors ... */
    uint64_t min_block_errors;   /* ... and this many block errors (0: no rule) ... */
    uint64_t max_bits;           /* ... or this many bits, whichever comes first */
    int threads;                 /* >= 1 */
    volatile sig_atomic_t *stop; /* set asynchronously (Ctrl-C): finish the chunks in flight and
                                    return SIM_EINTERRUPTED; may be NULL */
    sim_progress_fn progress;    /* called about 4 times a second, or NULL */
    void *progress_user;
} sim_engine_config;

/* A scheduler's progress reports of the point in flight, about 4 times a second: a snapshot of
 * the ordered sum taken under the scheduler's lock (sim_progress_due), reported after the lock
 * is released (sim_progress_report), so that stderr never holds up the workers. */
typedef struct {
    double start, last; /* the point's start and the last report (sim_bench_now) */
} sim_progress_clock;

void sim_progress_start(sim_progress_clock *c);

/* True, with the snapshot and the seconds since the start, when cfg reports progress and a
 * report is due. */
bool sim_progress_due(sim_progress_clock *c, const sim_engine_config *cfg,
                      const sim_ordered_sum *s, sim_counts *snapshot, double *seconds);

void sim_progress_report(const sim_engine_config *cfg, const sim_counts *snapshot,
                         double seconds);

/* Chunks a worker claims at once on chain c (about 2^16 bits, at most 8 chunks): a claim takes
 * a lock, and a chunk of BPSK is only a few microseconds of work. */
unsigned sim_engine_group(const sim_chain *c);

/* `threads` limited to SIM_ENGINE_MAX_THREADS and to the groups of `group` chunks a point of
 * at most max_bits bits can take (at least 1). */
int sim_engine_useful_threads(const sim_chain *c, uint64_t max_bits, unsigned group, int threads);

/* Simulates SNR point number point_index at Eb/N0 = ebn0_db into *out with cfg->threads
 * threads. Returns SIM_OK, SIM_EINTERRUPTED (the point is incomplete, *out holds what was
 * counted) or SIM_ENOMEM. */
int sim_engine_run_point(const sim_engine_config *cfg, unsigned point_index, double ebn0_db,
                         sim_counts *out);

#endif
