"""A conformance suite every ``zarrc.storage.Store`` implementation must pass.

Subclass :class:`StoreConformance` in a test module under a ``Test*`` name and
implement :meth:`StoreConformance.make_store`::

    class TestMyStore(StoreConformance):
        def make_store(self, read_only=False):
            return MyStore(self.tmp_path / "data", read_only=read_only)

Within one test, every call to ``make_store`` must return a store over the
same (initially empty) data, so a test can write through one store and read
through a read-only one.  ``self.tmp_path`` is a fresh directory per test.
"""

from __future__ import annotations

import array
import pickle
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from zarrc.errors import InvalidKeyError, ReadOnlyError
from zarrc.storage import (
    OffsetByteRequest,
    RangeByteRequest,
    Store,
    SuffixByteRequest,
    validate_key,
)

__all__ = ["SAFE_KEYS", "UNSAFE_KEYS", "UNSAFE_PREFIXES", "StoreConformance"]

# (id, key) pairs every store must refuse.
UNSAFE_KEYS: list[tuple[str, Any]] = [
    ("empty", ""),
    ("leading-slash", "/a"),
    ("absolute", "/etc/passwd"),
    ("trailing-slash", "a/"),
    ("empty-segment", "a//b"),
    ("dot-segment", "a/./b"),
    ("dot-first", "./a"),
    ("dot-only", "."),
    ("dotdot-first", "../x"),
    ("dotdot-middle", "a/../../x"),
    ("dotdot-last", "a/.."),
    ("dotdot-only", ".."),
    ("backslash", "a\\b"),
    ("backslash-traversal", "..\\x"),
    ("nul", "a\x00b"),
    ("newline", "a\nb"),
    ("tab", "a\tb"),
    ("delete-char", "a\x7f"),
    ("c1-control", "a\x85b"),
    ("lone-surrogate", "a\udc80"),
    ("drive", "C:"),
    ("drive-path", "c:/x"),
    ("drive-relative", "C:x"),
    ("drive-segment", "a/D:/b"),
    ("bytes", b"a"),
    ("none", None),
    ("int", 1),
]

# (id, prefix) pairs every listing / delete_dir method must refuse.
UNSAFE_PREFIXES: list[tuple[str, Any]] = [
    ("leading-slash", "/"),
    ("absolute", "/a/"),
    ("double-trailing-slash", "a//"),
    ("dotdot", "../"),
    ("dotdot-bare", ".."),
    ("dotdot-middle", "a/../"),
    ("backslash", "a\\b/"),
    ("drive", "C:/"),
    ("nul", "a\x00/"),
    ("bytes", b"a/"),
    ("none", None),
]

# (id, key) pairs every store must accept.
SAFE_KEYS: list[tuple[str, str]] = [
    ("zarr-json", "zarr.json"),
    ("zarray", ".zarray"),
    ("nested-zattrs", "a/b/.zattrs"),
    ("chunk", "arr/c/0/1/2"),
    ("dots-inside", "a.b/c.d.e"),
    ("dots-only-longer", "a/..."),
    ("dotdot-prefix-name", "..x/y.."),
    ("space", "with space/a b"),
    ("unicode", "ünïcödé/数据/ключ"),
    ("emoji", "group-🙂/x"),
    ("punctuation", "-_~!@#$%^&()+=,;'[]{}"),
    ("colon-later", "time:12/ab:c"),
    ("digits", "0/1/2"),
]

_VALUE = b"0123456789"

# Byte requests on _VALUE and what they must return (clamped like a file read).
_RANGES: list[tuple[Any, bytes]] = [
    (None, _VALUE),
    (RangeByteRequest(0, 10), _VALUE),
    (RangeByteRequest(2, 5), b"234"),
    (RangeByteRequest(5, 5), b""),
    (RangeByteRequest(8, 20), b"89"),
    (RangeByteRequest(10, 12), b""),
    (RangeByteRequest(50, 60), b""),
    (OffsetByteRequest(0), _VALUE),
    (OffsetByteRequest(7), b"789"),
    (OffsetByteRequest(10), b""),
    (OffsetByteRequest(99), b""),
    (SuffixByteRequest(3), b"789"),
    (SuffixByteRequest(0), b""),
    (SuffixByteRequest(10), _VALUE),
    (SuffixByteRequest(99), _VALUE),
]

_KEY_METHODS: dict[str, Callable[[Store, Any], Any]] = {
    "get": lambda s, k: s.get(k),
    "get-range": lambda s, k: s.get(k, RangeByteRequest(0, 1)),
    "get_many": lambda s, k: s.get_many(["ok", k]),
    "exists": lambda s, k: s.exists(k),
    "getsize": lambda s, k: s.getsize(k),
    "set": lambda s, k: s.set(k, b"new"),
    "set_many": lambda s, k: s.set_many([("ok", b"new"), (k, b"new")]),
    "set_if_not_exists": lambda s, k: s.set_if_not_exists(k, b"new"),
    "delete": lambda s, k: s.delete(k),
    "delete_many": lambda s, k: s.delete_many(["ok", k]),
}

_PREFIX_METHODS: dict[str, Callable[[Store, Any], Any]] = {
    "list_prefix": lambda s, p: list(s.list_prefix(p)),
    "list_dir": lambda s, p: list(s.list_dir(p)),
    "delete_dir": lambda s, p: s.delete_dir(p),
    "is_empty": lambda s, p: s.is_empty(p),
}

# Mutations a read-only store must refuse: (id, call, key named in the message).
_MUTATIONS: list[tuple[str, Callable[[Store], Any], str | None]] = [
    ("set-new", lambda s: s.set("new-key", b"x"), "new-key"),
    ("set-existing", lambda s: s.set("a/b", b"x"), "a/b"),
    ("set_many", lambda s: s.set_many([("a/b", b"x"), ("new-key", b"y")]), "a/b"),
    ("set_many-empty", lambda s: s.set_many([]), None),
    ("set_if_not_exists-new", lambda s: s.set_if_not_exists("new-key", b"x"), "new-key"),
    ("set_if_not_exists-existing", lambda s: s.set_if_not_exists("a/b", b"x"), "a/b"),
    ("delete", lambda s: s.delete("a/b"), "a/b"),
    ("delete-missing", lambda s: s.delete("missing"), "missing"),
    ("delete_many", lambda s: s.delete_many(["a/b", "c"]), "a/b"),
    ("delete_dir", lambda s: s.delete_dir("a"), "a"),
    ("delete_dir-root", lambda s: s.delete_dir(""), ""),
    ("clear", lambda s: s.clear(), None),
]

_LISTING = {
    "zarr.json": b"{}",
    "a/zarr.json": b"{1}",
    "a/b/c/0": b"c0",
    "a/b/c/1": b"c1",
    "a/bc": b"bc",
    "ab": b"ab",
    "x y/ünï.cöde": b"u",
}


def _ids(pairs: list[tuple[str, Any]]) -> list[str]:
    return [name for name, _ in pairs]


class StoreConformance:
    """Behaviour shared by every store; subclass it and implement :meth:`make_store`."""

    tmp_path: Path

    @pytest.fixture(autouse=True)
    def _conformance_tmp_path(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path

    def make_store(self, read_only: bool = False) -> Store:
        """A store over this test's data (the same data on every call within a test)."""
        raise NotImplementedError

    # -- helpers ----------------------------------------------------------------------
    def populated(self, items: dict[str, bytes]) -> Store:
        """A writable store holding exactly ``items``."""
        store = self.make_store()
        for key, value in items.items():
            store.set(key, value)
        return store

    @staticmethod
    def contents(store: Store) -> dict[str, bytes | None]:
        """Every key of ``store`` with its value."""
        return {key: store.get(key) for key in store.list()}

    # -- basic round trips ------------------------------------------------------------
    def test_get_set_delete_round_trip(self) -> None:
        store = self.make_store()
        assert store.get("a/b") is None
        store.set("a/b", b"first")
        value = store.get("a/b")
        assert value == b"first"
        assert type(value) is bytes
        store.set("a/b", b"second")
        assert store.get("a/b") == b"second"
        store.delete("a/b")
        assert store.get("a/b") is None
        assert not store.exists("a/b")

    def test_empty_value_is_not_missing(self) -> None:
        store = self.make_store()
        store.set("empty", b"")
        assert store.get("empty") == b""
        assert store.exists("empty")
        assert store.getsize("empty") == 0
        assert store.get("empty", SuffixByteRequest(4)) == b""

    def test_missing_keys(self) -> None:
        store = self.make_store()
        assert store.get("nope") is None
        assert store.get("nope/deeper/still") is None
        assert store.get("nope", RangeByteRequest(0, 4)) is None
        assert store.get("nope", SuffixByteRequest(4)) is None
        assert not store.exists("nope")
        store.delete("nope")  # not an error
        store.delete_many(["nope", "nope/x"])
        with pytest.raises(FileNotFoundError):
            store.getsize("nope")

    def test_key_below_a_value_is_missing(self) -> None:
        store = self.populated({"leaf": b"v"})
        assert store.get("leaf/child") is None
        assert not store.exists("leaf/child")

    def test_bytes_like_values(self) -> None:
        store = self.make_store()
        buf = bytearray(b"mutable")
        store.set("bytearray", buf)
        buf[:] = b"changed"  # the store keeps its own copy
        assert store.get("bytearray") == b"mutable"
        store.set("memoryview", memoryview(b"view"))
        assert store.get("memoryview") == b"view"
        store.set("strided", memoryview(b"abcdef")[::2])
        assert store.get("strided") == b"ace"
        ints = array.array("i", [1, 2, 3])
        store.set("array", ints)
        assert store.get("array") == ints.tobytes()
        assert store.getsize("array") == 3 * ints.itemsize

    @pytest.mark.parametrize("value", ["text", None, 12, [1, 2]])
    def test_non_bytes_values_rejected(self, value: Any) -> None:
        store = self.make_store()
        with pytest.raises(TypeError):
            store.set("k", value)
        with pytest.raises(TypeError):
            store.set_if_not_exists("k", value)
        assert store.get("k") is None

    def test_getsize(self) -> None:
        store = self.populated({"k": b"12345", "d/k": b"1"})
        assert store.getsize("k") == 5
        with pytest.raises(FileNotFoundError):
            store.getsize("d")  # a directory is not a key
        assert store.getsize_prefix("d") == 1
        assert store.getsize_prefix("") == 6

    def test_exists(self) -> None:
        store = self.populated({"a/b/c": b"x"})
        assert store.exists("a/b/c")
        assert not store.exists("a/b")  # a prefix of a key is not a key
        assert not store.exists("a")
        assert not store.exists("a/b/c/d")

    def test_capabilities(self) -> None:
        store = self.make_store()
        for name in ("supports_writes", "supports_deletes", "supports_listing"):
            assert getattr(store, name) is True
        assert isinstance(store.supports_partial_reads, bool)
        assert store.read_only is False
        assert self.make_store(read_only=True).read_only is True

    def test_context_manager(self) -> None:
        store = self.make_store()
        with store as entered:
            assert entered is store
            store.set("k", b"v")
        store.close()
        assert self.make_store().get("k") == b"v"

    def test_concurrent_threads(self) -> None:
        store = self.make_store()
        errors: list[BaseException] = []

        def work(n: int) -> None:
            try:
                for i in range(25):
                    key = f"t{n}/{i}"
                    store.set(key, f"{n}-{i}".encode())
                    assert store.get(key) == f"{n}-{i}".encode()
                    store.get_many([key, f"t{(n + 1) % 4}/{i}"])
                    list(store.list_dir(""))
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert sorted(store.list()) == sorted(f"t{n}/{i}" for n in range(4) for i in range(25))

    # -- byte ranges ------------------------------------------------------------------
    @pytest.mark.parametrize(("byte_range", "expected"), _RANGES, ids=repr)
    def test_byte_ranges(self, byte_range: Any, expected: bytes) -> None:
        store = self.populated({"k": _VALUE})
        assert store.get("k", byte_range) == expected
        assert store.get("k", byte_range=byte_range) == expected
        assert store.get_many(["k"], [byte_range]) == [expected]

    @pytest.mark.parametrize("bad", [(0, 4), slice(0, 4), 3, "0-4"])
    def test_bad_byte_range_type(self, bad: Any) -> None:
        store = self.populated({"k": _VALUE})
        with pytest.raises(TypeError):
            store.get("k", bad)
        with pytest.raises(TypeError):
            store.get_many(["k"], [bad])

    # -- get_many -------------------------------------------------------------------
    def test_get_many_order_and_missing(self) -> None:
        store = self.populated({"a": b"AAAA", "b": b"BBBB", "d/e": b"E"})
        keys = ["b", "missing", "a", "d/e", "b", "d"]
        assert store.get_many(keys) == [b"BBBB", None, b"AAAA", b"E", b"BBBB", None]
        ranges = [RangeByteRequest(1, 2), SuffixByteRequest(1), None, OffsetByteRequest(0)]
        assert store.get_many(["a", "a", "missing", "b"], ranges) == [b"A", b"A", None, b"BBBB"]
        assert store.get_many([]) == []
        assert store.get_many(("a", "b")) == [b"AAAA", b"BBBB"]  # any sequence

    def test_get_many_large_batch_keeps_order(self) -> None:
        items = {f"c/{i}": str(i).encode() * (i % 7 + 1) for i in range(60)}
        store = self.populated(items)
        keys = list(reversed(items)) + ["c/none"]
        assert store.get_many(keys) == [items[k] for k in reversed(items)] + [None]
        suffixes = [SuffixByteRequest(1)] * len(keys)
        assert store.get_many(keys, suffixes) == [items[k][-1:] for k in reversed(items)] + [None]

    def test_get_many_length_mismatch(self) -> None:
        store = self.populated({"a": b"x"})
        with pytest.raises(ValueError):
            store.get_many(["a", "a"], [None])
        with pytest.raises(TypeError):
            store.get_many("a")  # a str is not a sequence of keys

    # -- set_if_not_exists ----------------------------------------------------------
    def test_set_if_not_exists(self) -> None:
        store = self.make_store()
        assert store.set_if_not_exists("k", b"first") is True
        assert store.get("k") == b"first"
        assert store.set_if_not_exists("k", b"second") is False
        assert store.get("k") == b"first"
        store.delete("k")
        assert store.set_if_not_exists("k", b"third") is True
        assert store.get("k") == b"third"
        assert store.set_if_not_exists("deep/er/k", b"nested") is True
        assert store.get("deep/er/k") == b"nested"

    def test_set_many_and_delete_many(self) -> None:
        store = self.make_store()
        store.set_many([("a", b"1"), ("b/c", bytearray(b"2")), ("d", memoryview(b"3"))])
        assert self.contents(store) == {"a": b"1", "b/c": b"2", "d": b"3"}
        store.set_many(iter([("a", b"one")]))
        assert store.get("a") == b"one"
        store.delete_many(["a", "missing", "b/c"])
        assert self.contents(store) == {"d": b"3"}
        store.delete_many(iter(["d"]))
        assert self.contents(store) == {}

    # -- listing ------------------------------------------------------------------------
    def test_list(self) -> None:
        store = self.populated(_LISTING)
        keys = list(store.list())
        assert sorted(keys) == sorted(_LISTING)
        for key in keys:
            assert validate_key(key) == key

    def test_list_empty_store(self) -> None:
        store = self.make_store()
        assert list(store.list()) == []
        assert list(store.list_prefix("")) == []
        assert list(store.list_dir("")) == []
        assert store.is_empty("")

    def test_list_prefix(self) -> None:
        store = self.populated(_LISTING)
        assert sorted(store.list_prefix("")) == sorted(_LISTING)
        assert sorted(store.list_prefix("a/")) == ["a/b/c/0", "a/b/c/1", "a/bc", "a/zarr.json"]
        # Matching is on the string: "a" also matches "ab", "a/b" also "a/bc".
        assert sorted(store.list_prefix("a")) == [
            "a/b/c/0",
            "a/b/c/1",
            "a/bc",
            "a/zarr.json",
            "ab",
        ]
        assert sorted(store.list_prefix("a/b")) == ["a/b/c/0", "a/b/c/1", "a/bc"]
        assert sorted(store.list_prefix("a/b/")) == ["a/b/c/0", "a/b/c/1"]
        assert sorted(store.list_prefix("a/b/c/0")) == ["a/b/c/0"]
        assert sorted(store.list_prefix("x y/")) == ["x y/ünï.cöde"]
        assert list(store.list_prefix("nope/")) == []
        assert list(store.list_prefix("zarr.json/")) == []

    def test_list_dir(self) -> None:
        store = self.populated(_LISTING)
        assert sorted(store.list_dir("")) == ["a", "ab", "x y", "zarr.json"]
        assert sorted(store.list_dir("a")) == ["b", "bc", "zarr.json"]
        assert sorted(store.list_dir("a/")) == ["b", "bc", "zarr.json"]
        assert sorted(store.list_dir("a/b")) == ["c"]
        assert sorted(store.list_dir("a/b/c")) == ["0", "1"]
        assert sorted(store.list_dir("x y")) == ["ünï.cöde"]
        assert list(store.list_dir("nope")) == []
        assert list(store.list_dir("ab")) == []  # a key has no children
        assert list(store.list_dir("a/b/c/0")) == []

    def test_list_dir_shows_new_key_in_parent(self) -> None:
        store = self.make_store()
        store.set("g/arr/c/3/4", b"x")
        assert list(store.list_dir("g/arr/c/3")) == ["4"]
        assert list(store.list_dir("g/arr/c")) == ["3"]
        assert list(store.list_dir("g")) == ["arr"]
        assert list(store.list_dir("")) == ["g"]

    def test_listing_sees_later_writes_and_deletes(self) -> None:
        store = self.populated({"a/1": b"1", "a/2": b"2"})
        store.delete("a/1")
        store.set("a/3", b"3")
        assert sorted(store.list_prefix("a/")) == ["a/2", "a/3"]
        assert sorted(store.list_dir("a")) == ["2", "3"]

    def test_delete_during_listing(self) -> None:
        store = self.populated({f"k/{i}": b"v" for i in range(10)})
        for key in store.list_prefix("k/"):
            store.delete(key)
        assert list(store.list_prefix("k/")) == []

    def test_is_empty(self) -> None:
        store = self.populated({"a/b": b"x", "ab": b"y"})
        assert not store.is_empty("")
        assert not store.is_empty("a")
        assert not store.is_empty("a/")
        assert store.is_empty("nope")
        assert store.is_empty("ab")  # a key is not a directory with members

    # -- delete_dir ---------------------------------------------------------------------
    def test_delete_dir(self) -> None:
        store = self.populated(_LISTING)
        store.delete_dir("a/b")
        expected = {k: v for k, v in _LISTING.items() if not k.startswith("a/b/")}
        assert self.contents(store) == expected
        store.delete_dir("a/")
        expected = {k: v for k, v in expected.items() if not k.startswith("a/")}
        assert self.contents(store) == expected
        assert self.contents(store)["ab"] == b"ab"  # a sibling sharing the name prefix stays
        store.delete_dir("missing")
        store.delete_dir("zarr.json")  # a key is not a directory: it stays
        assert store.get("zarr.json") == b"{}"
        store.delete_dir("")
        assert self.contents(store) == {}
        store.set("again", b"1")  # the store is still usable
        assert self.contents(store) == {"again": b"1"}

    def test_clear(self) -> None:
        store = self.populated(_LISTING)
        store.clear()
        assert list(store.list()) == []

    # -- read-only ----------------------------------------------------------------------
    @pytest.mark.parametrize(
        ("call", "key"),
        [(call, key) for _, call, key in _MUTATIONS],
        ids=[name for name, _, _ in _MUTATIONS],
    )
    def test_read_only_refuses_mutation(
        self, call: Callable[[Store], Any], key: str | None
    ) -> None:
        self.populated({"a/b": b"ab", "c": b"c"})
        store = self.make_store(read_only=True)
        before = self.contents(store)
        with pytest.raises(ReadOnlyError) as info:
            call(store)
        message = str(info.value)
        assert type(store).__name__ in message
        if key:
            assert repr(key) in message
        assert isinstance(info.value, PermissionError)
        assert self.contents(self.make_store()) == before == {"a/b": b"ab", "c": b"c"}

    def test_read_only_still_reads(self) -> None:
        self.populated({"a/b": _VALUE})
        store = self.make_store(read_only=True)
        assert store.get("a/b") == _VALUE
        assert store.get("a/b", RangeByteRequest(0, 2)) == b"01"
        assert store.get_many(["a/b", "x"]) == [_VALUE, None]
        assert store.exists("a/b")
        assert store.getsize("a/b") == 10
        assert list(store.list()) == ["a/b"]
        assert list(store.list_dir("a")) == ["b"]

    def test_with_read_only_shares_data(self) -> None:
        writer = self.make_store()
        reader = writer.with_read_only()
        assert type(reader) is type(writer)
        assert reader.read_only and not writer.read_only
        writer.set("k", b"v1")
        assert reader.get("k") == b"v1"
        with pytest.raises(ReadOnlyError):
            reader.set("k", b"v2")
        writable_again = reader.with_read_only(False)
        assert not writable_again.read_only and reader.read_only
        writable_again.set("k", b"v3")
        assert writer.get("k") == b"v3"
        assert reader.with_read_only(True).read_only

    # -- unsafe keys --------------------------------------------------------------------
    @pytest.mark.parametrize("method", list(_KEY_METHODS), ids=list(_KEY_METHODS))
    @pytest.mark.parametrize("key", [k for _, k in UNSAFE_KEYS], ids=_ids(UNSAFE_KEYS))
    def test_unsafe_key_rejected(self, key: Any, method: str) -> None:
        store = self.populated({"ok": b"keep"})
        with pytest.raises(InvalidKeyError) as info:
            _KEY_METHODS[method](store, key)
        assert isinstance(info.value, ValueError)
        assert repr(key) in str(info.value)
        assert self.contents(store) == {"ok": b"keep"}

    @pytest.mark.parametrize("key", [k for _, k in UNSAFE_KEYS], ids=_ids(UNSAFE_KEYS))
    def test_unsafe_key_rejected_by_read_only_store(self, key: Any) -> None:
        self.populated({"ok": b"keep"})
        store = self.make_store(read_only=True)
        for method in ("get", "exists", "set", "delete"):
            with pytest.raises(InvalidKeyError):
                _KEY_METHODS[method](store, key)

    @pytest.mark.parametrize("method", list(_PREFIX_METHODS), ids=list(_PREFIX_METHODS))
    @pytest.mark.parametrize("prefix", [p for _, p in UNSAFE_PREFIXES], ids=_ids(UNSAFE_PREFIXES))
    def test_unsafe_prefix_rejected(self, prefix: Any, method: str) -> None:
        store = self.populated({"ok": b"keep", "a/b": b"ab"})
        with pytest.raises(InvalidKeyError) as info:
            _PREFIX_METHODS[method](store, prefix)
        assert repr(prefix) in str(info.value)
        assert self.contents(store) == {"ok": b"keep", "a/b": b"ab"}

    @pytest.mark.parametrize("key", [k for _, k in SAFE_KEYS], ids=_ids(SAFE_KEYS))
    def test_safe_key_names_accepted(self, key: str) -> None:
        store = self.make_store()
        value = key.encode()
        store.set(key, value)
        assert store.get(key) == value
        assert store.get_many([key]) == [value]
        assert store.exists(key)
        assert store.getsize(key) == len(value)
        assert list(store.list()) == [key]
        assert list(store.list_prefix(key)) == [key]
        parent, _, name = key.rpartition("/")
        assert list(store.list_dir(parent)) == [name]
        assert store.set_if_not_exists(key, b"other") is False
        store.delete(key)
        assert store.get(key) is None

    # -- equality and pickling --------------------------------------------------------
    def test_equality(self) -> None:
        store = self.populated({"k": b"v"})
        assert store == self.make_store()
        assert store == store.with_read_only()
        assert store != object()
        assert not (store == "k")

    def test_pickle_round_trip(self) -> None:
        store = self.populated({"k": b"v", "d/e": b"e"})
        clone = pickle.loads(pickle.dumps(store))
        assert type(clone) is type(store)
        assert clone == store
        assert clone.read_only is False
        assert self.contents(clone) == {"k": b"v", "d/e": b"e"}
        frozen = pickle.loads(pickle.dumps(self.make_store(read_only=True)))
        assert frozen.read_only is True
        with pytest.raises(ReadOnlyError):
            frozen.set("k", b"x")
        assert frozen.get("k") == b"v"

    def test_repr_and_str(self) -> None:
        store = self.make_store()
        assert type(store).__name__ in repr(store)
        assert str(store)
