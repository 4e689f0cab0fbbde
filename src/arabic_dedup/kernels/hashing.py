"""The shingle hash's fold step, shared by the shingle and fact-fingerprint kernels."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(inline="always")
def fold(ring, start, n, k, seed, mult, m1, m2):  # type: ignore[no-untyped-def]
    """Hash of the ``n`` unit hashes in ``ring`` from ``start`` on (wrapping at ``k``); see
    ``_shingle._fold``. Indexes wrap by comparison: an integer division per token (``%``)
    cost more than the rest of the token's work."""
    h = np.uint64(seed)
    for j in range(n):
        idx = start + j
        if idx >= k:
            idx -= k
        h = (h ^ ring[idx]) * np.uint64(mult)
        h ^= h >> np.uint64(29)
    h ^= h >> np.uint64(30)
    h = h * np.uint64(m1)
    h ^= h >> np.uint64(27)
    h = h * np.uint64(m2)
    h ^= h >> np.uint64(31)
    return np.uint32(h >> np.uint64(32))
