/* Private to training (train.c, train_decoder.c): what a learned detector's and a learned
 * decoder's training share. */
#ifndef SIM_TRAIN_INTERNAL_H
#define SIM_TRAIN_INTERNAL_H

#include "train.h"

/* Bounds of the validation set, drawn once before training: it is 1/64 of the samples the run
 * trains on (steps times batch), within these bounds and rounded down to whole batches (at
 * least one). Its 21 passes (step 0 and every steps/20) then cost about a ninth of the
 * training, forward only against forward and backward, whatever the run's length: a fixed
 * 16384 samples was 47% of a 250-step run at width 512. */
#define SIM_TRAIN_VAL_SAMPLES 16384
#define SIM_TRAIN_VAL_SAMPLES_MIN 2048

/* The validation set's size for a run of `steps` steps of `batch` samples. */
size_t sim_train_val_samples(uint64_t steps, size_t batch);

/* Builds the MLP of cfg (n_in inputs, n_out logits, BCE) unless given one (net_given, then
 * owned by the call: destroyed on failure), its metadata (the link and the
 * feature scale), and trains it on batches from draw(src) with validation from draw(val). On
 * success SIM_OK with *net and *meta the caller's; otherwise a status with a message and both
 * NULL. */
int sim_train_run(const sim_train_config *cfg, size_t n_in, size_t n_out, float scale,
                  size_t batch, nn_sample_fn draw, void *src, void *val, nn_net *net_given,
                  nn_net **net, nn_meta **meta);

/* A learned decoder of cfg->link's code (sim_train for a link whose decoder is SIM_DEC_NN). */
int sim_train_decoder(const sim_train_config *cfg, nn_net **net, nn_meta **meta);

/* A learned OFDM receiver of cfg->link (sim_train for an OFDM link). */
int sim_train_ofdm(const sim_train_config *cfg, nn_net **net, nn_meta **meta);

#endif
