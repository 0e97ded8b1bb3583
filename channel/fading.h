/* AWGN and flat fading channels.
 *
 * Received sample y = h x + w, with w ~ CN(0, n0) and E|h|^2 = 1. Symbols have unit average
 * energy (Es = 1), so n0 follows from Eb/N0 or Es/N0 alone through the helpers below. */
#ifndef CH_FADING_H
#define CH_FADING_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/* Noise variance n0 = E|w|^2 for unit-energy symbols at Eb/N0 = ebn0_db, with k bits per
 * symbol and code rate r (information bits per coded bit; 1 when uncoded):
 *   Es/N0 = Eb/N0 * k * r,  n0 = 1 / (Es/N0). */
double ch_n0_from_ebn0(double ebn0_db, unsigned bits_per_symbol, double code_rate);

/* Noise variance for unit-energy symbols at Es/N0 = esn0_db: n0 = 10^(-esn0_db/10). */
double ch_n0_from_esn0(double esn0_db);

/* Es/N0 in dB from Eb/N0 in dB: ebn0_db + 10 log10(k r). */
double ch_esn0_from_ebn0(double ebn0_db, unsigned bits_per_symbol, double code_rate);

/* Adds CN(0, n0) noise in place: y[i] += w[i], i < n. */
void ch_awgn_add(ch_rng *r, size_t n, float n0, float complex *y);

typedef enum {
    CH_CHAN_AWGN,
    CH_CHAN_RAYLEIGH,
    CH_CHAN_RICIAN,
} ch_chan_kind;

/* Parses "awgn", "rayleigh", "rician". CH_EINVAL with a message otherwise. */
int ch_chan_parse(const char *name, ch_chan_kind *kind);
const char *ch_chan_name(ch_chan_kind kind);

/* How the gain h evolves. A plain struct: fill it with designated initialisers. */
typedef struct {
    ch_chan_kind kind;
    double k_factor;    /* Rician K (linear power ratio of line of sight to scatter), >= 0 */
    unsigned coherence; /* symbols per block with constant h; 1 = fast (i.i.d.) fading */
    double doppler;     /* normalised Doppler f_D T_s in (0, 0.5] for Jakes/Clarke correlated
                           fading by sum of sinusoids; 0 = none (block or fast fading) */
} ch_fading_config;

typedef struct ch_fading ch_fading;

/* A fading process for cfg (validated: a message names the bad field). AWGN gives h = 1.
 * NULL on a bad config or out of memory. */
ch_fading *ch_fading_create(const ch_fading_config *cfg);

/* Frees f; ch_fading_destroy(NULL) is a no-op. */
void ch_fading_destroy(ch_fading *f);

/* The configuration f was made with. */
const ch_fading_config *ch_fading_get_config(const ch_fading *f);

/* Starts a new independent realisation drawn from r (new block phase, new sinusoid angles and
 * phases for Jakes); the next gain is the first of a coherence block. Allocates nothing. */
void ch_fading_reset(ch_fading *f, ch_rng *r);

/* The next n gains of the realisation into h[n], drawing from r as needed. Allocates
 * nothing. */
void ch_fading_gains(ch_fading *f, ch_rng *r, size_t n, float complex *h);

/* y[i] = h[i] x[i], i < n (y may alias x). */
void ch_fading_apply(size_t n, const float complex *h, const float complex *x,
                     float complex *y);

#endif
