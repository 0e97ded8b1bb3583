/* The subcommands of bersim. Each takes argv from its own name on and returns the process exit
 * status: 0 on success, 2 on a user's mistake (one line on stderr), 1 on another failure. */
#ifndef SIM_COMMANDS_H
#define SIM_COMMANDS_H

int sim_cmd_bench(int argc, char **argv);
int sim_cmd_sim(int argc, char **argv);
int sim_cmd_theory(int argc, char **argv);
int sim_cmd_demo(int argc, char **argv);
int sim_cmd_train(int argc, char **argv);
int sim_cmd_export(int argc, char **argv);
/* bersim export --ofdm: one OFDM frame's response and its estimates (cmd_export_ofdm.c). */
int sim_cmd_export_ofdm(int argc, char **argv);
/* bersim plot: tables to a figure through gnuplot (cmd_plot.c). */
int sim_cmd_plot(int argc, char **argv);

/* The directory of the gnuplot scripts: $BERSIM_SCRIPTS when set, else the one the build
 * names (BERSIM_SCRIPTS_DIR). */
const char *sim_scripts_dir(void);

#endif
