"""The in-memory store: dicts in this process (the Deduplicator's default)."""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .._boilerplate import BoilerplateRule
from .._errors import IndexClosedError
from ._base import (
    DF_CELLS,
    NO_FACTS,
    U32,
    U64,
    Candidate,
    Decide,
    Decision,
    Found,
    IndexStats,
    StoredDecision,
    T,
    all_hashes,
    check_key,
    common_of,
    df_cells,
    no_common,
)

__all__ = ["MemoryStore"]

_NONE = object()  # a bucket lookup's miss (any object may be a key, None too)


class _Keys(dict[Hashable, None]):
    """A band bucket of two or more kept keys, in insertion order (a bucket of one is its key
    alone: most buckets hold one text, and a dict per bucket was most of the index)."""


@dataclass(slots=True)
class _Entry:
    seq: int
    hashes: U32 | None
    facts: U32
    bands: U64 | None
    duplicate_of: Hashable | None
    similarity: float
    kind: str | None
    expires: float | None


class MemoryStore:
    """Records in dicts; keys may be any hashable. Safe to share between threads."""

    def __init__(self, *, df: BoilerplateRule | None = None) -> None:
        self._df_limit = df
        # Documents each cell's shingles occur in (calloc'd: untouched pages cost nothing).
        self._df = np.zeros(DF_CELLS if df is not None else 0, dtype=np.int32)
        self._n_docs = 0
        self._meta: dict[str, str] = {}
        self._docs: dict[Hashable, _Entry] = {}
        # One table per band: band hash -> the kept key filed there, or a _Keys of several.
        # (A dict per bucket keyed by (band, hash) tuples took 23 kB per kept text at 50,000
        # texts of 45 bands; this takes 9 kB, measured as RSS.)
        self._buckets: list[dict[int, object]] = []
        self._expiry: list[tuple[float, int, Hashable]] = []  # heap of (expires, seq, key)
        self._seq = 0
        self._lock = threading.RLock()
        self._closed = False

    def init_meta(self, params: Mapping[str, str]) -> dict[str, str]:
        with self._open():
            if not self._meta:
                self._meta = dict(params)
            return dict(self._meta)

    def _purge(self, now: float) -> None:
        while self._expiry and self._expiry[0][0] <= now:
            _, seq, key = heapq.heappop(self._expiry)
            entry = self._docs.get(key)
            if entry is not None and entry.seq == seq:
                self._drop(key, entry)

    def _drop(self, key: Hashable, entry: _Entry) -> None:
        del self._docs[key]
        if entry.bands is None:
            return
        for table, h in zip(self._buckets, entry.bands.tolist(), strict=False):
            bucket = table[h]
            if type(bucket) is not _Keys:
                del table[h]
                continue
            del bucket[key]
            if len(bucket) == 1:  # back to a bucket of one: the key alone
                table[h] = next(iter(bucket))

    def _found(self, hashes: U32, cands: list[Candidate]) -> Found:
        lim = self._df_limit
        if lim is None or not cands:
            return Found(cands, no_common)
        df, limit = self._df, lim.limit(self._n_docs)

        def common(cs: Sequence[Candidate]) -> U32:
            u = all_hashes(hashes, cs)
            return common_of(u, df[df_cells(u)] > limit)

        return Found(cands, common)

    def _count(self, hashes: U32, step: int) -> None:
        if self._df_limit is None:
            return
        np.add.at(self._df, df_cells(hashes), step)  # two hashes may share a cell
        self._n_docs += step

    def _candidates(self, bands: Sequence[int]) -> list[Candidate]:
        # Buckets hold kept texts only. Deduplicated by dict.fromkeys (in C): at 1M indexed a
        # template's buckets hold thousands of keys between them.
        found: list[Hashable] = []
        for table, h in zip(self._buckets, bands, strict=False):
            bucket = table.get(h, _NONE)
            if bucket is _NONE:
                continue
            if type(bucket) is _Keys:
                found += bucket
            else:
                found.append(bucket)
        docs = self._docs
        entries = [(key, docs[key]) for key in dict.fromkeys(found)]
        return [
            Candidate(key, e.seq, e.hashes, e.facts) for key, e in entries if e.hashes is not None
        ]

    def add(
        self,
        key: Hashable,
        hashes: U32,
        bands: U64,
        decide: Decide,
        *,
        ttl: float | None,
        facts: U32 = NO_FACTS,
    ) -> Decision:
        check_key(key)
        with self._open():
            now = time.time()
            self._purge(now)
            if key in self._docs:
                raise KeyError(f"key {key!r} was already added")
            bs = bands.tolist()
            decision = decide(self._found(hashes, self._candidates(bs)))
            self._seq += 1
            expires = None if ttl is None else now + ttl
            if decision is None:
                own = np.array(bands, dtype=np.uint64)  # not a view of a caller's array
                entry = _Entry(self._seq, hashes, facts, own, None, 1.0, None, expires)
                while len(self._buckets) < len(bs):
                    self._buckets.append({})
                for table, h in zip(self._buckets, bs, strict=False):
                    bucket = table.get(h, _NONE)
                    if bucket is _NONE:
                        table[h] = key
                    elif type(bucket) is _Keys:
                        bucket[key] = None
                    else:
                        table[h] = _Keys(((bucket, None), (key, None)))
            else:
                dup, sim, kind = decision
                entry = _Entry(self._seq, None, NO_FACTS, None, dup, sim, kind, expires)
            self._docs[key] = entry
            self._count(hashes, 1)
            if expires is not None:
                heapq.heappush(self._expiry, (expires, self._seq, key))
            return decision

    @contextmanager
    def batch(self) -> Iterator[None]:
        with self._open():  # each add takes effect at once; the block is one thread's run
            yield

    def candidates(self, hashes: U32, bands: U64, use: Callable[[Found], T]) -> T:
        with self._open():
            self._purge(time.time())
            return use(self._found(hashes, self._candidates(bands.tolist())))

    def doc_freq(self, hashes: U32) -> tuple[int, NDArray[np.int64]]:
        """Documents seen, and the count of each hash's cell (for tests: see ``Store``)."""
        with self._open():
            if self._df_limit is None:
                return self._n_docs, np.zeros(hashes.size, dtype=np.int64)
            return self._n_docs, self._df[df_cells(hashes)].astype(np.int64)

    def get(self, key: Hashable) -> StoredDecision | None:
        check_key(key)
        with self._open():
            self._purge(time.time())
            e = self._docs.get(key)
            return None if e is None else StoredDecision(e.duplicate_of, e.similarity, e.kind)

    def remove(self, key: Hashable) -> None:
        check_key(key)
        with self._open():
            self._purge(time.time())
            entry = self._docs.get(key)
            if entry is None:
                raise KeyError(key)
            self._drop(key, entry)
            if entry.hashes is not None:  # a kept text: its hashes are known, uncount them
                self._count(entry.hashes, -1)

    def keys(self) -> Iterator[Hashable]:
        with self._open():
            self._purge(time.time())
            snapshot = list(self._docs)
        return iter(snapshot)

    def count(self) -> int:
        with self._open():
            self._purge(time.time())
            return len(self._docs)

    def stats(self) -> IndexStats:
        with self._open():
            self._purge(time.time())
            kept = sum(1 for e in self._docs.values() if e.hashes is not None)
            # Payload only: shingle hashes, fact fingerprint, a band hash and bucket slot per band.
            nbytes = sum(
                (e.hashes.nbytes if e.hashes is not None else 0)
                + e.facts.nbytes
                + (16 * e.bands.size if e.bands is not None else 0)
                for e in self._docs.values()
            )
            nbytes += self._df.nbytes  # the document-frequency cells
            n = len(self._docs)
            return IndexStats(n, kept, n - kept, nbytes)

    @contextmanager
    def _open(self) -> Iterator[None]:
        """The store's lock, held by an open store only (IndexClosedError once closed, as the
        persistent stores say it)."""
        with self._lock:
            if self._closed:
                raise IndexClosedError(
                    "the in-memory index was closed (e.g. used after its with block) and its "
                    "texts are gone; open a new Deduplicator"
                )
            yield

    def close(self) -> None:
        with self._lock:
            self._closed = True
