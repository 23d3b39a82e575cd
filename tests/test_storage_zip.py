"""ZipStore: the shared conformance suite plus archive specifics and zarr-python interop."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import zarrc
from zarrc.errors import InvalidKeyError, ReadOnlyError, StoreError
from zarrc.storage import (
    LocalStore,
    OffsetByteRequest,
    RangeByteRequest,
    SuffixByteRequest,
    ZipStore,
)
from zarrc.storage import _zip as zip_module
from zarrc.testing.store_conformance import StoreConformance


class TestZipStoreConformance(StoreConformance):
    """Every ``make_store`` opens the path anew; the open archive is shared."""

    def make_store(self, read_only: bool = False) -> ZipStore:
        return ZipStore(self.tmp_path / "data.zip", "r" if read_only else "a")


class TestZipStoreDeflatedConformance(StoreConformance):
    """Compressed members take the decompressing read path."""

    def make_store(self, read_only: bool = False) -> ZipStore:
        mode = "r" if read_only else "a"
        return ZipStore(self.tmp_path / "data.zip", mode, compression=zipfile.ZIP_DEFLATED)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data.zip"


def _members(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        return zf.namelist()


def _read_in_subprocess(path: Path, keys: list[str]) -> list[bytes | None]:
    """Read keys through a ZipStore in a fresh interpreter (sees only the file on disk)."""
    code = (
        "import sys, pickle; from zarrc.storage import ZipStore; "
        "s = ZipStore(sys.argv[1], 'r'); "
        "sys.stdout.buffer.write(pickle.dumps([s.get(k) for k in sys.argv[2:]]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), *keys],
        capture_output=True,
        check=True,
        cwd=path.parent,  # not the repository: import the package the test run uses
    )
    return pickle.loads(out.stdout)


# -- modes --------------------------------------------------------------------------------
def test_mode_r_needs_an_existing_archive(path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        ZipStore(path)
    with pytest.raises(FileNotFoundError):
        ZipStore(path, "a", read_only=True)
    assert not path.exists()


def test_mode_w_truncates_and_a_appends(path: Path) -> None:
    with ZipStore(path, "w") as store:
        store.set("old", b"1")
    with ZipStore(path, "a") as store:
        assert store.get("old") == b"1"
        store.set("new", b"2")
    assert sorted(_members(path)) == ["new", "old"]
    with ZipStore(path, "w") as store:
        assert list(store.list()) == []
        store.set("only", b"3")
    assert _members(path) == ["only"]


def test_mode_a_creates_a_missing_archive(path: Path) -> None:
    store = ZipStore(path, "a")
    assert path.exists()
    store.close()
    assert _members(path) == []


def test_mode_x_refuses_an_existing_file(path: Path) -> None:
    with ZipStore(path, "x") as store:
        store.set("k", b"v")
    with pytest.raises(FileExistsError):
        ZipStore(path, "x")
    assert _members(path) == ["k"]


@pytest.mark.parametrize(
    ("mode", "read_only"), [("r", False), ("w", True), ("x", True), ("q", None), ("rb", None)]
)
def test_bad_mode_combinations(path: Path, mode: str, read_only: bool | None) -> None:
    with pytest.raises(ValueError):
        ZipStore(path, mode, read_only=read_only)  # type: ignore[arg-type]


def test_read_only_flag_follows_mode(path: Path) -> None:
    writer = ZipStore(path, "w")
    assert not writer.read_only
    assert ZipStore(path, "r").read_only
    assert ZipStore(path, "a", read_only=True).read_only
    with pytest.raises(ReadOnlyError, match="ZipStore"):
        ZipStore(path, "r").set("k", b"v")


@pytest.mark.parametrize("bad", [None, 3, b"x.zip"])
def test_path_type_checked(bad: object) -> None:
    with pytest.raises(TypeError):
        ZipStore(bad, "w")  # type: ignore[arg-type]


# -- close, rewrite, duplicates -----------------------------------------------------------------
def test_close_writes_a_valid_archive_readable_elsewhere(path: Path) -> None:
    store = ZipStore(path, "w")
    store.set_many([("zarr.json", b"{}"), ("a/c/0", b"\x00" * 100), ("a/c/1", b"\x01")])
    store.close()
    assert sorted(_members(path)) == ["a/c/0", "a/c/1", "zarr.json"]
    assert _read_in_subprocess(path, ["a/c/1", "zarr.json", "nope"]) == [b"\x01", b"{}", None]
    store.set("after", b"reopened")  # the store stays usable after close
    store.close()
    assert "after" in _members(path)


def test_overwrite_leaves_one_entry_per_name(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # zipfile's "Duplicate name" warning must not fire
        store = ZipStore(path, "w")
        store.set("k", b"first")
        store.set("k", b"second")
        store.set("other", b"o")
        store.set("k", b"third")
        assert store.get("k") == b"third"
        assert store.getsize("k") == 5
        assert sorted(store.list()) == ["k", "other"]
        store.close()
    assert sorted(_members(path)) == ["k", "other"]
    with zipfile.ZipFile(path) as zf:
        assert zf.read("k") == b"third"
    assert ZipStore(path, "r").get("k") == b"third"


def test_delete_removes_the_member_on_close(path: Path) -> None:
    store = ZipStore(path, "w")
    store.set_many([("a/1", b"1" * 1000), ("a/2", b"2"), ("b", b"b")])
    store.close()
    size_before = path.stat().st_size
    store.delete("a/1")
    store.delete("missing")
    assert store.get("a/1") is None
    assert not store.exists("a/1")
    store.close()
    assert sorted(_members(path)) == ["a/2", "b"]
    assert path.stat().st_size < size_before
    store.delete_dir("a")
    store.close()
    assert _members(path) == ["b"]


def test_rewrite_keeps_foreign_entries_and_compression(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("dir/", b"")
        zf.writestr("../escape", b"outside")
        zf.writestr("deflated", b"d" * 1000, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("victim", b"v")
    store = ZipStore(path, "a")
    assert sorted(store.list()) == ["deflated", "victim"]
    store.delete("victim")
    store.close()
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["../escape", "deflated", "dir/"]
        assert zf.getinfo("deflated").compress_type == zipfile.ZIP_DEFLATED
        assert zf.read("deflated") == b"d" * 1000


def test_archive_with_duplicate_names_reads_the_last_and_is_cleaned_on_write(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate we make on purpose
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("k", b"old")
            zf.writestr("k", b"new")
    assert ZipStore(path, "r").get("k") == b"new"
    with ZipStore(path, "a") as store:
        store.set("other", b"x")
    assert sorted(_members(path)) == ["k", "other"]
    assert ZipStore(path, "r").get("k") == b"new"


def test_clear_starts_an_empty_archive(path: Path) -> None:
    store = ZipStore(path, "w")
    store.set_many([("a", b"1"), ("b/c", b"2")])
    reader = store.with_read_only()
    store.clear()
    assert list(reader.list()) == []
    store.close()
    assert _members(path) == []


def test_close_with_nothing_changed_leaves_the_file_alone(path: Path) -> None:
    with ZipStore(path, "w") as store:
        store.set("k", b"v")
    before = path.read_bytes()
    with ZipStore(path, "a") as store:
        assert store.get("k") == b"v"
    with ZipStore(path, "r") as store:
        list(store.list())
    assert path.read_bytes() == before


# -- names -------------------------------------------------------------------------------------
def test_unsafe_member_names_are_hidden(path: Path) -> None:
    bad = ["../up", "/abs", "a//b", "./dot", "x/../y", "C:/drive", "tab\tname", "sub/"]
    with zipfile.ZipFile(path, "w") as zf:
        for name in bad:
            zf.writestr(name, b"bad")
        zf.writestr("ok/key", b"good")
    store = ZipStore(path, "r")
    assert list(store.list()) == ["ok/key"]
    assert list(store.list_dir("")) == ["ok"]
    assert list(store.list_prefix("")) == ["ok/key"]
    for name in ("../up", "/abs", "a//b", "x/../y"):
        with pytest.raises(InvalidKeyError):
            store.get(name)


def test_unicode_member_names_round_trip(path: Path) -> None:
    with ZipStore(path, "w") as store:
        store.set("数据/ключ", b"u")
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == ["数据/ключ"]
    assert ZipStore(path, "r").get("数据/ключ") == b"u"


# -- byte ranges and corruption ---------------------------------------------------------------
@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_byte_ranges_of_a_large_member(path: Path, compression: int) -> None:
    data = np.random.default_rng(0).integers(0, 256, 1 << 20, dtype=np.uint8).tobytes()
    with ZipStore(path, "w", compression=compression) as store:
        store.set("pad", b"p" * 12345)
        store.set("big", data)
    store = ZipStore(path, "r")
    cases = [
        (RangeByteRequest(0, 10), data[:10]),
        (RangeByteRequest(500_000, 500_100), data[500_000:500_100]),
        (RangeByteRequest(len(data) - 3, len(data) + 50), data[-3:]),
        (OffsetByteRequest(1_000_000), data[1_000_000:]),
        (SuffixByteRequest(4096), data[-4096:]),
        (SuffixByteRequest(len(data) * 2), data),
        (None, data),
    ]
    for rng, expected in cases:
        assert store.get("big", rng) == expected
    assert store.get_many(["big"] * len(cases), [r for r, _ in cases]) == [e for _, e in cases]


def test_stored_member_byte_flip_is_caught_on_full_read(path: Path) -> None:
    with ZipStore(path, "w") as store:
        store.set("k", b"A" * 64)
    raw = bytearray(path.read_bytes())
    at = raw.index(b"A" * 64)
    raw[at + 10] ^= 0xFF
    path.write_bytes(bytes(raw))
    store = ZipStore(path, "r")
    with pytest.raises(StoreError) as info:
        store.get("k")
    assert info.value.key == "k"
    assert "CRC" in str(info.value)
    assert isinstance(info.value.__cause__, zipfile.BadZipFile)
    assert store.get("k", RangeByteRequest(0, 4)) == b"AAAA"  # ranges cannot be checked


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x05\x06" + b"\x00" * 10])
def test_not_a_zip_archive(path: Path, content: bytes) -> None:
    path.write_bytes(content)
    with pytest.raises(StoreError, match="zip"):
        ZipStore(path, "r")
    if content:
        with pytest.raises(StoreError):
            ZipStore(path, "a")
        assert path.read_bytes() == content  # never appended to


def test_truncated_archive(path: Path) -> None:
    with ZipStore(path, "w") as store:
        store.set("k", b"x" * 1000)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(StoreError):
        ZipStore(path, "r")


# -- sharing, pickling, threads, fork ---------------------------------------------------------
def test_stores_over_one_path_share_unflushed_writes(path: Path, tmp_path: Path) -> None:
    writer = ZipStore(path, "w")
    writer.set("k", b"v")
    assert ZipStore(tmp_path / "." / "data.zip", "r").get("k") == b"v"
    assert writer.with_read_only().get("k") == b"v"
    assert ZipStore(path, "a") == writer
    assert ZipStore(path, "a") != ZipStore(tmp_path / "other.zip", "w")
    assert ZipStore(path, "a") != LocalStore(tmp_path)


def test_pickle_flushes_pending_writes(path: Path) -> None:
    store = ZipStore(path, "w")
    store.set("k", b"v")
    clone = pickle.loads(pickle.dumps(store))
    assert _members(path) == ["k"]  # complete on disk
    assert _read_in_subprocess(path, ["k"]) == [b"v"]
    assert clone.get("k") == b"v" and not clone.read_only
    frozen = pickle.loads(pickle.dumps(store.with_read_only()))
    assert frozen.read_only


def test_repr_and_str(path: Path) -> None:
    store = ZipStore(path, "w")
    assert str(store) == f"zip://{path.resolve()}"
    assert repr(store) == f"ZipStore('zip://{path.resolve()}')"
    assert "read_only=True" in repr(store.with_read_only())


def test_many_threads_write_and_read(path: Path) -> None:
    store = ZipStore(path, "w")
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                store.set(f"t{n}/{i}", bytes([n]) * (i + 1))
                store.set(f"t{n}/{i // 2}", bytes([n]) * (i // 2 + 1))  # overwrite
                assert store.get(f"t{n}/{i}", SuffixByteRequest(1)) == bytes([n])
                if i % 10 == 0:
                    store.delete(f"t{n}/{i}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = {f"t{n}/{i}" for n in range(6) for i in range(50) if i % 10 or i < 25}
    assert set(store.list()) == expected
    store.close()
    assert sorted(_members(path)) == sorted(expected)


def test_archive_is_flushed_when_the_last_store_goes(path: Path) -> None:
    store = ZipStore(path, "w")
    store.set("k", b"v")
    del store
    import gc

    gc.collect()
    assert _members(path) == ["k"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_never_writes_the_parents_archive(path: Path) -> None:
    store = ZipStore(path, "w")
    store.set("k", b"v")
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 0
        try:
            zip_module._close_all()  # what interpreter exit would do
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    store.set("k2", b"w")
    store.close()
    assert sorted(_members(path)) == ["k", "k2"]


# -- arrays ---------------------------------------------------------------------------------
def test_zarrc_array_in_a_zip_read_by_zarr_python(path: Path) -> None:
    zarr = pytest.importorskip("zarr")
    data = np.arange(24 * 30, dtype="int32").reshape(24, 30)
    with ZipStore(path, "w") as store:
        arr = zarrc.create_array(store, name="g/a", shape=data.shape, chunks=(8, 16), dtype="i4")
        arr[...] = data
        arr[0:4, 0:4] = -1  # partial rewrite of a chunk: the member is replaced
    expected = data.copy()
    expected[0:4, 0:4] = -1
    assert len(set(_members(path))) == len(_members(path))
    zstore = zarr.storage.ZipStore(path, mode="r")
    try:
        np.testing.assert_array_equal(zarr.open_array(zstore, path="g/a", mode="r")[...], expected)
    finally:
        zstore.close()


def test_zarr_python_zip_read_by_zarrc(path: Path) -> None:
    zarr = pytest.importorskip("zarr")
    data = np.linspace(0, 1, 500, dtype="float64").reshape(20, 25)
    zstore = zarr.storage.ZipStore(path, mode="w")
    zarr.create_array(zstore, shape=data.shape, chunks=(7, 9), dtype="f8", fill_value=0.5)[...] = (
        data
    )
    zstore.close()
    store = ZipStore(path, "r")
    arr = zarrc.open_array(store, mode="r")
    np.testing.assert_array_equal(arr[...], data)
    np.testing.assert_array_equal(arr[3:17, 5:6], data[3:17, 5:6])
    with pytest.raises(ReadOnlyError):
        arr[0, 0] = 1.0
