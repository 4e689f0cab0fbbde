"""The shared store: plain Redis structures of bytes under one namespace, never pickle.

Keys (``P`` is the namespace, default ``arabic_dedup``)::

    P:meta                hash    parameter name -> canonical JSON
    P:seq                 string  commit counter (INCR)
    P:keys                zset    every live key, score = expiry time (``inf`` = never)
    P:kept                zset    the kept keys, same scores
    P:doc:<key>           hash    n = seq, s = similarity, and either
                                  h = shingle hashes (LE uint32), f = fact fingerprint (LE
                                  uint32, empty with facts off), b = band hashes (LE uint64)
                                  for a kept text, or d = the kept key a duplicate matched
                                  and m = its match kind (only with the fact check)
    P:band:<b>:<hex>      zset    kept keys whose band ``b`` hashes to ``hex``, same scores
    P:df                  string  DF_CELLS unsigned 32-bit counters (BITFIELD u32 #cell):
                                  documents each cell's shingles occur in (only with max_df;
                                  cell = the hash's low DF_CELL_BITS bits, see _base), 16 MiB
    P:ndocs               string  documents seen (INCR)

Atomic check-then-insert, optimistically, in two round trips: ``add`` reads the live
candidates in the new text's band buckets with one Lua script, verifies them in Python, then
sends the record to a second Lua script, which (atomically, as every script runs) refuses if
the key is live already, or if a kept record that the read did not return has joined any of
those buckets since, or if a counting cell the decision asked about (the text's, and those
of the candidates the verifier's bound could not rule out) has crossed the boilerplate limit
since — then ``add`` reads and decides again. The same write script counts the text, in the
same BITFIELD call that re-reads those cells. So two
near-duplicates added at the same moment by two workers — which share a band bucket, or LSH
could not pair them anyway — are serialised: the one that commits second sees the first and
is recorded as its duplicate, and a key is never recorded twice.

Expiry (``ttl``): the doc hash gets PEXPIREAT; its zset members carry the same time as
score, so reads skip them from that instant and writes prune them (ZREMRANGEBYSCORE); each
bucket key expires with its longest-lived member, so empty buckets disappear too. Lua scripts
touch keys they compute, so a Redis Cluster is not supported (a single server or a replicated
primary is).

The scripts are package data (``stores/lua/*.lua``; ``counts.lua`` holds the helpers every
script starts with); each documents its KEYS and ARGV, which the client builds from one
NamedTuple per script (``ReadArgs``, ``WriteArgs``, ...), so their order is written once.

Everything read is checked: a record someone else wrote under the namespace (not a hash,
fields that do not decode) is skipped with an :class:`IndexCorruptWarning` naming its key and
never poisons the adds that share its buckets; a key the index itself needs (a bucket, the
counts, the metadata) holding something else raises :class:`IndexCorruptError` naming it. A
server that cannot be reached raises :class:`IndexUnavailableError` naming it.
"""

from __future__ import annotations

import math
import random
import time
import warnings
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from importlib import resources
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from .._boilerplate import BoilerplateRule
from .._errors import (
    IndexBusyError,
    IndexClosedError,
    IndexCorruptError,
    IndexFullError,
    IndexUnavailableError,
)
from ._base import (
    NO_FACTS,
    U32,
    U64,
    Candidate,
    Decide,
    Decision,
    Found,
    IndexCorruptWarning,
    IndexStats,
    StoredDecision,
    T,
    all_hashes,
    common_of,
    corrupt_record,
    decode_bands,
    decode_hashes,
    decode_kept,
    df_cells,
    encode_bands,
    encode_hashes,
    no_common,
    str_key,
)
from .options import RedisOptions

__all__ = [
    "READ",
    "WRITE",
    "ReadArgs",
    "ReadKeys",
    "RedisStore",
    "RemoveArgs",
    "RemoveKeys",
    "WriteArgs",
    "WriteKeys",
]


def _lua(name: str) -> str:
    return (resources.files(__package__) / "lua" / name).read_text(encoding="utf-8")


_HELPERS = _lua("counts.lua")
READ, FLAGS_OF, WRITE, REMOVE, INIT_META = (
    _HELPERS + _lua(name)
    for name in ("read.lua", "flags_of.lua", "write.lua", "remove.lua", "init_meta.lua")
)
# Errors the scripts raise about a key of the index (see ``call`` in counts.lua).
_CORRUPT = "ARABIC_DEDUP_CORRUPT "


# The scripts' KEYS and ARGV, in the order each .lua file's header documents and its first
# lines unpack (tests/test_store_errors.py checks that the names agree).
class ReadKeys(NamedTuple):
    probe: bytes
    df_key: bytes
    ndocs_key: bytes


class ReadArgs(NamedTuple):
    doc_prefix: bytes
    floor: str
    fraction: str
    text_cells: bytes


class WriteKeys(NamedTuple):
    doc: bytes
    keys_z: bytes
    kept_z: bytes
    seq_key: bytes
    df_key: bytes
    ndocs_key: bytes


class WriteArgs(NamedTuple):
    member: bytes
    expires_ms: int
    kind: str
    hashes: bytes
    bands: bytes
    dup_of: bytes
    similarity: str
    doc_prefix: bytes
    floor: str
    fraction: str
    asked_flags: bytes
    text_cells: bytes
    more_cells: bytes
    repeat_cells: bytes
    read_members: bytes
    facts: bytes
    match: str


class RemoveKeys(NamedTuple):
    doc: bytes
    keys_z: bytes
    kept_z: bytes
    df_key: bytes
    ndocs_key: bytes


class RemoveArgs(NamedTuple):
    member: bytes
    seq: bytes
    text_cells: bytes
    repeat_cells: bytes
    uncount: str


_GLOB_SPECIAL = b"*?[]\\"
# Fields the read script returns per candidate: member, seq, shingle hashes, facts (read.lua).
_PER_CANDIDATE = 4


def _glob_escape(raw: bytes) -> bytes:
    return b"".join(b"\\" + bytes([c]) if c in _GLOB_SPECIAL else bytes([c]) for c in raw)


def _member(key: Hashable) -> bytes:
    return str_key(key).encode("utf-8")


def _offsets(cells: NDArray[np.int64]) -> bytes:
    """BITFIELD offsets of u32 counters (cell ``c`` is ``#c``), space-separated: one argument
    for the scripts to split, as packing hundreds of arguments costs ~1 us each in redis-py."""
    return b" ".join([b"#%d" % c for c in cells.tolist()])


class _TextCells:
    """A text's counting cells as the scripts take them: the distinct cells (sorted) and, for
    each hash whose cell an earlier hash of the text has, that cell once more."""

    def __init__(self, hashes: U32, counted: bool) -> None:
        if not counted:
            self.distinct, self.offsets, self.repeats = df_cells(hashes[:0]), b"", b""
            return
        self.distinct, times = np.unique(df_cells(hashes), return_counts=True)
        self.offsets = _offsets(self.distinct)
        self.repeats = _offsets(np.repeat(self.distinct, times - 1))


class _Asked:
    """What an add's decision asked the index about document frequencies: the cells, in the
    order sent (the text's distinct cells, then the candidates' others), and whether each was
    above the limit (``flags``: '0'/'1' per cell, as Lua returns them); the write script checks
    that the answer still holds."""

    def __init__(self, text: _TextCells, flags: bytes) -> None:
        self.flags = flags
        self.more = b""  # offsets of the cells asked about beyond the text's
        # Every cell asked about, sorted, and whether it is above the limit.
        self._cells: NDArray[np.int64] = text.distinct
        self._above: NDArray[np.bool_] = np.frombuffer(flags, dtype=np.uint8) == ord("1")

    def unknown(self, cells: NDArray[np.int64]) -> NDArray[np.int64]:
        return np.setdiff1d(cells, self._cells)

    def learn(self, cells: NDArray[np.int64], flags: bytes) -> None:
        self.more += (b" " if self.more else b"") + _offsets(cells)
        self.flags += flags
        merged = np.concatenate([self._cells, cells])
        order = np.argsort(merged, kind="stable")
        above = np.concatenate([self._above, np.frombuffer(flags, dtype=np.uint8) == ord("1")])
        self._cells, self._above = merged[order], above[order]

    def above(self, cells: NDArray[np.int64]) -> NDArray[np.bool_]:
        return self._above[np.searchsorted(self._cells, cells)]


class RedisStore:
    """A Deduplicator index in Redis, shared by every process that opens the same namespace."""

    def __init__(self, options: RedisOptions, *, df: BoilerplateRule | None = None) -> None:
        try:
            import redis
        except ImportError as e:
            raise ImportError(
                "Deduplicator(redis_url=...) needs the redis client: "
                "pip install 'arabic-dedup[redis]'"
            ) from e
        self._exc = redis.exceptions
        self._opts = options
        self._closed = False
        # Any: replies are bytes (no decode_responses), which redis-py's hints cannot say.
        self._r: Any = redis.Redis.from_url(
            options.url,
            socket_timeout=options.socket_timeout,
            socket_connect_timeout=options.socket_connect_timeout,
        )
        self.namespace = options.namespace
        self._retries = options.retries
        p = options.namespace.encode("utf-8") + b":"
        self._p = p
        self._meta, self._keys, self._kept, self._seq = (
            p + b"meta",
            p + b"keys",
            p + b"kept",
            p + b"seq",
        )
        self._docp = p + b"doc:"
        self._df, self._ndocs = p + b"df", p + b"ndocs"
        # The limit travels to the scripts as two decimal strings; repr round-trips a float
        # exactly, so Lua compares against the same double as Python.
        self._floor, self._fraction = (
            ("", "") if df is None else (repr(float(df.floor)), repr(float(df.fraction)))
        )
        self._read = self._r.register_script(READ)
        self._write = self._r.register_script(WRITE)
        self._remove = self._r.register_script(REMOVE)
        self._flags_of = self._r.register_script(FLAGS_OF)
        self._init = self._r.register_script(INIT_META)
        with self._guard():
            self._r.ping()  # fail at open if the server is unreachable

    @contextmanager
    def _guard(self, key: bytes | None = None) -> Iterator[None]:
        """Raise what the client or the server reports as this project's errors: the one
        place that turns redis-py exceptions into ours (``key``: the key the call is about)."""
        if self._closed:
            raise IndexClosedError(
                f"the index {self._opts.where} was closed; open a new Deduplicator"
            )
        exc = self._exc
        try:
            yield
        except (exc.ConnectionError, exc.TimeoutError) as e:
            raise IndexUnavailableError(
                f"the Redis server {self._opts.server} holding the index {self._opts.where} "
                f"did not answer ({e}); check that it is running and reachable, then retry. "
                "Adds that returned are recorded; one in progress may or may not be "
                "(lookup(key) tells)"
            ) from e
        except exc.ResponseError as e:
            msg = str(e)
            if msg.startswith(_CORRUPT) or msg.startswith("WRONGTYPE"):
                what = msg.removeprefix(_CORRUPT)
                if msg.startswith("WRONGTYPE") and key is not None:
                    what = f"key {key.decode('utf-8', 'replace')}: {msg}"
                raise IndexCorruptError(
                    f"the index {self._opts.where} is damaged: {what.split(' script: ')[0]}. "
                    "Something other than arabic-dedup wrote that key: delete it (the index "
                    "rebuilds it on later adds), or use a new namespace"
                ) from e
            # redis-py reads the server's OOM reply as OutOfMemoryError, without the prefix.
            if msg.startswith("OOM") or isinstance(e, getattr(exc, "OutOfMemoryError", ())):
                raise IndexFullError(
                    f"the Redis server {self._opts.server} is out of memory ({msg}); the add "
                    "was not recorded. Raise its maxmemory, or expire records (ttl=)"
                ) from e
            raise IndexUnavailableError(
                f"the Redis server {self._opts.server} refused a call on the index "
                f"{self._opts.where}: {msg}"
            ) from e

    def _corrupt(self, key: bytes, problem: str) -> IndexCorruptError:
        return IndexCorruptError(
            f"the index {self._opts.where} is damaged: key {key.decode('utf-8', 'replace')} "
            f"{problem}. Something other than arabic-dedup wrote it: delete it, or use a new "
            "namespace"
        )

    def _bucket(self, band: int, h: int) -> bytes:
        return self._p + b"band:%d:%016x" % (band, h)

    def _now(self) -> float:
        sec, usec = self._r.time()
        return float(sec) + float(usec) / 1e6

    # -- the Store protocol ------------------------------------------------------------------
    def init_meta(self, params: Mapping[str, str]) -> dict[str, str]:
        flat: list[str] = []
        for k, v in sorted(params.items()):
            flat += [k, v]
        with self._guard(self._meta):
            raw = self._init(keys=[self._meta, self._seq], args=flat)
        if raw == [b"ARABIC_DEDUP_LOST_META"]:
            raise IndexCorruptError(
                f"the index {self._opts.where} has written records but its parameters (key "
                f"{self._meta.decode('utf-8', 'replace')}) are gone: deleted, or evicted (run "
                "Redis with maxmemory-policy noeviction). Its records cannot be checked against "
                "these options; rebuild it in a new namespace"
            )
        try:
            return {raw[i].decode(): raw[i + 1].decode() for i in range(0, len(raw), 2)}
        except UnicodeDecodeError:
            raise self._corrupt(self._meta, "holds fields that are not UTF-8") from None

    def _candidate(
        self, member: bytes, seq: bytes, raw: bytes, raw_facts: bytes
    ) -> Candidate | None:
        """A candidate as the read script returned it, or None (with a warning) if the record
        does not decode: someone else wrote it, and it must not fail unrelated adds."""
        problem, key = "", ""
        try:
            key = member.decode("utf-8")
        except UnicodeDecodeError:
            problem = "has a member that is not UTF-8 in a band bucket"
        if problem:
            pass
        elif seq == b"!":
            problem = f"is not a hash ({raw.decode('utf-8', 'replace')})"
        elif not seq.isdigit():
            problem = f"has a seq field n of {seq!r}, not a number"
        else:
            kept = decode_kept(raw, raw_facts)
            if not isinstance(kept, str):
                return Candidate(key, int(seq), *kept)
            problem = kept
        name = (self._docp + member).decode("utf-8", "replace")
        warnings.warn(corrupt_record(name, self._opts.where, problem), stacklevel=4)
        return None

    def _parse(self, raw: list[bytes], hashes: U32, text: _TextCells) -> tuple[Found, _Asked]:
        cands = [
            c
            for i in range(4, len(raw), _PER_CANDIDATE)
            if (c := self._candidate(*raw[i : i + _PER_CANDIDATE])) is not None
        ]
        asked = _Asked(text, bytes(raw[3]))
        if not self._floor or not cands:
            return Found(cands, no_common), asked

        def common(cs: Sequence[Candidate]) -> U32:
            u = all_hashes(hashes, cs)
            cells = df_cells(u)
            if cs:
                new = asked.unknown(cells[hashes.size :])
                if new.size:
                    keys = [self._df, self._ndocs]
                    args: list[str | bytes] = [self._floor, self._fraction, _offsets(new)]
                    with self._guard():
                        got = self._flags_of(keys=keys, args=args)
                    asked.learn(new, bytes(got))
            return common_of(u, asked.above(cells))

        return Found(cands, common), asked

    def _read_found(self, probe: bytes, text: _TextCells, buckets: list[bytes]) -> list[Any]:
        keys = ReadKeys(probe, self._df, self._ndocs)
        args = ReadArgs(self._docp, self._floor, self._fraction, text.offsets)
        with self._guard():
            return list(self._read(keys=[*keys, *buckets], args=args))

    def add(
        self,
        key: Hashable,
        hashes: U32,
        bands: U64,
        decide: Decide,
        *,
        ttl: float | None,
        facts: U32 = NO_FACTS,
    ) -> Decision:
        member = _member(key)
        doc = self._docp + member
        buckets = [self._bucket(b, int(h)) for b, h in enumerate(bands)]
        hb, bb = encode_hashes(hashes), encode_bands(bands)
        text = _TextCells(hashes, bool(self._floor))
        keys = [*WriteKeys(doc, self._keys, self._kept, self._seq, self._df, self._ndocs)]
        keys += buckets
        for attempt in range(self._retries):
            raw = self._read_found(doc, text, buckets)
            if int(raw[2]):
                raise KeyError(f"key {key!r} was already added")
            found, asked = self._parse(raw, hashes, text)
            decision = decide(found)
            at_ms = 0
            if ttl is not None:
                at_ms = int(raw[0]) * 1000 + int(raw[1]) // 1000 + math.ceil(ttl * 1000)
            kept = decision is None
            args = WriteArgs(
                member=member,
                expires_ms=at_ms,
                kind="k" if kept else "d",
                hashes=hb if kept else b"",
                bands=bb if kept else b"",
                dup_of=b"" if decision is None else _member(decision[0]),
                similarity="" if decision is None else repr(decision[1]),
                doc_prefix=self._docp,
                floor=self._floor,
                fraction=self._fraction,
                asked_flags=asked.flags,
                text_cells=text.offsets,
                more_cells=asked.more,
                repeat_cells=text.repeats,
                read_members=b"".join(
                    [raw[i] + b"\xff" for i in range(4, len(raw), _PER_CANDIDATE)]
                ),
                facts=encode_hashes(facts) if kept else b"",
                match="" if decision is None or decision[2] is None else decision[2],
            )
            with self._guard():
                seq = int(self._write(keys=keys, args=args))
            if seq == -1:
                raise KeyError(f"key {key!r} was already added")
            if seq > 0:
                return decision
            # Another writer changed what the decision rests on between our read and our write
            # (a kept text in our buckets, a shingle past the limit): decide again. Jitter
            # keeps two writers out of lockstep.
            time.sleep(random.random() * 0.0005 * min(attempt + 1, 20))
        raise IndexBusyError(
            f"adding {key!r}: the Redis band buckets kept changing through {self._retries} "
            "retries; retry the add"
        )

    def batch(self) -> AbstractContextManager[None]:
        return nullcontext()  # every add is its own write script: nothing to group

    def candidates(self, hashes: U32, bands: U64, use: Callable[[Found], T]) -> T:
        buckets = [self._bucket(b, int(h)) for b, h in enumerate(bands)]
        text = _TextCells(hashes, bool(self._floor))
        return use(self._parse(self._read_found(self._meta, text, buckets), hashes, text)[0])

    def doc_freq(self, hashes: U32) -> tuple[int, NDArray[np.int64]]:
        """Documents seen, and the count of each hash's cell (for tests: see ``Store``)."""
        cells = df_cells(hashes).tolist()
        with self._guard(), self._r.pipeline(transaction=True) as pipe:
            pipe.get(self._ndocs)
            if cells:
                bf = pipe.bitfield(self._df)
                for c in cells:
                    bf.get("u32", f"#{c}")
                bf.execute()
            got = pipe.execute()
        counts = np.array(got[1] if cells else [], dtype=np.int64)
        return int(got[0] or 0), counts

    def get(self, key: Hashable) -> StoredDecision | None:
        doc = self._docp + _member(key)
        with self._guard(doc):
            dup, sim, n, kind = self._r.hmget(doc, ["d", "s", "n", "m"])
        if n is None:
            return None
        try:
            return StoredDecision(
                None if dup is None else dup.decode("utf-8"),
                float(sim),
                None if kind is None else kind.decode("ascii"),
            )
        except (ValueError, TypeError):  # UnicodeDecodeError is a ValueError
            raise self._corrupt(
                doc, f"has fields d={dup!r} s={sim!r} m={kind!r} that do not decode"
            ) from None

    def remove(self, key: Hashable) -> None:
        member = _member(key)
        doc = self._docp + member
        counted = bool(self._floor)
        for _ in range(self._retries):
            with self._guard(doc):
                raw_bands, raw_hashes, n = self._r.hmget(doc, ["b", "h", "n"])
            if n is None:
                raise KeyError(key)
            try:
                bands = decode_bands(raw_bands or b"").tolist()
                hashes = decode_hashes(raw_hashes or b"")
            except ValueError:
                raise self._corrupt(doc, "has band or shingle hashes of a wrong size") from None
            buckets = [self._bucket(b, h) for b, h in enumerate(bands)]
            # A kept text's counts are taken back; a duplicate's hashes are not stored.
            uncount = counted and raw_hashes is not None
            text = _TextCells(hashes, uncount)
            args = RemoveArgs(member, n, text.offsets, text.repeats, "1" if uncount else "")
            keys = RemoveKeys(doc, self._keys, self._kept, self._df, self._ndocs)
            with self._guard(doc):
                done = int(self._remove(keys=[*keys, *buckets], args=args))
            if done == 0:
                raise KeyError(key)
            if done == 1:
                return
        raise IndexBusyError(f"removing {key!r}: the record kept changing; retry")

    def keys(self) -> Iterator[Hashable]:
        with self._guard(self._keys):
            now = self._now()
            for member, score in self._r.zscan_iter(self._keys):
                if score <= now:
                    continue
                try:
                    key = member.decode("utf-8")
                except UnicodeDecodeError:
                    warnings.warn(
                        IndexCorruptWarning(
                            f"skipping member {member!r} of {self._keys.decode()} in the index "
                            f"{self._opts.where}: not UTF-8, so not a key arabic-dedup wrote"
                        ),
                        stacklevel=2,
                    )
                    continue
                yield key

    def count(self) -> int:
        with self._guard(self._keys):
            return int(self._r.zcount(self._keys, f"({self._now():.6f}", "+inf"))

    def stats(self) -> IndexStats:
        with self._guard():
            now = f"({self._now():.6f}"
            n = int(self._r.zcount(self._keys, now, "+inf"))
            kept = int(self._r.zcount(self._kept, now, "+inf"))
            # Every key under the namespace, as Redis accounts it (O(keys): a rare, costly call).
            total = 0
            pipe = self._r.pipeline(transaction=False)
            pattern = _glob_escape(self._p) + b"*"
            for i, k in enumerate(self._r.scan_iter(match=pattern, count=1000)):
                pipe.memory_usage(k, samples=0)
                if i % 1000 == 999:
                    total += sum(int(x or 0) for x in pipe.execute())
            total += sum(int(x or 0) for x in pipe.execute())
        return IndexStats(n, kept, n - kept, total)

    def close(self) -> None:
        self._closed = True
        self._r.close()
