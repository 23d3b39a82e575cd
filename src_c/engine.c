/* Request execution: the per-chunk read task (fetch, decode, scatter) and
 * write task (fetch if partial, merge, encode, store or delete) run on the
 * pool, for block plans and coordinate plans. */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zc_request.h"

/* ---- requests -------------------------------------------------------------- */

void zc_req_fail(request *r, const zc_err *e, int64_t chunk) {
    pthread_mutex_lock(&r->mu);
    if (r->err.code == ZC_OK) {
        r->err = *e;
        r->err.chunk = chunk;
    }
    atomic_store(&r->failed, 1);
    pthread_mutex_unlock(&r->mu);
}

int zc_req_chunk_path(const request *r, const int64_t *coords, char *buf, size_t cap, zc_err *err) {
    const zc_io *io = r->io;
    int nd = r->plan->ndim;
    size_t len;
    if (nd == 0) {
        len = (size_t)snprintf(buf, cap, "%s", io->key_0d);
    } else {
        len = (size_t)snprintf(buf, cap, "%s", io->key_prefix);
        for (int d = 0; d < nd && len < cap; d++) {
            if (d)
                buf[len++] = io->separator;
            if (len < cap)
                len += (size_t)snprintf(buf + len, cap - len, "%lld", (long long)coords[d]);
        }
    }
    if (len >= cap)
        return zc_err_set(err, ZC_EINVAL, "", "chunk path too long");
    return ZC_OK;
}

/* Stored bytes of chunk i: from its file (local mode) or the caller's buffer.
 * `into`, when given, receives a whole uncompressed chunk directly. */
static int fetch(const request *r, int64_t i, const char *path, zc_worker *w, uint8_t *into,
                 const uint8_t **enc, size_t *enc_n, int *missing, zc_err *err) {
    const zc_chain *ch = r->chain;
    if (r->io->root) {
        int rc = zc_local_read(r->io->root, path, w, ch->max_encoded, into, ch->nbytes, enc, enc_n,
                               missing, err);
        if (rc == ZC_ECORRUPT && err->codec[0] == '\0')
            snprintf(err->codec, sizeof(err->codec), "%s", zc_outer_codec(ch));
        return rc;
    }
    *enc = r->io->bufs[i];
    *enc_n = r->io->lens[i];
    *missing = *enc == NULL;
    return ZC_OK;
}

/* Decode stored bytes into `direct` or a worker buffer (see decode_chunk),
 * rejecting an uncompressed chunk of the wrong size first. */
int zc_req_decode_stored(const zc_chain *ch, zc_worker *w, const uint8_t *enc, size_t enc_n,
                         uint8_t *direct, const uint8_t **dec, zc_err *err) {
    if (ch->n_b2b == 0 && enc_n != ch->nbytes)
        return zc_err_set(err, ZC_ESIZE, "bytes", "stored chunk has %zu bytes, expected %zu", enc_n,
                          ch->nbytes);
    return zc_chunk_decode(ch, w, enc, enc_n, direct, dec, err);
}

/* The chunk being written, in worker buffer 3: the stored chunk decoded, or
 * the fill value when it is missing or about to be overwritten whole. */
static int load_for_write(const request *r, int64_t i, const char *path, zc_worker *w, int full,
                          int edge, uint8_t **cb_out, zc_err *err) {
    const zc_chain *ch = r->chain;
    uint8_t *cb = zc_worker_buf(w, 3, ch->nbytes);
    if (!cb)
        return zc_err_set(err, ZC_ENOMEM, "", "out of memory");
    *cb_out = cb;
    int64_t nitems = (int64_t)(ch->nbytes / ch->itemsize), isz = (int64_t)ch->itemsize;
    if (full) {
        /* the part of an edge chunk outside the array holds the fill value */
        if (edge)
            zc_fill_nd(1, &nitems, cb, &isz, ch->fill, ch->itemsize);
        return ZC_OK;
    }
    const uint8_t *enc = NULL, *dec;
    size_t enc_n = 0;
    int missing = 0;
    int rc = fetch(r, i, path, w, NULL, &enc, &enc_n, &missing, err);
    if (rc != ZC_OK)
        return rc;
    if (missing) {
        zc_fill_nd(1, &nitems, cb, &isz, ch->fill, ch->itemsize);
        return ZC_OK;
    }
    return zc_req_decode_stored(ch, w, enc, enc_n, cb, &dec, err);
}

/* Store the chunk in worker buffer 3: delete it when it holds only the fill
 * value (unless write_empty), else encode and write it or hand it back. */
static int store_chunk(const request *r, int64_t i, const char *path, zc_worker *w,
                       const uint8_t *cb, zc_err *err) {
    const zc_chain *ch = r->chain;
    int local = r->io->root != NULL;
    if (!r->write_empty && zc_all_equal(cb, ch->nbytes, ch->fill, ch->itemsize)) {
        if (local)
            return zc_file_delete(r->io->root, path, err);
        r->wout->bufs[i] = NULL;
        r->wout->lens[i] = 0;
        return ZC_OK;
    }
    const uint8_t *enc = NULL;
    size_t enc_n = 0;
    int rc = zc_chunk_encode(ch, w, cb, &enc, &enc_n, err);
    if (rc != ZC_OK)
        return rc;
    if (local) {
        int written;
        return zc_file_write(r->io->root, path, enc, enc_n, 0, &written, err);
    }
    uint8_t *copy = malloc(enc_n ? enc_n : 1);
    if (!copy)
        return zc_err_set(err, ZC_ENOMEM, "", "out of memory");
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
    int64_t in_lo, in_hi; /* byte span of the chunk's encoded layout touched */
    int indexed;          /* some dimension uses index lists */
    int edge;             /* chunk extends past the array */
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
        if ((pr->chunk + 1) * p->chunk_shape[d] > p->shape[d])
            g->edge = 1;
    }
}

/* The selected block of a chunk lands contiguously in the caller's array in
 * the chunk's own layout: decode straight into it. */
static int direct_target(const request *r, const geom *g, int full) {
    const zc_chain *ch = r->chain;
    if (!full || g->edge || ch->transposed || g->indexed)
        return 0;
    int64_t expect = (int64_t)ch->itemsize;
    for (int d = r->plan->ndim - 1; d >= 0; d--) {
        if (g->count[d] == 1)
            continue;
        if (r->strides[d] != expect || g->in_strides[d] != expect)
            return 0;
        expect *= g->count[d];
    }
    return 1;
}

static void block_read_task(void *arg, int64_t i, zc_worker *w) {
    request *r = arg;
    if (atomic_load(&r->failed))
        return;
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
    int local = r->io->root != NULL;
    if (local && zc_req_chunk_path(r, g.coords, path, sizeof(path), &err) != ZC_OK)
        goto failed;
    if (local && ch->n_b2b == 0 && !direct && (size_t)(g.in_hi - g.in_lo) < ch->nbytes) {
        /* uncompressed chunk: read only the bytes the selection covers */
        if (zc_local_read_range(r->io->root, path, w, ch->nbytes, (size_t)g.in_lo,
                                (size_t)(g.in_hi - g.in_lo), &enc, &missing, &err) != ZC_OK)
            goto failed;
        if (!missing) {
            zc_copy_nd_ix(nd, g.count, dst, r->strides, g.ext_ix, enc + (g.in_off - g.in_lo),
                          g.in_strides, g.in_ix, ch->itemsize, ch->swap);
            return;
        }
    } else {
        /* with no codecs a whole chunk can be read straight into place */
        uint8_t *into = (direct && ch->n_b2b == 0) ? dst : NULL;
        if (fetch(r, i, path, w, into, &enc, &enc_n, &missing, &err) != ZC_OK)
            goto failed;
    }
    if (missing) {
        zc_fill_nd_ix(nd, g.count, dst, r->strides, g.ext_ix, ch->fill_native, ch->itemsize);
        return;
    }
    if (zc_req_decode_stored(ch, w, enc, enc_n, direct ? dst : NULL, &dec, &err) != ZC_OK)
        goto failed;
    if (direct) {
        if (ch->swap)
            zc_byteswap(dst, ch->nbytes, ch->swap);
        return;
    }
    zc_copy_nd_ix(nd, g.count, dst, r->strides, g.ext_ix, dec + g.in_off, g.in_strides, g.in_ix,
                  ch->itemsize, ch->swap);
    return;
failed:
    zc_req_fail(r, &err, i);
}

static void block_write_task(void *arg, int64_t i, zc_worker *w) {
    request *r = arg;
    if (atomic_load(&r->failed))
        return;
    const zc_chain *ch = r->chain;
    zc_err err = {0};
    geom g;
    chunk_geom(r, i, &g);
    char path[PATH_MAX];
    uint8_t *cb;
    if (r->io->root && zc_req_chunk_path(r, g.coords, path, sizeof(path), &err) != ZC_OK)
        goto failed;
    if (load_for_write(r, i, path, w, zc_plan_chunk_full(r->plan, i), g.edge, &cb, &err) != ZC_OK)
        goto failed;
    zc_copy_nd_ix(r->plan->ndim, g.count, cb + g.in_off, g.in_strides, g.in_ix,
                  r->value + g.ext_off, r->strides, g.ext_ix, ch->itemsize, ch->swap);
    if (store_chunk(r, i, path, w, cb, &err) != ZC_OK)
        goto failed;
    return;
failed:
    zc_req_fail(r, &err, i);
}

/* ---- coordinate plans (vindex, masks) ----------------------------------------- */

static int64_t point_offset(const request *r, int64_t k) {
    const zc_plan *p = r->plan;
    int64_t off = 0;
    for (int d = 0; d < p->ndim; d++)
        off += p->pt_in[k * p->ndim + d] * r->chain->strides[d];
    return off;
}

static void scatter_points(request *r, int64_t i, const uint8_t *dec, int64_t lo, int missing);

static void points_read_task(void *arg, int64_t i, zc_worker *w) {
    request *r = arg;
    if (atomic_load(&r->failed))
        return;
    const zc_plan *p = r->plan;
    const zc_chain *ch = r->chain;
    zc_err err = {0};
    int64_t k0 = p->pt_offsets[i], k1 = p->pt_offsets[i + 1];
    const uint8_t *enc = NULL, *dec = NULL;
    size_t enc_n = 0;
    int missing = 0;
    char path[PATH_MAX];
    int local = r->io->root != NULL;
    if (local && zc_req_chunk_path(r, &p->pt_chunk[i * p->ndim], path, sizeof(path), &err) != ZC_OK)
        goto failed;
    int64_t lo = 0;
    if (local && ch->n_b2b == 0) {
        /* uncompressed chunk: read only the span holding the points */
        int64_t hi = 0;
        lo = INT64_MAX;
        for (int64_t k = k0; k < k1; k++) {
            int64_t off = point_offset(r, k);
            if (off < lo)
                lo = off;
            if (off > hi)
                hi = off;
        }
        hi += (int64_t)ch->itemsize;
        if (zc_local_read_range(r->io->root, path, w, ch->nbytes, (size_t)lo, (size_t)(hi - lo),
                                &dec, &missing, &err) != ZC_OK)
            goto failed;
    } else {
        if (fetch(r, i, path, w, NULL, &enc, &enc_n, &missing, &err) != ZC_OK)
            goto failed;
        if (!missing && zc_req_decode_stored(ch, w, enc, enc_n, NULL, &dec, &err) != ZC_OK)
            goto failed;
    }
    scatter_points(r, i, dec, lo, missing);
    return;
failed:
    zc_req_fail(r, &err, i);
}

static void points_write_task(void *arg, int64_t i, zc_worker *w) {
    request *r = arg;
    if (atomic_load(&r->failed))
        return;
    const zc_plan *p = r->plan;
    const zc_chain *ch = r->chain;
    zc_err err = {0};
    char path[PATH_MAX];
    uint8_t *cb;
    if (r->io->root &&
        zc_req_chunk_path(r, &p->pt_chunk[i * p->ndim], path, sizeof(path), &err) != ZC_OK)
        goto failed;
    if (load_for_write(r, i, path, w, 0, 0, &cb, &err) != ZC_OK)
        goto failed;
    int64_t vstride = r->strides[0];
    /* in point order within the chunk: the last of repeated points wins */
    for (int64_t k = p->pt_offsets[i]; k < p->pt_offsets[i + 1]; k++) {
        uint8_t *dp = cb + point_offset(r, k);
        memcpy(dp, r->value + p->pt_out[k] * vstride, ch->itemsize);
        if (ch->swap)
            zc_byteswap(dp, ch->itemsize, ch->swap);
    }
    if (store_chunk(r, i, path, w, cb, &err) != ZC_OK)
        goto failed;
    return;
failed:
    zc_req_fail(r, &err, i);
}

/* Scatter decoded (or fill) points of coordinate-plan chunk i; `dec` holds the
 * encoded-layout bytes starting at byte `lo` of the chunk. */
static void scatter_points(request *r, int64_t i, const uint8_t *dec, int64_t lo, int missing) {
    const zc_plan *p = r->plan;
    const zc_chain *ch = r->chain;
    int64_t ostride = r->strides[0];
    for (int64_t k = p->pt_offsets[i]; k < p->pt_offsets[i + 1]; k++) {
        uint8_t *dp = r->out + p->pt_out[k] * ostride;
        if (missing) {
            memcpy(dp, ch->fill_native, ch->itemsize);
        } else {
            memcpy(dp, dec + (point_offset(r, k) - lo), ch->itemsize);
            if (ch->swap)
                zc_byteswap(dp, ch->itemsize, ch->swap);
        }
    }
}

int zc_req_deliver(request *r, int64_t i, zc_worker *w, const uint8_t *enc, size_t enc_n,
                   int missing, zc_err *err) {
    const zc_chain *ch = r->chain;
    const uint8_t *dec = NULL;
    if (r->plan->points) {
        if (!missing && zc_req_decode_stored(ch, w, enc, enc_n, NULL, &dec, err) != ZC_OK)
            return err->code;
        scatter_points(r, i, dec, 0, missing);
        return ZC_OK;
    }
    geom g;
    chunk_geom(r, i, &g);
    uint8_t *dst = r->out + g.ext_off;
    if (missing) {
        zc_fill_nd_ix(r->plan->ndim, g.count, dst, r->strides, g.ext_ix, ch->fill_native,
                      ch->itemsize);
        return ZC_OK;
    }
    int direct = direct_target(r, &g, zc_plan_chunk_full(r->plan, i));
    if (zc_req_decode_stored(ch, w, enc, enc_n, direct ? dst : NULL, &dec, err) != ZC_OK)
        return err->code;
    if (direct) {
        if (ch->swap)
            zc_byteswap(dst, ch->nbytes, ch->swap);
        return ZC_OK;
    }
    zc_copy_nd_ix(r->plan->ndim, g.count, dst, r->strides, g.ext_ix, dec + g.in_off, g.in_strides,
                  g.in_ix, ch->itemsize, ch->swap);
    return ZC_OK;
}

int zc_req_run(zc_pool *pool, request *r, zc_task_fn fn, int64_t ntasks, zc_err *err) {
    pthread_mutex_init(&r->mu, NULL);
    atomic_init(&r->failed, 0);
    r->err.chunk = -1;
    int rc = zc_pool_run(pool, ntasks, fn, r);
    pthread_mutex_destroy(&r->mu);
    if (rc != ZC_OK)
        return zc_err_set(err, rc, "", "cannot start worker threads");
    if (r->err.code != ZC_OK) {
        *err = r->err;
        return r->err.code;
    }
    return ZC_OK;
}

int zc_read(zc_pool *pool, const zc_plan *plan, const zc_chain *chain, const zc_io *io,
            uint8_t *out, const int64_t *out_strides, zc_err *err) {
    request r = {.plan = plan, .chain = chain, .io = io, .out = out, .strides = out_strides};
    return zc_req_run(pool, &r, plan->points ? points_read_task : block_read_task, plan->nchunks,
                      err);
}

int zc_write(zc_pool *pool, const zc_plan *plan, const zc_chain *chain, const zc_io *io,
             const uint8_t *value, const int64_t *val_strides, int write_empty, zc_write_out *wout,
             zc_err *err) {
    request r = {.plan = plan,
                 .chain = chain,
                 .io = io,
                 .value = value,
                 .strides = val_strides,
                 .write_empty = write_empty,
                 .wout = wout};
    return zc_req_run(pool, &r, plan->points ? points_write_task : block_write_task, plan->nchunks,
                      err);
}
