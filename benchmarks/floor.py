"""The floor for whole-array reads and writes on this machine.

Does by hand, single-threaded, the work any Zarr implementation must do, and times each part:

write: copy   gather each chunk out of the in-memory array into a chunk buffer (edge chunks
              padded with the fill value)
       codec  compress every chunk buffer (numcodecs, one thread; nothing for "none")
       io     create c/i/j/k directories and write each chunk to its own file
read:  io     open + read + close every chunk file (warm page cache)
       codec  decompress every chunk into a preallocated buffer (nothing for "none")
       copy   allocate a new output array and scatter every chunk into it

floor  = codec / cores + copy + io      (compression scales perfectly, the rest not at all)
strict = (codec + copy + io) / cores    (everything scales perfectly: a hard lower bound)

Each part is the median of --reps repeats. The directory written is a valid Zarr v3 array with
the same zarr.json as the benchmark arrays.

    python benchmarks/floor.py --quick
    python benchmarks/floor.py --shape 512 --chunk 64
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import impls  # noqa: E402

TINY_CODEC = "zstd1"


def make_codec(codec: str) -> Any:
    """A single-threaded numcodecs codec producing the bytes the Zarr v3 codec stores."""
    if codec == "none":
        return None
    import numcodecs
    import numcodecs.blosc

    if codec == "zstd1":
        return numcodecs.Zstd(level=1, checksum=False)
    numcodecs.blosc.use_threads = False
    numcodecs.blosc.set_nthreads(1)
    return numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE, blocksize=0)


def _chunk_path(root: str, idx: tuple[int, ...]) -> str:
    return os.path.join(root, "c", *map(str, idx))


def floor_write(
    data: np.ndarray, chunks: tuple[int, ...], codec: str, root: str, sync: bool
) -> tuple[dict[str, float], int]:
    """One repeat of the write floor: seconds per part, and stored bytes."""
    comp = make_codec(codec)
    grid = impls.chunk_grid(data.shape, chunks)
    shutil.rmtree(root, ignore_errors=True)
    if sync:
        os.sync()
    bufs = [np.empty(chunks, dtype=data.dtype) for _ in grid]
    for b in bufs:  # fault the pages in: the copy below times memory traffic, not the kernel
        b.fill(0)

    t0 = time.perf_counter()
    for idx, buf in zip(grid, bufs, strict=True):
        sl = impls.chunk_slices(idx, data.shape, chunks)
        region = tuple(slice(0, s.stop - s.start) for s in sl)
        if any(r.stop != c for r, c in zip(region, chunks, strict=True)):
            buf.fill(0)
        buf[region] = data[sl]
    t1 = time.perf_counter()
    encoded = (
        [memoryview(b).cast("B") for b in bufs] if comp is None else [comp.encode(b) for b in bufs]
    )
    t2 = time.perf_counter()
    os.makedirs(root)
    with open(os.path.join(root, "zarr.json"), "w") as f:
        json.dump(impls.zarr_metadata(data.shape, chunks, str(data.dtype), codec), f)
    made: set[str] = set()
    for idx, enc in zip(grid, encoded, strict=True):
        p = _chunk_path(root, idx)
        d = os.path.dirname(p)
        if d not in made:
            os.makedirs(d, exist_ok=True)
            made.add(d)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, enc)
        finally:
            os.close(fd)
    t3 = time.perf_counter()
    return {"copy": t1 - t0, "codec": t2 - t1, "io": t3 - t2}, sum(len(e) for e in encoded)


def floor_read(
    root: str,
    shape: tuple[int, ...],
    chunks: tuple[int, ...],
    dtype: np.dtype,
    codec: str,
    expect: np.ndarray,
) -> dict[str, float]:
    """One repeat of the read floor (the array at root was written by floor_write)."""
    comp = make_codec(codec)
    grid = impls.chunk_grid(shape, chunks)
    paths = [_chunk_path(root, idx) for idx in grid]
    bufs = [np.empty(chunks, dtype=dtype) for _ in grid]
    for b in bufs:
        b.fill(0)

    t0 = time.perf_counter()
    raw = []
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        try:
            raw.append(os.read(fd, os.fstat(fd).st_size))
        finally:
            os.close(fd)
    t1 = time.perf_counter()
    if comp is None:
        decoded = [np.frombuffer(r, dtype=dtype).reshape(chunks) for r in raw]
    else:
        decoded = [comp.decode(r, out=b) for r, b in zip(raw, bufs, strict=True)]
    t2 = time.perf_counter()
    out = np.empty(shape, dtype=dtype)
    for idx, chunk in zip(grid, decoded, strict=True):
        sl = impls.chunk_slices(idx, shape, chunks)
        out[sl] = np.asarray(chunk).reshape(chunks)[tuple(slice(0, s.stop - s.start) for s in sl)]
    t3 = time.perf_counter()
    if not np.array_equal(out, expect):
        raise RuntimeError(f"floor read of {codec} gave different data")
    return {"io": t1 - t0, "codec": t2 - t1, "copy": t3 - t2}


def summarise(reps: list[dict[str, float]], cores: int) -> dict[str, Any]:
    parts = {k: statistics.median(r[k] for r in reps) for k in ("io", "codec", "copy")}
    serial = sum(parts.values())
    return {
        **{f"{k}_s": v for k, v in parts.items()},
        "serial": serial,
        "floor": parts["codec"] / cores + parts["copy"] + parts["io"],
        "strict": serial / cores,
        "cores": cores,
    }


def measure(
    data: np.ndarray,
    chunks: tuple[int, ...],
    codec: str,
    root: str,
    reps: int,
    cores: int,
    sync: bool,
) -> tuple[dict[str, Any], dict[str, Any], float]:
    """(write floor, read floor, compression ratio) for one array and codec."""
    w = []
    stored = 0
    for _ in range(reps):
        parts, stored = floor_write(data, chunks, codec, root, sync)
        w.append(parts)
    floor_read(root, data.shape, chunks, data.dtype, codec, data)  # warm-up
    r = [floor_read(root, data.shape, chunks, data.dtype, codec, data) for _ in range(reps)]
    shutil.rmtree(root, ignore_errors=True)
    return summarise(w, cores), summarise(r, cores), data.nbytes / max(stored, 1)


def _dims(s: str, ndim: int | None = None) -> tuple[int, ...]:
    parts = tuple(int(x) for x in s.lower().replace(",", "x").split("x"))
    return parts * ndim if ndim and len(parts) == 1 else parts


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="128^3 and 1024x2048 tiny")
    p.add_argument("--shape", default=None, help="default 512 (128 with --quick)")
    p.add_argument("--chunk", default="64")
    p.add_argument("--tiny-shape", default=None, help="default 2048x4096 (1024x2048 quick)")
    p.add_argument("--tiny-chunk", default="32x64")
    p.add_argument("--codecs", default=",".join(impls.CODECS))
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cores", type=int, default=impls.n_cores(), help="default: usable cores")
    p.add_argument("--dir", default=None, help="parent of the scratch directory")
    p.add_argument("--no-sync", action="store_true", help="do not os.sync() before writes")
    p.add_argument("--json", default=None, help="write results here")
    args = p.parse_args()

    shape = _dims(args.shape or ("128" if args.quick else "512"), 3)
    chunks = _dims(args.chunk, len(shape))
    tiny_shape = _dims(args.tiny_shape or ("1024x2048" if args.quick else "2048x4096"))
    tiny_chunks = _dims(args.tiny_chunk, len(tiny_shape))
    codecs = [c for c in args.codecs.split(",") if c]

    scratch = tempfile.mkdtemp(prefix="zarr-floor-", dir=args.dir)
    floor: dict[str, dict[str, Any]] = {}
    ratios: dict[str, float] = {}
    try:
        cases = [("", shape, chunks, c) for c in codecs]
        cases.append(("tiny-", tiny_shape, tiny_chunks, TINY_CODEC))
        for prefix, shp, chk, codec in cases:
            data = impls.make_data(shp, args.seed)
            w, r, ratio = measure(
                data,
                chk,
                codec,
                os.path.join(scratch, "a"),
                args.reps,
                args.cores,
                not args.no_sync,
            )
            floor.setdefault(prefix + "write", {})[codec] = w
            floor.setdefault(prefix + "read", {})[codec] = r
            ratios[prefix + codec] = round(ratio, 3)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print(
        f"floor on {args.cores} cores; seconds (median of {args.reps}); array "
        f"{'x'.join(map(str, shape))} chunks {'x'.join(map(str, chunks))}, tiny "
        f"{'x'.join(map(str, tiny_shape))} chunks {'x'.join(map(str, tiny_chunks))}\n"
    )
    print("| workload | codec | io | codec | copy | serial | floor | strict |")
    print("|---|---|---|---|---|---|---|---|")
    for wl, by_codec in floor.items():
        for codec, f in by_codec.items():
            print(
                f"| {wl} | {codec} | {f['io_s']:.3f} | {f['codec_s']:.3f} | {f['copy_s']:.3f} "
                f"| {f['serial']:.3f} | {f['floor']:.3f} | {f['strict']:.3f} |"
            )
    print("\ncompression ratios: " + ", ".join(f"{k} {v}" for k, v in ratios.items()))
    if args.json:
        params = {
            "shape": shape,
            "chunks": chunks,
            "tiny_shape": tiny_shape,
            "tiny_chunks": tiny_chunks,
            "reps": args.reps,
            "cores": args.cores,
        }
        Path(args.json).write_text(
            json.dumps({"params": params, "floor": floor, "compression_ratio": ratios}, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
