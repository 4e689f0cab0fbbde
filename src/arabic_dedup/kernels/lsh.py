"""Candidate pairs inside LSH buckets (see :mod:`arabic_dedup._lsh`)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def bucket_pairs(keys, ids):  # type: ignore[no-untyped-def]
    """Every pair (min id, max id) within each run of equal ``keys`` (sorted)."""
    n = keys.size
    total = 0
    i = 0
    while i < n:
        j = i + 1
        while j < n and keys[j] == keys[i]:
            j += 1
        m = j - i
        total += m * (m - 1) // 2
        i = j
    out = np.empty((total, 2), dtype=np.int64)
    t = 0
    i = 0
    while i < n:
        j = i + 1
        while j < n and keys[j] == keys[i]:
            j += 1
        for x in range(i, j):
            for y in range(x + 1, j):
                u = ids[x]
                v = ids[y]
                if u < v:
                    out[t, 0] = u
                    out[t, 1] = v
                else:
                    out[t, 0] = v
                    out[t, 1] = u
                t += 1
        i = j
    return out
