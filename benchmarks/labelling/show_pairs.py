#!/usr/bin/env python3
"""Print a compact reading view of sampled pairs (for the human labeller; output goes to the
terminal only, nothing is written to the repository).

    python3 benchmarks/labelling/show_pairs.py 0 10        # pairs 0..9 of sampled_pairs.jsonl
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from sample_pairs import tokens

DATA = "/work/shared/data/saudinewsnet/saudinewsnet.jsonl.gz"
SAMPLE = Path(__file__).parent / "sampled_pairs.jsonl"
HEAD, TAIL = 500, 250


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"[.!؟?\n]+", text) if len(s.strip()) > 25]


def novel(x: dict, y: dict) -> int:
    """Characters of x's sentences that have no similar sentence (token Jaccard >= 0.5) in y."""
    ys = [set(k.split()) for k in y]
    tot = 0
    for k, s in x.items():
        ks = set(k.split())
        if not any(len(ks & t) / len(ks | t) >= 0.5 for t in ys if t):
            tot += len(s)
    return tot


def load_articles(ids: set[str]) -> dict[str, dict]:
    """The SaudiNewsNet records with these ids (one pass over the corpus)."""
    arts = {}
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        for line in fh:
            o = json.loads(line)
            if o["id"] in ids:
                arts[o["id"]] = o
    return arts


def main() -> None:
    lo, hi = int(sys.argv[1]), int(sys.argv[2])
    head = int(sys.argv[3]) if len(sys.argv) > 3 else HEAD
    recs = [json.loads(x) for x in SAMPLE.read_text(encoding="utf-8").splitlines()][lo:hi]
    need = {r["a"] for r in recs} | {r["b"] for r in recs}
    arts = load_articles(need)
    for n, r in enumerate(recs, lo):
        a, b = arts[r["a"]], arts[r["b"]]
        print(
            f"=== #{n} {r['band']} {r.get('family', '')} "
            f"J={r['jaccard_w5']} C={r['containment_w5']}"
        )
        for tag, o in (("A", a), ("B", b)):
            t = o["text"].replace("\n", " / ")
            print(
                f"[{tag}] {o['id']} {o['group']} {o['date'][:16]} "
                f"len={len(o['text'])} | {o['title']}"
            )
            if len(t) <= head + TAIL + 50:
                print("   " + t)
            else:
                print("   " + t[:head] + " [...] " + t[-TAIL:])
        sa = {" ".join(tokens(s)): s for s in sentences(a["text"])}
        sb = {" ".join(tokens(s)): s for s in sentences(b["text"])}
        oa = [sa[k] for k in sa if k not in sb]
        ob = [sb[k] for k in sb if k not in sa]
        print(
            f"   sentences: A={len(sa)} B={len(sb)} shared={len(set(sa) & set(sb))}"
            f"  new-material chars: A={novel(sa, sb)} B={novel(sb, sa)}"
        )
        for tag, lst in (("onlyA", oa), ("onlyB", ob)):
            for s in lst[:2]:
                print(f"   {tag}: {s[:110]}")
        print()


if __name__ == "__main__":
    main()
