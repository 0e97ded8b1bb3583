/* bersim bench figures of channel. */
#include "bench.h"

#include <stddef.h>

const sim_bench_figure sim_bench_channel_figures[] = {
    {NULL, NULL, NULL},
};
