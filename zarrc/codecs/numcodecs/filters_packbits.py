"""The numcodecs ``packbits`` filter: booleans packed eight to a byte."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zarrc.codecs._base import ChunkSpec
from zarrc.codecs.numcodecs.filters_common import NumcodecsFilter
from zarrc.codecs.registry import register_codec
from zarrc.errors import CorruptChunkError, MetadataError

__all__ = ["PackBitsCodec"]

_BOOL = np.dtype(bool)
_U1 = np.dtype("u1")


@dataclass(frozen=True, eq=False)
class PackBitsCodec(NumcodecsFilter):
    """Pack booleans into bits (numcodecs ``PackBits``).

    The output is one byte holding the number of padding bits of the last
    byte, then the bits, most significant first.
    """

    codec_id: ClassVar[str] = "packbits"
    codec_name: ClassVar[str] = "numcodecs.packbits"

    def __init__(self) -> None:
        pass

    def to_v2_config(self) -> dict[str, Any]:
        """``{"id": "packbits"}``."""
        return {"id": self.codec_id}

    def validate(self, spec: ChunkSpec) -> None:
        """Require booleans."""
        if self.input_stored(spec.dtype) != _BOOL:
            raise MetadataError(
                f"codec {self.codec_name!r} needs a bool array, got {spec.dtype}", field="codecs"
            )

    def _input_dtype(self, stored: np.dtype) -> np.dtype:
        return _BOOL

    def encoded_dtype(self, stored: np.dtype) -> np.dtype:
        """``uint8``."""
        return _U1

    def encoded_count(self, count: int, stored: np.dtype) -> int:
        """One header byte plus one byte per eight booleans."""
        return 1 + -(-count * stored.itemsize // 8)

    def _encode_flat(self, arr: np.ndarray) -> np.ndarray:
        out = np.empty(1 + -(-arr.size // 8), dtype=_U1)
        out[0] = -arr.size % 8
        out[1:] = np.packbits(arr)
        return out

    def _decode_flat(self, enc: np.ndarray) -> np.ndarray:
        if enc.size == 0 or enc[0] > 7:
            raise CorruptChunkError(
                "packbits: the header byte must count 0 to 7 padding bits", codec=self.codec_name
            )
        padding = int(enc[0])
        bits = np.unpackbits(enc[1:])
        if padding:
            bits = bits[:-padding]
        return bits.view(_BOOL)


register_codec(PackBitsCodec.codec_name, PackBitsCodec)
