"""Deduplicator behaviour, the same on every store: memory, SQLite and a real Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _stream_helpers import news_stream

from arabic_dedup import Deduplicator, Match
from arabic_dedup._errors import ArabicDedupError, ConfigError, IndexMismatchError, InputError

T1 = "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في مدينة الرياض بسعة مئتي سرير"
T2 = "سبق- الرياض: اعلنت وزارة الصحه اليوم عن افتتاح مستشفى جديد فى مدينة الرياض بسعة مئتي سرير"
T3 = "هطلت أمطار غزيرة على مدينة جدة مساء أمس وتسببت في إغلاق عدد من الطرق الرئيسية"


@pytest.fixture
def dedup(where: dict[str, Any]) -> Iterator[Deduplicator]:
    with Deduplicator(**where) as d:
        yield d


def test_add_query_lookup(dedup: Deduplicator) -> None:
    assert dedup.add("a", T1) is None
    m = dedup.add("b", T2)
    assert isinstance(m, Match) and m.key == "a" and m.similarity >= 0.5
    assert dedup.add("c", T3) is None
    assert [x.key for x in dedup.query(T2)] == ["a"]
    assert dedup.query("نص لا علاقة له بأي شيء مما سبق على الإطلاق") == []
    assert dedup.lookup("a") is None
    assert dedup.lookup("b") == m
    with pytest.raises(KeyError):
        dedup.lookup("zzz")


def test_duplicates_are_not_indexed(dedup: Deduplicator) -> None:
    # Only kept texts are candidates: a third copy matches the original, never the copy.
    dedup.add("a", T1)
    dedup.add("b", T2)
    m = dedup.add("c", T2 + " المصدر")
    assert m is not None and m.key == "a"


def test_key_added_twice_is_refused(dedup: Deduplicator) -> None:
    dedup.add("a", T1)
    with pytest.raises(KeyError, match="already added"):
        dedup.add("a", T3)
    assert len(dedup) == 1


def test_remove_iterate_stats(dedup: Deduplicator) -> None:
    dedup.add("a", T1)
    dedup.add("b", T2)
    dedup.add("c", T3)
    dedup.add("empty", "")  # no shingles: kept, in no bucket
    assert sorted(dedup) == ["a", "b", "c", "empty"]
    st = dedup.stats()
    assert (st.count, st.kept, st.duplicates) == (4, 3, 1)
    assert st.bytes > 0
    dedup.remove("a")
    assert "a" not in dedup and "b" in dedup and len(dedup) == 3
    assert dedup.query(T2) == []  # removed from its buckets too
    del dedup["b"]
    assert sorted(dedup) == ["c", "empty"]
    with pytest.raises(KeyError):
        dedup.remove("a")
    assert dedup.add("a", T2) is None  # the key is free again, and nothing matches now
    assert dedup.stats().kept == 3


def test_bad_inputs(dedup: Deduplicator) -> None:
    with pytest.raises(InputError):
        dedup.add("x", b"bytes")  # type: ignore[arg-type]


def test_persistent_keys_must_be_str(stored: dict[str, Any]) -> None:
    with Deduplicator(**stored) as d:
        with pytest.raises(InputError, match="must be str"):
            d.add(1, T1)
        assert 1 not in d


def test_memory_keeps_hashable_keys() -> None:
    d = Deduplicator()
    assert d.add(("feed", 1), T1) is None
    assert d.add(2, T2) == Match(("feed", 1), d.query(T2)[0].similarity, "copy")


def test_reopen_restores_everything(stored: dict[str, Any]) -> None:
    items = news_stream(60, seed=3)
    with Deduplicator(**stored) as d:
        first = [d.add(k, t) for k, t in items[:40]]
    with Deduplicator(**stored) as d:
        keys = list(d) if "path" in stored else sorted(d)  # Redis iterates in any order
        assert keys == [k for k, _ in items[:40]]
        assert [d.lookup(k) for k, _ in items[:40]] == first
        rest = [d.add(k, t) for k, t in items[40:]]
    with Deduplicator() as ref:
        assert [ref.add(k, t) for k, t in items] == first + rest


def test_parameter_mismatch(stored: dict[str, Any]) -> None:
    with Deduplicator(**stored) as d:
        threshold = d.config.threshold
    with pytest.raises(IndexMismatchError) as err:
        Deduplicator(threshold=0.8, num_perm=64, **stored)
    msg = str(err.value)
    assert f"threshold: stored {threshold}, requested 0.8" in msg
    assert "num_perm: stored 128, requested 64" in msg
    assert isinstance(err.value, ValueError) and isinstance(err.value, ArabicDedupError)
    with pytest.raises(IndexMismatchError, match="normalizer"):
        from arabic_dedup import NormalizerConfig

        Deduplicator(normalizer=NormalizerConfig(teh_marbuta=False), **stored)
    Deduplicator(**stored).close()  # the stored parameters still open it


def test_same_results_on_every_backend(tmp_path: Path, redis_url: str) -> None:
    items = news_stream(200, seed=11)
    results = {}
    for name, kw in {
        "memory": {},
        "sqlite": {"path": tmp_path / "x.sqlite"},
        "redis": {"redis_url": redis_url, "namespace": "t:equal"},
    }.items():
        with Deduplicator(**kw) as d:
            results[name] = [d.add(k, t) for k, t in items]
            assert len(d) == 200
    assert results["memory"] == results["sqlite"] == results["redis"]
    n_dup = sum(r is not None for r in results["memory"])
    assert 60 < n_dup < 140  # the stream really holds syndicated copies


def test_add_many_equals_add(tmp_path: Path) -> None:
    items = news_stream(150, seed=5)
    one = Deduplicator()
    expected = [one.add(k, t) for k, t in items]
    with Deduplicator(path=tmp_path / "m.sqlite") as d:
        assert d.add_many(iter(items)) == expected


def test_add_many_failing_midway_keeps_the_adds_before_it(where: dict[str, Any]) -> None:
    # SQLite commits add_many's batches as one transaction with a savepoint per add: the
    # refused add must be undone alone, the ones before it committed (also after reopening),
    # and the index must go on deciding as if the failing add had never been tried.
    items = news_stream(60, seed=3)
    bad = [*items[:40], items[10], *items[40:]]  # key of item 10 again: KeyError at index 40
    one = Deduplicator()
    expected = [one.add(k, t) for k, t in items]
    persistent = where.get("redis_url") is not None or where.get("path") is not None
    with Deduplicator(**where) as d:
        with pytest.raises(KeyError, match=items[10][0]):
            d.add_many(bad)
        assert len(d) == 40
        assert [d.lookup(k) for k, _ in items[:40]] == expected[:40]
        assert items[40][0] not in d
        if not persistent:
            assert d.add_many(items[40:]) == expected[40:]
    if persistent:
        with Deduplicator(**where) as d:
            assert len(d) == 40
            assert d.add_many(items[40:]) == expected[40:]
            assert len(d) == 60


def test_add_many_over_several_batches_equals_add(tmp_path: Path) -> None:
    import arabic_dedup._stream as stream

    items = news_stream(90, seed=8)
    one = Deduplicator()
    expected = [one.add(k, t) for k, t in items]
    old, stream._BATCH = stream._BATCH, 16  # 90 items: five full batches and a short one
    try:
        with Deduplicator(path=tmp_path / "b.sqlite") as d:
            assert d.add_many(items) == expected
            assert d.query(items[7][1])  # reads work after the batches (no open transaction)
    finally:
        stream._BATCH = old
    with Deduplicator(path=tmp_path / "b.sqlite") as d:
        assert [d.lookup(k) for k, _ in items] == expected


def test_ttl_expiry(tmp_path: Path, redis_url: str) -> None:
    handles = [
        Deduplicator(ttl=1),
        Deduplicator(ttl=1, path=tmp_path / "ttl.sqlite"),
        Deduplicator(ttl=1, redis_url=redis_url, namespace="t:ttl"),
    ]
    for d in handles:
        assert d.add("a", T1) is None
        assert d.add("b", T2) is not None
    time.sleep(1.5)
    import redis

    r = redis.Redis.from_url(redis_url)
    for d in handles:
        assert len(d) == 0 and "a" not in d and list(d) == []
        assert d.query(T2) == []
        assert d.add("b", T2) is None  # key free again; the expired original is not matched
        d.close()
    # Redis: expired buckets and records are gone, not merely hidden.
    leftover = sorted(k.decode() for k in r.keys("t:ttl:*"))
    assert [k for k in leftover if k.startswith("t:ttl:doc:")] == ["t:ttl:doc:b"]
    buckets = [k for k in leftover if k.startswith("t:ttl:band:")]
    assert len(buckets) == handles[2].config.banding()[0]  # b's own; a's expired with it
    assert all(r.zrange(k, 0, -1) == [b"b"] for k in buckets)
    assert r.zrange("t:ttl:keys", 0, -1) == [b"b"]
    assert all(0 < r.pttl(k) <= 1000 for k in [*buckets, "t:ttl:doc:b"])


def test_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not both"):
        Deduplicator(path=tmp_path / "a", redis_url="redis://127.0.0.1:1/0")
    with pytest.raises(ConfigError, match="ttl"):
        Deduplicator(ttl=0)
    with pytest.raises(ConfigError, match="max_df"):
        Deduplicator(max_df=-1)
    (tmp_path / "junk").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ConfigError, match="not an arabic-dedup index"):
        Deduplicator(path=tmp_path / "junk")
