"""The ``sharding_indexed`` codec: shards holding inner chunks behind an index."""

from zarrc.codecs.sharding.codec import (
    EMPTY,
    ShardIndex,
    ShardingCodec,
    ShardingCodecIndexLocation,
    assemble_shard,
    encode_index,
    layout_order,
    parse_index,
)

__all__ = [
    "EMPTY",
    "ShardIndex",
    "ShardingCodec",
    "ShardingCodecIndexLocation",
    "assemble_shard",
    "encode_index",
    "layout_order",
    "parse_index",
]
