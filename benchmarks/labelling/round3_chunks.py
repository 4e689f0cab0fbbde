#!/usr/bin/env python3
"""Split the third-round records of sampled_pairs.jsonl into 4 contiguous chunk files for the
labellers (round3_chunk1.jsonl ... round3_chunk4.jsonl), in sampled order; every record keeps
its global line index (0-based) in sampled_pairs.jsonl as field ``index``.

    python3 benchmarks/labelling/round3_chunks.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
SAMPLE = HERE / "sampled_pairs.jsonl"
FIRST_ROUND3 = 280  # records before this index are the first two rounds (tuning data)
N_CHUNKS = 4


def main() -> int:
    recs = [json.loads(x) for x in SAMPLE.read_text(encoding="utf-8").splitlines()]
    new = [{"index": i, **r} for i, r in enumerate(recs) if i >= FIRST_ROUND3]
    size = -(-len(new) // N_CHUNKS)
    for c in range(N_CHUNKS):
        part = new[c * size : (c + 1) * size]
        out = HERE / f"round3_chunk{c + 1}.jsonl"
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), "utf-8")
        print(
            f"{out.name}: {len(part)} pairs, index {part[0]['index']}..{part[-1]['index']}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
