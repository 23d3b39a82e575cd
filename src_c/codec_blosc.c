/* blosc (1.x format) through libblosc's context functions only: they need no
 * global initialisation and are safe to call from several threads at once.
 * Streams are those numcodecs' Blosc reads and writes. */
#include "codecs_internal.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <blosc.h>

#define NAME "blosc"
#define VALID_CNAMES "blosclz, lz4, lz4hc, snappy, zlib, zstd"

/* Blosc's header: version, compressor version, flags, typesize, then
 * nbytes, blocksize and cbytes as 32-bit little-endian integers. */
#define HDR_VERSION 0
#define HDR_FLAGS 2

static size_t blosc_bound(const zc_b2b_codec *c, size_t n) {
    (void)c;
    size_t out;
    if (zc_add_ovf(n, BLOSC_MAX_OVERHEAD, &out))
        return 0;
    return out;
}

static int cname_known(const char *cname) {
    static const char *const known[] = {"blosclz", "lz4", "lz4hc", "snappy", "zlib", "zstd"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(cname, known[i]) == 0)
            return 1;
    return 0;
}

/* The names this libblosc build can use, comma separated. */
static void available_cnames(char *buf, size_t size) {
    static const char *const known[] = {"blosclz", "lz4", "lz4hc", "snappy", "zlib", "zstd"};
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (blosc_compname_to_compcode(known[i]) < 0)
            continue;
        int w = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", known[i]);
        if (w < 0 || (size_t)w >= size - used)
            break;
        used += (size_t)w;
    }
}

static int blosc_encode(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                        uint8_t *dst, size_t cap, size_t *out_n, zc_err *err) {
    (void)ctx;
    char cname[sizeof c->cname + 1];
    memcpy(cname, c->cname, sizeof c->cname);
    cname[sizeof c->cname] = '\0';

    if (!cname_known(cname))
        return zc_err_set(err, ZC_EINVAL, NAME, "unknown compressor '%s' (valid: " VALID_CNAMES ")",
                          cname);
    if (blosc_compname_to_compcode(cname) < 0) {
        char avail[96];
        available_cnames(avail, sizeof avail);
        return zc_err_set(err, ZC_EINVAL, NAME,
                          "compressor '%s' is not available in this libblosc (available: %s)",
                          cname, avail);
    }
    if (c->level < 0 || c->level > 9)
        return zc_err_set(err, ZC_EINVAL, NAME, "clevel %d outside 0..9", c->level);
    if (c->typesize < 1)
        return zc_err_set(err, ZC_EINVAL, NAME, "typesize %d, must be at least 1", c->typesize);
    /* Like libblosc (and so numcodecs), a type too wide for the header's one
     * byte is shuffled as a stream of bytes. */
    size_t typesize = c->typesize > BLOSC_MAX_TYPESIZE ? 1 : (size_t)c->typesize;
    int shuffle = c->shuffle;
    if (shuffle == -1) /* numcodecs AUTOSHUFFLE */
        shuffle = typesize == 1 ? BLOSC_BITSHUFFLE : BLOSC_SHUFFLE;
    if (shuffle < 0 || shuffle > 2)
        return zc_err_set(err, ZC_EINVAL, NAME, "shuffle %d, must be 0 (none), 1 (byte) or 2 (bit)",
                          c->shuffle);
    if (c->blocksize < 0)
        return zc_err_set(err, ZC_EINVAL, NAME, "blocksize %d is negative", c->blocksize);
    if (n > BLOSC_MAX_BUFFERSIZE)
        return zc_err_set(err, ZC_EINVAL, NAME,
                          "input of %zu bytes exceeds the blosc 1.x limit of %d bytes", n,
                          BLOSC_MAX_BUFFERSIZE);

    /* libblosc keeps the output capacity in a 32-bit int: clamp it (the
     * output of an acceptable input always fits in n + 16 <= INT_MAX). */
    size_t destsize = cap > (size_t)INT_MAX ? (size_t)INT_MAX : cap;
    uint8_t dummy_src = 0;
    int r = blosc_compress_ctx(c->level, shuffle, typesize, n, n ? (const void *)src : &dummy_src,
                               dst, destsize, cname, (size_t)c->blocksize, 1);
    if (r == 0)
        return zc_err_set(err, ZC_EINVAL, NAME,
                          "output capacity %zu too small (up to %zu bytes needed)", cap,
                          blosc_bound(c, n));
    if (r < 0)
        return zc_err_set(err, ZC_ECODEC, NAME, "libblosc failed to compress (error %d)", r);
    *out_n = (size_t)r;
    return ZC_OK;
}

/* Name of the compressor library recorded in the header's flags (lz4 and
 * lz4hc share one format). */
static const char *format_name(int format) {
    switch (format) {
    case BLOSC_BLOSCLZ_FORMAT: return "blosclz";
    case BLOSC_LZ4_FORMAT: return "lz4";
    case BLOSC_SNAPPY_FORMAT: return "snappy";
    case BLOSC_ZLIB_FORMAT: return "zlib";
    case BLOSC_ZSTD_FORMAT: return "zstd";
    default: return NULL;
    }
}

static int blosc_decode(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                        uint8_t *dst, size_t cap, size_t *out_n, zc_err *err) {
    (void)ctx;
    (void)c;
    if (n < BLOSC_MIN_HEADER_LENGTH)
        return zc_err_set(err, ZC_ECORRUPT, NAME, "truncated: %zu bytes, the header alone takes %d",
                          n, BLOSC_MIN_HEADER_LENGTH);
    if (src[HDR_VERSION] != BLOSC_VERSION_FORMAT)
        return zc_err_set(err, ZC_ECORRUPT, NAME, "unsupported format version %u (expected %d)",
                          src[HDR_VERSION], BLOSC_VERSION_FORMAT);

    size_t nbytes = 0, cbytes = 0, blocksize = 0;
    blosc_cbuffer_sizes(src, &nbytes, &cbytes, &blocksize);
    if (cbytes != n)
        return zc_err_set(err, ZC_ECORRUPT, NAME,
                          "header declares %zu compressed bytes but the chunk has %zu", cbytes, n);
    if (nbytes > cap)
        return zc_err_set(err, ZC_ECORRUPT, NAME,
                          "header declares %zu decoded bytes, more than the %zu expected", nbytes,
                          cap);
    size_t checked = 0;
    if (blosc_cbuffer_validate(src, n, &checked) != 0 || checked != nbytes)
        return zc_err_set(err, ZC_ECORRUPT, NAME, "invalid header (%zu decoded bytes declared)",
                          nbytes);
    if (nbytes == 0)
        return ZC_OK;

    if (!(src[HDR_FLAGS] & BLOSC_MEMCPYED)) {
        /* Tell a compressor missing from this libblosc from a damaged stream. */
        int format = (src[HDR_FLAGS] >> 5) & 0x7;
        const char *compname = format_name(format);
        if (compname == NULL)
            return zc_err_set(err, ZC_ECORRUPT, NAME, "unknown compressor format %d in the header",
                              format);
        if (blosc_compname_to_compcode(compname) < 0)
            return zc_err_set(err, ZC_ECODEC, NAME,
                              "compressor '%s' is not available in this libblosc", compname);
    }

    /* libblosc compares the declared size with the capacity as a 32-bit int:
     * never hand it more than it can represent.  nbytes <= that limit. */
    size_t destsize = cap > (size_t)BLOSC_MAX_BUFFERSIZE ? (size_t)BLOSC_MAX_BUFFERSIZE : cap;
    int r = blosc_decompress_ctx(src, dst, destsize, 1);
    if (r < 0)
        return zc_err_set(err, ZC_ECORRUPT, NAME, "malformed compressed data (libblosc error %d)",
                          r);
    if ((size_t)r != nbytes)
        return zc_err_set(err, ZC_ECORRUPT, NAME, "decoded %d bytes but the header declares %zu", r,
                          nbytes);
    *out_n = nbytes;
    return ZC_OK;
}

const zc_b2b_entry zc_b2b_blosc_entry = {
    .kind = ZC_B2B_BLOSC,
    .name = NAME,
    .bound = blosc_bound,
    .encode = blosc_encode,
    .decode = blosc_decode,
};
