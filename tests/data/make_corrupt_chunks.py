"""Regenerate the corrupt-chunk corpus in ``tests/data/corrupt_chunks/``.

Each case is a small Zarr v3 array written by zarr-python, after which one
chunk file is replaced by deterministically corrupted bytes.  ``cases.json``
records, per case: the array directory and its ``zarr.json``, the corrupt
chunk key, the exception class and codec a reader must report, and a message
fragment.  The corpus is frozen: change this script and rerun it rather than
editing files by hand.

    python tests/data/make_corrupt_chunks.py [OUTDIR]

Manifest fields beyond the obvious ones:

- ``data``: every element ``i`` (flat, C order) holds ``(start + i * step) % modulus``;
  healthy chunks must read back exactly that.
- ``expand_to``: the committed chunk file is a seed; readers of the corpus tile
  it to this many bytes before use (a 50 MB file is not worth committing).
- ``local_only``: the corruption only exists on a file system (a directory
  where a chunk file should be).
- ``memory``: overrides of ``message`` (and possibly ``codec``) for reads
  through a ``MemoryStore``, where the bytes reach the decoder instead of
  being refused by their file size.
"""

from __future__ import annotations

import gzip
import json
import shutil
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

OUT = Path(__file__).resolve().parent / "corrupt_chunks"

DATA = {"start": 1, "step": 3, "modulus": 65521}
DTYPE = "uint32"
CHUNK_NBYTES = 4096

# name -> (shape, chunks, chunk key encoding separator)
LAYOUTS: dict[str, tuple[tuple[int, ...], tuple[int, ...], str]] = {
    "1d": ((3072,), (1024,), "/"),
    "2d": ((60, 90), (32, 32), "."),
}


def values(shape: tuple[int, ...]) -> np.ndarray:
    n = int(np.prod(shape))
    flat = (DATA["start"] + np.arange(n, dtype=np.int64) * DATA["step"]) % DATA["modulus"]
    return flat.astype(DTYPE).reshape(shape)


def junk(n: int, seed: int) -> bytes:
    """Deterministic pseudo-random bytes, first byte never a codec's magic."""
    data = bytearray(np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes())
    if data:
        data[0] = 0x5A
    return bytes(data)


def chunk_payload(n: int) -> bytes:
    """Plausible uncompressed chunk bytes of length n."""
    return values((n // 4,)).tobytes()[:n].ljust(n, b"\x01")


# -- hand-built streams -------------------------------------------------------------
ZSTD_MAGIC = struct.pack("<I", 0xFD2FB528)


def zstd_frame(n: int) -> bytes:
    import numcodecs

    return bytes(numcodecs.Zstd(level=3).encode(chunk_payload(n)))


def zstd_raw_block(payload: bytes, last: bool = True) -> bytes:
    header = (len(payload) << 3) | int(last)  # block type 0: raw
    return struct.pack("<I", header)[:3] + payload


def zstd_frame_claiming(size: int) -> bytes:
    """A frame whose header records a content size of ``size`` (8-byte field)."""
    fhd = 0xE0  # 8-byte content size, single segment, no checksum, no dictionary
    return ZSTD_MAGIC + bytes([fhd]) + struct.pack("<Q", size) + zstd_raw_block(b"\0" * 16)


def zstd_frame_unknown_size(payload: bytes) -> bytes:
    """A valid frame without a content size (as streaming compressors write)."""
    fhd = 0x00
    window = 0x20  # 2**14 bytes
    return ZSTD_MAGIC + bytes([fhd, window]) + zstd_raw_block(payload)


def zstd_skippable(payload: bytes) -> bytes:
    return struct.pack("<II", 0x184D2A50, len(payload)) + payload


def blosc_frame(n: int) -> bytes:
    import numcodecs

    return bytes(numcodecs.Blosc(cname="lz4", clevel=5, shuffle=1).encode(chunk_payload(n)))


def gzip_of(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def _crc32c_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def with_crc32c(data: bytes) -> bytes:
    return data + struct.pack("<I", crc32c(data))


# -- corruptions: (valid chunk bytes) -> stored bytes ---------------------------------
def truncate(keep: float) -> Callable[[bytes], bytes]:
    return lambda b: b[: int(len(b) * keep)]


def flip(offset: int, mask: int = 0x01) -> Callable[[bytes], bytes]:
    def f(b: bytes) -> bytes:
        out = bytearray(b)
        out[offset] ^= mask
        return bytes(out)

    return f


def set_le32(offset: int, value: int) -> Callable[[bytes], bytes]:
    def f(b: bytes) -> bytes:
        out = bytearray(b)
        out[offset : offset + 4] = struct.pack("<I", value)
        return bytes(out)

    return f


def replace(data: bytes) -> Callable[[bytes], bytes]:
    return lambda _b: data


# -- codec chains -------------------------------------------------------------------
def chain(name: str) -> dict[str, Any]:
    """zarr-python create_array arguments for a named codec chain."""
    from zarr.codecs import BloscCodec, BytesCodec, Crc32cCodec, GzipCodec, ZstdCodec

    serializer = BytesCodec(endian="little")
    compressors: Any = {
        "bytes": None,
        "zstd": ZstdCodec(level=3),
        "zstd_checksum": ZstdCodec(level=3, checksum=True),
        "blosc": BloscCodec(cname="lz4", clevel=5, shuffle="shuffle", typesize=4),
        "gzip": GzipCodec(level=6),
        "crc32c": Crc32cCodec(),
        "zstd_crc32c": [ZstdCodec(level=3), Crc32cCodec()],
    }[name]
    return {"serializer": serializer, "compressors": compressors}


@dataclass
class Case:
    name: str
    description: str
    chain: str
    corrupt: Callable[[bytes], bytes] | None  # None: the chunk becomes a directory
    error: str
    codec: str | None
    message: str
    layout: str = "1d"
    key: str | None = None  # chunk key relative to the array; default: layout's choice
    expand_to: int | None = None
    memory: dict[str, Any] = field(default_factory=dict)


MB = 1 << 20
OVERSIZE = 50 * MB

# fmt: off
CASES: list[Case] = [
    # zstd
    Case("zstd_truncated", "valid zstd frame cut to half its length", "zstd",
         truncate(0.5), "CorruptChunkError", "zstd", "malformed data"),
    Case("zstd_garbage", "pseudo-random bytes instead of a zstd frame", "zstd",
         replace(junk(700, 1)), "CorruptChunkError", "zstd", "not a zstd frame"),
    Case("zstd_declares_2_40", "frame header claims 2**40 content bytes", "zstd",
         replace(zstd_frame_claiming(1 << 40)), "CorruptChunkError", "zstd",
         "frame declares 1099511627776 bytes"),
    Case("zstd_decodes_short", "valid frame of 2048 bytes for a 4096-byte chunk", "zstd",
         replace(zstd_frame(2048)), "CorruptChunkError", "zstd",
         "decoded chunk has 2048 bytes, expected 4096"),
    Case("zstd_declares_long", "valid frame of 8192 bytes for a 4096-byte chunk", "zstd",
         replace(zstd_frame(8192)), "CorruptChunkError", "zstd",
         "frame declares 8192 bytes, more than the 4096 expected"),
    Case("zstd_unknown_size_long", "frame without content size decoding to 8192 bytes",
         "zstd", replace(zstd_frame_unknown_size(chunk_payload(8192))), "CorruptChunkError",
         "zstd", "exceeds the 4096 bytes expected"),
    Case("zstd_two_frames", "two valid 4096-byte frames back to back", "zstd",
         lambda b: b + b, "CorruptChunkError", "zstd", "exceeds the 4096 bytes expected"),
    Case("zstd_skippable_only", "a skippable frame and nothing else", "zstd",
         replace(zstd_skippable(b"\0" * 32)), "CorruptChunkError", "zstd",
         "decoded chunk has 0 bytes, expected 4096"),
    Case("zstd_checksum_flipped", "content checksum of a checksummed frame altered",
         "zstd_checksum", flip(-1), "ChecksumError", "zstd", "checksum mismatch"),
    Case("zstd_empty", "0-byte chunk file", "zstd", replace(b""), "CorruptChunkError", "zstd",
         "empty input"),
    Case("zstd_garbage_under_crc32c", "crc32c verifies, the zstd frame inside is junk",
         "zstd_crc32c", replace(with_crc32c(junk(300, 2))), "CorruptChunkError", "zstd",
         "not a zstd frame"),
    Case("zstd_oversize_50mb", "50 MB of junk for a 4 KB chunk", "zstd",
         replace(junk(64 * 1024, 3)), "CorruptChunkError", "zstd",
         "more than any encoding of the chunk", expand_to=OVERSIZE,
         memory={"message": "not a zstd frame"}),
    # blosc
    Case("blosc_header_claims_1mb", "header's decoded size set to 1 MiB", "blosc",
         set_le32(4, MB), "CorruptChunkError", "blosc",
         "header declares 1048576 decoded bytes, more than the 4096 expected"),
    Case("blosc_truncated", "valid blosc buffer cut to half its length", "blosc",
         truncate(0.5), "CorruptChunkError", "blosc", "compressed bytes but the chunk has"),
    Case("blosc_truncated_header", "first 10 bytes of a blosc buffer", "blosc",
         lambda b: b[:10], "CorruptChunkError", "blosc", "truncated: 10 bytes"),
    Case("blosc_garbage", "pseudo-random bytes instead of a blosc buffer", "blosc",
         replace(junk(600, 4)), "CorruptChunkError", "blosc", "unsupported format version",
         layout="2d", key="c.0.1"),
    Case("blosc_decodes_short", "valid blosc buffer of 2048 bytes for a 4096-byte chunk",
         "blosc", replace(blosc_frame(2048)), "CorruptChunkError", "blosc",
         "decoded chunk has 2048 bytes, expected 4096"),
    Case("blosc_empty", "0-byte chunk file", "blosc", replace(b""), "CorruptChunkError",
         "blosc", "truncated: 0 bytes"),
    # gzip
    Case("gzip_truncated", "valid gzip member cut to half its length", "gzip",
         truncate(0.5), "CorruptChunkError", "gzip", "malformed or truncated stream",
         layout="2d", key="c.1.2"),
    Case("gzip_bad_crc", "CRC-32 in the gzip trailer altered", "gzip",
         flip(-8), "CorruptChunkError", "gzip", "malformed or truncated stream"),
    Case("gzip_trailing_junk", "valid gzip member followed by junk", "gzip",
         lambda b: b + junk(40, 5), "CorruptChunkError", "gzip",
         "malformed or truncated stream"),
    Case("gzip_bomb_4mb", "4 MiB of zeros, gzipped (smaller than the chunk's size cap)",
         "gzip", replace(gzip_of(b"\0" * (4 * MB))), "CorruptChunkError", "gzip",
         "exceeds the 4096 bytes expected"),
    Case("gzip_bomb_100mb", "100 MiB of zeros, gzipped (about 100 KB stored)", "gzip",
         replace(gzip_of(b"\0" * (100 * MB))), "CorruptChunkError", "gzip",
         "more than any encoding of the chunk",
         memory={"message": "exceeds the 4096 bytes expected"}),
    Case("gzip_empty", "0-byte chunk file", "gzip", replace(b""), "CorruptChunkError", "gzip",
         "empty input"),
    # crc32c
    Case("crc32c_mismatch", "one data byte altered under a crc32c checksum", "crc32c",
         flip(100), "ChecksumError", "crc32c", "checksum mismatch", layout="2d", key="c.1.0"),
    Case("crc32c_short", "3 bytes: too short to hold the checksum", "crc32c",
         lambda b: b[:3], "CorruptChunkError", "crc32c", "too short to hold a checksum"),
    Case("crc32c_empty", "0-byte chunk file", "crc32c", replace(b""), "CorruptChunkError",
         "crc32c", "too short to hold a checksum"),
    # bytes only
    Case("bytes_short", "uncompressed chunk 96 bytes short", "bytes", truncate(4000 / 4096),
         "CorruptChunkError", "bytes", "has 4000 bytes, expected 4096"),
    Case("bytes_long", "uncompressed chunk with 4 extra bytes", "bytes",
         lambda b: b + b"\0\0\0\0", "CorruptChunkError", "bytes",
         "4100 bytes", layout="2d", key="c.1.2"),
    Case("bytes_empty", "0-byte chunk file", "bytes", replace(b""), "CorruptChunkError", "bytes",
         "has 0 bytes, expected 4096"),
    Case("bytes_oversize_50mb", "50 MB of junk for a 4 KB uncompressed chunk", "bytes",
         replace(junk(64 * 1024, 6)), "CorruptChunkError", "bytes", "52428800 bytes",
         expand_to=OVERSIZE),
    # not a file
    Case("chunk_is_directory", "the chunk's path is a directory", "zstd", None,
         "StoreError", None, "Is a directory"),
]
# fmt: on

DEFAULT_KEYS = {"1d": "c/1", "2d": "c.0.1"}


def build(case: Case, out: Path) -> dict[str, Any]:
    import zarr

    shape, chunks, sep = LAYOUTS[case.layout]
    d = out / case.name
    arr = zarr.create_array(
        store=zarr.storage.LocalStore(d),
        shape=shape,
        chunks=chunks,
        dtype=DTYPE,
        fill_value=0,
        chunk_key_encoding={"name": "default", "separator": sep},
        **chain(case.chain),
    )
    arr[...] = values(shape)
    if case.chain == "gzip":
        # gzip headers carry the time of writing: zero it for a reproducible corpus
        for f in (d / "c").rglob("*") if sep == "/" else d.glob("c.*"):
            if f.is_file():
                f.write_bytes(f.read_bytes()[:4] + b"\0\0\0\0" + f.read_bytes()[8:])
    key = case.key or DEFAULT_KEYS[case.layout]
    path = d / key
    valid = path.read_bytes()
    if case.corrupt is None:
        path.unlink()
        path.mkdir()
        (path / "stray").write_bytes(b"not a chunk\n")
    else:
        path.write_bytes(case.corrupt(valid))
    entry: dict[str, Any] = {
        "description": case.description,
        "array": case.name,
        "zarr_json": f"{case.name}/zarr.json",
        "key": key,
        "error": case.error,
        "codec": case.codec,
        "message": case.message,
        "data": DATA,
    }
    if case.expand_to is not None:
        entry["expand_to"] = case.expand_to
    if case.corrupt is None:
        entry["local_only"] = True
    if case.memory:
        entry["memory"] = case.memory
    return entry


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    manifest = {case.name: build(case, out) for case in CASES}
    (out / "cases.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    print(f"{len(manifest)} cases written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
