/* Learning with nn/: XOR, two spirals and a sine regression reach stated accuracies from fixed
 * seeds; optimizers and schedules against their formulas; the training loop's learning curve,
 * errors and freedom from allocation. */
#include "test_util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn.h"
#include "nn_internal.h"

/* ---- data sources -----------------------------------------------------------------------------
 */

typedef struct {
    uint64_t state;
} lcg;

static double lcg_uniform(lcg *g)
{
    g->state = g->state * 6364136223846793005u + 1442695040888963407u;
    return ((double)(g->state >> 11) + 0.5) * 0x1p-53;
}

static double lcg_normal(lcg *g)
{
    double u = lcg_uniform(g), v = lcg_uniform(g);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* The four XOR points, in turn. */
static int xor_source(void *user, size_t n, float *x, float *y)
{
    (void)user;
    for (size_t i = 0; i < n; i++) {
        int a = (int)(i & 1), b = (int)((i >> 1) & 1);
        x[2 * i] = a ? 1.0f : -1.0f;
        x[2 * i + 1] = b ? 1.0f : -1.0f;
        y[i] = (float)(a ^ b);
    }
    return 0;
}

/* Two interleaved spirals, fresh points at every call; targets one-hot over 2 classes. */
static int spiral_source(void *user, size_t n, float *x, float *y)
{
    lcg *g = user;
    const double pi = 3.141592653589793;
    for (size_t i = 0; i < n; i++) {
        int c = lcg_uniform(g) < 0.5;
        double t = sqrt(lcg_uniform(g)) * 4.0 * pi; /* two turns */
        double r = t / (4.0 * pi);
        x[2 * i] = (float)(r * cos(t + c * pi) + 0.02 * lcg_normal(g));
        x[2 * i + 1] = (float)(r * sin(t + c * pi) + 0.02 * lcg_normal(g));
        y[2 * i] = (float)(1 - c);
        y[2 * i + 1] = (float)c;
    }
    return 0;
}

/* y = sin(x) for x uniform on [−π, π]. */
static int sine_source(void *user, size_t n, float *x, float *y)
{
    lcg *g = user;
    for (size_t i = 0; i < n; i++) {
        double v = (2.0 * lcg_uniform(g) - 1.0) * 3.141592653589793;
        x[i] = (float)v;
        y[i] = (float)sin(v);
    }
    return 0;
}

/* ---- learning ------------------------------------------------------------------------------- */

static nn_net *mlp(size_t n_in, size_t n_dense, const size_t *widths, const nn_act *acts,
                   nn_loss loss, size_t max_batch, uint64_t seed)
{
    nn_net_config cfg = {.n_in = n_in, .max_batch = max_batch, .seed = seed};
    nn_net *net = nn_mlp_create(&cfg, n_dense, widths, acts, loss);
    if (!net) fail_msg("nn_mlp_create: %s", nn_last_error());
    return net;
}

static nn_optim *optimizer(const nn_net *net, const nn_optim_config *cfg)
{
    nn_optim *opt = nn_optim_create(nn_net_n_params(net), cfg);
    if (!opt) fail_msg("nn_optim_create: %s", nn_last_error());
    return opt;
}

static void train_or_fail(nn_net *net, nn_optim *opt, const nn_train_config *cfg,
                          nn_train_result *res)
{
    int status = nn_train(net, opt, cfg, res);
    if (status != NN_OK) fail_msg("nn_train: %s", nn_last_error());
}

/* XOR with SGD and momentum: every point right, loss below 0.05. */
static void test_xor_sgd(void **state)
{
    (void)state;
    const size_t widths[] = {8, 1};
    const nn_act acts[] = {NN_ACT_TANH, NN_ACT_IDENTITY};
    nn_net *net = mlp(2, 2, widths, acts, NN_LOSS_SIGMOID_BCE, 4, 2385);
    nn_optim_config ocfg = nn_optim_sgd(0.1, 0.9);
    nn_optim *opt = optimizer(net, &ocfg);
    nn_train_config cfg = {
        .steps = 600, .batch = 4, .source = xor_source, .val_every = 100, .val_samples = 4};
    nn_train_result res;
    train_or_fail(net, opt, &cfg, &res);
    float x[8], y[4], logit[4];
    xor_source(NULL, 4, x, y);
    nn_workspace *ws = nn_workspace_create(net, 4);
    assert_int_equal(nn_net_infer(net, ws, 4, x, logit), NN_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(logit[i] > 0.0f, y[i] > 0.5f);
    print_message("  XOR: validation loss %.4f after %llu steps\n", res.last.val_loss,
                  (unsigned long long)res.steps);
    assert_true(res.last.val_loss < 0.05);
    nn_workspace_destroy(ws);
    nn_optim_destroy(opt);
    nn_net_destroy(net);
}

/* Two spirals with Adam, cosine decay and warm-up, fresh samples every step: at least 99% of
 * 4000 new points classified right. */
static void test_two_spirals_adam_cosine(void **state)
{
    (void)state;
    const size_t widths[] = {64, 64, 2};
    const nn_act acts[] = {NN_ACT_RELU, NN_ACT_RELU, NN_ACT_IDENTITY};
    nn_net *net = mlp(2, 3, widths, acts, NN_LOSS_SOFTMAX_CE, 128, 2385);
    nn_optim_config ocfg = nn_optim_adam(0.01);
    ocfg.schedule =
        (nn_schedule){.kind = NN_SCHED_COSINE, .total_steps = 2900, .lr_min = 1e-4, .warmup = 100};
    nn_optim *opt = optimizer(net, &ocfg);
    lcg train = {2385}, val = {7}, test = {11};
    nn_train_config cfg = {.steps = 3000,
                           .batch = 128,
                           .source = spiral_source,
                           .source_user = &train,
                           .val_every = 500,
                           .val_samples = 1000,
                           .val_source = spiral_source,
                           .val_user = &val};
    nn_train_result res;
    train_or_fail(net, opt, &cfg, &res);

    enum { N = 4000 };
    static float x[2 * N], y[2 * N], logit[2 * N];
    spiral_source(&test, N, x, y);
    nn_workspace *ws = nn_workspace_create(net, 256);
    assert_int_equal(nn_net_infer(net, ws, N, x, logit), NN_OK);
    int right = 0;
    for (int i = 0; i < N; i++)
        right += (logit[2 * i + 1] > logit[2 * i]) == (y[2 * i + 1] > 0.5f);
    print_message("  two spirals: %.2f%% right, validation loss %.4f\n", 100.0 * right / N,
                  res.last.val_loss);
    assert_true(right >= 0.99 * N);
    nn_workspace_destroy(ws);
    nn_optim_destroy(opt);
    nn_net_destroy(net);
}

/* sin on [−π, π] with Adam and step decay: mean squared error below 2e-4 on 2000 new points. */
static void test_sine_regression_step_decay(void **state)
{
    (void)state;
    const size_t widths[] = {32, 32, 1};
    const nn_act acts[] = {NN_ACT_TANH, NN_ACT_TANH, NN_ACT_IDENTITY};
    nn_net *net = mlp(1, 3, widths, acts, NN_LOSS_MSE, 64, 2385);
    nn_optim_config ocfg = nn_optim_adam(0.01);
    ocfg.schedule = (nn_schedule){.kind = NN_SCHED_STEP, .step_size = 1000, .gamma = 0.3};
    nn_optim *opt = optimizer(net, &ocfg);
    lcg train = {2385}, test = {13};
    nn_train_config cfg = {.steps = 4000,
                           .batch = 64,
                           .source = sine_source,
                           .source_user = &train,
                           .val_every = 1000,
                           .val_samples = 500};
    nn_train_result res;
    train_or_fail(net, opt, &cfg, &res);
    enum { N = 2000 };
    static float x[N], y[N];
    sine_source(&test, N, x, y);
    nn_workspace *ws = nn_workspace_create(net, 100);
    double mse;
    assert_int_equal(nn_net_eval_loss(net, ws, N, x, y, &mse), NN_OK);
    print_message("  sine: test MSE %.2e\n", mse);
    assert_true(mse < 2e-4);
    nn_workspace_destroy(ws);
    nn_optim_destroy(opt);
    nn_net_destroy(net);
}

/* ---- optimizers and schedules against their formulas ---------------------------------------- */

static void test_schedules(void **state)
{
    (void)state;
    nn_schedule step = {.kind = NN_SCHED_STEP, .step_size = 100, .gamma = 0.385};
    assert_close(nn_schedule_lr(&step, 2.385, 0), 2.385, 1e-15, 0);
    assert_close(nn_schedule_lr(&step, 2.385, 99), 2.385, 1e-15, 0);
    assert_close(nn_schedule_lr(&step, 2.385, 100), 2.385 * 0.385, 1e-15, 0);
    assert_close(nn_schedule_lr(&step, 2.385, 250), 2.385 * 0.385 * 0.385, 1e-15, 0);
    nn_schedule cosine = {.kind = NN_SCHED_COSINE, .total_steps = 1000, .lr_min = 0.0385};
    assert_close(nn_schedule_lr(&cosine, 2.385, 0), 2.385, 1e-15, 0);
    assert_close(nn_schedule_lr(&cosine, 2.385, 500), (2.385 + 0.0385) / 2, 1e-14, 0);
    assert_close(nn_schedule_lr(&cosine, 2.385, 250),
                 0.0385 + (2.385 - 0.0385) * (1 + cos(3.141592653589793 / 4)) / 2, 1e-14, 0);
    assert_close(nn_schedule_lr(&cosine, 2.385, 1000), 0.0385, 1e-14, 0);
    assert_close(nn_schedule_lr(&cosine, 2.385, 5000), 0.0385, 1e-14, 0);
    nn_schedule warm = cosine;
    warm.warmup = 10;
    assert_close(nn_schedule_lr(&warm, 2.385, 0), 0.2385, 1e-15, 0);
    assert_close(nn_schedule_lr(&warm, 2.385, 9), 2.385, 1e-15, 0);
    assert_close(nn_schedule_lr(&warm, 2.385, 510), (2.385 + 0.0385) / 2, 1e-14, 0);
    assert_close(nn_schedule_lr(NULL, 2.385, 77), 2.385, 0, 0);
}

/* SGD with momentum: v1 = g1, v2 = μ g1 + g2, θ moves by η v each step. */
static void test_sgd_momentum_formula(void **state)
{
    (void)state;
    nn_optim_config cfg = nn_optim_sgd(0.125, 0.5);
    nn_optim *opt = nn_optim_create(2, &cfg);
    assert_non_null(opt);
    float theta[2] = {2.385f, -0.5f}, g1[2] = {0.75f, -1.25f}, g2[2] = {0.25f, 0.5f};
    assert_int_equal(nn_optim_step(opt, theta, g1), NN_OK);
    assert_close(theta[0], 2.385f - 0.125f * 0.75f, 1e-7, 0);
    assert_close(theta[1], -0.5f + 0.125f * 1.25f, 1e-7, 0);
    assert_int_equal(nn_optim_step(opt, theta, g2), NN_OK);
    assert_close(theta[0], 2.385f - 0.125f * 0.75f - 0.125f * (0.5f * 0.75f + 0.25f), 1e-7, 0);
    assert_close(theta[1], -0.5f + 0.125f * 1.25f - 0.125f * (-0.5f * 1.25f + 0.5f), 1e-6, 0);
    assert_int_equal(nn_optim_steps(opt), 2);
    nn_optim_destroy(opt);
}

/* Adam's bias correction makes the first step η g/(|g| + ε) whatever the moments' decay, and
 * the second step is the textbook formula. */
static void test_adam_bias_correction(void **state)
{
    (void)state;
    nn_optim_config cfg = nn_optim_adam(0.0385);
    nn_optim *opt = nn_optim_create(3, &cfg);
    assert_non_null(opt);
    float theta[3] = {2.385f, -1.5f, 0.25f}, g[3] = {3e-3f, -250.0f, 0.0f};
    float g_copy[3];
    memcpy(g_copy, g, sizeof g);
    assert_int_equal(nn_optim_step(opt, theta, g), NN_OK);
    assert_close(theta[0], 2.385 - 0.0385 * 3e-3 / (3e-3 + 1e-8), 1e-6, 0);
    assert_close(theta[1], -1.5 + 0.0385, 1e-6, 0);
    assert_close(theta[2], 0.25, 0, 0);
    /* second step, with g2 = g/2 */
    double m = 0, v = 0, th = 2.385 - 0.0385 * 3e-3 / (3e-3 + 1e-8);
    double gs[2] = {3e-3, 1.5e-3};
    for (int t = 1; t <= 2; t++) {
        m = 0.9 * m + 0.1 * gs[t - 1];
        v = 0.999 * v + 0.001 * gs[t - 1] * gs[t - 1];
    }
    th -= 0.0385 * (m / (1 - 0.81)) / (sqrt(v / (1 - 0.999 * 0.999)) + 1e-8);
    for (int i = 0; i < 3; i++)
        g[i] = g_copy[i] / 2;
    assert_int_equal(nn_optim_step(opt, theta, g), NN_OK);
    assert_close(theta[0], th, 1e-6, 0);
    nn_optim_destroy(opt);
}

static void test_clipping(void **state)
{
    (void)state;
    float g[3] = {3.0f, -4.0f, 12.0f}; /* norm 13 */
    assert_close(nn_grad_norm(3, g), 13.0, 1e-15, 0);
    assert_close(nn_grad_clip(3, g, 2.385), 13.0, 1e-15, 0);
    assert_close(nn_grad_norm(3, g), 2.385, 1e-6, 0);
    assert_close(g[1], -4.0 * 2.385 / 13.0, 1e-6, 0);
    float small[2] = {0.3f, 0.4f};
    assert_close(nn_grad_clip(2, small, 2.385), 0.5, 1e-7, 0);
    assert_close(small[0], 0.3f, 0, 0);
    /* clipping inside a step: SGD without momentum moves by exactly η·clip */
    nn_optim_config cfg = nn_optim_sgd(0.5, 0.0);
    cfg.clip_norm = 1.0;
    nn_optim *opt = nn_optim_create(2, &cfg);
    float theta[2] = {0.0f, 0.0f}, g2[2] = {30.0f, 40.0f};
    assert_int_equal(nn_optim_step(opt, theta, g2), NN_OK);
    assert_close(theta[0], -0.3, 1e-6, 0);
    assert_close(theta[1], -0.4, 1e-6, 0);
    nn_optim_destroy(opt);
}

static void test_optimizer_errors(void **state)
{
    (void)state;
    nn_optim_config bad[] = {
        nn_optim_sgd(0.0, 0.5),
        nn_optim_sgd(0.1, 1.0),
        nn_optim_sgd(NAN, 0.0),
        nn_optim_adam(-1.0),
        {.kind = (nn_opt_kind)7, .lr = 0.1},
    };
    bad[4].lr = 0.1;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(nn_optim_create(4, &bad[i]));
        assert_int_equal(nn_last_status(), NN_EINVAL);
        assert_true(strncmp(nn_last_error(), "nn_optim_create: ", 17) == 0);
    }
    nn_optim_config adam = nn_optim_adam(0.01);
    adam.beta2 = 1.0;
    assert_null(nn_optim_create(4, &adam));
    adam = nn_optim_adam(0.01);
    adam.schedule = (nn_schedule){.kind = NN_SCHED_STEP, .step_size = 0, .gamma = 0.5};
    assert_null(nn_optim_create(4, &adam));
    adam.schedule = (nn_schedule){.kind = NN_SCHED_COSINE, .total_steps = 10, .lr_min = 0.5};
    assert_null(nn_optim_create(4, &adam));
    assert_non_null(strstr(nn_last_error(), "lr_min"));
    adam.schedule = (nn_schedule){0};
    assert_null(nn_optim_create(0, &adam));
    nn_optim_destroy(NULL);
    /* a non-finite gradient changes nothing, with clipping too */
    adam.clip_norm = 0.5;
    nn_optim *opt = nn_optim_create(2, &adam);
    float theta[2] = {2.385f, 1.0f}, g[2] = {NAN, 1.0f}, g_inf[2] = {INFINITY, 1.0f};
    assert_int_equal(nn_optim_step(opt, theta, g), NN_ENONFINITE);
    assert_int_equal(nn_optim_step(opt, theta, g_inf), NN_ENONFINITE);
    assert_close(theta[0], 2.385f, 0, 0);
    assert_close(theta[1], 1.0f, 0, 0);
    assert_close(g_inf[1], 1.0f, 0, 0);
    assert_int_equal(nn_optim_steps(opt), 0);
    nn_optim_destroy(opt);
}

/* ---- the training loop ---------------------------------------------------------------------- */

static char temp_dir[64];

static int make_temp_dir(void **state)
{
    (void)state;
    strcpy(temp_dir, "/tmp/test_nn_train.XXXXXX");
    return mkdtemp(temp_dir) ? 0 : -1;
}

static int remove_temp_dir(void **state)
{
    (void)state;
    return rmdir(temp_dir);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static size_t count_lines(const char *s, const char *prefix)
{
    size_t n = 0, len = strlen(prefix);
    for (const char *line = s; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
        n += strncmp(line, prefix, len) == 0;
    return n;
}

typedef struct {
    uint64_t allocs_at_first_row;
    int rows;
    int stop_after;
    uint64_t allocs_changed;
} row_watch;

static int watch_rows(void *user, const nn_train_row *row)
{
    row_watch *w = user;
    if (w->rows == 0)
        w->allocs_at_first_row = nn_alloc_count();
    else
        w->allocs_changed += nn_alloc_count() != w->allocs_at_first_row;
    (void)row;
    return ++w->rows == w->stop_after;
}

/* The curve: metadata, header, a row at 0, every K steps and at the end; no allocation after
 * setup; the file is renamed into place (no temporary left). */
static void test_train_curve(void **state)
{
    (void)state;
    const size_t widths[] = {16, 1};
    const nn_act acts[] = {NN_ACT_TANH, NN_ACT_IDENTITY};
    nn_net *net = mlp(1, 2, widths, acts, NN_LOSS_MSE, 32, 2385);
    nn_optim_config ocfg = nn_optim_adam(0.01);
    nn_optim *opt = optimizer(net, &ocfg);
    char path[128];
    snprintf(path, sizeof path, "%s/curve.tsv", temp_dir);
    const char *meta[] = {"command", "test_nn_train", "seed", "2385"};
    lcg g = {5};
    row_watch w = {0};
    nn_train_config cfg = {.steps = 250,
                           .batch = 32,
                           .source = sine_source,
                           .source_user = &g,
                           .val_every = 100,
                           .val_samples = 77,
                           .curve_path = path,
                           .curve_meta = meta,
                           .curve_n_meta = 2,
                           .on_row = watch_rows,
                           .on_row_user = &w};
    nn_train_result res;
    train_or_fail(net, opt, &cfg, &res);
    assert_int_equal(res.steps, 250);
    assert_int_equal(res.last.step, 250);
    assert_int_equal(w.rows, 4); /* 0, 100, 200, 250 */
    assert_int_equal(w.allocs_changed, 0);
    assert_true(res.best_val_loss <= res.last.val_loss);
    const char *text = read_text(path);
    assert_non_null(text);
    assert_non_null(strstr(text, "# command: test_nn_train\n# seed: 2385\n"
                                 "step\ttrain_loss\tval_loss\tlr\n0\t"));
    /* row 0's training loss is the untrained network's on the first batch, not nan */
    assert_null(strstr(text, "\n0\tnan\t"));
    lcg g0 = {5};
    float x0[77], y0[77];
    double loss0;
    nn_net *fresh = mlp(1, 2, widths, acts, NN_LOSS_MSE, 32, 2385);
    sine_source(&g0, 77, x0, y0); /* the validation set comes first from the same source */
    sine_source(&g0, 32, x0, y0);
    assert_int_equal(nn_net_forward(fresh, 32, x0), NN_OK);
    assert_int_equal(nn_net_loss(fresh, y0, &loss0), NN_OK);
    nn_net_destroy(fresh);
    char row0[64];
    snprintf(row0, sizeof row0, "\n0\t%.9g\t", loss0);
    assert_non_null(strstr(text, row0));
    assert_int_equal(count_lines(text, "100\t"), 1);
    assert_int_equal(count_lines(text, "250\t"), 1);
    assert_int_equal(count_lines(text, ""), 2 + 1 + 4);
    assert_int_equal(remove(path), 0); /* the directory must now be empty: no temporary left */

    /* on_row stops the run: the error is reported and the rows so far are written */
    w = (row_watch){.stop_after = 2};
    assert_int_equal(nn_train(net, opt, &cfg, &res), NN_ECALLBACK);
    assert_non_null(strstr(nn_last_error(), "on_row"));
    assert_int_equal(res.steps, 100);
    text = read_text(path);
    assert_int_equal(count_lines(text, ""), 2 + 1 + 2);
    assert_int_equal(remove(path), 0);
    nn_optim_destroy(opt);
    nn_net_destroy(net);
}

static int failing_source(void *user, size_t n, float *x, float *y)
{
    int *calls = user;
    sine_source(&(lcg){1}, n, x, y);
    return ++*calls > 3 ? -1 : 0;
}

static int nan_source(void *user, size_t n, float *x, float *y)
{
    int *calls = user;
    sine_source(&(lcg){1}, n, x, y);
    if (++*calls > 3) x[0] = NAN;
    return 0;
}

static void test_train_errors(void **state)
{
    (void)state;
    const size_t widths[] = {4, 1};
    const nn_act acts[] = {NN_ACT_TANH, NN_ACT_IDENTITY};
    nn_net *net = mlp(1, 2, widths, acts, NN_LOSS_MSE, 8, 2385);
    nn_optim_config ocfg = nn_optim_sgd(0.01, 0.0);
    nn_optim *opt = optimizer(net, &ocfg);
    int calls = 0;
    nn_train_config cfg = {.steps = 10,
                           .batch = 8,
                           .source = failing_source,
                           .source_user = &calls,
                           .val_every = 2,
                           .val_samples = 8};
    assert_int_equal(nn_train(net, opt, &cfg, NULL), NN_ECALLBACK);
    calls = 0;
    cfg.source = nan_source;
    assert_int_equal(nn_train(net, opt, &cfg, NULL), NN_ENONFINITE);
    assert_non_null(strstr(nn_last_error(), "loss is nan"));
    cfg.source = sine_source;
    cfg.source_user = &(lcg){3};
    nn_train_config bad = cfg;
    bad.batch = 9;
    assert_int_equal(nn_train(net, opt, &bad, NULL), NN_EINVAL);
    bad = cfg;
    bad.val_every = 0;
    assert_int_equal(nn_train(net, opt, &bad, NULL), NN_EINVAL);
    bad = cfg;
    bad.curve_path = "/nonexistent-dir/curve.tsv";
    assert_int_equal(nn_train(net, opt, &bad, NULL), NN_EIO);
    const char *meta[] = {"key", "two\nlines"};
    bad = cfg;
    bad.curve_meta = meta;
    bad.curve_n_meta = 1;
    assert_int_equal(nn_train(net, opt, &bad, NULL), NN_EINVAL);
    nn_optim *wrong = nn_optim_create(3, &ocfg);
    assert_int_equal(nn_train(net, wrong, &cfg, NULL), NN_EINVAL);
    nn_optim_destroy(wrong);
    /* a network without a loss cannot be trained */
    nn_net *bare = mlp(1, 2, widths, acts, 0, 8, 2385);
    assert_int_equal(nn_train(bare, opt, &cfg, NULL), NN_EINVAL);
    nn_net_destroy(bare);
    nn_optim_destroy(opt);
    nn_net_destroy(net);
}

/* The loop by hand, as sim/ may write it, allocates nothing after setup; so does inference on
 * more samples than the workspace's batch. */
static void test_steps_allocate_nothing(void **state)
{
    (void)state;
    const size_t widths[] = {64, 64, 4};
    const nn_act acts[] = {NN_ACT_RELU, NN_ACT_RELU, NN_ACT_IDENTITY};
    nn_net *net = mlp(5, 3, widths, acts, NN_LOSS_SIGMOID_BCE, 256, 2385);
    nn_optim_config ocfg = nn_optim_adam(1e-3);
    ocfg.clip_norm = 2.385;
    nn_optim *opt = optimizer(net, &ocfg);
    nn_workspace *ws = nn_workspace_create(net, 100);
    static float x[1000 * 5], y[1000 * 4], out[1000 * 4];
    lcg g = {17};
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = (float)lcg_normal(&g);
    for (size_t i = 0; i < sizeof y / sizeof y[0]; i++)
        y[i] = lcg_uniform(&g) < 0.5;
    uint64_t before = nn_alloc_count();
    for (int step = 0; step < 20; step++) {
        double loss;
        nn_net_zero_grad(net);
        assert_int_equal(nn_net_forward(net, step % 2 ? 256 : 77, x), NN_OK);
        assert_int_equal(nn_net_loss(net, y, &loss), NN_OK);
        assert_int_equal(nn_net_backward(net), NN_OK);
        assert_int_equal(nn_optim_step(opt, nn_net_params(net), nn_net_grads(net)), NN_OK);
    }
    assert_int_equal(nn_net_infer(net, ws, 1000, x, out), NN_OK);
    assert_int_equal(nn_alloc_count(), before);
    nn_workspace_destroy(ws);
    nn_optim_destroy(opt);
    nn_net_destroy(net);
}

/* Frozen parameters stay where they are, bit for bit, through Adam steps; the others move;
 * unfreezing trains them all again. */
static void test_frozen_parameters(void **state)
{
    (void)state;
    const size_t widths[] = {8, 2};
    const nn_act acts[] = {NN_ACT_TANH, NN_ACT_IDENTITY};
    nn_net *net = mlp(3, 2, widths, acts, NN_LOSS_SIGMOID_BCE, 64, 2385);
    nn_optim_config ocfg = nn_optim_adam(1e-2);
    nn_optim *opt = optimizer(net, &ocfg);
    size_t n = nn_net_n_params(net);
    uint8_t *frozen = malloc(n);
    float *before = malloc(n * sizeof *before);
    assert_true(frozen && before);
    for (size_t i = 0; i < n; i++) frozen[i] = i % 3 == 0;
    assert_int_equal(nn_net_freeze(net, frozen), NN_OK);
    memcpy(before, nn_net_params(net), n * sizeof *before);
    static float x[64 * 3], y[64 * 2];
    lcg g = {23};
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) x[i] = (float)lcg_normal(&g);
    for (size_t i = 0; i < sizeof y / sizeof y[0]; i++) y[i] = lcg_uniform(&g) < 0.5;
    for (int round = 0; round < 2; round++) {
        for (int step = 0; step < 10; step++) {
            double loss;
            nn_net_zero_grad(net);
            assert_int_equal(nn_net_forward(net, 64, x), NN_OK);
            assert_int_equal(nn_net_loss(net, y, &loss), NN_OK);
            assert_int_equal(nn_net_backward(net), NN_OK);
            assert_int_equal(nn_optim_step(opt, nn_net_params(net), nn_net_grads(net)), NN_OK);
        }
        const float *now = nn_net_params(net);
        for (size_t i = 0; i < n; i++)
            if (round == 0 && frozen[i])
                assert_memory_equal(&now[i], &before[i], sizeof *now);
            else if (now[i] == before[i])
                fail_msg("round %d: parameter %zu did not move", round, i);
        memcpy(before, now, n * sizeof *before);
        assert_int_equal(nn_net_freeze(net, NULL), NN_OK);
    }
    free(frozen);
    free(before);
    nn_optim_destroy(opt);
    nn_net_destroy(net);
}


/* ---- checkpoints ---------------------------------------------------------------------------- */

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
    }
    return ~c;
}

/* Runs 250 steps of sine regression from a fresh network (or from checkpoint c), writing a
 * checkpoint at ckpt every 100 steps when ckpt is given, and returns the network. */
static nn_net *sine_run(const char *ckpt, const nn_checkpoint *c, const nn_meta *meta,
                        volatile sig_atomic_t *stop, int *status)
{
    const size_t widths[] = {16, 1};
    const nn_act acts[] = {NN_ACT_TANH, NN_ACT_IDENTITY};
    nn_net *net = mlp(1, 2, widths, acts, NN_LOSS_MSE, 32, 77);
    nn_optim_config ocfg = nn_optim_adam(0.01);
    ocfg.schedule = (nn_schedule){.kind = NN_SCHED_COSINE, .total_steps = 250, .lr_min = 0.001};
    nn_optim *opt = optimizer(net, &ocfg);
    if (c) assert_int_equal(nn_checkpoint_restore(c, net, opt), NN_OK);
    lcg g = {9};
    nn_train_config cfg = {.steps = 250, .batch = 32, .source = sine_source, .source_user = &g,
                           .val_every = 30, .val_samples = 64, .checkpoint_path = ckpt,
                           .checkpoint_meta = meta, .checkpoint_every = 100, .resume = c,
                           .stop = stop};
    *status = nn_train(net, opt, &cfg, NULL);
    nn_optim_destroy(opt);
    return net;
}

static void test_checkpoint_resume(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/run.ckpt", temp_dir);
    nn_meta *meta = nn_meta_create();
    nn_meta_set(meta, "command", "test");
    int status;
    nn_net *straight = sine_run(NULL, NULL, NULL, NULL, &status);
    assert_int_equal(status, NN_OK);
    nn_net *with = sine_run(path, NULL, meta, NULL, &status);
    assert_int_equal(status, NN_OK);
    size_t n = nn_net_n_params(straight);
    assert_memory_equal(nn_net_params(straight), nn_net_params(with), n * sizeof(float));
    nn_checkpoint *c = nn_checkpoint_load(path);
    if (!c) fail_msg("%s", nn_last_error());
    assert_int_equal(c->step, 200); /* the last one before the end */
    assert_int_equal(c->n_rows, 7); /* 0, 30, .., 180 */
    assert_int_equal(c->loss_count, 20);
    assert_false(isnan(c->rows[0].train_loss));
    assert_string_equal(nn_meta_get(c->meta, "command"), "test");
    nn_net *resumed = sine_run(NULL, c, NULL, NULL, &status);
    assert_int_equal(status, NN_OK);
    assert_memory_equal(nn_net_params(straight), nn_net_params(resumed), n * sizeof(float));
    nn_net_destroy(resumed);
    nn_checkpoint_destroy(c);

    /* stopped before the first step: a checkpoint at step 0 that resumes to the same end */
    volatile sig_atomic_t stop = 1;
    nn_net_destroy(sine_run(path, NULL, meta, &stop, &status));
    assert_int_equal(status, NN_ECALLBACK);
    assert_non_null(c = nn_checkpoint_load(path));
    assert_int_equal(c->step, 0);
    resumed = sine_run(NULL, c, NULL, NULL, &status);
    assert_int_equal(status, NN_OK);
    assert_memory_equal(nn_net_params(straight), nn_net_params(resumed), n * sizeof(float));
    nn_net_destroy(resumed);
    nn_checkpoint_destroy(c);

    /* every byte changed (CRC fixed up) is refused or still a valid checkpoint; the CRC
     * itself catches each change, truncation anywhere is refused */
    nn_net_destroy(sine_run(path, NULL, meta, NULL, &status));
    FILE *f = fopen(path, "rb");
    static unsigned char data[65536], copy[65536];
    size_t size = fread(data, 1, sizeof data, f);
    fclose(f);
    assert_true(size > 100 && size < sizeof data);
    assert_non_null(c = nn_checkpoint_parse(data, size, "x"));
    nn_checkpoint_destroy(c);
    for (size_t i = 0; i + 4 < size; i++) {
        memcpy(copy, data, size);
        copy[i] ^= 0x5a;
        assert_null(nn_checkpoint_parse(copy, size, "x"));
        assert_int_equal(nn_last_status(), i < 8 ? NN_EFORMAT : NN_ECRC);
        uint32_t crc = crc32_of(copy, size - 4);
        for (int k = 0; k < 4; k++) copy[size - 4 + k] = (unsigned char)(crc >> (8 * k));
        c = nn_checkpoint_parse(copy, size, "x");
        if (!c) assert_non_null(strstr(nn_last_error(), "x: "));
        nn_checkpoint_destroy(c);
    }
    for (size_t cut = 0; cut < size; cut += 7) assert_null(nn_checkpoint_parse(data, cut, "x"));
    /* a step count that does not fit the rows, with a valid CRC */
    memcpy(copy, data, size);
    size_t at = 8 + 4 + 4 + 4 + strlen("command") + 4 + strlen("test");
    copy[at] ^= 1;
    uint32_t crc = crc32_of(copy, size - 4);
    for (int k = 0; k < 4; k++) copy[size - 4 + k] = (unsigned char)(crc >> (8 * k));
    assert_null(nn_checkpoint_parse(copy, size, "x"));
    assert_int_equal(nn_last_status(), NN_EFORMAT);
    assert_int_equal(remove(path), 0);
    nn_net_destroy(with);
    nn_net_destroy(straight);
    nn_meta_destroy(meta);
}

int main(void)
{
    nn_blas_set_threads(1); /* small products: OpenBLAS's threads would only wait on each other */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xor_sgd),
        cmocka_unit_test(test_two_spirals_adam_cosine),
        cmocka_unit_test(test_sine_regression_step_decay),
        cmocka_unit_test(test_schedules),
        cmocka_unit_test(test_sgd_momentum_formula),
        cmocka_unit_test(test_adam_bias_correction),
        cmocka_unit_test(test_clipping),
        cmocka_unit_test(test_optimizer_errors),
        cmocka_unit_test(test_train_curve),
        cmocka_unit_test(test_checkpoint_resume),
        cmocka_unit_test(test_train_errors),
        cmocka_unit_test(test_steps_allocate_nothing),
        cmocka_unit_test(test_frozen_parameters),
    };
    return cmocka_run_group_tests(tests, make_temp_dir, remove_temp_dir);
}
