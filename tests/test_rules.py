"""One owner per rule, every engine held to it.

The boilerplate rule (``BoilerplateRule``: the document-frequency limit and the exemption of
texts made mostly of common shingles) is defined once in ``arabic_dedup._boilerplate`` and
handed to each engine that applies it: the numpy reference, the numba kernel, Spark SQL, and a
stream's stores (memory, SQLite, Redis, whose limit is evaluated in Lua) with the stream's
verifier. Each engine must give what the owner's definition gives.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _impl import with_impl
from _stream_helpers import base_text

import arabic_dedup as ad
from arabic_dedup._boilerplate import BoilerplateRule, drop_common
from arabic_dedup._shingle import ShingleSets

MAX_DFS = ("auto", 4, 0.2)
FORMULA = (
    "توقعت الهيئة العامة للأرصاد وحماية البيئة في نشرتها الجوية الصادرة صباح اليوم أن تكون "
    "الأجواء حارة على معظم مناطق المملكة مع نشاط في الرياح السطحية المثيرة للأتربة والغبار "
)
FOOTER = " رابط الخبر بصحيفة الوئام حقوق النشر محفوظة للصحيفة"


def corpus(n: int = 96, seed: int = 3) -> list[str]:
    """Half the texts share a formula (and half of those a footer): common, dropped; each
    bulletin with a footer has a copy without it. The other half are one story with a
    sentence of their own: common too, but exempt, being mostly common. Enough of each
    (48 > 30) for ``max_df="auto"``."""
    rng = random.Random(seed)
    story = base_text(rng, 5)
    out = []
    for i in range(n):
        if i % 2 == 0:
            out.append(story + " " + base_text(rng, 1))
        elif i % 4 == 1:
            out.append(FORMULA + base_text(rng, 3) + FOOTER)
        else:  # a copy of the bulletin before it, without the footer
            out.append("الرياض - واس: " + out[-2].removesuffix(FOOTER))
    return out


def owner(sets: ShingleSets, max_df: float | str) -> list[list[int]]:
    """The rule as its owner states it, written out plainly per document."""
    rule = BoilerplateRule.of(max_df)
    df: dict[int, int] = {}
    for i in range(len(sets)):
        for h in sets[i].tolist():
            df[h] = df.get(h, 0) + 1
    limit = rule.limit(len(sets))
    out = []
    for i in range(len(sets)):
        h = sets[i].tolist()
        kept = [x for x in h if df[x] <= limit]
        out.append(h if rule.exempt(len(h) - len(kept), len(h)) else kept)
    return out


def as_lists(sets: ShingleSets) -> list[list[int]]:
    return [sets[i].tolist() for i in range(len(sets))]


@pytest.fixture(scope="module")
def sets() -> ShingleSets:
    return ad.MinHasher().shingle_sets(corpus())


@pytest.mark.parametrize("max_df", MAX_DFS)
def test_the_corpus_exercises_both_halves_of_the_rule(sets: ShingleSets, max_df: Any) -> None:
    rule = BoilerplateRule.of(max_df)
    expected = owner(sets, max_df)
    dropped = [len(sets[i]) - len(e) for i, e in enumerate(expected)]
    assert any(dropped), "nothing was common: the test would prove nothing"
    common = rule.common(sets)
    exempted = [i for i in range(len(sets)) if not dropped[i] and np.isin(sets[i], common).any()]
    assert exempted, "no document was exempt: the exemption is untested"


@pytest.mark.parametrize("engine", ["reference", "fast"])
@pytest.mark.parametrize("max_df", MAX_DFS)
def test_numpy_and_kernel_engines(sets: ShingleSets, max_df: Any, engine: str) -> None:
    rule = BoilerplateRule.of(max_df)
    assert as_lists(with_impl(engine, rule.apply, sets)) == owner(sets, max_df)
    common = with_impl(engine, rule.common, sets)
    assert as_lists(drop_common(sets, common, rule)) == owner(sets, max_df)


@pytest.mark.parametrize("max_df", MAX_DFS)
def test_spark_sql_engine(spark: Any, sets: ShingleSets, max_df: Any) -> None:
    from pyspark.sql import functions as F

    from arabic_dedup import spark as ads
    from arabic_dedup.spark.udfs import to_bytes

    # Spark counts the document frequencies; each later stage filters with the rule it hands on.
    rule = BoilerplateRule.of(max_df)
    docs = spark.createDataFrame([(b,) for b in to_bytes(sets)], f"{ads._SH} binary")
    stats = ads._common_shingles(docs, rule, len(sets), F)
    assert stats is None or (stats.rule is rule and stats.n_docs == len(sets))
    got = sets if stats is None else stats.filter(sets)
    assert as_lists(got) == owner(sets, max_df)


@pytest.mark.parametrize("store", ["memory", "sqlite", "redis"])
@pytest.mark.parametrize("max_df", MAX_DFS)
def test_stream_stores_and_verifier(
    store: str, max_df: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # Once every text is in the index, a query sees the counts of the whole corpus: its
    # similarities must be those of the owner's filtered sets, on every store.
    texts = corpus()
    where: dict[str, Any] = {}
    if store == "sqlite":
        where = {"path": tmp_path / "rules.sqlite"}
    elif store == "redis":
        where = {
            "redis_url": request.getfixturevalue("redis_url"),
            "namespace": request.getfixturevalue("redis_ns"),
        }
    threshold = 0.3
    with ad.Deduplicator(max_df=max_df, threshold=threshold, **where) as d:
        for i, t in enumerate(texts):
            d.add(f"t{i}", t)
        filtered = ShingleSets.from_arrays(
            [np.array(h, dtype=np.uint32) for h in owner(d._hasher.shingle_sets(texts), max_df)]
        )
        # Candidates come from LSH, so every key a query returns is checked: it must score
        # exactly as the owner's filtered sets say.
        raw = d._hasher.shingle_sets(texts)
        matched = changed = 0
        for i in range(0, len(texts), 5):
            got = {m.key: m.similarity for m in d.query(texts[i])}
            for key, s in got.items():
                j = int(key[1:])
                assert s == pytest.approx(ad.similarity(filtered[i], filtered[j]), abs=1e-12)
                changed += s != ad.similarity(raw[i], raw[j])
            matched += sum(key != f"t{i}" for key in got)
        assert matched > 0, "no query matched another text: the verifier is untested"
        assert changed > 0, "the rule changed no similarity: it is untested here"
