"""Property tests of every selection kind, read and write, with numpy as the oracle.

Random shapes (0-d and 0-length dimensions included), chunk shapes (partial edge
chunks, chunks larger than the array), dtypes, codec chains (none, zstd, blosc,
transpose+gzip, shards of zstd chunks), result memory order and stores (local,
memory).  For each kind -- basic (any step, negative too), orthogonal, coordinate,
mask and block -- reads are compared with the same selection on a numpy array,
``out=`` is checked for every getter (also with non-contiguous views), and writes of
arrays, broadcastable arrays, other layouts and dtypes, lists and scalars are
mirrored on the numpy array; afterwards exactly the chunks holding something other
than the fill value are stored.  Resize and append are mirrored the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from _impl import IS_ZARR_PYTHON, IS_ZARRC, codecs, expected_chunk_keys, impl
from hypothesis import given
from hypothesis import strategies as st

DTYPES = ["bool", "int8", "uint16", "int32", "int64", "float32", "float64", "complex64"]
CODECS = ["none", "zstd", "blosc", "transpose+gzip", "sharding+zstd"]
MAX_SIDE = {0: 1, 1: 30, 2: 9, 3: 6, 4: 4}
MAX_CHUNKS = 64
# zarr-python refuses negative slice steps and takes NDBuffers as ``out``
NEGATIVE_STEPS = not IS_ZARR_PYTHON
NUMPY_OUT = IS_ZARRC
SLOW_EXAMPLES = 500


# -- arrays ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One array: geometry, dtype, codec chain and store, as plain data."""

    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    dtype: str
    codec: str
    order: tuple[int, ...] | None  # transpose order for "transpose+gzip"
    store_kind: str
    fill_value: Any
    seed: int
    threads: int
    order_config: str | None = None  # memory order of the arrays reads return
    shards: tuple[int, ...] | None = None  # for "sharding+zstd": whole numbers of chunks

    @property
    def stored_grid(self) -> tuple[int, ...]:
        """Shape of what is stored under one key: a shard, or a chunk."""
        return self.shards or self.chunks

    def codec_kwargs(self) -> dict[str, Any]:
        if self.codec == "zstd":
            return {"filters": None, "compressors": [codecs.ZstdCodec(level=1)]}
        if self.codec == "blosc":
            blosc = codecs.BloscCodec(cname="lz4", clevel=1, shuffle="shuffle")
            return {"filters": None, "compressors": [blosc]}
        if self.codec == "transpose+gzip":
            filters = None if self.order is None else [codecs.TransposeCodec(order=self.order)]
            return {"filters": filters, "compressors": [codecs.GzipCodec(level=1)]}
        if self.codec == "sharding+zstd":
            compressors = [codecs.ZstdCodec(level=1)]
            return {"filters": None, "compressors": compressors, "shards": self.shards}
        return {"filters": None, "compressors": None}

    def create(self, store_factory: Any) -> Any:
        return impl.create_array(
            store_factory(self.store_kind),
            shape=self.shape,
            chunks=self.chunks,
            dtype=self.dtype,
            fill_value=self.fill_value,
            config={"order": self.order_config} if self.order_config else None,
            **self.codec_kwargs(),
        )

    def values(self, shape: tuple[int, ...] | None = None, salt: int = 0) -> np.ndarray:
        """Deterministic random values of the case's dtype."""
        return random_values(
            np.dtype(self.dtype), self.shape if shape is None else shape, self.seed + salt
        )


def random_values(dtype: np.dtype, shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.array(_random_values(dtype, shape, seed), dtype=dtype)  # 0-d: an array


def _random_values(dtype: np.dtype, shape: tuple[int, ...], seed: int) -> Any:
    rng = np.random.default_rng(seed)
    if dtype.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    if dtype.kind == "f":
        return (rng.standard_normal(shape) * 1000).astype(dtype)
    real = rng.standard_normal(shape) * 1000
    return (real + 1j * rng.standard_normal(shape)).astype(dtype)


@st.composite
def shapes(draw: st.DrawFn, min_ndim: int = 0) -> tuple[int, ...]:
    ndim = draw(st.integers(min_ndim, 4).filter(lambda n: n < 4 or draw(st.booleans())))
    return tuple(draw(st.integers(0, MAX_SIDE[ndim])) for _ in range(ndim))


@st.composite
def chunk_shapes(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[int, ...]:
    chunks = [
        draw(st.one_of(st.integers(1, max(s, 1) + 2), st.just(max(s, 1)), st.just(1)))
        for s in shape
    ]
    while math.prod(-(-s // c) for s, c in zip(shape, chunks, strict=True)) > MAX_CHUNKS:
        i = max(range(len(shape)), key=lambda d: -(-shape[d] // chunks[d]))
        chunks[i] = max(shape[i], 1)
    return tuple(chunks)


@st.composite
def cases(draw: st.DrawFn, min_ndim: int = 0, sharded: bool = True) -> Case:
    shape = draw(shapes(min_ndim))
    dtype = draw(st.sampled_from(DTYPES))
    codec = draw(st.sampled_from(CODECS if sharded and shape else CODECS[:-1]))
    chunks = draw(chunk_shapes(shape))
    order = shards = None
    if codec == "transpose+gzip" and shape:
        order = tuple(draw(st.permutations(range(len(shape)))))
    if codec == "sharding+zstd":
        shards = tuple(c * draw(st.integers(1, 3)) for c in chunks)
    fill = draw(st.sampled_from([None, 3]))
    if fill is not None and dtype == "bool":
        fill = True
    return Case(
        shape=shape,
        chunks=chunks,
        dtype=dtype,
        codec=codec,
        order=order,
        store_kind=draw(st.sampled_from(["local", "memory"])),
        fill_value=fill,
        seed=draw(st.integers(0, 2**16)),
        threads=draw(st.integers(1, 2)),
        order_config=draw(st.sampled_from([None, "C", "F"])),
        shards=shards,
    )


def effective_fill(case: Case) -> Any:
    return np.dtype(case.dtype).type(0 if case.fill_value is None else case.fill_value)


# -- selections and their numpy meaning ----------------------------------------------------


def int_scalars(lo: int, hi: int) -> st.SearchStrategy[Any]:
    """Python or numpy integers in [lo, hi]."""
    return st.integers(lo, hi).flatmap(
        lambda i: st.sampled_from([i, np.int64(i), np.int32(i)] if -(2**31) <= i < 2**31 else [i])
    )


def slices(n: int) -> st.SearchStrategy[slice]:
    bound = st.one_of(st.none(), st.integers(-n - 3, n + 3))
    step = st.one_of(st.none(), st.integers(1, n + 2))
    if NEGATIVE_STEPS:
        step = st.one_of(step, st.integers(-n - 2, -1))
    return st.builds(slice, bound, bound, step)


@st.composite
def int_arrays(draw: st.DrawFn, n: int, *, allow_list: bool = True) -> Any:
    """Indices along a dimension of length n: unsorted, repeated, negative, empty,
    or an arithmetic progression (which zarrc turns into a regular range)."""
    if n == 0:
        return np.zeros(0, dtype=draw(st.sampled_from(["int64", "int32", "uint8"])))
    kind = draw(st.sampled_from(["random", "sorted", "progression", "empty"]))
    if kind == "empty":
        idx = np.zeros(0, dtype=np.int64)
    elif kind == "progression":
        start = draw(st.integers(0, n - 1))
        step = draw(st.integers(-n, n).filter(lambda s: s != 0))
        count = len(range(start, n if step > 0 else -1, step))
        idx = np.arange(count, dtype=np.int64) * step + start
        idx = idx[: draw(st.integers(1, count))]
        if draw(st.booleans()):
            idx = np.where(idx > 0, idx - n, idx)  # same positions, negative spelling
    else:
        idx = np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=n + 3)))
        if kind == "sorted":
            idx = np.sort(idx % n)
    dtype = draw(
        st.sampled_from(
            ["int64", "int32", "intp"] + (["uint16"] if idx.min(initial=0) >= 0 else [])
        )
    )
    idx = idx.astype(dtype)
    if allow_list and idx.size and draw(st.booleans()):
        return idx.tolist()
    return idx


@st.composite
def bool_arrays(draw: st.DrawFn, n: int) -> Any:
    density = draw(st.sampled_from([0.0, 0.3, 0.7, 1.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    mask = rng.random(n) < density
    if n and draw(st.booleans()):
        return mask.tolist()
    return mask


def _place_ellipsis(draw: st.DrawFn, per_dim: list[Any]) -> Any:
    """Spell a full per-dimension selection with an Ellipsis or trailing omissions."""
    ndim = len(per_dim)
    choice = draw(st.sampled_from(["full", "ellipsis", "truncate"]))
    if choice == "ellipsis":
        i = draw(st.integers(0, ndim))
        j = draw(st.integers(i, ndim))
        full = all(isinstance(s, slice) and s == slice(None) for s in per_dim[i:j])
        if full:
            return (*per_dim[:i], Ellipsis, *per_dim[j:])
    if choice == "truncate":
        k = draw(st.integers(0, ndim))
        if all(isinstance(s, slice) and s == slice(None) for s in per_dim[k:]):
            per_dim = per_dim[:k]
    if len(per_dim) == 1 and draw(st.booleans()):
        return per_dim[0]
    return tuple(per_dim)


@st.composite
def basic_selections(draw: st.DrawFn, shape: tuple[int, ...]) -> Any:
    per_dim = []
    for n in shape:
        kinds = ["slice", "full"] + (["int"] if n else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "int":
            per_dim.append(draw(int_scalars(-n, n - 1)))
        elif kind == "full":
            per_dim.append(slice(None))
        else:
            per_dim.append(draw(slices(n)))
    return _place_ellipsis(draw, per_dim)


@st.composite
def orthogonal_selections(draw: st.DrawFn, shape: tuple[int, ...]) -> Any:
    per_dim = []
    for n in shape:
        kinds = ["slice", "full", "ints", "ints", "bools"] + (["int"] if n else [])
        kind = draw(st.sampled_from(kinds))
        if kind == "int":
            per_dim.append(draw(int_scalars(-n, n - 1)))
        elif kind == "full":
            per_dim.append(slice(None))
        elif kind == "slice":
            per_dim.append(draw(slices(n)))
        elif kind == "ints":
            per_dim.append(draw(int_arrays(n)))
        else:
            per_dim.append(draw(bool_arrays(n)))
    return _place_ellipsis(draw, per_dim)


@st.composite
def coordinate_selections(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[Any, ...]:
    """One int array (or int) per dimension; the arrays broadcast to a common shape."""
    bshape = list(draw(st.lists(st.integers(0, 4), max_size=3)))
    if any(n == 0 for n in shape) and 0 not in bshape:
        bshape.insert(draw(st.integers(0, len(bshape))), 0)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    items: list[Any] = []
    for n in shape:
        if n and draw(st.integers(0, 4)) == 0:
            items.append(draw(int_scalars(-n, n - 1)))
            continue
        # a shape that broadcasts to bshape: drop leading dims, set some to 1
        lead = draw(st.integers(0, len(bshape)))
        sub = [1 if draw(st.integers(0, 3)) == 0 else s for s in bshape[lead:]]
        if n == 0:
            sub = list(bshape)  # no valid index: the array itself must be empty
        arr = rng.integers(-n, max(n, 1), size=sub) if n else np.zeros(sub, dtype=int)
        if draw(st.booleans()):
            arr = arr % max(n, 1)  # non-negative
            if draw(st.booleans()):
                arr = arr.astype(np.uint32)
        items.append(arr.tolist() if arr.ndim == 1 and arr.size and draw(st.booleans()) else arr)
    return tuple(items)


@st.composite
def masks(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    density = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return np.asarray(rng.random(shape) < density)


@st.composite
def block_selections(draw: st.DrawFn, shape: tuple[int, ...], chunks: tuple[int, ...]) -> Any:
    per_dim: list[Any] = []
    for n, c in zip(shape, chunks, strict=True):
        nb = -(-n // c)
        if nb and draw(st.booleans()):
            per_dim.append(draw(int_scalars(-nb, nb - 1)))
        else:
            bound = st.one_of(st.none(), st.integers(-nb - 2, nb + 2))
            per_dim.append(slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1]))))
    return _place_ellipsis(draw, per_dim)


def _expand(selection: Any, ndim: int) -> list[Any]:
    items = list(selection) if isinstance(selection, tuple) else [selection]
    if Ellipsis in [i if i is Ellipsis else None for i in items]:
        at = next(k for k, i in enumerate(items) if i is Ellipsis)
        items[at : at + 1] = [slice(None)] * (ndim - len(items) + 1)
    return items + [slice(None)] * (ndim - len(items))


def oindex_key(selection: Any, shape: tuple[int, ...]) -> tuple[tuple[Any, ...], tuple[int, ...]]:
    """numpy key (np.ix_ form) of an orthogonal selection, and the result's shape."""
    arrays, out_shape = [], []
    for item, n in zip(_expand(selection, len(shape)), shape, strict=True):
        if isinstance(item, slice):
            idx = np.arange(n)[item]
        elif isinstance(item, int | np.integer):
            idx = np.array([int(item)])
        else:
            a = np.asarray(item)
            idx = np.flatnonzero(a) if a.dtype == bool else a.astype(np.intp)
        arrays.append(np.asarray(idx, dtype=np.intp))
        if not isinstance(item, int | np.integer):
            out_shape.append(len(idx))
    return np.ix_(*arrays), tuple(out_shape)


def np_oindex(a: np.ndarray, selection: Any) -> np.ndarray:
    key, out_shape = oindex_key(selection, a.shape)
    return a[key].reshape(out_shape)


def np_oindex_set(a: np.ndarray, selection: Any, value: Any) -> None:
    key, out_shape = oindex_key(selection, a.shape)
    full = a[key].shape
    a[key] = np.broadcast_to(np.asarray(value, dtype=a.dtype), out_shape).reshape(full)


def block_key(selection: Any, shape: tuple[int, ...], chunks: tuple[int, ...]) -> tuple[slice, ...]:
    """The element slices a block selection covers."""
    key = []
    for item, n, c in zip(_expand(selection, len(shape)), shape, chunks, strict=True):
        nb = -(-n // c)
        if isinstance(item, slice):
            b0, b1, _ = item.indices(nb)
            key.append(slice(min(b0 * c, n), min(max(b0, b1) * c, n)))
        else:
            b = int(item) % nb
            key.append(slice(b * c, min((b + 1) * c, n)))
    return tuple(key)


# -- values written -------------------------------------------------------------------------


@st.composite
def write_values(draw: st.DrawFn, case: Case, target_shape: tuple[int, ...]) -> Any:
    """A scalar, an array of the target shape, a broadcastable array, or a list."""
    dtype = np.dtype(case.dtype)
    salt = draw(st.integers(1, 2**16))
    kind = draw(st.sampled_from(["scalar", "array", "broadcast", "list", "layout", "dtype"]))
    if kind == "scalar":
        v = random_values(dtype, (), case.seed + salt)[()]
        return v.item() if draw(st.booleans()) else v
    if kind == "broadcast":
        lead = draw(st.integers(0, len(target_shape)))
        shape = tuple(1 if draw(st.booleans()) else s for s in target_shape[lead:])
        return random_values(dtype, shape, case.seed + salt)
    v = random_values(dtype, target_shape, case.seed + salt)
    if kind == "layout" and v.ndim:  # not C-contiguous: reversed, F order or a strided view
        layout = draw(st.sampled_from(["reversed", "F", "strided"]))
        if layout == "reversed":
            return np.flip(np.flip(v).copy())
        if layout == "F":
            return np.asfortranarray(v)
        return np.repeat(v, 2, axis=-1)[..., ::2]
    if kind == "dtype":  # another dtype holding the same values: byte-swapped or wider
        other = draw(st.sampled_from(["swapped", "wider"]))
        if other == "swapped" or dtype.kind == "b":
            return v.astype(dtype.newbyteorder(">" if dtype.byteorder != ">" else "<"))
        wider = {"i": "int64", "u": "uint64", "f": "float64", "c": "complex128"}[dtype.kind]
        return v.astype(wider)
    return v.tolist() if kind == "list" and v.size else v  # an empty list loses its shape


# -- checks ---------------------------------------------------------------------------------


def assert_same(got: Any, expected: Any, dtype: Any) -> None:
    got_arr = np.asarray(got)
    assert got_arr.shape == np.shape(expected)
    assert got_arr.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got_arr, expected)


def out_arrays(draw: st.DrawFn, shape: tuple[int, ...], dtype: Any) -> tuple[np.ndarray, Any]:
    """An ``out`` of ``shape``: C order, F order, or a non-contiguous view (every other
    element, or reversed) of a larger array holding other values; returns the out
    array and a check that nothing outside it was written."""
    kind = draw(st.sampled_from(["C", "F", "strided", "reversed"]))
    if kind in ("C", "F") or not shape:
        return np.empty(shape, dtype=dtype, order="F" if kind == "F" else "C"), lambda: None

    def view(x: np.ndarray) -> np.ndarray:
        if kind == "strided":
            return x[tuple(slice(1, 2 * s, 2) for s in shape)]
        return x[tuple(slice(s, 0, -1) for s in shape)]

    base = random_values(np.dtype(dtype), tuple(2 * s + 1 for s in shape), 12345)
    keep = base.copy()
    covered = np.zeros(base.shape, dtype=bool)
    view(covered)[...] = True
    out = view(base)
    assert out.shape == shape

    def untouched() -> None:
        np.testing.assert_array_equal(base[~covered], keep[~covered])

    return out, untouched


def check_out(
    draw: st.DrawFn, getter: Any, selection: Any, expected: np.ndarray, dtype: Any
) -> None:
    if not NUMPY_OUT:
        return
    out, untouched = out_arrays(draw, np.shape(expected), dtype)
    res = getter(selection, out=out)
    assert res is out
    assert_same(out, expected, dtype)
    untouched()


def check_stored_chunks(store_factory: Any, arr: Any, ref: np.ndarray, case: Case) -> None:
    """Exactly the chunks holding a value other than the fill value are stored, whatever
    selections wrote them (write_empty_chunks is off)."""
    stored = {
        k
        for k in store_factory.keys(arr.store)
        if not k.endswith("zarr.json")
        and not k.rpartition("/")[2].startswith(".zarrc-tmp-")  # shard lock files
    }
    fill = effective_fill(case)
    expected = expected_chunk_keys(ref, case.stored_grid, fill, None, write_empty_chunks=False)
    assert stored == expected


# -- tests ----------------------------------------------------------------------------------


def run(case: Case, body: Any) -> None:
    with impl.config.set({"threads": case.threads}):
        body()


@given(case=cases(), data=st.data())
def test_basic(store_factory: Any, case: Case, data: st.DataObject) -> None:
    def body() -> None:
        arr = case.create(store_factory)
        ref = case.values()
        arr[...] = ref
        for _ in range(data.draw(st.integers(1, 3), label="n_reads")):
            sel = data.draw(basic_selections(case.shape), label="read")
            assert_same(arr[sel], ref[sel], case.dtype)
            assert_same(arr.get_basic_selection(sel), ref[sel], case.dtype)
            check_out(
                data.draw,
                arr.get_basic_selection,
                sel,
                np.asarray(ref[sel]),
                case.dtype,
            )
        for _ in range(data.draw(st.integers(1, 3), label="n_writes")):
            sel = data.draw(basic_selections(case.shape), label="write")
            value = data.draw(write_values(case, np.shape(ref[sel])), label="value")
            if data.draw(st.booleans()):
                arr[sel] = value
            else:
                arr.set_basic_selection(sel, value)
            ref[sel] = value
        assert_same(arr[...], ref, case.dtype)
        check_stored_chunks(store_factory, arr, ref, case)

    run(case, body)


@given(case=cases(), data=st.data())
def test_orthogonal(store_factory: Any, case: Case, data: st.DataObject) -> None:
    def body() -> None:
        arr = case.create(store_factory)
        ref = case.values()
        arr[...] = ref
        for _ in range(data.draw(st.integers(1, 3), label="n_reads")):
            sel = data.draw(orthogonal_selections(case.shape), label="read")
            expected = np_oindex(ref, sel)
            assert_same(arr.oindex[sel], expected, case.dtype)
            assert_same(arr.get_orthogonal_selection(sel), expected, case.dtype)
            check_out(data.draw, arr.get_orthogonal_selection, sel, expected, case.dtype)
        for _ in range(data.draw(st.integers(1, 3), label="n_writes")):
            sel = data.draw(orthogonal_selections(case.shape), label="write")
            value = data.draw(write_values(case, np_oindex(ref, sel).shape), label="value")
            if data.draw(st.booleans()):
                arr.oindex[sel] = value
            else:
                arr.set_orthogonal_selection(sel, value)
            np_oindex_set(ref, sel, value)
        assert_same(arr[...], ref, case.dtype)
        check_stored_chunks(store_factory, arr, ref, case)

    run(case, body)


@given(case=cases(), data=st.data())
def test_coordinate(store_factory: Any, case: Case, data: st.DataObject) -> None:
    def body() -> None:
        arr = case.create(store_factory)
        ref = case.values()
        arr[...] = ref
        for _ in range(data.draw(st.integers(1, 3), label="n_reads")):
            sel = data.draw(coordinate_selections(case.shape), label="read")
            expected = np.asarray(ref[sel])
            assert_same(arr.vindex[sel], expected, case.dtype)
            assert_same(arr.get_coordinate_selection(sel), expected, case.dtype)
            check_out(data.draw, arr.get_coordinate_selection, sel, expected, case.dtype)
        for _ in range(data.draw(st.integers(1, 3), label="n_writes")):
            sel = data.draw(coordinate_selections(case.shape), label="write")
            value = data.draw(write_values(case, np.shape(ref[sel])), label="value")
            if data.draw(st.booleans()):
                arr.vindex[sel] = value
            else:
                arr.set_coordinate_selection(sel, value)
            ref[sel] = value  # repeated points: the last value wins
        assert_same(arr[...], ref, case.dtype)
        check_stored_chunks(store_factory, arr, ref, case)

    run(case, body)


@given(case=cases(), data=st.data())
def test_mask(store_factory: Any, case: Case, data: st.DataObject) -> None:
    def body() -> None:
        arr = case.create(store_factory)
        ref = case.values()
        arr[...] = ref
        for _ in range(data.draw(st.integers(1, 2), label="n_reads")):
            mask = data.draw(masks(case.shape), label="read")
            assert_same(arr.vindex[mask], ref[mask], case.dtype)
            assert_same(arr.get_mask_selection(mask), ref[mask], case.dtype)
            assert_same(arr[mask], ref[mask], case.dtype)
            check_out(data.draw, arr.get_mask_selection, mask, ref[mask], case.dtype)
        for _ in range(data.draw(st.integers(1, 3), label="n_writes")):
            mask = data.draw(masks(case.shape), label="write")
            value = data.draw(write_values(case, ref[mask].shape), label="value")
            how = data.draw(st.sampled_from(["vindex", "set", "item"]), label="how")
            if how == "vindex":
                arr.vindex[mask] = value
            elif how == "set" or len(case.shape) == 1:
                arr.set_mask_selection(mask, value)
            else:
                arr[mask] = value
            ref[mask] = value
        assert_same(arr[...], ref, case.dtype)
        check_stored_chunks(store_factory, arr, ref, case)

    run(case, body)


# blocks are chunks, inner chunks on a sharded array (zarr-python 3.1 uses shards there)
@given(case=cases(), data=st.data())
def test_blocks(store_factory: Any, case: Case, data: st.DataObject) -> None:
    def body() -> None:
        arr = case.create(store_factory)
        ref = case.values()
        arr[...] = ref
        for _ in range(data.draw(st.integers(1, 3), label="n_reads")):
            sel = data.draw(block_selections(case.shape, case.chunks), label="read")
            expected = ref[block_key(sel, case.shape, case.chunks)]
            assert_same(arr.blocks[sel], expected, case.dtype)
            assert_same(arr.get_block_selection(sel), expected, case.dtype)
            check_out(data.draw, arr.get_block_selection, sel, expected, case.dtype)
        for _ in range(data.draw(st.integers(1, 3), label="n_writes")):
            sel = data.draw(block_selections(case.shape, case.chunks), label="write")
            key = block_key(sel, case.shape, case.chunks)
            value = data.draw(write_values(case, ref[key].shape), label="value")
            if data.draw(st.booleans()):
                arr.blocks[sel] = value
            else:
                arr.set_block_selection(sel, value)
            ref[key] = value
        assert_same(arr[...], ref, case.dtype)
        check_stored_chunks(store_factory, arr, ref, case)

    run(case, body)


# -- resize and append ---------------------------------------------------------------------


@given(case=cases(min_ndim=1), data=st.data())
def test_resize_append_mirror_numpy(store_factory: Any, case: Case, data: st.DataObject) -> None:
    """A sequence of resizes and appends equals the same on numpy, where growing shows the
    fill value (also in the tail of an edge chunk that survived a shrink), and no chunk
    outside the grid (or holding only the fill value) is left behind."""

    def body() -> None:
        arr = case.create(store_factory)
        ref = case.values()
        arr[...] = ref
        fill = effective_fill(case)
        for step in range(data.draw(st.integers(1, 4), label="n_ops")):
            if data.draw(st.booleans(), label="append"):
                axis = data.draw(st.integers(-len(case.shape), len(case.shape) - 1), label="ax")
                shape = list(ref.shape)
                shape[axis] = data.draw(st.integers(0, 4), label="extra")
                extra = case.values(tuple(shape), salt=step + 1)
                new_ref = np.concatenate([ref, extra], axis=axis)
                assert tuple(arr.append(extra, axis=axis)) == new_ref.shape
                ref = new_ref
            else:
                new = tuple(
                    data.draw(st.integers(0, MAX_SIDE[len(case.shape)]), label="side")
                    for _ in case.shape
                )
                arr.resize(new)
                grown = np.full(new, fill, dtype=case.dtype)
                common = tuple(slice(0, min(a, b)) for a, b in zip(new, ref.shape, strict=True))
                grown[common] = ref[common]
                ref = grown
            assert arr.shape == ref.shape
            assert_same(arr[...], ref, case.dtype)
        check_stored_chunks(store_factory, arr, ref, case)
        reopened = impl.open_array(arr.store, mode="r")
        assert_same(reopened[...], ref, case.dtype)

    run(case, body)
