#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sim_cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bersim: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return SIM_EXIT_USAGE;
}

int sim_cli_double(const char *option, const char *text, double *value)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v)) {
        sim_cli_fail("%s: '%s' is not a number", option, text);
        return -1;
    }
    *value = v;
    return 0;
}

int sim_cli_u64(const char *option, const char *text, uint64_t lo, uint64_t hi, uint64_t *value)
{
    double v;
    if (sim_cli_double(option, text, &v) != 0) return -1;
    /* 2^64 is the first double above every uint64_t. */
    if (v != floor(v) || v < (double)lo || v > (double)hi || v >= 18446744073709551616.0) {
        sim_cli_fail("%s: '%s' must be a whole number from %llu to %llu", option, text,
                     (unsigned long long)lo, (unsigned long long)hi);
        return -1;
    }
    *value = (uint64_t)v;
    return 0;
}

static int grid_fields(const char *option, const char *text, double field[3], int *nfields)
{
    char buf[128];
    if (strlen(text) >= sizeof buf) {
        sim_cli_fail("%s: '%s' is too long", option, text);
        return -1;
    }
    strcpy(buf, text);
    *nfields = 0;
    char *rest = buf;
    for (;;) {
        char *colon = strchr(rest, ':');
        if (colon) *colon = '\0';
        if (*nfields == 3 || sim_cli_double(option, rest, &field[*nfields]) != 0) {
            if (*nfields == 3) sim_cli_fail("%s: '%s' is not A, A:B or A:STEP:B", option, text);
            return -1;
        }
        (*nfields)++;
        if (!colon) return 0;
        rest = colon + 1;
    }
}

int sim_cli_grid(const char *option, const char *text, size_t max_points, double *values,
                 size_t *count)
{
    double f[3];
    int n;
    if (grid_fields(option, text, f, &n) != 0) return -1;
    double a = f[0], step = n == 3 ? f[1] : 1.0, b = n == 1 ? f[0] : f[n - 1];
    if (b < a) return sim_cli_fail("%s: '%s' ends below its start", option, text), -1;
    if (!(step > 0)) return sim_cli_fail("%s: '%s' needs a step above 0", option, text), -1;
    /* A small slack so that 0:0.1:1 includes 1 despite rounding. */
    double points = floor((b - a) / step + 1e-9) + 1;
    if (points > (double)max_points)
        return sim_cli_fail("%s: '%s' has more than %zu points", option, text, max_points), -1;
    *count = (size_t)points;
    for (size_t i = 0; i < *count; i++) values[i] = a + (double)i * step;
    return 0;
}

int sim_cli_list(const char *option, const char *text, size_t max_items, uint64_t lo,
                 uint64_t hi, uint64_t *items, size_t *count)
{
    char buf[256];
    if (strlen(text) >= sizeof buf || text[0] == '\0') {
        sim_cli_fail("%s: '%s' is not a comma-separated list", option, text);
        return -1;
    }
    strcpy(buf, text);
    *count = 0;
    for (char *item = buf;;) {
        char *comma = strchr(item, ',');
        if (comma) *comma = '\0';
        if (*count == max_items) {
            sim_cli_fail("%s: '%s' has more than %zu items", option, text, max_items);
            return -1;
        }
        if (sim_cli_u64(option, item, lo, hi, &items[*count]) != 0) return -1;
        (*count)++;
        if (!comma) return 0;
        item = comma + 1;
    }
}

const char *sim_cli_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        sim_cli_fail("%s needs a value", argv[*i]);
        return NULL;
    }
    (*i)++;
    return argv[*i];
}

int sim_cli_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}
