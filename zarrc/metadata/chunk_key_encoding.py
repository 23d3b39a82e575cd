"""Chunk key encodings: how chunk grid coordinates become store keys.

Two encodings exist in Zarr v3: ``default`` (keys ``c/1/2``, or ``c`` for a
0-d array) and ``v2`` (keys ``1.2``, or ``0`` for a 0-d array), each with a
configurable separator, ``"/"`` or ``"."``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np

from zarrc.errors import InvalidKeyError, MetadataError

__all__ = ["ChunkKeyEncoding", "parse_chunk_key_encoding"]

EncodingName = Literal["default", "v2"]
Separator = Literal["/", "."]

_DEFAULT_SEPARATOR: dict[str, Separator] = {"default": "/", "v2": "."}


@dataclass(frozen=True)
class ChunkKeyEncoding:
    """A chunk key encoding.

    Parameters
    ----------
    name : {"default", "v2"}
        The encoding.
    separator : {"/", "."}, optional
        The separator between coordinates; defaults to ``"/"`` for ``default``
        and ``"."`` for ``v2``.
    """

    name: EncodingName = "default"
    separator: Separator = None  # type: ignore[assignment]  # replaced in __post_init__

    def __post_init__(self) -> None:
        if self.name not in _DEFAULT_SEPARATOR:
            raise ValueError(
                f"unknown chunk key encoding {self.name!r}; expected 'default' or 'v2'"
            )
        if self.separator is None:
            object.__setattr__(self, "separator", _DEFAULT_SEPARATOR[self.name])
        elif self.separator not in ("/", "."):
            raise ValueError(f"chunk key separator must be '/' or '.', got {self.separator!r}")

    def encode_chunk_key(self, coords: tuple[int, ...]) -> str:
        """The store key (relative to the array) of the chunk at ``coords``."""
        return self.encode_chunk_keys(np.asarray([coords], dtype=np.int64).reshape(1, -1))[0]

    def encode_chunk_keys(self, coords: np.ndarray, prefix: str = "") -> list[str]:
        """The store keys of many chunks at once.

        Parameters
        ----------
        coords : ndarray
            Grid coordinates, one chunk per row: shape ``(nchunks, ndim)``.
        prefix : str, optional
            Prepended to every key (the array's path in the store plus ``"/"``).
        """
        coords = np.asarray(coords, dtype=np.int64)
        n, ndim = coords.shape
        key_prefix, sep, key_0d = self.c_params()
        if ndim == 0 or n == 0:
            return [prefix + key_0d] * n
        # one formatting operation for the whole batch, split at a byte no key holds
        template = (prefix + key_prefix).replace("%", "%%") + sep.join(["%d"] * ndim) + "\0"
        return (template * n % tuple(coords.ravel().tolist())).split("\0")[:-1]

    def decode_chunk_key(self, key: str, *, ndim: int | None = None) -> tuple[int, ...]:
        """The chunk coordinates of ``key``.

        Parameters
        ----------
        key : str
            A key produced by :meth:`encode_chunk_keys`.
        ndim : int, optional
            The array's number of dimensions.  Needed only to tell the 0-d key
            ``"0"`` of the ``v2`` encoding from the key of chunk ``(0,)``.

        Raises
        ------
        InvalidKeyError
            If ``key`` is not a chunk key of this encoding (or of ``ndim`` dimensions).
        """
        prefix, sep, key_0d = self.c_params()
        if ndim == 0 or (ndim is None and self.name == "default" and key == key_0d):
            if key != key_0d:
                raise InvalidKeyError(f"{key!r} is not the chunk key of a 0-d array")
            return ()
        if not key.startswith(prefix):
            raise InvalidKeyError(f"{key!r} is not a chunk key of encoding {self.name!r}")
        parts = key[len(prefix) :].split(sep)
        # Digits only: int() would also accept signs, spaces and underscores.
        if not all(p.isascii() and p.isdigit() for p in parts):
            raise InvalidKeyError(f"{key!r} is not a chunk key of encoding {self.name!r}")
        if ndim is not None and len(parts) != ndim:
            raise InvalidKeyError(f"{key!r} does not have {ndim} coordinates")
        return tuple(int(p) for p in parts)

    def c_params(self) -> tuple[str, str, str]:
        """``(prefix, separator, key_for_0d)`` for the C engine.

        For ``ndim >= 1`` a key is ``prefix + separator.join(map(str, coords))``.
        """
        if self.name == "default":
            return ("c" + self.separator, self.separator, "c")
        return ("", self.separator, "0")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form written to ``zarr.json``."""
        return {"name": self.name, "configuration": {"separator": self.separator}}


def _error(message: str, path: str | None) -> MetadataError:
    return MetadataError(message, path=path, field="chunk_key_encoding")


def parse_chunk_key_encoding(value: object, *, path: str | None = None) -> ChunkKeyEncoding:
    """Parse a chunk key encoding.

    Parameters
    ----------
    value : object
        One of: a :class:`ChunkKeyEncoding`; the JSON form
        ``{"name": "default", "configuration": {"separator": "/"}}`` (configuration
        optional); the flat form ``{"name": "v2", "separator": "/"}``; a pair
        ``("v2", ".")``; a bare name ``"default"``/``"v2"``; or any object whose
        ``to_dict()`` returns one of these dict forms.
    path : str, optional
        The document name, used in error messages.

    Returns
    -------
    ChunkKeyEncoding

    Raises
    ------
    MetadataError
        If the value is malformed (``field="chunk_key_encoding"``).
    """
    if isinstance(value, ChunkKeyEncoding):
        return value
    name: object
    separator: object = None
    if isinstance(value, str):
        name = value
    elif isinstance(value, tuple) and len(value) == 2:
        name, separator = value
    else:
        if type(value) is not dict and not isinstance(value, Mapping):
            to_dict = getattr(value, "to_dict", None)
            if callable(to_dict):
                value = to_dict()
            if not isinstance(value, Mapping):
                raise _error(f"expected an object with a 'name', got {value!r}", path)
        name = value.get("name")
        if "separator" in value and "configuration" not in value:
            extra = set(value) - {"name", "separator"}
            separator = value["separator"]
        else:
            extra = set(value) - {"name", "configuration"}
            config = value.get("configuration")
            if config is not None:
                if type(config) is not dict and not isinstance(config, Mapping):
                    raise _error(f"configuration must be an object, got {config!r}", path)
                unknown = set(config) - {"separator"}
                if unknown:
                    raise _error(f"unknown configuration keys {sorted(unknown)}", path)
                separator = config.get("separator")
                if "separator" in config and separator is None:
                    raise _error("separator must be '/' or '.', got None", path)
        if extra:
            raise _error(f"unknown keys {sorted(map(str, extra))}", path)
    if not isinstance(name, str) or name not in _DEFAULT_SEPARATOR:
        raise _error(f"unknown chunk key encoding {name!r}; expected 'default' or 'v2'", path)
    if separator is not None and separator not in ("/", "."):
        raise _error(f"separator must be '/' or '.', got {separator!r}", path)
    return ChunkKeyEncoding(cast(EncodingName, name), cast(Separator, separator))
