"""Type checking as a user sees it: ``mypy --strict`` on small scripts using zarrc.

zarrc ships ``py.typed`` and stubs of its compiled extension, so a strict user
script type-checks, and a wrong use of the engine's API is caught (the stubs'
types are real, not ``Any``).  Errors inside zarrc itself are not the user's and
are silenced (``--follow-imports=silent``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

import zarrc

pytest.importorskip("mypy")

GOOD = """
    import numpy as np
    import numpy.typing as npt

    import zarrc
    from zarrc._ext import _engine


    def roundtrip(path: str) -> bool:
        a: zarrc.Array = zarrc.create_array(path, shape=(8, 8), chunks=(4, 4), dtype="int32")
        a[:] = np.arange(64, dtype="int32").reshape(8, 8)
        return bool((a[:2, :2] == np.array([[0, 1], [8, 9]])).all())


    def engine_types() -> int:
        plan = _engine.Plan((8,), (4,), [(0, 1, 8)])
        coords: npt.NDArray[np.int64] = plan.chunk_coords()
        mask: npt.NDArray[np.bool_] = plan.full_mask()
        n: int = plan.nchunks + _engine.get_threads() + int(coords.sum()) + int(mask.sum())
        return n + _engine.crc32c(b"abc", 0) + _engine.OK


    version: str = zarrc.__version__
"""

BAD = """
    from zarrc._ext import _engine

    checksum: str = _engine.crc32c(b"abc")
    _engine.set_threads("four")
"""


def _mypy(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent(source))
    env = dict(os.environ)
    package_parent = str(Path(zarrc.__file__).resolve().parent.parent)
    site = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    if package_parent not in site:
        # an editable or uninstalled copy: mypy does not follow import hooks
        env["MYPYPATH"] = package_parent
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            str(script),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_strict_user_script_type_checks(tmp_path: Path) -> None:
    result = _mypy(tmp_path, GOOD)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_stubs_catch_wrong_engine_use(tmp_path: Path) -> None:
    result = _mypy(tmp_path, BAD)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Incompatible types in assignment (expression has type "int"' in result.stdout
    assert 'Argument 1 to "set_threads" has incompatible type "str"' in result.stdout


def test_py_typed_is_shipped() -> None:
    assert (Path(zarrc.__file__).parent / "py.typed").is_file()
    assert (Path(zarrc.__file__).parent / "_ext" / "_engine.pyi").is_file()
