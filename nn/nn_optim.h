/* Optimizers, learning-rate schedules and gradient clipping. They work on flat arrays (the
 * network's parameter and gradient blocks) and know nothing of layers. */
#ifndef NN_OPTIM_H
#define NN_OPTIM_H

#include <stddef.h>
#include <stdint.h>

/* Learning-rate schedules: the rate of step t (t = 0, 1, ...) given the base rate lr. */
typedef enum {
    NN_SCHED_CONSTANT = 0, /* lr */
    NN_SCHED_STEP = 1,     /* lr · gamma^floor(t / step_size) */
    NN_SCHED_COSINE = 2,   /* lr_min + (lr − lr_min)(1 + cos(π min(t, total)/total)) / 2 */
} nn_sched_kind;

/* A schedule, optionally preceded by a linear warm-up over the first `warmup` steps
 * (rate × (t + 1)/warmup) which the decay then follows from t = warmup on. */
typedef struct {
    nn_sched_kind kind;
    uint64_t step_size;   /* step decay: steps between decays (≥ 1) */
    double gamma;         /* step decay: factor per decay (0 < gamma ≤ 1) */
    uint64_t total_steps; /* cosine: steps from lr to lr_min (≥ 1) */
    double lr_min;        /* cosine: final rate (0 ≤ lr_min ≤ lr) */
    uint64_t warmup;      /* warm-up steps (0 = none) */
} nn_schedule;

/* The rate of step t under schedule s with base rate lr (s NULL: constant). */
double nn_schedule_lr(const nn_schedule *s, double lr, uint64_t t);

typedef enum {
    NN_OPT_SGD = 1, /* v ← μ v + g, θ ← θ − η v (heavy-ball momentum; μ = 0: plain SGD) */
    NN_OPT_ADAM = 2, /* Adam with bias correction (Kingma & Ba) */
} nn_opt_kind;

/* Configuration of an optimizer; nn_optim_sgd() and nn_optim_adam() give the usual values. */
typedef struct {
    nn_opt_kind kind;
    double lr;           /* base learning rate η > 0 */
    double momentum;     /* SGD: μ in [0, 1) */
    double beta1, beta2; /* Adam: decay of the first and second moments, in [0, 1) */
    double eps;          /* Adam: ε > 0 added to sqrt(v̂) */
    double clip_norm; /* > 0: gradients are scaled so that ‖g‖₂ ≤ clip_norm first; 0: off */
    nn_schedule schedule;
} nn_optim_config;

/* SGD with momentum mu, constant rate lr. */
nn_optim_config nn_optim_sgd(double lr, double mu);

/* Adam with β1 = 0.9, β2 = 0.999, ε = 1e-8, constant rate lr. */
nn_optim_config nn_optim_adam(double lr);

typedef struct nn_optim nn_optim;

/* Creates an optimizer for n_param ≥ 1 parameters with its state (moments) at zero. Returns NULL
 * on an invalid configuration or allocation failure (see nn_last_error()). */
nn_optim *nn_optim_create(size_t n_param, const nn_optim_config *cfg);

/* Destroys an optimizer; NULL is a no-op. */
void nn_optim_destroy(nn_optim *opt);

/* One step on theta[0..n_param) from the gradient grad[0..n_param) (which clipping may scale in
 * place). Allocates nothing. Returns NN_ENONFINITE, changing neither array nor the optimizer's
 * state, if the gradient norm is not finite. */
int nn_optim_step(nn_optim *opt, float *theta, float *grad);

/* Number of parameters the optimizer was made for. */
size_t nn_optim_n_params(const nn_optim *opt);

/* Steps taken so far. */
uint64_t nn_optim_steps(const nn_optim *opt);

/* The learning rate the next step will use. */
double nn_optim_lr(const nn_optim *opt);

/* An optimizer's state (what a checkpoint keeps): steps taken, the running powers β1^t and β2^t
 * (Adam; 1 for SGD), the first moment or velocity m[n] and Adam's second moment v[n] (NULL for
 * SGD). */
typedef struct {
    nn_opt_kind kind;
    uint64_t t;
    double beta1_t, beta2_t;
    size_t n;
    const float *m, *v;
} nn_optim_state;

/* The state of opt; m and v point into the optimizer (valid until it steps or is destroyed). */
void nn_optim_get_state(const nn_optim *opt, nn_optim_state *state);

/* Replaces opt's state by a copy of state: NN_EINVAL (opt unchanged) unless kind and n match
 * opt's, v is given for Adam, and every number is finite (the powers in [0, 1]). Allocates
 * nothing. */
int nn_optim_set_state(nn_optim *opt, const nn_optim_state *state);

/* Euclidean norm of grad[0..n), accumulated in double. */
double nn_grad_norm(size_t n, const float *grad);

/* Scales grad[0..n) so that its norm is at most max_norm (> 0) and returns the norm before. */
double nn_grad_clip(size_t n, float *grad, double max_norm);

#endif
