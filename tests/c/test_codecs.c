/* Tests of the bytes-to-bytes codec kernels (src_c/codec*.c, crc32c.c,
 * zc_err.c).
 *
 *   test_codecs              run the self tests
 *   test_codecs run FILE     run the operations listed in FILE, one a line:
 *       encode kind=K [level=N checksum=N shuffle=N typesize=N blocksize=N cname=S] in=P out=P
 *       decode kind=K in=P expect=P [cap=N]
 *       fail   kind=K in=P cap=N code=N
 *     (used by tests/test_c_kernels.py to exchange streams with numcodecs).
 *
 * Exit status 0 when everything passed. */
#include "codecs_internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <blosc.h>
#include <zstd.h>

#include "harness.h"

enum pattern { P_ZEROS, P_RANDOM, P_RAMP, P_TEXT, P_COUNT };
static const char *const pattern_names[] = {"zeros", "random", "ramp", "text"};

static void fill(uint8_t *p, size_t n, int pattern) {
    static const char words[] = "zarr chunk codec shard array group blosc zstd gzip ";
    for (size_t i = 0; i < n; i++) {
        switch (pattern) {
        case P_ZEROS: p[i] = 0; break;
        case P_RANDOM: p[i] = (uint8_t)(rnd() >> 56); break;
        case P_RAMP: /* little-endian uint16 ramp */
            p[i] = (uint8_t)((i & 1) ? (i / 2) >> 8 : (i / 2));
            break;
        default: p[i] = (uint8_t)words[(i * 7 + i / 97) % (sizeof words - 1)]; break;
        }
    }
}

static zc_b2b_codec mk(int kind, int level) {
    zc_b2b_codec c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.level = level;
    c.typesize = 1;
    return c;
}

static zc_b2b_codec mk_blosc(const char *cname, int clevel, int shuffle, int typesize,
                             int blocksize) {
    zc_b2b_codec c = mk(ZC_B2B_BLOSC, clevel);
    c.shuffle = shuffle;
    c.typesize = typesize;
    c.blocksize = blocksize;
    snprintf(c.cname, sizeof c.cname, "%s", cname);
    return c;
}

static const char *kind_label(int kind) {
    switch (kind) {
    case ZC_B2B_BLOSC: return "blosc";
    case ZC_B2B_GZIP: return "gzip";
    case ZC_B2B_ZSTD: return "zstd";
    case ZC_B2B_CRC32C: return "crc32c";
    case ZC_B2B_ZLIB: return "zlib";
    case ZC_B2B_LZ4: return "lz4";
    default: return "?";
    }
}

static void err_reset(zc_err *e) {
    memset(e, 0, sizeof *e);
    e->chunk = -1;
}

/* Encode into a buffer of exactly the bound, return an exact-size copy. */
static uint8_t *encode_exact(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                             size_t *enc_n, int *rc_out) {
    size_t bound = zc_b2b_encoded_bound(c, n);
    uint8_t *buf = xmalloc(bound);
    zc_err err;
    err_reset(&err);
    *enc_n = 0;
    int rc = zc_b2b_encode(ctx, c, src, n, buf, bound, enc_n, &err);
    if (rc_out)
        *rc_out = rc;
    if (rc != ZC_OK) {
        fprintf(stderr, "  encode error: %s: %s\n", err.codec, err.msg);
        free(buf);
        return NULL;
    }
    uint8_t *exact = dup_exact(buf, *enc_n);
    free(buf);
    return exact;
}

/* Decode with an exact-size destination of capacity cap. */
static int decode_cap(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                      size_t cap, uint8_t **out, size_t *out_n, zc_err *err) {
    err_reset(err);
    uint8_t *dst = cap ? xmalloc(cap) : NULL;
    uint8_t *in = dup_exact(src, n);
    *out_n = (size_t)-1;
    int rc = zc_b2b_decode(ctx, c, n ? in : NULL, n, dst, cap, out_n, err);
    free(in);
    if (out)
        *out = dst;
    else
        free(dst);
    return rc;
}

/* ------------------------------------------------------------------ */
/* round trips */

static void roundtrip(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *data, size_t n,
                      const char *what) {
    size_t bound = zc_b2b_encoded_bound(c, n);
    CHECK(bound >= n, "%s: bound %zu < n %zu", what, bound, n);
    size_t enc_n = 0;
    int rc = ZC_OK;
    uint8_t *enc = encode_exact(ctx, c, data, n, &enc_n, &rc);
    CHECK(enc != NULL && rc == ZC_OK, "%s: encode rc %d", what, rc);
    if (enc == NULL)
        return;
    CHECK(enc_n <= bound, "%s: encoded %zu > bound %zu", what, enc_n, bound);

    zc_err err;
    uint8_t *out = NULL;
    size_t out_n;
    rc = decode_cap(ctx, c, enc, enc_n, n, &out, &out_n, &err);
    CHECK(rc == ZC_OK, "%s: decode rc %d (%s: %s)", what, rc, err.codec, err.msg);
    CHECK(rc != ZC_OK || out_n == n, "%s: decoded %zu of %zu", what, out_n, n);
    CHECK(rc != ZC_OK || n == 0 || memcmp(out, data, n) == 0, "%s: data differs", what);
    free(out);

    /* More room than needed is fine. */
    rc = decode_cap(ctx, c, enc, enc_n, n + 17, &out, &out_n, &err);
    CHECK(rc == ZC_OK && out_n == n && (n == 0 || memcmp(out, data, n) == 0),
          "%s: decode with spare capacity rc %d (%s)", what, rc, err.msg);
    free(out);

    /* One byte less than the data is refused. */
    if (n > 0) {
        rc = decode_cap(ctx, c, enc, enc_n, n - 1, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT, "%s: decode into cap n-1 gave rc %d (%s)", what, rc, err.msg);
        CHECK(strcmp(err.codec, kind_label(c->kind)) == 0, "%s: codec name '%s'", what, err.codec);
    }
    free(enc);
}

static const size_t sizes[] = {0, 1, 7, 4096, 1u << 20};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static void test_roundtrips(zc_codec_ctx *ctx) {
    static const char *const cnames[] = {"blosclz", "lz4", "lz4hc", "snappy", "zlib", "zstd"};
    uint8_t *data[P_COUNT][NSIZES];
    for (int p = 0; p < P_COUNT; p++)
        for (size_t s = 0; s < NSIZES; s++) {
            data[p][s] = xmalloc(sizes[s]);
            fill(data[p][s], sizes[s], p);
        }

    char what[160];
    for (int p = 0; p < P_COUNT; p++) {
        for (size_t s = 0; s < NSIZES; s++) {
            const uint8_t *d = data[p][s];
            size_t n = sizes[s];
            /* blosc: every compressor and shuffle mode */
            for (size_t k = 0; k < sizeof cnames / sizeof cnames[0]; k++) {
                if (blosc_compname_to_compcode(cnames[k]) < 0)
                    continue;
                for (int sh = 0; sh <= 2; sh++) {
                    static const int typesizes[] = {1, 4};
                    for (int t = 0; t < 2; t++) {
                        zc_b2b_codec c = mk_blosc(cnames[k], 5, sh, typesizes[t], 0);
                        snprintf(what, sizeof what, "blosc %s shuffle=%d typesize=%d %s n=%zu",
                                 cnames[k], sh, typesizes[t], pattern_names[p], n);
                        roundtrip(ctx, &c, d, n, what);
                    }
                }
            }
            /* blosc corner parameters */
            {
                zc_b2b_codec cs[] = {
                    mk_blosc("lz4", 0, 1, 2, 0),       mk_blosc("zstd", 9, 2, 8, 0),
                    mk_blosc("blosclz", 9, 1, 4, 256), mk_blosc("lz4", 5, 1, 4, 65536),
                    mk_blosc("zstd", 1, 1, 300, 0),    mk_blosc("lz4", 5, -1, 2, 0),
                    mk_blosc("lz4", 5, 1, 255, 0),
                };
                for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
                    snprintf(what, sizeof what,
                             "blosc %s clevel=%d shuffle=%d typesize=%d blocksize=%d %s n=%zu",
                             cs[i].cname, cs[i].level, cs[i].shuffle, cs[i].typesize,
                             cs[i].blocksize, pattern_names[p], n);
                    roundtrip(ctx, &cs[i], d, n, what);
                }
            }
            /* gzip and zlib */
            static const int dlevels[] = {0, 1, 6, 9, 12};
            for (size_t i = 0; i < sizeof dlevels / sizeof dlevels[0]; i++) {
                if (dlevels[i] == 12 && n > 4096)
                    continue; /* slow and adds nothing */
                zc_b2b_codec g = mk(ZC_B2B_GZIP, dlevels[i]);
                snprintf(what, sizeof what, "gzip level=%d %s n=%zu", dlevels[i], pattern_names[p],
                         n);
                roundtrip(ctx, &g, d, n, what);
                zc_b2b_codec z = mk(ZC_B2B_ZLIB, dlevels[i]);
                snprintf(what, sizeof what, "zlib level=%d %s n=%zu", dlevels[i], pattern_names[p],
                         n);
                roundtrip(ctx, &z, d, n, what);
            }
            zc_b2b_codec zdef = mk(ZC_B2B_ZLIB, -1);
            snprintf(what, sizeof what, "zlib level=-1 %s n=%zu", pattern_names[p], n);
            roundtrip(ctx, &zdef, d, n, what);
            /* zstd */
            static const int zlevels[] = {-5, 0, 1, 3, 9};
            for (size_t i = 0; i < sizeof zlevels / sizeof zlevels[0]; i++)
                for (int ck = 0; ck <= 1; ck++) {
                    zc_b2b_codec z = mk(ZC_B2B_ZSTD, zlevels[i]);
                    z.checksum = ck;
                    snprintf(what, sizeof what, "zstd level=%d checksum=%d %s n=%zu", zlevels[i],
                             ck, pattern_names[p], n);
                    roundtrip(ctx, &z, d, n, what);
                }
            /* lz4 */
            static const int accel[] = {0, 1, 9};
            for (size_t i = 0; i < sizeof accel / sizeof accel[0]; i++) {
                zc_b2b_codec l = mk(ZC_B2B_LZ4, accel[i]);
                snprintf(what, sizeof what, "lz4 acceleration=%d %s n=%zu", accel[i],
                         pattern_names[p], n);
                roundtrip(ctx, &l, d, n, what);
            }
            /* crc32c */
            zc_b2b_codec cc = mk(ZC_B2B_CRC32C, 0);
            snprintf(what, sizeof what, "crc32c %s n=%zu", pattern_names[p], n);
            roundtrip(ctx, &cc, d, n, what);
        }
    }
    for (int p = 0; p < P_COUNT; p++)
        for (size_t s = 0; s < NSIZES; s++)
            free(data[p][s]);
}

/* ------------------------------------------------------------------ */
/* crc32c */

static void test_crc32c(void) {
    struct {
        const char *name;
        uint8_t data[32];
        size_t n;
        uint32_t crc;
    } v[5];
    memset(v, 0, sizeof v);
    v[0].name = "123456789";
    memcpy(v[0].data, "123456789", 9);
    v[0].n = 9;
    v[0].crc = 0xE3069283u;
    v[1].name = "empty";
    v[1].crc = 0;
    v[2].name = "32 zero bytes";
    v[2].n = 32;
    v[2].crc = 0x8A9136AAu;
    v[3].name = "32 0xff bytes";
    memset(v[3].data, 0xff, 32);
    v[3].n = 32;
    v[3].crc = 0x62A8AB43u;
    v[4].name = "0..31";
    for (int i = 0; i < 32; i++)
        v[4].data[i] = (uint8_t)i;
    v[4].n = 32;
    v[4].crc = 0x46DD794Eu;

    int hw = zc_crc32c_hw_available();
    printf("crc32c hardware path: %s\n", hw ? "available" : "not available");
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        uint8_t *d = dup_exact(v[i].data, v[i].n);
        uint32_t a = zc_crc32c(0, d, v[i].n);
        uint32_t b = zc_crc32c_table(0, d, v[i].n);
        CHECK(a == v[i].crc, "%s: 0x%08x != 0x%08x", v[i].name, a, v[i].crc);
        CHECK(b == v[i].crc, "table %s: 0x%08x != 0x%08x", v[i].name, b, v[i].crc);
        if (hw) {
            uint32_t h = zc_crc32c_hw(0, d, v[i].n);
            CHECK(h == v[i].crc, "hw %s: 0x%08x != 0x%08x", v[i].name, h, v[i].crc);
        }
        free(d);
    }
    CHECK(zc_crc32c(0, NULL, 0) == 0);
    CHECK(zc_crc32c(0x12345678u, NULL, 0) == 0x12345678u);

    /* hardware == tables for many lengths and alignments, and chaining */
    size_t big = 200000 + 64;
    uint8_t *buf = xmalloc(big);
    fill(buf, big, P_RANDOM);
    /* around the lengths where the hardware path changes strategy */
    static const size_t edges[] = {767,  768,  769,  775,  1535, 1536, 3071,  3072,
                                   3073, 3840, 3847, 6144, 6151, 6911, 200000};
    const int nedges = (int)(sizeof edges / sizeof edges[0]);
    for (int it = 0; it < 500; it++) {
        size_t len = it < nedges ? edges[it]
                                 : (size_t)(rnd() % (it < 150   ? 300
                                                     : it < 350 ? 8000
                                                                : 200000));
        size_t off = (size_t)(rnd() % 16);
        uint8_t *d = dup_exact(buf + off, len);
        uint32_t t = zc_crc32c_table(0, d, len);
        uint32_t a = zc_crc32c(0, d, len);
        CHECK(a == t, "len %zu: dispatch 0x%08x table 0x%08x", len, a, t);
        if (hw) {
            uint32_t h = zc_crc32c_hw(0, buf + off, len);
            CHECK(h == t, "len %zu off %zu: hw 0x%08x table 0x%08x", len, off, h, t);
        }
        size_t cut = len ? (size_t)(rnd() % (len + 1)) : 0;
        uint32_t c1 = zc_crc32c(zc_crc32c(0, d, cut), d + cut, len - cut);
        uint32_t c2 = zc_crc32c_table(zc_crc32c_table(0, d, cut), d + cut, len - cut);
        CHECK(c1 == t && c2 == t, "len %zu cut %zu: chained 0x%08x/0x%08x vs 0x%08x", len, cut, c1,
              c2, t);
        free(d);
    }
    free(buf);
}

/* ------------------------------------------------------------------ */
/* malformed input */

static int is_decode_failure(int rc) { return rc == ZC_ECORRUPT || rc == ZC_ECHECKSUM; }

/* Truncations, garbage and flipped bits of one valid stream. */
static void torture(zc_codec_ctx *ctx, const zc_b2b_codec *c, const char *what) {
    size_t n = 4096;
    uint8_t *data = xmalloc(n);
    fill(data, n, P_TEXT);
    size_t enc_n;
    uint8_t *enc = encode_exact(ctx, c, data, n, &enc_n, NULL);
    CHECK(enc != NULL, "%s: encode", what);
    if (enc == NULL) {
        free(data);
        return;
    }
    zc_err err;
    size_t out_n;
    int rc;

    /* truncated */
    size_t cuts[] = {0, 1, 2, 3, 4, 5, 8, 15, 16, 17, enc_n / 2, enc_n - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        size_t k = cuts[i];
        if (k >= enc_n)
            continue;
        rc = decode_cap(ctx, c, enc, k, n, NULL, &out_n, &err);
        int want = (c->kind == ZC_B2B_CRC32C && k >= 4) ? ZC_ECHECKSUM : ZC_ECORRUPT;
        /* libzstd reports a cut-off content checksum as a wrong one */
        if (c->kind == ZC_B2B_ZSTD && c->checksum && k >= enc_n - 3 && rc == ZC_ECHECKSUM)
            want = ZC_ECHECKSUM;
        CHECK(rc == want, "%s truncated to %zu of %zu: rc %d (%s)", what, k, enc_n, rc, err.msg);
        CHECK(rc == ZC_OK || err.msg[0] != '\0', "%s: no message", what);
    }

    /* garbage */
    static const size_t glens[] = {1, 4, 16, 17, 100, 5000};
    for (size_t i = 0; i < sizeof glens / sizeof glens[0]; i++) {
        uint8_t *g = xmalloc(glens[i]);
        fill(g, glens[i], P_RANDOM);
        rc = decode_cap(ctx, c, g, glens[i], n, NULL, &out_n, &err);
        CHECK(is_decode_failure(rc), "%s garbage of %zu bytes: rc %d", what, glens[i], rc);
        /* a plausible header followed by garbage */
        if (glens[i] > 16 && enc_n > 16) {
            memcpy(g, enc, 16);
            rc = decode_cap(ctx, c, g, glens[i], n, NULL, &out_n, &err);
            CHECK(rc == ZC_OK ? out_n <= n : is_decode_failure(rc),
                  "%s header+garbage of %zu bytes: rc %d", what, glens[i], rc);
        }
        free(g);
    }

    /* single flipped bits: never a crash, never more than cap; detected
     * whenever the format carries a checksum of the data */
    uint8_t *f = dup_exact(enc, enc_n);
    size_t nbits = enc_n * 8, step = nbits > 4000 ? nbits / 4000 + 1 : 1;
    int undetected = 0;
    for (size_t bit = 0; bit < nbits; bit += step) {
        f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        uint8_t *out = NULL;
        rc = decode_cap(ctx, c, f, enc_n, n, &out, &out_n, &err);
        CHECK(rc == ZC_OK ? out_n <= n : (is_decode_failure(rc) || rc == ZC_ECODEC),
              "%s bit %zu flipped: rc %d out_n %zu", what, bit, rc, out_n);
        if (rc == ZC_OK && out_n == n && memcmp(out, data, n) != 0)
            undetected++;
        free(out);
        f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    if (c->kind == ZC_B2B_CRC32C || c->kind == ZC_B2B_ZLIB || c->kind == ZC_B2B_GZIP ||
        (c->kind == ZC_B2B_ZSTD && c->checksum))
        CHECK(undetected == 0, "%s: %d bit flips changed the data undetected", what, undetected);
    free(f);
    free(enc);
    free(data);
}

static int has(const char *s, const char *needle) { return strstr(s, needle) != NULL; }

static void test_malformed(zc_codec_ctx *ctx) {
    zc_b2b_codec zstd_ck = mk(ZC_B2B_ZSTD, 3);
    zstd_ck.checksum = 1;
    zc_b2b_codec all[] = {
        mk_blosc("lz4", 5, 1, 4, 0),
        mk_blosc("zstd", 5, 2, 2, 0),
        mk_blosc("blosclz", 5, 0, 1, 0),
        mk_blosc("zlib", 5, 1, 1, 0),
        mk(ZC_B2B_GZIP, 5),
        mk(ZC_B2B_ZLIB, 5),
        mk(ZC_B2B_ZSTD, 3),
        zstd_ck,
        mk(ZC_B2B_LZ4, 1),
        mk(ZC_B2B_CRC32C, 0),
    };
    char what[64];
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        snprintf(what, sizeof what, "%s%s%s", kind_label(all[i].kind),
                 all[i].kind == ZC_B2B_BLOSC ? "/" : "", all[i].cname);
        torture(ctx, &all[i], what);
    }

    zc_err err;
    size_t out_n, enc_n;
    int rc;
    size_t n = 4096;
    uint8_t *data = xmalloc(n);
    fill(data, n, P_RAMP);

    /* --- blosc --- */
    zc_b2b_codec b = mk_blosc("lz4", 5, 1, 2, 0);
    uint8_t *enc = encode_exact(ctx, &b, data, n, &enc_n, NULL);
    rc = decode_cap(ctx, &b, enc, enc_n, n - 1, NULL, &out_n, &err);
    CHECK(rc == ZC_ECORRUPT && has(err.msg, "declares 4096"), "blosc small cap: %s", err.msg);
    {
        uint8_t *m = dup_exact(enc, enc_n);
        zc_store_le32(m + 4, 0x7FFFFFF0u); /* nbytes far beyond cap */
        rc = decode_cap(ctx, &b, m, enc_n, n, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT && has(err.msg, "declares"), "blosc huge nbytes: %s", err.msg);
        memcpy(m, enc, enc_n);
        m[0] = 3; /* version */
        rc = decode_cap(ctx, &b, m, enc_n, n, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT && has(err.msg, "version"), "blosc version: %s", err.msg);
        memcpy(m, enc, enc_n);
        zc_store_le32(m + 12, (uint32_t)enc_n + 1); /* cbytes beyond the chunk */
        rc = decode_cap(ctx, &b, m, enc_n, n, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT && has(err.msg, "compressed bytes"), "blosc cbytes: %s", err.msg);
        memcpy(m, enc, enc_n);
        m[2] = (uint8_t)((m[2] & 0x1f) | (6 << 5)); /* unknown compressor format */
        rc = decode_cap(ctx, &b, m, enc_n, n, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT, "blosc compressor format 6: rc %d %s", rc, err.msg);
        memcpy(m, enc, enc_n);
        zc_store_le32(m + 8, 0); /* blocksize 0 */
        rc = decode_cap(ctx, &b, m, enc_n, n, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT, "blosc blocksize 0: rc %d %s", rc, err.msg);
        free(m);
        /* trailing byte after a valid stream */
        uint8_t *t = xmalloc(enc_n + 1);
        memcpy(t, enc, enc_n);
        t[enc_n] = 0;
        rc = decode_cap(ctx, &b, t, enc_n + 1, n, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT, "blosc trailing byte: rc %d", rc);
        free(t);
    }
    free(enc);
    /* blosc parameters */
    {
        uint8_t dst[64 + BLOSC_MAX_OVERHEAD];
        zc_b2b_codec bad = mk_blosc("lzma", 5, 1, 1, 0);
        err_reset(&err);
        rc = zc_b2b_encode(ctx, &bad, data, 64, dst, sizeof dst, &out_n, &err);
        CHECK(rc == ZC_EINVAL && has(err.msg, "lzma") && has(err.msg, "blosclz, lz4, lz4hc"),
              "bad cname: %s", err.msg);
        CHECK(strcmp(err.codec, "blosc") == 0);
        /* a name filling all 16 bytes without a terminator */
        memset(bad.cname, 'x', sizeof bad.cname);
        err_reset(&err);
        rc = zc_b2b_encode(ctx, &bad, data, 64, dst, sizeof dst, &out_n, &err);
        CHECK(rc == ZC_EINVAL, "unterminated cname");
        zc_b2b_codec cs[] = {mk_blosc("lz4", 10, 1, 1, 0), mk_blosc("lz4", -1, 1, 1, 0),
                             mk_blosc("lz4", 5, 3, 1, 0),  mk_blosc("lz4", 5, -2, 1, 0),
                             mk_blosc("lz4", 5, 1, 0, 0),  mk_blosc("lz4", 5, 1, -4, 0),
                             mk_blosc("lz4", 5, 1, 1, -1)};
        for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
            err_reset(&err);
            rc = zc_b2b_encode(ctx, &cs[i], data, 64, dst, sizeof dst, &out_n, &err);
            CHECK(rc == ZC_EINVAL, "blosc params #%zu: rc %d", i, rc);
        }
        zc_b2b_codec wide = mk_blosc("lz4", 5, 1, 300, 0);
        err_reset(&err);
        rc = zc_b2b_encode(ctx, &wide, data, 64, dst, sizeof dst, &out_n, &err);
        CHECK(rc == ZC_OK && dst[3] == 1, "typesize 300 is written as 1: rc %d ts %u", rc, dst[3]);
        err_reset(&err);
        rc = zc_b2b_encode(NULL, &b, data, 64, dst, 20, &out_n, &err);
        CHECK(rc == ZC_EINVAL || rc == ZC_OK, "blosc tiny output: rc %d", rc);
    }

    /* --- zstd --- */
    zc_b2b_codec z = mk(ZC_B2B_ZSTD, 3);
    {
        /* a frame header announcing 2^40 bytes */
        uint8_t f[] = {0x28, 0xB5, 0x2F, 0xFD, 0xE0, 0, 0, 0, 0, 0, 1, 0, 0, 0x01, 0, 0};
        rc = decode_cap(ctx, &z, f, sizeof f, n, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT && has(err.msg, "1099511627776"), "zstd 2^40: rc %d %s", rc,
              err.msg);
        enc = encode_exact(ctx, &z, data, n, &enc_n, NULL);
        rc = decode_cap(ctx, &z, enc, enc_n, n - 1, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT && has(err.msg, "declares 4096"), "zstd small cap: %s", err.msg);
        /* two frames: the concatenation; more than cap is refused */
        uint8_t *two = xmalloc(2 * enc_n);
        memcpy(two, enc, enc_n);
        memcpy(two + enc_n, enc, enc_n);
        uint8_t *out;
        rc = decode_cap(ctx, &z, two, 2 * enc_n, 2 * n, &out, &out_n, &err);
        CHECK(rc == ZC_OK && out_n == 2 * n && memcmp(out, data, n) == 0 &&
                  memcmp(out + n, data, n) == 0,
              "zstd two frames: rc %d %s", rc, err.msg);
        free(out);
        rc = decode_cap(ctx, &z, two, 2 * enc_n, 2 * n - 1, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT, "zstd two frames, small cap: rc %d", rc);
        /* trailing garbage after the frame */
        two[enc_n] ^= 0x55;
        rc = decode_cap(ctx, &z, two, 2 * enc_n, 2 * n, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT, "zstd trailing garbage: rc %d", rc);
        free(two);
        /* a skippable frame first */
        uint8_t *sk = xmalloc(8 + 5 + enc_n);
        uint8_t skh[] = {0x50, 0x2A, 0x4D, 0x18, 5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
        memcpy(sk, skh, sizeof skh);
        memcpy(sk + sizeof skh, enc, enc_n);
        rc = decode_cap(ctx, &z, sk, sizeof skh + enc_n, n, &out, &out_n, &err);
        CHECK(rc == ZC_OK && out_n == n && memcmp(out, data, n) == 0,
              "zstd skippable frame first: rc %d %s", rc, err.msg);
        free(out);
        free(sk);
        free(enc);
    }
    {
        /* a frame without content size (as streaming writers produce) */
        ZSTD_CCtx *cc = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
        size_t cap = ZSTD_compressBound(n);
        uint8_t *buf = xmalloc(cap);
        size_t r = ZSTD_compress2(cc, buf, cap, data, n);
        ZSTD_freeCCtx(cc);
        CHECK(!ZSTD_isError(r) && ZSTD_getFrameContentSize(buf, r) == ZSTD_CONTENTSIZE_UNKNOWN);
        uint8_t *out;
        rc = decode_cap(ctx, &z, buf, r, n, &out, &out_n, &err);
        CHECK(rc == ZC_OK && out_n == n && memcmp(out, data, n) == 0,
              "zstd without content size: rc %d %s", rc, err.msg);
        free(out);
        rc = decode_cap(ctx, &z, buf, r, n - 1, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT, "zstd without content size, small cap: rc %d", rc);
        free(buf);
    }
    {
        /* a wrong content checksum */
        enc = encode_exact(ctx, &zstd_ck, data, n, &enc_n, NULL);
        uint8_t *m = dup_exact(enc, enc_n);
        m[enc_n - 1] ^= 0x01;
        rc = decode_cap(ctx, &zstd_ck, m, enc_n, n, NULL, &out_n, &err);
        CHECK(rc == ZC_ECHECKSUM, "zstd checksum: rc %d %s", rc, err.msg);
        free(m);
        free(enc);
        err_reset(&err);
        rc = zc_b2b_decode(NULL, &z, data, 16, data, 16, &out_n, &err);
        CHECK(rc == ZC_EINVAL || rc == ZC_ECORRUPT, "zstd without context: rc %d", rc);
        err_reset(&err);
        rc = zc_b2b_encode(NULL, &z, data, 16, data + 100, 100, &out_n, &err);
        CHECK(rc == ZC_EINVAL && has(err.msg, "context"), "zstd encode without context");
    }

    /* --- gzip / zlib --- */
    {
        zc_b2b_codec g = mk(ZC_B2B_GZIP, 6);
        enc = encode_exact(ctx, &g, data, n, &enc_n, NULL);
        rc = decode_cap(ctx, &g, enc, enc_n, n - 1, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT && has(err.msg, "exceeds"), "gzip small cap: %s", err.msg);
        /* two members, then zero padding */
        uint8_t *two = xmalloc(2 * enc_n + 8);
        memcpy(two, enc, enc_n);
        memcpy(two + enc_n, enc, enc_n);
        memset(two + 2 * enc_n, 0, 8);
        uint8_t *out;
        rc = decode_cap(ctx, &g, two, 2 * enc_n, 2 * n, &out, &out_n, &err);
        CHECK(rc == ZC_OK && out_n == 2 * n && memcmp(out + n, data, n) == 0,
              "gzip two members: rc %d %s", rc, err.msg);
        free(out);
        rc = decode_cap(ctx, &g, two, 2 * enc_n + 8, 2 * n, &out, &out_n, &err);
        CHECK(rc == ZC_OK && out_n == 2 * n, "gzip zero padding: rc %d %s", rc, err.msg);
        free(out);
        rc = decode_cap(ctx, &g, two, 2 * enc_n, 2 * n - 1, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT, "gzip two members, small cap: rc %d", rc);
        two[2 * enc_n + 3] = 7; /* non-zero trailing garbage */
        rc = decode_cap(ctx, &g, two, 2 * enc_n + 8, 2 * n, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT, "gzip trailing garbage: rc %d", rc);
        rc = decode_cap(ctx, &g, two, 0, n, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT && has(err.msg, "empty"), "gzip empty: rc %d", rc);
        free(two);
        free(enc);

        zc_b2b_codec zl = mk(ZC_B2B_ZLIB, 6);
        enc = encode_exact(ctx, &zl, data, n, &enc_n, NULL);
        uint8_t *t = xmalloc(enc_n + 1);
        memcpy(t, enc, enc_n);
        t[enc_n] = 0;
        rc = decode_cap(ctx, &zl, t, enc_n + 1, n, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT && has(err.msg, "after the end"), "zlib trailing: %s", err.msg);
        rc = decode_cap(ctx, &zl, enc, enc_n, n - 1, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT, "zlib small cap: rc %d", rc);
        free(t);
        free(enc);

        static const int bad_levels[] = {-2, 13, 100};
        uint8_t dst[256];
        for (size_t i = 0; i < 3; i++) {
            zc_b2b_codec bg = mk(ZC_B2B_GZIP, bad_levels[i]);
            err_reset(&err);
            rc = zc_b2b_encode(ctx, &bg, data, 16, dst, sizeof dst, &out_n, &err);
            CHECK(rc == ZC_EINVAL && strcmp(err.codec, "gzip") == 0, "gzip level %d: rc %d",
                  bad_levels[i], rc);
        }
        err_reset(&err);
        rc = zc_b2b_encode(NULL, &g, data, 16, dst, sizeof dst, &out_n, &err);
        CHECK(rc == ZC_EINVAL, "gzip without context: rc %d", rc);
    }

    /* --- lz4 --- */
    {
        zc_b2b_codec l = mk(ZC_B2B_LZ4, 1);
        enc = encode_exact(ctx, &l, data, n, &enc_n, NULL);
        CHECK(zc_load_le32(enc) == n);
        uint8_t *m = dup_exact(enc, enc_n);
        zc_store_le32(m, (uint32_t)n + 1); /* claims more than cap */
        rc = decode_cap(ctx, &l, m, enc_n, n, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT && has(err.msg, "declares 4097"), "lz4 > cap: %s", err.msg);
        rc = decode_cap(ctx, &l, m, enc_n, n + 1, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT && has(err.msg, "decoded 4096"), "lz4 header too big: %s", err.msg);
        zc_store_le32(m, (uint32_t)n - 1);
        rc = decode_cap(ctx, &l, m, enc_n, n, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT, "lz4 header too small: rc %d %s", rc, err.msg);
        zc_store_le32(m, 0xFFFFFFFFu);
        rc = decode_cap(ctx, &l, m, enc_n, n, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT, "lz4 header 4 GiB: rc %d", rc);
        rc = decode_cap(ctx, &l, enc, 4, n, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT, "lz4 header only: rc %d", rc);
        free(m);
        free(enc);
        uint8_t dst[8];
        err_reset(&err);
        rc = zc_b2b_encode(NULL, &l, data, n, dst, sizeof dst, &out_n, &err);
        CHECK(rc == ZC_EINVAL && has(err.msg, "too small"), "lz4 tiny output: rc %d", rc);
    }

    /* --- crc32c --- */
    {
        zc_b2b_codec c = mk(ZC_B2B_CRC32C, 0);
        enc = encode_exact(ctx, &c, data, n, &enc_n, NULL);
        CHECK(enc_n == n + 4 && zc_load_le32(enc + n) == zc_crc32c(0, data, n));
        uint8_t *m = dup_exact(enc, enc_n);
        m[10] ^= 0x80;
        rc = decode_cap(ctx, &c, m, enc_n, n, NULL, &out_n, &err);
        char expect[64];
        snprintf(expect, sizeof expect, "stored 0x%08x, computed 0x%08x", zc_load_le32(enc + n),
                 zc_crc32c(0, m, n));
        CHECK(rc == ZC_ECHECKSUM && has(err.msg, expect), "crc32c mismatch: %s", err.msg);
        CHECK(strcmp(err.codec, "crc32c") == 0);
        free(m);
        rc = decode_cap(ctx, &c, enc, 3, n, NULL, &out_n, &err);
        CHECK(rc == ZC_ECORRUPT, "crc32c 3 bytes: rc %d", rc);
        uint8_t four[4] = {0, 0, 0, 0};
        rc = decode_cap(ctx, &c, four, 4, 0, NULL, &out_n, &err);
        CHECK(rc == ZC_OK && out_n == 0, "crc32c of nothing: rc %d", rc);
        uint8_t dst[8];
        err_reset(&err);
        rc = zc_b2b_encode(NULL, &c, data, 5, dst, sizeof dst, &out_n, &err);
        CHECK(rc == ZC_EINVAL, "crc32c tiny output: rc %d", rc);
        free(enc);
    }

    /* --- dispatch --- */
    {
        zc_b2b_codec u = mk(99, 0);
        uint8_t dst[16];
        err_reset(&err);
        rc = zc_b2b_encode(ctx, &u, data, 8, dst, sizeof dst, &out_n, &err);
        CHECK(rc == ZC_EINVAL && has(err.msg, "99"), "unknown kind: %s", err.msg);
        err_reset(&err);
        rc = zc_b2b_decode(ctx, NULL, data, 8, dst, sizeof dst, &out_n, &err);
        CHECK(rc == ZC_EINVAL, "NULL codec");
        zc_b2b_codec c = mk(ZC_B2B_CRC32C, 0);
        err_reset(&err);
        rc = zc_b2b_decode(ctx, &c, NULL, 8, dst, sizeof dst, &out_n, &err);
        CHECK(rc == ZC_EINVAL, "NULL input");
        err_reset(&err);
        rc = zc_b2b_decode(ctx, &c, data, 8, NULL, 8, &out_n, &err);
        CHECK(rc == ZC_EINVAL, "NULL output");
        err_reset(&err);
        rc = zc_b2b_decode(ctx, &c, data, 8, dst, sizeof dst, NULL, &err);
        CHECK(rc == ZC_EINVAL, "NULL out_n");
        CHECK(zc_b2b_encoded_bound(&u, 10) == 0);
        CHECK(zc_b2b_encoded_bound(NULL, 10) == 0);
        static const int kinds[] = {ZC_B2B_BLOSC,  ZC_B2B_GZIP, ZC_B2B_ZSTD,
                                    ZC_B2B_CRC32C, ZC_B2B_ZLIB, ZC_B2B_LZ4};
        for (size_t i = 0; i < 6; i++) {
            zc_b2b_codec k = mk(kinds[i], 1);
            CHECK(zc_b2b_encoded_bound(&k, SIZE_MAX) == 0, "%s bound(SIZE_MAX)",
                  kind_label(kinds[i]));
            CHECK(zc_b2b_encoded_bound(&k, SIZE_MAX - 3) == 0, "%s bound(SIZE_MAX-3)",
                  kind_label(kinds[i]));
            /* the error of a NULL record is still returned */
            CHECK(zc_b2b_decode(ctx, &k, data, 2, dst, sizeof dst, &out_n, NULL) == ZC_ECORRUPT,
                  "%s with NULL err", kind_label(kinds[i]));
        }
    }
    free(data);
}

/* ------------------------------------------------------------------ */
/* the error record */

/* The codec table: one entry per kind, named as in error records. */
static void test_table(void) {
    for (int kind = ZC_B2B_BLOSC; kind <= ZC_B2B_LZ4; kind++) {
        const zc_b2b_entry *e = zc_b2b_lookup(kind);
        CHECK(e != NULL, "kind %d", kind);
        if (e == NULL)
            continue;
        CHECK(e->kind == kind);
        CHECK(strcmp(e->name, kind_label(kind)) == 0, "kind %d is '%s'", kind, e->name);
        CHECK(zc_b2b_name(kind) == e->name);
        CHECK(e->bound != NULL && e->encode != NULL && e->decode != NULL);
        CHECK((e->check != NULL) == (kind == ZC_B2B_CRC32C), "kind %d", kind);
    }
    CHECK(zc_b2b_lookup(0) == NULL && zc_b2b_lookup(ZC_B2B_LZ4 + 1) == NULL);
    CHECK(zc_b2b_lookup(-1) == NULL && zc_b2b_name(99) == NULL);
    zc_b2b_codec c = mk(99, 0);
    CHECK(zc_b2b_encoded_bound(&c, 100) == 0);
    CHECK(zc_b2b_encoded_bound(NULL, 100) == 0);
    uint8_t in[4] = {1, 2, 3, 4}, out[16];
    size_t out_n = 7;
    zc_err err;
    err_reset(&err);
    CHECK(zc_b2b_encode(NULL, &c, in, 4, out, sizeof out, &out_n, &err) == ZC_EINVAL);
    CHECK(out_n == 0 && strstr(err.msg, "unknown bytes-to-bytes codec kind 99") != NULL, "%s",
          err.msg);
    /* the crc32c in-place check agrees with its decoder */
    const zc_b2b_entry *crc = zc_b2b_lookup(ZC_B2B_CRC32C);
    zc_b2b_codec cc = mk(ZC_B2B_CRC32C, 0);
    uint8_t stream[8];
    err_reset(&err);
    CHECK(zc_b2b_encode(NULL, &cc, in, 4, stream, sizeof stream, &out_n, &err) == ZC_OK);
    CHECK(out_n == 8);
    size_t n = 0;
    CHECK(crc != NULL && crc->check(stream, 8, &n, &err) == ZC_OK && n == 4);
    stream[0] ^= 1;
    err_reset(&err);
    CHECK(crc->check(stream, 8, &n, &err) == ZC_ECHECKSUM && err.code == ZC_ECHECKSUM);
    err_reset(&err);
    CHECK(crc->check(stream, 3, &n, &err) == ZC_ECORRUPT);
    CHECK(strstr(err.msg, "too short to hold a checksum") != NULL, "%s", err.msg);
}

static void test_err(void) {
    zc_err e;
    err_reset(&e);
    CHECK(zc_err_set(&e, ZC_ECORRUPT, "zstd", "bad %d", 42) == ZC_ECORRUPT);
    CHECK(e.code == ZC_ECORRUPT && strcmp(e.codec, "zstd") == 0 && strcmp(e.msg, "bad 42") == 0);
    CHECK(e.chunk == -1 && e.sys_errno == 0);
    /* the first error wins */
    CHECK(zc_err_set(&e, ZC_ECHECKSUM, "crc32c", "later") == ZC_ECHECKSUM);
    CHECK(e.code == ZC_ECORRUPT && strcmp(e.codec, "zstd") == 0 && strcmp(e.msg, "bad 42") == 0);
    /* truncation */
    err_reset(&e);
    char longname[64], longmsg[600];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    memset(longmsg, 'm', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = '\0';
    zc_err_set(&e, ZC_EINVAL, longname, "%s", longmsg);
    CHECK(strlen(e.codec) == sizeof e.codec - 1 && strlen(e.msg) == sizeof e.msg - 1);
    err_reset(&e);
    zc_err_set(&e, ZC_EIO, NULL, "x");
    CHECK(e.code == ZC_EIO && e.codec[0] == '\0');
    CHECK(zc_err_set(NULL, ZC_ENOMEM, "x", "y") == ZC_ENOMEM);
    err_reset(&e);
    CHECK(zc_err_set(&e, ZC_OK, "x", "y") == ZC_OK && e.code == ZC_OK && e.msg[0] == '\0');
}

/* ------------------------------------------------------------------ */
/* two threads, each with its own context */

struct thread_arg {
    int id;
    int failures;
};

static void *thread_main(void *p) {
    struct thread_arg *a = p;
    zc_codec_ctx *ctx = zc_codec_ctx_new();
    size_t n = 65536;
    uint8_t *data = xmalloc(n), *enc = xmalloc(n + 4096), *out = xmalloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (uint8_t)((i * 31 + (size_t)a->id) >> 3);
    zc_b2b_codec cs[] = {mk_blosc("lz4", 5, 1, 4, 0), mk_blosc("zstd", 3, 2, 2, 0),
                         mk(ZC_B2B_GZIP, 1),          mk(ZC_B2B_ZLIB, 6),
                         mk(ZC_B2B_ZSTD, 1),          mk(ZC_B2B_LZ4, 1),
                         mk(ZC_B2B_CRC32C, 0)};
    for (int it = 0; it < 10; it++)
        for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
            zc_err err;
            err_reset(&err);
            size_t enc_n, out_n;
            int rc = zc_b2b_encode(ctx, &cs[i], data, n, enc, n + 4096, &enc_n, &err);
            if (rc == ZC_OK)
                rc = zc_b2b_decode(ctx, &cs[i], enc, enc_n, out, n, &out_n, &err);
            if (rc != ZC_OK || out_n != n || memcmp(out, data, n) != 0)
                a->failures++;
        }
    free(data);
    free(enc);
    free(out);
    zc_codec_ctx_free(ctx);
    return NULL;
}

static void test_threads(void) {
    pthread_t t[2];
    struct thread_arg a[2] = {{0, 0}, {1, 0}};
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, thread_main, &a[i]) == 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK(a[0].failures == 0 && a[1].failures == 0, "thread failures %d %d", a[0].failures,
          a[1].failures);
}

/* ------------------------------------------------------------------ */
/* manifest mode */

static uint8_t *read_file(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (len < 0) {
        fclose(f);
        return NULL;
    }
    uint8_t *p = xmalloc((size_t)len);
    size_t got = fread(p, 1, (size_t)len, f);
    fclose(f);
    if (got != (size_t)len) {
        free(p);
        return NULL;
    }
    *n = (size_t)len;
    return p;
}

static int write_file(const char *path, const uint8_t *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    size_t put = fwrite(p, 1, n, f);
    int rc = fclose(f);
    return put == n && rc == 0 ? 0 : -1;
}

static int parse_kind(const char *s) {
    static const int kinds[] = {ZC_B2B_BLOSC,  ZC_B2B_GZIP, ZC_B2B_ZSTD,
                                ZC_B2B_CRC32C, ZC_B2B_ZLIB, ZC_B2B_LZ4};
    for (size_t i = 0; i < 6; i++)
        if (strcmp(s, kind_label(kinds[i])) == 0)
            return kinds[i];
    return -1;
}

static int run_line(zc_codec_ctx *ctx, char *line, char *why, size_t why_size) {
    char *op = strtok(line, " \t\r\n");
    if (op == NULL)
        return -1; /* blank */
    zc_b2b_codec c = mk(0, 0);
    const char *in = NULL, *out = NULL, *expect = NULL;
    long long cap = -1;
    int code = -1;
    for (char *tok; (tok = strtok(NULL, " \t\r\n")) != NULL;) {
        char *eq = strchr(tok, '=');
        if (eq == NULL) {
            snprintf(why, why_size, "bad token '%s'", tok);
            return 1;
        }
        *eq = '\0';
        const char *k = tok, *v = eq + 1;
        if (!strcmp(k, "kind"))
            c.kind = parse_kind(v);
        else if (!strcmp(k, "level"))
            c.level = atoi(v);
        else if (!strcmp(k, "checksum"))
            c.checksum = atoi(v);
        else if (!strcmp(k, "shuffle"))
            c.shuffle = atoi(v);
        else if (!strcmp(k, "typesize"))
            c.typesize = atoi(v);
        else if (!strcmp(k, "blocksize"))
            c.blocksize = atoi(v);
        else if (!strcmp(k, "cname"))
            snprintf(c.cname, sizeof c.cname, "%s", v);
        else if (!strcmp(k, "in"))
            in = v;
        else if (!strcmp(k, "out"))
            out = v;
        else if (!strcmp(k, "expect"))
            expect = v;
        else if (!strcmp(k, "cap"))
            cap = atoll(v);
        else if (!strcmp(k, "code"))
            code = atoi(v);
        else {
            snprintf(why, why_size, "unknown key '%s'", k);
            return 1;
        }
    }
    size_t n = 0;
    uint8_t *src = in ? read_file(in, &n) : NULL;
    if (src == NULL) {
        snprintf(why, why_size, "cannot read input '%s'", in ? in : "");
        return 1;
    }
    int status = 0;
    zc_err err;
    err_reset(&err);
    size_t out_n = 0;
    if (!strcmp(op, "encode")) {
        size_t bound = zc_b2b_encoded_bound(&c, n);
        uint8_t *dst = xmalloc(bound);
        int rc = zc_b2b_encode(ctx, &c, src, n, dst, bound, &out_n, &err);
        if (rc != ZC_OK) {
            snprintf(why, why_size, "encode rc %d: %s: %s", rc, err.codec, err.msg);
            status = 1;
        } else if (out == NULL || write_file(out, dst, out_n) != 0) {
            snprintf(why, why_size, "cannot write output");
            status = 1;
        }
        free(dst);
    } else if (!strcmp(op, "decode")) {
        size_t en = 0;
        uint8_t *want = expect ? read_file(expect, &en) : NULL;
        if (want == NULL) {
            snprintf(why, why_size, "cannot read expected output");
            status = 1;
        } else {
            size_t dcap = cap >= 0 ? (size_t)cap : en;
            uint8_t *dst = xmalloc(dcap);
            int rc = zc_b2b_decode(ctx, &c, src, n, dcap ? dst : NULL, dcap, &out_n, &err);
            if (rc != ZC_OK) {
                snprintf(why, why_size, "decode rc %d: %s: %s", rc, err.codec, err.msg);
                status = 1;
            } else if (out_n != en || (en && memcmp(dst, want, en) != 0)) {
                snprintf(why, why_size, "decoded %zu bytes differ from the %zu expected", out_n,
                         en);
                status = 1;
            }
            free(dst);
            free(want);
        }
    } else if (!strcmp(op, "fail")) {
        size_t dcap = cap >= 0 ? (size_t)cap : 0;
        uint8_t *dst = xmalloc(dcap);
        int rc = zc_b2b_decode(ctx, &c, src, n, dcap ? dst : NULL, dcap, &out_n, &err);
        if (rc != code) {
            snprintf(why, why_size, "rc %d, expected %d (%s)", rc, code, err.msg);
            status = 1;
        }
        free(dst);
    } else {
        snprintf(why, why_size, "unknown operation '%s'", op);
        status = 1;
    }
    free(src);
    return status;
}

static int run_manifest(const char *path) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return 2;
    }
    zc_codec_ctx *ctx = zc_codec_ctx_new();
    char line[4096], why[512];
    int lineno = 0, ok = 0, failed = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        why[0] = '\0';
        int r = run_line(ctx, line, why, sizeof why);
        if (r == 0)
            ok++;
        else if (r > 0) {
            failed++;
            printf("FAIL line %d: %s\n", lineno, why);
        }
    }
    fclose(f);
    zc_codec_ctx_free(ctx);
    printf("manifest: %d ok, %d failed\n", ok, failed);
    return failed ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "run") == 0)
        return run_manifest(argv[2]);
    if (argc != 1) {
        fprintf(stderr, "usage: %s [run MANIFEST]\n", argv[0]);
        return 2;
    }
    zc_codec_ctx *ctx = zc_codec_ctx_new();
    CHECK(ctx != NULL);
    test_err();
    test_table();
    test_crc32c();
    test_roundtrips(ctx);
    test_malformed(ctx);
    zc_codec_ctx_free(ctx);
    zc_codec_ctx_free(NULL);
    test_threads();
    return harness_report("test_codecs");
}
