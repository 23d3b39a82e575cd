"""Tests of the vlen-utf8 and vlen-bytes codecs against numcodecs and zarr-python."""

from __future__ import annotations

import struct
import warnings
from typing import Any

import numcodecs
import numpy as np
import pytest
import zarr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zarrc.codecs import (
    ChunkSpec,
    VLenBytesCodec,
    VLenUTF8Codec,
    codec_from_dict,
    get_codec_class,
    normalize_codecs_for_create,
    parse_codecs,
)
from zarrc.codecs.vlen_bytes import _VECTOR_THRESHOLD, pack_items, unpack_items
from zarrc.dtypes import STRING_DTYPE
from zarrc.errors import CodecError, CorruptChunkError, MetadataError

OBJECT = np.dtype(object)
UTF8 = VLenUTF8Codec()
BYTES = VLenBytesCodec()

TEXTS = [
    [],
    [""],
    ["a"],
    ["", "", ""],
    ["héllo", "wörld", "日本語", "😀🎉", "\x00", "a\x00b"],
    ["x" * 100_000, "", "y"],
    [str(i) * (i % 13) for i in range(1000)],
]
BLOBS = [
    [],
    [b""],
    [b"\x00"],
    [b"\xff" * 3, b"", b"abc"],
    [bytes(range(256)), b"\x00\x00", b"q" * 70_000],
    [bytes([i % 256]) * (i % 17) for i in range(1000)],
]


def spec_of(shape: tuple[int, ...], dtype: np.dtype) -> ChunkSpec:
    return ChunkSpec(shape, dtype)


def text_array(items: list[str], dtype: np.dtype = STRING_DTYPE) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out.astype(dtype)


def blob_array(items: list[bytes]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


# ---------------------------------------------------------------------------------------
# JSON and registry
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cls", "name"), [(VLenUTF8Codec, "vlen-utf8"), (VLenBytesCodec, "vlen-bytes")]
)
def test_json_and_registry(cls: type, name: str) -> None:
    codec = cls()
    assert codec.codec_name == name
    assert codec.kind == "array_to_bytes"
    assert codec.c_kernel() is None
    assert not codec.is_fixed_size
    assert codec.to_dict() == {"name": name, "configuration": {}}
    assert get_codec_class(name) is cls
    for form in (name, {"name": name}, {"name": name, "configuration": {}}):
        assert codec_from_dict(form) == codec
    assert hash(codec_from_dict(name)) == hash(codec)
    # zarr-python's codec has the same JSON.
    theirs = zarr.codecs.VLenUTF8Codec() if name == "vlen-utf8" else zarr.codecs.VLenBytesCodec()
    assert theirs.to_dict() == codec.to_dict()
    assert codec_from_dict(theirs.to_dict()) == codec
    with pytest.raises(MetadataError):
        codec_from_dict({"name": name, "configuration": {"x": 1}})
    with pytest.raises(MetadataError):
        codec_from_dict({"name": name, "configuration": []})
    with pytest.raises(NotImplementedError):
        codec.compute_encoded_size(10, spec_of((2,), OBJECT))


def test_validate_dtypes() -> None:
    parse_codecs([{"name": "vlen-utf8"}], spec_of((4,), STRING_DTYPE))
    parse_codecs([{"name": "vlen-utf8"}], spec_of((4,), OBJECT))
    parse_codecs(
        [
            {"name": "vlen-bytes"},
            {"name": "zstd", "configuration": {"level": 0, "checksum": False}},
        ],
        spec_of((4,), OBJECT),
    )
    for codec, dtype in [("vlen-utf8", "i4"), ("vlen-utf8", "U3"), ("vlen-bytes", "S3")]:
        with pytest.raises(MetadataError):
            parse_codecs([{"name": codec}], spec_of((4,), np.dtype(dtype)))
    with pytest.raises(MetadataError):
        parse_codecs([{"name": "vlen-bytes"}], spec_of((4,), STRING_DTYPE))
    with pytest.raises(MetadataError):
        parse_codecs([{"name": "vlen-utf8"}, {"name": "bytes"}], spec_of((4,), STRING_DTYPE))


@pytest.mark.parametrize("dtype", [STRING_DTYPE, OBJECT], ids=str)
def test_default_chain_for_strings_matches_zarr_python(dtype: np.dtype) -> None:
    ours = [c.to_dict() for c in normalize_codecs_for_create(dtype=dtype, shape=(10,))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        array = zarr.create_array(zarr.storage.MemoryStore(), shape=(10,), dtype=str, chunks=(10,))
    assert ours == [c.to_dict() for c in array.metadata.codecs]


# ---------------------------------------------------------------------------------------
# byte-identical to numcodecs and zarr-python
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("items", TEXTS, ids=lambda items: f"{len(items)} strings")
@pytest.mark.parametrize("dtype", [STRING_DTYPE, OBJECT], ids=str)
def test_utf8_matches_numcodecs(items: list[str], dtype: np.dtype) -> None:
    arr = text_array(items, dtype)
    spec = spec_of(arr.shape, dtype)
    encoded = UTF8.encode(arr, spec)
    assert encoded == bytes(numcodecs.VLenUTF8().encode(arr.astype(object)))
    decoded = UTF8.decode(encoded, spec)
    assert decoded.dtype == dtype and decoded.shape == arr.shape
    assert decoded.tolist() == items
    # What numcodecs wrote, we read.
    assert UTF8.decode(numcodecs.VLenUTF8().encode(arr.astype(object)), spec).tolist() == items


@pytest.mark.parametrize("items", BLOBS, ids=lambda items: f"{len(items)} blobs")
def test_bytes_match_numcodecs(items: list[bytes]) -> None:
    arr = blob_array(items)
    spec = spec_of(arr.shape, OBJECT)
    encoded = BYTES.encode(arr, spec)
    assert encoded == bytes(numcodecs.VLenBytes().encode(arr))
    decoded = BYTES.decode(encoded, spec)
    assert decoded.dtype == OBJECT and decoded.tolist() == items
    assert all(type(x) is bytes for x in decoded.tolist())
    assert BYTES.decode(numcodecs.VLenBytes().encode(arr), spec).tolist() == items


@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (2, 3), (2, 3, 4), (1, 1, 1, 5)])
def test_shapes_are_kept_and_c_ordered(shape: tuple[int, ...]) -> None:
    n = int(np.prod(shape))
    arr = text_array([f"s{i}" * (i % 4) for i in range(n)]).reshape(shape)
    spec = spec_of(shape, STRING_DTYPE)
    encoded = UTF8.encode(arr, spec)
    assert encoded == bytes(numcodecs.VLenUTF8().encode(arr.astype(object).reshape(-1)))
    assert UTF8.encode(np.asfortranarray(arr), spec) == encoded
    if arr.ndim >= 2:
        # A strided view is encoded in its logical C order.
        view = np.swapaxes(arr, 0, 1)
        expected = numcodecs.VLenUTF8().encode(np.ascontiguousarray(view).astype(object))
        assert UTF8.encode(view, spec_of(view.shape, STRING_DTYPE)) == bytes(expected)
    decoded = UTF8.decode(encoded, spec)
    assert decoded.shape == shape and (decoded == arr).all()
    blobs = blob_array([s.encode() for s in arr.reshape(-1).tolist()]).reshape(shape)
    decoded = BYTES.decode(BYTES.encode(blobs, spec_of(shape, OBJECT)), spec_of(shape, OBJECT))
    assert decoded.shape == shape and decoded.tolist() == blobs.tolist()


def test_missing_elements_are_empty() -> None:
    # numcodecs writes None (and 0) in object arrays as empty strings.
    arr = np.array(["a", None, 0, "b"], dtype=object)
    spec = spec_of((4,), OBJECT)
    assert UTF8.encode(arr, spec) == bytes(numcodecs.VLenUTF8().encode(arr))
    assert UTF8.decode(UTF8.encode(arr, spec), spec).tolist() == ["a", "", "", "b"]
    blobs = np.array([b"a", None, 0, bytearray(b"c"), memoryview(b"d")], dtype=object)
    spec = spec_of((5,), OBJECT)
    assert BYTES.decode(BYTES.encode(blobs, spec), spec).tolist() == [b"a", b"", b"", b"c", b"d"]
    # numpy text scalars in object arrays are text (numcodecs refuses numpy.str_).
    mixed = np.array([np.str_("x"), np.bytes_(b"y\x00")], dtype=object)
    assert UTF8.encode(mixed[:1], spec_of((1,), OBJECT)) == bytes(
        numcodecs.VLenUTF8().encode(np.array(["x"], dtype=object))
    )
    assert (
        BYTES.decode(BYTES.encode(mixed[1:], spec_of((1,), OBJECT)), spec_of((1,), OBJECT))[0]
        == b"y\x00"
    )


def test_vector_and_loop_framing_agree() -> None:
    for n in (0, 1, _VECTOR_THRESHOLD - 1, _VECTOR_THRESHOLD, 3 * _VECTOR_THRESHOLD + 1):
        items = [bytes([i % 251]) * (i % 9) for i in range(n)]
        expected = b"".join([struct.pack("<I", n)] + [struct.pack("<I", len(b)) + b for b in items])
        assert pack_items(items, "x") == expected
        assert unpack_items(expected, n, "x") == items


def _zarr_python_array(dtype: Any, values: np.ndarray, chunks: tuple[int, ...]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        array = zarr.create_array(
            zarr.storage.MemoryStore(),
            shape=values.shape,
            dtype=dtype,
            chunks=chunks,
            compressors=None,
            fill_value="" if dtype is str else b"",
        )
        array[...] = values
    return array


def test_zarr_python_chunks_both_ways() -> None:
    from zarr.core.dtype import VariableLengthBytes

    values = text_array(["α", "", "βγ", "x" * 50, "😀", "end", "a\x00b"]).reshape(7)
    array = _zarr_python_array(str, values, (3,))
    spec = spec_of((3,), STRING_DTYPE)
    store = array.store._store_dict
    for i in range(3):
        chunk = values[3 * i : 3 * i + 3]
        # zarr-python fills the edge chunk's outside with the fill value.
        padded = text_array(chunk.tolist() + [""] * (3 - len(chunk)))
        stored = store[f"c/{i}"].to_bytes()
        assert UTF8.encode(padded, spec) == stored
        assert UTF8.decode(stored, spec).tolist() == padded.tolist()
    # zarr-python reads chunks we wrote.
    for i in range(3):
        chunk = text_array(["new", f"{i}", "ü" * i])
        store[f"c/{i}"] = type(store["c/0"]).from_bytes(UTF8.encode(chunk, spec))
    assert array[:].tolist() == ["new", "0", "", "new", "1", "ü", "new"]

    blobs = blob_array([b"\x00", b"", b"\xff\xfe", b"abc"])
    array = _zarr_python_array(VariableLengthBytes(), blobs, (2,))
    store = array.store._store_dict
    for i in range(2):
        assert (
            BYTES.encode(blobs[2 * i : 2 * i + 2], spec_of((2,), OBJECT))
            == store[f"c/{i}"].to_bytes()
        )


# ---------------------------------------------------------------------------------------
# corrupt chunks
# ---------------------------------------------------------------------------------------
def frame(count: int, *items: bytes, lengths: list[int] | None = None) -> bytes:
    out = struct.pack("<I", count)
    for i, item in enumerate(items):
        length = len(item) if lengths is None else lengths[i]
        out += struct.pack("<I", length) + item
    return out


CORRUPT = [
    pytest.param(b"", 1, id="empty"),
    pytest.param(b"\x01\x00\x00", 1, id="short header"),
    pytest.param(frame(2, b"a", b"b"), 3, id="fewer elements than the chunk"),
    pytest.param(frame(3, b"a", b"b"), 2, id="more elements than the chunk"),
    pytest.param(struct.pack("<I", 2**32 - 1), 2**32 - 1, id="huge count, empty body"),
    pytest.param(frame(2, b"a"), 2, id="missing element"),
    pytest.param(frame(2, b"a") + b"\x01\x00", 2, id="truncated length field"),
    pytest.param(frame(1, b"abc", lengths=[4]), 1, id="length past the end"),
    pytest.param(frame(2, b"abc", b"", lengths=[2**32 - 1, 0]), 2, id="huge length"),
    pytest.param(frame(2, b"ab", b"c", lengths=[6, 1]), 2, id="length swallows the next"),
    pytest.param(frame(1, b"ab") + b"\x00", 1, id="trailing byte"),
    pytest.param(frame(0) + b"junk", 0, id="trailing bytes after no elements"),
]


@pytest.mark.parametrize(("data", "count"), CORRUPT)
@pytest.mark.parametrize("codec", [UTF8, BYTES], ids=lambda c: c.codec_name)
def test_corrupt_chunks(data: bytes, count: int, codec: Any) -> None:
    spec = spec_of((count,), STRING_DTYPE if codec is UTF8 else OBJECT)
    with pytest.raises(CorruptChunkError) as info:
        codec.decode(data, spec)
    assert info.value.codec == codec.codec_name
    # Any other shape with the same element count fails the same way.
    with pytest.raises(CorruptChunkError):
        codec.decode(np.frombuffer(data, dtype=np.uint8), spec)


def test_invalid_utf8_is_corrupt() -> None:
    for bad in (b"\xff", b"\xc3", b"\xed\xa0\x80", b"a\x80"):
        with pytest.raises(CorruptChunkError, match="UTF-8"):
            UTF8.decode(frame(1, bad), spec_of((1,), STRING_DTYPE))
    # The same bytes are fine as bytes.
    assert BYTES.decode(frame(1, b"\xff"), spec_of((1,), OBJECT))[0] == b"\xff"


def test_decode_accepts_buffers() -> None:
    data = frame(2, b"ab", b"c")
    spec = spec_of((2,), OBJECT)
    for buf in (data, bytearray(data), memoryview(data), np.frombuffer(data, np.uint8)):
        assert BYTES.decode(buf, spec).tolist() == [b"ab", b"c"]
    # A non-contiguous uint8 view is read in order.
    spread = np.zeros(2 * len(data), dtype=np.uint8)
    spread[::2] = np.frombuffer(data, np.uint8)
    assert BYTES.decode(spread[::2], spec).tolist() == [b"ab", b"c"]


@pytest.mark.parametrize(
    ("codec", "values", "dtype"),
    [
        (UTF8, [1], OBJECT),
        (UTF8, [b"x"], OBJECT),
        (UTF8, ["\ud800"], OBJECT),
        (BYTES, [1.5], OBJECT),
        (BYTES, [object()], OBJECT),
    ],
)
def test_encode_errors(codec: Any, values: list[Any], dtype: np.dtype) -> None:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    with pytest.raises(CodecError):
        codec.encode(arr, spec_of(arr.shape, dtype))


def test_encode_checks_the_element_count() -> None:
    with pytest.raises(CodecError):
        UTF8.encode(text_array(["a", "b"]), spec_of((3,), STRING_DTYPE))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_chunks_never_crash(data: st.DataObject) -> None:
    items = data.draw(st.lists(st.binary(max_size=8), max_size=6))
    encoded = bytearray(pack_items(items, "x"))
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["flip", "cut", "add"]))
        if op == "flip" and encoded:
            i = data.draw(st.integers(0, len(encoded) - 1))
            encoded[i] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del encoded[data.draw(st.integers(0, len(encoded))) :]
        else:
            encoded += data.draw(st.binary(min_size=1, max_size=4))
    count = data.draw(st.sampled_from([len(items), max(len(items) - 1, 0), len(items) + 1]))
    for codec, dtype in ((BYTES, OBJECT), (UTF8, STRING_DTYPE)):
        try:
            out = codec.decode(bytes(encoded), spec_of((count,), dtype))
        except CorruptChunkError:
            continue
        assert out.shape == (count,) and out.dtype == dtype


# ---------------------------------------------------------------------------------------
# round trips
# ---------------------------------------------------------------------------------------
shapes = st.lists(st.integers(0, 4), max_size=3).map(tuple)


@settings(max_examples=150, deadline=None)
@given(shape=shapes, data=st.data(), as_object=st.booleans())
def test_utf8_round_trip(shape: tuple[int, ...], data: st.DataObject, as_object: bool) -> None:
    n = int(np.prod(shape))
    items = data.draw(st.lists(st.text(max_size=20), min_size=n, max_size=n))
    dtype = OBJECT if as_object else STRING_DTYPE
    arr = text_array(items, dtype).reshape(shape)
    spec = spec_of(shape, dtype)
    encoded = UTF8.encode(arr, spec)
    assert encoded == bytes(numcodecs.VLenUTF8().encode(arr.astype(object).reshape(-1)))
    out = UTF8.decode(encoded, spec)
    assert out.shape == shape and out.dtype == dtype
    assert out.reshape(-1).tolist() == items


@settings(max_examples=150, deadline=None)
@given(shape=shapes, data=st.data())
def test_bytes_round_trip(shape: tuple[int, ...], data: st.DataObject) -> None:
    n = int(np.prod(shape))
    items = data.draw(st.lists(st.binary(max_size=20), min_size=n, max_size=n))
    arr = blob_array(items).reshape(shape)
    spec = spec_of(shape, OBJECT)
    encoded = BYTES.encode(arr, spec)
    assert encoded == bytes(numcodecs.VLenBytes().encode(arr.reshape(-1)))
    out = BYTES.decode(encoded, spec)
    assert out.shape == shape and out.reshape(-1).tolist() == items


def test_chain_with_compression_round_trips() -> None:
    spec = spec_of((2, 3), STRING_DTYPE)
    chain = parse_codecs(
        [{"name": "vlen-utf8"}, {"name": "zstd", "configuration": {"level": 0, "checksum": False}}],
        spec,
    )
    arr = text_array(["a", "bb", "", "ccc", "ü", "😀"]).reshape(2, 3)
    encoded = chain.encode(arr)
    out = chain.decode(encoded)
    assert out.dtype == STRING_DTYPE and (out == arr).all()
