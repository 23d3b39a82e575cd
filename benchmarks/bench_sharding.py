"""Sharded-array benchmark: zarrc vs zarr-python 3 vs zarrs-python vs tensorstore, one run.

uint16 512^3 in shards of 256^3 holding 32^3 inner chunks (8 shards of 512 inner chunks;
index ``bytes`` + ``crc32c`` at the end), inner codecs zstd-1, blosc-lz4 (byte shuffle) and
none. For each codec the reference writer (zarr-python, ``--ref``) writes the array once;
every (codec, workload, implementation) then runs in its own fresh interpreter:

- ``write``: ``arr[...] = data`` on a freshly created array (data already in memory);
- ``read``: ``arr[...]``; also the peak RSS during the first read (VmHWM after resetting
  it through ``/proc/self/clear_refs``) against the budget "output + one decoded shard
  per worker thread";
- ``point``: ``--n-point`` random single elements, median us per read;
- ``box``: ``--n-box`` random 8^3 boxes, median us per read;
- ``chunks``: every inner chunk read by its own slice, in C order; total seconds.

Plus ``decode``: the cost of decompressing one stored inner chunk (median of 2000, with the
system libzstd / libblosc through ctypes, as ``floor.py``; for ``none`` a 64 KiB memcpy),
the yardstick of the target "a random element from a zstd shard <= 1.3x one inner chunk
decompression". Every result is checked against the source data (CRC-32).

    python benchmarks/bench_sharding.py                     # the full run (7-9 minutes)
    python benchmarks/bench_sharding.py --quick             # 128^3, shards 64^3, 16^3 inner
    python benchmarks/bench_sharding.py --codecs zstd1 --impls zarrc,tensorstore
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import impls  # noqa: E402

IMPLS = ("zarrc", "zarr", "zarrs", "tensorstore")
WORKLOADS = ("write", "read", "point", "box", "chunks")
DTYPE = "uint16"
BOX = 8


# ---------------------------------------------------------------------------------------------
# Sharded adapters: the benchmark adapters with shards at creation


class _ShardedAPI:
    """Mixin for the zarr-python-API adapters: create with ``shards=``."""

    shards: tuple[int, ...]

    def create_sharded(
        self,
        path: str,
        shape: tuple[int, ...],
        shards: tuple[int, ...],
        inner: tuple[int, ...],
        codec: str,
    ) -> None:
        kw = self._codec_kwargs(codec, np.dtype(DTYPE).itemsize)  # type: ignore[attr-defined]
        arr = self.zarr.create_array(  # type: ignore[attr-defined]
            path,
            shape=shape,
            chunks=inner,
            shards=shards,
            dtype=DTYPE,
            fill_value=0,
            overwrite=True,
            **kw,
        )
        self._bind(arr)  # type: ignore[attr-defined]


class ZarrcSharded(_ShardedAPI, impls.ZarrcImpl):
    pass


class ZarrSharded(_ShardedAPI, impls.ZarrAPIImpl):
    pass


class ZarrsSharded(_ShardedAPI, impls.ZarrsImpl):
    pass


class TensorstoreSharded(impls.TensorstoreImpl):
    def create_sharded(
        self,
        path: str,
        shape: tuple[int, ...],
        shards: tuple[int, ...],
        inner: tuple[int, ...],
        codec: str,
    ) -> None:
        meta = impls.zarr_metadata(shape, shards, DTYPE, codec)
        meta["codecs"] = [sharding_codec(inner, codec)]
        spec = {**self._spec(path), "metadata": meta}
        self._bind(self.ts.open(spec, create=True, delete_existing=True, context=self.ctx).result())


ADAPTERS = {
    "zarrc": ZarrcSharded,
    "zarr": ZarrSharded,
    "zarrs": ZarrsSharded,
    "tensorstore": TensorstoreSharded,
}


def sharding_codec(inner: tuple[int, ...], codec: str) -> dict[str, Any]:
    return {
        "name": "sharding_indexed",
        "configuration": {
            "chunk_shape": list(inner),
            "codecs": impls.codec_chain(codec, np.dtype(DTYPE).itemsize),
            "index_codecs": [
                {"name": "bytes", "configuration": {"endian": "little"}},
                {"name": "crc32c"},
            ],
            "index_location": "end",
        },
    }


def get_impl(name: str) -> Any:
    try:
        return ADAPTERS[name]()
    except KeyError:
        raise impls.ImplUnavailable(f"unknown implementation {name!r}") from None


# ---------------------------------------------------------------------------------------------
# Deterministic selections


def points(shape: tuple[int, ...], n: int, seed: int) -> list[tuple[int, ...]]:
    rng = np.random.default_rng(seed + 101)
    coords = np.stack([rng.integers(0, s, n) for s in shape], axis=1)
    return [tuple(int(x) for x in p) for p in coords]


def boxes(shape: tuple[int, ...], n: int, seed: int) -> list[tuple[slice, ...]]:
    rng = np.random.default_rng(seed + 202)
    origins = np.stack([rng.integers(0, s - BOX + 1, n) for s in shape], axis=1)
    return [tuple(slice(int(o), int(o) + BOX) for o in org) for org in origins]


def inner_slices(shape: tuple[int, ...], inner: tuple[int, ...]) -> list[tuple[slice, ...]]:
    return [impls.chunk_slices(i, shape, inner) for i in impls.chunk_grid(shape, inner)]


def crc(a: Any) -> int:
    return zlib.crc32(memoryview(np.ascontiguousarray(a)).cast("B"))


# ---------------------------------------------------------------------------------------------
# Memory


def _status(field: str) -> int:
    """A /proc/self/status field in bytes (0 where unavailable)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def worker_threads(impl: Any) -> int:
    info = impl.threads()
    if impl.name == "zarrc":
        return int(info.get("threads") or impls.n_cores())
    if impl.name == "tensorstore":
        return int(info["context"]["data_copy_concurrency"]["limit"])
    if impl.name == "zarrs":
        return int(info.get("rayon_threads") or impls.n_cores())
    return int(info.get("codec_threads") or impls.n_cores())


# ---------------------------------------------------------------------------------------------
# Worker side


def timed(fn: Any) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run_worker(task: dict[str, Any]) -> dict[str, Any]:
    impl = get_impl(task["impl"])
    shape, shards, inner = (tuple(task[k]) for k in ("shape", "shards", "inner"))
    w = task["workload"]
    res: dict[str, Any] = {"ok": True, "versions": impl.versions(), "threads": worker_threads(impl)}
    if w == "write":
        data = np.load(task["npy"])
        times = []
        for _ in range(task["reps_write"]):
            shutil.rmtree(task["path"], ignore_errors=True)
            if task["sync"]:
                os.sync()
            impl.create_sharded(task["path"], shape, shards, inner, task["codec"])
            times.append(timed(lambda: impl.write_all(data)))
        impl.open(task["path"])
        got = np.asarray(impl.read_all())
        if crc(got) != task["crc_all"]:
            return {"ok": False, "error": "written array reads back wrong"}
        res["times"] = times
        res["stored"] = sum(
            os.path.getsize(os.path.join(r, f)) for r, _d, fs in os.walk(task["path"]) for f in fs
        )
        shutil.rmtree(task["path"], ignore_errors=True)
        return res
    impl.open(task["ref_path"])
    if w == "read":
        impl.read_box(inner_slices(shape, inner)[0])  # pools, lazy imports
        peak_ok = reset_peak()
        before = _status("VmRSS")
        times, out_bytes = [], 0
        for rep in range(task["reps_read"]):
            out = None
            t = time.perf_counter()
            out = np.asarray(impl.read_all())
            times.append(time.perf_counter() - t)
            if rep == 0:
                res["peak"] = (_status("VmHWM") - before) if peak_ok else None
                if crc(out) != task["crc_all"]:
                    return {"ok": False, "error": "read differs from the source"}
                out_bytes = out.nbytes
            del out
        shard_bytes = int(np.prod(shards)) * np.dtype(DTYPE).itemsize
        res.update(
            times=times,
            budget=out_bytes + res["threads"] * shard_bytes,
            out_bytes=out_bytes,
            shard_bytes=shard_bytes,
            maxrss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        )
        return res
    if w == "point":
        pts = points(shape, task["n_point"] + 20, task["seed"])
        for p in pts[-20:]:
            impl.read_point(p)
        times, got = [], []
        for p in pts[: task["n_point"]]:
            t = time.perf_counter()
            v = impl.read_point(p)
            times.append(time.perf_counter() - t)
            got.append(int(np.asarray(v)))
        if crc(np.asarray(got, dtype=np.int64)) != task["crc_point"]:
            return {"ok": False, "error": "point reads differ from the source"}
        res["times"] = times
        return res
    if w == "box":
        bxs = boxes(shape, task["n_box"] + 20, task["seed"])
        for b in bxs[-20:]:
            impl.read_box(b)
        times, c = [], 0
        for b in bxs[: task["n_box"]]:
            t = time.perf_counter()
            v = impl.read_box(b)
            times.append(time.perf_counter() - t)
            c = zlib.crc32(memoryview(np.ascontiguousarray(v)).cast("B"), c)
        if c != task["crc_box"]:
            return {"ok": False, "error": "box reads differ from the source"}
        res["times"] = times
        return res
    if w == "chunks":
        sl = inner_slices(shape, inner)
        for s in sl[-4:]:
            impl.read_box(s)
        c = 0
        t = time.perf_counter()
        for s in sl:
            v = impl.read_box(s)
            c = zlib.crc32(memoryview(np.ascontiguousarray(v)).cast("B"), c)
        res["times"] = [time.perf_counter() - t]
        res["n"] = len(sl)
        if c != task["crc_chunks"]:
            return {"ok": False, "error": "chunk reads differ from the source"}
        return res
    raise ValueError(w)


def decode_cost(task: dict[str, Any]) -> dict[str, Any]:
    """Median us to decompress one stored inner chunk (the first of shard 0), or for
    ``none`` to copy one inner chunk."""
    import floor

    inner = tuple(task["inner"])
    nbytes = int(np.prod(inner)) * np.dtype(DTYPE).itemsize
    key = os.path.join(task["ref_path"], "c", *["0"] * len(inner))
    raw = Path(key).read_bytes()
    n_inner = int(np.prod([s // c for s, c in zip(task["shards"], inner, strict=True)]))
    table = np.frombuffer(raw[-(16 * n_inner + 4) : -4], dtype="<u8").reshape(n_inner, 2)
    off, n = (int(x) for x in table[0])
    src = np.frombuffer(raw[off : off + n], dtype=np.uint8).copy()
    dst = np.empty(nbytes, dtype=np.uint8)
    reps = task["n_decode"]
    times = []
    if task["codec"] == "none":
        srcv = src.view(np.uint8)
        for _ in range(reps):
            t = time.perf_counter()
            np.copyto(dst, srcv)
            times.append(time.perf_counter() - t)
        lib = "numpy copyto"
    else:
        codec = floor.Codec(task["codec"], np.dtype(DTYPE).itemsize)
        job = [(src.ctypes.data, n, dst.ctypes.data, nbytes)]
        sizes = codec.decode_many(job)
        codec.check(sizes, "decode")
        fn = codec.decode_many
        for _ in range(reps):
            t = time.perf_counter()
            fn(job)
            times.append(time.perf_counter() - t)
        lib = codec.version
    return {"ok": True, "times": times, "stored": n, "nbytes": nbytes, "lib": lib}


def prepare(task: dict[str, Any]) -> dict[str, Any]:
    """Make the data once, write the reference array, CRCs of every expected result."""
    shape = tuple(task["shape"])
    if not os.path.exists(task["npy"]):
        np.save(task["npy"], impls.make_data(shape, seed=task["seed"]))
    data = np.load(task["npy"], mmap_mode="r")
    ref = get_impl(task["ref"])
    t0 = time.perf_counter()
    ref.create_sharded(
        task["ref_path"], shape, tuple(task["shards"]), tuple(task["inner"]), task["codec"]
    )
    ref.write_all(np.asarray(data))
    write_s = time.perf_counter() - t0
    pts = points(shape, task["n_point"] + 20, task["seed"])[: task["n_point"]]
    c_box = 0
    for b in boxes(shape, task["n_box"] + 20, task["seed"])[: task["n_box"]]:
        c_box = zlib.crc32(memoryview(np.ascontiguousarray(data[b])).cast("B"), c_box)
    c_chunks = 0
    for s in inner_slices(shape, tuple(task["inner"])):
        c_chunks = zlib.crc32(memoryview(np.ascontiguousarray(data[s])).cast("B"), c_chunks)
    stored = sum(
        os.path.getsize(os.path.join(r, f)) for r, _d, fs in os.walk(task["ref_path"]) for f in fs
    )
    return {
        "ok": True,
        "crc_all": crc(data),
        "crc_point": crc(np.asarray([int(data[p]) for p in pts], dtype=np.int64)),
        "crc_box": c_box,
        "crc_chunks": c_chunks,
        "write_s": write_s,
        "stored": stored,
        "raw": int(data.nbytes),
    }


def worker_main(task_file: str, out_file: str) -> None:
    task = json.loads(Path(task_file).read_text())
    try:
        kind = task["kind"]
        if kind == "prepare":
            res = prepare(task)
        elif kind == "decode":
            res = decode_cost(task)
        else:
            res = run_worker(task)
    except impls.ImplUnavailable as e:
        res = {"ok": False, "error": f"unavailable: {e}"}
    except Exception as e:  # noqa: BLE001 - reported by the driver
        res = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    Path(out_file).write_text(json.dumps(res))


# ---------------------------------------------------------------------------------------------
# Driver side


def spawn(task: dict[str, Any], workdir: Path, timeout: float) -> dict[str, Any]:
    tf, of = workdir / "task.json", workdir / "out.json"
    of.unlink(missing_ok=True)
    tf.write_text(json.dumps(task))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(tf), str(of)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timeout after {timeout:.0f} s"}
    if not of.exists():
        tail = (proc.stderr or "").strip().splitlines()[-3:]
        return {"ok": False, "error": f"worker exited {proc.returncode}: {' | '.join(tail)}"}
    return json.loads(of.read_text())


def summary(w: str, r: dict[str, Any]) -> float:
    """The figure compared: median seconds (write/read/chunks) or median us (point/box)."""
    med = statistics.median(r["times"])
    return med * 1e6 if w in ("point", "box") else med


UNITS = {"write": "s", "read": "s", "point": "us", "box": "us", "chunks": "s"}
LABELS = {
    "write": "whole-array write",
    "read": "whole-array read",
    "point": "random element",
    "box": "random 8^3 box",
    "chunks": "every inner chunk",
}


def fmt(x: float, unit: str) -> str:
    if unit == "us":
        return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"
    return f"{x:.3f}" if x < 10 else f"{x:.2f}"


def mib(n: float) -> str:
    return f"{n / 2**20:.0f}" if abs(n) >= 10 * 2**20 else f"{n / 2**20:.1f}"


def report(
    args: argparse.Namespace,
    meta: dict[str, Any],
    results: dict[tuple[str, str, str], Any],
    decode: dict[str, Any],
) -> str:
    cube = "x".join(map(str, args.shape))
    lines = [
        f"# Sharding benchmark ({meta['date']})",
        "",
        f"uint16 {cube}, shards {'x'.join(map(str, args.shards))} of "
        f"{'x'.join(map(str, args.inner))} inner chunks, index bytes+crc32c at the end. "
        f"Reads use arrays written by {args.ref}; each (codec, workload, implementation) runs "
        f"in its own process. {meta['cores']} cores, {meta['machine']}; load average "
        f"{meta['load_start']} at start, {meta['load_end']} at end. Elapsed "
        f"{meta['elapsed_s']:.0f} s.",
        "",
        f"Command: `{meta['command']}`",
        "",
        f"Medians: write of {args.reps_write} and read of {args.reps_read} repeats (s); "
        f"{args.n_point} random elements and {args.n_box} random {BOX}^3 boxes (us per read); "
        "one pass reading every inner chunk by its own slice (s). Ratio columns: the "
        "implementation / zarrc (above 1: slower than zarrc).",
        "",
    ]
    impl_names = [i for i in args.impls if i != "zarrc"]
    for codec in args.codecs:
        stored = meta["stored"].get(codec)
        head = f"## {codec}" + (
            f" ({mib(stored)} MiB stored, ratio {meta['raw'] / stored:.2f})" if stored else ""
        )
        lines += [
            head,
            "",
            "| workload | unit | zarrc | "
            + " | ".join(impl_names)
            + " | "
            + " | ".join(f"{n} / zarrc" for n in impl_names)
            + " |",
            "|---|---|" + "---:|" * (1 + 2 * len(impl_names)),
        ]
        for w in args.workloads:
            unit = UNITS[w]
            cells, ratios = [], []
            base_r = results.get((codec, w, "zarrc"))
            base = summary(w, base_r) if base_r and base_r.get("ok") else None
            cells.append(fmt(base, unit) if base is not None else cell_error(base_r))
            for n in impl_names:
                r = results.get((codec, w, n))
                if r and r.get("ok"):
                    v = summary(w, r)
                    cells.append(fmt(v, unit))
                    ratios.append(f"{v / base:.2f}" if base else "-")
                else:
                    cells.append(cell_error(r))
                    ratios.append("-")
            lines.append(f"| {LABELS[w]} | {unit} | " + " | ".join(cells + ratios) + " |")
        lines.append("")
    if decode:
        lines += [
            "## Random element vs one inner chunk decompression",
            "",
            "Decompressing one stored inner chunk (first of shard 0; ctypes into the system "
            "library, median of "
            f"{args.n_decode}; `none`: a {np.prod(args.inner) * 2 // 1024} KiB memcpy) against "
            "zarrc's median random-element read. Target: ratio <= 1.3 for zstd.",
            "",
            "| codec | stored bytes | decode us | zarrc element us | ratio | library |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for codec in args.codecs:
            d = decode.get(codec)
            p = results.get((codec, "point", "zarrc"))
            if not d or not d.get("ok"):
                lines.append(f"| {codec} | {cell_error(d)} | | | | |")
                continue
            dec = statistics.median(d["times"]) * 1e6
            el = summary("point", p) if p and p.get("ok") else None
            ratio = f"{el / dec:.2f}" if el is not None else "-"
            lines.append(
                f"| {codec} | {d['stored']:,} | {dec:.1f} | "
                f"{fmt(el, 'us') if el is not None else '-'} | {ratio} | {d['lib']} |"
            )
        lines.append("")
    lines += [
        "## Peak memory of a whole-array read",
        "",
        "Growth of the peak RSS (VmHWM, reset just before the read) over the RSS before it, "
        "during the first whole-array read; budget = output + one decoded shard "
        f"({mib(int(np.prod(args.shards)) * 2)} MiB) per worker thread (threads in brackets).",
        "",
        "| codec | impl | peak MiB | budget MiB (threads) | peak / budget |",
        "|---|---|---:|---:|---:|",
    ]
    for codec in args.codecs:
        for n in args.impls:
            r = results.get((codec, "read", n))
            if not r or not r.get("ok") or r.get("peak") is None:
                continue
            lines.append(
                f"| {codec} | {n} | {mib(r['peak'])} | {mib(r['budget'])} ({r['threads']}) | "
                f"{r['peak'] / r['budget']:.2f} |"
            )
    lines += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())]
    if meta.get("errors"):
        lines += ["", "Errors:", *[f"- {e}" for e in meta["errors"]]]
    return "\n".join(lines) + "\n"


def cell_error(r: dict[str, Any] | None) -> str:
    if r is None:
        return "-"
    return "error" if not str(r.get("error", "")).startswith("unavailable") else "n/a"


def load_avg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def cube(text: str) -> tuple[int, ...]:
    parts = [int(p) for p in text.lower().split("x")]
    return tuple(parts * 3) if len(parts) == 1 else tuple(parts)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="128^3, shards 64^3, inner 16^3")
    p.add_argument("--shape", type=cube, default=None)
    p.add_argument("--shards", type=cube, default=None)
    p.add_argument("--inner", type=cube, default=None)
    p.add_argument("--codecs", default=",".join(impls.CODECS))
    p.add_argument("--impls", default=",".join(IMPLS))
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--reps-write", type=int, default=2)
    p.add_argument("--reps-read", type=int, default=3)
    p.add_argument("--n-point", type=int, default=2000)
    p.add_argument("--n-box", type=int, default=500)
    p.add_argument("--n-decode", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ref", default="zarr", help="implementation that writes the read arrays")
    p.add_argument("--dir", default=tempfile.gettempdir(), help="parent of the data directory")
    p.add_argument("--no-sync", action="store_true", help="no os.sync() before each write")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--timeout", type=float, default=600, help="seconds per worker")
    p.add_argument("--no-save", action="store_true")
    p.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker_main(*args.worker)
        return 0
    args.shape = args.shape or ((128,) * 3 if args.quick else (512,) * 3)
    args.shards = args.shards or ((64,) * 3 if args.quick else (256,) * 3)
    args.inner = args.inner or ((16,) * 3 if args.quick else (32,) * 3)
    args.codecs = [c for c in args.codecs.split(",") if c]
    args.impls = [i for i in args.impls.split(",") if i]
    args.workloads = [w for w in args.workloads.split(",") if w]

    workdir = Path(tempfile.mkdtemp(prefix="zarrc-shardbench-", dir=args.dir))
    common = {
        "shape": list(args.shape),
        "shards": list(args.shards),
        "inner": list(args.inner),
        "seed": args.seed,
        "npy": str(workdir / "data.npy"),
        "n_point": args.n_point,
        "n_box": args.n_box,
        "n_decode": args.n_decode,
        "reps_write": args.reps_write,
        "reps_read": args.reps_read,
        "sync": not args.no_sync,
    }
    load_start = load_avg()
    t_start = time.perf_counter()
    results: dict[tuple[str, str, str], Any] = {}
    decode: dict[str, Any] = {}
    versions: dict[str, Any] = {}
    stored: dict[str, int] = {}
    errors: list[str] = []
    raw = 0
    try:
        for codec in args.codecs:
            ref_path = str(workdir / f"ref-{codec}.zarr")
            task = {**common, "codec": codec, "ref_path": ref_path}
            print(f"[{codec}] writing the reference array with {args.ref} ...", flush=True)
            prep = spawn({**task, "kind": "prepare", "ref": args.ref}, workdir, args.timeout)
            if not prep.get("ok"):
                errors.append(f"{codec} prepare: {prep.get('error')}")
                print(f"  prepare failed: {prep.get('error')}", flush=True)
                continue
            stored[codec], raw = prep["stored"], prep["raw"]
            crcs = {k: prep[k] for k in ("crc_all", "crc_point", "crc_box", "crc_chunks")}
            decode[codec] = spawn({**task, "kind": "decode"}, workdir, args.timeout)
            if decode[codec].get("ok"):
                med = statistics.median(decode[codec]["times"]) * 1e6
                print(f"  decode one inner chunk: {med:.1f} us", flush=True)
            for w in args.workloads:
                for name in args.impls:  # interleaved: drift in machine load hits all alike
                    run = {
                        **task,
                        **crcs,
                        "kind": "run",
                        "impl": name,
                        "workload": w,
                        "path": str(workdir / f"w-{name}-{codec}.zarr"),
                    }
                    res = spawn(run, workdir, args.timeout)
                    results[(codec, w, name)] = res
                    versions.update(res.get("versions") or {})
                    if res.get("ok"):
                        extra = f"  peak +{mib(res['peak'])} MiB" if res.get("peak") else ""
                        print(
                            f"  {w:7s} {name:12s} {fmt(summary(w, res), UNITS[w]):>10s} "
                            f"{UNITS[w]}{extra}",
                            flush=True,
                        )
                    else:
                        errors.append(f"{codec} {w} {name}: {res.get('error')}")
                        print(f"  {w:7s} {name:12s} {res.get('error')}", flush=True)
            shutil.rmtree(ref_path, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    now = dt.datetime.now()
    meta = {
        "date": now.strftime("%Y-%m-%d %H:%M"),
        "command": " ".join(["python", "benchmarks/bench_sharding.py", *(argv or sys.argv[1:])]),
        "cores": impls.n_cores(),
        "machine": f"{platform.machine()} {platform.node()}",
        "load_start": load_start,
        "load_end": load_avg(),
        "stored": stored,
        "raw": raw,
        "versions": {k: v for k, v in versions.items() if v},
        "elapsed_s": time.perf_counter() - t_start,
        "errors": errors,
    }
    text = report(args, meta, results, decode)
    print()
    print(text)
    if not args.no_save:
        out_dir = HERE / "results"
        out_dir.mkdir(exist_ok=True)
        stem = f"sharding-{now.strftime('%Y-%m-%dT%H%M')}{'-quick' if args.quick else ''}"
        (out_dir / f"{stem}.md").write_text(text)
        dump = {
            "meta": meta,
            "results": {"/".join(k): v for k, v in results.items()},
            "decode": decode,
        }
        (out_dir / f"{stem}.json").write_text(json.dumps(dump, indent=1))
        print(f"saved {out_dir / stem}.md")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
