/* The threads' scheduler: hands out groups of chunks under one lock and brings their counts
 * back to the ordered sum (engine.h). It knows nothing of links or stages: a worker runs
 * whatever chunk it is given through sim_engine_run_chunk. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "bench.h"
#include "engine.h"
#include "sim_error.h"

/* Bits a thread claims at once, at least: a claim takes a lock, and a chunk of BPSK is only a
 * few microseconds of work. Each chunk of a group keeps its own stream and its own place in the
 * ordered sum, so the grouping changes no count. */
#define GROUP_BITS (1u << 16)
#define MAX_GROUP 8

/* One point in flight, shared by the threads. */
typedef struct {
    const sim_engine_config *cfg;
    sim_point point;
    sim_ordered_sum sum;
    pthread_mutex_t lock;
    pthread_cond_t moved;
    uint64_t next_chunk; /* the next chunk to hand out */
    bool interrupted, failed;
    int waiting;    /* threads waiting for the sum to move */
    unsigned group; /* chunks a thread claims at once */
    sim_progress_clock clock;
} point_run;

/* Adds the chunks a thread finished (first .. first+count-1; count may be 0) to the ordered sum
 * and hands it the next group of chunks, under one lock; returns false when the point is done.
 * Threads more than the window ahead of the sum wait for it. */
static bool exchange_chunks(point_run *p, const sim_counts *finished, uint64_t first,
                            unsigned count, uint64_t *next)
{
    pthread_mutex_lock(&p->lock);
    for (unsigned i = 0; i < count; i++) sim_ordered_sum_add(&p->sum, first + i, &finished[i]);
    if (count && p->waiting) pthread_cond_broadcast(&p->moved);
    sim_counts snapshot;
    double seconds = 0;
    bool report = count && sim_progress_due(&p->clock, p->cfg, &p->sum, &snapshot, &seconds);
    while (!p->sum.done && !sim_ordered_sum_has_room(&p->sum, p->next_chunk + p->group - 1)) {
        p->waiting++;
        pthread_cond_wait(&p->moved, &p->lock);
        p->waiting--;
    }
    if (!p->sum.done && p->cfg->stop && *p->cfg->stop) p->sum.done = p->interrupted = true;
    if (p->sum.done && p->waiting) pthread_cond_broadcast(&p->moved);
    bool got = !p->sum.done;
    if (got) *next = p->next_chunk, p->next_chunk += p->group;
    pthread_mutex_unlock(&p->lock);
    if (report) sim_progress_report(p->cfg, &snapshot, seconds);
    return got;
}

static void *thread_main(void *arg)
{
    point_run *p = arg;
    sim_chain_worker *w = sim_chain_worker_create(p->cfg->chain);
    if (!w) {
        pthread_mutex_lock(&p->lock);
        p->failed = p->sum.done = true;
        pthread_cond_broadcast(&p->moved);
        pthread_mutex_unlock(&p->lock);
        return NULL;
    }
    uint64_t first;
    sim_counts c[MAX_GROUP];
    bool got = exchange_chunks(p, NULL, 0, 0, &first);
    while (got) {
        for (unsigned i = 0; i < p->group; i++)
            sim_engine_run_chunk(w, &p->point, first + i, &c[i]);
        got = exchange_chunks(p, c, first, p->group, &first);
    }
    sim_chain_worker_destroy(w);
    return NULL;
}

/* Sets up the point for `threads` threads; returns SIM_OK or SIM_ENOMEM. */
static int point_init(point_run *p, const sim_engine_config *cfg, unsigned point_index,
                      double ebn0_db, int threads)
{
    const sim_chain *c = cfg->chain;
    *p = (point_run){.cfg = cfg, .point = sim_point_make(c, cfg->seed, point_index, ebn0_db)};
    sim_stop_rule rule = sim_stop_rule_make(c, cfg->min_errors, cfg->min_block_errors,
                                            cfg->max_bits);
    p->group = sim_engine_group(c);
    /* a few groups a thread, so that threads wait only behind one much slower than the rest */
    if (sim_ordered_sum_init(&p->sum, c, &p->point, &rule, 4ull * (unsigned)threads * p->group))
        return SIM_ENOMEM;
    sim_progress_start(&p->clock);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->moved, NULL);
    return SIM_OK;
}

unsigned sim_engine_group(const sim_chain *c)
{
    size_t k = sim_chain_bits_per_symbol(c);
    size_t chunk_bits = sim_chain_chunk_symbols(c) * k;
    unsigned group = chunk_bits >= GROUP_BITS ? 1 : (unsigned)(GROUP_BITS / chunk_bits);
    return group > MAX_GROUP ? MAX_GROUP : group;
}

int sim_engine_useful_threads(const sim_chain *c, uint64_t max_bits, unsigned group, int threads)
{
    if (threads > SIM_ENGINE_MAX_THREADS) threads = SIM_ENGINE_MAX_THREADS;
    size_t k = sim_chain_bits_per_symbol(c);
    double group_bits = (double)sim_chain_chunk_symbols(c) * k * group;
    double groups = ceil((double)max_bits / group_bits);
    if (groups < threads) threads = groups < 1 ? 1 : (int)groups;
    return threads;
}

int sim_engine_run_point(const sim_engine_config *cfg, unsigned point_index, double ebn0_db,
                         sim_counts *out)
{
    point_run *p = malloc(sizeof *p);
    /* no more threads than groups of chunks the point may take before max_bits */
    int threads = sim_engine_useful_threads(cfg->chain, cfg->max_bits,
                                            sim_engine_group(cfg->chain), cfg->threads);
    if (!p || point_init(p, cfg, point_index, ebn0_db, threads) != SIM_OK)
        return free(p), sim_error(SIM_ENOMEM, "out of memory");
    int extra = threads > 1 ? threads - 1 : 0;
    pthread_t *tid = malloc((extra > 0 ? extra : 1) * sizeof *tid);
    int started = 0;
    while (tid && started < extra && pthread_create(&tid[started], NULL, thread_main, p) == 0)
        started++;
    thread_main(p); /* the calling thread works too */
    for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
    free(tid);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->moved);
    sim_ordered_sum_destroy(&p->sum);
    *out = p->sum.total;
    int status = p->failed ? sim_error(SIM_ENOMEM, "out of memory")
                 : p->interrupted ? SIM_EINTERRUPTED : SIM_OK;
    free(p);
    return status;
}
