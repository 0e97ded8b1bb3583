/* sim/: links and experiments. One link description (link.h), the chain of stages it runs as
 * (stage.h, chain.h; detectors classical and learned: receiver.h), the Monte Carlo engine and
 * its schedulers (engine.h), exact theory, training of learned receivers, result tables and
 * their statistics, and one error style (sim_error.h). The bersim command (main.c, cmd_*.c) is
 * built on these. */
#ifndef SIM_H
#define SIM_H

#include "chain.h"
#include "engine.h"
#include "link.h"
#include "receiver.h"
#include "rx_features.h"
#include "sim_error.h"
#include "stage.h"
#include "stats.h"
#include "table.h"
#include "theory.h"
#include "train.h"

#endif
