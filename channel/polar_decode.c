/* Successive cancellation (SC) and SC list (SCL) decoding of polar codes.
 *
 * The code is x = v F^{⊗m} without bit reversal: a node of 2h leaves at depth d splits its
 * codeword half x = [a ^ b, b] into a left child a and a right child b, so with the node's
 * LLRs l[0..2h):
 *   left  (a_i = x_i ^ x_(h+i)):      f(l_i, l_(h+i))
 *   right (b_i = x_(h+i), a known):   g(l_i, l_(h+i), a_i) = l_(h+i) + (1 - 2 a_i) l_i
 * and the node's estimate is [a ^ b, b]. The root's estimate is the codeword; v = x F^{⊗m}
 * (the transform is its own inverse) gives the information bits at A. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ch_vmath.h"
#include "decode_internal.h"

/* The kind of each node of the tree: all leaves frozen (rate 0), all information (rate 1), only
 * the last leaf information (a repetition code), or mixed. Node j of depth d covers leaves
 * [j n/2^d, (j+1) n/2^d); node_kind[(1 << d) + j]. */
enum { NODE_MIXED, NODE_RATE0, NODE_RATE1, NODE_REP };

static uint8_t *node_kinds(const ch_code *c)
{
    uint8_t *kind = malloc(2 * c->n);
    if (!kind) return NULL;
    for (unsigned i = 0; i < c->n; i++) kind[c->n + i] = c->frozen[i] ? NODE_RATE0 : NODE_RATE1;
    for (unsigned v = c->n; v-- > 1;) {
        uint8_t a = kind[2 * v], b = kind[2 * v + 1];
        bool rep = a == NODE_RATE0 && (b == NODE_REP || (b == NODE_RATE1 && 2 * v + 1 >= c->n));
        kind[v] = a == b ? a : rep ? NODE_REP : NODE_MIXED;
    }
    return kind;
}

/* ---- SC ------------------------------------------------------------------------------------- */

struct polar_sc {
    const ch_code *code;
    uint8_t *kind;
    float *llr;   /* the LLRs of one node per depth: depth d at llr + n - (n >> (d - 1)) */
    uint8_t *x;   /* the root's estimate, built in place */
    uint8_t *v;   /* the decided v (leaves), node by node */
};

polar_sc *polar_sc_create(const ch_code *c)
{
    polar_sc *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->code = c;
    s->kind = node_kinds(c);
    s->llr = malloc(c->n * sizeof *s->llr);
    s->x = malloc(c->n);
    s->v = malloc(c->n);
    if (!s->kind || !s->llr || !s->x || !s->v) {
        polar_sc_destroy(s);
        return NULL;
    }
    return s;
}

void polar_sc_destroy(polar_sc *s)
{
    if (!s) return;
    free(s->kind);
    free(s->llr);
    free(s->x);
    free(s->v);
    free(s);
}

/* l with its sign flipped where x (0 or 1) is 1: l or -l, as a sign bit. As the select
 * x ? -l : l, gcc 12 branched on x in the loops it left scalar (the nodes under 16 floats: that
 * loop alone was 30% of sc_node's samples in coded_polar_sc_bare, whose decisions come from fresh
 * noise, AMD EPYC Zen 5). */
static inline float flip_sign_if(float l, unsigned x)
{
    uint32_t bits;
    memcpy(&bits, &l, sizeof bits);
    bits ^= (uint32_t)x << 31;
    memcpy(&l, &bits, sizeof l);
    return l;
}

/* min-sum f: the sign of the product, the smaller magnitude. Written with selects and a sign flip
 * so that the loops over a node vectorise. */
static inline float f_minsum(float a, float b)
{
    float aa = a < 0 ? -a : a, bb = b < 0 ? -b : b, m = aa < bb ? aa : bb;
    return flip_sign_if(m, (a < 0) != (b < 0));
}

/* The f and g steps of a node of 2h LLRs l into next[h]. */
static inline __attribute__((always_inline)) void f_step(unsigned h, const float *restrict l,
                                                         float *restrict next)
{
    for (unsigned i = 0; i < h; i++) next[i] = f_minsum(l[i], l[h + i]);
}

static inline __attribute__((always_inline)) void g_step(unsigned h, const float *restrict l,
                                                         const uint8_t *restrict x,
                                                         float *restrict next)
{
    for (unsigned i = 0; i < h; i++) next[i] = l[h + i] + flip_sign_if(l[i], x[i]);
}

static void sc_node(const polar_sc *s, unsigned v, unsigned size, const float *l, float *next,
                    uint8_t *x, uint8_t *vl);

/* Decodes node v of `size` leaves from its LLRs l[size] into its estimate x[size] and its
 * leaves' decisions vl[size]; child LLRs go to next (size / 2 floats, and the deeper levels
 * after it). A rate-1 node's leaves are its estimate through the transform (its own inverse). */
static inline __attribute__((always_inline)) void sc_node_sized(const polar_sc *s, unsigned v,
                                                                unsigned size, const float *l,
                                                                float *next, uint8_t *x,
                                                                uint8_t *vl)
{
    uint8_t kind = s->kind[v];
    if (kind == NODE_RATE0) {
        memset(x, 0, size);
        memset(vl, 0, size);
        return;
    }
    if (kind == NODE_RATE1) {
        for (unsigned i = 0; i < size; i++) x[i] = vl[i] = l[i] < 0;
        code_polar_transform(size, vl);
        return;
    }
    if (kind == NODE_REP) {
        /* every left child frozen: the last leaf's LLR is the sum of the node's, folded in
         * halves in the order the g steps (with zero partial sums) would add them, and the
         * estimate repeats its decision */
        unsigned h = size / 2;
        for (unsigned i = 0; i < h; i++) next[i] = l[h + i] + l[i];
        for (unsigned len = h / 2; len >= 1; len /= 2)
            for (unsigned i = 0; i < len; i++) next[i] = next[len + i] + next[i];
        float sum = next[0];
        memset(x, sum < 0, size);
        memset(vl, 0, size - 1);
        vl[size - 1] = sum < 0;
        return;
    }
    unsigned h = size / 2;
    f_step(h, l, next);
    sc_node(s, 2 * v, h, next, next + h, x, vl);
    g_step(h, l, x, next);
    sc_node(s, 2 * v + 1, h, next, next + h, x + h, vl + h);
    for (unsigned i = 0; i < h; i++) x[i] ^= x[h + i];
}

/* sc_node with the size a constant for the nodes up to 16 leaves, so that their loops are
 * straight vector code: with the size a variable, gcc 12 vectorised 16 floats or 64 bytes at a
 * time and ran the smaller nodes, most of them, in its scalar remainders, with a branch a float
 * on the decisions (coded_polar_sc_bare 7.3e7 bit/s against clang 14's 1.15e8, AMD EPYC Zen 5). */
static void sc_node(const polar_sc *s, unsigned v, unsigned size, const float *l, float *next,
                    uint8_t *x, uint8_t *vl)
{
    switch (size) {
    case 2:
        sc_node_sized(s, v, 2, l, next, x, vl);
        break;
    case 4:
        sc_node_sized(s, v, 4, l, next, x, vl);
        break;
    case 8:
        sc_node_sized(s, v, 8, l, next, x, vl);
        break;
    case 16:
        sc_node_sized(s, v, 16, l, next, x, vl);
        break;
    default:
        sc_node_sized(s, v, size, l, next, x, vl);
        break;
    }
}

void polar_sc_decode(polar_sc *s, const float *llr, uint8_t *u)
{
    const ch_code *c = s->code;
    sc_node(s, 1, c->n, llr, s->llr, s->x, s->v);
    for (unsigned a = 0; a < c->k; a++) u[a] = s->v[c->info[a]];
}

/* ---- SCL ------------------------------------------------------------------------------------ */

/* Tal and Vardy's list decoder with lazy copies: every path has, per depth, an LLR array and an
 * estimate array, shared between paths by reference count until one of them writes (then it
 * gets a copy). Path metrics are Balatsoukas-Stimming et al.'s
 *   PM += log(1 + e^(-(1 - 2u) l))
 * at each leaf decision u with leaf LLR l, with exact f, so that a complete path's metric is
 * -log p(y | x) up to a constant shared by all paths. */
struct polar_scl {
    const ch_code *code;
    unsigned list, depth;  /* L, m */
    uint8_t *kind;
    /* per depth d (0 .. m), per array slot s (0 .. 2L): arrays of n >> d */
    float **llr;       /* llr[d] + s * (n >> d) */
    uint8_t **est;     /* est[d] + s * (n >> d) */
    unsigned *llr_of;  /* [d * L + path] the slot of a path's LLR array at depth d */
    unsigned *est_of;
    unsigned *llr_refs, *est_refs; /* [d * 2L + slot] */
    double *metric;    /* per path */
    uint8_t *active;   /* per path */
    /* candidates of one leaf */
    double *cand_metric;
    unsigned *cand;
};

/* Slots per depth: L paths may each hold a private copy while L more are being written. */
#define SLOTS(s) (2 * (s)->list)

void polar_scl_destroy(polar_scl *s)
{
    if (!s) return;
    if (s->llr)
        for (unsigned d = 0; d <= s->depth; d++) free(s->llr[d]);
    if (s->est)
        for (unsigned d = 0; d <= s->depth; d++) free(s->est[d]);
    free(s->llr);
    free(s->est);
    free(s->kind);
    free(s->llr_of);
    free(s->est_of);
    free(s->llr_refs);
    free(s->est_refs);
    free(s->metric);
    free(s->active);
    free(s->cand_metric);
    free(s->cand);
    free(s);
}

polar_scl *polar_scl_create(const ch_code *c, unsigned list_size)
{
    polar_scl *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    unsigned m = c->m, L = list_size;
    s->code = c, s->list = L, s->depth = m;
    s->kind = node_kinds(c);
    s->llr = calloc(m + 1, sizeof *s->llr);
    s->est = calloc(m + 1, sizeof *s->est);
    s->llr_of = malloc((m + 1) * L * sizeof *s->llr_of);
    s->est_of = malloc((m + 1) * L * sizeof *s->est_of);
    s->llr_refs = malloc((m + 1) * 2 * L * sizeof *s->llr_refs);
    s->est_refs = malloc((m + 1) * 2 * L * sizeof *s->est_refs);
    s->metric = malloc(L * sizeof *s->metric);
    s->active = malloc(L);
    s->cand_metric = malloc(2 * L * sizeof *s->cand_metric);
    s->cand = malloc(2 * L * sizeof *s->cand);
    bool ok = s->kind && s->llr && s->est && s->llr_of && s->est_of && s->llr_refs &&
              s->est_refs && s->metric && s->active && s->cand_metric && s->cand;
    for (unsigned d = 0; ok && d <= m; d++) {
        s->llr[d] = malloc((size_t)SLOTS(s) * (c->n >> d) * sizeof **s->llr);
        s->est[d] = malloc((size_t)SLOTS(s) * (c->n >> d));
        ok = s->llr[d] && s->est[d];
    }
    if (!ok) {
        polar_scl_destroy(s);
        return NULL;
    }
    return s;
}

/* A free slot at depth d (reference count 0). */
static unsigned free_slot(const unsigned *refs, unsigned slots)
{
    for (unsigned i = 0; i < slots; i++)
        if (refs[i] == 0) return i;
    return 0; /* cannot happen: at most L of 2L slots are held at once, plus one being made */
}

/* A path's array at depth d made private before a write: a copy when it is shared. */
static float *llr_for_write(polar_scl *s, unsigned d, unsigned path, bool keep)
{
    size_t len = s->code->n >> d;
    unsigned *of = &s->llr_of[d * s->list + path], *refs = s->llr_refs + d * SLOTS(s);
    if (refs[*of] > 1) {
        unsigned fresh = free_slot(refs, SLOTS(s));
        if (keep) memcpy(s->llr[d] + fresh * len, s->llr[d] + *of * len, len * sizeof(float));
        refs[*of]--;
        refs[fresh] = 1;
        *of = fresh;
    }
    return s->llr[d] + *of * len;
}

static uint8_t *est_for_write(polar_scl *s, unsigned d, unsigned path)
{
    size_t len = s->code->n >> d;
    unsigned *of = &s->est_of[d * s->list + path], *refs = s->est_refs + d * SLOTS(s);
    if (refs[*of] > 1) {
        unsigned fresh = free_slot(refs, SLOTS(s));
        memcpy(s->est[d] + fresh * len, s->est[d] + *of * len, len);
        refs[*of]--;
        refs[fresh] = 1;
        *of = fresh;
    }
    return s->est[d] + *of * len;
}

static const float *llr_of(const polar_scl *s, unsigned d, unsigned path)
{
    return s->llr[d] + (size_t)s->llr_of[d * s->list + path] * (s->code->n >> d);
}

static const uint8_t *est_of(const polar_scl *s, unsigned d, unsigned path)
{
    return s->est[d] + (size_t)s->est_of[d * s->list + path] * (s->code->n >> d);
}

/* log(1 + e^(-|x|)), the correction terms of exact f and of the path metric. */
static inline float softplus_neg(float x)
{
    float a = x < 0 ? -x : x;
    return ch_logf(1.0f + ch_expf_nonpositive(-a));
}

/* Exact f = 2 atanh(tanh(a/2) tanh(b/2)), as min-sum plus its two correction terms. */
static inline float f_exact(float a, float b)
{
    return f_minsum(a, b) + softplus_neg(a + b) - softplus_neg(a - b);
}

/* -log P(u | l) up to the path-independent log(1 + e^(-|l|)): log(1 + e^(-(1 - 2u) l)). */
static inline double leaf_penalty(float l, unsigned u)
{
    float z = u ? -l : l; /* the LLR of the decision taken */
    return z >= 0 ? softplus_neg(z) : -z + softplus_neg(z);
}

/* A new path sharing every array of path `from`. */
static void clone_path(polar_scl *s, unsigned from, unsigned to)
{
    for (unsigned d = 0; d <= s->depth; d++) {
        unsigned a = s->llr_of[d * s->list + from], e = s->est_of[d * s->list + from];
        s->llr_of[d * s->list + to] = a, s->est_of[d * s->list + to] = e;
        s->llr_refs[d * SLOTS(s) + a]++;
        s->est_refs[d * SLOTS(s) + e]++;
    }
    s->metric[to] = s->metric[from];
    s->active[to] = 1;
}

static void kill_path(polar_scl *s, unsigned path)
{
    for (unsigned d = 0; d <= s->depth; d++) {
        s->llr_refs[d * SLOTS(s) + s->llr_of[d * s->list + path]]--;
        s->est_refs[d * SLOTS(s) + s->est_of[d * s->list + path]]--;
    }
    s->active[path] = 0;
}

static int by_metric(const void *a, const void *b, void *ctx)
{
    const double *m = ctx;
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return m[x] < m[y] ? -1 : m[x] > m[y] ? 1 : (x > y) - (x < y);
}

/* Sorts candidates by metric (ties to the lower candidate number) with insertion sort: at most
 * 2L of them, and no qsort_r in C11. */
static void sort_candidates(unsigned n, unsigned *cand, const double *metric)
{
    for (unsigned i = 1; i < n; i++) {
        unsigned c = cand[i], j = i;
        while (j > 0 && by_metric(&c, &cand[j - 1], (void *)metric) < 0) {
            cand[j] = cand[j - 1];
            j--;
        }
        cand[j] = c;
    }
}

/* An information leaf: every active path tries u = 0 and u = 1; the L best continue. */
static void fork_leaf(polar_scl *s, unsigned d)
{
    unsigned L = s->list, n_cand = 0;
    for (unsigned p = 0; p < L; p++) {
        if (!s->active[p]) continue;
        float l = llr_of(s, d, p)[0];
        for (unsigned u = 0; u < 2; u++) {
            s->cand_metric[2 * p + u] = s->metric[p] + leaf_penalty(l, u);
            s->cand[n_cand++] = 2 * p + u;
        }
    }
    sort_candidates(n_cand, s->cand, s->cand_metric);
    uint8_t keep[2 * CH_CODE_MAX_LIST] = {0};
    for (unsigned i = 0; i < n_cand && i < L; i++) keep[s->cand[i]] = 1;
    for (unsigned p = 0; p < L; p++)
        if (s->active[p] && !keep[2 * p] && !keep[2 * p + 1]) kill_path(s, p);
    for (unsigned p = 0; p < L; p++) {
        if (!s->active[p] || !(keep[2 * p] && keep[2 * p + 1])) continue;
        unsigned q = 0;
        while (s->active[q]) q++;
        clone_path(s, p, q);
        s->metric[q] = s->cand_metric[2 * p + 1];
        est_for_write(s, d, q)[0] = 1;
        s->metric[p] = s->cand_metric[2 * p];
        est_for_write(s, d, p)[0] = 0;
        s->active[p] = 2; /* decided: skip below */
        s->active[q] = 2;
    }
    for (unsigned p = 0; p < L; p++) {
        if (s->active[p] == 2) {
            s->active[p] = 1;
            continue;
        }
        if (!s->active[p]) continue;
        unsigned u = keep[2 * p + 1];
        s->metric[p] = s->cand_metric[2 * p + u];
        est_for_write(s, d, p)[0] = (uint8_t)u;
    }
}

/* A frozen leaf: u = 0 for every path, which pays its penalty. */
static void frozen_leaf(polar_scl *s, unsigned d)
{
    for (unsigned p = 0; p < s->list; p++) {
        if (!s->active[p]) continue;
        s->metric[p] += leaf_penalty(llr_of(s, d, p)[0], 0);
        est_for_write(s, d, p)[0] = 0;
    }
}

/* Node v at depth d: its LLRs are each path's array at depth d; its estimate goes to the
 * path's estimate array at depth d. */
static void scl_node(polar_scl *s, unsigned v, unsigned d)
{
    unsigned size = s->code->n >> d, h = size / 2;
    if (size == 1) {
        if (s->kind[v] == NODE_RATE0) frozen_leaf(s, d);
        else fork_leaf(s, d);
        return;
    }
    for (unsigned p = 0; p < s->list; p++) {
        if (!s->active[p]) continue;
        const float *l = llr_of(s, d, p);
        float *c = llr_for_write(s, d + 1, p, false);
        for (unsigned i = 0; i < h; i++) c[i] = f_exact(l[i], l[h + i]);
    }
    scl_node(s, 2 * v, d + 1);
    for (unsigned p = 0; p < s->list; p++) {
        if (!s->active[p]) continue;
        const float *l = llr_of(s, d, p);
        const uint8_t *a = est_of(s, d + 1, p);
        uint8_t *x = est_for_write(s, d, p);
        memcpy(x, a, h);
        float *c = llr_for_write(s, d + 1, p, false);
        for (unsigned i = 0; i < h; i++) c[i] = l[h + i] + (x[i] ? -l[i] : l[i]);
    }
    scl_node(s, 2 * v + 1, d + 1);
    for (unsigned p = 0; p < s->list; p++) {
        if (!s->active[p]) continue;
        const uint8_t *b = est_of(s, d + 1, p);
        uint8_t *x = est_for_write(s, d, p);
        for (unsigned i = 0; i < h; i++) x[i] ^= b[i], x[h + i] = b[i];
    }
}

void polar_scl_decode(polar_scl *s, const float *llr, uint8_t *u)
{
    const ch_code *c = s->code;
    unsigned L = s->list;
    memset(s->llr_refs, 0, (s->depth + 1) * SLOTS(s) * sizeof *s->llr_refs);
    memset(s->est_refs, 0, (s->depth + 1) * SLOTS(s) * sizeof *s->est_refs);
    memset(s->active, 0, L);
    /* one path, slot 0 at every depth; the channel LLRs are its depth-0 array */
    for (unsigned d = 0; d <= s->depth; d++) {
        s->llr_of[d * L] = 0, s->est_of[d * L] = 0;
        s->llr_refs[d * SLOTS(s)] = 1, s->est_refs[d * SLOTS(s)] = 1;
    }
    memcpy(s->llr[0], llr, c->n * sizeof *llr);
    s->metric[0] = 0;
    s->active[0] = 1;
    scl_node(s, 1, 0);
    unsigned best = 0;
    for (unsigned p = 1; p < L; p++)
        if (s->active[p] && s->metric[p] < s->metric[best]) best = p;
    ch_code_info(c, est_of(s, 0, best), u);
}
