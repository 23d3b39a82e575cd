"""A Zarr v2 array's filters and compressor as an equivalent zarrc codec chain.

Zarr v2 (and zarr-python 3 writing format 2) encodes a chunk as: the elements
in their stored dtype (with its byte order) laid out in the array's memory
``order``; each filter in turn, numcodecs viewing the data as the flat buffer
of that layout; then the compressor.  The same bytes come out of the chain

1. ``transpose`` with the reversed axes when ``order`` is ``"F"`` (the Fortran
   order bytes of a chunk are the C order bytes of its transpose), so that
   filters see the elements in the order numcodecs sees them;
2. the filters that work on elements (delta, fixedscaleoffset, quantize,
   bitround, packbits, astype, categorize) as array-to-array codecs that know
   the stored dtype of their input;
3. the serialiser: ``bytes`` in the stored byte order, or the ``vlen-*``
   object codec of an object array;
4. filters that work on bytes (shuffle, checksums, a compressor used as a
   filter, any id only numcodecs knows) and then the compressor, as
   bytes-to-bytes codecs.

blosc, zstd, gzip, zlib, lz4 and a trailing crc32c have C kernels, so an array
with no element filters runs entirely in the engine.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from zarrc.codecs._base import ChunkSpec, Codec
from zarrc.codecs.blosc import BloscCname, BloscCodec, BloscShuffle
from zarrc.codecs.bytes import BytesCodec
from zarrc.codecs.chain import CodecChainSpec, parse_codecs
from zarrc.codecs.crc32c import Crc32cCodec
from zarrc.codecs.gzip import GzipCodec
from zarrc.codecs.numcodecs.bz2 import BZ2Codec
from zarrc.codecs.numcodecs.checksums import (
    Adler32Codec,
    CRC32Codec,
    Fletcher32Codec,
    JenkinsLookup3Codec,
    NumcodecsCRC32CCodec,
)
from zarrc.codecs.numcodecs.filters_astype import AsTypeCodec
from zarrc.codecs.numcodecs.filters_bitround import BitRoundCodec
from zarrc.codecs.numcodecs.filters_categorize import CategorizeCodec
from zarrc.codecs.numcodecs.filters_common import NumcodecsFilter, memory_dtype
from zarrc.codecs.numcodecs.filters_delta import DeltaCodec
from zarrc.codecs.numcodecs.filters_fixedscaleoffset import FixedScaleOffsetCodec
from zarrc.codecs.numcodecs.filters_packbits import PackBitsCodec
from zarrc.codecs.numcodecs.filters_quantize import QuantizeCodec
from zarrc.codecs.numcodecs.filters_shuffle import ShuffleCodec
from zarrc.codecs.numcodecs.generic import check_v2_config, generic_codec_from_v2_config
from zarrc.codecs.numcodecs.lz4 import LZ4Codec
from zarrc.codecs.numcodecs.lzma import LZMACodec
from zarrc.codecs.numcodecs.zlib import ZlibCodec
from zarrc.codecs.registry import codec_from_dict, get_codec_class
from zarrc.codecs.transpose import TransposeCodec
from zarrc.codecs.zstd import ZstdCodec
from zarrc.errors import MetadataError

if TYPE_CHECKING:
    from zarrc.metadata.v2 import ArrayMetadataV2

__all__ = [
    "codec_from_v2_config",
    "codec_to_v2_config",
    "v2_codec_chain",
    "v2_to_codecs",
]

#: Filters that work on elements, by numcodecs id.
ELEMENT_FILTERS: dict[str, type[NumcodecsFilter]] = {
    cls.codec_id: cls
    for cls in (
        DeltaCodec,
        FixedScaleOffsetCodec,
        QuantizeCodec,
        BitRoundCodec,
        PackBitsCodec,
        AsTypeCodec,
        CategorizeCodec,
    )
}

#: Bytes-to-bytes codecs implemented by zarrc, by numcodecs id.
BYTES_CODECS: dict[str, Any] = {
    cls.codec_id: cls
    for cls in (
        ZlibCodec,
        LZ4Codec,
        BZ2Codec,
        LZMACodec,
        ShuffleCodec,
        CRC32Codec,
        Adler32Codec,
        NumcodecsCRC32CCodec,
        Fletcher32Codec,
        JenkinsLookup3Codec,
    )
}

#: numcodecs ids that serialise numpy object arrays, and zarrc's codec for each.
OBJECT_CODECS = ("vlen-utf8", "vlen-bytes")

_ENDIAN = {"<": "little", ">": "big", "=": sys.byteorder}


def _fail(message: str, field: str, path: str | None) -> MetadataError:
    return MetadataError(message, path=path, field=field)


def _located(err: MetadataError, field: str, path: str | None) -> MetadataError:
    text = str(err)
    if err.field is not None:
        suffix = f" (field {err.field!r})"
        text = text.removesuffix(suffix)
    return type(err)(text, path=path, field=field)


# --------------------------------------------------------------------------------------
# one config -> one codec
# --------------------------------------------------------------------------------------
def _int(config: Mapping[str, Any], key: str, default: int) -> int:
    value = config.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise MetadataError(f"{key} must be an integer, got {value!r}", field="codecs")
    return value


def _blosc(config: Mapping[str, Any], typesize: int) -> Codec:
    unknown = sorted(set(config) - {"id", "cname", "clevel", "shuffle", "blocksize", "typesize"})
    if unknown:
        raise MetadataError(f"unknown key(s) {unknown} for numcodecs codec 'blosc'")
    if config.get("typesize") is not None:
        typesize = _int(config, "typesize", typesize)
    shuffle = _int(config, "shuffle", 1)
    try:
        if shuffle == -1:
            # numcodecs' AUTOSHUFFLE: bit shuffle for 1-byte items, byte shuffle otherwise.
            mode = BloscShuffle.bitshuffle if typesize == 1 else BloscShuffle.shuffle
        else:
            mode = BloscShuffle.from_int(shuffle)
        return BloscCodec(
            typesize=typesize,
            cname=BloscCname(config.get("cname", "lz4")),
            clevel=_int(config, "clevel", 5),
            shuffle=mode,
            blocksize=_int(config, "blocksize", 0),
        )
    except (TypeError, ValueError) as err:
        raise MetadataError(f"invalid blosc config {dict(config)!r}: {err}") from err


def _zstd(config: Mapping[str, Any]) -> Codec:
    unknown = sorted(set(config) - {"id", "level", "checksum"})
    if unknown:
        raise MetadataError(f"unknown key(s) {unknown} for numcodecs codec 'zstd'")
    try:
        return ZstdCodec(level=_int(config, "level", 0), checksum=config.get("checksum", False))
    except (TypeError, ValueError) as err:
        raise MetadataError(f"invalid zstd config {dict(config)!r}: {err}") from err


def _gzip(config: Mapping[str, Any]) -> Codec:
    unknown = sorted(set(config) - {"id", "level"})
    if unknown:
        raise MetadataError(f"unknown key(s) {unknown} for numcodecs codec 'gzip'")
    try:
        return GzipCodec(level=_int(config, "level", 1))
    except (TypeError, ValueError) as err:
        raise MetadataError(f"invalid gzip config {dict(config)!r}: {err}") from err


def codec_from_v2_config(config: Mapping[str, Any], *, typesize: int = 1) -> Codec:
    """The bytes-to-bytes codec for a numcodecs config (a v2 compressor or byte filter).

    Parameters
    ----------
    config : mapping
        ``{"id": ..., ...}``.
    typesize : int, optional
        The item size of the data the codec sees, which blosc shuffles by unless
        the config says otherwise.

    Returns
    -------
    Codec
        zarrc's codec for blosc, zstd, gzip, zlib, lz4, bz2, lzma, shuffle and the
        checksums; for any other id, a codec that runs through numcodecs.

    Raises
    ------
    MetadataError
        If the config is invalid; ``UnknownCodecError`` if only numcodecs knows
        the id and it is not installed (or does not know it either).
    """
    body = check_v2_config(config)
    codec_id = body["id"]
    if codec_id == "blosc":
        return _blosc(body, typesize)
    if codec_id == "zstd":
        return _zstd(body)
    if codec_id == "gzip":
        return _gzip(body)
    cls = BYTES_CODECS.get(codec_id)
    if cls is not None:
        return cls.from_v2_config(body)  # type: ignore[no-any-return]
    return generic_codec_from_v2_config(body)


def _element_filter(config: Mapping[str, Any]) -> NumcodecsFilter:
    cls = ELEMENT_FILTERS[config["id"]]
    return cls.from_v2_config(config)  # type: ignore[return-value]


# --------------------------------------------------------------------------------------
# the chain
# --------------------------------------------------------------------------------------
def _serializer(stored: np.dtype, held: np.dtype, codecs: list[Codec]) -> Codec:
    """The ``bytes`` codec for elements stored as ``stored`` and held as ``held``.

    Structured elements whose stored fields are not in native byte order are
    first converted by an ``astype`` step appended to ``codecs``: the ``bytes``
    codec has no byte order for them.
    """
    if held.names is not None and held != stored:
        codecs.append(AsTypeCodec(encode_dtype=stored, decode_dtype=held))
    if stored.names is not None or stored.subdtype is not None or stored.byteorder == "|":
        return BytesCodec(endian=None)
    if stored.itemsize <= 1:
        return BytesCodec(endian=None)
    return BytesCodec(endian=_ENDIAN[stored.byteorder])


def v2_to_codecs(meta: ArrayMetadataV2, *, path: str | None = None) -> tuple[Codec, ...]:
    """The codec chain equivalent to a v2 array's ``order``, filters and compressor.

    Parameters
    ----------
    meta : ArrayMetadataV2
        The array's metadata.
    path : str, optional
        The ``.zarray`` document, for error messages.

    Returns
    -------
    tuple of Codec
        Array-to-array codecs, one array-to-bytes codec, bytes-to-bytes codecs,
        in encoding order (see the module docstring).  Pass them with the chunk
        spec to :func:`zarrc.codecs.parse_codecs`, or use :func:`v2_codec_chain`.

    Raises
    ------
    MetadataError
        If a filter or the compressor is invalid, or an object array has no
        object codec; ``UnknownCodecError`` if an id is unknown to zarrc and
        numcodecs is not installed.
    """
    ndim = len(meta.shape)
    codecs: list[Codec] = []
    if meta.order == "F" and ndim > 1:
        codecs.append(TransposeCodec(order=tuple(range(ndim - 1, -1, -1))))
    current = meta.stored_dtype  # stored dtype of what the next codec sees
    held = meta.dtype  # dtype the chain holds it in
    serializer: Codec | None = None
    byte_stage: list[Codec] = []
    for index, config in enumerate(meta.filters or ()):
        codec_id = config["id"]
        try:
            if serializer is None and codec_id in OBJECT_CODECS:
                serializer = get_codec_class(codec_id)()
                continue
            if serializer is None and codec_id in ELEMENT_FILTERS:
                if current.kind == "O" and codec_id != "categorize":
                    raise MetadataError(
                        f"filter {codec_id!r} cannot handle an object array before its object codec"
                    )
                element = _element_filter(config).with_stored_input(current)
                codecs.append(element)
                current = element.encoded_dtype(current)
                held = memory_dtype(current)
                continue
            if serializer is None:
                if current.kind == "O":
                    raise MetadataError(
                        f"an object array needs an object codec ({', '.join(OBJECT_CODECS)}) "
                        f"before the byte filter {codec_id!r}"
                    )
                serializer = _serializer(current, held, codecs)
            if codec_id in ELEMENT_FILTERS or codec_id in OBJECT_CODECS:
                # After the bytes stage began only numcodecs can reproduce its view of them.
                byte_stage.append(generic_codec_from_v2_config(config))
            else:
                byte_stage.append(codec_from_v2_config(config))
        except MetadataError as err:
            raise _located(err, "filters", path) from err
        except (TypeError, ValueError) as err:
            raise _fail(f"filter {index} ({codec_id!r}): {err}", "filters", path) from err
    if serializer is None:
        if current.kind == "O":
            raise _fail(
                f"an object array needs an object codec among its filters "
                f"({', '.join(OBJECT_CODECS)})",
                "filters",
                path,
            )
        serializer = _serializer(current, held, codecs)
    codecs.append(serializer)
    codecs.extend(byte_stage)
    if meta.compressor is not None:
        # numcodecs compressors shuffle by the item size of the buffer they get.
        whole_elements = not byte_stage and isinstance(serializer, BytesCodec)
        typesize = current.itemsize if whole_elements else 1
        try:
            codecs.append(codec_from_v2_config(meta.compressor, typesize=typesize))
        except MetadataError as err:
            raise _located(err, "compressor", path) from err
        except (TypeError, ValueError) as err:
            raise _fail(str(err), "compressor", path) from err
    return tuple(codecs)


def v2_codec_chain(meta: ArrayMetadataV2, *, path: str | None = None) -> CodecChainSpec:
    """:func:`v2_to_codecs` parsed into a validated chain for the array's chunks.

    The chunk spec's fill value is :attr:`ArrayMetadataV2.fill_value_or_default`.
    """
    spec = ChunkSpec(tuple(meta.chunks), meta.dtype, meta.fill_value_or_default)
    codecs = v2_to_codecs(meta, path=path)
    return parse_codecs(codecs, spec, path=path)


# --------------------------------------------------------------------------------------
# codecs -> v2 configs (creating v2 arrays)
# --------------------------------------------------------------------------------------
def codec_to_v2_config(codec: Any) -> dict[str, Any]:
    """The numcodecs config of a codec, for the ``compressor`` or ``filters`` of ``.zarray``.

    Parameters
    ----------
    codec : Codec, numcodecs codec, dict
        A zarrc codec with a numcodecs equivalent (every ``numcodecs.*`` codec,
        blosc, zstd, gzip, crc32c, vlen-utf8, vlen-bytes), a numcodecs codec
        object, a numcodecs config dict, a zarr-python codec, or the v3 JSON
        form of one of these.

    Returns
    -------
    dict
        ``{"id": ..., ...}`` as zarr-python writes it (zstd without
        ``"checksum"`` when it is false).

    Raises
    ------
    TypeError
        If the codec has no Zarr v2 form (``bytes``, ``transpose``, sharding, ...).
    """
    if isinstance(codec, Mapping):
        if "id" in codec:
            return check_v2_config(codec)
        codec = codec_from_dict(dict(codec))
    to_v2 = getattr(codec, "to_v2_config", None)
    if callable(to_v2):
        return dict(to_v2())
    if isinstance(codec, BloscCodec):
        shuffle = -1 if "shuffle" in codec._tunable_attrs else codec.shuffle.to_int()
        return {
            "id": "blosc",
            "cname": codec.cname.value,
            "clevel": codec.clevel,
            "shuffle": shuffle,
            "blocksize": codec.blocksize,
        }
    if isinstance(codec, ZstdCodec):
        config: dict[str, Any] = {"id": "zstd", "level": codec.level}
        if codec.checksum:
            config["checksum"] = True
        return config
    if isinstance(codec, GzipCodec):
        return {"id": "gzip", "level": codec.level}
    if isinstance(codec, Crc32cCodec):
        return {"id": "crc32c"}
    name = getattr(codec, "codec_name", None)
    if isinstance(codec, Codec) and name in OBJECT_CODECS:
        return {"id": name}
    get_config = getattr(codec, "get_config", None)
    if callable(get_config):
        config = dict(get_config())
        if config.get("id") == "zstd" and not config.get("checksum", False):
            config.pop("checksum", None)
        return config
    if not isinstance(codec, Codec) and callable(getattr(codec, "to_dict", None)):
        return codec_to_v2_config(codec.to_dict())
    raise TypeError(f"codec {name or codec!r} has no Zarr format 2 equivalent")
