"""Normalising user selections into per-dimension regular ranges.

Cheap Python work done once per request; the C plan takes it from here.
Owns every selection error (types, bounds, rank).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

import numpy as np

from zarrc.errors import BoundsCheckError

__all__ = ["BasicSelection", "normalize_basic_selection", "is_basic_selection"]


@dataclass(frozen=True)
class BasicSelection:
    """A basic selection in normalised form.

    ``start[d] + k * step[d]`` for ``k < count[d]`` are the selected indices of
    dimension ``d``; ``drop[d]`` is true where an integer removed the dimension.
    """

    start: tuple[int, ...]
    step: tuple[int, ...]
    count: tuple[int, ...]
    drop: tuple[bool, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the selection before integer dimensions are dropped."""
        return self.count

    @property
    def out_shape(self) -> tuple[int, ...]:
        """Shape of the result, as numpy gives it."""
        return tuple(c for c, d in zip(self.count, self.drop, strict=True) if not d)


def _is_int(x: Any) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool | np.bool_)


def is_basic_selection(selection: Any) -> bool:
    """True if every item is an int, a slice or Ellipsis."""
    items = selection if isinstance(selection, tuple) else (selection,)
    return all(_is_int(s) or isinstance(s, slice) or s is Ellipsis for s in items)


def normalize_basic_selection(selection: Any, shape: tuple[int, ...]) -> BasicSelection:
    """Normalise ints, slices (any non-zero step) and Ellipsis against ``shape``.

    Raises
    ------
    IndexError
        Too many indices, more than one Ellipsis, or an unsupported item.
    BoundsCheckError
        An integer index outside its dimension.
    ValueError
        A slice step of zero.
    """
    items = selection if isinstance(selection, tuple) else (selection,)
    ndim = len(shape)
    if len(items) == ndim and all(type(i) is int for i in items):
        # fast path: one element
        start = []
        for d, (i, n) in enumerate(zip(items, shape, strict=True)):
            if i < -n or i >= n:
                raise BoundsCheckError(f"index {i} is out of bounds for axis {d} with size {n}")
            start.append(i + n if i < 0 else i)
        ones = (1,) * ndim
        return BasicSelection(tuple(start), ones, ones, (True,) * ndim)
    n_ellipsis = sum(1 for s in items if s is Ellipsis)
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    n_real = len(items) - n_ellipsis
    if n_real > ndim:
        raise IndexError(f"too many indices for array; expected {ndim}, got {n_real}")
    if n_ellipsis:
        at = next(i for i, s in enumerate(items) if s is Ellipsis)
        items = items[:at] + (slice(None),) * (ndim - n_real) + items[at + 1 :]
    else:
        items = items + (slice(None),) * (ndim - n_real)
    start, step, count, drop = [], [], [], []
    for d, (item, n) in enumerate(zip(items, shape, strict=True)):
        if isinstance(item, slice):
            if item.step is not None and operator.index(item.step) == 0:
                raise ValueError("slice step cannot be zero")
            a, b, s = item.indices(n)
            c = len(range(a, b, s))
            start.append(a if c else 0)
            step.append(s)
            count.append(c)
            drop.append(False)
        elif _is_int(item):
            i = int(item)
            if i < -n or i >= n:
                raise BoundsCheckError(f"index {i} is out of bounds for axis {d} with size {n}")
            start.append(i + n if i < 0 else i)
            step.append(1)
            count.append(1)
            drop.append(True)
        else:
            raise IndexError(
                "unsupported selection item for basic indexing: "
                f"{item!r} (expected int, slice or Ellipsis)"
            )
    return BasicSelection(tuple(start), tuple(step), tuple(count), tuple(drop))
