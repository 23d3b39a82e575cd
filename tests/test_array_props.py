"""Property tests of whole arrays against numpy as the oracle.

Random shapes (0-d and 0-length dimensions included), chunk shapes (1, larger than
the array, non-divisors), dtypes, codec chains, chunk key encodings, stores and fill
values; basic-selection reads and writes are mirrored on a numpy array.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from _impl import IS_ZARR_PYTHON, codecs, expected_chunk_keys, impl
from hypothesis import given, settings
from hypothesis import strategies as st

DTYPES = [
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
]
BLOSC_CNAMES = ["lz4", "lz4hc", "blosclz", "zstd", "zlib"]
BLOSC_SHUFFLES = ["noshuffle", "shuffle", "bitshuffle"]
KEY_ENCODINGS = [
    {"name": "default", "separator": "/"},
    {"name": "default", "separator": "."},
    {"name": "v2", "separator": "."},
    {"name": "v2", "separator": "/"},
]
MAX_SIDE = {0: 1, 1: 40, 2: 12, 3: 7, 4: 5}
MAX_CHUNKS = 100
SLOW_EXAMPLES = 500
# zarrc supports negative slice steps; zarr-python raises IndexError for them
NEGATIVE_STEPS = not IS_ZARR_PYTHON


# -- strategies ---------------------------------------------------------------------


@st.composite
def shapes(draw: st.DrawFn) -> tuple[int, ...]:
    ndim = draw(st.integers(0, 4))
    return tuple(draw(st.integers(0, MAX_SIDE[ndim])) for _ in range(ndim))


@st.composite
def chunk_shapes(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[int, ...]:
    chunks = []
    for s in shape:
        chunks.append(
            draw(
                st.one_of(
                    st.just(1),
                    st.just(max(s, 1)),
                    st.integers(1, max(s, 1) + 3),
                )
            )
        )
    # keep the chunk count bounded: widen the most-split dimensions
    while math.prod(-(-s // c) for s, c in zip(shape, chunks, strict=True)) > MAX_CHUNKS:
        i = max(range(len(shape)), key=lambda d: -(-shape[d] // chunks[d]))
        chunks[i] = max(shape[i], 1)
    return tuple(chunks)


compressor_specs = st.one_of(
    st.builds(
        lambda cname, shuffle, clevel: (
            "blosc",
            {"cname": cname, "shuffle": shuffle, "clevel": clevel},
        ),
        st.sampled_from(BLOSC_CNAMES),
        st.sampled_from(BLOSC_SHUFFLES),
        st.integers(0, 9),
    ),
    st.builds(lambda level: ("gzip", {"level": level}), st.integers(0, 9)),
    st.builds(
        lambda level, checksum: ("zstd", {"level": level, "checksum": checksum}),
        st.sampled_from([-1, 0, 1, 3, 5]),
        st.booleans(),
    ),
)


@dataclass(frozen=True)
class ChainSpec:
    """A codec chain as plain data (readable in failure reports)."""

    transpose: tuple[int, ...] | None = None
    endian: str | None = None  # None: serializer "auto"
    compressors: tuple[tuple[str, dict[str, Any]], ...] = ()
    crc32c: bool = False
    auto: bool = False  # every codec argument left at "auto"

    def kwargs(self) -> dict[str, Any]:
        if self.auto:
            return {}
        comps: list[Any] = [_build(name, cfg) for name, cfg in self.compressors]
        if self.crc32c:
            comps.append(codecs.Crc32cCodec())
        out: dict[str, Any] = {
            "filters": None
            if self.transpose is None
            else [codecs.TransposeCodec(order=self.transpose)],
            "compressors": comps or None,
        }
        if self.endian is not None:
            out["serializer"] = codecs.BytesCodec(endian=self.endian)
        return out


def _build(name: str, cfg: dict[str, Any]) -> Any:
    cls = {"blosc": codecs.BloscCodec, "gzip": codecs.GzipCodec, "zstd": codecs.ZstdCodec}[name]
    return cls(**cfg)


@st.composite
def chain_specs(draw: st.DrawFn, ndim: int) -> ChainSpec:
    if draw(st.integers(0, 9)) == 0:
        return ChainSpec(auto=True)
    transpose = None
    if ndim > 0 and draw(st.booleans()):
        transpose = tuple(draw(st.permutations(range(ndim))))
    return ChainSpec(
        transpose=transpose,
        endian=draw(st.sampled_from([None, "little", "big"])),
        compressors=tuple(draw(st.lists(compressor_specs, max_size=2))),
        crc32c=draw(st.booleans()),
    )


def _normalise_fill(fill: Any, dtype: np.dtype) -> Any:
    """Canonical NaN and +0.0 for fill values, so "equal to the fill value" is unambiguous."""
    if fill is None or dtype.kind not in "fc":
        return fill
    value = np.asarray(fill, dtype=dtype) + np.zeros((), dtype=dtype)
    if dtype.kind == "f" and np.isnan(value):
        return dtype.type(np.nan)
    return value[()]


@dataclass
class Setup:
    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    dtype: np.dtype
    chain: ChainSpec
    key_encoding: dict[str, str]
    store_kind: str
    fill_value: Any
    name: str | None
    order: str | None = None
    threads: int = 2

    @property
    def effective_fill(self) -> Any:
        return self.dtype.type(0) if self.fill_value is None else self.fill_value

    def create(self, store: Any, **kwargs: Any) -> Any:
        config = dict(kwargs.pop("config", None) or {})
        if self.order is not None:
            config["order"] = self.order
        return impl.create_array(
            store,
            name=self.name,
            shape=self.shape,
            dtype=self.dtype,
            chunks=self.chunks,
            fill_value=self.fill_value,
            chunk_key_encoding=self.key_encoding,
            config=config or None,
            **self.chain.kwargs(),
            **kwargs,
        )


@st.composite
def setups(draw: st.DrawFn) -> Setup:
    shape = draw(shapes())
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    allow_nan = dtype.kind == "f"  # NaN fill for complex is left to the interop tests
    fill = draw(st.one_of(st.none(), hnp.from_dtype(dtype, allow_nan=allow_nan)))
    return Setup(
        shape=shape,
        chunks=draw(chunk_shapes(shape)),
        dtype=dtype,
        chain=draw(chain_specs(len(shape))),
        key_encoding=draw(st.sampled_from(KEY_ENCODINGS)),
        store_kind=draw(st.sampled_from(["local", "memory"])),
        fill_value=_normalise_fill(fill, dtype),
        name=draw(st.sampled_from([None, "arr", "g/arr"])),
        order=draw(st.sampled_from([None, "C", "F"])),
        threads=draw(st.integers(1, 3)),
    )


def arrays_for(setup: Setup, *, allow_nan: bool = True) -> st.SearchStrategy[np.ndarray]:
    """Arrays of the setup's shape, often mostly the fill value (so some chunks are empty)."""
    elements = hnp.from_dtype(setup.dtype, allow_nan=allow_nan)
    background = st.one_of(st.just(setup.effective_fill), elements)
    return background.flatmap(
        lambda bg: hnp.arrays(setup.dtype, setup.shape, elements=elements, fill=st.just(bg))
    )


@st.composite
def basic_selections(draw: st.DrawFn, shape: tuple[int, ...]) -> Any:
    """Ints (negative too), slices with any start/stop and step, Ellipsis."""
    per_dim: list[Any] = []
    for n in shape:
        kinds = ["slice", "full"] + (["int"] if n > 0 else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "int":
            per_dim.append(draw(st.integers(-n, n - 1)))
        elif kind == "full":
            per_dim.append(slice(None))
        else:
            bound = st.one_of(st.none(), st.integers(-n - 3, n + 3))
            step = st.one_of(st.none(), st.integers(1, n + 2))
            if NEGATIVE_STEPS:
                step = st.one_of(step, st.integers(-n - 2, -1))
            per_dim.append(slice(draw(bound), draw(bound), draw(step)))
    ndim = len(shape)
    if draw(st.booleans()):
        i = draw(st.integers(0, ndim))
        j = draw(st.integers(i, ndim))
        sel: list[Any] = [*per_dim[:i], Ellipsis, *per_dim[j:]]
    else:
        sel = per_dim[: draw(st.integers(0, ndim))] if draw(st.booleans()) else per_dim
    if len(sel) == 1 and draw(st.booleans()):
        return sel[0]
    return tuple(sel)


# -- checks -------------------------------------------------------------------------


def assert_same(got: Any, expected: Any, dtype: np.dtype) -> None:
    got_arr = np.asarray(got)
    assert got_arr.shape == np.shape(expected)
    assert got_arr.dtype == dtype
    np.testing.assert_array_equal(got_arr, expected)


def check_read(store_factory: Any, setup: Setup, data: st.DataObject) -> None:
    values = data.draw(arrays_for(setup), label="values")
    store = store_factory(setup.store_kind)
    arr = setup.create(store)
    assert arr.shape == setup.shape
    assert arr.chunks == setup.chunks
    assert arr.dtype == setup.dtype
    arr[...] = values
    assert_same(arr[...], values, setup.dtype)
    if setup.shape:
        assert_same(arr[:], values, setup.dtype)
    for _ in range(data.draw(st.integers(1, 6), label="n_reads")):
        sel = data.draw(basic_selections(setup.shape), label="selection")
        assert_same(arr[sel], values[sel], setup.dtype)


def check_write_sequence(store_factory: Any, setup: Setup, data: st.DataObject) -> None:
    store = store_factory(setup.store_kind)
    arr = setup.create(store)
    ref = np.full(setup.shape, setup.effective_fill, dtype=setup.dtype)
    assert_same(arr[...], ref, setup.dtype)
    elements = hnp.from_dtype(setup.dtype)
    for _ in range(data.draw(st.integers(1, 5), label="n_writes")):
        sel = data.draw(basic_selections(setup.shape), label="write selection")
        if data.draw(st.booleans(), label="scalar"):
            value: Any = data.draw(elements, label="scalar value")
        else:
            target_shape = np.shape(ref[sel])
            value = data.draw(
                hnp.arrays(setup.dtype, target_shape, elements=elements), label="array value"
            )
        arr[sel] = value
        ref[sel] = value
    assert_same(arr[...], ref, setup.dtype)
    for _ in range(data.draw(st.integers(1, 4), label="n_reads")):
        sel = data.draw(basic_selections(setup.shape), label="read selection")
        assert_same(arr[sel], ref[sel], setup.dtype)
    reopened = impl.open_array(store, path=setup.name or "", mode="r")
    assert reopened.shape == setup.shape
    assert reopened.chunks == setup.chunks
    assert_same(reopened[...], ref, setup.dtype)


def chunk_keys(store_factory: Any, store: Any, name: str | None) -> set[str]:
    prefix = f"{name}/" if name else ""
    keys = set()
    for key in store_factory.keys(store):
        if key == "zarr.json" or key.endswith("/zarr.json") or not key.startswith(prefix):
            continue
        keys.add(key[len(prefix) :])
    return keys


def check_write_empty_chunks(
    store_factory: Any, setup: Setup, write_empty: bool, data: st.DataObject
) -> None:
    values = data.draw(arrays_for(setup, allow_nan=False), label="values")
    if setup.dtype.kind in "fc":
        values = values + np.zeros((), dtype=setup.dtype)  # no -0.0: equality is unambiguous
    store = store_factory(setup.store_kind)
    arr = setup.create(store, config={"write_empty_chunks": write_empty})
    arr[...] = values
    expected = expected_chunk_keys(
        values,
        setup.chunks,
        setup.effective_fill,
        setup.key_encoding,
        write_empty_chunks=write_empty,
    )
    assert chunk_keys(store_factory, store, setup.name) == expected
    assert_same(arr[...], values, setup.dtype)

    # overwriting everything with the fill value removes (or keeps) every chunk
    arr[...] = setup.effective_fill
    filled = np.full(setup.shape, setup.effective_fill, dtype=setup.dtype)
    expected = expected_chunk_keys(
        filled,
        setup.chunks,
        setup.effective_fill,
        setup.key_encoding,
        write_empty_chunks=write_empty,
    )
    assert chunk_keys(store_factory, store, setup.name) == expected
    assert_same(arr[...], filled, setup.dtype)


# -- tests --------------------------------------------------------------------------


@given(setup=setups(), data=st.data())
def test_write_all_then_read_selections(store_factory: Any, setup: Setup, data: Any) -> None:
    with impl.config.set({"threads": setup.threads}):
        check_read(store_factory, setup, data)


@given(setup=setups(), data=st.data())
def test_write_sequence_mirrors_numpy(store_factory: Any, setup: Setup, data: Any) -> None:
    with impl.config.set({"threads": setup.threads}):
        check_write_sequence(store_factory, setup, data)


@given(setup=setups(), write_empty=st.booleans(), data=st.data())
def test_write_empty_chunks(store_factory: Any, setup: Setup, write_empty: bool, data: Any) -> None:
    with impl.config.set({"threads": setup.threads}):
        check_write_empty_chunks(store_factory, setup, write_empty, data)


@pytest.mark.slow
@settings(max_examples=SLOW_EXAMPLES)
@given(setup=setups(), data=st.data())
def test_write_all_then_read_selections_slow(store_factory: Any, setup: Setup, data: Any) -> None:
    with impl.config.set({"threads": setup.threads}):
        check_read(store_factory, setup, data)


@pytest.mark.slow
@settings(max_examples=SLOW_EXAMPLES)
@given(setup=setups(), data=st.data())
def test_write_sequence_mirrors_numpy_slow(store_factory: Any, setup: Setup, data: Any) -> None:
    with impl.config.set({"threads": setup.threads}):
        check_write_sequence(store_factory, setup, data)


@pytest.mark.slow
@settings(max_examples=SLOW_EXAMPLES)
@given(setup=setups(), write_empty=st.booleans(), data=st.data())
def test_write_empty_chunks_slow(
    store_factory: Any, setup: Setup, write_empty: bool, data: Any
) -> None:
    with impl.config.set({"threads": setup.threads}):
        check_write_empty_chunks(store_factory, setup, write_empty, data)


@pytest.mark.parametrize("write_empty", [False, True])
@pytest.mark.parametrize("kind", ["local", "memory"])
def test_write_empty_chunks_example(store_factory: Any, kind: str, write_empty: bool) -> None:
    store = store_factory(kind)
    arr = impl.create_array(
        store,
        shape=(5, 4),
        dtype="int32",
        chunks=(2, 3),
        fill_value=7,
        config={"write_empty_chunks": write_empty},
    )
    values = np.full((5, 4), 7, dtype="int32")
    values[2, 3] = 1  # chunk (1, 1) only
    arr[...] = values
    all_keys = {f"c/{i}/{j}" for i in range(3) for j in range(2)}
    expected = all_keys if write_empty else {"c/1/1"}
    assert chunk_keys(store_factory, store, None) == expected
    arr[2:4, 3] = 7
    assert chunk_keys(store_factory, store, None) == (all_keys if write_empty else set())
    np.testing.assert_array_equal(arr[...], np.full((5, 4), 7, dtype="int32"))
