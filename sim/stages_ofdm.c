/* The OFDM stages: the multipath channel between the transmitter's and the receiver's FFTs, and
 * the channel estimator before a coherent detector (stage.h). */
#include <stdlib.h>

#include "link.h"
#include "sim_error.h"
#include "stages_ofdm.h"

static void free_state(sim_stage *st)
{
    free(st->state);
}

/* ---- channel ------------------------------------------------------------------------------ */

static void *ofdm_worker_create(const sim_stage *st, size_t max_symbols)
{
    (void)max_symbols;
    return ch_ofdm_worker_create(st->state);
}

static void ofdm_worker_destroy(void *w)
{
    ch_ofdm_worker_destroy(w);
}

static void ofdm_reset(const sim_stage *st, void *w, ch_rng *r)
{
    ch_ofdm_reset(st->state, w, r);
}

/* Frame by OFDM frame: s on air, y and the true response h at the receiver's FFT. */
static void ofdm_run(const sim_stage *st, void *w, ch_rng *r, sim_frame *f)
{
    const ch_ofdm *o = st->state;
    const ch_ofdm_config *c = ch_ofdm_get_config(o);
    size_t frame = (size_t)c->symbols * c->n;
    ch_ofdm_frames(o, w, r, f->n0[0], f->nsym / frame, f->s, f->y, f->h);
}

static void ofdm_destroy(sim_stage *st)
{
    ch_ofdm_destroy(st->state);
}

static const sim_stage_ops ofdm_ops = {"ofdm multipath channel", ofdm_worker_create,
                                       ofdm_worker_destroy, ofdm_reset, ofdm_run, ofdm_destroy};

sim_stage *sim_stage_ofdm_channel(const sim_link *link)
{
    ch_ofdm_config cfg;
    if (sim_link_ofdm_config(link, &cfg) != SIM_OK) return NULL;
    ch_ofdm *o = ch_ofdm_create(&cfg);
    if (!o) return sim_error(SIM_EINVAL, "%s", ch_last_error()), NULL;
    sim_stage *st = sim_stage_create(&ofdm_ops, 0, o);
    if (!st) sim_error(SIM_ENOMEM, "out of memory");
    return st;
}

/* ---- estimator ---------------------------------------------------------------------------- */

typedef struct {
    sim_ofdm ofdm;
    ch_profile profile;
    const ch_pilots *pilots;
} est_state;

typedef struct {
    ch_ofdm_est *est;
    float complex *h_est; /* [N] */
    float *mse;           /* [N] */
    float complex *y, *h; /* [max data symbols] what the detector sees */
    float *n0;
} est_worker;

static void est_worker_destroy(void *p)
{
    est_worker *w = p;
    if (!w) return;
    ch_ofdm_est_destroy(w->est);
    free(w->h_est);
    free(w->mse);
    free(w->y);
    free(w->h);
    free(w->n0);
    free(w);
}

static void *est_worker_create(const sim_stage *st, size_t max_symbols)
{
    const est_state *s = st->state;
    est_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    unsigned n = s->ofdm.n;
    w->est = ch_ofdm_est_create(s->ofdm.est, n, s->ofdm.pilots, &s->profile);
    w->h_est = malloc(n * sizeof *w->h_est);
    w->mse = malloc(n * sizeof *w->mse);
    w->y = malloc(max_symbols * sizeof *w->y);
    w->h = malloc(max_symbols * sizeof *w->h);
    w->n0 = malloc(max_symbols * sizeof *w->n0);
    if (!w->est || !w->h_est || !w->mse || !w->y || !w->h || !w->n0) {
        est_worker_destroy(w);
        return NULL;
    }
    return w;
}

/* Each data position gets its subcarrier's estimate (the true response with perfect CSI) and
 * the noise plus the estimate's mean squared error. */
static void est_run(const sim_stage *st, void *p, ch_rng *r, sim_frame *f)
{
    (void)r;
    const est_state *s = st->state;
    est_worker *w = p;
    size_t frame = ch_pilots_frame(s->pilots), nd_frame = ch_pilots_n_data(s->pilots), nd = 0;
    const uint32_t *data = ch_pilots_data_positions(s->pilots);
    unsigned n = s->ofdm.n;
    bool perfect = s->ofdm.est == CH_EST_PERFECT;
    float n0 = f->n0[0];
    for (size_t b = 0; b < f->nsym / frame; b++) {
        const float complex *y = f->y + b * frame, *h = f->h + b * frame;
        if (!perfect && ch_ofdm_estimate(w->est, y, n0, w->h_est, w->mse) != CH_OK) {
            /* LMMSE's matrix could not be made (out of memory): detect with the pilot symbol's
             * raw values rather than stop a thread mid-chunk */
            for (unsigned k = 0; k < n; k++) w->h_est[k] = y[k], w->mse[k] = 1;
        }
        for (size_t j = 0; j < nd_frame; j++, nd++) {
            uint32_t pos = data[j], k = pos % n;
            w->y[nd] = y[pos];
            w->h[nd] = perfect ? h[pos] : w->h_est[k];
            w->n0[nd] = perfect ? n0 : n0 + w->mse[k];
        }
    }
    f->y_data = w->y, f->h_data = w->h, f->n0_data = w->n0;
}

static const sim_stage_ops est_ops = {"ofdm channel estimator", est_worker_create,
                                      est_worker_destroy, NULL, est_run, free_state};

sim_stage *sim_stage_ofdm_est(const sim_link *link, const ch_pilots *pilots)
{
    est_state *s = malloc(sizeof *s);
    if (!s) return sim_error(SIM_ENOMEM, "out of memory"), NULL;
    *s = (est_state){.ofdm = link->ofdm, .pilots = pilots};
    if (ch_profile_make(link->ofdm.profile, link->ofdm.sample_rate, &s->profile) != CH_OK) {
        free(s);
        return sim_error(SIM_EINVAL, "%s", ch_last_error()), NULL;
    }
    sim_stage *st = sim_stage_create(&est_ops, 0, s);
    if (!st) sim_error(SIM_ENOMEM, "out of memory");
    return st;
}
