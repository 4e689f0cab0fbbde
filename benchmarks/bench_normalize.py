"""Normaliser throughput: ours (batch, per call, reference) against pyarabic and datatrove.

Throughput is megabytes of UTF-8 input per second on one core, the median of several full
passes over every SaudiNewsNet article (31,030 texts, read from ``../shared/data/``; the seed
articles stand in, and the report says so, when the data set is absent). All implementations
run side by side in this process on the same texts, so the ratios are the robust figures:

* ``normalize_many``: our batch API, one vectorised NumPy pass per ~256k code points;
* ``normalize``: one call per text (public API; texts >= 256 code points take the NumPy path);
* reference: ``str.translate`` over the same compiled table, one call per text;
* pyarabic chain: ``strip_tashkeel``, ``strip_tatweel``, ``normalize_hamza``,
  ``normalize_ligature``, then ى -> ي and ة -> ه (less work than ours: no presentation forms,
  digits, punctuation, invisibles, whitespace or case);
* datatrove-style: NFD, then drop combining marks (folds أ إ آ by accident, nothing else).

    python benchmarks/bench_normalize.py            # full run (about two minutes)
    python benchmarks/bench_normalize.py --quick    # 2,000 texts, 2 runs
"""

from __future__ import annotations

import os
import statistics
import sys
import unicodedata
from collections.abc import Callable
from typing import Any

import _common as c

from arabic_dedup import _normalize
from arabic_dedup._normalize import (
    FAST_PATH_MIN_CHARS,
    NORMALIZER_VERSION,
    NormalizerConfig,
    normalize,
    normalize_many,
)

TARGET_MB_S = 150.0
TARGET_RATIO = 4.0


def pyarabic_chain() -> Callable[[str], str]:
    from pyarabic import araby

    def run(text: str) -> str:
        text = araby.strip_tashkeel(text)
        text = araby.strip_tatweel(text)
        text = araby.normalize_hamza(text)
        text = araby.normalize_ligature(text)
        return text.replace("\u0649", "\u064a").replace("\u0629", "\u0647")

    return run


def datatrove_nfd(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def implementations(texts: list[str]) -> dict[str, Callable[[], Any]]:
    config = NormalizerConfig()
    reference = _normalize._normalize_reference
    chain = pyarabic_chain()
    return {
        "arabic_dedup normalize_many (batch)": lambda: normalize_many(texts),
        "arabic_dedup normalize (one call per text)": lambda: [normalize(t) for t in texts],
        "arabic_dedup reference path (str.translate)": lambda: [
            reference(t, config) for t in texts
        ],
        "pyarabic chain": lambda: [chain(t) for t in texts],
        "datatrove-style NFD minus marks": lambda: [datatrove_nfd(t) for t in texts],
    }


def main() -> int:
    parser = c.base_parser(__doc__.splitlines()[0] if __doc__ else "")
    args = parser.parse_args()
    if os.environ.get("ARABIC_DEDUP_IMPL"):
        print("unset ARABIC_DEDUP_IMPL: it would force one path for every row", file=sys.stderr)
        return 2
    corpus = c.load_corpus()
    texts = c.subset(corpus.texts, 2000) if args.quick else corpus.texts
    runs = args.runs or (2 if args.quick else 5)
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"{corpus.note}; timing {len(texts):,} texts, {megabytes:.1f} MB, {runs} runs each")

    # Same answers first: the batch, per-call and reference paths must agree exactly.
    config = NormalizerConfig()
    batch = normalize_many(texts)
    identical = batch == [_normalize._normalize_reference(t, config) for t in texts]
    if not identical:
        print("normalize_many and the reference path disagree", file=sys.stderr)
        return 1

    rows: dict[str, dict[str, Any]] = {}
    for name, run in implementations(texts).items():
        run_small = implementations(texts[:200])[name]
        run_small()  # warm-up: imports, table compilation, caches
        timing = c.time_runs(run, runs=runs, warmup=0)
        rows[name] = {
            **timing,
            "mb_per_s": megabytes / timing["median_s"],
            "mb_per_cpu_s": megabytes / timing["cpu_s"],
        }
        print(f"{name:46s} {rows[name]['mb_per_s']:7.1f} MB/s (spread {timing['spread']:.0%})")

    anchor = rows["pyarabic chain"]
    for row in rows.values():
        row["ratio_vs_pyarabic"] = row["mb_per_s"] / anchor["mb_per_s"]
        row["cpu_ratio_vs_pyarabic"] = row["mb_per_cpu_s"] / anchor["mb_per_cpu_s"]
    ours_batch = rows["arabic_dedup normalize_many (batch)"]
    ours_single = rows["arabic_dedup normalize (one call per text)"]
    summary = [
        c.summary_row(
            "normalize_many throughput (batch, 1 core)",
            ours_batch["mb_per_s"],
            unit="MB/s",
            anchor=anchor["mb_per_s"],
            anchor_name="pyarabic chain",
            ratio=ours_batch["ratio_vs_pyarabic"],
            target=f">= {TARGET_MB_S:.0f} MB/s; >= {TARGET_RATIO:.0f}x pyarabic",
            met=ours_batch["mb_per_s"] >= TARGET_MB_S
            and ours_batch["ratio_vs_pyarabic"] >= TARGET_RATIO,
        ),
        c.summary_row(
            "normalize throughput (one call per text, 1 core)",
            ours_single["mb_per_s"],
            unit="MB/s",
            anchor=anchor["mb_per_s"],
            anchor_name="pyarabic chain",
            ratio=ours_single["ratio_vs_pyarabic"],
            target=f">= {TARGET_MB_S:.0f} MB/s; >= {TARGET_RATIO:.0f}x pyarabic",
            met=ours_single["mb_per_s"] >= TARGET_MB_S
            and ours_single["ratio_vs_pyarabic"] >= TARGET_RATIO,
        ),
    ]
    lengths = [len(t) for t in texts]
    payload = {
        "quick": args.quick,
        "data": corpus.note,
        "texts": len(texts),
        "megabytes_utf8": megabytes,
        "median_chars": statistics.median(lengths),
        "share_on_fast_path": sum(n >= FAST_PATH_MIN_CHARS for n in lengths) / len(lengths),
        "normalizer_version": NORMALIZER_VERSION,
        "outputs_identical_batch_vs_reference": identical,
        "runs": runs,
        "implementations": rows,
        "summary": summary,
    }
    c.write_results("normalize", payload)
    write_doc(payload)
    return 0


def write_doc(payload: dict[str, Any]) -> None:
    rows = payload["implementations"]
    table = c.md_table(
        [
            "implementation",
            "MB/s (median wall)",
            "x pyarabic (wall)",
            "MB/s (CPU time)",
            "x pyarabic (CPU)",
            "spread",
        ],
        [
            [
                name,
                row["mb_per_s"],
                row["ratio_vs_pyarabic"],
                row["mb_per_cpu_s"],
                row["cpu_ratio_vs_pyarabic"],
                f"{row['spread']:.0%}",
            ]
            for name, row in rows.items()
        ],
    )
    batch = rows["arabic_dedup normalize_many (batch)"]
    single = rows["arabic_dedup normalize (one call per text)"]

    def verdict(row: dict[str, Any]) -> str:
        wall = row["mb_per_s"] >= TARGET_MB_S and row["ratio_vs_pyarabic"] >= TARGET_RATIO
        cpu = row["mb_per_cpu_s"] >= TARGET_MB_S and row["cpu_ratio_vs_pyarabic"] >= TARGET_RATIO
        return (
            f"{row['mb_per_s']:.0f} MB/s wall ({row['ratio_vs_pyarabic']:.1f}x pyarabic), "
            f"{row['mb_per_cpu_s']:.0f} MB/s of CPU time ({row['cpu_ratio_vs_pyarabic']:.1f}x): "
            f"target {'met' if wall else '**missed**'} on wall time, "
            f"{'met' if cpu else '**missed**'} on CPU time"
        )

    text = f"""# Normaliser throughput

Generated by `benchmarks/bench_normalize.py` (normaliser {payload["normalizer_version"]});
raw numbers in `benchmarks/results/normalize.json`.

Data: {payload["data"]}; {payload["texts"]:,} texts, {payload["megabytes_utf8"]:.1f} MB of
UTF-8, median {payload["median_chars"]:,.0f} code points per text
({payload["share_on_fast_path"]:.0%} of texts are long enough for the per-call NumPy path).
Median of {payload["runs"]} full passes, one core, every implementation in the same process.
{"**Quick run: a 2,000-text subset, not the full corpus.**" if payload["quick"] else ""}

{table}

Target: >= {TARGET_MB_S:.0f} MB/s on one core and >= {TARGET_RATIO:.0f}x the pyarabic chain.

- **Batch** (`normalize_many`, one vectorised pass per ~256k code points): {verdict(batch)}.
- **One `normalize` call per text**: {verdict(single)}. A NumPy pass has tens of
  microseconds of fixed cost, comparable to the work on one article; that is what the batch
  API is for.
- Same answers: `normalize_many` equals the reference path on every text
  ({payload["outputs_identical_batch_vs_reference"]}); the Hypothesis tests hold every path
  to the reference.
- The anchors do less: the pyarabic chain folds hamza, tashkeel, tatweel and lam-alef only;
  the datatrove-style fold strips combining marks only. Neither collapses whitespace,
  folds presentation forms, digits, punctuation, invisibles or case.
- {c.NOISE_NOTE} CPU time counts only this process's work, so under load it is the better
  estimate of single-core throughput; wall time is what a user on a busy machine sees.

{c.machine_md()}
"""
    c.write_markdown("normalize", text)


if __name__ == "__main__":
    sys.exit(main())
