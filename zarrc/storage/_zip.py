"""``ZipStore``: keys are members of one zip archive.

The archive is read and written with :mod:`zipfile`.  Member names are keys:
names that are not valid keys (``../x``, absolute paths, backslashes, ...) and
directory entries are never listed and can never be requested.

A zip archive cannot change a member in place.  Overwriting or deleting a key
is allowed: the store forgets the old member at once (reads, listings and
sizes see the new state) and :meth:`ZipStore.close` rewrites the archive
without the superseded members, so a closed archive never holds two entries
for one name.  Until then their bytes stay in the file.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
import weakref
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Literal

from zarrc.errors import StoreError
from zarrc.storage._base import (
    ByteRequest,
    BytesLike,
    KeyListingMixin,
    Store,
    _dir_prefix,
    _key_problem,
    as_byte_view,
    check_byte_request,
    resolve_byte_range,
    validate_prefix,
)

__all__ = ["ZipStore"]

ZipMode = Literal["r", "w", "a", "x"]
_MODES = ("r", "w", "a", "x")
_LOCAL_HEADER = 30  # fixed part of a local file header
_LOCAL_SIGNATURE = b"PK\x03\x04"


class _Archive:
    """One zip file shared by every ``ZipStore`` over it in this process.

    Holds the open ``ZipFile``, the index of live members and the lock that
    serialises all access.  Stores opened on the same path (and the copies
    made by ``with_read_only``) share one ``_Archive``, so each sees the
    others' writes before they are flushed.
    """

    def __init__(self, path: str, compression: int, allow_zip64: bool) -> None:
        self.path = path
        self.compression = compression
        self.allow_zip64 = allow_zip64
        self.lock = threading.RLock()
        self.file: BinaryIO | None = None
        self.zf: zipfile.ZipFile | None = None
        self.writable = False
        self.index: dict[str, zipfile.ZipInfo] = {}
        self.data_offsets: dict[str, int] = {}
        # Header offsets of members superseded or deleted: left out on close.
        self.dead: set[int] = set()
        self.modified = False

    # -- opening and closing (callers hold the lock) ---------------------------------
    def open(self, writable: bool, *, truncate: bool = False) -> None:
        """Make sure the archive is open, for writing if ``writable``."""
        if truncate:
            self.dead = set()  # everything goes: nothing to compact
            self.close_handles()
            self._open_new()
            return
        if self.zf is not None and (self.writable or not writable):
            return
        self.close_handles()  # an archive open for reading is reopened for writing
        try:
            size = os.stat(self.path).st_size
        except FileNotFoundError:
            size = None
        if writable and not size:
            self._open_new()
            return
        if size is None:
            raise FileNotFoundError(f"zip archive {self.path!r} does not exist")
        file: BinaryIO = open(self.path, "r+b" if writable else "rb")  # noqa: SIM115
        try:
            # zipfile's "a" mode would append a new archive to any non-zip file.
            if not zipfile.is_zipfile(file):
                raise zipfile.BadZipFile("not a zip archive")
            zf = zipfile.ZipFile(
                file,
                "a" if writable else "r",
                compression=self.compression,
                allowZip64=self.allow_zip64,
            )
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
            file.close()
            raise StoreError(
                f"cannot open zip archive {self.path!r}: {exc}", url=f"zip://{self.path}"
            ) from exc
        self._adopt(file, zf, writable)

    def _open_new(self) -> None:
        try:
            file: BinaryIO = open(self.path, "w+b")  # noqa: SIM115
        except OSError as exc:
            raise StoreError(
                f"cannot create zip archive {self.path!r}: {exc.strerror or exc}",
                url=f"zip://{self.path}",
            ) from exc
        zf = zipfile.ZipFile(file, "w", compression=self.compression, allowZip64=self.allow_zip64)
        self._adopt(file, zf, True)

    def _adopt(self, file: BinaryIO, zf: zipfile.ZipFile, writable: bool) -> None:
        index: dict[str, zipfile.ZipInfo] = {}
        dead: set[int] = set()
        for info in zf.infolist():
            name = info.filename
            if name.endswith("/") or _key_problem(name) is not None:
                continue  # directory entries and unsafe names are not keys
            old = index.get(name)
            if old is not None:  # duplicate entries: the last one wins, as in zipfile
                dead.add(old.header_offset)
            index[name] = info
        self.file, self.zf, self.writable = file, zf, writable
        self.index, self.dead = index, dead
        self.data_offsets = {}
        self.modified = False

    def close_handles(self) -> None:
        """Close the zip file, writing its central directory if it was changed."""
        zf, file = self.zf, self.file
        if zf is None or file is None:
            return
        compact = self.writable and self.modified and bool(self.dead)
        dead = self.dead
        self.zf = self.file = None
        self.index, self.data_offsets, self.dead = {}, {}, set()
        self.writable = self.modified = False
        try:
            zf.close()
        finally:
            file.close()
        if compact:
            self._compact(dead)

    def _compact(self, dead: set[int]) -> None:
        """Rewrite the (complete, closed) archive without the members in ``dead``."""
        target = Path(self.path)
        tmp = target.with_name(f".{target.name}.zarrc-tmp-{os.urandom(6).hex()}")
        try:
            with (
                zipfile.ZipFile(self.path, "r") as src,
                zipfile.ZipFile(tmp, "w", allowZip64=self.allow_zip64) as dst,
            ):
                for info in src.infolist():
                    if info.header_offset in dead:
                        continue
                    copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                    copy.compress_type = info.compress_type
                    copy.external_attr = info.external_attr
                    copy.create_system = info.create_system
                    copy.comment = info.comment
                    if info.is_dir():
                        copy.CRC = copy.compress_size = copy.file_size = 0
                        dst.mkdir(copy)
                    else:
                        dst.writestr(copy, src.read(info))
            os.replace(tmp, self.path)
        except Exception as exc:
            tmp.unlink(missing_ok=True)
            raise StoreError(
                f"cannot rewrite zip archive {self.path!r} without its replaced members "
                f"(the archive is complete but still holds them): {exc}",
                url=f"zip://{self.path}",
            ) from exc

    def detach_after_fork(self) -> None:
        """In a forked child: drop the parent's handles without writing anything."""
        if self.zf is not None:
            self.zf.fp = None  # ZipFile.close() and __del__ then leave the file alone
        self.zf = self.file = None
        self.index, self.data_offsets, self.dead = {}, {}, set()
        self.writable = self.modified = False
        self.lock = threading.RLock()

    def __del__(self) -> None:
        try:
            with self.lock:
                self.close_handles()
        except Exception:  # noqa: S110 - nothing can report an error from a finaliser
            pass

    # -- members (callers hold the lock and have opened the archive) -------------------
    def read(self, key: str, byte_range: ByteRequest | None) -> bytes | None:
        info = self.index.get(key)
        if info is None:
            return None
        start, stop = resolve_byte_range(byte_range, info.file_size)
        if (
            info.compress_type == zipfile.ZIP_STORED
            and not info.flag_bits & 0x1  # not encrypted
            and info.compress_size == info.file_size
        ):
            data = self._read_stored(key, info, start, stop)
            if byte_range is None and zlib.crc32(data) != info.CRC:
                raise zipfile.BadZipFile(f"bad CRC-32 for member {key!r}")
            return data
        assert self.zf is not None
        with self.zf.open(info) as member:
            if byte_range is None:
                return member.read()
            if start:
                member.seek(start)  # decompresses up to ``start``
            data = member.read(stop - start)
        if len(data) != stop - start:
            raise zipfile.BadZipFile(f"member {key!r} is shorter than its recorded size")
        return data

    def _read_stored(self, key: str, info: zipfile.ZipInfo, start: int, stop: int) -> bytes:
        assert self.file is not None
        if start == stop:
            return b""
        if self.writable:
            self.file.flush()
        fd = self.file.fileno()
        offset = self.data_offsets.get(key)
        if offset is None:
            header = os.pread(fd, _LOCAL_HEADER, info.header_offset)
            if len(header) != _LOCAL_HEADER or header[:4] != _LOCAL_SIGNATURE:
                raise zipfile.BadZipFile(f"bad local file header for member {key!r}")
            name_len = int.from_bytes(header[26:28], "little")
            extra_len = int.from_bytes(header[28:30], "little")
            offset = info.header_offset + _LOCAL_HEADER + name_len + extra_len
            self.data_offsets[key] = offset
        want = stop - start
        parts = []
        got = 0
        while got < want:
            part = os.pread(fd, want - got, offset + start + got)
            if not part:
                raise zipfile.BadZipFile(f"member {key!r} is truncated")
            parts.append(part)
            got += len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def write(self, key: str, view: memoryview, compression: int) -> None:
        assert self.zf is not None and self.file is not None
        info = zipfile.ZipInfo(key, date_time=time.localtime()[:6])
        info.compress_type = compression
        info.external_attr = 0o644 << 16  # a regular file, rw-r--r--
        old = self.index.get(key)
        # The index, not zipfile's name table, says which entry is live; dropping
        # the name first keeps zipfile from warning about the duplicate.
        self.zf.NameToInfo.pop(key, None)
        self.modified = True
        self.zf.writestr(info, view)
        self.file.flush()
        self.index[key] = info
        self.data_offsets.pop(key, None)
        if old is not None:
            self.dead.add(old.header_offset)

    def remove(self, key: str) -> None:
        old = self.index.pop(key, None)
        if old is not None:
            self.dead.add(old.header_offset)
            self.data_offsets.pop(key, None)
            self.zf.NameToInfo.pop(key, None)  # type: ignore[union-attr]
            self.modified = True


# Every archive open in this process, by real path; stores hold them strongly.
_archives: weakref.WeakValueDictionary[str, _Archive] = weakref.WeakValueDictionary()
_archives_lock = threading.Lock()


def _archive_for(path: str, compression: int, allow_zip64: bool) -> _Archive:
    with _archives_lock:
        archive = _archives.get(path)
        if archive is None:
            archive = _Archive(path, compression, allow_zip64)
            _archives[path] = archive
        return archive


def _close_all() -> None:
    for archive in list(_archives.values()):
        try:
            with archive.lock:
                archive.close_handles()
        except Exception:  # noqa: S112 - best effort at exit; other archives still close
            continue


def _after_fork_in_child() -> None:
    global _archives_lock
    _archives_lock = threading.Lock()
    for archive in list(_archives.values()):
        archive.detach_after_fork()
    _archives.clear()


atexit.register(_close_all)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


class ZipStore(KeyListingMixin, Store):
    """A store holding its keys as members of a zip archive.

    Parameters
    ----------
    path : str or os.PathLike
        The zip file.
    mode : {"r", "w", "a", "x"}
        ``"r"`` reads an existing archive; ``"w"`` creates or truncates one;
        ``"a"`` opens an existing archive for reading and adding (creating it
        if missing); ``"x"`` creates a new archive and fails if the file exists.
    read_only : bool, optional
        Refuse every mutation with ``ReadOnlyError``; defaults to ``mode == "r"``.
        ``mode="a"`` with ``read_only=True`` reads an existing archive.
    compression : int
        ``zipfile.ZIP_STORED`` (default) or another :mod:`zipfile` method for new
        members.  Stored members serve byte ranges with one positioned read;
        compressed ones decompress from the start of the member.
    allowZip64 : bool
        Allow archives and members over 4 GiB (ZIP64 extensions).

    Notes
    -----
    - Keys may be overwritten and deleted.  The old member stays in the file
      until :meth:`close`, which rewrites the archive without it (a cost
      proportional to the archive size, paid only when something was replaced
      or deleted).  A closed archive never holds two entries with one name.
    - New members are appended as they are written, but the archive's central
      directory is only written by :meth:`close`: until then the file on disk
      is not a complete zip archive.  Close the store (or use it as a context
      manager) when done writing.  Closing is also done when the last store over
      an archive is garbage collected and at interpreter exit.
    - All stores over one path in a process share the open archive, so a
      store opened for reading sees writes made through another before they are
      flushed.  Other processes see the archive as of its last ``close``.
    - Every operation takes the archive's lock, so the store may be used from
      several threads.  ``close`` leaves the store usable: the archive is
      reopened on the next call.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        mode: ZipMode = "r",
        *,
        read_only: bool | None = None,
        compression: int = zipfile.ZIP_STORED,
        allowZip64: bool = True,  # noqa: N803 - zarr-python's and zipfile's spelling
    ) -> None:
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        if read_only is None:
            read_only = mode == "r"
        if mode == "r" and not read_only:
            raise ValueError("mode 'r' opens a zip archive read-only; use mode 'a' to write")
        if mode in ("w", "x") and read_only:
            raise ValueError(f"mode {mode!r} creates a zip archive and cannot be read-only")
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
        raw = os.fspath(path)
        if not isinstance(raw, str):
            raise TypeError("path must be a text path, not bytes")
        super().__init__(read_only=read_only)
        self.path = Path(os.path.realpath(raw))
        self.compression = compression
        self.allowZip64 = bool(allowZip64)
        real = str(self.path)
        if mode == "x" and os.path.exists(real):
            raise FileExistsError(f"zip archive {real!r} already exists")
        self._archive = _archive_for(real, compression, self.allowZip64)
        with self._archive.lock:
            if mode in ("w", "x"):
                self._archive.open(True, truncate=True)
            elif mode == "a" and not read_only:
                self._archive.open(True)
            else:
                self._archive.open(False)

    @property
    def cheap_sizes(self) -> bool:
        """Sizes come from the archive's directory, without a round trip."""
        return True

    def _lock_scope(self) -> object:
        return str(self.path)

    @classmethod
    def _view(cls, base: ZipStore, read_only: bool) -> ZipStore:
        other = cls.__new__(cls)
        Store.__init__(other, read_only=read_only)
        other.path = base.path
        other.compression = base.compression
        other.allowZip64 = base.allowZip64
        other._archive = base._archive
        return other

    # -- identity -------------------------------------------------------------------
    def __str__(self) -> str:
        return f"zip://{self.path}"

    def __repr__(self) -> str:
        flag = ", read_only=True" if self._read_only else ""
        return f"ZipStore('{self}'{flag})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ZipStore):
            return NotImplemented
        return self.path == other.path

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        # Another process reads the file, so pickling flushes pending writes first.
        self.close()
        return (
            _rebuild,
            (str(self.path), self._read_only, self.compression, self.allowZip64),
        )

    def with_read_only(self, read_only: bool = True) -> ZipStore:
        """A new ``ZipStore`` over the same open archive with the given ``read_only`` flag."""
        return self._view(self, read_only)

    def close(self) -> None:
        """Write the archive's central directory, dropping replaced and deleted members.

        The store stays usable; the archive is reopened on the next call.
        """
        archive = self._archive
        with archive.lock:
            archive.close_handles()

    # -- internals ----------------------------------------------------------------------
    def _opened(self, writable: bool = False) -> _Archive:
        """The archive, open (for writing if asked); the caller holds its lock."""
        archive = self._archive
        try:
            archive.open(writable)
        except FileNotFoundError as exc:
            raise StoreError(f"{exc}", url=str(self)) from exc
        return archive

    def _error(self, what: str, key: str, exc: Exception) -> StoreError:
        return StoreError(f"cannot {what} {key!r} in {self!r}: {exc}", key=key, url=str(self))

    # -- reading ----------------------------------------------------------------------
    def get(self, key: str, byte_range: ByteRequest | None = None) -> bytes | None:
        """Read a member or part of it; ``None`` if there is no such member."""
        self._check_key(key)
        check_byte_request(byte_range)
        with self._archive.lock:
            archive = self._opened()
            try:
                return archive.read(key, byte_range)
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as exc:
                raise self._error("read", key, exc) from exc
            except NotImplementedError as exc:  # an unsupported compression method
                raise self._error("read", key, exc) from exc

    def get_many(
        self, keys: Sequence[str], byte_ranges: Sequence[ByteRequest | None] | None = None
    ) -> list[bytes | None]:
        """Read several members, in order (``None`` for missing keys)."""
        keys, ranges = self._check_many(keys, byte_ranges)
        return [self.get(key, rng) for key, rng in zip(keys, ranges, strict=True)]

    def exists(self, key: str) -> bool:
        """Whether a member named ``key`` exists."""
        self._check_key(key)
        with self._archive.lock:
            return key in self._opened().index

    def getsize(self, key: str) -> int:
        """Uncompressed size of the member ``key``; ``FileNotFoundError`` if missing."""
        self._check_key(key)
        with self._archive.lock:
            info = self._opened().index.get(key)
        if info is None:
            raise FileNotFoundError(f"key {key!r} not found in {self!r}")
        return info.file_size

    # -- writing ----------------------------------------------------------------------
    def set(self, key: str, value: BytesLike) -> None:
        """Store ``value`` as the member ``key``, replacing any older member of that name."""
        self._check_key(key)
        view = as_byte_view(value)
        self._check_writable(key)
        with self._archive.lock:
            self._write(key, view)

    def _write(self, key: str, view: memoryview) -> None:
        archive = self._opened(writable=True)
        try:
            archive.write(key, view, self.compression)
        except (OSError, ValueError, zipfile.LargeZipFile, RuntimeError) as exc:
            raise self._error("write", key, exc) from exc

    def set_many(self, items: Iterable[tuple[str, BytesLike]]) -> None:
        """Store several values; every key is validated before anything is written."""
        pairs = self._check_set_many(items)
        with self._archive.lock:
            for key, view in pairs:
                self._write(key, view)

    def set_if_not_exists(self, key: str, value: BytesLike) -> bool:
        """Store ``value`` only if there is no member ``key``; ``True`` if it was written."""
        self._check_key(key)
        view = as_byte_view(value)
        self._check_writable(key)
        with self._archive.lock:
            if key in self._opened().index:
                return False
            self._write(key, view)
            return True

    def delete(self, key: str) -> None:
        """Remove the member ``key`` (its bytes leave the file on :meth:`close`)."""
        self._check_key(key)
        self._check_writable(key, "delete")
        with self._archive.lock:
            self._opened(writable=True).remove(key)

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove several keys; every key is validated before anything is deleted."""
        if isinstance(keys, str):
            raise TypeError("delete_many expects an iterable of keys, not a single str")
        checked = [self._check_key(key) for key in keys]
        self._check_writable(
            checked[0] if checked else None, f"delete {len(checked)} keys, the first"
        )
        with self._archive.lock:
            archive = self._opened(writable=True)
            for key in checked:
                archive.remove(key)

    def delete_dir(self, prefix: str) -> None:
        """Remove every member under the directory ``prefix`` (``""``: all of them)."""
        validate_prefix(prefix)
        self._check_writable(prefix, "delete directory")
        dir_prefix = _dir_prefix(prefix)
        with self._archive.lock:
            archive = self._opened(writable=True)
            for key in [k for k in archive.index if k.startswith(dir_prefix)]:
                archive.remove(key)

    def clear(self) -> None:
        """Remove every member by starting a new, empty archive."""
        self._check_writable("", "delete directory")
        with self._archive.lock:
            self._archive.open(True, truncate=True)

    # -- listing ------------------------------------------------------------------------
    def _keys(self) -> list[str]:
        # A snapshot, so callers may change the store while iterating.
        with self._archive.lock:
            return list(self._opened().index)


def _rebuild(path: str, read_only: bool, compression: int, allow_zip64: bool) -> ZipStore:
    return ZipStore(
        path,
        "r" if read_only else "a",
        read_only=read_only,
        compression=compression,
        allowZip64=allow_zip64,
    )
