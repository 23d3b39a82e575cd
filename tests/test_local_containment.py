"""Hostile layouts inside a LocalStore: one table, two paths, one outcome.

Each layout replaces the stored chunk (or shard) at one key, or a directory
above it, with something hostile.  Every operation is run once through the
store (get / set / delete) and once through an array (read, point read, whole
and partial writes, writing the fill value, which deletes), for unsharded and
sharded format 3 arrays and format 2 arrays, with openat2 and with the
component-walk fallback.  Both paths must agree with the table, nothing
outside the root may be read or written, and errors name the array and key.

Files outside the root hold valid chunks of a twin array with other values,
so a read that followed a link out would return them instead of failing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import zarrc
from zarrc.errors import InvalidKeyError, StoreError
from zarrc.storage import LocalStore, _local

SHAPE = (16, 8)
CHUNKS = (8, 8)
REGION = (slice(8, 16), slice(0, 8))  # the chunk (or shard) at grid (1, 0)
PARTIAL = (slice(9, 11), slice(1, 3))
POINTS = (np.array([9, 15]), np.array([0, 7]))
ESCAPE = ("error", InvalidKeyError)
STORE_ERROR = ("error", StoreError)

CONFIGS = {
    "v3": {"chunks": CHUNKS},
    "v3-sharded": {"chunks": (4, 4), "shards": CHUNKS},
    "v2": {
        "chunks": CHUNKS,
        "zarr_format": 2,
        "chunk_key_encoding": {"name": "v2", "separator": "/"},
    },
}
KEYS = {"v3": "arr/c/1/0", "v3-sharded": "arr/c/1/0", "v2": "arr/1/0"}


def values(offset: int = 0) -> np.ndarray:
    return np.arange(np.prod(SHAPE), dtype="i4").reshape(SHAPE) + 1 + offset


def make_array(root: Path, config: str, offset: int = 0) -> Any:
    arr = zarrc.create_array(
        LocalStore(root), name="arr", shape=SHAPE, dtype="i4", fill_value=0, **CONFIGS[config]
    )
    arr[...] = values(offset)
    return arr


# -- the layouts -----------------------------------------------------------------------------
# Each takes (root, outside, key) after the array is written and changes the layout.


def dir_link_out(root: Path, outside: Path, key: str) -> None:
    d = (root / key).parent
    for p in d.iterdir():
        p.unlink()
    d.rmdir()
    d.symlink_to(outside / "twin" / d.relative_to(root))


def file_link_out(root: Path, outside: Path, key: str) -> None:
    (root / key).unlink()
    (root / key).symlink_to(outside / "twin" / key)


def file_link_out_relative(root: Path, outside: Path, key: str) -> None:
    (root / key).unlink()
    (root / key).symlink_to(os.path.relpath(outside / "twin" / key, (root / key).parent))


def file_link_inside(root: Path, outside: Path, key: str) -> None:
    stash = root / "stash"
    stash.write_bytes((root / key).read_bytes())
    (root / key).unlink()
    (root / key).symlink_to(os.path.relpath(stash, (root / key).parent))


def fifo(root: Path, outside: Path, key: str) -> None:
    (root / key).unlink()
    os.mkfifo(root / key)


def directory(root: Path, outside: Path, key: str) -> None:
    (root / key).unlink()
    (root / key).mkdir()
    (root / key / "inside").write_bytes(b"x")


def dangling(root: Path, outside: Path, key: str) -> None:
    (root / key).unlink()
    (root / key).symlink_to("nowhere")


def array_dir_out(root: Path, outside: Path, key: str) -> None:
    import shutil

    shutil.rmtree(root / "arr")
    (root / "arr").symlink_to(outside / "twin" / "arr")


# layout -> expected outcome of (read, write, delete)
TABLE: dict[str, tuple[Callable[[Path, Path, str], None], tuple[Any, Any, Any]]] = {
    "dir_link_out": (dir_link_out, (ESCAPE, ESCAPE, ESCAPE)),
    "file_link_out": (file_link_out, (ESCAPE, ESCAPE, ESCAPE)),
    "file_link_out_relative": (file_link_out_relative, (ESCAPE, ESCAPE, ESCAPE)),
    "file_link_inside": (file_link_inside, ("data", "ok", "ok")),
    "fifo": (fifo, ("missing", "ok", "ok")),
    "directory": (directory, ("missing", STORE_ERROR, "ok")),
    "dangling": (dangling, ("missing", "ok", "ok")),
    "array_dir_out": (array_dir_out, (ESCAPE, ESCAPE, ESCAPE)),
}


# -- outside the root ---------------------------------------------------------------------------
def snapshot(top: Path) -> dict[str, tuple[bytes | None, int]]:
    out = {}
    for d, dirs, files in os.walk(top):
        for name in dirs + files:
            p = os.path.join(d, name)
            st = os.lstat(p)
            data = Path(p).read_bytes() if os.path.isfile(p) and not os.path.islink(p) else None
            out[os.path.relpath(p, top)] = (data, st.st_mtime_ns)
    return out


def outcome(fn: Callable[[], Any], key: str, array_path: str | None = None) -> Any:
    try:
        result = fn()
    except (InvalidKeyError, StoreError) as exc:
        assert key in str(exc), str(exc)
        if array_path is not None and "(array " in str(exc):
            assert f"array {array_path!r}" in str(exc)
        return ("error", type(exc))
    return result


@pytest.fixture(params=[True, False], ids=["openat2", "walk"])
def resolver(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    monkeypatch.setattr(_local, "_OPENAT2", request.param)
    return bool(request.param)


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("layout", sorted(TABLE))
def test_hostile_layout(tmp_path: Path, resolver: bool, config: str, layout: str) -> None:
    breaker, (want_read, want_write, want_delete) = TABLE[layout]
    key = KEYS[config]
    outside = tmp_path / "outside"
    make_array(outside / "twin", config, offset=1000)
    (outside / "sentinel").write_bytes(b"do not touch")
    runs = 0

    def fresh() -> tuple[Path, Any, LocalStore]:
        """A new root holding the array, opened, then the layout made hostile."""
        nonlocal runs
        runs += 1
        root = tmp_path / f"root{runs}"
        make_array(root, config)
        arr = zarrc.open_array(LocalStore(root), path="arr", mode="r+")
        breaker(root, outside, key)
        return root, arr, LocalStore(root)

    before = snapshot(outside)
    if layout == "array_dir_out":
        root, _, store = fresh()
        # the metadata is refused too, so the array cannot even be opened now
        with pytest.raises(InvalidKeyError, match="arr/zarr.json|arr/.zarray"):
            zarrc.open_array(store, path="arr")
    orig = values()[REGION]

    # reads: store.get vs array reads (whole chunk region and points)
    root, arr, store = fresh()
    raw = outcome(lambda: store.get(key), key)
    read = outcome(lambda: arr[REGION], key, "arr")
    points = outcome(lambda: arr.vindex[POINTS], key, "arr")
    if isinstance(raw, bytes | type(None)):
        raw = "missing" if raw is None else "data"
    if isinstance(read, np.ndarray):
        assert isinstance(points, np.ndarray)
        if np.array_equal(read, np.zeros_like(orig)):
            read = "missing"
            assert not points.any()
        else:
            np.testing.assert_array_equal(read, orig)  # never the twin's values
            np.testing.assert_array_equal(points, values()[POINTS])
            read = "data"
    else:
        assert points == read
    assert raw == read == want_read, (raw, read)

    # writes: store.set vs whole and partial array writes
    root, arr, store = fresh()
    payload = b"x" * 16
    wrote = outcome(lambda: store.set(key, payload), key)
    wrote = "ok" if wrote is None else wrote
    root, arr, store = fresh()
    whole = outcome(lambda: arr.__setitem__(REGION, 7), key, "arr")
    whole = "ok" if whole is None else whole
    if whole == "ok":
        np.testing.assert_array_equal(arr[REGION], np.full_like(orig, 7))
    root, arr, store = fresh()
    part = outcome(lambda: arr.__setitem__(PARTIAL, 7), key, "arr")
    part = "ok" if part is None else part
    if part == "ok":
        assert (arr[PARTIAL] == 7).all()
    assert wrote == whole == part == want_write, (wrote, whole, part)

    # deletes: store.delete vs writing the fill value over the whole chunk
    root, arr, store = fresh()
    gone = outcome(lambda: store.delete(key), key)
    gone = "ok" if gone is None else gone
    root, arr, store = fresh()
    filled = outcome(lambda: arr.__setitem__(REGION, 0), key, "arr")
    filled = "ok" if filled is None else filled
    assert gone == filled == want_delete, (gone, filled)

    # nothing outside the root was written, changed or added
    assert snapshot(outside) == before
    for n in range(1, runs + 1):
        assert leftovers(tmp_path / f"root{n}") == []


def leftovers(root: Path) -> list[str]:
    """Temp and lock files anywhere under root (hidden names included)."""
    return [
        os.path.join(d, name)
        for d, dirs, files in os.walk(root)
        for name in dirs + files
        if name.startswith(_local.TEMP_PREFIX)
    ]


@pytest.mark.parametrize(
    "key", ["arr/../../outside/sentinel", "../outside/sentinel", "arr/./c/1/0", "/abs/key"]
)
def test_dot_segments_are_refused_before_io(tmp_path: Path, resolver: bool, key: str) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "sentinel").write_bytes(b"do not touch")
    before = snapshot(outside)
    store = LocalStore(tmp_path / "root")
    for op in (
        lambda: store.get(key),
        lambda: store.set(key, b"x"),
        lambda: store.delete(key),
        lambda: store.exists(key),
        lambda: store.getsize(key),
    ):
        with pytest.raises(InvalidKeyError):
            op()
    assert snapshot(outside) == before
    assert not (tmp_path / "root").exists()  # nothing was even created


def test_engine_and_store_report_one_resolver(tmp_path: Path) -> None:
    from zarrc._ext import _engine

    root = _engine.LocalRoot(str(tmp_path))
    walk = _engine.LocalRoot(str(tmp_path), False, False)
    assert walk.uses_openat2 is False
    assert isinstance(root.uses_openat2, bool)
    assert _engine.file_set(root, "a/b", b"v") is True
    assert _engine.file_get(walk, "a/b") == b"v"
    assert _engine.file_set(walk, "a/b", b"w", True) is False
    assert _engine.file_size(root, "a/b") == 1
    _engine.file_delete(walk, "a/b")
    assert _engine.file_get(root, "a/b") is None


# -- no temp or lock file stays in a store -------------------------------------------------------
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_no_temp_or_lock_files_remain(tmp_path: Path, config: str) -> None:
    root = tmp_path / "root"
    arr = make_array(root, config)  # whole writes
    arr[PARTIAL] = 5  # partial chunk / shard writes (the shard lock)
    arr[1:3, 6:8] = 6
    arr.vindex[POINTS] = 9
    arr[...] = values(3)  # overwrites
    arr[REGION] = 0  # deletes
    store = LocalStore(root)
    store.set("x/y", b"1")
    store.set_if_not_exists("x/z", b"2")
    with store.lock(["x/y", "x/w"]):
        pass
    assert leftovers(root) == []
    expected = values(3)
    expected[REGION] = 0
    np.testing.assert_array_equal(arr[...], expected)


def test_lock_excludes_threads_and_leaves_nothing(tmp_path: Path) -> None:
    import threading

    store = LocalStore(tmp_path)
    counter = {"n": 0, "inside": 0, "max": 0}

    def work() -> None:
        for _ in range(50):
            with store.lock(["k/a", "k/b"]):
                counter["inside"] += 1
                counter["max"] = max(counter["max"], counter["inside"])
                counter["n"] += 1
                counter["inside"] -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter["n"] == 200 and counter["max"] == 1
    assert leftovers(tmp_path) == []
