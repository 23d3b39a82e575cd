"""Creating arrays in a store: metadata from zarr-python's ``create_array`` arguments.

Everything is checked before anything is deleted or written: the parents (no
array above the path), the codec chain (by building the array), an existing
node (unless overwriting).  Missing parent groups are written as zarr-python
writes them, never replacing one another writer created meanwhile.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from zarrc.codecs.chain import normalize_codecs_for_create
from zarrc.codecs.registry import get_codec_class
from zarrc.codecs.sharding import ShardingCodec
from zarrc.codecs.v2_chain import codec_to_v2_config
from zarrc.core.array import Array
from zarrc.core.nodes import join_path, node_kind, normalize_path
from zarrc.dtypes import data_type_from_numpy, normalize_fill_value
from zarrc.errors import ContainsArrayError, ContainsGroupError, ReadOnlyError
from zarrc.metadata.chunk_key_encoding import ChunkKeyEncoding, parse_chunk_key_encoding
from zarrc.metadata.v2 import ArrayMetadataV2
from zarrc.metadata.v3 import ArrayMetadataV3, GroupMetadataV3
from zarrc.storage import Store

__all__ = ["create_array_in", "normalize_chunks", "normalize_shape"]

_AUTO_CHUNK_BYTES = 1 << 20


def _guess_chunks(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    """Chunks of about 1 MiB, halving the largest dimension first."""
    chunks = [max(1, s) for s in shape]
    while chunks and math.prod(chunks) * itemsize > _AUTO_CHUNK_BYTES:
        d = max(range(len(chunks)), key=lambda i: chunks[i])
        if chunks[d] == 1:
            break
        chunks[d] = (chunks[d] + 1) // 2
    return tuple(chunks)


def normalize_shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, int | np.integer):
        shape = (int(shape),)
    shape = tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"shape must not be negative, got {shape}")
    return shape


def normalize_chunks(chunks: Any, shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
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
        kind = node_kind(store, parent)
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
        store.set_if_not_exists(join_path(parent, name), doc)


def create_array_in(
    st: Store,
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
    overwrite: bool = False,
    config: dict[str, Any] | None = None,
    write_data: bool = True,
) -> Array:
    """Create an array at ``name`` in the store ``st`` and return it.

    Arguments as :func:`zarrc.create_array`, whose store-like argument is
    resolved to ``st`` first.  ``data`` gives shape and dtype and is written
    unless ``write_data`` is False.

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
    if st.read_only:
        raise ReadOnlyError(f"cannot create an array in read-only store {st!r}")
    path = normalize_path(name)
    shape = normalize_shape(shape)
    dt = data_type_from_numpy(dtype)
    chunk_shape = normalize_chunks(chunks, shape, dt.itemsize)
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
    kind = node_kind(st, path)
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
