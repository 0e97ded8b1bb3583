/* bersim train: trains a learned receiver on fresh channel pairs and saves it with its link. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nn.h>

#include "cli.h"
#include "commands.h"
#include "e2e.h"
#include "link.h"
#include "sim_error.h"
#include "train.h"

#define MAX_HIDDEN SIM_TRAIN_MAX_HIDDEN

typedef struct {
    sim_link_parser parser;
    sim_link link;
    double ebn0_lo, ebn0_hi;
    bool ebn0_given, quiet, hidden_given, lr_given, batch_given;
    bool ofdm_mlp; /* --arch mlp */
    const char *arch;
    bool e2e, e2e_bits;          /* --e2e N,K or --e2e-constellation M */
    unsigned e2e_n, e2e_k;
    const char *output, *log;
    uint64_t hidden[MAX_HIDDEN];
    size_t n_hidden;
    uint64_t steps, batch, seed;
    double lr;
    const char *checkpoint;   /* --checkpoint FILE */
    uint64_t checkpoint_every; /* --checkpoint-every N (0: the default) */
    const char *resume;       /* --resume FILE (rewritten into the checkpoint's options) */
    nn_checkpoint *resumed;   /* the checkpoint loaded */
    /* the progress line */
    double started, printed, every; /* monotonic seconds; seconds between lines */
    uint64_t first_step;            /* the step this process started at */
    bool tty, drawn;                /* stderr is a terminal; a line is drawn on it */
} train_options;

#define CHECKPOINT_EVERY 1000

static void train_usage(void)
{
    puts("usage: bersim train --mod M --channel C --ebn0 A[:B] -o MODEL [options]\n"
         "       bersim train --resume CHECKPOINT [-o MODEL] [options]\n\n"
         "Trains a neural demapper (one logit per bit, binary cross-entropy) on fresh channel\n"
         "pairs drawn at Eb/N0 uniform in dB over [A, B], and saves it with its link. With CSI\n"
         "it sees the matched-filter output y conj(h)/n0 and the SNR |h|^2/n0; with pilots,\n"
         "the symbol seen through its block's pilot (and, with --doppler, the previous one).\n"
         "With --code, a neural decoder instead: the LLRs of a codeword (from the detector --rx)\n"
         "in, one logit per information bit out, random codewords every step.\n");
    puts("  --ebn0-range A[:B]  training Eb/N0 in dB, drawn uniformly over [A, B] (-20 to 60);\n"
         "                    --ebn0 A[:B] is the same (a range here, sim's --ebn0 is a grid)");
    sim_link_parser p;
    sim_link_parser_init(&p, SIM_LINK_OPT_CSI | SIM_LINK_OPT_CODE | SIM_LINK_OPT_RX |
                                 SIM_LINK_OPT_OFDM);
    sim_link_parser_help(&p);
    puts("  (OFDM: the learned receiver takes a whole frame; --est plays no part in training)\n"
         "  --arch unfolded   OFDM: LS estimation, soft-decision-aided re-estimation and\n"
         "                    matched filtering as layers, trained from LS (the default: 10000\n"
         "                    steps, batch 256, lr 0.01; --hidden W: the hidden layer of the\n"
         "                    head beyond QPSK, default 256)\n"
         "  --arch mlp        OFDM: a plain ReLU network of --hidden widths (Ye, Li and Juang's\n"
         "                    kind; default 500,500,250, 20000 steps, lr 0.001)");
    puts("  -o MODEL          the model file to write\n"
         "  --hidden LIST     hidden layer widths, ReLU (default 64,64; decoders 128,64,32)\n"
         "  --steps N         optimizer steps (default 10000; 30000 for 64qam, 60000 for 256qam,\n"
         "                    whose finer decision regions take longer to place; decoders\n"
         "                    20000 for k < 8, 100000 beyond)\n"
         "  --batch N         samples per step (default 512)\n"
         "  --lr X            Adam learning rate, cosine-decayed to 1/30 of it (default 0.003;\n"
         "                    decoders 0.004)\n"
         "  --seed S          seed of the initial weights and the pairs (default 1)\n"
         "  --log FILE        the learning curve (step, train_loss, val_loss, lr) as a table\n"
         "  --e2e N,K         an end-to-end pair instead: K bits -> N real channel uses -> the\n"
         "                    channel (awgn, or rayleigh with CSI) -> K bits, trained through the\n"
         "                    channel as a layer (N <= 16, K <= 8; default 20000 steps)\n"
         "  --e2e-constellation M  M learned points (one complex symbol) and a bitwise demapper\n"
         "  --checkpoint FILE write a checkpoint to FILE (atomically) every --checkpoint-every\n"
         "                    steps and when interrupted (Ctrl-C, SIGTERM): parameters,\n"
         "                    optimizer state, learning curve so far and the options\n"
         "  --checkpoint-every N  steps between checkpoints (default 1000)\n"
         "  --resume FILE     continue from checkpoint FILE with its options (others given must\n"
         "                    match it, but -o, --log, --quiet, --checkpoint and\n"
         "                    --checkpoint-every); makes the\n"
         "                    model an uninterrupted run makes; checkpoints go on into FILE\n"
         "                    unless --checkpoint says otherwise\n"
         "  --quiet           no progress on stderr (a line every 2 s on a terminal, every 10 s\n"
         "                    otherwise: step, losses, rate, elapsed time and ETA)");
}

/* --e2e N,K (block: N reals, K bits) or --e2e-constellation M (M points, a power of two). */
static int parse_e2e(train_options *o, const char *opt, const char *v)
{
    uint64_t nk[2];
    size_t count;
    if (o->e2e) return sim_cli_fail("train: one of --e2e and --e2e-constellation, once"), -1;
    o->e2e = true;
    if (strcmp(opt, "--e2e") == 0) {
        if (sim_cli_list(opt, v, 2, 1, 64, nk, &count) != 0) return -1;
        if (count != 2) return sim_cli_fail("--e2e: '%s' is not N,K", v), -1;
        o->e2e_n = (unsigned)nk[0], o->e2e_k = (unsigned)nk[1];
        return 0;
    }
    uint64_t m;
    if (sim_cli_u64(opt, v, 2, 1u << SIM_E2E_MAX_K, &m) != 0) return -1;
    if (m & (m - 1)) return sim_cli_fail("%s: %s points is not a power of two", opt, v), -1;
    o->e2e_bits = true;
    o->e2e_n = 2;
    for (o->e2e_k = 0; (1ull << o->e2e_k) < m; o->e2e_k++) continue;
    return 0;
}

static int parse_option(train_options *o, int argc, char **argv, int *i)
{
    const char *opt = argv[*i], *v;
    int status = sim_link_parse(&o->parser, argc, argv, i);
    if (status <= 0) return status;
    static const char *const valued[] = {"--ebn0", "--ebn0-range", "-o", "--log", "--hidden",
                                         "--steps", "--arch",
                                         "--batch", "--seed", "--lr", "--e2e",
                                         "--e2e-constellation", "--checkpoint",
                                         "--checkpoint-every", NULL};
    if (strcmp(opt, "--quiet") == 0) return o->quiet = true, 0;
    if (!sim_cli_is_one_of(opt, valued))
        return sim_cli_unknown_option("train", opt), -1;
    if (!(v = sim_cli_value(argc, argv, i))) return -1;
    /* a training range, not sim's grid: --ebn0-range by its own name, --ebn0 as before */
    if (strcmp(opt, "--ebn0") == 0 || strcmp(opt, "--ebn0-range") == 0) {
        if (o->ebn0_given)
            return sim_cli_fail("train: --ebn0-range and --ebn0 name the same range: one of them"),
                   -1;
        o->ebn0_given = true;
        return sim_cli_range(opt, v, -20, 60, &o->ebn0_lo, &o->ebn0_hi);
    }
    if (strcmp(opt, "-o") == 0) return o->output = v, sim_cli_check_writable(opt, v);
    if (strcmp(opt, "--e2e") == 0 || strcmp(opt, "--e2e-constellation") == 0)
        return parse_e2e(o, opt, v);
    if (strcmp(opt, "--log") == 0) return o->log = v, sim_cli_check_writable(opt, v);
    if (strcmp(opt, "--checkpoint") == 0)
        return o->checkpoint = v, sim_cli_check_writable(opt, v);
    if (strcmp(opt, "--checkpoint-every") == 0)
        return sim_cli_u64(opt, v, 1, 1e9, &o->checkpoint_every);
    if (strcmp(opt, "--hidden") == 0)
        return o->hidden_given = true,
               sim_cli_list(opt, v, MAX_HIDDEN, 1, 4096, o->hidden, &o->n_hidden);
    if (strcmp(opt, "--steps") == 0) return sim_cli_u64(opt, v, 1, 1e9, &o->steps);
    if (strcmp(opt, "--batch") == 0)
        return o->batch_given = true, sim_cli_u64(opt, v, 16, 16384, &o->batch);
    if (strcmp(opt, "--arch") == 0) {
        o->arch = v, o->ofdm_mlp = strcmp(v, "mlp") == 0;
        if (o->ofdm_mlp || strcmp(v, "unfolded") == 0) return 0;
        return sim_cli_fail("--arch: '%s' is not unfolded or mlp", v), -1;
    }
    if (strcmp(opt, "--seed") == 0) return sim_cli_u64(opt, v, 0, UINT64_MAX >> 11, &o->seed);
    if (strcmp(opt, "--lr") == 0) {
        o->lr_given = true;
        if (sim_cli_double(opt, v, &o->lr) != 0) return -1;
        if (o->lr > 0 && o->lr < 1) return 0;
        return sim_cli_fail("--lr: '%s' must be in (0, 1)", v), -1;
    }
    return sim_cli_unknown_option("train", opt), -1;
}

/* An end-to-end pair is its own modulation, code and receiver; its channel awgn (the default) or
 * fast rayleigh with CSI. */
static int check_e2e_options(train_options *o)
{
    const sim_link_parser *p = &o->parser;
    if (p->mod_given || p->link.constellation || p->link.code.name || p->rx_given || p->pilots)
        return sim_cli_fail("train: --e2e and --e2e-constellation learn their own modulation, "
                            "code and receiver: no --mod, --constellation, --code, --rx or --csi"),
               -1;
    ch_chan_kind c = p->link.fading.kind;
    if ((c != CH_CHAN_AWGN && c != CH_CHAN_RAYLEIGH) || p->coherence_given || p->doppler_given)
        return sim_cli_fail("train: an end-to-end channel is awgn or fast rayleigh (with CSI)"),
               -1;
    if (!o->hidden_given) {
        /* the receiver: one layer of 4M for messages (O'Shea and Hoydis use M), two of 64 for a
         * bitwise demapper */
        size_t m = (size_t)1 << (o->e2e_k < 16 ? o->e2e_k : 0);
        o->hidden[0] = o->e2e_bits ? 64 : 4 * m;
        o->hidden[1] = 64;
        o->n_hidden = o->e2e_bits ? 2 : 1;
    }
    return 0;
}

/* The learned OFDM receiver's defaults (README: Learned OFDM receiver). */
static int ofdm_defaults(train_options *o)
{
    if (o->ofdm_mlp) {
        /* Ye, Li and Juang's 500-250-120 served 16 bits a network; one network for a frame's
         * 128 bits cannot pass them through 120 units (BER floors 0.25 for it and 0.069 for
         * 500-500-250 after 20000 steps at N = 64 over EVA) */
        static const uint64_t widths[3] = {500, 500, 250};
        if (!o->hidden_given) memcpy(o->hidden, widths, sizeof widths), o->n_hidden = 3;
        if (!o->lr_given) o->lr = 0.001;
        return 0;
    }
    if (!o->hidden_given) o->hidden[0] = 256, o->n_hidden = 1;
    if (o->n_hidden > 1)
        return sim_cli_fail("train: --hidden: the unfolded OFDM receiver's head has one hidden "
                            "layer (--arch mlp takes a list)"), -1;
    /* the unfolded receiver trains its few free weights from a working start: a higher rate
     * than a network drawn at random takes (validation loss 0.81 after 5000 steps at 0.005,
     * 1.60 at 0.001) */
    if (!o->lr_given) o->lr = 0.01;
    if (!o->batch_given) o->batch = 256;
    return 0;
}

static int parse_options(train_options *o, int argc, char **argv)
{
    *o = (train_options){.hidden = {64, 64}, .n_hidden = 2, .steps = 0, .batch = 512,
                         .seed = 1, .lr = 0.003};
    /* --constellation and --model are taken, to be refused by name below */
    sim_link_parser_init(&o->parser, SIM_LINK_OPT_CSI | SIM_LINK_OPT_CONSTELLATION |
                                         SIM_LINK_OPT_CODE | SIM_LINK_OPT_RX | SIM_LINK_OPT_OFDM);
    sim_cli_seen seen = {0};
    for (int i = 1; i < argc; i++)
        if (!sim_cli_first_time(&seen, argv[i]) || parse_option(o, argc, argv, &i) != 0)
            return -1;
    if (!o->ebn0_given) return sim_cli_fail("train: --ebn0 is required"), -1;
    if (!o->output) return sim_cli_fail("train: -o MODEL is required"), -1;
    if (strcmp(o->output, "-") == 0 || (o->log && strcmp(o->log, "-") == 0))
        return sim_cli_fail("train: -o and --log name files; '-' is not one"), -1;
    if (o->log && sim_cli_same_file(o->output, o->log))
        return sim_cli_fail("train: -o and --log are the same file '%s'", o->log), -1;
    if (o->checkpoint && (strcmp(o->checkpoint, "-") == 0 ||
                          sim_cli_same_file(o->output, o->checkpoint) ||
                          (o->log && sim_cli_same_file(o->log, o->checkpoint))))
        return sim_cli_fail("train: --checkpoint '%s' is '-', the model or the log",
                            o->checkpoint), -1;
    if (o->checkpoint_every && !o->checkpoint)
        return sim_cli_fail("train: --checkpoint-every goes with --checkpoint FILE"), -1;
    const sim_link *l = &o->parser.link;
    if (o->e2e && o->checkpoint)
        return sim_cli_fail("train: --checkpoint and --resume are not (yet) for --e2e and "
                            "--e2e-constellation"), -1;
    if (o->e2e) return check_e2e_options(o);
    if (l->constellation && !l->code.name)
        return sim_cli_fail("train: --constellation: learned receivers are for the built-in "
                            "--mod only"), -1;
    if (l->model) return sim_cli_fail("train: --model: train writes the model (-o MODEL)"), -1;
    if (o->parser.rx_given && !l->code.name)
        return sim_cli_fail("train: --rx is the detector whose LLRs a decoder learns from: it "
                            "goes with --code"), -1;
    if (l->code.name && l->rx == SIM_RX_NN)
        return sim_cli_fail("train: --code with --rx nn: train one learned stage at a time"), -1;
    if (sim_link_parser_finish(&o->parser, &o->link) != 0) return -1;
    /* with a code, the decoder is what is trained */
    if (o->link.code.name) o->link.code.decoder = SIM_DEC_NN;
    if (o->link.code.name && !o->lr_given) o->lr = 0.004;
    if (o->arch && !o->link.ofdm.n)
        return sim_cli_fail("train: --arch is for the learned OFDM receiver (--ofdm N)"), -1;
    if (o->link.ofdm.n && ofdm_defaults(o) != 0) return -1;
    if (o->link.code.name && !o->hidden_given) {
        static const uint64_t gruber[3] = {128, 64, 32};
        memcpy(o->hidden, gruber, sizeof gruber);
        o->n_hidden = 3;
    }
    return 0;
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The progress line's rate: every 2 s on a terminal (one line redrawn), every 10 s otherwise;
 * BERSIM_PROGRESS_SECONDS overrides both (for tests: 0 gives a line every step, so a test need
 * not race the machine's speed). */
static void progress_start(train_options *o)
{
    o->tty = isatty(STDERR_FILENO);
    o->every = o->tty ? 2.0 : 10.0;
    const char *env = getenv("BERSIM_PROGRESS_SECONDS");
    char *end;
    double v = env ? strtod(env, &end) : 0;
    if (env && end != env && *end == '\0' && v >= 0 && v < 1e6) o->every = v;
    o->started = o->printed = seconds_now();
    o->first_step = o->resumed ? o->resumed->step : 0;
}

/* Clears a redrawn line before other output. */
static void progress_clear(train_options *o)
{
    if (o->drawn) fputs("\r\033[K", stderr), o->drawn = false;
}

static void format_time(char *buf, size_t size, double s)
{
    unsigned long t = s > 0 && s < 1e9 ? (unsigned long)(s + 0.5) : 0;
    if (t >= 3600)
        snprintf(buf, size, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, size, "%lu:%02lu", t / 60, t % 60);
}

static int print_progress(void *user, const nn_train_progress *p)
{
    train_options *o = user;
    double t = seconds_now();
    if (t - o->printed < o->every) return 0;
    o->printed = t;
    double elapsed = t - o->started;
    double done = (double)(p->step - o->first_step);
    char el[32], eta[32];
    format_time(el, sizeof el, elapsed);
    if (done > 0)
        format_time(eta, sizeof eta, elapsed / done * (double)(p->steps - p->step));
    else
        snprintf(eta, sizeof eta, "?");
    progress_clear(o);
    fprintf(stderr, "  step %llu/%llu  train loss %.5f  validation loss %.5f  lr %.2e  "
            "elapsed %s  eta %s%s", (unsigned long long)p->step, (unsigned long long)p->steps,
            p->train_loss, p->val_loss, p->lr, el, eta, o->tty ? "" : "\n");
    o->drawn = o->tty;
    fflush(stderr);
    return 0;
}

static int print_row(void *user, const nn_train_row *row)
{
    train_options *o = user;
    progress_clear(o);
    fprintf(stderr, "  step %6llu/%llu  train loss %.5f  validation loss %.5f  lr %.2e\n",
            (unsigned long long)row->step, (unsigned long long)o->steps, row->train_loss,
            row->val_loss, row->lr);
    return 0;
}

/* ---- checkpoints ---------------------------------------------------------------------------- */

/* Options a checkpoint does not keep: they change neither the model nor the curve (-o and --log
 * it keeps, but a resumed run may name other files). */
static bool free_option(const char *a)
{
    return strcmp(a, "--quiet") == 0 || strcmp(a, "--checkpoint") == 0 ||
           strcmp(a, "--checkpoint-every") == 0 || strcmp(a, "--resume") == 0;
}

static bool is_option(const char *a)
{
    return strncmp(a, "--", 2) == 0 || strcmp(a, "-o") == 0;
}

/* The value after the option at argv[i], or NULL (a flag). */
static const char *value_of(int argc, char **argv, int i)
{
    return i + 1 < argc && !is_option(argv[i + 1]) ? argv[i + 1] : NULL;
}

/* The configuration a checkpoint keeps: the options given (arg1 .. argN, but the free ones) and
 * what they make of the run (the link, widths, steps, batch, rate, seed, network). */
static nn_meta *config_meta(const train_options *o, int argc, char **argv)
{
    nn_meta *m = nn_meta_create();
    if (!m) return NULL;
    char key[32], buf[512];
    int bad = 0, n = 0;
    for (int i = 1; i < argc; i++) {
        const char *v = value_of(argc, argv, i);
        if (free_option(argv[i])) {
            i += v != NULL;
            continue;
        }
        snprintf(key, sizeof key, "arg%d", ++n);
        bad |= nn_meta_set(m, key, argv[i]);
    }
    snprintf(buf, sizeof buf, "%d", n);
    bad |= nn_meta_set(m, "argc", buf);
    bad |= nn_meta_set(m, "trained_by", "bersim " BERSIM_VERSION);
    bad |= sim_link_model_meta(&o->link, m);
    snprintf(buf, sizeof buf, "%.17g:%.17g", o->ebn0_lo, o->ebn0_hi);
    bad |= nn_meta_set(m, "ebn0_db", buf);
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < o->n_hidden; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%llu", i ? "," : "",
                                (unsigned long long)o->hidden[i]);
    bad |= nn_meta_set(m, "hidden", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)o->steps);
    bad |= nn_meta_set(m, "steps", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)o->batch);
    bad |= nn_meta_set(m, "batch", buf);
    snprintf(buf, sizeof buf, "%.17g", o->lr);
    bad |= nn_meta_set(m, "lr", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)o->seed);
    bad |= nn_meta_set(m, "seed", buf);
    /* the validation set: stream 2 of the seed, drawn again on resuming */
    bad |= nn_meta_set(m, "validation_seed", buf);
    bad |= nn_meta_set(m, "arch", o->link.ofdm.n ? (o->ofdm_mlp ? "mlp" : "unfolded") : "-");
    if (bad) nn_meta_destroy(m), m = NULL;
    return m;
}

/* --resume FILE: argv rewritten as the checkpoint's own options followed by the free options
 * given; -o and --log given replace the stored ones; every other option given must be the
 * checkpoint's with the same value. The checkpoint
 * stays loaded in o->resumed; checkpoints go on into FILE unless --checkpoint is given. */
static int resume_argv(train_options *o, int argc, char **argv, int *argc_out, char ***argv_out)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--resume") == 0) {
            if (path) return sim_cli_fail("--resume given twice"), -1;
            if (i + 1 >= argc) return sim_cli_fail("--resume: needs a checkpoint FILE"), -1;
            path = argv[++i];
        }
    o->resume = path;
    if (!(o->resumed = nn_checkpoint_load(path)))
        return sim_cli_fail("train: --resume: %s", nn_last_error()), -1;
    const nn_meta *m = o->resumed->meta;
    const char *count = nn_meta_get(m, "argc");
    char *end, key[32];
    long n = count ? strtol(count, &end, 10) : -1;
    if (!count || *end || n < 1 || n > 200)
        return sim_cli_fail("train: --resume: %s: no options of a bersim train run (argc)", path),
               -1;
    static char *args[512];
    int k = 0;
    args[k++] = argv[0];
    for (long i = 1; i <= n; i++) {
        snprintf(key, sizeof key, "arg%ld", i);
        const char *a = nn_meta_get(m, key);
        if (!a) return sim_cli_fail("train: --resume: %s: no option %s", path, key), -1;
        args[k++] = (char *)a;
    }
    int stored = k;
    bool checkpoint_given = false;
    for (int i = 1; i < argc; i++) {
        const char *v = value_of(argc, argv, i);
        if (strcmp(argv[i], "--resume") == 0) {
            i++;
            continue;
        }
        if (free_option(argv[i])) {
            if (k + 2 >= (int)(sizeof args / sizeof *args) - 2)
                return sim_cli_fail("train: too many options"), -1;
            checkpoint_given |= strcmp(argv[i], "--checkpoint") == 0;
            args[k++] = argv[i];
            if (v) args[k++] = argv[++i];
            continue;
        }
        int j = 1;
        while (j < stored && strcmp(args[j], argv[i]) != 0) j++;
        /* where the model and the curve go may change: the value given replaces the stored one */
        bool output = strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--log") == 0;
        if (output && v && j < stored && value_of(stored, args, j)) {
            args[j + 1] = argv[++i];
            continue;
        }
        if (output && v && j == stored) {
            if (k + 2 >= (int)(sizeof args / sizeof *args) - 2)
                return sim_cli_fail("train: too many options"), -1;
            args[k++] = argv[i];
            args[k++] = argv[++i];
            continue;
        }
        if (j == stored)
            return sim_cli_fail("train: --resume: %s was not an option of the checkpoint's run "
                                "(%s)", argv[i], path), -1;
        const char *w = value_of(stored, args, j);
        if ((v == NULL) != (w == NULL) || (v && strcmp(v, w) != 0))
            return sim_cli_fail("train: --resume: %s %s differs from the checkpoint's %s %s",
                                argv[i], v ? v : "", args[j], w ? w : ""), -1;
        i += v != NULL;
    }
    if (!checkpoint_given) args[k++] = "--checkpoint", args[k++] = (char *)path;
    args[k] = NULL;
    *argc_out = k, *argv_out = args;
    return 0;
}

static bool arg_key(const char *k)
{
    return strncmp(k, "arg", 3) == 0;
}

/* Keys that models gained after checkpoints of format 1 were first written: a checkpoint
 * without one was written by an earlier bersim, not for other options, and still resumes. */
static bool newer_key(const char *k)
{
    return strcmp(k, "ofdm_channel") == 0;
}

/* The options parsed from a checkpoint's arguments make the configuration it recorded (every
 * key but the arguments themselves, which resume_argv compared, and the newer keys it may
 * lack). */
static int check_resumed(const train_options *o, const nn_meta *now)
{
    const nn_meta *was = o->resumed->meta;
    for (int pass = 0; pass < 2; pass++) {
        const nn_meta *a = pass ? was : now, *b = pass ? now : was;
        for (size_t i = 0; i < nn_meta_count(a); i++) {
            const char *k = nn_meta_key(a, i), *v = nn_meta_value(a, i);
            const char *w = nn_meta_get(b, k);
            bool older_file = !w && !pass && newer_key(k);
            if (arg_key(k) || (w && strcmp(v, w) == 0) || older_file) continue;
            const char *in_file = pass ? v : w, *made = pass ? w : v;
            return sim_cli_fail("train: --resume: %s: %s is '%s', these options make '%s'",
                                o->resume, k, in_file ? in_file : "(missing)",
                                made ? made : "(missing)"), -1;
        }
    }
    return 0;
}

/* Steps that bring the default network within 0.05 dB of exact log-MAP at BER 1e-4; decoders
 * want more, and more again for 256 codewords than for 16 (polar16_8: 0.19 dB from ML at BLER
 * 1e-3 after 100000 steps, 0.26 dB after 30000). */
static uint64_t default_steps(const sim_link *link)
{
    if (link->code.name) {
        unsigned n, k;
        sim_code_size(&link->code, &n, &k);
        return k < 8 ? 20000 : 100000;
    }
    if (link->ofdm.n) return 10000;
    return link->mod == CH_MOD_64QAM ? 30000 : link->mod == CH_MOD_256QAM ? 60000 : 10000;
}

/* Trains an end-to-end pair and saves it. */
static int train_e2e(train_options *o)
{
    size_t hidden[SIM_TRAIN_MAX_HIDDEN];
    for (size_t i = 0; i < o->n_hidden; i++) hidden[i] = (size_t)o->hidden[i];
    sim_e2e_config cfg = {
        .mode = o->e2e_bits ? SIM_E2E_BITS : SIM_E2E_BLOCK, .n = o->e2e_n, .k = o->e2e_k,
        .channel = o->parser.link.fading.kind, .ebn0_lo = o->ebn0_lo, .ebn0_hi = o->ebn0_hi,
        .hidden = hidden, .n_hidden = o->n_hidden, .steps = o->steps ? o->steps : 20000,
        .batch = o->batch, .seed = o->seed, .lr = o->lr, .log = o->log,
        .on_row = o->quiet ? NULL : print_row, .on_row_user = o,
        .on_step = o->quiet ? NULL : print_progress, .on_step_user = o,
        .stop = &sim_cli_interrupted,
    };
    o->steps = cfg.steps;
    if (sim_e2e_check(&cfg) != SIM_OK) return sim_cli_fail("train: %s", sim_last_error());
    sim_e2e *e;
    progress_start(o);
    sim_cli_catch_interrupts();
    int status = sim_e2e_train(&cfg, &e);
    sim_cli_release_interrupts();
    progress_clear(o);
    if (status == SIM_EINTERRUPTED) return sim_cli_fail("%s", sim_last_error()), SIM_EXIT_INTERRUPTED;
    if (status != SIM_OK) return sim_cli_fail("%s", sim_last_error());
    status = sim_e2e_save(e, o->output);
    sim_e2e_destroy(e);
    if (status != SIM_OK) return sim_cli_fail("train: %s", sim_last_error());
    if (!o->quiet) fprintf(stderr, "bersim: model written to %s\n", o->output);
    return 0;
}

int sim_cmd_train(int argc, char **argv)
{
    if (sim_cli_wants_help(argc, argv)) return train_usage(), 0;
    static train_options o;
    int status = 0;
    bool resuming = false;
    for (int i = 1; i < argc; i++) resuming |= strcmp(argv[i], "--resume") == 0;
    memset(&o, 0, sizeof o);
    if (resuming && resume_argv(&o, argc, argv, &argc, &argv) != 0) {
        nn_checkpoint_destroy(o.resumed);
        return SIM_EXIT_USAGE;
    }
    nn_checkpoint *resumed = o.resumed;
    const char *resume_path = o.resume;
    if (parse_options(&o, argc, argv) != 0) {
        nn_checkpoint_destroy(resumed);
        return SIM_EXIT_USAGE;
    }
    o.resumed = resumed, o.resume = resume_path;
    if (o.e2e) return train_e2e(&o);
    if (o.steps == 0) o.steps = o.ofdm_mlp ? 20000 : default_steps(&o.link);
    nn_meta *ckpt_meta = NULL;
    if (o.checkpoint && !(ckpt_meta = config_meta(&o, argc, argv)))
        status = sim_cli_fail("train: --checkpoint: the options do not fit a checkpoint");
    if (status == 0 && o.resumed && check_resumed(&o, ckpt_meta) != 0) status = SIM_EXIT_USAGE;
    if (status != 0) {
        nn_meta_destroy(ckpt_meta);
        nn_checkpoint_destroy(o.resumed);
        return status;
    }
    size_t hidden[SIM_TRAIN_MAX_HIDDEN];
    for (size_t i = 0; i < o.n_hidden; i++) hidden[i] = (size_t)o.hidden[i];
    sim_train_config cfg = {
        .link = &o.link, .ebn0_lo = o.ebn0_lo, .ebn0_hi = o.ebn0_hi, .hidden = hidden,
        .n_hidden = o.n_hidden, .steps = o.steps, .batch = o.batch, .seed = o.seed, .lr = o.lr,
        .ofdm_mlp = o.ofdm_mlp, .log = o.log, .on_row = o.quiet ? NULL : print_row,
        .on_row_user = &o, .on_step = o.quiet ? NULL : print_progress, .on_step_user = &o,
        .stop = &sim_cli_interrupted, .checkpoint = o.checkpoint,
        .checkpoint_every = o.checkpoint_every ? o.checkpoint_every : CHECKPOINT_EVERY,
        .checkpoint_meta = ckpt_meta, .resume = o.resumed,
    };
    nn_net *net;
    nn_meta *meta;
    progress_start(&o);
    sim_cli_catch_interrupts();
    int trained = sim_train(&cfg, &net, &meta);
    sim_cli_release_interrupts();
    progress_clear(&o);
    if (trained == SIM_EINTERRUPTED)
        status = (sim_cli_fail("%s", sim_last_error()), SIM_EXIT_INTERRUPTED);
    else if (trained != SIM_OK && o.resumed)
        status = sim_cli_fail("%s (resuming from %s)", sim_last_error(), o.resume);
    else if (trained != SIM_OK)
        status = sim_cli_fail("%s", sim_last_error());
    else if (nn_model_save(o.output, net, meta) != 0)
        status = sim_cli_fail("train: %s", nn_last_error());
    else if (!o.quiet)
        fprintf(stderr, "bersim: model written to %s\n", o.output);
    nn_meta_destroy(meta);
    nn_net_destroy(net);
    nn_meta_destroy(ckpt_meta);
    nn_checkpoint_destroy(o.resumed);
    return status;
}
