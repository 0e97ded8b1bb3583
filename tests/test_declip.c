/* Decision-aided clipping reconstruction (sim/rx_declip.h): from the right decisions it takes
 * the transmitter's clipping off the received grid, leaving H X plus noise. */
#include "test_sim.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rx_declip.h"

static sim_link clipped_link(double clip, unsigned pilots)
{
    return (sim_link){.mod = CH_MOD_QPSK, .fading = {.kind = CH_CHAN_RAYLEIGH, .coherence = 1},
                      .rx = SIM_RX_HARD,
                      .ofdm = {.n = 64, .cp = 16, .pilots = pilots, .symbols = 2,
                               .profile = CH_PROFILE_EVA, .clip = clip,
                               .sample_rate = CH_MULTIPATH_DEFAULT_FS, .est = CH_EST_PERFECT}};
}

typedef struct {
    double before, after; /* mean |y - H X|^2 over the frames, without the correction and with
                             it (over the positions it corrected) */
    size_t kept;          /* positions with distortion the reconstruction left alone */
} residual;

/* A clipped link's frames and its reconstruction, one frame at a time. */
typedef struct {
    sim_chain *chain;
    sim_chain_worker *w;
    ch_modem *m;
    ch_pilots *p;
    sim_declip *d;
    sim_declip_worker *dw;
    size_t frame;
} rig;

static rig rig_create(sim_link link, uint64_t stream)
{
    rig r = {.chain = test_chain(link, SIM_CHAIN_TO_DETECTOR), .m = ch_modem_create(link.mod),
             .p = sim_link_ofdm_pilots(&link)};
    r.w = sim_chain_worker_create(r.chain);
    r.d = sim_declip_create(&link, r.m, r.p);
    r.dw = r.d ? sim_declip_worker_create(r.d, 1) : NULL;
    assert_non_null(r.dw);
    assert_non_null(r.w);
    sim_chain_worker_seed(r.w, 2385, stream);
    r.frame = ch_pilots_frame(r.p);
    return r;
}

static void rig_destroy(rig *r)
{
    sim_declip_worker_destroy(r->dw);
    sim_declip_destroy(r->d);
    ch_pilots_destroy(r->p);
    ch_modem_destroy(r->m);
    sim_chain_worker_destroy(r->w);
    sim_chain_destroy(r->chain);
}

/* 200 frames at noise 1e-8 (-80 dB), corrected with the bits sent as the decisions: what is
 * left is that noise, up to the factor |X / (X + E)|^2. */
static residual reconstruct(sim_link link)
{
    rig g = rig_create(link, 0);
    size_t frame = g.frame;
    float complex *out = malloc(frame * sizeof *out), *sent = malloc(frame * sizeof *sent);
    residual r = {0};
    for (int t = 0; t < 200; t++) {
        const sim_frame *f = sim_chain_sample(g.w, frame, 1e-8f);
        sim_declip_run(g.d, g.dw, 1, f->y, f->bits, out);
        /* the frame sent (the chain's own buffer of it holds y by now) */
        ch_modem_map(g.m, f->ndata, f->bits, sent + frame - f->ndata);
        ch_pilots_insert(g.p, 1, sent + frame - f->ndata, sent);
        for (size_t i = 0; i < frame; i++) {
            float complex hx = f->h[i] * sent[i];
            r.before += cabsf(f->y[i] - hx) * cabsf(f->y[i] - hx) / (200.0 * frame);
            bool kept = out[i] == f->y[i] && cabsf(f->y[i] - hx) > 1e-3f;
            if (!kept) r.after += cabsf(out[i] - hx) * cabsf(out[i] - hx) / (200.0 * frame);
            r.kept += kept;
        }
    }
    free(out);
    free(sent);
    rig_destroy(&g);
    return r;
}

/* Clipping at 1.0 x RMS leaves distortion about 12 dB below the signal (Bussgang: a gain of
 * 0.77 and 0.037 of power beside it); the reconstruction from the right decisions takes it
 * off to the float rounding of two transforms, but for the few positions where X + E is too
 * small to divide by. */
static void test_right_decisions_take_clipping_off(void **state)
{
    (void)state;
    for (unsigned pilots = 8; pilots <= 64; pilots *= 8) {
        residual r = reconstruct(clipped_link(1.0, pilots));
        print_message("  %u pilots: |y - HX|^2 %.3g before, %.3g after, %zu kept\n", pilots,
                      r.before, r.after, r.kept);
        assert_true(r.before > 0.03);
        assert_true(r.after < 1e-7);
        assert_true(r.kept < 200 * 192 / 50);
    }
}

/* Without clipping nothing is taken off: the correction is the identity but for rounding. */
static void test_no_clipping_no_change(void **state)
{
    (void)state;
    residual r = reconstruct(clipped_link(100.0, 64));
    print_message("  |y - HX|^2 %.3g before, %.3g after\n", r.before, r.after);
    assert_true(r.before < 1e-7);
    assert_true(r.after < 1e-7);
}

/* Mean over 200 frames at noise 1e-8 of sim_declip_residual for the bits sent, and for the
 * bits sent with one bit of each frame flipped (bit 37 t mod the frame's bits of frame t): the
 * fraction of frames whose wrong decisions score above their right ones. */
static void score(sim_link link, double *right, double *wrong, double *ranked)
{
    rig g = rig_create(link, 1);
    uint8_t *flipped = malloc(g.frame * 8);
    *right = *wrong = *ranked = 0;
    for (int t = 0; t < 200; t++) {
        const sim_frame *f = sim_chain_sample(g.w, g.frame, 1e-8f);
        size_t nbits = f->ndata * f->k;
        float good, bad;
        sim_declip_residual(g.d, g.dw, 1, f->y, f->bits, &good);
        memcpy(flipped, f->bits, nbits);
        flipped[(size_t)t * 37 % nbits] ^= 1u;
        sim_declip_residual(g.d, g.dw, 1, f->y, flipped, &bad);
        *right += good / 200.0, *wrong += bad / 200.0, *ranked += (bad > good) / 200.0;
    }
    free(flipped);
    rig_destroy(&g);
}

/* The residual that picks a pass frame by frame: the right decisions explain a clipped frame to
 * the noise (192 positions of 1e-8, scaled by |X / (X + E)|^2, and float rounding), far below
 * the clipping's 0.03-0.09 a position they leave when the distortion is not rebuilt; one wrong
 * bit costs |H|^2 |X - X'|^2 = 2 |H|^2 at its position and moves E^ everywhere. With 8 pilots the
 * pilot symbol carries data and is clipped too, so H^ needs its distortion taken off. */
static void test_residual_ranks_decisions(void **state)
{
    (void)state;
    for (unsigned pilots = 8; pilots <= 64; pilots *= 8) {
        double right, wrong, ranked;
        score(clipped_link(1.0, pilots), &right, &wrong, &ranked);
        print_message("  %u pilots: residual %.3g right, %.3g one bit wrong, %.3f ranked\n", pilots,
                      right, wrong, ranked);
        /* 8 pilots: LS's interpolation error (EVA is not linear between pilots 8 subcarriers
         * apart) is in every candidate's residual alike: 4.9 a frame, 13.8 if the pilot
         * symbol's distortion were left in H^ */
        assert_true(right < (pilots == 64 ? 1e-4 : 8.0));
        assert_true(wrong - right > 0.5);
        assert_true(ranked > 0.99);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_right_decisions_take_clipping_off),
        cmocka_unit_test(test_no_clipping_no_change),
        cmocka_unit_test(test_residual_ranks_decisions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
