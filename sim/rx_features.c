#include "rx_features.h"

#include <math.h>
#include <stdlib.h>

static const char *const layout_names[] = {
    [SIM_FEAT_EQ] = "eq",
    [SIM_FEAT_PILOT] = "pilot",
    [SIM_FEAT_PILOT_WINDOW] = "pilot_window",
    [SIM_FEAT_OFDM] = "ofdm",
};

const char *sim_feat_name(sim_feat_layout layout)
{
    return layout_names[layout];
}

size_t sim_feat_width(sim_feat_layout layout)
{
    static const size_t widths[] = {[SIM_FEAT_EQ] = 3, [SIM_FEAT_PILOT] = 8,
                                    [SIM_FEAT_PILOT_WINDOW] = 12, [SIM_FEAT_OFDM] = 0};
    return widths[layout];
}

void sim_feat_eq(size_t n, const float complex *y, const float complex *h, const float *n0,
                 float c, float *x)
{
    for (size_t i = 0; i < n; i++) {
        float complex hi = h ? h[i] : 1.0f;
        float w = c / n0[i];
        float complex m = y[i] * conjf(hi) * w;
        x[3 * i] = crealf(m);
        x[3 * i + 1] = cimagf(m);
        x[3 * i + 2] = (crealf(hi) * crealf(hi) + cimagf(hi) * cimagf(hi)) * w;
    }
}

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* The 8 pilot features of data symbol y beside pilot observation yp (see the header). */
static void pilot_row(float complex yp, float complex y, float n0, float c, float *row)
{
    float e = crealf(yp) * crealf(yp) + cimagf(yp) * cimagf(yp);
    float complex z = e > 0 ? y * conjf(yp) / e : 0;
    float complex q = y * conjf(yp) / n0;
    float p = e / n0;
    row[0] = clampf(crealf(z), -SIM_FEAT_CLAMP, SIM_FEAT_CLAMP);
    row[1] = clampf(cimagf(z), -SIM_FEAT_CLAMP, SIM_FEAT_CLAMP);
    row[2] = clampf(log10f(p), -6.0f, 6.0f);
    row[3] = c * p;
    row[4] = c * crealf(q);
    row[5] = c * cimagf(q);
    row[6] = c * (crealf(y) * crealf(y) + cimagf(y) * cimagf(y)) / n0;
    row[7] = log10f(1.0f / n0);
}

/* The 4 window features of data symbol y at position t = j/N of its block (see the header). */
static void window_row(float complex yp, float complex y_prev, float complex y, float t, float n0,
                       float *row)
{
    float complex g = yp + t * (yp - y_prev);
    float e = crealf(g) * crealf(g) + cimagf(g) * cimagf(g);
    float complex u = e > 0 ? y * conjf(g) / e : 0;
    row[0] = clampf(crealf(u), -SIM_FEAT_CLAMP, SIM_FEAT_CLAMP);
    row[1] = clampf(cimagf(u), -SIM_FEAT_CLAMP, SIM_FEAT_CLAMP);
    row[2] = clampf(log10f(e / n0), -6.0f, 6.0f);
    row[3] = t;
}

void sim_feat_pilot(sim_feat_layout layout, const ch_pilots *pilots, size_t nblocks,
                    const float complex *y, const float complex *prev_pilot,
                    const float *n0_block, float c, float *x)
{
    size_t width = sim_feat_width(layout), frame = ch_pilots_frame(pilots);
    size_t nd = ch_pilots_n_data(pilots);
    const uint32_t *data = ch_pilots_data_positions(pilots);
    uint32_t pilot = ch_pilots_pilot_positions(pilots)[0];
    for (size_t b = 0; b < nblocks; b++) {
        const float complex *yb = y + b * frame;
        float complex y_prev = b > 0 ? y[(b - 1) * frame + pilot] : prev_pilot ? *prev_pilot
                                                                        : yb[pilot];
        for (size_t j = 0; j < nd; j++) {
            float *row = x + width * (b * nd + j);
            pilot_row(yb[pilot], yb[data[j]], n0_block[b], c, row);
            if (layout == SIM_FEAT_PILOT_WINDOW)
                window_row(yb[pilot], y_prev, yb[data[j]], (float)data[j] / (float)frame,
                           n0_block[b], row + 8);
        }
    }
}

void sim_feat_llr_scaled(size_t n, const float *llr, float c, float *x)
{
    for (size_t i = 0; i < n; i++) x[i] = clampf(c * llr[i], -SIM_FEAT_LLR_CLIP, SIM_FEAT_LLR_CLIP);
}

void sim_feat_llr_from_logits(size_t n, const float *logit, float *llr)
{
    for (size_t i = 0; i < n; i++) llr[i] = -logit[i];
}
