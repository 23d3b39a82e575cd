"""Migrating a Zarr format 2 hierarchy to format 3 in place.

Only metadata changes: every array gets a ``zarr.json`` whose codec chain is
the equivalent of its ``.zarray`` compressor, filters, byte order and memory
order, and whose chunk key encoding is ``v2`` with the array's separator, so
the existing chunk files are read as they are.  Groups get a group
``zarr.json``.  Nothing is deleted unless asked for.
"""

from __future__ import annotations

from typing import Any

from zarrc.codecs.v2_chain import v2_to_codecs
from zarrc.core.nodes import join_path, read_node, walk_store
from zarrc.errors import MetadataError, NodeNotFoundError
from zarrc.metadata.chunk_key_encoding import ChunkKeyEncoding
from zarrc.metadata.v2 import ArrayMetadataV2
from zarrc.metadata.v3 import ArrayMetadataV3, GroupMetadataV3
from zarrc.storage import make_store

__all__ = ["migrate_to_v3", "v3_metadata_of"]

_V2_DOCS = (".zarray", ".zattrs", ".zgroup", ".zmetadata")


def v3_metadata_of(md: Any, *, path: str | None = None) -> ArrayMetadataV3 | GroupMetadataV3:
    """The format 3 metadata equivalent to format 2 array or group metadata."""
    if not isinstance(md, ArrayMetadataV2):
        if getattr(md, "zarr_format", None) != 2:
            raise MetadataError("not format 2 metadata", path=path)
        return GroupMetadataV3(attributes=dict(md.attributes))
    codecs = v2_to_codecs(md, path=path)
    return ArrayMetadataV3(
        shape=md.shape,
        data_type=md.data_type,
        chunk_shape=md.chunk_shape,
        chunk_key_encoding=ChunkKeyEncoding("v2", md.dimension_separator),
        fill_value=md.fill_value_or_default,
        codecs=tuple(c.to_dict() for c in codecs),
        attributes=dict(md.attributes),
    )


def migrate_to_v3(
    store: Any,
    path: str = "",
    *,
    remove_v2_metadata: bool = False,
    dry_run: bool = False,
    storage_options: dict[str, Any] | None = None,
) -> list[str]:
    """Write format 3 metadata for the format 2 node at ``path`` and everything below it.

    Parameters
    ----------
    store : Store, str, os.PathLike or dict
        The store (anything :func:`zarrc.open` accepts).
    path : str
        The node to start from ("" for the root).
    remove_v2_metadata : bool
        Delete the ``.zarray``/``.zattrs``/``.zgroup``/``.zmetadata`` documents
        afterwards (the format 3 documents are all written first).
    dry_run : bool
        Only report what would be migrated.

    Returns
    -------
    list of str
        The paths of the migrated nodes.
    """
    st = make_store(store, mode="r" if dry_run else "a", storage_options=storage_options)
    root = path.strip("/")
    md = read_node(st, root, zarr_format=2)
    if md is None:
        raise NodeNotFoundError(f"no format 2 array or group at path {root!r} in store {st!r}")
    nodes = [(root, md)]
    if not isinstance(md, ArrayMetadataV2):
        nodes += [
            (join_path(root, rel), child)
            for rel, child, _raw in walk_store(st, root, zarr_format=2, max_depth=None)
        ]
    # convert everything before writing anything: a bad node stops the migration whole
    docs = [
        (
            p,
            v3_metadata_of(
                m, path=join_path(p, ".zarray" if isinstance(m, ArrayMetadataV2) else ".zgroup")
            ),
        )
        for p, m in nodes
    ]
    if dry_run:
        return [p for p, _ in docs]
    st.set_many([(join_path(p, "zarr.json"), m.to_json()) for p, m in docs])
    if remove_v2_metadata:
        st.delete_many([join_path(p, name) for p, _ in docs for name in _V2_DOCS])
    return [p for p, _ in docs]
