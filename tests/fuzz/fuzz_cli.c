/* libFuzzer harness: the command-line parser of every bersim subcommand, parse and checks only
 * (parse.h). An input is one argument a line, the first the subcommand (sim, theory, train,
 * export, demo, bench, plot), as the seeds in the corpus are written.
 *
 * The parsers open the files they are given (models, constellations) and demo's makes its
 * output directory, so the harness runs in a scratch directory holding copies of the valid
 * files that make_corpus.sh wrote (FUZZ_FILES_DIR, or $BERSIM_FUZZ_FILES), and refuses an
 * argument with a '/' in it: every path then names a file in the scratch directory, and no
 * input can read a device or make a directory elsewhere. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <gsl/gsl_errno.h>

#include <nn.h>

#include "fuzz_util.h"
#include "parse.h"

#ifndef FUZZ_FILES_DIR
#define FUZZ_FILES_DIR "."
#endif

enum { MAX_ARGS = 64 };

static char scratch[64];
static int scratch_fd = -1, home_fd = -1; /* the scratch directory, and the one libFuzzer runs in */

static void remove_scratch(void)
{
    DIR *d = opendir(scratch);
    struct dirent *e;
    char path[4200];
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", scratch, e->d_name);
        if (unlink(path) != 0) rmdir(path);
    }
    if (d) closedir(d);
    rmdir(scratch);
}

/* Copies the regular files of dir into the scratch directory. */
static void copy_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char from[4200], to[4200], buf[65536];
    while (d && (e = readdir(d))) {
        struct stat st;
        snprintf(from, sizeof from, "%s/%s", dir, e->d_name);
        if (stat(from, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        snprintf(to, sizeof to, "%s/%s", scratch, e->d_name);
        FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
        size_t n;
        while (in && out && (n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
        if (in) fclose(in);
        if (out) fclose(out);
    }
    if (d) closedir(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    gsl_set_error_handler_off();
    nn_blas_set_threads(1);
    const char *files = getenv("BERSIM_FUZZ_FILES") ? getenv("BERSIM_FUZZ_FILES")
                                                    : FUZZ_FILES_DIR;
    const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(scratch, sizeof scratch, "%s/bersim-fuzz-cli-XXXXXX", tmp);
    if (!mkdtemp(scratch)) {
        perror("fuzz_cli: mkdtemp");
        abort();
    }
    atexit(remove_scratch);
    copy_files(files);
    /* the parsers run in the scratch directory; libFuzzer's own relative paths (corpus,
     * artifacts) stay where they were between inputs */
    scratch_fd = open(scratch, O_RDONLY | O_DIRECTORY);
    home_fd = open(".", O_RDONLY | O_DIRECTORY);
    if (scratch_fd < 0 || home_fd < 0) {
        perror("fuzz_cli: the scratch directory");
        abort();
    }
    return 0;
}

static const struct {
    const char *name;
    int (*parse)(int argc, char **argv);
} commands[] = {
    {"sim", fuzz_parse_sim},       {"theory", fuzz_parse_theory}, {"train", fuzz_parse_train},
    {"export", fuzz_parse_export}, {"demo", fuzz_parse_demo},     {"bench", fuzz_parse_bench},
    {"plot", fuzz_parse_plot},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    for (char *at = text; argc < MAX_ARGS;) {
        argv[argc++] = at;
        char *nl = memchr(at, '\n', (size_t)(text + size - at));
        if (!nl) break;
        *nl = '\0';
        at = nl + 1;
        if (at == text + size) break; /* a last newline ends the last argument */
    }
    argv[argc] = NULL;
    int ok = 1;
    for (int i = 0; i < argc; i++) ok &= strchr(argv[i], '/') == NULL;
    if (ok && fchdir(scratch_fd) != 0) abort();
    for (size_t c = 0; ok && c < sizeof commands / sizeof commands[0]; c++)
        if (strcmp(argv[0], commands[c].name) == 0) commands[c].parse(argc, argv);
    if (ok && fchdir(home_fd) != 0) abort();
    free(text);
    return 0;
}
