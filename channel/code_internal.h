/* Private to channel/'s codes (code.c, decode.c, polar_decode.c) and their white-box tests. */
#ifndef CH_CODE_INTERNAL_H
#define CH_CODE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "code.h"

/* Codes of at most this length also have bit-mask generator rows and parity-check columns. */
#define CODE_MASK_MAX_N 64
/* Syndrome tables up to this many parity bits. */
#define CODE_TABLE_MAX_R 16

struct ch_code {
    char name[32];
    unsigned n, k;
    bool polar;
    unsigned m;          /* polar: log2 n */
    uint32_t *info;      /* polar: A, k positions ascending */
    uint8_t *frozen;     /* polar: n flags */
    /* n <= CODE_MASK_MAX_N: bit i of a mask is codeword position i */
    uint64_t *gen;       /* k rows of G */
    uint32_t *hcol;      /* n columns of H (n - k <= 32 bits each), or NULL */
    uint64_t *table;     /* 2^(n-k) coset leaders of weight <= t, CODE_NO_LEADER elsewhere */
    int t;               /* hard radius, -1 without a table */
    unsigned dmin;
    uint8_t *words;      /* k <= CH_CODE_CODEBOOK_MAX_K and n <= CODE_MASK_MAX_N: the 2^k
                            codewords as bytes, row msg the codeword of message index msg */
};

#define CODE_NO_LEADER UINT64_MAX

/* The codeword of message index msg (bit j of the k-bit message is bit k-1-j of msg) as a mask;
 * n <= CODE_MASK_MAX_N. */
uint64_t code_word_of(const ch_code *c, uint32_t msg);


/* The polar transform x = v F^{⊗m} in place over n bits (its own inverse). */
void code_polar_transform(unsigned n, uint8_t *x);

/* Reads a decimal number of digits only at *s, at most max, advancing *s past it. */
static inline bool ch_parse_uint(const char **s, unsigned max, unsigned *value)
{
    unsigned long long v = 0;
    const char *p = *s;
    if (*p < '0' || *p > '9') return false;
    for (; *p >= '0' && *p <= '9'; p++)
        if ((v = v * 10 + (unsigned)(*p - '0')) > max) return false;
    *s = p, *value = (unsigned)v;
    return true;
}

#endif
