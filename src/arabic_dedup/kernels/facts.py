"""Fact fingerprints inside the fused shingle kernel (see :mod:`arabic_dedup._facts`).

The shingle kernel walks every document's normalised code points once; these inline steps
ride along: :func:`fact_char` on each code point of a token, :func:`fact_token_end` when a
token ends (it judges the token and emits the previous one's fact, whose slot needs this
token's hash), :func:`fact_doc_end` at the document's end. A fact is emitted as
``_facts.pack`` defines it: the fold of the neighbour tokens' unit hashes (an edge is the
empty token, hash ``fnv_offset``) in the high bits, the value bits in the low ones. Lexicon
words are looked up by their 64-bit unit hash in an open-addressing table
(:func:`build_lexicon_table`); numbers are read digit by digit, as ``_facts._number_value``
reads them (one prefix letter, digits, one calendar letter; leading and trailing zeros
dropped). Each document keeps its ``max_facts`` smallest distinct fact hashes (bottom-k),
sorted.

Per-document state lives in two small arrays (counters, hashes) that the steps update.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .hashing import fold

# Counter slots (int64 state array).
N_CHARS, FIRST, LAST, N_DIGITS, STARTED, ZEROS, CUR_IS_FACT, N_OUT = range(8)
N_COUNTERS = 8
# Hash slots (uint64 state array).
NUM_HASH, PREV_HASH, CUR_HASH, CUR_VALUE = range(4)
N_HASHES = 4
EMPTY = -1  # an unused slot of the lexicon table


@njit(inline="always")
def _probe(h, mask):  # type: ignore[no-untyped-def]
    return (h ^ (h >> np.uint64(29))) & mask


@njit(cache=True)
def build_lexicon_table(keys, values, size):  # type: ignore[no-untyped-def]
    """An open-addressing table (``size`` a power of two, above ``keys.size``) of unit hash
    -> value bits; on a repeated key the first value stays."""
    mask = np.uint64(size - 1)
    tkeys = np.zeros(size, dtype=np.uint64)
    tvals = np.full(size, EMPTY, dtype=np.int64)
    for n in range(keys.size):
        i = _probe(keys[n], mask)
        while tvals[i] != EMPTY and tkeys[i] != keys[n]:
            i = (i + np.uint64(1)) & mask
        if tvals[i] == EMPTY:
            tkeys[i] = keys[n]
            tvals[i] = values[n]
    return tkeys, tvals


@njit(inline="always")
def _lookup(h, tkeys, tvals):  # type: ignore[no-untyped-def]
    mask = np.uint64(tkeys.size - 1)
    i = _probe(h, mask)
    while tvals[i] != EMPTY:
        if tkeys[i] == h:
            return tvals[i]
        i = (i + np.uint64(1)) & mask
    return EMPTY


@njit(inline="always")
def fact_doc_start(ist, hst, fnv_offset):  # type: ignore[no-untyped-def]
    ist[:] = 0
    hst[CUR_HASH] = np.uint64(fnv_offset)  # before the first token: the empty token


@njit(inline="always")
def fact_char(ist, hst, oc, digit_value, fnv_offset, fnv_prime):  # type: ignore[no-untyped-def]
    """One output code point ``oc`` of the current token."""
    if ist[N_CHARS] == 0:
        ist[FIRST] = oc
        ist[N_DIGITS] = 0
        ist[STARTED] = 0
        ist[ZEROS] = 0
    ist[N_CHARS] += 1
    ist[LAST] = oc
    d = digit_value[oc]
    if d < 0:
        return
    ist[N_DIGITS] += 1
    if d == 0:
        if ist[STARTED]:
            ist[ZEROS] += 1  # kept only if a non-zero digit follows (trailing zeros drop)
        return
    fp = np.uint64(fnv_prime)
    if ist[STARTED] == 0:
        ist[STARTED] = 1
        hst[NUM_HASH] = np.uint64(fnv_offset)
    h = hst[NUM_HASH]
    for _ in range(ist[ZEROS]):
        h = (h ^ np.uint64(48)) * fp
    ist[ZEROS] = 0
    hst[NUM_HASH] = (h ^ np.uint64(48 + d)) * fp


@njit(inline="always")
def _is_in(c, cps):  # type: ignore[no-untyped-def]
    for x in cps:
        if c == x:
            return True
    return False


@njit(inline="always")
def _insert(buf, base, count, cap, v):  # type: ignore[no-untyped-def]
    """Add ``v`` to the sorted distinct ``buf[base:base+count]``, keeping the ``cap`` smallest."""
    at = 0
    while at < count and buf[base + at] < v:
        at += 1
    if (at < count and buf[base + at] == v) or at >= cap:
        return count
    end = count if count < cap else cap - 1
    for j in range(end, at, -1):
        buf[base + j] = buf[base + j - 1]
    buf[base + at] = v
    return count + 1 if count < cap else cap


@njit(inline="always")
def _emit(  # type: ignore[no-untyped-def]
    ist, hst, after, ring, fbuf, fbase, max_facts, slot_shift, seed, mult, m1, m2
):
    ring[0] = hst[PREV_HASH]
    ring[1] = after
    slot = np.uint64(fold(ring, 0, 2, 2, seed, mult, m1, m2)) >> np.uint64(slot_shift)
    packed = np.uint32(((slot << np.uint64(slot_shift)) | hst[CUR_VALUE]) & np.uint64(0xFFFFFFFF))
    ist[N_OUT] = _insert(fbuf, fbase, ist[N_OUT], max_facts, packed)


@njit(inline="always")
def fact_token_end(  # type: ignore[no-untyped-def]
    ist, hst, h, ring, tkeys, tvals, prefixes, suffixes, number_bits, value_keep, fbuf, fbase,
    max_facts, slot_shift, fnv_offset, seed, mult, m1, m2,
):  # fmt: skip
    """The token of unit hash ``h`` ended: emit the previous token's fact (its slot ends at
    ``h``), then judge this token."""
    if ist[CUR_IS_FACT]:
        _emit(ist, hst, h, ring, fbuf, fbase, max_facts, slot_shift, seed, mult, m1, m2)
    hst[PREV_HASH] = hst[CUR_HASH]
    hst[CUR_HASH] = h
    ist[CUR_IS_FACT] = 0
    n = ist[N_CHARS]
    ist[N_CHARS] = 0
    # A number: [prefix letter] digits [calendar letter], as _facts._number_value reads it.
    start = 1 if n > 1 and _is_in(ist[FIRST], prefixes) else 0
    body = n - start
    if body > 1 and _is_in(ist[LAST], suffixes):
        body -= 1
    if body >= 1 and ist[N_DIGITS] == body:
        if ist[STARTED]:  # zero ("" value) is no fact
            ring[0] = hst[NUM_HASH]
            v = np.uint64(fold(ring, 0, 1, 1, seed, mult, m1, m2)) >> np.uint64(slot_shift)
            hst[CUR_VALUE] = (v & np.uint64(value_keep)) | np.uint64(number_bits)
            ist[CUR_IS_FACT] = 1
        return
    found = _lookup(h, tkeys, tvals)
    if found != EMPTY:
        hst[CUR_VALUE] = np.uint64(found)
        ist[CUR_IS_FACT] = 1


@njit(inline="always")
def fact_doc_end(  # type: ignore[no-untyped-def]
    ist, hst, ring, fbuf, fbase, max_facts, slot_shift, fnv_offset, seed, mult, m1, m2
):
    """The document ended: emit its last token's fact (the slot ends at the empty token)."""
    if ist[CUR_IS_FACT]:
        after = np.uint64(fnv_offset)
        _emit(ist, hst, after, ring, fbuf, fbase, max_facts, slot_shift, seed, mult, m1, m2)
    return ist[N_OUT]
