"""LocalStore: the shared conformance suite plus file-system specifics."""

from __future__ import annotations

import errno
import os
import pickle
import resource
import signal
import threading
from pathlib import Path

import pytest

from zarrc.errors import InvalidKeyError, ReadOnlyError, StoreError
from zarrc.storage import TEMP_PREFIX, LocalStore, MemoryStore, RangeByteRequest
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


def test_failed_write_keeps_old_value_and_cleans_up(root: Path) -> None:
    store = LocalStore(root)
    store.set("k", b"old")
    # a file size limit makes the write fail part-way (EFBIG), as a full disk would
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
    try:
        with pytest.raises(StoreError) as info:
            store.set("k", b"new value" * 1000)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)
    assert info.value.key == "k"
    assert info.value.url == str(store)
    assert isinstance(info.value.__cause__, OSError)
    assert info.value.__cause__.errno == errno.EFBIG
    assert sorted(os.listdir(root)) == ["k"]
    assert store.get("k") == b"old"


def test_writes_leave_only_the_key(root: Path) -> None:
    store = LocalStore(root)
    store.set("a/b/c", b"v")
    store.set("a/b/c", b"w")
    assert store.set_if_not_exists("a/b/c", b"x") is False
    assert store.set_if_not_exists("a/b/d", b"y") is True
    assert sorted(os.listdir(root / "a" / "b")) == ["c", "d"]
    assert store.get("a/b/c") == b"w"


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


# -- fsync ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fsync", [False, True])
def test_fsync_option(root: Path, fsync: bool) -> None:
    store = LocalStore(root, fsync=fsync)
    assert store.fsync is fsync
    store.set("a/b/c", b"payload")
    assert store.get("a/b/c") == b"payload"
    native = store.native_root()
    assert native is not None and native.fsync is fsync
    store.set("a/b/c", b"again")
    assert store.set_if_not_exists("a/b/c", b"no") is False
    assert store.get("a/b/c") == b"again"
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "fifo")
        assert not store.exists("fifo")
        assert "fifo" not in set(store.list())


# -- reads ----------------------------------------------------------------------------------
def _bytes_read() -> int:
    with open("/proc/self/io") as f:
        return int(next(line for line in f if line.startswith("rchar:")).split()[1])


@pytest.mark.skipif(not os.path.exists("/proc/self/io"), reason="needs /proc/self/io")
def test_range_reads_do_not_read_whole_file(root: Path) -> None:
    store = LocalStore(root)
    store.set("big", b"")
    with open(root / "big", "r+b") as f:
        f.truncate(64 << 20)  # sparse: cheap to create
        f.seek(40 << 20)
        f.write(b"needle")
    before = _bytes_read()
    assert store.get("big", RangeByteRequest(40 << 20, (40 << 20) + 6)) == b"needle"
    assert store.get_many(["big"], [RangeByteRequest(40 << 20, (40 << 20) + 3)]) == [b"nee"]
    assert _bytes_read() - before < 1 << 20


def test_large_batches_keep_order(root: Path) -> None:
    store = LocalStore(root)
    items = [(f"c/{i}", os.urandom(i % 50)) for i in range(200)]
    store.set_many(items)
    keys = [k for k, _ in reversed(items)]
    assert store.get_many(keys) == [v for _, v in reversed(items)]
    assert store.getsize_prefix("c") == sum(len(v) for _, v in items)
    store.delete_many([k for k, _ in items[::2]] + ["c/missing"])
    assert sorted(store.list()) == sorted(k for k, _ in items[1::2])


def test_new_arrays_use_the_engines_file_io(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An array created in a root that does not exist yet still has the engine open its
    files (its pipeline is made before the first document is written): no chunk goes
    through the store's Python batch calls."""
    import numpy as np

    import zarrc

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("chunk I/O went through LocalStore batch calls")

    a = zarrc.create_array(str(tmp_path / "new.zarr"), shape=(64, 64), chunks=(8, 8), dtype="i4")
    s = zarrc.create_array(
        str(tmp_path / "s.zarr"), shape=(64, 64), chunks=(8, 8), shards=(32, 32), dtype="i4"
    )
    monkeypatch.setattr(zarrc.storage.LocalStore, "get_many", refuse)
    monkeypatch.setattr(zarrc.storage.LocalStore, "set_many", refuse)
    values = np.arange(64 * 64, dtype="i4").reshape(64, 64)
    a[...] = values
    np.testing.assert_array_equal(a[...], values)
    np.testing.assert_array_equal(s[3:40, 5], np.zeros(37, dtype="i4"))


def test_a_removed_root_is_opened_again(tmp_path: Path) -> None:
    """rmtree then a new array at the same path, through the same (cached) store: the
    new directory is written, never the deleted one."""
    import shutil

    import numpy as np

    import zarrc

    path = str(tmp_path / "r.zarr")
    a = zarrc.create_array(path, shape=(8,), chunks=(4,), dtype="i2")
    a[:] = 1
    shutil.rmtree(path)
    b = zarrc.create_array(path, shape=(8,), chunks=(4,), dtype="i2")
    assert b.store is a.store  # the same LocalStore, holding the old root open
    b[:] = 7
    assert sorted(os.listdir(os.path.join(path, "c"))) == ["0", "1"]
    np.testing.assert_array_equal(zarrc.open_array(path)[:], np.full(8, 7, dtype="i2"))
