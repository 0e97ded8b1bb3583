#include "sim_error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_message[1280];

const char *sim_strerror(int status)
{
    switch (status) {
#define SIM_ERROR_CASE(code, msg)                                                                  \
    case code:                                                                                     \
        return msg;
        SIM_ERROR_TABLE(SIM_ERROR_CASE)
#undef SIM_ERROR_CASE
    }
    return "unknown error";
}

const char *sim_last_error(void)
{
    return last_message;
}

int sim_error(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    return status;
}
