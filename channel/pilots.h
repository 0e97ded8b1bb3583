/* Pilot patterns: where the known pilot symbols stand in a frame. The one place that knows it:
 * the transmitter inserts pilots with it, estimators and learned receivers find them with it,
 * and training draws whole frames of it.
 *
 * A frame is a grid of n_time symbol times by n_freq subcarriers (n_freq = 1 on a single carrier),
 * stored time-major: position (t, f) is index t n_freq + f. Pilot positions carry CH_PILOT (unit
 * energy, like every symbol); the other positions carry the data symbols in index order. A
 * stream of frames is frames one after the other. */
#ifndef CH_PILOTS_H
#define CH_PILOTS_H

#include <complex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The known pilot symbol. */
#define CH_PILOT 1.0f

/* Largest frame a pattern may have, in positions. */
#define CH_PILOTS_MAX_FRAME (1u << 20)

typedef struct ch_pilots ch_pilots;

/* The single-carrier block pattern: frames of `spacing` symbols whose first is the pilot
 * (spacing >= 2). NULL with a message (ch_last_error) for spacing < 2 or beyond
 * CH_PILOTS_MAX_FRAME, or when out of memory. */
ch_pilots *ch_pilots_create_block(unsigned spacing);

/* A general pattern: mask[n_time * n_freq] nonzero at the pilots (copied). At least one pilot
 * and one data position. NULL with a message otherwise, or when out of memory. */
ch_pilots *ch_pilots_create_grid(unsigned n_time, unsigned n_freq, const uint8_t *mask);

/* Frees p; NULL is a no-op. */
void ch_pilots_destroy(ch_pilots *p);

/* Positions in a frame (n_time n_freq), and how many of them are pilots and data. */
size_t ch_pilots_frame(const ch_pilots *p);
size_t ch_pilots_n_pilot(const ch_pilots *p);
size_t ch_pilots_n_data(const ch_pilots *p);
unsigned ch_pilots_n_time(const ch_pilots *p);
unsigned ch_pilots_n_freq(const ch_pilots *p);

/* True when position i of a frame (0 <= i < ch_pilots_frame) holds a pilot. */
bool ch_pilots_is_pilot(const ch_pilots *p, size_t i);

/* The share of the frame that carries data, n_data / frame: the rate pilots leave, which Eb/N0
 * counts like a code rate. */
double ch_pilots_rate(const ch_pilots *p);

/* Frame positions of the data symbols (n_data of them, ascending) and of the pilots (n_pilot),
 * borrowed from p. */
const uint32_t *ch_pilots_data_positions(const ch_pilots *p);
const uint32_t *ch_pilots_pilot_positions(const ch_pilots *p);

/* Gives the pilots their own symbols: pilot j (in the order of ch_pilots_pilot_positions) carries
 * values[j] (copied; unit modulus, like CH_PILOT) instead of CH_PILOT. CH_OK or CH_ENOMEM. */
int ch_pilots_set_values(ch_pilots *p, const float complex *values);

/* The symbol pilot j carries: CH_PILOT unless set by ch_pilots_set_values. */
float complex ch_pilots_value(const ch_pilots *p, size_t j);

/* Builds nframes frames: data[nframes n_data] go to the data positions of grid[nframes frame]
 * in order, each pilot's symbol (ch_pilots_value) to the pilots. data may be the last nframes n_data symbols of grid itself
 * (in place); otherwise they must not overlap. Allocates nothing. */
void ch_pilots_insert(const ch_pilots *p, size_t nframes, const float complex *data,
                      float complex *grid);

/* Takes nframes frames apart: the data positions of grid go to data[nframes n_data] in order
 * (NULL: not wanted), the pilot positions to pilots[nframes n_pilot]. Allocates nothing. */
void ch_pilots_split(const ch_pilots *p, size_t nframes, const float complex *grid,
                     float complex *data, float complex *pilots);

#endif
