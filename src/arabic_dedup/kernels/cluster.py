"""Star clusters with giant LSH buckets resolved against kept documents (see
:mod:`arabic_dedup._cluster`, ``grouped_star_clusters``, whose reference loop this mirrors).

The verify rule is not restated here: ``containment`` and ``threshold`` are the Verifier's
own parameters (``Verifier.kernel_args()``), applied by :mod:`.verify`'s ``pair_score`` and
``accepts``; with the fact check on, ``fact_args`` (``Verifier.fact_kernel_args``) hands in
the fingerprints and the rule, applied by :mod:`.facts`' ``pair_evidence`` and
``judge_one``."""

from __future__ import annotations

import numpy as np
from numba import njit

from .facts import judge_one, pair_evidence
from .verify import accepts, pair_score


@njit(inline="always")
def _offer(best_sim, best_rank, best, g, s, r, k):  # type: ignore[no-untyped-def]
    """Group ``g``'s best kept match so far: the most similar, ties to the earliest (rank
    ``r``); the reference loop's ``offer``."""
    if s > best_sim[g] or (s == best_sim[g] and r < best_rank[g]):
        best_sim[g] = s
        best_rank[g] = r
        best[g] = k


@njit(nogil=True, cache=True)
def grouped_stars(  # type: ignore[no-untyped-def]
    order,
    group,
    leader_rank,
    adj_off,
    adj_dst,
    adj_sim,
    gb_off,
    gg_off,
    gg_bucket,
    hashes,
    offsets,
    containment,
    threshold,
    fact_args,
):
    (
        facts_on, f_hashes, f_offsets, max_facts, slot_shift, value_mask, n_kinds,
        min_conflict_share, update_similarity, lowest, rescue_min_shared, join_updates,
    ) = fact_args  # fmt: skip
    ev = np.zeros((6, n_kinds), dtype=np.int32)  # shared, only a, only b, conflict, scratch x2
    n = order.size
    m = leader_rank.size
    rep = np.arange(n)
    sim = np.ones(n, dtype=np.float64)
    seen = np.zeros(m, dtype=np.bool_)
    kept = np.zeros(m, dtype=np.bool_)
    best_sim = np.full(m, -1.0)
    best_rank = np.full(m, n, dtype=np.int64)
    best = np.full(m, -1, dtype=np.int64)
    adj_ptr = adj_off[:-1].copy()
    gg_ptr = np.zeros(gg_bucket.size, dtype=np.int64)
    kept_n = np.zeros(max(gb_off.size - 1, 0), dtype=np.int64)
    kept_store = np.empty(gb_off[-1] if gb_off.size else 0, dtype=np.int64)
    stamp = np.full(m, -1, dtype=np.int64)
    for t in range(n):
        d = order[t]
        g = group[d]
        first = not seen[g]
        seen[g] = True
        if not first and kept[g]:
            rep[d] = order[leader_rank[g]]
            continue
        # Scan what is new since this group's last scan: earlier small-bucket neighbours
        # (sorted by rank) that are kept, and documents kept since in its giant buckets.
        p = adj_ptr[g]
        end = adj_off[g + 1]
        while p < end and leader_rank[adj_dst[p]] < t:
            k = adj_dst[p]
            if kept[k]:
                _offer(best_sim, best_rank, best, g, adj_sim[p], leader_rank[k], k)
            p += 1
        adj_ptr[g] = p
        for q in range(gg_off[g], gg_off[g + 1]):
            b = gg_bucket[q]
            p = gg_ptr[q]
            while p < kept_n[b]:
                k = kept_store[gb_off[b] + p]
                p += 1
                if stamp[k] == t:
                    continue
                stamp[k] = t
                s = pair_score(hashes, offsets, g, k, containment)
                if facts_on:
                    ok = False
                    if s >= lowest:  # FactRule.lowest: no rule joins a pair below it
                        ev[:4] = 0
                        pair_evidence(
                            f_hashes, f_offsets, g, k, max_facts, slot_shift, value_mask,
                            n_kinds, ev[0], ev[1], ev[2], ev[3], ev[4], ev[5],
                        )  # fmt: skip
                        ok = judge_one(
                            ev[0], ev[1], ev[2], ev[3], s, threshold, min_conflict_share,
                            update_similarity, lowest, rescue_min_shared, join_updates,
                        )  # fmt: skip
                else:
                    ok = accepts(s, threshold)
                if ok:
                    _offer(best_sim, best_rank, best, g, s, leader_rank[k], k)
            gg_ptr[q] = p
        if best[g] < 0:
            kept[g] = True
            for q in range(gg_off[g], gg_off[g + 1]):
                b = gg_bucket[q]
                kept_store[gb_off[b] + kept_n[b]] = g
                kept_n[b] += 1
        else:
            rep[d] = order[leader_rank[best[g]]]
            sim[d] = best_sim[g]
    return rep, sim
