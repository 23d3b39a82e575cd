"""Shared fixtures: store factories, hypothesis profiles and the ``slow`` marker.

The implementation under test is imported lazily (through ``tests/_impl.py``) so
that suites which do not need it still collect when it is unavailable.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "dev",
    deadline=None,
    max_examples=10,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=1000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

STORE_KINDS = ("local", "memory")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: long-running test; deselect with -m 'not slow'")


class StoreFactory:
    """Makes fresh, empty stores; each local store gets its own directory.

    Session-scoped, so hypothesis tests can make a new store per example.
    """

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._counter = itertools.count()
        self._roots: dict[int, tuple[Any, Path]] = {}

    def path(self) -> Path:
        """A fresh directory path that does not exist yet."""
        return self._tmp.mktemp("store", numbered=True) / f"s{next(self._counter)}"

    def local(self, *, read_only: bool = False, root: Path | None = None) -> Any:
        from _impl import storage

        root = self.path() if root is None else root
        if read_only:
            store = storage.LocalStore(root, read_only=True)
        else:
            store = storage.LocalStore(root)
        self._roots[id(store)] = (store, root)
        return store

    def memory(self) -> Any:
        from _impl import storage

        return storage.MemoryStore()

    def __call__(self, kind: str) -> Any:
        if kind == "local":
            return self.local()
        if kind == "memory":
            return self.memory()
        raise ValueError(f"unknown store kind {kind!r}")

    def root_of(self, store: Any) -> Path | None:
        """The directory of a local store made by this factory, else ``None``."""
        entry = self._roots.get(id(store))
        return entry[1] if entry is not None and entry[0] is store else None

    def keys(self, store: Any) -> set[str]:
        """All keys in ``store`` (files on disk for local stores)."""
        from _impl import list_local_keys, list_store_keys

        root = self.root_of(store)
        if root is not None:
            return list_local_keys(root)
        return list_store_keys(store)


@pytest.fixture(scope="session")
def store_factory(tmp_path_factory: pytest.TempPathFactory) -> StoreFactory:
    return StoreFactory(tmp_path_factory)


@pytest.fixture
def local_store(store_factory: StoreFactory) -> Any:
    return store_factory.local()


@pytest.fixture
def memory_store(store_factory: StoreFactory) -> Any:
    return store_factory.memory()


@pytest.fixture(params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store(store_factory: StoreFactory, store_kind: str) -> Any:
    return store_factory(store_kind)
