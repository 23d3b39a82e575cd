"""Fancy-selection benchmark: zarrc vs zarr-python 3 vs tensorstore, side by side in one run.

One uint16 array (512^3, 64^3 chunks, bytes + zstd level 1) is written once by the reference
writer; then each (workload, implementation) runs in its own fresh interpreter:

- ``vindex``: 100,000 random points (``arr.vindex[i, j, k]``);
- ``oindex``: 1,000 random sorted indices per axis (``arr.oindex[i, j, k]``; with 512 per
  axis they repeat, as random draws do);
- ``read`` / ``read-rev``: the whole array with step 1 / step -1 on every axis (the ratio
  shows what a negative step costs).

Each worker opens the array and warms up on a tiny selection of the same kind; then, for each of
``--reps`` timed reads, it resets the kernel's peak-RSS mark (``/proc/self/clear_refs``) and
records ``resource.getrusage().ru_maxrss`` as the baseline of that read. ``read`` and
``read-rev`` run in the same worker, alternating rep by rep, so their ratio sees one load.
The peak RSS reported is the largest growth of ``ru_maxrss`` over that baseline, shown next to
the budget "output size + one decoded chunk per worker thread". Every result is checked
(CRC-32) against numpy on the source data.

    python benchmarks/bench_selection.py              # the full-size run (a few minutes)
    python benchmarks/bench_selection.py --quick      # 128^3, 16^3 chunks, smaller selections
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

IMPLS = ("zarrc", "zarr", "tensorstore")
WORKLOADS = ("vindex", "oindex", "read", "read-rev")
CODEC = "zstd1"
DTYPE = "uint16"


# ---------------------------------------------------------------------------------------------
# Selections (deterministic in shape, sizes and seed; the same in every process)


def selection(workload: str, shape: tuple[int, ...], args: dict[str, Any], warm: bool) -> Any:
    """The selection a workload reads; ``warm`` gives a tiny one of the same kind."""
    rng = np.random.default_rng(args["seed"] + (1000 if warm else 0) + WORKLOADS.index(workload))
    if workload == "vindex":
        n = 100 if warm else args["points"]
        return tuple(rng.integers(0, s, n) for s in shape)
    if workload == "oindex":
        n = 10 if warm else args["oindex"]
        return tuple(np.sort(rng.integers(0, s, n)) for s in shape)
    step = -1 if workload == "read-rev" else 1
    if warm:
        return tuple(slice(None, 8) if step > 0 else slice(8, None, -1) for _ in shape)
    return tuple(slice(None, None, step) for _ in shape)


def expected(data: np.ndarray, workload: str, sel: Any) -> np.ndarray:
    if workload == "oindex":
        return data[np.ix_(*sel)]
    return data[sel]


def crc(a: np.ndarray) -> int:
    return zlib.crc32(memoryview(np.ascontiguousarray(a)).cast("B"))


# ---------------------------------------------------------------------------------------------
# Worker side


def reader(impl: impls.Impl, workload: str) -> Any:
    """A function selection -> numpy array for this implementation and workload."""
    arr = impl.arr
    if impl.name == "tensorstore":
        if workload == "vindex":
            return lambda s: arr.vindex[s].read().result()
        if workload == "oindex":
            return lambda s: arr.oindex[s].read().result()
        return lambda s: arr[s].read().result()
    if workload == "vindex":
        return lambda s: arr.vindex[s]
    if workload == "oindex":
        return lambda s: arr.oindex[s]
    return lambda s: arr[s]


def worker_threads(impl: impls.Impl) -> int:
    """Worker threads decoding chunks, for the memory budget."""
    info = impl.threads()
    if impl.name == "zarrc":
        return int(info.get("threads") or impls.n_cores())
    if impl.name == "tensorstore":
        return int(info["context"]["data_copy_concurrency"]["limit"])
    return int(info.get("codec_threads") or impls.n_cores())


def maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def reset_peak_rss() -> None:
    """Reset the peak RSS to the current RSS (Linux >= 4.0), so that ``ru_maxrss`` after
    this point is the peak of what follows, not of the warm-up or the imports."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def measure(impl: impls.Impl, workloads: list[str], task: dict[str, Any]) -> dict[str, Any]:
    """Time ``task["reps"]`` reads of each workload, alternating between them rep by rep
    (so ``read`` and ``read-rev`` see the same machine load), with the peak RSS of every
    read measured from a reset peak mark."""
    reads = {w: reader(impl, w) for w in workloads}
    sels = {w: selection(w, impl.shape, task, warm=False) for w in workloads}
    chunk_bytes = int(np.prod(impl.chunks)) * np.dtype(DTYPE).itemsize
    threads = worker_threads(impl)
    res: dict[str, Any] = {
        w: {"times": [], "peaks": [], "threads": threads, "ok": True, "error": None}
        for w in workloads
    }
    for w in workloads:
        try:
            reads[w](selection(w, impl.shape, task, warm=True))  # pools, caches, lazy imports
        except Exception as e:  # noqa: BLE001 - e.g. negative steps unsupported
            res[w].update(ok=False, error=f"{type(e).__name__}: {e}")
    for rep in range(task["reps"]):
        for w in workloads:
            r = res[w]
            if not r["ok"]:
                continue
            out = None
            reset_peak_rss()
            baseline = maxrss_bytes()
            t0 = time.perf_counter()
            try:
                out = np.asarray(reads[w](sels[w]))
            except Exception as e:  # noqa: BLE001 - e.g. negative steps unsupported
                r.update(ok=False, error=f"{type(e).__name__}: {e}")
                continue
            r["times"].append(time.perf_counter() - t0)
            r["peaks"].append(maxrss_bytes() - baseline)
            r["baseline_rss"] = baseline
            if rep == 0:
                if crc(out) != task["crcs"][w]:
                    r.update(ok=False, error="result differs from numpy")
                r.update(out_bytes=out.nbytes, out_shape=list(out.shape))
                r["budget"] = out.nbytes + threads * chunk_bytes
            del out
    for r in res.values():
        r["peak_rss"] = max(r["peaks"], default=0)
    return res


def run_worker(task: dict[str, Any]) -> dict[str, Any]:
    impl = impls.get_impl(task["impl"])
    impl.open(task["path"])
    return {"ok": True, "results": measure(impl, task["group"], task), "versions": impl.versions()}


def prepare(task: dict[str, Any]) -> dict[str, Any]:
    """Write the array with the reference implementation; CRC of every expected result."""
    shape = tuple(task["shape"])
    data = impls.make_data(shape, seed=task["seed"])
    ref = impls.get_impl(task["ref"])
    if not os.path.exists(os.path.join(task["path"], "zarr.json")):
        ref.create(task["path"], shape, tuple(task["chunks"]), DTYPE, CODEC)
        t0 = time.perf_counter()
        ref.write_all(data)
        write_s = time.perf_counter() - t0
    else:
        write_s = None
    crcs = {}
    for w in task["workloads"]:
        crcs[w] = crc(expected(data, w, selection(w, shape, task, warm=False)))
    stored = sum(
        os.path.getsize(os.path.join(r, f)) for r, _d, fs in os.walk(task["path"]) for f in fs
    )
    return {"ok": True, "crcs": crcs, "write_s": write_s, "stored": stored, "raw": data.nbytes}


def worker_main(task_file: str, out_file: str) -> None:
    task = json.loads(Path(task_file).read_text())
    try:
        res = prepare(task) if task["kind"] == "prepare" else run_worker(task)
    except Exception as e:  # noqa: BLE001 - reported by the driver
        res = {"ok": False, "error": f"{type(e).__name__}: {e}"}
    Path(out_file).write_text(json.dumps(res))


# ---------------------------------------------------------------------------------------------
# Driver side


def spawn(task: dict[str, Any], workdir: Path, timeout: float) -> dict[str, Any]:
    tf = workdir / "task.json"
    of = workdir / "out.json"
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


def mib(n: float) -> str:
    return f"{n / 2**20:.1f}" if abs(n) >= 2**20 else f"{n / 2**20:.3f}"


def fmt_s(t: float) -> str:
    return f"{t:.3f}" if t >= 0.01 else f"{t * 1e3:.2f} ms"


def report(args: argparse.Namespace, meta: dict[str, Any], results: dict[str, Any]) -> str:
    lines = [
        f"# Selection benchmark ({meta['date']})",
        "",
        f"uint16 {'x'.join(map(str, args.shape))}, chunks {'x'.join(map(str, args.chunks))}, "
        f"bytes + zstd level 1 (written by {args.ref}, {meta['stored_mib']} MiB stored); "
        f"{args.reps} reps per workload, each (workload, implementation) in its own process. "
        f"{meta['cores']} cores, {meta['machine']}. Load average {meta['load_start']} at start, "
        f"{meta['load_end']} at end.",
        "",
        f"Command: `{meta['command']}`",
        "",
        "Median and min wall time; ratio = median / zarrc median. Peak RSS: growth of "
        "`ru_maxrss` over a baseline taken just before each read (after open, a warm-up and a "
        "reset of the peak mark), largest over the reps; "
        "budget = output size + one decoded chunk per worker thread (threads in brackets).",
        "",
        "| workload | impl | median s | min s | ratio | peak RSS MiB | budget MiB (threads) "
        "| RSS / budget | output |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    desc = {
        "vindex": f"vindex {args.points:,} points",
        "oindex": f"oindex {args.oindex:,}/axis",
        "read": "read [::1]",
        "read-rev": "read [::-1]",
    }
    for w in args.workloads:
        base = results.get((w, "zarrc"), {})
        base_med = statistics.median(base["times"]) if base.get("ok") else None
        for name in args.impls:
            r = results.get((w, name))
            if r is None:
                continue
            if not r.get("ok"):
                err = str(r.get("error") or r.get("unavailable"))[:90].replace("|", "/")
                lines.append(f"| {desc[w]} | {name} | error: {err} | | | | | | |")
                continue
            med = statistics.median(r["times"])
            ratio = f"{med / base_med:.2f}" if base_med else "-"
            out = f"{'x'.join(map(str, r['out_shape']))} ({mib(r['out_bytes'])} MiB)"
            lines.append(
                f"| {desc[w]} | {name} | {fmt_s(med)} | {fmt_s(min(r['times']))} | {ratio} "
                f"| {mib(r['peak_rss'])} | {mib(r['budget'])} ({r['threads']}) "
                f"| {r['peak_rss'] / r['budget']:.2f} | {out} |"
            )
    lines += [
        "",
        "Negative step: median of `arr[::-1, ::-1, ::-1]` / median of "
        "`arr[::1, ::1, ::1]`, timed alternately in the same process.",
        "",
        "| impl | read [::1] s | read [::-1] s | ratio |",
        "|---|---:|---:|---:|",
    ]
    for name in args.impls:
        pos, neg = results.get(("read", name)), results.get(("read-rev", name))
        if not (pos and pos.get("ok")):
            continue
        pm = statistics.median(pos["times"])
        if neg and neg.get("ok"):
            nm = statistics.median(neg["times"])
            lines.append(f"| {name} | {fmt_s(pm)} | {fmt_s(nm)} | {nm / pm:.2f} |")
        else:
            err = str((neg or {}).get("error", "not run"))[:60].replace("|", "/")
            lines.append(f"| {name} | {fmt_s(pm)} | unsupported ({err}) | - |")
    lines += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()), ""]
    return "\n".join(lines)


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
    p.add_argument("--quick", action="store_true", help="128^3, 16^3 chunks, small selections")
    p.add_argument("--shape", type=cube, default=None, help="e.g. 512 or 512x256x128")
    p.add_argument("--chunks", type=cube, default=None, help="e.g. 64")
    p.add_argument("--points", type=int, default=None, help="vindex points (100,000)")
    p.add_argument("--oindex", type=int, default=None, help="oindex indices per axis (1,000)")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--impls", default=",".join(IMPLS))
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--ref", default="zarr", help="implementation that writes the array")
    p.add_argument("--dir", default=tempfile.gettempdir(), help="parent of the data directory")
    p.add_argument("--keep", action="store_true", help="keep the data directory")
    p.add_argument("--timeout", type=float, default=900, help="seconds per worker")
    p.add_argument("--no-save", action="store_true")
    p.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker_main(*args.worker)
        return 0
    args.shape = args.shape or ((128,) * 3 if args.quick else (512,) * 3)
    args.chunks = args.chunks or ((16,) * 3 if args.quick else (64,) * 3)
    args.points = args.points or (10_000 if args.quick else 100_000)
    args.oindex = args.oindex or (250 if args.quick else 1_000)
    args.impls = [i for i in args.impls.split(",") if i]
    args.workloads = [w for w in args.workloads.split(",") if w]

    workdir = Path(tempfile.mkdtemp(prefix="zarrc-selbench-", dir=args.dir))
    path = str(workdir / "arr.zarr")
    common = {"path": path, "seed": args.seed, "points": args.points, "oindex": args.oindex}
    load_start = load_avg()
    t_start = time.perf_counter()
    try:
        print(f"writing {args.shape} with {args.ref} into {path} ...", flush=True)
        prep = spawn(
            {
                **common,
                "kind": "prepare",
                "ref": args.ref,
                "shape": list(args.shape),
                "chunks": list(args.chunks),
                "workloads": args.workloads,
            },
            workdir,
            args.timeout,
        )
        if not prep.get("ok"):
            print(f"prepare failed: {prep.get('error')}", file=sys.stderr)
            return 1
        results: dict[tuple[str, str], Any] = {}
        versions: dict[str, Any] = {}
        groups = [[w] for w in args.workloads if w not in ("read", "read-rev")]
        together = [w for w in args.workloads if w in ("read", "read-rev")]
        if together:
            groups.append(together)
        for group in groups:
            for name in args.impls:  # interleaved: drift in machine load hits all alike
                res = spawn(
                    {
                        **common,
                        "kind": "run",
                        "impl": name,
                        "group": group,
                        "reps": args.reps,
                        "crcs": prep["crcs"],
                    },
                    workdir,
                    args.timeout,
                )
                versions.update(res.get("versions") or {})
                for w in group:
                    r = res["results"][w] if res.get("ok") else res
                    results[(w, name)] = r
                    if r.get("ok"):
                        med = statistics.median(r["times"])
                        print(
                            f"  {w:9s} {name:12s} median {med:8.4f} s  peak +"
                            f"{mib(r['peak_rss'])} MiB (budget {mib(r['budget'])})",
                            flush=True,
                        )
                    else:
                        print(f"  {w:9s} {name:12s} {r.get('error')}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    now = dt.datetime.now()
    meta = {
        "date": now.strftime("%Y-%m-%d %H:%M"),
        "command": " ".join(["python", "benchmarks/bench_selection.py", *(argv or sys.argv[1:])]),
        "cores": impls.n_cores(),
        "machine": f"{platform.machine()} {platform.node()}",
        "load_start": load_start,
        "load_end": load_avg(),
        "stored_mib": mib(prep["stored"]),
        "versions": {k: v for k, v in versions.items() if v},
        "elapsed_s": round(time.perf_counter() - t_start, 1),
    }
    text = report(args, meta, results)
    print()
    print(text)
    if not args.no_save:
        out_dir = HERE / "results"
        out_dir.mkdir(exist_ok=True)
        stem = f"selection-{now.strftime('%Y-%m-%dT%H%M')}{'-quick' if args.quick else ''}"
        (out_dir / f"{stem}.md").write_text(text)
        raw = {f"{w}/{n}": r for (w, n), r in results.items()}
        (out_dir / f"{stem}.json").write_text(json.dumps({"meta": meta, "results": raw}, indent=1))
        print(f"saved {out_dir / stem}.md")
    return (
        0
        if all(
            r.get("ok") or r.get("error", "").startswith("NegativeStep") for r in results.values()
        )
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
