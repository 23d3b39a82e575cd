"""``zarrc.storage.make_store``: store-like arguments resolved as zarr-python resolves them."""

from __future__ import annotations

import asyncio
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest

from zarrc.errors import ReadOnlyError
from zarrc.storage import (
    FsspecStore,
    LocalStore,
    MemoryStore,
    Store,
    ZipStore,
    make_store,
)
from zarrc.storage._resolve import StorageOptionsError
from zarrc.testing.latency import LatencyStore

# Options that make an s3fs client without contacting anything (nothing is read here).
_S3_OPTIONS = {
    "key": "k",
    "secret": "s",
    "client_kwargs": {"endpoint_url": "http://127.0.0.1:9", "region_name": "us-east-1"},
}


# -- None, dicts, stores --------------------------------------------------------------------
def test_none_is_a_new_memory_store() -> None:
    first, second = make_store(None), make_store(None)
    assert isinstance(first, MemoryStore) and not first.read_only
    first.set("k", b"v")
    assert second.get("k") is None
    assert make_store(None, mode="r").read_only


def test_dict_is_shared() -> None:
    data: dict[str, bytes] = {}
    store = make_store(data)
    assert isinstance(store, MemoryStore)
    store.set("k", b"v")
    assert data == {"k": b"v"}
    frozen = make_store(data, mode="r")
    assert frozen.read_only and frozen.get("k") == b"v"


def test_store_passes_through_and_is_frozen_for_mode_r(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    assert make_store(store) is store
    assert make_store(store, mode="w") is store
    frozen = make_store(store, mode="r")
    assert isinstance(frozen, LocalStore) and frozen.read_only and frozen == store
    assert not store.read_only  # the caller's store is not changed
    with pytest.raises(ReadOnlyError):
        frozen.set("k", b"v")
    already = store.with_read_only()
    assert make_store(already, mode="r") is already
    wrapped = LatencyStore(MemoryStore(), 0.0)
    assert make_store(wrapped, mode="r").read_only


@pytest.mark.parametrize(
    ("mode", "read_only", "expected"),
    [
        ("r", None, True),
        ("r", False, False),
        ("a", True, True),
        ("w", None, False),
        ("r+", None, False),
        ("w-", None, False),
    ],
)
def test_read_only_override(
    tmp_path: Path, mode: str, read_only: bool | None, expected: bool
) -> None:
    assert make_store(tmp_path, mode=mode, read_only=read_only).read_only is expected
    assert make_store({}, mode=mode, read_only=read_only).read_only is expected


# -- paths ------------------------------------------------------------------------------------
def test_paths_are_local_stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for arg in (tmp_path / "a", str(tmp_path / "a"), f"file://{tmp_path}/a"):
        store = make_store(arg)
        assert isinstance(store, LocalStore)
        assert store.root == (tmp_path / "a").resolve()
    monkeypatch.chdir(tmp_path)
    assert make_store("rel/x").root == (tmp_path / "rel" / "x").resolve()  # type: ignore[attr-defined]
    assert make_store(f"local://{tmp_path}/b").root == tmp_path / "b"  # type: ignore[attr-defined]


def test_mode_r_local_store_is_read_only(tmp_path: Path) -> None:
    store = make_store(str(tmp_path), mode="r")
    assert isinstance(store, LocalStore) and store.read_only


def test_bytes_paths_are_refused() -> None:
    with pytest.raises(TypeError):
        make_store(b"/tmp/x")


# -- zip archives -------------------------------------------------------------------------------
def test_zip_paths_are_zip_stores(tmp_path: Path) -> None:
    path = tmp_path / "data.zip"
    with pytest.raises(FileNotFoundError):
        make_store(path, mode="r")
    writer = make_store(path, mode="w")
    assert isinstance(writer, ZipStore) and not writer.read_only
    writer.set("k", b"v")
    writer.close()
    appender = make_store(str(path), mode="a")
    assert isinstance(appender, ZipStore)
    appender.set("k2", b"w")
    appender.close()
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["k", "k2"]
    reader = make_store(path, mode="r")
    assert isinstance(reader, ZipStore) and reader.read_only
    assert reader.get("k2") == b"w"
    assert make_store(f"file://{path}", mode="a", read_only=True).read_only
    assert isinstance(make_store(tmp_path / "UPPER.ZIP", mode="w"), ZipStore)


def test_zip_mode_w_starts_a_new_archive(tmp_path: Path) -> None:
    path = tmp_path / "data.zip"
    with ZipStore(path, "w") as store:
        store.set("old", b"1")
    with make_store(path, mode="w") as store:
        assert list(store.list()) == []


def test_directory_named_zip_is_a_local_store(tmp_path: Path) -> None:
    (tmp_path / "dir.zip").mkdir()
    assert isinstance(make_store(tmp_path / "dir.zip"), LocalStore)


# -- memory URLs --------------------------------------------------------------------------------
def test_memory_urls() -> None:
    assert isinstance(make_store("memory://"), MemoryStore)
    anon = make_store("memory://")
    anon.set("k", b"v")
    assert make_store("memory://").get("k") is None  # unnamed: a new store each time
    name = f"memory://zarrc-{uuid.uuid4().hex}"
    named = make_store(name)
    named.set("k", b"v")
    assert make_store(name).get("k") == b"v"  # named: shared in the process
    assert make_store(name + "/", mode="r").read_only
    assert make_store(f"memory://zarrc-{uuid.uuid4().hex}").get("k") is None


# -- remote URLs --------------------------------------------------------------------------------
def test_s3_url_is_an_fsspec_store() -> None:
    pytest.importorskip("s3fs")
    store = make_store("s3://bucket/data.zarr", storage_options=_S3_OPTIONS)
    assert isinstance(store, FsspecStore)
    assert store.path == "bucket/data.zarr"
    assert str(store) == "s3://bucket/data.zarr"
    assert not store.read_only
    assert make_store("s3://bucket/x", mode="r", storage_options=_S3_OPTIONS).read_only
    assert not make_store(
        "s3://bucket/x", mode="r", read_only=False, storage_options=_S3_OPTIONS
    ).read_only


def test_http_url_is_an_fsspec_store() -> None:
    pytest.importorskip("aiohttp")
    store = make_store("http://127.0.0.1:9/data.zarr", mode="r")
    assert isinstance(store, FsspecStore) and store.read_only


def test_chained_url_is_an_fsspec_store(tmp_path: Path) -> None:
    pytest.importorskip("fsspec")
    inner = tmp_path / "archive.zip"
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("zarr.json", b"{}")
    store = make_store(f"zip::file://{inner}", mode="r")
    assert isinstance(store, FsspecStore)
    assert store.get("zarr.json") == b"{}"


def test_fsspec_mapper() -> None:
    fsspec = pytest.importorskip("fsspec")
    mapper = fsspec.get_mapper(f"memory://zarrc-{uuid.uuid4().hex}")
    store = make_store(mapper, mode="r")
    assert isinstance(store, FsspecStore) and store.read_only


# -- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "store_like",
    [None, {}, "relative/path", "file:///tmp/x", "memory://x", "data.zip", MemoryStore()],
    ids=["none", "dict", "path", "file-url", "memory-url", "zip", "store"],
)
@pytest.mark.parametrize("options", [{"anon": True}, {}], ids=["options", "empty"])
def test_storage_options_need_a_remote_url(store_like: Any, options: dict[str, Any]) -> None:
    with pytest.raises(StorageOptionsError, match="storage_options") as info:
        make_store(store_like, storage_options=options)
    assert isinstance(info.value, TypeError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("bad", [3, 2.5, ["a"], object()])
def test_unsupported_types(bad: Any) -> None:
    with pytest.raises(TypeError, match="unsupported store"):
        make_store(bad)


@pytest.mark.parametrize("mode", ["x", "rw", "", None])
def test_bad_mode(mode: Any) -> None:
    with pytest.raises(ValueError, match="mode"):
        make_store(None, mode=mode)


# -- parity with zarr-python -----------------------------------------------------------------------
def test_same_kinds_as_zarr_python(tmp_path: Path) -> None:
    zarr = pytest.importorskip("zarr")
    from zarr.storage._common import make_store as zarr_make_store

    def theirs(store_like: Any, **kwargs: Any) -> Store:
        return asyncio.run(zarr_make_store(store_like, **kwargs))

    cases: list[tuple[Any, dict[str, Any]]] = [
        (None, {}),
        ({}, {}),
        (tmp_path / "p", {}),
        (str(tmp_path), {"mode": "r"}),
        ("s3://bucket/x", {"storage_options": _S3_OPTIONS}),
    ]
    for store_like, kwargs in cases:
        ours, other = make_store(store_like, **kwargs), theirs(store_like, **kwargs)
        assert type(ours).__name__ == type(other).__name__, store_like
        assert ours.read_only == other.read_only, store_like
    with pytest.raises(TypeError):
        theirs(str(tmp_path), storage_options={"anon": True})
    with pytest.raises(TypeError):
        make_store(str(tmp_path), storage_options={"anon": True})
    assert zarr is not None
