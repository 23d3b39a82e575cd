"""``MemoryStore``: keys and values in a dict."""

from __future__ import annotations

import threading
from collections.abc import Iterable, MutableMapping, Sequence
from typing import Any

from zarrc.storage._base import (
    ByteRequest,
    BytesLike,
    KeyListingMixin,
    Store,
    _dir_prefix,
    as_byte_view,
    check_byte_request,
    resolve_byte_range,
    validate_prefix,
)

__all__ = ["MemoryStore"]


def _to_bytes(value: Any) -> bytes:
    # Values put into a caller-supplied dict directly may be any bytes-like object.
    return value if type(value) is bytes else as_byte_view(value).tobytes()


class MemoryStore(KeyListingMixin, Store):
    """A store holding its values in memory.

    Values are kept as immutable ``bytes``: later changes to the object passed
    to :meth:`set` do not change the stored value.  Reads and writes from
    several threads at once are safe.

    Parameters
    ----------
    store_dict : MutableMapping of str to bytes, optional
        The mapping to use; it is shared, not copied, so other stores built on
        the same mapping (and :meth:`with_read_only`) see the same data.
    read_only : bool
        Refuse every mutation with ``ReadOnlyError``.
    """

    def __init__(
        self, store_dict: MutableMapping[str, bytes] | None = None, read_only: bool = False
    ) -> None:
        super().__init__(read_only=read_only)
        self._store_dict: MutableMapping[str, bytes] = {} if store_dict is None else store_dict
        # Serialises mutations and snapshots; with_read_only() hands it on so
        # stores sharing a mapping share the lock.  Snapshots also copy with
        # list(), which is atomic for a dict, in case another holder mutates it.
        self._lock = threading.RLock()

    # -- capabilities -----------------------------------------------------------------
    @property
    def cheap_sizes(self) -> bool:
        """Sizes are known without a round trip."""
        return True

    def _lock_scope(self) -> object:
        return id(self._store_dict)

    # -- identity -------------------------------------------------------------------
    def __str__(self) -> str:
        return f"memory://{id(self._store_dict)}"

    def __repr__(self) -> str:
        flag = ", read_only=True" if self._read_only else ""
        return f"MemoryStore('{self}'{flag})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MemoryStore):
            return NotImplemented
        if self._store_dict is other._store_dict:
            return True
        return self._snapshot() == other._snapshot()

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._snapshot(), self._read_only))

    def _snapshot(self) -> dict[str, bytes]:
        with self._lock:
            items = list(self._store_dict.items())
        return {key: _to_bytes(value) for key, value in items}

    def with_read_only(self, read_only: bool = True) -> MemoryStore:
        """A new ``MemoryStore`` over the same mapping with the given ``read_only`` flag."""
        other = type(self)(self._store_dict, read_only=read_only)
        other._lock = self._lock
        return other

    # -- reading ----------------------------------------------------------------------
    def get(self, key: str, byte_range: ByteRequest | None = None) -> bytes | None:
        """Read a value or part of it; ``None`` if the key does not exist."""
        self._check_key(key)
        check_byte_request(byte_range)
        value = self._store_dict.get(key)
        if value is None:
            return None
        value = _to_bytes(value)
        if byte_range is None:
            return value
        start, stop = resolve_byte_range(byte_range, len(value))
        return value[start:stop]

    def get_many(
        self, keys: Sequence[str], byte_ranges: Sequence[ByteRequest | None] | None = None
    ) -> list[bytes | None]:
        """Read several values at once, in order (``None`` for missing keys)."""
        keys, ranges = self._check_many(keys, byte_ranges)
        data = self._store_dict
        out: list[bytes | None] = []
        for key, rng in zip(keys, ranges, strict=True):
            value = data.get(key)
            if value is None:
                out.append(None)
                continue
            value = _to_bytes(value)
            if rng is not None:
                start, stop = resolve_byte_range(rng, len(value))
                value = value[start:stop]
            out.append(value)
        return out

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds a value."""
        self._check_key(key)
        return key in self._store_dict

    def getsize(self, key: str) -> int:
        """Size of the value at ``key`` in bytes; ``FileNotFoundError`` if missing."""
        self._check_key(key)
        value = self._store_dict.get(key)
        if value is None:
            raise FileNotFoundError(f"key {key!r} not found in {self!r}")
        return len(as_byte_view(value))

    # -- writing ----------------------------------------------------------------------
    def set(self, key: str, value: BytesLike) -> None:
        """Store a copy of ``value`` at ``key``."""
        self._check_key(key)
        data = value if type(value) is bytes else as_byte_view(value).tobytes()
        self._check_writable(key)
        with self._lock:
            self._store_dict[key] = data

    def set_many(self, items: Iterable[tuple[str, BytesLike]]) -> None:
        """Store several values; every key is validated before anything is written."""
        pairs = [(key, view.tobytes()) for key, view in self._check_set_many(items)]
        with self._lock:
            self._store_dict.update(pairs)

    def set_if_not_exists(self, key: str, value: BytesLike) -> bool:
        """Store ``value`` only if ``key`` holds nothing; ``True`` if it was written."""
        self._check_key(key)
        data = value if type(value) is bytes else as_byte_view(value).tobytes()
        self._check_writable(key)
        with self._lock:
            if key in self._store_dict:
                return False
            self._store_dict[key] = data
            return True

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error."""
        self._check_key(key)
        self._check_writable(key, "delete")
        with self._lock:
            self._store_dict.pop(key, None)

    def delete_many(self, keys: Iterable[str]) -> None:
        """Remove several keys; every key is validated before anything is deleted."""
        if isinstance(keys, str):
            raise TypeError("delete_many expects an iterable of keys, not a single str")
        checked = [self._check_key(key) for key in keys]
        self._check_writable(
            checked[0] if checked else None, f"delete {len(checked)} keys, the first"
        )
        with self._lock:
            for key in checked:
                self._store_dict.pop(key, None)

    def delete_dir(self, prefix: str) -> None:
        """Remove every key under the directory ``prefix`` (``""``: everything)."""
        validate_prefix(prefix)
        self._check_writable(prefix, "delete directory")
        dir_prefix = _dir_prefix(prefix)
        with self._lock:
            doomed = [key for key in list(self._store_dict) if key.startswith(dir_prefix)]
            for key in doomed:
                del self._store_dict[key]

    # -- listing ------------------------------------------------------------------------
    def _keys(self) -> list[str]:
        # A snapshot, so callers may mutate the store while iterating.
        with self._lock:
            return list(self._store_dict)
