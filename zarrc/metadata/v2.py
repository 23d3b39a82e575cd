"""Zarr v2 documents: ``.zarray``, ``.zgroup``, ``.zattrs``, ``.zmetadata``.

Nothing here touches a store.  An :class:`ArrayMetadataV2` exposes the
attributes the pipeline reads from :class:`~zarrc.metadata.v3.ArrayMetadataV3`
(``shape``, ``chunk_shape``, ``dtype``, ``data_type``, ``fill_value``,
``chunk_key_encoding``, ...) plus the v2 specifics: the stored dtype with its
byte order, the memory ``order`` of chunks, and the numcodecs ``compressor``
and ``filters`` configs, kept as JSON dicts (:mod:`zarrc.codecs.v2_chain` turns
them into codecs).

Every validation failure is a :class:`~zarrc.errors.MetadataError` naming the
document and the field.
"""

from __future__ import annotations

import copy
import json
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from zarrc.dtypes import DataType, data_type_from_numpy
from zarrc.dtypes.v2 import (
    dtype_error,
    encode_v2_dtype,
    encode_v2_fill_value,
    parse_dtype_json,
    parse_v2_dtype,
    parse_v2_fill_value,
)
from zarrc.errors import MetadataError, ZarrcError
from zarrc.metadata.chunk_key_encoding import ChunkKeyEncoding
from zarrc.metadata.v3 import load_json_object

__all__ = [
    "ZARRAY",
    "ZATTRS",
    "ZGROUP",
    "ZMETADATA",
    "ArrayMetadataV2",
    "GroupMetadataV2",
    "encode_v2_dtype",
    "encode_v2_fill_value",
    "parse_array_metadata_v2",
    "parse_consolidated_v2",
    "parse_group_metadata_v2",
    "parse_v2_dtype",
    "parse_v2_fill_value",
]

ZARRAY = ".zarray"
ZATTRS = ".zattrs"
ZGROUP = ".zgroup"
ZMETADATA = ".zmetadata"
JSON_INDENT = 2
# Sizes and counts are int64 in the C engine.
_MAX_EXTENT = 2**63 - 1

#: Codec ids whose presence tells what a numpy object array holds.
_OBJECT_CODEC_IDS = ("vlen-utf8", "vlen-bytes", "vlen-array", "json2", "pickle", "msgpack2")

DocLike = bytes | bytearray | memoryview | str | Mapping[str, Any]
Order = Literal["C", "F"]
Separator = Literal[".", "/"]


def _sibling(path: str | None, name: str) -> str | None:
    """The document ``name`` next to the document ``path``."""
    if path is None:
        return None
    head, sep, tail = path.rpartition("/")
    if tail in (ZARRAY, ZGROUP, ZATTRS):
        return f"{head}{sep}{name}"
    return path


# --------------------------------------------------------------------------------------
# field parsers
# --------------------------------------------------------------------------------------
def _parse_extents(
    value: object, *, path: str | None, field_name: str, minimum: int
) -> tuple[int, ...]:
    if not isinstance(value, list | tuple):
        raise MetadataError(
            f"expected a list of integers, got {value!r}", path=path, field=field_name
        )
    for item in value:
        if (
            isinstance(item, bool)
            or not isinstance(item, int)
            or item < minimum
            or item > _MAX_EXTENT
        ):
            kind = "positive" if minimum > 0 else "non-negative"
            raise MetadataError(
                f"expected a list of {kind} integers below 2**63, got {value!r}",
                path=path,
                field=field_name,
            )
    return tuple(value)


def _parse_zarr_format(data: Mapping[str, Any], path: str | None) -> None:
    if "zarr_format" not in data:
        raise MetadataError("missing required field", path=path, field="zarr_format")
    value = data["zarr_format"]
    if isinstance(value, bool) or value != 2:
        raise MetadataError(f"expected 2, got {value!r}", path=path, field="zarr_format")


def _parse_order(value: object, path: str | None) -> Order:
    if value not in ("C", "F"):
        raise MetadataError(f"expected 'C' or 'F', got {value!r}", path=path, field="order")
    return value  # type: ignore[return-value]


def _parse_separator(value: object, path: str | None) -> Separator:
    if value is None:
        return "."
    if value not in (".", "/"):
        raise MetadataError(
            f"expected '.' or '/', got {value!r}", path=path, field="dimension_separator"
        )
    return value  # type: ignore[return-value]


def _codec_config(value: object, path: str | None, field_name: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        to_config = getattr(value, "to_v2_config", None) or getattr(value, "get_config", None)
        if callable(to_config):
            value = to_config()
    if not isinstance(value, Mapping):
        raise MetadataError(
            f"a codec must be a numcodecs config object with an 'id', got {value!r}",
            path=path,
            field=field_name,
        )
    codec_id = value.get("id")
    if not isinstance(codec_id, str) or not codec_id:
        raise MetadataError(
            f"a codec config needs a non-empty string 'id', got {dict(value)!r}",
            path=path,
            field=field_name,
        )
    return copy.deepcopy(dict(value))


def _parse_compressor(value: object, path: str | None) -> dict[str, Any] | None:
    return None if value is None else _codec_config(value, path, "compressor")


def _parse_filters(value: object, path: str | None) -> tuple[dict[str, Any], ...] | None:
    if value is None:
        return None
    if isinstance(value, Mapping) or callable(getattr(value, "get_config", None)):
        value = [value]
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise MetadataError(
            f"expected a list of codec configs or null, got {value!r}", path=path, field="filters"
        )
    # An empty list breaks the v2 specification (null means none); read it as null.
    if len(value) == 0:
        return None
    return tuple(_codec_config(item, path, "filters") for item in value)


def _object_codec_id(
    filters: Sequence[Mapping[str, Any]] | None, compressor: Mapping[str, Any] | None
) -> str | None:
    # As zarr-python: the first object codec among the filters, then the compressor.
    for config in [*(filters or ()), *([compressor] if compressor else [])]:
        if config.get("id") in _OBJECT_CODEC_IDS:
            return str(config["id"])
    for config in filters or ():
        # Categorize of strings stores its decoded objects as text.
        if config.get("id") == "categorize" and config.get("dtype") == "|O":
            return "vlen-utf8"
    return None


def _parse_attributes(value: object, path: str | None) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, bytes | bytearray | memoryview | str | Mapping):
        raise MetadataError(f"expected a JSON object, got {value!r}", path=path)
    return load_json_object(value, path=path)


def _fill_key(value: np.generic | None) -> Any:
    # Compare fill values by bits, so NaN equals itself and 0.0 differs from -0.0.
    if value is None:
        return None
    if value.dtype.kind in "OT":
        return (value.dtype.str, str(value))
    return (value.dtype.str, value.tobytes())


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, indent=JSON_INDENT, allow_nan=True).encode()


# --------------------------------------------------------------------------------------
# array metadata
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArrayMetadataV2:
    """The metadata of a Zarr v2 array (its ``.zarray`` and ``.zattrs``).

    Parameters
    ----------
    shape : tuple of int
        The array's shape.
    chunks : tuple of int
        The shape of one chunk (also available as ``chunk_shape``).
    stored_dtype : numpy.dtype
        The dtype of stored elements, with its byte order (anything
        ``numpy.dtype`` accepts, or a ``.zarray`` typestring or field list).
    fill_value : numpy.generic or None, optional
        The value of elements never written; ``None`` is ``null`` in
        ``.zarray`` and reads as the type's default (:attr:`fill_value_or_default`).
    order : {"C", "F"}, optional
        The memory order of each chunk's elements.
    dimension_separator : {".", "/"}, optional
        The separator of chunk key coordinates.
    compressor : dict or None, optional
        The numcodecs config of the compressor (a numcodecs or zarrc codec
        object is converted).
    filters : tuple of dict or None, optional
        The numcodecs configs of the filters, applied in order when writing.
    attributes : dict, optional
        User attributes (``.zattrs``).
    data_type : DataType, optional
        The Zarr data type; derived from ``stored_dtype`` (and for ``|O`` from
        the object codec among the filters) when omitted.
    """

    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    stored_dtype: np.dtype
    fill_value: np.generic | None = None
    order: Order = "C"
    dimension_separator: Separator = "."
    compressor: dict[str, Any] | None = None
    filters: tuple[dict[str, Any], ...] | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    data_type: DataType = None  # type: ignore[assignment]  # derived in __post_init__

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__
        try:
            shape = tuple(operator.index(s) for s in self.shape)
            chunks = tuple(operator.index(c) for c in self.chunks)
        except TypeError as exc:
            raise MetadataError(f"shape and chunks must be integers: {exc}") from None
        _parse_extents(shape, path=None, field_name="shape", minimum=0)
        _parse_extents(chunks, path=None, field_name="chunks", minimum=1)
        if len(shape) != len(chunks):
            raise MetadataError(
                f"chunks {chunks} and shape {shape} differ in dimensions", field="chunks"
            )
        setattr_(self, "shape", shape)
        setattr_(self, "chunks", chunks)
        setattr_(self, "order", _parse_order(self.order, None))
        setattr_(self, "dimension_separator", _parse_separator(self.dimension_separator, None))
        setattr_(self, "compressor", _parse_compressor(self.compressor, None))
        setattr_(self, "filters", _parse_filters(self.filters, None))
        stored = self.stored_dtype
        if isinstance(stored, list):
            stored = parse_dtype_json(stored, None)
        elif isinstance(stored, DataType):
            stored = stored.dtype
        else:
            try:
                stored = np.dtype(stored)
            except TypeError as exc:
                raise dtype_error(f"not a data type: {stored!r}", None) from exc
        if stored.kind == "T":
            stored = np.dtype(object)
        try:
            encode_v2_dtype(stored)
        except ValueError as exc:
            raise dtype_error(str(exc), None) from None
        setattr_(self, "stored_dtype", stored)
        dt = self.data_type
        if not isinstance(dt, DataType):
            codec_id = _object_codec_id(self.filters, self.compressor)
            try:
                dt = data_type_from_numpy(stored if dt is None else dt, object_codec_id=codec_id)
            except ZarrcError as exc:
                raise dtype_error(str(exc), None) from None
            setattr_(self, "data_type", dt)
        fill = self.fill_value
        if fill is not None and not (isinstance(fill, np.generic) and fill.dtype == dt.dtype):
            if isinstance(fill, np.ndarray) and fill.ndim == 0:
                fill = fill[()]
            try:
                fill = dt.fill_from_user(fill)
            except ZarrcError as exc:
                raise MetadataError(str(exc), field="fill_value") from None
            setattr_(self, "fill_value", fill)
        if not isinstance(self.attributes, dict):
            setattr_(self, "attributes", dict(self.attributes))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ArrayMetadataV2):
            return NotImplemented
        return (
            self.shape == other.shape
            and self.chunks == other.chunks
            and self.stored_dtype == other.stored_dtype
            and self.data_type == other.data_type
            and _fill_key(self.fill_value) == _fill_key(other.fill_value)
            and self.order == other.order
            and self.dimension_separator == other.dimension_separator
            and self.compressor == other.compressor
            and self.filters == other.filters
            and self.attributes == other.attributes
        )

    def __hash__(self) -> int:
        return hash((self.shape, self.chunks, self.data_type, _fill_key(self.fill_value)))

    # -- what the pipeline reads, named as on ArrayMetadataV3 ----------------------------
    @property
    def chunk_shape(self) -> tuple[int, ...]:
        """The shape of one chunk (``chunks``)."""
        return self.chunks

    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype of the elements in memory (native byte order)."""
        return self.data_type.dtype

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @property
    def zarr_format(self) -> Literal[2]:
        """Always 2."""
        return 2

    @property
    def node_type(self) -> Literal["array"]:
        """Always ``"array"``."""
        return "array"

    @property
    def chunk_key_encoding(self) -> ChunkKeyEncoding:
        """The ``v2`` chunk key encoding with this array's separator."""
        return ChunkKeyEncoding("v2", self.dimension_separator)

    @property
    def chunk_grid_shape(self) -> tuple[int, ...]:
        """Number of chunks along each dimension (0 along an empty dimension)."""
        return tuple(-(-s // c) for s, c in zip(self.shape, self.chunks, strict=True))

    @property
    def fill_value_or_default(self) -> np.generic:
        """The fill value, or for a ``null`` fill the type's default, as zarr-python reads it.

        The default is zero, ``False``, NaT for times and empty for text and bytes.
        """
        if self.fill_value is None:
            return self.data_type.default_fill_value()
        return self.fill_value

    @property
    def dimension_names(self) -> None:
        """Zarr v2 has no dimension names."""
        return None

    # -- documents ---------------------------------------------------------------------------
    def to_zarray_dict(self) -> dict[str, Any]:
        """The JSON object of ``.zarray``, in zarr-python's key order."""
        filters = None if self.filters is None else [copy.deepcopy(f) for f in self.filters]
        return {
            "shape": list(self.shape),
            "chunks": list(self.chunks),
            "dtype": encode_v2_dtype(self.stored_dtype),
            "fill_value": encode_v2_fill_value(self.fill_value, self.stored_dtype, self.data_type),
            "order": self.order,
            "filters": filters,
            "dimension_separator": self.dimension_separator,
            "compressor": copy.deepcopy(self.compressor),
            "zarr_format": 2,
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``.zarray`` object with the attributes under ``"attributes"`` (as zarr-python)."""
        out = self.to_zarray_dict()
        out["attributes"] = copy.deepcopy(self.attributes)
        return out

    def to_zarray_json(self) -> bytes:
        """The bytes of ``.zarray`` (indented by 2, as zarr-python writes them)."""
        return _dumps(self.to_zarray_dict())

    def to_zattrs_json(self) -> bytes:
        """The bytes of ``.zattrs`` (indented by 2, as zarr-python writes them)."""
        return _dumps(self.attributes)

    def to_buffer_dict(self) -> dict[str, bytes]:
        """``{".zarray": ..., ".zattrs": ...}``."""
        return {ZARRAY: self.to_zarray_json(), ZATTRS: self.to_zattrs_json()}

    def update_shape(self, shape: Sequence[int]) -> ArrayMetadataV2:
        """A copy with a new shape (same number of dimensions)."""
        return replace(self, shape=tuple(shape))

    def update_attributes(self, attrs: Mapping[str, Any]) -> ArrayMetadataV2:
        """A copy with the attributes replaced by ``attrs``."""
        return replace(self, attributes=dict(attrs))


def _array_from_dict(
    data: Mapping[str, Any], attributes: dict[str, Any], path: str | None
) -> ArrayMetadataV2:
    _parse_zarr_format(data, path)
    for key in ("shape", "chunks", "dtype"):
        if key not in data:
            raise MetadataError("missing required field", path=path, field=key)
    shape = _parse_extents(data["shape"], path=path, field_name="shape", minimum=0)
    chunks = _parse_extents(data["chunks"], path=path, field_name="chunks", minimum=1)
    if len(chunks) != len(shape):
        raise MetadataError(
            f"chunks has {len(chunks)} dimensions but shape has {len(shape)}",
            path=path,
            field="chunks",
        )
    order = _parse_order(data.get("order", "C"), path)
    separator = _parse_separator(data.get("dimension_separator"), path)
    compressor = _parse_compressor(data.get("compressor"), path)
    filters = _parse_filters(data.get("filters"), path)
    stored, dt = parse_v2_dtype(
        data["dtype"], object_codec_id=_object_codec_id(filters, compressor), path=path
    )
    fill = parse_v2_fill_value(data.get("fill_value"), stored, dt, path=path)
    # Every field is validated and normalised above: skip __post_init__.
    obj = object.__new__(ArrayMetadataV2)
    obj.__dict__.update(
        shape=shape, chunks=chunks, stored_dtype=stored, fill_value=fill, order=order,
        dimension_separator=separator, compressor=compressor, filters=filters,
        attributes=attributes, data_type=dt,
    )  # fmt: skip
    return obj


def parse_array_metadata_v2(
    zarray: DocLike,
    zattrs: DocLike | None = None,
    *,
    attributes: DocLike | None = None,
    path: str | None = None,
) -> ArrayMetadataV2:
    """Parse and validate the ``.zarray`` (and ``.zattrs``) of a Zarr v2 array.

    The documents are bytes, str or dicts; ``zattrs`` (or its other name
    ``attributes``) may be missing.  ``path`` names the ``.zarray`` document
    (e.g. ``"data/temp/.zarray"``) in errors; attribute errors name the
    ``.zattrs`` next to it.

    Raises
    ------
    MetadataError
        If a document is invalid; unknown ``.zarray`` keys are ignored, as by zarr-python.
    """
    if zattrs is not None and attributes is not None:
        raise TypeError("pass zattrs or attributes, not both")
    data = load_json_object(zarray, path=path)
    attrs = _parse_attributes(zattrs if zattrs is not None else attributes, _sibling(path, ZATTRS))
    return _array_from_dict(data, attrs, path)


# --------------------------------------------------------------------------------------
# group metadata
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupMetadataV2:
    """The metadata of a Zarr v2 group (its ``.zgroup`` and ``.zattrs``).

    Parameters
    ----------
    attributes : dict, optional
        User attributes.
    """

    attributes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.attributes, dict):
            object.__setattr__(self, "attributes", dict(self.attributes))

    @property
    def zarr_format(self) -> Literal[2]:
        """Always 2."""
        return 2

    @property
    def node_type(self) -> Literal["group"]:
        """Always ``"group"``."""
        return "group"

    def to_dict(self) -> dict[str, Any]:
        """``{"zarr_format": 2, "attributes": {...}}``."""
        return {"zarr_format": 2, "attributes": copy.deepcopy(self.attributes)}

    def to_zgroup_json(self) -> bytes:
        """The bytes of ``.zgroup`` (indented by 2, as zarr-python writes them)."""
        return _dumps({"zarr_format": 2})

    def to_zattrs_json(self) -> bytes:
        """The bytes of ``.zattrs``."""
        return _dumps(self.attributes)

    def to_buffer_dict(self) -> dict[str, bytes]:
        """``{".zgroup": ..., ".zattrs": ...}``."""
        return {ZGROUP: self.to_zgroup_json(), ZATTRS: self.to_zattrs_json()}

    def update_attributes(self, attrs: Mapping[str, Any]) -> GroupMetadataV2:
        """A copy with the attributes replaced by ``attrs``."""
        return replace(self, attributes=dict(attrs))


def parse_group_metadata_v2(
    zgroup: DocLike,
    zattrs: DocLike | None = None,
    *,
    attributes: DocLike | None = None,
    path: str | None = None,
) -> GroupMetadataV2:
    """Parse and validate the ``.zgroup`` (and ``.zattrs``) of a Zarr v2 group.

    As :func:`parse_array_metadata_v2`; keys of ``.zgroup`` besides
    ``zarr_format`` are ignored.

    Raises
    ------
    MetadataError
        If a document is invalid.
    """
    if zattrs is not None and attributes is not None:
        raise TypeError("pass zattrs or attributes, not both")
    data = load_json_object(zgroup, path=path)
    _parse_zarr_format(data, path)
    attrs = _parse_attributes(zattrs if zattrs is not None else attributes, _sibling(path, ZATTRS))
    return GroupMetadataV2(attributes=attrs)


# --------------------------------------------------------------------------------------
# consolidated metadata
# --------------------------------------------------------------------------------------
def _node_path(key: str, doc: str | None) -> tuple[str, str]:
    """Split a consolidated key into the node path and the document name."""
    head, _, name = key.rpartition("/")
    if name not in (ZARRAY, ZGROUP, ZATTRS):
        raise MetadataError(
            f"entry {key!r} is not a .zarray, .zgroup or .zattrs document", path=doc
        )
    if head:
        for part in head.split("/"):
            if part in ("", ".", "..") or "\\" in part or "\x00" in part:
                raise MetadataError(f"entry {key!r} has an unsafe path", path=doc)
    return head, name


def parse_consolidated_v2(
    doc: DocLike, *, path: str | None = None
) -> dict[str, ArrayMetadataV2 | GroupMetadataV2]:
    """The metadata of every node a ``.zmetadata`` document lists.

    ``doc`` is ``{"metadata": {".zgroup": ..., "a/.zarray": ..., "a/.zattrs": ...},
    "zarr_consolidated_format": 1}``; the result maps node paths relative to the
    consolidating group (``""`` for the group itself) to :class:`ArrayMetadataV2`
    or :class:`GroupMetadataV2`.  ``path`` names the document in errors.

    Raises
    ------
    MetadataError
        If the document, a key (unsafe paths such as ``a/../b``) or an entry is
        invalid, or a node has ``.zattrs`` but no ``.zarray``/``.zgroup``.
    """
    data = load_json_object(doc, path=path)
    version = data.get("zarr_consolidated_format")
    if isinstance(version, bool) or version != 1:
        raise MetadataError(
            f"expected 1, got {version!r}", path=path, field="zarr_consolidated_format"
        )
    body = data.get("metadata")
    if not isinstance(body, dict):
        raise MetadataError(f"expected an object, got {body!r}", path=path, field="metadata")
    nodes: dict[str, dict[str, Any]] = {}
    for key, value in body.items():
        node, name = _node_path(key, path)
        nodes.setdefault(node, {})[name] = value
    out: dict[str, ArrayMetadataV2 | GroupMetadataV2] = {}
    for node, docs in nodes.items():
        label = f"{path or ZMETADATA}: {node + '/' if node else ''}"
        if ZARRAY in docs and ZGROUP in docs:
            raise MetadataError(f"node {node!r} is both an array and a group", path=path)
        if ZARRAY in docs:
            out[node] = parse_array_metadata_v2(docs[ZARRAY], docs.get(ZATTRS), path=label + ZARRAY)
        elif ZGROUP in docs:
            out[node] = parse_group_metadata_v2(docs[ZGROUP], docs.get(ZATTRS), path=label + ZGROUP)
        else:
            raise MetadataError(f"node {node!r} has .zattrs but no .zarray or .zgroup", path=path)
    return out
