"""The Python path of a request: for codec chains the engine cannot run
(array-to-array filters without C kernels, variable-length types, custom
array-to-bytes codecs).  Same plans, same batching (one ``get_many`` /
``set_many`` per request); each chunk is decoded and merged with numpy.
Correct everywhere, slower than the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from zarrc.codecs._base import ChunkSpec
from zarrc.core.selection import OrthogonalSelection, PointSelection
from zarrc.errors import CodecError, CorruptChunkError

if TYPE_CHECKING:
    from zarrc.pipeline.request import ArrayPipeline

__all__ = ["PythonPath"]

Selection = OrthogonalSelection | PointSelection
# (chunk coords, index into the decoded chunk, index into the flat/selection buffer, full?)
Part = tuple[tuple[int, ...], tuple[Any, ...], tuple[Any, ...], bool]


def _dim_indices(dim: Any) -> np.ndarray:
    if isinstance(dim, tuple):
        start, step, count = dim
        return start + step * np.arange(count, dtype=np.int64)
    return np.asarray(dim, dtype=np.int64)


def block_parts(
    sel: OrthogonalSelection, shape: tuple[int, ...], chunks: tuple[int, ...]
) -> Iterator[Part]:
    """Per touched chunk: in-chunk and output index tuples (outer-product form)."""
    per_dim = []
    for dim, c in zip(sel.dims, chunks, strict=True):
        idx = _dim_indices(dim)
        cid = idx // c
        groups = []
        for chunk in np.unique(cid):
            pos = np.flatnonzero(cid == chunk)
            groups.append((int(chunk), idx[pos] - chunk * c, pos))
        per_dim.append(groups)
    if not per_dim:
        yield ((), (), (), True)
        return
    for combo in np.ndindex(*[len(g) for g in per_dim]):
        coords, ins, outs = [], [], []
        full = True
        for d, k in enumerate(combo):
            chunk, inn, out = per_dim[d][k]
            coords.append(chunk)
            ins.append(inn)
            outs.append(out)
            valid = min(chunks[d], shape[d] - chunk * chunks[d])
            full = full and len(inn) == valid and np.array_equal(inn, np.arange(valid))
        yield tuple(coords), np.ix_(*ins), np.ix_(*outs), full


def point_parts(sel: PointSelection, chunks: tuple[int, ...]) -> Iterator[Part]:
    """Per touched chunk: the in-chunk coordinates and output positions of its points."""
    coords = sel.coords
    if coords.shape[1] == 0:
        return
    cid = coords // np.asarray(chunks, dtype=np.int64)[:, None]
    uniq, inverse = np.unique(cid.T, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(uniq) + 1))
    for k, chunk in enumerate(uniq):
        pos = order[bounds[k] : bounds[k + 1]]
        inn = tuple(coords[d, pos] - chunk[d] * chunks[d] for d in range(len(chunks)))
        yield tuple(int(c) for c in chunk), inn, (pos,), False


class PythonPath:
    """Reads and writes of one array through the codecs' Python implementations."""

    def __init__(self, pipeline: ArrayPipeline):
        self.p = pipeline
        md = pipeline.metadata
        self.dtype = md.dtype
        self.shape = tuple(md.shape)
        self.chunks = tuple(md.chunk_shape)
        self.fill = pipeline.fill_value
        self.spec = ChunkSpec(self.chunks, self.dtype, self.fill)

    def _parts(self, sel: Selection) -> list[Part]:
        if isinstance(sel, PointSelection):
            return list(point_parts(sel, self.chunks))
        return list(block_parts(sel, self.shape, self.chunks))

    def _fill_chunk(self) -> np.ndarray:
        return np.full(self.chunks, self.fill, dtype=self.dtype)

    def _decode(self, data: bytes, key: str) -> np.ndarray:
        try:
            chunk = self.p.codecs.decode(data, self.spec)
        except CodecError as exc:
            if exc.key is not None:
                raise
            raise type(exc)(exc.reason, array_path=self.p.path, key=key, codec=exc.codec) from exc
        except Exception as exc:
            raise CorruptChunkError(
                f"cannot decode chunk: {exc}",
                array_path=self.p.path,
                key=key,
                codec=",".join(c.codec_name for c in self.p.codecs.all),
            ) from exc
        if chunk.size != int(np.prod(self.chunks, dtype=np.int64)):
            raise CorruptChunkError(
                f"decoded chunk has {chunk.size} elements, expected {np.prod(self.chunks)}",
                array_path=self.p.path,
                key=key,
            )
        return chunk.reshape(self.chunks)

    def read(self, sel: Selection, out: np.ndarray) -> np.ndarray:
        """Read ``sel`` into ``out`` (shape ``sel.count``)."""
        parts = self._parts(sel)
        keys = [self.p.chunk_key(c) for c, *_ in parts]
        bufs = self.p.store.get_many(keys)
        for (_, inn, outi, _full), key, data in zip(parts, keys, bufs, strict=True):
            if data is None:
                out[outi] = self.fill
            else:
                out[outi] = self._decode(data, key)[inn]
        return out

    def write(self, sel: Selection, value: np.ndarray, *, write_empty: bool) -> None:
        """Write ``value`` (shape ``sel.count``) into ``sel``."""
        parts = self._parts(sel)
        keys = [self.p.chunk_key(c) for c, *_ in parts]
        need = [i for i, part in enumerate(parts) if not part[3]]
        existing = dict(zip(need, self.p.store.get_many([keys[i] for i in need]), strict=True))
        to_set, to_delete = [], []
        empty = self._fill_chunk()
        for i, ((_, inn, outi, _full), key) in enumerate(zip(parts, keys, strict=True)):
            data = existing.get(i)
            chunk = self._fill_chunk() if data is None else self._decode(data, key).copy()
            chunk[inn] = value[outi]
            if not write_empty and _same(chunk, empty):
                to_delete.append(key)
            else:
                to_set.append((key, self.p.codecs.encode(chunk, self.spec)))
        if to_set:
            self.p.store.set_many(to_set)
        if to_delete:
            self.p.store.delete_many(to_delete)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal element for element; bit for bit for fixed-size types (NaN, -0.0 kept)."""
    if a.dtype.kind == "O" or a.dtype.kind == "T":
        return bool(np.all(a == b))
    return np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
