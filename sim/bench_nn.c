/* bersim bench figures of nn. */
#include "bench.h"

#include <stddef.h>

const sim_bench_figure sim_bench_nn_figures[] = {
    {NULL, NULL, NULL},
};
