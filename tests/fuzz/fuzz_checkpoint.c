/* libFuzzer harness: nn_checkpoint_parse (the reader of train --checkpoint files) on arbitrary
 * bytes. Built twice: fuzz_checkpoint takes the bytes as they are (the CRC-32 at the end must
 * match by chance, so mostly the magic and checksum checks are explored), fuzz_checkpoint_crc
 * (FUZZ_FIX_CRC) first writes the right CRC-32 over the last 4 bytes, so that mutated fields
 * reach the parser behind the checksum. A checkpoint that parses is checked against the
 * invariants its format promises and restored into an optimizer of its size. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <nn.h>
#include <nn_internal.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
#ifdef FUZZ_FIX_CRC
    if (size >= 4) {
        uint32_t crc = nn_crc32(0, copy, size - 4);
        for (int i = 0; i < 4; i++) copy[size - 4 + i] = (uint8_t)(crc >> 8 * i);
    }
#endif
    nn_checkpoint *c = nn_checkpoint_parse(copy, size, "fuzz");
    free(copy);
    if (!c) {
        if (nn_last_status() == NN_OK) abort(); /* a refusal says why */
        return 0;
    }
    if (c->n_rows < 1 || c->rows[0].step != 0 || c->n_params < 1 || c->optim.n != c->n_params ||
        c->optim.t != c->step || c->loss_count != c->step - c->rows[c->n_rows - 1].step ||
        !isfinite(c->loss_sum))
        abort();
    for (size_t i = 1; i < c->n_rows; i++)
        if (c->rows[i].step <= c->rows[i - 1].step || !isfinite(c->rows[i].val_loss)) abort();
    for (size_t i = 0; i < c->n_params; i++)
        if (!(fabsf(c->params[i]) <= NN_MODEL_MAX_PARAM)) abort();
    if (c->n_params <= ((size_t)1 << 20)) {
        nn_optim_config oc = c->optim.kind == NN_OPT_ADAM ? nn_optim_adam(0.01)
                                                          : nn_optim_sgd(0.01, 0.5);
        nn_optim *opt = nn_optim_create(c->n_params, &oc);
        if (opt && nn_optim_set_state(opt, &c->optim) != NN_OK) abort();
        if (opt && nn_optim_steps(opt) != c->step) abort();
        nn_optim_destroy(opt);
    }
    nn_checkpoint_destroy(c);
    return 0;
}
