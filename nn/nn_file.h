/* Files written whole or not at all: the one atomic writer of bersim, for model files, learning
 * curves and result tables. A new or regular file is written under a temporary name beside it
 * (path.tmpXXXXXX, mode 0666 less the umask), flushed, fsync'ed and renamed onto it on commit,
 * so no reader ever sees half a file and a crash leaves the old one; a special file (a device
 * such as /dev/null, a pipe, a symbolic link such as /dev/stdout) is written through as it is,
 * since renaming onto it would replace it rather than write to it. */
#ifndef NN_FILE_H
#define NN_FILE_H

#include <stdio.h>

typedef struct {
    FILE *f;          /* write here */
    char *final_path; /* the path given */
    char *temp_path;  /* NULL when writing through */
} nn_atomic_file;

/* Opens path for writing (a temporary file beside it, or the special file itself), first removing
 * the temporary files of path that killed runs left (nn_atomic_remove_stale). NN_OK, or NN_EIO /
 * NN_ENOMEM with a message naming what is written (`who`, a noun: "table", "model"), path and the
 * reason (nn_last_error). */
int nn_atomic_open(nn_atomic_file *af, const char *path, const char *who);

/* Removes the files named exactly path.tmpXXXXXX (X a letter or digit: what mkstemp makes of the
 * suffix) beside path: what a run killed while writing path left behind. */
void nn_atomic_remove_stale(const char *path);

/* Flushes, syncs, closes and renames the file over its path; on a failure removes the temporary
 * file and returns NN_EIO with a message naming the path and the reason (and the temporary file,
 * when the finished file could be neither renamed nor removed). */
int nn_atomic_commit(nn_atomic_file *af, const char *who);

/* Closes and removes the temporary file (after a failed or abandoned write). */
void nn_atomic_abort(nn_atomic_file *af);

/* Writes the metadata line "# key: value" of a table. A backslash, newline, carriage return and
 * tab in key or value are written as \\, \n, \r and \t, other control bytes as \xHH, so
 * that no value can end the line and pass what follows for a header or a row. */
void nn_file_put_meta(FILE *f, const char *key, const char *value);

#endif
