/* Networks and workspaces of nn/: every constructor and call-order error provoked, inference in
 * pieces and from several threads, initialisation from the seed, the stable losses at extreme
 * logits, the power and noise layers' identities, and the elementary functions' accuracy. */
#include "test_util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"
#include "nn_internal.h"

static uint64_t test_state = 2385;

static double uniform(void)
{
    test_state = test_state * 6364136223846793005u + 1442695040888963407u;
    return ((double)(test_state >> 11) + 0.5) * 0x1p-53;
}

static void fill(size_t n, float *v, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(lo + (hi - lo) * uniform());
}

#define DENSE(N, ACT)                                                                              \
    {                                                                                              \
        .kind = NN_LAYER_DENSE, .n_out = (N), .act = (ACT)                                         \
    }
#define LOSS(L)                                                                                    \
    {                                                                                              \
        .kind = NN_LAYER_LOSS, .loss = (L)                                                         \
    }

static void expect_create_fails(const nn_net_config *cfg, size_t n, const nn_layer_spec *specs,
                                const char *says)
{
    nn_net *net = nn_net_create(cfg, n, specs);
    if (net) fail_msg("accepted: %s", says);
    assert_int_equal(nn_last_status(), NN_EINVAL);
    if (!strstr(nn_last_error(), says))
        fail_msg("message '%s' does not say '%s'", nn_last_error(), says);
}

/* ---- errors ---------------------------------------------------------------------------------- */

static void test_create_errors(void **state)
{
    (void)state;
    nn_net_config ok = {.n_in = 3, .max_batch = 8, .seed = 1};
    nn_layer_spec dense[] = {DENSE(4, NN_ACT_RELU), LOSS(NN_LOSS_MSE)};
    expect_create_fails(NULL, 2, dense, "no configuration");
    expect_create_fails(&ok, 2, NULL, "no configuration");
    nn_net_config c = ok;
    c.n_in = 0;
    expect_create_fails(&c, 2, dense, "n_in=0");
    c.n_in = NN_MAX_WIDTH + 1;
    expect_create_fails(&c, 2, dense, "n_in=65537");
    c = ok;
    c.max_batch = 0;
    expect_create_fails(&c, 2, dense, "max_batch=0");
    c.max_batch = NN_MAX_BATCH + 1;
    expect_create_fails(&c, 2, dense, "max_batch=");
    c = ok;
    c.init = (nn_init)3;
    expect_create_fails(&c, 2, dense, "initialisation");
    expect_create_fails(&ok, 0, dense, "0 layers");
    expect_create_fails(&ok, NN_MAX_LAYERS + 1, dense, "257 layers");

    nn_layer_spec zero[] = {DENSE(0, NN_ACT_RELU)};
    expect_create_fails(&ok, 1, zero, "layer 0 (dense): n_out=0");
    nn_layer_spec wide[] = {DENSE(NN_MAX_WIDTH + 1, NN_ACT_RELU)};
    expect_create_fails(&ok, 1, wide, "n_out=65537");
    nn_layer_spec act[] = {DENSE(2, NN_ACT_RELU), DENSE(2, (nn_act)5)};
    expect_create_fails(&ok, 2, act, "layer 1 (dense): unknown activation 5");
    nn_layer_spec kind[] = {{.kind = (nn_layer_kind)0}};
    expect_create_fails(&ok, 1, kind, "unknown kind 0");
    nn_layer_spec loss_first[] = {LOSS(NN_LOSS_MSE)};
    expect_create_fails(&ok, 1, loss_first, "needs a layer before it");
    nn_layer_spec loss_middle[] = {DENSE(2, NN_ACT_RELU), LOSS(NN_LOSS_MSE), DENSE(2, NN_ACT_RELU)};
    expect_create_fails(&ok, 3, loss_middle, "must be the last layer");
    nn_layer_spec loss_kind[] = {DENSE(2, NN_ACT_RELU), LOSS((nn_loss)9)};
    expect_create_fails(&ok, 2, loss_kind, "unknown loss 9");
    nn_layer_spec custom[] = {{.kind = NN_LAYER_CUSTOM}};
    expect_create_fails(&ok, 1, custom, "no forward or backward");
    nn_layer_spec sigma[] = {{.kind = NN_LAYER_NOISE, .sigma = -0.5f}};
    expect_create_fails(&ok, 1, sigma, "sigma=-0.5");
    sigma[0].sigma = NAN;
    expect_create_fails(&ok, 1, sigma, "sigma=nan");

    const size_t widths[] = {4};
    const nn_act acts[] = {NN_ACT_RELU};
    assert_null(nn_mlp_create(&ok, 0, widths, acts, NN_LOSS_MSE));
    assert_int_equal(nn_last_status(), NN_EINVAL);
    assert_null(nn_mlp_create(&ok, 1, NULL, acts, NN_LOSS_MSE));
    assert_null(nn_mlp_create(&ok, 1, widths, acts, (nn_loss)7));
    nn_net_destroy(NULL);
    nn_workspace_destroy(NULL);
}

static void test_call_order_errors(void **state)
{
    (void)state;
    nn_net_config cfg = {.n_in = 2, .max_batch = 8, .seed = 2385};
    nn_layer_spec specs[] = {DENSE(4, NN_ACT_TANH),
                             {.kind = NN_LAYER_NOISE},
                             DENSE(2, NN_ACT_IDENTITY),
                             LOSS(NN_LOSS_SIGMOID_BCE)};
    nn_net *net = nn_net_create(&cfg, 4, specs);
    assert_non_null(net);
    float x[16], y[16];
    fill(16, x, -1, 1);
    fill(16, y, 0, 1);
    double loss;
    assert_int_equal(nn_net_loss(net, y, &loss), NN_EINVAL); /* no forward yet */
    assert_int_equal(nn_net_backward(net), NN_EINVAL);
    assert_int_equal(nn_net_forward(net, 0, x), NN_EINVAL);
    assert_int_equal(nn_net_forward(net, 9, x), NN_EINVAL);
    assert_non_null(strstr(nn_last_error(), "batch of 9, not in 1..8"));
    assert_int_equal(nn_net_forward(net, 8, x), NN_OK);
    assert_int_equal(nn_net_backward(net), NN_EINVAL); /* no loss yet */
    assert_int_equal(nn_net_loss(net, NULL, &loss), NN_EINVAL);
    assert_int_equal(nn_net_loss(net, y, &loss), NN_OK);
    assert_int_equal(nn_net_backward(net), NN_OK);
    assert_int_equal(nn_net_backward(net), NN_EINVAL); /* gradients are in already */
    assert_null(nn_net_input_grad(net));               /* not asked for */
    assert_int_equal(nn_net_set_noise(net, 0, 0.5f, NULL, NULL), NN_EINVAL);
    assert_int_equal(nn_net_set_noise(net, 1, -0.5f, NULL, NULL), NN_EINVAL);
    assert_int_equal(nn_net_set_noise(net, 9, 0.5f, NULL, NULL), NN_EINVAL);
    nn_layer_info info;
    assert_int_equal(nn_net_layer_info(net, 4, &info), NN_EINVAL);

    assert_null(nn_workspace_create(net, 0));
    assert_null(nn_workspace_create(NULL, 4));
    nn_net *other = nn_net_create(&cfg, 4, specs);
    nn_workspace *ws_other = nn_workspace_create(other, 4);
    float out[16];
    assert_int_equal(nn_net_infer(net, ws_other, 4, x, out), NN_EINVAL);
    assert_non_null(strstr(nn_last_error(), "not made for this network"));
    assert_int_equal(nn_net_infer(net, NULL, 4, x, out), NN_EINVAL);
    assert_int_equal(nn_net_eval_loss(net, ws_other, 4, x, y, &loss), NN_EINVAL);
    nn_workspace *ws = nn_workspace_create(net, 4);
    assert_int_equal(nn_net_infer(net, ws, 0, NULL, NULL), NN_OK); /* nothing to do */
    assert_int_equal(nn_net_infer(net, ws, 3, NULL, out), NN_EINVAL);
    assert_int_equal(nn_net_eval_loss(net, ws, 0, x, y, &loss), NN_EINVAL);

    /* without a loss layer */
    nn_net *bare = nn_net_create(&cfg, 3, specs);
    nn_workspace *ws_bare = nn_workspace_create(bare, 4);
    assert_int_equal(nn_net_forward(bare, 4, x), NN_OK);
    assert_int_equal(nn_net_loss(bare, y, &loss), NN_EINVAL);
    assert_int_equal(nn_net_eval_loss(bare, ws_bare, 4, x, y, &loss), NN_EINVAL);
    assert_non_null(strstr(nn_last_error(), "no loss layer"));
    nn_workspace_destroy(ws_bare);
    nn_net_destroy(bare);
    nn_workspace_destroy(ws);
    nn_workspace_destroy(ws_other);
    nn_net_destroy(other);
    nn_net_destroy(net);
}

static void test_error_table(void **state)
{
    (void)state;
    for (int a = NN_OK; a <= NN_ENONFINITE; a++) {
        assert_true(strlen(nn_strerror(a)) > 0);
        for (int b = NN_OK; b < a; b++)
            assert_true(strcmp(nn_strerror(a), nn_strerror(b)) != 0);
    }
    assert_string_equal(nn_strerror(99), "unknown error");
    assert_int_equal(nn_error(NN_ELIMIT, "x: %d", 2385), NN_ELIMIT);
    assert_int_equal(nn_last_status(), NN_ELIMIT);
    assert_string_equal(nn_last_error(), "x: 2385");
}

/* ---- inference ----------------------------------------------------------------------------- */

static nn_net *demapper(size_t max_batch)
{
    const size_t widths[] = {64, 64, 4};
    const nn_act acts[] = {NN_ACT_RELU, NN_ACT_RELU, NN_ACT_IDENTITY};
    nn_net_config cfg = {.n_in = 5, .max_batch = max_batch, .seed = 2385};
    nn_net *net = nn_mlp_create(&cfg, 3, widths, acts, NN_LOSS_SIGMOID_BCE);
    assert_non_null(net);
    /* biases of entropy: the ones from initialisation are zero */
    for (size_t t = 0; t < 3; t++) {
        nn_layer_info info;
        nn_net_layer_info(net, t, &info);
        fill(info.spec.n_out, nn_net_params(net) + info.param_offset + info.n_in * info.spec.n_out,
             -0.385, 0.385);
    }
    return net;
}

/* The training forward pass and inference in pieces of 7 agree; so do the loss of the training
 * pass and nn_net_eval_loss. */
static void test_infer_in_pieces(void **state)
{
    (void)state;
    enum { N = 50 };
    nn_net *net = demapper(64);
    float x[N * 5], y[N * 4], out[N * 4];
    fill(N * 5, x, -2.385, 2.385);
    for (int i = 0; i < N * 4; i++)
        y[i] = uniform() < 0.5;
    nn_workspace *ws = nn_workspace_create(net, 7);
    assert_int_equal(nn_net_forward(net, N, x), NN_OK);
    assert_int_equal(nn_net_infer(net, ws, N, x, out), NN_OK);
    const float *train_out = nn_net_output(net);
    for (int i = 0; i < N * 4; i++)
        assert_close(out[i], train_out[i], 1e-6, 1e-6);
    double loss_train, loss_eval;
    assert_int_equal(nn_net_loss(net, y, &loss_train), NN_OK);
    assert_int_equal(nn_net_eval_loss(net, ws, N, x, y, &loss_eval), NN_OK);
    assert_close(loss_eval, loss_train, 1e-6, 0);
    assert_int_equal(nn_net_n_out(net), 4);
    nn_workspace_destroy(ws);
    nn_net_destroy(net);
}

typedef struct {
    const nn_net *net;
    const float *x;
    const float *expected;
    int mismatches;
    uint64_t allocs_before, allocs_after;
    nn_workspace *ws;
} worker;

enum { THREAD_N = 333, REPEATS = 200 };

static void *infer_many(void *arg)
{
    worker *w = arg;
    static _Thread_local float out[THREAD_N * 4];
    for (int r = 0; r < REPEATS; r++) {
        if (nn_net_infer(w->net, w->ws, THREAD_N, w->x, out) != NN_OK) w->mismatches++;
        w->mismatches += memcmp(out, w->expected, sizeof out) != 0;
    }
    return NULL;
}

/* Four threads share one network, each with its own workspace: every result equals the
 * single-thread one bit for bit, and no call allocates. */
static void test_threads_share_a_network(void **state)
{
    (void)state;
    enum { T = 4 };
    nn_net *net = demapper(32);
    static float x[T][THREAD_N * 5], expected[T][THREAD_N * 4];
    worker w[T];
    pthread_t th[T];
    nn_workspace *ws = nn_workspace_create(net, 100);
    for (int t = 0; t < T; t++) {
        fill(THREAD_N * 5, x[t], -2.385, 2.385);
        assert_int_equal(nn_net_infer(net, ws, THREAD_N, x[t], expected[t]), NN_OK);
        /* workspaces of the same batch: the same pieces, so the same sums in the same order
         * (CBLAS may round a product of another size differently) */
        w[t] = (worker){net, x[t], expected[t], 0, 0, 0, nn_workspace_create(net, 100)};
        assert_non_null(w[t].ws);
    }
    uint64_t before = nn_alloc_count();
    for (int t = 0; t < T; t++)
        assert_int_equal(pthread_create(&th[t], NULL, infer_many, &w[t]), 0);
    for (int t = 0; t < T; t++)
        assert_int_equal(pthread_join(th[t], NULL), 0);
    assert_int_equal(nn_alloc_count(), before);
    for (int t = 0; t < T; t++) {
        assert_int_equal(w[t].mismatches, 0);
        nn_workspace_destroy(w[t].ws);
    }
    nn_workspace_destroy(ws);
    nn_net_destroy(net);
}

/* ---- initialisation ----------------------------------------------------------------------------
 */

static void weight_moments(const nn_net *net, size_t layer, double *mean, double *var,
                           double *max_abs)
{
    nn_layer_info info;
    nn_net_layer_info(net, layer, &info);
    size_t n = info.n_in * info.spec.n_out;
    const float *w = nn_net_params_const(net) + info.param_offset;
    double s = 0, s2 = 0;
    *max_abs = 0;
    for (size_t i = 0; i < n; i++) {
        s += w[i];
        s2 += (double)w[i] * w[i];
        *max_abs = fmax(*max_abs, fabs(w[i]));
    }
    *mean = s / (double)n;
    *var = s2 / (double)n - *mean * *mean;
    for (size_t j = 0; j < info.spec.n_out; j++)
        assert_true(w[n + j] == 0.0f); /* biases */
}

/* He and Glorot variances within 4 standard errors (65536 weights: relative standard error of a
 * variance about 0.6%, so 3% is ~5σ); the seed fixes every weight. */
static void test_initialisation(void **state)
{
    (void)state;
    const size_t widths[] = {256, 256};
    const nn_act acts[] = {NN_ACT_RELU, NN_ACT_TANH};
    nn_net_config cfg = {.n_in = 256, .max_batch = 1, .seed = 2385};
    nn_net *a = nn_mlp_create(&cfg, 2, widths, acts, 0);
    nn_net *b = nn_mlp_create(&cfg, 2, widths, acts, 0);
    cfg.seed = 2386;
    nn_net *c = nn_mlp_create(&cfg, 2, widths, acts, 0);
    assert_true(a && b && c);
    size_t P = nn_net_n_params(a);
    assert_memory_equal(nn_net_params(a), nn_net_params(b), P * sizeof(float));
    assert_true(memcmp(nn_net_params(a), nn_net_params(c), P * sizeof(float)) != 0);
    double mean, var, max_abs;
    weight_moments(a, 0, &mean, &var, &max_abs); /* He: ReLU layer */
    assert_close(var, 2.0 / 256, 0.03, 0);
    assert_close(mean, 0.0, 0, 4 * sqrt(2.0 / 256 / 65536));
    weight_moments(a, 1, &mean, &var, &max_abs); /* Glorot: tanh layer, uniform ±sqrt(6/512) */
    assert_close(var, 2.0 / 512, 0.03, 0);
    assert_true(max_abs <= sqrt(6.0 / 512));
    assert_true(max_abs > 0.99 * sqrt(6.0 / 512));
    nn_net_init(a, 2385, NN_INIT_GLOROT); /* forced Glorot on the ReLU layer */
    weight_moments(a, 0, &mean, &var, &max_abs);
    assert_close(var, 2.0 / 512, 0.03, 0);
    nn_net_init(a, 2385, NN_INIT_HE);
    weight_moments(a, 1, &mean, &var, &max_abs);
    assert_close(var, 2.0 / 256, 0.03, 0);
    nn_net_destroy(a);
    nn_net_destroy(b);
    nn_net_destroy(c);
}

/* ---- layers at their limits ------------------------------------------------------------------ */

/* A network whose body is a noise layer without samples (the identity), so the loss sees the
 * logits exactly as given. */
static nn_net *loss_only(nn_loss loss, size_t k, size_t n)
{
    nn_layer_spec specs[] = {{.kind = NN_LAYER_NOISE}, LOSS(loss)};
    nn_net_config cfg = {.n_in = k, .max_batch = n, .input_grad = 1};
    nn_net *net = nn_net_create(&cfg, 2, specs);
    assert_non_null(net);
    return net;
}

/* Losses at logits up to ±1e4 are finite and right, and so are their messages. */
static void test_losses_at_extreme_logits(void **state)
{
    (void)state;
    enum { N = 8 };
    const float logits[N] = {1e4f, -1e4f, 88.5f, -88.5f, 100.0f, -100.0f, 2.385f, -30.0f};
    float bits[N] = {1, 1, 0, 0, 1, 0, 1, 1};
    nn_net *bce = loss_only(NN_LOSS_SIGMOID_BCE, 1, N);
    double loss, expected = 0;
    assert_int_equal(nn_net_forward(bce, N, logits), NN_OK);
    assert_int_equal(nn_net_loss(bce, bits, &loss), NN_OK);
    assert_int_equal(nn_net_backward(bce), NN_OK);
    const float *d = nn_net_input_grad(bce);
    for (int i = 0; i < N; i++) {
        double x = logits[i];
        expected += (fmax(x, 0) - x * bits[i] + log1p(exp(-fabs(x)))) / N;
        double sigma = 1 / (1 + exp(-x));
        assert_close(d[i], (sigma - bits[i]) / N, 1e-6, 1e-12);
    }
    assert_true(isfinite(loss));
    assert_close(loss, expected, 1e-6, 0);
    nn_net_destroy(bce);

    const float row[3] = {1e4f, -1e4f, 0.0f};
    float one_hot[3] = {0, 0, 1};
    nn_net *ce = loss_only(NN_LOSS_SOFTMAX_CE, 3, 1);
    assert_int_equal(nn_net_forward(ce, 1, row), NN_OK);
    assert_int_equal(nn_net_loss(ce, one_hot, &loss), NN_OK);
    assert_close(loss, 1e4, 1e-7, 0);
    assert_int_equal(nn_net_backward(ce), NN_OK);
    d = nn_net_input_grad(ce);
    assert_close(d[0], 1.0, 0, 1e-7);
    assert_close(d[1], 0.0, 0, 1e-7);
    assert_close(d[2], -1.0, 0, 1e-7);
    nn_net_destroy(ce);

    /* the sigmoid activation saturates to exactly 0 and 1 without overflow */
    float z[4] = {-1e4f, -100.0f, 100.0f, 1e4f};
    nn_activation_of(NN_ACT_SIGMOID)->f(4, z);
    assert_true(z[0] >= 0.0f && z[0] < 1e-37f);
    assert_true(z[1] >= 0.0f && z[1] < 1e-37f);
    assert_true(z[2] == 1.0f && z[3] == 1.0f);
}

/* The power layer gives unit mean power per (I,Q) pair over the batch; the noise layer adds σw
 * from its callback exactly, and nothing without one. */
static void noise_ramp(void *user, size_t count, float *w)
{
    int *calls = user;
    ++*calls;
    for (size_t i = 0; i < count; i++)
        w[i] = (float)i * 0.125f - 1.0f;
}

static void test_power_and_noise_layers(void **state)
{
    (void)state;
    enum { N = 13, W = 6 };
    nn_layer_spec specs[] = {{.kind = NN_LAYER_POWER_NORM}, {.kind = NN_LAYER_NOISE}};
    nn_net_config cfg = {.n_in = W, .max_batch = N};
    nn_net *net = nn_net_create(&cfg, 2, specs);
    assert_non_null(net);
    float x[N * W], out[N * W], out_noisy[N * W];
    fill(N * W, x, -2.385, 4.77);
    nn_workspace *ws = nn_workspace_create(net, N);
    assert_int_equal(nn_net_infer(net, ws, N, x, out), NN_OK);
    double power = 0;
    for (int i = 0; i < N * W; i++)
        power += (double)out[i] * out[i];
    assert_close(power / (N * W / 2), 1.0, 1e-6, 0);
    int calls = 0;
    assert_int_equal(nn_net_set_noise(net, 1, 0.385f, noise_ramp, &calls), NN_OK);
    assert_int_equal(nn_net_infer(net, ws, N, x, out_noisy), NN_OK);
    assert_int_equal(calls, 1);
    for (int i = 0; i < N * W; i++)
        assert_close(out_noisy[i], out[i] + 0.385f * ((float)i * 0.125f - 1.0f), 1e-6, 1e-6);
    nn_workspace_destroy(ws);
    nn_net_destroy(net);
}

/* ---- elementary functions ------------------------------------------------------------------- */

static void test_fast_exp_and_log1p(void **state)
{
    (void)state;
    double worst_exp = 0, worst_log = 0;
    for (int i = 0; i <= 2000000; i++) {
        float x = (float)(-87.0 + 175.0 * i / 2000000.0);
        double e = exp((double)x);
        worst_exp = fmax(worst_exp, fabs(nn_expf(x) - e) / e);
    }
    for (int i = 0; i <= 1000000; i++) {
        float t = (float)i / 1000000.0f;
        if (i == 0) t = 1e-30f;
        double l = log1p((double)t);
        worst_log = fmax(worst_log, fabs(nn_log1pf_unit(t) - l) / l);
    }
    print_message("  worst relative error: exp %.2e, log1p %.2e\n", worst_exp, worst_log);
    assert_true(worst_exp < 3e-7);
    assert_true(worst_log < 3e-7);
    assert_true(nn_expf(-1e4f) >= 0.0f && nn_expf(-1e4f) < 2e-38f);
    assert_true(nn_log1pf_unit(0.0f) == 0.0f);
    assert_true(isnan(nn_expf(NAN)));
    float z = NAN;
    nn_activation_of(NN_ACT_SIGMOID)->f(1, &z);
    assert_true(isnan(z)); /* a diverged network is not hidden by a saturating layer */
}

int main(void)
{
    nn_blas_set_threads(1); /* small products: OpenBLAS's threads would only wait on each other */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_call_order_errors),
        cmocka_unit_test(test_error_table),
        cmocka_unit_test(test_infer_in_pieces),
        cmocka_unit_test(test_threads_share_a_network),
        cmocka_unit_test(test_initialisation),
        cmocka_unit_test(test_losses_at_extreme_logits),
        cmocka_unit_test(test_power_and_noise_layers),
        cmocka_unit_test(test_fast_exp_and_log1p),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
