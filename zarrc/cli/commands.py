"""The CLI's commands: each takes parsed arguments and returns an exit status."""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from zarrc.cli.options import (
    parse_codecs_option,
    parse_shape,
    parse_size,
    parse_storage_options,
    resolve_target,
)
from zarrc.cli.progress import ProgressBar
from zarrc.config import config
from zarrc.core.array import Array
from zarrc.core.array_ops import stored_chunk_coords
from zarrc.core.group import Group
from zarrc.core.nodes import is_group_metadata, iter_store_members, read_node
from zarrc.errors import NodeNotFoundError
from zarrc.hierarchy.check import check
from zarrc.hierarchy.consolidated import consolidate_metadata
from zarrc.hierarchy.copy import copy_hierarchy
from zarrc.hierarchy.migrate import migrate_to_v3
from zarrc.storage import Store

__all__ = ["run_check", "run_consolidate", "run_copy", "run_info", "run_migrate", "run_tree"]


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _open(args: argparse.Namespace, mode: str = "r") -> tuple[Store, str, Any]:
    store, path = resolve_target(
        args.target,
        args.path,
        mode=mode,
        storage_options=parse_storage_options(args.storage_option),
    )
    md = read_node(store, path)
    if md is None:
        raise NodeNotFoundError(f"no array or group at {path or '/'!r} in {store}")
    return store, path, md


def _array_info(arr: Array) -> dict[str, Any]:
    md = arr.metadata
    doc = md.to_dict()
    stored_bytes = arr.nbytes_stored()
    objects = sum(1 for _ in stored_chunk_coords(arr))
    grid = md.chunk_grid_shape if arr.ndim else ()
    unit = "shards" if arr.shards else "chunks"
    codecs = (
        doc.get("codecs")
        if md.zarr_format == 3
        else {
            "filters": doc.get("filters"),
            "compressor": doc.get("compressor"),
        }
    )
    return {
        "node": "array",
        "path": arr.path,
        "zarr_format": md.zarr_format,
        "shape": list(arr.shape),
        "dtype": str(doc.get("data_type", doc.get("dtype"))),
        "chunks": list(arr.chunks),
        "shards": list(arr.shards) if arr.shards else None,
        "codecs": codecs,
        "fill_value": doc.get("fill_value"),
        "dimension_names": doc.get("dimension_names"),
        "nbytes": arr.nbytes,
        "nbytes_stored": stored_bytes,
        "compression_ratio": arr.nbytes / stored_bytes if stored_bytes else None,
        f"{unit}_stored": objects,
        f"{unit}_total": math.prod(grid) if grid else 1,
        "attributes": len(doc.get("attributes", {}) or {}),
    }


def _group_info(store: Store, path: str, md: Any) -> dict[str, Any]:
    arrays = groups = 0
    nbytes = 0
    for _, member in iter_store_members(store, path, max_depth=None):
        if is_group_metadata(member):
            groups += 1
        else:
            arrays += 1
            nbytes += math.prod(member.shape) * member.dtype.itemsize
    base = path + "/" if path else ""
    stored = sum(store.getsize(k) for k in store.list_prefix(base))
    return {
        "node": "group",
        "path": path,
        "zarr_format": md.zarr_format,
        "arrays": arrays,
        "groups": groups,
        "nbytes": nbytes,
        "nbytes_stored": stored,
        "compression_ratio": nbytes / stored if stored else None,
        "consolidated": getattr(md, "consolidated_metadata", None) is not None,
        "attributes": len(getattr(md, "attributes", {}) or {}),
    }


def _print_info(info: dict[str, Any]) -> None:
    rows: list[tuple[str, Any]] = []
    for key, value in info.items():
        if key.endswith("_total"):
            continue
        if key.endswith("_stored") and key != "nbytes_stored":
            value = f"{value} of {info[key[: -len('stored')] + 'total']}"
        elif key == "path":
            value = value or "/"
        elif key in ("nbytes", "nbytes_stored") and value is not None:
            value = f"{value} ({_human(value)})"
        elif key == "compression_ratio" and value is not None:
            value = f"{value:.2f}"
        elif key == "codecs":
            value = json.dumps(value)
        elif isinstance(value, list):
            value = "(" + ", ".join(str(v) for v in value) + ")"
        rows.append((key.replace("_", " ").capitalize(), value))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}} : {value}")


def run_info(args: argparse.Namespace) -> int:
    """``zarrc info``: a summary of an array or group."""
    store, path, md = _open(args)
    if is_group_metadata(md):
        info = _group_info(store, path, md)
    else:
        info = _array_info(Array(store, path, md, read_only=True))
    if args.json:
        print(json.dumps(info, indent=2, default=str))
    else:
        _print_info(info)
    return 0


def run_tree(args: argparse.Namespace) -> int:
    """``zarrc tree``: the hierarchy below a group."""
    store, path, md = _open(args)
    if not is_group_metadata(md):
        print(f"{path or '/'} {tuple(md.shape)} {md.dtype}")
        return 0
    group = Group._from_metadata(store, path, md, read_only=True)
    print(group.tree(level=args.depth, plain=not sys.stdout.isatty()).text(), end="")
    return 0


def run_check(args: argparse.Namespace) -> int:
    """``zarrc check``: validate documents (and with ``--deep`` every chunk); 1 if corrupt."""
    store, path, _ = _open(args)
    with ProgressBar("checking", enabled=args.deep and not args.quiet) as bar:
        report = check(store, path, deep=args.deep, progress=bar)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        for p in report.problems:
            print(f"{p.key}: {p.error}: {p.message}")
        what = f"{report.documents} documents"
        if args.deep:
            what += f", {report.chunks} stored chunks/shards"
        status = "OK" if report.ok else f"{len(report.problems)} problem(s)"
        print(f"checked {what} in {report.arrays} arrays, {report.groups} groups: {status}")
    return 0 if report.ok else 1


def run_copy(args: argparse.Namespace) -> int:
    """``zarrc copy``: copy a hierarchy or array, re-chunked and re-encoded as asked."""
    options = parse_storage_options(args.storage_option)
    src, src_path = resolve_target(args.source, args.path, mode="r", storage_options=options)
    mode = "a" if args.resume else ("w" if args.overwrite else "w-")
    dst, dst_path = resolve_target(
        args.destination, args.dst_path, mode=mode, storage_options=options
    )
    settings: dict[str, Any] = {}
    if args.threads:
        settings["threads"] = args.threads
    try:
        with config.set(settings), ProgressBar("copying", enabled=not args.quiet) as bar:
            report = copy_hierarchy(
                src,
                src_path,
                dst,
                dst_path,
                chunks=parse_shape(args.chunks),
                shards=parse_shape(args.shards, allow_none=True),
                compressors=parse_codecs_option(args.compressors),
                zarr_format=args.zarr_format,
                resume=args.resume,
                overwrite=args.overwrite,
                max_memory=parse_size(args.max_memory),
                progress=bar,
            )
    finally:
        close = getattr(dst, "close", None)
        if callable(close):
            close()
    if not args.quiet:
        print(
            f"copied {report.arrays} arrays, {report.groups} groups: "
            f"{report.objects_written} objects written, {report.objects_skipped} already there"
        )
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    """``zarrc migrate v3``: add format 3 metadata to a format 2 hierarchy."""
    store, path = resolve_target(
        args.target,
        args.path,
        mode="r" if args.dry_run else "a",
        storage_options=parse_storage_options(args.storage_option),
    )
    written = migrate_to_v3(
        store, path, remove_v2_metadata=args.remove_v2_metadata, dry_run=args.dry_run
    )
    verb = "would migrate" if args.dry_run else "migrated"
    for node in written:
        print(f"{verb} {node or '/'}")
    return 0


def run_consolidate(args: argparse.Namespace) -> int:
    """``zarrc consolidate``: write consolidated metadata at a group."""
    store, path = resolve_target(
        args.target,
        args.path,
        mode="a",
        storage_options=parse_storage_options(args.storage_option),
    )
    group = consolidate_metadata(store, path)
    print(f"consolidated {group.nmembers(max_depth=None)} members at {path or '/'}")
    return 0
