"""Giant LSH buckets: the kept-document path decides exactly what the all-pairs path decides."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from _impl import with_impl
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from arabic_dedup import DedupConfig, Deduplicator, Match
from arabic_dedup._cluster import grouped_star_clusters
from arabic_dedup._dedup import detect, read_all, read_sets
from arabic_dedup._keep import keep_order
from arabic_dedup._lsh import candidates, identical_sets, take_sets

# Facts among the words (numbers, ordinals, places), so that with the fact check on a
# near-copy can hold a different fact in a shared slot: a template.
WORDS = [f"كلمة{i}" for i in range(34)] + ["12", "13", "الخامسة", "السادسة", "الرياض", "جدة"]


@st.composite
def corpora(draw):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    base = [WORDS[i] for i in rng.integers(0, 40, size=12)]
    texts = []
    for _ in range(draw(st.integers(1, 40))):
        kind = rng.integers(0, 4)
        words = list(base)
        if kind == 1:  # near-copy
            words[rng.integers(0, 12)] = WORDS[rng.integers(0, 40)]
        elif kind == 2:  # truncated copy (contained)
            words = words[: rng.integers(3, 12)]
        elif kind == 3:  # unrelated
            words = [WORDS[i] for i in rng.integers(0, 40, size=8)]
        texts.append(" ".join(words))
    return texts


def run(texts, limit, similarity, keep, max_df, facts):  # type: ignore[no-untyped-def]
    # The boilerplate rescue is off: inside giant buckets it does not run (a documented
    # limit), so with it the giant path may join fewer pairs than all-pairs.
    cfg = DedupConfig(
        similarity=similarity, threshold=0.6, max_df=max_df, boilerplate_rescue=None, facts=facts
    )
    hasher = cfg.hasher()
    sets, lengths = read_sets(texts, hasher)
    fsets = hasher.shingle_fact_sets(texts)[1] if facts != "off" else None
    det = detect(
        sets, keep_order(lengths, keep), config=cfg, hasher=hasher, giant_bucket=limit,
        facts=fsets,
    )  # fmt: skip
    c = det.clusters
    return c.representative.tolist(), c.similarity.tolist(), det.pairs.tolist()


@settings(max_examples=60, deadline=None)
@given(
    texts=corpora(),
    similarity=st.sampled_from(["jaccard", "containment"]),
    keep=st.sampled_from(["first", "longest"]),
    max_df=st.sampled_from([None, 3]),
    limit=st.integers(1, 6),
    facts=st.sampled_from(["off", "apart", "join"]),
)
def test_giant_path_decides_as_all_pairs(texts, similarity, keep, max_df, limit, facts) -> None:  # type: ignore[no-untyped-def]
    ref = with_impl("reference", run, texts, float("inf"), similarity, keep, max_df, facts)
    for impl in ("reference", None):
        got = with_impl(impl, run, texts, limit, similarity, keep, max_df, facts)
        assert got[:2] == ref[:2]
        assert set(map(tuple, got[2])) <= set(map(tuple, ref[2]))
    fast_inf = with_impl(None, run, texts, float("inf"), similarity, keep, max_df, facts)
    assert fast_inf == ref


def kernel_inputs(texts, limit, similarity, keep, facts):  # type: ignore[no-untyped-def]
    """What ``detect`` hands ``grouped_star_clusters`` (built on the reference path)."""
    cfg = DedupConfig(similarity=similarity, threshold=0.6, max_df=None, facts=facts)
    hasher = cfg.hasher()
    sets, lengths, fsets = read_all(texts, hasher, facts=True)
    first = identical_sets(sets)
    rows = np.flatnonzero(first == np.arange(len(sets)))
    group = np.searchsorted(rows, first)
    sets = take_sets(sets, rows)
    fsets = take_sets(fsets, rows) if facts != "off" and fsets is not None else None
    cands = candidates(
        hasher.signatures_from_sets(sets),
        *cfg.banding(),
        active=sets.sizes() > 0,
        weights=np.bincount(group, minlength=rows.size),
        limit=limit,
    )
    sims, ok = cfg.verifier(sets, cands.pairs, fsets)
    cands = replace(cands, pairs=cands.pairs[ok])
    return keep_order(lengths, keep), group, sims[ok], cands, sets, cfg.verifier, fsets


@settings(max_examples=60, deadline=None)
@given(
    texts=corpora(),
    similarity=st.sampled_from(["jaccard", "containment"]),
    keep=st.sampled_from(["first", "longest"]),
    limit=st.integers(1, 4),
    facts=st.sampled_from(["off", "apart", "join"]),
)
def test_giant_kernel_fast_equals_reference(texts, similarity, keep, limit, facts) -> None:  # type: ignore[no-untyped-def]
    args = with_impl("reference", kernel_inputs, texts, limit, similarity, keep, facts)
    assume(args[3].n_giant > 0)  # the giant path is what is compared
    ref = with_impl("reference", grouped_star_clusters, *args)
    fast = with_impl("fast", grouped_star_clusters, *args)
    assert fast.representative.tolist() == ref.representative.tolist()
    assert fast.similarity.tolist() == ref.similarity.tolist()


CHILD = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
from arabic_dedup import find_duplicates
base = " ".join(f"كلمة{i}" for i in range(60))
near = [base + f" اضافة{i}" for i in range(20_000)]
r = find_duplicates(["نص قصير جدا"] * 50_000)
assert r.keep.sum() == 1 and len(r.pairs) == 49_999, (r.keep.sum(), len(r.pairs))
r = find_duplicates(near)
assert r.keep.sum() == 1 and len(r.pairs) == 19_999, (r.keep.sum(), len(r.pairs))
"""


def test_giant_clusters_fit_in_2_gb_of_address_space() -> None:
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=os.environ.copy()
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_cli_on_10000_identical_records_keeps_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json
    import shutil
    import subprocess

    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"id": i, "text": "نص قصير جدا"}) + "\n" for i in range(10_000)),
        encoding="utf-8",
    )
    import sys
    from pathlib import Path

    installed = Path(sys.executable).parent / "arabic-dedup"  # the venv's command
    exe = str(installed) if installed.exists() else shutil.which("arabic-dedup") or "arabic-dedup"
    done = subprocess.run(
        [exe, "dedup", str(src), "-o", str(tmp_path / "out")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = (tmp_path / "out" / "unique.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1


class CountingDeduplicator(Deduplicator):
    """Records how many candidates each add's store read handed to the verifier."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.seen: list[int] = []

    def _verified(self, hashes, facts, found):  # type: ignore[no-untyped-def]
        self.seen.append(len(found.candidates))
        return super()._verified(hashes, facts, found)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_stream_of_20000_identical_adds_reads_one_candidate_each(backend, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A giant cluster in a stream: copies are recorded as duplicates and never filed in a
    # bucket, so each add reads the one kept text, not every copy before it.
    n = 20_000
    kw = {"path": tmp_path / "i.db"} if backend == "sqlite" else {}
    with CountingDeduplicator(**kw) as d:
        got = d.add_many((f"k{i}", "نص قصير جدا يتكرر في كل مكان") for i in range(n))
        assert got[0] is None
        assert all(m == Match("k0", 1.0, "copy") for m in got[1:])
        assert d.seen == [0] + [1] * (n - 1)
        assert d.stats().kept == 1 and len(d) == n


def _fact_corpus() -> list[str]:
    """A story, an edited copy of it whose eight facts all agree (Jaccard 0.59, under the 0.6
    used here: only the fact rescue joins it), an update (one figure changed, 0.93) and a
    template (that figure changed again, to a third value, and the wording edited)."""
    facts = ["12", "الرياض", "الخامسة", "2015", "جدة", "30", "مكة", "يوليو"]
    fill = [f"كلمة{i}" for i in range(60)]

    def text(words: list[str], values: list[str]) -> str:
        out: list[str] = []
        for i, v in enumerate(values):
            out += [f"قبل{i}", v, f"بعد{i}", *words[i * 4 : (i + 1) * 4]]
        return " ".join(out)

    return [
        text(fill[:32], facts),
        text(fill[:20] + fill[40:52], facts),
        text(fill[:32], ["13", *facts[1:]]),
        text(fill[:24] + fill[50:58], ["14", *facts[1:]]),
    ]


@pytest.mark.parametrize("facts", ["apart", "join"])
def test_giant_buckets_apply_the_fact_check(facts: str) -> None:
    texts = _fact_corpus()
    want = run(texts, float("inf"), "jaccard", "first", None, facts)  # all pairs, no giant
    rescued, update, template = 0, 0 if facts == "join" else 2, 3
    assert want[0] == [0, rescued, update, template]
    assert 0.5 < want[1][1] < 0.6  # joined under the threshold: the fact rescue
    for impl in ("reference", None):  # every bucket giant: the giant loop alone decides
        assert with_impl(impl, run, texts, 1, "jaccard", "first", None, facts)[:2] == want[:2]
