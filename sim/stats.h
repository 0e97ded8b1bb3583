/* Statistics of error counts. */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <stdint.h>

/* Two-sided Clopper–Pearson interval [lo, hi] of confidence `level` (e.g. 0.95) for a rate
 * with k events in n trials (k <= n, n > 0), from GSL's beta quantiles:
 *   lo = B^-1(a/2; k, n-k+1)  (0 when k = 0),  hi = B^-1(1-a/2; k+1, n-k)  (1 when k = n),
 * a = 1 - level. */
void sim_clopper_pearson(uint64_t k, uint64_t n, double level, double *lo, double *hi);

/* The same for real k and n (effective counts), 0 <= k <= n, n > 0. */
void sim_clopper_pearson_real(double k, double n, double level, double *lo, double *hi);

/* Design effect of errors counted in C equal chunks whose counts e_c have the sum k and the
 * sum of squares sum_sq, over n trials: the variance of the e_c over the binomial variance
 * (n/C) p (1-p), p = k/n, and at least 1. Errors correlated within a chunk (a deep fade takes
 * several bits) make it exceed 1; dividing k and n by it gives the effective counts of an
 * interval that accounts for them (Kish's effective sample size). 1 when C < 2 or k is 0 or n. */
double sim_design_effect(uint64_t k, uint64_t n, uint64_t chunks, double sum_sq);

/* The interval of a rate counted over U independent units (sim_counts.units, or the chunks
 * when a link has no smaller ones): k events in n trials, the units' counts having the sum of
 * squares sum_sq. The binomial law is right only when the n trials are independent; bits of a
 * symbol, symbols of a fade, bits of a codeword are not. So:
 *
 *   deff  = sim_design_effect(k, n, U, sum_sq)            the variance over the binomial one
 *   allow = (t_f(q) / z(q))²,  q = (1 + level) / 2        the units' variance is itself an
 *           estimate: Student's t with f = U - 1 degrees of freedom, or, where some unit holds
 *           several events, the fewer of what they add: c = (sum_sq - k) / sum_sq of sum_sq,
 *           from the m = k² / sum_sq units the events fill, f = (m - 1) / c², in [1, U - 1]
 *           (Welch-Satterthwaite)
 *   scale = min(deff·allow, n/U)                          never more clustered than whole
 *                                                         units failing together
 *   [lo, hi] = Clopper–Pearson at `level` on k / scale events in n / scale trials, lo at least
 *           Clopper-Pearson's lower end of 1 of U over n/U (an error was seen: a unit failed)
 *
 * which is the t interval p ± t s/√U for many errors and keeps Clopper–Pearson's skew for few.
 * No event (k = 0): Clopper–Pearson on 0 of U, as if every trial of a unit failed together,
 * since nothing shows how they cluster. With U < 2 nothing is known of the spread: [0, 1]. */
void sim_rate_interval(uint64_t k, uint64_t n, uint64_t units, double sum_sq, double level,
                       double *lo, double *hi);

#endif
