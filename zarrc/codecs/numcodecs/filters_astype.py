"""The numcodecs ``astype`` filter: elements converted to another dtype."""

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

__all__ = ["AsTypeCodec"]


@dataclass(frozen=True, eq=False)
class AsTypeCodec(NumcodecsFilter):
    """Store elements converted to ``encode_dtype`` (numcodecs ``AsType``).

    Parameters
    ----------
    encode_dtype : str or numpy.dtype
        The dtype written.
    decode_dtype : str or numpy.dtype, optional
        The dtype read back; in Zarr v3 it defaults to the array's.
    """

    codec_id: ClassVar[str] = "astype"
    codec_name: ClassVar[str] = "numcodecs.astype"
    v2_keys: ClassVar[frozenset[str]] = frozenset({"encode_dtype", "decode_dtype"})

    encode_dtype: np.dtype
    decode_dtype: np.dtype | None

    def __init__(self, *, encode_dtype: Any, decode_dtype: Any = None) -> None:
        object.__setattr__(self, "encode_dtype", config_dtype(encode_dtype, "encode_dtype"))
        object.__setattr__(
            self,
            "decode_dtype",
            None if decode_dtype is None else config_dtype(decode_dtype, "decode_dtype"),
        )

    def to_v2_config(self) -> dict[str, Any]:
        """``{"id": "astype", "encode_dtype": ..., "decode_dtype": ...}``."""
        config: dict[str, Any] = {"id": self.codec_id}
        config["encode_dtype"] = dtype_to_config(self.encode_dtype)
        if self.decode_dtype is not None:
            config["decode_dtype"] = dtype_to_config(self.decode_dtype)
        return config

    def evolve_from_array_spec(self, spec: ChunkSpec) -> Codec:
        """Take ``decode_dtype`` from the chunk when it is not set."""
        return evolve_dtype_from_spec(self, "decode_dtype", spec)

    def _input_dtype(self, stored: np.dtype) -> np.dtype:
        return stored if self.decode_dtype is None else self.decode_dtype

    def encoded_dtype(self, stored: np.dtype) -> np.dtype:
        """``encode_dtype``."""
        return self.encode_dtype

    def _encode_flat(self, arr: np.ndarray) -> np.ndarray:
        return arr.astype(self.encode_dtype)

    def _decode_flat(self, enc: np.ndarray) -> np.ndarray:
        return enc.astype(self.decode_dtype if self.decode_dtype is not None else enc.dtype)


register_codec(AsTypeCodec.codec_name, AsTypeCodec)
