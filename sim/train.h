/* Training a learned receiver: fresh channel pairs of one link → features → an MLP with one
 * logit per bit and sigmoid binary cross-entropy, Adam with a cosine learning rate. */
#ifndef SIM_TRAIN_H
#define SIM_TRAIN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "nn.h"

#include "link.h"

#define SIM_TRAIN_MAX_HIDDEN 8

typedef struct {
    const sim_link *link;       /* the link (a built-in modulation); its receiver is ignored */
    double ebn0_lo, ebn0_hi;    /* training Eb/N0 range in dB, drawn uniformly */
    const size_t *hidden;       /* hidden ReLU layer widths (OFDM: of the head, rx_ofdm_net.h) */
    bool ofdm_mlp;              /* OFDM: a plain MLP of widths hidden (Ye, Li and Juang's
                                   network) instead of the unfolded receiver */
    size_t n_hidden;            /* 1 .. SIM_TRAIN_MAX_HIDDEN */
    uint64_t steps, batch, seed;
    double lr;                  /* Adam's rate, cosine-decayed to lr/30 */
    double optimal_loss;        /* set by training, not by callers: the optimal receiver's loss
                                   on the training distribution (0: none), written to the model's
                                   metadata and the learning curve as optimal_loss */
    const char *log;            /* the learning curve table, or NULL */
    int (*on_row)(void *user, const nn_train_row *row); /* progress, or NULL */
    void *on_row_user;
    volatile sig_atomic_t *stop; /* set asynchronously (Ctrl-C): stop before the next step and
                                    fail with SIM_EINTERRUPTED; may be NULL */
    int (*on_step)(void *user, const nn_train_progress *p); /* after every step, or NULL */
    void *on_step_user;
    const char *checkpoint;       /* a checkpoint every checkpoint_every steps and on stop */
    uint64_t checkpoint_every;
    const nn_meta *checkpoint_meta; /* the configuration a checkpoint keeps */
    const nn_checkpoint *resume;  /* continue from this checkpoint (made with the same cfg) */
} sim_train_config;

/* Trains a receiver for cfg. On success returns SIM_OK and the network and its link metadata
 * (for nn_model_save; the caller destroys both); otherwise SIM_EINTERRUPTED when stopped, or
 * another status with a message (sim_last_error). Reproducible for a given seed. */
int sim_train(const sim_train_config *cfg, nn_net **net, nn_meta **meta);

#endif
