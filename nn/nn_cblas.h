/* Private: the CBLAS header of the build — OpenBLAS's where CMake found it (BERSIM_OPENBLAS),
 * GSL's otherwise. Both declare the same cblas_sgemm. */
#ifndef NN_CBLAS_H
#define NN_CBLAS_H

#ifdef BERSIM_OPENBLAS
#include <cblas.h>
#else
#include <gsl/gsl_cblas.h>
#endif

#endif
