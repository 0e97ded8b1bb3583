/* bersim demo: the default study, both sides of learned receivers. (a) Where an optimal
 * receiver exists (16-QAM over fast Rayleigh fading with CSI: exact log-MAP) a learned demapper
 * equals it; uncoded BER cannot tell soft demappers apart, so they feed a code and its soft
 * decoder, beside the hard-decision receiver. (b) Where none exists (OFDM over EVA with 8
 * pilots, too sparse to follow the channel) a learned receiver lowers the error floor far below
 * LS and LMMSE, towards perfect CSI. Tables, models, learning curves, figures (bersim plot) and a
 * summary of the numbers. */
#include <errno.h>
#include <stdbool.h>
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

#define DEMO_LINK "--mod", "16qam", "--channel", "rayleigh"
#define DEMO_CODE "--code", "hamming74", "--decoder", "map"
#define DEMO_OFDM "--ofdm", "64", "--cp", "16", "--profile", "eva", "--pilots", "8", "--mod", "qpsk"
#define DEMO_TITLE "bersim demo (a): 16-QAM, fast Rayleigh, perfect CSI, Hamming (7,4) bitwise MAP"
#define OFDM_TITLE "bersim demo (b): OFDM N=64, prefix 16, EVA, 8 pilots, QPSK"
#define CODED_AT 16 /* Eb/N0 of the summary, dB */
#define OFDM_AT 30

typedef struct {
    const char *dir;
    const char *threads;
    bool autoencoder; /* --study autoencoder */
    char paths[16][4096]; /* the files of the study: file_names or ae_names */
} demo_options;

enum { MODEL, CURVE, THEORY, MAXLOG, EXACT, NN, HARD, BER_FIG, CURVE_FIG, O_MODEL, O_CURVE,
       O_LS, O_LMMSE, O_NN, O_PERFECT, O_FIG };
static const char *const file_names[] = {
    "nn16qam.model", "learning_curve.tsv", "theory.tsv", "maxlog.tsv", "exact.tsv", "nn.tsv",
    "hard.tsv", "ber.png", "learning_curve.png", "ofdm.model", "ofdm_learning_curve.tsv",
    "ofdm_ls.tsv", "ofdm_lmmse.tsv", "ofdm_nn.tsv", "ofdm_perfect.tsv", "ofdm.png"};

/* The autoencoder study's files. */
enum { AE_MODEL, AE_CURVE, AE_SIM, AE_HARD, AE_ML, AE_THEORY, AE_BLER_FIG, C16_MODEL, C16_POINTS,
       C16_FIG };
static const char *const ae_names[] = {"ae74.model", "ae74_learning_curve.tsv", "ae74.tsv",
                                       "hamming74_hard.tsv", "hamming74_ml.tsv",
                                       "hamming74_theory.tsv", "bler.png", "c16.model",
                                       "c16_points.tsv", "constellation.png"};

static void demo_usage(void)
{
    puts("usage: bersim demo [-o DIR] [--threads T] [--study autoencoder]\n\n"
         "The default study, both sides of learned receivers, into DIR (default results/):\n"
         "(a) where an optimal receiver exists: a neural demapper for 16-QAM over fast Rayleigh\n"
         "fading with perfect CSI, beside exact log-MAP (optimal), max-log and hard decisions,\n"
         "each feeding Hamming (7,4) with bitwise MAP decoding (coded BER, where soft\n"
         "information counts), and uncoded theory; (b) where none exists: the learned OFDM\n"
         "receiver (N = 64, prefix 16, EVA, 8 pilots, QPSK) beside LS, LMMSE and perfect CSI.\n"
         "Tables, models, learning curves, figures (bersim plot, gnuplot) and a summary of the\n"
         "numbers. About 2 minutes on 2 cores.\n\n"
         "--study autoencoder: trains a (7,4) transmitter-receiver pair through AWGN, simulates\n"
         "it beside Hamming (7,4) with hard and soft ML decoding and their theory, and learns a\n"
         "16-point constellation; figures of the block error rates and of the constellation.");
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
    sim_cli_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (!sim_cli_first_time(&seen, opt)) return -1;
        if (strcmp(opt, "-o") != 0 && strcmp(opt, "--threads") != 0 &&
            strcmp(opt, "--study") != 0)
            return sim_cli_fail("demo: unknown option '%s'", opt), -1;
        const char *v = sim_cli_value(argc, argv, &i);
        uint64_t t;
        if (!v) return -1;
        if (strcmp(opt, "--study") == 0) {
            if (strcmp(v, "autoencoder") != 0 && strcmp(v, "default") != 0)
                return sim_cli_fail("--study: '%s' is not default or autoencoder", v), -1;
            o->autoencoder = strcmp(v, "autoencoder") == 0;
        } else if (strcmp(opt, "-o") == 0)
            o->dir = v;
        else if (sim_cli_u64(opt, v, 1, 1024, &t) == 0)
            o->threads = v;
        else
            return -1;
    }
    if (strlen(o->dir) > 3000) return sim_cli_fail("demo: -o '%s' is too long", o->dir), -1;
    struct stat st;
    if (mkdir(o->dir, 0777) != 0 && errno != EEXIST)
        return sim_cli_fail("demo: cannot make directory '%s': %s", o->dir, strerror(errno)), -1;
    /* an existing file of another kind would be blamed later through the paths made inside it */
    if (stat(o->dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return sim_cli_fail("demo: -o '%s' is not a directory", o->dir), -1;
    const char *const *names = o->autoencoder ? ae_names : file_names;
    size_t count = o->autoencoder ? sizeof ae_names / sizeof *ae_names
                                  : sizeof file_names / sizeof *file_names;
    for (size_t i = 0; i < count; i++)
        snprintf(o->paths[i], sizeof o->paths[i], "%s/%s", o->dir, names[i]);
    return 0;
}

static int train(demo_options *o)
{
    char *words[] = {"train", DEMO_LINK, "--ebn0", "0:30", "--steps", "10000",
                     "-o", o->paths[MODEL], "--log", o->paths[CURVE], "--quiet", NULL};
    fprintf(stderr, "demo: (a) training the neural demapper (10000 steps)\n");
    return run(sim_cmd_train, words);
}

/* Appends --threads T when given; words has room. */
static void add_threads(demo_options *o, char **words, int n)
{
    if (o->threads) words[n++] = "--threads", words[n++] = (char *)o->threads;
    words[n] = NULL;
}

/* (a): receiver rx feeding the code's bitwise MAP decoder. */
static int simulate(demo_options *o, const char *rx, int table)
{
    char *words[32] = {"sim", DEMO_LINK, DEMO_CODE, "--ebn0", "0:2:24", "--rx", (char *)rx,
                       "--min-errors", "2000", "--max-bits", "2e7", "-o", o->paths[table],
                       "--quiet"};
    int n = 0;
    while (words[n]) n++;
    if (strcmp(rx, "nn") == 0) words[n++] = "--model", words[n++] = o->paths[MODEL];
    add_threads(o, words, n);
    fprintf(stderr, "demo: (a) simulating the %s receiver with Hamming (7,4)\n", rx);
    return run(sim_cmd_sim, words);
}

/* (b): the OFDM link with estimator est (ls, lmmse, perfect) or the learned receiver (NULL). */
static int simulate_ofdm(demo_options *o, const char *est, int table)
{
    char *words[40] = {"sim", DEMO_OFDM, "--ebn0", "15:5:35", "--min-errors", "1000",
                       "--max-bits", "8e6", "-o", o->paths[table], "--quiet"};
    int n = 0;
    while (words[n]) n++;
    if (est) words[n++] = "--est", words[n++] = (char *)est;
    else words[n++] = "--rx", words[n++] = "nn", words[n++] = "--model",
         words[n++] = o->paths[O_MODEL];
    add_threads(o, words, n);
    fprintf(stderr, "demo: (b) simulating OFDM with %s\n", est ? est : "the learned receiver");
    return run(sim_cmd_sim, words);
}

static int ofdm_study(demo_options *o)
{
    char *words[] = {"train", DEMO_OFDM, "--ebn0", "15:35", "--steps", "2500", "-o",
                     o->paths[O_MODEL], "--log", o->paths[O_CURVE], "--quiet", NULL};
    fprintf(stderr, "demo: (b) training the learned OFDM receiver (2500 steps, about a "
                    "minute)\n");
    int status = run(sim_cmd_train, words);
    if (!status) status = simulate_ofdm(o, "ls", O_LS);
    if (!status) status = simulate_ofdm(o, "lmmse", O_LMMSE);
    if (!status) status = simulate_ofdm(o, "perfect", O_PERFECT);
    if (!status) status = simulate_ofdm(o, NULL, O_NN);
    return status;
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
    char *ber[] = {"plot", "--quiet", "-o", o->paths[BER_FIG], "-t", DEMO_TITLE, o->paths[NN],
                   o->paths[EXACT], o->paths[MAXLOG], o->paths[HARD], o->paths[THEORY], NULL};
    char *ofdm[] = {"plot", "--quiet", "-o", o->paths[O_FIG], "-t", OFDM_TITLE, o->paths[O_NN],
                    o->paths[O_LS], o->paths[O_LMMSE], o->paths[O_PERFECT], NULL};
    char *curve[] = {"plot", "--quiet", "-o", o->paths[CURVE_FIG], o->paths[CURVE], NULL};
    int status = run(sim_cmd_plot, ber);
    if (!status) status = run(sim_cmd_plot, ofdm);
    if (!status) status = run(sim_cmd_plot, curve);
    return status;
}

/* The value of column name in the row of table path at Eb/N0 = ebn0, or -1. */
static double value_at(const char *path, double ebn0, const char *name)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int col = -1;
    double v = -1;
    while (f && fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        if (col < 0) { /* the header */
            char *at = line;
            for (int i = 0; at && col < 0; i++) {
                size_t n = strcspn(at, "\t\n");
                if (n == strlen(name) && strncmp(at, name, n) == 0) col = i;
                at = at[n] == '\t' ? at + n + 1 : NULL;
            }
            if (col < 0) break;
            continue;
        }
        char *at = line;
        if (strtod(at, NULL) != ebn0) continue;
        for (int i = 0; i < col && at; i++) at = strchr(at, '\t'), at = at ? at + 1 : NULL;
        if (at) v = strtod(at, NULL);
    }
    if (f) fclose(f);
    return v;
}

static void summary(demo_options *o)
{
    printf("(a) an optimal receiver exists: 16-QAM, fast Rayleigh, perfect CSI, Hamming (7,4) "
           "bitwise MAP,\n    BER at Eb/N0 = %d dB: learned %.3g, exact log-MAP (optimal) "
           "%.3g, max-log %.3g, hard decisions %.3g\n",
           CODED_AT, value_at(o->paths[NN], CODED_AT, "ber"),
           value_at(o->paths[EXACT], CODED_AT, "ber"),
           value_at(o->paths[MAXLOG], CODED_AT, "ber"),
           value_at(o->paths[HARD], CODED_AT, "ber"));
    printf("(b) none exists: OFDM N=64, EVA, 8 pilots, QPSK,\n    BER at Eb/N0 = %d dB: "
           "LS %.3g, LMMSE %.3g, learned %.3g, perfect CSI (the bound) %.3g\n",
           OFDM_AT, value_at(o->paths[O_LS], OFDM_AT, "ber"),
           value_at(o->paths[O_LMMSE], OFDM_AT, "ber"), value_at(o->paths[O_NN], OFDM_AT, "ber"),
           value_at(o->paths[O_PERFECT], OFDM_AT, "ber"));
    printf("models:  %s %s\nlearning curves: %s %s\ntables:  %s %s %s %s %s\n"
           "         %s %s %s %s\nfigures: %s %s %s\n",
           o->paths[MODEL], o->paths[O_MODEL], o->paths[CURVE], o->paths[O_CURVE], o->paths[NN],
           o->paths[EXACT], o->paths[MAXLOG], o->paths[HARD], o->paths[THEORY], o->paths[O_NN],
           o->paths[O_LS], o->paths[O_LMMSE], o->paths[O_PERFECT], o->paths[BER_FIG],
           o->paths[O_FIG], o->paths[CURVE_FIG]);
}

/* Simulates one link of the autoencoder study over 0..8 dB into table. */
static int ae_simulate(demo_options *o, char **link, int table)
{
    char *words[24] = {"sim"};
    int n = 1;
    for (; link[n - 1]; n++) words[n] = link[n - 1];
    char *tail[] = {"--ebn0", "0:1:8", "--min-errors", "1000", "--min-block-errors", "500",
                    "--max-bits", "4e7", "-o", o->paths[table], "--quiet", NULL};
    for (int i = 0; tail[i]; i++) words[n++] = tail[i];
    if (o->threads) words[n++] = "--threads", words[n++] = (char *)o->threads;
    words[n] = NULL;
    return run(sim_cmd_sim, words);
}

/* The block error rate of a table at Eb/N0 = 6 dB, or -1. */
static double bler_at_6(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    double v = -1;
    while (f && fgets(line, sizeof line, f)) {
        double e, cols[13];
        if (line[0] == '#' || sscanf(line, "%lf", &e) != 1 || e != 6) continue;
        char *at = line;
        for (int i = 0; i < 13; i++) cols[i] = strtod(at, &at);
        v = cols[12];
    }
    if (f) fclose(f);
    return v;
}

static int autoencoder_study(demo_options *o)
{
    char *train74[] = {"train", "--e2e", "7,4", "--ebn0", "4:8", "--steps", "40000", "-o",
                       o->paths[AE_MODEL],
                       "--log", o->paths[AE_CURVE], "--quiet", NULL};
    char *ae[] = {"--e2e-model", o->paths[AE_MODEL], NULL};
    char *hard[] = {"--mod", "bpsk", "--channel", "awgn", "--code", "hamming74", "--decoder",
                    "hard", NULL};
    char *ml[] = {"--mod", "bpsk", "--channel", "awgn", "--code", "hamming74", "--decoder", "ml",
                  NULL};
    char *theory[] = {"theory", "--mod", "bpsk", "--channel", "awgn", "--code", "hamming74",
                      "--decoder", "hard", "--ebn0", "0:0.25:8", "-o", o->paths[AE_THEORY],
                      NULL};
    char *train16[] = {"train", "--e2e-constellation", "16", "--ebn0", "2:6", "-o",
                       o->paths[C16_MODEL], "--quiet", NULL};
    char *export16[] = {"export", "--e2e-model", o->paths[C16_MODEL], "--esn0", "10", "-o",
                        o->paths[C16_POINTS], NULL};
    fprintf(stderr, "demo: training the (7,4) autoencoder, simulating it and Hamming (7,4)\n");
    int status = run(sim_cmd_train, train74);
    if (!status) status = ae_simulate(o, ae, AE_SIM);
    if (!status) status = ae_simulate(o, hard, AE_HARD);
    if (!status) status = ae_simulate(o, ml, AE_ML);
    if (!status) status = run(sim_cmd_theory, theory);
    fprintf(stderr, "demo: learning a 16-point constellation\n");
    if (!status) status = run(sim_cmd_train, train16);
    if (!status) status = run(sim_cmd_export, export16);
    if (status) return status;
    return 0;
}

static int plot_autoencoder(demo_options *o)
{
    char gp[4096], vars[2 * 8200 + 64], in[8200], out[8200];
    snprintf(gp, sizeof gp, "%s/constellation.gp", sim_scripts_dir());
    char *bler[] = {"plot", "--quiet", "-m", "bler", "-o", o->paths[AE_BLER_FIG], "-t",
                    "bersim demo: a learned (7,4) pair against Hamming (7,4), BPSK over AWGN",
                    o->paths[AE_SIM], o->paths[AE_ML], o->paths[AE_HARD], o->paths[AE_THEORY],
                    NULL};
    gnuplot_quote(o->paths[C16_POINTS], in, sizeof in);
    gnuplot_quote(o->paths[C16_FIG], out, sizeof out);
    snprintf(vars, sizeof vars, "in=%s; out=%s; plot_title='Learned 16-point constellation'", in,
             out);
    char *scatter[] = {"gnuplot", "-e", vars, gp, NULL};
    int status = run(sim_cmd_plot, bler);
    return status ? status : spawn_quietly(scatter);
}

int sim_cmd_demo(int argc, char **argv)
{
    if (sim_cli_wants_help(argc, argv)) return demo_usage(), 0;
    static demo_options o;
    if (parse_options(&o, argc, argv) != 0) return SIM_EXIT_USAGE;
    if (o.autoencoder) {
        int status = autoencoder_study(&o);
        if (status) return status;
        if (plot_autoencoder(&o) != 0) {
            fprintf(stderr, "bersim: demo: the figures could not be drawn (is gnuplot "
                            "installed?)\n");
            return 1;
        }
        printf("block error rate at 6 dB: autoencoder %.3g, Hamming (7,4) soft ML %.3g, hard "
               "%.3g\ntables:  %s %s %s %s %s\nfigures: %s %s\n", bler_at_6(o.paths[AE_SIM]),
               bler_at_6(o.paths[AE_ML]), bler_at_6(o.paths[AE_HARD]), o.paths[AE_SIM],
               o.paths[AE_ML], o.paths[AE_HARD], o.paths[AE_THEORY], o.paths[C16_POINTS],
               o.paths[AE_BLER_FIG], o.paths[C16_FIG]);
        return 0;
    }
    char *theory[] = {"theory", DEMO_LINK, "--ebn0", "0:0.5:24", "-o", o.paths[THEORY], NULL};
    int status = run(sim_cmd_theory, theory);
    if (status == 0) status = train(&o);
    if (status == 0) status = simulate(&o, "nn", NN);
    if (status == 0) status = simulate(&o, "exact", EXACT);
    if (status == 0) status = simulate(&o, "maxlog", MAXLOG);
    if (status == 0) status = simulate(&o, "hard", HARD);
    if (status == 0) status = ofdm_study(&o);
    if (status != 0) return status;
    if ((status = plot(&o)) != 0) {
        fprintf(stderr, "bersim: demo: the figures could not be drawn\n");
        return status;
    }
    summary(&o);
    return 0;
}
