/* libFuzzer harness: a model file as bersim sim reads it, behind nn_model_load: the metadata
 * that tie a model to its link (role, modulation, channel, features, ofdm layout, feature_scale,
 * a decoder's code, design_snr and decoder_rx, an end-to-end pair's e2e_mode, e2e_n_k and its
 * codebook as text) and the shapes the link needs. The CRC-32 at the end of the input is fixed
 * first (as in fuzz_nn_model_crc), and the file is then loaded as an end-to-end pair
 * (sim_e2e_load) and as the model of each link below (sim_chain_create, which loads and checks
 * it and builds the chain; nothing is simulated). make_corpus.sh trains a seed for each. */
#include <nn_internal.h>

#include <gsl/gsl_errno.h>

#include <nn.h>

#include "chain.h"
#include "e2e.h"
#include "fuzz_util.h"
#include "link.h"
#include "sim_error.h"

#define MODEL "@MODEL@"

static const char *const links[][16] = {
    {"--mod", "qpsk", "--channel", "awgn", "--rx", "nn", "--model", MODEL},
    {"--mod", "16qam", "--channel", "rayleigh", "--coherence", "4", "--csi", "pilot", "--rx",
     "nn", "--model", MODEL},
    {"--mod", "bpsk", "--channel", "awgn", "--code", "hamming74", "--decoder", "nn", "--model",
     MODEL},
    {"--mod", "bpsk", "--channel", "awgn", "--code", "polar16_8", "--decoder", "nn", "--model",
     MODEL},
    {"--ofdm", "8", "--pilots", "2", "--mod", "qpsk", "--rx", "nn", "--model", MODEL},
    {"--mod", "8psk", "--channel", "rician", "--k-factor", "2", "--rx", "nn", "--model", MODEL},
    {"--e2e-model", MODEL},
    {"--e2e-model", MODEL, "--channel", "rayleigh"},
};
enum { NLINKS = sizeof links / sizeof links[0] };
static sim_link made[NLINKS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    gsl_set_error_handler_off();
    nn_blas_set_threads(1);
    const char *path = fuzz_tmp_path();
    for (int l = 0; l < NLINKS; l++) {
        char *words[17] = {"sim"};
        int n = 1;
        for (; n < 17 && links[l][n - 1]; n++)
            words[n] = strcmp(links[l][n - 1], MODEL) == 0 ? (char *)path : (char *)links[l][n - 1];
        sim_link_parser p;
        sim_link_parser_init(&p, SIM_LINK_OPT_CSI | SIM_LINK_OPT_RX | SIM_LINK_OPT_CODE |
                                     SIM_LINK_OPT_DECODER | SIM_LINK_OPT_E2E | SIM_LINK_OPT_OFDM);
        for (int i = 1; i < n; i++)
            if (sim_link_parse(&p, n, words, &i) != 0) abort();
        if (sim_link_parser_finish(&p, &made[l]) != 0) abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4) return 0;
    uint8_t *copy = malloc(size);
    if (!copy) return 0;
    memcpy(copy, data, size);
    uint32_t crc = nn_crc32(0, copy, size - 4);
    for (int i = 0; i < 4; i++) copy[size - 4 + i] = (uint8_t)(crc >> 8 * i);
    fuzz_write(fuzz_tmp_path(), copy, size);
    free(copy);
    /* BERSIM_FUZZ_VERBOSE=1: what each load said (to read a reproducer or check the seeds) */
    static int verbose = -1;
    if (verbose < 0) verbose = getenv("BERSIM_FUZZ_VERBOSE") != NULL;
    sim_e2e *e = sim_e2e_load(fuzz_tmp_path());
    if (verbose) fprintf(stderr, "e2e: %s\n", e ? "loaded" : sim_last_error());
    sim_e2e_destroy(e);
    for (int l = 0; l < NLINKS; l++) {
        sim_chain *c = sim_chain_create(&made[l], 0);
        if (verbose) fprintf(stderr, "link %d: %s\n", l, c ? "loaded" : sim_last_error());
        sim_chain_destroy(c);
    }
    return 0;
}
