/* bersim bench, parse only (parse.h): bench has no parser of its own, so this is the command
 * itself (sim/bench.c compiled in) over copies of the figure tables whose runs do nothing. */
#include "parse.h"

#include <stddef.h>
#include <stdlib.h>

#include "bench.h"

enum { FUZZ_TABLES = 6, FUZZ_FIGURES = 128 };
static sim_bench_figure fuzz_figures[FUZZ_TABLES][FUZZ_FIGURES];
double fuzz_unused_bench_now(void);
void fuzz_unused_bench_sink(double value);

#define sim_bench_channel_figures fuzz_figures[0]
#define sim_bench_engine_figures fuzz_figures[1]
#define sim_bench_nn_figures fuzz_figures[2]
#define sim_bench_code_figures fuzz_figures[3]
#define sim_bench_ofdm_figures fuzz_figures[4]
#define sim_bench_machine_figures fuzz_figures[5]
#define sim_bench_now fuzz_unused_bench_now
#define sim_bench_sink fuzz_unused_bench_sink
#define sim_cmd_bench fuzz_unused_sim_cmd_bench
#include "../../sim/bench.c"
#undef sim_bench_channel_figures
#undef sim_bench_engine_figures
#undef sim_bench_nn_figures
#undef sim_bench_code_figures
#undef sim_bench_ofdm_figures
#undef sim_bench_machine_figures
#undef sim_bench_now
#undef sim_bench_sink
#undef sim_cmd_bench

static double no_run(double min_seconds, int threads)
{
    (void)min_seconds, (void)threads;
    return 1.0;
}

int fuzz_parse_bench(int argc, char **argv)
{
    static int ready;
    if (!ready) {
        const sim_bench_figure *const real[FUZZ_TABLES] = {
            sim_bench_channel_figures, sim_bench_engine_figures, sim_bench_nn_figures,
            sim_bench_code_figures, sim_bench_ofdm_figures, sim_bench_machine_figures};
        for (int t = 0; t < FUZZ_TABLES; t++) {
            size_t i = 0;
            for (; real[t][i].name; i++) {
                if (i + 1 >= FUZZ_FIGURES) abort();
                fuzz_figures[t][i] = real[t][i];
                fuzz_figures[t][i].run = no_run;
            }
        }
        ready = 1;
    }
    return fuzz_unused_sim_cmd_bench(argc, argv);
}
