"""Stage 7b: the streaming dedup API — ``Deduplicator`` checks each new text against every
text kept so far, so a feed can be deduplicated as it arrives.

Where the kept texts live is a store (:mod:`.stores`): this process's memory by default, an
SQLite file (``path=``) that survives restarts, or a Redis namespace (``redis_url=``) shared by
several workers; ``store=`` takes the typed options of each (:mod:`.stores.options`). The
Deduplicator itself only hashes, asks the store for candidates, verifies them and decides.

Boilerplate (``max_df``, "auto" by default) works as in ``find_duplicates`` but over the texts
seen so far: the store counts in how many texts each shingle occurs, and a text and each
candidate are compared without the shingles counted in more than ``max_df`` texts (limit
computed on the texts seen before this one; see :mod:`._boilerplate`). Candidates still come
from LSH on the full shingle sets.

The fact check (``facts``, ``"apart"`` by default) works as in ``find_duplicates``: the store keeps
each kept text's fact fingerprint, and a new text is judged against each candidate from the
two fingerprints (:meth:`.Verifier.decide`); a duplicate's match kind is recorded with it.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterable, Iterator
from types import TracebackType
from typing import Any, NamedTuple, TypeAlias, cast

import numpy as np
from numpy.typing import NDArray

from ._boilerplate import BoilerplateRule, drop_common
from ._config import DedupConfig, resolve_config
from ._errors import ConfigError, InputError
from ._facts import MATCH_KINDS, MatchKind
from ._lsh import band_hashes, in_buckets
from ._shingle import ShingleSets
from ._verify import intersections, pairs_with_first, similarities_to_first
from .stores import (
    NO_FACTS,
    STORE_FORMAT,
    Decision,
    Found,
    IndexStats,
    Store,
    StoreOptions,
    check_index_params,
    encode_params,
    open_store,
    store_options,
)

__all__ = ["Deduplicator", "IndexStats", "Match"]

# The parameters a stored index depends on: change any and its signatures, band hashes or
# recorded decisions no longer mean the same thing.
INDEX_PARAMS = (
    "normalizer_version",
    "normalizer",
    "scheme",
    "num_perm",
    "seed",
    "shingle_unit",
    "shingle_k",
    "bands",
    "rows",
    "threshold",
    "similarity",
    "max_df",
    "boilerplate_rescue",
    "facts",
    "facts_version",
)
_BATCH = 1024


def _check_text(text: object, key: Hashable) -> None:
    if not isinstance(text, str):
        of = "" if key is None else f" of {key!r}"
        hint = " (decode bytes first, e.g. .decode('utf-8'))" if isinstance(text, bytes) else ""
        raise InputError(f"text{of} must be str, got {type(text).__name__}{hint}")


U32: TypeAlias = NDArray[np.uint32]


class Match(NamedTuple):
    """An earlier kept document that a text duplicates, with their verified similarity and,
    with the fact check on (``facts``), how the fact check judged the pair: ``copy``,
    ``partial`` (containment) or ``update`` (only with ``facts="join"``); None when it is off,
    as in ``DedupResult.pairs.kinds()``."""

    key: Hashable
    similarity: float
    kind: MatchKind | None = None


def _match(key: Hashable, similarity: float, kind: str | None) -> Match:
    """A Match from a store's record (stores keep the kind as the name ``MATCH_KINDS`` has)."""
    return Match(key, similarity, cast("MatchKind | None", kind))


class Deduplicator:
    """Streaming dedup: add texts one by one; each is checked against every kept text so far.

    Storage: in memory by default; ``path="feed.index"`` keeps an SQLite index on disk
    (recommended for pipelines: it survives restarts and can be shared by processes on one
    host); ``redis_url="redis://host:6379/0"`` shares one index between processes and hosts,
    under ``namespace``. ``store=`` takes the same with every option typed and checked:
    :class:`~arabic_dedup.SQLiteOptions` (``busy_timeout``, ``synchronous``),
    :class:`~arabic_dedup.RedisOptions` (``namespace``, ``retries``, socket timeouts) or
    :class:`~arabic_dedup.MemoryOptions`; ``path=`` and ``redis_url=`` are shortcuts for the
    first two with their defaults, so give either a shortcut or ``store=``. ``ttl`` (seconds)
    forgets records that old, so an index can hold "the last 30 days". Persistent indexes take
    ``str`` keys and refuse to open with other parameters than they were built with
    (:class:`~arabic_dedup.IndexMismatchError`).

    >>> d = Deduplicator(threshold=0.5)
    >>> d.add("a1", "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في مدينة الرياض") is None
    True
    >>> d.add("a2", "اعلنت وزارة الصحه اليوم عن افتتاح مستشفى جديد فى مدينة الرياض")
    Match(key='a1', similarity=1.0, kind='copy')
    >>> len(d), "a2" in d
    (2, True)
    """

    def __init__(
        self,
        *,
        config: DedupConfig | None = None,
        path: str | os.PathLike[str] | None = None,
        redis_url: str | None = None,
        namespace: str | None = None,
        store: StoreOptions | None = None,
        ttl: float | None = None,
        **options: Any,
    ) -> None:
        self.config = resolve_config(config, options)
        df = self.config.boilerplate
        opts = store_options(path=path, redis_url=redis_url, namespace=namespace, store=store)
        if ttl is not None and (
            isinstance(ttl, bool) or not isinstance(ttl, int | float) or not ttl > 0
        ):
            raise ConfigError(f"ttl must be a positive number of seconds or None, got {ttl!r}")
        self.ttl = None if ttl is None else float(ttl)
        self._verifier = self.config.verifier
        # Without max_df nothing is common (found.common is empty), so any rule drops nothing.
        self._rule = df or BoilerplateRule.of("auto")
        self._hasher = self.config.hasher()
        self._bands, self._rows = self.config.banding()
        self._store: Store = open_store(opts, df=df)
        try:
            p = self.params
            # facts_version only with the fact check on: an index without fingerprints
            # (facts="off") opens whatever the reading.
            params = {k: p[k] for k in INDEX_PARAMS if k in p}
            requested = encode_params({"format": STORE_FORMAT, **params})
            check_index_params(self._store.init_meta(requested), requested, opts.where)
        except BaseException:
            self._store.close()
            raise

    @property
    def params(self) -> dict[str, Any]:
        return {**self.config.as_dict(), **self._hasher.params}

    # -- hashing ------------------------------------------------------------------------------
    def _hashes(self, text: str, key: Hashable = None) -> tuple[U32, U32]:
        """Shingle hashes and fact fingerprint of one text."""
        _check_text(text, key)
        sets, facts = self._hash_all([text])
        return sets[0], facts[0]

    def _hash_all(self, texts: list[str]) -> tuple[ShingleSets, ShingleSets]:
        """Shingle hashes and fact fingerprints of ``texts`` (with the fact check off, every
        fingerprint is empty, ``NO_FACTS``, and none is computed)."""
        if self._verifier.facts is not None:
            return self._hasher.shingle_fact_sets(texts)
        sets = self._hasher.shingle_sets(texts)
        return sets, ShingleSets(NO_FACTS, np.zeros(len(sets) + 1, dtype=np.int64))

    def _band_hashes(self, hashes: NDArray[np.uint32]) -> NDArray[np.uint64]:
        if not in_buckets(np.array([hashes.size]))[0]:
            return np.empty(0, dtype=np.uint64)  # kept, filed in no bucket
        sig = self._hasher.signature_from_hashes(hashes)
        bh: NDArray[np.uint64] = band_hashes(sig[None, :], self._bands, self._rows)[0]
        return bh

    def _verified(self, hashes: U32, facts: U32, found: Found) -> list[Match]:
        """The candidates that ``hashes`` duplicates, most similar first.

        Both sides are compared without the shingles common in the snapshot ``found`` was read
        in (see :mod:`._boilerplate`). At 1M documents indexed a text can share a bucket with
        hundreds of kept texts (templates, bulletins), so the candidates are first bounded
        with the text's own common shingles only: |A' ∩ B'| <= |A' ∩ B|, hence Jaccard
        <= |A' ∩ B| / |A'| and containment <= |A' ∩ B| / min(|A'|, |B| / 4) (an unexempt
        text keeps over a quarter of its shingles). The exact score, which needs each
        candidate's own common shingles, is computed for the few the bound leaves (the bound
        is cut at ``Verifier.lowest``: the boilerplate and fact rescues accept pairs under the
        threshold). Then the verifier decides, with ``facts`` and the candidates'
        fingerprints when the fact check is on.
        """
        cands = found.candidates
        if not cands:
            return []
        kind = self.config.similarity
        rule = self._rule
        mine = drop_common(ShingleSets.from_arrays([hashes]), found.common(()), rule).hashes
        if mine.size == 0:
            return []  # nothing left to compare: similarity 0 with every candidate
        sets = ShingleSets.from_arrays([mine, *(c.hashes for c in cands)])
        inter = intersections(sets, pairs_with_first(len(cands))).astype(np.float64)
        if kind == "jaccard":
            bound = inter / mine.size
        else:
            bound = inter / np.minimum(mine.size, sets.sizes()[1:] * (1 - rule.exempt_share))
        verifier = self._verifier
        cut = verifier.lowest * (1 - 1e-9)
        alive = [cands[i] for i in np.flatnonzero(bound >= cut)]
        if not alive:
            return []
        # Exact: the text and the remaining candidates in one CSR structure, one kernel call.
        sets = ShingleSets.from_arrays([hashes, *(c.hashes for c in alive)])
        common = found.common(alive)
        sims = similarities_to_first(drop_common(sets, common, rule), kind)
        pairs = pairs_with_first(len(alive))
        fsets = None
        if verifier.facts is not None:
            fsets = ShingleSets.from_arrays([facts, *(c.facts for c in alive)])
        ok, kinds = verifier.decide(sims, pairs, fsets)
        verifier.rescued(sims, ok, kinds, pairs, lambda at: verifier.scores(sets, pairs[at]), fsets)
        hits = np.flatnonzero(ok)
        # Most similar first; ties go to the earliest kept text, the same in every store.
        order = sorted(hits.tolist(), key=lambda i: (-sims[i], alive[i].seq))
        names = [None] * len(alive) if kinds is None else [MATCH_KINDS[k] for k in kinds]
        return [Match(alive[i].key, float(sims[i]), names[i]) for i in order]

    # -- the API ------------------------------------------------------------------------------
    def query(self, text: str) -> list[Match]:
        """Every kept text that ``text`` duplicates, most similar first (nothing is recorded)."""
        return self._query_hashes(*self._hashes(text))

    def _query_hashes(self, hashes: U32, facts: U32) -> list[Match]:
        bands = self._band_hashes(hashes)
        if bands.size == 0:
            return []
        return self._store.candidates(
            hashes, bands, lambda found: self._verified(hashes, facts, found)
        )

    def add(self, key: Hashable, text: str) -> Match | None:
        """Record ``text`` under ``key``: None if it is new (kept), else its best match.

        Returns once the record is committed (on disk, or in Redis). KeyError if ``key`` is
        already recorded.
        """
        return self._add_hashes(key, *self._hashes(text, key))

    def add_many(self, items: Iterable[tuple[Hashable, str]]) -> list[Match | None]:
        """``add`` each ``(key, text)`` in order, hashing texts in batches (much faster).

        Each text is still checked against every text kept before it, including earlier ones
        in the same call. Every add before a failing one stays recorded. An SQLite index
        commits each batch of 1,024 adds as one transaction (other writers wait for the
        batch); adds are acknowledged when the call returns. A full disk
        (:class:`~arabic_dedup.IndexFullError`) rolls an SQLite batch back whole: the adds
        before the failing one in its batch are not recorded, earlier batches are.
        """
        if isinstance(items, str | bytes) or not isinstance(items, Iterable):
            raise InputError(
                f"add_many takes an iterable of (key, text) pairs, got {type(items).__name__}"
            )
        out: list[Match | None] = []
        batch: list[tuple[Hashable, str]] = []
        for n, item in enumerate(items):
            if not isinstance(item, tuple | list) or len(item) != 2:
                self._add_batch(batch)  # every add before the bad item is recorded
                raise InputError(
                    f"add_many item {n} must be a (key, text) pair, got "
                    + (f"{len(item)} values" if isinstance(item, tuple | list)
                       else type(item).__name__)
                    + (" (the adds before it are recorded)" if n else "")
                )  # fmt: skip
            batch.append((item[0], item[1]))
            if len(batch) == _BATCH:
                out += self._add_batch(batch)
                batch = []
        out += self._add_batch(batch)
        return out

    def _add_batch(self, batch: list[tuple[Hashable, str]]) -> list[Match | None]:
        if not batch:
            return []
        for key, text in batch:
            _check_text(text, key)
        sets, facts = self._hash_all([t for _, t in batch])
        with self._store.batch():
            return [self._add_hashes(key, sets[i], facts[i]) for i, (key, _) in enumerate(batch)]

    def _add_hashes(self, key: Hashable, hashes: U32, facts: U32) -> Match | None:
        def decide(found: Found) -> Decision:
            matches = self._verified(hashes, facts, found)
            return (matches[0].key, matches[0].similarity, matches[0].kind) if matches else None

        bands = self._band_hashes(hashes)
        decision = self._store.add(key, hashes, bands, decide, ttl=self.ttl, facts=facts)
        return None if decision is None else _match(*decision)

    def lookup(self, key: Hashable) -> Match | None:
        """What ``add`` recorded for ``key``: None if kept, else its match. KeyError if absent."""
        rec = self._store.get(key)
        if rec is None:
            raise KeyError(key)
        if rec.duplicate_of is None:
            return None
        return _match(rec.duplicate_of, rec.similarity, rec.kind)

    def remove(self, key: Hashable) -> None:
        """Forget ``key``. Duplicates recorded against it keep their record. KeyError if absent."""
        self._store.remove(key)

    def __delitem__(self, key: Hashable) -> None:
        self.remove(key)

    def stats(self) -> IndexStats:
        """Live records (kept, duplicates) and the bytes the index takes in its store."""
        return self._store.stats()

    def close(self) -> None:
        """Release the file or connection; the index stays where it is."""
        self._store.close()

    def __enter__(self) -> Deduplicator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __len__(self) -> int:
        return self._store.count()

    def __contains__(self, key: object) -> bool:
        try:
            return self._store.get(key) is not None
        except (TypeError, InputError):
            return False

    def __iter__(self) -> Iterator[Hashable]:
        """Every live key (insertion order in memory and SQLite; any order in Redis)."""
        return self._store.keys()
