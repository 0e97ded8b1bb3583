/* Receivers: one interface for hard, max-log, exact and learned detection, so the Monte Carlo
 * engine does not care which it runs.
 *
 * Two kinds of channel knowledge:
 *   perfect CSI (pilot_spacing 0): the receiver is given the true gain h of every symbol;
 *   pilots (pilot_spacing N >= 2): the frame is made of blocks of N symbols whose first is the
 *     known pilot CH_PILOT and no receiver is given h. The classical receivers estimate h of
 *     each block by least squares from its pilot, h_ls = y_p / CH_PILOT, and demap the block's
 *     data coherently with it; the learned one sees the pilot's observation beside each data
 *     symbol (rx_features.h) and detects without an explicit estimate.
 *
 * A receiver is shared by all threads (read-only after creation); each thread makes its own
 * sim_rx_worker, which holds the scratch a receiver needs, so deciding allocates nothing. */
#ifndef SIM_RECEIVER_H
#define SIM_RECEIVER_H

#include <complex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <channel.h>

/* What a receiver sees of one frame of nsym symbols (pilots included). */
typedef struct {
    size_t nsym;
    const float complex *y; /* received samples */
    const float complex *h; /* channel gains: perfect CSI only, NULL for AWGN or pilots */
    const float *n0;        /* noise variance per symbol */
    const float complex *prev_pilot; /* pilots: the observation of the pilot before the frame
                                        in the same fading realisation, or NULL */
} sim_frame;

typedef enum {
    SIM_RX_HARD,
    SIM_RX_MAXLOG,
    SIM_RX_EXACT,
    SIM_RX_NN,
} sim_rx_kind;

typedef struct {
    sim_rx_kind kind;
    const ch_modem *modem;  /* borrowed: it must outlive the receiver */
    ch_chan_kind channel;   /* the link's channel, checked against a model's */
    unsigned pilot_spacing; /* 0: perfect CSI; N >= 2: one pilot per block of N, no CSI */
    bool correlated;        /* Doppler-correlated fading: pilots give the learned receiver a
                               window of two (rx_features.h) */
    const char *model;      /* SIM_RX_NN: the model file */
} sim_rx_config;

typedef struct sim_receiver sim_receiver;
typedef struct sim_rx_worker sim_rx_worker;

/* Parses "hard", "maxlog", "exact", "nn". 0, or -1 with nothing printed. */
int sim_rx_parse(const char *name, sim_rx_kind *kind);

/* A receiver for cfg. NULL with a one-line message in err[err_size] when the model cannot be
 * loaded or was made for another modulation, channel or input layout (the message says which),
 * or when out of memory. */
sim_receiver *sim_receiver_create(const sim_rx_config *cfg, char *err, size_t err_size);

/* A classical receiver (hard, maxlog, exact) with perfect CSI: sim_receiver_create's shorthand.
 * NULL when out of memory. */
sim_receiver *sim_receiver_classical(sim_rx_kind kind, const ch_modem *modem);

/* Frees rx; NULL is a no-op. */
void sim_receiver_destroy(sim_receiver *rx);

/* The receiver's name for reports ("maxlog", "nn model.bin", "maxlog, LS pilots"). */
const char *sim_receiver_name(const sim_receiver *rx);

/* The value of key in the learned receiver's model metadata (the link it was trained for:
 * "ebn0_db", "channel_detail", ...), or NULL (no model, or no such key). */
const char *sim_receiver_model_meta(const sim_receiver *rx, const char *key);

/* True when the decisions depend on y only through Re(conj(h) y) for every symbol: then a BPSK
 * link may leave out the quadrature noise, which such a receiver discards. */
bool sim_receiver_inphase_only(const sim_receiver *rx);

/* Per-thread scratch for frames of up to max_symbols symbols. NULL when out of memory. */
sim_rx_worker *sim_rx_worker_create(const sim_receiver *rx, size_t max_symbols);

/* Frees w; NULL is a no-op. */
void sim_rx_worker_destroy(sim_rx_worker *w);

/* Bit decisions for the data symbols of frame f (f->nsym <= max_symbols, a multiple of the
 * pilot spacing with pilots) into bits[ndata * k]; ndata = nsym without pilots, nsym * (N-1)/N
 * with them. When llr is not NULL and the receiver is soft, its LLRs (convention of modem.h) go
 * there too. Allocates nothing. */
void sim_rx_decide(sim_rx_worker *w, const sim_frame *f, uint8_t *bits, float *llr);

#endif
