/* bersim: parses the subcommand and dispatches; nothing else lives here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include <nn.h>

#include "cli.h"
#include "commands.h"
#include "scripts_dir.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"demo", sim_cmd_demo, "the default study: train a neural demapper, simulate, plot"},
    {"sim", sim_cmd_sim, "Monte Carlo BER/SER sweep over Eb/N0, written as a table"},
    {"theory", sim_cmd_theory, "exact BER/SER over Eb/N0, in the same table layout"},
    {"train", sim_cmd_train, "train a neural receiver on fresh channel pairs"},
    {"export", sim_cmd_export, "the codebook of an end-to-end pair as a table"},
    {"plot", sim_cmd_plot, "tables to one figure (gnuplot): error rates or learning curves"},
    {"bench", sim_cmd_bench, "throughput of the standard chains, one line each"},
};
enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

static void usage(FILE *out)
{
    fputs("usage: bersim COMMAND [OPTIONS]   (bersim COMMAND --help for its options)\n\n"
          "commands:\n",
          out);
    for (int i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fputs("\n  --help     this text\n  --version  the version\n", out);
}

/* "--opt=value" becomes "--opt" "value", as getopt_long users expect; words is argc + the splits
 * long. Returns the new count, or -1 (with the message) for a value given to an option that
 * takes none. */
static int split_equals(int argc, char **argv, char **words)
{
    int n = 0;
    for (int i = 0; i < argc; i++) {
        char *eq = strncmp(argv[i], "--", 2) == 0 ? strchr(argv[i], '=') : NULL;
        if (i < 2 || !eq) {
            words[n++] = argv[i];
            continue;
        }
        *eq = '\0'; /* the argument strings are the program's own to change */
        if (sim_cli_takes_no_value(argv[i])) {
            sim_cli_fail("%s takes no value ('%s' given)", argv[i], eq + 1);
            return -1;
        }
        words[n++] = argv[i];
        words[n++] = eq + 1;
    }
    words[n] = NULL;
    return n;
}

int main(int argc, char **argv)
{
    /* GSL's default handler aborts; every GSL status is checked where it is returned. */
    gsl_set_error_handler_off();
    /* bersim runs its own threads; OpenBLAS's would only compete with them. */
    nn_blas_set_threads(1);
    sim_locate_scripts(); /* the installed binary's gnuplot scripts (BERSIM_SCRIPTS) */
    if (argc < 2) return sim_cli_fail("no command given (see bersim --help)");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
#ifdef BERSIM_MPI
        printf("bersim %s (MPI)\n", BERSIM_VERSION); /* sim and bench run over mpirun's ranks */
#else
        printf("bersim %s\n", BERSIM_VERSION);
#endif
        return 0;
    }
    char **words = malloc((2 * (size_t)argc + 1) * sizeof *words);
    if (!words) return sim_cli_fail("out of memory");
    argc = split_equals(argc, argv, words);
    if (argc < 0) {
        free(words);
        return SIM_EXIT_USAGE;
    }
    for (int i = 0; i < NCOMMANDS; i++)
        if (strcmp(words[1], commands[i].name) == 0) {
            int status = commands[i].run(argc - 1, words + 1);
            free(words);
            return status;
        }
    free(words);
    if (argv[1][0] == '-') return sim_cli_fail("unknown option '%s' (see bersim --help)", argv[1]);
    const char *names[NCOMMANDS + 1];
    for (int i = 0; i < NCOMMANDS; i++) names[i] = commands[i].name;
    names[NCOMMANDS] = NULL;
    const char *near = sim_cli_nearest(argv[1], names);
    if (near) return sim_cli_fail("unknown command '%s'; did you mean '%s'?", argv[1], near);
    return sim_cli_fail("unknown command '%s' (see bersim --help)", argv[1]);
}
