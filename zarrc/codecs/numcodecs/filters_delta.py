"""The numcodecs ``delta`` filter: the first element, then differences of neighbours."""

from __future__ import annotations

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

__all__ = ["DeltaCodec"]


@dataclass(frozen=True, eq=False)
class DeltaCodec(NumcodecsFilter):
    """Encode elements as differences from their predecessor (numcodecs ``Delta``).

    Parameters
    ----------
    dtype : str or numpy.dtype, optional
        The dtype the input is viewed as; in Zarr v3 it defaults to the array's.
    astype : str or numpy.dtype, optional
        The dtype of the encoded differences; defaults to ``dtype``.  It must be
        wide enough: differences that overflow it wrap around.
    """

    codec_id: ClassVar[str] = "delta"
    codec_name: ClassVar[str] = "numcodecs.delta"
    v2_keys: ClassVar[frozenset[str]] = frozenset({"dtype", "astype"})

    dtype: np.dtype | None
    astype: np.dtype | None

    def __init__(self, *, dtype: Any = None, astype: Any = None) -> None:
        parsed = None if dtype is None else config_dtype(dtype, "dtype")
        encoded = None if astype is None else config_dtype(astype, "astype")
        for value, name in ((parsed, "dtype"), (encoded, "astype")):
            if value is not None and value.kind in "OT":
                raise ValueError(f"{name}: object arrays are not supported")
        object.__setattr__(self, "dtype", parsed)
        object.__setattr__(self, "astype", encoded)

    def to_v2_config(self) -> dict[str, Any]:
        """``{"id": "delta", "dtype": ..., "astype": ...}``."""
        config: dict[str, Any] = {"id": "delta"}
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
        out = np.empty(arr.shape, dtype=self.encoded_dtype(arr.dtype))
        if arr.size:
            out[0] = arr[0]
            out[1:] = np.diff(arr)
        return out

    def _decode_flat(self, enc: np.ndarray) -> np.ndarray:
        dtype = self.dtype if self.dtype is not None else enc.dtype
        out = np.empty(enc.shape, dtype=dtype)
        np.cumsum(enc, out=out)
        return out


register_codec(DeltaCodec.codec_name, DeltaCodec)
