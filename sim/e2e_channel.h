/* The channel as a layer of an end-to-end network (e2e.h): a custom layer of nn/ whose forward
 * is AWGN, or Rayleigh fading with CSI, on n reals a sample, and whose backward sends the
 * transmitter the message conj(h) delta (AWGN: delta itself). */
#ifndef SIM_E2E_CHANNEL_H
#define SIM_E2E_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <channel.h>
#include <nn.h>

typedef struct sim_chan_layer sim_chan_layer;

/* A channel layer on n reals a sample (n even for fading), for batches of up to max_batch,
 * drawing its noise from stream (seed, stream). Side input per sample: sigma (the noise's
 * standard deviation per real), then over fading (Re h, Im h) for each pair of reals. Output:
 * the n received reals, then over fading the n reals of h (pair p: Re h_p, Im h_p). NULL when out
 * of memory. */
sim_chan_layer *sim_chan_layer_create(unsigned n, bool fading, size_t max_batch, uint64_t seed,
                                      uint64_t stream);
void sim_chan_layer_destroy(sim_chan_layer *c);

/* The layer's description for nn_net_create (borrowing c). */
nn_layer_spec sim_chan_layer_spec(sim_chan_layer *c);

/* Floats of side input and of output per sample: 1 + n and 2n over fading, 1 and n over AWGN. */
size_t sim_chan_layer_side_width(const sim_chan_layer *c);
size_t sim_chan_layer_out_width(const sim_chan_layer *c);

/* Holds the noise fixed (w[max_batch n] standard normal, borrowed) instead of drawing it, so
 * that the layer is a deterministic function for gradient checks and validation; NULL draws
 * again. */
void sim_chan_layer_fix_noise(sim_chan_layer *c, const float *w);

#endif
