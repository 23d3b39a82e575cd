"""Interoperability with zarr-python 3, which is always the oracle here.

Both directions for every codec (and transpose, crc32c, big-endian bytes, both chunk
key encodings, NaN and other fill values), dtypes and shapes with partial edge
chunks; and the same write by both produces the same files.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
import zarr.codecs
from _impl import codecs, impl, jsonable, list_local_keys, storage

ChainFn = Callable[[Any, int], dict[str, Any]]


def _rev(ndim: int) -> tuple[int, ...]:
    return tuple(reversed(range(ndim)))


# name -> (codec arguments built from a codecs module, chunk bytes are compared exactly)
CHAINS: dict[str, tuple[ChainFn, bool]] = {
    "auto": (lambda c, n: {}, True),
    "bytes": (lambda c, n: {"filters": None, "compressors": None}, True),
    "bytes-big": (
        lambda c, n: {"compressors": None, "serializer": c.BytesCodec(endian="big")},
        True,
    ),
    "gzip": (lambda c, n: {"compressors": [c.GzipCodec(level=6)]}, False),
    "gzip-1": (lambda c, n: {"compressors": [c.GzipCodec(level=1)]}, False),
    "zstd": (lambda c, n: {"compressors": [c.ZstdCodec(level=3)]}, True),
    "zstd-checksum": (lambda c, n: {"compressors": [c.ZstdCodec(level=1, checksum=True)]}, True),
    "blosc-default": (lambda c, n: {"compressors": [c.BloscCodec()]}, True),
    "blosc-lz4-shuffle": (
        lambda c, n: {"compressors": [c.BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")]},
        True,
    ),
    "blosc-zstd-bitshuffle": (
        lambda c, n: {"compressors": [c.BloscCodec(cname="zstd", clevel=3, shuffle="bitshuffle")]},
        True,
    ),
    "blosc-blosclz-noshuffle": (
        lambda c, n: {
            "compressors": [c.BloscCodec(cname="blosclz", clevel=9, shuffle="noshuffle")]
        },
        True,
    ),
    "blosc-lz4hc": (
        lambda c, n: {"compressors": [c.BloscCodec(cname="lz4hc", shuffle="shuffle")]},
        True,
    ),
    "blosc-zlib": (
        lambda c, n: {"compressors": [c.BloscCodec(cname="zlib", shuffle="shuffle")]},
        True,
    ),
    "crc32c": (lambda c, n: {"compressors": [c.Crc32cCodec()]}, True),
    "zstd-crc32c": (
        lambda c, n: {"compressors": [c.ZstdCodec(level=2), c.Crc32cCodec()]},
        True,
    ),
    "transpose-zstd": (
        lambda c, n: {
            "filters": [c.TransposeCodec(order=_rev(n))],
            "compressors": [c.ZstdCodec(level=1)],
        },
        True,
    ),
    "transpose-big-blosc-crc32c": (
        lambda c, n: {
            "filters": [c.TransposeCodec(order=_rev(n))],
            "serializer": c.BytesCodec(endian="big"),
            "compressors": [c.BloscCodec(cname="lz4", shuffle="shuffle"), c.Crc32cCodec()],
        },
        True,
    ),
    "transpose-gzip": (
        lambda c, n: {
            "filters": [c.TransposeCodec(order=_rev(n))],
            "compressors": [c.GzipCodec(level=5)],
        },
        False,
    ),
}


@dataclass(frozen=True)
class Case:
    dtype: str
    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    fill_value: Any

    @property
    def id(self) -> str:
        shape = "x".join(map(str, self.shape)) or "0d"
        return f"{self.dtype}-{shape}-fill{self.fill_value}"


CASES = [
    Case("int16", (7, 5), (3, 2), -7),
    Case("float32", (10,), (4,), float("nan")),
    Case("float64", (4, 5, 3), (3, 2, 2), 0.5),
    Case("uint8", (9, 4), (4, 4), None),
    Case("bool", (5, 3), (2, 2), True),
    Case("complex64", (6, 3), (4, 2), 1 + 2j),
    Case("int64", (3, 4), (2, 3), None),
    Case("uint32", (11,), (5,), 4_000_000_000),
    Case("float16", (5, 5), (2, 3), float("-inf")),
    Case("complex128", (3, 2, 2), (2, 2, 1), float("nan")),
    Case("int32", (), (), 3),
    Case("float32", (0, 4), (2, 2), None),
]
SMALL_CASES = [CASES[0], CASES[1], CASES[4], CASES[10]]

KEY_ENCODINGS = [
    {"name": "default", "separator": "/"},
    {"name": "default", "separator": "."},
    {"name": "v2", "separator": "."},
    {"name": "v2", "separator": "/"},
]


def make_data(case: Case, seed: int = 0) -> np.ndarray:
    """Random values, with the first chunk all fill value (so it is not stored)."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(case.dtype)
    size = int(np.prod(case.shape))
    if dtype.kind == "b":
        flat = rng.integers(0, 2, size).astype(bool)
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        flat = rng.integers(info.min, info.max, size, dtype=dtype, endpoint=True)
    elif dtype.kind == "f":
        flat = (rng.standard_normal(size) * 100).astype(dtype)
        flat[::7] = np.nan
    else:
        flat = (rng.standard_normal(size) + 1j * rng.standard_normal(size)).astype(dtype)
    data = flat.reshape(case.shape)
    if data.size and data.ndim:
        fill = dtype.type(0) if case.fill_value is None else case.fill_value
        first = tuple(slice(0, c) for c in case.chunks)
        data[first] = fill
    return data


def create_kwargs(
    case: Case, chain: str, codec_module: Any, key_encoding: dict[str, str] | None
) -> dict[str, Any]:
    ndim = len(case.shape)
    dim_names = [f"d{i}" if i != 1 else None for i in range(ndim)] if ndim else None
    kwargs: dict[str, Any] = {
        "shape": case.shape,
        "dtype": case.dtype,
        "chunks": case.chunks,
        "fill_value": case.fill_value,
        "attributes": {"title": "interop", "nested": {"a": [1, 2.5, None, "x"]}},
        "dimension_names": dim_names,
        **CHAINS[chain][0](codec_module, ndim),
    }
    if key_encoding is not None:
        kwargs["chunk_key_encoding"] = key_encoding
    return kwargs


def write_impl(path: Path, case: Case, chain: str, key_encoding: dict[str, str] | None) -> None:
    arr = impl.create_array(
        storage.LocalStore(path), **create_kwargs(case, chain, codecs, key_encoding)
    )
    arr[...] = make_data(case)


def write_zarr(path: Path, case: Case, chain: str, key_encoding: dict[str, str] | None) -> None:
    arr = zarr.create_array(
        zarr.storage.LocalStore(path), **create_kwargs(case, chain, zarr.codecs, key_encoding)
    )
    arr[...] = make_data(case)


def assert_values(got: Any, case: Case) -> None:
    got = np.asarray(got)
    assert got.dtype == np.dtype(case.dtype)
    assert got.shape == case.shape
    np.testing.assert_array_equal(got, make_data(case))


def assert_fill(got: Any, case: Case) -> None:
    expected = np.asarray(0 if case.fill_value is None else case.fill_value, dtype=case.dtype)
    np.testing.assert_array_equal(np.asarray(got, dtype=case.dtype), expected)


def check_impl_to_zarr(
    tmp_path: Path, case: Case, chain: str, key_encoding: dict[str, str] | None
) -> None:
    path = tmp_path / "arr"
    write_impl(path, case, chain, key_encoding)
    z = zarr.open_array(str(path), mode="r")
    assert z.shape == case.shape
    assert z.chunks == case.chunks
    assert_values(z[...], case)
    assert_fill(z.fill_value, case)
    oracle = zarr.create_array(
        zarr.storage.MemoryStore(), **create_kwargs(case, chain, zarr.codecs, key_encoding)
    )
    assert jsonable(z.metadata.to_dict()) == jsonable(oracle.metadata.to_dict())


def check_zarr_to_impl(
    tmp_path: Path, case: Case, chain: str, key_encoding: dict[str, str] | None
) -> None:
    path = tmp_path / "arr"
    write_zarr(path, case, chain, key_encoding)
    a = impl.open_array(str(path), mode="r")
    assert a.shape == case.shape
    assert a.chunks == case.chunks
    assert a.dtype == np.dtype(case.dtype)
    assert_fill(a.fill_value, case)
    assert dict(a.attrs) == create_kwargs(case, chain, zarr.codecs, None)["attributes"]
    assert_values(a[...], case)
    a2 = impl.open_array(storage.LocalStore(path), mode="r")
    assert_values(a2[...], case)


def _chunk_payload(data: bytes, exact: bool) -> bytes:
    # numcodecs' gzip stamps the current time into the header, so only the payload is stable
    return data if exact else gzip.decompress(data)


def check_same_files(
    tmp_path: Path, case: Case, chain: str, key_encoding: dict[str, str] | None
) -> None:
    ours, theirs = tmp_path / "impl", tmp_path / "zarr"
    write_impl(ours, case, chain, key_encoding)
    write_zarr(theirs, case, chain, key_encoding)
    keys = list_local_keys(ours)
    assert keys == list_local_keys(theirs)
    exact = CHAINS[chain][1]
    for key in sorted(keys):
        a, b = (ours / key).read_bytes(), (theirs / key).read_bytes()
        if key.rsplit("/", 1)[-1] == "zarr.json":
            assert json.loads(a) == json.loads(b), key
        else:
            assert _chunk_payload(a, exact) == _chunk_payload(b, exact), key


# -- every codec chain x dtype/shape (default chunk key encoding) ----------------------

chain_params = pytest.mark.parametrize("chain", list(CHAINS))
case_params = pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])


@chain_params
@case_params
def test_impl_writes_zarr_python_reads(tmp_path: Path, case: Case, chain: str) -> None:
    check_impl_to_zarr(tmp_path, case, chain, None)


@chain_params
@case_params
def test_zarr_python_writes_impl_reads(tmp_path: Path, case: Case, chain: str) -> None:
    check_zarr_to_impl(tmp_path, case, chain, None)


@chain_params
@case_params
def test_same_files_as_zarr_python(tmp_path: Path, case: Case, chain: str) -> None:
    check_same_files(tmp_path, case, chain, None)


# -- chunk key encodings ---------------------------------------------------------------

key_params = pytest.mark.parametrize(
    "key_encoding", KEY_ENCODINGS, ids=[f"{e['name']}{e['separator']}" for e in KEY_ENCODINGS]
)
small_case_params = pytest.mark.parametrize("case", SMALL_CASES, ids=[c.id for c in SMALL_CASES])


@key_params
@small_case_params
@pytest.mark.parametrize("chain", ["bytes", "zstd-crc32c"])
def test_key_encoding_impl_writes_zarr_python_reads(
    tmp_path: Path, case: Case, chain: str, key_encoding: dict[str, str]
) -> None:
    check_impl_to_zarr(tmp_path, case, chain, key_encoding)


@key_params
@small_case_params
@pytest.mark.parametrize("chain", ["bytes", "zstd-crc32c"])
def test_key_encoding_zarr_python_writes_impl_reads(
    tmp_path: Path, case: Case, chain: str, key_encoding: dict[str, str]
) -> None:
    check_zarr_to_impl(tmp_path, case, chain, key_encoding)


@key_params
@small_case_params
@pytest.mark.parametrize("chain", ["bytes", "zstd-crc32c"])
def test_key_encoding_same_files(
    tmp_path: Path, case: Case, chain: str, key_encoding: dict[str, str]
) -> None:
    check_same_files(tmp_path, case, chain, key_encoding)


# -- partial updates across the boundary -----------------------------------------------


def test_zarr_python_updates_impl_array(tmp_path: Path) -> None:
    case = CASES[0]
    path = tmp_path / "arr"
    write_impl(path, case, "zstd-crc32c", None)
    z = zarr.open_array(str(path), mode="r+")
    z[1:6, 1:4] = 99
    expected = make_data(case)
    expected[1:6, 1:4] = 99
    np.testing.assert_array_equal(impl.open_array(str(path), mode="r")[...], expected)


def test_impl_updates_zarr_python_array(tmp_path: Path) -> None:
    case = CASES[0]
    path = tmp_path / "arr"
    write_zarr(path, case, "zstd-crc32c", None)
    a = impl.open_array(str(path), mode="r+")
    a[1:6, 1:4] = 99
    a[-1, ...] = -1
    expected = make_data(case)
    expected[1:6, 1:4] = 99
    expected[-1, ...] = -1
    np.testing.assert_array_equal(zarr.open_array(str(path), mode="r")[...], expected)
