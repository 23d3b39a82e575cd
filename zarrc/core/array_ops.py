"""Array operations beyond reading and writing: resize, append, stored-chunk
accounting and ``info``.  Thin orchestration over the store and the engine.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from zarrc.errors import InvalidKeyError

if TYPE_CHECKING:
    from zarrc.core.array import Array

__all__ = ["ArrayInfo", "append", "array_info", "resize", "stored_chunk_coords"]


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def stored_chunk_coords(arr: Array) -> Iterator[tuple[int, ...]]:
    """Grid coordinates of every chunk stored for ``arr`` (by listing the store)."""
    md = arr.metadata
    cke = md.chunk_key_encoding
    prefix = _join(arr.path, "")
    base = prefix + "/" if prefix else ""
    grid = md.chunk_grid_shape
    for key in arr.store.list_prefix(base):
        rel = key[len(base) :]
        try:
            coords = cke.decode_chunk_key(rel, ndim=md.ndim)
        except InvalidKeyError:
            continue  # metadata documents and foreign files
        if len(coords) == md.ndim and all(c < g for c, g in zip(coords, grid, strict=True)):
            yield coords


def resize(arr: Array, new_shape: tuple[int, ...]) -> None:
    """Change the shape.  Chunks wholly outside the new shape are deleted, and
    the part of a surviving edge chunk beyond it is reset to the fill value, so
    growing back later shows the fill value (as numpy users expect)."""
    md = arr.metadata
    old = md.shape
    if len(new_shape) != len(old):
        raise ValueError(
            f"resize cannot change the number of dimensions ({len(old)} -> {len(new_shape)})"
        )
    if any(s < 0 for s in new_shape):
        raise ValueError(f"shape must not be negative, got {new_shape}")
    chunks = md.chunk_shape
    # 1. reset the tails of surviving edge chunks while the old shape still holds;
    #    along the other dimensions cover every surviving chunk (corners included)
    span = tuple(min(o, -(-n // c) * c) for o, n, c in zip(old, new_shape, chunks, strict=True))
    for d, (o, n, c) in enumerate(zip(old, new_shape, chunks, strict=True)):
        if n < o and n % c:
            region = tuple(
                slice(n, span[d]) if e == d else slice(0, span[e]) for e in range(len(old))
            )
            arr._set_unchecked(region, md.fill_value)
    # 2. delete chunks wholly outside the new shape
    new_grid = tuple(-(-n // c) for n, c in zip(new_shape, chunks, strict=True))
    outside = [
        coords
        for coords in stored_chunk_coords(arr)
        if any(c >= g for c, g in zip(coords, new_grid, strict=True))
    ]
    if outside:
        doomed = arr._pipeline.chunk_keys(np.asarray(outside, dtype=np.int64))
        arr.store.delete_many(doomed)
    # 3. the new metadata
    arr._replace_metadata(md.update_shape(tuple(new_shape)))


def append(arr: Array, data: Any, axis: int = 0) -> tuple[int, ...]:
    """Grow ``arr`` along ``axis`` and write ``data`` into the new part."""
    data = np.asarray(data)
    shape = arr.shape
    ndim = len(shape)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for {ndim} dimensions")
    axis %= ndim
    if data.ndim != ndim or any(data.shape[d] != shape[d] for d in range(ndim) if d != axis):
        raise ValueError(
            f"data of shape {data.shape} cannot be appended to an array of shape {shape} "
            f"along axis {axis}"
        )
    new_shape = tuple(s + data.shape[d] if d == axis else s for d, s in enumerate(shape))
    resize(arr, new_shape)
    region = tuple(slice(shape[d], None) if d == axis else slice(None) for d in range(ndim))
    arr[region] = data
    return new_shape


@dataclass(frozen=True)
class ArrayInfo:
    """What ``Array.info`` shows; ``str()`` gives the text zarr-python users know."""

    type: str
    zarr_format: int
    data_type: str
    fill_value: Any
    shape: tuple[int, ...]
    chunk_shape: tuple[int, ...]
    order: str
    read_only: bool
    store_type: str
    filters: tuple[Any, ...]
    serializer: Any
    compressors: tuple[Any, ...]
    nbytes: int
    nbytes_stored: int | None = None
    chunks_initialized: int | None = None
    nchunks: int | None = None
    shard_shape: tuple[int, ...] | None = None
    shards_initialized: int | None = None

    def __str__(self) -> str:
        rows = [
            ("Type", self.type),
            ("Zarr format", self.zarr_format),
            ("Data type", self.data_type),
            ("Fill value", self.fill_value),
            ("Shape", self.shape),
            *([("Shard shape", self.shard_shape)] if self.shard_shape else []),
            ("Chunk shape", self.chunk_shape),
            ("Order", self.order),
            ("Read-only", self.read_only),
            ("Store type", self.store_type),
            ("Filters", self.filters),
            ("Serializer", self.serializer),
            ("Compressors", self.compressors),
            ("No. bytes", f"{self.nbytes} ({_human(self.nbytes)})"),
        ]
        if self.nbytes_stored is not None:
            ratio = self.nbytes / self.nbytes_stored if self.nbytes_stored else math.inf
            rows += [
                ("No. bytes stored", f"{self.nbytes_stored} ({_human(self.nbytes_stored)})"),
                ("Storage ratio", f"{ratio:.1f}"),
            ]
            if self.shard_shape:
                rows.append(("Shards Initialized", self.shards_initialized))
            else:
                rows.append(("Chunks Initialized", f"{self.chunks_initialized}/{self.nchunks}"))
        return "\n".join(f"{k:<19}: {v}" for k, v in rows)

    __repr__ = __str__


def _human(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.1f}{unit}" if unit != "B" else f"{n}B"
        n /= 1024
    return str(n)


def array_info(arr: Array, *, complete: bool = False) -> ArrayInfo:
    """The description behind ``arr.info`` (and ``arr.info_complete()``)."""
    md = arr.metadata
    extra: dict[str, Any] = {}
    if complete:
        stored = sum(1 for _ in stored_chunk_coords(arr))
        extra = {
            "nbytes_stored": arr.nbytes_stored(),
            "chunks_initialized": arr.nchunks_initialized,
            "nchunks": arr.nchunks,
            "shards_initialized": stored if arr.shards else None,
        }
    return ArrayInfo(
        type="Array",
        zarr_format=md.zarr_format,
        data_type=str(md.data_type.name if hasattr(md.data_type, "name") else md.dtype),
        fill_value=md.fill_value,
        shape=md.shape,
        chunk_shape=arr.chunks,
        shard_shape=arr.shards,
        order=arr.order,
        read_only=arr.read_only,
        store_type=type(arr.store).__name__,
        filters=arr.filters,
        serializer=arr.serializer,
        compressors=arr.compressors,
        nbytes=arr.nbytes,
        **extra,
    )
