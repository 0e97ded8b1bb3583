/* realpath() is an XSI function, beyond the POSIX level the build asks for */
#define _XOPEN_SOURCE 700

#include "cli.h"

#include <ctype.h>
#include <stdint.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    /* strtod also reads hexadecimal and "inf": a user's 0x10 is a typo, not 16 dB. */
    bool decimal = text[strspn(text, "+-0123456789.eE")] == '\0';
    if (!decimal || end == text || *end != '\0') {
        sim_cli_fail("%s: '%s' is not a number", option, text);
        return -1;
    }
    /* strtod flags both ends of the range; a tiny value read as 0 would silently change it */
    if (errno == ERANGE || !isfinite(v)) {
        sim_cli_fail("%s: '%s' %s", option, text,
                     fabs(v) < 1 ? "underflows (nearer 0 than about 1e-308)" : "overflows");
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

/* One piece of a grid list, "A:STEP:B", "A:B" or "A", appended to values[*count..]. */
static int grid_piece(const char *option, const char *text, const char *piece, size_t max_points,
                      double *values, size_t *count)
{
    double f[3];
    int n;
    if (grid_fields(option, piece, f, &n) != 0) return -1;
    double a = f[0], step = n == 3 ? f[1] : 1.0, b = n == 1 ? f[0] : f[n - 1];
    if (b < a) return sim_cli_fail("%s: '%s' ends below its start", option, piece), -1;
    if (a < -50 || b > 100)
        return sim_cli_fail("%s: '%s' leaves the range -50 to 100 dB", option, piece), -1;
    if (!(step > 0)) return sim_cli_fail("%s: '%s' needs a step above 0", option, piece), -1;
    /* A small slack so that 0:0.1:1 includes 1 despite rounding. */
    double points = floor((b - a) / step + 1e-9) + 1;
    if (points > (double)(max_points - *count))
        return sim_cli_fail("%s: '%s' has more than %zu points", option, text, max_points), -1;
    for (size_t i = 0; i < (size_t)points; i++) {
        double v = a + (double)i * step;
        /* a sweep runs upwards: its early end assumes the points after one are harder */
        if (*count && !(v > values[*count - 1]))
            return sim_cli_fail("%s: '%s': the points must increase (%g after %g)", option, text,
                                v, values[*count - 1]), -1;
        values[(*count)++] = v;
    }
    return 0;
}

int sim_cli_grid(const char *option, const char *text, size_t max_points, double *values,
                 size_t *count)
{
    char buf[512];
    if (strlen(text) >= sizeof buf || !text[0])
        return sim_cli_fail("%s: '%s' is not a list of points", option, text), -1;
    strcpy(buf, text);
    *count = 0;
    for (char *piece = buf;;) {
        char *comma = strchr(piece, ',');
        if (comma) *comma = '\0';
        if (grid_piece(option, text, piece, max_points, values, count) != 0) return -1;
        if (!comma) return 0;
        piece = comma + 1;
    }
}

int sim_cli_range(const char *option, const char *text, double lo_limit, double hi_limit,
                  double *lo, double *hi)
{
    double f[3];
    int n;
    if (grid_fields(option, text, f, &n) != 0) return -1;
    if (n == 3) return sim_cli_fail("%s: '%s' is not A or A:B", option, text), -1;
    *lo = f[0], *hi = f[n - 1];
    if (*hi < *lo) return sim_cli_fail("%s: '%s' ends below its start", option, text), -1;
    if (*lo < lo_limit || *hi > hi_limit)
        return sim_cli_fail("%s: '%s' leaves the range %g to %g", option, text, lo_limit,
                            hi_limit), -1;
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

bool sim_cli_is_one_of(const char *opt, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(opt, *names) == 0) return true;
    return false;
}

bool sim_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return true;
    return false;
}

int sim_cli_check_writable(const char *option, const char *path)
{
    struct stat st;
    if (path[0] == '\0') return sim_cli_fail("%s: the path is empty", option), -1;
    if (strcmp(path, "-") == 0) return 0;
    bool exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode))
        return sim_cli_fail("%s: '%s' is a directory", option, path), -1;
    /* A device or pipe is written in place; a plain file through a temporary beside it. */
    if (exists && !S_ISREG(st.st_mode)) {
        if (access(path, W_OK) == 0) return 0;
        return sim_cli_fail("%s: cannot write '%s': %s", option, path, strerror(errno)), -1;
    }
    size_t len = strlen(path);
    char *dir = malloc(len + 2);
    if (!dir) return sim_cli_fail("out of memory"), -1;
    memcpy(dir, path, len + 1);
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else
        slash[slash == dir] = '\0'; /* "/x" keeps its root */
    /* access() as root passes a plain file's W_OK and fails its X_OK with EACCES: say what the
     * parent is rather than "Permission denied" */
    bool is_dir = stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    int ok = is_dir && access(dir, W_OK | X_OK) == 0;
    int err = is_dir || errno == ENOENT ? errno : ENOTDIR;
    free(dir);
    if (!ok) return sim_cli_fail("%s: cannot write '%s': %s", option, path, strerror(err)), -1;
    return 0;
}

/* The directory part of path, resolved (realpath), followed by its last component; NULL when
 * the directory does not resolve. The caller frees it. */
static char *resolved(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char *dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    char *real = dir ? realpath(dir, NULL) : NULL;
    char *whole = real ? malloc(strlen(real) + strlen(base) + 2) : NULL;
    if (whole) sprintf(whole, "%s/%s", real, base);
    free(dir);
    free(real);
    return whole;
}

bool sim_cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char *ra = resolved(a), *rb = resolved(b);
    bool same = ra && rb ? strcmp(ra, rb) == 0 : strcmp(a, b) == 0;
    free(ra);
    free(rb);
    return same;
}

bool sim_cli_first_time(sim_cli_seen *seen, const char *opt)
{
    for (size_t i = 0; i < seen->count; i++)
        if (strcmp(seen->names[i], opt) == 0) return sim_cli_fail("%s given twice", opt), false;
    /* more distinct options than any command has: the command's own parser refuses them */
    if (seen->count < sizeof seen->names / sizeof seen->names[0])
        seen->names[seen->count++] = opt;
    return true;
}

volatile sig_atomic_t sim_cli_interrupted;

/* A closed terminal (SIGHUP) or Ctrl-\ (SIGQUIT) would otherwise end the run with its finished
 * rows unwritten. */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static void on_interrupt(int sig)
{
    (void)sig;
    sim_cli_interrupted = 1;
}

void sim_cli_catch_interrupts(void)
{
    struct sigaction sa = {.sa_handler = on_interrupt};
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
        sigaction(stop_signals[i], &sa, NULL);
}

void sim_cli_release_interrupts(void)
{
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++)
        signal(stop_signals[i], SIG_DFL);
}

/* ---- suggestions ------------------------------------------------------------------------- */

/* Edits (insert, delete, substitute, swap two neighbours) from a to b, ignoring case; words
 * longer than 63 bytes are not compared. */
static size_t edits(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b), d[64][64];
    if (n > 63 || m > 63) return SIZE_MAX;
    for (size_t i = 0; i <= n; i++) d[i][0] = i;
    for (size_t j = 0; j <= m; j++) d[0][j] = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]) &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[n][m];
}

const char *sim_cli_nearest(const char *word, const char *const *names)
{
    const char *best = NULL;
    size_t best_edits = SIZE_MAX, len = strlen(word);
    for (size_t i = 0; names[i]; i++) {
        size_t e = edits(word, names[i]);
        if (e < best_edits) best = names[i], best_edits = e;
    }
    /* a third of the word may be wrong, at least one letter: "--ebno", "qpks", "16-qam" */
    size_t allowed = len / 3 > 1 ? len / 3 : 1;
    return best_edits <= allowed ? best : NULL;
}

/* Every option of every subcommand, for suggestions. */
static const char *const every_option[] = {
    "--arch", "--batch", "--cfo", "--channel", "--clip", "--code", "--coherence", "--declip",
    "--constellation", "--count-overhead", "--cp", "--csi", "--decoder", "--design-snr",
    "--doppler", "--e2e", "--e2e-constellation", "--e2e-model", "--ebn0", "--esn0", "--est",
    "--help", "--hidden", "--k-factor", "--log", "--lr", "--max-bits", "--min-block-errors",
    "--min-errors", "--mod", "--model", "--ofdm", "--ofdm-symbols", "--only", "--pilots",
    "--pilot-spacing", "--resume", "--progress", "--esn0", "--ebn0-range", "--checkpoint",
    "--checkpoint-every",
    "--profile", "--quiet", "--rx", "--sample-rate", "--seconds", "--seed", "--steps", "--study", "--threads",
    "--version", NULL};

bool sim_cli_takes_no_value(const char *opt)
{
    static const char *const flags[] = {"--quiet", "--progress", "--count-overhead", "--help"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (strcmp(opt, flags[i]) == 0) return true;
    return false;
}

int sim_cli_unknown_option(const char *command, const char *opt)
{
    const char *near = sim_cli_nearest(opt, every_option);
    if (near && strcmp(near, opt) == 0)
        sim_cli_fail("%s: %s is not an option of %s", command, opt, command);
    else if (near)
        sim_cli_fail("%s: unknown option '%s'; did you mean '%s'?", command, opt, near);
    else
        sim_cli_fail("%s: unknown option '%s'", command, opt);
    return -1;
}

int sim_cli_unknown_name(const char *option, const char *what, const char *value,
                         const char *const *names)
{
    char list[256] = "";
    size_t used = 0;
    for (size_t i = 0; names[i] && used + 1 < sizeof list; i++) {
        int n = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
        if (n < 0) break;
        used += (size_t)n;
    }
    const char *near = sim_cli_nearest(value, names);
    if (near)
        sim_cli_fail("%s: unknown %s '%s'; did you mean '%s'? (%s)", option, what, value, near,
                     list);
    else
        sim_cli_fail("%s: unknown %s '%s' (%s)", option, what, value, list);
    return -1;
}
