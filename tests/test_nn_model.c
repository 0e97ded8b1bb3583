/* Model files: save → load gives the same network bit for bit, with its key/value set; every
 * truncation, a wrong magic or version, every flipped byte and absurd sizes with a matching CRC
 * are rejected with a one-line message and without a crash (the CI runs this under ASan and
 * UBSan). */
#include "test_util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn.h"
#include "nn_internal.h"

static char dir[64];
static char path[128], bad_path[128];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/test_nn_model.XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(path, sizeof path, "%s/model.bin", dir);
    snprintf(bad_path, sizeof bad_path, "%s/bad.bin", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    remove(path);
    remove(bad_path);
    return rmdir(dir);
}

/* ---- helpers ----------------------------------------------------------------------------------
 */

typedef struct {
    unsigned char *bytes;
    size_t size;
} blob;

static blob read_blob(const char *p)
{
    blob b = {NULL, 0};
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    b.size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    b.bytes = malloc(b.size);
    assert_non_null(b.bytes);
    assert_int_equal(fread(b.bytes, 1, b.size, f), b.size);
    fclose(f);
    return b;
}

static void write_bytes(const char *p, const unsigned char *bytes, size_t size)
{
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, size, f), size);
    fclose(f);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Makes the stored CRC match the (edited) bytes before it. */
static void fix_crc(blob *b)
{
    put_u32(b->bytes + b->size - 4, nn_crc32(0, b->bytes, b->size - 4));
}

/* Loads bad_path expecting a failure with status `expected` (0: any), a message that names the
 * file and is one line. Returns the status. */
static int expect_rejected(int expected, const char *context)
{
    nn_meta *meta = (nn_meta *)&meta; /* must come back NULL */
    nn_net *net = nn_model_load(bad_path, 8, &meta);
    if (net) fail_msg("%s: a bad file was accepted", context);
    assert_null(meta);
    int status = nn_last_status();
    const char *msg = nn_last_error();
    if (expected && status != expected)
        fail_msg("%s: status %d (%s), expected %d", context, status, msg, expected);
    assert_true(status != NN_OK);
    /* the user's terms: the path first, no function name */
    assert_null(strstr(msg, "nn_model_load"));
    assert_true(strncmp(msg, bad_path, strlen(bad_path)) == 0);
    assert_null(strchr(msg, '\n'));
    return status;
}

static uint64_t noise_state = 2385;

static void fill(size_t n, float *v, float scale)
{
    for (size_t i = 0; i < n; i++) {
        noise_state = noise_state * 6364136223846793005u + 1442695040888963407u;
        v[i] = scale * (float)((double)(noise_state >> 11) * 0x1p-53 - 0.5);
    }
}

/* A transmitter-and-receiver-shaped network with every layer kind and parameters of entropy. */
static nn_net *make_net(void)
{
    nn_layer_spec specs[] = {
        {.kind = NN_LAYER_DENSE, .n_out = 10, .act = NN_ACT_IDENTITY},
        {.kind = NN_LAYER_CMUL, .pairs = 2, .act = NN_ACT_TANH},
        {.kind = NN_LAYER_DENSE, .n_out = 6, .act = NN_ACT_LEAKY_RELU},
        {.kind = NN_LAYER_DENSE, .n_out = 4, .act = NN_ACT_TANH},
        {.kind = NN_LAYER_POWER_NORM},
        {.kind = NN_LAYER_NOISE, .sigma = 0.2385f},
        {.kind = NN_LAYER_DENSE, .n_out = 5, .act = NN_ACT_SIGMOID},
        {.kind = NN_LAYER_DENSE, .n_out = 3, .act = NN_ACT_IDENTITY},
        {.kind = NN_LAYER_LOSS, .loss = NN_LOSS_SOFTMAX_CE},
    };
    nn_net_config cfg = {.n_in = 3, .max_batch = 16, .seed = 2385};
    nn_net *net = nn_net_create(&cfg, sizeof specs / sizeof specs[0], specs);
    assert_non_null(net);
    fill(nn_net_n_params(net), nn_net_params(net), 2.385f);
    return net;
}

/* A small network with no key/value pairs: the header offsets are then fixed. */
static nn_net *save_plain(void)
{
    const size_t widths[] = {4, 2};
    const nn_act acts[] = {NN_ACT_RELU, NN_ACT_IDENTITY};
    nn_net_config cfg = {.n_in = 3, .max_batch = 8, .seed = 2385};
    nn_net *net = nn_mlp_create(&cfg, 2, widths, acts, NN_LOSS_SIGMOID_BCE);
    assert_non_null(net);
    assert_int_equal(nn_model_save(path, net, NULL), NN_OK);
    return net;
}

/* Offsets in a file without key/value pairs. */
enum { AT_VERSION = 8, AT_N_META = 12, AT_N_IN = 16, AT_N_LAYERS = 20, AT_LAYERS = 24 };
#define AT_LAYER(t, field) (AT_LAYERS + 20 * (t) + 4 * (field)) /* field: 0 kind .. 4 n_param */

/* ---- round trip ------------------------------------------------------------------------------ */

static void test_round_trip_bit_exact(void **state)
{
    (void)state;
    nn_net *net = make_net();
    nn_meta *meta = nn_meta_create();
    assert_non_null(meta);
    assert_int_equal(nn_meta_set(meta, "modulation", "16qam"), NN_OK);
    assert_int_equal(nn_meta_set(meta, "channel", "rayleigh --coherence 1"), NN_OK);
    assert_int_equal(nn_meta_set(meta, "features", "re,im,|h|"), NN_OK);
    assert_int_equal(nn_meta_set(meta, "ebn0_db", "2.385:0.5:12.385"), NN_OK);
    assert_int_equal(nn_meta_set(meta, "note", ""), NN_OK);
    assert_int_equal(nn_meta_set(meta, "unicode", "Eb/N0 ≥ 3 dB, σ²"), NN_OK);
    assert_int_equal(nn_model_save(path, net, meta), NN_OK);

    nn_meta *loaded_meta = NULL;
    nn_net *loaded = nn_model_load(path, 5, &loaded_meta);
    if (!loaded) fail_msg("%s", nn_last_error());
    assert_int_equal(nn_last_status(), NN_OK);
    /* the key/value set, in order */
    assert_int_equal(nn_meta_count(loaded_meta), nn_meta_count(meta));
    for (size_t i = 0; i < nn_meta_count(meta); i++) {
        assert_string_equal(nn_meta_key(loaded_meta, i), nn_meta_key(meta, i));
        assert_string_equal(nn_meta_value(loaded_meta, i), nn_meta_value(meta, i));
    }
    assert_string_equal(nn_meta_get(loaded_meta, "ebn0_db"), "2.385:0.5:12.385");
    /* the layers and the parameters, bit for bit */
    assert_int_equal(nn_net_n_layers(loaded), nn_net_n_layers(net));
    assert_int_equal(nn_net_n_in(loaded), 3);
    assert_int_equal(nn_net_max_batch(loaded), 5);
    for (size_t t = 0; t < nn_net_n_layers(net); t++) {
        nn_layer_info a, b;
        nn_net_layer_info(net, t, &a);
        nn_net_layer_info(loaded, t, &b);
        assert_int_equal(a.spec.kind, b.spec.kind);
        assert_int_equal(a.spec.n_out, b.spec.n_out);
        assert_int_equal(a.spec.act, b.spec.act);
        assert_int_equal(a.spec.loss, b.spec.loss);
        assert_true(a.spec.sigma == b.spec.sigma);
        assert_int_equal(a.spec.pairs, b.spec.pairs);
        assert_int_equal(a.n_param, b.n_param);
    }
    assert_int_equal(nn_net_n_params(loaded), nn_net_n_params(net));
    assert_memory_equal(nn_net_params(loaded), nn_net_params(net),
                        nn_net_n_params(net) * sizeof(float));
    /* the same outputs, bit for bit (the noise layer has no samples: it adds nothing) */
    enum { N = 37 };
    float x[N * 3], out_a[N * 3], out_b[N * 3];
    fill(N * 3, x, 4.77f);
    nn_workspace *wa = nn_workspace_create(net, 64), *wb = nn_workspace_create(loaded, 64);
    assert_int_equal(nn_net_infer(net, wa, N, x, out_a), NN_OK);
    assert_int_equal(nn_net_infer(loaded, wb, N, x, out_b), NN_OK);
    assert_memory_equal(out_a, out_b, sizeof out_a);
    /* saving the loaded network gives the same file */
    blob first = read_blob(path);
    assert_int_equal(nn_model_save(path, loaded, loaded_meta), NN_OK);
    blob second = read_blob(path);
    assert_int_equal(first.size, second.size);
    assert_memory_equal(first.bytes, second.bytes, first.size);
    free(first.bytes);
    free(second.bytes);
    nn_workspace_destroy(wa);
    nn_workspace_destroy(wb);
    nn_meta_destroy(meta);
    nn_meta_destroy(loaded_meta);
    nn_net_destroy(loaded);
    nn_net_destroy(net);
}

static void test_crc32_check_value(void **state)
{
    (void)state;
    assert_int_equal(nn_crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(nn_crc32(nn_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
}

/* ---- damaged files --------------------------------------------------------------------------- */

static void test_every_truncation(void **state)
{
    (void)state;
    nn_net *net = make_net();
    nn_meta *meta = nn_meta_create();
    nn_meta_set(meta, "modulation", "qpsk");
    nn_meta_set(meta, "snr", "");
    assert_int_equal(nn_model_save(path, net, meta), NN_OK);
    blob b = read_blob(path);
    for (size_t len = 0; len < b.size; len++) {
        write_bytes(bad_path, b.bytes, len);
        char context[64];
        snprintf(context, sizeof context, "truncated to %zu of %zu bytes", len, b.size);
        expect_rejected(NN_ETRUNC, context);
    }
    print_message("  %zu truncations rejected, e.g. \"%s\"\n", b.size, nn_last_error());
    free(b.bytes);
    nn_meta_destroy(meta);
    nn_net_destroy(net);
}

static void test_wrong_magic_and_version(void **state)
{
    (void)state;
    nn_net_destroy(save_plain());
    blob b = read_blob(path);
    b.bytes[1] ^= 0x20;
    write_bytes(bad_path, b.bytes, b.size);
    expect_rejected(NN_EFORMAT, "wrong magic");
    assert_non_null(strstr(nn_last_error(), "magic"));
    write_bytes(bad_path, (const unsigned char *)"step\ttrain_loss\n", 16);
    expect_rejected(NN_EFORMAT, "a text file");
    b.bytes[1] ^= 0x20;
    put_u32(b.bytes + AT_VERSION, 2);
    fix_crc(&b);
    write_bytes(bad_path, b.bytes, b.size);
    expect_rejected(NN_EVERSION, "version 2");
    assert_non_null(strstr(nn_last_error(), "version 2"));
    free(b.bytes);
}

/* Every byte of a file with key/value pairs, flipped in turn: always rejected; in the
 * parameters and the checksum, always as a checksum mismatch. */
static void test_every_flipped_byte(void **state)
{
    (void)state;
    nn_net *net = make_net();
    nn_meta *meta = nn_meta_create();
    nn_meta_set(meta, "channel", "awgn");
    assert_int_equal(nn_model_save(path, net, meta), NN_OK);
    blob b = read_blob(path);
    size_t params_at = b.size - 4 - 4 * nn_net_n_params(net);
    int by_crc = 0;
    for (size_t i = 0; i < b.size; i++) {
        for (int bit = 0; bit < 8; bit += 5) {
            b.bytes[i] ^= (unsigned char)(1u << bit);
            write_bytes(bad_path, b.bytes, b.size);
            char context[64];
            snprintf(context, sizeof context, "bit %d of byte %zu flipped", bit, i);
            int status = expect_rejected(i >= params_at ? NN_ECRC : 0, context);
            by_crc += status == NN_ECRC;
            b.bytes[i] ^= (unsigned char)(1u << bit);
        }
    }
    print_message("  %zu flipped bits rejected, %d of them by the checksum\n", 2 * b.size, by_crc);
    free(b.bytes);
    nn_meta_destroy(meta);
    nn_net_destroy(net);
}

/* Absurd or inconsistent fields with a matching CRC: each is named, nothing is allocated from
 * it. */
static void test_absurd_sizes_with_matching_crc(void **state)
{
    (void)state;
    nn_net_destroy(save_plain());
    blob good = read_blob(path);
    blob b = {malloc(good.size + 8), good.size};
    assert_non_null(b.bytes);
    struct {
        size_t at;
        uint32_t value;
        int status;
        const char *says;
    } cases[] = {
        {AT_LAYER(0, 1), 0x80000000u, NN_ELIMIT, "2147483648 units"},
        {AT_LAYER(0, 1), 0, NN_ELIMIT, "0 units"},
        {AT_N_LAYERS, 0x80000000u, NN_ELIMIT, "2147483648 layers"},
        {AT_N_LAYERS, 0, NN_ELIMIT, "0 layers"},
        {AT_N_IN, 0xFFFFFFFFu, NN_ELIMIT, "input width"},
        {AT_N_META, 0x80000000u, NN_ELIMIT, "key/value pairs"},
        {AT_LAYER(0, 0), 9, NN_EFORMAT, "unknown kind 9"},
        {AT_LAYER(0, 2), 77, NN_EFORMAT, "unknown activation 77"},
        {AT_LAYER(0, 4), 17, NN_EFORMAT, "parameters"},
        {AT_LAYER(1, 1), 3, NN_EFORMAT, "shape"},
        {AT_LAYER(2, 2), 0, NN_EFORMAT, "unknown loss"},
        {AT_LAYER(2, 0), NN_LAYER_NOISE, NN_EFORMAT, "shape"},
        {AT_LAYER(1, 1), 60000, NN_EFORMAT, "shape"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memcpy(b.bytes, good.bytes, good.size);
        b.size = good.size;
        put_u32(b.bytes + cases[c].at, cases[c].value);
        fix_crc(&b);
        write_bytes(bad_path, b.bytes, b.size);
        uint64_t allocs = nn_alloc_count();
        expect_rejected(cases[c].status, cases[c].says);
        if (!strstr(nn_last_error(), cases[c].says))
            fail_msg("case %zu: message '%s' does not say '%s'", c, nn_last_error(), cases[c].says);
        assert_true(nn_alloc_count() - allocs <= 3); /* the reader's own, never the network */
    }
    /* a wide layer consistent all through: its 1.4 MB of parameters are not in the file, which
     * is found before anything is allocated for them */
    size_t at_count = AT_LAYER(3, 0);
    memcpy(b.bytes, good.bytes, good.size);
    put_u32(b.bytes + AT_LAYER(0, 1), 60000);
    put_u32(b.bytes + AT_LAYER(0, 4), 3 * 60000 + 60000);
    put_u32(b.bytes + AT_LAYER(1, 4), 60000 * 2 + 2);
    put_u32(b.bytes + at_count, 240000 + 120002);
    fix_crc(&b);
    write_bytes(bad_path, b.bytes, b.size);
    uint64_t allocs = nn_alloc_count();
    expect_rejected(NN_ETRUNC, "wide layer");
    assert_non_null(strstr(nn_last_error(), "the header describes"));
    assert_true(nn_alloc_count() - allocs <= 3);
    /* the parameter count of the whole file */
    memcpy(b.bytes, good.bytes, good.size);
    put_u32(b.bytes + at_count + 4, 0x40000000u);
    fix_crc(&b);
    write_bytes(bad_path, b.bytes, b.size);
    expect_rejected(NN_EFORMAT, "parameter count 2^62");
    /* bytes after the checksum */
    memcpy(b.bytes, good.bytes, good.size);
    memcpy(b.bytes + good.size, "trailing", 8);
    write_bytes(bad_path, b.bytes, good.size + 8);
    expect_rejected(NN_EFORMAT, "trailing bytes");
    /* a NaN parameter behind a valid checksum */
    memcpy(b.bytes, good.bytes, good.size);
    b.size = good.size;
    put_u32(b.bytes + at_count + 8 + 4 * 5, 0x7FC00000u);
    fix_crc(&b);
    write_bytes(bad_path, b.bytes, b.size);
    expect_rejected(NN_EFORMAT, "NaN parameter");
    assert_non_null(strstr(nn_last_error(), "parameter 5 is nan, not a finite number"));
    /* finite but beyond what training makes: FLT_MAX, and just above the bound, either sign */
    const uint32_t huge[] = {0x7F7FFFFFu, 0xFF7FFFFFu, 0x49742410u /* 1000001 */,
                             0xC9742410u};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        put_u32(b.bytes + at_count + 8 + 4 * 5, huge[i]);
        fix_crc(&b);
        write_bytes(bad_path, b.bytes, b.size);
        expect_rejected(NN_EFORMAT, "huge parameter");
        assert_non_null(strstr(nn_last_error(), "magnitude up to 1e+06"));
    }
    /* the bound itself loads */
    put_u32(b.bytes + at_count + 8 + 4 * 5, 0x49742400u); /* 1e6 */
    fix_crc(&b);
    write_bytes(bad_path, b.bytes, b.size);
    nn_net *net = nn_model_load(bad_path, 8, NULL);
    assert_non_null(net);
    nn_net_destroy(net);
    free(b.bytes);
    free(good.bytes);
}

/* Key and value lengths in the file: beyond the limits, or beyond the end of the file. */
static void test_absurd_strings(void **state)
{
    (void)state;
    nn_net *net = save_plain();
    nn_meta *meta = nn_meta_create();
    nn_meta_set(meta, "k", "v");
    assert_int_equal(nn_model_save(path, net, meta), NN_OK);
    blob b = read_blob(path);
    const size_t at_key_len = 16, at_value_len = 21;
    put_u32(b.bytes + at_key_len, 0xFFFFFFF0u);
    fix_crc(&b);
    write_bytes(bad_path, b.bytes, b.size);
    expect_rejected(NN_ELIMIT, "key length 2^32 - 16");
    put_u32(b.bytes + at_key_len, 0);
    fix_crc(&b);
    write_bytes(bad_path, b.bytes, b.size);
    expect_rejected(NN_ELIMIT, "empty key");
    put_u32(b.bytes + at_key_len, 1);
    put_u32(b.bytes + at_value_len, NN_META_MAX_VALUE); /* allowed, but not in the file */
    fix_crc(&b);
    write_bytes(bad_path, b.bytes, b.size);
    expect_rejected(NN_ETRUNC, "value longer than the file");
    put_u32(b.bytes + at_value_len, 1);
    b.bytes[at_value_len + 4] = '\0';
    fix_crc(&b);
    write_bytes(bad_path, b.bytes, b.size);
    expect_rejected(NN_EFORMAT, "NUL in a value");
    free(b.bytes);
    nn_meta_destroy(meta);
    nn_net_destroy(net);
}

static void test_missing_and_unwritable(void **state)
{
    (void)state;
    char missing[160];
    snprintf(missing, sizeof missing, "%s/none.bin", dir);
    assert_null(nn_model_load(missing, 8, NULL));
    assert_int_equal(nn_last_status(), NN_EIO);
    assert_non_null(strstr(nn_last_error(), "none.bin"));
    assert_null(nn_model_load(dir, 8, NULL)); /* a directory */
    assert_null(nn_model_load(path, 0, NULL));
    assert_int_equal(nn_last_status(), NN_EINVAL);

    nn_net *net = save_plain();
    char unwritable[160];
    snprintf(unwritable, sizeof unwritable, "%s/no/such/dir.bin", dir);
    assert_int_equal(nn_model_save(unwritable, net, NULL), NN_EIO);
    assert_non_null(strstr(nn_last_error(), unwritable));
    assert_null(strstr(nn_last_error(), "nn_model_save"));
    assert_int_equal(nn_model_save(NULL, net, NULL), NN_EINVAL);
    nn_net *loaded = nn_model_load(path, 8, NULL);
    assert_non_null(loaded);
    nn_net_destroy(loaded);
    nn_net_destroy(net);
    nn_meta_destroy(NULL);
    nn_net_destroy(NULL);
}

static void test_meta_limits(void **state)
{
    (void)state;
    nn_meta *meta = nn_meta_create();
    assert_int_equal(nn_meta_set(meta, "", "x"), NN_EINVAL);
    char long_key[NN_META_MAX_KEY + 2];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    assert_int_equal(nn_meta_set(meta, long_key, "x"), NN_EINVAL);
    long_key[NN_META_MAX_KEY] = '\0';
    assert_int_equal(nn_meta_set(meta, long_key, "x"), NN_OK);
    char *long_value = malloc(NN_META_MAX_VALUE + 2);
    memset(long_value, 'v', NN_META_MAX_VALUE + 1);
    long_value[NN_META_MAX_VALUE + 1] = '\0';
    assert_int_equal(nn_meta_set(meta, "big", long_value), NN_EINVAL);
    long_value[NN_META_MAX_VALUE] = '\0';
    assert_int_equal(nn_meta_set(meta, "big", long_value), NN_OK);
    free(long_value);
    assert_int_equal(nn_meta_set(meta, "mod", "qpsk"), NN_OK);
    assert_int_equal(nn_meta_set(meta, "mod", "16qam"), NN_OK); /* replaces */
    assert_int_equal(nn_meta_count(meta), 3);
    assert_string_equal(nn_meta_get(meta, "mod"), "16qam");
    assert_null(nn_meta_get(meta, "absent"));
    assert_null(nn_meta_key(meta, 3));
    for (unsigned i = 3; i < NN_META_MAX_PAIRS; i++) {
        char key[16];
        snprintf(key, sizeof key, "k%u", i);
        assert_int_equal(nn_meta_set(meta, key, "2.385"), NN_OK);
    }
    assert_int_equal(nn_meta_set(meta, "one_more", "x"), NN_EINVAL);
    /* the largest set round-trips */
    nn_net *net = save_plain();
    assert_int_equal(nn_model_save(path, net, meta), NN_OK);
    nn_meta *back = NULL;
    nn_net *loaded = nn_model_load(path, 8, &back);
    assert_non_null(loaded);
    assert_int_equal(nn_meta_count(back), NN_META_MAX_PAIRS);
    assert_int_equal(strlen(nn_meta_get(back, "big")), NN_META_MAX_VALUE);
    assert_string_equal(nn_meta_key(back, 0), long_key);
    nn_net_destroy(loaded);
    nn_meta_destroy(back);
    nn_net_destroy(net);
    nn_meta_destroy(meta);
}

int main(void)
{
    nn_blas_set_threads(1); /* small products: OpenBLAS's threads would only wait on each other */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_bit_exact),
        cmocka_unit_test(test_crc32_check_value),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_wrong_magic_and_version),
        cmocka_unit_test(test_every_flipped_byte),
        cmocka_unit_test(test_absurd_sizes_with_matching_crc),
        cmocka_unit_test(test_absurd_strings),
        cmocka_unit_test(test_missing_and_unwritable),
        cmocka_unit_test(test_meta_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
