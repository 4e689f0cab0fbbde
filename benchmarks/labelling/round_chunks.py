#!/usr/bin/env python3
"""Split one labelling round's records of sampled_pairs.jsonl into contiguous chunk files for the
labellers (``round<N>_chunk<c>.jsonl``), in sampled order; every record keeps its global line
index (0-based) in sampled_pairs.jsonl as field ``index`` (what read_pair.py takes).

    python3 benchmarks/labelling/round_chunks.py --round 4     # round4_chunk1..2.jsonl
    python3 benchmarks/labelling/round_chunks.py --round 3     # round3_chunk1..4.jsonl (as drawn)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
SAMPLE = HERE / "sampled_pairs.jsonl"
# round -> (first index, end index or None for "to the end", number of chunks); records before
# index 280 are the first two rounds (tuning data, labelled without chunks)
ROUNDS: dict[int, tuple[int, int | None, int]] = {3: (280, 786, 4), 4: (786, None, 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--round", type=int, choices=sorted(ROUNDS), required=True)
    args = ap.parse_args(argv)
    first, end, n_chunks = ROUNDS[args.round]
    recs = [json.loads(x) for x in SAMPLE.read_text(encoding="utf-8").splitlines()]
    stop = len(recs) if end is None else end
    if stop > len(recs) or first >= stop:
        print(
            f"{SAMPLE.name} has {len(recs)} records; round {args.round} needs index "
            f"{first}..{stop - 1}: re-run sample_pairs.py first",
            file=sys.stderr,
        )
        return 1
    new = [{"index": i, **recs[i]} for i in range(first, stop)]
    size = -(-len(new) // n_chunks)
    for c in range(n_chunks):
        part = new[c * size : (c + 1) * size]
        out = HERE / f"round{args.round}_chunk{c + 1}.jsonl"
        out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), "utf-8")
        print(
            f"{out.name}: {len(part)} pairs, index {part[0]['index']}..{part[-1]['index']}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
