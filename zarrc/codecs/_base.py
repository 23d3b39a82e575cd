"""The codec interface shared by every codec class.

A codec is an immutable description (JSON <-> object).  Codecs whose kernels
live in the C engine say so through :meth:`Codec.c_kernel`; any other codec
implements :meth:`Codec.encode` / :meth:`Codec.decode` in Python and the
pipeline runs it with the same plan, more slowly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

CodecKind = Literal["array_to_array", "array_to_bytes", "bytes_to_bytes"]


@dataclass(frozen=True)
class ChunkSpec:
    """What a codec knows about the chunk it sees: shape, dtype, fill value."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fill_value: Any = None


class Codec:
    """Base class of zarrc codecs.

    Subclasses set ``codec_name`` (the JSON ``name``) and ``kind``.
    """

    codec_name: ClassVar[str]
    kind: ClassVar[CodecKind]

    # -- JSON ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON form ``{"name": ..., "configuration": {...}}``."""
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Codec:
        """Build the codec from its JSON form; raises ``MetadataError`` on bad input."""
        raise NotImplementedError

    # -- array-spec dependent defaults ----------------------------------------
    def evolve_from_array_spec(self, spec: ChunkSpec) -> Codec:
        """Fill in defaults that depend on the data type (blosc typesize, endian)."""
        return self

    def resolve_spec(self, spec: ChunkSpec) -> ChunkSpec:
        """The chunk spec this codec hands to the next codec when encoding."""
        return spec

    def validate(self, spec: ChunkSpec) -> None:
        """Raise ``MetadataError`` if this codec cannot handle ``spec``."""

    # -- C engine --------------------------------------------------------------
    def c_kernel(self) -> dict[str, Any] | None:
        """Parameters for the C kernel, or ``None`` when the codec runs in Python.

        bytes_to_bytes codecs return the fields of ``zc_b2b_codec``
        (``kind``, ``level``, ``checksum``, ``shuffle``, ``typesize``,
        ``blocksize``, ``cname``); ``bytes`` returns ``{"endian": "little"|"big"|None}``
        and ``transpose`` returns ``{"order": (...)}``.
        """
        return None

    # -- Python fallback ---------------------------------------------------------
    def encode(self, data: Any, spec: ChunkSpec) -> Any:
        """Encode one chunk in Python (ndarray for array codecs, bytes otherwise)."""
        raise NotImplementedError(f"codec {self.codec_name!r} has no Python encoder")

    def decode(self, data: Any, spec: ChunkSpec) -> Any:
        """Decode one chunk in Python."""
        raise NotImplementedError(f"codec {self.codec_name!r} has no Python decoder")

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.to_dict() == other.to_dict()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        import json

        return hash((type(self), json.dumps(self.to_dict(), sort_keys=True)))
