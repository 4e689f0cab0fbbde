"""The shared store: plain Redis structures of bytes under one namespace, never pickle.

Keys (``P`` is the namespace, default ``arabic_dedup``)::

    P:meta                hash    parameter name -> canonical JSON
    P:seq                 string  commit counter (INCR)
    P:keys                zset    every live key, score = expiry time (``inf`` = never)
    P:kept                zset    the kept keys, same scores
    P:doc:<key>           hash    n = seq, s = similarity, and either
                                  h = shingle hashes (LE uint32), b = band hashes (LE uint64)
                                  for a kept text, or d = the kept key a duplicate matched
    P:band:<b>:<hex>      zset    kept keys whose band ``b`` hashes to ``hex``, same scores
    P:df                  string  DF_CELLS unsigned 32-bit counters (BITFIELD u32 #cell):
                                  documents each cell's shingles occur in (only with max_df;
                                  cell = the hash's low 22 bits, see _store), 16 MiB
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
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._boilerplate import BoilerplateRule
from ._errors import IndexBusyError, InputError
from ._store import (
    U32,
    U64,
    Candidate,
    Decide,
    Decision,
    Found,
    IndexStats,
    Record,
    T,
    all_hashes,
    common_of,
    decode_bands,
    decode_hashes,
    df_cells,
    encode_bands,
    encode_hashes,
    no_common,
)

__all__ = ["RedisStore"]

# Counting, in Lua. The client hands the scripts the BITFIELD offsets ("#<cell>") of the cells
# it computed with numpy, space-separated in one argument: Lua deriving them from 4-byte hashes
# cost ~1 us a hash, and redis-py packs each extra argument in ~1 us. limit(...) = max(floor,
# fraction * documents seen), as BoilerplateRule.limit says; apply(...) runs BITFIELD operations
# over offset lists; flags(...) tells which counts are above the limit.
_FLAGS = """
local function limit(nkey, floor, fraction)
  return math.max(floor, fraction * tonumber(redis.call('GET', nkey) or '0'))
end
-- plan: {{offsets, step}, {offsets}, ...}: INCRBY step (or GET, without a step) at each
-- space-separated offset, in order, 1,000 operations to a BITFIELD call. Returns the answers
-- in order, and how many each entry of the plan had.
local function apply(dfkey, plan)
  local got, n, sizes = {}, 0, {}
  local args, k = {'OVERFLOW', 'SAT'}, 2
  local function flush()
    for _, v in ipairs(redis.call('BITFIELD', dfkey, unpack(args))) do
      n = n + 1
      got[n] = v
    end
    args, k = {'OVERFLOW', 'SAT'}, 2
  end
  for i, p in ipairs(plan) do
    sizes[i] = 0
    local step = p[2]
    for f in string.gmatch(p[1], '%S+') do
      sizes[i] = sizes[i] + 1
      if step then
        args[k + 1], args[k + 2], args[k + 3], args[k + 4] = 'INCRBY', 'u32', f, step
        k = k + 4
      else
        args[k + 1], args[k + 2], args[k + 3] = 'GET', 'u32', f
        k = k + 3
      end
      if k >= 3000 then flush() end
    end
  end
  if k > 2 then flush() end
  return got, sizes
end
-- Whether each count in got[first..last], less ``less``, is above the limit: '0'/'1' each.
local function flags(got, first, last, less, lim)
  local out = {}
  for j = first, last do
    if got[j] - less > lim then out[j - first + 1] = '1' else out[j - first + 1] = '0' end
  end
  return table.concat(out)
end
-- The flags of the counts at some offsets, read as they are now.
local function flags_now(dfkey, nkey, floor, fraction, offsets)
  local lim = limit(nkey, floor, fraction)
  local got = apply(dfkey, {{offsets}})
  return flags(got, 1, #got, 0, lim)
end
"""

# KEYS[1]: a doc key whose existence is reported; KEYS[2]: P:df; KEYS[3]: P:ndocs;
# KEYS[4..]: band buckets. ARGV: doc key prefix, floor ('' = no counts), fraction, the
# BITFIELD offsets of the text's distinct cells (space-separated). Returns {sec, usec,
# exists, flags, member, seq, hashes, member, seq, hashes, ...}; the text's flags (see
# _FLAGS) only if there are candidates.
_READ = (
    _FLAGS
    + """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local out = {t[1], t[2], redis.call('EXISTS', KEYS[1]), ''}
local seen = {}
for i = 4, #KEYS do
  local members = redis.call('ZRANGEBYSCORE', KEYS[i], '(' .. string.format('%.6f', now), '+inf')
  for _, m in ipairs(members) do
    if not seen[m] then
      seen[m] = true
      local v = redis.call('HMGET', ARGV[1] .. m, 'h', 'n')
      if v[1] then
        out[#out + 1] = m
        out[#out + 1] = v[2]
        out[#out + 1] = v[1]
      end
    end
  end
end
if ARGV[2] ~= '' and #out > 4 then
  out[4] = flags_now(KEYS[2], KEYS[3], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4])
end
return out
"""
)

# Flags for more cells (the candidates' that the verifier could not rule out by its bound,
# beyond the text's). KEYS: P:df, P:ndocs. ARGV: floor, fraction, BITFIELD offsets
# (space-separated). Read only; the write script re-checks the answer.
_FLAGS_OF = (
    _FLAGS
    + """
return flags_now(KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3])
"""
)

# KEYS: doc, keys zset, kept zset, seq counter, P:df, P:ndocs, buckets...
# ARGV: 1 member, 2 expires-at ms (0 = never), 3 kind ('k' kept / 'd' duplicate), 4 hashes,
#       5 bands, 6 dup_of, 7 similarity, 8 doc key prefix, 9 floor ('' = no counts),
#       10 fraction, 11 the flags the decision used ('' = none), then BITFIELD offsets,
#       space-separated: 12 the text's distinct cells, 13 the other cells asked about (11
#       flags 12 then 13), 14 a repeat's cell for each hash whose cell an earlier hash of the
#       text has; 15 every candidate member the read returned, each followed by byte 0xFF
#       (never in UTF-8).
# Returns -1 if the key is live already, -2 if what the decision rests on has changed since the
# read — a kept record the read did not see has joined one of the buckets, or a cell the
# decision asked about has crossed the boilerplate limit — (the caller re-reads and decides
# again), else the commit's seq.
_WRITE = (
    _FLAGS
    + """
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local member, at_ms, kind = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local t = redis.call('TIME')
local now = string.format('%.6f', tonumber(t[1]) + tonumber(t[2]) / 1000000)
local seen = {}
for m in string.gmatch(ARGV[15], '([^\\255]*)\\255') do seen[m] = true end
for i = 7, #KEYS do
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[i], '(' .. now, '+inf')) do
    if not seen[m] and redis.call('HEXISTS', ARGV[8] .. m, 'h') == 1 then return -2 end
  end
end
-- Count the text, and in the same BITFIELD read the counts the decision's flags came from:
-- +1 on each of the text's distinct cells (the answer less one is the count before this
-- text), the other cells asked about as they are, +1 again per repeat. If a flag has changed,
-- take the counts back and refuse.
local counted = ARGV[9] ~= ''
if counted then
  local lim = limit(KEYS[6], tonumber(ARGV[9]), tonumber(ARGV[10]))
  local got, sizes = apply(KEYS[5], {{ARGV[12], 1}, {ARGV[13]}, {ARGV[14], 1}})
  if ARGV[11] ~= '' then
    local nt, nc = sizes[1], sizes[2]
    if flags(got, 1, nt, 1, lim) .. flags(got, nt + 1, nt + nc, 0, lim) ~= ARGV[11] then
      apply(KEYS[5], {{ARGV[12], -1}, {ARGV[14], -1}})
      return -2
    end
  end
  redis.call('INCR', KEYS[6])
end
local score = '+inf'
if at_ms > 0 then score = string.format('%.3f', at_ms / 1000) end
local seq = redis.call('INCR', KEYS[4])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], score, member)
if kind == 'k' then
  redis.call('HSET', KEYS[1], 'n', seq, 's', '1.0', 'h', ARGV[4], 'b', ARGV[5])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  redis.call('ZADD', KEYS[3], score, member)
  for i = 7, #KEYS do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
    redis.call('ZADD', KEYS[i], score, member)
    -- A bucket lives as long as its longest-lived member.
    if at_ms == 0 then
      redis.call('PERSIST', KEYS[i])
    else
      local top = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')
      if top[2] == 'inf' then
        redis.call('PERSIST', KEYS[i])
      else
        redis.call('PEXPIREAT', KEYS[i], math.ceil(tonumber(top[2]) * 1000))
      end
    end
  end
else
  redis.call('HSET', KEYS[1], 'n', seq, 's', ARGV[7], 'd', ARGV[6])
end
if at_ms > 0 then redis.call('PEXPIREAT', KEYS[1], at_ms) end
return seq
"""
)

# KEYS: doc, keys zset, kept zset, P:df, P:ndocs, the doc's buckets...
# ARGV: member, the commit seq the caller read, then for a kept text counted with max_df (else
# '', '', ''): the BITFIELD offsets of its distinct cells, a repeat's cell per repeat, '1'.
# Returns 0 if the key is not live, -1 if the record changed since the caller read it, else 1.
_REMOVE = (
    _FLAGS
    + """
local n = redis.call('HGET', KEYS[1], 'n')
if not n then return 0 end
if n ~= ARGV[2] then return -1 end
if ARGV[5] == '1' then
  apply(KEYS[4], {{ARGV[3], -1}, {ARGV[4], -1}})
  redis.call('DECR', KEYS[5])
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
for i = 6, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end
return 1
"""
)

_INIT_META = """
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return redis.call('HGETALL', KEYS[1])
"""

_GLOB_SPECIAL = b"*?[]\\"


def _glob_escape(raw: bytes) -> bytes:
    return b"".join(b"\\" + bytes([c]) if c in _GLOB_SPECIAL else bytes([c]) for c in raw)


def _member(key: Hashable) -> bytes:
    if not isinstance(key, str):
        raise InputError(
            f"keys of a persistent index must be str, got {type(key).__name__} {key!r}; "
            "convert them, e.g. str(key)"
        )
    return key.encode("utf-8")


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

    def __init__(
        self,
        url: str,
        *,
        namespace: str = "arabic_dedup",
        retries: int = 100,
        client: Any = None,
        df: BoilerplateRule | None = None,
    ) -> None:
        if client is None:
            try:
                import redis
            except ImportError as e:
                raise ImportError(
                    "Deduplicator(redis_url=...) needs the redis client: "
                    "pip install 'arabic-dedup[redis]'"
                ) from e
            client = redis.Redis.from_url(url)
        self._r = client
        self.namespace = namespace
        self._retries = retries
        p = namespace.encode("utf-8") + b":"
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
        self._limit_args = (
            ["", ""] if df is None else [repr(float(df.floor)), repr(float(df.fraction))]
        )
        self._read = self._r.register_script(_READ)
        self._write = self._r.register_script(_WRITE)
        self._remove = self._r.register_script(_REMOVE)
        self._flags_of = self._r.register_script(_FLAGS_OF)
        self._init = self._r.register_script(_INIT_META)
        self._r.ping()  # fail at open, with the client's message, if the server is unreachable

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
        raw = self._init(keys=[self._meta], args=flat)
        return {raw[i].decode(): raw[i + 1].decode() for i in range(0, len(raw), 2)}

    def _parse(self, raw: list[bytes], hashes: U32, text: _TextCells) -> tuple[Found, _Asked]:
        cands = [
            Candidate(raw[i].decode("utf-8"), int(raw[i + 1]), decode_hashes(raw[i + 2]))
            for i in range(4, len(raw), 3)
        ]
        asked = _Asked(text, bytes(raw[3]))
        if not self._limit_args[0] or not cands:
            return Found(cands, no_common), asked

        def common(cs: Sequence[Candidate]) -> U32:
            u = all_hashes(hashes, cs)
            cells = df_cells(u)
            if cs:
                new = asked.unknown(cells[hashes.size :])
                if new.size:
                    keys = [self._df, self._ndocs]
                    got = self._flags_of(keys=keys, args=[*self._limit_args, _offsets(new)])
                    asked.learn(new, bytes(got))
            return common_of(u, asked.above(cells))

        return Found(cands, common), asked

    def _read_found(self, first: bytes, text: _TextCells, buckets: list[bytes]) -> list[Any]:
        keys = [first, self._df, self._ndocs, *buckets]
        return list(self._read(keys=keys, args=[self._docp, *self._limit_args, text.offsets]))

    def add(
        self, key: Hashable, hashes: U32, bands: U64, decide: Decide, *, ttl: float | None
    ) -> Decision:
        member = _member(key)
        doc = self._docp + member
        buckets = [self._bucket(b, int(h)) for b, h in enumerate(bands)]
        hb, bb = encode_hashes(hashes), encode_bands(bands)
        text = _TextCells(hashes, bool(self._limit_args[0]))
        keys = [doc, self._keys, self._kept, self._seq, self._df, self._ndocs, *buckets]
        for attempt in range(self._retries):
            raw = self._read_found(doc, text, buckets)
            if int(raw[2]):
                raise KeyError(f"key {key!r} was already added")
            found, asked = self._parse(raw, hashes, text)
            decision = decide(found)
            at_ms = 0
            if ttl is not None:
                at_ms = int(raw[0]) * 1000 + int(raw[1]) // 1000 + math.ceil(ttl * 1000)
            if decision is None:
                args = [member, at_ms, "k", hb, bb, b"", b""]
            else:
                args = [member, at_ms, "d", hb, b"", _member(decision[0]), repr(decision[1])]
            args += [self._docp, *self._limit_args, asked.flags]
            args += [text.offsets, asked.more, text.repeats]
            args.append(b"".join([raw[i] + b"\xff" for i in range(4, len(raw), 3)]))
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
        text = _TextCells(hashes, bool(self._limit_args[0]))
        return use(self._parse(self._read_found(self._meta, text, buckets), hashes, text)[0])

    def doc_freq(self, hashes: U32) -> tuple[int, NDArray[np.int64]]:
        cells = df_cells(hashes).tolist()
        with self._r.pipeline(transaction=True) as pipe:
            pipe.get(self._ndocs)
            if cells:
                bf = pipe.bitfield(self._df)
                for c in cells:
                    bf.get("u32", f"#{c}")
                bf.execute()
            got = pipe.execute()
        counts = np.array(got[1] if cells else [], dtype=np.int64)
        return int(got[0] or 0), counts

    def get(self, key: Hashable) -> Record | None:
        dup, sim, n = self._r.hmget(self._docp + _member(key), ["d", "s", "n"])
        if n is None:
            return None
        return Record(None if dup is None else dup.decode("utf-8"), float(sim))

    def remove(self, key: Hashable) -> None:
        member = _member(key)
        doc = self._docp + member
        counted = bool(self._limit_args[0])
        for _ in range(self._retries):
            raw_bands, raw_hashes, n = self._r.hmget(doc, ["b", "h", "n"])
            if n is None:
                raise KeyError(key)
            buckets = []
            if raw_bands:
                buckets = [
                    self._bucket(b, h) for b, h in enumerate(decode_bands(raw_bands).tolist())
                ]
            # A kept text's counts are taken back; a duplicate's hashes are not stored.
            uncount = counted and raw_hashes is not None
            text = _TextCells(decode_hashes(raw_hashes or b""), uncount)
            args = [member, n, text.offsets, text.repeats, "1" if uncount else ""]
            keys = [doc, self._keys, self._kept, self._df, self._ndocs, *buckets]
            done = int(self._remove(keys=keys, args=args))
            if done == 0:
                raise KeyError(key)
            if done == 1:
                return
        raise IndexBusyError(f"removing {key!r}: the record kept changing; retry")

    def keys(self) -> Iterator[Hashable]:
        now = self._now()
        for member, score in self._r.zscan_iter(self._keys):
            if score > now:
                yield member.decode("utf-8")

    def count(self) -> int:
        return int(self._r.zcount(self._keys, f"({self._now():.6f}", "+inf"))

    def stats(self) -> IndexStats:
        now = f"({self._now():.6f}"
        n = int(self._r.zcount(self._keys, now, "+inf"))
        kept = int(self._r.zcount(self._kept, now, "+inf"))
        # Every key under the namespace, as Redis accounts it (O(keys): a rare, costly call).
        total = 0
        pipe = self._r.pipeline(transaction=False)
        for i, k in enumerate(self._r.scan_iter(match=_glob_escape(self._p) + b"*", count=1000)):
            pipe.memory_usage(k, samples=0)
            if i % 1000 == 999:
                total += sum(int(x or 0) for x in pipe.execute())
        total += sum(int(x or 0) for x in pipe.execute())
        return IndexStats(n, kept, n - kept, total)

    def close(self) -> None:
        self._r.close()
