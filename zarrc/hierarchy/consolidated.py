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
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from zarrc.core.nodes import (
    ZARR_JSON,
    ZATTRS,
    ZGROUP,
    ZMETADATA,
    NodeMetadata,
    _parse_v2,
    is_group_metadata,
    join_path,
    normalize_path,
    read_node_docs,
    walk_store,
)
from zarrc.errors import (
    ContainsArrayError,
    GroupNotFoundError,
    InvalidKeyError,
    MetadataError,
    ReadOnlyError,
)
from zarrc.metadata.v3 import GroupMetadataV3, load_json_object, parse_metadata_v3
from zarrc.storage import Store, validate_key

if TYPE_CHECKING:
    from zarrc.core.group import Group

__all__ = ["Snapshot", "consolidate_metadata", "open_consolidated"]

_FIELD = "consolidated_metadata"


def _empty_inline() -> dict[str, Any]:
    return {"kind": "inline", "must_understand": False, "metadata": {}}


def _entry_order(key: str) -> tuple[int, str]:
    # zarr-python's order: parents before children, then by case-folded name
    return key.count("/"), unicodedata.normalize("NFKC", key).casefold()


class Snapshot:
    """The consolidated metadata of one group, indexed for lookups without I/O.

    Entry documents are parsed on first use.  Made by :meth:`from_v3` /
    :meth:`from_v2`; shared by every group reached from the consolidating one.

    Parameters
    ----------
    store : Store
        The store holding the hierarchy.
    root : str
        Path of the consolidating group.
    zarr_format : {2, 3}
        Format of the consolidating group.
    raw : dict
        The consolidated document as stored (kept to write it back unchanged).
    entries : dict
        Member path (relative to ``root``) -> ``(node_type, document)``.
    use : bool
        Whether reads use the snapshot (``False``: it is only known, so that
        changes can drop it).
    """

    def __init__(
        self,
        store: Store,
        root: str,
        zarr_format: int,
        raw: dict[str, Any],
        entries: dict[str, tuple[str, Any]],
        *,
        use: bool = True,
    ) -> None:
        self.store = store
        self.root = root
        self.zarr_format = zarr_format
        self.raw = raw
        self.use = use
        self.valid = True
        self._entries = entries
        self._parsed: dict[str, NodeMetadata] = {}
        self._children: dict[str, list[str]] = {}
        for key in sorted(entries):
            parent, _, name = key.rpartition("/")
            self._children.setdefault(parent, []).append(name)

    # -- construction ------------------------------------------------------------------
    @classmethod
    def from_v3(
        cls, store: Store, root: str, raw: Mapping[str, Any], *, use: bool = True
    ) -> Snapshot:
        """Index the ``consolidated_metadata`` object of the format 3 group at ``root``.

        Raises
        ------
        MetadataError
            The object is malformed, an entry's key is not a safe relative path
            (``"../x"``, ``"a//b"``, ``"/a"``), or an entry has no parent group in it.
        """
        doc = join_path(root, ZARR_JSON)
        if not use:
            # only known, never read: no need to check it
            return cls(store, root, 3, dict(raw) if isinstance(raw, Mapping) else {}, {}, use=False)
        if not isinstance(raw, Mapping):
            raise MetadataError(f"expected an object, got {raw!r}", path=doc, field=_FIELD)
        if raw.get("kind") != "inline":
            raise MetadataError(
                f"unsupported consolidated metadata kind {raw.get('kind')!r}; only 'inline'",
                path=doc,
                field=_FIELD,
            )
        metadata = raw.get("metadata")
        if not isinstance(metadata, Mapping):
            raise MetadataError(
                f"'metadata' must be an object, got {type(metadata).__name__}",
                path=doc,
                field=_FIELD,
            )
        flat: dict[str, Any] = {}
        _flatten(metadata, "", flat, doc)
        entries: dict[str, tuple[str, Any]] = {}
        for key, value in flat.items():
            fmt = value.get("zarr_format")
            if fmt == 3:
                kind = value.get("node_type")
                if kind not in ("array", "group"):
                    raise _entry_error(key, f"has node_type {kind!r}", doc)
            elif fmt == 2:
                kind = "array" if "shape" in value else "group"
            else:
                raise _entry_error(key, f"has zarr_format {fmt!r}", doc)
            entries[key] = (kind, value)
        _check_parents(entries, doc)
        return cls(store, root, 3, dict(raw), entries, use=use)

    @classmethod
    def from_v2(cls, store: Store, root: str, raw_bytes: bytes, key: str = ZMETADATA) -> Snapshot:
        """Index the format 2 consolidated document (``.zmetadata``) of the group at ``root``."""
        doc = join_path(root, key)
        raw = load_json_object(raw_bytes, path=doc)
        metadata = raw.get("metadata")
        if not isinstance(metadata, Mapping):
            raise MetadataError("'metadata' must be an object", path=doc, field="metadata")
        docs: dict[str, dict[str, Any]] = {}
        for name, value in metadata.items():
            path, sep, kind = name.rpartition("/") if "/" in name else ("", "", name)
            if kind not in (".zarray", ".zgroup", ".zattrs"):
                raise _entry_error(name, "is not a .zarray, .zgroup or .zattrs document", doc)
            if not path:
                continue  # the group's own documents, read from the store
            _check_key(path, doc)
            if not isinstance(value, Mapping):
                raise _entry_error(name, f"is a {type(value).__name__}, not an object", doc)
            docs.setdefault(path, {})[kind] = value
        entries: dict[str, tuple[str, Any]] = {}
        for path, parts in docs.items():
            if ".zarray" in parts:
                entries[path] = ("array", parts)
            elif ".zgroup" in parts:
                entries[path] = ("group", parts)
            else:
                raise _entry_error(path, "has .zattrs but no .zarray or .zgroup", doc)
        _check_parents(entries, doc)
        return cls(store, root, 2, raw, entries)

    # -- lookups -------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """Whether reads should use this snapshot."""
        return self.use and self.valid

    def lookup(self, key: str) -> NodeMetadata | None:
        """The metadata of the member at ``key`` (relative to the root), or ``None``."""
        md = self._parsed.get(key)
        if md is None:
            entry = self._entries.get(key)
            if entry is None:
                return None
            md = self._parsed[key] = self._parse(key, entry[1])
        return md

    def kind(self, key: str) -> str | None:
        """``"array"``, ``"group"``, or ``None`` when ``key`` is not a member."""
        entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def children(self, key: str) -> list[tuple[str, NodeMetadata]]:
        """The immediate members of the group at ``key`` (``""``: the root), sorted by name."""
        return [(n, self.lookup(join_path(key, n))) for n in self._children.get(key, ())]

    def child_kinds(self, key: str) -> list[tuple[str, bool]]:
        """``(name, is_group)`` of the immediate members of ``key``, without parsing them."""
        return [
            (n, self._entries[join_path(key, n)][0] == "group") for n in self._children.get(key, ())
        ]

    def iter_members(
        self, key: str, max_depth: int | None = 0
    ) -> Iterator[tuple[str, NodeMetadata]]:
        """Members below ``key`` down to ``max_depth`` levels (``None``: all), breadth first.

        Yields paths relative to ``key``.
        """
        level = [""]
        depth = 0
        while level:
            deeper = []
            for rel in level:
                for name in self._children.get(join_path(key, rel), ()):
                    child = join_path(rel, name)
                    yield child, self.lookup(join_path(key, child))
                    if self.kind(join_path(key, child)) == "group" and (
                        max_depth is None or depth < max_depth
                    ):
                        deeper.append(child)
            level = deeper
            depth += 1

    def count(self, key: str) -> tuple[int, int]:
        """Number of arrays and of groups anywhere below ``key``."""
        prefix = f"{key}/" if key else ""
        arrays = groups = 0
        for k, (kind, _) in self._entries.items():
            if k.startswith(prefix):
                if kind == "array":
                    arrays += 1
                else:
                    groups += 1
        return arrays, groups

    def _parse(self, key: str, value: Any) -> NodeMetadata:
        label = f"{join_path(self.root, key)} (consolidated entry)"
        if self.zarr_format == 2:
            kind = ".zarray" if ".zarray" in value else ".zgroup"
            # zarr-python 3 puts an empty consolidated marker in member .zgroup entries
            body = {k: v for k, v in value[kind].items() if k != _FIELD}
            return _parse_v2(
                join_path(self.root, key),
                _dumps(body) if kind == ".zarray" else None,
                _dumps(body) if kind == ".zgroup" else None,
                _dumps(value[".zattrs"]) if ".zattrs" in value else None,
            )
        if value.get("zarr_format") == 2:
            attrs = value.get("attributes")
            body = {k: v for k, v in value.items() if k not in ("attributes", _FIELD)}
            is_array = "shape" in value
            return _parse_v2(
                join_path(self.root, key),
                _dumps(body) if is_array else None,
                None if is_array else _dumps(body),
                None if attrs is None else _dumps(attrs),
            )
        # a JSON round trip is a private copy several times faster than deepcopy
        md = parse_metadata_v3(_dumps(value), path=label)
        if isinstance(md, GroupMetadataV3) and md.consolidated_metadata is not None:
            # a member's (empty) consolidated marker is not its own document
            md = replace(md, consolidated_metadata=None)
        return md

    # -- dropping ------------------------------------------------------------------------
    def invalidate(self) -> None:
        """Drop the snapshot: stop using it and remove it from the store.

        Called before the hierarchy is changed, so a crash in between leaves no
        stale snapshot behind.
        """
        if not self.valid:
            return
        self.valid = False
        store = self.store
        if self.zarr_format == 2:
            store.delete(join_path(self.root, ZMETADATA))
            return
        key = join_path(self.root, ZARR_JSON)
        raw = store.get(key)
        if raw is None:
            return
        data = load_json_object(raw, path=key)
        if data.get(_FIELD) is None:
            return
        md = parse_metadata_v3(data, path=key)
        store.set(key, replace(md, consolidated_metadata=None).to_json())


def _dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def _entry_error(key: str, problem: str, doc: str) -> MetadataError:
    return MetadataError(f"consolidated metadata entry {key!r} {problem}", path=doc, field=_FIELD)


def _check_key(key: Any, doc: str) -> None:
    if not isinstance(key, str):
        raise _entry_error(key, "is not a string", doc)
    try:
        validate_key(key)
    except InvalidKeyError as exc:
        reason = str(exc).partition(": ")[2] or str(exc)
        raise MetadataError(
            f"consolidated metadata names an unsafe node path {key!r} ({reason}); "
            "refusing to open it",
            path=doc,
            field=_FIELD,
        ) from None


def _flatten(metadata: Mapping[str, Any], prefix: str, out: dict[str, Any], doc: str) -> None:
    """Collect entries by full relative path, including ones nested in member groups."""
    for key, value in metadata.items():
        _check_key(key, doc)
        full = join_path(prefix, key)
        if not isinstance(value, Mapping):
            raise _entry_error(full, f"is a {type(value).__name__}, not an object", doc)
        if full not in out:
            out[full] = value
        nested = value.get(_FIELD)
        if isinstance(nested, Mapping) and isinstance(nested.get("metadata"), Mapping):
            _flatten(nested["metadata"], full, out, doc)


def _check_parents(entries: Mapping[str, tuple[str, Any]], doc: str) -> None:
    for key in entries:
        parent = key.rpartition("/")[0]
        if parent and (parent not in entries or entries[parent][0] != "group"):
            what = "an array" if parent in entries else "missing"
            raise _entry_error(key, f"has a parent {parent!r} that is {what}", doc)


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
    from zarrc.api.creation import make_store
    from zarrc.core.group import Group

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
        for key, member_md, raw in sorted(members, key=lambda m: _entry_order(m[0])):
            if is_group_metadata(member_md):
                body[key] = replace(member_md, consolidated_metadata=_empty_inline()).to_dict()
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


def open_consolidated(
    store: Any = None,
    *,
    path: str | None = None,
    mode: str = "r+",
    use_consolidated: bool | str = True,
    **kwargs: Any,
) -> Group:
    """Open a group with its consolidated metadata, which must exist.

    The same as :func:`zarrc.api.groups.open_group` with ``use_consolidated=True``,
    except that the default mode is ``"r+"``: a missing group is an error rather
    than being created.

    Raises
    ------
    MetadataError
        The group has no consolidated metadata.
    GroupNotFoundError
        No group exists at ``path``.
    """
    if use_consolidated is False:
        raise TypeError(
            "use_consolidated must not be False in open_consolidated; use open_group with "
            "use_consolidated=False to bypass consolidated metadata"
        )
    from zarrc.api.groups import open_group

    return open_group(store, mode=mode, path=path, use_consolidated=use_consolidated, **kwargs)
