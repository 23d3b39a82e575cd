"""The numcodecs ``lz4`` compressor: a 4-byte little-endian size, then one LZ4 block."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

from zarrc._ext._engine import B2B_LZ4
from zarrc.codecs._base import (
    BytesBytesCodec,
    ChunkSpec,
    as_uint8,
    check_int,
    decoded_size_limit,
)
from zarrc.codecs.numcodecs.generic import NumcodecsConfigMixin, import_numcodecs
from zarrc.codecs.registry import register_codec
from zarrc.errors import CorruptChunkError

__all__ = ["LZ4Codec"]

_HEADER = 4


@dataclass(frozen=True, eq=False)
class LZ4Codec(NumcodecsConfigMixin, BytesBytesCodec):
    """LZ4 block compression in numcodecs' framing (id ``"lz4"``).

    The C engine runs it; the Python implementation goes through numcodecs.

    Parameters
    ----------
    acceleration : int, optional
        LZ4's speed/ratio trade-off; 1 (the default) compresses best, values
        below 1 mean 1.
    """

    codec_id: ClassVar[str] = "lz4"
    codec_name: ClassVar[str] = "numcodecs.lz4"
    v2_keys: ClassVar[frozenset[str]] = frozenset({"acceleration"})

    acceleration: int

    def __init__(self, *, acceleration: int = 1) -> None:
        value = check_int(acceleration, "acceleration", lo=-(2**31), hi=2**31 - 1)
        object.__setattr__(self, "acceleration", value)

    def to_v2_config(self) -> dict[str, Any]:
        """``{"id": "lz4", "acceleration": ...}``."""
        return {"id": self.codec_id, "acceleration": self.acceleration}

    def c_kernel(self) -> dict[str, Any]:
        """The ``zc_b2b_codec`` fields for lz4 (``level`` carries the acceleration)."""
        return {
            "kind": B2B_LZ4,
            "level": self.acceleration,
            "checksum": 0,
            "shuffle": 0,
            "typesize": 0,
            "blocksize": 0,
            "cname": "",
        }

    @cached_property
    def _numcodecs(self) -> Any:
        numcodecs = import_numcodecs(self.codec_id)
        return numcodecs.LZ4(acceleration=self.acceleration)

    def encode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Compress one chunk."""
        return bytes(self._numcodecs.encode(as_uint8(data)))

    def decode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Decompress one chunk after checking the size its header declares."""
        buf = as_uint8(data)
        if buf.size <= _HEADER:
            raise CorruptChunkError(
                f"an lz4 chunk has a {_HEADER}-byte size header and a block, got {buf.size} bytes",
                codec=self.codec_name,
            )
        declared = int.from_bytes(buf[:_HEADER].tobytes(), "little")
        limit = decoded_size_limit(spec)
        if limit is not None and declared > limit:
            raise CorruptChunkError(
                f"the lz4 header declares {declared} bytes, more than this chunk can hold",
                codec=self.codec_name,
            )
        if declared == 0:
            # numcodecs cannot read back its own empty block (a single zero token).
            if buf[_HEADER:].tobytes() != b"\x00":
                raise CorruptChunkError(
                    "lz4: an empty block is a single zero byte", codec=self.codec_name
                )
            return b""
        try:
            out = bytes(self._numcodecs.decode(buf))
        except (RuntimeError, ValueError) as err:
            raise CorruptChunkError(f"lz4: {err}", codec=self.codec_name) from err
        if len(out) != declared:
            raise CorruptChunkError(
                f"lz4 decoded {len(out)} bytes, the header declares {declared}",
                codec=self.codec_name,
            )
        return out


register_codec(LZ4Codec.codec_name, LZ4Codec)
