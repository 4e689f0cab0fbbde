"""``find_duplicates`` on Apache Spark: the same dedup as a DataFrame transformation.

Needs the ``spark`` extra (``pip install 'arabic-dedup[spark]'``); pyspark is imported only when
:func:`find_duplicates` runs. Every stage calls the single-machine code on Arrow batches
(:mod:`.udfs`), so signatures, candidates, similarities and clusters are the ones
:func:`arabic_dedup.find_duplicates` gives on the same texts in the same keep order:

1. shingles:   ``MinHasher.shingle_sets`` in a pandas UDF, one array per document (cached);
2. ``max_df``: document frequency by ``explode`` + ``groupBy``; common shingles are filtered
   out of each array as ``BoilerplateRule.apply`` does (same rule object, same exemption);
3. banding:    ``signatures_from_sets`` + ``band_hashes`` in a pandas UDF, then a ``groupBy``
   on the band hash (which mixes in the band index): every pair in a bucket of at most
   ``GIANT_BUCKET`` documents is a candidate; a bigger bucket (10^5 copies of a cookie
   notice) pairs each member with its first ``GIANT_HEADS`` members in keep order only, so
   its cost is linear in its size (see :func:`_verified_edges`);
4. verify:     candidates joined with both shingle arrays, exact similarity by ``verify_pairs``;
5. clusters:   ``star_clusters`` computed in rounds of joins (see :func:`_representatives`),
   never collecting pairs on the driver.

Keep order: ``keep="first"`` keeps the document with the smallest ``order_col`` (default: the id
column itself, so give an explicit row-number column when ids do not sort in input order);
``keep="longest"`` the longest text (in code points), ties by ``order_col``. Remaining ties are
broken by id, so the order is total.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._boilerplate import BoilerplateRule
from .._cluster import KeepPolicy
from .._config import DedupConfig, resolve_config
from .._errors import ConfigError, InputError
from .._lsh import GIANT_BUCKET

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = ["GIANT_HEADS", "SPARK_EXTRA", "find_duplicates"]

# A bucket of more than GIANT_BUCKET documents pairs each member with this many of its
# earliest members in keep order (its likely representatives), not with every member.
GIANT_HEADS = 16

SPARK_EXTRA = "pip install 'arabic-dedup[spark]'"

# Internal column names, prefixed so they cannot clash with the caller's.
_ID, _ORD, _TXT, _SH, _KEY = "_ad_id", "_ad_order", "_ad_text", "_ad_shingles", "_ad_key"
_FIRST, _LATER, _SIM, _V = "_ad_first", "_ad_later", "_ad_sim", "_ad_v"


def _require_spark() -> Any:
    try:
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401
        from pyspark.sql import functions
    except ImportError as e:
        raise ImportError(
            f"arabic_dedup.spark needs pyspark, pandas and pyarrow ({e.name} is missing): "
            f"{SPARK_EXTRA}"
        ) from e
    return functions


_CHECKED: set[tuple[int, str]] = set()  # (context, worker interpreter) already probed


def _check_workers(sc: Any) -> None:
    """Fail at once, naming PYSPARK_PYTHON, when the Python workers cannot import
    arabic_dedup (else the first UDF fails deep inside a stage with ModuleNotFoundError).

    On a ``local`` master with PYSPARK_PYTHON unset the workers are this machine's: they are
    pointed at the driver's interpreter, which has arabic_dedup (pyspark otherwise starts
    whatever ``python3`` is on the PATH).
    """
    if sc.master.startswith("local") and not os.environ.get("PYSPARK_PYTHON"):
        sc.pythonExec = sys.executable
    key = (id(sc), str(sc.pythonExec))
    if key in _CHECKED:
        return

    def probe(_: Any) -> bool:
        import importlib.util

        return importlib.util.find_spec("arabic_dedup") is not None

    hint = (
        "set PYSPARK_PYTHON (and spark.pyspark.python on a cluster) to an interpreter that "
        "has arabic-dedup installed, e.g. PYSPARK_PYTHON=" + sys.executable
    )
    try:
        found = sc.parallelize([0], 1).map(probe).collect()
    except Exception as exc:
        first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            f"Spark's Python workers ({sc.pythonExec}) could not start: {first}; {hint}"
        ) from None
    if found != [True]:
        raise ConfigError(
            f"Spark's Python workers ({sc.pythonExec}) cannot import arabic_dedup; {hint}"
        )
    _CHECKED.add(key)


def find_duplicates(
    df: DataFrame,
    /,
    *,
    text_col: str = "text",
    id_col: str = "id",
    keep: KeepPolicy = "first",
    order_col: str | None = None,
    config: DedupConfig | None = None,
    on_round: Callable[[int, int], None] | None = None,
    **options: Any,
) -> DataFrame:
    """Near-duplicate clusters of the texts in ``df``, one output row per input row.

    Output columns: ``id_col``, ``cluster_id`` (id of the kept document), ``keep``,
    ``duplicate_of`` (id of the kept document, null for kept ones) and ``similarity`` (to the
    kept document; 1.0 for kept ones). ``options`` are :class:`DedupConfig` fields, as in
    :func:`arabic_dedup.find_duplicates`; ids must be unique and not null. ``on_round(round,
    active_pairs)`` is called before each clustering round (progress reporting).

    >>> out = find_duplicates(spark_df, keep="longest", threshold=0.7)  # doctest: +SKIP
    >>> out.where(~out.keep).show()  # doctest: +SKIP
    """
    F = _require_spark()
    cfg = resolve_config(config, options)
    cfg.require_no_facts("Spark (arabic_dedup.spark.find_duplicates)")
    _check_workers(df.sparkSession.sparkContext)
    if keep not in ("first", "longest"):
        raise ConfigError(f"keep must be 'first' or 'longest' on Spark, got {keep!r}")
    _check_columns(df, text_col, id_col, order_col)

    from .udfs import shingle_fn

    shingles = F.pandas_udf(shingle_fn(cfg, text_col), "array<int>")
    order = F.col(order_col) if order_col is not None else F.col(id_col)
    docs = df.select(
        F.col(id_col).alias(_ID),
        order.alias(_ORD),
        F.col(text_col).alias(_TXT),
    )
    # The keep order as one comparable struct: smaller is kept first; the id makes it total.
    key_fields = [F.col(_ORD).alias("o"), F.col(_ID).alias("i")]
    if keep == "longest":
        key_fields.insert(0, (-F.length(_TXT)).alias("neg_len"))
    docs = docs.select(
        _ID, F.struct(*key_fields).alias(_KEY), shingles(F.col(_ID), F.col(_TXT)).alias(_SH)
    ).persist(_storage_level())
    try:
        n_docs = _validate(docs, F, id_col, order_col)
        rule = cfg.boilerplate
        if rule is not None:
            docs_used = _drop_common(docs, rule, n_docs, F)
        else:
            docs_used = docs
        edges = _materialize(_verified_edges(docs_used, cfg, F))
        nonrep = _representatives(edges, F, on_round)
        assign = _materialize(_assign(edges, nonrep, F))
    finally:
        docs.unpersist()
    d = assign[_V]
    return (
        df.select(F.col(id_col).alias(_ID))
        .join(assign, F.col(_ID) == F.col(_LATER), "left")
        .select(
            F.col(_ID).alias(id_col),
            F.coalesce(d, F.col(_ID)).alias("cluster_id"),
            d.isNull().alias("keep"),
            d.alias("duplicate_of"),
            F.coalesce(F.col(_SIM), F.lit(1.0)).alias("similarity"),
        )
    )


def _check_columns(df: DataFrame, text_col: str, id_col: str, order_col: str | None) -> None:
    fields = {f.name: f for f in df.schema.fields}
    for role, name in (("text_col", text_col), ("id_col", id_col), ("order_col", order_col)):
        if name is not None and name not in fields:
            raise ConfigError(
                f"{role}={name!r} is not a column of the DataFrame; columns: {', '.join(fields)}"
            )
    t = fields[text_col].dataType.simpleString()
    if t != "string":
        raise InputError(
            f"text column {text_col!r} must be of type string, got {t} "
            f"(cast or decode it first, e.g. F.col({text_col!r}).cast('string'))"
        )


def _validate(docs: DataFrame, F: Any, id_col: str, order_col: str | None) -> int:
    """Check ids are unique and orders are not null (one pass, which also fills the cache)."""
    row = docs.agg(
        F.count(F.lit(1)).alias("n"),
        F.count_distinct(_ID).alias("ids"),
        F.sum(F.col(_KEY)["o"].isNull().cast("long")).alias("null_orders"),
    ).first()
    if row is None:  # an aggregate without grouping always yields one row
        raise RuntimeError("Spark returned no row for a global aggregate")
    n, ids, null_orders = int(row["n"]), int(row["ids"]), int(row["null_orders"] or 0)
    if ids != n:
        dups = docs.groupBy(_ID).count().where(F.col("count") > 1).limit(3).select(_ID).collect()
        raise InputError(
            f"id column {id_col!r} must be unique: {n - ids} repeated value(s), e.g. "
            f"{', '.join(repr(r[0]) for r in dups)}; deduplicate exact ids first or use a "
            "row number (F.monotonically_increasing_id()) as the id"
        )
    if null_orders:
        raise InputError(
            f"order column {order_col!r} has {null_orders} null value(s); the keep order must "
            "be defined for every row (fill them, e.g. with a row number)"
        )
    return n


def _drop_common(docs: DataFrame, rule: BoilerplateRule, n_docs: int, F: Any) -> DataFrame:
    """``rule.apply(sets)`` without leaving Spark: the same limit, the same document
    frequencies and the same exemption for documents that are mostly common."""
    limit = rule.limit(n_docs)
    # Arrays hold distinct hashes, so a hash's row count is its document frequency.
    exploded = docs.select(_ID, F.explode(_SH).alias("h"))
    common = exploded.groupBy("h").count().where(F.col("count") > F.lit(limit)).select("h")
    hits = (
        exploded.join(common, "h", "left_semi").groupBy(_ID).agg(F.collect_list("h").alias("hit"))
    )
    sh, hit = F.col(_SH), F.col("hit")
    exempt = F.size(hit) >= F.lit(rule.exempt_share) * F.greatest(F.size(sh), F.lit(1))
    # ``filter`` keeps the array's order, which is the uint32 order the kernels rely on.
    kept = F.filter(sh, lambda x: ~F.array_contains(hit, x))
    return docs.join(hits, _ID, "left").select(
        _ID, _KEY, F.when(hit.isNull() | exempt, sh).otherwise(kept).alias(_SH)
    )


def _verified_edges(docs: DataFrame, cfg: DedupConfig, F: Any) -> DataFrame:
    """Verified pairs oriented (first, later) in keep order, with the first's key and the
    similarity: the input of ``star_clusters``.

    A bucket of more than ``GIANT_BUCKET`` documents is not exploded into all its pairs
    (quadratic: 10^5 copies give 5 * 10^9): each member is paired with the bucket's first
    ``GIANT_HEADS`` members in keep order. Copies and near-copies of the earliest member
    decide as on one machine; a member whose only earlier match in that bucket lies beyond
    the heads (and shares no small bucket with it) is missed there, so it may be kept where
    ``arabic_dedup.find_duplicates``, which compares giant buckets' members with all their kept
    documents, would mark it. Inputs without giant buckets decide exactly as on one machine.
    """
    from .udfs import REJECTED, band_hash_fn, verify_fn

    band_udf = F.pandas_udf(band_hash_fn(cfg), "array<bigint>")
    verify_udf = F.pandas_udf(verify_fn(cfg.verifier), "double")
    # Band hashes mix in the band index, so the hash alone is the bucket key (as in
    # ``candidate_pairs``); a bucket shared by several bands still yields each pair once.
    bands = docs.select(_ID, _KEY, F.explode(band_udf(F.col(_SH))).alias("bh"))
    members = F.collect_list(F.struct(F.col(_KEY).alias("k"), F.col(_ID).alias("i")))
    buckets = bands.groupBy("bh").agg(members.alias("m")).where(F.size("m") > 1)
    ids = F.col("m").getField("i")
    small = (
        buckets.where(F.size("m") <= F.lit(GIANT_BUCKET))
        .select(F.explode(ids).alias("x"), ids.alias("ids"))
        .select("x", F.explode("ids").alias("y"))
        .where(F.col("x") < F.col("y"))
    )
    heads = F.slice(F.sort_array("m"), 1, GIANT_HEADS).getField("i")
    giant = (
        buckets.where(F.size("m") > F.lit(GIANT_BUCKET))
        # The heads once per bucket, before exploding (beside the explode, Spark sorts the
        # bucket again for every member).
        .select(ids.alias("ids"), heads.alias("heads"))
        .select(F.explode("ids").alias("x"), "heads")
        .select("x", F.explode("heads").alias("h"))
        .where(F.col("x") != F.col("h"))
        .select(F.least("x", "h").alias("x"), F.greatest("x", "h").alias("y"))
    )
    pairs = small.unionByName(giant).distinct()
    side = docs.select(_ID, _KEY, _SH)
    cand = pairs.join(side.toDF("x", "kx", "sx"), "x").join(side.toDF("y", "ky", "sy"), "y")
    ver = cand.select("x", "y", "kx", "ky", verify_udf("sx", "sy").alias(_SIM)).where(
        F.col(_SIM) > F.lit(REJECTED)
    )
    x_first = F.col("kx") < F.col("ky")
    return ver.select(
        F.when(x_first, F.col("x")).otherwise(F.col("y")).alias(_FIRST),
        F.when(x_first, F.col("kx")).otherwise(F.col("ky")).alias(_KEY),
        F.when(x_first, F.col("y")).otherwise(F.col("x")).alias(_LATER),
        _SIM,
    )


def _representatives(
    edges: DataFrame, F: Any, on_round: Callable[[int, int], None] | None
) -> DataFrame:
    """Ids that ``star_clusters`` does NOT keep (one column ``_V``), computed in rounds.

    Sequentially, a document is kept iff none of its earlier verified neighbours is kept: the
    lexicographically-first maximal independent set in keep order. Each round:

    * a document with active edges to later ones but none from earlier ones is kept (every
      earlier neighbour is already known not to be kept);
    * every later neighbour of such a document is not kept;
    * edges touching a not-kept document are dropped: they can no longer decide anything.

    The earliest document with an active edge always qualifies, so each round removes edges
    and the loop ends; the rounds number the longest chain of dependencies, a handful on
    news corpora. Documents left without edges are kept: all their earlier neighbours were
    not. Each round is checkpointed so plans and lineage stay one round long.
    """
    active = edges.select(_FIRST, _LATER)
    parts: list[DataFrame] = []
    rnd = 0
    while True:
        n_active = active.count()
        if n_active == 0:
            break
        rnd += 1
        if on_round is not None:
            on_round(rnd, n_active)
        firsts = active.select(F.col(_FIRST).alias(_V)).distinct()
        laters = active.select(F.col(_LATER).alias(_V)).distinct()
        kept = firsts.join(laters, _V, "left_anti")
        dropped = _materialize(
            active.join(kept.withColumnRenamed(_V, _FIRST), _FIRST, "left_semi")
            .select(F.col(_LATER).alias(_V))
            .distinct()
        )
        parts.append(dropped)
        active = _materialize(
            active.join(dropped.withColumnRenamed(_V, _LATER), _LATER, "left_anti").join(
                dropped.withColumnRenamed(_V, _FIRST), _FIRST, "left_anti"
            )
        )
    out = edges.select(F.col(_LATER).alias(_V)).limit(0)
    for p in parts:
        out = out.unionByName(p)
    return out


def _assign(edges: DataFrame, nonrep: DataFrame, F: Any) -> DataFrame:
    """Each not-kept document's representative: its most similar kept earlier neighbour, ties
    to the earliest (``star_clusters``' visiting order). Columns ``_LATER, _V, _SIM``."""
    best = (
        edges.join(nonrep.withColumnRenamed(_V, _LATER), _LATER, "left_semi")
        .join(nonrep.withColumnRenamed(_V, _FIRST), _FIRST, "left_anti")
        .groupBy(_LATER)
        .agg(F.min(F.struct((-F.col(_SIM)).alias("ns"), _KEY, _FIRST)).alias("b"))
    )
    return best.select(_LATER, F.col("b")[_FIRST].alias(_V), (-F.col("b")["ns"]).alias(_SIM))


def _materialize(df: DataFrame) -> DataFrame:
    """Compute ``df`` now and cut its lineage: a reliable checkpoint when the session has a
    checkpoint directory (survives lost executors), a local one otherwise."""
    try:
        has_dir = df.sparkSession.sparkContext.getCheckpointDir() is not None
    except Exception:  # Spark Connect has no SparkContext; its checkpoints are server-side
        has_dir = False
    return df.checkpoint(eager=True) if has_dir else df.localCheckpoint(eager=True)


def _storage_level() -> Any:
    from pyspark import StorageLevel

    return StorageLevel.MEMORY_AND_DISK
