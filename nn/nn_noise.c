/* Additive Gaussian noise: a differentiable AWGN channel,
 *
 *     z = x + σ w,   w ~ normal(0, 1) per real component, from the caller's callback
 *
 * or, with a side input (side_width 1), z_n = x_n + σ s_n w_n: each sample's own noise level s_n
 * (a training batch spread over an SNR range).
 *
 * σ is set per step (nn_net_set_noise) and is not trained. ∂z_i/∂x_j = δ_ij, so the message
 * passes unchanged: δ^(t-1) = δ^t. nn/ draws no random numbers here: the caller's callback owns
 * the random stream (and with it the determinism of the run). */
#include <string.h>

#include "nn_internal.h"

static void noise_forward(const nn_layer *l, const nn_pass *p, size_t n, const float *x, float *z)
{
    size_t count = n * l->n_in;
    float sigma = l->spec.sigma;
    if (!l->spec.noise || sigma == 0.0f) {
        memcpy(z, x, count * sizeof *z);
        return;
    }
    l->spec.noise(l->spec.noise_user, count, z);
    if (!p->side) {
        for (size_t i = 0; i < count; i++)
            z[i] = x[i] + sigma * z[i];
        return;
    }
    for (size_t s = 0; s < n; s++)
        for (size_t j = s * l->n_in; j < (s + 1) * l->n_in; j++)
            z[j] = x[j] + sigma * p->side[s] * z[j];
}

static void noise_backward(const nn_layer *l, const nn_pass *p, size_t n, const float *x,
                           const float *z, float *delta, float *delta_prev)
{
    (void)p;
    (void)x;
    (void)z;
    if (delta_prev) memcpy(delta_prev, delta, n * l->n_in * sizeof *delta);
}

static void noise_destroy(nn_layer *l)
{
    (void)l;
}

static const nn_layer_ops noise_ops = {"noise", noise_forward, noise_backward, noise_destroy};

int nn_noise_setup(nn_layer *l, size_t index)
{
    float sigma = l->spec.sigma;
    if (!(sigma >= 0.0f && sigma <= 1e30f))
        return nn_error(NN_EINVAL,
                        "nn_net_create: layer %zu (noise): sigma=%g is not finite and >= 0", index,
                        (double)sigma);
    if (l->spec.side_width > 1)
        return nn_error(NN_EINVAL, "nn_net_create: layer %zu (noise): side_width %zu, not 0 or 1",
                        index, l->spec.side_width);
    l->ops = &noise_ops;
    l->n_out = l->n_in;
    return NN_OK;
}
