"""Codec descriptions (JSON <-> objects), the codec registry and codec chains.

The classes mirror zarr-python 3's ``zarr.codecs``: same names, constructor
arguments, defaults and JSON.  They describe codecs; the C engine runs the
built-in ones (see :meth:`Codec.c_kernel`), and each also has a Python
implementation used for codecs without a kernel and as the engine's test oracle.

Importing this package registers the built-in codecs.
"""

from __future__ import annotations

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
from zarrc.codecs.numcodecs.filters_delta import DeltaCodec
from zarrc.codecs.numcodecs.filters_fixedscaleoffset import FixedScaleOffsetCodec
from zarrc.codecs.numcodecs.filters_packbits import PackBitsCodec
from zarrc.codecs.numcodecs.filters_quantize import QuantizeCodec
from zarrc.codecs.numcodecs.filters_shuffle import ShuffleCodec
from zarrc.codecs.numcodecs.generic import NumcodecsCodec
from zarrc.codecs.numcodecs.lz4 import LZ4Codec
from zarrc.codecs.numcodecs.lzma import LZMACodec
from zarrc.codecs.numcodecs.zlib import ZlibCodec
from zarrc.codecs.registry import (
    codec_from_dict,
    get_codec_class,
    register_codec,
    registered_codecs,
)
from zarrc.codecs.sharding import ShardingCodec, ShardingCodecIndexLocation
from zarrc.codecs.transpose import TransposeCodec
from zarrc.codecs.v2_chain import codec_to_v2_config, v2_codec_chain, v2_to_codecs
from zarrc.codecs.vlen_bytes import VLenBytesCodec
from zarrc.codecs.vlen_utf8 import VLenUTF8Codec
from zarrc.codecs.zstd import ZstdCodec

__all__ = [
    "Adler32Codec",
    "ArrayArrayCodec",
    "ArrayBytesCodec",
    "AsTypeCodec",
    "BZ2Codec",
    "BitRoundCodec",
    "BloscCname",
    "BloscCodec",
    "BloscShuffle",
    "BytesBytesCodec",
    "BytesCodec",
    "CRC32Codec",
    "CategorizeCodec",
    "ChunkSpec",
    "Codec",
    "CodecChainSpec",
    "CodecKind",
    "Crc32cCodec",
    "DeltaCodec",
    "Endian",
    "FixedScaleOffsetCodec",
    "Fletcher32Codec",
    "GzipCodec",
    "JenkinsLookup3Codec",
    "LZ4Codec",
    "LZMACodec",
    "NumcodecsCRC32CCodec",
    "NumcodecsCodec",
    "PackBitsCodec",
    "QuantizeCodec",
    "ShardingCodec",
    "ShardingCodecIndexLocation",
    "ShuffleCodec",
    "TransposeCodec",
    "VLenBytesCodec",
    "VLenUTF8Codec",
    "ZlibCodec",
    "ZstdCodec",
    "codec_from_dict",
    "codec_to_v2_config",
    "get_codec_class",
    "normalize_codecs_for_create",
    "parse_codecs",
    "register_codec",
    "registered_codecs",
    "v2_codec_chain",
    "v2_to_codecs",
]
