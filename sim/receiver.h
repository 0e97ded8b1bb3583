/* Receivers: one interface for hard, max-log, exact and learned detection, so the Monte Carlo
 * engine does not care which it runs.
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

/* What a receiver sees of one frame of nsym symbols. */
typedef struct {
    size_t nsym;
    const float complex *y; /* received samples */
    const float complex *h; /* channel gains (perfect CSI) */
    const float *n0;        /* noise variance per symbol */
} sim_frame;

typedef enum {
    SIM_RX_HARD,
    SIM_RX_MAXLOG,
    SIM_RX_EXACT,
} sim_rx_kind;

typedef struct sim_receiver sim_receiver;
typedef struct sim_rx_worker sim_rx_worker;

/* Parses "hard", "maxlog", "exact". 0, or -1 with nothing printed. */
int sim_rx_parse(const char *name, sim_rx_kind *kind);

/* A classical receiver of kind for modem (borrowed; it must outlive the receiver). NULL when
 * out of memory. */
sim_receiver *sim_receiver_create(sim_rx_kind kind, const ch_modem *modem);

/* Frees rx; NULL is a no-op. */
void sim_receiver_destroy(sim_receiver *rx);

/* The receiver's name for reports ("maxlog"). */
const char *sim_receiver_name(const sim_receiver *rx);

/* True when the decisions depend on y only through Re(conj(h) y) for every symbol: then a BPSK
 * link may leave out the quadrature noise, which such a receiver discards. */
bool sim_receiver_inphase_only(const sim_receiver *rx);

/* Per-thread scratch for frames of up to max_symbols symbols. NULL when out of memory. */
sim_rx_worker *sim_rx_worker_create(const sim_receiver *rx, size_t max_symbols);

/* Frees w; NULL is a no-op. */
void sim_rx_worker_destroy(sim_rx_worker *w);

/* Bit decisions for frame f (f->nsym <= max_symbols) into bits[f->nsym * k]. When llr is not
 * NULL and the receiver is soft, its LLRs are copied there too (convention of modem.h).
 * Allocates nothing. */
void sim_rx_decide(sim_rx_worker *w, const sim_frame *f, uint8_t *bits, float *llr);

#endif
