"""``Group.tree()``: a printable tree of a hierarchy (plain text, rich, HTML)."""

from __future__ import annotations

import html
import io
import sys
from collections.abc import Iterable
from typing import Any

from zarrc.core.nodes import NodeMetadata, is_group_metadata

__all__ = ["TreeRepr", "render_tree"]


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
