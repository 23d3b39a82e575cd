"""Finding nodes in a hierarchy: metadata documents, member listing, ``open_node``, ``tree()``.

A node is an array or a group.  In Zarr format 3 its metadata document is
``<path>/zarr.json``; in format 2 it is ``<path>/.zarray`` or ``<path>/.zgroup``,
with the attributes in ``<path>/.zattrs``.  Everything here reads documents in
batches (one ``get_many`` per group listed, or per path surveyed before a
node is created) and never writes.

Member listing comes either from the store (``list_dir`` of the group, then the
children's metadata documents) or from a consolidated snapshot
(:mod:`zarrc.hierarchy.consolidated`), which needs no store access at all.
"""

from __future__ import annotations

import html
import io
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from zarrc.errors import ContainsArrayError, InvalidKeyError, MetadataError, NodeNotFoundError
from zarrc.metadata.v3 import load_json_object
from zarrc.storage import Store, validate_key

if TYPE_CHECKING:
    from zarrc.core.array import Array
    from zarrc.core.group import Group

__all__ = [
    "V2_KEYS",
    "ZARR_JSON",
    "NodeMetadata",
    "TreeRepr",
    "is_group_metadata",
    "iter_store_members",
    "join_path",
    "list_store_children",
    "member_path",
    "node_kind",
    "node_kinds",
    "normalize_path",
    "open_node",
    "read_node",
    "read_node_docs",
    "read_nodes",
    "render_tree",
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


def _v2():  # noqa: ANN202 - the module, when it exists
    try:
        from zarrc.metadata import v2  # type: ignore[attr-defined]
    except ImportError:
        return None
    return v2


def _parse_v3(raw: bytes, key: str) -> NodeMetadata:
    from zarrc.api.creation import _parse_cached

    return _parse_cached(raw, key)


def _parse_v2(
    path: str, zarray: bytes | None, zgroup: bytes | None, zattrs: bytes | None
) -> NodeMetadata:
    """Metadata of a format 2 node from its documents (at least one of ``.zarray``/``.zgroup``)."""
    mod = _v2()
    doc = join_path(path, ZARRAY if zarray is not None else ZGROUP)
    if mod is None:
        raise MetadataError("Zarr format 2 nodes are not supported yet", path=doc)
    if zarray is not None:
        return mod.parse_array_metadata_v2(zarray, attributes=zattrs, path=doc)
    return mod.parse_group_metadata_v2(zgroup, attributes=zattrs, path=doc)


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
                out[i] = (_parse_v3(raw, keys[i]), raw)
    if zarr_format in (None, 2) and todo:
        keys = [join_path(paths[i], k) for i in todo for k in (ZARRAY, ZGROUP, ZATTRS)]
        raws = store.get_many(keys)
        for j, i in enumerate(todo):
            docs = tuple(raws[3 * j : 3 * j + 3])
            if docs[0] is not None or docs[1] is not None:
                out[i] = (_parse_v2(paths[i], *docs), docs)
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


# --------------------------------------------------------------------------------------
# opening
# --------------------------------------------------------------------------------------
def open_node(
    store: Any,
    path: str | None = "",
    *,
    mode: str | None = None,
    use_consolidated: bool | None = None,
    zarr_format: int | None = None,
    config: dict[str, Any] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Array | Group:
    """Open the array or group at ``path``, whichever exists.

    Parameters
    ----------
    store : Store, str, os.PathLike, dict or None
        Anything :func:`zarrc.api.creation.make_store` accepts.
    path : str, optional
        The node's path in the store (``""``: the root).
    mode : {"r", "r+", "a", "w", "w-"}, optional
        Only decides whether the node is read-only (``"r"``); nothing is created.
        Default: read-only if the store is.
    use_consolidated : bool, optional
        For a group: use its consolidated metadata (``True``: it must have
        some; ``None``: when present; ``False``: never).
    zarr_format : {2, 3, None}
        Only look for this format.
    config : dict, optional
        Array runtime configuration (``order``, ``write_empty_chunks``).
    storage_options : dict, optional
        For stores given as URLs.

    Returns
    -------
    Array or Group

    Raises
    ------
    NodeNotFoundError
        Nothing exists at ``path``.
    """
    from zarrc.api.creation import make_store
    from zarrc.core.group import Group

    mode = mode or ("r" if getattr(store, "read_only", False) else "a")
    st = make_store(store, mode=mode, storage_options=storage_options)
    p = normalize_path(path)
    md = read_node(st, p, zarr_format=zarr_format)
    if md is None:
        raise NodeNotFoundError(f"no array or group found at path {p!r} in store {st!r}")
    if is_group_metadata(md):
        return Group._from_metadata(st, p, md, use_consolidated=use_consolidated)
    return make_array(st, p, md, config=config)


def make_array(
    store: Store,
    path: str,
    md: NodeMetadata,
    *,
    read_only: bool | None = None,
    config: dict[str, Any] | None = None,
) -> Array:
    """An :class:`~zarrc.core.array.Array` over already parsed metadata."""
    from zarrc.core.array import Array

    return Array(store, path, md, read_only=read_only, config=config)


# --------------------------------------------------------------------------------------
# tree()
# --------------------------------------------------------------------------------------
def _rich() -> Any:
    try:
        import rich.console
        import rich.tree
    except ImportError:
        return None
    return rich


class TreeRepr:
    """A printable tree of a hierarchy, as returned by ``Group.tree()``.

    ``repr``/``str`` give the plain text tree (box-drawing characters); with
    ``rich`` importable it also renders as a ``rich`` tree in rich consoles and
    coloured in terminals, and in Jupyter as HTML.
    """

    def __init__(
        self,
        root: str,
        rows: list[tuple[int, str, str, bool, bool]],
        truncated: int | None,
        plain: bool,
    ) -> None:
        self._root = root
        # (depth, name, description, is_group, is_last_sibling) in display order
        self._rows = rows
        self._truncated = truncated
        self._plain = plain

    def _note(self) -> str:
        if self._truncated is None:
            return ""
        return (
            f"Truncated at max_nodes={self._truncated}, some nodes and their children may be "
            "missing\n"
        )

    def _lines(self, bold: tuple[str, str], esc: Any = str) -> list[str]:
        on, off = bold
        lines = [f"{on}{esc(self._root)}{off}"]
        prefix: list[str] = []
        for depth, name, desc, _, last in self._rows:
            del prefix[depth:]
            text = f"{on}{esc(name)}{off}" + (f" {esc(desc)}" if desc else "")
            lines.append("".join(prefix) + ("└── " if last else "├── ") + text)
            prefix.append("    " if last else "│   ")
        return lines

    def text(self) -> str:
        """The plain text tree, one node per line."""
        return self._note() + "\n".join(self._lines(("", ""))) + "\n"

    def __str__(self) -> str:
        if not self._plain and sys.stdout.isatty():
            rich = _rich()
            if rich is not None:
                buf = io.StringIO()
                console = rich.console.Console(file=buf, force_terminal=True, width=10_000)
                console.print(self.__rich__())
                return self._note() + buf.getvalue()
            return self._note() + "\n".join(self._lines(("\x1b[1m", "\x1b[0m"))) + "\n"
        return self.text()

    __repr__ = __str__

    def __rich__(self) -> Any:
        rich = _rich()
        if rich is None:
            return self.text()
        tree = rich.tree.Tree(f"[bold]{rich.markup.escape(self._root)}[/bold]")
        stack = [tree]
        for depth, name, desc, is_group, _ in self._rows:
            del stack[depth + 1 :]
            label = rich.markup.escape(name)
            label = f"[bold blue]{label}[/]" if is_group else f"[bold]{label}[/]"
            if desc:
                label += f" [dim]{rich.markup.escape(desc)}[/]"
            stack.append(stack[-1].add(label))
        return tree

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict:
        body = html.escape(self._note()) + "\n".join(self._lines(("<b>", "</b>"), html.escape))
        style = (
            "white-space:pre;overflow-x:auto;line-height:normal;"
            "font-family:Menlo,'DejaVu Sans Mono',consolas,'Courier New',monospace"
        )
        return {"text/plain": self.text(), "text/html": f'<pre style="{style}">{body}\n</pre>\n'}


def render_tree(
    root_name: str,
    members: Iterable[tuple[str, NodeMetadata]],
    *,
    max_nodes: int = 500,
    plain: bool = False,
) -> TreeRepr:
    """Build a :class:`TreeRepr` from ``(relative_path, metadata)`` pairs (any order).

    At most ``max_nodes`` members are shown; the rest are dropped with a note.
    """
    taken: list[tuple[str, NodeMetadata]] = []
    truncated = None
    for item in members:
        if len(taken) == max_nodes:
            truncated = max_nodes
            break
        taken.append(item)
    by_parent: dict[str, list[tuple[str, NodeMetadata]]] = {}
    for key, md in sorted(taken, key=lambda kv: kv[0]):
        parent = key.rpartition("/")[0]
        by_parent.setdefault(parent, []).append((key, md))
    rows: list[tuple[int, str, str, bool, bool]] = []
    # iterative depth-first walk: deep hierarchies must not hit the recursion limit
    stack: list[tuple[int, str, NodeMetadata, bool]] = []

    def push(depth: int, children: list[tuple[str, NodeMetadata]]) -> None:
        n = len(children)
        stack.extend((depth, k, m, i == n - 1) for i, (k, m) in reversed(list(enumerate(children))))

    push(0, by_parent.get("", []))
    while stack:
        depth, key, md, last = stack.pop()
        group = is_group_metadata(md)
        desc = "" if group else f"{tuple(md.shape)} {md.dtype}"
        rows.append((depth, key.rpartition("/")[2], desc, group, last))
        push(depth + 1, by_parent.get(key, []))
    return TreeRepr(root_name, rows, truncated, plain)
