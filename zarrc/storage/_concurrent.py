"""Batched store calls with bounded concurrency: one shared thread pool per size.

Remote stores keep several requests in flight; these helpers run a batch of
calls on a pool of exactly ``concurrency`` threads, in order, and wait for all
of them before raising the first error.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from zarrc.config import config

__all__ = ["concurrency_of", "concurrent_map"]

_T = TypeVar("_T")
_R = TypeVar("_R")

# Thread pools by size, shared by every store in the process (threads are cheap
# to keep, slow to start).  A forked child gets fresh ones.
_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _reset_pools_after_fork() -> None:
    global _pools_lock
    _pools.clear()
    _pools_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_pools_after_fork)


# Marks the pools' worker threads: a batch started from one runs serially there,
# since waiting on the pool from inside it could wait forever.
_worker = threading.local()


def _mark_worker() -> None:
    _worker.active = True


def _pool(size: int) -> ThreadPoolExecutor:
    with _pools_lock:
        pool = _pools.get(size)
        if pool is None:
            pool = ThreadPoolExecutor(
                size, thread_name_prefix=f"zarrc-store{size}", initializer=_mark_worker
            )
            _pools[size] = pool
        return pool


def concurrent_map(func: Callable[[_T], _R], items: Sequence[_T], concurrency: int) -> list[_R]:
    """``[func(x) for x in items]`` with at most ``concurrency`` calls in flight, in order.

    The calls run in a shared thread pool of exactly ``concurrency`` threads;
    every call finishes before the first exception (in item order) is raised.
    Called from one of those threads, it runs the calls one after another.
    """
    if len(items) <= 1 or concurrency <= 1 or getattr(_worker, "active", False):
        return [func(item) for item in items]
    futures = [_pool(concurrency).submit(func, item) for item in items]
    results: list[_R] = []
    error: BaseException | None = None
    for future in futures:
        try:
            results.append(future.result())
        except BaseException as exc:  # keep waiting: no call may outlive the request
            if error is None:
                error = exc
    if error is not None:
        raise error
    return results


def concurrency_of(value: int | None) -> int:
    n = config.get("async.concurrency") if value is None else value
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"concurrency must be a positive integer, got {n!r}")
    return n
