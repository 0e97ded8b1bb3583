#include "table.h"

#include <stdarg.h>
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

int sim_table_commit(sim_table *t)
{
    int status = SIM_OK;
    if (t->to_stdout) {
        if (ferror(t->out) | (fflush(t->out) != 0))
            status = sim_error(SIM_EIO, "cannot write the table to standard output");
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
