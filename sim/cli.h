/* Command-line helpers shared by the subcommands: parsing of numbers, ranges and lists, and
 * the one-line error that every user mistake ends in (exit status 2). */
#ifndef SIM_CLI_H
#define SIM_CLI_H

#include <signal.h>
#include <stdbool.h>
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

/* Parses a finite decimal number ("9.6", "1e-3"; not hexadecimal, not inf or nan). 0, or -1
 * with an error printed naming option. */
int sim_cli_double(const char *option, const char *text, double *value);

/* Parses a whole number in [lo, hi], accepting 1e9 forms. 0, or -1 with an error printed. */
int sim_cli_u64(const char *option, const char *text, uint64_t lo, uint64_t hi, uint64_t *value);

/* Parses a comma-separated list of "A:STEP:B", "A:B" (step 1) or "A" ("0,2,5:1:10") into a grid
 * of at most max_points increasing values; step > 0 and B >= A. 0, or -1 with an error
 * printed. */
int sim_cli_grid(const char *option, const char *text, size_t max_points, double *values,
                 size_t *count);

/* Parses "A:B" or "A" (then B = A) into [lo, hi], lo_limit <= lo <= hi <= hi_limit. 0, or -1
 * with an error printed. */
int sim_cli_range(const char *option, const char *text, double lo_limit, double hi_limit,
                  double *lo, double *hi);

/* Parses a comma-separated list of whole numbers in [lo, hi] ("64,64"). 0, or -1. */
int sim_cli_list(const char *option, const char *text, size_t max_items, uint64_t lo,
                 uint64_t hi, uint64_t *items, size_t *count);

/* Finds the value of an option that takes one: argv[*i] is the option; advances *i. Returns
 * NULL with an error printed when the value is missing. */
const char *sim_cli_value(int argc, char **argv, int *i);

/* Number of online processors (at least 1). */
int sim_cli_cores(void);

/* True when opt is one of names[] (a NULL-terminated list). */
bool sim_cli_is_one_of(const char *opt, const char *const *names);

/* True when "--help" or "-h" stands anywhere among argv[1..argc). */
bool sim_cli_wants_help(int argc, char **argv);

/* Checks that path can be written as a file: not empty, not a directory, in a directory that
 * exists and is writable. 0, or -1 with an error printed naming option and path. Lets a command
 * refuse a bad output before the work that would have filled it. */
int sim_cli_check_writable(const char *option, const char *path);

/* True when paths a and b name one file: the same file when both exist (links, "./x" and "x"),
 * otherwise the same name in the same resolved directory. */
bool sim_cli_same_file(const char *a, const char *b);

/* The options seen so far on one command line, to refuse one given twice (a repeated option
 * would otherwise silently be its last value). */
typedef struct {
    const char *names[64];
    size_t count;
} sim_cli_seen;

/* True the first time opt is met; false, with "OPT given twice" printed, after that. */
bool sim_cli_first_time(sim_cli_seen *seen, const char *opt);

/* Ctrl-C, SIGTERM, SIGHUP and SIGQUIT: from sim_cli_catch_interrupts() on, each sets the flag
 * sim_cli_interrupted (and nothing else), so a command can finish the work in flight, write what
 * is complete and exit with status SIM_EXIT_INTERRUPTED; sim_cli_release_interrupts() restores
 * the default handlers. */
extern volatile sig_atomic_t sim_cli_interrupted;
void sim_cli_catch_interrupts(void);
void sim_cli_release_interrupts(void);

/* Exit status of a run stopped by one of those signals (128 + SIGINT, as shells report Ctrl-C). */
#define SIM_EXIT_INTERRUPTED 130

/* The name of names (NULL-terminated) nearest to word in edits (insertions, deletions,
 * substitutions, swaps of neighbours; case ignored) when it is within a third of the word's
 * length (at least 1), else NULL. */
const char *sim_cli_nearest(const char *word, const char *const *names);

/* "COMMAND: unknown option 'OPT'", with "; did you mean '--X'?" when an option of bersim is
 * near. Returns -1. */
int sim_cli_unknown_option(const char *command, const char *opt);

/* Whether opt is one of bersim's options that take no value (--quiet, --progress,
 * --count-overhead, --help): "--quiet=1" names it as at fault rather than a stray '1'. */
bool sim_cli_takes_no_value(const char *opt);

/* "OPTION: unknown WHAT 'VALUE'; did you mean 'X'? (the names)" for a name of names
 * (NULL-terminated). Returns -1. */
int sim_cli_unknown_name(const char *option, const char *what, const char *value,
                         const char *const *names);

/* The name of names (NULL-terminated) nearest to word in edits (insertions, deletions,
 * substitutions, swaps of neighbours; case ignored) when it is within a third of the word's
 * length (at least 1), else NULL. */
const char *sim_cli_nearest(const char *word, const char *const *names);

/* "COMMAND: unknown option 'OPT'", with "; did you mean '--X'?" when an option of bersim is
 * near. Returns -1. */
int sim_cli_unknown_option(const char *command, const char *opt);

/* "OPTION: unknown WHAT 'VALUE'; did you mean 'X'? (the names)" for a name of names
 * (NULL-terminated). Returns -1. */
int sim_cli_unknown_name(const char *option, const char *what, const char *value,
                         const char *const *names);

#endif
