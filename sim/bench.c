/* bersim bench: runs the figure tables of bench_*.c and prints "name<TAB>value<TAB>unit". */
#include "bench.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"

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

static int run_figure(const sim_bench_figure *f, int threads)
{
    double value = f->run(BENCH_MIN_SECONDS, threads);
    if (value < 0) {
        fprintf(stderr, "bersim: bench %s failed\n", f->name);
        return 1;
    }
    printf("%s\t%.4g\t%s\n", f->name, value, f->unit);
    fflush(stdout);
    return 0;
}

static void bench_usage(void)
{
    puts("usage: bersim bench [--only NAME] [--threads T]\n\n"
         "Prints one line per figure: name, throughput, unit (tab-separated). Figures run on one\n"
         "thread unless their name ends in _mt, which use T threads (default: all cores).\n\n"
         "figures:");
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const sim_bench_figure *f = tables[t]; f->name; f++)
            printf("  %-18s %s\n", f->name, f->unit);
}

int sim_cmd_bench(int argc, char **argv)
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
    if (only) return run_figure(find_figure(only), (int)threads);
    int status = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const sim_bench_figure *f = tables[t]; f->name; f++)
            status |= run_figure(f, (int)threads);
    return status;
}
