"""Where the detector's shingle sets live while it runs: in memory, or spilled to disk.

:func:`arabic_dedup._dedup.detect` sequences the stages (boilerplate -> identical sets ->
signatures -> candidates -> verify -> clusters) once, for both; what differs is how each
stage reaches the sets, and that is all these two classes hold:

- :class:`MemorySets`: the whole corpus's sets in one :class:`ShingleSets`; every stage is
  one call over them (the fast path, used while the memory limit allows it).
- :class:`SpilledSets`: the sets in a :class:`SetArena` file (``._memory``). The boilerplate
  rule counts document frequencies window by window (``BoilerplateRule.common_streamed``) and
  writes the filtered sets to a second arena; signatures are computed window by window and
  only their band hashes kept, one file per band; candidates are found one band at a time
  (``_lsh.bucket_part``, merged by ``_lsh.merge_parts`` into the order one sort gives);
  verification gathers the two sets of each block of candidate pairs through a memory map.

Both give the same decisions: the same rule objects and kernels run on the same sets, only
in pieces (``tests/test_memory.py`` compares them at a limit small enough to spill often).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ._boilerplate import BoilerplateRule, CorpusStats, removed_shingles
from ._interrupt import check
from ._lsh import (
    BucketPart,
    Candidates,
    band_candidates,
    band_hashes,
    bucket_part,
    group_identical,
    identical_sets,
    in_buckets,
    merge_parts,
    set_hashes,
    sets_equal,
    sorted_unique,
    take_sets,
)
from ._memory import MemoryPlan, SetArena, SpillDir, release_free
from ._minhash import MinHasher
from ._shingle import ShingleSets
from ._verify import Verifier, full_pair_scores

__all__ = ["MemorySets", "SetSource", "SpilledSets"]

I64 = NDArray[np.int64]
#: ``progress(stage, done, total)`` while a spilled stage reads its windows.
Tick = Callable[[str, int, int], None]
#: Each candidate pair's similarity, whether it is a duplicate, its fact-check kind (None:
#: check off) and whether the boilerplate rescue made it one.
Judged = tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.int8] | None, NDArray[np.bool_]]


class MemorySets:
    """The sets in memory: each stage is one call over all of them."""

    def __init__(
        self, sets: ShingleSets, facts: ShingleSets | None, *, owned: bool = False
    ) -> None:
        self.sets: ShingleSets | None = sets
        # Handed over (nothing else holds ``sets``): the boilerplate filter may write into it.
        self._owned = owned
        self.facts = facts
        self._n = len(sets)
        self._bh: list[NDArray[np.uint64]] = []  # band hashes, handed to LSH once
        # What the boilerplate filter removed from each row (kept only for the rescue).
        self.removed: ShingleSets | None = None

    def _s(self) -> ShingleSets:
        assert self.sets is not None, "the sets were released"
        return self.sets

    def __len__(self) -> int:
        return self._n

    def sizes(self) -> I64:
        return self._s().sizes()

    def drop_boilerplate(self, rule: BoilerplateRule, *, keep_removed: bool) -> CorpusStats:
        self.sets, self.removed, stats = rule.split(
            self._s(), keep_removed=keep_removed, in_place=self._owned
        )
        return stats

    def identical(self) -> I64:
        return identical_sets(self._s())

    def keep_rows(self, rows: I64) -> None:
        """From here on, row ``r`` is document ``rows[r]`` (one row per distinct set)."""
        if rows.size < len(self):
            # Rows are ascending. The sets, and what the filter removed (built here), are
            # this object's alone when handed over: taken in place, not beside themselves.
            self.sets = take_sets(self._s(), rows, in_place=self._owned)
            if self.facts is not None:  # the caller's: copied
                self.facts = take_sets(self.facts, rows)
            if self.removed is not None:
                self.removed = take_sets(self.removed, rows, in_place=True)
        self._n = int(rows.size)

    def signatures(self, hasher: MinHasher, bands: int, rows: int) -> None:
        # Only the band hashes are kept (8 bytes a band), not the signatures (512 bytes a
        # document at 128 permutations), which nothing after LSH reads.
        sigs = hasher.signatures_from_sets(self._s())
        self._bh = [band_hashes(sigs, bands, rows)]

    def candidates(self, bands: int, rows: int, weights: I64, limit: float) -> Candidates:
        assert self._bh, "signatures() first"
        active = in_buckets(self.sizes())
        return band_candidates(self._bh, active=active, weights=weights, limit=limit)

    def judge(self, verifier: Verifier, pairs: I64) -> Judged:
        sets, removed = self._s(), self.removed
        full = None
        if removed is not None:

            def full(at: I64) -> NDArray[np.float64]:
                return full_pair_scores(sets, removed, pairs[at], verifier.similarity)

        return verifier.verify(sets, pairs, self.facts, full)

    def sets_for(self, rows: I64) -> ShingleSets:
        """Sets holding at least the rows ``rows`` (here: all of them)."""
        return self._s()

    def facts_for(self, rows: I64) -> ShingleSets | None:
        """Fact fingerprints holding at least the rows ``rows`` (None: no fact check)."""
        return self.facts

    def release(self) -> None:
        """The sets are no longer needed (the facts may still be)."""
        self.sets = None
        self.removed = None

    def tidy(self) -> None:
        """A stage ended. In memory the next stage reuses the freed heap: returning it to the
        system would only cost page faults."""


class SpilledSets:
    """The sets in an arena file; every stage reads windows or gathers blocks of it."""

    def __init__(
        self,
        arena: SetArena,
        facts: SetArena | None,
        spill: SpillDir,
        plan: MemoryPlan,
        tick: Tick | None = None,
    ) -> None:
        self.arena, self.farena, self.spill, self.plan = arena, facts, spill, plan
        self.tick = tick
        self.rows = np.arange(len(arena), dtype=np.int64)  # row r is document rows[r]
        self._hashes: NDArray[np.uint64] | None = None  # set hashes, computed while filtering
        self._bands: list[Path] = []
        self.rarena: SetArena | None = None  # what the filter removed (for the rescue)

    def __len__(self) -> int:
        return int(self.rows.size)

    def sizes(self) -> I64:
        return self.arena.sizes()[self.rows]

    def _windows(self, stage: str) -> Iterator[tuple[int, ShingleSets]]:
        n = len(self.arena)
        for lo, w in self.arena.windows(self.plan.window_bytes):
            check()
            yield lo, w
            release_free()  # what the stage freed for this window (see release_free)
            if self.tick:
                self.tick(stage, lo + len(w), n)

    # -- boilerplate ------------------------------------------------------------------------
    def drop_boilerplate(self, rule: BoilerplateRule, *, keep_removed: bool) -> CorpusStats:
        n = len(self.arena)
        reads = iter(("boilerplate 1/3", "boilerplate 2/3"))
        filt = rule.streamed(lambda: (w for _, w in self._windows(next(reads))), n)
        out = SetArena(self.spill, "filtered.u32")
        rout = SetArena(self.spill, "removed.u32") if keep_removed else None
        hashes = []
        for _, w in self._windows("boilerplate 3/3"):
            kept = filt.filter(w)
            out.append(kept)
            if rout is not None:
                rout.append(removed_shingles(w, kept, filt.common))
            hashes.append(set_hashes(kept))
        self.spill.remove(self.arena.path)
        self.arena = out.finish()
        self.rarena = None if rout is None else rout.finish()
        self._hashes = np.concatenate(hashes) if hashes else None
        return CorpusStats(rule, n, filt.common)

    # -- identical sets ---------------------------------------------------------------------
    def identical(self) -> I64:
        if self._hashes is None:
            parts = [set_hashes(w) for _, w in self._windows("signatures")]
            self._hashes = np.concatenate(parts) if parts else np.zeros(0, np.uint64)
        return group_identical(self._hashes, self.arena.sizes(), self._equal)

    def _equal(self, a: I64, b: I64) -> NDArray[np.bool_]:
        out = np.empty(a.size, dtype=bool)
        for lo, hi in self._blocks(a, b):
            docs = sorted_unique(np.concatenate([a[lo:hi], b[lo:hi]]))
            s = self.arena.gather(docs, docs, len(self.arena))
            out[lo:hi] = sets_equal(s, a[lo:hi], b[lo:hi])
        return out

    def _blocks(self, a: I64, b: I64, sizes: I64 | None = None) -> Iterator[tuple[int, int]]:
        """Consecutive ranges of the pairs ``(a[k], b[k])`` whose sets, gathered, take at
        most ``plan.gather_bytes`` (at least one pair a range)."""
        sz = self.arena.sizes() if sizes is None else sizes
        cost = np.cumsum((sz[a] + sz[b]) * 4)
        lo = 0
        while lo < a.size:
            base = cost[lo - 1] if lo else 0
            hi = int(np.searchsorted(cost, base + self.plan.gather_bytes, "right"))
            hi = max(hi, lo + 1)
            yield lo, hi
            lo = hi

    def keep_rows(self, rows: I64) -> None:
        self.rows = rows

    # -- signatures and candidates ----------------------------------------------------------
    def signatures(self, hasher: MinHasher, bands: int, rows: int) -> None:
        """Band hashes of every row, window by window, one file per band (the signatures
        themselves are never all held: 512 bytes a document at 128 permutations)."""
        self._bands = [self.spill.new_file(f"band{b:03d}.u64") for b in range(bands)]
        files = [open(p, "wb") for p in self._bands]
        written = 0
        try:
            for lo, w in self._windows("signatures"):
                r_lo, r_hi = np.searchsorted(self.rows, [lo, lo + len(w)])
                local = self.rows[r_lo:r_hi] - lo
                if local.size == 0:
                    continue
                sigs = hasher.signatures_from_sets(take_sets(w, local))
                bh = band_hashes(sigs, bands, rows)
                del sigs
                for b, f in enumerate(files):
                    np.ascontiguousarray(bh[:, b]).tofile(f)
                written += local.size * 8
                for p in self._bands:
                    self.spill.grew(p, written)
        except OSError as exc:
            raise self.spill.error(exc) from None
        finally:
            for f in files:
                f.close()

    def candidates(self, bands: int, rows: int, weights: I64, limit: float) -> Candidates:
        n = len(self)
        has_small = np.zeros(n, dtype=bool)
        active = np.flatnonzero(in_buckets(self.sizes()))
        parts: list[BucketPart] = []
        codes: list[I64] = []  # the pairs found so far, as i * n + j
        pending = 0
        self.spill.passes += 1
        for b, path in enumerate(self._bands):
            check()
            try:
                keys = np.fromfile(path, dtype=np.uint64)
            except OSError as exc:
                raise self.spill.error(exc) from None
            if active.size < n:
                keys = keys[active]
            handed = [keys]
            del keys
            part = bucket_part(handed, lambda at: active[at], weights, limit, has_small)
            # A pair of near-copies shares most bands: keep each once as it comes, not once
            # per band (5M documents: ~25 copies of 5M pairs, 2 GB, before the final unique).
            codes.append(part.pairs[:, 0] * np.int64(n) + part.pairs[:, 1])
            pending += codes[-1].nbytes
            if pending > self.plan.window_bytes // 4:
                codes, pending = [sorted_unique(np.concatenate(codes))], 0
            parts.append(replace(part, pairs=np.empty((0, 2), dtype=np.int64)))
            self.spill.remove(path)
            release_free()
            if self.tick:
                self.tick("candidates", b + 1, bands)
        code = sorted_unique(np.concatenate(codes)) if codes else np.zeros(0, np.int64)
        del codes
        return merge_parts(parts, n, has_small, code)

    # -- verification -----------------------------------------------------------------------
    def judge(self, verifier: Verifier, pairs: I64) -> Judged:
        m = pairs.shape[0]
        sims = np.empty(m, dtype=np.float64)
        ok = np.empty(m, dtype=bool)
        rescued = np.zeros(m, dtype=bool)
        kinds = None if verifier.facts is None else np.empty(m, dtype=np.int8)
        self.spill.passes += 1
        for lo, hi in self._blocks(pairs[:, 0], pairs[:, 1], self.sizes()):
            check()
            block = pairs[lo:hi]
            sets, facts = self.sets_for(block.ravel()), self.facts_for(block.ravel())
            rarena = self.rarena
            full = None
            if rarena is not None:
                removed = self._gather(rarena, block.ravel())

                def full(at: I64) -> NDArray[np.float64]:
                    return full_pair_scores(sets, removed, block[at], verifier.similarity)  # noqa: B023

            sims[lo:hi], bok, k, rescued[lo:hi] = verifier.verify(sets, block, facts, full)
            ok[lo:hi] = bok
            if kinds is not None and k is not None:
                kinds[lo:hi] = k
            release_free()
            if self.tick:
                self.tick("verify", hi, m)
        return sims, ok, kinds, rescued

    def sets_for(self, rows: I64) -> ShingleSets:
        """Sets indexed by row, holding the rows ``rows`` (the others empty)."""
        return self._gather(self.arena, rows)

    def facts_for(self, rows: I64) -> ShingleSets | None:
        return None if self.farena is None else self._gather(self.farena, rows)

    def _gather(self, arena: SetArena, rows: I64) -> ShingleSets:
        want = sorted_unique(np.asarray(rows, dtype=np.int64))
        return arena.gather(self.rows[want], want, len(self))

    def release(self) -> None:
        self.spill.remove(self.arena.path)
        if self.rarena is not None:
            self.spill.remove(self.rarena.path)
            self.rarena = None
        release_free()

    def tidy(self) -> None:
        """A stage ended: what it freed goes back to the system, so the peak stays the live
        data's under the limit (see ``release_free``)."""
        release_free()


SetSource = MemorySets | SpilledSets
