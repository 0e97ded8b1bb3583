/* Training checkpoints: everything nn_train needs to continue a run bit for bit — the caller's
 * configuration as key/value pairs, the step, the partial loss sum of the current row, the
 * learning curve so far, the parameters and the optimizer's state (README: File formats).
 *
 * File layout (little-endian):
 *     magic          8 bytes  "BSIMCK\r\n"
 *     version        u32      NN_CHECKPOINT_VERSION
 *     n_meta         u32      key/value pairs (limits as in model files, keys unique)
 *     n_meta times:  u32 key length, key bytes, u32 value length, value bytes
 *     step           u64      optimizer steps done
 *     loss_count     u64      steps since the last row (step − the last row's step)
 *     loss_sum       f64      sum of their training losses (finite)
 *     n_rows         u32      rows of the learning curve (1 .. NN_CHECKPOINT_MAX_ROWS)
 *     n_rows times:  u64 step, f64 train_loss, f64 val_loss, f64 lr (row 0 at step 0, steps
 *                    increasing; train_loss finite but row 0's may be nan; val_loss, lr finite)
 *     n_params       u64      parameters (≥ 1)
 *     params         f32 × n_params, finite, |x| ≤ NN_MODEL_MAX_PARAM
 *     optimizer      u32      1 SGD, 2 Adam
 *     t              u64      its steps (= step)
 *     beta1_t        f64      β1^t (Adam; 1 for SGD), in [0, 1]
 *     beta2_t        f64      β2^t, in [0, 1]
 *     m              f32 × n_params (first moment or velocity), finite
 *     v              f32 × n_params (Adam only: second moment), finite and ≥ 0
 *     crc            u32      CRC-32 of every byte before it; the file ends there
 */
#ifndef NN_CHECKPOINT_H
#define NN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "nn_model.h"
#include "nn_net.h"
#include "nn_optim.h"
#include "nn_train.h"

#define NN_CHECKPOINT_VERSION 1u
#define NN_CHECKPOINT_MAX_ROWS 1000000u
#define NN_CHECKPOINT_MAX_BYTES ((uint64_t)1 << 32)

struct nn_checkpoint {
    nn_meta *meta; /* the caller's configuration */
    uint64_t step, loss_count;
    double loss_sum;
    nn_train_row *rows;
    size_t n_rows;
    size_t n_params;
    float *params;
    nn_optim_state optim; /* m and v point at the checkpoint's own arrays */
};

/* Writes a checkpoint of a run at progress p (nn_train's on_step view) atomically to path.
 * NN_EIO naming the path, NN_EINVAL. */
int nn_checkpoint_save(const char *path, const nn_meta *meta, const nn_net *net,
                       const nn_optim *opt, const nn_train_progress *p);

/* Reads and checks a checkpoint (every field and size, the CRC, before it allocates from a
 * field). NULL with a one-line message naming the file and the fault (nn_last_error). */
nn_checkpoint *nn_checkpoint_load(const char *path);

/* The same from size bytes in memory, `name` standing for the file in messages. */
nn_checkpoint *nn_checkpoint_parse(const unsigned char *data, size_t size, const char *name);

void nn_checkpoint_destroy(nn_checkpoint *c);

/* Copies the parameters into net and the state into opt: NN_EINVAL if they were made for
 * another number of parameters or another optimizer. */
int nn_checkpoint_restore(const nn_checkpoint *c, nn_net *net, nn_optim *opt);

#endif
