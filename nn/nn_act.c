/* Activations as pairs {f, f'}. */
#include <math.h>

#include "nn_internal.h"

/* ---- the pairs ---------------------------------------------------------------------------- */

static void identity_f(size_t count, float *z)
{
    (void)count;
    (void)z;
}

static void identity_df(size_t count, const float *y, float *delta)
{
    (void)count;
    (void)y;
    (void)delta;
}

static void relu_f(size_t count, float *z)
{
    for (size_t i = 0; i < count; i++)
        z[i] = z[i] > 0.0f ? z[i] : 0.0f;
}

/* f'(z) = 1 for z > 0, else 0; y > 0 exactly when z > 0 */
static void relu_df(size_t count, const float *y, float *delta)
{
    for (size_t i = 0; i < count; i++)
        delta[i] = y[i] > 0.0f ? delta[i] : 0.0f;
}

static void leaky_f(size_t count, float *z)
{
    for (size_t i = 0; i < count; i++)
        z[i] = z[i] > 0.0f ? z[i] : NN_LEAKY_SLOPE * z[i];
}

/* f'(z) = 1 for z > 0, else the slope; the slope is positive, so y > 0 exactly when z > 0 */
static void leaky_df(size_t count, const float *y, float *delta)
{
    for (size_t i = 0; i < count; i++)
        delta[i] = y[i] > 0.0f ? delta[i] : NN_LEAKY_SLOPE * delta[i];
}

static void tanh_f(size_t count, float *z)
{
    for (size_t i = 0; i < count; i++)
        z[i] = tanhf(z[i]);
}

/* tanh' = 1 − tanh² */
static void tanh_df(size_t count, const float *y, float *delta)
{
    for (size_t i = 0; i < count; i++)
        delta[i] *= 1.0f - y[i] * y[i];
}

static void sigmoid_f(size_t count, float *z)
{
    /* with t = e^-|z| ≤ 1 nothing overflows: σ(z) = 1/(1+t) for z ≥ 0, t/(1+t) for z < 0 */
    for (size_t i = 0; i < count; i++) {
        float t = nn_expf(-fabsf(z[i]));
        float num = z[i] >= 0.0f ? 1.0f : t;
        z[i] = num / (1.0f + t);
    }
}

/* σ' = σ(1 − σ) */
static void sigmoid_df(size_t count, const float *y, float *delta)
{
    for (size_t i = 0; i < count; i++)
        delta[i] *= y[i] * (1.0f - y[i]);
}

static const nn_activation activations[] = {
    [NN_ACT_IDENTITY] = {"identity", identity_f, identity_df},
    [NN_ACT_RELU] = {"relu", relu_f, relu_df},
    [NN_ACT_LEAKY_RELU] = {"leaky_relu", leaky_f, leaky_df},
    [NN_ACT_TANH] = {"tanh", tanh_f, tanh_df},
    [NN_ACT_SIGMOID] = {"sigmoid", sigmoid_f, sigmoid_df},
};

const nn_activation *nn_activation_of(nn_act act)
{
    if ((unsigned)act >= sizeof activations / sizeof activations[0]) return NULL;
    return &activations[act];
}
