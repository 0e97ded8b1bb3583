/* Networks: a stack of layers z^t = g^t(z^(t-1), θ^t), t = 1..T, whose last layer is the loss
 * (README: Design). Values are float32 matrices stored batch-major: n samples of width N_t are n
 * rows of N_t floats, row after row.
 *
 * Training reads like the algorithm:
 *
 *     nn_net_zero_grad(net);                      gradients ← 0
 *     nn_net_forward(net, n, x);                  z^1 .. z^(T-1), each layer caching its Jacobian
 *     nn_net_loss(net, y, &loss);                 z^T: the loss, mean over the batch
 *     nn_net_backward(net);                       δ^(T-1) .. δ^0, gradients += Σ_n δ_n ∂g_n/∂θ
 *     nn_optim_step(opt, nn_net_params(net), nn_net_grads(net));
 *
 * Thread safety: a network's parameters are only read by inference, so several threads may run
 * nn_net_infer() and nn_net_eval_loss() on the same network at once, each with its own
 * nn_workspace (made once per thread; no call allocates). Training (forward, loss, backward,
 * zero_grad, optimizer steps, nn_net_set_noise) uses the network's own workspace and gradient
 * block and must not run concurrently with anything else on that network. A noise layer calls
 * its sample callback from every thread that runs through it; that callback must then be
 * thread-safe.
 *
 * Products: builds for AVX-512 (the default -march=native on such CPUs) run the dense layers on
 * nn/'s own register-tiled kernels; other builds call cblas_sgemm. With OpenBLAS, call
 * nn_blas_set_threads(1) once at start: these layers are too small for OpenBLAS's own threads
 * to pay (they make small products several times slower), and a caller's threads would each
 * start more. */
#ifndef NN_NET_H
#define NN_NET_H

#include <stddef.h>
#include <stdint.h>

/* Activation f of a dense layer, y = f(z). The numbers are stored in model files. */
typedef enum {
    NN_ACT_IDENTITY = 0,   /* f(z) = z: logits, regression outputs */
    NN_ACT_RELU = 1,       /* f(z) = max(z, 0) */
    NN_ACT_LEAKY_RELU = 2, /* f(z) = z for z > 0, NN_LEAKY_SLOPE·z otherwise */
    NN_ACT_TANH = 3,       /* f(z) = tanh z */
    NN_ACT_SIGMOID = 4,    /* f(z) = 1 / (1 + e^-z) */
} nn_act;

/* Slope of the leaky ReLU for negative inputs. */
#define NN_LEAKY_SLOPE 0.01f

/* Losses. Each sample's loss is summed over its K outputs; the network's loss is the mean over
 * the batch. The target of every loss is an n × K float matrix. The numbers are stored in model
 * files. */
typedef enum {
    /* Softmax with cross-entropy on logits x: ℓ = logΣ_k e^(x_k) · Σ_k y_k − Σ_k y_k x_k, y a
     * probability row (usually one-hot). Computed with the maximum subtracted. */
    NN_LOSS_SOFTMAX_CE = 1,
    /* Sigmoid with binary cross-entropy on logits x, targets y in [0, 1] (bits as 0.0/1.0):
     * ℓ = Σ_k max(x_k, 0) − x_k y_k + log(1 + e^(−|x_k|)), finite for every finite x. */
    NN_LOSS_SIGMOID_BCE = 2,
    /* Squared error ℓ = Σ_k (x_k − y_k)²: the mean squared error when K = 1. */
    NN_LOSS_MSE = 3,
} nn_loss;

/* Layer kinds. The numbers are stored in model files. */
typedef enum {
    NN_LAYER_DENSE = 1,      /* z = f(z_prev·W + b), W: N_(t-1) × N_t, b: N_t */
    NN_LAYER_POWER_NORM = 2, /* z = z_prev / sqrt(P): unit mean power of the batch's (I,Q) pairs
                                (1/2 per real; an odd width is allowed) */
    NN_LAYER_NOISE = 3,      /* z = z_prev + σ·w, w standard normal from a callback (AWGN) */
    NN_LAYER_LOSS = 4,       /* the loss; the last layer, one output per sample */
    NN_LAYER_CUSTOM = 5,     /* z = g(z_prev, s): forward and backward supplied by the caller
                                (nn_custom_ops), no parameters; not stored in model files */
    NN_LAYER_CMUL = 6,       /* complex products: input [u | v | w] with u, v of `pairs` (Re, Im)
                                pairs and w the rest; z = [u·conj(f(v)) | |f(v)|² | w], f the
                                activation act on each real of v; no parameters (nn_cmul.c) */
} nn_layer_kind;

/* Fills w[0..count) with independent standard normal samples for a noise layer. user is the
 * pointer given with the callback. It may be called from every thread that runs the layer. */
typedef void (*nn_noise_fn)(void *user, size_t count, float *w);

/* A layer whose derivation the caller supplies, so that something nn/ knows nothing of — a
 * channel between a learned transmitter and a learned receiver — can be one of the g^t:
 *
 *     forward : z = g(z_prev, s)                      n samples; s: the layer's side input
 *     backward: δ_prev = (∂g/∂z_prev)ᵀ δ              the message to the layer below
 *
 * s is n × side_width floats per call (nn_net_set_side, nn_workspace_set_side), e.g. a noise
 * level or a channel gain per sample; it is an input, not a parameter, and receives no
 * gradient. The layer has no parameters. forward may cache per-sample values in cache
 * (n × cache_per_sample floats, the same memory in the backward of that pass), e.g. the noise it
 * drew. Both run on the caller's threads: with inference from several threads, forward must be
 * thread-safe for one user pointer. */
typedef struct {
    const char *name;
    void (*forward)(void *user, size_t n, size_t n_in, size_t n_out, const float *side,
                    const float *z_prev, float *z, float *cache);
    void (*backward)(void *user, size_t n, size_t n_in, size_t n_out, const float *side,
                     const float *z_prev, const float *z, const float *cache, const float *delta,
                     float *delta_prev);
    size_t cache_per_sample; /* floats of cache per sample */
} nn_custom_ops;

/* Description of one layer; fields not used by its kind are ignored. */
typedef struct {
    nn_layer_kind kind;
    size_t n_out;      /* dense: output width N_t (1 .. NN_MAX_WIDTH); custom: likewise, 0 for
                          the input width */
    nn_act act;        /* dense: activation; cmul: f applied to v */
    size_t pairs;      /* cmul: complex numbers m in each of u and v (1 .. n_in/4) */
    nn_loss loss;      /* loss: which loss */
    float sigma;       /* noise: standard deviation per real component, ≥ 0 (with a side input,
                          the factor of each sample's own σ) */
    nn_noise_fn noise; /* noise: the sample source; NULL adds nothing until one is set */
    void *noise_user;  /* noise: passed to the callback */
    size_t side_width; /* noise: 0, or 1 for a σ per sample (z = x + sigma·s_n·w);
                          custom: the floats of side input per sample, 0 for none */
    const nn_custom_ops *custom; /* custom: the operations (borrowed; must outlive the net) */
    void *custom_user;           /* custom: passed to them */
} nn_layer_spec;

/* Limits checked by every constructor and by the model loader. */
#define NN_MAX_WIDTH 65536u   /* units in one layer */
#define NN_MAX_LAYERS 256u    /* layers in one network */
#define NN_MAX_BATCH 1048576u /* samples in one batch */

/* Parameter initialisation of dense layers (biases start at 0). */
typedef enum {
    NN_INIT_AUTO = 0,   /* He for (leaky) ReLU layers, Glorot for the others */
    NN_INIT_HE = 1,     /* W ~ normal(0, 2/N_(t-1)) */
    NN_INIT_GLOROT = 2, /* W ~ uniform(±sqrt(6/(N_(t-1) + N_t))) */
} nn_init;

/* Configuration of a network. */
typedef struct {
    size_t n_in;      /* input width N_0 (1 .. NN_MAX_WIDTH) */
    size_t max_batch; /* largest batch of the training calls (1 .. NN_MAX_BATCH) */
    uint64_t seed;    /* seed of the initial parameters */
    nn_init init;     /* initialisation rule */
    int input_grad;   /* nonzero: nn_net_backward also computes δ^0 = ∂L/∂x */
} nn_net_config;

typedef struct nn_net nn_net;

/* Creates a network of n_layers layers (1 .. NN_MAX_LAYERS) described by layers[0..n_layers),
 * layers[i] being g^(i+1); a loss layer may only come last. Parameters are drawn from cfg->seed.
 * Returns NULL on an invalid description or allocation failure (see nn_last_error()). The
 * workspace for training batches of up to cfg->max_batch samples is allocated here, once. */
nn_net *nn_net_create(const nn_net_config *cfg, size_t n_layers, const nn_layer_spec *layers);

/* Creates a multilayer perceptron: n_dense dense layers of widths[0..n_dense) units with
 * activations acts[0..n_dense), followed by `loss` (0 for none). For a bit demapper:
 * widths {64, 64, 4}, acts {RELU, RELU, IDENTITY}, NN_LOSS_SIGMOID_BCE. Returns NULL on
 * error. */
nn_net *nn_mlp_create(const nn_net_config *cfg, size_t n_dense, const size_t *widths,
                      const nn_act *acts, nn_loss loss);

/* Destroys a network; NULL is a no-op. */
void nn_net_destroy(nn_net *net);

/* Draws every parameter again from seed with rule init. */
void nn_net_init(nn_net *net, uint64_t seed, nn_init init);

/* Input width N_0. */
size_t nn_net_n_in(const nn_net *net);

/* Width of the output of the last layer before the loss (the logits). */
size_t nn_net_n_out(const nn_net *net);

/* Largest training batch of the network's own workspace. */
size_t nn_net_max_batch(const nn_net *net);

/* Number of layers, the loss included. */
size_t nn_net_n_layers(const nn_net *net);

/* One layer's description as built, and where its parameters sit in the flat blocks. */
typedef struct {
    nn_layer_spec spec;  /* as given (n_out filled in for every kind) */
    size_t n_in;         /* N_(t-1) */
    size_t param_offset; /* first parameter in nn_net_params() */
    size_t n_param;      /* dense: W (n_in × n_out, row-major) then b (n_out); others 0 */
} nn_layer_info;

/* Fills *info for layer i (0-based: layer i is g^(i+1)). Returns NN_EINVAL if i is out of
 * range. */
int nn_net_layer_info(const nn_net *net, size_t i, nn_layer_info *info);

/* Number of trainable parameters. */
size_t nn_net_n_params(const nn_net *net);

/* The contiguous parameter block θ (nn_net_n_params() floats), owned by the network. */
float *nn_net_params(nn_net *net);
const float *nn_net_params_const(const nn_net *net);

/* The contiguous gradient block ∂L/∂θ, same layout as the parameters, owned by the network. */
float *nn_net_grads(nn_net *net);

/* Freezes parameters: frozen[i] nonzero keeps parameter i where it is (its gradient is always
 * 0, so no optimizer moves it); frozen is copied. NULL trains every parameter again. For a
 * network whose structure is in its weights: a dense layer that passes some inputs through
 * unchanged, or connects only some inputs to some outputs, keeps the identity and the zeros
 * exactly instead of letting every update stir them. NN_OK or NN_ENOMEM. */
int nn_net_freeze(nn_net *net, const uint8_t *frozen);

/* Sets the gradient block to zero. */
void nn_net_zero_grad(nn_net *net);

/* Forward pass of a training batch through every layer but the loss: x is n × N_0 (copied),
 * 1 ≤ n ≤ max_batch. Each layer caches what its Jacobian needs. Returns NN_EINVAL on a bad
 * n. */
int nn_net_forward(nn_net *net, size_t n, const float *x);

/* The output of the last forward pass: n × nn_net_n_out() floats owned by the network, valid
 * until the next training call. */
const float *nn_net_output(const nn_net *net);

/* The loss layer on the last forward pass: target is n × nn_net_n_out() floats; *loss receives
 * the mean over the batch of the per-sample losses. Returns NN_EINVAL without a loss layer or
 * forward pass. */
int nn_net_loss(nn_net *net, const float *target, double *loss);

/* Backward pass: starting from δ^T = 1/n (the mean), each layer t turns δ^t into
 * δ^(t-1)_n = Σ_n' ∂_n g^t_n'(z^(t-1)) δ^t_n' and adds Σ_n δ^t_n ∂g^t_n/∂θ^t to its gradients
 * (never updating parameters). Returns NN_EINVAL unless nn_net_loss() ran on this forward pass. */
int nn_net_backward(nn_net *net);

/* Backward pass from a message given by the caller: δ = ∂G/∂z at the output of the body (the
 * last layer before the loss; n × nn_net_n_out() floats for the n samples of the last forward
 * pass), for a composite G that goes on outside this network — e.g. a transmitter whose output
 * passes through a channel into another network, whose nn_net_input_grad() is this δ after the
 * channel's own backward. The loss layer, if any, is not used. Each layer then does as in
 * nn_net_backward. Returns NN_EINVAL without a forward pass or delta. */
int nn_net_backward_from(nn_net *net, const float *delta);

/* Sets the side input of layer i (a noise layer with side_width 1, or a custom layer with
 * side_width > 0) for the next training passes: side is n × side_width floats for the n samples
 * of the next nn_net_forward, borrowed until the backward pass that follows it. Returns NN_EINVAL
 * when layer i takes no side input. Not thread-safe: call between steps. */
int nn_net_set_side(nn_net *net, size_t i, const float *side);

/* δ^0 = ∂L/∂x of the last backward pass (n × N_0, owned by the network), or NULL unless the
 * network was created with input_grad. */
const float *nn_net_input_grad(const nn_net *net);

/* Sets the standard deviation and the sample source of noise layer i (the callback may be
 * NULL: the layer then adds nothing). Returns NN_EINVAL if layer i is not a noise layer or
 * sigma is negative or not finite. Not thread-safe: call between steps. */
int nn_net_set_noise(nn_net *net, size_t i, float sigma, nn_noise_fn noise, void *user);

/* Inference workspace: the scratch memory of forward passes of up to max_batch samples through
 * one network, one per thread that runs inference at the same time. */
typedef struct nn_workspace nn_workspace;

/* Creates an inference workspace for net (which must outlive it), 1 ≤ max_batch ≤ NN_MAX_BATCH.
 * Returns NULL on error. */
nn_workspace *nn_workspace_create(const nn_net *net, size_t max_batch);

/* Destroys a workspace; NULL is a no-op. */
void nn_workspace_destroy(nn_workspace *ws);

/* Sets the side input of layer i for the inference calls made with ws: n × side_width floats for
 * the n samples of the next nn_net_infer or nn_net_eval_loss (pieces advance through it like x).
 * Borrowed until then. Returns NN_EINVAL when layer i takes no side input. */
int nn_workspace_set_side(nn_workspace *ws, size_t i, const float *side);

/* Runs every layer but the loss on x (n × N_0) and writes the last one's values (the logits,
 * n × nn_net_n_out()) to out. Any n ≥ 1 is accepted: the batch is processed in pieces of the
 * workspace's max_batch (a power-normalisation layer normalises each piece). Allocates nothing;
 * safe from several threads with one workspace each. Returns NN_EINVAL if ws was made for
 * another network. */
int nn_net_infer(const nn_net *net, nn_workspace *ws, size_t n, const float *x, float *out);

/* Mean loss over n samples (x: n × N_0, target: n × nn_net_n_out()) written to *loss, in pieces
 * like nn_net_infer(). Returns NN_EINVAL without a loss layer. */
int nn_net_eval_loss(const nn_net *net, nn_workspace *ws, size_t n, const float *x,
                     const float *target, double *loss);

/* Number of threads OpenBLAS may use inside one call (1 for single-thread figures and for
 * callers that run networks from their own threads); no effect with another CBLAS. */
void nn_blas_set_threads(int n);

#endif
