/* The three products of a dense layer, on row-major batch-major matrices:
 *
 *     forward   z = f(a·w + 1·bᵀ)          (m × n, bias and activation fused)
 *     gradient  dw += aᵀ·δ,  db += Σ_rows δ
 *     message   δ_prev = δ·wᵀ
 *
 * With AVX-512 these run on a register-tiled kernel of our own: for the layer shapes of small
 * networks (a batch of 256 through 64 units) a call of cblas_sgemm costs as much in packing and
 * dispatch as in arithmetic, and OpenBLAS's kernels of this generation use 256-bit vectors only.
 * Without AVX-512 (portable builds) every product is one cblas_sgemm call. */
#include <string.h>

#include "nn_cblas.h"
#include "nn_internal.h"

#if defined(__AVX512F__)
#include <immintrin.h>

/* A tile is MR rows × NV vectors of 16 floats: 24 accumulators, 4 loaded vectors of the right
 * operand and one broadcast fit the 32 vector registers. */
#define MR 6
#define NV 4
#define TILE_COLS (16 * NV)

enum { START_ZERO, START_BIAS, START_C };

/* Epilogue applied in registers before the store. */
enum { EPI_NONE, EPI_RELU, EPI_LEAKY };

/* The loops over r and v must unroll completely before GCC decides where acc lives, or the
 * accumulators stay in memory (a third of the speed); hence the pragmas for GCC. Clang unrolls
 * them by itself once tile is inlined and mr, nv are constants, but it reads "GCC unroll 8" as
 * a count for the body it optimises before inlining, unrolls by 8 with a run-time remainder,
 * and then cannot unroll completely: its accumulators stayed in memory (a quarter of gcc's
 * speed). */
#if defined(__clang__)
#define UNROLL_TILE
#else
#define UNROLL_TILE _Pragma("GCC unroll 8")
#endif

/* C[r][j] (=, +=) Σ_p L(r, p)·B[p][j] for r < mr, j < 16·nv (the last vector masked by tail),
 * with L(r, p) = a[r·ars + p·aps], B row p at b + p·ldb and C row r at c + r·ldc. The
 * accumulators start at zero, at the bias row, or at C. mr and nv are constants at every call
 * site, so that each call compiles to its own fully unrolled kernel. */
NN_INLINE void tile(const int mr, const int nv, __mmask16 tail, size_t k, const float *a,
                    size_t ars, size_t aps, const float *b, size_t ldb, float *c, size_t ldc,
                    int start, const float *bias, int epi)
{
    __m512 acc[MR][NV];
    UNROLL_TILE
    for (int r = 0; r < mr; r++) {
        UNROLL_TILE
        for (int v = 0; v < nv; v++) {
            __mmask16 mask = v == nv - 1 ? tail : 0xFFFF;
            if (start == START_C)
                acc[r][v] = _mm512_maskz_loadu_ps(mask, c + r * ldc + 16 * v);
            else if (start == START_BIAS)
                acc[r][v] = _mm512_maskz_loadu_ps(mask, bias + 16 * v);
            else
                acc[r][v] = _mm512_setzero_ps();
        }
    }
    /* Not unrolled: clang would, and its scheduler then hoists the next products' broadcasts
     * ahead of this one's multiply-adds and spills accumulators to make room for them. */
#pragma GCC unroll 1
    for (size_t p = 0; p < k; p++) {
        const float *bp = b + p * ldb;
        __m512 bv[NV];
        UNROLL_TILE
        for (int v = 0; v < nv; v++)
            bv[v] = _mm512_maskz_loadu_ps(v == nv - 1 ? tail : 0xFFFF, bp + 16 * v);
        const float *ap = a + p * aps;
        UNROLL_TILE
        for (int r = 0; r < mr; r++) {
            __m512 ar = _mm512_set1_ps(ap[r * ars]);
            UNROLL_TILE
            for (int v = 0; v < nv; v++)
                acc[r][v] = _mm512_fmadd_ps(ar, bv[v], acc[r][v]);
        }
    }
    const __m512 zero = _mm512_setzero_ps(), slope = _mm512_set1_ps(NN_LEAKY_SLOPE);
    UNROLL_TILE
    for (int r = 0; r < mr; r++) {
        UNROLL_TILE
        for (int v = 0; v < nv; v++) {
            __m512 x = acc[r][v];
            if (epi == EPI_RELU) x = _mm512_max_ps(x, zero);
            if (epi == EPI_LEAKY) x = _mm512_max_ps(x, _mm512_mul_ps(x, slope));
            _mm512_mask_storeu_ps(c + r * ldc + 16 * v, v == nv - 1 ? tail : 0xFFFF, x);
        }
    }
}

typedef struct {
    size_t m, n, k;
    const float *a;
    size_t ars, aps;
    const float *b;
    size_t ldb;
    float *c;
    size_t ldc;
    int start;
    const float *bias;
    int epi;
} product;

#define TILE_CASE(MRC, NVC)                                                                        \
    case (MRC)*8 + (NVC):                                                                          \
        tile(MRC, NVC, tail, k, a, pr->ars, pr->aps, b, pr->ldb, c, pr->ldc, start, bias, epi);    \
        break;
#define TILE_CASES(MRC) TILE_CASE(MRC, 1) TILE_CASE(MRC, 2) TILE_CASE(MRC, 3) TILE_CASE(MRC, 4)

/* Runs the tiles of one product. Column panels of TILE_COLS are outside and slices of KC
 * products inside them, so that a KC × TILE_COLS block of B (64 kB) stays in cache while the
 * rows of L stream past it, and the panel's strip of C stays in L2 from one slice to the next;
 * the start applies to the first slice only and the epilogue to the last. */
static void run_product(const product *pr)
{
    enum { KC = 256 };
    for (size_t j0 = 0; j0 < pr->n; j0 += TILE_COLS) {
        size_t width = pr->n - j0 < TILE_COLS ? pr->n - j0 : TILE_COLS;
        int nv = (int)((width + 15) / 16);
        __mmask16 tail = width % 16 ? (__mmask16)((1u << (width % 16)) - 1) : 0xFFFF;
        const float *bias = pr->bias ? pr->bias + j0 : NULL;
        for (size_t p0 = 0; p0 < pr->k || p0 == 0; p0 += KC) {
            size_t k = pr->k - p0 < KC ? pr->k - p0 : KC;
            int start = p0 == 0 ? pr->start : START_C;
            int epi = p0 + k == pr->k ? pr->epi : EPI_NONE;
            const float *b = pr->b + p0 * pr->ldb + j0;
            for (size_t i0 = 0; i0 < pr->m; i0 += MR) {
                int mr = pr->m - i0 < MR ? (int)(pr->m - i0) : MR;
                const float *a = pr->a + i0 * pr->ars + p0 * pr->aps;
                float *c = pr->c + i0 * pr->ldc + j0;
                switch (mr * 8 + nv) {
                    TILE_CASES(1)
                    TILE_CASES(2)
                    TILE_CASES(3)
                    TILE_CASES(4)
                    TILE_CASES(5)
                    TILE_CASES(6)
                }
            }
        }
    }
}

void nn_mm_forward(size_t m, size_t n, size_t k, const float *a, const float *w, const float *b,
                   const nn_activation *act, float *z)
{
    int epi = act == nn_activation_of(NN_ACT_RELU)         ? EPI_RELU
              : act == nn_activation_of(NN_ACT_LEAKY_RELU) ? EPI_LEAKY
                                                           : EPI_NONE;
    product pr = {m, n, k, a, k, 1, w, n, z, n, START_BIAS, b, epi};
    run_product(&pr);
    if (epi == EPI_NONE && act != nn_activation_of(NN_ACT_IDENTITY)) act->f(m * n, z);
}

size_t nn_mm_grad_scratch(size_t n, size_t k)
{
    return n < 16 && k > n ? n * k : 0;
}

void nn_mm_grad(size_t m, size_t n, size_t k, const float *a, const float *delta, float *dw,
                float *db, float *scratch)
{
    if (nn_mm_grad_scratch(n, k)) {
        /* few outputs: δᵀ·a (n × k) uses whole vectors where aᵀ·δ (k × n) would use n lanes */
        product pr = {n, k, m, delta, 1, n, a, k, scratch, k, START_ZERO, NULL, EPI_NONE};
        run_product(&pr);
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < n; j++)
                dw[i * n + j] += scratch[j * k + i];
    } else {
        product pr = {k, n, m, a, 1, k, delta, n, dw, n, START_C, NULL, EPI_NONE};
        run_product(&pr);
    }
    for (size_t r = 0; r < m; r++)
        for (size_t j = 0; j < n; j++)
            db[j] += delta[r * n + j];
}

size_t nn_mm_backprop_scratch(size_t n, size_t k)
{
    return n * k;
}

/* The 16 × 16 block of w at w (row stride cols) transposed into t (row stride rows), in four
 * rounds of shuffles: floats of two rows interleaved, then pairs of floats of four rows, then
 * quarters of vectors twice. Written out because neither compiler makes it of the plain loop
 * (gcc moved pairs of floats, clang single ones): a 512 × 512 transpose took 0.5-0.85 ns a
 * float with the loop and 0.28-0.35 ns with this, either compiler (2-core AMD EPYC, Zen 4). */
static void transpose_block16(size_t rows, size_t cols, const float *w, float *t)
{
    __m512 r[16], a[16], b[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
        r[i] = _mm512_loadu_ps(w + i * cols);
#pragma GCC unroll 16
    for (int i = 0; i < 16; i += 2) {
        a[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        a[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    /* b[i + c], lane l: rows i..i+3 at column 4l + c */
#pragma GCC unroll 16
    for (int i = 0; i < 16; i += 4) {
        __m512d a0 = _mm512_castps_pd(a[i]), a1 = _mm512_castps_pd(a[i + 1]);
        __m512d a2 = _mm512_castps_pd(a[i + 2]), a3 = _mm512_castps_pd(a[i + 3]);
        b[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, a2));
        b[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, a2));
        b[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(a1, a3));
        b[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(a1, a3));
    }
    /* column 4l + c: lane l of b[c], b[4 + c], b[8 + c], b[12 + c] */
#pragma GCC unroll 4
    for (int c = 0; c < 4; c++) {
        __m512 p_even = _mm512_shuffle_f32x4(b[c], b[4 + c], 0x88);
        __m512 p_odd = _mm512_shuffle_f32x4(b[c], b[4 + c], 0xDD);
        __m512 q_even = _mm512_shuffle_f32x4(b[8 + c], b[12 + c], 0x88);
        __m512 q_odd = _mm512_shuffle_f32x4(b[8 + c], b[12 + c], 0xDD);
        _mm512_storeu_ps(t + (size_t)c * rows, _mm512_shuffle_f32x4(p_even, q_even, 0x88));
        _mm512_storeu_ps(t + (size_t)(4 + c) * rows, _mm512_shuffle_f32x4(p_odd, q_odd, 0x88));
        _mm512_storeu_ps(t + (size_t)(8 + c) * rows, _mm512_shuffle_f32x4(p_even, q_even, 0xDD));
        _mm512_storeu_ps(t + (size_t)(12 + c) * rows, _mm512_shuffle_f32x4(p_odd, q_odd, 0xDD));
    }
}

/* t[cols × rows] = wᵀ for w[rows × cols], in blocks that stay in cache: row by row, the stores
 * of a 512-wide matrix would each touch another page. */
static void transpose(size_t rows, size_t cols, const float *w, float *t)
{
    enum { BLOCK = 16 };
    for (size_t i0 = 0; i0 < rows; i0 += BLOCK)
        for (size_t j0 = 0; j0 < cols; j0 += BLOCK) {
            size_t i1 = i0 + BLOCK < rows ? i0 + BLOCK : rows;
            size_t j1 = j0 + BLOCK < cols ? j0 + BLOCK : cols;
            if (i1 - i0 == BLOCK && j1 - j0 == BLOCK) {
                transpose_block16(rows, cols, w + i0 * cols + j0, t + j0 * rows + i0);
                continue;
            }
            for (size_t j = j0; j < j1; j++)
                for (size_t i = i0; i < i1; i++)
                    t[j * rows + i] = w[i * cols + j];
        }
}

void nn_mm_backprop(size_t m, size_t n, size_t k, const float *delta, const float *w,
                    float *delta_prev, float *scratch)
{
    transpose(k, n, w, scratch);
    product pr = {m, k, n, delta, n, 1, scratch, k, delta_prev, k, START_ZERO, NULL, EPI_NONE};
    run_product(&pr);
}

#else /* CBLAS */

void nn_mm_forward(size_t m, size_t n, size_t k, const float *a, const float *w, const float *b,
                   const nn_activation *act, float *z)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0f, a, (int)k,
                w, (int)n, 0.0f, z, (int)n);
    for (size_t r = 0; r < m; r++)
        for (size_t j = 0; j < n; j++)
            z[r * n + j] += b[j];
    act->f(m * n, z);
}

size_t nn_mm_grad_scratch(size_t n, size_t k)
{
    (void)n;
    (void)k;
    return 0;
}

void nn_mm_grad(size_t m, size_t n, size_t k, const float *a, const float *delta, float *dw,
                float *db, float *scratch)
{
    (void)scratch;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)n, (int)m, 1.0f, a, (int)k,
                delta, (int)n, 1.0f, dw, (int)n);
    for (size_t r = 0; r < m; r++)
        for (size_t j = 0; j < n; j++)
            db[j] += delta[r * n + j];
}

size_t nn_mm_backprop_scratch(size_t n, size_t k)
{
    (void)n;
    (void)k;
    return 0;
}

void nn_mm_backprop(size_t m, size_t n, size_t k, const float *delta, const float *w,
                    float *delta_prev, float *scratch)
{
    (void)scratch;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)k, (int)n, 1.0f, delta,
                (int)n, w, (int)n, 0.0f, delta_prev, (int)k);
}

#endif

#ifdef BERSIM_OPENBLAS
/* OpenBLAS's own control; declared in its cblas.h. */
void nn_blas_set_threads(int n)
{
    openblas_set_num_threads(n);
}
#else
void nn_blas_set_threads(int n)
{
    (void)n;
}
#endif
