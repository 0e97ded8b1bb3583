/* The link on the command line: its options, their help, and the checks that name the options
 * at fault. Part of the command line, so it prints its errors (sim_cli_fail). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "link.h"
#include "sim_error.h"

void sim_link_parser_init(sim_link_parser *p, unsigned accepts)
{
    *p = (sim_link_parser){.accepts = accepts,
                           .link = {.fading = {.kind = CH_CHAN_AWGN, .coherence = 1},
                                    .rx = SIM_RX_MAXLOG,
                                    .code = {.design_ebn0_db = CH_CODE_DESIGN_EBN0_DB},
                                    .ofdm = {.symbols = 1, .profile = CH_PROFILE_EXP,
                                             .sample_rate = CH_MULTIPATH_DEFAULT_FS,
                                             .est = CH_EST_LS}}};
}

void sim_link_parser_help(const sim_link_parser *p)
{
    puts("  --mod M           modulation: bpsk, qpsk, 8psk, 16qam, 64qam, 256qam");
    if (p->accepts & SIM_LINK_OPT_CONSTELLATION)
        puts("  --constellation F a custom constellation file instead of --mod (lines: label re "
             "im)");
    puts("  --channel C       awgn, rayleigh, rician (flat fading, E|h|^2 = 1)\n"
         "  --k-factor K      Rician K factor, linear (rician only, required there)\n"
         "  --coherence N     symbols per block fade (default 1: fast fading)\n"
         "  --doppler F       normalised Doppler f_D T_s in (0, 0.5]: Jakes correlated fading");
    if (p->accepts & SIM_LINK_OPT_CSI)
        puts("  --csi K           perfect (default): receivers know h; pilot: a known pilot leads\n"
             "                    each block of --coherence N symbols and no receiver is given h\n"
             "                    (with --doppler, --coherence N is the pilot spacing)\n"
             "  --pilot-spacing N one pilot every N symbols: --csi pilot over block fading of\n"
             "                    N symbols, or the pilot spacing under --doppler");
    bool model = p->accepts & SIM_LINK_OPT_MODEL;
    if (p->accepts & SIM_LINK_OPT_RX)
        printf("  --rx R            receiver: hard, maxlog (default), exact%s\n",
               model ? ", nn (with --model)" : "");
    if (p->accepts & SIM_LINK_OPT_CODE)
        puts("  --code C          hamming74, hamming1511, golay24, polar16_8, polar:N,K (N <= 1024,\n"
             "                    frozen set by Bhattacharyya at --design-snr, default 2 dB Eb/N0)");
    if (p->accepts & SIM_LINK_OPT_DECODER)
        printf("  --decoder D       hard (syndrome), ml, map (k <= 12), sc, scl:L (polar)%s;\n"
               "                    default ml for k <= 12 and n <= 64, else sc for polar\n",
               model ? ", nn (with\n                    --model)" : "");
    if (model) puts("  --model FILE      the learned receiver's or decoder's model (bersim train)");
    if (p->accepts & SIM_LINK_OPT_OFDM)
        puts("  --ofdm N          OFDM with N subcarriers (power of two, 8..4096) over multipath\n"
             "                    instead of --channel; then:\n"
             "  --cp L            cyclic prefix samples, 0 <= L < N (default N/4)\n"
             "  --profile P       exp (8 taps, e^-t), epa, eva, etu (3GPP; default exp)\n"
             "  --sample-rate HZ  sample rate of the 3GPP profiles (default 3e6: ETU spans 16)\n"
             "  --pilots P        pilots on every N/P-th subcarrier of the pilot symbol (default N)\n"
             "  --est E           perfect, ls (default), lmmse channel estimation\n"
             "  --ofdm-symbols S  data OFDM symbols after each pilot symbol (default 1; 1 to 1023,\n"
             "                    and (S + 1) N <= 2^20)\n"
             "  --doppler F       with --ofdm: f_D T per OFDM symbol, Jakes taps moving from symbol\n"
             "                    to symbol, constant within one (no Doppler ICI); default static\n"
             "  --clip R          clip the time signal at R x its RMS (default: no clipping)\n"
             "  --cfo E           carrier frequency offset, subcarrier spacings (default 0)");
    if (p->accepts & SIM_LINK_OPT_DECLIP)
        puts("  --declip K        with --rx nn and --clip: passes of clipping reconstruction from\n"
             "                    the learned receiver's decisions; each frame keeps the decisions\n"
             "                    (the network's first or a pass's) that explain it best, by\n"
             "                    residual (default 2; 0: none)");
    if (p->accepts & SIM_LINK_OPT_OFDM)
        puts(
             "  --count-overhead  Eb/N0 counts the energy of pilots and prefix");
    if (p->accepts & SIM_LINK_OPT_E2E)
        puts("  --e2e-model FILE  an end-to-end pair (train --e2e, --e2e-constellation) instead of\n"
             "                    --mod, --code and --rx; --channel from the model unless given");
}

static int parse_mod(sim_link_parser *p, const char *v)
{
    p->mod_given = true;
    if (ch_mod_parse(v, &p->link.mod) == 0 && p->link.mod != CH_MOD_CUSTOM) return 0;
    static const char *const mods[] = {"bpsk", "qpsk", "8psk", "16qam", "64qam", "256qam", NULL};
    return sim_cli_unknown_name("--mod", "modulation", v, mods);
}

static int parse_fading(sim_link_parser *p, const char *opt, const char *v)
{
    ch_fading_config *f = &p->link.fading;
    uint64_t n;
    if (strcmp(opt, "--channel") == 0) {
        p->channel_given = true;
        if (ch_chan_parse(v, &f->kind) == 0) return 0;
        static const char *const chans[] = {"awgn", "rayleigh", "rician", NULL};
        return sim_cli_unknown_name("--channel", "channel", v, chans);
    }
    if (strcmp(opt, "--k-factor") == 0) {
        p->k_given = true;
        if (sim_cli_double(opt, v, &f->k_factor) != 0) return -1;
        if (f->k_factor >= 0) return 0;
        return sim_cli_fail("--k-factor: '%s' must be 0 or more", v), -1;
    }
    if (strcmp(opt, "--pilot-spacing") == 0) {
        if (sim_cli_u64(opt, v, 2, 1u << 20, &n) != 0) return -1;
        p->pilot_spacing = (unsigned)n, p->pilots = true;
        return 0;
    }
    if (strcmp(opt, "--coherence") == 0) {
        p->coherence_given = true;
        if (sim_cli_u64(opt, v, 1, 1u << 20, &n) != 0) return -1;
        f->coherence = (unsigned)n;
        return 0;
    }
    p->doppler_given = true;
    if (sim_cli_double(opt, v, &f->doppler) != 0) return -1;
    if (f->doppler > 0 && f->doppler <= 0.5) return 0;
    return sim_cli_fail("--doppler: '%s' must be in (0, 0.5]", v), -1;
}

/* The OFDM options; each needs --ofdm. */
static int parse_ofdm(sim_link_parser *p, const char *opt, const char *v)
{
    sim_ofdm *o = &p->link.ofdm;
    uint64_t n;
    if (strcmp(opt, "--ofdm") != 0 && !p->ofdm_option) p->ofdm_option = opt;
    if (strcmp(opt, "--profile") == 0) {
        static const char *const profiles[] = {"exp", "epa", "eva", "etu", NULL};
        if (ch_profile_parse(v, &o->profile) == CH_OK) return 0;
        return sim_cli_unknown_name("--profile", "profile", v, profiles);
    }
    if (strcmp(opt, "--est") == 0) {
        static const char *const ests[] = {"perfect", "ls", "lmmse", NULL};
        p->est_given = true;
        if (ch_est_parse(v, &o->est) == CH_OK) return 0;
        return sim_cli_unknown_name("--est", "estimator", v, ests);
    }
    if (strcmp(opt, "--sample-rate") == 0) {
        if (sim_cli_double(opt, v, &o->sample_rate) != 0) return -1;
        if (o->sample_rate > 0 && o->sample_rate < 1e12) return 0;
        return sim_cli_fail("--sample-rate: '%s' must be a positive rate in Hz", v), -1;
    }
    if (strcmp(opt, "--clip") == 0) {
        if (sim_cli_double(opt, v, &o->clip) != 0) return -1;
        if (o->clip > 0 && o->clip < 1e6) return 0;
        return sim_cli_fail("--clip: '%s' must be a positive ratio to the RMS", v), -1;
    }
    if (strcmp(opt, "--cfo") == 0) {
        if (sim_cli_double(opt, v, &o->cfo) != 0) return -1;
        if (fabs(o->cfo) <= 1e6) return 0;
        return sim_cli_fail("--cfo: '%s' is out of range", v), -1;
    }
    if (strcmp(opt, "--ofdm") == 0) {
        if (sim_cli_u64(opt, v, CH_OFDM_MIN_N, CH_OFDM_MAX_N, &n) != 0) return -1;
        if (n & (n - 1)) return sim_cli_fail("--ofdm: %s is not a power of two", v), -1;
        return o->n = (unsigned)n, 0;
    }
    if (strcmp(opt, "--cp") == 0) {
        if (sim_cli_u64(opt, v, 0, CH_OFDM_MAX_N, &n) != 0) return -1;
        return p->cp_given = true, o->cp = (unsigned)n, 0;
    }
    if (strcmp(opt, "--pilots") == 0) {
        if (sim_cli_u64(opt, v, 1, CH_OFDM_MAX_N, &n) != 0) return -1;
        return o->pilots = (unsigned)n, 0;
    }
    if (strcmp(opt, "--declip") == 0) {
        if (sim_cli_u64(opt, v, 0, SIM_DECLIP_MAX_PASSES, &n) != 0) return -1;
        return p->declip_given = true, o->declip = (unsigned)n, 0;
    }
    if (sim_cli_u64(opt, v, 1, 1023, &n) != 0) return -1; /* --ofdm-symbols: 1024 with the pilot */
    return o->symbols = (unsigned)n, 0;
}

static bool is_ofdm_option(const char *opt)
{
    static const char *const names[] = {"--ofdm", "--cp", "--profile", "--sample-rate",
                                        "--pilots", "--est", "--ofdm-symbols", "--clip", "--cfo",
                                        "--declip"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(opt, names[i]) == 0) return true;
    return false;
}

static int parse_value(sim_link_parser *p, const char *opt, const char *v)
{
    if (is_ofdm_option(opt)) return parse_ofdm(p, opt, v);
    if (strcmp(opt, "--mod") == 0) return parse_mod(p, v);
    if (strcmp(opt, "--constellation") == 0) return p->link.constellation = v, 0;
    if (strcmp(opt, "--csi") == 0) {
        static const char *const csis[] = {"perfect", "pilot", NULL};
        if (strcasecmp(v, "perfect") == 0 || strcasecmp(v, "pilot") == 0)
            return p->pilots = strcasecmp(v, "pilot") == 0, p->csi_perfect = !p->pilots, 0;
        return sim_cli_unknown_name("--csi", "kind of CSI", v, csis);
    }
    if (strcmp(opt, "--rx") == 0) {
        p->rx_given = true;
        if (sim_rx_parse(v, &p->link.rx) == 0) return 0;
        static const char *const rxs[] = {"hard", "maxlog", "exact", "nn", NULL};
        return sim_cli_unknown_name("--rx", "receiver", v, rxs);
    }
    if (strcmp(opt, "--model") == 0) return p->link.model = v, 0;
    if (strcmp(opt, "--code") == 0) return p->link.code.name = v, 0;
    if (strcmp(opt, "--e2e-model") == 0) return p->link.e2e_model = v, 0;
    if (strcmp(opt, "--design-snr") == 0) {
        p->design_given = true;
        return sim_cli_double(opt, v, &p->link.code.design_ebn0_db);
    }
    if (strcmp(opt, "--decoder") == 0) {
        p->decoder_given = true;
        if (strcasecmp(v, "nn") == 0) return p->link.code.decoder = SIM_DEC_NN, 0;
        ch_decoder_kind kind;
        if (ch_decoder_parse(v, &kind, &p->link.code.list_size) != CH_OK)
            return sim_cli_fail("--decoder: %s", ch_last_error()), -1;
        p->link.code.decoder = (sim_dec_kind)kind;
        return 0;
    }
    return parse_fading(p, opt, v);
}

int sim_link_parse(sim_link_parser *p, int argc, char **argv, int *i)
{
    static const struct {
        const char *name;
        unsigned needs;
    } options[] = {{"--mod", 0}, {"--channel", 0}, {"--k-factor", 0}, {"--coherence", 0},
                   {"--doppler", 0}, {"--constellation", SIM_LINK_OPT_CONSTELLATION},
                   {"--csi", SIM_LINK_OPT_CSI},
                   {"--pilot-spacing", SIM_LINK_OPT_CSI}, {"--rx", SIM_LINK_OPT_RX},
                   {"--model", 0}, {"--code", SIM_LINK_OPT_CODE},
                   {"--design-snr", SIM_LINK_OPT_CODE}, {"--decoder", SIM_LINK_OPT_DECODER},
                   {"--e2e-model", SIM_LINK_OPT_E2E}, {"--ofdm", SIM_LINK_OPT_OFDM},
                   {"--cp", SIM_LINK_OPT_OFDM}, {"--profile", SIM_LINK_OPT_OFDM},
                   {"--sample-rate", SIM_LINK_OPT_OFDM}, {"--pilots", SIM_LINK_OPT_OFDM},
                   {"--est", SIM_LINK_OPT_OFDM}, {"--ofdm-symbols", SIM_LINK_OPT_OFDM},
                   {"--clip", SIM_LINK_OPT_OFDM}, {"--cfo", SIM_LINK_OPT_OFDM},
                   {"--declip", SIM_LINK_OPT_DECLIP}};
    const char *opt = argv[*i];
    if (strcmp(opt, "--count-overhead") == 0 && (p->accepts & SIM_LINK_OPT_OFDM)) {
        if (!p->ofdm_option) p->ofdm_option = opt;
        return p->link.ofdm.count_overhead = true, 0;
    }
    for (size_t j = 0; j < sizeof options / sizeof options[0]; j++) {
        if (strcmp(opt, options[j].name) != 0) continue;
        /* --model belongs to a learned receiver or a learned decoder */
        unsigned needs = options[j].needs;
        bool taken = strcmp(opt, "--model") == 0
                         ? (p->accepts & (SIM_LINK_OPT_RX | SIM_LINK_OPT_DECODER)) != 0
                         : (needs & p->accepts) == needs;
        if (!taken) return 1;
        const char *v = sim_cli_value(argc, argv, i);
        return v ? parse_value(p, opt, v) : -1;
    }
    return 1;
}

/* Code, decoder and model: a decoder or design SNR needs a code, one learned stage a link. */
static int check_code_options(const sim_link_parser *p)
{
    const sim_link *l = &p->link;
    bool dec_nn = l->code.name && l->code.decoder == SIM_DEC_NN;
    if (p->decoder_given && !l->code.name) return sim_cli_fail("--decoder needs --code"), -1;
    if (p->design_given && !(l->code.name && strncmp(l->code.name, "polar:", 6) == 0))
        return sim_cli_fail("--design-snr applies to --code polar:N,K only"), -1;
    if (l->rx == SIM_RX_NN && dec_nn)
        return sim_cli_fail("--rx nn and --decoder nn exclude each other (one --model)"), -1;
    if ((l->rx == SIM_RX_NN || dec_nn) && !l->model)
        return sim_cli_fail("--%s nn needs --model", dec_nn ? "decoder" : "rx"), -1;
    if (l->rx != SIM_RX_NN && !dec_nn && l->model)
        return sim_cli_fail("--model goes with --rx nn or --decoder nn"), -1;
    return 0;
}

/* The default decoder of a code: block ML where the codebook is small, SC for longer polar
 * codes, syndrome decoding otherwise. */
static void default_decoder(sim_link_parser *p)
{
    unsigned n, k;
    sim_code_size(&p->link.code, &n, &k);
    bool polar = strncmp(p->link.code.name, "polar", 5) == 0;
    bool codebook = k <= CH_CODE_CODEBOOK_MAX_K && n <= 64;
    p->link.code.decoder = codebook ? SIM_DEC_ML : polar ? SIM_DEC_SC : SIM_DEC_HARD;
}

/* An end-to-end pair: its own modulation, code and receiver. */
static int check_e2e_options(const sim_link_parser *p)
{
    const sim_link *l = &p->link;
    if (p->mod_given || l->constellation || l->code.name || p->rx_given || l->model || p->pilots)
        return sim_cli_fail("--e2e-model is its own modulation, code and receiver: no --mod, "
                            "--constellation, --code, --rx, --model or --csi pilot with it"), -1;
    if (p->k_given && l->fading.kind != CH_CHAN_RICIAN)
        return sim_cli_fail("--k-factor applies to --channel rician only"), -1;
    if (l->fading.kind == CH_CHAN_RICIAN && !p->k_given)
        return sim_cli_fail("--channel rician needs --k-factor K"), -1;
    if (p->doppler_given && p->coherence_given)
        return sim_cli_fail("--doppler and --coherence exclude each other"), -1;
    return 0;
}

/* OFDM: its channel is the profile, its pilots its own; values that fit N. */
static int check_ofdm_options(sim_link_parser *p)
{
    sim_ofdm *o = &p->link.ofdm;
    if (!o->n) {
        if (p->ofdm_option) return sim_cli_fail("%s needs --ofdm N", p->ofdm_option), -1;
        return 0;
    }
    if (p->channel_given || p->k_given || p->coherence_given || p->pilots || p->link.e2e_model)
        return sim_cli_fail("--ofdm takes its channel from --profile and its pilots from "
                            "--pilots: no --channel, --k-factor, --coherence, --csi or "
                            "--e2e-model with it"), -1;
    if (p->est_given && p->link.rx == SIM_RX_NN)
        return sim_cli_fail("--est picks the classical receivers' channel estimator; --rx nn "
                            "estimates from the pilots itself: no --est with it"), -1;
    bool learned_clipped = p->link.rx == SIM_RX_NN && o->clip > 0;
    if (p->declip_given && !learned_clipped)
        return sim_cli_fail("--declip goes with --rx nn and --clip"), -1;
    if (!p->declip_given) o->declip = learned_clipped ? SIM_DECLIP_PASSES : 0;
    if (!p->cp_given) o->cp = o->n / 4;
    if (!o->pilots) o->pilots = o->n;
    if (o->cp >= o->n)
        return sim_cli_fail("--cp: a prefix of %u samples must be shorter than the %u-sample "
                            "symbol", o->cp, o->n), -1;
    if (o->pilots > o->n || o->n % o->pilots)
        return sim_cli_fail("--pilots: %u pilots do not divide %u subcarriers evenly", o->pilots,
                            o->n), -1;
    if ((size_t)(o->symbols + 1) * o->n > CH_PILOTS_MAX_FRAME)
        return sim_cli_fail("--ofdm-symbols: %u data symbols and the pilot symbol of %u "
                            "subcarriers exceed a frame's %u positions", o->symbols, o->n,
                            CH_PILOTS_MAX_FRAME), -1;
    ch_profile prof;
    if (ch_profile_make(o->profile, o->sample_rate, &prof) != CH_OK)
        return sim_cli_fail("--profile: %s", ch_last_error()), -1;
    if (ch_profile_spread(&prof) >= o->n)
        return sim_cli_fail("--profile %s spans %u samples, longer than the %u-sample symbol of "
                            "--ofdm %u", ch_profile_name(o->profile), ch_profile_spread(&prof) + 1,
                            o->n, o->n), -1;
    o->doppler = p->link.fading.doppler;
    p->link.fading = (ch_fading_config){.kind = CH_CHAN_RAYLEIGH, .coherence = 1};
    p->channel_given = true;
    p->doppler_given = false;
    return 0;
}

/* --pilot-spacing N names the pilot spacing on its own: over block fading a pilot leads each fade
 * (the coherence is N; a --coherence that differs is refused), under Doppler it is what
 * --coherence N meant there (that spelling still works). */
static int pilot_spacing(sim_link_parser *p)
{
    ch_fading_config *f = &p->link.fading;
    if (!p->pilot_spacing) return 0;
    if (p->csi_perfect)
        return sim_cli_fail("--pilot-spacing and --csi perfect exclude each other: pilots mean "
                            "no CSI"), -1;
    if (p->coherence_given && !p->doppler_given && f->coherence != p->pilot_spacing)
        return sim_cli_fail("--pilot-spacing %u and --coherence %u differ: over block fading a "
                            "pilot leads each fade", p->pilot_spacing, f->coherence), -1;
    if (p->coherence_given && p->doppler_given)
        return sim_cli_fail("--pilot-spacing and --coherence both give the pilot spacing under "
                            "--doppler: one of them"), -1;
    f->coherence = p->pilot_spacing;
    return 0;
}

/* The option combinations that make no link, each named. */
static int check_options(sim_link_parser *p)
{
    if (check_ofdm_options(p) != 0) return -1;
    if (p->link.e2e_model) return check_e2e_options(p);
    const ch_fading_config *f = &p->link.fading;
    if (!p->mod_given && !p->link.constellation) return sim_cli_fail("--mod is required"), -1;
    if (p->mod_given && p->link.constellation)
        return sim_cli_fail("--mod and --constellation exclude each other"), -1;
    if (!p->channel_given) return sim_cli_fail("--channel is required"), -1;
    bool faded = f->kind != CH_CHAN_AWGN;
    if (f->kind == CH_CHAN_RICIAN && !p->k_given)
        return sim_cli_fail("--channel rician needs --k-factor K"), -1;
    if (p->k_given && f->kind != CH_CHAN_RICIAN)
        return sim_cli_fail("--k-factor applies to --channel rician only"), -1;
    if (pilot_spacing(p) != 0) return -1;
    if ((p->coherence_given || p->doppler_given) && !faded)
        return sim_cli_fail("--%s applies to fading channels only",
                            p->coherence_given ? "coherence" : "doppler"), -1;
    if (p->pilots && (!faded || f->coherence < 2))
        return sim_cli_fail("--csi pilot needs a fading channel and --coherence N >= 2 (one "
                            "pilot every N symbols)"), -1;
    if (!p->pilots && p->doppler_given && f->coherence > 1)
        return sim_cli_fail("--doppler and --coherence exclude each other (but with --csi "
                            "pilot, where --coherence is the pilot spacing)"), -1;
    return check_code_options(p);
}

int sim_link_parser_finish(sim_link_parser *p, sim_link *link)
{
    if (check_options(p) != 0) return -1;
    if (p->link.code.name && !p->decoder_given) default_decoder(p);
    *link = p->link;
    if (link->constellation) link->mod = CH_MOD_CUSTOM;
    link->pilot_spacing = p->pilots ? link->fading.coherence : 0;
    /* With Doppler the gain moves every symbol; --coherence only spaced the pilots. */
    if (link->fading.doppler > 0) link->fading.coherence = 1;
    if (sim_link_check(link) != SIM_OK) return sim_cli_fail("%s", sim_last_error()), -1;
    return 0;
}
