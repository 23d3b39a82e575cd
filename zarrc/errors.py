"""Exception types raised by zarrc.

Every error that crosses the public API is one of these.  They subclass the
built-in exception a zarr-python user would catch (``ValueError``,
``FileNotFoundError``, ``IndexError``) so existing ``except`` clauses keep working.
"""

from __future__ import annotations

__all__ = [
    "ArrayNotFoundError",
    "BoundsCheckError",
    "ChecksumError",
    "CodecError",
    "ContainsArrayError",
    "ContainsGroupError",
    "CorruptChunkError",
    "CorruptShardError",
    "GroupNotFoundError",
    "IncompatibleArrayError",
    "IncompatibleGroupError",
    "InvalidKeyError",
    "MetadataError",
    "NodeNotFoundError",
    "ReadOnlyError",
    "StorageOptionsError",
    "StoreError",
    "UnknownCodecError",
    "ZarrcError",
]


class ZarrcError(ValueError):
    """Base class of every zarrc error."""


class StoreError(ZarrcError):
    """A storage backend failed (I/O error, permission, remote failure).

    ``key`` names the key involved and ``url`` the store, when known.
    """

    def __init__(self, message: str, *, key: str | None = None, url: str | None = None):
        super().__init__(message)
        self.key = key
        self.url = url


class ReadOnlyError(ZarrcError, PermissionError):
    """A mutation was attempted on a store, array or group opened read-only."""


class InvalidKeyError(ZarrcError):
    """A store key is unsafe or malformed (``..``, empty segments, backslash, NUL, ...)."""


class MetadataError(ZarrcError):
    """A metadata document (``zarr.json``, ``.zarray``, ...) is invalid.

    ``path`` names the document and ``field`` the offending field, when known.
    """

    def __init__(self, message: str, *, path: str | None = None, field: str | None = None):
        where = []
        if path is not None:
            where.append(f"in {path!r}")
        if field is not None:
            where.append(f"field {field!r}")
        full = f"{message} ({', '.join(where)})" if where else message
        super().__init__(full)
        self.path = path
        self.field = field


class UnknownCodecError(MetadataError):
    """A codec named in metadata is not registered."""


class NodeNotFoundError(ZarrcError, FileNotFoundError):
    """No array or group exists at the requested path."""


class ArrayNotFoundError(NodeNotFoundError):
    """No array exists at the requested path."""


class GroupNotFoundError(NodeNotFoundError):
    """No group exists at the requested path."""


class ContainsArrayError(ZarrcError):
    """An array already exists at the requested path."""


class ContainsGroupError(ZarrcError):
    """A group already exists at the requested path."""


class CodecError(ZarrcError):
    """Encoding or decoding a chunk failed.

    ``array_path``, ``key`` and ``codec`` name where it happened.
    """

    def __init__(
        self,
        message: str,
        *,
        array_path: str | None = None,
        key: str | None = None,
        codec: str | None = None,
    ):
        parts = [message]
        if array_path is not None:
            parts.append(f"array {array_path!r}")
        if key is not None:
            parts.append(f"key {key!r}")
        if codec is not None:
            parts.append(f"codec {codec!r}")
        where = f" ({', '.join(parts[1:])})" if parts[1:] else ""
        super().__init__(parts[0] + where)
        self.reason = message
        self.array_path = array_path
        self.key = key
        self.codec = codec


class CorruptChunkError(CodecError):
    """A stored chunk is malformed: bad compressed stream, wrong decoded size."""


class ChecksumError(CorruptChunkError):
    """A stored checksum (crc32c, zstd content checksum) does not match."""


class CorruptShardError(CorruptChunkError):
    """A shard or its index is malformed."""


class BoundsCheckError(IndexError):
    """An index is out of the array's bounds.

    The one error that is not a :class:`ZarrcError`: every ``ZarrcError`` is a
    ``ValueError``, and an out-of-bounds index must be an ``IndexError`` only, as
    in numpy and zarr-python, so that ``except ValueError`` does not catch it.
    """


class IncompatibleArrayError(ContainsArrayError, TypeError):
    """An array exists where a group was required (zarr-python raises ``TypeError``)."""


class IncompatibleGroupError(ContainsGroupError, TypeError):
    """A group exists where an array was required (zarr-python raises ``TypeError``)."""


class StorageOptionsError(ZarrcError, TypeError):
    """``storage_options`` were given for a store that does not use them.

    Both a ``TypeError`` (what zarr-python raises) and a ``ValueError``.
    """
