/* bersim sim: a Monte Carlo BER sweep written as a result table. */
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "chain.h"
#include "cli.h"
#include "commands.h"
#include "e2e.h"
#include "engine.h"
#include "link.h"
#include "resume.h"
#include "sched_mpi.h"
#include "sim_error.h"
#include "stats.h"
#include "table.h"

#define MAX_POINTS 1000

typedef struct {
    sim_link_parser parser;
    sim_link link;
    uint64_t min_errors, min_block_errors, max_bits, seed, threads;
    const char *output;
    bool quiet;
    double ebn0[MAX_POINTS]; /* Es/N0 until the chain is made, with --esn0 */
    size_t npoints;
    bool esn0;               /* the grid was given as Es/N0 (--esn0) */
    bool progress;           /* --progress: timestamped lines even when stderr is no terminal */
    bool terminal;           /* stderr is a terminal: a live line, redrawn */
    double started, last_line; /* when the sweep began, and the last progress line */
    size_t point;            /* the point in progress */
    double seen_ebn0[2], seen_ber[2]; /* the last two finished points with errors, for the ETA */
    size_t nseen;
    bool write_failed;       /* a table after a point could not be written */
    char **kept;             /* --resume: the finished rows of the table, verbatim */
    size_t nkept;
    char inputs[160]; /* the input files' fingerprints (inputs_text), taken at start */
} sim_options;

static void sim_usage(void)
{
    puts("usage: bersim sim --mod M --channel C --ebn0 A:STEP:B [options]\n\n"
         "Monte Carlo bit and symbol error rates over an Eb/N0 grid, one table row per point.\n");
    puts("  --ebn0 LIST       Eb/N0 points in dB: A:STEP:B, A:B (step 1) or A, and lists of\n"
         "                    them, increasing (0,2,5:1:10)\n"
         "  --esn0 LIST       the points as Es/N0 per data symbol instead (one of the two)");
    sim_link_parser p;
    sim_link_parser_init(&p, SIM_LINK_OPT_CONSTELLATION | SIM_LINK_OPT_CSI | SIM_LINK_OPT_RX |
                                 SIM_LINK_OPT_CODE | SIM_LINK_OPT_DECODER | SIM_LINK_OPT_E2E |
                                 SIM_LINK_OPT_OFDM | SIM_LINK_OPT_DECLIP | SIM_LINK_OPT_MODEL);
    sim_link_parser_help(&p);
    puts("  --min-errors N    a point stops after N bit errors (default 100)\n"
         "  --min-block-errors N  with a code, and N block errors too (default 0)\n"
         "  --max-bits N      ... or after N bits (default 1e8, at most 1e16); the sweep stops\n"
         "                    after a point with no error. Both are checked after each chunk\n"
         "                    of 16384 symbols (rounded up to whole fading or pilot blocks);\n"
         "                    under block or Doppler fading the error rule waits for 32 chunks\n"
         "  --seed S          random seed (default 1); same seed, same table, any --threads\n"
         "  --threads T       worker threads (default: all cores)\n"
         "  -o FILE           output table (default: standard output)\n"
         "  --resume FILE     continue the interrupted table FILE: its link, seed, grid and\n"
         "                    stop rules come from its command line; options given with it\n"
         "                    must match those, but --ebn0/--esn0 (which may extend the\n"
         "                    grid), --threads, --quiet and --progress; the finished rows\n"
         "                    are kept, the missing points run, and FILE is written back\n"
         "  --quiet           nothing on stderr but errors\n"
         "  --progress        timestamped progress lines every 10 s even when stderr is not a\n"
         "                    terminal (a log); on a terminal a live line is redrawn. Either way\n"
         "                    each finished point prints its row, and -o FILE is rewritten\n"
         "                    (atomically) after each point\n\n"
         "Under mpirun -np R (or srun) the ranks share every point's chunks, the table the same;\n"
         "rank 0 alone prints and writes -o, once, when the sweep ends or is interrupted.");
}

static int parse_option(sim_options *o, int argc, char **argv, int *i)
{
    const char *opt = argv[*i], *v;
    int status = sim_link_parse(&o->parser, argc, argv, i);
    if (status <= 0) return status;
    static const char *const valued[] = {"--ebn0", "--esn0", "--min-errors", "--min-block-errors",
                                         "--max-bits", "--seed", "--threads", "-o", NULL};
    if (strcmp(opt, "--quiet") == 0) return o->quiet = true, 0;
    if (strcmp(opt, "--progress") == 0) return o->progress = true, 0;
    if (!sim_cli_is_one_of(opt, valued)) return sim_cli_unknown_option("sim", opt), -1;
    if (!(v = sim_cli_value(argc, argv, i))) return -1;
    if (strcmp(opt, "--ebn0") == 0 || strcmp(opt, "--esn0") == 0) {
        if (o->npoints) return sim_cli_fail("sim: one of --ebn0 and --esn0"), -1;
        o->esn0 = opt[3] == 's';
        return sim_cli_grid(opt, v, MAX_POINTS, o->ebn0, &o->npoints);
    }
    if (strcmp(opt, "--min-errors") == 0) return sim_cli_u64(opt, v, 1, 1e15, &o->min_errors);
    if (strcmp(opt, "--min-block-errors") == 0)
        return sim_cli_u64(opt, v, 1, 1e15, &o->min_block_errors);
    /* a point also stops at 2^40 chunks, the room its stream keys leave (engine.h) */
    if (strcmp(opt, "--max-bits") == 0) return sim_cli_u64(opt, v, 1, 1e16, &o->max_bits);
    if (strcmp(opt, "--seed") == 0) return sim_cli_u64(opt, v, 0, UINT64_MAX >> 11, &o->seed);
    if (strcmp(opt, "--threads") == 0) return sim_cli_u64(opt, v, 1, 1024, &o->threads);
    o->output = v; /* -o: written by rank 0 alone */
    return sim_mpi_rank() > 0 ? 0 : sim_cli_check_writable("-o", v);
}

/* The channel an end-to-end pair was trained over, as the parser's channel. */
static int e2e_channel(sim_options *o)
{
    sim_e2e *e = sim_e2e_load(o->parser.link.e2e_model);
    if (!e) return sim_cli_fail("%s", sim_last_error()), -1;
    o->parser.link.fading.kind = sim_e2e_channel(e);
    o->parser.channel_given = true;
    sim_e2e_destroy(e);
    return 0;
}

static int parse_options(sim_options *o, int argc, char **argv)
{
    *o = (sim_options){.min_errors = 100, .max_bits = 100000000, .seed = 1,
                       .threads = (uint64_t)sim_cli_cores()};
    sim_link_parser_init(&o->parser,
                         SIM_LINK_OPT_CONSTELLATION | SIM_LINK_OPT_CSI | SIM_LINK_OPT_RX |
                             SIM_LINK_OPT_CODE | SIM_LINK_OPT_DECODER | SIM_LINK_OPT_E2E |
                             SIM_LINK_OPT_OFDM | SIM_LINK_OPT_DECLIP | SIM_LINK_OPT_MODEL);
    sim_cli_seen seen = {0};
    for (int i = 1; i < argc; i++)
        if (!sim_cli_first_time(&seen, argv[i]) || parse_option(o, argc, argv, &i) != 0)
            return -1;
    if (o->npoints == 0) return sim_cli_fail("sim: --ebn0 or --esn0 is required"), -1;
    /* a pair's channel is the one it was trained for unless one is given */
    if (o->parser.link.e2e_model && !o->parser.channel_given && e2e_channel(o) != 0) return -1;
    if (sim_link_parser_finish(&o->parser, &o->link) != 0) return -1;
    if (o->min_block_errors && !o->link.code.name && !o->link.e2e_model)
        return sim_cli_fail("sim: --min-block-errors needs --code"), -1;
    /* the table must not replace a file the run reads */
    const char *inputs[] = {o->link.model, o->link.e2e_model, o->link.constellation};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        if (o->output && inputs[i] && sim_cli_same_file(o->output, inputs[i]))
            return sim_cli_fail("sim: -o '%s' is the input file '%s'", o->output, inputs[i]), -1;
    return 0;
}

/* Seconds left for point c to meet its stop rule at the present rate (0 when unknown). */
static double point_eta(const sim_options *o, const sim_counts *c, double bits_per_second)
{
    if (bits_per_second <= 0) return 0;
    double goal = (double)o->max_bits;
    if (c->bit_errors > 0) {
        double by_errors = (double)o->min_errors * (double)c->bits / (double)c->bit_errors;
        goal = by_errors < goal ? by_errors : goal;
    }
    double left = (goal - (double)c->bits) / bits_per_second;
    return left > 0 ? left : 0;
}

/* Seconds the points after the one in progress will take at the present rate, their BER
 * extrapolated log-linearly in dB from the last two finished points (the same as the last
 * with one; unknown, 0, with none). A guess that says what the stop rule will cost. */
static double sweep_eta(const sim_options *o, const sim_counts *c, double bits_per_second)
{
    if (o->nseen == 0 || bits_per_second <= 0) return 0;
    double slope = 0, left = 0;
    const double *e = o->seen_ebn0, *b = o->seen_ber;
    if (o->nseen == 2 && e[1] > e[0]) slope = (log10(b[1]) - log10(b[0])) / (e[1] - e[0]);
    for (size_t i = o->point + 1; i < o->npoints; i++) {
        double ber = pow(10, log10(b[o->nseen - 1]) + slope * (o->ebn0[i] - e[o->nseen - 1]));
        double bits = ber > 0 ? (double)o->min_errors / ber : (double)o->max_bits;
        left += (bits < (double)o->max_bits ? bits : (double)o->max_bits) / bits_per_second;
    }
    (void)c;
    return left;
}

/* Remembers a finished point's BER for sweep_eta. */
static void remember_point(sim_options *o, const sim_counts *c)
{
    if (c->bit_errors == 0) return;
    if (o->nseen == 2) {
        o->seen_ebn0[0] = o->seen_ebn0[1], o->seen_ber[0] = o->seen_ber[1];
        o->nseen = 1;
    }
    o->seen_ebn0[o->nseen] = c->ebn0_db;
    o->seen_ber[o->nseen++] = (double)c->bit_errors / (double)c->bits;
}

static void print_progress(const sim_counts *c, double bits_per_second, double seconds,
                           void *user)
{
    sim_options *o = user;
    double left = point_eta(o, c, bits_per_second), now = sim_bench_now();
    double later = sweep_eta(o, c, bits_per_second);
    if (o->terminal) {
        fprintf(stderr, "\r\033[K  point %zu/%zu  Eb/N0 %6.2f dB  %8llu errors  %.3g bits  "
                "%.3g bit/s  %.0f s, point ~%.0f s left, sweep ~%.0f s", o->point + 1, o->npoints,
                c->ebn0_db, (unsigned long long)c->bit_errors, (double)c->bits, bits_per_second,
                seconds, left, left + later);
        return;
    }
    if (now - o->last_line < 10) return; /* a log gets a line at a steady rate */
    o->last_line = now;
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    fprintf(stderr, "%s  point %zu/%zu  Eb/N0 %.2f dB  %llu errors  %.3g bits  %.3g bit/s  "
            "point ~%.0f s left, sweep ~%.0f s\n", stamp, o->point + 1, o->npoints, c->ebn0_db,
            (unsigned long long)c->bit_errors, (double)c->bits, bits_per_second, left,
            left + later);
}

/* Why a finished point stopped, in a word. */
static const char *stop_reason(const sim_options *o, const sim_counts *c)
{
    if (c->bits >= o->max_bits) return "max-bits";
    return "min-errors";
}

/* A finished point's row on stderr, aligned under a header printed before the first. */
static void print_point(const sim_options *o, const sim_counts *c, bool coded, size_t i)
{
    if (i == 0)
        fprintf(stderr, "  %7s %7s %11s %9s %10s %23s%s %9s  %s\n", "Eb/N0", "Es/N0", "bits",
                "errors", "BER", "95% interval", coded ? "      blocks        BLER" : "",
                "elapsed", "stop");
    double lo, hi;
    sim_counts_interval(c, false, 0.95, &lo, &hi);
    fprintf(stderr, "  %7.2f %7.2f %11.4g %9llu %10.3e [%9.3e, %9.3e]", c->ebn0_db, c->esn0_db,
            (double)c->bits, (unsigned long long)c->bit_errors,
            (double)c->bit_errors / (double)c->bits, lo, hi);
    if (coded)
        fprintf(stderr, " %11.4g %11.3e", (double)c->blocks,
                (double)c->block_errors / (double)c->blocks);
    fprintf(stderr, " %8.1fs  %s\n", sim_bench_now() - o->started, stop_reason(o, c));
}

/* One row; coded links add the block columns. */
static void write_row(FILE *out, const sim_counts *c, bool coded)
{
    double lo, hi;
    sim_counts_interval(c, false, 0.95, &lo, &hi);
    fprintf(out, "%.10g\t%.10g\t%llu\t%llu\t%.6e\t%.6e\t%.6e\t%llu\t%llu\t%.6e", c->ebn0_db,
            c->esn0_db, (unsigned long long)c->bits, (unsigned long long)c->bit_errors,
            (double)c->bit_errors / (double)c->bits, lo, hi, (unsigned long long)c->symbols,
            (unsigned long long)c->symbol_errors,
            (double)c->symbol_errors / (double)c->symbols);
    if (coded) {
        sim_counts_interval(c, true, 0.95, &lo, &hi);
        fprintf(out, "\t%llu\t%llu\t%.6e\t%.6e\t%.6e", (unsigned long long)c->blocks,
                (unsigned long long)c->block_errors,
                (double)c->block_errors / (double)c->blocks, lo, hi);
    }
    fputc('\n', out);
}

/* The input files of a link, as "--constellation FNV; --model FNV" (sim_file_fingerprint in
 * hexadecimal), into buf: what --resume checks, so that a table is not finished with another
 * constellation or model than it began with. "" when it has none. */
static void inputs_text(const sim_link *link, char *buf, size_t size)
{
    const char *opt[] = {"--constellation", "--model", "--e2e-model"};
    const char *path[] = {link->constellation, link->model, link->e2e_model};
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++) {
        if (!path[i] || used >= size) continue;
        int n = snprintf(buf + used, size - used, "%s%s %016llx", used ? "; " : "", opt[i],
                         sim_file_fingerprint(path[i]));
        used += n > 0 ? (size_t)n : 0;
    }
}

/* Writes the finished table and commits it. Its temporary file is made only now, so that a run
 * killed outright (kill -9) leaves none; an unwritable -o was refused before the run. */
static int write_table(const sim_options *o, const sim_chain *chain, const sim_counts *rows,
                       size_t nrows, const char *stopped, bool partial, int argc, char **argv)
{
    sim_table *t = partial ? sim_table_open_no_rescue(o->output) : sim_table_open(o->output);
    if (!t) return SIM_EIO;
    const sim_link *link = sim_chain_link(chain);
    size_t chunk = sim_chain_chunk_symbols(chain);
    sim_table_meta_common(t, argc, argv);
    sim_table_meta(t, "seed", "%llu", (unsigned long long)o->seed);
    sim_link_write_meta(link, sim_chain_modulation_name(chain),
                        sim_chain_receiver_name(chain), t);
    if (o->inputs[0]) sim_table_meta(t, "inputs", "%s", o->inputs);
    if (o->min_block_errors)
        sim_table_meta(t, "stop rule", "%llu bit errors and %llu block errors, or %llu bits per "
                       "point, checked after each chunk of %zu symbols",
                       (unsigned long long)o->min_errors, (unsigned long long)o->min_block_errors,
                       (unsigned long long)o->max_bits, chunk);
    else
        sim_table_meta(t, "stop rule", "%llu bit errors or %llu bits per point, checked after "
                       "each chunk of %zu symbols", (unsigned long long)o->min_errors,
                       (unsigned long long)o->max_bits, chunk);
    sim_table_meta(t, "confidence",
                   "ber_lo, ber_hi (and bler_lo, bler_hi): 95%% "
                   "Clopper-Pearson interval on effective counts: errors and trials divided by "
                   "the design effect (the variance of the error counts of the point's "
                   "independent units, %s, over the binomial variance; at least 1) times "
                   "(t_f/z)^2, at most trials/U for U units; f = U-1, or where a unit has several "
                   "errors (m-1)/c^2, m = errors^2/S, c = (S-errors)/S, S the sum of squared unit "
                   "errors, within [1, U-1]; lower end at least 1 of U units over trials/U; 0 "
                   "errors: 0 of U; [0, 1] from fewer than 2 units",
                   sim_chain_unit_text(chain));
    if (sim_mpi_ranks() > 1)
        sim_table_meta(t, "workers", "%d MPI ranks x %llu thread%s", sim_mpi_ranks(),
                       (unsigned long long)o->threads, o->threads > 1 ? "s" : "");
    if (stopped) sim_table_meta(t, partial ? "progress" : "stopped", "%s", stopped);
    FILE *out = sim_table_stream(t);
    bool coded = link->code.name != NULL || link->e2e_model != NULL;
    fputs("ebn0_db\tesn0_db\tbits\tbit_errors\tber\tber_lo\tber_hi\tsymbols\tsymbol_errors\tser",
          out);
    fputs(coded ? "\tblocks\tblock_errors\tbler\tbler_lo\tbler_hi\n" : "\n", out);
    for (size_t i = 0; i < nrows; i++)
        if (i < o->nkept)
            fprintf(out, "%s\n", o->kept[i]);
        else
            write_row(out, &rows[i], coded);
    return sim_table_commit(t);
}

/* What the sweep needs besides the engine: where its table goes and what made it. */
typedef struct {
    sim_options *o;
    const sim_chain *chain;
    int argc;
    char **argv;
} sweep_ctx;

/* After each finished point: its row on stderr, and with -o the table so far on disk (replaced
 * atomically), so that tail and gnuplot see it grow and a killed run keeps every finished
 * point. A failed write is said once and not tried again; the run goes on to its final table,
 * which has a rescue file (table.h). */
static void point_done(const sweep_ctx *x, const sim_counts *rows, size_t done)
{
    sim_options *o = x->o;
    bool coded = o->link.code.name != NULL || o->link.e2e_model != NULL;
    remember_point(o, &rows[done - 1]);
    if (!o->quiet) print_point(o, &rows[done - 1], coded, done - 1 - o->nkept);
    if (!o->output || strcmp(o->output, "-") == 0 || done == o->npoints || o->write_failed)
        return;
    /* over MPI ranks the table is written once, when the sweep ends or is interrupted: a rank
     * that dies leaves no table (README: MPI) */
    if (sim_mpi_ranks() > 1) return;
    /* a pipe, FIFO or device gets the table once, at the end: a reader sees one table */
    struct stat st;
    if (stat(o->output, &st) == 0 && !S_ISREG(st.st_mode)) return;
    char progress[96];
    snprintf(progress, sizeof progress, "%zu of %zu points so far; the run goes on", done,
             o->npoints);
    if (write_table(o, x->chain, rows, done, progress, true, x->argc, x->argv) == 0) return;
    o->write_failed = true;
    fprintf(stderr, "bersim: warning: %s; the run goes on\n", sim_last_error());
}

/* Runs the sweep; returns how many rows are complete and says in *stopped why it ended early. */
static size_t sweep(const sweep_ctx *x, const sim_engine_config *cfg, sim_counts *rows,
                    char *stopped, size_t stopped_size, int *status)
{
    sim_options *o = x->o;
    o->started = o->last_line = sim_bench_now();
    for (size_t i = o->nkept; i < o->npoints; i++) {
        o->point = i;
        int r = sim_mpi_run_point(cfg, (unsigned)i, o->ebn0[i], &rows[i]);
        if (cfg->progress && o->terminal) fputs("\r\033[K", stderr);
        if (r != SIM_OK) {
            *status = r == SIM_EINTERRUPTED ? SIM_EXIT_INTERRUPTED : 1;
            snprintf(stopped, stopped_size, "%s at Eb/N0 = %g dB; later points not run",
                     r == SIM_EINTERRUPTED ? "interrupted" : sim_last_error(), o->ebn0[i]);
            return i;
        }
        point_done(x, rows, i + 1);
        if (rows[i].bit_errors == 0 && i + 1 < o->npoints) {
            snprintf(stopped, stopped_size,
                     "no bit error at Eb/N0 = %g dB in %llu bits; higher points not run",
                     o->ebn0[i], (unsigned long long)rows[i].bits);
            return i + 1;
        }
    }
    return o->npoints;
}

/* A learned receiver used beyond what it was trained for still runs, with a warning. */
static void warn_model_mismatch(const sim_options *o, const sim_chain *chain)
{
    const sim_link *link = sim_chain_link(chain);
    const char *range = sim_chain_model_meta(chain, "ebn0_db");
    const char *detail = sim_chain_model_meta(chain, "channel_detail");
    double lo, hi;
    if (range && sscanf(range, "%lf:%lf", &lo, &hi) == 2 &&
        (o->ebn0[0] < lo - 1 || o->ebn0[o->npoints - 1] > hi + 1))
        fprintf(stderr, "bersim: warning: model '%s' was trained for Eb/N0 %s dB; beyond it "
                        "its LLRs are extrapolated\n", link->model, range);
    char channel[96];
    sim_link_channel_text(&link->fading, channel, sizeof channel);
    if (detail && strcmp(detail, channel) != 0)
        fprintf(stderr, "bersim: warning: model '%s' was trained for '%s', simulating '%s'\n",
                link->model, detail, channel);
    /* an OFDM receiver trained with one clipping level (or Doppler, or CFO) runs at another:
     * a study of robustness, or a slip that the layout check cannot see */
    const char *trained = sim_chain_model_meta(chain, "ofdm_channel");
    if (link->ofdm.n && trained) {
        sim_link_ofdm_impairments(link, channel, sizeof channel);
        if (strcmp(trained, channel) != 0)
            fprintf(stderr,
                    "bersim: warning: model '%s' was trained for OFDM with %s, "
                    "simulating %s\n",
                    link->model, trained, channel);
    }
}

static int sim_run(int argc, char **argv, const sim_resume *r, const char *path);

/* ---- --resume ----------------------------------------------------------------------------- */

/* Options that change what is printed or how fast, not the table: they may differ on resume. */
static bool free_option(const char *opt)
{
    return strcmp(opt, "--threads") == 0 || strcmp(opt, "--quiet") == 0 ||
           strcmp(opt, "--progress") == 0;
}

static bool flag_option(const char *opt)
{
    return strcmp(opt, "--quiet") == 0 || strcmp(opt, "--progress") == 0 ||
           strcmp(opt, "--count-overhead") == 0;
}

/* True when opt is among the options given now. */
static bool given(int argc, char **argv, const char *opt)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], opt) == 0) return true;
    return false;
}

/* The value of option opt in the words of a command (NULL: not there; "" for a flag). */
static const char *recorded(const sim_resume *r, const char *opt)
{
    for (int i = 2; i < r->nwords; i++) {
        if (strcmp(r->words[i], opt) == 0) return flag_option(opt) ? "" : r->words[i + 1];
        if (!flag_option(r->words[i])) i++;
    }
    return NULL;
}

/* The command of the resumed run: the table's own, less its -o, with the grid and the free
 * options given now in place of its own, and -o path. So a resume with no options writes the
 * table the uninterrupted run would have. */
static int resume_words(int argc, char **argv, const sim_resume *r, const char *path,
                        const char **words, int *n)
{
    const char *grid_opt = NULL, *grid = NULL;
    *n = 0;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *v = flag_option(opt) || i + 1 >= argc ? "" : argv[i + 1];
        i += !flag_option(opt);
        if (strcmp(opt, "--resume") == 0 || free_option(opt)) continue;
        if (strcmp(opt, "--ebn0") == 0 || strcmp(opt, "--esn0") == 0) {
            grid_opt = opt, grid = v;
            continue;
        }
        const char *was = recorded(r, opt);
        if (!was || strcmp(was, v) != 0)
            return sim_cli_fail("sim: --resume: %s %s is not the table's (%s%s%s)", opt, v,
                                was ? opt : "not in its command", was ? " " : "", was ? was : ""),
                   -1;
    }
    words[(*n)++] = "sim";
    for (int i = 2; i < r->nwords; i++) {
        const char *w = r->words[i];
        bool takes = !flag_option(w) && i + 1 < r->nwords;
        bool drop = strcmp(w, "-o") == 0 || (free_option(w) && given(argc, argv, w)) ||
                    (grid && (strcmp(w, "--ebn0") == 0 || strcmp(w, "--esn0") == 0));
        if (!drop) {
            words[(*n)++] = w;
            if (takes) words[(*n)++] = r->words[i + 1];
        }
        i += takes;
    }
    if (grid) words[(*n)++] = grid_opt, words[(*n)++] = grid;
    for (int i = 1; i < argc; i++)
        if (free_option(argv[i])) {
            words[(*n)++] = argv[i];
            if (!flag_option(argv[i]) && i + 1 < argc) words[(*n)++] = argv[++i];
        }
    words[(*n)++] = "-o", words[(*n)++] = path;
    return 0;
}

/* The path given to --resume, or NULL. */
static const char *resume_path(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--resume") == 0) return argv[i + 1];
    return NULL;
}

/* The table's finished rows must be the first points of the grid. */
static int check_kept(sim_options *o, const sim_resume *r, const char *path)
{
    if (r->nrows > o->npoints)
        return sim_cli_fail("sim: --resume: '%s' has %zu rows, the grid %zu points", path,
                            r->nrows, o->npoints), -1;
    for (size_t i = 0; i < r->nrows; i++)
        if (!(fabs(o->ebn0[i] - r->ebn0[i]) <= 1e-6 * (1 + fabs(r->ebn0[i]))))
            return sim_cli_fail("sim: --resume: row %zu of '%s' is at %g dB, point %zu of the "
                                "grid at %g dB", i + 1, path, r->ebn0[i], i + 1, o->ebn0[i]), -1;
    if (r->inputs && strcmp(r->inputs, o->inputs) != 0)
        return sim_cli_fail("sim: --resume: '%s' was made from other input files (%s) than "
                            "these (%s)",
                            path, r->inputs, o->inputs),
               -1;
    if (!r->inputs) o->inputs[0] = '\0'; /* an older table: its rows' files are unknown */
    o->kept = r->rows, o->nkept = r->nrows;
    return 0;
}

/* sim_mpi_agree has run: the ranks know whether the run goes on. */
static bool agreed;

static int sim_cmd_sim_ranks(int argc, char **argv);

/* Under MPI every rank runs the command; they agree on every outcome (sched_mpi.h). */
int sim_cmd_sim(int argc, char **argv)
{
    if (sim_mpi_start() != SIM_OK) return sim_cli_fail("%s", sim_last_error());
    agreed = false;
    int status = sim_cmd_sim_ranks(argc, argv);
    if (!agreed) status = sim_mpi_agree(status, 0, NULL, 0);
    return sim_mpi_finish(status);
}

static int sim_cmd_sim_ranks(int argc, char **argv)
{
    const char *path = resume_path(argc, argv);
    if (!path || sim_cli_wants_help(argc, argv)) return sim_run(argc, argv, NULL, NULL);
    int given = 0; /* as any other option, once at most */
    for (int i = 1; i < argc; i++)
        given += strcmp(argv[i], "--resume") == 0;
    if (given > 1) return sim_cli_fail("--resume given twice");
    static sim_resume r;
    static const char *words[2 * SIM_RESUME_MAX_WORDS + 8];
    int n, status = SIM_EXIT_USAGE;
    if (sim_resume_read(path, &r) != SIM_OK)
        return sim_cli_fail("%s", sim_last_error());
    if (resume_words(argc, argv, &r, path, words, &n) == 0)
        status = sim_run(n, (char **)words, &r, path);
    sim_resume_free(&r);
    return status;
}

/* The run of argv, or of the resumed table r at path. */
static int sim_run(int argc, char **argv, const sim_resume *r, const char *path)
{
    if (sim_cli_wants_help(argc, argv)) return sim_usage(), 0;
    static sim_options o;
    if (parse_options(&o, argc, argv) != 0) return SIM_EXIT_USAGE;
    /* before the chain loads them: a file changed during the run changes no table's record */
    inputs_text(&o.link, o.inputs, sizeof o.inputs);
    sim_chain *chain = sim_chain_create(&o.link, 0);
    if (!chain) return sim_cli_fail("%s", sim_last_error());
    /* Es/N0 = Eb/N0 + 10 log10(information bits per symbol), as the table's two columns */
    for (size_t i = 0; o.esn0 && i < o.npoints; i++)
        o.ebn0[i] -= 10 * log10(sim_chain_info_per_symbol(chain));
    if (r && check_kept(&o, r, path) != 0) return sim_chain_destroy(chain), SIM_EXIT_USAGE;
    /* a table that is complete, or whose sweep ended for good, is no mistake: status 0 */
    if (r && r->ended) {
        fprintf(stderr,
                "bersim: sim: nothing to resume: the sweep in '%s' ended at a point "
                "without errors\n",
                path);
        return sim_chain_destroy(chain), 0;
    }
    if (r && o.nkept == o.npoints) {
        fprintf(stderr, "bersim: sim: nothing to resume: all %zu points are in '%s'\n",
                o.npoints, path);
        return sim_chain_destroy(chain), 0;
    }
    sim_counts *rows = calloc(o.npoints, sizeof *rows);
    int status = 1;
    if (!rows) {
        fprintf(stderr, "bersim: sim: out of memory\n");
        goto done;
    }
    if (o.link.model) warn_model_mismatch(&o, chain);
    o.terminal = isatty(STDERR_FILENO);
    sim_engine_config cfg = {
        .chain = chain, .seed = o.seed, .min_errors = o.min_errors,
        .min_block_errors = o.min_block_errors, .max_bits = o.max_bits,
        .threads = (int)o.threads, .stop = &sim_cli_interrupted,
        .progress = !o.quiet && (o.terminal || o.progress) ? print_progress : NULL,
        .progress_user = &o,
    };
    const char *inputs[] = {o.link.model, o.link.e2e_model, o.link.constellation, path};
    agreed = true;
    status = sim_mpi_agree(0, (int)o.threads, inputs, sizeof inputs / sizeof inputs[0]);
    if (status != 0) goto done;
    sim_cli_catch_interrupts();
    if (sim_mpi_rank() > 0) { /* serve rank 0's points; only rank 0 writes */
        cfg.progress = NULL;
        status = sim_mpi_serve(&cfg) == SIM_OK ? 0 : 1;
        sim_cli_release_interrupts();
        goto done;
    }
    char stopped[600] = "";
    status = 0;
    sweep_ctx x = {&o, chain, argc, argv};
    size_t nrows = sweep(&x, &cfg, rows, stopped, sizeof stopped, &status);
    sim_mpi_end_points();
    sim_cli_release_interrupts();
    int written = write_table(&o, chain, rows, nrows, stopped[0] ? stopped : NULL, false, argc,
                              argv);
    if (written != 0) status = (sim_cli_fail("%s", sim_last_error()), 1);
    else if (status == 1) fprintf(stderr, "bersim: sim: %s\n", stopped);
    if (status == SIM_EXIT_INTERRUPTED)
        fprintf(stderr, "bersim: interrupted; %zu complete rows written\n", nrows);
done:
    free(rows);
    sim_chain_destroy(chain);
    return status;
}
