/* gzip (RFC 1952) and zlib (RFC 1950) containers of DEFLATE, through
 * libdeflate.  gzip is zarr v3's "gzip" codec and numcodecs' GZip; zlib is
 * numcodecs' Zlib (zarr v2). */
#include "codecs_internal.h"

#include <libdeflate.h>

/* zlib's "default level" (Z_DEFAULT_COMPRESSION) means 6. */
#define DEFAULT_LEVEL 6

static size_t deflate_bound(int gzip, size_t n) {
    /* libdeflate's bound is a little more than n; refuse sizes where its
     * arithmetic could wrap. */
    if (n > SIZE_MAX / 2)
        return 0;
    size_t b =
        gzip ? libdeflate_gzip_compress_bound(NULL, n) : libdeflate_zlib_compress_bound(NULL, n);
    return b < n ? 0 : b;
}

static int deflate_encode(zc_codec_ctx *ctx, int gzip, int level, const uint8_t *src, size_t n,
                          uint8_t *dst, size_t cap, size_t *out_n, zc_err *err) {
    const char *name = gzip ? "gzip" : "zlib";
    if (level == -1)
        level = DEFAULT_LEVEL;
    struct libdeflate_compressor *comp;
    int rc = zc_ctx_deflate_c(ctx, level, name, &comp, err);
    if (rc != ZC_OK)
        return rc;
    /* Never hand libdeflate a NULL buffer, even an empty one. */
    uint8_t dummy = 0;
    const void *in = n ? (const void *)src : &dummy;
    size_t r = gzip ? libdeflate_gzip_compress(comp, in, n, dst, cap)
                    : libdeflate_zlib_compress(comp, in, n, dst, cap);
    if (r == 0)
        return zc_err_set(err, ZC_EINVAL, name,
                          "output capacity %zu too small (up to %zu bytes needed)", cap,
                          deflate_bound(gzip, n));
    *out_n = r;
    return ZC_OK;
}

/* Nonzero if p[0..n) are all zero bytes. */
static int all_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0)
            return 0;
    return 1;
}

static int decode_failure(zc_err *err, const char *name, enum libdeflate_result r, size_t offset,
                          size_t cap) {
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE)
        return zc_err_set(err, ZC_ECORRUPT, name,
                          "decompressed data exceeds the %zu bytes expected", cap);
    return zc_err_set(err, ZC_ECORRUPT, name,
                      "malformed or truncated stream at byte %zu (libdeflate error %d)", offset,
                      (int)r);
}

static int deflate_decode(zc_codec_ctx *ctx, int gzip, const uint8_t *src, size_t n, uint8_t *dst,
                          size_t cap, size_t *out_n, zc_err *err) {
    const char *name = gzip ? "gzip" : "zlib";
    if (n == 0)
        return zc_err_set(err, ZC_ECORRUPT, name, "empty input");
    struct libdeflate_decompressor *d;
    int rc = zc_ctx_deflate_d(ctx, name, &d, err);
    if (rc != ZC_OK)
        return rc;
    uint8_t dummy = 0;
    uint8_t *out = cap ? dst : &dummy;

    if (!gzip) {
        size_t in_used = 0, produced = 0;
        enum libdeflate_result r =
            libdeflate_zlib_decompress_ex(d, src, n, out, cap, &in_used, &produced);
        if (r != LIBDEFLATE_SUCCESS)
            return decode_failure(err, name, r, 0, cap);
        if (in_used != n)
            return zc_err_set(err, ZC_ECORRUPT, name,
                              "%zu unexpected bytes after the end of the stream", n - in_used);
        *out_n = produced;
        return ZC_OK;
    }

    /* A gzip file may hold several members one after the other; the data is
     * their concatenation.  Like gzip(1) and Python's gzip module, zero bytes
     * padding the end are ignored. */
    size_t in_pos = 0, out_pos = 0;
    while (in_pos < n) {
        if (in_pos > 0 && all_zero(src + in_pos, n - in_pos))
            break;
        size_t in_used = 0, produced = 0;
        enum libdeflate_result r = libdeflate_gzip_decompress_ex(
            d, src + in_pos, n - in_pos, out + out_pos, cap - out_pos, &in_used, &produced);
        if (r != LIBDEFLATE_SUCCESS)
            return decode_failure(err, name, r, in_pos, cap);
        if (in_used == 0 || in_used > n - in_pos || produced > cap - out_pos)
            return zc_err_set(err, ZC_ECORRUPT, name, "inconsistent member at byte %zu", in_pos);
        in_pos += in_used;
        out_pos += produced;
    }
    *out_n = out_pos;
    return ZC_OK;
}

/* ---- the two containers ---- */

static size_t gzip_bound(const zc_b2b_codec *c, size_t n) {
    (void)c;
    return deflate_bound(1, n);
}

static int gzip_encode(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                       uint8_t *dst, size_t cap, size_t *out_n, zc_err *err) {
    return deflate_encode(ctx, 1, c->level, src, n, dst, cap, out_n, err);
}

static int gzip_decode(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                       uint8_t *dst, size_t cap, size_t *out_n, zc_err *err) {
    (void)c;
    return deflate_decode(ctx, 1, src, n, dst, cap, out_n, err);
}

static size_t zlib_bound(const zc_b2b_codec *c, size_t n) {
    (void)c;
    return deflate_bound(0, n);
}

static int zlib_encode(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                       uint8_t *dst, size_t cap, size_t *out_n, zc_err *err) {
    return deflate_encode(ctx, 0, c->level, src, n, dst, cap, out_n, err);
}

static int zlib_decode(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                       uint8_t *dst, size_t cap, size_t *out_n, zc_err *err) {
    (void)c;
    return deflate_decode(ctx, 0, src, n, dst, cap, out_n, err);
}

const zc_b2b_entry zc_b2b_gzip_entry = {
    .kind = ZC_B2B_GZIP,
    .name = "gzip",
    .bound = gzip_bound,
    .encode = gzip_encode,
    .decode = gzip_decode,
};

const zc_b2b_entry zc_b2b_zlib_entry = {
    .kind = ZC_B2B_ZLIB,
    .name = "zlib",
    .bound = zlib_bound,
    .encode = zlib_encode,
    .decode = zlib_decode,
};
