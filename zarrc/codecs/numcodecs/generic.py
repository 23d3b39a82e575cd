"""Codecs named by numcodecs ids: the shared JSON plumbing and a wrapper for any other id.

numcodecs describes a codec by a flat config ``{"id": "zlib", "level": 1}``; Zarr
v2 stores exactly that in ``.zarray``.  In Zarr v3 metadata zarr-python writes the
same codecs as ``{"name": "numcodecs.zlib", "configuration": {"level": 1}}``.
:class:`NumcodecsConfigMixin` gives zarrc's own implementations of numcodecs
codecs both forms (:meth:`~NumcodecsConfigMixin.to_v2_config`,
:meth:`~NumcodecsConfigMixin.to_dict`).

Ids zarrc has no implementation of run through numcodecs itself, when it is
installed: :func:`numcodecs_codec_class` makes a codec class per id and kind,
and :func:`generic_codec_from_v2_config` builds one from a v2 config.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from zarrc.codecs._base import (
    ArrayArrayCodec,
    ArrayBytesCodec,
    BytesBytesCodec,
    ChunkSpec,
    Codec,
    CodecKind,
    as_uint8,
    construct_from_config,
)
from zarrc.codecs.registry import register_codec
from zarrc.errors import CorruptChunkError, MetadataError, UnknownCodecError

__all__ = [
    "V3_PREFIX",
    "NumcodecsCodec",
    "NumcodecsConfigMixin",
    "generic_codec_from_v2_config",
    "import_numcodecs",
    "numcodecs_codec_class",
]

#: The prefix zarr-python gives numcodecs codecs in Zarr v3 metadata.
V3_PREFIX = "numcodecs."


def _fail(message: str) -> MetadataError:
    return MetadataError(message, field="codecs")


def check_v2_config(config: Any, codec_id: str | None = None) -> dict[str, Any]:
    """A private copy of a numcodecs config, checked for its envelope.

    Parameters
    ----------
    config : Any
        The config: a JSON object with a string ``"id"``.
    codec_id : str, optional
        The id it must have.

    Raises
    ------
    MetadataError
        If ``config`` is not an object with a string id (or has another id).
    """
    if not isinstance(config, Mapping):
        raise _fail(f"a numcodecs config must be a JSON object, got {config!r}")
    found = config.get("id")
    if not isinstance(found, str) or not found:
        raise _fail(f"a numcodecs config needs a string 'id', got {dict(config)!r}")
    if codec_id is not None and found != codec_id:
        raise _fail(f"expected numcodecs id {codec_id!r}, got {found!r}")
    return copy.deepcopy(dict(config))


class NumcodecsConfigMixin:
    """JSON forms of a codec that numcodecs knows by ``codec_id``.

    Subclasses set ``codec_id`` (the numcodecs id), ``codec_name``
    (``"numcodecs." + codec_id``) and ``v2_keys`` (the config keys besides
    ``id``), and implement :meth:`to_v2_config`; the constructor takes the
    config keys as keyword arguments.
    """

    codec_id: ClassVar[str]
    v2_keys: ClassVar[frozenset[str]] = frozenset()

    def to_v2_config(self) -> dict[str, Any]:
        """The numcodecs config (``{"id": ..., ...}``), as written to ``.zarray``."""
        raise NotImplementedError

    @classmethod
    def from_v2_config(cls, config: Mapping[str, Any]) -> Codec:
        """Build the codec from its numcodecs config.

        Raises
        ------
        MetadataError
            If the id differs, a key is unknown or a value is invalid.
        """
        body = check_v2_config(config, cls.codec_id)
        del body["id"]
        unknown = sorted(set(body) - cls.v2_keys)
        if unknown:
            raise _fail(f"unknown key(s) {unknown} for numcodecs codec {cls.codec_id!r}")
        return construct_from_config(cls, body)  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Codec:
        """Build from the v3 form ``{"name": "numcodecs.<id>", "configuration": {...}}``."""
        name = V3_PREFIX + cls.codec_id
        if not isinstance(data, dict):
            raise _fail(f"a codec must be a JSON object, got {type(data).__name__}")
        if data.get("name") != name:
            raise _fail(f"expected codec name {name!r}, got {data.get('name')!r}")
        unknown = sorted(set(data) - {"name", "configuration", "must_understand"})
        if unknown:
            raise _fail(f"unknown key(s) {unknown} in codec {name!r}")
        config = data.get("configuration", {})
        if not isinstance(config, dict):
            raise _fail(f"the configuration of codec {name!r} must be a JSON object")
        # zarr-python drops the id from the configuration; accept it when it agrees.
        if config.get("id", cls.codec_id) != cls.codec_id:
            raise _fail(f"codec {name!r} has a configuration id {config['id']!r}")
        return cls.from_v2_config({**config, "id": cls.codec_id})

    def to_dict(self) -> dict[str, Any]:
        """The v3 form, as zarr-python writes it: ``{"name": "numcodecs.<id>", ...}``."""
        config = self.to_v2_config()
        config.pop("id", None)
        return {"name": V3_PREFIX + self.codec_id, "configuration": config}


# --------------------------------------------------------------------------------------
# any other numcodecs id, through numcodecs
# --------------------------------------------------------------------------------------
def import_numcodecs(codec_id: str) -> Any:
    """The ``numcodecs`` module, or an ``UnknownCodecError`` saying ``codec_id`` needs it."""
    try:
        import numcodecs
    except ImportError as err:
        raise UnknownCodecError(
            f"codec {codec_id!r} is only available through the 'numcodecs' package, "
            "which is not installed",
            field="codecs",
        ) from err
    return numcodecs


def _canonical(config: Mapping[str, Any]) -> str:
    return json.dumps(config, sort_keys=True, default=repr)


class NumcodecsCodec(Codec):
    """A codec that numcodecs implements, run in Python through numcodecs.

    Instances come from :func:`numcodecs_codec_class` (one class per id and
    kind) or :func:`generic_codec_from_v2_config`.

    Parameters
    ----------
    config : mapping
        The numcodecs config; its ``id`` must be the class's ``codec_id``.
    """

    codec_id: ClassVar[str] = ""

    def __init__(self, config: Mapping[str, Any]) -> None:
        body = check_v2_config(config, self.codec_id or None)
        numcodecs = import_numcodecs(body["id"])
        try:
            impl = numcodecs.get_codec(copy.deepcopy(body))
        except Exception as err:
            raise UnknownCodecError(
                f"numcodecs cannot build codec {body['id']!r} from {body!r}: {err}",
                field="codecs",
            ) from err
        self._config = body
        self._impl = impl

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(self, "_impl"):
            raise AttributeError(f"{type(self).__name__} is immutable")
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._config!r})"

    @property
    def numcodecs_codec(self) -> Any:
        """The numcodecs codec object doing the work."""
        return self._impl

    def to_v2_config(self) -> dict[str, Any]:
        """The numcodecs config."""
        return copy.deepcopy(self._config)

    @classmethod
    def from_v2_config(cls, config: Mapping[str, Any]) -> NumcodecsCodec:
        """Build from a numcodecs config."""
        return cls(config)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NumcodecsCodec:
        """Build from ``{"name": "numcodecs.<id>", "configuration": {...}}``."""
        if not isinstance(data, dict):
            raise _fail(f"a codec must be a JSON object, got {type(data).__name__}")
        name = data.get("name")
        if not isinstance(name, str) or not name.startswith(V3_PREFIX):
            raise _fail(f"expected a codec name starting with {V3_PREFIX!r}, got {name!r}")
        codec_id = name[len(V3_PREFIX) :]
        if cls.codec_id and codec_id != cls.codec_id:
            raise _fail(f"expected codec name {V3_PREFIX + cls.codec_id!r}, got {name!r}")
        config = data.get("configuration", {})
        if not isinstance(config, dict):
            raise _fail(f"the configuration of codec {name!r} must be a JSON object")
        return cls({**config, "id": codec_id})

    def to_dict(self) -> dict[str, Any]:
        """The v3 form ``{"name": "numcodecs.<id>", "configuration": {...}}``."""
        config = self.to_v2_config()
        del config["id"]
        return {"name": V3_PREFIX + self._config["id"], "configuration": config}

    def _identity(self) -> Any:
        return _canonical(self._config)

    def _fail_decode(self, err: Exception) -> CorruptChunkError:
        return CorruptChunkError(f"{self._config['id']}: {err}", codec=self.codec_name)


class _GenericBytesBytes(NumcodecsCodec, BytesBytesCodec):
    def encode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Encode one chunk's bytes with numcodecs."""
        from numcodecs.compat import ensure_bytes, ensure_contiguous_ndarray

        out = self._impl.encode(as_uint8(data))
        return ensure_bytes(ensure_contiguous_ndarray(out))

    def decode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Decode one chunk's bytes with numcodecs."""
        from numcodecs.compat import ensure_bytes, ensure_contiguous_ndarray

        try:
            out = self._impl.decode(as_uint8(data))
            return ensure_bytes(ensure_contiguous_ndarray(out))
        except Exception as err:
            raise self._fail_decode(err) from err


class _GenericArrayArray(NumcodecsCodec, ArrayArrayCodec):
    # numcodecs filters keep the element count and type unless configured otherwise;
    # an id whose output differs needs a dedicated zarrc codec.
    def encode(self, data: Any, spec: ChunkSpec) -> np.ndarray:
        """Encode one chunk with numcodecs."""
        out = np.asarray(self._impl.encode(np.ascontiguousarray(data)))
        return out.reshape(spec.shape)

    def decode(self, data: Any, spec: ChunkSpec) -> np.ndarray:
        """Decode one chunk with numcodecs."""
        try:
            out = np.asarray(self._impl.decode(np.ascontiguousarray(data)))
            if out.dtype != spec.dtype and out.dtype.kind not in "OT":
                out = out.reshape(-1).view(spec.dtype)
            return out.reshape(spec.shape)
        except Exception as err:
            raise self._fail_decode(err) from err


class _GenericArrayBytes(NumcodecsCodec, ArrayBytesCodec):
    def encode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Serialise one chunk with numcodecs."""
        from numcodecs.compat import ensure_bytes, ensure_contiguous_ndarray

        out = self._impl.encode(np.ascontiguousarray(data))
        return ensure_bytes(ensure_contiguous_ndarray(out))

    def decode(self, data: Any, spec: ChunkSpec) -> np.ndarray:
        """Deserialise one chunk with numcodecs."""
        try:
            out = np.asarray(self._impl.decode(bytes(as_uint8(data))))
            if out.dtype != spec.dtype and out.dtype.kind not in "OT":
                out = out.reshape(-1).view(spec.dtype)
            return out.reshape(spec.shape)
        except Exception as err:
            raise self._fail_decode(err) from err


_BASES: dict[str, type[NumcodecsCodec]] = {
    "bytes_to_bytes": _GenericBytesBytes,
    "array_to_array": _GenericArrayArray,
    "array_to_bytes": _GenericArrayBytes,
}


@functools.cache
def numcodecs_codec_class(
    codec_id: str, kind: CodecKind = "bytes_to_bytes"
) -> type[NumcodecsCodec]:
    """The class of codecs run through numcodecs with id ``codec_id``.

    Parameters
    ----------
    codec_id : str
        The numcodecs id.
    kind : {"bytes_to_bytes", "array_to_array", "array_to_bytes"}, optional
        What the codec maps; numcodecs compressors and checksums are bytes to bytes.

    Returns
    -------
    type
        A :class:`NumcodecsCodec` subclass whose ``codec_name`` is ``"numcodecs.<id>"``.
    """
    base = _BASES[kind]
    name = "Numcodecs_" + "".join(ch if ch.isalnum() else "_" for ch in codec_id)
    namespace = {"codec_id": codec_id, "codec_name": V3_PREFIX + codec_id, "__module__": __name__}
    return type(name, (base,), namespace)


def generic_codec_from_v2_config(
    config: Mapping[str, Any], kind: CodecKind = "bytes_to_bytes"
) -> NumcodecsCodec:
    """A codec run through numcodecs, from its numcodecs config.

    Parameters
    ----------
    config : mapping
        ``{"id": ..., ...}``.
    kind : {"bytes_to_bytes", "array_to_array", "array_to_bytes"}, optional
        What the codec maps.

    Raises
    ------
    UnknownCodecError
        If numcodecs is not installed or does not know the id.
    MetadataError
        If the config has no string id.
    """
    body = check_v2_config(config)
    return numcodecs_codec_class(body["id"], kind)(body)


# zarr-python's v3 names of numcodecs codecs that zarrc has no own class for.
for _id in ("blosc", "zstd", "gzip"):
    register_codec(V3_PREFIX + _id, numcodecs_codec_class(_id, "bytes_to_bytes"))
for _id in ("pcodec", "zfpy"):
    register_codec(V3_PREFIX + _id, numcodecs_codec_class(_id, "array_to_bytes"))
