"""The user-facing ``Array``: synchronous, thin, zarr-python 3 compatible.

Selections are normalised by ``zarrc.selection`` and executed by
``zarrc.pipeline``; this module only holds the metadata, the store and the
per-array configuration.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zarrc.attributes import Attributes
from zarrc.codecs._base import Codec
from zarrc.config import config as global_config
from zarrc.errors import ReadOnlyError
from zarrc.metadata.v3 import ArrayMetadataV3
from zarrc.pipeline import ArrayPipeline
from zarrc.selection import BasicSelection, normalize_basic_selection
from zarrc.storage import Store

__all__ = ["Array"]


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


class Array:
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
    def store(self) -> Store:
        """The store holding the array."""
        return self._store

    @property
    def path(self) -> str:
        """Path of the array inside its store ("" at the root)."""
        return self._path

    @property
    def name(self) -> str:
        """Absolute name of the array in its hierarchy, e.g. ``"/a/b"``."""
        return "/" + self._path

    @property
    def basename(self) -> str:
        """Last segment of the path."""
        return self._path.rsplit("/", 1)[-1]

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
        """Shape of one chunk."""
        return self._metadata.chunk_shape

    @property
    def shards(self) -> None:
        """Shard shape; None (sharding is not configured)."""
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
        """Number of chunks along each dimension."""
        return self._metadata.chunk_grid_shape

    @property
    def nchunks(self) -> int:
        """Total number of chunks in the grid."""
        return int(np.prod(self.cdata_shape, dtype=np.int64)) if self.shape else 1

    @property
    def filters(self) -> tuple[Codec, ...]:
        """The array-to-array codecs."""
        return self._pipeline.codecs.array_to_array

    @property
    def serializer(self) -> Codec:
        """The array-to-bytes codec."""
        return self._pipeline.codecs.array_to_bytes

    @property
    def compressors(self) -> tuple[Codec, ...]:
        """The bytes-to-bytes codecs."""
        return self._pipeline.codecs.bytes_to_bytes

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

    def _commit_attributes(self, attrs: dict[str, Any]) -> None:
        self._check_writable()
        new = self._metadata.update_attributes(attrs)
        self._store.set(_join(self._path, "zarr.json"), new.to_json())
        self._metadata = new

    def update_attributes(self, new_attributes: dict[str, Any]) -> Array:
        """Merge ``new_attributes`` into the attributes and write them; returns self."""
        self.attrs.update(new_attributes)
        return self

    # -- reads ---------------------------------------------------------------------------
    def _new_out(self, sel: BasicSelection) -> np.ndarray:
        return np.empty(sel.count, dtype=self._metadata.dtype, order=self._order)

    def get_basic_selection(
        self, selection: Any = Ellipsis, *, out: np.ndarray | None = None, fields: Any = None
    ) -> Any:
        """Read ints, slices (any step) and Ellipsis, with numpy's semantics.

        Parameters
        ----------
        selection : int, slice, Ellipsis or a tuple of them
            The selection.
        out : numpy.ndarray, optional
            Array of the result's shape and dtype to write into.
        fields : None
            Structured fields are not supported for this dtype.
        """
        if fields is not None:
            raise IndexError("fields can only be selected on structured arrays")
        sel = normalize_basic_selection(selection, self.shape)
        if out is not None:
            target = self._check_out(out, sel)
            self._pipeline.read(sel, target)
            return out
        result = self._pipeline.read(sel, self._new_out(sel))
        if not sel.count:
            return result[()]
        return result.reshape(sel.out_shape, order="A")

    def _check_out(self, out: np.ndarray, sel: BasicSelection) -> np.ndarray:
        if not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a numpy array, got {type(out).__name__}")
        if out.shape != sel.out_shape:
            raise ValueError(f"out has shape {out.shape}, the selection has {sel.out_shape}")
        if out.dtype != self.dtype:
            raise ValueError(f"out has dtype {out.dtype}, the array has {self.dtype}")
        # a view with unit axes where integers dropped dimensions
        return out[tuple(np.newaxis if d else slice(None) for d in sel.drop)]

    def __getitem__(self, selection: Any) -> Any:
        return self.get_basic_selection(selection)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        data = np.asarray(self[...])
        return data if dtype is None else data.astype(dtype, copy=False)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    # -- writes ----------------------------------------------------------------------------
    def set_basic_selection(self, selection: Any, value: Any, *, fields: Any = None) -> None:
        """Write ``value`` (broadcast as numpy does) into a basic selection."""
        if fields is not None:
            raise IndexError("fields can only be selected on structured arrays")
        self._check_writable()
        sel = normalize_basic_selection(selection, self.shape)
        self._pipeline.write(
            sel, self._broadcast_value(value, sel), write_empty=self.write_empty_chunks
        )

    def _broadcast_value(self, value: Any, sel: BasicSelection) -> np.ndarray:
        arr = np.asarray(value)
        if arr.dtype != self.dtype:
            arr = arr.astype(self.dtype)
        elif not arr.dtype.isnative:
            arr = arr.astype(arr.dtype.newbyteorder("="))
        try:
            arr = np.broadcast_to(arr, sel.out_shape)
        except ValueError:
            raise ValueError(
                f"could not broadcast value of shape {np.shape(value)} to the "
                f"selection's shape {sel.out_shape}"
            ) from None
        return arr.reshape(sel.count) if arr.shape != sel.count else arr

    def __setitem__(self, selection: Any, value: Any) -> None:
        self.set_basic_selection(selection, value)

    # -- misc --------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"<Array {self._store!r}/{self._path} shape={self.shape} dtype={self.dtype}>"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Array)
            and self._store == other._store
            and self._path == other._path
            and self._metadata == other._metadata
        )

    __hash__ = None  # type: ignore[assignment]
