/* Private to the decoders (decode.c, polar_decode.c). */
#ifndef CH_DECODE_INTERNAL_H
#define CH_DECODE_INTERNAL_H

#include "code_internal.h"

/* Blocks decoded side by side in the vector lanes of the codebook decoders. */
#define DEC_GROUP 32

typedef struct polar_sc polar_sc;
typedef struct polar_scl polar_scl;

struct ch_decoder {
    const ch_code *code;
    ch_decoder_kind kind;
    unsigned list_size;
    size_t max_words;
    float *codebook; /* ml, map: 2^k rows of n signs 1 - 2 x_i */
    uint8_t *message; /* ml, map: 2^k rows of the k information bits of each message index */
    uint16_t *half;   /* ml of n <= 16: per message the sign patterns of its codeword's halves */
    float *lanes;    /* ml, map: n x DEC_GROUP transposed LLRs */
    float *metric;   /* map: 2^k x DEC_GROUP; ml of n <= 16: both halves' pattern sums */
    polar_sc *sc;
    polar_scl *scl;
};

/* Polar decoders of one codeword: llr[n] in, information bits u[k] out. */
polar_sc *polar_sc_create(const ch_code *c);
void polar_sc_destroy(polar_sc *s);
void polar_sc_decode(polar_sc *s, const float *llr, uint8_t *u);

polar_scl *polar_scl_create(const ch_code *c, unsigned list_size);
void polar_scl_destroy(polar_scl *s);
void polar_scl_decode(polar_scl *s, const float *llr, uint8_t *u);

#endif
