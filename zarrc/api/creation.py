"""Top-level functions with zarr-python 3's names and arguments.

``create_array``, ``open_array``, ``open``, ``zeros``/``ones``/``full``/``empty``
and ``array``.  Resolves store-like arguments, writes and reads metadata
documents, and builds :class:`~zarrc.core.array.Array` objects.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from zarrc.api.groups import open_array_or_group
from zarrc.core.array import Array
from zarrc.core.create import create_array_in
from zarrc.core.nodes import node_kind, normalize_path, parse_v3_cached
from zarrc.errors import ArrayNotFoundError
from zarrc.metadata.v2 import parse_array_metadata_v2
from zarrc.metadata.v3 import ArrayMetadataV3
from zarrc.storage import Store, make_store

__all__ = [
    "array",
    "empty_like",
    "from_array",
    "full_like",
    "ones_like",
    "open_like",
    "zeros_like",
    "create_array",
    "empty",
    "full",
    "ones",
    "open",
    "open_array",
    "zeros",
]

AccessMode = Literal["r", "r+", "a", "w", "w-"]
_MODES = ("r", "r+", "a", "w", "w-")


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def _normalize_path(path: Any) -> str:
    return normalize_path(None if path is None else str(path))


def create_array(
    store: Any = None,
    *,
    name: str | None = None,
    shape: Any = None,
    dtype: Any = None,
    data: np.ndarray | None = None,
    chunks: Any = "auto",
    shards: Any = None,
    filters: Any = "auto",
    compressors: Any = "auto",
    serializer: Any = "auto",
    fill_value: Any = None,
    order: Literal["C", "F"] | None = None,
    zarr_format: int | None = 3,
    attributes: dict[str, Any] | None = None,
    chunk_key_encoding: Any = None,
    dimension_names: Sequence[str | None] | None = None,
    storage_options: dict[str, Any] | None = None,
    overwrite: bool = False,
    config: dict[str, Any] | None = None,
    write_data: bool = True,
) -> Array:
    """Create a Zarr v3 array and return it.

    Parameters follow ``zarr.create_array``.  ``store`` may be a Store, a
    local path (str or ``pathlib.Path``), a dict (kept in memory) or None (a
    new MemoryStore).  ``data`` gives shape and dtype and is written unless
    ``write_data`` is False.

    Raises
    ------
    ContainsArrayError, ContainsGroupError
        A node exists at the path and ``overwrite`` is False.
    """
    st = make_store(store, mode="a", storage_options=storage_options)
    return create_array_in(
        st,
        name=name,
        shape=shape,
        dtype=dtype,
        data=data,
        chunks=chunks,
        shards=shards,
        filters=filters,
        compressors=compressors,
        serializer=serializer,
        fill_value=fill_value,
        order=order,
        zarr_format=zarr_format,
        attributes=attributes,
        chunk_key_encoding=chunk_key_encoding,
        dimension_names=dimension_names,
        overwrite=overwrite,
        config=config,
        write_data=write_data,
    )


def open_array(
    store: Any = None,
    *,
    path: str = "",
    mode: AccessMode | None = None,
    zarr_format: int | None = None,
    storage_options: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Array:
    """Open an existing array.

    Raises
    ------
    ArrayNotFoundError
        No array at ``path`` (a ``FileNotFoundError``).
    """
    mode = mode or "a"
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    if mode in ("w", "w-") or ("shape" in kwargs and mode == "a"):
        return _create_in_mode(
            store, path=path, mode=mode, config=config, storage_options=storage_options, **kwargs
        )
    st = make_store(store, mode=mode, storage_options=storage_options)
    p = _normalize_path(path)
    return _open_existing(st, p, config=config)


def _open_existing(st: Store, path: str, *, config: dict[str, Any] | None = None) -> Array:
    doc_key = _join(path, "zarr.json")
    raw = st.get(doc_key)
    if raw is None:
        zarray, zattrs = st.get_many([_join(path, ".zarray"), _join(path, ".zattrs")])
        if zarray is None:
            raise ArrayNotFoundError(f"no array found at path {path!r} in store {st!r}")
        md2 = parse_array_metadata_v2(zarray, zattrs, path=_join(path, ".zarray"))
        return Array(st, path, md2, config=config)
    md = parse_v3_cached(raw, doc_key)
    if not isinstance(md, ArrayMetadataV3):
        raise ArrayNotFoundError(f"no array found at path {path!r} in store {st!r}: it is a group")
    return Array(st, path, md, config=config)


def _create_in_mode(
    store: Any,
    *,
    path: str,
    mode: str,
    storage_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Array:
    st = make_store(store, mode=mode, storage_options=storage_options)
    p = _normalize_path(path)
    name = kwargs.pop("name", None) or p
    if mode == "w":
        kwargs["overwrite"] = True
    elif mode == "a":
        kind = node_kind(st, _normalize_path(name))
        if kind == "array":
            return _open_existing(st, _normalize_path(name), config=kwargs.get("config"))
    return create_array(st, name=name, **kwargs)


def open(
    store: Any = None,
    *,
    mode: AccessMode | None = None,
    path: str | None = None,
    zarr_format: int | None = None,
    storage_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Open the array or group at ``path``; with ``shape`` (or modes that create
    and array arguments), create an array.  As ``zarr.open``."""
    p = _normalize_path(path)
    if "shape" in kwargs:
        return _create_in_mode(
            store, path=p, mode=mode or "a", storage_options=storage_options, **kwargs
        )
    return open_array_or_group(
        store,
        mode=mode,
        path=p,
        zarr_format=zarr_format,
        storage_options=storage_options,
        use_consolidated=kwargs.pop("use_consolidated", None),
        config=kwargs.pop("config", None),
        attributes=kwargs.pop("attributes", None),
    )


def _create_filled(shape: Any, fill_value: Any, kwargs: dict[str, Any]) -> Array:
    kwargs = dict(kwargs)
    store = kwargs.pop("store", None)
    name = kwargs.pop("name", None) or kwargs.pop("path", None)
    dtype = kwargs.pop("dtype", None)
    if dtype is None:
        dtype = np.asarray(fill_value).dtype if fill_value is not None else np.float64
    mode = kwargs.pop("mode", None)
    if mode == "w":
        kwargs["overwrite"] = True
    return create_array(store, name=name, shape=shape, dtype=dtype, fill_value=fill_value, **kwargs)


def zeros(shape: Any, **kwargs: Any) -> Array:
    """An array whose every element is 0 (nothing is stored)."""
    return _create_filled(shape, 0, {"dtype": np.float64, **kwargs})


def ones(shape: Any, **kwargs: Any) -> Array:
    """An array whose every element is 1 (nothing is stored)."""
    return _create_filled(shape, 1, {"dtype": np.float64, **kwargs})


def empty(shape: Any, **kwargs: Any) -> Array:
    """An array with no data written; reads give the fill value."""
    fill = kwargs.pop("fill_value", None)
    return _create_filled(shape, fill, {"dtype": np.float64, **kwargs})


def full(shape: Any, fill_value: Any, **kwargs: Any) -> Array:
    """An array whose every element is ``fill_value`` (nothing is stored)."""
    return _create_filled(shape, fill_value, kwargs)


def array(data: Any, **kwargs: Any) -> Array:
    """A new array holding a copy of ``data``."""
    data = np.asarray(data)
    kwargs = dict(kwargs)
    store = kwargs.pop("store", None)
    name = kwargs.pop("name", None) or kwargs.pop("path", None)
    return create_array(store, name=name, data=data, **kwargs)


def _like_kwargs(a: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    out = dict(kwargs)
    out.setdefault("shape", np.shape(a))
    out.setdefault("dtype", getattr(a, "dtype", None) or np.asarray(a).dtype)
    chunks = getattr(a, "chunks", None)
    if chunks is not None and "chunks" not in out:
        out["chunks"] = chunks
    return out


def zeros_like(a: Any, **kwargs: Any) -> Array:
    """An array of zeros with the shape, dtype (and chunks) of ``a``."""
    kw = _like_kwargs(a, kwargs)
    return zeros(kw.pop("shape"), **kw)


def ones_like(a: Any, **kwargs: Any) -> Array:
    """An array of ones with the shape, dtype (and chunks) of ``a``."""
    kw = _like_kwargs(a, kwargs)
    return ones(kw.pop("shape"), **kw)


def empty_like(a: Any, **kwargs: Any) -> Array:
    """An empty array with the shape, dtype (and chunks) of ``a``."""
    kw = _like_kwargs(a, kwargs)
    return empty(kw.pop("shape"), **kw)


def full_like(a: Any, **kwargs: Any) -> Array:
    """A filled array with the shape, dtype (and chunks) of ``a``; ``fill_value``
    defaults to ``a``'s fill value."""
    kw = _like_kwargs(a, kwargs)
    fill = kw.pop("fill_value", getattr(a, "fill_value", None))
    return full(kw.pop("shape"), fill, **kw)


def open_like(a: Any, path: Any, **kwargs: Any) -> Array:
    """Open (or create) an array at ``path`` shaped like ``a``."""
    kw = _like_kwargs(a, kwargs)
    return open(path, **kw)


_COPY_BYTES = 64 << 20


def from_array(
    store: Any = None,
    *,
    data: Any,
    write_data: bool = True,
    name: str | None = None,
    chunks: Any = "keep",
    shards: Any = None,
    filters: Any = "keep",
    compressors: Any = "keep",
    serializer: Any = "keep",
    fill_value: Any = None,
    order: Literal["C", "F"] | None = None,
    zarr_format: int | None = 3,
    attributes: dict[str, Any] | None = None,
    chunk_key_encoding: Any = None,
    dimension_names: Sequence[str | None] | None = None,
    storage_options: dict[str, Any] | None = None,
    overwrite: bool = False,
    config: dict[str, Any] | None = None,
) -> Array:
    """A new array holding a copy of ``data`` (numpy, a zarrc Array or a zarr-python Array).

    ``"keep"`` takes chunks / codecs / fill value / attributes from a source
    array.  Array sources are copied in slabs of whole target chunks of about
    64 MiB, so memory stays bounded whatever the source size.
    """
    is_array = (
        hasattr(data, "chunks") and hasattr(data, "shape") and not isinstance(data, np.ndarray)
    )
    if not is_array:
        data = np.asarray(data)

    def keep(value: Any, attr: str, default: Any) -> Any:
        if isinstance(value, str) and value == "keep":
            return getattr(data, attr, default) if is_array else default
        return value

    chunk_arg = keep(chunks, "chunks", "auto")
    src_filters = keep(filters, "filters", "auto")
    src_compressors = keep(compressors, "compressors", "auto")
    src_serializer = keep(serializer, "serializer", "auto")
    if is_array:
        src_filters = _convert_codecs(src_filters)
        src_compressors = _convert_codecs(src_compressors)
        src_serializer = _convert_codecs(src_serializer)
        if fill_value is None:
            fill_value = getattr(data, "fill_value", None)
        if attributes is None:
            attributes = dict(getattr(data, "attrs", {}) or {})
        if dimension_names is None:
            dimension_names = getattr(getattr(data, "metadata", None), "dimension_names", None)
    out = create_array(
        store,
        name=name,
        shape=data.shape,
        dtype=data.dtype,
        chunks=chunk_arg,
        shards=shards,
        filters=src_filters,
        compressors=src_compressors,
        serializer=src_serializer,
        fill_value=fill_value,
        order=order,
        zarr_format=zarr_format,
        attributes=attributes,
        chunk_key_encoding=chunk_key_encoding,
        dimension_names=dimension_names,
        storage_options=storage_options,
        overwrite=overwrite,
        config=config,
    )
    if not write_data:
        return out
    if not is_array:
        out[...] = data
        return out
    if not out.shape:
        out[...] = data[...]
        return out
    # slabs along the first axis, a whole number of target chunk rows each
    row_bytes = out.dtype.itemsize * math.prod(out.shape[1:]) * out.chunks[0]
    rows = max(1, _COPY_BYTES // max(1, row_bytes)) * out.chunks[0]
    for start in range(0, out.shape[0], rows):
        stop = min(start + rows, out.shape[0])
        out[start:stop] = np.asarray(data[start:stop])
    return out


def _convert_codecs(value: Any) -> Any:
    """Codec objects from another implementation (zarr-python) -> their JSON dicts."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, tuple | list):
        return [_convert_codecs(v) for v in value]
    if hasattr(value, "to_dict") and not type(value).__module__.startswith("zarrc."):
        return value.to_dict()
    return value
