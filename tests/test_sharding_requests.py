"""The byte ranges a sharded read asks a store for.

A small store wrapper records every ``get`` / ``get_many`` (key and byte
range) it forwards to a ``MemoryStore``.  The expected ranges come from the
stored shard indices, parsed here independently of zarrc.  A read of one
element fetches the shard index (one suffix or prefix range) and the bytes of
one inner chunk; adjacent inner chunks of one shard come in one coalesced
range; each touched shard's index is fetched once per request, untouched
shards and empty inner chunks not at all.  The coalescing gap and maximum are
configurable (``sharding.coalesce_gap``, ``sharding.coalesce_max``).
"""

from __future__ import annotations

import math
import struct
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import google_crc32c
import numpy as np
import pytest

import zarrc
from zarrc import codecs
from zarrc.storage import MemoryStore, RangeByteRequest, SuffixByteRequest
from zarrc.storage._base import ByteRequest, Store, resolve_byte_range

SHAPE = (24, 32, 40)
INNER = (4, 8, 5)
SHARD = (8, 16, 20)  # 2 x 2 x 4 inner chunks per shard; 3 x 2 x 2 shards
ALL_SHARDS = {f"c/{i}/{j}/{k}" for i in range(3) for j in range(2) for k in range(2)}
CPS = tuple(s // c for s, c in zip(SHARD, INNER, strict=True))
EMPTY = 2**64 - 1


@dataclass(frozen=True)
class Request:
    """One key read by one store call: ``call`` numbers the calls of a request."""

    call: int
    method: str
    key: str
    byte_range: ByteRequest | None


class Recording:
    """What every store object over one recording shares: the reads and writes seen."""

    def __init__(self) -> None:
        self.log: list[Request] = []
        self.calls = 0
        self.writes: list[str] = []


class RecordingStore(Store):
    """Forwards everything to a MemoryStore and records every read and write."""

    def __init__(self, inner: MemoryStore | None = None, rec: Recording | None = None):
        super().__init__(read_only=False if inner is None else inner.read_only)
        self.inner = MemoryStore() if inner is None else inner
        self.rec = Recording() if rec is None else rec

    @property
    def log(self) -> list[Request]:
        return self.rec.log

    @property
    def calls(self) -> int:
        return self.rec.calls

    @property
    def writes(self) -> list[str]:
        return self.rec.writes

    def _record(self, method: str, keys: Sequence[str], ranges: Sequence[Any]) -> None:
        self.rec.calls += 1
        for key, rng in zip(keys, ranges, strict=True):
            self.rec.log.append(Request(self.rec.calls, method, key, rng))

    def get(self, key: str, byte_range: ByteRequest | None = None) -> bytes | None:
        self._record("get", [key], [byte_range])
        return self.inner.get(key, byte_range)

    def get_many(
        self, keys: Sequence[str], byte_ranges: Sequence[ByteRequest | None] | None = None
    ) -> list[bytes | None]:
        keys = list(keys)
        ranges = [None] * len(keys) if byte_ranges is None else list(byte_ranges)
        self._record("get_many", keys, ranges)
        return self.inner.get_many(keys, byte_ranges)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def set(self, key: str, value: Any) -> None:
        self.rec.writes.append(key)
        self.inner.set(key, value)

    def set_many(self, items: Iterable[tuple[str, Any]]) -> None:
        items = list(items)
        self.rec.writes.extend(k for k, _ in items)
        self.inner.set_many(items)

    def delete(self, key: str) -> None:
        self.rec.writes.append(key)
        self.inner.delete(key)

    def list(self) -> Iterator[str]:
        return self.inner.list()

    def list_prefix(self, prefix: str) -> Iterator[str]:
        return self.inner.list_prefix(prefix)

    def list_dir(self, prefix: str) -> Iterator[str]:
        return self.inner.list_dir(prefix)

    def with_read_only(self, read_only: bool = True) -> RecordingStore:
        return RecordingStore(self.inner.with_read_only(read_only), self.rec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RecordingStore) and other.inner == self.inner

    __hash__ = None  # type: ignore[assignment]

    def reset(self) -> None:
        self.rec.log.clear()
        self.rec.calls = 0
        self.rec.writes.clear()

    def absolute(self) -> list[tuple[str, int, int]]:
        """Every recorded read as (key, start, stop) in bytes of the stored value."""
        out = []
        for r in self.log:
            value = self.inner.get(r.key)
            size = 0 if value is None else len(value)
            out.append((r.key, *resolve_byte_range(r.byte_range, size)))
        return out


# -- the stored layout, read independently ----------------------------------------------------


def index_nbytes() -> int:
    return 16 * math.prod(CPS) + 4


def read_index(store: RecordingStore, key: str, location: str) -> np.ndarray:
    raw = store.inner.get(key)
    assert raw is not None
    n = index_nbytes()
    idx = raw[:n] if location == "start" else raw[-n:]
    assert struct.unpack("<I", idx[-4:])[0] == google_crc32c.value(idx[:-4])
    return np.frombuffer(idx[:-4], dtype="<u8").reshape(*CPS, 2)


def index_range(store: RecordingStore, key: str, location: str) -> tuple[str, int, int]:
    size = len(store.inner.get(key) or b"")
    n = index_nbytes()
    return (key, 0, n) if location == "start" else (key, size - n, size)


def shard_of(point: Sequence[int]) -> tuple[str, tuple[int, ...]]:
    """Shard key and inner chunk position within the shard of an element."""
    shard = tuple(p // s for p, s in zip(point, SHARD, strict=True))
    within = tuple((p % s) // c for p, s, c in zip(point, SHARD, INNER, strict=True))
    return "c/" + "/".join(map(str, shard)), within


def entry(
    store: RecordingStore, key: str, within: tuple[int, ...], location: str
) -> tuple[int, int]:
    off, n = (int(x) for x in read_index(store, key, location)[within])
    return off, off + n


def make(location: str, codec: str = "zstd", data: np.ndarray | None = None) -> tuple[Any, Any]:
    store = RecordingStore()
    compressors = {
        "zstd": [codecs.ZstdCodec(level=1)],
        "none": None,
        "blosc": [codecs.BloscCodec(cname="lz4", shuffle="shuffle")],
    }[codec]
    arr = zarrc.create_array(
        store,
        shape=SHAPE,
        chunks=INNER,
        shards={"shape": SHARD, "index_location": location},
        dtype="uint16",
        compressors=compressors,
    )
    if data is None:
        data = (np.arange(math.prod(SHAPE)) % 5003).astype("uint16").reshape(SHAPE)
    arr[...] = data
    store.reset()
    return zarrc.open_array(store, mode="r"), data


@pytest.fixture(params=["end", "start"])
def location(request: pytest.FixtureRequest) -> str:
    return request.param


# -- single elements --------------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["zstd", "none", "blosc"])
def test_one_element_reads_index_and_one_inner_chunk(location: str, codec: str) -> None:
    arr, data = make(location, codec)
    store = arr.store
    assert isinstance(store, RecordingStore)
    rng = np.random.default_rng(0)
    for _ in range(20):
        point = tuple(int(rng.integers(0, n)) for n in SHAPE)
        store.reset()
        assert arr[point] == data[point]
        key, within = shard_of(point)
        expected = [index_range(store, key, location), (key, *entry(store, key, within, location))]
        log = store.absolute()
        if codec == "none":
            # uncompressed inner chunks cannot reveal an entry pointing into the index,
            # so a store that cannot tell sizes cheaply is asked for the shard size
            # (this wrapper's getsize reads the value); compressed ones need not
            assert log[1][0] == key and log[1][1] == 0
            log = [log[0], *log[2:]]
            assert store.calls == 3
        else:
            assert store.calls == 2
        assert log == expected
        # the index request is spelled as a suffix / prefix, not with the shard size
        first = store.log[0].byte_range
        if location == "end":
            assert first == SuffixByteRequest(index_nbytes())
        else:
            assert first == RangeByteRequest(0, index_nbytes())


def test_one_element_vindex_and_oindex(location: str) -> None:
    arr, data = make(location)
    store = arr.store
    point = (9, 17, 13)
    key, within = shard_of(point)
    expected = [index_range(store, key, location), (key, *entry(store, key, within, location))]
    for read in (
        lambda: arr.vindex[([9], [17], [13])],
        lambda: arr.oindex[[9], [17], [13]],
        lambda: arr[9:10, 17:18, 13:14],
    ):
        store.reset()
        assert read().reshape(-1)[0] == data[point]
        assert store.absolute() == expected


def test_missing_shard_and_empty_inner_chunk(location: str) -> None:
    data = np.zeros(SHAPE, dtype="uint16")
    data[0:4, 0:8, 0:5] = 7  # one inner chunk of shard c/0/0/0 only
    arr, _ = make(location, data=data)
    store = arr.store
    # a shard that does not exist: its index request finds nothing, nothing else is read
    store.reset()
    assert arr[20, 0, 0] == 0
    assert [(r.key, r.byte_range is not None) for r in store.log] == [("c/2/0/0", True)]
    # an empty inner chunk of an existing shard: only the index is read
    store.reset()
    assert arr[5, 9, 1] == 0
    assert store.absolute() == [index_range(store, "c/0/0/0", location)]
    # and the stored one
    store.reset()
    assert arr[1, 1, 1] == 7
    assert store.absolute() == [
        index_range(store, "c/0/0/0", location),
        ("c/0/0/0", *entry(store, "c/0/0/0", (0, 0, 0), location)),
    ]


# -- coalescing --------------------------------------------------------------------------------


# Inner chunks are laid out in Morton order, as zarr-python writes them: within a
# shard of 2 x 2 x 4 inner chunks, (0..1, 0..1, k) are adjacent for each k.
BLOCK = [(0, 0, 1), (1, 0, 1), (0, 1, 1), (1, 1, 1)]


def test_adjacent_inner_chunks_are_one_range(location: str) -> None:
    """Inner chunks (0..1, 0..1, 1) of a shard are adjacent in the layout: reading
    a box through them fetches one range, exactly their bytes."""
    arr, data = make(location)
    store = arr.store
    key = "c/1/0/1"
    spans = [entry(store, key, pos, location) for pos in BLOCK]
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
    store.reset()
    box = (slice(8, 16), slice(0, 16), slice(25, 30))
    np.testing.assert_array_equal(arr[box], data[box])
    assert store.absolute() == [index_range(store, key, location), (key, spans[0][0], spans[-1][1])]
    assert store.calls == 2


def test_coalesce_gap(location: str) -> None:
    """Inner chunks (0, 0, 0) and (0, 0, 1) are 3 entries apart in the layout; with
    the default gap they come in one range, with ``sharding.coalesce_gap`` 0 in one
    range each."""
    arr, data = make(location)
    store = arr.store
    sel = (2, 3, slice(0, 10))  # inner chunks (0, 0, 0) and (0, 0, 1) of shard c/0/0/0
    key = "c/0/0/0"
    a = entry(store, key, (0, 0, 0), location)
    b = entry(store, key, (0, 0, 1), location)
    assert b[0] > a[1]
    store.reset()
    np.testing.assert_array_equal(arr[sel], data[sel])
    assert store.absolute() == [index_range(store, key, location), (key, a[0], b[1])]
    with zarrc.config.set({"sharding.coalesce_gap": 0}):
        store.reset()
        np.testing.assert_array_equal(arr[sel], data[sel])
        assert store.absolute() == [index_range(store, key, location), (key, *a), (key, *b)]
        assert store.calls == 2  # still one batched call for the data
    with zarrc.config.set({"sharding.coalesce_gap": b[0] - a[1]}):
        store.reset()
        arr[sel]
        assert store.absolute()[1:] == [(key, a[0], b[1])]


def test_coalesce_max(location: str) -> None:
    arr, data = make(location)
    store = arr.store
    key = "c/1/0/1"
    spans = [entry(store, key, pos, location) for pos in BLOCK]
    two = max(spans[1][1] - spans[0][0], spans[3][1] - spans[2][0])
    assert two < spans[2][1] - spans[0][0]
    box = (slice(8, 16), slice(0, 16), slice(25, 30))
    with zarrc.config.set({"sharding.coalesce_max": two}):
        store.reset()
        np.testing.assert_array_equal(arr[box], data[box])
        assert store.absolute()[1:] == [
            (key, spans[0][0], spans[1][1]),
            (key, spans[2][0], spans[3][1]),
        ]
    with zarrc.config.set({"sharding.coalesce_max": 1}):
        store.reset()
        np.testing.assert_array_equal(arr[box], data[box])
        assert store.absolute()[1:] == [(key, *s) for s in spans]


# -- one index per shard per request --------------------------------------------------------------


def index_requests(store: RecordingStore, location: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for key, start, stop in store.absolute():
        if (key, start, stop) == index_range(store, key, location):
            found[key] += 1
    return found


def test_index_once_per_shard_per_request(location: str) -> None:
    arr, data = make(location)
    store = arr.store
    # the whole array: every shard once
    store.reset()
    np.testing.assert_array_equal(arr[...], data)
    assert index_requests(store, location) == Counter({k: 1 for k in ALL_SHARDS})
    assert store.calls == 2
    # many scattered points, several per shard and per inner chunk
    rng = np.random.default_rng(1)
    pts = tuple(rng.integers(0, n, 200) for n in SHAPE)
    store.reset()
    np.testing.assert_array_equal(arr.vindex[pts], data[pts])
    touched = {shard_of(p)[0] for p in zip(*pts, strict=True)}
    assert index_requests(store, location) == Counter({k: 1 for k in touched})
    # each stored byte of an inner chunk is read at most once
    data_ranges = [r for r in store.absolute() if index_range(store, r[0], location) != r]
    for key in touched:
        spans = sorted((a, b) for k, a, b in data_ranges if k == key)
        assert all(p[1] <= q[0] for p, q in zip(spans, spans[1:], strict=False))
    # an orthogonal selection touching two of the shards
    store.reset()
    sel = ([1, 2, 17], [5, 12], [3])
    np.testing.assert_array_equal(arr.oindex[sel], data[np.ix_(*sel)])
    assert index_requests(store, location) == Counter({"c/0/0/0": 1, "c/2/0/0": 1})
    assert {r.key for r in store.log} == {"c/0/0/0", "c/2/0/0"}


def test_second_request_reads_the_index_again(location: str) -> None:
    """No index cache across requests: a shard rewritten in between is seen."""
    arr, data = make(location)
    store = arr.store
    arr[3, 3, 3]
    writer = zarrc.open_array(store.with_read_only(False), mode="r+")
    writer[0:8, 0:16, 0:20] = 9
    store.reset()
    assert arr[3, 3, 3] == 9
    assert index_requests(store, location) == Counter({"c/0/0/0": 1})


# -- writes ------------------------------------------------------------------------------------


def test_whole_shard_write_reads_nothing(location: str) -> None:
    arr, data = make(location)
    store = arr.store
    writer = zarrc.open_array(store.with_read_only(False), mode="r+")
    store.reset()
    writer[8:16, 0:16, 0:20] = 1
    assert store.log == []
    assert store.writes == ["c/1/0/0"]
    store.reset()
    writer[...] = 2
    assert store.log == []
    assert sorted(store.writes) == sorted(ALL_SHARDS)


def test_partial_write_reads_each_shard_once(location: str) -> None:
    arr, data = make(location)
    store = arr.store
    writer = zarrc.open_array(store.with_read_only(False), mode="r+")
    store.reset()
    writer[7:9, 0, 0] = 1  # one element in each of shards c/0/0/0 and c/1/0/0
    assert Counter(r.key for r in store.log) == Counter({"c/0/0/0": 1, "c/1/0/0": 1})
    assert sorted(store.writes) == ["c/0/0/0", "c/1/0/0"]
    data[7:9, 0, 0] = 1
    np.testing.assert_array_equal(arr[...], data)
