/* zstd through libzstd's one-shot functions on per-thread contexts.  Frames
 * always record their content size; decoding also accepts frames without it,
 * skippable frames and several concatenated frames (all readers must). */
#include "codecs_internal.h"

#include <zstd.h>
#include <zstd_errors.h>

#define NAME "zstd"

static size_t zstd_bound(const zc_b2b_codec *c, size_t n) {
    (void)c;
    size_t b = ZSTD_compressBound(n);
    if (ZSTD_isError(b) || b < n)
        return 0;
    return b;
}

static int zstd_encode(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                       uint8_t *dst, size_t cap, size_t *out_n, zc_err *err) {
    int level = c->level, checksum = c->checksum;
    ZSTD_CCtx *cctx;
    int rc = zc_ctx_zstd_c(ctx, &cctx, err);
    if (rc != ZC_OK)
        return rc;
    uint8_t dummy = 0;
    const void *in = n ? (const void *)src : &dummy;
    size_t r;
    if (!checksum) {
        /* Ignores any parameter left on the context by a checksummed call. */
        r = ZSTD_compressCCtx(cctx, dst, cap, in, n, level);
    } else {
        ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
        r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
        if (!ZSTD_isError(r))
            r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
        if (!ZSTD_isError(r))
            r = ZSTD_compress2(cctx, dst, cap, in, n);
    }
    if (ZSTD_isError(r)) {
        if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
            return zc_err_set(err, ZC_EINVAL, NAME,
                              "output capacity %zu too small (up to %zu bytes needed)", cap,
                              zstd_bound(c, n));
        return zc_err_set(err, ZC_ECODEC, NAME, "compression at level %d failed: %s", level,
                          ZSTD_getErrorName(r));
    }
    *out_n = r;
    return ZC_OK;
}

static int zstd_decode(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                       uint8_t *dst, size_t cap, size_t *out_n, zc_err *err) {
    (void)c;
    if (n == 0)
        return zc_err_set(err, ZC_ECORRUPT, NAME, "empty input");
    /* Refuse a frame that announces more than the chunk can hold before
     * decoding anything.  Further frames are bounded by cap while decoding. */
    unsigned long long declared = ZSTD_getFrameContentSize(src, n);
    if (declared == ZSTD_CONTENTSIZE_ERROR)
        return zc_err_set(err, ZC_ECORRUPT, NAME, "not a zstd frame (bad magic or header)");
    if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > (unsigned long long)cap)
        return zc_err_set(err, ZC_ECORRUPT, NAME,
                          "frame declares %llu bytes, more than the %zu expected", declared, cap);

    ZSTD_DCtx *dctx;
    int rc = zc_ctx_zstd_d(ctx, &dctx, err);
    if (rc != ZC_OK)
        return rc;
    uint8_t dummy = 0;
    size_t r = ZSTD_decompressDCtx(dctx, cap ? dst : &dummy, cap, src, n);
    if (ZSTD_isError(r)) {
        ZSTD_ErrorCode code = ZSTD_getErrorCode(r);
        if (code == ZSTD_error_checksum_wrong)
            return zc_err_set(err, ZC_ECHECKSUM, NAME, "content checksum mismatch");
        if (code == ZSTD_error_dstSize_tooSmall)
            return zc_err_set(err, ZC_ECORRUPT, NAME,
                              "decompressed data exceeds the %zu bytes expected", cap);
        return zc_err_set(err, ZC_ECORRUPT, NAME, "malformed data: %s", ZSTD_getErrorName(r));
    }
    *out_n = r;
    return ZC_OK;
}

const zc_b2b_entry zc_b2b_zstd_entry = {
    .kind = ZC_B2B_ZSTD,
    .name = NAME,
    .bound = zstd_bound,
    .encode = zstd_encode,
    .decode = zstd_decode,
};
