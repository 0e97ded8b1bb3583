/* The MPI ranks' scheduler (README: Design, "MPI ranks"). Rank 0 runs the sweep: for each
 * point it broadcasts (index, Eb/N0), keeps the point's ordered sum (engine.h) and hands out
 * groups of chunks; its own threads run groups too and, between two of theirs, answer the
 * other ranks' claims under the point's lock (so MPI is called by one thread at a time:
 * MPI_THREAD_SERIALIZED). Every thread of another rank is a claimant of its own: it keeps
 * CLAIM_DEPTH claims ahead of its work, so that it never waits for rank 0 while rank 0 is busy
 * with a group, and sends each finished group's counts with its next claim. Rank 0 adds them in
 * chunk order and answers "done" once the stop rule is met, so every count, and the table, is
 * that of one thread. No thread spins on MPI: a thread with nothing to do polls and sleeps. */
#include "sched_mpi.h"

#include <mpi.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "sim_error.h"
#include "table.h"

/* Bits a group of chunks holds under MPI, at most DEFAULT_MAX_GROUP chunks: a group costs rank
 * 0 one claim, one reply and one addition of its summed counts, whatever its size (README: the
 * per-group cost and the group size 1000 ranks need). Messages are 216 bytes at most, inside
 * Open MPI's shared-memory eager limit (4 KB), so that no message is read from the sender's
 * memory after it was sent: a rank that dies mid-message then cannot make rank 0 abort before
 * it says what happened. BERSIM_MPI_GROUP=N in the environment sets N chunks instead (1 to
 * MAX_GROUP). */
#define GROUP_BITS (1u << 19)
#define DEFAULT_MAX_GROUP 32
#define MAX_GROUP 1024
/* Claims a thread of another rank keeps ahead of the group it runs. */
#define CLAIM_DEPTH 3
/* Seconds rank 0 waits, once interrupted, for the other ranks' last word on the point: less
 * than the second between Open MPI's mpirun sending SIGTERM and SIGKILL. */
#define INTERRUPT_WAIT 0.6
/* How long a thread with nothing to do sleeps between two polls. */
#define POLL_NS 20000

enum { TAG_POINT = 1, TAG_CLAIM = 2, TAG_REPLY = 16 }; /* replies to thread t: TAG_REPLY + t */
enum { MSG_CLAIM = 1, MSG_BYE = 2, MSG_INTERRUPTED = 4, MSG_FAILED = 8 };

/* A claimant's message to rank 0: the summed counts of its last group and those of the group's
 * last chunk (count: its chunks; 0: none), and with MSG_CLAIM a claim of one more group. */
typedef struct {
    uint32_t point, flags, thread, count;
    uint64_t first;
} msg_head;

/* A chunk's counts on the wire: sim_counts but its point's Eb/N0 and Es/N0. All ranks are
 * assumed to share one byte order and floating-point format. */
typedef struct {
    uint64_t bits, bit_errors, symbols, symbol_errors, blocks, block_errors, chunks, units;
    double chunk_error_sq, chunk_block_sq, unit_error_sq, unit_block_sq;
} chunk_counts;

typedef struct {
    msg_head head;
    chunk_counts sum, last;
} claim_msg;

static void pack_counts(const sim_counts *c, chunk_counts *w)
{
    *w = (chunk_counts){c->bits, c->bit_errors, c->symbols, c->symbol_errors, c->blocks,
                        c->block_errors, c->chunks, c->units, c->chunk_error_sq,
                        c->chunk_block_sq, c->unit_error_sq, c->unit_block_sq};
}

static void unpack_counts(const chunk_counts *w, sim_counts *c)
{
    *c = (sim_counts){.bits = w->bits, .bit_errors = w->bit_errors, .symbols = w->symbols,
                      .symbol_errors = w->symbol_errors, .blocks = w->blocks,
                      .block_errors = w->block_errors, .chunks = w->chunks,
                      .chunk_error_sq = w->chunk_error_sq, .chunk_block_sq = w->chunk_block_sq,
                      .units = w->units, .unit_error_sq = w->unit_error_sq,
                      .unit_block_sq = w->unit_block_sq};
}

/* Rank 0's answer to one claim: chunks first .. first+count-1, or count 0: the point is done. */
typedef struct {
    uint32_t point, count;
    uint64_t first;
} reply_msg;

/* What rank 0 broadcasts before each point: its index and Eb/N0, or the end of the points. */
typedef struct {
    int32_t end;
    uint32_t index;
    double ebn0_db;
} point_msg;

static MPI_Comm comm = MPI_COMM_NULL;
static int my_rank, nranks = 1;
static int threads_total = 1; /* threads of all ranks (sim_mpi_agree) */
static uint64_t groups_seen, messages_seen;
static double serve_seconds; /* rank 0's time reading and answering messages */
static FILE *kept_stderr;     /* ranks other than 0: their stderr, read by sim_mpi_agree */

static void pause_briefly(void)
{
    struct timespec t = {0, POLL_NS};
    nanosleep(&t, NULL);
}

/* The number of ranks mpirun or srun started, from their environment (1: none). */
static int launched_ranks(void)
{
    const char *names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = getenv(names[i]);
        if (v) return atoi(v);
    }
    if (getenv("PMIX_RANK") || getenv("PMI_RANK")) {
        const char *v = getenv("SLURM_STEP_NUM_TASKS");
        return v ? atoi(v) : 2;
    }
    return 1;
}

/* Ranks other than 0: stdout to /dev/null, stderr to a scratch file whose first line
 * sim_mpi_agree may pass to rank 0; so a message is printed once, by rank 0. */
static void quiet_other_ranks(void)
{
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, STDOUT_FILENO), close(null);
    kept_stderr = tmpfile();
    if (kept_stderr) dup2(fileno(kept_stderr), STDERR_FILENO);
    else if ((null = open("/dev/null", O_WRONLY)) >= 0) dup2(null, STDERR_FILENO), close(null);
}

int sim_mpi_start(void)
{
    if (comm != MPI_COMM_NULL || launched_ranks() <= 1) return SIM_OK;
    int provided;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS ||
        provided < MPI_THREAD_SERIALIZED)
        return sim_error(SIM_EIO, "MPI cannot start with threads (MPI_THREAD_SERIALIZED)");
    MPI_Comm_dup(MPI_COMM_WORLD, &comm);
    MPI_Comm_rank(comm, &my_rank);
    MPI_Comm_size(comm, &nranks);
    if (my_rank > 0) quiet_other_ranks();
    return SIM_OK;
}

int sim_mpi_rank(void) { return my_rank; }
int sim_mpi_ranks(void) { return nranks; }

void sim_mpi_message_counts(uint64_t *groups, uint64_t *messages, double *seconds)
{
    *groups = groups_seen, *messages = messages_seen, *seconds = serve_seconds;
}

/* ---- agreement ------------------------------------------------------------------------------ */

/* The last line this rank wrote on stderr (its failure: warnings may come before it), without
 * "bersim: ". */
static void last_line(char *line, size_t size)
{
    snprintf(line, size, "failed without a message");
    if (!kept_stderr) return;
    fflush(stderr);
    char buf[512];
    off_t end = lseek(fileno(kept_stderr), 0, SEEK_END);
    off_t from = end > (off_t)sizeof buf - 1 ? end - (off_t)sizeof buf + 1 : 0;
    ssize_t n = pread(fileno(kept_stderr), buf, sizeof buf - 1, from);
    while (n > 0 && buf[n - 1] == '\n') n--;
    if (n <= 0) return;
    buf[n] = '\0';
    const char *text = strrchr(buf, '\n') ? strrchr(buf, '\n') + 1 : buf;
    if (strncmp(text, "bersim: ", 8) == 0) text += 8;
    snprintf(line, size, "%s", text);
}

/* The first rank whose status is not 0 (nranks: none); its status and message reach rank 0,
 * which prints the message if it is not its own. Returns that status, on every rank. */
static int first_failure(int status)
{
    int mine = status ? my_rank : nranks, first;
    MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm);
    if (first == nranks) return 0;
    int agreed = status;
    MPI_Bcast(&agreed, 1, MPI_INT, first, comm);
    if (first == 0) return agreed;
    char line[512];
    if (my_rank == first) {
        last_line(line, sizeof line);
        MPI_Send(line, sizeof line, MPI_CHAR, 0, TAG_POINT, comm);
    } else if (my_rank == 0) {
        MPI_Recv(line, sizeof line, MPI_CHAR, first, TAG_POINT, comm, MPI_STATUS_IGNORE);
        fprintf(stderr, "bersim: rank %d: %s\n", first, line);
    }
    return agreed;
}

int sim_mpi_agree(int status, int threads, const char *const *paths, size_t npaths)
{
    if (comm == MPI_COMM_NULL) return status;
    status = first_failure(status);
    if (status) return status;
    /* the same collectives on every rank, whatever paths each was given (a rank that took
     * another way to here has none): SIM_MPI_AGREE_FILES hashes, 0 for no file */
    uint64_t h[SIM_MPI_AGREE_FILES] = {0}, lo[SIM_MPI_AGREE_FILES], hi[SIM_MPI_AGREE_FILES];
    for (size_t i = 0; i < npaths && i < SIM_MPI_AGREE_FILES; i++)
        if (paths[i]) h[i] = sim_file_fingerprint(paths[i]); /* 0: each rank says why */
    MPI_Allreduce(h, lo, SIM_MPI_AGREE_FILES, MPI_UINT64_T, MPI_MIN, comm);
    MPI_Allreduce(h, hi, SIM_MPI_AGREE_FILES, MPI_UINT64_T, MPI_MAX, comm);
    MPI_Allreduce(&threads, &threads_total, 1, MPI_INT, MPI_SUM, comm);
    for (size_t i = 0; i < SIM_MPI_AGREE_FILES; i++) {
        if (lo[i] == hi[i]) continue;
        if (my_rank == 0)
            fprintf(stderr, "bersim: sim: '%s' is not the same file on every rank\n",
                    i < npaths && paths[i] ? paths[i] : "an input file");
        return SIM_EXIT_USAGE;
    }
    return 0;
}

int sim_mpi_finish(int status)
{
    if (comm == MPI_COMM_NULL) return status;
    MPI_Bcast(&status, 1, MPI_INT, 0, comm);
    MPI_Comm_free(&comm);
    MPI_Finalize();
    /* Rank 0 alone carries the status out: Open MPI's mpirun ends the job as soon as one rank
     * exits non-zero, and rank 0's message, still on its way to mpirun, could be lost. */
    return my_rank == 0 ? status : 0;
}

/* ---- groups ----------------------------------------------------------------------------------- */

/* Chunks a group holds on chain c (BERSIM_MPI_GROUP, or about GROUP_BITS bits). */
static unsigned mpi_group(const sim_chain *c)
{
    const char *v = getenv("BERSIM_MPI_GROUP");
    if (v && atoi(v) >= 1) return atoi(v) > MAX_GROUP ? MAX_GROUP : (unsigned)atoi(v);
    size_t bits = sim_chain_chunk_symbols(c) * sim_chain_bits_per_symbol(c);
    unsigned group = bits >= GROUP_BITS ? 1 : (unsigned)(GROUP_BITS / bits);
    return group > DEFAULT_MAX_GROUP ? DEFAULT_MAX_GROUP : group;
}

static int thread_count(const sim_engine_config *cfg)
{
    return cfg->threads < SIM_ENGINE_MAX_THREADS ? cfg->threads : SIM_ENGINE_MAX_THREADS;
}

/* Waits for request r, polling under lock (NULL: none) and sleeping between polls. */
static void wait_request(MPI_Request *r, pthread_mutex_t *lock)
{
    for (unsigned tries = 0;; tries++) {
        int flag;
        if (lock) pthread_mutex_lock(lock);
        MPI_Test(r, &flag, MPI_STATUS_IGNORE);
        if (lock) pthread_mutex_unlock(lock);
        if (flag) return;
        if (tries < 64) sched_yield();
        else pause_briefly();
    }
}

/* Runs chunks first .. first+count-1 into c; returns count, or 0 when an interrupt came
 * meanwhile: the point will not be finished, and every rank must answer rank 0 within a chunk
 * for the finished rows to be written before mpirun's SIGKILL (README: MPI). */
static unsigned run_group(sim_chain_worker *w, const sim_engine_config *cfg,
                          const sim_point *point, uint64_t first, unsigned count, sim_counts *c)
{
    for (unsigned i = 0; i < count; i++) {
        if (cfg->stop && *cfg->stop) return 0;
        sim_engine_run_chunk(w, point, first + i, &c[i]);
    }
    return count;
}

/* ---- rank 0 ------------------------------------------------------------------------------------ */

/* The point broadcast: nonblocking on every rank (a blocking broadcast would not match the
 * other ranks' MPI_Ibcast, with which they wait without spinning). */
static void send_point(point_msg *m)
{
    MPI_Request r;
    MPI_Ibcast(m, sizeof *m, MPI_BYTE, 0, comm, &r);
    MPI_Wait(&r, MPI_STATUS_IGNORE);
}

typedef struct {
    int rank, tag;
} claimant;

/* One point in flight on rank 0. */
typedef struct {
    const sim_engine_config *cfg;
    sim_point point;
    sim_ordered_sum sum;
    pthread_mutex_t lock; /* everything below, and every MPI call while the threads run */
    pthread_cond_t moved;
    uint64_t next_chunk;
    unsigned group;
    bool interrupted, failed;
    int waiting;
    claimant *pending; /* claims not answered yet: the window is full */
    size_t npending, pending_size;
    int byes_missing;  /* ranks whose threads have not all finished the point */
    bool *bye;         /* [nranks] which have */
    claim_msg *in;
    sim_chain_worker *recount; /* chunks of the group that meets the rule, again */
    sim_progress_clock clock;
} mpi_point;


/* The summed counts of the group of chunks from first on, into the ordered sum by groups
 * (count 0: none; a group cut short by an interrupt is not counted). */
static void add_group(mpi_point *p, uint64_t first, unsigned count, const sim_counts *sum,
                      const sim_counts *last)
{
    if (count != p->group || p->sum.done) return;
    sim_ordered_sum_add_group(&p->sum, first / p->group, sum, last);
    if (p->waiting) pthread_cond_broadcast(&p->moved);
}

/* The ordered sum's recount (engine.h): under the point's lock, so one worker serves. */
static void recount_chunk(void *user, uint64_t chunk, sim_counts *out)
{
    mpi_point *p = user;
    sim_engine_run_chunk(p->recount, &p->point, chunk, out);
}

/* The sum of c[count] in chunk order. */
static void sum_group(const sim_counts *c, unsigned count, sim_counts *sum)
{
    *sum = (sim_counts){0};
    for (unsigned i = 0; i < count; i++) sim_counts_add(sum, &c[i]);
}

static void keep_claim(mpi_point *p, int rank, int tag)
{
    if (p->npending == p->pending_size) {
        size_t size = p->pending_size ? 2 * p->pending_size : 64;
        claimant *bigger = realloc(p->pending, size * sizeof *bigger);
        if (!bigger) { /* no memory to remember it: end the point, answered below */
            p->failed = p->sum.done = true;
            return;
        }
        p->pending = bigger, p->pending_size = size;
    }
    p->pending[p->npending++] = (claimant){rank, tag};
}

/* Takes the message in p->in from rank `source`. */
static void take_message(mpi_point *p, int source)
{
    const msg_head *h = &p->in->head;
    messages_seen++;
    if (h->flags & (MSG_INTERRUPTED | MSG_FAILED) && !p->sum.done) {
        p->sum.done = true;
        p->interrupted |= (h->flags & MSG_INTERRUPTED) != 0;
        p->failed |= (h->flags & MSG_FAILED) != 0;
    }
    if (h->flags & MSG_BYE) {
        p->byes_missing--;
        p->bye[source] = true;
        return;
    }
    if (h->count) {
        groups_seen++;
        sim_counts sum, last;
        unpack_counts(&p->in->sum, &sum);
        unpack_counts(&p->in->last, &last);
        add_group(p, h->first, h->count, &sum, &last);
    }
    if (h->flags & MSG_CLAIM) keep_claim(p, source, TAG_REPLY + (int)h->thread);
}

/* Answers the claims kept, in order, while the window has room (all of them once the point is
 * done). */
static void answer_claims(mpi_point *p)
{
    size_t i = 0;
    for (; i < p->npending; i++) {
        reply_msg r = {p->point.index, 0, 0};
        if (!p->sum.done) {
            if (!sim_ordered_sum_has_room(&p->sum, p->next_chunk / p->group)) break;
            r.first = p->next_chunk, r.count = p->group;
            p->next_chunk += p->group;
        }
        MPI_Send(&r, sizeof r, MPI_BYTE, p->pending[i].rank, p->pending[i].tag, comm);
        messages_seen++;
    }
    if (i == 0) return;
    memmove(p->pending, p->pending + i, (p->npending - i) * sizeof *p->pending);
    p->npending -= i;
}

/* Reads every message that has arrived and answers what can be answered; lock held. */
/* What serving costs rank 0 is timed from the probe that finds a message to the reply it
 * sends: a few microseconds of wall time, which another process on the core seldom cuts into
 * (the probes that find nothing are not counted: their cost is per group of rank 0's own). */
static void serve_claims(mpi_point *p)
{
    for (;;) {
        int flag;
        MPI_Status st;
        double start = sim_bench_now();
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_CLAIM, comm, &flag, &st);
        if (!flag) break;
        MPI_Recv(p->in, sizeof *p->in, MPI_BYTE, st.MPI_SOURCE, TAG_CLAIM, comm,
                 MPI_STATUS_IGNORE);
        take_message(p, st.MPI_SOURCE);
        answer_claims(p);
        serve_seconds += sim_bench_now() - start;
    }
    if (!p->sum.done && p->cfg->stop && *p->cfg->stop) p->sum.done = p->interrupted = true;
    answer_claims(p);
}

/* Rank 0's threads: adds their last group, serves the other ranks, takes the next group; false
 * when the point is done. Threads more than the window ahead wait, serving meanwhile. */
static bool next_local_group(mpi_point *p, const sim_counts *c, uint64_t first, unsigned count,
                             uint64_t *next)
{
    sim_counts sum;
    sum_group(c, count, &sum);
    pthread_mutex_lock(&p->lock);
    if (count) add_group(p, first, count, &sum, &c[count - 1]);
    serve_claims(p);
    sim_counts snapshot;
    double seconds = 0;
    bool report = count && sim_progress_due(&p->clock, p->cfg, &p->sum, &snapshot, &seconds);
    while (!p->sum.done && !sim_ordered_sum_has_room(&p->sum, p->next_chunk / p->group)) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100000;
        if (until.tv_nsec >= 1000000000) until.tv_sec++, until.tv_nsec -= 1000000000;
        p->waiting++;
        pthread_cond_timedwait(&p->moved, &p->lock, &until);
        p->waiting--;
        serve_claims(p);
    }
    if (p->sum.done && p->waiting) pthread_cond_broadcast(&p->moved);
    bool got = !p->sum.done;
    if (got) *next = p->next_chunk, p->next_chunk += p->group;
    pthread_mutex_unlock(&p->lock);
    if (report) sim_progress_report(p->cfg, &snapshot, seconds);
    return got;
}

static void *local_thread(void *arg)
{
    mpi_point *p = arg;
    sim_chain_worker *w = sim_chain_worker_create(p->cfg->chain);
    sim_counts *c = malloc(p->group * sizeof *c);
    if (!w || !c) {
        pthread_mutex_lock(&p->lock);
        p->failed = p->sum.done = true;
        pthread_cond_broadcast(&p->moved);
        pthread_mutex_unlock(&p->lock);
    } else {
        uint64_t first = 0;
        bool got = next_local_group(p, NULL, 0, 0, &first);
        while (got) {
            unsigned n = run_group(w, p->cfg, &p->point, first, p->group, c);
            got = next_local_group(p, c, first, n, &first);
        }
    }
    free(c);
    sim_chain_worker_destroy(w);
    return NULL;
}

static int point_init(mpi_point *p, const sim_engine_config *cfg, unsigned index, double ebn0)
{
    const sim_chain *c = cfg->chain;
    *p = (mpi_point){.cfg = cfg, .point = sim_point_make(c, cfg->seed, index, ebn0),
                     .byes_missing = nranks - 1};
    p->group = mpi_group(c);
    sim_stop_rule rule = sim_stop_rule_make(c, cfg->min_errors, cfg->min_block_errors,
                                            cfg->max_bits);
    /* every thread of every rank may hold the group it runs and CLAIM_DEPTH more: the window
     * counts groups, one entry each */
    uint64_t window = (uint64_t)(CLAIM_DEPTH + 2) * (unsigned)threads_total;
    p->in = malloc(sizeof *p->in);
    p->bye = calloc((size_t)nranks, sizeof *p->bye);
    p->recount = sim_chain_worker_create(c);
    if (!p->in || !p->bye || !p->recount ||
        sim_ordered_sum_init(&p->sum, c, &p->point, &rule, window) != SIM_OK ||
        sim_ordered_sum_by_groups(&p->sum, p->group, recount_chunk, p) != SIM_OK) {
        sim_ordered_sum_destroy(&p->sum);
        sim_chain_worker_destroy(p->recount);
        return free(p->in), free(p->bye), sim_error(SIM_ENOMEM, "out of memory");
    }
    sim_progress_start(&p->clock);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->moved, NULL);
    return SIM_OK;
}

/* The run cannot end cleanly: a rank is gone (mpirun's SIGTERM after a rank died) or stuck.
 * No table is written, and rank 0 ends at once, before mpirun's SIGKILL; mpirun then ends the
 * other ranks. */
static void give_up(const mpi_point *p)
{
    int missing = 1;
    while (missing < nranks - 1 && p->bye[missing]) missing++;
    fprintf(stderr, "bersim: sim: interrupted, and rank %d did not finish its chunks within "
                    "%.1f s (it died or hangs); no table written\n", missing, INTERRUPT_WAIT);
    fflush(stderr);
    _exit(1);
}

/* After rank 0's threads: answers the claims still coming until every other rank has said its
 * last word for the point, so that no message of this point is left for the next. Once
 * interrupted, every rank answers within a chunk or is taken for dead after INTERRUPT_WAIT. */
static void drain_point(mpi_point *p)
{
    pthread_mutex_lock(&p->lock);
    serve_claims(p);
    double since = sim_bench_now();
    while (p->byes_missing > 0) {
        pthread_mutex_unlock(&p->lock);
        pause_briefly();
        pthread_mutex_lock(&p->lock);
        serve_claims(p);
        if (!p->interrupted) since = sim_bench_now();
        else if (sim_bench_now() - since > INTERRUPT_WAIT) give_up(p);
    }
    pthread_mutex_unlock(&p->lock);
}

int sim_mpi_run_point(const sim_engine_config *cfg, unsigned point_index, double ebn0_db,
                      sim_counts *out)
{
    if (comm == MPI_COMM_NULL || nranks == 1)
        return sim_engine_run_point(cfg, point_index, ebn0_db, out);
    mpi_point *p = malloc(sizeof *p);
    if (!p || point_init(p, cfg, point_index, ebn0_db) != SIM_OK) {
        free(p); /* the others have not been told of the point: the sweep ends here */
        return sim_error(SIM_ENOMEM, "out of memory");
    }
    point_msg m = {0, point_index, ebn0_db};
    send_point(&m);
    int extra = thread_count(cfg) - 1;
    pthread_t *tid = malloc((extra > 0 ? (size_t)extra : 1) * sizeof *tid);
    int started = 0;
    while (tid && started < extra && pthread_create(&tid[started], NULL, local_thread, p) == 0)
        started++;
    local_thread(p);
    for (int i = 0; i < started; i++) pthread_join(tid[i], NULL);
    free(tid);
    drain_point(p);
    *out = p->sum.total;
    int status = p->failed ? sim_error(SIM_ENOMEM, "out of memory")
                 : p->interrupted ? SIM_EINTERRUPTED : SIM_OK;
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->moved);
    sim_ordered_sum_destroy(&p->sum);
    free(p->pending);
    free(p->in);
    free(p->bye);
    sim_chain_worker_destroy(p->recount);
    free(p);
    return status;
}

void sim_mpi_end_points(void)
{
    if (comm == MPI_COMM_NULL || nranks == 1) return;
    point_msg m = {1, 0, 0};
    send_point(&m);
}

/* ---- the other ranks ------------------------------------------------------------------------ */

typedef struct {
    const sim_engine_config *cfg;
    sim_point point;
    pthread_mutex_t *lock; /* every MPI call of this rank while its threads run */
    unsigned thread;
    bool failed;
} remote_thread;

/* Sends what msg holds (the counts of the group it names, and a claim with MSG_CLAIM) once the
 * previous send from msg is complete, and posts the receive of its reply when it claims. */
static void send_message(remote_thread *t, claim_msg *msg, MPI_Request *sent, reply_msg *reply,
                         MPI_Request *replied)
{
    if (*sent != MPI_REQUEST_NULL) wait_request(sent, t->lock);
    if (t->cfg->stop && *t->cfg->stop) msg->head.flags |= MSG_INTERRUPTED;
    size_t bytes = msg->head.count ? sizeof *msg : sizeof msg->head;
    pthread_mutex_lock(t->lock);
    if (msg->head.flags & MSG_CLAIM)
        MPI_Irecv(reply, sizeof *reply, MPI_BYTE, 0, TAG_REPLY + (int)t->thread, comm, replied);
    MPI_Isend(msg, (int)bytes, MPI_BYTE, 0, TAG_CLAIM, comm, sent);
    pthread_mutex_unlock(t->lock);
}

/* One thread of a rank other than 0 for one point: CLAIM_DEPTH claims first, then for each
 * group answered, its counts and one more claim; after the first "done", the claims still out
 * are awaited and no group is run. */
static void *remote_main(void *arg)
{
    remote_thread *t = arg;
    sim_chain_worker *w = sim_chain_worker_create(t->cfg->chain);
    /* CLAIM_DEPTH + 1 messages: the claims out and the one being filled */
    claim_msg *msg = malloc((CLAIM_DEPTH + 1) * sizeof *msg);
    sim_counts *counts = malloc(MAX_GROUP * sizeof *counts);
    reply_msg reply[CLAIM_DEPTH + 1];
    MPI_Request sent[CLAIM_DEPTH + 1], replied[CLAIM_DEPTH + 1];
    for (int i = 0; i <= CLAIM_DEPTH; i++) sent[i] = replied[i] = MPI_REQUEST_NULL;
    if (!w || !msg || !counts) { /* rank 0 ends the point as failed; this thread asks nothing */
        msg_head failed = {t->point.index, MSG_FAILED, t->thread, 0, 0};
        pthread_mutex_lock(t->lock);
        MPI_Send(&failed, sizeof failed, MPI_BYTE, 0, TAG_CLAIM, comm);
        pthread_mutex_unlock(t->lock);
        t->failed = true;
        free(msg);
        free(counts);
        sim_chain_worker_destroy(w);
        return NULL;
    }
    unsigned head = 0, out = 0; /* the oldest claim out, and how many are out */
    for (; out < CLAIM_DEPTH; out++) {
        msg[out].head = (msg_head){t->point.index, MSG_CLAIM, t->thread, 0, 0};
        send_message(t, &msg[out], &sent[out], &reply[out], &replied[out]);
    }
    bool done = false;
    while (out > 0) {
        unsigned slot = head;
        wait_request(&replied[slot], t->lock);
        head = (head + 1) % (CLAIM_DEPTH + 1), out--;
        if (reply[slot].count == 0) done = true;
        if (done) continue;
        /* the message of this slot was sent long ago; its buffer is reused once it is out */
        unsigned fill = (slot + CLAIM_DEPTH) % (CLAIM_DEPTH + 1);
        if (sent[fill] != MPI_REQUEST_NULL) wait_request(&sent[fill], t->lock);
        claim_msg *m = &msg[fill];
        unsigned n = run_group(w, t->cfg, &t->point, reply[slot].first, reply[slot].count,
                               counts);
        sim_counts sum;
        sum_group(counts, n, &sum);
        pack_counts(&sum, &m->sum);
        if (n) pack_counts(&counts[n - 1], &m->last);
        m->head = (msg_head){t->point.index, MSG_CLAIM, t->thread, n, reply[slot].first};
        send_message(t, m, &sent[fill], &reply[fill], &replied[fill]);
        out++;
    }
    for (int i = 0; i <= CLAIM_DEPTH; i++)
        if (sent[i] != MPI_REQUEST_NULL) wait_request(&sent[i], t->lock);
    free(msg);
    free(counts);
    sim_chain_worker_destroy(w);
    return NULL;
}

/* Waits for rank 0's next point without spinning on a core rank 0 may need. */
static void receive_point(point_msg *m)
{
    MPI_Request r;
    MPI_Ibcast(m, sizeof *m, MPI_BYTE, 0, comm, &r);
    wait_request(&r, NULL);
}

int sim_mpi_serve(const sim_engine_config *cfg)
{
    if (comm == MPI_COMM_NULL || my_rank == 0) return SIM_OK;
    int threads = thread_count(cfg), status = SIM_OK;
    remote_thread *t = malloc((size_t)threads * sizeof *t);
    pthread_t *tid = malloc((size_t)threads * sizeof *tid);
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    for (;;) {
        point_msg m;
        receive_point(&m);
        if (m.end) break;
        sim_point point = sim_point_make(cfg->chain, cfg->seed, m.index, m.ebn0_db);
        int started = 0;
        for (int i = 0; t && tid && i < threads; i++)
            t[i] = (remote_thread){cfg, point, &lock, (unsigned)i, false};
        while (t && tid && started + 1 < threads &&
               pthread_create(&tid[started + 1], NULL, remote_main, &t[started + 1]) == 0)
            started++;
        if (t && tid) remote_main(&t[0]);
        for (int i = 1; i <= started; i++) pthread_join(tid[i], NULL);
        for (int i = 0; t && tid && i <= started; i++)
            if (t[i].failed) status = SIM_ENOMEM;
        msg_head bye = {m.index, MSG_BYE | (t && tid ? 0 : MSG_FAILED), 0, 0, 0};
        MPI_Send(&bye, sizeof bye, MPI_BYTE, 0, TAG_CLAIM, comm);
    }
    free(t);
    free(tid);
    return status;
}
