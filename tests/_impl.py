"""The implementation under test and small helpers shared by the array test suites.

``ZARRC_TEST_IMPL`` names the package to test (default ``zarrc``).  With
``ZARRC_TEST_IMPL=zarr`` the same suites run against zarr-python 3, which is how
they are validated; the few places where zarrc intentionally differs are keyed on
:data:`IS_ZARR_PYTHON` / :data:`IS_ZARRC`.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

IMPL_NAME: str = os.environ.get("ZARRC_TEST_IMPL", "zarrc")
impl = importlib.import_module(IMPL_NAME)
storage = importlib.import_module(f"{IMPL_NAME}.storage")
codecs = importlib.import_module(f"{IMPL_NAME}.codecs")

IS_ZARRC: bool = IMPL_NAME == "zarrc"
IS_ZARR_PYTHON: bool = IMPL_NAME == "zarr"

__all__ = [
    "IMPL_NAME",
    "IS_ZARRC",
    "IS_ZARR_PYTHON",
    "chunk_key",
    "codecs",
    "codec_dicts",
    "expected_chunk_keys",
    "impl",
    "jsonable",
    "list_local_keys",
    "list_store_keys",
    "storage",
]


def jsonable(obj: Any) -> Any:
    """``obj`` as plain JSON values (tuples become lists, enums their values)."""

    def default(o: Any) -> Any:
        if isinstance(o, np.generic):
            return o.item()
        if hasattr(o, "value"):  # enums
            return o.value
        if isinstance(o, (set, frozenset)):
            return sorted(o)
        raise TypeError(f"not JSON serialisable: {o!r}")

    return json.loads(json.dumps(obj, default=default))


def codec_dicts(codecs_: Any) -> list[Any]:
    """JSON form of a codec, a sequence of codecs, or ``None`` (as ``[]``)."""
    if codecs_ is None:
        return []
    if hasattr(codecs_, "to_dict"):
        return [jsonable(codecs_.to_dict())]
    return [jsonable(c.to_dict()) for c in codecs_]


def list_local_keys(root: str | Path) -> set[str]:
    """Every file under ``root`` as a ``/``-separated key relative to ``root``."""
    root = Path(root)
    if not root.exists():
        return set()
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def list_store_keys(store: Any) -> set[str]:
    """Keys of a store through its public ``list()`` (sync iterable or async iterator)."""
    res = store.list()
    if hasattr(res, "__aiter__"):

        async def collect() -> list[str]:
            return [k async for k in res]

        return set(asyncio.run(collect()))
    if inspect.isawaitable(res):

        async def wait() -> Any:
            return await res

        res = asyncio.run(wait())
    return set(res)


def chunk_key(coords: Iterable[int], encoding: dict[str, Any] | None) -> str:
    """The store key of the chunk at ``coords`` under a v3 chunk key encoding."""
    coords = [str(c) for c in coords]
    enc = encoding or {"name": "default"}
    name = enc["name"]
    if name == "default":
        sep = enc.get("separator", enc.get("configuration", {}).get("separator", "/"))
        return sep.join(["c", *coords])
    if name == "v2":
        sep = enc.get("separator", enc.get("configuration", {}).get("separator", "."))
        return sep.join(coords) if coords else "0"
    raise ValueError(f"unknown chunk key encoding {name!r}")


def expected_chunk_keys(
    data: np.ndarray,
    chunks: tuple[int, ...],
    fill_value: Any,
    encoding: dict[str, Any] | None,
    *,
    write_empty_chunks: bool,
) -> set[str]:
    """Chunk keys present after writing all of ``data`` into a fresh array."""
    grid = [-(-s // c) for s, c in zip(data.shape, chunks, strict=True)]
    keys = set()
    for coords in np.ndindex(*grid):
        region = tuple(
            slice(i * c, min((i + 1) * c, s))
            for i, c, s in zip(coords, chunks, data.shape, strict=True)
        )
        block = data[region]
        if not write_empty_chunks:
            fill = np.asarray(fill_value, dtype=data.dtype)
            same = block == fill
            if data.dtype.kind in "fc":
                same |= np.isnan(block) & np.isnan(fill)
            if np.all(same):
                continue
        keys.add(chunk_key(coords, encoding))
    return keys
