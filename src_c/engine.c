/* Request execution: prepared codec chains, and the per-chunk read task
 * (fetch, decode, scatter) and write task (fetch-if-partial, merge, encode,
 * store or delete) run on the pool.  Nothing here trusts a size from stored
 * data: every decode is capped by sizes derived from the array metadata. */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zc_engine.h"

/* ---- chains --------------------------------------------------------------- */

int zc_chain_init(zc_chain *ch, int ndim, const int64_t *chunk_shape, size_t itemsize, int swap,
                  const int *order, int n_b2b, const zc_b2b_codec *b2b,
                  const uint8_t *fill_native, zc_err *err) {
    memset(ch, 0, sizeof(*ch));
    if (ndim < 0 || ndim > ZC_MAXDIM || n_b2b < 0 || n_b2b > ZC_MAX_B2B || itemsize == 0)
        return zc_err_set(err, ZC_EINVAL, "", "unsupported chain (ndim %d, %d codecs)", ndim,
                          n_b2b);
    ch->ndim = ndim;
    ch->itemsize = itemsize;
    ch->swap = (swap > 1 && (size_t)swap <= itemsize) ? swap : 0;
    size_t n = itemsize;
    for (int d = 0; d < ndim; d++) {
        if (chunk_shape[d] <= 0)
            return zc_err_set(err, ZC_EINVAL, "", "chunk dimension %d is not positive", d);
        ch->chunk_shape[d] = chunk_shape[d];
        if (zc_mul_ovf(n, (size_t)chunk_shape[d], &n) || n > (size_t)INT64_MAX)
            return zc_err_set(err, ZC_EOVERFLOW, "", "chunk size overflows");
    }
    ch->nbytes = n;
    /* encoded layout: C order over the transposed shape */
    int ord[ZC_MAXDIM];
    int seen[ZC_MAXDIM] = {0};
    for (int i = 0; i < ndim; i++) {
        ord[i] = order ? order[i] : i;
        if (ord[i] < 0 || ord[i] >= ndim || seen[ord[i]]++)
            return zc_err_set(err, ZC_EINVAL, "transpose", "order is not a permutation");
        if (ord[i] != i) ch->transposed = 1;
        ch->order[i] = ord[i];
    }
    int64_t s = (int64_t)itemsize;
    for (int i = ndim - 1; i >= 0; i--) {
        ch->strides[ord[i]] = s;
        s *= chunk_shape[ord[i]];
    }
    ch->n_b2b = n_b2b;
    ch->bound[0] = n;
    for (int i = 0; i < n_b2b; i++) {
        ch->b2b[i] = b2b[i];
        ch->bound[i + 1] = zc_b2b_encoded_bound(&b2b[i], ch->bound[i]);
        if (ch->bound[i + 1] == 0)
            return zc_err_set(err, ZC_EOVERFLOW, "", "encoded chunk size bound overflows");
    }
    size_t top = ch->bound[n_b2b];
    if (n_b2b == 0) {
        ch->max_encoded = top;
    } else if (zc_add_ovf(top, top / 8 + 4096, &ch->max_encoded)) {
        ch->max_encoded = SIZE_MAX;
    }
    ch->fill = malloc(itemsize);
    ch->fill_native = malloc(itemsize);
    if (!ch->fill || !ch->fill_native) {
        zc_chain_free(ch);
        return zc_err_set(err, ZC_ENOMEM, "", "out of memory");
    }
    memcpy(ch->fill_native, fill_native, itemsize);
    memcpy(ch->fill, fill_native, itemsize);
    if (ch->swap) zc_byteswap(ch->fill, itemsize, ch->swap);
    return ZC_OK;
}

void zc_chain_free(zc_chain *ch) {
    free(ch->fill);
    free(ch->fill_native);
    ch->fill = ch->fill_native = NULL;
}

static const char *codec_name(int kind) {
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

static uint32_t load_le32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Decode one stored chunk.  The result (encoded layout, stored byte order,
 * exactly ch->nbytes) is left at *out: in `direct` when given, else in a
 * worker buffer, or src itself when no codec transforms the bytes. */
static int decode_chunk(const zc_chain *ch, zc_worker *w, const uint8_t *src, size_t n,
                        uint8_t *direct, const uint8_t **out, zc_err *err) {
    const uint8_t *cur = src;
    for (int i = ch->n_b2b - 1; i >= 0; i--) {
        const zc_b2b_codec *c = &ch->b2b[i];
        if (c->kind == ZC_B2B_CRC32C) {
            /* verify in place: no copy for a trailing checksum */
            if (n < 4)
                return zc_err_set(err, ZC_ECORRUPT, "crc32c",
                                  "chunk of %zu bytes is too short to hold a checksum", n);
            uint32_t want = load_le32(cur + n - 4), got = zc_crc32c(0, cur, n - 4);
            if (want != got)
                return zc_err_set(err, ZC_ECHECKSUM, "crc32c",
                                  "checksum mismatch: stored 0x%08x, computed 0x%08x", want, got);
            n -= 4;
            continue;
        }
        uint8_t *dst;
        if (i == 0 && direct) {
            dst = direct;
        } else {
            int k = (cur == w->buf[1]) ? 2 : 1;
            dst = zc_worker_buf(w, k, ch->bound[i]);
            if (!dst) return zc_err_set(err, ZC_ENOMEM, codec_name(c->kind), "out of memory");
        }
        size_t got = 0;
        int rc = zc_b2b_decode(w->codec, c, cur, n, dst, ch->bound[i], &got, err);
        if (rc != ZC_OK) return rc;
        cur = dst;
        n = got;
    }
    if (n != ch->nbytes)
        return zc_err_set(err, ZC_ESIZE, ch->n_b2b ? codec_name(ch->b2b[0].kind) : "bytes",
                          "decoded chunk has %zu bytes, expected %zu", n, ch->nbytes);
    if (direct && cur != direct) memcpy(direct, cur, n);
    *out = direct ? direct : cur;
    return ZC_OK;
}

/* Encode the chunk in `chunk` (ch->nbytes, encoded layout).  The result is
 * chunk itself or a worker buffer. */
static int encode_chunk(const zc_chain *ch, zc_worker *w, const uint8_t *chunk,
                        const uint8_t **out, size_t *out_n, zc_err *err) {
    const uint8_t *cur = chunk;
    size_t n = ch->nbytes;
    for (int i = 0; i < ch->n_b2b; i++) {
        const zc_b2b_codec *c = &ch->b2b[i];
        int k = (cur == w->buf[1]) ? 2 : 1;
        uint8_t *dst = zc_worker_buf(w, k, ch->bound[i + 1]);
        if (!dst) return zc_err_set(err, ZC_ENOMEM, codec_name(c->kind), "out of memory");
        size_t got = 0;
        int rc = zc_b2b_encode(w->codec, c, cur, n, dst, ch->bound[i + 1], &got, err);
        if (rc != ZC_OK) return rc;
        cur = dst;
        n = got;
    }
    *out = cur;
    *out_n = n;
    return ZC_OK;
}

/* ---- requests -------------------------------------------------------------- */

typedef struct request {
    const zc_plan *plan;
    const zc_chain *chain;
    const zc_io *io;
    uint8_t *out;             /* read destination, or NULL */
    const uint8_t *value;     /* write source, or NULL */
    const int64_t *strides;   /* of out / value */
    int write_empty;
    zc_write_out *wout;
    atomic_int failed;
    pthread_mutex_t mu;
    zc_err err;
} request;

static void fail(request *r, const zc_err *e, int64_t chunk) {
    pthread_mutex_lock(&r->mu);
    if (r->err.code == ZC_OK) {
        r->err = *e;
        r->err.chunk = chunk;
    }
    atomic_store(&r->failed, 1);
    pthread_mutex_unlock(&r->mu);
}

/* Geometry of chunk i: its grid coordinates, the selected block's extent,
 * offsets and strides inside the chunk and inside the caller's array. */
typedef struct geom {
    int64_t coords[ZC_MAXDIM];
    int64_t count[ZC_MAXDIM];
    int64_t in_strides[ZC_MAXDIM];
    int64_t in_off;
    int64_t ext_off;
    int edge;        /* chunk extends past the array */
} geom;

static void chunk_geom(const request *r, int64_t i, geom *g) {
    const zc_plan *p = r->plan;
    const zc_chain *ch = r->chain;
    int64_t pi[ZC_MAXDIM];
    zc_plan_chunk(p, i, pi);
    g->in_off = 0;
    g->ext_off = 0;
    g->edge = 0;
    for (int d = 0; d < p->ndim; d++) {
        const zc_proj *pr = &p->proj[d][pi[d]];
        g->coords[d] = pr->chunk;
        g->count[d] = pr->count;
        g->in_off += pr->in_start * ch->strides[d];
        g->in_strides[d] = pr->in_step * ch->strides[d];
        g->ext_off += pr->out_start * r->strides[d];
        if ((pr->chunk + 1) * p->chunk_shape[d] > p->shape[d]) g->edge = 1;
    }
}

static int chunk_path(const request *r, const geom *g, char *buf, size_t cap, zc_err *err) {
    const zc_io *io = r->io;
    int nd = r->plan->ndim;
    size_t len;
    if (nd == 0) {
        len = (size_t)snprintf(buf, cap, "%s", io->key_0d);
    } else {
        len = (size_t)snprintf(buf, cap, "%s", io->key_prefix);
        for (int d = 0; d < nd && len < cap; d++) {
            if (d) buf[len++] = io->separator;
            if (len < cap)
                len += (size_t)snprintf(buf + len, cap - len, "%lld", (long long)g->coords[d]);
        }
    }
    if (len >= cap) return zc_err_set(err, ZC_EINVAL, "", "chunk path too long");
    return ZC_OK;
}

/* The selected block of a chunk lands contiguously in the caller's array in
 * the chunk's own layout: decode straight into it. */
static int direct_target(const request *r, const geom *g, int full) {
    const zc_chain *ch = r->chain;
    if (!full || g->edge || ch->transposed) return 0;
    int64_t expect = (int64_t)ch->itemsize;
    for (int d = r->plan->ndim - 1; d >= 0; d--) {
        if (g->count[d] == 1) continue;
        if (r->strides[d] != expect || g->in_strides[d] != expect) return 0;
        expect *= g->count[d];
    }
    return 1;
}

/* Byte range [lo, hi) of the encoded chunk that holds the selected elements. */
static int selected_span(const request *r, const geom *g, size_t *lo, size_t *hi) {
    int64_t a = g->in_off, b = g->in_off;
    for (int d = 0; d < r->plan->ndim; d++) {
        int64_t ext = (g->count[d] - 1) * g->in_strides[d];
        if (ext < 0) a += ext;
        else b += ext;
    }
    if (a < 0) return 0;
    *lo = (size_t)a;
    *hi = (size_t)b + r->chain->itemsize;
    return *hi <= r->chain->nbytes;
}

static void read_task(void *arg, int64_t i, zc_worker *w) {
    request *r = arg;
    if (atomic_load(&r->failed)) return;
    const zc_chain *ch = r->chain;
    int nd = r->plan->ndim;
    zc_err err = {0};
    geom g;
    chunk_geom(r, i, &g);
    uint8_t *dst = r->out + g.ext_off;
    int direct = direct_target(r, &g, zc_plan_chunk_full(r->plan, i));
    const uint8_t *enc = NULL;
    size_t enc_n = 0;
    int missing = 0;
    if (r->io->key_prefix) {
        char path[PATH_MAX];
        if (chunk_path(r, &g, path, sizeof(path), &err) != ZC_OK) goto failed;
        size_t lo, hi;
        if (ch->n_b2b == 0 && !direct && selected_span(r, &g, &lo, &hi) && hi - lo < ch->nbytes) {
            /* uncompressed chunk: read only the bytes the selection covers */
            if (zc_file_read_range(path, w, ch->nbytes, lo, hi - lo, &enc, &missing, &err) !=
                ZC_OK)
                goto failed;
            if (missing) {
                zc_fill_nd(nd, g.count, dst, r->strides, ch->fill_native, ch->itemsize);
                return;
            }
            zc_copy_nd(nd, g.count, dst, r->strides, enc + (g.in_off - (int64_t)lo), g.in_strides,
                       ch->itemsize, ch->swap);
            return;
        }
        /* with no codecs a whole chunk can be read straight into place */
        uint8_t *into = (direct && ch->n_b2b == 0) ? dst : NULL;
        if (zc_file_read(path, w, ch->max_encoded, into, ch->nbytes, &enc, &enc_n, &missing,
                         &err) != ZC_OK)
            goto failed;
    } else {
        enc = r->io->bufs[i];
        enc_n = r->io->lens[i];
        missing = enc == NULL;
    }
    if (missing) {
        zc_fill_nd(nd, g.count, dst, r->strides, ch->fill_native, ch->itemsize);
        return;
    }
    if (ch->n_b2b == 0 && enc_n > ch->nbytes) {
        zc_err_set(&err, ZC_ESIZE, "bytes", "stored chunk has %zu bytes, expected %zu", enc_n,
                   ch->nbytes);
        goto failed;
    }
    const uint8_t *dec;
    if (decode_chunk(ch, w, enc, enc_n, direct ? dst : NULL, &dec, &err) != ZC_OK) goto failed;
    if (direct) {
        if (ch->swap) zc_byteswap(dst, ch->nbytes, ch->swap);
        return;
    }
    zc_copy_nd(nd, g.count, dst, r->strides, dec + g.in_off, g.in_strides, ch->itemsize, ch->swap);
    return;
failed:
    fail(r, &err, i);
}

static void write_task(void *arg, int64_t i, zc_worker *w) {
    request *r = arg;
    if (atomic_load(&r->failed)) return;
    const zc_chain *ch = r->chain;
    int nd = r->plan->ndim;
    zc_err err = {0};
    geom g;
    chunk_geom(r, i, &g);
    char path[PATH_MAX];
    int local = r->io->key_prefix != NULL;
    if (local && chunk_path(r, &g, path, sizeof(path), &err) != ZC_OK) goto failed;
    uint8_t *cb = zc_worker_buf(w, 3, ch->nbytes);
    if (!cb) {
        zc_err_set(&err, ZC_ENOMEM, "", "out of memory");
        goto failed;
    }
    int full = zc_plan_chunk_full(r->plan, i);
    if (!full) {
        const uint8_t *enc = NULL, *dec;
        size_t enc_n = 0;
        int missing = 0;
        if (local) {
            if (zc_file_read(path, w, ch->max_encoded, NULL, 0, &enc, &enc_n, &missing, &err) !=
                ZC_OK)
                goto failed;
        } else {
            enc = r->io->bufs[i];
            enc_n = r->io->lens[i];
            missing = enc == NULL;
        }
        if (missing) {
            zc_fill_nd(1, (int64_t[]){(int64_t)(ch->nbytes / ch->itemsize)}, cb,
                       (int64_t[]){(int64_t)ch->itemsize}, ch->fill, ch->itemsize);
        } else {
            if (ch->n_b2b == 0 && enc_n > ch->nbytes) {
                zc_err_set(&err, ZC_ESIZE, "bytes", "stored chunk has %zu bytes, expected %zu",
                           enc_n, ch->nbytes);
                goto failed;
            }
            if (decode_chunk(ch, w, enc, enc_n, cb, &dec, &err) != ZC_OK) goto failed;
        }
    } else if (g.edge) {
        /* the part of an edge chunk outside the array holds the fill value */
        zc_fill_nd(1, (int64_t[]){(int64_t)(ch->nbytes / ch->itemsize)}, cb,
                   (int64_t[]){(int64_t)ch->itemsize}, ch->fill, ch->itemsize);
    }
    zc_copy_nd(nd, g.count, cb + g.in_off, g.in_strides, r->value + g.ext_off, r->strides,
               ch->itemsize, ch->swap);
    int empty = !r->write_empty && zc_all_equal(cb, ch->nbytes, ch->fill, ch->itemsize);
    if (empty) {
        if (local) {
            if (zc_file_delete(path, &err) != ZC_OK) goto failed;
        } else {
            r->wout->bufs[i] = NULL;
            r->wout->lens[i] = 0;
        }
        return;
    }
    const uint8_t *enc = NULL;
    size_t enc_n = 0;
    if (encode_chunk(ch, w, cb, &enc, &enc_n, &err) != ZC_OK) goto failed;
    if (local) {
        if (zc_file_write(path, enc, enc_n, r->io->fsync, &err) != ZC_OK) goto failed;
    } else {
        uint8_t *copy = malloc(enc_n ? enc_n : 1);
        if (!copy) {
            zc_err_set(&err, ZC_ENOMEM, "", "out of memory");
            goto failed;
        }
        memcpy(copy, enc, enc_n);
        r->wout->bufs[i] = copy;
        r->wout->lens[i] = enc_n;
    }
    return;
failed:
    fail(r, &err, i);
}

static int run(zc_pool *pool, request *r, zc_task_fn fn, zc_err *err) {
    pthread_mutex_init(&r->mu, NULL);
    atomic_init(&r->failed, 0);
    r->err.chunk = -1;
    int rc = zc_pool_run(pool, r->plan->nchunks, fn, r);
    pthread_mutex_destroy(&r->mu);
    if (rc != ZC_OK) return zc_err_set(err, rc, "", "cannot start worker threads");
    if (r->err.code != ZC_OK) {
        *err = r->err;
        return r->err.code;
    }
    return ZC_OK;
}

int zc_read(zc_pool *pool, const zc_plan *plan, const zc_chain *chain, const zc_io *io,
            uint8_t *out, const int64_t *out_strides, zc_err *err) {
    request r = {.plan = plan, .chain = chain, .io = io, .out = out, .strides = out_strides};
    return run(pool, &r, read_task, err);
}

int zc_write(zc_pool *pool, const zc_plan *plan, const zc_chain *chain, const zc_io *io,
             const uint8_t *value, const int64_t *val_strides, int write_empty,
             zc_write_out *wout, zc_err *err) {
    request r = {.plan = plan,
                 .chain = chain,
                 .io = io,
                 .value = value,
                 .strides = val_strides,
                 .write_empty = write_empty,
                 .wout = wout};
    return run(pool, &r, write_task, err);
}
