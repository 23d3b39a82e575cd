"""Top-level group functions with zarr-python 3's names, arguments and modes.

``create_group``, ``open_group`` and ``group``, and the group half of
``zarrc.open`` (:func:`open_array_or_group`).

Modes (as zarr-python): ``"r"`` read-only, must exist; ``"r+"`` read/write, must
exist; ``"a"`` read/write, created if missing; ``"w"`` created, replacing
anything at the path; ``"w-"`` created, failing if a node exists.
"""

from __future__ import annotations

from typing import Any

from zarrc.core.array import Array
from zarrc.core.group import Group, create_group_node
from zarrc.core.nodes import is_group_metadata, normalize_path, read_node
from zarrc.core.tree import TreeRepr
from zarrc.errors import ContainsArrayError, GroupNotFoundError, NodeNotFoundError
from zarrc.storage import Store, make_store

__all__ = [
    "create_group",
    "group",
    "open_array_or_group",
    "open_consolidated",
    "open_group",
    "open_node",
    "tree",
]

_MODES = ("r", "r+", "a", "w", "w-")


def _check_args(mode: str, zarr_format: int | None, storage_options: dict[str, Any] | None) -> None:
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    if zarr_format not in (None, 2, 3):
        raise ValueError(f"zarr_format must be 2, 3 or None, got {zarr_format!r}")


def _store(store: Any, mode: str, storage_options: dict[str, Any] | None = None) -> Store:
    return make_store(store, mode=mode, storage_options=storage_options)


def _format(zarr_format: int | None, zarr_version: int | None) -> int | None:
    if zarr_version is not None:
        if zarr_format is not None and zarr_format != zarr_version:
            raise ValueError("zarr_version and zarr_format differ; give only zarr_format")
        return zarr_version
    return zarr_format


def create_group(
    store: Any,
    *,
    path: str | None = None,
    overwrite: bool = False,
    attributes: dict[str, Any] | None = None,
    zarr_format: int | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Group:
    """Create a group.

    Parameters
    ----------
    store : Store, str, os.PathLike, dict or None
        Where: a Store, a local directory, a dict (kept in memory) or None (a new
        MemoryStore).
    path : str, optional
        The group's path in the store (default: the root).  Missing parent
        groups are created.
    overwrite : bool
        Replace whatever exists at ``path`` (everything below it is deleted).
    attributes : dict, optional
        User attributes.
    zarr_format : {2, 3, None}
        Default 3.
    storage_options : dict, optional
        Options for the fsspec file system of a URL store (``"s3://bucket/x"``).

    Returns
    -------
    Group

    Raises
    ------
    ContainsGroupError, ContainsArrayError
        A node exists at ``path`` and ``overwrite`` is False.
    """
    _check_args("a", zarr_format, storage_options)
    st = _store(store, "a", storage_options)
    p = normalize_path(path)
    md = create_group_node(
        st, p, attributes=attributes, overwrite=overwrite, zarr_format=zarr_format or 3
    )
    return Group(st, p, md)


def open_group(
    store: Any = None,
    *,
    mode: str = "a",
    cache_attrs: bool | None = None,
    synchronizer: Any = None,
    path: str | None = None,
    chunk_store: Any = None,
    storage_options: dict[str, Any] | None = None,
    zarr_version: int | None = None,
    zarr_format: int | None = None,
    meta_array: Any = None,
    attributes: dict[str, Any] | None = None,
    use_consolidated: bool | str | None = None,
) -> Group:
    """Open a group with file-like modes, creating it where the mode says so.

    Parameters
    ----------
    store : Store, str, os.PathLike, dict or None
        Where the group lives (None: a new MemoryStore).
    mode : {"r", "r+", "a", "w", "w-"}
        ``"r"`` read-only, must exist; ``"r+"`` must exist; ``"a"`` created if
        missing; ``"w"`` created, replacing anything at ``path``; ``"w-"``
        created, failing if anything exists.
    path : str, optional
        The group's path in the store (default: the root).
    storage_options : dict, optional
        Options for the fsspec file system of a URL store (``"s3://bucket/x"``).
    zarr_format : {2, 3, None}
        Only open this format; the format of a new group (default 3).
    attributes : dict, optional
        Attributes of a newly created group (ignored when opening).
    use_consolidated : bool or str, optional
        ``None``: use the group's consolidated metadata when present;
        ``True``: it must be present; ``False``: ignore it.  A str names the
        format 2 consolidated document (default ``.zmetadata``).
    cache_attrs, synchronizer, chunk_store, meta_array, zarr_version
        Accepted for compatibility: ``zarr_version`` is ``zarr_format``;
        ``chunk_store`` must be None; the others are ignored.

    Returns
    -------
    Group

    Raises
    ------
    GroupNotFoundError
        Mode ``"r"``/``"r+"`` and no group at ``path``.
    ContainsArrayError
        An array is at ``path``.
    ContainsGroupError
        Mode ``"w-"`` and a group is at ``path``.
    MetadataError
        ``use_consolidated=True`` and the group has no consolidated metadata.
    """
    mode = mode or "a"
    zarr_format = _format(zarr_format, zarr_version)
    _check_args(mode, zarr_format, storage_options)
    if chunk_store is not None:
        raise ValueError("a separate chunk_store is not supported")
    st = _store(store, mode, storage_options)
    p = normalize_path(path)
    if mode in ("r", "r+", "a"):
        md = read_node(st, p, zarr_format=zarr_format)
        if md is not None:
            if not is_group_metadata(md):
                raise ContainsArrayError(f"an array exists at path {p!r} in store {st!r}")
            return Group._from_metadata(st, p, md, use_consolidated=use_consolidated)
        if mode != "a":
            raise GroupNotFoundError(f"no group found at path {p!r} in store {st!r}")
    md = create_group_node(
        st, p, attributes=attributes, overwrite=mode == "w", zarr_format=zarr_format or 3
    )
    return Group(st, p, md)


def group(
    store: Any = None,
    *,
    overwrite: bool = False,
    chunk_store: Any = None,
    cache_attrs: bool | None = None,
    synchronizer: Any = None,
    path: str | None = None,
    zarr_version: int | None = None,
    zarr_format: int | None = None,
    meta_array: Any = None,
    attributes: dict[str, Any] | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Group:
    """Open or create a group: :func:`open_group` with mode ``"w"`` if ``overwrite`` else ``"a"``.

    Returns
    -------
    Group
    """
    return open_group(
        store,
        mode="w" if overwrite else "a",
        chunk_store=chunk_store,
        path=path,
        zarr_version=zarr_version,
        zarr_format=zarr_format,
        attributes=attributes,
        storage_options=storage_options,
    )


def open_array_or_group(
    store: Any = None,
    *,
    mode: str | None = None,
    path: str | None = None,
    zarr_format: int | None = None,
    storage_options: dict[str, Any] | None = None,
    use_consolidated: bool | str | None = None,
    config: dict[str, Any] | None = None,
    attributes: dict[str, Any] | None = None,
) -> Array | Group:
    """``zarrc.open`` without ``shape``: the array or group at ``path``.

    Modes ``"r"``, ``"r+"`` and ``"a"`` open whichever node exists; where none
    does, ``"a"`` creates a group (as zarr-python) and the others raise.  Modes
    ``"w"`` and ``"w-"`` create a group (an array needs a shape).

    Raises
    ------
    NodeNotFoundError
        Mode ``"r"``/``"r+"`` and nothing at ``path``.
    """
    if mode is None:
        mode = "r" if isinstance(store, Store) and store.read_only else "a"
    _check_args(mode, zarr_format, storage_options)
    st = _store(store, mode, storage_options)
    p = normalize_path(path)
    if mode in ("r", "r+", "a"):
        md = read_node(st, p, zarr_format=zarr_format)
        if md is not None:
            if is_group_metadata(md):
                return Group._from_metadata(st, p, md, use_consolidated=use_consolidated)
            return Array(st, p, md, config=config)
        if mode != "a":
            raise NodeNotFoundError(f"no array or group found at path {p!r} in store {st!r}")
    return open_group(st, mode=mode, path=p, zarr_format=zarr_format, attributes=attributes)


def tree(grp: Group, expand: bool | None = None, level: int | None = None) -> TreeRepr:
    """A printable tree of the hierarchy below ``grp``: ``grp.tree(expand, level)``."""
    return grp.tree(expand=expand, level=level)


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
        Anything :func:`zarrc.storage.make_store` accepts.
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
    mode = mode or ("r" if getattr(store, "read_only", False) else "a")
    st = make_store(store, mode=mode, storage_options=storage_options)
    p = normalize_path(path)
    md = read_node(st, p, zarr_format=zarr_format)
    if md is None:
        raise NodeNotFoundError(f"no array or group found at path {p!r} in store {st!r}")
    if is_group_metadata(md):
        return Group._from_metadata(st, p, md, use_consolidated=use_consolidated)
    return Array(st, p, md, config=config)


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
    return open_group(store, mode=mode, path=path, use_consolidated=use_consolidated, **kwargs)
