#include "table.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nn.h>

#include "sim_error.h"

struct sim_table {
    FILE *out;
    nn_atomic_file file; /* unused for standard output */
    int to_stdout;
};

sim_table *sim_table_open(const char *path)
{
    sim_table *t = calloc(1, sizeof *t);
    if (!t) return sim_error(SIM_ENOMEM, "out of memory"), NULL;
    if (!path || strcmp(path, "-") == 0) {
        t->out = stdout;
        t->to_stdout = 1;
        return t;
    }
    if (nn_atomic_open(&t->file, path, "table") != NN_OK) {
        sim_error(SIM_EIO, "%s", nn_last_error());
        free(t);
        return NULL;
    }
    t->out = t->file.f;
    return t;
}

FILE *sim_table_stream(sim_table *t)
{
    return t->out;
}

void sim_table_meta(sim_table *t, const char *key, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    char small[512], *value = small;
    int len = vsnprintf(small, sizeof small, fmt, ap);
    if (len >= (int)sizeof small && (value = malloc((size_t)len + 1)))
        vsnprintf(value, (size_t)len + 1, fmt, again);
    /* a value too long for memory is cut rather than lost */
    nn_file_put_meta(t->out, key, value ? value : small);
    if (value != small) free(value);
    va_end(again);
    va_end(ap);
}

/* True when word reads as itself in a shell: no quoting needed. */
static bool plain_word(const char *word)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                               "_./:,=+@%-";
    return word[0] != '\0' && word[strspn(word, safe)] == '\0';
}

static bool has_control(const char *word)
{
    for (const unsigned char *c = (const unsigned char *)word; *c; c++)
        if (*c < 0x20 || *c == 0x7f) return true;
    return false;
}

/* One word of the command line as a shell reads it back: as is, 'quoted', or $'escaped' when it
 * holds a control character (a newline would otherwise end the metadata line). */
static void put_word(FILE *out, const char *word)
{
    if (plain_word(word)) {
        fputs(word, out);
    } else if (!has_control(word)) {
        fputc('\'', out);
        for (const char *c = word; *c; c++) *c == '\'' ? fputs("'\\''", out) : fputc(*c, out);
        fputc('\'', out);
    } else {
        fputs("$'", out);
        for (const unsigned char *c = (const unsigned char *)word; *c; c++) {
            if (*c == '\\' || *c == '\'') fprintf(out, "\\%c", *c);
            else if (*c == '\n' || *c == '\t') fputs(*c == '\n' ? "\\n" : "\\t", out);
            else if (*c < 0x20 || *c == 0x7f) fprintf(out, "\\x%02x", *c);
            else fputc(*c, out);
        }
        fputc('\'', out);
    }
}

void sim_table_meta_common(sim_table *t, int argc, char **argv)
{
    sim_table_meta(t, "version", "bersim %s", BERSIM_VERSION);
    fputs("# command: bersim", t->out);
    for (int i = 0; i < argc; i++) fputc(' ', t->out), put_word(t->out, argv[i]);
    fputc('\n', t->out);
    char date[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    sim_table_meta(t, "date", "%s", date);
}

int sim_table_commit(sim_table *t)
{
    int status = SIM_OK;
    if (t->to_stdout) {
        errno = 0;
        /* the failed write left its reason in errno, unless a later call changed it */
        if (ferror(t->out) | (fflush(t->out) != 0))
            status = sim_error(SIM_EIO, "cannot write the table to standard output: %s",
                               strerror(errno ? errno : EIO));
    } else if (nn_atomic_commit(&t->file, "table") != NN_OK) {
        status = sim_error(SIM_EIO, "%s", nn_last_error());
    }
    free(t);
    return status;
}

void sim_table_abort(sim_table *t)
{
    if (!t) return;
    if (!t->to_stdout) nn_atomic_abort(&t->file);
    free(t);
}
