"""The numcodecs ``quantize`` filter: floats rounded to a number of decimal digits."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zarrc.codecs._base import ChunkSpec, Codec, check_int
from zarrc.codecs.numcodecs.filters_common import (
    NumcodecsFilter,
    config_dtype,
    dtype_to_config,
    evolve_dtype_from_spec,
)
from zarrc.codecs.registry import register_codec
from zarrc.errors import MetadataError

__all__ = ["QuantizeCodec"]


def _binary_scale(digits: int) -> float:
    """The power of two numcodecs rounds ``scale * x`` at to keep ``digits`` decimals."""
    exponent = math.log10(10.0**-digits)
    exponent = math.floor(exponent) if exponent < 0 else math.ceil(exponent)
    return 2.0 ** math.ceil(math.log2(10.0**-exponent))


@dataclass(frozen=True, eq=False)
class QuantizeCodec(NumcodecsFilter):
    """Round floats so that ``digits`` decimal digits survive (numcodecs ``Quantize``).

    Lossy: decoding only converts back to ``dtype``.

    Parameters
    ----------
    digits : int
        Decimal digits to keep.
    dtype : str or numpy.dtype, optional
        A float dtype, of the decoded data; in Zarr v3 it defaults to the array's.
    astype : str or numpy.dtype, optional
        A float dtype, of the encoded data; defaults to ``dtype``.
    """

    codec_id: ClassVar[str] = "quantize"
    codec_name: ClassVar[str] = "numcodecs.quantize"
    v2_keys: ClassVar[frozenset[str]] = frozenset({"digits", "dtype", "astype"})

    digits: int
    dtype: np.dtype | None
    astype: np.dtype | None

    def __init__(self, *, digits: int, dtype: Any = None, astype: Any = None) -> None:
        parsed = None if dtype is None else config_dtype(dtype, "dtype")
        encoded = None if astype is None else config_dtype(astype, "astype")
        for value, name in ((parsed, "dtype"), (encoded, "astype")):
            if value is not None and value.kind != "f":
                raise ValueError(f"{name}: only floating point data types are supported")
        object.__setattr__(self, "digits", check_int(digits, "digits"))
        object.__setattr__(self, "dtype", parsed)
        object.__setattr__(self, "astype", encoded)

    def to_v2_config(self) -> dict[str, Any]:
        """``{"id": "quantize", "digits": ..., "dtype": ..., "astype": ...}``."""
        config: dict[str, Any] = {"id": self.codec_id, "digits": self.digits}
        if self.dtype is not None:
            config["dtype"] = dtype_to_config(self.dtype)
            config["astype"] = dtype_to_config(self.astype or self.dtype)
        elif self.astype is not None:
            config["astype"] = dtype_to_config(self.astype)
        return config

    def evolve_from_array_spec(self, spec: ChunkSpec) -> Codec:
        """Take ``dtype`` from the chunk when it is not set."""
        return evolve_dtype_from_spec(self, "dtype", spec)

    def validate(self, spec: ChunkSpec) -> None:
        """Require float data."""
        super().validate(spec)
        if self._input_dtype(self.input_stored(spec.dtype)).kind != "f":
            raise MetadataError(
                f"codec {self.codec_name!r} only handles floating point data, got {spec.dtype}",
                field="codecs",
            )

    def _input_dtype(self, stored: np.dtype) -> np.dtype:
        return stored if self.dtype is None else self.dtype

    def encoded_dtype(self, stored: np.dtype) -> np.dtype:
        """``astype``, else ``dtype``."""
        return self.astype or self._input_dtype(stored)

    def _encode_flat(self, arr: np.ndarray) -> np.ndarray:
        scale = _binary_scale(self.digits)
        rounded = np.around(scale * arr) / scale
        return rounded.astype(self.encoded_dtype(arr.dtype), copy=False)

    def _decode_flat(self, enc: np.ndarray) -> np.ndarray:
        return enc.astype(self.dtype if self.dtype is not None else enc.dtype, copy=False)


register_codec(QuantizeCodec.codec_name, QuantizeCodec)
