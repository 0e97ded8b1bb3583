/* Stages of a link and the frame they pass along.
 *
 * A link runs as a chain of stages over a frame (chain.h): source -> (encoder) -> mapper ->
 * pilot insertion -> channel -> (estimator) -> detector/demapper -> (decoder) -> error counter.
 * Each stage is made once per link (create; read-only afterwards, shared by all threads), and
 * each thread makes its own workspace of it for frames of up to a fixed number of symbols before
 * the hot loop (worker_create), like liquid-dsp's objects or FFTW's plans. Running a stage
 * allocates nothing: it reads and writes the frame's caller-owned buffers and its workspace.
 * A learned stage replaces a classical one behind the same interface. */
#ifndef SIM_STAGE_H
#define SIM_STAGE_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"

/* Counts of one SNR point, or of one chunk of it. */
typedef struct {
    double ebn0_db;
    double esn0_db;
    uint64_t bits, bit_errors;
    uint64_t symbols, symbol_errors; /* modulation symbols, decided before any decoder */
    uint64_t blocks, block_errors;   /* codewords, and those with an information bit wrong or a
                                        decoding failure (coded links only) */
    uint64_t chunks;       /* chunks summed; each is an independent fading realisation */
    double chunk_error_sq; /* sum over chunks of (bit errors of the chunk)^2 */
    double chunk_block_sq; /* sum over chunks of (block errors of the chunk)^2 */
    /* Independent units inside the chunks: the smallest spans whose errors are independent of
     * every other span's (a symbol over a memoryless channel, a fading block, a frame with its
     * pilots, the codewords these hold; sim_chain_unit_period). 0 when there are none (Doppler
     * fading correlates everything within a chunk): the chunks are then the units. */
    uint64_t units;
    double unit_error_sq; /* sum over units of (bit errors of the unit)^2 */
    double unit_block_sq; /* sum over units of (block errors of the unit)^2 */
} sim_counts;

/* One frame on its way through the stages. The buffers belong to the chain's per-thread worker
 * and are sized for its largest frame; each stage fills what it produces. */
typedef struct {
    size_t nsym;   /* symbols on air, pilots included */
    size_t ndata;  /* data symbols among them */
    unsigned k;    /* bits per data symbol */
    size_t nwords; /* codewords (0 uncoded) of code_n bits carrying code_k information bits */
    unsigned code_n, code_k;
    size_t ninfo;     /* information bits: nwords code_k, or ndata k uncoded */
    bool words_are_symbols; /* an end-to-end pair: its messages are the counted symbols */
    uint8_t *bits;    /* [ninfo] the information bits sent (source) */
    uint8_t *coded;   /* [ndata k] the bits mapped (encoder; bits itself uncoded) */
    float complex *x; /* [ndata] the data symbols (mapper) */
    float complex *s; /* [nsym] the symbols on air (pilot insertion; x itself without pilots) */
    float complex *h; /* [nsym] the channel's gains (channel; NULL over AWGN) */
    float complex *y; /* [nsym] the received samples (channel) */
    const float *n0;  /* [nsym] the noise variance of each symbol (the point's) */
    /* What the detector sees of each data symbol: y, h and n0 themselves with perfect CSI, an
     * estimator's output with pilots (the estimator points these at its workspace). */
    const float complex *y_data, *h_data; /* h_data NULL: h = 1 */
    const float *n0_data;
    float *llr;        /* [ndata k] soft detectors' LLRs (convention of modem.h) */
    bool llr_read;     /* a later stage (a decoder) or the caller reads llr; when false a
                          detector that has decisions without them may leave llr unwritten */
    uint8_t *decided;  /* [ndata k] the mapped bits as decided (detector) */
    uint8_t *decoded;  /* [ninfo] the information bits decided (decoder; decided uncoded) */
    uint8_t *failed;   /* [nwords] decoding failures (hard decoder) */
    sim_counts *counts; /* the error counter adds here */
} sim_frame;

typedef struct sim_stage sim_stage;

/* What a stage declares of itself, so that no other part has to know which stage it is. */
enum {
    /* A detector whose decisions depend on y only through Re(conj(h) y) for every symbol (the
     * classical coherent BPSK detectors): the channel may leave out the quadrature noise. */
    SIM_STAGE_INPHASE_ONLY = 1,
    /* A detector that decides per data symbol from (y_data, h_data, n0_data): with pilots it
     * needs an estimator before it. Learned pilot detectors look at the frame's pilots
     * themselves and do not set it. */
    SIM_STAGE_COHERENT = 2,
};

/* A stage kind: a small table of operations. NULL worker_create: no workspace; NULL reset:
 * nothing to forget between chunks. */
typedef struct {
    const char *name;
    /* The per-thread workspace for frames of up to max_symbols symbols; NULL when out of
     * memory. */
    void *(*worker_create)(const sim_stage *st, size_t max_symbols);
    void (*worker_destroy)(void *w);
    /* A chunk begins: a new fading realisation, drawn from r where the stage draws. */
    void (*reset)(const sim_stage *st, void *w, ch_rng *r);
    /* Processes one frame, drawing from r where the stage draws. Allocates nothing. */
    void (*run)(const sim_stage *st, void *w, ch_rng *r, sim_frame *f);
    /* Frees what create made for the stage (state included); the struct itself is freed by
     * sim_stage_destroy. */
    void (*destroy)(sim_stage *st);
} sim_stage_ops;

struct sim_stage {
    const sim_stage_ops *ops;
    unsigned flags; /* SIM_STAGE_* */
    void *state;    /* the stage's own read-only data */
};

/* A stage of kind ops with state (owned by the stage from here on, released by ops->destroy).
 * NULL when out of memory (ops->destroy is then called on the state). */
sim_stage *sim_stage_create(const sim_stage_ops *ops, unsigned flags, void *state);

/* Frees st; NULL is a no-op. */
void sim_stage_destroy(sim_stage *st);

/* ---- the classical stages (stages.c) ------------------------------------------------------ */

/* Source: ndata k random bits. */
sim_stage *sim_stage_source(void);

/* Encoder: information bits to codewords of code (borrowed). */
sim_stage *sim_stage_encoder(const ch_code *code);

/* Mapper: the (coded) bits to data symbols with modem (borrowed). */
sim_stage *sim_stage_mapper(const ch_modem *modem);

/* Pilot insertion: data symbols and pilots into frames of the pattern (borrowed). */
sim_stage *sim_stage_pilots(const ch_pilots *pilots);

/* The channel: y = h s + w with h from the fading (config copied, checked by sim_link_check;
 * none for AWGN) and w ~ CN(0, n0); with inphase_only, w real N(0, n0/2) (for detectors that
 * set SIM_STAGE_INPHASE_ONLY, over AWGN). real_symbols: every s is real (BPSK, real pilots), so
 * h s takes one product a part (ch_awgn_add_faded_real). NULL when out of memory. */
sim_stage *sim_stage_channel(const ch_fading_config *fading, int inphase_only, int real_symbols);

/* Least squares from pilots: each data symbol gets the gain y_p / CH_PILOT of its frame's pilot
 * (a single-carrier pattern with one pilot a frame, borrowed; NULL for any other). */
sim_stage *sim_stage_ls(const ch_pilots *pilots);

/* Error counter: information bit errors, modulation symbol errors (decided before decoding) and,
 * on coded links, block errors; and the squares of the errors of each independent unit of
 * `period` items (data symbols uncoded, codewords coded; units and frames both start at a
 * chunk's start), or none for period 0. NULL when out of memory. */
sim_stage *sim_stage_counter(size_t period);

/* The fused BPSK/AWGN loop: source, mapper, in-phase noise, sign decision and count in one loop
 * over the same random numbers the staged chain draws, so the same counts at the speed of a
 * bare loop. modem: BPSK with points +-x0, x0 > 0 (borrowed). */
sim_stage *sim_stage_fused_bpsk(const ch_modem *modem);

#endif
