"""The ``vlen-bytes`` codec: variable-length byte strings, and the framing it shares
with ``vlen-utf8``.

A chunk of n elements (in C order) is stored as numcodecs writes it::

    u32 LE n | u32 LE len(item 0) | item 0 | u32 LE len(item 1) | item 1 | ...

Decoding checks every length against the bytes left, the count against the
chunk's element count, and that nothing follows the last item, so a corrupt
chunk raises :class:`~zarrc.errors.CorruptChunkError` and never makes us
allocate what it claims.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zarrc.codecs._base import (
    ArrayBytesCodec,
    ChunkSpec,
    as_uint8,
    parse_named_configuration,
)
from zarrc.codecs.registry import register_codec
from zarrc.errors import CodecError, CorruptChunkError, MetadataError

__all__ = ["VLenBytesCodec", "pack_items", "unpack_items"]

_U32 = struct.Struct("<I")
_MAX_U32 = 2**32 - 1
# Below this many items a Python loop frames faster than numpy's scatter.
_VECTOR_THRESHOLD = 64


def pack_items(items: Sequence[bytes], codec: str) -> bytes:
    """Frame ``items`` as ``u32 count`` then ``u32 length + bytes`` per item.

    Parameters
    ----------
    items : sequence of bytes
        The encoded elements, in order.
    codec : str
        The codec's name, for error messages.

    Returns
    -------
    bytes
    """
    n = len(items)
    if n > _MAX_U32:
        raise CodecError(f"a chunk of {n} elements has too many for a u32 count", codec=codec)
    if n < _VECTOR_THRESHOLD:
        parts = [_U32.pack(n)]
        for item in items:
            if len(item) > _MAX_U32:
                raise CodecError("an element is longer than 4 GiB", codec=codec)
            parts.append(_U32.pack(len(item)))
            parts.append(item)
        return b"".join(parts)
    lengths = np.fromiter(map(len, items), dtype=np.int64, count=n)
    if int(lengths.max()) > _MAX_U32:
        raise CodecError("an element is longer than 4 GiB", codec=codec)
    data = b"".join(items)
    total = 4 + 4 * n + len(data)
    out = np.empty(total, dtype=np.uint8)
    out[:4] = np.frombuffer(_U32.pack(n), dtype=np.uint8)
    # Each item's length field starts after the header, the earlier length
    # fields and the earlier items.
    starts = 4 + 4 * np.arange(n, dtype=np.int64) + (np.cumsum(lengths) - lengths)
    length_at = starts[:, None] + np.arange(4, dtype=np.int64)
    out[length_at] = lengths.astype("<u4").view(np.uint8).reshape(n, 4)
    # Every other byte after the header is item data, in order.
    is_data = np.ones(total, dtype=bool)
    is_data[:4] = False
    is_data[length_at] = False
    out[is_data] = np.frombuffer(data, dtype=np.uint8)
    return out.tobytes()


def unpack_items(data: Any, count: int, codec: str) -> list[bytes]:
    """Split a framed chunk into the bytes of its items.

    Parameters
    ----------
    data : bytes-like
        The encoded chunk.
    count : int
        How many elements the chunk must hold.
    codec : str
        The codec's name, for error messages.

    Returns
    -------
    list of bytes

    Raises
    ------
    CorruptChunkError
        If the chunk is truncated, holds another number of elements, or has
        bytes after the last item.
    """
    if not isinstance(data, bytes):
        data = as_uint8(data).tobytes()
    size = len(data)
    if size < 4:
        raise CorruptChunkError(
            f"chunk of {size} bytes is too short for the item count", codec=codec
        )
    n = _U32.unpack_from(data, 0)[0]
    if n != count:
        raise CorruptChunkError(f"chunk holds {n} elements, expected {count}", codec=codec)
    # Each item needs at least its 4-byte length: reject before allocating anything.
    if 4 + 4 * n > size:
        raise CorruptChunkError(f"chunk of {size} bytes is too short for {n} elements", codec=codec)
    unpack = _U32.unpack_from
    out: list[bytes] = [b""] * n
    pos = 4
    i = 0
    try:
        for i in range(n):
            start = pos + 4
            # unpack_from refuses to read past the end; an item running past it
            # makes the next read (or the final check) fail.
            pos = start + unpack(data, pos)[0]
            out[i] = data[start:pos]
    except struct.error:
        raise CorruptChunkError(f"chunk is truncated at element {i} of {n}", codec=codec) from None
    if pos > size:
        raise CorruptChunkError(
            f"the last element runs {pos - size} bytes past the end of the chunk", codec=codec
        )
    if pos != size:
        raise CorruptChunkError(
            f"{size - pos} bytes follow the last element of the chunk", codec=codec
        )
    return out


def object_array(items: list[Any], shape: tuple[int, ...]) -> np.ndarray:
    """An object array of ``shape`` holding ``items`` in C order."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out.reshape(shape)


def chunk_items(data: Any, spec: ChunkSpec, codec: str) -> list[Any]:
    """The elements of a chunk in C order, checking its size against ``spec``."""
    arr = np.asarray(data)
    if arr.size != math.prod(spec.shape):
        raise CodecError(
            f"chunk has {arr.size} elements, expected {math.prod(spec.shape)} for shape "
            f"{spec.shape}",
            codec=codec,
        )
    return arr.reshape(-1).tolist()


def _as_bytes(item: object) -> bytes:
    if isinstance(item, bytes):
        return item
    if isinstance(item, bytearray | memoryview):
        return bytes(item)
    if isinstance(item, str):
        return item.encode("utf-8")
    # A missing element, as numcodecs writes it.
    if item is None or (isinstance(item, int) and item == 0):
        return b""
    raise TypeError(f"expected bytes, got {type(item).__name__} {item!r}")


@dataclass(frozen=True, eq=False)
class VLenBytesCodec(ArrayBytesCodec):
    """Serialise variable-length byte strings (object arrays of ``bytes``).

    Elements that are ``str`` are stored as their UTF-8 bytes; ``None`` as
    empty.  The codec has no configuration and runs in Python.
    """

    codec_name: ClassVar[str] = "vlen-bytes"

    def __init__(self) -> None:
        pass

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VLenBytesCodec:
        """Build from ``{"name": "vlen-bytes"}`` (an empty configuration is allowed)."""
        parse_named_configuration(
            data, (cls.codec_name,), keys=frozenset(), require_configuration=False
        )
        return cls()

    def to_dict(self) -> dict[str, Any]:
        """``{"name": "vlen-bytes", "configuration": {}}``, as zarr-python writes it."""
        return {"name": self.codec_name, "configuration": {}}

    def validate(self, spec: ChunkSpec) -> None:
        """Require an object dtype."""
        if spec.dtype.kind != "O":
            raise MetadataError(
                f"the vlen-bytes codec stores object arrays of bytes, not {spec.dtype}",
                field="codecs",
            )

    def encode(self, data: Any, spec: ChunkSpec) -> bytes:
        """The chunk's elements (C order) framed with their lengths."""
        items = chunk_items(data, spec, self.codec_name)
        try:
            encoded = [_as_bytes(item) for item in items]
        except TypeError as exc:
            raise CodecError(str(exc), codec=self.codec_name) from exc
        return pack_items(encoded, self.codec_name)

    def decode(self, data: Any, spec: ChunkSpec) -> np.ndarray:
        """An object array of ``spec.shape`` holding ``bytes``."""
        items = unpack_items(data, math.prod(spec.shape), self.codec_name)
        return object_array(items, spec.shape)


register_codec("vlen-bytes", VLenBytesCodec)
