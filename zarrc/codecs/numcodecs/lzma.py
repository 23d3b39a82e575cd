"""The numcodecs ``lzma`` compressor, through the standard library."""

from __future__ import annotations

import copy
import json
import lzma
from collections.abc import Mapping, Sequence
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

__all__ = ["LZMACodec"]


def _filters(value: Any) -> tuple[dict[str, Any], ...] | None:
    if value is None:
        return None
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise TypeError(f"filters must be a list of filter objects, got {value!r}")
    out = []
    for item in value:
        if not isinstance(item, Mapping) or "id" not in item:
            raise TypeError(f"an lzma filter must be an object with an 'id', got {item!r}")
        out.append(copy.deepcopy(dict(item)))
    return tuple(out)


@dataclass(frozen=True, eq=False)
class LZMACodec(NumcodecsConfigMixin, BytesBytesCodec):
    """LZMA/XZ compression, as numcodecs ``LZMA`` (id ``"lzma"``).

    Parameters
    ----------
    format : int, optional
        ``lzma.FORMAT_XZ`` (1, the default), ``FORMAT_ALONE`` (2) or ``FORMAT_RAW`` (3).
    check : int, optional
        The integrity check of the xz format; -1 (the default) is the format's default.
    preset : int, optional
        Compression preset 0 to 9 (optionally ``| lzma.PRESET_EXTREME``); ``None``
        is liblzma's default.  Exclusive with ``filters``.
    filters : list of dict, optional
        An explicit filter chain, as the ``lzma`` module takes it; required for
        ``FORMAT_RAW``.
    """

    codec_id: ClassVar[str] = "lzma"
    codec_name: ClassVar[str] = "numcodecs.lzma"
    v2_keys: ClassVar[frozenset[str]] = frozenset({"format", "check", "preset", "filters"})

    format: int
    check: int
    preset: int | None
    filters: tuple[dict[str, Any], ...] | None

    def __init__(
        self,
        *,
        format: int = lzma.FORMAT_XZ,  # noqa: A002 - numcodecs' name
        check: int = -1,
        preset: int | None = None,
        filters: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        fmt = check_int(format, "format")
        if fmt not in (lzma.FORMAT_XZ, lzma.FORMAT_ALONE, lzma.FORMAT_RAW):
            raise ValueError(f"format must be 1 (xz), 2 (alone) or 3 (raw), got {fmt}")
        object.__setattr__(self, "format", fmt)
        object.__setattr__(self, "check", check_int(check, "check", lo=-1))
        object.__setattr__(self, "preset", None if preset is None else check_int(preset, "preset"))
        object.__setattr__(self, "filters", _filters(filters))
        try:
            # Let liblzma judge the combination now rather than at the first chunk.
            self._compressor()
            if fmt == lzma.FORMAT_RAW:
                self._decompressor()
        except lzma.LZMAError as err:
            raise ValueError(str(err)) from err

    def to_v2_config(self) -> dict[str, Any]:
        """``{"id": "lzma", "format": ..., "check": ..., "preset": ..., "filters": ...}``."""
        return {
            "id": self.codec_id,
            "format": self.format,
            "check": self.check,
            "preset": self.preset,
            "filters": None if self.filters is None else [dict(f) for f in self.filters],
        }

    def _identity(self) -> Any:
        return json.dumps(self.to_v2_config(), sort_keys=True)

    def _filter_list(self) -> list[dict[str, Any]] | None:
        return None if self.filters is None else [dict(f) for f in self.filters]

    def _compressor(self) -> lzma.LZMACompressor:
        return lzma.LZMACompressor(
            format=self.format, check=self.check, preset=self.preset, filters=self._filter_list()
        )

    def _decompressor(self) -> lzma.LZMADecompressor:
        if self.format == lzma.FORMAT_RAW:
            return lzma.LZMADecompressor(format=self.format, filters=self._filter_list())
        return lzma.LZMADecompressor(format=self.format)

    def encode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Compress one chunk (as ``lzma.compress`` does)."""
        compressor = self._compressor()
        return compressor.compress(as_uint8(data)) + compressor.flush()

    def decode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Decompress one chunk, refusing to inflate past what the chunk can hold."""
        limit = decoded_size_limit(spec)
        remaining = bytes(as_uint8(data))
        parts: list[bytes] = []
        total = 0
        while True:
            inflater = self._decompressor()
            try:
                out = inflater.decompress(remaining, -1 if limit is None else limit - total + 1)
            except lzma.LZMAError as err:
                if parts:
                    # Like lzma.decompress: junk after a complete stream is ignored.
                    break
                raise CorruptChunkError(f"lzma: {err}", codec=self.codec_name) from err
            total += len(out)
            if limit is not None and total > limit:
                raise CorruptChunkError(
                    "lzma stream decodes to more than this chunk can hold", codec=self.codec_name
                )
            if not inflater.eof:
                if parts:
                    # Leftover bytes that are no complete stream: ignored, as junk is above.
                    break
                raise CorruptChunkError("lzma stream is truncated", codec=self.codec_name)
            parts.append(out)
            # Concatenated streams decode to the concatenation, as lzma.decompress does.
            remaining = inflater.unused_data
            if not remaining:
                break
        return b"".join(parts)


register_codec(LZMACodec.codec_name, LZMACodec)
