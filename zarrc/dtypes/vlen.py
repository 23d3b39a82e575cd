"""Variable-length types: ``string`` (UTF-8 text) and ``variable_length_bytes``.

Their elements have no fixed size, so they are stored by variable-length
codecs (``vlen-utf8``, ``vlen-bytes``) rather than ``bytes``.  In memory,
strings are numpy ``StringDType`` arrays on numpy 2 (what zarr-python 3 returns)
and object arrays of ``str`` on numpy 1; byte strings are object arrays of
``bytes``.  Fill values are ``numpy.str_`` / ``numpy.bytes_`` scalars.

``variable_length_bytes`` is what zarr-python writes; the zarr-extensions name
``bytes`` is read too and written back as read.  Its fill value is base64 in
JSON; the extensions' list-of-byte-values form is read as well.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from zarrc.dtypes.base import (
    JSON,
    DataType,
    fill_error,
    register_data_type,
    register_instance,
)
from zarrc.dtypes.bytes import _bytes_from_int_list, decode_base64, encode_base64
from zarrc.errors import ZarrcError

__all__ = ["STRING_DTYPE", "StringDataType", "VariableLengthBytesDataType"]

_StringDType = getattr(getattr(np, "dtypes", None), "StringDType", None)
#: The numpy dtype of variable-length strings in memory.
STRING_DTYPE: np.dtype = np.dtype(_StringDType()) if _StringDType is not None else np.dtype("O")


def _is_zero(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value == 0


@dataclass(frozen=True, repr=False, eq=False)
class _VariableLength(DataType):
    @property
    def is_fixed_size(self) -> bool:
        """False: elements are stored by a variable-length codec."""
        return False

    @property
    def swap_unit(self) -> int:
        """-1: elements are not raw items of ``itemsize`` bytes."""
        return -1


@register_data_type
@dataclass(frozen=True, repr=False, eq=False)
class StringDataType(_VariableLength):
    """Variable-length UTF-8 strings (JSON name ``string``)."""

    json_names: ClassVar[tuple[str, ...]] = ("string",)

    @property
    def object_codec_id(self) -> str:
        """``"vlen-utf8"``."""
        return "vlen-utf8"

    @classmethod
    def from_numpy(cls, dtype: np.dtype) -> DataType | None:
        if _StringDType is None or not isinstance(dtype, _StringDType):
            return None
        if hasattr(dtype, "na_object"):
            raise ZarrcError(
                f"{dtype!r} has an na_object, which the Zarr 'string' type cannot store; "
                "use numpy.dtypes.StringDType()"
            )
        return _STRING

    def default_fill_value(self) -> np.generic:
        return np.str_("")

    def fill_from_json(self, value: JSON, *, path: str | None = None) -> np.generic:
        if isinstance(value, str):
            return np.str_(value)
        # Numbers are read as their text, as zarr-python does for old documents.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return np.str_(str(value))
        raise fill_error(f"expected a string for data type {self.name!r}, got {value!r}", path)

    def fill_to_json(self, value: np.generic) -> JSON:
        return str(value)

    def fill_from_user(self, value: object) -> np.generic:
        if isinstance(value, str):
            return np.str_(value)
        if _is_zero(value):
            return np.str_("")
        if isinstance(value, bytes):
            try:
                return np.str_(value.decode("utf-8"))
            except UnicodeDecodeError:
                pass
        elif isinstance(value, numbers.Number) and not isinstance(value, bool | np.bool_):
            return np.str_(str(value))
        raise ZarrcError(f"fill value {value!r} does not fit data type {self.name!r}")


@register_data_type
@dataclass(frozen=True, repr=False, eq=False)
class VariableLengthBytesDataType(_VariableLength):
    """Variable-length byte strings (JSON name ``variable_length_bytes``, or ``bytes``)."""

    json_names: ClassVar[tuple[str, ...]] = ("variable_length_bytes", "bytes")

    @property
    def object_codec_id(self) -> str:
        """``"vlen-bytes"``."""
        return "vlen-bytes"

    @classmethod
    def from_numpy(cls, dtype: np.dtype) -> DataType | None:
        # An object dtype alone is ambiguous; data_type_from_numpy asks for the codec.
        return None

    def default_fill_value(self) -> np.generic:
        return np.bytes_(b"")

    def fill_from_json(self, value: JSON, *, path: str | None = None) -> np.generic:
        if isinstance(value, list):
            return np.bytes_(_bytes_from_int_list(value, self.name, path))
        return np.bytes_(decode_base64(value, self.name, path))

    def fill_to_json(self, value: np.generic) -> JSON:
        return encode_base64(bytes(value))

    def fill_from_user(self, value: object) -> np.generic:
        if isinstance(value, bytes | bytearray | memoryview):
            return np.bytes_(bytes(value))
        if isinstance(value, str):
            return np.bytes_(value.encode("utf-8"))
        if _is_zero(value):
            return np.bytes_(b"")
        raise ZarrcError(f"fill value {value!r} does not fit data type {self.name!r}")


_STRING = register_instance(StringDataType("string", STRING_DTYPE))
_BYTES = register_instance(VariableLengthBytesDataType("variable_length_bytes", np.dtype("O")))
register_instance(VariableLengthBytesDataType("bytes", np.dtype("O")))
