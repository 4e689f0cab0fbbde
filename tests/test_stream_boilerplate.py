"""Boilerplate in a stream (``max_df``): the same on memory, SQLite and a real Redis."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _stream_helpers import base_text, news_stream

from arabic_dedup import Deduplicator, Match
from arabic_dedup._boilerplate import BoilerplateRule, drop_common
from arabic_dedup._errors import IndexMismatchError
from arabic_dedup._shingle import ShingleSets
from arabic_dedup.stores import df_cells

TEMPLATE = (
    "توقعت الهيئة العامة للأرصاد وحماية البيئة في نشرتها الجوية الصادرة صباح اليوم أن تكون "
    "الأجواء حارة إلى شديدة الحرارة على معظم مناطق المملكة مع نشاط في الرياح السطحية المثيرة "
    "للأتربة والغبار على منطقة {region} وتبلغ درجة الحرارة العظمى {t} درجة مئوية. "
)
FOOTERS = (
    " رابط الخبر بصحيفة الوئام حقوق النشر محفوظة للصحيفة",
    " تابعونا على تويتر وفيسبوك للاطلاع على آخر الأخبار المحلية",
)
REGIONS = ("الرياض", "مكة المكرمة", "الشرقية", "القصيم", "تبوك", "جازان", "حائل", "نجران")


def template_stream(n: int = 40, seed: int = 1) -> list[tuple[str, str]]:
    """``n`` weather bulletins from one template (fixed formula ~55 % of each text's shingles,
    a different region, figure and two sentences of news each, one of two shared footers),
    then a true copy of bulletin ``n // 2`` (new prefix, other footer)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        text = TEMPLATE.format(region=rng.choice(REGIONS), t=rng.randint(38, 50))
        out.append((f"bulletin-{i:02d}", text + base_text(rng, 2) + FOOTERS[i % 2]))
    copy = "الرياض - واس: " + out[n // 2][1].replace(FOOTERS[0], FOOTERS[1])
    out.append((f"copy-of-{n // 2}", copy))
    return out


def test_filter_with_counts_and_limit() -> None:
    h = np.array([5, 6, 7, 8, 9], dtype=np.uint32)
    rule = BoilerplateRule.of(5)

    def filtered(counts: list[int]) -> list[int]:
        over = h[np.array(counts) > rule.limit(10)]
        return drop_common(ShingleSets.from_arrays([h]), over, rule)[0].tolist()

    assert filtered([1, 9, 1, 9, 1]) == [5, 7, 9]
    assert filtered([9, 9, 9, 9, 1]) == h.tolist()  # exempt
    assert filtered([6, 6, 6, 1, 1]) == [8, 9]  # 60 %
    for max_df, n, limit in [("auto", 0, 30), ("auto", 100_000, 100.0), (5, 10, 5), (0.2, 10, 2.0)]:
        assert BoilerplateRule.of(max_df).limit(n) == limit


def test_templates_stay_apart_copies_match(where: dict[str, Any]) -> None:
    items = template_stream()
    with Deduplicator(max_df=5, **where) as d:
        got = d.add_many(items)
        # Warm-up: the formula is common only once more than 5 texts carry it.
        assert all(m is None for m in got[6:40]), got[6:40]
        copy = got[40]
        assert copy is not None and copy.key == "bulletin-20" and copy.similarity > 0.8
        assert [m.key for m in d.query(items[20][1])] == ["bulletin-20"]
        n_docs, _ = d._store.doc_freq(np.empty(0, dtype=np.uint32))
        assert n_docs == len(items)


def test_without_max_df_templates_merge(where: dict[str, Any]) -> None:
    # The wording alone (facts off): the fact check would keep some of these apart too.
    with Deduplicator(max_df=None, facts="off", **where) as d:
        got = d.add_many(template_stream())
        assert sum(m is not None for m in got[6:40]) >= 30  # the test above can fail
        assert d._store.doc_freq(np.empty(0, dtype=np.uint32))[0] == 0  # nothing counted


def test_story_copied_more_than_max_df_still_matches(where: dict[str, Any]) -> None:
    rng = random.Random(4)
    story = base_text(rng, 6)
    prefixes = ("", "واس - ", "الرياض: ", "سبق - ", "عاجل: ", "المدينة - ")
    items = [(f"c{i:02d}", prefixes[i % 6] + story + FOOTERS[i % 2]) for i in range(15)]
    with Deduplicator(max_df=5, **where) as d:
        got = d.add_many(items)
        assert got[0] is None
        assert all(isinstance(m, Match) and m.key == "c00" for m in got[1:]), got


def test_same_decisions_on_every_backend(tmp_path: Path, redis_url: str) -> None:
    items = template_stream(30, seed=2) + news_stream(120, seed=8)
    results: dict[str, Any] = {}
    backends: dict[str, dict[str, Any]] = {
        "memory": {},
        "sqlite": {"path": tmp_path / "x.sqlite"},
        "redis": {"redis_url": redis_url, "namespace": "t:bp-equal"},
    }
    for name, kw in backends.items():
        with Deduplicator(max_df=5, **kw) as d:
            results[name] = [d.add(k, t) for k, t in items]
            hashes = np.unique(np.concatenate([d._hashes(t)[0] for _, t in items]))
            results[name + " counts"] = d._store.doc_freq(hashes)[1].tolist()
    assert results["memory"] == results["sqlite"] == results["redis"]
    assert results["memory counts"] == results["sqlite counts"] == results["redis counts"]
    with Deduplicator(max_df=None) as d:
        assert [d.add(k, t) for k, t in items] != results["memory"]  # max_df mattered


def _expected_counts(d: Deduplicator, texts: list[str], probe: np.ndarray) -> list[int]:
    cells = np.zeros(1 << 22, dtype=np.int64)
    for t in texts:
        np.add.at(cells, df_cells(d._hashes(t)[0]), 1)
    out: list[int] = cells[df_cells(probe)].tolist()
    return out


def test_counts_persist_across_reopen(stored: dict[str, Any]) -> None:
    items = template_stream(30, seed=3)
    with Deduplicator(max_df=5, **stored) as d:
        first = d.add_many(items[:20])
    with Deduplicator(max_df=5, **stored) as d:
        probe = np.unique(np.concatenate([d._hashes(t)[0] for _, t in items]))
        n, counts = d._store.doc_freq(probe)
        assert n == 20
        assert counts.tolist() == _expected_counts(d, [t for _, t in items[:20]], probe)
        rest = d.add_many(items[20:])
    with Deduplicator(max_df=5) as ref:
        assert ref.add_many(items) == first + rest
    with pytest.raises(IndexMismatchError, match='max_df: stored 5, requested "auto"'):
        Deduplicator(**stored)


def test_remove_uncounts_a_kept_text(where: dict[str, Any]) -> None:
    items = template_stream(10, seed=5)
    with Deduplicator(max_df=5, **where) as d:
        d.add_many(items[:9])
        probe = np.unique(np.concatenate([d._hashes(t)[0] for _, t in items]))
        before = d._store.doc_freq(probe)
        assert d.add(*items[9]) is None
        n, counts = d._store.doc_freq(probe)
        assert n == before[0] + 1 and counts.tolist() != before[1].tolist()
        d.remove(items[9][0])
        n, counts = d._store.doc_freq(probe)
        assert n == before[0] and counts.tolist() == before[1].tolist()
        # A duplicate's hashes are not stored: removing it leaves the counts as they are.
        assert d.add("dup", items[0][1]) is not None
        after_dup = d._store.doc_freq(probe)
        d.remove("dup")
        n, counts = d._store.doc_freq(probe)
        assert n == after_dup[0] == before[0] + 1 and counts.tolist() == after_dup[1].tolist()


def test_old_format_index_is_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite"
    Deduplicator(path=path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '1' WHERE name = 'format'")
        db.execute("DELETE FROM meta WHERE name = 'max_df'")
    with pytest.raises(IndexMismatchError, match=r"storage format 1.*reads format 3"):
        Deduplicator(path=path)


# -- SQLite: pending document-frequency rows folded into ``df`` ------------------------------
def _pending(path: Path) -> tuple[int, int, int]:
    """(pending rows, df rows, last seq folded) as stored in the file."""
    import sqlite3

    with sqlite3.connect(path) as db:
        pend = db.execute("SELECT count(*) FROM df_pending").fetchone()[0]
        df = db.execute("SELECT count(*) FROM df").fetchone()[0]
        row = db.execute("SELECT n FROM counts WHERE name = 'folded'").fetchone()
    return int(pend), int(df), 0 if row is None else int(row[0])


def _fold_ops() -> list[tuple[str, str]]:
    """Adds with removals of kept texts in between (("-", key) removes key)."""
    items = template_stream(30, seed=6) + news_stream(70, seed=9)
    ops: list[tuple[str, str]] = []
    for i, item in enumerate(items):
        ops.append(item)
        if i % 9 == 8:
            ops.append(("-", items[i - 3][0]))
    return ops


def _replay(d: Deduplicator, ops: list[tuple[str, str]], ref: Deduplicator) -> list[Any]:
    """Apply ``ops`` to ``d`` and ``ref`` alike (removing only what is kept in both)."""
    got = []
    for key, text in ops:
        if key == "-":
            if text in d and d.lookup(text) is None and ref.lookup(text) is None:
                d.remove(text)
                ref.remove(text)
        else:
            got.append((d.add(key, text), ref.add(key, text)))
    return got


def _assert_counts(d: Deduplicator, ref: Deduplicator, probe: np.ndarray) -> None:
    n, counts = d._store.doc_freq(probe)
    rn, rcounts = ref._store.doc_freq(probe)
    assert n == rn
    assert counts.tolist() == rcounts.tolist()


def test_sqlite_counts_exact_across_folds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from arabic_dedup.stores import sqlite as _store_sqlite

    monkeypatch.setattr(_store_sqlite, "_FOLD_EVERY", 7)
    path = tmp_path / "fold.sqlite"
    ops = _fold_ops()
    texts = [t for k, t in ops if k != "-"]
    with Deduplicator(max_df=5) as ref:
        with Deduplicator(max_df=5, path=path) as d:
            probe = np.unique(np.concatenate([d._hashes(t)[0] for t in texts]))
            got = _replay(d, ops[:60], ref)
            assert [a for a, _ in got] == [b for _, b in got]  # same decisions as in memory
            _assert_counts(d, ref, probe)
        pend, df_rows, folded = _pending(path)
        # Several folds happened; the rows of the last one stay until the next.
        assert folded >= 7 * 5 and pend < 2 * 7 and df_rows > 0
        with Deduplicator(max_df=5, path=path) as d:  # reopened: df rows + pending rows
            _assert_counts(d, ref, probe)
            got = _replay(d, ops[60:], ref)
            assert [a for a, _ in got] == [b for _, b in got]
            _assert_counts(d, ref, probe)
        # And a from-scratch recount of what is counted: every add, minus kept texts removed.
        with Deduplicator(max_df=5, path=path) as d:
            removed = sorted({t for k, t in ops if k == "-"} - set(d))
            assert removed
            text = {k: t for k, t in ops if k != "-"}
            n, counts = d._store.doc_freq(probe)
            assert n == len(texts) - len(removed)
            adds = _expected_counts(d, texts, probe)
            subs = _expected_counts(d, [text[r] for r in removed], probe)
            assert counts.tolist() == [a - s for a, s in zip(adds, subs, strict=True)]
        assert _pending(path)[2] > folded


def test_sqlite_folds_by_another_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two connections take turns: each folds the other's pending rows and must forget them
    (not count them twice) and read the ones appended since, at every step."""
    from arabic_dedup.stores import sqlite as _store_sqlite

    monkeypatch.setattr(_store_sqlite, "_FOLD_EVERY", 5)
    path = tmp_path / "two.sqlite"
    ops = _fold_ops()
    texts = [t for k, t in ops if k != "-"]
    rng = random.Random(3)
    with (
        Deduplicator(max_df=5) as ref,
        Deduplicator(max_df=5, path=path) as a,
        Deduplicator(max_df=5, path=path) as b,
    ):
        probe = np.unique(np.concatenate([a._hashes(t)[0] for t in texts]))
        for i in range(0, 90, 3):
            d = a if rng.random() < 0.5 else b
            got = _replay(d, ops[i : i + 3], ref)
            assert [x for x, _ in got] == [y for _, y in got]
            _assert_counts(a, ref, probe)
            _assert_counts(b, ref, probe)
        # ``a`` idle while ``b`` adds and folds until rows ``a`` never read are pruned: ``a``
        # reloads the counts from the file.
        got = _replay(b, ops[90:], ref)
        assert [x for x, _ in got] == [y for _, y in got]
        assert a._store._seen < _pending(path)[2] - 5
        _assert_counts(a, ref, probe)
        _assert_counts(b, ref, probe)
    assert _pending(path)[2] >= 5 * 10


def test_sqlite_fold_rolled_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A transaction that folds and then fails leaves the file and the counts as they were."""
    from arabic_dedup.stores import sqlite as _store_sqlite
    from arabic_dedup.stores.sqlite import SQLiteStore

    monkeypatch.setattr(_store_sqlite, "_FOLD_EVERY", 4)
    path = tmp_path / "rb.sqlite"
    items = template_stream(20, seed=7)
    fold = SQLiteStore._fold
    fail = {"on": False}

    def fold_then_fail(self: SQLiteStore, *a: Any) -> None:
        fold(self, *a)
        if fail["on"]:
            raise RuntimeError("after the fold")

    monkeypatch.setattr(SQLiteStore, "_fold", fold_then_fail)
    with Deduplicator(max_df=5) as ref, Deduplicator(max_df=5, path=path) as d:
        probe = np.unique(np.concatenate([d._hashes(t)[0] for _, t in items]))
        for key, text in items[:6]:
            assert d.add(key, text) == ref.add(key, text)
        _assert_counts(d, ref, probe)
        before = _pending(path)
        fail["on"] = True
        with pytest.raises(RuntimeError, match="after the fold"):
            for key, text in items[6:]:
                assert d.add(key, text) == ref.add(key, text)
                before = _pending(path)
        failed = next(k for k, _ in items[6:] if k not in d)  # rolled back, with its fold
        assert failed not in ref and len(d) == len(ref)
        assert _pending(path) == before
        _assert_counts(d, ref, probe)
        fail["on"] = False
        for key, text in items[6:]:
            if key not in d:
                assert d.add(key, text) == ref.add(key, text)
        _assert_counts(d, ref, probe)


def test_hashes_sharing_a_cell_count_once_each(where: dict[str, Any]) -> None:
    """Two hashes of one text may share a counting cell; each counts (every store alike), and
    removing the text takes exactly that back."""
    cells = 1 << 22
    h = np.array([5, 7, 5 + cells, 5 + 2 * cells], dtype=np.uint32)
    assert df_cells(h).tolist() == [5, 7, 5, 5]
    probe = np.array([5, 7, 9], dtype=np.uint32)
    with Deduplicator(max_df=5, **where) as d:
        d._store.add("k", h, d._band_hashes(h), lambda found: None, ttl=None)
        n, counts = d._store.doc_freq(probe)
        assert n == 1 and counts.tolist() == [3, 1, 0]
        d.remove("k")
        n, counts = d._store.doc_freq(probe)
        assert n == 0 and counts.tolist() == [0, 0, 0]
