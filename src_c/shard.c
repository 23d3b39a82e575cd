/* Sharded reads from a local directory, done by the workers without the GIL.
 *
 * Phase 1, one task per touched shard: open the shard, read its index once,
 * check the checksum and every entry the request needs (checked 64-bit
 * arithmetic; an entry must lie inside the shard and outside the index and may
 * not claim more than any encoding of an inner chunk).  Phase 2, one task per
 * inner chunk: pread exactly its bytes, decode, scatter.  Shards are taken in
 * batches so the number of open files stays bounded. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "zc_request.h"

#define SHARD_BATCH 256
#define EMPTY_ENTRY UINT64_MAX

typedef struct shard_req {
    const zc_shard_layout *L;
    int64_t *order;      /* plan chunks sorted by shard */
    int64_t *shard_of;   /* per plan chunk: shard number */
    int64_t *inner_of;   /* per plan chunk: inner chunk number in its shard */
    int64_t *bounds;     /* per shard: [bounds[s], bounds[s+1]) of order */
    int64_t *coords;     /* per shard: grid coordinates (nshards x ndim) */
    int64_t first_shard; /* batch being processed */
    int *fd;             /* per shard of the batch: file, or -1 when missing */
    uint64_t *off, *len; /* per plan chunk */
} shard_req;

static uint64_t load_u64(const uint8_t *p, int big) {
    uint64_t v = 0;
    if (big)
        for (int k = 0; k < 8; k++)
            v = (v << 8) | p[k];
    else
        for (int k = 7; k >= 0; k--)
            v = (v << 8) | p[k];
    return v;
}

static void inner_coords(const zc_shard_layout *L, int nd, int64_t j, int64_t *c) {
    for (int d = nd - 1; d >= 0; d--) {
        c[d] = j % L->cps[d];
        j /= L->cps[d];
    }
}

/* Why entry (off, len) of a shard of `size` bytes (ZC_SHARD_SIZE_UNKNOWN when
 * not known) cannot be used, or NULL when it is valid or marks an empty chunk. */
static const char *entry_problem(const zc_shard_layout *L, uint64_t off, uint64_t len,
                                 uint64_t size, size_t max_inner) {
    uint64_t end, idx_n = L->index_nbytes;
    if (off == EMPTY_ENTRY && len == EMPTY_ENTRY)
        return NULL;
    if (off == EMPTY_ENTRY || len == EMPTY_ENTRY)
        return "only one of offset and length marks it empty";
    if (__builtin_add_overflow(off, len, &end))
        return "offset + length overflows";
    if (len > max_inner)
        return "longer than any encoding of an inner chunk";
    if (size == ZC_SHARD_SIZE_UNKNOWN) {
        /* only an index at the start has a known place */
        if (L->index_at_start && off < idx_n)
            return end <= idx_n ? "points into the index" : "overlaps the index";
        return NULL;
    }
    if (end > size)
        return "outside the shard";
    /* inside the file: data lives in [lo, hi), after the index at the start,
     * before it at the end; anything else meets the index */
    uint64_t lo = L->index_at_start ? idx_n : 0;
    uint64_t hi = L->index_at_start ? size : (size >= idx_n ? size - idx_n : 0);
    if (off < lo || end > hi)
        return (L->index_at_start ? end <= lo : off >= hi) ? "points into the index"
                                                           : "overlaps the index";
    return NULL;
}

static int entry_error(const zc_shard_layout *L, int nd, int64_t j, uint64_t off, uint64_t len,
                       uint64_t size, const char *why, zc_err *err) {
    int64_t c[ZC_MAXDIM] = {0};
    inner_coords(L, nd, j, c);
    char where[160], sz[24];
    size_t n = 0;
    where[0] = '\0';
    for (int d = 0; d < nd && n < sizeof(where) - 24; d++)
        n += (size_t)snprintf(where + n, sizeof(where) - n, d ? ", %" PRId64 : "%" PRId64, c[d]);
    if (size == ZC_SHARD_SIZE_UNKNOWN)
        snprintf(sz, sizeof(sz), "unknown");
    else
        snprintf(sz, sizeof(sz), "%" PRIu64, size);
    /* the coordinates read as a Python tuple: (1, 0) or (3,) */
    return zc_err_set(err, ZC_ESHARD, "sharding_indexed",
                      "shard index entry for inner chunk (%s%s) is invalid (%s): offset %" PRIu64
                      ", length %" PRIu64 ", shard size %s",
                      where, nd == 1 ? "," : "", why, off, len, sz);
}

/* The checksum at the end of an index of ix_n bytes, when the layout has one. */
static int index_crc_check(const zc_shard_layout *L, const uint8_t *ix, size_t ix_n, zc_err *err) {
    if (!L->index_crc)
        return ZC_OK;
    size_t body = ix_n - 4;
    uint32_t want = (uint32_t)ix[body] | ((uint32_t)ix[body + 1] << 8) |
                    ((uint32_t)ix[body + 2] << 16) | ((uint32_t)ix[body + 3] << 24);
    uint32_t got = zc_crc32c(0, ix, body);
    if (want != got)
        return zc_err_set(err, ZC_ESHARD, "crc32c",
                          "shard index checksum mismatch: stored 0x%08x, computed 0x%08x", want,
                          got);
    return ZC_OK;
}

int zc_shard_index_parse(const zc_shard_layout *L, int nd, const uint8_t *ix, size_t ix_n,
                         uint64_t shard_size, size_t max_inner, uint64_t *off, uint64_t *len,
                         zc_err *err) {
    int64_t n_inner = 1;
    for (int d = 0; d < nd; d++)
        if (L->cps[d] <= 0 || __builtin_mul_overflow(n_inner, L->cps[d], &n_inner))
            return zc_err_set(err, ZC_EINVAL, "", "invalid shard layout");
    size_t want = (size_t)n_inner * 16 + (L->index_crc ? 4 : 0);
    if ((uint64_t)n_inner > (SIZE_MAX - 4) / 16 || ix_n != want)
        return zc_err_set(err, ZC_ESHARD, "sharding_indexed",
                          "shard index has %zu bytes, expected %zu (truncated shard)", ix_n, want);
    if (index_crc_check(L, ix, ix_n, err) != ZC_OK)
        return err->code;
    for (int64_t j = 0; j < n_inner; j++) {
        uint64_t o = load_u64(ix + j * 16, L->index_big_endian);
        uint64_t n = load_u64(ix + j * 16 + 8, L->index_big_endian);
        const char *why = entry_problem(L, o, n, shard_size, max_inner);
        if (why)
            return entry_error(L, nd, j, o, n, shard_size, why, err);
        off[j] = o;
        len[j] = n;
    }
    return ZC_OK;
}

static void index_task(void *arg, int64_t t, zc_worker *w) {
    request *r = arg;
    if (atomic_load(&r->failed))
        return;
    shard_req *sr = r->extra;
    const zc_shard_layout *L = sr->L;
    int64_t s = sr->first_shard + t;
    int64_t first = sr->order[sr->bounds[s]];
    zc_err err = {0};
    char path[PATH_MAX];
    int fd = -1;
    sr->fd[t] = -1;
    if (zc_req_chunk_path(r, &sr->coords[s * r->plan->ndim], path, sizeof(path), &err) != ZC_OK)
        goto failed;
    uint64_t size = 0;
    int missing = 0;
    if (zc_file_open(r->io->root, path, &fd, &size, &missing, &err) != ZC_OK)
        goto failed;
    if (missing) {
        for (int64_t k = sr->bounds[s]; k < sr->bounds[s + 1]; k++)
            sr->off[sr->order[k]] = EMPTY_ENTRY;
        return;
    }
    uint64_t idx_n = L->index_nbytes;
    if (size < idx_n) {
        zc_err_set(&err, ZC_ESHARD, "sharding_indexed",
                   "shard of %" PRIu64 " bytes is shorter than its index (%" PRIu64
                   " bytes): truncated shard",
                   size, idx_n);
        goto failed;
    }
    uint8_t *ix = zc_worker_buf(w, 0, idx_n);
    if (!ix) {
        zc_err_set(&err, ZC_ENOMEM, "", "out of memory");
        goto failed;
    }
    uint64_t ix_at = L->index_at_start ? 0 : size - idx_n;
    for (size_t got = 0; got < idx_n;) {
        ssize_t k = pread(fd, ix + got, idx_n - got, (off_t)(ix_at + got));
        if (k <= 0) {
            if (k < 0 && errno == EINTR)
                continue;
            zc_err_set(&err, k < 0 ? ZC_EIO : ZC_ESHARD, "sharding_indexed",
                       "cannot read the index of %s", path);
            goto failed;
        }
        got += (size_t)k;
    }
    size_t body = idx_n - (L->index_crc ? 4 : 0);
    if (index_crc_check(L, ix, idx_n, &err) != ZC_OK)
        goto failed;
    for (int64_t k = sr->bounds[s]; k < sr->bounds[s + 1]; k++) {
        int64_t i = sr->order[k], j = sr->inner_of[i];
        if ((uint64_t)j * 16 + 16 > body) {
            zc_err_set(&err, ZC_EINVAL, "", "inner chunk number out of range");
            first = i;
            goto failed;
        }
        uint64_t off = load_u64(ix + j * 16, L->index_big_endian);
        uint64_t len = load_u64(ix + j * 16 + 8, L->index_big_endian);
        const char *why = entry_problem(L, off, len, size, r->chain->max_encoded);
        if (why) {
            entry_error(L, r->plan->ndim, j, off, len, size, why, &err);
            first = i;
            goto failed;
        }
        if (off == EMPTY_ENTRY) {
            sr->off[i] = EMPTY_ENTRY;
            continue;
        }
        sr->off[i] = off;
        sr->len[i] = len;
    }
    sr->fd[t] = fd;
    return;
failed:
    if (fd >= 0)
        close(fd);
    zc_req_fail(r, &err, first);
}

static void inner_task(void *arg, int64_t t, zc_worker *w) {
    request *r = arg;
    if (atomic_load(&r->failed))
        return;
    shard_req *sr = r->extra;
    int64_t i = sr->order[sr->bounds[sr->first_shard] + t];
    zc_err err = {0};
    int fd = sr->fd[sr->shard_of[i] - sr->first_shard];
    if (fd < 0 || sr->off[i] == EMPTY_ENTRY) {
        if (zc_req_deliver(r, i, w, NULL, 0, 1, &err) != ZC_OK)
            goto failed;
        return;
    }
    size_t n = (size_t)sr->len[i];
    uint8_t *buf = zc_worker_buf(w, 0, n);
    if (!buf) {
        zc_err_set(&err, ZC_ENOMEM, "", "out of memory");
        goto failed;
    }
    for (size_t got = 0; got < n;) {
        ssize_t k = pread(fd, buf + got, n - got, (off_t)(sr->off[i] + got));
        if (k <= 0) {
            if (k < 0 && errno == EINTR)
                continue;
            zc_err_set(&err, k < 0 ? ZC_EIO : ZC_ESHARD, "sharding_indexed",
                       "shard shrank while read");
            goto failed;
        }
        got += (size_t)k;
    }
    if (zc_req_deliver(r, i, w, buf, n, 0, &err) != ZC_OK)
        goto failed;
    return;
failed:
    zc_req_fail(r, &err, i);
}

typedef struct {
    int64_t key;
    int64_t pos;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->pos < y->pos ? -1 : (x->pos > y->pos);
}

int zc_read_sharded(zc_pool *pool, const zc_plan *plan, const zc_chain *inner,
                    const zc_shard_layout *L, const zc_io *io, uint8_t *out,
                    const int64_t *out_strides, zc_err *err) {
    int nd = plan->ndim;
    int64_t n = plan->nchunks;
    if (n == 0)
        return ZC_OK;
    if (!io->root || nd == 0)
        return zc_err_set(err, ZC_EINVAL, "", "sharded reads need a local directory");
    int64_t grid[ZC_MAXDIM];
    int64_t total = 1;
    for (int d = 0; d < nd; d++) {
        int64_t shard_extent = L->cps[d] * plan->chunk_shape[d];
        if (L->cps[d] <= 0)
            return zc_err_set(err, ZC_EINVAL, "", "invalid shard layout");
        grid[d] = (plan->shape[d] + shard_extent - 1) / shard_extent;
        if (grid[d] < 1)
            grid[d] = 1;
        if (__builtin_mul_overflow(total, grid[d], &total))
            return zc_err_set(err, ZC_EOVERFLOW, "", "shard grid too large");
    }
    shard_req sr = {.L = L};
    keyed *ks = malloc(sizeof(keyed) * (size_t)n);
    sr.order = malloc(sizeof(int64_t) * (size_t)n);
    sr.shard_of = malloc(sizeof(int64_t) * (size_t)n);
    sr.inner_of = malloc(sizeof(int64_t) * (size_t)n);
    sr.off = malloc(sizeof(uint64_t) * (size_t)n);
    sr.len = malloc(sizeof(uint64_t) * (size_t)n);
    sr.bounds = malloc(sizeof(int64_t) * (size_t)(n + 1));
    sr.coords = malloc(sizeof(int64_t) * (size_t)n * (size_t)nd);
    sr.fd = malloc(sizeof(int) * SHARD_BATCH);
    int rc = ZC_OK;
    if (!ks || !sr.order || !sr.shard_of || !sr.inner_of || !sr.off || !sr.len || !sr.bounds ||
        !sr.coords || !sr.fd) {
        rc = zc_err_set(err, ZC_ENOMEM, "", "out of memory planning a sharded read");
        goto done;
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t c[ZC_MAXDIM];
        zc_plan_chunk_coords(plan, i, c);
        int64_t key = 0, j = 0;
        for (int d = 0; d < nd; d++) {
            key = key * grid[d] + c[d] / L->cps[d];
            j = j * L->cps[d] + c[d] % L->cps[d];
        }
        ks[i].key = key;
        ks[i].pos = i;
        sr.inner_of[i] = j;
    }
    qsort(ks, (size_t)n, sizeof(keyed), cmp_keyed);
    int64_t nshards = 0;
    for (int64_t k = 0; k < n; k++) {
        int64_t i = ks[k].pos;
        if (k == 0 || ks[k].key != ks[k - 1].key) {
            int64_t c[ZC_MAXDIM];
            zc_plan_chunk_coords(plan, i, c);
            for (int d = 0; d < nd; d++)
                sr.coords[nshards * nd + d] = c[d] / L->cps[d];
            sr.bounds[nshards++] = k;
        }
        sr.order[k] = i;
        sr.shard_of[i] = nshards - 1;
    }
    sr.bounds[nshards] = n;
    request r = {
        .plan = plan, .chain = inner, .io = io, .out = out, .strides = out_strides, .extra = &sr};
    for (int64_t s0 = 0; s0 < nshards && rc == ZC_OK; s0 += SHARD_BATCH) {
        int64_t ns = nshards - s0 < SHARD_BATCH ? nshards - s0 : SHARD_BATCH;
        sr.first_shard = s0;
        for (int64_t t = 0; t < ns; t++)
            sr.fd[t] = -1;
        rc = zc_req_run(pool, &r, index_task, ns, err);
        if (rc == ZC_OK)
            rc = zc_req_run(pool, &r, inner_task, sr.bounds[s0 + ns] - sr.bounds[s0], err);
        for (int64_t t = 0; t < ns; t++)
            if (sr.fd[t] >= 0)
                close(sr.fd[t]);
    }
done:
    free(ks);
    free(sr.order);
    free(sr.shard_of);
    free(sr.inner_of);
    free(sr.off);
    free(sr.len);
    free(sr.bounds);
    free(sr.coords);
    free(sr.fd);
    return rc;
}
