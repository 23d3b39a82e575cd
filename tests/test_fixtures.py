"""Frozen fixtures written by zarr-python (tests/data/make_fixtures.py): zarrc reads
every data type, compressor and filter of formats 2 and 3 exactly."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import zarrc

DATA = Path(__file__).parent / "data"
FIXTURES = DATA / "fixtures"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
sys.path.insert(0, str(DATA))
from make_fixtures import expected_values  # noqa: E402

NAMES = sorted(MANIFEST["arrays"])


def test_fixture_set_is_complete() -> None:
    dirs = {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert dirs == set(NAMES)
    formats = {MANIFEST["arrays"][n]["zarr_format"] for n in NAMES}
    assert formats == {2, 3} and len(NAMES) >= 50


@pytest.mark.parametrize("name", NAMES)
def test_read_fixture(name: str) -> None:
    info = MANIFEST["arrays"][name]
    arr = zarrc.open_array(str(FIXTURES / name), mode="r")
    assert arr.metadata.zarr_format == info["zarr_format"]
    expected = expected_values(info["dtype"])
    got = arr[...]
    assert got.shape == expected.shape
    if info["dtype"] in ("str", "bytes"):
        assert [str(v) if info["dtype"] == "str" else bytes(v) for v in got.ravel()] == list(
            expected.ravel()
        )
    else:
        np.testing.assert_array_equal(got, expected)
        assert got.dtype == np.dtype(info["dtype"]).newbyteorder("=")
    # a partial selection through the same chunks
    np.testing.assert_array_equal(
        np.asarray(arr[1:6:2, ::-3]).astype(object),
        np.asarray(expected[1:6:2, ::-3]).astype(object),
    )


@pytest.mark.parametrize("name", [n for n in NAMES if "codec" in n])
def test_rewrite_fixture_keeps_its_format(name: str, tmp_path: Path) -> None:
    """Writing into a copy keeps the stored layout readable by zarrc (the originals stay
    frozen)."""
    copy = tmp_path / name
    shutil.copytree(FIXTURES / name, copy)
    arr = zarrc.open_array(str(copy))
    expected = expected_values(MANIFEST["arrays"][name]["dtype"]).copy()
    arr[2:5, 1:7] = 42
    expected[2:5, 1:7] = 42
    np.testing.assert_array_equal(zarrc.open_array(str(copy))[...], expected)
