"""Intersection sizes and scores of candidate pairs (see :mod:`arabic_dedup._verify`).

The verify rule as compiled code takes it: ``Verifier.kernel_args()`` hands over its
parameters (``containment``, ``threshold``), :func:`score` and :func:`accepts` apply them; they
are the compiled twins of ``_verify._from_counts`` and ``Verifier.accept``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .twin import serial_twin


@njit(inline="always")
def intersect_count(hashes, offsets, i, j):  # type: ignore[no-untyped-def]
    """|A ∩ B| of documents ``i`` and ``j`` (sorted distinct hashes, CSR): one merge pass."""
    p = offsets[i]
    pe = offsets[i + 1]
    q = offsets[j]
    qe = offsets[j + 1]
    c = 0
    while p < pe and q < qe:
        x = hashes[p]
        y = hashes[q]
        if x == y:
            c += 1
            p += 1
            q += 1
        elif x < y:
            p += 1
        else:
            q += 1
    return c


@njit(inline="always")
def score(c, na, nb, containment):  # type: ignore[no-untyped-def]
    """Similarity from the counts: |A ∩ B| / min(|A|, |B|) (containment) or / |A ∪ B|
    (Jaccard); 0.0 when the denominator is 0 (an empty set)."""
    denom = min(na, nb) if containment else na + nb - c
    if denom <= 0:
        return 0.0
    return np.float64(c) / np.float64(denom)


@njit(inline="always")
def pair_score(hashes, offsets, i, j, containment):  # type: ignore[no-untyped-def]
    """The score of documents ``i`` and ``j`` (sorted distinct hashes, CSR)."""
    c = intersect_count(hashes, offsets, i, j)
    return score(c, offsets[i + 1] - offsets[i], offsets[j + 1] - offsets[j], containment)


@njit(inline="always")
def accepts(s, threshold):  # type: ignore[no-untyped-def]
    """Whether a pair scored ``s`` is a duplicate."""
    return s >= threshold


@njit(nogil=True, parallel=True, cache=True)
def intersect_counts(hashes, offsets, pairs):  # type: ignore[no-untyped-def]
    m = pairs.shape[0]
    out = np.zeros(m, dtype=np.int64)
    for t in prange(m):
        out[t] = intersect_count(hashes, offsets, pairs[t, 0], pairs[t, 1])
    return out


intersect_counts_serial = serial_twin(intersect_counts, "intersect_counts_serial")
