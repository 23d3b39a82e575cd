"""MemoryStore: the shared conformance suite plus its own behaviour."""

from __future__ import annotations

import pickle
import threading

import pytest

from zarrc.errors import ReadOnlyError
from zarrc.storage import LocalStore, MemoryStore
from zarrc.testing.store_conformance import StoreConformance


class TestMemoryStoreConformance(StoreConformance):
    def make_store(self, read_only: bool = False) -> MemoryStore:
        if not hasattr(self, "_data"):
            self._data: dict[str, bytes] = {}
        return MemoryStore(self._data, read_only=read_only)


def test_store_dict_is_shared_not_copied() -> None:
    data: dict[str, bytes] = {}
    store = MemoryStore(data)
    store.set("a/b", bytearray(b"xy"))
    assert data == {"a/b": b"xy"}
    assert type(data["a/b"]) is bytes
    data["c"] = b"direct"
    assert store.get("c") == b"direct"
    assert MemoryStore(data, read_only=True).get("a/b") == b"xy"


def test_default_dicts_are_independent() -> None:
    first, second = MemoryStore(), MemoryStore()
    first.set("k", b"v")
    assert second.get("k") is None


def test_foreign_bytes_like_values_in_supplied_dict() -> None:
    store = MemoryStore({"k": bytearray(b"0123"), "m": memoryview(b"ab")})  # type: ignore[dict-item]
    assert store.get("k") == b"0123"
    assert type(store.get("k")) is bytes
    assert store.get_many(["k", "m"]) == [b"0123", b"ab"]
    assert store.getsize("m") == 2
    assert pickle.loads(pickle.dumps(store)).get("k") == b"0123"


def test_equality_is_by_contents() -> None:
    first, second = MemoryStore(), MemoryStore()
    assert first == second
    first.set("k", b"v")
    assert first != second
    second.set("k", b"v")
    assert first == second
    assert MemoryStore({"k": b"v"}, read_only=True) == first
    assert first != LocalStore("/nonexistent-zarrc-root")
    with pytest.raises(TypeError):
        hash(first)


def test_pickle_is_by_value() -> None:
    store = MemoryStore({"k": b"v"})
    clone = pickle.loads(pickle.dumps(store))
    clone.set("k", b"changed")
    assert store.get("k") == b"v"
    assert clone.get("k") == b"changed"


def test_repr_names_read_only() -> None:
    store = MemoryStore()
    assert repr(store).startswith("MemoryStore('memory://")
    assert "read_only=True" in repr(store.with_read_only())
    assert "read_only" not in repr(store)
    with pytest.raises(ReadOnlyError, match="MemoryStore"):
        store.with_read_only().delete("x")


def test_set_if_not_exists_has_one_winner_across_threads() -> None:
    store = MemoryStore()
    results: list[tuple[int, bool]] = []
    barrier = threading.Barrier(8)

    def race(n: int) -> None:
        barrier.wait()
        results.append((n, store.set_if_not_exists("k", str(n).encode())))

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [n for n, won in results if won]
    assert len(winners) == 1
    assert store.get("k") == str(winners[0]).encode()


def test_listing_is_a_snapshot_while_other_threads_write() -> None:
    store = MemoryStore()
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            store.set(f"w/{i % 50}", b"x")
            store.delete(f"w/{(i + 25) % 50}")
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(200):
            keys = list(store.list_prefix("w/"))
            assert len(keys) == len(set(keys))
            list(store.list_dir("w"))
            store.with_read_only() == store  # noqa: B015 - exercises snapshot under writes
    finally:
        stop.set()
        thread.join()


def test_delete_dir_leaves_name_sharing_siblings() -> None:
    store = MemoryStore({"g/a": b"1", "g/ab": b"2", "g": b"3", "gx/a": b"4"})
    store.delete_dir("g")
    assert sorted(store.list()) == ["g", "gx/a"]
