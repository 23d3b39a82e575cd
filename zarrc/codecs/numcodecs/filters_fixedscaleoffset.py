"""The numcodecs ``fixedscaleoffset`` filter: ``round((x - offset) * scale)``."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zarrc.codecs._base import ChunkSpec, Codec
from zarrc.codecs.numcodecs.filters_common import (
    NumcodecsFilter,
    config_dtype,
    dtype_to_config,
    evolve_dtype_from_spec,
)
from zarrc.codecs.registry import register_codec

__all__ = ["FixedScaleOffsetCodec"]


def _number(value: Any, name: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    return value.item() if isinstance(value, np.generic) else value  # type: ignore[return-value]


@dataclass(frozen=True, eq=False)
class FixedScaleOffsetCodec(NumcodecsFilter):
    """Store ``round((x - offset) * scale)`` in ``astype`` (numcodecs ``FixedScaleOffset``).

    Parameters
    ----------
    offset : float
        Subtracted from each value.
    scale : float
        Multiplies each value after the offset.
    dtype : str or numpy.dtype, optional
        The dtype of the decoded data; in Zarr v3 it defaults to the array's.
    astype : str or numpy.dtype, optional
        The dtype of the encoded data; defaults to ``dtype``.
    """

    codec_id: ClassVar[str] = "fixedscaleoffset"
    codec_name: ClassVar[str] = "numcodecs.fixedscaleoffset"
    v2_keys: ClassVar[frozenset[str]] = frozenset({"offset", "scale", "dtype", "astype"})

    offset: int | float
    scale: int | float
    dtype: np.dtype | None
    astype: np.dtype | None

    def __init__(
        self, *, offset: float, scale: float, dtype: Any = None, astype: Any = None
    ) -> None:
        parsed = None if dtype is None else config_dtype(dtype, "dtype")
        encoded = None if astype is None else config_dtype(astype, "astype")
        for value, name in ((parsed, "dtype"), (encoded, "astype")):
            if value is not None and value.kind in "OT":
                raise ValueError(f"{name}: object arrays are not supported")
        object.__setattr__(self, "offset", _number(offset, "offset"))
        object.__setattr__(self, "scale", _number(scale, "scale"))
        object.__setattr__(self, "dtype", parsed)
        object.__setattr__(self, "astype", encoded)

    def to_v2_config(self) -> dict[str, Any]:
        """``{"id": "fixedscaleoffset", "scale", "offset", "dtype", "astype"}``."""
        config: dict[str, Any] = {"id": self.codec_id, "scale": self.scale, "offset": self.offset}
        if self.dtype is not None:
            config["dtype"] = dtype_to_config(self.dtype)
            config["astype"] = dtype_to_config(self.astype or self.dtype)
        elif self.astype is not None:
            config["astype"] = dtype_to_config(self.astype)
        return config

    def evolve_from_array_spec(self, spec: ChunkSpec) -> Codec:
        """Take ``dtype`` from the chunk when it is not set."""
        return evolve_dtype_from_spec(self, "dtype", spec)

    def _input_dtype(self, stored: np.dtype) -> np.dtype:
        return stored if self.dtype is None else self.dtype

    def encoded_dtype(self, stored: np.dtype) -> np.dtype:
        """``astype``, else ``dtype``."""
        return self.astype or self._input_dtype(stored)

    def _encode_flat(self, arr: np.ndarray) -> np.ndarray:
        scaled = np.around((arr - self.offset) * self.scale)
        return scaled.astype(self.encoded_dtype(arr.dtype), copy=False)

    def _decode_flat(self, enc: np.ndarray) -> np.ndarray:
        dec = enc / self.scale + self.offset
        return dec.astype(self.dtype if self.dtype is not None else enc.dtype, copy=False)


register_codec(FixedScaleOffsetCodec.codec_name, FixedScaleOffsetCodec)
