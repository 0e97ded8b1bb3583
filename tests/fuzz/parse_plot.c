/* bersim plot, parse only (parse.h): the tables it names are not read and gnuplot is not run
 * (fuzz_table.c reads tables). cmd_plot.c also defines sim_scripts_dir, which the library's copy
 * keeps: renamed here too. */
#include "parse.h"

#define sim_cmd_plot fuzz_unused_sim_cmd_plot
#define sim_scripts_dir fuzz_unused_sim_scripts_dir
#include "../../sim/cmd_plot.c"
#undef sim_cmd_plot
#undef sim_scripts_dir

int fuzz_parse_plot(int argc, char **argv)
{
    if (sim_cli_wants_help(argc, argv)) return 0;
    static plot_options o;
    return parse_options(&o, argc, argv);
}
