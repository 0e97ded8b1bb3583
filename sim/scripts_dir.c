/* The installed binary's scripts directory, exported as BERSIM_SCRIPTS for the commands that
 * draw figures (and the scripts they run). Paths come from CMake: BERSIM_BUILD_DIR, where the
 * build tree's bersim lives, and BERSIM_SCRIPTS_FROM_BIN, the install's scripts directory
 * relative to its bin directory. */
#define _XOPEN_SOURCE 700 /* realpath */

#include "scripts_dir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef BERSIM_BUILD_DIR
#define BERSIM_BUILD_DIR ""
#endif
#ifndef BERSIM_SCRIPTS_FROM_BIN
#define BERSIM_SCRIPTS_FROM_BIN "../share/bersim/scripts"
#endif

void sim_locate_scripts(void)
{
    const char *set = getenv("BERSIM_SCRIPTS");
    if (set && *set) return;
    char exe[PATH_MAX], build[PATH_MAX], rel[2 * PATH_MAX], dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 || n >= (ssize_t)sizeof exe - 1) return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash) return;
    *slash = '\0';
    if (realpath(BERSIM_BUILD_DIR, build) && strcmp(build, exe) == 0) return;
    struct stat st;
    snprintf(rel, sizeof rel, "%s/%s", exe, BERSIM_SCRIPTS_FROM_BIN);
    if (realpath(rel, dir) && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        setenv("BERSIM_SCRIPTS", dir, 1);
}
