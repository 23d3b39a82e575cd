/* CRC32C (Castagnoli): reflected polynomial 0x82F63B78, register starting at
 * all ones and inverted at the end, so crc32c("123456789") = 0xE3069283.
 *
 * Two implementations give the same results:
 *  - x86-64 with SSE4.2: the crc32 instruction, three independent streams
 *    over inputs of 768 bytes and more (the instruction's latency is three times its
 *    throughput) recombined with "shift by N zero bytes" tables;
 *  - elsewhere: slice-by-8 tables.
 * The tables are built once, on first use, under pthread_once; after that
 * they are only read.
 *
 * Also the "crc32c" bytes-to-bytes codec: the data followed by its CRC32C as
 * 4 little-endian bytes. */
#include "codecs_internal.h"

#include <pthread.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#define NAME "crc32c"
#define POLY 0x82F63B78u

/* The hardware path runs three streams of LANE bytes each over long inputs,
 * then of SHORT_LANE bytes over what is left (multiples of 8; measured). */
#define LANE 1024
#define SHORT_LANE 256

struct crc_tables {
    /* slice[k][b]: register after feeding byte b then k zero bytes to a zero
     * register. */
    uint32_t slice[8][256];
    /* shift[l][s][j][b]: register obtained from (b << 8j) by feeding
     * (s + 1) lanes of zero bytes, lanes of LANE bytes for l = 0 and of
     * SHORT_LANE bytes for l = 1.  The map is linear, so four lookups shift
     * a whole register. */
    uint32_t shift[2][2][4][256];
};

static struct crc_tables tables;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* The register times x, reduced: one zero bit fed in. */
static uint32_t times_x(uint32_t r) { return (r >> 1) ^ ((r & 1u) ? POLY : 0u); }

/* Product of two registers as polynomials modulo the CRC polynomial.  In the
 * reflected representation bit 31 holds the coefficient of x^0. */
static uint32_t mul_mod(uint32_t a, uint32_t b) {
    uint32_t product = 0;
    for (int i = 0; i < 32; i++) {
        if (a & (0x80000000u >> i))
            product ^= b;
        b = times_x(b);
    }
    return product;
}

static void build_tables(void) {
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t r = b;
        for (int k = 0; k < 8; k++)
            r = times_x(r);
        tables.slice[0][b] = r;
    }
    for (int k = 1; k < 8; k++)
        for (int b = 0; b < 256; b++) {
            uint32_t prev = tables.slice[k - 1][b];
            tables.slice[k][b] = (prev >> 8) ^ tables.slice[0][prev & 0xff];
        }

    /* x^(8 * lane) and x^(16 * lane) modulo the polynomial. */
    static const int lanes[2] = {LANE, SHORT_LANE};
    for (int l = 0; l < 2; l++) {
        uint32_t power[2];
        uint32_t p = 0x80000000u; /* x^0 */
        for (int i = 0; i < 8 * lanes[l]; i++)
            p = times_x(p);
        power[0] = p;
        power[1] = mul_mod(p, p);
        for (int s = 0; s < 2; s++)
            for (int j = 0; j < 4; j++)
                for (uint32_t b = 0; b < 256; b++)
                    tables.shift[l][s][j][b] = mul_mod(b << (8 * j), power[s]);
    }
}

static const struct crc_tables *get_tables(void) {
    pthread_once(&tables_once, build_tables);
    return &tables;
}

static inline uint64_t load_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Raw register update (no inversions) with slice-by-8. */
static uint32_t table_update(const struct crc_tables *t, uint32_t r, const uint8_t *p, size_t n) {
    while (n >= 8) {
        uint64_t w = load_le64(p) ^ r;
        uint32_t lo = (uint32_t)w, hi = (uint32_t)(w >> 32);
        r = t->slice[7][lo & 0xff] ^ t->slice[6][(lo >> 8) & 0xff] ^
            t->slice[5][(lo >> 16) & 0xff] ^ t->slice[4][lo >> 24] ^ t->slice[3][hi & 0xff] ^
            t->slice[2][(hi >> 8) & 0xff] ^ t->slice[1][(hi >> 16) & 0xff] ^ t->slice[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        r = (r >> 8) ^ t->slice[0][(r ^ *p++) & 0xff];
    return r;
}

uint32_t zc_crc32c_table(uint32_t crc, const void *data, size_t n) {
    if (n == 0)
        return crc;
    return ~table_update(get_tables(), ~crc, data, n);
}

#if defined(__x86_64__)

int zc_crc32c_hw_available(void) { return __builtin_cpu_supports("sse4.2") ? 1 : 0; }

static inline uint32_t shift_register(const uint32_t tbl[4][256], uint32_t r) {
    return tbl[0][r & 0xff] ^ tbl[1][(r >> 8) & 0xff] ^ tbl[2][(r >> 16) & 0xff] ^ tbl[3][r >> 24];
}

/* Three streams of `lane` bytes at a time while at least 3 * lane remain. */
__attribute__((target("sse4.2"), always_inline)) static inline uint32_t
hw_three_way(uint32_t r, const uint8_t **pp, size_t *np, size_t lane,
             const uint32_t shift[2][4][256]) {
    const uint8_t *p = *pp;
    size_t n = *np;
    while (n >= 3 * lane) {
        uint64_t r0 = r, r1 = 0, r2 = 0;
        for (size_t i = 0; i < lane; i += 8) {
            uint64_t a, b, c;
            memcpy(&a, p + i, 8);
            memcpy(&b, p + lane + i, 8);
            memcpy(&c, p + 2 * lane + i, 8);
            r0 = _mm_crc32_u64(r0, a);
            r1 = _mm_crc32_u64(r1, b);
            r2 = _mm_crc32_u64(r2, c);
        }
        /* crc(A B C) = shift(crc(A), |B C|) ^ shift(crc0(B), |C|) ^ crc0(C) */
        r = shift_register(shift[1], (uint32_t)r0) ^ shift_register(shift[0], (uint32_t)r1) ^
            (uint32_t)r2;
        p += 3 * lane;
        n -= 3 * lane;
    }
    *pp = p;
    *np = n;
    return r;
}

__attribute__((target("sse4.2"))) static uint32_t hw_update(uint32_t r, const uint8_t *p,
                                                            size_t n) {
    while (n > 0 && ((uintptr_t)p & 7u)) {
        r = _mm_crc32_u8(r, *p++);
        n--;
    }
    if (n >= 3 * SHORT_LANE) {
        const struct crc_tables *t = get_tables();
        r = hw_three_way(r, &p, &n, LANE, t->shift[0]);
        r = hw_three_way(r, &p, &n, SHORT_LANE, t->shift[1]);
    }
    uint64_t r64 = r;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        r64 = _mm_crc32_u64(r64, w);
        p += 8;
        n -= 8;
    }
    r = (uint32_t)r64;
    while (n--)
        r = _mm_crc32_u8(r, *p++);
    return r;
}

uint32_t zc_crc32c_hw(uint32_t crc, const void *data, size_t n) {
    if (n == 0)
        return crc;
    return ~hw_update(~crc, data, n);
}

uint32_t zc_crc32c(uint32_t crc, const void *data, size_t n) {
    if (n == 0)
        return crc;
    if (__builtin_cpu_supports("sse4.2"))
        return ~hw_update(~crc, data, n);
    return ~table_update(get_tables(), ~crc, data, n);
}

#else /* no hardware implementation for this architecture */

int zc_crc32c_hw_available(void) { return 0; }

uint32_t zc_crc32c_hw(uint32_t crc, const void *data, size_t n) {
    return zc_crc32c_table(crc, data, n);
}

uint32_t zc_crc32c(uint32_t crc, const void *data, size_t n) {
    return zc_crc32c_table(crc, data, n);
}

#endif

/* ---- the crc32c codec ---- */

static size_t crc32c_bound(const zc_b2b_codec *c, size_t n) {
    (void)c;
    size_t out;
    if (zc_add_ovf(n, 4, &out))
        return 0;
    return out;
}

static int crc32c_encode(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                         uint8_t *dst, size_t cap, size_t *out_n, zc_err *err) {
    (void)ctx;
    (void)c;
    size_t need;
    if (zc_add_ovf(n, 4, &need))
        return zc_err_set(err, ZC_EOVERFLOW, NAME, "input of %zu bytes too large", n);
    if (cap < need)
        return zc_err_set(err, ZC_EINVAL, NAME, "output capacity %zu too small (%zu needed)", cap,
                          need);
    if (n)
        memcpy(dst, src, n);
    zc_store_le32(dst + n, zc_crc32c(0, src, n));
    *out_n = need;
    return ZC_OK;
}

static int crc32c_decode(zc_codec_ctx *ctx, const zc_b2b_codec *c, const uint8_t *src, size_t n,
                         uint8_t *dst, size_t cap, size_t *out_n, zc_err *err) {
    (void)ctx;
    (void)c;
    if (n < 4)
        return zc_err_set(err, ZC_ECORRUPT, NAME,
                          "truncated: %zu bytes, shorter than the 4-byte checksum", n);
    size_t len = n - 4;
    if (len > cap)
        return zc_err_set(err, ZC_ECORRUPT, NAME, "%zu data bytes, more than the %zu expected", len,
                          cap);
    uint32_t stored = zc_load_le32(src + len);
    uint32_t computed = zc_crc32c(0, src, len);
    if (stored != computed)
        return zc_err_set(err, ZC_ECHECKSUM, NAME,
                          "checksum mismatch: stored 0x%08x, computed 0x%08x", stored, computed);
    if (len)
        memcpy(dst, src, len);
    *out_n = len;
    return ZC_OK;
}

/* In a chain: verify the trailing checksum where the chunk lies. */
static int crc32c_check(const uint8_t *src, size_t n, size_t *out_n, zc_err *err) {
    if (n < 4)
        return zc_err_set(err, ZC_ECORRUPT, NAME,
                          "chunk of %zu bytes is too short to hold a checksum", n);
    uint32_t want = zc_load_le32(src + n - 4), got = zc_crc32c(0, src, n - 4);
    if (want != got)
        return zc_err_set(err, ZC_ECHECKSUM, NAME,
                          "checksum mismatch: stored 0x%08x, computed 0x%08x", want, got);
    *out_n = n - 4;
    return ZC_OK;
}

const zc_b2b_entry zc_b2b_crc32c_entry = {
    .kind = ZC_B2B_CRC32C,
    .name = NAME,
    .bound = crc32c_bound,
    .encode = crc32c_encode,
    .decode = crc32c_decode,
    .check = crc32c_check,
};
