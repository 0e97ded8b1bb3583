/* Training pairs: what a learned receiver learns from, without knowing about channels. */
#ifndef CH_PAIRS_H
#define CH_PAIRS_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "fading.h"
#include "modem.h"
#include "pilots.h"
#include "rng.h"

/* A link: modulation, channel and SNR range. Borrowed parts. */
typedef struct {
    const ch_modem *modem;
    ch_fading *fading;    /* NULL for AWGN */
    double ebn0_lo_db;    /* Eb/N0 drawn uniformly in dB in [lo, hi]; lo == hi for one SNR */
    double ebn0_hi_db;
    double code_rate;     /* 1 when uncoded */
} ch_link;

/* Draws n transmitted symbols and what the receiver sees of them: random bits[n*k], the
 * received samples y[n], the channel gains h[n] (NULL when the receiver has no CSI; all 1 for
 * AWGN) and the noise variance n0[n] of each symbol. One SNR is drawn per call when
 * per_symbol_snr is 0 (a minibatch at one SNR), one per symbol otherwise:
 *   y = h map(bits) + w,  w ~ CN(0, n0),  n0 = ch_n0_from_ebn0(Eb/N0, k, code_rate).
 * The fading process continues from its state (reset it for a new realisation); asking for h
 * or not changes no other output. Allocates nothing. Returns CH_EINVAL with a message naming
 * the fault: NULL link, modem, r or array (arrays may be NULL when n is 0), Eb/N0 not finite or
 * so extreme that n0 leaves the float range, lo > hi, code_rate outside (0, 1]. */
int ch_pairs_fill(const ch_link *link, ch_rng *r, int per_symbol_snr, size_t n, uint8_t *bits,
                  float complex *y, float complex *h, float *n0);

/* Pilot-aided frames for a receiver without CSI: nblocks frames of the single-carrier pattern
 * `pilots` (ch_pilots_n_freq 1; a frame of F symbols), pilots and data where the pattern puts
 * them. Either one gain per frame (the link's fading has coherence == F, or is NULL for AWGN)
 * and one SNR per frame drawn uniformly in dB; or, with Doppler-correlated fading (coherence 1),
 * a gain per symbol that runs on across the frames and calls, and one SNR for the whole call.
 * Fills bits[nblocks * n_data * k] (the data bits), y[nblocks * F] (the frames as received),
 * h[nblocks * F] (the true gains, for tests and genie receivers; may be NULL) and n0[nblocks].
 * The pilots cost energy and rate: pass link->code_rate = ch_pilots_rate(pilots) so that Eb/N0
 * counts their energy against the data bits. Allocates nothing. Errors as ch_pairs_fill, and
 * CH_EINVAL for a multicarrier pattern or a fading coherence other than F. */
int ch_pairs_fill_pilot(const ch_link *link, ch_rng *r, const ch_pilots *pilots, size_t nblocks,
                        uint8_t *bits, float complex *y, float complex *h, float *n0);

#endif
