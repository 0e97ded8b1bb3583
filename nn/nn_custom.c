/* A layer whose forward and backward the caller supplies (nn_custom_ops), with per-sample side
 * inputs: how a channel becomes one of the g^t. The layer only routes the calls; it owns no
 * parameters, and its cache is scratch of the workspace (n × cache_per_sample floats). */
#include "nn_internal.h"

static void custom_forward(const nn_layer *l, const nn_pass *p, size_t n, const float *z_prev,
                           float *z)
{
    const nn_custom_ops *ops = l->spec.custom;
    ops->forward(l->spec.custom_user, n, l->n_in, l->n_out, p->side, z_prev, z, p->scratch);
}

static void custom_backward(const nn_layer *l, const nn_pass *p, size_t n, const float *z_prev,
                            const float *z, float *delta, float *delta_prev)
{
    if (!delta_prev) return; /* no parameters: nothing to add below the first layer */
    const nn_custom_ops *ops = l->spec.custom;
    ops->backward(l->spec.custom_user, n, l->n_in, l->n_out, p->side, z_prev, z, p->scratch,
                  delta, delta_prev);
}

static void custom_destroy(nn_layer *l)
{
    (void)l;
}

static const nn_layer_ops custom_ops = {"custom", custom_forward, custom_backward, custom_destroy};

int nn_custom_setup(nn_layer *l, size_t index)
{
    const nn_custom_ops *ops = l->spec.custom;
    if (!ops || !ops->forward || !ops->backward)
        return nn_error(NN_EINVAL, "nn_net_create: layer %zu (custom): no forward or backward",
                        index);
    size_t n_out = l->spec.n_out ? l->spec.n_out : l->n_in;
    if (n_out > NN_MAX_WIDTH || l->spec.side_width > NN_MAX_WIDTH)
        return nn_error(NN_EINVAL, "nn_net_create: layer %zu (custom): width %zu or side %zu "
                        "beyond %u", index, n_out, l->spec.side_width, NN_MAX_WIDTH);
    l->ops = &custom_ops;
    l->n_out = n_out;
    l->scratch_per_sample = ops->cache_per_sample;
    return NN_OK;
}
