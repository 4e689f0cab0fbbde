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
from arabic_dedup._cluster import grouped_star_clusters, keep_order
from arabic_dedup._dedup import detect, read_sets
from arabic_dedup._lsh import candidates, identical_sets, take_sets

WORDS = [f"كلمة{i}" for i in range(40)]


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


def run(texts, limit, similarity, keep, max_df):  # type: ignore[no-untyped-def]
    # The boilerplate rescue is off: inside giant buckets the threshold alone decides (a
    # documented limit), so with it the giant path may join fewer pairs than all-pairs.
    cfg = DedupConfig(similarity=similarity, threshold=0.6, max_df=max_df, boilerplate_rescue=None)
    hasher = cfg.hasher()
    sets, lengths = read_sets(texts, hasher)
    det = detect(sets, keep_order(lengths, keep), config=cfg, hasher=hasher, giant_bucket=limit)
    c = det.clusters
    return c.representative.tolist(), c.similarity.tolist(), det.pairs.tolist()


@settings(max_examples=60, deadline=None)
@given(
    texts=corpora(),
    similarity=st.sampled_from(["jaccard", "containment"]),
    keep=st.sampled_from(["first", "longest"]),
    max_df=st.sampled_from([None, 3]),
    limit=st.integers(1, 6),
)
def test_giant_path_decides_as_all_pairs(texts, similarity, keep, max_df, limit) -> None:  # type: ignore[no-untyped-def]
    ref = with_impl("reference", run, texts, float("inf"), similarity, keep, max_df)
    for impl in ("reference", None):
        got = with_impl(impl, run, texts, limit, similarity, keep, max_df)
        assert got[:2] == ref[:2]
        assert set(map(tuple, got[2])) <= set(map(tuple, ref[2]))
    fast_inf = with_impl(None, run, texts, float("inf"), similarity, keep, max_df)
    assert fast_inf == ref


def kernel_inputs(texts, limit, similarity, keep):  # type: ignore[no-untyped-def]
    """What ``detect`` hands ``grouped_star_clusters`` (built on the reference path)."""
    cfg = DedupConfig(similarity=similarity, threshold=0.6, max_df=None)
    hasher = cfg.hasher()
    sets, lengths = read_sets(texts, hasher)
    first = identical_sets(sets)
    rows = np.flatnonzero(first == np.arange(len(sets)))
    group = np.searchsorted(rows, first)
    sets = take_sets(sets, rows)
    cands = candidates(
        hasher.signatures_from_sets(sets),
        *cfg.banding(),
        active=sets.sizes() > 0,
        weights=np.bincount(group, minlength=rows.size),
        limit=limit,
    )
    sims, ok = cfg.verifier(sets, cands.pairs)
    cands = replace(cands, pairs=cands.pairs[ok])
    return keep_order(lengths, keep), group, sims[ok], cands, sets, cfg.verifier


@settings(max_examples=60, deadline=None)
@given(
    texts=corpora(),
    similarity=st.sampled_from(["jaccard", "containment"]),
    keep=st.sampled_from(["first", "longest"]),
    limit=st.integers(1, 4),
)
def test_giant_kernel_fast_equals_reference(texts, similarity, keep, limit) -> None:  # type: ignore[no-untyped-def]
    args = with_impl("reference", kernel_inputs, texts, limit, similarity, keep)
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
        assert all(m == Match("k0", 1.0) for m in got[1:])
        assert d.seen == [0] + [1] * (n - 1)
        assert d.stats().kept == 1 and len(d) == n
