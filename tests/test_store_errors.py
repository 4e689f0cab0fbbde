"""Index failures come out as this project's errors, naming the file, key or server.

Real SQLite files (damaged on disk, filled to ``max_page_count``, used after close) and a
real redis-server (namespaces with garbage written by someone else, a killed server).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _redis_server import free_port
from _stream_helpers import news_stream

from arabic_dedup import (
    ArabicDedupError,
    ConfigError,
    Deduplicator,
    IndexClosedError,
    IndexCorruptError,
    IndexCorruptWarning,
    IndexFullError,
    IndexUnavailableError,
    InputError,
    MemoryOptions,
    RedisOptions,
    SQLiteOptions,
)
from arabic_dedup.stores import redis as redis_store

T1 = "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في مدينة الرياض بسعة مئتي سرير"
T2 = "اعلنت وزارة الصحه اليوم عن افتتاح مستشفى جديد فى مدينة الرياض بسعة مئتي سرير"
T3 = "هطلت أمطار غزيرة على مدينة جدة مساء أمس وتسببت في إغلاق عدد من الطرق الرئيسية"


# -- every store: keys ----------------------------------------------------------------------
@pytest.fixture(params=("memory", "sqlite", "redis"))
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deduplicator]:
    if request.param == "memory":
        kw: dict[str, Any] = {}
    elif request.param == "sqlite":
        kw = {"path": tmp_path / "keys.sqlite"}
    else:
        kw = {"redis_url": request.getfixturevalue("redis_url"), "namespace": "t:surrogate"}
    with Deduplicator(**kw) as d:
        yield d


def test_surrogate_keys_are_refused_by_every_store(any_store: Deduplicator) -> None:
    d = any_store
    for call in (
        lambda: d.add("doc-\ud800", T1),
        lambda: d.lookup("doc-\ud800"),
        lambda: d.remove("doc-\ud800"),
    ):
        with pytest.raises(InputError, match=r"lone surrogate at position 4"):
            call()
    assert "doc-\ud800" not in d
    assert len(d) == 0  # nothing half-recorded
    d.add("doc-ok", T1)
    assert d.lookup("doc-ok") is None


# -- options ------------------------------------------------------------------------------
def test_store_options_open_the_same_index_as_the_shortcut(tmp_path: Path) -> None:
    path = tmp_path / "opts.sqlite"
    with Deduplicator(store=SQLiteOptions(path, busy_timeout=5, synchronous="full")) as d:
        d.add("a", T1)
    with Deduplicator(path=path) as d:
        assert d.add("b", T2) is not None and d.add("b2", T2.replace("فى", "في")) is not None
    with Deduplicator(store=MemoryOptions()) as d:
        assert d.add("a", T1) is None


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: SQLiteOptions("x.sqlite", busy_timeout=0), "busy_timeout must be a positive"),
        (lambda: SQLiteOptions("x.sqlite", busy_timeout=True), "busy_timeout"),
        (lambda: SQLiteOptions("x.sqlite", synchronous="off"), "synchronous must be"),
        (lambda: SQLiteOptions(""), "path must be a non-empty"),
        (lambda: RedisOptions("localhost:6379"), r"like 'redis://host:6379/0'"),
        (lambda: RedisOptions("redis://h/0", namespace=""), "namespace must be a non-empty"),
        (lambda: RedisOptions("redis://h/0", retries=0), "retries must be an int >= 1"),
        (lambda: RedisOptions("redis://h/0", socket_timeout=-1), "socket_timeout"),
    ],
)
def test_store_options_are_checked_on_construction(make: Any, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        make()


def test_store_and_a_shortcut_together_is_a_config_error(tmp_path: Path) -> None:
    opts = SQLiteOptions(tmp_path / "a.sqlite")
    with pytest.raises(ConfigError, match="give store= or the shortcut path=, not both"):
        Deduplicator(store=opts, path=tmp_path / "b.sqlite")
    with pytest.raises(ConfigError, match="namespace="):
        Deduplicator(store=RedisOptions("redis://127.0.0.1:1/0"), namespace="x")
    with pytest.raises(ConfigError, match="store must be"):
        Deduplicator(store="sqlite")  # type: ignore[arg-type]
    assert not (tmp_path / "a.sqlite").exists() and not (tmp_path / "b.sqlite").exists()


def test_redis_password_is_not_in_messages() -> None:
    opts = RedisOptions("redis://user:secret@127.0.0.1:6379/0", namespace="n")
    assert "secret" not in opts.where and "127.0.0.1:6379/0" in opts.where


# -- SQLite ---------------------------------------------------------------------------------
def _filled_index(path: Path, n: int = 400) -> list[tuple[str, str]]:
    items = news_stream(n, seed=5)
    with Deduplicator(path=path) as d:
        d.add_many(items)
        d._store.checkpoint()  # type: ignore[attr-defined]
    return items


def _damage(path: Path, sql: str) -> None:
    """Change an index file's rows as no add would (one committed statement)."""
    db = sqlite3.connect(path)
    with db:
        db.execute(sql)
    db.close()


def test_sqlite_damaged_file_raises_index_corrupt_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "damaged.sqlite"
    items = _filled_index(path)
    data = bytearray(path.read_bytes())
    page = 4096
    # Garbage over the middle half of the file, page 1 (the schema) untouched.
    for off in range(len(data) // 4 // page * page, 3 * len(data) // 4, page):
        data[off : off + page] = bytes([0xA5]) * page
    path.write_bytes(bytes(data))
    calls = {
        "open+add": lambda: Deduplicator(path=path).add("new", T3),
        "lookup": lambda: Deduplicator(path=path).lookup(items[-1][0]),
        "query": lambda: Deduplicator(path=path).query(items[-1][1]),
        "len": lambda: len(Deduplicator(path=path)),
        "list": lambda: list(Deduplicator(path=path)),
    }
    for name, call in calls.items():
        with pytest.raises(IndexCorruptError) as err:
            call()
        assert str(path) in str(err.value), name
        assert "Restore it from a backup" in str(err.value), name
        assert isinstance(err.value.__cause__, sqlite3.DatabaseError), name


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE df_pending SET cells = x'010203' WHERE seq = (SELECT max(seq) FROM df_pending)",
        "UPDATE counts SET n = 'zz' WHERE name = 'docs'",
        "INSERT OR REPLACE INTO df VALUES (999999999, 3)",
        "INSERT OR REPLACE INTO counts (name, n) VALUES ('pruned', 'x')",
    ],
)
def test_sqlite_damaged_counts_raise_index_corrupt(tmp_path: Path, damage: str) -> None:
    # Rows of the counting tables that no add wrote: numpy's or int()'s complaint was raised
    # as it was (IndexError, ValueError); every call must name the damaged index instead.
    path = tmp_path / "counts.sqlite"
    items = _filled_index(path, 300)
    _damage(path, damage)
    for name, call in {
        "add": lambda: Deduplicator(path=path).add("new", items[0][1] + " خبر"),
        "query": lambda: Deduplicator(path=path).query(items[-1][1]),
        "add_many": lambda: Deduplicator(path=path).add_many([("n2", items[3][1] + " نص")]),
    }.items():
        with pytest.raises(IndexCorruptError, match="damaged document-frequency counts") as err:
            call()
        assert str(path) in str(err.value), name


def test_sqlite_truncated_or_overwritten_file_raises_only_our_errors(tmp_path: Path) -> None:
    # A file cut short by one byte, and bytes overwritten at random places past page 1: every
    # call either works or raises one of this project's errors (a skipped foreign record
    # warns), never a raw library exception.
    import random

    good = tmp_path / "good.sqlite"
    items = _filled_index(good, 300)
    rng = random.Random(7)
    size = good.stat().st_size
    cases = [("truncated", lambda b: b[:-1])]
    for n in range(24):
        at, width = rng.randrange(4096, size - 64), rng.choice((16, 32, 64))
        cases.append((f"overwrite {n}", lambda b, at=at, w=width: b[:at] + rng.randbytes(w)
                      + b[at + w:]))  # fmt: skip
    half = tmp_path / "half.sqlite"
    half.write_bytes(good.read_bytes()[: size // 2])  # an SQLite file, damaged: not "no index"
    with pytest.raises(IndexCorruptError, match="is damaged"):
        Deduplicator(path=half).add("new", items[0][1])
    for name, damage in cases:
        path = tmp_path / f"{name.replace(' ', '_')}.sqlite"
        path.write_bytes(damage(good.read_bytes()))
        for call in (
            lambda p=path: Deduplicator(path=p).add("new", items[0][1] + " خبر"),
            lambda p=path: Deduplicator(path=p).query(items[-1][1]),
            lambda p=path: Deduplicator(path=p).remove(items[5][0]),
        ):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", IndexCorruptWarning)
                try:
                    call()
                except (ArabicDedupError, KeyError):  # KeyError: remove of a key it lost
                    pass


@pytest.mark.parametrize("damage", ["DELETE FROM meta", "DROP TABLE buckets"])
def test_sqlite_index_that_lost_its_parameters_or_buckets_is_refused(
    tmp_path: Path, damage: str
) -> None:
    # Without its meta rows the index opened with any parameters (its records judged by
    # options they were not made with); without its buckets every query found nothing.
    path = tmp_path / "lost.sqlite"
    items = _filled_index(path, 50)
    _damage(path, damage)
    with pytest.raises(IndexCorruptError, match="rebuild it") as err:
        Deduplicator(path=path, threshold=0.6, num_perm=64).query(items[0][1])
    assert str(path) in str(err.value)


def test_sqlite_full_disk_raises_index_full_and_loses_no_acknowledged_add(
    tmp_path: Path,
) -> None:
    path = tmp_path / "full.sqlite"
    items = news_stream(600, seed=9)
    acked: dict[str, str | None] = {}
    with Deduplicator(path=path) as d:
        d.add_many(items[:50])
        db = d._store._db  # type: ignore[attr-defined]
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages + 3}")  # a disk with three pages left
        failed = None
        for key, text in items[50:]:
            try:
                m = d.add(key, text)
            except IndexFullError as e:
                failed, message = key, str(e)
                break
            acked[key] = None if m is None else str(m.key)
        assert failed is not None, "the page limit was never reached"
        assert str(path) in message and "the add was not recorded" in message
        with pytest.raises(KeyError):
            d.lookup(failed)  # no half-written record
        assert len(d) == 50 + len(acked)
        # add_many: the batch that hits the limit keeps the adds before the failing one.
        with pytest.raises(IndexFullError):
            d.add_many(items[len(acked) + 51 :])
        total = len(d)
    with Deduplicator(path=path) as d:  # a new connection: no page limit
        assert len(d) == total
        for key, match in acked.items():
            got = d.lookup(key)
            assert (got is None) == (match is None) and (got is None or got.key == match)
        d.add(failed, dict(items)[failed])
    ok = sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0]
    assert ok == "ok"


@pytest.mark.parametrize("store", ["sqlite", "memory"])
def test_a_handle_used_after_close_raises_index_closed(tmp_path: Path, store: str) -> None:
    # A closed in-memory index is gone too: not silently reusable (it was, unlike SQLite).
    path = tmp_path / "closed.sqlite"
    kw: dict[str, Any] = {"path": path} if store == "sqlite" else {}
    named = re.escape(repr(str(path))) if store == "sqlite" else "in-memory index was closed"
    with Deduplicator(**kw) as d:
        d.add("a", T1)
    for call in (
        lambda: d.add("b", T3),
        lambda: d.add_many([("c", T3)]),
        lambda: d.lookup("a"),
        lambda: d.query(T2),
        lambda: d.remove("a"),
        lambda: len(d),
        lambda: d.stats(),
    ):
        with pytest.raises(IndexClosedError, match=named):
            call()
    d.close()  # closing twice is fine


# -- Redis ----------------------------------------------------------------------------------
def _client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url)


def _buckets(r: Any, ns: str) -> list[bytes]:
    prefix = re.sub(r"([*?\[\]\\])", r"\\\1", f"{ns}:band:")  # glob-escaped
    found = list(r.scan_iter(match=(prefix + "*").encode()))
    assert found
    return found


def _break_a(r: Any, ns: str, how: str) -> bytes:
    """Damage the kept record "a" (or slip a foreign record into its buckets); returns the
    doc key the warning must name."""
    doc = f"{ns}:doc:a".encode()
    if how == "h not a multiple of 4":
        r.hset(doc, "h", b"\x01\x02\x03\x04\x05")
    elif how == "h unsorted":
        r.hset(doc, "h", bytes(range(16))[::-1])
    elif how == "f not a multiple of 4":
        r.hset(doc, "f", b"\x01\x02")
    elif how == "f unsorted":
        r.hset(doc, "f", bytes(range(8))[::-1])
    elif how == "n not a number":
        r.hset(doc, "n", b"abc")
    elif how == "doc not a hash":
        r.delete(doc)
        r.set(doc, b"garbage")
    elif how == "member not utf-8":
        member = b"\xc3\x28"
        doc = f"{ns}:doc:".encode() + member
        r.hset(doc, mapping={"n": 1, "s": "1.0", "h": b"\x00\x00\x00\x00"})
        for b in _buckets(r, ns):
            r.zadd(b, {member: float("inf")})
    return doc


BREAKS = (
    "h not a multiple of 4",
    "h unsorted",
    "f not a multiple of 4",
    "f unsorted",
    "n not a number",
    "doc not a hash",
    "member not utf-8",
)


@pytest.mark.filterwarnings("ignore::arabic_dedup.IndexCorruptWarning")
@pytest.mark.parametrize("how", BREAKS)
def test_redis_foreign_record_is_skipped_with_a_warning_and_poisons_nothing(
    redis_url: str,
    redis_ns: str,
    how: str,
) -> None:
    with Deduplicator(redis_url=redis_url, namespace=redis_ns) as d:
        assert d.add("a", T1) is None
        d.add("other", T3)
        doc = _break_a(_client(redis_url), redis_ns, how)
        name = re.escape(doc.decode("utf-8", "replace"))
        with pytest.warns(IndexCorruptWarning, match=name):
            m = d.add("b", T2)  # shares every bucket with the bad record
        if how == "member not utf-8":
            assert m is not None and m.key == "a"  # the good record still matches
        else:
            assert m is None  # "a" is left out of the candidates
        with pytest.warns(IndexCorruptWarning, match=name):
            d.query(T1)
        assert d.add("c", T3.replace("غزيرة", "شديدة")) is not None  # unrelated adds work
        assert d.lookup("other") is None


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("hashes", b"\x01\x02\x03\x04\x05", "shingle hashes of 5 bytes, not a multiple of 4"),
        ("hashes", bytes(range(16))[::-1], "shingle hashes that are not sorted and distinct"),
        ("facts", b"\x01\x02", "fact fingerprint of 2 bytes, not a multiple of 4"),
        ("facts", 7, "fact fingerprint of type int, not bytes"),
    ],
)
def test_sqlite_foreign_record_is_skipped_with_a_warning(
    tmp_path: Path, column: str, value: object, problem: str
) -> None:
    import sqlite3

    path = tmp_path / "index.sqlite"
    with Deduplicator(path=path) as d:
        assert d.add("a", T1) is None
        d.add("other", T3)
    with sqlite3.connect(path) as db:
        db.execute(f"UPDATE docs SET {column} = ? WHERE key = 'a'", (value,))
    with Deduplicator(path=path) as d:
        with pytest.warns(IndexCorruptWarning, match=re.escape("key 'a' of the index at")):
            assert d.add("b", T2) is None  # "a" is left out of the candidates
        with pytest.warns(IndexCorruptWarning, match=re.escape(problem)):
            d.query(T1)
        assert d.add("c", T3.replace("غزيرة", "شديدة")) is not None  # unrelated adds work
        if column == "hashes":  # the remedy the warning names: delete it
            with pytest.warns(IndexCorruptWarning, match="removed, its counts not taken back"):
                d.remove("a")
        else:
            d.remove("a")
        assert "a" not in d
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the corrupt record is gone: no warning any more
            m = d.add("a2", T1)  # its text again: a copy of "b", kept while "a" was skipped
        assert m is not None and m.key == "b"


@pytest.mark.parametrize(
    ("key", "call"),
    [
        ("ndocs", "add"),  # Lua: arithmetic on a count that is not a number
        ("df", "add"),
        ("band", "add"),
        ("keys", "len"),
        ("meta", "open"),
    ],
)
def test_redis_own_key_of_the_wrong_type_raises_index_corrupt_naming_it(
    redis_url: str,
    redis_ns: str,
    key: str,
    call: str,
) -> None:
    r = _client(redis_url)
    with Deduplicator(redis_url=redis_url, namespace=redis_ns) as d:
        d.add("a", T1)
    target = _buckets(r, redis_ns)[0] if key == "band" else f"{redis_ns}:{key}".encode()
    if key == "ndocs":
        r.set(target, b"many")
    else:
        r.delete(target)
        r.lpush(target, b"x")
    with pytest.raises(IndexCorruptError, match=re.escape(target.decode())) as err:
        d = Deduplicator(redis_url=redis_url, namespace=redis_ns)
        if call == "add":
            d.add("b", T2)
        else:
            len(d)
    assert "delete it" in str(err.value)


def test_redis_unreachable_server_raises_index_unavailable_naming_it() -> None:
    port = free_port()
    with pytest.raises(IndexUnavailableError, match=f"redis://127.0.0.1:{port}/0") as err:
        Deduplicator(redis_url=f"redis://127.0.0.1:{port}/0")
    assert isinstance(err.value, ConnectionError)


def _server(tmp: Path, port: int) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not found on PATH; run tools/ensure_redis.sh")
    proc = subprocess.Popen(
        [
            *(binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(tmp)),
            *("--save", "", "--appendonly", "yes", "--appendfsync", "always"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            _client(f"redis://127.0.0.1:{port}/0").ping()
            return proc
        except Exception:
            time.sleep(0.05)
    proc.kill()
    pytest.fail("redis-server did not start")


def test_redis_server_killed_mid_run_loses_no_acknowledged_add(tmp_path: Path) -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    items = news_stream(60, seed=3)
    proc = _server(tmp_path, port)
    acked: dict[str, str | None] = {}
    try:
        d = Deduplicator(store=RedisOptions(url, socket_timeout=5))
        for key, text in items[:30]:
            m = d.add(key, text)
            acked[key] = None if m is None else str(m.key)
        proc.kill()
        proc.wait()
        with pytest.raises(IndexUnavailableError, match=re.escape(url)) as err:
            d.add(*items[30])
        assert "Adds that returned are recorded" in str(err.value)
        proc = _server(tmp_path, port)  # the same data directory: its append-only file
        with Deduplicator(redis_url=url) as again:
            assert len(again) == len(acked)
            for key, match in acked.items():
                got = again.lookup(key)
                assert (got is None) == (match is None) and (got is None or got.key == match)
    finally:
        proc.kill()
        proc.wait()


def test_redis_out_of_memory_is_index_full_and_loses_no_acknowledged_add(tmp_path: Path) -> None:
    # A real server at its maxmemory (noeviction): the add is refused whole, reported as
    # IndexFullError (never as a damaged key to delete), and the index carries on once the
    # limit is raised.
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    items = news_stream(400, seed=5)
    proc = _server(tmp_path, port)
    try:
        client = _client(url)
        with Deduplicator(redis_url=url) as d:
            acked = {k: d.add(k, t) for k, t in items[:20]}
            used = int(client.info("memory")["used_memory"])
            client.config_set("maxmemory-policy", "noeviction")
            client.config_set("maxmemory", str(used + 200_000))
            with pytest.raises(IndexFullError, match="out of memory") as err:
                for k, t in items[20:]:
                    acked[k] = d.add(k, t)
            assert "delete" not in str(err.value)
            refused = next(k for k, _ in items if k not in acked)
            assert set(d) == set(acked) and len(d) == len(acked)  # the refused add left nothing
            client.config_set("maxmemory", "0")
            again = d.add(refused, dict(items)[refused])
            assert refused in set(d) and d.lookup(refused) == again
            for k, m in acked.items():
                got = d.lookup(k)
                assert (got is None) == (m is None) and (got is None or got.key == m.key)
    finally:
        proc.kill()
        proc.wait()


def test_redis_index_that_lost_its_parameters_is_refused(redis_url: str, redis_ns: str) -> None:
    # Deleted or evicted (an LRU policy), the meta key was re-created from whatever options
    # the next opener had.
    with Deduplicator(redis_url=redis_url, namespace=redis_ns) as d:
        d.add("a", T1)
    _client(redis_url).delete(f"{redis_ns}:meta")
    with pytest.raises(IndexCorruptError, match=r"parameters .* are gone"):
        Deduplicator(redis_url=redis_url, namespace=redis_ns, threshold=0.6)


def test_redis_handle_used_after_close_raises_index_closed(
    redis_url: str,
    redis_ns: str,
) -> None:
    with Deduplicator(redis_url=redis_url, namespace=redis_ns) as d:
        d.add("a", T1)
    with pytest.raises(IndexClosedError, match=re.escape(redis_ns)):
        d.add("b", T3)


# -- the scripts' argument layout is written once --------------------------------------------
def _unpacked(script: str, table: str) -> list[str]:
    m = re.search(r"^local ([\w,\s]+?) = unpack\(" + table + r"\)", script, re.M)
    assert m is not None, f"no 'local ... = unpack({table})' line"
    return [n.strip() for n in m.group(1).split(",")]


@pytest.mark.parametrize(
    ("script", "args", "keys"),
    [
        (redis_store.READ, redis_store.ReadArgs, None),
        (redis_store.WRITE, redis_store.WriteArgs, redis_store.WriteKeys),
        (redis_store.REMOVE, redis_store.RemoveArgs, redis_store.RemoveKeys),
    ],
)
def test_lua_scripts_name_their_arguments_in_the_order_python_builds_them(
    script: str, args: Any, keys: Any
) -> None:
    assert _unpacked(script, "ARGV") == list(args._fields)
    if keys is not None:
        n = len(keys._fields)
        assert _unpacked(script, f"KEYS, 1, {n}") == list(keys._fields)
        first = n + 1
        assert f"for i = {first}, #KEYS do" in script  # the buckets follow the named keys


def test_the_store_options_example_in_the_docs_runs(capsys: pytest.CaptureFixture[str]) -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "streaming.md").read_text("utf-8")
    section = doc.split("### Store options", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "docs/streaming.md", "exec"), {})
    assert capsys.readouterr().out == "synchronous must be 'normal' or 'full', got 'off'\n"


def test_sqlite_full_disk_in_add_many_leaves_the_index_as_before_the_batch(
    tmp_path: Path,
) -> None:
    """A real "database or disk is full" (``max_page_count``) part-way through an add_many
    batch: SQLite rolls the batch's transaction back whole, and the store says so."""
    path = tmp_path / "full.sqlite"
    items = news_stream(1100, seed=11)
    verified: list[int] = []

    class Counting(Deduplicator):
        def _verified(self, hashes: Any, facts: Any, found: Any) -> Any:
            verified.append(1)
            return super()._verified(hashes, facts, found)

    probe = [h for _, t in items for h in Deduplicator()._hashes(t)[0][:3]]
    with Counting(path=path) as d:
        earlier = d.add_many(items[:60])
        before = ([(k, d.lookup(k)) for k in d], d.stats().kept, d._store.doc_freq(probe))  # type: ignore[attr-defined]
        db = d._store._db  # type: ignore[attr-defined]
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages + 12}")
        verified.clear()
        with pytest.raises(IndexFullError) as err:
            d.add_many(items[60:])
        assert len(verified) > 1, "the limit must be hit after some adds of the batch"
        assert str(path) in str(err.value) and "rolled back whole" in str(err.value)
        assert isinstance(err.value.__cause__, sqlite3.OperationalError)
        after = ([(k, d.lookup(k)) for k in d], d.stats().kept, d._store.doc_freq(probe))  # type: ignore[attr-defined]
        assert after[:2] == before[:2]
        assert after[2][0] == before[2][0] and after[2][1].tolist() == before[2][1].tolist()
        db.execute(f"PRAGMA max_page_count = {2**30}")
        rest = d.add_many(items[60:])  # the same connection carries on from the old state
    with Deduplicator(path=tmp_path / "fresh.sqlite") as fresh:
        assert fresh.add_many(items) == earlier + rest
    ok = sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0]
    assert ok == "ok"
