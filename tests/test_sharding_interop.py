"""Sharded arrays between zarrc and zarr-python 3, both ways, on one directory.

Each implementation writes (whole array, then partial writes into existing
shards, also shards the other one wrote) and the other reads and writes back:
index at the start and at the end, every inner codec, nested sharding, arrays
that are not a multiple of the shard shape, empty inner chunks left out.  Both
write the same ``zarr.json``, the same shard keys and the same empty index
entries.  When both write the same data in one whole-shard write with
deterministic codecs, the shards are byte for byte the same.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

import google_crc32c
import numpy as np
import pytest

import zarrc

zarr = pytest.importorskip("zarr")

IMPLS = {"zarrc": zarrc, "zarr": zarr}
CODECS = ["none", "zstd", "blosc", "gzip+crc32c", "transpose", "big-endian"]
EMPTY = 2**64 - 1


def codec_kwargs(mod: Any, codec: str, ndim: int) -> dict[str, Any]:
    c = mod.codecs
    kw: dict[str, Any] = {"filters": None, "compressors": None, "serializer": c.BytesCodec()}
    if codec == "zstd":
        kw["compressors"] = [c.ZstdCodec(level=1)]
    elif codec == "blosc":
        kw["compressors"] = [c.BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")]
    elif codec == "gzip+crc32c":
        kw["compressors"] = [c.GzipCodec(level=1), c.Crc32cCodec()]
    elif codec == "transpose":
        kw["filters"] = [c.TransposeCodec(order=tuple(reversed(range(ndim))))]
    elif codec == "big-endian":
        kw["serializer"] = c.BytesCodec(endian="big")
    return kw


def create(
    mod: Any,
    path: Path,
    *,
    shape: tuple[int, ...],
    chunks: tuple[int, ...],
    shards: tuple[int, ...],
    dtype: str,
    codec: str = "zstd",
    location: str = "end",
    **extra: Any,
) -> Any:
    return mod.create_array(
        str(path),
        shape=shape,
        chunks=chunks,
        shards={"shape": shards, "index_location": location},
        dtype=dtype,
        fill_value=0,
        **codec_kwargs(mod, codec, len(shape)),
        **extra,
    )


def open_(mod: Any, path: Path, mode: str = "r+") -> Any:
    return mod.open_array(str(path), mode=mode)


def values(shape: tuple[int, ...], dtype: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    return rng.integers(1, 1000, shape).astype(dtype)


def with_empty_inner_chunks(a: np.ndarray, chunks: tuple[int, ...], seed: int) -> np.ndarray:
    """Zero every third inner chunk (seeded), so those are left out of their shards."""
    rng = np.random.default_rng(seed)
    out = a.copy()
    grid = [-(-n // c) for n, c in zip(a.shape, chunks, strict=True)]
    for coords in np.ndindex(*grid):
        if rng.random() < 0.34:
            out[tuple(slice(i * c, (i + 1) * c) for i, c in zip(coords, chunks, strict=True))] = 0
    return out


def stored_files(path: Path) -> dict[str, bytes]:
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file() and not p.name.startswith(".zarrc-tmp-")
    }


def shard_index(raw: bytes, n_inner: int, location: str) -> np.ndarray:
    """Index entries (n_inner, 2) of a shard with the default index codecs."""
    n = 16 * n_inner + 4
    idx = raw[:n] if location == "start" else raw[-n:]
    assert struct.unpack("<I", idx[-4:])[0] == google_crc32c.value(idx[:-4])
    return np.frombuffer(idx[:-4], dtype="<u8").reshape(n_inner, 2)


def normalised(meta: dict[str, Any]) -> dict[str, Any]:
    m = {k: v for k, v in meta.items() if v not in ({}, [], None)}
    return m


# -- round trips ------------------------------------------------------------------------------

GEOMETRIES = [
    # shape, inner chunks, shard: edge shards partly outside the array
    ((23, 17), (3, 4), (6, 8)),
    ((10, 9, 7), (2, 3, 2), (4, 6, 4)),
    ((50,), (4,), (12,)),
]


@pytest.mark.parametrize("location", ["end", "start"])
@pytest.mark.parametrize("codec", CODECS)
@pytest.mark.parametrize(("writer", "reader"), [("zarrc", "zarr"), ("zarr", "zarrc")])
def test_round_trip(writer: str, reader: str, codec: str, location: str, tmp_path: Path) -> None:
    w, r = IMPLS[writer], IMPLS[reader]
    for g, (shape, chunks, shards) in enumerate(GEOMETRIES):
        path = tmp_path / f"a{g}"
        dtype = "float64" if codec == "big-endian" else "uint16"
        expected = with_empty_inner_chunks(values(shape, dtype, g), chunks, g)
        arr = create(
            w,
            path,
            shape=shape,
            chunks=chunks,
            shards=shards,
            dtype=dtype,
            codec=codec,
            location=location,
        )
        arr[...] = expected
        # partial writes into existing shards, one reaching into an edge shard
        box = tuple(slice(n // 3, n // 3 + c + 1) for n, c in zip(shape, chunks, strict=True))
        arr[box] = 7
        expected[box] = 7
        edge = tuple(slice(n - 2, n) for n in shape)
        arr[edge] = 0
        expected[edge] = 0
        got = open_(r, path)
        np.testing.assert_array_equal(got[...], expected)
        np.testing.assert_array_equal(got[box], expected[box])
        # the reader now rewrites part of what the writer laid out; the writer reads it
        pts = tuple(np.array([0, n - 1, n // 2]) for n in shape)
        got.vindex[pts] = np.array([3, 4, 5], dtype=dtype)
        expected[pts] = [3, 4, 5]
        mid = tuple(slice(c, min(n, 3 * c + 1)) for n, c in zip(shape, chunks, strict=True))
        new = values(expected[mid].shape, dtype, 99)
        got[mid] = new
        expected[mid] = new
        np.testing.assert_array_equal(open_(w, path)[...], expected)
        np.testing.assert_array_equal(open_(r, path)[...], expected)


@pytest.mark.parametrize("location", ["end", "start"])
@pytest.mark.parametrize(("writer", "reader"), [("zarrc", "zarr"), ("zarr", "zarrc")])
def test_nested_sharding(writer: str, reader: str, location: str, tmp_path: Path) -> None:
    w, r = IMPLS[writer], IMPLS[reader]
    c = w.codecs
    inner = c.ShardingCodec(
        chunk_shape=(2, 3),
        codecs=[c.BytesCodec(), c.ZstdCodec(level=1)],
        index_location="start" if location == "end" else "end",
    )
    outer = c.ShardingCodec(chunk_shape=(4, 6), codecs=[inner], index_location=location)
    shape = (17, 20)
    arr = w.create_array(
        str(tmp_path / "n"),
        shape=shape,
        chunks=(8, 12),
        dtype="int32",
        fill_value=0,
        serializer=outer,
        filters=None,
        compressors=None,
    )
    expected = with_empty_inner_chunks(values(shape, "int32"), (2, 3), 1)
    arr[...] = expected
    arr[5:9, 10:13] = -1
    expected[5:9, 10:13] = -1
    got = open_(r, tmp_path / "n")
    np.testing.assert_array_equal(got[...], expected)
    got[0:3, 0:7] = 11
    expected[0:3, 0:7] = 11
    np.testing.assert_array_equal(open_(w, tmp_path / "n")[...], expected)
    meta = json.loads((tmp_path / "n" / "zarr.json").read_text())
    assert meta["codecs"][0]["configuration"]["codecs"][0]["name"] == "sharding_indexed"


# -- what both write ----------------------------------------------------------------------------


@pytest.mark.parametrize("location", ["end", "start"])
@pytest.mark.parametrize("write_empty", [False, True])
def test_same_metadata_keys_and_empty_entries(
    location: str, write_empty: bool, tmp_path: Path
) -> None:
    """Same zarr.json, same shard keys and the same empty index entries (shards written
    in one call each; all-empty shards absent, out-of-bounds inner chunks empty)."""
    shape, chunks, shards = (20, 21), (2, 3), (8, 6)
    data = with_empty_inner_chunks(values(shape, "uint16"), chunks, 3)
    data[0:8, 0:6] = 0  # one shard entirely empty
    files, metas = {}, {}
    for name, mod in IMPLS.items():
        path = tmp_path / name
        arr = create(
            mod,
            path,
            shape=shape,
            chunks=chunks,
            shards=shards,
            dtype="uint16",
            location=location,
            config={"write_empty_chunks": write_empty},
        )
        arr[...] = data
        files[name] = stored_files(path)
        metas[name] = normalised(json.loads(files[name].pop("zarr.json")))
    assert metas["zarrc"] == metas["zarr"]
    assert files["zarrc"].keys() == files["zarr"].keys()
    assert ("c/0/0" in files["zarr"]) == write_empty
    n_inner = math.prod(s // c for s, c in zip(shards, chunks, strict=True))
    for key in files["zarr"]:
        a = shard_index(files["zarrc"][key], n_inner, location)
        b = shard_index(files["zarr"][key], n_inner, location)
        assert np.array_equal(a[:, 0] == EMPTY, b[:, 0] == EMPTY), key
        # the same inner chunks, of the same sizes, whatever their order in the shard
        assert np.array_equal(a[:, 1], b[:, 1]), key


def encoders_agree(codec: str, tmp_path: Path) -> bool:
    """Whether both implementations' compressors turn the same bytes into the same
    stream here (zstd and blosc depend on the library versions each links)."""
    if codec in ("none", "transpose", "big-endian", "crc32c"):
        return True
    sample = values((4, 8), "uint16", 5)
    outs = []
    for name, mod in IMPLS.items():
        path = tmp_path / f"probe-{name}"
        arr = mod.create_array(
            str(path),
            shape=(4, 8),
            chunks=(4, 8),
            dtype="uint16",
            fill_value=0,
            **codec_kwargs(mod, codec, 2),
        )
        arr[...] = sample
        outs.append((path / "c" / "0" / "0").read_bytes())
    return outs[0] == outs[1]


def write_both(
    tmp_path: Path,
    shape: tuple[int, ...],
    chunks: tuple[int, ...],
    shards: tuple[int, ...],
    codec: str,
    location: str,
) -> dict[str, dict[str, bytes]]:
    data = with_empty_inner_chunks(values(shape, "uint16", 9), chunks, 9)
    out = {}
    for name, mod in IMPLS.items():
        path = tmp_path / name
        if codec == "crc32c":
            kw = {"codec": "none"}
            extra = {"compressors": [mod.codecs.Crc32cCodec()]}
        else:
            kw, extra = {"codec": codec}, {}
        arr = mod.create_array(
            str(path),
            shape=shape,
            chunks=chunks,
            shards={"shape": shards, "index_location": location},
            dtype="uint16",
            fill_value=0,
            **{**codec_kwargs(mod, kw["codec"], len(shape)), **extra},
        )
        arr[...] = data
        out[name] = stored_files(path)
    return out


DETERMINISTIC = ["none", "crc32c", "transpose", "big-endian", "zstd", "blosc"]


@pytest.mark.parametrize("location", ["end", "start"])
@pytest.mark.parametrize("codec", DETERMINISTIC)
def test_byte_identical_shards_one_inner_axis(codec: str, location: str, tmp_path: Path) -> None:
    """Shards whose inner chunks vary along one axis only (C order = Morton order)."""
    if not encoders_agree(codec, tmp_path):
        pytest.skip(f"the two {codec} libraries encode differently here")
    files = write_both(tmp_path, (12, 40), (12, 5), (12, 20), codec, location)
    assert files["zarrc"] == files["zarr"]
    files = write_both(tmp_path / "1d", (100,), (8,), (32,), codec, location)
    assert files["zarrc"] == files["zarr"]


@pytest.mark.parametrize("location", ["end", "start"])
@pytest.mark.parametrize("codec", ["none", "crc32c"])
def test_byte_identical_shards(codec: str, location: str, tmp_path: Path) -> None:
    files = write_both(tmp_path, (16, 18), (4, 3), (8, 9), codec, location)
    assert files["zarrc"] == files["zarr"]


# -- array properties -----------------------------------------------------------------------------


def both(tmp_path: Path) -> dict[str, Any]:
    out = {}
    for name, mod in IMPLS.items():
        arr = create(
            mod, tmp_path / name, shape=(10, 9), chunks=(2, 3), shards=(4, 6), dtype="uint16"
        )
        arr[...] = np.arange(90, dtype="uint16").reshape(10, 9)
        out[name] = arr
    return out


def test_chunks_and_shards(tmp_path: Path) -> None:
    arrs = both(tmp_path)
    for attr in ("chunks", "shards", "shape"):
        assert getattr(arrs["zarrc"], attr) == getattr(arrs["zarr"], attr)


def test_cdata_shape_and_nchunks(tmp_path: Path) -> None:
    arrs = both(tmp_path)
    assert arrs["zarrc"].cdata_shape == arrs["zarr"].cdata_shape
    assert arrs["zarrc"].nchunks == arrs["zarr"].nchunks


def test_blocks_index_inner_chunks(tmp_path: Path) -> None:
    """``arr.blocks`` addresses the chunk grid users see (``arr.chunks``, the inner
    chunks), on purpose: zarr-python 3.1 uses the shard grid there, which its own
    issue #2971 calls a bug."""
    arrs = both(tmp_path)
    data = np.arange(90, dtype="uint16").reshape(10, 9)
    z = arrs["zarrc"]
    for sel, region in (
        (1, np.s_[2:4]),
        ((2, 1), np.s_[4:6, 3:6]),
        ((slice(0, 2), 0), np.s_[0:4, 0:3]),
    ):
        np.testing.assert_array_equal(z.blocks[sel], data[region])
