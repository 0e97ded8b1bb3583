/* Decoder stages: the classical decoders of channel/code.h, and a learned decoder from the
 * channel LLRs of a codeword to its information bits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "receiver.h"
#include "rx_features.h"
#include "sim_error.h"

typedef struct {
    const ch_code *code;
    sim_code spec;
    bool soft;     /* the detector gives LLRs */
    char name[160];
    nn_net *net;   /* SIM_DEC_NN */
    nn_meta *meta;
    float feature_scale;
} decoder;

/* Per thread: the classical decoder's workspace, or the learned one's; LLRs of +-1 for hard
 * detectors. */
typedef struct {
    ch_decoder *dec;
    nn_workspace *ws;
    float *features;
    float *hard_llr;
} decoder_worker;

static void decoder_destroy(sim_stage *st)
{
    decoder *d = st->state;
    if (!d) return;
    nn_net_destroy(d->net);
    nn_meta_destroy(d->meta);
    free(d);
}

static void worker_destroy(void *p)
{
    decoder_worker *w = p;
    if (!w) return;
    ch_decoder_destroy(w->dec);
    nn_workspace_destroy(w->ws);
    free(w->features);
    free(w->hard_llr);
    free(w);
}

/* max_symbols bounds the frame's mapped bits, and so its codewords. */
static void *worker_create(const sim_stage *st, size_t max_symbols)
{
    const decoder *d = st->state;
    /* at most 12 bits a symbol (4096 points) */
    size_t n = ch_code_n(d->code), bits = max_symbols * 12, words = bits / n + 1;
    decoder_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    bool ok = true;
    if (!d->soft) ok = (w->hard_llr = malloc(bits * sizeof *w->hard_llr)) != NULL;
    if (d->net) {
        w->features = malloc(words * n * sizeof *w->features);
        w->ws = nn_workspace_create(d->net, words < 256 ? words : 256);
        ok = ok && w->features && w->ws;
    } else {
        w->dec = ch_decoder_create(d->code, (ch_decoder_kind)d->spec.decoder, d->spec.list_size,
                                   words);
        ok = ok && w->dec;
    }
    if (!ok) {
        worker_destroy(w);
        return NULL;
    }
    return w;
}

/* The LLRs the decoder reads: the detector's, or +-1 from its hard decisions. */
static const float *input_llr(const decoder *d, decoder_worker *w, const sim_frame *f)
{
    if (d->soft) return f->llr;
    size_t nbits = f->nwords * f->code_n;
    for (size_t i = 0; i < nbits; i++) w->hard_llr[i] = f->decided[i] ? -1.0f : 1.0f;
    return w->hard_llr;
}

static void classical_run(const sim_stage *st, void *p, ch_rng *r, sim_frame *f)
{
    (void)r;
    const decoder *d = st->state;
    decoder_worker *w = p;
    ch_decoder_run(w->dec, f->nwords, input_llr(d, w, f), f->decoded, f->failed, NULL);
}

static const sim_stage_ops classical_ops = {"decoder", worker_create, worker_destroy, NULL,
                                            classical_run, decoder_destroy};

/* The learned decoder: the n LLRs of each codeword times the feature scale, k logits out,
 * llr = -logit per information bit. */
static void nn_run(const sim_stage *st, void *p, ch_rng *r, sim_frame *f)
{
    (void)r;
    const decoder *d = st->state;
    decoder_worker *w = p;
    size_t nbits = f->nwords * f->code_n, ninfo = f->nwords * f->code_k;
    const float *llr = input_llr(d, w, f);
    sim_feat_llr_scaled(nbits, llr, d->feature_scale, w->features);
    /* the logits overwrite the detector's LLRs, which are no longer needed */
    nn_net_infer(d->net, w->ws, f->nwords, w->features, f->llr);
    for (size_t i = 0; i < ninfo; i++) f->decoded[i] = f->llr[i] > 0;
    memset(f->failed, 0, f->nwords);
}

static const sim_stage_ops nn_ops = {"learned decoder", worker_create, worker_destroy, NULL,
                                     nn_run, decoder_destroy};

sim_stage *sim_decoder_create(const sim_link *link, const ch_code *code, bool soft)
{
    decoder *d = calloc(1, sizeof *d);
    if (!d) return sim_error(SIM_ENOMEM, "out of memory"), NULL;
    *d = (decoder){.code = code, .spec = link->code, .soft = soft};
    sim_stage tmp = {NULL, 0, d};
    if (link->code.decoder == SIM_DEC_NN) {
        const char *base = strrchr(link->model, '/');
        snprintf(d->name, sizeof d->name, "nn (%s)", base ? base + 1 : link->model);
        if (sim_model_load(link, ch_code_n(code), ch_code_k(code), &d->net, &d->meta,
                           &d->feature_scale) != SIM_OK) {
            decoder_destroy(&tmp);
            return NULL;
        }
    } else {
        sim_dec_name(&link->code, d->name, sizeof d->name);
    }
    sim_stage *st = sim_stage_create(d->net ? &nn_ops : &classical_ops, 0, d);
    if (!st) sim_error(SIM_ENOMEM, "out of memory");
    return st;
}

const char *sim_decoder_name(const sim_stage *dec)
{
    return ((const decoder *)dec->state)->name;
}

const char *sim_decoder_model_meta(const sim_stage *dec, const char *key)
{
    const decoder *d = dec->state;
    return d->meta ? nn_meta_get(d->meta, key) : NULL;
}
