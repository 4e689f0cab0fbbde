"""Corpus-aware boilerplate: shingles that recur across very many documents.

Outlet headers and footers ("رابط الخبر بصحيفة ..."), share buttons and the fixed formulas of
bulletins and cables appear in hundreds of documents. They make unrelated texts look alike
(two weather bulletins, two congratulation cables) and copies with different boilerplate look
different, so ``find_duplicates`` ignores shingles whose document frequency exceeds ``max_df``.

One exception: a document that would lose most of its shingles this way is not carrying
boilerplate, it *is* the widely copied text (a wire story republished by more outlets than
``max_df``), so it keeps all of its shingles.

Measured on 280 hand-labelled SaudiNewsNet pairs (word 2-shingles, Jaccard >= 0.3): without the
filter 44 % of TEMPLATE pairs merge, with ``max_df=30`` 9 %, while COPY pairs stay at 100 %.

The rule is one frozen object, :class:`BoilerplateRule` (``DedupConfig.boilerplate``), and
every engine that applies it is handed that object: the reference (numpy) and the compiled
kernel here, Spark SQL (:mod:`arabic_dedup.spark`), and a stream's store and verifier. A stream
(:class:`~arabic_dedup.Deduplicator`) never holds the whole corpus: its store counts the
document frequency of every shingle over the texts seen so far, in ``2**cell_bits`` cells, and
each comparison drops the shingles above ``rule.limit(texts seen)`` at that moment, with the
same exemption. ``tests/test_rules.py`` runs every engine against this module.
"""

from __future__ import annotations

import dataclasses
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._engine import kernels
from ._errors import ConfigError
from ._shingle import ShingleSets

__all__ = [
    "AUTO_MAX_DF_FLOOR",
    "AUTO_MAX_DF_FRACTION",
    "DF_CELL_BITS",
    "EXEMPT_SHARE",
    "RESCUE_RATIO",
    "BoilerplateRescue",
    "BoilerplateRule",
    "CorpusStats",
    "WindowFilter",
    "drop_common",
    "full_sets",
    "removed_shingles",
]

AUTO_MAX_DF_FLOOR = 30
# The largest max_df count: document frequencies are counted in 32-bit cells (a count above
# it could never be reached, and the compiled kernels take the limit as a machine number).
MAX_DF_COUNT = 2**31 - 1
AUTO_MAX_DF_FRACTION = 0.001
# A document losing at least this share of its shingles keeps them all (see module docstring).
EXEMPT_SHARE = 0.75
# Document frequencies are first counted in 2**DF_CELL_BITS cells by a hash's low bits (an
# upper bound of each hash's count; 16 MiB of counters, cache-friendly): the batch kernel
# counts exactly only the hashes in cells above the limit, and a stream's store keeps these
# cells as its counts (part of the stored index format).
DF_CELL_BITS = 22
# BoilerplateRescue's default: a pair at the threshold on its full shingle sets is also a
# duplicate when the filter leaves it at least this share of that similarity. Measured on the
# tuning split (benchmarks/recall_causes.py): COPY +11, PARTIAL +12, TEMPLATE -1 (0.6: fewer
# copies, 0.7: fewer still; docs/benchmarks/quality.md, "Where copies are lost").
RESCUE_RATIO = 0.55


@dataclass(frozen=True)
class BoilerplateRule:
    """``max_df`` as one rule: shingles in more than ``limit(n_docs) = max(floor, fraction *
    n_docs)`` documents are ignored, except by a document that would lose ``exempt_share`` of
    its shingles; document frequencies are counted in ``2**cell_bits`` cells.

    >>> rule = BoilerplateRule.of("auto")
    >>> rule.limit(1_000), rule.limit(100_000), BoilerplateRule.of(5).limit(10)
    (30, 100.0, 5)
    >>> BoilerplateRule.of(0.5).limit(10), rule.exempt(3, 4).item(), rule.exempt(2, 4).item()
    (5.0, True, False)
    """

    floor: float
    fraction: float
    exempt_share: float = EXEMPT_SHARE
    cell_bits: int = DF_CELL_BITS

    @classmethod
    def of(cls, max_df: float | str) -> BoilerplateRule:
        """The rule for a ``max_df`` setting: "auto", a count (>= 1) or a fraction (< 1)."""
        if max_df == "auto":
            return cls(AUTO_MAX_DF_FLOOR, AUTO_MAX_DF_FRACTION)
        if (
            isinstance(max_df, bool)
            or not isinstance(max_df, int | float)
            or not 0 < max_df <= MAX_DF_COUNT
        ):
            raise ConfigError(
                f"max_df must be 'auto', a positive number up to {MAX_DF_COUNT:,} (documents) "
                f"or None, got {max_df!r}"
            )
        return cls(0, max_df) if max_df < 1 else cls(max_df, 0)

    def limit(self, n_docs: int) -> float:
        """The document-frequency limit over ``n_docs`` documents."""
        return max(self.floor, self.fraction * n_docs)

    def exempt(self, lost: NDArray[Any] | int, sizes: NDArray[Any] | int) -> NDArray[np.bool_]:
        """Whether a document losing ``lost`` of its ``sizes`` shingles keeps them all: it is
        the widely copied text itself, not a text carrying boilerplate."""
        return np.asarray(lost >= self.exempt_share * np.maximum(sizes, 1))

    def common(self, sets: ShingleSets) -> NDArray[np.uint32]:
        """Sorted shingle hashes found in more than ``limit(len(sets))`` documents."""
        return _over_limit(sets.hashes, self.limit(len(sets)))

    def streamed(self, windows: Callable[[], Iterator[ShingleSets]], n_docs: int) -> WindowFilter:
        """The rule over ``n_docs`` documents read window by window (``windows()`` starts a
        fresh read; it is read twice), for sets spilled to disk: first every hash's cell is
        counted over all windows, then only the hashes in cells above the limit exactly, as
        the in-memory kernel does; the result filters each window (:meth:`WindowFilter.filter`)."""
        limit = self.limit(n_docs)
        k = kernels()
        cells = np.zeros(1 << self.cell_bits, dtype=np.int64)
        mask = np.uint32((1 << self.cell_bits) - 1)
        for w in windows():
            if k is not None:
                cells += k.cell_counts(w.hashes, self.cell_bits)
            else:
                cells += np.bincount(w.hashes & mask, minlength=cells.size)
        # Only "above the limit" matters, and the limit is below 2**32: clip to the kernel's type.
        cells32 = np.minimum(cells, np.iinfo(np.uint32).max).astype(np.uint32)
        del cells
        picked = [
            k.hot_hashes(w.hashes, cells32, limit)
            if k is not None
            else w.hashes[cells32[w.hashes & mask] > limit]
            for w in windows()
        ]
        hot = np.concatenate(picked) if picked else np.zeros(0, np.uint32)
        del cells32
        common = k.common_of(hot, limit) if k is not None else _over_limit(hot, limit)
        return WindowFilter(self, np.asarray(common, dtype=np.uint32))

    def apply(self, sets: ShingleSets) -> ShingleSets:
        """``sets`` without their common shingles (the compiled kernel when there is one)."""
        return self.apply_with_stats(sets)[0]

    def apply_with_stats(self, sets: ShingleSets) -> tuple[ShingleSets, CorpusStats]:
        """:meth:`apply`, and the corpus statistics it used (to judge other texts the same
        way later: ``arabic-dedup compare --stats``)."""
        kept, _, stats = self.split(sets)
        return kept, stats

    def split(
        self, sets: ShingleSets, *, keep_removed: bool = False, in_place: bool = False
    ) -> tuple[ShingleSets, ShingleSets | None, CorpusStats]:
        """The filtered sets, what the filter removed from each (``keep_removed``; else None;
        what :class:`BoilerplateRescue` compares beside them) and the statistics, in one pass.
        ``in_place``: the caller hands ``sets`` over (nothing else reads them afterwards),
        and the compiled filter writes the kept shingles into its hash array, so the full
        and the filtered sets are never held side by side (1.3 GB each at 1M documents)."""
        k = kernels()
        if k is None:
            common = self.common(sets)
            kept = drop_common(sets, common, self)
            removed = removed_shingles(sets, kept, common) if keep_removed else None
        else:
            hashes, counts, common, r_hashes, r_counts = k.boilerplate_filter(
                sets.hashes, sets.offsets, self.limit(len(sets)), self.exempt_share,
                self.cell_bits, with_removed=keep_removed, in_place=in_place,
            )  # fmt: skip
            kept = ShingleSets.from_sizes(hashes, counts)
            removed = ShingleSets.from_sizes(r_hashes, r_counts) if keep_removed else None
        return kept, removed, CorpusStats(self, len(sets), np.asarray(common, dtype=np.uint32))


@dataclass(frozen=True)
class BoilerplateRescue:
    """Copies that share a boilerplate block: a candidate pair under the threshold once the
    filter removed the common shingles is still a duplicate when, on the documents' *full*
    shingle sets, it is at the threshold and the filter left it at least ``ratio`` of that
    similarity::

        accepted = (filtered >= threshold) | ((full >= threshold) & (filtered >= ratio * full))

    Two copies of one story carrying the same outlet footer lose the shared footer and fall
    under the threshold; two same-template bulletins are at the threshold on their full sets
    too, but little is left once the formula is removed (``filtered < ratio * full``). The
    pure decision (:meth:`accepts`) takes arrays only, so every engine (batch, spilled, a
    stream, Spark) applies this one object; :meth:`asks` says which pairs need their full
    similarity at all (only those can change: the rest is decided on the filtered sets).

    >>> r = BoilerplateRescue()
    >>> filtered, full = np.array([0.35, 0.2, 0.2, 0.1]), np.array([0.2, 0.32, 0.5, 0.4])
    >>> r.asks(filtered, 0.3).tolist()
    [False, True, True, False]
    >>> r.accepts(filtered, full, 0.3).tolist()
    [True, True, False, False]
    """

    ratio: float = RESCUE_RATIO

    def __post_init__(self) -> None:
        r = self.ratio
        if isinstance(r, bool) or not isinstance(r, int | float) or not 0.0 < r <= 1.0:
            raise ConfigError(
                f"boilerplate_rescue must be a ratio in (0, 1] or None (off), got {r!r}; "
                f"the default is {RESCUE_RATIO}"
            )

    def asks(self, filtered: NDArray[np.float64], threshold: float) -> NDArray[np.bool_]:
        """Which pairs, scored ``filtered`` on the filtered sets, the rule could still accept:
        under the threshold but at ``ratio * threshold`` or more (``full >= threshold`` and
        ``filtered >= ratio * full`` imply it). Only these need their full-set similarity."""
        f = np.asarray(filtered, dtype=np.float64)
        return np.asarray((f < threshold) & (f >= self.lowest(threshold)))

    def lowest(self, threshold: float) -> float:
        """The lowest filtered similarity the rule can accept (``ratio * threshold``): a
        stream bounds its candidates with it before scoring them exactly."""
        return self.ratio * threshold

    def accepts(
        self, filtered: NDArray[np.float64], full: NDArray[np.float64], threshold: float
    ) -> NDArray[np.bool_]:
        """The decision on each pair's filtered and full similarity (same measure)."""
        f = np.asarray(filtered, dtype=np.float64)
        g = np.asarray(full, dtype=np.float64)
        return np.asarray((f >= threshold) | ((g >= threshold) & (f >= self.ratio * g)))

    @classmethod
    def of(cls, ratio: float | None) -> BoilerplateRescue | None:
        """The rule for a ``boilerplate_rescue`` setting: None or 0 = off."""
        if ratio is None or (not isinstance(ratio, bool) and ratio == 0):
            return None
        return cls(ratio)


def removed_shingles(
    full: ShingleSets, kept: ShingleSets, common: NDArray[np.uint32], *, block: int = 1 << 20
) -> ShingleSets:
    """What the filter dropped from each document: its shingles in ``common`` (sorted), for
    the documents that lost any (``kept`` is the filter of ``full``; an exempt document lost
    none). The removed sets are the boilerplate only and, merged back (:func:`full_sets`),
    give the full sets the rescue compares. The compiled kernel merges each document's two
    sorted sets (no temporaries); the reference reads ranges of documents of about ``block``
    shingles, so its temporaries stay a few MB whatever the corpus.

    >>> a = ShingleSets.from_arrays([np.array(x, dtype=np.uint32) for x in ([1, 2, 3], [2])])
    >>> k = ShingleSets.from_arrays([np.array(x, dtype=np.uint32) for x in ([1, 3], [2])])
    >>> r = removed_shingles(a, k, np.array([2], dtype=np.uint32)); r[0].tolist(), r[1].tolist()
    ([2], [])
    """
    n = len(full)
    lost = full.sizes() - kept.sizes()
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lost, out=offsets[1:])
    if common.size == 0 or offsets[-1] == 0:
        return ShingleSets(np.zeros(0, np.uint32), offsets)
    k = kernels()
    if k is not None:  # one merge of each document's two sorted sets (the binary search
        # below cost 0.18-0.37 s of a 1.5 s SaudiNewsNet run; the merge ~0.01 s)
        out = k.removed_of(full.hashes, full.offsets, kept.hashes, kept.offsets, offsets)
        return ShingleSets(out, offsets)
    out = np.empty(int(offsets[-1]), dtype=np.uint32)
    sizes = full.sizes()
    bounds = np.searchsorted(full.offsets, np.arange(0, full.hashes.size, max(block, 1)))
    bounds = np.unique(np.r_[bounds, n])
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        h = full.hashes[full.offsets[lo] : full.offsets[hi]]
        h = h[np.repeat(lost[lo:hi] > 0, sizes[lo:hi])]  # exempt documents lost nothing
        at = np.minimum(np.searchsorted(common, h), common.size - 1)
        out[offsets[lo] : offsets[hi]] = h[common[at] == h]
    return ShingleSets(out, offsets)


def full_sets(kept: ShingleSets, removed: ShingleSets, rows: NDArray[np.int64]) -> ShingleSets:
    """The full shingle sets of the documents ``rows`` (kept plus removed, each sorted), in
    that order: what :class:`BoilerplateRescue` compares, rebuilt only for the pairs it asks.

    >>> k = ShingleSets.from_arrays([np.array(x, dtype=np.uint32) for x in ([1, 3], [5])])
    >>> r = ShingleSets.from_arrays([np.array(x, dtype=np.uint32) for x in ([2], [])])
    >>> f = full_sets(k, r, np.array([1, 0])); f[0].tolist(), f[1].tolist()
    ([5], [1, 2, 3])
    """
    rows = np.asarray(rows, dtype=np.int64)
    k = kernels()
    if k is not None:  # one linear merge per document
        hashes, offsets = k.merge_rows(
            kept.hashes, kept.offsets, removed.hashes, removed.offsets, rows
        )
        return ShingleSets(hashes, offsets)
    n = rows.size
    parts = []
    for s in (kept, removed):
        sz = s.sizes()[rows]
        start = s.offsets[:-1][rows]
        local = np.repeat(np.arange(n, dtype=np.int64), sz)
        base = np.repeat(start - (np.cumsum(sz) - sz), sz)
        at = base + np.arange(int(sz.sum()), dtype=np.int64)
        parts.append((local << np.int64(32)) | s.hashes[at].astype(np.int64))
    # Kept and removed shingles of one document are disjoint: one sort of (row, hash) keys
    # merges them.
    key = np.sort(np.concatenate(parts))
    counts = np.bincount(key >> np.int64(32), minlength=n)
    return ShingleSets.from_sizes((key & np.int64(0xFFFFFFFF)).astype(np.uint32), counts)


def _over_limit(hashes: NDArray[np.uint32], limit: float) -> NDArray[np.uint32]:
    """The sorted distinct values occurring more than ``limit`` times in ``hashes``."""
    # Sort + run lengths: numpy 2.4's np.unique(return_counts=True) is far slower here.
    s: NDArray[np.uint32] = np.sort(hashes)
    if s.size == 0:
        return s
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    counts = np.diff(np.r_[starts, s.size])
    return np.asarray(s[starts][counts > limit], dtype=np.uint32)


@dataclass(frozen=True)
class WindowFilter:
    """:meth:`BoilerplateRule.streamed`'s result: the corpus's common shingles (``common``,
    sorted), and the filter of any window of its sets."""

    rule: BoilerplateRule
    common: NDArray[np.uint32]

    def filter(self, sets: ShingleSets) -> ShingleSets:
        k = kernels()
        if k is None:
            return drop_common(sets, self.common, self.rule)
        hashes, counts = k.filter_common(
            sets.hashes, sets.offsets, self.common, self.rule.exempt_share
        )
        return ShingleSets.from_sizes(hashes, counts)


@dataclass(frozen=True)
class CorpusStats:
    """What a corpus taught the boilerplate rule: its size and its common shingles.

    Saved beside a ``dedup`` run's outputs (``corpus_stats.npz``), it lets ``compare`` (or
    :meth:`filter` in code) judge any two texts exactly as that run did.
    """

    rule: BoilerplateRule
    n_docs: int
    common: NDArray[np.uint32]  # sorted
    #: The run's decision options (``DedupConfig.run_options``), as saved with the statistics;
    #: None when read from a file written before they were recorded.
    run: dict[str, Any] | None = None
    #: The hashing parameters saved with them (``DedupConfig.stats_params``).
    params: dict[str, Any] | None = None

    def filter(self, sets: ShingleSets) -> ShingleSets:
        """``sets`` without this corpus's common shingles, by the rule's exemption."""
        return drop_common(sets, self.common, self.rule)

    def save(
        self,
        path: str | os.PathLike[str],
        params: dict[str, Any],
        run: dict[str, Any] | None = None,
    ) -> None:
        """Write to ``path`` (``.npz``) with the run's hashing ``params``, which :meth:`load`
        checks, and its decision options ``run`` (``DedupConfig.run_options``), which
        ``compare --stats`` judges by."""
        meta = {"rule": dataclasses.asdict(self.rule), "n_docs": self.n_docs, "params": params}
        if run is not None:
            meta["run"] = run
        with open(path, "wb") as f:
            np.savez(f, common=self.common, meta=np.array(json.dumps(meta, default=str)))

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> CorpusStats:
        """Read a saved file as it is (its ``params`` and ``run`` set); ConfigError if it is
        not one."""
        try:
            with np.load(path, allow_pickle=False) as z:
                common = np.asarray(z["common"], dtype=np.uint32)
                meta = json.loads(str(z["meta"]))
            rule = BoilerplateRule(**meta["rule"])
            n_docs = int(meta["n_docs"])
            stored = dict(meta["params"])
            run = meta.get("run")
            if run is not None and not isinstance(run, dict):
                raise TypeError(f"its run options are {type(run).__name__}, not a mapping")
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
            # Which numpy or json complaint it was says nothing a user can act on.
            raise ConfigError(
                f"{os.fspath(path)!r} is not corpus statistics written by arabic-dedup dedup "
                f"(unreadable as them: {type(exc).__name__}); give a dedup output folder or its "
                "corpus_stats.npz"
            ) from None
        return cls(rule, n_docs, common, run, stored)

    def check(self, where: str, params: dict[str, Any]) -> None:
        """ConfigError unless these statistics were made with the hashing ``params``; the
        message names each differing setting (inside the normaliser's, each differing step)."""
        stored = self.params or {}
        wanted = json.loads(json.dumps(params, default=str))
        shown = []
        for k in sorted(wanted):
            have, want = stored.get(k), wanted[k]
            if have == want:
                continue
            if isinstance(have, dict) and isinstance(want, dict):
                shown += [
                    f"{k}.{s}: stored {have.get(s)!r}, asked {want.get(s)!r}"
                    for s in sorted(have.keys() | want.keys())
                    if have.get(s) != want.get(s)
                ]
            else:
                shown.append(f"{k}: stored {have!r}, asked {want!r}")
        if shown:
            raise ConfigError(
                f"corpus statistics {where!r} were made with other settings "
                f"({', '.join(shown)}); compare with the same options as the dedup run"
            )

    @classmethod
    def load(cls, path: str | os.PathLike[str], params: dict[str, Any]) -> CorpusStats:
        """Read a saved file; ConfigError if it was made with other hashing ``params``."""
        stats = cls.read(path)
        stats.check(os.fspath(path), params)
        return stats


def drop_common(
    sets: ShingleSets, common: NDArray[np.uint32], rule: BoilerplateRule
) -> ShingleSets:
    """``sets`` without the hashes in ``common`` (sorted), except in documents ``rule``
    exempts. The reference engine, and what a stream applies to a text and its candidates
    with the common shingles its store reports.

    >>> import numpy as np
    >>> s = ShingleSets.from_arrays([np.array(x, dtype=np.uint32) for x in ([1, 2, 3, 4], [2, 3])])
    >>> out = drop_common(s, np.array([2], dtype=np.uint32), BoilerplateRule.of(5))
    >>> out[0].tolist(), out[1].tolist()  # the second loses half: not exempt
    ([1, 3, 4], [3])
    """
    if common.size == 0 or sets.hashes.size == 0:
        return sets
    # Membership by binary search in the sorted ``common`` (np.isin sorts both: slower).
    at = np.minimum(np.searchsorted(common, sets.hashes), common.size - 1)
    hit = common[at] == sets.hashes
    sizes = sets.sizes()
    doc = np.repeat(np.arange(len(sets)), sizes)
    lost = np.bincount(doc, weights=hit, minlength=len(sets))
    keep = ~hit | rule.exempt(lost, sizes)[doc]
    return ShingleSets.from_sizes(sets.hashes[keep], np.bincount(doc[keep], minlength=len(sets)))
