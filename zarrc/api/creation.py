"""Top-level functions with zarr-python 3's names and arguments.

``create_array``, ``open_array``, ``open``, ``zeros``/``ones``/``full``/``empty``
and ``array``.  Resolves store-like arguments, writes and reads metadata
documents, and builds :class:`~zarrc.core.array.Array` objects.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from zarrc.codecs.chain import normalize_codecs_for_create
from zarrc.core.array import Array
from zarrc.dtypes import data_type_from_numpy, normalize_fill_value
from zarrc.errors import (
    ArrayNotFoundError,
    ContainsArrayError,
    ContainsGroupError,
    ReadOnlyError,
)
from zarrc.metadata.chunk_key_encoding import ChunkKeyEncoding, parse_chunk_key_encoding
from zarrc.metadata.v2 import ArrayMetadataV2, parse_array_metadata_v2
from zarrc.metadata.v3 import (
    ArrayMetadataV3,
    GroupMetadataV3,
    parse_metadata_v3,
)
from zarrc.storage import LocalStore, Store, validate_key
from zarrc.storage import make_store as _resolve_store

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
_AUTO_CHUNK_BYTES = 1 << 20


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def _normalize_path(path: str | None) -> str:
    if path is None:
        return ""
    path = str(path).strip("/")
    if path:
        validate_key(path)
    return path


def make_store(
    store: Any,
    *,
    mode: str = "a",
    read_only: bool | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Store:
    """Resolve a store-like argument (see :func:`zarrc.storage.make_store`).

    Plain local paths reuse one LocalStore per absolute path: resolving a root
    costs more than opening an array.
    """
    ro = (mode == "r") if read_only is None else read_only
    if isinstance(store, str | os.PathLike) and not storage_options:
        text = os.fspath(store)
        if (
            isinstance(text, str)
            and "://" not in text
            and "::" not in text
            and not (text.endswith(".zip"))
        ):
            return _local_store(text, ro)
    return _resolve_store(store, mode=mode, read_only=read_only, storage_options=storage_options)


_STORE_CACHE: dict[tuple[str, bool], LocalStore] = {}
_METADATA_CACHE: dict[bytes, ArrayMetadataV3 | GroupMetadataV3] = {}
_CACHE_LIMIT = 256


def _local_store(path: str, read_only: bool) -> LocalStore:
    """A LocalStore for ``path``; resolving a root costs more than opening an array,
    so stores are reused per absolute path (they hold no state beyond it)."""
    key = (os.path.abspath(path), read_only)
    store = _STORE_CACHE.get(key)
    if store is None:
        store = LocalStore(path, read_only=read_only)
        if len(_STORE_CACHE) >= _CACHE_LIMIT:
            _STORE_CACHE.clear()
        _STORE_CACHE[key] = store
    return store


def _parse_cached(raw: bytes, doc_key: str) -> ArrayMetadataV3 | GroupMetadataV3:
    """Parse a zarr.json document, reusing the (immutable) result for identical bytes."""
    md = _METADATA_CACHE.get(raw)
    if md is None:
        md = parse_metadata_v3(raw, path=doc_key)
        if len(_METADATA_CACHE) >= _CACHE_LIMIT:
            _METADATA_CACHE.clear()
        _METADATA_CACHE[raw] = md
    elif md.attributes:
        # attributes are a plain dict: give each opener its own copy
        md = md.update_attributes(copy.deepcopy(md.attributes))
    return md


def _node_kind(store: Store, path: str) -> tuple[str | None, None]:
    """``"array"``, ``"group"`` or None: what exists at ``path``, in either format."""
    from zarrc.core.nodes import node_kind

    return node_kind(store, path), None


def _guess_chunks(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    """Chunks of about 1 MiB, halving the largest dimension first."""
    chunks = [max(1, s) for s in shape]
    while chunks and math.prod(chunks) * itemsize > _AUTO_CHUNK_BYTES:
        d = max(range(len(chunks)), key=lambda i: chunks[i])
        if chunks[d] == 1:
            break
        chunks[d] = (chunks[d] + 1) // 2
    return tuple(chunks)


def _normalize_shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, int | np.integer):
        shape = (int(shape),)
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"shape must not be negative, got {shape}")
    return shape


def _normalize_chunks(chunks: Any, shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    if chunks is None or chunks == "auto" or chunks is True:
        return _guess_chunks(shape, itemsize)
    if isinstance(chunks, int | np.integer):
        chunks = (int(chunks),) * len(shape)
    chunks = tuple(int(c) for c in chunks)
    if len(chunks) != len(shape):
        raise ValueError(f"chunks {chunks} and shape {shape} differ in dimensions")
    # zarr-python treats -1 (and None) as "the whole dimension"
    chunks = tuple(max(1, s) if c in (-1, None) else c for c, s in zip(chunks, shape, strict=True))
    if any(c <= 0 for c in chunks):
        raise ValueError(f"chunks must be positive, got {chunks}")
    return chunks


def _parent_paths(path: str) -> list[str]:
    parts = path.split("/")[:-1] if path else []
    return ["/".join(parts[:i]) for i in range(len(parts) + 1)] if path else []


def _check_parents(store: Store, path: str) -> list[str]:
    """Refuse a path below an array; return the parents that have no node yet."""
    missing = []
    for parent in _parent_paths(path):
        kind, _ = _node_kind(store, parent)
        if kind is None:
            missing.append(parent)
        elif kind == "array":
            raise ContainsArrayError(f"an array exists at {parent!r}, the parent of {path!r}")
    return missing


def _ensure_parents(store: Store, missing: list[str], zarr_format: int = 3) -> None:
    """Write group metadata for missing parents (as zarr-python does), never
    replacing one another writer created meanwhile."""
    if zarr_format == 2:
        name, doc = ".zgroup", b'{\n    "zarr_format": 2\n}'
    else:
        name, doc = "zarr.json", GroupMetadataV3(attributes={}).to_json()
    for parent in missing:
        store.set_if_not_exists(_join(parent, name), doc)


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
    if zarr_format not in (None, 2, 3):
        raise ValueError(f"zarr_format must be 2 or 3, got {zarr_format!r}")
    if data is not None:
        data = np.asarray(data)
        if shape is None:
            shape = data.shape
        if dtype is None:
            dtype = data.dtype
    if shape is None:
        raise TypeError("create_array() needs shape (or data)")
    if dtype is None:
        raise TypeError("create_array() needs dtype (or data)")
    st = make_store(store, mode="a", storage_options=storage_options)
    if st.read_only:
        raise ReadOnlyError(f"cannot create an array in read-only store {st!r}")
    path = _normalize_path(name)
    shape = _normalize_shape(shape)
    dt = data_type_from_numpy(dtype)
    chunk_shape = _normalize_chunks(chunks, shape, dt.itemsize)
    if zarr_format == 2:
        if shards is not None:
            raise ValueError("sharding needs zarr_format=3")
        metadata2 = _v2_metadata(
            shape,
            dt,
            chunk_shape,
            filters,
            compressors,
            serializer,
            fill_value,
            order,
            attributes,
            chunk_key_encoding,
        )
        return _create_node(
            st,
            path,
            metadata2,
            overwrite=overwrite,
            config=config,
            order=None,
            data=data,
            write_data=write_data,
        )
    object_codec = getattr(dt, "object_codec_id", None)
    if object_codec and zarr_format != 2 and isinstance(serializer, str) and serializer == "auto":
        # variable-length types: the serializer follows the data type, not the numpy dtype
        from zarrc.codecs.registry import get_codec_class

        serializer = get_codec_class(object_codec)()
    codecs = normalize_codecs_for_create(
        dtype=dt.dtype,
        shape=chunk_shape,
        filters=filters,
        serializer=serializer,
        compressors=compressors,
    )
    if shards is not None:
        codecs, chunk_shape = _shard_codecs(shards, chunk_shape, codecs, shape)
    cke = (
        parse_chunk_key_encoding(chunk_key_encoding)
        if chunk_key_encoding is not None
        else ChunkKeyEncoding("default", "/")
    )
    metadata = ArrayMetadataV3(
        shape=shape,
        data_type=dt,
        chunk_shape=chunk_shape,
        chunk_key_encoding=cke,
        fill_value=normalize_fill_value(fill_value, dt),
        codecs=tuple(c.to_dict() for c in codecs),
        attributes=dict(attributes or {}),
        dimension_names=tuple(dimension_names) if dimension_names is not None else None,
    )
    return _create_node(
        st,
        path,
        metadata,
        overwrite=overwrite,
        config=config,
        order=order,
        data=data,
        write_data=write_data,
    )


def _create_node(
    st: Store,
    path: str,
    metadata: Any,
    *,
    overwrite: bool,
    config: dict[str, Any] | None,
    order: str | None,
    data: np.ndarray | None,
    write_data: bool,
) -> Array:
    # every check before anything is deleted or written
    missing_parents = _check_parents(st, path)
    cfg = dict(config or {})
    if order is not None:
        cfg.setdefault("order", order)
    arr = Array(st, path, metadata, config=cfg)  # validates the codec chain
    kind, _ = _node_kind(st, path)
    if kind is not None and not overwrite:
        err = ContainsArrayError if kind == "array" else ContainsGroupError
        raise err(
            f"a{'n array' if kind == 'array' else ' group'} exists at path {path!r} in store {st!r}"
        )
    if overwrite and (kind is not None or path):
        st.delete_dir(path)
    _ensure_parents(st, missing_parents, metadata.zarr_format)
    arr._write_metadata(metadata)
    if data is not None and write_data:
        arr[...] = data
    return arr


def _v2_metadata(
    shape: tuple[int, ...],
    dt: Any,
    chunks: tuple[int, ...],
    filters: Any,
    compressors: Any,
    serializer: Any,
    fill_value: Any,
    order: str | None,
    attributes: dict[str, Any] | None,
    chunk_key_encoding: Any,
) -> ArrayMetadataV2:
    """``.zarray`` metadata from create_array's arguments, with zarr-python's v2 defaults."""
    from zarrc.codecs.v2_chain import codec_to_v2_config

    if not (isinstance(serializer, str) and serializer == "auto"):
        raise ValueError("zarr_format=2 arrays take no serializer; use filters and compressors")

    def listed(value: Any) -> list[Any]:
        if value is None:
            return []
        if isinstance(value, list | tuple):
            return list(value)
        return [value]

    object_codec = getattr(dt, "object_codec_id", None)
    if isinstance(filters, str) and filters == "auto":
        filter_configs = [{"id": object_codec}] if object_codec else []
    else:
        filter_configs = [codec_to_v2_config(f) for f in listed(filters)]
        if object_codec and not any(f.get("id") == object_codec for f in filter_configs):
            filter_configs.insert(0, {"id": object_codec})
    if isinstance(compressors, str) and compressors == "auto":
        compressor: dict[str, Any] | None = {"id": "zstd", "level": 0}
    else:
        items = listed(compressors)
        if len(items) > 1:
            raise ValueError("zarr_format=2 arrays take at most one compressor")
        compressor = codec_to_v2_config(items[0]) if items else None
    separator = "."
    if chunk_key_encoding is not None:
        separator = parse_chunk_key_encoding(chunk_key_encoding).separator
    return ArrayMetadataV2(
        shape=shape,
        chunks=chunks,
        stored_dtype=np.dtype(object) if object_codec else dt.dtype,
        fill_value=normalize_fill_value(fill_value, dt),
        order=order or "C",
        dimension_separator=separator,
        compressor=compressor,
        filters=tuple(filter_configs) or None,
        attributes=dict(attributes or {}),
        data_type=dt,
    )


def _shard_codecs(
    shards: Any, chunk_shape: tuple[int, ...], codecs: Sequence[Any], shape: tuple[int, ...]
) -> tuple[list[Any], tuple[int, ...]]:
    """``shards=`` of create_array: the inner codecs move into a sharding codec and
    the chunk grid becomes the shard shape."""
    from zarrc.codecs.sharding.codec import ShardingCodec

    location = "end"
    if isinstance(shards, dict):
        location = shards.get("index_location", "end")
        shards = shards["shape"]
    if isinstance(shards, int | np.integer):
        shards = (int(shards),) * len(shape)
    shard_shape = tuple(int(s) for s in shards)
    if len(shard_shape) != len(chunk_shape):
        raise ValueError(f"shards {shard_shape} and chunks {chunk_shape} differ in dimensions")
    if any(s <= 0 or s % c for s, c in zip(shard_shape, chunk_shape, strict=True)):
        raise ValueError(
            f"the shard shape {shard_shape} must be a positive multiple of the chunk shape "
            f"{chunk_shape}"
        )
    codec = ShardingCodec(chunk_shape=chunk_shape, codecs=list(codecs), index_location=location)
    return [codec], shard_shape


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
    md = _parse_cached(raw, doc_key)
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
        kind, _ = _node_kind(st, _normalize_path(name))
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
    from zarrc.api.groups import open_array_or_group

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
