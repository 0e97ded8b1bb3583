#include "link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
