/* bersim bench figures of nn: training throughput of a small and a wide MLP, and batched
 * inference of a demapper-sized one. Single thread: OpenBLAS is held to one thread. */
#include "bench.h"

#include <stddef.h>
#include <stdint.h>

#include "nn.h"

/* The synthetic data's generator: xorshift64*, cheap next to a training step. */
typedef struct {
    uint64_t s;
} bench_rng;

static uint64_t bench_next(bench_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Du;
}

/* uniform in [-1, 1) */
static float bench_uniform(bench_rng *r)
{
    return (float)(int32_t)(bench_next(r) >> 32) * 0x1p-31f;
}

/* A batch of a 2-D classification with 4 bits per point, like a 16-QAM demapper's: the signs
 * of I and Q and whether |I|, |Q| exceed 1/2. */
static void small_batch(bench_rng *r, size_t n, float *x, float *y)
{
    for (size_t i = 0; i < n; i++) {
        float a = bench_uniform(r), b = bench_uniform(r);
        x[2 * i] = a;
        x[2 * i + 1] = b;
        y[4 * i] = a > 0.0f;
        y[4 * i + 1] = b > 0.0f;
        y[4 * i + 2] = a > 0.5f || a < -0.5f;
        y[4 * i + 3] = b > 0.5f || b < -0.5f;
    }
}

/* One training step in the order of the algorithm; the loss goes to *loss. */
static int train_step(nn_net *net, nn_optim *opt, size_t n, const float *x, const float *y,
                      double *loss)
{
    nn_net_zero_grad(net);
    if (nn_net_forward(net, n, x) != 0 || nn_net_loss(net, y, loss) != 0 ||
        nn_net_backward(net) != 0)
        return -1;
    return nn_optim_step(opt, nn_net_params(net), nn_net_grads(net));
}

/* mlp_small_train: 2 → 64 ReLU → 64 ReLU → 4, sigmoid BCE, Adam, batch 256, fresh data each
 * step. samples/s. */
static double mlp_small_train(double min_seconds, int threads)
{
    (void)threads;
    enum { BATCH = 256, STEPS_PER_CHECK = 64 };
    static float x[BATCH * 2], y[BATCH * 4];
    nn_blas_set_threads(1);
    const size_t widths[] = {64, 64, 4};
    const nn_act acts[] = {NN_ACT_RELU, NN_ACT_RELU, NN_ACT_IDENTITY};
    nn_net_config cfg = {.n_in = 2, .max_batch = BATCH, .seed = 2385};
    nn_net *net = nn_mlp_create(&cfg, 3, widths, acts, NN_LOSS_SIGMOID_BCE);
    nn_optim_config ocfg = nn_optim_adam(1e-3);
    nn_optim *opt = net ? nn_optim_create(nn_net_n_params(net), &ocfg) : NULL;
    double rate = -1.0, loss = 0.0, loss_sum = 0.0;
    if (!opt) goto done;
    bench_rng r = {0x9E3779B97F4A7C15u};
    small_batch(&r, BATCH, x, y);
    if (train_step(net, opt, BATCH, x, y, &loss) != 0) goto done; /* warm up */
    uint64_t samples = 0;
    double t0 = sim_bench_now(), elapsed;
    do {
        for (int s = 0; s < STEPS_PER_CHECK; s++) {
            small_batch(&r, BATCH, x, y);
            if (train_step(net, opt, BATCH, x, y, &loss) != 0) goto done;
            loss_sum += loss;
        }
        samples += (uint64_t)BATCH * STEPS_PER_CHECK;
        elapsed = sim_bench_now() - t0;
    } while (elapsed < min_seconds);
    sim_bench_sink(loss_sum);
    rate = (double)samples / elapsed;
done:
    nn_optim_destroy(opt);
    nn_net_destroy(net);
    return rate;
}

/* mlp_wide_train: 128 → 512 ReLU → 512 ReLU → 128, squared error, Adam, batch 512. GFLOP/s
 * with 6·params·batch flops per step (forward 2, backward 4 per parameter and sample). */
static double mlp_wide_train(double min_seconds, int threads)
{
    (void)threads;
    enum { BATCH = 512, WIDTH_IO = 128 };
    static float x[BATCH * WIDTH_IO], y[BATCH * WIDTH_IO];
    nn_blas_set_threads(1);
    const size_t widths[] = {512, 512, WIDTH_IO};
    const nn_act acts[] = {NN_ACT_RELU, NN_ACT_RELU, NN_ACT_IDENTITY};
    nn_net_config cfg = {.n_in = WIDTH_IO, .max_batch = BATCH, .seed = 2385};
    nn_net *net = nn_mlp_create(&cfg, 3, widths, acts, NN_LOSS_MSE);
    nn_optim_config ocfg = nn_optim_adam(1e-4);
    nn_optim *opt = net ? nn_optim_create(nn_net_n_params(net), &ocfg) : NULL;
    double rate = -1.0, loss = 0.0, loss_sum = 0.0;
    if (!opt) goto done;
    bench_rng r = {0xD1B54A32D192ED03u};
    for (size_t i = 0; i < BATCH * WIDTH_IO; i++) {
        x[i] = bench_uniform(&r);
        y[i] = 0.5f * bench_uniform(&r);
    }
    if (train_step(net, opt, BATCH, x, y, &loss) != 0) goto done; /* warm up */
    uint64_t steps = 0;
    double t0 = sim_bench_now(), elapsed;
    do {
        if (train_step(net, opt, BATCH, x, y, &loss) != 0) goto done;
        loss_sum += loss;
        steps++;
        elapsed = sim_bench_now() - t0;
    } while (elapsed < min_seconds);
    sim_bench_sink(loss_sum);
    rate = 6.0 * (double)nn_net_n_params(net) * BATCH * (double)steps / elapsed * 1e-9;
done:
    nn_optim_destroy(opt);
    nn_net_destroy(net);
    return rate;
}

/* nn_demap: inference of the default 16-QAM demapper of bersim train, 3 features (matched
 * filter output and SNR, rx_features.h) → 64 ReLU → 64 ReLU → 4 logits, on 4096 symbols per call
 * in pieces of 256, as the receiver runs it. sym/s. */
static double nn_demap(double min_seconds, int threads)
{
    (void)threads;
    enum { N = 4096, N_IN = 3, N_OUT = 4 };
    static float x[N * N_IN], out[N * N_OUT];
    nn_blas_set_threads(1);
    const size_t widths[] = {64, 64, N_OUT};
    const nn_act acts[] = {NN_ACT_RELU, NN_ACT_RELU, NN_ACT_IDENTITY};
    nn_net_config cfg = {.n_in = N_IN, .max_batch = 256, .seed = 2385};
    nn_net *net = nn_mlp_create(&cfg, 3, widths, acts, NN_LOSS_SIGMOID_BCE);
    nn_workspace *ws = net ? nn_workspace_create(net, 256) : NULL;
    double rate = -1.0, sum = 0.0;
    if (!ws) goto done;
    bench_rng r = {0x2545F4914F6CDD1Du};
    for (size_t i = 0; i < N * N_IN; i++)
        x[i] = bench_uniform(&r);
    uint64_t symbols = 0;
    double t0 = sim_bench_now(), elapsed;
    do {
        if (nn_net_infer(net, ws, N, x, out) != 0) goto done;
        sum += out[0];
        symbols += N;
        elapsed = sim_bench_now() - t0;
    } while (elapsed < min_seconds);
    sim_bench_sink(sum);
    rate = (double)symbols / elapsed;
done:
    nn_workspace_destroy(ws);
    nn_net_destroy(net);
    return rate;
}

const sim_bench_figure sim_bench_nn_figures[] = {
    {"mlp_small_train", "samples/s", mlp_small_train},
    {"mlp_wide_train", "GFLOP/s", mlp_wide_train},
    {"nn_demap", "sym/s", nn_demap},
    {NULL, NULL, NULL},
};
