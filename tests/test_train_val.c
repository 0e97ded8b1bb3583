/* The validation set of training grows with the run: 1/64 of the samples trained on, between
 * SIM_TRAIN_VAL_SAMPLES_MIN and SIM_TRAIN_VAL_SAMPLES, in whole batches (at least one), so that
 * its 21 passes cost about a ninth of the training whatever --steps is. */
#include "test_util.h"

#include "train_internal.h"

static void test_val_samples(void **state)
{
    (void)state;
    assert_int_equal(sim_train_val_samples(250, 256), SIM_TRAIN_VAL_SAMPLES_MIN); /* 1000 */
    assert_int_equal(sim_train_val_samples(3000, 256), 11776);   /* 12000, in whole batches */
    assert_int_equal(sim_train_val_samples(10000, 256), SIM_TRAIN_VAL_SAMPLES);
    assert_int_equal(sim_train_val_samples(1, 4096), 4096);      /* at least one batch */
    assert_int_equal(sim_train_val_samples(100000, 3000), 15000); /* 16384 in whole batches */
    /* Proportional between the bounds: 21 passes are at most a third of the samples trained. */
    for (uint64_t steps = 1000; steps <= 4000; steps += 500) {
        size_t v = sim_train_val_samples(steps, 128);
        assert_true(v % 128 == 0 && v >= SIM_TRAIN_VAL_SAMPLES_MIN);
        assert_true(21 * v <= steps * 128 / 3 + 21 * SIM_TRAIN_VAL_SAMPLES_MIN);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_val_samples)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
