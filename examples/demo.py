"""End-to-end demo: write a 256 MiB zstd-compressed array to local disk, read it
back, verify every element, and print the throughput of both directions.

Usage: python examples/demo.py [directory]   (default: a temporary directory)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import zarrc


def make_data(shape: tuple[int, ...]) -> np.ndarray:
    """Smooth, compressible uint16 data with some noise, like a microscope volume."""
    rng = np.random.default_rng(42)
    z, y, x = np.ogrid[: shape[0], : shape[1], : shape[2]]
    base = 1000 + 300 * np.sin(z / 40.0) + 200 * np.cos(y / 25.0) + 100 * np.sin(x / 15.0)
    noise = rng.integers(0, 64, size=shape, dtype=np.uint16)
    return (base.astype(np.uint16) + noise).astype(np.uint16)


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="zarrc-demo-"))
    path = root / "volume.zarr"
    shape, chunks = (512, 512, 512), (64, 64, 64)
    data = make_data(shape)
    mib = data.nbytes / 2**20
    print(
        f"zarrc {zarrc.__version__}: {shape} uint16 ({mib:.0f} MiB), chunks {chunks}, zstd level 1"
    )
    print(f"store: {path}  threads: {zarrc.config.get('threads')}")
    try:
        arr = zarrc.create_array(
            path,
            shape=shape,
            chunks=chunks,
            dtype="uint16",
            compressors=zarrc.codecs.ZstdCodec(level=1),
            overwrite=True,
        )
        t0 = time.perf_counter()
        arr[...] = data
        t_write = time.perf_counter() - t0
        stored = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())

        reopened = zarrc.open_array(path, mode="r")
        t0 = time.perf_counter()
        back = reopened[...]
        t_read = time.perf_counter() - t0

        if not np.array_equal(back, data):
            print("FAILED: data read back differs from data written")
            return 1
        print(f"write: {t_write:.3f} s  {data.nbytes / 1e6 / t_write:8.1f} MB/s")
        print(f"read:  {t_read:.3f} s  {data.nbytes / 1e6 / t_read:8.1f} MB/s")
        print(
            f"stored {stored / 2**20:.1f} MiB in {arr.nchunks} chunks "
            f"(ratio {data.nbytes / stored:.2f}); verified: all {data.size} elements equal"
        )
        return 0
    finally:
        if len(sys.argv) <= 1:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
