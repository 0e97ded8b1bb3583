/* The three products of a dense layer (nn_kernels.c) against double-precision loops, on shapes
 * that reach every edge of the tiling: partial row tiles (m mod 6), masked column vectors
 * (n mod 16), several column panels (n > 64), several slices of the inner dimension (> 256),
 * the transposed weight-gradient path (n < 16 < k) and one-element cases.
 *
 * Tolerance: a float sum of K products errs by at most K·u·Σ|terms| (u = 6e-8, 3.6e-5 for
 * K = 600) and in practice by about sqrt(K)·u·Σ|terms| (1.5e-6). We accept 1e-5·Σ|terms|; a
 * single wrong or missing term, of the order of Σ|terms|/K ≥ 1.7e-3·Σ|terms| here, is a hundred
 * times larger. */
#include "test_util.h"

#include <stdlib.h>

#include "nn_internal.h"

static uint64_t test_state = 2385;

static float uniform(void)
{
    test_state = test_state * 6364136223846793005u + 1442695040888963407u;
    return (float)(((double)(test_state >> 11) + 0.5) * 0x1p-53 * 2.0 - 1.0);
}

static float *random_matrix(size_t count)
{
    float *m = nn_alloc_floats(count);
    assert_non_null(m);
    for (size_t i = 0; i < count; i++)
        m[i] = 2.385f * uniform();
    return m;
}

/* |got − sum| ≤ 1e-5 Σ|terms|, reporting the place of the first failure */
static void check(double got, double sum, double abs_sum, const char *what, size_t m, size_t n,
                  size_t k, size_t i, size_t j)
{
    if (!(fabs(got - sum) <= 1e-5 * abs_sum + 1e-30))
        fail_msg("%s m=%zu n=%zu k=%zu at (%zu, %zu): %.9g, expected %.9g", what, m, n, k, i, j,
                 got, sum);
}

static void check_shape(size_t m, size_t n, size_t k)
{
    float *a = random_matrix(m * k), *w = random_matrix(k * n), *b = random_matrix(n);
    float *delta = random_matrix(m * n), *z = random_matrix(m * n);
    float *dw = random_matrix(k * n), *db = random_matrix(n), *delta_prev = random_matrix(m * k);
    float *dw0 = random_matrix(k * n), *db0 = random_matrix(n);
    size_t scratch_n = nn_mm_grad_scratch(n, k) + nn_mm_backprop_scratch(n, k);
    float *scratch = nn_alloc_floats(scratch_n);
    memcpy(dw0, dw, k * n * sizeof *dw);
    memcpy(db0, db, n * sizeof *db);

    /* forward with ReLU, applied in the kernel's registers */
    nn_mm_forward(m, n, k, a, w, b, nn_activation_of(NN_ACT_RELU), z);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = b[j], s_abs = fabs(b[j]);
            for (size_t p = 0; p < k; p++) {
                s += (double)a[i * k + p] * w[p * n + j];
                s_abs += fabs((double)a[i * k + p] * w[p * n + j]);
            }
            check(z[i * n + j], s > 0 ? s : 0, s_abs, "forward", m, n, k, i, j);
        }
    /* gradients accumulate onto what was there */
    nn_mm_grad(m, n, k, a, delta, dw, db, scratch);
    for (size_t p = 0; p < k; p++)
        for (size_t j = 0; j < n; j++) {
            double s = dw0[p * n + j], s_abs = fabs(dw0[p * n + j]);
            for (size_t i = 0; i < m; i++) {
                s += (double)a[i * k + p] * delta[i * n + j];
                s_abs += fabs((double)a[i * k + p] * delta[i * n + j]);
            }
            check(dw[p * n + j], s, s_abs, "weight gradient", m, n, k, p, j);
        }
    for (size_t j = 0; j < n; j++) {
        double s = db0[j], s_abs = fabs(db0[j]);
        for (size_t i = 0; i < m; i++) {
            s += delta[i * n + j];
            s_abs += fabs(delta[i * n + j]);
        }
        check(db[j], s, s_abs, "bias gradient", m, n, k, 0, j);
    }
    /* the message δ·Wᵀ */
    nn_mm_backprop(m, n, k, delta, w, delta_prev, scratch);
    for (size_t i = 0; i < m; i++)
        for (size_t p = 0; p < k; p++) {
            double s = 0, s_abs = 0;
            for (size_t j = 0; j < n; j++) {
                s += (double)delta[i * n + j] * w[p * n + j];
                s_abs += fabs((double)delta[i * n + j] * w[p * n + j]);
            }
            check(delta_prev[i * k + p], s, s_abs, "message", m, n, k, i, p);
        }
    nn_free(a), nn_free(w), nn_free(b), nn_free(delta), nn_free(z), nn_free(dw), nn_free(db);
    nn_free(delta_prev), nn_free(dw0), nn_free(db0), nn_free(scratch);
}

static void test_products_on_every_edge(void **state)
{
    (void)state;
    static const size_t shapes[][3] = {
        {1, 1, 1},    {1, 17, 3},     {5, 1, 9},     {6, 16, 2},   {7, 64, 64},   {13, 65, 7},
        {12, 130, 5}, {256, 64, 2},   {256, 4, 64},  {300, 3, 40}, {19, 70, 300}, {600, 17, 21},
        {11, 8, 600}, {260, 48, 260}, {3, 200, 513}, {5, 300, 7},
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        check_shape(shapes[s][0], shapes[s][1], shapes[s][2]);
}

/* The other activations are applied after the product, through their pair. */
static void test_forward_activations(void **state)
{
    (void)state;
    enum { M = 9, N = 21, K = 11 };
    float *a = random_matrix(M * K), *w = random_matrix(K * N), *b = random_matrix(N);
    float z[M * N];
    for (int act = NN_ACT_IDENTITY; act <= NN_ACT_SIGMOID; act++) {
        nn_mm_forward(M, N, K, a, w, b, nn_activation_of((nn_act)act), z);
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) {
                double s = b[j];
                for (size_t p = 0; p < K; p++)
                    s += (double)a[i * K + p] * w[p * N + j];
                double y = act == NN_ACT_IDENTITY     ? s
                           : act == NN_ACT_RELU       ? (s > 0 ? s : 0)
                           : act == NN_ACT_LEAKY_RELU ? (s > 0 ? s : NN_LEAKY_SLOPE * s)
                           : act == NN_ACT_TANH       ? tanh(s)
                                                      : 1 / (1 + exp(-s));
                assert_close(z[i * N + j], y, 1e-5, 1e-6);
            }
    }
    nn_free(a), nn_free(w), nn_free(b);
}

int main(void)
{
    nn_blas_set_threads(1); /* small products: OpenBLAS's threads would only wait on each other */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_products_on_every_edge),
        cmocka_unit_test(test_forward_activations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
