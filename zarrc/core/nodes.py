"""Finding nodes in a hierarchy: metadata documents and member listing.

A node is an array or a group.  In Zarr format 3 its metadata document is
``<path>/zarr.json``; in format 2 it is ``<path>/.zarray`` or ``<path>/.zgroup``,
with the attributes in ``<path>/.zattrs``.  Everything here reads documents in
batches (one ``get_many`` per group listed, or per path surveyed before a
node is created) and never writes.

Member listing comes either from the store (``list_dir`` of the group, then the
children's metadata documents) or from a consolidated snapshot
(:mod:`zarrc.core.snapshot`), which needs no store access at all.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any

from zarrc.errors import ContainsArrayError, InvalidKeyError, MetadataError
from zarrc.metadata.v2 import parse_array_metadata_v2, parse_group_metadata_v2
from zarrc.metadata.v3 import ArrayMetadataV3, GroupMetadataV3, load_json_object, parse_metadata_v3
from zarrc.storage import Store, validate_key

__all__ = [
    "V2_KEYS",
    "ZARR_JSON",
    "NodeMetadata",
    "is_group_metadata",
    "iter_store_members",
    "join_path",
    "list_store_children",
    "member_path",
    "node_kind",
    "node_kinds",
    "normalize_path",
    "read_node",
    "read_node_docs",
    "read_nodes",
    "survey",
    "walk_store",
]

ZARR_JSON = "zarr.json"
ZARRAY = ".zarray"
ZGROUP = ".zgroup"
ZATTRS = ".zattrs"
ZMETADATA = ".zmetadata"
V2_KEYS = (ZARRAY, ZGROUP, ZATTRS, ZMETADATA)
# Names inside a group's directory that are its own documents, never members.
_OWN_DOCS = frozenset((ZARR_JSON, *V2_KEYS))

# ArrayMetadataV3 | GroupMetadataV3, or their format 2 counterparts once those exist.
NodeMetadata = Any


# --------------------------------------------------------------------------------------
# paths
# --------------------------------------------------------------------------------------
def join_path(*parts: str) -> str:
    """Join path segments with ``/``, skipping empty ones (``join_path("", "a") == "a"``)."""
    return "/".join(p for p in parts if p)


def normalize_path(path: str | None) -> str:
    """A node path: ``""`` for the root, else a safe key without surrounding ``/``.

    Raises
    ------
    InvalidKeyError
        If the path has ``.``/``..`` or empty segments, control characters, ...
    """
    if path is None:
        return ""
    if not isinstance(path, str):
        raise InvalidKeyError(f"node paths must be str, not {type(path).__name__}: {path!r}")
    path = path.strip("/")
    if path:
        validate_key(path)
    return path


def member_path(parent: str, name: str) -> tuple[str, str]:
    """Validate the member ``name`` (may be nested, ``"a/b"``) of the group at ``parent``.

    Returns
    -------
    tuple of str
        The normalised name and the member's full path.

    Raises
    ------
    InvalidKeyError
        If ``name`` is empty or unsafe.
    """
    if not isinstance(name, str):
        raise InvalidKeyError(f"member names must be str, not {type(name).__name__}: {name!r}")
    key = name.strip("/")
    if not key:
        raise InvalidKeyError(f"invalid member name {name!r}: it is empty")
    validate_key(key)
    return key, join_path(parent, key)


# --------------------------------------------------------------------------------------
# metadata documents
# --------------------------------------------------------------------------------------
def is_group_metadata(md: NodeMetadata) -> bool:
    """Whether ``md`` describes a group (of either format)."""
    return getattr(md, "node_type", None) == "group"


_METADATA_CACHE: dict[bytes, ArrayMetadataV3 | GroupMetadataV3] = {}
_CACHE_LIMIT = 256


def parse_v3_cached(raw: bytes, doc_key: str) -> ArrayMetadataV3 | GroupMetadataV3:
    """Parse a zarr.json document, reusing the (immutable) result for identical bytes."""
    md = _METADATA_CACHE.get(raw)
    if md is None:
        md = parse_metadata_v3(raw, path=doc_key)
        if len(_METADATA_CACHE) >= _CACHE_LIMIT:
            _METADATA_CACHE.clear()
        _METADATA_CACHE[raw] = md
    elif md.attributes:
        # attributes are a plain dict: give each opener its own copy
        md = md.update_attributes(copy.deepcopy(md.attributes))
    return md


def parse_v2_docs(
    path: str, zarray: bytes | None, zgroup: bytes | None, zattrs: bytes | None
) -> NodeMetadata:
    """Metadata of a format 2 node from its documents (at least one of ``.zarray``/``.zgroup``)."""
    doc = join_path(path, ZARRAY if zarray is not None else ZGROUP)
    if zarray is not None:
        return parse_array_metadata_v2(zarray, attributes=zattrs, path=doc)
    return parse_group_metadata_v2(zgroup, attributes=zattrs, path=doc)


def read_node_docs(
    store: Store, paths: Sequence[str], *, zarr_format: int | None = None
) -> list[tuple[NodeMetadata, Any] | None]:
    """The metadata of the nodes at ``paths`` with their raw documents (``None``: no node).

    Format 3 documents are read for every path in one batch; format 2 documents
    only for the paths that have no ``zarr.json`` (a second batch), so a format 3
    hierarchy costs one request per call.

    Parameters
    ----------
    store : Store
        The store.
    paths : sequence of str
        Normalised node paths.
    zarr_format : {2, 3, None}
        Look only for documents of this format; ``None``: format 3 first, then 2.

    Returns
    -------
    list
        Per path ``None`` or ``(metadata, raw)``, where ``raw`` is the bytes of
        ``zarr.json`` (format 3) or the ``(.zarray, .zgroup, .zattrs)`` bytes
        (format 2, ``None`` for missing ones).

    Raises
    ------
    MetadataError
        If a document exists but is invalid.
    """
    out: list[tuple[NodeMetadata, Any] | None] = [None] * len(paths)
    todo = list(range(len(paths)))
    if zarr_format in (None, 3):
        keys = [join_path(p, ZARR_JSON) for p in paths]
        raws = store.get_many(keys) if keys else []
        todo = []
        for i, raw in enumerate(raws):
            if raw is None:
                todo.append(i)
            else:
                out[i] = (parse_v3_cached(raw, keys[i]), raw)
    if zarr_format in (None, 2) and todo:
        keys = [join_path(paths[i], k) for i in todo for k in (ZARRAY, ZGROUP, ZATTRS)]
        raws = store.get_many(keys)
        for j, i in enumerate(todo):
            docs = tuple(raws[3 * j : 3 * j + 3])
            if docs[0] is not None or docs[1] is not None:
                out[i] = (parse_v2_docs(paths[i], *docs), docs)
    return out


def read_nodes(
    store: Store, paths: Sequence[str], *, zarr_format: int | None = None
) -> list[NodeMetadata | None]:
    """The metadata of the nodes at ``paths``, ``None`` where there is none.

    See :func:`read_node_docs`.
    """
    return [
        None if found is None else found[0]
        for found in read_node_docs(store, paths, zarr_format=zarr_format)
    ]


def read_node(store: Store, path: str, *, zarr_format: int | None = None) -> NodeMetadata | None:
    """The metadata of the node at ``path``, or ``None`` (see :func:`read_node_docs`)."""
    return read_nodes(store, [path], zarr_format=zarr_format)[0]


def node_kinds(store: Store, paths: list[str]) -> list[str | None]:
    """``"array"``, ``"group"`` or ``None`` per path: what exists there, in either format.

    One batched read; only the ``node_type`` of a ``zarr.json`` is looked at.
    """
    names = (ZARR_JSON, ZARRAY, ZGROUP)
    raws = store.get_many([join_path(p, k) for p in paths for k in names])
    out: list[str | None] = []
    for i, path in enumerate(paths):
        v3, zarray, zgroup = raws[3 * i : 3 * i + 3]
        if v3 is not None:
            doc = load_json_object(v3, path=join_path(path, ZARR_JSON))
            kind = doc.get("node_type")
            if kind not in ("array", "group"):
                raise MetadataError(
                    f"expected 'array' or 'group', got {kind!r}",
                    path=join_path(path, ZARR_JSON),
                    field="node_type",
                )
            out.append(kind)
        else:
            out.append("array" if zarray is not None else "group" if zgroup is not None else None)
    return out


def node_kind(store: Store, path: str) -> str | None:
    """What exists at ``path``: see :func:`node_kinds`."""
    return node_kinds(store, [path])[0]


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")[:-1] if path else []
    return ["/".join(parts[:i]) for i in range(len(parts) + 1)] if path else []


def survey(store: Store, path: str, start: str = "") -> tuple[list[str], str | None]:
    """What is at ``path`` and above it, in one batched read.

    Only ancestors below ``start`` (a known group; ``""``: none known) are read.

    Returns
    -------
    tuple
        The missing ancestors of ``path`` (to create as groups) and the kind of
        node at ``path`` (``"array"``, ``"group"`` or ``None``).

    Raises
    ------
    ContainsArrayError
        An ancestor of ``path`` is an array: nothing may live below it.
    """
    todo = [a for a in _ancestors(path) if not start or (a.startswith(start) and a != start)]
    kinds = node_kinds(store, [*todo, path])
    missing = []
    for anc, kind in zip(todo, kinds, strict=False):
        if kind == "array":
            raise ContainsArrayError(
                f"an array exists at {anc!r}, an ancestor of {path!r}; only groups have members"
            )
        if kind is None:
            missing.append(anc)
    return missing, kinds[-1]


# --------------------------------------------------------------------------------------
# listing from the store
# --------------------------------------------------------------------------------------
def _is_safe_name(name: str) -> bool:
    try:
        validate_key(name)
    except InvalidKeyError:
        return False
    return "/" not in name


def _store_children(
    store: Store, path: str, zarr_format: int | None
) -> list[tuple[str, NodeMetadata, Any]]:
    if not store.supports_listing:
        raise ValueError(f"listing group members needs a store that can list; {store!r} can't")
    names = sorted(n for n in set(store.list_dir(path)) if n not in _OWN_DOCS and _is_safe_name(n))
    found = read_node_docs(store, [join_path(path, n) for n in names], zarr_format=zarr_format)
    return [(n, f[0], f[1]) for n, f in zip(names, found, strict=True) if f is not None]


def list_store_children(
    store: Store, path: str, *, zarr_format: int | None = None
) -> list[tuple[str, NodeMetadata]]:
    """The immediate members of the group at ``path``, sorted by name, read from the store.

    Entries of the group's directory that hold no metadata document (stray
    files, foreign directories) are not members and are skipped.

    Raises
    ------
    ValueError
        If the store cannot list.
    """
    return [(n, md) for n, md, _ in _store_children(store, path, zarr_format)]


def walk_store(
    store: Store, path: str, *, zarr_format: int | None = None, max_depth: int | None = 0
) -> Iterator[tuple[str, NodeMetadata, Any]]:
    """Like :func:`iter_store_members`, also yielding each member's raw documents."""
    level: list[tuple[str, str]] = [("", path)]
    depth = 0
    while level:
        deeper: list[tuple[str, str]] = []
        for rel, abs_path in level:
            for name, md, raw in _store_children(store, abs_path, zarr_format):
                key = join_path(rel, name)
                yield key, md, raw
                if is_group_metadata(md) and (max_depth is None or depth < max_depth):
                    deeper.append((key, join_path(abs_path, name)))
        level = deeper
        depth += 1


def iter_store_members(
    store: Store, path: str, *, zarr_format: int | None = None, max_depth: int | None = 0
) -> Iterator[tuple[str, NodeMetadata]]:
    """Members of the group at ``path`` down to ``max_depth`` (``None``: all), breadth first.

    Yields ``(relative_path, metadata)`` pairs, e.g. ``("a", ...)``, ``("a/b", ...)``,
    read from the store (one listing and one batched read per group).
    """
    for key, md, _ in walk_store(store, path, zarr_format=zarr_format, max_depth=max_depth):
        yield key, md
