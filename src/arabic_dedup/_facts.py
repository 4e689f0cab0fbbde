"""Fact check for candidate pairs: same formula with different facts, or one text edited?

Shingle overlap says *how much* wording two texts share, not *which* words differ. A template
pair (two weather bulletins, the fifth and the sixth relief flight, two congratulation cables)
shares the formula and differs exactly in the facts that fill its slots: numbers, ordinals,
dates, places. A heavily edited copy is the other way round: the facts all agree and what
differs is common words and word order. So each document gets a small typed *fact
fingerprint* at hashing time, computed from its tokens alone, and every LSH candidate pair is
judged from the two fingerprints plus its verified similarity:

- ``template``: a *conflict* -- the same slot (the same words either side) holds a different
  fact in each text (الطائرة الخامسة التي / الطائرة السادسة التي, تحمل 12 طنا / تحمل 11 طنا,
  جمهورية النيجر بمناسبة / جمهورية بوليفيا بمناسبة), and conflicts are a large enough share of
  the facts compared: the two report different events. Not joined.
- ``update``: the same, in texts that are otherwise nearly identical (a death toll revised
  from 10 to 12). Not joined by default (``FactRule(updates="join")`` joins and marks them).
- ``copy`` / ``partial``: no conflict; similarity at the threshold, or (Jaccard) a little
  below it when many facts agree and none is missing on either side (a rewritten copy:
  reordered clauses, honorifics dropped, quotes turned into reported speech).
- ``different``: below the threshold and not rescued.

A fact that differs inside a rewritten sentence is no conflict (its neighbours differ too):
that is what keeps copies with a rewritten lead together. Requiring only one equal neighbour
rejected five times as many pairs on the July corpus, many of them copies (measured).

Fact kinds (2 tag bits): numbers (digits and number words, by value without trailing zeros,
so ``5`` and ``خمسة``, ``12,000`` and ``12 ألف`` agree; a three-digit group continues the figure
before it, so ``12,794`` is 12794; an hour 13..24 after الساعة is read on a 12-hour clock; a
figure after an approximation, نحو 12 or أكثر من 1300, gets a slot of its own value, so it agrees
with an equal figure but never conflicts: outlets round such figures their own way),
ordinals (by value, so gender agreement
edits agree), dates (month and weekday names: يوليو and تموز agree), places (countries, Saudi
regions and cities, major cities of the region: a closed list without words that are also
common nouns). Each occurrence is one uint32 (:func:`pack`); a document keeps at most
:data:`MAX_FACTS`, the smallest (bottom-k, so a slot below both documents' largest kept value
is in one sample exactly when it is in that text; :func:`judge` compares only that range).

No corpus statistic is needed, so every engine (batch, stream, Spark) decides identically
from the fingerprints alone. Measured on the labelled SaudiNewsNet pairs
(``benchmarks/tune_facts.py``), weighting shingles by document frequency did not separate
templates from copies once ``max_df`` has removed the boilerplate (AUC COPY vs TEMPLATE 0.992
plain, 0.992 IDF-weighted): syndicated wire copies recur across outlets as often as formulas.

Where it runs: ``DedupConfig.facts`` (``apart`` by default, ``join``: both set
``FactRule.updates``; ``off``: none) gives the ``Verifier`` a :class:`FactRule`, and
``Verifier.decide`` calls :func:`judge` on *all* LSH candidates (not only those above the
threshold: the rescue needs them) and keeps ``Judgement.duplicate``; inside giant LSH buckets
the compiled cluster loop judges each pair it compares the same way
(``kernels.facts.judge_one``). Fingerprints are computed beside the shingle hashes in the
fused kernel (``kernels/facts.py``, fed by :func:`fact_tables`), CSR like
:class:`ShingleSets` (~11 uint32 per news article). Batch, files, Spark, streams and
``compare`` apply it (Spark carries the fingerprints beside the shingles, as ``binary``; a
stream's store keeps each kept text's fingerprint and each duplicate's match kind).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import NDArray

from ._engine import kernels
from ._errors import ConfigError, InputError
from ._factdata import DATE_SUFFIXES, GROUP_DIGITS, PREFIXES
from ._factread import Fact, FactKind, approximations, facts, hours, surface_lexicon
from ._lsh import sorted_unique
from ._normalize import NormalizerConfig
from ._normalize import tokens as text_tokens
from ._shingle import FactPass, ShingleSets, shingle_hash, unit_hash

__all__ = [
    "FACTS_VERSION",
    "FACT_KINDS",
    "MATCH_KINDS",
    "MAX_FACTS",
    "Fact",
    "FactRule",
    "FactTables",
    "Judgement",
    "fact_hashes",
    "fact_pass",
    "fact_sets",
    "fact_tables",
    "facts",
    "judge",
    "render",
]

FACT_KINDS: Final[tuple[FactKind, ...]] = ("number", "ordinal", "date", "place")
KIND_BITS: Final = 2
KIND_MASK: Final = (1 << KIND_BITS) - 1

#: The one vocabulary of match kinds, in code order. How a cluster member matches its kept
#: document by wording (``_cluster.match_kinds``): ``exact`` (the same shingle set as the
#: detector compares them), ``near``, or ``boilerplate`` (a near copy joined by the boilerplate
#: rescue: under the threshold once the common shingles are removed, at it on the full sets).
#: What the fact check judged a pair (``judge``, only with ``DedupConfig.facts`` on):
#: ``copy``, ``partial``, ``update``, ``template``, ``different``.
MatchKind = Literal[
    "exact", "near", "copy", "partial", "update", "template", "different", "boilerplate"
]
MATCH_KINDS: Final[tuple[MatchKind, ...]] = (
    "exact",
    "near",
    "copy",
    "partial",
    "update",
    "template",
    "different",
    "boilerplate",  # last: the codes before it are unchanged
)

#: How a fingerprint is read from a text, recorded with every stored index and report: an index
#: whose fingerprints an earlier version read is refused (``IndexMismatchError``), not misjudged.
#: 2: digit groups continue a figure (12,794), hours after الساعة on a 12-hour clock.
#: 3: up to 64 facts a document (MAX_FACTS; 32 before); an approximate figure (نحو 12, أكثر من
#: 12) has a slot of its own value (APPROX_SALT), so it never conflicts.
FACTS_VERSION: Final = 3

# At most this many fact occurrences per document (bottom-k). SaudiNewsNet articles have 11.75
# on average (47 bytes + an 8-byte offset: 5 % of their 1,052 bytes of shingle hashes); 1.7 %
# reach the cap. A long document's sample covers only part of its facts, and a pair is compared
# below both samples' cuts: at 32 (8 % of articles capped), a value the other text has outside
# that range counted as missing, and differing figures as conflicts against too few agreeing
# ones (a telecom report and its longer version: 2 conflicts, 15 agree, a template; at 64 none
# conflict and 20 agree). Labelled July 2015 pairs, tuning split: 32 -> 48 or 64 (the same;
# 128 and 1,024 too) gave COPY 289 -> 291 of 304, PARTIAL 93 -> 94, TEMPLATE 3 -> 3 of 106;
# containment PARTIAL 119 -> 121, TEMPLATE 7 -> 7.
MAX_FACTS: Final = 64


# A fact occurrence is packed into one uint32: the slot (the words either side) in the high
# 16 bits, the value in the next 14 and the kind in the low 2. 16 bits suffice: they are only
# ever compared within one pair of documents (a dozen facts each), never across a corpus.
SLOT_SHIFT: Final = 16
VALUE_MASK: Final = (1 << SLOT_SHIFT) - 1
# An approximate figure's slot hash is XORed with its value bits times this odd constant (low
# 32 bits), so two approximate figures of different values never share a slot, hence never
# conflict, while equal values still agree (values are compared without their slots).
APPROX_SALT: Final = 0x9E3779B1


@functools.lru_cache(maxsize=1 << 16)
def _value_bits(kind: FactKind, value: str) -> int:
    return ((shingle_hash(value) >> SLOT_SHIFT) & ~KIND_MASK & VALUE_MASK) | FACT_KINDS.index(kind)


def pack(fact: Fact) -> int:
    """The uint32 that stands for one fact occurrence in a fingerprint."""
    value = _value_bits(fact.kind, fact.value)
    h = shingle_hash(f"{fact.before} {fact.after}")
    if fact.approximate:
        h ^= (value * APPROX_SALT) & 0xFFFFFFFF
    return ((h >> SLOT_SHIFT) << SLOT_SHIFT) | value


@dataclass(frozen=True, eq=False)
class FactTables:
    """What the compiled fingerprint pass (``kernels/facts.py``, inside the fused shingle
    kernel) needs to give :func:`fact_hashes`' result: the surface lexicon as an
    open-addressing table of token unit hashes (64-bit FNV-1a; two lexicon words colliding
    there is a 1e-15 event) -> value bits, with a bitmap filter in front; each code point's
    decimal digit value (-1: none); the prefix and calendar letters; the unit hashes of the
    hour and approximation words (sorted); and the packing constants. :func:`fact_tables`
    builds it.
    """

    normalizer: NormalizerConfig
    lex_keys: NDArray[np.uint64]
    lex_values: NDArray[np.int64]
    lex_filter: NDArray[np.uint64]
    digit_value: NDArray[np.int8]
    prefixes: NDArray[np.uint32]
    suffixes: NDArray[np.uint32]
    hour_keys: NDArray[np.uint64]
    approx_words: NDArray[np.uint64]
    approx_heads: NDArray[np.uint64]
    approx_tails: NDArray[np.uint64]

    def kernel_args(self) -> tuple[object, ...]:
        """The kernel's fact arguments, in its order (after ``facts_on``)."""
        return (
            self.lex_keys, self.lex_values, self.lex_filter, self.digit_value, self.prefixes,
            self.suffixes, self.hour_keys, self.approx_words, self.approx_heads,
            self.approx_tails, np.uint64(APPROX_SALT), GROUP_DIGITS,
            np.uint32(FACT_KINDS.index("number")), np.uint32(~KIND_MASK & VALUE_MASK),
            MAX_FACTS, SLOT_SHIFT,
        )  # fmt: skip

    def reference(self, tokens: Sequence[str]) -> NDArray[np.uint32]:
        """The same fingerprint on the reference path (:func:`fact_hashes`)."""
        return fact_hashes(tokens, normalizer=self.normalizer)


@functools.lru_cache(maxsize=1)
def _digit_values() -> NDArray[np.int8]:
    # re's \d on str is Unicode category Nd: exactly the characters str.isdecimal() accepts.
    every = "".join(map(chr, range(0x110000)))
    out = np.full(0x110000, -1, dtype=np.int8)
    for m in re.finditer(r"\d", every):
        out[m.start()] = unicodedata.decimal(m.group())
    out.flags.writeable = False
    return out


@functools.lru_cache(maxsize=8)
def fact_pass(normalizer: NormalizerConfig) -> FactPass:
    """What the shingle stage needs to compute fingerprints beside the shingles."""
    return FactPass(
        reference=lambda text: fact_hashes(
            text_tokens(text, config=normalizer), normalizer=normalizer
        ),
        kernel_args=lambda: fact_tables(normalizer).kernel_args(),
    )


@functools.lru_cache(maxsize=8)
def fact_tables(normalizer: NormalizerConfig) -> FactTables:
    """The compiled pass's tables for ``normalizer``; needs the kernels. Cached: building them
    hashes the whole lexicon (~30 ms), which every hashing call (one text for a stream's
    ``add``) would otherwise pay again."""
    k = kernels()
    if k is None:
        raise ConfigError("fact_tables needs the compiled kernels (numba); none are loaded")
    lexicon = surface_lexicon(normalizer)
    keys = np.array([unit_hash(w) for w in lexicon], dtype=np.uint64)
    values = np.array([_value_bits(kind, v) for kind, v in lexicon.values()], dtype=np.int64)
    size = 1 << max(4, (4 * len(keys)).bit_length())  # load factor below 1/4
    tkeys, tvalues, bitmap = k.build_lexicon_table(keys, values, size)
    letters = [np.array([ord(c) for c in x], dtype=np.uint32) for x in (PREFIXES, DATE_SUFFIXES)]
    approx = approximations(normalizer)
    hour_keys, words, heads, tails = (
        np.array(sorted(unit_hash(w) for w in ws), dtype=np.uint64)
        for ws in (hours(normalizer), approx.words, approx.heads, approx.tails)
    )
    return FactTables(
        normalizer, tkeys, tvalues, bitmap, _digit_values(), letters[0], letters[1], hour_keys,
        words, heads, tails,
    )  # fmt: skip


def fact_hashes(
    tokens: Sequence[str], /, *, normalizer: NormalizerConfig | None = None
) -> NDArray[np.uint32]:
    """A document's fact fingerprint: the sorted distinct packed fact occurrences (:func:`pack`),
    at most :data:`MAX_FACTS` of them (the smallest). Computed at hashing time and stored
    beside the shingle hashes.

    >>> from arabic_dedup import tokens
    >>> h = fact_hashes(tokens("الرحلة السادسة تحمل 11 طنا"))
    >>> h.size, sorted(FACT_KINDS[x] for x in (h & 3).tolist())
    (2, ['number', 'ordinal'])
    """
    hs = sorted({pack(f) for f in facts(tokens, normalizer=normalizer)})
    return np.array(hs[:MAX_FACTS], dtype=np.uint32)


def fact_sets(
    token_lists: Iterable[Sequence[str]], /, *, normalizer: NormalizerConfig | None = None
) -> ShingleSets:
    """Fact fingerprints of many documents in one CSR structure (the layout of shingle sets)."""
    return ShingleSets.from_arrays(fact_hashes(t, normalizer=normalizer) for t in token_lists)


# --- the rule ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class FactRule:
    """The decision rule, in named numbers (defaults chosen by ``benchmarks/tune_facts.py``).

    A *conflict*: a slot (the same words either side) holding a fact of one kind in both texts,
    with a different value in each, neither value found anywhere in the other text (الطائرة
    الخامسة التي / الطائرة السادسة التي). A fact that differs in a rewritten sentence is no
    conflict: its neighbours differ too. A pair with conflicts is a template when they are at
    least ``min_conflict_share`` of the facts compared (conflicts + facts both texts have), an
    update instead when its similarity is at least ``update_similarity`` (and the threshold).
    A pair below the similarity threshold (but at least ``rescue_share`` of it: 0.19 at the
    default 0.285, 0.6 at 0.9) is still a copy when at least ``rescue_min_shared`` facts agree
    and no fact of either text is missing from the other (Jaccard mode only). A share, not a
    fixed similarity, so that a stricter threshold keeps a proportionally narrower band.

    updates: ``"apart"`` (default: an update is never joined, so it is never hidden) or
             ``"join"`` (joined, and reported with match kind ``update``).
    """

    min_conflict_share: float = 0.1
    update_similarity: float = 0.8
    rescue_share: float = 2 / 3
    rescue_min_shared: int = 6
    updates: Literal["apart", "join"] = "apart"

    def __post_init__(self) -> None:
        for name in ("min_conflict_share", "update_similarity", "rescue_share"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0.0 <= v <= 1.0:
                raise ConfigError(f"FactRule.{name} must be a number in [0, 1], got {v!r}")
        m = self.rescue_min_shared
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise ConfigError(f"FactRule.rescue_min_shared must be an int >= 1, got {m!r}")
        if self.updates not in ("apart", "join"):
            raise ConfigError(f"FactRule.updates must be 'apart' or 'join', got {self.updates!r}")

    def lowest(self, threshold: float, containment: bool) -> float:
        """The lowest similarity :func:`judge` can join a pair at: ``rescue_share`` of the
        threshold in Jaccard mode (the copy rescue; rounded to 12 decimals, so that 2/3 of 0.3
        is 0.2), the threshold in containment mode (no rescue).

        >>> FactRule().lowest(0.3, False), FactRule().lowest(0.3, True)
        (0.2, 0.3)
        """
        return threshold if containment else round(threshold * self.rescue_share, 12)

    def kernel_args(
        self, threshold: float, containment: bool
    ) -> tuple[float, float, float, int, bool]:
        """The rule as the compiled judgement (``kernels.facts.judge_one``) takes it."""
        return (
            float(self.min_conflict_share), float(self.update_similarity),
            float(self.lowest(threshold, containment)), int(self.rescue_min_shared),
            self.updates == "join",
        )  # fmt: skip


@dataclass(frozen=True)
class Judgement:
    """The verdict on each of ``m`` candidate pairs, with the evidence it rests on.

    duplicate:  whether to join the pair.
    kind:       index into :data:`MATCH_KINDS` (``copy``, ``partial``, ``update``,
                ``template``, ``different`` = below the similarity threshold, not rescued).
    shared:     ``(m, 4)`` distinct fact values both texts have, per kind (:data:`FACT_KINDS`).
    only_a, only_b: ``(m, 4)`` values only the first / only the second text has.
    conflict:   ``(m, 4)`` slots holding a different value in each text (see :class:`FactRule`).
    similarity: the verified similarity the decision used.
    """

    duplicate: NDArray[np.bool_]
    kind: NDArray[np.int8]
    shared: NDArray[np.int32]
    only_a: NDArray[np.int32]
    only_b: NDArray[np.int32]
    conflict: NDArray[np.int32]
    similarity: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.duplicate.size)

    def match_kind(self, n: int) -> MatchKind:
        return MATCH_KINDS[int(self.kind[n])]

    def explain(self, n: int) -> str:
        """The deciding evidence of pair ``n`` in words (kinds and counts; see :func:`render`)."""
        return render(
            self.match_kind(n),
            float(self.similarity[n]),
            self.shared[n].tolist(),
            self.only_a[n].tolist(),
            self.only_b[n].tolist(),
            self.conflict[n].tolist(),
        )


def _gather(
    fsets: ShingleSets, pairs: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int8]]:
    """Every fact occurrence of both documents of every pair: (pair, packed fact, side),
    restricted to facts below both documents' bottom-k cut."""
    sizes = fsets.sizes()
    last = fsets.hashes[np.maximum(fsets.offsets[1:] - 1, 0)].astype(np.int64)
    cut_doc = np.where(sizes >= MAX_FACTS, last, np.int64(2**32))
    cut = np.minimum(cut_doc[pairs[:, 0]], cut_doc[pairs[:, 1]])
    m = len(pairs)
    pid_parts, h_parts, side_parts = [], [], []
    for side in (0, 1):
        docs = pairs[:, side]
        n = sizes[docs]
        pid = np.repeat(np.arange(m, dtype=np.int64), n)
        first = np.repeat(fsets.offsets[docs] - (np.cumsum(n) - n), n)
        h = fsets.hashes[first + np.arange(int(n.sum()), dtype=np.int64)].astype(np.int64)
        keep = h <= cut[pid]
        pid_parts.append(pid[keep])
        h_parts.append(h[keep])
        side_parts.append(np.full(int(keep.sum()), side, dtype=np.int8))
    return np.concatenate(pid_parts), np.concatenate(h_parts), np.concatenate(side_parts)


def _in_other_side(key: NDArray[np.int64], side: NDArray[np.int8]) -> NDArray[np.bool_]:
    """For each element, whether an element of the other side has the same key."""
    out = np.zeros(key.size, dtype=bool)
    for s in (0, 1):
        other = sorted_unique(key[side != s])
        mine = side == s
        if other.size:
            at = np.minimum(np.searchsorted(other, key[mine]), other.size - 1)
            out[mine] = other[at] == key[mine]
    return out


def evidence(
    fsets: ShingleSets, pairs: NDArray[np.int64]
) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.int32], NDArray[np.int32]]:
    """Per pair and kind: values shared, only in the first, only in the second document, and
    conflicting slots (see :class:`FactRule`). Vectorised over all pairs."""
    m, k = len(pairs), len(FACT_KINDS)
    if m == 0 or fsets.hashes.size == 0:
        z = np.zeros((m, k), dtype=np.int32)
        return z, z.copy(), z.copy(), z.copy()
    kern = kernels()
    if kern is not None:  # the per-pair twin (test_facts holds the two equal)
        return kern.fact_evidence(  # type: ignore[no-any-return]
            fsets.hashes, fsets.offsets, pairs, MAX_FACTS, SLOT_SHIFT, VALUE_MASK, k
        )
    pid, h, side = _gather(fsets, pairs)
    kind = h & KIND_MASK
    # Values, each counted once per document (a value may fill several slots).
    vkey = (pid << SLOT_SHIFT) | (h & VALUE_MASK)
    uniq = sorted_unique(vkey * 2 + side)
    vk, vside = uniq >> 1, (uniq & 1).astype(np.int8)
    both = _in_other_side(vk, vside)
    cell = (vk >> SLOT_SHIFT) * k + (vk & KIND_MASK)
    size = m * k
    shared = np.bincount(cell[both & (vside == 0)], minlength=size)
    only_a = np.bincount(cell[~both & (vside == 0)], minlength=size)
    only_b = np.bincount(cell[~both & (vside == 1)], minlength=size)
    # Conflicts: occurrences whose value the other text lacks, in a slot (of the same kind)
    # where the other text has a value this one lacks.
    exclusive = ~_in_other_side(vkey, side)
    skey = (pid << 18) | ((h >> SLOT_SHIFT) << KIND_BITS) | kind
    ex = np.flatnonzero(exclusive)
    hit = np.zeros(h.size, dtype=bool)
    hit[ex] = _in_other_side(skey[ex], side[ex])
    ccell = pid * k + kind
    ca = np.bincount(ccell[hit & (side == 0)], minlength=size)
    cb = np.bincount(ccell[hit & (side == 1)], minlength=size)
    conflict = np.minimum(ca, cb)
    return tuple(  # type: ignore[return-value]
        x.reshape(m, k).astype(np.int32) for x in (shared, only_a, only_b, conflict)
    )


def judge(
    fsets: ShingleSets,
    pairs: NDArray[np.int64],
    similarity: NDArray[np.float64],
    *,
    threshold: float,
    containment: bool = False,
    rule: FactRule | None = None,
) -> Judgement:
    """Judge every candidate pair from the fact fingerprints and its verified similarity.

    ``fsets``: fact fingerprints (:func:`fact_sets`) of the documents ``pairs`` index;
    ``similarity``: the pairs' verified similarity (Jaccard, or containment when
    ``containment``); ``threshold``: the similarity threshold in force.

    >>> from arabic_dedup import tokens
    >>> docs = ["وصلت الطائرة الخامسة إلى عدن تحمل 12 طنا من الأدوية",
    ...         "وصلت الطائرة السادسة إلى عدن تحمل 11 طنا من الأغذية"]
    >>> fs = fact_sets([tokens(d) for d in docs])
    >>> j = judge(fs, np.array([[0, 1]]), np.array([0.5]), threshold=0.3)
    >>> j.duplicate.tolist(), j.match_kind(0)
    ([False], 'template')
    >>> j.explain(0).split("; ")  # doctest: +NORMALIZE_WHITESPACE
    ['template: same formula (similarity 0.50), facts differ in their slots: number 1, ordinal 1',
     '1 agree']
    """
    r = rule or FactRule()
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    sim = np.asarray(similarity, dtype=np.float64)
    if sim.shape != (len(pairs),):
        raise InputError(
            f"judge: similarity has shape {sim.shape} but there are {len(pairs)} pairs; "
            "give one verified similarity per pair"
        )
    if pairs.size and (pairs.min() < 0 or pairs.max() >= len(fsets)):
        raise InputError(
            f"judge: pair indexes must be in [0, {len(fsets)}), got {pairs.min()}..{pairs.max()}"
        )
    shared, only_a, only_b, conflict = evidence(fsets, pairs)
    n_conf = conflict.sum(axis=1)
    agree = shared.sum(axis=1)
    share = np.divide(n_conf, n_conf + agree, out=np.zeros(len(pairs)), where=n_conf > 0)
    differs = (n_conf > 0) & (share >= r.min_conflict_share)
    above = sim >= threshold
    update = differs & above & (sim >= r.update_similarity)
    template = differs & ~update
    missing = only_a.sum(axis=1) + only_b.sum(axis=1)
    # No rescue in containment mode: a short bulletin "inside" another shares its facts with
    # the other's longer list (measured: it merged weather bulletins).
    rescued = (
        ~above
        & (sim >= r.lowest(threshold, containment))
        & (agree >= r.rescue_min_shared)
        & (missing == 0)
    )
    match = (above | rescued) & ~differs
    kind = np.full(len(pairs), MATCH_KINDS.index("different"), dtype=np.int8)
    kind[match] = MATCH_KINDS.index("partial" if containment else "copy")
    kind[template] = MATCH_KINDS.index("template")
    kind[update] = MATCH_KINDS.index("update")
    duplicate = match | (update & (r.updates == "join"))
    return Judgement(duplicate, kind, shared, only_a, only_b, conflict, sim)


def _plural(n: int, name: str) -> str:
    return f"{n} {name}{'' if n == 1 else 's'}"


def render(
    kind: MatchKind,
    similarity: float,
    shared: Sequence[int],
    only_a: Sequence[int],
    only_b: Sequence[int],
    conflict: Sequence[int],
    *,
    words: Sequence[Sequence[tuple[str, str]]] | None = None,
) -> str:
    """One pair's evidence in words. ``shared``, ``only_a``, ``only_b``, ``conflict`` are
    per-kind counts (:data:`FACT_KINDS` order); ``words`` (optional, when the texts are at
    hand) the conflicting words per kind as (first text's, second text's), shown instead of
    the conflict counts.

    >>> why = render("copy", 0.25, [6, 0, 1, 2], [0] * 4, [0] * 4, [0] * 4)
    >>> why.split("; ")  # doctest: +NORMALIZE_WHITESPACE
    ['copy: facts agree (6 numbers, 1 date, 2 places), none differ',
     'wording differs (similarity 0.25)']
    """
    agree = sum(int(x) for x in shared)
    if kind in ("template", "update"):
        parts = []
        for k, name in enumerate(FACT_KINDS):
            if words is not None and words[k]:
                parts.append(f"{name} " + ", ".join(f"{a} vs {b}" for a, b in words[k]))
            elif words is None and int(conflict[k]):
                parts.append(f"{name} {int(conflict[k])}")
        head = "same formula" if kind == "template" else "same text"
        return (
            f"{kind}: {head} (similarity {similarity:.2f}), facts differ in their slots: "
            f"{', '.join(parts)}; {agree} agree"
        )
    agreed = ", ".join(
        _plural(int(n), name) for name, n in zip(FACT_KINDS, shared, strict=True) if int(n)
    )
    extra = sum(int(x) for x in only_a) + sum(int(x) for x in only_b)
    facts_part = f"facts agree ({agreed})" if agreed else "no shared facts"
    rest = "none differ" if extra == 0 else f"{extra} only on one side"
    if kind == "different":
        return f"different: similarity {similarity:.2f} below the threshold; {facts_part}, {rest}"
    wording = "same wording" if similarity >= 1.0 else "wording differs"
    return f"{kind}: {facts_part}, {rest}; {wording} (similarity {similarity:.2f})"
