"""Hierarchy operations against a dict model of the tree (hypothesis).

Random sequences of create_group / create_array (with and without overwrite),
deletes, attribute updates, resizes, consolidation and re-opening (with and without
consolidated metadata) are applied through zarrc's Group API and to a plain dict
model; after every step the group must show exactly the model's tree, and at the
end so must a fresh open and zarr-python.  The same model checks hierarchies
written by zarr-python and read by zarrc.
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass, field
from typing import Any

import pytest
import zarr
from hypothesis import given
from hypothesis import strategies as st

from zarrc.api.groups import create_group, open_group
from zarrc.core.array import Array
from zarrc.core.group import Group
from zarrc.errors import ContainsArrayError, ContainsGroupError
from zarrc.hierarchy.consolidated import consolidate_metadata
from zarrc.storage import MemoryStore

NAMES = st.sampled_from(["a", "b", "ü ñ", "x.y", "日"])
PATHS = st.lists(NAMES, min_size=1, max_size=3).map("/".join)
ATTR_KEYS = st.sampled_from(["k", "é", "long key"])
ATTR_VALUES = st.one_of(
    st.integers(-5, 5),
    st.text(max_size=3),
    st.booleans(),
    st.none(),
    st.lists(st.integers(0, 3), max_size=2),
)
ATTRS = st.dictionaries(ATTR_KEYS, ATTR_VALUES, max_size=2)

OPS = st.one_of(
    st.tuples(st.just("group"), PATHS, ATTRS, st.booleans()),
    st.tuples(st.just("array"), PATHS, ATTRS, st.booleans(), st.integers(0, 5)),
    st.tuples(st.just("delete"), PATHS),
    st.tuples(st.just("attr"), st.one_of(st.just(""), PATHS), ATTR_KEYS, ATTR_VALUES),
    st.tuples(st.just("resize"), PATHS, st.integers(0, 5)),
    st.tuples(st.just("consolidate")),
    st.tuples(st.just("reopen"), st.sampled_from([None, False])),
)


@dataclass
class Node:
    kind: str
    attrs: dict[str, Any] = field(default_factory=dict)
    shape: tuple[int, ...] | None = None


class Model:
    """The tree as a dict: path -> Node; the root is ``""``."""

    def __init__(self, root_attrs: dict[str, Any]) -> None:
        self.nodes: dict[str, Node] = {"": Node("group", dict(root_attrs))}

    @staticmethod
    def ancestors(path: str) -> list[str]:
        parts = path.split("/")
        return ["/".join(parts[:i]) for i in range(len(parts))]

    def subtree(self, path: str) -> list[str]:
        return [p for p in self.nodes if p == path or p.startswith(path + "/")]

    def children(self, path: str) -> list[str]:
        prefix = f"{path}/" if path else ""
        return sorted(
            p[len(prefix) :]
            for p in self.nodes
            if p and p.startswith(prefix) and "/" not in p[len(prefix) :]
        )

    def create(self, path: str, node: Node, overwrite: bool) -> type[Exception] | None:
        """Apply a create; return the exception zarrc must raise instead (nothing changes)."""
        if any(self.nodes.get(a, Node("none")).kind == "array" for a in self.ancestors(path)):
            return ContainsArrayError
        existing = self.nodes.get(path)
        if existing is not None and not overwrite:
            return ContainsArrayError if existing.kind == "array" else ContainsGroupError
        for p in self.subtree(path):
            del self.nodes[p]
        for a in self.ancestors(path):
            self.nodes.setdefault(a, Node("group"))
        self.nodes[path] = node
        return None

    def delete(self, path: str) -> type[Exception] | None:
        if path not in self.nodes:
            return KeyError
        for p in self.subtree(path):
            del self.nodes[p]
        return None


def _apply(g: Group, store: Any, model: Model, op: tuple) -> Group:
    """Apply ``op`` through zarrc and to the model; return the group to use next."""
    kind = op[0]
    expected: type[Exception] | None = None
    action: Any = None
    if kind == "group":
        _, path, attrs, overwrite = op
        expected = model.create(path, Node("group", dict(attrs)), overwrite)
        action = lambda: g.create_group(path, attributes=attrs, overwrite=overwrite)  # noqa: E731
    elif kind == "array":
        _, path, attrs, overwrite, n = op
        expected = model.create(path, Node("array", dict(attrs), (n,)), overwrite)
        action = lambda: g.create_array(  # noqa: E731
            path, shape=(n,), dtype="i2", chunks=(2,), attributes=attrs, overwrite=overwrite
        )
    elif kind == "delete":
        expected = model.delete(op[1])
        action = lambda: g.__delitem__(op[1])  # noqa: E731
    elif kind == "attr":
        _, path, key, value = op
        if path and path not in model.nodes:
            expected = KeyError
        else:
            model.nodes[path].attrs[key] = value
        action = lambda: (g[path] if path else g).attrs.__setitem__(key, value)  # noqa: E731
    elif kind == "resize":
        _, path, n = op
        node = model.nodes.get(path)
        if node is None or node.kind != "array":
            return g
        node.shape = (n,)
        action = lambda: g[path].resize((n,))  # noqa: E731
    elif kind == "consolidate":
        return consolidate_metadata(store)
    else:
        return open_group(store, use_consolidated=op[1])
    if expected is None:
        action()
    else:
        with pytest.raises(expected):
            action()
    return g


def _check(g: Group, model: Model) -> None:
    for path, node in model.nodes.items():
        obj = g if not path else g[path]
        assert isinstance(obj, Group if node.kind == "group" else Array), path
        assert dict(obj.attrs) == node.attrs, path
        if node.kind == "array":
            assert obj.shape == node.shape
        else:
            assert list(obj.keys()) == model.children(path), path
            assert sorted(obj.group_keys()) == [
                c
                for c in model.children(path)
                if model.nodes[f"{path}/{c}".lstrip("/")].kind == "group"
            ]
    assert sorted(k for k, _ in g.members(max_depth=None)) == sorted(p for p in model.nodes if p)


def _check_zarr_python(z: Any, model: Model) -> None:
    assert dict(z.attrs) == model.nodes[""].attrs
    members = dict(z.members(max_depth=None))
    assert sorted(members) == sorted(p for p in model.nodes if p)
    for path, obj in members.items():
        node = model.nodes[path]
        assert dict(obj.attrs) == node.attrs
        assert isinstance(obj, zarr.Group) == (node.kind == "group")
        if node.kind == "array":
            assert obj.shape == node.shape


def _zarr_store(store: MemoryStore) -> Any:
    from zarr.core.buffer import cpu

    items = store._snapshot().items()
    return zarr.storage.MemoryStore({k: cpu.Buffer.from_bytes(v) for k, v in items})


@given(root_attrs=ATTRS, ops=st.lists(OPS, max_size=12))
def test_operations_match_model(root_attrs: dict[str, Any], ops: list[tuple]) -> None:
    store = MemoryStore()
    g = create_group(store, attributes=root_attrs)
    model = Model(root_attrs)
    for op in ops:
        g = _apply(g, store, model, op)
        _check(g, model)
    # whatever the group showed, a fresh open shows too (consolidated or not)
    _check(open_group(store, mode="r"), model)
    _check(open_group(store, mode="r", use_consolidated=False), model)
    warnings.simplefilter("ignore")
    _check_zarr_python(zarr.open_group(_zarr_store(store), mode="r"), model)


def _zarr_apply(z: Any, model: Model, op: tuple) -> None:
    """Apply ``op`` through zarr-python when the model says it succeeds."""
    kind = op[0]
    if kind == "group":
        _, path, attrs, overwrite = op
        if model.create(path, Node("group", dict(attrs)), overwrite) is None:
            z.create_group(path, attributes=attrs, overwrite=overwrite)
    elif kind == "array":
        _, path, attrs, overwrite, n = op
        if model.create(path, Node("array", dict(attrs), (n,)), overwrite) is None:
            z.create_array(
                path, shape=(n,), dtype="i2", chunks=(2,), attributes=attrs, overwrite=overwrite
            )
    elif kind == "delete":
        if model.delete(op[1]) is None:
            del z[op[1]]
    elif kind == "attr":
        _, path, key, value = op
        if not path or path in model.nodes:
            model.nodes[path].attrs[key] = value
            (z[path] if path else z).attrs[key] = value
    elif kind == "resize":
        _, path, n = op
        node = model.nodes.get(path)
        if node is not None and node.kind == "array":
            node.shape = (n,)
            z[path].resize((n,))


@given(
    root_attrs=ATTRS,
    ops=st.lists(OPS.filter(lambda op: op[0] not in ("consolidate", "reopen")), max_size=10),
    consolidated=st.booleans(),
)
def test_we_read_what_zarr_python_writes(
    root_attrs: dict[str, Any], ops: list[tuple], consolidated: bool
) -> None:
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        z = zarr.open_group(tmp, mode="w", attributes=root_attrs, use_consolidated=False)
        model = Model(root_attrs)
        for op in ops:
            _zarr_apply(z, model, op)
        if consolidated:
            zarr.consolidate_metadata(tmp)
        g = open_group(tmp, mode="r")
        assert (g._view is not None) == consolidated
        _check(g, model)
        _check(open_group(tmp, mode="r", use_consolidated=False), model)


@given(
    root_attrs=ATTRS,
    ops=st.lists(OPS.filter(lambda op: op[0] not in ("consolidate", "reopen")), max_size=10),
    consolidated=st.booleans(),
)
def test_zarr_python_reads_what_we_write(
    root_attrs: dict[str, Any], ops: list[tuple], consolidated: bool
) -> None:
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        g = create_group(tmp, attributes=root_attrs)
        model = Model(root_attrs)
        for op in ops:
            _apply(g, g.store, model, op)
        if consolidated:
            consolidate_metadata(tmp)
        z = zarr.open_group(tmp, mode="r")
        assert (z.metadata.consolidated_metadata is not None) == consolidated
        _check_zarr_python(z, model)
        _check_zarr_python(zarr.open_group(tmp, mode="r", use_consolidated=False), model)
