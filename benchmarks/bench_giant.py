"""Giant clusters: ``find_duplicates`` on a corpus full of copies vs the same-size corpus without.

The *normal* corpus is the first N documents of the v2 synthetic generator (as in
``bench_scaling.py``). The *giant* corpus has the same size: 70 % of it is the first 0.7 N
documents of the same generator; 20 % are exact copies of 20 texts (N / 100 copies each) and
10 % are near-copies of one text (one word replaced by a numbered token, so every copy has its
own shingle set and the copies fill the same LSH buckets). The 21 texts copied are the
generator's next base documents (no two from one group), so they occur nowhere else. The three
kinds are interleaved in one seeded random order, and the texts are streamed from the cache
files, never all in memory.

Each measurement is a fresh interpreter (its peak RSS is its own), normal and giant runs
alternate, and the load average is recorded beside each figure: the machine is shared.
``--buckets`` also times both corpora with ``GIANT_BUCKET`` set to other values. Run:
``python benchmarks/bench_giant.py [--size 1000000] [--runs 3] [--buckets 250,1000,4000]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _common as c

HERE = Path(__file__).resolve()
N_TEXTS = 20  # texts copied exactly
COPY_SHARE = 0.2  # of the corpus: exact copies of the N_TEXTS texts
NEAR_SHARE = 0.1  # of the corpus: near-copies of one more text
TARGET_RATIO = 1.3  # giant corpus time and peak RSS within this of the normal corpus's


def giant_corpus(n: int) -> Iterator[str]:
    """The giant corpus of ``n`` documents (see the module docstring), in its seeded order."""
    import numpy as np

    n_copies = int(n * COPY_SHARE)
    n_near = int(n * NEAR_SHARE)
    n_gen = n - n_copies - n_near
    extra = _fresh_bases(n_gen, N_TEXTS + 1)
    texts, near_base = extra[:N_TEXTS], extra[N_TEXTS].split()
    kinds = np.concatenate(
        [np.zeros(n_gen, dtype=np.int8), np.ones(n_copies, dtype=np.int8), np.full(n_near, 2)]
    ).astype(np.int8)
    rng = np.random.default_rng(c.SEED)
    rng.shuffle(kinds)
    which = rng.integers(0, N_TEXTS, size=n_copies)
    where = rng.integers(0, len(near_base), size=n_near)
    gen = c.iter_synthetic_v2(n_gen)
    k_copy = k_near = 0
    for kind in kinds.tolist():
        if kind == 0:
            yield next(gen)
        elif kind == 1:
            yield texts[which[k_copy]]
            k_copy += 1
        else:
            words = list(near_base)
            words[where[k_near]] = f"نسخة{k_near}"
            yield " ".join(words)
            k_near += 1


def _fresh_bases(start: int, count: int) -> list[str]:
    """The first ``count`` base documents at or after ``start``: texts unrelated to each other
    and to every document before ``start`` (a base's syndicated copies follow it)."""
    import numpy as np

    end = start + 8 * count  # bases are every ~2.5 documents
    groups = c.synthetic_v2_groups(end)
    idx = np.arange(start, end)
    want = set(idx[groups[start:end] == idx][:count].tolist())
    if len(want) < count:
        raise RuntimeError(f"fewer than {count} bases in documents {start}..{end}")
    return [t for i, t in enumerate(c.iter_synthetic_v2(end)) if i in want]


def corpus(kind: str, n: int) -> Iterator[str]:
    return giant_corpus(n) if kind == "giant" else c.iter_synthetic_v2(n)


# -- child (a fresh interpreter per measurement) ----------------------------------------------
def child(kind: str, n: int, giant_bucket: int | None) -> dict[str, Any]:
    import itertools

    import numpy as np

    import arabic_dedup._dedup as dedup
    from arabic_dedup import find_duplicates

    if giant_bucket is not None:  # the benchmark's override of the constant, nothing else
        dedup.GIANT_BUCKET = giant_bucket
    find_duplicates(list(itertools.islice(c.iter_synthetic_v2(200), 200)))  # compile kernels
    load_before = list(os.getloadavg())
    c0 = time.process_time()
    t0 = time.perf_counter()
    r = find_duplicates(corpus(kind, n))
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    sizes = np.bincount(r.cluster_ids)
    return {
        "kind": kind,
        "docs": n,
        "giant_bucket": dedup.GIANT_BUCKET,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mb": c.peak_rss_mb(),
        "duplicates": r.n_duplicates,
        "pairs": len(r.pairs),
        "largest_clusters": sorted(sizes.tolist(), reverse=True)[:3],
        "load_before": load_before,
        "load_after": list(os.getloadavg()),
    }


def measure(kind: str, n: int, giant_bucket: int | None = None) -> dict[str, Any]:
    args = ["--child", kind, str(n)]
    if giant_bucket is not None:
        args += ["--giant-bucket", str(giant_bucket)]
    out = c.run_child(HERE, args)
    print(
        f"  {kind:6} {n:>9,} GIANT_BUCKET={out['giant_bucket']:>5}: {out['wall_s']:7.1f} s "
        f"{out['peak_rss_mb']:7.0f} MB  load {out['load_before'][0]:.1f}",
        flush=True,
    )
    return out


def compare(n: int, runs: int) -> dict[str, Any]:
    got: dict[str, list[dict[str, Any]]] = {"normal": [], "giant": []}
    for _ in range(runs):
        for kind in got:
            got[kind].append(measure(kind, n))
    med = {
        kind: {
            "median_s": statistics.median(r["wall_s"] for r in rs),
            "median_cpu_s": statistics.median(r["cpu_s"] for r in rs),
            "median_peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in rs),
        }
        for kind, rs in got.items()
    }
    g, m = med["giant"], med["normal"]
    return {
        "docs": n,
        "runs": runs,
        "normal": got["normal"],
        "giant": got["giant"],
        "medians": med,
        "time_ratio": g["median_s"] / m["median_s"],
        "cpu_ratio": g["median_cpu_s"] / m["median_cpu_s"],
        "rss_ratio": g["median_peak_rss_mb"] / m["median_peak_rss_mb"],
    }


def summary(comparisons: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    anchor = "same-size corpus without copies"
    for r in comparisons:
        g, m, n = r["medians"]["giant"], r["medians"]["normal"], f"{r['docs']:,}"
        for metric, key, unit, ratio in (
            ("wall time", "median_s", "s", r["time_ratio"]),
            ("process CPU time (contention-free view)", "median_cpu_s", "s", r["cpu_ratio"]),
            ("peak RSS", "median_peak_rss_mb", "MB", r["rss_ratio"]),
        ):
            rows.append(
                c.summary_row(
                    f"giant clusters ({n} docs, 30 % copies): {metric}, giant / normal",
                    g[key],
                    unit=unit,
                    anchor=m[key],
                    anchor_name=anchor,
                    ratio=ratio,
                    target=f"<= {TARGET_RATIO}x",
                    met=ratio <= TARGET_RATIO,
                )
            )
    return rows


# -- report -------------------------------------------------------------------------------------
def _runs_md(r: dict[str, Any]) -> str:
    rows = []
    for kind in ("normal", "giant"):
        for x in r[kind]:
            rows.append(
                [
                    kind,
                    f"{x['wall_s']:.1f}",
                    f"{x['cpu_s']:.1f}",
                    f"{x['peak_rss_mb']:.0f}",
                    f"{x['duplicates']:,}",
                    ", ".join(f"{s:,}" for s in x["largest_clusters"]),
                    f"{x['load_before'][0]:.1f} / {x['load_after'][0]:.1f}",
                ]
            )
    head = ["corpus", "wall s", "CPU s", "peak RSS MB", "duplicates", "largest clusters"]
    return c.md_table([*head, "load 1-min before / after"], rows)


def write_docs(payload: dict[str, Any]) -> None:
    parts = [
        "# Giant clusters (issue 14 §1)",
        "",
        "Generated by `benchmarks/bench_giant.py` from `benchmarks/results/giant.json`; the "
        "corpora are described in the script's docstring. Target: the giant corpus's time "
        f"and peak RSS within {TARGET_RATIO}x of the normal corpus's.",
        "",
        c.machine_md(payload["machine"]),
        "",
    ]
    for r in payload["comparisons"]:
        ok = r["time_ratio"] <= TARGET_RATIO and r["rss_ratio"] <= TARGET_RATIO
        parts += [
            f"## {r['docs']:,} documents, {r['runs']} run(s) each",
            "",
            f"Median ratios giant / normal: wall time **{r['time_ratio']:.2f}**, process CPU "
            f"time **{r['cpu_ratio']:.2f}**, peak RSS **{r['rss_ratio']:.2f}** (wall time and "
            f"RSS {'within' if ok else 'NOT within'} {TARGET_RATIO}x).",
            "",
            _runs_md(r),
            "",
        ]
    if payload.get("buckets"):
        rows = [
            [
                x["kind"],
                f"{x['docs']:,}",
                x["giant_bucket"],
                f"{x['wall_s']:.1f}",
                f"{x['peak_rss_mb']:.0f}",
                f"{x['duplicates']:,}",
                f"{x['load_before'][0]:.1f}",
            ]
            for x in payload["buckets"]
        ]
        parts += [
            "## GIANT_BUCKET",
            "",
            "One run per value (fresh interpreter each):",
            "",
            c.md_table(
                ["corpus", "docs", "GIANT_BUCKET", "wall s", "peak RSS MB", "duplicates", "load"],
                rows,
            ),
            "",
        ]
    parts += [payload.get("notes", ""), ""]  # what the figures mean, from --notes
    c.write_markdown("giant", "\n".join(parts))


def main() -> None:
    p = c.base_parser(__doc__.splitlines()[0])
    p.add_argument("--child", nargs=2, default=None, help=argparse.SUPPRESS)
    p.add_argument("--giant-bucket", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, action="append", help="corpus size (repeatable)")
    p.add_argument("--buckets", default="", help="GIANT_BUCKET values to try, e.g. 250,1000")
    p.add_argument("--bucket-size", type=int, default=200_000, help="corpus size for --buckets")
    p.add_argument("--notes", default="", help="a paragraph for the report")
    p.add_argument("--report", action="store_true", help="rewrite the docs from saved results")
    args = p.parse_args()
    if args.report:  # e.g. to add --notes once the figures are in
        import json

        saved = json.loads((c.RESULTS_DIR / "giant.json").read_text(encoding="utf-8"))
        saved["notes"] = args.notes or saved.get("notes", "")
        (c.RESULTS_DIR / "giant.json").write_text(
            json.dumps(saved, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        write_docs(saved)
        return
    if args.child:
        import json

        print(json.dumps(child(args.child[0], int(args.child[1]), args.giant_bucket)))
        return
    sizes = args.size or ([20_000] if args.quick else [1_000_000])
    runs = args.runs or (1 if args.quick else 3)
    buckets = [int(v) for v in args.buckets.split(",") if v]
    payload: dict[str, Any] = {
        "benchmark": "giant",
        "machine": c.machine_info(),
        "shape": {"copies": COPY_SHARE, "texts": N_TEXTS, "near_copies": NEAR_SHARE},
        "comparisons": [],
        "buckets": [],
        "notes": args.notes,
    }
    if buckets:
        c.ensure_synthetic_v2(args.bucket_size)
    for value in buckets:
        for kind in ("normal", "giant"):
            payload["buckets"].append(measure(kind, args.bucket_size, value))
            c.write_results("giant", payload)
    c.ensure_synthetic_v2(max(sizes))
    for n in sizes:
        payload["comparisons"].append(compare(n, runs))
        payload["summary"] = summary(payload["comparisons"])
        c.write_results("giant", payload)
    write_docs(payload)


if __name__ == "__main__":
    main()
