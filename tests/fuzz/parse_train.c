/* bersim train, parse only (parse.h). */
#include "parse.h"

#define sim_cmd_train fuzz_unused_sim_cmd_train
#include "../../sim/cmd_train.c"
#undef sim_cmd_train

int fuzz_parse_train(int argc, char **argv)
{
    if (sim_cli_wants_help(argc, argv)) return 0;
    static train_options o;
    return parse_options(&o, argc, argv);
}
