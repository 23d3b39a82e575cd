/* Shared definitions of the zarrc engine: status codes, the error record and
 * checked size arithmetic.  No Python here: the engine is plain C. */
#ifndef ZC_COMMON_H
#define ZC_COMMON_H

#include <stddef.h>
#include <stdint.h>

enum zc_status {
    ZC_OK = 0,
    ZC_ENOMEM = 1,    /* allocation failed */
    ZC_ECORRUPT = 2,  /* malformed encoded data */
    ZC_ECHECKSUM = 3, /* checksum mismatch */
    ZC_ESIZE = 4,     /* decoded size differs from the expected size */
    ZC_EIO = 5,       /* operating-system I/O error (errno in zc_err.sys_errno) */
    ZC_EINVAL = 6,    /* invalid argument from the caller */
    ZC_EOVERFLOW = 7, /* size arithmetic overflowed */
    ZC_ECODEC = 8,    /* a codec library refused to encode */
    ZC_ESHARD = 9,    /* malformed shard or shard index */
    ZC_EESCAPE = 10,  /* a key resolves outside the store root (symbolic link) */
};

/* One error record per request.  The first failing worker fills it; the
 * Python side turns it into a typed exception after the workers joined. */
typedef struct zc_err {
    int code;       /* enum zc_status */
    int sys_errno;  /* errno for ZC_EIO, else 0 */
    int64_t chunk;  /* index of the failing chunk within the request, -1 if none */
    char codec[24]; /* codec name involved, "" if none */
    char msg[256];  /* human-readable reason */
} zc_err;

/* Fill err (if not already set) and return code.  printf-style. */
int zc_err_set(zc_err *err, int code, const char *codec, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Checked arithmetic: return 0 on success, 1 on overflow. */
static inline int zc_mul_ovf(size_t a, size_t b, size_t *out) {
    return __builtin_mul_overflow(a, b, out);
}
static inline int zc_add_ovf(size_t a, size_t b, size_t *out) {
    return __builtin_add_overflow(a, b, out);
}

#endif
