/* The training loop: minibatches from a caller's sample source, optimizer steps, validation
 * every K steps and a learning-curve table. */
#ifndef NN_TRAIN_H
#define NN_TRAIN_H

#include <stddef.h>
#include <stdint.h>

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
} nn_train_config;

/* What a training run achieved. */
typedef struct {
    uint64_t steps;       /* steps done */
    nn_train_row last;    /* the last row */
    double best_val_loss; /* smallest validation loss of all rows */
} nn_train_result;

/* Trains net with opt (made for nn_net_n_params(net) parameters): for each step, zero
 * gradients → draw a batch → forward → loss → backward → optimizer step. Before the first step
 * the validation set is drawn and its loss recorded as row 0; then a row is recorded every
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
