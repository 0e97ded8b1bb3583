/* Channel codes and their classical decoders: linear block codes from a generator matrix
 * (Hamming (7,4) and (15,11), the extended Golay (24,12)) and polar codes.
 *
 * Bits are bytes 0/1 and LLRs follow modem.h: llr = log P(b=0|y) / P(b=1|y). A codeword of n
 * bits carries k information bits; nwords codewords lie one after the other.
 *
 * Linear codes are systematic: x = u G with G = [I_k | P], so the information bits are the
 * codeword's first k bits. Polar codes of length N = 2^m (Arikan): x = v F^{⊗m}, F = [[1,0],[1,1]],
 * no bit reversal, v holding the information bits at the positions A (in increasing order) and
 * zeros elsewhere (frozen). polar16_8 is the code of Gruber et al. 2017, A = {7, 9, 10, 11, 12, 13,
 * 14, 15}; polar:N,K takes the K positions of smallest Bhattacharyya parameter at a design
 * Eb/N0 (Arikan's recursion, exact on the binary erasure channel, from Z0 = exp(-R Eb/N0), the
 * Bhattacharyya parameter of BPSK over AWGN at that Eb/N0 and rate R = K/N), ties to the higher
 * index. Bit i of v, written m bits long, takes the better of the two channels of each
 * level where it has a 1 (most significant bit first).
 *
 * Decoders (ch_decoder):
 *   hard  bounded-distance syndrome decoding of the hard decisions: every error pattern of
 *         weight t or less is corrected (t = 1 for Hamming and polar16_8, 3 for Golay); any
 *         other syndrome is a decoding failure (flagged; the hard decisions' information bits
 *         come out). Codes with n - k <= 16 and n <= 64.
 *   ml    block maximum likelihood: the codeword of largest correlation sum_i (1 - 2 x_i) llr_i
 *         over the whole codebook (k <= 12), blocks in vector lanes.
 *   map   bitwise MAP with soft output: llr(u_j) = LSE_{c: u_j = 0} M_c - LSE_{c: u_j = 1} M_c,
 *         M_c = 1/2 sum_i (1 - 2 c_i) llr_i, over the codebook (k <= 12).
 *   sc    successive cancellation for polar codes, min-sum f; rate-0 and rate-1 subtrees are
 *         decoded at once (the same decisions as bit by bit).
 *   scl   successive cancellation list of L paths (Tal and Vardy, with LLR path metrics of
 *         Balatsoukas-Stimming et al.), exact f and metrics: with L >= 2^K every path survives
 *         and the result is the block ML codeword. */
#ifndef CH_CODE_H
#define CH_CODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest code. */
#define CH_CODE_MAX_N 1024
/* Largest k of the codebook decoders (ml, map). */
#define CH_CODE_CODEBOOK_MAX_K 12
/* Largest SCL list. */
#define CH_CODE_MAX_LIST 1024
/* The design Eb/N0 of polar:N,K when none is given, in dB: at 2 dB the Bhattacharyya set of
 * polar:1024,512 has minimum distance 16 (8 below 2 dB), and polar:16,8 is Gruber's. */
#define CH_CODE_DESIGN_EBN0_DB 2.0

typedef struct ch_code ch_code;

/* A code from its name: "hamming74", "hamming1511", "golay24", "polar16_8", or "polar:N,K"
 * (N a power of two from 2 to CH_CODE_MAX_N, 1 <= K <= N) with its frozen set built at the
 * design Eb/N0 design_snr_db (finite). NULL with a message (ch_last_error) naming the fault, or
 * when out of memory. */
ch_code *ch_code_create(const char *name, double design_snr_db);

/* Frees c; NULL is a no-op. */
void ch_code_destroy(ch_code *c);

/* The name it was made with ("polar:1024,512"), n, k, the rate k/n. */
const char *ch_code_name(const ch_code *c);
unsigned ch_code_n(const ch_code *c);
unsigned ch_code_k(const ch_code *c);
double ch_code_rate(const ch_code *c);

/* True for polar codes. */
bool ch_code_is_polar(const ch_code *c);

/* Polar codes: the information positions A (k of them, increasing); NULL for others. */
const uint32_t *ch_code_info_positions(const ch_code *c);

/* Encodes nwords codewords: u[nwords k] information bits to x[nwords n]. Allocates nothing. */
void ch_code_encode(const ch_code *c, size_t nwords, const uint8_t *u, uint8_t *x);

/* The information bits u[k] of a codeword x[n]: the inverse of the encoder (systematic codes
 * read the first k bits, polar codes the bits at A of x F^{⊗m}); on a word that is not a
 * codeword, the same map. Allocates nothing. */
void ch_code_info(const ch_code *c, const uint8_t *x, uint8_t *u);

/* The number of parity checks the code's parity-check matrix H has (n - k), or 0 when it has
 * none here (n > 64 or n - k > 16). */
unsigned ch_code_n_checks(const ch_code *c);

/* The syndrome s[n - k] = H x of a word x[n] (bits 0/1), for codes with ch_code_n_checks > 0:
 * all zero exactly for codewords. */
void ch_code_syndrome(const ch_code *c, const uint8_t *x, uint8_t *s);

/* The weight distribution A[0..n] (A[w] codewords of weight w) by enumerating the 2^k codewords:
 * CH_OK, or CH_EINVAL for k > 24 (A untouched). */
int ch_code_weights(const ch_code *c, uint64_t *A);

/* The minimum distance (enumerated for k <= 24; for longer polar codes the least weight of the
 * rows of F^{⊗m} at A, which is the polar code's), or 0 when unknown. */
unsigned ch_code_min_distance(const ch_code *c);

/* The radius t of the hard decoder, or -1 when the code has none (n - k > 16 or n > 64). */
int ch_code_hard_radius(const ch_code *c);

/* ---- decoders --------------------------------------------------------------------------- */

typedef enum {
    CH_DEC_HARD,
    CH_DEC_ML,
    CH_DEC_MAP,
    CH_DEC_SC,
    CH_DEC_SCL,
} ch_decoder_kind;

/* Parses "hard", "ml", "map", "sc", "scl:L". CH_EINVAL with a message otherwise. */
int ch_decoder_parse(const char *name, ch_decoder_kind *kind, unsigned *list_size);

/* A decoder's workspace (one per thread) for code c (borrowed) decoding up to max_words
 * codewords a call: kind as above, list_size L for scl (1 .. CH_CODE_MAX_LIST). NULL with a
 * message naming what does not fit (ml or map for k > 12, sc or scl for a code that is not
 * polar, hard for a code without a syndrome table), or when out of memory. */
typedef struct ch_decoder ch_decoder;
ch_decoder *ch_decoder_create(const ch_code *c, ch_decoder_kind kind, unsigned list_size,
                              size_t max_words);

/* Frees d; NULL is a no-op. */
void ch_decoder_destroy(ch_decoder *d);

/* Decodes nwords <= max_words codewords from their channel LLRs llr[nwords n] into the
 * information bits u[nwords k]. failed[nwords] (may be NULL) is set to 1 where a hard decoder
 * found no codeword within its radius, 0 elsewhere; info_llr[nwords k] (may be NULL) receives
 * the information bits' LLRs from map (others leave it untouched). Allocates nothing. */
void ch_decoder_run(ch_decoder *d, size_t nwords, const float *llr, uint8_t *u, uint8_t *failed,
                    float *info_llr);

#endif
