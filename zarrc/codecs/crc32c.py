"""The ``crc32c`` codec: appends a little-endian CRC32C (Castagnoli) of the data.

The checksum here is a table-driven numpy implementation, independent of the
C engine's, so that it can serve as the engine's test oracle.  Long inputs are
split into equal lanes whose CRCs numpy computes side by side; the lane CRCs
are then folded together using the linearity of the CRC register update.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from zarrc._ext._engine import B2B_CRC32C
from zarrc.codecs._base import (
    BytesBytesCodec,
    ChunkSpec,
    as_uint8,
    parse_named_configuration,
)
from zarrc.codecs.registry import register_codec
from zarrc.errors import ChecksumError, CorruptChunkError

__all__ = ["Crc32cCodec", "crc32c"]

_POLY = 0x82F63B78  # Castagnoli polynomial, bit-reversed
_MASK = 0xFFFFFFFF
# Below this many bytes a plain loop beats setting up the lanes.
_LANE_THRESHOLD = 4096


def _make_table() -> np.ndarray:
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(_POLY), table >> 1)
    return table.astype(np.uint32)


_TABLE = _make_table()
_TABLE_LIST = [int(v) for v in _TABLE]


def _update_bytes(state: int, data: bytes) -> int:
    """Advance the CRC register over ``data`` one byte at a time."""
    table = _TABLE_LIST
    for byte in data:
        state = table[(state ^ byte) & 0xFF] ^ (state >> 8)
    return state


def _advance(states: np.ndarray, column: np.ndarray | int) -> np.ndarray:
    """One register step for every lane (``column`` holds each lane's next byte)."""
    return _TABLE[(states ^ column) & 0xFF] ^ (states >> 8)


def _update_lanes(state: int, data: np.ndarray) -> int:
    """Advance the CRC register over ``data`` (a uint8 array) using numpy lanes."""
    n = data.size
    lanes = max(256, min(16384, 1 << (math.isqrt(n).bit_length())))
    width = n // lanes
    body = data[: lanes * width].reshape(lanes, width).T.copy()  # row j: byte j of each lane

    # Each lane's register as if it started from zero; the first lane carries `state`.
    states = np.zeros(lanes, dtype=np.uint32)
    states[0] = state
    for j in range(width):
        states = _advance(states, body[j])

    # The register update is linear, so "feed `width` zero bytes" is a linear map;
    # tabulate it per byte of the register from its images of the 32 basis vectors.
    basis = np.uint32(1) << np.arange(32, dtype=np.uint32)
    for _ in range(width):
        basis = _advance(basis, 0)
    values = np.arange(256, dtype=np.uint32)
    shift_tables = []
    for byte_pos in range(4):
        table = np.zeros(256, dtype=np.uint32)
        for bit in range(8):
            table ^= np.where((values >> bit) & 1, basis[8 * byte_pos + bit], np.uint32(0))
        shift_tables.append([int(v) for v in table])
    t0, t1, t2, t3 = shift_tables

    folded = int(states[0])
    for lane_state in states[1:].tolist():
        folded = (
            t0[folded & 0xFF]
            ^ t1[(folded >> 8) & 0xFF]
            ^ t2[(folded >> 16) & 0xFF]
            ^ t3[folded >> 24]
            ^ lane_state
        )
    return _update_bytes(folded, data[lanes * width :].tobytes())


def crc32c(data: Any, crc: int = 0) -> int:
    """The CRC32C (Castagnoli) of ``data``.

    Parameters
    ----------
    data : bytes-like or numpy.ndarray
        The bytes to checksum.
    crc : int, optional
        A previous result, to continue a running checksum over several pieces.

    Returns
    -------
    int
        The checksum, as in RFC 3720 (iSCSI) and the zarr ``crc32c`` codec.
    """
    buf = as_uint8(data)
    state = ~crc & _MASK
    if buf.size < _LANE_THRESHOLD:
        state = _update_bytes(state, buf.tobytes())
    else:
        state = _update_lanes(state, buf)
    return ~state & _MASK


@dataclass(frozen=True, eq=False)
class Crc32cCodec(BytesBytesCodec):
    """Append a CRC32C checksum to each chunk and verify it when reading."""

    codec_name: ClassVar[str] = "crc32c"
    is_fixed_size: ClassVar[bool] = True

    def __init__(self) -> None:
        pass

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Crc32cCodec:
        """Build from ``{"name": "crc32c"}`` (an empty configuration is allowed)."""
        parse_named_configuration(data, ("crc32c",), keys=frozenset(), require_configuration=False)
        return cls()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"name": "crc32c"}

    def compute_encoded_size(self, input_byte_length: int, spec: ChunkSpec) -> int:
        """Four bytes more than the input."""
        return input_byte_length + 4

    def c_kernel(self) -> dict[str, Any]:
        """The ``zc_b2b_codec`` fields for crc32c."""
        return {
            "kind": B2B_CRC32C,
            "level": 0,
            "checksum": 0,
            "shuffle": 0,
            "typesize": 0,
            "blocksize": 0,
            "cname": "",
        }

    def encode(self, data: Any, spec: ChunkSpec) -> bytes:
        """The data followed by its CRC32C, little-endian."""
        buf = as_uint8(data)
        return buf.tobytes() + crc32c(buf).to_bytes(4, "little")

    def decode(self, data: Any, spec: ChunkSpec) -> bytes:
        """The data without its checksum, after verifying it."""
        buf = as_uint8(data)
        if buf.size < 4:
            raise CorruptChunkError(
                f"a crc32c-checked chunk has at least 4 bytes, got {buf.size}",
                codec=self.codec_name,
            )
        payload = buf[:-4]
        stored = int.from_bytes(buf[-4:].tobytes(), "little")
        computed = crc32c(payload)
        if stored != computed:
            raise ChecksumError(
                f"crc32c mismatch: stored {stored:#010x}, computed {computed:#010x}",
                codec=self.codec_name,
            )
        return payload.tobytes()


register_codec("crc32c", Crc32cCodec)
