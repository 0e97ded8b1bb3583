/* The learned OFDM receiver's network and its starting point (rx_ofdm_net.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ofdm_est.h"
#include "rx_ofdm_net.h"
#include "sim_error.h"

/* The frame's shape: positions, subcarriers, data and pilot positions, and the LS matrix. */
typedef struct {
    size_t frame, n, n_data, n_pilot;
    const uint32_t *data, *pilot; /* frame positions */
    float complex *ls;            /* N × P: h_k = Σ_i ls[k P + i] y(pilot i) */
    unsigned k;                   /* bits per symbol */
    float complex dir[8];         /* per bit: the direction whose sign decides it */
} layout;

/* The LS estimator is linear in the pilots: its matrix, column by column, from unit pilots. */
static int ls_matrix(const sim_link *link, layout *g)
{
    ch_profile prof;
    if (ch_profile_make(link->ofdm.profile, link->ofdm.sample_rate, &prof) != CH_OK)
        return sim_error(SIM_EINVAL, "%s", ch_last_error());
    unsigned n = link->ofdm.n, p = link->ofdm.pilots;
    ch_ofdm_est *e = ch_ofdm_est_create(CH_EST_LS, n, p, &prof);
    float complex *y = calloc(n, sizeof *y), *h = malloc(n * sizeof *h);
    g->ls = malloc((size_t)n * p * sizeof *g->ls);
    int status = e && y && h && g->ls ? SIM_OK : sim_error(SIM_ENOMEM, "out of memory");
    for (unsigned i = 0; i < p && status == SIM_OK; i++) {
        unsigned c = ch_ofdm_pilot_carrier(n, p, i);
        y[c] = 1.0f;
        if (ch_ofdm_estimate(e, y, 1.0f, h, NULL) != CH_OK)
            status = sim_error(SIM_EINVAL, "%s", ch_last_error());
        for (unsigned k = 0; k < n; k++) g->ls[(size_t)k * p + i] = h[k];
        y[c] = 0.0f;
    }
    ch_ofdm_est_destroy(e);
    free(y);
    free(h);
    return status;
}

/* Per bit j, Σ over the labels of ±point (+ where the bit is 1): the direction a matched
 * filter's output points in when the bit is 1. */
static int bit_directions(const sim_link *link, layout *g)
{
    ch_modem *m = ch_modem_create(link->mod);
    if (!m) return sim_error(SIM_EINVAL, "%s", ch_last_error());
    unsigned order = ch_modem_order(m);
    g->k = ch_modem_bits_per_symbol(m);
    for (unsigned j = 0; j < g->k; j++) g->dir[j] = 0;
    for (unsigned label = 0; label < order; label++) {
        uint8_t bits[8];
        float complex x;
        for (unsigned j = 0; j < g->k; j++) bits[j] = (uint8_t)((label >> (g->k - 1 - j)) & 1u);
        ch_modem_map(m, 1, bits, &x);
        for (unsigned j = 0; j < g->k; j++) g->dir[j] += (bits[j] ? x : -x) / (float)order;
    }
    ch_modem_destroy(m);
    return SIM_OK;
}

/* ---- the structure in the dense layers' weights ---------------------------------------- */

/* One dense layer's parameters and their frozen flags, both starting at W then b. */
typedef struct {
    float *w;        /* n_in × n_out, row-major, then the biases */
    uint8_t *frozen; /* the same layout: 1 where the structure holds the value */
    size_t n_in, n_out;
} dense_view;

/* Layer t with every parameter 0 and frozen: the structure then sets and frees what it uses. */
static dense_view view_of(nn_net *net, uint8_t *frozen, size_t t)
{
    nn_layer_info info;
    nn_net_layer_info(net, t, &info);
    dense_view v = {nn_net_params(net) + info.param_offset, frozen + info.param_offset, info.n_in,
                    info.spec.n_out};
    memset(v.w, 0, info.n_param * sizeof *v.w);
    memset(v.frozen, 1, info.n_param);
    return v;
}

static void set(dense_view v, size_t row, size_t col, float value, bool trained)
{
    v.w[row * v.n_out + col] += value;
    v.frozen[row * v.n_out + col] = !trained;
}

/* Output pair from column col += c · input pair from row row: the 2 × 2 real block of a
 * complex product. */
static void put_complex(dense_view v, size_t row, size_t col, float complex c, bool trained)
{
    float cr = crealf(c), ci = cimagf(c);
    set(v, row, col, cr, trained);
    set(v, row + 1, col, -ci, trained);
    set(v, row, col + 1, ci, trained);
    set(v, row + 1, col + 1, cr, trained);
}

/* Columns [col, col + 2D): Y at the data positions, from rows starting at y_row (fixed). */
static void put_data(dense_view v, const layout *g, size_t y_row, size_t col)
{
    for (size_t d = 0; d < g->n_data; d++)
        put_complex(v, y_row + 2 * (size_t)g->data[d], col + 2 * d, 1.0f, false);
}

/* Columns [col, col + 2D): an estimate at each data position's subcarrier from the pilots,
 * starting as LS (trained). */
static void put_estimate(dense_view v, const layout *g, size_t y_row, size_t col)
{
    for (size_t d = 0; d < g->n_data; d++) {
        size_t k = g->data[d] % g->n;
        for (size_t i = 0; i < g->n_pilot; i++)
            put_complex(v, y_row + 2 * (size_t)g->pilot[i], col + 2 * d,
                        g->ls[k * g->n_pilot + i], true);
    }
}

/* Columns [col, col + 2F): the grid passed on (fixed). */
static void put_grid(dense_view v, const layout *g, size_t y_row, size_t col)
{
    for (size_t j = 0; j < 2 * g->frame; j++) set(v, y_row + j, col + j, 1.0f, false);
}

/* Soft decisions tanh(β q1) are near ±1 for a typical |h|² = 1 and go to 0 in a fade. */
#define SOFT_DECISION_GAIN 3.0f
/* Logits of the starting head: the matched filter's projection on each bit's direction times
 * this; training sets the scale that makes them LLRs. */
#define HEAD_GAIN 4.0f

/* The linear head: bit j of position d from that position's (q2, |h2|²) and a bias. */
static void put_head(dense_view v, const layout *g)
{
    size_t D = g->n_data;
    for (size_t d = 0; d < D; d++)
        for (unsigned j = 0; j < g->k; j++) {
            size_t col = d * g->k + j;
            set(v, 2 * d, col, HEAD_GAIN * crealf(g->dir[j]), true);
            set(v, 2 * d + 1, col, HEAD_GAIN * cimagf(g->dir[j]), true);
            set(v, 2 * D + d, col, 0.0f, true);
            set(v, v.n_in, col, 0.0f, true); /* the bias */
        }
}

static void set_structure(nn_net *net, uint8_t *frozen, const layout *g, size_t hidden)
{
    size_t D = g->n_data;
    dense_view v = view_of(net, frozen, 0); /* [Y_d | h1 | Y] from Y */
    put_data(v, g, 0, 0);
    put_estimate(v, g, 0, 2 * D);
    put_grid(v, g, 0, 4 * D);
    v = view_of(net, frozen, 2); /* [Y_d | β q1 | Y] from [q1 | s1 | Y] */
    put_data(v, g, 3 * D, 0);
    for (size_t j = 0; j < 2 * D; j++) set(v, j, 2 * D + j, SOFT_DECISION_GAIN, true);
    put_grid(v, g, 3 * D, 4 * D);
    v = view_of(net, frozen, 4); /* [Y_d | h2] from [r | t | Y]: h2 = A' Y_p + B r, B = 0 */
    put_data(v, g, 3 * D, 0);
    put_estimate(v, g, 3 * D, 2 * D);
    for (size_t row = 0; row < 2 * D; row++)
        for (size_t col = 2 * D; col < 4 * D; col++) set(v, row, col, 0.0f, true);
    /* the head of a larger constellation starts at random and is trained whole */
    if (!hidden) put_head(view_of(net, frozen, 6), g);
}

/* Sets the structure and freezes what it fixes. */
static int freeze_structure(nn_net *net, const layout *g, size_t hidden)
{
    uint8_t *frozen = calloc(nn_net_n_params(net), 1);
    if (!frozen) return sim_error(SIM_ENOMEM, "train: out of memory");
    set_structure(net, frozen, g, hidden);
    int status = nn_net_freeze(net, frozen) == NN_OK ? SIM_OK
                                                      : sim_error(SIM_ENOMEM, "train: out of memory");
    free(frozen);
    return status;
}

static nn_net *build(const layout *g, size_t hidden, size_t max_batch, uint64_t seed)
{
    size_t D = g->n_data, F = g->frame;
    nn_layer_spec s[9];
    size_t t = 0;
    s[t++] = (nn_layer_spec){.kind = NN_LAYER_DENSE, .n_out = 4 * D + 2 * F};
    s[t++] = (nn_layer_spec){.kind = NN_LAYER_CMUL, .pairs = D};
    s[t++] = (nn_layer_spec){.kind = NN_LAYER_DENSE, .n_out = 4 * D + 2 * F};
    s[t++] = (nn_layer_spec){.kind = NN_LAYER_CMUL, .pairs = D, .act = NN_ACT_TANH};
    s[t++] = (nn_layer_spec){.kind = NN_LAYER_DENSE, .n_out = 4 * D};
    s[t++] = (nn_layer_spec){.kind = NN_LAYER_CMUL, .pairs = D};
    if (hidden) s[t++] = (nn_layer_spec){.kind = NN_LAYER_DENSE, .n_out = hidden,
                                         .act = NN_ACT_RELU};
    s[t++] = (nn_layer_spec){.kind = NN_LAYER_DENSE, .n_out = D * g->k};
    s[t++] = (nn_layer_spec){.kind = NN_LAYER_LOSS, .loss = NN_LOSS_SIGMOID_BCE};
    nn_net_config nc = {.n_in = 2 * F, .max_batch = max_batch, .seed = seed};
    nn_net *net = nn_net_create(&nc, t, s);
    if (!net) sim_error(SIM_ENOMEM, "train: %s", nn_last_error());
    return net;
}

nn_net *sim_ofdm_net_create(const sim_link *link, size_t hidden, size_t max_batch,
                            uint64_t seed)
{
    ch_pilots *pilots = sim_link_ofdm_pilots(link);
    if (!pilots) return sim_error(SIM_EINVAL, "%s", ch_last_error()), NULL;
    layout g = {.frame = ch_pilots_frame(pilots), .n = link->ofdm.n,
                .n_data = ch_pilots_n_data(pilots), .n_pilot = ch_pilots_n_pilot(pilots),
                .data = ch_pilots_data_positions(pilots),
                .pilot = ch_pilots_pilot_positions(pilots)};
    nn_net *net = NULL;
    if (g.frame > SIM_OFDM_NET_MAX_FRAME)
        sim_error(SIM_EINVAL, "train: the learned OFDM receiver takes frames of at most %u "
                  "positions; (S + 1) N = %zu", SIM_OFDM_NET_MAX_FRAME, g.frame);
    else if (ls_matrix(link, &g) == SIM_OK && bit_directions(link, &g) == SIM_OK) {
        if (g.k <= 2) hidden = 0;
        net = build(&g, hidden, max_batch, seed);
        if (net && freeze_structure(net, &g, hidden) != SIM_OK) nn_net_destroy(net), net = NULL;
    }
    free(g.ls);
    ch_pilots_destroy(pilots);
    return net;
}
