"""What every store shares: the protocol, the record types, the encodings and the key rule.

A store holds one record per key — a *kept* text (its sorted shingle hashes, its fact
fingerprint (:func:`~arabic_dedup._facts.fact_hashes`, empty when the index was built with
``facts="off"``) and one LSH band hash per band, filed in band buckets) or a *duplicate* (the
kept key it matched, the similarity and, with the fact check, the match kind) — plus the
parameters the index was built with. A store opened with a
:class:`~arabic_dedup._boilerplate.BoilerplateRule` (``max_df`` not None) also counts documents:
how many texts it has seen and, per shingle, in how many of them it occurs (kept texts and
duplicates alike). Shingle hashes are counted in ``DF_CELLS`` cells (the hash's low 22 bits),
not one counter per distinct shingle: almost every shingle occurs in one text only, and exact
counters would cost ~300 entries per text, forever (10-30 kB per text in Redis or Python). A
cell's count is its shingles' document frequencies summed, so it can exceed a shingle's own by
about (texts seen x 300 / 4.2 M) on average — 7 at 100,000 texts, against an "auto" limit of
100; the excess grows as fast as the "auto" limit does, so it stays ~7 % of it. ``remove`` of a
kept text takes it back out of the counts; removing a duplicate (whose hashes are not stored)
and expiry (``ttl``) do not, so the counts cover every text ever added minus the kept texts
removed. Three implementations:

* :class:`~arabic_dedup.stores.memory.MemoryStore` — this process only (the default);
* :class:`~arabic_dedup.stores.sqlite.SQLiteStore` — an embedded, persistent file;
* :class:`~arabic_dedup.stores.redis.RedisStore` — shared by several processes and hosts.

The one operation that must be atomic is :meth:`Store.add`: read the candidates in the new
text's buckets and the boilerplate among their shingles, let the caller decide (``decide``),
then write the record and count the text. Every store runs these steps as one unit, so
concurrent writers behave as if their adds ran one after another in commit order: an add
always sees every record and every count committed before it.

Arrays are stored as raw little-endian bytes (``ndarray.tobytes``), never pickled. Keys are
checked by one rule in every store (:func:`check_key`): a persistent store takes ``str`` keys
only, and no store takes a ``str`` that cannot be written as UTF-8 (a lone surrogate).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from .._boilerplate import DF_CELL_BITS
from .._errors import IndexMismatchError, InputError

__all__ = [
    "DF_CELLS",
    "NO_FACTS",
    "STORE_FORMAT",
    "Candidate",
    "Decide",
    "Decision",
    "Found",
    "IndexCorruptWarning",
    "IndexStats",
    "Store",
    "StoredDecision",
    "all_hashes",
    "check_index_params",
    "check_key",
    "common_of",
    "decode_bands",
    "decode_hashes",
    "df_cells",
    "encode_bands",
    "encode_hashes",
    "encode_params",
    "no_common",
    "str_key",
]

# Bumped whenever the layout of stored records changes; part of the checked parameters.
# 2: document-frequency counts (boilerplate in streams).
# 3: kept texts' fact fingerprints and duplicates' match kinds (the fact check in streams).
STORE_FORMAT = 3
# What each format added, for the message that refuses an index of another format.
FORMAT_CHANGES = {
    2: "document-frequency counts for max_df",
    3: "fact fingerprints for the fact check (facts=)",
}

U32 = NDArray[np.uint32]
U64 = NDArray[np.uint64]

# Document-frequency cells (part of format 2): a hash counts in cell ``hash & (DF_CELLS - 1)``,
# its low DF_CELL_BITS bits; 4M cells of 4 bytes = 16 MiB per store.
DF_CELLS = 1 << DF_CELL_BITS


NO_FACTS: U32 = np.empty(0, dtype=np.uint32)


class Candidate(NamedTuple):
    """A kept record sharing a band bucket with the text being checked."""

    key: Hashable
    seq: int  # commit order; breaks similarity ties in favour of the earliest record
    hashes: U32
    facts: U32 = NO_FACTS  # its fact fingerprint (empty when the index has the fact check off)


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


def df_cells(hashes: U32) -> NDArray[np.int64]:
    """The counting cell of each hash."""
    return (np.asarray(hashes, dtype=np.uint32) & np.uint32(DF_CELLS - 1)).astype(np.int64)


class StoredDecision(NamedTuple):
    """What is stored under a key: ``duplicate_of`` is None for a kept text; ``kind`` is the
    fact check's match kind of a duplicate (a ``MATCH_KINDS`` name; None without the check)."""

    duplicate_of: Hashable | None
    similarity: float
    kind: str | None = None


@dataclass(frozen=True)
class IndexStats:
    """Size of an index: live records (expired ones excluded) and storage bytes."""

    count: int
    kept: int
    duplicates: int
    bytes: int


class IndexCorruptWarning(UserWarning):
    """A record of a shared index that does not decode (someone else wrote it) was skipped:
    left out of the candidates, so it cannot fail the adds that share its buckets. The
    message names its key; delete the key, or re-add its text."""


T = TypeVar("T")

# ``decide`` gets what the add read and returns (matched key, similarity, match kind or None),
# or None to keep.
Decision = tuple[Hashable, float, str | None] | None
Decide = Callable[[Found], Decision]


class Store(Protocol):
    """The operations a Deduplicator needs from its storage.

    Every backend also has ``doc_freq(hashes) -> (documents seen, count of each hash's
    cell)``, read only: the tests compare the backends' counts through it; the Deduplicator
    never needs it (it reads counts through :class:`Found`).
    """

    def init_meta(self, params: Mapping[str, str]) -> dict[str, str]:
        """Record ``params`` if the store is new; return the stored parameters."""
        ...

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
        """Atomically: fail with KeyError if ``key`` is live, read the candidates in ``bands``
        (and the common shingles), call ``decide`` (possibly more than once, so it must be
        pure), write the record (a kept text with its fact fingerprint ``facts``), count
        ``hashes`` as one more document."""
        ...

    def batch(self) -> AbstractContextManager[None]:
        """A block of adds that the store may commit together (SQLite: one transaction, each
        add a savepoint); every add in it still sees the ones before it."""
        ...

    def candidates(self, hashes: U32, bands: U64, use: Callable[[Found], T]) -> T:
        """``use`` of the live kept records sharing at least one band bucket, and of the
        common shingles, read in one snapshot (read only)."""
        ...

    def get(self, key: Hashable) -> StoredDecision | None:
        """The record of live ``key``, or None (InputError if ``key`` is not a valid key)."""
        ...

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


def decode_sorted(name: str, value: object) -> U32 | str:
    """A stored array of sorted distinct little-endian uint32 (shingle hashes, a fact
    fingerprint), or what is wrong with it (``name`` says which it is): a record something
    else wrote must not fail the calls that read it (see :func:`corrupt_record`)."""
    if not isinstance(value, bytes):
        return f"has {name} of type {type(value).__name__}, not bytes"
    if len(value) % 4:
        return f"has {name} of {len(value)} bytes, not a multiple of 4"
    a = decode_hashes(value)
    if a.size > 1 and not bool((a[1:] > a[:-1]).all()):
        return f"has {name} that are not sorted and distinct"
    return a


def decode_kept(raw: object, raw_facts: object) -> tuple[U32, U32] | str:
    """A kept record's shingle hashes and fact fingerprint, or what is wrong with them."""
    hashes = decode_sorted("shingle hashes", raw)
    if isinstance(hashes, str):
        return hashes
    facts = decode_sorted("fact fingerprint", raw_facts)
    return facts if isinstance(facts, str) else (hashes, facts)


def corrupt_record(
    key: str, where: str, problem: str, *, removed: bool = False
) -> IndexCorruptWarning:
    """The warning for a record that does not decode: its key, the index, what is wrong and
    what happened to it — skipped by a read (left out of the candidates until it is deleted),
    or ``removed`` by ``remove`` (whose shingle counts it could not take back)."""
    head = f"the record under key {key} of the index {where}: it {problem}"
    if removed:
        return IndexCorruptWarning(
            f"{head}; removed, its counts not taken back (something other than arabic-dedup "
            "wrote it)"
        )
    return IndexCorruptWarning(
        f"skipping {head}. Something other than arabic-dedup wrote it; it is left out of every "
        "candidate list until it is deleted (or its text re-added)"
    )


def decode_bands(raw: bytes) -> U64:
    return np.frombuffer(raw, dtype="<u8").astype(np.uint64)


def encode_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Each parameter as canonical JSON, so stored and requested compare as strings."""
    return {k: json.dumps(v, sort_keys=True, separators=(",", ":")) for k, v in params.items()}


def check_index_params(stored: Mapping[str, str], requested: Mapping[str, str], where: str) -> None:
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
            f"version of arabic-dedup reads format {requested.get('format')} ("
            + "; ".join(f"format {n} added {what}" for n, what in FORMAT_CHANGES.items())
            + "). Re-add the history to a new path/namespace, or keep using the version "
            "that wrote it"
        )
    if diffs:
        raise IndexMismatchError(
            f"the index {where} was built with other parameters; "
            + "; ".join(diffs)
            + ". Open it with the stored parameters, or use a new path/namespace"
        )


# -- shared by the backends -------------------------------------------------------------
def check_key(key: Hashable) -> Hashable:
    """``key`` if every store can hold it; a ``str`` must encode as UTF-8 (no lone surrogate
    such as ``"\\ud800"``, which a file or socket cannot carry)."""
    if isinstance(key, str):
        try:
            key.encode("utf-8")
        except UnicodeEncodeError as e:
            raise InputError(
                f"key {key!r} is not valid Unicode text (a lone surrogate at position "
                f"{e.start}); keys must encode as UTF-8: decode the source with "
                "errors='replace', or build keys from ids"
            ) from None
    return key


def str_key(key: Hashable) -> str:
    """``key`` as a persistent store holds it: a ``str`` that :func:`check_key` accepts."""
    if not isinstance(key, str):
        raise InputError(
            f"keys of a persistent index must be str, got {type(key).__name__} {key!r}; "
            "convert them, e.g. str(key)"
        )
    check_key(key)
    return key


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
