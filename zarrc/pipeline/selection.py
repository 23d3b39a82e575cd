"""Normalising user selections for the C plan.

Every selection kind ends up as one of two forms: an orthogonal selection (one
item per dimension: a regular range ``(start, step, count)`` or an int64
index list; basic, orthogonal and block selections) or a point selection
(an ``(ndim, npoints)`` coordinate array; coordinate and mask selections).
Cheap Python work done once per request.  Owns every selection error
(types, bounds, rank), raised as zarr-python raises them.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from zarrc.errors import BoundsCheckError

__all__ = [
    "OrthogonalSelection",
    "PointSelection",
    "classify_selection",
    "coerce_selection",
    "normalize_basic_selection",
    "normalize_block_selection",
    "normalize_coordinate_selection",
    "normalize_mask_selection",
    "normalize_orthogonal_selection",
]

Dim = tuple[int, int, int] | np.ndarray


@dataclass(frozen=True, eq=False)
class OrthogonalSelection:
    """An orthogonal selection: one item per dimension.

    ``dims[d]`` is ``(start, step, count)`` (indices ``start + k*step``) or an
    int64 array of indices; ``drop[d]`` is true where an integer removed the
    dimension from the result.
    """

    dims: tuple[Dim, ...]
    count: tuple[int, ...]
    drop: tuple[bool, ...]

    @property
    def out_shape(self) -> tuple[int, ...]:
        """Shape of the result, as numpy gives it."""
        return tuple(c for c, d in zip(self.count, self.drop, strict=True) if not d)

    @property
    def regular(self) -> bool:
        """True if no dimension uses an index list."""
        return all(isinstance(d, tuple) for d in self.dims)


@dataclass(frozen=True, eq=False)
class PointSelection:
    """A coordinate selection: point k is ``coords[:, k]``; the result has ``out_shape``."""

    coords: np.ndarray
    out_shape: tuple[int, ...]

    @property
    def count(self) -> tuple[int, ...]:
        """Shape of the flat buffer the engine reads into."""
        return (self.coords.shape[1],)


def _is_int(x: Any) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool | np.bool_)


def _coerce(item: Any) -> Any:
    """Array-likes that are not numpy arrays (a zarrc or zarr Array, a list-like with
    ``__array__``) index like the numpy array they hold, as in zarr-python."""
    if (
        hasattr(item, "__array__")
        and not isinstance(item, np.ndarray | np.generic)
        and hasattr(item, "shape")
    ):
        return np.asarray(item)
    return item


def coerce_selection(selection: Any) -> Any:
    """A selection with array-like items turned into numpy arrays."""
    if isinstance(selection, tuple):
        return tuple(_coerce(s) for s in selection)
    return _coerce(selection)


def _as_items(selection: Any) -> tuple[Any, ...]:
    selection = coerce_selection(selection)
    return selection if isinstance(selection, tuple) else (selection,)


def _expand_ellipsis(items: tuple[Any, ...], ndim: int) -> tuple[Any, ...]:
    n_ellipsis = sum(1 for s in items if s is Ellipsis)
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    n_real = len(items) - n_ellipsis
    if n_real > ndim:
        raise IndexError(f"too many indices for array; expected {ndim}, got {n_real}")
    if n_ellipsis:
        at = next(i for i, s in enumerate(items) if s is Ellipsis)
        return items[:at] + (slice(None),) * (ndim - n_real) + items[at + 1 :]
    return items + (slice(None),) * (ndim - n_real)


def _check_int(i: int, n: int, d: int) -> int:
    if i < -n or i >= n:
        raise BoundsCheckError(f"index {i} is out of bounds for axis {d} with size {n}")
    return i + n if i < 0 else i


def _slice_dim(item: slice, n: int) -> tuple[int, int, int]:
    if item.step is not None and operator.index(item.step) == 0:
        raise ValueError("slice step cannot be zero")
    a, b, s = item.indices(n)
    c = len(range(a, b, s))
    return (a if c else 0, s, c)


def _is_index_like(x: Any) -> bool:
    if isinstance(x, np.ndarray):
        return True
    if isinstance(x, list | range):
        return True
    return False


def _index_array(item: Any, n: int, d: int) -> np.ndarray:
    """An int or bool array-like along one dimension -> int64 indices, checked."""
    arr = np.asarray(item)
    if arr.dtype == bool:
        if arr.ndim != 1:
            raise IndexError(f"Boolean array for dimension {d} must be 1-d, got {arr.ndim}-d")
        if arr.shape[0] != n:
            raise IndexError(
                f"Boolean array has wrong length for dimension {d}; expected {n}, got "
                f"{arr.shape[0]}"
            )
        return np.flatnonzero(arr).astype(np.int64)
    if arr.size == 0:
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise IndexError(
            f"unsupported selection item for dimension {d}: arrays must hold integers or "
            f"booleans, got dtype {arr.dtype}"
        )
    if arr.ndim != 1:
        raise IndexError(f"integer array for dimension {d} must be 1-d, got {arr.ndim}-d")
    arr = arr.astype(np.int64, copy=False)
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < -n or hi >= n:
            bad = lo if lo < -n else hi
            raise BoundsCheckError(f"index {bad} is out of bounds for axis {d} with size {n}")
        if lo < 0:
            arr = np.where(arr < 0, arr + n, arr)
    return arr


# -- basic ----------------------------------------------------------------------------


def normalize_basic_selection(selection: Any, shape: tuple[int, ...]) -> OrthogonalSelection:
    """Ints, slices (any non-zero step) and Ellipsis, with numpy's semantics.

    Raises
    ------
    IndexError
        Too many indices, more than one Ellipsis, or an unsupported item.
    BoundsCheckError
        An integer index outside its dimension.
    ValueError
        A slice step of zero.
    """
    ndim = len(shape)
    if (
        type(selection) is tuple
        and len(selection) == ndim
        and all(type(i) is int for i in selection)
    ):
        items = selection
    else:
        items = _as_items(selection)
    if len(items) == ndim and all(type(i) is int for i in items):
        # fast path: one element
        dims = tuple(
            (_check_int(i, n, d), 1, 1) for d, (i, n) in enumerate(zip(items, shape, strict=True))
        )
        ones = (1,) * ndim
        return OrthogonalSelection(dims, ones, (True,) * ndim)
    return _orthogonal_selection(_expand_ellipsis(items, ndim), shape, "basic")


# -- orthogonal ---------------------------------------------------------------------------


def normalize_orthogonal_selection(selection: Any, shape: tuple[int, ...]) -> OrthogonalSelection:
    """Per dimension an int, a slice, an int array (any order, repeats, negatives)
    or a bool array of the dimension's length."""
    items = _expand_ellipsis(_as_items(selection), len(shape))
    return _orthogonal_selection(items, shape, "orthogonal")


def _orthogonal_selection(
    items: tuple[Any, ...], shape: tuple[int, ...], kind: str
) -> OrthogonalSelection:
    """Per dimension: a slice, an int (dropping the dimension) or, for orthogonal
    selections, an int or bool array."""
    dims: list[Dim] = []
    count, drop = [], []
    for d, (item, n) in enumerate(zip(items, shape, strict=True)):
        if isinstance(item, slice):
            dims.append(_slice_dim(item, n))
            count.append(dims[-1][2])
            drop.append(False)
        elif _is_int(item):
            dims.append((_check_int(int(item), n, d), 1, 1))
            count.append(1)
            drop.append(True)
        elif kind == "orthogonal" and _is_index_like(item):
            idx = _index_array(item, n, d)
            dims.append(_compact(idx))
            count.append(int(idx.shape[0]))
            drop.append(False)
        else:
            expected = (
                "integer or slice"
                if kind == "basic"
                else ("integer, slice, integer array or Boolean array")
            )
            raise IndexError(
                f"unsupported selection item for {kind} indexing; expected {expected}, "
                f"got {type(item).__name__}"
            )
    return OrthogonalSelection(tuple(dims), tuple(count), tuple(drop))


def _compact(idx: np.ndarray) -> Dim:
    """An index list that is an arithmetic progression becomes a regular range
    (the fast path); anything else stays a list."""
    n = idx.shape[0]
    if n == 0:
        return (0, 1, 0)
    if n == 1:
        return (int(idx[0]), 1, 1)
    step = int(idx[1] - idx[0])
    if step != 0 and np.array_equal(np.diff(idx), np.full(n - 1, step)):
        return (int(idx[0]), step, n)
    return idx


# -- blocks ----------------------------------------------------------------------------------


def normalize_block_selection(
    selection: Any, shape: tuple[int, ...], chunks: tuple[int, ...]
) -> OrthogonalSelection:
    """Chunk-grid coordinates (ints or step-1 slices per dimension) -> element ranges.

    An integer keeps its dimension (it selects a whole block), as in zarr-python.
    """
    items = _expand_ellipsis(_as_items(selection), len(shape))
    dims: list[Dim] = []
    count = []
    for d, (item, n, c) in enumerate(zip(items, shape, chunks, strict=True)):
        nblocks = -(-n // c) if n else 0
        if _is_int(item):
            b = int(item)
            if b < -nblocks or b >= nblocks:
                raise BoundsCheckError(
                    f"block index {b} is out of bounds for axis {d} with {nblocks} blocks"
                )
            b = b + nblocks if b < 0 else b
            lo, hi = b * c, min((b + 1) * c, n)
        elif isinstance(item, slice):
            if item.step not in (None, 1):
                raise IndexError(
                    f"only slices with step 1 are supported in block selections, got {item.step}"
                )
            b0, b1, _ = item.indices(nblocks)
            b1 = max(b0, b1)
            lo, hi = min(b0 * c, n), min(b1 * c, n)
        else:
            raise IndexError(
                "unsupported selection item for block indexing; expected integer or slice, "
                f"got {type(item).__name__}"
            )
        dims.append((lo if hi > lo else 0, 1, hi - lo))
        count.append(hi - lo)
    return OrthogonalSelection(tuple(dims), tuple(count), (False,) * len(shape))


# -- coordinates and masks ---------------------------------------------------------------------


def normalize_coordinate_selection(selection: Any, shape: tuple[int, ...]) -> PointSelection:
    """One int array-like (or int) per dimension, broadcast together, as numpy."""
    items = _as_items(selection)
    ndim = len(shape)
    if len(items) != ndim:
        raise IndexError(
            f"coordinate selection needs one index array per dimension; expected {ndim}, "
            f"got {len(items)}"
        )
    arrays = []
    for d, item in enumerate(items):
        if isinstance(item, slice) or item is Ellipsis or item is None:
            raise IndexError(
                "unsupported selection item for vectorized indexing; expected integer arrays "
                f"or integers, got {item!r}"
            )
        arr = np.asarray(item)
        if arr.size == 0:
            arr = arr.astype(np.int64)
        if arr.dtype.kind not in "iu":
            raise IndexError(
                f"coordinate arrays must hold integers, got dtype {arr.dtype} for dimension {d}"
            )
        arrays.append(arr)
    try:
        b = np.broadcast_arrays(*arrays)
    except ValueError as exc:
        raise IndexError(f"coordinate arrays cannot be broadcast together: {exc}") from None
    out_shape = b[0].shape if b else ()
    coords = np.empty((ndim, int(np.prod(out_shape, dtype=np.int64))), dtype=np.int64)
    for d, (arr, n) in enumerate(zip(b, shape, strict=True)):
        flat = arr.reshape(-1).astype(np.int64, copy=False)
        if flat.size:
            lo, hi = int(flat.min()), int(flat.max())
            if lo < -n or hi >= n:
                bad = lo if lo < -n else hi
                raise BoundsCheckError(f"index {bad} is out of bounds for axis {d} with size {n}")
            if lo < 0:
                flat = np.where(flat < 0, flat + n, flat)
        coords[d] = flat
    return PointSelection(coords, tuple(out_shape))


def normalize_mask_selection(mask: Any, shape: tuple[int, ...]) -> PointSelection:
    """A Boolean array of the array's shape -> the points where it is true."""
    items = _as_items(mask)
    if len(items) != 1:
        raise IndexError("a mask selection must be a single Boolean array")
    arr = np.asarray(items[0])
    if arr.dtype != bool:
        raise IndexError(f"mask selection must be a Boolean array, got dtype {arr.dtype}")
    if arr.shape != tuple(shape):
        raise IndexError(
            f"Boolean mask has the wrong shape; expected {tuple(shape)}, got {arr.shape}"
        )
    if arr.ndim == 0:
        # a 0-d mask selects the single element, or nothing
        return PointSelection(np.zeros((0, int(arr)), dtype=np.int64), (int(arr),))
    nz = np.nonzero(arr)
    coords = np.empty((len(shape), nz[0].shape[0] if nz else 0), dtype=np.int64)
    for d, idx in enumerate(nz):
        coords[d] = idx
    return PointSelection(coords, (coords.shape[1],))


# -- dispatch -----------------------------------------------------------------------------------


def _int_list_or_array(x: Any) -> bool:
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "iu" or (x.size == 0 and x.dtype.kind != "b")
    if isinstance(x, list | range):
        return all(_is_int(v) for v in x) and (len(x) > 0 or isinstance(x, range))
    return False


def _bool_list_or_array(x: Any) -> bool:
    if isinstance(x, np.ndarray):
        return x.dtype == bool
    if isinstance(x, list):
        return len(x) > 0 and all(isinstance(v, bool | np.bool_) for v in x)
    return False


def classify_selection(
    selection: Any, ndim: int
) -> Literal["basic", "orthogonal", "coordinate", "mask"]:
    """Which getter ``arr[selection]`` uses, following zarr-python's rules."""
    selection = coerce_selection(selection)
    if isinstance(selection, np.ndarray) and selection.dtype == bool and selection.ndim == ndim:
        if ndim != 1:
            return "mask"
    items = _as_items(selection)
    if (
        ndim == 1
        and len(items) == 1
        and (_int_list_or_array(items[0]) or _bool_list_or_array(items[0]))
    ):
        return "orthogonal" if _bool_list_or_array(items[0]) else "coordinate"
    no_slicing = len(items) == ndim and not any(
        isinstance(s, slice) or s is Ellipsis for s in items
    )
    if (
        no_slicing
        and all(_is_int(s) or _int_list_or_array(s) for s in items)
        and any(_int_list_or_array(s) for s in items)
    ):
        return "coordinate"
    fancy = [s for s in items if _int_list_or_array(s) or _bool_list_or_array(s)]
    if ndim and fancy:
        if len(fancy) > 1 and not (len(items) == ndim == len(fancy)):
            # numpy would broadcast these as coordinates, an outer product would not:
            # ambiguous, so refuse as zarr-python does
            raise IndexError(
                "a selection with several index arrays mixed with slices is ambiguous; "
                "use arr.oindex[...] (outer product) or arr.vindex[...] (coordinates)"
            )
        return "orthogonal"
    return "basic"
