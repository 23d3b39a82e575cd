"""Error paths of the engine, with one and two worker threads.

A bad chunk among many is reported by its own key; chunk paths that cannot be
read or written give ``StoreError`` naming the key and leave nothing
half-written; a failed request leaves the engine usable, also while another
thread's request runs at the same time.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import zarrc
from zarrc import errors
from zarrc.codecs import BytesCodec, Crc32cCodec, ZstdCodec
from zarrc.storage import LocalStore, MemoryStore

SHAPE = (64, 48)
CHUNKS = (8, 8)  # an 8 x 6 grid: 48 chunks
GRID = (8, 6)
ARRAY_PATH = "grp/arr"
TEMP_GLOB = ".zarrc-tmp-*"
JUNK = b"\x5a" * 37

COMPRESSORS: dict[str, Any] = {
    "bytes": None,
    "zstd": ZstdCodec(level=1),
    "zstd+crc32c": [ZstdCodec(level=1), Crc32cCodec()],
}
# what JUNK in place of a chunk gives
JUNK_ERROR = {
    "bytes": errors.CorruptChunkError,
    "zstd": errors.CorruptChunkError,
    "zstd+crc32c": errors.ChecksumError,
}
# corrupt chunk coordinates: first, inner, last
POSITIONS = [(0, 0), (3, 4), (7, 5)]


@pytest.fixture(params=[1, 2], ids=["threads1", "threads2"])
def threads(request: pytest.FixtureRequest) -> Iterator[int]:
    with zarrc.config.set({"threads": request.param}):
        yield request.param


def values() -> np.ndarray:
    return (np.arange(np.prod(SHAPE), dtype="i4") * 7 + 1).reshape(SHAPE)


def key_of(coords: tuple[int, ...]) -> str:
    return f"{ARRAY_PATH}/c/" + "/".join(map(str, coords))


def region(coords: tuple[int, ...]) -> tuple[slice, ...]:
    return tuple(slice(c * n, (c + 1) * n) for c, n in zip(coords, CHUNKS, strict=True))


@dataclass
class Case:
    """An array of SHAPE filled with values(), in a local directory or a dict."""

    kind: str
    root: Path
    mapping: dict[str, bytes] | None
    arr: Any

    def corrupt(self, coords: tuple[int, ...], data: bytes = JUNK) -> str:
        key = key_of(coords)
        if self.mapping is not None:
            self.mapping[key] = data
        else:
            (self.root / key).write_bytes(data)
        return key

    def stored(self, key: str) -> bytes | None:
        if self.mapping is not None:
            return self.mapping.get(key)
        path = self.root / key
        return path.read_bytes() if path.is_file() else None

    def reopen(self) -> Any:
        store = LocalStore(self.root) if self.mapping is None else MemoryStore(self.mapping)
        return zarrc.open_array(store, path=ARRAY_PATH)


def make(kind: str, root: Path, compressor: str = "zstd") -> Case:
    mapping: dict[str, bytes] | None = {} if kind == "memory" else None
    store = LocalStore(root) if mapping is None else MemoryStore(mapping)
    arr = zarrc.create_array(
        store,
        name=ARRAY_PATH,
        shape=SHAPE,
        chunks=CHUNKS,
        dtype="i4",
        fill_value=0,
        serializer=BytesCodec(),
        compressors=COMPRESSORS[compressor],
    )
    arr[...] = values()
    return Case(kind, root, mapping, arr)


def temp_files(root: Path) -> list[Path]:
    return sorted(root.rglob(TEMP_GLOB))


def expect_error(fn: Callable[[], Any], cls: type[Exception]) -> Any:
    with pytest.raises(cls) as info:
        fn()
    assert type(info.value) is cls, repr(info.value)
    return info.value


def all_points() -> tuple[np.ndarray, np.ndarray]:
    """One point in every chunk, in a shuffled order."""
    rng = np.random.default_rng(5)
    pts = [(c0 * 8 + 3, c1 * 8 + 5) for c0 in range(GRID[0]) for c1 in range(GRID[1])]
    order = rng.permutation(len(pts))
    return (np.array([pts[i][0] for i in order]), np.array([pts[i][1] for i in order]))


# -- which chunk --------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["local", "memory"])
@pytest.mark.parametrize("compressor", sorted(COMPRESSORS))
@pytest.mark.parametrize("coords", POSITIONS, ids=lambda c: "-".join(map(str, c)))
def test_one_corrupt_chunk_among_many_is_named(
    threads: int, kind: str, compressor: str, coords: tuple[int, int], tmp_path: Path
) -> None:
    case = make(kind, tmp_path, compressor)
    key = case.corrupt(coords)
    arr = case.arr
    reads: list[Callable[[], Any]] = [
        lambda: arr[...],
        lambda: arr[::-1, ::3],
        lambda: arr.oindex[np.arange(SHAPE[0])[::-1], np.arange(0, SHAPE[1], 5)],
        lambda: arr.vindex[all_points()],
    ]
    for _ in range(3):
        for fn in reads:
            exc = expect_error(fn, JUNK_ERROR[compressor])
            assert exc.key == key
            assert exc.array_path == ARRAY_PATH
            assert f"key {key!r}" in str(exc)
    # every other chunk still reads
    for c0 in range(GRID[0]):
        for c1 in range(GRID[1]):
            if (c0, c1) != coords:
                sel = region((c0, c1))
                np.testing.assert_array_equal(arr[sel], values()[sel])
    # a write partial in every chunk reads the bad chunk too, and leaves it as it was
    exc = expect_error(
        lambda: arr.__setitem__((slice(None, None, 2), slice(None, None, 3)), 3),
        JUNK_ERROR[compressor],
    )
    assert exc.key == key
    assert case.stored(key) == JUNK
    if kind == "local":
        assert temp_files(tmp_path) == []


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_several_corrupt_chunks_name_one_of_them(threads: int, kind: str, tmp_path: Path) -> None:
    case = make(kind, tmp_path)
    keys = {case.corrupt(c) for c in [(1, 1), (2, 5), (6, 0), (7, 3)]}
    for _ in range(10):
        exc = expect_error(lambda: case.arr[...], errors.CorruptChunkError)
        assert exc.key in keys
        assert f"key {exc.key!r}" in str(exc)


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_checksum_error_among_many_names_its_chunk(threads: int, kind: str, tmp_path: Path) -> None:
    case = make(kind, tmp_path, "zstd+crc32c")
    key = key_of((5, 2))
    data = bytearray(case.stored(key) or b"")
    data[0] ^= 0xFF
    case.corrupt((5, 2), bytes(data))
    exc = expect_error(lambda: case.arr[...], errors.ChecksumError)
    assert (exc.key, exc.codec) == (key, "crc32c")


# -- chunk paths that are not readable files -------------------------------------------
def make_directory(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "inside").write_bytes(b"x")


def make_symlink_loop(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.name)  # points at itself


def make_symlink_cycle(path: Path) -> None:
    other = path.with_name(path.name + ".other")
    path.unlink()
    path.symlink_to(other.name)
    other.symlink_to(path.name)


BREAKERS = {
    "symlink_loop": make_symlink_loop,
    "symlink_cycle": make_symlink_cycle,
}


@pytest.mark.parametrize("compressor", ["bytes", "zstd"])
@pytest.mark.parametrize("breaker", sorted(BREAKERS))
def test_unreadable_chunk_path_gives_store_error(
    threads: int, compressor: str, breaker: str, tmp_path: Path
) -> None:
    case = make("local", tmp_path, compressor)
    coords = (3, 4)
    key = key_of(coords)
    BREAKERS[breaker](tmp_path / key)
    arr = case.arr
    bad = region(coords)
    inner = tuple(slice(r.start + 1, r.start + 3) for r in bad)
    reads: list[Callable[[], Any]] = [
        lambda: arr[...],
        lambda: arr[bad],
        lambda: arr[inner],  # uncompressed: a byte-range read of the file
        lambda: arr.vindex[all_points()],
        lambda: arr.__setitem__(inner, 9),  # read-modify-write
    ]
    for fn in reads:
        exc = expect_error(fn, errors.StoreError)
        assert exc.key == key
        assert f"key {key!r}" in str(exc)
        assert f"array {ARRAY_PATH!r}" in str(exc)
        assert isinstance(exc.__cause__, OSError)
        assert exc.__cause__.errno == errno.ELOOP
    assert temp_files(tmp_path) == []
    # the rest of the array still reads
    np.testing.assert_array_equal(arr[region((0, 0))], values()[region((0, 0))])


def test_dangling_symlink_reads_as_missing_like_zarr_python(threads: int, tmp_path: Path) -> None:
    zarr = pytest.importorskip("zarr")
    case = make("local", tmp_path)
    key = key_of((2, 2))
    path = tmp_path / key
    path.unlink()
    path.symlink_to("nowhere")
    expected = values()
    expected[region((2, 2))] = 0
    np.testing.assert_array_equal(case.arr[...], expected)
    theirs = zarr.open_array(zarr.storage.LocalStore(tmp_path), path=ARRAY_PATH, mode="r")
    np.testing.assert_array_equal(theirs[...], expected)


# -- writes that cannot land ----------------------------------------------------------
def snapshot(root: Path) -> dict[str, bytes | str]:
    out: dict[str, bytes | str] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        out[rel] = "dir" if p.is_dir() and not p.is_symlink() else p.read_bytes()
    return out


def test_write_where_the_chunk_directory_is_a_file(threads: int, tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    arr = zarrc.create_array(
        store, name=ARRAY_PATH, shape=SHAPE, chunks=CHUNKS, dtype="i4", fill_value=0
    )
    blocker = tmp_path / ARRAY_PATH / "c"
    blocker.write_bytes(b"in the way")
    before = snapshot(tmp_path)
    # one chunk: the error names it
    exc = expect_error(lambda: arr.__setitem__(region((2, 3)), 5), errors.StoreError)
    assert exc.key == key_of((2, 3))
    assert f"key {exc.key!r}" in str(exc)
    assert isinstance(exc.__cause__, OSError)
    assert snapshot(tmp_path) == before
    # many chunks, whole and partial: one of them is named, nothing is left behind
    all_keys = {key_of((i, j)) for i in range(GRID[0]) for j in range(GRID[1])}
    for sel in [(slice(None), slice(None)), (slice(3, 50), slice(2, 47))]:
        exc = expect_error(lambda sel=sel: arr.__setitem__(sel, 5), errors.StoreError)
        assert exc.key in all_keys
        assert snapshot(tmp_path) == before
        assert temp_files(tmp_path) == []
    # a read of the same array: nothing stored, all fill
    np.testing.assert_array_equal(arr[...], np.zeros(SHAPE, dtype="i4"))


def test_write_where_one_row_directory_is_a_file(threads: int, tmp_path: Path) -> None:
    case = make("local", tmp_path)
    arr = case.arr
    blocked_row = tmp_path / ARRAY_PATH / "c" / "4"
    for p in blocked_row.iterdir():
        p.unlink()
    blocked_row.rmdir()
    blocked_row.write_bytes(b"in the way")
    bad_keys = {key_of((4, j)) for j in range(GRID[1])}
    new = values() + 100
    exc = expect_error(lambda: arr.__setitem__(Ellipsis, new), errors.StoreError)
    assert exc.key in bad_keys
    assert blocked_row.read_bytes() == b"in the way"
    assert temp_files(tmp_path) == []
    # every chunk outside the blocked row holds either its old or its new values, whole
    for i in range(GRID[0]):
        for j in range(GRID[1]):
            if i == 4:
                continue
            got = arr[region((i, j))]
            assert np.array_equal(got, values()[region((i, j))]) or np.array_equal(
                got, new[region((i, j))]
            )


def test_directory_at_a_chunk_key_reads_as_missing(threads: int, tmp_path: Path) -> None:
    # as through the store: a directory is not a key
    case = make("local", tmp_path)
    key = key_of((3, 4))
    make_directory(tmp_path / key)
    expected = values()
    expected[region((3, 4))] = 0
    np.testing.assert_array_equal(case.arr[...], expected)
    inner = tuple(slice(r.start + 1, r.start + 3) for r in region((3, 4)))
    np.testing.assert_array_equal(case.arr[inner], expected[inner])
    assert LocalStore(tmp_path).get(key) is None


def test_delete_of_a_chunk_that_is_a_directory(threads: int, tmp_path: Path) -> None:
    case = make("local", tmp_path)
    key = key_of((1, 1))
    make_directory(tmp_path / key)
    before = snapshot(tmp_path)
    # writing the fill value deletes the chunk: a directory is not a key, it stays
    case.arr[region((1, 1))] = 0
    assert snapshot(tmp_path) == before


def test_overwrite_of_a_chunk_that_is_a_directory(threads: int, tmp_path: Path) -> None:
    case = make("local", tmp_path)
    key = key_of((1, 1))
    make_directory(tmp_path / key)
    before = snapshot(tmp_path)
    exc = expect_error(lambda: case.arr.__setitem__(region((1, 1)), 5), errors.StoreError)
    assert exc.key == key
    assert snapshot(tmp_path) == before
    assert temp_files(tmp_path) == []


# -- the engine after a failure ------------------------------------------------------
@pytest.mark.parametrize("kind", ["local", "memory"])
def test_failure_does_not_poison_the_engine(threads: int, kind: str, tmp_path: Path) -> None:
    bad = make(kind, tmp_path / "bad")
    bad_key = bad.corrupt((4, 2))
    good = make(kind, tmp_path / "good")
    original = values()
    expected = values()
    for i in range(20):
        expect_error(lambda: bad.arr[...], errors.CorruptChunkError)
        np.testing.assert_array_equal(good.arr[...], expected)
        # the same array, chunks away from the bad one (and from the failing writes below)
        np.testing.assert_array_equal(bad.arr[:24], original[:24])
        pts = ([0, 63], [0, 47])
        np.testing.assert_array_equal(bad.arr.vindex[pts], original[pts])
        exc = expect_error(
            lambda: bad.arr.__setitem__((slice(30, 38), slice(None)), 1), errors.CorruptChunkError
        )
        assert exc.key == bad_key
        good.arr[i, :] = -i
        expected[i, :] = -i
        np.testing.assert_array_equal(good.arr[i], expected[i])
    # a thread-count change after failures
    with zarrc.config.set({"threads": 3 - threads}):
        exc = expect_error(lambda: bad.arr[...], errors.CorruptChunkError)
        assert exc.key == bad_key
        np.testing.assert_array_equal(good.reopen()[...], expected)


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_failed_request_while_another_thread_reads(threads: int, kind: str, tmp_path: Path) -> None:
    bad = make(kind, tmp_path / "bad")
    bad_key = bad.corrupt((6, 1))
    good = make(kind, tmp_path / "good")
    expected = values()
    rounds = 40
    barrier = threading.Barrier(3)
    problems: list[str] = []

    def failing() -> None:
        barrier.wait()
        for _ in range(rounds):
            try:
                bad.arr[...]
            except errors.CorruptChunkError as exc:
                if exc.key != bad_key:
                    problems.append(f"failing reader got key {exc.key!r}")
            else:
                problems.append("failing reader got no error")

    def reading() -> None:
        barrier.wait()
        for _ in range(rounds):
            try:
                got = good.arr[...]
            except Exception as exc:
                problems.append(f"healthy reader raised {exc!r}")
                continue
            if not np.array_equal(got, expected):
                problems.append("healthy reader got wrong data")

    def writing() -> None:
        barrier.wait()
        for i in range(rounds):
            try:
                good.arr[63 - (i % 8), :] = expected[63 - (i % 8), :]
                bad.arr[:16, :] = expected[:16, :]  # away from the bad chunk
            except Exception as exc:
                problems.append(f"writer raised {exc!r}")

    workers = [threading.Thread(target=f) for f in (failing, reading, writing)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not any(w.is_alive() for w in workers), "a request hung"
    assert problems == []


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_concurrent_failures_keep_their_own_keys(threads: int, kind: str, tmp_path: Path) -> None:
    cases = [make(kind, tmp_path / str(i)) for i in range(3)]
    keys = [c.corrupt(coords) for c, coords in zip(cases, [(0, 0), (4, 3), (7, 5)], strict=True)]
    barrier = threading.Barrier(len(cases))
    problems: list[str] = []

    def run(case: Case, key: str) -> None:
        barrier.wait()
        for _ in range(30):
            try:
                case.arr[...]
            except errors.CorruptChunkError as exc:
                if exc.key != key:
                    problems.append(f"expected {key!r}, got {exc.key!r}")
            else:
                problems.append(f"no error for {key!r}")

    workers = [threading.Thread(target=run, args=ck) for ck in zip(cases, keys, strict=True)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not any(w.is_alive() for w in workers), "a request hung"
    assert problems == []


def test_store_error_cause_carries_errno(threads: int, tmp_path: Path) -> None:
    case = make("local", tmp_path)
    key = key_of((0, 1))
    make_symlink_loop(tmp_path / key)
    exc = expect_error(lambda: case.arr[...], errors.StoreError)
    assert exc.key == key
    assert isinstance(exc.__cause__, OSError)
    assert exc.__cause__.errno == errno.ELOOP
    assert os.strerror(errno.ELOOP) in str(exc)


def test_chunk_that_is_a_fifo_reads_as_missing_not_waited_on(tmp_path: Path) -> None:
    """A named pipe in place of a chunk file must not block the read: like any
    other non-file at a key, it is missing (through the store too)."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        f"""
        import os, numpy as np, zarrc
        a = zarrc.create_array({str(tmp_path / "a.zarr")!r}, shape=(8,), chunks=(4,),
                               dtype="i4", compressors=None)
        a[...] = np.arange(8)
        p = {str(tmp_path / "a.zarr" / "c" / "1")!r}
        os.unlink(p)
        os.mkfifo(p)
        assert a[...].tolist() == [0, 1, 2, 3, 0, 0, 0, 0]
        assert a.store.get("c/1") is None
        print("missing")
        """
    )
    res = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert res.returncode == 0, res.stderr
    assert "missing" in res.stdout
