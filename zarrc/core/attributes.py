"""User attributes of an array or group, written back on every change."""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

__all__ = ["Attributes"]


class Attributes(MutableMapping[str, Any]):
    """A mutable mapping view of a node's attributes.

    Every mutation rewrites the node's metadata document through ``commit``,
    so the change is visible to other readers at once.
    """

    def __init__(self, get: Callable[[], dict[str, Any]], commit: Callable[[dict], None]):
        self._get = get
        self._commit = commit

    def __getitem__(self, key: str) -> Any:
        return self._get()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        new = dict(self._get())
        new[key] = value
        self._commit(new)

    def __delitem__(self, key: str) -> None:
        new = dict(self._get())
        del new[key]
        self._commit(new)

    def __iter__(self) -> Iterator[str]:
        return iter(dict(self._get()))

    def __len__(self) -> int:
        return len(self._get())

    def put(self, d: dict[str, Any]) -> None:
        """Replace every attribute with ``d``."""
        self._commit(dict(d))

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Update several attributes with a single write."""
        new = dict(self._get())
        new.update(*args, **kwargs)
        self._commit(new)

    def asdict(self) -> dict[str, Any]:
        """A copy of the attributes as a plain dict."""
        return dict(self._get())

    def __repr__(self) -> str:
        return repr(self._get())
