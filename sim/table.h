/* Result tables (DESIGN.md §6): tab-separated text, metadata lines "# key: value" first, then
 * one header line of column names, then one row per SNR point. A table goes to a temporary file
 * beside its destination and is renamed onto it when complete, so no reader ever sees a
 * truncated table. */
#ifndef SIM_TABLE_H
#define SIM_TABLE_H

#include <stdio.h>

typedef struct sim_table sim_table;

/* Opens a table for path, or for standard output when path is NULL or "-". NULL with an error
 * line printed (naming the path) when the temporary file cannot be made. */
sim_table *sim_table_open(const char *path);

/* The stream to write metadata, header and rows to. */
FILE *sim_table_stream(sim_table *t);

/* Writes "# key: value" (value formatted like printf). */
void sim_table_meta(sim_table *t, const char *key, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Writes the metadata every table starts with: version, command line and date. */
void sim_table_meta_common(sim_table *t, int argc, char **argv);

/* Flushes, closes and renames the table onto its path. 0, or -1 with an error line printed
 * (and nothing left behind). Frees t either way. */
int sim_table_commit(sim_table *t);

/* Removes the temporary file and frees t; NULL is a no-op. */
void sim_table_abort(sim_table *t);


#endif
