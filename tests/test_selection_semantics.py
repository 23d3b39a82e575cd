"""Selection semantics by example, with zarr-python 3 (and numpy) as the oracle.

- ``arr[...]`` / ``arr[...] = v`` dispatch to the same selection kind as zarr-python's
  ``__getitem__``/``__setitem__``, and every explicit getter/setter and indexer returns
  what zarr-python returns for the same array and selection;
- selection errors: types and messages (out of bounds, too many indices, non-integer
  arrays, wrong Boolean lengths, slices in ``vindex``, values that do not broadcast);
- the fast path (an int array that is an arithmetic progression becomes a regular
  range, ``zarrc.pipeline.selection._compact``) against the general path (the same indices as
  a list that is not a progression), read and write;
- ``out=`` and ``fields=`` corner cases, 0-d arrays;
- array operations next to selections: resize, append, array/from_array, *_like,
  nchunks_initialized, nbytes_stored, info, iteration, pickling.
"""

from __future__ import annotations

import importlib
import pickle
import re
from typing import Any

import numpy as np
import pytest
import zarr
from _impl import IS_ZARRC, codecs, impl, storage
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")

# zarrc-only behaviour (negative steps, numpy ``out=``, fields on v3) is skipped
# when the suite runs against zarr-python itself
zarrc_only = pytest.mark.skipif(not IS_ZARRC, reason="zarrc extension of zarr-python")


def make(
    mod: Any, data: np.ndarray, chunks: tuple[int, ...], *, store: Any = None, **kw: Any
) -> Any:
    """An array of ``mod`` (zarrc or zarr) in a fresh memory store holding ``data``."""
    st_ = mod.storage.MemoryStore() if store is None else store
    kw.setdefault("fill_value", 0)
    arr = mod.create_array(st_, shape=data.shape, dtype=data.dtype, chunks=chunks, **kw)
    arr[...] = data
    return arr


def pair(data: np.ndarray, chunks: tuple[int, ...]) -> tuple[Any, Any]:
    """The same data in an array of the implementation under test and of zarr-python."""
    return make(impl, data, chunks), make(zarr, data, chunks)


def outcome(fn: Any) -> tuple[str, Any]:
    """("ok", result as an ndarray) or ("raise", exception)."""
    try:
        return "ok", np.asarray(fn())
    except Exception as e:  # noqa: BLE001 - compared by the caller
        return "raise", e


def assert_same_array(got: Any, expected: Any) -> None:
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


A1 = np.arange(30, dtype="int32") * 3 + 1
A2 = (np.arange(60, dtype="int32") * 7 % 61).reshape(12, 5)
A3 = np.arange(420, dtype="uint16").reshape(7, 6, 10)
ROWS = np.isin(np.arange(12), [0, 5, 11])
COLS = np.array([True, False, True, False, True])
B0, B1, B2 = (np.isin(np.arange(n), ix) for n, ix in [(7, [0, 3, 6]), (6, [0, 2, 5]), (10, [9])])

# (id, data, chunks, selection): arr[selection] as zarr-python dispatches it
GETITEM_CASES: list[tuple[str, np.ndarray, tuple[int, ...], Any]] = [
    # 1-d
    ("1d-int", A1, (7,), 5),
    ("1d-neg-int", A1, (7,), -1),
    ("1d-np-int", A1, (7,), np.int64(29)),
    ("1d-slice", A1, (7,), slice(3, 20, 4)),
    ("1d-ellipsis", A1, (7,), Ellipsis),
    ("1d-empty-tuple", A1, (7,), ()),
    ("1d-int-list", A1, (7,), [3, 29, 1, 16]),
    ("1d-int-array-repeats", A1, (7,), np.array([2, 2, 8, 8, -1])),
    ("1d-uint-array", A1, (7,), np.array([29, 15, 8, 1], dtype=np.uint32)),
    ("1d-int-array-2d", A1, (7,), np.array([[2, 4], [6, 8]])),
    ("1d-int-array-empty", A1, (7,), np.array([], dtype=np.int64)),
    ("1d-bool-array", A1, (7,), np.arange(30) % 3 == 0),
    ("1d-bool-list", A1, (7,), [True, False] * 15),
    ("1d-bool-none", A1, (7,), np.zeros(30, dtype=bool)),
    ("1d-progression", A1, (7,), np.arange(2, 29, 5)),
    # 2-d
    ("2d-int", A2, (5, 2), 5),
    ("2d-int-int", A2, (5, 2), (3, -2)),
    ("2d-int-slice", A2, (5, 2), (5, slice(None))),
    ("2d-slices", A2, (5, 2), (slice(2, 9), slice(1, 4))),
    ("2d-strided", A2, (5, 2), (slice(0, 12, 3), slice(0, 5, 2))),
    ("2d-coords", A2, (5, 2), ([0, 1], [0, 1])),
    ("2d-coords-unsorted", A2, (5, 2), ([10, 11, 5], [4, 0, 2])),
    ("2d-coords-int", A2, (5, 2), ([1, 2, 3], 4)),
    ("2d-int-coords", A2, (5, 2), (1, [1, 2, 3])),
    ("2d-coords-broadcast", A2, (5, 2), (np.array([[1, 2], [3, 4]]), np.array([0, 1]))),
    ("2d-ortho-list-slice", A2, (5, 2), ([0, 1], slice(None))),
    ("2d-ortho-list-slice-from", A2, (5, 2), ([0, 1], slice(1, None))),
    ("2d-ortho-slice-list", A2, (5, 2), (slice(0, 2), [0, 2])),
    ("2d-ortho-repeats", A2, (5, 2), ([1, 0, 1], slice(1, None))),
    ("2d-ortho-one-list", A2, (5, 2), [1, 0, 1]),
    ("2d-ortho-bools", A2, (5, 2), (ROWS, COLS)),
    ("2d-ortho-bool-slice", A2, (5, 2), (ROWS, slice(1, 4))),
    ("2d-ortho-bool-int", A2, (5, 2), (ROWS, 3)),
    ("2d-ortho-int-bool", A2, (5, 2), (7, COLS)),
    ("2d-ortho-bool-list", A2, (5, 2), (np.full(12, True), [True, False, True, False, True])),
    ("2d-mask", A2, (5, 2), np.tile(COLS, (12, 1))),
    ("2d-mask-none", A2, (5, 2), np.zeros((12, 5), dtype=bool)),
    # 3-d
    ("3d-slice-int-int", A3, (3, 2, 4), (slice(0, 2), 1, 1)),
    ("3d-slice-int-slice", A3, (3, 2, 4), (slice(0, 2), 1, slice(0, 2))),
    ("3d-ortho-slice-list-slice", A3, (3, 2, 4), (slice(0, 2), [1, 2], slice(0, 2))),
    ("3d-ortho-one-list", A3, (3, 2, 4), [0, 1]),
    ("3d-coords", A3, (3, 2, 4), ([1, 2], [0, 1], [2, 3])),
    ("3d-int-coords", A3, (3, 2, 4), (1, [0, 1], [2, 3])),
    ("3d-ortho-bools", A3, (3, 2, 4), (B0, B1, B2)),
    ("3d-mask", A3, (3, 2, 4), A3 % 7 == 0),
]


@pytest.mark.parametrize(
    ("data", "chunks", "selection"),
    [pytest.param(*c[1:], id=c[0]) for c in GETITEM_CASES],
)
def test_getitem_dispatch_matches_zarr_python(
    data: np.ndarray, chunks: tuple[int, ...], selection: Any
) -> None:
    ours, theirs = pair(data, chunks)
    assert_same_array(ours[selection], theirs[selection])


@pytest.mark.parametrize(
    ("data", "chunks", "selection"),
    [pytest.param(*c[1:], id=c[0]) for c in GETITEM_CASES if "repeats" not in c[0]],
)
@pytest.mark.parametrize("value_kind", ["scalar", "array"])
def test_setitem_dispatch_matches_zarr_python(
    data: np.ndarray, chunks: tuple[int, ...], selection: Any, value_kind: str
) -> None:
    ours, theirs = pair(data, chunks)
    shape = np.shape(theirs[selection])
    if value_kind == "scalar":
        value: Any = data.dtype.type(99)
    else:
        value = (np.arange(int(np.prod(shape))) + 500).astype(data.dtype).reshape(shape)
    ours[selection] = value
    theirs[selection] = value
    assert_same_array(ours[...], theirs[...])


def test_getitem_agrees_with_numpy_where_zarr_python_does() -> None:
    """zarr-python and numpy agree on every case but orthogonal multi-array ones."""
    for name, data, chunks, sel in GETITEM_CASES:
        items = sel if isinstance(sel, tuple) else (sel,)
        if "ortho" in name and sum(isinstance(i, list | np.ndarray) for i in items) > 1:
            continue
        arr = make(impl, data, chunks)
        assert_same_array(arr[sel], data[sel])


# explicit getters: (id, data, chunks, method, selection)
METHOD_CASES: list[tuple[str, np.ndarray, tuple[int, ...], str, Any]] = [
    ("basic-2d", A2, (5, 2), "basic", (slice(1, 11, 3), -1)),
    ("basic-3d-ellipsis", A3, (3, 2, 4), "basic", (Ellipsis, slice(2, 9))),
    ("ortho-1d-wraparound", A1, (7,), "orthogonal", [0, 3, 10, -23, -12, -1]),
    ("ortho-2d-int-bool", A2, (5, 2), "orthogonal", (np.array([0, 5, 11]), COLS)),
    ("ortho-2d-unsorted", A2, (5, 2), "orthogonal", (np.array([9, 0, 4]), [4, 1, 1])),
    ("ortho-3d-mixed", A3, (3, 2, 4), "orthogonal", (B0, slice(1, 5), [9, 0, 4])),
    ("ortho-3d-ints", A3, (3, 2, 4), "orthogonal", (-1, -1, -1)),
    ("ortho-3d-bool-int-bool", A3, (3, 2, 4), "orthogonal", (B0, 3, B2)),
    ("coord-1d", A1, (7,), "coordinate", [0, 6, 7, 13, 14, 28, 29]),
    ("coord-1d-repeats", A1, (7,), "coordinate", [0, 0, 7, 7, 7, 29]),
    ("coord-2d-multi", A2, (5, 2), "coordinate", (np.array([[1, 1, 2], [2, 2, 5]]), [1, 3, 2])),
    ("coord-3d", A3, (3, 2, 4), "coordinate", (np.array([6, 0]), 5, np.array([[9], [0]]))),
    ("mask-2d", A2, (5, 2), "mask", (np.add.outer(np.arange(12), np.arange(5)) % 2).astype(bool)),
    ("block-1d-neg", A1, (7,), "block", -2),
    ("block-1d-slice", A1, (7,), "block", slice(1, None)),
    ("block-2d", A2, (5, 2), "block", (slice(0, 2), -1)),
    ("block-3d", A3, (3, 2, 4), "block", (2, slice(1, 2), slice(None))),
]
INDEXERS = {"orthogonal": "oindex", "coordinate": "vindex", "mask": "vindex", "block": "blocks"}


@pytest.mark.parametrize(
    ("case_id", "data", "chunks", "method", "selection"),
    [pytest.param(*c, id=c[0]) for c in METHOD_CASES],
)
def test_getters_and_setters_match_zarr_python(
    case_id: str, data: np.ndarray, chunks: tuple[int, ...], method: str, selection: Any
) -> None:
    ours, theirs = pair(data, chunks)
    getter = f"get_{method}_selection"
    expected = getattr(theirs, getter)(selection)
    assert_same_array(getattr(ours, getter)(selection), expected)
    if method in INDEXERS:
        assert_same_array(getattr(ours, INDEXERS[method])[selection], expected)
    if "repeats" in case_id:
        return  # which repeated write wins: test_repeated_points_last_write_wins
    value = (np.arange(expected.size) + 1000).astype(data.dtype).reshape(expected.shape)
    setter = f"set_{method}_selection"
    getattr(ours, setter)(selection, value)
    getattr(theirs, setter)(selection, value)
    assert_same_array(ours[...], theirs[...])
    if method in INDEXERS:
        getattr(ours, INDEXERS[method])[selection] = 7
        getattr(theirs, INDEXERS[method])[selection] = 7
        assert_same_array(ours[...], theirs[...])


@zarrc_only
def test_negative_steps_everywhere() -> None:
    """zarr-python refuses negative steps; numpy and zarrc allow them in every slice."""
    arr = make(impl, A3, (3, 2, 4))
    sel = (slice(None, None, -2), slice(4, 0, -1), slice(-1, -11, -3))
    assert_same_array(arr[sel], A3[sel])
    assert_same_array(arr.get_basic_selection(sel), A3[sel])
    ortho = (slice(None, None, -1), [5, 0], slice(9, 2, -2))
    assert_same_array(arr.oindex[ortho], A3[::-1][:, [5, 0]][:, :, 9:2:-2])
    ref = A3.copy()
    arr[sel] = 1
    ref[sel] = 1
    arr.oindex[slice(None, None, -3), 0, :] = np.arange(10, dtype=A3.dtype)
    ref[::-3, 0, :] = np.arange(10)
    assert_same_array(arr[...], ref)


def test_repeated_points_last_write_wins() -> None:
    arr = make(impl, np.zeros(10, dtype="int64"), (3,))
    arr.vindex[np.array([4, 1, 4, 4, -9])] = np.array([10, 20, 30, 40, 50])
    assert arr[4] == 40 and arr[1] == 50
    arr.oindex[np.array([-1, -1, 0, 0])] = np.array([0, 1, 2, 3])
    assert_same_array(arr[[0, 9]], np.array([3, 1]))
    a2 = make(impl, np.zeros((4, 4), dtype="int64"), (3, 3))
    a2.oindex[[2, 0, 2], [1, 1]] = np.array([[1, 2], [3, 4], [5, 6]])
    ref = np.zeros((4, 4), dtype="int64")
    ref[np.ix_([2, 0, 2], [1, 1])] = np.array([[1, 2], [3, 4], [5, 6]])
    assert_same_array(a2[...], ref)


AMBIGUOUS = [
    ([1, 2, 3], [1, 2, 3]),  # two arrays, three dimensions
    (Ellipsis, [1, 2], [0, 4]),
    ([1, 2], slice(None), [0, 4]),
    (np.array([True, False, True, False, True]), [0, 1], slice(1, 3)),
]


@pytest.mark.parametrize("sel", AMBIGUOUS, ids=range(len(AMBIGUOUS)))
def test_several_index_arrays_mixed_with_slices_are_refused(sel: Any) -> None:
    """numpy would broadcast these arrays as coordinates, an outer product would not;
    zarr-python refuses them (IndexError) and so do we, for reads and writes."""
    data = np.arange(125).reshape(5, 5, 5)
    ours, theirs = pair(data, (2, 2, 2))
    for arr in (ours, theirs):
        with pytest.raises(IndexError):
            arr[sel]
        with pytest.raises(IndexError):
            arr[sel] = 0
    assert_same_array(ours[...], data)
    # the explicit indexers say which is meant
    outer = ours.oindex[sel]
    assert outer.ndim == 3


def test_array_as_value() -> None:
    """An Array is a value like any array-like (zarr-python 3.1 raises SyncError here)."""
    src = make(impl, np.arange(10, dtype="int32"), (5,))
    dst = make(impl, np.zeros(10, dtype="int32"), (5,))
    dst[:] = src
    assert_same_array(dst[...], np.arange(10, dtype="int32"))
    dst[...] = 0
    dst[2:7] = src[2:7]
    dst.oindex[[9, 8]] = src[:2]
    assert_same_array(dst[...], np.array([0, 0, 2, 3, 4, 5, 6, 0, 1, 0], dtype="int32"))


def test_array_as_index_like_zarr_python() -> None:
    data = np.arange(10, dtype="int64")
    bools = np.array([False, True] * 5)
    ints = np.array([0, 2, 4, 5], dtype="int32")
    ours, theirs = pair(data, (2,))
    for mod, arr in ((zarr, theirs), (impl, ours)):  # zarr-python first: the oracle
        zb = make(mod, bools, (2,))
        zi = make(mod, ints, (2,))
        assert_same_array(arr.vindex[zb], data[bools])
        assert_same_array(arr.vindex[zi], data[ints])
        assert_same_array(arr[zb], data[bools])
        assert_same_array(arr.oindex[zb], data[bools])
        assert_same_array(arr[zi], data[ints])
        assert_same_array(arr.oindex[zi], data[ints])


# -- errors ------------------------------------------------------------------------------

BoundsCheckError = importlib.import_module(f"{impl.__name__}.errors").BoundsCheckError

# (id, data, chunks, operation, exception, message regex or None)
ERROR_CASES: list[tuple[str, np.ndarray, tuple[int, ...], Any, type, str | None]] = [
    # out of bounds
    ("oob-int", A2, (5, 2), lambda z: z[12, 0], BoundsCheckError, r"out of bounds"),
    ("oob-neg-int", A2, (5, 2), lambda z: z[-13], BoundsCheckError, r"out of bounds"),
    ("oob-basic", A2, (5, 2), lambda z: z.get_basic_selection((0, 5)), BoundsCheckError, None),
    ("oob-set", A2, (5, 2), lambda z: z.__setitem__((0, 5), 1), BoundsCheckError, None),
    ("oob-oindex", A2, (5, 2), lambda z: z.oindex[[0, 12], :], BoundsCheckError, None),
    ("oob-oindex-neg", A1, (7,), lambda z: z.oindex[[-31]], BoundsCheckError, None),
    (
        "oob-oindex-set",
        A2,
        (5, 2),
        lambda z: z.oindex.__setitem__(([1], [7]), 0),
        BoundsCheckError,
        None,
    ),
    ("oob-vindex", A2, (5, 2), lambda z: z.vindex[[0, 12], [0, 0]], BoundsCheckError, None),
    ("oob-vindex-neg", A2, (5, 2), lambda z: z.vindex[[0], [-6]], BoundsCheckError, None),
    (
        "oob-vindex-set",
        A2,
        (5, 2),
        lambda z: z.vindex.__setitem__(([12], [0]), 0),
        BoundsCheckError,
        None,
    ),
    ("oob-getitem-coords", A1, (7,), lambda z: z[[0, 30]], BoundsCheckError, None),
    ("oob-blocks", A2, (5, 2), lambda z: z.blocks[3, 0], BoundsCheckError, None),
    ("oob-blocks-neg", A1, (7,), lambda z: z.blocks[-6], BoundsCheckError, None),
    # too many indices
    (
        "too-many-ints",
        A2,
        (5, 2),
        lambda z: z[0, 0, 0],
        IndexError,
        r"too many indices for array; expected 2, got 3",
    ),
    ("too-many-slices", A2, (5, 2), lambda z: z[:, :, :], IndexError, r"too many indices"),
    (
        "too-many-basic",
        A1,
        (7,),
        lambda z: z.get_basic_selection((0, 0)),
        IndexError,
        r"too many indices",
    ),
    ("too-many-oindex", A2, (5, 2), lambda z: z.oindex[0, 0, 0], IndexError, r"too many indices"),
    ("too-many-blocks", A1, (7,), lambda z: z.blocks[0, 0], IndexError, r"too many indices"),
    ("too-many-vindex", A1, (7,), lambda z: z.vindex[[0], [0]], IndexError, None),
    ("too-few-vindex", A2, (5, 2), lambda z: z.vindex[[0, 1, 2]], IndexError, None),
    ("two-ellipsis", A2, (5, 2), lambda z: z[..., ...], IndexError, r"single ellipsis"),
    # non-integer selections
    ("float", A2, (5, 2), lambda z: z[2.3], IndexError, r"unsupported selection item"),
    ("float-in-tuple", A2, (5, 2), lambda z: z[(2.3, slice(None))], IndexError, r"float"),
    ("float-basic", A1, (7,), lambda z: z.get_basic_selection(1.0), IndexError, r"float"),
    ("none", A1, (7,), lambda z: z.get_basic_selection(None), IndexError, r"unsupported"),
    ("bytes", A1, (7,), lambda z: z[b"xxx"], IndexError, r"unsupported"),
    (
        "list-in-basic",
        A2,
        (5, 2),
        lambda z: z.get_basic_selection((slice(None), [0, 1])),
        IndexError,
        r"unsupported selection item for basic indexing",
    ),
    ("float-array-getitem", A1, (7,), lambda z: z[np.array([0.0, 1.0])], IndexError, None),
    (
        "float-array-oindex",
        A2,
        (5, 2),
        lambda z: z.oindex[np.array([0.0, 1.0]), :],
        IndexError,
        r"float",
    ),
    ("float-list-oindex", A2, (5, 2), lambda z: z.oindex[[0.5], :], IndexError, None),
    (
        "float-array-vindex",
        A2,
        (5, 2),
        lambda z: z.vindex[np.array([0.0]), np.array([1.0])],
        IndexError,
        None,
    ),
    (
        "float-oindex-set",
        A1,
        (7,),
        lambda z: z.oindex.__setitem__(np.array([1.5]), 0),
        IndexError,
        None,
    ),
    ("float-blocks", A1, (7,), lambda z: z.blocks[2.3], IndexError, None),
    ("list-blocks", A1, (7,), lambda z: z.blocks[[0, 1]], IndexError, None),
    ("strided-blocks", A1, (7,), lambda z: z.blocks[0:4:2], IndexError, None),
    # Boolean arrays of the wrong length or rank
    (
        "bool-short",
        A1,
        (7,),
        lambda z: z.oindex[np.zeros(5, dtype=bool)],
        IndexError,
        r"(?s)wrong length.*expected 30, got 5",
    ),
    (
        "bool-long",
        A2,
        (5, 2),
        lambda z: z.oindex[:, np.zeros(6, dtype=bool)],
        IndexError,
        r"(?s)wrong length.*expected 5, got 6",
    ),
    ("bool-getitem", A2, (5, 2), lambda z: z[np.ones(11, dtype=bool), :], IndexError, None),
    (
        "bool-set",
        A1,
        (7,),
        lambda z: z.oindex.__setitem__(np.ones(31, dtype=bool), 1),
        IndexError,
        None,
    ),
    (
        "bool-2d-oindex",
        A2,
        (5, 2),
        lambda z: z.oindex[np.ones((12, 5), dtype=bool)],
        IndexError,
        None,
    ),
    ("int-2d-oindex", A1, (7,), lambda z: z.oindex[[[2, 4], [6, 8]]], IndexError, None),
    ("mask-shape", A2, (5, 2), lambda z: z.vindex[np.ones((12, 4), dtype=bool)], IndexError, None),
    (
        "mask-shape-get",
        A2,
        (5, 2),
        lambda z: z.get_mask_selection(np.ones((11, 5), dtype=bool)),
        IndexError,
        None,
    ),
    (
        "mask-shape-set",
        A2,
        (5, 2),
        lambda z: z.set_mask_selection(np.ones((12, 6), dtype=bool), 0),
        IndexError,
        None,
    ),
    (
        "mask-not-bool",
        A2,
        (5, 2),
        lambda z: z.get_mask_selection(np.ones((12, 5), dtype=int)),
        IndexError,
        None,
    ),
    ("mask-1d-on-2d", A2, (5, 2), lambda z: z.vindex[[True, False]], IndexError, None),
    # slices, Ellipsis and None in vindex
    ("vindex-slice", A2, (5, 2), lambda z: z.vindex[:, [1, 2]], IndexError, None),
    ("vindex-slice-2nd", A2, (5, 2), lambda z: z.vindex[[1, 2], 1:3], IndexError, None),
    ("vindex-slice-1d", A1, (7,), lambda z: z.vindex[5:15], IndexError, None),
    ("vindex-ellipsis", A2, (5, 2), lambda z: z.vindex[...], IndexError, None),
    ("vindex-ellipsis-array", A2, (5, 2), lambda z: z.vindex[..., [1, 2]], IndexError, None),
    (
        "vindex-slice-set",
        A2,
        (5, 2),
        lambda z: z.vindex.__setitem__((slice(None), [1]), 0),
        IndexError,
        None,
    ),
    (
        "coord-slice",
        A2,
        (5, 2),
        lambda z: z.get_coordinate_selection((slice(5, 15), [1, 2])),
        IndexError,
        None,
    ),
    # step zero
    ("step-zero", A1, (7,), lambda z: z[::0], ValueError, r"step cannot be zero"),
]


def _error_params() -> list[Any]:
    return [pytest.param(*c[1:], id=c[0]) for c in ERROR_CASES]


@pytest.mark.parametrize(("data", "chunks", "op", "exc", "msg"), _error_params())
def test_selection_errors(
    data: np.ndarray, chunks: tuple[int, ...], op: Any, exc: type, msg: str | None
) -> None:
    arr = make(impl, data, chunks)
    before = arr[...]
    with pytest.raises(exc, match=msg) as info:
        op(arr)
    assert str(info.value)  # a message, not a bare exception
    assert_same_array(arr[...], before)  # nothing was written


@pytest.mark.parametrize(("data", "chunks", "op", "exc", "msg"), _error_params())
def test_selection_error_types_match_zarr_python(
    data: np.ndarray, chunks: tuple[int, ...], op: Any, exc: type, msg: str | None
) -> None:
    """The same operation fails in zarr-python with the same builtin exception type."""
    ours, theirs = pair(data, chunks)
    kind_ours, err_ours = outcome(lambda: op(ours))
    kind_theirs, err_theirs = outcome(lambda: op(theirs))
    assert kind_ours == "raise"
    if kind_theirs != "raise":
        pytest.skip("zarr-python accepts this selection")
    for base in (IndexError, ValueError, TypeError):
        assert isinstance(err_ours, base) == isinstance(err_theirs, base), (err_ours, err_theirs)


def test_coordinate_arrays_that_do_not_broadcast() -> None:
    """numpy raises IndexError for index arrays that do not broadcast (zarr-python: ValueError)."""
    arr = make(impl, A2, (5, 2))
    with pytest.raises(IndexError, match=r"\(3,\).*\(2,\)|broadcast"):
        arr.vindex[[0, 1, 2], [0, 1]]
    with pytest.raises(IndexError):
        arr.vindex[[0, 1, 2], [0, 1]] = 1
    with pytest.raises(IndexError):
        A2[[0, 1, 2], [0, 1]]


def _shapes_in(msg: str) -> set[tuple[int, ...]]:
    return {
        tuple(int(x) for x in m.replace(" ", "").split(",") if x)
        for m in re.findall(r"\(([\d, ]*)\)", msg)
    }


# (id, data, chunks, setter taking (arr, value), value shape, selection shape)
BROADCAST_CASES: list[tuple[str, Any, tuple[int, ...], tuple[int, ...]]] = [
    ("basic", lambda z, v: z.__setitem__((slice(0, 3), slice(0, 2)), v), (2, 3), (3, 2)),
    ("basic-set", lambda z, v: z.set_basic_selection((1, slice(None)), v), (4,), (5,)),
    ("basic-int-dims", lambda z, v: z.__setitem__((1, 2), v), (2,), ()),
    ("oindex", lambda z, v: z.oindex.__setitem__(([0, 1, 2], [0, 1]), v), (2, 3), (3, 2)),
    ("oindex-bool", lambda z, v: z.set_orthogonal_selection((ROWS, COLS), v), (3, 2), (3, 3)),
    ("vindex", lambda z, v: z.vindex.__setitem__(([0, 1, 2], [0, 1, 2]), v), (2,), (3,)),
    (
        "vindex-2d",
        lambda z, v: z.vindex.__setitem__((np.array([1, 2]), np.array([1, 2])), v),
        (2, 2),
        (2,),
    ),
    (
        "coord-set",
        lambda z, v: z.set_coordinate_selection(([[1], [2]], [0, 1, 2]), v),
        (2, 2),
        (2, 3),
    ),
    ("getitem-coords", lambda z, v: z.__setitem__(([1, 2, 3], [1, 2, 3]), v), (4,), (3,)),
    ("mask", lambda z, v: z.set_mask_selection(np.ones((12, 5), dtype=bool), v), (3,), (60,)),
    ("mask-vindex", lambda z, v: z.vindex.__setitem__(A2 > 30, v), (7,), (int((A2 > 30).sum()),)),
    ("blocks", lambda z, v: z.blocks.__setitem__((0, 0), v), (3,), (5, 2)),
    ("blocks-set", lambda z, v: z.set_block_selection((-1, slice(None)), v), (2, 4), (2, 5)),
]


@pytest.mark.parametrize(
    ("setter", "value_shape", "sel_shape"), [pytest.param(*c[1:], id=c[0]) for c in BROADCAST_CASES]
)
def test_value_not_broadcastable_names_both_shapes(
    setter: Any, value_shape: tuple[int, ...], sel_shape: tuple[int, ...]
) -> None:
    arr = make(impl, A2, (5, 2))
    with pytest.raises(ValueError) as info:
        setter(arr, np.ones(value_shape, dtype=A2.dtype))
    shapes = _shapes_in(str(info.value))
    assert value_shape in shapes and sel_shape in shapes, str(info.value)
    assert_same_array(arr[...], A2)


@pytest.mark.parametrize(
    ("setter", "value_shape", "sel_shape"), [pytest.param(*c[1:], id=c[0]) for c in BROADCAST_CASES]
)
def test_broadcastable_values_are_written(
    setter: Any, value_shape: tuple[int, ...], sel_shape: tuple[int, ...]
) -> None:
    """Values that do broadcast (scalars, size-1 dimensions, fewer dimensions) are written
    to every selected element (the selections have no repeats; 77 is not in A2)."""
    n_selected = int(np.prod(sel_shape))
    for shape in {(), (1,) * len(sel_shape), sel_shape[1:], (1, *sel_shape[1:]), sel_shape}:
        if len(shape) > len(sel_shape):
            continue
        arr = make(impl, A2, (5, 2))
        setter(arr, np.full(shape, 77, dtype=A2.dtype))
        assert int((arr[...] == 77).sum()) == n_selected, shape
        arr[...] = A2
        setter(arr, 77)
        assert int((arr[...] == 77).sum()) == n_selected


def test_value_with_extra_leading_unit_dimensions() -> None:
    arr = make(impl, A2, (5, 2))
    ref = A2.copy()
    writes = [
        ((slice(0, 3), 1), np.full((1, 3), 90)),
        (1, np.full((1, 1, 5), 91)),
        ((slice(None), 0), np.full((1, 12), 92)),
    ]
    for key, value in writes:
        ref[key] = value
        arr[key] = value
    ref[[0, 1], [1, 2]] = np.full((1, 2), 93)
    arr.vindex[[0, 1], [1, 2]] = np.full((1, 2), 93)
    ref[np.ix_([0, 1], [4])] = np.full((1, 2, 1), 94)
    arr.oindex[[0, 1], [4]] = np.full((1, 2, 1), 94)
    assert_same_array(arr[...], ref)


def test_block_slices_clamp_like_python_slices() -> None:
    """Block slices past the grid clamp as Python slices do (zarr-python clamps
    ``blocks[2:20]`` but raises for ``blocks[15:20]`` and ``blocks[-10:1]``)."""
    arr = make(impl, A2, (5, 2))
    assert_same_array(arr.blocks[2:20, 0], A2[10:12, 0:2])
    assert_same_array(arr.blocks[15:20], A2[12:12])
    assert_same_array(arr.blocks[-10:1, -1], A2[0:5, 4:5])
    arr.blocks[7:9] = 5  # nothing selected, nothing written
    assert_same_array(arr[...], A2)


def _sharded_pair() -> tuple[Any, Any, np.ndarray]:
    data = np.arange(100, dtype="int32").reshape(10, 10)
    ours, theirs = (
        make(mod, data, (2, 2), shards=(4, 4), compressors=[mod.codecs.ZstdCodec(level=1)])
        for mod in (impl, zarr)
    )
    return ours, theirs, data


def test_sharded_selections_match_zarr_python() -> None:
    ours, theirs, _ = _sharded_pair()
    for sel in [(slice(1, 9, 3), 7), ([9, 0, 3], slice(None))]:
        assert_same_array(ours[sel], theirs[sel])
    assert_same_array(ours.oindex[[9, 0, 3], [1, 1]], theirs.oindex[[9, 0, 3], [1, 1]])
    assert_same_array(ours.vindex[[9, 0, 3], [1, 5, 8]], theirs.vindex[[9, 0, 3], [1, 5, 8]])
    for arr in (ours, theirs):
        arr.oindex[[0, 5, 9], 2:7] = -1
        arr.vindex[[1, 1, 8], [0, 9, 3]] = -2
    assert_same_array(ours[...], theirs[...])


def test_sharded_blocks_are_inner_chunks() -> None:
    """On a sharded array ``blocks`` addresses the inner chunks (``arr.chunks``), on
    purpose; zarr-python 3.1 addresses shards there (its issue #2971)."""
    ours, _theirs, data = _sharded_pair()
    c = ours.chunks
    for sel in [1, (1, 1), (slice(1, None), -1), (Ellipsis, 0)]:
        items = sel if isinstance(sel, tuple) else (sel,)
        if items[0] is Ellipsis:
            items = (slice(None),) * (2 - len(items) + 1) + items[1:]
        items = items + (slice(None),) * (2 - len(items))
        region = []
        for d, it in enumerate(items):
            nb = -(-data.shape[d] // c[d])
            if isinstance(it, int):
                b = it % nb
                region.append(slice(b * c[d], (b + 1) * c[d]))
            else:
                b0, b1, _ = it.indices(nb)
                region.append(slice(b0 * c[d], b1 * c[d]))
        assert_same_array(ours.blocks[sel], data[tuple(region)])
        assert_same_array(ours.get_block_selection(sel), data[tuple(region)])
    ours.blocks[0, 1] = 7
    expected = data.copy()
    expected[0 : c[0], c[1] : 2 * c[1]] = 7
    assert_same_array(ours[...], expected)


def test_sharded_chunk_grid_matches_zarr_python() -> None:
    ours, theirs, _ = _sharded_pair()
    assert (ours.chunks, ours.shards) == (theirs.chunks, theirs.shards)
    assert ours.cdata_shape == theirs.cdata_shape == (5, 5)  # the inner chunk grid
    assert ours.nchunks == theirs.nchunks == 25
    # every shard is written: every inner chunk inside the array counts (zarr-python
    # also counts the 11 inner chunks of the edge shards that lie beyond the array)
    assert ours.nchunks_initialized == ours.nchunks == 25


# -- out= ----------------------------------------------------------------------------------


@zarrc_only
def test_out_is_written_in_place_for_every_getter() -> None:
    arr = make(impl, A2, (5, 2))
    getters = [
        (arr.get_basic_selection, (slice(1, 11, 3), slice(None, None, -1)), None),
        (arr.get_orthogonal_selection, ([9, 0, 4, 4], COLS), None),
        (arr.get_coordinate_selection, ([[9, 0], [4, 4]], [1, 2]), None),
        (arr.get_mask_selection, A2 % 3 == 0, None),
        (arr.get_block_selection, (slice(1, None), 1), None),
    ]
    for getter, sel, _ in getters:
        expected = getter(sel)
        for layout in ("C", "F", "strided", "reversed"):
            base = np.full((2 * expected.shape[0] + 1, 2 * expected.shape[-1] + 1), -1, "int32")
            if expected.ndim == 1:
                base = base[0]
            if layout in ("C", "F"):
                out = np.zeros(expected.shape, dtype=A2.dtype, order=layout)
            elif layout == "strided":
                out = base[tuple(slice(1, 2 * s, 2) for s in expected.shape)]
            else:
                out = base[tuple(slice(s, 0, -1) for s in expected.shape)]
            res = getter(sel, out=out)
            assert res is out
            assert_same_array(out, expected)
            if layout in ("strided", "reversed"):
                assert (base == -1).sum() == base.size - expected.size


@zarrc_only
def test_out_errors() -> None:
    arr = make(impl, A2, (5, 2))
    with pytest.raises(TypeError):
        arr.get_basic_selection(Ellipsis, out=[])
    with pytest.raises(ValueError, match=r"\(3, 5\).*\(2, 5\)"):
        arr.get_basic_selection(slice(0, 2), out=np.empty((3, 5), dtype=A2.dtype))
    with pytest.raises(ValueError, match="dtype"):
        arr.get_orthogonal_selection([0, 1], out=np.empty((2, 5), dtype="float64"))
    with pytest.raises(ValueError):
        arr.get_coordinate_selection(([0, 1], [0, 1]), out=np.empty((3,), dtype=A2.dtype))
    with pytest.raises(ValueError):
        arr.get_mask_selection(A2 > 0, out=np.empty((1,), dtype=A2.dtype))


@zarrc_only
def test_out_with_integer_dimensions_and_0d_result() -> None:
    arr = make(impl, A3, (3, 2, 4))
    out = np.empty((), dtype=A3.dtype)
    assert arr.get_basic_selection((1, 2, 3), out=out) is out
    assert out == A3[1, 2, 3]
    out = np.empty((6,), dtype=A3.dtype)
    arr.get_orthogonal_selection((4, slice(None), -1), out=out)
    assert_same_array(out, A3[4, :, -1])


@zarrc_only
def test_out_on_0d_array() -> None:
    arr = make(impl, np.array(42, dtype="int32"), ())
    out = np.zeros((), dtype="int32")
    assert arr.get_basic_selection(Ellipsis, out=out) is out
    assert out == 42
    out2 = np.zeros((), dtype="int32")
    assert arr.get_orthogonal_selection((), out=out2) is out2
    assert out2 == 42


# -- 0-d arrays --------------------------------------------------------------------------------


def test_0d_selections() -> None:
    data = np.array(42, dtype="int32")
    ours, theirs = pair(data, ())
    for sel in ((), Ellipsis):
        assert_same_array(ours[sel], theirs[sel])
        assert_same_array(ours.get_basic_selection(sel), data[sel])
    assert_same_array(ours.oindex[()], theirs.oindex[()])
    assert_same_array(ours.blocks[()], theirs.blocks[()])
    ours[...] = 7
    assert ours[()] == 7
    ours.oindex[()] = 8
    assert ours[...] == 8
    ours.blocks[...] = 9
    assert ours[()] == 9
    ours.set_basic_selection((), np.array(10))
    assert ours[()] == 10
    with pytest.raises(IndexError):
        ours[0]
    with pytest.raises(IndexError):
        ours[:]


def test_0d_points_like_numpy() -> None:
    """Coordinate and mask selections of a 0-d array: numpy's results, read and write."""
    data = np.array(42, dtype="int32")
    arr = make(impl, data, ())
    for fn, expected in [
        (lambda: arr.vindex[np.array(True)], data[np.array(True)]),
        (lambda: arr.vindex[np.array(False)], data[np.array(False)]),
        (lambda: arr.get_mask_selection(np.array(True)), data[np.array(True)]),
        (lambda: arr.get_coordinate_selection(()), data[()]),
        (lambda: arr.vindex[()], data[()]),
    ]:
        assert_same_array(fn(), expected)
    arr.vindex[np.array(True)] = 5
    assert arr[()] == 5
    arr.set_mask_selection(np.array(False), 6)
    assert arr[()] == 5
    arr.set_coordinate_selection((), 7)
    assert arr[()] == 7
    if IS_ZARRC:
        out = np.zeros((1,), dtype="int32")
        assert arr.get_mask_selection(np.array(True), out=out) is out and out[0] == 7


# -- structured dtypes: fields= ------------------------------------------------------------------


@zarrc_only
def test_fields_on_every_getter_and_setter() -> None:
    dt = np.dtype([("a", "<i4"), ("b", "<f8"), ("c", "u1")])
    data = np.zeros(12, dtype=dt)
    data["a"] = np.arange(12)
    data["b"] = np.arange(12) / 4
    data["c"] = 255 - np.arange(12)
    arr = make(impl, data, (5,))
    mask = np.arange(12) % 4 == 1
    for fields in ("a", ["b"], ["c", "a"]):
        assert_same_array(
            arr.get_basic_selection(slice(2, 11, 3), fields=fields), data[2:11:3][fields]
        )
        assert_same_array(
            arr.get_orthogonal_selection([7, 1, 1], fields=fields), data[[7, 1, 1]][fields]
        )
        assert_same_array(
            arr.get_coordinate_selection([[0, 11]], fields=fields), data[[[0, 11]]][fields]
        )
        assert_same_array(arr.get_mask_selection(mask, fields=fields), data[mask][fields])
        assert_same_array(arr.get_block_selection(1, fields=fields), data[5:10][fields])
    assert_same_array(arr["a"], data["a"])
    assert_same_array(arr[3:6, "b"], data[3:6]["b"])
    assert_same_array(arr.oindex[[4, 0], "a", "c"], data[[4, 0]][["a", "c"]])
    ref = data.copy()
    arr.set_basic_selection(slice(0, 3), 5, fields="a")
    ref["a"][0:3] = 5
    arr.set_orthogonal_selection([11, 10], np.array([0.5, 1.5]), fields="b")
    ref["b"][[11, 10]] = [0.5, 1.5]
    arr.vindex[[6, 6]] = np.array([(1, 2.0, 3), (4, 5.0, 6)], dtype=dt)
    ref[6] = (4, 5.0, 6)
    arr.set_mask_selection(mask, 9, fields="c")
    ref["c"][mask] = 9
    assert_same_array(arr[...], ref)


# -- fast path vs general path -----------------------------------------------------------------

compact = pytest.importorskip("zarrc.pipeline.selection")._compact if IS_ZARRC else None


@st.composite
def progression_cases(draw: st.DrawFn) -> tuple[Any, ...]:
    """(data, chunks, axis, indices): indices an arithmetic progression (any non-zero step,
    possibly negative, at least two entries) along ``axis`` of a small array."""
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(2, {1: 40, 2: 12, 3: 7}[ndim])) for _ in range(ndim))
    chunks = tuple(draw(st.integers(1, s + 1)) for s in shape)
    axis = draw(st.integers(0, ndim - 1))
    n = shape[axis]
    start = draw(st.integers(0, n - 1))
    step = draw(st.integers(-n, n).filter(lambda s: s != 0 and 0 <= start + s < n))
    count = len(range(start, n if step > 0 else -1, step))
    count = draw(st.integers(2, count))
    idx = start + step * np.arange(count)
    if draw(st.booleans()):
        idx = np.where(idx > 0, idx - n, idx)  # the same positions, spelled negative
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    data = rng.integers(-1000, 1000, shape).astype(draw(st.sampled_from(["int16", "float64"])))
    return data, chunks, axis, idx


def _along(axis: int, ndim: int, item: Any) -> tuple[Any, ...]:
    return tuple(item if d == axis else slice(None) for d in range(ndim))


def _check_paths(idx: np.ndarray, n: int, general: np.ndarray) -> None:
    if compact is None:
        return
    norm = np.where(idx < 0, idx + n, idx).astype(np.int64)
    assert isinstance(compact(norm), tuple), "the progression takes the fast path"
    norm_general = np.where(general < 0, general + n, general).astype(np.int64)
    assert isinstance(compact(norm_general), np.ndarray), "the list takes the general path"


@given(case=progression_cases())
def test_fast_path_read_matches_general_path(case: tuple[Any, ...]) -> None:
    """oindex with a progression (compacted into a range) equals oindex with the same
    indices plus a repeat (a list), with the repeat dropped afterwards, and numpy."""
    data, chunks, axis, idx = case
    arr = make(impl, data, chunks)
    general_idx = np.append(idx, idx[0])
    _check_paths(idx, data.shape[axis], general_idx)
    fast = arr.oindex[_along(axis, data.ndim, idx)]
    general = arr.oindex[_along(axis, data.ndim, general_idx)]
    general = general[_along(axis, data.ndim, slice(0, len(idx)))]
    assert_same_array(fast, general)
    assert_same_array(fast, np.take(data, idx, axis=axis))
    # the reversed progression (negative step) is the reversed read
    rev = arr.oindex[_along(axis, data.ndim, idx[::-1])]
    assert_same_array(rev, np.flip(fast, axis=axis))


@given(case=progression_cases(), scalar=st.booleans())
def test_fast_path_write_matches_general_path(case: tuple[Any, ...], scalar: bool) -> None:
    """Writing through a progression equals writing the same values through a list
    with the first index repeated at the end (last write wins, so same value)."""
    data, chunks, axis, idx = case
    fast_arr = make(impl, data, chunks, store=storage.MemoryStore())
    general_arr = make(impl, data, chunks, store=storage.MemoryStore())
    general_idx = np.append(idx, idx[0])
    _check_paths(idx, data.shape[axis], general_idx)
    shape = list(data.shape)
    shape[axis] = len(idx)
    if scalar:
        value: Any = data.dtype.type(0)  # the fill value: chunks may disappear
        general_value: Any = value
    else:
        value = (np.arange(np.prod(shape)) % 97 + 3).astype(data.dtype).reshape(shape)
        first = np.take(value, [0], axis=axis)
        general_value = np.concatenate([value, first], axis=axis)
    fast_arr.oindex[_along(axis, data.ndim, idx)] = value
    general_arr.oindex[_along(axis, data.ndim, general_idx)] = general_value
    ref = data.copy()
    ref[_along(axis, data.ndim, idx)] = value
    assert_same_array(fast_arr[...], ref)
    assert_same_array(general_arr[...], ref)
    keys = [
        sorted(k for k in _list(a.store) if not k.endswith("zarr.json"))
        for a in (fast_arr, general_arr)
    ]
    assert keys[0] == keys[1]


def _list(store: Any) -> list[str]:
    from _impl import list_store_keys

    return sorted(list_store_keys(store))


@given(case=progression_cases())
def test_fast_path_matches_point_plan_and_slices(case: tuple[Any, ...]) -> None:
    """Three routes to the same elements: a progression through oindex (a regular
    range), a basic slice (when the progression is one) and vindex coordinates
    (a point plan, never compacted)."""
    data, chunks, axis, idx = case
    arr = make(impl, data, chunks)
    n = data.shape[axis]
    fast = arr.oindex[_along(axis, data.ndim, idx)]
    pos = np.where(idx < 0, idx + n, idx)
    step = int(pos[1] - pos[0])
    stop = int(pos[-1]) + step
    sl = slice(int(pos[0]), stop if stop >= 0 else None, step)
    if IS_ZARRC or step > 0:
        assert_same_array(arr[_along(axis, data.ndim, sl)], fast)
    grids = np.meshgrid(
        *[pos if d == axis else np.arange(s) for d, s in enumerate(data.shape)], indexing="ij"
    )
    points = arr.vindex[tuple(grids)]
    assert_same_array(points, fast)


@given(
    shape=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    data=st.data(),
)
def test_single_element_fast_path_matches_general_path(shape: list[int], data: Any) -> None:
    """``arr[i, j, k]`` with Python ints (the one-element fast path) equals the same
    read with numpy integers, a 1-tuple of slices, and numpy; same for writes."""
    values = np.arange(int(np.prod(shape)), dtype="int32").reshape(shape) * 3 - 50
    chunks = tuple(data.draw(st.integers(1, s)) for s in shape)
    arr = make(impl, values, chunks)
    idx = tuple(data.draw(st.integers(-s, s - 1)) for s in shape)
    fast = arr[idx]
    general = arr[tuple(np.int64(i) for i in idx)]
    sliced = arr[tuple(slice(i % s, i % s + 1) for i, s in zip(idx, shape, strict=True))]
    assert fast == general == values[idx]
    assert np.shape(fast) == np.shape(values[idx]) == ()
    assert_same_array(sliced.reshape(()), np.asarray(values[idx]))
    arr[idx] = 1234
    assert arr[tuple(np.int64(i) for i in idx)] == 1234
    arr[tuple(np.int64(i) for i in idx)] = -7
    assert arr[idx] == -7
    ref = values.copy()
    ref[idx] = -7
    assert_same_array(arr[...], ref)


# -- array operations ------------------------------------------------------------------------


def _chunk_keys(arr: Any) -> set[str]:
    from _impl import list_store_keys

    return {k for k in list_store_keys(arr.store) if not k.endswith("zarr.json")}


def test_resize_shrink_then_grow_shows_fill_value(store_factory: Any) -> None:
    """Unlike zarr-python 3 (stale values come back), growing after a shrink shows the
    fill value; chunks wholly outside the smaller shape are deleted."""
    data = np.arange(1, 10 * 7 + 1, dtype="int32").reshape(10, 7)
    arr = make(impl, data, (4, 3), store=store_factory.local(), fill_value=None)
    assert len(_chunk_keys(arr)) == 3 * 3
    arr.resize((5, 4))
    assert arr.shape == (5, 4)
    assert_same_array(arr[...], data[:5, :4])
    assert _chunk_keys(arr) == {f"c/{i}/{j}" for i in range(2) for j in range(2)}
    arr.resize(10, 7)
    ref = np.zeros((10, 7), dtype="int32")
    ref[:5, :4] = data[:5, :4]
    assert_same_array(arr[...], ref)
    reopened = impl.open_array(arr.store, mode="r")
    assert reopened.shape == (10, 7)
    assert_same_array(reopened[...], ref)


def test_resize_to_zero_and_errors() -> None:
    arr = make(impl, np.ones((6, 4), dtype="uint8"), (4, 4))
    arr.resize((0, 4))
    assert arr.shape == (0, 4) and arr[...].shape == (0, 4)
    assert _chunk_keys(arr) == set()
    arr.resize((3, 4))
    assert_same_array(arr[...], np.zeros((3, 4), dtype="uint8"))
    with pytest.raises(ValueError):
        arr.resize((3,))
    with pytest.raises(ValueError):
        arr.resize((-1, 4))
    ro = impl.open_array(arr.store, mode="r")
    with pytest.raises(Exception):  # noqa: B017, PT011 - ReadOnlyError in either library
        ro.resize((1, 1))


def test_append_along_each_axis() -> None:
    data = np.arange(12, dtype="float32").reshape(3, 4)
    arr = make(impl, data, (2, 3))
    extra0 = np.full((2, 4), 7, dtype="float32")
    assert tuple(arr.append(extra0)) == (5, 4)
    ref = np.concatenate([data, extra0])
    extra1 = np.arange(10, dtype="float32").reshape(5, 2)
    assert tuple(arr.append(extra1, axis=1)) == (5, 6)
    ref = np.concatenate([ref, extra1], axis=1)
    assert_same_array(arr[...], ref)
    assert tuple(arr.append(np.zeros((1, 6), dtype="float32"), axis=-2)) == (6, 6)
    with pytest.raises(ValueError):
        arr.append(np.zeros((2, 5), dtype="float32"))
    theirs = make(zarr, data, (2, 3))
    theirs.append(extra0)
    theirs.append(extra1, axis=1)
    theirs.append(np.zeros((1, 6), dtype="float32"), axis=0)  # zarr-python: no negative axis
    assert_same_array(arr[...], theirs[...])


def test_array_and_from_array(store_factory: Any) -> None:
    data = (np.arange(300, dtype="int64") * 5).reshape(10, 30)
    a = impl.array(data, chunks=(4, 7))
    assert a.chunks == (4, 7)
    assert_same_array(a[...], data)
    src = make(
        impl,
        data,
        (3, 8),
        compressors=[codecs.ZstdCodec(level=3)],
        filters=[codecs.TransposeCodec(order=(1, 0))],
    )
    src.attrs["k"] = "v"
    srcs = {"numpy": data, "ours": src, "zarr-python": make(zarr, data, (5, 6))}
    for kind, source in srcs.items():
        copy = impl.from_array(store_factory.local(), data=source)
        assert_same_array(copy[...], data)
        if kind != "numpy":
            assert copy.chunks == source.chunks
            assert copy.fill_value == source.fill_value
    copy = impl.from_array(store_factory.memory(), data=src)
    assert dict(copy.attrs) == {"k": "v"}
    assert [type(c).__name__ for c in copy.compressors] == ["ZstdCodec"]
    assert [type(c).__name__ for c in copy.filters] == ["TransposeCodec"]
    other = impl.from_array(store_factory.memory(), data=src, chunks=(10, 10), write_data=False)
    assert other.chunks == (10, 10)
    assert_same_array(other[...], np.zeros_like(data))
    # zarr-python reads what from_array wrote
    local = store_factory.local()
    impl.from_array(local, data=src)
    root = store_factory.root_of(local)
    assert_same_array(zarr.open_array(str(root), mode="r")[...], data)


def test_like_constructors(store_factory: Any) -> None:
    src = make(impl, np.arange(20, dtype="uint16").reshape(4, 5), (3, 2))
    for fn, expected in [
        (impl.zeros_like, 0),
        (impl.ones_like, 1),
        (lambda a, **kw: impl.full_like(a, fill_value=9, **kw), 9),
    ]:
        out = fn(src, store=store_factory.memory())
        assert (out.shape, out.dtype, out.chunks) == (src.shape, src.dtype, src.chunks)
        assert_same_array(out[...], np.full((4, 5), expected, dtype="uint16"))
    empty = impl.empty_like(np.zeros((3, 2), dtype="f4"))
    assert (empty.shape, empty.dtype) == ((3, 2), np.dtype("f4"))
    path = store_factory.path()
    opened = impl.open_like(src, str(path))
    assert (opened.shape, opened.dtype, opened.chunks) == (src.shape, src.dtype, src.chunks)


def test_chunk_accounting_and_info_match_zarr_python() -> None:
    data = np.zeros((10, 9), dtype="int16")
    ours, theirs = pair(data, (4, 4))
    for a in (ours, theirs):
        a[0, 0] = 1
        a[9, 8] = 2
        a[5:7, 1:6] = 3
    assert ours.nchunks == theirs.nchunks == 9
    assert ours.nchunks_initialized == theirs.nchunks_initialized == 4
    from _impl import list_store_keys

    stored = sum(ours.store.getsize(k) for k in list_store_keys(ours.store))
    assert ours.nbytes_stored() == stored > 0
    text = str(ours.info)
    for word in ("Type", "Array", "Shape", "(10, 9)", "Chunk shape", "(4, 4)", "int16"):
        assert word in text
    complete = str(ours.info_complete())
    assert re.search(r"Chunks Initialized\s*:\s*4/9", complete), complete
    assert "No. bytes stored" in complete and "Storage ratio" in complete


def test_array_protocol_len_iter_repr() -> None:
    data = np.arange(35, dtype="int32").reshape(7, 5)
    arr = make(impl, data, (3, 2))
    assert_same_array(np.asarray(arr), data)
    assert_same_array(np.asarray(arr, dtype="float64"), data.astype("float64"))
    assert len(arr) == 7
    rows = list(arr)
    assert len(rows) == 7
    for got, want in zip(rows, data, strict=True):
        assert_same_array(got, want)
    assert "(7, 5)" in repr(arr) and "int32" in repr(arr)
    zero_d = make(impl, np.array(3, dtype="int8"), ())
    with pytest.raises(TypeError):
        len(zero_d)
    with pytest.raises(TypeError):
        iter(zero_d).__next__()


def test_pickle_by_store_and_path(store_factory: Any) -> None:
    data = np.arange(256 * 256, dtype="float64").reshape(256, 256)
    store = store_factory.local()
    arr = make(impl, data, (64, 64), store=store)
    raw = pickle.dumps(arr)
    assert len(raw) < 20_000 < data.nbytes  # the store and path, not the data
    back = pickle.loads(raw)
    assert back.shape == arr.shape and back.chunks == arr.chunks
    assert_same_array(back[...], data)
    back[0, :] = -1  # the same store underneath
    assert_same_array(arr[0, :], np.full(256, -1.0))
    ro = pickle.loads(pickle.dumps(impl.open_array(store, mode="r")))
    assert ro.read_only
    mem = make(impl, data[:4, :4], (2, 2))
    assert_same_array(pickle.loads(pickle.dumps(mem))[...], data[:4, :4])
