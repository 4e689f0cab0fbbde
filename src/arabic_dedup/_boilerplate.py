"""Corpus-aware boilerplate: shingles that recur across very many documents.

Outlet headers and footers ("رابط الخبر بصحيفة ..."), share buttons and the fixed formulas of
bulletins and cables appear in hundreds of documents. They make unrelated texts look alike
(and copies with different boilerplate look different), so ``find_duplicates`` can ignore
shingles whose document frequency exceeds ``max_df``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._minhash import ShingleSets

__all__ = ["common_shingles", "drop_shingles"]


def common_shingles(sets: ShingleSets, max_df: float) -> NDArray[np.uint32]:
    """Sorted shingle hashes found in more than ``max_df`` documents (a fraction if < 1)."""
    limit = max_df * len(sets) if max_df < 1 else max_df
    values, counts = np.unique(sets.hashes, return_counts=True)
    return values[counts > limit].astype(np.uint32)


def drop_shingles(sets: ShingleSets, drop: NDArray[np.uint32]) -> ShingleSets:
    """``sets`` without the shingles in ``drop`` (sorted)."""
    if drop.size == 0:
        return sets
    keep = ~np.isin(sets.hashes, drop, assume_unique=False)
    doc = np.repeat(np.arange(len(sets)), sets.sizes())
    counts = np.bincount(doc[keep], minlength=len(sets))
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return ShingleSets(sets.hashes[keep], offsets)
