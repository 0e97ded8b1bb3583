/* channel/: signals. Random streams, constellations, mapper and demappers, AWGN and flat
 * fading channels, pilot patterns, channel codes and their decoders, training pairs. Processing
 * functions take caller-owned arrays with explicit lengths and allocate nothing; stateful
 * blocks live from _create to _destroy. */
#ifndef CHANNEL_H
#define CHANNEL_H

#include "ch_error.h"
#include "code.h"
#include "fading.h"
#include "modem.h"
#include "multipath.h"
#include "ofdm.h"
#include "ofdm_est.h"
#include "pairs.h"
#include "pilots.h"
#include "rng.h"

#endif
