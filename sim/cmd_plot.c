/* bersim plot: bersim tables to one figure through gnuplot. The tables' metadata and headers are
 * read here; what differs between the tables makes the key entries, what they share the title;
 * the drawing itself is scripts/ber.gp (error rates) or scripts/curve.gp (learning curves), given
 * their variables with gnuplot -e. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "table.h"

extern char **environ;

#ifndef BERSIM_SCRIPTS_DIR
#define BERSIM_SCRIPTS_DIR "scripts"
#endif

enum { MAX_TABLES = 32, MAX_META = 48 };

typedef enum { KIND_SIM, KIND_THEORY, KIND_CURVE } table_kind;

typedef struct {
    const char *path;
    table_kind kind;
    size_t n_meta;
    char *key[MAX_META], *value[MAX_META];
    char *header;
    bool has_col[8];  /* columns of interest, see cols[] */
    size_t zero_rows; /* rows of zero errors (sim tables, the metric drawn) */
    int colour;       /* index into palette */
} table;

static const char *const cols[] = {"ber", "ber_lo", "ber_hi", "bler", "bler_lo", "bler_hi",
                                   "bler_ub", "ebn0_db"};
enum { C_BER, C_BER_LO, C_BER_HI, C_BLER, C_BLER_LO, C_BLER_HI, C_BLER_UB, C_EBN0 };

/* Colours of simulated curves, in order; a theory line takes its simulated curve's. */
static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
enum { NPALETTE = sizeof palette / sizeof *palette };

/* Metadata keys that tell error-rate tables apart, in the order of titles and key entries. */
static const char *const link_keys[] = {"modulation", "channel", "code", "decoder", "pilots",
                                        "e2e", "receiver", NULL};
/* ... and learning curves. */
static const char *const curve_keys[] = {"role",     "modulation", "channel_detail", "code",
                                         "features", "ofdm",       "ofdm_channel",   "network",
                                         "ebn0_db",  NULL};
/* A theory line belongs to a simulated curve that agrees on these. */
static const char *const match_keys[] = {"modulation", "channel", "code", "pilots", "e2e", NULL};

static void plot_usage(void)
{
    puts("usage: bersim plot TABLE... -o FIG.png|FIG.svg|FIG.pdf [-t TITLE] [-m ber|bler] "
         "[--quiet]\n\n"
         "Draws bersim tables on one figure with gnuplot (scripts/ber.gp, scripts/curve.gp):\n"
         "simulated tables (sim) as points with their 95% intervals, a point without errors as\n"
         "its upper bound (a downward arrow from ber_hi), theory tables as lines in the colour of\n"
         "the simulated curve of the same link; or learning curves (train --log), with the loss\n"
         "of the optimal receiver as a line where the curve's metadata give it (optimal_loss).\n"
         "Key entries say what differs between the tables (receiver, CSI, code, channel,\n"
         "modulation...), the title what they share.\n\n"
         "  -o FILE        the figure; its extension picks the format (required)\n"
         "  -t TITLE       the title (default: from the tables' shared metadata)\n"
         "  -m ber|bler    bit (default) or block error rates (coded tables; the exact and\n"
         "                 union-bound lines of code theory)\n"
         "  --quiet        do not print the figure's path\n\n"
         "A missing or malformed table: one line on stderr, exit status 2. No gnuplot: exit 1.\n"
         "BERSIM_SCRIPTS overrides the directory of the gnuplot scripts.");
}

/* The directory of the gnuplot scripts: $BERSIM_SCRIPTS, else the build's scripts/. */
const char *sim_scripts_dir(void)
{
    const char *env = getenv("BERSIM_SCRIPTS");
    return env && *env ? env : BERSIM_SCRIPTS_DIR;
}

static const char *meta(const table *t, const char *key)
{
    for (size_t i = 0; i < t->n_meta; i++)
        if (strcmp(t->key[i], key) == 0) return t->value[i];
    return NULL;
}

/* A metadata value as a key entry or title shows it: up to its first ';' (a code's name alone,
 * the theory receiver as "theory"). Into buf; "" when absent. */
static const char *short_value(const table *t, const char *key, char *buf, size_t size)
{
    const char *v = meta(t, key);
    buf[0] = '\0';
    if (!v) return buf;
    if (strcmp(key, "receiver") == 0 && t->kind == KIND_THEORY) v = "theory";
    size_t n = strcspn(v, strcmp(key, "code") == 0 ? " ;" : ";");
    if (n >= size) n = size - 1;
    memcpy(buf, v, n);
    buf[n] = '\0';
    return buf;
}

static void free_table(table *t)
{
    for (size_t i = 0; i < t->n_meta; i++) free(t->key[i]), free(t->value[i]);
    free(t->header);
    memset(t, 0, sizeof *t);
}

/* One line on stderr naming the table and what is wrong with it; SIM_EXIT_USAGE. */
static int bad_table(const char *path, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int bad_table(const char *path, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return sim_cli_fail("plot: '%s': %s", path, what);
}

/* Field i of a tab-separated row as a number (NaN when absent). */
static double field(const char *row, int i)
{
    const char *p = sim_table_field(row, (size_t)i);
    return p ? strtod(p, NULL) : 0.0 / 0.0;
}

/* The longest line a table may have: a metadata line of a model's longest key and value
 * (NN_META_MAX_KEY, NN_META_MAX_VALUE) with room to spare. */
#define MAX_LINE (1u << 17)

/* The next line of f into *line (grown as needed, its newline kept): its length, -1 at the end
 * of the file, -2 when it runs past MAX_LINE bytes. getline would read a file without a newline
 * (/dev/zero) into memory without end. */
static ssize_t read_line(FILE *f, char **line, size_t *cap)
{
    size_t len = 0;
    for (int c; (c = getc(f)) != EOF;) {
        if (len == MAX_LINE) return -2;
        if (len + 2 > *cap) {
            size_t more = *cap ? 2 * *cap : 256;
            char *p = realloc(*line, more);
            if (!p) return -2;
            *line = p, *cap = more;
        }
        (*line)[len++] = (char)c;
        if (c == '\n') break;
    }
    if (len == 0) return -1;
    (*line)[len] = '\0';
    return (ssize_t)len;
}

/* Reads metadata, header and rows of path into t and classifies it. 0, or SIM_EXIT_USAGE with
 * the one line printed. */
static int read_table(const char *path, bool bler, table *t)
{
    t->path = path;
    FILE *f = fopen(path, "r");
    if (!f) return bad_table(path, "cannot read: %s", strerror(errno));
    char *line = NULL;
    size_t cap = 0, rows = 0, lineno = 0, fields = 0;
    ssize_t len;
    bool bersim = false;
    int status = 0, zero_col = -1;
    while (status == 0 && (len = read_line(f, &line, &cap)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        if ((size_t)len != strlen(line)) {
            status = bad_table(path, "line %zu holds a NUL byte: not a bersim table", lineno);
        } else if (!t->header && line[0] == '#') {
            char *colon = strstr(line, ": ");
            if (line[1] != ' ' || !colon || t->n_meta == MAX_META) continue;
            *colon = '\0';
            t->key[t->n_meta] = strdup(line + 2);
            t->value[t->n_meta] = strdup(colon + 2);
            if (!t->key[t->n_meta] || !t->value[t->n_meta])
                status = sim_cli_fail("plot: out of memory");
            t->n_meta++;
            if ((strcmp(line + 2, "version") == 0 || strcmp(line + 2, "trained_by") == 0) &&
                strncmp(colon + 2, "bersim", 6) == 0)
                bersim = true;
        } else if (!t->header) {
            if (len == 0) continue;
            if (!bersim) {
                status = bad_table(path, "not a bersim table (no '# version: bersim' or "
                                         "'# trained_by: bersim' line before its header)");
                break;
            }
            if (!(t->header = strdup(line))) status = sim_cli_fail("plot: out of memory");
            fields = sim_table_count_fields(line);
            for (int c = 0; c < (int)(sizeof cols / sizeof *cols); c++)
                t->has_col[c] = sim_table_column(line, cols[c]) >= 0;
            zero_col = sim_table_column(line, bler ? "bler" : "ber");
        } else if (len > 0) {
            rows++;
            if (sim_table_count_fields(line) != fields)
                status = bad_table(path, "line %zu has %zu fields where the header has %zu", lineno,
                                   sim_table_count_fields(line), fields);
            else if (zero_col >= 0 && field(line, zero_col) == 0)
                t->zero_rows++;
        }
    }
    if (status == 0 && len == -2)
        status = bad_table(path, "line %zu is longer than %u bytes: not a bersim table", lineno + 1,
                           MAX_LINE);
    if (status == 0 && ferror(f)) status = bad_table(path, "cannot read: %s", strerror(errno));
    free(line);
    fclose(f);
    if (status) return status;
    if (!bersim) return bad_table(path, "not a bersim table (no bersim metadata lines)");
    if (!t->header) return bad_table(path, "no header line (no column names after the metadata)");
    if (strcmp(t->header, "step\ttrain_loss\tval_loss\tlr") == 0)
        t->kind = KIND_CURVE;
    else if (strncmp(t->header, "ebn0_db\t", 8) != 0)
        return bad_table(path, "wrong columns '%.200s': neither an error-rate table (ebn0_db "
                               "...) nor a learning curve (step train_loss val_loss lr)",
                         t->header);
    else if (t->has_col[C_BER_LO] && t->has_col[C_BER_HI] && t->has_col[C_BER])
        t->kind = KIND_SIM;
    else if (t->has_col[C_BER] || t->has_col[C_BLER] || t->has_col[C_BLER_UB])
        t->kind = KIND_THEORY;
    else
        return bad_table(path, "wrong columns '%.200s': no ber, bler or bler_ub", t->header);
    if (rows == 0) return bad_table(path, "no rows after the header");
    if (t->kind == KIND_SIM && bler &&
        !(t->has_col[C_BLER] && t->has_col[C_BLER_LO] && t->has_col[C_BLER_HI]))
        return bad_table(path, "no block error rates (bler, bler_lo, bler_hi) for -m bler");
    if (t->kind == KIND_THEORY && bler && !t->has_col[C_BLER] && !t->has_col[C_BLER_UB])
        return bad_table(path, "no block error rates (bler, bler_ub) for -m bler");
    if (t->kind == KIND_THEORY && !bler && !t->has_col[C_BER])
        return bad_table(path, "no ber column (a code's theory gives block error rates: "
                               "-m bler)");
    if (t->kind != KIND_SIM) t->zero_rows = 0;
    return 0;
}

/* ---- gnuplot's command line ----------------------------------------------------------------- */

typedef struct {
    char *text;
    size_t len, cap;
    bool failed;
} strbuf;

static void put(strbuf *b, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void put(strbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->text ? b->text + b->len : NULL, b->text ? b->cap - b->len : 0, fmt,
                          ap);
        va_end(ap);
        if (n < 0) {
            b->failed = true;
            return;
        }
        if (b->text && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap + (size_t)n + 1) * 2;
        char *text = realloc(b->text, cap);
        if (!text) {
            b->failed = true;
            return;
        }
        b->text = text, b->cap = cap;
    }
}

/* text as a gnuplot single-quoted string: a quote inside is doubled, so no path or title can
 * end the string and put commands into the -e line. */
static void put_quoted(strbuf *b, const char *text)
{
    put(b, "'");
    for (; *text; text++) put(b, *text == '\'' ? "''" : "%c", *text);
    put(b, "'");
}

/* Key entries and title: the keys whose values differ between the tables go to every entry,
 * those all share to the title. */
static void describe(table *t, size_t n, const char *const *keys, strbuf *title, strbuf *entry,
                     size_t which)
{
    char a[512], v[512];
    bool first_title = true, first_entry = true;
    for (const char *const *k = keys; *k; k++) {
        bool same = true;
        short_value(&t[0], *k, a, sizeof a);
        for (size_t i = 1; i < n && same; i++)
            same = strcmp(a, short_value(&t[i], *k, v, sizeof v)) == 0;
        if (same && title && a[0]) {
            put(title, "%s%s", first_title ? "" : ", ", a);
            first_title = false;
        }
        if (same || !entry) continue;
        short_value(&t[which], *k, v, sizeof v);
        if (!v[0]) { /* absent where others have it */
            if (strcmp(*k, "code") == 0) snprintf(v, sizeof v, "uncoded");
            else if (strcmp(*k, "pilots") == 0) snprintf(v, sizeof v, "perfect CSI");
            else continue;
        }
        if (strcmp(*k, "decoder") == 0 && t[which].kind == KIND_THEORY) continue;
        bool pilots = strcmp(*k, "pilots") == 0 && strcmp(v, "perfect CSI") != 0;
        put(entry, "%s%s%s", first_entry ? "" : ", ", pilots ? "pilots: " : "", v);
        first_entry = false;
    }
    if (entry && first_entry) { /* nothing differs: say what it is */
        short_value(&t[which], t[which].kind == KIND_CURVE ? "role" : "receiver", v, sizeof v);
        put(entry, "%s", v[0] ? v : t[which].path);
    }
}

/* The colour of every table: simulated ones in order; a theory table the colour of the first
 * simulated table that agrees on match_keys (one of the same decoder first), else a colour of
 * its own. */
static void assign_colours(table *t, size_t n)
{
    int next = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].kind != KIND_THEORY) t[i].colour = next++ % NPALETTE;
    for (size_t i = 0; i < n; i++) {
        if (t[i].kind != KIND_THEORY) continue;
        int found = -1;
        for (int pass = 0; pass < 2 && found < 0; pass++)
            for (size_t j = 0; j < n && found < 0; j++) {
                if (t[j].kind != KIND_SIM) continue;
                bool same = true;
                char a[512], b[512];
                for (const char *const *k = match_keys; *k && same; k++)
                    same = strcmp(short_value(&t[i], *k, a, sizeof a),
                                  short_value(&t[j], *k, b, sizeof b)) == 0;
                if (same && pass == 0)
                    same = strcmp(short_value(&t[i], "decoder", a, sizeof a),
                                  short_value(&t[j], "decoder", b, sizeof b)) == 0;
                if (same) found = t[j].colour;
            }
        t[i].colour = found >= 0 ? found : next++ % NPALETTE;
    }
}

/* ber.gp's variables for the error-rate tables t[0..n). */
static void error_rate_vars(table *t, size_t n, bool bler, const char *title, strbuf *b)
{
    size_t ns = 0, nt = 0, zeros = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i].kind == KIND_SIM) ns++, zeros += t[i].zero_rows;
        else nt += bler ? t[i].has_col[C_BLER] + t[i].has_col[C_BLER_UB] : 1;
    }
    assign_colours(t, n);
    put(b, "metric='%s'; ns=%zu; nt=%zu; nz=%zu; ", bler ? "bler" : "ber", ns, nt, zeros);
    put(b, "array S[%zu]; array ST[%zu]; array SC[%zu]; ", ns ? ns : 1, ns ? ns : 1,
        ns ? ns : 1);
    put(b, "array T[%zu]; array TT[%zu]; array TC[%zu]; array TK[%zu]; ", nt ? nt : 1,
        nt ? nt : 1, nt ? nt : 1, nt ? nt : 1);
    strbuf shared = {0};
    size_t is = 0, it = 0;
    for (size_t i = 0; i < n; i++) {
        strbuf entry = {0};
        describe(t, n, link_keys, i == 0 && !title ? &shared : NULL, &entry, i);
        if (entry.failed || !entry.text) b->failed = true;
        if (t[i].kind == KIND_SIM) {
            is++;
            put(b, "S[%zu]=", is), put_quoted(b, t[i].path);
            put(b, "; ST[%zu]=", is), put_quoted(b, entry.text ? entry.text : "");
            put(b, "; SC[%zu]='%s'; ", is, palette[t[i].colour]);
        } else {
            for (int c = 0; c < 3; c++) {
                const char *column = c == 0 ? "ber" : c == 1 ? "bler" : "bler_ub";
                if ((c == 0) == bler || !t[i].has_col[c == 0 ? C_BER : c == 1 ? C_BLER
                                                                         : C_BLER_UB])
                    continue;
                strbuf e = {0};
                put(&e, "%s%s", entry.text ? entry.text : "",
                    c == 1 ? " (exact, hard decoding)" : c == 2 ? " (soft ML, union bound)" : "");
                it++;
                put(b, "T[%zu]=", it), put_quoted(b, t[i].path);
                put(b, "; TT[%zu]=", it), put_quoted(b, e.text ? e.text : "");
                put(b, "; TC[%zu]='%s'; TK[%zu]='%s'; ", it, column, it, palette[t[i].colour]);
                b->failed |= e.failed;
                free(e.text);
            }
        }
        free(entry.text);
    }
    put(b, "plot_title=");
    if (title) {
        put_quoted(b, title);
    } else {
        strbuf full = {0};
        put(&full, "%s error rate%s%s", bler ? "Block" : "Bit", shared.text ? ": " : "",
            shared.text ? shared.text : "");
        put_quoted(b, full.text ? full.text : "");
        b->failed |= full.failed;
        free(full.text);
    }
    put(b, "; ");
    b->failed |= shared.failed;
    free(shared.text);
}

/* curve.gp's variables for the learning curves t[0..n). */
static void curve_vars(table *t, size_t n, const char *title, strbuf *b)
{
    strbuf shared = {0};
    assign_colours(t, n);
    put(b, "nc=%zu; array C[%zu]; array CT[%zu]; array CC[%zu]; array CR[%zu]; ", n, n, n, n,
        n);
    for (size_t i = 0; i < n; i++) {
        strbuf entry = {0};
        describe(t, n, curve_keys, i == 0 && !title ? &shared : NULL, n > 1 ? &entry : NULL, i);
        /* the optimal receiver's loss, where the curve's metadata give it; no line otherwise */
        const char *opt = meta(&t[i], "optimal_loss");
        char *end = NULL;
        double ref = opt ? strtod(opt, &end) : 0;
        bool have_ref = opt && end != opt && ref > 0 && ref < 1e30;
        put(b, "C[%zu]=", i + 1), put_quoted(b, t[i].path);
        put(b, "; CT[%zu]=", i + 1), put_quoted(b, entry.text ? entry.text : "");
        put(b, "; CC[%zu]='%s'; CR[%zu]=%.9g; ", i + 1, palette[t[i].colour], i + 1,
            have_ref ? ref : -1.0);
        b->failed |= entry.failed;
        free(entry.text);
    }
    put(b, "plot_title=");
    strbuf full = {0};
    put(&full, "Learning curve%s%s", shared.text ? ": " : "", shared.text ? shared.text : "");
    put_quoted(b, title ? title : full.text ? full.text : "");
    put(b, "; ");
    b->failed |= shared.failed || full.failed;
    free(shared.text), free(full.text);
}

/* Runs gnuplot with -e vars and the script; its standard output is not shown. 0, 1 when it
 * failed, or 127 when there is no gnuplot. */
static int run_gnuplot(const char *vars, const char *script)
{
    char *words[] = {"gnuplot", "-e", (char *)vars, (char *)script, NULL};
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int status = -1;
    int err = posix_spawnp(&pid, "gnuplot", &quiet, NULL, words, environ);
    posix_spawn_file_actions_destroy(&quiet);
    if (err == ENOENT) return 127;
    if (err) return 1;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return 127;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

typedef struct {
    const char *out, *title, *metric, *fmt; /* fmt: the extension of out */
    bool quiet;
    const char *paths[MAX_TABLES];
    size_t n;
} plot_options;

/* Parses and checks the command line into o. 0, or SIM_EXIT_USAGE with the one line printed. */
static int parse_options(plot_options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->metric = "ber";
    sim_cli_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--") == 0) {
            for (i++; i < argc; i++) {
                if (o->n == MAX_TABLES) return sim_cli_fail("plot: at most %d tables", MAX_TABLES);
                o->paths[o->n++] = argv[i];
            }
            break;
        }
        if (opt[0] != '-' || opt[1] == '\0') {
            if (o->n == MAX_TABLES) return sim_cli_fail("plot: at most %d tables", MAX_TABLES);
            o->paths[o->n++] = opt;
            continue;
        }
        if (!sim_cli_first_time(&seen, opt)) return SIM_EXIT_USAGE;
        if (strcmp(opt, "--quiet") == 0) {
            o->quiet = true;
            continue;
        }
        if (strcmp(opt, "-o") != 0 && strcmp(opt, "-t") != 0 && strcmp(opt, "-m") != 0 &&
            strcmp(opt, "--title") != 0 && strcmp(opt, "--metric") != 0)
            return sim_cli_fail("plot: unknown option '%s'", opt);
        const char *v = sim_cli_value(argc, argv, &i);
        if (!v) return SIM_EXIT_USAGE;
        if (strcmp(opt, "-o") == 0) o->out = v;
        else if (opt[1] == 't' || strcmp(opt, "--title") == 0) o->title = v;
        else o->metric = v;
    }
    if (strcmp(o->metric, "ber") != 0 && strcmp(o->metric, "bler") != 0)
        return sim_cli_fail("plot: -m '%s' is not ber or bler", o->metric);
    if (!o->out) return sim_cli_fail("plot: -o FIG.png|FIG.svg|FIG.pdf is required");
    const char *dot = strrchr(o->out, '.');
    o->fmt = dot ? dot + 1 : "";
    if (strcmp(o->fmt, "png") != 0 && strcmp(o->fmt, "svg") != 0 && strcmp(o->fmt, "pdf") != 0)
        return sim_cli_fail("plot: -o '%s' must end in .png, .svg or .pdf", o->out);
    if (o->n == 0) return sim_cli_fail("plot: no table given (see bersim plot --help)");
    if (sim_cli_check_writable("-o", o->out) != 0) return SIM_EXIT_USAGE;
    return 0;
}

/* Reads the tables paths[0..n) into t and checks that they can share one figure; *read: how
 * many of t to free (the one that failed among them), *curves: how many are learning curves.
 * 0, or SIM_EXIT_USAGE with the one line printed. */
static int read_tables(const char *const *paths, size_t n, bool bler, table *t, size_t *read,
                       size_t *curves)
{
    int status = 0;
    *read = 0, *curves = 0;
    for (; *read < n && status == 0; ++*read) {
        status = read_table(paths[*read], bler, &t[*read]);
        if (status == 0) *curves += t[*read].kind == KIND_CURVE;
    }
    if (status == 0 && *curves && *curves != n) {
        for (size_t i = 0; i < n; i++)
            if ((t[i].kind == KIND_CURVE) != (t[0].kind == KIND_CURVE)) {
                status = bad_table(paths[i], "a %s cannot share a figure with %s",
                                   t[i].kind == KIND_CURVE ? "learning curve"
                                                           : "table of error rates",
                                   t[0].kind == KIND_CURVE ? "learning curves"
                                                           : "error-rate tables");
                break;
            }
    }
    return status;
}

int sim_cmd_plot(int argc, char **argv)
{
    if (sim_cli_wants_help(argc, argv)) return plot_usage(), 0;
    static plot_options o;
    if (parse_options(&o, argc, argv) != 0) return SIM_EXIT_USAGE;
    const char *out = o.out, *title = o.title, *fmt = o.fmt;
    size_t n = o.n;
    bool bler = strcmp(o.metric, "bler") == 0;
    static table t[MAX_TABLES];
    size_t read, curves;
    int status = read_tables(o.paths, n, bler, t, &read, &curves);
    strbuf vars = {0};
    char tmp[4096], script[4096];
    if (status == 0) {
        snprintf(tmp, sizeof tmp, "%s.tmp%ld", out, (long)getpid());
        snprintf(script, sizeof script, "%s/%s", sim_scripts_dir(), curves ? "curve.gp"
                                                                           : "ber.gp");
        put(&vars, "out="), put_quoted(&vars, tmp), put(&vars, "; fmt='%s'; ", fmt);
        if (curves) curve_vars(t, n, title, &vars);
        else error_rate_vars(t, n, bler, title, &vars);
        if (vars.failed) status = sim_cli_fail("plot: out of memory"), status = 1;
    }
    if (status == 0 && access(script, R_OK) != 0)
        fprintf(stderr, "bersim: plot: cannot read the gnuplot script '%s': %s (set "
                        "BERSIM_SCRIPTS to the scripts/ directory)\n", script, strerror(errno)),
            status = 1;
    if (status == 0) {
        int g = run_gnuplot(vars.text, script);
        if (g == 127)
            fprintf(stderr, "bersim: plot: gnuplot is not installed or not on PATH (bash "
                            "scripts/setup.sh installs it)\n");
        else if (g)
            fprintf(stderr, "bersim: plot: gnuplot failed drawing '%s' from %s\n", out, script);
        else if (rename(tmp, out) != 0)
            fprintf(stderr, "bersim: plot: cannot rename '%s' to '%s': %s\n", tmp, out,
                    strerror(errno)),
                g = 1;
        if (g) unlink(tmp);
        status = g ? 1 : 0;
    }
    if (status == 0 && !o.quiet) printf("%s\n", out);
    free(vars.text);
    for (size_t i = 0; i < read; i++) free_table(&t[i]);
    return status;
}
