"""The streaming verifier's shortcut: candidates ruled out by a bound on the text's own
filtered shingles, the rest scored exactly in one kernel call. It must decide exactly as
scoring every candidate one by one on its filtered shingles would."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from arabic_dedup import Deduplicator, Match
from arabic_dedup._boilerplate import EXEMPT_SHARE, RESCUE_RATIO
from arabic_dedup._verify import similarity
from arabic_dedup.stores import NO_FACTS, Candidate, Found

U32 = np.uint32


def _sorted_set(values: list[int]) -> np.ndarray:
    return np.unique(np.array(values, dtype=U32))


def brute_force(
    text: np.ndarray, cands: list[Candidate], common: np.ndarray, kind: str, t: float
) -> list[Match]:
    """Every candidate scored on its own, both sides without the common shingles (each side
    keeps them all if it would lose 75 % or more), and the boilerplate rescue on the full
    sets (at the threshold there, keeping RESCUE_RATIO of it) — the rules written out plainly."""

    def kept(h: np.ndarray) -> np.ndarray:
        hit = np.isin(h, common)
        n_hit = int(hit.sum())
        return h if n_hit == 0 or n_hit >= EXEMPT_SHARE * max(h.size, 1) else h[~hit]

    scored = []
    for c in cands:
        s = similarity(kept(text), kept(c.hashes), kind)  # type: ignore[arg-type]
        full = similarity(text, c.hashes, kind)  # type: ignore[arg-type]
        if s >= t or (full >= t and s >= RESCUE_RATIO * full):
            scored.append((-s, c.seq, Match(c.key, s)))
    scored.sort(key=lambda x: (x[0], x[1]))
    return [m for _, _, m in scored]


# Small universes make overlaps, common shingles and exemptions frequent.
hash_sets = st.lists(st.integers(0, 60), min_size=0, max_size=40).map(_sorted_set)


# A candidate inside the text once its boilerplate (half its shingles) is dropped: the
# containment bound must use what the candidate keeps, not its full size.
_INSIDE = _sorted_set(list(range(0, 20)))
_CARRIER = _sorted_set(list(range(0, 10)) + list(range(40, 50)))


@settings(max_examples=300, deadline=None)
@example(
    text=_INSIDE,
    others=[_CARRIER],
    common_values=list(range(40, 50)),
    kind="containment",
    threshold=0.55,
)
@given(
    text=hash_sets.filter(lambda h: h.size > 0),
    others=st.lists(hash_sets.filter(lambda h: h.size > 0), max_size=12),
    common_values=st.lists(st.integers(0, 60), max_size=30),
    kind=st.sampled_from(["jaccard", "containment"]),
    threshold=st.sampled_from([0.1, 0.3, 0.5, 0.55, 0.8, 1.0]),
)
def test_bound_then_exact_equals_scoring_every_candidate(
    text: np.ndarray,
    others: list[np.ndarray],
    common_values: list[int],
    kind: str,
    threshold: float,
) -> None:
    common = _sorted_set(common_values)
    cands = [Candidate(f"k{i}", i, h) for i, h in enumerate(others)]
    asked: list[int] = []

    def common_among(cs: Sequence[Candidate]) -> np.ndarray:
        asked.append(len(cs))
        u = np.concatenate([text, *(c.hashes for c in cs)])
        return np.intersect1d(u, common)

    d = Deduplicator(threshold=threshold, similarity=kind, facts="off")
    got = d._verified(text, NO_FACTS, Found(cands, common_among))
    want = brute_force(text, cands, common, kind, threshold)
    assert [m.key for m in got] == [m.key for m in want]
    assert [m.similarity for m in got] == [m.similarity for m in want]
    # The exact step asks about no more candidates than there are.
    assert all(n <= len(cands) for n in asked)


def test_the_bound_rules_out_template_candidates_without_asking_about_them() -> None:
    # A text and 200 earlier texts sharing only common (boilerplate) shingles with it, plus
    # one true copy: only the copy may reach the exact step.
    rng = np.random.default_rng(7)
    boiler = np.arange(1000, 1040, dtype=U32)
    text = np.union1d(boiler, rng.choice(np.arange(10_000, 20_000), 200, replace=False))
    cands = [
        Candidate(f"t{i}", i, np.union1d(boiler, rng.choice(np.arange(30_000, 90_000), 200)))
        for i in range(200)
    ]
    cands.append(Candidate("copy", 500, text.copy()))
    asked: list[list[str]] = []

    def common_among(cs: Sequence[Candidate]) -> np.ndarray:
        asked.append([str(c.key) for c in cs])
        return np.intersect1d(np.concatenate([text, *(c.hashes for c in cs)]), boiler)

    got = Deduplicator(facts="off")._verified(text, NO_FACTS, Found(cands, common_among))
    assert got == [Match("copy", 1.0)]
    assert asked == [[], ["copy"]]
