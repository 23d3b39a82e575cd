"""The ``sharding_indexed`` codec and the pure functions of the shard layout.

A shard holds the inner chunks of one outer chunk, each encoded with the
inner codecs, plus an index of ``(offset, nbytes)`` pairs (uint64, C order
over the inner grid) encoded with the index codecs, at the end or the start.
``(2^64-1, 2^64-1)`` marks an empty inner chunk.

Everything here is pure: index decoding (validated by the engine's one
validator, with checked arithmetic that never trusts a size from the file),
index encoding and shard assembly.  The orchestration of requests lives in
:mod:`zarrc.pipeline.shard`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np

from zarrc._ext import _engine
from zarrc.codecs._base import (
    ArrayBytesCodec,
    ChunkSpec,
    Codec,
    check_int,
    parse_named_configuration,
)
from zarrc.codecs.bytes import BytesCodec
from zarrc.codecs.chain import CodecChainSpec, parse_codecs
from zarrc.codecs.crc32c import Crc32cCodec
from zarrc.codecs.registry import codec_from_dict, register_codec
from zarrc.errors import ChecksumError, CorruptShardError, MetadataError

__all__ = [
    "EMPTY",
    "ShardIndex",
    "ShardingCodec",
    "ShardingCodecIndexLocation",
    "assemble_shard",
    "encode_index",
    "engine_index",
    "parse_index",
]

EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)


class ShardingCodecIndexLocation(Enum):
    """Where the shard index is stored."""

    start = "start"
    end = "end"


def _codec_list(value: Any) -> tuple[Codec, ...]:
    if isinstance(value, Codec | dict | str):
        value = [value]
    out = []
    for item in value:
        out.append(item if isinstance(item, Codec) else codec_from_dict(item))
    return tuple(out)


@dataclass(frozen=True, eq=False)
class ShardingCodec(ArrayBytesCodec):
    """Store many inner chunks in one stored object (a shard) with an index.

    Parameters
    ----------
    chunk_shape : sequence of int
        Shape of the inner chunks; must divide the shard (outer chunk) shape.
    codecs : sequence of Codec or dict
        Codecs of the inner chunks (default: ``bytes``).
    index_codecs : sequence of Codec or dict
        Codecs of the index (default: ``bytes`` + ``crc32c``).
    index_location : {"end", "start"}
        Where the index is stored.
    """

    codec_name: ClassVar[str] = "sharding_indexed"

    chunk_shape: tuple[int, ...]
    codecs: tuple[Codec, ...]
    index_codecs: tuple[Codec, ...]
    index_location: ShardingCodecIndexLocation

    def __init__(
        self,
        *,
        chunk_shape: Iterable[int],
        codecs: Any = None,
        index_codecs: Any = None,
        index_location: ShardingCodecIndexLocation | str = ShardingCodecIndexLocation.end,
    ) -> None:
        shape = tuple(check_int(c, "chunk_shape entry", lo=1) for c in chunk_shape)
        object.__setattr__(self, "chunk_shape", shape)
        if codecs is None:
            codecs = (BytesCodec(),)
        if index_codecs is None:
            index_codecs = (BytesCodec(endian="little"), Crc32cCodec())
        object.__setattr__(self, "codecs", _codec_list(codecs))
        object.__setattr__(self, "index_codecs", _codec_list(index_codecs))
        object.__setattr__(
            self,
            "index_location",
            ShardingCodecIndexLocation(
                index_location.value if isinstance(index_location, Enum) else index_location
            ),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShardingCodec:
        """Build from the JSON form."""
        config = parse_named_configuration(
            data,
            ("sharding_indexed",),
            keys=frozenset({"chunk_shape", "codecs", "index_codecs", "index_location"}),
        )
        if "chunk_shape" not in config:
            raise MetadataError("sharding_indexed requires 'chunk_shape'", field="codecs")
        try:
            return cls(
                chunk_shape=config["chunk_shape"],
                codecs=config.get("codecs", [{"name": "bytes"}]),
                index_codecs=config.get(
                    "index_codecs",
                    [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}],
                ),
                index_location=config.get("index_location", "end"),
            )
        except (TypeError, ValueError) as err:
            if isinstance(err, MetadataError):
                raise
            raise MetadataError(
                f"invalid sharding_indexed configuration: {err}", field="codecs"
            ) from err

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {
            "name": "sharding_indexed",
            "configuration": {
                "chunk_shape": list(self.chunk_shape),
                "codecs": [c.to_dict() for c in self.codecs],
                "index_codecs": [c.to_dict() for c in self.index_codecs],
                "index_location": self.index_location.value,
            },
        }

    # -- specs -----------------------------------------------------------------------------
    def validate(self, spec: ChunkSpec) -> None:
        """The inner chunk shape must have the shard's rank and divide it."""
        if len(self.chunk_shape) != len(spec.shape):
            raise MetadataError(
                f"sharding chunk_shape {list(self.chunk_shape)} does not match the "
                f"{len(spec.shape)}-d shard shape {list(spec.shape)}",
                field="codecs",
            )
        if any(s % c for s, c in zip(spec.shape, self.chunk_shape, strict=True)):
            raise MetadataError(
                f"the shard shape {list(spec.shape)} must be a multiple of the inner chunk "
                f"shape {list(self.chunk_shape)}",
                field="codecs",
            )

    def inner_spec(self, spec: ChunkSpec) -> ChunkSpec:
        """The chunk spec of one inner chunk."""
        return ChunkSpec(self.chunk_shape, spec.dtype, spec.fill_value)

    def chunks_per_shard(self, spec: ChunkSpec) -> tuple[int, ...]:
        """Inner chunks along each dimension of a shard."""
        return tuple(s // c for s, c in zip(spec.shape, self.chunk_shape, strict=True))

    def evolve_from_array_spec(self, spec: ChunkSpec) -> Codec:
        """Evolve the inner and index codecs for the data type (validating them)."""
        self.validate(spec)
        inner = parse_codecs(self.codecs, self.inner_spec(spec))
        index = parse_codecs(self.index_codecs, self.index_spec(spec))
        new = ShardingCodec(
            chunk_shape=self.chunk_shape,
            codecs=inner.all,
            index_codecs=index.all,
            index_location=self.index_location,
        )
        return new

    def index_spec(self, spec: ChunkSpec) -> ChunkSpec:
        """The spec of the index array: (*chunks_per_shard, 2) uint64."""
        return ChunkSpec((*self.chunks_per_shard(spec), 2), np.dtype("uint64"), EMPTY)

    def inner_chain(self, spec: ChunkSpec) -> CodecChainSpec:
        """The inner codecs as a parsed chain."""
        return parse_codecs(self.codecs, self.inner_spec(spec))

    def index_layout(self) -> tuple[str, bool] | None:
        """``(endian, has_crc32c)`` when the index codecs are ``bytes`` [+ ``crc32c``],
        the layout every implementation writes; None for anything else."""
        codecs = self.index_codecs
        if not codecs or not isinstance(codecs[0], BytesCodec):
            return None
        endian = codecs[0].c_kernel()["endian"] or "little"
        rest = codecs[1:]
        if not rest:
            return endian, False
        if len(rest) == 1 and isinstance(rest[0], Crc32cCodec):
            return endian, True
        return None

    def index_nbytes(self, spec: ChunkSpec) -> int:
        """Encoded size of the index of one shard."""
        n = 16 * int(np.prod(self.chunks_per_shard(spec), dtype=np.int64))
        for codec in self.index_codecs[1:]:
            n = codec.compute_encoded_size(n, self.index_spec(spec))
        return n

    # -- Python implementation (nested sharding, generic paths) -------------------------------
    def decode(self, data: Any, spec: ChunkSpec) -> np.ndarray:
        """A whole shard -> the decoded shard array."""
        data = bytes(data)
        cps = self.chunks_per_shard(spec)
        inner = self.inner_chain(spec)
        idx = parse_index(self._index_bytes(data, spec), self, spec, shard_size=len(data))
        out = np.full(spec.shape, spec.fill_value, dtype=spec.dtype)
        for j, pos in enumerate(np.ndindex(*cps)):
            off, n = idx.offsets[j], idx.lengths[j]
            if off == EMPTY:
                continue
            region = tuple(
                slice(p * c, (p + 1) * c) for p, c in zip(pos, self.chunk_shape, strict=True)
            )
            out[region] = inner.decode(data[int(off) : int(off) + int(n)], self.inner_spec(spec))
        return out

    def encode(self, data: Any, spec: ChunkSpec) -> bytes:
        """A shard array -> shard bytes (inner chunks equal to the fill value left out)."""
        arr = np.asarray(data)
        cps = self.chunks_per_shard(spec)
        inner = self.inner_chain(spec)
        parts: list[bytes | None] = []
        for pos in np.ndindex(*cps):
            region = tuple(
                slice(p * c, (p + 1) * c) for p, c in zip(pos, self.chunk_shape, strict=True)
            )
            block = arr[region]
            parts.append(
                None
                if self.inner_spec(spec).is_fill(block)
                else inner.encode(block, self.inner_spec(spec))
            )
        return assemble_shard(parts, self, spec, keep_empty=True)  # type: ignore[return-value]

    def _index_bytes(self, data: bytes, spec: ChunkSpec) -> bytes:
        n = self.index_nbytes(spec)
        if len(data) < n:
            raise CorruptShardError(f"shard of {len(data)} bytes is shorter than its index ({n})")
        if self.index_location is ShardingCodecIndexLocation.start:
            return data[:n]
        return data[len(data) - n :]

    def c_kernel(self) -> None:
        """Sharding is orchestrated by zarrc.pipeline.shard, not a single kernel."""
        return None


register_codec("sharding_indexed", ShardingCodec)


@dataclass(frozen=True)
class ShardIndex:
    """A validated shard index: per inner chunk (C order) offset and length (EMPTY if none)."""

    offsets: np.ndarray
    lengths: np.ndarray


def engine_index(
    raw: bytes,
    codec: ShardingCodec,
    spec: ChunkSpec,
    *,
    key: str | None = None,
    array_path: str | None = None,
) -> tuple[bytes, _engine.ShardLayout]:
    """The arguments of the engine's index validator (:func:`zarrc._ext._engine.shard_index`)
    for the stored index ``raw``: the stored bytes and their layout when the index codecs
    are ``bytes`` [+ ``crc32c``]; any other index codecs are decoded here first."""
    cps = codec.chunks_per_shard(spec)
    index_n = codec.index_nbytes(spec)
    at_start = codec.index_location is ShardingCodecIndexLocation.start
    layout = codec.index_layout()
    if layout is not None:
        endian, has_crc = layout
        return raw, _engine.ShardLayout(cps, index_n, at_start, has_crc, endian == "big")
    if len(raw) != index_n:
        raise CorruptShardError(
            f"shard index has {len(raw)} bytes, expected {index_n} (truncated shard)",
            key=key,
            array_path=array_path,
            codec="sharding_indexed",
        )
    try:
        table = parse_codecs(codec.index_codecs, codec.index_spec(spec)).decode(
            raw, codec.index_spec(spec)
        )
        table = np.asarray(table, dtype="<u8").reshape(-1, 2)
    except Exception as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        what = "checksum mismatch" if isinstance(exc, ChecksumError) else "cannot be decoded"
        raise CorruptShardError(
            f"shard index {what}: {reason}",
            array_path=array_path,
            key=key,
            codec=getattr(exc, "codec", None) or "sharding_indexed",
        ) from exc
    return table.tobytes(), _engine.ShardLayout(cps, index_n, at_start, False, False)


def parse_index(
    raw: bytes, codec: ShardingCodec, spec: ChunkSpec, *, shard_size: int | None
) -> ShardIndex:
    """Decode and validate a shard index with the engine's validator (the one that
    guards every shard read and write); a bad index is :class:`CorruptShardError`
    naming the inner chunk, the offset, the length and the shard size."""
    try:
        offsets, lengths = _engine.shard_index(*engine_index(raw, codec, spec), shard_size)
    except _engine.EngineError as exc:
        raise CorruptShardError(exc.msg, codec=exc.codec or None) from None
    return ShardIndex(offsets, lengths)


def encode_index(
    offsets: np.ndarray, lengths: np.ndarray, codec: ShardingCodec, spec: ChunkSpec
) -> bytes:
    """The encoded index for the given entries."""
    table = np.stack([offsets, lengths], axis=-1).astype(np.uint64)
    layout = codec.index_layout()
    if layout is None:
        shape = codec.index_spec(spec).shape
        return parse_codecs(codec.index_codecs, codec.index_spec(spec)).encode(
            table.reshape(shape), codec.index_spec(spec)
        )
    endian, has_crc = layout
    body = table.astype("<u8" if endian == "little" else ">u8").tobytes()
    if has_crc:
        body += _engine.crc32c(body).to_bytes(4, "little")
    return body


@lru_cache(maxsize=64)
def layout_order(chunks_per_shard: tuple[int, ...]) -> tuple[int, ...]:
    """The order inner chunks are laid out in a shard, as C-order inner chunk
    numbers: Morton (Z) order over the inner grid, as zarr-python writes, so
    shards are byte-identical across implementations.  Bit ``b`` of every
    dimension is interleaved before bit ``b + 1``, dimension 0 lowest, and a
    dimension stops contributing once its coordinates run out of bits."""
    cps = tuple(int(c) for c in chunks_per_shard)
    n = int(np.prod(cps, dtype=np.int64))
    if n == 0:
        return ()
    coords = np.stack(np.unravel_index(np.arange(n, dtype=np.int64), cps), axis=1)
    bits = [(c - 1).bit_length() for c in cps]
    codes = np.zeros(n, dtype=np.int64)
    out_bit = 0
    for b in range(max(bits, default=0)):
        for d, nb in enumerate(bits):
            if b < nb:
                codes |= ((coords[:, d] >> b) & 1) << out_bit
                out_bit += 1
    return tuple(int(j) for j in np.argsort(codes, kind="stable"))


def assemble_shard(
    parts: Sequence[bytes | memoryview | None],
    codec: ShardingCodec,
    spec: ChunkSpec,
    *,
    keep_empty: bool = False,
) -> bytes | None:
    """Shard bytes from the encoded inner chunks (indexed in C order, None =
    empty), laid out in :func:`layout_order`.  None when every inner chunk is
    empty (the shard is then deleted), unless ``keep_empty``: then an index-only
    shard."""
    if not keep_empty and all(p is None for p in parts):
        return None
    n = len(parts)
    offsets = np.full(n, EMPTY, dtype=np.uint64)
    lengths = np.full(n, EMPTY, dtype=np.uint64)
    index_n = codec.index_nbytes(spec)
    at_start = codec.index_location is ShardingCodecIndexLocation.start
    pos = index_n if at_start else 0
    body = []
    for j in layout_order(codec.chunks_per_shard(spec)):
        p = parts[j]
        if p is None:
            continue
        offsets[j] = pos
        lengths[j] = len(p)
        pos += len(p)
        body.append(p)
    index = encode_index(offsets, lengths, codec, spec)
    return b"".join([index, *body] if at_start else [*body, index])
