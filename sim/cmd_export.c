/* bersim export: the codebook of an end-to-end pair as a table, for plots. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "e2e.h"
#include "sim_error.h"
#include "table.h"

typedef struct {
    const char *model, *output;
    double esn0;
    bool esn0_given;
} export_options;

static void export_usage(void)
{
    puts("usage: bersim export --e2e-model FILE [-o FILE] [--esn0 X]\n\n"
         "Writes the codebook of an end-to-end pair (bersim train --e2e, --e2e-constellation):\n"
         "one row per message with its bits and its N reals (a learned constellation: re, im).\n"
         "For a constellation the metadata give its bitwise mutual information beside Gray\n"
         "M-QAM's (square M) at Es/N0 = X dB (default: the middle of its training range).\n");
    puts("  --e2e-model FILE  the pair\n"
         "  -o FILE           the table (default: standard output)\n"
         "  --esn0 X          Es/N0 in dB of the mutual information\n\n"
         "usage: bersim export --ofdm N [OFDM options of sim] --mod M --ebn0 X [--seed S] [-o "
         "FILE]\n\n"
         "Writes one OFDM frame's true frequency response on its pilot symbol beside the LS and\n"
         "LMMSE estimates from its pilots, one row per subcarrier (scripts/ofdm_response.gp).");
}

static int parse_options(export_options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    sim_cli_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *v;
        if (!sim_cli_first_time(&seen, opt)) return -1;
        if (strcmp(opt, "--e2e-model") != 0 && strcmp(opt, "-o") != 0 &&
            strcmp(opt, "--esn0") != 0)
            return sim_cli_unknown_option("export", opt), -1;
        if (!(v = sim_cli_value(argc, argv, &i))) return -1;
        if (strcmp(opt, "--e2e-model") == 0) o->model = v;
        else if (strcmp(opt, "-o") == 0) {
            o->output = v;
            if (sim_cli_check_writable("-o", v) != 0) return -1;
        } else {
            o->esn0_given = true;
            if (sim_cli_double(opt, v, &o->esn0) != 0) return -1;
        }
    }
    if (!o->model) return sim_cli_fail("export: --e2e-model is required"), -1;
    return 0;
}

/* The mutual information line of a constellation of M points beside Gray M-QAM's (M a power
 * of 4 from 4 to 256) or M-PSK's otherwise. */
static int write_bmi(sim_table *t, const sim_e2e *e, double esn0)
{
    unsigned k = sim_e2e_k(e);
    ch_mod_kind ref = k == 1 ? CH_MOD_BPSK : k == 2 ? CH_MOD_QPSK : k == 3 ? CH_MOD_8PSK
                    : k == 4 ? CH_MOD_16QAM : k == 6 ? CH_MOD_64QAM : k == 8 ? CH_MOD_256QAM
                                                                     : CH_MOD_CUSTOM;
    double learned, own, gray = 0;
    const float *book = sim_e2e_codebook(e);
    float complex points[1u << SIM_E2E_MAX_K];
    for (unsigned i = 0; i < 1u << k; i++) points[i] = book[2 * i] + book[2 * i + 1] * I;
    ch_modem *mine = ch_modem_from_points(1u << k, points, "learned");
    ch_modem *m = ref == CH_MOD_CUSTOM ? NULL : ch_modem_create(ref);
    int status = mine && sim_bmi(e, NULL, esn0, 1u << 20, 1, &learned) == SIM_OK &&
                         sim_bmi(NULL, mine, esn0, 1u << 20, 1, &own) == SIM_OK &&
                         (!m || sim_bmi(NULL, m, esn0, 1u << 20, 1, &gray) == SIM_OK)
                     ? 0
                     : -1;
    if (status == 0)
        sim_table_meta(t, "bitwise mutual information", "at Es/N0 = %g dB, 2^20 symbols: "
                       "%.5f bits a symbol with its learned demapper over %s (its training "
                       "channel, with CSI); over awgn, %.5f with exact LLRs of its points and "
                       "labels, Gray %s with exact LLRs %.5f", esn0, learned,
                       ch_chan_name(sim_e2e_channel(e)), own,
                       m ? ch_mod_name(ref) : "(none of this order)", gray);
    ch_modem_destroy(mine);
    ch_modem_destroy(m);
    return status;
}

/* The rows: message, its bits, its reals. */
static void write_rows(FILE *out, const sim_e2e *e)
{
    unsigned n = sim_e2e_n(e), k = sim_e2e_k(e);
    bool points = sim_e2e_get_mode(e) == SIM_E2E_BITS;
    fputs("message\tbits", out);
    for (unsigned j = 0; j < n; j++)
        points ? fputs(j ? "\tim" : "\tre", out) : fprintf(out, "\tx%u", j);
    fputc('\n', out);
    const float *book = sim_e2e_codebook(e);
    for (unsigned msg = 0; msg < 1u << k; msg++) {
        fprintf(out, "%u\t", msg);
        for (unsigned b = 0; b < k; b++) fputc('0' + (msg >> (k - 1 - b) & 1), out);
        for (unsigned j = 0; j < n; j++) fprintf(out, "\t%.9g", book[msg * n + j]);
        fputc('\n', out);
    }
}

int sim_cmd_export(int argc, char **argv)
{
    if (sim_cli_wants_help(argc, argv)) return export_usage(), 0;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--ofdm") == 0) return sim_cmd_export_ofdm(argc, argv);
    export_options o;
    if (parse_options(&o, argc, argv) != 0) return SIM_EXIT_USAGE;
    sim_e2e *e = sim_e2e_load(o.model);
    if (!e) return sim_cli_fail("%s", sim_last_error());
    double lo, hi;
    const char *range = sim_e2e_meta(e, "ebn0_db");
    if (!o.esn0_given && range && sscanf(range, "%lf:%lf", &lo, &hi) == 2)
        o.esn0 = (lo + hi) / 2 + 10 * log10(sim_e2e_k(e)); /* Es = K Eb for one symbol */
    sim_table *t = sim_table_open(o.output);
    if (!t) {
        sim_e2e_destroy(e);
        return sim_cli_fail("%s", sim_last_error());
    }
    sim_table_meta_common(t, argc, argv);
    sim_table_meta(t, "e2e", "%s (N=%u reals, K=%u bits) over %s, trained at Eb/N0 %s dB",
                   sim_e2e_get_mode(e) == SIM_E2E_BITS ? "constellation" : "block",
                   sim_e2e_n(e), sim_e2e_k(e), ch_chan_name(sim_e2e_channel(e)),
                   range ? range : "?");
    sim_table_meta(t, "energy", "1/2 per real on average over the messages");
    int status = 0;
    if (sim_e2e_get_mode(e) == SIM_E2E_BITS) status = write_bmi(t, e, o.esn0);
    if (status == 0) write_rows(sim_table_stream(t), e);
    sim_e2e_destroy(e);
    if (status != 0) {
        sim_table_abort(t);
        return sim_cli_fail("export: %s", sim_last_error()), 1;
    }
    if (sim_table_commit(t) != SIM_OK) return sim_cli_fail("%s", sim_last_error()), 1;
    return 0;
}
