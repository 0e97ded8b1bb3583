/* Dense (affine) layer with its activation:
 *
 *     forward : z^t = f(z^(t-1)·W + 1·bᵀ)          W: N_(t-1) × N_t, b: N_t; caches nothing
 *                                                   beyond z^(t-1) and z^t themselves
 *     backward: δ ← δ^t ⊙ f'(z)                     the message at the nodes before f
 *               ∂L/∂W += z^(t-1)ᵀ·δ, ∂L/∂b += Σ_n δ  Σ_n δ_n ∂g_n/∂θ, accumulated, never applied
 *               δ^(t-1) = δ·Wᵀ                      the message to layer t−1
 *
 * (Rows are samples, so z = a·W is the batch form of z = Wᵀa.) */
#include <math.h>

#include "nn_internal.h"

static void dense_forward(const nn_layer *l, const nn_pass *p, size_t n, const float *z_prev,
                          float *z)
{
    (void)p;
    const float *w = l->theta, *b = l->theta + l->n_in * l->n_out;
    nn_mm_forward(n, l->n_out, l->n_in, z_prev, w, b, l->act, z);
}

static void dense_backward(const nn_layer *l, const nn_pass *p, size_t n, const float *z_prev,
                           const float *z, float *delta, float *delta_prev)
{
    const float *w = l->theta;
    float *dw = l->grad, *db = l->grad + l->n_in * l->n_out;
    float *grad_scratch = p->scratch;
    float *backprop_scratch = p->scratch + nn_round_floats(nn_mm_grad_scratch(l->n_out, l->n_in));
    l->act->df(n * l->n_out, z, delta);
    nn_mm_grad(n, l->n_out, l->n_in, z_prev, delta, dw, db, grad_scratch);
    if (delta_prev) nn_mm_backprop(n, l->n_out, l->n_in, delta, w, delta_prev, backprop_scratch);
}

static void dense_destroy(nn_layer *l)
{
    (void)l;
}

static const nn_layer_ops dense_ops = {"dense", dense_forward, dense_backward, dense_destroy};

int nn_dense_setup(nn_layer *l, size_t index)
{
    size_t n_out = l->spec.n_out;
    if (n_out < 1 || n_out > NN_MAX_WIDTH)
        return nn_error(NN_EINVAL, "nn_net_create: layer %zu (dense): n_out=%zu not in 1..%u",
                        index, n_out, NN_MAX_WIDTH);
    l->act = nn_activation_of(l->spec.act);
    if (!l->act)
        return nn_error(NN_EINVAL, "nn_net_create: layer %zu (dense): unknown activation %d", index,
                        (int)l->spec.act);
    l->ops = &dense_ops;
    l->n_out = n_out;
    l->n_param = l->n_in * n_out + n_out;
    l->scratch_train = nn_round_floats(nn_mm_grad_scratch(n_out, l->n_in)) +
                       nn_round_floats(nn_mm_backprop_scratch(n_out, l->n_in));
    return NN_OK;
}

void nn_dense_init(const nn_layer *l, nn_rng *rng, nn_init init)
{
    size_t n_w = l->n_in * l->n_out;
    if (init == NN_INIT_AUTO)
        init = l->spec.act == NN_ACT_RELU || l->spec.act == NN_ACT_LEAKY_RELU ? NN_INIT_HE
                                                                              : NN_INIT_GLOROT;
    if (init == NN_INIT_HE) {
        /* He: Var W = 2/N_(t-1) keeps the variance of z through ReLUs */
        double sd = sqrt(2.0 / (double)l->n_in);
        for (size_t i = 0; i < n_w; i++)
            l->theta[i] = (float)(sd * nn_rng_normal(rng));
    } else {
        /* Glorot: Var W = 2/(N_(t-1) + N_t), uniform on ±sqrt(6/(N_(t-1) + N_t)) */
        double half = sqrt(6.0 / (double)(l->n_in + l->n_out));
        for (size_t i = 0; i < n_w; i++)
            l->theta[i] = (float)(half * (2.0 * nn_rng_uniform(rng) - 1.0));
    }
    for (size_t j = 0; j < l->n_out; j++)
        l->theta[n_w + j] = 0.0f;
}
