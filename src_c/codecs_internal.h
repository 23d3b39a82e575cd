/* Private interface between the codec dispatcher (codecs.c) and the
 * per-library kernels.  Not part of the engine's public header. */
#ifndef ZC_CODECS_INTERNAL_H
#define ZC_CODECS_INTERNAL_H

#include "zc_codecs.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;
struct libdeflate_compressor;
struct libdeflate_decompressor;

/* Highest libdeflate compression level; one cached compressor per level. */
#define ZC_DEFLATE_MAX_LEVEL 12

struct zc_codec_ctx {
    struct ZSTD_CCtx_s *zstd_c;
    struct ZSTD_DCtx_s *zstd_d;
    struct libdeflate_compressor *deflate_c[ZC_DEFLATE_MAX_LEVEL + 1];
    struct libdeflate_decompressor *deflate_d;
};

/* Lazily created library state of a context: store it in *out and return
 * ZC_OK, or fill err (ZC_ENOMEM, or ZC_EINVAL for a NULL ctx or a bad level)
 * and return its code. */
int zc_ctx_zstd_c(zc_codec_ctx *ctx, struct ZSTD_CCtx_s **out, zc_err *err);
int zc_ctx_zstd_d(zc_codec_ctx *ctx, struct ZSTD_DCtx_s **out, zc_err *err);
int zc_ctx_deflate_c(zc_codec_ctx *ctx, int level, const char *name,
                     struct libdeflate_compressor **out, zc_err *err);
int zc_ctx_deflate_d(zc_codec_ctx *ctx, const char *name,
                     struct libdeflate_decompressor **out, zc_err *err);

/* Per-codec kernels.  The dispatcher has already checked the common
 * arguments (non-NULL out_n, src/dst non-NULL unless their size is 0) and
 * set *out_n to 0. */
size_t zc_blosc_bound(size_t n);
int zc_blosc_encode(const zc_b2b_codec *c, const uint8_t *src, size_t n,
                    uint8_t *dst, size_t cap, size_t *out_n, zc_err *err);
int zc_blosc_decode(const uint8_t *src, size_t n,
                    uint8_t *dst, size_t cap, size_t *out_n, zc_err *err);

/* gzip (RFC 1952) when gzip != 0, else zlib (RFC 1950). */
size_t zc_deflate_bound(int gzip, size_t n);
int zc_deflate_encode(zc_codec_ctx *ctx, int gzip, int level, const uint8_t *src, size_t n,
                      uint8_t *dst, size_t cap, size_t *out_n, zc_err *err);
int zc_deflate_decode(zc_codec_ctx *ctx, int gzip, const uint8_t *src, size_t n,
                      uint8_t *dst, size_t cap, size_t *out_n, zc_err *err);

size_t zc_zstd_bound(size_t n);
int zc_zstd_encode(zc_codec_ctx *ctx, int level, int checksum, const uint8_t *src, size_t n,
                   uint8_t *dst, size_t cap, size_t *out_n, zc_err *err);
int zc_zstd_decode(zc_codec_ctx *ctx, const uint8_t *src, size_t n,
                   uint8_t *dst, size_t cap, size_t *out_n, zc_err *err);

size_t zc_lz4_bound(size_t n);
int zc_lz4_encode(int acceleration, const uint8_t *src, size_t n,
                  uint8_t *dst, size_t cap, size_t *out_n, zc_err *err);
int zc_lz4_decode(const uint8_t *src, size_t n,
                  uint8_t *dst, size_t cap, size_t *out_n, zc_err *err);

size_t zc_crc32c_bound(size_t n);
int zc_crc32c_encode(const uint8_t *src, size_t n,
                     uint8_t *dst, size_t cap, size_t *out_n, zc_err *err);
int zc_crc32c_decode(const uint8_t *src, size_t n,
                     uint8_t *dst, size_t cap, size_t *out_n, zc_err *err);

/* CRC32C implementations behind zc_crc32c, exposed for tests.  Both take and
 * return the finalised CRC (as zc_crc32c does). */
uint32_t zc_crc32c_table(uint32_t crc, const void *data, size_t n);
/* Nonzero if the hardware implementation can run on this CPU. */
int zc_crc32c_hw_available(void);
/* Only call when zc_crc32c_hw_available() is nonzero. */
uint32_t zc_crc32c_hw(uint32_t crc, const void *data, size_t n);

/* Little-endian 32-bit load/store, alignment-free. */
static inline uint32_t zc_load_le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}
static inline void zc_store_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#endif
