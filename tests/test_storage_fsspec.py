"""FsspecStore: the conformance suite over fsspec's memory file system, the local file
system and S3 (s3fs against moto's server on 127.0.0.1), plus errors, concurrency,
request counts and listing behaviour."""

from __future__ import annotations

import asyncio
import pickle
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

fsspec = pytest.importorskip("fsspec")

import _s3server  # noqa: E402
from fsspec.asyn import AsyncFileSystem  # noqa: E402
from fsspec.implementations.local import LocalFileSystem  # noqa: E402
from fsspec.implementations.memory import MemoryFileSystem  # noqa: E402

from zarrc.config import config  # noqa: E402
from zarrc.errors import ReadOnlyError, StoreError  # noqa: E402
from zarrc.storage import (  # noqa: E402
    FsspecStore,
    MemoryStore,
    OffsetByteRequest,
    RangeByteRequest,
    SuffixByteRequest,
)
from zarrc.testing.store_conformance import StoreConformance  # noqa: E402

_S3_MISSING = _s3server.s3_available()
needs_s3 = pytest.mark.skipif(_S3_MISSING is not None, reason=f"S3 test server: {_S3_MISSING}")


@pytest.fixture(scope="session")
def s3() -> Iterator[_s3server.S3Server]:
    if _S3_MISSING is not None:
        pytest.skip(f"S3 test server: {_S3_MISSING}")
    server = _s3server.acquire()
    yield server
    _s3server.release()


@pytest.fixture(scope="session")
def bucket(s3: _s3server.S3Server) -> str:
    return s3.create_bucket()


@pytest.fixture
def s3_root(bucket: str) -> str:
    return f"{bucket}/{uuid.uuid4().hex}"


@pytest.fixture
def s3_store(s3: _s3server.S3Server, s3_root: str) -> FsspecStore:
    return FsspecStore(s3.filesystem(), s3_root)


# -- conformance ------------------------------------------------------------------------------
class TestFsspecMemoryConformance(StoreConformance):
    """A synchronous file system: batches go through the thread pool."""

    @pytest.fixture(autouse=True)
    def _root(self) -> Iterator[None]:
        self._path = f"/zarrc-{uuid.uuid4().hex}"
        yield
        fs = MemoryFileSystem()
        if fs.exists(self._path):
            fs.rm(self._path, recursive=True)

    def make_store(self, read_only: bool = False) -> FsspecStore:
        return FsspecStore(MemoryFileSystem(), self._path, read_only=read_only)


class TestFsspecLocalConformance(StoreConformance):
    """A synchronous file system that needs parent directories made."""

    def make_store(self, read_only: bool = False) -> FsspecStore:
        return FsspecStore(LocalFileSystem(), str(self.tmp_path / "root"), read_only=read_only)


@needs_s3
class TestFsspecS3Conformance(StoreConformance):
    """An asynchronous file system: batches run as coroutines on its loop."""

    @pytest.fixture(autouse=True)
    def _s3(self, s3: _s3server.S3Server, s3_root: str) -> None:
        self._fs = s3.filesystem()
        self._path = s3_root

    def make_store(self, read_only: bool = False) -> FsspecStore:
        return FsspecStore(self._fs, self._path, read_only=read_only)


# -- construction and identity ------------------------------------------------------------------
def test_from_url_memory() -> None:
    name = uuid.uuid4().hex
    store = FsspecStore.from_url(f"memory://{name}/data")
    assert isinstance(store.fs, MemoryFileSystem)
    assert store.path == f"/{name}/data"
    assert str(store) == f"memory:///{name}/data"
    store.set("a/b", b"x")
    assert MemoryFileSystem().cat_file(f"/{name}/data/a/b") == b"x"
    assert FsspecStore.from_url(f"memory://{name}/data/", read_only=True) == store


def test_from_url_local(tmp_path: Path) -> None:
    store = FsspecStore.from_url(f"file://{tmp_path}/root")
    store.set("deep/er/k", b"v")
    assert (tmp_path / "root" / "deep" / "er" / "k").read_bytes() == b"v"
    assert list(store.list()) == ["deep/er/k"]


def test_from_mapper() -> None:
    name = uuid.uuid4().hex
    mapper = fsspec.get_mapper(f"memory://{name}")
    mapper["k"] = b"v"
    store = FsspecStore.from_mapper(mapper, read_only=True)
    assert store.read_only
    assert store.get("k") == b"v"


def test_constructor_type_checks() -> None:
    with pytest.raises(TypeError):
        FsspecStore(object())
    with pytest.raises(TypeError):
        FsspecStore(MemoryFileSystem(), path=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        FsspecStore.from_url(b"memory://x")  # type: ignore[arg-type]


def test_equality_and_pickle() -> None:
    name = uuid.uuid4().hex
    store = FsspecStore(MemoryFileSystem(), f"/{name}")
    assert store == FsspecStore(MemoryFileSystem(), f"/{name}/", read_only=True)
    assert store != FsspecStore(MemoryFileSystem(), f"/{name}x")
    assert store != MemoryStore()
    with pytest.raises(TypeError):
        hash(store)
    clone = pickle.loads(pickle.dumps(store.with_read_only()))
    assert clone == store and clone.read_only
    assert repr(clone) == f"FsspecStore('memory:///{name}', read_only=True)"


@needs_s3
def test_s3_identity_and_pickle(s3: _s3server.S3Server, s3_root: str) -> None:
    store = FsspecStore.from_url(f"s3://{s3_root}", storage_options=s3.storage_options())
    assert str(store) == f"s3://{s3_root}"
    store.set("k", b"v")
    clone = pickle.loads(pickle.dumps(store))
    assert clone == store
    assert clone.get("k") == b"v"
    fresh = FsspecStore(s3.filesystem(skip_instance_cache=True), s3_root)
    assert fresh == pickle.loads(pickle.dumps(fresh))


# -- reading --------------------------------------------------------------------------------
@needs_s3
def test_s3_empty_values_and_ranges(s3_store: FsspecStore) -> None:
    s3_store.set("e", b"")
    assert s3_store.get("e") == b""
    assert s3_store.getsize("e") == 0
    for rng in (RangeByteRequest(0, 5), OffsetByteRequest(0), SuffixByteRequest(3)):
        assert s3_store.get("e", rng) == b""
    assert s3_store.get_many(["e", "missing"], [OffsetByteRequest(0), RangeByteRequest(0, 0)]) == [
        b"",
        None,
    ]


@needs_s3
def test_s3_directory_prefix_is_not_a_key(s3_store: FsspecStore) -> None:
    s3_store.set("a/b", b"x")
    assert s3_store.get("a") is None
    assert s3_store.get("a", RangeByteRequest(0, 0)) is None
    assert not s3_store.exists("a")
    with pytest.raises(FileNotFoundError):
        s3_store.getsize("a")


class _RequestCounter:
    """Counts the HTTP requests an s3fs client sends, by operation name."""

    def __init__(self, fs: Any) -> None:
        self.ops: list[str] = []
        fs.connect()
        fs.s3.meta.events.register("before-send.s3", self._count)

    def _count(self, request: Any, **kwargs: Any) -> None:
        self.ops.append(request.method)


@needs_s3
def test_s3_round_trips(s3: _s3server.S3Server, s3_root: str) -> None:
    fs = s3.filesystem(skip_instance_cache=True)
    store = FsspecStore(fs, s3_root)
    store.set_many([(f"c/{i}", bytes([i]) * 100) for i in range(12)])
    counter = _RequestCounter(fs)
    assert store.get("c/3") == bytes([3]) * 100
    assert counter.ops == ["GET"]  # one request, no HEAD first
    counter.ops.clear()
    assert store.get("c/3", SuffixByteRequest(10)) == bytes([3]) * 10
    assert counter.ops == ["GET"]  # a suffix range needs no size
    counter.ops.clear()
    assert len(store.get_many([f"c/{i}" for i in range(12)])) == 12
    assert counter.ops == ["GET"] * 12
    counter.ops.clear()
    store.delete_many([f"c/{i}" for i in range(12)])
    assert counter.ops == ["POST"]  # one DeleteObjects for the batch
    assert list(store.list()) == []


# -- concurrency ----------------------------------------------------------------------------
class _SlowAsyncFS(AsyncFileSystem):
    """An asynchronous in-memory file system whose requests take ``delay`` seconds."""

    protocol = "zarrcslowasync"
    cachable = False

    def __init__(self, delay: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delay = delay
        self.data: dict[str, bytes] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.calls = 0

    async def _enter(self) -> None:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        await asyncio.sleep(self.delay)
        self.in_flight -= 1

    async def _cat_file(self, path: str, start: Any = None, end: Any = None, **kw: Any) -> bytes:
        await self._enter()
        if path not in self.data:
            raise FileNotFoundError(path)
        return self.data[path][start:end]

    async def _pipe_file(self, path: str, value: bytes, **kw: Any) -> None:
        await self._enter()
        self.data[path] = bytes(value)

    async def _rm_file(self, path: str, **kw: Any) -> None:
        await self._enter()
        if self.data.pop(path, None) is None:
            raise FileNotFoundError(path)

    async def _info(self, path: str, **kw: Any) -> dict[str, Any]:
        await self._enter()
        if path in self.data:
            return {"name": path, "type": "file", "size": len(self.data[path])}
        raise FileNotFoundError(path)


class _SlowSyncFS(MemoryFileSystem):
    """fsspec's memory file system with ``delay`` seconds per read, counting reads in flight."""

    protocol = "zarrcslowsync"
    cachable = False

    def __init__(self, delay: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.delay = delay
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def cat_file(self, path: str, start: Any = None, end: Any = None, **kw: Any) -> bytes:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.delay)
            return super().cat_file(path, start, end, **kw)
        finally:
            with self._lock:
                self.in_flight -= 1


@pytest.mark.parametrize("limit", [1, 3, 8])
def test_async_get_many_keeps_the_configured_requests_in_flight(limit: int) -> None:
    fs = _SlowAsyncFS(0.01)
    store = FsspecStore(fs, "root")
    fs.data.update({f"root/k{i}": str(i).encode() for i in range(20)})
    keys = [f"k{i}" for i in range(20)] + ["missing"]
    with config.set({"async.concurrency": limit}):
        assert store.get_many(keys) == [str(i).encode() for i in range(20)] + [None]
    assert fs.max_in_flight == limit
    fs.max_in_flight = 0
    with config.set({"async.concurrency": limit}):
        store.set_many([(f"n{i}", b"x") for i in range(10)])
        store.delete_many([f"n{i}" for i in range(10)] + ["never-there"])
    assert fs.max_in_flight == min(limit, 11)
    assert not any(path.startswith("root/n") for path in fs.data)


@pytest.mark.parametrize("limit", [2, 5])
def test_sync_get_many_uses_a_pool_of_the_configured_size(limit: int) -> None:
    fs = _SlowSyncFS(0.02)
    root = f"/zarrc-{uuid.uuid4().hex}"
    store = FsspecStore(fs, root)
    store.set_many([(f"k{i}", str(i).encode()) for i in range(12)])
    with config.set({"async.concurrency": limit}):
        assert store.get_many([f"k{i}" for i in range(12)]) == [str(i).encode() for i in range(12)]
    assert fs.max_in_flight == limit
    store.delete_dir("")


def test_one_failed_request_fails_the_batch_after_all_finish() -> None:
    fs = _SlowAsyncFS(0.005)
    store = FsspecStore(fs, "root")
    fs.data["root/ok"] = b"ok"

    async def broken(path: str, start: Any = None, end: Any = None, **kw: Any) -> bytes:
        await fs._enter()
        if path.endswith("bad"):
            raise TimeoutError("the backend timed out")
        return fs.data[path]

    fs._cat_file = broken  # type: ignore[method-assign]
    with pytest.raises(StoreError) as info:
        store.get_many(["ok", "bad", "ok"])
    assert info.value.key == "bad"
    assert isinstance(info.value.__cause__, TimeoutError)
    assert fs.in_flight == 0


# -- errors ----------------------------------------------------------------------------------
class _FailingFS(MemoryFileSystem):
    """Every read fails with ``error``."""

    protocol = "zarrcfailing"
    cachable = False

    def __init__(self, error: BaseException, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def cat_file(self, path: str, start: Any = None, end: Any = None, **kw: Any) -> bytes:
        raise self.error

    def info(self, path: str, **kw: Any) -> dict[str, Any]:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [PermissionError(13, "denied"), TimeoutError("timed out"), OSError(5, "I/O error")],
    ids=["permission", "timeout", "io"],
)
def test_backend_errors_become_store_errors(error: BaseException) -> None:
    store = FsspecStore(_FailingFS(error), "/zarrc-failing")
    for call in (
        lambda: store.get("a/c/0"),
        lambda: store.get_many(["a/c/0"]),
        lambda: store.get("a/c/0", RangeByteRequest(2, 4)),
        lambda: store.exists("a/c/0"),
    ):
        with pytest.raises(StoreError) as info:
            call()
        assert info.value.key == "a/c/0"
        assert info.value.url == "zarrcfailing:///zarrc-failing"
        assert "'a/c/0'" in str(info.value) and "zarrcfailing:///zarrc-failing" in str(info.value)
        assert info.value.__cause__ is error


def test_missing_keys_are_none_not_errors() -> None:
    store = FsspecStore(_FailingFS(FileNotFoundError("nope")), "/zarrc-failing")
    assert store.get("k") is None
    assert store.get_many(["k", "j"], [SuffixByteRequest(2), None]) == [None, None]
    assert not store.exists("k")


@needs_s3
def test_s3_missing_bucket_is_an_error_not_a_missing_key(s3: _s3server.S3Server) -> None:
    store = FsspecStore(s3.filesystem(), "zarrc-no-such-bucket/root")
    for call, key in [
        (lambda: store.get("zarr.json"), "zarr.json"),
        (lambda: store.get_many(["c/0", "c/1"]), "c/0"),
        (lambda: store.get("c/0", RangeByteRequest(0, 4)), "c/0"),
        (lambda: store.set("c/0", b"x"), "c/0"),
        (lambda: store.exists("c/0"), "c/0"),
        (lambda: list(store.list()), ""),
        (lambda: list(store.list_dir("c")), "c"),
    ]:
        with pytest.raises(StoreError) as info:
            call()
        assert info.value.key == key
        assert info.value.url == "s3://zarrc-no-such-bucket/root"
        assert "s3://zarrc-no-such-bucket/root" in str(info.value)
        assert isinstance(info.value.__cause__, FileNotFoundError)


@needs_s3
def test_s3_permission_denied(s3: _s3server.S3Server, bucket: str) -> None:
    FsspecStore(s3.filesystem(), bucket).set("secret/k", b"v")
    intruder = s3.filesystem(key="unknown-key", secret="wrong", skip_instance_cache=True)
    store = FsspecStore(intruder, f"{bucket}/secret")
    s3.set_auth(True)
    try:
        for call in (lambda: store.get("k"), lambda: store.get_many(["k"])):
            with pytest.raises(StoreError) as info:
                call()
            assert info.value.key == "k"
            assert isinstance(info.value.__cause__, PermissionError)
        with pytest.raises(StoreError) as info:
            store.set("k", b"overwritten")
        assert isinstance(info.value.__cause__, PermissionError)
    finally:
        s3.set_auth(False)
    assert FsspecStore(s3.filesystem(), bucket).get("secret/k") == b"v"


@needs_s3
def test_s3_unreachable_endpoint(s3: _s3server.S3Server) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once closed
    fs = s3.filesystem(
        client_kwargs={"endpoint_url": f"http://127.0.0.1:{port}", "region_name": "us-east-1"},
        config_kwargs={"retries": {"max_attempts": 1}, "connect_timeout": 2},
        skip_instance_cache=True,
    )
    fs.retries = 1
    store = FsspecStore(fs, "bucket/root")
    with pytest.raises(StoreError) as info:
        store.get_many(["zarr.json"])
    assert info.value.key == "zarr.json"
    assert isinstance(info.value.__cause__, Exception)
    assert "s3://bucket/root" in str(info.value)


# -- writing and deleting ---------------------------------------------------------------------
@needs_s3
def test_s3_set_if_not_exists_has_one_winner(s3_store: FsspecStore) -> None:
    results: list[tuple[int, bool]] = []
    barrier = threading.Barrier(6)

    def race(n: int) -> None:
        barrier.wait()
        results.append((n, s3_store.set_if_not_exists("lock", str(n).encode())))

    threads = [threading.Thread(target=race, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [n for n, won in results if won]
    assert len(winners) == 1
    assert s3_store.get("lock") == str(winners[0]).encode()


@needs_s3
def test_s3_glob_characters_delete_only_their_own_key(s3_store: FsspecStore) -> None:
    s3_store.set_many([("a[bc]", b"1"), ("ab", b"2"), ("ac", b"3"), ("d/x*", b"4"), ("d/xy", b"5")])
    s3_store.delete_many(["a[bc]", "zz"])
    assert sorted(s3_store.list()) == ["ab", "ac", "d/x*", "d/xy"]
    s3_store.delete("d/x*")
    assert sorted(s3_store.list()) == ["ab", "ac", "d/xy"]
    s3_store.set("d/x?", b"6")
    s3_store.delete_dir("d")
    assert sorted(s3_store.list()) == ["ab", "ac"]


@needs_s3
def test_s3_read_only_store_refuses_writes(s3: _s3server.S3Server, s3_root: str) -> None:
    store = FsspecStore.from_url(
        f"s3://{s3_root}", storage_options=s3.storage_options(), read_only=True
    )
    with pytest.raises(ReadOnlyError, match="FsspecStore"):
        store.set("k", b"v")
    with pytest.raises(ReadOnlyError):
        store.delete_dir("")
    assert list(store.list()) == []


# -- listing ----------------------------------------------------------------------------------
@needs_s3
def test_s3_listing_sees_other_writers(s3: _s3server.S3Server, s3_store: FsspecStore) -> None:
    bucket, _, prefix = s3_store.path.partition("/")
    client = s3.client()
    s3_store.set("a", b"1")
    assert list(s3_store.list()) == ["a"]
    assert list(s3_store.list_dir("")) == ["a"]
    client.put_object(Bucket=bucket, Key=f"{prefix}/b", Body=b"2")
    assert sorted(s3_store.list()) == ["a", "b"]
    assert sorted(s3_store.list_dir("")) == ["a", "b"]
    assert s3_store.exists("b")
    client.delete_object(Bucket=bucket, Key=f"{prefix}/a")
    assert not s3_store.exists("a")
    assert s3_store.get("a") is None
    assert list(s3_store.list()) == ["b"]


@needs_s3
def test_s3_names_that_are_not_keys_are_skipped(
    s3: _s3server.S3Server, s3_store: FsspecStore
) -> None:
    bucket, _, prefix = s3_store.path.partition("/")
    client = s3.client()
    for name in ("ok", "g/ok", "g/../evil", "g//double", "back\\slash", "ctl\x01"):
        client.put_object(Bucket=bucket, Key=f"{prefix}/{name}", Body=b"x")
    assert sorted(s3_store.list()) == ["g/ok", "ok"]
    assert sorted(s3_store.list_prefix("g")) == ["g/ok"]
    assert sorted(s3_store.list_dir("")) == ["g", "ok"]
    assert sorted(s3_store.list_dir("g")) == ["ok"]


def test_listing_outside_the_root_is_never_returned() -> None:
    name = uuid.uuid4().hex
    fs = MemoryFileSystem()
    fs.pipe_file(f"/{name}/rootx/k", b"x")  # shares the root's name as a string prefix
    fs.pipe_file(f"/{name}/root/k", b"y")
    store = FsspecStore(fs, f"/{name}/root")
    assert list(store.list()) == ["k"]
    assert list(store.list_dir("")) == ["k"]
    fs.rm(f"/{name}", recursive=True)
