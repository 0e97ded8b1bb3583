/* bersim bench: runs the figure tables of bench_*.c and prints "name<TAB>value<TAB>unit". */
#include "bench.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "sched_mpi.h"
#include "sim_error.h"

/* Each figure runs at least this long, so that its rate is stable. */
#define BENCH_MIN_SECONDS 0.5

static volatile double sink;

double sim_bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void sim_bench_sink(double value)
{
    sink += value;
}

static const sim_bench_figure *const tables[] = {
    sim_bench_channel_figures,
    sim_bench_engine_figures,
    sim_bench_nn_figures,
    sim_bench_code_figures,
    sim_bench_ofdm_figures,
};

static const sim_bench_figure *find_figure(const char *name)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const sim_bench_figure *f = tables[t]; f->name; f++)
            if (strcmp(f->name, name) == 0) return f;
    return NULL;
}

static bool mpi_figure(const sim_bench_figure *f);

static int run_figure(const sim_bench_figure *f, int threads)
{
    uint64_t groups, messages, more_groups, more_messages;
    double seconds, more_seconds;
    sim_mpi_message_counts(&groups, &messages, &seconds);
    double value = f->run(BENCH_MIN_SECONDS, threads);
    if (value < 0) {
        fprintf(stderr, "bersim: bench %s failed\n", f->name);
        return 1;
    }
    printf("%s\t%.4g\t%s\n", f->name, value, f->unit);
    sim_mpi_message_counts(&more_groups, &more_messages, &more_seconds);
    if (mpi_figure(f) && more_groups > groups) { /* what the claim protocol cost rank 0 */
        double n = (double)(more_groups - groups);
        printf("%s_messages\t%.4g\tper group\n", f->name, (double)(more_messages - messages) / n);
        printf("%s_rank0\t%.4g\tus per group\n", f->name, 1e6 * (more_seconds - seconds) / n);
    }
    fflush(stdout);
    return 0;
}

static void bench_usage(void)
{
    puts("usage: bersim bench [--only NAME] [--threads T]\n\n"
         "Prints one line per figure: name, throughput, unit (tab-separated). Figures run on one\n"
         "thread unless their name ends in _mt, which use T threads (default: all cores).\n"
         "Under mpirun (2 ranks or more) only the _mpi figures run: R ranks of T threads.\n\n"
         "figures:");
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const sim_bench_figure *f = tables[t]; f->name; f++)
            printf("  %-18s %s\n", f->name, f->unit);
}

/* Figures ending in _mpi run over every rank of mpirun (R ranks x T threads); started by
 * mpirun with 2 ranks or more, bench runs them alone, and without it every figure but them. */
static bool mpi_figure(const sim_bench_figure *f)
{
    size_t n = strlen(f->name);
    return n > 4 && strcmp(f->name + n - 4, "_mpi") == 0;
}

static int bench_ranks(int argc, char **argv);

int sim_cmd_bench(int argc, char **argv)
{
    if (sim_mpi_start() != SIM_OK) return sim_cli_fail("%s", sim_last_error());
    return sim_mpi_finish(bench_ranks(argc, argv));
}

static int bench_ranks(int argc, char **argv)
{
    const char *only = NULL;
    uint64_t threads = (uint64_t)sim_cli_cores();
    sim_cli_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!sim_cli_first_time(&seen, argv[i])) return SIM_EXIT_USAGE;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            bench_usage();
            return 0;
        } else if (strcmp(argv[i], "--only") == 0) {
            if (!(only = sim_cli_value(argc, argv, &i))) return SIM_EXIT_USAGE;
            if (!find_figure(only)) return sim_cli_fail("--only: no figure named '%s'", only);
        } else if (strcmp(argv[i], "--threads") == 0) {
            if (!(v = sim_cli_value(argc, argv, &i)) ||
                sim_cli_u64("--threads", v, 1, 1024, &threads) != 0)
                return SIM_EXIT_USAGE;
        } else {
            return sim_cli_unknown_option("bench", argv[i]), SIM_EXIT_USAGE;
        }
    }
    bool ranks = sim_mpi_ranks() > 1;
    if (ranks && only && !mpi_figure(find_figure(only)))
        return sim_mpi_agree(sim_cli_fail("bench: under mpirun only the _mpi figures run, not "
                                          "'%s'", only), 0, NULL, 0);
    if (sim_mpi_agree(0, (int)threads, NULL, 0) != 0) return SIM_EXIT_USAGE;
    if (only) return run_figure(find_figure(only), (int)threads);
    int status = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const sim_bench_figure *f = tables[t]; f->name; f++)
            if (mpi_figure(f) == ranks) status |= run_figure(f, (int)threads);
    return status;
}
