/* What a learned receiver sees: its input features, built from a frame, and its LLRs, read from
 * the network's output.
 *
 * Two layouts, stored in the model file so that a model is only used where it was trained:
 *   eq     (coherent, CSI or AWGN) per symbol: [Re z, Im z, s] with the equalised symbol
 *          z = y / h (clamped to |Re|, |Im| <= SIM_FEAT_CLAMP) and s = 10 log10(|h|^2 / n0) / 10,
 *          the symbol's own SNR in bels (clamped to [-3, 6]);
 *   pilot  (no CSI; one pilot per block of N) per data symbol: [Re y_p, Im y_p, Re y, Im y, s]
 *          with y_p the observation of the block's pilot and s = 10 log10(1 / n0) / 10.
 * The network's outputs are one logit per bit trained with sigmoid binary cross-entropy on the
 * bit, so a logit is log P(b=1)/P(b=0) and llr = -logit in the project's convention. */
#ifndef SIM_RX_FEATURES_H
#define SIM_RX_FEATURES_H

#include <complex.h>
#include <stddef.h>

typedef enum {
    SIM_FEAT_EQ,
    SIM_FEAT_PILOT,
} sim_feat_layout;

/* Equalised symbols beyond this (deep fades) carry no more information about the point. */
#define SIM_FEAT_CLAMP 8.0f

/* The layout's name in model files ("eq", "pilot"), and back (0, or -1 on an unknown name). */
const char *sim_feat_name(sim_feat_layout layout);
int sim_feat_parse(const char *name, sim_feat_layout *layout);

/* Features per sample: 3 (eq) or 5 (pilot). */
size_t sim_feat_width(sim_feat_layout layout);

/* eq features of n symbols into x[n * 3]: y[n], h[n] (NULL for h = 1), n0[n]. */
void sim_feat_eq(size_t n, const float complex *y, const float complex *h, const float *n0,
                 float *x);

/* pilot features of the nblocks * (spacing-1) data symbols of nblocks blocks into
 * x[nblocks * (spacing-1) * 5]: y[nblocks * spacing] with each block's pilot first, and the
 * noise variance n0_block[nblocks] of each block. */
void sim_feat_pilot(size_t nblocks, unsigned spacing, const float complex *y,
                    const float *n0_block, float *x);

/* LLRs from logits: llr[i] = -logit[i], i < n (in place allowed). */
void sim_feat_llr_from_logits(size_t n, const float *logit, float *llr);

#endif
