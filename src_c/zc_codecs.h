/* Bytes-to-bytes codec kernels (blosc, gzip, zlib, zstd, lz4, crc32c).
 *
 * Every decode takes the capacity of its destination, which the caller derives
 * from the array metadata, never from the encoded data: a stream that claims
 * or produces more than `cap` bytes is ZC_ECORRUPT / ZC_ESIZE, never an
 * overflow or a large allocation. */
#ifndef ZC_CODECS_H
#define ZC_CODECS_H

#include "zc_common.h"

enum zc_b2b_kind {
    ZC_B2B_BLOSC = 1,
    ZC_B2B_GZIP = 2, /* gzip container (RFC 1952), numcodecs GZip / zarr v3 gzip */
    ZC_B2B_ZSTD = 3,
    ZC_B2B_CRC32C = 4, /* appends a 4-byte little-endian CRC32C */
    ZC_B2B_ZLIB = 5,   /* zlib container (RFC 1950), numcodecs Zlib */
    ZC_B2B_LZ4 = 6,    /* numcodecs LZ4: 4-byte LE uncompressed size + LZ4 block */
};

typedef struct zc_b2b_codec {
    int kind;       /* enum zc_b2b_kind */
    int level;      /* gzip/zlib 0-9, zstd level, blosc clevel 0-9, lz4 acceleration */
    int checksum;   /* zstd: write a content checksum */
    int shuffle;    /* blosc: 0 none, 1 byte shuffle, 2 bit shuffle */
    int typesize;   /* blosc */
    int blocksize;  /* blosc, 0 = automatic */
    char cname[16]; /* blosc compressor name: blosclz, lz4, lz4hc, snappy, zlib, zstd */
} zc_b2b_codec;

/* Per-thread codec state (zstd contexts, libdeflate (de)compressors).  Not
 * shared between threads. */
typedef struct zc_codec_ctx zc_codec_ctx;
zc_codec_ctx *zc_codec_ctx_new(void);
void zc_codec_ctx_free(zc_codec_ctx *ctx);

/* Name of a codec kind ("zstd", ...), NULL for an unknown kind. */
const char *zc_b2b_name(int kind);

/* Upper bound of the encoded size of n input bytes; 0 if it would overflow. */
size_t zc_b2b_encoded_bound(const zc_b2b_codec *c, size_t n);

/* Encode n bytes of src into dst (capacity cap).  *out_n receives the size. */
int zc_b2b_encode(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                  uint8_t *dst, size_t cap, size_t *out_n, zc_err *err);

/* Decode n bytes of src into dst (capacity cap, the most the caller accepts).
 * *out_n receives the decoded size.  src and dst never overlap. */
int zc_b2b_decode(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                  uint8_t *dst, size_t cap, size_t *out_n, zc_err *err);

/* CRC32C (Castagnoli), hardware (SSE4.2) when the CPU has it, else tables.
 * Start with crc = 0; chaining calls continues a running checksum. */
uint32_t zc_crc32c(uint32_t crc, const void *data, size_t n);

#endif
