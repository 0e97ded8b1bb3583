/* Tapped-delay-line multipath channels: power-delay profiles on the sample grid and Rayleigh tap
 * gains, static over a frame or Doppler-correlated from OFDM symbol to OFDM symbol.
 *
 * Profiles (powers normalised to a total of 1, so E|H_k|^2 = 1 on every subcarrier):
 *   exp  8 taps at delays 0..7 samples, powers proportional to e^(-t);
 *   epa, eva, etu  the 3GPP (TS 36.104, annex B.2) extended pedestrian A, vehicular A and
 *        typical urban profiles, at a sample rate fs: tap delay tau goes to sample round(tau fs)
 *        (nearest; halves up) and the powers of taps on one sample add. At the default
 *        fs = CH_MULTIPATH_DEFAULT_FS, 3 MHz, EPA spans 2 samples, EVA 8, ETU 16 (delays 0..15),
 *        all inside a prefix of 16 samples at N = 64. */
#ifndef CH_MULTIPATH_H
#define CH_MULTIPATH_H

#include <complex.h>
#include <stddef.h>

#include "rng.h"

#define CH_MULTIPATH_MAX_TAPS 64
#define CH_MULTIPATH_DEFAULT_FS 3e6

typedef enum {
    CH_PROFILE_EXP,
    CH_PROFILE_EPA,
    CH_PROFILE_EVA,
    CH_PROFILE_ETU,
} ch_profile_kind;

/* Parses "exp", "epa", "eva", "etu". CH_EINVAL with a message otherwise. */
int ch_profile_parse(const char *name, ch_profile_kind *kind);
const char *ch_profile_name(ch_profile_kind kind);

/* A profile on the sample grid: taps at delay[i] samples (ascending, distinct) with power[i]
 * (summing to 1). */
typedef struct {
    unsigned n_taps;
    unsigned delay[CH_MULTIPATH_MAX_TAPS];
    double power[CH_MULTIPATH_MAX_TAPS];
} ch_profile;

/* The profile of kind at sample rate fs (Hz; ignored by exp). CH_EINVAL for an fs that is not
 * finite and positive, or that puts the last tap beyond CH_MULTIPATH_MAX_TAPS * 16 samples. */
int ch_profile_make(ch_profile_kind kind, double fs, ch_profile *p);

/* The last tap's delay in samples: a prefix longer than this keeps symbols apart. */
unsigned ch_profile_spread(const ch_profile *p);

/* The frequency correlation of the profile over N subcarriers of spacing 1/N (in samples):
 * r[m] = E H_k conj(H_(k-m)) = sum_l p_l e^(-j 2 pi m d_l / N), m = 0..N-1 (r[-m] = conj r[m]). */
void ch_profile_correlation(const ch_profile *p, unsigned n, double complex *r);

/* The frequency response H_k = sum_l g_l e^(-j 2 pi k d_l / N) of tap gains g[n_taps] on N
 * subcarriers (the DFT of the impulse response, unitary FFT convention without the scale). */
void ch_profile_response(const ch_profile *p, const float complex *g, unsigned n,
                         float complex *h);

#endif
