"""Fixed-size byte and text types: ``null_terminated_bytes``, ``fixed_length_utf32``,
``raw_bytes`` and the core specification's raw bits ``r<bits>``.

=========================  ==============  ===============================
JSON name                  numpy dtype     fill value in JSON
=========================  ==============  ===============================
``null_terminated_bytes``  ``S<n>``        base64 of the bytes
``fixed_length_utf32``     ``U<n>``        the text (at most n code points)
``raw_bytes``              ``V<n>``        base64 of the n bytes
``r<8n>``                  ``V<n>``        a list of n integers in [0, 255]
=========================  ==============  ===============================

The configuration of the first three is ``{"length_bytes": ...}``: n, n, and
4n for UTF-32.  ``r<bits>`` has no configuration and is written back under the
name it was read with.
"""

from __future__ import annotations

import base64
import binascii
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zarrc.dtypes.base import (
    JSON,
    DataType,
    check_configuration,
    check_json_int,
    fill_error,
    register_data_type,
    type_error,
)
from zarrc.errors import MetadataError, ZarrcError

__all__ = [
    "FixedLengthUTF32DataType",
    "NullTerminatedBytesDataType",
    "RawBytesDataType",
    "decode_base64",
]

# numpy keeps itemsizes in a C int.
_MAX_LENGTH = 2**31 - 1
_RAW_BITS_RE = r"r[1-9][0-9]*"


def decode_base64(value: object, what: str, path: str | None) -> bytes:
    """The bytes of a standard base64 JSON string; ``MetadataError`` if it is not one."""
    if not isinstance(value, str):
        raise fill_error(f"expected a base64 string for data type {what!r}, got {value!r}", path)
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise fill_error(
            f"invalid base64 fill value {value!r} for data type {what!r}", path
        ) from exc


def encode_base64(data: bytes) -> str:
    """Standard base64 with padding, as zarr-python writes bytes fill values."""
    return base64.standard_b64encode(data).decode("ascii")


def _length_from_config(
    name: str, configuration: Mapping[str, Any] | None, path: str | None, multiple: int = 1
) -> int:
    config = check_configuration(name, configuration, ("length_bytes",), path)
    length = check_json_int(
        config["length_bytes"], f"length_bytes of data type {name!r}", multiple, _MAX_LENGTH, path
    )
    if length % multiple:
        raise type_error(
            f"length_bytes of data type {name!r} must be a multiple of {multiple}, got {length}",
            path,
        )
    return length


def _is_zero(value: object) -> bool:
    # fill_value=0 (what zeros() passes) means the all-zero element, as in numpy.zeros.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value == 0


# --------------------------------------------------------------------------------------
# null-terminated bytes
# --------------------------------------------------------------------------------------
@register_data_type
@dataclass(frozen=True, repr=False, eq=False)
class NullTerminatedBytesDataType(DataType):
    """Fixed-length byte strings, numpy ``S<n>``; shorter values are padded with NULs."""

    json_names: ClassVar[tuple[str, ...]] = ("null_terminated_bytes",)

    @property
    def length(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    def __repr__(self) -> str:
        return f"DataType({self.name!r}, length_bytes={self.length})"

    def to_json(self) -> JSON:
        return {"name": self.name, "configuration": {"length_bytes": self.length}}

    @classmethod
    def from_json(
        cls, name: str, configuration: Mapping[str, Any] | None, *, path: str | None
    ) -> DataType:
        return cls(name, np.dtype(f"S{_length_from_config(name, configuration, path)}"))

    @classmethod
    def from_numpy(cls, dtype: np.dtype) -> DataType | None:
        if dtype.kind != "S" or dtype.itemsize == 0:
            return None
        return cls("null_terminated_bytes", dtype)

    def default_fill_value(self) -> np.generic:
        return np.bytes_(b"")

    def fill_from_json(self, value: JSON, *, path: str | None = None) -> np.generic:
        data = decode_base64(value, self.name, path)
        if len(data) > self.length:
            raise fill_error(
                f"fill value of {len(data)} bytes is longer than the {self.length} bytes of "
                f"data type {self.name!r}",
                path,
            )
        return np.bytes_(data)

    def fill_to_json(self, value: np.generic) -> JSON:
        return encode_base64(bytes(value)[: self.length])

    def fill_from_user(self, value: object) -> np.generic:
        if _is_zero(value):
            return np.bytes_(b"")
        data: bytes | None = None
        if isinstance(value, bytes | bytearray | memoryview):
            data = bytes(value)
        elif isinstance(value, str | numbers.Number) and not isinstance(value, bool):
            # numpy's str -> S conversion: ASCII only.
            try:
                data = str(value).encode("ascii")
            except UnicodeEncodeError:
                data = None
        if data is None:
            raise ZarrcError(f"fill value {value!r} does not fit data type {self.name!r}")
        return np.bytes_(data[: self.length])


# --------------------------------------------------------------------------------------
# fixed-length UTF-32
# --------------------------------------------------------------------------------------
@register_data_type
@dataclass(frozen=True, repr=False, eq=False)
class FixedLengthUTF32DataType(DataType):
    """Fixed-length text, numpy ``U<n>``: n UTF-32 code units, NUL padded."""

    json_names: ClassVar[tuple[str, ...]] = ("fixed_length_utf32",)

    @property
    def length(self) -> int:
        """Code points per element."""
        return self.dtype.itemsize // 4

    @property
    def swap_unit(self) -> int:
        """4: each UTF-32 code unit has a byte order."""
        return 4

    def __repr__(self) -> str:
        return f"DataType({self.name!r}, length_bytes={self.dtype.itemsize})"

    def to_json(self) -> JSON:
        return {"name": self.name, "configuration": {"length_bytes": self.dtype.itemsize}}

    @classmethod
    def from_json(
        cls, name: str, configuration: Mapping[str, Any] | None, *, path: str | None
    ) -> DataType:
        length = _length_from_config(name, configuration, path, multiple=4)
        return cls(name, np.dtype(f"U{length // 4}"))

    @classmethod
    def from_numpy(cls, dtype: np.dtype) -> DataType | None:
        if dtype.kind != "U" or dtype.itemsize == 0:
            return None
        return cls("fixed_length_utf32", dtype.newbyteorder("="))

    def default_fill_value(self) -> np.generic:
        return np.str_("")

    def fill_from_json(self, value: JSON, *, path: str | None = None) -> np.generic:
        if not isinstance(value, str):
            raise fill_error(f"expected a string for data type {self.name!r}, got {value!r}", path)
        text = value.rstrip("\x00")
        if len(text) > self.length:
            raise fill_error(
                f"fill value {value!r} is longer than the {self.length} code points of data "
                f"type {self.name!r}",
                path,
            )
        return np.str_(text)

    def fill_to_json(self, value: np.generic) -> JSON:
        # str() of numpy text drops the NUL padding, as the JSON form requires.
        return str(value)[: self.length].rstrip("\x00")

    def fill_from_user(self, value: object) -> np.generic:
        if _is_zero(value):
            return np.str_("")
        text: str | None = None
        if isinstance(value, str):
            text = value
        elif isinstance(value, bytes):
            try:
                text = value.decode("ascii")
            except UnicodeDecodeError:
                text = None
        elif isinstance(value, numbers.Number) and not isinstance(value, bool):
            text = str(value)
        if text is None:
            raise ZarrcError(f"fill value {value!r} does not fit data type {self.name!r}")
        return np.str_(text[: self.length])


# --------------------------------------------------------------------------------------
# raw bytes
# --------------------------------------------------------------------------------------
def _bytes_from_int_list(value: Sequence[object], what: str, path: str | None) -> bytes:
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 255 for v in value):
        raise fill_error(
            f"expected a list of integers in [0, 255] for data type {what!r}, got {value!r}",
            path,
        )
    return bytes(value)  # type: ignore[arg-type]


@register_data_type
@dataclass(frozen=True, repr=False, eq=False)
class RawBytesDataType(DataType):
    """Opaque fixed-size elements, numpy ``V<n>``.

    ``raw_bytes`` (zarr-python) writes fill values in base64; ``r<8n>`` (the
    core specification) as a list of byte values.  Either form is read for
    either name.
    """

    json_names: ClassVar[tuple[str, ...]] = ("raw_bytes",)
    json_name_patterns: ClassVar[tuple[str, ...]] = (_RAW_BITS_RE,)
    json_name_help: ClassVar[str] = "r<bits>"

    @property
    def length(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    @property
    def is_raw_bits(self) -> bool:
        """Whether the type is named ``r<bits>``."""
        return self.name != "raw_bytes"

    def __repr__(self) -> str:
        if self.is_raw_bits:
            return f"DataType({self.name!r})"
        return f"DataType({self.name!r}, length_bytes={self.length})"

    def to_json(self) -> JSON:
        if self.is_raw_bits:
            return self.name
        return {"name": self.name, "configuration": {"length_bytes": self.length}}

    @classmethod
    def from_json(
        cls, name: str, configuration: Mapping[str, Any] | None, *, path: str | None
    ) -> DataType:
        if name == "raw_bytes":
            return cls(name, np.dtype(f"V{_length_from_config(name, configuration, path)}"))
        if configuration:
            raise type_error(
                f"data type {name!r} takes no configuration, got {dict(configuration)!r}", path
            )
        if not re.fullmatch(_RAW_BITS_RE, name):
            raise type_error(f"unknown data type {name!r}", path)
        bits = int(name[1:])
        if bits % 8 or bits // 8 > _MAX_LENGTH:
            raise type_error(f"data type {name!r}: raw bits must be a positive multiple of 8", path)
        return cls(name, np.dtype(f"V{bits // 8}"))

    @classmethod
    def from_numpy(cls, dtype: np.dtype) -> DataType | None:
        if dtype.kind != "V" or dtype.fields is not None or dtype.subdtype is not None:
            return None
        if dtype.itemsize == 0:
            return None
        return cls("raw_bytes", dtype)

    def _scalar(self, data: bytes) -> np.generic:
        return np.frombuffer(data, dtype=self.dtype).copy()[0]

    def default_fill_value(self) -> np.generic:
        return self._scalar(bytes(self.length))

    def fill_from_json(self, value: JSON, *, path: str | None = None) -> np.generic:
        if isinstance(value, list):
            data = _bytes_from_int_list(value, self.name, path)
        else:
            data = decode_base64(value, self.name, path)
        if len(data) != self.length:
            raise fill_error(
                f"fill value of {len(data)} bytes for data type {self.name!r} of "
                f"{self.length} bytes",
                path,
            )
        return self._scalar(data)

    def fill_to_json(self, value: np.generic) -> JSON:
        data = np.asarray(value, dtype=self.dtype).tobytes()
        if self.is_raw_bits:
            return list(data)
        return encode_base64(data)

    def fill_from_user(self, value: object) -> np.generic:
        if _is_zero(value):
            return self.default_fill_value()
        data: bytes | None = None
        if isinstance(value, np.void) and value.dtype.fields is None:
            data = value.tobytes()
        elif isinstance(value, bytes | bytearray | memoryview):
            data = bytes(value)
        elif isinstance(value, list | tuple):
            try:
                data = _bytes_from_int_list(value, self.name, None)
            except MetadataError:
                data = None
        if data is None or len(data) > self.length:
            raise ZarrcError(f"fill value {value!r} does not fit data type {self.name!r}")
        # Shorter values are padded with zero bytes, as numpy does.
        return self._scalar(data.ljust(self.length, b"\x00"))
