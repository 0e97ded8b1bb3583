/* bersim sim, parse only (parse.h). */
#include "parse.h"

#define sim_cmd_sim fuzz_unused_sim_cmd_sim
#include "../../sim/cmd_sim.c"
#undef sim_cmd_sim

int fuzz_parse_sim(int argc, char **argv)
{
    if (sim_cli_wants_help(argc, argv)) return 0;
    static sim_options o;
    return parse_options(&o, argc, argv);
}
