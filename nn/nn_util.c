/* Memory, random numbers for initialisation, CRC-32 and atomic file writes. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nn_internal.h"

/* ---- memory ---------------------------------------------------------------------------- */

static atomic_uint_fast64_t alloc_count;

uint64_t nn_alloc_count(void)
{
    return (uint64_t)atomic_load_explicit(&alloc_count, memory_order_relaxed);
}

size_t nn_round_floats(size_t count)
{
    const size_t line = NN_ALIGN / sizeof(float);
    return (count + line - 1) / line * line;
}

void *nn_alloc_bytes(size_t bytes)
{
    atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed);
    return malloc(bytes ? bytes : 1);
}

float *nn_alloc_floats(size_t count)
{
    if (count > (SIZE_MAX - NN_ALIGN) / sizeof(float)) return NULL;
    /* aligned_alloc wants a multiple of the alignment */
    size_t bytes = nn_round_floats(count ? count : 1) * sizeof(float);
    atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed);
    float *p = aligned_alloc(NN_ALIGN, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void nn_free(void *p)
{
    free(p);
}

/* ---- random numbers ---------------------------------------------------------------------- */

nn_rng nn_rng_seed(uint64_t seed, uint64_t stream)
{
    /* Distinct streams start far apart on the splitmix64 counter. */
    nn_rng rng = {seed ^ (stream * 0xD1B54A32D192ED03u)};
    (void)nn_rng_u64(&rng);
    return rng;
}

uint64_t nn_rng_u64(nn_rng *rng)
{
    uint64_t z = (rng->state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

double nn_rng_uniform(nn_rng *rng)
{
    /* 53 random bits, offset by half a unit so that 0 never occurs */
    return ((double)(nn_rng_u64(rng) >> 11) + 0.5) * 0x1p-53;
}

double nn_rng_normal(nn_rng *rng)
{
    const double two_pi = 6.283185307179586476925;
    double u = nn_rng_uniform(rng), v = nn_rng_uniform(rng);
    return sqrt(-2.0 * log(u)) * cos(two_pi * v);
}

/* ---- CRC-32 ------------------------------------------------------------------------------ */

uint32_t nn_crc32(uint32_t crc, const void *data, size_t n)
{
    /* The table is rebuilt per call (2048 shifts, nothing next to writing a file) so that
     * there is no shared state to initialise across threads. */
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int b = 0; b < 8; b++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* ---- atomic files ------------------------------------------------------------------------ */

/* Anything but a plain file (a device such as /dev/null, a pipe, a symbolic link such as
 * /dev/stdout) is written through as it is: renaming a temporary file onto it would replace it
 * rather than write to it. */
static int is_special(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

static const char temp_suffix[] = ".tmpXXXXXX";

/* Copies path into a new string with room for extra more bytes; NULL when out of memory. */
static char *copy_path(const char *path, size_t extra)
{
    size_t len = strlen(path);
    char *copy = nn_alloc_bytes(len + 1 + extra);
    if (copy) memcpy(copy, path, len + 1);
    return copy;
}

/* Opens a special file for writing straight through (temp_path NULL). */
static int open_through(nn_atomic_file *af, const char *path, const char *who)
{
    af->temp_path = NULL;
    af->final_path = copy_path(path, 0);
    if (!af->final_path) return nn_error(NN_ENOMEM, "%s '%s': out of memory", who, path);
    af->f = fopen(path, "wb");
    /* from here errno holds the reason of the first failed write, for the commit to report */
    if (af->f) return errno = 0, NN_OK;
    int status = nn_error(NN_EIO, "cannot write %s '%s': %s", who, path, strerror(errno));
    nn_free(af->final_path);
    return status;
}

/* True when name is base followed by the suffix mkstemp fills in (".tmp" and six letters or
 * digits): a temporary file of base left by a run that was killed. */
static bool is_stale_temp(const char *name, const char *base)
{
    size_t len = strlen(base), fixed = sizeof temp_suffix - 7; /* ".tmp" */
    if (strncmp(name, base, len) != 0 || strncmp(name + len, temp_suffix, fixed) != 0) return false;
    const char *x = name + len + fixed;
    for (int i = 0; i < 6; i++)
        if (!((x[i] >= 'a' && x[i] <= 'z') || (x[i] >= 'A' && x[i] <= 'Z') ||
              (x[i] >= '0' && x[i] <= '9')))
            return false;
    return x[6] == '\0';
}

void nn_atomic_remove_stale(const char *path)
{
    char *dir = copy_path(path, 2);
    if (!dir) return;
    char *slash = strrchr(dir, '/');
    const char *base = slash ? path + (slash - dir) + 1 : path;
    if (!slash) strcpy(dir, ".");
    else slash[slash == dir] = '\0'; /* "/x" keeps its root */
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!is_stale_temp(e->d_name, base)) continue;
        char *stale = nn_alloc_bytes(strlen(dir) + strlen(e->d_name) + 2);
        if (stale) sprintf(stale, "%s/%s", dir, e->d_name), remove(stale);
        nn_free(stale);
    }
    if (d) closedir(d);
    nn_free(dir);
}

int nn_atomic_open(nn_atomic_file *af, const char *path, const char *who)
{
    if (is_special(path)) return open_through(af, path, who);
    af->f = NULL;
    nn_atomic_remove_stale(path);
    af->temp_path = copy_path(path, sizeof temp_suffix);
    af->final_path = copy_path(path, 0);
    if (!af->temp_path || !af->final_path) goto fail_nomem;
    strcat(af->temp_path, temp_suffix);
    int fd = mkstemp(af->temp_path);
    if (fd >= 0) {
        /* mkstemp makes files 0600; a model gets what any new file gets: 0666 less the umask. */
        mode_t mask = umask(0);
        umask(mask);
        fchmod(fd, 0666 & ~mask);
    }
    if (fd < 0) {
        int status = nn_error(NN_EIO, "cannot write %s '%s': cannot create a temporary file "
                              "beside it: %s", who, path, strerror(errno));
        nn_free(af->temp_path);
        nn_free(af->final_path);
        return status;
    }
    af->f = fdopen(fd, "wb");
    if (!af->f) {
        close(fd);
        remove(af->temp_path);
        goto fail_nomem;
    }
    errno = 0; /* as in open_through */
    return NN_OK;

fail_nomem:
    nn_free(af->temp_path);
    nn_free(af->final_path);
    return nn_error(NN_ENOMEM, "%s '%s': out of memory", who, path);
}

/* Closes a file written through; a full device reports here. */
static int commit_through(nn_atomic_file *af, const char *who)
{
    int bad = ferror(af->f) || fflush(af->f) != 0;
    int err = errno;
    if (fclose(af->f) != 0 && !bad) bad = 1, err = errno;
    /* ferror alone leaves errno as the failed write set it, which is the reason wanted */
    int status = bad ? nn_error(NN_EIO, "cannot write %s '%s': %s", who, af->final_path,
                                strerror(err ? err : EIO))
                     : NN_OK;
    nn_free(af->final_path);
    return status;
}

int nn_atomic_commit(nn_atomic_file *af, const char *who)
{
    if (!af->temp_path) return commit_through(af, who);
    int bad = ferror(af->f) || fflush(af->f) != 0 || fsync(fileno(af->f)) != 0;
    int err = errno;
    if (fclose(af->f) != 0 && !bad) bad = 1, err = errno;
    bool renaming = !bad;
    if (!bad && rename(af->temp_path, af->final_path) != 0) bad = 1, err = errno;
    int status = NN_OK;
    if (bad && renaming && remove(af->temp_path) != 0)
        /* complete but not renamed, and in a directory that refuses changes: say where it is */
        status = nn_error(NN_EIO, "cannot write %s '%s': %s; it is complete in '%s'", who,
                          af->final_path, strerror(err), af->temp_path);
    else if (bad)
        status = nn_error(NN_EIO, "cannot write %s '%s': %s", who, af->final_path,
                          strerror(err ? err : EIO));
    if (bad && !renaming) remove(af->temp_path);
    nn_free(af->temp_path);
    nn_free(af->final_path);
    return status;
}

void nn_atomic_abort(nn_atomic_file *af)
{
    fclose(af->f);
    if (af->temp_path) remove(af->temp_path);
    nn_free(af->temp_path);
    nn_free(af->final_path);
}

/* ---- metadata lines -------------------------------------------------------------------- */

/* Writes one byte of a metadata value, escaped where it could end or hide the line. */
static void put_escaped(FILE *f, unsigned char c)
{
    static const char from[] = "\\\n\r\t", to[] = "\\nrt";
    const char *at = c ? strchr(from, c) : NULL;
    if (at) fprintf(f, "\\%c", to[at - from]);
    else if (c < 0x20 || c == 0x7f) fprintf(f, "\\x%02x", c);
    else fputc(c, f);
}

void nn_file_put_meta(FILE *f, const char *key, const char *value)
{
    fputs("# ", f);
    for (const char *c = key; *c; c++) put_escaped(f, (unsigned char)*c);
    fputs(": ", f);
    for (const char *c = value; *c; c++) put_escaped(f, (unsigned char)*c);
    fputc('\n', f);
}

/* ---- little-endian binary writing ------------------------------------------------------ */

void nn_put_bytes(nn_writer *w, const void *p, size_t n)
{
    w->crc = nn_crc32(w->crc, p, n);
    fwrite(p, 1, n, w->f);
}

void nn_put_u32(nn_writer *w, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    nn_put_bytes(w, b, 4);
}

void nn_put_u64(nn_writer *w, uint64_t v)
{
    nn_put_u32(w, (uint32_t)v);
    nn_put_u32(w, (uint32_t)(v >> 32));
}

void nn_put_floats(nn_writer *w, size_t n, const float *v)
{
    unsigned char buf[4096];
    for (size_t done = 0; done < n;) {
        size_t chunk = n - done < sizeof buf / 4 ? n - done : sizeof buf / 4;
        for (size_t i = 0; i < chunk; i++) {
            uint32_t u;
            memcpy(&u, &v[done + i], sizeof u);
            for (int b = 0; b < 4; b++) buf[4 * i + (size_t)b] = (unsigned char)(u >> (8 * b));
        }
        nn_put_bytes(w, buf, 4 * chunk);
        done += chunk;
    }
}

void nn_put_string(nn_writer *w, const char *s)
{
    size_t len = strlen(s);
    nn_put_u32(w, (uint32_t)len);
    nn_put_bytes(w, s, len);
}
