"""zarrc: Zarr v3 and v2 arrays for Python with a multithreaded C engine.

A drop-in for zarr-python 3's array API (``import zarrc as zarr``).
"""

from zarrc import codecs, errors, storage
from zarrc.api import (
    array,
    create_array,
    empty,
    empty_like,
    from_array,
    full,
    full_like,
    ones,
    ones_like,
    open,
    open_array,
    open_like,
    zeros,
    zeros_like,
)
from zarrc.array import Array
from zarrc.config import config

__version__ = "0.1.0"

__all__ = [
    "Array",
    "__version__",
    "array",
    "codecs",
    "config",
    "create_array",
    "empty",
    "empty_like",
    "from_array",
    "full_like",
    "ones_like",
    "open_like",
    "zeros_like",
    "errors",
    "full",
    "ones",
    "open",
    "open_array",
    "storage",
    "zeros",
]
