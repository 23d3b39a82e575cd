"""The ``zarrc`` command line, on stores written by zarrc and by zarr-python.

In-process runs (``main(argv)``) check output and exit status; subprocesses
check what only a real process shows: the console entry, a progress bar on a
real terminal (a pseudo-terminal), silence in a pipe, a copy killed midway and
resumed, Ctrl-C, and the memory ceiling of a copy.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import zarr

import zarrc
from zarrc.cli import main

sys.path.insert(0, str(Path(__file__).parent))
import _s3server  # noqa: E402

DATA = Path(__file__).parent / "data"
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def run(*argv: str) -> int:
    return main(list(argv))


def cli(*argv: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """``python -m zarrc ARGV`` in a subprocess (outside the repository)."""
    return subprocess.run(
        [sys.executable, "-m", "zarrc", *argv],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=kwargs.pop("cwd", "/"),
        timeout=kwargs.pop("timeout", 300),
        check=False,
    )


def _hierarchy(root: Path, *, writer: str = "zarrc", zarr_format: int = 3) -> dict[str, np.ndarray]:
    """A group with a plain, a sharded (v3) and a nested array; returns the values by path."""
    lib = zarrc if writer == "zarrc" else zarr
    g = lib.open_group(str(root), mode="w", zarr_format=zarr_format, attributes={"title": "t"})
    values = {
        "a": np.arange(120 * 70, dtype="i4").reshape(120, 70),
        "sub/s": np.linspace(0, 1, 96 * 64).reshape(96, 64),
        "sub/deeper/u": np.arange(50, dtype="u2"),
    }
    a = g.create_array("a", shape=(120, 70), chunks=(16, 16), dtype="i4")
    a[:] = values["a"]
    sub = g.create_group("sub", attributes={"k": [1, 2]})
    kwargs = {"shards": (32, 32)} if zarr_format == 3 else {}
    s = sub.create_array("s", shape=(96, 64), chunks=(8, 16), dtype="f8", **kwargs)
    s[:] = values["sub/s"]
    u = sub.create_group("deeper").create_array("u", shape=(50,), chunks=(7,), dtype="u2")
    u[:] = values["sub/deeper/u"]
    return values


def _assert_copy(dst: str, values: dict[str, np.ndarray]) -> None:
    """Element by element, read back by zarr-python and by zarrc."""
    theirs = zarr.open_group(dst, mode="r")
    ours = zarrc.open_group(dst, mode="r")
    assert dict(theirs.attrs) == {"title": "t"} and dict(ours["sub"].attrs) == {"k": [1, 2]}
    for path, expected in values.items():
        np.testing.assert_array_equal(theirs[path][...], expected)
        np.testing.assert_array_equal(ours[path][...], expected)


def _debris(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob("*") if p.name.startswith(".zarrc-tmp-")]


# -- info and tree ------------------------------------------------------------------------------
@pytest.mark.parametrize("writer", ["zarrc", "zarr"])
@pytest.mark.parametrize("zarr_format", [2, 3])
def test_info(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], writer: str, zarr_format: int
) -> None:
    root = tmp_path / "h.zarr"
    _hierarchy(root, writer=writer, zarr_format=zarr_format)
    assert run("info", str(root), "--json") == 0
    group = json.loads(capsys.readouterr().out)
    assert group["node"] == "group" and group["zarr_format"] == zarr_format
    assert (group["arrays"], group["groups"]) == (3, 2)
    assert group["nbytes"] == 120 * 70 * 4 + 96 * 64 * 8 + 50 * 2
    assert 0 < group["nbytes_stored"] < group["nbytes"]
    assert run("info", str(root), "--path", "sub/s", "--json") == 0
    info = json.loads(capsys.readouterr().out)
    assert info["shape"] == [96, 64] and info["dtype"] in ("float64", "<f8")
    assert info["chunks"] == [8, 16]
    if zarr_format == 3:
        assert info["shards"] == [32, 32]
        assert (info["shards_stored"], info["shards_total"]) == (6, 6)
        assert info["codecs"][0]["name"] == "sharding_indexed"
    else:
        assert info["shards"] is None and (info["chunks_stored"], info["chunks_total"]) == (48, 48)
        assert info["codecs"]["compressor"] is not None
    assert info["compression_ratio"] > 1
    assert run("info", str(root), "--path", "a") == 0
    text = capsys.readouterr().out
    assert "(120, 70)" in text and re.search(r"Chunks stored +: 40 of 40", text), text


def test_tree_and_depth(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "h.zarr"
    _hierarchy(root)
    assert run("tree", str(root)) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "/",
        "├── a (120, 70) int32",
        "└── sub",
        "    ├── deeper",
        "    │   └── u (50,) uint16",
        "    └── s (96, 64) float64",
    ]
    assert run("tree", str(root), "--depth", "0") == 0
    assert "deeper" not in capsys.readouterr().out


def test_missing_node_is_a_typed_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("info", str(tmp_path / "nothing.zarr")) == 2
    err = capsys.readouterr().err
    assert "NodeNotFoundError" in err and "nothing.zarr" in err


# -- check ---------------------------------------------------------------------------------------
def test_check_sound_hierarchies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for fmt in (2, 3):
        root = tmp_path / f"v{fmt}.zarr"
        _hierarchy(root, writer="zarr", zarr_format=fmt)
        assert run("check", str(root), "--deep", "--json") == 0
        report = json.loads(capsys.readouterr().out)
        assert report["ok"] and report["arrays"] == 3 and report["groups"] == 3
        assert report["chunks"] == 40 + (6 if fmt == 3 else 48) + 8


@pytest.mark.parametrize("corpus", ["corrupt_chunks", "corrupt_shards"])
def test_check_finds_every_frozen_corruption(
    corpus: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each frozen corrupt store: exactly its corrupt key, with the expected typed error."""
    cases = json.loads((DATA / corpus / "cases.json").read_text())
    # a directory where a chunk file would be is no stored key: nothing to decode
    cases = {k: v for k, v in cases.items() if v["error"] != "StoreError"}
    assert len(cases) >= 24
    for name, case in cases.items():
        code = run("check", str(DATA / corpus / case["array"]), "--deep", "--json")
        report = json.loads(capsys.readouterr().out)
        assert code == 1, name
        found = {(p["key"], p["error"]) for p in report["problems"]}
        assert found == {(case["key"], case["error"])}, (name, report["problems"])


def test_check_reports_all_keys_and_bad_documents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "h.zarr"
    _hierarchy(root)
    (root / "a" / "c" / "1" / "2").write_bytes(b"not zstd")
    (root / "a" / "c" / "6" / "0").write_bytes(b"")
    shard = root / "sub" / "s" / "c" / "1" / "1"
    blob = bytearray(shard.read_bytes())
    blob[-6] ^= 0x40  # inside the index: its checksum no longer matches
    shard.write_bytes(bytes(blob))
    (root / "sub" / "deeper" / "zarr.json").write_text("{not json")
    assert run("check", str(root), "--deep") == 1
    out = capsys.readouterr().out.splitlines()
    keys = sorted(line.split(":")[0] for line in out[:-1])
    assert keys == ["a/c/1/2", "a/c/6/0", "sub/deeper/zarr.json", "sub/s/c/1/1"]
    assert any("CorruptShardError" in line and "checksum" in line for line in out)
    assert out[-1].endswith("4 problem(s)")
    # without --deep only the documents are read
    assert run("check", str(root)) == 1
    assert capsys.readouterr().out.splitlines()[0].startswith("sub/deeper/zarr.json: MetadataError")


# -- copy ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "fmt", "chunks", "shards"),
    [
        ([], 3, (8, 16), (32, 32)),
        (["--chunks", "24", "--shards", "none", "--compressors", "zstd:3"], 3, (24, 24), None),
        (
            ["--chunks", "4", "--shards", "16", "--compressors", "blosc:lz4:5:shuffle"],
            3,
            (4, 4),
            (16, 16),
        ),
        (["--zarr-format", "2", "--compressors", "gzip:1"], 2, (8, 16), None),
        (["--compressors", "none", "--threads", "1"], 3, (8, 16), (32, 32)),
    ],
)
def test_copy_layouts(
    tmp_path: Path, args: list[str], fmt: int, chunks: tuple[int, ...], shards: object
) -> None:
    src = tmp_path / "src.zarr"
    values = _hierarchy(src, writer="zarr")
    dst = tmp_path / "dst.zarr"
    assert run("copy", str(src), str(dst), "--quiet", *args) == 0
    _assert_copy(str(dst), values)
    s = zarrc.open_array(str(dst), path="sub/s", mode="r")
    assert s.metadata.zarr_format == fmt and s.chunks == chunks and s.shards == shards
    assert not _debris(dst)


def test_copy_v2_to_v3_and_zip(tmp_path: Path) -> None:
    src = tmp_path / "v2.zarr"
    values = _hierarchy(src, writer="zarr", zarr_format=2)
    dst = tmp_path / "out.zip"
    assert run("copy", str(src), str(dst), "--zarr-format", "3", "--shards", "112", "-q") == 0
    with zipfile.ZipFile(dst) as zf:
        assert "sub/s/zarr.json" in zf.namelist()
    store = zarr.storage.ZipStore(str(dst), mode="r")
    theirs = zarr.open_group(store, mode="r")
    for path, expected in values.items():
        np.testing.assert_array_equal(theirs[path][...], expected)
    assert theirs["a"].shards == (112, 112)
    store.close()
    # the archive as a source: tree, info, check and a copy back out
    assert run("tree", str(dst)) == 0
    assert run("check", str(dst), "--deep", "-q") == 0
    assert run("copy", str(dst), str(tmp_path / "back.zarr"), "--shards", "none", "-q") == 0
    back = zarr.open_group(str(tmp_path / "back.zarr"), mode="r")
    for path, expected in values.items():
        np.testing.assert_array_equal(back[path][...], expected)


def test_copy_one_array_into_a_group(tmp_path: Path) -> None:
    src = tmp_path / "src.zarr"
    values = _hierarchy(src)
    dst = tmp_path / "dst.zarr"
    zarrc.open_group(str(dst), mode="w")
    assert run("copy", str(src), str(dst), "--path", "sub/s", "--dst-path", "x/s2", "-q") == 0
    np.testing.assert_array_equal(zarr.open_array(str(dst), path="x/s2")[...], values["sub/s"])


def test_copy_shape_of_the_wrong_rank(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "src.zarr"
    _hierarchy(src)
    assert run("copy", str(src), str(tmp_path / "d.zarr"), "--chunks", "8,8", "-q") == 2
    err = capsys.readouterr().err
    assert "ValueError" in err and "'sub/deeper/u' has 1" in err


def test_copy_refuses_existing_destination(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "src.zarr"
    _hierarchy(src)
    dst = tmp_path / "dst.zarr"
    assert run("copy", str(src), str(dst), "-q") == 0
    assert run("copy", str(src), str(dst), "-q") == 2
    assert "ContainsGroupError" in capsys.readouterr().err
    assert run("copy", str(src), str(dst), "-q", "--overwrite") == 0


def _big_source(root: Path, n: int = 64) -> np.ndarray:
    values = np.random.default_rng(1).integers(0, 1000, (n, 256, 256), dtype="u2")
    a = zarrc.create_array(str(root), shape=values.shape, chunks=(4, 64, 64), dtype="u2")
    a[...] = values
    return values


def _wait_for_objects(root: Path, at_least: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("the copy finished before it could be interrupted")
        if (
            sum(1 for p in root.rglob("*") if p.is_file() and p.parent.name != root.name)
            >= at_least
        ):
            return
        time.sleep(0.02)
    pytest.fail("the copy made no progress")


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_copy_interrupted_then_resumed(tmp_path: Path, how: signal.Signals) -> None:
    src = tmp_path / "src.zarr"
    values = _big_source(src)
    dst = tmp_path / "dst.zarr"
    argv = [sys.executable, "-m", "zarrc", "copy", str(src), str(dst), "--chunks", "2,32,32"]
    argv += ["--shards", "none", "--compressors", "gzip:9", "--max-memory", "1M", "--threads", "1"]
    proc = subprocess.Popen(argv, cwd="/", env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for_objects(dst, 200, proc)
    proc.send_signal(how)
    _, err = proc.communicate(timeout=120)
    if how == signal.SIGINT:
        assert proc.returncode == 130 and b"--resume" in err
    else:
        assert proc.returncode == -signal.SIGKILL
    written_before = {p: p.stat().st_mtime_ns for p in dst.rglob("*") if p.is_file()}
    if how == signal.SIGINT:
        assert not _debris(dst)
    done = cli(
        "copy",
        str(src),
        str(dst),
        "--chunks",
        "2,32,32",
        "--shards",
        "none",
        "--compressors",
        "gzip:9",
        "--resume",
        "--max-memory",
        "1M",
    )
    assert done.returncode == 0, done.stderr
    skipped = int(done.stdout.split(" objects written, ")[1].split()[0])
    assert skipped >= 64  # at least one whole finished region was not rewritten
    kept = [p for p, t in written_before.items() if p.exists() and p.stat().st_mtime_ns == t]
    assert len(kept) >= skipped
    np.testing.assert_array_equal(zarr.open_array(str(dst), mode="r")[...], values)
    if how == signal.SIGINT:  # a killed writer's temp file is left behind (hidden from listings)
        assert not _debris(dst)


@pytest.mark.slow
def test_copy_memory_stays_bounded(tmp_path: Path) -> None:
    """A 256 MiB array copied with --max-memory 32M: peak memory grows by far less than it."""
    src = tmp_path / "src.zarr"
    values = np.arange(128 * 1024 * 1024, dtype="u2").reshape(512, 512, 512)
    a = zarrc.create_array(
        str(src), shape=values.shape, chunks=(64, 64, 64), dtype="u2", compressors=None
    )
    for i in range(0, 512, 64):
        a[i : i + 64] = values[i : i + 64]
    del values
    # VmHWM is this process's own peak (ru_maxrss would start at the parent's: it
    # survives fork and exec on Linux)
    probe = (
        "import sys, zarrc.cli\n"
        "def hwm():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'):\n"
        "            return int(line.split()[1]) * 1024\n"
        "base = hwm()\n"
        "rc = zarrc.cli.main(sys.argv[1:])\n"
        "print('GROWTH', hwm() - base)\n"
        "sys.exit(rc)\n"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            probe,
            "copy",
            str(src),
            str(tmp_path / "dst.zarr"),
            "--max-memory",
            "32M",
            "--chunks",
            "32",
            "-q",
        ],
        capture_output=True,
        text=True,
        env=ENV,
        cwd="/",
        timeout=600,
        check=True,
    )
    growth = int(out.stdout.split("GROWTH")[1])
    print(f"peak memory growth {growth / 2**20:.1f} MiB")
    # documented ceiling: max_memory for data in flight, plus the engine's per-thread buffers
    assert growth < 32 * 2**20 + 16 * 2**20, growth
    dst = zarr.open_array(str(tmp_path / "dst.zarr"), mode="r")
    np.testing.assert_array_equal(dst[100:104, ::7, 5], np.asarray(a[100:104, ::7, 5]))


# -- progress ------------------------------------------------------------------------------------
def _run_on_terminal(argv: list[str]) -> tuple[int, str]:
    """Run argv with stdout and stderr on a pseudo-terminal; returns (status, screen text)."""
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.chdir("/")
        os.execve(sys.executable, [sys.executable, "-m", "zarrc", *argv], {**ENV, "COLUMNS": "100"})
    chunks = []
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while True:
        if not poller.poll(60_000):
            break
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode("utf-8", "replace")


def test_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    src = tmp_path / "src.zarr"
    _hierarchy(src)
    code, screen = _run_on_terminal(["copy", str(src), str(tmp_path / "tty.zarr")])
    assert code == 0
    total = 40 + 6 + 8
    assert "copying" in screen and f"{total}/{total}" in screen, screen
    code, screen = _run_on_terminal(["check", str(tmp_path / "tty.zarr"), "--deep"])
    assert code == 0 and "checking" in screen and f"{total}/{total}" in screen
    # through pipes: no bar, only the summary
    piped = cli("copy", str(src), str(tmp_path / "pipe.zarr"))
    assert piped.returncode == 0 and piped.stderr == ""
    assert piped.stdout.startswith("copied 3 arrays, 3 groups")
    quiet = cli("copy", str(src), str(tmp_path / "quiet.zarr"), "--quiet")
    assert quiet.returncode == 0 and quiet.stdout == quiet.stderr == ""


def test_python_progress_callback(tmp_path: Path) -> None:
    from zarrc.hierarchy.copy import copy_hierarchy

    src = tmp_path / "src.zarr"
    _hierarchy(src)
    calls: list[tuple[int, int]] = []
    copy_hierarchy(
        zarrc.storage.LocalStore(src),
        "",
        zarrc.storage.LocalStore(tmp_path / "d"),
        "",
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls[0] == (0, 54) and calls[-1] == (54, 54)
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:], strict=False))


# -- migrate and consolidate ---------------------------------------------------------------------
def test_migrate_and_consolidate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "v2.zarr"
    values = _hierarchy(root, writer="zarr", zarr_format=2)
    assert run("migrate", "v3", str(root), "--dry-run") == 0
    assert "would migrate sub/deeper/u" in capsys.readouterr().out
    assert not (root / "zarr.json").exists()
    assert run("migrate", "v3", str(root)) == 0
    capsys.readouterr()
    assert run("consolidate", str(root)) == 0
    assert "consolidated 5 members" in capsys.readouterr().out
    g = zarr.open_group(str(root), mode="r", zarr_format=3, use_consolidated=True)
    assert g.metadata.consolidated_metadata is not None
    for path, expected in values.items():
        np.testing.assert_array_equal(g[path][...], expected)


def test_console_script_and_module_help() -> None:
    out = cli("--help")
    assert out.returncode == 0
    for command in ("info", "tree", "check", "copy", "migrate", "consolidate"):
        assert command in out.stdout
    assert cli("copy").returncode == 2  # missing arguments: argparse's usage error


# -- remote stores -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def s3() -> Iterator[_s3server.S3Server]:
    missing = _s3server.s3_available()
    if missing is not None:
        pytest.fail(f"the S3 test server cannot run: {missing}")
    server = _s3server.acquire()
    yield server
    _s3server.release()


def test_s3_info_check_and_copy(
    tmp_path: Path, s3: _s3server.S3Server, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = s3.create_bucket()
    url = f"s3://{bucket}/{uuid.uuid4().hex}.zarr"
    opts = s3.storage_options()
    options = [
        "-o",
        f"key={opts['key']}",
        "-o",
        f"secret={opts['secret']}",
        "-o",
        "client_kwargs=" + json.dumps(opts["client_kwargs"]),
    ]
    src = tmp_path / "src.zarr"
    values = _hierarchy(src)
    assert run("copy", str(src), url, "-q", *options) == 0
    assert run("check", url, "--deep", "-q", *options) == 0
    assert run("info", url, "--path", "sub/s", "--json", *options) == 0
    assert '"shards_stored": 6' in capsys.readouterr().out
    assert run("tree", url, *options) == 0
    assert "s (96, 64) float64" in capsys.readouterr().out
    back = tmp_path / "back.zarr"
    assert run("copy", url, str(back), "-q", "--compressors", "zstd:1", *options) == 0
    _assert_copy(str(back), values)
