"""Metadata documents (``zarr.json``; later ``.zarray``/``.zgroup``): parse, validate, write.

This package never performs I/O: it turns document bytes into frozen metadata
objects and back.
"""

from zarrc.metadata.chunk_key_encoding import ChunkKeyEncoding, parse_chunk_key_encoding
from zarrc.metadata.v3 import (
    ZARR_JSON,
    ArrayMetadataV3,
    GroupMetadataV3,
    load_json_object,
    parse_array_metadata_v3,
    parse_codec_entries,
    parse_group_metadata_v3,
    parse_metadata_v3,
)

__all__ = [
    "ZARR_JSON",
    "ArrayMetadataV3",
    "ChunkKeyEncoding",
    "GroupMetadataV3",
    "load_json_object",
    "parse_array_metadata_v3",
    "parse_chunk_key_encoding",
    "parse_codec_entries",
    "parse_group_metadata_v3",
    "parse_metadata_v3",
]
