/* Helpers shared by the libFuzzer harnesses (tests/fuzz/README: what each one fuzzes). The
 * loaders take a path, so an input is written to one temporary file a process, in /dev/shm when
 * there is one (memory, no disk). */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char fuzz_path_buf[64];

static inline void fuzz_remove_tmp(void)
{
    if (fuzz_path_buf[0]) unlink(fuzz_path_buf);
}

/* The temporary file of this process, made on the first call. */
static inline const char *fuzz_tmp_path(void)
{
    if (fuzz_path_buf[0]) return fuzz_path_buf;
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzz_path_buf, sizeof fuzz_path_buf, "%s/bersim-fuzz-XXXXXX", dir);
    int fd = mkstemp(fuzz_path_buf);
    if (fd < 0) {
        perror("fuzz: mkstemp");
        abort();
    }
    close(fd);
    atexit(fuzz_remove_tmp);
    return fuzz_path_buf;
}

/* Writes data[0..size) to path, replacing what was there. */
static inline void fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror("fuzz: writing the input file");
        abort();
    }
}

#endif
