#include "stats.h"

#include <gsl/gsl_cdf.h>

void sim_clopper_pearson(uint64_t k, uint64_t n, double level, double *lo, double *hi)
{
    double a = 1.0 - level, kd = (double)k, nd = (double)n;
    *lo = k == 0 ? 0.0 : gsl_cdf_beta_Pinv(a / 2, kd, nd - kd + 1);
    /* The upper quantile through Qinv keeps its precision when hi is tiny. */
    *hi = k == n ? 1.0 : gsl_cdf_beta_Qinv(a / 2, kd + 1, nd - kd);
}
