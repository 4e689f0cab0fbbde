"""Document frequencies and the boilerplate filter (see :mod:`arabic_dedup._boilerplate`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange


@njit(nogil=True, cache=True)
def _cell_counts(hashes, cell_bits):  # type: ignore[no-untyped-def]
    """Occurrences per cell of the low ``cell_bits`` bits: an upper bound of every hash's count."""
    cells = np.zeros(1 << cell_bits, dtype=np.uint32)
    mask = np.uint32((1 << cell_bits) - 1)
    for i in range(hashes.size):
        cells[hashes[i] & mask] += 1
    return cells


# _hot splits its input in blocks of this many hashes, a fixed split (not one per thread), so
# the output, in input order, never depends on the thread count. A multiple of 64: no two
# blocks (threads) share a word of the bit array.
HOT_BLOCK = 1 << 16


@njit(nogil=True, parallel=True, cache=True)
def _hot(hashes, cells, limit):  # type: ignore[no-untyped-def]
    """The hashes that sit in cells counted above ``limit`` (only they can be common), in
    input order. Two passes over fixed blocks, each block on any thread: the first reads each
    hash's cell (a random read in 16 MiB) and marks the hot ones in a bit array (one bit a
    hash), the second copies the marked ones, reading the bits in order."""
    mask = np.uint32(cells.size - 1)
    n = hashes.size
    blocks = (n + HOT_BLOCK - 1) // HOT_BLOCK
    found = np.zeros(blocks, dtype=np.int64)
    bits = np.zeros((n + 63) // 64, dtype=np.uint64)
    for b in prange(blocks):
        k = 0
        for i in range(b * HOT_BLOCK, min(n, (b + 1) * HOT_BLOCK)):
            if cells[hashes[i] & mask] > limit:
                bits[i >> 6] |= np.uint64(1) << np.uint64(i & 63)
                k += 1
        found[b] = k
    starts = np.zeros(blocks + 1, dtype=np.int64)
    for b in range(blocks):
        starts[b + 1] = starts[b] + found[b]
    out = np.empty(starts[blocks], dtype=np.uint32)
    for b in prange(blocks):
        w = starts[b]
        for i in range(b * HOT_BLOCK, min(n, (b + 1) * HOT_BLOCK)):
            if bits[i >> 6] & (np.uint64(1) << np.uint64(i & 63)):
                out[w] = hashes[i]
                w += 1
    return out


@njit(nogil=True, cache=True)
def _hash_set(values):  # type: ignore[no-untyped-def]
    """An open-addressing set of ``values`` (distinct), indexed by their high bits, with a
    bitmap filter in front. Returns (keys, used, shift, bitmap)."""
    bits = 4
    while (1 << bits) < 4 * values.size:
        bits += 1
    keys = np.zeros(1 << bits, dtype=np.uint32)
    used = np.zeros(1 << bits, dtype=np.bool_)
    shift = np.uint32(32 - bits)
    mask = (1 << bits) - 1
    bitmap = np.zeros((1 << FILTER_BITS) // 64, dtype=np.uint64)
    for v in values:
        slot = np.int64(v >> shift)
        while used[slot]:
            slot = (slot + 1) & mask
        keys[slot] = v
        used[slot] = True
        b = _filter_bit(v)
        bitmap[b >> np.uint64(6)] |= np.uint64(1) << (b & np.uint64(63))
    return keys, used, shift, bitmap


# The set's bitmap filter: 2**18 bits (32 KB, cache-resident), tested before the set is
# probed. Every shingle of the corpus is tested, and most are no common shingle (on
# SaudiNewsNet 76 % of the occurrences; 21,098 common ones set ~8 % of the bits): one bit
# test rejects them without a look at the 16 MiB of cell counts (a cache miss per shingle)
# that the filter used to take first.
FILTER_BITS = 18


@njit(inline="always")
def _filter_bit(h):  # type: ignore[no-untyped-def]
    # Knuth's multiplicative hash, top FILTER_BITS of the low 32 bits: all of h's bits count.
    x = (np.uint64(h) * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)
    return x >> np.uint64(32 - FILTER_BITS)


@njit(inline="always")
def _is_common(h, keys, used, shift, bitmap):  # type: ignore[no-untyped-def]
    b = _filter_bit(h)
    if not bitmap[b >> np.uint64(6)] & (np.uint64(1) << (b & np.uint64(63))):
        return False
    m = keys.size - 1
    slot = np.int64(h >> shift)
    while used[slot]:
        if keys[slot] == h:
            return True
        slot = (slot + 1) & m
    return False


@njit(nogil=True, parallel=True, cache=True)
def _filter_docs(hashes, offsets, common, exempt_share, with_removed, in_place):  # type: ignore[no-untyped-def]
    keys, used, shift, bitmap = _hash_set(common)
    n = offsets.size - 1
    keep_counts = np.zeros(n, dtype=np.int64)
    lost_counts = np.zeros(n, dtype=np.int64)  # what the removed sets hold (exempt: none)
    for d in prange(n):
        a = offsets[d]
        b = offsets[d + 1]
        lost = 0
        for i in range(a, b):
            if _is_common(hashes[i], keys, used, shift, bitmap):
                lost += 1
        ex = lost > 0 and lost >= exempt_share * (b - a)
        if not ex:
            lost_counts[d] = lost
        keep_counts[d] = (b - a) - lost_counts[d]
    starts = np.zeros(n + 1, dtype=np.int64)
    r_starts = np.zeros(n + 1, dtype=np.int64)
    for d in range(n):
        starts[d + 1] = starts[d] + keep_counts[d]
        r_starts[d + 1] = r_starts[d] + lost_counts[d]
    removed = np.empty(r_starts[n] if with_removed else 0, dtype=np.uint32)
    if with_removed:
        for d in prange(n):
            if lost_counts[d] == 0:
                continue
            w = r_starts[d]
            for i in range(offsets[d], offsets[d + 1]):
                h = hashes[i]
                if _is_common(h, keys, used, shift, bitmap):
                    removed[w] = h
                    w += 1
    if in_place:
        # Compact the kept shingles to the front of ``hashes`` itself, in document order: a
        # write never passes the read it comes from (starts[d] <= offsets[d]), so one
        # forward pass is safe; it is serial for that reason.
        for d in range(n):
            w = starts[d]
            a = offsets[d]
            if lost_counts[d] == 0:
                if w != a:
                    for i in range(a, offsets[d + 1]):
                        hashes[w] = hashes[i]
                        w += 1
                continue
            for i in range(a, offsets[d + 1]):
                h = hashes[i]
                if not _is_common(h, keys, used, shift, bitmap):
                    hashes[w] = h
                    w += 1
        return hashes[: starts[n]], keep_counts, removed, lost_counts
    out = np.empty(starts[n], dtype=np.uint32)
    for d in prange(n):
        w = starts[d]
        if lost_counts[d] == 0:
            out[w : w + keep_counts[d]] = hashes[offsets[d] : offsets[d + 1]]
            continue
        for i in range(offsets[d], offsets[d + 1]):
            h = hashes[i]
            if not _is_common(h, keys, used, shift, bitmap):
                out[w] = h
                w += 1
    return out, keep_counts, removed, lost_counts


@njit(nogil=True, cache=True)
def _radix_sort(a):  # type: ignore[no-untyped-def]
    """Sort ``a`` (uint32) in place: two counting passes of 16 bits, through one scratch
    array of its size (what np.sort's copy takes; 4x faster on 2M hashes)."""
    buf = np.empty_like(a)
    count = np.zeros(1 << 16, dtype=np.int64)
    for src, dst, shift in ((a, buf, np.uint32(0)), (buf, a, np.uint32(16))):
        count[:] = 0
        for i in range(src.size):
            count[(src[i] >> shift) & np.uint32(0xFFFF)] += 1
        total = 0
        for k in range(count.size):
            c = count[k]
            count[k] = total
            total += c
        for i in range(src.size):
            k = (src[i] >> shift) & np.uint32(0xFFFF)
            dst[count[k]] = src[i]
            count[k] += 1
    return a


def boilerplate_filter(  # type: ignore[no-untyped-def]
    hashes, offsets, limit, exempt_share, cell_bits, *, with_removed=False, in_place=False
):
    """Drop hashes found in more than ``limit`` documents, except in documents that would lose
    at least ``exempt_share`` of theirs. Returns (kept hashes, per-document counts, the
    sorted common hashes, removed hashes, their per-document counts): the removed ones (what
    the boilerplate rescue needs) only ``with_removed``, else empty.

    Each document's hashes are distinct, so occurrences are document counts. A first pass
    counts occurrences per cell of the low hash bits (an upper bound for every hash in the
    cell); only hashes in cells above the limit get an exact count, by sort + run lengths. So
    memory is a fixed 16 MiB plus the hot hashes, not a table sized by the corpus (the
    previous open-addressing table took 6.5 GB at 1M documents). ``in_place``: the kept
    hashes are compacted into ``hashes`` itself (returned as a view of its front), so the
    full and the filtered sets are never both held (the caller must own ``hashes``).
    """
    cells = cell_counts(hashes, cell_bits)
    common = common_of(hot_hashes(hashes, cells, limit), limit)
    del cells
    if common.size == 0:
        sizes = np.diff(offsets)
        return hashes, sizes, common, np.zeros(0, np.uint32), np.zeros_like(sizes)
    kept, counts, removed, r_counts = _filter_docs(
        hashes, offsets, common, exempt_share, with_removed, in_place
    )
    return kept, counts, common, removed, r_counts


# The same three steps for sets read window by window (spilled to disk: ``_sources``): the
# cells summed over every window, the hot hashes of every window gathered, then each window
# filtered with the corpus's cells and common hashes.
def cell_counts(hashes: Any, cell_bits: int) -> Any:
    """Occurrences of ``hashes`` per cell of their low ``cell_bits`` bits (uint32)."""
    return _cell_counts(hashes, cell_bits)


def hot_hashes(hashes: Any, cells: Any, limit: float) -> Any:
    """The hashes in cells counted above ``limit``: the only ones that can be common."""
    return _hot(hashes, cells, limit)


def common_of(hot: Any, limit: float) -> Any:
    """The sorted distinct hot hashes occurring more than ``limit`` times (sorts ``hot`` in
    place: callers hand over an array of their own)."""
    if hot.size == 0:
        return hot
    hot = _radix_sort(np.ascontiguousarray(hot, dtype=np.uint32))
    starts = np.flatnonzero(np.r_[True, hot[1:] != hot[:-1]])
    counts = np.diff(np.r_[starts, hot.size])
    return np.ascontiguousarray(hot[starts][counts > limit])


def filter_common(hashes: Any, offsets: Any, common: Any, exempt_share: float) -> Any:
    """The sets without ``common``, except in documents losing ``exempt_share`` of theirs:
    (kept hashes, per-document counts)."""
    if common.size == 0:
        return hashes, np.diff(offsets)
    kept, counts, _, _ = _filter_docs(hashes, offsets, common, exempt_share, False, False)
    return kept, counts


@njit(nogil=True, parallel=True, cache=True)
def _removed(full_h, full_off, kept_h, kept_off, out_off):  # type: ignore[no-untyped-def]
    out = np.empty(out_off[-1], dtype=np.uint32)
    for d in prange(full_off.size - 1):
        w = out_off[d]
        if out_off[d + 1] == w:
            continue
        j = kept_off[d]
        jb = kept_off[d + 1]
        for i in range(full_off[d], full_off[d + 1]):
            h = full_h[i]
            if j < jb and kept_h[j] == h:
                j += 1
            else:
                out[w] = h
                w += 1
    return out


def removed_of(full_h: Any, full_off: Any, kept_h: Any, kept_off: Any, out_off: Any) -> Any:
    """Each document's shingles that its filtered set lacks (``out_off``: where each one's
    start), by one merge of the two sorted sets (the kept ones are a subsequence)."""
    return _removed(full_h, full_off, kept_h, kept_off, out_off)


@njit(nogil=True, parallel=True, cache=True)
def _merge_rows(kept_h, kept_off, rem_h, rem_off, rows):  # type: ignore[no-untyped-def]
    n = rows.size
    offsets = np.zeros(n + 1, dtype=np.int64)
    for t in range(n):
        r = rows[t]
        offsets[t + 1] = (
            offsets[t] + (kept_off[r + 1] - kept_off[r]) + (rem_off[r + 1] - rem_off[r])
        )
    out = np.empty(offsets[n], dtype=np.uint32)
    for t in prange(n):
        r = rows[t]
        i, ib = kept_off[r], kept_off[r + 1]
        j, jb = rem_off[r], rem_off[r + 1]
        w = offsets[t]
        while i < ib and j < jb:
            if kept_h[i] < rem_h[j]:
                out[w] = kept_h[i]
                i += 1
            else:
                out[w] = rem_h[j]
                j += 1
            w += 1
        while i < ib:
            out[w] = kept_h[i]
            i += 1
            w += 1
        while j < jb:
            out[w] = rem_h[j]
            j += 1
            w += 1
    return out, offsets


def merge_rows(kept_h: Any, kept_off: Any, rem_h: Any, rem_off: Any, rows: Any) -> Any:
    """The rows ``rows`` of two disjoint sorted set collections merged, row by row, in that
    order: (hashes, offsets). One linear merge per row, rows on any thread."""
    return _merge_rows(kept_h, kept_off, rem_h, rem_off, rows)
