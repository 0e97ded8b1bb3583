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
 *   Es/N0 = Eb/N0 * k * r,  n0 = 1 / (Es/N0).
 * NaN when bits_per_symbol is 0 or code_rate is outside (0, 1]. */
double ch_n0_from_ebn0(double ebn0_db, unsigned bits_per_symbol, double code_rate);

/* Noise variance for unit-energy symbols at Es/N0 = esn0_db: n0 = 10^(-esn0_db/10). */
double ch_n0_from_esn0(double esn0_db);

/* Es/N0 in dB from Eb/N0 in dB: ebn0_db + 10 log10(k r). NaN for k = 0 or r outside (0, 1]. */
double ch_esn0_from_ebn0(double ebn0_db, unsigned bits_per_symbol, double code_rate);

/* Adds CN(0, n0) noise in place: y[i] += w[i], i < n. Allocates nothing. */
void ch_awgn_add(ch_rng *r, size_t n, float n0, float complex *y);

/* The gains h applied and the noise added in one pass: y[i] = h[i] y[i] + w[i], i < n, the
 * floats and draws of ch_fading_apply(n, h, y, y) then ch_awgn_add(r, n, n0, y). y overlaps
 * nothing of h. Allocates nothing. */
void ch_awgn_add_faded(ch_rng *r, size_t n, float n0, const float complex *h, float complex *y);

/* ch_awgn_add_faded for real symbols (BPSK, PAM): y[i] = h[i] Re(y[i]) + w[i], i < n, one
 * rounded product a part (hr x, hi x); the imaginary parts of y are not read. For symbols whose
 * imaginary parts are 0 and finite gains, the floats of ch_awgn_add_faded but for the sign of a
 * part of y that comes out 0, and the same draws. Allocates nothing. */
void ch_awgn_add_faded_real(ch_rng *r, size_t n, float n0, const float complex *h,
                            float complex *y);

typedef enum {
    CH_CHAN_AWGN,
    CH_CHAN_RAYLEIGH,
    CH_CHAN_RICIAN,
} ch_chan_kind;

/* Parses "awgn", "rayleigh", "rician". CH_EINVAL with a message otherwise. */
int ch_chan_parse(const char *name, ch_chan_kind *kind);
/* The command-line name of kind ("rayleigh"); a static string. */
const char *ch_chan_name(ch_chan_kind kind);

/* How the gain h evolves. A plain struct: fill it with designated initialisers.
 *
 * Rician: h = sqrt(K/(K+1)) + sqrt(1/(K+1)) h_scatter, the line of sight real (phase 0) and
 * constant, h_scatter Rayleigh with E|h_scatter|^2 = 1. Doppler-correlated fading sums 32
 * sinusoids with random angles and complex Gaussian amplitudes drawn per realisation
 * (fading_jakes.h): h_scatter is exactly CN(0, 1) at every symbol and, over realisations,
 * E[h_scatter(k) h_scatter*(0)] = J0(2 pi doppler k).
 *
 * Impossible combinations are errors, not ignored: k_factor != 0 for awgn or rayleigh,
 * coherence != 1 or doppler != 0 for awgn, doppler > 0 with coherence > 1. */
typedef struct {
    ch_chan_kind kind;
    double k_factor;    /* Rician K (linear power ratio of line of sight to scatter), finite,
                           >= 0; 0 for awgn and rayleigh */
    unsigned coherence; /* symbols per block with constant h, >= 1; 1 = fast (i.i.d.) fading */
    double doppler;     /* normalised Doppler f_D T_s in (0, 0.5] for Jakes/Clarke correlated
                           fading by sum of sinusoids (coherence 1); 0 = none (block or fast
                           fading) */
} ch_fading_config;

typedef struct ch_fading ch_fading;

/* A fading process for cfg (validated: a message names the bad field). AWGN gives h = 1.
 * NULL on a bad config or out of memory. */
ch_fading *ch_fading_create(const ch_fading_config *cfg);

/* Frees f; ch_fading_destroy(NULL) is a no-op. */
void ch_fading_destroy(ch_fading *f);

/* The configuration f was made with. */
const ch_fading_config *ch_fading_get_config(const ch_fading *f);

/* Starts a new independent realisation drawn from r (new sinusoid angles and amplitudes for
 * Jakes; fast and block fading draw nothing here); the next gain is the first of a coherence
 * block, so block boundaries fall every coherence symbols counted from the reset. Allocates
 * nothing. */
void ch_fading_reset(ch_fading *f, ch_rng *r);

/* The next n gains of the realisation into h[n], drawing from r as needed (fast fading: n
 * variates; block: one per new block; Jakes: nothing, except the first realisation when no reset
 * came before). The same stream and call sequence give the same gains; Jakes gains do not even
 * depend on how they are split into calls. Allocates nothing. */
void ch_fading_gains(ch_fading *f, ch_rng *r, size_t n, float complex *h);

/* y[i] = h[i] x[i], i < n: y is x (in place) or overlaps neither x nor h. */
void ch_fading_apply(size_t n, const float complex *h, const float complex *x,
                     float complex *y);

#endif
