"""LSH-stage kernels (see :mod:`arabic_dedup._lsh`): identical-set hashing, and candidate pairs
inside LSH buckets with giant buckets set aside."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def set_hashes(hashes, offsets, m1, m2):  # type: ignore[no-untyped-def]
    """Per document, the wrapping sum of a SplitMix64-style mix of its hashes (``m1``, ``m2``
    the mixer's multipliers): equal sets give equal values."""
    n = offsets.size - 1
    out = np.zeros(n, dtype=np.uint64)
    for d in range(n):
        acc = np.uint64(0)
        for p in range(offsets[d], offsets[d + 1]):
            x = np.uint64(hashes[p]) + np.uint64(1)
            x ^= x >> np.uint64(30)
            x *= m1
            x ^= x >> np.uint64(27)
            x *= m2
            x ^= x >> np.uint64(31)
            acc += x
        out[d] = acc
    return out


@njit(nogil=True, cache=True)
def sets_equal(hashes, offsets, a, b):  # type: ignore[no-untyped-def]
    """Whether document ``a[t]``'s set equals document ``b[t]``'s, for every ``t``."""
    out = np.zeros(a.size, dtype=np.bool_)
    for t in range(a.size):
        p = offsets[a[t]]
        q = offsets[b[t]]
        size = offsets[a[t] + 1] - p
        if offsets[b[t] + 1] - q != size:
            continue
        same = True
        for u in range(size):
            if hashes[p + u] != hashes[q + u]:
                same = False
                break
        out[t] = same
    return out


@njit(nogil=True, cache=True)
def bucket_pairs(keys, ids, weights, limit, has_small):  # type: ignore[no-untyped-def]
    """Every pair (min id, max id) within each run of equal ``keys`` (sorted) whose weight
    (sum of ``weights[id]``) is at most ``limit``; marks those ids in ``has_small``. Heavier
    runs are returned whole instead, as giant buckets ``(offsets, members)``."""
    n = keys.size
    total = 0
    giant_runs = 0
    giant_members = 0
    i = 0
    while i < n:
        j = i + 1
        w = weights[ids[i]]
        while j < n and keys[j] == keys[i]:
            w += weights[ids[j]]
            j += 1
        m = j - i
        if w <= limit:
            total += m * (m - 1) // 2
        else:
            giant_runs += 1
            giant_members += m
        i = j
    out = np.empty((total, 2), dtype=np.int64)
    g_off = np.zeros(giant_runs + 1, dtype=np.int64)
    g_mem = np.empty(giant_members, dtype=np.int64)
    t = 0
    g = 0
    gm = 0
    i = 0
    while i < n:
        j = i + 1
        w = weights[ids[i]]
        while j < n and keys[j] == keys[i]:
            w += weights[ids[j]]
            j += 1
        if w > limit:
            for x in range(i, j):
                g_mem[gm] = ids[x]
                gm += 1
            g += 1
            g_off[g] = gm
            i = j
            continue
        for x in range(i, j):
            has_small[ids[x]] = True
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
    return out, g_off, g_mem


# Radix digits of 11 bits: 6 counting passes over 64-bit keys (an even number, so the result
# lands back in the caller's arrays), 2,048 counters (cache-resident). Measured on 29M random
# keys: 2.05 s, against 2.3 s with 8-bit digits, 3.3 s with 16-bit ones (65,536 counters
# scatter across the cache) and 5.4 s for numpy's stable argsort + sort.
DIGIT_BITS = 11
PASSES = 6


@njit(nogil=True, cache=True)
def sort_with_order(keys, order):  # type: ignore[no-untyped-def]
    """Sort ``keys`` (uint64) in place and return the stable permutation that does it, in
    ``order`` (int32 or int64, of ``keys``' size): ``order`` = ``np.argsort(keys,
    kind="stable")`` on the keys given, ``keys`` = ``keys[order]``. LSD radix (stable), through
    one key and one order scratch array."""
    n = keys.size
    for i in range(n):
        order[i] = i
    kbuf = np.empty_like(keys)
    obuf = np.empty_like(order)
    mask = np.uint64((1 << DIGIT_BITS) - 1)
    count = np.zeros(1 << DIGIT_BITS, dtype=np.int64)
    src_k, src_o, dst_k, dst_o = keys, order, kbuf, obuf
    for p in range(PASSES):
        shift = np.uint64(DIGIT_BITS * p)
        count[:] = 0
        for i in range(n):
            count[(src_k[i] >> shift) & mask] += 1
        total = 0
        for d in range(count.size):
            c = count[d]
            count[d] = total
            total += c
        for i in range(n):
            d = (src_k[i] >> shift) & mask
            at = count[d]
            dst_k[at] = src_k[i]
            dst_o[at] = src_o[i]
            count[d] = at + 1
        src_k, src_o, dst_k, dst_o = dst_k, dst_o, src_k, src_o
    return order  # PASSES is even: the result is back in keys and order
