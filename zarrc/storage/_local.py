"""``LocalStore``: keys are files under a root directory.

Writes are atomic: the value goes to a hidden temp file in the target's
directory and is renamed over the target, so a reader sees the old value or
the new one, never a torn one.  The C engine writes its temp files with the
same :data:`TEMP_PREFIX`, and listings hide both.
"""

from __future__ import annotations

import atexit
import errno
import os
import shutil
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

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
"""Name prefix of in-flight temp files; such names are never listed and never valid keys."""

_O_BINARY = getattr(os, "O_BINARY", 0)
# Errors from os.link meaning "this file system has no hard links here".
_NO_LINK_ERRNOS = frozenset(
    getattr(errno, name)
    for name in ("ENOTSUP", "EOPNOTSUPP", "EMLINK", "ENOSYS", "EXDEV")
    if hasattr(errno, name)
)
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


def _read_at(fd: int, size: int, offset: int) -> bytes:
    """Up to ``size`` bytes at ``offset``; shorter only at end of file."""
    if size <= 0:
        return b""
    if not hasattr(os, "pread"):  # pragma: no cover - Windows
        os.lseek(fd, offset, os.SEEK_SET)
        read = os.read
        first = read(fd, size)
    else:
        first = os.pread(fd, size, offset)
    if len(first) == size or not first:
        return first
    parts = [first]
    got = len(first)
    while got < size:
        if hasattr(os, "pread"):
            more = os.pread(fd, size - got, offset + got)
        else:  # pragma: no cover - Windows
            more = os.read(fd, size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def _write_all(fd: int, view: memoryview) -> None:
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(path: str) -> None:
    if os.name == "nt":  # pragma: no cover - directories cannot be opened for fsync
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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

    # -- key -> path --------------------------------------------------------------------
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

    def _inside(self, real: str) -> bool:
        return real == self._root_str or real.startswith(self._root_prefix)

    def _path(self, key: str) -> str:
        """The file path of a validated key, after checking it stays under root."""
        path = self._root_prefix + (key if os.sep == "/" else key.replace("/", os.sep))
        # lstat each component below root; only a symlink needs the full resolve.
        pos = len(self._root_prefix)
        while True:
            end = path.find(os.sep, pos)
            part = path if end < 0 else path[:end]
            try:
                mode = os.lstat(part).st_mode
            except _MISSING:
                return path  # the rest does not exist yet; writes create real dirs
            except OSError as exc:
                raise self._error("cannot inspect", key, exc) from exc
            if stat.S_ISLNK(mode):
                if not self._inside(os.path.realpath(path)):
                    raise InvalidKeyError(
                        f"invalid store key {key!r}: it resolves outside the root of {self!r} "
                        "through a symbolic link"
                    )
                return path
            if end < 0:
                return path
            pos = end + 1

    def _error(self, what: str, key: str, exc: OSError) -> StoreError:
        reason = exc.strerror or str(exc)
        return StoreError(f"{what} {key!r} in {self!r}: {reason}", key=key, url=str(self))

    # -- reading ----------------------------------------------------------------------
    def get(self, key: str, byte_range: ByteRequest | None = None) -> bytes | None:
        """Read a value or part of it; ``None`` if the key does not exist.

        Byte ranges are served with positioned reads, never by reading the whole file.
        """
        self._check_key(key)
        check_byte_request(byte_range)
        return self._get_path(key, self._path(key), byte_range)

    def _get_path(self, key: str, path: str, byte_range: ByteRequest | None) -> bytes | None:
        try:
            fd = os.open(path, os.O_RDONLY | _O_BINARY)
        except (*_MISSING, IsADirectoryError):
            return None
        except OSError as exc:
            raise self._error("cannot read", key, exc) from exc
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return None
            size = info.st_size
            if byte_range is None:
                return _read_at(fd, size, 0)
            if isinstance(byte_range, RangeByteRequest):
                return _read_at(fd, byte_range.end - byte_range.start, byte_range.start)
            if isinstance(byte_range, OffsetByteRequest):
                return _read_at(fd, size - byte_range.offset, byte_range.offset)
            assert isinstance(byte_range, SuffixByteRequest)
            start = max(size - byte_range.suffix, 0)
            return _read_at(fd, size - start, start)
        except OSError as exc:
            raise self._error("cannot read", key, exc) from exc
        finally:
            os.close(fd)

    def get_many(
        self, keys: Sequence[str], byte_ranges: Sequence[ByteRequest | None] | None = None
    ) -> list[bytes | None]:
        """Read several values, in order (``None`` for missing keys).

        Every key is validated first; large batches are read by a few threads.
        """
        keys, ranges = self._check_many(keys, byte_ranges)

        def one(item: tuple[str, ByteRequest | None]) -> bytes | None:
            key, rng = item
            return self._get_path(key, self._path(key), rng)

        return _map_ordered(one, list(zip(keys, ranges, strict=True)))

    def exists(self, key: str) -> bool:
        """Whether ``key`` is a file (directories are not keys)."""
        self._check_key(key)
        path = self._path(key)
        try:
            return stat.S_ISREG(os.stat(path).st_mode)
        except _MISSING:
            return False
        except OSError as exc:
            raise self._error("cannot inspect", key, exc) from exc

    def getsize(self, key: str) -> int:
        """Size of the file at ``key`` in bytes; ``FileNotFoundError`` if there is none."""
        self._check_key(key)
        path = self._path(key)
        try:
            info = os.stat(path)
        except _MISSING:
            info = None
        except OSError as exc:
            raise self._error("cannot inspect", key, exc) from exc
        if info is None or not stat.S_ISREG(info.st_mode):
            raise FileNotFoundError(f"key {key!r} not found in {self!r}")
        return info.st_size

    # -- writing ----------------------------------------------------------------------
    def set(self, key: str, value: BytesLike) -> None:
        """Atomically store ``value`` at ``key`` (temp file + rename)."""
        self._check_key(key)
        view = as_byte_view(value)
        self._check_writable(key)
        self._write(key, self._path(key), view, exclusive=False)

    def set_many(self, items: Iterable[tuple[str, BytesLike]]) -> None:
        """Store several values; every key is validated before anything is written."""
        pairs = self._check_set_many(items)

        def one(item: tuple[str, memoryview]) -> None:
            key, view = item
            self._write(key, self._path(key), view, exclusive=False)

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
        return self._write(key, self._path(key), view, exclusive=True)

    def _write(self, key: str, path: str, view: memoryview, *, exclusive: bool) -> bool:
        dirname = os.path.dirname(path)
        tmp = os.path.join(dirname, TEMP_PREFIX + os.urandom(8).hex())
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY
        try:
            try:
                fd = os.open(tmp, flags, 0o666)
            except FileNotFoundError:
                self._make_dirs(dirname)
                fd = os.open(tmp, flags, 0o666)
        except OSError as exc:
            raise self._error("cannot write", key, exc) from exc
        moved = False
        try:
            try:
                _write_all(fd, view)
                if self._fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            if exclusive:
                written = self._publish(tmp, path)
            else:
                os.replace(tmp, path)
                moved = written = True
            if self._fsync and written:
                _fsync_dir(dirname)
            return written
        except OSError as exc:
            raise self._error("cannot write", key, exc) from exc
        finally:
            if not moved:
                try:
                    os.unlink(tmp)
                except OSError:  # already gone, or best effort: listings hide it anyway
                    pass

    def _publish(self, tmp: str, path: str) -> bool:
        """Move ``tmp`` to ``path`` unless ``path`` exists; ``False`` if it did."""
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
        except (AttributeError, PermissionError, NotImplementedError):
            pass
        except OSError as exc:
            if exc.errno not in _NO_LINK_ERRNOS:
                raise
        if os.path.lexists(path):
            return False
        os.replace(tmp, path)
        return True

    def _make_dirs(self, dirname: str) -> None:
        created = []
        probe = dirname
        while not os.path.isdir(probe):
            created.append(probe)
            parent = os.path.dirname(probe)
            if parent == probe:
                break
            probe = parent
        os.makedirs(dirname, exist_ok=True)
        if self._fsync:
            for made in created:
                _fsync_dir(os.path.dirname(made))

    def delete(self, key: str) -> None:
        """Remove the file at ``key``; a missing key (or a directory) is left alone."""
        self._check_key(key)
        self._check_writable(key, "delete")
        path = self._path(key)
        try:
            os.unlink(path)
        except (*_MISSING, IsADirectoryError):
            pass
        except PermissionError as exc:
            if not os.path.isdir(path):  # macOS reports EPERM for unlink(dir)
                raise self._error("cannot delete", key, exc) from exc
        except OSError as exc:
            raise self._error("cannot delete", key, exc) from exc

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove several keys; every key is validated before anything is deleted."""
        if isinstance(keys, str):
            raise TypeError("delete_many expects an iterable of keys, not a single str")
        checked = [self._check_key(key) for key in keys]
        self._check_writable(
            checked[0] if checked else None, f"delete {len(checked)} keys, the first"
        )
        _map_ordered(self.delete, checked)

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
            return self._inside(os.path.realpath(entry.path))
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
