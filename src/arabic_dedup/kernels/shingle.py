"""The fused normalise -> tokenise -> shingle-hash kernel (see :mod:`arabic_dedup._shingle`)."""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .facts import (
    N_COUNTERS,
    N_HASHES,
    fact_char,
    fact_doc_end,
    fact_doc_start,
    fact_token_end,
)
from .hashing import fold as _fold
from .twin import serial_twin


@njit(nogil=True, cache=True)
def _sort_unique(buf, a, n):  # type: ignore[no-untyped-def]
    """Sort ``buf[a:a+n]`` and drop repeats in place; return how many remain.

    LSD radix sort (4 passes of 8 bits) above 64 values: a document's few hundred shingle
    hashes sort ~2.5x faster than with np.sort (the kernel: 0.89 -> 0.69 s CPU on SaudiNewsNet).
    Below 64, insertion sort. No ``np.sort`` here: numba generates and compiles a whole
    quicksort for it, which was 5.6 of the ~17 CPU seconds a first run spent compiling this
    kernel (measured with an empty NUMBA_CACHE_DIR).
    """
    if n < 2:
        return n
    if n < 64:
        seg = buf[a : a + n].copy()
        for i in range(1, n):
            v = seg[i]
            j = i - 1
            while j >= 0 and seg[j] > v:
                seg[j + 1] = seg[j]
                j -= 1
            seg[j + 1] = v
    else:
        seg = buf[a : a + n].copy()
        tmp = np.empty(n, dtype=np.uint32)
        cnt = np.zeros(257, dtype=np.int64)
        src = seg
        dst = tmp
        for shift in (0, 8, 16, 24):
            cnt[:] = 0
            for i in range(n):
                cnt[((src[i] >> np.uint32(shift)) & np.uint32(255)) + 1] += 1
            for b in range(256):
                cnt[b + 1] += cnt[b]
            for i in range(n):
                v = src[i]
                b = (v >> np.uint32(shift)) & np.uint32(255)
                dst[cnt[b]] = v
                cnt[b] += 1
            src, dst = dst, src
        seg = src  # four passes: the sorted values are back in the first buffer
    w = 1
    for j in range(1, n):
        if seg[j] != seg[w - 1]:
            seg[w] = seg[j]
            w += 1
    buf[a : a + w] = seg[:w]
    return w


@njit(inline="always")
def _push(ring, head, count, k, uh, out, pos, seed, mult, m1, m2):  # type: ignore[no-untyped-def]
    """Append a unit hash to the ring; emit the shingle hash once ``k`` units are in."""
    ring[head] = uh
    head += 1
    if head == k:
        head = 0
    count += 1
    if count >= k:
        out[pos] = _fold(ring, head, k, k, seed, mult, m1, m2)
        pos += 1
    return head, count, pos


@njit(nogil=True, parallel=True, cache=True)
def shingle_batch(  # type: ignore[no-untyped-def]
    cps,
    offsets,
    lengths,
    single,
    exp_offsets,
    exp_data,
    is_sep,
    k,
    char_unit,
    fnv_offset,
    fnv_prime,
    fold_seed,
    fold_mult,
    m1,
    m2,
    facts_on,
    lex_keys,
    lex_values,
    lex_filter,
    digit_value,
    prefixes,
    suffixes,
    hour_keys,
    approx_words,
    approx_heads,
    approx_tails,
    approx_salt,
    group_digits,
    number_bits,
    value_keep,
    max_facts,
    slot_shift,
):
    """Sorted distinct shingle hashes of every document of a batch of code points, and (when
    ``facts_on``) its fact fingerprint (see :mod:`.facts`): (hashes, counts, facts, counts)."""
    n = offsets.size - 1
    # A document yields at most one shingle per output code point (expansions such as
    # U+FDFA give many), plus one for a text shorter than k: size each region by that.
    caps = np.empty(n, dtype=np.int64)
    for d in prange(n):
        c = 1
        for i in range(offsets[d], offsets[d + 1]):
            c += lengths[cps[i]]
        caps[d] = c
    region = np.empty(n + 1, dtype=np.int64)
    region[0] = 0
    for d in range(n):
        region[d + 1] = region[d] + caps[d]
    out = np.empty(region[n], dtype=np.uint32)
    counts = np.zeros(n, dtype=np.int64)
    fbuf = np.empty(n * max_facts if facts_on else 0, dtype=np.uint32)
    fcounts = np.zeros(n, dtype=np.int64)
    fo = np.uint64(fnv_offset)
    fp = np.uint64(fnv_prime)
    space_hash = (fo ^ np.uint64(32)) * fp
    for d in prange(n):
        base = region[d]
        ring = np.empty(k, dtype=np.uint64)
        head = 0  # where the next unit hash goes (the oldest once the ring is full)
        count = 0  # units (tokens, or characters) pushed
        pos = base
        h = fo
        in_tok = False
        pending_space = False
        ist = np.empty(N_COUNTERS, dtype=np.int64)
        hst = np.zeros(N_HASHES, dtype=np.uint64)
        pair = np.empty(2, dtype=np.uint64)
        fbase = d * max_facts
        fact_doc_start(ist, hst, fo)
        for i in range(offsets[d], offsets[d + 1]):
            c = cps[i]
            length = lengths[c]
            for j in range(length):
                oc = single[c] if length == 1 else exp_data[exp_offsets[c] + j]
                if is_sep[oc]:
                    if in_tok:
                        in_tok = False
                        if facts_on:
                            fact_token_end(
                                ist, hst, h, pair, lex_keys, lex_values, lex_filter, prefixes,
                                suffixes, hour_keys, approx_words, approx_heads, approx_tails,
                                approx_salt, group_digits, number_bits, value_keep, fbuf,
                                fbase, max_facts, slot_shift, fo, fp, fold_seed, fold_mult, m1,
                                m2,
                            )  # fmt: skip
                        if char_unit:
                            pending_space = True
                        else:
                            head, count, pos = _push(
                                ring, head, count, k, h, out, pos, fold_seed, fold_mult, m1, m2
                            )
                    continue
                if not in_tok:
                    h = fo
                h = (h ^ np.uint64(oc)) * fp
                if facts_on:
                    fact_char(ist, hst, oc, digit_value, fo, fp)
                if char_unit:
                    if pending_space:
                        pending_space = False
                        head, count, pos = _push(
                            ring,
                            head,
                            count,
                            k,
                            space_hash,
                            out,
                            pos,
                            fold_seed,
                            fold_mult,
                            m1,
                            m2,
                        )
                    head, count, pos = _push(
                        ring,
                        head,
                        count,
                        k,
                        (fo ^ np.uint64(oc)) * fp,
                        out,
                        pos,
                        fold_seed,
                        fold_mult,
                        m1,
                        m2,
                    )
                in_tok = True
        if in_tok and facts_on:
            fact_token_end(
                ist, hst, h, pair, lex_keys, lex_values, lex_filter, prefixes, suffixes,
                hour_keys, approx_words, approx_heads, approx_tails, approx_salt, group_digits,
                number_bits, value_keep, fbuf, fbase, max_facts,
                slot_shift, fo, fp, fold_seed, fold_mult, m1, m2,
            )  # fmt: skip
        if facts_on:
            fcounts[d] = fact_doc_end(
                ist, hst, pair, fbuf, fbase, max_facts, slot_shift, fo, fold_seed, fold_mult,
                m1, m2,
            )  # fmt: skip
        if in_tok and not char_unit:
            head, count, pos = _push(
                ring, head, count, k, h, out, pos, fold_seed, fold_mult, m1, m2
            )
        if 0 < count < k:
            # Fewer units than k: one shingle of all of them (the ring has not wrapped).
            out[base] = _fold(ring, 0, count, k, fold_seed, fold_mult, m1, m2)
            pos = base + 1
        counts[d] = _sort_unique(out, base, pos - base)
    # Compact the per-document regions into one flat array.
    total = 0
    starts = np.empty(n, dtype=np.int64)
    for d in range(n):
        starts[d] = total
        total += counts[d]
    flat = np.empty(total, dtype=np.uint32)
    for d in prange(n):
        src = region[d]
        dst = starts[d]
        for j in range(counts[d]):
            flat[dst + j] = out[src + j]
    fstarts = np.empty(n, dtype=np.int64)
    ftotal = 0
    for d in range(n):
        fstarts[d] = ftotal
        ftotal += fcounts[d]
    fflat = np.empty(ftotal, dtype=np.uint32)
    for d in range(n):
        for j in range(fcounts[d]):
            fflat[fstarts[d] + j] = fbuf[d * max_facts + j]
    return flat, counts, fflat, fcounts


shingle_batch_serial = serial_twin(shingle_batch, "shingle_batch_serial")
