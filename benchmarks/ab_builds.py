"""Two zarrc builds, alternately, on the same machine in the same minutes.

    python benchmarks/ab_builds.py DIR_A DIR_B [--rounds 5] [--dir /dev/shm]

Each DIR is a directory holding a built ``zarrc`` package (the package sources
with the compiled ``_engine`` beside them, e.g. a meson build staged as in
``scripts/sanitized-tests.sh``).  Each round runs every build once per codec in
a fresh interpreter: create + write a 256^3 uint16 array in 32^3 chunks (best
of 3), read it whole (best of 5), and read single elements (mean of 3000).
Alternating the builds puts them under the same machine noise, which matters
more than the run length on shared machines; medians over the rounds are
printed.  Use a memory file system (``--dir /dev/shm``) to keep disk writeback
out of the write timings.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

PROBE = r"""
import shutil, sys, tempfile, time
import numpy as np
import zarrc
codec, parent = sys.argv[1], sys.argv[2]
data = np.random.default_rng(0).integers(0, 1000, (256, 256, 256), dtype="u2")
d = tempfile.mkdtemp(dir=parent)
comp = None if codec == "none" else zarrc.codecs.ZstdCodec(level=1)
writes = []
for i in range(3):
    t = time.perf_counter()
    a = zarrc.create_array(f"{d}/a{i}.zarr", shape=data.shape, chunks=(32, 32, 32),
                           dtype="u2", compressors=comp)
    a[...] = data
    writes.append(time.perf_counter() - t)
reads = []
for i in range(5):
    t = time.perf_counter()
    a[...]
    reads.append(time.perf_counter() - t)
t = time.perf_counter()
for k in range(3000):
    a[5, 7, k % 256]
point = (time.perf_counter() - t) / 3000
shutil.rmtree(d)
print(min(writes), min(reads), point)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("builds", nargs="+", help="directories holding a built zarrc package")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None)
    parser.add_argument("--codecs", default="none,zstd1")
    args = parser.parse_args()
    results: dict[tuple[str, str], list[tuple[float, ...]]] = {}
    for _ in range(args.rounds):
        for build in args.builds:
            for codec in args.codecs.split(","):
                out = subprocess.run(
                    [sys.executable, "-c", PROBE, codec, args.dir or "/tmp"],
                    env={**os.environ, "PYTHONPATH": os.path.abspath(build)},
                    capture_output=True,
                    text=True,
                    check=True,
                    cwd="/",
                )
                results.setdefault((codec, build), []).append(
                    tuple(float(x) for x in out.stdout.split())
                )
    for (codec, build), rows in sorted(results.items()):
        write, read, point = (statistics.median(col) for col in zip(*rows, strict=True))
        print(
            f"{codec:6} {build:30} write {write * 1e3:7.1f} ms  read {read * 1e3:6.1f} ms  "
            f"element {point * 1e6:5.1f} us  (rounds {len(rows)})"
        )


if __name__ == "__main__":
    main()
