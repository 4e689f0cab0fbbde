"""Stage 6: verified pairs -> clusters, without chaining.

Single-linkage (connected components) chains: A~B and B~C would put A and C together even
when they share little. Here every cluster is a star around one kept document, the
representative: documents are visited in keep order (first seen, longest, or the caller's
key), and each joins the most similar representative it was verified against, or becomes a
representative itself. So every member is a verified near-duplicate of its representative.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ._engine import kernels
from ._errors import ConfigError
from ._lsh import Candidates
from ._shingle import ShingleSets
from ._verify import Verifier

__all__ = [
    "KEEP_POLICIES",
    "Clusters",
    "KeepPolicy",
    "grouped_star_clusters",
    "keep_order",
    "listed_pairs",
    "star_clusters",
]

KeepPolicy = Literal["first", "longest"]
KEEP_POLICIES: tuple[KeepPolicy, ...] = ("first", "longest")


@dataclass(frozen=True)
class Clusters:
    representative: NDArray[np.int64]  # index of each document's representative (itself if kept)
    similarity: NDArray[np.float64]  # similarity to the representative (1.0 for representatives)


def star_clusters(
    n: int,
    pairs: NDArray[np.int64],
    sims: NDArray[np.float64],
    order: NDArray[np.int64],
) -> Clusters:
    """Assign every document to a representative.

    ``pairs`` are the verified pairs (already above the threshold), ``sims`` their
    similarities, ``order`` the documents in keep priority (most preferred first).

    >>> import numpy as np
    >>> pairs = np.array([[0, 1], [1, 2]]); sims = np.array([0.9, 0.9])
    >>> star_clusters(3, pairs, sims, np.arange(3)).representative.tolist()  # 2 is not like 0
    [0, 0, 2]
    """
    rep = np.arange(n, dtype=np.int64)
    sim_to_rep = np.ones(n, dtype=np.float64)
    if len(pairs) == 0:
        return Clusters(rep, sim_to_rep)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    # Orient every pair as (earlier in keep order, later): only earlier documents can be
    # representatives of later ones.
    a, b = pairs[:, 0], pairs[:, 1]
    swap = rank[a] > rank[b]
    first = np.where(swap, b, a)
    later = np.where(swap, a, b)
    # Visit the later side in keep order; within a document, best similarity first, then the
    # most preferred representative.
    visit = np.lexsort((rank[first], -sims, rank[later]))
    is_rep = np.ones(n, dtype=bool)
    assigned = np.zeros(n, dtype=bool)
    for t in visit:
        d = int(later[t])
        if assigned[d]:
            continue
        r = int(first[t])
        if is_rep[r]:
            rep[d] = r
            sim_to_rep[d] = sims[t]
            is_rep[d] = False
            assigned[d] = True
    return Clusters(rep, sim_to_rep)


def grouped_star_clusters(
    order: NDArray[np.int64],
    group: NDArray[np.int64],
    sims: NDArray[np.float64],
    cands: Candidates,
    sets: ShingleSets | None,
    verifier: Verifier,
    facts: ShingleSets | None = None,
) -> Clusters:
    """:func:`star_clusters` of documents collapsed into groups of identical shingle sets.

    ``group[d]`` is document ``d``'s group (row of ``sets``, the distinct sets);
    ``cands.pairs`` are the verified group pairs from small buckets, ``sims`` their
    similarities; members of giant buckets are compared, as documents are visited in keep
    ``order``, with that bucket's documents kept so far only (``verifier`` decides). The
    decisions are star_clusters' on every verified document pair, because a document only
    ever joins a kept document earlier in keep order (the most similar, ties to the earliest):

    * only a group's first document in keep order (its leader) can be kept; every copy after
      a kept leader joins it (similarity 1.0 is the maximum, and an earlier kept document
      equally similar would have taken the leader);
    * a copy after a leader that was not kept joins the best kept document earlier than
      itself, which may be one kept after the leader: each group remembers its best so far
      and what it has scanned, so copies cost no new comparisons.
    """
    n = order.size
    m = int(group.max()) + 1 if n else 0
    if sets is None:  # no giant bucket: nothing is compared here
        sets = ShingleSets(np.empty(0, dtype=np.uint32), np.zeros(1, dtype=np.int64))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    leader_rank = np.full(m, n, dtype=np.int64)
    np.minimum.at(leader_rank, group, rank)
    # Small-bucket neighbours of each group, both directions, in their leaders' keep order.
    pairs = cands.pairs
    src = np.concatenate([pairs[:, 0], pairs[:, 1]])
    dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
    both = np.concatenate([sims, sims])
    by = np.argsort(src * np.int64(n + 1) + leader_rank[dst], kind="stable")
    adj_dst, adj_sim = dst[by], both[by]
    adj_off = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=m), out=adj_off[1:])
    # Each group's giant buckets.
    gb_off = cands.giant_offsets
    gb_mem = cands.giant_members
    bucket = np.repeat(np.arange(gb_off.size - 1, dtype=np.int64), np.diff(gb_off))
    by = np.argsort(gb_mem, kind="stable")
    gg_bucket = bucket[by]
    gg_off = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(gb_mem, minlength=m), out=gg_off[1:])
    k = kernels()
    # The compiled loop decides by the threshold alone: with the fact check, giant buckets
    # (rare) take the reference loop, which asks the verifier.
    if k is not None and (verifier.facts is None or cands.n_giant == 0):
        rep, sim = k.grouped_stars(
            order, group, leader_rank, adj_off, adj_dst, adj_sim, gb_off, gg_off, gg_bucket,
            sets.hashes, sets.offsets, verifier.similarity == "containment", verifier.threshold,
        )  # fmt: skip
        return Clusters(rep, sim)
    return _grouped_stars(
        order, group, leader_rank, adj_off, adj_dst, adj_sim, gb_off, gg_off, gg_bucket, sets,
        verifier, facts,
    )  # fmt: skip


def _grouped_stars(
    order: NDArray[np.int64],
    group: NDArray[np.int64],
    leader_rank: NDArray[np.int64],
    adj_off: NDArray[np.int64],
    adj_dst: NDArray[np.int64],
    adj_sim: NDArray[np.float64],
    gb_off: NDArray[np.int64],
    gg_off: NDArray[np.int64],
    gg_bucket: NDArray[np.int64],
    sets: ShingleSets,
    verifier: Verifier,
    facts: ShingleSets | None = None,
) -> Clusters:
    """The reference loop (``kernels.cluster.grouped_stars`` is its compiled twin)."""
    n, m = order.size, leader_rank.size
    rep = np.arange(n, dtype=np.int64)
    sim = np.ones(n, dtype=np.float64)
    seen = [False] * m
    kept = [False] * m
    best: list[tuple[float, int, int] | None] = [None] * m  # (similarity, -rank, group)
    adj_ptr = adj_off[:-1].tolist()
    gg_ptr = [0] * gg_bucket.size
    kept_in: list[list[int]] = [[] for _ in range(gb_off.size - 1)]

    def offer(g: int, s: float, k: int) -> None:
        cand = (s, -int(leader_rank[k]), k)
        cur = best[g]
        if cur is None or cand[:2] > cur[:2]:
            best[g] = cand

    for t, d in enumerate(order.tolist()):
        g = int(group[d])
        first = not seen[g]
        seen[g] = True
        if not first and kept[g]:
            rep[d] = order[leader_rank[g]]
            continue
        p = adj_ptr[g]
        while p < adj_off[g + 1] and leader_rank[adj_dst[p]] < t:
            if kept[int(adj_dst[p])]:
                offer(g, float(adj_sim[p]), int(adj_dst[p]))
            p += 1
        adj_ptr[g] = p
        new: dict[int, None] = {}
        for q in range(int(gg_off[g]), int(gg_off[g + 1])):
            b = int(gg_bucket[q])
            new.update(dict.fromkeys(kept_in[b][gg_ptr[q] :]))
            gg_ptr[q] = len(kept_in[b])
        if new:
            others = np.array(list(new), dtype=np.int64)
            pairs = np.stack([np.full(others.size, g, dtype=np.int64), others], axis=1)
            sims, ok = verifier(sets, pairs, facts)
            for k, s in zip(others[ok].tolist(), sims[ok].tolist(), strict=True):
                offer(g, s, k)
        chosen = best[g]
        if chosen is None:
            kept[g] = True
            for q in range(int(gg_off[g]), int(gg_off[g + 1])):
                kept_in[int(gg_bucket[q])].append(g)
        else:
            rep[d] = order[leader_rank[chosen[2]]]
            sim[d] = chosen[0]
    return Clusters(rep, sim)


def listed_pairs(
    order: NDArray[np.int64],
    group: NDArray[np.int64],
    sims: NDArray[np.float64],
    cands: Candidates,
    clusters: Clusters,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The document pairs ``DedupResult.pairs`` lists, sorted, with their similarities:

    * every verified pair at or above the threshold of two documents sharing an LSH bucket
      of at most ``GIANT_BUCKET`` documents (so every such pair when no bucket is bigger);
    * whatever the buckets, each duplicate with its kept document (``duplicate_of``), and
      each exact duplicate (identical shingle set) with the first of its copies in keep order.

    Inside giant buckets, all verified pairs would be quadratic in the bucket's size.
    """
    n = group.size
    sizes = np.bincount(group)  # documents per group (every group has one)
    if cands.n_giant == 0 and sizes.size == n and bool((sizes == 1).all()):
        return cands.pairs, sims  # groups are documents and every bucket is small
    members = np.argsort(group, kind="stable")
    mem_off = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=mem_off[1:])
    codes = []
    values = []
    # Small-bucket group pairs: every member of one with every member of the other.
    ga, gb = cands.pairs[:, 0], cands.pairs[:, 1]
    codes_s, take = _cross(members, mem_off, sizes, ga, gb, n)
    codes.append(codes_s)
    values.append(sims[take])
    # Copies sharing a small bucket: every pair of them.
    multi = np.flatnonzero((sizes > 1) & cands.has_small[: sizes.size])
    codes_w, _ = _cross(members, mem_off, sizes, multi, multi, n)
    codes.append(codes_w)
    values.append(np.ones(codes_w.size))
    # Each duplicate with its kept document; each copy with its first copy in keep order.
    rep = clusters.representative
    dup = np.flatnonzero(rep != np.arange(n))
    codes.append(np.minimum(rep[dup], dup) * n + np.maximum(rep[dup], dup))
    values.append(clusters.similarity[dup])
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    lead_rank = np.full(sizes.size, n, dtype=np.int64)
    np.minimum.at(lead_rank, group, rank)
    lead = order[np.minimum(lead_rank, n - 1)][group] if n else group
    copy = np.flatnonzero(lead != np.arange(n))
    codes.append(np.minimum(lead[copy], copy) * n + np.maximum(lead[copy], copy))
    values.append(np.ones(copy.size))
    code = np.concatenate(codes)
    value = np.concatenate(values)
    by = np.argsort(code, kind="stable")
    code, value = code[by], value[by]
    keep = np.r_[True, code[1:] != code[:-1]] if code.size else np.zeros(0, dtype=bool)
    code, value = code[keep], value[keep]
    return np.stack([code // n, code % n], axis=1).reshape(-1, 2), value


def _cross(
    members: NDArray[np.int64],
    mem_off: NDArray[np.int64],
    sizes: NDArray[np.int64],
    ga: NDArray[np.int64],
    gb: NDArray[np.int64],
    n: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Codes ``i * n + j`` (``i < j``) of the member pairs of group pairs ``(ga, gb)`` (for
    ``ga == gb``, the pairs within the group), and for each the index of its group pair."""
    sa, sb = sizes[ga], sizes[gb]
    count = sa * sb
    which = np.repeat(np.arange(ga.size, dtype=np.int64), count)
    start = np.repeat(np.cumsum(count) - count, count)
    k = np.arange(which.size, dtype=np.int64) - start
    x = members[mem_off[ga][which] + k // sb[which]]
    y = members[mem_off[gb][which] + k % sb[which]]
    if ga is gb:
        ok = x < y
        x, y, which = x[ok], y[ok], which[ok]
    return np.minimum(x, y) * n + np.maximum(x, y), which


def keep_order(
    lengths: NDArray[np.int64], keep: KeepPolicy | Callable[[int], Any]
) -> NDArray[np.int64]:
    """Documents in keep priority (most preferred first): input order, longest first (ties
    in input order), or by ``keep(index)`` ascending (ties in input order)."""
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
