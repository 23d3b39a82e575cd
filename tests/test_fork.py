"""Child processes can use arrays: forked after the parent's worker threads exist
(no hang, no inherited lock), and spawned children that simply open by path."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _impl import codecs, impl

TIMEOUT = 60.0
SHAPE = (40, 30)
CHUNKS = (8, 7)

needs_fork = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform"
)
pytestmark = pytest.mark.filterwarnings("ignore:.*fork.*:DeprecationWarning")


def _values() -> np.ndarray:
    return np.arange(np.prod(SHAPE), dtype="i4").reshape(SHAPE)


def _make(path: Path) -> Any:
    arr = impl.create_array(
        str(path),
        shape=SHAPE,
        dtype="i4",
        chunks=CHUNKS,
        compressors=[codecs.ZstdCodec(level=1), codecs.Crc32cCodec()],
    )
    arr[...] = _values()
    np.testing.assert_array_equal(arr[...], _values())  # the parent's workers now exist
    return arr


def _run(ctx_name: str, target: Any, args: tuple[Any, ...]) -> None:
    proc = multiprocessing.get_context(ctx_name).Process(target=target, args=args)
    proc.start()
    proc.join(TIMEOUT)
    if proc.is_alive():
        proc.kill()
        proc.join()
        pytest.fail(f"{ctx_name} child did not finish within {TIMEOUT} s (hang)")
    assert proc.exitcode == 0, f"{ctx_name} child failed with exit code {proc.exitcode}"


# -- children (module level so "spawn" can import them) ---------------------------------


def child_uses_inherited_array(arr: Any, path: str) -> None:
    np.testing.assert_array_equal(arr[...], _values())
    np.testing.assert_array_equal(arr[3:29:2, -1], _values()[3:29:2, -1])
    arr[10:20, 5:25] = -1
    expected = _values()
    expected[10:20, 5:25] = -1
    np.testing.assert_array_equal(arr[...], expected)
    np.testing.assert_array_equal(impl.open_array(path, mode="r")[...], expected)


def child_opens_by_path(path: str, threads: int) -> None:
    with impl.config.set({"threads": threads}):
        arr = impl.open_array(path, mode="r+")
        np.testing.assert_array_equal(arr[...], _values())
        arr[:, 0] = 12345
        arr[-1, ...] = 7
        expected = _values()
        expected[:, 0] = 12345
        expected[-1, ...] = 7
        np.testing.assert_array_equal(arr[...], expected)


def _expected_after_path_child() -> np.ndarray:
    expected = _values()
    expected[:, 0] = 12345
    expected[-1, ...] = 7
    return expected


# -- tests -----------------------------------------------------------------------------------


@needs_fork
@pytest.mark.parametrize("threads", [1, 2])
def test_fork_child_uses_inherited_array(tmp_path: Path, threads: int) -> None:
    with impl.config.set({"threads": threads}):
        arr = _make(tmp_path / "a")
        _run("fork", child_uses_inherited_array, (arr, str(tmp_path / "a")))
        expected = _values()
        expected[10:20, 5:25] = -1
        np.testing.assert_array_equal(arr[...], expected)  # parent still works afterwards


@needs_fork
def test_fork_child_opens_by_path(tmp_path: Path) -> None:
    with impl.config.set({"threads": 2}):
        arr = _make(tmp_path / "a")
        _run("fork", child_opens_by_path, (str(tmp_path / "a"), 2))
        np.testing.assert_array_equal(arr[...], _expected_after_path_child())


@needs_fork
def test_fork_while_another_thread_reads(tmp_path: Path) -> None:
    """Forking while the engine is busy must not leave the child with a held lock."""
    with impl.config.set({"threads": 2}):
        arr = _make(tmp_path / "a")
        stop = threading.Event()
        errors: list[BaseException] = []

        def reader() -> None:
            try:
                while not stop.is_set():  # rows the child leaves alone
                    np.testing.assert_array_equal(arr[24:, :], _values()[24:, :])
                    np.testing.assert_array_equal(arr[:8, ::3], _values()[:8, ::3])
            except BaseException as exc:  # reported below
                errors.append(exc)

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        try:
            for i in range(3):
                _run("fork", child_uses_inherited_array, (arr, str(tmp_path / "a")))
                arr[10:20, 5:25] = _values()[10:20, 5:25]  # undo the child's write
                assert not errors, f"reader thread failed in round {i}: {errors[0]!r}"
        finally:
            stop.set()
            thread.join(TIMEOUT)
        assert not thread.is_alive()
        assert not errors, repr(errors[0])


def test_spawn_child_opens_by_path(tmp_path: Path) -> None:
    arr = _make(tmp_path / "a")
    _run("spawn", child_opens_by_path, (str(tmp_path / "a"), 2))
    np.testing.assert_array_equal(arr[...], _expected_after_path_child())
    np.testing.assert_array_equal(
        impl.open_array(str(tmp_path / "a"), mode="r")[...], _expected_after_path_child()
    )
