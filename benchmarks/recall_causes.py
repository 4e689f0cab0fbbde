"""Where the detector loses real copies: the stage that drops each labelled pair (tune split).

For every labelled pair of the tuning split (``"split": "tune"`` or none; held-out records are
skipped before their label is read) the detector's stages are replayed over all July 2015
SaudiNewsNet articles, as ``tune_facts.py`` runs them, and the first stage that keeps the two
articles apart is named:

- ``merged``: both end in one star cluster;
- ``boilerplate``: the pair is at the threshold on its full shingle sets but under it once
  ``max_df`` has removed the common shingles, and the boilerplate rescue did not take it
  (the filter left it less than ``boilerplate_rescue`` of its similarity);
- ``below threshold``: under the threshold even before that (``candidate`` or not);
- ``no LSH candidate``: at the threshold, but no LSH band agrees (the table says at which
  lower LSH threshold it would be a candidate);
- ``facts veto``: at the threshold but the fact check (``facts`` rows only) rejected it;
- ``cluster shape``: accepted (by the threshold or the boilerplate rescue), but the two went
  to different stars.

TEMPLATE, DIFFERENT and REWRITE pairs get the same breakdown, so the cost of any fix (which
band of similarity it opens, which stage it relaxes) is visible beside what it recovers.
Results: ``benchmarks/results/recall_causes.json`` (per-pair rows: ids, label and numbers
only, no text), and the section "Where copies are lost" of ``docs/benchmarks/quality.md``.

    python benchmarks/recall_causes.py

Runtime: about half a minute on a quiet machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import bench_quality as bq
import numpy as np
import tune_facts as tf
from numpy.typing import NDArray

import arabic_dedup as ad
from arabic_dedup._boilerplate import BoilerplateRule
from arabic_dedup._cluster import star_clusters
from arabic_dedup._facts import MATCH_KINDS, FactRule, evidence, judge
from arabic_dedup._lsh import candidate_pairs, optimal_params
from arabic_dedup._shingle import ShingleSets
from arabic_dedup._verify import verify_pairs

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "recall_causes.json"
DOC = ROOT / "docs" / "benchmarks" / "quality.md"
SECTIONS = {
    "tune": "## Where copies are lost (tuning split)",
    "heldout": "## Where copies are lost (held-out split)",
}
LABELS = ("COPY", "COPY (J5<0.3)", "PARTIAL", "TEMPLATE", "REWRITE", "DIFFERENT")
CAUSES = (
    "merged",
    "boilerplate",
    "below threshold, candidate",
    "below threshold, no candidate",
    "no LSH candidate",
    "facts veto",
    "cluster shape",
)
# Lower LSH thresholds tried for the pairs LSH missed (the default Jaccard one is 0.21).
LSH_GRID = (0.18, 0.15, 0.12, 0.1, 0.08, 0.05)
SIM_BINS = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.55, 1.01)


def label_groups(rec: dict[str, Any]) -> list[str]:
    out = [rec["label"]]
    if rec["label"] == "COPY" and rec.get("jaccard_w5", 1.0) < tf.HARD_COPY_W5:
        out.append("COPY (J5<0.3)")
    return out


def band_hit(eq: NDArray[np.bool_], bands: int, rows: int) -> bool:
    """Whether two signatures whose rows agree where ``eq`` is True share an LSH band."""
    return bool(eq[: bands * rows].reshape(bands, rows).all(axis=1).any())


def pair_sims(sets: ShingleSets, pairs: NDArray[np.int64]) -> dict[str, NDArray[np.float64]]:
    return {s: verify_pairs(sets, pairs, s) for s in ("jaccard", "containment")}


def replay(
    prep: tf.Prepared,
    mode: str,
    rule: FactRule | None,
    pairs: NDArray[np.int64],
) -> tuple[list[str], dict[str, Any]]:
    """The losing stage of each of ``pairs`` (document indexes) in ``mode``, with the figures
    behind it."""
    cfg = tf.MODES[mode]
    filtered, cand, sims = tf.candidates(prep, cfg)
    ok = tf.decide(prep, cand, sims, cfg, rule)
    rep = tf.clusters(prep.n, cand, sims, ok)
    cand_at = {(int(a), int(b)): n for n, (a, b) in enumerate(cand)}
    full = pair_sims(prep.sets, pairs)[cfg.similarity]
    filt = pair_sims(filtered, pairs)[cfg.similarity]
    sigs = cfg.hasher().signatures_from_sets(filtered)
    causes, lsh_rescue = [], []
    cut = cfg.cutoff
    for n, (i, j) in enumerate(pairs.tolist()):
        at = cand_at.get((i, j))
        if rep[i] == rep[j]:
            cause = "merged"
        elif at is not None and ok[at]:
            cause = "cluster shape"  # accepted (a rescued pair too), but in different stars
        elif full[n] >= cut > filt[n]:
            cause = "boilerplate"
        elif filt[n] < cut:
            cause = "below threshold, " + ("candidate" if at is not None else "no candidate")
        elif at is None:
            cause = "no LSH candidate"
        elif not ok[at]:
            cause = "facts veto"
        else:
            cause = "cluster shape"
        causes.append(cause)
        found = None
        if at is None:
            eq = sigs[i] == sigs[j]
            for t in LSH_GRID:
                if band_hit(eq, *optimal_params(t, cfg.num_perm)):
                    found = t
                    break
        lsh_rescue.append(found)
    # Cluster shape: did the later article match no representative (its match is a member of
    # another star), or join a more similar one? And are the two representatives at the
    # threshold with each other (then LSH never proposed them) or under it?
    reps_sim = verify_pairs(
        filtered, np.stack([rep[pairs[:, 0]], rep[pairs[:, 1]]], 1), cfg.similarity
    )
    shape = [
        ("later matched no representative" if rep[j] == j else "later joined a more similar one")
        + (", representatives at the threshold" if r >= cut else ", representatives under it")
        for (i, j), r in zip(pairs.tolist(), reps_sim.tolist(), strict=True)
    ]
    extra = {
        "representatives_similarity": reps_sim,
        "shape": shape,
        "similarity_filtered": filt,
        "similarity_full": full,
        "candidate": np.array([(i, j) in cand_at for i, j in pairs.tolist()]),
        "both_kept": (rep[pairs[:, 0]] == pairs[:, 0]) & (rep[pairs[:, 1]] == pairs[:, 1]),
        "lsh_threshold_that_finds_it": lsh_rescue,
    }
    return causes, extra


def table(labels: list[list[str]], causes: list[str]) -> dict[str, dict[str, int]]:
    out: dict[str, Counter[str]] = {lab: Counter() for lab in LABELS}
    for groups, c in zip(labels, causes, strict=True):
        for g in groups:
            out[g][c] += 1
            out[g]["n"] += 1
    return {lab: dict(c) for lab, c in out.items() if c}


def star_link(
    n: int,
    cand: NDArray[np.int64],
    sims: NDArray[np.float64],
    ok: NDArray[np.bool_],
    floor: float | None,
) -> NDArray[np.int64]:
    """Star clusters in index order (``tf.clusters``), and with ``floor`` set one looser rule:
    a document that matches no representative but matches a member joins that member's
    representative when the two are at least ``floor`` similar (an LSH candidate pair)."""
    rep = np.arange(n, dtype=np.int64)
    is_rep = np.ones(n, dtype=bool)
    sim_of = {(int(a), int(b)): float(x) for (a, b), x in zip(cand, sims, strict=True)}
    acc: dict[int, list[tuple[float, int]]] = {}
    for (a, b), x in zip(cand[ok].tolist(), sims[ok].tolist(), strict=True):
        acc.setdefault(b, []).append((-x, a))
    for d in sorted(acc):
        near = sorted(acc[d])
        r = next((a for _, a in near if is_rep[a]), None)
        if r is None and floor is not None:
            via = [(sim_of.get((int(rep[a]), d), 0.0), -int(rep[a])) for _, a in near]
            best = max(via)
            if best[0] >= floor:
                r = -best[1]
        if r is not None:
            rep[d] = r
            is_rep[d] = False
    return rep


def star_choice(
    n: int,
    cand: NDArray[np.int64],
    sims: NDArray[np.float64],
    ok: NDArray[np.bool_],
    choice: str,
) -> NDArray[np.int64]:
    """Star clusters in index order where a document that matches several representatives
    joins the ``"earliest"`` of them or the one with the ``"biggest"`` star so far (ties: the
    more similar), instead of the most similar one."""
    rep = np.arange(n, dtype=np.int64)
    size = np.ones(n, dtype=np.int64)
    acc: dict[int, list[tuple[float, int]]] = {}
    for (a, b), x in zip(cand[ok].tolist(), sims[ok].tolist(), strict=True):
        acc.setdefault(b, []).append((x, a))
    for d in sorted(acc):
        opts = [(x, a) for x, a in acc[d] if rep[a] == a]
        if opts:
            if choice == "earliest":
                r = min(a for _, a in opts)
            else:
                r = max(opts, key=lambda t: (size[t[1]], t[0], -t[1]))[1]
            rep[d] = r
            size[r] += 1
    return rep


def components(n: int, pairs: NDArray[np.int64]) -> NDArray[np.int64]:
    """Connected components (single linkage): the upper bound of any cluster-shape fix."""
    parent = np.arange(n)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = int(parent[x])
        return x

    for a, b in pairs.tolist():
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([find(i) for i in range(n)])


def through_neighbours(
    filtered: ShingleSets,
    cand: NDArray[np.int64],
    sims: NDArray[np.float64],
    ok: NDArray[np.bool_],
    similarity: str,
    cap: int = 32,
    *,
    causal: bool = False,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Candidate completion: pairs that were no LSH candidate but share an accepted neighbour
    (x ~ d and d ~ y accepted; at most the ``cap`` most similar neighbours of each d) are
    verified exactly and added to the candidates. No decision is loosened: the verifier
    still decides; only LSH's misses between near-duplicates of one document are repaired.
    ``causal``: only through a neighbour d earlier (in keep order = index order) than the
    pair's later document y, so a stream knows the pair when y arrives."""
    acc, acc_s = cand[ok], sims[ok]
    near: dict[int, list[tuple[float, int]]] = {}
    for (a, b), x in zip(acc.tolist(), acc_s.tolist(), strict=True):
        near.setdefault(a, []).append((-x, b))
        near.setdefault(b, []).append((-x, a))
    known = set(map(tuple, cand.tolist()))
    extra: set[tuple[int, int]] = set()
    for d, lst in near.items():
        ids = sorted(e for _, e in sorted(lst)[:cap])
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                if causal and ids[y] < d:
                    continue
                if (ids[x], ids[y]) not in known:
                    extra.add((ids[x], ids[y]))
    more = np.array(sorted(extra), dtype=np.int64).reshape(-1, 2)
    more_s = verify_pairs(filtered, more, similarity)  # type: ignore[arg-type]
    return np.concatenate([cand, more]), np.concatenate([sims, more_s])


def star_merge(
    n: int,
    filtered: ShingleSets,
    cand: NDArray[np.int64],
    sims: NDArray[np.float64],
    ok: NDArray[np.bool_],
    similarity: str,
    floor: float,
) -> NDArray[np.int64]:
    """Star clusters, then two stars are one when a document is accepted with the other's
    representative and the two representatives are at least ``floor`` similar (exactly)."""
    rep = tf.clusters(n, cand, sims, ok)
    is_rep = rep == np.arange(n)
    links = set()
    for a, b in cand[ok].tolist():
        for d, r in ((a, b), (b, a)):
            if is_rep[r] and rep[d] != r:
                links.add((min(int(rep[d]), r), max(int(rep[d]), r)))
    m = np.array(sorted(links), dtype=np.int64).reshape(-1, 2)
    m = m[verify_pairs(filtered, m, similarity) >= floor]  # type: ignore[arg-type]
    return components(n, m)[rep]


def member_rescue(
    prep: tf.Prepared,
    cfg: ad.DedupConfig,
    filtered: ShingleSets,
    cand: NDArray[np.int64],
    sims: NDArray[np.float64],
    rule: FactRule | None,
    floor: float,
    cap: int = 32,
) -> tuple[NDArray[np.int64], int]:
    """Star clusters in index order (``tf.clusters`` with ``rule``'s decisions), and one looser
    rule a stream could apply: a document that matches no representative joins a
    representative it is at least ``floor`` similar to (an LSH candidate without a template
    or update verdict) when it is accepted, verified exactly, with one of that star's first
    ``cap`` members. Causal: only earlier documents and their stars are consulted. Returns the
    representatives and how many documents the rule placed."""
    ok = tf.decide(prep, cand, sims, cfg, rule)
    j = judge(
        prep.facts, cand, sims, threshold=cfg.cutoff, containment=cfg.similarity == "containment",
        rule=FactRule(rescue_share=1.0),
    )  # fmt: skip
    veto = np.isin(j.kind, [MATCH_KINDS.index("template"), MATCH_KINDS.index("update")])
    acc: dict[int, list[tuple[float, int]]] = {}
    near: dict[int, list[tuple[float, int]]] = {}
    for (a, b), x, good, v in zip(cand.tolist(), sims.tolist(), ok, veto, strict=True):
        if good:
            acc.setdefault(b, []).append((x, a))
        elif x >= floor and not v:
            near.setdefault(b, []).append((x, a))
    rep = np.arange(prep.n, dtype=np.int64)
    is_rep = np.ones(prep.n, dtype=bool)
    members: dict[int, list[int]] = {}
    placed = 0
    for d in range(prep.n):
        opts = [(x, -a) for x, a in acc.get(d, ()) if is_rep[a]]
        r = -max(opts)[1] if opts else None
        if r is None:
            for _, a in sorted((-x, a) for x, a in near.get(d, ()) if is_rep[a]):
                ms = members.get(a, [])[:cap]
                if not ms:
                    continue
                pp = np.array([[m, d] for m in ms], dtype=np.int64)
                pok = tf.decide(prep, pp, verify_pairs(filtered, pp, cfg.similarity), cfg, rule)
                if pok.any():
                    r, placed = a, placed + 1
                    break
        if r is not None:
            rep[d] = r
            is_rep[d] = False
            members.setdefault(r, []).append(d)
    return rep, placed


def candidates_with(
    prep: tf.Prepared, cfg: ad.DedupConfig, rule: BoilerplateRule
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """``tf.candidates`` with another boilerplate rule than ``cfg.max_df``'s."""
    filtered = rule.apply(prep.sets)
    sigs = cfg.hasher().signatures_from_sets(filtered)
    bands, rows = cfg.banding()
    cand = candidate_pairs(sigs, bands, rows, active=filtered.sizes() > 0)
    return cand, verify_pairs(filtered, cand, cfg.similarity)


def designs(
    prep: tf.Prepared, pairs: NDArray[np.int64], groups: list[list[str]]
) -> dict[str, list[dict[str, Any]]]:
    """Candidate fixes, each measured as merged pairs per label (tune split): lower thresholds,
    a fact-agreement rescue band under the threshold, the fact check's veto, a lower LSH
    threshold, a looser star rule and (upper bound) connected components."""

    def count(rep: NDArray[np.int64]) -> dict[str, str]:
        return count_same(rep[pairs[:, 0]] == rep[pairs[:, 1]])

    def count_same(same: NDArray[np.bool_]) -> dict[str, str]:
        tot: Counter[str] = Counter()
        hit: Counter[str] = Counter()
        for g, x in zip(groups, same.tolist(), strict=True):
            for lab in g:
                tot[lab] += 1
                hit[lab] += int(x)
        return {lab: f"{hit[lab]}/{tot[lab]}" for lab in LABELS if tot[lab]}

    out: dict[str, list[dict[str, Any]]] = {}
    for mode, cfg in tf.MODES.items():
        filtered, cand, sims = tf.candidates(prep, cfg)
        cut = cfg.cutoff
        containment = mode == "containment"
        shared, only_a, only_b, conflict = evidence(prep.facts, cand)
        agree = shared.sum(axis=1)
        missing = only_a.sum(axis=1) + only_b.sum(axis=1)
        calm = conflict.sum(axis=1) == 0
        j = judge(
            prep.facts, cand, sims, threshold=cut, containment=containment,
            rule=FactRule(rescue_share=1.0),
        )  # fmt: skip
        veto = np.isin(j.kind, [MATCH_KINDS.index("template"), MATCH_KINDS.index("update")])
        rows: list[dict[str, Any]] = []

        def add(
            name: str,
            ok: NDArray[np.bool_],
            floor: float | None = None,
            *,
            into: list[dict[str, Any]] = rows,
            cand: NDArray[np.int64] = cand,
            sims: NDArray[np.float64] = sims,
        ) -> None:
            into.append({"design": name, **count(star_link(prep.n, cand, sims, ok, floor))})

        base = tf.decide(prep, cand, sims, cfg, None)  # the boilerplate rescue included

        def at(
            cand: NDArray[np.int64] = cand,
            sims: NDArray[np.float64] = sims,
            cfg: ad.DedupConfig = cfg,
            **change: Any,
        ) -> NDArray[np.bool_]:
            return tf.decide(prep, cand, sims, dataclasses.replace(cfg, **change), None)

        add("facts off", base)
        add("boilerplate rescue off", sims >= cut)
        for r in (0.45, 0.65):
            add(f"boilerplate rescue at {r} (not {cfg.boilerplate_rescue})",
                at(boilerplate_rescue=r))  # fmt: skip
        add("defaults (fact check on)", tf.decide(prep, cand, sims, cfg, FactRule()))
        add("fact check veto only (no fact rescue)", base & ~veto)
        lows = (0.28, 0.26, 0.25, 0.22) if not containment else (0.5, 0.45, 0.4)
        for t in lows:
            add(f"threshold {t}", at(threshold=t))
            add(f"threshold {t} + fact veto", at(threshold=t) & ~veto)
        for lo in lows[1:]:
            for m, f in ((2, 0.5), (2, 1.0), (4, 0.5), (6, 0.0)):
                band = (sims >= lo) & (agree >= m) & calm & (missing <= f * agree)
                add(
                    f"rescue [{lo}, {cut}) when >= {m} facts agree, none conflict, "
                    f"missing <= {f} x agreeing",
                    base | band,
                )
        if not containment:
            for lt in (0.18, 0.15):
                lcfg = ad.DedupConfig(lsh_threshold=lt)
                _, lcand, lsims = tf.candidates(prep, lcfg)
                lok = tf.decide(prep, lcand, lsims, cfg, None)
                bands, rows_per_band = lcfg.banding()
                rows.append({
                    "design": f"LSH at {lt} ({bands} bands x {rows_per_band} rows, "
                    f"{len(lcand) / len(cand) - 1:+.0%} candidate pairs)",
                    **count(star_link(prep.n, lcand, lsims, lok, None)),
                })  # fmt: skip
        for label, brule in (
            ("boilerplate exemption at 50 % lost (not 75 %)", BoilerplateRule(30, 0.001, 0.5)),
            ("max_df 100 (not auto = 30 here)", BoilerplateRule(100, 0)),
        ):
            bcand, bsims = candidates_with(prep, cfg, brule)
            rows.append(
                {
                    "design": label,
                    **count(
                        star_link(
                            prep.n, bcand, bsims, tf.decide(prep, bcand, bsims, cfg, None), None
                        )
                    ),
                }
            )
        floors = (0.25, 0.2, 0.0) if not containment else (0.45, 0.4, 0.0)
        for fl in floors:
            add(f"star link, floor {fl}", base, fl)
            add(f"star link, floor {fl} + fact veto", base & ~veto, fl)
        ok = base
        for causal in (True, False):
            ncand, nsims = through_neighbours(
                filtered, cand, sims, ok, cfg.similarity, causal=causal
            )
            nok = tf.decide(prep, ncand, nsims, cfg, None)
            rows.append({
                "design": f"candidate completion through a shared accepted neighbour"
                f"{' earlier than the later document' if causal else ''} "
                f"(+{len(ncand) - len(cand)} pairs verified, {int(nok[len(cand):].sum())} "
                "accepted)",
                **count(star_link(prep.n, ncand, nsims, nok, None)),
            })  # fmt: skip
        nj = judge(
            prep.facts, ncand, nsims, threshold=cut, containment=containment,
            rule=FactRule(rescue_share=1.0),
        )  # fmt: skip
        nveto = np.isin(nj.kind, [MATCH_KINDS.index("template"), MATCH_KINDS.index("update")])
        rows.append({
            "design": "candidate completion + fact veto",
            **count(star_link(prep.n, ncand, nsims, nok & ~nveto, None)),
        })  # fmt: skip
        for fl in (cut, round(cut - 0.02, 2), round(cut - 0.05, 2)):
            rows.append({
                "design": f"star merge: stars bridged by an accepted pair, representatives >= {fl}",
                **count(star_merge(prep.n, filtered, cand, sims, ok, cfg.similarity, fl)),
            })  # fmt: skip
        for choice in ("earliest", "biggest"):
            rows.append({
                "design": f"a document matching several representatives joins the {choice} "
                f"(not the most similar)",
                **count(star_choice(prep.n, cand, sims, base, choice)),
            })  # fmt: skip
        sizes = prep.sets.sizes()
        for name, order in (("longest", np.argsort(-sizes, kind="stable")),
                            ("shortest", np.argsort(sizes, kind="stable"))):  # fmt: skip
            rep = star_clusters(prep.n, cand[base], sims[base], order).representative
            rows.append({
                "design": f"stars built {name} first (most / fewest shingles; not input order)",
                **count(np.asarray(rep)),
            })  # fmt: skip
        facts_ok = tf.decide(prep, cand, sims, cfg, FactRule())
        for fl in floors[:2]:
            rep, placed = member_rescue(prep, cfg, filtered, cand, sims, FactRule(), fl)
            rows.append({
                "design": f"defaults + member rescue, floor {fl} (a document matching no "
                f"representative joins one >= {fl} similar, no fact conflict, when it matches "
                f"one of that star's first 32 members; {placed} placed)",
                **count(rep),
            })  # fmt: skip
        weight = np.bincount(
            cand[facts_ok].ravel(), weights=np.repeat(sims[facts_ok], 2), minlength=prep.n
        )
        order = np.lexsort((np.arange(prep.n), -weight))
        stars = star_clusters(prep.n, cand[facts_ok], sims[facts_ok], order)
        rep = np.asarray(stars.representative)
        accepted = set(map(tuple, cand[facts_ok].tolist()))
        joined = [
            (int(a), int(b)) for (a, b), g in zip(pairs.tolist(), groups, strict=True)
            if g[0] == "TEMPLATE" and rep[a] == rep[b]
        ]  # fmt: skip
        rows.append({
            "design": "defaults, stars built most connected first (sum of accepted "
            "similarities; not causal, batch only; "
            f"{sum(p in accepted for p in joined)} of the {len(joined)} joined templates are "
            "accepted pairs)",
            **count(rep),
        })  # fmt: skip
        alone = tf.decide(
            prep, pairs, verify_pairs(filtered, pairs, cfg.similarity), cfg, FactRule()
        )
        rows.append({
            "design": "defaults, the verifier on each labelled pair alone (no LSH, no stars)",
            **count_same(alone),
        })  # fmt: skip
        rows.append({"design": "connected components (upper bound)",
                     **count(components(prep.n, cand[ok]))})  # fmt: skip
        out[mode] = rows
    return out


def load_split(split: str) -> list[dict[str, Any]]:
    """The labelled pairs of one split; records of the other split are skipped before their
    label is read (``tf.load_labels`` for the tuning split)."""
    if split == "tune":
        return tf.load_labels([])
    out = []
    for line in bq.LABELS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            if bq.split_of(rec) == split:
                out.append(rec)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--split", choices=["tune", "heldout"], default="tune",
        help="heldout: only to report, once every choice was made on tune",
    )  # fmt: skip
    split = ap.parse_args().split
    bq.DATA = tf.find_data()
    rows = bq.load_july()
    texts = [r["text"] for r in rows]
    index = {r["id"]: i for i, r in enumerate(rows)}
    recs = [r for r in load_split(split) if r["a"] in index and r["b"] in index]
    pairs = np.array([sorted_pair(index, r) for r in recs], dtype=np.int64).reshape(-1, 2)
    groups = [label_groups(r) for r in recs]
    prep = tf.Prepared(texts)
    shared, only_a, only_b, conflict = evidence(prep.facts, pairs)
    res: dict[str, Any] = {
        "load_average": {"start": [round(x, 2) for x in os.getloadavg()]},
        "corpus_documents": len(texts),
        "split": split,
        "labelled_pairs": len(recs),
        "lsh_grid": list(LSH_GRID),
        "modes": {},
    }
    per_pair: list[dict[str, Any]] = [
        {
            "a": r["a"],
            "b": r["b"],
            "label": r["label"],
            "jaccard_w5": r.get("jaccard_w5"),
            "facts_shared": int(shared[n].sum()),
            "facts_only_one_side": int(only_a[n].sum() + only_b[n].sum()),
            "facts_conflicting": int(conflict[n].sum()),
        }
        for n, r in enumerate(recs)
    ]
    for mode in tf.MODES:
        for name, rule in (("facts off", None), ("defaults", FactRule())):
            causes, extra = replay(prep, mode, rule, pairs)
            key = f"{mode}, {name}"
            sims = extra["similarity_filtered"]
            bins: dict[str, dict[str, int]] = {}
            for g, c, s in zip(groups, causes, sims.tolist(), strict=True):
                if c.startswith("below threshold"):
                    b = int(np.searchsorted(SIM_BINS, s, side="right")) - 1
                    span = f"[{SIM_BINS[b]:.2f}, {min(SIM_BINS[b + 1], 1.0):.2f})"
                    for lab in g:
                        bins.setdefault(lab, {}).setdefault(span, 0)
                        bins[lab][span] += 1
            lsh: dict[str, dict[str, int]] = {}
            for g, c, t in zip(groups, causes, extra["lsh_threshold_that_finds_it"], strict=True):
                if c == "no LSH candidate":
                    for lab in g:
                        lsh.setdefault(lab, {}).setdefault(str(t), 0)
                        lsh[lab][str(t)] += 1
            shape: dict[str, dict[str, int]] = {}
            for g, c, x in zip(groups, causes, extra["shape"], strict=True):
                if c == "cluster shape":
                    for lab in g:
                        shape.setdefault(lab, {}).setdefault(x, 0)
                        shape[lab][x] += 1
            boiler: dict[str, dict[str, list[float]]] = {}
            for g, c, b, a in zip(
                groups, causes, extra["similarity_full"].tolist(), sims.tolist(), strict=True
            ):
                if c == "boilerplate":
                    for lab in g:
                        d = boiler.setdefault(lab, {"before": [], "after": []})
                        d["before"].append(round(b, 3))
                        d["after"].append(round(a, 3))
            # A pair in two clusters leaves a duplicate in the output only when both of its
            # articles are kept (representatives); otherwise one was removed as a copy of a
            # third article.
            left: dict[str, dict[str, int]] = {}
            for g, c, both in zip(groups, causes, extra["both_kept"].tolist(), strict=True):
                if c != "merged":
                    for lab in g:
                        d = left.setdefault(lab, {"apart": 0, "both kept": 0})
                        d["apart"] += 1
                        d["both kept"] += int(both)
            res["modes"][key] = {
                "apart_pairs_both_kept": left,
                "threshold": tf.MODES[mode].cutoff,
                "lsh_threshold": tf.MODES[mode].effective_lsh_threshold(),
                "banding": list(tf.MODES[mode].banding()),
                "causes": table(groups, causes),
                "below_threshold_similarity_bins": bins,
                "lsh_miss_found_at": lsh,
                "boilerplate_similarity_before_after": boiler,
                "cluster_shape": shape,
            }
            for n, p in enumerate(per_pair):
                if name == "defaults":  # the figures are the facts-off row's
                    p[key] = causes[n]
                    continue
                p[key] = {
                    "cause": causes[n],
                    "sim": round(float(extra["similarity_filtered"][n]), 3),
                    "sim_full": round(float(extra["similarity_full"][n]), 3),
                    "candidate": bool(extra["candidate"][n]),
                    "representatives_sim": round(float(extra["representatives_similarity"][n]), 3),
                }
    # The fact check's own verdict on every labelled pair (Jaccard, default threshold).
    jac = pair_sims(tf.candidates(prep, tf.MODES["jaccard"])[0], pairs)["jaccard"]
    j = judge(prep.facts, pairs, jac, threshold=tf.MODES["jaccard"].cutoff)
    for n, p in enumerate(per_pair):
        p["fact_kind"] = j.match_kind(n)
    res["designs"] = designs(prep, pairs, groups)
    res["pairs"] = per_pair
    res["load_average"]["end"] = [round(x, 2) for x in os.getloadavg()]
    path = RESULTS if split == "tune" else RESULTS.with_name(f"recall_causes_{split}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(res), encoding="utf-8")
    write_doc(res)
    for key, m in res["modes"].items():
        print(f"== {key}", file=sys.stderr)
        for lab, c in m["causes"].items():
            print(f"  {lab:14s} {c}", file=sys.stderr)
    return 0


def dump(res: dict[str, Any]) -> str:
    """The results as JSON, one line per labelled pair (the file stays readable and small)."""
    head = json.dumps({k: v for k, v in res.items() if k != "pairs"}, indent=1)
    rows = ",\n".join("  " + json.dumps(p, separators=(",", ":")) for p in res["pairs"])
    return head[:-2] + ',\n "pairs": [\n' + rows + "\n ]\n}\n"


def sorted_pair(index: dict[str, int], rec: dict[str, Any]) -> tuple[int, int]:
    a, b = index[rec["a"]], index[rec["b"]]
    return (a, b) if a < b else (b, a)


def _counts_table(intro: str, counts: dict[str, dict[str, int]]) -> list[str]:
    """Markdown lines of a per-label table of ``counts`` (label -> column -> count), its
    columns every column any label has, sorted; no lines when there are no counts."""
    if not counts:
        return []
    spans = sorted({s for v in counts.values() for s in v})
    lines = ["", intro, "", "| label | " + " | ".join(spans) + " |", "|---|" + "---|" * len(spans)]
    for lab in LABELS:
        if lab in counts:
            lines.append(
                f"| {lab} | " + " | ".join(str(counts[lab].get(s, 0)) for s in spans) + " |"
            )
    return lines


def write_doc(res: dict[str, Any]) -> None:
    """Replace (or append) the section of ``docs/benchmarks/quality.md`` this script owns
    for the split it ran on."""
    split = res["split"]
    section_title = SECTIONS[split]
    name = "recall_causes.json" if split == "tune" else f"recall_causes_{split}.json"
    when = (
        "every design choice is made on this split"
        if split == "tune"
        else "run once, after every choice was made on the tuning split, to report only"
    )
    lines = [
        section_title,
        "",
        f"Generated by `benchmarks/recall_causes.py --split {split}` ({when}; "
        f"{res['labelled_pairs']} pairs; raw figures and one row per pair, ids and numbers "
        f"only, in `benchmarks/results/{name}`; load average "
        f"{res['load_average']['start'][0]} at the start, {res['load_average']['end'][0]} "
        "at the end, on 2 cores). For each labelled pair the first "
        "stage that keeps the two articles apart: `boilerplate` (at the threshold on the full "
        "shingle sets, under it once `max_df` removed the common shingles, and not taken by "
        "the boilerplate rescue), `below threshold` "
        "(under it before that too; split by whether LSH proposed the pair), `no LSH "
        "candidate` (at the threshold, no band agrees), `facts veto` (fact check rows only), "
        "`cluster shape` (accepted, the boilerplate rescue included, but in different "
        "stars). The detector is the library's, boilerplate rescue on. TEMPLATE, REWRITE "
        "and DIFFERENT rows show what a fix opening that stage would cost.",
    ]
    for key, m in res["modes"].items():
        present = [c for c in CAUSES if any(c in v for v in m["causes"].values())]
        lines += [
            "",
            f"### {key} (threshold {m['threshold']}, LSH at {m['lsh_threshold']}, "
            f"{m['banding'][0]} bands x {m['banding'][1]} rows)",
            "",
            "| label | n | " + " | ".join(present) + " |",
            "|---|---|" + "---|" * len(present),
        ]
        for lab, c in m["causes"].items():
            cells = [str(c.get(x, 0)) for x in present]
            lines.append(f"| {lab} | {c['n']} | " + " | ".join(cells) + " |")
        lines += _counts_table(
            "Pairs under the threshold, by their similarity after the boilerplate filter:",
            m["below_threshold_similarity_bins"],
        )
        lines += _counts_table(
            "Cluster-shape losses: whether the later article of the pair (in keep order) "
            "matched no representative (its match is a member of another star) or joined a "
            "representative more similar to it, and whether the two representatives are "
            "at the threshold with each other (so LSH never proposed them) or under it:",
            m["cluster_shape"],
        )
        lines += _counts_table(
            "Pairs kept apart (not merged), and how many of them have both articles kept "
            "(each is its cluster's representative): only those leave these two texts side "
            "by side in the output; in the others one of them was removed as a copy of a "
            "third article, whose representative may still sit beside the other (the "
            "cluster-shape table says whether the two representatives are at the threshold):",
            m["apart_pairs_both_kept"],
        )
        boiler = m["boilerplate_similarity_before_after"]
        if boiler:
            lines += [
                "",
                "Boilerplate losses: similarity on the full shingle sets (before the filter), "
                "after it, and the share of it kept (after / before), median [range]:",
                "",
                "| label | before | after | kept |",
                "|---|---|---|---|",
            ]
            for lab in LABELS:
                if lab in boiler:
                    before, after = boiler[lab]["before"], boiler[lab]["after"]
                    kept = [a / b for a, b in zip(after, before, strict=True)]
                    cells = [
                        f"{statistics.median(v):.2f} [{min(v):.2f}, {max(v):.2f}]"
                        for v in (before, after, kept)
                    ]
                    lines.append(f"| {lab} | " + " | ".join(cells) + " |")
        if m["lsh_miss_found_at"]:
            found = "; ".join(
                f"{lab}: " + ", ".join(f"{n} at {t}" for t, n in sorted(v.items()))
                for lab, v in m["lsh_miss_found_at"].items()
            )
            lines += ["", f"LSH misses, and the lower LSH threshold that finds them: {found}."]
    for mode, rows in res["designs"].items():
        labs = [lab for lab in LABELS if lab in rows[0]]
        lines += [
            "",
            f"### Candidate fixes, {mode} (merged pairs of the {split} split)",
            "",
            "| design | " + " | ".join(labs) + " |",
            "|---|" + "---|" * len(labs),
        ]
        for r in rows:
            lines.append(f"| {r['design']} | " + " | ".join(r[lab] for lab in labs) + " |")
    section = "\n".join(lines) + "\n"
    old = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    at = old.find("\n" + section_title)
    if at >= 0:
        nxt = old.find("\n## ", at + len(section_title) + 1)
        new = old[: at + 1] + section + (old[nxt:] if nxt >= 0 else "")
    else:
        new = old.rstrip("\n") + "\n\n" + section
    DOC.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
