"""Codec descriptions (JSON <-> objects), the codec registry and codec chains.

The classes mirror zarr-python 3's ``zarr.codecs``: same names, constructor
arguments, defaults and JSON.  They describe codecs; the C engine runs the
built-in ones (see :meth:`Codec.c_kernel`), and each also has a Python
implementation used for codecs without a kernel and as the engine's test oracle.

Importing this package registers the built-in codecs.  ``ShardingCodec`` lives in
:mod:`zarrc.sharding` and is loaded on first access.
"""

from __future__ import annotations

from typing import Any

from zarrc.codecs._base import (
    ArrayArrayCodec,
    ArrayBytesCodec,
    BytesBytesCodec,
    ChunkSpec,
    Codec,
    CodecKind,
)
from zarrc.codecs.blosc import BloscCname, BloscCodec, BloscShuffle
from zarrc.codecs.bytes import BytesCodec, Endian
from zarrc.codecs.chain import CodecChainSpec, normalize_codecs_for_create, parse_codecs
from zarrc.codecs.crc32c import Crc32cCodec
from zarrc.codecs.gzip import GzipCodec
from zarrc.codecs.registry import (
    codec_from_dict,
    get_codec_class,
    register_codec,
    registered_codecs,
)
from zarrc.codecs.transpose import TransposeCodec
from zarrc.codecs.vlen_bytes import VLenBytesCodec
from zarrc.codecs.vlen_utf8 import VLenUTF8Codec
from zarrc.codecs.zstd import ZstdCodec

__all__ = [
    "ArrayArrayCodec",
    "ArrayBytesCodec",
    "BloscCname",
    "BloscCodec",
    "BloscShuffle",
    "BytesBytesCodec",
    "BytesCodec",
    "ChunkSpec",
    "Codec",
    "CodecChainSpec",
    "CodecKind",
    "Crc32cCodec",
    "Endian",
    "GzipCodec",
    "ShardingCodec",
    "ShardingCodecIndexLocation",
    "TransposeCodec",
    "VLenBytesCodec",
    "VLenUTF8Codec",
    "ZstdCodec",
    "codec_from_dict",
    "get_codec_class",
    "normalize_codecs_for_create",
    "parse_codecs",
    "register_codec",
    "registered_codecs",
]

# Names served by zarrc.sharding, which itself builds on this package.
_FROM_SHARDING = frozenset({"ShardingCodec", "ShardingCodecIndexLocation"})


def __getattr__(name: str) -> Any:
    if name in _FROM_SHARDING:
        from zarrc import sharding

        return getattr(sharding, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
