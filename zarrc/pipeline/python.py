"""Codecs without C kernels, run in Python on whole chunks around one engine call.

Two cases.  A chain whose array part the engine runs but which ends in
bytes-to-bytes codecs without kernels: Python undoes those on the stored
bytes before the engine call and applies them to the engine's results after
it.  A chain the engine cannot run at all (array-to-array filters without
kernels, variable-length types, custom array-to-bytes codecs): Python decodes
each stored chunk with the whole chain and the engine works on raw chunks
(native byte order, C order) with an identity chain.

Either way the engine does every scatter, gather, partial-chunk merge and
fill-value test, with the same plan as every other request.  Types the
engine cannot hold (object, variable-length strings) go through it as an
int64 position map: on read it scatters, for every selected element, its
position among the decoded chunks; on write it gathers, for every element of
each chunk, the position of its new value (-1 where the chunk keeps its old
one), and numpy applies the map to each chunk in one vectorised step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from zarrc._ext import _engine
from zarrc.codecs._base import ChunkSpec, Codec
from zarrc.codecs.chain import CodecChainSpec
from zarrc.errors import CodecError, CorruptChunkError

__all__ = ["PythonChain", "engine_holds"]

_NO_POSITION = np.int64(-1).tobytes()


def engine_holds(dtype: np.dtype) -> bool:
    """Whether the engine can hold elements of ``dtype`` (fixed size, no objects)."""
    return not (dtype.hasobject or dtype.kind == "T" or dtype.itemsize == 0)


class PythonChain:
    """The codecs of one array that run in Python, and the engine chain they feed.

    Build with :meth:`whole` (Python runs the whole codec chain) or
    :meth:`suffix` (Python runs bytes-to-bytes codecs after an engine chain).

    Attributes
    ----------
    chain : _engine.Chain
        The engine chain of every request of the array.
    whole : bool
        True when Python runs the whole codec chain.
    by_position : bool
        True when the element type is one the engine cannot hold.
    """

    chain: _engine.Chain
    whole: bool
    by_position: bool

    def __init__(self, array_path: str, spec: ChunkSpec) -> None:
        self.array_path = array_path
        self.spec = spec
        self.codecs: CodecChainSpec | None = None
        self.suffix_codecs: list[Codec] = []
        self._suffix_spec: ChunkSpec | None = None

    @classmethod
    def whole_chain(cls, codecs: CodecChainSpec, spec: ChunkSpec, array_path: str) -> PythonChain:
        """Python decodes and encodes whole chunks with ``codecs``."""
        self = cls(array_path, spec)
        self.codecs = codecs
        self.whole = True
        self.by_position = not engine_holds(spec.dtype)
        if self.by_position:
            self.chain = _engine.Chain(spec.shape, 8, 0, None, [], _NO_POSITION)
        else:
            fill = np.asarray(spec.fill_value, dtype=spec.dtype).tobytes()
            self.chain = _engine.Chain(spec.shape, spec.dtype.itemsize, 0, None, [], fill)
        return self

    @classmethod
    def suffix(
        cls, chain: _engine.Chain, codecs: Sequence[Codec], spec: ChunkSpec, array_path: str
    ) -> PythonChain:
        """Python runs the bytes-to-bytes ``codecs`` after the engine's ``chain``."""
        self = cls(array_path, spec)
        self.chain = chain
        self.whole = False
        self.by_position = False
        self.suffix_codecs = list(codecs)
        self._suffix_spec = ChunkSpec((chain.nbytes,), np.dtype("u1"))
        return self

    # -- whole chunks -------------------------------------------------------------------------
    def _codec_names(self) -> str:
        if self.codecs is not None:
            return ",".join(c.codec_name for c in self.codecs.all)
        return ",".join(c.codec_name for c in self.suffix_codecs)

    def _failed(self, exc: Exception, key: str) -> CodecError:
        """A decoding failure as the error that names the array and the key."""
        if isinstance(exc, CodecError):
            if exc.key is not None:
                return exc
            return type(exc)(exc.reason, array_path=self.array_path, key=key, codec=exc.codec)
        return CorruptChunkError(
            f"cannot decode chunk: {exc}",
            array_path=self.array_path,
            key=key,
            codec=self._codec_names(),
        )

    def decode_chunk(self, data: bytes, key: str) -> np.ndarray:
        """One stored chunk -> its elements, shape of a chunk (whole chains)."""
        assert self.codecs is not None
        try:
            chunk = self.codecs.decode(data, self.spec)
        except Exception as exc:
            raise self._failed(exc, key) from exc
        size = int(np.prod(self.spec.shape, dtype=np.int64))
        if np.size(chunk) != size:
            raise CorruptChunkError(
                f"decoded chunk has {np.size(chunk)} elements, expected {size}",
                array_path=self.array_path,
                key=key,
            )
        return np.asarray(chunk).reshape(self.spec.shape)

    def decode(self, stored: Sequence[bytes | None], keys: Sequence[str]) -> list[Any]:
        """Stored chunks -> what the engine chain takes: bytes, or raw chunks as
        C-contiguous arrays the engine reads in place (None stays None)."""
        out: list[Any] = []
        for data, key in zip(stored, keys, strict=True):
            if data is None:
                out.append(None)
            elif self.whole:
                chunk = self.decode_chunk(data, key)
                out.append(np.ascontiguousarray(chunk, dtype=self.spec.dtype))
            else:
                try:
                    for codec in reversed(self.suffix_codecs):
                        data = bytes(codec.decode(data, self._suffix_spec))
                except Exception as exc:
                    raise self._failed(exc, key) from exc
                out.append(data)
        return out

    def encode(self, results: Sequence[bytes | None]) -> list[Any]:
        """What the engine chain produced -> stored chunks (None, a chunk to delete,
        stays None)."""
        out: list[Any] = []
        for data in results:
            if data is None:
                out.append(None)
            elif self.whole:
                assert self.codecs is not None
                chunk = np.frombuffer(data, dtype=self.spec.dtype).reshape(self.spec.shape)
                out.append(self.codecs.encode(chunk, self.spec))
            else:
                for codec in self.suffix_codecs:
                    data = bytes(codec.encode(data, self._suffix_spec))
                out.append(data)
        return out

    # -- requests -----------------------------------------------------------------------------
    def read(
        self,
        plan: _engine.Plan,
        stored: Sequence[bytes | None],
        keys: Sequence[str],
        out: np.ndarray,
    ) -> None:
        """Decode the plan's stored chunks into ``out`` (engine errors propagate)."""
        if not self.by_position:
            _engine.read(plan, self.chain, out, buffers=self.decode(stored, keys))
            return
        # each present chunk gets a slot; the engine scatters element positions
        size = int(np.prod(self.spec.shape, dtype=np.int64))
        base = np.arange(size, dtype=np.int64)
        slots: list[bytes | None] = []
        values = []
        for data, key in zip(stored, keys, strict=True):
            if data is None:
                slots.append(None)
                continue
            slots.append((base + len(values) * size).tobytes())
            values.append(self.decode_chunk(data, key).reshape(-1))
        positions = np.empty(out.shape, dtype=np.int64)
        _engine.read(plan, self.chain, positions, buffers=slots)
        hit = positions >= 0
        if values:
            out[hit] = np.concatenate(values)[positions[hit]]
        out[~hit] = self.spec.fill_value

    def write(
        self,
        plan: _engine.Plan,
        value: np.ndarray,
        existing: Sequence[bytes | None],
        keys: Sequence[str],
        *,
        write_empty: bool,
    ) -> list[Any]:
        """The stored bytes of every plan chunk after writing ``value`` (None: delete);
        ``existing`` holds the stored bytes of the partly written chunks."""
        if not self.by_position:
            results = _engine.write(
                plan,
                self.chain,
                value,
                existing=self.decode(existing, keys),
                write_empty=write_empty,
            )
            return self.encode(results)
        # the engine gathers, per chunk element, the position of its new value
        values = np.ravel(value)
        positions = np.arange(values.size, dtype=np.int64).reshape(np.shape(value))
        maps = _engine.write(plan, self.chain, positions, write_empty=True)
        out: list[Any] = []
        for data, key, pos in zip(existing, keys, maps, strict=True):
            if data is None:
                chunk = np.full(self.spec.shape, self.spec.fill_value, dtype=self.spec.dtype)
            else:
                chunk = np.array(self.decode_chunk(data, key), dtype=self.spec.dtype)
            flat = chunk.reshape(-1)
            p = np.frombuffer(pos, dtype=np.int64)
            hit = p >= 0
            flat[hit] = values[p[hit]]
            if not write_empty and self.spec.is_fill(chunk):
                out.append(None)
            else:
                assert self.codecs is not None
                out.append(self.codecs.encode(chunk, self.spec))
        return out
