/* Private to nn/ (and its white-box tests): the layer interface, activation pairs, the small
 * matrix kernels, memory, random numbers and file helpers. */
#ifndef NN_INTERNAL_H
#define NN_INTERNAL_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nn_error.h"
#include "nn_file.h"
#include "nn_net.h"

#ifdef __GNUC__
#define NN_INLINE static inline __attribute__((always_inline))
#else
#define NN_INLINE static inline
#endif

/* ---- memory ---------------------------------------------------------------------------- */

/* Alignment of every float block: one AVX-512 vector, one cache line. */
#define NN_ALIGN 64

/* Allocates count floats aligned to NN_ALIGN, zeroed; NULL on failure or overflow. Every
 * allocation of nn/ goes through nn_alloc_bytes(), which counts them, so tests can show that
 * training steps and inference allocate nothing. */
float *nn_alloc_floats(size_t count);
void *nn_alloc_bytes(size_t bytes);
void nn_free(void *p);

/* Number of allocations made by nn/ so far (all threads). */
uint64_t nn_alloc_count(void);

/* count rounded up to a whole number of NN_ALIGN-byte lines of floats. */
size_t nn_round_floats(size_t count);

/* ---- random numbers (initialisation only) --------------------------------------------- */

/* splitmix64: a 64-bit counter through a bijective mixer; enough for initial weights. */
typedef struct {
    uint64_t state;
} nn_rng;

nn_rng nn_rng_seed(uint64_t seed, uint64_t stream);
uint64_t nn_rng_u64(nn_rng *rng);
double nn_rng_uniform(nn_rng *rng); /* in (0, 1) */
double nn_rng_normal(nn_rng *rng);  /* standard normal (Box–Muller) */

/* ---- activations: each a pair {f, f'} ------------------------------------------------- */

/* An activation as the pair the backward rule needs. f' is written as a function of the
 * output y = f(z) — every activation here allows it — so a dense layer caches only its
 * output z^t. */
typedef struct {
    const char *name;
    void (*f)(size_t count, float *z);                      /* z ← f(z), in place */
    void (*df)(size_t count, const float *y, float *delta); /* δ ← δ ⊙ f'(z), y = f(z) */
} nn_activation;

/* The pair of kind act, or NULL for an unknown kind. */
const nn_activation *nn_activation_of(nn_act act);

/* Fast float e^x for −87.3 ≤ x ≤ 88 (inputs beyond are clamped to those bounds, NaN stays NaN),
 * relative error below 3e-7; inline plain C that the compiler vectorises in the loops using
 * it. */
NN_INLINE float nn_expf(float x)
{
    /* e^x = 2^n e^r with n = round(x / ln 2) and |r| ≤ ln2/2; ln 2 is split in two (Cody and
     * Waite) so that n·ln2_hi is exact and r keeps its low bits. The degree-7 Taylor polynomial
     * of e^r has a truncation error below 5.2e-9 on that interval. */
    const float log2e = 1.44269504088896341f, ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
    const float shifter = 0x1.8p23f;    /* adding it rounds to an integer in the low bits */
    float xc = x > -87.3f ? x : -87.3f; /* NaN becomes a bound here, so the int cast is defined */
    xc = xc < 88.0f ? xc : 88.0f;
    float t = xc * log2e + shifter;
    float n = t - shifter;
    float r = (xc - n * ln2_hi) - n * ln2_lo;
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t biased = ((int32_t)n + 127) * (1 << 23);
    float scale;
    memcpy(&scale, &biased, sizeof scale);
    return x == x ? p * scale : x; /* NaN in, NaN out */
}

/* log(1 + t) for t in [0, 1], relative error below 3e-7, inline and vectorisable. */
NN_INLINE float nn_log1pf_unit(float t)
{
    /* log(1 + t) = 2 atanh(s) = 2 Σ s^(2j+1)/(2j+1) with s = t/(2 + t) ≤ 1/3: no cancellation
     * for small t, and the series after the u^7 term (u = s² ≤ 1/9) is below 1.4e-9. */
    float s = t / (2.0f + t);
    float u = s * s;
    float p = 1.0f / 15;
    p = p * u + 1.0f / 13;
    p = p * u + 1.0f / 11;
    p = p * u + 1.0f / 9;
    p = p * u + 1.0f / 7;
    p = p * u + 1.0f / 5;
    p = p * u + 1.0f / 3;
    p = p * u + 1.0f;
    return 2.0f * s * p;
}

/* ---- layers ----------------------------------------------------------------------------- */

typedef struct nn_layer nn_layer;

/* What one call passes a layer besides its input and output. */
typedef struct {
    float *scratch;      /* the layer's scratch in the workspace (see nn_layer) */
    const float *target; /* loss layers: the targets, n × n_in */
    int training;        /* nonzero in the network's training workspace */
    const float *side;   /* the layer's side input for these n samples, or NULL */
} nn_pass;

/* A layer kind: a small table of operations. forward computes z = g(z_prev) for n samples
 * and caches in p->scratch what backward needs beyond z_prev and z. backward receives the
 * message δ (n × n_out, which it may overwrite), writes δ_prev = (∂g/∂z_prev)ᵀ δ (skipped
 * when delta_prev is NULL: the first layer) and adds Σ_n δ_n ∂g_n/∂θ to l->grad. */
typedef struct {
    const char *name;
    void (*forward)(const nn_layer *l, const nn_pass *p, size_t n, const float *z_prev, float *z);
    void (*backward)(const nn_layer *l, const nn_pass *p, size_t n, const float *z_prev,
                     const float *z, float *delta, float *delta_prev);
    void (*destroy)(nn_layer *l);
} nn_layer_ops;

struct nn_layer {
    const nn_layer_ops *ops;
    nn_layer_spec spec;        /* the description it was built from */
    size_t n_in, n_out;        /* N_(t-1), N_t */
    size_t n_param;            /* |θ^t| */
    size_t param_offset;       /* θ^t = net params + param_offset */
    float *theta;              /* view of θ^t in the network's parameter block */
    float *grad;               /* view of ∂L/∂θ^t in the gradient block */
    const nn_activation *act;  /* dense: the pair {f, f'} */
    size_t scratch_per_sample; /* floats of scratch per sample of the batch */
    size_t scratch_fixed;      /* floats of scratch independent of the batch */
    size_t scratch_train;      /* further floats in training workspaces only */
    void *state;               /* kind-specific, released by ops->destroy */
};

/* Fill in ops, n_out, n_param and the scratch sizes of layer `index` from l->spec and l->n_in;
 * return NN_EINVAL (with a message naming the layer) on a bad description. */
int nn_dense_setup(nn_layer *l, size_t index);
int nn_power_norm_setup(nn_layer *l, size_t index);
int nn_noise_setup(nn_layer *l, size_t index);
int nn_loss_setup(nn_layer *l, size_t index);
int nn_custom_setup(nn_layer *l, size_t index);
int nn_cmul_setup(nn_layer *l, size_t index);

/* Layer i of net (white-box tests may swap a layer's pair or ops to show that the gradient
 * check catches a wrong derivative). */
nn_layer *nn_net_layer(nn_net *net, size_t i);

/* Draws a dense layer's parameters: W by rule init from rng, b = 0. */
void nn_dense_init(const nn_layer *l, nn_rng *rng, nn_init init);

/* ---- matrix kernels (row-major, batch-major) -------------------------------------------- */

/* z[m×n] = f(a[m×k]·w[k×n] + 1·bᵀ) with f the first of the pair act (the built-in ReLU, leaky
 * ReLU and identity are applied in registers). */
void nn_mm_forward(size_t m, size_t n, size_t k, const float *a, const float *w, const float *b,
                   const nn_activation *act, float *z);

/* dw[k×n] += a[m×k]ᵀ·delta[m×n] and db[n] += Σ_rows delta. scratch: nn_mm_grad_scratch(n, k)
 * floats. */
void nn_mm_grad(size_t m, size_t n, size_t k, const float *a, const float *delta, float *dw,
                float *db, float *scratch);
size_t nn_mm_grad_scratch(size_t n, size_t k);

/* delta_prev[m×k] = delta[m×n]·w[k×n]ᵀ. scratch: nn_mm_backprop_scratch(n, k) floats. */
void nn_mm_backprop(size_t m, size_t n, size_t k, const float *delta, const float *w,
                    float *delta_prev, float *scratch);
size_t nn_mm_backprop_scratch(size_t n, size_t k);

/* ---- files ------------------------------------------------------------------------------ */

/* CRC-32 (IEEE, reflected polynomial 0xEDB88320) of data[0..n) continuing from crc (0 to
 * start). */
uint32_t nn_crc32(uint32_t crc, const void *data, size_t n);

/* Atomic files (nn_atomic_open, commit, abort) are public: nn_file.h. */

/* Writing the little-endian binary files (models, checkpoints) with a running CRC-32 of every
 * byte written. */
typedef struct {
    FILE *f;
    uint32_t crc;
} nn_writer;

void nn_put_bytes(nn_writer *w, const void *p, size_t n);
void nn_put_u32(nn_writer *w, uint32_t v);
void nn_put_u64(nn_writer *w, uint64_t v);
/* n floats as their IEEE bits, little-endian, through a small buffer. */
void nn_put_floats(nn_writer *w, size_t n, const float *v);
/* A u32 length, then the bytes (no terminator). */
void nn_put_string(nn_writer *w, const char *s);

#endif
