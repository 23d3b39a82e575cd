"""The user-facing ``Group``: synchronous, zarr-python 3 compatible.

A group is a node holding other nodes.  Members are found by listing the store
or, when the group was opened with consolidated metadata, from that snapshot
without any store access (see :mod:`zarrc.hierarchy.consolidated` for what happens when
the hierarchy changes).
"""

from __future__ import annotations

import dataclasses
import json
import operator
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, TypeVar

import numpy as np

from zarrc.core.array import Array
from zarrc.core.attributes import Attributes
from zarrc.core.create import create_array_in
from zarrc.core.display import group_html
from zarrc.core.node import NodeIdentity
from zarrc.core.nodes import (
    ZARR_JSON,
    ZATTRS,
    ZGROUP,
    ZMETADATA,
    NodeMetadata,
    is_group_metadata,
    iter_store_members,
    join_path,
    list_store_children,
    member_path,
    node_kind,
    parse_v2_docs,
    read_node,
    survey,
)
from zarrc.core.snapshot import Snapshot
from zarrc.core.tree import TreeRepr, render_tree
from zarrc.errors import (
    ContainsArrayError,
    ContainsGroupError,
    IncompatibleArrayError,
    IncompatibleGroupError,
    MetadataError,
    ReadOnlyError,
)
from zarrc.metadata.v3 import GroupMetadataV3
from zarrc.storage import Store

__all__ = ["Group", "GroupInfo", "create_group_node"]

_T = TypeVar("_T")


class _SnapshotArray(Array):
    """An array reached from a group that knows a consolidated snapshot.

    Changing its metadata (attributes, shape) drops the snapshot first, like any
    other change made through the hierarchy (see :mod:`zarrc.hierarchy.consolidated`).
    """

    def __init__(self, *args: Any, snapshot: Snapshot | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._snapshot = snapshot

    def _drop_snapshot(self) -> None:
        self._check_writable()
        if self._snapshot is not None:
            self._snapshot.invalidate()

    def _commit_attributes(self, attrs: dict[str, Any]) -> None:
        self._drop_snapshot()
        super()._commit_attributes(attrs)

    def _replace_metadata(self, new: Any) -> None:  # resize, append
        self._drop_snapshot()
        super()._replace_metadata(new)

    def __getstate__(self) -> dict[str, Any]:
        return {**super().__getstate__(), "snapshot": self._snapshot}

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        snapshot = state.pop("snapshot", None)
        super().__setstate__(state)
        self._snapshot = snapshot


# --------------------------------------------------------------------------------------
# node documents
# --------------------------------------------------------------------------------------
def _group_docs(attributes: dict[str, Any], zarr_format: int) -> dict[str, bytes]:
    if zarr_format == 3:
        return {ZARR_JSON: GroupMetadataV3(attributes=attributes).to_json()}
    return {
        ZGROUP: json.dumps({"zarr_format": 2}, indent=2).encode(),
        ZATTRS: json.dumps(attributes, indent=2, allow_nan=True).encode(),
    }


def _group_metadata(attributes: dict[str, Any], zarr_format: int) -> NodeMetadata:
    if zarr_format == 3:
        return GroupMetadataV3(attributes=dict(attributes))
    docs = _group_docs(attributes, 2)
    return parse_v2_docs("", None, docs[ZGROUP], docs[ZATTRS])


def create_group_node(
    store: Store,
    path: str,
    *,
    attributes: dict[str, Any] | None = None,
    overwrite: bool = False,
    zarr_format: int = 3,
) -> NodeMetadata:
    """Write a new group at ``path`` (and any missing parent groups); return its metadata.

    Raises
    ------
    ContainsArrayError, ContainsGroupError
        A node exists at ``path`` and ``overwrite`` is False, or a parent is an array.
    ReadOnlyError
        The store is read-only.
    """
    if zarr_format not in (2, 3):
        raise ValueError(f"zarr_format must be 2 or 3, got {zarr_format!r}")
    if store.read_only:
        raise ReadOnlyError(f"cannot create a group in read-only store {store!r}")
    attributes = dict(attributes or {})
    md = _group_metadata(attributes, zarr_format)  # fails early where v2 is unsupported
    # Ancestors first: below an array, "overwrite" would delete the array's chunks.
    missing, kind = survey(store, path)
    if overwrite:
        # everything below the path goes, including a node's own documents
        store.delete_dir(path)
    else:
        if kind == "array":
            raise ContainsArrayError(f"an array exists at path {path!r} in store {store!r}")
        if kind == "group":
            raise ContainsGroupError(f"a group exists at path {path!r} in store {store!r}")
    for parent in missing:
        for key, value in _group_docs({}, zarr_format).items():
            store.set_if_not_exists(join_path(parent, key), value)
    store.set_many(
        [(join_path(path, k), v) for k, v in _group_docs(attributes, zarr_format).items()]
    )
    return md


# --------------------------------------------------------------------------------------
# info
# --------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class GroupInfo:
    """A summary of a group, printed like zarr-python's."""

    name: str
    zarr_format: int
    read_only: bool
    store_type: str
    count_members: int | None = None
    count_arrays: int | None = None
    count_groups: int | None = None

    def __repr__(self) -> str:
        text = textwrap.dedent(f"""\
            Name        : {self.name}
            Type        : Group
            Zarr format : {self.zarr_format}
            Read-only   : {self.read_only}
            Store type  : {self.store_type}""")
        if self.count_members is not None:
            text += f"\nNo. members : {self.count_members}"
            text += f"\nNo. arrays  : {self.count_arrays}"
            text += f"\nNo. groups  : {self.count_groups}"
        return text


# --------------------------------------------------------------------------------------
# Group
# --------------------------------------------------------------------------------------
class Group(NodeIdentity):
    """A Zarr group in a store.

    Made by :func:`zarrc.api.groups.open_group`, :func:`~zarrc.api.groups.create_group`,
    :func:`~zarrc.api.groups.group` and by indexing other groups, not directly.

    Parameters
    ----------
    store : Store
        The store holding the group.
    path : str
        The group's path in the store (``""``: the root).
    metadata : GroupMetadataV3
        The group's own metadata (its ``consolidated_metadata`` is ignored: pass
        ``snapshot`` instead).
    read_only : bool, optional
        Refuse changes (default: when the store is read-only).
    snapshot : Snapshot, optional
        Consolidated metadata covering this group.
    snapshot_path : str
        This group's path relative to the snapshot's root.
    use_consolidated : bool, optional
        ``False``: members found later never use their own consolidated metadata.
    """

    def __init__(
        self,
        store: Store,
        path: str,
        metadata: NodeMetadata,
        *,
        read_only: bool | None = None,
        snapshot: Snapshot | None = None,
        snapshot_path: str = "",
        use_consolidated: bool | None = None,
    ) -> None:
        self._store = store
        self._path = path
        if getattr(metadata, "consolidated_metadata", None) is not None:
            metadata = replace(metadata, consolidated_metadata=None)
        self._metadata = metadata
        self._read_only = store.read_only or bool(read_only)
        self._snap = snapshot
        self._snap_path = snapshot_path
        self._use = use_consolidated

    @classmethod
    def _from_metadata(
        cls,
        store: Store,
        path: str,
        md: NodeMetadata,
        *,
        use_consolidated: bool | str | None = None,
        read_only: bool | None = None,
    ) -> Group:
        """A group over the metadata read from its own documents, with its snapshot if any."""
        snap = None
        fmt = md.zarr_format
        if fmt == 3:
            if isinstance(use_consolidated, str):
                raise TypeError("use_consolidated must be a bool or None for Zarr format 3")
            raw = md.consolidated_metadata
            if raw is not None:
                snap = Snapshot.from_v3(store, path, raw, use=use_consolidated is not False)
        elif use_consolidated is not False:
            key = use_consolidated if isinstance(use_consolidated, str) else ZMETADATA
            raw_bytes = store.get(join_path(path, key))
            if raw_bytes is not None:
                snap = Snapshot.from_v2(store, path, raw_bytes, key)
        if use_consolidated and snap is None:
            raise MetadataError(
                "consolidated metadata was requested (use_consolidated=True) but the group "
                f"at path {path!r} has none",
                path=join_path(path, ZARR_JSON if fmt == 3 else ZMETADATA),
                field="consolidated_metadata",
            )
        use = False if use_consolidated is False else None
        return cls(store, path, md, read_only=read_only, snapshot=snap, use_consolidated=use)

    # -- identity --------------------------------------------------------------------
    @property
    def metadata(self) -> NodeMetadata:
        """The group's metadata; at a consolidating group, with its consolidated metadata."""
        snap = self._snap
        if snap is not None and snap.valid and snap.zarr_format == 3 and self._is_snap_root:
            return replace(self._metadata, consolidated_metadata=snap.raw)
        return self._metadata

    @property
    def zarr_format(self) -> int:
        """2 or 3."""
        return self._metadata.zarr_format

    @property
    def read_only(self) -> bool:
        """True if the group refuses changes."""
        return self._read_only

    @property
    def synchronizer(self) -> None:
        """Always ``None`` (kept for zarr-python compatibility)."""
        return None

    @property
    def attrs(self) -> Attributes:
        """User attributes; changes are written at once."""
        return Attributes(lambda: self._metadata.attributes, self._commit_attributes)

    @property
    def info(self) -> GroupInfo:
        """What is known without store access (member counts only when consolidated)."""
        counts: dict[str, int] = {}
        view = self._view
        if view is not None:
            arrays, groups = view.count(self._snap_path)
            counts = {
                "count_members": arrays + groups,
                "count_arrays": arrays,
                "count_groups": groups,
            }
        return self._info(**counts)

    def info_complete(self) -> GroupInfo:
        """Like :attr:`info`, always with member counts (listing the store if needed)."""
        arrays = groups = 0
        for _, md in self._iter_members(None):
            if is_group_metadata(md):
                groups += 1
            else:
                arrays += 1
        return self._info(count_members=arrays + groups, count_arrays=arrays, count_groups=groups)

    def _info(self, **counts: int) -> GroupInfo:
        return GroupInfo(
            name=self._path,
            zarr_format=self.zarr_format,
            read_only=self._read_only,
            store_type=type(self._store).__name__,
            **counts,
        )

    # -- consolidated view -----------------------------------------------------------
    @property
    def _is_snap_root(self) -> bool:
        return self._snap is not None and self._snap_path == "" and self._snap.root == self._path

    @property
    def _view(self) -> Snapshot | None:
        snap = self._snap
        return snap if snap is not None and snap.active else None

    def _lookup(self, key: str, path: str) -> NodeMetadata | None:
        view = self._view
        if view is not None:
            return view.lookup(join_path(self._snap_path, key))
        return read_node(self._store, path, zarr_format=self.zarr_format)

    def _children(self) -> list[tuple[str, NodeMetadata]]:
        view = self._view
        if view is not None:
            return view.children(self._snap_path)
        return list_store_children(self._store, self._path, zarr_format=self.zarr_format)

    def _child_kinds(self) -> list[tuple[str, bool]]:
        view = self._view
        if view is not None:
            return view.child_kinds(self._snap_path)
        return [(n, is_group_metadata(md)) for n, md in self._children()]

    def _iter_members(self, max_depth: int | None) -> Iterator[tuple[str, NodeMetadata]]:
        if max_depth is not None and max_depth < 0:
            raise ValueError(f"max_depth must be None or >= 0, got {max_depth}")
        view = self._view
        if view is not None:
            return view.iter_members(self._snap_path, max_depth)
        return iter_store_members(
            self._store, self._path, zarr_format=self.zarr_format, max_depth=max_depth
        )

    def _node(self, key: str, md: NodeMetadata) -> Array | Group:
        """The member at relative path ``key`` over its metadata."""
        path = join_path(self._path, key)
        if not is_group_metadata(md):
            if self._snap is not None and self._snap.valid:
                return _SnapshotArray(
                    self._store, path, md, read_only=self._read_only, snapshot=self._snap
                )
            return Array(self._store, path, md, read_only=self._read_only)
        if self._view is not None:
            return Group(
                self._store,
                path,
                md,
                read_only=self._read_only,
                snapshot=self._snap,
                snapshot_path=join_path(self._snap_path, key),
            )
        if getattr(md, "consolidated_metadata", None) is not None and self._use is not False:
            return Group._from_metadata(self._store, path, md, read_only=self._read_only)
        # Keep a known (unused) snapshot so that changes below can still drop it.
        return self._child_group(path, md)

    # -- reading members ---------------------------------------------------------------
    def __getitem__(self, key: str) -> Array | Group:
        """The member at ``key``; nested paths (``"a/b/c"``) are allowed.

        Raises
        ------
        KeyError
            No such member.
        InvalidKeyError
            ``key`` is unsafe (``..`` or empty segments, ...).
        """
        name, path = member_path(self._path, key)
        md = self._lookup(name, path)
        if md is None:
            raise KeyError(key)
        return self._node(name, md)

    def get(self, key: str, default: _T | None = None) -> Array | Group | _T | None:
        """The member at ``key``, or ``default`` if there is none."""
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        name, path = member_path(self._path, key)
        return self._lookup(name, path) is not None

    def __iter__(self) -> Iterator[str]:
        return self.keys()

    def __len__(self) -> int:
        return len(self._child_kinds())

    def nmembers(self, max_depth: int | None = 0) -> int:
        """Number of members down to ``max_depth`` levels below (``None``: all)."""
        return sum(1 for _ in self._iter_members(max_depth))

    def members(self, max_depth: int | None = 0) -> tuple[tuple[str, Array | Group], ...]:
        """``(relative_path, node)`` pairs of the members, down to ``max_depth`` levels.

        ``max_depth=0`` (the default) gives the immediate members only; ``None``
        every node below.  Immediate members come first, sorted by name.
        """
        return tuple((key, self._node(key, md)) for key, md in self._iter_members(max_depth))

    def keys(self) -> Iterator[str]:
        """Names of the immediate members, sorted."""
        return (name for name, _ in self._child_kinds())

    def arrays(self) -> Iterator[tuple[str, Array]]:
        """``(name, array)`` pairs of the immediate member arrays."""
        for name, md in self._children():
            if not is_group_metadata(md):
                yield name, self._node(name, md)  # type: ignore[misc]

    def groups(self) -> Iterator[tuple[str, Group]]:
        """``(name, group)`` pairs of the immediate member groups."""
        for name, md in self._children():
            if is_group_metadata(md):
                yield name, self._node(name, md)  # type: ignore[misc]

    def array_keys(self) -> Iterator[str]:
        """Names of the immediate member arrays."""
        return (name for name, group in self._child_kinds() if not group)

    def group_keys(self) -> Iterator[str]:
        """Names of the immediate member groups."""
        return (name for name, group in self._child_kinds() if group)

    def array_values(self) -> Iterator[Array]:
        """The immediate member arrays."""
        return (node for _, node in self.arrays())

    def group_values(self) -> Iterator[Group]:
        """The immediate member groups."""
        return (node for _, node in self.groups())

    def tree(
        self,
        expand: bool | None = None,
        level: int | None = None,
        *,
        max_nodes: int = 500,
        plain: bool = False,
    ) -> TreeRepr:
        """A printable tree of the hierarchy below this group.

        Parameters
        ----------
        expand : bool, optional
            Accepted for compatibility; the tree is always fully expanded.
        level : int, optional
            Show members down to this many levels below the immediate ones, as
            ``members(max_depth=level)`` (``None``: all).
        max_nodes : int
            Show at most this many members.
        plain : bool
            No styling (bold in terminals, ``rich`` rendering).

        Returns
        -------
        TreeRepr
            ``print()`` it, or display it in Jupyter or a ``rich`` console.
        """
        members = self._iter_members(level)
        return render_tree(self.name, members, max_nodes=max_nodes, plain=plain)

    # -- changes -------------------------------------------------------------------------
    def _check_writable(self) -> None:
        if self._read_only:
            raise ReadOnlyError(f"group {self.name!r} in {self._store!r} is read-only")

    def _will_change(self) -> None:
        """Drop the consolidated snapshot before the hierarchy changes."""
        if self._snap is not None:
            self._snap.invalidate()

    def _child_group(self, path: str, md: NodeMetadata) -> Group:
        key = path[len(self._path) :].lstrip("/") if self._path else path
        rel = join_path(self._snap_path, key) if self._snap is not None else ""
        return Group(
            self._store,
            path,
            md,
            read_only=self._read_only,
            snapshot=self._snap,
            snapshot_path=rel,
            use_consolidated=self._use,
        )

    def create_group(
        self, name: str, *, overwrite: bool = False, attributes: dict[str, Any] | None = None
    ) -> Group:
        """Create a member group (nested names create missing groups between).

        Raises
        ------
        ContainsGroupError, ContainsArrayError
            A node exists at ``name`` and ``overwrite`` is False.
        ReadOnlyError
            The group is read-only.
        """
        _, path = member_path(self._path, name)
        self._check_writable()
        self._will_change()
        md = create_group_node(
            self._store,
            path,
            attributes=attributes,
            overwrite=overwrite,
            zarr_format=self.zarr_format,
        )
        return self._child_group(path, md)

    def require_group(self, name: str, *, overwrite: bool = False, **kwargs: Any) -> Group:
        """The member group ``name``, created if missing.

        Raises
        ------
        ContainsArrayError
            An array exists at ``name`` (it is also a ``TypeError``, as in zarr-python).
        """
        if overwrite:
            return self.create_group(name, overwrite=True, **kwargs)
        try:
            node = self[name]
        except KeyError:
            return self.create_group(name, **kwargs)
        if not isinstance(node, Group):
            raise IncompatibleArrayError(
                f"an array exists at {join_path(self._path, name)!r}, not a group"
            )
        return node

    def require_groups(self, *names: str) -> tuple[Group, ...]:
        """:meth:`require_group` for several names."""
        return tuple(self.require_group(name) for name in names)

    def create_array(self, name: str, **kwargs: Any) -> Array:
        """Create a member array; arguments as :func:`zarrc.create_array` (``name`` is relative).

        Raises
        ------
        ContainsArrayError, ContainsGroupError
            A node exists at ``name`` and ``overwrite`` is False.
        ReadOnlyError
            The group is read-only.
        """
        key, path = member_path(self._path, name)
        self._check_writable()
        if "/" in key:
            # zarrc.create_array(overwrite=True) would clear the path before finding an
            # array above it; refuse first
            survey(self._store, path, start=self._path)
        kwargs.setdefault("zarr_format", self.zarr_format)
        self._will_change()
        return create_array_in(self._store, name=path, **kwargs)

    def require_array(
        self, name: str, *, shape: Any, dtype: Any = None, exact: bool = False, **kwargs: Any
    ) -> Array:
        """The member array ``name``, created (with ``kwargs``) if missing.

        An existing array must have ``shape``; with ``exact`` its dtype must be
        ``dtype``, else it must cast safely to ``dtype`` (``None``: any dtype).

        Raises
        ------
        TypeError
            The existing array's shape or dtype differs, or a group is there
            (then a ``ContainsGroupError`` too).
        """
        try:
            node = self[name]
        except KeyError:
            return self.create_array(name, shape=shape, dtype=dtype, **kwargs)
        if isinstance(node, Group):
            raise IncompatibleGroupError(
                f"a group exists at {join_path(self._path, name)!r}, not an array"
            )
        want = (
            (operator.index(shape),)
            if isinstance(shape, int | np.integer)
            else tuple(operator.index(s) for s in shape)
        )
        if tuple(node.shape) != want:
            raise TypeError(f"incompatible shape: the array has {node.shape}, not {want}")
        if dtype is not None:
            dt = np.dtype(dtype)
            ok = node.dtype == dt if exact else np.can_cast(node.dtype, dt)
            if not ok:
                raise TypeError(f"incompatible dtype: the array has {node.dtype}, not {dt}")
        return node

    def create_dataset(self, name: str, **kwargs: Any) -> Array:
        """:meth:`create_array` under its h5py / zarr 2 name (``dtype`` may come from ``data``)."""
        return self.create_array(name, **kwargs)

    def require_dataset(self, name: str, *, shape: Any, **kwargs: Any) -> Array:
        """:meth:`require_array` under its h5py / zarr 2 name."""
        return self.require_array(name, shape=shape, **kwargs)

    def _create_filled(self, name: str, shape: Any, fill_value: Any, kwargs: dict) -> Array:
        kwargs.setdefault("dtype", np.float64)
        return self.create_array(name, shape=shape, fill_value=fill_value, **kwargs)

    def zeros(self, *, name: str, shape: Any, **kwargs: Any) -> Array:
        """A member array whose elements are all 0 (nothing is stored)."""
        return self._create_filled(name, shape, 0, kwargs)

    def ones(self, *, name: str, shape: Any, **kwargs: Any) -> Array:
        """A member array whose elements are all 1 (nothing is stored)."""
        return self._create_filled(name, shape, 1, kwargs)

    def full(self, *, name: str, shape: Any, fill_value: Any, **kwargs: Any) -> Array:
        """A member array whose elements are all ``fill_value`` (nothing is stored)."""
        return self._create_filled(name, shape, fill_value, kwargs)

    def empty(self, *, name: str, shape: Any, **kwargs: Any) -> Array:
        """A member array with no data written (reads give the fill value)."""
        return self._create_filled(name, shape, kwargs.pop("fill_value", None), kwargs)

    def __setitem__(self, key: str, value: Any) -> None:
        """Store ``value`` as a new member array ``key``, replacing any node there."""
        data = np.asarray(value)
        self.create_array(key, data=data, overwrite=True)

    def __delitem__(self, key: str) -> None:
        """Delete the member at ``key`` and everything below it.

        Raises
        ------
        KeyError
            No such member.
        ReadOnlyError
            The group is read-only.
        """
        name, path = member_path(self._path, key)
        self._check_writable()
        if self._lookup(name, path) is None and node_kind(self._store, path) is None:
            raise KeyError(key)
        self._will_change()
        self._store.delete_dir(path)

    def _commit_attributes(self, attrs: dict[str, Any]) -> None:
        self._check_writable()
        new = replace(self._metadata, attributes=dict(attrs))
        snap = self._snap
        if self.zarr_format == 3:
            if snap is not None and snap.valid and self._is_snap_root:
                # the group's own attributes are not part of its snapshot: keep it
                doc = replace(new, consolidated_metadata=snap.raw).to_json()
            else:
                self._will_change()
                doc = new.to_json()
            self._store.set(join_path(self._path, ZARR_JSON), doc)
        else:
            self._will_change()
            self._store.set(
                join_path(self._path, ZATTRS), json.dumps(attrs, indent=2, allow_nan=True).encode()
            )
        self._metadata = new

    def update_attributes(self, new_attributes: dict[str, Any]) -> Group:
        """Merge ``new_attributes`` into the attributes with one write; returns self."""
        self.attrs.update(new_attributes)
        return self

    # -- misc ------------------------------------------------------------------------------
    def _repr_html_(self) -> str:
        """Jupyter's view: format, store, attributes and the first members of the tree."""
        return group_html(self)

    def __repr__(self) -> str:
        where = f"{self._store}/{self._path}" if self._path else str(self._store)
        return f"<Group {where}>"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Group)
            and self._store == other._store
            and self._path == other._path
            and self._metadata == other._metadata
        )

    __hash__ = None  # type: ignore[assignment]
