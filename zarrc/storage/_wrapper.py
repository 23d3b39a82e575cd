"""Stores over other stores: ``WrapperStore`` forwards every call, ``LoggingStore`` logs them.

``LoggingStore`` writes one ``logging`` record per request on the ``zarrc.store``
logger (key, byte range, bytes, seconds) at DEBUG level, or at the level given.
Nothing is printed unless the application configures logging.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from zarrc.storage._base import ByteRequest, BytesLike, Store, validate_prefix

__all__ = ["LoggingStore", "WrapperStore"]

log = logging.getLogger("zarrc.store")


class WrapperStore(Store):
    """A store that forwards every call to ``store``; subclass it to change some.

    Parameters
    ----------
    store : Store
        The wrapped store.
    """

    def __init__(self, store: Store) -> None:
        if not isinstance(store, Store):
            raise TypeError(f"expected a Store, got {type(store).__name__}")
        super().__init__(read_only=store.read_only)
        self._store = store

    @property
    def store(self) -> Store:
        """The wrapped store."""
        return self._store

    # capabilities
    @property
    def supports_writes(self) -> bool:
        return self._store.supports_writes

    @property
    def supports_deletes(self) -> bool:
        return self._store.supports_deletes

    @property
    def supports_listing(self) -> bool:
        return self._store.supports_listing

    @property
    def supports_partial_reads(self) -> bool:
        return self._store.supports_partial_reads

    @property
    def cheap_sizes(self) -> bool:
        return self._store.cheap_sizes

    @property
    def native_io(self) -> bool:
        return self._store.native_io

    def native_root(self, create: bool = False) -> Any | None:
        return self._store.native_root(create)

    def lock(self, keys: Iterable[str]) -> AbstractContextManager[None]:
        return self._store.lock(keys)

    # data
    def get(self, key: str, byte_range: ByteRequest | None = None) -> bytes | None:
        return self._store.get(key, byte_range)

    def get_many(
        self, keys: Sequence[str], byte_ranges: Sequence[ByteRequest | None] | None = None
    ) -> list[bytes | None]:
        return self._store.get_many(keys, byte_ranges)

    def exists(self, key: str) -> bool:
        return self._store.exists(key)

    def getsize(self, key: str) -> int:
        return self._store.getsize(key)

    # mutations are refused here first, so errors name this store
    def set(self, key: str, value: BytesLike) -> None:
        self._check_writable(self._check_key(key))
        self._store.set(key, value)

    def set_many(self, items: Iterable[tuple[str, BytesLike]]) -> None:
        self._store.set_many(self._check_set_many(items))

    def set_if_not_exists(self, key: str, value: BytesLike) -> bool:
        self._check_writable(self._check_key(key))
        return self._store.set_if_not_exists(key, value)

    def delete(self, key: str) -> None:
        self._check_writable(self._check_key(key), "delete")
        self._store.delete(key)

    def delete_many(self, keys: Iterable[str]) -> None:
        if isinstance(keys, str):
            raise TypeError("delete_many expects an iterable of keys, not a single str")
        checked = [self._check_key(key) for key in keys]
        self._check_writable(
            checked[0] if checked else None, f"delete {len(checked)} keys, the first"
        )
        self._store.delete_many(checked)

    def delete_dir(self, prefix: str) -> None:
        validate_prefix(prefix)
        self._check_writable(prefix, "delete directory")
        self._store.delete_dir(prefix)

    def list(self) -> Iterator[str]:
        return self._store.list()

    def list_prefix(self, prefix: str) -> Iterator[str]:
        return self._store.list_prefix(prefix)

    def list_dir(self, prefix: str) -> Iterator[str]:
        return self._store.list_dir(prefix)

    def with_read_only(self, read_only: bool = True) -> Store:
        return type(self)(self._store.with_read_only(read_only))

    def close(self) -> None:
        self._store.close()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._store == self._store  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self._store))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._store!r})"

    def __str__(self) -> str:
        return str(self._store)


def _nbytes(value: Any) -> int:
    return 0 if value is None else memoryview(value).nbytes


class LoggingStore(WrapperStore):
    """A store that logs every request to the ``zarrc.store`` logger.

    Each record names the call, the key (or the number of keys), byte ranges,
    the bytes moved and the seconds taken.  Reads and writes of arrays over a
    ``LoggingStore`` go through it (never straight to files), so every request
    is seen.

    Parameters
    ----------
    store : Store
        The wrapped store.
    level : int
        Logging level of the records (default ``logging.DEBUG``).
    """

    def __init__(self, store: Store, level: int = logging.DEBUG) -> None:
        super().__init__(store)
        self.level = level
        self.counter: dict[str, int] = {}

    def with_read_only(self, read_only: bool = True) -> Store:
        return type(self)(self._store.with_read_only(read_only), self.level)

    @property
    def native_io(self) -> bool:
        return False  # every request through the store, so that it is logged

    def native_root(self, create: bool = False) -> Any | None:
        return None

    def _record(self, call: str, start: float, detail: str, nbytes: int) -> None:
        self.counter[call] = self.counter.get(call, 0) + 1
        if log.isEnabledFor(self.level):
            log.log(
                self.level,
                "%s %s: %d bytes in %.6f s (%s)",
                call,
                detail,
                nbytes,
                time.perf_counter() - start,
                self._store,
            )

    def get(self, key: str, byte_range: ByteRequest | None = None) -> bytes | None:
        start = time.perf_counter()
        out = self._store.get(key, byte_range)
        rng = "" if byte_range is None else f" {byte_range}"
        self._record("get", start, f"{key!r}{rng}", _nbytes(out))
        return out

    def get_many(
        self, keys: Sequence[str], byte_ranges: Sequence[ByteRequest | None] | None = None
    ) -> list[bytes | None]:
        start = time.perf_counter()
        out = self._store.get_many(keys, byte_ranges)
        ranged = "" if byte_ranges is None else " with byte ranges"
        self._record("get_many", start, f"{len(keys)} keys{ranged}", sum(map(_nbytes, out)))
        return out

    def set(self, key: str, value: BytesLike) -> None:
        start = time.perf_counter()
        super().set(key, value)
        self._record("set", start, repr(key), _nbytes(value))

    def set_many(self, items: Iterable[tuple[str, BytesLike]]) -> None:
        pairs = self._check_set_many(items)
        start = time.perf_counter()
        self._store.set_many(pairs)
        self._record("set_many", start, f"{len(pairs)} keys", sum(_nbytes(v) for _, v in pairs))

    def delete(self, key: str) -> None:
        start = time.perf_counter()
        super().delete(key)
        self._record("delete", start, repr(key), 0)

    def delete_many(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        start = time.perf_counter()
        super().delete_many(keys)
        self._record("delete_many", start, f"{len(keys)} keys", 0)

    def list_prefix(self, prefix: str) -> Iterator[str]:
        start = time.perf_counter()
        out = list(self._store.list_prefix(prefix))
        self._record("list_prefix", start, f"{prefix!r}: {len(out)} keys", 0)
        return iter(out)

    def list_dir(self, prefix: str) -> Iterator[str]:
        start = time.perf_counter()
        out = list(self._store.list_dir(prefix))
        self._record("list_dir", start, f"{prefix!r}: {len(out)} names", 0)
        return iter(out)
