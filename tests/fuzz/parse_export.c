/* bersim export, parse only (parse.h): the options, then the pair it names loaded (what the
 * command checks before it writes anything); --ofdm goes to parse_export_ofdm.c as in the
 * command. */
#include "parse.h"

#define sim_cmd_export fuzz_unused_sim_cmd_export
#include "../../sim/cmd_export.c"
#undef sim_cmd_export

int fuzz_parse_export(int argc, char **argv)
{
    if (sim_cli_wants_help(argc, argv)) return 0;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--ofdm") == 0) return fuzz_parse_export_ofdm(argc, argv);
    export_options o;
    if (parse_options(&o, argc, argv) != 0) return -1;
    sim_e2e *e = sim_e2e_load(o.model);
    sim_e2e_destroy(e);
    return e ? 0 : -1;
}
