"""End to end: ``find_duplicates`` on all of SaudiNewsNet against the naive datasketch pipeline.

Each measurement runs in a fresh interpreter, so its peak RSS is that run's alone. The naive
datasketch pipeline is the one its documentation shows: ``MinHash(num_perm=128)`` updated with
the UTF-8 encoded ``text.split()`` words, ``MinHashLSH(threshold=0.8, num_perm=128)``, insert
every document, then query every document. When the ``bench`` extra is installed, the real
datatrove MinHash pipeline with FineWeb-2's settings (``_datatrove.py``: signatures, buckets,
clusters, in process, through its files) is timed the same way. A separate, untimed child runs
``find_duplicates`` under cProfile to show where the time goes. Run:
``python benchmarks/bench_end_to_end.py [--quick] [--runs N]``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import _common as c
import _datatrove

HERE = Path(__file__).resolve()
QUICK_DOCS = 3000


def _texts(quick: bool) -> tuple[list[str], str]:
    corpus = c.load_corpus()
    texts = c.subset(corpus.texts, QUICK_DOCS) if quick else corpus.texts
    return texts, corpus.note


def child_ours(quick: bool, profile: bool, threads: int | None = None) -> dict[str, Any]:
    from arabic_dedup import find_duplicates

    if threads:
        import numba

        numba.set_num_threads(threads)
    texts, note = _texts(quick)
    find_duplicates(texts[:200])  # compile / load the numba kernels outside the timing
    rss_before = c.current_rss_mb()
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        r = find_duplicates(texts)
        prof.disable()
        wall = time.perf_counter() - t0
        st = pstats.Stats(prof)
        rows = []
        for (file, line, func), (_cc, nc, tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
            rows.append(
                {
                    "function": f"{Path(file).name}:{line}({func})",
                    "calls": nc,
                    "tottime_s": tt,
                    "cumtime_s": ct,
                }
            )
        rows.sort(key=lambda x: -x["cumtime_s"])
        return {"wall_s": wall, "profile": rows[:30], "data": note}
    c0 = time.process_time()
    t0 = time.perf_counter()
    r = find_duplicates(texts)
    wall = time.perf_counter() - t0
    return {
        "wall_s": wall,
        "cpu_s": time.process_time() - c0,
        "peak_rss_mb": c.peak_rss_mb(),
        "rss_before_mb": rss_before,
        "docs": len(texts),
        "duplicates": r.n_duplicates,
        "pairs": len(r.pairs),
        "data": note,
        "threads": threads or _numba_threads(),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "params": {
            k: r.params.get(k)
            for k in ("similarity", "threshold", "shingle_unit", "k", "max_df", "bands", "rows")
        },
    }


def _numba_threads() -> int:
    import numba

    return int(numba.get_num_threads())


def child_datasketch(quick: bool) -> dict[str, Any]:
    from datasketch import MinHash, MinHashLSH

    texts, note = _texts(quick)
    rss_before = c.current_rss_mb()
    c0 = time.process_time()
    t0 = time.perf_counter()
    sigs = []
    for t in texts:
        m = MinHash(num_perm=128)
        m.update_batch([w.encode("utf-8") for w in t.split()])
        sigs.append(m)
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    for i, m in enumerate(sigs):
        lsh.insert(i, m)
    n_pairs = 0
    for i, m in enumerate(sigs):
        n_pairs += sum(1 for j in lsh.query(m) if j != i)
    wall = time.perf_counter() - t0
    return {
        "wall_s": wall,
        "cpu_s": time.process_time() - c0,
        "peak_rss_mb": c.peak_rss_mb(),
        "rss_before_mb": rss_before,
        "docs": len(texts),
        "candidate_pairs": n_pairs // 2,
        "data": note,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def child_datatrove(quick: bool) -> dict[str, Any]:
    texts, note = _texts(quick)
    rss_before = c.current_rss_mb()
    c0 = time.process_time()
    t0 = time.perf_counter()
    labels = _datatrove.datatrove_minhash(texts)
    wall = time.perf_counter() - t0
    return {
        "wall_s": wall,
        "cpu_s": time.process_time() - c0,
        "peak_rss_mb": c.peak_rss_mb(),
        "rss_before_mb": rss_before,
        "docs": len(texts),
        "duplicates": int(len(labels) - len(set(labels.tolist()))),
        "data": note,
        "version": _datatrove.version(),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def _child_args(
    which: str, quick: bool, profile: bool = False, threads: int | None = None
) -> list[str]:
    return [
        "--child",
        which,
        *(["--quick"] if quick else []),
        *(["--profile"] if profile else []),
        *(["--threads", str(threads)] if threads else []),
    ]


def main() -> None:
    p = c.base_parser(__doc__.splitlines()[0])
    p.add_argument("--child", choices=["ours", "datasketch", "datatrove"], help=argparse_suppress())
    p.add_argument("--profile", action="store_true", help=argparse_suppress())
    p.add_argument("--anchor-runs", type=int, default=None, help="runs of the naive pipeline")
    p.add_argument("--threads", type=int, default=None, help=argparse_suppress())
    p.add_argument(
        "--one-thread-runs", type=int, default=None, help="runs of ours with 1 numba thread"
    )
    p.add_argument("--redoc", action="store_true", help="rewrite the doc from the saved JSON")
    args = p.parse_args()
    if args.redoc:
        import json

        path = c.RESULTS_DIR / "end_to_end.json"
        saved = json.loads(path.read_text(encoding="utf-8"))
        saved["summary"] = summarise(saved)
        path.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        write_doc(saved)
        return
    if args.child:
        import json

        children = {"ours": lambda: child_ours(args.quick, args.profile, args.threads),
                    "datasketch": lambda: child_datasketch(args.quick),
                    "datatrove": lambda: child_datatrove(args.quick)}  # fmt: skip
        out = children[args.child]()
        print(json.dumps(out))
        return

    runs = args.runs or (2 if args.quick else 5)
    anchor_runs = args.anchor_runs or (1 if args.quick else 3)
    one_runs = (
        args.one_thread_runs if args.one_thread_runs is not None else (1 if args.quick else 3)
    )
    skipped = _datatrove.available()
    if skipped:
        print(f"note: {skipped}", flush=True)
    ours, anchor, ours1, trove = [], [], [], []
    # Interleave ours and the anchor so that load from other work on the machine hits both.
    for i in range(max(runs, anchor_runs)):
        if i < runs:
            ours.append(c.run_child(HERE, _child_args("ours", args.quick)))
            _say("ours", i, ours[-1])
        if i < anchor_runs:
            anchor.append(c.run_child(HERE, _child_args("datasketch", args.quick)))
            _say("datasketch", i, anchor[-1])
        if i < one_runs:
            ours1.append(c.run_child(HERE, _child_args("ours", args.quick, threads=1)))
            _say("ours, 1 thread", i, ours1[-1])
        if i < anchor_runs and not skipped:
            trove.append(c.run_child(HERE, _child_args("datatrove", args.quick)))
            _say("datatrove", i, trove[-1])
    prof = c.run_child(HERE, _child_args("ours", args.quick, profile=True))

    def agg(rs: list[dict[str, Any]]) -> dict[str, Any]:
        w = [r["wall_s"] for r in rs]
        return {
            "median_s": statistics.median(w),
            "min_s": min(w),
            "max_s": max(w),
            "runs_s": w,
            "cpu_s_median": statistics.median(r["cpu_s"] for r in rs),
            "peak_rss_mb_median": statistics.median(r["peak_rss_mb"] for r in rs),
            "peak_rss_mb_max": max(r["peak_rss_mb"] for r in rs),
            "rss_before_mb_median": statistics.median(r["rss_before_mb"] for r in rs),
            "runs": rs,
        }

    o, a = agg(ours), agg(anchor)
    ratio = a["median_s"] / o["median_s"]
    payload = {
        "quick": args.quick,
        "data": ours[0]["data"],
        "docs": ours[0]["docs"],
        "ours": o,
        "datasketch": a,
        "ours_1_thread": agg(ours1) if ours1 else None,
        "datatrove": {
            **agg(trove),
            "version": trove[0]["version"],
            "duplicates": trove[0]["duplicates"],
        }
        if trove
        else None,
        "datatrove_skipped": skipped,
        "speedup": ratio,
        "params": ours[0]["params"],
        "duplicates_found": ours[0]["duplicates"],
        "verified_pairs": ours[0]["pairs"],
        "datasketch_candidate_pairs": anchor[0]["candidate_pairs"],
        "profile_wall_s": prof["wall_s"],
        "profile": prof["profile"],
    }
    payload["summary"] = summarise(payload)
    c.write_results("end_to_end", payload)
    write_doc(payload)


def summarise(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The target lines; also re-run by ``--redoc`` on a saved results file."""
    o, a = r["ours"], r["datasketch"]
    ratio = a["median_s"] / o["median_s"]
    cpu_ratio = a["cpu_s_median"] / o["cpu_s_median"]
    return [
        c.summary_row(
            f"find_duplicates wall time, {r['docs']:,} docs",
            o["median_s"],
            unit="s",
            anchor=a["median_s"],
            anchor_name="naive datasketch MinHash+MinHashLSH",
            ratio=ratio,
            target="<= 1.5 s; >= 10x faster",
            met=o["median_s"] <= 1.5 and ratio >= 10,
        ),
        c.summary_row(
            f"find_duplicates process CPU time, {r['docs']:,} docs (contention-free view)",
            o["cpu_s_median"],
            unit="s",
            anchor=a["cpu_s_median"],
            anchor_name="naive datasketch pipeline",
            ratio=cpu_ratio,
            target="<= 1.5 s; >= 10x less",
            met=o["cpu_s_median"] <= 1.5 and cpu_ratio >= 10,
        ),
        c.summary_row(
            "find_duplicates peak RSS (whole process)",
            o["peak_rss_mb_max"],
            unit="MB",
            anchor=a["peak_rss_mb_max"],
            anchor_name="naive datasketch pipeline",
            ratio=o["peak_rss_mb_max"] / a["peak_rss_mb_max"],
            target="<= 1,000 MB",
            met=o["peak_rss_mb_max"] <= 1000,
        ),
        *_thread_rows(r),
        *_datatrove_rows(r),
    ]


def _datatrove_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    o, t = r["ours"], r.get("datatrove")
    if not t:
        return []
    return [
        c.summary_row(
            f"find_duplicates wall time, {r['docs']:,} docs, vs datatrove",
            o["median_s"],
            unit="s",
            anchor=t["median_s"],
            anchor_name=f"datatrove {t['version']} MinHash (FineWeb-2 settings)",
            ratio=t["median_s"] / o["median_s"],
            target="(no target) faster than every peer",
            met=t["median_s"] > o["median_s"],
        ),
    ]


def _thread_rows(r: dict[str, Any]) -> list[dict[str, Any]]:
    o, one = r["ours"], r.get("ours_1_thread")
    if not one:
        return []
    threads = o["runs"][0].get("threads", 2)
    return [
        c.summary_row(
            f"find_duplicates wall time, {threads} numba threads vs 1 thread",
            o["median_s"],
            unit="s",
            anchor=one["median_s"],
            anchor_name="ours, 1 thread",
            ratio=one["median_s"] / o["median_s"],
            target="(no target) 2-thread speed-up",
        ),
        c.summary_row(
            f"find_duplicates CPU time, {threads} numba threads vs 1 thread",
            o["cpu_s_median"],
            unit="s",
            anchor=one["cpu_s_median"],
            anchor_name="ours, 1 thread",
            ratio=one["cpu_s_median"] / o["cpu_s_median"],
            target="(no target) ~1 = no parallel overhead",
        ),
    ]


def _say(name: str, i: int, r: dict[str, Any]) -> None:
    print(
        f"{name} run {i + 1}: {r['wall_s']:.2f} s (CPU {r['cpu_s']:.2f} s), "
        f"peak {r['peak_rss_mb']:.0f} MB, load {r.get('load_average_after')}",
        flush=True,
    )


def argparse_suppress() -> str:
    import argparse

    return argparse.SUPPRESS


def _params_txt(r: dict[str, Any]) -> str:
    p = r.get("params")
    if not p:
        return "default settings"
    return (
        f"defaults: {p['similarity']} >= {p['threshold']}, {p['shingle_unit']} "
        f"{p['k']}-shingles, max_df {p['max_df']}, LSH {p['bands']}x{p['rows']}"
    )


def _datatrove_txt(r: dict[str, Any]) -> str:
    t = r.get("datatrove")
    if not t:
        why = r.get("datatrove_skipped") or "not measured in this run"
        return f"datatrove: {why}."
    return (
        f"datatrove {t['version']} (word 5-grams after its own normalisation and spaCy's Arabic "
        f"tokenizer, 14 buckets x 8 hashes, one task in this process, through its files on "
        f"disk) marks {t['duplicates']:,} documents as duplicates; its speed-up figure is "
        f"datatrove's median over ours, {t['median_s'] / r['ours']['median_s']:.1f}x."
    )


def write_doc(r: dict[str, Any]) -> None:
    o, a = r["ours"], r["datasketch"]
    table = c.md_table(
        [
            "pipeline",
            "docs",
            "runs",
            "wall s (median)",
            "min-max s",
            "CPU s",
            "peak RSS MB",
            "RSS before call MB",
        ],
        [
            [
                "arabic_dedup.find_duplicates",
                r["docs"],
                len(o["runs_s"]),
                o["median_s"],
                f"{o['min_s']:.2f}-{o['max_s']:.2f}",
                o["cpu_s_median"],
                o["peak_rss_mb_max"],
                o["rss_before_mb_median"],
            ],
            *(
                [
                    [
                        "arabic_dedup.find_duplicates, 1 numba thread",
                        r["docs"],
                        len(one["runs_s"]),
                        one["median_s"],
                        f"{one['min_s']:.2f}-{one['max_s']:.2f}",
                        one["cpu_s_median"],
                        one["peak_rss_mb_max"],
                        one["rss_before_mb_median"],
                    ]
                ]
                if (one := r.get("ours_1_thread"))
                else []
            ),
            [
                "naive datasketch MinHash + MinHashLSH(0.8)",
                r["docs"],
                len(a["runs_s"]),
                a["median_s"],
                f"{a['min_s']:.2f}-{a['max_s']:.2f}",
                a["cpu_s_median"],
                a["peak_rss_mb_max"],
                a["rss_before_mb_median"],
            ],
            *(
                [
                    [
                        f"datatrove {t['version']} MinHash, FineWeb-2 settings (stages 1-3)",
                        r["docs"],
                        len(t["runs_s"]),
                        t["median_s"],
                        f"{t['min_s']:.2f}-{t['max_s']:.2f}",
                        t["cpu_s_median"],
                        t["peak_rss_mb_max"],
                        t["rss_before_mb_median"],
                    ]
                ]
                if (t := r.get("datatrove"))
                else []
            ),
        ],
    )
    targets = c.md_table(
        ["metric", "ours", "anchor", "ratio", "target", "met?"],
        [
            [
                s["metric"],
                s["ours"],
                s["anchor"],
                f"{s['ratio']:.2f}x" if s["ratio"] else None,
                s["target"],
                s["met"],
            ]
            for s in r["summary"]
        ],
    )
    prof = c.md_table(
        ["function", "calls", "own s", "cumulative s"],
        [[x["function"], x["calls"], x["tottime_s"], x["cumtime_s"]] for x in r["profile"][:15]],
    )
    text = f"""# End to end: `find_duplicates` on SaudiNewsNet

`python benchmarks/bench_end_to_end.py{" --quick" if r["quick"] else ""}` — {r["data"]}
({r["docs"]:,} documents used). Every run is a fresh interpreter; the numba kernels are
compiled/loaded on 200 documents before the timed call, so wall time is the call alone and
peak RSS is the whole process (Python, numpy, numba, the {r["docs"]:,} texts and the call).

{targets}

{table}

* Speed-up (naive datasketch median / ours median): **{r["speedup"]:.1f}x** in wall time,
  **{a["cpu_s_median"] / o["cpu_s_median"]:.1f}x** in process CPU time. "CPU s" is the
  process CPU time of the call (both cores count). With the machine overloaded, wall time
  includes waiting for a core; when nothing else runs, wall time is at most the CPU time
  (and at least half of it, with 2 cores), so CPU s bounds the uncontended wall time.
* `find_duplicates` ({_params_txt(r)}) found {r["duplicates_found"]:,}
  duplicates in {r["verified_pairs"]:,} verified pairs; the naive pipeline (threshold 0.8 on
  whitespace words, no normalisation, no verification) reports
  {r["datasketch_candidate_pairs"]:,} candidate pairs. The two do not find the same thing: the
  comparison is of cost, the quality benchmark covers accuracy.
* {_datatrove_txt(r)}
* The naive pipeline's per-stage split is not measured; its cost is dominated by the
  per-document `MinHash.update_batch` (SHA-1 per word, numpy permutations).

## Where the time goes

cProfile, one extra untimed run ({r["profile_wall_s"]:.2f} s under the profiler):

{prof}

numba kernels show up as the Python-level call that dispatches them (their inside is
invisible to cProfile); cProfile adds overhead to Python-heavy parts.

{c.NOISE_NOTE}

{c.machine_md(r.get("machine"))}
"""
    c.write_markdown("end_to_end", text)


if __name__ == "__main__":
    sys.exit(main())
