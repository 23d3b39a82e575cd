/* Bytes-to-bytes codecs: per-thread context and dispatch by codec kind.
 * The kernels themselves live in codec_<library>.c. */
#include "codecs_internal.h"

#include <stdlib.h>

#include <libdeflate.h>
#include <zstd.h>

zc_codec_ctx *zc_codec_ctx_new(void) {
    /* Library state is created on first use: a context that only ever sees
     * blosc chunks never pays for zstd or libdeflate. */
    return calloc(1, sizeof(zc_codec_ctx));
}

void zc_codec_ctx_free(zc_codec_ctx *ctx) {
    if (ctx == NULL)
        return;
    ZSTD_freeCCtx(ctx->zstd_c);
    ZSTD_freeDCtx(ctx->zstd_d);
    for (int i = 0; i <= ZC_DEFLATE_MAX_LEVEL; i++)
        libdeflate_free_compressor(ctx->deflate_c[i]);
    libdeflate_free_decompressor(ctx->deflate_d);
    free(ctx);
}

int zc_ctx_zstd_c(zc_codec_ctx *ctx, ZSTD_CCtx **out, zc_err *err) {
    *out = NULL;
    if (ctx == NULL)
        return zc_err_set(err, ZC_EINVAL, "zstd", "a codec context is required");
    if (ctx->zstd_c == NULL && (ctx->zstd_c = ZSTD_createCCtx()) == NULL)
        return zc_err_set(err, ZC_ENOMEM, "zstd", "cannot allocate a compression context");
    *out = ctx->zstd_c;
    return ZC_OK;
}

int zc_ctx_zstd_d(zc_codec_ctx *ctx, ZSTD_DCtx **out, zc_err *err) {
    *out = NULL;
    if (ctx == NULL)
        return zc_err_set(err, ZC_EINVAL, "zstd", "a codec context is required");
    if (ctx->zstd_d == NULL && (ctx->zstd_d = ZSTD_createDCtx()) == NULL)
        return zc_err_set(err, ZC_ENOMEM, "zstd", "cannot allocate a decompression context");
    *out = ctx->zstd_d;
    return ZC_OK;
}

int zc_ctx_deflate_c(zc_codec_ctx *ctx, int level, const char *name,
                     struct libdeflate_compressor **out, zc_err *err) {
    *out = NULL;
    if (ctx == NULL)
        return zc_err_set(err, ZC_EINVAL, name, "a codec context is required");
    if (level < 0 || level > ZC_DEFLATE_MAX_LEVEL)
        return zc_err_set(err, ZC_EINVAL, name, "compression level %d outside 0..%d", level,
                          ZC_DEFLATE_MAX_LEVEL);
    if (ctx->deflate_c[level] == NULL &&
        (ctx->deflate_c[level] = libdeflate_alloc_compressor(level)) == NULL)
        return zc_err_set(err, ZC_ENOMEM, name, "cannot allocate a level-%d compressor", level);
    *out = ctx->deflate_c[level];
    return ZC_OK;
}

int zc_ctx_deflate_d(zc_codec_ctx *ctx, const char *name, struct libdeflate_decompressor **out,
                     zc_err *err) {
    *out = NULL;
    if (ctx == NULL)
        return zc_err_set(err, ZC_EINVAL, name, "a codec context is required");
    if (ctx->deflate_d == NULL && (ctx->deflate_d = libdeflate_alloc_decompressor()) == NULL)
        return zc_err_set(err, ZC_ENOMEM, name, "cannot allocate a decompressor");
    *out = ctx->deflate_d;
    return ZC_OK;
}

/* Every bytes-to-bytes codec the engine runs. */
#define ZC_B2B_ENTRY(name) &zc_b2b_##name##_entry,
static const zc_b2b_entry *const table[] = {ZC_B2B_CODECS(ZC_B2B_ENTRY)};
#undef ZC_B2B_ENTRY

const zc_b2b_entry *zc_b2b_lookup(int kind) {
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i]->kind == kind)
            return table[i];
    return NULL;
}

const char *zc_b2b_name(int kind) {
    const zc_b2b_entry *e = zc_b2b_lookup(kind);
    return e ? e->name : NULL;
}

size_t zc_b2b_encoded_bound(const zc_b2b_codec *c, size_t n) {
    if (c == NULL)
        return 0;
    const zc_b2b_entry *e = zc_b2b_lookup(c->kind);
    return e ? e->bound(c, n) : 0;
}

/* Arguments common to encode and decode: the codec's entry in *entry. */
static int check_args(const zc_b2b_codec *c, const uint8_t *src, size_t n, const uint8_t *dst,
                      size_t cap, size_t *out_n, const zc_b2b_entry **entry, zc_err *err) {
    if (out_n != NULL)
        *out_n = 0;
    if (c == NULL)
        return zc_err_set(err, ZC_EINVAL, "", "no codec given");
    const zc_b2b_entry *e = zc_b2b_lookup(c->kind);
    if (e == NULL)
        return zc_err_set(err, ZC_EINVAL, "", "unknown bytes-to-bytes codec kind %d", c->kind);
    if (out_n == NULL)
        return zc_err_set(err, ZC_EINVAL, e->name, "no place for the output size");
    if (src == NULL && n != 0)
        return zc_err_set(err, ZC_EINVAL, e->name, "NULL input of %zu bytes", n);
    if (dst == NULL && cap != 0)
        return zc_err_set(err, ZC_EINVAL, e->name, "NULL output of capacity %zu", cap);
    *entry = e;
    return ZC_OK;
}

int zc_b2b_encode(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                  uint8_t *dst, size_t cap, size_t *out_n, zc_err *err) {
    const zc_b2b_entry *e = NULL;
    int rc = check_args(c, src, n, dst, cap, out_n, &e, err);
    if (rc != ZC_OK)
        return rc;
    return e->encode(ctx, c, src, n, dst, cap, out_n, err);
}

int zc_b2b_decode(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                  uint8_t *dst, size_t cap, size_t *out_n, zc_err *err) {
    const zc_b2b_entry *e = NULL;
    int rc = check_args(c, src, n, dst, cap, out_n, &e, err);
    if (rc != ZC_OK)
        return rc;
    return e->decode(ctx, c, src, n, dst, cap, out_n, err);
}
