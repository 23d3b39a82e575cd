# C declarations of the engine (src_c/), declared once for every Cython module.
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t


cdef extern from "zc_common.h" nogil:
    enum zc_status:
        ZC_OK
        ZC_ENOMEM
        ZC_ECORRUPT
        ZC_ECHECKSUM
        ZC_ESIZE
        ZC_EIO
        ZC_EINVAL
        ZC_EOVERFLOW
        ZC_ECODEC
        ZC_ESHARD
        ZC_EESCAPE

    ctypedef struct zc_err:
        int code
        int sys_errno
        int64_t chunk
        char codec[24]
        char msg[256]


cdef extern from "zc_codecs.h" nogil:
    enum zc_b2b_kind:
        ZC_B2B_BLOSC
        ZC_B2B_GZIP
        ZC_B2B_ZSTD
        ZC_B2B_CRC32C
        ZC_B2B_ZLIB
        ZC_B2B_LZ4

    ctypedef struct zc_b2b_codec:
        int kind
        int level
        int checksum
        int shuffle
        int typesize
        int blocksize
        char cname[16]

    uint32_t zc_crc32c(uint32_t crc, const void *data, size_t n)


cdef extern from "zc_localio.h" nogil:
    ctypedef struct zc_root:
        int dirfd
        int fsync
        int openat2

    ctypedef struct zc_lock:
        int dirfd
        int fd

    void zc_root_init(zc_root *root, int dirfd, int fsync, int allow_openat2)
    int zc_file_open(const zc_root *root, const char *key, int *fd, uint64_t *size,
                     int *missing, zc_err *err)
    int zc_file_pread(int fd, uint8_t *buf, size_t n, uint64_t off, size_t *got,
                      const char *key, zc_err *err)
    int zc_file_write(const zc_root *root, const char *key, const uint8_t *data, size_t n,
                      int exclusive, int *written, zc_err *err)
    int zc_file_delete(const zc_root *root, const char *key, zc_err *err)
    int zc_file_check(const zc_root *root, const char *key, zc_err *err)
    int zc_file_lock(const zc_root *root, const char *key, zc_lock *lock, zc_err *err)
    void zc_file_unlock(zc_lock *lock)


cdef extern from "zc_engine.h" nogil:
    enum:
        ZC_MAXDIM
        ZC_MAX_B2B

    ctypedef struct zc_dimsel:
        int64_t start
        int64_t step
        int64_t count
        const int64_t *idx

    ctypedef struct zc_plan:
        int ndim
        int points
        int64_t sel_count[ZC_MAXDIM]
        int64_t nchunks
        int64_t npoints

    ctypedef struct zc_chain:
        int ndim
        size_t itemsize
        size_t nbytes
        size_t max_encoded
        int swap
        int n_b2b

    ctypedef struct zc_pool:
        pass

    ctypedef struct zc_io:
        const zc_root *root
        const char *key_prefix
        char separator
        const char *key_0d
        const uint8_t *const *bufs
        const size_t *lens

    ctypedef struct zc_write_out:
        uint8_t **bufs
        size_t *lens

    int zc_plan_build(zc_plan *plan, int ndim, const int64_t *shape,
                      const int64_t *chunk_shape, const zc_dimsel *sel, zc_err *err)
    int zc_plan_points(zc_plan *plan, int ndim, const int64_t *shape,
                       const int64_t *chunk_shape, int64_t npoints,
                       const int64_t *const *coords, zc_err *err)
    void zc_plan_free(zc_plan *plan)
    void zc_plan_chunk_coords(const zc_plan *plan, int64_t i, int64_t *coords)
    int zc_plan_chunk_full(const zc_plan *plan, int64_t i)

    int zc_chain_init(zc_chain *chain, int ndim, const int64_t *chunk_shape,
                      size_t itemsize, int swap, const int *order, int n_b2b,
                      const zc_b2b_codec *b2b, const uint8_t *fill_native, zc_err *err)
    void zc_chain_free(zc_chain *chain)

    zc_pool *zc_pool_new(int nthreads)
    void zc_pool_free(zc_pool *pool)
    int zc_pool_valid(const zc_pool *pool)
    int zc_pool_threads(const zc_pool *pool)

    ctypedef struct zc_shard_layout:
        int64_t cps[ZC_MAXDIM]
        size_t index_nbytes
        int index_at_start
        int index_crc
        int index_big_endian

    int zc_read_sharded(zc_pool *pool, const zc_plan *plan, const zc_chain *inner,
                        const zc_shard_layout *layout, const zc_io *io, uint8_t *out,
                        const int64_t *out_strides, zc_err *err)

    int zc_read(zc_pool *pool, const zc_plan *plan, const zc_chain *chain, const zc_io *io,
                uint8_t *out, const int64_t *out_strides, zc_err *err)
    int zc_write(zc_pool *pool, const zc_plan *plan, const zc_chain *chain, const zc_io *io,
                 const uint8_t *value, const int64_t *val_strides, int write_empty,
                 zc_write_out *wout, zc_err *err)


cdef extern from "zc_engine.h" nogil:
    uint64_t ZC_SHARD_SIZE_UNKNOWN

    int zc_shard_index_parse(const zc_shard_layout *layout, int ndim, const uint8_t *ix,
                             size_t ix_n, uint64_t shard_size, size_t max_inner,
                             uint64_t *off, uint64_t *len, zc_err *err)
    int zc_all_equal(const uint8_t *buf, size_t n, const uint8_t *value, size_t itemsize)
