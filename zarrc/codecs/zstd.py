"""The ``zstd`` codec (Zstandard frames)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

from zarrc._ext._engine import B2B_ZSTD
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
from zarrc.errors import CorruptChunkError, ZarrcError

__all__ = ["ZstdCodec"]

# ZSTD_minCLevel() and ZSTD_maxCLevel() of libzstd.
_ZSTD_MIN_LEVEL = -(1 << 17)
_ZSTD_MAX_LEVEL = 22


@dataclass(frozen=True, eq=False)
class ZstdCodec(BytesBytesCodec):
    """Zstandard compression.

    Parameters
    ----------
    level : int, optional
        Compression level, up to 22; 0 (the default) is libzstd's default level
        and negative levels trade ratio for speed.
    checksum : bool, optional
        Whether frames carry a content checksum; default False.
    """

    codec_name: ClassVar[str] = "zstd"

    level: int
    checksum: bool

    def __init__(self, *, level: int = 0, checksum: bool = False) -> None:
        level = check_int(level, "level", lo=_ZSTD_MIN_LEVEL, hi=_ZSTD_MAX_LEVEL)
        if not isinstance(checksum, bool):
            raise TypeError(f"checksum must be a bool, got {type(checksum).__name__}")
        object.__setattr__(self, "level", level)
        object.__setattr__(self, "checksum", checksum)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ZstdCodec:
        """Build from ``{"name": "zstd", "configuration": {"level": ..., "checksum": ...}}``."""
        keys = frozenset({"level", "checksum"})
        config = parse_named_configuration(data, ("zstd",), keys=keys)
        return construct_from_config(cls, config)  # type: ignore[return-value]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"name": "zstd", "configuration": {"level": self.level, "checksum": self.checksum}}

    def c_kernel(self) -> dict[str, Any]:
        """The ``zc_b2b_codec`` fields for zstd."""
        return {
            "kind": B2B_ZSTD,
            "level": self.level,
            "checksum": int(self.checksum),
            "shuffle": 0,
            "typesize": 0,
            "blocksize": 0,
            "cname": "",
        }

    @cached_property
    def _numcodecs(self) -> Any:
        try:
            from numcodecs.zstd import Zstd
        except ImportError as err:
            raise ZarrcError(
                "the Python zstd codec needs the 'numcodecs' package; install it or "
                "use the compiled engine"
            ) from err
        return Zstd(level=self.level, checksum=self.checksum)

    def encode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Compress one chunk into a zstd frame."""
        return bytes(self._numcodecs.encode(as_uint8(data)))

    def decode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Decompress one chunk's zstd frame(s)."""
        buf = as_uint8(data)
        limit = decoded_size_limit(spec)
        claimed = _frame_content_size(buf)
        if limit is not None and claimed is not None and claimed > limit:
            raise CorruptChunkError(
                f"the zstd frame claims {claimed} bytes, more than this chunk can hold",
                codec=self.codec_name,
            )
        try:
            out = bytes(self._numcodecs.decode(buf))
        except (RuntimeError, ValueError) as err:
            raise CorruptChunkError(f"zstd: {err}", codec=self.codec_name) from err
        if limit is not None and len(out) > limit:
            raise CorruptChunkError(
                "zstd stream decodes to more than this chunk can hold", codec=self.codec_name
            )
        return out


def _frame_content_size(buf: Any) -> int | None:
    """The content size a zstd frame header declares, or None if absent or unreadable."""
    if len(buf) < 6 or bytes(buf[:4]) != b"\x28\xb5\x2f\xfd":
        return None
    descriptor = int(buf[4])
    fcs_flag = descriptor >> 6
    single_segment = (descriptor >> 5) & 1
    dict_id_size = (0, 1, 2, 4)[descriptor & 3]
    pos = 5 + (0 if single_segment else 1) + dict_id_size
    fcs_size = (1 if single_segment else 0, 2, 4, 8)[fcs_flag]
    if fcs_size == 0 or len(buf) < pos + fcs_size:
        return None
    value = int.from_bytes(bytes(buf[pos : pos + fcs_size]), "little")
    # The 2-byte form is stored minus 256.
    return value + 256 if fcs_size == 2 else value


register_codec("zstd", ZstdCodec)
