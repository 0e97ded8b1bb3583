/* bersim bench figures of engine. */
#include "bench.h"

#include <stddef.h>

const sim_bench_figure sim_bench_engine_figures[] = {
    {NULL, NULL, NULL},
};
