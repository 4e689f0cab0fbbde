"""Intersection sizes of candidate pairs (see :mod:`arabic_dedup._verify`)."""

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


@njit(nogil=True, parallel=True, cache=True)
def intersect_counts(hashes, offsets, pairs):  # type: ignore[no-untyped-def]
    m = pairs.shape[0]
    out = np.zeros(m, dtype=np.int64)
    for t in prange(m):
        out[t] = intersect_count(hashes, offsets, pairs[t, 0], pairs[t, 1])
    return out


intersect_counts_serial = serial_twin(intersect_counts, "intersect_counts_serial")
