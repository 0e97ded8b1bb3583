/* bersim export --ofdm: one OFDM frame's true frequency response beside its LS and LMMSE
 * estimates, for figures (scripts/ofdm_response.gp). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "link.h"
#include "sim_error.h"
#include "table.h"

typedef struct {
    sim_link_parser parser;
    sim_link link;
    const char *output;
    double ebn0;
    uint64_t seed;
    bool ebn0_given;
} frame_options;

static int parse_options(frame_options *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    sim_link_parser_init(&o->parser, SIM_LINK_OPT_OFDM);
    sim_cli_seen seen = {0};
    for (int i = 1; i < argc; i++) {
        if (!sim_cli_first_time(&seen, argv[i])) return -1;
        int status = sim_link_parse(&o->parser, argc, argv, &i);
        if (status < 0) return -1;
        if (status == 0) continue;
        const char *opt = argv[i], *v;
        if (strcmp(opt, "--ebn0") != 0 && strcmp(opt, "-o") != 0 && strcmp(opt, "--seed") != 0)
            return sim_cli_unknown_option("export", opt), -1;
        if (!(v = sim_cli_value(argc, argv, &i))) return -1;
        if (strcmp(opt, "-o") == 0) {
            o->output = v;
            if (sim_cli_check_writable("-o", v) != 0) return -1;
        } else if (strcmp(opt, "--seed") == 0) {
            if (sim_cli_u64(opt, v, 0, UINT64_MAX, &o->seed) != 0) return -1;
        } else {
            o->ebn0_given = true;
            if (sim_cli_double(opt, v, &o->ebn0) != 0) return -1;
            if (!(o->ebn0 >= -50 && o->ebn0 <= 100))
                return sim_cli_fail("--ebn0: %s dB is outside -50 to 100", v), -1;
        }
    }
    if (!o->ebn0_given) return sim_cli_fail("export: --ebn0 is required with --ofdm"), -1;
    if (sim_link_parser_finish(&o->parser, &o->link) != 0) return -1;
    if (!o->link.ofdm.n) return sim_cli_fail("export: --ofdm N is required"), -1;
    return 0;
}

/* The frame's buffers and objects, released together. */
typedef struct {
    ch_modem *modem;
    ch_pilots *pilots;
    ch_ofdm *ofdm;
    ch_ofdm_worker *w;
    ch_ofdm_est *ls, *lmmse;
    ch_rng *rng;
    uint8_t *bits;
    float complex *x, *s, *y, *h, *h_ls, *h_lmmse;
} frame_parts;

static void parts_release(frame_parts *p)
{
    ch_modem_destroy(p->modem);
    ch_pilots_destroy(p->pilots);
    ch_ofdm_worker_destroy(p->w);
    ch_ofdm_destroy(p->ofdm);
    ch_ofdm_est_destroy(p->ls);
    ch_ofdm_est_destroy(p->lmmse);
    ch_rng_destroy(p->rng);
    free(p->bits);
    free(p->x), free(p->s), free(p->y), free(p->h), free(p->h_ls), free(p->h_lmmse);
}

static int parts_make(frame_parts *p, const frame_options *o)
{
    const sim_ofdm *od = &o->link.ofdm;
    ch_ofdm_config cfg;
    if (sim_link_ofdm_config(&o->link, &cfg) != SIM_OK) return -1;
    p->modem = ch_modem_create(o->link.mod);
    p->pilots = sim_link_ofdm_pilots(&o->link);
    p->ofdm = ch_ofdm_create(&cfg);
    p->w = p->ofdm ? ch_ofdm_worker_create(p->ofdm) : NULL;
    p->ls = ch_ofdm_est_create(CH_EST_LS, od->n, od->pilots, &cfg.profile);
    if (od->pilots <= CH_EST_LMMSE_MAX_PILOTS)
        p->lmmse = ch_ofdm_est_create(CH_EST_LMMSE, od->n, od->pilots, &cfg.profile);
    p->rng = ch_rng_create(o->seed, 0);
    size_t frame = p->pilots ? ch_pilots_frame(p->pilots) : 0;
    size_t k = p->modem ? ch_modem_bits_per_symbol(p->modem) : 0;
    p->bits = malloc(frame * k);
    p->x = malloc(frame * sizeof *p->x), p->s = malloc(frame * sizeof *p->s);
    p->y = malloc(frame * sizeof *p->y), p->h = malloc(frame * sizeof *p->h);
    p->h_ls = malloc(od->n * sizeof *p->h_ls), p->h_lmmse = malloc(od->n * sizeof *p->h_lmmse);
    return p->modem && p->pilots && p->w && p->ls && p->rng && p->bits && p->x && p->s && p->y &&
                   p->h && p->h_ls && p->h_lmmse
               ? 0
               : -1;
}

/* One frame through the channel, the pilot symbol's estimates, one row per subcarrier. */
static int write_frame(FILE *out, frame_parts *p, const frame_options *o, float n0)
{
    size_t nd = ch_pilots_n_data(p->pilots);
    unsigned n = o->link.ofdm.n;
    ch_rng_bits(p->rng, nd * ch_modem_bits_per_symbol(p->modem), p->bits);
    ch_modem_map(p->modem, nd, p->bits, p->x);
    ch_pilots_insert(p->pilots, 1, p->x, p->s);
    ch_ofdm_frame(p->ofdm, p->w, p->rng, n0, p->s, p->y, p->h);
    if (ch_ofdm_estimate(p->ls, p->y, n0, p->h_ls, NULL) != CH_OK ||
        (p->lmmse && ch_ofdm_estimate(p->lmmse, p->y, n0, p->h_lmmse, NULL) != CH_OK))
        return -1;
    fputs("subcarrier\tpilot\th_re\th_im\th_abs\tls_re\tls_im\tlmmse_re\tlmmse_im\n", out);
    for (unsigned k = 0; k < n; k++) {
        fprintf(out, "%u\t%d\t%.7g\t%.7g\t%.7g\t%.7g\t%.7g", k, ch_pilots_is_pilot(p->pilots, k),
                crealf(p->h[k]), cimagf(p->h[k]), cabsf(p->h[k]), crealf(p->h_ls[k]),
                cimagf(p->h_ls[k]));
        if (p->lmmse)
            fprintf(out, "\t%.7g\t%.7g\n", crealf(p->h_lmmse[k]), cimagf(p->h_lmmse[k]));
        else
            fputs("\tnan\tnan\n", out);
    }
    return 0;
}

int sim_cmd_export_ofdm(int argc, char **argv)
{
    static frame_options o;
    if (parse_options(&o, argc, argv) != 0) return SIM_EXIT_USAGE;
    frame_parts p = {0};
    if (parts_make(&p, &o) != 0) {
        parts_release(&p);
        return sim_cli_fail("export: %s", ch_last_error());
    }
    float n0 = (float)ch_n0_from_ebn0(o.ebn0, ch_modem_bits_per_symbol(p.modem),
                                      sim_link_rate(&o.link));
    sim_table *t = sim_table_open(o.output);
    if (!t) {
        parts_release(&p);
        return sim_cli_fail("%s", sim_last_error());
    }
    char channel[160];
    sim_link_ofdm_channel_text(&o.link, channel, sizeof channel);
    sim_table_meta_common(t, argc, argv);
    sim_table_meta(t, "channel", "%s", channel);
    sim_table_meta(t, "frame", "the first frame of seed %llu at Eb/N0 %g dB (n0 %.6g): the true "
                   "response h of its pilot symbol and the LS and LMMSE estimates from its %u "
                   "pilots", (unsigned long long)o.seed, o.ebn0, n0, o.link.ofdm.pilots);
    int status = write_frame(sim_table_stream(t), &p, &o, n0);
    parts_release(&p);
    if (status != 0) {
        sim_table_abort(t);
        return sim_cli_fail("export: %s", ch_last_error()), 1;
    }
    if (sim_table_commit(t) != SIM_OK) return sim_cli_fail("%s", sim_last_error()), 1;
    return 0;
}
