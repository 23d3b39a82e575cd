"""``LatencyStore``: a wrapper that makes any store behave like a high-latency remote one.

Each request waits a fixed time before it reaches the wrapped store.  Batched
calls issue their requests concurrently, at most ``concurrency`` at a time, the
way a remote store keeps several requests in flight: a batch of ``n`` requests
costs ``ceil(n / concurrency) * latency``.  Requests are counted and logged, so
tests can check how many round trips an operation needs and benchmarks can
measure latency hiding without a network.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from zarrc.storage._base import (
    ByteRequest,
    BytesLike,
    Store,
    _dir_prefix,
    as_byte_view,
    check_byte_request,
    validate_prefix,
)
from zarrc.storage._concurrent import concurrency_of as _concurrency
from zarrc.storage._concurrent import concurrent_map
from zarrc.storage._wrapper import WrapperStore

__all__ = ["LatencyStore"]


class _Stats:
    """Request counters shared by a LatencyStore and its read-only copies."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.calls = 0
        self.log: list[tuple[str, str | None, ByteRequest | None]] = []


class LatencyStore(WrapperStore):
    """Wrap a store so that every request to it waits ``latency`` seconds.

    Single-key calls (``get``, ``set``, ``exists``, ``getsize``, ``delete``, ...)
    and each listing call are one request each.  Batched calls (``get_many``,
    ``set_many``, ``delete_many``) are one request per key, sent concurrently:
    the waits run in a pool of ``concurrency`` threads, one wait per request,
    then the wrapped store is called once with the whole batch.  A batch of
    ``n`` keys therefore costs ``ceil(n / concurrency) * latency``.

    Parameters
    ----------
    inner : Store
        The store that holds the data.
    latency : float
        Seconds each request waits, >= 0.
    per_request : bool
        If ``False``, a batched call counts as one request and waits
        ``latency`` once, like a backend with a true batch API.
    concurrency : int, optional
        Requests in flight at once in batched calls; by default
        ``zarrc.config.get("async.concurrency")`` at the time of the call.

    Attributes
    ----------
    requests : int
        Requests made so far.
    calls : int
        Calls made to the store so far; a batched call counts once.
    log : list of tuple
        One ``(method, key, byte_range)`` entry per request, in the order they
        were issued; ``key`` is the listing prefix for listing calls (``None``
        for a batch counted as one request) and ``byte_range`` is ``None``
        except for ranged reads.  Copies made by :meth:`with_read_only` share
        the counters and the log.
    """

    def __init__(
        self,
        inner: Store,
        latency: float,
        per_request: bool = True,
        *,
        concurrency: int | None = None,
    ) -> None:
        if not isinstance(inner, Store):
            raise TypeError(f"inner must be a Store, got {type(inner).__name__}")
        latency = float(latency)
        if not latency >= 0.0 or math.isinf(latency):
            raise ValueError(f"latency must be a finite number of seconds >= 0, got {latency!r}")
        if concurrency is not None:
            _concurrency(concurrency)
        super().__init__(inner)
        self.latency = latency
        self.per_request = bool(per_request)
        self.concurrency = concurrency
        self._stats = _Stats()

    # -- request accounting ------------------------------------------------------------
    @property
    def requests(self) -> int:
        """Requests made so far (through this store and its ``with_read_only`` copies)."""
        return self._stats.requests

    @property
    def calls(self) -> int:
        """Store calls made so far; a batched call counts once."""
        return self._stats.calls

    @property
    def log(self) -> list[tuple[str, str | None, ByteRequest | None]]:
        """``(method, key, byte_range)`` of every request so far, in order."""
        return self._stats.log

    def reset(self) -> None:
        """Forget the requests counted so far."""
        stats = self._stats
        with stats.lock:
            stats.requests = stats.calls = 0
            stats.log.clear()

    def _record(self, entries: Sequence[tuple[str, str | None, ByteRequest | None]]) -> None:
        stats = self._stats
        with stats.lock:
            stats.calls += 1
            stats.requests += len(entries)
            stats.log.extend(entries)

    def _one(self, method: str, key: str | None, byte_range: ByteRequest | None = None) -> None:
        """Account for, and wait out, one request."""
        self._record([(method, key, byte_range)])
        if self.latency:
            time.sleep(self.latency)

    def _batch(self, method: str, keys: Sequence[str], ranges: Sequence[Any] | None) -> None:
        """Account for, and wait out, one request per key sent concurrently."""
        if not keys:
            return
        if not self.per_request:
            self._one(method, keys[0] if len(keys) == 1 else None)
            return
        byte_ranges = ranges if ranges is not None else [None] * len(keys)
        self._record([(method, key, rng) for key, rng in zip(keys, byte_ranges, strict=True)])
        if self.latency:
            delay = self.latency
            concurrent_map(lambda _: time.sleep(delay), range(len(keys)), self._limit())

    def _limit(self) -> int:
        return _concurrency(self.concurrency)

    # -- identity -------------------------------------------------------------------
    @property
    def inner(self) -> Store:
        """The wrapped store."""
        return self._store

    @property
    def native_io(self) -> bool:
        return False  # every request through the store, so that it waits and counts

    def native_root(self, create: bool = False) -> Any | None:
        return None

    @property
    def cheap_sizes(self) -> bool:
        return False  # a size is a round trip, as on a remote store

    def __repr__(self) -> str:
        return f"LatencyStore({self.inner!r}, latency={self.latency!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LatencyStore):
            return NotImplemented
        return self.inner == other.inner and self.latency == other.latency

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        # Counters describe this object's history, not the data: a copy starts at zero.
        return (_rebuild, (self.inner, self.latency, self.per_request, self.concurrency))

    def with_read_only(self, read_only: bool = True) -> LatencyStore:
        """The same wrapper around ``inner.with_read_only(read_only)``.

        The copy shares this store's counters and log: both stand for one remote.
        """
        other = type(self)(
            self.inner.with_read_only(read_only),
            self.latency,
            self.per_request,
            concurrency=self.concurrency,
        )
        other._stats = self._stats
        return other

    # -- reading ----------------------------------------------------------------------
    def get(self, key: str, byte_range: ByteRequest | None = None) -> bytes | None:
        """Read a value or part of it after one request's latency."""
        self._check_key(key)
        check_byte_request(byte_range)
        self._one("get", key, byte_range)
        return self.inner.get(key, byte_range)

    def get_many(
        self, keys: Sequence[str], byte_ranges: Sequence[ByteRequest | None] | None = None
    ) -> list[bytes | None]:
        """Read several values, one concurrent request per key."""
        keys, ranges = self._check_many(keys, byte_ranges)
        self._batch("get", keys, ranges)
        return self.inner.get_many(keys, ranges)

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds a value (one request)."""
        self._check_key(key)
        self._one("exists", key)
        return self.inner.exists(key)

    def getsize(self, key: str) -> int:
        """Size of the value at ``key`` (one request); ``FileNotFoundError`` if missing."""
        self._check_key(key)
        self._one("getsize", key)
        return self.inner.getsize(key)

    # -- writing ----------------------------------------------------------------------
    def set(self, key: str, value: BytesLike) -> None:
        """Store ``value`` at ``key`` (one request)."""
        self._check_key(key)
        view = as_byte_view(value)
        self._check_writable(key)
        self._one("set", key)
        self.inner.set(key, view)

    def set_many(self, items: Iterable[tuple[str, BytesLike]]) -> None:
        """Store several values, one concurrent request per key."""
        pairs = self._check_set_many(items)
        self._batch("set", [key for key, _ in pairs], None)
        self.inner.set_many(pairs)

    def set_if_not_exists(self, key: str, value: BytesLike) -> bool:
        """Store ``value`` only if ``key`` holds nothing (one request)."""
        self._check_key(key)
        view = as_byte_view(value)
        self._check_writable(key)
        self._one("set_if_not_exists", key)
        return self.inner.set_if_not_exists(key, view)

    def delete(self, key: str) -> None:
        """Remove ``key`` (one request); a missing key is not an error."""
        self._check_key(key)
        self._check_writable(key, "delete")
        self._one("delete", key)
        self.inner.delete(key)

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove several keys, one concurrent request per key."""
        if isinstance(keys, str):
            raise TypeError("delete_many expects an iterable of keys, not a single str")
        checked = [self._check_key(key) for key in keys]
        self._check_writable(
            checked[0] if checked else None, f"delete {len(checked)} keys, the first"
        )
        self._batch("delete", checked, None)
        self.inner.delete_many(checked)

    def delete_dir(self, prefix: str) -> None:
        """Remove every key under ``prefix``: one listing, then one request per key."""
        validate_prefix(prefix)
        self._check_writable(prefix, "delete directory")
        keys = list(self.list_prefix(_dir_prefix(prefix)))
        self._batch("delete", keys, None)
        self.inner.delete_many(keys)

    # -- listing ------------------------------------------------------------------------
    def list(self) -> Iterator[str]:
        """Every key (one request)."""
        self._one("list", "")
        return iter(list(self.inner.list()))

    def list_prefix(self, prefix: str) -> Iterator[str]:
        """Every key starting with ``prefix`` (one request)."""
        validate_prefix(prefix)
        self._one("list_prefix", prefix)
        return iter(list(self.inner.list_prefix(prefix)))

    def list_dir(self, prefix: str) -> Iterator[str]:
        """Immediate children of the directory ``prefix`` (one request)."""
        validate_prefix(prefix)
        self._one("list_dir", prefix)
        return iter(list(self.inner.list_dir(prefix)))


def _rebuild(
    inner: Store, latency: float, per_request: bool, concurrency: int | None
) -> LatencyStore:
    return LatencyStore(inner, latency, per_request, concurrency=concurrency)
