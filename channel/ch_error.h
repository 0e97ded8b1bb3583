/* Error codes and messages of channel/. */
#ifndef CH_ERROR_H
#define CH_ERROR_H

/* One table gives each code and its generic message. */
#define CH_ERROR_TABLE(X)                                                                          \
    X(CH_OK, "success")                                                                            \
    X(CH_EINVAL, "invalid argument")                                                               \
    X(CH_ENOMEM, "out of memory")                                                                  \
    X(CH_EIO, "input/output error")                                                                \
    X(CH_EFORMAT, "malformed file")

typedef enum {
#define CH_ERROR_ENUM(code, msg) code,
    CH_ERROR_TABLE(CH_ERROR_ENUM)
#undef CH_ERROR_ENUM
} ch_status;

/* The generic message of a status code. */
const char *ch_strerror(int status);

/* The detailed message of the last error raised in this thread ("" if none): it names the
 * function and the bad value, e.g. "ch_modem_load: line 3: label 17 out of range". */
const char *ch_last_error(void);

/* Records a detailed message for this thread and returns status, so that a failing function
 * can end with `return ch_error(CH_EINVAL, "ch_x: n=%zu", n);`. */
int ch_error(int status, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
