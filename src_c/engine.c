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

static int chunk_path(const request *r, const int64_t *coords, char *buf, size_t cap,
                      zc_err *err) {
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
                len += (size_t)snprintf(buf + len, cap - len, "%lld", (long long)coords[d]);
        }
    }
    if (len >= cap) return zc_err_set(err, ZC_EINVAL, "", "chunk path too long");
    return ZC_OK;
}

/* Stored bytes of chunk i: from its file (local mode) or the caller's buffer.
 * `into`, when given, receives a whole uncompressed chunk directly. */
static int fetch(const request *r, int64_t i, const char *path, zc_worker *w, uint8_t *into,
                 const uint8_t **enc, size_t *enc_n, int *missing, zc_err *err) {
    const zc_chain *ch = r->chain;
    if (r->io->key_prefix)
        return zc_file_read(path, w, ch->max_encoded, into, ch->nbytes, enc, enc_n, missing, err);
    *enc = r->io->bufs[i];
    *enc_n = r->io->lens[i];
    *missing = *enc == NULL;
    return ZC_OK;
}

/* Decode stored bytes into `direct` or a worker buffer (see decode_chunk),
 * rejecting an uncompressed chunk of the wrong size first. */
static int decode_stored(const zc_chain *ch, zc_worker *w, const uint8_t *enc, size_t enc_n,
                         uint8_t *direct, const uint8_t **dec, zc_err *err) {
    if (ch->n_b2b == 0 && enc_n != ch->nbytes)
        return zc_err_set(err, ZC_ESIZE, "bytes", "stored chunk has %zu bytes, expected %zu",
                          enc_n, ch->nbytes);
    return decode_chunk(ch, w, enc, enc_n, direct, dec, err);
}

/* The chunk being written, in worker buffer 3: the stored chunk decoded, or
 * the fill value when it is missing or about to be overwritten whole. */
static int load_for_write(const request *r, int64_t i, const char *path, zc_worker *w, int full,
                          int edge, uint8_t **cb_out, zc_err *err) {
    const zc_chain *ch = r->chain;
    uint8_t *cb = zc_worker_buf(w, 3, ch->nbytes);
    if (!cb) return zc_err_set(err, ZC_ENOMEM, "", "out of memory");
    *cb_out = cb;
    int64_t nitems = (int64_t)(ch->nbytes / ch->itemsize), isz = (int64_t)ch->itemsize;
    if (full) {
        /* the part of an edge chunk outside the array holds the fill value */
        if (edge) zc_fill_nd(1, &nitems, cb, &isz, ch->fill, ch->itemsize);
        return ZC_OK;
    }
    const uint8_t *enc = NULL, *dec;
    size_t enc_n = 0;
    int missing = 0;
    int rc = fetch(r, i, path, w, NULL, &enc, &enc_n, &missing, err);
    if (rc != ZC_OK) return rc;
    if (missing) {
        zc_fill_nd(1, &nitems, cb, &isz, ch->fill, ch->itemsize);
        return ZC_OK;
    }
    return decode_stored(ch, w, enc, enc_n, cb, &dec, err);
}

/* Store the chunk in worker buffer 3: delete it when it holds only the fill
 * value (unless write_empty), else encode and write it or hand it back. */
static int store_chunk(const request *r, int64_t i, const char *path, zc_worker *w,
                       const uint8_t *cb, zc_err *err) {
    const zc_chain *ch = r->chain;
    int local = r->io->key_prefix != NULL;
    if (!r->write_empty && zc_all_equal(cb, ch->nbytes, ch->fill, ch->itemsize)) {
        if (local) return zc_file_delete(path, err);
        r->wout->bufs[i] = NULL;
        r->wout->lens[i] = 0;
        return ZC_OK;
    }
    const uint8_t *enc = NULL;
    size_t enc_n = 0;
    int rc = encode_chunk(ch, w, cb, &enc, &enc_n, err);
    if (rc != ZC_OK) return rc;
    if (local) return zc_file_write(path, enc, enc_n, r->io->fsync, err);
    uint8_t *copy = malloc(enc_n ? enc_n : 1);
    if (!copy) return zc_err_set(err, ZC_ENOMEM, "", "out of memory");
    memcpy(copy, enc, enc_n);
    r->wout->bufs[i] = copy;
    r->wout->lens[i] = enc_n;
    return ZC_OK;
}

/* ---- block plans (basic and orthogonal selections) ------------------------- */

/* Geometry of chunk i: its grid coordinates, the selected block's extent,
 * offsets, strides and index lists inside the chunk and the caller's array. */
typedef struct geom {
    int64_t coords[ZC_MAXDIM];
    int64_t count[ZC_MAXDIM];
    int64_t in_strides[ZC_MAXDIM];
    const int64_t *in_ix[ZC_MAXDIM];
    const int64_t *ext_ix[ZC_MAXDIM];
    int64_t in_off;
    int64_t ext_off;
    int64_t in_lo, in_hi;  /* byte span of the chunk's encoded layout touched */
    int indexed;     /* some dimension uses index lists */
    int edge;        /* chunk extends past the array */
} geom;

static void chunk_geom(const request *r, int64_t i, geom *g) {
    const zc_plan *p = r->plan;
    const zc_chain *ch = r->chain;
    int64_t pi[ZC_MAXDIM];
    zc_plan_chunk(p, i, pi);
    g->in_off = 0;
    g->ext_off = 0;
    g->in_lo = 0;
    g->in_hi = (int64_t)ch->itemsize;
    g->edge = 0;
    g->indexed = 0;
    for (int d = 0; d < p->ndim; d++) {
        const zc_proj *pr = &p->proj[d][pi[d]];
        g->coords[d] = pr->chunk;
        g->count[d] = pr->count;
        if (pr->in_idx) {
            g->indexed = 1;
            g->in_ix[d] = pr->in_idx;
            g->ext_ix[d] = pr->out_idx;
            g->in_strides[d] = ch->strides[d];
        } else {
            g->in_ix[d] = NULL;
            g->ext_ix[d] = NULL;
            g->in_off += pr->in_start * ch->strides[d];
            g->in_strides[d] = pr->in_step * ch->strides[d];
            g->ext_off += pr->out_start * r->strides[d];
        }
        g->in_lo += pr->in_min * ch->strides[d];
        g->in_hi += pr->in_max * ch->strides[d];
        if ((pr->chunk + 1) * p->chunk_shape[d] > p->shape[d]) g->edge = 1;
    }
}

/* The selected block of a chunk lands contiguously in the caller's array in
 * the chunk's own layout: decode straight into it. */
static int direct_target(const request *r, const geom *g, int full) {
    const zc_chain *ch = r->chain;
    if (!full || g->edge || ch->transposed || g->indexed) return 0;
    int64_t expect = (int64_t)ch->itemsize;
    for (int d = r->plan->ndim - 1; d >= 0; d--) {
        if (g->count[d] == 1) continue;
        if (r->strides[d] != expect || g->in_strides[d] != expect) return 0;
        expect *= g->count[d];
    }
    return 1;
}

static void block_read_task(void *arg, int64_t i, zc_worker *w) {
    request *r = arg;
    if (atomic_load(&r->failed)) return;
    const zc_chain *ch = r->chain;
    int nd = r->plan->ndim;
    zc_err err = {0};
    geom g;
    chunk_geom(r, i, &g);
    uint8_t *dst = r->out + g.ext_off;
    int direct = direct_target(r, &g, zc_plan_chunk_full(r->plan, i));
    const uint8_t *enc = NULL, *dec;
    size_t enc_n = 0;
    int missing = 0;
    char path[PATH_MAX];
    int local = r->io->key_prefix != NULL;
    if (local && chunk_path(r, g.coords, path, sizeof(path), &err) != ZC_OK) goto failed;
    if (local && ch->n_b2b == 0 && !direct && (size_t)(g.in_hi - g.in_lo) < ch->nbytes) {
        /* uncompressed chunk: read only the bytes the selection covers */
        if (zc_file_read_range(path, w, ch->nbytes, (size_t)g.in_lo, (size_t)(g.in_hi - g.in_lo),
                               &enc, &missing, &err) != ZC_OK)
            goto failed;
        if (!missing) {
            zc_copy_nd_ix(nd, g.count, dst, r->strides, g.ext_ix, enc + (g.in_off - g.in_lo),
                          g.in_strides, g.in_ix, ch->itemsize, ch->swap);
            return;
        }
    } else {
        /* with no codecs a whole chunk can be read straight into place */
        uint8_t *into = (direct && ch->n_b2b == 0) ? dst : NULL;
        if (fetch(r, i, path, w, into, &enc, &enc_n, &missing, &err) != ZC_OK) goto failed;
    }
    if (missing) {
        zc_fill_nd_ix(nd, g.count, dst, r->strides, g.ext_ix, ch->fill_native, ch->itemsize);
        return;
    }
    if (decode_stored(ch, w, enc, enc_n, direct ? dst : NULL, &dec, &err) != ZC_OK) goto failed;
    if (direct) {
        if (ch->swap) zc_byteswap(dst, ch->nbytes, ch->swap);
        return;
    }
    zc_copy_nd_ix(nd, g.count, dst, r->strides, g.ext_ix, dec + g.in_off, g.in_strides, g.in_ix,
                  ch->itemsize, ch->swap);
    return;
failed:
    fail(r, &err, i);
}

static void block_write_task(void *arg, int64_t i, zc_worker *w) {
    request *r = arg;
    if (atomic_load(&r->failed)) return;
    const zc_chain *ch = r->chain;
    zc_err err = {0};
    geom g;
    chunk_geom(r, i, &g);
    char path[PATH_MAX];
    uint8_t *cb;
    if (r->io->key_prefix && chunk_path(r, g.coords, path, sizeof(path), &err) != ZC_OK)
        goto failed;
    if (load_for_write(r, i, path, w, zc_plan_chunk_full(r->plan, i), g.edge, &cb, &err) != ZC_OK)
        goto failed;
    zc_copy_nd_ix(r->plan->ndim, g.count, cb + g.in_off, g.in_strides, g.in_ix,
                  r->value + g.ext_off, r->strides, g.ext_ix, ch->itemsize, ch->swap);
    if (store_chunk(r, i, path, w, cb, &err) != ZC_OK) goto failed;
    return;
failed:
    fail(r, &err, i);
}

/* ---- coordinate plans (vindex, masks) ----------------------------------------- */

static int64_t point_offset(const request *r, int64_t k) {
    const zc_plan *p = r->plan;
    int64_t off = 0;
    for (int d = 0; d < p->ndim; d++) off += p->pt_in[k * p->ndim + d] * r->chain->strides[d];
    return off;
}

static void points_read_task(void *arg, int64_t i, zc_worker *w) {
    request *r = arg;
    if (atomic_load(&r->failed)) return;
    const zc_plan *p = r->plan;
    const zc_chain *ch = r->chain;
    zc_err err = {0};
    int64_t k0 = p->pt_offsets[i], k1 = p->pt_offsets[i + 1];
    int64_t ostride = r->strides[0];
    const uint8_t *enc = NULL, *dec;
    size_t enc_n = 0;
    int missing = 0;
    char path[PATH_MAX];
    int local = r->io->key_prefix != NULL;
    if (local && chunk_path(r, &p->pt_chunk[i * p->ndim], path, sizeof(path), &err) != ZC_OK)
        goto failed;
    int64_t lo = 0;
    if (local && ch->n_b2b == 0) {
        /* uncompressed chunk: read only the span holding the points */
        int64_t hi = 0;
        lo = INT64_MAX;
        for (int64_t k = k0; k < k1; k++) {
            int64_t off = point_offset(r, k);
            if (off < lo) lo = off;
            if (off > hi) hi = off;
        }
        hi += (int64_t)ch->itemsize;
        if (zc_file_read_range(path, w, ch->nbytes, (size_t)lo, (size_t)(hi - lo), &dec, &missing,
                               &err) != ZC_OK)
            goto failed;
    } else {
        if (fetch(r, i, path, w, NULL, &enc, &enc_n, &missing, &err) != ZC_OK) goto failed;
        if (!missing && decode_stored(ch, w, enc, enc_n, NULL, &dec, &err) != ZC_OK) goto failed;
    }
    for (int64_t k = k0; k < k1; k++) {
        uint8_t *dp = r->out + p->pt_out[k] * ostride;
        if (missing) {
            memcpy(dp, ch->fill_native, ch->itemsize);
        } else {
            memcpy(dp, dec + (point_offset(r, k) - lo), ch->itemsize);
            if (ch->swap) zc_byteswap(dp, ch->itemsize, ch->swap);
        }
    }
    return;
failed:
    fail(r, &err, i);
}

static void points_write_task(void *arg, int64_t i, zc_worker *w) {
    request *r = arg;
    if (atomic_load(&r->failed)) return;
    const zc_plan *p = r->plan;
    const zc_chain *ch = r->chain;
    zc_err err = {0};
    char path[PATH_MAX];
    uint8_t *cb;
    if (r->io->key_prefix &&
        chunk_path(r, &p->pt_chunk[i * p->ndim], path, sizeof(path), &err) != ZC_OK)
        goto failed;
    if (load_for_write(r, i, path, w, 0, 0, &cb, &err) != ZC_OK) goto failed;
    int64_t vstride = r->strides[0];
    /* in point order within the chunk: the last of repeated points wins */
    for (int64_t k = p->pt_offsets[i]; k < p->pt_offsets[i + 1]; k++) {
        uint8_t *dp = cb + point_offset(r, k);
        memcpy(dp, r->value + p->pt_out[k] * vstride, ch->itemsize);
        if (ch->swap) zc_byteswap(dp, ch->itemsize, ch->swap);
    }
    if (store_chunk(r, i, path, w, cb, &err) != ZC_OK) goto failed;
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
    return run(pool, &r, plan->points ? points_read_task : block_read_task, err);
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
    return run(pool, &r, plan->points ? points_write_task : block_write_task, err);
}
