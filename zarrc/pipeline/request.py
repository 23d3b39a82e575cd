"""One read or write request, orchestrated.

The pipeline of an array is prepared once (codec chain parsed, C chain
built, key layout known).  Each request then normalises the selection,
builds the C plan, and crosses into the engine once; the engine does every
scatter, gather, partial-chunk merge and fill-value test.  A local directory
is handed to the engine, whose workers do the file I/O; any other store is
read or written with one batched call from here.  Codecs without a C kernel
run in Python on whole chunks around that single engine call
(:mod:`zarrc.pipeline.python`).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np

from zarrc._ext import _engine
from zarrc.codecs._base import ChunkSpec, Codec
from zarrc.codecs.chain import CodecChainSpec, parse_codecs
from zarrc.codecs.sharding.codec import ShardingCodec
from zarrc.codecs.v2_chain import v2_codec_chain
from zarrc.config import config
from zarrc.errors import (
    ChecksumError,
    CodecError,
    CorruptChunkError,
    CorruptShardError,
    InvalidKeyError,
    StoreError,
)
from zarrc.metadata.v3 import ArrayMetadataV3
from zarrc.pipeline.python import PythonChain, engine_holds
from zarrc.pipeline.selection import OrthogonalSelection, PointSelection
from zarrc.pipeline.shard import ShardPath
from zarrc.storage import Store

__all__ = ["ArrayPipeline"]

log = logging.getLogger("zarrc.engine")

Selection = OrthogonalSelection | PointSelection

_NATIVE = "little" if sys.byteorder == "little" else "big"


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def _swap_unit(dtype: np.dtype) -> int:
    """Bytes per swapped unit when the byte order changes; 0 none, -1 field-wise."""
    if dtype.names is not None or dtype.subdtype is not None:
        return -1 if any(_swap_unit(f[0]) for f in dtype.fields.values()) else 0
    if dtype.kind == "c":
        return dtype.itemsize // 2
    if dtype.kind == "U":
        return 4
    if dtype.kind in "SVb":
        return 0
    return dtype.itemsize if dtype.itemsize > 1 else 0


_CODEC_CACHE: dict[tuple[str, bytes, tuple[int, ...], str], CodecChainSpec] = {}


def _parse_codecs_cached(
    metadata: ArrayMetadataV3, spec: ChunkSpec, doc_key: str
) -> CodecChainSpec:
    # codec chains are immutable and depend only on the codec JSON and the chunk spec
    key = (repr(metadata.codecs), metadata.fill_value.tobytes(), spec.shape, spec.dtype.str)
    chain = _CODEC_CACHE.get(key)
    if chain is None:
        chain = parse_codecs(metadata.codecs, spec, path=doc_key)
        if len(_CODEC_CACHE) >= 256:
            _CODEC_CACHE.clear()
        _CODEC_CACHE[key] = chain
    return chain


def _transpose_order(a2a: Sequence[Codec], ndim: int) -> tuple[int, ...] | None | bool:
    """The combined transpose order, None for none, False if some array-to-array
    codec has no C kernel."""
    order = tuple(range(ndim))
    for codec in a2a:
        kernel = codec.c_kernel()
        if kernel is None or "order" not in kernel:
            return False
        # successive transposes compose: encoded dim i = previous dim order[i]
        order = tuple(order[i] for i in kernel["order"])
    return order if order != tuple(range(ndim)) else None


def engine_chain(
    codecs: CodecChainSpec, chunk_shape: Sequence[int], dtype: np.dtype, fill_value: Any
) -> tuple[_engine.Chain, list[Codec]] | None:
    """The engine chain for ``codecs`` and the bytes-to-bytes codecs left to Python
    (those from the first one without a C kernel on), or None when the engine
    cannot run the array part of the chain."""
    if not engine_holds(dtype):
        return None
    order = _transpose_order(codecs.array_to_array, len(chunk_shape))
    kernel = codecs.array_to_bytes.c_kernel()
    if order is False or kernel is None or "endian" not in kernel:
        return None
    endian = kernel["endian"]
    swap = 0
    if endian is not None and endian != _NATIVE:
        swap = _swap_unit(dtype)
        if swap < 0:
            return None
    c_b2b: list[dict[str, Any]] = []
    py_b2b: list[Codec] = []
    for codec in codecs.bytes_to_bytes:
        k = codec.c_kernel() if not py_b2b else None
        if k is None:
            py_b2b.append(codec)
        else:
            c_b2b.append(k)
    fill = np.asarray(fill_value, dtype=dtype).tobytes()
    chain = _engine.Chain(tuple(chunk_shape), dtype.itemsize, swap, order, c_b2b, fill)
    return chain, py_b2b


class ArrayPipeline:
    """The prepared read/write machinery of one array.

    Parameters
    ----------
    metadata : ArrayMetadataV3
        The array's metadata.
    store : Store
        Where its chunks live.
    array_path : str
        The array's path inside the store ("" for the root).
    """

    def __init__(self, metadata: ArrayMetadataV3, store: Store, array_path: str):
        self.metadata = metadata
        self.store = store
        self.array_path = array_path
        v2 = metadata.zarr_format == 2
        self.doc_key = _join(array_path, ".zarray" if v2 else "zarr.json")
        self._shape = metadata.shape
        self._chunk_shape = metadata.chunk_shape
        dtype = metadata.dtype
        # a v2 null fill value reads as the type's default, as in zarr-python
        self.fill_value = metadata.fill_value_or_default if v2 else metadata.fill_value
        spec = ChunkSpec(tuple(metadata.chunk_shape), dtype, self.fill_value)
        if v2:
            self.codecs: CodecChainSpec = v2_codec_chain(metadata, path=self.doc_key)
        else:
            self.codecs = _parse_codecs_cached(metadata, spec, self.doc_key)
        self.key_encoding = metadata.chunk_key_encoding
        self._key_base = array_path + "/" if array_path else ""
        self.key_prefix, self.key_sep, self.key_0d = self.key_encoding.c_params()
        # chunk keys relative to a local store's root, when the engine does the file I/O
        self.local_keys: tuple[bytes, bytes, bytes] | None = None
        self._native_cache: tuple[Any, Any, _engine.LocalChunks] | None = None
        self.python_chain: PythonChain | None = None
        self.shard_path: ShardPath | None = None
        a2b = self.codecs.array_to_bytes
        if (
            isinstance(a2b, ShardingCodec)
            and not self.codecs.array_to_array
            and not self.codecs.bytes_to_bytes
        ):
            inner = a2b.inner_chain(spec)
            inner_chain = engine_chain(inner, a2b.chunk_shape, dtype, self.fill_value)
            if inner_chain is not None and not inner_chain[1]:
                self.shard_path = ShardPath(self, a2b, spec, inner_chain[0])
                return
        built = engine_chain(self.codecs, metadata.chunk_shape, dtype, self.fill_value)
        if built is None:
            # the engine cannot run this chain: Python decodes whole chunks
            self.python_chain = PythonChain.whole_chain(self.codecs, spec, array_path)
            self.chain = self.python_chain.chain
            return
        self.chain, py_b2b = built
        if py_b2b:
            self.python_chain = PythonChain.suffix(self.chain, py_b2b, spec, array_path)
        else:
            self.local_keys = self.native_keys()

    def native_keys(self) -> tuple[bytes, bytes, bytes] | None:
        """Root-relative chunk-key parts for :meth:`native`, or None when the store
        has no native file I/O.  (Whether the root exists yet is asked per request:
        a new array's pipeline is made before its first document is written.)"""
        if not self.store.native_io:
            return None
        return (
            (self._key_base + self.key_prefix).encode(),
            self.key_sep.encode(),
            (self._key_base + self.key_0d).encode(),
        )

    def native(
        self, keys: tuple[bytes, bytes, bytes] | None, create: bool = False
    ) -> _engine.LocalChunks | None:
        """Where the engine finds this request's chunk files itself, or None to go
        through the store (no native I/O, or a root that does not exist)."""
        if keys is None:
            return None
        root = self.store.native_root(create)
        if root is None:
            return None
        cached = self._native_cache
        if cached is not None and cached[0] is root and cached[1] is keys:
            return cached[2]
        chunks = _engine.LocalChunks(root, *keys)
        self._native_cache = (root, keys, chunks)
        return chunks

    # -- keys ------------------------------------------------------------------
    def chunk_keys(self, coords: np.ndarray) -> list[str]:
        """Store keys of the chunks at grid coordinates ``coords`` (one row per chunk)."""
        return self.key_encoding.encode_chunk_keys(coords, self._key_base)

    def _plan(self, sel: Selection) -> _engine.Plan:
        if isinstance(sel, PointSelection):
            return _engine.Plan.points(self._shape, self._chunk_shape, sel.coords)
        return _engine.Plan(self._shape, self._chunk_shape, sel.dims)

    @staticmethod
    def _sync_threads() -> None:
        n = config.get("threads")
        if n != _engine.get_threads():
            _engine.set_threads(n)

    # -- requests ----------------------------------------------------------------
    def read(self, sel: Selection, out: np.ndarray | None = None) -> np.ndarray:
        """Read a selection into ``out`` (made if None; shape ``sel.count``)."""
        if not log.isEnabledFor(logging.DEBUG):
            return self._read(sel, out)
        start = time.perf_counter()
        result = self._read(sel, out)
        self._log("read", result.nbytes, start)
        return result

    def write(self, sel: Selection, value: np.ndarray, *, write_empty: bool) -> None:
        """Write ``value`` (native dtype, shape ``sel.count``, may broadcast) into a selection."""
        if not log.isEnabledFor(logging.DEBUG):
            self._write(sel, value, write_empty=write_empty)
            return
        start = time.perf_counter()
        self._write(sel, value, write_empty=write_empty)
        self._log("write", int(np.prod(sel.count)) * value.dtype.itemsize, start)

    def _log(self, what: str, nbytes: int, start: float) -> None:
        if self.shard_path is not None:
            how = "sharded"
        elif self.python_chain is not None:
            how = "Python codecs"
        else:
            how = "native files" if self.local_keys is not None else "store buffers"
        log.debug(
            "%s %r: %d bytes in %.6f s (%s, %d threads)",
            what,
            self.array_path or "/",
            nbytes,
            time.perf_counter() - start,
            how,
            _engine.get_threads(),
        )

    def _read(self, sel: Selection, out: np.ndarray | None) -> np.ndarray:
        if out is None:
            out = np.empty(sel.count, dtype=self.metadata.dtype)
        if self.shard_path is not None:
            return self.shard_path.read(sel, out)
        plan = self._plan(sel)
        if plan.nchunks == 0:
            return out
        self._sync_threads()
        keys = None
        local = self.native(self.local_keys)
        try:
            if local is not None:
                _engine.read(plan, self.chain, out, local=local)
                return out
            keys = self.chunk_keys(plan.chunk_coords())
            stored = self.store.get_many(keys)
            if self.python_chain is None:
                _engine.read(plan, self.chain, out, buffers=stored)
            else:
                self.python_chain.read(plan, stored, keys, out)
        except _engine.EngineError as exc:
            self._raise(exc, plan, keys)
        return out

    def _write(self, sel: Selection, value: np.ndarray, *, write_empty: bool) -> None:
        if self.shard_path is not None:
            self.shard_path.write(sel, value, write_empty=write_empty)
            return
        plan = self._plan(sel)
        if plan.nchunks == 0:
            return
        self._sync_threads()
        keys = None
        local = self.native(self.local_keys, create=True)
        try:
            if local is not None:
                _engine.write(plan, self.chain, value, local=local, write_empty=write_empty)
                return
            keys = self.chunk_keys(plan.chunk_coords())
            existing: list[bytes | None] = [None] * len(keys)
            partial = np.flatnonzero(~plan.full_mask()).tolist()
            if partial:
                got = self.store.get_many([keys[i] for i in partial])
                for i, data in zip(partial, got, strict=True):
                    existing[i] = data
            if self.python_chain is None:
                results = _engine.write(
                    plan, self.chain, value, existing=existing, write_empty=write_empty
                )
            else:
                results = self.python_chain.write(
                    plan, value, existing, keys, write_empty=write_empty
                )
        except _engine.EngineError as exc:
            self._raise(exc, plan, keys)
        self.write_back(keys, results)

    def write_back(self, keys: Sequence[str], results: Sequence[Any]) -> None:
        """Store each chunk's new bytes, deleting those whose result is None (equal to
        the fill value): the one write-back of every request on a store."""
        to_set = [(k, data) for k, data in zip(keys, results, strict=True) if data is not None]
        to_delete = [k for k, data in zip(keys, results, strict=True) if data is None]
        if to_set:
            self.store.set_many(to_set)
        if to_delete:
            self.store.delete_many(to_delete)

    # -- errors ------------------------------------------------------------------
    def _raise(self, exc: Any, plan: _engine.Plan, keys: Sequence[str] | None) -> NoReturn:
        """An engine error of a request, naming the key of the chunk it names."""
        key = None
        if exc.chunk >= 0:
            key = (
                keys[exc.chunk]
                if keys is not None
                else self.chunk_keys(plan.chunk_coords())[exc.chunk]
            )
        self.raise_engine_error(exc, key)

    def raise_engine_error(self, exc: Any, key: str | None) -> NoReturn:
        """The single funnel from engine status codes to zarrc exceptions."""
        codec = exc.codec or None
        msg = exc.msg
        path = self.array_path
        e = _engine
        if exc.code in (e.ECORRUPT, e.ESIZE):
            raise CorruptChunkError(msg, array_path=path, key=key, codec=codec) from None
        if exc.code == e.ESHARD:
            raise CorruptShardError(msg, array_path=path, key=key, codec=codec) from None
        if exc.code == e.ECHECKSUM:
            raise ChecksumError(msg, array_path=path, key=key, codec=codec) from None
        if exc.code == e.EESCAPE:
            raise InvalidKeyError(f"{msg} (array {path!r}, key {key!r})") from None
        if exc.code == e.EIO:
            err = StoreError(f"{msg} (array {path!r}, key {key!r})", key=key)
            err.__cause__ = OSError(exc.sys_errno, msg)
            raise err
        if exc.code == e.ENOMEM:
            raise MemoryError(msg)
        if exc.code == e.ECODEC:
            raise CodecError(msg, array_path=path, key=key, codec=codec) from None
        raise ValueError(f"{msg} (array {path!r}, key {key!r})")
