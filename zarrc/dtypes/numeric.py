"""The numeric data types: ``bool``, integers, IEEE 754 floats and complex numbers."""

from __future__ import annotations

import functools
import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from zarrc.dtypes.base import (
    JSON,
    DataType,
    register_data_type,
    register_instance,
)
from zarrc.dtypes.base import fill_error as _fill_error
from zarrc.dtypes.base import is_json_number as _is_json_number
from zarrc.errors import MetadataError, ZarrcError

__all__ = ["BoolDataType", "ComplexDataType", "FloatDataType", "IntDataType"]

_HEX_RE = re.compile(r"0x[0-9a-fA-F]+\Z")
_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
# The bit pattern the spec assigns to the string "NaN": sign 0, quiet bit set, payload 0.
_CANONICAL_NAN_BITS = {2: 0x7E00, 4: 0x7FC00000, 8: 0x7FF8000000000000}


# --------------------------------------------------------------------------------------
# bool
# --------------------------------------------------------------------------------------
@register_data_type
@dataclass(frozen=True, repr=False, eq=False)
class BoolDataType(DataType):
    """The ``bool`` type; fill values are JSON booleans."""

    json_names: ClassVar[tuple[str, ...]] = ("bool",)

    @classmethod
    def from_numpy(cls, dtype: np.dtype) -> DataType | None:
        return _BOOL if dtype.kind == "b" else None

    def fill_from_json(self, value: JSON, *, path: str | None = None) -> np.generic:
        if isinstance(value, bool):
            return np.bool_(value)
        raise _fill_error(f"expected true or false for data type 'bool', got {value!r}", path)

    def fill_to_json(self, value: np.generic) -> JSON:
        return bool(value)

    def fill_from_user(self, value: object) -> np.generic:
        if isinstance(value, bool | np.bool_):
            return np.bool_(value)
        # fill_value=0 / 1 with a bool array is common and unambiguous.
        if isinstance(value, numbers.Real) and value in (0, 1):
            return np.bool_(value == 1)
        raise ZarrcError(f"fill value {value!r} does not fit data type 'bool'")


_BOOL = register_instance(BoolDataType("bool", np.dtype(np.bool_)))


# --------------------------------------------------------------------------------------
# integers
# --------------------------------------------------------------------------------------
@functools.cache
def _int_bounds(dtype: np.dtype) -> tuple[int, int]:
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


@register_data_type
@dataclass(frozen=True, repr=False, eq=False)
class IntDataType(DataType):
    """Signed and unsigned integers of 8 to 64 bits; fill values are JSON integers."""

    json_names: ClassVar[tuple[str, ...]] = (
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
    )

    @classmethod
    def from_numpy(cls, dtype: np.dtype) -> DataType | None:
        if dtype.kind in "iu" and dtype.itemsize in (1, 2, 4, 8):
            prefix = "int" if dtype.kind == "i" else "uint"
            return _NUMERIC[f"{prefix}{dtype.itemsize * 8}"]
        return None

    def _check_range(self, number: int) -> np.generic | None:
        low, high = _int_bounds(self.dtype)
        if low <= number <= high:
            return self.dtype.type(number)
        return None

    def fill_from_json(self, value: JSON, *, path: str | None = None) -> np.generic:
        if isinstance(value, bool) or not _is_json_number(value):
            raise _fill_error(
                f"expected an integer for data type {self.name!r}, got {value!r}", path
            )
        if isinstance(value, float):
            # 5.0 is the same JSON number as 5; 5.5 is not an integer.
            if not (math.isfinite(value) and value.is_integer()):
                raise _fill_error(
                    f"expected an integer for data type {self.name!r}, got {value!r}", path
                )
            value = int(value)
        result = self._check_range(value)
        if result is None:
            raise _fill_error(f"{value} is out of range for data type {self.name!r}", path)
        return result

    def fill_to_json(self, value: np.generic) -> JSON:
        return int(value)

    def fill_from_user(self, value: object) -> np.generic:
        number: int | None = None
        if isinstance(value, bool | np.bool_ | numbers.Integral):
            number = int(value)
        elif isinstance(value, numbers.Real):
            as_float = float(value)
            if math.isfinite(as_float) and as_float.is_integer():
                number = int(as_float)
        elif isinstance(value, str):
            try:
                number = int(value)
            except ValueError:
                number = None
        if number is not None:
            result = self._check_range(number)
            if result is not None:
                return result
        raise ZarrcError(f"fill value {value!r} does not fit data type {self.name!r}")


# --------------------------------------------------------------------------------------
# floats
# --------------------------------------------------------------------------------------
def _uint_of(itemsize: int) -> np.dtype:
    return np.dtype(f"u{itemsize}")


def _float_from_bits(bits: int, dtype: np.dtype) -> np.generic:
    # A view keeps every bit, including signalling-NaN payloads.
    return np.array(bits, dtype=_uint_of(dtype.itemsize)).view(dtype)[()]


def _float_bits(value: np.generic) -> int:
    return int(np.asarray(value).view(_uint_of(value.dtype.itemsize))[()])


def _cast_real(number: float, dtype: np.dtype) -> np.generic | None:
    """``number`` as ``dtype``, or ``None`` if a finite number overflows it."""
    with np.errstate(over="ignore"):
        result = dtype.type(number)
    if math.isfinite(number) and not np.isfinite(result):
        return None
    return result


def _float_from_json(value: JSON, dtype: np.dtype, what: str, path: str | None) -> np.generic:
    """Decode one JSON float (number, special string or hex bit pattern) as ``dtype``."""
    if _is_json_number(value):
        try:
            number = float(value)
        except OverflowError:
            number = None
        result = None if number is None else _cast_real(number, dtype)
        if result is None:
            raise _fill_error(f"{value!r} is out of range for data type {what!r}", path)
        return result
    if isinstance(value, str):
        if value == "NaN":
            return _float_from_bits(_CANONICAL_NAN_BITS[dtype.itemsize], dtype)
        if value in _SPECIAL_FLOATS:
            return dtype.type(_SPECIAL_FLOATS[value])
        if _HEX_RE.match(value):
            digits = len(value) - 2
            if digits == 2 * dtype.itemsize:
                return _float_from_bits(int(value, 0), dtype)
            if digits // 2 in _CANONICAL_NAN_BITS and digits % 2 == 0:
                # The bit pattern of another float width: take its value, as
                # zarr-python does.
                other = _float_from_bits(int(value, 0), np.dtype(f"f{digits // 2}"))
                converted = np.asarray(other).astype(dtype)[()]
                return converted
            raise _fill_error(
                f"hex fill value {value!r} for data type {what!r} must have "
                f"{2 * dtype.itemsize} hex digits",
                path,
            )
    raise _fill_error(
        f"expected a number, 'NaN', 'Infinity', '-Infinity' or a hex string for data type "
        f"{what!r}, got {value!r}",
        path,
    )


def _float_to_json(value: np.generic) -> JSON:
    if np.isnan(value):
        bits = _float_bits(value)
        if bits == _CANONICAL_NAN_BITS[value.dtype.itemsize]:
            return "NaN"
        # Any other NaN is written as its bit pattern so it reads back exactly.
        return f"0x{bits:0{2 * value.dtype.itemsize}x}"
    if np.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return float(value)


def _float_from_user(value: object, dtype: np.dtype, what: str) -> np.generic:
    result: np.generic | None = None
    if isinstance(value, np.floating):
        with np.errstate(over="ignore"):
            result = np.asarray(value).astype(dtype)[()]
        if np.isfinite(value) and not np.isfinite(result):
            result = None
    elif isinstance(value, bool | np.bool_ | numbers.Real):
        try:
            result = _cast_real(float(value), dtype)
        except OverflowError:
            result = None
    elif isinstance(value, str):
        if value in _SPECIAL_FLOATS or _HEX_RE.match(value):
            try:
                return _float_from_json(value, dtype, what, None)
            except MetadataError:
                result = None
        else:
            try:
                result = _cast_real(float(value), dtype)
            except ValueError:
                result = None
    if result is None:
        raise ZarrcError(f"fill value {value!r} does not fit data type {what!r}")
    return result


@register_data_type
@dataclass(frozen=True, repr=False, eq=False)
class FloatDataType(DataType):
    """IEEE 754 floats of 16, 32 and 64 bits.

    Fill values are JSON numbers, ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` or
    ``"0x..."``, the big-endian hex bit pattern of the value (the only way to
    write a NaN other than the canonical one).
    """

    json_names: ClassVar[tuple[str, ...]] = ("float16", "float32", "float64")

    @classmethod
    def from_numpy(cls, dtype: np.dtype) -> DataType | None:
        if dtype.kind == "f" and dtype.itemsize in (2, 4, 8):
            return _NUMERIC[f"float{dtype.itemsize * 8}"]
        return None

    def fill_from_json(self, value: JSON, *, path: str | None = None) -> np.generic:
        return _float_from_json(value, self.dtype, self.name, path)

    def fill_to_json(self, value: np.generic) -> JSON:
        return _float_to_json(self.dtype.type(value) if value.dtype != self.dtype else value)

    def fill_from_user(self, value: object) -> np.generic:
        return _float_from_user(value, self.dtype, self.name)


# --------------------------------------------------------------------------------------
# complex
# --------------------------------------------------------------------------------------
@register_data_type
@dataclass(frozen=True, repr=False, eq=False)
class ComplexDataType(DataType):
    """Complex numbers of two 32-bit or two 64-bit floats.

    A fill value is a two-element JSON list ``[real, imag]``, each element in
    any of the forms a float fill value may take.
    """

    json_names: ClassVar[tuple[str, ...]] = ("complex64", "complex128")

    @classmethod
    def from_numpy(cls, dtype: np.dtype) -> DataType | None:
        if dtype.kind == "c" and dtype.itemsize in (8, 16):
            return _NUMERIC[f"complex{dtype.itemsize * 8}"]
        return None

    @property
    def component_dtype(self) -> np.dtype:
        """The float dtype of the real and imaginary parts."""
        return np.dtype(f"f{self.itemsize // 2}")

    def _combine(self, real: np.generic, imag: np.generic) -> np.generic:
        parts = np.array([real, imag], dtype=self.component_dtype)
        return parts.view(self.dtype)[0]

    def fill_from_json(self, value: JSON, *, path: str | None = None) -> np.generic:
        if not isinstance(value, list) or len(value) != 2:
            raise _fill_error(
                f"expected a list [real, imag] for data type {self.name!r}, got {value!r}", path
            )
        comp = self.component_dtype
        real = _float_from_json(value[0], comp, self.name, path)
        imag = _float_from_json(value[1], comp, self.name, path)
        return self._combine(real, imag)

    def fill_to_json(self, value: np.generic) -> JSON:
        parts = np.asarray(value, dtype=self.dtype).reshape(1).view(self.component_dtype)
        return [_float_to_json(parts[0]), _float_to_json(parts[1])]

    def fill_from_user(self, value: object) -> np.generic:
        comp = self.component_dtype
        if isinstance(value, np.complexfloating):
            with np.errstate(over="ignore"):
                result = np.asarray(value).astype(self.dtype)[()]
            if np.isfinite(value) and not np.isfinite(result):
                raise ZarrcError(f"fill value {value!r} does not fit data type {self.name!r}")
            return result
        if isinstance(value, complex):
            return self._combine(
                _float_from_user(value.real, comp, self.name),
                _float_from_user(value.imag, comp, self.name),
            )
        if isinstance(value, Sequence) and not isinstance(value, str | bytes):
            if len(value) != 2:
                raise ZarrcError(
                    f"fill value {value!r} for data type {self.name!r} must be [real, imag]"
                )
            return self._combine(
                _float_from_user(value[0], comp, self.name),
                _float_from_user(value[1], comp, self.name),
            )
        if isinstance(value, str):
            try:
                parsed = complex(value)
            except ValueError as exc:
                raise ZarrcError(
                    f"fill value {value!r} does not fit data type {self.name!r}"
                ) from exc
            return self.fill_from_user(parsed)
        real = _float_from_user(value, comp, self.name)
        return self._combine(real, comp.type(0))


_NUMERIC: dict[str, DataType] = {"bool": _BOOL}
for _cls in (IntDataType, FloatDataType, ComplexDataType):
    for _name in _cls.json_names:
        _NUMERIC[_name] = register_instance(_cls(_name, np.dtype(_name)))
del _cls, _name
