"""Built-in codecs: JSON form, validation, spec evolution and the Python kernels.

zarr-python 3 (and numcodecs / google-crc32c underneath it) is the oracle for
the JSON and for the bytes the codecs produce.
"""

from __future__ import annotations

import dataclasses
import gzip as stdlib_gzip
import itertools
import json
import pickle
import warnings
from typing import Any

import google_crc32c
import numcodecs
import numpy as np
import pytest
import zarr
import zarr.codecs as zc
from hypothesis import given, settings
from hypothesis import strategies as st
from zarr.core.array_spec import ArrayConfig, ArraySpec
from zarr.core.buffer import default_buffer_prototype
from zarr.core.buffer.cpu import Buffer
from zarr.core.dtype import parse_data_type

import zarrc.codecs as ours
from zarrc.codecs.crc32c import crc32c
from zarrc.errors import ChecksumError, CorruptChunkError, MetadataError


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data)


def zarr_spec(shape: tuple[int, ...], dtype: str | np.dtype) -> ArraySpec:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zdtype = parse_data_type(np.dtype(dtype), zarr_format=3)
    return ArraySpec(
        shape=shape,
        dtype=zdtype,
        fill_value=zdtype.default_scalar(),
        config=ArrayConfig.from_dict({}),
        prototype=default_buffer_prototype(),
    )


def assert_same_json(mine: ours.Codec, theirs: Any) -> None:
    assert dumps(mine.to_dict()) == dumps(theirs.to_dict())


def assert_round_trips(codec: ours.Codec) -> None:
    text = dumps(codec.to_dict())
    again = type(codec).from_dict(json.loads(text))
    assert dumps(again.to_dict()) == text
    assert dumps(ours.codec_from_dict(json.loads(text)).to_dict()) == text


# -- JSON, byte for byte against zarr-python -------------------------------------------

BLOSC_TYPESIZES = [None, 1, 2, 4, 8, 16, 255, 300]
BLOSC_CNAMES = ["lz4", "lz4hc", "blosclz", "snappy", "zlib", "zstd"]
BLOSC_CLEVELS = [0, 1, 5, 9]
BLOSC_SHUFFLES = [None, "noshuffle", "shuffle", "bitshuffle"]
BLOSC_BLOCKSIZES = [0, 4096, 1 << 20]


def test_blosc_json_matches_zarr_python_for_all_combinations() -> None:
    combos = itertools.product(
        BLOSC_TYPESIZES, BLOSC_CNAMES, BLOSC_CLEVELS, BLOSC_SHUFFLES, BLOSC_BLOCKSIZES
    )
    count = 0
    for typesize, cname, clevel, shuffle, blocksize in combos:
        kwargs = dict(
            typesize=typesize, cname=cname, clevel=clevel, shuffle=shuffle, blocksize=blocksize
        )
        mine = ours.BloscCodec(**kwargs)
        assert_same_json(mine, zc.BloscCodec(**kwargs))
        assert_round_trips(mine)
        count += 1
    assert count == 8 * 6 * 4 * 4 * 3


def test_blosc_accepts_enum_members_of_both_libraries() -> None:
    for cname in BLOSC_CNAMES:
        for shuffle in ["noshuffle", "shuffle", "bitshuffle"]:
            a = ours.BloscCodec(cname=ours.BloscCname(cname), shuffle=ours.BloscShuffle(shuffle))
            b = ours.BloscCodec(cname=zc.BloscCname(cname), shuffle=zc.BloscShuffle(shuffle))
            c = ours.BloscCodec(cname=cname, shuffle=shuffle)
            assert a == b == c
            assert a.cname is ours.BloscCname(cname)
            assert a.shuffle is ours.BloscShuffle(shuffle)


def test_blosc_defaults_match_zarr_python() -> None:
    mine, theirs = ours.BloscCodec(), zc.BloscCodec()
    assert_same_json(mine, theirs)
    assert mine.typesize == 1 and mine.cname is ours.BloscCname.zstd and mine.clevel == 5
    assert mine.shuffle is ours.BloscShuffle.bitshuffle and mine.blocksize == 0
    # Unset typesize/shuffle are not the same codec as explicitly chosen ones.
    assert mine != ours.BloscCodec(typesize=1, shuffle="bitshuffle")
    assert ours.BloscShuffle.from_int(2) is ours.BloscShuffle.bitshuffle
    with pytest.raises(ValueError):
        ours.BloscShuffle.from_int(3)


@pytest.mark.parametrize("endian", ["little", "big", None, "default"])
def test_bytes_json_matches_zarr_python(endian: str | None) -> None:
    if endian == "default":
        mine, theirs = ours.BytesCodec(), zc.BytesCodec()
    else:
        mine, theirs = ours.BytesCodec(endian=endian), zc.BytesCodec(endian=endian)
    assert_same_json(mine, theirs)
    assert_round_trips(mine)
    if endian is not None:
        assert ours.BytesCodec(endian=zc.Endian(theirs.endian.value)) == mine
        assert ours.BytesCodec(endian=ours.Endian(theirs.endian.value)) == mine


def test_bytes_reads_other_spellings() -> None:
    assert ours.BytesCodec.from_dict({"name": "bytes"}) == ours.BytesCodec(endian=None)
    # Without an endian the JSON describes a codec without one; zarr-python substitutes
    # the machine's byte order here, which would not round-trip.
    assert ours.BytesCodec.from_dict({"name": "bytes", "configuration": {}}) == ours.BytesCodec(
        endian=None
    )
    legacy = {"name": "endian", "configuration": {"endian": "big"}}
    assert ours.codec_from_dict(legacy) == ours.BytesCodec(endian="big")
    null = {"name": "bytes", "configuration": {"endian": None}}
    assert ours.BytesCodec.from_dict(null).to_dict() == {"name": "bytes"}


def test_transpose_json_matches_zarr_python() -> None:
    orders = [()]
    for ndim in range(1, 5):
        orders.extend(itertools.permutations(range(ndim)))
    for order in orders:
        for given_order in (order, list(order), np.array(order, dtype=np.int64)):
            mine = ours.TransposeCodec(order=given_order)
            assert mine.order == tuple(order)
            assert_same_json(mine, zc.TransposeCodec(order=tuple(order)))
            assert_round_trips(mine)


def test_gzip_and_zstd_and_crc32c_json_match_zarr_python() -> None:
    for level in range(10):
        assert_same_json(ours.GzipCodec(level=level), zc.GzipCodec(level=level))
        assert_round_trips(ours.GzipCodec(level=level))
    assert_same_json(ours.GzipCodec(), zc.GzipCodec())
    for level, checksum in itertools.product([-131072, -7, -1, 0, 1, 3, 9, 19, 22], [True, False]):
        mine = ours.ZstdCodec(level=level, checksum=checksum)
        assert_same_json(mine, zc.ZstdCodec(level=level, checksum=checksum))
        assert_round_trips(mine)
    assert_same_json(ours.ZstdCodec(), zc.ZstdCodec())
    assert_same_json(ours.Crc32cCodec(), zc.Crc32cCodec())
    assert_round_trips(ours.Crc32cCodec())
    assert ours.Crc32cCodec.from_dict({"name": "crc32c", "configuration": {}}) == ours.Crc32cCodec()


def test_codecs_read_zarr_python_json() -> None:
    theirs = [
        zc.BloscCodec(typesize=4, cname="lz4", clevel=3, shuffle="noshuffle", blocksize=128),
        zc.BytesCodec(endian="big"),
        zc.TransposeCodec(order=(2, 0, 1)),
        zc.GzipCodec(level=9),
        zc.ZstdCodec(level=-3, checksum=True),
        zc.Crc32cCodec(),
    ]
    for codec in theirs:
        text = dumps(codec.to_dict())
        mine = ours.codec_from_dict(json.loads(text))
        assert type(mine).__name__ == type(codec).__name__
        assert dumps(mine.to_dict()) == text


def test_codecs_are_immutable_hashable_and_picklable() -> None:
    codecs = [
        ours.BloscCodec(cname="lz4"),
        ours.BloscCodec(typesize=2, shuffle="shuffle"),
        ours.BytesCodec(endian="big"),
        ours.TransposeCodec(order=(1, 0)),
        ours.GzipCodec(level=1),
        ours.ZstdCodec(level=3, checksum=True),
        ours.Crc32cCodec(),
    ]
    for codec in codecs:
        with pytest.raises(dataclasses.FrozenInstanceError):
            codec.foo = 1  # type: ignore[attr-defined]
        copy = pickle.loads(pickle.dumps(codec))
        assert copy == codec and hash(copy) == hash(codec)
    assert len(set(codecs)) == len(codecs)
    assert ours.GzipCodec(level=1) != ours.ZstdCodec(level=1)
    assert {ours.GzipCodec(level=2), ours.GzipCodec(level=2)} == {ours.GzipCodec(level=2)}


def test_c_kernel_parameters() -> None:
    assert ours.BytesCodec(endian="big").c_kernel() == {"endian": "big"}
    assert ours.BytesCodec(endian="little").c_kernel() == {"endian": "little"}
    assert ours.BytesCodec(endian=None).c_kernel() == {"endian": None}
    assert ours.TransposeCodec(order=[2, 0, 1]).c_kernel() == {"order": (2, 0, 1)}
    blank = {"level": 0, "checksum": 0, "shuffle": 0, "typesize": 0, "blocksize": 0, "cname": ""}
    assert ours.GzipCodec(level=7).c_kernel() == {**blank, "kind": 2, "level": 7}
    assert ours.ZstdCodec(level=-2, checksum=True).c_kernel() == {
        **blank,
        "kind": 3,
        "level": -2,
        "checksum": 1,
    }
    assert ours.Crc32cCodec().c_kernel() == {**blank, "kind": 4}
    for shuffle, code in [("noshuffle", 0), ("shuffle", 1), ("bitshuffle", 2)]:
        blosc = ours.BloscCodec(typesize=8, cname="lz4hc", clevel=9, shuffle=shuffle, blocksize=64)
        assert blosc.c_kernel() == {
            "kind": 1,
            "level": 9,
            "checksum": 0,
            "shuffle": code,
            "typesize": 8,
            "blocksize": 64,
            "cname": "lz4hc",
        }


# -- validation -------------------------------------------------------------------------


CONSTRUCTOR_ERRORS = [
    (lambda m: m.BytesCodec(endian="middle"), ValueError),
    (lambda m: m.BytesCodec(endian=1), TypeError),
    (lambda m: m.BloscCodec(cname="lzma"), ValueError),
    (lambda m: m.BloscCodec(cname=3), TypeError),
    (lambda m: m.BloscCodec(clevel="5"), TypeError),
    (lambda m: m.BloscCodec(shuffle="byte"), ValueError),
    (lambda m: m.BloscCodec(shuffle=1), TypeError),
    (lambda m: m.BloscCodec(typesize=0), ValueError),
    (lambda m: m.BloscCodec(typesize=2.0), TypeError),
    (lambda m: m.BloscCodec(blocksize="0"), TypeError),
    (lambda m: m.GzipCodec(level=10), ValueError),
    (lambda m: m.GzipCodec(level=-1), ValueError),
    (lambda m: m.GzipCodec(level=1.0), TypeError),
    (lambda m: m.ZstdCodec(level=23), ValueError),
    (lambda m: m.ZstdCodec(level="1"), TypeError),
    (lambda m: m.ZstdCodec(checksum=1), TypeError),
    (lambda m: m.TransposeCodec(order=5), TypeError),
    (lambda m: m.TransposeCodec(order=[0, "1"]), TypeError),
]


@pytest.mark.parametrize("make, error", CONSTRUCTOR_ERRORS)
def test_constructor_errors_match_zarr_python(make: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        make(zc)
    with pytest.raises(error):
        make(ours)


def test_constructor_stricter_than_zarr_python() -> None:
    # Values the specification rules out are refused when the codec is described,
    # not when the first chunk is written.
    for make in [
        lambda: ours.BloscCodec(clevel=10),
        lambda: ours.BloscCodec(blocksize=-1),
        lambda: ours.TransposeCodec(order=(0, 0)),
        lambda: ours.TransposeCodec(order=(1, 2)),
        lambda: ours.ZstdCodec(level=-(1 << 17) - 1),
    ]:
        with pytest.raises(ValueError):
            make()
    with pytest.raises(TypeError):
        ours.GzipCodec(level=True)
    assert ours.GzipCodec(level=np.int64(3)).to_dict() == {
        "name": "gzip",
        "configuration": {"level": 3},
    }


def blosc_json(**config: Any) -> dict[str, Any]:
    base = {"typesize": 4, "cname": "lz4", "clevel": 5, "shuffle": "shuffle", "blocksize": 0}
    return {"name": "blosc", "configuration": {**base, **config}}


BAD_JSON = [
    blosc_json(cname="lzma"),
    blosc_json(cname=None),
    blosc_json(clevel="5"),
    blosc_json(clevel=5.0),
    blosc_json(clevel=True),
    blosc_json(clevel=10),
    blosc_json(shuffle=1),
    blosc_json(shuffle="byteshuffle"),
    blosc_json(typesize=0),
    blosc_json(blocksize=-1),
    blosc_json(extra=1),
    {"name": "blosc"},
    {"name": "blosc", "configuration": [1]},
    {"name": "gzip", "configuration": {"level": "5"}},
    {"name": "gzip", "configuration": {"level": 5.5}},
    {"name": "gzip", "configuration": {"level": 12}},
    {"name": "gzip", "configuration": {"level": 5, "mtime": 0}},
    {"name": "gzip"},
    {"name": "zstd", "configuration": {"level": "3", "checksum": False}},
    {"name": "zstd", "configuration": {"level": 3, "checksum": "yes"}},
    {"name": "zstd", "configuration": {"level": 30, "checksum": False}},
    {"name": "zstd", "configuration": {"level": 3, "checksum": False, "dict": ""}},
    {"name": "transpose", "configuration": {"order": [0, 0]}},
    {"name": "transpose", "configuration": {"order": [1, 2, 3]}},
    {"name": "transpose", "configuration": {"order": [0, 1.0]}},
    {"name": "transpose", "configuration": {"order": "C"}},
    {"name": "transpose", "configuration": {}},
    {"name": "transpose", "configuration": {"order": [1, 0], "axes": 2}},
    {"name": "bytes", "configuration": {"endian": "middle"}},
    {"name": "bytes", "configuration": {"endian": 0}},
    {"name": "bytes", "configuration": {"endian": "little", "order": "C"}},
    {"name": "crc32c", "configuration": {"seed": 0}},
]


@pytest.mark.parametrize("data", BAD_JSON, ids=[dumps(d) for d in BAD_JSON])
def test_from_dict_errors_are_metadata_errors(data: dict[str, Any]) -> None:
    cls = ours.get_codec_class(data["name"])
    with pytest.raises(MetadataError) as info:
        cls.from_dict(data)
    assert info.value.field == "codecs"
    with pytest.raises(MetadataError) as info:
        ours.codec_from_dict(data, path="arr/zarr.json")
    assert info.value.path == "arr/zarr.json" and info.value.field == "codecs"
    assert "arr/zarr.json" in str(info.value)


def test_from_dict_error_messages_name_the_problem() -> None:
    with pytest.raises(MetadataError, match="lzma"):
        ours.codec_from_dict(blosc_json(cname="lzma"))
    with pytest.raises(MetadataError, match="extra"):
        ours.codec_from_dict(blosc_json(extra=1))
    with pytest.raises(MetadataError, match="permutation"):
        ours.codec_from_dict({"name": "transpose", "configuration": {"order": [0, 0]}})
    with pytest.raises(MetadataError, match="expected codec name 'gzip'"):
        ours.GzipCodec.from_dict({"name": "zstd", "configuration": {"level": 1}})
    with pytest.raises(MetadataError, match="JSON object"):
        ours.GzipCodec.from_dict(["gzip"])  # type: ignore[arg-type]


# -- evolution from the array's data type -----------------------------------------------

DTYPES = ["bool", "i1", "u1", "i2", "u2", "<i4", ">i4", "u8", "f2", ">f4", "f8", "c8", "c16",
          "M8[s]", "m8[ms]", "S5", "V3", "U3", [("a", "<i4"), ("b", "u1")]]  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_evolve_matches_zarr_python(dtype: Any) -> None:
    np_dtype = np.dtype(dtype)
    spec = ours.ChunkSpec(shape=(4, 5), dtype=np_dtype)
    theirs_spec = zarr_spec((4, 5), np_dtype)
    kwarg_sets: list[dict[str, Any]] = [
        {},
        {"typesize": 3},
        {"shuffle": "noshuffle"},
        {"typesize": 2, "shuffle": "bitshuffle", "cname": "lz4"},
    ]
    for kwargs in kwarg_sets:
        mine = ours.BloscCodec(**kwargs).evolve_from_array_spec(spec)
        theirs = zc.BloscCodec(**kwargs).evolve_from_array_spec(theirs_spec)
        assert_same_json(mine, theirs)
    for endian in ["little", "big"]:
        mine = ours.BytesCodec(endian=endian).evolve_from_array_spec(spec)
        theirs = zc.BytesCodec(endian=endian).evolve_from_array_spec(theirs_spec)
        assert_same_json(mine, theirs)
    order = ours.TransposeCodec(order=(1, 0))
    assert order.evolve_from_array_spec(spec) == order
    assert order.resolve_spec(spec).shape == (5, 4)


def test_blosc_evolve_details() -> None:
    f8 = ours.ChunkSpec(shape=(10,), dtype="f8")
    evolved = ours.BloscCodec().evolve_from_array_spec(f8)
    assert (evolved.typesize, evolved.shuffle) == (8, ours.BloscShuffle.shuffle)
    # Once evolved, the parameters are fixed: a second evolution keeps them.
    again = evolved.evolve_from_array_spec(ours.ChunkSpec(shape=(10,), dtype="u1"))
    assert (again.typesize, again.shuffle) == (8, ours.BloscShuffle.shuffle)
    fixed = ours.BloscCodec(typesize=2, shuffle="noshuffle")
    assert fixed.evolve_from_array_spec(f8) is fixed
    strings = ours.BloscCodec().evolve_from_array_spec(ours.ChunkSpec(shape=(3,), dtype="T"))
    assert (strings.typesize, strings.shuffle) == (1, ours.BloscShuffle.bitshuffle)


def test_bytes_evolve_and_validate() -> None:
    u1 = ours.ChunkSpec(shape=(3,), dtype="u1")
    i4 = ours.ChunkSpec(shape=(3,), dtype="i4")
    assert ours.BytesCodec(endian="big").evolve_from_array_spec(u1) == ours.BytesCodec(endian=None)
    keep = ours.BytesCodec(endian="big")
    assert keep.evolve_from_array_spec(i4) is keep
    with pytest.raises(MetadataError, match="endian"):
        ours.BytesCodec(endian=None).evolve_from_array_spec(i4)
    with pytest.raises(MetadataError, match="variable-length"):
        ours.BytesCodec().validate(ours.ChunkSpec(shape=(3,), dtype="O"))
    assert ours.BytesCodec().compute_encoded_size(12, i4) == 12
    assert ours.Crc32cCodec().compute_encoded_size(12, i4) == 16


def test_transpose_validate_and_resolve() -> None:
    codec = ours.TransposeCodec(order=(2, 0, 1))
    spec = ours.ChunkSpec(shape=(2, 3, 4), dtype="i2", fill_value=7)
    resolved = codec.resolve_spec(spec)
    assert resolved == ours.ChunkSpec(shape=(4, 2, 3), dtype="i2", fill_value=7)
    codec.validate(spec)
    with pytest.raises(MetadataError, match="3 entries"):
        codec.validate(ours.ChunkSpec(shape=(2, 3), dtype="i2"))
    with pytest.raises(MetadataError):
        codec.evolve_from_array_spec(ours.ChunkSpec(shape=(2, 3, 4, 5), dtype="i2"))


# -- Python kernels ----------------------------------------------------------------------


def test_crc32c_matches_google_crc32c() -> None:
    assert crc32c(b"123456789") == 0xE3069283  # the standard check value
    rng = np.random.default_rng(0)
    for n in [0, 1, 3, 4095, 4096, 4097, 65537, 1 << 20, 3_000_003]:
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        assert crc32c(data) == google_crc32c.value(data), n
    data = rng.integers(0, 256, 10000, dtype=np.uint8).tobytes()
    assert crc32c(data[6000:], crc32c(data[:6000])) == google_crc32c.value(data)


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=10000), st.integers(0, 0xFFFFFFFF))
def test_crc32c_running_checksum_property(data: bytes, seed: int) -> None:
    assert crc32c(data, seed) == google_crc32c.extend(seed, data)


def test_crc32c_codec_round_trip_and_oracle() -> None:
    spec = ours.ChunkSpec(shape=(1000,), dtype="u1")
    codec = ours.Crc32cCodec()
    data = np.arange(1000, dtype=np.uint32).view(np.uint8)[:1000].tobytes()
    encoded = codec.encode(data, spec)
    assert encoded == data + np.uint32(google_crc32c.value(data)).tobytes()
    assert codec.decode(encoded, spec) == data
    assert codec.decode(np.frombuffer(encoded, dtype=np.uint8), spec) == data
    corrupted = bytearray(encoded)
    corrupted[10] ^= 1
    with pytest.raises(ChecksumError):
        codec.decode(bytes(corrupted), spec)
    with pytest.raises(CorruptChunkError):
        codec.decode(b"abc", spec)


@pytest.mark.parametrize("level", [0, 1, 5, 9])
def test_gzip_round_trip_and_oracle(level: int) -> None:
    spec = ours.ChunkSpec(shape=(20000,), dtype="u1")
    data = (np.arange(20000) % 251).astype(np.uint8).tobytes()
    codec = ours.GzipCodec(level=level)
    encoded = codec.encode(data, spec)
    assert encoded[:2] == b"\x1f\x8b"
    assert bytes(numcodecs.GZip(level=level).decode(encoded)) == data
    assert stdlib_gzip.decompress(encoded) == data
    assert codec.decode(encoded, spec) == data
    assert codec.decode(numcodecs.GZip(level=level).encode(data), spec) == data
    # Concatenated members decode to the concatenation of their contents.
    two = stdlib_gzip.compress(data[:5]) + stdlib_gzip.compress(data[5:])
    assert codec.decode(two, spec) == data


def test_gzip_refuses_bad_streams() -> None:
    spec = ours.ChunkSpec(shape=(10,), dtype="u1")
    codec = ours.GzipCodec()
    encoded = codec.encode(b"0123456789", spec)
    with pytest.raises(CorruptChunkError, match="truncated"):
        codec.decode(encoded[:-9], spec)
    with pytest.raises(CorruptChunkError):
        codec.decode(b"not gzip at all", spec)
    bomb = stdlib_gzip.compress(bytes(32 << 20))
    with pytest.raises(CorruptChunkError, match="more than"):
        codec.decode(bomb, spec)


@pytest.mark.parametrize("level, checksum", [(0, False), (3, True), (-5, False), (19, True)])
def test_zstd_round_trip_and_oracle(level: int, checksum: bool) -> None:
    spec = ours.ChunkSpec(shape=(5000,), dtype="<i4")
    data = np.arange(5000, dtype="<i4").tobytes()
    codec = ours.ZstdCodec(level=level, checksum=checksum)
    encoded = codec.encode(data, spec)
    oracle = numcodecs.Zstd(level=level, checksum=checksum)
    assert bytes(oracle.decode(encoded)) == data
    assert codec.decode(encoded, spec) == data
    assert codec.decode(oracle.encode(data), spec) == data
    with pytest.raises(CorruptChunkError):
        codec.decode(encoded[: len(encoded) // 2], spec)
    too_big = numcodecs.Zstd().encode(bytes(spec.nbytes * 20 + (1 << 20)))
    with pytest.raises(CorruptChunkError, match="more than"):
        codec.decode(too_big, spec)


@pytest.mark.parametrize("shuffle", ["noshuffle", "shuffle", "bitshuffle"])
@pytest.mark.parametrize("cname", ["lz4", "zstd", "blosclz", "zlib"])
def test_blosc_round_trip_and_oracle(cname: str, shuffle: str) -> None:
    spec = ours.ChunkSpec(shape=(4000,), dtype="<u2")
    data = (np.arange(4000) * 7).astype("<u2").tobytes()
    codec = ours.BloscCodec(cname=cname, shuffle=shuffle, clevel=5).evolve_from_array_spec(spec)
    assert codec.typesize == 2
    encoded = codec.encode(data, spec)
    assert bytes(numcodecs.Blosc().decode(encoded)) == data
    assert codec.decode(encoded, spec) == data
    oracle = numcodecs.Blosc(cname=cname, clevel=5, shuffle=codec.shuffle.to_int(), typesize=2)
    assert codec.decode(oracle.encode(data), spec) == data


def test_blosc_refuses_bad_frames() -> None:
    spec = ours.ChunkSpec(shape=(100,), dtype="u1")
    codec = ours.BloscCodec(typesize=1)
    encoded = codec.encode(bytes(range(100)), spec)
    with pytest.raises(CorruptChunkError, match="16-byte header"):
        codec.decode(encoded[:10], spec)
    with pytest.raises(CorruptChunkError, match="compressed bytes"):
        codec.decode(encoded[:-1], spec)
    claims_huge = bytearray(encoded)
    claims_huge[4:8] = (1 << 30).to_bytes(4, "little")
    with pytest.raises(CorruptChunkError, match="claims"):
        codec.decode(bytes(claims_huge), spec)


@pytest.mark.parametrize("dtype", ["u1", "<i2", ">i2", "<f8", ">f8", "c8", "?", "S3", "U2"])
@pytest.mark.parametrize("endian", ["little", "big"])
def test_bytes_round_trip_and_oracle(dtype: str, endian: str) -> None:
    spec = ours.ChunkSpec(shape=(3, 4), dtype=dtype)
    data = np.arange(12).reshape(3, 4).astype(dtype)
    codec = ours.BytesCodec(endian=endian).evolve_from_array_spec(spec)
    encoded = codec.encode(data, spec)
    prefix = {"little": "<", "big": ">"}[endian]
    stored = spec.dtype.newbyteorder(prefix) if spec.dtype.byteorder != "|" else spec.dtype
    assert encoded == data.astype(stored).tobytes()
    decoded = codec.decode(encoded, spec)
    assert decoded.dtype == spec.dtype and decoded.shape == (3, 4)
    np.testing.assert_array_equal(decoded, data)
    # Non-contiguous input is serialised in C order.
    transposed_spec = ours.ChunkSpec(shape=(4, 3), dtype=dtype)
    encoded_t = codec.encode(data.T, transposed_spec)
    assert encoded_t == np.ascontiguousarray(data.T).astype(stored).tobytes()
    np.testing.assert_array_equal(codec.decode(encoded_t, transposed_spec), data.T)
    with pytest.raises(CorruptChunkError, match="expected"):
        codec.decode(encoded[:-1], spec)


def test_transpose_round_trip() -> None:
    data = np.arange(24).reshape(2, 3, 4)
    codec = ours.TransposeCodec(order=(2, 0, 1))
    spec = ours.ChunkSpec(shape=(2, 3, 4), dtype=data.dtype)
    encoded = codec.encode(data, spec)
    np.testing.assert_array_equal(encoded, np.transpose(data, (2, 0, 1)))
    assert encoded.shape == codec.resolve_spec(spec).shape
    np.testing.assert_array_equal(codec.decode(encoded, codec.resolve_spec(spec)), data)


# -- whole chains against zarr-python's stored chunks -------------------------------------

CHAINS = [
    dict(dtype="<i2", filters=None, compressors=None),
    dict(dtype=">f8", filters=[zc.TransposeCodec(order=(1, 0))], compressors=zc.GzipCodec()),
    dict(dtype="u1", filters=None, compressors=[zc.ZstdCodec(level=3, checksum=True)]),
    dict(dtype="<u4", filters=None, compressors=[zc.BloscCodec(cname="lz4"), zc.Crc32cCodec()]),
    dict(
        dtype="c16",
        filters=[zc.TransposeCodec(order=(1, 0))],
        compressors=[zc.Crc32cCodec(), zc.GzipCodec(level=1), zc.Crc32cCodec()],
    ),
    dict(dtype="f4", filters=None, compressors="auto", serializer=zc.BytesCodec(endian="big")),
]


@pytest.mark.parametrize("case", CHAINS, ids=lambda c: str(c["dtype"]))
def test_chain_reads_and_writes_zarr_python_chunks(case: dict[str, Any]) -> None:
    case = dict(case)
    dtype = np.dtype(case.pop("dtype"))
    shape = (6, 10)
    data = (np.arange(60).reshape(shape) * 3).astype(dtype)
    store_dict: dict[str, Any] = {}
    store = zarr.storage.MemoryStore(store_dict)
    arr = zarr.create_array(store, shape=shape, chunks=shape, dtype=dtype, fill_value=0, **case)
    arr[:] = data
    metadata = json.loads(store_dict["zarr.json"].to_bytes())
    chain = ours.parse_codecs(metadata["codecs"], ours.ChunkSpec(shape=shape, dtype=dtype))
    assert chain.to_dicts() == metadata["codecs"]

    stored = store_dict["c/0/0"].to_bytes()
    np.testing.assert_array_equal(chain.decode(stored), data)

    written = chain.encode(data)
    np.testing.assert_array_equal(chain.decode(written), data)
    store_dict["c/0/0"] = Buffer.from_bytes(written)
    np.testing.assert_array_equal(zarr.open_array(store, mode="r")[:], data)
