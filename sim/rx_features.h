/* What a learned receiver sees: its input features, built from a frame, and its LLRs, read from
 * the network's output.
 *
 * The features are the statistics a coherent or pilot-aided detector forms from its
 * observations, so that a small ReLU network can represent the detector at every SNR:
 *
 *   eq (perfect CSI or AWGN), per symbol, 3 features: c·[Re m, Im m, g] with the matched filter
 *     output m = y conj(h) / n0 and the symbol's SNR g = |h|^2 / n0. The exact LLR of any
 *     constellation is a function of (m, g) alone: -|y - h s|^2 / n0 = 2 Re(conj(s) m) - |s|^2 g
 *     plus a term common to all s, so each LLR is a difference of two log-sum-exps of functions
 *     linear in the features, and max-log is piecewise linear in them.
 *   pilot (one pilot per block of N, no CSI), per data symbol, 8 features:
 *     [Re z, Im z, log10 p, c·p, c·Re q, c·Im q, c·e, log10(1/n0)] with y_p the observation of
 *     the block's pilot, z = y / y_p the symbol seen through it (each part clamped to
 *     +-SIM_FEAT_CLAMP), p = |y_p|^2 / n0 the pilot's SNR, q = y conj(y_p) / n0 and
 *     e = |y|^2 / n0. For block Rayleigh fading the exact log-likelihood of data symbol x is
 *     (p + 2 Re(conj(x) q) + |x|^2 e) / (n0 + 1 + |x|^2) - log(n0 + 1 + |x|^2) plus a term
 *     common to all x: linear in (p, q, e) for each x, with weights set by n0. z and log10 p
 *     carry the same information scale-free, so that deep fades, where the linear statistics
 *     are tiny, are still resolved. Least squares decides on z by distance to the points, which
 *     the network must match (for QPSK it is already the optimal bit detector) or beat.
 *
 *   pilot_window (pilots with Doppler-correlated fading, where h drifts between pilots), per
 *     data symbol at position j of its block, 12 features: the 8 of pilot, then
 *     [Re u, Im u, log10(|g|^2 / n0), j/N] with g = y_p + (j/N)(y_p - y_prev) the gain
 *     extrapolated from the block's pilot and the previous block's pilot y_prev, and u = y / g
 *     clamped like z. The window of two pilots lets the network follow the drift that least
 *     squares, holding the block's pilot, does not.
 *
 * c is the model's feature scale, fixed at training (1 / the mean Es/N0 of its SNR range,
 * stored in the model) so that the inputs are of order one.
 *
 * The network's outputs are one logit per bit trained with sigmoid binary cross-entropy on the
 * bit, so a logit is log P(b=1)/P(b=0) and llr = -logit in the project's convention. */
#ifndef SIM_RX_FEATURES_H
#define SIM_RX_FEATURES_H

#include <complex.h>
#include <stddef.h>

#include "channel.h"

typedef enum {
    SIM_FEAT_EQ,
    SIM_FEAT_PILOT,
    SIM_FEAT_PILOT_WINDOW,
    SIM_FEAT_OFDM, /* a whole OFDM frame, pilots and data, Re and Im of each position: one
                      sample a frame (width 2 frame, not per symbol: sim_feat_width gives 0) */
} sim_feat_layout;

/* The layout's name in model files ("eq", "pilot", "pilot_window"). */
const char *sim_feat_name(sim_feat_layout layout);

/* Equalised symbols beyond this (deep fades) carry no more information about the point. */
#define SIM_FEAT_CLAMP 8.0f

/* Features per sample: 3 (eq), 8 (pilot) or 12 (pilot_window). */
size_t sim_feat_width(sim_feat_layout layout);

/* eq features of n symbols into x[n * 3]: y[n], h[n] (NULL for h = 1), n0[n], scale c. */
void sim_feat_eq(size_t n, const float complex *y, const float complex *h, const float *n0,
                 float c, float *x);

/* pilot or pilot_window features of the data symbols of nblocks frames of the single-carrier
 * pattern `pilots` (one pilot a frame of N symbols; position j/N is the data symbol's place in
 * it) into x[nblocks * n_data * width]: y[nblocks * N] the frames as received, the observation
 * of the pilot before the first frame (prev_pilot; NULL when there is none, and then the first
 * frame's own stands in), the noise variance n0_block[nblocks] of each frame, scale c. */
void sim_feat_pilot(sim_feat_layout layout, const ch_pilots *pilots, size_t nblocks,
                    const float complex *y, const float complex *prev_pilot,
                    const float *n0_block, float c, float *x);

/* A learned decoder's features: channel LLRs times the model's scale c, each clipped to
 * +-SIM_FEAT_LLR_CLIP (a sure bit's LLR tells no more beyond it), x[i] for i < n. */
#define SIM_FEAT_LLR_CLIP 20.0f
void sim_feat_llr_scaled(size_t n, const float *llr, float c, float *x);

/* LLRs from logits: llr[i] = -logit[i], i < n (in place allowed). */
void sim_feat_llr_from_logits(size_t n, const float *logit, float *llr);

#endif
