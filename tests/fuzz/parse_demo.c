/* bersim demo, parse only (parse.h). Its parser makes the output directory; fuzz_cli.c runs in a
 * scratch directory and refuses paths with '/', and the directory is removed again here when it
 * was made (rmdir removes only an empty one). */
#include "parse.h"

#define sim_cmd_demo fuzz_unused_sim_cmd_demo
#include "../../sim/cmd_demo.c"
#undef sim_cmd_demo

int fuzz_parse_demo(int argc, char **argv)
{
    if (sim_cli_wants_help(argc, argv)) return 0;
    static demo_options o;
    memset(&o, 0, sizeof o);
    int status = parse_options(&o, argc, argv);
    if (status == 0) rmdir(o.dir);
    return status;
}
