/* Model files (README: File formats) and their key/value metadata.
 *
 * Format, version 1, every integer little-endian:
 *
 *     magic          8 bytes  "BSIMNN\r\n" (the CR LF catches text-mode mangling)
 *     version        u32      1
 *     n_meta         u32      key/value pairs (≤ NN_META_MAX_PAIRS)
 *     n_meta times:  u32 key length (1 .. NN_META_MAX_KEY), key bytes,
 *                    u32 value length (≤ NN_META_MAX_VALUE), value bytes (no NUL bytes)
 *     n_in           u32      input width N_0
 *     n_layers       u32      1 .. NN_MAX_LAYERS
 *     n_layers times: u32 kind (nn_layer_kind), u32 n_out, u32 code (dense: nn_act;
 *                    loss: nn_loss; others 0), f32 value (noise: σ; others 0),
 *                    u32 n_param (dense: n_in·n_out + n_out; others 0)
 *     n_param        u64      total parameters, the sum of the layers'
 *     params         n_param × f32, the network's parameter block (per dense layer W row-major
 *                    n_in × n_out, then b), each finite and of magnitude ≤ NN_MODEL_MAX_PARAM
 *     crc            u32      CRC-32 (IEEE 802.3, as zlib's crc32) of every byte before it
 *
 * The file is written to a temporary name in the same directory and renamed. */
#ifndef NN_MODEL_H
#define NN_MODEL_H

#include <stddef.h>

#include "nn_net.h"

/* Limits of the key/value section, checked on save and on load. */
#define NN_META_MAX_PAIRS 256u
#define NN_META_MAX_KEY 256u
#define NN_META_MAX_VALUE 65536u

/* Largest magnitude of a stored parameter or noise σ. Training keeps far below it (Adam moves a
 * weight by about the learning rate, below 1, a step; trained receivers hold weights of order 1
 * to 100), and a float beyond it (up to 3.4e38, still finite) would overflow the activations it
 * feeds: such a file is damaged or made by hand, and refused. */
#define NN_MODEL_MAX_PARAM 1e6f

/* The current model file format version. */
#define NN_MODEL_VERSION 1u

/* An ordered set of string key/value pairs (keys unique), e.g. the link a model was trained for:
 * modulation, channel, input features, SNR range. */
typedef struct nn_meta nn_meta;

/* Creates an empty set; NULL on allocation failure. */
nn_meta *nn_meta_create(void);

/* Destroys a set; NULL is a no-op. */
void nn_meta_destroy(nn_meta *meta);

/* Sets key to value (both copied), replacing an existing value of that key. Returns NN_EINVAL
 * on an empty or too long key, a too long value, or too many pairs; NN_ENOMEM. */
int nn_meta_set(nn_meta *meta, const char *key, const char *value);

/* The value of key, owned by meta and valid until it changes; NULL if absent. */
const char *nn_meta_get(const nn_meta *meta, const char *key);

/* Number of pairs. */
size_t nn_meta_count(const nn_meta *meta);

/* Key and value of pair i (in insertion order), or NULL if i is out of range. */
const char *nn_meta_key(const nn_meta *meta, size_t i);
const char *nn_meta_value(const nn_meta *meta, size_t i);

/* Saves net (layers and parameters) and meta (may be NULL) to path, atomically. Noise layers
 * keep σ but not their callbacks. Returns NN_EIO on a write failure (the file is then left as
 * it was), NN_EINVAL on a meta set that exceeds the limits. */
int nn_model_save(const char *path, const nn_net *net, const nn_meta *meta);

/* Loads a model: returns a network with training batches of up to max_batch samples and, if
 * meta is not NULL, its key/value set in *meta (the caller destroys both). Every field and size
 * is checked before anything is allocated from it. Returns NULL with a one-line message (see
 * nn_last_error()) naming the file and the fault on a file that is missing (NN_EIO), not a
 * model (NN_EFORMAT), of another version (NN_EVERSION), truncated (NN_ETRUNC), beyond the
 * limits (NN_ELIMIT), inconsistent (NN_EFORMAT) or corrupted (NN_ECRC); nn_last_status() gives
 * that code. */
nn_net *nn_model_load(const char *path, size_t max_batch, nn_meta **meta);

#endif
