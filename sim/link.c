#include "link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sim_error.h"

static const char *const rx_names[] = {
    [SIM_RX_HARD] = "hard",
    [SIM_RX_MAXLOG] = "maxlog",
    [SIM_RX_EXACT] = "exact",
    [SIM_RX_NN] = "nn",
};

int sim_rx_parse(const char *name, sim_rx_kind *kind)
{
    for (size_t i = 0; i < sizeof rx_names / sizeof rx_names[0]; i++)
        if (strcmp(name, rx_names[i]) == 0) {
            *kind = (sim_rx_kind)i;
            return 0;
        }
    return -1;
}

const char *sim_rx_name(sim_rx_kind kind)
{
    return rx_names[kind];
}

int sim_link_check(const sim_link *link)
{
    const ch_fading_config *f = &link->fading;
    ch_fading *probe = ch_fading_create(f);
    if (!probe) return sim_error(SIM_EINVAL, "%s", ch_last_error());
    ch_fading_destroy(probe);
    unsigned n = link->pilot_spacing;
    if (n == 1) return sim_error(SIM_EINVAL, "a pilot spacing of 1 leaves no data");
    if (n && f->kind == CH_CHAN_AWGN)
        return sim_error(SIM_EINVAL, "pilots need a fading channel to estimate");
    if (n && (f->doppler > 0 ? f->coherence != 1 : f->coherence != n))
        return sim_error(SIM_EINVAL, "a pilot every %u symbols does not fit fading of coherence "
                         "%u", n, f->coherence);
    if ((link->rx == SIM_RX_NN) != (link->model != NULL))
        return sim_error(SIM_EINVAL, link->model ? "a model goes with the learned receiver only"
                                                 : "the learned receiver needs a model");
    if (link->rx == SIM_RX_NN && link->mod == CH_MOD_CUSTOM)
        return sim_error(SIM_EINVAL, "learned receivers are for the built-in modulations only");
    if (link->mod == CH_MOD_CUSTOM && !link->constellation)
        return sim_error(SIM_EINVAL, "a custom modulation needs its constellation file");
    return SIM_OK;
}

double sim_link_rate(const sim_link *link)
{
    unsigned n = link->pilot_spacing;
    return n ? (double)(n - 1) / n : 1.0;
}

bool sim_link_has_memory(const sim_link *link)
{
    const ch_fading_config *f = &link->fading;
    return f->kind != CH_CHAN_AWGN && (f->coherence > 1 || f->doppler > 0);
}

sim_feat_layout sim_link_feat_layout(const sim_link *link)
{
    if (!link->pilot_spacing) return SIM_FEAT_EQ;
    return link->fading.doppler > 0 ? SIM_FEAT_PILOT_WINDOW : SIM_FEAT_PILOT;
}

void sim_link_channel_text(const ch_fading_config *f, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s", ch_chan_name(f->kind));
    if (f->kind == CH_CHAN_RICIAN && n >= 0 && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, " K=%g", f->k_factor);
    if (f->kind == CH_CHAN_AWGN || n < 0 || (size_t)n >= size) return;
    if (f->doppler > 0)
        snprintf(buf + n, size - (size_t)n, " Jakes fD*Ts=%g", f->doppler);
    else if (f->coherence > 1)
        snprintf(buf + n, size - (size_t)n, " block of %u symbols", f->coherence);
    else
        snprintf(buf + n, size - (size_t)n, " fast");
}

void sim_link_write_meta(const sim_link *link, const char *modulation, const char *rx_name,
                         sim_table *t)
{
    char channel[96];
    sim_link_channel_text(&link->fading, channel, sizeof channel);
    sim_table_meta(t, "modulation", "%s", modulation);
    sim_table_meta(t, "channel", "%s", channel);
    sim_table_meta(t, "receiver", "%s", rx_name);
    if (link->pilot_spacing)
        sim_table_meta(t, "pilots", "one every %u symbols, no CSI; Eb/N0 counts the pilot energy "
                       "(Es/N0 = Eb/N0 k (N-1)/N)", link->pilot_spacing);
}

int sim_link_model_meta(const sim_link *link, nn_meta *meta)
{
    char buf[96];
    int bad = nn_meta_set(meta, "modulation", ch_mod_name(link->mod));
    bad |= nn_meta_set(meta, "channel", ch_chan_name(link->fading.kind));
    sim_link_channel_text(&link->fading, buf, sizeof buf);
    bad |= nn_meta_set(meta, "channel_detail", buf);
    bad |= nn_meta_set(meta, "features", sim_feat_name(sim_link_feat_layout(link)));
    snprintf(buf, sizeof buf, "%u", link->pilot_spacing);
    bad |= nn_meta_set(meta, "pilot_spacing", buf);
    return bad ? sim_error(SIM_ENOMEM, "out of memory") : SIM_OK;
}

/* The value of key in the model's metadata, or "(none)". */
static const char *meta_value(const nn_meta *meta, const char *key)
{
    const char *v = nn_meta_get(meta, key);
    return v ? v : "(none)";
}

int sim_link_check_model(const sim_link *link, const nn_meta *meta, const char *path)
{
    const char *mod = meta_value(meta, "modulation"), *chan = meta_value(meta, "channel");
    const char *feat = meta_value(meta, "features");
    const char *want_mod = ch_mod_name(link->mod), *want_chan = ch_chan_name(link->fading.kind);
    sim_feat_layout layout = sim_link_feat_layout(link);
    unsigned spacing = (unsigned)strtoul(meta_value(meta, "pilot_spacing"), NULL, 10);
    if (strcmp(mod, want_mod) != 0)
        return sim_error(SIM_EMODEL, "model '%s' was trained for modulation %s, not %s", path,
                         mod, want_mod);
    if (strcmp(chan, want_chan) != 0)
        return sim_error(SIM_EMODEL, "model '%s' was trained for channel %s, not %s", path, chan,
                         want_chan);
    if (strcmp(feat, sim_feat_name(layout)) != 0)
        return sim_error(SIM_EMODEL, "model '%s' has input layout '%s', this link needs '%s'",
                         path, feat, sim_feat_name(layout));
    if (layout != SIM_FEAT_EQ && spacing != link->pilot_spacing)
        return sim_error(SIM_EMODEL, "model '%s' was trained with a pilot every %u symbols, not "
                         "%u", path, spacing, link->pilot_spacing);
    return SIM_OK;
}

/* ---- the command line ------------------------------------------------------------------- */

void sim_link_parser_init(sim_link_parser *p, unsigned accepts)
{
    *p = (sim_link_parser){.accepts = accepts,
                           .link = {.fading = {.kind = CH_CHAN_AWGN, .coherence = 1},
                                    .rx = SIM_RX_MAXLOG}};
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
             "                    (with --doppler, --coherence N is the pilot spacing)");
    if (p->accepts & SIM_LINK_OPT_RX)
        puts("  --rx R            receiver: hard, maxlog (default), exact, nn (with --model)\n"
             "  --model FILE      the learned receiver's model (bersim train)");
}

static int parse_mod(sim_link_parser *p, const char *v)
{
    p->mod_given = true;
    if (ch_mod_parse(v, &p->link.mod) == 0 && p->link.mod != CH_MOD_CUSTOM) return 0;
    return sim_cli_fail("--mod: unknown modulation '%s' (bpsk, qpsk, 8psk, 16qam, 64qam, "
                        "256qam)", v), -1;
}

static int parse_fading(sim_link_parser *p, const char *opt, const char *v)
{
    ch_fading_config *f = &p->link.fading;
    uint64_t n;
    if (strcmp(opt, "--channel") == 0) {
        p->channel_given = true;
        if (ch_chan_parse(v, &f->kind) == 0) return 0;
        return sim_cli_fail("--channel: unknown channel '%s' (awgn, rayleigh, rician)", v), -1;
    }
    if (strcmp(opt, "--k-factor") == 0) {
        p->k_given = true;
        if (sim_cli_double(opt, v, &f->k_factor) != 0) return -1;
        if (f->k_factor >= 0) return 0;
        return sim_cli_fail("--k-factor: '%s' must be 0 or more", v), -1;
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

static int parse_value(sim_link_parser *p, const char *opt, const char *v)
{
    if (strcmp(opt, "--mod") == 0) return parse_mod(p, v);
    if (strcmp(opt, "--constellation") == 0) return p->link.constellation = v, 0;
    if (strcmp(opt, "--csi") == 0) {
        if (strcmp(v, "perfect") == 0 || strcmp(v, "pilot") == 0)
            return p->pilots = strcmp(v, "pilot") == 0, 0;
        return sim_cli_fail("--csi: '%s' is not perfect or pilot", v), -1;
    }
    if (strcmp(opt, "--rx") == 0) {
        if (sim_rx_parse(v, &p->link.rx) == 0) return 0;
        return sim_cli_fail("--rx: unknown receiver '%s' (hard, maxlog, exact, nn)", v), -1;
    }
    if (strcmp(opt, "--model") == 0) return p->link.model = v, 0;
    return parse_fading(p, opt, v);
}

int sim_link_parse(sim_link_parser *p, int argc, char **argv, int *i)
{
    static const struct {
        const char *name;
        unsigned needs;
    } options[] = {{"--mod", 0}, {"--channel", 0}, {"--k-factor", 0}, {"--coherence", 0},
                   {"--doppler", 0}, {"--constellation", SIM_LINK_OPT_CONSTELLATION},
                   {"--csi", SIM_LINK_OPT_CSI}, {"--rx", SIM_LINK_OPT_RX},
                   {"--model", SIM_LINK_OPT_RX}};
    const char *opt = argv[*i];
    for (size_t j = 0; j < sizeof options / sizeof options[0]; j++) {
        if (strcmp(opt, options[j].name) != 0) continue;
        if ((options[j].needs & p->accepts) != options[j].needs) return 1;
        const char *v = sim_cli_value(argc, argv, i);
        return v ? parse_value(p, opt, v) : -1;
    }
    return 1;
}

/* The option combinations that make no link, each named. */
static int check_options(const sim_link_parser *p)
{
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
    if ((p->coherence_given || p->doppler_given) && !faded)
        return sim_cli_fail("--%s applies to fading channels only",
                            p->coherence_given ? "coherence" : "doppler"), -1;
    if (p->pilots && (!faded || f->coherence < 2))
        return sim_cli_fail("--csi pilot needs a fading channel and --coherence N >= 2 (one "
                            "pilot every N symbols)"), -1;
    if (!p->pilots && p->doppler_given && f->coherence > 1)
        return sim_cli_fail("--doppler and --coherence exclude each other (but with --csi "
                            "pilot, where --coherence is the pilot spacing)"), -1;
    if (p->link.rx == SIM_RX_NN && !p->link.model)
        return sim_cli_fail("--rx nn needs --model"), -1;
    if (p->link.rx != SIM_RX_NN && p->link.model)
        return sim_cli_fail("--model goes with --rx nn"), -1;
    return 0;
}

int sim_link_parser_finish(sim_link_parser *p, sim_link *link)
{
    if (check_options(p) != 0) return -1;
    *link = p->link;
    if (link->constellation) link->mod = CH_MOD_CUSTOM;
    link->pilot_spacing = p->pilots ? link->fading.coherence : 0;
    /* With Doppler the gain moves every symbol; --coherence only spaced the pilots. */
    if (link->fading.doppler > 0) link->fading.coherence = 1;
    if (sim_link_check(link) != SIM_OK) return sim_cli_fail("%s", sim_last_error()), -1;
    return 0;
}
