"""Stage 5: verify candidate pairs on their exact shingle sets.

LSH only proposes candidates; every reported pair is checked on the sets themselves, so a
reported similarity is exact (up to 32-bit hash collisions, about 1e-5 for a pair of
300-shingle documents), not a MinHash estimate.

* ``jaccard``:      |A ∩ B| / |A ∪ B| — the two texts are mostly the same text.
* ``containment``:  |A ∩ B| / min(|A|, |B|) — the shorter text is mostly inside the longer
  one (truncated or extended copies).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from ._boilerplate import BoilerplateRescue, full_sets
from ._engine import kernels
from ._errors import InputError
from ._facts import FACT_KINDS, MATCH_KINDS, MAX_FACTS, SLOT_SHIFT, VALUE_MASK, FactRule, judge
from ._lsh import sorted_unique
from ._shingle import ShingleSets

__all__ = [
    "SIMILARITIES",
    "Similarity",
    "Verifier",
    "full_pair_scores",
    "pairs_with_first",
    "similarities_to_first",
    "similarity",
    "verify_pairs",
]

# Below this many pairs the serial intersection kernel wins: no thread-pool start-up.
PARALLEL_MIN_PAIRS = 4096

Similarity = Literal["jaccard", "containment"]
SIMILARITIES: tuple[Similarity, ...] = ("jaccard", "containment")


@dataclass(frozen=True)
class Verifier:
    """The verify stage's decision, one object every path applies (``find_duplicates``, the
    file pipeline, a stream's add and Spark): exact similarity of a candidate pair, and
    whether that makes it a duplicate. ``DedupConfig.verifier`` builds it.

    >>> import numpy as np
    >>> v = Verifier("jaccard", 0.5)
    >>> s = ShingleSets.from_arrays([np.array(x, dtype=np.uint32) for x in ([1, 2], [1, 2, 3])])
    >>> sims, ok = v(s, np.array([[0, 1]]))
    >>> sims.round(3).tolist(), ok.tolist()
    ([0.667], [True])
    """

    similarity: Similarity
    threshold: float
    facts: FactRule | None = None
    """The fact check (:mod:`._facts`) every candidate pair also passes; None: the threshold
    alone decides."""
    rescue: BoilerplateRescue | None = None
    """The boilerplate rescue (:class:`BoilerplateRescue`): a pair under the threshold on its
    filtered sets may still be one on its full sets (:meth:`rescued`); None: off."""

    def scores(self, sets: ShingleSets, pairs: NDArray[np.int64]) -> NDArray[np.float64]:
        """Exact similarity of every candidate pair (rows of ``pairs``)."""
        return verify_pairs(sets, pairs, self.similarity)

    def accept(self, sims: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Which scored pairs pass the similarity threshold (the whole decision when
        ``facts`` is None; see :meth:`decide`)."""
        return np.asarray(sims >= self.threshold)

    @property
    def lowest(self) -> float:
        """The lowest similarity (on the filtered sets) at which any rule here can still
        accept a pair: the threshold, the boilerplate rescue's ``lowest`` and (Jaccard, with
        the fact check) ``FactRule.lowest``. A stream bounds its candidates with it before
        scoring them exactly, so it reaches every pair a batch run would accept."""
        low = self.threshold
        if self.rescue is not None:
            low = min(low, self.rescue.lowest(self.threshold))
        if self.facts is not None:
            low = min(low, self.facts.lowest(self.threshold, self.similarity == "containment"))
        return low

    def kernel_args(self) -> tuple[bool, float]:
        """This rule's parameters as the compiled kernels take them (``containment``,
        ``threshold``; ``kernels.verify.score`` and ``accepts`` apply them)."""
        return self.similarity == "containment", float(self.threshold)

    def fact_kernel_args(self, fact_sets: ShingleSets | None) -> tuple[object, ...]:
        """The fact check as a compiled loop judging pairs one at a time takes it
        (``kernels.facts.pair_evidence`` and ``judge_one``, as the giant-bucket cluster loop
        does): whether it is on, the fingerprints, their packing constants and the rule's
        numbers (``FactRule.kernel_args``). Off (``facts`` or ``fact_sets`` None): empty
        fingerprints, the same types, so the kernel compiles once."""
        on = self.facts is not None and fact_sets is not None
        empty = ShingleSets(np.empty(0, dtype=np.uint32), np.zeros(1, dtype=np.int64))
        fs = fact_sets if on and fact_sets is not None else empty
        rule = self.facts or FactRule()
        return (
            on, fs.hashes, fs.offsets, MAX_FACTS, SLOT_SHIFT, VALUE_MASK, len(FACT_KINDS),
            *rule.kernel_args(self.threshold, self.similarity == "containment"),
        )  # fmt: skip

    def fingerprints(self, fact_sets: ShingleSets | None) -> ShingleSets:
        """``fact_sets``, which this Verifier's fact check needs: InputError if None."""
        if fact_sets is None:
            raise InputError(
                "this Verifier applies the fact check (facts is set) but no fact fingerprints "
                "were given; compute them with MinHasher.shingle_fact_sets"
            )
        return fact_sets

    def decide(
        self,
        sims: NDArray[np.float64],
        pairs: NDArray[np.int64],
        fact_sets: ShingleSets | None,
    ) -> tuple[NDArray[np.bool_], NDArray[np.int8] | None]:
        """Which scored candidate pairs are duplicates, and (with the fact check) each pair's
        match kind (index into ``_facts.MATCH_KINDS``). ``fact_sets``: the fact fingerprints
        of the documents ``pairs`` index (needed when ``facts`` is set). Give every LSH
        candidate, not only those above the threshold: the check may rescue an edited copy
        a little below it."""
        if self.facts is None:
            return self.accept(sims), None
        fact_sets = self.fingerprints(fact_sets)
        j = judge(
            fact_sets, pairs, sims, threshold=self.threshold,
            containment=self.similarity == "containment", rule=self.facts,
        )  # fmt: skip
        return j.duplicate, j.kind

    def rescued(
        self,
        sims: NDArray[np.float64],
        ok: NDArray[np.bool_],
        kinds: NDArray[np.int8] | None,
        pairs: NDArray[np.int64],
        full: Callable[[NDArray[np.int64]], NDArray[np.float64]],
        fact_sets: ShingleSets | None = None,
    ) -> NDArray[np.bool_]:
        """Which pairs the boilerplate rescue accepts beyond :meth:`decide`'s ``ok`` (updates
        ``ok``, and ``kinds`` with the fact check, in place; returns the rescued mask).
        ``full(idx)`` gives the full-set similarity of the pairs ``pairs[idx]``: it is asked
        only for the pairs :meth:`BoilerplateRescue.asks` names that were not accepted (nor,
        with the fact check, vetoed as template or update). With the fact check the pair
        is judged again on its full similarity and must still be a duplicate; its kind is
        that judgement's. Reported similarities stay the filtered ones."""
        out = np.zeros(ok.shape, dtype=bool)
        if self.rescue is None or ok.size == 0:
            return out
        asked = ~ok & self.rescue.asks(sims, self.threshold)
        if kinds is not None:
            asked &= kinds == MATCH_KINDS.index("different")
        idx = np.flatnonzero(asked)
        if idx.size == 0:
            return out
        full_sims = full(idx)
        hit = self.rescue.accepts(sims[idx], full_sims, self.threshold)
        if kinds is not None and self.facts is not None and fact_sets is not None:
            j = judge(
                fact_sets, pairs[idx], full_sims, threshold=self.threshold,
                containment=self.similarity == "containment", rule=self.facts,
            )  # fmt: skip
            hit &= j.duplicate
            kinds[idx[hit]] = j.kind[hit]
        out[idx[hit]] = True
        ok |= out
        return out

    def verify(
        self,
        sets: ShingleSets,
        pairs: NDArray[np.int64],
        fact_sets: ShingleSets | None = None,
        full: Callable[[NDArray[np.int64]], NDArray[np.float64]] | None = None,
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.int8] | None, NDArray[np.bool_]]:
        """The whole verify stage of candidate pairs, as every batch path runs it: their
        similarities (:meth:`scores`), which are duplicates and their match kinds
        (:meth:`decide`), and which of those the boilerplate rescue took (:meth:`rescued`;
        ``full(idx)``: the full-set similarity of ``pairs[idx]``, None when nothing was
        filtered, so nothing is rescued)."""
        sims = self.scores(sets, pairs)
        ok, kinds = self.decide(sims, pairs, fact_sets)
        if full is None:
            return sims, ok, kinds, np.zeros(ok.shape, dtype=bool)
        return sims, ok, kinds, self.rescued(sims, ok, kinds, pairs, full, fact_sets)

    def __call__(
        self, sets: ShingleSets, pairs: NDArray[np.int64], fact_sets: ShingleSets | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        sims = self.scores(sets, pairs)
        return sims, self.decide(sims, pairs, fact_sets)[0]


def _from_counts(
    inter: NDArray[np.int64], na: NDArray[np.int64], nb: NDArray[np.int64], kind: Similarity
) -> NDArray[np.float64]:
    inter_f = inter.astype(np.float64)
    if kind == "jaccard":
        denom = (na + nb - inter).astype(np.float64)
    else:
        denom = np.minimum(na, nb).astype(np.float64)
    out = np.zeros(inter.shape, dtype=np.float64)
    np.divide(inter_f, denom, out=out, where=denom > 0)
    return out


def similarity(a: NDArray[np.uint32], b: NDArray[np.uint32], kind: Similarity = "jaccard") -> float:
    """Exact similarity of two sorted distinct hash arrays (0.0 when either is empty).

    >>> import numpy as np
    >>> a = np.array([1, 2, 3, 4], dtype=np.uint32); b = np.array([3, 4, 5], dtype=np.uint32)
    >>> similarity(a, b), similarity(a, b, "containment")
    (0.4, 0.6666666666666666)
    """
    inter = np.intersect1d(a, b, assume_unique=True).size
    return float(_from_counts(np.array([inter]), np.array([a.size]), np.array([b.size]), kind)[0])


def intersections(sets: ShingleSets, pairs: NDArray[np.int64]) -> NDArray[np.int64]:
    """|A ∩ B| for every pair of documents (rows of ``pairs``)."""
    k = kernels()
    if pairs.size and k is not None:
        # A stream's add verifies tens of pairs: no thread-pool start-up for those.
        parallel = len(pairs) >= PARALLEL_MIN_PAIRS
        kernel = k.intersect_counts if parallel else k.intersect_counts_serial
        return kernel(sets.hashes, sets.offsets, pairs)  # type: ignore[no-any-return]
    out = np.zeros(len(pairs), dtype=np.int64)
    for n, (i, j) in enumerate(pairs):
        out[n] = np.intersect1d(sets[int(i)], sets[int(j)], assume_unique=True).size
    return out


def verify_pairs(
    sets: ShingleSets, pairs: NDArray[np.int64], kind: Similarity = "jaccard"
) -> NDArray[np.float64]:
    """Exact similarity of every candidate pair."""
    if len(pairs) == 0:
        return np.zeros(0, dtype=np.float64)
    sizes = sets.sizes()
    inter = intersections(sets, pairs)
    return _from_counts(inter, sizes[pairs[:, 0]], sizes[pairs[:, 1]], kind)


def full_pair_scores(
    kept: ShingleSets, removed: ShingleSets, pairs: NDArray[np.int64], kind: Similarity
) -> NDArray[np.float64]:
    """Exact similarity of each pair on the documents' full sets, rebuilt from the filtered
    sets ``kept`` and what the boilerplate filter removed (``removed``, same rows): only the
    documents ``pairs`` name are rebuilt (what :meth:`Verifier.rescued` asks for)."""
    if len(pairs) == 0:
        return np.zeros(0, dtype=np.float64)
    rows = sorted_unique(np.asarray(pairs, dtype=np.int64).ravel())
    local = np.searchsorted(rows, pairs)
    return verify_pairs(full_sets(kept, removed, rows), local, kind)


def similarities_to_first(sets: ShingleSets, kind: Similarity = "jaccard") -> NDArray[np.float64]:
    """Exact similarity of document 0 of ``sets`` to each of the others (in their order).

    >>> import numpy as np
    >>> docs = ([1, 2], [2, 3], [1, 2])
    >>> s = ShingleSets.from_arrays([np.array(x, dtype=np.uint32) for x in docs])
    >>> similarities_to_first(s).tolist()
    [0.3333333333333333, 1.0]
    """
    return verify_pairs(sets, pairs_with_first(len(sets) - 1), kind)


def pairs_with_first(n: int) -> NDArray[np.int64]:
    """The pairs (0, 1), (0, 2), ... (0, n): document 0 against each of ``n`` others."""
    pairs = np.zeros((max(n, 0), 2), dtype=np.int64)
    pairs[:, 1] = np.arange(1, max(n, 0) + 1)
    return pairs
