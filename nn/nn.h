/* nn/: the network library. */
#ifndef NN_H
#define NN_H
#include "nn_error.h"
#endif
