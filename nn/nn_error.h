/* Error codes and messages of nn/. */
#ifndef NN_ERROR_H
#define NN_ERROR_H

/* One table gives each code and its generic message. */
#define NN_ERROR_TABLE(X)                                                                          \
    X(NN_OK, "success")                                                                            \
    X(NN_EINVAL, "invalid argument")                                                               \
    X(NN_ENOMEM, "out of memory")                                                                  \
    X(NN_EIO, "input/output error")                                                                \
    X(NN_EFORMAT, "malformed file")                                                                \
    X(NN_EVERSION, "unsupported file format version")                                              \
    X(NN_ECRC, "checksum mismatch")                                                                \
    X(NN_ETRUNC, "truncated file")                                                                 \
    X(NN_ELIMIT, "size beyond the limits")                                                         \
    X(NN_ECALLBACK, "a caller's callback failed")                                                  \
    X(NN_ENONFINITE, "non-finite value")

typedef enum {
#define NN_ERROR_ENUM(code, msg) code,
    NN_ERROR_TABLE(NN_ERROR_ENUM)
#undef NN_ERROR_ENUM
} nn_status;

/* The generic message of a status code. */
const char *nn_strerror(int status);

/* The detailed message of the last error raised in this thread ("" if none): it names the
 * function and the bad value, e.g. "nn_model_load: model.bin: CRC mismatch". */
const char *nn_last_error(void);

/* The status of the last error raised in this thread (NN_OK if none): constructors, which
 * return NULL, report their code here. */
int nn_last_status(void);

/* Records a detailed message and status for this thread and returns status, so that a failing
 * function can end with `return nn_error(NN_EINVAL, "nn_x: n=%zu", n);`. */
int nn_error(int status, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
