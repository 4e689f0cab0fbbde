"""Stage 6: verified pairs -> clusters, without chaining.

Single-linkage (connected components) chains: A~B and B~C would put A and C together even
when they share little. Here every cluster is a star around one kept document, the
representative: documents are visited in keep order (first seen, longest, or the caller's
key), and each joins the most similar representative it was verified against, or becomes a
representative itself. So every member is a verified near-duplicate of its representative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._engine import kernels
from ._facts import MATCH_KINDS
from ._lsh import Candidates, decode_pairs, encode_pairs
from ._shingle import ShingleSets
from ._verify import Verifier

__all__ = [
    "Clusters",
    "cluster_sizes",
    "grouped_star_clusters",
    "kind_names",
    "leader_ranks",
    "listed_pairs",
    "match_kinds",
    "star_clusters",
]


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


def leader_ranks(order: NDArray[np.int64], group: NDArray[np.int64], m: int) -> NDArray[np.int64]:
    """Each of the ``m`` groups' first position in keep ``order`` (its leader's rank)."""
    n = order.size
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    leader_rank = np.full(m, n, dtype=np.int64)
    np.minimum.at(leader_rank, group, rank)
    return leader_rank


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
    leader_rank = leader_ranks(order, group, m)
    # Small-bucket neighbours of each group, both directions, in their leaders' keep order:
    # edge 2k is pair k's (i -> j), edge 2k + 1 its (j -> i). No two edges share a key (pairs
    # are distinct, a leader leads one group), so the order is the key's alone. Temporaries
    # are freed as soon as they are used: with a pair a document, these arrays are the
    # stage's peak (spilled runs).
    pairs = cands.pairs
    src = pairs.ravel()  # a view
    dst = pairs[:, ::-1].ravel()  # a copy
    key = leader_rank[dst]
    key += src * np.int64(n + 1)
    by = np.argsort(key, kind="stable")
    del key
    adj_dst = dst[by]
    del dst
    adj_sim = np.repeat(sims, 2)[by]
    del by
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
    if verifier.facts is not None and cands.n_giant:
        facts = verifier.fingerprints(facts)  # the giant loop judges pairs by them
    k = kernels()
    if k is not None:
        rep, sim = k.grouped_stars(
            order, group, leader_rank, adj_off, adj_dst, adj_sim, gb_off, gg_off, gg_bucket,
            sets.hashes, sets.offsets, *verifier.kernel_args(),
            verifier.fact_kernel_args(facts),
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

    * every verified pair (at or above the threshold, or joined by the boilerplate rescue)
      of two documents sharing an LSH bucket of at most ``GIANT_BUCKET`` documents (so every
      such pair when no bucket is bigger);
    * whatever the buckets, each duplicate with its kept document (``duplicate_of``), and
      each exact duplicate (identical shingle set) with the first of its copies in keep order.

    Inside giant buckets, all verified pairs would be quadratic in the bucket's size.
    """
    n = group.size
    sizes = np.bincount(group)  # documents per group (every group has one)
    if cands.n_giant == 0 and sizes.size == n and bool((sizes == 1).all()):
        return cands.pairs, sims  # groups are documents and every bucket is small
    # The parts are freed as soon as they are joined: with a pair or two a document, this
    # is the cluster stage's peak (a spilled run's highest at 5M documents).
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
    del members, mem_off, take, multi  # the parts themselves stay in codes until joined
    # Each duplicate with its kept document; each copy with its first copy in keep order.
    rep = clusters.representative
    dup = np.flatnonzero(rep != np.arange(n))
    codes.append(encode_pairs(rep[dup], dup, n))
    values.append(clusters.similarity[dup])
    lead_rank = leader_ranks(order, group, sizes.size)
    lead = order[np.minimum(lead_rank, n - 1)][group] if n else group
    copy = np.flatnonzero(lead != np.arange(n))
    codes.append(encode_pairs(lead[copy], copy, n))
    values.append(np.ones(copy.size))
    del dup, lead_rank, lead, copy
    code = np.concatenate(codes)
    del codes
    value = np.concatenate(values)
    del values
    by = np.argsort(code, kind="stable")
    code = code[by]
    value = value[by]
    del by
    keep = np.r_[True, code[1:] != code[:-1]] if code.size else np.zeros(0, dtype=bool)
    code = code[keep]
    value = value[keep]
    del keep
    return decode_pairs(code, n), value


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
    del start
    x = members[mem_off[ga][which] + k // sb[which]]
    y = members[mem_off[gb][which] + k % sb[which]]
    del k
    if ga is gb:
        ok = x < y
        x, y, which = x[ok], y[ok], which[ok]
    return np.minimum(x, y) * n + np.maximum(x, y), which


def cluster_sizes(representative: NDArray[np.int64]) -> NDArray[np.int64]:
    """Every document's cluster size (1 without duplicates), kept document included.

    >>> cluster_sizes(np.array([0, 0, 2, 0])).tolist()
    [3, 3, 1, 3]
    """
    if representative.size == 0:
        return representative.copy()
    return np.bincount(representative, minlength=representative.size)[representative]


# -- what kind of match a duplicate is ---------------------------------------------------------

# ``match_kinds`` gives each duplicate a code into ``_facts.MATCH_KINDS`` (the one vocabulary,
# shared with the fact check's pair kinds), kept documents ``KEPT``; every output
# (``DedupResult.match_kind``, ``clusters.jsonl``, ``report.json``) reads the names from there.
EXACT, NEAR = MATCH_KINDS.index("exact"), MATCH_KINDS.index("near")
BOILERPLATE, UPDATE = MATCH_KINDS.index("boilerplate"), MATCH_KINDS.index("update")
MEMBER_KINDS = (EXACT, NEAR, BOILERPLATE, UPDATE)  # the codes match_kinds gives
KEPT = -1


def match_kinds(
    group: NDArray[np.int64],
    representative: NDArray[np.int64],
    rescued: NDArray[np.int64] | None = None,
    updates: NDArray[np.int64] | None = None,
) -> NDArray[np.int8]:
    """How each document matches its kept document, as a code into ``MATCH_KINDS`` (``KEPT``
    for kept documents): ``exact`` when the two have the same shingle set as the detector
    compares them (``group``: after normalisation, boilerplate shingles ignored),
    ``update`` when the two are a pair of ``updates`` (rows: document pairs the fact check
    judged an update, joined with ``facts="join"``: one figure revised, so the member is marked
    and never looks like a plain copy), ``boilerplate`` when their groups are a pair of
    ``rescued`` (rows: group pairs the boilerplate rescue joined), ``near`` for every other
    verified match.

    >>> import numpy as np
    >>> match_kinds(np.array([0, 0, 1, 2]), np.array([0, 0, 0, 3])).tolist()
    [-1, 0, 1, -1]
    >>> match_kinds(np.array([0, 1, 2]), np.array([0, 0, 0]), np.array([[2, 0]])).tolist()
    [-1, 1, 7]
    >>> match_kinds(np.array([0, 1]), np.array([0, 0]), updates=np.array([[0, 1]])).tolist()
    [-1, 4]
    """
    n = representative.size
    out = np.where(group == group[representative], EXACT, NEAR).astype(np.int8)
    if rescued is not None and rescued.size:
        m = max(int(group.max()), int(rescued.max())) + 1
        key = encode_pairs(group, group[representative], m)
        rkey = encode_pairs(rescued[:, 0], rescued[:, 1], m)
        out[np.isin(key, rkey) & (out == NEAR)] = BOILERPLATE
    if updates is not None and updates.size:
        key = encode_pairs(np.arange(n, dtype=np.int64), representative, n)
        ukey = encode_pairs(updates[:, 0], updates[:, 1], n)
        out[np.isin(key, ukey) & (out != EXACT)] = UPDATE
    out[representative == np.arange(n)] = KEPT
    return out


def kind_names(codes: NDArray[np.int8]) -> list[str | None]:
    """The names of ``match_kinds`` codes (None for kept documents)."""
    names: list[str | None] = [*MATCH_KINDS, None]  # code -1 indexes the last entry
    return [names[c] for c in codes.tolist()]
