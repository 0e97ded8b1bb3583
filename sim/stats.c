#include "stats.h"

#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

/* A beta tail in log p: GSL's gsl_cdf_beta_Pinv/Qinv do not converge for the shapes of long runs
 * (a = 4001, b = 1e9), while the incomplete beta itself is accurate there; so the quantile is
 * found by Brent's method on log p, where p spans hundreds of decades evenly. */
typedef struct {
    double a, b, target;
    int upper; /* 0: P(p; a, b), 1: Q(p; a, b) */
} beta_tail;

/* The normal law of the same mean and variance: GSL's continued fraction for the incomplete
 * beta gives up (NaN) close to the mean when a and b are both large (10^6 errors), where the
 * normal law is exact to far more than the root finder needs to tell which side it is on. */
static double normal_tail(const beta_tail *t, double p)
{
    double s = t->a + t->b;
    double z = (p - t->a / s) / sqrt(t->a * t->b / (s * s * (s + 1)));
    return t->upper ? gsl_cdf_ugaussian_Q(z) : gsl_cdf_ugaussian_P(z);
}

static double tail_minus_target(double log_p, void *params)
{
    const beta_tail *t = params;
    double p = exp(log_p);
    double tail = t->upper ? gsl_cdf_beta_Q(p, t->a, t->b) : gsl_cdf_beta_P(p, t->a, t->b);
    if (!isfinite(tail)) tail = normal_tail(t, p);
    return tail - t->target;
}

static double beta_quantile(beta_tail t)
{
    gsl_function f = {tail_minus_target, &t};
    double lo = -745.0, hi = 0.0; /* exp(-745) is the least positive double */
    gsl_root_fsolver *s = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!s || gsl_root_fsolver_set(s, &f, lo, hi) != GSL_SUCCESS) {
        gsl_root_fsolver_free(s);
        return NAN;
    }
    double root = NAN;
    for (int i = 0; i < 200; i++) {
        if (gsl_root_fsolver_iterate(s) != GSL_SUCCESS) break;
        lo = gsl_root_fsolver_x_lower(s);
        hi = gsl_root_fsolver_x_upper(s);
        root = gsl_root_fsolver_root(s);
        if (gsl_root_test_interval(lo, hi, 1e-14, 0) == GSL_SUCCESS) break;
    }
    gsl_root_fsolver_free(s);
    return exp(root);
}

void sim_clopper_pearson_real(double k, double n, double level, double *lo, double *hi)
{
    double a = 1.0 - level;
    *lo = k <= 0 ? 0.0 : beta_quantile((beta_tail){k, n - k + 1, a / 2, 0});
    *hi = k >= n ? 1.0 : beta_quantile((beta_tail){k + 1, n - k, a / 2, 1});
}

void sim_clopper_pearson(uint64_t k, uint64_t n, double level, double *lo, double *hi)
{
    sim_clopper_pearson_real((double)k, (double)n, level, lo, hi);
}

double sim_design_effect(uint64_t k, uint64_t n, uint64_t chunks, double sum_sq)
{
    if (chunks < 2 || k == 0 || k == n) return 1.0;
    double c = (double)chunks, p = (double)k / (double)n, mean = (double)k / c;
    double variance = (sum_sq - c * mean * mean) / (c - 1);
    double binomial = (double)n / c * p * (1 - p);
    double deff = variance / binomial;
    return deff > 1 ? deff : 1.0;
}

/* The degrees of freedom of the units' variance, k events whose units' counts have the sum of
 * squares sum_sq; U - 1 when no unit holds more than one event (Welch-Satterthwaite): the
 * share c = (sum_sq - k) / sum_sq of sum_sq that units of several events make is what
 * clustering adds to the binomial variance, and it is estimated from about m = k^2 / sum_sq
 * units (m of equal counts make that sum), so dof = (m - 1) / c^2, in [1, U - 1]. When one fade
 * in a hundred holds every error, that is 1, not the U - 1 of a hundred units: their spread is
 * one value, and a deeper fade, unseen, may hold most of the true rate (block fading at 30 dB:
 * coverage 33% with U - 1). Units of one event each (BPSK, or a lone error) keep U - 1. */
static double clustered_dof(uint64_t k, double units, double sum_sq)
{
    double clustered = sum_sq > (double)k ? (sum_sq - (double)k) / sum_sq : 0;
    if (clustered <= 0) return units - 1;
    double filled = (double)k * (double)k / sum_sq;
    double dof = (filled - 1) / (clustered * clustered);
    return dof < 1 ? 1 : dof > units - 1 ? units - 1 : dof;
}

void sim_rate_interval(uint64_t k, uint64_t n, uint64_t units, double sum_sq, double level,
                       double *lo, double *hi)
{
    if (units < 2 || n == 0) {
        *lo = 0, *hi = 1;
        return;
    }
    double u = (double)units < (double)n ? (double)units : (double)n;
    if (k == 0) { /* no error says nothing of how they cluster: all of a unit's trials may fail */
        sim_clopper_pearson_real(0, u, level, lo, hi);
        return;
    }
    double q = 0.5 + 0.5 * level, t = gsl_cdf_tdist_Pinv(q, clustered_dof(k, u, sum_sq));
    double z = gsl_cdf_ugaussian_Pinv(q),
           scale = sim_design_effect(k, n, units, sum_sq) * (t / z) * (t / z);
    /* never more clustered than whole units failing together */
    double per_unit = (double)n / u;
    if (scale > per_unit) scale = per_unit;
    sim_clopper_pearson_real((double)k / scale, (double)n / scale, level, lo, hi);
    /* an error was seen, so a unit failed, with at least one of its trials */
    double one_lo, one_hi;
    sim_clopper_pearson_real(1, u, level, &one_lo, &one_hi);
    if (*lo < one_lo / per_unit) *lo = one_lo / per_unit;
}
