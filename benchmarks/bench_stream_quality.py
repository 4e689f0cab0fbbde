"""Streaming quality: does ``Deduplicator`` keep template bulletins apart as batch does?

Every July 2015 SaudiNewsNet article is added, in date / id order, to an in-memory
``Deduplicator`` — with ``max_df="auto"`` (the default: boilerplate counted over the texts seen
so far) and with ``max_df=None`` (every shingle compared) — and the hand-labelled pairs
(``benchmarks/data/saudinewsnet_labelled_pairs.jsonl``) are scored: a pair is *merged* when
its two keys resolve, via ``lookup``, to the same kept key. Also run:

* "auto, warmed": the August 2015 articles are added first as history (their counts warm the
  index up), then July is streamed and scored the same way — what a pipeline that has been
  running for a while sees, instead of a cold start where nothing is boilerplate yet;
* batch ``find_duplicates`` on the July articles in the same order (``keep="first"``), with
  ``max_df="auto"`` and None: merged = same cluster.

    python benchmarks/bench_stream_quality.py

Writes ``benchmarks/results/stream_quality.json``; the "Streaming" section of
``docs/benchmarks/quality.md`` summarises it.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from collections import Counter
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import arabic_dedup as ad

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "saudinewsnet" / "saudinewsnet.jsonl.gz"
LABELS = ROOT / "benchmarks" / "data" / "saudinewsnet_labelled_pairs.jsonl"
RESULTS = ROOT / "benchmarks" / "results" / "stream_quality.json"


def _order(row: dict[str, str]) -> tuple[str, int]:
    day, _, n = row["id"].partition("#")
    return day, int(n)


def load() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    with gzip.open(DATA, "rt", encoding="utf-8") as f:
        rows = sorted((json.loads(line) for line in f), key=_order)
    july = [r for r in rows if r["date"].startswith("2015-07")]
    history = [r for r in rows if not r["date"].startswith("2015-07")]
    return july, history


def labelled(ids: set[str]) -> list[dict[str, str]]:
    rows = [json.loads(x) for x in LABELS.read_text(encoding="utf-8").splitlines() if x.strip()]
    return [r for r in rows if r["a"] in ids and r["b"] in ids]


def rates(same: list[bool], labels: list[dict[str, str]]) -> dict[str, float]:
    n = Counter(lab["label"] for lab in labels)
    hit = Counter(lab["label"] for lab, s in zip(labels, same, strict=True) if s)
    return {k: round(hit[k] / n[k], 4) for k in sorted(n)}


def stream(
    july: list[dict[str, str]],
    labels: list[dict[str, str]],
    max_df: Any,
    history: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    d = ad.Deduplicator(max_df=max_df)
    if history:
        d.add_many((r["id"], r["text"]) for r in history)
    t0 = time.perf_counter()
    out = d.add_many((r["id"], r["text"]) for r in july)
    seconds = time.perf_counter() - t0

    def kept_key(key: Hashable) -> Hashable:
        m = d.lookup(key)
        return key if m is None else m.key

    same = [kept_key(lab["a"]) == kept_key(lab["b"]) for lab in labels]
    return {
        "merge_rate": rates(same, labels),
        "duplicates": sum(m is not None for m in out),
        "july_seconds": round(seconds, 1),
    }


def batch(july: list[dict[str, str]], labels: list[dict[str, str]], max_df: Any) -> dict[str, Any]:
    index = {r["id"]: i for i, r in enumerate(july)}
    res = ad.find_duplicates([r["text"] for r in july], max_df=max_df)
    cid = res.cluster_ids
    same = [bool(cid[index[lab["a"]]] == cid[index[lab["b"]]]) for lab in labels]
    return {"merge_rate": rates(same, labels), "duplicates": res.n_duplicates}


def main() -> int:
    if not DATA.exists():
        print(f"{DATA} not found: this benchmark needs SaudiNewsNet", file=sys.stderr)
        return 1
    july, history = load()
    labels = labelled({r["id"] for r in july})
    ad.Deduplicator().add_many((r["id"], r["text"]) for r in july[:50])  # load the kernels
    runs: dict[str, dict[str, Any]] = {}
    for name, fn in (
        ("stream, max_df=auto", lambda: stream(july, labels, "auto")),
        ("stream, max_df=None", lambda: stream(july, labels, None)),
        ("stream, max_df=auto, warmed with August", lambda: stream(july, labels, "auto", history)),
        ("batch, max_df=auto", lambda: batch(july, labels, "auto")),
        ("batch, max_df=None", lambda: batch(july, labels, None)),
    ):
        runs[name] = fn()
        print(name, json.dumps(runs[name]), file=sys.stderr, flush=True)
    payload = {
        "july_documents": len(july),
        "history_documents": len(history),
        "labelled_pairs": len(labels),
        "label_counts": dict(sorted(Counter(lab["label"] for lab in labels).items())),
        "merged": "stream: both keys resolve (lookup) to one kept key; batch: same cluster",
        "runs": runs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
