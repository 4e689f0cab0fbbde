"""Stage 7c: where a :class:`~arabic_dedup.Deduplicator` keeps what it has seen.

A store holds one record per key — a *kept* text (its sorted shingle hashes and one LSH band
hash per band, filed in band buckets) or a *duplicate* (the kept key it matched and the
similarity) — plus the parameters the index was built with. A store opened with a
:class:`~arabic_dedup._boilerplate.BoilerplateRule` (``max_df`` not None) also counts documents: how
many texts it has seen and, per shingle, in how many of them it occurs (kept texts and
duplicates alike). Shingle hashes are counted in ``DF_CELLS`` cells (the hash's low 22 bits),
not one counter per distinct shingle: almost every shingle occurs in one text only, and exact
counters would cost ~300 entries per text, forever (10-30 kB per text in Redis or Python).
A cell's count is its shingles' document frequencies summed, so it can exceed a shingle's own
by about (texts seen x 300 / 4.2 M) on average — 7 at 100,000 texts, against an "auto" limit of
100; the excess grows as fast as the "auto" limit does, so it stays ~7 % of it. ``remove`` of
a kept text takes it back out of the counts; removing a duplicate (whose hashes are not
stored) and expiry (``ttl``) do not, so the counts cover every text ever added minus the kept
texts removed. Three implementations:

* :class:`MemoryStore` — this process only (the default);
* :class:`~arabic_dedup._store_sqlite.SQLiteStore` — an embedded, persistent file;
* :class:`~arabic_dedup._store_redis.RedisStore` — shared by several processes and hosts.

The one operation that must be atomic is :meth:`Store.add`: read the candidates in the new
text's buckets and the boilerplate among their shingles, let the caller decide (``decide``),
then write the record and count the text. Every store runs these steps as one unit, so
concurrent writers behave as if their adds ran one after another in commit order: an add
always sees every record and every count committed before it.

Arrays are stored as raw little-endian bytes (``ndarray.tobytes``), never pickled.
"""

from __future__ import annotations

import heapq
import json
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from itertools import chain
from typing import Any, NamedTuple, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from ._boilerplate import DF_CELL_BITS, BoilerplateRule
from ._errors import IndexMismatchError

__all__ = [
    "DF_CELLS",
    "STORE_FORMAT",
    "Candidate",
    "Decide",
    "Decision",
    "Found",
    "IndexStats",
    "MemoryStore",
    "Record",
    "Store",
    "all_hashes",
    "check_params",
    "common_of",
    "decode_bands",
    "decode_hashes",
    "df_cells",
    "encode_bands",
    "encode_hashes",
    "encode_params",
    "no_common",
]

# Bumped whenever the layout of stored records changes; part of the checked parameters.
# 2: document-frequency counts (boilerplate in streams).
STORE_FORMAT = 2

U32 = NDArray[np.uint32]
U64 = NDArray[np.uint64]


class Candidate(NamedTuple):
    """A kept record sharing a band bucket with the text being checked."""

    key: Hashable
    seq: int  # commit order; breaks similarity ties in favour of the earliest record
    hashes: U32


class Found(NamedTuple):
    """What an add or a query reads: the candidates, and ``common(cands)`` — the sorted
    shingle hashes, among the text's and those candidates' (``()``: the text's alone), found
    in more than ``BoilerplateRule(docs seen)`` documents, in the same snapshot as the candidates
    (always empty when the store counts nothing). A function, not an array: the verifier
    asks only about the candidates a cheaper bound cannot rule out, and at 1M documents
    indexed a text can have hundreds of candidates. Valid only inside the store call that
    handed it over (``decide`` of :meth:`Store.add`, ``use`` of :meth:`Store.candidates`)."""

    candidates: list[Candidate]
    common: Callable[[Sequence[Candidate]], U32]


NO_COMMON: U32 = np.empty(0, dtype=np.uint32)


def no_common(cands: Sequence[Candidate]) -> U32:
    """``Found.common`` of a store that counts nothing."""
    return NO_COMMON


# Document-frequency cells: a hash counts in cell ``hash & (DF_CELLS - 1)`` (part of format 2).
DF_CELLS = 1 << DF_CELL_BITS


def df_cells(hashes: U32) -> NDArray[np.int64]:
    """The counting cell of each hash."""
    return (np.asarray(hashes, dtype=np.uint32) & np.uint32(DF_CELLS - 1)).astype(np.int64)


class Record(NamedTuple):
    """What is stored under a key: ``duplicate_of`` is None for a kept text."""

    duplicate_of: Hashable | None
    similarity: float


@dataclass(frozen=True)
class IndexStats:
    """Size of an index: live records (expired ones excluded) and storage bytes."""

    count: int
    kept: int
    duplicates: int
    bytes: int


T = TypeVar("T")

# ``decide`` gets what the add read and returns (matched key, similarity), or None to keep.
Decision = tuple[Hashable, float] | None
Decide = Callable[[Found], Decision]


class Store(Protocol):
    """The operations a Deduplicator needs from its storage."""

    def init_meta(self, params: Mapping[str, str]) -> dict[str, str]:
        """Record ``params`` if the store is new; return the stored parameters."""
        ...

    def add(
        self, key: Hashable, hashes: U32, bands: U64, decide: Decide, *, ttl: float | None
    ) -> Decision:
        """Atomically: fail with KeyError if ``key`` is live, read the candidates in ``bands``
        (and the common shingles), call ``decide`` (possibly more than once, so it must be
        pure), write the record, count ``hashes`` as one more document."""
        ...

    def batch(self) -> AbstractContextManager[None]:
        """A block of adds that the store may commit together (SQLite: one transaction, each
        add a savepoint); every add in it still sees the ones before it."""
        ...

    def candidates(self, hashes: U32, bands: U64, use: Callable[[Found], T]) -> T:
        """``use`` of the live kept records sharing at least one band bucket, and of the
        common shingles, read in one snapshot (read only)."""
        ...

    def doc_freq(self, hashes: U32) -> tuple[int, NDArray[np.int64]]:
        """Documents seen, and the document frequency of each of ``hashes`` (read only)."""
        ...

    def get(self, key: Hashable) -> Record | None: ...

    def remove(self, key: Hashable) -> None:
        """Delete ``key``'s record and bucket entries; KeyError if it is not there."""
        ...

    def keys(self) -> Iterator[Hashable]: ...

    def count(self) -> int: ...

    def stats(self) -> IndexStats: ...

    def close(self) -> None: ...


# -- encoding ------------------------------------------------------------------------------
def encode_hashes(hashes: U32) -> bytes:
    return np.ascontiguousarray(hashes, dtype="<u4").tobytes()


def decode_hashes(raw: bytes) -> U32:
    return np.frombuffer(raw, dtype="<u4").astype(np.uint32)


def encode_bands(bands: U64) -> bytes:
    return np.ascontiguousarray(bands, dtype="<u8").tobytes()


def decode_bands(raw: bytes) -> U64:
    return np.frombuffer(raw, dtype="<u8").astype(np.uint64)


def encode_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Each parameter as canonical JSON, so stored and requested compare as strings."""
    return {k: json.dumps(v, sort_keys=True, separators=(",", ":")) for k, v in params.items()}


def check_params(stored: Mapping[str, str], requested: Mapping[str, str], where: str) -> None:
    """Raise :class:`IndexMismatchError` naming every parameter that differs."""
    names = sorted(set(stored) | set(requested))
    diffs = [
        f"{n}: stored {stored.get(n, '(absent)')}, requested {requested.get(n, '(absent)')}"
        for n in names
        if stored.get(n) != requested.get(n)
    ]
    if stored and stored.get("format") != requested.get("format"):
        raise IndexMismatchError(
            f"the index {where} uses storage format {stored.get('format', '(absent)')}; this "
            f"version of arabic-dedup reads format {requested.get('format')} (format 2 added "
            "document-frequency counts for max_df). Re-add the history to a new "
            "path/namespace, or keep using the version that wrote it"
        )
    if diffs:
        raise IndexMismatchError(
            f"the index {where} was built with other parameters; "
            + "; ".join(diffs)
            + ". Open it with the stored parameters, or use a new path/namespace"
        )


# -- in memory -------------------------------------------------------------------------------
@dataclass
class _Entry:
    seq: int
    hashes: U32 | None
    bands: tuple[int, ...]
    duplicate_of: Hashable | None
    similarity: float
    expires: float | None


def all_hashes(hashes: U32, cands: Sequence[Candidate]) -> U32:
    """The hashes of the text and of every candidate, one after another (with repeats)."""
    if not cands:
        return hashes
    return np.concatenate([hashes, *(c.hashes for c in cands)])


def common_of(hashes: U32, over: NDArray[np.bool_]) -> U32:
    """The distinct ``hashes`` flagged in ``over`` (their count is above the limit), sorted.

    Only the flagged few are sorted: a text with a hundred candidates has ~30,000 hashes.
    """
    return np.unique(hashes[over])


class MemoryStore:
    """Records in dicts; keys may be any hashable. Safe to share between threads."""

    def __init__(self, *, df: BoilerplateRule | None = None) -> None:
        self._df_limit = df
        # Documents each cell's shingles occur in (calloc'd: untouched pages cost nothing).
        self._df = np.zeros(DF_CELLS if df is not None else 0, dtype=np.int32)
        self._n_docs = 0
        self._meta: dict[str, str] = {}
        self._docs: dict[Hashable, _Entry] = {}
        # (band, band hash) -> keys in insertion order; a dict keeps order and removes in O(1).
        self._buckets: dict[tuple[int, int], dict[Hashable, None]] = {}
        self._expiry: list[tuple[float, int, Hashable]] = []  # heap of (expires, seq, key)
        self._seq = 0
        self._lock = threading.RLock()

    def init_meta(self, params: Mapping[str, str]) -> dict[str, str]:
        with self._lock:
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
        for band, h in enumerate(entry.bands):
            bucket = self._buckets[(band, h)]
            del bucket[key]
            if not bucket:
                del self._buckets[(band, h)]

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
        # Buckets hold kept texts only. Built by dict.fromkeys over chained buckets (in C): at
        # 1M indexed a template's buckets hold thousands of keys between them.
        get, docs = self._buckets.get, self._docs
        keys = dict.fromkeys(chain.from_iterable(get((b, h), ()) for b, h in enumerate(bands)))
        entries = [(key, docs[key]) for key in keys]
        return [Candidate(key, e.seq, e.hashes) for key, e in entries if e.hashes is not None]

    def add(
        self, key: Hashable, hashes: U32, bands: U64, decide: Decide, *, ttl: float | None
    ) -> Decision:
        with self._lock:
            now = time.time()
            self._purge(now)
            if key in self._docs:
                raise KeyError(f"key {key!r} was already added")
            bs = tuple(bands.tolist())
            decision = decide(self._found(hashes, self._candidates(bs)))
            self._seq += 1
            expires = None if ttl is None else now + ttl
            if decision is None:
                entry = _Entry(self._seq, hashes, bs, None, 1.0, expires)
                for band, h in enumerate(bs):
                    self._buckets.setdefault((band, h), {})[key] = None
            else:
                entry = _Entry(self._seq, None, (), decision[0], decision[1], expires)
            self._docs[key] = entry
            self._count(hashes, 1)
            if expires is not None:
                heapq.heappush(self._expiry, (expires, self._seq, key))
            return decision

    @contextmanager
    def batch(self) -> Iterator[None]:
        with self._lock:  # each add takes effect at once; the block is one thread's run
            yield

    def candidates(self, hashes: U32, bands: U64, use: Callable[[Found], T]) -> T:
        with self._lock:
            self._purge(time.time())
            return use(self._found(hashes, self._candidates(bands.tolist())))

    def doc_freq(self, hashes: U32) -> tuple[int, NDArray[np.int64]]:
        with self._lock:
            if self._df_limit is None:
                return self._n_docs, np.zeros(hashes.size, dtype=np.int64)
            return self._n_docs, self._df[df_cells(hashes)].astype(np.int64)

    def get(self, key: Hashable) -> Record | None:
        with self._lock:
            self._purge(time.time())
            e = self._docs.get(key)
            return None if e is None else Record(e.duplicate_of, e.similarity)

    def remove(self, key: Hashable) -> None:
        with self._lock:
            self._purge(time.time())
            entry = self._docs.get(key)
            if entry is None:
                raise KeyError(key)
            self._drop(key, entry)
            if entry.hashes is not None:  # a kept text: its hashes are known, uncount them
                self._count(entry.hashes, -1)

    def keys(self) -> Iterator[Hashable]:
        with self._lock:
            self._purge(time.time())
            snapshot = list(self._docs)
        return iter(snapshot)

    def count(self) -> int:
        with self._lock:
            self._purge(time.time())
            return len(self._docs)

    def stats(self) -> IndexStats:
        with self._lock:
            self._purge(time.time())
            kept = sum(1 for e in self._docs.values() if e.hashes is not None)
            # Payload only: shingle hashes plus a band hash and bucket slot per band.
            nbytes = sum(
                (e.hashes.nbytes if e.hashes is not None else 0) + 16 * len(e.bands)
                for e in self._docs.values()
            )
            nbytes += self._df.nbytes  # the document-frequency cells
            n = len(self._docs)
            return IndexStats(n, kept, n - kept, nbytes)

    def close(self) -> None:
        pass
