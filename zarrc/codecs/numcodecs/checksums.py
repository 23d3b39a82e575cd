"""The numcodecs checksums: crc32, adler32, crc32c, fletcher32 and jenkins_lookup3.

Each adds a 32-bit checksum, little-endian, to the data.  ``crc32``, ``adler32``
and ``crc32c`` take a ``location``: ``crc32`` and ``adler32`` put it in front by
default, ``crc32c`` behind (the layout of the Zarr v3 ``crc32c`` codec).
``fletcher32`` and ``jenkins_lookup3`` always put it behind.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from zarrc._ext._engine import B2B_CRC32C
from zarrc.codecs._base import BytesBytesCodec, ChunkSpec, as_uint8, check_int
from zarrc.codecs.crc32c import crc32c
from zarrc.codecs.numcodecs.generic import NumcodecsConfigMixin
from zarrc.codecs.registry import register_codec
from zarrc.errors import ChecksumError, CorruptChunkError

__all__ = [
    "Adler32Codec",
    "CRC32Codec",
    "Fletcher32Codec",
    "JenkinsLookup3Codec",
    "NumcodecsCRC32CCodec",
    "fletcher32",
    "jenkins_lookup3",
]

Location = Literal["start", "end"]

_MASK = 0xFFFFFFFF


# --------------------------------------------------------------------------------------
# checksum functions
# --------------------------------------------------------------------------------------
def fletcher32(data: Any) -> int:
    """The Fletcher-32 checksum of HDF5 and netCDF (as numcodecs computes it).

    The data is read as big-endian 16-bit words, an odd last byte padded with a
    zero byte.  Both running sums are kept modulo 65535 but represented in
    1..65535 once they are non-zero, which is what HDF5's deferred reduction
    yields.

    Parameters
    ----------
    data : bytes-like or numpy.ndarray
        The bytes to checksum.

    Returns
    -------
    int
        ``(sum2 << 16) | sum1``.
    """
    buf = as_uint8(data)
    if buf.size % 2:
        buf = np.concatenate([buf, np.zeros(1, dtype=np.uint8)])
    words = buf.view(">u2").astype(np.uint64)
    n = words.size
    if n == 0 or not words.any():
        return 0
    sum1 = int(words.sum()) % 65535
    # sum2 = sum over i of (n - i) * words[i]; weights reduced mod 65535 keep products < 2**32.
    sum2 = 0
    block = 1 << 20
    for start in range(0, n, block):
        part = words[start : start + block]
        weights = (n - start - np.arange(part.size, dtype=np.uint64)) % np.uint64(65535)
        sum2 = (sum2 + int((weights * part).sum())) % 65535
    # Non-zero data never reduces to 0 in HDF5's representation, but to 65535.
    return ((sum2 or 65535) << 16) | (sum1 or 65535)


def _rot(x: int, k: int) -> int:
    return ((x << k) | (x >> (32 - k))) & _MASK


def _jenkins_py(buf: bytes, initval: int) -> int:
    length = len(buf)
    a = b = c = (0xDEADBEEF + length + initval) & _MASK
    if length == 0:
        return c
    # Pad to whole 12-byte blocks; the padding bytes add nothing to the last block.
    full = -(-length // 12) * 12
    words = np.frombuffer(buf + bytes(full - length), dtype="<u4").tolist()
    for i in range(0, len(words) - 3, 3):
        a = (a + words[i]) & _MASK
        b = (b + words[i + 1]) & _MASK
        c = (c + words[i + 2]) & _MASK
        a = (a - c) & _MASK
        a ^= _rot(c, 4)
        c = (c + b) & _MASK
        b = (b - a) & _MASK
        b ^= _rot(a, 6)
        a = (a + c) & _MASK
        c = (c - b) & _MASK
        c ^= _rot(b, 8)
        b = (b + a) & _MASK
        a = (a - c) & _MASK
        a ^= _rot(c, 16)
        c = (c + b) & _MASK
        b = (b - a) & _MASK
        b ^= _rot(a, 19)
        a = (a + c) & _MASK
        c = (c - b) & _MASK
        c ^= _rot(b, 4)
        b = (b + a) & _MASK
    a = (a + words[-3]) & _MASK
    b = (b + words[-2]) & _MASK
    c = (c + words[-1]) & _MASK
    c ^= b
    c = (c - _rot(b, 14)) & _MASK
    a ^= c
    a = (a - _rot(c, 11)) & _MASK
    b ^= a
    b = (b - _rot(a, 25)) & _MASK
    c ^= b
    c = (c - _rot(b, 16)) & _MASK
    a ^= c
    a = (a - _rot(c, 4)) & _MASK
    b ^= a
    b = (b - _rot(a, 14)) & _MASK
    c ^= b
    c = (c - _rot(b, 24)) & _MASK
    return c


def _jenkins_impl() -> Callable[[Any, int], int] | None:
    try:
        from numcodecs.checksum32 import jenkins_lookup3 as compiled
    except ImportError:
        return None
    return compiled  # type: ignore[no-any-return]


def jenkins_lookup3(data: Any, initval: int = 0, *, use_compiled: bool = True) -> int:
    """Bob Jenkins' lookup3 ``hashlittle`` of ``data``, the HDF5 checksum.

    Parameters
    ----------
    data : bytes-like or numpy.ndarray
        The bytes to hash.
    initval : int, optional
        The seed.
    use_compiled : bool, optional
        Use numcodecs' compiled implementation when installed (the pure Python
        one here is exact but slow: about a second per megabyte).

    Returns
    -------
    int
        The 32-bit hash.
    """
    buf = as_uint8(data)
    compiled = _jenkins_impl() if use_compiled else None
    if compiled is not None:
        return int(compiled(np.ascontiguousarray(buf), initval)) & _MASK
    return _jenkins_py(buf.tobytes(), initval & _MASK)


# --------------------------------------------------------------------------------------
# codecs
# --------------------------------------------------------------------------------------
class _Checksum32(NumcodecsConfigMixin, BytesBytesCodec):
    """A 32-bit little-endian checksum in front of or behind the data."""

    is_fixed_size: ClassVar[bool] = True
    default_location: ClassVar[Location] = "start"

    @property
    def _at_start(self) -> bool:
        return getattr(self, "location", None) == "start" or (
            getattr(self, "location", None) is None and self.default_location == "start"
        )

    def checksum(self, data: np.ndarray) -> int:
        """The checksum of ``data`` (a uint8 array)."""
        raise NotImplementedError

    def compute_encoded_size(self, input_byte_length: int, spec: ChunkSpec) -> int:
        """Four bytes more than the input."""
        return input_byte_length + 4

    def encode(self, data: Any, spec: ChunkSpec) -> bytes:
        """The data with its checksum."""
        buf = as_uint8(data)
        value = (self.checksum(buf) & _MASK).to_bytes(4, "little")
        payload = buf.tobytes()
        return value + payload if self._at_start else payload + value

    def decode(self, data: Any, spec: ChunkSpec) -> bytes:
        """The data without its checksum, after verifying it."""
        buf = as_uint8(data)
        if buf.size < 4:
            raise CorruptChunkError(
                f"a {self.codec_id}-checked chunk has at least 4 bytes, got {buf.size}",
                codec=self.codec_name,
            )
        if self._at_start:
            stored, payload = buf[:4], buf[4:]
        else:
            stored, payload = buf[-4:], buf[:-4]
        expected = int.from_bytes(stored.tobytes(), "little")
        computed = self.checksum(payload) & _MASK
        if expected != computed:
            raise ChecksumError(
                f"{self.codec_id} mismatch: stored {expected:#010x}, computed {computed:#010x}",
                codec=self.codec_name,
            )
        return payload.tobytes()


def _location(value: Any) -> Location | None:
    if value is not None and value not in ("start", "end"):
        raise ValueError(f"location must be 'start' or 'end', got {value!r}")
    return value  # type: ignore[no-any-return]


def _located_config(codec_id: str, location: Location | None) -> dict[str, Any]:
    # numcodecs writes a location only when one was given.
    config: dict[str, Any] = {"id": codec_id}
    if location is not None:
        config["location"] = location
    return config


@dataclass(frozen=True, eq=False)
class _LocatedChecksum(_Checksum32):
    """A checksum whose place (``location``: "start" or "end") is configurable."""

    v2_keys: ClassVar[frozenset[str]] = frozenset({"location"})

    location: Location | None

    def __init__(self, *, location: Location | None = None) -> None:
        object.__setattr__(self, "location", _location(location))

    def to_v2_config(self) -> dict[str, Any]:
        """``{"id": ...}``, with ``"location"`` when one was given (as numcodecs writes)."""
        return _located_config(self.codec_id, self.location)


@dataclass(frozen=True, eq=False, init=False)
class CRC32Codec(_LocatedChecksum):
    """A CRC-32 (zlib's) of the data, in front by default (numcodecs ``CRC32``).

    Parameters
    ----------
    location : {"start", "end"}, optional
        Where the checksum goes; ``None`` means numcodecs' default, ``"start"``.
    """

    codec_id: ClassVar[str] = "crc32"
    codec_name: ClassVar[str] = "numcodecs.crc32"

    def checksum(self, data: np.ndarray) -> int:
        """``zlib.crc32``."""
        return zlib.crc32(data)


@dataclass(frozen=True, eq=False, init=False)
class Adler32Codec(_LocatedChecksum):
    """An Adler-32 (zlib's) of the data, in front by default (numcodecs ``Adler32``).

    Parameters
    ----------
    location : {"start", "end"}, optional
        Where the checksum goes; ``None`` means numcodecs' default, ``"start"``.
    """

    codec_id: ClassVar[str] = "adler32"
    codec_name: ClassVar[str] = "numcodecs.adler32"

    def checksum(self, data: np.ndarray) -> int:
        """``zlib.adler32``."""
        return zlib.adler32(data)


@dataclass(frozen=True, eq=False, init=False)
class NumcodecsCRC32CCodec(_LocatedChecksum):
    """A CRC-32C of the data, behind by default (numcodecs ``CRC32C``).

    Behind the data this is the Zarr v3 ``crc32c`` layout, which the C engine runs.

    Parameters
    ----------
    location : {"start", "end"}, optional
        Where the checksum goes; ``None`` means numcodecs' default, ``"end"``.
    """

    codec_id: ClassVar[str] = "crc32c"
    codec_name: ClassVar[str] = "numcodecs.crc32c"
    default_location: ClassVar[Location] = "end"

    def checksum(self, data: np.ndarray) -> int:
        """CRC-32C (Castagnoli)."""
        return crc32c(data)

    def c_kernel(self) -> dict[str, Any] | None:
        """The engine's ``crc32c`` kernel when the checksum is behind the data."""
        if self._at_start:
            return None
        return {
            "kind": B2B_CRC32C,
            "level": 0,
            "checksum": 0,
            "shuffle": 0,
            "typesize": 0,
            "blocksize": 0,
            "cname": "",
        }


@dataclass(frozen=True, eq=False)
class Fletcher32Codec(_Checksum32):
    """HDF5's Fletcher-32 checksum behind the data (numcodecs ``Fletcher32``)."""

    codec_id: ClassVar[str] = "fletcher32"
    codec_name: ClassVar[str] = "numcodecs.fletcher32"
    default_location: ClassVar[Location] = "end"

    def __init__(self) -> None:
        pass

    def to_v2_config(self) -> dict[str, Any]:
        """``{"id": "fletcher32"}``."""
        return {"id": self.codec_id}

    def checksum(self, data: np.ndarray) -> int:
        """See :func:`fletcher32`."""
        return fletcher32(data)


def _prefix(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        raise TypeError(f"prefix must be a list of byte values, got {value!r}")
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if not isinstance(value, Iterable):
        raise TypeError(f"prefix must be a list of byte values, got {value!r}")
    return bytes(check_int(v, "prefix byte", lo=0, hi=255) for v in value)


@dataclass(frozen=True, eq=False)
class JenkinsLookup3Codec(_Checksum32):
    """HDF5's lookup3 hash behind the data (numcodecs ``JenkinsLookup3``).

    Parameters
    ----------
    initval : int, optional
        The hash seed; default 0.
    prefix : bytes or list of int, optional
        Bytes hashed before the data (not stored).
    """

    codec_id: ClassVar[str] = "jenkins_lookup3"
    codec_name: ClassVar[str] = "numcodecs.jenkins_lookup3"
    v2_keys: ClassVar[frozenset[str]] = frozenset({"initval", "prefix"})
    default_location: ClassVar[Location] = "end"

    initval: int
    prefix: bytes | None

    def __init__(self, *, initval: int = 0, prefix: Any = None) -> None:
        object.__setattr__(self, "initval", check_int(initval, "initval", lo=0, hi=_MASK))
        object.__setattr__(self, "prefix", _prefix(prefix))

    def to_v2_config(self) -> dict[str, Any]:
        """``{"id": "jenkins_lookup3", "initval": ..., "prefix": ...}`` (prefix as byte values)."""
        prefix = None if self.prefix is None else list(self.prefix)
        return {"id": self.codec_id, "initval": self.initval, "prefix": prefix}

    def checksum(self, data: np.ndarray) -> int:
        """See :func:`jenkins_lookup3`."""
        if self.prefix is not None:
            data = np.concatenate([np.frombuffer(self.prefix, dtype=np.uint8), data])
        return jenkins_lookup3(data, self.initval)


for _cls in (CRC32Codec, Adler32Codec, NumcodecsCRC32CCodec, Fletcher32Codec, JenkinsLookup3Codec):
    register_codec(_cls.codec_name, _cls)
