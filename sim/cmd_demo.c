/* bersim demo: the default study. Simulates 16-QAM over fast Rayleigh fading with the
 * classical receivers against theory, writes the tables and draws the figure with gnuplot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#include "cli.h"
#include "commands.h"

#ifndef BERSIM_SCRIPTS_DIR
#define BERSIM_SCRIPTS_DIR "scripts"
#endif

typedef struct {
    const char *dir;
    const char *threads;
} demo_options;

static void demo_usage(void)
{
    puts("usage: bersim demo [-o DIR] [--threads T]\n\n"
         "The default study: 16-QAM over fast Rayleigh fading, max-log and exact receivers\n"
         "simulated against theory. Writes tables and a figure (gnuplot) into DIR\n"
         "(default results/) and prints where they are.");
}

/* Runs a subcommand in this process with the words given, NULL-terminated. */
static int run(int (*cmd)(int, char **), char **words)
{
    int argc = 0;
    while (words[argc]) argc++;
    return cmd(argc, words);
}

static int parse_options(demo_options *o, int argc, char **argv)
{
    *o = (demo_options){.dir = "results", .threads = NULL};
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "-o") != 0 && strcmp(opt, "--threads") != 0)
            return sim_cli_fail("demo: unknown option '%s'", opt), -1;
        const char *v = sim_cli_value(argc, argv, &i);
        if (!v) return -1;
        uint64_t t;
        if (strcmp(opt, "-o") == 0)
            o->dir = v;
        else if (sim_cli_u64(opt, v, 1, 1024, &t) == 0)
            o->threads = v;
        else
            return -1;
    }
    if (mkdir(o->dir, 0777) != 0 && errno != EEXIST)
        return sim_cli_fail("demo: cannot make directory '%s': %s", o->dir, strerror(errno)), -1;
    return 0;
}

static char *path_in(const demo_options *o, const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", o->dir, name);
    return buf;
}

static int simulate(const demo_options *o, const char *rx, const char *file)
{
    char path[4096];
    char *words[] = {"sim", "--mod", "16qam", "--channel", "rayleigh", "--ebn0", "0:3:30",
                     "--rx", (char *)rx, "--min-errors", "400", "--max-bits", "4e7",
                     "-o", path_in(o, file, path, sizeof path),
                     o->threads ? "--threads" : NULL, (char *)o->threads, NULL};
    fprintf(stderr, "demo: simulating the %s receiver\n", rx);
    return run(sim_cmd_sim, words);
}

/* Runs scripts/plot.sh on the tables; its own output (the figure's name) is not shown. */
static int plot(const demo_options *o)
{
    char script[4096], fig[4096], a[4096], b[4096], c[4096];
    const char *scripts = getenv("BERSIM_SCRIPTS") ? getenv("BERSIM_SCRIPTS") : BERSIM_SCRIPTS_DIR;
    snprintf(script, sizeof script, "%s/plot.sh", scripts);
    char *words[] = {"bash", script, "-o", path_in(o, "ber.png", fig, sizeof fig),
                     "-t", "bersim demo: 16-QAM, fast Rayleigh fading",
                     path_in(o, "maxlog.tsv", a, sizeof a), path_in(o, "exact.tsv", b, sizeof b),
                     path_in(o, "theory.tsv", c, sizeof c), NULL};
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int status = -1;
    if (posix_spawnp(&pid, "bash", &quiet, NULL, words, environ) == 0)
        waitpid(pid, &status, 0);
    posix_spawn_file_actions_destroy(&quiet);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int sim_cmd_demo(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) return demo_usage(), 0;
    demo_options o;
    if (parse_options(&o, argc, argv) != 0) return SIM_EXIT_USAGE;
    char path[4096];
    char *theory[] = {"theory", "--mod", "16qam", "--channel", "rayleigh", "--ebn0", "0:0.5:30",
                      "-o", path_in(&o, "theory.tsv", path, sizeof path), NULL};
    int status = run(sim_cmd_theory, theory);
    if (status == 0) status = simulate(&o, "maxlog", "maxlog.tsv");
    if (status == 0) status = simulate(&o, "exact", "exact.tsv");
    if (status != 0) return status;
    if (plot(&o) != 0) {
        fprintf(stderr, "bersim: demo: the figure could not be drawn (is gnuplot installed?)\n");
        return 1;
    }
    printf("tables: %s/theory.tsv %s/maxlog.tsv %s/exact.tsv\nfigure: %s/ber.png\n", o.dir,
           o.dir, o.dir, o.dir);
    return 0;
}
