"""Format 2 data types and fill values: ``.zarray`` typestrings and field lists
to numpy dtypes and back, and the v2 fill-value encodings (numbers, NaN/Infinity
strings, ``null``, base64 for bytes, void and structured types)."""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from zarrc.dtypes import DataType, data_type_from_numpy
from zarrc.errors import MetadataError, ZarrcError

__all__ = [
    "dtype_error",
    "parse_dtype_json",
    "encode_v2_dtype",
    "encode_v2_fill_value",
    "parse_v2_dtype",
    "parse_v2_fill_value",
]

# A numpy typestring: byte order, kind, item size, optional datetime unit ("<M8[10s]").
_TYPESTR = re.compile(r"([<>|])([biufcmMOSUV])(\d*)(\[\d*[A-Za-z]+\])?")
_SIZED_KINDS = "biufcmMSUV"


# --------------------------------------------------------------------------------------
# dtypes
# --------------------------------------------------------------------------------------
def dtype_error(message: str, path: str | None) -> MetadataError:
    return MetadataError(message, path=path, field="dtype")


def _parse_typestr(value: str, path: str | None) -> np.dtype:
    match = _TYPESTR.fullmatch(value)
    if match is None:
        raise dtype_error(
            f"{value!r} is not a numpy typestring such as '<i4', '|b1' or '<M8[ns]'", path
        )
    order, kind, size, unit = match.groups()
    if kind in _SIZED_KINDS and not size:
        raise dtype_error(f"typestring {value!r} has no item size", path)
    if unit is not None and kind not in "mM":
        raise dtype_error(f"typestring {value!r}: only datetimes take a unit", path)
    try:
        dtype = np.dtype(value)
    except (TypeError, ValueError) as err:
        raise dtype_error(f"{value!r} is not a valid numpy typestring: {err}", path) from None
    if kind in _SIZED_KINDS and dtype.itemsize == 0:
        raise dtype_error(f"typestring {value!r} has a zero item size", path)
    if order == "|" and dtype.byteorder not in "|" and dtype.itemsize > 1:
        raise dtype_error(
            f"typestring {value!r} needs a byte order ('<' or '>') for {dtype.itemsize}-byte "
            "elements",
            path,
        )
    return dtype


def _parse_fields(value: Sequence[Any], path: str | None, depth: int) -> np.dtype:
    if depth > 32:
        raise dtype_error("structured dtype is nested too deeply", path)
    if not value:
        raise dtype_error("a structured dtype needs at least one field", path)
    fields: list[tuple[Any, ...]] = []
    for entry in value:
        if not isinstance(entry, list | tuple) or len(entry) not in (2, 3):
            raise dtype_error(
                f"a structured dtype field must be [name, type] or [name, type, shape], "
                f"got {entry!r}",
                path,
            )
        name, sub = entry[0], entry[1]
        if not isinstance(name, str) or not name:
            raise dtype_error(f"field names must be non-empty strings, got {name!r}", path)
        sub_dtype = parse_dtype_json(sub, path, depth + 1)
        if len(entry) == 3:
            shape = entry[2]
            if not isinstance(shape, list | tuple) or not all(
                isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape
            ):
                raise dtype_error(f"field {name!r} has an invalid shape {shape!r}", path)
            fields.append((name, sub_dtype, tuple(shape)))
        else:
            fields.append((name, sub_dtype))
    try:
        return np.dtype(fields)
    except (TypeError, ValueError) as err:
        raise dtype_error(f"invalid structured dtype {value!r}: {err}", path) from None


def parse_dtype_json(value: object, path: str | None, depth: int = 0) -> np.dtype:
    if isinstance(value, str):
        return _parse_typestr(value, path)
    if isinstance(value, list | tuple):
        return _parse_fields(value, path, depth)
    raise dtype_error(f"expected a typestring or a list of fields, got {value!r}", path)


def parse_v2_dtype(
    value: object, *, object_codec_id: str | None = None, path: str | None = None
) -> tuple[np.dtype, DataType]:
    """Parse the ``dtype`` of a ``.zarray`` into ``(stored numpy dtype, DataType)``.

    ``value`` is a numpy typestring (``"<i4"``, ``">f8"``, ``"|b1"``, ``"|S10"``,
    ``"<U5"``, ``"|V8"``, ``"<M8[ns]"``, ``"|O"``) or a list of fields
    ``[["a", "<i4"], ["b", "<f8", [2]]]`` (nested lists for nested records).  The
    stored dtype keeps the byte order; the data type's dtype is native.  For
    ``"|O"``, ``object_codec_id`` is the id of the filter storing the objects.

    Raises
    ------
    MetadataError
        If the value is malformed or no registered data type matches it.
    """
    stored = parse_dtype_json(value, path)
    try:
        dt = data_type_from_numpy(stored, object_codec_id=object_codec_id)
    except ZarrcError as err:
        raise dtype_error(f"unsupported data type {value!r}: {err}", path) from None
    return stored, dt


def encode_v2_dtype(stored: np.dtype) -> str | list[Any]:
    """The ``.zarray`` form of a stored dtype: a typestring or a list of fields.

    Raises
    ------
    ValueError
        For structured dtypes with padding or overlapping fields, which the list
        form cannot describe.
    """
    if stored.kind == "T":
        return "|O"
    if stored.names is None:
        return stored.str
    out: list[Any] = []
    offset = 0
    for name in stored.names:
        sub, at = stored.fields[name][:2]
        if at != offset:
            raise ValueError(f"structured dtype {stored} has padding before field {name!r}")
        offset += sub.itemsize
        if sub.subdtype is not None:
            base, shape = sub.subdtype
            out.append([name, encode_v2_dtype(base), list(shape)])
        else:
            out.append([name, encode_v2_dtype(sub)])
    if offset != stored.itemsize:
        raise ValueError(f"structured dtype {stored} has trailing padding")
    return out


# --------------------------------------------------------------------------------------
# fill values
# --------------------------------------------------------------------------------------
def _fill_error(message: str, path: str | None) -> MetadataError:
    return MetadataError(message, path=path, field="fill_value")


def _check_size(raw: bytes, stored: np.dtype, path: str | None) -> bytes:
    if len(raw) != stored.itemsize:
        raise _fill_error(
            f"a fill value of {stored} takes {stored.itemsize} bytes, got {len(raw)}", path
        )
    return raw


def _is_zero(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == 0


def _b64(value: object, what: str, path: str | None) -> bytes:
    if not isinstance(value, str):
        raise _fill_error(f"expected base64 text for {what}, got {value!r}", path)
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise _fill_error(f"{value!r} is not valid base64", path) from None


def parse_v2_fill_value(
    value: object, stored: np.dtype, dt: DataType, *, path: str | None = None
) -> np.generic | None:
    """Decode the ``fill_value`` of a ``.zarray`` into a scalar of ``dt.dtype`` (or None).

    ``value`` is ``null``; a number; ``"NaN"``, ``"Infinity"`` or ``"-Infinity"``
    for floats; ``[re, im]`` for complex; ``true``/``false``; an integer for
    datetimes (``-2**63`` is NaT); text for unicode; base64 of the stored bytes
    for bytes, void and structured types (integer 0 there means all zeros).
    ``stored`` is the stored dtype and ``path`` names the document in errors.

    Raises
    ------
    MetadataError
        If the value does not fit the type (``field="fill_value"``).
    """
    if value is None:
        return None
    kind = stored.kind
    if stored.names is not None:
        if _is_zero(value):
            return dt.default_fill_value()
        raw = _check_size(_b64(value, "a structured fill value", path), stored, path)
        return np.frombuffer(raw, dtype=stored).astype(dt.dtype)[0]  # type: ignore[no-any-return]
    if kind in "SUV" and _is_zero(value):
        return dt.default_fill_value()
    if kind == "V":
        raw = _check_size(_b64(value, "a void fill value", path), stored, path)
        return np.frombuffer(raw, dtype=dt.dtype)[0]  # type: ignore[no-any-return]
    if kind == "b" and isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
        # zarr 2 accepted 0 and 1 for booleans.
        return np.bool_(value)
    if kind == "O" and dt.dtype.kind in "OT" and isinstance(value, int | float):
        if dt.object_codec_id == "vlen-utf8" and not isinstance(value, bool):
            # As zarr-python: a number for a string fill is its text.
            return np.str_(str(value))
    return dt.fill_from_json(value, path=path)


def _float_v2(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return float(value)


def encode_v2_fill_value(value: np.generic | None, stored: np.dtype, dt: DataType) -> Any:
    """Encode a fill value as ``.zarray`` JSON (see :func:`parse_v2_fill_value`)."""
    if value is None:
        return None
    kind = stored.kind
    if stored.names is not None:
        raw = np.asarray(value, dtype=dt.dtype).astype(stored).tobytes()
        return base64.standard_b64encode(raw).decode("ascii")
    if kind == "V":
        raw = np.asarray(value, dtype=dt.dtype).tobytes()
        return base64.standard_b64encode(raw).decode("ascii")
    if kind == "f":
        return _float_v2(float(value))  # type: ignore[arg-type]
    if kind == "c":
        number = complex(value)  # type: ignore[arg-type]
        return [_float_v2(number.real), _float_v2(number.imag)]
    return dt.fill_to_json(value)
