"""Stage 4: MinHash signatures -> candidate pairs by banding (locality-sensitive hashing).

A signature of ``num_perm`` values is cut into ``bands`` bands of ``rows`` values; two
documents are candidates when any band is identical. :func:`optimal_params` chooses
``(bands, rows)`` for a Jaccard threshold the way datasketch does: it minimises the weighted
area of false positives (below the threshold) plus false negatives (above it) under the
S-curve ``1 - (1 - s**rows)**bands``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._engine import kernels
from ._errors import ConfigError, SignatureError
from ._shingle import MIX_M1, MIX_M2, ShingleSets

__all__ = [
    "GIANT_BUCKET",
    "BucketPart",
    "Candidates",
    "LSHIndex",
    "band_candidates",
    "band_hashes",
    "bucket_part",
    "candidate_pairs",
    "candidates",
    "check_banding",
    "decode_pairs",
    "encode_pairs",
    "group_identical",
    "identical_sets",
    "in_buckets",
    "merge_parts",
    "optimal_params",
    "set_hashes",
    "sets_equal",
    "sorted_unique",
    "take_sets",
]


# Documents whose band hashes are computed together (band_hashes): bounds the temporaries.
BAND_BLOCK = 1 << 16


def sorted_unique(values: NDArray[Any]) -> NDArray[Any]:
    """``np.unique(values)`` by sort + mask: numpy 2.4's ``unique`` took 44 s where this takes
    0.9 s (40M int64 here)."""
    s = np.sort(values)
    if s.size < 2:
        return s
    keep = np.empty(s.size, dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def encode_pairs(a: NDArray[np.int64], b: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    """Codes ``min * n + max`` of the unordered pairs ``(a[k], b[k])`` of documents below
    ``n``: one integer a pair, whichever side is first (:func:`decode_pairs` reads them back).

    >>> encode_pairs(np.array([2, 1]), np.array([1, 2]), 5).tolist()
    [7, 7]
    """
    return np.asarray(np.minimum(a, b) * n + np.maximum(a, b))


def decode_pairs(code: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    """Pairs ``(i, j)`` from their codes ``i * n + j``, written straight into the result
    (no quotient and remainder temporaries: with a pair a document these arrays are the
    candidate and cluster stages' peaks).

    >>> decode_pairs(np.array([7, 11]), 5).tolist()
    [[1, 2], [2, 1]]
    """
    out = np.empty((code.size, 2), dtype=np.int64)
    np.floor_divide(code, n, out=out[:, 0])
    np.remainder(code, n, out=out[:, 1])
    return out


_GRID = np.linspace(0.0, 1.0, 2001)


@lru_cache(maxsize=256)
def optimal_params(
    threshold: float,
    num_perm: int,
    false_positive_weight: float = 0.5,
    false_negative_weight: float = 0.5,
) -> tuple[int, int]:
    """``(bands, rows)`` minimising weighted false positives + negatives at ``threshold``.

    The areas under the S-curve ``1 - (1 - s**r)**b`` below the threshold (false positives)
    and above it (false negatives) are integrated for every ``b * r <= num_perm`` at once.

    >>> optimal_params(0.5, 128)
    (25, 5)
    """
    if not 0.0 < threshold < 1.0:
        raise ConfigError(f"threshold must be strictly between 0 and 1, got {threshold!r}")
    combos = np.array(
        [(b, r) for b in range(1, num_perm + 1) for r in range(1, num_perm // b + 1)],
        dtype=np.float64,
    )
    b, r = combos[:, :1], combos[:, 1:]
    lo = _GRID[_GRID <= threshold]
    hi = _GRID[_GRID >= threshold]
    fp = _trapezoid(1.0 - (1.0 - lo[None, :] ** r) ** b, lo)
    fn = _trapezoid((1.0 - hi[None, :] ** r) ** b, hi)
    err = fp * false_positive_weight + fn * false_negative_weight
    # First minimum in (b, r) order, as a loop over b then r would find it.
    best = int(np.argmin(err))
    return int(combos[best, 0]), int(combos[best, 1])


def _trapezoid(y: NDArray[np.float64], x: NDArray[np.float64]) -> NDArray[np.float64]:
    if x.size < 2:
        return np.zeros(y.shape[0])
    dx = np.diff(x)
    return np.asarray(((y[:, 1:] + y[:, :-1]) * 0.5 * dx).sum(axis=1), dtype=np.float64)


def check_banding(bands: int, rows: int, num_perm: int) -> None:
    if bands < 1 or rows < 1 or bands * rows > num_perm:
        raise ConfigError(
            f"LSH bands * rows must be at most num_perm: bands={bands} * rows={rows} = "
            f"{bands * rows} > num_perm={num_perm}; lower bands or rows, or raise num_perm"
        )


def band_hashes(signatures: NDArray[np.uint32], bands: int, rows: int) -> NDArray[np.uint64]:
    """One 64-bit hash per band per document, shape ``(n, bands)``.

    Rows of a band are folded with a multiply-xorshift mix; equal bands give equal hashes and
    distinct bands collide with probability about 2**-64. Hashed ``BAND_BLOCK`` documents at a
    time, in place: the temporaries are a block's (at 1M documents and 45 bands, hashing all
    rows at once held 1.8 GB of them beside the signatures: the run's peak).
    """
    sig = np.asarray(signatures, dtype=np.uint32)
    if sig.ndim != 2:
        raise SignatureError(f"signatures must be a 2-D array (n, num_perm), got shape {sig.shape}")
    check_banding(bands, rows, sig.shape[1])
    n = sig.shape[0]
    out = np.empty((n, bands), dtype=np.uint64)
    # Distinct bands must not share buckets: mix in the band index.
    salt = np.arange(bands, dtype=np.uint64) * np.uint64(0x94D049BB133111EB)
    with np.errstate(over="ignore"):
        for lo in range(0, n, BAND_BLOCK):
            view = sig[lo : lo + BAND_BLOCK, : bands * rows].reshape(-1, bands, rows)
            h = out[lo : lo + BAND_BLOCK]
            h.fill(0x9E3779B97F4A7C15)
            for j in range(rows):
                h ^= view[:, :, j]
                h *= np.uint64(0xBF58476D1CE4E5B9)
                h ^= h >> np.uint64(31)
            h ^= salt
    return out


def in_buckets(sizes: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Which documents are filed in LSH buckets, given their shingle-set sizes: those with at
    least one shingle. Every empty set has the same signature, so filing them would pair every
    empty (or whitespace-only) text with every other; they are kept and join nothing, in every
    path (batch ``candidates(active=...)``, the stream's band hashes, the Spark band UDF)."""
    return np.asarray(sizes) > 0


# An LSH bucket holding more documents than this is "giant": it yields no all-pairs candidates;
# the cluster stage compares its members with its kept documents only (linear, not quadratic).
# Not yet tuned by measurement: 1,000 bounds a bucket's all-pairs work at ~500k pairs (~8 MB),
# and at 1,000 identical texts today's all-pairs path took 2.0 s and 571 MB.
GIANT_BUCKET = 1000


@dataclass(frozen=True)
class Candidates:
    """What the LSH stage proposes: ``pairs`` ``(i, j)``, ``i < j``, sorted, from buckets of
    at most ``limit`` documents; the giant buckets' members (``giant_members[giant_offsets[b]:
    giant_offsets[b + 1]]``); and ``has_small[i]``, whether ``i`` is in a bucket of at most
    ``limit`` documents (every copy counted, see ``weights`` in :func:`candidates`)."""

    pairs: NDArray[np.int64]
    giant_offsets: NDArray[np.int64]
    giant_members: NDArray[np.int64]
    has_small: NDArray[np.bool_]

    @property
    def n_giant(self) -> int:
        return int(self.giant_offsets.size - 1)


def candidate_pairs(
    signatures: NDArray[np.uint32],
    bands: int,
    rows: int,
    *,
    active: NDArray[np.bool_] | None = None,
) -> NDArray[np.int64]:
    """All pairs ``(i, j)``, ``i < j``, sharing at least one band; shape ``(m, 2)``, sorted.

    ``active`` (optional) excludes documents, e.g. those with no shingles.
    """
    return candidates(signatures, bands, rows, active=active).pairs


def candidates(
    signatures: NDArray[np.uint32],
    bands: int,
    rows: int,
    *,
    active: NDArray[np.bool_] | None = None,
    weights: NDArray[np.int64] | None = None,
    limit: float = float("inf"),
) -> Candidates:
    """Pairs sharing a band, from buckets whose weight (sum of ``weights``, default 1 per
    row: a row standing for several identical documents weighs their number) is at most
    ``limit``; heavier buckets are returned whole as giant buckets."""
    hashes = [band_hashes(signatures, bands, rows)]
    return band_candidates(hashes, active=active, weights=weights, limit=limit)


def band_candidates(
    hashes: list[NDArray[np.uint64]],
    *,
    active: NDArray[np.bool_] | None = None,
    weights: NDArray[np.int64] | None = None,
    limit: float = float("inf"),
) -> Candidates:
    """:func:`candidates` from the ``(n, bands)`` band hashes (:func:`band_hashes`), handed
    over as a one-element list that this empties: they are sorted in place and freed as soon
    as they are read (1M documents at 29 bands: 232 MB an array)."""
    bh = hashes.pop()
    n, bands = bh.shape
    w = np.ones(n, dtype=np.int64) if weights is None else np.asarray(weights, dtype=np.int64)
    has_small = np.zeros(n, dtype=bool)
    ids = np.arange(n, dtype=np.int32 if n < 2**31 else np.int64)
    if active is not None:
        ids = ids[active]
        bh = bh[active]
    # One sort over every (document, band) key: band hashes already mix in the band index, so
    # equal keys mean the same band is identical. A key's document is its position // bands,
    # so no per-key document array is built before sorting.
    keys = [bh.reshape(-1)]
    del bh
    part = bucket_part(keys, lambda at: ids[at // bands], w, limit, has_small)
    return merge_parts([part], n, has_small)


@dataclass(frozen=True)
class BucketPart:
    """The buckets of one sort of band keys (all bands at once, or one band at a time when
    the band hashes are spilled to disk: :mod:`._sources`): candidate pairs, and the giant
    buckets with their keys (so that parts merge into the order one sort would give)."""

    pairs: NDArray[np.int64]
    giant_keys: NDArray[np.uint64]
    giant_offsets: NDArray[np.int64]
    giant_members: NDArray[np.int64]


def bucket_part(
    handed: list[NDArray[np.uint64]],
    doc_of: Callable[[NDArray[np.intp]], NDArray[Any]],
    weights: NDArray[np.int64],
    limit: float,
    has_small: NDArray[np.bool_],
) -> BucketPart:
    """Sort the band hashes ``handed`` over (a one-element list, emptied: they are sorted in
    place; ``doc_of(positions)`` gives their documents) into buckets: pairs of every bucket of
    weight at most ``limit``, heavier buckets whole; marks ``has_small``."""
    keys = handed.pop()
    # The keys are sorted in place beside their stable order (no third array for keys[order]).
    k = kernels()
    order: NDArray[np.intp]
    if k is not None:  # radix: 2.6x numpy's stable argsort on 29M keys; int32 order if it fits
        order = np.empty(keys.size, dtype=np.int32 if keys.size < 2**31 else np.int64)
        k.sort_with_order(keys, order)
    else:
        order = np.argsort(keys, kind="stable")
        keys.sort()  # equal keys are equal: the same array as keys[order]
    same = keys[1:] == keys[:-1]
    # Only runs of two or more give pairs; a lone row of several copies is a small bucket.
    in_run = np.zeros(keys.size, dtype=bool)
    in_run[1:] |= same
    in_run[:-1] |= same
    del same
    alone = doc_of(order[~in_run]).astype(np.int64)
    has_small[alone[weights[alone] <= limit]] = True
    del alone
    if not in_run.any():
        return BucketPart(
            np.empty((0, 2), dtype=np.int64),
            np.zeros(0, dtype=np.uint64),
            np.zeros(1, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
        )
    keys = keys[in_run]
    doc = doc_of(order[in_run]).astype(np.int64)
    del order, in_run
    pairs, g_off, g_mem = _bucket_pairs(keys, doc, weights, float(limit), has_small)
    g_keys = np.zeros(0, dtype=np.uint64)
    if g_off.size > 1:  # giant buckets come out in key order: name their keys
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
        heavy = np.add.reduceat(weights[doc], starts) > limit
        g_keys = keys[starts[heavy]]
    return BucketPart(pairs, g_keys, g_off, g_mem)


def merge_parts(
    parts: list[BucketPart],
    n: int,
    has_small: NDArray[np.bool_],
    codes: NDArray[np.int64] | None = None,
) -> Candidates:
    """One :class:`Candidates` of ``n`` documents from the buckets of several sorts, as one
    sort of all their keys gives it: pairs sorted and distinct, giant buckets in key order.
    ``codes``: the parts' pairs already merged, as sorted distinct codes ``i * n + j`` (the
    parts' own pairs then empty), as a spilled run collects them band by band."""
    if len(parts) == 1:
        g_off, g_mem = parts[0].giant_offsets, parts[0].giant_members
    else:
        g_off, g_mem = _merge_giants(parts)
    if codes is None:
        pairs = [p.pairs for p in parts if p.pairs.size]
        codes = (
            sorted_unique(np.concatenate([p[:, 0] * np.int64(n) + p[:, 1] for p in pairs]))
            if pairs
            else np.zeros(0, dtype=np.int64)
        )
    return Candidates(decode_pairs(codes, n), g_off, g_mem, has_small)


def _merge_giants(parts: list[BucketPart]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    keys = np.concatenate([p.giant_keys for p in parts])
    blocks = [
        p.giant_members[p.giant_offsets[b] : p.giant_offsets[b + 1]]
        for p in parts
        for b in range(p.giant_offsets.size - 1)
    ]
    by_key = np.argsort(keys, kind="stable")
    members = [blocks[b] for b in by_key.tolist()]
    g_off = np.zeros(len(members) + 1, dtype=np.int64)
    np.cumsum([m.size for m in members], out=g_off[1:])
    g_mem = np.concatenate(members) if members else np.zeros(0, dtype=np.int64)
    return g_off, g_mem


def _bucket_pairs(
    keys: NDArray[np.uint64],
    doc: NDArray[np.int64],
    weights: NDArray[np.int64],
    limit: float,
    has_small: NDArray[np.bool_],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    k = kernels()
    if k is not None:
        return k.bucket_pairs(keys, doc, weights, limit, has_small)  # type: ignore[no-any-return]
    chunks = [np.empty((0, 2), dtype=np.int64)]
    giant = [np.zeros(0, dtype=np.int64)]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], keys.size]
    for s, e in zip(starts, ends, strict=True):
        members = doc[s:e]
        if weights[members].sum() > limit:
            giant.append(members)
            continue
        has_small[members] = True
        ii, jj = np.triu_indices(e - s, k=1)
        a, b = members[ii], members[jj]
        chunks.append(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1))
    g_off = np.zeros(len(giant), dtype=np.int64)
    np.cumsum([g.size for g in giant[1:]], out=g_off[1:])
    return np.concatenate(chunks), g_off, np.concatenate(giant)


# -- identical shingle sets -------------------------------------------------------------------


def identical_sets(sets: ShingleSets) -> NDArray[np.int64]:
    """For every document, the first (lowest-index) document with the same non-empty
    shingle set: itself when it has no earlier copy or no shingles (empty sets match nothing).

    Documents are grouped by a 64-bit hash of their set and size, and each is compared in full
    with its group's first member, so a hash collision never merges different sets.

    >>> s = ShingleSets.from_arrays([np.array(x, dtype=np.uint32) for x in
    ...      ([1, 2], [], [1, 2], [], [3])])
    >>> identical_sets(s).tolist()
    [0, 1, 0, 3, 4]
    """
    return group_identical(set_hashes(sets), sets.sizes(), lambda a, b: sets_equal(sets, a, b))


def group_identical(
    h: NDArray[np.uint64],
    sizes: NDArray[np.int64],
    equal: Callable[[NDArray[np.int64], NDArray[np.int64]], NDArray[np.bool_]],
) -> NDArray[np.int64]:
    """:func:`identical_sets` from the sets' hashes ``h`` and ``sizes``; ``equal(a, b)``
    compares sets ``a[k]`` and ``b[k]`` in full (wherever the sets are: memory or disk)."""
    n = sizes.size
    out = np.arange(n, dtype=np.int64)
    todo = np.flatnonzero(sizes > 0)
    while todo.size > 1:
        o = todo[np.lexsort((todo, sizes[todo], h[todo]))]
        start = np.r_[True, (h[o][1:] != h[o][:-1]) | (sizes[o][1:] != sizes[o][:-1])]
        head = o[np.maximum.accumulate(np.where(start, np.arange(o.size), 0))]
        a, b = head[~start], o[~start]
        eq = equal(a, b)
        out[b[eq]] = a[eq]
        todo = b[~eq]  # a collision: group these among themselves
    return out


def set_hashes(sets: ShingleSets) -> NDArray[np.uint64]:
    """A 64-bit hash of each set (the sum of its mixed shingle hashes): equal sets, equal
    hashes; what :func:`identical_sets` groups by before comparing in full."""
    m1, m2 = np.uint64(MIX_M1), np.uint64(MIX_M2)
    k = kernels()
    if k is not None:
        return k.set_hashes(sets.hashes, sets.offsets, m1, m2)  # type: ignore[no-any-return]
    x = sets.hashes.astype(np.uint64) + np.uint64(1)
    with np.errstate(over="ignore"):
        x ^= x >> np.uint64(30)
        x *= m1
        x ^= x >> np.uint64(27)
        x *= m2
        x ^= x >> np.uint64(31)
        c = np.zeros(x.size + 1, dtype=np.uint64)
        np.cumsum(x, out=c[1:])
        return np.asarray(c[sets.offsets[1:]] - c[sets.offsets[:-1]], dtype=np.uint64)


def sets_equal(sets: ShingleSets, a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Whether set ``a[k]`` equals set ``b[k]``, for every ``k``."""
    k = kernels()
    if k is not None:
        return k.sets_equal(sets.hashes, sets.offsets, a, b)  # type: ignore[no-any-return]
    return np.array(
        [np.array_equal(sets[int(i)], sets[int(j)]) for i, j in zip(a, b, strict=True)],
        dtype=bool,
    )


def take_sets(sets: ShingleSets, rows: NDArray[np.int64], *, in_place: bool = False) -> ShingleSets:
    """The documents ``rows`` of ``sets``, in that order.

    Copied ``TAKE_ROWS`` documents at a time: one gather index for all of them costs 8 bytes
    a hash, twice the hashes themselves (2.6 GB at 1M documents, the in-memory run's peak).
    ``in_place`` (``rows`` ascending, ``sets`` handed over): written into ``sets.hashes``
    itself, returned as a view of its front. Safe chunk by chunk: a chunk is gathered before
    it is written, and it writes only below where any later chunk reads (a row never moves
    up, and the rows before it take at most the room they had).
    """
    sizes = sets.sizes()[rows]
    offsets = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    if in_place:
        if rows.size > 1 and not bool((rows[1:] > rows[:-1]).all()):
            raise ValueError("take_sets(in_place=True) needs ascending rows")
        out = sets.hashes
    else:
        out = np.empty(int(offsets[-1]), dtype=np.uint32)
    starts = sets.offsets[:-1][rows] - offsets[:-1]
    for lo in range(0, rows.size, TAKE_ROWS):
        hi = min(lo + TAKE_ROWS, rows.size)
        a, b = int(offsets[lo]), int(offsets[hi])
        src = np.repeat(starts[lo:hi], sizes[lo:hi]) + np.arange(a, b)
        out[a:b] = sets.hashes[src]
    return ShingleSets(out[: int(offsets[-1])] if in_place else out, offsets)


TAKE_ROWS = 16_384


class LSHIndex:
    """A streaming LSH index: ``insert`` signatures under keys, ``query`` candidate keys.

    >>> idx = LSHIndex(bands=2, rows=2)
    >>> import numpy as np
    >>> idx.insert("a", np.array([1, 2, 3, 4], dtype=np.uint32))
    >>> idx.query(np.array([1, 2, 9, 9], dtype=np.uint32))
    ['a']
    """

    def __init__(self, *, bands: int, rows: int) -> None:
        check_banding(bands, rows, bands * rows)
        self.bands = bands
        self.rows = rows
        self._buckets: list[dict[int, list[Hashable]]] = [{} for _ in range(bands)]
        self._keys: dict[Hashable, list[int]] = {}

    def _hashes(self, signature: NDArray[np.uint32]) -> list[int]:
        sig = np.asarray(signature, dtype=np.uint32)
        if sig.ndim != 1 or sig.size < self.bands * self.rows:
            raise SignatureError(
                f"signature must be 1-D with at least bands*rows={self.bands * self.rows} "
                f"values, got shape {sig.shape}"
            )
        return [int(x) for x in band_hashes(sig[None, :], self.bands, self.rows)[0]]

    def insert(self, key: Hashable, signature: NDArray[np.uint32]) -> None:
        if key in self._keys:
            raise KeyError(f"key {key!r} is already in the index")
        hs = self._hashes(signature)
        for band, h in enumerate(hs):
            self._buckets[band].setdefault(h, []).append(key)
        self._keys[key] = hs

    def query(self, signature: NDArray[np.uint32]) -> list[Hashable]:
        seen: dict[Hashable, None] = {}
        for band, h in enumerate(self._hashes(signature)):
            for key in self._buckets[band].get(h, ()):
                seen[key] = None
        return list(seen)

    def remove(self, key: Hashable) -> None:
        hs = self._keys.pop(key)
        for band, h in enumerate(hs):
            bucket = self._buckets[band][h]
            bucket.remove(key)
            if not bucket:
                del self._buckets[band][h]

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._keys)
