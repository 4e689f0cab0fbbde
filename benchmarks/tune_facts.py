"""Tuning measurement behind the fact check (``arabic_dedup._facts``), tuning split only.

The detector runs over all July 2015 SaudiNewsNet articles (as ``bench_quality.py`` part 2):
shingles -> boilerplate filter -> MinHash -> LSH -> verified similarity, then either (a) the
threshold alone (today's defaults) or (b) the threshold plus the fact check, then star
clusters. Per label: how often both articles of a labelled pair end in one cluster, with 95 %
Wilson intervals; and, over the pairs LSH proposed, how often the pair itself was accepted.
Also: synthetic syndication F1 and the seeds (``bench_quality.py`` parts 1 and 3) with and
without the check, the cost per judged pair, the extra bytes per document, and the
measurement that rejected document-frequency weighting (IDF-weighted Jaccard per label).

Labels: the records of the tuning split (``"split": "tune"``, or no split field) of
``benchmarks/data/saudinewsnet_labelled_pairs.jsonl`` and of any ``--more-labels`` files;
held-out records are skipped before their label is read.

    python benchmarks/tune_facts.py [--more-labels 'path/round3_labels_chunk*.jsonl'] [--bases N]

Runtime: about half a minute on a quiet machine (July 2015: 15,042 articles).
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import math
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bench_quality as bq
import numpy as np
from numpy.typing import NDArray

import arabic_dedup as ad
from arabic_dedup._cluster import star_clusters
from arabic_dedup._facts import MATCH_KINDS, FactRule, fact_sets, judge
from arabic_dedup._lsh import candidate_pairs
from arabic_dedup._shingle import ShingleSets
from arabic_dedup._verify import verify_pairs

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "tune_facts.json"
LABEL_ORDER = ("COPY", "PARTIAL", "TEMPLATE", "REWRITE", "DIFFERENT", "COPY (hard, w5 J < 0.3)")
HARD_COPY_W5 = 0.3
MODES: dict[str, ad.DedupConfig] = {
    "jaccard": ad.DedupConfig(),
    "containment": ad.DedupConfig(similarity="containment"),
}


def find_data() -> Path:
    env = os.environ.get("ARABIC_DEDUP_SAUDINEWSNET")
    if env:
        return Path(env)
    for parent in ROOT.parents:
        p = parent / "shared" / "data" / "saudinewsnet" / "saudinewsnet.jsonl.gz"
        if p.exists():
            return p
    return bq.DATA


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (round(max(0.0, mid - half), 4), round(min(1.0, mid + half), 4))


def load_labels(more: list[str]) -> list[dict[str, Any]]:
    rows = []
    for line in bq.LABELS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rec = json.loads(line)
            if bq.split_of(rec) == "tune":  # held-out: never looked at
                rows.append(rec)
    for pattern in more:
        for path in sorted(glob.glob(pattern)):
            for line in Path(path).read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    continue
                rec = json.loads(line)
                if rec.get("split") != "tune":
                    continue  # held-out: never looked at
                if "label" not in rec:
                    continue  # not labelled yet
                rows.append(rec)
    seen: set[tuple[str, str]] = set()
    out = []
    for r in rows:
        key = (min(r["a"], r["b"]), max(r["a"], r["b"]))
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


class Prepared:
    """Per-document data of a corpus, computed once: shingle sets and fact fingerprints."""

    def __init__(self, texts: list[str]) -> None:
        hasher = MODES["jaccard"].hasher()
        t0 = time.perf_counter()
        self.sets = hasher.shingle_sets(texts)
        self.shingle_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        toks = [ad.tokens(t) for t in texts]
        self.token_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        self.facts = fact_sets(toks)
        self.fact_seconds = time.perf_counter() - t0
        self.n = len(texts)


def candidates(
    prep: Prepared, cfg: ad.DedupConfig
) -> tuple[ShingleSets, NDArray[np.int64], NDArray[np.float64]]:
    rule = cfg.boilerplate
    filtered = rule.apply(prep.sets) if rule is not None else prep.sets
    sigs = cfg.hasher().signatures_from_sets(filtered)
    bands, rows = cfg.banding()
    cand = candidate_pairs(sigs, bands, rows, active=filtered.sizes() > 0)
    sims = verify_pairs(filtered, cand, cfg.similarity)
    return filtered, cand, sims


def decide(
    prep: Prepared,
    cand: NDArray[np.int64],
    sims: NDArray[np.float64],
    cfg: ad.DedupConfig,
    rule: FactRule | None,
) -> NDArray[np.bool_]:
    """Which candidate pairs ``cfg``'s Verifier accepts (with ``rule`` as its fact check),
    the boilerplate rescue included, as ``find_duplicates`` decides them."""
    v = dataclasses.replace(cfg.verifier, facts=rule)
    facts = prep.facts if rule is not None else None
    ok, kinds = v.decide(sims, cand, facts)
    v.rescued(sims, ok, kinds, cand, lambda at: v.scores(prep.sets, cand[at]), facts)
    return ok


def clusters(n: int, cand: NDArray[np.int64], sims: NDArray[np.float64], ok: Any) -> Any:
    return star_clusters(n, cand[ok], sims[ok], np.arange(n)).representative


def detector(mode: str, rule: FactRule | None) -> Callable[[list[str]], NDArray[np.int64]]:
    cfg = MODES[mode]

    def run(texts: list[str]) -> NDArray[np.int64]:
        prep = Prepared(texts)
        _, cand, sims = candidates(prep, cfg)
        return np.asarray(clusters(prep.n, cand, sims, decide(prep, cand, sims, cfg, rule)))

    return run


def label_of(rec: dict[str, Any]) -> list[str]:
    out = [rec["label"]]
    if rec["label"] == "COPY" and rec.get("jaccard_w5", 1.0) < HARD_COPY_W5:
        out.append(LABEL_ORDER[-1])
    return out


def rates(
    labels: list[dict[str, Any]],
    index: dict[str, int],
    rep: Any,
    accepted: dict[tuple[int, int], bool],
) -> dict[str, Any]:
    merged: Counter[str] = Counter()
    total: Counter[str] = Counter()
    cand_n: Counter[str] = Counter()
    cand_ok: Counter[str] = Counter()
    for r in labels:
        i, j = sorted((index[r["a"]], index[r["b"]]))
        for lab in label_of(r):
            total[lab] += 1
            merged[lab] += int(rep[i] == rep[j])
            if (i, j) in accepted:
                cand_n[lab] += 1
                cand_ok[lab] += int(accepted[(i, j)])
    out = {}
    for lab in LABEL_ORDER:
        if total[lab]:
            out[lab] = {
                "n": total[lab],
                "merged": merged[lab],
                "rate": round(merged[lab] / total[lab], 4),
                "wilson95": wilson(merged[lab], total[lab]),
                "lsh_candidates": cand_n[lab],
                "candidates_accepted": cand_ok[lab],
            }
    return out


def weighting_check(
    prep: Prepared,
    filtered: ShingleSets,
    labels: list[dict[str, Any]],
    index: dict[str, int],
) -> dict[str, Any]:
    """Plain vs IDF-weighted (log N/df) Jaccard of the filtered sets, per label: does weighting
    shingles by document frequency separate COPY from TEMPLATE better? (AUC of each score.)"""
    s = np.sort(filtered.hashes)
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    uniq, counts = s[starts], np.diff(np.r_[starts, s.size])

    def weight(h: NDArray[np.uint32]) -> float:
        return float(np.log(prep.n / counts[np.searchsorted(uniq, h)]).sum())

    by: dict[str, list[tuple[float, float]]] = {}
    for r in labels:
        i, j = index[r["a"]], index[r["b"]]
        a, b = filtered[i], filtered[j]
        inter = np.intersect1d(a, b, assume_unique=True)
        union = np.union1d(a, b)
        if union.size == 0:
            continue
        by.setdefault(r["label"], []).append(
            (inter.size / union.size, weight(inter) / max(weight(union), 1e-12))
        )

    def auc(pos: list[float], neg: list[float]) -> float:
        if not pos or not neg:
            return float("nan")
        wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
        return round(wins / (len(pos) * len(neg)), 4)

    out: dict[str, Any] = {
        lab: {
            "n": len(v),
            "median_jaccard": round(statistics.median(x for x, _ in v), 4),
            "median_idf_jaccard": round(statistics.median(y for _, y in v), 4),
        }
        for lab, v in sorted(by.items())
    }
    copy, tmpl = by.get("COPY", []), by.get("TEMPLATE", [])
    out["auc_copy_vs_template"] = {
        "jaccard": auc([x for x, _ in copy], [x for x, _ in tmpl]),
        "idf_jaccard": auc([y for _, y in copy], [y for _, y in tmpl]),
    }
    return out


def cost(prep: Prepared, cand: NDArray[np.int64], sims: NDArray[np.float64]) -> dict[str, Any]:
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        judge(prep.facts, cand, sims, threshold=0.3)
        times.append(time.perf_counter() - t0)
    per_doc_facts = prep.facts.hashes.size / prep.n
    per_doc_shingles = prep.sets.hashes.size / prep.n
    return {
        "pairs": len(cand),
        "judge_seconds_median": round(statistics.median(times), 5),
        "judge_us_per_pair": round(statistics.median(times) / max(len(cand), 1) * 1e6, 3),
        "fact_extraction_seconds_reference_path": round(prep.fact_seconds, 3),
        "tokens_seconds_reference_path": round(prep.token_seconds, 3),
        "shingle_seconds_fast_path": round(prep.shingle_seconds, 3),
        "facts_per_doc_mean": round(per_doc_facts, 3),
        "facts_per_doc_max": int(prep.facts.sizes().max(initial=0)),
        "shingle_hashes_per_doc_mean": round(per_doc_shingles, 2),
        "extra_bytes_per_doc": round(4 * per_doc_facts + 8, 2),  # uint32 facts + int64 offset
        "shingle_bytes_per_doc": round(4 * per_doc_shingles + 8, 2),
        "extra_share": round((4 * per_doc_facts + 8) / (4 * per_doc_shingles + 8), 4),
    }


def cost_child(mode: str) -> dict[str, Any]:
    """One find_duplicates-equivalent run (read_all + detect) on all of SaudiNewsNet with
    ``facts=mode``, timed per stage, in this (fresh) interpreter."""
    import gzip
    import resource

    from arabic_dedup._dedup import detect, read_all
    from arabic_dedup._keep import keep_order

    with gzip.open(find_data(), "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f]
    cfg = ad.DedupConfig(facts=mode)  # type: ignore[arg-type]
    hasher = cfg.hasher()
    ad.find_duplicates(texts[:200], config=cfg)  # compile / load the kernels outside the timing
    c0, t0 = time.process_time(), time.perf_counter()
    sets, lengths, fsets = read_all(texts, hasher, facts=cfg.fact_rule is not None)
    read_s = time.perf_counter() - t0
    det = detect([sets], keep_order(lengths, "first"), config=cfg, hasher=hasher, facts=fsets)
    wall = time.perf_counter() - t0
    return {
        "facts": mode,
        "docs": len(texts),
        "wall_s": round(wall, 4),
        "cpu_s": round(time.process_time() - c0, 4),
        "read_and_shingle_s": round(read_s, 4),
        "stages_s": det.timings,
        "duplicates": int((det.clusters.representative != np.arange(len(texts))).sum()),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def cost_runs(runs: int) -> dict[str, Any]:
    """Interleaved fresh-interpreter runs with the fact check off and on (load from other work
    hits both), and the naive datasketch anchor's median from the last bench_end_to_end run."""
    import subprocess

    out: dict[str, list[dict[str, Any]]] = {"off": [], "apart": []}
    for _ in range(runs):
        for mode in out:
            proc = subprocess.run(
                [sys.executable, __file__, "--cost-child", mode],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            out[mode].append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(mode, out[mode][-1], file=sys.stderr)

    def med(mode: str, key: str) -> float:
        return float(statistics.median(r[key] for r in out[mode]))

    res: dict[str, Any] = {"runs": out}
    for key in ("wall_s", "cpu_s", "read_and_shingle_s", "peak_rss_mb"):
        res[f"{key}_median"] = {m: round(med(m, key), 4) for m in out}
    verify = {m: statistics.median(r["stages_s"]["verify"] for r in out[m]) for m in out}
    res["verify_s_median"] = {m: round(v, 4) for m, v in verify.items()}
    extra = med("apart", "wall_s") - med("off", "wall_s")
    res["new_stage_share_of_run"] = round(extra / med("apart", "wall_s"), 4)
    res["peak_rss_change"] = round(med("apart", "peak_rss_mb") / med("off", "peak_rss_mb") - 1, 4)
    e2e = ROOT / "benchmarks" / "results" / "end_to_end.json"
    if e2e.exists():
        anchor = json.loads(e2e.read_text(encoding="utf-8")).get("datasketch", {})
        if "median_s" in anchor:
            # Wall clock only compares on a quiet machine; CPU seconds less load-sensitive.
            res["datasketch_anchor_median_s (bench_end_to_end.json)"] = anchor["median_s"]
            res["datasketch_anchor_cpu_s (bench_end_to_end.json)"] = anchor["cpu_s_median"]
            res["speedup_vs_anchor_wall"] = {
                m: round(anchor["median_s"] / med(m, "wall_s"), 1) for m in out
            }
            res["speedup_vs_anchor_cpu"] = {
                m: round(anchor["cpu_s_median"] / med(m, "cpu_s"), 1) for m in out
            }
    extra_cpu = med("apart", "cpu_s") - med("off", "cpu_s")
    res["new_stage_cpu_share_of_run"] = round(extra_cpu / med("apart", "cpu_s"), 4)
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--more-labels", action="append", default=[], help="glob of label files")
    ap.add_argument("--bases", type=int, default=1500, help="synthetic part: base articles")
    ap.add_argument("--no-synthetic", action="store_true")
    ap.add_argument(
        "--cost", type=int, default=0, metavar="RUNS",
        help="only measure the cost of facts='apart' end to end, RUNS runs each",
    )  # fmt: skip
    ap.add_argument("--cost-child", choices=["off", "apart"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cost_child:
        print(json.dumps(cost_child(args.cost_child)))
        return 0
    if args.cost:
        res = cost_runs(args.cost)
        path = RESULTS.with_name("facts_cost.json")
        path.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
        print(json.dumps({k: v for k, v in res.items() if k != "runs"}, indent=1))
        return 0
    bq.DATA = find_data()
    rows = bq.load_july()
    texts = [r["text"] for r in rows]
    index = {r["id"]: i for i, r in enumerate(rows)}
    labels = [r for r in load_labels(args.more_labels) if r["a"] in index and r["b"] in index]
    rule = FactRule()
    prep = Prepared(texts)
    res: dict[str, Any] = {
        "load_average": {"start": [round(x, 2) for x in os.getloadavg()]},
        "corpus_documents": len(texts),
        "labelled_pairs": len(labels),
        "label_counts": dict(Counter(r["label"] for r in labels)),
        "rule": {k: getattr(rule, k) for k in rule.__dataclass_fields__},
        "real": {},
    }
    jaccard_cand = None
    for mode, cfg in MODES.items():
        filtered, cand, sims = candidates(prep, cfg)
        if mode == "jaccard":
            jaccard_cand = (cand, sims)
            res["idf_weighting_check"] = weighting_check(prep, filtered, labels, index)
        res["real"][mode] = {}
        for name, r in (("defaults", None), ("facts", rule)):
            ok = decide(prep, cand, sims, cfg, r)
            rep = clusters(prep.n, cand, sims, ok)
            accepted = {(int(a), int(b)): bool(x) for (a, b), x in zip(cand, ok, strict=True)}
            res["real"][mode][name] = rates(labels, index, rep, accepted)
        if mode == "jaccard":
            j = judge(prep.facts, cand, sims, threshold=cfg.cutoff)
            res["match_kinds_over_candidates"] = dict(
                Counter(MATCH_KINDS[int(k)] for k in j.kind.tolist())
            )
    assert jaccard_cand is not None
    res["cost"] = cost(prep, *jaccard_cand)
    if not args.no_synthetic:
        rng = random.Random(bq.SEED)
        bases = bq.independent_bases(rows, args.bases, rng)
        dets = {"defaults": detector("jaccard", None), "facts": detector("jaccard", rule)}
        syn = bq.synthetic_part(dets, bases, 60, random.Random(bq.SEED + 1))
        res["synthetic"] = {
            k: {m: v[m] for m in ("precision", "recall", "f1")} if isinstance(v, dict) else v
            for k, v in syn.items()
        }
        res["seeds"] = {
            name: bq.seeds_part(det, random.Random(bq.SEED + 2)) for name, det in dets.items()
        }
    res["load_average"]["end"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for mode in MODES:
        print(f"== {mode}")
        for lab in LABEL_ORDER:
            cells = []
            for name in ("defaults", "facts"):
                x = res["real"][mode][name].get(lab)
                if x:
                    cells.append(f"{name} {x['merged']}/{x['n']} {x['rate']:.1%} {x['wilson95']}")
            if cells:
                print(f"  {lab:26s} " + " | ".join(cells))
    print(json.dumps(res["cost"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
