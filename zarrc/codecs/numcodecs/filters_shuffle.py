"""The numcodecs ``shuffle`` filter: byte ``j`` of every element, for each ``j`` in turn."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from zarrc.codecs._base import BytesBytesCodec, ChunkSpec, Codec, as_uint8, check_int
from zarrc.codecs.numcodecs.generic import NumcodecsConfigMixin
from zarrc.codecs.registry import register_codec
from zarrc.errors import CorruptChunkError

__all__ = ["ShuffleCodec"]


@dataclass(frozen=True, eq=False)
class ShuffleCodec(NumcodecsConfigMixin, BytesBytesCodec):
    """Transpose the bytes of fixed-size elements (numcodecs ``Shuffle``).

    A filter in Zarr v2 and, as in zarr-python, a bytes-to-bytes codec in Zarr v3.

    Parameters
    ----------
    elementsize : int, optional
        Bytes per element; 1 or less copies the data unchanged.  ``None`` (Zarr
        v3 only) means the item size of the array's data type.
    """

    codec_id: ClassVar[str] = "shuffle"
    codec_name: ClassVar[str] = "numcodecs.shuffle"
    v2_keys: ClassVar[frozenset[str]] = frozenset({"elementsize"})
    is_fixed_size: ClassVar[bool] = True

    elementsize: int | None

    def __init__(self, *, elementsize: int | None = None) -> None:
        value = None if elementsize is None else check_int(elementsize, "elementsize")
        object.__setattr__(self, "elementsize", value)

    def to_v2_config(self) -> dict[str, Any]:
        """``{"id": "shuffle", "elementsize": ...}`` (numcodecs' default is 4)."""
        return {
            "id": self.codec_id,
            "elementsize": 4 if self.elementsize is None else self.elementsize,
        }

    def evolve_from_array_spec(self, spec: ChunkSpec) -> Codec:
        """Take ``elementsize`` from the data type when it is not set."""
        if self.elementsize is not None:
            return self
        return replace(self, elementsize=spec.dtype.itemsize)

    def compute_encoded_size(self, input_byte_length: int, spec: ChunkSpec) -> int:
        """The encoded size equals the input size."""
        return input_byte_length

    def _size(self, n: int) -> int:
        size = 4 if self.elementsize is None else self.elementsize
        if size > 1 and n % size:
            raise CorruptChunkError(
                f"shuffle: {n} bytes are not a whole number of {size}-byte elements",
                codec=self.codec_name,
            )
        return size

    def encode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Byte ``j`` of every element, for ``j`` from 0 to ``elementsize - 1``."""
        buf = as_uint8(data)
        size = self._size(buf.size)
        if size <= 1:
            return buf.tobytes()
        return buf.reshape(-1, size).T.tobytes()

    def decode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Undo :meth:`encode`."""
        buf = as_uint8(data)
        size = self._size(buf.size)
        if size <= 1:
            return buf.tobytes()
        return buf.reshape(size, -1).T.tobytes()


register_codec(ShuffleCodec.codec_name, ShuffleCodec)
