/* libFuzzer harness: ch_modem_load (a constellation file, README: File formats) on arbitrary
 * bytes. A constellation that loads must be what the header promises (M a power of two up to
 * CH_MODEM_MAX_ORDER, finite points of unit average energy), and is run once through the mapper
 * and the three demappers. */
#include <complex.h>
#include <math.h>

#include <channel.h>

#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_tmp_path();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_tmp_path();
    fuzz_write(path, data, size);
    ch_modem *m = ch_modem_load(path);
    if (!m) return 0;
    unsigned order = ch_modem_order(m), k = ch_modem_bits_per_symbol(m);
    if (order < 2 || order > CH_MODEM_MAX_ORDER || (order & (order - 1)) || 1u << k != order)
        abort();
    const float complex *points = ch_modem_points(m);
    double energy = 0;
    for (unsigned i = 0; i < order; i++) {
        if (!isfinite(crealf(points[i])) || !isfinite(cimagf(points[i]))) abort();
        energy += crealf(points[i]) * crealf(points[i]) + cimagf(points[i]) * cimagf(points[i]);
    }
    if (fabs(energy / order - 1) > 1e-3) abort();
    /* every label once, then the demappers on what the mapper sent */
    uint8_t *bits = malloc((size_t)order * k), *back = malloc((size_t)order * k);
    float complex *x = malloc(order * sizeof *x);
    float *llr = malloc((size_t)order * k * sizeof *llr), *n0 = malloc(order * sizeof *n0);
    if (bits && back && x && llr && n0) {
        for (unsigned s = 0; s < order; s++) {
            n0[s] = 0.1f;
            for (unsigned b = 0; b < k; b++) bits[s * k + b] = (uint8_t)(s >> (k - 1 - b) & 1);
        }
        ch_modem_map(m, order, bits, x);
        ch_modem_demap_hard(m, order, x, NULL, back);
        if (memcmp(bits, back, (size_t)order * k) != 0) abort(); /* noiseless: exact */
        ch_modem_demap_maxlog(m, order, x, NULL, n0, llr);
        ch_modem_demap_exact(m, order, x, NULL, n0, llr);
    }
    free(bits), free(back), free(x), free(llr), free(n0);
    ch_modem_destroy(m);
    return 0;
}
