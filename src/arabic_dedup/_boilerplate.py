"""Corpus-aware boilerplate: shingles that recur across very many documents.

Outlet headers and footers ("رابط الخبر بصحيفة ..."), share buttons and the fixed formulas of
bulletins and cables appear in hundreds of documents. They make unrelated texts look alike
(two weather bulletins, two congratulation cables) and copies with different boilerplate look
different, so ``find_duplicates`` ignores shingles whose document frequency exceeds ``max_df``.

One exception: a document that would lose most of its shingles this way is not carrying
boilerplate, it *is* the widely copied text (a wire story republished by more outlets than
``max_df``), so it keeps all of its shingles.

Measured on 280 hand-labelled SaudiNewsNet pairs (word 2-shingles, Jaccard >= 0.3): without the
filter 44 % of TEMPLATE pairs merge, with ``max_df=30`` 9 %, while COPY pairs stay at 100 %.

A stream (:class:`~arabic_dedup.Deduplicator`) never holds the whole corpus: its store counts
the document frequency of every shingle over the texts seen so far, and each comparison drops
the shingles above :class:`DFLimit` at that moment (:func:`filter_with_counts`), with the same
exemption rule (:func:`exempt`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._engine import kernels
from ._shingle import ShingleSets

__all__ = [
    "AUTO_MAX_DF_FLOOR",
    "AUTO_MAX_DF_FRACTION",
    "DFLimit",
    "drop_common",
    "exempt",
    "filter_boilerplate",
    "filter_hits",
    "filter_with_counts",
    "max_df_limit",
]

AUTO_MAX_DF_FLOOR = 30
AUTO_MAX_DF_FRACTION = 0.001
# A document losing at least this share of its shingles keeps them all (see module docstring).
EXEMPT_SHARE = 0.75
# Document frequencies are first counted in 2**DF_CELL_BITS cells by a hash's low bits (an
# upper bound of each hash's count; 16 MiB of counters, cache-friendly): the batch kernel
# counts exactly only the hashes in cells above the limit, and a stream's store keeps these
# cells as its counts (part of the stored index format).
DF_CELL_BITS = 22


def max_df_limit(max_df: float | str, n_docs: int) -> float:
    """The document-frequency limit: ``max_df`` documents, a fraction if < 1, or "auto"
    = max(30, 0.1 % of the documents)."""
    return DFLimit.of(max_df)(n_docs)


@dataclass(frozen=True)
class DFLimit:
    """``max_df`` as ``limit(n_docs) = max(floor, fraction * n_docs)``: the same rule as
    :func:`max_df_limit`, in two numbers a store can evaluate itself (Redis does, in Lua).

    >>> lim = DFLimit.of("auto")
    >>> lim(1_000), lim(100_000), DFLimit.of(5)(10), DFLimit.of(0.5)(10)
    (30, 100.0, 5, 5.0)
    """

    floor: float
    fraction: float

    @classmethod
    def of(cls, max_df: float | str) -> DFLimit:
        if max_df == "auto":
            return cls(AUTO_MAX_DF_FLOOR, AUTO_MAX_DF_FRACTION)
        assert not isinstance(max_df, str)  # validated by DedupConfig
        return cls(0, max_df) if max_df < 1 else cls(max_df, 0)

    def __call__(self, n_docs: int) -> float:
        return max(self.floor, self.fraction * n_docs)


def exempt(lost: NDArray[Any] | int, sizes: NDArray[Any] | int) -> NDArray[np.bool_]:
    """Whether a document losing ``lost`` of its ``sizes`` shingles keeps them all: it is the
    widely copied text itself, not a text carrying boilerplate (see module docstring)."""
    return np.asarray(lost >= EXEMPT_SHARE * np.maximum(sizes, 1))


def filter_hits(hashes: NDArray[np.uint32], hit: NDArray[np.bool_]) -> NDArray[np.uint32]:
    """One document's ``hashes`` without those flagged in ``hit``, unless it is exempt."""
    n_hit = int(np.count_nonzero(hit))
    if n_hit == 0 or exempt(n_hit, hashes.size):
        return hashes
    return hashes[~hit]


def filter_with_counts(
    hashes: NDArray[np.uint32], counts: NDArray[np.int64], limit: float
) -> NDArray[np.uint32]:
    """One document's ``hashes`` without those whose document frequency (``counts``, aligned
    with ``hashes``) exceeds ``limit`` — unless that would take 75 % of them.

    >>> import numpy as np
    >>> h = np.array([1, 2, 3, 4], dtype=np.uint32)
    >>> filter_with_counts(h, np.array([1, 40, 2, 1]), 30).tolist()
    [1, 3, 4]
    >>> filter_with_counts(h, np.array([40, 40, 40, 1]), 30).tolist()  # exempt: keeps all
    [1, 2, 3, 4]
    """
    return filter_hits(hashes, np.asarray(counts) > limit)


def common_shingles(sets: ShingleSets, limit: float) -> NDArray[np.uint32]:
    """Sorted shingle hashes found in more than ``limit`` documents."""
    # Sort + run lengths: numpy 2.4's np.unique(return_counts=True) is far slower here.
    s: NDArray[np.uint32] = np.sort(sets.hashes)
    if s.size == 0:
        return s
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    counts = np.diff(np.r_[starts, s.size])
    return np.asarray(s[starts][counts > limit], dtype=np.uint32)


def filter_boilerplate(sets: ShingleSets, max_df: float | str) -> ShingleSets:
    """``sets`` without the shingles found in more than ``max_df`` documents (see module doc)."""
    limit = max_df_limit(max_df, len(sets))
    k = kernels()
    if k is not None:
        hashes, counts = k.boilerplate_filter(
            sets.hashes, sets.offsets, limit, EXEMPT_SHARE, DF_CELL_BITS
        )
        offsets = np.zeros(len(sets) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return ShingleSets(hashes, offsets)
    return _filter_reference(sets, limit)


def _filter_reference(sets: ShingleSets, limit: float) -> ShingleSets:
    return drop_common(sets, common_shingles(sets, limit))


def drop_common(sets: ShingleSets, common: NDArray[np.uint32]) -> ShingleSets:
    """``sets`` without the hashes in ``common`` (sorted), except in exempt documents."""
    if common.size == 0 or sets.hashes.size == 0:
        return sets
    # Membership by binary search in the sorted ``common`` (np.isin sorts both: slower).
    at = np.minimum(np.searchsorted(common, sets.hashes), common.size - 1)
    hit = common[at] == sets.hashes
    sizes = sets.sizes()
    doc = np.repeat(np.arange(len(sets)), sizes)
    lost = np.bincount(doc, weights=hit, minlength=len(sets))
    keep = ~hit | exempt(lost, sizes)[doc]
    counts = np.bincount(doc[keep], minlength=len(sets))
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return ShingleSets(sets.hashes[keep], offsets)
