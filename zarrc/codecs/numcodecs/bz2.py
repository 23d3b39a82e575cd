"""The numcodecs ``bz2`` compressor, through the standard library."""

from __future__ import annotations

import bz2
from dataclasses import dataclass
from typing import Any, ClassVar

from zarrc.codecs._base import (
    BytesBytesCodec,
    ChunkSpec,
    as_uint8,
    check_int,
    decoded_size_limit,
)
from zarrc.codecs.numcodecs.generic import NumcodecsConfigMixin
from zarrc.codecs.registry import register_codec
from zarrc.errors import CorruptChunkError

__all__ = ["BZ2Codec"]


@dataclass(frozen=True, eq=False)
class BZ2Codec(NumcodecsConfigMixin, BytesBytesCodec):
    """Bzip2 compression, as numcodecs ``BZ2`` (id ``"bz2"``).

    Parameters
    ----------
    level : int, optional
        Compression level (block size in 100 kB), 1 to 9; default 1.
    """

    codec_id: ClassVar[str] = "bz2"
    codec_name: ClassVar[str] = "numcodecs.bz2"
    v2_keys: ClassVar[frozenset[str]] = frozenset({"level"})

    level: int

    def __init__(self, *, level: int = 1) -> None:
        object.__setattr__(self, "level", check_int(level, "level", lo=1, hi=9))

    def to_v2_config(self) -> dict[str, Any]:
        """``{"id": "bz2", "level": ...}``."""
        return {"id": self.codec_id, "level": self.level}

    def encode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Compress one chunk into one bzip2 stream."""
        return bz2.compress(as_uint8(data), self.level)

    def decode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Decompress every bzip2 stream of one chunk, refusing to inflate without bound."""
        limit = decoded_size_limit(spec)
        remaining = bytes(as_uint8(data))
        parts: list[bytes] = []
        total = 0
        while True:
            inflater = bz2.BZ2Decompressor()
            try:
                out = inflater.decompress(remaining, -1 if limit is None else limit - total + 1)
            except (OSError, ValueError) as err:
                if parts:
                    # Like bz2.decompress: junk after a complete stream is ignored.
                    break
                raise CorruptChunkError(f"bz2: {err}", codec=self.codec_name) from err
            total += len(out)
            if limit is not None and total > limit:
                raise CorruptChunkError(
                    "bz2 stream decodes to more than this chunk can hold", codec=self.codec_name
                )
            if not inflater.eof:
                raise CorruptChunkError("bz2 stream is truncated", codec=self.codec_name)
            parts.append(out)
            # Concatenated streams decode to the concatenation, as bz2.decompress does.
            remaining = inflater.unused_data
            if not remaining:
                break
        return b"".join(parts)


register_codec(BZ2Codec.codec_name, BZ2Codec)
