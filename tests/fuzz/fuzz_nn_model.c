/* libFuzzer harness: nn_model_load on arbitrary bytes. Built twice: fuzz_nn_model takes the
 * bytes as they are (the CRC-32 at the end must then match by chance, so the fuzzer mostly
 * explores the header checks made before it), fuzz_nn_model_crc (FUZZ_FIX_CRC) first writes the
 * right CRC-32 over its last 4 bytes, so that mutated parameters and shapes reach the network's
 * construction and the parameter reader behind the checksum. A model that loads is run once on
 * a batch of ones, which catches a network the loader accepted but cannot be run. */
#include <nn.h>
#include <nn_internal.h>

#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    nn_blas_set_threads(1);
    fuzz_tmp_path();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_tmp_path();
#ifdef FUZZ_FIX_CRC
    if (size < 4) return 0;
    uint8_t *copy = malloc(size);
    if (!copy) return 0;
    memcpy(copy, data, size);
    uint32_t crc = nn_crc32(0, copy, size - 4);
    for (int i = 0; i < 4; i++) copy[size - 4 + i] = (uint8_t)(crc >> 8 * i);
    fuzz_write(path, copy, size);
    free(copy);
#else
    fuzz_write(path, data, size);
#endif
    nn_meta *meta = NULL;
    nn_net *net = nn_model_load(path, 2, &meta);
    if (!net) {
        if (meta) abort(); /* a failed load hands back no metadata */
        return 0;
    }
    for (size_t i = 0; i < nn_meta_count(meta); i++)
        if (!nn_meta_key(meta, i) || !nn_meta_value(meta, i)) abort();
    size_t n_in = nn_net_n_in(net), n_out = nn_net_n_out(net);
    nn_workspace *ws = nn_workspace_create(net, 2);
    float *x = malloc(2 * n_in * sizeof *x), *y = malloc(2 * n_out * sizeof *y);
    if (ws && x && y) {
        for (size_t i = 0; i < 2 * n_in; i++) x[i] = 1.0f;
        nn_net_infer(net, ws, 2, x, y);
    }
    free(x);
    free(y);
    nn_workspace_destroy(ws);
    nn_net_destroy(net);
    nn_meta_destroy(meta);
    return 0;
}
