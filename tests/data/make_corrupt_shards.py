"""Regenerate the corrupt-shard corpus in ``tests/data/corrupt_shards/``.

Each case is a small sharded Zarr v3 array written by zarr-python (uint16,
shape 8 x 9, shards 4 x 6 of 2 x 3 inner chunks, so the last column of shards
is partly outside the array and holds empty index entries).  Then the shard
``c/1/1`` is replaced by deterministically corrupted bytes: a bad index entry
(with the index checksum recomputed, so only the entry is wrong), a bad index
checksum, a truncated or empty file, or a damaged inner chunk under a correct
index.  The other three shards stay healthy.  The corpus is frozen: change
this script and rerun it rather than editing files by hand.

    python tests/data/make_corrupt_shards.py [OUTDIR]

``cases.json`` records per case:

- ``array``, ``zarr_json``, ``key``: the array directory, its metadata document
  and the corrupt shard's key relative to the array;
- ``error``: the exception class a reader must raise (``CorruptShardError`` for
  a bad shard or index, ``CorruptChunkError`` / ``ChecksumError`` for a damaged
  inner chunk) and ``codec``, the codec it must name;
- ``message``: fragments the message must contain;
- ``inner``, ``offset``, ``length``, ``shard_size``: the inner chunk (coordinates
  within the shard) whose index entry or bytes are bad, and that entry's offset
  and length and the shard's size, which the message must name (null where
  the case has no such thing, e.g. a checksum mismatch of the whole index);
- ``data``: every element ``i`` (flat, C order) holds ``(start + i * step) % modulus``;
- ``index_location``, ``codecs``, ``description``: for people.
"""

from __future__ import annotations

import json
import shutil
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import google_crc32c
import numpy as np

OUT = Path(__file__).resolve().parent / "corrupt_shards"

DATA = {"start": 7, "step": 11, "modulus": 60013}
DTYPE = "uint16"
SHAPE = (8, 9)
SHARD = (4, 6)
INNER = (2, 3)
CPS = (2, 2)
N_INNER = 4
KEY = "c/1/1"
EMPTY = 2**64 - 1
INDEX_BODY = 16 * N_INNER
INDEX_N = INDEX_BODY + 4  # bytes + crc32c


def values() -> np.ndarray:
    n = int(np.prod(SHAPE))
    flat = (DATA["start"] + np.arange(n, dtype=np.int64) * DATA["step"]) % DATA["modulus"]
    return flat.astype(DTYPE).reshape(SHAPE)


# -- writing the healthy arrays ----------------------------------------------------------------
def inner_codecs(kind: str) -> list[Any]:
    from zarr.codecs import BytesCodec, Crc32cCodec, ShardingCodec, ZstdCodec

    if kind == "zstd":
        return [BytesCodec(endian="little"), ZstdCodec(level=3)]
    if kind == "crc32c":
        return [BytesCodec(endian="little"), Crc32cCodec()]
    if kind == "none":
        return [BytesCodec(endian="little")]
    if kind == "nested":
        return [
            ShardingCodec(
                chunk_shape=(1, 3), codecs=[BytesCodec(endian="little"), ZstdCodec(level=3)]
            )
        ]
    raise ValueError(kind)


def index_codecs(kind: str) -> list[Any]:
    from zarr.codecs import BytesCodec, Crc32cCodec, TransposeCodec

    if kind == "transposed":
        return [TransposeCodec(order=(2, 1, 0)), BytesCodec(endian="little"), Crc32cCodec()]
    return [BytesCodec(endian="little"), Crc32cCodec()]


def write_array(path: Path, inner: str, location: str, index: str) -> None:
    import zarr
    from zarr.codecs import ShardingCodec

    serializer = ShardingCodec(
        chunk_shape=INNER,
        codecs=inner_codecs(inner),
        index_codecs=index_codecs(index),
        index_location=location,
    )
    arr = zarr.create_array(
        str(path),
        shape=SHAPE,
        chunks=SHARD,
        dtype=DTYPE,
        fill_value=0,
        serializer=serializer,
        filters=None,
        compressors=None,
        chunk_key_encoding={"name": "default", "separator": "/"},
    )
    arr[...] = values()


# -- the shard layout --------------------------------------------------------------------------
@dataclass
class Shard:
    """A decoded shard: index entries (C order over the inner grid) and the file bytes."""

    raw: bytes
    location: str
    index: str
    table: np.ndarray  # (N_INNER, 2) uint64

    @classmethod
    def parse(cls, raw: bytes, location: str, index: str) -> Shard:
        idx = raw[:INDEX_N] if location == "start" else raw[-INDEX_N:]
        assert struct.unpack("<I", idx[INDEX_BODY:])[0] == google_crc32c.value(idx[:INDEX_BODY])
        table = np.frombuffer(idx[:INDEX_BODY], dtype="<u8")
        if index == "transposed":
            table = table.reshape(2, *reversed(CPS)).transpose(2, 1, 0)
        return cls(raw, location, index, table.reshape(N_INNER, 2).astype(np.uint64))

    @property
    def body(self) -> bytes:
        """The bytes that are not the index."""
        return self.raw[INDEX_N:] if self.location == "start" else self.raw[:-INDEX_N]

    def encode_index(self, table: np.ndarray) -> bytes:
        t = np.asarray(table, dtype=np.uint64).reshape(*CPS, 2)
        if self.index == "transposed":
            t = t.transpose(2, 1, 0)
        body = np.ascontiguousarray(t).astype("<u8").tobytes()
        return body + struct.pack("<I", google_crc32c.value(body))

    def assemble(self, table: np.ndarray, body: bytes | None = None) -> bytes:
        body = self.body if body is None else body
        index = self.encode_index(table)
        return index + body if self.location == "start" else body + index

    def with_entry(self, j: int, offset: int, length: int) -> bytes:
        table = self.table.copy()
        table[j] = (offset, length)
        return self.assemble(table)

    def entry(self, j: int) -> tuple[int, int]:
        return int(self.table[j][0]), int(self.table[j][1])


def inner_pos(j: int) -> list[int]:
    return [int(x) for x in np.unravel_index(j, CPS)]


J = 2  # inner chunk (1, 0) of c/1/1: inside the array, always stored


# -- cases -------------------------------------------------------------------------------------
Result = tuple[bytes, dict[str, Any]]


def entry_case(offset: Callable[[Shard], int], length: Callable[[Shard], int]) -> Any:
    """Replace entry J by (offset, length); the index checksum stays valid."""

    def make(s: Shard) -> Result:
        o, n = offset(s), length(s)
        raw = s.with_entry(J, o, n)
        return raw, {"inner": inner_pos(J), "offset": o, "length": n, "shard_size": len(raw)}

    return make


def truncated_start(s: Shard) -> Result:
    """Index at the start: cut the last stored inner chunk in half."""
    ends = [(o + n, j) for j, (o, n) in enumerate(s.table.tolist()) if o != EMPTY]
    last_end = max(ends)[0]
    size = last_end - 5
    raw = s.raw[:size]
    # the first entry in C order that no longer fits
    bad = next(j for j, (o, n) in enumerate(s.table.tolist()) if o != EMPTY and o + n > size)
    o, n = s.entry(bad)
    return raw, {"inner": inner_pos(bad), "offset": o, "length": n, "shard_size": size}


def truncated_end(s: Shard) -> Result:
    """Index at the end: cutting the file loses the real index; its last bytes are read
    as one and fail the checksum."""
    return s.raw[: len(s.raw) - 10], {}


def flip_index_bit(s: Shard) -> Result:
    raw = bytearray(s.raw)
    at = (0 if s.location == "start" else len(raw) - INDEX_N) + 16 * J + 3
    raw[at] ^= 0x10
    return bytes(raw), {}


def damage_inner(s: Shard) -> Result:
    """Garble the bytes of inner chunk J; the index is untouched."""
    o, n = s.entry(J)
    raw = bytearray(s.raw)
    for k in range(o, o + n):
        raw[k] ^= 0xA5
    return bytes(raw), {"inner": inner_pos(J)}


def shorten_inner(s: Shard) -> Result:
    """Entry J claims 3 bytes fewer than the inner chunk has (valid checksum)."""
    o, n = s.entry(J)
    return s.with_entry(J, o, n - 3), {"inner": inner_pos(J)}


def oversize_entry(s: Shard) -> Result:
    """Uncompressed inner chunks: an entry longer than any encoding of one (the file is
    padded so that the entry still lies inside it)."""
    o, _ = s.entry(J)
    nbytes = int(np.prod(INNER)) * np.dtype(DTYPE).itemsize
    body = s.body + bytes(64)
    table = s.table.copy()
    table[J] = (o, nbytes + 8)
    raw = s.assemble(table, body)
    return raw, {"inner": inner_pos(J), "offset": o, "length": nbytes + 8, "shard_size": len(raw)}


@dataclass
class Case:
    name: str
    description: str
    make: Callable[[Shard], Result]
    error: str
    codec: str
    message: list[str]
    inner: str = "zstd"
    location: str = "end"
    index: str = "default"


CASES = [
    Case(
        "empty_shard",
        "0-byte shard file",
        lambda s: (b"", {}),
        "CorruptShardError",
        "sharding_indexed",
        ["truncated shard", "0 bytes"],
    ),
    Case(
        "empty_shard_start",
        "0-byte shard file, index at the start",
        lambda s: (b"", {}),
        "CorruptShardError",
        "sharding_indexed",
        ["truncated shard", "0 bytes"],
        location="start",
    ),
    Case(
        "shorter_than_index",
        "30-byte shard file, less than the 68-byte index",
        lambda s: (s.raw[:30], {}),
        "CorruptShardError",
        "sharding_indexed",
        ["truncated shard", "30 bytes"],
    ),
    Case(
        "truncated_end",
        "shard cut by 10 bytes, index at the end: the index read is not the index",
        truncated_end,
        "CorruptShardError",
        "crc32c",
        ["checksum mismatch"],
    ),
    Case(
        "truncated_start",
        "shard cut inside its last inner chunk, index at the start",
        truncated_start,
        "CorruptShardError",
        "sharding_indexed",
        [],
        location="start",
    ),
    Case(
        "index_crc_mismatch",
        "one bit of an index entry flipped, checksum not updated",
        flip_index_bit,
        "CorruptShardError",
        "crc32c",
        ["checksum mismatch"],
    ),
    Case(
        "index_crc_mismatch_start",
        "one bit of an index entry flipped, checksum not updated, index at the start",
        flip_index_bit,
        "CorruptShardError",
        "crc32c",
        ["checksum mismatch"],
        location="start",
    ),
    Case(
        "offset_past_end",
        "entry offset 1000 bytes past the end of the shard",
        entry_case(lambda s: len(s.raw) + 1000, lambda s: s.entry(J)[1]),
        "CorruptShardError",
        "sharding_indexed",
        [],
    ),
    Case(
        "offset_past_end_start",
        "entry offset 1000 bytes past the end of the shard, index at the start",
        entry_case(lambda s: len(s.raw) + 1000, lambda s: s.entry(J)[1]),
        "CorruptShardError",
        "sharding_indexed",
        [],
        location="start",
    ),
    Case(
        "length_2_40",
        "entry length 2^40 (1 TiB)",
        entry_case(lambda s: s.entry(J)[0], lambda s: 1 << 40),
        "CorruptShardError",
        "sharding_indexed",
        [],
    ),
    Case(
        "length_2_40_start",
        "entry length 2^40 (1 TiB), index at the start",
        entry_case(lambda s: s.entry(J)[0], lambda s: 1 << 40),
        "CorruptShardError",
        "sharding_indexed",
        [],
        location="start",
    ),
    Case(
        "offset_length_overflow",
        "offset 2^64 - 16 and length 32: offset + length overflows 64 bits",
        entry_case(lambda s: 2**64 - 16, lambda s: 32),
        "CorruptShardError",
        "sharding_indexed",
        [],
    ),
    Case(
        "length_overflow",
        "offset inside the shard, length 2^64 - 2: offset + length overflows 64 bits",
        entry_case(lambda s: s.entry(J)[0], lambda s: 2**64 - 2),
        "CorruptShardError",
        "sharding_indexed",
        [],
    ),
    Case(
        "entry_into_index_end",
        "entry pointing at bytes of the index at the end of the shard",
        entry_case(lambda s: len(s.raw) - INDEX_N + 8, lambda s: 16),
        "CorruptShardError",
        "sharding_indexed",
        [],
    ),
    Case(
        "entry_overlaps_index_end",
        "entry starting before the index at the end and running into it",
        entry_case(lambda s: len(s.raw) - INDEX_N - 4, lambda s: 16),
        "CorruptShardError",
        "sharding_indexed",
        [],
    ),
    Case(
        "entry_into_index_start",
        "entry pointing at bytes of the index at the start of the shard",
        entry_case(lambda s: 0, lambda s: 16),
        "CorruptShardError",
        "sharding_indexed",
        [],
        location="start",
    ),
    Case(
        "half_empty_offset",
        "entry offset 2^64 - 1 (empty) but length 16",
        entry_case(lambda s: EMPTY, lambda s: 16),
        "CorruptShardError",
        "sharding_indexed",
        [],
    ),
    Case(
        "half_empty_length",
        "entry offset inside the shard but length 2^64 - 1 (empty)",
        entry_case(lambda s: s.entry(J)[0], lambda s: EMPTY),
        "CorruptShardError",
        "sharding_indexed",
        [],
    ),
    Case(
        "entry_longer_than_any_encoding",
        "uncompressed inner chunks; an entry inside the file but longer than an inner chunk",
        oversize_entry,
        "CorruptShardError",
        "sharding_indexed",
        [],
        inner="none",
    ),
    Case(
        "inner_zstd_garbled",
        "correct index; the bytes of one zstd inner chunk garbled",
        damage_inner,
        "CorruptChunkError",
        "zstd",
        [],
    ),
    Case(
        "inner_zstd_short_entry",
        "correct checksum; one entry 3 bytes shorter than its zstd inner chunk",
        shorten_inner,
        "CorruptChunkError",
        "zstd",
        [],
    ),
    Case(
        "inner_crc32c_mismatch",
        "correct index; the bytes of one inner chunk (bytes + crc32c) garbled",
        damage_inner,
        "ChecksumError",
        "crc32c",
        ["checksum mismatch"],
        inner="crc32c",
    ),
    Case(
        "nested_offset_past_end",
        "nested sharding (inner chunks are shards): outer entry past the end",
        entry_case(lambda s: len(s.raw) + 1000, lambda s: s.entry(J)[1]),
        "CorruptShardError",
        "sharding_indexed",
        [],
        inner="nested",
    ),
    Case(
        "transposed_index_into_index",
        "index codecs transpose + bytes + crc32c: entry pointing into the index",
        entry_case(lambda s: len(s.raw) - INDEX_N + 8, lambda s: 16),
        "CorruptShardError",
        "sharding_indexed",
        [],
        index="transposed",
    ),
    Case(
        "transposed_index_crc_mismatch",
        "index codecs transpose + bytes + crc32c: one bit of the index flipped",
        flip_index_bit,
        "CorruptShardError",
        "crc32c",
        ["checksum mismatch"],
        index="transposed",
    ),
]


def generate(out: Path) -> dict[str, Any]:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    manifest: dict[str, Any] = {}
    for case in CASES:
        path = out / case.name
        write_array(path, case.inner, case.location, case.index)
        shard_path = path / KEY
        shard = Shard.parse(shard_path.read_bytes(), case.location, case.index)
        raw, facts = case.make(shard)
        shard_path.write_bytes(raw)
        manifest[case.name] = {
            "array": case.name,
            "zarr_json": f"{case.name}/zarr.json",
            "key": KEY,
            "description": case.description,
            "error": case.error,
            "codec": case.codec,
            "message": case.message,
            "inner": facts.get("inner"),
            "offset": facts.get("offset"),
            "length": facts.get("length"),
            "shard_size": facts.get("shard_size"),
            "index_location": case.location,
            "codecs": {"inner": case.inner, "index": case.index},
            "data": DATA,
        }
    (out / "cases.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    cases = generate(target)
    print(f"wrote {len(cases)} cases to {target}")
