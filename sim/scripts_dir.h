/* Where the installed bersim finds its gnuplot scripts (scripts_dir.c; built into the bersim
 * executable only, not into libsim). */
#ifndef SIM_SCRIPTS_DIR_H
#define SIM_SCRIPTS_DIR_H

/* Unless BERSIM_SCRIPTS is set, sets it to the installed scripts directory when this binary
 * runs from an installed tree (BINDIR/../share/bersim/scripts, however the prefix was moved);
 * the build tree's binary leaves it unset and reads the source tree's scripts/. */
void sim_locate_scripts(void);

#endif
