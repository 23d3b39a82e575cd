"""The ``vlen-utf8`` codec: variable-length strings as UTF-8.

The chunk's strings (C order) are framed as ``vlen-bytes`` frames bytes (see
:mod:`zarrc.codecs.vlen_bytes`), byte for byte what numcodecs' ``VLenUTF8``
and zarr-python write.  Decoded chunks are numpy ``StringDType`` arrays when
the array's dtype is one (numpy 2), object arrays of ``str`` otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zarrc.codecs._base import ArrayBytesCodec, ChunkSpec, parse_named_configuration
from zarrc.codecs.registry import register_codec
from zarrc.codecs.vlen_bytes import chunk_items, object_array, pack_items, unpack_items
from zarrc.errors import CodecError, CorruptChunkError, MetadataError

__all__ = ["VLenUTF8Codec"]


def _as_text(item: object) -> str:
    if isinstance(item, str):
        return item
    # A missing element, as numcodecs writes it.
    if item is None or (isinstance(item, int) and item == 0):
        return ""
    raise TypeError(f"expected str, got {type(item).__name__} {item!r}")


@dataclass(frozen=True, eq=False)
class VLenUTF8Codec(ArrayBytesCodec):
    """Serialise variable-length strings as UTF-8.

    ``None`` elements of object arrays are stored as empty strings.  The codec
    has no configuration and runs in Python.
    """

    codec_name: ClassVar[str] = "vlen-utf8"

    def __init__(self) -> None:
        pass

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VLenUTF8Codec:
        """Build from ``{"name": "vlen-utf8"}`` (an empty configuration is allowed)."""
        parse_named_configuration(
            data, (cls.codec_name,), keys=frozenset(), require_configuration=False
        )
        return cls()

    def to_dict(self) -> dict[str, Any]:
        """``{"name": "vlen-utf8", "configuration": {}}``, as zarr-python writes it."""
        return {"name": self.codec_name, "configuration": {}}

    def validate(self, spec: ChunkSpec) -> None:
        """Require a ``StringDType`` or object dtype."""
        if spec.dtype.kind not in "OT":
            raise MetadataError(
                f"the vlen-utf8 codec stores variable-length strings, not {spec.dtype}",
                field="codecs",
            )

    def encode(self, data: Any, spec: ChunkSpec) -> bytes:
        """The chunk's strings (C order) as UTF-8, framed with their lengths."""
        items = chunk_items(data, spec, self.codec_name)
        try:
            encoded = [_as_text(item).encode("utf-8") for item in items]
        except (TypeError, UnicodeEncodeError) as exc:
            raise CodecError(f"cannot encode as UTF-8: {exc}", codec=self.codec_name) from exc
        return pack_items(encoded, self.codec_name)

    def decode(self, data: Any, spec: ChunkSpec) -> np.ndarray:
        """An array of ``spec.shape`` and ``spec.dtype`` (``StringDType`` or object)."""
        raw = unpack_items(data, math.prod(spec.shape), self.codec_name)
        try:
            items = [item.decode("utf-8") for item in raw]
        except UnicodeDecodeError as exc:
            raise CorruptChunkError(f"invalid UTF-8: {exc}", codec=self.codec_name) from exc
        if spec.dtype.kind == "T":
            return np.array(items, dtype=spec.dtype).reshape(spec.shape)
        return object_array(items, spec.shape)


register_codec("vlen-utf8", VLenUTF8Codec)
