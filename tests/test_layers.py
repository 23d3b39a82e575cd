"""The package's layers: imports point down only, and no import hides in a function.

Each subpackage of ``zarrc`` has a rank (DESIGN.md, "Layers"); a module may
import modules of its own package or of a lower rank, never a higher one.  A
``zarrc`` import inside a function (outside ``if TYPE_CHECKING:``) is how a
cycle gets dodged, so there are none.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "zarrc"

# Lower rank = lower layer.  Peers share a rank only where neither imports the other.
RANKS = {
    "errors": 0,
    "config": 0,
    "_ext": 1,
    "storage": 2,
    "dtypes": 2,
    "metadata": 3,
    "codecs": 4,
    "pipeline": 5,
    "gpu": 6,
    "core": 7,
    "hierarchy": 8,
    "api": 9,
    "testing": 10,
    "integrations": 10,
    "cli": 11,
    "": 12,  # zarrc/__init__.py and top-level re-exports
    "__main__": 12,
}


def _layer(module: str) -> str:
    """``zarrc.core.array`` -> ``core``; ``zarrc`` itself -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        out.append((".".join(parts), path))
    return out


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                inside.update(id(n) for n in ast.walk(child))
    return inside


def _imports(tree: ast.AST, module: str) -> list[tuple[ast.stmt, str]]:
    """Every (statement, imported zarrc module) in a module's source."""
    found: list[tuple[ast.stmt, str]] = []
    package = module if module.count(".") == 0 else module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node, a.name) for a in node.names if a.name.split(".")[0] == "zarrc")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "zarrc":
                continue
            if target == "zarrc":
                # "from zarrc import codecs": each name is a subpackage
                found.extend((node, f"zarrc.{a.name}") for a in node.names)
            else:
                found.append((node, target))
    return found


MODULES = _modules()


def test_every_layer_has_a_rank() -> None:
    layers = {_layer(m) for m, _ in MODULES}
    layers |= {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert layers <= set(RANKS), sorted(layers - set(RANKS))


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_imports_point_down(module: str, path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    skip = _type_checking_blocks(tree)
    own = _layer(module)
    upward = []
    for node, target in _imports(tree, module):
        if id(node) in skip:
            continue
        layer = _layer(target)
        if layer != own and RANKS[layer] > RANKS[own]:
            upward.append(f"line {node.lineno}: {target} ({layer}) from {own or 'zarrc'}")
    assert not upward, upward


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_no_function_level_imports(module: str, path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    skip = _type_checking_blocks(tree)
    nested = []
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node, target in _imports(func, module):
            if id(node) not in skip:
                nested.append(f"line {node.lineno}: {target} in {func.name}()")
    assert not sorted(set(nested)), sorted(set(nested))


def test_the_check_sees_an_upward_import() -> None:
    """The checker itself: an upward and a nested import are both found."""
    src = "from zarrc.api import open_group\ndef f():\n    from zarrc.core import array\n"
    tree = ast.parse(src)
    targets = [t for _, t in _imports(tree, "zarrc.storage._local")]
    assert targets == ["zarrc.api", "zarrc.core"]
    assert RANKS[_layer("zarrc.api")] > RANKS[_layer("zarrc.storage._local")]
