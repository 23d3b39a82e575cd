"""The store interface: byte-range requests, key validation and the ``Store`` ABC.

A store maps string keys (``"a/b/zarr.json"``, ``"a/b/c/0/0"``) to byte strings.
Every key that reaches a store passes :func:`validate_key` (or, for listing and
``delete_dir``, :func:`validate_prefix`) before any storage is touched, so no key
can name something outside the store.
"""

from __future__ import annotations

import contextlib
import operator
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeAlias

from zarrc.errors import InvalidKeyError, ReadOnlyError

__all__ = [
    "ByteRequest",
    "BytesLike",
    "OffsetByteRequest",
    "RangeByteRequest",
    "Store",
    "SuffixByteRequest",
    "as_byte_view",
    "check_byte_request",
    "resolve_byte_range",
    "validate_key",
    "validate_prefix",
]

# Anything exposing the buffer protocol: bytes, bytearray, memoryview, numpy arrays.
BytesLike: TypeAlias = bytes | bytearray | memoryview


def _nonnegative_int(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an int, got bool")
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be an int, got {type(value).__name__}") from None
    if number < 0:
        raise ValueError(f"{what} must be >= 0, got {number}")
    return number


@dataclass(frozen=True, slots=True)
class RangeByteRequest:
    """The bytes ``[start, end)`` of a value (``end`` exclusive).

    Parameters
    ----------
    start : int
        First byte, >= 0.
    end : int
        One past the last byte, >= ``start``.

    Notes
    -----
    Like a file read, a range reaching past the end of the value is cut short
    and a range starting at or after the end gives ``b""``.
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        start = _nonnegative_int(self.start, "RangeByteRequest.start")
        end = _nonnegative_int(self.end, "RangeByteRequest.end")
        if end < start:
            raise ValueError(f"RangeByteRequest end ({end}) is before start ({start})")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)


@dataclass(frozen=True, slots=True)
class OffsetByteRequest:
    """The bytes from ``offset`` to the end of a value.

    Parameters
    ----------
    offset : int
        First byte, >= 0.  An offset at or past the end gives ``b""``.
    """

    offset: int

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "offset", _nonnegative_int(self.offset, "OffsetByteRequest.offset")
        )


@dataclass(frozen=True, slots=True)
class SuffixByteRequest:
    """The last ``suffix`` bytes of a value.

    Parameters
    ----------
    suffix : int
        Number of bytes, >= 0.  A suffix longer than the value gives the whole value.
    """

    suffix: int

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "suffix", _nonnegative_int(self.suffix, "SuffixByteRequest.suffix")
        )


ByteRequest: TypeAlias = RangeByteRequest | OffsetByteRequest | SuffixByteRequest
_BYTE_REQUEST_TYPES = (RangeByteRequest, OffsetByteRequest, SuffixByteRequest)


def check_byte_request(byte_range: object) -> ByteRequest | None:
    """Return ``byte_range`` if it is ``None`` or a byte request, else raise ``TypeError``."""
    if byte_range is None or isinstance(byte_range, _BYTE_REQUEST_TYPES):
        return byte_range
    raise TypeError(
        "byte_range must be None, RangeByteRequest, OffsetByteRequest or SuffixByteRequest, "
        f"got {type(byte_range).__name__}"
    )


def resolve_byte_range(byte_range: ByteRequest | None, size: int) -> tuple[int, int]:
    """Clamp a byte request to a value of ``size`` bytes.

    Parameters
    ----------
    byte_range : ByteRequest or None
        The request; ``None`` means the whole value.
    size : int
        Length of the stored value.

    Returns
    -------
    tuple of int
        ``(start, stop)`` with ``0 <= start <= stop <= size``.
    """
    if byte_range is None:
        return 0, size
    if isinstance(byte_range, RangeByteRequest):
        start = min(byte_range.start, size)
        return start, max(start, min(byte_range.end, size))
    if isinstance(byte_range, OffsetByteRequest):
        return min(byte_range.offset, size), size
    if isinstance(byte_range, SuffixByteRequest):
        return max(size - byte_range.suffix, 0), size
    check_byte_request(byte_range)
    raise AssertionError("unreachable")  # pragma: no cover


def as_byte_view(value: object) -> memoryview:
    """A flat, C-contiguous ``memoryview`` of unsigned bytes over ``value``.

    Accepts any object with the buffer protocol; copies only when the buffer is
    not contiguous.  Raises ``TypeError`` for anything else (including ``str``).
    """
    if isinstance(value, str):
        raise TypeError("store values must be bytes-like, got str")
    try:
        view = memoryview(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"store values must be bytes-like, got {type(value).__name__}") from None
    if not view.c_contiguous:
        view = memoryview(view.tobytes())
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    return view


# Characters never allowed in a key: C0/C1 controls (NUL included), backslash,
# and lone surrogates (not encodable, so the key could not round-trip).
_BAD_CHAR = re.compile("[\x00-\x1f\x7f-\x9f\\\\\ud800-\udfff]")


def _key_problem(key: str) -> str | None:
    """Why ``key`` is not a safe key, or ``None`` if it is."""
    if not key:
        return "it is empty"
    if key[0] == "/":
        return "it starts with '/'"
    if key[-1] == "/":
        return "it ends with '/'"
    bad = _BAD_CHAR.search(key)
    if bad is not None:
        char = bad.group()
        if char == "\\":
            return "it contains a backslash"
        return f"it contains the control or invalid character {char!r}"
    if "//" in key:
        return "it contains an empty path segment"
    for segment in key.split("/"):
        if segment == "." or segment == "..":
            return f"it contains a {segment!r} path segment"
        # "C:" / "c:x" would be a drive (or drive-relative path) on Windows.
        if len(segment) > 1 and segment[1] == ":":
            return f"segment {segment!r} looks like a drive letter"
    return None


def validate_key(key: str) -> str:
    """Check that ``key`` is a safe store key and return it.

    A key is a non-empty ``str`` of ``/``-separated, non-empty segments.  Rejected:
    a leading or trailing ``/``, empty segments (``a//b``), ``.`` and ``..``
    segments, backslashes, NUL and other control characters, lone surrogates, and
    drive-letter segments (a ``:`` as the second character of a segment, as in
    ``C:`` or ``c:/x``).  Unicode, spaces and dots inside names are fine.

    Parameters
    ----------
    key : str
        The key to check.

    Returns
    -------
    str
        ``key`` unchanged.

    Raises
    ------
    InvalidKeyError
        If the key is not a ``str`` or is unsafe; the message names the key and why.
    """
    if not isinstance(key, str):
        raise InvalidKeyError(
            f"invalid store key {key!r}: keys must be str, not {type(key).__name__}"
        )
    problem = _key_problem(key)
    if problem is not None:
        raise InvalidKeyError(f"invalid store key {key!r}: {problem}")
    return key


def validate_prefix(prefix: str) -> str:
    """Check a listing / ``delete_dir`` prefix and return it.

    A prefix is ``""`` (the whole store) or a valid key, optionally followed by
    one ``/``.

    Parameters
    ----------
    prefix : str
        The prefix to check.

    Returns
    -------
    str
        ``prefix`` unchanged.

    Raises
    ------
    InvalidKeyError
        If the prefix is not a ``str`` or is unsafe.
    """
    if not isinstance(prefix, str):
        raise InvalidKeyError(
            f"invalid store prefix {prefix!r}: prefixes must be str, not {type(prefix).__name__}"
        )
    if prefix == "":
        return prefix
    body = prefix[:-1] if prefix[-1] == "/" else prefix
    problem = _key_problem(body)
    if problem is not None:
        raise InvalidKeyError(f"invalid store prefix {prefix!r}: {problem}")
    return prefix


def _dir_prefix(prefix: str) -> str:
    """``prefix`` as a directory prefix: ``""`` or ending with exactly one ``/``."""
    if prefix == "" or prefix.endswith("/"):
        return prefix
    return prefix + "/"


# In-process key locks of stores without a lock of their own: a fixed set of
# stripes, so memory stays bounded; keys of one call share a stripe at most once.
_STRIPES = tuple(threading.Lock() for _ in range(64))


def _stripe(scope: object, key: str) -> int:
    try:
        return hash((scope, key)) % len(_STRIPES)
    except TypeError:  # unhashable: its identity
        return hash((id(scope), key)) % len(_STRIPES)


class Store(ABC):
    """A mapping from string keys to byte strings (synchronous).

    Subclasses implement the abstract methods and call :meth:`_check_key` /
    :meth:`_check_writable` (or :func:`validate_key`) before touching storage.
    The batched and convenience methods have generic implementations here that
    subclasses may replace with faster ones.

    Parameters
    ----------
    read_only : bool
        Refuse every mutation with ``ReadOnlyError``.
    """

    def __init__(self, *, read_only: bool = False) -> None:
        self._read_only = bool(read_only)

    # -- capabilities ------------------------------------------------------------
    @property
    def read_only(self) -> bool:
        """Whether the store refuses mutations."""
        return self._read_only

    @property
    def supports_writes(self) -> bool:
        """Whether this kind of store can be written (when not read-only)."""
        return True

    @property
    def supports_deletes(self) -> bool:
        """Whether this kind of store can delete keys (when not read-only)."""
        return True

    @property
    def supports_listing(self) -> bool:
        """Whether the store can list its keys."""
        return True

    @property
    def supports_partial_reads(self) -> bool:
        """Whether byte-range reads avoid reading the whole value."""
        return True

    @property
    def cheap_sizes(self) -> bool:
        """Whether :meth:`getsize` costs no round trip (local and in-memory stores)."""
        return False

    @property
    def native_io(self) -> bool:
        """Whether the engine may open this store's files itself (:meth:`native_root`)."""
        return False

    def native_root(self, create: bool = False) -> Any | None:
        """The engine's descriptor of a local root directory whose files the engine
        may open itself (beneath it, by the store's rules), or None.

        ``create``: make the root first if it does not exist (for writes).  Stores
        without native file I/O always return None.
        """
        return None

    def _lock_scope(self) -> object:
        """What :meth:`lock` locks keys of: stores over the same data share it."""
        return self

    @contextlib.contextmanager
    def lock(self, keys: Iterable[str]) -> Iterator[None]:
        """Hold exclusive locks on ``keys`` for a read-modify-write of them.

        The default excludes other threads of this process only; stores that
        can lock across processes (``LocalStore``) override it.  Keys are taken
        in sorted order, so callers locking overlapping sets cannot deadlock.
        """
        scope = self._lock_scope()
        stripes = sorted({_stripe(scope, self._check_key(k)) for k in keys})
        held: list[threading.Lock] = []
        try:
            for i in stripes:
                _STRIPES[i].acquire()
                held.append(_STRIPES[i])
            yield
        finally:
            for lk in reversed(held):
                lk.release()

    # -- checks shared by subclasses --------------------------------------------------
    def _check_key(self, key: str) -> str:
        return validate_key(key)

    def _check_writable(self, key: str | None, action: str = "write") -> None:
        """Raise ``ReadOnlyError`` naming this store and ``key`` if read-only."""
        if self._read_only:
            target = repr(key) if key is not None else "(no keys given)"
            raise ReadOnlyError(f"cannot {action} {target}: {self!r} is read-only")

    # -- reading ----------------------------------------------------------------
    @abstractmethod
    def get(self, key: str, byte_range: ByteRequest | None = None) -> bytes | None:
        """Read a value, or part of it.

        Parameters
        ----------
        key : str
            The key to read.
        byte_range : ByteRequest, optional
            Only these bytes; out-of-range requests are clamped (see the request types).

        Returns
        -------
        bytes or None
            The bytes, or ``None`` if the key does not exist.
        """

    def get_many(
        self, keys: Sequence[str], byte_ranges: Sequence[ByteRequest | None] | None = None
    ) -> list[bytes | None]:
        """Read several values at once, in order.

        Parameters
        ----------
        keys : sequence of str
            The keys to read; a key may appear more than once.
        byte_ranges : sequence of ByteRequest or None, optional
            One request per key (``None`` entries read the whole value).

        Returns
        -------
        list of bytes or None
            One entry per key, ``None`` where the key does not exist.
        """
        keys, ranges = self._check_many(keys, byte_ranges)
        return [self.get(key, rng) for key, rng in zip(keys, ranges, strict=True)]

    def _check_many(
        self, keys: Sequence[str], byte_ranges: Sequence[ByteRequest | None] | None
    ) -> tuple[list[str], list[ByteRequest | None]]:
        """Validate a ``get_many`` request up front, before any I/O."""
        if isinstance(keys, str):
            raise TypeError("get_many expects a sequence of keys, not a single str")
        keys = [self._check_key(key) for key in keys]
        if byte_ranges is None:
            return keys, [None] * len(keys)
        ranges = [check_byte_request(rng) for rng in byte_ranges]
        if len(ranges) != len(keys):
            raise ValueError(f"get_many got {len(keys)} keys but {len(ranges)} byte ranges")
        return keys, ranges

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether ``key`` holds a value (prefixes of other keys do not count)."""

    def getsize(self, key: str) -> int:
        """Size of the value at ``key`` in bytes.

        Raises
        ------
        FileNotFoundError
            If the key does not exist.
        """
        value = self.get(key)
        if value is None:
            raise FileNotFoundError(f"key {key!r} not found in {self!r}")
        return len(value)

    def getsize_prefix(self, prefix: str) -> int:
        """Total size in bytes of the values under the directory ``prefix``."""
        validate_prefix(prefix)
        return sum(self.getsize(key) for key in self.list_prefix(_dir_prefix(prefix)))

    # -- writing ----------------------------------------------------------------
    @abstractmethod
    def set(self, key: str, value: BytesLike) -> None:
        """Store ``value`` (any bytes-like object) at ``key``, replacing any old value."""

    def set_many(self, items: Iterable[tuple[str, BytesLike]]) -> None:
        """Store several values.  Every key is validated before anything is written."""
        pairs = self._check_set_many(items)
        for key, view in pairs:
            self.set(key, view)

    def _check_set_many(
        self, items: Iterable[tuple[str, BytesLike]]
    ) -> list[tuple[str, memoryview]]:
        pairs = [(self._check_key(key), as_byte_view(value)) for key, value in items]
        self._check_writable(pairs[0][0] if pairs else None, f"write {len(pairs)} keys, the first")
        return pairs

    def set_if_not_exists(self, key: str, value: BytesLike) -> bool:
        """Store ``value`` at ``key`` only if the key holds no value yet.

        Returns
        -------
        bool
            ``True`` if the value was written, ``False`` if the key already existed.

        Notes
        -----
        This generic version checks then writes, so it is not atomic; stores
        override it with an atomic one where the backend allows.
        """
        self._check_key(key)
        view = as_byte_view(value)
        self._check_writable(key)
        if self.exists(key):
            return False
        self.set(key, view)
        return True

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove several keys.  Every key is validated before anything is deleted."""
        if isinstance(keys, str):
            raise TypeError("delete_many expects an iterable of keys, not a single str")
        checked = [self._check_key(key) for key in keys]
        self._check_writable(
            checked[0] if checked else None, f"delete {len(checked)} keys, the first"
        )
        for key in checked:
            self.delete(key)

    def delete_dir(self, prefix: str) -> None:
        """Remove every key under the directory ``prefix`` (``""``: the whole store).

        A value stored at ``prefix`` itself is not a directory member and stays.
        """
        validate_prefix(prefix)
        self._check_writable(prefix, "delete directory")
        for key in list(self.list_prefix(_dir_prefix(prefix))):
            self.delete(key)

    def clear(self) -> None:
        """Remove every key."""
        self.delete_dir("")

    # -- listing ----------------------------------------------------------------
    @abstractmethod
    def list(self) -> Iterator[str]:
        """Every key in the store (order unspecified)."""

    @abstractmethod
    def list_prefix(self, prefix: str) -> Iterator[str]:
        """Every key starting with the string ``prefix`` (``""``: all keys).

        Matching is on the string, so ``"a"`` matches ``"a/b"`` and ``"ab"``;
        end the prefix with ``/`` to list a directory.
        """

    @abstractmethod
    def list_dir(self, prefix: str) -> Iterator[str]:
        """Names of the immediate children of the directory ``prefix``.

        Both keys and sub-directories (prefixes of longer keys) are listed, by
        their last segment only.  ``prefix`` may end with ``/`` or not.
        """

    def is_empty(self, prefix: str = "") -> bool:
        """Whether no key lives under the directory ``prefix``."""
        validate_prefix(prefix)
        return next(iter(self.list_prefix(_dir_prefix(prefix))), None) is None

    # -- lifetime -----------------------------------------------------------------
    @abstractmethod
    def with_read_only(self, read_only: bool = True) -> Store:
        """A new store object over the same data with the given ``read_only`` flag."""

    def close(self) -> None:  # noqa: B027 - an optional hook, a no-op by default
        """Release resources held by the store.  The store stays usable."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @abstractmethod
    def __eq__(self, other: object) -> bool:
        """Same kind of store over the same data."""

    __hash__ = None  # type: ignore[assignment]


class KeyListingMixin:
    """``list``, ``list_prefix`` and ``list_dir`` for stores that can produce a
    snapshot of all their keys cheaply (``_keys()``, in the store's own order)."""

    def _keys(self) -> list[str]:
        raise NotImplementedError

    def list(self) -> Iterator[str]:
        """Every key, in the store's order."""
        return iter(self._keys())

    def list_prefix(self, prefix: str) -> Iterator[str]:
        """Every key starting with the string ``prefix``."""
        validate_prefix(prefix)
        return iter([key for key in self._keys() if key.startswith(prefix)])

    def list_dir(self, prefix: str) -> Iterator[str]:
        """Names of the immediate children (keys and sub-directories) of ``prefix``."""
        validate_prefix(prefix)
        dir_prefix = _dir_prefix(prefix)
        cut = len(dir_prefix)
        names = dict.fromkeys(
            key[cut:].split("/", 1)[0] for key in self._keys() if key.startswith(dir_prefix)
        )
        return iter(names)
