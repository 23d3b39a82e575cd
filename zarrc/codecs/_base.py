"""The codec interface shared by every codec class.

A codec is an immutable description (JSON <-> object).  Codecs whose kernels
live in the C engine say so through :meth:`Codec.c_kernel`; any other codec
implements :meth:`Codec.encode` / :meth:`Codec.decode` in Python and the
pipeline runs it with the same plan, more slowly.  The built-in codecs have
Python encoders and decoders too: they let Python-only codecs interleave with
them and serve as the test oracle for the C kernels.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np

from zarrc._ext import _engine
from zarrc.errors import MetadataError

__all__ = [
    "ArrayArrayCodec",
    "ArrayBytesCodec",
    "BytesBytesCodec",
    "ChunkSpec",
    "Codec",
    "CodecKind",
]

CodecKind = Literal["array_to_array", "array_to_bytes", "bytes_to_bytes"]

E = TypeVar("E", bound=Enum)


@dataclass(frozen=True)
class ChunkSpec:
    """What a codec knows about the chunk it sees: shape, dtype, fill value.

    Parameters
    ----------
    shape : tuple of int
        Shape of the chunk as seen by the codec (after earlier array-to-array codecs).
    dtype : numpy.dtype
        Data type of the elements.
    fill_value : Any, optional
        The array's fill value.
    """

    shape: tuple[int, ...]
    dtype: np.dtype
    fill_value: Any = None

    def __post_init__(self) -> None:
        # Accept any shape-like / dtype-like input but store canonical forms so that
        # specs compare and hash predictably.
        object.__setattr__(self, "shape", tuple(int(s) for s in self.shape))
        object.__setattr__(self, "dtype", np.dtype(self.dtype))

    @property
    def ndim(self) -> int:
        """Number of dimensions of the chunk."""
        return len(self.shape)

    @property
    def nbytes(self) -> int:
        """Size of the chunk's elements in bytes (``prod(shape) * itemsize``)."""
        return math.prod(self.shape) * self.dtype.itemsize

    def is_fill(self, chunk: np.ndarray) -> bool:
        """Whether every element of ``chunk`` equals the fill value: bit for bit for
        fixed-size types (the engine's test: NaN payloads and -0.0 count), by value for
        object and variable-length string types."""
        if self.dtype.hasobject or self.dtype.kind == "T" or self.dtype.itemsize == 0:
            return bool(np.all(chunk == np.full(np.shape(chunk), self.fill_value, self.dtype)))
        fill = np.asarray(self.fill_value, dtype=self.dtype).tobytes()
        raw = np.ascontiguousarray(chunk, dtype=self.dtype).reshape(-1).view(np.uint8)
        return _engine.all_equal(raw, fill)


class Codec:
    """Base class of zarrc codecs.

    Subclasses set ``codec_name`` (the JSON ``name``) and ``kind``.  Codec
    objects are immutable; two codecs are equal when they have the same type
    and the same JSON form.
    """

    codec_name: ClassVar[str]
    kind: ClassVar[CodecKind]
    #: True when the encoded size depends only on the input size.
    is_fixed_size: ClassVar[bool] = False

    # -- JSON ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON form ``{"name": ..., "configuration": {...}}``."""
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Codec:
        """Build the codec from its JSON form; raises ``MetadataError`` on bad input."""
        raise NotImplementedError

    # -- array-spec dependent defaults ----------------------------------------
    def evolve_from_array_spec(self, spec: ChunkSpec) -> Codec:
        """Fill in defaults that depend on the data type (blosc typesize, endian)."""
        return self

    def resolve_spec(self, spec: ChunkSpec) -> ChunkSpec:
        """The chunk spec this codec hands to the next codec when encoding."""
        return spec

    def validate(self, spec: ChunkSpec) -> None:
        """Raise ``MetadataError`` if this codec cannot handle ``spec``."""

    def compute_encoded_size(self, input_byte_length: int, spec: ChunkSpec) -> int:
        """Encoded size of ``input_byte_length`` bytes; only for fixed-size codecs."""
        raise NotImplementedError(f"codec {self.codec_name!r} has no fixed encoded size")

    # -- C engine --------------------------------------------------------------
    def c_kernel(self) -> dict[str, Any] | None:
        """Parameters for the C kernel, or ``None`` when the codec runs in Python.

        bytes_to_bytes codecs return the fields of ``zc_b2b_codec``
        (``kind``, ``level``, ``checksum``, ``shuffle``, ``typesize``,
        ``blocksize``, ``cname``); ``bytes`` returns ``{"endian": "little"|"big"|None}``
        and ``transpose`` returns ``{"order": (...)}``.
        """
        return None

    # -- Python fallback ---------------------------------------------------------
    def encode(self, data: Any, spec: ChunkSpec) -> Any:
        """Encode one chunk in Python (ndarray for array codecs, bytes otherwise)."""
        raise NotImplementedError(f"codec {self.codec_name!r} has no Python encoder")

    def decode(self, data: Any, spec: ChunkSpec) -> Any:
        """Decode one chunk in Python."""
        raise NotImplementedError(f"codec {self.codec_name!r} has no Python decoder")

    # -- identity ------------------------------------------------------------------
    def _identity(self) -> Any:
        """What equality and hashing compare; the canonical JSON unless overridden."""
        return json.dumps(self.to_dict(), sort_keys=True)

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return bool(self._identity() == other._identity())  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self._identity()))


class ArrayArrayCodec(Codec):
    """Base of codecs that map an array to another array (e.g. transpose)."""

    kind: ClassVar[CodecKind] = "array_to_array"


class ArrayBytesCodec(Codec):
    """Base of codecs that serialise an array to bytes (e.g. bytes, sharding)."""

    kind: ClassVar[CodecKind] = "array_to_bytes"


class BytesBytesCodec(Codec):
    """Base of codecs that map bytes to bytes (compressors, checksums)."""

    kind: ClassVar[CodecKind] = "bytes_to_bytes"


# -- helpers shared by the built-in codecs -------------------------------------------


def parse_named_configuration(
    data: Any,
    names: tuple[str, ...],
    *,
    keys: frozenset[str],
    require_configuration: bool = True,
) -> dict[str, Any]:
    """Check the ``{"name": ..., "configuration": {...}}`` envelope of a codec.

    Parameters
    ----------
    data : Any
        The JSON object.
    names : tuple of str
        Accepted values of ``name`` (the first is the canonical one).
    keys : frozenset of str
        Configuration keys the codec understands; any other key is an error.
    require_configuration : bool, optional
        Whether ``configuration`` must be present.

    Returns
    -------
    dict
        The configuration (empty when absent and not required).

    Raises
    ------
    MetadataError
        If the envelope is malformed, names another codec or has unknown keys.
    """
    if not isinstance(data, dict):
        raise MetadataError(
            f"a codec must be a JSON object, got {type(data).__name__}", field="codecs"
        )
    name = data.get("name")
    if name not in names:
        raise MetadataError(f"expected codec name {names[0]!r}, got {name!r}", field="codecs")
    if "configuration" not in data:
        if require_configuration:
            raise MetadataError(
                f"codec {names[0]!r} requires a 'configuration' object", field="codecs"
            )
        return {}
    config = data["configuration"]
    if not isinstance(config, dict):
        raise MetadataError(
            f"the configuration of codec {names[0]!r} must be a JSON object, "
            f"got {type(config).__name__}",
            field="codecs",
        )
    unknown = sorted(set(config) - keys)
    if unknown:
        raise MetadataError(
            f"unknown configuration key(s) {unknown} for codec {names[0]!r}", field="codecs"
        )
    return dict(config)


def construct_from_config(cls: type[Codec], config: dict[str, Any]) -> Codec:
    """Call ``cls(**config)``, turning argument errors into ``MetadataError``."""
    try:
        return cls(**config)
    except MetadataError:
        raise
    except (TypeError, ValueError) as err:
        raise MetadataError(
            f"invalid configuration for codec {cls.codec_name!r}: {err}", field="codecs"
        ) from err


def check_int(value: Any, name: str, lo: int | None = None, hi: int | None = None) -> int:
    """Return ``value`` as an ``int`` if it is an integer in ``[lo, hi]``.

    Booleans are rejected (JSON ``true`` is not a number); numpy integers are accepted.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    value = int(value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f"[{'' if lo is None else lo}, {'' if hi is None else hi}]"
        raise ValueError(f"{name} must be in the range {bounds}, got {value}")
    return value


def parse_enum(value: Any, enum_cls: type[E], name: str) -> E:
    """Return the member of ``enum_cls`` named by ``value`` (member or string).

    Members of a look-alike enum (same string value, e.g. zarr-python's) are accepted.
    """
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, Enum):
        value = value.value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__} {value!r}")
    try:
        return enum_cls(value)
    except ValueError:
        allowed = [m.value for m in enum_cls]
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}") from None


def as_uint8(data: Any) -> np.ndarray:
    """A flat, contiguous ``uint8`` view (or copy, if non-contiguous) of a buffer."""
    if isinstance(data, np.ndarray):
        return np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    return np.frombuffer(data, dtype=np.uint8)


def decoded_size_limit(spec: ChunkSpec) -> int | None:
    """A generous upper bound of what a bytes-to-bytes decoder may produce.

    The Python decoders refuse to inflate past this so a hostile stream cannot
    make them allocate without bound.  It covers the chunk's bytes plus the
    overhead of nested codecs and a shard index (16 bytes per inner chunk of at
    least one byte).  ``None`` for variable-length data, whose size is unknown.
    """
    if spec.dtype.kind in "OT":
        return None
    return spec.nbytes * 17 + (1 << 20)


def with_path(err: MetadataError, path: str | None) -> MetadataError:
    """``err`` located in the metadata document ``path`` (``err`` itself if already located)."""
    if path is None or err.path is not None:
        return err
    text = str(err)
    if err.field is not None:
        # MetadataError appends the location to its message; rebuild it with the path.
        suffix = f" (field {err.field!r})"
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    try:
        return type(err)(text, path=path, field=err.field)
    except TypeError:
        return MetadataError(text, path=path, field=err.field)
