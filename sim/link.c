#include "link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
        if (strcasecmp(name, rx_names[i]) == 0) {
            *kind = (sim_rx_kind)i;
            return 0;
        }
    return -1;
}

const char *sim_rx_name(sim_rx_kind kind)
{
    return rx_names[kind];
}

void sim_code_size(const sim_code *code, unsigned *n, unsigned *k)
{
    static const struct {
        const char *name;
        unsigned n, k;
    } named[] = {{"hamming74", 7, 4}, {"hamming1511", 15, 11}, {"golay24", 24, 12},
                 {"polar16_8", 16, 8}};
    char tail;
    *n = *k = 1;
    if (!code->name) return;
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (strcmp(code->name, named[i].name) == 0) {
            *n = named[i].n, *k = named[i].k;
            return;
        }
    if (sscanf(code->name, "polar:%u,%u%c", n, k, &tail) == 2 && *k >= 1 && *k <= *n) return;
    *n = *k = 0;
}

const char *sim_dec_name(const sim_code *code, char *buf, size_t size)
{
    static const char *const names[] = {"hard", "ml", "map", "sc", "scl", "nn"};
    if (code->decoder == SIM_DEC_SCL)
        snprintf(buf, size, "scl:%u", code->list_size);
    else
        snprintf(buf, size, "%s", names[code->decoder]);
    return buf;
}

/* A code that exists, and a decoder it can have (made once to check). */
static int check_code(const sim_link *link)
{
    if (!link->code.name) return SIM_OK;
    ch_code *c = ch_code_create(link->code.name, link->code.design_ebn0_db);
    if (!c) return sim_error(SIM_EINVAL, "%s", ch_last_error());
    int status = SIM_OK;
    if (link->code.decoder != SIM_DEC_NN) {
        ch_decoder *d = ch_decoder_create(c, (ch_decoder_kind)link->code.decoder,
                                          link->code.list_size, 1);
        if (!d) status = sim_error(SIM_EINVAL, "%s", ch_last_error());
        ch_decoder_destroy(d);
    }
    ch_code_destroy(c);
    return status;
}

/* An end-to-end pair stands for modulation, code and receiver, with perfect CSI. */
static int check_e2e(const sim_link *link)
{
    if (link->code.name || link->pilot_spacing || link->model || link->rx == SIM_RX_NN)
        return sim_error(SIM_EINVAL, "an end-to-end pair is its own code and receiver: no code, "
                         "pilots or other model with it");
    ch_fading *probe = ch_fading_create(&link->fading);
    if (!probe) return sim_error(SIM_EINVAL, "%s", ch_last_error());
    ch_fading_destroy(probe);
    return SIM_OK;
}

int sim_link_ofdm_config(const sim_link *link, ch_ofdm_config *cfg)
{
    const sim_ofdm *o = &link->ofdm;
    *cfg = (ch_ofdm_config){.n = o->n, .cp = o->cp, .symbols = 1 + o->symbols,
                            .doppler = o->doppler, .clip = o->clip, .cfo = o->cfo};
    if (ch_profile_make(o->profile, o->sample_rate, &cfg->profile) != CH_OK ||
        ch_ofdm_check(cfg) != CH_OK)
        return sim_error(SIM_EINVAL, "%s", ch_last_error());
    return SIM_OK;
}

ch_pilots *sim_link_ofdm_pilots(const sim_link *link)
{
    const sim_ofdm *o = &link->ofdm;
    size_t frame = (size_t)(1 + o->symbols) * o->n;
    uint8_t *mask = calloc(frame, 1);
    if (!mask) return sim_error(SIM_ENOMEM, "out of memory"), NULL;
    for (unsigned i = 0; i < o->pilots; i++) mask[ch_ofdm_pilot_carrier(o->n, o->pilots, i)] = 1;
    ch_pilots *p = ch_pilots_create_grid(1 + o->symbols, o->n, mask);
    free(mask);
    float complex *chirp = p ? malloc(o->pilots * sizeof *chirp) : NULL;
    for (unsigned i = 0; chirp && i < o->pilots; i++) chirp[i] = ch_ofdm_pilot_value(o->pilots, i);
    if (p && (!chirp || ch_pilots_set_values(p, chirp) != CH_OK)) {
        ch_pilots_destroy(p);
        p = NULL;
        sim_error(SIM_ENOMEM, "out of memory");
    } else if (!p) {
        sim_error(SIM_EINVAL, "%s", ch_last_error());
    }
    free(chirp);
    return p;
}

/* An OFDM link: a channel that makes sense, pilots that divide the band, an estimator that
 * takes them, frames that fit a pilot grid. */
static int check_ofdm(const sim_link *link)
{
    const sim_ofdm *o = &link->ofdm;
    ch_ofdm_config cfg;
    if (sim_link_ofdm_config(link, &cfg) != SIM_OK) return SIM_EINVAL;
    if (o->pilots < 1 || o->pilots > o->n || o->n % o->pilots)
        return sim_error(SIM_EINVAL, "%u pilots do not divide %u subcarriers evenly", o->pilots,
                         o->n);
    if (o->est == CH_EST_LMMSE && o->pilots > CH_EST_LMMSE_MAX_PILOTS)
        return sim_error(SIM_EINVAL, "lmmse takes at most %u pilots, not %u",
                         CH_EST_LMMSE_MAX_PILOTS, o->pilots);
    if ((size_t)(1 + o->symbols) * o->n > CH_PILOTS_MAX_FRAME)
        return sim_error(SIM_EINVAL, "an OFDM frame of %u symbols of %u subcarriers is too long",
                         1 + o->symbols, o->n);
    if (link->pilot_spacing || link->e2e_model)
        return sim_error(SIM_EINVAL, "OFDM has its own pilots; no single-carrier pilots or "
                         "end-to-end pair with it");
    const ch_fading_config *f = &link->fading;
    if (f->kind != CH_CHAN_RAYLEIGH || f->coherence != 1 || f->doppler != 0)
        return sim_error(SIM_EINVAL, "OFDM's channel is its multipath profile; the flat channel "
                         "must be left at its default");
    return SIM_OK;
}

int sim_link_check(const sim_link *link)
{
    if (link->ofdm.n && check_ofdm(link) != SIM_OK) return SIM_EINVAL;
    if (link->e2e_model) return check_e2e(link);
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
    int status = check_code(link);
    if (status != SIM_OK) return status;
    bool learned_rx = link->rx == SIM_RX_NN;
    bool learned_dec = link->code.name && link->code.decoder == SIM_DEC_NN;
    if (learned_rx && learned_dec)
        return sim_error(SIM_EINVAL, "one learned stage a link: --rx nn and --decoder nn exclude "
                         "each other");
    if ((learned_rx || learned_dec) != (link->model != NULL))
        return sim_error(SIM_EINVAL, link->model ? "a model goes with a learned receiver or "
                                                   "decoder only"
                                                 : "the learned %s needs a model",
                         learned_rx ? "receiver" : "decoder");
    if (link->rx == SIM_RX_NN && link->mod == CH_MOD_CUSTOM)
        return sim_error(SIM_EINVAL, "learned receivers are for the built-in modulations only");
    if (link->mod == CH_MOD_CUSTOM && !link->constellation)
        return sim_error(SIM_EINVAL, "a custom modulation needs its constellation file");
    return SIM_OK;
}

double sim_link_rate(const sim_link *link)
{
    unsigned n = link->pilot_spacing, cn, ck;
    sim_code_size(&link->code, &cn, &ck);
    const sim_ofdm *o = &link->ofdm;
    if (o->n) {
        /* the pilot symbol's data subcarriers, S data symbols, over 1 + S symbols of N + L */
        double data = (double)(o->n - o->pilots) + (double)o->symbols * o->n;
        double share = data / ((1.0 + o->symbols) * (o->n + o->cp));
        return (o->count_overhead ? share : 1.0) * (cn ? (double)ck / cn : 1.0);
    }
    return (n ? (double)(n - 1) / n : 1.0) * (cn ? (double)ck / cn : 1.0);
}

bool sim_link_has_memory(const sim_link *link)
{
    const ch_fading_config *f = &link->fading;
    return link->ofdm.n || (f->kind != CH_CHAN_AWGN && (f->coherence > 1 || f->doppler > 0));
}

sim_feat_layout sim_link_feat_layout(const sim_link *link)
{
    if (link->ofdm.n) return SIM_FEAT_OFDM;
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

void sim_link_ofdm_channel_text(const sim_link *link, char *buf, size_t size)
{
    const sim_ofdm *o = &link->ofdm;
    snprintf(buf, size, "%s multipath, OFDM N=%u L=%u P=%u%s", ch_profile_name(o->profile), o->n,
             o->cp, o->pilots, o->doppler > 0 ? ", Doppler" : "");
}

static const char *plural(unsigned count)
{
    return count == 1 ? "" : "s";
}

/* The profile on the sample grid and how the taps move, for the metadata. */
static void profile_text(const sim_link *link, char *buf, size_t size)
{
    const sim_ofdm *o = &link->ofdm;
    ch_profile p;
    if (ch_profile_make(o->profile, o->sample_rate, &p) != CH_OK) p.n_taps = 0;
    int n = snprintf(buf, size, "%s", ch_profile_name(o->profile));
    if (o->profile != CH_PROFILE_EXP)
        n += snprintf(buf + n, size - (size_t)n, " at %g Hz", o->sample_rate);
    if (p.n_taps)
        n += snprintf(buf + n, size - (size_t)n, ", %u Rayleigh tap%s over %u sample%s",
                      p.n_taps, plural(p.n_taps), ch_profile_spread(&p) + 1,
                      plural(ch_profile_spread(&p) + 1));
    if (o->doppler > 0)
        snprintf(buf + n, size - (size_t)n, ", Jakes Doppler %g per OFDM symbol", o->doppler);
    else
        snprintf(buf + n, size - (size_t)n, ", static over a frame");
}

static void write_ofdm_meta(const sim_link *link, sim_table *t)
{
    const sim_ofdm *o = &link->ofdm;
    char profile[160];
    profile_text(link, profile, sizeof profile);
    sim_table_meta(t, "profile", "%s", profile);
    char est[160];
    if (link->rx == SIM_RX_NN && o->declip)
        snprintf(est, sizeof est, "learned receiver, %u clipping reconstruction pass%s (each frame "
                 "keeps the decisions of least residual, the network's first or a pass's)",
                 o->declip, o->declip == 1 ? "" : "es");
    else if (link->rx == SIM_RX_NN)
        snprintf(est, sizeof est, "learned receiver");
    else
        snprintf(est, sizeof est, "estimator %s", ch_est_name(o->est));
    sim_table_meta(t, "ofdm", "%u subcarriers, prefix %u, frames of a pilot symbol (%u pilot%s) "
                   "and %u data symbol%s; %s; clipping %g x RMS (0: none); CFO %g subcarrier "
                   "spacings", o->n, o->cp, o->pilots, plural(o->pilots), o->symbols,
                   plural(o->symbols), est, o->clip,
                   o->cfo);
    if (o->count_overhead)
        sim_table_meta(t, "snr", "esn0_db is Es/N0 per data subcarrier at the FFT output; "
                       "ebn0_db counts the energy of pilots and prefix (Es/N0 = Eb/N0 k r "
                       "(data positions / frame positions) N/(N+L))");
    else
        sim_table_meta(t, "snr", "esn0_db is Es/N0 per data subcarrier at the FFT output; "
                       "ebn0_db = esn0_db - 10 log10(k r), pilots and prefix not counted");
}

void sim_link_write_meta(const sim_link *link, const char *modulation, const char *rx_name,
                         sim_table *t)
{
    char channel[160];
    if (link->ofdm.n)
        sim_link_ofdm_channel_text(link, channel, sizeof channel);
    else
        sim_link_channel_text(&link->fading, channel, sizeof channel);
    sim_table_meta(t, "modulation", "%s", modulation);
    sim_table_meta(t, "channel", "%s", channel);
    if (link->ofdm.n) write_ofdm_meta(link, t);
    sim_table_meta(t, "receiver", "%s", rx_name);
    if (link->pilot_spacing)
        sim_table_meta(t, "pilots", "one every %u symbols, no CSI; Eb/N0 counts the pilot energy "
                       "(Es/N0 = Eb/N0 k (N-1)/N)", link->pilot_spacing);
    if (link->e2e_model) sim_table_meta(t, "e2e", "the learned pair of %s", link->e2e_model);
    if (link->code.name) {
        unsigned n, k;
        char dec[32];
        sim_code_size(&link->code, &n, &k);
        sim_table_meta(t, "code", "%s (n=%u, k=%u, rate %.6g), no interleaver; Eb/N0 counts "
                       "the code's energy (Es/N0 = Eb/N0 k_mod k/n)", link->code.name, n, k,
                       (double)k / n);
        sim_table_meta(t, "decoder", "%s", sim_dec_name(&link->code, dec, sizeof dec));
    }
}

/* A learned decoder's model is for the link's code; a detector's for its modulation and
 * channel. */
static bool decodes(const sim_link *link)
{
    return link->code.name && link->code.decoder == SIM_DEC_NN;
}

/* The design Eb/N0 of a polar:N,K code's frozen set ("2"), or "-" for codes without one. */
static void decoder_design(const sim_link *link, char *buf, size_t size)
{
    bool designed = strncmp(link->code.name, "polar:", 6) == 0;
    snprintf(buf, size, designed ? "%.17g" : "-", link->code.design_ebn0_db);
}

/* The OFDM layout a learned receiver is made for: "N=64 cp=16 pilots=8 symbols=1 profile=eva". */
static void ofdm_layout(const sim_link *link, char *buf, size_t size)
{
    const sim_ofdm *o = &link->ofdm;
    snprintf(buf, size, "N=%u cp=%u pilots=%u symbols=%u profile=%s", o->n, o->cp, o->pilots,
             o->symbols, ch_profile_name(o->profile));
}

void sim_link_ofdm_impairments(const sim_link *link, char *buf, size_t size)
{
    const sim_ofdm *o = &link->ofdm;
    /* + 0.0: --cfo -0 makes the same link as 0, and so the same text */
    snprintf(buf, size, "doppler=%g clip=%g cfo=%g", o->doppler + 0.0, o->clip + 0.0, o->cfo + 0.0);
}

int sim_link_model_meta(const sim_link *link, nn_meta *meta)
{
    char buf[96];
    int bad = nn_meta_set(meta, "role", decodes(link) ? "decoder" : "detector");
    if (decodes(link)) {
        bad |= nn_meta_set(meta, "code", link->code.name);
        bad |= nn_meta_set(meta, "decoder_rx", sim_rx_name(link->rx));
        decoder_design(link, buf, sizeof buf);
        bad |= nn_meta_set(meta, "design_snr", buf);
    }
    bad |= nn_meta_set(meta, "modulation", ch_mod_name(link->mod));
    bad |= nn_meta_set(meta, "channel", ch_chan_name(link->fading.kind));
    sim_link_channel_text(&link->fading, buf, sizeof buf);
    bad |= nn_meta_set(meta, "channel_detail", buf);
    bad |= nn_meta_set(meta, "features",
                       decodes(link) ? "llr" : sim_feat_name(sim_link_feat_layout(link)));
    snprintf(buf, sizeof buf, "%u", link->pilot_spacing);
    bad |= nn_meta_set(meta, "pilot_spacing", buf);
    if (link->ofdm.n) {
        ofdm_layout(link, buf, sizeof buf);
        bad |= nn_meta_set(meta, "ofdm", buf);
        sim_link_ofdm_impairments(link, buf, sizeof buf);
        bad |= nn_meta_set(meta, "ofdm_channel", buf);
    }
    return bad ? sim_error(SIM_ENOMEM, "out of memory") : SIM_OK;
}

/* The value of key in the model's metadata, or "(none)". */
static const char *meta_value(const nn_meta *meta, const char *key)
{
    const char *v = nn_meta_get(meta, key);
    return v ? v : "(none)";
}

/* A decoder's model: made for this code; trained on LLRs of other links it still decodes, with a
 * warning from the command line. */
static int check_decoder_model(const sim_link *link, const nn_meta *meta, const char *path)
{
    const char *role = meta_value(meta, "role"), *code = meta_value(meta, "code");
    if (strcmp(role, "decoder") != 0)
        return sim_error(SIM_EMODEL, "model '%s' is a %s, not a decoder", path,
                         strcmp(role, "(none)") == 0 ? "detector" : role);
    if (strcmp(code, link->code.name) != 0)
        return sim_error(SIM_EMODEL, "model '%s' was trained for code %s, not %s", path, code,
                         link->code.name);
    /* the frozen set and the LLRs' detector; models from before these were recorded pass */
    char design[32];
    decoder_design(link, design, sizeof design);
    const char *rx = nn_meta_get(meta, "decoder_rx"), *snr = nn_meta_get(meta, "design_snr");
    if (snr && strcmp(snr, design) != 0)
        return sim_error(SIM_EMODEL, "model '%s' was trained for the frozen set of --design-snr "
                         "%s, not %s", path, snr, design);
    if (rx && strcmp(rx, sim_rx_name(link->rx)) != 0)
        return sim_error(SIM_EMODEL, "model '%s' decodes the LLRs of --rx %s, not %s", path, rx,
                         sim_rx_name(link->rx));
    return SIM_OK;
}

int sim_link_check_model(const sim_link *link, const nn_meta *meta, const char *path)
{
    if (decodes(link)) return check_decoder_model(link, meta, path);
    const char *role = nn_meta_get(meta, "role");
    if (role && strcmp(role, "detector") != 0)
        return sim_error(SIM_EMODEL, "model '%s' is a %s, not a detector", path, role);
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
    char want[96];
    if (layout == SIM_FEAT_OFDM) ofdm_layout(link, want, sizeof want);
    if (layout == SIM_FEAT_OFDM && strcmp(meta_value(meta, "ofdm"), want) != 0)
        return sim_error(SIM_EMODEL, "model '%s' was trained for OFDM %s, not %s", path,
                         meta_value(meta, "ofdm"), want);
    bool pilots = layout == SIM_FEAT_PILOT || layout == SIM_FEAT_PILOT_WINDOW;
    if (pilots && spacing != link->pilot_spacing)
        return sim_error(SIM_EMODEL, "model '%s' was trained with a pilot every %u symbols, not "
                         "%u", path, spacing, link->pilot_spacing);
    return SIM_OK;
}
