"""The ``bytes`` codec: an array's elements in C order, in a fixed byte order."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any, ClassVar

import numpy as np

from zarrc.codecs._base import (
    ArrayBytesCodec,
    ChunkSpec,
    Codec,
    as_uint8,
    construct_from_config,
    parse_enum,
    parse_named_configuration,
)
from zarrc.codecs.registry import register_codec
from zarrc.errors import CorruptChunkError, MetadataError

__all__ = ["BytesCodec", "Endian", "default_system_endian"]


class Endian(Enum):
    """Byte order of multi-byte elements written by the ``bytes`` codec."""

    big = "big"
    little = "little"


#: The byte order of this machine, the default of :class:`BytesCodec`.
default_system_endian = Endian(sys.byteorder)

_NUMPY_ORDER = {Endian.little: "<", Endian.big: ">"}


def has_endianness(dtype: np.dtype) -> bool:
    """Whether elements of ``dtype`` have a byte order (multi-byte scalars, UCS4 text)."""
    return dtype.byteorder != "|"


@dataclass(frozen=True, eq=False)
class BytesCodec(ArrayBytesCodec):
    """Serialise an array as its raw elements in C order.

    Parameters
    ----------
    endian : Endian or {"little", "big"} or None, optional
        Byte order of multi-byte elements; ``None`` for data types without one
        (1-byte types, raw bytes, structured).  Defaults to the machine's order.
    """

    codec_name: ClassVar[str] = "bytes"
    is_fixed_size: ClassVar[bool] = True

    endian: Endian | None

    def __init__(self, *, endian: Endian | str | None = default_system_endian) -> None:
        parsed = None if endian is None else parse_enum(endian, Endian, "endian")
        object.__setattr__(self, "endian", parsed)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BytesCodec:
        """Build from ``{"name": "bytes", "configuration": {"endian": ...}}``."""
        # "endian" is the codec's name in early drafts of the v3 specification.
        config = parse_named_configuration(
            data, ("bytes", "endian"), keys=frozenset({"endian"}), require_configuration=False
        )
        # Without an endian the JSON describes a codec without one (1-byte types);
        # unlike the constructor's default, it does not mean "this machine's order".
        config.setdefault("endian", None)
        return construct_from_config(cls, config)  # type: ignore[return-value]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; the configuration is omitted when ``endian`` is None."""
        if self.endian is None:
            return {"name": "bytes"}
        return {"name": "bytes", "configuration": {"endian": self.endian.value}}

    def evolve_from_array_spec(self, spec: ChunkSpec) -> Codec:
        """Drop ``endian`` for data types without a byte order; require it otherwise."""
        if not has_endianness(spec.dtype):
            return self if self.endian is None else replace(self, endian=None)
        self._check_endian(spec)
        return self

    def _check_endian(self, spec: ChunkSpec) -> None:
        if self.endian is None and has_endianness(spec.dtype):
            raise MetadataError(
                f"the bytes codec needs an 'endian' for the multi-byte data type {spec.dtype}",
                field="codecs",
            )

    def validate(self, spec: ChunkSpec) -> None:
        """Reject variable-length data and a missing byte order for multi-byte types."""
        if spec.dtype.kind in "OT":
            raise MetadataError(
                f"the bytes codec cannot serialise the variable-length data type {spec.dtype}",
                field="codecs",
            )
        self._check_endian(spec)

    def compute_encoded_size(self, input_byte_length: int, spec: ChunkSpec) -> int:
        """The encoded size equals the input size."""
        return input_byte_length

    def c_kernel(self) -> dict[str, Any]:
        """``{"endian": "little" | "big" | None}``."""
        return {"endian": None if self.endian is None else self.endian.value}

    def _stored_dtype(self, dtype: np.dtype) -> np.dtype:
        if self.endian is None or not has_endianness(dtype):
            return dtype
        return dtype.newbyteorder(_NUMPY_ORDER[self.endian])

    def encode(self, data: Any, spec: ChunkSpec) -> bytes:
        """The chunk's elements in C order and the configured byte order."""
        arr = np.asarray(data)
        stored = self._stored_dtype(arr.dtype)
        if stored != arr.dtype:
            arr = arr.astype(stored)
        return arr.tobytes(order="C")

    def decode(self, data: Any, spec: ChunkSpec) -> np.ndarray:
        """An array of ``spec.shape`` and ``spec.dtype`` (possibly a read-only view)."""
        buf = as_uint8(data)
        if buf.size != spec.nbytes:
            raise CorruptChunkError(
                f"chunk holds {buf.size} bytes, expected {spec.nbytes} for shape "
                f"{spec.shape} and data type {spec.dtype}",
                codec=self.codec_name,
            )
        stored = self._stored_dtype(spec.dtype)
        arr = buf.view(stored).reshape(spec.shape)
        if stored != spec.dtype:
            arr = arr.astype(spec.dtype)
        return arr


register_codec("bytes", BytesCodec)
register_codec("endian", BytesCodec)
