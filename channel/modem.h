/* Constellations, mapper and demappers.
 *
 * LLR sign convention, the one of the whole project:  llr = log P(b=0 | y) / P(b=1 | y),
 * so a positive LLR favours bit 0.
 *
 * Bits are bytes 0/1. A symbol carries k = log2(M) bits; bits[i*k] is the most significant bit
 * of symbol i's label, and points[label] is the symbol for that label. Every built-in
 * constellation is Gray labelled (nearest neighbours differ in one bit) with unit average
 * symbol energy. Square QAM labels put the I-axis Gray PAM label in the first k/2 bits and the
 * Q-axis one in the last k/2 bits, so demapping factorises per axis. */
#ifndef CH_MODEM_H
#define CH_MODEM_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    CH_MOD_BPSK,
    CH_MOD_QPSK,
    CH_MOD_8PSK,
    CH_MOD_16QAM,
    CH_MOD_64QAM,
    CH_MOD_256QAM,
    CH_MOD_CUSTOM,
} ch_mod_kind;

/* Largest order a custom constellation may have. */
#define CH_MODEM_MAX_ORDER 4096

/* Closest two points of a custom constellation may come, after scaling to unit RMS amplitude:
 * closer, they are taken as one point given twice. */
#define CH_MODEM_MIN_DISTANCE 1e-6

typedef struct ch_modem ch_modem;

/* Parses "bpsk", "qpsk", "8psk", "16qam", "64qam", "256qam". Returns CH_EINVAL with a message
 * naming the bad name otherwise. */
int ch_mod_parse(const char *name, ch_mod_kind *kind);

/* The command-line name of a built-in kind ("custom" for CH_MOD_CUSTOM). */
const char *ch_mod_name(ch_mod_kind kind);

/* A built-in constellation. NULL when out of memory or kind is not built in (message set). */
ch_modem *ch_modem_create(ch_mod_kind kind);

/* A custom constellation from a text file: one point a line, "label re im", the label written
 * in binary with k digits (e.g. "0110") or as a decimal integer; '#' starts a comment. M must
 * be a power of two from 2 to CH_MODEM_MAX_ORDER, every label from 0 to M-1 present once, no
 * two points closer than CH_MODEM_MIN_DISTANCE once scaled to unit average energy. NULL with a
 * message naming the file, line and fault otherwise. */
ch_modem *ch_modem_load(const char *path);

/* A custom constellation of `order` points (a power of two from 2 to CH_MODEM_MAX_ORDER), point i
 * labelled i, scaled to unit average energy, named `name` (copied). NULL with a message for
 * points that are not finite, all zero or not distinct, or when out of memory. */
ch_modem *ch_modem_from_points(unsigned order, const float complex *points, const char *name);

/* Frees m; ch_modem_destroy(NULL) is a no-op. */
void ch_modem_destroy(ch_modem *m);

/* The kind m was made as (CH_MOD_CUSTOM for a loaded file). */
ch_mod_kind ch_modem_kind(const ch_modem *m);
/* Name for reports: the built-in name, or "custom(path)". */
const char *ch_modem_name(const ch_modem *m);
/* M, the number of points. */
unsigned ch_modem_order(const ch_modem *m);
/* k = log2(M), bits per symbol. */
unsigned ch_modem_bits_per_symbol(const ch_modem *m);
/* The M points, indexed by label; borrowed from m. */
const float complex *ch_modem_points(const ch_modem *m);

/* Maps bits[nsym*k] to x[nsym]. */
void ch_modem_map(const ch_modem *m, size_t nsym, const uint8_t *bits, float complex *x);

/* Hard decisions: the label of the point nearest to y/h, into bits[nsym*k]. h[nsym] is the
 * complex channel gain of each symbol, or NULL for h = 1. Square QAM slices per axis. */
void ch_modem_demap_hard(const ch_modem *m, size_t nsym, const float complex *y,
                         const float complex *h, uint8_t *bits);

/* Max-log LLRs into llr[nsym*k]:
 *   llr = ( min_{s: b=1} |y - h s|^2 - min_{s: b=0} |y - h s|^2 ) / n0,
 * with h[nsym] (NULL for h = 1) and the noise variance n0[nsym] of each symbol (E|w|^2). */
void ch_modem_demap_maxlog(const ch_modem *m, size_t nsym, const float complex *y,
                           const float complex *h, const float *n0, float *llr);

/* Exact log-MAP LLRs into llr[nsym*k]:
 *   llr = log sum_{s: b=0} exp(-|y - h s|^2 / n0) - log sum_{s: b=1} exp(-|y - h s|^2 / n0),
 * computed stably (log-sum-exp), same arguments as ch_modem_demap_maxlog. */
void ch_modem_demap_exact(const ch_modem *m, size_t nsym, const float complex *y,
                          const float complex *h, const float *n0, float *llr);

/* Max-log LLRs (exact = 0) or exact log-MAP LLRs (exact != 0), as the two functions above,
 * into llr[nsym*k] unless llr is NULL, and their hard decisions llr < 0 into bits[nsym*k]
 * unless bits is NULL, in the same pass: the decisions are those ch_llr_decide takes from the
 * LLRs, bit for bit, without the LLRs having to be stored when only decisions are wanted. */
void ch_modem_demap_soft(const ch_modem *m, int exact, size_t nsym, const float complex *y,
                         const float complex *h, const float *n0, float *llr, uint8_t *bits);

/* Hard decisions from LLRs: bit = llr < 0. */
void ch_llr_decide(size_t n, const float *llr, uint8_t *bits);

#endif
