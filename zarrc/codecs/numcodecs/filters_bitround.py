"""The numcodecs ``bitround`` filter: floats rounded to ``keepbits`` mantissa bits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zarrc.codecs._base import ChunkSpec, check_int
from zarrc.codecs.numcodecs.filters_common import NumcodecsFilter
from zarrc.codecs.registry import register_codec
from zarrc.errors import MetadataError

__all__ = ["BitRoundCodec"]

# Explicit mantissa bits of IEEE 754 half, single and double precision, by item size.
_MANTISSA_BITS = {2: 10, 4: 23, 8: 52}


@dataclass(frozen=True, eq=False)
class BitRoundCodec(NumcodecsFilter):
    """Round floats to ``keepbits`` mantissa bits, ties to even (numcodecs ``BitRound``).

    Lossy: decoding returns the rounded values.  Unlike numcodecs, big-endian
    arrays are rounded too (numcodecs refuses them).

    Parameters
    ----------
    keepbits : int
        Mantissa bits to keep, at most 10, 23 or 52 for 2-, 4- and 8-byte floats.
    """

    codec_id: ClassVar[str] = "bitround"
    codec_name: ClassVar[str] = "numcodecs.bitround"
    v2_keys: ClassVar[frozenset[str]] = frozenset({"keepbits"})

    keepbits: int

    def __init__(self, *, keepbits: int) -> None:
        object.__setattr__(self, "keepbits", check_int(keepbits, "keepbits", lo=0))

    def to_v2_config(self) -> dict[str, Any]:
        """``{"id": "bitround", "keepbits": ...}``."""
        return {"id": self.codec_id, "keepbits": self.keepbits}

    def validate(self, spec: ChunkSpec) -> None:
        """Require 2-, 4- or 8-byte floats with at least ``keepbits`` mantissa bits."""
        stored = self.input_stored(spec.dtype)
        bits = _MANTISSA_BITS.get(stored.itemsize)
        if stored.kind != "f" or bits is None:
            raise MetadataError(
                f"codec {self.codec_name!r} only rounds 16-, 32- and 64-bit floats, "
                f"got {spec.dtype}",
                field="codecs",
            )
        if self.keepbits > bits:
            raise MetadataError(
                f"codec {self.codec_name!r}: keepbits {self.keepbits} exceeds the {bits} "
                f"mantissa bits of {spec.dtype}",
                field="codecs",
            )

    def encoded_dtype(self, stored: np.dtype) -> np.dtype:
        """The input's dtype."""
        return stored

    def _encode_flat(self, arr: np.ndarray) -> np.ndarray:
        bits = _MANTISSA_BITS[arr.dtype.itemsize]
        if self.keepbits == bits:
            return arr
        # Work on the bit patterns, as integers of the same width and byte order.
        ints = arr.copy().view(arr.dtype.str.replace("f", "i"))
        drop = bits - self.keepbits
        mask = (np.array(-1, dtype=ints.dtype) >> drop) << drop
        ints += ((ints >> drop) & 1) + ((1 << (drop - 1)) - 1)
        ints &= mask
        return ints.view(arr.dtype)

    def _decode_flat(self, enc: np.ndarray) -> np.ndarray:
        return enc


register_codec(BitRoundCodec.codec_name, BitRoundCodec)
