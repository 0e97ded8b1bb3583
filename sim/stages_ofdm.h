/* The stages of OFDM links (stages_ofdm.c): they take the link's OFDM description. */
#ifndef SIM_STAGES_OFDM_H
#define SIM_STAGES_OFDM_H

#include "link.h"
#include "stage.h"

/* The OFDM channel: the pilot grid's frames (f->s) through inverse FFT, prefix, clipping,
 * multipath, frequency offset, noise of variance f->n0[0] and the receiver's FFT into f->y, the
 * true response into f->h. NULL with a message. */
sim_stage *sim_stage_ofdm_channel(const sim_link *link);

/* The estimator of link->ofdm.est over the pilot grid (borrowed): y_data, h_data (estimate or, for
 * perfect, the true response) and n0_data (noise plus the estimate's analytic MSE) of each data
 * symbol. NULL with a message. */
sim_stage *sim_stage_ofdm_est(const sim_link *link, const ch_pilots *pilots);

#endif
