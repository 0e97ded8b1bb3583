/* bersim bench: runs the figure tables of bench_*.c and prints "name<TAB>value<TAB>unit", after
 * a comment line naming the CPU; the machine's FMA peak comes first, and figures in GFLOP/s are
 * also given as a fraction of it. */
#include "bench.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "sched_mpi.h"
#include "sim_error.h"

/* Each figure runs at least this long by default, so that its rate is stable. */
#define BENCH_MIN_SECONDS 0.5

/* fma_peak of this run, once measured (GFLOP/s); 0 before. */
static double peak_gflops;

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
    sim_bench_machine_figures,
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

static int run_figure(const sim_bench_figure *f, double seconds, int threads)
{
    int is_flops = strcmp(f->unit, "GFLOP/s") == 0, is_peak = strcmp(f->name, "fma_peak") == 0;
    if (is_flops && !is_peak && peak_gflops == 0 &&
        run_figure(find_figure("fma_peak"), seconds, threads) != 0)
        return 1;
    uint64_t groups, messages, more_groups, more_messages;
    double claim_seconds, more_seconds;
    sim_mpi_message_counts(&groups, &messages, &claim_seconds);
    double value = f->run(seconds, threads);
    if (value < 0) {
        fprintf(stderr, "bersim: bench %s failed\n", f->name);
        return 1;
    }
    printf("%s\t%.4g\t%s\n", f->name, value, f->unit);
    if (is_peak) peak_gflops = value;
    else if (is_flops) printf("%s_of_peak\t%.3g\tof fma_peak\n", f->name, value / peak_gflops);
    sim_mpi_message_counts(&more_groups, &more_messages, &more_seconds);
    if (mpi_figure(f) && more_groups > groups) { /* what the claim protocol cost rank 0 */
        double n = (double)(more_groups - groups);
        printf("%s_messages\t%.4g\tper group\n", f->name, (double)(more_messages - messages) / n);
        printf("%s_rank0\t%.4g\tus per group\n", f->name,
               1e6 * (more_seconds - claim_seconds) / n);
    }
    fflush(stdout);
    return 0;
}

/* The first line: which CPU the figures come from, /proc/cpuinfo's first "model name". */
static void print_cpu(void)
{
    char line[512], *model = NULL;
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && !model && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) != 0 || !colon) continue;
        model = colon + 1 + strspn(colon + 1, " \t");
        model[strcspn(model, "\n")] = '\0';
    }
    if (f) fclose(f);
    printf("# cpu: %s\n", model ? model : "unknown");
}

static void bench_usage(void)
{
    puts("usage: bersim bench [--only NAME] [--threads T] [--seconds S]\n\n"
         "Prints the CPU's model, then one line per figure: name, throughput, unit\n"
         "(tab-separated), fma_peak (the core's FP32 multiply-add peak) first; GFLOP/s figures\n"
         "also as a fraction of it. Each figure runs at least S seconds (default 0.5). Figures\n"
         "run on one thread unless their name ends in _mt, which use T threads (default: all\n"
         "cores). Under mpirun (2 ranks or more) only the _mpi figures run: R ranks of T\n"
         "threads.\n\n"
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
    double seconds = BENCH_MIN_SECONDS;
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
        } else if (strcmp(argv[i], "--seconds") == 0) {
            if (!(v = sim_cli_value(argc, argv, &i)) ||
                sim_cli_double("--seconds", v, &seconds) != 0)
                return SIM_EXIT_USAGE;
            if (!(seconds > 0 && seconds <= 60))
                return sim_cli_fail("--seconds: %s is not in (0, 60]", v);
        } else {
            return sim_cli_unknown_option("bench", argv[i]), SIM_EXIT_USAGE;
        }
    }
    bool ranks = sim_mpi_ranks() > 1;
    if (ranks && only && !mpi_figure(find_figure(only)))
        return sim_mpi_agree(sim_cli_fail("bench: under mpirun only the _mpi figures run, not "
                                          "'%s'", only), 0, NULL, 0);
    if (sim_mpi_agree(0, (int)threads, NULL, 0) != 0) return SIM_EXIT_USAGE;
    if (sim_mpi_rank() == 0) print_cpu();
    if (only) return run_figure(find_figure(only), seconds, (int)threads);
    int status = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const sim_bench_figure *f = tables[t]; f->name; f++)
            if (mpi_figure(f) == ranks) status |= run_figure(f, seconds, (int)threads);
    return status;
}
