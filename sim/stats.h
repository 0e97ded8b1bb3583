/* Statistics of error counts. */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <stdint.h>

/* Two-sided Clopper–Pearson interval [lo, hi] of confidence `level` (e.g. 0.95) for a rate
 * with k events in n trials (k <= n, n > 0), from GSL's beta quantiles:
 *   lo = B^-1(a/2; k, n-k+1)  (0 when k = 0),  hi = B^-1(1-a/2; k+1, n-k)  (1 when k = n),
 * a = 1 - level. */
void sim_clopper_pearson(uint64_t k, uint64_t n, double level, double *lo, double *hi);

#endif
