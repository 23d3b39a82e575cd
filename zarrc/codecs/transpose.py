"""The ``transpose`` codec: permutes the dimensions of a chunk."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zarrc.codecs._base import (
    ArrayArrayCodec,
    ChunkSpec,
    Codec,
    check_int,
    construct_from_config,
    parse_named_configuration,
)
from zarrc.codecs.registry import register_codec
from zarrc.errors import MetadataError

__all__ = ["TransposeCodec"]


def parse_transpose_order(order: Any) -> tuple[int, ...]:
    """Check that ``order`` is a permutation of ``range(len(order))``."""
    if isinstance(order, (str, bytes, dict)) or not isinstance(order, Iterable):
        raise TypeError(f"order must be a sequence of ints, got {order!r}")
    parsed = tuple(check_int(axis, "order entry") for axis in order)
    if sorted(parsed) != list(range(len(parsed))):
        raise ValueError(f"order must be a permutation of 0..{len(parsed) - 1}, got {list(parsed)}")
    return parsed


@dataclass(frozen=True, eq=False)
class TransposeCodec(ArrayArrayCodec):
    """Permute the dimensions of each chunk before it is serialised.

    Parameters
    ----------
    order : iterable of int
        A permutation of the chunk's dimensions: dimension ``i`` of the encoded
        chunk is dimension ``order[i]`` of the decoded one.
    """

    codec_name: ClassVar[str] = "transpose"
    is_fixed_size: ClassVar[bool] = True

    order: tuple[int, ...]

    def __init__(self, *, order: Iterable[int]) -> None:
        object.__setattr__(self, "order", parse_transpose_order(order))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TransposeCodec:
        """Build from ``{"name": "transpose", "configuration": {"order": [...]}}``."""
        config = parse_named_configuration(data, ("transpose",), keys=frozenset({"order"}))
        if "order" not in config:
            raise MetadataError("the transpose codec requires 'order'", field="codecs")
        return construct_from_config(cls, config)  # type: ignore[return-value]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"name": "transpose", "configuration": {"order": list(self.order)}}

    def validate(self, spec: ChunkSpec) -> None:
        """Require one ``order`` entry per dimension of the chunk."""
        if len(self.order) != spec.ndim:
            raise MetadataError(
                f"the transpose order {list(self.order)} has {len(self.order)} entries "
                f"but the chunk has {spec.ndim} dimensions",
                field="codecs",
            )

    def evolve_from_array_spec(self, spec: ChunkSpec) -> Codec:
        """Check the order against the chunk's number of dimensions."""
        self.validate(spec)
        return self

    def resolve_spec(self, spec: ChunkSpec) -> ChunkSpec:
        """The chunk spec with its shape permuted by ``order``."""
        self.validate(spec)
        shape = tuple(spec.shape[axis] for axis in self.order)
        return ChunkSpec(shape=shape, dtype=spec.dtype, fill_value=spec.fill_value)

    def compute_encoded_size(self, input_byte_length: int, spec: ChunkSpec) -> int:
        """The encoded size equals the input size."""
        return input_byte_length

    def c_kernel(self) -> dict[str, Any]:
        """``{"order": (...)}``."""
        return {"order": self.order}

    def encode(self, data: Any, spec: ChunkSpec) -> np.ndarray:
        """The chunk with its axes permuted (a view)."""
        return np.transpose(np.asarray(data), self.order)

    def decode(self, data: Any, spec: ChunkSpec) -> np.ndarray:
        """Undo :meth:`encode` (a view)."""
        inverse = tuple(int(axis) for axis in np.argsort(self.order))
        return np.transpose(np.asarray(data), inverse)


register_codec("transpose", TransposeCodec)
