/* Shared helpers of the tests of channel/: a random stream and a complex array, or the test
 * fails. */
#ifndef TEST_CHANNEL_UTIL_H
#define TEST_CHANNEL_UTIL_H

#include "test_util.h"

#include <complex.h>
#include <stdlib.h>

#include "channel.h"

static inline ch_rng *make_rng(uint64_t seed, uint64_t stream)
{
    ch_rng *r = ch_rng_create(seed, stream);
    assert_non_null(r);
    return r;
}

static inline float complex *make_array(size_t n)
{
    float complex *a = malloc(n * sizeof *a);
    assert_non_null(a);
    return a;
}

#endif
