/* nn/: the network library — layers with their derivations, losses, optimizers, training and
 * model files (README: Design, File formats). It knows nothing of modulation. */
#ifndef NN_H
#define NN_H
#include "nn_checkpoint.h"
#include "nn_error.h"
#include "nn_file.h"
#include "nn_model.h"
#include "nn_net.h"
#include "nn_optim.h"
#include "nn_train.h"
#endif
