/* bersim demo: the default study. Trains a neural demapper for 16-QAM over fast Rayleigh
 * fading with CSI, simulates it beside max-log and exact log-MAP, computes theory, and writes
 * the tables, the learning curve and two figures (gnuplot). */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"

extern char **environ;

#ifndef BERSIM_SCRIPTS_DIR
#define BERSIM_SCRIPTS_DIR "scripts"
#endif

#define DEMO_LINK "--mod", "16qam", "--channel", "rayleigh"
#define DEMO_TITLE "bersim demo: 16-QAM, fast Rayleigh fading, perfect CSI"

typedef struct {
    const char *dir;
    const char *threads;
    char paths[8][4096]; /* model, curve, theory, maxlog, exact, nn, ber figure, curve figure */
} demo_options;

enum { MODEL, CURVE, THEORY, MAXLOG, EXACT, NN, BER_FIG, CURVE_FIG };
static const char *const file_names[] = {"nn16qam.model", "learning_curve.tsv", "theory.tsv",
                                         "maxlog.tsv", "exact.tsv", "nn.tsv", "ber.png",
                                         "learning_curve.png"};

static void demo_usage(void)
{
    puts("usage: bersim demo [-o DIR] [--threads T]\n\n"
         "The default study: trains a neural demapper for 16-QAM over fast Rayleigh fading with\n"
         "perfect CSI, simulates it beside the max-log and exact log-MAP demappers, computes\n"
         "theory, and writes the tables, the model, the learning curve and two figures\n"
         "(gnuplot) into DIR (default results/).");
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
    o->dir = "results";
    o->threads = NULL;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "-o") != 0 && strcmp(opt, "--threads") != 0)
            return sim_cli_fail("demo: unknown option '%s'", opt), -1;
        const char *v = sim_cli_value(argc, argv, &i);
        uint64_t t;
        if (!v) return -1;
        if (strcmp(opt, "-o") == 0)
            o->dir = v;
        else if (sim_cli_u64(opt, v, 1, 1024, &t) == 0)
            o->threads = v;
        else
            return -1;
    }
    if (strlen(o->dir) > 3000) return sim_cli_fail("demo: -o '%s' is too long", o->dir), -1;
    if (mkdir(o->dir, 0777) != 0 && errno != EEXIST)
        return sim_cli_fail("demo: cannot make directory '%s': %s", o->dir, strerror(errno)), -1;
    for (size_t i = 0; i < sizeof file_names / sizeof file_names[0]; i++)
        snprintf(o->paths[i], sizeof o->paths[i], "%s/%s", o->dir, file_names[i]);
    return 0;
}

static int train(demo_options *o)
{
    char *words[] = {"train", DEMO_LINK, "--ebn0", "0:30", "--steps", "10000",
                     "-o", o->paths[MODEL], "--log", o->paths[CURVE], "--quiet", NULL};
    fprintf(stderr, "demo: training the neural demapper (10000 steps)\n");
    return run(sim_cmd_train, words);
}

static int simulate(demo_options *o, const char *rx, int table)
{
    int nn = strcmp(rx, "nn") == 0;
    char *words[] = {"sim", DEMO_LINK, "--ebn0", "0:2:30", "--rx", (char *)rx,
                     "--min-errors", "2000", "--max-bits", "1e8", "-o", o->paths[table],
                     "--quiet", nn ? "--model" : "--quiet", nn ? o->paths[MODEL] : "--quiet",
                     o->threads ? "--threads" : NULL, (char *)o->threads, NULL};
    fprintf(stderr, "demo: simulating the %s receiver\n", rx);
    return run(sim_cmd_sim, words);
}

/* text as a gnuplot single-quoted string into buf: a quote inside is doubled, so that no path
 * can end the string and put commands into the gnuplot -e line. */
static void gnuplot_quote(const char *text, char *buf, size_t size)
{
    size_t n = 0;
    buf[n++] = '\'';
    for (; *text && n + 3 < size; text++) {
        if (*text == '\'') buf[n++] = '\'';
        buf[n++] = *text;
    }
    buf[n++] = '\'';
    buf[n] = '\0';
}

/* Runs a program with arguments words[0..]; its standard output is not shown. */
static int spawn_quietly(char **words)
{
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int status = -1;
    if (posix_spawnp(&pid, words[0], &quiet, NULL, words, environ) == 0) waitpid(pid, &status, 0);
    posix_spawn_file_actions_destroy(&quiet);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static int plot(demo_options *o)
{
    const char *scripts = getenv("BERSIM_SCRIPTS") ? getenv("BERSIM_SCRIPTS") : BERSIM_SCRIPTS_DIR;
    char plot_sh[4096], curve_gp[4096], vars[2 * 8200 + 64];
    snprintf(plot_sh, sizeof plot_sh, "%s/plot.sh", scripts);
    snprintf(curve_gp, sizeof curve_gp, "%s/curve.gp", scripts);
    char *ber[] = {"bash", plot_sh, "-o", o->paths[BER_FIG], "-t", DEMO_TITLE, o->paths[NN],
                   o->paths[MAXLOG], o->paths[EXACT], o->paths[THEORY], NULL};
    char in[8200], out[8200];
    gnuplot_quote(o->paths[CURVE], in, sizeof in);
    gnuplot_quote(o->paths[CURVE_FIG], out, sizeof out);
    snprintf(vars, sizeof vars, "in=%s; out=%s; plot_title='Learning curve'", in, out);
    char *curve[] = {"gnuplot", "-e", vars, curve_gp, NULL};
    return spawn_quietly(ber) | spawn_quietly(curve);
}

int sim_cmd_demo(int argc, char **argv)
{
    if (sim_cli_wants_help(argc, argv)) return demo_usage(), 0;
    static demo_options o;
    if (parse_options(&o, argc, argv) != 0) return SIM_EXIT_USAGE;
    char *theory[] = {"theory", DEMO_LINK, "--ebn0", "0:0.5:30", "-o", o.paths[THEORY], NULL};
    int status = run(sim_cmd_theory, theory);
    if (status == 0) status = train(&o);
    if (status == 0) status = simulate(&o, "nn", NN);
    if (status == 0) status = simulate(&o, "maxlog", MAXLOG);
    if (status == 0) status = simulate(&o, "exact", EXACT);
    if (status != 0) return status;
    if (plot(&o) != 0) {
        fprintf(stderr, "bersim: demo: the figures could not be drawn (is gnuplot installed?)\n");
        return 1;
    }
    printf("model:   %s\nlearning curve: %s\ntables:  %s %s %s %s\nfigures: %s %s\n",
           o.paths[MODEL], o.paths[CURVE], o.paths[NN], o.paths[MAXLOG], o.paths[EXACT],
           o.paths[THEORY], o.paths[BER_FIG], o.paths[CURVE_FIG]);
    return 0;
}
