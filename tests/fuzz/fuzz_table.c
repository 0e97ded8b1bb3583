/* libFuzzer harness: the table reader of bersim plot (sim/cmd_plot.c compiled in, as parse_plot.c
 * does: read_table, read_tables) on arbitrary bytes, and what plot does with the tables it
 * accepts short of running gnuplot: the key entries, title and colours, and the -e line of
 * gnuplot variables.
 *
 * An input is one table, or several (up to MAX_PARTS) separated by a line holding only a form
 * feed (\f), each written to its own temporary file; they are read together, with -m ber and
 * with -m bler. Aborts when plot accepts tables that its gnuplot scripts cannot draw (the columns
 * ber.gp or curve.gp reads missing), when the tables it accepts mix kinds, or when the -e line
 * is not plain assignments with every text inside a gnuplot single-quoted string (a metadata
 * value that ended its string could put commands into gnuplot). */
#include <ctype.h>

#include "fuzz_util.h"

#define sim_cmd_plot fuzz_unused_sim_cmd_plot
#define sim_scripts_dir fuzz_unused_sim_scripts_dir
#include "../../sim/cmd_plot.c"
#undef sim_cmd_plot
#undef sim_scripts_dir

enum { MAX_PARTS = 4 };

static char part_path[MAX_PARTS][80];

static void remove_parts(void)
{
    for (int i = 1; i < MAX_PARTS; i++) unlink(part_path[i]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *base = fuzz_tmp_path();
    for (int i = 0; i < MAX_PARTS; i++)
        snprintf(part_path[i], sizeof part_path[i], i ? "%s.%d" : "%s", base, i);
    atexit(remove_parts);
    return 0;
}

/* The -e line: statements "name=value" or "array name[N]" separated by "; ", every text a
 * single-quoted string (a quote inside doubled). Outside the strings only these characters. */
static void check_vars(const char *vars)
{
    bool in = false;
    for (const char *p = vars; *p; p++) {
        if (*p == '\'') {
            if (in && p[1] == '\'') p++;
            else in = !in;
        } else if (!in && !isalnum((unsigned char)*p) && !strchr("_=;[] .-+", *p)) {
            fprintf(stderr, "fuzz_table: '%c' outside a string in: %s\n", *p, vars);
            abort();
        }
    }
    if (in) {
        fprintf(stderr, "fuzz_table: an unterminated string in: %s\n", vars);
        abort();
    }
}

/* What ber.gp and curve.gp read from a table plot accepted. */
static void check_table(const table *t, bool bler)
{
    bool ok = true;
    switch (t->kind) {
    case KIND_CURVE:
        ok = strcmp(t->header, "step\ttrain_loss\tval_loss\tlr") == 0 && t->zero_rows == 0;
        break;
    case KIND_SIM:
        ok = t->has_col[C_EBN0] && (bler ? t->has_col[C_BLER] && t->has_col[C_BLER_LO] &&
                                               t->has_col[C_BLER_HI]
                                         : t->has_col[C_BER] && t->has_col[C_BER_LO] &&
                                               t->has_col[C_BER_HI]);
        break;
    case KIND_THEORY:
        ok = t->has_col[C_EBN0] && t->zero_rows == 0 &&
             (bler ? t->has_col[C_BLER] || t->has_col[C_BLER_UB] : t->has_col[C_BER]);
        break;
    default:
        ok = false;
    }
    if (!ok) {
        fprintf(stderr, "fuzz_table: accepted, but not drawable with -m %s: kind %d, header '%s'\n",
                bler ? "bler" : "ber", (int)t->kind, t->header ? t->header : "(none)");
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    /* the parts, split at lines "\f"; the last part takes the rest */
    const char *paths[MAX_PARTS];
    size_t n = 0, start = 0;
    for (size_t i = 0; n < MAX_PARTS; i++) {
        bool end = i >= size;
        bool split = !end && n < MAX_PARTS - 1 && data[i] == '\f' &&
                     (i == 0 || data[i - 1] == '\n') && (i + 1 == size || data[i + 1] == '\n');
        if (!split && !end) continue;
        fuzz_write(part_path[n], data + start, i - start);
        paths[n] = part_path[n];
        n++;
        if (end) break;
        start = i + 2 < size ? i + 2 : size;
    }
    static table t[MAX_PARTS];
    for (int bler = 0; bler < 2; bler++) {
        size_t read = 0, curves = 0;
        int status = read_tables(paths, n, bler, t, &read, &curves);
        if (read > n || curves > read) abort();
        if (status == 0) {
            if (read != n || (curves && curves != n)) abort();
            for (size_t i = 0; i < n; i++) check_table(&t[i], bler);
            /* sim_cmd_plot's -e line, gnuplot not run */
            strbuf vars = {0};
            put(&vars, "out="), put_quoted(&vars, "fig.svg.tmp1"), put(&vars, "; fmt='svg'; ");
            if (curves) curve_vars(t, n, NULL, &vars);
            else error_rate_vars(t, n, bler, NULL, &vars);
            if (vars.failed || !vars.text) abort();
            check_vars(vars.text);
            free(vars.text);
        } else if (status != SIM_EXIT_USAGE) {
            abort();
        }
        for (size_t i = 0; i < read; i++) free_table(&t[i]);
    }
    return 0;
}
