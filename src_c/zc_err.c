/* The error record of a request: the first failure wins. */
#include "zc_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int zc_err_set(zc_err *err, int code, const char *codec, const char *fmt, ...) {
    if (err == NULL || code == ZC_OK)
        return code;

    /* Several workers of one request may fail at the same time and share one
     * record: claim it atomically so exactly one of them writes the text.
     * The record is read only after the workers have joined. */
    int expected = ZC_OK;
    if (!__atomic_compare_exchange_n(&err->code, &expected, code, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return code;

    size_t i = 0;
    if (codec != NULL) {
        for (; i + 1 < sizeof err->codec && codec[i] != '\0'; i++)
            err->codec[i] = codec[i];
    }
    err->codec[i] = '\0';

    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        int r = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        if (r < 0)
            err->msg[0] = '\0';
    } else {
        err->msg[0] = '\0';
    }
    return code;
}
