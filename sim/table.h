/* Result tables: tab-separated text, metadata lines "# key: value" first, then one header line
 * of column names, then one row per SNR point. A table is written through nn/'s atomic writer
 * (nn_file.h): a temporary file beside its destination, synced and renamed onto it when
 * complete, so no reader ever sees a truncated table. */
#ifndef SIM_TABLE_H
#define SIM_TABLE_H

#include <stdio.h>

typedef struct sim_table sim_table;

/* Opens a table for path, or for standard output when path is NULL or "-". NULL with a message
 * naming the path (sim_last_error) when the temporary file cannot be made. */
sim_table *sim_table_open(const char *path);

/* The same without the rescue file: for the tables a run writes after each point, whose
 * failure the run survives (the final table still gets its rescue). */
sim_table *sim_table_open_no_rescue(const char *path);

/* The stream to write metadata, header and rows to. */
FILE *sim_table_stream(sim_table *t);

/* Writes "# key: value" (value formatted like printf). */
void sim_table_meta(sim_table *t, const char *key, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Reading a table's tab-separated lines back: the number of fields of a line; the start of
 * field i (0 first), or NULL past the last; the index of column name in a header, or -1. */
size_t sim_table_count_fields(const char *line);
const char *sim_table_field(const char *line, size_t i);
int sim_table_column(const char *header, const char *name);

/* FNV-1a (64 bits) of a file's bytes, the fingerprint a table keeps of its input files; 0
 * when it cannot be read. */
unsigned long long sim_file_fingerprint(const char *path);

/* Writes the metadata every table starts with: version, command line and date. */
void sim_table_meta_common(sim_table *t, int argc, char **argv);

/* Flushes, syncs, closes and renames the table onto its path. SIM_OK, or SIM_EIO with a message
 * (and nothing left behind). Frees t either way. */
int sim_table_commit(sim_table *t);

/* Removes the temporary file and frees t; NULL is a no-op. */
void sim_table_abort(sim_table *t);


#endif
