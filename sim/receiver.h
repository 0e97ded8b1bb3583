/* Detectors: the receiver's stage of a link (stage.h), classical or learned behind one interface.
 *
 * Two kinds of channel knowledge (sim_link.pilot_spacing):
 *   perfect CSI: the detector is given the true gain h of every symbol (frame y_data, h_data);
 *   pilots: a pilot leads every block of N symbols and no receiver is given h. The classical
 *     detectors demap coherently with the gains of the least-squares stage before them
 *     (sim_stage_ls, h_ls = y_p / CH_PILOT); the learned one sees the pilot's observation
 *     beside each data symbol (rx_features.h) and detects without an explicit estimate.
 *
 * A detector declares what it is (SIM_STAGE_COHERENT, SIM_STAGE_INPHASE_ONLY), so that the chain
 * can place an estimator before it and the channel can leave out noise it ignores. */
#ifndef SIM_RECEIVER_H
#define SIM_RECEIVER_H

#include <stdbool.h>

#include "channel.h"
#include "nn.h"

#include "link.h"
#include "stage.h"

/* The detector of link (link->rx, with its model for SIM_RX_NN): modem and pilots (NULL for
 * perfect CSI) are borrowed and must outlive it. NULL with a message (sim_last_error) when the
 * model cannot be loaded or was made for another link (SIM_EMODEL: the message says what
 * differs), or when out of memory. */
sim_stage *sim_detector_create(const sim_link *link, const ch_modem *modem,
                               const ch_pilots *pilots);

/* The detector's name for reports ("maxlog", "nn (model.bin)", "maxlog, LS pilots"). */
const char *sim_detector_name(const sim_stage *det);

/* The decoder of a coded link (link->code, with its model for SIM_DEC_NN) for code (borrowed).
 * soft: the detector before it gives LLRs (otherwise its hard decisions are read as LLRs of +-1,
 * and every decoder decides on Hamming distance). NULL with a message when the model cannot be
 * loaded or was made for another code, or when out of memory. */
sim_stage *sim_decoder_create(const sim_link *link, const ch_code *code, bool soft);

/* The decoder's name for reports ("ml", "scl:8", "nn (dec.model)"). */
const char *sim_decoder_name(const sim_stage *dec);

/* The value of key in a learned decoder's model metadata, or NULL. */
const char *sim_decoder_model_meta(const sim_stage *dec, const char *key);

/* Widest hidden layer of a model sim loads: twice train's --hidden limit (4096) and above the
 * learned OFDM receiver's widest (4 D + 2 F <= 6144 for frames of F <= 1024 positions, D of
 * them data); the input and output widths are the link's. A wider layer makes a run of hours
 * from a file, not from a model train makes. */
#define SIM_MODEL_MAX_HIDDEN 8192u

/* Bounds of a model's feature_scale c = n0 at the middle of its training range: Eb/N0 from -20
 * to 60 dB at 1 to 8 bits a symbol and a rate down to about 1e-4 keep it within them. */
#define SIM_MODEL_MIN_SCALE 1e-9
#define SIM_MODEL_MAX_SCALE 1e9

/* SIM_OK, or SIM_EMODEL with a message naming path when a hidden layer of net is wider than
 * SIM_MODEL_MAX_HIDDEN. */
int sim_model_check_width(const nn_net *net, const char *path);

/* Loads link->model for a learned stage of n_in inputs and n_out outputs: the network, its
 * metadata (checked against the link: sim_link_check_model) and its feature scale. SIM_OK, or
 * SIM_EIO or SIM_EMODEL with a message; what was loaded is the caller's to destroy either way. */
int sim_model_load(const sim_link *link, size_t n_in, size_t n_out, nn_net **net,
                   nn_meta **meta, float *scale);

/* The value of key in a learned detector's model metadata (the link it was trained for:
 * "ebn0_db", "channel_detail", ...), or NULL (no model, or no such key). */
const char *sim_detector_model_meta(const sim_stage *det, const char *key);

#endif
