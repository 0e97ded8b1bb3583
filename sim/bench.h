/* bersim bench: throughput figures of the standard chains, one "name value unit" line each
 * (README: Reproducibility and speed). */
#ifndef SIM_BENCH_H
#define SIM_BENCH_H

/* One figure: run() repeats its work for at least min_seconds of wall time with `threads`
 * threads (figures not ending in _mt ignore it) and returns the throughput in `unit`, or a
 * negative value on failure. */
typedef struct {
    const char *name;
    const char *unit;
    double (*run)(double min_seconds, int threads);
} sim_bench_figure;

/* Figure tables, each ended by an entry whose name is NULL. */
extern const sim_bench_figure sim_bench_machine_figures[];
extern const sim_bench_figure sim_bench_channel_figures[];
extern const sim_bench_figure sim_bench_engine_figures[];
extern const sim_bench_figure sim_bench_nn_figures[];
extern const sim_bench_figure sim_bench_code_figures[];
extern const sim_bench_figure sim_bench_ofdm_figures[];

/* Monotonic wall time in seconds. */
double sim_bench_now(void);

/* Keeps the compiler from dropping work whose result is otherwise unused. */
void sim_bench_sink(double value);

/* bersim bench [--only NAME] [--threads T]. Returns the process exit status. */


#endif
