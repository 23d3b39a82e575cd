"""Packaging facts users rely on: the version, and the hint given when zarrc is
imported from a source tree that has no compiled engine."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import zarrc

# an editable install finds zarrc from anywhere through a meta path finder
DROP_EDITABLE_FINDERS = (
    "import sys; sys.meta_path[:] = "
    "[f for f in sys.meta_path if 'mesonpy' not in type(f).__name__.lower()]; "
)


def test_version_is_the_installed_distributions() -> None:
    try:
        installed = importlib.metadata.version("zarrc")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("zarrc is imported from a directory, not an installed distribution")
    assert zarrc.__version__ == installed
    assert zarrc.__version__[0].isdigit()


def test_source_tree_without_engine_says_how_to_install(tmp_path: Path) -> None:
    package = Path(zarrc.__file__).resolve().parent
    shutil.copytree(
        package,
        tmp_path / "zarrc",
        ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"),
    )
    (tmp_path / "meson.build").write_text("project('zarrc', 'c')\n")
    res = subprocess.run(
        [sys.executable, "-c", DROP_EDITABLE_FINDERS + "import zarrc"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 1
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: zarrc's compiled engine is missing"), res.stderr
    assert "source directory" in last and "pip install ." in last
