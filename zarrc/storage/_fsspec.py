"""``FsspecStore``: keys are files of an fsspec file system (S3, GCS, HTTP, memory, ...).

Batched calls keep many requests in flight: on an asynchronous file system
(s3fs, gcsfs, http) the requests run as coroutines on the file system's event
loop, at most ``zarrc.config.get("async.concurrency")`` at a time; on a
synchronous one they run in a thread pool of that size.  The public API is
synchronous.

A missing key reads as ``None`` (a missing chunk); every other failure of the
backend (missing bucket, permission, timeout, connection) raises
:class:`~zarrc.errors.StoreError` naming the key and the store URL, with the
backend's exception as ``__cause__``.

``fsspec`` is imported only when a store is made.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from zarrc.config import config
from zarrc.errors import StoreError
from zarrc.storage._base import (
    ByteRequest,
    BytesLike,
    OffsetByteRequest,
    RangeByteRequest,
    Store,
    SuffixByteRequest,
    _dir_prefix,
    _key_problem,
    as_byte_view,
    check_byte_request,
    validate_prefix,
)
from zarrc.storage._concurrent import concurrent_map

__all__ = ["FsspecStore"]

_T = TypeVar("_T")

# What a missing key looks like (a directory where a key was asked for is missing too).
_MISSING = (FileNotFoundError, IsADirectoryError, NotADirectoryError)
# Error codes meaning the container (bucket), not the key, is missing.
_MISSING_CONTAINER_CODES = frozenset({"NoSuchBucket"})
# Protocols whose ``pipe_file(..., mode="create")`` is an atomic create-if-absent.
_ATOMIC_CREATE = frozenset({"memory", "file", "local", "s3", "s3a"})
# Protocols whose ``_rm`` deletes a list of keys in few requests (S3 DeleteObjects).
_BULK_DELETE = frozenset({"s3", "s3a"})
# Protocols whose whole-object read (no range) costs an extra HEAD request in
# s3fs; an open-ended range ``bytes=0-`` reads the same bytes in one request.
_WHOLE_AS_RANGE = frozenset({"s3", "s3a"})
_GLOB_CHARS = frozenset("*?[")

# A zero-length request: answered by an existence check, never by a ranged read
# (servers ignore an empty Range header and send the whole object).
_EMPTY = object()


def _protocols(fs: Any) -> frozenset[str]:
    proto = getattr(fs, "protocol", ())
    return frozenset((proto,) if isinstance(proto, str) else proto)


def _missing_container(exc: BaseException) -> bool:
    """Whether a not-found error is about the bucket rather than the key."""
    seen = 0
    cur: BaseException | None = exc
    while cur is not None and seen < 8:
        response = getattr(cur, "response", None)
        if isinstance(response, dict):
            code = (response.get("Error") or {}).get("Code")
            if code in _MISSING_CONTAINER_CODES:
                return True
        if "bucket does not exist" in str(cur).lower():
            return True
        cur = cur.__cause__ or cur.__context__
        seen += 1
    return False


def _same_fs(a: Any, b: Any) -> bool:
    """Whether two file system objects reach the same data.

    fsspec compares instance tokens, which differ between an instance made
    with ``skip_instance_cache`` and its unpickled copy; the construction
    arguments say the same thing reliably.
    """
    if a is b or a == b:
        return True
    if type(a) is not type(b):
        return False
    try:
        return bool(a.storage_args == b.storage_args and a.storage_options == b.storage_options)
    except Exception:  # arguments that cannot be compared
        return False


def _is_missing(exc: BaseException) -> bool:
    return isinstance(exc, _MISSING) and not _missing_container(exc)


def _concurrency() -> int:
    n = config.get("async.concurrency")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"config 'async.concurrency' must be a positive integer, got {n!r}")
    return n


class FsspecStore(Store):
    """A store over a directory of an fsspec file system.

    Parameters
    ----------
    fs : fsspec.AbstractFileSystem
        The file system, synchronous or asynchronous.  An asynchronous one must
        be in its default (blocking) mode, with its own event loop thread
        (``asynchronous=False``, as ``fsspec.filesystem`` and ``from_url`` make it).
    path : str
        The root of the store inside ``fs`` (``"bucket/data.zarr"``); ``""``
        for the root of the file system.
    read_only : bool
        Refuse every mutation with ``ReadOnlyError``.

    Attributes
    ----------
    fs : fsspec.AbstractFileSystem
        The file system.
    path : str
        The normalised root path (no protocol, no trailing ``/``).

    Notes
    -----
    - Byte ranges are ranged reads.  A suffix range is one request where the
      file system supports negative offsets (S3, GCS, HTTP, memory, local).
    - Listings come from ``find`` / ``ls``, after dropping the file system's
      listing cache for the directory, so writes by others are seen.  Every
      listed name is checked with the key rules; names that are not valid keys
      are skipped, since no key could ever reach them.
    - ``delete_dir`` removes the keys listed under the directory; a key at the
      prefix itself stays, as in every store.
    """

    def __init__(self, fs: Any, path: str = "", read_only: bool = False) -> None:
        super().__init__(read_only=read_only)
        if not all(hasattr(fs, name) for name in ("cat_file", "pipe_file", "find", "ls")):
            raise TypeError(f"fs must be an fsspec file system, got {type(fs).__name__}")
        if not isinstance(path, str):
            raise TypeError(f"path must be a str, got {type(path).__name__}")
        self.fs = fs
        root = fs._strip_protocol(path) if path else ""
        self.path = root = root.rstrip("/")
        self._base = root + "/" if root else getattr(fs, "root_marker", "")
        self._async = bool(getattr(fs, "async_impl", False))
        protocols = _protocols(fs)
        self._atomic_create = bool(protocols & _ATOMIC_CREATE)
        self._bulk_delete = self._async and bool(protocols & _BULK_DELETE)
        self._whole_as_range = self._async and bool(protocols & _WHOLE_AS_RANGE)

    @classmethod
    def from_url(
        cls,
        url: str,
        storage_options: dict[str, Any] | None = None,
        read_only: bool = False,
    ) -> FsspecStore:
        """A store for a URL such as ``"s3://bucket/data.zarr"``.

        Parameters
        ----------
        url : str
            Any URL fsspec understands, chained URLs included.
        storage_options : dict, optional
            Options for the file system (credentials, ``endpoint_url``, ...).
        read_only : bool
            Refuse every mutation with ``ReadOnlyError``.
        """
        from fsspec.core import url_to_fs

        if not isinstance(url, str):
            raise TypeError(f"url must be a str, got {type(url).__name__}")
        fs, path = url_to_fs(url, **(storage_options or {}))
        return cls(fs, path, read_only=read_only)

    @classmethod
    def from_mapper(cls, mapper: Any, read_only: bool = False) -> FsspecStore:
        """A store over the file system and root of an ``fsspec.FSMap``."""
        return cls(mapper.fs, mapper.root, read_only=read_only)

    # -- identity -------------------------------------------------------------------
    def __str__(self) -> str:
        try:
            return str(self.fs.unstrip_protocol(self.path))
        except Exception:  # a file system without the helper
            return f"{sorted(_protocols(self.fs))[0]}://{self.path}"

    def __repr__(self) -> str:
        flag = ", read_only=True" if self._read_only else ""
        return f"FsspecStore('{self}'{flag})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FsspecStore):
            return NotImplemented
        return self.path == other.path and _same_fs(self.fs, other.fs)

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.fs, self.path, self._read_only))

    def with_read_only(self, read_only: bool = True) -> FsspecStore:
        """A new ``FsspecStore`` over the same file system and path."""
        return type(self)(self.fs, self.path, read_only=read_only)

    # -- paths and errors ---------------------------------------------------------------
    def _full(self, key: str) -> str:
        return self.path + "/" + key if self.path else key

    def _key_of(self, path: str) -> str | None:
        """The key of a listed path, or ``None`` if it is outside the root or no key."""
        path = self.fs._strip_protocol(path).rstrip("/")
        base = self._base
        if not path.startswith(base):
            return None
        key = path[len(base) :]
        return key if key and _key_problem(key) is None else None

    def _error(self, what: str, key: str, exc: BaseException) -> StoreError:
        url = str(self)
        reason = f"{type(exc).__name__}: {exc}"
        err = StoreError(f"cannot {what} {key!r} in {url}: {reason}", key=key, url=url)
        err.__cause__ = exc
        return err

    def _run(self, factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
        """Run a coroutine on the file system's event loop and wait for it."""
        from fsspec.asyn import sync

        async def main() -> _T:
            return await factory()

        return sync(self.fs.loop, main)

    def _gather(
        self, func: Callable[[Any], Coroutine[Any, Any, _T]], items: Sequence[Any]
    ) -> list[_T]:
        """``[await func(x) for x in items]`` concurrently, order kept.

        At most ``async.concurrency`` calls are in flight; every call finishes
        before the first error (in item order) is raised.
        """
        import asyncio  # only remote stores need it; ``import zarrc`` stays fast

        limit = _concurrency()

        async def run_all() -> list[_T]:
            semaphore = asyncio.Semaphore(limit)

            async def one(item: Any) -> _T:
                async with semaphore:
                    return await func(item)

            results = await asyncio.gather(*(one(item) for item in items), return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    raise result
            return results  # type: ignore[return-value]

        return self._run(run_all)

    def _map(self, func: Callable[[Any], _T], items: Sequence[Any]) -> list[_T]:
        """``[func(x) for x in items]`` in a thread pool of ``async.concurrency``."""
        return concurrent_map(func, items, _concurrency())

    # -- byte ranges ------------------------------------------------------------------
    def _limits(self, rng: ByteRequest | None) -> Any:
        """``(start, end)`` for ``cat_file``, ``_EMPTY``, or ``None`` when the size is needed."""
        if rng is None:
            return (0, None) if self._whole_as_range else (None, None)
        if isinstance(rng, RangeByteRequest):
            return _EMPTY if rng.end == rng.start else (rng.start, rng.end)
        if isinstance(rng, OffsetByteRequest):
            return (rng.offset, None)
        assert isinstance(rng, SuffixByteRequest)
        return _EMPTY if rng.suffix == 0 else (-rng.suffix, None)

    @staticmethod
    def _clamped(info: dict[str, Any], start: int | None) -> bytes | None:
        """What a ranged read that the backend refused should give, from ``info``."""
        if info.get("type") != "file":
            return None
        size = info.get("size")
        if isinstance(size, int) and start is not None and start >= size:
            return b""  # a range at or past the end of the value is empty
        raise LookupError  # the refusal was not about the range: re-raise it

    # -- reading ----------------------------------------------------------------------
    def get(self, key: str, byte_range: ByteRequest | None = None) -> bytes | None:
        """Read a value or part of it; ``None`` if the key does not exist."""
        self._check_key(key)
        check_byte_request(byte_range)
        if self._async:
            return self._run(lambda: self._aget((key, byte_range)))
        return self._sget((key, byte_range))

    def get_many(
        self, keys: Sequence[str], byte_ranges: Sequence[ByteRequest | None] | None = None
    ) -> list[bytes | None]:
        """Read several values concurrently, in order (``None`` for missing keys)."""
        keys, ranges = self._check_many(keys, byte_ranges)
        items = list(zip(keys, ranges, strict=True))
        if not items:
            return []
        if self._async:
            return self._gather(self._aget, items)
        return self._map(self._sget, items)

    async def _aget(self, item: tuple[str, ByteRequest | None]) -> bytes | None:
        key, rng = item
        fs, path = self.fs, self._full(key)
        limits = self._limits(rng)
        try:
            if limits is _EMPTY:
                info = await fs._info(path)
                return b"" if info.get("type") == "file" else None
            start, end = limits
            data = await fs._cat_file(path, start=start, end=end)
        except Exception as exc:
            if _is_missing(exc):
                return None
            if limits is _EMPTY or limits[0] is None:
                raise self._error("read", key, exc) from exc
            try:
                return self._clamped(await fs._info(path), limits[0])
            except LookupError:
                pass
            except Exception as info_exc:
                if _is_missing(info_exc):
                    return None
            raise self._error("read", key, exc) from exc
        return data if type(data) is bytes else bytes(data)

    def _sget(self, item: tuple[str, ByteRequest | None]) -> bytes | None:
        key, rng = item
        fs, path = self.fs, self._full(key)
        limits = self._limits(rng)
        try:
            if limits is _EMPTY:
                return b"" if fs.info(path).get("type") == "file" else None
            start, end = limits
            data = fs.cat_file(path, start=start, end=end)
        except Exception as exc:
            if _is_missing(exc):
                return None
            if limits is _EMPTY or limits[0] is None:
                raise self._error("read", key, exc) from exc
            try:
                return self._clamped(fs.info(path), limits[0])
            except LookupError:
                pass
            except Exception as info_exc:
                if _is_missing(info_exc):
                    return None
            raise self._error("read", key, exc) from exc
        return data if type(data) is bytes else bytes(data)

    def _info(self, key: str) -> dict[str, Any] | None:
        """The file system's info for ``key``, or ``None`` if it does not exist."""
        path = self._full(key)
        try:
            self.fs.invalidate_cache(path)  # another writer may have changed it
            if self._async:
                info = self._run(lambda: self.fs._info(path))
            else:
                info = self.fs.info(path)
        except Exception as exc:
            if _is_missing(exc):
                return None
            raise self._error("inspect", key, exc) from exc
        return info if info.get("type") == "file" else None

    def exists(self, key: str) -> bool:
        """Whether ``key`` is a file (directories are not keys)."""
        self._check_key(key)
        return self._info(key) is not None

    def getsize(self, key: str) -> int:
        """Size of the value at ``key`` in bytes; ``FileNotFoundError`` if missing."""
        self._check_key(key)
        info = self._info(key)
        if info is None:
            raise FileNotFoundError(f"key {key!r} not found in {self!r}")
        size = info.get("size")
        if not isinstance(size, int):
            return len(self.get(key) or b"")
        return size

    # -- writing ----------------------------------------------------------------------
    def set(self, key: str, value: BytesLike) -> None:
        """Store ``value`` at ``key``."""
        self._check_key(key)
        view = as_byte_view(value)
        self._check_writable(key)
        item = (key, view)
        if self._async:
            self._run(lambda: self._aset(item))
        else:
            self._sset(item)

    def set_many(self, items: Iterable[tuple[str, BytesLike]]) -> None:
        """Store several values concurrently; every key is validated first."""
        pairs = self._check_set_many(items)
        if not pairs:
            return
        if self._async:
            self._gather(self._aset, pairs)
        else:
            self._map(self._sset, pairs)

    async def _aset(self, item: tuple[str, memoryview]) -> None:
        key, view = item
        try:
            await self.fs._pipe_file(self._full(key), view.tobytes())
        except Exception as exc:
            raise self._error("write", key, exc) from exc

    def _sset(self, item: tuple[str, memoryview]) -> None:
        key, view = item
        fs, path = self.fs, self._full(key)
        data = view.tobytes()
        try:
            try:
                fs.pipe_file(path, data)
            except FileNotFoundError:
                # Local-like file systems need the parent directory first.
                fs.makedirs(fs._parent(path), exist_ok=True)
                fs.pipe_file(path, data)
        except Exception as exc:
            raise self._error("write", key, exc) from exc

    def set_if_not_exists(self, key: str, value: BytesLike) -> bool:
        """Store ``value`` only if ``key`` holds nothing; ``True`` if it was written.

        Atomic (a conditional create) on S3, memory and local file systems;
        elsewhere a check followed by a write.
        """
        self._check_key(key)
        view = as_byte_view(value)
        self._check_writable(key)
        if not self._atomic_create:
            if self._info(key) is not None:
                return False
            self.set(key, view)
            return True
        fs, path, data = self.fs, self._full(key), view.tobytes()
        try:
            if self._async:
                self._run(lambda: fs._pipe_file(path, data, mode="create"))
            else:
                try:
                    fs.pipe_file(path, data, mode="create")
                except FileNotFoundError:
                    fs.makedirs(fs._parent(path), exist_ok=True)
                    fs.pipe_file(path, data, mode="create")
        except FileExistsError:
            return False
        except Exception as exc:
            raise self._error("write", key, exc) from exc
        return True

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        self._check_key(key)
        self._check_writable(key, "delete")
        self._delete_keys([key])

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove several keys concurrently; every key is validated first."""
        if isinstance(keys, str):
            raise TypeError("delete_many expects an iterable of keys, not a single str")
        checked = [self._check_key(key) for key in keys]
        self._check_writable(
            checked[0] if checked else None, f"delete {len(checked)} keys, the first"
        )
        self._delete_keys(checked)

    def delete_dir(self, prefix: str) -> None:
        """Remove every key under the directory ``prefix`` (``""``: the whole store)."""
        validate_prefix(prefix)
        self._check_writable(prefix, "delete directory")
        self._delete_keys(self._find(_dir_prefix(prefix), prefix))

    def _delete_keys(self, keys: list[str]) -> None:
        if not keys:
            return
        keys = list(dict.fromkeys(keys))
        if self._async:
            paths = [self._full(key) for key in keys]
            # A bulk delete expands glob characters, so such keys go one by one.
            if self._bulk_delete and len(keys) > 1 and not any(_GLOB_CHARS & set(p) for p in paths):
                try:
                    self._run(lambda: self.fs._rm(paths))
                except Exception as exc:
                    if not _is_missing(exc):
                        raise self._error("delete", keys[0], exc) from exc
                return
            self._gather(self._arm, keys)
        else:
            self._map(self._srm, keys)

    async def _arm(self, key: str) -> None:
        try:
            await self.fs._rm_file(self._full(key))
        except Exception as exc:
            if not _is_missing(exc):
                raise self._error("delete", key, exc) from exc

    def _srm(self, key: str) -> None:
        try:
            self.fs.rm_file(self._full(key))
        except Exception as exc:
            if not _is_missing(exc):
                raise self._error("delete", key, exc) from exc

    # -- listing ------------------------------------------------------------------------
    def _listing_path(self, dir_prefix: str) -> str:
        body = dir_prefix.rstrip("/")
        if not body:
            return self.path or getattr(self.fs, "root_marker", "")
        return self._full(body)

    def _find(self, dir_prefix: str, shown: str) -> list[str]:
        """Every key under the directory prefix ``dir_prefix`` (``""`` or ending in ``/``)."""
        fs, path = self.fs, self._listing_path(dir_prefix)
        try:
            fs.invalidate_cache(path)
            found = fs.find(path, detail=False)
        except Exception as exc:
            if _is_missing(exc):
                return []
            raise self._error("list", shown, exc) from exc
        keys = []
        for name in found:
            key = self._key_of(name)
            if key is not None and key.startswith(dir_prefix):
                keys.append(key)
        return keys

    def list(self) -> Iterator[str]:
        """Every key in the store."""
        return iter(self._find("", ""))

    def list_prefix(self, prefix: str) -> Iterator[str]:
        """Every key starting with the string ``prefix``."""
        validate_prefix(prefix)
        dir_prefix = prefix[: prefix.rfind("/") + 1]
        return iter([key for key in self._find(dir_prefix, prefix) if key.startswith(prefix)])

    def list_dir(self, prefix: str) -> Iterator[str]:
        """Names of the files and sub-directories directly under ``prefix``."""
        validate_prefix(prefix)
        dir_prefix = _dir_prefix(prefix)
        fs, path = self.fs, self._listing_path(dir_prefix)
        try:
            fs.invalidate_cache(path)
            entries = fs.ls(path, detail=False)
        except Exception as exc:
            if _is_missing(exc):
                return iter(())
            raise self._error("list", prefix, exc) from exc
        names: dict[str, None] = {}
        cut = len(dir_prefix)
        for entry in entries:
            key = self._key_of(entry)
            if key is None or not key.startswith(dir_prefix):
                continue  # e.g. ``ls`` of a file returns the file itself
            name = key[cut:]
            if name and "/" not in name:
                names[name] = None
        return iter(names)
