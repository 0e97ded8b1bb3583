/* Reading back an interrupted `bersim sim` table for --resume: the command that made it (the
 * shell-quoted `# command:` line, read back into words), its finished rows (kept verbatim) and
 * whether its sweep ended early for good (a point without errors). */
#ifndef SIM_RESUME_H
#define SIM_RESUME_H

#include <stdbool.h>
#include <stddef.h>

#define SIM_RESUME_MAX_WORDS 256

typedef struct {
    char *words[SIM_RESUME_MAX_WORDS]; /* the command after "bersim": "sim", "--mod", ... */
    int nwords;
    char **rows;   /* the finished rows, each a line without its newline */
    size_t nrows;
    double *ebn0;  /* their first column */
    bool ended;    /* "# stopped:" says the sweep ended at a point without errors */
    const char *inputs; /* its "# inputs:" line's value (in text), or NULL (none, or older) */
    char *text;    /* the file (owned) */
} sim_resume;

/* Reads path into *r. SIM_OK, or SIM_EINVAL / SIM_EIO with a message naming the file. */
int sim_resume_read(const char *path, sim_resume *r);

/* Frees what *r holds. */
void sim_resume_free(sim_resume *r);

#endif
