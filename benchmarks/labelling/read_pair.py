#!/usr/bin/env python3
"""Print sampled pairs *in full* (ids, outlets, dates, both titles, both full texts) by their
global index in sampled_pairs.jsonl.  Output goes to the terminal only; nothing is written (the
corpus text must never enter the repository).

    python3 benchmarks/labelling/read_pair.py 280            # one pair
    python3 benchmarks/labelling/read_pair.py 280 281 290-295
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

DATA = "/work/shared/data/saudinewsnet/saudinewsnet.jsonl.gz"
SAMPLE = Path(__file__).parent / "sampled_pairs.jsonl"
SHOWN = (
    "band",
    "family",
    "family_size",
    "split",
    "jaccard_w5",
    "containment_w5",
    "jaccard_w2",
    "rare_jaccard",
    "rare_shared",
    "title_jaccard",
    "day_gap",
)


def parse(args: list[str]) -> list[int]:
    out: list[int] = []
    for a in args:
        if "-" in a:
            lo, hi = a.split("-", 1)
            out.extend(range(int(lo), int(hi) + 1))
        else:
            out.append(int(a))
    return out


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    idx = parse(sys.argv[1:])
    recs = [json.loads(x) for x in SAMPLE.read_text(encoding="utf-8").splitlines()]
    for n in idx:
        if not 0 <= n < len(recs):
            print(f"index {n} is outside sampled_pairs.jsonl (0..{len(recs) - 1})", file=sys.stderr)
            return 2
    need = {recs[n]["a"] for n in idx} | {recs[n]["b"] for n in idx}
    arts = {}
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        for line in fh:
            o = json.loads(line)
            if o["id"] in need:
                arts[o["id"]] = o
    for n in idx:
        r = recs[n]
        print(f"##### #{n} " + " ".join(f"{k}={r[k]}" for k in SHOWN if k in r))
        for tag in ("a", "b"):
            o = arts[r[tag]]
            print(f"--- [{tag.upper()}] {o['id']} {o['group']} {o['date']} len={len(o['text'])}")
            print(f"TITLE: {o['title']}")
            print(o["text"])
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
