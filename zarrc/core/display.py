"""How arrays and groups show themselves in Jupyter (``_repr_html_``): no store I/O
for arrays, one bounded listing for groups."""

from __future__ import annotations

import html
import math
from typing import Any

__all__ = ["array_html", "group_html"]

_STYLE = (
    "border-collapse:collapse;font-family:monospace;font-size:12px;text-align:left;margin:0.2em 0"
)


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _table(title: str, rows: list[tuple[str, Any]]) -> str:
    body = "".join(
        f'<tr><th style="padding:1px 8px 1px 0">{html.escape(k)}</th>'
        f'<td style="padding:1px 0">{html.escape(str(v))}</td></tr>'
        for k, v in rows
    )
    return (
        f'<div><b style="font-family:monospace">{html.escape(title)}</b>'
        f'<table style="{_STYLE}">{body}</table></div>'
    )


def _codec_names(codecs: Any) -> str:
    names = [getattr(c, "codec_name", type(c).__name__) for c in codecs]
    return " → ".join(names) if names else "none"


def array_html(arr: Any) -> str:
    """An HTML table of an array's layout (shape, dtype, chunks, shards, codecs, size)."""
    rows: list[tuple[str, Any]] = [
        ("Shape", arr.shape),
        ("Data type", arr.dtype),
        ("Chunks", arr.chunks),
    ]
    if arr.shards:
        rows.append(("Shards", arr.shards))
    codecs = [*arr.filters, arr.serializer, *arr.compressors]
    rows += [
        ("Codecs", _codec_names(codecs)),
        ("Fill value", arr.fill_value),
        ("Size", f"{_human(arr.nbytes)} in {math.prod(arr.cdata_shape or (1,))} chunks"),
        ("Zarr format", arr.metadata.zarr_format),
        ("Store", arr.store),
    ]
    name = "/" + arr.path if arr.path else "/"
    return _table(f"zarrc.Array {name}", rows)


def group_html(group: Any, *, max_members: int = 50) -> str:
    """An HTML summary of a group with the first ``max_members`` of its tree."""
    tree = group.tree(max_nodes=max_members, plain=True)
    body = html.escape(tree.text())
    rows: list[tuple[str, Any]] = [
        ("Zarr format", group.zarr_format),
        ("Store", group.store),
        ("Attributes", len(group.attrs)),
    ]
    name = "/" + group.path if group.path else "/"
    return _table(f"zarrc.Group {name}", rows) + f'<pre style="margin:0">{body}</pre>'
