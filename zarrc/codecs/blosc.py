"""The ``blosc`` codec (c-blosc 1.x frames)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cached_property
from typing import Any, ClassVar, Literal

from zarrc._ext._engine import B2B_BLOSC
from zarrc.codecs._base import (
    BytesBytesCodec,
    ChunkSpec,
    Codec,
    as_uint8,
    check_int,
    construct_from_config,
    decoded_size_limit,
    parse_enum,
    parse_named_configuration,
)
from zarrc.codecs.registry import register_codec
from zarrc.errors import CorruptChunkError, ZarrcError

__all__ = ["BloscCname", "BloscCodec", "BloscShuffle", "CName", "Shuffle"]

Shuffle = Literal["noshuffle", "shuffle", "bitshuffle"]
CName = Literal["lz4", "lz4hc", "blosclz", "snappy", "zlib", "zstd"]

_BLOSC_HEADER_SIZE = 16


class BloscShuffle(Enum):
    """The shuffle filter blosc applies before compressing."""

    noshuffle = "noshuffle"
    shuffle = "shuffle"
    bitshuffle = "bitshuffle"

    @classmethod
    def from_int(cls, num: int) -> BloscShuffle:
        """The member for blosc's integer code (0 none, 1 byte, 2 bit shuffle)."""
        members = {0: cls.noshuffle, 1: cls.shuffle, 2: cls.bitshuffle}
        if num not in members:
            raise ValueError(f"a blosc shuffle code must be 0, 1 or 2, got {num!r}")
        return members[num]

    def to_int(self) -> int:
        """Blosc's integer code of this shuffle."""
        return {"noshuffle": 0, "shuffle": 1, "bitshuffle": 2}[self.value]


class BloscCname(Enum):
    """The compressor blosc uses inside its frame."""

    lz4 = "lz4"
    lz4hc = "lz4hc"
    blosclz = "blosclz"
    zstd = "zstd"
    snappy = "snappy"
    zlib = "zlib"


@dataclass(frozen=True, eq=False)
class BloscCodec(BytesBytesCodec):
    """Blosc compression.

    Parameters
    ----------
    typesize : int, optional
        Element size in bytes the shuffle works with.  ``None`` (the default)
        means 1 until the array's data type is known, then its item size.
    cname : BloscCname or str, optional
        Compressor: ``"lz4"``, ``"lz4hc"``, ``"blosclz"``, ``"snappy"``, ``"zlib"``
        or ``"zstd"`` (default).
    clevel : int, optional
        Compression level, 0 (none) to 9; default 5.
    shuffle : BloscShuffle or str, optional
        ``"noshuffle"``, ``"shuffle"`` or ``"bitshuffle"``.  ``None`` (the default)
        means bit shuffle for 1-byte data types and byte shuffle otherwise,
        decided once the data type is known.
    blocksize : int, optional
        Block size in bytes; 0 (default) lets blosc choose.
    """

    codec_name: ClassVar[str] = "blosc"

    # Which of typesize/shuffle were left unset and may still follow the data type.
    _tunable_attrs: frozenset[str] = field(init=False, repr=False)
    typesize: int
    cname: BloscCname
    clevel: int
    shuffle: BloscShuffle
    blocksize: int

    def __init__(
        self,
        *,
        typesize: int | None = None,
        cname: BloscCname | CName = BloscCname.zstd,
        clevel: int = 5,
        shuffle: BloscShuffle | Shuffle | None = None,
        blocksize: int = 0,
    ) -> None:
        tunable = set()
        if typesize is None:
            typesize = 1
            tunable.add("typesize")
        if shuffle is None:
            shuffle = BloscShuffle.bitshuffle
            tunable.add("shuffle")
        object.__setattr__(self, "_tunable_attrs", frozenset(tunable))
        object.__setattr__(self, "typesize", check_int(typesize, "typesize", lo=1))
        object.__setattr__(self, "cname", parse_enum(cname, BloscCname, "cname"))
        object.__setattr__(self, "clevel", check_int(clevel, "clevel", lo=0, hi=9))
        object.__setattr__(self, "shuffle", parse_enum(shuffle, BloscShuffle, "shuffle"))
        object.__setattr__(self, "blocksize", check_int(blocksize, "blocksize", lo=0))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BloscCodec:
        """Build from ``{"name": "blosc", "configuration": {...}}``."""
        keys = frozenset({"typesize", "cname", "clevel", "shuffle", "blocksize"})
        config = parse_named_configuration(data, ("blosc",), keys=keys)
        return construct_from_config(cls, config)  # type: ignore[return-value]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "name": "blosc",
            "configuration": {
                "typesize": self.typesize,
                "cname": self.cname.value,
                "clevel": self.clevel,
                "shuffle": self.shuffle.value,
                "blocksize": self.blocksize,
            },
        }

    def _identity(self) -> Any:
        return (super()._identity(), self._tunable_attrs)

    def evolve_from_array_spec(self, spec: ChunkSpec) -> Codec:
        """Fill unset ``typesize``/``shuffle`` from the data type's item size."""
        if not self._tunable_attrs:
            return self
        # Variable-length elements have no fixed size to shuffle by.
        item_size = 1 if spec.dtype.kind in "OT" else spec.dtype.itemsize
        changes: dict[str, Any] = {}
        if "typesize" in self._tunable_attrs:
            changes["typesize"] = item_size
        if "shuffle" in self._tunable_attrs:
            changes["shuffle"] = BloscShuffle.bitshuffle if item_size == 1 else BloscShuffle.shuffle
        return replace(self, **changes)

    def c_kernel(self) -> dict[str, Any]:
        """The ``zc_b2b_codec`` fields for blosc."""
        return {
            "kind": B2B_BLOSC,
            "level": self.clevel,
            "checksum": 0,
            "shuffle": self.shuffle.to_int(),
            "typesize": self.typesize,
            "blocksize": self.blocksize,
            "cname": self.cname.value,
        }

    @cached_property
    def _numcodecs(self) -> Any:
        try:
            from numcodecs.blosc import Blosc
        except ImportError as err:
            raise ZarrcError(
                "the Python blosc codec needs the 'numcodecs' package; install it or "
                "use the compiled engine"
            ) from err
        return Blosc(
            cname=self.cname.value,
            clevel=self.clevel,
            shuffle=self.shuffle.to_int(),
            blocksize=self.blocksize,
            typesize=self.typesize,
        )

    def encode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Compress one chunk with numcodecs' blosc."""
        return bytes(self._numcodecs.encode(as_uint8(data)))

    def decode(self, data: Any, spec: ChunkSpec) -> bytes:
        """Decompress one blosc frame after checking its header against ``spec``."""
        buf = as_uint8(data)
        if buf.size < _BLOSC_HEADER_SIZE:
            raise CorruptChunkError(
                f"a blosc frame has a 16-byte header, got {buf.size} bytes",
                codec=self.codec_name,
            )
        header = buf[:_BLOSC_HEADER_SIZE].tobytes()
        nbytes = int.from_bytes(header[4:8], "little")
        cbytes = int.from_bytes(header[12:16], "little")
        if cbytes != buf.size:
            raise CorruptChunkError(
                f"the blosc header claims {cbytes} compressed bytes, got {buf.size}",
                codec=self.codec_name,
            )
        limit = decoded_size_limit(spec)
        if limit is not None and nbytes > limit:
            raise CorruptChunkError(
                f"the blosc header claims {nbytes} bytes, more than this chunk can hold",
                codec=self.codec_name,
            )
        try:
            return bytes(self._numcodecs.decode(buf))
        except (RuntimeError, ValueError) as err:
            raise CorruptChunkError(f"blosc: {err}", codec=self.codec_name) from err


register_codec("blosc", BloscCodec)
