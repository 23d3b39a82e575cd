/* numcodecs' LZ4 framing: the uncompressed size as a 4-byte little-endian
 * integer, then one LZ4 block. */
#include "codecs_internal.h"

#include <limits.h>

#include <lz4.h>

#define NAME "lz4"
#define HEADER 4

static size_t lz4_bound(const zc_b2b_codec *c, size_t n) {
    (void)c;
    if (n > LZ4_MAX_INPUT_SIZE)
        return 0;
    return HEADER + (size_t)LZ4_compressBound((int)n);
}

static int lz4_encode(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                      uint8_t *dst, size_t cap, size_t *out_n, zc_err *err) {
    (void)ctx;
    int acceleration = c->level;
    if (n > LZ4_MAX_INPUT_SIZE)
        return zc_err_set(err, ZC_EINVAL, NAME, "input of %zu bytes exceeds the LZ4 limit of %d", n,
                          LZ4_MAX_INPUT_SIZE);
    if (cap <= HEADER)
        return zc_err_set(err, ZC_EINVAL, NAME,
                          "output capacity %zu too small (up to %zu bytes needed)", cap,
                          lz4_bound(c, n));
    size_t room = cap - HEADER;
    if (room > INT_MAX)
        room = INT_MAX;
    /* LZ4 itself treats an acceleration below 1 as 1, the numcodecs default. */
    static const char empty = 0;
    int r = LZ4_compress_fast(n ? (const char *)src : &empty, (char *)dst + HEADER, (int)n,
                              (int)room, acceleration);
    if (r <= 0)
        return zc_err_set(err, ZC_EINVAL, NAME,
                          "output capacity %zu too small (up to %zu bytes needed)", cap,
                          lz4_bound(c, n));
    zc_store_le32(dst, (uint32_t)n);
    *out_n = HEADER + (size_t)r;
    return ZC_OK;
}

static int lz4_decode(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                      uint8_t *dst, size_t cap, size_t *out_n, zc_err *err) {
    (void)ctx;
    (void)c;
    if (n < HEADER)
        return zc_err_set(err, ZC_ECORRUPT, NAME,
                          "truncated: %zu bytes, the size header alone takes %d", n, HEADER);
    uint32_t declared = zc_load_le32(src);
    if (declared > cap)
        return zc_err_set(err, ZC_ECORRUPT, NAME,
                          "header declares %u bytes, more than the %zu expected", declared, cap);
    if (declared > INT_MAX || n - HEADER > INT_MAX)
        return zc_err_set(err, ZC_ECORRUPT, NAME, "block too large for LZ4 (%u bytes declared)",
                          declared);
    if (n == HEADER)
        return zc_err_set(err, ZC_ECORRUPT, NAME, "truncated: no LZ4 block after the header");
    char dummy = 0;
    int r = LZ4_decompress_safe((const char *)src + HEADER, declared ? (char *)dst : &dummy,
                                (int)(n - HEADER), (int)declared);
    if (r < 0)
        return zc_err_set(err, ZC_ECORRUPT, NAME,
                          "malformed LZ4 block (or its size differs from the %u bytes declared)",
                          declared);
    if ((uint32_t)r != declared)
        return zc_err_set(err, ZC_ECORRUPT, NAME, "decoded %d bytes but the header declares %u", r,
                          declared);
    *out_n = (size_t)r;
    return ZC_OK;
}

const zc_b2b_entry zc_b2b_lz4_entry = {
    .kind = ZC_B2B_LZ4,
    .name = NAME,
    .bound = lz4_bound,
    .encode = lz4_encode,
    .decode = lz4_decode,
};
