/* OFDM over a tapped-delay-line multipath channel (multipath.h), with FFTW.
 *
 * A frame is T OFDM symbols of N subcarriers (time-major, position t N + k, like a pilot grid of
 * pilots.h). Each symbol goes through the unitary inverse DFT (x_n = N^(-1/2) sum_k X_k
 * e^(j 2 pi k n / N)), gets a cyclic prefix of L samples, is clipped where |x_n| exceeds R times
 * the RMS of a fully loaded symbol (1: unit-energy subcarriers and a unitary transform keep the
 * energy), and passes the channel
 *     r_n = e^(j 2 pi eps n / N) sum_l g_l(t) x_(n - d_l) + w_n,   w_n ~ CN(0, n0),
 * n counted from the frame's first sample, the frame preceded by silence. The receiver drops each
 * symbol's prefix and applies the unitary DFT, so that with a prefix at least the channel's spread,
 * no clipping and no offset, Y_k = H_k X_k + W_k with W_k ~ CN(0, n0) and
 * H_k = sum_l g_l e^(-j 2 pi k d_l / N): Es/N0 per subcarrier is 1/n0. With a shorter prefix the
 * previous symbol leaks in (inter-symbol interference) and the circular convolution breaks
 * (inter-carrier interference), as the physics says; the true H_k reported is still the
 * response of the taps.
 *
 * Tap gains g_l ~ CN(0, p_l) are static over a frame (drawn anew for each frame) or, with a
 * Doppler f_D T (T the OFDM symbol's duration, prefix included), Jakes/Clarke processes per tap
 * (fading.h's generator) that move from symbol to symbol and run on across frames until a reset.
 *
 * FFTW plans are made once per ch_ofdm (creation serialised by a lock, as FFTW requires) and
 * executed by every worker on its own aligned buffers with the new-array interface. The true
 * response of a channel within 8 samples (exp, EPA at 3 MHz) at N >= 64 is not FFTW's transform
 * of the taps but the last stage of a radix-8 FFT on its 8 samples: as accurate, in under half
 * the time. */
#ifndef CH_OFDM_H
#define CH_OFDM_H

#include <complex.h>
#include <stddef.h>

#include "multipath.h"
#include "rng.h"

#define CH_OFDM_MIN_N 8u
#define CH_OFDM_MAX_N 4096u

typedef struct {
    unsigned n;         /* subcarriers, a power of two in [CH_OFDM_MIN_N, CH_OFDM_MAX_N] */
    unsigned cp;        /* prefix samples, < n */
    unsigned symbols;   /* OFDM symbols a frame, >= 1 */
    ch_profile profile; /* the power-delay profile; its spread must be < n */
    double doppler;     /* f_D T per OFDM symbol in [0, 0.5]; 0: taps static over a frame */
    double clip;        /* clipping ratio R to the RMS, > 0; 0: no clipping */
    double cfo;         /* carrier frequency offset in subcarrier spacings, finite */
} ch_ofdm_config;

typedef struct ch_ofdm ch_ofdm;
typedef struct ch_ofdm_worker ch_ofdm_worker;

/* Checks cfg: CH_OK or CH_EINVAL with a message naming the bad field. */
int ch_ofdm_check(const ch_ofdm_config *cfg);

/* The OFDM link of cfg (checked), its plans made. NULL with a message on a bad config or when
 * out of memory. */
ch_ofdm *ch_ofdm_create(const ch_ofdm_config *cfg);
void ch_ofdm_destroy(ch_ofdm *o);
const ch_ofdm_config *ch_ofdm_get_config(const ch_ofdm *o);

/* A thread's buffers and tap processes. NULL when out of memory. */
ch_ofdm_worker *ch_ofdm_worker_create(const ch_ofdm *o);
void ch_ofdm_worker_destroy(ch_ofdm_worker *w);

/* A new realisation of Doppler taps drawn from r (static taps draw per frame anyway). */
void ch_ofdm_reset(const ch_ofdm *o, ch_ofdm_worker *w, ch_rng *r);

/* One frame: s[T N] the frequency-domain symbols sent, y[T N] what the receiver's DFT gives, and
 * h[T N] the true frequency response of each position (NULL: not wanted). Noise variance n0 per
 * time sample (and per subcarrier). Draws taps and noise from r; allocates nothing. */
void ch_ofdm_frame(const ch_ofdm *o, ch_ofdm_worker *w, ch_rng *r, float n0,
                   const float complex *s, float complex *y, float complex *h);

/* nframes frames one after the other (s, y and h advance by T N a frame). The random numbers
 * of a batch of frames (a few thousand samples) are drawn together: their static taps, then their
 * noise; a frame's own draws are its Doppler taps. The same stream and nframes give the same
 * frames. */
void ch_ofdm_frames(const ch_ofdm *o, ch_ofdm_worker *w, ch_rng *r, float n0, size_t nframes,
                    const float complex *s, float complex *y, float complex *h);

/* The unitary transforms alone, on the worker's plans: out[N] = DFT or inverse DFT of in[N]
 * (in and out may be the same array but must not otherwise overlap). */
void ch_ofdm_dft(const ch_ofdm *o, ch_ofdm_worker *w, int inverse, const float complex *in,
                 float complex *out);

/* Clips x[n] in place as the transmitter clips its time signal: a sample whose magnitude is
 * above R (the configured ratio; the unitary DFT of unit-energy symbols has RMS 1) keeps its
 * phase and gets magnitude R. Nothing without clipping. */
void ch_ofdm_clip(const ch_ofdm *o, size_t n, float complex *x);

/* The taps of the last frame's last symbol (n_taps of the profile), for figures. */
const float complex *ch_ofdm_last_taps(const ch_ofdm_worker *w);

#endif
