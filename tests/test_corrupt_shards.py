"""Every malformed shard in the corrupt-shard corpus gives its typed error, never a crash.

The corpus (``tests/data/corrupt_shards``, made by ``make_corrupt_shards.py``)
holds small sharded arrays written by zarr-python whose shard ``c/1/1`` is
damaged: bad index entries, index checksum mismatches, truncated and empty
shard files, damaged inner chunks under a correct index.  Each case is read
through a ``LocalStore`` (the engine reads the shard files itself) and a
``MemoryStore`` (index parsed in Python, inner chunks decoded by the engine),
at the store root and at a nested path.  A read touching the bad shard raises
the recorded exception naming the key, the inner chunk, the entry's offset and
length and the shard size; healthy shards still read; writes that must read the
bad shard fail and change nothing; writing the whole shard repairs it; the
1 TiB entry allocates nothing (peak RSS of a fresh process).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
import struct
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import google_crc32c
import numpy as np
import pytest

import zarrc
from zarrc import errors
from zarrc.storage import MemoryStore
from zarrc.storage._base import Store

CORPUS = Path(__file__).parent / "data" / "corrupt_shards"
CASES: dict[str, dict[str, Any]] = json.loads((CORPUS / "cases.json").read_text())
NESTED = "group/arr"
SHARD_SHAPE = (4, 6)
INNER_SHAPE = (2, 3)
SHARD_KEYS = ("c/0/0", "c/0/1", "c/1/0", "c/1/1")
LOCK_PREFIX = ".zarrc-tmp-lock-"

KNOWN: dict[str, Any] = {}


def params(
    kinds: tuple[str, ...], locations: tuple[str, ...], *, checks_error: bool = True
) -> list[Any]:
    out = []
    for name in sorted(CASES):
        marks = [KNOWN[name]] if name in KNOWN and checks_error else []
        for kind in kinds:
            for location in locations:
                out.append(
                    pytest.param(name, kind, location, id=f"{name}-{kind}-{location}", marks=marks)
                )
    return out


# -- corpus access ----------------------------------------------------------------------------
def expected_values() -> np.ndarray:
    md = json.loads((CORPUS / next(iter(CASES.values()))["zarr_json"]).read_text())
    data = next(iter(CASES.values()))["data"]
    shape = tuple(md["shape"])
    n = int(np.prod(shape))
    flat = (data["start"] + np.arange(n, dtype=np.int64) * data["step"]) % data["modulus"]
    return flat.astype(md["data_type"]).reshape(shape)


EXPECTED = expected_values()
SHAPE = EXPECTED.shape


def shard_region(key: str) -> tuple[slice, ...]:
    coords = [int(c) for c in key.split("/")[1:]]
    return tuple(
        slice(c * s, min((c + 1) * s, n))
        for c, s, n in zip(coords, SHARD_SHAPE, SHAPE, strict=True)
    )


def inner_region(key: str, inner: list[int]) -> tuple[slice, ...]:
    shard = shard_region(key)
    return tuple(
        slice(r.start + i * c, min(r.start + (i + 1) * c, n))
        for r, i, c, n in zip(shard, inner, INNER_SHAPE, SHAPE, strict=True)
    )


def bad_region(name: str) -> tuple[slice, ...]:
    """The damaged inner chunk, or the whole shard when the damage is to the index."""
    case = CASES[name]
    if case["inner"] is None:
        return shard_region(case["key"])
    return inner_region(case["key"], case["inner"])


def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(LOCK_PREFIX)
    }


@dataclass
class Opened:
    name: str
    kind: str
    array_path: str
    arr: Any
    root: Path
    mapping: dict[str, bytes] | None

    @property
    def key(self) -> str:
        return "/".join(p for p in (self.array_path, CASES[self.name]["key"]) if p)

    def stored(self) -> dict[str, str]:
        if self.mapping is None:
            return tree_digest(self.root)
        return {k: hashlib.sha256(v).hexdigest() for k, v in sorted(self.mapping.items())}

    def reopen(self) -> Any:
        if self.mapping is None:
            return zarrc.open_array(str(self.root), path=self.array_path)
        return zarrc.open_array(MemoryStore(self.mapping), path=self.array_path)


def open_case(name: str, kind: str, location: str, tmp_path: Path) -> Opened:
    array_path = NESTED if location == "nested" else ""
    root = tmp_path / "store"
    case_dir = root / array_path if array_path else root
    shutil.copytree(CORPUS / name, case_dir)
    if kind == "local":
        arr = zarrc.open_array(str(root), path=array_path)
        return Opened(name, kind, array_path, arr, root, None)
    prefix = array_path + "/" if array_path else ""
    mapping = {
        prefix + p.relative_to(case_dir).as_posix(): p.read_bytes()
        for p in sorted(case_dir.rglob("*"))
        if p.is_file()
    }
    arr = zarrc.open_array(MemoryStore(mapping), path=array_path)
    return Opened(name, kind, array_path, arr, root, mapping)


def raised(fn: Any) -> BaseException:
    with pytest.raises(errors.CodecError) as info:
        fn()
    return info.value


def check_error(exc: BaseException, op: Opened) -> None:
    """The recorded error type, naming the key, the codec, the inner chunk, the offset,
    the length and the shard size where the case has them."""
    case = CASES[op.name]
    assert type(exc) is getattr(errors, case["error"]), repr(exc)
    text = str(exc)
    assert exc.key == op.key, text
    assert f"key {op.key!r}" in text
    assert exc.codec == case["codec"], text
    for fragment in case["message"]:
        assert fragment in text
    if case["inner"] is not None:
        assert f"inner chunk {tuple(case['inner'])}" in text
    if case["offset"] is not None:
        assert f"offset {case['offset']}" in text
    if case["length"] is not None:
        assert f"length {case['length']}" in text
    if case["shard_size"] is not None:
        assert f"shard size {case['shard_size']}" in text


# -- the corpus itself --------------------------------------------------------------------------
def test_corpus_is_complete() -> None:
    assert {p.name for p in CORPUS.iterdir() if p.is_dir()} == set(CASES)
    for name, case in CASES.items():
        assert case["array"] == name
        assert (CORPUS / case["zarr_json"]).is_file()
        assert issubclass(getattr(errors, case["error"]), errors.CorruptChunkError)
        shards = {p.relative_to(CORPUS / name).as_posix() for p in (CORPUS / name).rglob("c/*/*")}
        assert shards == set(SHARD_KEYS)
    kinds = {c["error"] for c in CASES.values()}
    assert kinds == {"CorruptShardError", "CorruptChunkError", "ChecksumError"}
    # the cases the sharding issue lists
    for name in (
        "truncated_end",
        "truncated_start",
        "index_crc_mismatch",
        "offset_past_end",
        "length_2_40",
        "offset_length_overflow",
        "entry_into_index_end",
        "entry_into_index_start",
        "empty_shard",
        "half_empty_offset",
        "inner_zstd_garbled",
        "inner_crc32c_mismatch",
    ):
        assert name in CASES
    assert {c["index_location"] for c in CASES.values()} == {"start", "end"}


def test_corpus_is_what_the_script_makes(tmp_path: Path) -> None:
    pytest.importorskip("zarr")
    sys.path.insert(0, str(CORPUS.parent))
    try:
        import make_corrupt_shards
    finally:
        sys.path.pop(0)
    made = make_corrupt_shards.generate(tmp_path / "corpus")
    fresh, frozen = tree_digest(tmp_path / "corpus"), tree_digest(CORPUS)
    assert fresh.keys() == frozen.keys()
    assert made.keys() == CASES.keys()
    # byte for byte where no compressor is involved (compressed output may change with
    # library versions; the committed corpus stays as it is)
    for name, case in CASES.items():
        if case["codecs"]["inner"] in ("none", "crc32c"):
            assert made[name] == case
            files = [k for k in frozen if k.startswith(name + "/")]
            assert {k: fresh[k] for k in files} == {k: frozen[k] for k in files}


# -- reads ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "kind", "location"), params(("local", "memory"), ("root", "nested"))
)
def test_read_gives_typed_error(name: str, kind: str, location: str, tmp_path: Path) -> None:
    op = open_case(name, kind, location, tmp_path)
    arr = op.arr
    bad = bad_region(name)
    first = tuple(r.start for r in bad)
    check_error(raised(lambda: arr[...]), op)
    check_error(raised(lambda: arr[bad]), op)
    check_error(raised(lambda: arr[first]), op)
    check_error(raised(lambda: arr[tuple(slice(r.stop - 1, None, -1) for r in bad)]), op)
    check_error(raised(lambda: arr.vindex[tuple(np.array([s]) for s in first)]), op)
    check_error(raised(lambda: arr.oindex[tuple(np.arange(r.start, r.stop) for r in bad)]), op)


@pytest.mark.parametrize(
    ("name", "kind", "location"), params(("local", "memory"), ("root",), checks_error=False)
)
def test_healthy_shards_still_read(name: str, kind: str, location: str, tmp_path: Path) -> None:
    op = open_case(name, kind, location, tmp_path)
    for key in SHARD_KEYS[:3]:
        reg = shard_region(key)
        np.testing.assert_array_equal(op.arr[reg], EXPECTED[reg])
        pts = tuple(np.array([r.start, r.stop - 1]) for r in reg)
        np.testing.assert_array_equal(op.arr.vindex[pts], EXPECTED[pts])
    raised(lambda: op.arr[...])
    # a failed read leaves nothing behind that disturbs the next one
    reg = shard_region("c/1/0")
    np.testing.assert_array_equal(op.arr[reg], EXPECTED[reg])


@pytest.mark.parametrize(("name", "kind", "location"), params(("local", "memory"), ("root",)))
def test_other_inner_chunks_of_the_bad_shard(
    name: str, kind: str, location: str, tmp_path: Path
) -> None:
    """Never wrong values: an intact inner chunk of the damaged shard reads correctly,
    or (when the index itself is bad) raises the case's error."""
    op = open_case(name, kind, location, tmp_path)
    reg = inner_region(CASES[name]["key"], [0, 0])
    if CASES[name]["error"] != "CorruptShardError":
        np.testing.assert_array_equal(op.arr[reg], EXPECTED[reg])
        return
    try:
        got = op.arr[reg]
    except errors.CodecError as exc:
        check_error(exc, op)
    else:
        np.testing.assert_array_equal(got, EXPECTED[reg])


@pytest.mark.parametrize("name", sorted(n for n in CASES if n not in KNOWN))
def test_local_and_memory_agree(name: str, tmp_path: Path) -> None:
    got = []
    for kind in ("local", "memory"):
        op = open_case(name, kind, "nested", tmp_path / kind)
        exc = raised(lambda op=op: op.arr[...])
        got.append((type(exc), exc.key, exc.codec))
    assert got[0] == got[1]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        pytest.param("index_crc_mismatch", "local", id="index-local"),
        pytest.param(
            "index_crc_mismatch",
            "memory",
            id="index-memory",
        ),
        pytest.param("offset_past_end", "local", id="entry-local"),
        pytest.param(
            "offset_past_end",
            "memory",
            id="entry-memory",
        ),
        pytest.param("inner_zstd_garbled", "local", id="inner-local"),
        pytest.param("inner_zstd_garbled", "memory", id="inner-memory"),
    ],
)
def test_error_names_the_array(name: str, kind: str, tmp_path: Path) -> None:
    op = open_case(name, kind, "nested", tmp_path)
    exc = raised(lambda: op.arr[...])
    assert exc.array_path == NESTED
    assert f"array {NESTED!r}" in str(exc)


@pytest.mark.parametrize("name", ["index_crc_mismatch", "truncated_end", "empty_shard"])
def test_whole_index_errors_name_no_inner_chunk(name: str, tmp_path: Path) -> None:
    op = open_case(name, "local", "root", tmp_path)
    exc = raised(lambda: op.arr[shard_region("c/1/1")])
    assert "inner chunk" not in str(exc)


# -- writes --------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "kind", "location"), params(("local", "memory"), ("nested",)))
def test_partial_write_into_bad_shard(name: str, kind: str, location: str, tmp_path: Path) -> None:
    """A write that must read the damaged part fails with the case's error and changes
    nothing; stored bytes of other shards are untouched too."""
    op = open_case(name, kind, location, tmp_path)
    before = op.stored()
    bad = bad_region(name)
    one = tuple(slice(r.start, r.start + 1) for r in bad)

    def assign() -> None:
        op.arr[one] = 1

    def assign_points() -> None:
        op.arr.vindex[tuple(np.array([r.start]) for r in bad)] = 2

    for fn in (assign, assign_points):
        check_error(raised(fn), op)
        assert op.stored() == before
    if op.mapping is None:
        leftovers = [p for p in op.root.rglob(".zarrc-tmp-*") if not p.name.startswith(LOCK_PREFIX)]
        assert leftovers == []
    for key in SHARD_KEYS[:3]:
        reg = shard_region(key)
        np.testing.assert_array_equal(op.arr[reg], EXPECTED[reg])


@pytest.mark.parametrize(
    ("name", "kind", "location"), params(("local", "memory"), ("nested",), checks_error=False)
)
def test_whole_shard_write_repairs(name: str, kind: str, location: str, tmp_path: Path) -> None:
    op = open_case(name, kind, location, tmp_path)
    reg = shard_region(CASES[name]["key"])
    expected = EXPECTED.copy()
    expected[reg] = 1000 + EXPECTED[reg] % 7
    op.arr[reg] = expected[reg]
    np.testing.assert_array_equal(op.arr[...], expected)
    np.testing.assert_array_equal(op.reopen()[...], expected)


# -- memory and unsized stores ---------------------------------------------------------------
class UnsizedStore(Store):
    """Any store that is neither local nor memory: sharded reads do not know shard sizes."""

    def __init__(self, inner: MemoryStore):
        super().__init__(read_only=inner.read_only)
        self.inner = inner

    def get(self, key: str, byte_range: Any = None) -> bytes | None:
        return self.inner.get(key, byte_range)

    def get_many(self, keys: Any, byte_ranges: Any = None) -> list[bytes | None]:
        return self.inner.get_many(keys, byte_ranges)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def set(self, key: str, value: Any) -> None:
        self.inner.set(key, value)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def list(self) -> Iterator[str]:
        return self.inner.list()

    def list_prefix(self, prefix: str) -> Iterator[str]:
        return self.inner.list_prefix(prefix)

    def list_dir(self, prefix: str) -> Iterator[str]:
        return self.inner.list_dir(prefix)

    def with_read_only(self, read_only: bool = True) -> UnsizedStore:
        return UnsizedStore(self.inner.with_read_only(read_only))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnsizedStore) and other.inner == self.inner

    __hash__ = None  # type: ignore[assignment]


UNSIZED_SOURCE = inspect.getsource(UnsizedStore)

RSS_SCRIPT = textwrap.dedent(
    """
    from __future__ import annotations
    import resource, sys
    from pathlib import Path
    import numpy as np
    import zarrc
    from zarrc.errors import CorruptShardError
    from collections.abc import Iterator
    from typing import Any
    from zarrc.storage import MemoryStore
    from zarrc.storage._base import Store

    UNSIZED

    def peak_kb():
        # VmHWM: the peak RSS of this process image.  ru_maxrss would do on a fresh
        # interpreter, but Linux carries a forking parent's peak over into it.
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    root, kind, control = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "control"

    def store():
        if kind == "local":
            return str(root)
        files = (p for p in root.rglob("*") if p.is_file())
        mem = MemoryStore({p.relative_to(root).as_posix(): p.read_bytes() for p in files})
        return mem if kind == "memory" else UnsizedStore(mem)

    zarrc.config.set({"threads": 2})
    arr = zarrc.open_array(store())
    for _ in range(2):  # warm up the engine, its threads and buffers on healthy shards
        arr[0:4, 0:6] = arr[0:4, 0:6]
        arr[0:4, :6]
    before = peak_kb()
    fails = 0
    for _ in range(3):
        arr = zarrc.open_array(store())
        for fn in (
            lambda: arr[...],
            lambda: arr[6, 6],
            lambda: arr.__setitem__((6, 6), 5),
        ):
            try:
                fn()
            except CorruptShardError:
                fails += 1
        if control:  # what the measurement sees when 32 MiB are touched
            np.ones(32 << 20, dtype=np.uint8).sum()
    after = peak_kb()
    print(fails, after - before)
    """
).replace("UNSIZED", UNSIZED_SOURCE)


def rss_run(name: str, kind: str, tmp_path: Path, control: bool = False) -> tuple[int, int]:
    """(reads and writes refused, peak RSS growth in KiB) in a fresh process."""
    root = tmp_path / "arr"
    shutil.copytree(CORPUS / name, root)
    proc = subprocess.run(
        [sys.executable, "-c", RSS_SCRIPT, str(root), kind, "control" if control else "-"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # not the repository: import the package the test run uses
    )
    assert proc.returncode == 0, proc.stderr
    fails, growth_kb = map(int, proc.stdout.split())
    return fails, growth_kb


@pytest.mark.parametrize("kind", ["local", "memory", "unsized"])
@pytest.mark.parametrize("name", ["length_2_40", "length_2_40_start", "length_overflow"])
def test_claimed_lengths_are_not_allocated(name: str, kind: str, tmp_path: Path) -> None:
    fails, growth_kb = rss_run(name, kind, tmp_path)
    assert fails == 9
    assert growth_kb < 16 * 1024, f"peak RSS grew by {growth_kb} KiB"


def test_rss_measurement_sees_32_mib(tmp_path: Path) -> None:
    fails, growth_kb = rss_run("length_2_40", "local", tmp_path, control=True)
    assert fails == 9
    assert growth_kb > 24 * 1024


@pytest.mark.parametrize("name", sorted(n for n in CASES if n not in KNOWN))
def test_unsized_store_never_returns_wrong_values(name: str, tmp_path: Path) -> None:
    """Through a store whose value sizes are unknown (no getsize), damage that needs
    the shard size to be seen may surface as an inner chunk decode error, but never
    as wrong values or a crash."""
    case_dir = CORPUS / name
    mapping = {
        p.relative_to(case_dir).as_posix(): p.read_bytes()
        for p in case_dir.rglob("*")
        if p.is_file()
    }
    arr = zarrc.open_array(UnsizedStore(MemoryStore(mapping)))
    exc = raised(lambda: arr[...])
    assert isinstance(exc, errors.CorruptChunkError)
    assert exc.key == CASES[name]["key"]
    for key in SHARD_KEYS[:3]:
        reg = shard_region(key)
        np.testing.assert_array_equal(arr[reg], EXPECTED[reg])


def test_unsized_store_entry_into_index_uncompressed() -> None:
    store = MemoryStore()
    arr = zarrc.create_array(
        store, shape=(4,), chunks=(2,), shards=(4,), dtype="uint32", compressors=None
    )
    arr[...] = [1, 2, 3, 4]
    raw = store.get("c/0")
    assert raw is not None
    body = np.array([[len(raw) - 36, 8], [8, 8]], dtype="<u8").tobytes()
    store.set("c/0", raw[:-36] + body + struct.pack("<I", google_crc32c.value(body)))
    with pytest.raises(errors.CorruptShardError):
        zarrc.open_array(store)[...]  # sized: refused
    with pytest.raises(errors.CorruptShardError):
        zarrc.open_array(UnsizedStore(store))[...]
