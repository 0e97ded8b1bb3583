/* Complex products: the layer that lets a network multiply two of its own signals, as a
 * receiver multiplies what it received by the conjugate of a channel estimate. Its input is
 * read as three blocks,
 *
 *     z_prev = [u | v | w],   u, v: m complex numbers each as (Re, Im) pairs,  w: r reals,
 *
 * and, with p = f(v) (the layer's activation on each real of v),
 *
 *     z = [q | s | w],   q_j = u_j · conj(p_j),   s_j = |p_j|²,   w passed through.
 *
 * No parameters. The Jacobian is block-diagonal per pair j; with δ = [δq | δs | δw],
 *
 *     δu_j = δq_j · p_j,   δp_j = conj(δq_j) · u_j + 2 δs_j p_j   (complex products)
 *     δv   = δp ⊙ f'(v),   δw = δw.
 *
 * p is cached (2m floats per sample) because f' is written as a function of f's output. */
#include "nn_internal.h"

typedef struct {
    size_t m, r; /* complex pairs, passed-through reals */
} cmul_shape;

static cmul_shape shape_of(const nn_layer *l)
{
    return (cmul_shape){l->spec.pairs, l->n_in - 4 * l->spec.pairs};
}

/* q_j = u_j · conj(p_j) and sq_j = |p_j|² for one sample's m pairs. The pointers are restrict
 * parameters of a function of their own so that clang vectorises the loop: with q and sq as
 * two parts of one row it could not tell q[2j + 1] from sq[j'] and left it scalar. */
static void cmul_pairs(size_t m, const float *restrict u, const float *restrict pv,
                       float *restrict q, float *restrict sq)
{
    for (size_t j = 0; j < m; j++) {
        float ur = u[2 * j], ui = u[2 * j + 1], pr = pv[2 * j], pi = pv[2 * j + 1];
        q[2 * j] = ur * pr + ui * pi;
        q[2 * j + 1] = ui * pr - ur * pi;
        sq[j] = pr * pr + pi * pi;
    }
}

static void cmul_forward(const nn_layer *l, const nn_pass *p, size_t n, const float *x, float *z)
{
    cmul_shape s = shape_of(l);
    for (size_t i = 0; i < n; i++) {
        const float *u = x + i * l->n_in, *v = u + 2 * s.m, *w = v + 2 * s.m;
        float *pv = p->scratch + i * 2 * s.m, *q = z + i * l->n_out, *pw = q + 3 * s.m;
        memcpy(pv, v, 2 * s.m * sizeof *pv);
        l->act->f(2 * s.m, pv);
        cmul_pairs(s.m, u, pv, q, q + 2 * s.m);
        memcpy(pw, w, s.r * sizeof *pw);
    }
}

static void cmul_backward(const nn_layer *l, const nn_pass *p, size_t n, const float *x,
                          const float *z, float *delta, float *delta_prev)
{
    (void)z;
    if (!delta_prev) return;
    cmul_shape s = shape_of(l);
    for (size_t i = 0; i < n; i++) {
        const float *u = x + i * l->n_in, *pv = p->scratch + i * 2 * s.m;
        const float *dq = delta + i * l->n_out, *ds = dq + 2 * s.m, *dw = ds + s.m;
        float *du = delta_prev + i * l->n_in, *dv = du + 2 * s.m, *dpw = dv + 2 * s.m;
        for (size_t j = 0; j < s.m; j++) {
            float ur = u[2 * j], ui = u[2 * j + 1], pr = pv[2 * j], pi = pv[2 * j + 1];
            float qr = dq[2 * j], qi = dq[2 * j + 1];
            du[2 * j] = qr * pr - qi * pi;
            du[2 * j + 1] = qr * pi + qi * pr;
            dv[2 * j] = qr * ur + qi * ui + 2.0f * ds[j] * pr;
            dv[2 * j + 1] = qr * ui - qi * ur + 2.0f * ds[j] * pi;
        }
        l->act->df(2 * s.m, pv, dv);
        memcpy(dpw, dw, s.r * sizeof *dpw);
    }
}

static void cmul_destroy(nn_layer *l)
{
    (void)l;
}

static const nn_layer_ops cmul_ops = {"cmul", cmul_forward, cmul_backward, cmul_destroy};

int nn_cmul_setup(nn_layer *l, size_t index)
{
    if (l->spec.pairs < 1 || l->spec.pairs > l->n_in / 4)
        return nn_error(NN_EINVAL, "nn_net_create: layer %zu: cmul of %zu pairs on %zu inputs",
                        index, l->spec.pairs, l->n_in);
    l->act = nn_activation_of(l->spec.act);
    if (!l->act)
        return nn_error(NN_EINVAL, "nn_net_create: layer %zu: unknown activation %d", index,
                        (int)l->spec.act);
    l->ops = &cmul_ops;
    l->n_out = l->n_in - l->spec.pairs;
    l->scratch_per_sample = 2 * l->spec.pairs; /* p = f(v) */
    return NN_OK;
}
