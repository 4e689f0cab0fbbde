"""Stage 7: the batch dedup API — ``find_duplicates`` (streams: :mod:`._stream`).

Pipeline: normalise -> tokens -> shingles (:mod:`._shingle`) -> MinHash (:mod:`._minhash`)
-> LSH candidates (:mod:`._lsh`) -> exact verification (:mod:`._verify`) -> star clusters
(:mod:`._cluster`) -> keep decision.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple, TypeVar, overload

import numpy as np
from numpy.typing import NDArray

from ._boilerplate import filter_boilerplate
from ._cluster import Clusters, star_clusters
from ._errors import ConfigError, InputError
from ._lsh import candidate_pairs, check_params, optimal_params
from ._minhash import MinHasher
from ._normalize import NormalizerConfig
from ._shingle import ShingleConfig, ShingleSets, ShingleUnit
from ._verify import SIMILARITIES, Similarity, verify_pairs

__all__ = [
    "DEFAULT_THRESHOLD",
    "DEFAULT_THRESHOLDS",
    "DedupConfig",
    "DedupResult",
    "Pair",
    "Pairs",
    "find_duplicates",
]

# Chosen by benchmarks/bench_quality.py (docs/benchmarks/quality.md): the levels at which real
# syndicated copies merge and same-template bulletins do not.
DEFAULT_THRESHOLDS: dict[str, float] = {"jaccard": 0.3, "containment": 0.55}
DEFAULT_THRESHOLD = DEFAULT_THRESHOLDS["jaccard"]
KeepPolicy = Literal["first", "longest"]
_T = TypeVar("_T")


@dataclass(frozen=True)
class DedupConfig:
    """Every option of the detector; ``find_duplicates`` and ``Deduplicator`` take these as
    keyword arguments.

    threshold:      minimum verified similarity for two texts to be duplicates; by default
                    0.3 for Jaccard and 0.55 for containment (see DEFAULT_THRESHOLDS).
    similarity:     ``"jaccard"`` (same text) or ``"containment"`` (shorter inside longer).
    num_perm, seed: MinHash size and seed (recorded with every result and index).
    shingle_unit, k: word or character shingles, and their size (0 = the unit's default).
    bands, rows:    explicit LSH banding; by default derived from ``lsh_threshold``.
    lsh_threshold:  the Jaccard level LSH aims at; by default below ``threshold`` so that pairs
                    just above it are not lost to the S-curve (verification removes the rest).
    max_df:         shingles found in more than this many documents (or this fraction, if
                    < 1) are boilerplate — outlet headers and footers, template formulas — and
                    are ignored when comparing; "auto" = max(30, 0.1 % of the corpus);
                    ``None`` keeps every shingle (see :mod:`._boilerplate`).
    normalizer:     the normaliser configuration.
    """

    threshold: float | None = None
    similarity: Similarity = "jaccard"
    num_perm: int = 128
    seed: int = 1
    shingle_unit: ShingleUnit = "word"
    k: int = 0
    bands: int | None = None
    rows: int | None = None
    lsh_threshold: float | None = None
    max_df: float | Literal["auto"] | None = "auto"
    normalizer: NormalizerConfig = field(default_factory=NormalizerConfig)

    def __post_init__(self) -> None:
        if self.similarity not in SIMILARITIES:
            raise ConfigError(
                f"similarity must be one of {', '.join(SIMILARITIES)}, got {self.similarity!r}"
            )
        t = self.threshold
        if t is None:
            object.__setattr__(self, "threshold", DEFAULT_THRESHOLDS[self.similarity])
        elif isinstance(t, bool) or not isinstance(t, int | float) or not 0.0 < t <= 1.0:
            raise ConfigError(f"threshold must be a number in (0, 1], got {t!r}")
        if (self.bands is None) != (self.rows is None):
            raise ConfigError(
                f"give both bands and rows or neither, got bands={self.bands!r}, rows={self.rows!r}"
            )
        if self.bands is not None and self.rows is not None:
            check_params(self.bands, self.rows, self.num_perm)
        lt = self.lsh_threshold
        if lt is not None and not 0.0 < lt < 1.0:
            raise ConfigError(f"lsh_threshold must be in (0, 1), got {lt!r}")
        m = self.max_df
        if (
            m is not None
            and m != "auto"
            and (isinstance(m, bool) or not isinstance(m, int | float) or not m > 0)
        ):
            raise ConfigError(f"max_df must be 'auto', a positive number or None, got {m!r}")
        if not isinstance(self.normalizer, NormalizerConfig):
            raise ConfigError(
                f"normalizer must be a NormalizerConfig, got {type(self.normalizer).__name__}"
            )
        ShingleConfig(unit=self.shingle_unit, k=self.k)  # validates unit and k

    @property
    def cutoff(self) -> float:
        """The similarity threshold in force (``threshold``, or the similarity's default)."""
        t = self.threshold
        return DEFAULT_THRESHOLDS[self.similarity] if t is None else float(t)

    @property
    def shingle(self) -> ShingleConfig:
        return ShingleConfig(unit=self.shingle_unit, k=self.k)

    def banding(self) -> tuple[int, int]:
        if self.bands is not None and self.rows is not None:
            return self.bands, self.rows
        return optimal_params(self.effective_lsh_threshold(), self.num_perm)

    def effective_lsh_threshold(self) -> float:
        if self.lsh_threshold is not None:
            return self.lsh_threshold
        if self.similarity == "containment":
            # A short text inside a long one has a low Jaccard (a third-length copy: ~0.3 of
            # the containment): aim LSH low; verification keeps only true containment.
            return max(0.05, round(0.2 * self.cutoff, 2))
        return max(0.05, round(0.7 * self.cutoff, 3))

    def hasher(self) -> MinHasher:
        return MinHasher(
            num_perm=self.num_perm, seed=self.seed, shingle=self.shingle, normalizer=self.normalizer
        )

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        d = asdict(self)
        d["threshold"] = self.cutoff
        d["k"] = self.shingle.k
        d["bands"], d["rows"] = self.banding()
        d["lsh_threshold"] = self.effective_lsh_threshold()
        return d


def _config(config: DedupConfig | None, options: dict[str, Any]) -> DedupConfig:
    import dataclasses

    valid = {f.name for f in dataclasses.fields(DedupConfig)}
    unknown = sorted(set(options) - valid)
    if unknown:
        raise ConfigError(
            f"unknown option(s) {', '.join(unknown)}; valid options: {', '.join(sorted(valid))}"
        )
    if config is None:
        return DedupConfig(**options)
    if not options:
        return config
    if (
        "similarity" in options
        and "threshold" not in options
        and config.threshold == DEFAULT_THRESHOLDS[config.similarity]
    ):
        # A defaulted threshold follows the similarity asked for.
        options = {**options, "threshold": None}
    return dataclasses.replace(config, **options)


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

    __slots__ = ("i", "j", "similarity")

    def __init__(
        self, i: NDArray[np.int64], j: NDArray[np.int64], similarity: NDArray[np.float64]
    ) -> None:
        self.i = np.asarray(i, dtype=np.int64)
        self.j = np.asarray(j, dtype=np.int64)
        self.similarity = np.asarray(similarity, dtype=np.float64)

    def __len__(self) -> int:
        return int(self.i.size)

    @overload
    def __getitem__(self, index: int) -> Pair: ...
    @overload
    def __getitem__(self, index: slice) -> Pairs: ...
    def __getitem__(self, index: int | slice) -> Pair | Pairs:
        if isinstance(index, slice):
            return Pairs(self.i[index], self.j[index], self.similarity[index])
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
    pairs:        every verified pair at or above the threshold.
    """

    cluster_ids: NDArray[np.int64]
    keep: NDArray[np.bool_]
    duplicate_of: list[int | None]
    similarity: NDArray[np.float64]
    pairs: Pairs
    params: dict[str, Any]

    def __len__(self) -> int:
        return len(self.keep)

    @property
    def n_duplicates(self) -> int:
        return int((~self.keep).sum())

    def kept(self) -> list[int]:
        """Indexes of the kept texts, in input order."""
        return np.flatnonzero(self.keep).tolist()

    def clusters(self, *, min_size: int = 2) -> dict[int, list[int]]:
        """Clusters with at least ``min_size`` members: kept index -> member indexes."""
        out: dict[int, list[int]] = {}
        for i, c in enumerate(self.cluster_ids.tolist()):
            out.setdefault(c, []).append(i)
        return {c: m for c, m in out.items() if len(m) >= min_size}


# Texts are read in batches: only their shingle hashes and lengths are kept, so an iterable
# over a corpus larger than memory can be deduplicated.
INPUT_BATCH = 10_000


def _read_sets(texts: Iterable[str], hasher: MinHasher) -> tuple[ShingleSets, NDArray[np.int64]]:
    """Shingle sets and lengths of every text, validating each as it is read."""
    if isinstance(texts, str | bytes):
        raise InputError(
            "find_duplicates takes a collection of texts, got a single "
            f"{type(texts).__name__}; wrap it in a list: find_duplicates([text])"
        )
    parts: list[ShingleSets] = []
    lengths: list[int] = []
    batch: list[str] = []
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            hint = " (decode bytes first, e.g. .decode('utf-8'))" if isinstance(t, bytes) else ""
            raise InputError(f"text #{i} must be str, got {type(t).__name__}{hint}")
        batch.append(t)
        lengths.append(len(t))
        if len(batch) == INPUT_BATCH:
            parts.append(hasher.shingle_sets(batch))
            batch = []
    if batch or not parts:
        parts.append(hasher.shingle_sets(batch))
    return ShingleSets.concatenate(parts), np.array(lengths, dtype=np.int64)


def _keep_order(
    lengths: NDArray[np.int64], keep: KeepPolicy | Callable[[int], Any]
) -> NDArray[np.int64]:
    n = lengths.size
    if keep == "first":
        return np.arange(n, dtype=np.int64)
    if keep == "longest":
        return np.lexsort((np.arange(n), -lengths)).astype(np.int64)
    if callable(keep):
        return np.array(sorted(range(n), key=lambda i: (keep(i), i)), dtype=np.int64)
    raise ConfigError(
        f"keep must be 'first', 'longest' or a callable index -> sort key, got {keep!r}"
    )


def find_duplicates(
    texts: Iterable[str],
    /,
    *,
    config: DedupConfig | None = None,
    keep: KeepPolicy | Callable[[int], Any] = "first",
    **options: Any,
) -> DedupResult:
    """Find near-duplicate texts and decide which to keep.

    ``options`` are :class:`DedupConfig` fields (``threshold``, ``similarity``, ...).
    ``keep`` chooses the text kept per cluster: ``"first"`` (input order), ``"longest"``, or a
    callable mapping an index to a sort key (smallest kept), e.g. ``keep=lambda i: dates[i]``.

    >>> r = find_duplicates([
    ...     "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في مدينة الرياض بسعة مئتي سرير",
    ...     "اعلنت وزارة الصحه اليوم عن افتتاح مستشفى جديد فى مدينة الرياض بسعة مئتي سرير",
    ...     "هطلت أمطار غزيرة على مدينة جدة مساء أمس وتسببت في إغلاق عدد من الطرق",
    ... ])
    >>> r.keep.tolist(), r.duplicate_of
    ([True, False, True], [None, 0, None])
    """
    cfg = _config(config, options)
    if not (keep in ("first", "longest") or callable(keep)):
        _keep_order(np.zeros(0, dtype=np.int64), keep)  # raises the ConfigError
    hasher = cfg.hasher()
    sets, lengths = _read_sets(texts, hasher)
    order = _keep_order(lengths, keep)
    n = len(sets)
    handover = [sets]  # detect() empties it, so the unfiltered sets can be freed
    del sets
    det = detect(handover, order, config=cfg, hasher=hasher)
    rep = det.clusters.representative
    keep_mask = rep == np.arange(n)
    dup_of: list[int | None] = [
        None if k else int(r) for k, r in zip(keep_mask.tolist(), rep.tolist(), strict=True)
    ]
    params = {**det.params, "keep": keep if isinstance(keep, str) else "key"}
    return DedupResult(
        cluster_ids=rep,
        keep=keep_mask,
        duplicate_of=dup_of,
        similarity=det.clusters.similarity,
        pairs=Pairs(det.pairs[:, 0], det.pairs[:, 1], det.pair_similarity),
        params=params,
    )


@dataclass(frozen=True)
class Detection:
    """What the stages after shingling found (see :func:`detect`)."""

    clusters: Clusters
    pairs: NDArray[np.int64]  # verified pairs (i < j) at or above the threshold
    pair_similarity: NDArray[np.float64]
    params: dict[str, Any]
    timings: dict[str, float]


def detect(
    sets: ShingleSets | list[ShingleSets],
    order: NDArray[np.int64],
    *,
    config: DedupConfig,
    hasher: MinHasher,
    on_stage: Callable[[str, bool], None] | None = None,
) -> Detection:
    """Every stage after shingling: boilerplate -> signatures -> LSH -> verify -> clusters.

    The one implementation behind ``find_duplicates``, the file pipeline (which computes
    ``sets`` in batches without holding the texts) and the tests. ``order`` is the keep order;
    ``on_stage(name, finished)`` is called around each stage (progress reporting).

    ``sets`` may be handed over in a one-element list, which is emptied: then nothing else
    holds the unfiltered sets and they are freed once boilerplate is filtered (1.3 GB at 1M
    documents). A plain argument cannot be freed: the caller's frame holds it during the call.
    """
    if isinstance(sets, list):
        sets = sets.pop()
    timings: dict[str, float] = {}

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        if on_stage:
            on_stage(name, False)
        t0 = time.perf_counter()
        yield
        timings[name] = round(time.perf_counter() - t0, 6)
        if on_stage:
            on_stage(name, True)

    if config.max_df is not None:
        with stage("boilerplate"):
            sets = filter_boilerplate(sets, config.max_df)
    with stage("signatures"):
        sigs = hasher.signatures_from_sets(sets)
    bands, rows = config.banding()
    with stage("candidates"):
        cand = candidate_pairs(sigs, bands, rows, active=sets.sizes() > 0)
        del sigs
    with stage("verify"):
        sims = verify_pairs(sets, cand, config.similarity)
        ok = sims >= config.cutoff
        pairs, psims = cand[ok], sims[ok]
        del cand, sims
    n = len(sets)
    del sets
    with stage("cluster"):
        clusters = star_clusters(n, pairs, psims, order)
    params = {**config.as_dict(), **hasher.params}
    return Detection(clusters, pairs, psims, params, timings)
