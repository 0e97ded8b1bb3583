/* Optimizers on flat arrays: SGD with momentum and Adam, after optional clipping of the
 * gradient norm, at the rate of a schedule. */
#include <math.h>
#include <string.h>

#include "nn_internal.h"
#include "nn_optim.h"

struct nn_optim {
    nn_optim_config cfg;
    size_t n;
    uint64_t t;     /* steps taken */
    float *m, *v;   /* SGD: m is the velocity; Adam: first and second moments */
    double beta1_t; /* β1^t */
    double beta2_t; /* β2^t */
};

/* ---- schedules ----------------------------------------------------------------------------- */

double nn_schedule_lr(const nn_schedule *s, double lr, uint64_t t)
{
    if (!s) return lr;
    if (t < s->warmup) return lr * (double)(t + 1) / (double)s->warmup;
    uint64_t u = t - s->warmup;
    switch (s->kind) {
    case NN_SCHED_STEP:
        return lr * pow(s->gamma, (double)(u / s->step_size));
    case NN_SCHED_COSINE: {
        const double pi = 3.141592653589793238463;
        double frac = u < s->total_steps ? (double)u / (double)s->total_steps : 1.0;
        return s->lr_min + 0.5 * (lr - s->lr_min) * (1.0 + cos(pi * frac));
    }
    case NN_SCHED_CONSTANT:
        break;
    }
    return lr;
}

static int check_schedule(const nn_schedule *s, double lr)
{
    switch (s->kind) {
    case NN_SCHED_CONSTANT:
        return NN_OK;
    case NN_SCHED_STEP:
        if (s->step_size < 1 || !(s->gamma > 0.0 && s->gamma <= 1.0))
            return nn_error(NN_EINVAL,
                            "nn_optim_create: step decay needs step_size >= 1 (%llu) and gamma in "
                            "(0, 1] (%g)",
                            (unsigned long long)s->step_size, s->gamma);
        return NN_OK;
    case NN_SCHED_COSINE:
        if (s->total_steps < 1 || !(s->lr_min >= 0.0 && s->lr_min <= lr))
            return nn_error(NN_EINVAL,
                            "nn_optim_create: cosine needs total_steps >= 1 (%llu) and lr_min in "
                            "[0, lr] (%g)",
                            (unsigned long long)s->total_steps, s->lr_min);
        return NN_OK;
    }
    return nn_error(NN_EINVAL, "nn_optim_create: unknown schedule %d", (int)s->kind);
}

/* ---- configuration ------------------------------------------------------------------------- */

nn_optim_config nn_optim_sgd(double lr, double mu)
{
    return (nn_optim_config){.kind = NN_OPT_SGD, .lr = lr, .momentum = mu};
}

nn_optim_config nn_optim_adam(double lr)
{
    return (nn_optim_config){
        .kind = NN_OPT_ADAM, .lr = lr, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8};
}

static int in_unit(double x)
{
    return x >= 0.0 && x < 1.0;
}

static int check_config(size_t n_param, const nn_optim_config *cfg)
{
    if (!cfg) return nn_error(NN_EINVAL, "nn_optim_create: no configuration");
    if (n_param < 1) return nn_error(NN_EINVAL, "nn_optim_create: no parameters");
    if (!(cfg->lr > 0.0 && isfinite(cfg->lr)))
        return nn_error(NN_EINVAL, "nn_optim_create: lr=%g is not positive", cfg->lr);
    if (!(cfg->clip_norm >= 0.0 && isfinite(cfg->clip_norm)))
        return nn_error(NN_EINVAL, "nn_optim_create: clip_norm=%g is negative", cfg->clip_norm);
    switch (cfg->kind) {
    case NN_OPT_SGD:
        if (!in_unit(cfg->momentum))
            return nn_error(NN_EINVAL, "nn_optim_create: momentum=%g not in [0, 1)", cfg->momentum);
        break;
    case NN_OPT_ADAM:
        if (!in_unit(cfg->beta1) || !in_unit(cfg->beta2) || !(cfg->eps > 0.0))
            return nn_error(NN_EINVAL,
                            "nn_optim_create: Adam needs beta1, beta2 in [0, 1) and eps > 0 "
                            "(%g, %g, %g)",
                            cfg->beta1, cfg->beta2, cfg->eps);
        break;
    default:
        return nn_error(NN_EINVAL, "nn_optim_create: unknown optimizer %d", (int)cfg->kind);
    }
    return check_schedule(&cfg->schedule, cfg->lr);
}

nn_optim *nn_optim_create(size_t n_param, const nn_optim_config *cfg)
{
    if (check_config(n_param, cfg) != NN_OK) return NULL;
    nn_optim *opt = nn_alloc_bytes(sizeof *opt);
    if (!opt) goto fail;
    memset(opt, 0, sizeof *opt);
    opt->cfg = *cfg;
    opt->n = n_param;
    opt->beta1_t = opt->beta2_t = 1.0;
    opt->m = nn_alloc_floats(n_param);
    if (!opt->m) goto fail;
    if (cfg->kind == NN_OPT_ADAM && !(opt->v = nn_alloc_floats(n_param))) goto fail;
    return opt;

fail:
    nn_optim_destroy(opt);
    nn_error(NN_ENOMEM, "nn_optim_create: out of memory for %zu parameters", n_param);
    return NULL;
}

void nn_optim_destroy(nn_optim *opt)
{
    if (!opt) return;
    nn_free(opt->m);
    nn_free(opt->v);
    nn_free(opt);
}

/* ---- steps --------------------------------------------------------------------------------- */

double nn_grad_norm(size_t n, const float *grad)
{
    double sum = 0.0; /* double: 10^6 float squares would lose the norm's last digits */
    for (size_t i = 0; i < n; i++)
        sum += (double)grad[i] * grad[i];
    return sqrt(sum);
}

double nn_grad_clip(size_t n, float *grad, double max_norm)
{
    double norm = nn_grad_norm(n, grad);
    if (norm > max_norm) {
        float scale = (float)(max_norm / norm);
        for (size_t i = 0; i < n; i++)
            grad[i] *= scale;
    }
    return norm;
}

/* v ← μ v + g,  θ ← θ − η v */
static void sgd_step(nn_optim *opt, float lr, float *theta, const float *grad)
{
    float mu = (float)opt->cfg.momentum, *v = opt->m;
    for (size_t i = 0; i < opt->n; i++) {
        v[i] = mu * v[i] + grad[i];
        theta[i] -= lr * v[i];
    }
}

/* m ← β1 m + (1−β1) g,  v ← β2 v + (1−β2) g²,  θ ← θ − η m̂ / (sqrt(v̂) + ε) with the
 * bias-corrected m̂ = m/(1−β1^t), v̂ = v/(1−β2^t); the corrections are folded into two scalars. */
static void adam_step(nn_optim *opt, float lr, float *theta, const float *grad)
{
    opt->beta1_t *= opt->cfg.beta1;
    opt->beta2_t *= opt->cfg.beta2;
    const float b1 = (float)opt->cfg.beta1, b2 = (float)opt->cfg.beta2, eps = (float)opt->cfg.eps;
    const float alpha = (float)(lr / (1.0 - opt->beta1_t));
    const float root_scale = (float)(1.0 / sqrt(1.0 - opt->beta2_t));
    float *m = opt->m, *v = opt->v;
    for (size_t i = 0; i < opt->n; i++) {
        float g = grad[i];
        m[i] = b1 * m[i] + (1.0f - b1) * g;
        v[i] = b2 * v[i] + (1.0f - b2) * g * g;
        theta[i] -= alpha * m[i] / (sqrtf(v[i]) * root_scale + eps);
    }
}

int nn_optim_step(nn_optim *opt, float *theta, float *grad)
{
    double norm = nn_grad_norm(opt->n, grad);
    if (!isfinite(norm))
        return nn_error(NN_ENONFINITE, "nn_optim_step: step %llu: gradient norm is %g",
                        (unsigned long long)opt->t, norm);
    if (opt->cfg.clip_norm > 0.0 && norm > opt->cfg.clip_norm) {
        float scale = (float)(opt->cfg.clip_norm / norm);
        for (size_t i = 0; i < opt->n; i++) grad[i] *= scale;
    }
    float lr = (float)nn_optim_lr(opt);
    if (opt->cfg.kind == NN_OPT_ADAM)
        adam_step(opt, lr, theta, grad);
    else
        sgd_step(opt, lr, theta, grad);
    opt->t++;
    return NN_OK;
}

size_t nn_optim_n_params(const nn_optim *opt)
{
    return opt->n;
}

uint64_t nn_optim_steps(const nn_optim *opt)
{
    return opt->t;
}

double nn_optim_lr(const nn_optim *opt)
{
    return nn_schedule_lr(&opt->cfg.schedule, opt->cfg.lr, opt->t);
}

void nn_optim_get_state(const nn_optim *opt, nn_optim_state *state)
{
    *state = (nn_optim_state){.kind = opt->cfg.kind, .t = opt->t, .beta1_t = opt->beta1_t,
                              .beta2_t = opt->beta2_t, .n = opt->n, .m = opt->m, .v = opt->v};
}

static int finite_floats(size_t n, const float *x)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

int nn_optim_set_state(nn_optim *opt, const nn_optim_state *state)
{
    if (!opt || !state) return nn_error(NN_EINVAL, "nn_optim_set_state: no optimizer or state");
    if (state->kind != opt->cfg.kind || state->n != opt->n)
        return nn_error(NN_EINVAL, "nn_optim_set_state: state of optimizer %d for %zu parameters, "
                        "optimizer %d has %zu", (int)state->kind, state->n, (int)opt->cfg.kind,
                        opt->n);
    int adam = opt->cfg.kind == NN_OPT_ADAM;
    if (!state->m || (adam && !state->v))
        return nn_error(NN_EINVAL, "nn_optim_set_state: moments missing");
    if (!(state->beta1_t >= 0.0 && state->beta1_t <= 1.0 && state->beta2_t >= 0.0 &&
          state->beta2_t <= 1.0))
        return nn_error(NN_EINVAL, "nn_optim_set_state: powers %g, %g not in [0, 1]",
                        state->beta1_t, state->beta2_t);
    if (!finite_floats(opt->n, state->m) || (adam && !finite_floats(opt->n, state->v)))
        return nn_error(NN_EINVAL, "nn_optim_set_state: a moment is not finite");
    opt->t = state->t;
    opt->beta1_t = state->beta1_t;
    opt->beta2_t = state->beta2_t;
    memcpy(opt->m, state->m, opt->n * sizeof *opt->m);
    if (adam) memcpy(opt->v, state->v, opt->n * sizeof *opt->v);
    return NN_OK;
}
