/* Losses: the last layer g^T, one output per sample (z^T_n = ℓ(x_n, y_n) with x = z^(T-1) the
 * logits and y the target row). The network's loss is the mean, so the message arriving here is
 * δ^T_n = 1/n, and
 *
 *     δ^(T-1)_nk = δ^T_n · ∂ℓ(x_n, y_n)/∂x_nk
 *
 * with the derivatives fused with the loss in the numerically stable forms:
 *
 *     softmax cross-entropy: ℓ = Σ_k y_k (lse(x) − x_k),      ∂ℓ/∂x_k = p_k Σ_j y_j − y_k
 *     sigmoid BCE:           ℓ = Σ_k max(x_k,0) − x_k y_k + log(1 + e^−|x_k|),
 *                                                              ∂ℓ/∂x_k = σ(x_k) − y_k
 *     squared error:         ℓ = Σ_k (x_k − y_k)²,             ∂ℓ/∂x_k = 2 (x_k − y_k)
 *
 * where lse(x) = m + log Σ_k e^(x_k − m), m = max_k x_k, and p = softmax(x) (cached). */
#include <math.h>

#include "nn_internal.h"

/* ---- softmax with cross-entropy ------------------------------------------------------------ */

/* In three passes, each exponential and sum as before: per sample x − max (the max kept in
 * loss[i] until the loss replaces it); the exponentials over the whole batch in one loop; per
 * sample the sum in order, the probabilities and the loss. With the sum in the exponentials'
 * loop, clang (which vectorises no float sum it would have to reorder) left the exponentials
 * scalar, and per sample it would vectorise them only for K of 64 or more. */
static void softmax_ce_forward(const nn_layer *l, const nn_pass *p, size_t n, const float *x,
                               float *loss)
{
    size_t K = l->n_in, count = n * K;
    float *prob = p->scratch;
    for (size_t i = 0; i < n; i++) {
        const float *xi = x + i * K;
        float m = xi[0];
        for (size_t k = 1; k < K; k++)
            m = xi[k] > m ? xi[k] : m;
        for (size_t k = 0; k < K; k++)
            prob[i * K + k] = xi[k] - m;
        loss[i] = m;
    }
    for (size_t e = 0; e < count; e++)
        prob[e] = nn_expf(prob[e]);
    for (size_t i = 0; i < n; i++) {
        const float *xi = x + i * K, *yi = p->target + i * K;
        float *prob_i = prob + i * K;
        float sum = 0.0f;
        for (size_t k = 0; k < K; k++)
            sum += prob_i[k];
        float lse = loss[i] + logf(sum), inv = 1.0f / sum;
        float l_i = 0.0f;
        for (size_t k = 0; k < K; k++) {
            prob_i[k] *= inv;
            l_i += yi[k] * (lse - xi[k]);
        }
        loss[i] = l_i;
    }
}

static void softmax_ce_backward(const nn_layer *l, const nn_pass *p, size_t n, const float *x,
                                const float *loss, float *delta, float *delta_prev)
{
    (void)x;
    (void)loss;
    size_t K = l->n_in;
    for (size_t i = 0; i < n; i++) {
        const float *yi = p->target + i * K, *prob = p->scratch + i * K;
        float y_sum = 0.0f;
        for (size_t k = 0; k < K; k++)
            y_sum += yi[k];
        for (size_t k = 0; k < K; k++)
            delta_prev[i * K + k] = delta[i] * (prob[k] * y_sum - yi[k]);
    }
}

/* ---- sigmoid with binary cross-entropy ------------------------------------------------------- */

/* Element by element over the whole batch (so that the loop vectorises whatever K is): the loss
 * terms go to the first half of the scratch and ∂ℓ/∂x = σ(x) − y, cached for backward, to the
 * second. */
static void sigmoid_bce_forward(const nn_layer *l, const nn_pass *p, size_t n, const float *x,
                                float *loss)
{
    size_t K = l->n_in, count = n * K;
    float *term = p->scratch, *grad = p->scratch + count;
    const float *y = p->target;
    for (size_t e = 0; e < count; e++) {
        float t = nn_expf(-fabsf(x[e])); /* e^−|x| ≤ 1: nothing overflows */
        float pos = x[e] > 0.0f ? x[e] : 0.0f;
        term[e] = pos - x[e] * y[e] + nn_log1pf_unit(t);
        grad[e] = (x[e] >= 0.0f ? 1.0f : t) / (1.0f + t) - y[e]; /* σ(x) − y */
    }
    for (size_t i = 0; i < n; i++) {
        float l_i = 0.0f;
        for (size_t k = 0; k < K; k++)
            l_i += term[i * K + k];
        loss[i] = l_i;
    }
}

static void sigmoid_bce_backward(const nn_layer *l, const nn_pass *p, size_t n, const float *x,
                                 const float *loss, float *delta, float *delta_prev)
{
    (void)x;
    (void)loss;
    size_t K = l->n_in;
    const float *grad = p->scratch + n * K;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < K; k++)
            delta_prev[i * K + k] = delta[i] * grad[i * K + k];
}

/* ---- squared error ------------------------------------------------------------------------- */

static void mse_forward(const nn_layer *l, const nn_pass *p, size_t n, const float *x, float *loss)
{
    size_t K = l->n_in;
    for (size_t i = 0; i < n; i++) {
        float l_i = 0.0f;
        for (size_t k = 0; k < K; k++) {
            float e = x[i * K + k] - p->target[i * K + k];
            l_i += e * e;
        }
        loss[i] = l_i;
    }
}

static void mse_backward(const nn_layer *l, const nn_pass *p, size_t n, const float *x,
                         const float *loss, float *delta, float *delta_prev)
{
    (void)loss;
    size_t K = l->n_in;
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < K; k++)
            delta_prev[i * K + k] = delta[i] * 2.0f * (x[i * K + k] - p->target[i * K + k]);
}

static void loss_destroy(nn_layer *l)
{
    (void)l;
}

static const nn_layer_ops softmax_ce_ops = {"softmax_ce", softmax_ce_forward, softmax_ce_backward,
                                            loss_destroy};
static const nn_layer_ops sigmoid_bce_ops = {"sigmoid_bce", sigmoid_bce_forward,
                                             sigmoid_bce_backward, loss_destroy};
static const nn_layer_ops mse_ops = {"mse", mse_forward, mse_backward, loss_destroy};

int nn_loss_setup(nn_layer *l, size_t index)
{
    switch (l->spec.loss) {
    case NN_LOSS_SOFTMAX_CE:
        l->ops = &softmax_ce_ops;
        l->scratch_per_sample = l->n_in; /* the probabilities p */
        break;
    case NN_LOSS_SIGMOID_BCE:
        l->ops = &sigmoid_bce_ops;
        l->scratch_per_sample = 2 * l->n_in; /* loss terms and σ(x) − y */
        break;
    case NN_LOSS_MSE:
        l->ops = &mse_ops;
        break;
    default:
        return nn_error(NN_EINVAL, "nn_net_create: layer %zu (loss): unknown loss %d", index,
                        (int)l->spec.loss);
    }
    l->n_out = 1;
    return NN_OK;
}
