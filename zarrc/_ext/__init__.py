"""Compiled marshalling layer between zarrc and its C engine."""

from pathlib import Path

try:
    from zarrc._ext import _engine  # noqa: F401
except ImportError as err:
    _here = Path(__file__).resolve().parent
    _root = _here.parent.parent
    _built = any(_here.glob("_engine*.so")) or any(_here.glob("_engine*.pyd"))
    if not _built and (_root / "meson.build").is_file():
        raise ImportError(
            "zarrc's compiled engine is missing: you are importing zarrc from its source "
            f"directory ({_root}), which holds no built extension. Install it with "
            "`pip install .` (or `pip install --no-build-isolation -e .` to develop) "
            "and run Python from another directory."
        ) from err
    raise
