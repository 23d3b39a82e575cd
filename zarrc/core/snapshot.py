"""The consolidated metadata of a group, as an in-memory view of its hierarchy.

Groups opened with consolidated metadata answer membership and metadata
questions from a :class:`Snapshot` alone; the first change made through such a
group drops it (see :mod:`zarrc.hierarchy.consolidated` for the layouts and the
staleness rules).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from zarrc.core.nodes import (
    ZARR_JSON,
    ZMETADATA,
    NodeMetadata,
    join_path,
    parse_v2_docs,
)
from zarrc.errors import InvalidKeyError, MetadataError
from zarrc.metadata.v3 import GroupMetadataV3, load_json_object, parse_metadata_v3
from zarrc.storage import Store, validate_key

__all__ = ["FIELD", "Snapshot", "empty_inline", "entry_order"]

FIELD = "consolidated_metadata"


def empty_inline() -> dict[str, Any]:
    return {"kind": "inline", "must_understand": False, "metadata": {}}


def entry_order(key: str) -> tuple[int, str]:
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
            raise MetadataError(f"expected an object, got {raw!r}", path=doc, field=FIELD)
        if raw.get("kind") != "inline":
            raise MetadataError(
                f"unsupported consolidated metadata kind {raw.get('kind')!r}; only 'inline'",
                path=doc,
                field=FIELD,
            )
        metadata = raw.get("metadata")
        if not isinstance(metadata, Mapping):
            raise MetadataError(
                f"'metadata' must be an object, got {type(metadata).__name__}",
                path=doc,
                field=FIELD,
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
            body = {k: v for k, v in value[kind].items() if k != FIELD}
            return parse_v2_docs(
                join_path(self.root, key),
                _dumps(body) if kind == ".zarray" else None,
                _dumps(body) if kind == ".zgroup" else None,
                _dumps(value[".zattrs"]) if ".zattrs" in value else None,
            )
        if value.get("zarr_format") == 2:
            attrs = value.get("attributes")
            body = {k: v for k, v in value.items() if k not in ("attributes", FIELD)}
            is_array = "shape" in value
            return parse_v2_docs(
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
        if data.get(FIELD) is None:
            return
        md = parse_metadata_v3(data, path=key)
        store.set(key, replace(md, consolidated_metadata=None).to_json())


def _dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def _entry_error(key: str, problem: str, doc: str) -> MetadataError:
    return MetadataError(f"consolidated metadata entry {key!r} {problem}", path=doc, field=FIELD)


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
            field=FIELD,
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
        nested = value.get(FIELD)
        if isinstance(nested, Mapping) and isinstance(nested.get("metadata"), Mapping):
            _flatten(nested["metadata"], full, out, doc)


def _check_parents(entries: Mapping[str, tuple[str, Any]], doc: str) -> None:
    for key in entries:
        parent = key.rpartition("/")[0]
        if parent and (parent not in entries or entries[parent][0] != "group"):
            what = "an array" if parent in entries else "missing"
            raise _entry_error(key, f"has a parent {parent!r} that is {what}", doc)
