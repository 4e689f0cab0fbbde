"""Spark: ``arabic_dedup.spark.find_duplicates`` on ``local[2]`` vs one-process ``find_duplicates``.

Same documents, same options (keep="first", ids in input order), the single process in the same
run. Reports the wall time of each (Spark: session start-up separately; a timed Spark run builds
the DataFrame, deduplicates and brings the result to the driver to compare it), the per-stage
profile of the last Spark run from the Spark UI's REST API (wall time, executor time and shuffle
bytes per stage of the pipeline), the machine's load average beside every timing, and checks
that every output column is equal. Results are merged into ``benchmarks/results/spark.json`` (one
entry per corpus and size) and the whole file is rendered to ``docs/benchmarks/spark.md``.
Needs the ``spark`` extra and Java 17. Run:

    python benchmarks/bench_spark.py --corpus saudinewsnet --runs 3
    python benchmarks/bench_spark.py --corpus v2 --docs 100000 --runs 1
    python benchmarks/bench_spark.py --corpus v2 --docs 1000000 --runs 1
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import urllib.request
from datetime import datetime
from typing import Any

import _common as c

UI_PORT = 4190  # the Spark UI (its REST API gives the profile); the next free port if taken


def spark_session(partitions: int) -> Any:
    from pyspark.sql import SparkSession

    # Python workers must run this interpreter (the one with arabic_dedup installed).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("arabic-dedup-bench")
        .config("spark.sql.shuffle.partitions", str(partitions))
        .config("spark.default.parallelism", str(partitions))
        .config("spark.ui.enabled", "true")
        .config("spark.ui.port", str(UI_PORT))
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "6g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


# -- profile from the REST API -------------------------------------------------------------------


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as r:  # the local Spark UI
        return json.loads(r.read().decode("utf-8"))


def _ts(s: str | None) -> float | None:
    if not s:
        return None
    return datetime.strptime(s.replace("GMT", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def _api(spark: Any) -> str:
    sc = spark.sparkContext
    return f"{sc.uiWebUrl}/api/v1/applications/{sc.applicationId}"


def job_ids(spark: Any) -> set[int]:
    """The jobs the application has run so far (a profile covers only later ones)."""
    return {int(j["jobId"]) for j in _get(f"{_api(spark)}/jobs")}


def profile(spark: Any, before: set[int]) -> dict[str, Any]:
    """The jobs run since ``before``, summed per pipeline step (the job description
    ``arabic_dedup.spark`` sets, ``STAGE_PREFIX`` + step) and listed per stage."""
    from arabic_dedup.spark import STAGE_PREFIX

    api = _api(spark)
    time.sleep(2.0)  # the UI store is updated asynchronously by the listener bus
    jobs = [j for j in _get(f"{api}/jobs") if int(j["jobId"]) not in before]
    stages = {int(s["stageId"]): s for s in _get(f"{api}/stages?status=complete")}
    steps: dict[str, dict[str, Any]] = {}
    rows = []
    for j in sorted(jobs, key=lambda j: int(j["jobId"])):
        desc = j.get("description") or "result (to driver)"
        # Spark's own jobs (listing the Parquet input's files) carry Spark's description.
        name = "input (file listing)" if desc.startswith("Listing leaf files") else desc
        name = name.removeprefix(STAGE_PREFIX)
        step = steps.setdefault(
            name,
            {"jobs": 0, "stages": 0, "wall_s": 0.0, "executor_s": 0.0, "shuffle_read_mb": 0.0,
             "shuffle_write_mb": 0.0},
        )  # fmt: skip
        step["jobs"] += 1
        t0, t1 = _ts(j.get("submissionTime")), _ts(j.get("completionTime"))
        if t0 is not None and t1 is not None:
            step["wall_s"] += t1 - t0
        for sid in j.get("stageIds", []):
            s = stages.get(int(sid))
            if s is None:  # skipped: its shuffle output was reused
                continue
            ex = s.get("executorRunTime", 0) / 1000
            rd = s.get("shuffleReadBytes", 0) / 1e6
            wr = s.get("shuffleWriteBytes", 0) / 1e6
            step["stages"] += 1
            step["executor_s"] += ex
            step["shuffle_read_mb"] += rd
            step["shuffle_write_mb"] += wr
            s0, s1 = _ts(s.get("submissionTime")), _ts(s.get("completionTime"))
            rows.append(
                {"step": name, "stage": int(sid), "tasks": s.get("numTasks"),
                 "wall_s": round(s1 - s0, 3) if s0 and s1 else None,
                 "executor_s": round(ex, 3), "shuffle_read_mb": round(rd, 3),
                 "shuffle_write_mb": round(wr, 3)}
            )  # fmt: skip
    for v in steps.values():
        for k in ("wall_s", "executor_s", "shuffle_read_mb", "shuffle_write_mb"):
            v[k] = round(v[k], 3)
    return {
        "steps": steps,
        "stages": rows,
        "jobs": len(jobs),
        "shuffle_write_mb": round(sum(v["shuffle_write_mb"] for v in steps.values()), 3),
    }


# -- inputs --------------------------------------------------------------------------------------


def v2_frame(spark: Any, n_docs: int) -> Any:
    """The first ``n_docs`` v2 documents as a DataFrame (id = input index), read by Spark
    itself from their Parquet copies (as the single process reads them, with pyarrow)."""
    df = spark.read.parquet(*(str(p) for p in c.synthetic_v2_parquet(n_docs)))
    return df.where(df["id"] < n_docs) if n_docs % c.CHUNK_DOCS else df


def run_spark(spark: Any, make_df: Any, n: int, opts: dict[str, Any]) -> dict[str, Any]:
    from arabic_dedup import spark as ads

    rounds: list[tuple[int, int]] = []
    before = job_ids(spark)
    load0 = os.getloadavg()
    t0 = time.perf_counter()
    out = ads.find_duplicates(make_df(), on_round=lambda r, k: rounds.append((r, k)), **opts)
    pdf = out.orderBy("id").toPandas()
    wall = time.perf_counter() - t0
    load1 = os.getloadavg()
    if len(pdf) != n:
        raise RuntimeError(f"Spark returned {len(pdf)} rows for {n} documents")
    return {
        "wall_s": wall,
        "load_before": [round(x, 2) for x in load0],
        "load_after": [round(x, 2) for x in load1],
        "out": pdf,
        "rounds": rounds,
        "profile": profile(spark, before),
    }


def compare(pdf: Any, ref: Any) -> dict[str, bool]:
    import numpy as np

    dup = pdf["duplicate_of"]
    want_dup = np.array([np.nan if d is None else d for d in ref.duplicate_of], dtype=np.float64)
    return {
        "id": pdf["id"].tolist() == list(range(len(ref.keep))),
        "cluster_id": pdf["cluster_id"].to_numpy().tolist() == ref.cluster_ids.tolist(),
        "keep": pdf["keep"].to_numpy().tolist() == ref.keep.tolist(),
        "duplicate_of": bool(
            np.array_equal(dup.to_numpy(dtype=np.float64), want_dup, equal_nan=True)
        ),
        "similarity": pdf["similarity"].to_numpy().tolist() == ref.similarity.tolist(),
    }


def main() -> None:
    p = c.base_parser(__doc__.splitlines()[0])
    p.add_argument("--corpus", choices=["saudinewsnet", "v2"], default="saudinewsnet")
    p.add_argument("--docs", type=int, default=None, help="documents (default: all / 100000)")
    p.add_argument("--partitions", type=int, default=None, help="default: max(8, docs/20000)")
    p.add_argument(
        "--facts", choices=["off", "apart", "join"], default=None,
        help="the fact check (DedupConfig.facts) on both sides; given, the entry is named "
        "after it (to compare off and on in one session)",
    )  # fmt: skip
    args = p.parse_args()
    # Unnamed entries run the library's defaults (the fact check on); --facts names its entry.
    opts = {} if args.facts is None else {"facts": args.facts}
    import arabic_dedup

    runs = args.runs or 1
    if args.corpus == "saudinewsnet":
        corpus = c.load_corpus()
        texts = c.subset(corpus.texts, args.docs or (3000 if args.quick else len(corpus.texts)))
        n = len(texts)
        note = corpus.note
        entry = "saudinewsnet" if n == len(corpus.texts) else f"saudinewsnet-{n}"

        def docs() -> Any:
            return texts

    else:
        n = args.docs or (10_000 if args.quick else 100_000)
        c.ensure_synthetic_v2(n)
        c.synthetic_v2_parquet(n)
        note = f"generator v2 ({n:,} documents, read from Parquet copies of its chunk files)"
        entry = f"v2-{n}"

        def docs() -> Any:
            return c.iter_synthetic_v2_parquet(n)

    partitions = args.partitions or max(8, n // 20_000)
    load_single = os.getloadavg()
    single = c.time_runs(lambda: arabic_dedup.find_duplicates(docs(), **opts), runs=runs, warmup=0)
    single["load_before"] = [round(x, 2) for x in load_single]
    single["load_after"] = [round(x, 2) for x in os.getloadavg()]
    ref = arabic_dedup.find_duplicates(docs(), **opts)
    if args.facts is not None:
        entry += f"-facts-{args.facts}"

    t0 = time.perf_counter()
    spark = spark_session(partitions)
    spark.range(1).count()
    startup_s = time.perf_counter() - t0
    if args.corpus == "saudinewsnet":
        import pandas as pd

        def make_df() -> Any:
            pdf = pd.DataFrame({"id": range(n), "text": texts})
            return spark.createDataFrame(pdf).repartition(partitions)

    else:

        def make_df() -> Any:
            return v2_frame(spark, n)

    # The first run also starts the Python workers and compiles the numba kernels in them;
    # at 1M documents it is the only run (say so in the docs).
    warm = run_spark(spark, make_df, n, opts)
    timed = [run_spark(spark, make_df, n, opts) for _ in range(runs if n <= 200_000 else runs - 1)]
    spark.stop()
    measured = timed or [warm]
    last = measured[-1]
    equal = compare(last["out"], ref)
    spark_s = statistics.median(r["wall_s"] for r in measured)
    prof = last["profile"]
    result = {
        "corpus": note,
        "docs": n,
        "options": opts,
        "duplicates": ref.n_duplicates,
        "verified_pairs": len(ref.pairs),
        "single": single,
        "spark": {
            "master": "local[2]",
            "partitions": partitions,
            "startup_s": startup_s,
            "first_run_s": warm["wall_s"],
            "first_run_is_measured": not timed,
            "median_s": spark_s,
            "runs_s": [r["wall_s"] for r in measured],
            "loads": [{"before": r["load_before"], "after": r["load_after"]} for r in measured],
            "rounds": len(last["rounds"]),
            "active_pairs_per_round": [a for _, a in last["rounds"]],
            "profile": prof,
            "shuffle_bytes_per_doc": prof["shuffle_write_mb"] * 1e6 / n,
        },
        "ratio": spark_s / single["median_s"],
        "spark_ms_per_doc": spark_s * 1e3 / n,
        "single_ms_per_doc": single["median_s"] * 1e3 / n,
        "equal": equal,
        "all_equal": all(equal.values()),
        "commit": c.machine_info()["git_commit"],
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path = c.RESULTS_DIR / "spark.json"
    saved = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    entries = saved.get("entries", {})
    entries[entry] = result
    c.write_results(
        "spark",
        {
            **{k: v for k, v in saved.items() if k not in ("benchmark", "machine")},
            "entries": entries,
            "summary": summary(entries),
        },
    )
    render(json.loads(path.read_text(encoding="utf-8")))
    print(
        f"{entry}: single {single['median_s']:.2f} s, spark {spark_s:.2f} s (first "
        f"{warm['wall_s']:.2f} s, startup {startup_s:.2f} s), ratio {result['ratio']:.2f}, "
        f"shuffle {prof['shuffle_write_mb']:.1f} MB, rounds {len(last['rounds'])}, equal {equal}"
    )


def summary(entries: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, e in entries.items():
        target = (
            "<= 4x one process, results equal"
            if name.startswith("v2-1000000")
            else ("results equal")
        )
        met = e["all_equal"] and (e["ratio"] <= 4 or not name.startswith("v2-1000000"))
        rows.append(
            c.summary_row(
                f"Spark local[2] dedup wall time, {name}",
                e["spark"]["median_s"],
                unit="s",
                anchor=e["single"]["median_s"],
                anchor_name="find_duplicates (1 process)",
                ratio=e["ratio"],
                target=target,
                met=met,
            )
        )
    return rows


def _load(x: list[float] | None) -> str:
    return "–" if not x else f"{x[0]:.1f}"


def _step_table(prof: dict[str, Any]) -> str:
    rows = [
        [name, v["jobs"], v["stages"], v["wall_s"], v["executor_s"], v["shuffle_write_mb"]]
        for name, v in prof["steps"].items()
    ]
    return c.md_table(
        ["step (job description)", "jobs", "stages", "wall s", "executor s", "shuffle write MB"],
        rows,
    )


def render(saved: dict[str, Any]) -> None:
    entries = saved.get("entries", {})
    rows = []
    for name, e in entries.items():
        sp = e["spark"]
        loads = ", ".join(_load(x["before"]) for x in sp["loads"])
        rows.append(
            [
                name,
                e["options"].get("facts", "apart (default)") if "options" in e else "not recorded",
                e.get("commit", "not recorded"),
                e["docs"],
                e["single"]["median_s"],
                _load(e["single"].get("load_before")),
                sp["median_s"],
                f"{len(sp['runs_s'])}{' (first)' if sp.get('first_run_is_measured') else ''}",
                loads,
                sp["startup_s"],
                e["ratio"],
                e["single_ms_per_doc"],
                e["spark_ms_per_doc"],
                sp["shuffle_bytes_per_doc"],
                sp["rounds"],
                e["all_equal"],
            ]
        )
    table = c.md_table(
        ["run", "facts", "commit", "docs", "1 process s", "load", "Spark s (median)",
         "Spark runs", "load", "session start s", "Spark / 1 process", "1 process ms/doc",
         "Spark ms/doc", "shuffle B/doc", "cluster rounds", "equal"],
        rows,
    )  # fmt: skip
    profiles = []
    for key in ("before_redesign", "before_arrow"):
        before = saved.get(key)
        if before:
            profiles.append(
                f"### Before {before.get('title', 'the redesign')}: {before['what']}\n\n"
                f"{before['note']}\n\n{_step_table(before['profile'])}"
            )
    for name, e in entries.items():
        profiles.append(f"### {name}, last Spark run\n\n{_step_table(e['spark']['profile'])}")
    prof_md = "\n\n".join(profiles)
    missing = (
        ""
        if "v2-1000000" in entries
        else "1M v2 documents: not measured yet (did not fit the session that produced this "
        "file; the largest v2 row is the scaling evidence)."
    )
    c.write_markdown(
        "spark",
        f"""# Spark: `arabic_dedup.spark.find_duplicates` on one machine

`python benchmarks/bench_spark.py --corpus saudinewsnet|v2 [--docs N] [--runs N]` — `local[2]`
beside `arabic_dedup.find_duplicates` in the same run, default options (keep="first", the fact
check on) unless the "facts" column names another; "commit" is the tree each row was run on.
"load" is the 1-minute load average just before the timing (2 cores, shared with other
work: above 2 the timings are inflated). A timed Spark run builds the DataFrame, deduplicates
and brings the whole result to the driver; session start is excluded and listed apart. The
first Spark run of a session (Python workers start, numba kernels compile) is not timed
except where "(first)" says it is the only run. Generated (v2) documents are read from
Parquet copies of the generator's chunk files by both sides: by Spark's own reader, and by
pyarrow in the single process (the columnar input a Spark user has; JSON lines parsed in
Python executors made the shingle stage three times slower).

{table}

"equal": every output column (cluster_id, keep, duplicate_of, similarity) equals the single
process's, exactly. Above 200,000 documents each side is run once (the Spark run is then the
session's first). {missing}

## Where the time goes (Spark UI REST API, per pipeline step)

Every job `arabic_dedup.spark` starts is described `arabic_dedup: <step>`; the benchmark sums
the jobs' wall time (jobs of one step can overlap, so a step's sum can exceed its share of
the run) and their stages' executor time and shuffle writes per step.

{prof_md}

{c.NOISE_NOTE}

{c.machine_md()}
""",
    )


if __name__ == "__main__":
    main()
