"""Spark: ``arabic_dedup.spark.find_duplicates`` on ``local[2]`` vs one-process ``find_duplicates``.

Same corpus (SaudiNewsNet, all articles), same options, keep="first" with the input index as
``order_col``. Reports the wall time of each (Spark: session start-up separately; the timed run
includes building the DataFrame and collecting the result to compare it) and checks that every
output column is equal. Needs the ``spark`` extra and Java 17. Run:
``python benchmarks/bench_spark.py [--quick] [--runs N] [--docs N] [--partitions N]``.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Any

import _common as c


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
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def run_spark(spark: Any, texts: list[str], partitions: int) -> dict[str, Any]:
    import pandas as pd

    from arabic_dedup import spark as ads

    rounds: list[tuple[int, int]] = []
    t0 = time.perf_counter()
    pdf = pd.DataFrame({"id": range(len(texts)), "text": texts})
    df = spark.createDataFrame(pdf).repartition(partitions)
    out = ads.find_duplicates(df, on_round=lambda r, n: rounds.append((r, n)))
    rows = out.orderBy("id").collect()
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "rows": rows, "rounds": rounds}


def main() -> None:
    p = c.base_parser(__doc__.splitlines()[0])
    p.add_argument("--docs", type=int, default=None, help="documents (default: all)")
    p.add_argument("--partitions", type=int, default=8, help="input and shuffle partitions")
    args = p.parse_args()
    import arabic_dedup

    corpus = c.load_corpus()
    n = args.docs or (3000 if args.quick else len(corpus.texts))
    texts = c.subset(corpus.texts, n)
    runs = args.runs or 1

    single = c.time_runs(lambda: arabic_dedup.find_duplicates(texts), runs=runs, warmup=1)
    ref = arabic_dedup.find_duplicates(texts)

    t0 = time.perf_counter()
    spark = spark_session(args.partitions)
    spark.range(1).count()
    startup_s = time.perf_counter() - t0
    # The first run also starts the Python workers and loads the numba kernels in them.
    warm = run_spark(spark, texts, args.partitions)
    spark_runs = [run_spark(spark, texts, args.partitions) for _ in range(runs)]
    spark.stop()

    rows = spark_runs[-1]["rows"]
    equal = {
        "cluster_id": [r.cluster_id for r in rows] == ref.cluster_ids.tolist(),
        "keep": [r.keep for r in rows] == ref.keep.tolist(),
        "duplicate_of": [r.duplicate_of for r in rows] == ref.duplicate_of,
        "similarity": [r.similarity for r in rows] == ref.similarity.tolist(),
    }
    spark_s = statistics.median(r["wall_s"] for r in spark_runs)
    rounds = spark_runs[-1]["rounds"]
    payload = {
        "corpus": corpus.note,
        "docs": len(texts),
        "duplicates": ref.n_duplicates,
        "verified_pairs": len(ref.pairs),
        "single": {k: v for k, v in single.items()},
        "spark": {
            "master": "local[2]",
            "partitions": args.partitions,
            "startup_s": startup_s,
            "first_run_s": warm["wall_s"],
            "median_s": spark_s,
            "runs_s": [r["wall_s"] for r in spark_runs],
            "rounds": len(rounds),
            "active_pairs_per_round": [a for _, a in rounds],
        },
        "equal": equal,
        "all_equal": all(equal.values()),
        "summary": [
            c.summary_row(
                "Spark local[2] dedup wall time, SaudiNewsNet",
                spark_s,
                unit="s",
                anchor=single["median_s"],
                anchor_name="find_duplicates (1 process)",
                ratio=spark_s / single["median_s"],
                target="results equal",
                met=all(equal.values()),
            )
        ],
    }
    c.write_results("spark", payload)
    table = c.md_table(
        ["run", "wall s (median)", "notes"],
        [
            ["find_duplicates, one process", single["median_s"], f"{runs} run(s) after warm-up"],
            [
                "arabic_dedup.spark, local[2]",
                spark_s,
                f"{runs} run(s); first run {warm['wall_s']:.1f} s; session start "
                f"{startup_s:.1f} s (not included)",
            ],
        ],
    )
    c.write_markdown(
        "spark",
        f"""# Spark: `arabic_dedup.spark.find_duplicates` on one machine

`python benchmarks/bench_spark.py{" --quick" if args.quick else ""}` — {corpus.note};
{len(texts):,} documents, default options (keep="first"), {args.partitions} partitions.

{table}

Results equal to the single-process run, column by column: **{
            "yes"
            if all(equal.values())
            else "NO: " + ", ".join(k for k, v in equal.items() if not v)
        }** ({ref.n_duplicates:,}
duplicates, {len(ref.pairs):,} verified pairs). The anti-chaining clustering took
{len(rounds)} round(s) of joins (active pairs per round: {[a for _, a in rounds]}).

Spark on `local[2]` is slower than the single process on the same 2 cores: it adds Arrow
serialisation to the Python workers, shuffles for banding and verification (each candidate
pair carries both shingle arrays) and one job per clustering round. It exists to scale out
past one machine's memory (see [../spark.md](../spark.md)), not to beat the numba path on
one machine.

{c.NOISE_NOTE}

{c.machine_md()}
""",
    )
    print(
        f"single {single['median_s']:.2f} s, spark {spark_s:.2f} s "
        f"(first {warm['wall_s']:.2f} s, startup {startup_s:.2f} s), rounds {len(rounds)}, "
        f"equal {equal}"
    )


if __name__ == "__main__":
    main()
