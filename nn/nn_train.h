/* The training loop: minibatches from a caller's sample source, optimizer steps, validation
 * every K steps and a learning-curve table. */
#ifndef NN_TRAIN_H
#define NN_TRAIN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "nn_model.h"
#include "nn_net.h"
#include "nn_optim.h"

/* Fills a batch: x with n × N_0 inputs and y with n × nn_net_n_out() targets (for example
 * fresh channel samples and their bits). Returns 0 on success; any other value stops training
 * with NN_ECALLBACK. */
typedef int (*nn_sample_fn)(void *user, size_t n, float *x, float *y);

/* One row of the learning curve. */
typedef struct {
    uint64_t step;     /* optimizer steps done */
    double train_loss; /* mean training loss of the steps since the previous row */
    double val_loss;   /* loss on the validation set after `step` steps */
    double lr;         /* learning rate of the last of those steps */
} nn_train_row;

/* Where a run is: what on_step sees and what a checkpoint keeps besides the network and the
 * optimizer. */
typedef struct {
    uint64_t step, steps;  /* steps done, of steps */
    double loss_sum;       /* sum of the training losses of the steps since the last row */
    uint64_t loss_count;   /* their number */
    double train_loss;     /* their mean, or the last row's train_loss when there are none */
    double val_loss;       /* the last row's */
    double lr;             /* the rate of the next step */
    const nn_train_row *rows; /* the learning curve so far */
    size_t n_rows;
} nn_train_progress;

typedef struct nn_checkpoint nn_checkpoint; /* nn_checkpoint.h */

/* Configuration of nn_train(). */
typedef struct {
    uint64_t steps;      /* optimizer steps (≥ 1) */
    size_t batch;        /* samples per step (1 .. the network's max_batch) */
    nn_sample_fn source; /* training batches, called once per step */
    void *source_user;
    uint64_t val_every;      /* K ≥ 1: a row every K steps and after the last step */
    size_t val_samples;      /* size of the validation set (≥ 1), drawn once before training */
    nn_sample_fn val_source; /* source of the validation set; NULL: `source` */
    void *val_user;
    const char *curve_path; /* the learning curve as a TSV table; NULL: not written */
    /* metadata of the table, "# key: value" lines: curve_meta[2i] is a key, [2i+1] its value */
    const char *const *curve_meta;
    size_t curve_n_meta; /* number of key/value pairs in curve_meta */
    /* called with each row (may be NULL); a nonzero return stops training with NN_ECALLBACK */
    int (*on_row)(void *user, const nn_train_row *row);
    void *on_row_user;
    /* called after every step (may be NULL); a nonzero return stops training (NN_ECALLBACK) */
    int (*on_step)(void *user, const nn_train_progress *p);
    void *on_step_user;
    /* set asynchronously (a signal): training stops before the next step with NN_ECALLBACK,
       after writing a checkpoint when checkpoint_path is set; may be NULL */
    volatile sig_atomic_t *stop;
    /* a checkpoint (nn_checkpoint.h) written atomically every checkpoint_every steps (0: never
       but on stop) with checkpoint_meta as its configuration; NULL: none */
    const char *checkpoint_path;
    const nn_meta *checkpoint_meta;
    uint64_t checkpoint_every;
    /* continue from this checkpoint (whose parameters and optimizer state the caller restored
       into net and opt, nn_checkpoint_restore): its rows and loss sum are taken, the validation
       set is drawn as always and the source is called for the checkpoint's steps first, the
       batches discarded, so that a deterministic source stands where it stood; NULL: a fresh
       run */
    const nn_checkpoint *resume;
} nn_train_config;

/* What a training run achieved. */
typedef struct {
    uint64_t steps;       /* steps done */
    nn_train_row last;    /* the last row */
    double best_val_loss; /* smallest validation loss of all rows */
} nn_train_result;

/* Trains net with opt (made for nn_net_n_params(net) parameters): for each step, zero
 * gradients → draw a batch → forward → loss → backward → optimizer step. Before the first step
 * the validation set is drawn and its loss recorded as row 0, whose train_loss is the loss of the
 * untrained network on the first training batch (the first step's forward pass; on_row sees row
 * 0 after that step); then a row is recorded every
 * val_every steps and after the last. The table (columns step, train_loss, val_loss, lr) is
 * written atomically to curve_path at the end, and also when training stops on an error, with
 * the rows finished. result may be NULL. Everything is allocated before the first step.
 * Errors: NN_EINVAL (configuration), NN_ENOMEM, NN_ECALLBACK (a callback failed),
 * NN_ENONFINITE (the loss or gradient became NaN or infinite), NN_EIO (the table). */
int nn_train(nn_net *net, nn_optim *opt, const nn_train_config *cfg, nn_train_result *result);

/* Writes rows[0..n_rows) as a TSV learning curve to path through a temporary file and a rename
 * (README: File formats): "# key: value" lines from meta[0..2·n_meta), then the header
 * "step train_loss val_loss lr", then one line per row. Returns NN_EIO on failure. */
int nn_train_write_curve(const char *path, const char *const *meta, size_t n_meta,
                         const nn_train_row *rows, size_t n_rows);

#endif
