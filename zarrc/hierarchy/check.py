"""Scrubbing a hierarchy: every metadata document parsed, every stored chunk decoded.

:func:`check` never stops at the first problem: each corrupt document or chunk
is reported with its key and typed error, and the rest is still checked.

Chunks are decoded by the engine in batches (a coordinate read of one element
per inner chunk forces each stored chunk, or each inner chunk of a shard, to be
fetched, its shard index validated, and the chunk decoded and checksummed on
the thread pool).  A failing batch is split in halves until every corrupt key
is named, so a healthy array costs one engine request per batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from zarrc.core.array import Array
from zarrc.core.array_ops import stored_chunk_coords
from zarrc.core.nodes import join_path
from zarrc.errors import CodecError, MetadataError, StoreError, ZarrcError
from zarrc.metadata.v2 import parse_array_metadata_v2, parse_group_metadata_v2
from zarrc.metadata.v3 import ArrayMetadataV3, parse_metadata_v3
from zarrc.storage import Store

__all__ = ["CheckReport", "Problem", "check"]

# stored objects (chunks or shards) decoded per engine request
_BATCH = 512
_V2_DOCS = (".zarray", ".zgroup", ".zattrs", ".zmetadata")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Problem:
    """One corrupt document or chunk."""

    key: str
    error: str  # the exception's class name, e.g. "ChecksumError"
    message: str
    array: str | None = None


@dataclass
class CheckReport:
    """What :func:`check` found."""

    documents: int = 0
    arrays: int = 0
    groups: int = 0
    chunks: int = 0  # stored chunks (or shards) decoded
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is corrupt."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary."""
        out = asdict(self)
        out["ok"] = self.ok
        return out


def _metadata_keys(store: Store, path: str) -> list[str]:
    base = path + "/" if path else ""
    keys = []
    for key in store.list_prefix(base):
        name = key.rpartition("/")[2]
        if name == "zarr.json" or name in _V2_DOCS:
            keys.append(key)
    return sorted(keys)


def _parse_docs(store: Store, path: str, report: CheckReport) -> list[tuple[str, Any]]:
    """Parse every metadata document below ``path``; return ``(node_path, metadata)``
    of the arrays whose documents are sound."""
    keys = _metadata_keys(store, path)
    values = dict(zip(keys, store.get_many(keys), strict=True))
    arrays: list[tuple[str, Any]] = []
    for key in keys:
        node, _, name = key.rpartition("/")
        raw = values[key]
        if raw is None or name in (".zattrs", ".zmetadata"):
            if name == ".zmetadata" and raw is not None:
                report.documents += 1
                _check_json(raw, key, report)
            continue  # .zattrs are parsed with their node
        report.documents += 1
        try:
            if name == "zarr.json":
                md = parse_metadata_v3(raw, path=key)
            elif name == ".zarray":
                md = parse_array_metadata_v2(raw, values.get(join_path(node, ".zattrs")), path=key)
            else:
                md = parse_group_metadata_v2(raw, values.get(join_path(node, ".zattrs")), path=key)
        except (MetadataError, ValueError) as exc:
            report.problems.append(Problem(key, type(exc).__name__, str(exc)))
            continue
        if getattr(md, "node_type", None) == "group":
            report.groups += 1
        else:
            report.arrays += 1
            arrays.append((node, md))
    return arrays


def _check_json(raw: bytes, key: str, report: CheckReport) -> None:
    try:
        json.loads(raw)
    except ValueError as exc:
        report.problems.append(Problem(key, "MetadataError", f"not valid JSON: {exc}"))


def _key(arr: Array, coords: tuple[int, ...]) -> str:
    return join_path(arr.path, arr.metadata.chunk_key_encoding.encode_chunk_key(coords))


def _origins(arr: Array, stored: np.ndarray) -> list[np.ndarray]:
    """Per stored object, the first element of each of its (inner) chunks."""
    chunks = np.asarray(arr.chunks, dtype=np.int64)
    shards = arr.shards
    if shards is None:
        return [c[None, :] * chunks for c in stored]
    cps = np.asarray(shards, dtype=np.int64) // chunks
    grid = np.asarray(arr.cdata_shape, dtype=np.int64)
    out = []
    for c in stored:
        lo = c * cps
        hi = np.minimum(lo + cps, grid)
        axes = [np.arange(a, b, dtype=np.int64) for a, b in zip(lo, hi, strict=True)]
        inner = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))
        out.append(inner * chunks)
    return out


def _decode(arr: Array, origins: list[np.ndarray]) -> None:
    points = np.concatenate(origins) if origins else np.empty((0, arr.ndim), np.int64)
    if len(points):
        arr.vindex[tuple(points.T)]


def _scrub(
    arr: Array,
    stored: np.ndarray,
    origins: list[np.ndarray],
    report: CheckReport,
) -> None:
    """Decode the objects; on failure split until each bad key is named."""
    try:
        _decode(arr, origins)
        return
    except (CodecError, StoreError) as exc:
        if len(stored) == 1:
            key = getattr(exc, "key", None) or _key(arr, tuple(int(x) for x in stored[0]))
            report.problems.append(Problem(key, type(exc).__name__, str(exc), arr.path))
            return
    half = len(stored) // 2
    _scrub(arr, stored[:half], origins[:half], report)
    _scrub(arr, stored[half:], origins[half:], report)


def _batches(coords: list[tuple[int, ...]], ndim: int) -> Iterator[np.ndarray]:
    for i in range(0, len(coords), _BATCH):
        yield np.asarray(coords[i : i + _BATCH], dtype=np.int64).reshape(-1, ndim)


def check(
    store: Store,
    path: str = "",
    *,
    deep: bool = False,
    progress: Progress | None = None,
) -> CheckReport:
    """Validate the hierarchy (or array) at ``path``.

    Parameters
    ----------
    store : Store
        The store holding it.
    path : str
        The node to check ("" for the root); everything below it is checked.
    deep : bool
        Also decode every stored chunk and shard.
    progress : callable, optional
        ``progress(done, total)`` with counts of stored chunks (or shards) decoded.

    Returns
    -------
    CheckReport
        Counts and the problems found; ``report.ok`` is True when there are none.
    """
    report = CheckReport()
    arrays = _parse_docs(store, path, report)
    if not deep:
        return report
    plans = []
    for node, md in arrays:
        try:
            arr = Array(store, node, md, read_only=True)
        except ZarrcError as exc:  # a codec chain that cannot be built
            doc = join_path(node, "zarr.json" if isinstance(md, ArrayMetadataV3) else ".zarray")
            report.problems.append(Problem(doc, type(exc).__name__, str(exc), node))
            continue
        plans.append((arr, list(stored_chunk_coords(arr))))
    total = sum(len(c) for _, c in plans)
    done = 0
    if progress is not None:
        progress(0, total)
    for arr, coords in plans:
        if arr.ndim == 0:
            if coords:
                try:
                    arr[()]
                except (CodecError, StoreError) as exc:
                    key = getattr(exc, "key", None) or _key(arr, ())
                    report.problems.append(Problem(key, type(exc).__name__, str(exc), arr.path))
            done += len(coords)
            report.chunks += len(coords)
            continue
        for stored in _batches(coords, arr.ndim):
            _scrub(arr, stored, _origins(arr, stored), report)
            done += len(stored)
            report.chunks += len(stored)
            if progress is not None:
                progress(done, total)
    return report
