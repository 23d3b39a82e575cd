"""The numcodecs ``zlib`` compressor (RFC 1950 zlib container around deflate)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, ClassVar

from zarrc._ext._engine import B2B_ZLIB
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

__all__ = ["ZlibCodec"]


@dataclass(frozen=True, eq=False)
class ZlibCodec(NumcodecsConfigMixin, BytesBytesCodec):
    """Zlib compression, as numcodecs ``Zlib`` (id ``"zlib"``).

    Parameters
    ----------
    level : int, optional
        Compression level, 0 to 9, or -1 for zlib's default (6); default 1.
    """

    codec_id: ClassVar[str] = "zlib"
    codec_name: ClassVar[str] = "numcodecs.zlib"
    v2_keys: ClassVar[frozenset[str]] = frozenset({"level"})

    level: int

    def __init__(self, *, level: int = 1) -> None:
        object.__setattr__(self, "level", check_int(level, "level", lo=-1, hi=9))

    def to_v2_config(self) -> dict[str, Any]:
        """``{"id": "zlib", "level": ...}``."""
        return {"id": self.codec_id, "level": self.level}

    def c_kernel(self) -> dict[str, Any]:
        """The ``zc_b2b_codec`` fields for zlib."""
        return {
            "kind": B2B_ZLIB,
            "level": self.level,
            "checksum": 0,
            "shuffle": 0,
            "typesize": 0,
            "blocksize": 0,
            "cname": "",
        }

    def encode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Compress one chunk into one zlib stream (as numcodecs does)."""
        return zlib.compress(as_uint8(data), self.level)

    def decode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Decompress one zlib stream, refusing to inflate past what the chunk can hold."""
        limit = decoded_size_limit(spec)
        inflater = zlib.decompressobj()
        try:
            if limit is None:
                out = inflater.decompress(as_uint8(data))
            else:
                out = inflater.decompress(as_uint8(data), limit + 1)
        except zlib.error as err:
            raise CorruptChunkError(f"zlib: {err}", codec=self.codec_name) from err
        if limit is not None and len(out) > limit:
            raise CorruptChunkError(
                "zlib stream inflates to more than this chunk can hold", codec=self.codec_name
            )
        if not inflater.eof:
            raise CorruptChunkError("zlib stream is truncated", codec=self.codec_name)
        return out


register_codec(ZlibCodec.codec_name, ZlibCodec)
