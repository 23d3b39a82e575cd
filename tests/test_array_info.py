"""``info`` and chunk counts of sharded arrays, against zarr-python's."""

from __future__ import annotations

import zarr

import zarrc


def test_sharded_info_and_counts() -> None:
    """Shard shape, inner chunk shape, inner codecs and in-bounds inner chunks stored."""
    a = zarrc.create_array(
        {},
        shape=(100, 90),
        chunks=(10, 10),
        shards=(50, 50),
        dtype="i4",
        compressors=zarrc.codecs.ZstdCodec(level=1),
    )
    z = zarr.create_array(
        {},
        shape=(100, 90),
        chunks=(10, 10),
        shards=(50, 50),
        dtype="i4",
        compressors=zarr.codecs.ZstdCodec(level=1),
    )
    assert a.serializer.to_dict() == z.serializer.to_dict()
    assert [c.to_dict() for c in a.compressors] == [c.to_dict() for c in z.compressors]
    a[:50, :] = 1  # two shards: 5x5 and 5x4 inner chunks inside the array
    assert a.nchunks_initialized == 25 + 20 and a.nchunks == 90
    info = str(a.info_complete())
    assert "Shard shape        : (50, 50)" in info and "Chunk shape        : (10, 10)" in info
    assert "Shards Initialized : 2" in info
