"""Runtime configuration, compatible with ``zarr.config``.

Keys use dots (``"array.write_empty_chunks"``).  ``config.set`` applies at
once and, used as a context manager, restores the previous values on exit.
The engine's thread count comes from ``threads`` (environment variable
``ZARRC_THREADS``, default: the number of CPUs).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

__all__ = ["Config", "config"]

_MISSING = object()


def _default_threads() -> int:
    env = os.environ.get("ZARRC_THREADS")
    if env:
        try:
            n = int(env)
        except ValueError:
            raise ValueError(f"ZARRC_THREADS must be a positive integer, got {env!r}") from None
        if n < 1:
            raise ValueError(f"ZARRC_THREADS must be a positive integer, got {env!r}")
        return n
    return os.cpu_count() or 1


def _defaults() -> dict[str, Any]:
    return {
        "threads": _default_threads(),
        "array.order": "C",
        "array.write_empty_chunks": False,
        "async.concurrency": 10,
        # sharded reads: merge inner-chunk ranges closer than this many bytes,
        # up to this many bytes per request
        "sharding.coalesce_gap": 1 << 16,
        "sharding.coalesce_max": 64 << 20,
    }


def _check(key: str, value: Any) -> Any:
    if key == "threads":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"config 'threads' must be a positive integer, got {value!r}")
    elif key == "array.order":
        if value not in ("C", "F"):
            raise ValueError(f"config 'array.order' must be 'C' or 'F', got {value!r}")
    elif key == "array.write_empty_chunks":
        if not isinstance(value, bool):
            raise ValueError(f"config 'array.write_empty_chunks' must be a bool, got {value!r}")
    return value


class _Restore:
    """What ``Config.set`` returns: already applied; restores on ``__exit__``."""

    def __init__(self, cfg: Config, previous: dict[str, Any]):
        self._cfg = cfg
        self._previous = previous

    def __enter__(self) -> Config:
        return self._cfg

    def __exit__(self, *exc: object) -> None:
        with self._cfg._lock:
            for key, value in self._previous.items():
                if value is _MISSING:
                    self._cfg._values.pop(key, None)
                else:
                    self._cfg._values[key] = value


class Config:
    """A small dotted-key configuration store (the subset of donfig zarr users use)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._values: dict[str, Any] = _defaults()

    def get(self, key: str, default: Any = _MISSING) -> Any:
        """The value of ``key``; ``default`` (or ``KeyError``) when unset."""
        try:
            return self._values[key]
        except KeyError:
            if default is _MISSING:
                raise KeyError(f"unknown config key {key!r}") from None
            return default

    def set(self, arg: Mapping[str, Any] | None = None, **kwargs: Any) -> _Restore:
        """Set values now; use as a context manager to restore them afterwards.

        Keyword names may use ``__`` for dots: ``config.set(array__order="F")``.
        """
        updates: dict[str, Any] = dict(arg or {})
        updates.update({k.replace("__", "."): v for k, v in kwargs.items()})
        with self._lock:
            previous = {k: self._values.get(k, _MISSING) for k in updates}
            for key, value in updates.items():
                self._values[key] = _check(key, value)
        return _Restore(self, previous)

    def reset(self) -> None:
        """Back to the defaults (environment variables are read again)."""
        with self._lock:
            self._values = _defaults()

    @contextmanager
    def override(self, **kwargs: Any) -> Iterator[Config]:
        """Shorthand for ``with config.set(...)``."""
        with self.set(**kwargs):
            yield self

    def to_dict(self) -> dict[str, Any]:
        """A copy of every value."""
        return dict(self._values)

    def __repr__(self) -> str:
        return f"Config({self._values!r})"


config = Config()
