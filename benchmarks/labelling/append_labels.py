#!/usr/bin/env python3
"""Append hand-assigned labels to benchmarks/data/saudinewsnet_labelled_pairs.jsonl.

Reads lines "<sample index>|<LABEL>|<short English note>" on stdin; the index refers to the line
number (0-based) in sampled_pairs.jsonl.  Refuses indices that are already labelled.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
SAMPLE = HERE / "sampled_pairs.jsonl"
OUT = HERE.parent / "data" / "saudinewsnet_labelled_pairs.jsonl"
LABELS = {"COPY", "PARTIAL", "TEMPLATE", "REWRITE", "DIFFERENT"}


def main() -> None:
    recs = [json.loads(x) for x in SAMPLE.read_text(encoding="utf-8").splitlines()]
    done = set()
    if OUT.exists():
        done = {
            (r["a"], r["b"]) for r in map(json.loads, OUT.read_text(encoding="utf-8").splitlines())
        }
    out = []
    for line in sys.stdin:
        if not line.strip():
            continue
        idx, label, note = (x.strip() for x in line.split("|", 2))
        r = recs[int(idx)]
        if label not in LABELS:
            raise SystemExit(f"bad label {label!r} on {line!r}")
        if any("\u0600" <= ch <= "\u06ff" for ch in note):
            raise SystemExit(f"Arabic text in note: {line!r}")
        if (r["a"], r["b"]) in done:
            raise SystemExit(f"already labelled: {idx}")
        done.add((r["a"], r["b"]))
        out.append(
            {
                "a": r["a"],
                "b": r["b"],
                "label": label,
                "band": r["band"],
                "jaccard_w5": r["jaccard_w5"],
                "containment_w5": r["containment_w5"],
                "note": note,
            }
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("a", encoding="utf-8") as fh:
        for o in out:
            fh.write(json.dumps(o, ensure_ascii=False) + "\n")
    print(f"appended {len(out)}; total {len(done)}")


if __name__ == "__main__":
    main()
