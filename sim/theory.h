/* Exact bit and symbol error probabilities of the uncoded built-in modulations over AWGN and
 * flat Rayleigh and Rician fading, coherent detection with perfect channel knowledge.
 *
 * The link is y = h x + w as in channel/fading.h: unit average symbol energy (Es = 1),
 * E|h|^2 = 1, w ~ CN(0, n0). The instantaneous SNR per symbol is gamma = |h|^2 Es/N0 with mean
 * gamma_bar = Es/N0 = k Eb/N0 (k bits per symbol). The receiver decides on y/h by minimum
 * distance (per axis for square QAM, by phase sector for PSK) and outputs the label of the point
 * chosen; labels are the Gray labels of channel/modem.h. With perfect CSI a symbol's error
 * probability depends on its own gain only, so the uncoded average BER and SER depend on the
 * distribution of |h|^2 alone: the coherence length and the Doppler spread of the fading do not
 * change them, and these functions ignore those fields of the configuration.
 *
 * Every result is exact up to floating point: closed forms with erfc where they exist, and
 * otherwise one-dimensional integrals of Craig's form evaluated by GSL adaptive quadrature to a
 * relative tolerance of 1e-12. Probabilities below about 1e-300 underflow to 0. GSL's return
 * codes are checked and turned into SIM_ENUMERIC; GSL's default error handler aborts, so
 * a caller turns it off first (gsl_set_error_handler_off(), as bersim's main does). All state is
 * local or thread-local: the functions may run in several threads at once. */
#ifndef SIM_THEORY_H
#define SIM_THEORY_H

#include "channel.h"

#include "sim_error.h"

/* Every function returns a status of sim_error.h (SIM_OK = 0) and records a message
 * (sim_last_error) when it fails: SIM_EINVAL for an argument outside its domain (NaN SNR, K < 0,
 * NULL pointer), SIM_EUNSUPPORTED where no exact theory exists (a custom constellation),
 * SIM_ENUMERIC when a quadrature fails to reach its tolerance, SIM_ENOMEM when its workspace
 * cannot be allocated. */

/* BER and SER of built-in modulation `mod` over channel `chan` at Eb/N0 = ebn0_db (dB, finite).
 *
 * chan: kind AWGN, Rayleigh or Rician with its k_factor (linear, finite, >= 0); coherence and
 * doppler are ignored (see above). bpsk is sim_theory_psk with M = 2, 8psk with M = 8; qpsk
 * (Gray QPSK is Gray 4-QAM), 16qam, 64qam and 256qam are sim_theory_qam.
 * ber, ser: outputs, the probabilities that a bit, respectively a symbol, is decided wrongly.
 * Returns 0, or SIM_EINVAL (NaN or infinite ebn0_db, bad channel, NULL pointer, unknown
 * kind), SIM_EUNSUPPORTED (CH_MOD_CUSTOM), SIM_ENUMERIC or SIM_ENOMEM, with
 * a message in sim_last_error(); *ber and *ser are unchanged on error. */
int sim_theory_point(ch_mod_kind mod, const ch_fading_config *chan, double ebn0_db, double *ber,
                     double *ser);

/* BER and SER of Gray-labelled M-PSK: point i at phase 2 pi i / M (any common rotation gives
 * the same result) with the binary-reflected Gray label i ^ (i >> 1), phase-sector decisions.
 *
 * m: the order, a power of two from 2 to CH_MODEM_MAX_ORDER. M = 2 is BPSK (closed form). For
 * M >= 4 the SER is Craig's integral and the BER weights the exact probability of each decision
 * sector by the mean Hamming distance between labels that far apart on the circle.
 * chan, ebn0_db, ber, ser, return value: as sim_theory_point (EINVAL also for a bad m). */
int sim_theory_psk(unsigned m, const ch_fading_config *chan, double ebn0_db, double *ber,
                   double *ser);

/* BER and SER of Gray-labelled square M-QAM, unit average energy: the I-axis and Q-axis levels
 * are L = sqrt(M)-PAM, each labelled i ^ (i >> 1) along its levels (channel/modem.h), per-axis
 * decisions. M = 4 is QPSK. The direction in which the levels are counted does not matter:
 * reversing it XORs every axis label with the same constant, which keeps all Hamming distances.
 *
 * m: the order, 4^n from 4 to CH_MODEM_MAX_ORDER.
 * chan, ebn0_db, ber, ser, return value: as sim_theory_point (EINVAL also for a bad m). */
int sim_theory_qam(unsigned m, const ch_fading_config *chan, double ebn0_db, double *ber,
                   double *ser);

/* BER of Gray BPSK, QPSK or square QAM over block Rayleigh fading (h ~ CN(0, 1) constant over a
 * block) detected coherently with the least-squares estimate h_ls = y_p of one unit-energy pilot
 * y_p = h + w_p in the same block and noise: the decisions are those of the nearest point to
 * y / h_ls (per axis), as bersim's classical receivers make them with --csi pilot.
 *
 * Given h_ls, h is Gaussian with mean h_ls / (1 + n0) and variance n0 / (1 + n0), so y / h_ls is
 * Gaussian with mean x / (1 + n0) and variance (|x|^2 n0 / (1 + n0) + n0) / |h_ls|^2, and
 * |h_ls|^2 is exponential with mean 1 + n0: each decision interval's probability averages in
 * closed form (E Q(kappa sqrt(G)) of an exponential G), and the BER sums them with the Hamming
 * distances of the labels, over every point sent. The estimate's shrinkage by 1 / (1 + n0) and
 * its error both show in the result.
 *
 * esn0_db: Es/N0 of the data symbols and of the pilot (n0 = 10^(-esn0_db / 10)). Returns 0,
 * SIM_EUNSUPPORTED for 8psk and custom constellations, or SIM_EINVAL. */
int sim_theory_ls_pilot(ch_mod_kind mod, double esn0_db, double *ber);

/* Block error rate of bounded-distance hard decoding of code (radius t, ch_code_hard_radius) over
 * BPSK and AWGN at Eb/N0 = ebn0_db (information bits; the code's rate counted): exactly
 * P(more than t of the n hard decisions wrong) = sum_(i > t) C(n, i) p^i (1 - p)^(n - i),
 * p = Q(sqrt(2 R Eb/N0)), since a block is decoded right exactly when at most t bits cross over
 * (beyond, either no codeword is within t, a failure, or a wrong one is). Gray QPSK is two
 * BPSK axes: the same. Returns SIM_OK, SIM_EUNSUPPORTED without a hard decoder, SIM_EINVAL. */
int sim_theory_code_hard(const ch_code *code, double ebn0_db, double *bler);

/* The union bound on the block error rate of soft ML decoding of code over BPSK and AWGN:
 * sum_w A_w Q(sqrt(2 w R Eb/N0)) with the weight distribution A (k <= 24). Returns SIM_OK,
 * SIM_EUNSUPPORTED without a weight distribution, SIM_EINVAL. */
int sim_theory_code_union(const ch_code *code, double ebn0_db, double *bound);



#endif
