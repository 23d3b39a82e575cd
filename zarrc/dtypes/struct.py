"""The ``struct`` data type: records of named fields (numpy structured dtypes).

The zarr-extensions ``struct`` type is written as::

    {"name": "struct", "configuration": {"fields": [
        {"name": "x", "data_type": "float32"}, {"name": "t", "data_type": {...}}]}}

with the fill value an object of field fill values, ``{"x": 0.0, "t": -9223372036854775808}``.
The legacy name ``structured`` (what zarr-python 3.1 writes) lists fields as
``[name, data_type]`` pairs and gives the fill value as base64 of the packed
little-endian element.  Both forms are read under either name; a type keeps
the name it was read with, so a legacy document is written back unchanged.
Types made from numpy dtypes are ``struct``; :meth:`StructDataType.as_legacy`
gives the ``structured`` form for readers that only know that one.

Fields are packed: no padding, field offsets are the running sum of sizes.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from zarrc.dtypes import base as dtypes_base
from zarrc.dtypes.base import (
    JSON,
    DataType,
    check_configuration,
    fill_error,
    register_data_type,
    type_error,
)
from zarrc.dtypes.bytes import decode_base64, encode_base64
from zarrc.errors import ZarrcError

__all__ = ["StructDataType"]

STRUCT = "struct"
LEGACY = "structured"
# Nesting deeper than this is refused, so a hostile document cannot exhaust the stack.
_MAX_DEPTH = 32


def _packed_dtype(fields: Sequence[tuple[str, DataType]]) -> np.dtype:
    return np.dtype([(name, dt.dtype) for name, dt in fields])


def _little(dtype: np.dtype) -> np.dtype:
    # newbyteorder recurses into the fields of a structured dtype.
    return dtype.newbyteorder("<")


@register_data_type
@dataclass(frozen=True, repr=False, eq=False)
class StructDataType(DataType):
    """A record of named fields, each of a fixed-size data type.

    Parameters
    ----------
    name : {"struct", "structured"}
        The JSON name; ``structured`` is the legacy form.
    dtype : numpy.dtype
        The packed numpy structured dtype.
    fields : tuple of (str, DataType)
        The fields in order.
    """

    fields: tuple[tuple[str, DataType], ...] = field(default=(), compare=False)

    json_names: ClassVar[tuple[str, ...]] = (STRUCT, LEGACY)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.fields:
            # Built from a name and a dtype alone: take the fields from the dtype.
            made = self.from_numpy(self.dtype)
            if not isinstance(made, StructDataType):
                raise ZarrcError(f"{self.dtype} is not a structured dtype")
            object.__setattr__(self, "fields", made.fields)

    @classmethod
    def from_fields(
        cls, fields: Sequence[tuple[str, DataType]], *, name: str = STRUCT
    ) -> StructDataType:
        """The struct of ``fields`` (field name, data type) in order."""
        fields = tuple((str(n), dt) for n, dt in fields)
        if not fields:
            raise ZarrcError("a struct data type needs at least one field")
        names = [n for n, _ in fields]
        if any(not n for n in names) or len(set(names)) != len(names):
            raise ZarrcError(f"struct field names must be unique and non-empty, got {names}")
        for n, dt in fields:
            if not dt.is_fixed_size:
                raise ZarrcError(f"struct field {n!r} has the variable-length type {dt.name!r}")
        return cls(name, _packed_dtype(fields), fields=fields)

    def __repr__(self) -> str:
        inner = ", ".join(f"{n!r}: {dt!r}" for n, dt in self.fields)
        return f"DataType({self.name!r}, fields={{{inner}}})"

    @property
    def has_multi_byte_fields(self) -> bool:
        """Whether some (nested) field has a byte order."""
        return any(dt.swap_unit != 0 for _, dt in self.fields)

    @property
    def swap_unit(self) -> int:
        """0 if no field has a byte order, else -1: swapped field by field."""
        return -1 if self.has_multi_byte_fields else 0

    def as_legacy(self) -> StructDataType:
        """The same type named ``structured`` (nested structs too), as zarr-python 3.1 writes."""
        return self._renamed(LEGACY)

    def as_struct(self) -> StructDataType:
        """The same type named ``struct`` (nested structs too)."""
        return self._renamed(STRUCT)

    def _renamed(self, name: str) -> StructDataType:
        fields = tuple(
            (n, dt._renamed(name) if isinstance(dt, StructDataType) else dt)
            for n, dt in self.fields
        )
        return StructDataType(name, self.dtype, fields=fields)

    # -- type JSON ---------------------------------------------------------------
    def to_json(self) -> JSON:
        if self.name == LEGACY:
            fields: list[Any] = [[n, dt.to_json()] for n, dt in self.fields]
        else:
            fields = [{"name": n, "data_type": dt.to_json()} for n, dt in self.fields]
        return {"name": self.name, "configuration": {"fields": fields}}

    @classmethod
    def from_json(
        cls, name: str, configuration: Mapping[str, Any] | None, *, path: str | None
    ) -> DataType:
        return cls._from_json(name, configuration, path, 0)

    @classmethod
    def _from_json(
        cls, name: str, configuration: Mapping[str, Any] | None, path: str | None, depth: int
    ) -> StructDataType:
        if depth > _MAX_DEPTH:
            raise type_error(f"struct data types nested deeper than {_MAX_DEPTH} levels", path)
        config = check_configuration(name, configuration, ("fields",), path)
        raw_fields = config["fields"]
        if not isinstance(raw_fields, list) or not raw_fields:
            raise type_error(f"the fields of data type {name!r} must be a non-empty list", path)
        fields = []
        for item in raw_fields:
            if isinstance(item, dict) and set(item) == {"name", "data_type"}:
                field_name, field_type = item["name"], item["data_type"]
            elif isinstance(item, list) and len(item) == 2:
                field_name, field_type = item
            else:
                raise type_error(
                    f"a field of data type {name!r} must be {{'name': ..., 'data_type': ...}} "
                    f"or [name, data_type], got {item!r}",
                    path,
                )
            if not isinstance(field_name, str):
                raise type_error(f"struct field names must be strings, got {field_name!r}", path)
            fields.append((field_name, cls._field_type(field_type, path, depth)))
        try:
            return cls.from_fields(fields, name=name)
        except ZarrcError as exc:
            raise type_error(str(exc), path) from None

    @classmethod
    def _field_type(cls, value: object, path: str | None, depth: int) -> DataType:
        if isinstance(value, dict) and value.get("name") in cls.json_names:
            config = value.get("configuration")
            if set(value) - {"name", "configuration"} or not isinstance(config, dict):
                raise type_error(f"invalid struct field data type {value!r}", path)
            return cls._from_json(value["name"], config, path, depth + 1)
        return dtypes_base.parse_data_type(value, path=path)

    @classmethod
    def from_numpy(cls, dtype: np.dtype) -> DataType | None:
        if dtype.fields is None:
            return None
        names = dtype.names or ()
        if len(dtype.fields) != len(names):
            raise ZarrcError(f"structured dtypes with field titles are not supported: {dtype}")
        offset = 0
        fields = []
        for n in names:
            field_dtype, field_offset = dtype.fields[n][:2]
            if field_offset != offset:
                raise ZarrcError(
                    f"structured dtype {dtype} is not packed (field {n!r} at offset "
                    f"{field_offset}, expected {offset}); Zarr stores packed records"
                )
            if field_dtype.subdtype is not None:
                raise ZarrcError(
                    f"field {n!r} of {dtype} is a sub-array; Zarr has no data type for it"
                )
            fields.append((n, dtypes_base.data_type_from_numpy(field_dtype)))
            offset += field_dtype.itemsize
        if offset != dtype.itemsize:
            raise ZarrcError(f"structured dtype {dtype} has trailing padding; Zarr stores packed")
        return cls.from_fields(fields)

    # -- fill values ---------------------------------------------------------------
    def _from_bytes(self, data: bytes) -> np.generic:
        return np.frombuffer(data, dtype=_little(self.dtype)).astype(self.dtype)[0]

    def default_fill_value(self) -> np.generic:
        """Every field zero (all bytes 0)."""
        return np.zeros((), dtype=self.dtype)[()]

    def fill_from_json(self, value: JSON, *, path: str | None = None) -> np.generic:
        if isinstance(value, dict):
            unknown = sorted(set(value) - {n for n, _ in self.fields})
            if unknown:
                raise fill_error(
                    f"fill value names fields {unknown} that data type {self.name!r} lacks", path
                )
            out = np.zeros((), dtype=self.dtype)
            for n, dt in self.fields:
                # A missing field takes its type's default, as zarr-python reads it.
                fill = dt.fill_from_json(value[n], path=path) if n in value else None
                out[n] = dt.default_fill_value() if fill is None else fill
            return out[()]
        data = decode_base64(value, self.name, path)
        if len(data) != self.itemsize:
            raise fill_error(
                f"fill value of {len(data)} bytes for data type {self.name!r} of "
                f"{self.itemsize} bytes",
                path,
            )
        return self._from_bytes(data)

    def fill_to_json(self, value: np.generic) -> JSON:
        element = np.asarray(value, dtype=self.dtype)
        if self.name == LEGACY:
            return encode_base64(element.astype(_little(self.dtype)).tobytes())
        return {n: dt.fill_to_json(element[n][()]) for n, dt in self.fields}

    def fill_from_user(self, value: object) -> np.generic:
        try:
            if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value == 0:
                return self.default_fill_value()
            if isinstance(value, np.void) and value.dtype.fields is not None:
                return np.asarray(value).astype(self.dtype)[()]
            if isinstance(value, bytes | bytearray | memoryview):
                data = bytes(value)
                if len(data) == self.itemsize:
                    # Raw bytes of the element in this machine's order.
                    return np.frombuffer(data, dtype=self.dtype).copy()[0]
            elif isinstance(value, Mapping):
                return self._from_mapping(value)
            elif isinstance(value, tuple | list):
                if len(value) == len(self.fields):
                    out = np.zeros((), dtype=self.dtype)
                    for (n, dt), item in zip(self.fields, value, strict=True):
                        out[n] = dt.fill_from_user(item)
                    return out[()]
        except (ValueError, TypeError) as exc:
            raise ZarrcError(f"fill value {value!r} does not fit data type {self.name!r}") from exc
        raise ZarrcError(f"fill value {value!r} does not fit data type {self.name!r}")

    def _from_mapping(self, value: Mapping[Any, Any]) -> np.generic:
        unknown = sorted(map(str, set(value) - {n for n, _ in self.fields}))
        if unknown:
            raise ZarrcError(f"fill value names fields {unknown} that {self.name!r} lacks")
        out = np.zeros((), dtype=self.dtype)
        for n, dt in self.fields:
            out[n] = dt.fill_from_user(value[n]) if n in value else dt.default_fill_value()
        return out[()]
