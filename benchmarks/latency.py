"""High-latency and remote storage: zarrc against zarr-python 3 in one run, as ratios.

Two parts (issue: stores for shared and high-latency storage):

1. Injected latency.  Every request to the store waits ``--latency`` seconds (20 ms by
   default); requests in a batch run ``async.concurrency`` at a time.  zarrc uses
   ``zarrc.testing.latency.LatencyStore`` over a MemoryStore, zarr-python its own
   ``zarr.testing.store.LatencyStore`` over its MemoryStore, both at the same concurrency.
   Timed: reading an array of 256 chunks (target: at most
   1.5 x 256 / concurrency x latency), one element of a sharded array (2 round trips:
   index, inner chunk) and one row of inner chunks of a shard.
2. A real S3 server.  moto's server runs in a child process on 127.0.0.1 (nothing else is
   contacted); both libraries use s3fs.  Timed: whole-array write and read of a 64 MiB
   uint16 array (zstd level 1, 64^3 chunks).

    python benchmarks/latency.py                  # both parts, 3 repeats
    python benchmarks/latency.py --quick          # 1 repeat, 16 MiB on S3
    python benchmarks/latency.py --no-s3 --concurrency 10,32,64

Times are medians of ``--reps`` repeats (wall clock).  Ratios are zarr-python / zarrc:
above 1 means zarrc is faster.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import impls  # noqa: E402

Row = dict[str, Any]


def _median_time(func: Callable[[], Any], reps: int) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(reps):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1e3:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def _ratio(theirs: float | None, ours: float | None) -> str:
    if not theirs or not ours:
        return "-"
    return f"{theirs / ours:.2f}"


# -- part 1: injected latency -----------------------------------------------------------------
def _zarr_latency_store(latency: float) -> Any:
    import zarr
    from zarr.testing.store import LatencyStore as ZarrLatencyStore

    return ZarrLatencyStore(zarr.storage.MemoryStore(), get_latency=latency, set_latency=latency)


def latency_part(latency: float, concurrencies: list[int], reps: int) -> list[Row]:
    import zarr

    import zarrc
    from zarrc.storage import MemoryStore
    from zarrc.testing.latency import LatencyStore

    rows: list[Row] = []
    data = impls.make_data((512, 512))  # 256 chunks of 32 x 32
    shard_data = impls.make_data((256, 256))
    for conc in concurrencies:
        with (
            zarrc.config.set({"async.concurrency": conc}),
            zarr.config.set({"async.concurrency": conc}),
        ):
            # zarrc: write without latency, then read with it
            ours = LatencyStore(MemoryStore(), 0.0)
            arr = zarrc.create_array(ours, shape=data.shape, chunks=(32, 32), dtype="u2")
            arr[...] = data
            ours.latency = latency
            reader = zarrc.open_array(ours, mode="r")
            ours.reset()
            t_ours, got = _median_time(lambda: reader[...], reps)  # noqa: B023
            assert np.array_equal(got, data)
            requests = ours.requests // reps

            theirs_store = _zarr_latency_store(0.0)
            zarr.create_array(theirs_store, shape=data.shape, chunks=(32, 32), dtype="u2")[...] = (
                data
            )
            theirs_store.get_latency = latency
            zreader = zarr.open_array(theirs_store, mode="r")
            t_theirs, got = _median_time(lambda: zreader[...], reps)  # noqa: B023
            assert np.array_equal(got, data)

            target = 1.5 * (256 / conc) * latency
            rows.append(
                {
                    "workload": "read 256 chunks",
                    "concurrency": conc,
                    "requests": requests,
                    "zarrc": t_ours,
                    "zarr": t_theirs,
                    "target": target,
                }
            )

            # sharded: one element, then one row of inner chunks within a shard
            ours = LatencyStore(MemoryStore(), 0.0)
            arr = zarrc.create_array(
                ours, shape=shard_data.shape, chunks=(16, 16), shards=(128, 128), dtype="u2"
            )
            arr[...] = shard_data
            ours.latency = latency
            reader = zarrc.open_array(ours, mode="r")
            theirs_store = _zarr_latency_store(0.0)
            zarr.create_array(
                theirs_store,
                shape=shard_data.shape,
                chunks=(16, 16),
                shards=(128, 128),
                dtype="u2",
            )[...] = shard_data
            theirs_store.get_latency = latency
            zreader = zarr.open_array(theirs_store, mode="r")
            for name, sel in (
                ("sharded: 1 element", (37, 90)),
                ("sharded: row of a shard", (slice(16, 32), slice(0, 128))),
            ):
                ours.reset()
                t_ours, got = _median_time(lambda: reader[sel], reps)  # noqa: B023
                assert np.array_equal(got, shard_data[sel])
                requests = ours.requests // reps
                t_theirs, got = _median_time(lambda: zreader[sel], reps)  # noqa: B023
                assert np.array_equal(got, shard_data[sel])
                rows.append(
                    {
                        "workload": name,
                        "concurrency": conc,
                        "requests": requests,
                        "zarrc": t_ours,
                        "zarr": t_theirs,
                        "target": 1.5 * 2 * latency,
                    }
                )
    return rows


# -- part 2: S3 ---------------------------------------------------------------------------------
def s3_part(size_mib: int, reps: int) -> list[Row]:
    import _s3server
    import zarr

    import zarrc
    from zarrc.storage import FsspecStore

    nz = max(64, size_mib * (1 << 20) // (2 * 256 * 256) // 64 * 64)
    shape = (256, 256, nz)
    data = impls.make_data(shape)
    mib = data.nbytes / (1 << 20)
    rows: list[Row] = []
    with _s3server.S3Server() as server:
        bucket = server.create_bucket()
        options = server.storage_options()
        run = uuid.uuid4().hex[:8]

        def url(name: str) -> str:
            return f"s3://{bucket}/{run}/{name}"

        def write_ours(name: str, values: np.ndarray) -> None:
            store = FsspecStore.from_url(url(name), storage_options=options)
            arr = zarrc.create_array(
                store,
                shape=values.shape,
                chunks=(64, 64, 64),
                dtype="u2",
                compressors=zarrc.codecs.ZstdCodec(level=1),
            )
            arr[...] = values

        def write_theirs(name: str, values: np.ndarray) -> None:
            arr = zarr.create_array(
                url(name),
                storage_options=options,
                shape=values.shape,
                chunks=(64, 64, 64),
                dtype="u2",
                compressors=zarr.codecs.ZstdCodec(level=1),
            )
            arr[...] = values

        # untimed warm-up: both open their S3 clients and connections
        write_ours("warmup-zarrc", data[:64, :64, :64])
        write_theirs("warmup-zarr", data[:64, :64, :64])

        w_ours, w_theirs = [], []
        for rep in range(reps):  # interleaved, so drift in load hits both alike
            start = time.perf_counter()
            write_ours(f"zarrc-{rep}", data)
            w_ours.append(time.perf_counter() - start)
            start = time.perf_counter()
            write_theirs(f"zarr-{rep}", data)
            w_theirs.append(time.perf_counter() - start)

        # both read the same bytes: the array zarr-python wrote first
        source = url("zarr-0")
        ours = zarrc.open_array(
            FsspecStore.from_url(source, storage_options=options, read_only=True), mode="r"
        )
        theirs = zarr.open_array(source, mode="r", storage_options=options)
        r_ours, r_theirs = [], []
        for _ in range(reps):
            start = time.perf_counter()
            got = ours[...]
            r_ours.append(time.perf_counter() - start)
            assert np.array_equal(got, data)
            start = time.perf_counter()
            got = theirs[...]
            r_theirs.append(time.perf_counter() - start)
            assert np.array_equal(got, data)
        # and each reads what the other wrote
        assert np.array_equal(zarr.open_array(url("zarrc-0"), storage_options=options)[...], data)

    n_chunks = math.prod(s // 64 for s in shape)
    for name, ours_t, theirs_t in (("write", w_ours, w_theirs), ("read", r_ours, r_theirs)):
        rows.append(
            {
                "workload": f"S3 {name} {mib:.0f} MiB ({n_chunks} chunks)",
                "concurrency": 10,
                "requests": n_chunks,
                "zarrc": statistics.median(ours_t),
                "zarr": statistics.median(theirs_t),
                "target": None,
            }
        )
    return rows


# -- output -------------------------------------------------------------------------------------
def print_table(rows: list[Row], latency: float) -> None:
    header = (
        "| workload | concurrency | requests | zarrc | zarr-python | zarr/zarrc | target | "
        "zarrc/target |"
    )
    print(header)
    print("|" + "---|" * 8)
    for row in rows:
        target = row["target"]
        within = f"{row['zarrc'] / target:.2f}" if target else "-"
        print(
            f"| {row['workload']} | {row['concurrency']} | {row['requests']} | "
            f"{_fmt_s(row['zarrc'])} | {_fmt_s(row['zarr'])} | "
            f"{_ratio(row['zarr'], row['zarrc'])} | {_fmt_s(target)} | {within} |"
        )
    print(
        f"\nlatency {latency * 1e3:.0f} ms per request; target for 256 chunks = "
        "1.5 x 256 / concurrency x latency, for a sharded element or row = 1.5 x 2 round trips; "
        "zarr/zarrc > 1: zarrc faster."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per request")
    parser.add_argument("--concurrency", default="10", help="comma-separated, e.g. 10,32")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--size-mib", type=int, default=64, help="S3 array size")
    parser.add_argument("--quick", action="store_true", help="1 repeat, 16 MiB on S3")
    parser.add_argument("--no-s3", action="store_true", help="skip the S3 part")
    parser.add_argument("--no-latency", action="store_true", help="skip the latency part")
    args = parser.parse_args(argv)
    if args.quick:
        args.reps, args.size_mib = 1, 16
    concurrencies = [int(c) for c in args.concurrency.split(",") if c]

    import zarr

    import zarrc

    print(
        f"zarrc {impls.dist_version('zarrc')}, zarr-python {zarr.__version__}, "
        f"s3fs {impls.dist_version('s3fs')}, moto {impls.dist_version('moto')}, "
        f"{impls.n_cores()} cores, reps {args.reps}\n"
    )
    assert zarrc is not None
    rows: list[Row] = []
    if not args.no_latency:
        rows += latency_part(args.latency, concurrencies, args.reps)
    if not args.no_s3:
        missing = None
        try:
            import _s3server

            missing = _s3server.s3_available()
        except ImportError as exc:
            missing = str(exc)
        if missing:
            print(f"SKIP S3: {missing}")
        else:
            rows += s3_part(args.size_mib, args.reps)
    print_table(rows, args.latency)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
