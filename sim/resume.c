/* Reading back an interrupted table (resume.h). */
#include "resume.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_error.h"
#include "table.h"

/* Largest table read back: a sweep has at most a few hundred rows of a few hundred bytes. */
#define MAX_TABLE_BYTES (1u << 22)

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return sim_error(SIM_EIO, "--resume: cannot read '%s': %s", path, strerror(errno)), NULL;
    char *text = malloc(MAX_TABLE_BYTES + 1);
    size_t n = text ? fread(text, 1, MAX_TABLE_BYTES + 1, f) : 0;
    bool bad = ferror(f) || n > MAX_TABLE_BYTES;
    fclose(f);
    if (!text || bad) {
        free(text);
        return sim_error(SIM_EINVAL, "--resume: '%s' is not a table bersim wrote (unreadable or "
                         "over %u bytes)", path, MAX_TABLE_BYTES), NULL;
    }
    text[n] = '\0';
    if (strlen(text) != n)
        return free(text), sim_error(SIM_EINVAL, "--resume: '%s' holds a NUL byte", path), NULL;
    return text;
}

/* One $'...' escape at *s (after the backslash) into *out; false for an unknown one. */
static bool unescape(const char **s, char **out)
{
    char c = *(*s)++;
    if (c == 'n' || c == 't') return *(*out)++ = c == 'n' ? '\n' : '\t', true;
    if (c == '\\' || c == '\'') return *(*out)++ = c, true;
    if (c != 'x') return false;
    unsigned v;
    if (sscanf(*s, "%2x", &v) != 1 || !(*s)[0] || !(*s)[1]) return false;
    *s += 2;
    *(*out)++ = (char)v;
    return true;
}

/* The next shell word of the command line at *s (plain, '...' with '\'' for a quote, or
 * $'...'), written over itself; NULL at the end of the line or on a malformed word. */
static char *next_word(char **s, bool *bad)
{
    while (**s == ' ') (*s)++;
    if (!**s) return NULL;
    char *word = *s, *out = *s;
    const char *in = *s;
    while (*in && *in != ' ') {
        if (in[0] == '$' && in[1] == '\'') {
            for (in += 2; *in != '\''; )
                if (!*in || (*in == '\\' ? (in++, !unescape(&in, &out)) : (*out++ = *in++, false)))
                    return *bad = true, NULL;
            in++;
        } else if (*in == '\'') {
            for (in++; *in != '\''; *out++ = *in++)
                if (!*in) return *bad = true, NULL;
            in++;
        } else if (*in == '\\' && in[1]) {
            *out++ = in[1], in += 2;
        } else {
            *out++ = *in++;
        }
    }
    *s = (char *)in + (*in == ' ');
    *out = '\0';
    return word;
}

static int read_command(const char *path, char *line, sim_resume *r)
{
    bool bad = false;
    char *s = line;
    for (char *w; (w = next_word(&s, &bad));) {
        if (r->nwords == SIM_RESUME_MAX_WORDS)
            return sim_error(SIM_EINVAL, "--resume: '%s': its command has over %d words", path,
                             SIM_RESUME_MAX_WORDS);
        r->words[r->nwords++] = w;
    }
    if (bad || r->nwords < 2 || strcmp(r->words[0], "bersim") != 0 ||
        strcmp(r->words[1], "sim") != 0)
        return sim_error(SIM_EINVAL, "--resume: '%s': its '# command:' line is not a bersim sim "
                         "command", path);
    return SIM_OK;
}

/* Field i of a line as a number: false unless the whole field is one, and finite (bersim
 * writes no nan or inf in a row). */
static bool number_at(const char *line, size_t i, double *v)
{
    const char *f = sim_table_field(line, i);
    char *end;
    if (!f) return false;
    *v = strtod(f, &end);
    return end != f && (*end == '\t' || *end == '\0') && isfinite(*v);
}

/* What is wrong with a row under header, or NULL: as many fields as the header, each a
 * number, and each count of errors a whole number from 0 to its count of trials. A row
 * resumed as it is goes into the new table, so a cut or edited one would spoil it. */
static const char *row_fault(const char *header, const char *row)
{
    static const char *const counts[][2] = {
        {"bit_errors", "bits"}, {"symbol_errors", "symbols"}, {"block_errors", "blocks"}};
    size_t fields = sim_table_count_fields(header);
    double v, errors = -1, trials = -1;
    for (size_t i = 0; i < fields; i++)
        if (!number_at(row, i, &v)) return "not as many finite numbers as the header has columns";
    if (sim_table_field(row, fields)) return "more fields than the header has columns";
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        int e = sim_table_column(header, counts[c][0]), t = sim_table_column(header, counts[c][1]);
        if (e < 0 || t < 0) continue;
        number_at(row, (size_t)e, &errors), number_at(row, (size_t)t, &trials);
        if (!(errors >= 0 && errors <= trials && trials < 1e19 && errors == floor(errors) &&
              trials == floor(trials)))
            return "its counts of errors and trials are not whole numbers with errors <= trials";
    }
    return NULL;
}

/* Sorts the lines of the text into the command, the header and the rows. */
static int read_lines(const char *path, sim_resume *r)
{
    const char *header = NULL;
    size_t cap = 0;
    for (char *line = r->text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (strncmp(line, "# command: ", 11) == 0 && r->nwords == 0) {
            if (read_command(path, line + 11, r) != SIM_OK) return SIM_EINVAL;
        } else if (strncmp(line, "# inputs: ", 10) == 0) {
            r->inputs = line + 10;
        } else if (strncmp(line, "# stopped: no bit error", 23) == 0) {
            r->ended = true;
        } else if (strncmp(line, "ebn0_db\t", 8) == 0) {
            header = line;
        } else if (header && line[0] && line[0] != '#') {
            const char *fault = row_fault(header, line);
            if (fault)
                return sim_error(SIM_EINVAL, "--resume: '%s': row %zu: %s", path, r->nrows + 1,
                                 fault);
            if (r->nrows == cap) {
                cap = cap ? 2 * cap : 16;
                char **rows = realloc(r->rows, cap * sizeof *rows);
                double *e = realloc(r->ebn0, cap * sizeof *e);
                if (rows) r->rows = rows;
                if (e) r->ebn0 = e;
                if (!rows || !e) return sim_error(SIM_ENOMEM, "out of memory");
            }
            char *end;
            r->ebn0[r->nrows] = strtod(line, &end);
            if (end == line || *end != '\t')
                return sim_error(SIM_EINVAL, "--resume: '%s': row %zu is not a row of numbers",
                                 path, r->nrows + 1);
            r->rows[r->nrows++] = line;
        }
    }
    if (r->nwords == 0 || !header)
        return sim_error(SIM_EINVAL, "--resume: '%s' is not a table of bersim sim (no command "
                         "line or no header)", path);
    return SIM_OK;
}

int sim_resume_read(const char *path, sim_resume *r)
{
    *r = (sim_resume){0};
    if (!(r->text = read_all(path))) return SIM_EINVAL;
    int status = read_lines(path, r);
    if (status != SIM_OK) sim_resume_free(r);
    return status;
}

void sim_resume_free(sim_resume *r)
{
    free(r->rows);
    free(r->ebn0);
    free(r->text);
    *r = (sim_resume){0};
}
