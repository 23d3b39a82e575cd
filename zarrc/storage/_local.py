"""``LocalStore``: keys are files under a root directory.

The file I/O is the engine's (src_c/localio.c), the same code the array
pipeline runs: every file is opened relative to the root directory's
descriptor and never through a symbolic link that leads out of the root.
Writes are atomic: the value goes to a hidden temp file in the target's
directory and is renamed over the target, so a reader sees the old value or
the new one, never a torn one.  Temp and lock files share :data:`TEMP_PREFIX`,
and listings hide them.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from zarrc._ext import _engine
from zarrc.errors import InvalidKeyError, StoreError
from zarrc.storage._base import (
    ByteRequest,
    BytesLike,
    OffsetByteRequest,
    RangeByteRequest,
    Store,
    SuffixByteRequest,
    _key_problem,
    as_byte_view,
    check_byte_request,
    validate_prefix,
)

__all__ = ["TEMP_PREFIX", "LocalStore"]

TEMP_PREFIX = ".zarrc-tmp-"
"""Name prefix of in-flight temp files and held lock files; such names are never
listed and never valid keys."""

_OPENAT2 = True
"""Resolve names with openat2(RESOLVE_BENEATH) where the kernel has it; False
forces the component-wise walk (same rules)."""

_MISSING = (FileNotFoundError, NotADirectoryError)

# Batches at least this large are spread over a few threads: on network file
# systems each request waits on a round trip; on local disks it costs little.
_POOL_MIN_BATCH = 16
_POOL_WORKERS = 8
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _reset_pool_after_fork() -> None:
    # A forked child inherits neither the threads nor a usable lock state.
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


def _shutdown_pool() -> None:
    if _pool is not None:
        _pool.shutdown(wait=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_pool_after_fork)
atexit.register(_shutdown_pool)

_T = TypeVar("_T")
_R = TypeVar("_R")


def _map_ordered(func: Callable[[_T], _R], items: Sequence[_T]) -> list[_R]:
    """``[func(x) for x in items]``, threaded for large batches, order kept."""
    global _pool
    if len(items) < _POOL_MIN_BATCH:
        return [func(item) for item in items]
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(_POOL_WORKERS, thread_name_prefix="zarrc-localstore")
        pool = _pool
    return list(pool.map(func, items))


def _os_error(exc: Any) -> OSError | None:
    """The operating-system error behind an engine error, if there is one."""
    if exc.code != _engine.EIO:
        return None
    code = exc.sys_errno
    return OSError(code, os.strerror(code) if code else exc.msg)


def _range_args(byte_range: ByteRequest | None) -> tuple[int, int, int]:
    """The engine's (kind, a, b) form of a byte request."""
    if byte_range is None:
        return 0, 0, 0
    if isinstance(byte_range, RangeByteRequest):
        return 1, byte_range.start, byte_range.end
    if isinstance(byte_range, OffsetByteRequest):
        return 2, byte_range.offset, 0
    assert isinstance(byte_range, SuffixByteRequest)
    return 3, byte_range.suffix, 0


class LocalStore(Store):
    """A store over a directory of the local file system.

    Key ``"a/b/c"`` is the file ``root/a/b/c``.  Directories are created as
    needed and kept when their last key is deleted (so :meth:`list_dir` may
    show an empty directory); :meth:`delete_dir` removes a whole subtree.  A key
    can never reach outside ``root``, not even through a symlink: such keys raise
    ``InvalidKeyError``.  Names starting with :data:`TEMP_PREFIX` are reserved for
    in-flight writes.

    Parameters
    ----------
    root : str or os.PathLike
        The directory.  It need not exist: reads then find nothing and the
        first write creates it.
    read_only : bool
        Refuse every mutation with ``ReadOnlyError``.
    fsync : bool
        Flush each written file and its directory to stable storage before
        returning (slower; survives power loss, not only process crashes).

    Attributes
    ----------
    root : pathlib.Path
        The resolved, absolute root directory.
    """

    root: Path

    def __init__(
        self, root: str | os.PathLike[str], read_only: bool = False, fsync: bool = False
    ) -> None:
        super().__init__(read_only=read_only)
        if not isinstance(root, str | os.PathLike):
            raise TypeError(f"root must be a str or os.PathLike, got {type(root).__name__}")
        raw = os.fspath(root)
        if not isinstance(raw, str):
            raise TypeError("root must be a text path, not bytes")
        self.root = Path(raw).resolve()
        self._fsync = bool(fsync)
        root_str = str(self.root)
        self._root_str = root_str
        self._root_prefix = root_str if root_str.endswith(os.sep) else root_str + os.sep
        self._handle: _engine.LocalRoot | None = None

    # -- identity -------------------------------------------------------------------
    @property
    def fsync(self) -> bool:
        """Whether writes are flushed to stable storage."""
        return self._fsync

    def __str__(self) -> str:
        return self.root.as_uri()

    def __repr__(self) -> str:
        flags = "".join(
            f", {name}=True"
            for name, on in (("read_only", self._read_only), ("fsync", self._fsync))
            if on
        )
        return f"LocalStore({self._root_str!r}{flags})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LocalStore):
            return NotImplemented
        return self.root == other.root

    def __hash__(self) -> int:
        return hash((LocalStore, self.root))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._root_str, self._read_only, self._fsync))

    def with_read_only(self, read_only: bool = True) -> LocalStore:
        """A new ``LocalStore`` over the same root with the given ``read_only`` flag."""
        return type(self)(self.root, read_only=read_only, fsync=self._fsync)

    # -- the root and key checks ----------------------------------------------------------
    def _check_key(self, key: str) -> str:
        super()._check_key(key)
        self._check_reserved(key, key)
        return key

    @staticmethod
    def _check_reserved(name: str, shown: str) -> None:
        if TEMP_PREFIX in name and any(s.startswith(TEMP_PREFIX) for s in name.split("/")):
            raise InvalidKeyError(
                f"invalid store key {shown!r}: names starting with {TEMP_PREFIX!r} are reserved"
            )

    def _native(self, create: bool) -> _engine.LocalRoot | None:
        """The open root directory; None when it does not exist (and not ``create``).

        The open directory is kept while it exists: a removed root (``rmtree``, then a
        new directory at the path) is looked up and opened again, so nothing is ever
        written into a deleted directory.  A root renamed away keeps being used, as
        an open file would."""
        handle = self._handle
        if handle is not None:
            try:
                if os.fstat(handle.fileno()).st_nlink > 0:
                    return handle
            except OSError:
                pass
        try:
            info = os.stat(self._root_str)
        except _MISSING:
            if not create:
                return None
            try:
                os.makedirs(self._root_str, exist_ok=True)
                info = os.stat(self._root_str)
            except OSError as exc:
                raise self._error("cannot create the root for", "", exc) from exc
        except OSError as exc:
            raise self._error("cannot open the root for", "", exc) from exc
        if not stat.S_ISDIR(info.st_mode):
            if not create:
                return None
            raise self._error(
                "cannot write", "", NotADirectoryError(20, "the root is not a directory")
            )
        handle = self._handle
        if handle is None or handle.ino != info.st_ino or handle.dev != info.st_dev:
            try:
                handle = _engine.LocalRoot(self._root_str, self._fsync, _OPENAT2)
            except OSError as exc:
                raise self._error("cannot open the root for", "", exc) from exc
            self._handle = handle
        return handle

    @property
    def native_io(self) -> bool:
        """The engine opens this store's files itself, beneath its root."""
        return True

    def native_root(self, create: bool = False) -> _engine.LocalRoot | None:
        """The engine's descriptor of the root directory (None while it does not exist)."""
        return self._native(create)

    @property
    def cheap_sizes(self) -> bool:
        """Sizes are one local system call."""
        return True

    def _native_error(self, exc: Any, what: str, key: str) -> Exception:
        """The store exception for an engine error on ``key``."""
        if exc.code == _engine.EESCAPE:
            return InvalidKeyError(
                f"invalid store key {key!r}: it resolves outside the root of {self!r} "
                "through a symbolic link"
            )
        if exc.code == _engine.ENOMEM:
            return MemoryError(exc.msg)
        return self._error(what, key, _os_error(exc) or OSError(0, exc.msg))

    def _path(self, key: str) -> str:
        """The file path of a validated key, after checking it stays under root."""
        root = self._native(False)
        if root is not None:
            try:
                _engine.file_check(root, key)
            except _engine.EngineError as exc:
                raise self._native_error(exc, "cannot inspect", key) from _os_error(exc)
        return self._root_prefix + (key if os.sep == "/" else key.replace("/", os.sep))

    def _error(self, what: str, key: str, exc: OSError) -> StoreError:
        reason = exc.strerror or str(exc)
        return StoreError(f"{what} {key!r} in {self!r}: {reason}", key=key, url=str(self))

    # -- reading ----------------------------------------------------------------------
    def get(self, key: str, byte_range: ByteRequest | None = None) -> bytes | None:
        """Read a value or part of it; ``None`` if the key does not exist.

        Anything at ``key`` that is not a regular file (a directory, a FIFO, a
        device) does not exist as a key.  Byte ranges are served with positioned
        reads, never by reading the whole file.
        """
        self._check_key(key)
        check_byte_request(byte_range)
        root = self._native(False)
        return None if root is None else self._get(root, key, byte_range)

    def _get(
        self, root: _engine.LocalRoot, key: str, byte_range: ByteRequest | None
    ) -> bytes | None:
        kind, a, b = _range_args(byte_range)
        try:
            return _engine.file_get(root, key, kind, a, b)
        except _engine.EngineError as exc:
            raise self._native_error(exc, "cannot read", key) from _os_error(exc)

    def get_many(
        self, keys: Sequence[str], byte_ranges: Sequence[ByteRequest | None] | None = None
    ) -> list[bytes | None]:
        """Read several values, in order (``None`` for missing keys).

        Every key is validated first; large batches are read by a few threads.
        """
        keys, ranges = self._check_many(keys, byte_ranges)
        root = self._native(False)
        if root is None:
            return [None] * len(keys)

        def one(item: tuple[str, ByteRequest | None]) -> bytes | None:
            return self._get(root, item[0], item[1])

        return _map_ordered(one, list(zip(keys, ranges, strict=True)))

    def _size(self, key: str) -> int:
        root = self._native(False)
        if root is None:
            return -1
        try:
            return int(_engine.file_size(root, key))
        except _engine.EngineError as exc:
            raise self._native_error(exc, "cannot inspect", key) from _os_error(exc)

    def exists(self, key: str) -> bool:
        """Whether ``key`` is a file (directories are not keys)."""
        self._check_key(key)
        return self._size(key) >= 0

    def getsize(self, key: str) -> int:
        """Size of the file at ``key`` in bytes; ``FileNotFoundError`` if there is none."""
        self._check_key(key)
        size = self._size(key)
        if size < 0:
            raise FileNotFoundError(f"key {key!r} not found in {self!r}")
        return size

    # -- writing ----------------------------------------------------------------------
    def set(self, key: str, value: BytesLike) -> None:
        """Atomically store ``value`` at ``key`` (temp file + rename)."""
        self._check_key(key)
        view = as_byte_view(value)
        self._check_writable(key)
        self._write(self._writable_root(key), key, view, exclusive=False)

    def set_many(self, items: Iterable[tuple[str, BytesLike]]) -> None:
        """Store several values; every key is validated before anything is written."""
        pairs = self._check_set_many(items)
        if not pairs:
            return
        root = self._writable_root(pairs[0][0])

        def one(item: tuple[str, memoryview]) -> None:
            self._write(root, item[0], item[1], exclusive=False)

        _map_ordered(one, pairs)

    def set_if_not_exists(self, key: str, value: BytesLike) -> bool:
        """Store ``value`` only if ``key`` holds nothing; ``True`` if it was written.

        Atomic: the complete temp file is hard-linked to the key, which fails if
        the key exists.  On file systems without hard links this falls back to
        a check followed by a rename.
        """
        self._check_key(key)
        view = as_byte_view(value)
        self._check_writable(key)
        return self._write(self._writable_root(key), key, view, exclusive=True)

    def _writable_root(self, key: str) -> _engine.LocalRoot:
        root = self._native(True)
        assert root is not None
        return root

    def _write(
        self, root: _engine.LocalRoot, key: str, view: memoryview, *, exclusive: bool
    ) -> bool:
        try:
            return bool(_engine.file_set(root, key, view, exclusive))
        except _engine.EngineError as exc:
            raise self._native_error(exc, "cannot write", key) from _os_error(exc)

    def delete(self, key: str) -> None:
        """Remove the file at ``key``; a missing key (or a directory) is left alone."""
        self._check_key(key)
        self._check_writable(key, "delete")
        self._delete(key)

    def _delete(self, key: str) -> None:
        root = self._native(False)
        if root is None:
            return
        try:
            _engine.file_delete(root, key)
        except _engine.EngineError as exc:
            raise self._native_error(exc, "cannot delete", key) from _os_error(exc)

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove several keys; every key is validated before anything is deleted."""
        if isinstance(keys, str):
            raise TypeError("delete_many expects an iterable of keys, not a single str")
        checked = [self._check_key(key) for key in keys]
        self._check_writable(
            checked[0] if checked else None, f"delete {len(checked)} keys, the first"
        )
        _map_ordered(self._delete, checked)

    @contextlib.contextmanager
    def lock(self, keys: Iterable[str]) -> Iterator[None]:
        """Exclusive locks on ``keys`` across threads and processes, for a
        read-modify-write of them.

        Each lock is a hidden file beside its key that exists only while the
        lock is held (it is removed before it is unlocked, and a waiter that
        wakes on a removed file starts over), so nothing stays in the store.
        Keys are locked in sorted order.  A read-only store takes no locks.
        """
        checked = sorted({self._check_key(k) for k in keys})
        if not checked or self._read_only:
            yield
            return
        root = self._writable_root(checked[0])
        held = []
        try:
            for key in checked:
                try:
                    held.append(_engine.file_lock(root, key))
                except _engine.EngineError as exc:
                    raise self._native_error(exc, "cannot lock", key) from _os_error(exc)
            yield
        finally:
            for lock in reversed(held):
                lock.release()

    def delete_dir(self, prefix: str) -> None:
        """Remove the subtree under the directory ``prefix`` (``""``: everything under root).

        A file at ``prefix`` itself is not part of the directory and stays.
        """
        validate_prefix(prefix)
        body = prefix.rstrip("/")
        if body:
            self._check_reserved(body, prefix)
        self._check_writable(prefix, "delete directory")
        if not body:
            self._clear_dir(self._root_str, prefix)
            return
        path = self._path(body)
        try:
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                if os.path.isdir(path):
                    os.unlink(path)  # drop the link; its target stays reachable as itself
            elif stat.S_ISDIR(mode):
                shutil.rmtree(path)
        except _MISSING:
            pass
        except OSError as exc:
            raise self._error("cannot delete directory", prefix, exc) from exc

    def _clear_dir(self, path: str, prefix: str) -> None:
        try:
            with os.scandir(path) as entries:
                children = list(entries)
            for entry in children:
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
        except _MISSING:
            pass
        except OSError as exc:
            raise self._error("cannot delete directory", prefix, exc) from exc

    # -- listing ------------------------------------------------------------------------
    def _dir_path(self, dir_prefix: str, shown: str) -> str:
        """The directory path for a directory prefix ``""`` or ``"a/b/"``."""
        if not dir_prefix:
            return self._root_str
        body = dir_prefix[:-1]
        self._check_reserved(body, shown)
        return self._path(body)

    def _visible(self, entry: os.DirEntry[str]) -> bool:
        """Whether a directory entry is part of the store's namespace."""
        name = entry.name
        if name.startswith(TEMP_PREFIX) or _key_problem(name) is not None:
            return False
        if entry.is_symlink():
            return self._stays_inside(entry.path)
        return True

    def _stays_inside(self, path: str) -> bool:
        """Whether the link at ``path`` (under root) resolves beneath the root."""
        root = self._native(False)
        if root is None or not path.startswith(self._root_prefix):
            return False
        rel = path[len(self._root_prefix) :]
        try:
            _engine.file_check(root, rel if os.sep == "/" else rel.replace(os.sep, "/"))
        except _engine.EngineError:
            return False
        return True

    def _walk(self, path: str, rel: str, first_filter: str, shown: str) -> Iterator[str]:
        """Yield keys of the files under ``path`` (its key prefix is ``rel``).

        Only top-level names starting with ``first_filter`` are followed.
        """
        stack = [(path, rel, first_filter)]
        seen_links: set[str] = set()
        while stack:
            current, current_rel, name_filter = stack.pop()
            try:
                with os.scandir(current) as entries:
                    children = list(entries)
            except _MISSING:
                continue
            except OSError as exc:
                raise self._error("cannot list", shown, exc) from exc
            for entry in children:
                if not entry.name.startswith(name_filter) or not self._visible(entry):
                    continue
                key = current_rel + entry.name
                try:
                    if entry.is_dir():
                        if entry.is_symlink():
                            real = os.path.realpath(entry.path)
                            if real in seen_links:
                                continue  # a link cycle
                            seen_links.add(real)
                        stack.append((entry.path, key + "/", ""))
                    elif entry.is_file():
                        yield key
                except OSError:  # vanished or unreadable mid-listing
                    continue

    def list(self) -> Iterator[str]:
        """Every key (file) under root; temp files and escaping links are hidden."""
        return self._walk(self._root_str, "", "", "")

    def list_prefix(self, prefix: str) -> Iterator[str]:
        """Every key starting with the string ``prefix``."""
        validate_prefix(prefix)
        cut = prefix.rfind("/") + 1
        dir_prefix, name_filter = prefix[:cut], prefix[cut:]
        return self._walk(self._dir_path(dir_prefix, prefix), dir_prefix, name_filter, prefix)

    def list_dir(self, prefix: str) -> Iterator[str]:
        """Names of the files and sub-directories directly under ``prefix``."""
        validate_prefix(prefix)
        dir_prefix = prefix if prefix == "" or prefix.endswith("/") else prefix + "/"
        path = self._dir_path(dir_prefix, prefix)
        return self._list_dir_path(path, prefix)

    def _list_dir_path(self, path: str, prefix: str) -> Iterator[str]:
        try:
            with os.scandir(path) as entries:
                children = list(entries)
        except _MISSING:
            return
        except OSError as exc:
            raise self._error("cannot list", prefix, exc) from exc
        for entry in children:
            if self._visible(entry):
                yield entry.name
