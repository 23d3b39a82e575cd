"""The ``gzip`` codec (RFC 1952 gzip container around deflate)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, ClassVar

from zarrc._ext._engine import B2B_GZIP
from zarrc.codecs._base import (
    BytesBytesCodec,
    ChunkSpec,
    as_uint8,
    check_int,
    construct_from_config,
    decoded_size_limit,
    parse_named_configuration,
)
from zarrc.codecs.registry import register_codec
from zarrc.errors import CorruptChunkError

__all__ = ["GzipCodec"]

# zlib's window-bits value selecting the gzip container with a 32 KiB window.
_GZIP_WBITS = 16 + zlib.MAX_WBITS


@dataclass(frozen=True, eq=False)
class GzipCodec(BytesBytesCodec):
    """Gzip compression.

    Parameters
    ----------
    level : int, optional
        Compression level, 0 to 9; default 5.
    """

    codec_name: ClassVar[str] = "gzip"

    level: int

    def __init__(self, *, level: int = 5) -> None:
        object.__setattr__(self, "level", check_int(level, "level", lo=0, hi=9))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GzipCodec:
        """Build from ``{"name": "gzip", "configuration": {"level": ...}}``."""
        config = parse_named_configuration(data, ("gzip",), keys=frozenset({"level"}))
        return construct_from_config(cls, config)  # type: ignore[return-value]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"name": "gzip", "configuration": {"level": self.level}}

    def c_kernel(self) -> dict[str, Any]:
        """The ``zc_b2b_codec`` fields for gzip."""
        return {
            "kind": B2B_GZIP,
            "level": self.level,
            "checksum": 0,
            "shuffle": 0,
            "typesize": 0,
            "blocksize": 0,
            "cname": "",
        }

    def encode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Compress one chunk into a single gzip member (mtime 0, so deterministic)."""
        compressor = zlib.compressobj(self.level, zlib.DEFLATED, _GZIP_WBITS)
        return compressor.compress(as_uint8(data)) + compressor.flush()

    def decode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Decompress every gzip member of one chunk, refusing to inflate without bound."""
        limit = decoded_size_limit(spec)
        remaining = memoryview(as_uint8(data))
        parts: list[bytes] = []
        total = 0
        while True:
            inflater = zlib.decompressobj(_GZIP_WBITS)
            try:
                if limit is None:
                    out = inflater.decompress(remaining)
                else:
                    out = inflater.decompress(remaining, limit - total + 1)
            except zlib.error as err:
                raise CorruptChunkError(f"gzip: {err}", codec=self.codec_name) from err
            total += len(out)
            if limit is not None and total > limit:
                raise CorruptChunkError(
                    "gzip stream inflates to more than this chunk can hold",
                    codec=self.codec_name,
                )
            if not inflater.eof:
                raise CorruptChunkError("gzip stream is truncated", codec=self.codec_name)
            parts.append(out)
            rest = inflater.unused_data
            # Concatenated members decode to the concatenation of their contents.
            if not rest:
                break
            remaining = memoryview(rest)
        return b"".join(parts)


register_codec("gzip", GzipCodec)
