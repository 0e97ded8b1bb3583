/* Gradient checks of nn/: every layer, every loss and a whole network against central finite
 * differences of an independent double-precision reference written here, and proof that the
 * check catches one wrong Jacobian term.
 *
 * Tolerance. The reference is computed in double with h = 1e-6: truncation ~h²·L''' ≈ 1e-12 and
 * rounding ~1e-16/h = 1e-10, far below anything measured here, so the differences between the
 * two gradients are those of nn/'s float arithmetic: sums of at most a few hundred products with
 * unit roundoff 6e-8 give relative errors around 1e-6 (measured: below 2e-5 for every case). A
 * component passes when |g − g_ref| ≤ TOL (|g_ref| + 0.01 rms(g_ref)), TOL = 1e-3: fifty times
 * the worst float error, while the corruptions below change some component by more than 1e-2.
 * The floor 0.01 rms keeps components that cancel to nearly zero from demanding digits float
 * never had. A ReLU input within h of its kink would spoil the reference; at these seeds none
 * is (the chance is about 1e-4 per check). */
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#include "nn.h"
#include "nn_internal.h"

#define TOL 1e-3

/* ---- data with entropy ---------------------------------------------------------------------- */

static uint64_t test_state = 2385;

static double uniform(void)
{
    test_state = test_state * 6364136223846793005u + 1442695040888963407u;
    return (double)(test_state >> 11) * 0x1p-53;
}

static void fill_uniform(size_t n, float *v, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(lo + (hi - lo) * uniform());
}

/* rows of probabilities (softmax targets) */
static void fill_prob_rows(size_t n, size_t k, float *v)
{
    for (size_t i = 0; i < n; i++) {
        double sum = 0.0;
        for (size_t j = 0; j < k; j++)
            sum += v[i * k + j] = (float)(0.1 + uniform());
        for (size_t j = 0; j < k; j++)
            v[i * k + j] = (float)(v[i * k + j] / sum);
    }
}

/* The noise layers read fixed samples, so that the reference sees the same w. */
static float noise_samples[4096];

static void fixed_noise(void *user, size_t count, float *w)
{
    (void)user;
    assert_true(count <= sizeof noise_samples / sizeof noise_samples[0]);
    memcpy(w, noise_samples, count * sizeof *w);
}

/* ---- a channel as a layer ------------------------------------------------------------------ */

/* Side inputs of the layers under test: per sample (Re h, Im h, s) for the channel below, or s
 * alone for a noise layer with a side input. */
static float side_values[4096];

/* Flat fading and noise, as sim/ puts a channel between two networks: each (I, Q) pair x of
 * sample i becomes h_i x + s_i w with h_i = side[3i] + j side[3i+1], s_i = side[3i+2] and w the
 * fixed noise samples; the message back is conj(h_i) δ (∂(h x)/∂x as a 2 × 2 real Jacobian). */
static void fading_forward(void *user, size_t n, size_t n_in, size_t n_out, const float *side,
                           const float *x, float *z, float *cache)
{
    (void)user, (void)n_out, (void)cache;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i * n_in; j < (i + 1) * n_in; j += 2) {
            float hr = side[3 * i], hi = side[3 * i + 1], s = side[3 * i + 2];
            z[j] = hr * x[j] - hi * x[j + 1] + s * noise_samples[j];
            z[j + 1] = hi * x[j] + hr * x[j + 1] + s * noise_samples[j + 1];
        }
}

static void fading_backward(void *user, size_t n, size_t n_in, size_t n_out, const float *side,
                            const float *x, const float *z, const float *cache,
                            const float *delta, float *delta_prev)
{
    (void)user, (void)n_out, (void)x, (void)z, (void)cache;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i * n_in; j < (i + 1) * n_in; j += 2) {
            float hr = side[3 * i], hi = side[3 * i + 1];
            delta_prev[j] = hr * delta[j] + hi * delta[j + 1];
            delta_prev[j + 1] = -hi * delta[j] + hr * delta[j + 1];
        }
}

static const nn_custom_ops fading_ops = {"fading", fading_forward, fading_backward, 0};

/* The same channel in double, for the reference. */
static void ref_fading(size_t n, size_t width, const double *x, double *z)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i * width; j < (i + 1) * width; j += 2) {
            double hr = side_values[3 * i], hi = side_values[3 * i + 1], s = side_values[3 * i + 2];
            z[j] = hr * x[j] - hi * x[j + 1] + s * noise_samples[j];
            z[j + 1] = hi * x[j] + hr * x[j + 1] + s * noise_samples[j + 1];
        }
}

/* ---- the double-precision reference -----------------------------------------------------------
 */

static double ref_act(nn_act act, double z)
{
    switch (act) {
    case NN_ACT_IDENTITY:
        return z;
    case NN_ACT_RELU:
        return z > 0 ? z : 0;
    case NN_ACT_LEAKY_RELU:
        return z > 0 ? z : NN_LEAKY_SLOPE * z;
    case NN_ACT_TANH:
        return tanh(z);
    case NN_ACT_SIGMOID:
        return 1.0 / (1.0 + exp(-z));
    }
    fail_msg("unknown activation");
    return 0;
}

static double ref_sample_loss(nn_loss loss, size_t k, const double *x, const float *y)
{
    double l = 0.0;
    if (loss == NN_LOSS_SOFTMAX_CE) {
        double m = x[0], s = 0.0, y_sum = 0.0;
        for (size_t j = 1; j < k; j++)
            m = fmax(m, x[j]);
        for (size_t j = 0; j < k; j++)
            s += exp(x[j] - m);
        for (size_t j = 0; j < k; j++)
            y_sum += y[j];
        l = (m + log(s)) * y_sum;
        for (size_t j = 0; j < k; j++)
            l -= y[j] * x[j];
    } else if (loss == NN_LOSS_SIGMOID_BCE) {
        for (size_t j = 0; j < k; j++)
            l += fmax(x[j], 0.0) - x[j] * y[j] + log1p(exp(-fabs(x[j])));
    } else {
        for (size_t j = 0; j < k; j++)
            l += (x[j] - y[j]) * (x[j] - y[j]);
    }
    return l;
}

/* z = [u·conj(f(v)) | |f(v)|² | w] for input [u | v | w], per sample */
static void ref_cmul(const nn_layer_spec *s, size_t n, size_t width, const double *x, double *z)
{
    size_t m = s->pairs, r = width - 4 * m, out_w = width - m;
    for (size_t i = 0; i < n; i++) {
        const double *u = x + i * width, *v = u + 2 * m;
        double *q = z + i * out_w;
        for (size_t j = 0; j < m; j++) {
            double pr = ref_act(s->act, v[2 * j]), pi = ref_act(s->act, v[2 * j + 1]);
            q[2 * j] = u[2 * j] * pr + u[2 * j + 1] * pi;
            q[2 * j + 1] = u[2 * j + 1] * pr - u[2 * j] * pi;
            q[2 * m + j] = pr * pr + pi * pi;
        }
        for (size_t j = 0; j < r; j++)
            q[3 * m + j] = v[2 * m + j];
    }
}

/* The network's loss (mean over the batch) in double, from the layer list and parameters θ;
 * if out is not NULL, the body's output is copied there. */
static double ref_loss(size_t n_layers, const nn_layer_spec *specs, size_t n_in,
                       const double *theta, size_t n, const double *x, const float *y, double *out)
{
    size_t width = n_in, widest = n_in;
    for (size_t t = 0; t < n_layers; t++)
        if (specs[t].kind == NN_LAYER_DENSE && specs[t].n_out > widest) widest = specs[t].n_out;
    double *cur = malloc(n * widest * sizeof *cur), *next = malloc(n * widest * sizeof *next);
    assert_non_null(cur);
    assert_non_null(next);
    memcpy(cur, x, n * n_in * sizeof *x);
    double loss = 0.0;
    for (size_t t = 0; t < n_layers; t++) {
        const nn_layer_spec *s = &specs[t];
        size_t count = n * width;
        if (s->kind == NN_LAYER_DENSE) {
            size_t out_w = s->n_out;
            const double *w = theta, *b = theta + width * out_w;
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < out_w; j++) {
                    double z = b[j];
                    for (size_t p = 0; p < width; p++)
                        z += cur[i * width + p] * w[p * out_w + j];
                    next[i * out_w + j] = ref_act(s->act, z);
                }
            theta += width * out_w + out_w;
            width = out_w;
        } else if (s->kind == NN_LAYER_POWER_NORM) {
            double sum = 0.0;
            for (size_t i = 0; i < count; i++)
                sum += cur[i] * cur[i];
            double scale = 1.0 / sqrt(sum / ((double)count / 2));
            for (size_t i = 0; i < count; i++)
                next[i] = scale * cur[i];
        } else if (s->kind == NN_LAYER_NOISE) {
            for (size_t i = 0; i < count; i++) {
                double level = s->side_width ? side_values[i / width] : 1.0;
                next[i] = cur[i] + (s->noise ? (double)s->sigma * level * noise_samples[i] : 0.0);
            }
        } else if (s->kind == NN_LAYER_CUSTOM) {
            ref_fading(n, width, cur, next);
        } else if (s->kind == NN_LAYER_CMUL) {
            ref_cmul(s, n, width, cur, next);
            width -= s->pairs;
        } else {
            for (size_t i = 0; i < n; i++)
                loss += ref_sample_loss(s->loss, width, cur + i * width, y + i * width);
            loss /= (double)n;
            continue;
        }
        double *swap = cur;
        cur = next;
        next = swap;
    }
    if (out) memcpy(out, cur, n * width * sizeof *cur);
    free(cur);
    free(next);
    return loss;
}

/* ---- the check ------------------------------------------------------------------------------ */

typedef struct {
    double worst;        /* largest |g − g_ref| / (|g_ref| + 0.01 rms) over all components */
    size_t worst_index;  /* its component: parameters first, then inputs */
    double output_error; /* largest relative error of the forward output */
    double loss_error;   /* relative error of the loss */
} check_result;

static double rms(size_t n, const double *v)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += v[i] * v[i];
    return sqrt(s / (double)n);
}

/* Backward of net on (x, y) against central differences of the reference in every parameter
 * and, if the net computes δ^0, every input. */
static check_result check_gradients(nn_net *net, size_t n_layers, const nn_layer_spec *specs,
                                    size_t n, const float *x, const float *y)
{
    const double h = 1e-6;
    size_t n_in = nn_net_n_in(net), n_out = nn_net_n_out(net), P = nn_net_n_params(net);
    int with_input = 0;
    double loss;
    nn_net_zero_grad(net);
    assert_int_equal(nn_net_forward(net, n, x), NN_OK);
    assert_int_equal(nn_net_loss(net, y, &loss), NN_OK);
    assert_int_equal(nn_net_backward(net), NN_OK);
    const float *dx = nn_net_input_grad(net);
    with_input = dx != NULL;
    size_t N = P + (with_input ? n * n_in : 0);
    double *g = malloc(N * sizeof *g), *g_ref = malloc(N * sizeof *g_ref);
    double *theta = malloc((P ? P : 1) * sizeof *theta), *xd = malloc(n * n_in * sizeof *xd);
    double *out_ref = malloc(n * n_out * sizeof *out_ref);
    assert_true(g && g_ref && theta && xd && out_ref);
    for (size_t i = 0; i < P; i++) {
        g[i] = nn_net_grads(net)[i];
        theta[i] = nn_net_params(net)[i];
    }
    for (size_t i = 0; i < n * n_in; i++) {
        xd[i] = x[i];
        if (with_input) g[P + i] = dx[i];
    }
    check_result r = {0};
    double l_ref = ref_loss(n_layers, specs, n_in, theta, n, xd, y, out_ref);
    r.loss_error = fabs(loss - l_ref) / fabs(l_ref);
    const float *out = nn_net_output(net);
    for (size_t i = 0; i < n * n_out; i++)
        r.output_error =
            fmax(r.output_error, fabs(out[i] - out_ref[i]) / (fabs(out_ref[i]) + 1e-3));
    for (size_t i = 0; i < N; i++) {
        double *v = i < P ? &theta[i] : &xd[i - P];
        double keep = *v;
        *v = keep + h;
        double up = ref_loss(n_layers, specs, n_in, theta, n, xd, y, NULL);
        *v = keep - h;
        double down = ref_loss(n_layers, specs, n_in, theta, n, xd, y, NULL);
        *v = keep;
        g_ref[i] = (up - down) / (2 * h);
    }
    double floor_p = 0.01 * rms(P, g_ref),
           floor_x = with_input ? 0.01 * rms(n * n_in, g_ref + P) : 0;
    for (size_t i = 0; i < N; i++) {
        double e = fabs(g[i] - g_ref[i]) / (fabs(g_ref[i]) + (i < P ? floor_p : floor_x));
        if (e > r.worst) {
            r.worst = e;
            r.worst_index = i;
        }
    }
    free(g);
    free(g_ref);
    free(theta);
    free(xd);
    free(out_ref);
    return r;
}

static void expect_pass(const check_result *r, const char *what)
{
    print_message("  %-34s worst gradient error %.2e (component %zu), output %.1e, loss %.1e\n",
                  what, r->worst, r->worst_index, r->output_error, r->loss_error);
    if (!(r->worst <= TOL && r->output_error <= 1e-4 && r->loss_error <= 1e-5))
        fail_msg("%s: gradient check failed", what);
}

static nn_net *make_net(size_t n_in, size_t n_layers, const nn_layer_spec *specs, uint64_t seed)
{
    nn_net_config cfg = {.n_in = n_in, .max_batch = 32, .seed = seed, .input_grad = 1};
    nn_net *net = nn_net_create(&cfg, n_layers, specs);
    if (!net) fail_msg("nn_net_create: %s", nn_last_error());
    /* biases away from zero, so that they matter */
    for (size_t t = 0; t < n_layers; t++) {
        nn_layer_info info;
        assert_int_equal(nn_net_layer_info(net, t, &info), NN_OK);
        if (info.n_param)
            fill_uniform(info.spec.n_out,
                         nn_net_params(net) + info.param_offset + info.n_in * info.spec.n_out,
                         -0.385, 0.385);
    }
    return net;
}

/* Runs the check of one network on a random batch (targets suited to the loss). */
static check_result run_check(size_t n_in, size_t n_layers, const nn_layer_spec *specs, size_t n,
                              uint64_t seed, nn_net **keep)
{
    nn_net *net = make_net(n_in, n_layers, specs, seed);
    size_t n_out = nn_net_n_out(net);
    float *x = malloc(n * n_in * sizeof *x), *y = malloc(n * n_out * sizeof *y);
    assert_true(x && y);
    fill_uniform(n * n_in, x, -1.385, 1.385);
    nn_loss loss = specs[n_layers - 1].loss;
    if (loss == NN_LOSS_SOFTMAX_CE)
        fill_prob_rows(n, n_out, y);
    else
        fill_uniform(n * n_out, y, 0.0, 1.0);
    check_result r = check_gradients(net, n_layers, specs, n, x, y);
    free(x);
    free(y);
    if (keep)
        *keep = net;
    else
        nn_net_destroy(net);
    return r;
}

#define DENSE(N, ACT)                                                                              \
    {                                                                                              \
        .kind = NN_LAYER_DENSE, .n_out = (N), .act = (ACT)                                         \
    }
#define LOSS(L)                                                                                    \
    {                                                                                              \
        .kind = NN_LAYER_LOSS, .loss = (L)                                                         \
    }
#define NOISE(S)                                                                                   \
    {                                                                                              \
        .kind = NN_LAYER_NOISE, .sigma = (S), .noise = fixed_noise                                 \
    }

/* ---- every layer, every loss ---------------------------------------------------------------- */

static void test_dense_each_activation(void **state)
{
    (void)state;
    static const char *names[] = {"identity", "relu", "leaky_relu", "tanh", "sigmoid"};
    for (int a = NN_ACT_IDENTITY; a <= NN_ACT_SIGMOID; a++) {
        /* 70 units: two column panels of the kernel and a masked tail; 3 outputs: the transposed
         * weight-gradient path; 7 samples: a partial row tile */
        nn_layer_spec specs[] = {DENSE(70, (nn_act)a), DENSE(3, NN_ACT_IDENTITY),
                                 LOSS(NN_LOSS_MSE)};
        check_result r = run_check(6, 3, specs, 7, 100 + (uint64_t)a, NULL);
        expect_pass(&r, names[a]);
    }
}

static void test_each_loss(void **state)
{
    (void)state;
    static const char *names[] = {"", "softmax_ce", "sigmoid_bce", "mse"};
    for (int l = NN_LOSS_SOFTMAX_CE; l <= NN_LOSS_MSE; l++) {
        nn_layer_spec specs[] = {DENSE(9, NN_ACT_TANH), DENSE(5, NN_ACT_IDENTITY),
                                 LOSS((nn_loss)l)};
        check_result r = run_check(4, 3, specs, 11, 200 + (uint64_t)l, NULL);
        expect_pass(&r, names[l]);
    }
}

static void test_power_norm(void **state)
{
    (void)state;
    /* on the input itself (δ^0 is then its Jacobian), and inside a transmitter-like stack */
    nn_layer_spec first[] = {
        {.kind = NN_LAYER_POWER_NORM}, DENSE(4, NN_ACT_TANH), LOSS(NN_LOSS_MSE)};
    check_result r = run_check(6, 3, first, 9, 300, NULL);
    expect_pass(&r, "power_norm on the input");
    nn_layer_spec inside[] = {DENSE(8, NN_ACT_IDENTITY),
                              {.kind = NN_LAYER_POWER_NORM},
                              DENSE(3, NN_ACT_IDENTITY),
                              LOSS(NN_LOSS_SOFTMAX_CE)};
    r = run_check(5, 4, inside, 10, 301, NULL);
    expect_pass(&r, "power_norm inside");
    /* an odd width: 7 real channel uses a message */
    nn_layer_spec odd[] = {DENSE(7, NN_ACT_IDENTITY), {.kind = NN_LAYER_POWER_NORM},
                           DENSE(4, NN_ACT_IDENTITY), LOSS(NN_LOSS_SOFTMAX_CE)};
    r = run_check(16, 4, odd, 9, 302, NULL);
    expect_pass(&r, "power_norm, odd width");
}

static void test_noise(void **state)
{
    (void)state;
    fill_uniform(4096, noise_samples, -2.385, 2.385);
    nn_layer_spec specs[] = {DENSE(6, NN_ACT_TANH), NOISE(0.385f), DENSE(3, NN_ACT_IDENTITY),
                             LOSS(NN_LOSS_SIGMOID_BCE)};
    check_result r = run_check(4, 4, specs, 12, 400, NULL);
    expect_pass(&r, "noise");
}

/* Complex products: on the input (δ^0 is its Jacobian, pass-through included), with f = tanh
 * on v, and a receiver-shaped stack (linear estimate, product, linear head). */
static void test_cmul(void **state)
{
    (void)state;
    nn_layer_spec first[] = {{.kind = NN_LAYER_CMUL, .pairs = 3, .act = NN_ACT_IDENTITY},
                             DENSE(4, NN_ACT_IDENTITY), LOSS(NN_LOSS_MSE)};
    check_result r = run_check(15, 3, first, 9, 310, NULL);
    expect_pass(&r, "cmul on the input");
    nn_layer_spec soft[] = {{.kind = NN_LAYER_CMUL, .pairs = 2, .act = NN_ACT_TANH},
                            DENSE(3, NN_ACT_IDENTITY), LOSS(NN_LOSS_SIGMOID_BCE)};
    r = run_check(8, 3, soft, 9, 311, NULL);
    expect_pass(&r, "cmul with tanh, no pass-through");
    nn_layer_spec rx[] = {DENSE(14, NN_ACT_IDENTITY),
                          {.kind = NN_LAYER_CMUL, .pairs = 3, .act = NN_ACT_IDENTITY},
                          DENSE(6, NN_ACT_RELU),
                          {.kind = NN_LAYER_CMUL, .pairs = 1, .act = NN_ACT_TANH},
                          DENSE(4, NN_ACT_IDENTITY), LOSS(NN_LOSS_SIGMOID_BCE)};
    r = run_check(6, 6, rx, 10, 312, NULL);
    expect_pass(&r, "cmul inside a receiver");
}

/* An autoencoder-shaped network through every kind of layer. */
static void test_whole_network(void **state)
{
    (void)state;
    fill_uniform(4096, noise_samples, -2.385, 2.385);
    nn_layer_spec specs[] = {
        DENSE(24, NN_ACT_RELU),        DENSE(33, NN_ACT_TANH),  DENSE(16, NN_ACT_LEAKY_RELU),
        {.kind = NN_LAYER_POWER_NORM}, NOISE(0.2385f),          DENSE(10, NN_ACT_SIGMOID),
        DENSE(5, NN_ACT_IDENTITY),     LOSS(NN_LOSS_SOFTMAX_CE)};
    check_result r = run_check(4, 8, specs, 13, 500, NULL);
    expect_pass(&r, "whole network");
}

/* ---- the check catches one wrong term ------------------------------------------------------- */

/* tanh with the derivative of the wrong pair: 1 − y instead of 1 − y² */
static void tanh_wrong_df(size_t count, const float *y, float *delta)
{
    for (size_t i = 0; i < count; i++)
        delta[i] *= 1.0f - y[i];
}

static void test_catches_wrong_derivative_pair(void **state)
{
    (void)state;
    nn_layer_spec specs[] = {DENSE(7, NN_ACT_TANH), DENSE(3, NN_ACT_IDENTITY), LOSS(NN_LOSS_MSE)};
    nn_net *net;
    check_result r = run_check(5, 3, specs, 8, 600, &net);
    expect_pass(&r, "tanh, right pair");
    nn_activation wrong = *nn_activation_of(NN_ACT_TANH);
    wrong.df = tanh_wrong_df;
    nn_net_layer(net, 0)->act = &wrong;
    float x[40], y[24];
    fill_uniform(40, x, -1.385, 1.385);
    fill_uniform(24, y, 0.0, 1.0);
    r = check_gradients(net, 3, specs, 8, x, y);
    print_message("  %-34s worst gradient error %.2e (caught)\n", "tanh, wrong pair", r.worst);
    assert_true(r.worst > 100 * TOL);
    nn_net_destroy(net);
}

/* A layer that passes values through unchanged (its Jacobian is I) but whose backward gets one
 * term of that Jacobian wrong: for sample 0, ∂z_2/∂x_1 is taken as 0.05 instead of 0. */
static void wrong_term_forward(const nn_layer *l, const nn_pass *p, size_t n, const float *x,
                               float *z)
{
    (void)p;
    memcpy(z, x, n * l->n_in * sizeof *z);
}

static void wrong_term_backward(const nn_layer *l, const nn_pass *p, size_t n, const float *x,
                                const float *z, float *delta, float *delta_prev)
{
    (void)p;
    (void)x;
    (void)z;
    memcpy(delta_prev, delta, n * l->n_in * sizeof *delta);
    delta_prev[1] += 0.05f * delta[2];
}

static void no_destroy(nn_layer *l)
{
    (void)l;
}

static const nn_layer_ops wrong_term_ops = {"wrong_term", wrong_term_forward, wrong_term_backward,
                                            no_destroy};

static void test_catches_one_wrong_message_term(void **state)
{
    (void)state;
    /* a noise layer without samples is the identity; its ops are then swapped */
    nn_layer_spec specs[] = {DENSE(6, NN_ACT_TANH),
                             {.kind = NN_LAYER_NOISE},
                             DENSE(4, NN_ACT_RELU),
                             DENSE(2, NN_ACT_IDENTITY),
                             LOSS(NN_LOSS_SIGMOID_BCE)};
    nn_net *net;
    check_result r = run_check(3, 5, specs, 6, 700, &net);
    expect_pass(&r, "identity layer, right Jacobian");
    nn_net_layer(net, 1)->ops = &wrong_term_ops;
    float x[18], y[12];
    fill_uniform(18, x, -1.385, 1.385);
    fill_uniform(12, y, 0.0, 1.0);
    r = check_gradients(net, 5, specs, 6, x, y);
    print_message("  %-34s worst gradient error %.2e at component %zu (caught)\n",
                  "one Jacobian term 0.05 off", r.worst, r.worst_index);
    assert_true(r.worst > 10 * TOL);
    nn_net_destroy(net);
}

/* The dense layer's backward with one term of ∂g/∂θ wrong: ∂z_(0,3)/∂W_(2,3) gets 1% extra. */
static nn_layer_ops dense_wrong_param_ops;
static const nn_layer_ops *dense_real_ops;

static void dense_wrong_param_backward(const nn_layer *l, const nn_pass *p, size_t n,
                                       const float *x, const float *z, float *delta,
                                       float *delta_prev)
{
    dense_real_ops->backward(l, p, n, x, z, delta, delta_prev);
    /* δ is now the message before f; the true term is x_(0,2)·δ_(0,3) */
    l->grad[2 * l->n_out + 3] += 0.01f * x[2] * delta[3];
}

static void test_catches_one_wrong_parameter_term(void **state)
{
    (void)state;
    nn_layer_spec specs[] = {DENSE(5, NN_ACT_SIGMOID), DENSE(3, NN_ACT_IDENTITY),
                             LOSS(NN_LOSS_MSE)};
    nn_net *net;
    check_result r = run_check(4, 3, specs, 1, 800, &net);
    expect_pass(&r, "dense, right parameter terms");
    nn_layer *l = nn_net_layer(net, 0);
    dense_real_ops = l->ops;
    dense_wrong_param_ops = *l->ops;
    dense_wrong_param_ops.backward = dense_wrong_param_backward;
    l->ops = &dense_wrong_param_ops;
    float x[4], y[3];
    fill_uniform(4, x, -1.385, 1.385);
    fill_uniform(3, y, 0.0, 1.0);
    r = check_gradients(net, 3, specs, 1, x, y);
    print_message("  %-34s worst gradient error %.2e at component %zu (caught)\n",
                  "one parameter term 1% off", r.worst, r.worst_index);
    assert_true(r.worst > 5 * TOL);
    assert_int_equal(r.worst_index, 2 * 5 + 3);
    nn_net_destroy(net);
}

#define FADING {.kind = NN_LAYER_CUSTOM, .custom = &fading_ops, .side_width = 3}

/* The channel as a layer: a learned transmitter (dense, power normalisation), flat fading with a
 * gain and a noise level per sample as side input, a learned receiver; and a noise layer whose
 * σ comes per sample from its side input. */
static void test_channel_layer(void **state)
{
    (void)state;
    fill_uniform(4096, noise_samples, -2.385, 2.385);
    fill_uniform(4096, side_values, -1.385, 1.385);
    nn_layer_spec specs[] = {DENSE(6, NN_ACT_IDENTITY), {.kind = NN_LAYER_POWER_NORM}, FADING,
                             DENSE(9, NN_ACT_RELU), DENSE(8, NN_ACT_IDENTITY),
                             LOSS(NN_LOSS_SOFTMAX_CE)};
    nn_net *net = make_net(8, 6, specs, 600);
    assert_int_equal(nn_net_set_side(net, 2, side_values), NN_OK);
    assert_int_equal(nn_net_set_side(net, 1, side_values), NN_EINVAL); /* takes none */
    float x[11 * 8], y[11 * 8];
    fill_uniform(11 * 8, x, -1.385, 1.385);
    fill_prob_rows(11, 8, y);
    check_result r = check_gradients(net, 6, specs, 11, x, y);
    expect_pass(&r, "channel layer with side input");
    nn_net_destroy(net);

    nn_layer_spec noisy[] = {DENSE(6, NN_ACT_TANH),
                             {.kind = NN_LAYER_NOISE, .sigma = 0.385f, .noise = fixed_noise,
                              .side_width = 1},
                             DENSE(3, NN_ACT_IDENTITY), LOSS(NN_LOSS_SIGMOID_BCE)};
    net = make_net(4, 4, noisy, 601);
    assert_int_equal(nn_net_set_side(net, 1, side_values), NN_OK);
    fill_uniform(11 * 3, y, 0.0, 1.0);
    r = check_gradients(net, 4, noisy, 11, x, y);
    expect_pass(&r, "noise with a sigma per sample");
    nn_net_destroy(net);
}

/* Split at the channel, the same composite trains through nn_net_backward_from: the receiver's
 * δ^0 goes back through the channel's backward into the transmitter, whose gradients equal those
 * of the whole network in one piece. */
static void test_backward_from_outside(void **state)
{
    (void)state;
    fill_uniform(4096, noise_samples, -2.385, 2.385);
    fill_uniform(4096, side_values, -1.385, 1.385);
    nn_layer_spec whole[] = {DENSE(6, NN_ACT_IDENTITY), {.kind = NN_LAYER_POWER_NORM}, FADING,
                             DENSE(9, NN_ACT_RELU), DENSE(8, NN_ACT_IDENTITY),
                             LOSS(NN_LOSS_SOFTMAX_CE)};
    nn_layer_spec tx[] = {DENSE(6, NN_ACT_IDENTITY), {.kind = NN_LAYER_POWER_NORM}};
    nn_layer_spec rx[] = {DENSE(9, NN_ACT_RELU), DENSE(8, NN_ACT_IDENTITY),
                          LOSS(NN_LOSS_SOFTMAX_CE)};
    enum { N = 11 };
    nn_net *one = make_net(8, 6, whole, 602), *t = make_net(8, 2, tx, 603),
           *r = make_net(6, 3, rx, 604);
    /* the split networks start from the whole one's parameters */
    memcpy(nn_net_params(t), nn_net_params(one), nn_net_n_params(t) * sizeof(float));
    memcpy(nn_net_params(r), nn_net_params(one) + nn_net_n_params(t),
           nn_net_n_params(r) * sizeof(float));
    assert_int_equal(nn_net_set_side(one, 2, side_values), NN_OK);
    float x[N * 8], y[N * 8], z[N * 6], dz[N * 6];
    fill_uniform(N * 8, x, -1.385, 1.385);
    fill_prob_rows(N, 8, y);
    double loss_one, loss_split;
    nn_net_zero_grad(one), nn_net_zero_grad(t), nn_net_zero_grad(r);
    assert_int_equal(nn_net_forward(one, N, x), NN_OK);
    assert_int_equal(nn_net_loss(one, y, &loss_one), NN_OK);
    assert_int_equal(nn_net_backward(one), NN_OK);
    /* inference sees the side input like training; in pieces of 4 (a network without power
     * normalisation, noiseless channel) it advances through it piece by piece, like x */
    nn_workspace *ws = nn_workspace_create(one, N);
    float logits[N * 8];
    assert_int_equal(nn_workspace_set_side(ws, 3, side_values), NN_EINVAL);
    assert_int_equal(nn_workspace_set_side(ws, 2, side_values), NN_OK);
    assert_int_equal(nn_net_infer(one, ws, N, x, logits), NN_OK);
    for (size_t i = 0; i < N * 8; i++) assert_close(logits[i], nn_net_output(one)[i], 1e-5, 1e-6);
    nn_workspace_destroy(ws);
    nn_layer_spec plain[] = {DENSE(6, NN_ACT_IDENTITY), FADING, DENSE(8, NN_ACT_IDENTITY)};
    float quiet[3 * N];
    for (size_t i = 0; i < 3 * N; i++) quiet[i] = i % 3 == 2 ? 0.0f : side_values[i];
    nn_net *p = make_net(8, 3, plain, 606);
    assert_int_equal(nn_net_set_side(p, 1, quiet), NN_OK);
    assert_int_equal(nn_net_forward(p, N, x), NN_OK);
    ws = nn_workspace_create(p, 4);
    assert_int_equal(nn_workspace_set_side(ws, 1, quiet), NN_OK);
    assert_int_equal(nn_net_infer(p, ws, N, x, logits), NN_OK);
    for (size_t i = 0; i < N * 8; i++) assert_close(logits[i], nn_net_output(p)[i], 1e-5, 1e-6);
    nn_workspace_destroy(ws);
    nn_net_destroy(p);
    assert_int_equal(nn_net_backward_from(t, NULL), NN_EINVAL);
    assert_int_equal(nn_net_forward(t, N, x), NN_OK);
    fading_forward(NULL, N, 6, 6, side_values, nn_net_output(t), z, NULL);
    assert_int_equal(nn_net_forward(r, N, z), NN_OK);
    assert_int_equal(nn_net_loss(r, y, &loss_split), NN_OK);
    assert_int_equal(nn_net_backward(r), NN_OK);
    fading_backward(NULL, N, 6, 6, side_values, nn_net_output(t), z, NULL, nn_net_input_grad(r),
                    dz);
    assert_int_equal(nn_net_backward_from(t, dz), NN_OK);
    assert_close(loss_split, loss_one, 1e-6, 0);
    const float *g1 = nn_net_grads(one), *gt = nn_net_grads(t), *gr = nn_net_grads(r);
    size_t pt = nn_net_n_params(t), pr = nn_net_n_params(r);
    for (size_t i = 0; i < pt; i++) assert_close(gt[i], g1[i], 1e-5, 1e-7);
    for (size_t i = 0; i < pr; i++) assert_close(gr[i], g1[pt + i], 1e-5, 1e-7);
    /* a custom layer cannot go into a model file */
    assert_int_equal(nn_model_save("/tmp/bersim-custom.model", one, NULL), NN_EINVAL);
    nn_net_destroy(one), nn_net_destroy(t), nn_net_destroy(r);
}

/* A channel layer whose backward forgets the conjugate (h δ instead of conj(h) δ) is caught. */
static void fading_backward_wrong(void *user, size_t n, size_t n_in, size_t n_out,
                                  const float *side, const float *x, const float *z,
                                  const float *cache, const float *delta, float *delta_prev)
{
    (void)user, (void)n_out, (void)x, (void)z, (void)cache;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i * n_in; j < (i + 1) * n_in; j += 2) {
            float hr = side[3 * i], hi = side[3 * i + 1];
            delta_prev[j] = hr * delta[j] - hi * delta[j + 1];
            delta_prev[j + 1] = hi * delta[j] + hr * delta[j + 1];
        }
}

static void test_catches_wrong_channel_backward(void **state)
{
    (void)state;
    static const nn_custom_ops wrong = {"fading_wrong", fading_forward, fading_backward_wrong, 0};
    fill_uniform(4096, noise_samples, -2.385, 2.385);
    fill_uniform(4096, side_values, -1.385, 1.385);
    nn_layer_spec specs[] = {DENSE(6, NN_ACT_IDENTITY),
                             {.kind = NN_LAYER_CUSTOM, .custom = &wrong, .side_width = 3},
                             DENSE(8, NN_ACT_IDENTITY), LOSS(NN_LOSS_SOFTMAX_CE)};
    nn_net *net = make_net(8, 4, specs, 605);
    assert_int_equal(nn_net_set_side(net, 1, side_values), NN_OK);
    float x[11 * 8], y[11 * 8];
    fill_uniform(11 * 8, x, -1.385, 1.385);
    fill_prob_rows(11, 8, y);
    check_result r = check_gradients(net, 4, specs, 11, x, y);
    print_message("  wrong channel backward: worst %.2e\n", r.worst);
    assert_true(r.worst > 100 * TOL);
    nn_net_destroy(net);
}

int main(void)
{
    nn_blas_set_threads(1); /* small products: OpenBLAS's threads would only wait on each other */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dense_each_activation),
        cmocka_unit_test(test_each_loss),
        cmocka_unit_test(test_power_norm),
        cmocka_unit_test(test_noise),
        cmocka_unit_test(test_whole_network),
        cmocka_unit_test(test_channel_layer),
        cmocka_unit_test(test_backward_from_outside),
        cmocka_unit_test(test_catches_wrong_channel_backward),
        cmocka_unit_test(test_catches_wrong_derivative_pair),
        cmocka_unit_test(test_catches_one_wrong_message_term),
        cmocka_unit_test(test_catches_one_wrong_parameter_term),
        cmocka_unit_test(test_cmul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
