"""Benchmark adapters: one class per Zarr implementation, all with the same small interface.

Every adapter writes the same Zarr v3 metadata (see `zarr_metadata`), so each can read the
arrays the others wrote; `run.py --check` verifies that.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import math
import os
import subprocess
from abc import ABC, abstractmethod
from itertools import product
from typing import Any

import numpy as np

CODECS = ("zstd1", "blosc-lz4", "none")
IMPL_NAMES = ("zarrc", "zarr", "zarrs", "tensorstore")

Slices = tuple[slice, ...]


class ImplUnavailable(Exception):
    """The implementation cannot be imported or lacks the API the benchmark needs."""


def n_cores() -> int:
    """Cores this process may run on (affinity-aware)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def dist_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


# ---------------------------------------------------------------------------------------------
# Data and metadata shared by every implementation


def _upsample(a: np.ndarray, axis: int, n: int) -> np.ndarray:
    """Linear interpolation of `a` along `axis` to `n` samples."""
    m = a.shape[axis]
    x = np.linspace(0, m - 1, n)
    i0 = np.minimum(x.astype(np.intp), m - 2)
    shape = [1] * a.ndim
    shape[axis] = n
    w = (x - i0).astype(np.float32).reshape(shape)
    return np.take(a, i0, axis=axis) * (1 - w) + np.take(a, i0 + 1, axis=axis) * w


def make_data(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Deterministic uint16 test data: smooth noise (cell 32) in 0..512 plus 2 bits of noise.

    Compresses about 2x with zstd-1, like a 10-bit sensor image; identical for a given
    shape and seed on every machine.
    """
    rng = np.random.default_rng(seed)
    field = rng.standard_normal(tuple(s // 32 + 2 for s in shape)).astype(np.float32)
    for axis, n in enumerate(shape):
        field = _upsample(field, axis, n)
    field -= field.min()
    field *= 512.0 / max(float(field.max()), 1e-6)
    out = field.astype(np.uint16)
    del field
    out += rng.integers(0, 4, size=shape, dtype=np.uint16)
    return out


def codec_chain(codec: str, typesize: int = 2) -> list[dict[str, Any]]:
    """The Zarr v3 `codecs` list for a benchmark codec name."""
    chain: list[dict[str, Any]] = [{"name": "bytes", "configuration": {"endian": "little"}}]
    if codec == "zstd1":
        chain.append({"name": "zstd", "configuration": {"level": 1, "checksum": False}})
    elif codec == "blosc-lz4":
        blosc = {
            "cname": "lz4",
            "clevel": 5,
            "shuffle": "shuffle",
            "typesize": typesize,
            "blocksize": 0,
        }
        chain.append({"name": "blosc", "configuration": blosc})
    elif codec != "none":
        raise ValueError(f"unknown codec {codec!r}; expected one of {CODECS}")
    return chain


def zarr_metadata(
    shape: tuple[int, ...], chunks: tuple[int, ...], dtype: str, codec: str
) -> dict[str, Any]:
    """The zarr.json every adapter must produce (modulo optional keys at their defaults)."""
    return {
        "zarr_format": 3,
        "node_type": "array",
        "shape": list(shape),
        "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(chunks)}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0,
        "codecs": codec_chain(codec, np.dtype(dtype).itemsize),
    }


def normalise_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    """Fill optional zarr.json keys with their spec defaults so equal metadata compares equal."""
    m = dict(meta)
    if not m.get("attributes"):
        m.pop("attributes", None)
    if not m.get("storage_transformers"):
        m.pop("storage_transformers", None)
    if m.get("dimension_names") is None:
        m.pop("dimension_names", None)
    cke = dict(m.get("chunk_key_encoding", {}))
    if cke.get("name") == "default":
        cke["configuration"] = {"separator": "/", **cke.get("configuration", {})}
    m["chunk_key_encoding"] = cke
    return m


def chunk_slices(
    chunk_idx: tuple[int, ...], shape: tuple[int, ...], chunks: tuple[int, ...]
) -> Slices:
    return tuple(
        slice(i * c, min((i + 1) * c, s)) for i, c, s in zip(chunk_idx, chunks, shape, strict=True)
    )


def chunk_grid(shape: tuple[int, ...], chunks: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Every chunk index in C order."""
    return list(product(*(range(math.ceil(s / c)) for s, c in zip(shape, chunks, strict=True))))


# ---------------------------------------------------------------------------------------------
# Adapters


class Impl(ABC):
    """One Zarr implementation. `create` or `open` binds an array; the rest act on it."""

    name: str
    shape: tuple[int, ...]
    chunks: tuple[int, ...]

    @abstractmethod
    def create(
        self, path: str, shape: tuple[int, ...], chunks: tuple[int, ...], dtype: str, codec: str
    ) -> None: ...

    @abstractmethod
    def open(self, path: str) -> None: ...

    @abstractmethod
    def write_all(self, data: np.ndarray) -> None: ...

    @abstractmethod
    def read_all(self) -> np.ndarray: ...

    @abstractmethod
    def read_point(self, idx: tuple[int, ...]) -> Any: ...

    @abstractmethod
    def read_box(self, slices: Slices) -> np.ndarray: ...

    def read_chunk(self, chunk_idx: tuple[int, ...]) -> np.ndarray:
        return self.read_box(chunk_slices(chunk_idx, self.shape, self.chunks))

    @abstractmethod
    def versions(self) -> dict[str, str | None]: ...

    @abstractmethod
    def threads(self) -> dict[str, Any]:
        """The thread/concurrency settings this implementation runs with."""


class ZarrAPIImpl(Impl):
    """Any library with the zarr-python 3 API (`create_array`, `open_array`, `codecs.*`)."""

    name = "zarr"
    module = "zarr"

    def __init__(self) -> None:
        try:
            self.zarr = importlib.import_module(self.module)
        except Exception as e:
            raise ImplUnavailable(f"import {self.module} failed: {type(e).__name__}: {e}") from e
        missing = [
            a
            for a in ("create_array", "open_array", "codecs", "config")
            if not hasattr(self.zarr, a)
        ]
        codecs = getattr(self.zarr, "codecs", None)
        missing += [
            f"codecs.{c}"
            for c in ("BytesCodec", "ZstdCodec", "BloscCodec")
            if codecs is not None and not hasattr(codecs, c)
        ]
        if missing:
            raise ImplUnavailable(f"{self.module} lacks {', '.join(missing)}")
        self.arr: Any = None
        self.configure()

    def configure(self) -> None:
        """Hook for per-implementation settings (done once, before any array is touched)."""

    def _codec_kwargs(self, codec: str, typesize: int) -> dict[str, Any]:
        c = self.zarr.codecs
        compressors: Any
        if codec == "zstd1":
            compressors = [c.ZstdCodec(level=1, checksum=False)]
        elif codec == "blosc-lz4":
            compressors = [
                c.BloscCodec(
                    cname="lz4", clevel=5, shuffle="shuffle", typesize=typesize, blocksize=0
                )
            ]
        elif codec == "none":
            compressors = None
        else:
            raise ValueError(codec)
        return {
            "compressors": compressors,
            "serializer": c.BytesCodec(endian="little"),
            "filters": None,
        }

    def _bind(self, arr: Any) -> None:
        self.arr = arr
        self.shape = tuple(arr.shape)
        self.chunks = tuple(arr.chunks)

    def create(
        self, path: str, shape: tuple[int, ...], chunks: tuple[int, ...], dtype: str, codec: str
    ) -> None:
        kw = self._codec_kwargs(codec, np.dtype(dtype).itemsize)
        self._bind(
            self.zarr.create_array(
                path, shape=shape, chunks=chunks, dtype=dtype, fill_value=0, overwrite=True, **kw
            )
        )

    def open(self, path: str) -> None:
        self._bind(self.zarr.open_array(path, mode="r"))

    def write_all(self, data: np.ndarray) -> None:
        self.arr[...] = data

    def read_all(self) -> np.ndarray:
        return self.arr[...]

    def read_point(self, idx: tuple[int, ...]) -> Any:
        return self.arr[idx]

    def read_box(self, slices: Slices) -> np.ndarray:
        return self.arr[slices]

    def versions(self) -> dict[str, str | None]:
        return {
            self.module: getattr(self.zarr, "__version__", None) or dist_version(self.module),
            "numcodecs": dist_version("numcodecs"),
        }

    def threads(self) -> dict[str, Any]:
        cfg = self.zarr.config
        max_workers = cfg.get("threading.max_workers", None)
        info: dict[str, Any] = {
            "codec_pipeline.path": cfg.get("codec_pipeline.path", None),
            "async.concurrency": cfg.get("async.concurrency", None),
            "threading.max_workers": max_workers,
            # concurrent.futures default when max_workers is None
            "codec_threads": max_workers or min(32, (os.cpu_count() or 1) + 4),
        }
        try:
            import numcodecs.blosc

            info["numcodecs.blosc.nthreads"] = numcodecs.blosc.get_nthreads()
            info["numcodecs.blosc.use_threads"] = numcodecs.blosc.use_threads
        except Exception:  # noqa: BLE001 - informational only
            pass
        return info


class ZarrcImpl(ZarrAPIImpl):
    """zarrc through its zarr-python-compatible API."""

    name = "zarrc"
    module = "zarrc"

    def versions(self) -> dict[str, str | None]:
        v = super().versions()
        v.pop("numcodecs", None)
        src = os.path.dirname(os.path.abspath(self.zarr.__file__))
        try:
            v["zarrc.git"] = subprocess.run(
                ["git", "-C", src, "describe", "--always", "--dirty"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout.strip()
        except Exception:  # noqa: BLE001 - not a git checkout
            v["zarrc.git"] = None
        return v

    def threads(self) -> dict[str, Any]:
        cfg = self.zarr.config
        info: dict[str, Any] = {"ZARRC_THREADS": os.environ.get("ZARRC_THREADS")}
        for key in ("threads", "async.concurrency"):
            try:
                info[key] = cfg.get(key, None)
            except Exception as e:  # noqa: BLE001 - config API still settling
                info[key] = f"unavailable ({type(e).__name__})"
        return info


class ZarrsImpl(ZarrAPIImpl):
    """zarr-python with the zarrs (Rust) codec pipeline; strict, so no silent fallback."""

    name = "zarrs"

    def configure(self) -> None:
        try:
            import zarrs  # noqa: F401
        except Exception as e:
            raise ImplUnavailable(f"import zarrs failed: {type(e).__name__}: {e}") from e
        self.zarr.config.set(
            {"codec_pipeline.path": "zarrs.ZarrsCodecPipeline", "codec_pipeline.strict": True}
        )

    def _bind(self, arr: Any) -> None:
        pipeline = type(arr._async_array.codec_pipeline).__name__
        if pipeline != "ZarrsCodecPipeline":
            raise RuntimeError(f"zarrs pipeline not in use (got {pipeline})")
        super()._bind(arr)

    def versions(self) -> dict[str, str | None]:
        return {**super().versions(), "zarrs": dist_version("zarrs")}

    def threads(self) -> dict[str, Any]:
        cfg = self.zarr.config
        return {
            "codec_pipeline.path": cfg.get("codec_pipeline.path", None),
            "codec_pipeline.strict": cfg.get("codec_pipeline.strict", None),
            "codec_pipeline.chunk_concurrent_minimum": cfg.get(
                "codec_pipeline.chunk_concurrent_minimum", None
            ),
            "codec_pipeline.chunk_concurrent_maximum": cfg.get(
                "codec_pipeline.chunk_concurrent_maximum", None
            ),
            "codec_pipeline.direct_io": cfg.get("codec_pipeline.direct_io", False),
            "threading.max_workers (rayon threads)": cfg.get("threading.max_workers", None),
            "RAYON_NUM_THREADS": os.environ.get("RAYON_NUM_THREADS"),
            "rayon_threads": cfg.get("threading.max_workers", None) or n_cores(),
        }


class TensorstoreImpl(Impl):
    """tensorstore `zarr3` driver on the `file` kvstore, cache off, no fsync."""

    name = "tensorstore"

    def __init__(self) -> None:
        try:
            import tensorstore as ts
        except Exception as e:
            raise ImplUnavailable(f"import tensorstore failed: {type(e).__name__}: {e}") from e
        self.ts = ts
        cores = n_cores()
        self.context_spec: dict[str, Any] = {
            # No chunk cache: every read goes to the files, as for the other implementations.
            "cache_pool": {"total_bytes_limit": 0},
            "data_copy_concurrency": {"limit": cores},
            "file_io_concurrency": {"limit": max(4, cores)},
            # tensorstore fsyncs every write by default; the others do not.
            "file_io_sync": False,
        }
        self.ctx = ts.Context(self.context_spec)
        self.arr: Any = None

    def _spec(self, path: str) -> dict[str, Any]:
        return {"driver": "zarr3", "kvstore": {"driver": "file", "path": path}}

    def _bind(self, arr: Any) -> None:
        self.arr = arr
        self.shape = tuple(int(s) for s in arr.shape)
        self.chunks = tuple(int(c) for c in arr.chunk_layout.read_chunk.shape)

    def create(
        self, path: str, shape: tuple[int, ...], chunks: tuple[int, ...], dtype: str, codec: str
    ) -> None:
        spec = {**self._spec(path), "metadata": zarr_metadata(shape, chunks, dtype, codec)}
        self._bind(self.ts.open(spec, create=True, delete_existing=True, context=self.ctx).result())

    def open(self, path: str) -> None:
        self._bind(self.ts.open(self._spec(path), open=True, read=True, context=self.ctx).result())

    def write_all(self, data: np.ndarray) -> None:
        self.arr.write(data).result()

    def read_all(self) -> np.ndarray:
        return self.arr.read().result()

    def read_point(self, idx: tuple[int, ...]) -> Any:
        return self.arr[idx].read().result()

    def read_box(self, slices: Slices) -> np.ndarray:
        return self.arr[slices].read().result()

    def versions(self) -> dict[str, str | None]:
        return {"tensorstore": dist_version("tensorstore")}

    def threads(self) -> dict[str, Any]:
        return {"context": self.context_spec}


ADAPTERS: dict[str, type[Impl]] = {
    "zarrc": ZarrcImpl,
    "zarr": ZarrAPIImpl,
    "zarrs": ZarrsImpl,
    "tensorstore": TensorstoreImpl,
}


def get_impl(name: str) -> Impl:
    """Instantiate an adapter; raises ImplUnavailable with a one-line reason."""
    try:
        cls = ADAPTERS[name]
    except KeyError:
        raise ImplUnavailable(f"unknown implementation {name!r}; known: {IMPL_NAMES}") from None
    return cls()
