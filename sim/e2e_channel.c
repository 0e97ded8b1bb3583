/* The channel layer of end-to-end learning (e2e_channel.h):
 *
 *   forward : z_j = x_j + s w_j                        AWGN, s = the sample's sigma
 *             (z_2p, z_2p+1) = h_p (x_2p + i x_2p+1)
 *                              + s (w_2p + i w_2p+1)  fading with CSI; h goes out beside z
 *   backward: δx = δz                                  AWGN: the identity's Jacobian
 *             δx_pair = conj(h_p) δz_pair              fading: ∂z/∂x is the 2 x 2 rotation-and-
 *                                                      scaling of h, its transpose is conj(h)
 * The h outputs do not depend on x and send nothing back. */
#include "e2e_channel.h"

#include <stdlib.h>

struct sim_chan_layer {
    unsigned n;
    bool fading;
    ch_rng *rng;
    float *noise;       /* max_batch n, drawn each forward */
    const float *fixed; /* or these */
    nn_custom_ops ops;
};

static void chan_forward(void *user, size_t nb, size_t n_in, size_t n_out, const float *side,
                         const float *x, float *z, float *cache)
{
    (void)cache;
    sim_chan_layer *c = user;
    const float *w = c->fixed;
    if (!w) {
        ch_rng_gauss(c->rng, nb * n_in, 1.0f, c->noise);
        w = c->noise;
    }
    size_t sw = c->fading ? 1 + n_in : 1;
    for (size_t s = 0; s < nb; s++) {
        const float *xs = x + s * n_in, *ws = w + s * n_in, *side_s = side + s * sw;
        float *zs = z + s * n_out, sigma = side_s[0];
        if (!c->fading) {
            for (size_t j = 0; j < n_in; j++) zs[j] = xs[j] + sigma * ws[j];
            continue;
        }
        for (size_t j = 0; j < n_in; j += 2) {
            float hr = side_s[1 + j], hi = side_s[2 + j];
            zs[j] = hr * xs[j] - hi * xs[j + 1] + sigma * ws[j];
            zs[j + 1] = hi * xs[j] + hr * xs[j + 1] + sigma * ws[j + 1];
            zs[n_in + j] = hr;
            zs[n_in + j + 1] = hi;
        }
    }
}

static void chan_backward(void *user, size_t nb, size_t n_in, size_t n_out, const float *side,
                          const float *x, const float *z, const float *cache, const float *delta,
                          float *delta_prev)
{
    (void)x, (void)z, (void)cache;
    const sim_chan_layer *c = user;
    size_t sw = c->fading ? 1 + n_in : 1;
    for (size_t s = 0; s < nb; s++) {
        const float *d = delta + s * n_out, *side_s = side + s * sw;
        float *dp = delta_prev + s * n_in;
        if (!c->fading) {
            for (size_t j = 0; j < n_in; j++) dp[j] = d[j];
            continue;
        }
        for (size_t j = 0; j < n_in; j += 2) {
            float hr = side_s[1 + j], hi = side_s[2 + j];
            dp[j] = hr * d[j] + hi * d[j + 1];
            dp[j + 1] = -hi * d[j] + hr * d[j + 1];
        }
    }
}

sim_chan_layer *sim_chan_layer_create(unsigned n, bool fading, size_t max_batch, uint64_t seed,
                                      uint64_t stream)
{
    sim_chan_layer *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    *c = (sim_chan_layer){.n = n, .fading = fading,
                          .ops = {"channel", chan_forward, chan_backward, 0}};
    c->rng = ch_rng_create(seed, stream);
    c->noise = malloc(max_batch * n * sizeof *c->noise);
    if (!c->rng || !c->noise) {
        sim_chan_layer_destroy(c);
        return NULL;
    }
    return c;
}

void sim_chan_layer_destroy(sim_chan_layer *c)
{
    if (!c) return;
    ch_rng_destroy(c->rng);
    free(c->noise);
    free(c);
}

nn_layer_spec sim_chan_layer_spec(sim_chan_layer *c)
{
    return (nn_layer_spec){.kind = NN_LAYER_CUSTOM, .n_out = sim_chan_layer_out_width(c),
                           .custom = &c->ops, .custom_user = c,
                           .side_width = sim_chan_layer_side_width(c)};
}

size_t sim_chan_layer_side_width(const sim_chan_layer *c)
{
    return c->fading ? 1 + c->n : 1;
}

size_t sim_chan_layer_out_width(const sim_chan_layer *c)
{
    return c->fading ? 2 * c->n : c->n;
}

void sim_chan_layer_fix_noise(sim_chan_layer *c, const float *w)
{
    c->fixed = w;
}
