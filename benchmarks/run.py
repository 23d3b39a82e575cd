"""Side-by-side benchmark of zarrc, zarr-python 3, zarrs-python and tensorstore.

Each (implementation, workload, codec) runs in its own subprocess; results are printed as a
markdown table of medians with ratios and saved to benchmarks/results/. See README.md.

    python benchmarks/run.py --quick          # 128^3, well under a minute
    python benchmarks/run.py                  # 512^3 with 64^3 chunks (the design workloads)
    python benchmarks/run.py --check          # cross-implementation read/write check only
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import impls  # noqa: E402

# workload id -> (unit, description)
WORKLOADS: dict[str, tuple[str, str]] = {
    "write": ("s", "whole-array write from memory"),
    "read": ("s", "whole-array read into a new array"),
    "open": ("us", "open_array latency"),
    "point": ("us", "random single-element read"),
    "box": ("us", "random 8^3-box read"),
    "chunks": ("s", "every chunk read by its own slice"),
    "tiny-write": ("s", "tiny chunks: whole-array write"),
    "tiny-read": ("s", "tiny chunks: whole-array read"),
}
FLOORED = ("write", "read", "tiny-write", "tiny-read")
TINY_CODEC = "zstd1"
CHECK_SHAPES = (((45, 70, 33), (16, 32, 16)), ((96, 200), (32, 64)))


# ---------------------------------------------------------------------------------------------
# Worker side: one task per process


def _dir_stats(path: str) -> tuple[int, int]:
    """(number of chunk files, their total bytes), zarr.json excluded."""
    n = size = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            if f != "zarr.json":
                n += 1
                size += os.path.getsize(os.path.join(root, f))
    return n, size


def peak_rss_mb() -> float | None:
    """Peak RSS of this process image (VmHWM; ru_maxrss would include the parent's at fork)."""
    for line in (_read("/proc/self/status") or "").splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def summary(samples: list[float]) -> dict[str, float]:
    """Distribution of per-call samples (kept instead of the raw list unless --all-samples)."""
    q = np.percentile(samples, [10, 25, 50, 75, 90, 99])
    keys = ("p10", "p25", "median", "p75", "p90", "p99")
    return {
        "n": len(samples),
        "mean": _round(statistics.fmean(samples)),
        "min": _round(min(samples)),
        **{k: _round(float(v)) for k, v in zip(keys, q, strict=True)},
        "max": _round(max(samples)),
    }


def _round(v: float) -> float:
    return float(f"{v:.4g}")


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def _timed_reps(fn: Any, reps: int, before: Any = None) -> tuple[list[float], list[float], Any]:
    """Run fn() reps times; returns wall seconds, cpu seconds and the last result."""
    wall: list[float] = []
    cpu: list[float] = []
    out = None
    for _ in range(reps):
        if before is not None:
            before()
        out = None  # free the previous result before allocating the next
        c0 = _cpu()
        t0 = time.perf_counter()
        out = fn()
        t1 = time.perf_counter()
        cpu.append(_cpu() - c0)
        wall.append(t1 - t0)
    return wall, cpu, out


def _per_call_us(fn: Any, args: list[Any]) -> tuple[list[float], list[Any]]:
    times: list[float] = []
    outs: list[Any] = []
    for a in args:
        t0 = time.perf_counter()
        v = fn(a)
        t1 = time.perf_counter()
        times.append((t1 - t0) * 1e6)
        outs.append(v)
    return times, outs


def _random_points(shape: tuple[int, ...], n: int, seed: int) -> list[tuple[int, ...]]:
    rng = np.random.default_rng(seed)
    pts = rng.integers(0, shape, size=(n, len(shape)))
    return [tuple(int(x) for x in p) for p in pts]


def _random_boxes(shape: tuple[int, ...], n: int, side: int, seed: int) -> list[impls.Slices]:
    hi = [max(s - side, 0) + 1 for s in shape]
    rng = np.random.default_rng(seed)
    org = rng.integers(0, hi, size=(n, len(shape)))
    return [tuple(slice(int(o), int(o) + side) for o in row) for row in org]


def _chunk_digest(path: str) -> str:
    """Digest of every chunk's bytes in chunk-index order (key spelling ignored)."""
    chunks = []
    for key in _chunk_keys(path):
        idx = tuple(int(x) for x in re.split(r"[/.]", key)[1:])
        with open(os.path.join(path, key), "rb") as fh:
            chunks.append((idx, fh.read()))
    h = hashlib.sha256()
    for idx, raw in sorted(chunks):
        h.update(repr(idx).encode() + raw)
    return h.hexdigest()[:16]


def _chunk_keys(path: str) -> list[str]:
    keys = []
    for root, _dirs, files in os.walk(path):
        keys += [os.path.relpath(os.path.join(root, f), path) for f in files if f != "zarr.json"]
    return sorted(keys)


def run_task(task: dict[str, Any]) -> dict[str, Any]:
    kind = task["kind"]
    try:
        impl = impls.get_impl(task["impl"])
    except impls.ImplUnavailable as e:
        return {"ok": False, "unavailable": str(e)}
    if kind == "probe":
        return {"ok": True, "versions": impl.versions(), "threads": impl.threads()}

    shape = tuple(task.get("shape", ()))
    chunks = tuple(task.get("chunks", ()))
    dtype = task.get("dtype", "uint16")
    codec = task.get("codec", "none")
    path = task.get("path", "")
    reps = int(task.get("reps", 3))
    res: dict[str, Any] = {"ok": True}

    if kind == "prepare":  # untimed: write the arrays every implementation reads
        out = {}
        for item in task["arrays"]:
            data = np.load(item["data"])
            impl.create(
                item["path"], tuple(item["shape"]), tuple(item["chunks"]), dtype, item["codec"]
            )
            impl.write_all(data)
            n, size = _dir_stats(item["path"])
            out[item["path"]] = {"files": n, "bytes": size, "raw_bytes": data.nbytes}
        res["arrays"] = out

    elif kind == "write":
        data = np.load(task["data"])

        def fresh() -> None:
            shutil.rmtree(path, ignore_errors=True)
            if task.get("sync", True):
                os.sync()  # leftover writeback from earlier runs must not land in our timing
            impl.create(path, shape, chunks, dtype, codec)

        wall, cpu, _ = _timed_reps(lambda: impl.write_all(data), reps, before=fresh)
        n, size = _dir_stats(path)
        expected = len(impls.chunk_grid(shape, chunks))
        if n != expected:
            raise RuntimeError(f"wrote {n} chunk files, expected {expected}")
        res.update(samples=wall, cpu=cpu, extra={"bytes": size, "files": n})

    elif kind == "read":
        impl.open(path)
        impl.read_all()  # warm-up (page cache, thread pools, allocator)
        wall, cpu, out = _timed_reps(impl.read_all, reps)
        data = np.load(task["data"], mmap_mode="r")
        if out.shape != data.shape or out.dtype != data.dtype or not np.array_equal(out, data):
            raise RuntimeError("read_all returned different data")
        res.update(samples=wall, cpu=cpu)

    elif kind == "open":
        for _ in range(5):
            impl.open(path)
        times = []
        for _ in range(int(task["n"])):
            t0 = time.perf_counter()
            impl.open(path)
            times.append((time.perf_counter() - t0) * 1e6)
        res.update(samples=times)

    elif kind in ("point", "box"):
        impl.open(path)
        n = int(task["n"])
        seed = int(task.get("seed", 0)) + (1 if kind == "point" else 2)
        if kind == "point":
            sels: list[Any] = _random_points(impl.shape, n + 20, seed)
            fn = impl.read_point
        else:
            sels = _random_boxes(impl.shape, n + 20, int(task.get("side", 8)), seed)
            fn = impl.read_box
        _per_call_us(fn, sels[n:])  # warm-up on other locations
        times, outs = _per_call_us(fn, sels[:n])
        data = np.load(task["data"], mmap_mode="r")
        for s, v in zip(sels[:n], outs, strict=True):
            if not np.array_equal(np.asarray(v), data[s]):
                raise RuntimeError(f"{kind} read at {s} returned different data")
        res.update(samples=times)

    elif kind == "chunks":
        impl.open(path)
        grid = impls.chunk_grid(impl.shape, impl.chunks)
        for c in grid[:4]:
            impl.read_chunk(c)

        def all_chunks() -> None:
            for c in grid:
                impl.read_chunk(c)

        wall, cpu, _ = _timed_reps(all_chunks, reps)
        data = np.load(task["data"], mmap_mode="r")
        for c in grid[:: max(1, len(grid) // 8)]:
            sl = impls.chunk_slices(c, impl.shape, impl.chunks)
            if not np.array_equal(impl.read_chunk(c), data[sl]):
                raise RuntimeError(f"chunk {c} returned different data")
        res.update(samples=wall, cpu=cpu, extra={"chunks": len(grid)})

    elif kind == "check-write":
        out = {}
        for item in task["arrays"]:
            data = impls.make_data(tuple(item["shape"]), seed=item["seed"])
            impl.create(
                item["path"], tuple(item["shape"]), tuple(item["chunks"]), dtype, item["codec"]
            )
            impl.write_all(data)
            with open(os.path.join(item["path"], "zarr.json")) as f:
                meta = json.load(f)
            out[item["path"]] = {
                "meta": impls.normalise_metadata(meta),
                "keys": _chunk_keys(item["path"]),
                "digest": _chunk_digest(item["path"]),
            }
        res["arrays"] = out

    elif kind == "check-read":
        out = {}
        for item in task["arrays"]:
            errors = []
            try:
                data = impls.make_data(tuple(item["shape"]), seed=item["seed"])
                impl.open(item["path"])
                got = impl.read_all()
                if got.shape != data.shape or got.dtype != data.dtype:
                    errors.append(f"read_all gave {got.shape} {got.dtype}")
                elif not np.array_equal(got, data):
                    errors.append("read_all data differs")
                for p in _random_points(data.shape, 20, 7):
                    if np.asarray(impl.read_point(p)) != data[p]:
                        errors.append(f"read_point{p} differs")
                        break
                for b in _random_boxes(data.shape, 20, 5, 8):
                    if not np.array_equal(impl.read_box(b), data[b]):
                        errors.append(f"read_box{b} differs")
                        break
                for c in impls.chunk_grid(data.shape, tuple(item["chunks"])):
                    sl = impls.chunk_slices(c, data.shape, tuple(item["chunks"]))
                    if not np.array_equal(impl.read_chunk(c), data[sl]):
                        errors.append(f"read_chunk{c} differs")
                        break
            except Exception as e:  # noqa: BLE001 - reported per array
                errors.append(f"{type(e).__name__}: {e}")
            out[item["path"]] = errors
        res["arrays"] = out
    else:
        raise ValueError(f"unknown task kind {kind!r}")

    res["peak_rss_mb"] = peak_rss_mb()
    return res


def worker_main(task_file: str, out_file: str) -> None:
    with open(task_file) as f:
        task = json.load(f)
    try:
        res = run_task(task)
    except Exception as e:  # noqa: BLE001 - reported to the driver
        res = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    with open(out_file, "w") as f:
        json.dump(res, f)


# ---------------------------------------------------------------------------------------------
# Driver side


def spawn(
    task: dict[str, Any], workdir: Path, timeout: float, env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run one task in a fresh interpreter; never raises."""
    fd, tpath = tempfile.mkstemp(suffix=".json", dir=workdir)
    os.close(fd)
    opath = tpath[:-5] + ".out.json"
    with open(tpath, "w") as f:
        json.dump(task, f)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", tpath, opath]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        if os.path.exists(opath):
            with open(opath) as f:
                res = json.load(f)
        else:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            res = {"ok": False, "error": f"exit {proc.returncode}: {' | '.join(tail)}"}
    except subprocess.TimeoutExpired:
        res = {"ok": False, "error": f"timed out after {timeout:.0f} s"}
    finally:
        for p in (tpath, opath):
            if os.path.exists(p):
                os.remove(p)
    return res


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def machine_info(bench_dir: Path) -> dict[str, Any]:
    cpu = None
    for line in (_read("/proc/cpuinfo") or "").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = None
    for line in (_read("/proc/meminfo") or "").splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    fs = None
    best = ""
    for line in (_read("/proc/mounts") or "").splitlines():
        parts = line.split()
        if len(parts) >= 3 and str(bench_dir).startswith(parts[1]) and len(parts[1]) > len(best):
            best, fs = parts[1], f"{parts[2]} ({parts[0]} on {parts[1]})"
    return {
        "host": socket.gethostname(),
        "cpu": cpu or platform.processor(),
        "logical_cpus": os.cpu_count(),
        "usable_cores": impls.n_cores(),
        "ram_gb": round(mem_kb / 2**20, 1) if mem_kb else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "bench_dir_fs": fs,
        "loadavg_start": os.getloadavg(),
    }


def _fmt(v: float | None) -> str:
    if v is None:
        return "-"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    if v >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def _row_key(r: dict[str, Any]) -> tuple[str, str]:
    return r["workload"], r["codec"]


def build_tables(
    results: list[dict[str, Any]], impl_names: list[str], floor: dict[str, Any] | None
) -> tuple[str, str]:
    """(median table with ratios, min table) in markdown."""
    rows: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for r in results:
        rows.setdefault(_row_key(r), {})[r["impl"]] = r
    has_floor = bool(floor)
    head = ["workload", "codec", "unit", *impl_names] + (
        ["floor", "strict floor", "base/floor"] if has_floor else []
    )
    med_lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    min_lines = [
        "| " + " | ".join(head[: 3 + len(impl_names)]) + " |",
        "|" + "---|" * (3 + len(impl_names)),
    ]
    for (wl, codec), by_impl in rows.items():
        unit = WORKLOADS[wl][0]
        meds = {k: v.get("median") for k, v in by_impl.items() if v.get("median") is not None}
        base_name = None
        if "zarrc" in meds:
            base_name = "zarrc"
        elif meds:
            base_name = min(meds, key=lambda k: meds[k])
        cells = [wl, codec, unit]
        mins = [wl, codec, unit]
        for name in impl_names:
            r = by_impl.get(name)
            if r is None:
                cells.append("-")
                mins.append("-")
            elif r.get("median") is None:
                cells.append("error")
                mins.append("error")
            else:
                ratio = r["median"] / meds[base_name] if base_name else float("nan")
                mark = "**" if name == base_name else ""
                cells.append(f"{mark}{_fmt(r['median'])}{mark} ({ratio:.2f}x)")
                mins.append(_fmt(r["min"]))
        if has_floor:
            fl = (floor or {}).get(wl, {}).get(codec)
            if fl and base_name:
                ratio = meds[base_name] / fl["floor"]
                cells += [_fmt(fl["floor"]), _fmt(fl["strict"]), f"{ratio:.2f}x"]
            else:
                cells += ["-", "-", "-"]
        med_lines.append("| " + " | ".join(cells) + " |")
        min_lines.append("| " + " | ".join(mins) + " |")
    return "\n".join(med_lines), "\n".join(min_lines)


def parse_dims(s: str, ndim: int | None = None) -> tuple[int, ...]:
    parts = tuple(int(x) for x in s.lower().replace(",", "x").split("x"))
    if ndim and len(parts) == 1:
        parts *= ndim
    return parts


def run_check(args: argparse.Namespace, names: list[str], base: Path, env: dict[str, str]) -> int:
    """Every implementation writes small arrays; every implementation reads all of them."""
    arrays = []
    for writer in names:
        for shape, chunks in CHECK_SHAPES:
            for codec in args.codecs:
                tag = f"{len(shape)}d-{codec}"
                arrays.append(
                    {
                        "writer": writer,
                        "tag": tag,
                        "codec": codec,
                        "shape": shape,
                        "chunks": chunks,
                        "seed": 5,
                        "path": str(base / "check" / writer / tag),
                    }
                )
    written: dict[str, Any] = {}
    failures = 0
    for writer in names:
        mine = [a for a in arrays if a["writer"] == writer]
        res = spawn(
            {"impl": writer, "kind": "check-write", "arrays": mine}, base, args.timeout, env
        )
        if not res.get("ok"):
            print(f"FAIL {writer} could not write: {res.get('error')}")
            failures += 1
            continue
        written.update(res["arrays"])
    # metadata and chunk keys against the expected zarr.json
    ref_name = "zarr" if "zarr" in names else names[0]
    print("\nmetadata / chunk keys (expected zarr.json, default '/' keys):")
    for a in arrays:
        w = written.get(a["path"])
        if w is None:
            continue
        exp = impls.normalise_metadata(
            impls.zarr_metadata(a["shape"], a["chunks"], "uint16", a["codec"])
        )
        exp_keys = sorted(
            "c/" + "/".join(map(str, c)) for c in impls.chunk_grid(a["shape"], a["chunks"])
        )
        problems = []
        if w["meta"] != exp:
            diff = {
                k: w["meta"].get(k)
                for k in set(exp) | set(w["meta"])
                if w["meta"].get(k) != exp.get(k)
            }
            problems.append(f"metadata differs: {json.dumps(diff, sort_keys=True)}")
        if w["keys"] != exp_keys:
            problems.append(f"chunk keys differ (got {w['keys'][:3]}...)")
        failures += bool(problems)
        status = "ok" if not problems else "FAIL " + "; ".join(problems)
        ref = written.get(str(base / "check" / ref_name / a["tag"]))
        same = ""
        if ref is not None and a["writer"] != ref_name:
            verdict = "identical to" if ref["digest"] == w["digest"] else "differ from"
            same = f" (chunk bytes {verdict} {ref_name})"
        print(f"  {a['writer']:>11} {a['tag']:<14} {status}{same}")
    # cross reads
    readable = [a for a in arrays if a["path"] in written]
    matrix: dict[tuple[str, str], list[str]] = {}
    for reader in names:
        res = spawn(
            {"impl": reader, "kind": "check-read", "arrays": readable}, base, args.timeout, env
        )
        for a in readable:
            errs = (
                res.get("arrays", {}).get(a["path"], [])
                if res.get("ok")
                else [res.get("error", "?")]
            )
            matrix.setdefault((a["writer"], reader), []).extend(f"{a['tag']}: {e}" for e in errs)
    print("\ncross-reads (rows: writer, columns: reader; read_all, points, boxes, chunks):")
    print("| writer \\ reader | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for writer in names:
        cells = []
        for reader in names:
            errs = matrix.get((writer, reader))
            cells.append("-" if errs is None else ("ok" if not errs else "FAIL"))
            failures += bool(errs)
        print(f"| {writer} | " + " | ".join(cells) + " |")
    for (writer, reader), errs in matrix.items():
        for e in errs[:5]:
            print(f"  {writer} -> {reader}: {e}")
    print("\ncheck:", "all equal" if not failures else f"{failures} problem(s)")
    return 1 if failures else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--worker", nargs=2, metavar=("TASK", "OUT"), help=argparse.SUPPRESS)
    p.add_argument(
        "--quick",
        action="store_true",
        help="128^3 array, 1024 tiny chunks, 500 random reads, 100 opens (under a minute)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="only verify metadata and cross-reads between implementations",
    )
    p.add_argument(
        "--impls", default=",".join(impls.IMPL_NAMES), help="comma-separated subset of %(default)s"
    )
    p.add_argument("--codecs", default=",".join(impls.CODECS), help="default %(default)s")
    p.add_argument("--workloads", default=",".join(WORKLOADS), help="default %(default)s")
    p.add_argument("--shape", default=None, help="array shape, e.g. 512 or 512x512x512")
    p.add_argument("--chunk", default=None, help="chunk shape, e.g. 64 or 64x64x64")
    p.add_argument("--tiny-shape", default=None, help="default 2048x4096 (1024x2048 quick)")
    p.add_argument("--tiny-chunk", default="32x64", help="default %(default)s (4096 bytes)")
    p.add_argument("--reps", type=int, default=3, help="repeats of whole-array timings")
    p.add_argument(
        "--n-random",
        type=int,
        default=None,
        help="random point/box reads (default 2000, quick 500)",
    )
    p.add_argument("--n-open", type=int, default=None, help="opens timed (default 200)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--ref",
        default=None,
        help="implementation that writes the arrays all "
        "implementations read (default: zarr, else the first available)",
    )
    p.add_argument(
        "--dir",
        default=None,
        help="parent directory for benchmark data "
        "(default: system temp dir); a fresh subdirectory is made and removed",
    )
    p.add_argument("--keep", action="store_true", help="keep the benchmark data directory")
    p.add_argument("--no-floor", action="store_true", help="skip floor.py")
    p.add_argument("--no-sync", action="store_true", help="do not os.sync() before writes")
    p.add_argument("--timeout", type=float, default=600.0, help="per subprocess, seconds")
    p.add_argument(
        "--zarrc-path",
        default=None,
        help="directory prepended to PYTHONPATH so `import zarrc` finds a build",
    )
    p.add_argument("--out", default=str(HERE / "results"), help="results directory")
    p.add_argument("--no-save", action="store_true", help="print only, write no result files")
    p.add_argument("--note", default=None, help="free text recorded with the results")
    p.add_argument(
        "--all-samples",
        action="store_true",
        help="save every per-call sample (default: percentiles only)",
    )
    args = p.parse_args()
    if args.worker:
        worker_main(*args.worker)
        return 0

    ndim_default = 3
    shape = parse_dims(args.shape or ("128" if args.quick else "512"), ndim_default)
    chunks = parse_dims(args.chunk or "64", len(shape))
    tiny_shape = parse_dims(args.tiny_shape or ("1024x2048" if args.quick else "2048x4096"))
    tiny_chunks = parse_dims(args.tiny_chunk, len(tiny_shape))
    n_random = args.n_random or (500 if args.quick else 2000)
    n_open = args.n_open or (100 if args.quick else 200)
    names = [n for n in args.impls.split(",") if n]
    args.codecs = [c for c in args.codecs.split(",") if c]
    workloads = [w for w in args.workloads.split(",") if w]
    for w in workloads:
        if w not in WORKLOADS:
            p.error(f"unknown workload {w!r}")
    for c in args.codecs:
        if c not in impls.CODECS:
            p.error(f"unknown codec {c!r}")
    if len(chunks) != len(shape) or len(tiny_chunks) != len(tiny_shape):
        p.error("chunk rank must match shape rank")

    env = dict(os.environ)
    if args.zarrc_path:
        env["PYTHONPATH"] = os.pathsep.join(
            [os.path.abspath(args.zarrc_path), *filter(None, [env.get("PYTHONPATH")])]
        )

    if args.dir:
        Path(args.dir).mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="zarr-bench-", dir=args.dir))
    t_start = time.perf_counter()
    try:
        return _run(
            args,
            names,
            workloads,
            shape,
            chunks,
            tiny_shape,
            tiny_chunks,
            n_random,
            n_open,
            base,
            env,
            t_start,
        )
    finally:
        if args.keep:
            print(f"\nbenchmark data kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


def _run(
    args: argparse.Namespace,
    names: list[str],
    workloads: list[str],
    shape: tuple[int, ...],
    chunks: tuple[int, ...],
    tiny_shape: tuple[int, ...],
    tiny_chunks: tuple[int, ...],
    n_random: int,
    n_open: int,
    base: Path,
    env: dict[str, str],
    t_start: float,
) -> int:
    machine = machine_info(base)
    print(
        f"machine: {machine['cpu']}, {machine['usable_cores']} cores, {machine['ram_gb']} GB "
        f"RAM, data in {base} [{machine['bench_dir_fs']}]"
    )

    # which implementations are usable
    available: list[str] = []
    versions: dict[str, Any] = {}
    threads: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for name in names:
        res = spawn({"impl": name, "kind": "probe"}, base, args.timeout, env)
        if res.get("ok"):
            available.append(name)
            versions[name] = res["versions"]
            threads[name] = res["threads"]
            vers = ", ".join(f"{k} {v}" for k, v in res["versions"].items() if v)
            print(f"using {name}: {vers}")
        else:
            skipped[name] = res.get("unavailable") or res.get("error") or "unknown"
            print(f"SKIP {name}: {skipped[name]}")
    if not available:
        print("no implementation available")
        return 1

    if args.check:
        return run_check(args, available, base, env)

    ref = args.ref or ("zarr" if "zarr" in available else available[0])
    if ref not in available:
        print(f"reference writer {ref} is not available")
        return 1

    # data, written once; every worker loads the same .npy
    data_path = str(base / "data.npy")
    tiny_path = str(base / "tiny.npy")
    t0 = time.perf_counter()
    np.save(data_path, impls.make_data(shape, args.seed))
    np.save(tiny_path, impls.make_data(tiny_shape, args.seed))
    print(
        f"data: {shape} uint16 chunks {chunks}; tiny {tiny_shape} chunks {tiny_chunks} "
        f"({len(impls.chunk_grid(tiny_shape, tiny_chunks))} chunks of "
        f"{int(np.prod(tiny_chunks)) * 2} bytes); generated in {time.perf_counter() - t0:.1f} s"
    )

    ref_arrays = [
        {
            "path": str(base / "ref" / c),
            "data": data_path,
            "shape": shape,
            "chunks": chunks,
            "codec": c,
        }
        for c in args.codecs
    ]
    ref_arrays.append(
        {
            "path": str(base / "ref" / "tiny"),
            "data": tiny_path,
            "shape": tiny_shape,
            "chunks": tiny_chunks,
            "codec": TINY_CODEC,
        }
    )
    res = spawn({"impl": ref, "kind": "prepare", "arrays": ref_arrays}, base, args.timeout, env)
    if not res.get("ok"):
        print(f"could not write reference arrays with {ref}: {res.get('error')}")
        return 1
    stored = {}
    for a in ref_arrays:
        s = res["arrays"][a["path"]]
        label = "tiny" if a["path"].endswith("tiny") else a["codec"]
        stored[label] = {**s, "ratio": round(s["raw_bytes"] / max(s["bytes"], 1), 3)}
    print(
        "reference arrays written by "
        + ref
        + "; compression ratios: "
        + ", ".join(f"{k} {v['ratio']}" for k, v in stored.items())
    )

    # the cases, each implementation interleaved so drifting load hits all alike
    cases: list[tuple[str, str]] = []
    for codec in args.codecs:
        cases += [(w, codec) for w in workloads if not w.startswith("tiny")]
    cases += [(w, TINY_CODEC) for w in workloads if w.startswith("tiny")]
    results: list[dict[str, Any]] = []
    total = len(cases) * len(available)
    i = 0
    for wl, codec in cases:
        tiny = wl.startswith("tiny")
        kind = wl.removeprefix("tiny-")
        for name in available:
            i += 1
            task: dict[str, Any] = {
                "impl": name,
                "kind": kind,
                "codec": codec,
                "dtype": "uint16",
                "shape": tiny_shape if tiny else shape,
                "chunks": tiny_chunks if tiny else chunks,
                "data": tiny_path if tiny else data_path,
                "reps": args.reps,
                "seed": args.seed,
                "n": n_open if kind == "open" else n_random,
                "sync": not args.no_sync,
                "path": str(base / "ref" / ("tiny" if tiny else codec)),
            }
            if kind == "write":
                task["path"] = str(base / "w" / f"{name}-{codec}{'-tiny' if tiny else ''}")
            res = spawn(task, base, args.timeout, env)
            if kind == "write":
                shutil.rmtree(task["path"], ignore_errors=True)
            row: dict[str, Any] = {
                "impl": name,
                "workload": wl,
                "codec": codec,
                "unit": WORKLOADS[wl][0],
            }
            if res.get("ok"):
                s = res["samples"]
                row.update(median=statistics.median(s), min=min(s), n=len(s))
                if row["unit"] == "us":
                    row["stats"] = summary(s)
                if row["unit"] != "us" or args.all_samples:
                    row["samples"] = [_round(x) for x in s]
                if res.get("cpu"):
                    row["cpu"] = [_round(x) for x in res["cpu"]]
                row.update(extra=res.get("extra"), peak_rss_mb=res.get("peak_rss_mb"))
                msg = f"median {_fmt(row['median'])} {row['unit']} (min {_fmt(row['min'])})"
            else:
                row.update(median=None, min=None, error=res.get("error"))
                msg = f"ERROR {row['error']}"
            results.append(row)
            print(f"[{i:3d}/{total}] {name:>11} {wl:<10} {codec:<9} {msg}", flush=True)

    floor = None
    if not args.no_floor and any(w in FLOORED for w in workloads):
        argv = [
            "--shape",
            "x".join(map(str, shape)),
            "--chunk",
            "x".join(map(str, chunks)),
            "--tiny-shape",
            "x".join(map(str, tiny_shape)),
            "--tiny-chunk",
            "x".join(map(str, tiny_chunks)),
            "--codecs",
            ",".join(args.codecs),
            "--reps",
            str(args.reps),
            "--seed",
            str(args.seed),
            "--dir",
            str(base),
            "--json",
            str(base / "floor.json"),
        ]
        proc = subprocess.run(
            [sys.executable, str(HERE / "floor.py"), *argv],
            capture_output=True,
            text=True,
            timeout=args.timeout,
        )
        if proc.returncode == 0:
            floor = json.loads((base / "floor.json").read_text())["floor"]
            print("floor measured (floor.py)")
        else:
            print("floor.py failed: " + " | ".join(proc.stderr.strip().splitlines()[-3:]))

    machine["loadavg_end"] = os.getloadavg()
    elapsed = time.perf_counter() - t_start
    med_table, min_table = build_tables(results, available, floor)
    baseline = (
        "zarrc" if "zarrc" in available else "the fastest implementation in each row (zarrc absent)"
    )
    now = dt.datetime.now()
    params = {
        "shape": shape,
        "chunks": chunks,
        "tiny_shape": tiny_shape,
        "tiny_chunks": tiny_chunks,
        "codecs": args.codecs,
        "reps": args.reps,
        "n_random": n_random,
        "n_open": n_open,
        "seed": args.seed,
        "ref_writer": ref,
        "quick": args.quick,
        "sync_before_write": not args.no_sync,
    }
    cmd = "python " + " ".join([os.path.relpath(__file__), *sys.argv[1:]])
    md = [
        f"# zarr benchmark {now:%Y-%m-%d %H:%M} on {machine['host']}",
        "",
        f"Command: `{cmd}`",
        *([] if not args.note else ["", f"Note: {args.note}"]),
        "",
        f"Machine: {machine['cpu']}, {machine['usable_cores']} cores, {machine['ram_gb']} GB RAM, "
        f"{machine['os']}, Python {machine['python']}, numpy {machine['numpy']}; data on "
        f"{machine['bench_dir_fs']}; load average {machine['loadavg_start'][0]:.2f} at start, "
        f"{machine['loadavg_end'][0]:.2f} at end.",
        "",
        f"Array {'x'.join(map(str, shape))} uint16, chunks {'x'.join(map(str, chunks))}; tiny "
        f"{'x'.join(map(str, tiny_shape))} chunks {'x'.join(map(str, tiny_chunks))} "
        f"({TINY_CODEC}). Reads are warm-cache, of arrays written by {ref}. Compression ratio "
        + ", ".join(f"{k} {v['ratio']}" for k, v in stored.items())
        + ".",
        "",
        f"Medians (ratio to {baseline}, **bold**; >1 is slower). s = seconds per whole "
        "operation, us = microseconds per call. floor = codec/cores + copy + file I/O, strict "
        "floor = all of it / cores, each part timed single-threaded (floor.py); base/floor = "
        "baseline median / floor.",
        "",
        med_table,
        "",
        "Minimums:",
        "",
        min_table,
        "",
        "Versions: "
        + "; ".join(
            f"{n}: " + ", ".join(f"{k} {v}" for k, v in versions[n].items() if v) for n in available
        ),
        "",
        "Threads: " + "; ".join(f"{n}: {json.dumps(threads[n])}" for n in available),
    ]
    if skipped:
        md += ["", "Skipped: " + "; ".join(f"{k} ({v})" for k, v in skipped.items())]
    md_text = "\n".join(md) + "\n"
    print("\n" + md_text)
    print(f"total {elapsed:.0f} s")

    if not args.no_save:
        out_dir = Path(args.out)
        out_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{now:%Y-%m-%dT%H%M}-{machine['host']}" + ("-quick" if args.quick else "")
        payload = {
            "date": now.isoformat(timespec="seconds"),
            "command": cmd,
            "params": params,
            "machine": machine,
            "versions": versions,
            "threads": threads,
            "skipped": skipped,
            "stored": stored,
            "results": results,
            "floor": floor,
            "elapsed_s": elapsed,
            "note": args.note,
        }
        (out_dir / f"{stem}.json").write_text(json.dumps(payload, indent=1, default=list) + "\n")
        (out_dir / f"{stem}.md").write_text(md_text)
        print(f"wrote {out_dir / stem}.json and .md")
    failed = [r for r in results if r.get("error")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
