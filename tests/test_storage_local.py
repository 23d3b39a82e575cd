"""LocalStore: the shared conformance suite plus file-system specifics."""

from __future__ import annotations

import os
import pickle
import re
import threading
from pathlib import Path

import pytest

from zarrc.errors import InvalidKeyError, ReadOnlyError, StoreError
from zarrc.storage import TEMP_PREFIX, LocalStore, MemoryStore, RangeByteRequest, _local
from zarrc.testing.store_conformance import StoreConformance


class TestLocalStoreConformance(StoreConformance):
    def make_store(self, read_only: bool = False) -> LocalStore:
        return LocalStore(self.tmp_path / "root", read_only=read_only)


class TestLocalStoreFsyncConformance(StoreConformance):
    """The fsync code path must behave identically."""

    def make_store(self, read_only: bool = False) -> LocalStore:
        return LocalStore(self.tmp_path / "root", read_only=read_only, fsync=True)


def _tree(path: Path) -> dict[str, bytes | None]:
    """Every entry under ``path``: files with contents, directories as None."""
    out: dict[str, bytes | None] = {}
    for entry in sorted(path.rglob("*")):
        rel = entry.relative_to(path).as_posix()
        out[rel] = None if entry.is_dir() and not entry.is_symlink() else b"<link>"
        if entry.is_file() and not entry.is_symlink():
            out[rel] = entry.read_bytes()
    return out


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "root"


# -- construction and identity ------------------------------------------------------------
def test_root_is_resolved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    store = LocalStore("alias/./sub")
    assert isinstance(store.root, Path)
    assert store.root == (tmp_path / "real" / "sub").resolve()
    assert store == LocalStore(str(tmp_path / "real" / "sub") + "/")
    assert hash(store) == hash(LocalStore(tmp_path / "real" / "sub"))
    assert str(store) == store.root.as_uri()


@pytest.mark.parametrize("bad", [None, 3, b"/tmp/x", ["a"]])
def test_root_type_checked(bad: object) -> None:
    with pytest.raises(TypeError):
        LocalStore(bad)  # type: ignore[arg-type]


def test_equality_by_root(tmp_path: Path) -> None:
    assert LocalStore(tmp_path / "a") != LocalStore(tmp_path / "b")
    assert LocalStore(tmp_path / "a") == LocalStore(tmp_path / "a", read_only=True, fsync=True)
    assert LocalStore(tmp_path / "a") != MemoryStore()


def test_pickle_keeps_root_and_flags(root: Path) -> None:
    store = LocalStore(root, read_only=True, fsync=True)
    clone = pickle.loads(pickle.dumps(store))
    assert (clone.root, clone.read_only, clone.fsync) == (store.root, True, True)
    assert "read_only=True" in repr(clone) and "fsync=True" in repr(clone)
    assert repr(LocalStore(root)) == f"LocalStore({str(root.resolve())!r})"


# -- layout on disk --------------------------------------------------------------------
def test_keys_are_files_under_root(root: Path) -> None:
    store = LocalStore(root)
    store.set("a/b/c", b"abc")
    store.set("zarr.json", b"{}")
    assert (root / "a" / "b" / "c").read_bytes() == b"abc"
    assert (root / "zarr.json").read_bytes() == b"{}"
    assert _tree(root) == {"a": None, "a/b": None, "a/b/c": b"abc", "zarr.json": b"{}"}


def test_files_written_by_others_are_read(root: Path) -> None:
    (root / "x" / "c").mkdir(parents=True)
    (root / "x" / "c" / "0").write_bytes(b"chunk")
    store = LocalStore(root, read_only=True)
    assert store.get("x/c/0") == b"chunk"
    assert list(store.list()) == ["x/c/0"]


def test_delete_keeps_directories_delete_dir_removes_them(root: Path) -> None:
    store = LocalStore(root)
    store.set("g/arr/c/0", b"0")
    store.set("g/arr/c/1", b"1")
    store.delete("g/arr/c/0")
    store.delete("g/arr/c/1")
    assert (root / "g" / "arr" / "c").is_dir()
    assert list(store.list()) == []
    store.set("g/arr/zarr.json", b"{}")
    store.delete_dir("g/arr")
    assert not (root / "g" / "arr").exists()
    assert (root / "g").is_dir()
    store.delete_dir("")
    assert root.is_dir() and list(root.iterdir()) == []


def test_delete_of_a_directory_is_a_no_op(root: Path) -> None:
    store = LocalStore(root)
    store.set("d/x", b"x")
    store.delete("d")
    assert store.get("d/x") == b"x"


# -- missing root -----------------------------------------------------------------------------
def test_read_only_store_on_missing_directory(root: Path) -> None:
    store = LocalStore(root, read_only=True)
    assert list(store.list()) == []
    assert list(store.list_prefix("a/")) == []
    assert list(store.list_dir("")) == []
    assert store.get("zarr.json") is None
    assert store.get_many(["a", "b"]) == [None, None]
    assert not store.exists("zarr.json")
    assert store.is_empty()
    with pytest.raises(ReadOnlyError):
        store.set("zarr.json", b"{}")
    assert not root.exists()


def test_root_created_lazily_on_first_write(root: Path) -> None:
    store = LocalStore(root / "deeper")
    assert store.get("k") is None
    assert not root.exists()
    store.set("k", b"v")
    assert (root / "deeper" / "k").read_bytes() == b"v"


# -- atomic writes and temp files ----------------------------------------------------------
def test_temp_files_never_listed(root: Path) -> None:
    store = LocalStore(root)
    store.set("a/b", b"1")
    (root / f"{TEMP_PREFIX}0123abcd").write_bytes(b"partial")
    (root / "a" / f"{TEMP_PREFIX}feedbeef").write_bytes(b"partial")
    (root / "a" / f"{TEMP_PREFIX}dir").mkdir()
    (root / "a" / f"{TEMP_PREFIX}dir" / "x").write_bytes(b"x")
    assert list(store.list()) == ["a/b"]
    assert list(store.list_prefix("a/")) == ["a/b"]
    assert list(store.list_prefix("a/.zarrc")) == []
    assert list(store.list_dir("a")) == ["b"]
    assert list(store.list_dir("")) == ["a"]
    assert store.getsize_prefix("") == 1


@pytest.mark.parametrize(
    "key", [f"{TEMP_PREFIX}0123abcd", f"a/{TEMP_PREFIX}x/y", f"a/{TEMP_PREFIX}"]
)
def test_temp_names_are_reserved(root: Path, key: str) -> None:
    store = LocalStore(root)
    for call in (store.get, store.exists, store.delete, lambda k: store.set(k, b"x")):
        with pytest.raises(InvalidKeyError, match="reserved"):
            call(key)
    with pytest.raises(InvalidKeyError, match="reserved"):
        store.delete_dir(key)
    assert not root.exists()


def test_crash_mid_write_leaves_old_value(root: Path) -> None:
    store = LocalStore(root)
    store.set("arr/c/0", b"old value")
    # What a process killed between writing the temp file and renaming leaves behind.
    (root / "arr" / "c" / f"{TEMP_PREFIX}5eed").write_bytes(b"new va")
    assert store.get("arr/c/0") == b"old value"
    assert list(store.list()) == ["arr/c/0"]
    store.set("arr/c/0", b"new value")
    assert store.get("arr/c/0") == b"new value"


def test_failed_write_keeps_old_value_and_cleans_up(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStore(root)
    store.set("k", b"old")

    def broken_write(fd: int, view: memoryview) -> None:
        os.write(fd, view[:2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_local, "_write_all", broken_write)
    with pytest.raises(StoreError) as info:
        store.set("k", b"new value")
    assert info.value.key == "k"
    assert info.value.url == str(store)
    assert isinstance(info.value.__cause__, OSError)
    assert "No space left" in str(info.value)
    assert sorted(os.listdir(root)) == ["k"]
    assert store.get("k") == b"old"


def test_writes_rename_a_temp_file_in_the_same_directory(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalStore(root)
    moves: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        moves.append((src, dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    store.set("a/b/c", b"v")
    assert len(moves) == 1
    src, dst = moves[0]
    assert dst == str(root.resolve() / "a" / "b" / "c")
    assert os.path.dirname(src) == os.path.dirname(dst)
    assert re.fullmatch(re.escape(TEMP_PREFIX) + "[0-9a-f]{16}", os.path.basename(src))
    assert sorted(os.listdir(root / "a" / "b")) == ["c"]


def test_set_if_not_exists_is_atomic_across_threads(root: Path) -> None:
    store = LocalStore(root)
    results: list[tuple[int, bool]] = []
    barrier = threading.Barrier(6)

    def race(n: int) -> None:
        barrier.wait()
        results.append((n, store.set_if_not_exists("meta/zarr.json", str(n).encode() * 100)))

    threads = [threading.Thread(target=race, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [n for n, won in results if won]
    assert len(winners) == 1
    assert store.get("meta/zarr.json") == str(winners[0]).encode() * 100
    assert os.listdir(root / "meta") == ["zarr.json"]


def test_set_if_not_exists_without_hard_links(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(src: str, dst: str) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    store = LocalStore(root)
    assert store.set_if_not_exists("k", b"first") is True
    assert store.set_if_not_exists("k", b"second") is False
    assert store.get("k") == b"first"
    assert os.listdir(root) == ["k"]


# -- fsync ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fsync", [False, True])
def test_fsync_option(root: Path, monkeypatch: pytest.MonkeyPatch, fsync: bool) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    store = LocalStore(root, fsync=fsync)
    store.set("a/b/c", b"payload")
    assert store.get("a/b/c") == b"payload"
    if not fsync:
        assert synced == []
        return
    # The file, its directory, and the parents of the three new directories.
    assert len(synced) >= 5
    synced.clear()
    store.set("a/b/c", b"again")
    assert len(synced) == 2  # the file and its directory
    synced.clear()
    assert store.set_if_not_exists("a/b/c", b"no") is False
    assert store.set_if_not_exists("a/b/d", b"yes") is True
    assert len(synced) >= 3


# -- paths that would leave the root ----------------------------------------------------------
@pytest.mark.parametrize("key", ["../x", "a/../../x", "..", "/x", "a/..\\..\\x", "C:/x"])
def test_traversal_keys_write_nothing(tmp_path: Path, root: Path, key: str) -> None:
    store = LocalStore(root)
    store.set("inside", b"1")
    before = _tree(tmp_path)
    with pytest.raises(InvalidKeyError):
        store.set(key, b"escaped")
    with pytest.raises(InvalidKeyError):
        store.set_many([(key, b"escaped")])
    with pytest.raises(InvalidKeyError):
        store.set_if_not_exists(key, b"escaped")
    with pytest.raises(InvalidKeyError):
        store.delete(key)
    assert _tree(tmp_path) == before
    assert not (tmp_path / "x").exists()


@pytest.fixture
def escape(tmp_path: Path, root: Path) -> tuple[LocalStore, Path]:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_bytes(b"secret")
    store = LocalStore(root)
    store.set("inside", b"1")
    (root / "dirlink").symlink_to(outside, target_is_directory=True)
    (root / "filelink").symlink_to(outside / "secret")
    (root / "rel").symlink_to("../outside", target_is_directory=True)
    return store, outside


@pytest.mark.parametrize(
    "key", ["dirlink/secret", "filelink", "rel/secret", "dirlink/new", "rel/new/deeper"]
)
def test_symlink_escape_refused(escape: tuple[LocalStore, Path], key: str) -> None:
    store, outside = escape
    calls = [
        lambda: store.get(key),
        lambda: store.get(key, RangeByteRequest(0, 2)),
        lambda: store.get_many(["inside", key]),
        lambda: store.exists(key),
        lambda: store.getsize(key),
        lambda: store.set(key, b"pwned"),
        lambda: store.set_if_not_exists(key, b"pwned"),
        lambda: store.delete(key),
        lambda: store.delete_dir(key),
        lambda: list(store.list_dir(key)),
        lambda: list(store.list_prefix(key + "/")),
    ]
    for call in calls:
        with pytest.raises(InvalidKeyError, match="outside the root"):
            call()
    assert _tree(outside) == {"secret": b"secret"}


def test_escaping_links_are_not_listed(escape: tuple[LocalStore, Path]) -> None:
    store, outside = escape
    assert list(store.list()) == ["inside"]
    assert list(store.list_dir("")) == ["inside"]
    assert list(store.list_prefix("")) == ["inside"]
    store.delete_dir("")
    assert _tree(outside) == {"secret": b"secret"}
    assert list(store.root.iterdir()) == []


def test_links_within_root_are_followed(root: Path) -> None:
    store = LocalStore(root)
    store.set("real/k", b"v")
    (root / "alias").symlink_to(root / "real", target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    assert store.get("alias/k") == b"v"
    assert store.get("loop/real/k") == b"v"
    keys = set(store.list())
    assert {"real/k", "alias/k"} <= keys  # a link cycle is not followed forever
    assert sorted(store.list_dir("")) == ["alias", "loop", "real"]
    store.delete_dir("alias")  # removes the link, not the data behind it
    assert not (root / "alias").exists()
    assert store.get("real/k") == b"v"


# -- errors ----------------------------------------------------------------------------------
def test_os_errors_become_store_errors(root: Path) -> None:
    store = LocalStore(root)
    store.set("file", b"x")
    store.set("dir/child", b"y")
    with pytest.raises(StoreError) as info:
        store.set("file/below", b"z")  # a file where a directory is needed
    assert info.value.key == "file/below"
    assert isinstance(info.value.__cause__, OSError)
    with pytest.raises(StoreError) as info:
        store.set("dir", b"z")  # a directory where a file is needed
    assert info.value.key == "dir"
    assert str(root.resolve()) in str(info.value)
    assert store.get("dir/child") == b"y"
    (root / "self").symlink_to("self")  # a symlink loop
    with pytest.raises(StoreError):
        store.get("self")
    assert sorted(os.listdir(root)) == ["dir", "file", "self"]


def test_non_files_are_not_keys(root: Path) -> None:
    store = LocalStore(root)
    store.set("d/x", b"x")
    assert store.get("d") is None
    assert not store.exists("d")
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "fifo")
        assert not store.exists("fifo")
        assert "fifo" not in set(store.list())


# -- reads ----------------------------------------------------------------------------------
def test_range_reads_do_not_read_whole_file(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalStore(root)
    store.set("big", b"")
    with open(root / "big", "r+b") as f:
        f.truncate(64 << 20)  # sparse: cheap to create
        f.seek(40 << 20)
        f.write(b"needle")
    requested: list[int] = []
    real_pread = os.pread

    def spy(fd: int, n: int, offset: int) -> bytes:
        requested.append(n)
        return real_pread(fd, n, offset)

    monkeypatch.setattr(os, "pread", spy)
    assert store.get("big", RangeByteRequest(40 << 20, (40 << 20) + 6)) == b"needle"
    assert store.get_many(["big"], [RangeByteRequest(40 << 20, (40 << 20) + 3)]) == [b"nee"]
    assert max(requested) <= 6


def test_large_batches_keep_order(root: Path) -> None:
    store = LocalStore(root)
    items = [(f"c/{i}", os.urandom(i % 50)) for i in range(200)]
    store.set_many(items)
    keys = [k for k, _ in reversed(items)]
    assert store.get_many(keys) == [v for _, v in reversed(items)]
    assert store.getsize_prefix("c") == sum(len(v) for _, v in items)
    store.delete_many([k for k, _ in items[::2]] + ["c/missing"])
    assert sorted(store.list()) == sorted(k for k, _ in items[1::2])
