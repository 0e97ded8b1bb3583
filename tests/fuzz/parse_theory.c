/* bersim theory, parse only (parse.h). */
#include "parse.h"

#define sim_cmd_theory fuzz_unused_sim_cmd_theory
#include "../../sim/cmd_theory.c"
#undef sim_cmd_theory

int fuzz_parse_theory(int argc, char **argv)
{
    if (sim_cli_wants_help(argc, argv)) return 0;
    static theory_options o;
    return parse_options(&o, argc, argv);
}
