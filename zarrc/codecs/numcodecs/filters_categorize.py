"""The numcodecs ``categorize`` filter: strings stored as indices into a list of labels."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zarrc.codecs._base import ChunkSpec, Codec
from zarrc.codecs.numcodecs.filters_common import (
    NumcodecsFilter,
    config_dtype,
    evolve_dtype_from_spec,
)
from zarrc.codecs.registry import register_codec
from zarrc.errors import MetadataError

__all__ = ["CategorizeCodec"]


def _labels(value: Any) -> tuple[str, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(f"labels must be a list of strings, got {value!r}")
    out = []
    for label in value:
        if isinstance(label, bytes):
            label = label.decode("utf-8")
        if not isinstance(label, str):
            raise TypeError(f"labels must be strings, got {label!r}")
        out.append(label)
    return tuple(out)


@dataclass(frozen=True, eq=False)
class CategorizeCodec(NumcodecsFilter):
    """Store strings as 1 + their index in ``labels``, others as 0 (numcodecs ``Categorize``).

    Lossy for strings not among the labels: they read back as ``""``.

    Parameters
    ----------
    labels : list of str
        The categories.
    dtype : str or numpy.dtype, optional
        The decoded dtype: fixed-length unicode (``"<U5"``) or object (``"|O"``,
        variable-length strings); in Zarr v3 it defaults to the array's.
    astype : str or numpy.dtype, optional
        The integer dtype of the stored indices; default ``"|u1"``.
    """

    codec_id: ClassVar[str] = "categorize"
    codec_name: ClassVar[str] = "numcodecs.categorize"
    v2_keys: ClassVar[frozenset[str]] = frozenset({"labels", "dtype", "astype"})

    labels: tuple[str, ...]
    dtype: np.dtype | None
    astype: np.dtype

    def __init__(self, *, labels: Iterable[str], dtype: Any = None, astype: Any = "|u1") -> None:
        parsed = None if dtype is None else config_dtype(dtype, "dtype")
        if parsed is not None and parsed.kind not in "UOT":
            raise TypeError("dtype: only unicode ('U') and object ('O') dtypes are supported")
        encoded = config_dtype(astype, "astype")
        if encoded.kind in "OT":
            raise TypeError("astype: encoding as an object array is not supported")
        object.__setattr__(self, "labels", _labels(labels))
        object.__setattr__(self, "dtype", parsed)
        object.__setattr__(self, "astype", encoded)

    def to_v2_config(self) -> dict[str, Any]:
        """``{"id": "categorize", "labels": [...], "dtype": ..., "astype": ...}``."""
        config: dict[str, Any] = {"id": self.codec_id, "labels": list(self.labels)}
        if self.dtype is not None:
            config["dtype"] = "|O" if self.dtype.kind in "OT" else self.dtype.str
        config["astype"] = self.astype.str
        return config

    def evolve_from_array_spec(self, spec: ChunkSpec) -> Codec:
        """Take ``dtype`` from the chunk when it is not set."""
        return evolve_dtype_from_spec(self, "dtype", spec)

    def validate(self, spec: ChunkSpec) -> None:
        """Require text: fixed-length unicode or variable-length strings."""
        super().validate(spec)
        if spec.dtype.kind not in "UOT":
            raise MetadataError(
                f"codec {self.codec_name!r} needs a string array, got {spec.dtype}",
                field="codecs",
            )

    def _input_dtype(self, stored: np.dtype) -> np.dtype:
        if self.dtype is None or self.dtype.kind == "T":
            return stored
        return self.dtype

    def encoded_dtype(self, stored: np.dtype) -> np.dtype:
        """``astype``."""
        return self.astype

    def _encode_flat(self, arr: np.ndarray) -> np.ndarray:
        out = np.zeros(arr.shape, dtype=self.astype)
        for index, label in enumerate(self.labels):
            out[arr == label] = index + 1
        return out

    def _decode_flat(self, enc: np.ndarray) -> np.ndarray:
        dtype = self.dtype if self.dtype is not None else np.dtype(object)
        if dtype.kind == "T":
            dtype = np.dtype(object)
        out = np.full(enc.shape, "", dtype=dtype)
        for index, label in enumerate(self.labels):
            out[enc == index + 1] = label
        return out


register_codec(CategorizeCodec.codec_name, CategorizeCodec)
