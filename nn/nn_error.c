#include "nn_error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_message[1024];
static _Thread_local int last_status;

const char *nn_strerror(int status)
{
    switch (status) {
#define NN_ERROR_CASE(code, msg)                                                                   \
    case code:                                                                                     \
        return msg;
        NN_ERROR_TABLE(NN_ERROR_CASE)
#undef NN_ERROR_CASE
    }
    return "unknown error";
}

const char *nn_last_error(void)
{
    return last_message;
}

int nn_last_status(void)
{
    return last_status;
}

int nn_error(int status, const char *fmt, ...)
{
    last_status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    return status;
}
