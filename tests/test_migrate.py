"""Format 2 -> 3 migration in place: zarr-python writes v2, zarrc migrates, both read v3."""

from __future__ import annotations

import warnings
from pathlib import Path

import numcodecs
import numpy as np
import pytest
import zarr

import zarrc
from zarrc.errors import NodeNotFoundError
from zarrc.hierarchy.migrate import migrate_to_v3

CASES = [
    ("<f8", {"compressors": numcodecs.Blosc(cname="lz4")}, "C"),
    (">i4", {"compressors": numcodecs.Zlib(level=2), "filters": [numcodecs.Delta(">i4")]}, "F"),
    ("<u2", {"compressors": numcodecs.LZ4()}, "F"),
    ("<i8", {"compressors": None}, "C"),
    ("<f4", {"compressors": numcodecs.GZip(), "filters": [numcodecs.Quantize(3, "<f4")]}, "C"),
]


def _build(root: Path) -> dict[str, np.ndarray]:
    g = zarr.open_group(str(root), mode="w", zarr_format=2, attributes={"top": 1})
    expected = {}
    for i, (dtype, kwargs, order) in enumerate(CASES):
        data = (np.arange(20 * 30) % 97).astype(dtype).reshape(20, 30)
        name = f"sub{i % 2}/a{i}"
        arr = g.create_array(
            name, shape=data.shape, chunks=(7, 8), dtype=dtype, order=order, **kwargs
        )
        arr[...] = data
        arr.attrs["i"] = i
        expected[name] = arr[...]
    s = g.create_array("s", shape=(4,), chunks=(3,), dtype=str)
    s[...] = ["a", "bc", "", "d"]
    expected["s"] = s[...]
    return expected


@pytest.mark.parametrize("remove", [False, True])
def test_migrate_hierarchy_both_ways(tmp_path: Path, remove: bool) -> None:
    expected = _build(tmp_path)
    paths = migrate_to_v3(str(tmp_path), remove_v2_metadata=remove)
    assert set(paths) == {"", "sub0", "sub1", *expected}
    assert (tmp_path / ".zgroup").exists() is not remove
    ours = zarrc.open_group(str(tmp_path), mode="r")
    assert ours.zarr_format == 3 and dict(ours.attrs) == {"top": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = zarr.open_group(str(tmp_path), mode="r", zarr_format=3)
        for name, values in expected.items():
            np.testing.assert_array_equal(ours[name][...], values)
            np.testing.assert_array_equal(theirs[name][...], values)
            assert dict(ours[name].attrs) == dict(theirs[name].attrs)
    # the chunk files are the v2 ones, read through the v2 key encoding
    assert (tmp_path / "sub0" / "a0" / "0.0").exists()
    # and the migrated array is writable as format 3
    a = zarrc.open_array(str(tmp_path), path="sub1/a1")
    a[0, :] = 5
    assert (a[0] == 5).all()


def test_migrate_single_array_and_dry_run(tmp_path: Path) -> None:
    z = zarr.create_array(str(tmp_path), shape=(10,), chunks=(4,), dtype="i2", zarr_format=2)
    z[...] = np.arange(10)
    assert migrate_to_v3(str(tmp_path), dry_run=True) == [""]
    assert not (tmp_path / "zarr.json").exists()
    assert migrate_to_v3(str(tmp_path)) == [""]
    np.testing.assert_array_equal(zarrc.open_array(str(tmp_path))[...], np.arange(10))


def test_migrate_missing_node_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(NodeNotFoundError):
        migrate_to_v3(str(tmp_path))
