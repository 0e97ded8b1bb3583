#include "table.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

struct sim_table {
    FILE *out;
    char *path; /* NULL for standard output */
    char *tmp;  /* NULL when writing straight to path */
};

/* Anything but a plain file (a device such as /dev/null, a pipe, a symbolic link such as
 * /dev/stdout) is written through as it is: renaming a temporary file onto it would replace it
 * rather than write to it. New and regular files get the temporary file and the rename. */
static bool is_special(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

/* mkstemp makes files 0600; a table gets what any new file gets: 0666 less the umask. */
static mode_t new_file_mode(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

sim_table *sim_table_open(const char *path)
{
    sim_table *t = calloc(1, sizeof *t);
    if (!t) goto fail;
    if (!path || strcmp(path, "-") == 0) {
        t->out = stdout;
        return t;
    }
    size_t len = strlen(path);
    if (is_special(path)) {
        t->out = fopen(path, "w");
        if (!t->out) {
            sim_cli_fail("cannot write '%s': %s", path, strerror(errno));
            goto fail;
        }
        return t;
    }
    t->path = malloc(len + 1);
    t->tmp = malloc(len + 8);
    if (!t->path || !t->tmp) goto fail;
    memcpy(t->path, path, len + 1);
    snprintf(t->tmp, len + 8, "%s.XXXXXX", path);
    int fd = mkstemp(t->tmp);
    if (fd >= 0) fchmod(fd, new_file_mode());
    if (fd < 0) {
        sim_cli_fail("cannot write '%s': %s", path, strerror(errno));
        free(t->tmp);
        t->tmp = NULL;
        goto fail;
    }
    t->out = fdopen(fd, "w");
    if (!t->out) {
        close(fd);
        goto fail;
    }
    return t;
fail:
    sim_table_abort(t);
    return NULL;
}

FILE *sim_table_stream(sim_table *t)
{
    return t->out;
}

void sim_table_meta(sim_table *t, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(t->out, "# %s: ", key);
    vfprintf(t->out, fmt, ap);
    fputc('\n', t->out);
    va_end(ap);
}

void sim_table_meta_common(sim_table *t, int argc, char **argv)
{
    sim_table_meta(t, "version", "bersim %s", BERSIM_VERSION);
    fputs("# command: bersim", t->out);
    for (int i = 0; i < argc; i++) fprintf(t->out, " %s", argv[i]);
    fputc('\n', t->out);
    char date[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    sim_table_meta(t, "date", "%s", date);
}

static void table_free(sim_table *t)
{
    free(t->path);
    free(t->tmp);
    free(t);
}

int sim_table_commit(sim_table *t)
{
    if (!t->path) {
        int bad = ferror(t->out) | ((t->out == stdout ? fflush(t->out) : fclose(t->out)) != 0);
        table_free(t);
        return bad ? -1 : 0;
    }
    int bad = ferror(t->out) | (fclose(t->out) != 0);
    t->out = NULL;
    if (bad || rename(t->tmp, t->path) != 0) {
        sim_cli_fail("cannot write '%s': %s", t->path, strerror(errno));
        sim_table_abort(t);
        return -1;
    }
    table_free(t);
    return 0;
}

void sim_table_abort(sim_table *t)
{
    if (!t) return;
    if (t->out && t->out != stdout) fclose(t->out);
    if (t->tmp && t->path) unlink(t->tmp);
    table_free(t);
}
