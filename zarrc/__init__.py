"""zarrc: Zarr v3 and v2 arrays for Python with a multithreaded C engine.

A drop-in for zarr-python 3's array API (``import zarrc as zarr``).
"""

try:  # generated at build time from meson.build's version
    from zarrc._ext._version import __version__
except ModuleNotFoundError:  # a directory that meson did not build
    __version__ = "0+unknown"

import logging as _logging

from zarrc import codecs, errors, storage
from zarrc.api.creation import (
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
from zarrc.api.groups import create_group, group, open_consolidated, open_group, tree
from zarrc.config import config
from zarrc.core.array import Array
from zarrc.core.group import Group
from zarrc.hierarchy.consolidated import consolidate_metadata
from zarrc.hierarchy.migrate import migrate_to_v3

# records of store requests (zarrc.store) and engine requests (zarrc.engine) are
# debug level and printed only where the application configures logging
_logging.getLogger("zarrc").addHandler(_logging.NullHandler())

__all__ = [
    "Array",
    "Group",
    "consolidate_metadata",
    "create_group",
    "group",
    "migrate_to_v3",
    "open_consolidated",
    "open_group",
    "tree",
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
