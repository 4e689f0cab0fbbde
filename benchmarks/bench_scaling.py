"""Scaling: ``find_duplicates`` time, peak memory and accuracy from 10k to 5M documents.

The documents come from the v2 synthetic generator (``_common._make_chunk_v2``): every base
is a new article built from single sentences of many different SaudiNewsNet articles, each
word-perturbed so that unrelated bases share almost no word 2-shingles at any corpus size;
each base is followed by 0-3 syndicated copies. Every size is a prefix of one deterministic
5M-document corpus, written once into JSON-lines files outside the repository: documents
0..1M are generated, documents 1M..5M are four letter-permuted rounds of them
(``_common.v2_round_table``; checked by ``_common.v2_round_check`` in every ``--big`` run).
The timed call is ``find_duplicates(generator over the file)``, so the texts are never all in
memory. Each measurement is a fresh interpreter, so its peak RSS is its own. The generator
knows which documents are copies of which, so every run also reports pair precision and
recall. A separate untimed child per size (100k and 1M by default) records the per-stage
split. Two tables:

* ``python benchmarks/bench_scaling.py [--quick] [--runs N] [--sizes 10000,30000,...]``:
  10k..1M in the default mode (``benchmarks/results/scaling.json``);
* ``python benchmarks/bench_scaling.py --big [--sizes ...] [--modes default,limit]``: 1M, 2M
  and 5M, each with the default and with ``memory_limit="2GB"`` (``--memory-limit``)
  (``benchmarks/results/scaling_big.json``). The memory-limit mode is skipped, saying so,
  while ``find_duplicates`` has no ``memory_limit`` parameter.

Both write ``docs/benchmarks/scaling.md`` from whichever results files exist.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import _common as c

HERE = Path(__file__).resolve()
SIZES = [10_000, 30_000, 100_000, 300_000, 1_000_000]
QUICK_SIZES = [10_000, 30_000]
STAGE_SIZES = [100_000, 1_000_000]
TARGET_S = 90.0
TARGET_MB = 4000.0
LINEAR_TOL = 1.2  # time per doc may grow this much over the size range
# The 5M table (issue 16): sizes, modes and targets.
BIG_SIZES = [1_000_000, 2_000_000, 5_000_000]
MODES = ("default", "limit")  # limit: find_duplicates(..., memory_limit=--memory-limit)
MEMORY_LIMIT = "2GB"
BIG_TARGET_S = 12 * 60.0  # 5M documents, wall
LIMIT_TARGET_MB = 3000.0  # peak RSS with memory_limit="2GB", at every size
FLAT_TOL = 1.1  # "flat": peak RSS at the largest size / at the smallest, with the limit
BIG_COST_TOL = 1.3  # time per document at 5M / at 1M
BIG_MIN_PRECISION = 0.999
CHECK_DOCS = 2000  # round-0 documents in the round check


# -- children (fresh interpreters) -----------------------------------------------------------
def _quality(n: int, pairs: Any, rep: Any) -> dict[str, Any]:
    """Pair precision and recall of the verified pairs against the generator's groups."""
    import numpy as np

    g = c.synthetic_v2_groups(n)
    same = g[pairs.i] == g[pairs.j]
    _, sizes = np.unique(g, return_counts=True)
    true_pairs = int((sizes * (sizes - 1) // 2).sum())
    tp = int(same.sum())
    return {
        "true_copy_pairs": true_pairs,
        "true_copies": int(n - sizes.size),
        "verified_pairs": len(pairs),
        "true_positive_pairs": tp,
        "precision": tp / len(pairs) if len(pairs) else 1.0,
        "recall": tp / true_pairs if true_pairs else 1.0,
        "verified_over_true": len(pairs) / true_pairs if true_pairs else None,
        # documents whose cluster representative is not from their own group
        "wrongly_merged_docs": int((g[rep] != g).sum()),
    }


def _accepts(name: str) -> bool:
    import inspect

    from arabic_dedup import find_duplicates

    return name in inspect.signature(find_duplicates).parameters


def accepts_memory_limit() -> bool:
    """Whether ``find_duplicates`` has the bounded-memory engine's ``memory_limit``."""
    return _accepts("memory_limit")


class _Sampler:
    """Peaks of this process's anonymous and file-backed RSS (``/proc/self/status``: a memory
    map's resident pages count in RSS too) and of the bytes under a spill directory, read
    every ``interval`` seconds on a thread, so the temp disk is measured, not only reported."""

    def __init__(self, spill_dir: Path | None, interval: float = 0.2) -> None:
        import threading

        self.spill_dir = spill_dir
        self.interval = interval
        self.peak = {"rss_anon_mb": 0.0, "rss_file_mb": 0.0, "spill_dir_mb": 0.0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _read(self) -> None:
        status = Path("/proc/self/status")
        if status.exists():
            for line in status.read_text().splitlines():
                key, _, value = line.partition(":")
                name = {"RssAnon": "rss_anon_mb", "RssFile": "rss_file_mb"}.get(key)
                if name:
                    mb = int(value.split()[0]) / 1e3  # kB
                    self.peak[name] = max(self.peak[name], mb)
        if self.spill_dir is not None:
            used = 0
            for root, _, files in os.walk(self.spill_dir):
                for f in files:
                    try:
                        used += os.stat(os.path.join(root, f)).st_blocks * 512
                    except OSError:  # removed while walking
                        pass
            self.peak["spill_dir_mb"] = max(self.peak["spill_dir_mb"], used / 1e6)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._read()

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._read()


def child_time(
    n: int, mode: str = "default", memory_limit: str = MEMORY_LIMIT, tmp_dir: str | None = None
) -> dict[str, Any]:
    import itertools
    import shutil
    import tempfile

    from arabic_dedup import find_duplicates

    kwargs: dict[str, Any] = {"memory_limit": memory_limit} if mode == "limit" else {}
    spill_dir: Path | None = None
    if _accepts("tmp_dir"):
        # our own directory under the given (or the system) temp folder, so its size can be
        # sampled while the call runs; the engine creates and removes its files inside it
        spill_dir = Path(tempfile.mkdtemp(prefix="bench_scaling_", dir=tmp_dir))
        kwargs["tmp_dir"] = spill_dir
    try:
        # compile / load the numba kernels outside the timing
        find_duplicates(list(itertools.islice(c.iter_synthetic_v2(200), 200)), **kwargs)
        rss_before = c.current_rss_mb()
        with _Sampler(spill_dir) as sampled:
            c0 = time.process_time()
            t0 = time.perf_counter()
            r = find_duplicates(c.iter_synthetic_v2(n), **kwargs)
            wall = time.perf_counter() - t0
            cpu = time.process_time() - c0
        peak = c.peak_rss_mb()
    finally:
        if spill_dir is not None:
            shutil.rmtree(spill_dir, ignore_errors=True)
    spill = getattr(r, "spill", None)
    return {
        "docs": n,
        "mode": mode,
        "memory_limit": memory_limit if mode == "limit" else None,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mb": peak,
        "rss_before_mb": rss_before,
        # sampled every 0.2 s during the call (Linux; 0 elsewhere)
        "peak_rss_anon_mb": sampled.peak["rss_anon_mb"],
        "peak_rss_file_mb": sampled.peak["rss_file_mb"],
        "duplicates": r.n_duplicates,
        # what the bounded-memory engine reports (None before it exists) ...
        "spill": {k: os.fspath(v) if k == "tmp_dir" and v else v for k, v in spill.items()}
        if spill
        else None,
        "temp_disk_mb": spill["disk_bytes"] / 1e6 if spill else None,
        # ... and what the sampler saw under its tmp_dir (None when it takes no tmp_dir)
        "temp_disk_sampled_mb": sampled.peak["spill_dir_mb"] if spill_dir else None,
        **_quality(n, r.pairs, r.cluster_ids),
    }


def _timed(it: Iterable[str], acc: list[float]) -> Iterator[str]:
    it = iter(it)
    while True:
        t = time.perf_counter()
        try:
            x = next(it)
        except StopIteration:
            acc[0] += time.perf_counter() - t
            return
        acc[0] += time.perf_counter() - t
        yield x


def child_stages(n: int) -> dict[str, Any]:
    """The stages of ``find_duplicates`` timed one by one (same code path, untimed as a whole)."""
    import itertools

    import numpy as np

    from arabic_dedup import DedupConfig, find_duplicates
    from arabic_dedup._dedup import Pairs, detect, read_all
    from arabic_dedup._keep import keep_order

    find_duplicates(list(itertools.islice(c.iter_synthetic_v2(200), 200)))
    cfg = DedupConfig()
    hasher = cfg.hasher()
    read = [0.0]
    c0 = time.process_time()
    t0 = time.perf_counter()
    texts = _timed(c.iter_synthetic_v2(n), read)
    sets, lengths, fsets = read_all(texts, hasher, facts=cfg.fact_rule is not None)
    t_sets = time.perf_counter() - t0
    det = detect(sets, keep_order(lengths, "first"), config=cfg, hasher=hasher, facts=fsets)
    t1 = time.perf_counter()
    rep = det.clusters.representative
    keep = rep == np.arange(len(sets))
    _ = [None if k else int(x) for k, x in zip(keep.tolist(), rep.tolist(), strict=True)]
    _ = Pairs(det.pairs[:, 0], det.pairs[:, 1], det.pair_similarity)
    t_result = time.perf_counter() - t1
    wall = time.perf_counter() - t0
    stages = {
        "read file + JSON decode": read[0],
        "normalise + shingle + fact fingerprints (+ concatenate)": t_sets - read[0],
        **{k: float(v) for k, v in det.timings.items()},
        "build result": t_result,
    }
    return {
        "docs": n,
        "wall_s": wall,
        "cpu_s": time.process_time() - c0,
        "peak_rss_mb": c.peak_rss_mb(),
        "stages_s": stages,
        "shingles": int(sets.hashes.size),
        "shingle_hashes_mb": (sets.hashes.nbytes + sets.offsets.nbytes) / 1e6,
        "verified_pairs": len(det.pairs),
    }


# -- driver ----------------------------------------------------------------------------------
def _input_mb(n: int) -> float:
    """UTF-8 MB of the first ``n`` documents; per-chunk figures cached next to the chunks."""
    total = 0.0
    left = n
    k = 0
    while left > 0:
        meta = c.synthetic_v2_paths(k)[0].with_suffix(".mb.json")
        if meta.exists():
            per_doc = json.loads(meta.read_text())
        else:
            per_doc = [
                len(json.loads(line).encode("utf-8")) / 1e6
                for line in c.synthetic_v2_paths(k)[0].open(encoding="utf-8")
            ]
            meta.write_text(json.dumps(per_doc))
        total += sum(per_doc[:left])
        left -= len(per_doc)
        k += 1
    return total


def _real_mean_kb() -> float:
    texts = c.load_corpus().texts
    return sum(len(t.encode("utf-8")) for t in texts) / len(texts) / 1e3


def measure(
    n: int, mode: str, runs: int, memory_limit: str, tmp_dir: str | None = None
) -> dict[str, Any]:
    """One table row: ``runs`` fresh children at ``n`` documents in ``mode``, and the truth."""
    load = [round(x, 2) for x in os.getloadavg()]
    args = ["--child", str(n), "--mode", mode, "--memory-limit", memory_limit]
    args += ["--tmp-dir", tmp_dir] if tmp_dir else []
    rs = [c.run_child(HERE, args) for _ in range(runs)]
    w = [r["wall_s"] for r in rs]
    q = rs[0]
    disks = [r["temp_disk_mb"] for r in rs if r.get("temp_disk_mb") is not None]
    sampled = [r["temp_disk_sampled_mb"] for r in rs if r.get("temp_disk_sampled_mb") is not None]
    row = {
        "docs": n,
        "mode": mode,
        "memory_limit": q.get("memory_limit"),
        "runs": runs,
        "median_s": statistics.median(w),
        "runs_s": w,
        "cpu_s_median": statistics.median(r["cpu_s"] for r in rs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in rs),
        "rss_before_mb": statistics.median(r["rss_before_mb"] for r in rs),
        "temp_disk_mb": max(disks) if disks else None,
        "temp_disk_sampled_mb": max(sampled) if sampled else None,
        "peak_rss_anon_mb": max(r["peak_rss_anon_mb"] for r in rs),
        "peak_rss_file_mb": max(r["peak_rss_file_mb"] for r in rs),
        "spill": q.get("spill"),
        "input_utf8_mb": _input_mb(n),
        "duplicates": q["duplicates"],
        "pairs": q["verified_pairs"],
        "load_average_before": load,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        **{
            k: q[k]
            for k in (
                "true_copy_pairs",
                "true_copies",
                "true_positive_pairs",
                "precision",
                "recall",
                "verified_over_true",
                "wrongly_merged_docs",
            )
        },
    }
    row["us_per_doc"] = row["median_s"] / n * 1e6
    row["cpu_us_per_doc"] = row["cpu_s_median"] / n * 1e6
    row["docs_per_s"] = n / row["median_s"]
    row["pairs_per_doc"] = row["pairs"] / n
    disk = "" if row["temp_disk_mb"] is None else f"  temp disk {row['temp_disk_mb']:,.0f} MB"
    print(
        f"{n:>9,} docs {mode:>7}: {row['median_s']:7.2f} s (CPU {row['cpu_s_median']:.2f} s) "
        f"{row['us_per_doc']:6.1f} us/doc  peak {row['peak_rss_mb']:6.0f} MB{disk}  "
        f"pairs/doc {row['pairs_per_doc']:.3f}  P {row['precision']:.4f} "
        f"R {row['recall']:.4f}  load {load}",
        flush=True,
    )
    return row


def _relative(rows: list[dict[str, Any]]) -> None:
    """Per-document cost of every row against the smallest size of its mode (and 1M)."""
    for mode in {r["mode"] for r in rows}:
        own = [r for r in rows if r["mode"] == mode]
        first = own[0]
        ref = next((r for r in own if r["docs"] == 1_000_000), first)
        for r in own:
            # > 1 means superlinear: time per document grew relative to the smallest size.
            r["time_per_doc_vs_smallest"] = r["us_per_doc"] / first["us_per_doc"]
            r["cpu_per_doc_vs_smallest"] = r["cpu_us_per_doc"] / first["cpu_us_per_doc"]
            r["cost_reference_docs"] = ref["docs"]
            r["time_per_doc_vs_ref"] = r["us_per_doc"] / ref["us_per_doc"]
            r["cpu_per_doc_vs_ref"] = r["cpu_us_per_doc"] / ref["cpu_us_per_doc"]


def round_check(n_docs: int = CHECK_DOCS) -> dict[str, Any]:
    """``_common.v2_round_check`` on the first ``n_docs`` documents of the corpus."""
    import itertools

    docs = list(itertools.islice(c.iter_synthetic_v2(n_docs), n_docs))
    check = c.v2_round_check(docs, c.synthetic_v2_groups(n_docs).tolist())
    dups = ", ".join(f"round {x['round']} {x['duplicates']:,}" for x in check["rounds"])
    print(
        f"round check on {n_docs:,} documents x {len(check['rounds'])} rounds: "
        f"{check['cross_round_pairs']} pairs across rounds, precision "
        f"{check['precision']:.4f}; duplicates {dups}; in-group Jaccards changed "
        f"{sum(x['group_pairs_jaccard_changed'] for x in check['rounds'])}; word 2-shingles "
        f"of a base shared with another round's image: at most {check['max_shared']:.2%}",
        flush=True,
    )
    return check


def _payload_common(args: Any, gen_s: float) -> dict[str, Any]:
    return {
        "quick": args.quick,
        "data": (
            "synthetic v2: perturbed SaudiNewsNet sentences, 0-3 syndicated copies per base"
            if c.DATA_PATH.exists()
            else "FALLBACK synthetic v2 corpus from seeds/ (SaudiNewsNet absent)"
        ),
        "generator_version": c.GEN_V2_VERSION,
        "round_version": c.V2_ROUND_VERSION,
        "generator": {
            "substitute": c.V2_SUBSTITUTE,
            "insert": c.V2_INSERT,
            "chunk_docs": c.CHUNK_DOCS,
            "base_docs": c.V2_ROUND_GROUP_OFFSET,
            "cache": str(c.CACHE_DIR / "synthetic_v2"),
        },
        "seed": c.SEED,
        "generation_s_this_run": gen_s,
        "real_mean_utf8_kb": _real_mean_kb(),
    }


def _save(name: str, saved: dict[str, Any]) -> None:
    """Rewrite a results file as it was measured (its machine info kept)."""
    path = c.RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _load(name: str) -> dict[str, Any] | None:
    path = c.RESULTS_DIR / f"{name}.json"
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None


def main() -> None:
    p = c.base_parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", type=str, default=None, help="comma-separated document counts")
    p.add_argument("--large-runs", type=int, default=1, help="runs for sizes above 100k")
    p.add_argument("--stage-sizes", type=str, default=None, help="sizes for the stage split")
    p.add_argument(
        "--big",
        action="store_true",
        help="only the 5M table: 1M, 2M, 5M (or --sizes) in every mode, to scaling_big.json",
    )
    p.add_argument(
        "--modes",
        type=str,
        default=None,
        help=f"comma-separated modes of {','.join(MODES)} (default: 'default'; --big: all)",
    )
    p.add_argument(
        "--memory-limit",
        type=str,
        default=MEMORY_LIMIT,
        help=f"memory_limit of the 'limit' mode (default {MEMORY_LIMIT})",
    )
    p.add_argument(
        "--tmp-dir",
        type=str,
        default=None,
        help="folder for find_duplicates' tmp_dir (default: the system temp folder)",
    )
    p.add_argument("--check-docs", type=int, default=CHECK_DOCS, help="docs in the round check")
    p.add_argument("--child", type=int, default=None, help=_suppress())
    p.add_argument("--mode", type=str, default="default", help=_suppress())
    p.add_argument("--stages", action="store_true", help=_suppress())
    p.add_argument("--redoc", action="store_true", help="rewrite doc and plot from the JSON")
    args = p.parse_args()
    if args.redoc:
        saved = _load("scaling")
        if saved is not None:
            if "real_mean_utf8_kb" not in saved:
                saved["real_mean_utf8_kb"] = _real_mean_kb()
            saved["summary"] = summarise(saved)
            _save("scaling", saved)
            plot(saved["sizes"])
        big = _load("scaling_big")
        if big is not None:
            big["summary"] = summarise_big(big)
            _save("scaling_big", big)
        write_doc(saved, big)
        return
    if args.child:
        if args.stages:
            out = child_stages(args.child)
        else:
            out = child_time(args.child, args.mode, args.memory_limit, args.tmp_dir)
        print(json.dumps(out))
        return
    modes = args.modes.split(",") if args.modes else (list(MODES) if args.big else ["default"])
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        p.error(f"unknown mode(s) {unknown}; known: {', '.join(MODES)}")
    skipped: dict[str, str] = {}
    if "limit" in modes and not accepts_memory_limit():
        skipped["limit"] = (
            "find_duplicates has no memory_limit parameter in this checkout (the bounded-memory "
            "engine is not merged yet)"
        )
        modes.remove("limit")
        print(f"memory-limit mode skipped: {skipped['limit']}", flush=True)
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    elif args.big:
        sizes = BIG_SIZES
    else:
        sizes = QUICK_SIZES if args.quick else SIZES
    if args.stage_sizes is not None:
        stage_sizes = [int(s) for s in args.stage_sizes.split(",") if s]
    elif args.big:
        stage_sizes = []  # the stage child holds every stage's arrays: not at 5M
    else:
        stage_sizes = [s for s in STAGE_SIZES if s in sizes] or ([sizes[-1]] if args.quick else [])
    runs = args.runs or (1 if args.quick else 3)
    t0 = time.perf_counter()
    c.ensure_synthetic_v2(max(sizes))
    gen_s = time.perf_counter() - t0
    big_corpus = args.big or max(sizes) > c.V2_ROUND_GROUP_OFFSET
    check = round_check(args.check_docs) if big_corpus else None
    results = []
    for n in sizes:
        n_runs = runs if n <= 100_000 else min(runs, args.large_runs)
        for mode in modes:
            results.append(measure(n, mode, n_runs, args.memory_limit, args.tmp_dir))
    stages = []
    for n in stage_sizes:
        load = [round(x, 2) for x in os.getloadavg()]
        s = c.run_child(HERE, ["--child", str(n), "--stages"])
        s["load_average_before"] = load
        stages.append(s)
        split = ", ".join(f"{k} {v:.2f}" for k, v in s["stages_s"].items())
        print(f"stages at {n:,}: {s['wall_s']:.1f} s: {split}", flush=True)
    _relative(results)
    payload = {
        **_payload_common(args, gen_s),
        "modes": modes,
        "memory_limit": args.memory_limit,
        "skipped_modes": skipped,
        "round_check": check,
        "sizes": results,
        "stages": stages,
    }
    if args.big:
        payload["summary"] = summarise_big(payload)
        c.write_results("scaling_big", payload)
        write_doc(_load("scaling"), _load("scaling_big"))
        return
    payload["summary"] = summarise(payload)
    c.write_results("scaling", payload)
    plot([r for r in results if r["mode"] == "default"] or results)
    write_doc(_load("scaling"), _load("scaling_big"))


def summarise(r: dict[str, Any]) -> list[dict[str, Any]]:
    results = [x for x in r["sizes"] if x.get("mode", "default") == "default"]
    first, last = results[0], results[-1]
    out = []
    big = next((x for x in results if x["docs"] == 1_000_000), None)
    if big:
        out += [
            c.summary_row(
                "find_duplicates 1M synthetic docs (streamed from file): wall time",
                big["median_s"],
                unit="s",
                target="<= 90 s",
                met=big["median_s"] <= TARGET_S,
            ),
            c.summary_row(
                "find_duplicates 1M synthetic docs: process CPU time (contention-free view)",
                big["cpu_s_median"],
                unit="s",
                target="<= 90 s",
                met=big["cpu_s_median"] <= TARGET_S,
            ),
            c.summary_row(
                "find_duplicates 1M synthetic docs: peak RSS (whole process)",
                big["peak_rss_mb"],
                unit="MB",
                target="<= 4,000 MB",
                met=big["peak_rss_mb"] <= TARGET_MB,
            ),
        ]
    ref = next((x for x in results if x["docs"] == 100_000), None)
    for base in [first] + ([ref] if ref and ref is not first and ref is not last else []):
        out.append(
            c.summary_row(
                f"scaling: wall time per doc at {last['docs']:,} / at {base['docs']:,}",
                last["us_per_doc"] / base["us_per_doc"],
                unit="x",
                target=f"~1 (linear: <= {LINEAR_TOL}x)",
                met=last["us_per_doc"] / base["us_per_doc"] <= LINEAR_TOL,
            )
        )
        out.append(
            c.summary_row(
                f"scaling: CPU time per doc at {last['docs']:,} / at {base['docs']:,}",
                last["cpu_us_per_doc"] / base["cpu_us_per_doc"],
                unit="x",
                target=f"~1 (linear: <= {LINEAR_TOL}x)",
                met=last["cpu_us_per_doc"] / base["cpu_us_per_doc"] <= LINEAR_TOL,
            )
        )
    min_p = min(x["precision"] for x in results)
    out.append(
        c.summary_row(
            f"scaling: lowest pair precision vs the generator's truth ({first['docs']:,}-"
            f"{last['docs']:,} docs)",
            min_p,
            unit="",
            target=">= 0.99 at every size",
            met=min_p >= 0.99,
        )
    )
    ratios = [x["verified_over_true"] for x in results if x["verified_over_true"]]
    out.append(
        c.summary_row(
            "scaling: verified pairs / true copy pairs, max / min over sizes",
            max(ratios) / min(ratios),
            unit="x",
            target="~1 (constant)",
            met=max(ratios) / min(ratios) <= 1.1,
        )
    )
    return out


def summarise_big(r: dict[str, Any]) -> list[dict[str, Any]]:
    """The 5M table's targets (issue 16), one row per target and mode."""
    rows = r["sizes"]
    out: list[dict[str, Any]] = []
    for mode in [m for m in MODES if any(x["mode"] == m for x in rows)]:
        own = [x for x in rows if x["mode"] == mode]
        top = own[-1]
        ref = next((x for x in own if x["docs"] == 1_000_000), own[0])
        label = "default" if mode == "default" else f"memory_limit={top['memory_limit']!r}"
        out.append(
            c.summary_row(
                f"find_duplicates {top['docs']:,} docs ({label}): wall time",
                top["median_s"],
                unit="s",
                target="<= 720 s (12 min) at 5M",
                met=top["median_s"] <= BIG_TARGET_S,
            )
        )
        for what, key in (("wall", "us_per_doc"), ("CPU", "cpu_us_per_doc")):
            ratio = top[key] / ref[key]
            out.append(
                c.summary_row(
                    f"{label}: {what} time per doc at {top['docs']:,} / at {ref['docs']:,}",
                    ratio,
                    unit="x",
                    target=f"<= {BIG_COST_TOL}x (5M / 1M)",
                    met=ratio <= BIG_COST_TOL,
                )
            )
        if mode == "limit":
            peak = max(x["peak_rss_mb"] for x in own)
            out.append(
                c.summary_row(
                    f"{label}: highest peak RSS, {own[0]['docs']:,}-{top['docs']:,} docs",
                    peak,
                    unit="MB",
                    target=f"<= {LIMIT_TARGET_MB:,.0f} MB",
                    met=peak <= LIMIT_TARGET_MB,
                )
            )
            flat = top["peak_rss_mb"] / own[0]["peak_rss_mb"]
            out.append(
                c.summary_row(
                    f"{label}: peak RSS at {top['docs']:,} / at {own[0]['docs']:,}",
                    flat,
                    unit="x",
                    target=f"flat (<= {FLAT_TOL}x)",
                    met=flat <= FLAT_TOL,
                )
            )
        low = min(x["precision"] for x in own)
        out.append(
            c.summary_row(
                f"{label}: lowest pair precision vs the generator's truth",
                low,
                unit="",
                target=f">= {BIG_MIN_PRECISION}",
                met=low >= BIG_MIN_PRECISION,
            )
        )
        if mode == "default" and ref["docs"] == 1_000_000:
            out += [
                c.summary_row(
                    "find_duplicates 1M docs (default): wall time, today's row",
                    ref["median_s"],
                    unit="s",
                    target="<= 90 s",
                    met=ref["median_s"] <= TARGET_S,
                ),
                c.summary_row(
                    "find_duplicates 1M docs (default): peak RSS, today's row",
                    ref["peak_rss_mb"],
                    unit="MB",
                    target="<= 4,000 MB",
                    met=ref["peak_rss_mb"] <= TARGET_MB,
                ),
            ]
    both = [
        (dflt, lim)
        for dflt in rows
        if dflt["mode"] == "default"
        for lim in rows
        if lim["mode"] == "limit" and lim["docs"] == dflt["docs"]
    ]
    if both:
        worst = max(abs(dflt["recall"] - lim["recall"]) for dflt, lim in both)
        same = all(dflt["true_positive_pairs"] == lim["true_positive_pairs"] for dflt, lim in both)
        out.append(
            c.summary_row(
                "memory_limit vs default: largest recall difference over sizes",
                worst,
                unit="",
                target="0 (same true pairs found)",
                met=same,
            )
        )
    check = r.get("round_check")
    if check:
        d0 = check["rounds"][0]["duplicates"]
        spread = max(abs(x["duplicates"] - d0) for x in check["rounds"]) / max(1, d0)
        changed = sum(x["group_pairs_jaccard_changed"] for x in check["rounds"])
        out += [
            c.summary_row(
                f"5M corpus check ({check['docs_per_round']:,} docs x "
                f"{len(check['rounds'])} rounds): pairs across rounds",
                check["cross_round_pairs"],
                unit="",
                target="0",
                met=check["cross_round_pairs"] == 0,
            ),
            c.summary_row(
                "5M corpus check: duplicates flagged per round, largest difference from round 0",
                spread,
                unit="",
                target="<= 0.01 (LSH sampling; exact Jaccards equal)",
                met=spread <= 0.01 and not changed,
            ),
            c.summary_row(
                "5M corpus check: word 2-shingles of a base shared with another round",
                check["max_shared"],
                unit="",
                target="tiny (< 0.02)",
                met=check["max_shared"] < 0.02,
            ),
        ]
    return out


def _suppress() -> str:
    import argparse

    return argparse.SUPPRESS


def plot(results: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["docs"] for r in results]
    ref = next((r for r in results if r["docs"] == 100_000), results[0])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.loglog(n, [r["median_s"] for r in results], "o-", label="wall time (median)")
    ax1.loglog(n, [r["cpu_s_median"] for r in results], "s--", label="process CPU time")
    lin = [ref["median_s"] * x / ref["docs"] for x in n]
    ax1.loglog(n, lin, "--", color="grey", label=f"linear through {ref['docs']:,}")
    ax1.axhline(TARGET_S, color="red", lw=0.8, ls=":", label="target at 1M: 90 s")
    ax1.set_xlabel("documents")
    ax1.set_ylabel("seconds")
    ax1.legend(fontsize=8)
    ax1.grid(True, which="both", alpha=0.3)
    added = [max(1.0, r["peak_rss_mb"] - r["rss_before_mb"]) for r in results]
    ax2.loglog(n, [r["peak_rss_mb"] for r in results], "o-", label="peak RSS (process)")
    ax2.loglog(n, added, "s--", label="peak RSS - RSS before the call")
    ref_added = added[results.index(ref)]
    ax2.loglog(
        n,
        [ref_added * x / ref["docs"] for x in n],
        "--",
        color="grey",
        label=f"linear through {ref['docs']:,} (added)",
    )
    ax2.loglog(n, [r["input_utf8_mb"] for r in results], ":", label="input text (UTF-8 MB)")
    ax2.axhline(TARGET_MB, color="red", lw=0.8, ls=":", label="target at 1M: 4 GB")
    ax2.set_xlabel("documents")
    ax2.set_ylabel("MB")
    ax2.legend(fontsize=8)
    ax2.grid(True, which="both", alpha=0.3)
    fig.suptitle("arabic_dedup.find_duplicates scaling (synthetic v2 corpus, streamed from a file)")
    fig.tight_layout()
    c.DOCS_DIR.mkdir(parents=True, exist_ok=True)
    fig.savefig(c.DOCS_DIR / "scaling.png", dpi=110)
    plt.close(fig)


def _kb(r: dict[str, Any]) -> str:
    x = r["sizes"][-1]
    return f"{x['input_utf8_mb'] / x['docs'] * 1e3:.2f}"


def big_section(big: dict[str, Any] | None) -> str:
    """The 5M table's section of the doc (a how-to-run note when it was never run)."""
    if big is None:
        return f"""## Scaling to 5M documents: default and `memory_limit="{MEMORY_LIMIT}"`

Not measured yet: `python benchmarks/bench_scaling.py --big` runs 1M, 2M and 5M documents,
each with the default and with `memory_limit="{MEMORY_LIMIT}"` (one fresh interpreter per
measurement), and writes `benchmarks/results/scaling_big.json` and this section. Targets:
5M in at most 12 minutes wall; peak RSS at most 3 GB with the limit, flat from 1M to 5M;
time per document at 5M within {BIG_COST_TOL}x of 1M; pair precision >= {BIG_MIN_PRECISION}
and the same recall as the default mode.
"""
    targets = c.md_table(
        ["metric", "ours", "target", "met?"],
        [[s["metric"], s["ours"], s["target"], s["met"]] for s in big["summary"]],
    )

    def spill(x: dict[str, Any], key: str) -> Any:
        return (x.get("spill") or {}).get(key)

    table = c.md_table(
        [
            "docs",
            "mode",
            "runs",
            "wall s",
            "µs / doc",
            "wall / doc vs 1M",
            "CPU s",
            "CPU / doc vs 1M",
            "peak RSS MB",
            "of it anon / file MB",
            "temp disk MB: reported / sampled",
            "spilled",
            "passes",
            "pair precision",
            "pair recall",
            "load before",
            "load after",
        ],
        [
            [
                x["docs"],
                x["mode"] if x["mode"] == "default" else f"limit {x['memory_limit']}",
                x["runs"],
                x["median_s"],
                x["us_per_doc"],
                f"{x['time_per_doc_vs_ref']:.2f}x",
                x["cpu_s_median"],
                f"{x['cpu_per_doc_vs_ref']:.2f}x",
                x["peak_rss_mb"],
                f"{c.fmt(x.get('peak_rss_anon_mb'))} / {c.fmt(x.get('peak_rss_file_mb'))}",
                f"{c.fmt(x['temp_disk_mb'])} / {c.fmt(x.get('temp_disk_sampled_mb'))}",
                spill(x, "spilled"),
                spill(x, "passes"),
                f"{x['precision']:.4f}",
                f"{x['recall']:.4f}",
                x["load_average_before"][0],
                x["load_average_after"][0],
            ]
            for x in big["sizes"]
        ],
    )
    ref = {x["docs"] for x in big["sizes"]}
    ref_note = (
        "" if 1_000_000 in ref else " (no 1M row in this run: 'vs 1M' is against the smallest size)"
    )
    skipped = "".join(
        f"\n**Mode `{m}` not measured:** {why}.\n"
        for m, why in big.get("skipped_modes", {}).items()
    )
    check = big.get("round_check")
    check_txt = ""
    if check:
        rounds = c.md_table(
            [
                "round",
                "duplicates flagged",
                "pairs inside the round",
                "in-group pairs whose Jaccard changed",
                "words unchanged",
                "base 2-shingles also in round 0",
            ],
            [
                [
                    x["round"],
                    x["duplicates"],
                    x["pairs"],
                    x["group_pairs_jaccard_changed"],
                    f"{x['words_unchanged']:.1%}",
                    f"{x['base_shingles_shared_with_round_0']:.2%}",
                ]
                for x in check["rounds"]
            ],
        )
        between = ", ".join(
            f"{k}: {v:.2%}" for k, v in check["base_shingles_shared_between_rounds"].items()
        )
        check_txt = f"""
### Round check (the corpus beyond 1M)

`find_duplicates` on the first {check["docs_per_round"]:,} documents and their images in
every round ({check["docs_per_round"] * len(check["rounds"]):,} documents,
{check["bases"]:,} bases, {check["within_group_pairs"]:,} true pairs per round):
**{check["cross_round_pairs"]} pairs across rounds**, pair precision {check["precision"]:.4f}.
Duplicates flagged per round differ only by LSH sampling (a permuted word has other minhash
values; the same documents under other seeds vary as much), while the exact word-2-shingle
Jaccard of every in-group pair is the same in every round. Base 2-shingles shared between
the images of two rounds: {between}.

{rounds}
"""
    return f"""## Scaling to 5M documents: default and `memory_limit="{big["memory_limit"]}"`

`python benchmarks/bench_scaling.py --big` (modes {", ".join(big["modes"])}), one fresh
interpreter per measurement; {c.machine_md(big.get("machine"))}
{skipped}
{targets}

{table}

"vs 1M" is the time per document against the same mode at 1M{ref_note}. "Peak RSS" is
the child's `ru_maxrss` (the whole process); "anon / file" are the peaks of its anonymous
and file-backed resident memory, sampled every 0.2 s from `/proc/self/status` (the pages of
a memory-mapped spill file count in RSS too). "temp disk" is, first, the engine's own peak
(`DedupResult.spill["disk_bytes"]`) and, second, the peak of the bytes under the `tmp_dir`
the benchmark hands it (a fresh folder, sampled every 0.2 s); "spilled" and "passes" are
the engine's report; "–" where the engine reports nothing. The load average (1 min) is read
before and after each measurement: other engineers share the 2 cores.
{check_txt}"""


def write_doc(r: dict[str, Any] | None, big: dict[str, Any] | None) -> None:
    """``docs/benchmarks/scaling.md``: the 10k-1M table (``r``) and the 5M table (``big``)."""
    if r is None:  # the 10k-1M table was never run here: the 5M section alone
        c.write_markdown("scaling", "# Scaling to 5M documents\n\n" + big_section(big))
        return
    r = {**r, "sizes": [x for x in r["sizes"] if x.get("mode", "default") == "default"]}
    table = c.md_table(
        [
            "docs",
            "runs",
            "wall s (median)",
            "µs / doc",
            "CPU s",
            "wall / doc vs smallest",
            "peak RSS MB",
            "RSS before call MB",
            "input UTF-8 MB",
            "load avg (1 min) before",
        ],
        [
            [
                x["docs"],
                x["runs"],
                x["median_s"],
                x["us_per_doc"],
                x["cpu_s_median"],
                f"{x['time_per_doc_vs_smallest']:.2f}x",
                x["peak_rss_mb"],
                x["rss_before_mb"],
                x["input_utf8_mb"],
                x["load_average_before"][0],
            ]
            for x in r["sizes"]
        ],
    )
    quality = c.md_table(
        [
            "docs",
            "true copy pairs",
            "verified pairs",
            "verified pairs / doc",
            "verified / true pairs",
            "pair precision",
            "pair recall",
            "docs merged into another group",
            "duplicates flagged",
            "true copies",
        ],
        [
            [
                x["docs"],
                x["true_copy_pairs"],
                x["pairs"],
                f"{x['pairs_per_doc']:.3f}",
                f"{x['verified_over_true']:.4f}",
                f"{x['precision']:.4f}",
                f"{x['recall']:.4f}",
                x["wrongly_merged_docs"],
                x["duplicates"],
                x["true_copies"],
            ]
            for x in r["sizes"]
        ],
    )
    stage_txt = ""
    if r.get("stages"):
        names: list[str] = []
        for s in r["stages"]:
            names += [k for k in s["stages_s"] if k not in names]
        header = ["stage"]
        for s in r["stages"]:
            header += [f"{s['docs']:,}: s", f"{s['docs']:,}: share", f"{s['docs']:,}: µs/doc"]
        rows = []
        for k in names:
            row: list[Any] = [k]
            for s in r["stages"]:
                v = s["stages_s"].get(k)
                tot = sum(s["stages_s"].values())
                row += [v, f"{v / tot:.0%}" if v is not None else None]
                row += [v / s["docs"] * 1e6 if v is not None else None]
            rows.append(row)
        total_row: list[Any] = ["**total (wall)**"]
        for s in r["stages"]:
            total_row += [s["wall_s"], "", s["wall_s"] / s["docs"] * 1e6]
        rows.append(total_row)
        extra = "; ".join(
            f"{s['docs']:,}: CPU {s['cpu_s']:.1f} s, peak RSS {s['peak_rss_mb']:,.0f} MB, "
            f"{s['shingles']:,} shingle hashes ({s['shingle_hashes_mb']:,.0f} MB), "
            f"load before {s['load_average_before']}"
            for s in r["stages"]
        )
        findings = ""
        if len(r["stages"]) >= 2:
            lo, hi = r["stages"][0], r["stages"][-1]
            tot = sum(hi["stages_s"].values())
            grow = []
            for k, v in sorted(hi["stages_s"].items(), key=lambda kv: -kv[1]):
                v0 = lo["stages_s"].get(k)
                if v0 and v / tot >= 0.05:
                    g = (v / hi["docs"]) / (v0 / lo["docs"])
                    grow.append(
                        f"{k} {v:.1f} s ({v / tot:.0%}; per document {g:.1f}x its cost at "
                        f"{lo['docs']:,})"
                    )
            findings = f"\nAt {hi['docs']:,} documents the time goes to: " + "; ".join(grow) + ".\n"
        stage_txt = f"""## Where the time goes

A separate, untimed child runs the same code path as `find_duplicates` stage by stage
(`read_all` over the file generator, then `detect`, whose `Detection.timings` give the
stages after shingling; reading is timed inside the generator):

{c.md_table(header, rows)}

({extra}.)
{findings}"""
    targets = c.md_table(
        ["metric", "ours", "target", "met?"],
        [[s["metric"], s["ours"], s["target"], s["met"]] for s in r["summary"]],
    )
    g = r["generator"]
    text = f"""# Scaling: `find_duplicates` from 10k to 5M documents

`python benchmarks/bench_scaling.py{" --quick" if r["quick"] else ""}` — {r["data"]}
(generator v{r["generator_version"]}, seed {r["seed"]}).

{targets}

## Time and memory

{table}

![time and memory against corpus size](scaling.png)

## Accuracy against the generator's truth

{quality}

{stage_txt}
{big_section(big)}
## Method

* **Corpus (generator v2).** Each size is a prefix of one deterministic 5M-document corpus,
  in chunks of {g["chunk_docs"]:,} (chunk `k` is a function of `k` and the seed alone); the
  first 1M are generated as follows, the rest are their rounds (next point).
  Every base is a NEW article: its length (in words) is drawn from the real SaudiNewsNet
  articles, and it is filled with single sentences drawn at random from the whole corpus
  (~290k sentences of >= 3 words from 31k articles, so consecutive sentences come from
  different articles); every word is replaced, with probability {g["substitute"]}, by a word
  drawn uniformly from the corpus vocabulary (~236k Arabic words), and after every word a
  random 3-6 letter token is inserted with probability {g["insert"]}. A word 2-shingle
  therefore survives in a base with probability ~0.38, so even two bases that drew the same
  real sentence share only ~15 % of its shingles, and unrelated bases share almost none.
  Each base is followed by 0-3 copies from
  `arabic_dedup.testing.syndicate(base, random_transforms(rng))` (title, related headlines
  and the inserted sentence are perturbed real sentences too). About 60 % of the documents
  are copies. The documents average {_kb(r)} KB of UTF-8 (real SaudiNewsNet articles:
  {r.get("real_mean_utf8_kb", 0):.2f} KB), because of the inserted tokens and because a base
  ends with the sentence that reaches its target length. No real article is used verbatim
  (real SaudiNewsNet has its own duplicates, which the truth would not know about).
* **Documents 1M..5M (rounds).** Generating a chunk costs ~17 s of one core, so only the
  first {g.get("base_docs", 1_000_000):,} documents are generated; chunk `k` >= 100 is chunk
  `k % 100` with every JSON line passed through round `r = k // 100`'s letter permutation
  (`str.translate`; `_common.v2_round_table`, files named `..._round{{r}}v{{version}}_...`), and
  its group ids are chunk `k % 100`'s plus `r` x 1,000,000, so groups never clash. The
  permuted letters are the 19 that the normaliser keeps in classes of their own (each is
  its own normal form, and only its presentation forms and ligatures fold into it): the 15
  dual-joining
  تثجحخسشصضطظعغلم and the 4 non-joining دذرز. Left alone: the alef and hamza variants,
  teh marbuta / heh, alef maksura / yeh (the syndication transforms swap them), and beh,
  feh, qaf, kaf, noon, waw, which dotless, Persian or waw-variant letters fold into;
  diacritics and tatweel are not letters. A positional presentation form of a permuted
  letter becomes the same form of its image (one document in ten is in presentation
  forms: left untranslated they normalise to round 0's letters, and a first attempt that
  permuted the letters alone found 690 pairs across rounds in 4,000 documents), and the
  rare ligature becomes its permuted normal form. So translation commutes with the
  normaliser (property-tested in `tests/test_bench_corpus.py`), maps every shingle set
  bijectively, and keeps every pair's Jaccard exactly within a round. Round `r` shifts each
  dual-joining letter `r` places along its class (no letter is fixed, and no two rounds
  agree on one); the 4 non-joining letters allow three shifts, so round 4 swaps them in
  pairs. A word stays unchanged only when it has no permuted letter (~7 % of words: في,
  أن, كان, ...), so ~0.6 % of a base's word 2-shingles are found in its image (1.1 %
  between rounds 1 and 4). Every `--big` run re-checks this on the first 2,000 documents
  (the round check in the 5M section). What the rounds do not give: new content. Lengths,
  copy structure and transforms repeat the first 1M exactly, and a permuted shingle is as
  frequent in its round as in round 0, so at 5M its share of the corpus is a fifth of its
  share at 1M: the boilerplate filter (limit: max(30, 0.1 % of the documents)) drops only
  shingles in more than 0.5 % of a round's documents, where a real 5M corpus would see
  0.1 %; the ~0.6 % left unchanged keep their share.
* **Truth.** A group is a base and its copies; the true copy pairs are all pairs within a
  group. Precision = verified pairs inside one group / verified pairs; recall = those / true
  copy pairs. "verified / true pairs" is the ratio the v1 corpus got wrong (it rose with
  size because bases overlapped): it should stay constant. Recall below 1 is the copies whose
  transforms (truncation + dropped sentence + outlet footer, ...) take their word-2-shingle
  Jaccard with a relative below the 0.3 threshold.
* **Streaming.** The corpus is written once as JSON lines (one text per line) in
  `{g["cache"]}`; the timed call is `find_duplicates(generator)` with a generator that reads
  and decodes the file line by line, so reading and JSON decoding are **inside** the timing
  and the texts are never all in memory (`find_duplicates` reads them in batches of 10,000
  and keeps only shingle hashes and lengths).
* "CPU s" is the process CPU time of the call (both cores count): CPU well above wall means
  the parallel kernels used both cores; wall well above CPU means the process waited for a
  core (the load average before each size is in the table; other engineers' test runs share
  the 2 cores).
* Every measurement is a fresh interpreter; the kernels are compiled/loaded on 200 documents
  before the timed call. Peak RSS is the whole process (Python, numpy, numba and the call);
  "RSS before call" is the process after the warm-up call.
* Sizes up to 100k: median of {r["sizes"][0]["runs"]} runs; above 100k: fewer runs (see "runs").

{c.NOISE_NOTE}

{c.machine_md(r.get("machine"))}
"""
    c.write_markdown("scaling", text)


if __name__ == "__main__":
    main()
