"""The ``numpy.datetime64`` and ``numpy.timedelta64`` data types.

Both are signed 64-bit counts of ``scale_factor`` times ``unit`` (since the
Unix epoch for datetimes), with ``-2**63`` meaning "Not a Time" (NaT).  In JSON
the type is ``{"name": "numpy.datetime64", "configuration": {"unit": "s",
"scale_factor": 10}}`` (numpy ``datetime64[10s]``) and a fill value is the
integer count, or ``"NaT"``; zarr-python writes NaT as the integer ``-2**63``
and so do we.
"""

from __future__ import annotations

import datetime
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from zarrc.dtypes.base import (
    JSON,
    DataType,
    check_configuration,
    check_json_int,
    fill_error,
    is_json_number,
    register_data_type,
    type_error,
)
from zarrc.errors import ZarrcError

__all__ = ["TimeDataType"]

#: Units of the JSON configuration ("μs" is numpy's other spelling of "us").
TIME_UNITS = ("Y", "M", "W", "D", "h", "m", "s", "ms", "us", "μs", "ns", "ps", "fs", "as")
_GENERIC = "generic"
_MAX_SCALE = 2**31 - 1
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_KIND_OF = {"numpy.datetime64": "M", "numpy.timedelta64": "m"}
_NAME_OF = {"M": "numpy.datetime64", "m": "numpy.timedelta64"}
_NUMPY_NAME = {"M": "datetime64", "m": "timedelta64"}


def _time_dtype(kind: str, unit: str, scale_factor: int) -> np.dtype:
    if unit == _GENERIC:
        return np.dtype(_NUMPY_NAME[kind])
    return np.dtype(f"{_NUMPY_NAME[kind]}[{scale_factor}{unit}]")


@register_data_type
@dataclass(frozen=True, repr=False, eq=False)
class TimeDataType(DataType):
    """Datetimes and time deltas with a unit and a scale factor.

    ``unit`` and ``scale_factor`` are those of the numpy dtype; ``unit_name``
    keeps the spelling read from JSON (``"μs"`` and ``"us"`` are the same unit)
    so that a document is written back as it was read.
    """

    unit_name: str | None = field(default=None, compare=False)

    json_names: ClassVar[tuple[str, ...]] = ("numpy.datetime64", "numpy.timedelta64")

    @property
    def unit(self) -> str:
        """The time unit: one of ``Y M W D h m s ms us ns ps fs as`` or ``generic``."""
        return self.unit_name or np.datetime_data(self.dtype)[0]

    @property
    def scale_factor(self) -> int:
        """How many ``unit`` one step of the integer count is."""
        return int(np.datetime_data(self.dtype)[1])

    def __repr__(self) -> str:
        return f"DataType({self.name!r}, unit={self.unit!r}, scale_factor={self.scale_factor})"

    # -- type JSON ---------------------------------------------------------------
    def to_json(self) -> JSON:
        return {
            "name": self.name,
            "configuration": {"unit": self.unit, "scale_factor": self.scale_factor},
        }

    @classmethod
    def from_json(
        cls, name: str, configuration: Mapping[str, Any] | None, *, path: str | None
    ) -> DataType:
        config = check_configuration(name, configuration, ("unit", "scale_factor"), path)
        unit = config["unit"]
        if not isinstance(unit, str) or unit not in (*TIME_UNITS, _GENERIC):
            raise type_error(
                f"the unit of data type {name!r} must be one of "
                f"{[*TIME_UNITS, _GENERIC]}, got {unit!r}",
                path,
            )
        scale = check_json_int(
            config["scale_factor"], f"the scale_factor of data type {name!r}", 1, _MAX_SCALE, path
        )
        if unit == _GENERIC and scale != 1:
            # numpy cannot represent a scaled generic unit.
            raise type_error(f"data type {name!r} with unit 'generic' needs scale_factor 1", path)
        dtype = _time_dtype(_KIND_OF[name], unit, scale)
        return cls(name, dtype, unit_name=unit)

    @classmethod
    def from_numpy(cls, dtype: np.dtype) -> DataType | None:
        if dtype.kind not in "Mm":
            return None
        return cls(_NAME_OF[dtype.kind], dtype.newbyteorder("="))

    # -- fill values ---------------------------------------------------------------
    def _from_count(self, count: int) -> np.generic:
        return np.array(count, dtype=np.int64).view(self.dtype)[()]

    def _unit_code(self) -> str:
        unit, scale = np.datetime_data(self.dtype)
        return unit if unit == _GENERIC else f"{scale}{unit}"

    def default_fill_value(self) -> np.generic:
        """NaT, as zarr-python chooses."""
        return self._from_count(_INT64_MIN)

    def fill_from_json(self, value: JSON, *, path: str | None = None) -> np.generic:
        if value == "NaT" and isinstance(value, str):
            return self._from_count(_INT64_MIN)
        if is_json_number(value):
            if isinstance(value, float):
                if not (math.isfinite(value) and value.is_integer()):
                    value = None
                else:
                    value = int(value)
            if value is not None and _INT64_MIN <= value <= _INT64_MAX:
                return self._from_count(value)
        raise fill_error(
            f"expected an integer in [-2**63, 2**63 - 1] or 'NaT' for data type "
            f"{self.name!r}, got {value!r}",
            path,
        )

    def fill_to_json(self, value: np.generic) -> JSON:
        return int(np.asarray(value, dtype=self.dtype).view(np.int64)[()])

    def fill_from_user(self, value: object) -> np.generic:
        try:
            result = self._convert(value)
        except (ValueError, TypeError, OverflowError, UnicodeDecodeError) as exc:
            raise ZarrcError(f"fill value {value!r} does not fit data type {self.name!r}") from exc
        if result is None:
            raise ZarrcError(f"fill value {value!r} does not fit data type {self.name!r}")
        return result

    def _convert(self, value: object) -> np.generic | None:
        kind = self.dtype.kind
        if isinstance(value, np.datetime64 | np.timedelta64):
            if value.dtype.kind != kind:
                return None
            return np.asarray(value).astype(self.dtype)[()]
        if isinstance(value, bool | np.bool_):
            return None
        count: int | None = None
        if isinstance(value, numbers.Integral):
            count = int(value)
        elif isinstance(value, float | np.floating):
            if not (math.isfinite(value) and float(value).is_integer()):
                return None
            count = int(value)
        if count is not None:
            # A bare number is the integer count of the dtype's units.
            return self._from_count(count) if _INT64_MIN <= count <= _INT64_MAX else None
        if isinstance(value, bytes):
            value = value.decode("ascii")
        if kind == "M" and isinstance(value, str | datetime.date):
            return np.datetime64(value, self._unit_code())  # type: ignore[call-overload]
        if kind == "m":
            if isinstance(value, str) and value != "NaT":
                return self._convert(int(value))
            if isinstance(value, str | datetime.timedelta):
                return np.timedelta64(value, self._unit_code())  # type: ignore[call-overload]
        return None
