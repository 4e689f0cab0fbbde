#!/usr/bin/env python3
"""Print sampled pairs *in full* (ids, outlets, dates, both titles, both full texts) by their
global index in sampled_pairs.jsonl.  Output goes to the terminal only; nothing is written (the
corpus text must never enter the repository).

    python3 benchmarks/labelling/read_pair.py 280            # one pair
    python3 benchmarks/labelling/read_pair.py 280 281 290-295
"""

from __future__ import annotations

import json
import sys

from show_pairs import SAMPLE, load_articles

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
    "length_ratio",
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
    arts = load_articles(need)
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
