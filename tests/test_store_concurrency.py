"""Persistent stores under stress: SIGKILL mid-stream, and four writer processes at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _stream_helpers import news_stream

from arabic_dedup import Deduplicator
from arabic_dedup.stores import NO_FACTS, df_cells

TESTS = str(Path(__file__).parent)

# A writer: adds (key, text) items from a JSON file in its own order to each index given,
# printing one line per outcome once add() has returned (i.e. committed). Several indexes per
# process halve the cost of starting processes.
WORKER = r"""
import json, sys
from arabic_dedup import Deduplicator
kws, items_file = json.loads(sys.argv[1]), sys.argv[2]
items = json.load(open(items_file, encoding="utf-8"))
ds = [Deduplicator(**kw) for kw in kws]
for key, text in items:
    for i, d in enumerate(ds):
        try:
            m = d.add(key, text)
        except KeyError:
            print(i, "taken", key, flush=True)
        else:
            print(i, "added", key, "-" if m is None else m.key, flush=True)
for d in ds:
    d.close()
"""


def _spawn(
    kws: list[dict[str, Any]],
    items: list[tuple[str, str]],
    tmp: Path,
    name: str,
    worker: str = WORKER,
) -> subprocess.Popen[str]:
    f = tmp / f"{name}.json"
    f.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([TESTS, *sys.path])}
    return subprocess.Popen(
        [sys.executable, "-c", worker, json.dumps(kws), str(f)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_sqlite_survives_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite"
    items = news_stream(3000, seed=21)
    proc = _spawn([{"path": str(path)}], items, tmp_path, "crash")
    assert proc.stdout is not None
    acked: dict[str, str] = {}
    for line in proc.stdout:
        parts = line.split()[1:]
        if parts[0] == "added":
            acked[parts[1]] = parts[2]
            if len(acked) == 150:
                break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # The writer may have acknowledged more adds (printed into the pipe) before the kill
    # landed: every printed acknowledgement counts, so read them all.
    for line in proc.stdout:
        parts = line.split()[1:]
        if parts and parts[0] == "added":
            acked[parts[1]] = parts[2]
    assert 150 <= len(acked) < len(items)
    with Deduplicator(path=path) as d:  # opens cleanly, holds every acknowledged add
        keys = list(d)
        assert keys[: len(acked)] == list(acked)
        assert len(keys) - len(acked) <= 1  # at most the add committed but not yet printed
        for key, match in acked.items():
            got = d.lookup(key)
            assert (got is None and match == "-") or (got is not None and got.key == match)
        d.add("after-crash", items[-1][1])  # and takes writes again
    integrity = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sqlite3; print(sqlite3.connect({str(path)!r})"
            ".execute('PRAGMA integrity_check').fetchone()[0])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert integrity.stdout.strip() == "ok"


ITEMS = news_stream(160, seed=31)


@pytest.fixture(scope="module")
def four_writers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[dict[str, Any], list[list[str]]]]:
    """Four processes add overlapping orderings of one stream to one SQLite file and one Redis
    namespace at once; returns, per backend, its Deduplicator kwargs and the printed outcomes."""
    import random

    tmp = tmp_path_factory.mktemp("four")
    backends: dict[str, dict[str, Any]] = {"sqlite": {"path": str(tmp / "shared.sqlite")}}
    try:
        url = request.getfixturevalue("redis_url")
    except pytest.skip.Exception:
        pass  # the Redis test reports the skip itself
    else:
        backends["redis"] = {"redis_url": url, "namespace": "t:four"}
    procs = []
    for w in range(4):
        mine = list(ITEMS)
        random.Random(w).shuffle(mine)
        procs.append(_spawn(list(backends.values()), mine, tmp, f"w{w}"))
    lines: list[list[str]] = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        lines += [ln.split() for ln in out.splitlines()]
    return {
        name: (kw, [ln[1:] for ln in lines if ln[0] == str(i)])
        for i, (name, kw) in enumerate(backends.items())
    }


def _check_four_writers(kw: dict[str, Any], lines: list[list[str]]) -> None:
    keys = [k for k, _ in ITEMS]
    added = [ln[1] for ln in lines if ln[0] == "added"]
    taken = [ln[1] for ln in lines if ln[0] == "taken"]
    # Counts reconcile: each key added exactly once overall, refused for the other three.
    assert sorted(added) == sorted(keys)
    assert len(taken) == 3 * len(keys)
    with Deduplicator(**kw) as d:
        assert sorted(d) == sorted(keys) and len(d) == len(keys)
        st = d.stats()
        assert st.count == len(keys) == st.kept + st.duplicates
        assert st.duplicates == sum(1 for ln in lines if ln[0] == "added" and ln[2] != "-")
        # Serialisable check-then-insert, counts included: the outcome is exactly that of one
        # writer adding the texts in commit order (an add that committed second saw the first,
        # and every count committed before it), and duplicates point at kept texts.
        text = dict(ITEMS)
        order = _commit_order(kw)
        assert sorted(order) == sorted(keys)
        outcome = {k: d.lookup(k) for k in keys}
        with Deduplicator() as serial:
            assert [serial.add(k, text[k]) for k in order] == [outcome[k] for k in order]
        kept = {k for k in keys if outcome[k] is None}
        for k in set(keys) - kept:
            m = outcome[k]
            assert m is not None and m.key in kept
        # Document frequencies are exact: every text counted once, whoever added it.
        probe = np.unique(np.concatenate([d._hashes(t)[0] for _, t in ITEMS]))
        with Deduplicator() as ref:
            ref.add_many(ITEMS)
            expected = ref._store.doc_freq(probe)
        n, counts = d._store.doc_freq(probe)
        assert n == len(keys) == expected[0]
        assert counts.tolist() == expected[1].tolist()


def _commit_order(kw: dict[str, Any]) -> list[str]:
    """Every key in the order its add committed (SQLite rowid / the Redis commit counter)."""
    if "path" in kw:
        import sqlite3

        with sqlite3.connect(kw["path"]) as db:
            return [k for (k,) in db.execute("SELECT key FROM docs ORDER BY seq")]
    import redis

    r = redis.Redis.from_url(kw["redis_url"])
    ns = kw["namespace"]
    seqs = {k: int(r.hget(f"{ns}:doc:{k}", "n")) for k, _ in ITEMS}
    return sorted(seqs, key=seqs.__getitem__)


@pytest.mark.slow
def test_sqlite_four_writers(four_writers: dict[str, Any]) -> None:
    _check_four_writers(*four_writers["sqlite"])


# SQLite folds its pending document-frequency rows every _FOLD_EVERY (512) adds; here every 5,
# so the four writers fold each other's rows dozens of times while they race.
FOLDING_WORKER = "import arabic_dedup.stores.sqlite as s\ns._FOLD_EVERY = 5\n" + WORKER


@pytest.mark.slow
def test_sqlite_four_writers_folding(tmp_path: Path) -> None:
    import random
    import sqlite3

    kw = {"path": str(tmp_path / "folding.sqlite")}
    procs = []
    for w in range(4):
        mine = list(ITEMS)
        random.Random(10 + w).shuffle(mine)
        procs.append(_spawn([kw], mine, tmp_path, f"f{w}", FOLDING_WORKER))
    lines: list[list[str]] = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        lines += [ln.split()[1:] for ln in out.splitlines()]
    with sqlite3.connect(kw["path"]) as db:
        folded = db.execute("SELECT n FROM counts WHERE name = 'folded'").fetchone()[0]
        pending = db.execute("SELECT count(*) FROM df_pending").fetchone()[0]
    assert folded >= len(ITEMS) - 5 and pending < 2 * 5  # folded all along
    _check_four_writers(kw, lines)


def test_redis_four_writers(four_writers: dict[str, Any], redis_url: str) -> None:
    import redis

    _check_four_writers(*four_writers["redis"])
    r = redis.Redis.from_url(redis_url)
    assert r.zcard("t:four:keys") == len(ITEMS)
    assert len(list(r.scan_iter(match="t:four:doc:*"))) == len(ITEMS)
    assert int(r.get("t:four:seq")) == len(ITEMS)  # one commit per key, no double insert


def test_redis_layout_is_plain_bytes(redis_url: str, redis_ns: str) -> None:
    import redis

    from arabic_dedup._lsh import band_hashes
    from arabic_dedup.stores import DF_CELLS, df_cells

    with Deduplicator(redis_url=redis_url, namespace=redis_ns) as d:
        d.add("a", "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في مدينة الرياض")
        d.add("b", "اعلنت وزارة الصحه اليوم عن افتتاح مستشفى جديد فى مدينة الرياض")
        hasher = d.config.hasher()
        bands, rows = d.config.banding()
    r = redis.Redis.from_url(redis_url)
    doc = r.hgetall(f"{redis_ns}:doc:a")
    hashes = hasher.hash_shingles("أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في مدينة الرياض")
    assert doc[b"h"] == hashes.astype("<u4").tobytes()  # raw little-endian, no pickle
    bh = band_hashes(hasher.signature_from_hashes(hashes)[None, :], bands, rows)[0]
    assert doc[b"b"] == bh.astype("<u8").tobytes()
    for band, h in enumerate(bh.tolist()):
        assert r.zrange(f"{redis_ns}:band:{band}:{h:016x}", 0, -1) == [b"a"]
    assert r.hgetall(f"{redis_ns}:doc:b") == {b"n": b"2", b"s": b"1.0", b"d": b"a", b"m": b"copy"}
    meta = r.hgetall(f"{redis_ns}:meta")
    assert meta[b"num_perm"] == b"128" and meta[b"format"] == b"3"
    assert meta[b"max_df"] == b'"auto"'
    # Document frequencies: one string of big-endian uint32 cells (BITFIELD u32 #cell).
    assert r.get(f"{redis_ns}:ndocs") == b"2"
    cells = np.frombuffer(r.get(f"{redis_ns}:df"), dtype=">u4")
    assert cells.size <= DF_CELLS
    both = np.concatenate([hashes, d._hashes(
        "اعلنت وزارة الصحه اليوم عن افتتاح مستشفى جديد فى مدينة الرياض")[0]])  # fmt: skip
    expected = np.bincount(df_cells(both), minlength=DF_CELLS)[: cells.size]
    assert cells.tolist() == expected.tolist()
    assert json_ok(meta)
    assert np.isinf(r.zscore(f"{redis_ns}:keys", "a"))


def json_ok(meta: dict[bytes, bytes]) -> bool:
    return all(json.loads(v) is not None for v in meta.values())


def test_redis_missing_client_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real = builtins.__import__

    def no_redis(name: str, *a: Any, **k: Any) -> Any:
        if name == "redis" or name.startswith("redis."):
            raise ImportError("No module named 'redis'")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_redis)
    with pytest.raises(ImportError, match=r"pip install 'arabic-dedup\[redis\]'"):
        Deduplicator(redis_url="redis://127.0.0.1:1/0")


def test_redis_add_racing_a_near_duplicate_sees_it(redis_url: str, redis_ns: str) -> None:
    """A writer commits a near-duplicate between our read and our write: our add re-reads,
    and is recorded as the duplicate of the text that committed first."""
    t1 = "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في مدينة الرياض بسعة مئتي سرير"
    t2 = "اعلنت وزارة الصحه اليوم عن افتتاح مستشفى جديد فى مدينة الرياض بسعة مئتي سرير"
    kw = {"redis_url": redis_url, "namespace": redis_ns}
    with Deduplicator(**kw) as ours, Deduplicator(**kw) as other:
        hashes = ours._hashes(t2)[0]
        seen: list[list[str]] = []

        def decide(found: Any) -> Any:
            seen.append([c.key for c in found.candidates])
            if len(seen) == 1:
                assert other.add("first", t1) is None  # the other worker commits now
            matches = ours._verified(hashes, NO_FACTS, found)
            return (matches[0].key, matches[0].similarity, None) if matches else None

        decision = ours._store.add("second", hashes, ours._band_hashes(hashes), decide, ttl=None)
        assert seen == [[], ["first"]]
        assert decision is not None and decision[0] == "first"
        assert ours.lookup("second") is not None and ours.lookup("first") is None


@pytest.mark.parametrize("whose", ["text", "candidate"])
def test_redis_add_racing_the_boilerplate_limit_decides_again(
    redis_url: str,
    redis_ns: str,
    whose: str,
) -> None:
    """Between our read and our write, another worker's adds push a sentence past max_df:
    a sentence of our text, or one only our candidate has (asked about by the decision). The
    common shingles the decision used no longer hold, so our add must read and decide again,
    and the second decision sees the sentence as common."""
    import random

    from _stream_helpers import base_text

    rng = random.Random(11)
    story, extra = base_text(rng, 5), base_text(rng, 1)
    hot = story.split(".")[0] + "." if whose == "text" else extra
    kw = {"redis_url": redis_url, "namespace": redis_ns, "max_df": 5}
    with Deduplicator(**kw) as ours, Deduplicator(**kw) as other:
        assert ours.add("kept", story + " " + extra) is None
        hashes = ours._hashes(story)[0]
        hot_hashes = ours._hashes(hot)[0]
        commons: list[set[int]] = []
        added = [ours._hashes(story + " " + extra)[0], hashes]  # every text counted, at the end

        def decide(found: Any) -> Any:
            assert [c.key for c in found.candidates] == ["kept"]
            common = set(found.common(found.candidates).tolist())
            commons.append(common)
            if len(commons) == 1:  # five more texts carry the sentence: 6 > max_df
                for i in range(5):  # recorded as duplicates: counted, but in no bucket
                    h = other._hashes(base_text(rng, 3) + " " + hot)[0]
                    added.append(h)
                    bands = other._band_hashes(h)
                    other._store.add(
                        f"carrier-{i}", h, bands, lambda f: ("kept", 0.5, None), ttl=None
                    )
            matches = ours._verified(hashes, NO_FACTS, found)
            return (matches[0].key, matches[0].similarity, None) if matches else None

        ours._store.add("ours", hashes, ours._band_hashes(hashes), decide, ttl=None)
        assert len(commons) == 2, "the write did not notice the limit was crossed"
        assert not commons[0] & set(hot_hashes.tolist())
        assert set(hot_hashes.tolist()) <= commons[1]
        # The refused write took its counts back: each text counted once.
        probe = np.concatenate(added)
        want = np.bincount(np.concatenate([df_cells(h) for h in added]), minlength=1 << 22)
        n, counts = ours._store.doc_freq(probe)
        assert n == 7 and counts.tolist() == want[df_cells(probe)].tolist()
