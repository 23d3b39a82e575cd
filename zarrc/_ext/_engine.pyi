"""Type stubs of the compiled marshalling layer (zarrc/_ext/_engine.pyx)."""

from typing import Any

import numpy as np

OK: int
ENOMEM: int
ECORRUPT: int
ECHECKSUM: int
ESIZE: int
EIO: int
EINVAL: int
EOVERFLOW: int
ECODEC: int
ESHARD: int

class EngineError(Exception):
    code: int
    sys_errno: int
    chunk: int
    codec: str
    msg: str
    def __init__(self, code: int, sys_errno: int, chunk: int, codec: str, msg: str) -> None: ...

class Plan:
    def __init__(
        self,
        shape: tuple[int, ...] | None = None,
        chunk_shape: tuple[int, ...] | None = None,
        dims: list[tuple[int, int, int] | np.ndarray] | tuple[Any, ...] | None = None,
    ) -> None: ...
    @staticmethod
    def points(
        shape: tuple[int, ...], chunk_shape: tuple[int, ...], coords: np.ndarray
    ) -> Plan: ...
    @property
    def nchunks(self) -> int: ...
    def chunk_coords(self) -> np.ndarray: ...
    def full_mask(self) -> np.ndarray: ...

class Chain:
    def __init__(
        self,
        chunk_shape: tuple[int, ...],
        itemsize: int,
        swap: int,
        order: tuple[int, ...] | None,
        b2b: list[dict[str, Any]],
        fill: bytes,
    ) -> None: ...
    @property
    def nbytes(self) -> int: ...
    @property
    def max_encoded(self) -> int: ...

def set_threads(n: int) -> None: ...
def get_threads() -> int: ...
def read(
    plan: Plan,
    chain: Chain,
    out: np.ndarray,
    local: tuple[bytes, bytes, bytes, bool] | None = None,
    buffers: list[bytes | np.ndarray | None] | None = None,
) -> None: ...
def read_sharded(
    plan: Plan,
    inner: Chain,
    layout: tuple[tuple[int, ...], int, bool, bool, bool],
    out: np.ndarray,
    local: tuple[bytes, bytes, bytes, bool],
) -> None: ...
def write(
    plan: Plan,
    chain: Chain,
    value: np.ndarray,
    local: tuple[bytes, bytes, bytes, bool] | None = None,
    existing: list[bytes | np.ndarray | None] | None = None,
    write_empty: bool = False,
) -> list[bytes | None] | None: ...
def crc32c(data: Any, crc: int = 0) -> int: ...
def shard_index(
    raw: Any,
    layout: tuple[tuple[int, ...], int, bool, bool, bool],
    shard_size: int | None,
    max_inner: int | None = None,
) -> tuple[np.ndarray, np.ndarray]: ...
def all_equal(data: Any, value: bytes) -> bool: ...
