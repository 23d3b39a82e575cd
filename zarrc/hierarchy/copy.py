"""Copying arrays and hierarchies between stores, re-chunked and re-encoded on the way.

The data moves in regions made of whole destination objects (shards, or chunks
of unsharded arrays), each read from the source and written to the destination
with one engine request apiece, so every destination object is written once,
whole, with no read-modify-write.  Memory stays bounded: a region holds at
most ``max_memory // 2`` bytes of decoded data (the other half is headroom for
the engine's encode buffers), whatever the array's size.

Resuming: destination objects are written atomically and the destination's
metadata is written before any data, so after an interruption a region whose
objects all exist is finished; ``resume=True`` skips those and copies the rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from zarrc.codecs._base import Codec
from zarrc.core.array import Array
from zarrc.core.create import create_array_in
from zarrc.core.group import create_group_node
from zarrc.core.nodes import is_group_metadata, join_path, read_node, walk_store
from zarrc.errors import ContainsArrayError, ContainsGroupError, NodeNotFoundError
from zarrc.storage import Store

__all__ = ["KEEP", "CopyReport", "copy_array", "copy_hierarchy"]

DEFAULT_MAX_MEMORY = 256 << 20


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()
"""Default of the layout arguments: keep the source's choice."""

Progress = Callable[[int, int], None]


@dataclass
class CopyReport:
    """What a copy did."""

    arrays: int = 0
    groups: int = 0
    objects_written: int = 0  # destination chunks or shards written (regions x objects)
    objects_skipped: int = 0  # already present when resuming
    bytes_read: int = 0  # decoded bytes moved


def _check_rank(src: Array, chunks: Any, shards: Any) -> None:
    for name, value in (("chunks", chunks), ("shards", shards)):
        if value is not KEEP and value is not None and len(_as_shape(value, src.ndim)) != src.ndim:
            raise ValueError(
                f"{name} {tuple(value)} has {len(value)} dimensions, the array "
                f"{src.path or '/'!r} has {src.ndim}: give one number to apply to every dimension"
            )


def _source_layout(src: Array) -> tuple[list[Codec], Codec, list[Codec]]:
    """Filters, serializer and compressors of the source's (inner) chunks."""
    return list(src.filters), src.serializer, list(src.compressors)


def _create_destination(
    src: Array,
    dst_store: Store,
    dst_path: str,
    *,
    chunks: Any,
    shards: Any,
    compressors: Any,
    zarr_format: int | None,
    resume: bool,
    overwrite: bool,
) -> Array:
    fmt = src.metadata.zarr_format if zarr_format is None else zarr_format
    if resume:
        md = read_node(dst_store, dst_path, zarr_format=fmt)
        if md is not None and not is_group_metadata(md):
            dst = Array(dst_store, dst_path, md)
            if dst.shape != src.shape or dst.dtype != src.dtype:
                raise ContainsArrayError(
                    f"cannot resume into {dst_path!r}: it holds an array of shape {dst.shape} "
                    f"and dtype {dst.dtype}, the source has {src.shape} and {src.dtype}"
                )
            return dst
    _check_rank(src, chunks, shards)
    filters, serializer, comp = _source_layout(src)
    if compressors is not KEEP:
        comp = compressors
    fill = src.fill_value
    kwargs: dict[str, Any] = {
        "shape": src.shape,
        "dtype": src.dtype,
        "chunks": src.chunks if chunks is KEEP else chunks,
        "shards": (src.shards if shards is KEEP else shards) if fmt == 3 else None,
        "filters": filters,
        "compressors": comp,
        "fill_value": None if fill is None else np.asarray(fill, dtype=src.dtype)[()],
        "zarr_format": fmt,
        "attributes": dict(src.attrs),
        "overwrite": overwrite,
    }
    if fmt == 3:
        kwargs["serializer"] = serializer
        names = getattr(src.metadata, "dimension_names", None)
        if names is not None:
            kwargs["dimension_names"] = names
    return create_array_in(dst_store, name=dst_path, **kwargs)


def _region_shape(
    unit: tuple[int, ...], shape: tuple[int, ...], itemsize: int, budget: int
) -> tuple[int, ...]:
    """Whole units, grown from the last dimension while the region fits ``budget`` bytes."""
    region = list(unit)
    nbytes = math.prod(unit) * max(itemsize, 1)
    for d in reversed(range(len(unit))):
        most = -(-shape[d] // unit[d])
        factor = max(1, min(most, budget // max(nbytes, 1)))
        region[d] = unit[d] * factor
        nbytes *= factor
        if factor < most:
            break
    return tuple(region)


def _regions(shape: tuple[int, ...], region: tuple[int, ...]) -> Iterator[tuple[slice, ...]]:
    counts = [-(-s // r) for s, r in zip(shape, region, strict=True)]
    for idx in np.ndindex(*counts):
        yield tuple(
            slice(i * r, min((i + 1) * r, s)) for i, r, s in zip(idx, region, shape, strict=True)
        )


def _object_keys(dst: Array, sel: tuple[slice, ...], unit: tuple[int, ...]) -> list[str]:
    """Keys of the destination objects a region covers."""
    axes = [
        np.arange(s.start // u, -(-s.stop // u), dtype=np.int64)
        for s, u in zip(sel, unit, strict=True)
    ]
    coords = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))
    prefix = dst.path + "/" if dst.path else ""
    return dst.metadata.chunk_key_encoding.encode_chunk_keys(coords, prefix)


def copy_array(
    src: Array,
    dst_store: Store,
    dst_path: str,
    *,
    chunks: Any = KEEP,
    shards: Any = KEEP,
    compressors: Any = KEEP,
    zarr_format: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    max_memory: int = DEFAULT_MAX_MEMORY,
    progress: Progress | None = None,
    report: CopyReport | None = None,
) -> Array:
    """Copy one array, re-chunked and re-encoded as asked; returns the destination array.

    ``chunks``, ``shards`` and ``compressors`` keep the source's when left at
    :data:`KEEP` (``shards=None`` removes sharding).  See the module docstring
    for memory and resuming.
    """
    report = report if report is not None else CopyReport()
    dst = _create_destination(
        src,
        dst_store,
        dst_path,
        chunks=chunks,
        shards=shards,
        compressors=compressors,
        zarr_format=zarr_format,
        resume=resume,
        overwrite=overwrite,
    )
    report.arrays += 1
    unit = dst.shards or dst.metadata.chunk_shape
    if dst.ndim == 0:
        dst[()] = src[()]
        report.objects_written += 1
        return dst
    region = _region_shape(unit, dst.shape, dst.dtype.itemsize, max(max_memory // 2, 1))
    existing: set[str] = set()
    if resume:
        prefix = dst.path + "/" if dst.path else ""
        existing = set(dst_store.list_prefix(prefix))
    total = math.prod(-(-s // u) for s, u in zip(dst.shape, unit, strict=True))
    done = 0
    if progress is not None:
        progress(done, total)
    for sel in _regions(dst.shape, region):
        keys = _object_keys(dst, sel, unit)
        if resume and all(k in existing for k in keys):
            report.objects_skipped += len(keys)
        else:
            data = src[sel]
            dst[sel] = data
            report.objects_written += len(keys)
            report.bytes_read += data.nbytes
        done += len(keys)
        if progress is not None:
            progress(done, total)
    return dst


def copy_hierarchy(
    src_store: Store,
    src_path: str,
    dst_store: Store,
    dst_path: str,
    *,
    chunks: Any = KEEP,
    shards: Any = KEEP,
    compressors: Any = KEEP,
    zarr_format: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    max_memory: int = DEFAULT_MAX_MEMORY,
    progress: Progress | None = None,
) -> CopyReport:
    """Copy the array or group at ``src_path`` (with everything below it) to ``dst_path``.

    Groups keep their attributes; arrays are copied with :func:`copy_array`
    (the layout arguments apply to every array).  ``progress(done, total)``
    counts destination objects over the whole copy.

    Raises
    ------
    NodeNotFoundError
        Nothing exists at ``src_path``.
    ContainsArrayError, ContainsGroupError
        A node exists at a destination path and neither ``overwrite`` nor ``resume`` is set.
    """
    md = read_node(src_store, src_path)
    if md is None:
        raise NodeNotFoundError(f"no array or group at {src_path!r} in {src_store!r}")
    report = CopyReport()
    nodes: list[tuple[str, Any]] = [("", md)]
    if is_group_metadata(md):
        nodes += [(rel, m) for rel, m, _ in walk_store(src_store, src_path, max_depth=None)]
    arrays = [
        (rel, Array(src_store, join_path(src_path, rel), m, read_only=True))
        for rel, m in nodes
        if not is_group_metadata(m)
    ]
    for _, arr in arrays:  # every check before anything is written
        _check_rank(arr, chunks, shards)
    grand_total = sum(_object_count(a, chunks, shards) for _, a in arrays)
    offset = 0

    def scoped(done: int, _total: int) -> None:
        if progress is not None:
            progress(offset + done, grand_total)

    for rel, m in nodes:
        target = join_path(dst_path, rel)
        if not is_group_metadata(m):
            continue
        fmt = m.zarr_format if zarr_format is None else zarr_format
        try:
            create_group_node(
                dst_store,
                target,
                attributes=dict(getattr(m, "attributes", {}) or {}),
                overwrite=overwrite and rel == "",
                zarr_format=fmt,
            )
        except ContainsGroupError:
            if not resume:
                raise
        report.groups += 1
    if progress is not None:
        progress(0, grand_total)
    for rel, arr in arrays:
        copy_array(
            arr,
            dst_store,
            join_path(dst_path, rel),
            chunks=chunks,
            shards=shards,
            compressors=compressors,
            zarr_format=zarr_format,
            resume=resume,
            overwrite=overwrite,
            max_memory=max_memory,
            progress=scoped,
            report=report,
        )
        offset += _object_count(arr, chunks, shards)
    return report


def _as_shape(value: Any, ndim: int) -> tuple[int, ...]:
    if isinstance(value, int | np.integer):
        return (int(value),) * ndim
    return tuple(int(v) for v in value)


def _object_count(src: Array, chunks: Any, shards: Any) -> int:
    """Destination objects an array copy writes (for progress totals)."""
    if not src.shape:
        return 1
    inner = src.chunks if chunks is KEEP else _as_shape(chunks, src.ndim)
    outer = src.shards if shards is KEEP else shards
    unit = _as_shape(outer, src.ndim) if outer else inner
    return math.prod(-(-s // max(u, 1)) for s, u in zip(src.shape, unit, strict=True))
