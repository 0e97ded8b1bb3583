/* Activations as pairs {f, f'} and the elementary functions they need. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "nn_internal.h"

/* ---- elementary functions ----------------------------------------------------------------- */

float nn_expf(float x)
{
    /* e^x = 2^n e^r with n = round(x / ln 2) and |r| ≤ ln2/2; ln 2 is split in two (Cody and
     * Waite) so that n·ln2_hi is exact and r keeps its low bits. The degree-7 Taylor polynomial
     * of e^r has a truncation error below 5.2e-9 on that interval. */
    const float log2e = 1.44269504088896341f, ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
    const float shifter = 0x1.8p23f; /* adding it rounds to an integer in the low bits */
    x = x < -87.3f ? -87.3f : x;
    x = x > 88.0f ? 88.0f : x;
    float t = x * log2e + shifter;
    float n = t - shifter;
    float r = (x - n * ln2_hi) - n * ln2_lo;
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
    return p * scale;
}

float nn_log1pf_unit(float t)
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
