"""Consolidated metadata: zarr-python's layout both ways, opening without listing or reading
member documents, unsafe entries, and what happens when a consolidated hierarchy changes."""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr

from zarrc.api.creation import create_array
from zarrc.api.groups import create_group, open_consolidated, open_group, open_node
from zarrc.core.array import Array
from zarrc.core.group import Group
from zarrc.errors import (
    ContainsArrayError,
    GroupNotFoundError,
    MetadataError,
    ReadOnlyError,
)
from zarrc.hierarchy.consolidated import consolidate_metadata
from zarrc.storage import MemoryStore


class RecordingStore(MemoryStore):
    """A MemoryStore that records listings and the keys read."""

    def __init__(self, store_dict: Any = None, read_only: bool = False) -> None:
        super().__init__(store_dict, read_only=read_only)
        self.listings: list[tuple[str, str]] = []
        self.reads: list[str] = []

    def reset(self) -> None:
        self.listings.clear()
        self.reads.clear()

    def get(self, key: str, byte_range: Any = None) -> bytes | None:
        self.reads.append(key)
        return super().get(key, byte_range)

    def get_many(self, keys: Sequence[str], byte_ranges: Any = None) -> list[bytes | None]:
        self.reads.extend(keys)
        return super().get_many(keys, byte_ranges)

    def list(self) -> Iterator[str]:
        self.listings.append(("list", ""))
        return super().list()

    def list_prefix(self, prefix: str) -> Iterator[str]:
        self.listings.append(("list_prefix", prefix))
        return super().list_prefix(prefix)

    def list_dir(self, prefix: str) -> Iterator[str]:
        self.listings.append(("list_dir", prefix))
        return super().list_dir(prefix)

    def with_read_only(self, read_only: bool = True) -> RecordingStore:
        other = RecordingStore(self._store_dict, read_only=read_only)
        other.listings = self.listings
        other.reads = self.reads
        return other


def _zarr_memory(store: MemoryStore) -> Any:
    """A zarr-python MemoryStore holding a copy of ``store``'s keys."""
    from zarr.core.buffer import cpu

    return zarr.storage.MemoryStore(
        {k: cpu.Buffer.from_bytes(v) for k, v in store._snapshot().items()}
    )


def _quiet() -> None:
    warnings.simplefilter("ignore")


def _build(g: Any) -> None:
    """The same hierarchy, through zarrc's or zarr-python's Group API."""
    a = g.create_group("a", attributes={"x": [1, 2]})
    arr = a.create_array("arr", shape=(4,), chunks=(2,), dtype="i4")
    arr[:] = np.arange(4)
    a.create_group("b").create_group("c")
    g.create_array("root_arr", shape=(3, 3), chunks=(2, 2), dtype="f8", attributes={"u": "v"})
    g.create_group("Émoji é")
    g.create_group("B")


ALL = ["B", "a", "a/arr", "a/b", "a/b/c", "root_arr", "Émoji é"]


def _keys(g: Any) -> list[str]:
    return sorted(k for k, _ in g.members(max_depth=None))


# --------------------------------------------------------------------------------------
# layout and interop
# --------------------------------------------------------------------------------------
def test_layout_identical_to_zarr_python(tmp_path: Path) -> None:
    _quiet()
    _build(zarr.open_group(str(tmp_path / "theirs"), mode="w", attributes={"top": 1}))
    shutil.copytree(tmp_path / "theirs", tmp_path / "ours")
    zarr.consolidate_metadata(str(tmp_path / "theirs"))
    g = consolidate_metadata(str(tmp_path / "ours"))
    assert isinstance(g, Group) and g._view is not None
    ours = (tmp_path / "ours" / "zarr.json").read_bytes()
    theirs = (tmp_path / "theirs" / "zarr.json").read_bytes()
    assert json.loads(ours) == json.loads(theirs)
    assert ours == theirs
    # member documents are untouched
    assert (tmp_path / "ours/a/zarr.json").read_bytes() == (
        tmp_path / "theirs/a/zarr.json"
    ).read_bytes()


def test_zarr_python_reads_ours(tmp_path: Path) -> None:
    _quiet()
    _build(create_group(str(tmp_path), attributes={"top": 1}))
    consolidate_metadata(str(tmp_path))
    z = zarr.open_consolidated(str(tmp_path), mode="r")
    assert z.metadata.consolidated_metadata is not None
    assert _keys(z) == ALL
    np.testing.assert_array_equal(z["a/arr"][:], np.arange(4))
    assert dict(z["a"].attrs) == {"x": [1, 2]}
    assert dict(z["root_arr"].attrs) == {"u": "v"}


def test_we_read_zarr_python_consolidated(tmp_path: Path) -> None:
    _quiet()
    _build(zarr.open_group(str(tmp_path), mode="w", attributes={"top": 1}))
    zarr.consolidate_metadata(str(tmp_path))
    # delete a member document: only consolidated metadata can still describe it
    (tmp_path / "a" / "b" / "zarr.json").unlink()
    g = open_consolidated(str(tmp_path), mode="r")
    assert _keys(g) == ALL
    assert dict(g.attrs) == {"top": 1}
    np.testing.assert_array_equal(g["a/arr"][:], np.arange(4))
    assert isinstance(g["a/b"], Group) and list(g["a/b"].keys()) == ["c"]
    assert list(open_group(str(tmp_path), mode="r", use_consolidated=False)["a"].keys()) == ["arr"]


def test_consolidate_subgroup(tmp_path: Path) -> None:
    _quiet()
    root = create_group(str(tmp_path))
    _build(root)
    consolidate_metadata(str(tmp_path), path="a")
    assert "consolidated_metadata" not in json.loads((tmp_path / "zarr.json").read_bytes())
    doc = json.loads((tmp_path / "a" / "zarr.json").read_bytes())
    assert sorted(doc["consolidated_metadata"]["metadata"]) == ["arr", "b", "b/c"]
    g = open_consolidated(str(tmp_path), path="a", mode="r")
    assert _keys(g) == ["arr", "b", "b/c"] and g["b/c"].path == "a/b/c"
    # zarr-python agrees
    assert _keys(zarr.open_consolidated(str(tmp_path), path="a", mode="r")) == _keys(g)
    # the root, reached without consolidated metadata, uses a's when indexing into it
    assert open_group(str(tmp_path))["a"]._view is not None


def test_empty_group_consolidates(store: Any) -> None:
    create_group(store)
    g = consolidate_metadata(store)
    assert list(g.keys()) == [] and g.metadata.consolidated_metadata["metadata"] == {}


# --------------------------------------------------------------------------------------
# no listing, no member documents
# --------------------------------------------------------------------------------------
def test_consolidated_open_lists_nothing_and_reads_only_the_root() -> None:
    store = RecordingStore()
    _build(create_group(store, attributes={"top": 1}))
    consolidate_metadata(store)
    store.reset()
    g = open_group(store, mode="r")
    assert store.reads == ["zarr.json"]
    assert _keys(g) == ALL
    assert list(g.keys()) == ["B", "a", "root_arr", "Émoji é"]
    assert list(g["a"].array_keys()) == ["arr"] and list(g["a"].group_keys()) == ["b"]
    assert "a/b/c" in g and "nope" not in g and "a/nope" not in g
    assert len(g) == 4 and g.nmembers(max_depth=None) == 7
    assert isinstance(g["a/arr"], Array) and g["a/arr"].shape == (4,)
    assert g["root_arr"].attrs["u"] == "v" and g["a"].attrs["x"] == [1, 2]
    assert g["a"]["b"]["c"].path == "a/b/c"
    assert [n for n, _ in g.arrays()] == ["root_arr"]
    assert len(list(g.groups())) == 3
    text = g.tree().text()
    assert "arr (4,) int32" in text
    assert "No. members : 7" in repr(g.info)
    with pytest.raises(KeyError):
        g["a/missing"]
    assert store.listings == []
    assert store.reads == ["zarr.json"]
    # reading data reads chunks, still no member zarr.json
    np.testing.assert_array_equal(g["a/arr"][:], np.arange(4))
    assert not [k for k in store.reads[1:] if k.endswith("zarr.json")]
    assert store.listings == []


def test_open_node_and_open_consolidated_use_it() -> None:
    store = RecordingStore()
    _build(create_group(store))
    consolidate_metadata(store)
    for opener in (
        lambda: open_consolidated(store),
        lambda: open_node(store, ""),
        lambda: open_group(store, use_consolidated=True),
    ):
        store.reset()
        g = opener()
        assert _keys(g) == ALL
        assert store.listings == [] and store.reads == ["zarr.json"]


def test_use_consolidated_false_lists_the_store() -> None:
    store = RecordingStore()
    _build(create_group(store))
    consolidate_metadata(store)
    store.reset()
    g = open_group(store, use_consolidated=False)
    assert _keys(g) == ALL
    assert store.listings
    assert "a/zarr.json" in store.reads


def test_use_consolidated_true_requires_it(store: Any) -> None:
    create_group(store)
    with pytest.raises(MetadataError, match="consolidated"):
        open_group(store, use_consolidated=True)
    with pytest.raises(MetadataError):
        open_consolidated(store)
    with pytest.raises(TypeError):
        open_consolidated(store, use_consolidated=False)
    with pytest.raises(TypeError):
        open_group(store, use_consolidated=".zmetadata")  # a str is for format 2


def test_open_consolidated_missing_group(store: Any) -> None:
    with pytest.raises(GroupNotFoundError):
        open_consolidated(store)


def test_consolidate_errors(store: Any) -> None:
    with pytest.raises(GroupNotFoundError):
        consolidate_metadata(store)
    create_array(store, name="arr", shape=(1,), dtype="i1")
    with pytest.raises(ContainsArrayError):
        consolidate_metadata(store, path="arr")
    create_group(store, path="g")
    with pytest.raises(ReadOnlyError):
        consolidate_metadata(store.with_read_only(True), path="g")


# --------------------------------------------------------------------------------------
# malformed consolidated metadata
# --------------------------------------------------------------------------------------
GROUP = {"attributes": {}, "zarr_format": 3, "node_type": "group"}


def _with_entries(store: Any, entries: Any, **extra: Any) -> None:
    cm = {"kind": "inline", "must_understand": False, "metadata": entries, **extra}
    store.set("zarr.json", json.dumps({**GROUP, "consolidated_metadata": cm}).encode())


@pytest.mark.parametrize(
    "key", ["../x", "a/../../x", "a//b", "/abs", "", ".", "a/./b", "x/..", "a\\b", "C:", "nul\x00"]
)
def test_unsafe_entry_key_is_a_clear_error(key: str) -> None:
    store = MemoryStore()
    _with_entries(store, {"a": GROUP, key: GROUP})
    with pytest.raises(MetadataError) as info:
        open_group(store, mode="r")
    assert repr(key) in str(info.value) and "unsafe" in str(info.value)
    # also unsafe when nested in a member group's own consolidated metadata
    nested = {**GROUP, "consolidated_metadata": {"kind": "inline", "metadata": {key: GROUP}}}
    _with_entries(store, {"a": nested})
    with pytest.raises(MetadataError):
        open_group(store, mode="r")
    # the document can still be opened without it
    g = open_group(store, mode="r", use_consolidated=False)
    assert list(g.keys()) == []


@pytest.mark.parametrize(
    ("entries", "extra", "match"),
    [
        ({"a/b": GROUP}, {}, "parent 'a'"),
        ({"a": {**GROUP, "node_type": "array"}, "a/b": GROUP}, {}, None),
        ({"a": [1, 2]}, {}, "not an object"),
        ({"a": {**GROUP, "zarr_format": 4}}, {}, "zarr_format"),
        ({"a": {**GROUP, "node_type": "file"}}, {}, "node_type"),
        ([], {}, "'metadata' must be an object"),
        ({}, {"kind": "external"}, "kind"),
    ],
)
def test_malformed_consolidated(entries: Any, extra: dict, match: str | None) -> None:
    store = MemoryStore()
    _with_entries(store, entries, **extra)
    with pytest.raises(MetadataError, match=match):
        open_group(store, mode="r")


def test_invalid_member_entry_fails_on_use() -> None:
    store = MemoryStore()
    bad = {"zarr_format": 3, "node_type": "array", "shape": [-1]}
    _with_entries(store, {"bad": bad, "ok": GROUP})
    g = open_group(store, mode="r")
    assert list(g.group_keys()) == ["ok"]
    with pytest.raises(MetadataError):
        g["bad"]


def test_parent_array_entry() -> None:
    store = MemoryStore()
    arr = json.loads(create_array(MemoryStore(), shape=(1,), dtype="i1").metadata.to_json())
    _with_entries(store, {"a": arr, "a/b": GROUP})
    with pytest.raises(MetadataError, match="array"):
        open_group(store, mode="r")


# --------------------------------------------------------------------------------------
# staleness
# --------------------------------------------------------------------------------------
def test_external_changes_are_not_seen_until_reconsolidated(tmp_path: Path) -> None:
    _quiet()
    _build(create_group(str(tmp_path)))
    consolidate_metadata(str(tmp_path))
    # another writer (zarr-python, consolidation unaware) adds and removes nodes
    z = zarr.open_group(str(tmp_path), mode="r+", use_consolidated=False)
    z.create_group("added")
    del z["B"]
    g = open_group(str(tmp_path), mode="r")
    assert "added" not in g and "B" in g  # the snapshot's view, as zarr-python
    assert "added" in open_group(str(tmp_path), mode="r", use_consolidated=False)
    consolidate_metadata(str(tmp_path))
    g = open_group(str(tmp_path), mode="r")
    assert "added" in g and "B" not in g


@pytest.mark.parametrize(
    "change",
    [
        lambda g: g.create_group("new"),
        lambda g: g.create_array("new", shape=(1,), dtype="i1"),
        lambda g: g["a"].create_group("new"),
        lambda g: g["a/b"].create_array("new", shape=(1,), dtype="i1"),
        lambda g: g.__delitem__("a/b"),
        lambda g: g["a"].__delitem__("arr"),
        lambda g: g["a"].attrs.__setitem__("new", 1),
        lambda g: g["a/arr"].attrs.__setitem__("new", 1),
        lambda g: g["a"]["arr"].update_attributes({"new": 1}),
        lambda g: g["a/arr"].resize((9,)),
        lambda g: g["a/arr"].append(np.arange(3)),
        lambda g: g.require_group("new"),
        lambda g: g.__setitem__("new", np.ones(3)),
    ],
)
def test_changes_through_a_consolidated_group_drop_the_snapshot(change: Any) -> None:
    store = RecordingStore()
    _build(create_group(store))
    consolidate_metadata(store)
    g = open_group(store)
    a = g["a"]
    change(g)
    # gone from the store, so every reader sees the store from now on
    assert "consolidated_metadata" not in json.loads(store.get("zarr.json"))
    assert g._view is None and a._view is None
    fresh = open_group(store, use_consolidated=False)
    assert _keys(g) == _keys(fresh) == _keys(open_group(store))
    assert dict(g["a"].attrs) == dict(fresh["a"].attrs)
    if "a/arr" in fresh:
        assert dict(g["a/arr"].attrs) == dict(fresh["a/arr"].attrs)
        assert g["a/arr"].shape == fresh["a/arr"].shape
    # and zarr-python agrees
    _quiet()
    z = zarr.open_group(_zarr_memory(store), mode="r")
    assert _keys(z) == _keys(fresh)


def test_own_attributes_keep_the_snapshot() -> None:
    store = RecordingStore()
    _build(create_group(store, attributes={"v": 0}))
    consolidate_metadata(store)
    g = open_group(store)
    g.attrs["v"] = 1
    doc = json.loads(store.get("zarr.json"))
    assert doc["attributes"] == {"v": 1} and "consolidated_metadata" in doc
    store.reset()
    again = open_group(store)
    assert dict(again.attrs) == {"v": 1} and _keys(again) == ALL
    assert store.listings == []


def test_use_consolidated_false_changes_still_drop_it() -> None:
    store = MemoryStore()
    _build(create_group(store))
    consolidate_metadata(store)
    g = open_group(store, use_consolidated=False)
    g["a"].create_group("new")
    assert "consolidated_metadata" not in json.loads(store.get("zarr.json"))
    assert "a/new" in _keys(open_group(store))


def test_read_only_consolidated_group_refuses_changes() -> None:
    store = MemoryStore()
    _build(create_group(store))
    consolidate_metadata(store)
    before = dict(store._store_dict)
    g = open_consolidated(store, mode="r")
    for change in (
        lambda: g.create_group("x"),
        lambda: g["a"].create_array("y", shape=(1,), dtype="i1"),
        lambda: g.__delitem__("a"),
        lambda: g["a"].attrs.__setitem__("k", 1),
        lambda: g.attrs.__setitem__("k", 1),
    ):
        with pytest.raises(ReadOnlyError):
            change()
    assert dict(store._store_dict) == before


def test_metadata_property() -> None:
    store = MemoryStore()
    _build(create_group(store))
    g = consolidate_metadata(store)
    assert sorted(g.metadata.consolidated_metadata["metadata"]) == ALL
    assert g["a"].metadata.consolidated_metadata is None
    g.create_group("x")
    assert g.metadata.consolidated_metadata is None


# --------------------------------------------------------------------------------------
# format 2: .zmetadata
# --------------------------------------------------------------------------------------


def _build_v2(path: Path) -> None:
    _quiet()
    z = zarr.open_group(str(path), mode="w", zarr_format=2, attributes={"top": 1})
    a = z.create_group("a", attributes={"x": [1, 2]})
    a.create_array("arr", shape=(4,), chunks=(2,), dtype="<i4")[:] = np.arange(4)
    a.create_group("b").create_group("c")


def _load(path: Path, store: MemoryStore) -> None:
    for f in path.rglob("*"):
        if f.is_file():
            store.set(f.relative_to(path).as_posix(), f.read_bytes())


def test_v2_zarr_python_zmetadata_without_listing(tmp_path: Path) -> None:
    _build_v2(tmp_path)
    zarr.consolidate_metadata(str(tmp_path))
    store = RecordingStore()
    _load(tmp_path, store)
    store.reset()
    g = open_group(store, mode="r")
    assert g.zarr_format == 2 and g._view is not None
    assert list(g.keys()) == ["a"] and g.nmembers(max_depth=None) == 4
    assert list(g["a"].array_keys()) == ["arr"] and list(g["a"].group_keys()) == ["b"]
    assert dict(g["a"].attrs) == {"x": [1, 2]} and "a/b/c" in g
    assert g.tree().text() == "/\n└── a\n    ├── arr (4,) int32\n    └── b\n        └── c\n"
    assert store.listings == []
    assert not [k for k in store.reads if k.startswith("a/")]
    assert _keys(g) == ["a", "a/arr", "a/b", "a/b/c"]
    np.testing.assert_array_equal(g["a/arr"][:], np.arange(4))


def test_v2_consolidate_read_by_zarr_python(tmp_path: Path) -> None:
    _build_v2(tmp_path)
    g = consolidate_metadata(str(tmp_path))
    doc = json.loads((tmp_path / ".zmetadata").read_bytes())
    assert doc["zarr_consolidated_format"] == 1
    assert {".zgroup", ".zattrs", "a/.zgroup", "a/.zattrs", "a/arr/.zarray"} <= set(doc["metadata"])
    assert g._view is not None and g.nmembers(max_depth=None) == 4
    z = zarr.open_consolidated(str(tmp_path), mode="r", zarr_format=2)
    assert sorted(k for k, _ in z.members(max_depth=None)) == ["a", "a/arr", "a/b", "a/b/c"]
    assert dict(z["a"].attrs) == {"x": [1, 2]}


def test_v2_changes_drop_zmetadata(tmp_path: Path) -> None:
    _build_v2(tmp_path)
    consolidate_metadata(str(tmp_path))
    g = open_group(str(tmp_path))
    g["a"].create_group("new")
    assert not (tmp_path / ".zmetadata").exists()
    assert "a/new" in open_group(str(tmp_path), mode="r")
    consolidate_metadata(str(tmp_path))
    g = open_group(str(tmp_path))
    g.attrs["top"] = 2  # in format 2 the snapshot holds the group's own attributes too
    assert not (tmp_path / ".zmetadata").exists()
    assert dict(open_group(str(tmp_path), mode="r").attrs) == {"top": 2}


@pytest.mark.parametrize("key", ["../x/.zgroup", "a//b/.zgroup", "/abs/.zgroup"])
def test_v2_unsafe_zmetadata_key(key: str) -> None:
    store = MemoryStore()
    store.set(".zgroup", b'{"zarr_format": 2}')
    body = {"metadata": {".zgroup": {"zarr_format": 2}, key: {"zarr_format": 2}}}
    store.set(".zmetadata", json.dumps({**body, "zarr_consolidated_format": 1}).encode())
    with pytest.raises(MetadataError, match="unsafe"):
        open_group(store, mode="r")


def test_pickled_nodes_keep_their_view(tmp_path: Path) -> None:
    import pickle

    _build(create_group(str(tmp_path)))
    consolidate_metadata(str(tmp_path))
    g = pickle.loads(pickle.dumps(open_group(str(tmp_path))))
    assert g._view is not None and _keys(g) == ALL
    arr = pickle.loads(pickle.dumps(g["a/arr"]))
    np.testing.assert_array_equal(arr[:], np.arange(4))
    arr.attrs["k"] = 1  # a change through the copy still drops the persisted snapshot
    assert "consolidated_metadata" not in json.loads((tmp_path / "zarr.json").read_bytes())
    assert open_group(str(tmp_path), mode="r")["a/arr"].attrs["k"] == 1
