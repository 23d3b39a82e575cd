"""Consolidated metadata: one document holding the metadata of a whole hierarchy.

Layouts (both written and read exactly as zarr-python does):

- Format 3: the group's ``zarr.json`` carries ``"consolidated_metadata":
  {"kind": "inline", "must_understand": false, "metadata": {...}}`` whose
  ``metadata`` maps each member's path relative to the group (``"a"``,
  ``"a/b"``, ...) to that member's full ``zarr.json`` object.  Member groups
  carry an empty ``consolidated_metadata`` of their own.  Entries are sorted by
  depth, then by case-folded name.
- Format 2: ``<group>/.zmetadata`` is ``{"metadata": {".zgroup": ..., ".zattrs":
  ..., "a/.zarray": ..., "a/.zattrs": ...}, "zarr_consolidated_format": 1}``.

Staleness
---------
Consolidated metadata is a snapshot taken by :func:`consolidate_metadata`.  A
group opened with it answers membership and metadata questions from the
snapshot alone, without listing the store or reading member documents (as
zarr-python does), so changes made to the store by other means after
consolidation are not seen until the hierarchy is consolidated again (or opened
with ``use_consolidated=False``).

Changes made *through* such a group (or any group or array reached from it,
also when it was opened with ``use_consolidated=False``) are different: zarrc
keeps what it reports true.  The first change to the hierarchy (creating or
deleting a member, changing the attributes of a member group or array,
resizing or appending to a member array) drops
the snapshot, both in memory and from the consolidating group's document, so
every later read, by this process or any other, goes back to the store and
sees the change.  Re-run :func:`consolidate_metadata` afterwards to get fast
opens back.  Changing the attributes of the consolidating group itself keeps
the snapshot (format 3 only: in format 2 the snapshot includes them).
zarr-python instead keeps serving the stale snapshot (except that deleting an
immediate member removes it from the snapshot).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from zarrc.core.group import Group
from zarrc.core.nodes import (
    ZARR_JSON,
    ZATTRS,
    ZGROUP,
    ZMETADATA,
    is_group_metadata,
    join_path,
    normalize_path,
    read_node_docs,
    walk_store,
)
from zarrc.core.snapshot import empty_inline, entry_order
from zarrc.errors import ContainsArrayError, GroupNotFoundError, ReadOnlyError
from zarrc.metadata.v3 import load_json_object
from zarrc.storage import Store, make_store

__all__ = ["consolidate_metadata"]


# --------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------
def consolidate_metadata(
    store: Any, path: str | None = None, zarr_format: int | None = None
) -> Group:
    """Write the metadata of every node below a group into that group's metadata.

    Parameters
    ----------
    store : Store, str, os.PathLike or dict
        The store holding the hierarchy.
    path : str, optional
        The group to consolidate at (default: the root).  Only nodes below it are
        included.
    zarr_format : {2, 3, None}
        The format of the group; by default found from the store.

    Returns
    -------
    Group
        The group, opened with the new consolidated metadata.

    Raises
    ------
    GroupNotFoundError
        No group exists at ``path``.
    ContainsArrayError
        An array exists at ``path``.
    ReadOnlyError
        The store is read-only.
    """
    st = make_store(store, mode="a")
    p = normalize_path(path)
    if st.read_only:
        raise ReadOnlyError(f"cannot consolidate metadata in read-only store {st!r}")
    found = read_node_docs(st, [p], zarr_format=zarr_format)[0]
    if found is None:
        raise GroupNotFoundError(f"no group found at path {p!r} in store {st!r}")
    md, _ = found
    if not is_group_metadata(md):
        raise ContainsArrayError(f"an array exists at path {p!r} in store {st!r}, not a group")
    fmt = md.zarr_format
    members = list(_iter_member_docs(st, p, fmt))
    if fmt == 3:
        body: dict[str, Any] = {}
        for key, member_md, raw in sorted(members, key=lambda m: entry_order(m[0])):
            if is_group_metadata(member_md):
                body[key] = replace(member_md, consolidated_metadata=empty_inline()).to_dict()
            else:
                body[key] = load_json_object(raw, path=join_path(p, key, ZARR_JSON))
        consolidated = {"kind": "inline", "must_understand": False, "metadata": body}
        md = replace(md, consolidated_metadata=consolidated)
        st.set(join_path(p, ZARR_JSON), md.to_json())
    else:
        st.set(join_path(p, ZMETADATA), _zmetadata(st, p, members))
    return Group._from_metadata(st, p, md, use_consolidated=True)


def _iter_member_docs(store: Store, path: str, fmt: int) -> Iterator[tuple[str, Any, Any]]:
    """``(relative_path, metadata, raw_documents)`` of every node below ``path``."""
    # Always from the store, never through another snapshot: it may be stale.
    yield from walk_store(store, path, zarr_format=fmt, max_depth=None)


def _zmetadata(store: Store, path: str, members: list[tuple[str, Any, Any]]) -> bytes:
    def obj(raw: bytes, key: str) -> Any:
        return json.loads(raw.decode("utf-8-sig"))

    own = store.get_many([join_path(path, ZGROUP), join_path(path, ZATTRS)])
    body: dict[str, Any] = {ZGROUP: obj(own[0], ZGROUP) if own[0] else {"zarr_format": 2}}
    if own[1] is not None:
        body[ZATTRS] = obj(own[1], ZATTRS)
    for key, _, (zarray, zgroup, zattrs) in members:
        if zarray is not None:
            body[f"{key}/.zarray"] = obj(zarray, key)
        else:
            body[f"{key}/.zgroup"] = obj(zgroup, key)
        if zattrs is not None:
            body[f"{key}/.zattrs"] = obj(zattrs, key)
    return json.dumps(
        {"metadata": body, "zarr_consolidated_format": 1}, indent=4, sort_keys=True, allow_nan=True
    ).encode()
