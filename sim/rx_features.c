#include "rx_features.h"

#include <math.h>
#include <string.h>

static const char *const layout_names[] = {[SIM_FEAT_EQ] = "eq", [SIM_FEAT_PILOT] = "pilot"};

const char *sim_feat_name(sim_feat_layout layout)
{
    return layout_names[layout];
}

int sim_feat_parse(const char *name, sim_feat_layout *layout)
{
    for (size_t i = 0; i < sizeof layout_names / sizeof layout_names[0]; i++)
        if (strcmp(name, layout_names[i]) == 0) {
            *layout = (sim_feat_layout)i;
            return 0;
        }
    return -1;
}

size_t sim_feat_width(sim_feat_layout layout)
{
    return layout == SIM_FEAT_EQ ? 3 : 5;
}

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* SNR in bels, the scale at which a network input of order one spans 0 to 60 dB. */
static float snr_bels(float snr)
{
    return clampf(log10f(snr > 1e-30f ? snr : 1e-30f), -3.0f, 6.0f);
}

void sim_feat_eq(size_t n, const float complex *y, const float complex *h, const float *n0,
                 float *x)
{
    for (size_t i = 0; i < n; i++) {
        float complex hi = h ? h[i] : 1.0f;
        float g = crealf(hi) * crealf(hi) + cimagf(hi) * cimagf(hi);
        float complex z = g > 0 ? y[i] * conjf(hi) / g : 0;
        x[3 * i] = clampf(crealf(z), -SIM_FEAT_CLAMP, SIM_FEAT_CLAMP);
        x[3 * i + 1] = clampf(cimagf(z), -SIM_FEAT_CLAMP, SIM_FEAT_CLAMP);
        x[3 * i + 2] = snr_bels(g / n0[i]);
    }
}

void sim_feat_pilot(size_t nblocks, unsigned spacing, const float complex *y,
                    const float *n0_block, float *x)
{
    for (size_t b = 0; b < nblocks; b++) {
        const float complex *yb = y + b * spacing;
        float s = snr_bels(1.0f / n0_block[b]);
        for (unsigned j = 1; j < spacing; j++) {
            float *row = x + 5 * (b * (spacing - 1) + j - 1);
            row[0] = crealf(yb[0]);
            row[1] = cimagf(yb[0]);
            row[2] = crealf(yb[j]);
            row[3] = cimagf(yb[j]);
            row[4] = s;
        }
    }
}

void sim_feat_llr_from_logits(size_t n, const float *logit, float *llr)
{
    for (size_t i = 0; i < n; i++) llr[i] = -logit[i];
}
