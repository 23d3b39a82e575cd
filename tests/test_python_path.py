"""The Python path (codecs without C kernels) against the engine path.

An identity array-to-array codec without a C kernel forces every chunk of an
array through zarrc.pipeline.python; the same data written through the engine must
give the same values and byte-identical chunks.
"""

from __future__ import annotations

from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zarrc
from zarrc.codecs._base import ArrayArrayCodec, BytesBytesCodec, ChunkSpec
from zarrc.codecs.registry import register_codec


class IdentityFilter(ArrayArrayCodec):
    """Returns its input: exists to route chunks through the Python path."""

    codec_name = "test.identity"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.codec_name}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IdentityFilter:
        return cls()

    def encode(self, data: Any, spec: ChunkSpec) -> Any:
        return np.asarray(data)

    def decode(self, data: Any, spec: ChunkSpec) -> Any:
        return np.asarray(data)


class XorBytes(BytesBytesCodec):
    """A Python-only bytes codec (xor with a key byte)."""

    codec_name = "test.xor"

    def __init__(self, key: int = 0x5A):
        self.key = key

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.codec_name, "configuration": {"key": self.key}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> XorBytes:
        return cls(**data.get("configuration", {}))

    def encode(self, data: Any, spec: ChunkSpec) -> bytes:
        return (np.frombuffer(bytes(data), np.uint8) ^ self.key).tobytes()

    def decode(self, data: Any, spec: ChunkSpec) -> bytes:
        return (np.frombuffer(bytes(data), np.uint8) ^ self.key).tobytes()


register_codec(IdentityFilter.codec_name, IdentityFilter)
register_codec(XorBytes.codec_name, XorBytes)

DTYPES = ["u1", "i2", "<f4", "f8", "c8", "bool"]


@st.composite
def case(draw: st.DrawFn) -> tuple[Any, ...]:
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(0, 9), min_size=ndim, max_size=ndim)))
    chunks = tuple(draw(st.lists(st.integers(1, 5), min_size=ndim, max_size=ndim)))
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    data = draw(hnp.arrays(dtype, shape, elements=hnp.from_dtype(dtype, allow_nan=False)))
    kind = draw(st.sampled_from(["basic", "orthogonal", "coordinate"]))
    sel: Any
    if kind == "basic" or 0 in shape:
        sel = tuple(
            slice(
                draw(st.integers(0, n)), draw(st.integers(0, n)), draw(st.sampled_from([1, 2, -1]))
            )
            for n in shape
        )
        kind = "basic"
    elif kind == "orthogonal":
        sel = tuple(
            np.array(draw(st.lists(st.integers(0, n - 1), max_size=6)), dtype=np.int64)
            for n in shape
        )
    else:
        npts = draw(st.integers(0, 8))
        sel = tuple(
            np.array(
                draw(st.lists(st.integers(0, n - 1), min_size=npts, max_size=npts)), dtype=np.int64
            )
            for n in shape
        )
    return shape, chunks, dtype, data, kind, sel


def _pair(shape: tuple[int, ...], chunks: tuple[int, ...], dtype: np.dtype, fill: Any) -> tuple:
    common = dict(
        shape=shape,
        chunks=chunks,
        dtype=dtype,
        fill_value=fill,
        compressors=zarrc.codecs.Crc32cCodec(),
    )
    fast = zarrc.create_array(zarrc.storage.MemoryStore(), **common)
    slow = zarrc.create_array(zarrc.storage.MemoryStore(), filters=[IdentityFilter()], **common)
    assert slow._pipeline.python_chain.whole and fast._pipeline.python_chain is None
    return fast, slow


def _chunks(arr: zarrc.Array) -> dict[str, bytes]:
    return {k: arr.store.get(k) for k in arr.store.list() if k != "zarr.json"}


@settings(max_examples=80)
@given(case())
def test_python_path_matches_engine(c: tuple[Any, ...]) -> None:
    shape, chunks, dtype, data, kind, sel = c
    fast, slow = _pair(shape, chunks, dtype, np.zeros((), dtype)[()])
    fast[...] = data
    slow[...] = data
    assert _chunks(fast) == _chunks(slow)
    getter = {
        "basic": "get_basic_selection",
        "orthogonal": "get_orthogonal_selection",
        "coordinate": "get_coordinate_selection",
    }[kind]
    expected = {
        "basic": lambda: data[sel],
        "orthogonal": lambda: data[np.ix_(*sel)],
        "coordinate": lambda: data[sel],
    }[kind]()
    for arr in (fast, slow):
        got = getattr(arr, getter)(sel)
        np.testing.assert_array_equal(got, expected)
    # writes through both paths give identical chunks
    setter = getter.replace("get_", "set_")
    value = np.ones(np.shape(expected), dtype)
    getattr(fast, setter)(sel, value)
    getattr(slow, setter)(sel, value)
    assert _chunks(fast) == _chunks(slow)
    np.testing.assert_array_equal(fast[...], slow[...])


def test_python_bytes_codec_after_engine_codecs(tmp_path: Any) -> None:
    """A Python-only compressor after C ones: engine chain + Python suffix."""
    data = np.arange(600, dtype="i4").reshape(20, 30)
    for store in (tmp_path / "a.zarr", zarrc.storage.MemoryStore()):
        arr = zarrc.create_array(
            store,
            shape=data.shape,
            chunks=(7, 8),
            dtype="i4",
            compressors=[zarrc.codecs.ZstdCodec(level=1), XorBytes(0x21)],
        )
        assert not arr._pipeline.python_chain.whole
        arr[...] = data
        np.testing.assert_array_equal(zarrc.open_array(store)[...], data)
        arr[3:9, ::-2] = -5
        data2 = data.copy()
        data2[3:9, ::-2] = -5
        np.testing.assert_array_equal(arr[...], data2)


def test_python_path_corrupt_chunk_is_typed() -> None:
    fast, slow = _pair((10,), (5,), np.dtype("i4"), 0)
    slow[...] = np.arange(10)
    slow.store.set("c/1", b"bad checksum")
    with pytest.raises(zarrc.errors.CorruptChunkError) as info:
        slow[...]
    assert info.value.key == "c/1"
    np.testing.assert_array_equal(slow[:5], np.arange(5))
