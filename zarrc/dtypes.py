"""Zarr data types: names, numpy dtypes and fill-value (de)serialisation.

A :class:`DataType` pairs the Zarr v3 JSON name of a data type (``"int16"``)
with the numpy dtype used in memory, always in native byte order: in Zarr v3
the byte order of stored chunks belongs to the ``bytes`` codec, not the type.

Each family of types is a subclass of :class:`DataType` that knows how to read
and write its fill values.  Families register themselves in a registry keyed
by their JSON names, so further families (datetimes, strings, structured
types) slot in by subclassing and calling :func:`register_data_type`.
"""

from __future__ import annotations

import functools
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zarrc.errors import MetadataError, ZarrcError

__all__ = [
    "BoolDataType",
    "ComplexDataType",
    "DataType",
    "FloatDataType",
    "IntDataType",
    "data_type_from_numpy",
    "encode_fill_value",
    "normalize_fill_value",
    "parse_data_type",
    "parse_fill_value",
    "register_data_type",
    "registered_data_type_names",
]

JSON = Any

_HEX_RE = re.compile(r"0x[0-9a-fA-F]+\Z")
_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
# The bit pattern the spec assigns to the string "NaN": sign 0, quiet bit set, payload 0.
_CANONICAL_NAN_BITS = {2: 0x7E00, 4: 0x7FC00000, 8: 0x7FF8000000000000}


def _is_json_number(value: object) -> bool:
    # bool is an int subclass in Python but never a number in JSON.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fill_error(message: str, path: str | None) -> MetadataError:
    return MetadataError(message, path=path, field="fill_value")


@dataclass(frozen=True, eq=False)
class DataType:
    """A Zarr data type.

    Instances normally come from :func:`parse_data_type` or
    :func:`data_type_from_numpy`, which return the subclass of the type's
    family; a plain ``DataType(name, dtype)`` delegates to that family and
    compares equal to it.

    Parameters
    ----------
    name : str
        The Zarr v3 JSON name, e.g. ``"int16"``.
    dtype : numpy.dtype
        The in-memory numpy dtype; converted to native byte order.
    """

    name: str
    dtype: np.dtype

    #: JSON names this class answers to; filled in by each registered family.
    json_names: ClassVar[tuple[str, ...]] = ()

    def __post_init__(self) -> None:
        dtype = np.dtype(self.dtype)
        if not dtype.isnative:
            dtype = dtype.newbyteorder("=")
        object.__setattr__(self, "dtype", dtype)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataType):
            return NotImplemented
        return self.name == other.name and self.dtype == other.dtype

    def __hash__(self) -> int:
        return hash((self.name, self.dtype))

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    def __repr__(self) -> str:
        return f"DataType({self.name!r})"

    def _family(self) -> DataType:
        # The registered instance that implements this type's behaviour.
        found = _INSTANCES.get(self.name)
        if found is None or type(found) is DataType or found.dtype != self.dtype:
            raise ZarrcError(f"no data type family implements {self.name!r} with {self.dtype}")
        return found

    # -- type JSON ---------------------------------------------------------------
    def to_json(self) -> JSON:
        """The value of ``data_type`` in ``zarr.json``."""
        return self.name

    @classmethod
    def from_json(
        cls, name: str, configuration: Mapping[str, Any] | None, *, path: str | None
    ) -> DataType:
        """Build the type named ``name`` (one of ``json_names``) from its JSON form."""
        if configuration:
            raise MetadataError(
                f"data type {name!r} takes no configuration, got {dict(configuration)!r}",
                path=path,
                field="data_type",
            )
        return cls._from_name(name)

    @classmethod
    def from_numpy(cls, dtype: np.dtype) -> DataType | None:
        """The type of this family matching ``dtype``, or ``None`` if it is not one."""
        return None

    @classmethod
    def _from_name(cls, name: str) -> DataType:
        return cls(name, np.dtype(name))

    # -- fill values ---------------------------------------------------------------
    def default_fill_value(self) -> np.generic:
        """The fill value used when none is given (zero of the type)."""
        return self.dtype.type(0)

    def fill_from_json(self, value: JSON, *, path: str | None = None) -> np.generic:
        """Decode a JSON fill value; raise ``MetadataError`` if it is invalid."""
        return self._family().fill_from_json(value, path=path)

    def fill_to_json(self, value: np.generic) -> JSON:
        """Encode a fill value as JSON."""
        return self._family().fill_to_json(value)

    def fill_from_user(self, value: object) -> np.generic:
        """Convert a user-supplied fill value; raise ``ZarrcError`` if it does not fit."""
        return self._family().fill_from_user(value)


# --------------------------------------------------------------------------------------
# registry
# --------------------------------------------------------------------------------------
_BY_NAME: dict[str, type[DataType]] = {}
_FAMILIES: list[type[DataType]] = []


def register_data_type(cls: type[DataType]) -> type[DataType]:
    """Register a data type family under each of its ``json_names``.

    Usable as a class decorator.  A later registration of a name replaces an
    earlier one.
    """
    for name in cls.json_names:
        _BY_NAME[name] = cls
    if cls not in _FAMILIES:
        _FAMILIES.append(cls)
    return cls


def registered_data_type_names() -> tuple[str, ...]:
    """The JSON names of every registered data type, in registration order."""
    return tuple(_BY_NAME)


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


_BOOL = BoolDataType("bool", np.dtype(np.bool_))


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
            return _INSTANCES[f"{prefix}{dtype.itemsize * 8}"]
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
            return _INSTANCES[f"float{dtype.itemsize * 8}"]
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
            return _INSTANCES[f"complex{dtype.itemsize * 8}"]
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


_INSTANCES: dict[str, DataType] = {"bool": _BOOL}
for _cls in (IntDataType, FloatDataType, ComplexDataType):
    for _name in _cls.json_names:
        _INSTANCES[_name] = _cls(_name, np.dtype(_name))
del _cls, _name


# --------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------
def parse_data_type(value: object, *, path: str | None = None) -> DataType:
    """Parse the ``data_type`` field of a Zarr v3 array.

    Parameters
    ----------
    value : object
        The JSON value: a type name such as ``"int16"``, or an object
        ``{"name": ..., "configuration": {...}}``.
    path : str, optional
        The document name, used in error messages.

    Returns
    -------
    DataType

    Raises
    ------
    MetadataError
        If the value is malformed or names an unknown data type (``field="data_type"``).
    """
    configuration: Mapping[str, Any] | None = None
    if isinstance(value, str):
        name = value
    elif isinstance(value, dict):
        name = value.get("name")
        unknown = set(value) - {"name", "configuration"}
        if not isinstance(name, str) or unknown:
            raise MetadataError(
                f"data type must be a name or an object with 'name' and 'configuration', "
                f"got {value!r}",
                path=path,
                field="data_type",
            )
        configuration = value.get("configuration")
        if configuration is not None and not isinstance(configuration, dict):
            raise MetadataError(
                f"data type configuration must be an object, got {configuration!r}",
                path=path,
                field="data_type",
            )
    else:
        raise MetadataError(
            f"data type must be a string or an object, got {value!r}", path=path, field="data_type"
        )
    family = _BY_NAME.get(name)
    if family is None:
        raise MetadataError(
            f"unknown data type {name!r}; supported: {', '.join(_BY_NAME)}",
            path=path,
            field="data_type",
        )
    if configuration is None and name in _INSTANCES:
        return _INSTANCES[name]
    return family.from_json(name, configuration, path=path)


def data_type_from_numpy(dtype_like: object) -> DataType:
    """The Zarr data type of a numpy dtype or anything ``numpy.dtype`` accepts.

    Byte order is dropped: in Zarr v3 it is set by the ``bytes`` codec.

    Parameters
    ----------
    dtype_like : object
        A ``numpy.dtype``, a numpy scalar type, a string such as ``"int16"``,
        ``"<i2"`` or ``">f8"``, a Python ``bool``/``int``/``float``/``complex``,
        or a :class:`DataType`.

    Returns
    -------
    DataType

    Raises
    ------
    ZarrcError
        (a ``ValueError``) if the dtype is not a supported Zarr data type.
    """
    if isinstance(dtype_like, DataType):
        return dtype_like
    if isinstance(dtype_like, str) and dtype_like in _INSTANCES:
        return _INSTANCES[dtype_like]
    if dtype_like is None:
        raise ZarrcError("a data type is required, got None")
    to_native = getattr(dtype_like, "to_native_dtype", None)
    if callable(to_native) and not isinstance(dtype_like, np.dtype | type):
        # Data type objects of zarr-python and similar libraries.
        dtype_like = to_native()
    try:
        dtype = np.dtype(dtype_like)  # type: ignore[call-overload]
    except (TypeError, ValueError) as exc:
        raise ZarrcError(f"not a data type: {dtype_like!r}") from exc
    if dtype.fields is None and dtype.subdtype is None:
        for family in _FAMILIES:
            found = family.from_numpy(dtype)
            if found is not None:
                return found
    raise ZarrcError(
        f"unsupported data type {dtype_like!r} (numpy {dtype.str!r}); "
        f"supported: {', '.join(_BY_NAME)}"
    )


def parse_fill_value(value: object, dt: DataType, *, path: str | None = None) -> np.generic:
    """Decode the JSON ``fill_value`` of an array of type ``dt``.

    Parameters
    ----------
    value : object
        The decoded JSON value.
    dt : DataType
        The array's data type.
    path : str, optional
        The document name, used in error messages.

    Returns
    -------
    numpy.generic
        A scalar of ``dt.dtype``; NaN payloads given as hex are kept bit for bit.

    Raises
    ------
    MetadataError
        If the value does not fit the type (``field="fill_value"``).
    """
    return dt.fill_from_json(value, path=path)


def encode_fill_value(value: np.generic, dt: DataType) -> JSON:
    """Encode a fill value of type ``dt`` as JSON.

    Parameters
    ----------
    value : numpy.generic
        The fill value.
    dt : DataType
        The array's data type.

    Returns
    -------
    object
        ``true``/``false`` for bool, an int for integers; for floats a number,
        ``"NaN"``, ``"Infinity"``, ``"-Infinity"``, or a hex bit pattern for a
        NaN other than the canonical one; ``[real, imag]`` for complex.
    """
    if not isinstance(value, np.generic) or value.dtype != dt.dtype:
        value = dt.fill_from_user(value)
    return dt.fill_to_json(value)


def normalize_fill_value(value: object | None, dt: DataType) -> np.generic:
    """Convert a fill value given by a user at array creation.

    Parameters
    ----------
    value : object or None
        A Python or numpy scalar (or, for complex types, a pair); ``None``
        selects the type's default (zero, ``False``).
    dt : DataType
        The array's data type.

    Returns
    -------
    numpy.generic
        A scalar of ``dt.dtype``.

    Raises
    ------
    ZarrcError
        (a ``ValueError``) if the value does not fit the type.
    """
    if value is None:
        return dt.default_fill_value()
    if isinstance(value, np.ndarray):
        if value.ndim != 0:
            raise ZarrcError(f"fill value must be a scalar, got an array of shape {value.shape}")
        value = value[()]
    if isinstance(value, np.generic) and value.dtype == dt.dtype:
        return value
    return dt.fill_from_user(value)
