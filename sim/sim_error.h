/* Error codes and messages of sim/, in the style of channel/ and nn/: a fallible function returns
 * a status (0 = success; constructors return NULL) and records a one-line message naming what is
 * wrong; only the command line prints it. */
#ifndef SIM_ERROR_H
#define SIM_ERROR_H

/* One table gives each code and its generic message. */
#define SIM_ERROR_TABLE(X)                                                                         \
    X(SIM_OK, "success")                                                                           \
    X(SIM_EINVAL, "invalid argument")                                                              \
    X(SIM_ENOMEM, "out of memory")                                                                 \
    X(SIM_EIO, "input/output error")                                                               \
    X(SIM_EMODEL, "model made for another link")                                                   \
    X(SIM_EUNSUPPORTED, "not supported for this link")                                             \
    X(SIM_ENUMERIC, "numerical failure")                                                           \
    X(SIM_EINTERRUPTED, "interrupted")

typedef enum {
#define SIM_ERROR_ENUM(code, msg) code,
    SIM_ERROR_TABLE(SIM_ERROR_ENUM)
#undef SIM_ERROR_ENUM
} sim_status;

/* The generic message of a status code. */
const char *sim_strerror(int status);

/* The detailed message of the last error raised in this thread ("" if none), one line naming
 * what is wrong, e.g. "model 'q.model' was trained for modulation qpsk, not 16qam". */
const char *sim_last_error(void);

/* Records a message for this thread and returns status: `return sim_error(SIM_EINVAL, ...);`. */
int sim_error(int status, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
