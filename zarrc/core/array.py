"""The user-facing ``Array``: synchronous, thin, zarr-python 3 compatible.

Selections are normalised by ``zarrc.pipeline.selection`` and executed by
``zarrc.pipeline.request``; this module only holds the metadata, the store and the
per-array configuration.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from zarrc.codecs._base import ArrayArrayCodec, ArrayBytesCodec, BytesBytesCodec, Codec
from zarrc.codecs.sharding import ShardingCodec
from zarrc.config import config as global_config
from zarrc.core import array_ops
from zarrc.core.attributes import Attributes
from zarrc.core.display import array_html
from zarrc.core.node import NodeIdentity
from zarrc.errors import ReadOnlyError
from zarrc.metadata.v3 import ArrayMetadataV3
from zarrc.pipeline.request import ArrayPipeline
from zarrc.pipeline.selection import (
    OrthogonalSelection,
    PointSelection,
    classify_selection,
    coerce_selection,
    normalize_basic_selection,
    normalize_block_selection,
    normalize_coordinate_selection,
    normalize_mask_selection,
    normalize_orthogonal_selection,
)
from zarrc.storage import Store

__all__ = ["Array"]

Selection = OrthogonalSelection | PointSelection


def _pop_fields(selection: Any) -> tuple[Any, Any]:
    """Split field names (str, or a list of str) off a selection, as zarr-python does."""
    if isinstance(selection, str):
        return selection, Ellipsis
    if isinstance(selection, list) and selection and all(isinstance(f, str) for f in selection):
        return selection, Ellipsis
    if not isinstance(selection, tuple):
        return None, selection
    fields = [f for f in selection if isinstance(f, str)]
    if not fields:
        return None, selection
    rest = tuple(s for s in selection if not isinstance(s, str))
    return (fields[0] if len(fields) == 1 else fields), (rest if rest else Ellipsis)


class _Indexer:
    """The object behind ``arr.oindex``, ``arr.vindex`` and ``arr.blocks``."""

    __slots__ = ("_get", "_set")

    def __init__(self, get: Any, set_: Any):
        self._get = get
        self._set = set_

    def __getitem__(self, selection: Any) -> Any:
        fields, selection = _pop_fields(selection)
        return self._get(selection, fields=fields)

    def __setitem__(self, selection: Any, value: Any) -> None:
        fields, selection = _pop_fields(selection)
        self._set(selection, value, fields=fields)


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


class Array(NodeIdentity):
    """A Zarr array in a store.

    Made by :func:`zarrc.create_array`, :func:`zarrc.open_array` and friends,
    not directly.
    """

    def __init__(
        self,
        store: Store,
        path: str,
        metadata: ArrayMetadataV3,
        *,
        read_only: bool | None = None,
        config: dict[str, Any] | None = None,
    ):
        self._store = store
        self._path = path
        self._metadata = metadata
        self._read_only = store.read_only if read_only is None else (read_only or store.read_only)
        cfg = dict(config or {})
        unknown = set(cfg) - {"write_empty_chunks", "order"}
        if unknown:
            raise ValueError(f"unknown array config keys: {sorted(unknown)}")
        self._config = cfg
        # resolved once, like zarr-python's ArrayConfig
        self._order = cfg.get("order") or global_config.get("array.order")
        wec = cfg.get("write_empty_chunks")
        self._write_empty = global_config.get("array.write_empty_chunks") if wec is None else wec
        self._pipeline = ArrayPipeline(metadata, store, path)

    # -- identity ------------------------------------------------------------------
    @property
    def metadata(self) -> ArrayMetadataV3:
        """The parsed ``zarr.json`` of the array."""
        return self._metadata

    @property
    def read_only(self) -> bool:
        """True if the array refuses writes."""
        return self._read_only

    # -- geometry --------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the array."""
        return self._metadata.shape

    @property
    def chunks(self) -> tuple[int, ...]:
        """Shape of one chunk (the inner chunk of a sharded array)."""
        a2b = self._pipeline.codecs.array_to_bytes
        if a2b.codec_name == "sharding_indexed":
            return tuple(a2b.chunk_shape)  # type: ignore[attr-defined]
        return self._metadata.chunk_shape

    @property
    def shards(self) -> tuple[int, ...] | None:
        """Shard shape (the stored objects' shape), or None when not sharded."""
        if self._pipeline.codecs.array_to_bytes.codec_name == "sharding_indexed":
            return self._metadata.chunk_shape
        return None

    @property
    def dtype(self) -> np.dtype:
        """Element type."""
        return self._metadata.dtype

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @property
    def size(self) -> int:
        """Number of elements."""
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        """Size of the array's data in bytes, uncompressed."""
        return self.size * self.dtype.itemsize

    @property
    def fill_value(self) -> Any:
        """The value of elements never written."""
        return self._metadata.fill_value

    @property
    def order(self) -> str:
        """Memory order ("C" or "F") of arrays returned by reads."""
        return self._order

    @property
    def cdata_shape(self) -> tuple[int, ...]:
        """Number of chunks along each dimension (inner chunks of a sharded array,
        as zarr-python counts them)."""
        return tuple(-(-s // c) for s, c in zip(self.shape, self.chunks, strict=True))

    @property
    def nchunks(self) -> int:
        """Total number of chunks in the grid."""
        return int(np.prod(self.cdata_shape, dtype=np.int64)) if self.shape else 1

    def _chunk_codecs(self) -> tuple[tuple[Codec, ...], Codec, tuple[Codec, ...]]:
        """Filters, serializer and compressors of one chunk: for a sharded array those
        of its inner chunks, as zarr-python reports them."""
        chain = self._pipeline.codecs
        a2b = chain.array_to_bytes
        if isinstance(a2b, ShardingCodec) and not chain.array_to_array:
            inner = a2b.codecs
            return (
                tuple(c for c in inner if isinstance(c, ArrayArrayCodec)),
                next(c for c in inner if isinstance(c, ArrayBytesCodec)),
                tuple(c for c in inner if isinstance(c, BytesBytesCodec)),
            )
        return chain.array_to_array, a2b, chain.bytes_to_bytes

    @property
    def filters(self) -> tuple[Codec, ...]:
        """The array-to-array codecs (of the inner chunks of a sharded array)."""
        return self._chunk_codecs()[0]

    @property
    def serializer(self) -> Codec:
        """The array-to-bytes codec (of the inner chunks of a sharded array)."""
        return self._chunk_codecs()[1]

    @property
    def compressors(self) -> tuple[Codec, ...]:
        """The bytes-to-bytes codecs (of the inner chunks of a sharded array)."""
        return self._chunk_codecs()[2]

    @property
    def attrs(self) -> Attributes:
        """User attributes; changes are written at once."""
        return Attributes(lambda: self._metadata.attributes, self._commit_attributes)

    @property
    def write_empty_chunks(self) -> bool:
        """Whether chunks equal to the fill value are stored."""
        return self._write_empty

    # -- metadata writes ---------------------------------------------------------------
    def _check_writable(self) -> None:
        if self._read_only:
            raise ReadOnlyError(f"array {self.name!r} is read-only")

    def _write_metadata(self, new: Any) -> None:
        if new.zarr_format == 2:
            self._store.set_many(
                [(_join(self._path, name), doc) for name, doc in new.to_buffer_dict().items()]
            )
        else:
            self._store.set(_join(self._path, "zarr.json"), new.to_json())

    def _commit_attributes(self, attrs: dict[str, Any]) -> None:
        self._check_writable()
        new = self._metadata.update_attributes(attrs)
        self._write_metadata(new)
        self._metadata = new

    def _replace_metadata(self, new: Any) -> None:
        self._check_writable()
        self._write_metadata(new)
        self._metadata = new
        self._pipeline = ArrayPipeline(new, self._store, self._path)

    def update_attributes(self, new_attributes: dict[str, Any]) -> Array:
        """Merge ``new_attributes`` into the attributes and write them; returns self."""
        self.attrs.update(new_attributes)
        return self

    # -- reads ---------------------------------------------------------------------------
    def _read(self, sel: Selection, out: np.ndarray | None, fields: Any) -> Any:
        if isinstance(sel, PointSelection) and not self._metadata.shape:
            # points of a 0-d array: the element once per point, as numpy gives it
            value = self._read(normalize_basic_selection((), ()), None, None)
            result = np.full(sel.out_shape, value, dtype=self.dtype)
            if fields is not None:
                result = result[fields]
            if out is not None:
                out[...] = result
                return out
            return result if sel.out_shape else result[()]
        if fields is not None:
            return self._read_fields(sel, out, fields)
        if out is not None:
            self._check_out(out, sel)
            if isinstance(sel, PointSelection):
                target = out.reshape(-1) if out.flags.c_contiguous else None
                if target is None:
                    out[...] = self._pipeline.read(sel).reshape(sel.out_shape)
                    return out
            else:
                # a view with unit axes where integers dropped dimensions
                target = out[(..., *(np.newaxis if d else slice(None) for d in sel.drop))]
            self._pipeline.read(sel, target)
            return out
        buf = np.empty(sel.count, dtype=self._metadata.dtype, order=self._order)
        result = self._pipeline.read(sel, buf)
        if not self._metadata.shape:
            return result[()]
        return result.reshape(sel.out_shape, order="A")

    def _read_fields(self, sel: Selection, out: np.ndarray | None, fields: Any) -> Any:
        if self.dtype.names is None:
            raise IndexError("fields can only be selected on arrays with a structured dtype")
        whole = self._read(sel, None, None)
        picked = whole[fields]
        if out is None:
            return picked
        out[...] = picked
        return out

    def _check_out(self, out: np.ndarray, sel: Selection) -> None:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a numpy array, got {type(out).__name__}")
        if out.shape != sel.out_shape:
            raise ValueError(f"out has shape {out.shape}, the selection has {sel.out_shape}")
        if out.dtype != self.dtype:
            raise ValueError(f"out has dtype {out.dtype}, the array has {self.dtype}")

    def get_basic_selection(
        self, selection: Any = Ellipsis, *, out: np.ndarray | None = None, fields: Any = None
    ) -> Any:
        """Read ints, slices (any step, including negative) and Ellipsis, as numpy.

        Parameters
        ----------
        selection : int, slice, Ellipsis or a tuple of them
            The selection.
        out : numpy.ndarray, optional
            Array of the result's shape and dtype to write into.
        fields : str or list of str, optional
            Fields of a structured dtype to return.
        """
        return self._read(normalize_basic_selection(selection, self.shape), out, fields)

    def get_orthogonal_selection(
        self, selection: Any, *, out: np.ndarray | None = None, fields: Any = None
    ) -> Any:
        """Read an outer-product selection: per dimension an int, a slice, an int
        array (any order, repeats, negatives) or a Boolean array."""
        return self._read(normalize_orthogonal_selection(selection, self.shape), out, fields)

    def get_coordinate_selection(
        self, selection: Any, *, out: np.ndarray | None = None, fields: Any = None
    ) -> Any:
        """Read the points given by one int array per dimension (broadcast together);
        the result has the broadcast shape."""
        return self._read(normalize_coordinate_selection(selection, self.shape), out, fields)

    def get_mask_selection(
        self, mask: Any, *, out: np.ndarray | None = None, fields: Any = None
    ) -> Any:
        """Read the elements where a Boolean array of the array's shape is true (1-d result)."""
        return self._read(normalize_mask_selection(mask, self.shape), out, fields)

    def get_block_selection(
        self, selection: Any, *, out: np.ndarray | None = None, fields: Any = None
    ) -> Any:
        """Read whole chunks by their grid coordinates (ints or step-1 slices)."""
        sel = normalize_block_selection(selection, self.shape, self.chunks)
        return self._read(sel, out, fields)

    def _normalize_any(self, selection: Any) -> Selection:
        kind = classify_selection(selection, self.ndim)
        if kind == "basic":
            return normalize_basic_selection(selection, self.shape)
        if kind == "orthogonal":
            return normalize_orthogonal_selection(selection, self.shape)
        if kind == "mask":
            return normalize_mask_selection(selection, self.shape)
        return normalize_coordinate_selection(selection, self.shape)

    def __getitem__(self, selection: Any) -> Any:
        if type(selection) is tuple and all(type(i) is int for i in selection):
            # one element or a basic selection of ints: skip the dispatch
            return self._read(normalize_basic_selection(selection, self.shape), None, None)
        fields, selection = _pop_fields(selection)
        return self._read(self._normalize_any(selection), None, fields)

    @property
    def oindex(self) -> _Indexer:
        """``arr.oindex[sel]``: orthogonal (outer) indexing, get and set."""
        return _Indexer(self.get_orthogonal_selection, self.set_orthogonal_selection)

    @property
    def vindex(self) -> _Indexer:
        """``arr.vindex[sel]``: coordinate or mask (vectorized) indexing, get and set."""
        return _Indexer(self._get_vindex, self._set_vindex)

    @property
    def blocks(self) -> _Indexer:
        """``arr.blocks[sel]``: whole chunks by grid coordinates, get and set."""
        return _Indexer(self.get_block_selection, self.set_block_selection)

    def _get_vindex(self, selection: Any, *, fields: Any = None) -> Any:
        selection = coerce_selection(selection)
        items = selection if isinstance(selection, tuple) else (selection,)
        if len(items) == 1 and np.asarray(items[0]).dtype == bool:
            return self.get_mask_selection(items[0], fields=fields)
        return self.get_coordinate_selection(selection, fields=fields)

    def _set_vindex(self, selection: Any, value: Any, *, fields: Any = None) -> None:
        selection = coerce_selection(selection)
        items = selection if isinstance(selection, tuple) else (selection,)
        if len(items) == 1 and np.asarray(items[0]).dtype == bool:
            return self.set_mask_selection(items[0], value, fields=fields)
        return self.set_coordinate_selection(selection, value, fields=fields)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        data = np.asarray(self[...])
        return data if dtype is None else data.astype(dtype, copy=False)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __iter__(self) -> Iterator[Any]:
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        # one chunk row at a time: bounded memory, one request per chunk row
        step = self.chunks[0]
        for start in range(0, self.shape[0], step):
            yield from self[start : start + step]

    # -- writes ----------------------------------------------------------------------------
    def _write(self, sel: Selection, value: Any, fields: Any) -> None:
        self._check_writable()
        if isinstance(sel, PointSelection) and not self._metadata.shape:
            if sel.coords.shape[1]:
                last = np.broadcast_to(np.asarray(value), sel.out_shape).reshape(-1)[-1]
                self._write(normalize_basic_selection((), ()), last, fields)
            return
        if fields is not None:
            if self.dtype.names is None:
                raise IndexError("fields can only be selected on arrays with a structured dtype")
            current = np.array(self._read(sel, None, None), copy=True)
            current[fields] = value
            value = current
        arr = np.asarray(value)
        if arr.dtype != self.dtype:
            arr = arr.astype(self.dtype)
        elif not arr.dtype.isnative:
            arr = arr.astype(arr.dtype.newbyteorder("="))
        # numpy drops extra leading length-1 dimensions of a value on assignment
        while arr.ndim > len(sel.out_shape) and arr.shape[0] == 1:
            arr = arr[0]
        try:
            arr = np.broadcast_to(arr, sel.out_shape)
        except ValueError:
            raise ValueError(
                f"could not broadcast value of shape {np.shape(value)} to the "
                f"selection's shape {sel.out_shape}"
            ) from None
        if isinstance(sel, PointSelection):
            arr = np.ascontiguousarray(arr).reshape(-1)
        elif arr.shape != sel.count:
            arr = arr.reshape(sel.count)
        self._pipeline.write(sel, arr, write_empty=self._write_empty)

    def set_basic_selection(self, selection: Any, value: Any, *, fields: Any = None) -> None:
        """Write ``value`` (broadcast as numpy does) into a basic selection."""
        self._write(normalize_basic_selection(selection, self.shape), value, fields)

    def set_orthogonal_selection(self, selection: Any, value: Any, *, fields: Any = None) -> None:
        """Write into an orthogonal selection; with repeated indices the last value wins."""
        self._write(normalize_orthogonal_selection(selection, self.shape), value, fields)

    def set_coordinate_selection(self, selection: Any, value: Any, *, fields: Any = None) -> None:
        """Write into points; with repeated points the last value wins, as in numpy."""
        self._write(normalize_coordinate_selection(selection, self.shape), value, fields)

    def set_mask_selection(self, mask: Any, value: Any, *, fields: Any = None) -> None:
        """Write where a Boolean array of the array's shape is true."""
        self._write(normalize_mask_selection(mask, self.shape), value, fields)

    def set_block_selection(self, selection: Any, value: Any, *, fields: Any = None) -> None:
        """Write whole chunks by their grid coordinates."""
        sel = normalize_block_selection(selection, self.shape, self.chunks)
        self._write(sel, value, fields)

    def __setitem__(self, selection: Any, value: Any) -> None:
        fields, selection = _pop_fields(selection)
        self._write(self._normalize_any(selection), value, fields)

    def _set_unchecked(self, selection: Any, value: Any) -> None:
        self._write(normalize_basic_selection(selection, self.shape), value, None)

    # -- operations ----------------------------------------------------------------------
    def resize(self, new_shape: Any, *args: int) -> None:
        """Change the shape in place.

        Chunks wholly outside the new shape are deleted, and the part of a
        surviving edge chunk beyond it is reset to the fill value, so growing
        back shows the fill value (zarr-python 3 shows the old values again).
        """
        self._check_writable()
        shape = (new_shape, *args) if args or isinstance(new_shape, int) else tuple(new_shape)
        array_ops.resize(self, tuple(int(s) for s in shape))

    def append(self, data: Any, axis: int = 0) -> tuple[int, ...]:
        """Grow along ``axis`` and write ``data`` there; returns the new shape."""
        self._check_writable()
        return array_ops.append(self, data, axis)

    @property
    def nchunks_initialized(self) -> int:
        """Number of chunks stored (found by listing the store); for a sharded array,
        the inner chunks of the stored shards."""
        if not self.shards:
            return sum(1 for _ in array_ops.stored_chunk_coords(self))
        # the inner chunks of each stored shard that lie inside the array (zarr-python
        # also counts those beyond the edge, reporting more chunks than the grid has)
        total = 0
        for coords in array_ops.stored_chunk_coords(self):
            n = 1
            for c, s, sh, ch in zip(coords, self.shape, self.shards, self.chunks, strict=True):
                n *= min(sh // ch, -(-max(0, s - c * sh) // ch))
            total += n
        return total

    def nbytes_stored(self) -> int:
        """Bytes the array occupies in its store: metadata and chunks."""
        prefix = self._path + "/" if self._path else ""
        return sum(self._store.getsize(k) for k in self._store.list_prefix(prefix))

    @property
    def info(self) -> array_ops.ArrayInfo:
        """A description of the array (no I/O)."""
        return array_ops.array_info(self)

    def info_complete(self) -> array_ops.ArrayInfo:
        """``info`` plus bytes stored, storage ratio and chunks initialised (lists the store)."""
        return array_ops.array_info(self, complete=True)

    # -- pickling: store + path + metadata, never data --------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {
            "store": self._store,
            "path": self._path,
            "metadata": self._metadata,
            "read_only": self._read_only,
            "config": {
                **self._config,
                "order": self._order,
                "write_empty_chunks": self._write_empty,
            },
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["store"],
            state["path"],
            state["metadata"],
            read_only=state["read_only"],
            config=state["config"],
        )

    # -- misc --------------------------------------------------------------------------------
    def _repr_html_(self) -> str:
        """Jupyter's view: shape, dtype, chunks, shards, codecs and size (no store I/O)."""
        return array_html(self)

    def __repr__(self) -> str:
        where = f"{self._store}/{self._path}" if self._path else str(self._store)
        return f"<Array {where} shape={self.shape} dtype={self.dtype}>"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Array)
            and self._store == other._store
            and self._path == other._path
            and self._metadata == other._metadata
        )

    __hash__ = None  # type: ignore[assignment]
