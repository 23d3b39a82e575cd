"""Regenerate the frozen fixtures in tests/data/fixtures/ (never edit them by hand).

Every array is written by zarr-python (the version is recorded in manifest.json) with
values that ``expected_values(name)`` recomputes, one per data type, compressor and
filter zarrc reads, in formats 2 and 3.

    python tests/data/make_fixtures.py [OUTDIR]
"""

from __future__ import annotations

import json
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np

HERE = Path(__file__).parent / "fixtures"
SHAPE = (7, 9)
CHUNKS = (3, 4)


def expected_values(dtype: str) -> np.ndarray:
    """The deterministic contents of a fixture of ``dtype``."""
    dt = np.dtype(dtype) if dtype not in ("str", "bytes") else None
    n = int(np.prod(SHAPE))
    k = np.arange(n)
    if dtype == "str":
        return np.array([f"s{i}" * (i % 4) for i in k], dtype=object).reshape(SHAPE)
    if dtype == "bytes":
        return np.array([bytes([i % 256]) * (i % 3) for i in k], dtype=object).reshape(SHAPE)
    assert dt is not None
    if dt.kind == "b":
        return (k % 3 == 0).reshape(SHAPE)
    if dt.kind in "iu":
        return (k * 7 % 100).astype(dt).reshape(SHAPE)
    if dt.kind == "f":
        return (k / 8 - 2).astype(dt).reshape(SHAPE)
    if dt.kind == "c":
        return (k - 1j * k / 2).astype(dt).reshape(SHAPE)
    if dt.kind in "mM":
        return k.astype(dt).reshape(SHAPE)
    if dt.kind == "S":
        return np.array([b"ab"[: i % 3] for i in k], dtype=dt).reshape(SHAPE)
    if dt.kind == "U":
        return np.array(["xyz"[: i % 4] for i in k], dtype=dt).reshape(SHAPE)
    raise ValueError(dtype)


# name -> (zarr_format, dtype, create_array keyword arguments as a builder)
def cases() -> dict[str, tuple[int, str, Any]]:
    import zarr

    c = zarr.codecs
    out: dict[str, tuple[int, str, Any]] = {}
    for dt in [
        "bool",
        "i1",
        "<i2",
        ">i4",
        "<i8",
        "u1",
        "<u2",
        "<u4",
        "<u8",
        "<f2",
        "<f4",
        ">f8",
        "<c8",
        "<c16",
        "<M8[s]",
        "<m8[ms]",
        "S3",
        "<U4",
        "str",
    ]:
        out[f"v3-dtype-{dt.replace('<', 'le').replace('>', 'be').replace('[', '_')}"] = (
            3,
            dt,
            lambda: {},
        )
        out[f"v2-dtype-{dt.replace('<', 'le').replace('>', 'be').replace('[', '_')}"] = (
            2,
            dt,
            lambda: {},
        )
    out["v3-bytes-vlen"] = (3, "bytes", lambda: {})
    v3 = {
        "zstd": lambda: {"compressors": c.ZstdCodec(level=3, checksum=True)},
        "gzip": lambda: {"compressors": c.GzipCodec(level=4)},
        "blosc-lz4": lambda: {"compressors": c.BloscCodec(cname="lz4", shuffle="shuffle")},
        "blosc-zstd-bit": lambda: {"compressors": c.BloscCodec(cname="zstd", shuffle="bitshuffle")},
        "crc32c": lambda: {"compressors": [c.ZstdCodec(), c.Crc32cCodec()]},
        "transpose": lambda: {"filters": [c.TransposeCodec(order=(1, 0))]},
        "bigendian": lambda: {"serializer": c.BytesCodec(endian="big"), "compressors": None},
        "sharded": lambda: {"shards": (6, 8)},
        "sharded-start": lambda: {"shards": {"shape": (6, 8), "index_location": "start"}},
    }
    for name, kw in v3.items():
        out[f"v3-codec-{name}"] = (3, "<i4", kw)
    v2 = {
        "blosc": lambda: {"compressors": numcodecs.Blosc(cname="lz4", shuffle=-1)},
        "zlib": lambda: {"compressors": numcodecs.Zlib(level=2)},
        "gzip": lambda: {"compressors": numcodecs.GZip()},
        "lz4": lambda: {"compressors": numcodecs.LZ4()},
        "bz2": lambda: {"compressors": numcodecs.BZ2()},
        "lzma": lambda: {"compressors": numcodecs.LZMA()},
        "delta": lambda: {"filters": [numcodecs.Delta("<i4")]},
        "fixedscaleoffset": lambda: {"filters": [numcodecs.FixedScaleOffset(0, 1, "<i4", "<i2")]},
        "shuffle": lambda: {"filters": [numcodecs.Shuffle(elementsize=4)]},
        "crc32": lambda: {"compressors": None, "filters": [numcodecs.CRC32()]},
        "adler32": lambda: {"compressors": None, "filters": [numcodecs.Adler32()]},
        "fletcher32": lambda: {"compressors": None, "filters": [numcodecs.Fletcher32()]},
        "order-F": lambda: {"order": "F"},
        "slash": lambda: {"chunk_key_encoding": {"name": "v2", "separator": "/"}},
    }
    for name, kw in v2.items():
        out[f"v2-codec-{name}"] = (2, "<i4", kw)
    return out


def main() -> None:
    import zarr

    outdir = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    shutil.rmtree(outdir, ignore_errors=True)
    outdir.mkdir(parents=True)
    manifest: dict[str, Any] = {
        "zarr-python": zarr.__version__,
        "numcodecs": numcodecs.__version__,
        "shape": SHAPE,
        "arrays": {},
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (fmt, dtype, kw) in sorted(cases().items()):
            values = expected_values(dtype)
            np_dtype = {"str": str, "bytes": "variable_length_bytes"}.get(dtype, dtype)
            arr = zarr.create_array(
                str(outdir / name),
                shape=SHAPE,
                chunks=CHUNKS,
                dtype=np_dtype,
                zarr_format=fmt,
                **kw(),
            )
            arr[...] = values
            manifest["arrays"][name] = {"zarr_format": fmt, "dtype": dtype}
    # gzip headers carry a timestamp: zero it so regenerating gives the same bytes
    for p in outdir.rglob("*"):
        if p.is_file() and p.read_bytes()[:2] == b"\x1f\x8b":
            b = bytearray(p.read_bytes())
            b[4:8] = b"\0\0\0\0"
            p.write_bytes(bytes(b))
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
