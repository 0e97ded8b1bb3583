/* bersim bench: runs the figure tables of bench_*.c and prints "name<TAB>value<TAB>unit", after
 * a comment line naming the CPU; the machine's FMA peak comes first, and figures in GFLOP/s are
 * also given as a fraction of it. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "cli.h"
#include "commands.h"
#include "sched_mpi.h"
#include "sim_error.h"

/* Each figure runs at least this long by default, so that its rate is stable. */
#define BENCH_MIN_SECONDS 0.5
/* Figures --only may name, and rounds of --repeat, at most. */
#define BENCH_MAX_ONLY 8
#define BENCH_MAX_REPEAT 1000

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
    puts("usage: bersim bench [--only NAME[,NAME...]] [--repeat N] [--threads T] [--seconds S]\n\n"
         "Prints the CPU's model, then one line per figure: name, throughput, unit\n"
         "(tab-separated), fma_peak (the core's FP32 multiply-add peak) first; GFLOP/s figures\n"
         "also as a fraction of it. Each figure runs at least S seconds (default 0.5). Figures\n"
         "run on one thread unless their name ends in _mt, which use T threads (default: all\n"
         "cores). Under mpirun (2 ranks or more) only the _mpi figures run: R ranks of T\n"
         "threads.\n\n"
         "--only takes up to 8 figures, comma-separated; fma_peak runs first where a GFLOP/s\n"
         "figure needs it. --repeat N (1 to 1000) runs them (without --only: every figure but\n"
         "the _mpi ones) N times in turn, one after the other in each round, and prints each\n"
         "figure's median over the rounds, then NAME_min and NAME_max (and so for\n"
         "NAME_of_peak); with two figures named, also A_over_B: the median, least and largest\n"
         "of the ratios A / B of the same round, which the drift of a machine's speed over\n"
         "minutes leaves nearly untouched.\n\n"
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

/* The figures of one --repeat run: the ones named (or all but the _mpi ones), fma_peak first
 * where a GFLOP/s figure needs it, and each one's value in every round. */
typedef struct {
    const sim_bench_figure **fig; /* room for every figure of every table */
    size_t n;
    const sim_bench_figure *over[2]; /* A and B of A_over_B when two are named, else NULL */
    unsigned rounds;
    double *value; /* [n][rounds] */
} bench_rounds;

static size_t place_of(const bench_rounds *b, const sim_bench_figure *f)
{
    size_t i = 0;
    while (b->fig[i] != f)
        i++;
    return i;
}

static void rounds_add(bench_rounds *b, const sim_bench_figure *f)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->fig[i] == f) return;
    b->fig[b->n++] = f;
}

static size_t count_figures(void)
{
    size_t n = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const sim_bench_figure *f = tables[t]; f->name; f++)
            n++;
    return n;
}

/* The median of a row over the rounds, then its least and largest: one sort for the three. */
static void print_stats(const char *name, const double *row, unsigned rounds, const char *unit)
{
    double sorted[BENCH_MAX_REPEAT];
    memcpy(sorted, row, rounds * sizeof *row);
    gsl_sort(sorted, 1, rounds);
    printf("%s\t%.4g\t%s\n", name, gsl_stats_median_from_sorted_data(sorted, 1, rounds), unit);
    printf("%s_min\t%.4g\t%s\n", name, sorted[0], unit);
    printf("%s_max\t%.4g\t%s\n", name, sorted[rounds - 1], unit);
}

/* Row a over row b, round by round, into out. */
static void row_ratio(const bench_rounds *b, size_t a, size_t d, double *out)
{
    for (unsigned r = 0; r < b->rounds; r++)
        out[r] = b->value[a * b->rounds + r] / b->value[d * b->rounds + r];
}

static void print_rounds(const bench_rounds *b)
{
    double ratio[BENCH_MAX_REPEAT];
    char name[160], unit[96];
    size_t peak = b->n;
    for (size_t i = 0; i < b->n; i++) {
        const sim_bench_figure *f = b->fig[i];
        print_stats(f->name, b->value + i * b->rounds, b->rounds, f->unit);
        if (strcmp(f->name, "fma_peak") == 0) peak = i;
        if (strcmp(f->unit, "GFLOP/s") || peak == i || peak == b->n) continue;
        row_ratio(b, i, peak, ratio);
        snprintf(name, sizeof name, "%s_of_peak", f->name);
        print_stats(name, ratio, b->rounds, "of fma_peak");
    }
    if (!b->over[1]) return;
    size_t a = place_of(b, b->over[0]), d = place_of(b, b->over[1]);
    row_ratio(b, a, d, ratio);
    snprintf(name, sizeof name, "%s_over_%s", b->fig[a]->name, b->fig[d]->name);
    snprintf(unit, sizeof unit, "of %s", b->fig[d]->name);
    print_stats(name, ratio, b->rounds, unit);
}

/* --repeat: every figure of b once a round, `rounds` rounds, then the statistics. */
static int run_rounds(bench_rounds *b, double seconds, int threads)
{
    b->value = malloc(b->n * b->rounds * sizeof *b->value);
    if (!b->value) return sim_cli_fail("bench: out of memory");
    for (unsigned r = 0; r < b->rounds; r++)
        for (size_t i = 0; i < b->n; i++) {
            double v = b->fig[i]->run(seconds, threads);
            if (v < 0) {
                free(b->value);
                fprintf(stderr, "bersim: bench %s failed\n", b->fig[i]->name);
                return 1;
            }
            b->value[i * b->rounds + r] = v;
        }
    print_rounds(b);
    free(b->value);
    fflush(stdout);
    return 0;
}

/* The figures of --only's comma-separated list into names[], each once; 0 or a usage error. */
static int parse_only(const char *list, const sim_bench_figure **names, size_t *n)
{
    *n = 0;
    for (const char *p = list;; p++) {
        size_t len = strcspn(p, ",");
        char name[64];
        if (len >= sizeof name) return sim_cli_fail("--only: no figure named '%.*s'", (int)len, p);
        memcpy(name, p, len);
        name[len] = '\0';
        const sim_bench_figure *f = find_figure(name);
        if (!f) return sim_cli_fail("--only: no figure named '%s'", name);
        for (size_t i = 0; i < *n; i++)
            if (names[i] == f) return sim_cli_fail("--only: '%s' named twice", name);
        if (*n == BENCH_MAX_ONLY)
            return sim_cli_fail("--only: more than %d figures", BENCH_MAX_ONLY);
        names[(*n)++] = f;
        p += len;
        if (!*p) return 0;
    }
}

static int bench_ranks(int argc, char **argv);

int sim_cmd_bench(int argc, char **argv)
{
    if (sim_mpi_start() != SIM_OK) return sim_cli_fail("%s", sim_last_error());
    return sim_mpi_finish(bench_ranks(argc, argv));
}

/* Whether fma_peak runs first: named, or needed by a GFLOP/s figure named. */
static bool needs_peak(const sim_bench_figure **only, size_t n_only)
{
    for (size_t i = 0; i < n_only; i++)
        if (strcmp(only[i]->unit, "GFLOP/s") == 0) return true;
    return false;
}

/* The figures named, once each, fma_peak first where it runs at all (run_figure measures it
 * before a GFLOP/s figure only while it has not run). */
static int run_named(const sim_bench_figure **only, size_t n_only, double seconds, int threads)
{
    const sim_bench_figure *peak = find_figure("fma_peak");
    bool first = needs_peak(only, n_only);
    int status = first ? run_figure(peak, seconds, threads) : 0;
    for (size_t i = 0; i < n_only; i++)
        if (!(first && only[i] == peak)) status |= run_figure(only[i], seconds, threads);
    return status;
}

/* --repeat over the figures named (all but the _mpi ones when none is), fma_peak measured too
 * where a GFLOP/s figure needs it. */
static int run_repeat(const sim_bench_figure **only, size_t n_only, unsigned rounds, double seconds,
                      int threads)
{
    bench_rounds b = {.fig = malloc(count_figures() * sizeof *b.fig), .rounds = rounds};
    if (!b.fig) return sim_cli_fail("bench: out of memory");
    if (n_only == 2) b.over[0] = only[0], b.over[1] = only[1];
    if (needs_peak(only, n_only)) rounds_add(&b, find_figure("fma_peak"));
    for (size_t i = 0; i < n_only; i++)
        rounds_add(&b, only[i]);
    for (size_t t = 0; !n_only && t < sizeof tables / sizeof tables[0]; t++)
        for (const sim_bench_figure *f = tables[t]; f->name; f++)
            if (!mpi_figure(f)) rounds_add(&b, f);
    int status = run_rounds(&b, seconds, threads);
    free(b.fig);
    return status;
}

static int bench_ranks(int argc, char **argv)
{
    const sim_bench_figure *only[BENCH_MAX_ONLY];
    size_t n_only = 0;
    uint64_t repeat = 0; /* 0: not given */
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
            if (!(v = sim_cli_value(argc, argv, &i)) || parse_only(v, only, &n_only) != 0)
                return SIM_EXIT_USAGE;
        } else if (strcmp(argv[i], "--repeat") == 0) {
            if (!(v = sim_cli_value(argc, argv, &i)) ||
                sim_cli_u64("--repeat", v, 1, BENCH_MAX_REPEAT, &repeat) != 0)
                return SIM_EXIT_USAGE;
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
    for (size_t i = 0; ranks && i < n_only; i++)
        if (!mpi_figure(only[i]))
            return sim_mpi_agree(sim_cli_fail("bench: under mpirun only the _mpi figures run, "
                                              "not '%s'",
                                              only[i]->name),
                                 0, NULL, 0);
    if (ranks && repeat)
        return sim_mpi_agree(sim_cli_fail("bench: --repeat does not run under mpirun"), 0, NULL, 0);
    if (sim_mpi_agree(0, (int)threads, NULL, 0) != 0) return SIM_EXIT_USAGE;
    if (sim_mpi_rank() == 0) print_cpu();
    if (repeat) return run_repeat(only, n_only, (unsigned)repeat, seconds, (int)threads);
    if (n_only) return run_named(only, n_only, seconds, (int)threads);
    int status = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const sim_bench_figure *f = tables[t]; f->name; f++)
            if (mpi_figure(f) == ranks) status |= run_figure(f, seconds, (int)threads);
    return status;
}
