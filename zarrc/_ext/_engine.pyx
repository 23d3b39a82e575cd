# cython: language_level=3, boundscheck=False, wraparound=False
"""Marshalling between Python objects and the C engine (src_c/).

Compiled because every request crosses here once: it turns numpy arrays,
bytes and plain tuples into the C structs, releases the GIL for the whole
request, and raises after the worker threads have joined.  No logic lives
here beyond that.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memset, strncpy
from posix.unistd cimport close as c_close

cimport numpy as cnp

from zarrc._ext._engine cimport *

cnp.import_array()

import os
import stat

import numpy as np


class EngineError(Exception):
    """A failed request, as reported by the engine (converted by zarrc.pipeline.request)."""

    def __init__(self, code, sys_errno, chunk, codec, msg):
        super().__init__(msg)
        self.code = code
        self.sys_errno = sys_errno
        self.chunk = chunk
        self.codec = codec
        self.msg = msg


# Status codes (enum zc_status, zc_common.h), as Python ints.
OK = ZC_OK
ENOMEM = ZC_ENOMEM
ECORRUPT = ZC_ECORRUPT
ECHECKSUM = ZC_ECHECKSUM
ESIZE = ZC_ESIZE
EIO = ZC_EIO
EINVAL = ZC_EINVAL
EOVERFLOW = ZC_EOVERFLOW
ECODEC = ZC_ECODEC
ESHARD = ZC_ESHARD
EESCAPE = ZC_EESCAPE

# Bytes-to-bytes codec kinds (enum zc_b2b_kind, zc_codecs.h): the "kind" of
# a codec's c_kernel() description.
B2B_BLOSC = ZC_B2B_BLOSC
B2B_GZIP = ZC_B2B_GZIP
B2B_ZSTD = ZC_B2B_ZSTD
B2B_CRC32C = ZC_B2B_CRC32C
B2B_ZLIB = ZC_B2B_ZLIB
B2B_LZ4 = ZC_B2B_LZ4

# Engine limits (zc_engine.h).
MAXDIM = ZC_MAXDIM
MAX_B2B = ZC_MAX_B2B


cdef raise_err(zc_err *err):
    raise EngineError(err.code, err.sys_errno, err.chunk,
                      err.codec.decode("utf-8", "replace"),
                      err.msg.decode("utf-8", "replace"))


cdef class Plan:
    """Which chunks a selection touches, and where each part lands.

    ``Plan(shape, chunk_shape, dims)``: an orthogonal selection, one item per
    dimension, either ``(start, step, count)`` or an int64 array of indices.
    ``Plan.points(shape, chunk_shape, coords)``: a coordinate selection, where
    ``coords`` is an int64 array of shape (ndim, npoints).
    """

    cdef zc_plan plan
    cdef list keep

    def __cinit__(self):
        memset(&self.plan, 0, sizeof(zc_plan))
        self.keep = []

    def __init__(self, shape=None, chunk_shape=None, dims=None):
        if shape is None:
            return  # made by Plan.points
        cdef int nd = len(shape)
        cdef int64_t s[ZC_MAXDIM]
        cdef int64_t c[ZC_MAXDIM]
        cdef zc_dimsel sel[ZC_MAXDIM]
        cdef zc_err err
        cdef const int64_t[::1] view
        memset(&err, 0, sizeof(zc_err))
        memset(sel, 0, sizeof(sel))
        if nd > ZC_MAXDIM:
            raise ValueError(f"arrays of more than {ZC_MAXDIM} dimensions are not supported")
        for d in range(nd):
            s[d] = shape[d]
            c[d] = chunk_shape[d]
            item = dims[d]
            if isinstance(item, tuple):
                sel[d].start, sel[d].step, sel[d].count = item
            else:
                arr = np.ascontiguousarray(item, dtype=np.int64)
                self.keep.append(arr)
                view = arr
                sel[d].count = view.shape[0]
                sel[d].idx = &view[0] if view.shape[0] else NULL
                if sel[d].idx == NULL:
                    sel[d].step = 1
        if zc_plan_build(&self.plan, nd, s, c, sel, &err) != 0:
            raise_err(&err)

    @staticmethod
    def points(shape, chunk_shape, coords):
        """A coordinate plan: point k is coords[:, k] and lands at output k."""
        cdef Plan self = Plan()
        cdef int nd = len(shape)
        cdef int64_t s[ZC_MAXDIM]
        cdef int64_t c[ZC_MAXDIM]
        cdef const int64_t *rows[ZC_MAXDIM]
        cdef zc_err err
        cdef const int64_t[:, ::1] view
        memset(&err, 0, sizeof(zc_err))
        if nd > ZC_MAXDIM or nd < 1:
            raise ValueError(f"coordinate selections need 1 to {ZC_MAXDIM} dimensions")
        arr = np.ascontiguousarray(coords, dtype=np.int64)
        if arr.ndim != 2 or arr.shape[0] != nd:
            raise ValueError("coords must have shape (ndim, npoints)")
        self.keep.append(arr)
        view = arr
        cdef int64_t npoints = view.shape[1]
        for d in range(nd):
            s[d] = shape[d]
            c[d] = chunk_shape[d]
            rows[d] = &view[d, 0] if npoints else NULL
        if zc_plan_points(&self.plan, nd, s, c, npoints, rows, &err) != 0:
            raise_err(&err)
        return self

    def __dealloc__(self):
        zc_plan_free(&self.plan)

    @property
    def nchunks(self):
        """Number of chunks the selection touches."""
        return self.plan.nchunks

    def chunk_coords(self):
        """Grid coordinates of every touched chunk, shape (nchunks, ndim)."""
        cdef int64_t i
        cdef int nd = self.plan.ndim
        out = np.empty((self.plan.nchunks, nd), dtype=np.int64)
        cdef int64_t[:, ::1] v = out
        for i in range(self.plan.nchunks):
            zc_plan_chunk_coords(&self.plan, i, &v[i, 0] if nd else NULL)
        return out

    def full_mask(self):
        """For each touched chunk, whether the selection covers all of it."""
        cdef int64_t i
        out = np.empty(self.plan.nchunks, dtype=np.bool_)
        cdef cnp.npy_bool[::1] v = out
        for i in range(self.plan.nchunks):
            v[i] = zc_plan_chunk_full(&self.plan, i)
        return out


cdef int check_shape(Plan plan, cnp.ndarray arr, str what) except -1:
    cdef int d
    if plan.plan.points:
        if cnp.PyArray_NDIM(arr) != 1 or cnp.PyArray_DIMS(arr)[0] != plan.plan.npoints:
            raise ValueError(f"{what} must be 1-d with one item per point")
        return 0
    if cnp.PyArray_NDIM(arr) != plan.plan.ndim:
        raise ValueError(f"{what} rank does not match the selection")
    for d in range(plan.plan.ndim):
        if cnp.PyArray_DIMS(arr)[d] != plan.plan.sel_count[d]:
            raise ValueError(f"{what} shape does not match the selection")
    return 0


cdef class Chain:
    """A prepared codec chain for one array (chunk shape, dtype, codecs, fill)."""

    cdef zc_chain chain

    def __cinit__(self, chunk_shape, int itemsize, int swap, order, b2b, bytes fill):
        cdef int nd = len(chunk_shape)
        cdef int64_t cs[ZC_MAXDIM]
        cdef int ordv[ZC_MAXDIM]
        cdef zc_b2b_codec codecs[ZC_MAX_B2B]
        cdef zc_err err
        memset(&self.chain, 0, sizeof(zc_chain))
        memset(&err, 0, sizeof(zc_err))
        memset(codecs, 0, sizeof(codecs))
        if nd > ZC_MAXDIM:
            raise ValueError(f"arrays of more than {ZC_MAXDIM} dimensions are not supported")
        if len(b2b) > ZC_MAX_B2B:
            raise ValueError(f"at most {ZC_MAX_B2B} bytes-to-bytes codecs are supported")
        if len(fill) != itemsize:
            raise ValueError("fill value size does not match the item size")
        for d in range(nd):
            cs[d] = chunk_shape[d]
            ordv[d] = order[d] if order is not None else d
        for i, spec in enumerate(b2b):
            codecs[i].kind = spec["kind"]
            codecs[i].level = spec.get("level", 0)
            codecs[i].checksum = spec.get("checksum", 0)
            codecs[i].shuffle = spec.get("shuffle", 0)
            codecs[i].typesize = spec.get("typesize", 0)
            codecs[i].blocksize = spec.get("blocksize", 0)
            cname = spec.get("cname", "").encode()
            strncpy(codecs[i].cname, cname, 15)
        if zc_chain_init(&self.chain, nd, cs, itemsize, swap, ordv, len(b2b), codecs,
                         <const uint8_t *>PyBytes_AS_STRING(fill), &err) != 0:
            raise_err(&err)

    def __dealloc__(self):
        zc_chain_free(&self.chain)

    @property
    def nbytes(self):
        """Decoded size of one chunk in bytes."""
        return self.chain.nbytes

    @property
    def max_encoded(self):
        """The largest stored chunk accepted on read."""
        return self.chain.max_encoded


# One pool per process, re-made after fork() and when the thread count changes.
cdef zc_pool *_pool = NULL
cdef int _threads = 0
cdef int _active = 0


def set_threads(int n):
    """Use ``n`` threads (including the caller) for later requests."""
    global _threads, _pool
    if n < 1:
        raise ValueError("threads must be at least 1")
    if n != _threads:
        _threads = n
        if _pool != NULL and _active == 0:
            zc_pool_free(_pool)
            _pool = NULL


def get_threads():
    """The number of threads requests use."""
    return _threads if _threads else (os.cpu_count() or 1)


cdef zc_pool *acquire_pool() except NULL:
    global _pool, _threads, _active
    if _threads == 0:
        _threads = os.cpu_count() or 1
    if _pool != NULL and (not zc_pool_valid(_pool) or zc_pool_threads(_pool) != _threads):
        if not zc_pool_valid(_pool) or _active == 0:
            # in a forked child this frees memory without joining the parent's threads
            zc_pool_free(_pool)
        _pool = NULL
        _active = 0
    if _pool == NULL:
        _pool = zc_pool_new(_threads)
        if _pool == NULL:
            raise MemoryError("cannot create the engine thread pool")
    _active += 1
    return _pool


cdef void release_pool():
    global _active
    _active -= 1


cdef int fill_strides(cnp.ndarray arr, int64_t *strides) except -1:
    cdef int d
    for d in range(cnp.PyArray_NDIM(arr)):
        strides[d] = cnp.PyArray_STRIDES(arr)[d]
    return 0


cdef class _Buffers:
    """Pointer/length arrays over a list of bytes objects or numpy arrays (None =
    missing); contiguous arrays are used in place."""

    cdef const uint8_t **bufs
    cdef size_t *lens
    cdef list keep

    def __cinit__(self, list items, int64_t n):
        if len(items) != n:
            raise ValueError(f"expected {n} chunk buffers, got {len(items)}")
        self.bufs = <const uint8_t **>calloc(n if n else 1, sizeof(uint8_t *))
        self.lens = <size_t *>calloc(n if n else 1, sizeof(size_t))
        if self.bufs == NULL or self.lens == NULL:
            raise MemoryError()
        self.keep = []
        cdef int64_t i
        for i in range(n):
            item = items[i]
            if item is None:
                continue
            if isinstance(item, cnp.ndarray):
                arr = np.ascontiguousarray(item).reshape(-1).view(np.uint8)
                self.keep.append(arr)
                self.bufs[i] = <const uint8_t *>cnp.PyArray_DATA(arr)
                self.lens[i] = cnp.PyArray_NBYTES(arr)
                continue
            if not isinstance(item, bytes):
                item = bytes(item)
            self.keep.append(item)
            self.bufs[i] = <const uint8_t *>PyBytes_AS_STRING(item)
            self.lens[i] = PyBytes_GET_SIZE(item)

    def __dealloc__(self):
        free(self.bufs)
        free(self.lens)


# -- local directories -------------------------------------------------------------

cdef class LocalRoot:
    """The root directory of a local store, held open: every file beneath it is
    opened relative to this descriptor and never through a symbolic link that
    leads out of it (openat2 RESOLVE_BENEATH, else a component-wise walk).

    ``LocalRoot(path_or_fd, fsync=False, openat2=True)``: a directory path, or
    a directory descriptor (duplicated).  ``openat2=False`` forces the walk.
    """

    cdef zc_root root
    cdef readonly object path
    cdef readonly object dev
    cdef readonly object ino

    def __cinit__(self, path_or_fd, bint fsync=False, bint openat2=True):
        self.root.dirfd = -1
        if isinstance(path_or_fd, int):
            fd = os.dup(path_or_fd)
            self.path = None
        else:
            fd = os.open(path_or_fd, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            self.path = os.fspath(path_or_fd)
        try:
            st = os.fstat(fd)
            if not stat.S_ISDIR(st.st_mode):
                raise NotADirectoryError(f"not a directory: {path_or_fd!r}")
        except BaseException:
            os.close(fd)
            raise
        self.dev = st.st_dev
        self.ino = st.st_ino
        zc_root_init(&self.root, fd, fsync, openat2)

    def __dealloc__(self):
        if self.root.dirfd >= 0:
            c_close(self.root.dirfd)

    def fileno(self):
        """The directory descriptor (owned by this object)."""
        return self.root.dirfd

    @property
    def fsync(self):
        """Whether writes are flushed to stable storage."""
        return bool(self.root.fsync)

    @property
    def uses_openat2(self):
        """True when names are resolved by openat2 (else by a component walk)."""
        return bool(self.root.openat2)


cdef class LocalChunks:
    """Where an array's chunks sit beneath a :class:`LocalRoot`: root-relative
    ``key_prefix`` (e.g. ``b"arr/c/"``), the separator and the 0-d key."""

    cdef readonly LocalRoot root
    cdef bytes prefix
    cdef bytes key0
    cdef char sep

    def __cinit__(self, LocalRoot root not None, bytes prefix, bytes sep, bytes key0):
        if len(sep) != 1:
            raise ValueError("the separator is one byte")
        self.root = root
        self.prefix = prefix
        self.key0 = key0
        self.sep = (<const char *>sep)[0]


cdef int setup_io(zc_io *io, LocalChunks local, _Buffers bufs) except -1:
    memset(io, 0, sizeof(zc_io))
    if local is not None:
        io.root = &local.root.root
        io.key_prefix = <const char *>local.prefix
        io.separator = local.sep
        io.key_0d = <const char *>local.key0
    else:
        io.bufs = bufs.bufs
        io.lens = bufs.lens
    return 0


cdef class FileLock:
    """An exclusive lock on one key of a local store (see :func:`file_lock`)."""

    cdef zc_lock lock

    def __cinit__(self):
        self.lock.fd = -1
        self.lock.dirfd = -1

    def release(self):
        """Remove the lock file and unlock (idempotent)."""
        zc_file_unlock(&self.lock)

    def __dealloc__(self):
        zc_file_unlock(&self.lock)


def file_lock(LocalRoot root not None, str key):
    """Block until ``key`` is locked; the lock file lives only while held."""
    cdef bytes k = os.fsencode(key)
    cdef const char *ck = k
    cdef FileLock held = FileLock()
    cdef zc_err err
    cdef int rc
    memset(&err, 0, sizeof(zc_err))
    with nogil:
        rc = zc_file_lock(&root.root, ck, &held.lock, &err)
    if rc != 0:
        raise_err(&err)
    return held


def file_get(LocalRoot root not None, str key, int kind=0, int64_t a=0, int64_t b=0):
    """The bytes at ``key``, or None when nothing readable is there.

    ``kind`` 0: whole file; 1: bytes [a, b); 2: from offset a; 3: the last a bytes.
    """
    cdef bytes k = os.fsencode(key)
    cdef const char *ck = k
    cdef int fd = -1, missing = 0, rc
    cdef uint64_t size = 0, start = 0, end
    cdef size_t got = 0, n
    cdef zc_err err
    cdef bytes out
    cdef uint8_t *dest
    memset(&err, 0, sizeof(zc_err))
    with nogil:
        rc = zc_file_open(&root.root, ck, &fd, &size, &missing, &err)
    if rc != 0:
        raise_err(&err)
    if missing:
        return None
    try:
        end = size
        if kind == 1:
            start = <uint64_t>a
            if <uint64_t>b < end:
                end = <uint64_t>b
        elif kind == 2:
            start = <uint64_t>a
        elif kind == 3:
            start = size - <uint64_t>a if <uint64_t>a < size else 0
        if start > end:
            start = end
        n = <size_t>(end - start)
        out = PyBytes_FromStringAndSize(NULL, n)
        dest = <uint8_t *>PyBytes_AS_STRING(out)
        with nogil:
            rc = zc_file_pread(fd, dest, n, start, &got, ck, &err)
    finally:
        c_close(fd)
    if rc != 0:
        raise_err(&err)
    return out if got == n else out[:got]


def file_size(LocalRoot root not None, str key):
    """Size of the regular file at ``key``, or -1 when there is none."""
    cdef bytes k = os.fsencode(key)
    cdef const char *ck = k
    cdef int fd = -1, missing = 0, rc
    cdef uint64_t size = 0
    cdef zc_err err
    memset(&err, 0, sizeof(zc_err))
    with nogil:
        rc = zc_file_open(&root.root, ck, &fd, &size, &missing, &err)
        if fd >= 0:
            c_close(fd)
    if rc != 0:
        raise_err(&err)
    return -1 if missing else size


def file_set(LocalRoot root not None, str key, data, bint exclusive=False):
    """Store ``data`` (bytes-like) at ``key`` atomically; with ``exclusive`` only
    when nothing is there.  Returns whether it was stored."""
    cdef bytes k = os.fsencode(key)
    cdef const char *ck = k
    cdef const uint8_t[::1] view = data
    cdef size_t n = view.shape[0]
    cdef const uint8_t *p = &view[0] if n else NULL
    cdef int written = 0, rc
    cdef zc_err err
    memset(&err, 0, sizeof(zc_err))
    with nogil:
        rc = zc_file_write(&root.root, ck, p, n, exclusive, &written, &err)
    if rc != 0:
        raise_err(&err)
    return bool(written)


def file_delete(LocalRoot root not None, str key):
    """Remove the file at ``key``; nothing there (or a directory) is left alone."""
    cdef bytes k = os.fsencode(key)
    cdef const char *ck = k
    cdef int rc
    cdef zc_err err
    memset(&err, 0, sizeof(zc_err))
    with nogil:
        rc = zc_file_delete(&root.root, ck, &err)
    if rc != 0:
        raise_err(&err)


def file_check(LocalRoot root not None, str key):
    """Raise EngineError (EESCAPE) when ``key`` resolves outside the root."""
    cdef bytes k = os.fsencode(key)
    cdef const char *ck = k
    cdef int rc
    cdef zc_err err
    memset(&err, 0, sizeof(zc_err))
    with nogil:
        rc = zc_file_check(&root.root, ck, &err)
    if rc != 0:
        raise_err(&err)


def read(Plan plan, Chain chain, cnp.ndarray out, LocalChunks local=None,
         list buffers=None):
    """Decode the plan's chunks into ``out`` (shape = selection shape).

    ``local`` names the chunk files of a local directory; otherwise ``buffers``
    holds one bytes object (or None) per chunk.
    """
    cdef zc_io io
    cdef zc_err err
    cdef int64_t strides[ZC_MAXDIM]
    cdef int rc
    cdef _Buffers bufs = None
    memset(&err, 0, sizeof(zc_err))
    check_shape(plan, out, "output")
    if <size_t>cnp.PyArray_ITEMSIZE(out) != chain.chain.itemsize:
        raise ValueError("output item size does not match the array")
    if not cnp.PyArray_ISWRITEABLE(out):
        raise ValueError("output array is read-only")
    fill_strides(out, strides)
    if local is None:
        if buffers is None:
            raise ValueError("either local or buffers is required")
        bufs = _Buffers(buffers, plan.plan.nchunks)
    setup_io(&io, local, bufs)
    cdef uint8_t *data = <uint8_t *>cnp.PyArray_DATA(out)
    cdef zc_pool *pool = acquire_pool()
    with nogil:
        rc = zc_read(pool, &plan.plan, &chain.chain, &io, data, strides, &err)
    release_pool()
    if rc != 0:
        raise_err(&err)


cdef class ShardLayout:
    """How inner chunks sit in a shard (``sharding_indexed`` with ``bytes`` [+ ``crc32c``]
    index codecs): chunks per shard along each dimension, the index's stored size,
    whether it is at the start, has a checksum, and is big-endian."""

    cdef zc_shard_layout L
    cdef readonly int ndim
    cdef readonly int64_t n_inner

    def __cinit__(self, chunks_per_shard, size_t index_nbytes, bint index_at_start,
                  bint index_crc, bint index_big_endian):
        cdef int d
        memset(&self.L, 0, sizeof(zc_shard_layout))
        self.ndim = len(chunks_per_shard)
        if self.ndim > ZC_MAXDIM:
            raise ValueError(f"arrays of more than {ZC_MAXDIM} dimensions are not supported")
        self.n_inner = 1
        for d in range(self.ndim):
            if chunks_per_shard[d] < 1:
                raise ValueError("chunks per shard must be positive")
            self.L.cps[d] = chunks_per_shard[d]
            self.n_inner *= chunks_per_shard[d]
        self.L.index_nbytes = index_nbytes
        self.L.index_at_start = index_at_start
        self.L.index_crc = index_crc
        self.L.index_big_endian = index_big_endian


def read_sharded(Plan plan, Chain inner, ShardLayout layout not None, cnp.ndarray out,
                 LocalChunks local not None):
    """Read a plan over the inner chunk grid from local shard files.

    ``local`` as for :func:`read` (keys of shards).
    """
    cdef zc_io io
    cdef zc_err err
    cdef int64_t strides[ZC_MAXDIM]
    cdef int rc
    memset(&err, 0, sizeof(zc_err))
    check_shape(plan, out, "output")
    if <size_t>cnp.PyArray_ITEMSIZE(out) != inner.chain.itemsize:
        raise ValueError("output item size does not match the array")
    if not cnp.PyArray_ISWRITEABLE(out):
        raise ValueError("output array is read-only")
    if layout.ndim != plan.plan.ndim:
        raise ValueError("shard layout rank does not match the plan")
    fill_strides(out, strides)
    setup_io(&io, local, None)
    cdef uint8_t *data = <uint8_t *>cnp.PyArray_DATA(out)
    cdef zc_pool *pool = acquire_pool()
    with nogil:
        rc = zc_read_sharded(pool, &plan.plan, &inner.chain, &layout.L, &io, data, strides,
                             &err)
    release_pool()
    if rc != 0:
        raise_err(&err)


def write(Plan plan, Chain chain, cnp.ndarray value, LocalChunks local=None,
          list existing=None, bint write_empty=False):
    """Encode ``value`` (shape = selection shape, native byte order) into chunks.

    With ``local`` the engine writes and deletes the files itself and returns
    None.  Otherwise ``existing`` holds the stored bytes (or None) of every chunk
    that is only partly written (others may be None), and the result is a list
    with the encoded bytes of each chunk, or None where the chunk is to be deleted.
    """
    cdef zc_io io
    cdef zc_err err
    cdef zc_write_out wout
    cdef int64_t strides[ZC_MAXDIM]
    cdef int rc
    cdef int64_t i, n = plan.plan.nchunks
    cdef _Buffers bufs = None
    memset(&err, 0, sizeof(zc_err))
    memset(&wout, 0, sizeof(zc_write_out))
    check_shape(plan, value, "value")
    if <size_t>cnp.PyArray_ITEMSIZE(value) != chain.chain.itemsize:
        raise ValueError("value item size does not match the array")
    fill_strides(value, strides)
    if local is None:
        if existing is None:
            existing = [None] * n
        bufs = _Buffers(existing, n)
        wout.bufs = <uint8_t **>calloc(n if n else 1, sizeof(uint8_t *))
        wout.lens = <size_t *>calloc(n if n else 1, sizeof(size_t))
        if wout.bufs == NULL or wout.lens == NULL:
            free(wout.bufs)
            free(wout.lens)
            raise MemoryError()
    setup_io(&io, local, bufs)
    cdef const uint8_t *data = <const uint8_t *>cnp.PyArray_DATA(value)
    cdef zc_pool *pool
    try:
        pool = acquire_pool()
    except BaseException:
        free(wout.bufs)
        free(wout.lens)
        raise
    with nogil:
        rc = zc_write(pool, &plan.plan, &chain.chain, &io, data, strides, write_empty,
                      &wout if local is None else NULL, &err)
    release_pool()
    if local is not None:
        if rc != 0:
            raise_err(&err)
        return None
    result = None
    try:
        if rc == 0:
            result = [None] * n
            for i in range(n):
                if wout.bufs[i] != NULL:
                    result[i] = PyBytes_FromStringAndSize(<const char *>wout.bufs[i],
                                                          wout.lens[i])
    finally:
        for i in range(n):
            free(wout.bufs[i])
        free(wout.bufs)
        free(wout.lens)
    if rc != 0:
        raise_err(&err)
    return result


def crc32c(data, unsigned int crc=0):
    """CRC32C (Castagnoli) of a bytes-like object, continuing from ``crc``."""
    cdef const uint8_t[::1] view = memoryview(data).cast("B")
    cdef size_t n = view.shape[0]
    cdef uint32_t out
    with nogil:
        out = zc_crc32c(crc, &view[0] if n else NULL, n)
    return out


def shard_index(raw, ShardLayout layout not None, shard_size, max_inner=None):
    """Validate and decode one shard index, as the engine does for local shards.

    ``raw`` is the index as stored; ``layout`` its :class:`ShardLayout`
    (``index_nbytes`` is the stored size, used to keep entries out of the
    index); ``shard_size`` is the shard's size in bytes, or None when unknown
    (entries are then not checked against the end of the shard).  Returns
    ``(offsets, lengths)``, uint64 arrays in C order over the inner grid where
    ``2**64 - 1`` pairs mark absent chunks; raises :class:`EngineError` (ESHARD)
    for a bad index.  ``max_inner`` (None: no limit) bounds the length of any
    entry, the largest encoding of an inner chunk.
    """
    cdef zc_err err
    cdef int rc
    cdef uint64_t size = ZC_SHARD_SIZE_UNKNOWN if shard_size is None else <uint64_t>shard_size
    cdef size_t limit = <size_t>-1 if max_inner is None else <size_t>max_inner
    cdef const uint8_t[::1] view = memoryview(raw).cast("B")
    cdef size_t n = view.shape[0]
    memset(&err, 0, sizeof(zc_err))
    err.chunk = -1
    n_inner = layout.n_inner
    offsets = np.empty(n_inner, dtype=np.uint64)
    lengths = np.empty(n_inner, dtype=np.uint64)
    cdef uint64_t[::1] ov = offsets
    cdef uint64_t[::1] lv = lengths
    with nogil:
        rc = zc_shard_index_parse(&layout.L, layout.ndim, &view[0] if n else NULL, n, size, limit,
                                  &ov[0] if n_inner else NULL, &lv[0] if n_inner else NULL,
                                  &err)
    if rc != 0:
        raise_err(&err)
    return offsets, lengths


def all_equal(data, bytes value):
    """Whether ``data`` (a contiguous buffer) repeats the item ``value`` bit for
    bit: the engine's test for a chunk equal to the fill value."""
    cdef const uint8_t[::1] view = memoryview(data).cast("B")
    cdef size_t n = view.shape[0]
    cdef size_t k = PyBytes_GET_SIZE(value)
    cdef const uint8_t *v = <const uint8_t *>PyBytes_AS_STRING(value)
    cdef int rc
    if k == 0:
        raise ValueError("the fill value must not be empty")
    with nogil:
        rc = zc_all_equal(&view[0] if n else NULL, n, v, k)
    return bool(rc)
