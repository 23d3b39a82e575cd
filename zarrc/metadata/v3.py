"""Zarr v3 ``zarr.json`` documents: parse, validate and serialise.

Nothing here touches a store; callers hand in the bytes of a document and get
back frozen metadata objects, or the other way round.  Every validation
failure is a :class:`~zarrc.errors.MetadataError` naming the document
(``path``) and the offending top-level field.

Codecs are kept as their JSON dicts, checked only for shape
(``{"name": ..., "configuration": {...}}``); the codecs layer owns their meaning.
"""

from __future__ import annotations

import copy
import json
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

import numpy as np

from zarrc.dtypes import (
    DataType,
    data_type_from_numpy,
    encode_fill_value,
    normalize_fill_value,
    parse_data_type,
    parse_fill_value,
)
from zarrc.errors import MetadataError, ZarrcError
from zarrc.metadata.chunk_key_encoding import ChunkKeyEncoding, parse_chunk_key_encoding

__all__ = [
    "ZARR_JSON",
    "ArrayMetadataV3",
    "GroupMetadataV3",
    "load_json_object",
    "parse_array_metadata_v3",
    "parse_codec_entries",
    "parse_group_metadata_v3",
    "parse_metadata_v3",
]

_T = TypeVar("_T")

ZARR_JSON = "zarr.json"
JSON_INDENT = 2
# Sizes and counts are int64 in the C engine.
_MAX_EXTENT = 2**63 - 1

_ARRAY_KEYS = frozenset(
    {
        "zarr_format",
        "node_type",
        "shape",
        "data_type",
        "chunk_grid",
        "chunk_key_encoding",
        "fill_value",
        "codecs",
        "attributes",
        "dimension_names",
        "storage_transformers",
    }
)
_GROUP_KEYS = frozenset({"zarr_format", "node_type", "attributes", "consolidated_metadata"})
_REQUIRED_ARRAY_KEYS = (
    "shape",
    "data_type",
    "chunk_grid",
    "chunk_key_encoding",
    "fill_value",
    "codecs",
)


# --------------------------------------------------------------------------------------
# JSON loading
# --------------------------------------------------------------------------------------
class _DuplicateKeyError(ValueError):
    pass


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return out


_DECODER = json.JSONDecoder(object_pairs_hook=_reject_duplicates)


def load_json_object(
    doc: bytes | bytearray | memoryview | str | Mapping[str, Any], *, path: str | None = None
) -> dict[str, Any]:
    """Decode a metadata document into a dict.

    Parameters
    ----------
    doc : bytes, str or mapping
        The document: UTF-8 JSON bytes, a JSON string, or an already decoded mapping.
    path : str, optional
        The document name, used in error messages.

    Returns
    -------
    dict

    Raises
    ------
    MetadataError
        If the bytes are not UTF-8, not JSON, repeat a key within an object
        (readers could disagree on which one wins), or are not a JSON object.
    """
    if isinstance(doc, bytes | bytearray | memoryview):
        try:
            # utf-8-sig: a leading byte order mark is allowed (RFC 8259), as in zarr-python.
            text = bytes(doc).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise MetadataError(f"document is not valid UTF-8: {exc}", path=path) from None
    elif isinstance(doc, str):
        text = doc.removeprefix("\ufeff")
    elif isinstance(doc, Mapping):
        # A private copy: the metadata object must not share state with the caller.
        return copy.deepcopy(dict(doc))
    else:
        raise MetadataError(f"expected JSON bytes or str, got {type(doc).__name__}", path=path)
    try:
        data = _DECODER.decode(text)
    except _DuplicateKeyError as exc:
        raise MetadataError(f"key {exc.args[0]!r} appears twice in one object", path=path) from None
    except RecursionError:
        raise MetadataError("document is nested too deeply", path=path) from None
    except ValueError as exc:
        # JSONDecodeError, and the int-size limit on huge number literals.
        raise MetadataError(f"document is not valid JSON: {exc}", path=path) from None
    if not isinstance(data, dict):
        raise MetadataError(f"document must be a JSON object, got {type(data).__name__}", path=path)
    return data


# --------------------------------------------------------------------------------------
# field parsers
# --------------------------------------------------------------------------------------
def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_zarr_format(data: Mapping[str, Any], path: str | None) -> None:
    if "zarr_format" not in data:
        raise MetadataError("missing required field", path=path, field="zarr_format")
    value = data["zarr_format"]
    if not _is_int(value) or value != 3:
        raise MetadataError(f"expected 3, got {value!r}", path=path, field="zarr_format")


def _parse_node_type(data: Mapping[str, Any], path: str | None) -> str:
    if "node_type" not in data:
        raise MetadataError("missing required field", path=path, field="node_type")
    value = data["node_type"]
    if value not in ("array", "group"):
        raise MetadataError(
            f"expected 'array' or 'group', got {value!r}", path=path, field="node_type"
        )
    return value


def _parse_extent_list(
    value: object, *, path: str | None, field_name: str, what: str, minimum: int
) -> tuple[int, ...]:
    if not isinstance(value, list | tuple):
        raise MetadataError(
            f"{what} must be a list of integers, got {value!r}", path=path, field=field_name
        )
    for item in value:
        if not _is_int(item) or item < minimum or item > _MAX_EXTENT:
            kind = "positive" if minimum > 0 else "non-negative"
            raise MetadataError(
                f"{what} must be a list of {kind} integers below 2**63, got {value!r}",
                path=path,
                field=field_name,
            )
    return tuple(value)


def _parse_chunk_grid(value: object, path: str | None) -> tuple[int, ...]:
    def fail(message: str) -> MetadataError:
        return MetadataError(message, path=path, field="chunk_grid")

    if not isinstance(value, dict):
        raise fail(f"expected an object, got {value!r}")
    unknown = set(value) - {"name", "configuration"}
    if unknown:
        raise fail(f"unknown keys {sorted(unknown)}")
    name = value.get("name")
    if name != "regular":
        raise fail(f"unsupported chunk grid {name!r}; only 'regular' is supported")
    config = value.get("configuration")
    if not isinstance(config, dict) or "chunk_shape" not in config:
        raise fail("the regular chunk grid needs a configuration with 'chunk_shape'")
    if set(config) != {"chunk_shape"}:
        raise fail(f"unknown configuration keys {sorted(set(config) - {'chunk_shape'})}")
    return _parse_extent_list(
        config["chunk_shape"], path=path, field_name="chunk_grid", what="chunk_shape", minimum=1
    )


def _parse_codec(entry: object, index: int, path: str | None, private: bool) -> dict[str, Any]:
    def fail(message: str) -> MetadataError:
        return MetadataError(f"codec {index}: {message}", path=path, field="codecs")

    if isinstance(entry, str):
        if not entry:
            raise fail("empty codec name")
        return {"name": entry}
    if type(entry) is not dict and not isinstance(entry, Mapping):
        to_dict = getattr(entry, "to_dict", None)
        if callable(to_dict):
            entry = to_dict()
        if not isinstance(entry, Mapping):
            raise fail(f"expected an object or a name, got {entry!r}")
    unknown = set(entry) - {"name", "configuration", "must_understand"}
    if unknown:
        raise fail(f"unknown keys {sorted(map(str, unknown))}")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise fail(f"'name' must be a non-empty string, got {name!r}")
    out: dict[str, Any] = {"name": name}
    if "configuration" in entry:
        config = entry["configuration"]
        if type(config) is not dict and not isinstance(config, Mapping):
            raise fail(f"'configuration' must be an object, got {config!r}")
        # A freshly decoded document is ours already; anything else is copied.
        out["configuration"] = config if private else copy.deepcopy(dict(config))
    if "must_understand" in entry:
        if not isinstance(entry["must_understand"], bool):
            raise fail("'must_understand' must be true or false")
        out["must_understand"] = entry["must_understand"]
    return out


def parse_codec_entries(
    value: object, *, path: str | None = None, _private: bool = False
) -> tuple[dict[str, Any], ...]:
    """Check the structure of a codec list and normalise its entries.

    Parameters
    ----------
    value : object
        The JSON ``codecs`` value: a non-empty list whose entries are objects
        ``{"name": str, "configuration": {...}}`` (configuration optional) or
        bare names.
    path : str, optional
        The document name, used in error messages.

    Returns
    -------
    tuple of dict
        Each entry as ``{"name": ...}`` or ``{"name": ..., "configuration": ...}``.

    Raises
    ------
    MetadataError
        If the list is missing, empty or has a malformed entry (``field="codecs"``).
    """
    if type(value) is not list and (
        isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence)
    ):
        raise MetadataError(f"expected a list of codecs, got {value!r}", path=path, field="codecs")
    if len(value) == 0:
        raise MetadataError("at least one codec is required", path=path, field="codecs")
    return tuple(_parse_codec(entry, i, path, _private) for i, entry in enumerate(value))


def _parse_dimension_names(
    value: object, ndim: int, path: str | None
) -> tuple[str | None, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple) or not all(
        item is None or isinstance(item, str) for item in value
    ):
        raise MetadataError(
            f"expected a list of strings or nulls, got {value!r}",
            path=path,
            field="dimension_names",
        )
    if len(value) != ndim:
        raise MetadataError(
            f"has {len(value)} entries but the array has {ndim} dimensions",
            path=path,
            field="dimension_names",
        )
    return tuple(value)


def _parse_storage_transformers(value: object, path: str | None) -> tuple[Any, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise MetadataError(
            f"expected a list, got {value!r}", path=path, field="storage_transformers"
        )
    if value:
        names = [t.get("name") if isinstance(t, Mapping) else t for t in value]
        raise MetadataError(
            f"storage transformers are not supported (got {names!r})",
            path=path,
            field="storage_transformers",
        )
    return ()


def _parse_attributes(data: Mapping[str, Any], path: str | None) -> dict[str, Any]:
    value = data.get("attributes", {})
    if not isinstance(value, dict):
        raise MetadataError(f"expected an object, got {value!r}", path=path, field="attributes")
    return value


def _parse_extra(
    data: Mapping[str, Any], known: frozenset[str], path: str | None
) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    for key, value in data.items():
        if key in known:
            continue
        if not (isinstance(value, Mapping) and value.get("must_understand") is False):
            raise MetadataError(
                'unknown field; an extension field must be an object with "must_understand": '
                "false to be ignored",
                path=path,
                field=key,
            )
        extra[key] = value
    return extra


def _check_extra(extra: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    clash = known & set(extra)
    if clash:
        raise MetadataError(f"extra fields {sorted(clash)} collide with reserved fields")
    return _parse_extra(extra, frozenset(), None)


# --------------------------------------------------------------------------------------
# array metadata
# --------------------------------------------------------------------------------------
def _unchecked(cls: type[_T], **fields: Any) -> _T:
    """An instance of a frozen dataclass built from already validated fields."""
    obj = object.__new__(cls)
    for name, value in fields.items():
        object.__setattr__(obj, name, value)
    return obj


def _fill_key(value: np.generic) -> tuple[str, bytes]:
    # Compare fill values by bits, so NaN equals itself and 0.0 differs from -0.0.
    return (value.dtype.str, value.tobytes())


@dataclass(frozen=True)
class ArrayMetadataV3:
    """The metadata of a Zarr v3 array (the content of its ``zarr.json``).

    Parameters
    ----------
    shape : tuple of int
        The array's shape.
    data_type : DataType
        The element type (a numpy dtype is converted).
    chunk_shape : tuple of int
        The shape of one chunk of the regular chunk grid.
    chunk_key_encoding : ChunkKeyEncoding
        How chunk coordinates become keys.
    fill_value : numpy.generic
        The value of elements never written.
    codecs : tuple of dict
        The codec chain as JSON dicts ``{"name": ..., "configuration": {...}}``.
    attributes : dict
        User attributes.
    dimension_names : tuple of (str or None), optional
        One name (or ``None``) per dimension.
    storage_transformers : tuple
        Must be empty; no storage transformer is supported.
    extra : dict
        Extension fields marked ``"must_understand": false``, kept and written back.
    """

    shape: tuple[int, ...]
    data_type: DataType
    chunk_shape: tuple[int, ...]
    chunk_key_encoding: ChunkKeyEncoding
    fill_value: np.generic
    codecs: tuple[dict[str, Any], ...]
    attributes: dict[str, Any] = field(default_factory=dict)
    dimension_names: tuple[str | None, ...] | None = None
    storage_transformers: tuple[Any, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Normalise what a caller may pass loosely; parsing has already
        # checked these, so this is cheap for parsed documents.
        setattr_ = object.__setattr__
        try:
            shape = tuple(operator.index(s) for s in self.shape)
            chunks = tuple(operator.index(c) for c in self.chunk_shape)
        except TypeError as exc:
            raise MetadataError(f"shape and chunk_shape must be integers: {exc}") from None
        _parse_extent_list(shape, path=None, field_name="shape", what="shape", minimum=0)
        _parse_extent_list(
            chunks, path=None, field_name="chunk_grid", what="chunk_shape", minimum=1
        )
        if len(chunks) != len(shape):
            raise MetadataError(
                f"chunk_shape {chunks} and shape {shape} differ in dimensions",
                field="chunk_grid",
            )
        setattr_(self, "shape", shape)
        setattr_(self, "chunk_shape", chunks)
        if not isinstance(self.data_type, DataType):
            setattr_(self, "data_type", data_type_from_numpy(self.data_type))
        if not isinstance(self.chunk_key_encoding, ChunkKeyEncoding):
            setattr_(self, "chunk_key_encoding", parse_chunk_key_encoding(self.chunk_key_encoding))
        fill = self.fill_value
        if not (isinstance(fill, np.generic) and fill.dtype == self.data_type.dtype):
            try:
                fill = normalize_fill_value(fill, self.data_type)
            except ZarrcError as exc:
                raise MetadataError(str(exc), field="fill_value") from None
            setattr_(self, "fill_value", fill)
        if isinstance(self.codecs, str | bytes | Mapping):
            raise MetadataError("codecs must be a sequence of codecs", field="codecs")
        setattr_(self, "codecs", parse_codec_entries(list(self.codecs)))
        if not isinstance(self.attributes, dict):
            setattr_(self, "attributes", dict(self.attributes))
        if self.dimension_names is not None:
            setattr_(
                self,
                "dimension_names",
                _parse_dimension_names(list(self.dimension_names), len(shape), None),
            )
        setattr_(
            self,
            "storage_transformers",
            _parse_storage_transformers(list(self.storage_transformers), None),
        )
        if self.extra:
            setattr_(self, "extra", _check_extra(self.extra, _ARRAY_KEYS))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ArrayMetadataV3):
            return NotImplemented
        return (
            self.shape == other.shape
            and self.data_type == other.data_type
            and self.chunk_shape == other.chunk_shape
            and self.chunk_key_encoding == other.chunk_key_encoding
            and _fill_key(self.fill_value) == _fill_key(other.fill_value)
            and self.codecs == other.codecs
            and self.attributes == other.attributes
            and self.dimension_names == other.dimension_names
            and self.storage_transformers == other.storage_transformers
            and self.extra == other.extra
        )

    def __hash__(self) -> int:
        return hash((self.shape, self.data_type, self.chunk_shape, _fill_key(self.fill_value)))

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype of the elements (native byte order)."""
        return self.data_type.dtype

    @property
    def zarr_format(self) -> Literal[3]:
        """Always 3."""
        return 3

    @property
    def node_type(self) -> Literal["array"]:
        """Always ``"array"``."""
        return "array"

    @property
    def chunk_grid_shape(self) -> tuple[int, ...]:
        """Number of chunks along each dimension (0 along an empty dimension)."""
        return tuple(-(-s // c) for s, c in zip(self.shape, self.chunk_shape, strict=True))

    def _json_obj(self, *, deep: bool) -> dict[str, Any]:
        dup = copy.deepcopy if deep else (lambda x: x)
        out: dict[str, Any] = {
            "shape": list(self.shape),
            "data_type": self.data_type.to_json(),
            "chunk_grid": {
                "name": "regular",
                "configuration": {"chunk_shape": list(self.chunk_shape)},
            },
            "chunk_key_encoding": self.chunk_key_encoding.to_dict(),
            "fill_value": encode_fill_value(self.fill_value, self.data_type),
            "codecs": [dup(c) for c in self.codecs],
            "attributes": dup(self.attributes),
        }
        if self.dimension_names is not None:
            out["dimension_names"] = list(self.dimension_names)
        out["zarr_format"] = 3
        out["node_type"] = "array"
        out["storage_transformers"] = list(self.storage_transformers)
        for key, value in self.extra.items():
            out[key] = dup(value)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``zarr.json``, in zarr-python's key order."""
        return self._json_obj(deep=True)

    def to_json(self) -> bytes:
        """The bytes of ``zarr.json`` (indented by 2, as zarr-python writes them)."""
        return json.dumps(self._json_obj(deep=False), indent=JSON_INDENT, allow_nan=True).encode()

    def update_shape(self, shape: Sequence[int]) -> ArrayMetadataV3:
        """A copy with a new shape (same number of dimensions)."""
        return replace(self, shape=tuple(shape))

    def update_attributes(self, attrs: Mapping[str, Any]) -> ArrayMetadataV3:
        """A copy with the attributes replaced by ``attrs``."""
        return replace(self, attributes=dict(attrs))


def _array_from_dict(data: Mapping[str, Any], path: str | None) -> ArrayMetadataV3:
    for key in _REQUIRED_ARRAY_KEYS:
        if key not in data:
            raise MetadataError("missing required field", path=path, field=key)
    shape = _parse_extent_list(
        data["shape"], path=path, field_name="shape", what="shape", minimum=0
    )
    data_type = parse_data_type(data["data_type"], path=path)
    chunk_shape = _parse_chunk_grid(data["chunk_grid"], path)
    if len(chunk_shape) != len(shape):
        raise MetadataError(
            f"chunk_shape has {len(chunk_shape)} dimensions but shape has {len(shape)}",
            path=path,
            field="chunk_grid",
        )
    cke = parse_chunk_key_encoding(data["chunk_key_encoding"], path=path)
    fill_value = parse_fill_value(data["fill_value"], data_type, path=path)
    codecs = parse_codec_entries(data["codecs"], path=path, _private=True)
    attributes = _parse_attributes(data, path)
    dimension_names = _parse_dimension_names(data.get("dimension_names"), len(shape), path)
    _parse_storage_transformers(data.get("storage_transformers"), path)
    extra = _parse_extra(data, _ARRAY_KEYS, path)
    # Every field is validated and normalised above: skip __post_init__.
    return _unchecked(
        ArrayMetadataV3,
        shape=shape,
        data_type=data_type,
        chunk_shape=chunk_shape,
        chunk_key_encoding=cke,
        fill_value=fill_value,
        codecs=codecs,
        attributes=attributes,
        dimension_names=dimension_names,
        storage_transformers=(),
        extra=extra,
    )


# --------------------------------------------------------------------------------------
# group metadata
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupMetadataV3:
    """The metadata of a Zarr v3 group.

    Parameters
    ----------
    attributes : dict
        User attributes.
    consolidated_metadata : dict, optional
        The raw ``consolidated_metadata`` object, if present.
    extra : dict
        Extension fields marked ``"must_understand": false``, kept and written back.
    """

    attributes: dict[str, Any] = field(default_factory=dict)
    consolidated_metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.attributes, dict):
            object.__setattr__(self, "attributes", dict(self.attributes))
        if self.consolidated_metadata is not None and not isinstance(
            self.consolidated_metadata, Mapping
        ):
            raise MetadataError(
                "consolidated_metadata must be an object", field="consolidated_metadata"
            )
        if self.extra:
            object.__setattr__(self, "extra", _check_extra(self.extra, _GROUP_KEYS))

    @property
    def zarr_format(self) -> Literal[3]:
        """Always 3."""
        return 3

    @property
    def node_type(self) -> Literal["group"]:
        """Always ``"group"``."""
        return "group"

    def _json_obj(self, *, deep: bool) -> dict[str, Any]:
        dup = copy.deepcopy if deep else (lambda x: x)
        out: dict[str, Any] = {"attributes": dup(self.attributes), "zarr_format": 3}
        if self.consolidated_metadata is not None:
            out["consolidated_metadata"] = dup(self.consolidated_metadata)
        out["node_type"] = "group"
        for key, value in self.extra.items():
            out[key] = dup(value)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``zarr.json``, in zarr-python's key order."""
        return self._json_obj(deep=True)

    def to_json(self) -> bytes:
        """The bytes of ``zarr.json`` (indented by 2, as zarr-python writes them)."""
        return json.dumps(self._json_obj(deep=False), indent=JSON_INDENT, allow_nan=True).encode()

    def update_attributes(self, attrs: Mapping[str, Any]) -> GroupMetadataV3:
        """A copy with the attributes replaced by ``attrs``."""
        return replace(self, attributes=dict(attrs))


def _group_from_dict(data: Mapping[str, Any], path: str | None) -> GroupMetadataV3:
    attributes = _parse_attributes(data, path)
    consolidated = data.get("consolidated_metadata")
    if consolidated is not None and not isinstance(consolidated, dict):
        raise MetadataError(
            f"expected an object or null, got {consolidated!r}",
            path=path,
            field="consolidated_metadata",
        )
    extra = _parse_extra(data, _GROUP_KEYS, path)
    return _unchecked(
        GroupMetadataV3, attributes=attributes, consolidated_metadata=consolidated, extra=extra
    )


# --------------------------------------------------------------------------------------
# entry points
# --------------------------------------------------------------------------------------
DocLike = bytes | bytearray | memoryview | str | Mapping[str, Any]


def parse_array_metadata_v3(doc: DocLike, *, path: str | None = None) -> ArrayMetadataV3:
    """Parse and validate the ``zarr.json`` of a Zarr v3 array.

    Parameters
    ----------
    doc : bytes, str or dict
        The document.
    path : str, optional
        The document's name (e.g. ``"data/temp/zarr.json"``), used in errors.

    Returns
    -------
    ArrayMetadataV3

    Raises
    ------
    MetadataError
        If the document is invalid or describes a group.
    """
    data = load_json_object(doc, path=path)
    _parse_zarr_format(data, path)
    node_type = _parse_node_type(data, path)
    if node_type != "array":
        raise MetadataError(f"expected 'array', got {node_type!r}", path=path, field="node_type")
    return _array_from_dict(data, path)


def parse_group_metadata_v3(doc: DocLike, *, path: str | None = None) -> GroupMetadataV3:
    """Parse and validate the ``zarr.json`` of a Zarr v3 group.

    Parameters
    ----------
    doc : bytes, str or dict
        The document.
    path : str, optional
        The document's name, used in errors.

    Returns
    -------
    GroupMetadataV3

    Raises
    ------
    MetadataError
        If the document is invalid or describes an array.
    """
    data = load_json_object(doc, path=path)
    _parse_zarr_format(data, path)
    node_type = _parse_node_type(data, path)
    if node_type != "group":
        raise MetadataError(f"expected 'group', got {node_type!r}", path=path, field="node_type")
    return _group_from_dict(data, path)


def parse_metadata_v3(
    doc: DocLike, *, path: str | None = None
) -> ArrayMetadataV3 | GroupMetadataV3:
    """Parse a ``zarr.json`` document of either node type.

    Parameters
    ----------
    doc : bytes, str or dict
        The document.
    path : str, optional
        The document's name, used in errors.

    Returns
    -------
    ArrayMetadataV3 or GroupMetadataV3
        According to the document's ``node_type``.

    Raises
    ------
    MetadataError
        If the document is invalid.
    """
    data = load_json_object(doc, path=path)
    _parse_zarr_format(data, path)
    if _parse_node_type(data, path) == "array":
        return _array_from_dict(data, path)
    return _group_from_dict(data, path)
