/* Training pairs: bits -> mapper -> flat fading -> AWGN at an SNR drawn uniformly in dB.
 *
 * Draw order from r, fixed so that a seed fixes every pair: all bits, then the SNR(s), then per
 * chunk of CHUNK symbols the gains and the noise. The chunking is the same whether or not the
 * caller asks for h, so asking for h changes no other output. */
#include "pairs.h"

#include <math.h>
#include <stdbool.h>

#include "ch_error.h"

/* Symbols per chunk of gains and noise: one whole block of the generator's Gaussians (none
 * wasted); the stack scratch is 2 x 4 KiB. */
#define CHUNK (CH_RNG_BLOCK / 2)

static int check_link(const ch_link *link)
{
    const char *fn = "ch_pairs_fill";
    if (!link) return ch_error(CH_EINVAL, "%s: link is NULL", fn);
    if (!link->modem) return ch_error(CH_EINVAL, "%s: link modem is NULL", fn);
    if (!isfinite(link->ebn0_lo_db))
        return ch_error(CH_EINVAL, "%s: ebn0_lo_db=%g is not finite", fn, link->ebn0_lo_db);
    if (!isfinite(link->ebn0_hi_db))
        return ch_error(CH_EINVAL, "%s: ebn0_hi_db=%g is not finite", fn, link->ebn0_hi_db);
    if (link->ebn0_lo_db > link->ebn0_hi_db)
        return ch_error(CH_EINVAL, "%s: ebn0_lo_db=%g > ebn0_hi_db=%g", fn, link->ebn0_lo_db,
                        link->ebn0_hi_db);
    if (!(link->code_rate > 0.0 && link->code_rate <= 1.0))
        return ch_error(CH_EINVAL, "%s: code_rate=%g outside (0, 1]", fn, link->code_rate);
    /* n0 travels as float: an SNR beyond its range would give n0 = 0 or inf, and LLRs NaN. */
    unsigned k = ch_modem_bits_per_symbol(link->modem);
    float n0_lo = (float)ch_n0_from_ebn0(link->ebn0_lo_db, k, link->code_rate);
    float n0_hi = (float)ch_n0_from_ebn0(link->ebn0_hi_db, k, link->code_rate);
    if (!isnormal(n0_lo))
        return ch_error(CH_EINVAL, "%s: ebn0_lo_db=%g gives n0=%g, outside float range", fn,
                        link->ebn0_lo_db, n0_lo);
    if (!isnormal(n0_hi))
        return ch_error(CH_EINVAL, "%s: ebn0_hi_db=%g gives n0=%g, outside float range", fn,
                        link->ebn0_hi_db, n0_hi);
    return CH_OK;
}

/* n0[n] at Eb/N0 uniform in dB: n0 = n0(lo) 10^(-(hi - lo) u / 10), u uniform in (0, 1). */
static void draw_n0(const ch_link *link, ch_rng *r, int per_symbol_snr, size_t n, float *n0)
{
    unsigned k = ch_modem_bits_per_symbol(link->modem);
    double n0_lo = ch_n0_from_ebn0(link->ebn0_lo_db, k, link->code_rate);
    double span_db = link->ebn0_hi_db - link->ebn0_lo_db;
    if (!per_symbol_snr) {
        float v = (float)ch_n0_from_ebn0(link->ebn0_lo_db + span_db * ch_rng_double(r), k,
                                         link->code_rate);
        for (size_t i = 0; i < n; i++)
            n0[i] = v;
        return;
    }
    /* Per symbol in float: expf keeps this a few ns a symbol, and 24-bit u is plenty here. */
    float c = (float)(-span_db * log(10.0) / 10.0);
    for (size_t i = 0; i < n; i += CHUNK) {
        float u[CHUNK];
        size_t m = n - i < CHUNK ? n - i : CHUNK;
        ch_rng_uniform(r, m, u);
        for (size_t j = 0; j < m; j++)
            n0[i + j] = (float)n0_lo * expf(c * u[j]);
    }
}

/* y = h y + w over n symbols in chunks, with w ~ CN(0, n0[i / spacing]) (one noise level per
 * block of spacing symbols) and h from the link's fading (1 without one; stored when h is not
 * NULL). Whole chunks of gains and noise at a time, whatever the block length. */
static void fade_and_add_noise(const ch_link *link, ch_rng *r, size_t n, unsigned spacing,
                               const float *n0, float complex *y, float complex *h)
{
    for (size_t i = 0; i < n; i += CHUNK) {
        float complex scratch[CHUNK], w[CHUNK];
        size_t m = n - i < CHUNK ? n - i : CHUNK;
        float complex *hc = h ? h + i : scratch;
        if (link->fading) {
            ch_fading_gains(link->fading, r, m, hc);
            ch_fading_apply(m, hc, y + i, y + i);
        } else if (h) {
            for (size_t j = 0; j < m; j++) hc[j] = 1.0f;
        }
        ch_rng_cgauss(r, m, 1.0f, w);
        for (size_t j = 0; j < m; j++) y[i + j] += sqrtf(n0[(i + j) / spacing]) * w[j];
    }
}

int ch_pairs_fill(const ch_link *link, ch_rng *r, int per_symbol_snr, size_t n, uint8_t *bits,
                  float complex *y, float complex *h, float *n0)
{
    int status = check_link(link);
    if (status != CH_OK) return status;
    const char *missing = !r ? "r" : n == 0 ? NULL : !bits ? "bits" : !y ? "y" : !n0 ? "n0" : NULL;
    if (missing) return ch_error(CH_EINVAL, "ch_pairs_fill: %s is NULL", missing);
    unsigned k = ch_modem_bits_per_symbol(link->modem);
    ch_rng_bits(r, n * k, bits);
    ch_modem_map(link->modem, n, bits, y);
    draw_n0(link, r, per_symbol_snr, n, n0);
    fade_and_add_noise(link, r, n, 1, n0, y, h);
    return CH_OK;
}

static int check_pilot_link(const ch_link *link, const ch_pilots *pilots)
{
    if (!pilots || ch_pilots_n_freq(pilots) != 1)
        return ch_error(CH_EINVAL, "ch_pairs_fill_pilot: %s", pilots ? "a multicarrier pattern"
                                                                     : "pilots is NULL");
    if (!link->fading) return CH_OK;
    const ch_fading_config *f = ch_fading_get_config(link->fading);
    size_t frame = ch_pilots_frame(pilots);
    if (f->doppler > 0 ? f->coherence != 1 : f->coherence != frame)
        return ch_error(CH_EINVAL,
                        "ch_pairs_fill_pilot: fading coherence %u is not the pilot frame %zu",
                        f->coherence, frame);
    return CH_OK;
}

int ch_pairs_fill_pilot(const ch_link *link, ch_rng *r, const ch_pilots *pilots, size_t nblocks,
                        uint8_t *bits, float complex *y, float complex *h, float *n0)
{
    int status = check_link(link);
    if (status == CH_OK) status = check_pilot_link(link, pilots);
    if (status != CH_OK) return status;
    const char *missing = !r ? "r" : nblocks == 0 ? NULL : !bits ? "bits" : !y ? "y" : !n0 ? "n0"
                                                                                         : NULL;
    if (missing) return ch_error(CH_EINVAL, "ch_pairs_fill_pilot: %s is NULL", missing);
    unsigned k = ch_modem_bits_per_symbol(link->modem);
    size_t frame = ch_pilots_frame(pilots), ndata = nblocks * ch_pilots_n_data(pilots);
    ch_rng_bits(r, ndata * k, bits);
    /* The data symbols go to the end of y first, then move into place around their pilots
     * (front to back: no data symbol is overwritten before it has moved). */
    float complex *x = y + nblocks * frame - ndata;
    ch_modem_map(link->modem, ndata, bits, x);
    ch_pilots_insert(pilots, nblocks, x, y);
    /* Doppler-correlated frames belong together (a receiver may look at neighbouring pilots):
     * one SNR for the call; independent frames get one each. */
    bool correlated = link->fading && ch_fading_get_config(link->fading)->doppler > 0;
    draw_n0(link, r, !correlated, nblocks, n0);
    fade_and_add_noise(link, r, nblocks * frame, (unsigned)frame, n0, y, h);
    return CH_OK;
}
