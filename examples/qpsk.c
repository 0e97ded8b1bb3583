/* A program built against an installed bersim (README: Installing):
 *   cc qpsk.c $(pkg-config --cflags --libs bersim) -o qpsk
 * maps bits onto QPSK, demaps them (max-log LLRs) and prints the exact BER over AWGN. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <bersim/channel.h>
#include <bersim/nn.h>
#include <bersim/sim.h>

int main(void)
{
    ch_modem *qpsk = ch_modem_create(CH_MOD_QPSK);
    if (!qpsk) return 1;
    const uint8_t bits[8] = {0, 0, 0, 1, 1, 0, 1, 1};
    float complex x[4];
    float n0[4] = {0.5f, 0.5f, 0.5f, 0.5f}, llr[8];
    uint8_t decided[8];
    ch_modem_map(qpsk, 4, bits, x);
    ch_modem_demap_maxlog(qpsk, 4, x, NULL, n0, llr);
    ch_llr_decide(8, llr, decided);
    ch_modem_destroy(qpsk);

    ch_fading_config awgn = {.kind = CH_CHAN_AWGN, .coherence = 1};
    double ber, ser;
    if (sim_theory_point(CH_MOD_QPSK, &awgn, 6.0, &ber, &ser) != 0) {
        fprintf(stderr, "qpsk: %s\n", sim_last_error());
        return 1;
    }
    double expected = 0.5 * erfc(sqrt(pow(10.0, 0.6))); /* Q(sqrt(2 Eb/N0)) */
    printf("bits %s, BER of QPSK over AWGN at 6 dB: %.6e\n",
           memcmp(bits, decided, sizeof bits) == 0 ? "recovered" : "WRONG", ber);
    return memcmp(bits, decided, sizeof bits) == 0 && fabs(ber - expected) < 1e-9 * expected ? 0 : 1;
}
