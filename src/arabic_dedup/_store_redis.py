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

Atomic check-then-insert, optimistically, in two round trips: ``add`` reads the live
candidates in the new text's band buckets with one Lua script, verifies them in Python, then
sends the record to a second Lua script, which (atomically, as every script runs) refuses if
the key is live already, or if a kept record that the read did not return has joined any of
those buckets since — then ``add`` reads and decides again. So two near-duplicates added at the
same moment by two workers — which share a band bucket, or LSH could not pair them anyway —
are serialised: the one that commits second sees the first and is recorded as its duplicate,
and a key is never recorded twice.

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
from collections.abc import Hashable, Iterator, Mapping
from typing import Any

from ._errors import IndexBusyError, InputError
from ._store import (
    U32,
    U64,
    Candidate,
    Decide,
    Decision,
    IndexStats,
    Record,
    decode_bands,
    decode_hashes,
    encode_bands,
    encode_hashes,
)

__all__ = ["RedisStore"]

# KEYS[1]: a doc key whose existence is reported; KEYS[2..]: band buckets.
# ARGV[1]: the doc key prefix. Returns {sec, usec, exists, member, seq, hashes, ...}.
_READ = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local out = {t[1], t[2], redis.call('EXISTS', KEYS[1])}
local seen = {}
for i = 2, #KEYS do
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
return out
"""

# KEYS: doc, keys zset, kept zset, seq counter, buckets...
# ARGV: member, expires-at ms (0 = never), kind ('k' kept / 'd' duplicate), hashes, bands,
#       dup_of, similarity, doc key prefix, then every candidate member the read returned.
# Returns -1 if the key is live already, -2 if a kept record the read did not see has joined
# one of the buckets since (the caller re-reads and decides again), else the commit's seq.
_WRITE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local member, at_ms, kind = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local t = redis.call('TIME')
local now = string.format('%.6f', tonumber(t[1]) + tonumber(t[2]) / 1000000)
local seen = {}
for i = 9, #ARGV do seen[ARGV[i]] = true end
for i = 5, #KEYS do
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[i], '(' .. now, '+inf')) do
    if not seen[m] and redis.call('HEXISTS', ARGV[8] .. m, 'h') == 1 then return -2 end
  end
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
  for i = 5, #KEYS do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
    redis.call('ZADD', KEYS[i], score, member)
    -- A bucket lives as long as its longest-lived member.
    local top = redis.call('ZRANGE', KEYS[i], -1, -1, 'WITHSCORES')
    if top[2] == 'inf' then
      redis.call('PERSIST', KEYS[i])
    else
      redis.call('PEXPIREAT', KEYS[i], math.ceil(tonumber(top[2]) * 1000))
    end
  end
else
  redis.call('HSET', KEYS[1], 'n', seq, 's', ARGV[7], 'd', ARGV[6])
end
if at_ms > 0 then redis.call('PEXPIREAT', KEYS[1], at_ms) end
return seq
"""

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


class RedisStore:
    """A Deduplicator index in Redis, shared by every process that opens the same namespace."""

    def __init__(
        self, url: str, *, namespace: str = "arabic_dedup", retries: int = 100, client: Any = None
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
        self._read = self._r.register_script(_READ)
        self._write = self._r.register_script(_WRITE)
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

    @staticmethod
    def _parse(raw: list[bytes], start: int) -> list[Candidate]:
        return [
            Candidate(raw[i].decode("utf-8"), int(raw[i + 1]), decode_hashes(raw[i + 2]))
            for i in range(start, len(raw), 3)
        ]

    def add(
        self, key: Hashable, hashes: U32, bands: U64, decide: Decide, *, ttl: float | None
    ) -> Decision:
        member = _member(key)
        doc = self._docp + member
        buckets = [self._bucket(b, int(h)) for b, h in enumerate(bands)]
        hb, bb = encode_hashes(hashes), encode_bands(bands)
        for attempt in range(self._retries):
            raw = self._read(keys=[doc, *buckets], args=[self._docp])
            if int(raw[2]):
                raise KeyError(f"key {key!r} was already added")
            cands = self._parse(raw, 3)
            decision = decide(cands)
            at_ms = 0
            if ttl is not None:
                at_ms = int(raw[0]) * 1000 + int(raw[1]) // 1000 + math.ceil(ttl * 1000)
            if decision is None:
                args = [member, at_ms, "k", hb, bb, b"", b""]
            else:
                args = [member, at_ms, "d", b"", b"", _member(decision[0]), repr(decision[1])]
            args += [self._docp, *(raw[i] for i in range(3, len(raw), 3))]
            seq = int(
                self._write(keys=[doc, self._keys, self._kept, self._seq, *buckets], args=args)
            )
            if seq == -1:
                raise KeyError(f"key {key!r} was already added")
            if seq > 0:
                return decision
            # Another writer committed a kept text into one of our buckets between our read
            # and our write: decide again with it. Jitter keeps two writers out of lockstep.
            time.sleep(random.random() * 0.0005 * min(attempt + 1, 20))
        raise IndexBusyError(
            f"adding {key!r}: the Redis band buckets kept changing through {self._retries} "
            "retries; retry the add"
        )

    def candidates(self, bands: U64) -> list[Candidate]:
        buckets = [self._bucket(b, int(h)) for b, h in enumerate(bands)]
        raw = self._read(keys=[self._meta, *buckets], args=[self._docp])
        return self._parse(raw, 3)

    def get(self, key: Hashable) -> Record | None:
        dup, sim, n = self._r.hmget(self._docp + _member(key), ["d", "s", "n"])
        if n is None:
            return None
        return Record(None if dup is None else dup.decode("utf-8"), float(sim))

    def remove(self, key: Hashable) -> None:
        from redis.exceptions import WatchError

        member = _member(key)
        doc = self._docp + member
        with self._r.pipeline(transaction=True) as pipe:
            for _ in range(self._retries):
                try:
                    pipe.watch(doc)
                    raw_bands, n = pipe.hmget(doc, ["b", "n"])
                    if n is None:
                        raise KeyError(key)
                    pipe.multi()
                    pipe.delete(doc)
                    pipe.zrem(self._keys, member)
                    pipe.zrem(self._kept, member)
                    if raw_bands:
                        for b, h in enumerate(decode_bands(raw_bands).tolist()):
                            pipe.zrem(self._bucket(b, h), member)
                    pipe.execute()
                    return
                except WatchError:
                    continue
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
