"""Logging: nothing by default; store and engine requests as debug records."""

from __future__ import annotations

import logging
import subprocess
import sys

import numpy as np
import pytest

import zarrc
from zarrc.storage import LoggingStore, MemoryStore, WrapperStore
from zarrc.testing.store_conformance import StoreConformance


class TestLoggingStoreConformance(StoreConformance):
    def make_store(self, read_only: bool = False) -> LoggingStore:
        if not hasattr(self, "_data"):
            self._data: dict[str, bytes] = {}
        return LoggingStore(MemoryStore(self._data, read_only=read_only))


class TestWrapperStoreConformance(StoreConformance):
    def make_store(self, read_only: bool = False) -> WrapperStore:
        if not hasattr(self, "_data"):
            self._data: dict[str, bytes] = {}
        return WrapperStore(MemoryStore(self._data, read_only=read_only))


def test_records_of_store_and_engine_requests(
    tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    store = LoggingStore(zarrc.storage.LocalStore(str(tmp_path)))
    a = zarrc.create_array(store, name="x", shape=(40, 40), chunks=(10, 10), dtype="u2")
    with caplog.at_level(logging.DEBUG, logger="zarrc"):
        a[:20] = np.arange(800, dtype="u2").reshape(20, 40)
        np.testing.assert_array_equal(a[:20, :10], np.arange(800).reshape(20, 40)[:, :10])
    store_records = [r.getMessage() for r in caplog.records if r.name == "zarrc.store"]
    engine_records = [r.getMessage() for r in caplog.records if r.name == "zarrc.engine"]
    assert any(m.startswith("set_many 8 keys:") for m in store_records), store_records
    assert any(m.startswith("get_many 2 keys:") and "bytes in" in m for m in store_records)
    assert engine_records[0].startswith("write 'x': 1600 bytes in")
    assert engine_records[1].startswith("read 'x': 400 bytes in")
    assert "store buffers" in engine_records[1]
    assert store.counter["set_many"] >= 1


def test_nothing_printed_by_default(tmp_path: object) -> None:
    code = (
        "import numpy as np, zarrc\n"
        "from zarrc.storage import LoggingStore, MemoryStore\n"
        "a = zarrc.create_array(LoggingStore(MemoryStore()), shape=(4,), chunks=(2,), dtype='i1')\n"
        "a[:] = 1; a[:]\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert out.returncode == 0 and out.stdout == "" and out.stderr == ""
