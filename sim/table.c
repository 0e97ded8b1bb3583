#include "table.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nn.h>

#include "sim_error.h"

struct sim_table {
    FILE *out;
    nn_atomic_file file; /* unused for standard output and a rescue file */
    int to_stdout;
    char *rescue;      /* the file that holds the table when its own path could not be made */
    char *lost_reason; /* why not */
};

/* The rows of a long run outlive its output's directory: when the table cannot be made where
 * it was asked for (the directory removed or made read-only during the run, the disk full), it
 * goes to a new file in $TMPDIR (or /tmp), which the error then names. */
static int open_rescue(sim_table *t, const char *path)
{
    const char *dir = getenv("TMPDIR");
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t size = strlen(dir && *dir ? dir : "/tmp") + strlen(base) + 32;
    t->rescue = malloc(size);
    t->lost_reason = strdup(nn_last_error());
    if (!t->rescue || !t->lost_reason) return -1;
    snprintf(t->rescue, size, "%s/bersim-%s.XXXXXX", dir && *dir ? dir : "/tmp", base);
    int fd = mkstemp(t->rescue);
    if (fd < 0) return -1;
    if (!(t->out = fdopen(fd, "w"))) {
        close(fd), unlink(t->rescue);
        return -1;
    }
    return 0;
}

static void table_free(sim_table *t)
{
    free(t->rescue);
    free(t->lost_reason);
    free(t);
}

static sim_table *table_open(const char *path, bool rescue)
{
    sim_table *t = calloc(1, sizeof *t);
    if (!t) return sim_error(SIM_ENOMEM, "out of memory"), NULL;
    if (!path || strcmp(path, "-") == 0) {
        t->out = stdout;
        t->to_stdout = 1;
        return t;
    }
    if (nn_atomic_open(&t->file, path, "table") == NN_OK) {
        t->out = t->file.f;
        return t;
    }
    sim_error(SIM_EIO, "%s", nn_last_error());
    if (!rescue) {
        table_free(t);
        return NULL;
    }
    if (open_rescue(t, path) == 0) return t;
    sim_error(SIM_EIO, "%s", t->lost_reason ? t->lost_reason : nn_last_error());
    table_free(t);
    return NULL;
}

sim_table *sim_table_open(const char *path)
{
    return table_open(path, true);
}

sim_table *sim_table_open_no_rescue(const char *path)
{
    return table_open(path, false);
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

size_t sim_table_count_fields(const char *line)
{
    size_t n = 1;
    for (; *line; line++)
        n += *line == '\t';
    return n;
}

const char *sim_table_field(const char *line, size_t i)
{
    for (; i > 0 && line; i--)
        line = strchr(line, '\t'), line = line ? line + 1 : NULL;
    return line;
}

int sim_table_column(const char *header, const char *name)
{
    size_t len = strlen(name);
    int i = 0;
    for (const char *p = header;; i++) {
        size_t n = strcspn(p, "\t");
        if (n == len && strncmp(p, name, len) == 0) return i;
        if (!p[n]) return -1;
        p += n + 1;
    }
}

unsigned long long sim_file_fingerprint(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned long long h = 14695981039346656037ull;
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < n; i++)
            h = (h ^ buf[i]) * 1099511628211ull;
    fclose(f);
    return h;
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
    } else if (t->rescue) {
        int bad = ferror(t->out) | (fflush(t->out) != 0) | (fsync(fileno(t->out)) != 0);
        bad |= fclose(t->out) != 0;
        status = bad ? sim_error(SIM_EIO, "%s; nor could the table be kept in %s", t->lost_reason,
                                 t->rescue)
                     : sim_error(SIM_EIO, "%s; the table is kept in %s", t->lost_reason, t->rescue);
    } else if (nn_atomic_commit(&t->file, "table") != NN_OK) {
        status = sim_error(SIM_EIO, "%s", nn_last_error());
    }
    table_free(t);
    return status;
}

void sim_table_abort(sim_table *t)
{
    if (!t) return;
    if (t->rescue) fclose(t->out), unlink(t->rescue);
    else if (!t->to_stdout) nn_atomic_abort(&t->file);
    table_free(t);
}
