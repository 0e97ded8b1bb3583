#include "link_options.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

void sim_link_options_init(sim_link_options *o)
{
    *o = (sim_link_options){.fading = {.kind = CH_CHAN_AWGN, .coherence = 1}};
}

void sim_link_options_help(unsigned flags)
{
    puts("  --mod M           modulation: bpsk, qpsk, 8psk, 16qam, 64qam, 256qam");
    if (flags & SIM_LINK_HELP_CONSTELLATION)
        puts("  --constellation F a custom constellation file instead of --mod (lines: label re "
             "im)");
    puts("  --channel C       awgn, rayleigh, rician (flat fading, E|h|^2 = 1)\n"
         "  --k-factor K      Rician K factor, linear (rician only, required there)\n"
         "  --coherence N     symbols per block fade (default 1: fast fading)\n"
         "  --doppler F       normalised Doppler f_D T_s in (0, 0.5]: Jakes correlated fading");
    if (flags & SIM_LINK_HELP_CSI)
        puts("  --csi K           perfect (default): receivers know h; pilot: a known pilot leads\n"
             "                    each block of --coherence N symbols and no receiver is given h\n"
             "                    (with --doppler, --coherence N is the pilot spacing)");
}

static int parse_value(sim_link_options *o, const char *opt, const char *v)
{
    uint64_t n;
    if (strcmp(opt, "--mod") == 0) {
        o->mod = v;
        if (ch_mod_parse(v, &o->mod_kind) == 0 && o->mod_kind != CH_MOD_CUSTOM) return 0;
        return sim_cli_fail("--mod: unknown modulation '%s' (bpsk, qpsk, 8psk, 16qam, 64qam, "
                            "256qam)", v), -1;
    }
    if (strcmp(opt, "--constellation") == 0) return o->constellation = v, 0;
    if (strcmp(opt, "--csi") == 0) {
        if (strcmp(v, "perfect") == 0 || strcmp(v, "pilot") == 0)
            return o->pilots = strcmp(v, "pilot") == 0, 0;
        return sim_cli_fail("--csi: '%s' is not perfect or pilot", v), -1;
    }
    if (strcmp(opt, "--channel") == 0) {
        o->channel = v;
        if (ch_chan_parse(v, &o->fading.kind) == 0) return 0;
        return sim_cli_fail("--channel: unknown channel '%s' (awgn, rayleigh, rician)", v), -1;
    }
    if (strcmp(opt, "--k-factor") == 0) {
        o->k_given = true;
        if (sim_cli_double(opt, v, &o->fading.k_factor) != 0) return -1;
        if (o->fading.k_factor >= 0) return 0;
        return sim_cli_fail("--k-factor: '%s' must be 0 or more", v), -1;
    }
    if (strcmp(opt, "--coherence") == 0) {
        o->coherence_given = true;
        if (sim_cli_u64(opt, v, 1, 1u << 20, &n) != 0) return -1;
        o->fading.coherence = (unsigned)n;
        return 0;
    }
    o->doppler_given = true;
    if (sim_cli_double(opt, v, &o->fading.doppler) != 0) return -1;
    if (o->fading.doppler > 0 && o->fading.doppler <= 0.5) return 0;
    return sim_cli_fail("--doppler: '%s' must be in (0, 0.5]", v), -1;
}

int sim_link_options_parse(sim_link_options *o, int argc, char **argv, int *i)
{
    static const char *const names[] = {"--mod", "--constellation", "--channel", "--k-factor",
                                        "--coherence", "--doppler", "--csi"};
    const char *opt = argv[*i];
    for (size_t j = 0; j < sizeof names / sizeof names[0]; j++) {
        if (strcmp(opt, names[j]) != 0) continue;
        const char *v = sim_cli_value(argc, argv, i);
        return v ? parse_value(o, opt, v) : -1;
    }
    return 1;
}

int sim_link_options_check(const sim_link_options *o)
{
    if (!o->mod && !o->constellation) return sim_cli_fail("--mod is required"), -1;
    if (o->mod && o->constellation)
        return sim_cli_fail("--mod and --constellation exclude each other"), -1;
    if (!o->channel) return sim_cli_fail("--channel is required"), -1;
    bool faded = o->fading.kind != CH_CHAN_AWGN;
    if (o->fading.kind == CH_CHAN_RICIAN && !o->k_given)
        return sim_cli_fail("--channel rician needs --k-factor K"), -1;
    if (o->k_given && o->fading.kind != CH_CHAN_RICIAN)
        return sim_cli_fail("--k-factor applies to --channel rician only"), -1;
    if ((o->coherence_given || o->doppler_given) && !faded)
        return sim_cli_fail("--%s applies to fading channels only",
                            o->coherence_given ? "coherence" : "doppler"), -1;
    if (o->pilots && (!faded || o->fading.coherence < 2))
        return sim_cli_fail("--csi pilot needs a fading channel and --coherence N >= 2 (one "
                            "pilot every N symbols)"), -1;
    if (!o->pilots && o->doppler_given && o->fading.coherence > 1)
        return sim_cli_fail("--doppler and --coherence exclude each other (but with --csi "
                            "pilot, where --coherence is the pilot spacing)"), -1;
    return 0;
}

int sim_link_create(const sim_link_options *o, sim_link *link)
{
    link->fading = o->fading;
    link->pilot_spacing = o->pilots ? o->fading.coherence : 0;
    /* With Doppler the gain moves every symbol; --coherence only spaced the pilots. */
    if (o->fading.doppler > 0) link->fading.coherence = 1;
    link->modem = o->constellation ? ch_modem_load(o->constellation)
                                   : ch_modem_create(o->mod_kind);
    if (!link->modem) return sim_cli_fail("%s", ch_last_error()), -1;
    ch_fading *probe = ch_fading_create(&link->fading);
    if (!probe) {
        sim_cli_fail("%s", ch_last_error());
        sim_link_destroy(link);
        return -1;
    }
    ch_fading_destroy(probe);
    return 0;
}

void sim_link_destroy(sim_link *link)
{
    ch_modem_destroy(link->modem);
    link->modem = NULL;
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

void sim_link_write_meta(const sim_link *link, sim_table *t)
{
    char channel[96];
    sim_link_channel_text(&link->fading, channel, sizeof channel);
    sim_table_meta(t, "modulation", "%s", ch_modem_name(link->modem));
    sim_table_meta(t, "channel", "%s", channel);
}

double sim_pilot_rate(unsigned spacing)
{
    return spacing ? (double)(spacing - 1) / spacing : 1.0;
}
