"""Arrays on remote and high-latency stores, end to end.

S3 is s3fs against moto's server on 127.0.0.1 (started by the fixture): URLs
with ``storage_options``, read-only opening, backend failures as StoreError,
missing objects as missing chunks, and interchange with zarr-python through
the same bucket.  LatencyStore checks how many requests, and how many store
calls, a read costs.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import zarrc
from zarrc.errors import ReadOnlyError, StoreError
from zarrc.storage import (
    FsspecStore,
    MemoryStore,
    RangeByteRequest,
    SuffixByteRequest,
)
from zarrc.testing import latency as latency_module
from zarrc.testing.latency import LatencyStore
from zarrc.testing.store_conformance import StoreConformance

try:
    import _s3server

    _S3_MISSING = _s3server.s3_available()
except ImportError as exc:  # pragma: no cover - the helper lives next to this file
    _S3_MISSING = str(exc)

needs_s3 = pytest.mark.skipif(_S3_MISSING is not None, reason=f"S3 test server: {_S3_MISSING}")


@pytest.fixture(scope="session")
def s3() -> Iterator[Any]:
    if _S3_MISSING is not None:
        pytest.skip(f"S3 test server: {_S3_MISSING}")
    server = _s3server.acquire()
    yield server
    _s3server.release()


@pytest.fixture(scope="session")
def bucket(s3: Any) -> str:
    return s3.create_bucket()


@pytest.fixture
def url(bucket: str) -> str:
    return f"s3://{bucket}/{uuid.uuid4().hex}/array"


def _api_resolves_urls() -> bool:
    """Whether the top-level API resolves store-like arguments with ``storage_options``."""
    import inspect

    import zarrc.api.creation

    resolver = getattr(zarrc.api.creation, "make_store", None)
    return resolver is not None and "storage_options" in inspect.signature(resolver).parameters


def _with_url(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call an API function with a URL and ``storage_options``.

    Marks the test as an expected failure, with the reason, while the top-level
    API does not resolve URLs with ``zarrc.storage.make_store`` yet (it then
    treats ``"s3://..."`` as a local path).
    """
    if not _api_resolves_urls():
        pytest.xfail(
            "zarrc.api.creation does not resolve remote URLs yet: store-like arguments must go "
            "through zarrc.storage.make_store(..., storage_options=...)"
        )
    return call(*args, **kwargs)


def _data(shape: tuple[int, ...], dtype: str = "uint16") -> np.ndarray:
    return (np.arange(np.prod(shape)) % 1000).astype(dtype).reshape(shape)


# -- URLs end to end ------------------------------------------------------------------------------
@needs_s3
def test_url_create_write_open_read(s3: Any, url: str) -> None:
    options = s3.storage_options()
    data = _data((50, 70))
    arr = _with_url(
        zarrc.create_array,
        url,
        storage_options=options,
        shape=data.shape,
        chunks=(16, 32),
        dtype="uint16",
        fill_value=7,
    )
    arr[...] = data
    np.testing.assert_array_equal(arr[...], data)
    reader = _with_url(zarrc.open, url, mode="r", storage_options=options)
    np.testing.assert_array_equal(reader[...], data)
    np.testing.assert_array_equal(reader[3:40:3, 65:], data[3:40:3, 65:])
    with pytest.raises(ReadOnlyError):
        reader[0, 0] = 1
    again = _with_url(zarrc.open_array, url, mode="r", storage_options=options)
    np.testing.assert_array_equal(again[...], data)


@needs_s3
def test_store_instance_round_trip(s3: Any, url: str) -> None:
    store = FsspecStore.from_url(url, storage_options=s3.storage_options())
    data = _data((33, 40), "float32")
    arr = zarrc.create_array(store, shape=data.shape, chunks=(10, 16), dtype="float32")
    arr[...] = data
    arr[5:7, 5:7] = -1.0  # a partial chunk write reads the chunk, then replaces it
    data[5:7, 5:7] = -1.0
    reader = zarrc.open_array(store.with_read_only(), mode="r")
    np.testing.assert_array_equal(reader[...], data)
    with pytest.raises(ReadOnlyError):
        reader[0, 0] = 2.0
    keys = set(store.list())
    assert "zarr.json" in keys and "c/0/0" in keys and len(keys) == 1 + 4 * 3


@needs_s3
def test_missing_objects_are_missing_chunks(s3: Any, url: str) -> None:
    store = FsspecStore.from_url(url, storage_options=s3.storage_options())
    arr = zarrc.create_array(store, shape=(20, 20), chunks=(10, 10), dtype="int16", fill_value=-3)
    arr[0:10, 0:20] = 5  # chunks c/0/0 and c/0/1 only
    expected = np.full((20, 20), -3, dtype="int16")
    expected[0:10] = 5
    np.testing.assert_array_equal(arr[...], expected)
    bucket, _, prefix = store.path.partition("/")
    s3.client().delete_object(Bucket=bucket, Key=f"{prefix}/c/0/1")
    expected[0:10, 10:] = -3
    np.testing.assert_array_equal(zarrc.open_array(store, mode="r")[...], expected)


@needs_s3
def test_writing_fill_values_deletes_objects(s3: Any, url: str) -> None:
    store = FsspecStore.from_url(url, storage_options=s3.storage_options())
    arr = zarrc.create_array(store, shape=(20,), chunks=(5,), dtype="uint8", fill_value=0)
    arr[...] = 1
    assert sorted(k for k in store.list() if k.startswith("c/")) == ["c/0", "c/1", "c/2", "c/3"]
    arr[5:15] = 0
    assert sorted(k for k in store.list() if k.startswith("c/")) == ["c/0", "c/3"]


# -- failures ---------------------------------------------------------------------------------
@needs_s3
def test_missing_bucket_on_open(s3: Any) -> None:
    missing = f"s3://zarrc-missing-{uuid.uuid4().hex[:12]}/a"
    store = FsspecStore.from_url(missing, storage_options=s3.storage_options())
    with pytest.raises(StoreError) as info:
        zarrc.open_array(store, mode="r")
    assert info.value.key == "zarr.json"
    assert info.value.url == missing
    assert "zarr.json" in str(info.value) and missing in str(info.value)
    assert isinstance(info.value.__cause__, FileNotFoundError)
    with pytest.raises(StoreError):
        _with_url(zarrc.open, missing, mode="r", storage_options=s3.storage_options())


@needs_s3
def test_bucket_removed_under_an_open_array(s3: Any) -> None:
    name = s3.create_bucket()
    store = FsspecStore.from_url(f"s3://{name}/a", storage_options=s3.storage_options())
    arr = zarrc.create_array(store, shape=(8, 8), chunks=(4, 4), dtype="uint8")
    arr[...] = 9
    reader = zarrc.open_array(store, mode="r")
    client = s3.client()
    for key in list(store.list()):
        client.delete_object(Bucket=name, Key=f"a/{key}")
    client.delete_bucket(Bucket=name)
    with pytest.raises(StoreError) as info:
        reader[...]
    assert info.value.key is not None and info.value.key.startswith("c/")
    assert info.value.url == f"s3://{name}/a"
    assert isinstance(info.value.__cause__, FileNotFoundError)


@needs_s3
def test_permission_denied_while_reading(s3: Any, url: str) -> None:
    store = FsspecStore.from_url(url, storage_options=s3.storage_options())
    arr = zarrc.create_array(store, shape=(8,), chunks=(4,), dtype="uint8")
    arr[...] = 1
    intruder = FsspecStore(
        s3.filesystem(key="nobody", secret="x", skip_instance_cache=True), store.path
    )
    reader = zarrc.open_array(intruder, mode="r")  # opened while the server trusts everyone
    s3.set_auth(True)
    try:
        with pytest.raises(StoreError) as info:
            reader[...]
        assert info.value.key in ("c/0", "c/1")
        assert isinstance(info.value.__cause__, PermissionError)
        with pytest.raises(StoreError) as info:
            zarrc.open_array(intruder, mode="r")
        assert info.value.key == "zarr.json"
    finally:
        s3.set_auth(False)
    np.testing.assert_array_equal(reader[...], np.ones(8, dtype="uint8"))


# -- zarr-python through the same bucket -----------------------------------------------------------
@needs_s3
def test_zarr_python_writes_zarrc_reads(s3: Any, url: str) -> None:
    zarr = pytest.importorskip("zarr")
    data = _data((40, 50), "int32")
    theirs = zarr.create_array(
        url, storage_options=s3.storage_options(), shape=data.shape, chunks=(16, 16), dtype="i4"
    )
    theirs[...] = data
    store = FsspecStore.from_url(url, storage_options=s3.storage_options(), read_only=True)
    ours = zarrc.open_array(store, mode="r")
    np.testing.assert_array_equal(ours[...], data)
    np.testing.assert_array_equal(ours[7:33, 1:49:4], data[7:33, 1:49:4])
    via_url = _with_url(zarrc.open_array, url, mode="r", storage_options=s3.storage_options())
    np.testing.assert_array_equal(via_url[...], data)


@needs_s3
def test_zarrc_writes_zarr_python_reads(s3: Any, url: str) -> None:
    zarr = pytest.importorskip("zarr")
    data = _data((30, 45), "float64") / 7
    store = FsspecStore.from_url(url, storage_options=s3.storage_options())
    arr = zarrc.create_array(store, shape=data.shape, chunks=(8, 16), dtype="float64")
    arr[...] = data
    theirs = zarr.open_array(url, mode="r", storage_options=s3.storage_options())
    np.testing.assert_array_equal(theirs[...], data)


@needs_s3
def test_sharded_array_on_s3_both_ways(s3: Any, url: str) -> None:
    zarr = pytest.importorskip("zarr")
    data = _data((64, 64))
    store = FsspecStore.from_url(url, storage_options=s3.storage_options())
    arr = zarrc.create_array(store, shape=data.shape, chunks=(8, 8), shards=(32, 32), dtype="u2")
    arr[...] = data
    arr[1, 1] = 4242  # a partial shard update
    data[1, 1] = 4242
    np.testing.assert_array_equal(zarrc.open_array(store, mode="r")[...], data)
    theirs = zarr.open_array(url, mode="r", storage_options=s3.storage_options())
    np.testing.assert_array_equal(theirs[...], data)


# -- LatencyStore ---------------------------------------------------------------------------------
class TestLatencyStoreConformance(StoreConformance):
    def make_store(self, read_only: bool = False) -> LatencyStore:
        if not hasattr(self, "_data"):
            self._data: dict[str, bytes] = {}
        return LatencyStore(MemoryStore(self._data, read_only=read_only), 0.0)


def test_latency_store_counts_and_logs_requests() -> None:
    store = LatencyStore(MemoryStore(), 0.0)
    store.set("a", b"0123")
    store.set_many([("b", b"1"), ("c", b"2")])
    assert store.get_many(
        ["a", "b", "x"], [RangeByteRequest(1, 3), None, SuffixByteRequest(1)]
    ) == [
        b"12",
        b"1",
        None,
    ]
    assert store.requests == 6
    assert store.calls == 3
    assert store.log[:3] == [("set", "a", None), ("set", "b", None), ("set", "c", None)]
    assert store.log[3:] == [
        ("get", "a", RangeByteRequest(1, 3)),
        ("get", "b", None),
        ("get", "x", SuffixByteRequest(1)),
    ]
    list(store.list_dir(""))
    assert store.log[-1] == ("list_dir", "", None)
    store.reset()
    assert (store.requests, store.calls, store.log) == (0, 0, [])


def test_latency_store_batch_as_one_request() -> None:
    store = LatencyStore(MemoryStore({"a": b"1", "b": b"2"}), 0.0, per_request=False)
    assert store.get_many(["a", "b"]) == [b"1", b"2"]
    assert store.requests == 1 and store.log == [("get", None, None)]


def test_latency_store_keeps_concurrency_requests_in_flight(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lock = threading.Lock()
    state = {"now": 0, "max": 0, "sleeps": 0}
    real_sleep = time.sleep

    class _Clock:
        @staticmethod
        def sleep(seconds: float) -> None:
            with lock:
                state["now"] += 1
                state["sleeps"] += 1
                state["max"] = max(state["max"], state["now"])
            real_sleep(0.01)
            with lock:
                state["now"] -= 1

    monkeypatch.setattr(latency_module, "time", _Clock)
    store = LatencyStore(MemoryStore({f"k{i}": b"v" for i in range(40)}), 0.02, concurrency=6)
    assert store.get_many([f"k{i}" for i in range(40)]) == [b"v"] * 40
    assert state["sleeps"] == 40  # one wait per request
    assert state["max"] == 6  # never more than ``concurrency`` at once
    state.update(now=0, max=0, sleeps=0)
    with zarrc.config.set({"async.concurrency": 3}):
        LatencyStore(MemoryStore(), 0.02).set_many([(f"n{i}", b"x") for i in range(9)])
    assert state["sleeps"] == 9 and state["max"] == 3


def test_latency_store_wrapping() -> None:
    inner = MemoryStore({"k": b"v"})
    store = LatencyStore(inner, 0.005)
    frozen = store.with_read_only()
    assert frozen.read_only and isinstance(frozen, LatencyStore) and frozen.latency == 0.005
    with pytest.raises(ReadOnlyError, match="LatencyStore"):
        frozen.set("k", b"x")
    assert store == LatencyStore(MemoryStore({"k": b"v"}), 0.005)
    assert store != LatencyStore(inner, 0.5)
    assert "latency=0.005" in repr(store)
    with pytest.raises(ValueError):
        LatencyStore(inner, -1)
    with pytest.raises(ValueError):
        LatencyStore(inner, 0.1, concurrency=0)
    with pytest.raises(TypeError):
        LatencyStore({}, 0.1)  # type: ignore[arg-type]


def test_array_read_is_one_batched_call() -> None:
    store = LatencyStore(MemoryStore(), 0.0)
    arr = zarrc.create_array(store, shape=(16, 16, 1), chunks=(1, 1, 1), dtype="uint8")
    arr[...] = 3
    store.reset()
    np.testing.assert_array_equal(arr[...], np.full((16, 16, 1), 3, dtype="uint8"))
    gets = [entry for entry in store.log if entry[0] == "get"]
    assert len(gets) == 256  # one request per chunk
    assert store.calls == 1  # all of them in one get_many


def test_sharded_reads_cost_few_requests() -> None:
    store = LatencyStore(MemoryStore(), 0.0)
    arr = zarrc.create_array(store, shape=(64, 64), chunks=(8, 8), shards=(32, 32), dtype="u2")
    data = _data((64, 64))
    arr[...] = data
    reader = zarrc.open_array(store, mode="r")
    store.reset()
    assert reader[10, 20] == data[10, 20]
    assert [entry[0] for entry in store.log] == ["get", "get"]  # the index, then the chunk
    key = store.log[0][1]
    assert store.log[1][1] == key
    assert isinstance(store.log[1][2], RangeByteRequest)
    store.reset()
    np.testing.assert_array_equal(reader[8:16, 0:32], data[8:16, 0:32])  # a row of one shard
    ranged = [entry for entry in store.log if isinstance(entry[2], RangeByteRequest)]
    assert len(store.log) == 2 and len(ranged) == 1  # index + one coalesced run
