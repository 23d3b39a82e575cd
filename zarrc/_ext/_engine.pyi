"""Type stubs of the compiled marshalling layer (zarrc/_ext/_engine.pyx)."""

from typing import Any, Final

import numpy as np
import numpy.typing as npt
from typing_extensions import Buffer

# status codes, mirrored from zc_common.h
OK: Final[int]
ENOMEM: Final[int]
ECORRUPT: Final[int]
ECHECKSUM: Final[int]
ESIZE: Final[int]
EIO: Final[int]
EINVAL: Final[int]
EOVERFLOW: Final[int]
ECODEC: Final[int]
ESHARD: Final[int]
EESCAPE: Final[int]

B2B_BLOSC: int
B2B_GZIP: int
B2B_ZSTD: int
B2B_CRC32C: int
B2B_ZLIB: int
B2B_LZ4: int

MAXDIM: int
MAX_B2B: int

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
        dims: list[tuple[int, int, int] | npt.ArrayLike]
        | tuple[tuple[int, int, int] | npt.ArrayLike, ...]
        | None = None,
    ) -> None: ...
    @staticmethod
    def points(
        shape: tuple[int, ...], chunk_shape: tuple[int, ...], coords: npt.ArrayLike
    ) -> Plan: ...
    @property
    def nchunks(self) -> int: ...
    def chunk_coords(self) -> npt.NDArray[np.int64]: ...
    def full_mask(self) -> npt.NDArray[np.bool_]: ...

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

class _Buffers:
    def __init__(self, items: list[Buffer | None], n: int) -> None: ...

class ShardLayout:
    ndim: int
    n_inner: int
    def __init__(
        self,
        chunks_per_shard: tuple[int, ...],
        index_nbytes: int,
        index_at_start: bool,
        index_crc: bool,
        index_big_endian: bool,
    ) -> None: ...

class LocalRoot:
    path: str | None
    dev: int
    ino: int
    def __init__(
        self, path_or_fd: str | int, fsync: bool = False, openat2: bool = True
    ) -> None: ...
    def fileno(self) -> int: ...
    @property
    def fsync(self) -> bool: ...
    @property
    def uses_openat2(self) -> bool: ...

class LocalChunks:
    root: LocalRoot
    def __init__(self, root: LocalRoot, prefix: bytes, sep: bytes, key0: bytes) -> None: ...

class FileLock:
    def release(self) -> None: ...

def file_lock(root: LocalRoot, key: str) -> FileLock: ...
def file_get(root: LocalRoot, key: str, kind: int = 0, a: int = 0, b: int = 0) -> bytes | None: ...
def file_size(root: LocalRoot, key: str) -> int: ...
def file_set(root: LocalRoot, key: str, data: Buffer, exclusive: bool = False) -> bool: ...
def file_delete(root: LocalRoot, key: str) -> None: ...
def file_check(root: LocalRoot, key: str) -> None: ...
def set_threads(n: int) -> None: ...
def get_threads() -> int: ...
def read(
    plan: Plan,
    chain: Chain,
    out: npt.NDArray[Any],
    local: LocalChunks | None = None,
    buffers: list[Buffer | None] | None = None,
) -> None: ...
def read_sharded(
    plan: Plan,
    inner: Chain,
    layout: ShardLayout,
    out: npt.NDArray[Any],
    local: LocalChunks,
) -> None: ...
def write(
    plan: Plan,
    chain: Chain,
    value: npt.NDArray[Any],
    local: LocalChunks | None = None,
    existing: list[Buffer | None] | None = None,
    write_empty: bool = False,
) -> list[bytes | None] | None: ...
def crc32c(data: Buffer, crc: int = 0) -> int: ...
def shard_index(
    raw: Buffer,
    layout: ShardLayout,
    shard_size: int | None,
    max_inner: int | None = None,
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]: ...
def all_equal(data: Buffer, value: bytes) -> bool: ...
