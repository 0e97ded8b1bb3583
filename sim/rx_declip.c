/* Decision-aided clipping reconstruction (rx_declip.h). */
#include "rx_declip.h"

#include <stdlib.h>

#include "sim_error.h"

struct sim_declip {
    ch_ofdm *ofdm; /* the link's transforms and clipping */
    const ch_modem *modem;
    const ch_pilots *pilots;
    size_t frame, n_data;
    unsigned n, n_pilots; /* subcarriers, pilots of the pilot symbol */
    ch_profile profile;  /* the link's, for the workers' LS estimators */
};

struct sim_declip_worker {
    ch_ofdm_worker *ofdm;
    float complex *sent; /* [max_frames frame] the decided frames X^ */
    float complex *time; /* [n] x^, then clip(x^) - x^ */
    float complex *e;    /* [n] E^ */
    float complex *h;    /* [n] H^ of the frame being scored */
    ch_ofdm_est *ls;     /* H^ from the pilot symbol with its distortion taken off */
    size_t max_frames;
};

/* A position keeps Y where |X^ + E^|² is below this fraction of |X^|²: there the distortion
 * rebuilt from the decisions is as large as the symbol, and dividing by it would blow up the
 * noise. */
#define DECLIP_MIN_RATIO 0.25f

sim_declip *sim_declip_create(const sim_link *link, const ch_modem *m, const ch_pilots *p)
{
    ch_ofdm_config cfg;
    if (sim_link_ofdm_config(link, &cfg) != SIM_OK) return NULL;
    ch_profile profile;
    if (ch_profile_make(link->ofdm.profile, link->ofdm.sample_rate, &profile) != CH_OK)
        return sim_error(SIM_EINVAL, "%s", ch_last_error()), NULL;
    sim_declip *d = calloc(1, sizeof *d);
    if (!d || !(d->ofdm = ch_ofdm_create(&cfg))) {
        sim_declip_destroy(d);
        return sim_error(SIM_ENOMEM, "out of memory"), NULL;
    }
    *d = (sim_declip){d->ofdm,         m, p, ch_pilots_frame(p), ch_pilots_n_data(p), cfg.n,
                      link->ofdm.pilots, profile};
    return d;
}

void sim_declip_destroy(sim_declip *d)
{
    if (!d) return;
    ch_ofdm_destroy(d->ofdm);
    free(d);
}

sim_declip_worker *sim_declip_worker_create(const sim_declip *d, size_t max_frames)
{
    sim_declip_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->max_frames = max_frames;
    w->ofdm = ch_ofdm_worker_create(d->ofdm);
    w->sent = malloc(max_frames * d->frame * sizeof *w->sent);
    w->time = malloc(d->n * sizeof *w->time);
    w->e = malloc(d->n * sizeof *w->e);
    w->h = malloc(d->n * sizeof *w->h);
    w->ls = ch_ofdm_est_create(CH_EST_LS, d->n, d->n_pilots, &d->profile);
    if (!w->ofdm || !w->sent || !w->time || !w->e || !w->h || !w->ls) {
        sim_declip_worker_destroy(w);
        return NULL;
    }
    return w;
}

void sim_declip_worker_destroy(sim_declip_worker *w)
{
    if (!w) return;
    ch_ofdm_worker_destroy(w->ofdm);
    free(w->sent);
    free(w->time);
    free(w->e);
    free(w->h);
    ch_ofdm_est_destroy(w->ls);
    free(w);
}

/* E^ of one OFDM symbol's decided values x[n] into e[n]. */
static void distortion(const sim_declip *d, sim_declip_worker *w, const float complex *x,
                       float complex *e)
{
    ch_ofdm_dft(d->ofdm, w->ofdm, 1, x, w->time);
    for (unsigned i = 0; i < d->n; i++) e[i] = w->time[i];
    ch_ofdm_clip(d->ofdm, d->n, w->time);
    for (unsigned i = 0; i < d->n; i++) w->time[i] -= e[i];
    ch_ofdm_dft(d->ofdm, w->ofdm, 0, w->time, e);
}

/* out[i] = y[i] x[i] / (x[i] + e[i]) over one OFDM symbol, where that is safe. */
static void take_off(unsigned n, const float complex *y, const float complex *x,
                     const float complex *e, float complex *out)
{
    for (unsigned i = 0; i < n; i++) {
        float complex s = x[i] + e[i];
        float s2 = crealf(s) * crealf(s) + cimagf(s) * cimagf(s);
        float x2 = crealf(x[i]) * crealf(x[i]) + cimagf(x[i]) * cimagf(x[i]);
        out[i] = s2 > DECLIP_MIN_RATIO * x2 ? y[i] * x[i] * conjf(s) / s2 : y[i];
    }
}

/* The decided data of frames [f0, f0 + count) mapped and spread over w->sent with the pilots. */
static void decided_grid(const sim_declip *d, sim_declip_worker *w, size_t f0, size_t count,
                         const uint8_t *decided)
{
    unsigned k = ch_modem_bits_per_symbol(d->modem);
    size_t total = count * d->frame, data = count * d->n_data;
    /* the data at the end of the buffer, then spread over the grid with the pilots */
    ch_modem_map(d->modem, data, decided + f0 * d->n_data * k, w->sent + total - data);
    ch_pilots_insert(d->pilots, count, w->sent + total - data, w->sent);
}

void sim_declip_run(const sim_declip *d, sim_declip_worker *w, size_t nframes,
                    const float complex *y, const uint8_t *decided, float complex *out)
{
    for (size_t f0 = 0; f0 < nframes; f0 += w->max_frames) {
        size_t count = nframes - f0 < w->max_frames ? nframes - f0 : w->max_frames;
        decided_grid(d, w, f0, count, decided);
        for (size_t at = 0; at < count * d->frame; at += d->n) {
            distortion(d, w, w->sent + at, w->e);
            take_off(d->n, y + f0 * d->frame + at, w->sent + at, w->e, out + f0 * d->frame + at);
        }
    }
}

/* Σ |y - H^ (x + e)|² over one OFDM symbol. */
static double symbol_residual(unsigned n, const float complex *y, const float complex *h,
                              const float complex *x, const float complex *e)
{
    double sum = 0;
    for (unsigned i = 0; i < n; i++) {
        float complex z = y[i] - h[i] * (x[i] + e[i]);
        sum += crealf(z) * crealf(z) + cimagf(z) * cimagf(z);
    }
    return sum;
}

/* One frame's residual; w->sent holds it at sent. */
static float frame_residual(const sim_declip *d, sim_declip_worker *w, const float complex *y,
                            const float complex *sent)
{
    /* H^: LS from the pilot symbol (the frame's first), its distortion taken off; w->time is
     * free scratch here */
    distortion(d, w, sent, w->e);
    take_off(d->n, y, sent, w->e, w->time);
    ch_ofdm_estimate(w->ls, w->time, 1.0f, w->h, NULL); /* LS ignores the noise level */
    double sum = symbol_residual(d->n, y, w->h, sent, w->e);
    for (size_t at = d->n; at < d->frame; at += d->n) {
        distortion(d, w, sent + at, w->e);
        sum += symbol_residual(d->n, y + at, w->h, sent + at, w->e);
    }
    return (float)sum;
}

void sim_declip_residual(const sim_declip *d, sim_declip_worker *w, size_t nframes,
                         const float complex *y, const uint8_t *decided, float *residual)
{
    for (size_t f0 = 0; f0 < nframes; f0 += w->max_frames) {
        size_t count = nframes - f0 < w->max_frames ? nframes - f0 : w->max_frames;
        decided_grid(d, w, f0, count, decided);
        for (size_t b = 0; b < count; b++)
            residual[f0 + b] = frame_residual(d, w, y + (f0 + b) * d->frame,
                                              w->sent + b * d->frame);
    }
}
