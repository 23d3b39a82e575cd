"""The ``zarrc`` command line: info, tree, check, copy, migrate, consolidate.

Run ``zarrc --help`` (or ``python -m zarrc --help``).  Exit status: 0 success,
1 ``check`` found corrupt data, 2 bad arguments or a failed operation (the typed
error is printed), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from zarrc.cli.commands import (
    run_check,
    run_consolidate,
    run_copy,
    run_info,
    run_migrate,
    run_tree,
)
from zarrc.errors import ZarrcError
from zarrc.hierarchy.copy import DEFAULT_MAX_MEMORY

__all__ = ["build_parser", "main"]


def _target(sub: argparse.ArgumentParser, name: str = "target") -> None:
    sub.add_argument(name, help="a local directory, a .zip archive, or a URL (s3://bucket/x.zarr)")
    sub.add_argument("--path", default="", help="the node inside the store (default: its root)")
    sub.add_argument(
        "--storage-option",
        "-o",
        action="append",
        metavar="KEY=VALUE",
        help="an fsspec storage option for URLs (repeatable; JSON values are parsed)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``zarrc`` command."""
    parser = argparse.ArgumentParser(
        prog="zarrc", description="Inspect, check and copy Zarr (v2 and v3) hierarchies."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    info = commands.add_parser("info", help="summary of an array or group")
    _target(info)
    info.add_argument("--json", action="store_true", help="machine-readable output")
    info.set_defaults(run=run_info)

    tree = commands.add_parser("tree", help="the hierarchy below a group")
    _target(tree)
    tree.add_argument("--depth", type=int, default=None, help="levels below the immediate members")
    tree.set_defaults(run=run_tree)

    chk = commands.add_parser("check", help="validate metadata (and with --deep, every chunk)")
    _target(chk)
    chk.add_argument("--deep", action="store_true", help="decode every chunk and shard")
    chk.add_argument("--json", action="store_true", help="machine-readable report")
    chk.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    chk.set_defaults(run=run_check)

    cp = commands.add_parser("copy", help="copy a hierarchy or array, re-chunking and re-encoding")
    _target(cp, "source")
    cp.add_argument("destination", help="where to copy to (local, .zip, or URL)")
    cp.add_argument("--dst-path", default="", help="the node path inside the destination")
    cp.add_argument("--chunks", help="chunk shape: 64 or 64,64,32 (default: the source's)")
    cp.add_argument("--shards", help="shard shape, or 'none' to remove sharding")
    cp.add_argument(
        "--compressors",
        help="none, zstd[:LEVEL], gzip[:LEVEL], blosc[:CNAME[:CLEVEL[:SHUFFLE]]], "
        "comma-separated, or a JSON list of codecs (default: the source's)",
    )
    cp.add_argument("--zarr-format", type=int, choices=(2, 3), help="convert to this format")
    cp.add_argument("--threads", type=int, help="engine threads (default: all CPUs)")
    cp.add_argument("--resume", action="store_true", help="continue an interrupted copy")
    cp.add_argument("--overwrite", action="store_true", help="replace the destination")
    cp.add_argument(
        "--max-memory",
        default=f"{DEFAULT_MAX_MEMORY >> 20}M",
        help="memory for data in flight, e.g. 256M (default %(default)s)",
    )
    cp.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")
    cp.set_defaults(run=run_copy)

    mig = commands.add_parser("migrate", help="add format 3 metadata to a format 2 hierarchy")
    mig.add_argument("version", choices=("v3",), help="the target format")
    _target(mig)
    mig.add_argument("--dry-run", action="store_true", help="only list what would change")
    mig.add_argument(
        "--remove-v2-metadata", action="store_true", help="delete the format 2 documents"
    )
    mig.set_defaults(run=run_migrate)

    con = commands.add_parser("consolidate", help="write consolidated metadata at a group")
    _target(con)
    con.set_defaults(run=run_consolidate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        hint = " (rerun with --resume to continue)" if args.command == "copy" else ""
        print(f"\nzarrc: interrupted{hint}", file=sys.stderr)
        return 130
    except (ZarrcError, OSError, ValueError, TypeError) as exc:
        print(f"zarrc: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
