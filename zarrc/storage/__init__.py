"""Key/value stores that hold Zarr hierarchies.

A store maps ``/``-separated string keys to bytes.  Every key is checked by
:func:`validate_key` before any storage is touched, so no key can reach outside
its store.
"""

from zarrc.storage._base import (
    ByteRequest,
    BytesLike,
    OffsetByteRequest,
    RangeByteRequest,
    Store,
    SuffixByteRequest,
    resolve_byte_range,
    validate_key,
    validate_prefix,
)
from zarrc.storage._fsspec import FsspecStore
from zarrc.storage._local import TEMP_PREFIX, LocalStore
from zarrc.storage._memory import MemoryStore
from zarrc.storage._resolve import make_store
from zarrc.storage._wrapper import LoggingStore, WrapperStore
from zarrc.storage._zip import ZipStore

__all__ = [
    "TEMP_PREFIX",
    "ByteRequest",
    "BytesLike",
    "FsspecStore",
    "LocalStore",
    "LoggingStore",
    "MemoryStore",
    "OffsetByteRequest",
    "RangeByteRequest",
    "Store",
    "SuffixByteRequest",
    "WrapperStore",
    "ZipStore",
    "make_store",
    "resolve_byte_range",
    "validate_key",
    "validate_prefix",
]
