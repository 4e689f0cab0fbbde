"""Fact fingerprints inside the fused shingle kernel (see :mod:`arabic_dedup._facts`).

The shingle kernel walks every document's normalised code points once; these inline steps
ride along: :func:`fact_char` on each code point of a token, :func:`fact_token_end` when a
token ends (it judges the token and emits the previous one's fact, whose slot needs this
token's hash), :func:`fact_doc_end` at the document's end. A fact is emitted as
``_facts.pack`` defines it: the fold of the neighbour tokens' unit hashes (an edge is the
empty token, hash ``fnv_offset``) in the high bits, the value bits in the low ones. Lexicon
words are looked up by their 64-bit unit hash in an open-addressing table
(:func:`build_lexicon_table`); numbers are read digit by digit, as ``_factread._read_number``
reads them (one prefix letter, digits, one calendar letter; leading and trailing zeros
dropped; a token of ``group_digits`` digits right after one continues it; an hour 13..24 after
an hour word is read on a 12-hour clock). A number after an approximation word (or a head and
a tail: أكثر من) has its slot hash XORed with its value bits times ``approx_salt``. Each
document keeps its ``max_facts`` smallest distinct fact hashes (bottom-k), sorted.

Per-document state lives in two small arrays (counters, hashes) that the steps update.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .hashing import fold

# Counter slots (int64 state array). VALUE: the token's digits as an integer (capped at
# VALUE_CAP: only hours and digit groups read it); FIGURE_ZEROS: the current figure's pending
# zeros, CUR_IS_FIGURE: the current fact is a figure of digits a group may continue;
# CUR_APPROX: the current fact is a number after an approximation.
N_CHARS, FIRST, LAST, N_DIGITS, STARTED, ZEROS, CUR_IS_FACT, N_OUT = range(8)
VALUE, FIGURE_ZEROS, CUR_IS_FIGURE, CUR_APPROX = range(8, 12)
N_COUNTERS = 12
# Hash slots (uint64 state array). FACT_BEFORE: the token before the current fact (its slot's
# first half); FIGURE_HASH: the current figure's digits so far (trailing zeros pending);
# PREV2_HASH: the token before PREV_HASH; CUR_SALT: what the current fact's slot hash is XORed
# with (0, or an approximate figure's salted value).
NUM_HASH, PREV_HASH, CUR_HASH, CUR_VALUE, FACT_BEFORE, FIGURE_HASH, PREV2_HASH, CUR_SALT = range(8)
N_HASHES = 8
VALUE_CAP = 1000
EMPTY = -1  # an unused slot of the lexicon table


@njit(inline="always")
def _probe(h, mask):  # type: ignore[no-untyped-def]
    return (h ^ (h >> np.uint64(29))) & mask


# A bitmap of 2**18 bits (32 KB, cache-resident) in front of the table: most tokens are no
# lexicon word, and one bit test rejects them without touching the table.
FILTER_BITS = 18


@njit(inline="always")
def _filter_bit(h):  # type: ignore[no-untyped-def]
    return (h >> np.uint64(40)) & np.uint64((1 << FILTER_BITS) - 1)


@njit(cache=True)
def build_lexicon_table(keys, values, size):  # type: ignore[no-untyped-def]
    """An open-addressing table (``size`` a power of two, above ``keys.size``) of unit hash
    -> value bits (on a repeated key the first value stays), and its bitmap filter."""
    mask = np.uint64(size - 1)
    tkeys = np.zeros(size, dtype=np.uint64)
    tvals = np.full(size, EMPTY, dtype=np.int64)
    bitmap = np.zeros((1 << FILTER_BITS) // 64, dtype=np.uint64)
    for n in range(keys.size):
        b = _filter_bit(keys[n])
        bitmap[b >> np.uint64(6)] |= np.uint64(1) << (b & np.uint64(63))
        i = _probe(keys[n], mask)
        while tvals[i] != EMPTY and tkeys[i] != keys[n]:
            i = (i + np.uint64(1)) & mask
        if tvals[i] == EMPTY:
            tkeys[i] = keys[n]
            tvals[i] = values[n]
    return tkeys, tvals, bitmap


@njit(inline="always")
def _lookup(h, tkeys, tvals, bitmap):  # type: ignore[no-untyped-def]
    b = _filter_bit(h)
    if bitmap[b >> np.uint64(6)] & (np.uint64(1) << (b & np.uint64(63))) == 0:
        return EMPTY
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
    hst[:] = 0
    hst[CUR_HASH] = np.uint64(fnv_offset)  # before the first token: the empty token
    hst[PREV_HASH] = np.uint64(fnv_offset)


@njit(inline="always")
def fact_char(ist, hst, oc, digit_value, fnv_offset, fnv_prime):  # type: ignore[no-untyped-def]
    """One output code point ``oc`` of the current token."""
    if ist[N_CHARS] == 0:
        ist[FIRST] = oc
        ist[N_DIGITS] = 0
        ist[STARTED] = 0
        ist[ZEROS] = 0
        ist[VALUE] = 0
    ist[N_CHARS] += 1
    ist[LAST] = oc
    d = digit_value[oc]
    if d < 0:
        return
    ist[N_DIGITS] += 1
    if ist[VALUE] < VALUE_CAP:
        ist[VALUE] = ist[VALUE] * 10 + d
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
    ring[0] = hst[FACT_BEFORE]
    ring[1] = after
    h = np.uint64(fold(ring, 0, 2, 2, seed, mult, m1, m2)) ^ hst[CUR_SALT]
    slot = h >> np.uint64(slot_shift)
    packed = np.uint32(((slot << np.uint64(slot_shift)) | hst[CUR_VALUE]) & np.uint64(0xFFFFFFFF))
    ist[N_OUT] = _insert(fbuf, fbase, ist[N_OUT], max_facts, packed)


@njit(inline="always")
def _digit(h, d, fp):  # type: ignore[no-untyped-def]
    return (h ^ np.uint64(48 + d)) * fp


@njit(inline="always")
def _number_bits(hnum, ring, number_bits, value_keep, slot_shift, seed, mult, m1, m2):  # type: ignore[no-untyped-def]
    ring[0] = hnum
    v = np.uint64(fold(ring, 0, 1, 1, seed, mult, m1, m2)) >> np.uint64(slot_shift)
    return (v & np.uint64(value_keep)) | np.uint64(number_bits)


@njit(inline="always")
def _is_hour_word(h, hour_keys):  # type: ignore[no-untyped-def]
    for x in hour_keys:
        if h == x:
            return True
    return False


@njit(inline="always")
def _has(keys, h):  # type: ignore[no-untyped-def]
    """Whether the sorted ``keys`` hold ``h``."""
    j = np.searchsorted(keys, h)
    return j < keys.size and keys[j] == h


@njit(inline="always")
def _after_approximation(hst, approx_words, approx_heads, approx_tails):  # type: ignore[no-untyped-def]
    """Whether the token judged now follows an approximation word (the token before it) or a
    head and a tail (the two before it)."""
    prev = hst[PREV_HASH]
    return _has(approx_words, prev) or (
        _has(approx_tails, prev) and _has(approx_heads, hst[PREV2_HASH])
    )


@njit(inline="always")
def _set_salt(ist, hst, approx_salt):  # type: ignore[no-untyped-def]
    """The current fact's slot salt: its value bits times ``approx_salt`` (low 32 bits) when
    it is approximate, else 0."""
    hst[CUR_SALT] = np.uint64(0)
    if ist[CUR_APPROX]:
        hst[CUR_SALT] = (hst[CUR_VALUE] * np.uint64(approx_salt)) & np.uint64(0xFFFFFFFF)


@njit(inline="always")
def fact_token_end(  # type: ignore[no-untyped-def]
    ist, hst, h, ring, tkeys, tvals, bitmap, prefixes, suffixes, hour_keys, approx_words,
    approx_heads, approx_tails, approx_salt, group_digits, number_bits, value_keep, fbuf, fbase,
    max_facts, slot_shift, fnv_offset, fnv_prime, seed, mult, m1, m2,
):  # fmt: skip
    """The token of unit hash ``h`` ended: continue the current figure with it (a digit
    group), or emit the previous token's fact (its slot ends at ``h``) and judge this token."""
    n = ist[N_CHARS]
    ist[N_CHARS] = 0
    fp = np.uint64(fnv_prime)
    if ist[CUR_IS_FIGURE] and n == group_digits and ist[N_DIGITS] == n:
        # 12,794: replay the group's digits on the figure's (trailing zeros pending).
        hnum = hst[FIGURE_HASH]
        zeros = ist[FIGURE_ZEROS]
        scale = 1
        for _ in range(n - 1):
            scale *= 10
        v = ist[VALUE]
        while scale > 0:
            d = (v // scale) % 10
            scale //= 10
            if d == 0:
                zeros += 1
                continue
            for _ in range(zeros):
                hnum = _digit(hnum, 0, fp)
            zeros = 0
            hnum = _digit(hnum, d, fp)
        hst[FIGURE_HASH] = hnum
        ist[FIGURE_ZEROS] = zeros
        hst[CUR_VALUE] = _number_bits(
            hnum, ring, number_bits, value_keep, slot_shift, seed, mult, m1, m2
        )
        _set_salt(ist, hst, approx_salt)
        hst[PREV2_HASH] = hst[PREV_HASH]
        hst[PREV_HASH] = hst[CUR_HASH]
        hst[CUR_HASH] = h
        return
    if ist[CUR_IS_FACT]:
        _emit(ist, hst, h, ring, fbuf, fbase, max_facts, slot_shift, seed, mult, m1, m2)
    hst[PREV2_HASH] = hst[PREV_HASH]
    hst[PREV_HASH] = hst[CUR_HASH]
    hst[CUR_HASH] = h
    ist[CUR_IS_FACT] = 0
    ist[CUR_IS_FIGURE] = 0
    # A number: [prefix letter] digits [calendar letter], as _factread._number_digits reads it.
    start = 1 if n > 1 and _is_in(ist[FIRST], prefixes) else 0
    body = n - start
    dated = body > 1 and _is_in(ist[LAST], suffixes)
    if dated:
        body -= 1
    if body >= 1 and ist[N_DIGITS] == body:
        if ist[STARTED]:  # zero ("" value) is no fact
            hnum = hst[NUM_HASH]
            if not dated:
                ist[CUR_IS_FIGURE] = 1
                hst[FIGURE_HASH] = hnum
                ist[FIGURE_ZEROS] = ist[ZEROS]
                v = ist[VALUE]
                if 13 <= v <= 24 and _is_hour_word(hst[PREV_HASH], hour_keys):
                    v -= 12  # 1..12, written without a trailing zero (10 -> "1")
                    hnum = np.uint64(fnv_offset)
                    if v >= 10:
                        hnum = _digit(hnum, 1, fp)
                        v -= 10
                    if v > 0:
                        hnum = _digit(hnum, v, fp)
            hst[CUR_VALUE] = _number_bits(
                hnum, ring, number_bits, value_keep, slot_shift, seed, mult, m1, m2
            )
            ist[CUR_APPROX] = _after_approximation(hst, approx_words, approx_heads, approx_tails)
            _set_salt(ist, hst, approx_salt)
            hst[FACT_BEFORE] = hst[PREV_HASH]
            ist[CUR_IS_FACT] = 1
        return
    found = _lookup(h, tkeys, tvals, bitmap)
    if found != EMPTY:
        hst[CUR_VALUE] = np.uint64(found)
        # a number word (the value's kind bits, those value_keep leaves, are the number's)
        ist[CUR_APPROX] = (hst[CUR_VALUE] & ~np.uint64(value_keep)) == np.uint64(
            number_bits
        ) and _after_approximation(hst, approx_words, approx_heads, approx_tails)
        _set_salt(ist, hst, approx_salt)
        hst[FACT_BEFORE] = hst[PREV_HASH]
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


@njit(nogil=True, cache=True)
def fact_evidence(  # type: ignore[no-untyped-def]
    hashes, offsets, pairs, max_facts, slot_shift, value_mask, n_kinds
):
    """Per pair and fact kind: values shared, only in the first, only in the second document,
    and conflicting slots; ``_facts.evidence`` is the definition (vectorised numpy) and this
    its per-pair twin. Each fingerprint is sorted and at most ``max_facts`` long, so the
    quadratic loops stay small."""
    m = pairs.shape[0]
    shared = np.zeros((m, n_kinds), dtype=np.int32)
    only_a = np.zeros((m, n_kinds), dtype=np.int32)
    only_b = np.zeros((m, n_kinds), dtype=np.int32)
    conflict = np.zeros((m, n_kinds), dtype=np.int32)
    ca = np.zeros(n_kinds, dtype=np.int32)
    cb = np.zeros(n_kinds, dtype=np.int32)
    for p in range(m):
        pair_evidence(
            hashes, offsets, pairs[p, 0], pairs[p, 1], max_facts, slot_shift, value_mask,
            n_kinds, shared[p], only_a[p], only_b[p], conflict[p], ca, cb,
        )  # fmt: skip
    return shared, only_a, only_b, conflict


@njit(inline="always")
def pair_evidence(  # type: ignore[no-untyped-def]
    hashes, offsets, da, db, max_facts, slot_shift, value_mask, n_kinds,
    shared, only_a, only_b, conflict, ca, cb,
):  # fmt: skip
    """:func:`fact_evidence` of one pair (documents ``da``, ``db``), added into the zeroed
    per-kind rows ``shared`` .. ``conflict``; ``ca`` / ``cb`` are scratch rows."""
    kind_mask = np.uint32(n_kinds - 1)
    vmask = np.uint32(value_mask)
    shift = np.uint32(slot_shift)
    a0, a1 = offsets[da], offsets[da + 1]
    b0, b1 = offsets[db], offsets[db + 1]
    # Compare only below both documents' bottom-k cut (see _facts._gather).
    cut = np.int64(1) << np.int64(32)
    if a1 - a0 >= max_facts:
        cut = min(cut, np.int64(hashes[a1 - 1]))
    if b1 - b0 >= max_facts:
        cut = min(cut, np.int64(hashes[b1 - 1]))
    while a1 > a0 and np.int64(hashes[a1 - 1]) > cut:
        a1 -= 1
    while b1 > b0 and np.int64(hashes[b1 - 1]) > cut:
        b1 -= 1
    # Distinct values per side (a value may fill several slots).
    for side in range(2):
        s0, s1 = (a0, a1) if side == 0 else (b0, b1)
        o0, o1 = (b0, b1) if side == 0 else (a0, a1)
        for i in range(s0, s1):
            v = hashes[i] & vmask
            first = True
            for j in range(s0, i):
                if hashes[j] & vmask == v:
                    first = False
                    break
            if not first:
                continue
            both = False
            for j in range(o0, o1):
                if hashes[j] & vmask == v:
                    both = True
                    break
            kind = v & kind_mask
            if both:
                if side == 0:
                    shared[kind] += 1
            elif side == 0:
                only_a[kind] += 1
            else:
                only_b[kind] += 1
    # Conflicts: an occurrence whose value the other side lacks, in a slot (same kind)
    # where the other side has an occurrence whose value this side lacks.
    ca[:] = 0
    cb[:] = 0
    for side in range(2):
        s0, s1 = (a0, a1) if side == 0 else (b0, b1)
        o0, o1 = (b0, b1) if side == 0 else (a0, a1)
        for i in range(s0, s1):
            h = hashes[i]
            if _has_value(hashes, o0, o1, h & vmask, vmask):
                continue
            hit = False
            for j in range(o0, o1):
                g = hashes[j]
                if (g >> shift) != (h >> shift) or (g & kind_mask) != (h & kind_mask):
                    continue
                if not _has_value(hashes, s0, s1, g & vmask, vmask):
                    hit = True
                    break
            if hit:
                if side == 0:
                    ca[h & kind_mask] += 1
                else:
                    cb[h & kind_mask] += 1
    for k in range(n_kinds):
        conflict[k] = min(ca[k], cb[k])


@njit(inline="always")
def judge_one(  # type: ignore[no-untyped-def]
    shared, only_a, only_b, conflict, sim, threshold, min_conflict_share, update_similarity,
    lowest, rescue_min_shared, join_updates,
):  # fmt: skip
    """Whether one pair is a duplicate: ``_facts.judge``'s ``duplicate`` for one pair from its
    evidence rows (the rule's numbers come from ``FactRule.kernel_args``, its one owner)."""
    n_conf = 0
    agree = 0
    missing = 0
    for k in range(shared.size):
        n_conf += conflict[k]
        agree += shared[k]
        missing += only_a[k] + only_b[k]
    above = sim >= threshold
    differs = n_conf > 0 and n_conf / (n_conf + agree) >= min_conflict_share
    if differs:
        return join_updates and above and sim >= update_similarity
    if above:
        return True
    return sim >= lowest and agree >= rescue_min_shared and missing == 0


@njit(inline="always")
def _has_value(hashes, s0, s1, v, vmask):  # type: ignore[no-untyped-def]
    for j in range(s0, s1):
        if hashes[j] & vmask == v:
            return True
    return False
