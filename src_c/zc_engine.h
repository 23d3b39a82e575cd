/* The zarrc engine: selection plans, prepared codec chains, a persistent
 * thread pool, and whole-request read / write execution.
 *
 * One call per request: Python builds a plan and a chain once, then a single
 * zc_read_* / zc_write_* call decodes or encodes every chunk on the pool with
 * no Python involvement.  No Python.h here. */
#ifndef ZC_ENGINE_H
#define ZC_ENGINE_H

#include "zc_codecs.h"
#include "zc_localio.h"

#define ZC_MAXDIM 32
#define ZC_MAX_B2B 8

/* ---- plans -------------------------------------------------------------- */

/* The part of one chunk, along one dimension, that a selection touches.
 * Regular: elements in_start + k*in_step (k < count) of chunk `chunk` land at
 * output position out_start + k (in_step may be negative).  Index mode
 * (in_idx != NULL): element in_idx[k] lands at out_idx[k]. */
typedef struct zc_proj {
    int64_t chunk;
    int64_t in_start;
    int64_t in_step;
    int64_t out_start;
    int64_t count;
    const int64_t *in_idx;
    const int64_t *out_idx;
    int64_t in_min, in_max; /* smallest and largest in-chunk index touched */
} zc_proj;

/* One dimension of an orthogonal selection: start + k*step for k < count, or
 * (idx != NULL) the count indices idx[k], in any order, repeats allowed. */
typedef struct zc_dimsel {
    int64_t start;
    int64_t step;
    int64_t count;
    const int64_t *idx;
} zc_dimsel;

typedef struct zc_plan {
    int ndim;
    int points; /* 0: orthogonal block plan, 1: coordinate plan */
    int64_t shape[ZC_MAXDIM];
    int64_t chunk_shape[ZC_MAXDIM];
    int64_t sel_count[ZC_MAXDIM]; /* block plan: output extent per dimension */
    zc_proj *proj[ZC_MAXDIM];     /* block plan: per-dimension projections */
    int64_t nproj[ZC_MAXDIM];
    int64_t *idx_store[ZC_MAXDIM]; /* owned index arrays of index-mode dimensions */
    int64_t nchunks;               /* chunks touched */
    /* coordinate plan: npoints points grouped by chunk */
    int64_t npoints;
    int64_t *pt_chunk;   /* nchunks x ndim chunk coordinates */
    int64_t *pt_offsets; /* nchunks + 1: points of chunk i are [off[i], off[i+1]) */
    int64_t *pt_in;      /* npoints x ndim in-chunk coordinates */
    int64_t *pt_out;     /* npoints output positions */
} zc_plan;

/* Orthogonal plan: one zc_dimsel per dimension.  Indices are checked against
 * the shape here (ZC_EINVAL names the dimension). */
int zc_plan_build(zc_plan *plan, int ndim, const int64_t *shape, const int64_t *chunk_shape,
                  const zc_dimsel *sel, zc_err *err);
/* Coordinate plan: point k is (coords[0][k], ..., coords[ndim-1][k]) and lands
 * at output position k.  Points are grouped by chunk keeping their order, so
 * on write the last of repeated points wins, as in numpy. */
int zc_plan_points(zc_plan *plan, int ndim, const int64_t *shape, const int64_t *chunk_shape,
                   int64_t npoints, const int64_t *const *coords, zc_err *err);
void zc_plan_free(zc_plan *plan);
/* Block plan: projection index per dimension of chunk i (row-major). */
void zc_plan_chunk(const zc_plan *plan, int64_t i, int64_t *proj_index);
/* Grid coordinates of chunk i (either kind of plan). */
void zc_plan_chunk_coords(const zc_plan *plan, int64_t i, int64_t *coords);
/* Is chunk i wholly covered (every in-bounds element written exactly once)? */
int zc_plan_chunk_full(const zc_plan *plan, int64_t i);

/* ---- codec chains --------------------------------------------------------- */

typedef struct zc_chain {
    int ndim;
    int64_t chunk_shape[ZC_MAXDIM];
    size_t itemsize;
    size_t nbytes; /* decoded chunk size: prod(chunk_shape) * itemsize */
    int swap;      /* 0, or the unit to byte-swap (itemsize, or half of it for complex) */
    int transposed;
    int order[ZC_MAXDIM];       /* transpose order (encoded dim i = chunk dim order[i]) */
    int64_t strides[ZC_MAXDIM]; /* byte stride of each chunk dimension in the encoded layout */
    int n_b2b;
    zc_b2b_codec b2b[ZC_MAX_B2B]; /* in encoding order */
    size_t bound[ZC_MAX_B2B +
                 1]; /* bound[i]: most bytes entering b2b[i] on encode; bound[n_b2b]: encoded max */
    uint8_t *fill;   /* fill value, stored byte order (itemsize bytes, owned) */
    uint8_t *fill_native; /* fill value, native byte order (owned) */
    size_t max_encoded;   /* the largest stored chunk accepted on read */
} zc_chain;

/* Prepare a chain.  order may be NULL (no transpose).  swap is 0 or the
 * byte-swap unit.  fill_native is the fill value in native byte order,
 * itemsize bytes.  Release with zc_chain_free. */
int zc_chain_init(zc_chain *chain, int ndim, const int64_t *chunk_shape, size_t itemsize, int swap,
                  const int *order, int n_b2b, const zc_b2b_codec *b2b, const uint8_t *fill_native,
                  zc_err *err);
void zc_chain_free(zc_chain *chain);

/* ---- thread pool ----------------------------------------------------------- */

/* Per-thread state: codec contexts and scratch buffers reused across chunks
 * and requests. */
typedef struct zc_worker {
    zc_codec_ctx *codec;
    uint8_t *buf[4]; /* 0: encoded input, 1-2: codec stages, 3: chunk being written */
    size_t cap[4];
} zc_worker;

/* Make buffer k of w hold at least n bytes (contents not kept). */
uint8_t *zc_worker_buf(zc_worker *w, int k, size_t n);
void zc_worker_release(zc_worker *w);

typedef struct zc_pool zc_pool;
typedef void (*zc_task_fn)(void *arg, int64_t task, zc_worker *w);

/* A pool of nthreads workers (the calling thread counts as one). */
zc_pool *zc_pool_new(int nthreads);
/* Join and free.  In a forked child (pool made by the parent) the threads do
 * not exist: the memory is released without joining. */
void zc_pool_free(zc_pool *pool);
/* False in a child process forked after the pool was made. */
int zc_pool_valid(const zc_pool *pool);
int zc_pool_threads(const zc_pool *pool);
/* Run fn(arg, t, worker) for t in [0, ntasks) on the pool and wait.  If the
 * pool is busy with another request, the caller runs its tasks itself.
 * Returns ZC_ENOMEM if no worker state could be made. */
int zc_pool_run(zc_pool *pool, int64_t ntasks, zc_task_fn fn, void *arg);

/* ---- chunk sources and sinks ---------------------------------------------- */

/* Where chunks live.  Either a local directory (the workers build chunk keys
 * and do the I/O themselves, beneath the root) or caller-provided buffers, one
 * per plan chunk. */
typedef struct zc_io {
    /* local directory mode when root != NULL */
    const zc_root *root;    /* the store root (fd, fsync, resolution) */
    const char *key_prefix; /* root-relative, e.g. "temp/c/" */
    char separator;         /* '/' or '.' */
    const char *key_0d;     /* root-relative key of a 0-d array's only chunk */
    /* buffer mode */
    const uint8_t *const *bufs; /* bufs[i] == NULL: chunk i missing */
    const size_t *lens;
} zc_io;

/* Output of a buffer-mode write: for each chunk, the encoded bytes (malloc'd,
 * caller frees) or NULL with len 0 meaning "delete this chunk". */
typedef struct zc_write_out {
    uint8_t **bufs;
    size_t *lens;
} zc_write_out;

/* Read: decode every chunk of the plan and scatter the selected elements into
 * out (a buffer with byte strides out_strides over plan->sel_count).  Missing
 * chunks yield the fill value. */
int zc_read(zc_pool *pool, const zc_plan *plan, const zc_chain *chain, const zc_io *io,
            uint8_t *out, const int64_t *out_strides, zc_err *err);

/* Write: value has byte strides val_strides over plan->sel_count (0 strides
 * broadcast).  Partial chunks are read (io) and merged.  Chunks equal to the
 * fill value are deleted unless write_empty.  In buffer mode results go to
 * wout (arrays of plan->nchunks entries). */
int zc_write(zc_pool *pool, const zc_plan *plan, const zc_chain *chain, const zc_io *io,
             const uint8_t *value, const int64_t *val_strides, int write_empty, zc_write_out *wout,
             zc_err *err);

/* ---- sharded arrays --------------------------------------------------------- */

/* How inner chunks sit in a shard (sharding_indexed with bytes [+ crc32c]
 * index codecs, the layout every implementation writes). */
typedef struct zc_shard_layout {
    int64_t cps[ZC_MAXDIM]; /* inner chunks per shard along each dimension */
    size_t index_nbytes;    /* 16 per inner chunk, + 4 with a checksum */
    int index_at_start;
    int index_crc; /* index ends with a crc32c of the entries */
    int index_big_endian;
} zc_shard_layout;

/* Read a plan made over the inner chunk grid from shard files in a local
 * directory (io: local mode, keys of shards).  Each touched shard's index is
 * read once and its needed entries validated with checked arithmetic before
 * any inner chunk is read; a bad shard is ZC_ESHARD with err->chunk set to a
 * plan chunk of that shard. */
int zc_read_sharded(zc_pool *pool, const zc_plan *plan, const zc_chain *inner,
                    const zc_shard_layout *layout, const zc_io *io, uint8_t *out,
                    const int64_t *out_strides, zc_err *err);

/* Validate a whole shard index (ix_n bytes as stored with this layout: 16 per
 * inner chunk, + 4 with a checksum) and decode it into off/len (one entry per
 * inner chunk, C order; UINT64_MAX pairs mark empty chunks).  Checked 64-bit
 * arithmetic: the checksum, then every entry is empty or lies outside the index
 * and, when shard_size is known (not ZC_SHARD_SIZE_UNKNOWN), inside the shard,
 * and claims at most max_inner bytes.  A violation is ZC_ESHARD naming the
 * inner chunk, offset, length and shard size.  The same checks guard
 * zc_read_sharded. */
#define ZC_SHARD_SIZE_UNKNOWN UINT64_MAX
int zc_shard_index_parse(const zc_shard_layout *layout, int ndim, const uint8_t *ix,
                         size_t ix_n, uint64_t shard_size, size_t max_inner, uint64_t *off,
                         uint64_t *len, zc_err *err);

/* ---- helpers shared by the engine files ---------------------------------- */

/* Chunk files beneath a root.  zc_local_read: *missing = 1 when nothing
 * readable is at key; files larger than maxlen are ZC_ECORRUPT (never
 * allocated).  The data is left in worker buffer 0 (or read straight into
 * `direct` when its size is exactly direct_len). */
int zc_local_read(const zc_root *root, const char *key, zc_worker *w, size_t maxlen,
                  uint8_t *direct, size_t direct_len, const uint8_t **data, size_t *len,
                  int *missing, zc_err *err);
/* Read bytes [off, off+len) of a file that must hold exactly `expect` bytes
 * (else ZC_ESIZE).  Used for uncompressed chunks, where a small selection
 * needs only part of the file. */
int zc_local_read_range(const zc_root *root, const char *key, zc_worker *w, size_t expect,
                        size_t off, size_t len, const uint8_t **data, int *missing, zc_err *err);

/* Copy an nd block: count[d] elements per dimension with byte strides;
 * swap is 0 or the unit to byte-swap while copying. */
void zc_copy_nd(int nd, const int64_t *count, uint8_t *dst, const int64_t *dst_strides,
                const uint8_t *src, const int64_t *src_strides, size_t itemsize, int swap);
/* The same with index lists: where dst_ix[d] (src_ix[d]) is not NULL, element
 * k of dimension d is at dst_ix[d][k] * dst_strides[d] instead of k * stride. */
void zc_copy_nd_ix(int nd, const int64_t *count, uint8_t *dst, const int64_t *dst_strides,
                   const int64_t *const *dst_ix, const uint8_t *src, const int64_t *src_strides,
                   const int64_t *const *src_ix, size_t itemsize, int swap);
void zc_fill_nd_ix(int nd, const int64_t *count, uint8_t *dst, const int64_t *dst_strides,
                   const int64_t *const *dst_ix, const uint8_t *value, size_t itemsize);
/* Fill an nd block with one element value. */
void zc_fill_nd(int nd, const int64_t *count, uint8_t *dst, const int64_t *dst_strides,
                const uint8_t *value, size_t itemsize);
/* Does buf (n bytes) consist only of repetitions of the itemsize-byte value? */
int zc_all_equal(const uint8_t *buf, size_t n, const uint8_t *value, size_t itemsize);
/* Byte-swap n bytes in place in units of `unit` bytes. */
void zc_byteswap(uint8_t *buf, size_t n, int unit);

#endif
