/* One link, one description: modulation, code, pilot pattern, channel and receiver. The command
 * line parses it (sim_link_parser), the chain of stages is built from it (chain.h), training
 * draws its pairs from it, and the metadata of tables and models are written from it and
 * checked against it. A plain struct: fill it with designated initialisers. */
#ifndef SIM_LINK_H
#define SIM_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include "channel.h"
#include "nn.h"

#include "rx_features.h"
#include "table.h"

/* The receiver: classical coherent demappers or a learned one. */
typedef enum {
    SIM_RX_HARD,   /* nearest point */
    SIM_RX_MAXLOG, /* max-log LLRs */
    SIM_RX_EXACT,  /* exact log-MAP LLRs */
    SIM_RX_NN,     /* a learned detector (model file) */
} sim_rx_kind;

/* The decoder of a coded link: the classical ones of channel/code.h, or a learned one. */
typedef enum {
    SIM_DEC_HARD = CH_DEC_HARD,
    SIM_DEC_ML = CH_DEC_ML,
    SIM_DEC_MAP = CH_DEC_MAP,
    SIM_DEC_SC = CH_DEC_SC,
    SIM_DEC_SCL = CH_DEC_SCL,
    SIM_DEC_NN, /* a learned decoder (model file) */
} sim_dec_kind;

/* The channel code: encoder and decoder stages of the chain. name NULL: uncoded. */
typedef struct {
    const char *name;      /* a ch_code_create name ("hamming74", "polar:1024,512"), borrowed */
    double design_ebn0_db; /* polar:N,K: the frozen set's design Eb/N0 */
    sim_dec_kind decoder;
    unsigned list_size;    /* SIM_DEC_SCL: L */
} sim_code;

/* OFDM over multipath (channel/ofdm.h): frames of one pilot OFDM symbol, whose P equally spaced
 * subcarriers carry pilots and the rest data, then `symbols` data OFDM symbols. n = 0: a single
 * carrier. */
/* Clipping reconstruction passes of the learned OFDM receiver on a clipped link by default,
 * and at most (--declip). */
#define SIM_DECLIP_PASSES 2u
#define SIM_DECLIP_MAX_PASSES 8u

typedef struct {
    unsigned n;              /* subcarriers (power of two, 8..4096), or 0 */
    unsigned cp;             /* prefix samples, < n */
    unsigned pilots;         /* P, dividing n */
    unsigned symbols;        /* data OFDM symbols after the pilot symbol, >= 1 */
    ch_profile_kind profile; /* power-delay profile */
    double sample_rate;      /* Hz, for the 3GPP profiles */
    ch_est_kind est;         /* channel estimator */
    double doppler;          /* f_D T per OFDM symbol; 0: taps static over a frame */
    double clip;             /* clipping ratio to the RMS; 0: none */
    double cfo;              /* carrier frequency offset, subcarrier spacings */
    unsigned declip;         /* the learned receiver's clipping reconstruction passes
                                (rx_declip.h); 0 without --rx nn and --clip */
    bool count_overhead;     /* Eb/N0 counts the energy of pilots and prefix */
} sim_ofdm;

typedef struct {
    ch_mod_kind mod;           /* a built-in modulation, or CH_MOD_CUSTOM with constellation */
    const char *constellation; /* CH_MOD_CUSTOM: the constellation file (borrowed) */
    sim_code code;             /* the channel code, or none (code.name NULL) */
    unsigned pilot_spacing;    /* the pilot pattern: 0 for perfect CSI (the receiver is given h);
                                  N >= 2: a pilot leads every block of N symbols and no receiver
                                  is given h (ch_pilots_create_block) */
    ch_fading_config fading;   /* the channel: AWGN or flat fading; with pilots over block
                                  fading its coherence is N, over Doppler fading 1 */
    const char *e2e_model;     /* an end-to-end pair (e2e.h) instead of modulation, code and
                                  receiver (borrowed), or NULL */
    sim_rx_kind rx;            /* the receiver (detector or demapper) */
    const char *model;         /* the model file of the learned stage, SIM_RX_NN or SIM_DEC_NN
                                  (borrowed; one learned stage a link) */
    sim_ofdm ofdm;             /* OFDM over multipath (ofdm.n > 0) instead of the flat channel
                                  of `fading` (then Rayleigh, fast, unused) */
} sim_link;

/* The channel configuration of an OFDM link (its profile made). SIM_OK, or SIM_EINVAL with a
 * message. */
int sim_link_ofdm_config(const sim_link *link, ch_ofdm_config *cfg);

/* The pilot grid of an OFDM link: 1 + symbols OFDM symbols by n subcarriers, pilot i on
 * subcarrier i n / P of the first, carrying the chirp ch_ofdm_pilot_value(P, i). NULL with a
 * message (sim_last_error). */
ch_pilots *sim_link_ofdm_pilots(const sim_link *link);

/* Checks a link: the fading configuration, and pilots that fit it (a pilot spacing N needs
 * fading, of coherence N for block fading or 1 with Doppler), a model for exactly one of
 * SIM_RX_NN and SIM_DEC_NN, a built-in modulation for a learned detector, a known code.
 * SIM_OK, or SIM_EINVAL with a message (sim_last_error). */
int sim_link_check(const sim_link *link);

/* Parses "hard", "maxlog", "exact", "nn". 0, or -1 (nothing recorded). */
int sim_rx_parse(const char *name, sim_rx_kind *kind);
/* The command-line name of a receiver kind. */
const char *sim_rx_name(sim_rx_kind kind);

/* The rate left for information: code rate times the pilots' share (n_data / frame). Eb/N0
 * counts the energy of code and pilots against the information bits with it. */
double sim_link_rate(const sim_link *link);

/* n and k of the link's code from its name (1 and 1 uncoded); 0 and 0 for an unknown name. */
void sim_code_size(const sim_code *code, unsigned *n, unsigned *k);

/* The decoder's name ("ml", "scl:8", "nn"). */
const char *sim_dec_name(const sim_code *code, char *buf, size_t size);

/* True when errors are correlated from symbol to symbol (block or Doppler fading), so that the
 * counts are not binomial. */
bool sim_link_has_memory(const sim_link *link);

/* The input layout of a learned receiver for this link (rx_features.h). */
sim_feat_layout sim_link_feat_layout(const sim_link *link);

/* A one-line description of the channel ("rician K=3 fast"), into buf. */
void sim_link_channel_text(const ch_fading_config *f, char *buf, size_t size);

/* A one-line description of an OFDM link's channel ("multipath eva at 3e+06 Hz (...)"). */
void sim_link_ofdm_channel_text(const sim_link *link, char *buf, size_t size);

/* The impairments of an OFDM link that a learned receiver's layout does not fix, as a model
 * records them ("doppler=0 clip=1.5 cfo=0"), into buf. */
void sim_link_ofdm_impairments(const sim_link *link, char *buf, size_t size);

/* Writes the link's metadata lines into a table: modulation, channel, receiver (named
 * rx_name), pilots, code and decoder. */
void sim_link_write_meta(const sim_link *link, const char *modulation, const char *rx_name,
                         sim_table *t);

/* Records the link a learned receiver is trained for in its model metadata: modulation, channel
 * and its detail, input layout, pilot spacing. SIM_OK or SIM_ENOMEM. */
int sim_link_model_meta(const sim_link *link, nn_meta *meta);

/* Checks that a model's metadata (read from `path`) were written for this link: SIM_OK, or
 * SIM_EMODEL with a message naming what differs. */
int sim_link_check_model(const sim_link *link, const nn_meta *meta, const char *path);

/* ---- the command line ------------------------------------------------------------------- */

/* Which link options a command takes. */
enum {
    SIM_LINK_OPT_CONSTELLATION = 1, /* --constellation FILE */
    SIM_LINK_OPT_CSI = 2,           /* --csi perfect|pilot */
    SIM_LINK_OPT_RX = 4,            /* --rx R, --model FILE */
    SIM_LINK_OPT_CODE = 8,          /* --code C, --design-snr DB */
    SIM_LINK_OPT_DECODER = 16,      /* --decoder D (with --model FILE for nn) */
    SIM_LINK_OPT_E2E = 32,          /* --e2e-model FILE (then --mod is not needed, --channel
                                       comes from the model unless given) */
    SIM_LINK_OPT_OFDM = 64,         /* --ofdm N and its options */
    SIM_LINK_OPT_DECLIP = 128,      /* --declip K (the learned OFDM receiver's, in sim) */
    SIM_LINK_OPT_MODEL = 256,       /* --rx nn and --decoder nn with --model FILE (sim): the
                                       help names them only then */
};

/* A link being parsed from options, with what was given. */
typedef struct {
    sim_link link;
    unsigned accepts; /* SIM_LINK_OPT_* */
    bool mod_given, channel_given, k_given, coherence_given, doppler_given, pilots;
    unsigned pilot_spacing; /* --pilot-spacing N, or 0 */
    bool csi_perfect;       /* --csi perfect given */
    bool decoder_given, design_given, rx_given, cp_given, declip_given, est_given;
    const char *ofdm_option; /* the first OFDM option given (they need --ofdm) */
} sim_link_parser;

/* Starts a parser for a command that takes the options `accepts` (SIM_LINK_OPT_*) besides
 * --mod, --channel, --k-factor, --coherence and --doppler. Defaults: fast fading, perfect CSI,
 * max-log. */
void sim_link_parser_init(sim_link_parser *p, unsigned accepts);

/* Prints the help lines of the options the parser accepts. */
void sim_link_parser_help(const sim_link_parser *p);

/* If argv[*i] is a link option, takes it and its value (advancing *i) and returns 0, or -1 with
 * an error printed when the value is bad; returns 1 when argv[*i] is not a link option. */
int sim_link_parse(sim_link_parser *p, int argc, char **argv, int *i);

/* Checks that the options make a complete, consistent link and gives it in *link. 0, or -1 with
 * an error printed naming the options. */
int sim_link_parser_finish(sim_link_parser *p, sim_link *link);

#endif
