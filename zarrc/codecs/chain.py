"""Codec chains: parsing the ``codecs`` list of array metadata, and create-time defaults."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from zarrc.codecs._base import ChunkSpec, Codec, with_path
from zarrc.codecs.blosc import BloscCodec
from zarrc.codecs.bytes import BytesCodec, has_endianness
from zarrc.codecs.registry import codec_from_dict, get_codec_class
from zarrc.codecs.zstd import ZstdCodec
from zarrc.errors import MetadataError, UnknownCodecError, ZarrcError

__all__ = ["CodecChainSpec", "normalize_codecs_for_create", "parse_codecs"]


@dataclass(frozen=True)
class CodecChainSpec:
    """A validated codec chain: array-to-array codecs, one serialiser, bytes-to-bytes codecs.

    Attributes
    ----------
    array_to_array : tuple of Codec
        Codecs applied first when encoding (e.g. transpose).
    array_to_bytes : Codec
        The serialiser (bytes, sharding, ...).
    bytes_to_bytes : tuple of Codec
        Compressors and checksums, applied in order when encoding.
    chunk_spec : ChunkSpec or None
        The spec of a decoded chunk the chain was evolved for, if known.
    """

    array_to_array: tuple[Codec, ...]
    array_to_bytes: Codec
    bytes_to_bytes: tuple[Codec, ...]
    chunk_spec: ChunkSpec | None = None

    @property
    def all(self) -> tuple[Codec, ...]:
        """Every codec, in encoding order."""
        return (*self.array_to_array, self.array_to_bytes, *self.bytes_to_bytes)

    def to_dicts(self) -> list[dict[str, Any]]:
        """The JSON ``codecs`` list."""
        return [codec.to_dict() for codec in self.all]

    @property
    def is_c_native(self) -> bool:
        """Whether the C engine has a kernel for every codec of the chain."""
        return all(codec.c_kernel() is not None for codec in self.all)

    def codec_specs(self, spec: ChunkSpec | None = None) -> tuple[tuple[Codec, ChunkSpec], ...]:
        """Each codec with the chunk spec it sees when encoding.

        Parameters
        ----------
        spec : ChunkSpec, optional
            The decoded chunk's spec; defaults to ``chunk_spec``.
        """
        current = self._spec(spec)
        pairs = []
        for codec in self.all:
            pairs.append((codec, current))
            current = codec.resolve_spec(current)
        return tuple(pairs)

    def _spec(self, spec: ChunkSpec | None) -> ChunkSpec:
        if spec is not None:
            return spec
        if self.chunk_spec is None:
            raise ValueError("this codec chain has no chunk spec; pass one")
        return self.chunk_spec

    def encode(self, chunk: Any, spec: ChunkSpec | None = None) -> bytes:
        """Encode one chunk with the codecs' Python implementations."""
        data = chunk
        for codec, codec_spec in self.codec_specs(spec):
            data = codec.encode(data, codec_spec)
        return bytes(data) if not isinstance(data, bytes) else data

    def decode(self, data: Any, spec: ChunkSpec | None = None) -> np.ndarray:
        """Decode one chunk with the codecs' Python implementations."""
        out = data
        for codec, codec_spec in reversed(self.codec_specs(spec)):
            out = codec.decode(out, codec_spec)
        return np.asarray(out)


def _wrap(err: Exception, codec: Codec, path: str | None) -> MetadataError:
    if isinstance(err, MetadataError):
        return with_path(err, path)
    return MetadataError(f"codec {codec.codec_name!r}: {err}", path=path, field="codecs")


def parse_codecs(
    codec_dicts: Sequence[dict[str, Any] | str | Codec],
    spec: ChunkSpec,
    *,
    path: str | None = None,
) -> CodecChainSpec:
    """Parse, order-check, evolve and validate the ``codecs`` list of array metadata.

    Parameters
    ----------
    codec_dicts : sequence of dict
        The JSON codec objects (a bare name string or a ``Codec`` is also accepted).
    spec : ChunkSpec
        The decoded chunk: chunk shape, data type, fill value.
    path : str, optional
        The metadata document, for error messages.

    Returns
    -------
    CodecChainSpec
        The codecs, each evolved from the spec it sees (a transpose changes the
        shape later codecs see).

    Raises
    ------
    MetadataError
        If a codec is unknown or misconfigured, or the chain is not
        array-to-array codecs, then exactly one array-to-bytes codec, then
        bytes-to-bytes codecs.
    """
    if isinstance(codec_dicts, (str, bytes, dict)) or not isinstance(codec_dicts, Iterable):
        raise MetadataError(
            f"codecs must be a list, got {type(codec_dicts).__name__}", path=path, field="codecs"
        )
    codecs = [
        item if isinstance(item, Codec) else codec_from_dict(item, path=path)
        for item in codec_dicts
    ]

    a2a: list[Codec] = []
    a2b: Codec | None = None
    b2b: list[Codec] = []
    current = spec
    for codec in codecs:
        kind = getattr(codec, "kind", None)
        name = codec.codec_name
        if kind == "array_to_array":
            if a2b is not None:
                raise MetadataError(
                    f"array-to-array codec {name!r} comes after the array-to-bytes codec "
                    f"{a2b.codec_name!r}",
                    path=path,
                    field="codecs",
                )
        elif kind == "array_to_bytes":
            if a2b is not None:
                raise MetadataError(
                    f"more than one array-to-bytes codec ({a2b.codec_name!r} and {name!r})",
                    path=path,
                    field="codecs",
                )
        elif kind == "bytes_to_bytes":
            if a2b is None:
                raise MetadataError(
                    f"bytes-to-bytes codec {name!r} comes before any array-to-bytes codec",
                    path=path,
                    field="codecs",
                )
        else:
            raise MetadataError(
                f"codec {name!r} has an unknown kind {kind!r}", path=path, field="codecs"
            )
        try:
            codec = codec.evolve_from_array_spec(current)
            codec.validate(current)
            current = codec.resolve_spec(current)
        except (TypeError, ValueError) as err:
            wrapped = _wrap(err, codec, path)
            if wrapped is err:
                raise
            raise wrapped from err
        if kind == "array_to_array":
            a2a.append(codec)
        elif kind == "array_to_bytes":
            a2b = codec
        else:
            b2b.append(codec)

    if a2b is None:
        raise MetadataError(
            "codecs must contain exactly one array-to-bytes codec (e.g. 'bytes'), found none",
            path=path,
            field="codecs",
        )
    return CodecChainSpec(tuple(a2a), a2b, tuple(b2b), chunk_spec=spec)


# -- create-time normalisation --------------------------------------------------------


def _as_codec(item: Any, expected_kind: str, argument: str) -> Codec:
    """One user-supplied codec: a zarrc Codec, a JSON dict, or a codec with ``to_dict``."""
    if isinstance(item, Codec):
        codec = item
    elif isinstance(item, (dict, str)):
        codec = codec_from_dict(item)
    elif callable(getattr(item, "to_dict", None)):
        # Codec objects of zarr-python (or any other library speaking the same JSON).
        codec = codec_from_dict(item.to_dict())
        # zarr-python's blosc remembers which parameters were left for the data type
        # to decide; its JSON does not, so carry that over explicitly.
        tunable = getattr(item, "_tunable_attrs", None)
        if tunable and isinstance(codec, BloscCodec):
            codec = BloscCodec(
                typesize=None if "typesize" in tunable else codec.typesize,
                cname=codec.cname,
                clevel=codec.clevel,
                shuffle=None if "shuffle" in tunable else codec.shuffle,
                blocksize=codec.blocksize,
            )
    else:
        raise TypeError(f"{argument}: expected a codec or a codec dict, got {type(item).__name__}")
    kind = str(getattr(codec, "kind", "unknown"))
    if kind != expected_kind:
        raise TypeError(
            f"{argument}: expected {expected_kind.replace('_', '-')} codecs, "
            f"got the {kind.replace('_', '-')} codec {codec.codec_name!r}"
        )
    return codec


def _as_codecs(value: Any, expected_kind: str, argument: str) -> tuple[Codec, ...]:
    if value is None:
        return ()
    if isinstance(value, (dict, str, Codec)) or callable(getattr(value, "to_dict", None)):
        return (_as_codec(value, expected_kind, argument),)
    if not isinstance(value, Iterable):
        raise TypeError(f"{argument}: expected codecs, got {type(value).__name__}")
    return tuple(_as_codec(item, expected_kind, argument) for item in value)


def default_serializer(dtype: np.dtype) -> Codec:
    """The serialiser ``create_array`` uses for ``dtype`` when asked for "auto"."""
    if dtype.kind in "OT":
        # Variable-length strings are written by a serialiser that lives elsewhere.
        try:
            return get_codec_class("vlen-utf8")()
        except UnknownCodecError as err:
            raise ZarrcError(
                f"no serialiser for the variable-length data type {dtype} is available"
            ) from err
    return BytesCodec(endian="little" if has_endianness(dtype) else None)


def default_compressors(dtype: np.dtype) -> tuple[Codec, ...]:
    """The compressors ``create_array`` uses when asked for "auto": zstd level 0."""
    return (ZstdCodec(level=0, checksum=False),)


def normalize_codecs_for_create(
    *,
    dtype: np.dtype,
    shape: Sequence[int],
    filters: Any = "auto",
    serializer: Any = "auto",
    compressors: Any = "auto",
) -> tuple[Codec, ...]:
    """The v3 codec chain ``create_array(filters=, serializer=, compressors=)`` asks for.

    Parameters
    ----------
    dtype : numpy.dtype
        The array's data type.
    shape : sequence of int
        The chunk shape the codecs see (for sharded arrays, the shard shape).
    filters : "auto", None, Codec, dict or iterable of those, optional
        Array-to-array codecs; "auto" and None mean none.
    serializer : "auto", Codec or dict, optional
        The array-to-bytes codec; "auto" is ``BytesCodec`` (little-endian for
        multi-byte types, no endian otherwise).
    compressors : "auto", None, Codec, dict or iterable of those, optional
        Bytes-to-bytes codecs; "auto" is ``(ZstdCodec(level=0, checksum=False),)``
        and None means none.

    Returns
    -------
    tuple of Codec
        The whole chain, evolved for ``dtype`` (blosc typesize, bytes endian).

    Raises
    ------
    TypeError
        If a codec is of the wrong kind for its argument.
    MetadataError
        If a codec dict is invalid or the chain does not fit the data type and shape.
    """
    dtype = np.dtype(dtype)
    if isinstance(filters, str) and filters == "auto":
        a2a: tuple[Codec, ...] = ()
    else:
        a2a = _as_codecs(filters, "array_to_array", "filters")

    if isinstance(serializer, str) and serializer == "auto":
        a2b = default_serializer(dtype)
    elif serializer is None:
        raise TypeError("serializer: an array-to-bytes codec is required, got None")
    else:
        a2b = _as_codec(serializer, "array_to_bytes", "serializer")

    if isinstance(compressors, str) and compressors == "auto":
        b2b = default_compressors(dtype)
    else:
        b2b = _as_codecs(compressors, "bytes_to_bytes", "compressors")

    spec = ChunkSpec(shape=tuple(shape), dtype=dtype)
    return parse_codecs([*a2a, a2b, *b2b], spec).all
