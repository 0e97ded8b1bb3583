/* sim/: links and experiments. The Monte Carlo engine, the receiver interface (hard, max-log,
 * exact, learned), exact theory, training of learned receivers, result tables and their
 * statistics. The bersim command (main.c, cmd_*.c) is built on these. */
#ifndef SIM_H
#define SIM_H

#include "engine.h"
#include "receiver.h"
#include "rx_features.h"
#include "stats.h"
#include "table.h"
#include "theory.h"
#include "train.h"

#endif
