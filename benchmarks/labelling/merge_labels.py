#!/usr/bin/env python3
"""Fold the label files of rounds 3 and later (round3_labels_chunk*.jsonl,
round4_labels_chunk*.jsonl, ...) into the labels file the benchmarks read
(../data/saudinewsnet_labelled_pairs.jsonl): its first 280 records (rounds 1-2) stay as they
are, the later labels follow in sampled order. Re-runnable; refuses a label that does not match
its sampled pair (ids, index, split), uses an unknown label, labels a pair twice, or leaves a
sampled pair of a labelled round without a label, naming the file and line.

    python3 benchmarks/labelling/merge_labels.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
SAMPLE = HERE / "sampled_pairs.jsonl"
LABELS = HERE.parent / "data" / "saudinewsnet_labelled_pairs.jsonl"
FIRST_ROUND3 = 280
LABEL_SET = {"COPY", "PARTIAL", "TEMPLATE", "REWRITE", "DIFFERENT"}
FIELDS = ("a", "b", "label", "band", "split", "jaccard_w5", "containment_w5", "note")
ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")


def main() -> int:
    sample = [json.loads(x) for x in SAMPLE.read_text(encoding="utf-8").splitlines()]
    base = LABELS.read_text(encoding="utf-8").splitlines()[:FIRST_ROUND3]
    got: dict[int, dict[str, object]] = {}
    where: dict[int, str] = {}
    for path in sorted(HERE.glob("round[3-9]_labels_chunk*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            r = json.loads(line)
            i = int(r["index"])
            s = sample[i]
            problems = [k for k in ("a", "b", "split") if r.get(k) != s.get(k)]
            if r.get("label") not in LABEL_SET:
                problems.append(f"label {r.get('label')!r}")
            if ARABIC.search(str(r.get("note", ""))):
                problems.append("Arabic in the note (licence: English only)")
            if problems:
                print(f"{path.name} line {n}: {', '.join(problems)}", file=sys.stderr)
                return 1
            if i in got:
                print(
                    f"{path.name} line {n}: pair {i} already labelled in {where[i]}",
                    file=sys.stderr,
                )
                return 1
            got[i] = {k: r[k] if k in r else s[k] for k in FIELDS}
            where[i] = path.name
    missing = [
        i for i in range(FIRST_ROUND3, max(got, default=FIRST_ROUND3 - 1) + 1) if i not in got
    ]
    if missing:
        print(f"sampled pairs without a label: {missing[:10]} ({len(missing)})", file=sys.stderr)
        return 1
    lines = base + [json.dumps(got[i], ensure_ascii=False) for i in sorted(got)]
    LABELS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{LABELS.name}: {len(base)} rounds 1-2 + {len(got)} later labels")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
