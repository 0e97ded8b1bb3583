/* The network: layers, the two contiguous blocks θ and ∂L/∂θ they see views of, and the
 * workspaces that hold the values z^t and messages δ^t of a batch. */
#include <math.h>
#include <string.h>

#include "nn_internal.h"

/* Memory of the passes through one network for batches of up to max_batch samples: one block of
 * floats, laid out by layout(). */
struct nn_workspace {
    const nn_net *net;
    size_t max_batch;
    int training;
    float *block;     /* the one float allocation everything below points into */
    float **z;        /* training: z^0 .. z^T; inference: two buffers */
    float **scratch;  /* per layer */
    float *loss;      /* per-sample losses (inference; z^T in training) */
    float *delta[2];  /* training: δ buffers, alternating */
    float *delta_top; /* training: δ^T = 1/n */
    float *target;    /* training: copy of the targets */
    const float **side; /* per layer: the side input of the next pass (borrowed), or NULL */
};

enum { STAGE_NONE, STAGE_FORWARD, STAGE_LOSS };

struct nn_net {
    nn_net_config cfg;
    size_t n_layers;
    size_t n_body; /* layers before the loss */
    int has_loss;
    nn_layer *layers;
    size_t n_param;
    float *theta, *grad;
    size_t max_width; /* widest layer output */
    nn_workspace *train;
    size_t batch; /* n of the last forward pass */
    int stage;
    const float *input_grad;
    float *keep; /* per parameter 1 (trained) or 0 (frozen), or NULL: all trained */
};

/* ---- workspaces ---------------------------------------------------------------------------- */

static size_t layer_scratch(const nn_layer *l, size_t max_batch, int training)
{
    return l->scratch_fixed + l->scratch_per_sample * max_batch + (training ? l->scratch_train : 0);
}

/* The next piece of `count` floats of a block, on its own cache line; with no block yet (NULL)
 * only the size is counted. */
static float *take(float *block, size_t *used, size_t count)
{
    float *piece = block ? block + *used : NULL;
    *used += nn_round_floats(count);
    return piece;
}

/* Points ws's pieces into block (or, with NULL, counts them) and returns the floats they use.
 * Training keeps z^0 .. z^T, two message buffers, δ^T and the targets; inference keeps two
 * buffers that the layers' outputs alternate between and the per-sample losses. */
static size_t layout(nn_workspace *ws, const nn_net *net, float *block)
{
    size_t used = 0, B = ws->max_batch, L = net->n_layers, wide = net->max_width * B;
    if (ws->training) {
        ws->z[0] = take(block, &used, net->cfg.n_in * B);
        for (size_t t = 0; t < L; t++)
            ws->z[t + 1] = take(block, &used, net->layers[t].n_out * B);
        ws->loss = ws->z[L];
        ws->delta[0] = take(block, &used, wide);
        ws->delta[1] = take(block, &used, wide);
        ws->delta_top = take(block, &used, B);
        ws->target = take(block, &used, wide);
    } else {
        ws->z[0] = take(block, &used, wide);
        ws->z[1] = take(block, &used, wide);
        ws->loss = take(block, &used, B);
    }
    for (size_t t = 0; t < L; t++)
        ws->scratch[t] = take(block, &used, layer_scratch(&net->layers[t], B, ws->training));
    return used;
}

static nn_workspace *workspace_new(const nn_net *net, size_t max_batch, int training)
{
    nn_workspace *ws = nn_alloc_bytes(sizeof *ws);
    if (!ws) goto fail;
    memset(ws, 0, sizeof *ws);
    ws->net = net;
    ws->max_batch = max_batch;
    ws->training = training;
    ws->z = nn_alloc_bytes((training ? net->n_layers + 1 : 2) * sizeof *ws->z);
    ws->scratch = nn_alloc_bytes(net->n_layers * sizeof *ws->scratch);
    ws->side = nn_alloc_bytes(net->n_layers * sizeof *ws->side);
    if (!ws->z || !ws->scratch || !ws->side) goto fail;
    memset(ws->side, 0, net->n_layers * sizeof *ws->side);
    ws->block = nn_alloc_floats(layout(ws, net, NULL));
    if (!ws->block) goto fail;
    layout(ws, net, ws->block);
    return ws;

fail:
    nn_workspace_destroy(ws);
    nn_error(NN_ENOMEM, "nn_workspace_create: out of memory for a batch of %zu", max_batch);
    return NULL;
}

nn_workspace *nn_workspace_create(const nn_net *net, size_t max_batch)
{
    if (!net) return nn_error(NN_EINVAL, "nn_workspace_create: no network"), NULL;
    if (max_batch < 1 || max_batch > NN_MAX_BATCH)
        return nn_error(NN_EINVAL, "nn_workspace_create: max_batch=%zu not in 1..%u", max_batch,
                        NN_MAX_BATCH),
               NULL;
    return workspace_new(net, max_batch, 0);
}

void nn_workspace_destroy(nn_workspace *ws)
{
    if (!ws) return;
    nn_free(ws->block);
    nn_free(ws->z);
    nn_free(ws->scratch);
    nn_free((void *)ws->side);
    nn_free(ws);
}

/* ---- construction -------------------------------------------------------------------------- */

static int check_config(const nn_net_config *cfg, size_t n_layers, const nn_layer_spec *specs)
{
    if (!cfg || !specs) return nn_error(NN_EINVAL, "nn_net_create: no configuration or layers");
    if (cfg->n_in < 1 || cfg->n_in > NN_MAX_WIDTH)
        return nn_error(NN_EINVAL, "nn_net_create: n_in=%zu not in 1..%u", cfg->n_in, NN_MAX_WIDTH);
    if (cfg->max_batch < 1 || cfg->max_batch > NN_MAX_BATCH)
        return nn_error(NN_EINVAL, "nn_net_create: max_batch=%zu not in 1..%u", cfg->max_batch,
                        NN_MAX_BATCH);
    if ((unsigned)cfg->init > NN_INIT_GLOROT)
        return nn_error(NN_EINVAL, "nn_net_create: unknown initialisation %d", (int)cfg->init);
    if (n_layers < 1 || n_layers > NN_MAX_LAYERS)
        return nn_error(NN_EINVAL, "nn_net_create: %zu layers, not in 1..%u", n_layers,
                        NN_MAX_LAYERS);
    return NN_OK;
}

static int setup_layer(nn_layer *l, size_t index, size_t n_layers)
{
    switch (l->spec.kind) {
    case NN_LAYER_DENSE:
        return nn_dense_setup(l, index);
    case NN_LAYER_POWER_NORM:
        return nn_power_norm_setup(l, index);
    case NN_LAYER_NOISE:
        return nn_noise_setup(l, index);
    case NN_LAYER_CUSTOM:
        return nn_custom_setup(l, index);
    case NN_LAYER_CMUL:
        return nn_cmul_setup(l, index);
    case NN_LAYER_LOSS:
        if (index + 1 != n_layers)
            return nn_error(NN_EINVAL, "nn_net_create: layer %zu: a loss must be the last layer",
                            index);
        if (index == 0) return nn_error(NN_EINVAL, "nn_net_create: a loss needs a layer before it");
        return nn_loss_setup(l, index);
    }
    return nn_error(NN_EINVAL, "nn_net_create: layer %zu: unknown kind %d", index,
                    (int)l->spec.kind);
}

nn_net *nn_net_create(const nn_net_config *cfg, size_t n_layers, const nn_layer_spec *specs)
{
    if (check_config(cfg, n_layers, specs) != NN_OK) return NULL;
    nn_net *net = nn_alloc_bytes(sizeof *net);
    if (!net) goto fail_nomem;
    memset(net, 0, sizeof *net);
    net->cfg = *cfg;
    net->layers = nn_alloc_bytes(n_layers * sizeof *net->layers);
    if (!net->layers) goto fail_nomem;
    memset(net->layers, 0, n_layers * sizeof *net->layers);

    size_t width = cfg->n_in, offset = 0;
    for (size_t t = 0; t < n_layers; t++) {
        nn_layer *l = &net->layers[t];
        l->spec = specs[t];
        l->n_in = width;
        if (setup_layer(l, t, n_layers) != NN_OK) goto fail;
        net->n_layers = t + 1; /* destroy() releases the layers set up so far */
        l->spec.n_out = l->n_out;
        l->param_offset = offset;
        offset += l->n_param;
        width = l->n_out;
        if (l->spec.kind != NN_LAYER_LOSS && width > net->max_width) net->max_width = width;
    }
    net->has_loss = net->layers[n_layers - 1].spec.kind == NN_LAYER_LOSS;
    net->n_body = n_layers - (size_t)net->has_loss;
    if (cfg->n_in > net->max_width) net->max_width = cfg->n_in;

    net->n_param = offset;
    net->theta = nn_alloc_floats(offset);
    net->grad = nn_alloc_floats(offset);
    if (!net->theta || !net->grad) goto fail_nomem;
    for (size_t t = 0; t < n_layers; t++) {
        net->layers[t].theta = net->theta + net->layers[t].param_offset;
        net->layers[t].grad = net->grad + net->layers[t].param_offset;
    }
    net->train = workspace_new(net, cfg->max_batch, 1);
    if (!net->train) goto fail;
    nn_net_init(net, cfg->seed, cfg->init);
    return net;

fail_nomem:
    nn_error(NN_ENOMEM, "nn_net_create: out of memory");
fail:
    nn_net_destroy(net);
    return NULL;
}

nn_net *nn_mlp_create(const nn_net_config *cfg, size_t n_dense, const size_t *widths,
                      const nn_act *acts, nn_loss loss)
{
    if (!widths || !acts || n_dense < 1 || n_dense >= NN_MAX_LAYERS)
        return nn_error(NN_EINVAL, "nn_mlp_create: %zu dense layers, not in 1..%u", n_dense,
                        NN_MAX_LAYERS - 1),
               NULL;
    size_t n_layers = n_dense + (loss != 0);
    nn_layer_spec *specs = nn_alloc_bytes(n_layers * sizeof *specs);
    if (!specs) return nn_error(NN_ENOMEM, "nn_mlp_create: out of memory"), NULL;
    for (size_t t = 0; t < n_dense; t++)
        specs[t] = (nn_layer_spec){.kind = NN_LAYER_DENSE, .n_out = widths[t], .act = acts[t]};
    if (loss) specs[n_dense] = (nn_layer_spec){.kind = NN_LAYER_LOSS, .loss = loss};
    nn_net *net = nn_net_create(cfg, n_layers, specs);
    nn_free(specs);
    return net;
}

void nn_net_destroy(nn_net *net)
{
    if (!net) return;
    for (size_t t = 0; t < net->n_layers; t++)
        if (net->layers[t].ops) net->layers[t].ops->destroy(&net->layers[t]);
    nn_workspace_destroy(net->train);
    nn_free(net->theta);
    nn_free(net->grad);
    nn_free(net->keep);
    nn_free(net->layers);
    nn_free(net);
}

void nn_net_init(nn_net *net, uint64_t seed, nn_init init)
{
    for (size_t t = 0; t < net->n_layers; t++) {
        /* one stream per layer: a layer's initial weights do not depend on the others */
        nn_rng rng = nn_rng_seed(seed, t);
        if (net->layers[t].spec.kind == NN_LAYER_DENSE) nn_dense_init(&net->layers[t], &rng, init);
    }
}

/* ---- accessors ----------------------------------------------------------------------------- */

size_t nn_net_n_in(const nn_net *net)
{
    return net->cfg.n_in;
}

size_t nn_net_n_out(const nn_net *net)
{
    return net->layers[net->n_body - 1].n_out;
}

size_t nn_net_max_batch(const nn_net *net)
{
    return net->cfg.max_batch;
}

size_t nn_net_n_layers(const nn_net *net)
{
    return net->n_layers;
}

int nn_net_layer_info(const nn_net *net, size_t i, nn_layer_info *info)
{
    if (i >= net->n_layers)
        return nn_error(NN_EINVAL, "nn_net_layer_info: layer %zu of %zu", i, net->n_layers);
    const nn_layer *l = &net->layers[i];
    *info = (nn_layer_info){l->spec, l->n_in, l->param_offset, l->n_param};
    return NN_OK;
}

nn_layer *nn_net_layer(nn_net *net, size_t i)
{
    return i < net->n_layers ? &net->layers[i] : NULL;
}

size_t nn_net_n_params(const nn_net *net)
{
    return net->n_param;
}

float *nn_net_params(nn_net *net)
{
    return net->theta;
}

const float *nn_net_params_const(const nn_net *net)
{
    return net->theta;
}

float *nn_net_grads(nn_net *net)
{
    return net->grad;
}

void nn_net_zero_grad(nn_net *net)
{
    memset(net->grad, 0, net->n_param * sizeof *net->grad);
}

int nn_net_set_noise(nn_net *net, size_t i, float sigma, nn_noise_fn noise, void *user)
{
    if (i >= net->n_layers || net->layers[i].spec.kind != NN_LAYER_NOISE)
        return nn_error(NN_EINVAL, "nn_net_set_noise: layer %zu is not a noise layer", i);
    if (!(sigma >= 0.0f && sigma <= 1e30f))
        return nn_error(NN_EINVAL, "nn_net_set_noise: sigma=%g is not finite and >= 0",
                        (double)sigma);
    net->layers[i].spec.sigma = sigma;
    net->layers[i].spec.noise = noise;
    net->layers[i].spec.noise_user = user;
    return NN_OK;
}

/* ---- training passes ----------------------------------------------------------------------- */

int nn_net_forward(nn_net *net, size_t n, const float *x)
{
    if (n < 1 || n > net->cfg.max_batch || !x)
        return nn_error(NN_EINVAL, "nn_net_forward: batch of %zu, not in 1..%zu", n,
                        net->cfg.max_batch);
    nn_workspace *ws = net->train;
    memcpy(ws->z[0], x, n * net->cfg.n_in * sizeof *x);
    for (size_t t = 0; t < net->n_body; t++) {
        const nn_layer *l = &net->layers[t];
        nn_pass p = {ws->scratch[t], NULL, 1, ws->side[t]};
        l->ops->forward(l, &p, n, ws->z[t], ws->z[t + 1]);
    }
    net->batch = n;
    net->stage = STAGE_FORWARD;
    net->input_grad = NULL;
    return NN_OK;
}

const float *nn_net_output(const nn_net *net)
{
    return net->train->z[net->n_body];
}

/* Mean of the per-sample losses, summed in double (a float sum over a large batch would lose
 * the last digits that the learning curve shows). */
static double mean_of(size_t n, const float *loss)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += loss[i];
    return sum / (double)n;
}

int nn_net_loss(nn_net *net, const float *target, double *loss)
{
    if (!net->has_loss) return nn_error(NN_EINVAL, "nn_net_loss: the network has no loss layer");
    if (net->stage == STAGE_NONE)
        return nn_error(NN_EINVAL, "nn_net_loss: no forward pass to take the loss of");
    if (!target || !loss) return nn_error(NN_EINVAL, "nn_net_loss: no target or result");
    nn_workspace *ws = net->train;
    size_t n = net->batch, T = net->n_layers - 1;
    const nn_layer *l = &net->layers[T];
    memcpy(ws->target, target, n * l->n_in * sizeof *target);
    nn_pass p = {ws->scratch[T], ws->target, 1, NULL};
    l->ops->forward(l, &p, n, ws->z[T], ws->z[T + 1]);
    *loss = mean_of(n, ws->z[T + 1]);
    net->stage = STAGE_LOSS;
    return NN_OK;
}

/* δ arrives at the output of layer `top` (exclusive); each layer below turns it into the message
 * to the one before it and adds its parameter gradients. */
static void backward_below(nn_net *net, size_t top, float *delta)
{
    nn_workspace *ws = net->train;
    for (size_t t = top; t-- > 0;) {
        const nn_layer *l = &net->layers[t];
        float *delta_prev = t == 0 && !net->cfg.input_grad ? NULL : ws->delta[t % 2];
        nn_pass p = {ws->scratch[t], ws->target, 1, ws->side[t]};
        l->ops->backward(l, &p, net->batch, ws->z[t], ws->z[t + 1], delta, delta_prev);
        delta = delta_prev;
    }
    if (net->keep)
        for (size_t i = 0; i < net->n_param; i++) net->grad[i] *= net->keep[i];
    net->input_grad = delta;
    net->stage = STAGE_FORWARD; /* the gradients are in; a second backward needs a new loss */
}

int nn_net_freeze(nn_net *net, const uint8_t *frozen)
{
    if (!net) return nn_error(NN_EINVAL, "nn_net_freeze: no network");
    if (!frozen) {
        nn_free(net->keep);
        net->keep = NULL;
        return NN_OK;
    }
    if (!net->keep && !(net->keep = nn_alloc_floats(net->n_param ? net->n_param : 1)))
        return nn_error(NN_ENOMEM, "nn_net_freeze: out of memory");
    for (size_t i = 0; i < net->n_param; i++) net->keep[i] = frozen[i] ? 0.0f : 1.0f;
    return NN_OK;
}

int nn_net_backward(nn_net *net)
{
    if (net->stage != STAGE_LOSS)
        return nn_error(NN_EINVAL, "nn_net_backward: nn_net_loss() has not run on this pass");
    nn_workspace *ws = net->train;
    /* δ^T: the loss of the network is the mean of the per-sample losses z^T_n */
    for (size_t i = 0; i < net->batch; i++)
        ws->delta_top[i] = 1.0f / (float)net->batch;
    backward_below(net, net->n_layers, ws->delta_top);
    return NN_OK;
}

int nn_net_backward_from(nn_net *net, const float *delta)
{
    if (net->stage == STAGE_NONE || !delta)
        return nn_error(NN_EINVAL, "nn_net_backward_from: no forward pass or no message");
    nn_workspace *ws = net->train;
    /* The message goes where the layer above the body would have written it: the buffer the
     * top body layer does not write its own message to. */
    float *top = ws->delta[net->n_body % 2];
    memcpy(top, delta, net->batch * nn_net_n_out(net) * sizeof *delta);
    backward_below(net, net->n_body, top);
    return NN_OK;
}

/* The side input of layer i, or -1 when it takes none. */
static long side_width_of(const nn_net *net, size_t i)
{
    if (i >= net->n_layers) return -1;
    const nn_layer_spec *s = &net->layers[i].spec;
    if ((s->kind == NN_LAYER_NOISE || s->kind == NN_LAYER_CUSTOM) && s->side_width > 0)
        return (long)s->side_width;
    return -1;
}

int nn_net_set_side(nn_net *net, size_t i, const float *side)
{
    if (side_width_of(net, i) < 0)
        return nn_error(NN_EINVAL, "nn_net_set_side: layer %zu takes no side input", i);
    net->train->side[i] = side;
    return NN_OK;
}

int nn_workspace_set_side(nn_workspace *ws, size_t i, const float *side)
{
    if (!ws || side_width_of(ws->net, i) < 0)
        return nn_error(NN_EINVAL, "nn_workspace_set_side: layer %zu takes no side input", i);
    ws->side[i] = side;
    return NN_OK;
}

const float *nn_net_input_grad(const nn_net *net)
{
    return net->input_grad;
}

/* ---- inference ----------------------------------------------------------------------------- */

static int check_workspace(const nn_net *net, const nn_workspace *ws, const char *who)
{
    if (!ws || ws->net != net)
        return nn_error(NN_EINVAL, "%s: the workspace was not made for this network", who);
    return NN_OK;
}

/* Runs the body (every layer but the loss) on n ≤ max_batch samples, the ones from sample
 * `first` of the call on (side inputs advance with them); the last layer writes to out. */
static void run_body(const nn_net *net, nn_workspace *ws, size_t first, size_t n, const float *x,
                     float *out)
{
    const float *in = x;
    for (size_t t = 0; t < net->n_body; t++) {
        const nn_layer *l = &net->layers[t];
        float *z = t + 1 == net->n_body ? out : ws->z[t % 2];
        const float *side = ws->side[t] ? ws->side[t] + first * l->spec.side_width : NULL;
        nn_pass p = {ws->scratch[t], NULL, 0, side};
        l->ops->forward(l, &p, n, in, z);
        in = z;
    }
}

int nn_net_infer(const nn_net *net, nn_workspace *ws, size_t n, const float *x, float *out)
{
    if (check_workspace(net, ws, "nn_net_infer") != NN_OK) return NN_EINVAL;
    if (n > 0 && (!x || !out)) return nn_error(NN_EINVAL, "nn_net_infer: no input or output");
    size_t n_in = net->cfg.n_in, n_out = nn_net_n_out(net);
    for (size_t done = 0; done < n; done += ws->max_batch) {
        size_t piece = n - done < ws->max_batch ? n - done : ws->max_batch;
        run_body(net, ws, done, piece, x + done * n_in, out + done * n_out);
    }
    return NN_OK;
}

int nn_net_eval_loss(const nn_net *net, nn_workspace *ws, size_t n, const float *x,
                     const float *target, double *loss)
{
    if (check_workspace(net, ws, "nn_net_eval_loss") != NN_OK) return NN_EINVAL;
    if (!net->has_loss)
        return nn_error(NN_EINVAL, "nn_net_eval_loss: the network has no loss layer");
    if (n < 1 || !x || !target || !loss)
        return nn_error(NN_EINVAL, "nn_net_eval_loss: no samples, targets or result");
    size_t n_in = net->cfg.n_in, n_out = nn_net_n_out(net), T = net->n_layers - 1;
    const nn_layer *l = &net->layers[T];
    /* the logits go where the ping-pong would put them: not the last layer's input buffer */
    float *logits = ws->z[(net->n_body - 1) % 2];
    double sum = 0.0;
    for (size_t done = 0; done < n; done += ws->max_batch) {
        size_t piece = n - done < ws->max_batch ? n - done : ws->max_batch;
        run_body(net, ws, done, piece, x + done * n_in, logits);
        nn_pass p = {ws->scratch[T], target + done * n_out, 0, NULL};
        l->ops->forward(l, &p, piece, logits, ws->loss);
        sum += mean_of(piece, ws->loss) * (double)piece;
    }
    *loss = sum / (double)n;
    return NN_OK;
}
