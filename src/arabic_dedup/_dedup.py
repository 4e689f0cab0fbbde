"""Stage 7: the batch dedup API — ``find_duplicates`` (streams: :mod:`._stream`).

Pipeline: normalise -> tokens -> shingles (:mod:`._shingle`) -> MinHash (:mod:`._minhash`)
-> LSH candidates (:mod:`._lsh`) -> exact verification (:mod:`._verify`) -> star clusters
(:mod:`._cluster`) -> keep decision.
"""

from __future__ import annotations

import os
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, TypeVar, overload

import numpy as np
from numpy.typing import NDArray

from ._boilerplate import CorpusStats
from ._cluster import (
    Clusters,
    cluster_sizes,
    grouped_star_clusters,
    kind_names,
    listed_pairs,
    match_kinds,
)
from ._config import DedupConfig, resolve_config
from ._errors import InputError
from ._facts import MATCH_KINDS, MatchKind
from ._keep import KeepPolicy, KeepRule, keep_order
from ._lsh import GIANT_BUCKET
from ._memory import (
    DEFAULT_MEMORY_LIMIT,
    MemoryLimit,
    MemoryPlan,
    Pass1Sink,
    SetArena,
    SpillDir,
)
from ._minhash import MinHasher
from ._shingle import ShingleSets
from ._sources import MemorySets, SetSource, SpilledSets, Tick
from ._verify import Verifier

__all__ = [
    "DedupResult",
    "Pair",
    "Pairs",
    "find_duplicates",
]

_T = TypeVar("_T")
#: ``detect``'s ``on_verify``: candidate pairs (distinct-set rows), similarities, accepted,
#: and the first document of each row.
VerifyHook = Callable[
    [NDArray[np.int64], NDArray[np.float64], NDArray[np.bool_], NDArray[np.int64]], None
]


class Pair(NamedTuple):
    """A verified near-duplicate pair: indexes ``i < j`` and their similarity."""

    i: int
    j: int
    similarity: float


class Pairs(Sequence[Pair]):
    """Verified pairs, held as three arrays (millions of pairs cost 20 bytes each, not a
    Python object each); indexing and iteration give :class:`Pair`.

    >>> p = Pairs(np.array([0]), np.array([2]), np.array([0.75]))
    >>> list(p), p == [(0, 2, 0.75)]
    ([Pair(i=0, j=2, similarity=0.75)], True)
    """

    __slots__ = ("i", "j", "kind", "similarity")

    def __init__(
        self,
        i: NDArray[np.int64],
        j: NDArray[np.int64],
        similarity: NDArray[np.float64],
        kind: NDArray[np.int8] | None = None,
    ) -> None:
        self.i = np.asarray(i, dtype=np.int64)
        self.j = np.asarray(j, dtype=np.int64)
        self.similarity = np.asarray(similarity, dtype=np.float64)
        #: Each pair's match kind as the fact check judged it (index into ``MATCH_KINDS``:
        #: copy, partial, update...), or None when the check is off (``facts="off"``).
        self.kind = None if kind is None else np.asarray(kind, dtype=np.int8)

    def kinds(self) -> list[MatchKind] | None:
        """Each pair's match kind by name (None when the fact check is off).

        >>> copy = MATCH_KINDS.index("copy")
        >>> Pairs(np.array([0]), np.array([2]), np.array([0.75]), np.array([copy])).kinds()
        ['copy']
        """
        return None if self.kind is None else [MATCH_KINDS[k] for k in self.kind.tolist()]

    def __len__(self) -> int:
        return int(self.i.size)

    @overload
    def __getitem__(self, index: int) -> Pair: ...
    @overload
    def __getitem__(self, index: slice) -> Pairs: ...
    def __getitem__(self, index: int | slice) -> Pair | Pairs:
        if isinstance(index, slice):
            kind = None if self.kind is None else self.kind[index]
            return Pairs(self.i[index], self.j[index], self.similarity[index], kind)
        return Pair(int(self.i[index]), int(self.j[index]), float(self.similarity[index]))

    def __iter__(self) -> Iterator[Pair]:
        for i, j, s in zip(self.i.tolist(), self.j.tolist(), self.similarity.tolist(), strict=True):
            yield Pair(i, j, s)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Pairs):
            return (
                np.array_equal(self.i, other.i)
                and np.array_equal(self.j, other.j)
                and np.array_equal(self.similarity, other.similarity)
                and (
                    self.kind is None
                    if other.kind is None
                    else self.kind is not None and np.array_equal(self.kind, other.kind)
                )
            )
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(
                tuple(a) == tuple(b) for a, b in zip(self, other, strict=True)
            )
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        head = ", ".join(repr(p) for p in self[:3])
        more = f", ... ({len(self)} pairs)" if len(self) > 3 else ""
        return f"Pairs([{head}{more}])"


@dataclass(frozen=True)
class DedupResult:
    """What ``find_duplicates`` found, one entry per input text.

    cluster_ids:  equal id = same cluster; the id is the index of the cluster's kept text.
    keep:         True for the one text kept per cluster.
    duplicate_of: index of the kept text this one duplicates, or None.
    similarity:   similarity to the kept text (1.0 for kept texts).
    pairs:        every verified duplicate pair (with ``facts`` on, those the fact check
                  joined, each with its match kind), except inside "giant" LSH
                  buckets (more than ``GIANT_BUCKET`` documents, e.g. 10^5 copies of a
                  cookie notice), where all pairs would be quadratic: there only each
                  duplicate's pair with its kept text, and each exact copy's pair (1.0)
                  with its first copy in keep order (see ``_cluster.listed_pairs``).
    match_kind:   how each duplicate matches its kept text: "exact" (the same shingles after
                  normalisation, boilerplate ignored), "near", "boilerplate" (a near copy
                  joined by the boilerplate rescue: its ``similarity``, the filtered one, is
                  under the threshold) or, with ``facts="join"``, "update" (the same text
                  with a figure revised); None for kept texts (the names are
                  ``_cluster.MATCH_KINDS``).
    """

    cluster_ids: NDArray[np.int64]
    keep: NDArray[np.bool_]
    duplicate_of: list[int | None]
    similarity: NDArray[np.float64]
    pairs: Pairs
    params: dict[str, Any]
    match_kind: list[str | None]
    spill: dict[str, Any] = field(default_factory=dict)
    """Whether the run spilled to disk under its memory limit: ``spilled``, ``limit_bytes``,
    ``disk_bytes`` (the most temporary disk used at once), ``passes`` (reads of the spilled
    sets), ``tmp_dir`` (where they were; removed)."""
    no_words: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Indexes of the texts with nothing to compare: empty, whitespace-only, or only
    characters the normaliser removes (emoji, punctuation, symbols). Each is kept and joins
    nothing, not even an identical text, so its ``keep`` says nothing about uniqueness."""

    def __len__(self) -> int:
        return len(self.keep)

    @property
    def n_duplicates(self) -> int:
        return int((~self.keep).sum())

    def kept(self) -> list[int]:
        """Indexes of the kept texts, in input order."""
        return np.flatnonzero(self.keep).tolist()

    def cluster_sizes(self) -> NDArray[np.int64]:
        """The size of each text's cluster (1 for a text without duplicates), kept text
        included: the weight FineWeb-2-style pipelines up-sample by."""
        return cluster_sizes(self.cluster_ids)

    def clusters(self, *, min_size: int = 2) -> dict[int, list[int]]:
        """Clusters with at least ``min_size`` members: kept index -> member indexes."""
        out: dict[int, list[int]] = {}
        for i, c in enumerate(self.cluster_ids.tolist()):
            out.setdefault(c, []).append(i)
        return {c: m for c, m in out.items() if len(m) >= min_size}


# Texts are read in batches: only their shingle hashes and lengths are kept, so an iterable
# over a corpus larger than memory can be deduplicated.
INPUT_BATCH = 10_000


def read_sets(texts: Iterable[str], hasher: MinHasher) -> tuple[ShingleSets, NDArray[np.int64]]:
    """Shingle sets and lengths of every text, validating each as it is read (in memory)."""
    sets, lengths, _ = read_all(texts, hasher, facts=False)
    return sets, lengths


def read_all(
    texts: Iterable[str], hasher: MinHasher, *, facts: bool
) -> tuple[ShingleSets, NDArray[np.int64], ShingleSets | None]:
    """Shingle sets, lengths and (``facts``) fact fingerprints of every text, in memory."""
    sink = Pass1Sink(MemoryPlan(None), SpillDir(), facts=facts)
    lengths = read_texts(texts, hasher, sink)
    sets, fsets = sink.result()
    assert isinstance(sets, ShingleSets)  # no limit: never spilled
    assert fsets is None or isinstance(fsets, ShingleSets)
    return sets, lengths, fsets


def read_texts(texts: Iterable[str], hasher: MinHasher, sink: Pass1Sink) -> NDArray[np.int64]:
    """Put every text's shingle set (and, if the sink takes them, fact fingerprints) into
    ``sink``, validating each text as it is read; returns the texts' lengths."""
    if isinstance(texts, str | bytes):
        raise InputError(
            "find_duplicates takes a collection of texts, got a single "
            f"{type(texts).__name__}; wrap it in a list: find_duplicates([text])"
        )
    lengths = array("q")  # 8 bytes a text, not a Python int each
    batch: list[str] = []
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            hint = " (decode bytes first, e.g. .decode('utf-8'))" if isinstance(t, bytes) else ""
            raise InputError(f"text #{i} must be str, got {type(t).__name__}{hint}")
        batch.append(t)
        lengths.append(len(t))
        if len(batch) == INPUT_BATCH:
            shingle_batch(hasher, batch, sink)
            batch = []
    if batch or not lengths:
        shingle_batch(hasher, batch, sink)
    return np.frombuffer(lengths, dtype=np.int64).copy() if lengths else np.zeros(0, np.int64)


def shingle_batch(hasher: MinHasher, batch: list[str], sink: Pass1Sink) -> NDArray[np.int64]:
    """One batch of texts into ``sink``: shingle sets, and fact fingerprints if it takes them.
    Returns the indexes, in ``batch``, of the texts without a shingle (no words after
    normalisation)."""
    if sink.facts:
        sets, facts = hasher.shingle_fact_sets(batch)
        return sink.add(sets, facts)
    return sink.add(hasher.shingle_sets(batch))


def sets_source(
    sink: Pass1Sink, plan: MemoryPlan, spill: SpillDir, tick: Tick | None = None
) -> tuple[list[ShingleSets] | SpilledSets, ShingleSets | None]:
    """What pass 1 gathered, as ``detect`` takes it: the sets handed over in a list (so
    ``detect`` can free them) and the facts, or the spilled arenas."""
    sets, facts = sink.result()
    if isinstance(sets, SetArena):
        assert facts is None or isinstance(facts, SetArena)
        return SpilledSets(sets, facts, spill, plan, tick), None
    assert facts is None or isinstance(facts, ShingleSets)
    return [sets], facts


def find_duplicates(
    texts: Iterable[str],
    /,
    *,
    config: DedupConfig | None = None,
    keep: KeepPolicy | KeepRule | Callable[[int], Any] = "first",
    memory_limit: MemoryLimit | MemoryPlan = DEFAULT_MEMORY_LIMIT,
    tmp_dir: str | os.PathLike[str] | None = None,
    **options: Any,
) -> DedupResult:
    """Find near-duplicate texts and decide which to keep.

    ``options`` are :class:`DedupConfig` fields (``threshold``, ``similarity``, ...).
    ``keep`` chooses the text kept per cluster: ``"first"`` (input order), ``"longest"``, a
    :class:`KeepRule` (``KeepRule("earliest", by=dates)``, a source priority), or a callable
    mapping an index to a sort key (smallest kept), e.g. ``keep=lambda i: dates[i]``.

    ``memory_limit`` bounds the memory the detector uses: "auto" (half of the machine's),
    a size ("2GB", "512MB") or bytes, or None (no limit). Over it, the shingle sets spill to
    files in ``tmp_dir`` (default: the system's temporary directory), removed when the call
    returns or fails; the decisions are the same (``DedupResult.spill`` says what spilled).
    Only the texts' shingle hashes are kept, so ``texts`` may be a generator over a corpus
    larger than memory.

    >>> r = find_duplicates([
    ...     "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في مدينة الرياض بسعة مئتي سرير",
    ...     "اعلنت وزارة الصحه اليوم عن افتتاح مستشفى جديد فى مدينة الرياض بسعة مئتي سرير",
    ...     "هطلت أمطار غزيرة على مدينة جدة مساء أمس وتسببت في إغلاق عدد من الطرق",
    ... ])
    >>> r.keep.tolist(), r.duplicate_of
    ([True, False, True], [None, 0, None])
    """
    if isinstance(texts, str | bytes) or not isinstance(texts, Iterable):
        raise InputError(
            f"texts must be an iterable of str (a list, a generator, a pandas Series), got "
            f"{type(texts).__name__}"
            + (": wrap one text in a list" if isinstance(texts, str) else "")
        )
    cfg = resolve_config(config, options)
    if not (keep in ("first", "longest") or isinstance(keep, KeepRule) or callable(keep)):
        keep_order(np.zeros(0, dtype=np.int64), keep)  # raises the ConfigError
    hasher = cfg.hasher()
    plan = MemoryPlan.of(memory_limit)
    with SpillDir(tmp_dir) as spill:
        sink = Pass1Sink(plan, spill, facts=cfg.fact_rule is not None)
        lengths = read_texts(texts, hasher, sink)
        order = keep_order(lengths, keep)
        n = lengths.size
        no_words = sink.shingle_free
        handover, fsets = sets_source(sink, plan, spill)  # detect() empties the list
        del sink
        det = detect(handover, order, config=cfg, hasher=hasher, facts=fsets)
    rep = det.clusters.representative
    keep_mask = rep == np.arange(n)
    dup_of: list[int | None] = [
        None if k else int(r) for k, r in zip(keep_mask.tolist(), rep.tolist(), strict=True)
    ]
    params = {**det.params, "keep": _keep_param(keep)}
    return DedupResult(
        cluster_ids=rep,
        keep=keep_mask,
        duplicate_of=dup_of,
        similarity=det.clusters.similarity,
        pairs=Pairs(det.pairs[:, 0], det.pairs[:, 1], det.pair_similarity, det.pair_kind),
        params=params,
        match_kind=kind_names(det.kinds),
        spill=spill.report(plan),
        no_words=no_words,
    )


def _keep_param(keep: KeepPolicy | KeepRule | Callable[[int], Any]) -> Any:
    if isinstance(keep, str):
        return keep
    return keep.describe() if isinstance(keep, KeepRule) else "key"


@dataclass(frozen=True)
class Detection:
    """What the stages after shingling found (see :func:`detect`)."""

    clusters: Clusters
    pairs: NDArray[np.int64]  # verified pairs (i < j): at the threshold, or rescued
    pair_similarity: NDArray[np.float64]
    pair_kind: NDArray[np.int8] | None  # match kinds (MATCH_KINDS), None: no fact check
    params: dict[str, Any]
    timings: dict[str, float]
    stats: CorpusStats | None = None  # what the boilerplate rule learned (None: no max_df)
    kinds: NDArray[np.int8] = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    """``_cluster.match_kinds`` of every document."""


def detect(
    sets: ShingleSets | list[ShingleSets] | SpilledSets,
    order: NDArray[np.int64],
    *,
    config: DedupConfig,
    hasher: MinHasher,
    on_stage: Callable[[str, bool], None] | None = None,
    giant_bucket: float | None = None,
    on_verify: VerifyHook | None = None,
    facts: ShingleSets | None = None,
) -> Detection:
    """Every stage after shingling: boilerplate -> signatures -> LSH -> verify -> clusters.

    The one implementation behind ``find_duplicates``, the file pipeline (which computes
    ``sets`` in batches without holding the texts) and the tests. ``order`` is the keep order;
    ``on_stage(name, finished)`` is called around each stage (progress reporting).

    ``sets`` may be handed over in a one-element list, which is emptied: then nothing else
    holds the unfiltered sets, and the boilerplate filter writes the filtered sets into their
    memory instead of beside them (1.3 GB at 1M documents). A plain argument is left as it
    is: the caller's frame holds it during the call.

    ``giant_bucket`` overrides ``GIANT_BUCKET`` (tests: ``float("inf")`` is the all-pairs
    path everywhere, a small number sends small corpora through the giant-bucket path).

    ``on_verify(pairs, sims, ok, rows)`` sees every verified candidate, rejected ones too
    (the HTML report's histogram and near misses): ``pairs`` index the distinct sets, ``rows``
    maps each to its first document.
    ``facts``: the documents' fact fingerprints (``MinHasher.shingle_fact_sets``), needed
    when ``config.facts`` is on; a group of identical shingle sets is judged by its first
    document's.
    """
    verifier = config.verifier
    owned = isinstance(sets, list)
    if isinstance(sets, list):
        sets = sets.pop()
    src = sets if isinstance(sets, SpilledSets) else MemorySets(sets, facts, owned=owned)
    del sets, facts  # src holds the only reference: the unfiltered sets can be freed
    timings: dict[str, float] = {}

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        if on_stage:
            on_stage(name, False)
        t0 = time.perf_counter()
        yield
        src.tidy()
        timings[name] = round(time.perf_counter() - t0, 6)
        if on_stage:
            on_stage(name, True)

    rule = config.boilerplate
    stats = None
    if rule is not None:
        with stage("boilerplate"):
            stats = src.drop_boilerplate(rule, keep_removed=verifier.rescue is not None)
    n = len(src)
    bands, rows = config.banding()
    with stage("signatures"):
        # Identical shingle sets (exact and normalised-exact copies) are one row from here
        # on: signatures, LSH and verification run once per distinct set.
        first = src.identical()
        rows_g = np.flatnonzero(first == np.arange(n))
        group = np.searchsorted(rows_g, first)
        del first
        src.keep_rows(rows_g)
        src.signatures(hasher, bands, rows)
    with stage("candidates"):
        cands = src.candidates(
            bands,
            rows,
            weights=np.bincount(group, minlength=rows_g.size),
            limit=GIANT_BUCKET if giant_bucket is None else giant_bucket,
        )
    with stage("verify"):
        sims, ok, cand_kinds, rescued = src.judge(verifier, cands.pairs)
        if on_verify:
            on_verify(cands.pairs, sims, ok, rows_g)
        rescued_pairs = cands.pairs[rescued]
        cands = replace(cands, pairs=cands.pairs[ok])
        psims = sims[ok]
        cand_kinds = None if cand_kinds is None else cand_kinds[ok]
        del sims
    # giant buckets are verified during clustering: only their members' sets are needed
    giant_sets = src.sets_for(cands.giant_members) if cands.n_giant else None
    giant_facts = src.facts_for(cands.giant_members)
    src.release()
    with stage("cluster"):
        clusters = grouped_star_clusters(
            order, group, psims, cands, giant_sets, verifier, giant_facts
        )
        del giant_sets, giant_facts
        pairs, psims = listed_pairs(order, group, psims, cands, clusters)
        kinds = _listed_kinds(verifier, src, group[pairs], psims, cands.pairs, cand_kinds)
    params = {**config.as_dict(), **hasher.params}
    updates = None if kinds is None else pairs[kinds == MATCH_KINDS.index("update")]
    member_kinds = match_kinds(group, clusters.representative, rescued_pairs, updates)
    return Detection(clusters, pairs, psims, kinds, params, timings, stats, member_kinds)


def _listed_kinds(
    verifier: Verifier,
    src: SetSource,
    gpairs: NDArray[np.int64],
    sims: NDArray[np.float64],
    judged: NDArray[np.int64],
    judged_kinds: NDArray[np.int8] | None,
) -> NDArray[np.int8] | None:
    """The match kinds of the listed pairs (as groups ``gpairs``): the verify stage's for the
    group pairs it judged (``judged``, sorted rows), the same pure judgement for the rest
    (pairs of identical sets, giant-bucket pairs)."""
    if judged_kinds is None:
        return None
    m = np.int64(len(src))
    key = np.minimum(gpairs[:, 0], gpairs[:, 1]) * m + np.maximum(gpairs[:, 0], gpairs[:, 1])
    jkey = np.minimum(judged[:, 0], judged[:, 1]) * m + np.maximum(judged[:, 0], judged[:, 1])
    by = np.argsort(jkey, kind="stable")
    jkey = jkey[by]
    at = np.minimum(np.searchsorted(jkey, key), max(jkey.size - 1, 0))
    found = (jkey[at] == key) if jkey.size else np.zeros(key.size, dtype=bool)
    out = np.empty(key.size, dtype=np.int8)
    out[found] = judged_kinds[by][at[found]]
    rest = np.flatnonzero(~found)
    if rest.size:
        _, k = verifier.decide(sims[rest], gpairs[rest], src.facts_for(gpairs[rest].ravel()))
        assert k is not None  # the fact check is on
        out[rest] = k
    return out
