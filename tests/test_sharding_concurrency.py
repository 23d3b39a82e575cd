"""Concurrent writers of different inner chunks of one shard lose nothing.

8 processes (or 8 threads of one process) each write their own inner chunk of
the same shard on a ``LocalStore``, released together by a barrier, 20 trials
each: 10 on shards that do not exist yet, 10 rewriting existing ones.  After
every trial all 8 inner chunks must hold what their writer wrote; the count of
lost writes must be 0.  A control run with the per-shard lock switched off
shows that the harness does provoke the race (a reader-modify-writer without
the lock loses writes here).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

import zarrc

WRITERS = 8
TRIALS = 20
SHARDS = 10
INNER = (1, 32, 64)
SHAPE = (SHARDS, WRITERS * INNER[1], INNER[2])
SHARD = (1, WRITERS * INNER[1], INNER[2])
TIMEOUT = 60.0


def region(trial: int, writer: int) -> tuple[slice, ...]:
    """Inner chunk ``writer`` of shard ``trial % SHARDS``."""
    s = trial % SHARDS
    return (slice(s, s + 1), slice(writer * INNER[1], (writer + 1) * INNER[1]), slice(None))


def value(trial: int, writer: int) -> np.ndarray:
    """What a writer writes in a trial: distinct per trial and writer, compressible."""
    base = 1 + trial * WRITERS + writer
    ramp = np.arange(INNER[1] * INNER[2], dtype=np.uint16).reshape(1, INNER[1], INNER[2]) % 7
    return (ramp + base * 8).astype(np.uint16)


def create(root: Path) -> None:
    zarrc.create_array(
        str(root),
        shape=SHAPE,
        chunks=INNER,
        shards=SHARD,
        dtype="uint16",
        fill_value=0,
        compressors=[zarrc.codecs.ZstdCodec(level=1)],
    )


@contextlib.contextmanager
def _no_lock(self: Any, keys: list[str]) -> Iterator[None]:
    yield


def disable_shard_lock() -> None:
    from zarrc.storage import LocalStore

    LocalStore.lock = _no_lock  # type: ignore[method-assign]


def write_trials(root: str, writer: int, barrier: Any, lock: bool) -> None:
    """One writer: for each trial wait for the others, write, wait for the check."""
    if not lock:
        disable_shard_lock()
    zarrc.config.set({"threads": 1})
    arr = zarrc.open_array(root, mode="r+")
    for trial in range(TRIALS):
        barrier.wait(TIMEOUT)
        arr[region(trial, writer)] = value(trial, writer)
        barrier.wait(TIMEOUT)


def count_lost(root: Path, barrier: Any) -> tuple[int, list[tuple[int, int]]]:
    """Run the trials from the checking side; (lost writes, which)."""
    arr = zarrc.open_array(str(root), mode="r")
    lost = []
    for trial in range(TRIALS):
        barrier.wait(TIMEOUT)  # go
        barrier.wait(TIMEOUT)  # all written
        for w in range(WRITERS):
            if not np.array_equal(arr[region(trial, w)], value(trial, w)):
                lost.append((trial, w))
    return len(lost), lost


def run_processes(root: Path, lock: bool) -> tuple[int, list[tuple[int, int]]]:
    create(root)
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(WRITERS + 1)
    procs = [
        ctx.Process(target=write_trials, args=(str(root), w, barrier, lock), daemon=True)
        for w in range(WRITERS)
    ]
    for p in procs:
        p.start()
    try:
        result = count_lost(root, barrier)
    finally:
        for p in procs:
            p.join(TIMEOUT)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    return result


def run_threads(root: Path) -> tuple[int, list[tuple[int, int]]]:
    create(root)
    barrier = threading.Barrier(WRITERS + 1)
    errors: list[BaseException] = []

    def target(w: int) -> None:
        try:
            arr = zarrc.open_array(str(root), mode="r+")
            for trial in range(TRIALS):
                barrier.wait(TIMEOUT)
                arr[region(trial, w)] = value(trial, w)
                barrier.wait(TIMEOUT)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=target, args=(w,), daemon=True) for w in range(WRITERS)]
    for t in threads:
        t.start()
    try:
        result = count_lost(root, barrier)
    finally:
        for t in threads:
            t.join(TIMEOUT)
    assert errors == []
    return result


def final_state_ok(root: Path) -> None:
    expected = np.zeros(SHAPE, dtype=np.uint16)
    for trial in range(TRIALS):
        for w in range(WRITERS):
            expected[region(trial, w)] = value(trial, w)
    np.testing.assert_array_equal(zarrc.open_array(str(root), mode="r")[...], expected)
    # neither temp files nor lock files stay behind
    leftovers = [
        os.path.join(d, n)
        for d, dirs, files in os.walk(root)
        for n in dirs + files
        if n.startswith(".zarrc-tmp-")
    ]
    assert leftovers == []


def test_processes_lose_no_writes(tmp_path: Path) -> None:
    lost, which = run_processes(tmp_path / "a", lock=True)
    assert lost == 0, f"{lost} of {TRIALS * WRITERS} writes lost: {which}"
    final_state_ok(tmp_path / "a")


def test_threads_lose_no_writes(tmp_path: Path) -> None:
    with zarrc.config.set({"threads": 2}):
        lost, which = run_threads(tmp_path / "a")
    assert lost == 0, f"{lost} of {TRIALS * WRITERS} writes lost: {which}"
    final_state_ok(tmp_path / "a")


def test_without_the_lock_writes_are_lost(tmp_path: Path) -> None:
    """The control: same harness, per-shard lock switched off in the writers."""
    lost, _ = run_processes(tmp_path / "a", lock=False)
    assert lost > 0
