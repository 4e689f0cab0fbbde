"""``arabic_dedup.spark.find_duplicates`` on a real local Spark session equals the single-machine
``find_duplicates`` exactly: cluster ids, keep flags, duplicate_of and similarities.

One session serves the whole module (starting Spark costs tens of seconds).
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path
from typing import Any

import pytest
from _shared import SAUDINEWSNET, shared_file

import arabic_dedup
from arabic_dedup._boilerplate import BoilerplateRule
from arabic_dedup.testing import random_transforms, syndicate

ROOT = Path(__file__).resolve().parents[1]
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
pytestmark = pytest.mark.spark


def _single(texts: list[str], keep: str, **opts: Any) -> arabic_dedup.DedupResult:
    return arabic_dedup.find_duplicates(texts, keep=keep, **opts)  # type: ignore[arg-type]


def assert_same(
    spark: Any,
    texts: list[str],
    *,
    keep: str = "first",
    min_duplicates: int = 1,
    on_round: Any = None,
    **opts: Any,
) -> arabic_dedup.DedupResult:
    """Run both detectors on ``texts`` (id = input index) and compare every output column."""
    from arabic_dedup import spark as ads

    single = _single(texts, keep, **opts)
    assert single.n_duplicates >= min_duplicates, "the case must contain duplicates to be a test"
    df = spark.createDataFrame(list(enumerate(texts)), "id long, text string")
    rows = ads.find_duplicates(df, keep=keep, on_round=on_round, **opts).orderBy("id").collect()  # type: ignore[arg-type]
    assert [r.id for r in rows] == list(range(len(texts)))
    assert [r.cluster_id for r in rows] == single.cluster_ids.tolist()
    assert [r.keep for r in rows] == single.keep.tolist()
    assert [r.duplicate_of for r in rows] == single.duplicate_of
    assert [r.similarity for r in rows] == single.similarity.tolist()  # exact, not approx
    return single


def syndicated_corpus(seed: int, copies: int = 4) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for path in SEEDS:
        base = path.read_text(encoding="utf-8")
        texts.append(base)
        texts += [syndicate(base, random_transforms(rng), rng=rng) for _ in range(copies)]
    rng.shuffle(texts)
    return texts


def chain(n: int, width: int = 100, step: int = 25) -> list[str]:
    """Texts i and i+1 overlap by width - step words (similar), i and i+2 by less (not)."""
    words = [f"كلمة{i}" for i in range(width + step * n)]
    return [" ".join(words[i * step : i * step + width]) for i in range(n)]


# -- equality on the cases that matter ---------------------------------------------------------


def test_syndicated_copies(spark: Any) -> None:
    assert_same(spark, syndicated_corpus(1), min_duplicates=10)


def test_keep_longest(spark: Any) -> None:
    assert_same(spark, syndicated_corpus(2), keep="longest", min_duplicates=10)


def test_containment(spark: Any) -> None:
    assert_same(spark, syndicated_corpus(3), similarity="containment", min_duplicates=10)


@pytest.mark.parametrize("local_pairs", [0, 3, None])
def test_chaining_is_not_followed(
    spark: Any, monkeypatch: pytest.MonkeyPatch, local_pairs: int | None
) -> None:
    """A~B, B~C, A not~C: C must not join A. A longer chain needs several rounds of joins when
    the pairs are too many for one task (LOCAL_PAIRS=0: rounds only; 3: two rounds, then the
    last pairs in one task); by default one task decides them all."""
    from arabic_dedup import spark as ads

    if local_pairs is not None:
        monkeypatch.setattr(ads, "LOCAL_PAIRS", local_pairs)
    texts = [*chain(7), "نص آخر لا علاقة له بالسلسلة على الإطلاق"]
    rounds: list[tuple[int, int]] = []
    single = assert_same(
        spark,
        texts,
        threshold=0.5,
        k=2,
        max_df=None,
        min_duplicates=3,
        on_round=lambda r, n: rounds.append((r, n)),
    )
    pairs = {(p.i, p.j) for p in single.pairs}
    assert (0, 1) in pairs and (1, 2) in pairs and (0, 2) not in pairs
    assert single.cluster_ids.tolist() == [0, 0, 2, 2, 4, 4, 6, 7]
    # One round per kept link of the chain: the loop really iterates.
    assert [n for _, n in rounds] == ([6] if local_pairs is None else [6, 4, 2])


def test_order_col_and_string_ids(spark: Any) -> None:
    """keep="first" follows order_col, not the DataFrame's row order or the ids' order."""
    from arabic_dedup import spark as ads

    texts = syndicated_corpus(4, copies=3)
    single = _single(texts, "first")
    rng = random.Random(7)
    ids = [f"doc-{rng.random():.12f}" for _ in texts]
    rows = [(ids[i], i, texts[i]) for i in range(len(texts))]
    rng.shuffle(rows)
    df = spark.createDataFrame(rows, "doc string, pos long, body string")
    out = {
        r.doc: r
        for r in ads.find_duplicates(df, text_col="body", id_col="doc", order_col="pos").collect()
    }
    assert [out[i].cluster_id for i in ids] == [ids[c] for c in single.cluster_ids.tolist()]
    assert [out[i].similarity for i in ids] == single.similarity.tolist()


def test_max_df(spark: Any) -> None:
    """Boilerplate filtering as a fraction and as a count, with common shingles present."""
    texts = syndicated_corpus(5)
    sets = arabic_dedup.MinHasher().shingle_sets(texts)
    for max_df in (0.2, 3):
        assert BoilerplateRule.of(max_df).common(sets).size > 0
        assert_same(spark, texts, max_df=max_df, min_duplicates=10)


def test_max_df_exempts_widely_copied_texts(spark: Any) -> None:
    """A story copied more often than max_df keeps its shingles (the exemption rule)."""
    base = SEEDS[0].read_text(encoding="utf-8")
    texts = [base] * 5 + [SEEDS[1].read_text(encoding="utf-8")]
    assert_same(spark, texts, max_df=2, min_duplicates=4)


def test_boilerplate_rescue(spark: Any) -> None:
    """Two copies sharing a common footer fall under the threshold once it is filtered and are
    joined on their full sets, as on one machine; with the rescue off they stay apart."""
    from test_boilerplate_rescue import COPY, rescue_corpus

    texts = rescue_corpus()
    single = assert_same(spark, texts)
    assert single.duplicate_of[COPY[1]] == COPY[0]
    # Two exact copies appended, so that the run without the rescue has a duplicate to compare.
    off = assert_same(spark, texts + texts[:2], boilerplate_rescue=None)
    assert off.duplicate_of[COPY[1]] is None


@pytest.mark.parametrize("facts", ["apart", "join"])
def test_fact_check(spark: Any, facts: str) -> None:
    """With the fact check on, templates (same formula, other facts) and updates are decided
    as on one machine: the fingerprints travel beside the shingles."""
    from test_facts import FLIGHT_5, REPORT, TOLL_10, WIRED

    texts = [*WIRED, REPORT + " " + FLIGHT_5, TOLL_10]
    on = assert_same(spark, texts, max_df=None, facts=facts)
    off = _single(texts, "first", max_df=None, facts="off")
    assert on.duplicate_of != off.duplicate_of, "the case must be one the fact check decides"
    assert on.duplicate_of[1] is None  # the 6th relief flight is not the 5th


def test_fact_check_with_boilerplate_and_rescue(spark: Any) -> None:
    """The fact check beside max_df and the boilerplate rescue, on syndicated copies and
    templates: every decision as on one machine."""
    from test_boilerplate_rescue import rescue_corpus
    from test_facts import WIRED

    texts = syndicated_corpus(9) + WIRED + rescue_corpus()
    random.Random(9).shuffle(texts)
    assert_same(spark, texts, max_df=3, facts="apart", min_duplicates=10)


def test_fact_check_in_giant_buckets(spark: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Buckets over the giant-bucket limit (set to 2 here, on both sides) are verified with the
    fact check too; with every bucket within Spark's GIANT_HEADS, as on one machine."""
    from test_facts import WIRED

    import arabic_dedup._dedup as single_machine
    from arabic_dedup import spark as ads

    texts = [*WIRED, *WIRED[:4], *WIRED[4:]]
    assert len(texts) <= ads.GIANT_HEADS
    monkeypatch.setattr(ads, "GIANT_BUCKET", 2)
    monkeypatch.setattr(single_machine, "GIANT_BUCKET", 2)
    on = assert_same(spark, texts, max_df=None, facts="apart", min_duplicates=4)
    assert on.duplicate_of[1] is None and on.duplicate_of[7] is None  # templates stay apart


def test_kernels_run_on_the_task_cores(spark: Any) -> None:
    """Each task runs the kernels on ``spark.task.cpus`` threads (1 here), not the machine's:
    the executor runs other tasks on its other cores."""
    import numba
    import pandas as pd

    from arabic_dedup import spark as ads
    from arabic_dedup.spark.udfs import shingle_fn

    assert ads._task_cpus(spark.sparkContext) == 1
    cores: int = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
    assert cores > 1, "the test needs a machine of 2+ cores"
    numba.set_num_threads(cores)
    shingle_fn(arabic_dedup.DedupConfig(), "text", cpus=1)(pd.Series([0]), pd.Series(["نص"]))
    assert numba.get_num_threads() == 1
    numba.set_num_threads(cores)


def test_empty_and_whitespace_texts(spark: Any) -> None:
    base = SEEDS[2].read_text(encoding="utf-8")
    texts = ["", "   ", base, "\n\t", base + " ", "", "ـ"]
    assert_same(spark, texts, min_duplicates=1)


@pytest.mark.parametrize("keep", ["first", "longest"])
def test_exact_copies(spark: Any, keep: str) -> None:
    """Identical texts (one process collapses them into one set before LSH) beside
    near-copies of them, shuffled: the same representatives and similarities."""
    rng = random.Random(8)
    texts = syndicated_corpus(8, copies=2)
    texts += [texts[i] for i in rng.sample(range(len(texts)), 6) for _ in range(3)]
    rng.shuffle(texts)
    assert len(texts) - len(set(texts)) >= 18, "the case must contain exact copies"
    assert_same(spark, texts, keep=keep, min_duplicates=20)


def test_giant_buckets_of_copies(spark: Any) -> None:
    """2,000 identical rows and 1,100 near-copies (buckets over GIANT_BUCKET, which Spark pairs
    with their first members only) among a syndicated corpus: the same clusters as on one
    machine, which compares giant buckets' members with their kept documents."""
    notice = "نستخدم ملفات تعريف الارتباط لتحسين تجربتك على موقعنا"
    story = " ".join(SEEDS[1].read_text(encoding="utf-8").split()[:60])
    texts = syndicated_corpus(6, copies=1)
    # Near-copies differ by a word, not by a number in a shared slot ("رقم 1" / "رقم 2"): the
    # fact check, on by default, would rightly keep those apart.
    texts += [notice] * 2000 + [f"{story} اضافة{i}" for i in range(1100)]
    random.Random(6).shuffle(texts)
    single = assert_same(spark, texts, min_duplicates=3000)
    sizes = sorted(len(m) for m in single.clusters().values())
    assert sizes[-2:] == [1100, 2000]


@pytest.mark.data
@pytest.mark.parametrize("facts", ["off", "apart"])
def test_saudinewsnet(spark: Any, facts: str) -> None:
    # One day of every outlet: wire copies republished the same day are the duplicates.
    with gzip.open(shared_file(SAUDINEWSNET), "rt", encoding="utf-8") as f:
        day = [r["text"] for r in map(json.loads, f) if r["id"].startswith("2015-07-22")]
    assert_same(spark, day[::4], min_duplicates=20, facts=facts)


def test_local_stars_is_star_clusters() -> None:
    """The one-task clustering (``udfs.local_stars_fn``) decides as ``star_clusters`` on random
    graphs with ties in similarity, string ids and a keep order that is not the id order."""
    import numpy as np
    import pandas as pd

    from arabic_dedup._cluster import star_clusters
    from arabic_dedup.spark.udfs import local_stars_fn

    for seed in range(30):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(2, 40))
        order = rng.permutation(n)  # keep order: order[r] is the document of rank r
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        pairs = np.unique(np.sort(rng.integers(0, n, size=(3 * n, 2)), axis=1), axis=0)
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
        sims = rng.choice([0.8, 0.9, 1.0], size=len(pairs))
        ref = star_clusters(n, pairs, sims, order)
        swap = rank[pairs[:, 0]] > rank[pairs[:, 1]]
        first = np.where(swap, pairs[:, 1], pairs[:, 0])
        later = np.where(swap, pairs[:, 0], pairs[:, 1])
        name = np.array([f"d{i:03d}" for i in range(n)], dtype=object)
        pdf = pd.DataFrame(
            {"f": name[first], "l": name[later], "fk": rank[first], "fi": name[first],
             "lk": rank[later], "li": name[later], "s": sims}
        )  # fmt: skip
        out = local_stars_fn("f", "l", ["fk", "fi"], ["lk", "li"], "s", ("d", "v", "x"))(pdf)
        got_rep = {name[i]: name[i] for i in range(n)} | dict(zip(out["d"], out["v"], strict=True))
        got_sim = dict.fromkeys(name, 1.0) | dict(zip(out["d"], out["x"], strict=True))
        assert [got_rep[name[i]] for i in range(n)] == name[ref.representative].tolist()
        assert [got_sim[name[i]] for i in range(n)] == ref.similarity.tolist()


def test_bucket_verify_many_buckets_per_group() -> None:
    """Several buckets of different sizes in one frame (as one ``applyInPandas`` group gets
    them, unsorted): exactly the verified pairs within each bucket, none across buckets."""
    import numpy as np
    import pandas as pd

    from arabic_dedup._shingle import ShingleSets
    from arabic_dedup._verify import Verifier
    from arabic_dedup.spark.udfs import bucket_verify_fn, to_bytes

    rng = np.random.default_rng(3)
    base = [np.unique(rng.integers(0, 60, size=30)).astype(np.uint32) for _ in range(4)]
    arrays = [np.unique(np.r_[b[rng.random(b.size) < 0.9], 99]).astype(np.uint32) for b in base * 4]
    bucket = rng.integers(0, 5, size=len(arrays))
    blobs = to_bytes(ShingleSets.from_arrays(arrays))
    pdf = pd.DataFrame(
        {
            "bid": bucket,
            "id": np.arange(len(arrays)) + 100,
            "k0": np.arange(len(arrays)),
            "sh": blobs,
        }
    )
    pdf = pdf.sample(frac=1.0, random_state=1)
    verifier = Verifier("jaccard", 0.5)
    out = bucket_verify_fn(verifier, "bid", "id", "sh", ["k0"], "sim")(pdf)
    got = {
        (min(a, b), max(a, b)): s for a, b, s in zip(out["a"], out["b"], out["sim"], strict=True)
    }
    sets = ShingleSets.from_arrays(arrays)
    want = {}
    for i in range(len(arrays)):
        for j in range(i + 1, len(arrays)):
            if bucket[i] == bucket[j]:
                sims, ok = verifier(sets, np.array([[i, j]]))
                if ok[0]:
                    want[(i + 100, j + 100)] = float(sims[0])
    assert got == want and len(want) >= 3
    assert (out["ak0"] == out["a"] - 100).all() and (out["bk0"] == out["b"] - 100).all()


def test_binary_shingle_sets_round_trip() -> None:
    import numpy as np

    from arabic_dedup._shingle import ShingleSets
    from arabic_dedup.spark.udfs import to_bytes, to_sets

    arrays = [np.array(x, dtype=np.uint32) for x in ([], [1, 2**31, 2**32 - 1], [], [7])]
    sets = ShingleSets.from_arrays(arrays)
    blobs = to_bytes(sets)
    assert [len(b) for b in blobs] == [0, 12, 0, 4]
    back = to_sets(blobs)
    assert [back[i].tolist() for i in range(len(back))] == [a.tolist() for a in arrays]
    assert back.hashes.flags.writeable
    assert len(to_sets([])) == 0


# -- errors -------------------------------------------------------------------------------------


def test_errors(spark: Any) -> None:
    from arabic_dedup import spark as ads

    df = spark.createDataFrame([(1, "نص"), (1, "نص آخر")], "id long, text string")
    with pytest.raises(arabic_dedup.InputError, match="must be unique"):
        ads.find_duplicates(df)
    with pytest.raises(arabic_dedup.ConfigError, match="'body' is not a column"):
        ads.find_duplicates(df, text_col="body")
    with pytest.raises(arabic_dedup.InputError, match="must be of type string"):
        ads.find_duplicates(df, text_col="id")
    with pytest.raises(arabic_dedup.ConfigError, match="unknown option"):
        ads.find_duplicates(df, treshold=0.5)
    with pytest.raises(arabic_dedup.ConfigError, match="keep must be"):
        ads.find_duplicates(df, keep="last")  # type: ignore[arg-type]
    nulls = spark.createDataFrame([(1, "نص"), (2, None)], "id long, text string")
    with pytest.raises(Exception, match="'text' of id 2 is null"):
        ads.find_duplicates(nulls)


def test_missing_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from arabic_dedup import spark as ads

    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(ImportError, match=r"pip install 'arabic-dedup\[spark\]'"):
        ads.find_duplicates(None)  # type: ignore[arg-type]


def test_workers_without_arabic_dedup_fail_at_once_naming_pyspark_python(
    spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from arabic_dedup import spark as ads

    sc = spark.sparkContext
    system_python = "/usr/bin/python3"  # Debian's: neither pyspark nor arabic_dedup
    if not Path(system_python).exists():
        pytest.skip(f"{system_python} is not there")
    before = sc.pythonExec
    monkeypatch.setenv("PYSPARK_PYTHON", system_python)
    sc.pythonExec = system_python
    try:
        df = spark.createDataFrame([("a", "نص")], ["id", "text"])
        with pytest.raises(arabic_dedup.ConfigError, match="PYSPARK_PYTHON") as err:
            ads.find_duplicates(df)
        assert system_python in str(err.value)
        # Unset on a local master: the workers are pointed at the driver's interpreter.
        monkeypatch.delenv("PYSPARK_PYTHON")
        out = ads.find_duplicates(df).collect()
        assert [r["id"] for r in out] == ["a"]
        assert sc.pythonExec == sys.executable
    finally:
        sc.pythonExec = before
