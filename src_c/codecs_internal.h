/* Private interface between the codec dispatcher (codecs.c), the codec
 * chains (chain.c) and the per-library kernels.  Not part of the engine's
 * public header. */
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
int zc_ctx_deflate_d(zc_codec_ctx *ctx, const char *name, struct libdeflate_decompressor **out,
                     zc_err *err);

/* One bytes-to-bytes codec.  Each codec_<library>.c (and crc32c.c) defines
 * the entries of its codecs; codecs.c dispatches through a table of them, and
 * chain.c finds names and in-place checks there.  Adding a codec: its kind in
 * zc_codecs.h, its file defining its entry, its name in ZC_B2B_CODECS below,
 * and the file in meson.build.
 *
 * encode and decode see arguments the dispatcher has already checked
 * (non-NULL out_n, src/dst non-NULL unless their size is 0, *out_n set to 0);
 * ctx may be NULL when the caller has no context (kernels that need one say
 * so with ZC_EINVAL). */
typedef struct zc_b2b_entry {
    int kind;         /* enum zc_b2b_kind */
    const char *name; /* the codec's name in error records */
    /* Upper bound of the encoded size of n input bytes; 0 if it would overflow. */
    size_t (*bound)(const zc_b2b_codec *c, size_t n);
    int (*encode)(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                  uint8_t *dst, size_t cap, size_t *out_n, zc_err *err);
    int (*decode)(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                  uint8_t *dst, size_t cap, size_t *out_n, zc_err *err);
    /* Optional, for codecs whose decoded bytes are the first bytes of the
     * stored ones (checksums): verify the n stored bytes where they lie and
     * set *out_n to the decoded size, so a chain need not copy them. */
    int (*check)(const uint8_t *src, size_t n, size_t *out_n, zc_err *err);
} zc_b2b_entry;

/* Every codec the engine runs: X(name) for the entry zc_b2b_<name>_entry,
 * defined in the codec's file.  The table of codecs.c is made from it. */
#define ZC_B2B_CODECS(X) X(blosc) X(gzip) X(zlib) X(zstd) X(lz4) X(crc32c)

#define ZC_B2B_DECLARE(name) extern const zc_b2b_entry zc_b2b_##name##_entry;
ZC_B2B_CODECS(ZC_B2B_DECLARE)
#undef ZC_B2B_DECLARE

/* The entry of a codec kind, or NULL for an unknown kind. */
const zc_b2b_entry *zc_b2b_lookup(int kind);

/* CRC32C implementations behind zc_crc32c, exposed for tests.  Both take and
 * return the finalised CRC (as zc_crc32c does). */
uint32_t zc_crc32c_table(uint32_t crc, const void *data, size_t n);
/* Nonzero if the hardware implementation can run on this CPU. */
int zc_crc32c_hw_available(void);
/* Only call when zc_crc32c_hw_available() is nonzero. */
uint32_t zc_crc32c_hw(uint32_t crc, const void *data, size_t n);

/* Little-endian 32-bit load/store, alignment-free. */
static inline uint32_t zc_load_le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void zc_store_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#endif
