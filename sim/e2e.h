/* End-to-end learning: a transmitter and a receiver trained together through the channel, which
 * is one of the layers of the composite function (O'Shea and Hoydis 2017).
 *
 *   block mode (train --e2e N,K): a message of K bits, one-hot over M = 2^K, goes through a
 *     dense layer to N reals (N real channel uses; the layer's rows are the codewords),
 *     average-power normalisation (1/2 per real dimension: a complex symbol of unit energy
 *     carries two of them), the channel, and dense receiver layers to a softmax over the M
 *     messages (cross-entropy).
 *   bits mode (train --e2e-constellation M): geometric shaping; the M points of one complex
 *     symbol (N = 2, K = log2 M) are learned as an embedding, with a neural demapper giving one
 *     logit per bit (binary cross-entropy), so the labelling is learned too.
 *
 * The channel layer (a custom layer of nn/) is AWGN of variance n0/2 per real dimension, with
 * n0 = N / (2 K Eb/N0) from an Eb/N0 drawn per sample (a side input), or Rayleigh fading with
 * CSI: each pair of reals (one complex symbol) is multiplied by its own h ~ CN(0, 1), given to
 * the receiver beside y. Its backward sends conj(h) delta to the transmitter.
 *
 * A trained pair is its codebook (the transmitter's M normalised outputs) and its receiver
 * network; sim --e2e-model runs them as stages of a chain (e2e transmitter, channel, e2e
 * receiver), export writes the codebook. */
#ifndef SIM_E2E_H
#define SIM_E2E_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <channel.h>
#include <nn.h>

#include "stage.h"

typedef enum {
    SIM_E2E_BLOCK, /* messages: softmax over M */
    SIM_E2E_BITS,  /* a learned constellation and bitwise demapper */
} sim_e2e_mode;

/* Limits of --e2e N,K and --e2e-constellation M. */
#define SIM_E2E_MAX_N 16
#define SIM_E2E_MAX_K 8

typedef struct {
    sim_e2e_mode mode;
    unsigned n, k;             /* real dimensions and bits per message (bits mode: 2, log2 M) */
    ch_chan_kind channel;      /* CH_CHAN_AWGN or CH_CHAN_RAYLEIGH (fast, with CSI) */
    double ebn0_lo, ebn0_hi;   /* training Eb/N0 in dB, drawn per sample uniformly in dB */
    const size_t *hidden;      /* receiver hidden ReLU widths */
    size_t n_hidden;
    uint64_t steps, batch, seed;
    double lr;                 /* Adam, cosine-decayed to lr/30 */
    const char *log;           /* learning curve, or NULL */
    int (*on_row)(void *user, const nn_train_row *row);
    void *on_row_user;
    int (*on_step)(void *user, const nn_train_progress *p); /* after every step, or NULL */
    void *on_step_user;
    volatile sig_atomic_t *stop;
} sim_e2e_config;

typedef struct sim_e2e sim_e2e;

/* Checks the configuration: 1 <= K <= SIM_E2E_MAX_K, 1 <= N <= SIM_E2E_MAX_N (even for
 * Rayleigh), bits mode N = 2 and K >= 1, a known channel. SIM_OK or SIM_EINVAL with a message. */
int sim_e2e_check(const sim_e2e_config *cfg);

/* Trains a pair. SIM_OK and *out, or SIM_EINTERRUPTED / another status with a message. */
int sim_e2e_train(const sim_e2e_config *cfg, sim_e2e **out);

/* Saves a trained pair as a model file: the receiver network, with the codebook and the link in
 * its metadata ("role" e2e). SIM_OK or SIM_EIO with a message. */
int sim_e2e_save(const sim_e2e *e, const char *path);

/* Loads a pair. NULL with a message (SIM_EIO, or SIM_EMODEL for a model that is not an e2e pair
 * or whose codebook or sizes do not fit its network). */
sim_e2e *sim_e2e_load(const char *path);

/* Frees e; NULL is a no-op. */
void sim_e2e_destroy(sim_e2e *e);

sim_e2e_mode sim_e2e_get_mode(const sim_e2e *e);
unsigned sim_e2e_n(const sim_e2e *e);
unsigned sim_e2e_k(const sim_e2e *e);
ch_chan_kind sim_e2e_channel(const sim_e2e *e);
/* The value of key in the model's metadata, or NULL. */
const char *sim_e2e_meta(const sim_e2e *e, const char *key);

/* The codebook: M = 2^K rows of N reals, average energy 1/2 per real dimension; row m is the
 * message whose K bits, first most significant, are m. Borrowed. */
const float *sim_e2e_codebook(const sim_e2e *e);

/* The chain's stages of a pair (borrowed; it must outlive them): the transmitter maps each
 * message's K information bits to ceil(N/2) complex symbols (its codeword, zero-padded to whole
 * symbols and scaled so that a message has the energy of its symbols); the receiver reads them
 * (and h, over fading) and decides the message's bits. NULL when out of memory. */
sim_stage *sim_e2e_transmitter(const sim_e2e *e);
sim_stage *sim_e2e_receiver(const sim_e2e *e);

/* Bitwise mutual information, in bits a symbol, of a learned constellation and its demapper (e,
 * bits mode; over its training channel, with CSI) or of a modem's points with exact log-MAP LLRs
 * over AWGN (e NULL), at Es/N0 = esn0_db: sum over the K bits of
 * 1 - E log2(1 + e^(-s llr)), s = +1 for a 0 sent, from nsym symbols of stream (seed, 11).
 * SIM_OK or SIM_ENOMEM. */
int sim_bmi(const sim_e2e *e, const ch_modem *modem, double esn0_db, size_t nsym, uint64_t seed,
            double *bmi);

/* Complex symbols a message takes: ceil(N/2). */
unsigned sim_e2e_symbols(const sim_e2e *e);

#endif
