"""The data type interface, the registry of data type families, and the public functions.

:mod:`zarrc.dtypes` is the public face of this module: importing it registers
every built-in family.  Family modules (``zarrc.dtypes_*``) import from here
only, so that they can build on one another (a ``struct`` has fields of any
other family) without import cycles.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zarrc.errors import MetadataError, ZarrcError

__all__ = [
    "DataType",
    "data_type_from_numpy",
    "encode_fill_value",
    "normalize_fill_value",
    "parse_data_type",
    "parse_fill_value",
    "register_data_type",
    "registered_data_type_names",
]

JSON = Any

#: Codec ids that say which variable-length type a numpy object array holds.
OBJECT_CODEC_IDS = ("vlen-utf8", "vlen-bytes")
# Names zarr-python accepts for variable-length strings besides the JSON name.
_STRING_ALIASES = ("str", "string")


def is_json_number(value: object) -> bool:
    """Whether ``value`` is a JSON number (bool is an int in Python, never in JSON)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def fill_error(message: str, path: str | None) -> MetadataError:
    """A ``MetadataError`` about the ``fill_value`` field."""
    return MetadataError(message, path=path, field="fill_value")


def type_error(message: str, path: str | None) -> MetadataError:
    """A ``MetadataError`` about the ``data_type`` field."""
    return MetadataError(message, path=path, field="data_type")


def check_configuration(
    name: str, configuration: Mapping[str, Any] | None, keys: tuple[str, ...], path: str | None
) -> Mapping[str, Any]:
    """The configuration of ``name``, which must have exactly ``keys``."""
    if configuration is None:
        raise type_error(f"data type {name!r} requires a configuration", path)
    if set(configuration) != set(keys):
        raise type_error(
            f"the configuration of data type {name!r} must have exactly the keys "
            f"{list(keys)}, got {sorted(configuration)}",
            path,
        )
    return configuration


def check_json_int(
    value: object, what: str, low: int, high: int, path: str | None, field: str = "data_type"
) -> int:
    """``value`` if it is a JSON integer in ``[low, high]``; else a ``MetadataError``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MetadataError(
            f"{what} must be an integer in [{low}, {high}], got {value!r}", path=path, field=field
        )
    return value


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
    #: Regular expressions of further JSON names (e.g. ``r16``), matched in full.
    json_name_patterns: ClassVar[tuple[str, ...]] = ()
    #: How error messages describe the names matched by ``json_name_patterns``.
    json_name_help: ClassVar[str] = ""

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
        """Bytes per element (of the in-memory numpy dtype)."""
        return self.dtype.itemsize

    def __repr__(self) -> str:
        return f"DataType({self.name!r})"

    def _family(self) -> DataType:
        # The registered instance that implements this type's behaviour.
        found = _INSTANCES.get(self.name)
        if found is None:
            cls = family_class(self.name)
            if cls is not None and cls is not DataType:
                try:
                    found = cls.from_numpy(self.dtype)
                except ZarrcError:
                    found = None
        if (
            found is None
            or type(found) is DataType
            or found.dtype != self.dtype
            or found.name != self.name
        ):
            raise ZarrcError(f"no data type family implements {self.name!r} with {self.dtype}")
        return found

    # -- layout --------------------------------------------------------------------
    @property
    def is_fixed_size(self) -> bool:
        """Whether every element has the same size (``itemsize`` bytes) when stored."""
        if type(self) is DataType:
            return self._family().is_fixed_size
        return True

    @property
    def swap_unit(self) -> int:
        """The unit in bytes in which an element's bytes are reversed to change byte order.

        0 for types without a byte order (1-byte scalars, raw and null-terminated
        bytes), ``itemsize`` for multi-byte integers, floats and times, half of it
        for complex numbers, 4 for UTF-32 text.  -1 when the element cannot be
        handled as ``itemsize`` raw bytes: structured types with multi-byte fields
        (swapped field by field) and variable-length types.
        """
        if type(self) is DataType:
            return self._family().swap_unit
        dtype = self.dtype
        if dtype.byteorder == "|" or dtype.itemsize <= 1:
            return 0
        if dtype.kind == "c":
            return dtype.itemsize // 2
        return dtype.itemsize

    @property
    def object_codec_id(self) -> str | None:
        """For types held in numpy object arrays, the codec that stores them (v2 filters)."""
        if type(self) is DataType:
            return self._family().object_codec_id
        return None

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
        found = _INSTANCES.get(name)
        return found if found is not None else cls._from_name(name)

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
        if type(self) is DataType:
            return self._family().default_fill_value()
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
_PATTERNS: dict[str, tuple[re.Pattern[str], type[DataType]]] = {}
_FAMILIES: list[type[DataType]] = []
#: Ready-made instances of the types without parameters, by JSON name.
_INSTANCES: dict[str, DataType] = {}


def register_data_type(cls: type[DataType]) -> type[DataType]:
    """Register a data type family under each of its ``json_names`` and name patterns.

    Usable as a class decorator.  A later registration of a name replaces an
    earlier one.
    """
    for name in cls.json_names:
        _BY_NAME[name] = cls
    for pattern in cls.json_name_patterns:
        _PATTERNS[pattern] = (re.compile(pattern), cls)
    if cls not in _FAMILIES:
        _FAMILIES.append(cls)
    return cls


def register_instance(dt: DataType) -> DataType:
    """Make ``dt`` the shared instance returned for its (parameterless) JSON name."""
    _INSTANCES[dt.name] = dt
    return dt


def registered_data_type_names() -> tuple[str, ...]:
    """The JSON names of every registered data type, in registration order.

    Families named by a pattern (``r8``, ``r16``, ...) are not listed.
    """
    return tuple(_BY_NAME)


def family_class(name: str) -> type[DataType] | None:
    """The family registered for the JSON name ``name``, or ``None``."""
    cls = _BY_NAME.get(name)
    if cls is None:
        for regex, pattern_cls in _PATTERNS.values():
            if regex.fullmatch(name):
                return pattern_cls
    return cls


def _supported() -> str:
    helps = {cls.json_name_help for _, cls in _PATTERNS.values() if cls.json_name_help}
    return ", ".join([*_BY_NAME, *sorted(helps)])


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
        found = _INSTANCES.get(name)
        if found is not None:
            return found
    elif isinstance(value, dict):
        name = value.get("name")
        unknown = set(value) - {"name", "configuration"}
        if not isinstance(name, str) or unknown:
            raise type_error(
                f"data type must be a name or an object with 'name' and 'configuration', "
                f"got {value!r}",
                path,
            )
        configuration = value.get("configuration")
        if configuration is not None and not isinstance(configuration, dict):
            raise type_error(
                f"data type configuration must be an object, got {configuration!r}", path
            )
    else:
        raise type_error(f"data type must be a string or an object, got {value!r}", path)
    family = family_class(name)
    if family is None:
        raise type_error(f"unknown data type {name!r}; supported: {_supported()}", path)
    if configuration is None and name in _INSTANCES:
        return _INSTANCES[name]
    return family.from_json(name, configuration, path=path)


def _from_zarr_python(dtype_like: Any) -> DataType | None:
    """The type of a zarr-python data type object, through its v3 JSON."""
    to_json = getattr(dtype_like, "to_json", None)
    if not callable(to_json):
        return None
    try:
        with warnings.catch_warnings():
            # zarr-python warns that some v3 types have no final specification yet.
            warnings.simplefilter("ignore")
            as_json = to_json(zarr_format=3)
    except Exception:
        return None
    try:
        return parse_data_type(as_json)
    except MetadataError:
        return None


def data_type_from_numpy(dtype_like: object, *, object_codec_id: str | None = None) -> DataType:
    """The Zarr data type of a numpy dtype or anything ``numpy.dtype`` accepts.

    Byte order is dropped: in Zarr v3 it is set by the ``bytes`` codec.

    Parameters
    ----------
    dtype_like : object
        A ``numpy.dtype``, a numpy scalar type, a string such as ``"int16"``,
        ``"<i2"``, ``">M8[10s]"`` or ``"S5"``, a Python ``bool``/``int``/
        ``float``/``complex``/``str`` (``str`` and ``"string"`` mean
        variable-length strings), a v3 JSON data type (a name or a
        ``{"name": ..., "configuration": ...}`` dict), a zarr-python data type
        object, or a :class:`DataType`.
    object_codec_id : {"vlen-utf8", "vlen-bytes"}, optional
        What a numpy object dtype holds: the Zarr v2 ``filters`` entry of an
        ``|O`` array.  Required for object dtypes, which are otherwise ambiguous.

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
    if isinstance(dtype_like, str):
        found = _INSTANCES.get(dtype_like)
        if found is not None:
            return found
        if dtype_like in _STRING_ALIASES:
            return _INSTANCES["string"]
        if family_class(dtype_like) is not None:
            try:
                return parse_data_type(dtype_like)
            except MetadataError:
                pass
    if dtype_like is str:
        return _INSTANCES["string"]
    if dtype_like is None:
        raise ZarrcError("a data type is required, got None")
    if isinstance(dtype_like, dict):
        try:
            return parse_data_type(dtype_like)
        except MetadataError as exc:
            raise ZarrcError(str(exc)) from None
    if not isinstance(dtype_like, np.dtype | type):
        found = _from_zarr_python(dtype_like)
        if found is not None:
            return found
        to_native = getattr(dtype_like, "to_native_dtype", None)
        if callable(to_native):
            dtype_like = to_native()
    try:
        dtype = np.dtype(dtype_like)  # type: ignore[call-overload]
    except (TypeError, ValueError) as exc:
        raise ZarrcError(f"not a data type: {dtype_like!r}") from exc
    return _from_dtype(dtype, dtype_like, object_codec_id)


def _from_dtype(dtype: np.dtype, dtype_like: object, object_codec_id: str | None) -> DataType:
    if dtype.kind == "O":
        if object_codec_id == "vlen-utf8":
            return _INSTANCES["string"]
        if object_codec_id == "vlen-bytes":
            return _INSTANCES["variable_length_bytes"]
        raise ZarrcError(
            "a numpy object dtype is ambiguous: use the data type 'string' (str) for "
            "variable-length text or 'variable_length_bytes' for variable-length bytes"
            + ("" if object_codec_id is None else f" (unknown object codec {object_codec_id!r})")
        )
    if dtype.subdtype is None:
        for family in _FAMILIES:
            found = family.from_numpy(dtype)
            if found is not None:
                return found
    raise ZarrcError(
        f"unsupported data type {dtype_like!r} (numpy {dtype.str!r}); supported: {_supported()}"
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
        A numpy scalar: of ``dt.dtype`` for numeric, time, raw and structured
        types (NaN payloads given as hex are kept bit for bit), ``numpy.bytes_``
        for fixed- and variable-length bytes, ``numpy.str_`` for text.

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
        The JSON form zarr-python writes: ``true``/``false`` for bool, an int for
        integers and times (NaT is -2**63); for floats a number, ``"NaN"``,
        ``"Infinity"``, ``"-Infinity"``, or a hex bit pattern for a NaN other
        than the canonical one; ``[real, imag]`` for complex; a string for text;
        base64 for bytes; a field object (``struct``) or base64 (``structured``).
    """
    if not isinstance(value, np.generic) or value.dtype != dt.dtype:
        value = dt.fill_from_user(value)
    return dt.fill_to_json(value)


def normalize_fill_value(value: object | None, dt: DataType) -> np.generic:
    """Convert a fill value given by a user at array creation.

    Parameters
    ----------
    value : object or None
        A Python or numpy scalar (or, for complex types, a pair; for structured
        types a tuple or a dict of field values); ``None`` selects the type's
        default (zero, ``False``, NaT for times, empty for text and bytes).
    dt : DataType
        The array's data type.

    Returns
    -------
    numpy.generic
        A numpy scalar (see :func:`parse_fill_value`).

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
