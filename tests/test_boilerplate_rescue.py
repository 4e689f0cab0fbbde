"""The boilerplate rescue (``DedupConfig.boilerplate_rescue``): copies that share a common
block are judged on their full shingle sets too, the same on every path."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _impl import with_impl
from numpy.typing import NDArray

from arabic_dedup import MATCH_KINDS, DedupConfig, Deduplicator, find_duplicates
from arabic_dedup._boilerplate import (
    RESCUE_RATIO,
    BoilerplateRescue,
    BoilerplateRule,
    full_sets,
    removed_shingles,
)
from arabic_dedup._compare import compare_report
from arabic_dedup._dedup import detect, read_sets
from arabic_dedup._errors import ConfigError
from arabic_dedup._memory import MemoryPlan
from arabic_dedup._verify import Verifier, full_pair_scores, verify_pairs

# Letters the normaliser leaves alone, so the shingle counts below are exact.
LETTERS = "بتثجحخدذرزسشصضطظعغفقكلمنهو"
TINY = MemoryPlan(limit=1, window=20_000)
FOOTER_WORDS = 31


def words(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(LETTERS) for _ in range(rng.randint(5, 8))) for _ in range(n)]


def rescue_corpus(seed: int = 3) -> list[str]:
    """40 texts carrying one 31-word footer (so it is common: > max_df auto = 30), then
    two copies of a story that share 45 words of body and the footer (filtered Jaccard
    under 0.3, full over it), then two bulletins of one template: the footer plus bodies
    sharing 6 of 31 words (full Jaccard over 0.3, almost nothing left after the filter).
    LSH runs on the filtered sets: at the default banding it proposes the copy pair
    (filtered Jaccard 0.265) for these seeds, which the first test checks."""
    rng = random.Random(seed)
    footer = " ".join(words(rng, FOOTER_WORDS))
    out = [" ".join(words(rng, 100)) + " " + footer for _ in range(40)]
    story = words(rng, 45)
    out += [" ".join(story + words(rng, 60)) + " " + footer for _ in range(2)]
    formula = words(rng, 6)
    out += [" ".join(formula + words(rng, 25)) + " " + footer for _ in range(2)]
    return out


COPY, TEMPLATE = (40, 41), (42, 43)


def scores(texts: list[str]) -> dict[tuple[int, int], tuple[float, float]]:
    """(filtered, full) Jaccard of the copy pair and the template pair."""
    cfg = DedupConfig()
    full = cfg.hasher().shingle_sets(texts)
    assert cfg.boilerplate is not None
    kept = cfg.boilerplate.apply(full)
    pairs = np.array([COPY, TEMPLATE])
    f, g = verify_pairs(kept, pairs), verify_pairs(full, pairs)
    return {COPY: (f[0], g[0]), TEMPLATE: (f[1], g[1])}


def test_the_corpus_is_what_it_says() -> None:
    # The other tests rest on these numbers: they can fail only if these hold.
    texts = rescue_corpus()
    s = scores(texts)
    f, g = s[COPY]
    assert f < 0.3 <= g and f >= RESCUE_RATIO * g, s
    f, g = s[TEMPLATE]
    assert f < 0.3 <= g and f < RESCUE_RATIO * g, s
    seen: list[list[int]] = []
    cfg = DedupConfig(facts="off")  # the wording's candidates; detect then needs no fingerprints
    sets, _ = read_sets(texts, cfg.hasher())
    detect(
        sets, np.arange(len(texts)), config=cfg, hasher=cfg.hasher(),
        on_verify=lambda p, *_: seen.extend(p.tolist()),
    )  # fmt: skip
    assert list(COPY) in seen and list(TEMPLATE) in seen  # LSH proposes both


def test_the_rule_is_a_pure_decision() -> None:
    r = BoilerplateRescue(0.55)
    filtered = np.array([0.30, 0.29, 0.29, 0.10, 0.20, 0.16, 0.0])
    full = np.array([0.10, 0.50, 0.60, 0.50, 0.30, 0.29, 0.0])
    # at the threshold filtered; rescued (0.29 >= 0.275); 0.29 < 0.33; far under; at it
    # (0.2 >= 0.165); full under the threshold; nothing at all
    assert r.accepts(filtered, full, 0.3).tolist() == [True, True, False, False, True, False, False]
    # Only pairs in [ratio * threshold, threshold) can change: the rest need no full score.
    assert r.asks(filtered, 0.3).tolist() == [False, True, True, False, True, False, False]
    assert not (r.accepts(filtered, full, 0.3) & ~r.asks(filtered, 0.3) & (filtered < 0.3)).any()
    assert BoilerplateRescue(1.0).accepts(np.array([0.29]), np.array([0.29]), 0.3).tolist() == [
        False
    ]


@pytest.mark.parametrize("bad", [-0.1, 1.5, "0.5", True, float("nan")])
def test_bad_ratios_are_config_errors(bad: object) -> None:
    with pytest.raises(ConfigError, match="boilerplate_rescue"):
        DedupConfig(boilerplate_rescue=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):  # ConfigError is a ValueError too
        BoilerplateRescue(bad)  # type: ignore[arg-type]


def test_off_and_defaults() -> None:
    assert DedupConfig().rescue == BoilerplateRescue(RESCUE_RATIO)
    assert DedupConfig(boilerplate_rescue=None).rescue is None
    assert DedupConfig(boilerplate_rescue=0).rescue is None
    assert DedupConfig(max_df=None).rescue is None  # nothing removed: nothing to rescue
    assert DedupConfig().verifier.rescue == BoilerplateRescue(RESCUE_RATIO)


def test_removed_and_full_sets_rebuild_the_full_sets() -> None:
    texts = rescue_corpus()
    cfg = DedupConfig()
    full = cfg.hasher().shingle_sets(texts)
    kept, stats = BoilerplateRule.of("auto").apply_with_stats(full)
    removed = with_impl("fast", removed_shingles, full, kept, stats.common)  # the merge kernel
    for block in (1, 7, 1000):  # the reference, by ranges of documents: the same sets
        small = with_impl("reference", removed_shingles, full, kept, stats.common, block=block)
        assert np.array_equal(small.hashes, removed.hashes)
        assert np.array_equal(small.offsets, removed.offsets)
    assert removed.hashes.size == full.hashes.size - kept.hashes.size > 0
    rows = np.array([43, 0, 41, 40, 0])
    for impl in ("fast", "reference"):  # the merge kernel, and one sort of (row, hash) keys
        back = with_impl(impl, full_sets, kept, removed, rows)
        assert np.array_equal(back.offsets[1:] - back.offsets[:-1], full.sizes()[rows])
        for k, r in enumerate(rows.tolist()):
            assert back[k].tolist() == full[r].tolist()
            assert np.intersect1d(removed[r], kept[r]).size == 0
    pairs = np.array([COPY, TEMPLATE, (0, 1)])
    assert full_pair_scores(kept, removed, pairs, "containment").tolist() == (
        verify_pairs(full, pairs, "containment").tolist()
    )
    # Memory: what the rescue keeps is the boilerplate only (here 40 of ~140 shingles).
    assert removed.hashes.nbytes < 0.4 * full.hashes.nbytes


def test_copies_sharing_a_boilerplate_block_join_templates_do_not() -> None:
    texts = rescue_corpus()
    off = find_duplicates(texts, boilerplate_rescue=None)
    on = find_duplicates(texts)
    assert off.duplicate_of[41] is None  # lost to the filter without the rule
    assert on.duplicate_of[41] == 40  # joined with it
    assert on.duplicate_of[43] is None and off.duplicate_of[43] is None  # template stays apart
    assert on.n_duplicates == 1
    # The reported similarity is the filtered one (what ranks stars), under the threshold.
    f, _ = scores(texts)[COPY]
    assert on.similarity[41] == pytest.approx(f) and on.similarity[41] < on.params["threshold"]
    assert len(on.pairs) == 1 and on.pairs[0][:2] == (40, 41)
    assert on.pairs[0].similarity == pytest.approx(f)
    assert on.params["boilerplate_rescue"] == RESCUE_RATIO


def test_the_rule_off_reproduces_the_filtered_threshold() -> None:
    # Off, the decision is the threshold on the filtered sets alone, on every candidate.
    texts = rescue_corpus() + [t + " تم" for t in rescue_corpus(seed=9)[38:]]
    off = find_duplicates(texts, boilerplate_rescue=None)
    v = Verifier("jaccard", 0.3)
    sims = np.array([0.1, 0.29, 0.3, 0.5])
    assert v.accept(sims).tolist() == [False, False, True, True]
    ok = v.accept(sims)
    assert not v.rescued(sims, ok, None, np.zeros((4, 2), np.int64), lambda at: sims[at]).any()
    kept = BoilerplateRule.of("auto").apply(DedupConfig().hasher().shingle_sets(texts))
    for i, j, s in off.pairs:
        assert s >= 0.3 and verify_pairs(kept, np.array([[i, j]]))[0] == pytest.approx(s)


def test_batch_stream_and_spilled_agree(tmp_path: Path) -> None:
    texts = rescue_corpus()
    cases: list[dict[str, Any]] = [{}, {"boilerplate_rescue": None}, {"similarity": "containment"}]
    for opts in cases:
        batch = find_duplicates(texts, **opts)
        spilled = find_duplicates(texts, memory_limit=TINY, tmp_dir=tmp_path, **opts)
        assert spilled.spill["spilled"]
        assert spilled.duplicate_of == batch.duplicate_of, opts
        assert np.array_equal(spilled.similarity, batch.similarity)
        assert spilled.pairs == batch.pairs
        with Deduplicator(**opts) as d:
            got = d.add_many(enumerate(texts))
        assert [None if m is None else m.key for m in got] == batch.duplicate_of, opts
        for i, m in enumerate(got):
            if m is not None:
                assert m.similarity == pytest.approx(batch.similarity[i])
    assert find_duplicates(texts).duplicate_of[41] == 40  # the rule is exercised


def test_compare_explains_the_rescue() -> None:
    texts = rescue_corpus()
    cfg = DedupConfig()
    full = cfg.hasher().shingle_sets(texts)
    assert cfg.boilerplate is not None
    _, stats = cfg.boilerplate.apply_with_stats(full)
    rep = compare_report([texts[40], texts[41]], cfg, stats)
    f, g = scores(texts)[COPY]
    assert rep["verdict"] == "duplicates" and rep["jaccard"] == pytest.approx(f) and f < 0.3
    assert rep["boilerplate_rescue"]["rescued"] is True
    assert rep["boilerplate_rescue"]["full_similarity"] == pytest.approx(g)
    rep = compare_report([texts[42], texts[43]], cfg, stats)
    assert rep["verdict"] == "not duplicates" and not rep["boilerplate_rescue"]["rescued"]
    off = compare_report([texts[40], texts[41]], DedupConfig(boilerplate_rescue=0), stats)
    assert off["verdict"] == "not duplicates" and off["boilerplate_rescue"] is None


def test_rescued_members_are_marked(tmp_path: Path) -> None:
    texts = rescue_corpus()
    on = find_duplicates(texts)
    assert on.match_kind[41] == "boilerplate"
    assert find_duplicates(texts, boilerplate_rescue=None).match_kind[41] is None
    # A copy of the rescued text joins the same way; a copy of the kept text is exact.
    more = find_duplicates([*texts, texts[41], texts[40]])
    assert more.match_kind[40:] == [None, "boilerplate", None, None, "boilerplate", "exact"]
    spilled = find_duplicates(texts, memory_limit=TINY, tmp_dir=tmp_path)
    assert spilled.match_kind == on.match_kind


def test_with_the_fact_check_a_rescued_pair_is_judged_on_its_full_similarity(
    tmp_path: Path,
) -> None:
    texts = rescue_corpus()
    r = find_duplicates(texts, facts="apart")
    assert r.duplicate_of[41] == 40 and r.match_kind[41] == "boilerplate"
    assert r.pairs.kinds() == ["copy"]  # no facts differ: the judgement on 0.378 is a copy
    assert find_duplicates(texts, facts="apart", boilerplate_rescue=None).n_duplicates == 0
    spilled = find_duplicates(texts, facts="apart", memory_limit=TINY, tmp_dir=tmp_path)
    assert spilled.pairs == r.pairs and spilled.match_kind == r.match_kind
    # A pair the check vetoes is never rescued: the veto is read before the full score.
    v = DedupConfig(facts="apart").verifier
    sims, ok = np.array([0.29]), np.array([False])
    kinds = np.array([MATCH_KINDS.index("template")], dtype=np.int8)
    asked: list[NDArray[np.int64]] = []

    def full(at: NDArray[np.int64]) -> NDArray[np.float64]:
        asked.append(at)
        return np.array([0.5])

    rescued = v.rescued(sims, ok, kinds, np.array([[0, 1]]), full)
    assert not rescued.any() and not asked and kinds.tolist() == [MATCH_KINDS.index("template")]
