#include "ch_error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_message[1024];

const char *ch_strerror(int status)
{
    switch (status) {
#define CH_ERROR_CASE(code, msg)                                                                   \
    case code:                                                                                     \
        return msg;
        CH_ERROR_TABLE(CH_ERROR_CASE)
#undef CH_ERROR_CASE
    }
    return "unknown error";
}

const char *ch_last_error(void)
{
    return last_message;
}

int ch_error(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    return status;
}
