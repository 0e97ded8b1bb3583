/* The learned OFDM receiver's network: a classical receiver unfolded into layers whose
 * parameters training then learns (README: Learned OFDM receiver).
 *
 * Its input is a frame's received grid, (Re, Im) of every position (F = (S + 1) N of them); its
 * output is one logit per data bit. With D data positions, d's subcarrier k_d and Y the grid:
 *
 *   1  dense    u = Y_data, v = h1 = A Y_pilots (A: an N × P complex matrix per subcarrier),
 *               and Y again (passed on)
 *   2  cmul     q1 = Y_d conj(h1_(k_d)): each data symbol seen through the first estimate
 *   3  dense    u = Y_data, v = β q1, Y passed on
 *   4  cmul/tanh r = Y_d conj(tanh(β q1)): the received symbol with its soft decision taken
 *               off, a noisy look at the channel from every data position
 *   5  dense    u = Y_data, v = h2 = A' Y_pilots + B r: the second estimate, from the pilots
 *               and from every data position
 *   6  cmul     q2 = Y_d conj(h2_(k_d)) and |h2|²
 *   7  dense    the logits from (q2, |h2|²): linear for BPSK and QPSK, one hidden ReLU layer
 *               before them for larger constellations
 *
 * so that it can be least squares with linear interpolation (A, A': the LS matrix, B = 0), the
 * LMMSE estimator (A: LMMSE's matrix), decision-directed estimation (B), or whatever fits the
 * channel it is trained on better, such as one with interference a missing prefix leaves or
 * clipping distortion. Every dense layer is fully connected and trainable; training starts at
 * least squares (B = 0, head: the matched filter's sign per bit) rather than at random, which no
 * estimator-agnostic training then has to find again. */
#ifndef SIM_RX_OFDM_NET_H
#define SIM_RX_OFDM_NET_H

#include "link.h"
#include "nn_net.h"

/* Largest frame ((S + 1) N positions) the learned OFDM receiver takes: its first layer has
 * about 12 F² parameters. */
#define SIM_OFDM_NET_MAX_FRAME 1024u

/* The network for link's OFDM layout and modulation, with hidden units in the head of larger
 * constellations, for training batches of up to max_batch frames (parameters drawn from seed
 * where not set by the structure). NULL with a message (sim_error) on a frame too large or
 * out of memory. */
nn_net *sim_ofdm_net_create(const sim_link *link, size_t hidden, size_t max_batch,
                            uint64_t seed);

#endif
