/* bersim theory: exact BER and SER over an Eb/N0 grid, in the layout of bersim sim's tables. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "link.h"
#include "sim_error.h"
#include "table.h"
#include "theory.h"

#define MAX_POINTS 10000

static void theory_usage(void)
{
    puts("usage: bersim theory --mod M --channel C --ebn0 A:STEP:B [options] [-o FILE]\n\n"
         "Exact uncoded BER and SER with coherent detection and perfect CSI (Gray labels).\n"
         "Coherence and Doppler do not change these averages and are accepted for symmetry.\n"
         "With --code (BPSK or QPSK over AWGN): the exact block error rate of the hard decoder\n"
         "(bler, --decoder hard) and the union bound of soft ML (bler_ub, n <= 64, k <= 24).\n");
    puts("  --ebn0 A:STEP:B   Eb/N0 grid in dB (or A:B with step 1, or one value A)\n"
         "  --esn0 A:STEP:B   the grid in Es/N0 instead");
    sim_link_parser p;
    sim_link_parser_init(&p, SIM_LINK_OPT_CODE | SIM_LINK_OPT_DECODER | SIM_LINK_OPT_OFDM);
    sim_link_parser_help(&p);
    puts("  (OFDM: --est perfect, or ls with --pilots N: each subcarrier a flat Rayleigh channel)");
    puts("  -o FILE           output table (default: standard output)");
}

typedef struct {
    sim_link_parser parser;
    sim_link link;
    double ebn0[MAX_POINTS]; /* or Es/N0 with --esn0 (esn0_given) */
    size_t npoints;
    bool esn0_given;
    const char *output;
} theory_options;

/* Point i's Eb/N0 for k bits a symbol at information rate `rate` (Es/N0 = Eb/N0 + 10 log10(k
 * rate)). */
static double ebn0_at(const theory_options *o, size_t i, unsigned k, double rate)
{
    return o->esn0_given ? o->ebn0[i] - 10 * log10(k * rate) : o->ebn0[i];
}

/* Coded theory: BPSK (or Gray QPSK, two BPSK axes) over AWGN, a classical decoder. */
static int check_code_theory(const sim_link *link)
{
    if ((link->mod != CH_MOD_BPSK && link->mod != CH_MOD_QPSK) ||
        link->fading.kind != CH_CHAN_AWGN)
        return sim_cli_fail("theory: --code: the block error rates here are for BPSK or QPSK "
                            "over AWGN"), -1;
    if (link->code.decoder == SIM_DEC_NN)
        return sim_cli_fail("theory: --decoder nn has no theory; simulate it"), -1;
    ch_code *code = ch_code_create(link->code.name, link->code.design_ebn0_db);
    if (!code) return sim_cli_fail("%s", ch_last_error()), -1;
    bool known = link->code.decoder == SIM_DEC_HARD ||
                 (ch_code_n(code) <= 64 && ch_code_k(code) <= 24);
    ch_code_destroy(code);
    if (!known)
        return sim_cli_fail("theory: %s: no weight distribution for a union bound of ML (k > 24);"
                            " only --decoder hard has an exact BLER", link->code.name), -1;
    return 0;
}

/* OFDM has a closed form where every subcarrier is a flat Rayleigh channel: a prefix that holds
 * the channel, no clipping, no offset; with perfect CSI, or LS from a full pilot symbol over taps
 * static for the frame. */
static int check_ofdm_theory(const sim_link *link)
{
    const sim_ofdm *o = &link->ofdm;
    ch_profile p;
    if (ch_profile_make(o->profile, o->sample_rate, &p) != CH_OK)
        return sim_cli_fail("theory: %s", ch_last_error()), -1;
    if (link->code.name) return sim_cli_fail("theory: no OFDM theory for coded links"), -1;
    if (o->cp < ch_profile_spread(&p) || o->clip > 0 || o->cfo != 0)
        return sim_cli_fail("theory: OFDM theory needs a prefix that holds the channel (--cp "
                            ">= %u), no --clip and no --cfo", ch_profile_spread(&p)), -1;
    bool ls_full = o->est == CH_EST_LS && o->pilots == o->n && o->doppler == 0;
    if (o->est != CH_EST_PERFECT && !ls_full)
        return sim_cli_fail("theory: OFDM theory is for --est perfect, or ls with a full pilot "
                            "symbol (--pilots N) and no --doppler"), -1;
    double ber; /* a modulation without the LS closed form fails here, before any row */
    if (ls_full && sim_theory_ls_pilot(link->mod, 10.0, &ber) != SIM_OK)
        return sim_cli_fail("theory: %s", sim_last_error()), -1;
    return 0;
}

static int parse_options(theory_options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    /* --constellation and --csi are taken, to be refused by name below */
    sim_link_parser_init(&o->parser, SIM_LINK_OPT_CONSTELLATION | SIM_LINK_OPT_CSI |
                                         SIM_LINK_OPT_CODE | SIM_LINK_OPT_DECODER |
                                         SIM_LINK_OPT_OFDM);
    sim_cli_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        if (!sim_cli_first_time(&seen, argv[i])) return -1;
        int status = sim_link_parse(&o->parser, argc, argv, &i);
        if (status < 0) return -1;
        if (status == 0) continue;
        const char *opt = argv[i], *v;
        if (strcmp(opt, "--ebn0") != 0 && strcmp(opt, "--esn0") != 0 && strcmp(opt, "-o") != 0)
            return sim_cli_unknown_option("theory", opt), -1;
        if (strcmp(opt, "-o") != 0 && o->npoints)
            return sim_cli_fail("theory: one of --ebn0 and --esn0"), -1;
        o->esn0_given |= strcmp(opt, "--esn0") == 0;
        if (!(v = sim_cli_value(argc, argv, &i))) return -1;
        if (strcmp(opt, "-o") == 0) {
            o->output = v;
            if (sim_cli_check_writable("-o", v) != 0) return -1;
        } else if (sim_cli_grid(opt, v, MAX_POINTS, o->ebn0, &o->npoints) != 0)
            return -1;
    }
    if (o->parser.link.constellation)
        return sim_cli_fail("theory: no exact theory for a custom --constellation"), -1;
    if (o->parser.pilots)
        return sim_cli_fail("theory: --csi pilot: the theory here is for perfect CSI"), -1;
    if (o->npoints == 0) return sim_cli_fail("theory: --ebn0 is required"), -1;
    if (sim_link_parser_finish(&o->parser, &o->link) != 0) return -1;
    if (o->link.ofdm.n) return check_ofdm_theory(&o->link);
    return o->link.code.name ? check_code_theory(&o->link) : 0;
}

/* Coded rows: the exact BLER of the hard decoder (when it is the decoder asked for) and the
 * union bound of soft ML (when the weight distribution is known). */
static int write_code_rows(FILE *out, const theory_options *o, const ch_code *code)
{
    bool hard = o->link.code.decoder == SIM_DEC_HARD;
    bool ub = ch_code_n(code) <= 64 && ch_code_k(code) <= 24;
    fprintf(out, "ebn0_db\tesn0_db%s%s\n", hard ? "\tbler" : "", ub ? "\tbler_ub" : "");
    double rate = ch_code_rate(code);
    unsigned k = o->link.mod == CH_MOD_QPSK ? 2 : 1;
    for (size_t i = 0; i < o->npoints; i++) {
        double bler, bound, eb = ebn0_at(o, i, k, rate);
        fprintf(out, "%.10g\t%.10g", eb, ch_esn0_from_ebn0(eb, k, rate));
        if (hard && sim_theory_code_hard(code, eb, &bler) != SIM_OK)
            return sim_cli_fail("theory: %s", sim_last_error()), -1;
        if (hard) fprintf(out, "\t%.12e", bler);
        if (ub && sim_theory_code_union(code, eb, &bound) != SIM_OK)
            return sim_cli_fail("theory: %s", sim_last_error()), -1;
        if (ub) fprintf(out, "\t%.12e", bound);
        fputc('\n', out);
    }
    return 0;
}

/* OFDM: each data subcarrier a flat Rayleigh channel at Es/N0 = Eb/N0 k r; with a full LS pilot
 * symbol, coherent detection with a Gaussian channel estimate. */
static int write_ofdm_rows(FILE *out, const theory_options *o)
{
    ch_modem *modem = ch_modem_create(o->link.mod);
    if (!modem) return sim_cli_fail("%s", ch_last_error()), -1;
    unsigned k = ch_modem_bits_per_symbol(modem);
    ch_modem_destroy(modem);
    double rate = sim_link_rate(&o->link);
    bool ls = o->link.ofdm.est == CH_EST_LS;
    const ch_fading_config flat = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1};
    fputs(ls ? "ebn0_db\tesn0_db\tber\n" : "ebn0_db\tesn0_db\tber\tser\n", out);
    for (size_t i = 0; i < o->npoints; i++) {
        double ber, ser, eb = ebn0_at(o, i, k, rate), esn0 = ch_esn0_from_ebn0(eb, k, rate);
        int status = ls ? sim_theory_ls_pilot(o->link.mod, esn0, &ber)
                        : sim_theory_point(o->link.mod, &flat, esn0 - 10 * log10(k), &ber, &ser);
        if (status != 0) return sim_cli_fail("theory: %s", sim_last_error()), -1;
        fprintf(out, "%.10g\t%.10g\t%.12e", eb, esn0, ber);
        if (!ls) fprintf(out, "\t%.12e", ser);
        fputc('\n', out);
    }
    return 0;
}

static int write_rows(FILE *out, const theory_options *o)
{
    if (o->link.ofdm.n) return write_ofdm_rows(out, o);
    if (o->link.code.name) {
        ch_code *code = ch_code_create(o->link.code.name, o->link.code.design_ebn0_db);
        if (!code) return sim_cli_fail("%s", ch_last_error()), -1;
        int status = write_code_rows(out, o, code);
        ch_code_destroy(code);
        return status;
    }
    ch_modem *modem = ch_modem_create(o->link.mod);
    if (!modem) return sim_cli_fail("%s", ch_last_error()), -1;
    unsigned k = ch_modem_bits_per_symbol(modem);
    ch_modem_destroy(modem);
    fputs("ebn0_db\tesn0_db\tber\tser\n", out);
    for (size_t i = 0; i < o->npoints; i++) {
        double ber, ser;
        double eb = ebn0_at(o, i, k, 1.0);
        if (sim_theory_point(o->link.mod, &o->link.fading, eb, &ber, &ser) != 0)
            return sim_cli_fail("theory: %s", sim_last_error()), -1;
        fprintf(out, "%.10g\t%.10g\t%.12e\t%.12e\n", eb, ch_esn0_from_ebn0(eb, k, 1.0), ber,
                ser);
    }
    return 0;
}

int sim_cmd_theory(int argc, char **argv)
{
    if (sim_cli_wants_help(argc, argv)) return theory_usage(), 0;
    static theory_options o;
    if (parse_options(&o, argc, argv) != 0) return SIM_EXIT_USAGE;
    sim_table *t = sim_table_open(o.output);
    if (!t) return sim_cli_fail("%s", sim_last_error());
    char channel[160];
    if (o.link.ofdm.n)
        sim_link_ofdm_channel_text(&o.link, channel, sizeof channel);
    else
        sim_link_channel_text(&o.link.fading, channel, sizeof channel);
    sim_table_meta_common(t, argc, argv);
    sim_table_meta(t, "modulation", "%s", ch_mod_name(o.link.mod));
    sim_table_meta(t, "channel", "%s", channel);
    bool ls = o.link.ofdm.n && o.link.ofdm.est == CH_EST_LS;
    sim_table_meta(t, "receiver", ls ? "theory (coherent with the LS estimate of a full pilot "
                                       "symbol, Gray labels)"
                                     : "theory (coherent, perfect CSI, Gray labels)");
    if (o.link.ofdm.n)
        sim_table_meta(t, "ofdm", "%u subcarriers, prefix %u, %u pilots: each a flat Rayleigh "
                       "channel; esn0_db per data subcarrier at the FFT output; ebn0_db %s",
                       o.link.ofdm.n, o.link.ofdm.cp, o.link.ofdm.pilots,
                       o.link.ofdm.count_overhead ? "counts the energy of pilots and prefix"
                                                  : "does not count pilots and prefix");
    if (o.link.code.name) {
        char dec[32];
        sim_table_meta(t, "code", "%s", o.link.code.name);
        sim_table_meta(t, "decoder", "%s; bler: exact for the hard decoder, bler_ub: union bound "
                       "of soft ML", sim_dec_name(&o.link.code, dec, sizeof dec));
    }
    if (write_rows(sim_table_stream(t), &o) != 0) {
        sim_table_abort(t);
        return SIM_EXIT_USAGE;
    }
    if (sim_table_commit(t) == SIM_OK) return 0;
    return sim_cli_fail("%s", sim_last_error()), 1;
}
