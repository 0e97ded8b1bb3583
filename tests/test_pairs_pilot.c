/* Pilot-aided training pairs (ch_pairs_fill_pilot): block layout, noise-free identities, the
 * per-block SNR, the Doppler case and link validation. */
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
    ch_modem *m = ch_modem_create(CH_MOD_16QAM);
    ch_rng *r = ch_rng_create(2385, 5);
    ch_fading *f = fading(SPACING, 0);
    ch_fading_reset(f, r);
    ch_link link = {.modem = m, .fading = f, .ebn0_lo_db = 300, .ebn0_hi_db = 300,
                    .code_rate = (SPACING - 1.0) / SPACING};
    assert_int_equal(ch_pairs_fill_pilot(&link, r, SPACING, NBLOCKS, p.bits, p.y, p.h, p.n0), 0);
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
}

/* The noise of each block has its block's n0: E|y_p - h|^2 / n0 = 1 over the pilots and data
 * (within 99.9% bounds), and n0 follows Eb/N0 with the pilot rate (N-1)/N. */
static void test_noise_per_block(void **state)
{
    (void)state;
    static pilot_frame p;
    ch_modem *m = ch_modem_create(CH_MOD_16QAM);
    ch_rng *r = ch_rng_create(2385, 6);
    ch_fading *f = fading(SPACING, 0);
    ch_fading_reset(f, r);
    double rate = (SPACING - 1.0) / SPACING;
    ch_link link = {.modem = m, .fading = f, .ebn0_lo_db = 3.5, .ebn0_hi_db = 17.25,
                    .code_rate = rate};
    assert_int_equal(ch_pairs_fill_pilot(&link, r, SPACING, NBLOCKS, p.bits, p.y, p.h, p.n0), 0);
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
}

/* With Doppler the gain moves within a block, and the whole call has one SNR. */
static void test_doppler_blocks(void **state)
{
    (void)state;
    static pilot_frame p;
    ch_modem *m = ch_modem_create(CH_MOD_16QAM);
    ch_rng *r = ch_rng_create(2385, 7);
    ch_fading *f = fading(1, 0.05);
    ch_fading_reset(f, r);
    ch_link link = {.modem = m, .fading = f, .ebn0_lo_db = 0, .ebn0_hi_db = 30,
                    .code_rate = (SPACING - 1.0) / SPACING};
    assert_int_equal(ch_pairs_fill_pilot(&link, r, SPACING, NBLOCKS, p.bits, p.y, p.h, p.n0), 0);
    for (size_t b = 0; b < NBLOCKS; b++) assert_true(p.n0[b] == p.n0[0]);
    assert_true(p.h[1] != p.h[0] && p.h[SPACING - 1] != p.h[0]);
    ch_fading_destroy(f);
    ch_rng_destroy(r);
    ch_modem_destroy(m);
}

/* A spacing below 2 or a block fading of another length is refused with a message. */
static void test_bad_pilot_links(void **state)
{
    (void)state;
    static pilot_frame p;
    ch_modem *m = ch_modem_create(CH_MOD_QPSK);
    ch_rng *r = ch_rng_create(1, 1);
    ch_fading *f = fading(4, 0);
    ch_link link = {.modem = m, .fading = f, .ebn0_lo_db = 5, .ebn0_hi_db = 5, .code_rate = 0.75};
    assert_int_equal(ch_pairs_fill_pilot(&link, r, SPACING, 4, p.bits, p.y, NULL, p.n0),
                     CH_EINVAL);
    assert_non_null(strstr(ch_last_error(), "coherence 4 is not the pilot spacing 8"));
    assert_int_equal(ch_pairs_fill_pilot(&link, r, 1, 4, p.bits, p.y, NULL, p.n0), CH_EINVAL);
    assert_non_null(strstr(ch_last_error(), "spacing=1"));
    link.ebn0_hi_db = 2;
    assert_int_equal(ch_pairs_fill_pilot(&link, r, 4, 4, p.bits, p.y, NULL, p.n0), CH_EINVAL);
    ch_fading_destroy(f);
    ch_rng_destroy(r);
    ch_modem_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noise_free_layout),
        cmocka_unit_test(test_noise_per_block),
        cmocka_unit_test(test_doppler_blocks),
        cmocka_unit_test(test_bad_pilot_links),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
