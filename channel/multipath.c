/* Tapped-delay-line profiles (multipath.h). */
#include "multipath.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#include "ch_error.h"

static const char *const names[] = {"exp", "epa", "eva", "etu"};

int ch_profile_parse(const char *name, ch_profile_kind *kind)
{
    for (unsigned i = 0; i < 4; i++)
        if (strcasecmp(name, names[i]) == 0) return *kind = (ch_profile_kind)i, CH_OK;
    return ch_error(CH_EINVAL, "unknown profile '%s' (exp, epa, eva, etu)", name);
}

const char *ch_profile_name(ch_profile_kind kind)
{
    return names[kind];
}

/* 3GPP TS 36.104 annex B.2: delays in ns, relative powers in dB. */
static const double epa_ns[] = {0, 30, 70, 90, 110, 190, 410};
static const double epa_db[] = {0.0, -1.0, -2.0, -3.0, -8.0, -17.2, -20.8};
static const double eva_ns[] = {0, 30, 150, 310, 370, 710, 1090, 1730, 2510};
static const double eva_db[] = {0.0, -1.5, -1.4, -3.6, -0.6, -9.1, -7.0, -12.0, -16.9};
static const double etu_ns[] = {0, 50, 120, 200, 230, 500, 1600, 2300, 5000};
static const double etu_db[] = {-1.0, -1.0, -1.0, 0.0, 0.0, 0.0, -3.0, -5.0, -7.0};

/* Adds power to the tap at delay d, keeping the taps in ascending order of delay. */
static int add_tap(ch_profile *p, unsigned d, double power)
{
    for (unsigned i = 0; i < p->n_taps; i++)
        if (p->delay[i] == d) return p->power[i] += power, CH_OK;
    if (p->n_taps == CH_MULTIPATH_MAX_TAPS) return CH_EINVAL;
    unsigned i = p->n_taps++;
    while (i > 0 && p->delay[i - 1] > d) {
        p->delay[i] = p->delay[i - 1], p->power[i] = p->power[i - 1];
        i--;
    }
    p->delay[i] = d, p->power[i] = power;
    return CH_OK;
}

int ch_profile_make(ch_profile_kind kind, double fs, ch_profile *p)
{
    memset(p, 0, sizeof *p);
    if (kind == CH_PROFILE_EXP) {
        for (unsigned t = 0; t < 8; t++) add_tap(p, t, exp(-(double)t));
    } else {
        if (!(fs > 0 && isfinite(fs)))
            return ch_error(CH_EINVAL, "sample rate %g Hz is not a positive number", fs);
        const double *ns = kind == CH_PROFILE_EPA ? epa_ns : kind == CH_PROFILE_EVA ? eva_ns
                                                                                    : etu_ns;
        const double *db = kind == CH_PROFILE_EPA ? epa_db : kind == CH_PROFILE_EVA ? eva_db
                                                                                    : etu_db;
        unsigned count = kind == CH_PROFILE_EPA ? 7 : 9;
        for (unsigned i = 0; i < count; i++) {
            double d = floor(ns[i] * 1e-9 * fs + 0.5);
            if (d > CH_MULTIPATH_MAX_TAPS * 16.0)
                return ch_error(CH_EINVAL, "at %g Hz the %s profile spans %.0f samples, beyond "
                                "%d", fs, names[kind], d, CH_MULTIPATH_MAX_TAPS * 16);
            if (add_tap(p, (unsigned)d, pow(10, db[i] / 10)) != CH_OK)
                return ch_error(CH_EINVAL, "too many taps");
        }
    }
    double total = 0;
    for (unsigned i = 0; i < p->n_taps; i++) total += p->power[i];
    for (unsigned i = 0; i < p->n_taps; i++) p->power[i] /= total;
    return CH_OK;
}

unsigned ch_profile_spread(const ch_profile *p)
{
    return p->delay[p->n_taps - 1];
}

void ch_profile_correlation(const ch_profile *p, unsigned n, double complex *r)
{
    const double two_pi = 6.283185307179586476925286766559;
    for (unsigned m = 0; m < n; m++) {
        double complex sum = 0;
        for (unsigned l = 0; l < p->n_taps; l++)
            sum += p->power[l] * cexp(-I * two_pi * (double)m * p->delay[l] / n);
        r[m] = sum;
    }
}

void ch_profile_response(const ch_profile *p, const float complex *g, unsigned n,
                         float complex *h)
{
    const double two_pi = 6.283185307179586476925286766559;
    for (unsigned k = 0; k < n; k++) {
        double complex sum = 0;
        for (unsigned l = 0; l < p->n_taps; l++)
            sum += g[l] * cexp(-I * two_pi * (double)((size_t)k * p->delay[l] % n) / n);
        h[k] = (float complex)sum;
    }
}
