/* bersim export --ofdm, parse only (parse.h). */
#include "parse.h"

#define sim_cmd_export_ofdm fuzz_unused_sim_cmd_export_ofdm
#include "../../sim/cmd_export_ofdm.c"
#undef sim_cmd_export_ofdm

int fuzz_parse_export_ofdm(int argc, char **argv)
{
    static frame_options o;
    return parse_options(&o, argc, argv);
}
