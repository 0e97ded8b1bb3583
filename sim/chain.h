/* The chain of stages of one link (stage.h), built from its description (link.h):
 *
 *   source -> [encoder] -> mapper -> [pilot insertion] -> channel -> [least squares]
 *          -> detector -> [decoder] -> counter
 *
 * with pilot insertion and the estimator where the link has pilots and a coherent detector, and
 * encoder and decoder where it has a code (bit-interleaved coded modulation without an
 * interleaver: a codeword's bits ride the symbols in order, the detector's LLRs feed the
 * decoder). Where every stage of a BPSK link
 * over AWGN is classical, the chain runs them as one fused loop instead (sim_stage_fused_bpsk),
 * proven to give the same counts.
 *
 * A chain is made once per link and is read-only afterwards; each thread makes a worker of it
 * (its random stream, the frame buffers and the stages' workspaces) before the hot loop, and
 * running a chunk allocates nothing. */
#ifndef SIM_CHAIN_H
#define SIM_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link.h"
#include "stage.h"

/* Symbols per chunk (rounded up to whole coherence blocks and pilot frames). */
#define SIM_CHAIN_CHUNK_SYMBOLS 16384

typedef struct sim_chain sim_chain;
typedef struct sim_chain_worker sim_chain_worker;

/* Options of sim_chain_create. */
enum {
    SIM_CHAIN_STAGED = 1,       /* never the fused loop (for tests that compare the two) */
    SIM_CHAIN_TO_DETECTOR = 2,  /* the stages up to the detector only, for training draws: no
                                   decoder (the link's decoder is not made) and no counter */
};

/* The chain of link (checked with sim_link_check; its strings are borrowed). NULL with a message
 * (sim_last_error) for a bad link, a constellation or model file that cannot be loaded or does
 * not fit the link, or when out of memory. */
sim_chain *sim_chain_create(const sim_link *link, unsigned options);

/* Frees c; NULL is a no-op. */
void sim_chain_destroy(sim_chain *c);

/* The link, its modem (NULL for an end-to-end pair, which maps bits itself) and its detector's
 * name for reports ("maxlog, LS pilots"). */
const sim_link *sim_chain_link(const sim_chain *c);
const ch_modem *sim_chain_modem(const sim_chain *c);
const char *sim_chain_receiver_name(const sim_chain *c);

/* The modulation's name for reports ("16qam", "custom(f.txt)", "e2e (7,4)"). */
const char *sim_chain_modulation_name(const sim_chain *c);

/* Bits a symbol on air carries before the code (2 for an end-to-end pair, whose frames the chain
 * sizes as if a complex symbol held two bits), and the information bits a symbol on air carries
 * on average: bits times code rate times the pilots' share (K / ceil(N/2) for a pair). With
 * Es = 1, n0 = 1 / (information bits a symbol Eb/N0). */
unsigned sim_chain_bits_per_symbol(const sim_chain *c);
double sim_chain_info_per_symbol(const sim_chain *c);

/* The code (NULL uncoded) and the decoder's name ("ml", "nn (dec.model)"; NULL uncoded). */
const ch_code *sim_chain_code(const sim_chain *c);
const char *sim_chain_decoder_name(const sim_chain *c);

/* The value of key in the learned stage's model metadata, or NULL. */
const char *sim_chain_model_meta(const sim_chain *c, const char *key);

/* Symbols per chunk: SIM_CHAIN_CHUNK_SYMBOLS rounded up to whole coherence blocks and frames. */
size_t sim_chain_chunk_symbols(const sim_chain *c);

/* The stages as run: how many, and the name of each ("source", ..., or "fused BPSK/AWGN"). */
size_t sim_chain_n_stages(const sim_chain *c);
const char *sim_chain_stage_name(const sim_chain *c, size_t i);

/* A thread's worker. NULL when out of memory. */
sim_chain_worker *sim_chain_worker_create(const sim_chain *c);

/* Frees w; NULL is a no-op. */
void sim_chain_worker_destroy(sim_chain_worker *w);

/* Runs one chunk: every random number from the stream (seed, stream), a new fading realisation,
 * chunk_symbols symbols on air at noise variance n0 per symbol; *out receives its counts (one
 * chunk). A pure function of (chain, seed, stream, n0). */
void sim_chain_run_chunk(sim_chain_worker *w, uint64_t seed, uint64_t stream, float n0,
                         sim_counts *out);

/* The receiver's stages alone (estimator and detector) on observations given by the caller:
 * nsym symbols on air (whole pilot frames with pilots, at most one frame of the worker:
 * sim_chain_max_frame), received y, gains h (perfect CSI; NULL over AWGN or with pilots), noise
 * variances n0; the decided data bits go to bits and, when llr is not NULL and the detector is
 * soft, its LLRs to llr. For tests and figures that hold receivers side by side. A learned
 * pilot detector looking at two pilots remembers the last pilot of the previous call (as
 * within a chunk); sim_chain_worker_seed makes it forget. */
void sim_chain_detect(sim_chain_worker *w, size_t nsym, const float complex *y,
                      const float complex *h, const float *n0, uint8_t *bits, float *llr);

/* The largest nsym of sim_chain_detect and sim_chain_sample. */
size_t sim_chain_max_frame(const sim_chain *c);

/* Symbols of the least whole number of pilot frames holding whole codewords: every frame is a
 * multiple of it. */
size_t sim_chain_unit_symbols(const sim_chain *c);

/* The independent unit of the chain's error counts in words (sim_counts.units), for tables. */
const char *sim_chain_unit_text(const sim_chain *c);

/* Training draws: positions the worker at the start of stream (seed, stream) with a new fading
 * realisation. */
void sim_chain_worker_seed(sim_chain_worker *w, uint64_t seed, uint64_t stream);

/* Training draws: runs the stages up to the detector on one frame of nsym symbols (a multiple
 * of sim_chain_unit_symbols, at most sim_chain_max_frame) at noise variance n0, continuing the
 * worker's stream, and gives the frame: its information bits, mapped bits, and the detector's
 * decisions and LLRs (borrowed from the worker until its next call). */
const sim_frame *sim_chain_sample(sim_chain_worker *w, size_t nsym, float n0);

#endif
