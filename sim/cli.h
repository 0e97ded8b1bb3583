/* Command-line helpers shared by the subcommands: parsing of numbers, ranges and lists, and
 * the one-line error that every user mistake ends in (exit status 2). */
#ifndef SIM_CLI_H
#define SIM_CLI_H

#include <stddef.h>
#include <stdint.h>

/* Exit status of a user's mistake (bad option, value, file). */
#define SIM_EXIT_USAGE 2

/* Prints "bersim: <message>" on one line to stderr and returns SIM_EXIT_USAGE. */
int sim_cli_fail(const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Parses a finite double ("9.6", "1e-3"). 0, or -1 with an error printed naming option. */
int sim_cli_double(const char *option, const char *text, double *value);

/* Parses a whole number in [lo, hi], accepting 1e9 forms. 0, or -1 with an error printed. */
int sim_cli_u64(const char *option, const char *text, uint64_t lo, uint64_t hi, uint64_t *value);

/* Parses "A:STEP:B", "A:B" (step 1) or "A" into a grid of at most max_points values; step > 0
 * and B >= A. 0, or -1 with an error printed. */
int sim_cli_grid(const char *option, const char *text, size_t max_points, double *values,
                 size_t *count);

/* Parses a comma-separated list of whole numbers in [lo, hi] ("64,64"). 0, or -1. */
int sim_cli_list(const char *option, const char *text, size_t max_items, uint64_t lo,
                 uint64_t hi, uint64_t *items, size_t *count);

/* Finds the value of an option that takes one: argv[*i] is the option; advances *i. Returns
 * NULL with an error printed when the value is missing. */
const char *sim_cli_value(int argc, char **argv, int *i);

/* Number of online processors (at least 1). */
int sim_cli_cores(void);

#endif
