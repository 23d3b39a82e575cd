"""Codecs run in Python against the engine, with numpy as the oracle.

The same random writes and reads go to two arrays that differ only in where
their codecs run: one whose chain the engine runs, one forced through
zarrc.pipeline.python (a numcodecs filter without a C kernel, so Python runs
the whole chain; bytes codecs from a Python-only one on after the engine's
array-to-bytes codec; a
variable-length string type, which the engine handles as a position map,
paired with an int array whose values map one to one onto its strings).
After every step both hold the same values as numpy and the same set of
stored chunks: the engine's plan, merge and fill-value test decide for both.
"""

from __future__ import annotations

from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zarrc
from zarrc.codecs.numcodecs.filters_delta import DeltaCodec
from zarrc.codecs.numcodecs.filters_shuffle import ShuffleCodec
from zarrc.storage import MemoryStore

INT_DTYPES = ["u1", "i2", "<i4", ">i8"]
FLOAT_DTYPES = ["<f4", "f8"]
KINDS = ["basic", "orthogonal", "coordinate", "mask"]


@st.composite
def selection(draw: st.DrawFn, shape: tuple[int, ...], *, write: bool) -> tuple[str, Any]:
    """A selection of one of the kinds; index lists of writes have no repeats (where
    numpy leaves the winner of a repeated index unspecified)."""
    kind = draw(st.sampled_from(KINDS if shape and 0 not in shape else ["basic"]))
    if kind == "basic":
        sel = []
        for n in shape:
            if draw(st.booleans()) and n:
                sel.append(draw(st.integers(-n, n - 1)))
            else:
                step = draw(st.sampled_from([1, 1, 2, 3, -1, -2]))
                sel.append(slice(draw(st.integers(-n - 1, n)), draw(st.integers(-n - 1, n)), step))
        return kind, tuple(sel)
    if kind == "orthogonal":
        dims = []
        for n in shape:
            idx = draw(st.lists(st.integers(0, n - 1), max_size=6, unique=write))
            dims.append(np.array(idx, dtype=np.int64))
        return kind, tuple(dims)
    if kind == "mask":
        mask = draw(hnp.arrays(np.bool_, shape))
        return kind, mask
    size = int(np.prod(shape))
    flat = draw(st.lists(st.integers(0, size - 1), max_size=10, unique=write))
    return kind, np.unravel_index(np.array(flat, dtype=np.int64), shape)


def _get(arr: Any, kind: str, sel: Any) -> Any:
    if kind == "basic":
        return arr[sel]
    if kind == "orthogonal":
        return arr.oindex[sel]
    return arr.vindex[sel]


def _set(arr: Any, kind: str, sel: Any, value: Any) -> None:
    if kind == "basic":
        arr[sel] = value
    elif kind == "orthogonal":
        arr.oindex[sel] = value
    else:
        arr.vindex[sel] = value


def _model_key(kind: str, sel: Any) -> Any:
    return np.ix_(*sel) if kind == "orthogonal" else sel


@st.composite
def case(draw: st.DrawFn) -> dict[str, Any]:
    mode = draw(st.sampled_from(["filter", "bytes", "strings"]))
    ndim = draw(st.integers(0 if mode != "strings" else 1, 3))
    shape = tuple(draw(st.lists(st.integers(0, 9), min_size=ndim, max_size=ndim)))
    chunks = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    if mode == "filter":
        dtype = np.dtype(draw(st.sampled_from(INT_DTYPES)))
    elif mode == "bytes":
        dtype = np.dtype(draw(st.sampled_from(INT_DTYPES + FLOAT_DTYPES)))
    else:
        dtype = np.dtype("i2")
    # fill values and written values share a small range so chunks return to the
    # fill value (and are deleted) often; floats include NaN and -0.0
    if dtype.kind == "f":
        elements = st.sampled_from([0.0, -0.0, 1.5, np.nan, -2.0])
    else:
        elements = st.integers(0, 3)
    fill = draw(elements) if mode != "strings" else 0
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        kind, sel = draw(selection(shape, write=True))
        count = np.empty(shape, dtype=np.int8)
        target_shape = np.shape(count[_model_key(kind, sel)])
        if draw(st.booleans()):
            value = np.full(target_shape, fill, dtype=dtype)
        else:
            value = draw(hnp.arrays(dtype, target_shape, elements=elements))
        steps.append((kind, sel, value))
    reads = [draw(selection(shape, write=False)) for _ in range(2)]
    return {
        "mode": mode,
        "shape": shape,
        "chunks": chunks,
        "dtype": dtype,
        "fill": fill,
        "write_empty": draw(st.booleans()),
        "steps": steps,
        "reads": reads,
    }


def _as_strings(values: Any) -> np.ndarray:
    """The string twin of int values: 0 (the fill value) is "", v is "s<v>"."""
    values = np.asarray(values)
    out = np.array([("" if v == 0 else f"s{v}") for v in values.reshape(-1).tolist()], dtype=object)
    return out.reshape(values.shape).astype(np.dtypes.StringDType())


def _pair(c: dict[str, Any]) -> tuple[Any, Any]:
    common: dict[str, Any] = dict(
        shape=c["shape"],
        chunks=c["chunks"],
        config={"write_empty_chunks": c["write_empty"]},
    )
    if c["mode"] == "strings":
        engine = zarrc.create_array(
            MemoryStore(), dtype=c["dtype"], fill_value=0, compressors=None, **common
        )
        python = zarrc.create_array(
            MemoryStore(), dtype=str, fill_value="", compressors=None, **common
        )
        assert python._pipeline.python_chain.by_position
    elif c["mode"] == "filter":
        engine = zarrc.create_array(
            MemoryStore(), dtype=c["dtype"], fill_value=c["fill"], compressors=None, **common
        )
        python = zarrc.create_array(
            MemoryStore(),
            dtype=c["dtype"],
            fill_value=c["fill"],
            filters=[DeltaCodec()],
            compressors=None,
            **common,
        )
        assert python._pipeline.python_chain.whole
        assert not python._pipeline.python_chain.by_position
    else:
        engine = zarrc.create_array(
            MemoryStore(),
            dtype=c["dtype"],
            fill_value=c["fill"],
            compressors=zarrc.codecs.ZstdCodec(level=1),
            **common,
        )
        python = zarrc.create_array(
            MemoryStore(),
            dtype=c["dtype"],
            fill_value=c["fill"],
            compressors=[
                ShuffleCodec(elementsize=c["dtype"].itemsize),
                zarrc.codecs.ZstdCodec(level=1),
            ],
            **common,
        )
        assert not python._pipeline.python_chain.whole
    assert engine._pipeline.python_chain is None
    return engine, python


def _stored(arr: Any) -> set[str]:
    return {k for k in arr.store.list() if k != "zarr.json"}


def _check(got_engine: Any, got_python: Any, expected: np.ndarray, strings: bool) -> None:
    if strings:
        np.testing.assert_array_equal(np.asarray(got_python), _as_strings(expected))
    np.testing.assert_array_equal(got_engine, expected)
    if not strings:
        np.testing.assert_array_equal(got_python, expected)
        # bit for bit (NaN and -0.0 included) between the two paths
        assert np.asarray(got_engine).tobytes() == np.asarray(got_python).tobytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case())
def test_python_codecs_match_engine_and_numpy(c: dict[str, Any]) -> None:
    engine, python = _pair(c)
    strings = c["mode"] == "strings"
    model = np.full(c["shape"], c["fill"], dtype=c["dtype"])
    for kind, sel, value in c["steps"]:
        _set(engine, kind, sel, value)
        _set(python, kind, sel, _as_strings(value) if strings else value)
        model[_model_key(kind, sel)] = value
        _check(engine[...], python[...], model, strings)
        assert _stored(engine) == _stored(python)
    for kind, sel in c["reads"]:
        expected = model[_model_key(kind, sel)]
        _check(_get(engine, kind, sel), _get(python, kind, sel), expected, strings)
