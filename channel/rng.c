/* Random streams: 32 interleaved xoshiro256++ lanes keyed by (seed, stream) through splitmix64.
 *
 * Why hand-written: Gaussian noise is nearly the whole cost of a BER simulation. The lanes
 * advance together as four independent 512-bit vectors (GCC vector extensions; plain SSE2 code
 * in the portable build): one vector of 8 lanes is bound by the latency of the xoshiro state
 * chain, four interleaved ones by throughput, which made the generator twice as fast. The
 * Box-Muller transform is a branch-free loop over L1-sized blocks with its own log and sin/cos
 * polynomials, because libm's calls stop the compiler from vectorising the loop.
 *
 * Determinism: every result depends only on (seed, stream) and the sequence of calls. No fused
 * multiply-add is used (the build is ISO C, where GCC does not contract a*b+c), every operation
 * is a correctly rounded IEEE one, so the portable and native builds give the same floats.
 *
 * Stream layout: a "step" advances all lanes once and yields RNG_LANES words in lane order.
 * Bulk calls consume whole steps (whole blocks for ch_rng_gauss) and drop what they do not use;
 * the scalar calls (ch_rng_u64, ch_rng_double) read a buffered step word by word. Byte and
 * 32-bit views of the words are little-endian, as on every machine bersim targets. */
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ch_complex.h"
#include "ch_unroll.h"
#include "ch_vmath.h"
#include "rng_internal.h"

/* Lanes of the generator: a multiple of 8. */
#define RNG_LANES 32

/* All lanes of the generator; GCC splits it into as many machine vectors as it takes. */
typedef uint64_t rng_lanevec __attribute__((vector_size(8 * RNG_LANES)));
typedef uint32_t rng_u32x16 __attribute__((vector_size(64)));
typedef int32_t rng_i32x16 __attribute__((vector_size(64)));
typedef float rng_f32x16 __attribute__((vector_size(64)));
typedef uint8_t rng_u8x64 __attribute__((vector_size(64)));

struct ch_rng {
    uint64_t s[4][RNG_LANES]; /* xoshiro256++ state, word-major: s[k][lane] */
    uint64_t buf[RNG_LANES];  /* the step read by ch_rng_u64 */
    unsigned pos;             /* next unread word of buf; RNG_LANES when empty */
};

/* The xoshiro256++ state held in registers during a bulk call. */
typedef struct {
    rng_lanevec s0, s1, s2, s3;
} rng_lanes;

/* Vectors pass through pointers, never by value: a 64-byte vector argument would change the
 * calling convention between the native and portable builds (GCC warns, -Werror stops). */
static void lanes_load(rng_lanes *l, const ch_rng *r)
{
    memcpy(&l->s0, r->s[0], sizeof l->s0);
    memcpy(&l->s1, r->s[1], sizeof l->s1);
    memcpy(&l->s2, r->s[2], sizeof l->s2);
    memcpy(&l->s3, r->s[3], sizeof l->s3);
}

static void lanes_store(ch_rng *r, const rng_lanes *l)
{
    memcpy(r->s[0], &l->s0, sizeof l->s0);
    memcpy(r->s[1], &l->s1, sizeof l->s1);
    memcpy(r->s[2], &l->s2, sizeof l->s2);
    memcpy(r->s[3], &l->s3, sizeof l->s3);
}

#define RNG_ROTL(x, k) (((x) << (k)) | ((x) >> (64 - (k))))

/* One xoshiro256++ step of all lanes: the RNG_LANES output words into out (8 RNG_LANES
 * bytes, any alignment). */
static inline void lanes_step(rng_lanes *l, void *out)
{
    rng_lanevec s0 = l->s0, s1 = l->s1, s2 = l->s2, s3 = l->s3;
    rng_lanevec sum = s0 + s3;
    rng_lanevec w = RNG_ROTL(sum, 23) + s0;
    memcpy(out, &w, sizeof w);
    /* The xoshiro256 update written as three-input xors, which AVX-512 does in one operation:
     * s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= s1 << 17 (old s1); s3 = rotl(s3, 45). */
    rng_lanevec s3x = s3 ^ s1;
    l->s0 = s0 ^ s3 ^ s1;
    l->s1 = s1 ^ s2 ^ s0;
    l->s2 = s2 ^ s0 ^ (s1 << 17);
    l->s3 = RNG_ROTL(s3x, 45);
}

/* The splitmix64 output function: a bijection of 64-bit words with full avalanche. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* State word w of the generator is mix64(x_w ^ y) where x_w is the w-th splitmix64 output of
 * seed and y = mix64(stream + c): for a fixed seed distinct streams give distinct words, and
 * two seeds cannot give equal states unless x_w ^ x'_w is the same for all 4 RNG_LANES words. */
void ch_rng_seed(ch_rng *r, uint64_t seed, uint64_t stream)
{
    const uint64_t golden = 0x9e3779b97f4a7c15u;
    uint64_t y = mix64(stream + 0x632be59bd9b4e019u);
    /* Lanes innermost, so that the loop vectorises: reseeding is on the engine's hot path. */
    for (unsigned k = 0; k < 4; k++)
        for (unsigned lane = 0; lane < RNG_LANES; lane++) {
            uint64_t w = 4 * lane + k + 1;
            r->s[k][lane] = mix64(mix64(seed + w * golden) ^ y);
        }
    r->pos = RNG_LANES;
}

ch_rng *ch_rng_create(uint64_t seed, uint64_t stream)
{
    ch_rng *r = malloc(sizeof *r);
    if (r) ch_rng_seed(r, seed, stream);
    return r;
}

void ch_rng_destroy(ch_rng *r)
{
    free(r);
}

uint64_t ch_rng_u64(ch_rng *r)
{
    if (r->pos == RNG_LANES) {
        rng_lanes l;
        lanes_load(&l, r);
        lanes_step(&l, r->buf);
        lanes_store(r, &l);
        r->pos = 0;
    }
    return r->buf[r->pos++];
}

/* 53 bits m; m = 0 becomes 2^-54 so that the result is never 0 (and never 1). */
double ch_rng_double(ch_rng *r)
{
    uint64_t m = ch_rng_u64(r) >> 11;
    return m ? (double)m * 0x1p-53 : 0x1p-54;
}

/* Floats per step of ch_rng_uniform and bits per step of ch_rng_bits. */
#define UNIFORM_STEP (2 * RNG_LANES)
#define BITS_STEP (64 * RNG_LANES)

/* Each 32-bit half of a step gives (m + 1/2) 2^-23 with 23 bits m: exact in float, inside
 * (0, 1). */
static inline void uniform_step(rng_lanes *l, float *u)
{
    uint64_t w[RNG_LANES];
    lanes_step(l, w);
    for (unsigned c = 0; c < RNG_LANES; c += 8) {
        rng_u32x16 h;
        memcpy(&h, w + c, sizeof h);
        h >>= 9;
        rng_f32x16 v = (__builtin_convertvector((rng_i32x16)h, rng_f32x16) + 0.5f) * 0x1p-23f;
        memcpy(u + 2 * c, &v, sizeof v);
    }
}

void ch_rng_uniform(ch_rng *r, size_t n, float *u)
{
    rng_lanes l;
    lanes_load(&l, r);
    size_t i = 0;
    for (; i + UNIFORM_STEP <= n; i += UNIFORM_STEP)
        uniform_step(&l, u + i);
    if (i < n) {
        float tail[UNIFORM_STEP];
        uniform_step(&l, tail);
        memcpy(u + i, tail, (n - i) * sizeof *u);
    }
    lanes_store(r, &l);
}

/* The bits of one step into b[BITS_STEP]: each 64-byte chunk c of the step gives 512 bits,
 * bit 512 c + 64 k + j being bit k of byte j of the chunk. */
static inline void bits_step(rng_lanes *l, uint8_t *b)
{
    uint64_t w[RNG_LANES];
    lanes_step(l, w);
    for (unsigned c = 0; c < RNG_LANES / 8; c++) {
        rng_u8x64 v;
        memcpy(&v, w + 8 * c, sizeof v);
        for (unsigned k = 0; k < 8; k++) {
            rng_u8x64 bit = (v >> k) & 1;
            memcpy(b + 512 * c + 64 * k, &bit, sizeof bit);
        }
    }
}

void ch_rng_bits(ch_rng *r, size_t n, uint8_t *bits)
{
    rng_lanes l;
    lanes_load(&l, r);
    size_t i = 0;
    for (; i + BITS_STEP <= n; i += BITS_STEP)
        bits_step(&l, bits + i);
    if (i < n) {
        uint8_t tail[BITS_STEP];
        bits_step(&l, tail);
        memcpy(bits + i, tail, n - i);
    }
    lanes_store(r, &l);
}

/* ---- Gaussian variates ---- */

float rng_logf(float x)
{
    return ch_logf(x);
}

/* u = w / 2^64 as a float from the two 32-bit halves of w, ra (high) and rb (low):
 * u = ra 2^-32 + (rb | 1) 2^-64. Whenever ra is small the bits of rb fill the float's 24
 * significant bits, so u keeps full relative precision down to 2^-64 (r = 9.42), and the low
 * bit forced to 1 keeps u > 0 (it places u at the middle of its 2^-63 cell). Two 32-bit
 * conversions instead of one 64-bit one: SSE2 has neither 64-bit nor unsigned conversions,
 * and GCC emulates the unsigned 32-bit one in a few vector operations. */
static inline float radius_uniform(uint32_t ra, uint32_t rb)
{
    return (float)ra * 0x1p-32f + (float)(rb | 1u) * 0x1p-64f;
}

float rng_radius_uniform(uint32_t ra, uint32_t rb)
{
    return radius_uniform(ra, rb);
}

/* sin(phi) / sqrt 2 and cos(phi) / sqrt 2 for phi in [-pi/4, pi/4]: Chebyshev interpolants in
 * z = phi^2 of degree 3 (sin phi / phi, absolute error 4e-9) and 3 (cos phi, 5.5e-8, below the
 * float rounding of cos near 1), fitted for bersim and scaled by 1/sqrt 2 (see
 * box_muller_pair). */
static inline float sin_reduced(float phi, float z)
{
    return phi * (0.707106769f + z * (-0.117851019f + z * (0.00589163881f + z * -0.000137913434f)));
}

static inline float cos_reduced(float z)
{
    return 0.707106769f + z * (-0.353552371f + z * (0.0294545442f + z * -0.000960659701f));
}

/* x with its sign flipped when bit `bit` of a is set: an exclusive or of the sign bit, which
 * vectorises to a shift and one three-way logic operation. */
static inline float flip_sign(float x, uint32_t a, unsigned bit)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    u ^= (a << (31 - bit)) & 0x80000000u;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* One pair from the radius words ra, rb and the angle word a into *xc, *xs. The low 30 bits of
 * a, as a signed fraction, give phi in [-pi/4, pi/4); theta = phi + pi/4 covers [0, pi/2) with
 * cos theta = (cos phi - sin phi) / sqrt 2 and sin theta = (cos phi + sin phi) / sqrt 2, and
 * bits 31 and 30 flip the signs of the two outputs, which carries the quadrant over the whole
 * circle: theta is uniform. Centring phi keeps the polynomials short and needs no swap. */
static inline void box_muller_pair(uint32_t ra, uint32_t rb, uint32_t a, float sigma, float *xc,
                                   float *xs)
{
    float r = sqrtf(-2.0f * ch_logf(radius_uniform(ra, rb))) * sigma;
    float phi = (float)(int32_t)(a << 2) * (0.785398163f * 0x1p-31f);
    float z = phi * phi;
    float s = sin_reduced(phi, z), c = cos_reduced(z);
    *xc = flip_sign(r, a, 31) * (c - s);
    *xs = flip_sign(r, a, 30) * (c + s);
}

/* Pairs into x, or added to what x holds (add, a compile-time constant once inlined): the
 * sum is the float addition of the very variates rng_box_muller writes. */
static inline void box_muller_to(size_t npairs, const uint32_t *restrict ra,
                                 const uint32_t *restrict rb, const uint32_t *restrict a,
                                 float sigma, float *restrict x, int add)
{
    float *restrict xs_out = x + npairs;
    CH_NO_UNROLL
    for (size_t i = 0; i < npairs; i++) {
        float xc, xs;
        box_muller_pair(ra[i], rb[i], a[i], sigma, &xc, &xs);
        x[i] = add ? x[i] + xc : xc;
        xs_out[i] = add ? xs_out[i] + xs : xs;
    }
}

/* All three word arrays are read contiguously as 32-bit words: no lane shuffles. */
void rng_box_muller(size_t npairs, const uint32_t *ra, const uint32_t *rb, const uint32_t *a,
                    float sigma, float *x)
{
    box_muller_to(npairs, ra, rb, a, sigma, x, 0);
}

/* Gaussians per block: 512 pairs, each of the three 32-bit word arrays 2 KiB (8 steps); with
 * 4 KiB of output everything stays in L1. */
#define GAUSS_BLOCK CH_RNG_BLOCK
#define GAUSS_STEPS (GAUSS_BLOCK / 2 / (2 * RNG_LANES))

/* The three word arrays of one block, from the lanes l. The state is copied into a local that
 * does not escape: stores to the word arrays could otherwise alias *l and force it through
 * memory at every step, which doubled the cost of the generator. */
static inline void block_words(rng_lanes *l, uint32_t *ra, uint32_t *rb, uint32_t *a)
{
    rng_lanes s = *l;
    CH_NO_UNROLL
    for (size_t i = 0; i < GAUSS_STEPS; i++)
        lanes_step(&s, ra + 2 * RNG_LANES * i);
    CH_NO_UNROLL
    for (size_t i = 0; i < GAUSS_STEPS; i++)
        lanes_step(&s, rb + 2 * RNG_LANES * i);
    CH_NO_UNROLL
    for (size_t i = 0; i < GAUSS_STEPS; i++)
        lanes_step(&s, a + 2 * RNG_LANES * i);
    *l = s;
}

/* One block of GAUSS_BLOCK variates into x, or added to x (add). */
static inline void gauss_block(rng_lanes *l, float sigma, float *x, int add)
{
    uint32_t ra[GAUSS_BLOCK / 2], rb[GAUSS_BLOCK / 2], a[GAUSS_BLOCK / 2];
    block_words(l, ra, rb, a);
    /* Both calls spelt out, so that neither loop tests add (clang does not clone gauss_block
     * for a constant add as GCC does, and vectorised the test as masked loads). */
    if (add)
        box_muller_to(GAUSS_BLOCK / 2, ra, rb, a, sigma, x, 1);
    else
        box_muller_to(GAUSS_BLOCK / 2, ra, rb, a, sigma, x, 0);
}

/* ch_rng_gauss (add = 0) or ch_rng_gauss_add (add = 1): whole blocks straight into x, the tail
 * through a block of scratch, so that both consume and give the same variates. */
static inline void gauss_into(ch_rng *r, size_t n, float sigma, float *x, int add)
{
    rng_lanes l;
    lanes_load(&l, r);
    size_t i = 0;
    for (; i + GAUSS_BLOCK <= n; i += GAUSS_BLOCK)
        gauss_block(&l, sigma, x + i, add);
    if (i < n) {
        float tail[GAUSS_BLOCK];
        gauss_block(&l, sigma, tail, 0);
        for (size_t j = 0; j < n - i; j++)
            x[i + j] = add ? x[i + j] + tail[j] : tail[j];
    }
    lanes_store(r, &l);
}

void ch_rng_gauss(ch_rng *r, size_t n, float sigma, float *x)
{
    gauss_into(r, n, sigma, x, 0);
}

void ch_rng_gauss_add(ch_rng *r, size_t n, float sigma, float *x)
{
    gauss_into(r, n, sigma, x, 1);
}

/* A float complex is laid out as float[2] (C11 6.2.5), so this is 2n real variates. */
void ch_rng_cgauss(ch_rng *r, size_t n, float var, float complex *w)
{
    ch_rng_gauss(r, 2 * n, sqrtf(0.5f * var), (float *)w);
}

/* The faded symbols plus noise for sixteen floats (eight complex values) of y: h y, each part
 * rounded as ch_cmul_parts rounds it, as (hr, hr) (yr, yi) + (-hi, hi) (yi, yr) (a product by
 * -1 is exact, and no add-subtract is left for GCC to contract), then plus the noise w. real
 * (a compile-time constant once inlined): the symbols are real, and h y is (hr xr, hi xr), one
 * product a part (the imaginary parts, 0, would only add a product by 0). */
static inline void faded_add16(const float *h, float *y, const float *w, int real)
{
    const rng_f32x16 alternate = {-1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1};
    rng_f32x16 hv, yv, wv, out;
    memcpy(&hv, h, sizeof hv);
    memcpy(&yv, y, sizeof yv);
    memcpy(&wv, w, sizeof wv);
    rng_f32x16 yr =
        __builtin_shufflevector(yv, yv, 0, 0, 2, 2, 4, 4, 6, 6, 8, 8, 10, 10, 12, 12, 14, 14);
    if (real) {
        out = hv * yr + wv;
    } else {
        rng_f32x16 hr =
            __builtin_shufflevector(hv, hv, 0, 0, 2, 2, 4, 4, 6, 6, 8, 8, 10, 10, 12, 12, 14, 14);
        rng_f32x16 hi =
            __builtin_shufflevector(hv, hv, 1, 1, 3, 3, 5, 5, 7, 7, 9, 9, 11, 11, 13, 13, 15, 15) *
            alternate;
        rng_f32x16 swapped =
            __builtin_shufflevector(yv, yv, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
        out = (hr * yv + hi * swapped) + wv;
    }
    memcpy(y, &out, sizeof out);
}

/* block_words compiled on its own: inlined beside the products, gcc 12 kept the generator's
 * state in memory and the words took three times as long. */
static __attribute__((noinline)) void block_words_apart(rng_lanes *l, uint32_t *ra, uint32_t *rb,
                                                        uint32_t *a)
{
    block_words(l, ra, rb, a);
}

/* One block of faded symbols plus noise: sixteen pairs at a time, whose cosine halves go to the
 * first half of the block's floats and sine halves to the second, as box_muller_to places
 * them. The Box-Muller loop waits on its square roots, so the products ride in its idle slots.
 * real (a compile-time constant once inlined): the symbols are real, y = h Re(y) + w. */
static inline void faded_block(rng_lanes *l, float sigma, const float *h, float *y, int real)
{
    enum { HALF = GAUSS_BLOCK / 2 };
    uint32_t ra[HALF], rb[HALF], a[HALF];
    block_words_apart(l, ra, rb, a);
    for (size_t c = 0; c < HALF; c += 16) {
        float wc[16], ws[16];
        for (size_t k = 0; k < 16; k++)
            box_muller_pair(ra[c + k], rb[c + k], a[c + k], sigma, &wc[k], &ws[k]);
        faded_add16(h + c, y + c, wc, real);
        faded_add16(h + HALF + c, y + HALF + c, ws, real);
    }
}

/* The products in the generator's loop rather than in a pass of their own before the noise:
 * fast Rayleigh BPSK through the engine 1.02-1.12x as fast (six alternating pinned pairs, gcc,
 * 2-core AMD EPYC Zen 5). The tail, as gauss_into draws it, through a block of scratch. */
static inline void gauss_faded(ch_rng *r, size_t n, float sigma, const float complex *h,
                               float complex *y, int real)
{
    const float *hf = (const float *)h; /* C11 6.2.5: a complex is two floats */
    float *yf = (float *)y;
    rng_lanes l;
    lanes_load(&l, r);
    size_t i = 0;
    /* Both loops spelt out: clang does not clone faded_block for a constant real, and tested
     * it in every step of the block. */
    if (real)
        for (; i + GAUSS_BLOCK <= 2 * n; i += GAUSS_BLOCK)
            faded_block(&l, sigma, hf + i, yf + i, 1);
    else
        for (; i + GAUSS_BLOCK <= 2 * n; i += GAUSS_BLOCK)
            faded_block(&l, sigma, hf + i, yf + i, 0);
    if (i < 2 * n) {
        float tail[GAUSS_BLOCK];
        gauss_block(&l, sigma, tail, 0);
        for (size_t j = 0; j < (2 * n - i) / 2; j++) {
            float *at = yf + i + 2 * j;
            const float *g = hf + i + 2 * j;
            float re, im;
            if (real)
                re = g[0] * at[0], im = g[1] * at[0];
            else
                ch_cmul_parts(g[0], g[1], at[0], at[1], &re, &im);
            at[0] = re + tail[2 * j];
            at[1] = im + tail[2 * j + 1];
        }
    }
    lanes_store(r, &l);
}

void ch_rng_gauss_cmul_add(ch_rng *r, size_t n, float sigma, const float complex *h,
                           float complex *y)
{
    gauss_faded(r, n, sigma, h, y, 0);
}

/* For real symbols, one product a part instead of two and their sum: fast Rayleigh BPSK
 * through the engine 1.04x as fast as by ch_rng_gauss_cmul_add (median of ten alternating pinned
 * pairs, 0.90-1.10; gcc, 2-core AMD EPYC Zen 5), its ratio to the bare loop 0.89 -> 0.93. */
void ch_rng_gauss_rmul_add(ch_rng *r, size_t n, float sigma, const float complex *h,
                           float complex *y)
{
    gauss_faded(r, n, sigma, h, y, 1);
}
