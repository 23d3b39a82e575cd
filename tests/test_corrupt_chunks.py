"""Every malformed chunk in the corrupt-chunk corpus gives its typed error, never a crash.

The corpus (``tests/data/corrupt_chunks``, made by ``make_corrupt_chunks.py``)
holds small arrays with one bad chunk each.  Each is read through a
``LocalStore`` (the engine does the file I/O) and a ``MemoryStore`` (the
engine decodes buffers handed to it), at the store root and at a nested path.
Reads touching the bad chunk raise the recorded exception naming the array,
the chunk key and the codec; reads of healthy chunks still succeed; writes
that must read the bad chunk fail without changing what is stored, and
writes that replace it whole succeed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import zarrc
from zarrc import errors
from zarrc.storage import MemoryStore

CORPUS = Path(__file__).parent / "data" / "corrupt_chunks"
CASES: dict[str, dict[str, Any]] = json.loads((CORPUS / "cases.json").read_text())
NESTED = "data/arr"
TEMP_GLOB = ".zarrc-tmp-*"
# The engine's message when a stored chunk is larger than any encoding of it.
SIZE_CAP_MESSAGE = "more than any encoding of the chunk"


def read_params() -> list[Any]:
    """Cases whose reads fail (a directory at a chunk key reads as missing)."""
    return [p for p in all_params() if not CASES[p.values[0]].get("local_only")]


def all_params() -> list[Any]:
    params = []
    for name, case in sorted(CASES.items()):
        for kind in ("local", "memory"):
            if kind == "memory" and case.get("local_only"):
                continue
            for location in ("root", "nested"):
                params.append(pytest.param(name, kind, location, id=f"{name}-{kind}-{location}"))
    return params


def write_params() -> list[Any]:
    return [p for p in all_params() if p.values[2] == "nested"]


# -- corpus access -----------------------------------------------------------------
def metadata(name: str) -> dict[str, Any]:
    return json.loads((CORPUS / CASES[name]["zarr_json"]).read_text())


def expected_values(name: str) -> np.ndarray:
    md = metadata(name)
    data = CASES[name]["data"]
    shape = tuple(md["shape"])
    flat = (data["start"] + np.arange(int(np.prod(shape)), dtype=np.int64) * data["step"]) % data[
        "modulus"
    ]
    return flat.astype(md["data_type"]).reshape(shape)


def chunk_coords(name: str, key: str) -> tuple[int, ...]:
    sep = metadata(name)["chunk_key_encoding"]["configuration"]["separator"]
    parts = key.split(sep)
    assert parts[0] == "c"
    return tuple(int(p) for p in parts[1:])


def region(name: str, coords: tuple[int, ...]) -> tuple[slice, ...]:
    md = metadata(name)
    cs = md["chunk_grid"]["configuration"]["chunk_shape"]
    return tuple(
        slice(c * n, min((c + 1) * n, s)) for c, n, s in zip(coords, cs, md["shape"], strict=True)
    )


def corrupt_region(name: str) -> tuple[slice, ...]:
    return region(name, chunk_coords(name, CASES[name]["key"]))


def healthy_region(name: str) -> tuple[slice, ...]:
    md = metadata(name)
    cs = md["chunk_grid"]["configuration"]["chunk_shape"]
    grid = [-(-s // c) for s, c in zip(md["shape"], cs, strict=True)]
    bad = chunk_coords(name, CASES[name]["key"])
    first = tuple(0 for _ in grid)
    return region(name, first if first != bad else tuple(g - 1 for g in grid))


def sub_box(reg: tuple[slice, ...]) -> tuple[slice, ...]:
    """A few elements strictly inside a chunk region."""
    return tuple(slice(r.start + 1, min(r.start + 4, r.stop)) for r in reg)


def points_in(reg: tuple[slice, ...]) -> tuple[np.ndarray, ...]:
    return tuple(np.array([r.start, r.stop - 1, r.start + 1]) for r in reg)


def expectation(name: str, kind: str) -> dict[str, Any]:
    case = dict(CASES[name])
    if kind == "memory":
        case.update(case.get("memory", {}))
    return case


def materialize(name: str, dest: Path) -> Path:
    """Copy a case to dest (which must not exist), expanding its seed chunk if asked."""
    shutil.copytree(CORPUS / name, dest)
    size = CASES[name].get("expand_to")
    if size is not None:
        path = dest / CASES[name]["key"]
        seed = path.read_bytes()
        with path.open("wb") as f:
            for _ in range(size // len(seed)):
                f.write(seed)
            f.write(seed[: size % len(seed)])
    return dest


def tree_digest(root: Path) -> dict[str, str]:
    """Relative path -> digest of every file and directory under root."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@dataclass
class Opened:
    """A corpus case opened through one kind of store at one location."""

    name: str
    kind: str
    array_path: str
    arr: Any
    root: Path  # the store's directory (local) or the case's copy (memory)
    mapping: dict[str, bytes] | None  # the MemoryStore's dict

    @property
    def key(self) -> str:
        return "/".join(p for p in (self.array_path, CASES[self.name]["key"]) if p)

    def stored(self) -> dict[str, str]:
        if self.mapping is None:
            return tree_digest(self.root)
        return {k: hashlib.sha256(v).hexdigest() for k, v in sorted(self.mapping.items())}

    def temp_files(self) -> list[Path]:
        return sorted(self.root.rglob(TEMP_GLOB))


def open_case(name: str, kind: str, location: str, tmp_path: Path) -> Opened:
    array_path = NESTED if location == "nested" else ""
    store_root = tmp_path / "store"
    case_dir = materialize(name, store_root / array_path if array_path else store_root)
    if kind == "local":
        if location == "root":
            arr = zarrc.open_array(str(case_dir))
        else:
            arr = zarrc.open_array(str(store_root), path=array_path)
        return Opened(name, kind, array_path, arr, store_root, None)
    prefix = array_path + "/" if array_path else ""
    mapping = {
        prefix + p.relative_to(case_dir).as_posix(): p.read_bytes()
        for p in sorted(case_dir.rglob("*"))
        if p.is_file()
    }
    arr = zarrc.open_array(MemoryStore(mapping), path=array_path)
    return Opened(name, kind, array_path, arr, store_root, mapping)


def check_error(exc: BaseException, opened: Opened) -> None:
    """exc is the case's recorded error and names the array, the chunk key and the codec."""
    exp = expectation(opened.name, opened.kind)
    assert type(exc) is getattr(errors, exp["error"]), repr(exc)
    text = str(exc)
    assert exc.key == opened.key
    assert f"key {opened.key!r}" in text
    assert f"array {opened.array_path!r}" in text
    assert exp["message"] in text
    if isinstance(exc, errors.CodecError):
        assert exc.array_path == opened.array_path
        assert exc.codec == exp["codec"]
        assert f"codec {exp['codec']!r}" in text


def raised(fn: Any) -> BaseException:
    with pytest.raises((errors.CodecError, errors.StoreError)) as info:
        fn()
    return info.value


# -- the corpus itself ---------------------------------------------------------------
def test_corpus_is_complete() -> None:
    dirs = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    assert dirs == set(CASES)
    assert len(CASES) >= 20
    for name, case in CASES.items():
        assert case["array"] == name
        assert (CORPUS / case["zarr_json"]).is_file()
        assert issubclass(getattr(errors, case["error"]), errors.ZarrcError)
        chunk = CORPUS / name / case["key"]
        assert chunk.is_dir() if case.get("local_only") else chunk.is_file()
        # every other chunk of the array is stored and healthy
        md = metadata(name)
        cs = md["chunk_grid"]["configuration"]["chunk_shape"]
        n = int(np.prod([-(-s // c) for s, c in zip(md["shape"], cs, strict=True)]))
        stored = {p for p in (CORPUS / name).rglob("*") if p.is_file()}
        stored -= {CORPUS / case["zarr_json"]}
        assert len({p for p in stored if not p.is_relative_to(chunk)}) == n - 1


def test_corpus_covers_each_codec() -> None:
    codecs = {c["codec"] for c in CASES.values()}
    assert {"zstd", "blosc", "gzip", "crc32c", "bytes"} <= codecs
    assert {c["error"] for c in CASES.values()} >= {
        "CorruptChunkError",
        "ChecksumError",
        "StoreError",
    }
    for codec in ("zstd", "blosc", "gzip", "crc32c", "bytes"):
        # an empty chunk file for every compressor
        assert f"{codec}_empty" in CASES


# -- reads ---------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "kind", "location"), read_params())
def test_read_gives_typed_error(name: str, kind: str, location: str, tmp_path: Path) -> None:
    op = open_case(name, kind, location, tmp_path)
    arr = op.arr
    bad = corrupt_region(name)
    check_error(raised(lambda: arr[...]), op)
    check_error(raised(lambda: arr[bad]), op)
    check_error(raised(lambda: arr[sub_box(bad)]), op)
    check_error(raised(lambda: arr.vindex[points_in(bad)]), op)
    check_error(raised(lambda: arr.oindex[tuple(np.arange(r.start, r.stop) for r in bad)]), op)


@pytest.mark.parametrize(("name", "kind", "location"), read_params())
def test_healthy_chunks_still_read(name: str, kind: str, location: str, tmp_path: Path) -> None:
    op = open_case(name, kind, location, tmp_path)
    expected = expected_values(name)
    good = healthy_region(name)
    np.testing.assert_array_equal(op.arr[good], expected[good])
    np.testing.assert_array_equal(op.arr[sub_box(good)], expected[sub_box(good)])
    pts = points_in(good)
    np.testing.assert_array_equal(op.arr.vindex[pts], expected[pts])
    # a failed read in between does not disturb the next one
    raised(lambda: op.arr[...])
    np.testing.assert_array_equal(op.arr[good], expected[good])


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.get("local_only")))
def test_directory_at_chunk_key_reads_as_fill(name: str, tmp_path: Path) -> None:
    """Not a file, so not a key: the store and the array both see it missing."""
    op = open_case(name, "local", "nested", tmp_path)
    expected = expected_values(name)
    bad = corrupt_region(name)
    expected[bad] = np.asarray(metadata(name)["fill_value"], dtype=expected.dtype)
    np.testing.assert_array_equal(op.arr[...], expected)
    assert op.arr.store.get(op.key) is None


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if not c.get("local_only")))
def test_local_and_memory_agree(name: str, tmp_path: Path) -> None:
    got = []
    for kind in ("local", "memory"):
        op = open_case(name, kind, "nested", tmp_path / kind)
        exc = raised(lambda op=op: op.arr[...])
        got.append((type(exc), exc.key))
    assert got[0] == got[1]


@pytest.mark.parametrize(
    "name",
    sorted(n for n, c in CASES.items() if SIZE_CAP_MESSAGE in c["message"] or "expand_to" in c),
)
def test_size_cap_error_names_codec(name: str, tmp_path: Path) -> None:
    op = open_case(name, "local", "root", tmp_path)
    exc = raised(lambda: op.arr[...])
    assert isinstance(exc, errors.CorruptChunkError)
    assert exc.codec == CASES[name]["codec"]


# -- writes --------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "kind", "location"), write_params())
def test_partial_write_into_corrupt_chunk(
    name: str, kind: str, location: str, tmp_path: Path
) -> None:
    op = open_case(name, kind, location, tmp_path)
    expected = expected_values(name)
    before = op.stored()
    bad = corrupt_region(name)
    # also reaching into neighbouring chunks, with the values they already hold
    spanning = tuple(slice(max(r.start - 2, 0), r.start + 2) for r in bad)

    def assign() -> None:
        op.arr[sub_box(bad)] = 7

    def assign_points() -> None:
        op.arr.vindex[points_in(bad)] = 7

    def assign_spanning() -> None:
        op.arr[spanning] = expected[spanning]

    for fn in (assign, assign_points, assign_spanning):
        check_error(raised(fn), op)
        assert op.temp_files() == []
        after = op.stored()
        for k in before.keys() | after.keys():
            is_bad = k == op.key or k.startswith(op.key + "/")
            if fn is assign_spanning and k in before and not is_bad:
                continue  # neighbours may be rewritten (with the same values)
            assert after.get(k) == before.get(k), k
    good = healthy_region(name)
    np.testing.assert_array_equal(op.arr[good], expected[good])


@pytest.mark.parametrize(("name", "kind", "location"), write_params())
def test_whole_chunk_overwrite(name: str, kind: str, location: str, tmp_path: Path) -> None:
    op = open_case(name, kind, location, tmp_path)
    bad = corrupt_region(name)
    expected = expected_values(name)
    new = expected[bad] + 1000
    if CASES[name].get("local_only"):
        # a directory cannot be replaced by a chunk file: refused, nothing left behind
        before = op.stored()
        exc = raised(lambda: op.arr.__setitem__(bad, new))
        assert isinstance(exc, errors.StoreError)
        assert exc.key == op.key
        assert op.temp_files() == []
        assert op.stored() == before
        return
    op.arr[bad] = new
    assert op.temp_files() == []
    expected[bad] = new
    np.testing.assert_array_equal(op.arr[...], expected)
    # and a fresh handle agrees
    if kind == "local":
        again = zarrc.open_array(str(op.root), path=op.array_path)
    else:
        again = zarrc.open_array(MemoryStore(op.mapping), path=op.array_path)
    np.testing.assert_array_equal(again[...], expected)


# -- memory use ----------------------------------------------------------------------
RSS_SCRIPT = textwrap.dedent(
    """
    import os, resource, sys
    from pathlib import Path

    # ru_maxrss survives exec: a process started by a large parent (pytest) begins
    # with the parent's peak.  A forked child starts its own count.
    pid = os.fork()
    if pid:
        sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
    import zarrc
    from zarrc.errors import CorruptChunkError
    from zarrc.storage import LocalStore, MemoryStore

    warm, bad, kind, control = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
    nums = [int(v) for v in sys.argv[5:]]
    box = tuple(slice(a, b) for a, b in zip(nums[0::2], nums[1::2]))

    def store(root):
        if kind == "local":
            return LocalStore(root)
        files = (p for p in root.rglob("*") if p.is_file())
        return MemoryStore({p.relative_to(root).as_posix(): p.read_bytes() for p in files})

    zarrc.config.set({"threads": 2})
    # warm up the engine, its threads and buffers on a healthy copy
    arr = zarrc.open_array(store(warm))
    for _ in range(2):
        arr[...] = arr[...] + 1
        arr[box] = 3
        arr[...]
    bad_store = store(bad)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    fails = 0
    if control:
        # what a reader that trusted the file would cost: the measurement must see it
        data = (bad / control).read_bytes()
    for _ in range(3):
        arr = zarrc.open_array(bad_store)
        for fn in (lambda: arr[...], lambda: arr[box], lambda: arr.__setitem__(box, 5)):
            try:
                fn()
            except CorruptChunkError:
                fails += 1
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(fails, after - before, flush=True)
    os._exit(0)
    """
)

RSS_CASES = [
    ("zstd_oversize_50mb", "local"),
    ("bytes_oversize_50mb", "local"),
    ("gzip_bomb_100mb", "local"),
    ("gzip_bomb_100mb", "memory"),
    ("gzip_bomb_4mb", "memory"),
    ("zstd_declares_2_40", "local"),
    ("blosc_header_claims_1mb", "memory"),
]


def run_rss_script(name: str, kind: str, tmp_path: Path, control: str = "") -> tuple[int, int]:
    """(failed operations, peak RSS growth in KiB) of reading the case in a fresh process."""
    warm = materialize(name, tmp_path / "warm")
    (warm / CASES[name]["key"]).unlink()
    bad = materialize(name, tmp_path / "bad")
    box = [str(v) for r in sub_box(corrupt_region(name)) for v in (r.start, r.stop)]
    proc = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, str(warm), str(bad), kind, control, *box],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # not the repository: import the package the test run uses
    )
    assert proc.returncode == 0, proc.stderr
    fails, growth_kb = map(int, proc.stdout.split())
    return fails, growth_kb


@pytest.mark.parametrize(("name", "kind"), RSS_CASES)
def test_claimed_sizes_are_not_allocated(name: str, kind: str, tmp_path: Path) -> None:
    """Neither a huge chunk file nor a decoder's claim makes the reader allocate it."""
    fails, growth_kb = run_rss_script(name, kind, tmp_path)
    assert fails == 9
    assert growth_kb < 16 * 1024, f"peak RSS grew by {growth_kb} KiB"


def test_rss_measurement_sees_a_50mb_read(tmp_path: Path) -> None:
    name = "zstd_oversize_50mb"
    fails, growth_kb = run_rss_script(name, "local", tmp_path, control=CASES[name]["key"])
    assert fails == 9
    assert growth_kb > 40 * 1024
