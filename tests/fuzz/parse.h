/* Parse-only entry points of the bersim subcommands, for fuzz_cli.c. Each parse_<command>.c
 * compiles that command's source (sim/cmd_<command>.c) into itself, its entry point renamed, to
 * reach the static parse_options() that the command runs before any work: the options are
 * parsed and checked exactly as `bersim <command>` does, and nothing is simulated, trained,
 * benchmarked or plotted. (A change to those static names breaks this build, not the command:
 * the CI fuzz step builds it.) Each returns 0 when the command line is accepted, nonzero
 * otherwise. */
#ifndef FUZZ_PARSE_H
#define FUZZ_PARSE_H

int fuzz_parse_sim(int argc, char **argv);
int fuzz_parse_theory(int argc, char **argv);
int fuzz_parse_train(int argc, char **argv);
int fuzz_parse_export(int argc, char **argv);
int fuzz_parse_export_ofdm(int argc, char **argv);
int fuzz_parse_demo(int argc, char **argv);
/* bench: the command itself with every figure's run replaced by a no-op. */
int fuzz_parse_bench(int argc, char **argv);
int fuzz_parse_plot(int argc, char **argv);

#endif
