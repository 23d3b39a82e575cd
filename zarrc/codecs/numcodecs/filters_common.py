"""What the numcodecs filters (delta, fixedscaleoffset, ...) share.

A numcodecs filter sees a chunk as numcodecs does under Zarr v2: the elements
in their *stored* layout (the byte order written in ``.zarray``), flattened, and
reinterpreted as the filter's own ``dtype``.  Its output is an array whose
bytes go on to the next filter or the compressor.

Between codecs a zarrc chain holds arrays in native byte order, the byte order
of storage being the business of the ``bytes`` codec.  A filter therefore knows
the stored dtype of its input (``stored_input``, set by the v2 chain builder;
``None`` means the input's own dtype, as in Zarr v3), converts its input to it,
does exactly the arithmetic numcodecs does, and hands on its output in native
byte order (:func:`memory_dtype`).  Structured outputs are handed on in their
stored layout, since the ``bytes`` codec has no byte order for them.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from zarrc.codecs._base import ArrayArrayCodec, ChunkSpec, Codec
from zarrc.codecs.numcodecs.generic import NumcodecsConfigMixin
from zarrc.errors import CorruptChunkError, MetadataError

__all__ = [
    "NumcodecsFilter",
    "config_dtype",
    "dtype_to_config",
    "evolve_dtype_from_spec",
    "memory_dtype",
    "native_dtype",
    "parse_numpy_dtype",
    "to_stored",
]


def native_dtype(dtype: np.dtype) -> np.dtype:
    """``dtype`` with every field in native byte order."""
    if dtype.kind in "OT" or dtype.isnative:
        return dtype
    return dtype.newbyteorder("=")


def memory_dtype(stored: np.dtype) -> np.dtype:
    """The dtype a chain holds between codecs for elements stored as ``stored``.

    Native byte order for scalar types; structured types keep their stored layout.
    """
    if stored.names is not None or stored.subdtype is not None:
        return stored
    return native_dtype(stored)


def to_stored(arr: np.ndarray, stored: np.dtype) -> np.ndarray:
    """``arr`` converted (values kept) to the stored dtype ``stored``, C-contiguous."""
    arr = np.ascontiguousarray(arr)
    if arr.dtype == stored or stored.kind in "OT" or arr.dtype.kind in "OT":
        return arr
    return arr.astype(stored)


def parse_numpy_dtype(value: Any, name: str) -> np.dtype:
    """A numpy dtype from a config value (a typestring such as ``"<i4"``)."""
    if isinstance(value, np.dtype):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a numpy dtype string, got {value!r}")
    try:
        return np.dtype(value)
    except TypeError as err:
        raise ValueError(f"{name}: {value!r} is not a numpy dtype") from err


def dtype_to_config(dtype: np.dtype) -> Any:
    """A dtype as numcodecs configs write it: its typestring (fields for structured ones)."""
    if dtype.names is None:
        return dtype.str
    return [list(field) for field in dtype.descr]


def config_dtype(value: Any, name: str) -> np.dtype:
    """Parse a dtype written by :func:`dtype_to_config`."""
    if isinstance(value, list):
        try:
            return np.dtype([tuple(field) for field in value])
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name}: {value!r} is not a numpy dtype") from err
    return parse_numpy_dtype(value, name)


def _count(spec: ChunkSpec) -> int:
    return math.prod(spec.shape)


class NumcodecsFilter(NumcodecsConfigMixin, ArrayArrayCodec):
    """Base of the array-to-array codecs that reproduce numcodecs filters bit for bit.

    Subclasses implement :meth:`encoded_dtype`, :meth:`_encode_flat` and
    :meth:`_decode_flat`, and may override :meth:`_input_dtype` (the dtype
    numcodecs views the input as) and :meth:`encoded_count`.
    """

    #: The stored dtype of the input (v2 byte order); None: the input's own dtype.
    stored_input: np.dtype | None = None

    # -- chain plumbing -------------------------------------------------------------
    def with_stored_input(self, stored: np.dtype | None) -> NumcodecsFilter:
        """A copy that takes its input in the stored layout ``stored``."""
        new = copy.copy(self)
        object.__setattr__(new, "stored_input", None if stored is None else np.dtype(stored))
        return new

    def _identity(self) -> Any:
        stored = self.stored_input
        return (super()._identity(), None if stored is None else stored.descr)

    def input_stored(self, dtype: np.dtype) -> np.dtype:
        """The stored dtype of an input held as ``dtype``."""
        return dtype if self.stored_input is None else self.stored_input

    # -- what subclasses define ---------------------------------------------------------
    def _input_dtype(self, stored: np.dtype) -> np.dtype:
        """The dtype numcodecs reinterprets the input bytes as."""
        return stored

    def encoded_dtype(self, stored: np.dtype) -> np.dtype:
        """The dtype (with byte order) of the encoded output for input stored as ``stored``."""
        raise NotImplementedError

    def encoded_count(self, count: int, stored: np.dtype) -> int:
        """Number of output elements for ``count`` input elements stored as ``stored``."""
        view = self._input_dtype(stored)
        if stored.kind in "OT" or view.kind in "OT":
            return count
        return count * stored.itemsize // view.itemsize

    def _encode_flat(self, arr: np.ndarray) -> np.ndarray:
        """numcodecs' encode of a flat array of the input dtype."""
        raise NotImplementedError

    def _decode_flat(self, enc: np.ndarray) -> np.ndarray:
        """numcodecs' decode of a flat array of the encoded dtype."""
        raise NotImplementedError

    # -- Codec interface --------------------------------------------------------------------
    def validate(self, spec: ChunkSpec) -> None:
        """Check that the input's bytes divide into the elements this filter views them as."""
        stored = self.input_stored(spec.dtype)
        text = stored.kind in "OT" and spec.dtype.kind in "OT"
        if (
            self.stored_input is not None
            and not text
            and native_dtype(stored) != native_dtype(spec.dtype)
        ):
            raise MetadataError(
                f"codec {self.codec_name!r} is set up for {stored} input, got {spec.dtype}",
                field="codecs",
            )
        view = self._input_dtype(stored)
        if stored.kind in "OT" or view.kind in "OT":
            if (stored.kind in "OT") != (view.kind in "OT"):
                raise MetadataError(
                    f"codec {self.codec_name!r} cannot view {stored} elements as {view}",
                    field="codecs",
                )
            return
        nbytes = _count(spec) * stored.itemsize
        if view.itemsize == 0 or nbytes % view.itemsize:
            raise MetadataError(
                f"codec {self.codec_name!r}: a chunk of {nbytes} bytes is not a whole number "
                f"of {view} elements",
                field="codecs",
            )

    def resolve_spec(self, spec: ChunkSpec) -> ChunkSpec:
        """The shape and (native) dtype of the encoded chunk."""
        stored = self.input_stored(spec.dtype)
        count = self.encoded_count(_count(spec), stored)
        shape = spec.shape if count == _count(spec) else (count,)
        out = memory_dtype(self.encoded_dtype(stored))
        return ChunkSpec(shape=shape, dtype=out, fill_value=spec.fill_value)

    def encode(self, data: Any, spec: ChunkSpec) -> np.ndarray:
        """Encode one chunk as numcodecs does."""
        stored = self.input_stored(spec.dtype)
        arr = to_stored(np.asarray(data), stored).reshape(-1)
        view = self._input_dtype(stored)
        if arr.dtype != view and view.kind not in "OT":
            # in a format 3 chain a byte order in the configuration is about values;
            # format 2 views the stored bytes
            by_value = self.stored_input is None and native_dtype(arr.dtype) == native_dtype(view)
            arr = arr.astype(view) if by_value else arr.view(view)
        out_spec = self.resolve_spec(spec)
        out = np.asarray(self._encode_flat(arr))
        if out.dtype != out_spec.dtype and out.dtype.kind not in "OT":
            out = out.astype(out_spec.dtype)
        return out.reshape(out_spec.shape)

    def decode(self, data: Any, spec: ChunkSpec) -> np.ndarray:
        """Decode one chunk as numcodecs does; an array of ``spec``'s shape and dtype."""
        stored = self.input_stored(spec.dtype)
        enc = to_stored(np.asarray(data), self.encoded_dtype(stored)).reshape(-1)
        try:
            dec = np.ascontiguousarray(self._decode_flat(enc)).reshape(-1)
            if dec.dtype != stored and stored.kind not in "OT" and dec.dtype.kind not in "OT":
                if self.stored_input is None and native_dtype(dec.dtype) == native_dtype(stored):
                    dec = dec.astype(stored)  # format 3: values, whatever the byte order
                else:
                    # Zarr v2 views the filter's output bytes as the array's stored dtype.
                    dec = dec.view(stored)
        except (ValueError, TypeError, IndexError) as err:
            raise CorruptChunkError(f"{self.codec_id}: {err}", codec=self.codec_name) from err
        if dec.size != _count(spec):
            raise CorruptChunkError(
                f"{self.codec_id} decoded {dec.size} elements, expected {_count(spec)}",
                codec=self.codec_name,
            )
        dec = dec.reshape(spec.shape)
        if dec.dtype != spec.dtype:
            dec = dec.astype(spec.dtype)
        return dec


def evolve_dtype_from_spec(codec: Codec, attr: str, spec: ChunkSpec) -> Codec:
    """``codec`` with ``attr`` set to the chunk's dtype when it is unset (v3 defaults)."""
    if getattr(codec, attr) is not None:
        return codec
    new = copy.copy(codec)
    object.__setattr__(new, attr, np.dtype(spec.dtype))
    return new
