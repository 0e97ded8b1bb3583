/* Decision-aided clipping reconstruction, the learned OFDM receiver's last stage on a clipped
 * link (README: Learned OFDM receiver).
 *
 * The transmitter clips each OFDM symbol's time signal x = IDFT(X) at R: the receiver's DFT
 * sees Y = H (X + E) + W with E = DFT(clip(x) - x), distortion that a one-tap receiver takes for
 * noise. From decisions X^ (the data decided, the pilots known) the receiver rebuilds
 * E^ = DFT(clip(x^) - x^) with x^ = IDFT(X^) and takes it off without a channel estimate:
 *
 *   Y' = Y X^ / (X^ + E^)   (= Y - H^ E^ with H^ = Y / (X^ + E^), the estimate the position
 *                            itself gives)
 *
 * which is H X + W X / (X + E) where the decisions are right. The network then decides again
 * from Y'. A position whose X^ + E^ is small against X^ is left as it is. */
#ifndef SIM_RX_DECLIP_H
#define SIM_RX_DECLIP_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include <channel.h>

#include "link.h"

typedef struct sim_declip sim_declip;
typedef struct sim_declip_worker sim_declip_worker;

/* For link's OFDM layout and clipping, modem m and the frame's pilots p (both borrowed); NULL
 * with a message (sim_error) when out of memory. */
sim_declip *sim_declip_create(const sim_link *link, const ch_modem *m, const ch_pilots *p);
void sim_declip_destroy(sim_declip *d);

/* What one thread needs for frames of up to max_frames frames; NULL when out of memory. */
sim_declip_worker *sim_declip_worker_create(const sim_declip *d, size_t max_frames);
void sim_declip_worker_destroy(sim_declip_worker *w);

/* out = y of nframes frames with the distortion that decided (k bits per data position, in the
 * order of the pilots' data positions) implies taken off. Allocates nothing. */
void sim_declip_run(const sim_declip *d, sim_declip_worker *w, size_t nframes,
                    const float complex *y, const uint8_t *decided, float complex *out);

/* residual[f] = Σ |Y - H^ (X^ + E^)|² over frame f's positions for decisions decided: how well
 * they explain what frame f received under the clipping, with E^ from them as in
 * sim_declip_run and H^ the LS estimate from the frame's pilot symbol after its own distortion
 * is taken off. Allocates nothing. */
void sim_declip_residual(const sim_declip *d, sim_declip_worker *w, size_t nframes,
                         const float complex *y, const uint8_t *decided, float *residual);

#endif
