/* Average-power normalisation: a transmitter's energy constraint. The layer sees the whole
 * batch x (n samples of W reals) as one vector of N = nW/2 complex symbols, a pair (I,Q) each,
 * and scales it to unit mean power per pair, 1/2 per real (W may be odd: N is then a half-
 * integer, and the mean power per real is still 1/2):
 *
 *     P = (1/N) Σ_j x_j²,   s = P^(-1/2),   z_i = s x_i
 *
 * Its Jacobian couples every value of the batch: ∂z_i/∂x_j = s δ_ij − s³ x_i x_j / N, so
 *
 *     δ^(t-1)_j = Σ_i δ_i ∂z_i/∂x_j = s (δ_j − z_j (Σ_i δ_i z_i) / N).
 *
 * The scale s is cached in the scratch. An all-zero batch would have no scale; P is floored at
 * 1e-30 (reached by nothing but such a batch) so the layer stays finite. */
#include <math.h>

#include "nn_internal.h"

static void power_norm_forward(const nn_layer *l, const nn_pass *p, size_t n, const float *x,
                               float *z)
{
    size_t count = n * l->n_in;
    double sum = 0.0; /* double: a batch of 10^5 squares loses float digits */
    for (size_t i = 0; i < count; i++)
        sum += (double)x[i] * x[i];
    double power = sum / ((double)count / 2);
    if (power < 1e-30) power = 1e-30;
    float s = (float)(1.0 / sqrt(power));
    for (size_t i = 0; i < count; i++)
        z[i] = s * x[i];
    p->scratch[0] = s;
}

static void power_norm_backward(const nn_layer *l, const nn_pass *p, size_t n, const float *x,
                                const float *z, float *delta, float *delta_prev)
{
    (void)x;
    if (!delta_prev) return;
    size_t count = n * l->n_in;
    double dz = 0.0;
    for (size_t i = 0; i < count; i++)
        dz += (double)delta[i] * z[i];
    float s = p->scratch[0], c = (float)(dz / ((double)count / 2));
    for (size_t j = 0; j < count; j++)
        delta_prev[j] = s * (delta[j] - z[j] * c);
}

static void power_norm_destroy(nn_layer *l)
{
    (void)l;
}

static const nn_layer_ops power_norm_ops = {"power_norm", power_norm_forward, power_norm_backward,
                                            power_norm_destroy};

int nn_power_norm_setup(nn_layer *l, size_t index)
{
    (void)index;
    l->ops = &power_norm_ops;
    l->n_out = l->n_in;
    l->scratch_fixed = 1; /* s */
    return NN_OK;
}
