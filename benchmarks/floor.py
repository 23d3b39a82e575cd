"""The floor for whole-array reads and writes on this machine.

Does by hand, in one thread, the work any Zarr implementation must do, and times each part:

write: copy   gather each chunk out of the in-memory array into a chunk buffer (edge chunks
              padded with the fill value)
       codec  compress every chunk (system libzstd / libblosc through ctypes, one thread;
              nothing for "none")
       io     create the c/i/j/k directories, then open + write + close each chunk file
read:  io     open + read + close every chunk file into a preallocated buffer (warm cache)
       codec  decompress every chunk into a preallocated chunk buffer (nothing for "none")
       copy   scatter every chunk into a new output array (its pages fault in here)

floor  = codec / cores + copy + io      (compression spread over the cores, the rest not)
strict = (codec + copy + io) / cores    (everything spread over the cores)

Buffers, pointers and paths are prepared outside the timed loops, which then cost one ctypes or
os call per chunk and part (about 1 us). Each part is the median of --reps repeats. The array
written is valid Zarr v3 with the benchmark's zarr.json; reads are checked against the source,
and zarr-python (when installed) reads the written array back once per case.

    python benchmarks/floor.py --quick
    python benchmarks/floor.py --shape 512 --chunk 64
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
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
_size_t = ctypes.c_size_t
_ptr = ctypes.c_void_p


def _lib(name: str) -> ctypes.CDLL:
    path = ctypes.util.find_library(name)
    if path is None:
        raise SystemExit(
            f"floor.py needs the system lib{name} (e.g. apt-get install lib{name}-dev)"
        )
    return ctypes.CDLL(path)


class Codec:
    """Raw one-shot compress/decompress over pointers; "none" does nothing."""

    def __init__(self, codec: str, typesize: int) -> None:
        self.codec = codec
        self.typesize = typesize
        self.version = "-"
        if codec == "zstd1":
            z = _lib("zstd")
            z.ZSTD_createCCtx.restype = _ptr
            z.ZSTD_createDCtx.restype = _ptr
            z.ZSTD_compressBound.argtypes = [_size_t]
            z.ZSTD_compressBound.restype = _size_t
            z.ZSTD_compressCCtx.argtypes = [_ptr, _ptr, _size_t, _ptr, _size_t, ctypes.c_int]
            z.ZSTD_compressCCtx.restype = _size_t
            z.ZSTD_decompressDCtx.argtypes = [_ptr, _ptr, _size_t, _ptr, _size_t]
            z.ZSTD_decompressDCtx.restype = _size_t
            z.ZSTD_isError.argtypes = [_size_t]
            z.ZSTD_isError.restype = ctypes.c_uint
            z.ZSTD_versionString.restype = ctypes.c_char_p
            self.lib = z
            self.cctx = z.ZSTD_createCCtx()
            self.dctx = z.ZSTD_createDCtx()
            self.version = "libzstd " + z.ZSTD_versionString().decode()
        elif codec == "blosc-lz4":
            b = _lib("blosc")
            b.blosc_compress_ctx.argtypes = [
                ctypes.c_int,
                ctypes.c_int,
                _size_t,
                _size_t,
                _ptr,
                _ptr,
                _size_t,
                ctypes.c_char_p,
                _size_t,
                ctypes.c_int,
            ]
            b.blosc_compress_ctx.restype = ctypes.c_int
            b.blosc_decompress_ctx.argtypes = [_ptr, _ptr, _size_t, ctypes.c_int]
            b.blosc_decompress_ctx.restype = ctypes.c_int
            b.blosc_get_version_string.restype = ctypes.c_char_p
            self.lib = b
            self.version = "libblosc " + b.blosc_get_version_string().decode()
        elif codec != "none":
            raise ValueError(codec)

    def bound(self, nbytes: int) -> int:
        if self.codec == "zstd1":
            return int(self.lib.ZSTD_compressBound(nbytes))
        return nbytes + 16  # BLOSC_MAX_OVERHEAD; "none" stores nbytes

    def encode_many(self, jobs: list[tuple[int, int, int, int]]) -> list[int]:
        """jobs: (src, nbytes, dst, capacity) -> compressed sizes."""
        out = []
        if self.codec == "zstd1":
            fn, ctx = self.lib.ZSTD_compressCCtx, self.cctx
            for src, n, dst, cap in jobs:
                out.append(fn(ctx, dst, cap, src, n, 1))
        elif self.codec == "blosc-lz4":
            fn, ts = self.lib.blosc_compress_ctx, self.typesize
            for src, n, dst, cap in jobs:
                out.append(fn(5, 1, ts, n, src, dst, cap, b"lz4", 0, 1))
        return out

    def decode_many(self, jobs: list[tuple[int, int, int, int]]) -> list[int]:
        """jobs: (src, compressed size, dst, capacity) -> decompressed sizes."""
        out = []
        if self.codec == "zstd1":
            fn, ctx = self.lib.ZSTD_decompressDCtx, self.dctx
            for src, n, dst, cap in jobs:
                out.append(fn(ctx, dst, cap, src, n))
        elif self.codec == "blosc-lz4":
            fn = self.lib.blosc_decompress_ctx
            for src, _n, dst, cap in jobs:
                out.append(fn(src, dst, cap, 1))
        return out

    def check(self, sizes: list[int], what: str) -> None:
        bad = [s for s in sizes if s <= 0 or (self.codec == "zstd1" and self.lib.ZSTD_isError(s))]
        if bad:
            raise RuntimeError(f"{self.codec} {what} failed ({len(bad)} chunks)")


def _chunk_path(root: str, idx: tuple[int, ...]) -> str:
    return os.path.join(root, "c", *map(str, idx))


def _touch(a: np.ndarray) -> np.ndarray:
    a.fill(0)  # fault the pages in outside the timed region
    return a


class Case:
    """One array and codec; buffers are allocated once and reused by every repeat."""

    def __init__(self, data: np.ndarray, chunks: tuple[int, ...], codec: str, root: str) -> None:
        self.data = data
        self.chunks = chunks
        self.codec_name = codec
        self.root = root
        self.codec = Codec(codec, data.dtype.itemsize)
        self.grid = impls.chunk_grid(data.shape, chunks)
        self.slices = [impls.chunk_slices(i, data.shape, chunks) for i in self.grid]
        self.inner = [tuple(slice(0, s.stop - s.start) for s in sl) for sl in self.slices]
        self.paths = [_chunk_path(root, i) for i in self.grid]
        self.dirs = sorted({os.path.dirname(p) for p in self.paths})
        nbytes = int(np.prod(chunks)) * data.dtype.itemsize
        self.nbytes = nbytes
        self.cap = self.codec.bound(nbytes)
        self.bufs = [_touch(np.empty(chunks, dtype=data.dtype)) for _ in self.grid]
        self.encs = [_touch(np.empty(self.cap, dtype=np.uint8)) for _ in self.grid]
        self.sizes: list[int] = []

    def write(self, sync: bool) -> dict[str, float]:
        shutil.rmtree(self.root, ignore_errors=True)
        if sync:
            os.sync()
        src_views = [self.data[sl] for sl in self.slices]
        dst_views = [b[inner] for b, inner in zip(self.bufs, self.inner, strict=True)]
        partial = [i for i, v in enumerate(dst_views) if v.shape != self.chunks]
        jobs = [
            (b.ctypes.data, self.nbytes, e.ctypes.data, self.cap)
            for b, e in zip(self.bufs, self.encs, strict=True)
        ]
        meta = json.dumps(
            impls.zarr_metadata(self.data.shape, self.chunks, str(self.data.dtype), self.codec_name)
        )
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC

        t0 = time.perf_counter()
        for i in partial:
            self.bufs[i].fill(0)
        for d, s in zip(dst_views, src_views, strict=True):
            np.copyto(d, s)
        t1 = time.perf_counter()
        sizes = self.codec.encode_many(jobs)
        t2 = time.perf_counter()
        if self.codec_name == "none":
            payloads = [memoryview(b).cast("B") for b in self.bufs]
        else:
            self.codec.check(sizes, "compress")
            payloads = [memoryview(e)[:n] for e, n in zip(self.encs, sizes, strict=True)]
        t3 = time.perf_counter()
        for d in self.dirs:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(self.root, "zarr.json"), "w") as f:
            f.write(meta)
        for p, payload in zip(self.paths, payloads, strict=True):
            fd = os.open(p, flags, 0o644)
            os.write(fd, payload)
            os.close(fd)
        t4 = time.perf_counter()
        self.sizes = [len(p) for p in payloads]
        return {"copy": t1 - t0, "codec": t2 - t1, "io": t4 - t3}

    def read(self) -> dict[str, float]:
        """Read back what write() stored; the output is checked against the source."""
        out = np.empty(self.data.shape, dtype=self.data.dtype)  # pages fault in during copy
        out_views = [out[sl] for sl in self.slices]
        src_views = [b[inner] for b, inner in zip(self.bufs, self.inner, strict=True)]
        readbufs = (
            [[e] for e in self.encs]
            if self.codec_name != "none"
            else [[memoryview(b).cast("B")] for b in self.bufs]
        )
        for b in self.bufs:  # the read/decode below must really fill these
            b.fill(0xFF)
        got: list[int] = []

        t0 = time.perf_counter()
        for p, rb in zip(self.paths, readbufs, strict=True):
            fd = os.open(p, os.O_RDONLY)
            got.append(os.readv(fd, rb))
            os.close(fd)
        t1 = time.perf_counter()
        jobs = [
            (e.ctypes.data, n, b.ctypes.data, self.nbytes)
            for e, n, b in zip(self.encs, got, self.bufs, strict=True)
        ]
        t2 = time.perf_counter()
        sizes = self.codec.decode_many(jobs)
        t3 = time.perf_counter()
        for o, s in zip(out_views, src_views, strict=True):
            np.copyto(o, s)
        t4 = time.perf_counter()
        if got != self.sizes:
            raise RuntimeError("short read")
        if self.codec_name != "none":
            self.codec.check(sizes, "decompress")
        if not np.array_equal(out, self.data):
            raise RuntimeError(f"floor read of {self.codec_name} gave different data")
        return {"io": t1 - t0, "codec": t3 - t2, "copy": t4 - t3}


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


def _zarr_python_check(root: str, data: np.ndarray) -> str:
    try:
        import zarr
    except ImportError:
        return "zarr-python not installed, not checked"
    if not np.array_equal(zarr.open_array(root, mode="r")[...], data):
        raise RuntimeError(f"zarr-python reads different data from {root}")
    return "zarr-python reads it back equal"


def measure(
    data: np.ndarray,
    chunks: tuple[int, ...],
    codec: str,
    root: str,
    reps: int,
    cores: int,
    sync: bool,
) -> tuple[dict[str, Any], dict[str, Any], float, str]:
    """(write floor, read floor, compression ratio, interop note) for one array and codec."""
    case = Case(data, chunks, codec, root)
    w = [case.write(sync) for _ in range(reps)]
    note = _zarr_python_check(root, data)
    case.read()  # warm-up
    r = [case.read() for _ in range(reps)]
    shutil.rmtree(root, ignore_errors=True)
    ratio = data.nbytes / max(sum(case.sizes), 1)
    return summarise(w, cores), summarise(r, cores), ratio, f"{case.codec.version}; {note}"


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
    notes: dict[str, str] = {}
    try:
        cases = [("", shape, chunks, c) for c in codecs]
        cases.append(("tiny-", tiny_shape, tiny_chunks, TINY_CODEC))
        for prefix, shp, chk, codec in cases:
            data = impls.make_data(shp, args.seed)
            w, r, ratio, note = measure(
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
            notes[prefix + codec] = note
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
                f"| {wl} | {codec} | {f['io_s']:.4f} | {f['codec_s']:.4f} | {f['copy_s']:.4f} "
                f"| {f['serial']:.4f} | {f['floor']:.4f} | {f['strict']:.4f} |"
            )
    print("\ncompression ratios: " + ", ".join(f"{k} {v}" for k, v in ratios.items()))
    for k, v in notes.items():
        print(f"{k}: {v}")
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
            json.dumps(
                {"params": params, "floor": floor, "compression_ratio": ratios, "notes": notes},
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
