"""Turn a store-like argument (a path, a URL, a dict, a Store) into a :class:`Store`.

The rules follow zarr-python's ``make_store``, plus zip archives and named
in-memory stores:

============================================  =========================================
``store_like``                                store
============================================  =========================================
a ``Store``                                   itself (a read-only copy when read-only)
``None``                                      a new ``MemoryStore``
a ``dict``                                    ``MemoryStore`` over that dict (shared)
``"memory://"``                               a new ``MemoryStore``
``"memory://name"``                           the process-wide ``MemoryStore`` ``name``
``"file:///path"``, a path, ``os.PathLike``   ``LocalStore``
a path ending in ``.zip``                     ``ZipStore``
any other URL (``"s3://bucket/x"``, ...)      ``FsspecStore.from_url``
an ``fsspec.FSMap``                           ``FsspecStore.from_mapper``
============================================  =========================================
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from zarrc.errors import StorageOptionsError
from zarrc.storage._base import Store
from zarrc.storage._fsspec import FsspecStore
from zarrc.storage._local import LocalStore
from zarrc.storage._memory import MemoryStore
from zarrc.storage._zip import ZipStore

__all__ = ["StorageOptionsError", "make_store"]

_MODES = ("r", "r+", "a", "w", "w-")
# Access mode of a zarr call -> zipfile mode of the archive.
_ZIP_MODES = {"r": "r", "r+": "a", "a": "a", "w": "w", "w-": "a"}

# "memory://name" stores live as long as the process, like fsspec's memory file system.
_named_memory: dict[str, dict[str, bytes]] = {}
_named_memory_lock = threading.Lock()


def _is_url(text: str) -> bool:
    # As zarr-python: "scheme://..." or a chained "a::b" URL.
    return "://" in text or ("::" in text and "local://" not in text)


def make_store(
    store_like: Any,
    *,
    mode: str = "a",
    read_only: bool | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Store:
    """Resolve a store-like argument to a :class:`Store`.

    Parameters
    ----------
    store_like : Store, str, os.PathLike, dict, fsspec.FSMap or None
        What to open; see the module docstring for the rules.
    mode : {"r", "r+", "a", "w", "w-"}
        The access mode of the calling operation.  ``"r"`` makes the store
        read-only; for a zip archive ``"w"`` starts a new archive and the
        other writable modes add to an existing one.
    read_only : bool, optional
        Overrides the read-only flag implied by ``mode``.
    storage_options : dict, optional
        Options for the fsspec file system of a URL.  Passing them (even ``{}``)
        with anything else is an error, as in zarr-python.

    Returns
    -------
    Store

    Raises
    ------
    StorageOptionsError
        ``storage_options`` were given but ``store_like`` is not a remote URL
        (a ``TypeError`` and a ``ValueError``).
    TypeError
        ``store_like`` is of an unsupported type.
    ValueError
        ``mode`` is not one of the access modes.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    ro = (mode == "r") if read_only is None else bool(read_only)
    text: str | None = None
    if isinstance(store_like, str | os.PathLike):
        raw = os.fspath(store_like)
        if not isinstance(raw, str):
            raise TypeError("store paths must be text, not bytes")
        text = raw
    is_remote = (
        text is not None
        and _is_url(text)
        and not text.startswith(("file://", "memory://", "local://"))
    )
    if storage_options is not None and not is_remote:
        raise StorageOptionsError(
            "'storage_options' was provided but unused: they are only used when the store "
            f"is a remote URL (such as 's3://bucket/path'), not {type(store_like).__name__} "
            f"{store_like!r}"
        )

    if isinstance(store_like, Store):
        if ro and not store_like.read_only:
            return store_like.with_read_only(True)
        return store_like
    if store_like is None:
        return MemoryStore(read_only=ro)
    if isinstance(store_like, dict):
        return MemoryStore(store_like, read_only=ro)
    if text is not None:
        if is_remote:
            return FsspecStore.from_url(text, storage_options=storage_options, read_only=ro)
        if text.startswith("memory://"):
            return _memory_store(text[len("memory://") :], ro)
        if text.startswith(("file://", "local://")):
            text = text.split("://", 1)[1]
        return _path_store(text, mode, ro)
    if _is_fsspec_mapper(store_like):
        return FsspecStore.from_mapper(store_like, read_only=ro)
    raise TypeError(f"unsupported store type {type(store_like).__name__}: {store_like!r}")


def _memory_store(name: str, read_only: bool) -> MemoryStore:
    name = name.strip("/")
    if not name:
        return MemoryStore(read_only=read_only)
    with _named_memory_lock:
        data = _named_memory.setdefault(name, {})
    return MemoryStore(data, read_only=read_only)


def _path_store(path: str, mode: str, read_only: bool) -> Store:
    if path.lower().endswith(".zip") and not os.path.isdir(path):
        if read_only:
            return ZipStore(path, "r")
        return ZipStore(path, _ZIP_MODES[mode])  # type: ignore[arg-type]
    return _local_store(path, read_only)


# Resolving a root costs more than opening an array: plain local paths reuse one
# LocalStore per (absolute path, read_only) (stores hold no state beyond that).
_LOCAL_CACHE: dict[tuple[str, bool], LocalStore] = {}
_LOCAL_CACHE_LIMIT = 256


def _local_store(path: str, read_only: bool) -> LocalStore:
    key = (os.path.abspath(path), read_only)
    store = _LOCAL_CACHE.get(key)
    if store is None:
        store = LocalStore(path, read_only=read_only)
        if len(_LOCAL_CACHE) >= _LOCAL_CACHE_LIMIT:
            _LOCAL_CACHE.clear()
        _LOCAL_CACHE[key] = store
    return store


def _is_fsspec_mapper(obj: Any) -> bool:
    # Only if fsspec is already imported: a mapper cannot exist otherwise.
    mapping = sys.modules.get("fsspec.mapping")
    return mapping is not None and isinstance(obj, mapping.FSMap)
