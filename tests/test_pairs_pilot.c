/* Pilot patterns (ch_pilots) and pilot-aided training pairs (ch_pairs_fill_pilot): positions,
 * insertion and splitting (in place too), block layout, noise-free identities, the per-block
 * SNR, the Doppler case and validation. */
#include "test_util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"

enum { NBLOCKS = 300, SPACING = 8, K = 4 };

typedef struct {
    uint8_t bits[NBLOCKS * (SPACING - 1) * K];
    float complex y[NBLOCKS * SPACING], h[NBLOCKS * SPACING], x[NBLOCKS * (SPACING - 1)];
    float n0[NBLOCKS];
} pilot_frame;

/* The pattern of these tests: a pilot leads every block of SPACING symbols. */
static ch_pilots *block_pattern(void)
{
    ch_pilots *p = ch_pilots_create_block(SPACING);
    assert_non_null(p);
    return p;
}

static ch_fading *fading(unsigned coherence, double doppler)
{
    ch_fading_config cfg = {.kind = CH_CHAN_RAYLEIGH, .coherence = coherence, .doppler = doppler};
    ch_fading *f = ch_fading_create(&cfg);
    assert_non_null(f);
    return f;
}

/* At 300 dB the pilot's observation is its gain, each data symbol is h times its mapped bits,
 * and block fading keeps one gain per block. */
static void test_noise_free_layout(void **state)
{
    (void)state;
    static pilot_frame p;
    ch_pilots *pat = block_pattern();
    ch_modem *m = ch_modem_create(CH_MOD_16QAM);
    ch_rng *r = ch_rng_create(2385, 5);
    ch_fading *f = fading(SPACING, 0);
    ch_fading_reset(f, r);
    ch_link link = {.modem = m, .fading = f, .ebn0_lo_db = 300, .ebn0_hi_db = 300,
                    .code_rate = (SPACING - 1.0) / SPACING};
    assert_int_equal(ch_pairs_fill_pilot(&link, r, pat, NBLOCKS, p.bits, p.y, p.h, p.n0), 0);
    ch_modem_map(m, NBLOCKS * (SPACING - 1), p.bits, p.x);
    for (size_t b = 0; b < NBLOCKS; b++) {
        const float complex *yb = p.y + b * SPACING, *hb = p.h + b * SPACING;
        assert_close(cabsf(yb[0] - hb[0] * CH_PILOT), 0, 0, 1e-6);
        for (unsigned j = 1; j < SPACING; j++) {
            assert_true(hb[j] == hb[0]);
            assert_close(cabsf(yb[j] - hb[j] * p.x[b * (SPACING - 1) + j - 1]), 0, 0, 1e-6);
        }
    }
    ch_fading_destroy(f);
    ch_rng_destroy(r);
    ch_modem_destroy(m);
    ch_pilots_destroy(pat);
}

/* The noise of each block has its block's n0: E|y_p - h|^2 / n0 = 1 over the pilots and data
 * (within 99.9% bounds), and n0 follows Eb/N0 with the pilot rate (N-1)/N. */
static void test_noise_per_block(void **state)
{
    (void)state;
    static pilot_frame p;
    ch_pilots *pat = block_pattern();
    ch_modem *m = ch_modem_create(CH_MOD_16QAM);
    ch_rng *r = ch_rng_create(2385, 6);
    ch_fading *f = fading(SPACING, 0);
    ch_fading_reset(f, r);
    double rate = (SPACING - 1.0) / SPACING;
    ch_link link = {.modem = m, .fading = f, .ebn0_lo_db = 3.5, .ebn0_hi_db = 17.25,
                    .code_rate = rate};
    assert_int_equal(ch_pairs_fill_pilot(&link, r, pat, NBLOCKS, p.bits, p.y, p.h, p.n0), 0);
    ch_modem_map(m, NBLOCKS * (SPACING - 1), p.bits, p.x);
    double sum = 0, lo = ch_n0_from_ebn0(17.25, K, rate), hi = ch_n0_from_ebn0(3.5, K, rate);
    bool varies = false;
    for (size_t b = 0; b < NBLOCKS; b++) {
        assert_true(p.n0[b] >= lo * (1 - 1e-6) && p.n0[b] <= hi * (1 + 1e-6));
        varies |= p.n0[b] != p.n0[0];
        for (unsigned j = 0; j < SPACING; j++) {
            float complex x = j == 0 ? CH_PILOT : p.x[b * (SPACING - 1) + j - 1];
            float complex w = p.y[b * SPACING + j] - p.h[b * SPACING + j] * x;
            sum += (crealf(w) * crealf(w) + cimagf(w) * cimagf(w)) / p.n0[b];
        }
    }
    double n = NBLOCKS * SPACING, mean = sum / n;
    assert_close(mean, 1.0, 0, 3.2905 / sqrt(n)); /* |w|^2/n0 is exponential: sd 1 */
    assert_true(varies);
    ch_fading_destroy(f);
    ch_rng_destroy(r);
    ch_modem_destroy(m);
    ch_pilots_destroy(pat);
}

/* With Doppler the gain moves within a block, and the whole call has one SNR. */
static void test_doppler_blocks(void **state)
{
    (void)state;
    static pilot_frame p;
    ch_pilots *pat = block_pattern();
    ch_modem *m = ch_modem_create(CH_MOD_16QAM);
    ch_rng *r = ch_rng_create(2385, 7);
    ch_fading *f = fading(1, 0.05);
    ch_fading_reset(f, r);
    ch_link link = {.modem = m, .fading = f, .ebn0_lo_db = 0, .ebn0_hi_db = 30,
                    .code_rate = (SPACING - 1.0) / SPACING};
    assert_int_equal(ch_pairs_fill_pilot(&link, r, pat, NBLOCKS, p.bits, p.y, p.h, p.n0), 0);
    for (size_t b = 0; b < NBLOCKS; b++) assert_true(p.n0[b] == p.n0[0]);
    assert_true(p.h[1] != p.h[0] && p.h[SPACING - 1] != p.h[0]);
    ch_fading_destroy(f);
    ch_rng_destroy(r);
    ch_modem_destroy(m);
    ch_pilots_destroy(pat);
}

/* A spacing below 2, a multicarrier pattern or a block fading of another length is refused
 * with a message. */
static void test_bad_pilot_links(void **state)
{
    (void)state;
    static pilot_frame p;
    ch_pilots *pat = block_pattern(), *four = ch_pilots_create_block(4);
    ch_modem *m = ch_modem_create(CH_MOD_QPSK);
    ch_rng *r = ch_rng_create(1, 1);
    ch_fading *f = fading(4, 0);
    ch_link link = {.modem = m, .fading = f, .ebn0_lo_db = 5, .ebn0_hi_db = 5, .code_rate = 0.75};
    assert_int_equal(ch_pairs_fill_pilot(&link, r, pat, 4, p.bits, p.y, NULL, p.n0), CH_EINVAL);
    assert_non_null(strstr(ch_last_error(), "coherence 4 is not the pilot frame 8"));
    assert_null(ch_pilots_create_block(1));
    assert_non_null(strstr(ch_last_error(), "spacing=1"));
    assert_int_equal(ch_pairs_fill_pilot(&link, r, NULL, 4, p.bits, p.y, NULL, p.n0), CH_EINVAL);
    uint8_t mask[4] = {1, 0, 0, 0};
    ch_pilots *grid = ch_pilots_create_grid(2, 2, mask);
    assert_int_equal(ch_pairs_fill_pilot(&link, r, grid, 4, p.bits, p.y, NULL, p.n0), CH_EINVAL);
    assert_non_null(strstr(ch_last_error(), "multicarrier"));
    link.ebn0_hi_db = 2;
    assert_int_equal(ch_pairs_fill_pilot(&link, r, four, 4, p.bits, p.y, NULL, p.n0), CH_EINVAL);
    ch_fading_destroy(f);
    ch_rng_destroy(r);
    ch_modem_destroy(m);
    ch_pilots_destroy(pat);
    ch_pilots_destroy(four);
    ch_pilots_destroy(grid);
}

/* A time x frequency grid: positions, counts and rate; insertion then splitting gives back the
 * data and CH_PILOT, also in place (the data at the end of the frames' own storage); patterns
 * with no pilot or no data are refused. */
static void test_pattern_grid(void **state)
{
    (void)state;
    enum { T = 3, F = 4, FRAMES = 5 };
    const uint8_t mask[T * F] = {1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0};
    ch_pilots *p = ch_pilots_create_grid(T, F, mask);
    assert_non_null(p);
    assert_int_equal(ch_pilots_frame(p), 12);
    assert_int_equal(ch_pilots_n_pilot(p), 3);
    assert_int_equal(ch_pilots_n_data(p), 9);
    assert_int_equal(ch_pilots_n_time(p), T);
    assert_int_equal(ch_pilots_n_freq(p), F);
    assert_close(ch_pilots_rate(p), 0.75, 1e-15, 0);
    assert_true(ch_pilots_is_pilot(p, 9) && !ch_pilots_is_pilot(p, 8));
    assert_false(ch_pilots_is_pilot(p, 12));
    assert_int_equal(ch_pilots_pilot_positions(p)[2], 9);
    assert_int_equal(ch_pilots_data_positions(p)[0], 1);
    float complex data[FRAMES * 9], grid[FRAMES * 12], back[FRAMES * 9], pil[FRAMES * 3];
    for (size_t i = 0; i < FRAMES * 9; i++) data[i] = (float)i + 2.385f * I;
    ch_pilots_insert(p, FRAMES, data, grid);
    ch_pilots_split(p, FRAMES, grid, back, pil);
    for (size_t i = 0; i < FRAMES * 9; i++) assert_true(back[i] == data[i]);
    for (size_t i = 0; i < FRAMES * 3; i++) assert_true(pil[i] == CH_PILOT);
    float complex inplace[FRAMES * 12];
    memcpy(inplace + FRAMES * 3, data, sizeof data);
    ch_pilots_insert(p, FRAMES, inplace + FRAMES * 3, inplace);
    assert_memory_equal(inplace, grid, sizeof grid);
    uint8_t none[4] = {0}, all[4] = {1, 1, 1, 1};
    assert_null(ch_pilots_create_grid(2, 2, none));
    assert_null(ch_pilots_create_grid(2, 2, all));
    assert_null(ch_pilots_create_grid(0, 2, mask));
    ch_pilots_destroy(p);
    ch_pilots_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noise_free_layout),
        cmocka_unit_test(test_noise_per_block),
        cmocka_unit_test(test_doppler_blocks),
        cmocka_unit_test(test_bad_pilot_links),
        cmocka_unit_test(test_pattern_grid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
