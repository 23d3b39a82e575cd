"""Requests on sharded arrays.

The plan is made over the inner chunk grid.  A read fetches each touched
shard's index once (one suffix or prefix byte range per shard, all shards in
one batched call), validates it with the engine's validator (the one local
reads use, :func:`zarrc._ext._engine.shard_index`), then
fetches only the inner chunks the selection needs, adjacent ones coalesced
into single ranges, and hands them to the engine in one call.  A write
encodes the touched inner chunks in one engine call and reassembles each
shard; shards only partly written are read, merged and rewritten holding the
store's lock on them (:meth:`Store.lock`): across processes on local stores,
so concurrent writers of different inner chunks of one shard lose nothing;
within the process elsewhere, where writers in several processes must be
aligned to shards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from zarrc._ext import _engine
from zarrc.codecs._base import ChunkSpec
from zarrc.codecs.sharding.codec import (
    EMPTY,
    ShardIndex,
    ShardingCodec,
    ShardingCodecIndexLocation,
    assemble_shard,
    engine_index,
)
from zarrc.config import config
from zarrc.errors import CorruptShardError
from zarrc.pipeline.selection import OrthogonalSelection, PointSelection
from zarrc.storage import RangeByteRequest, SuffixByteRequest

if TYPE_CHECKING:
    from zarrc.pipeline.request import ArrayPipeline

__all__ = ["ShardPath"]

Selection = OrthogonalSelection | PointSelection


class ShardPath:
    """Reads and writes of one sharded array whose inner chunks the engine can run."""

    def __init__(
        self, pipeline: ArrayPipeline, codec: ShardingCodec, spec: ChunkSpec, chain: _engine.Chain
    ):
        self.p = pipeline
        self.codec = codec
        self.spec = spec  # of a whole shard
        self.chain = chain  # of one inner chunk
        md = pipeline.metadata
        self.shape = tuple(md.shape)
        self.inner = tuple(codec.chunk_shape)
        self.cps = np.asarray(codec.chunks_per_shard(spec), dtype=np.int64)
        self.n_inner = int(np.prod(self.cps))
        self.index_n = codec.index_nbytes(spec)
        self.at_start = codec.index_location is ShardingCodecIndexLocation.start
        self.max_inner = int(chain.max_encoded)
        # stores where a shard's size costs no round trip: validate entries against it.
        # Elsewhere an entry pointing into the index is caught by the inner codecs,
        # except for uncompressed inner chunks: ask for the size then too.
        self.sized = pipeline.store.cheap_sizes or not (codec.inner_chain(spec).bytes_to_bytes)
        # local directories: the engine reads shards itself (index, entries, inner chunks)
        self.local_keys: tuple[bytes, bytes, bytes] | None = None
        self.layout: _engine.ShardLayout | None = None
        index_layout = codec.index_layout()
        if index_layout is not None:
            self.local_keys = pipeline.native_keys()
        if self.local_keys is not None and index_layout is not None:
            endian, crc = index_layout
            self.layout = _engine.ShardLayout(
                tuple(int(c) for c in self.cps), self.index_n, self.at_start, crc, endian == "big"
            )

    # -- plan and grouping ------------------------------------------------------------------
    def _plan(self, sel: Selection) -> _engine.Plan:
        if isinstance(sel, PointSelection):
            return _engine.Plan.points(self.shape, self.inner, sel.coords)
        return _engine.Plan(self.shape, self.inner, sel.dims)

    def _group(self, plan: _engine.Plan) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """Shard keys touched, shard of each plan chunk, inner index within its shard,
        and the shard grid coordinates."""
        coords = plan.chunk_coords()
        shard_c = coords // self.cps
        within = coords - shard_c * self.cps
        lin = (
            np.ravel_multi_index(tuple(within.T), tuple(self.cps)) if len(coords) else within[:, 0]
        )
        uniq, inv = np.unique(shard_c, axis=0, return_inverse=True)
        keys = self.p.chunk_keys(uniq)
        return keys, inv.reshape(-1), np.asarray(lin, dtype=np.int64), uniq

    # -- index --------------------------------------------------------------------------------
    def _index_request(self) -> RangeByteRequest | SuffixByteRequest:
        if self.at_start:
            return RangeByteRequest(0, self.index_n)
        return SuffixByteRequest(self.index_n)

    def _parse(self, raw: bytes, key: str, size: int | None) -> ShardIndex:
        args = engine_index(raw, self.codec, self.spec, key=key, array_path=self.p.array_path)
        try:
            offsets, lengths = _engine.shard_index(*args, size, self.max_inner)
        except _engine.EngineError as exc:
            self.p.raise_engine_error(exc, key)
        return ShardIndex(offsets, lengths)

    def _read_indices(self, keys: list[str]) -> list[ShardIndex | None]:
        store = self.p.store
        raws = store.get_many(keys, [self._index_request()] * len(keys))
        out = []
        for key, raw in zip(keys, raws, strict=True):
            if raw is None:
                out.append(None)
                continue
            size = store.getsize(key) if self.sized else None
            out.append(self._parse(raw, key, size))
        return out

    # -- reads ----------------------------------------------------------------------------------
    def read(self, sel: Selection, out: np.ndarray) -> np.ndarray:
        """Read ``sel`` into ``out`` (shape ``sel.count``)."""
        plan = self._plan(sel)
        if plan.nchunks == 0:
            return out
        self.p._sync_threads()
        local = self.p.native(self.local_keys)
        if local is not None:
            try:
                _engine.read_sharded(plan, self.chain, self.layout, out, local)
            except _engine.EngineError as exc:
                keys, inv, lin, _ = self._group(plan)
                self._raise(exc, plan, keys, inv, lin)
            return out
        keys, inv, lin, _ = self._group(plan)
        indices = self._read_indices(keys)
        offs = np.full(plan.nchunks, EMPTY, dtype=np.uint64)
        lens = np.zeros(plan.nchunks, dtype=np.uint64)
        for s, idx in enumerate(indices):
            if idx is None:
                continue
            m = inv == s
            offs[m] = idx.offsets[lin[m]]
            lens[m] = idx.lengths[lin[m]]
        bufs = self._fetch(keys, inv, offs, lens)
        try:
            _engine.read(plan, self.chain, out, buffers=bufs)
        except _engine.EngineError as exc:
            self._raise(exc, plan, keys, inv, lin)
        return out

    def _fetch(
        self, keys: list[str], inv: np.ndarray, offs: np.ndarray, lens: np.ndarray
    ) -> list[bytes | None]:
        """The stored bytes of every plan chunk (None when empty), fetched as
        coalesced byte ranges in one batched call."""
        bufs: list[bytes | None] = [None] * len(offs)
        live = np.flatnonzero(offs != EMPTY)
        if not len(live):
            return bufs
        gap = int(config.get("sharding.coalesce_gap", 1 << 16))
        limit = int(config.get("sharding.coalesce_max", 64 << 20))
        order = live[np.lexsort((offs[live], inv[live]))]
        runs: list[tuple[int, int, int, list[int]]] = []  # shard, start, end, members
        for i in order.tolist():
            s, a = int(inv[i]), int(offs[i])
            b = a + int(lens[i])
            if runs and runs[-1][0] == s and a - runs[-1][2] <= gap and b - runs[-1][1] <= limit:
                r = runs[-1]
                runs[-1] = (s, r[1], max(r[2], b), r[3] + [i])
            else:
                runs.append((s, a, b, [i]))
        datas = self.p.store.get_many(
            [keys[r[0]] for r in runs], [RangeByteRequest(r[1], r[2]) for r in runs]
        )
        for (s, a, b, members), data in zip(runs, datas, strict=True):
            if data is None or len(data) != b - a:
                raise CorruptShardError(
                    f"shard is shorter than its index says: bytes {a}..{b} requested, "
                    f"{0 if data is None else len(data)} read",
                    array_path=self.p.array_path,
                    key=keys[s],
                    codec="sharding_indexed",
                )
            view = memoryview(data)
            for i in members:
                o = int(offs[i]) - a
                bufs[i] = bytes(view[o : o + int(lens[i])])
        return bufs

    def _raise(
        self, exc: Any, plan: _engine.Plan, keys: list[str], inv: np.ndarray, lin: np.ndarray
    ) -> None:
        # decode errors name the inner chunk; shard and index errors already say
        # what is wrong with which entry
        if exc.chunk >= 0 and exc.code != _engine.ESHARD and "inner chunk" not in exc.msg:
            pos = tuple(int(x) for x in np.unravel_index(int(lin[exc.chunk]), tuple(self.cps)))
            exc.msg = f"{exc.msg} (inner chunk {pos})"
        self.p._raise(exc, plan, [keys[s] for s in inv.tolist()])

    # -- writes ---------------------------------------------------------------------------------
    def _inner_in_bounds(self, shard: np.ndarray) -> int:
        n = 1
        for d, c in enumerate(shard.tolist()):
            start = c * self.cps[d] * self.inner[d]
            remaining = max(0, self.shape[d] - start)
            n *= min(int(self.cps[d]), -(-remaining // self.inner[d]))
        return n

    def write(self, sel: Selection, value: np.ndarray, *, write_empty: bool) -> None:
        """Write ``value`` (shape ``sel.count``) into ``sel``."""
        plan = self._plan(sel)
        if plan.nchunks == 0:
            return
        self.p._sync_threads()
        keys, inv, lin, uniq = self._group(plan)
        full = plan.full_mask()
        full_count = np.bincount(inv[full], minlength=len(keys)) if len(keys) else []
        partial = [s for s in range(len(keys)) if full_count[s] < self._inner_in_bounds(uniq[s])]
        with self.p.store.lock([keys[s] for s in partial]):
            old: dict[int, tuple[bytes, ShardIndex]] = {}
            if partial:
                shards = self.p.store.get_many([keys[s] for s in partial])
                for s, data in zip(partial, shards, strict=True):
                    if data is not None:
                        tail = (
                            data[: self.index_n]
                            if self.at_start
                            else data[max(0, len(data) - self.index_n) :]
                        )
                        old[s] = (data, self._parse(tail, keys[s], len(data)))
            existing: list[bytes | None] = [None] * plan.nchunks
            for i in np.flatnonzero(~full).tolist():
                entry = old.get(int(inv[i]))
                if entry is None:
                    continue
                data, idx = entry
                off = idx.offsets[lin[i]]
                if off != EMPTY:
                    existing[i] = data[int(off) : int(off) + int(idx.lengths[lin[i]])]
            try:
                results = _engine.write(
                    plan, self.chain, value, existing=existing, write_empty=write_empty
                )
            except _engine.EngineError as exc:
                self._raise(exc, plan, keys, inv, lin)
            new_shards = []
            for s in range(len(keys)):
                parts: list[Any] = [None] * self.n_inner
                if s in old:
                    data, idx = old[s]
                    view = memoryview(data)
                    for j in np.flatnonzero(idx.offsets != EMPTY).tolist():
                        o = int(idx.offsets[j])
                        parts[j] = view[o : o + int(idx.lengths[j])]
                for i in np.flatnonzero(inv == s).tolist():
                    parts[int(lin[i])] = results[i]
                new_shards.append(assemble_shard(parts, self.codec, self.spec))
            self.p.write_back(keys, new_shards)
