/* Helpers of the tests of sim/: links made into chains, points run through the engine. */
#ifndef TEST_SIM_H
#define TEST_SIM_H

#include "test_util.h"

#include "sim.h"

/* The chain of a link, or the test fails with the reason. */
static inline sim_chain *test_chain(sim_link link, unsigned options)
{
    sim_chain *c = sim_chain_create(&link, options);
    if (!c) fail_msg("sim_chain_create: %s", sim_last_error());
    return c;
}

/* Point `point` of chain c at Eb/N0 = ebn0_db under the stop rule, with `threads` threads. */
static inline sim_counts test_run_point(const sim_chain *c, uint64_t seed, unsigned point,
                                        double ebn0_db, uint64_t min_errors, uint64_t max_bits,
                                        int threads)
{
    sim_engine_config cfg = {.chain = c, .seed = seed, .min_errors = min_errors,
                             .max_bits = max_bits, .threads = threads};
    sim_counts counts;
    assert_int_equal(sim_engine_run_point(&cfg, point, ebn0_db, &counts), SIM_OK);
    return counts;
}

/* A link of a built-in modulation over a fading channel with a classical receiver. */
static inline sim_link test_link(ch_mod_kind mod, ch_fading_config fading, sim_rx_kind rx)
{
    return (sim_link){.mod = mod, .fading = fading, .rx = rx};
}

#endif
