"""``find_duplicates`` on Apache Spark: the same dedup as a DataFrame transformation.

Needs the ``spark`` extra (``pip install 'arabic-dedup[spark]'``); pyspark is imported only when
:func:`find_duplicates` runs. Every stage calls the single-machine code on Arrow batches
(:mod:`.udfs`), so signatures, candidates, similarities and clusters are the ones
:func:`arabic_dedup.find_duplicates` gives on the same texts in the same keep order:

1. shingles:   ``MinHasher.shingle_sets`` in a pandas UDF, one ``binary`` value per document
   (its sorted uint32 hashes; cached beside an internal long index per document);
2. ``max_df``: document frequencies counted per partition in ``mapInArrow`` (cell counts,
   then exact counts in the cells above the limit: counts are shuffled, not shingles); the
   common hashes go to the later stages as a ``CorpusStats``, whose ``filter`` (the rule
   object's own ``drop_common``) they apply to each set they read;
3. banding:    ``signatures_from_sets`` + ``band_hashes`` in ``mapInArrow`` (one row per
   band), repartitioned by band hash (which mixes in the band index) and grouped into
   buckets by a numpy sort per partition;
4. verify:     buckets with the same members are verified once, each in one ``applyInPandas``
   group that gets its members' full shingles once (memberships broadcast to the cached
   documents) and scores every pair with ``Verifier``, boilerplate rescue included; a
   bucket of more than ``GIANT_BUCKET`` documents pairs each member with its first
   ``GIANT_HEADS`` members in keep order only (see :func:`_verified_edges`);
5. clusters:   ``star_clusters``' sequential visit in one ``applyInPandas`` task when at most
   ``LOCAL_PAIRS`` verified pairs are left undecided, after rounds of joins while there are
   more (see :func:`_clusters`); pairs never reach the driver.

Keep order: ``keep="first"`` keeps the document with the smallest ``order_col`` (default: the id
column itself, so give an explicit row-number column when ids do not sort in input order);
``keep="longest"`` the longest text (in code points), ties by ``order_col``. Remaining ties are
broken by id, so the order is total.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from .._boilerplate import BoilerplateRule, CorpusStats
from .._config import DedupConfig, resolve_config
from .._errors import ConfigError, InputError
from .._keep import KeepPolicy
from .._lsh import GIANT_BUCKET

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

__all__ = [
    "BROADCAST_MEMBERS",
    "GIANT_HEADS",
    "LOCAL_PAIRS",
    "SPARK_EXTRA",
    "STAGE_PREFIX",
    "find_duplicates",
]

# A bucket of more than GIANT_BUCKET documents pairs each member with this many of its
# earliest members in keep order (its likely representatives), not with every member.
GIANT_HEADS = 16

# Clustering rounds of joins run only while more verified pairs than this are undecided; the
# rest go to one task that visits them in keep order as ``star_clusters`` does (~100 bytes a
# pair in pandas: 2 * 10^6 pairs take a few hundred MB of that task's Python memory).
LOCAL_PAIRS = 2_000_000

# Bucket memberships (16 bytes each) up to this many are broadcast to the documents (at most
# ~64 MB on the driver and on each executor); more are joined by shuffling both sides.
BROADCAST_MEMBERS = 4_000_000

# Spark jobs are described "arabic_dedup: <stage>" (the UI and the benchmark's profile).
STAGE_PREFIX = "arabic_dedup: "

SPARK_EXTRA = "pip install 'arabic-dedup[spark]'"

# Internal column names, prefixed so they cannot clash with the caller's.
_ID, _ORD, _TXT, _SH, _K = "_ad_id", "_ad_order", "_ad_text", "_ad_shingles", "_ad_k"
# An internal long per document (the caller's ids can be of any type): numpy sorts band rows
# of longs. It is ``monotonically_increasing_id`` on the cached documents (memory and disk,
# so recomputed only when an executor is lost, and then the same for a deterministic input).
_IX = "_ad_ix"
_FA = "_ad_facts"  # fact fingerprints (binary, as shingles), with the fact check only
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
    _check_workers(df.sparkSession.sparkContext)
    if keep not in ("first", "longest"):
        raise ConfigError(f"keep must be 'first' or 'longest' on Spark, got {keep!r}")
    _check_columns(df, text_col, id_col, order_col)
    sc: Any = df.sparkSession.sparkContext  # Any: pyspark types the description as str only

    from .udfs import shingle_fn

    cpus = _task_cpus(sc)
    facts = cfg.fact_rule is not None
    # With the fact check, one walk over each text gives its shingles and fact fingerprints.
    shingles = F.pandas_udf(
        shingle_fn(cfg, text_col, cpus=cpus), "struct<s: binary, f: binary>" if facts else "binary"
    )
    order = F.col(order_col) if order_col is not None else F.col(id_col)
    docs = df.select(
        F.col(id_col).alias(_ID),
        order.alias(_ORD),
        F.col(text_col).alias(_TXT),
    )
    # The keep order as columns compared in turn (a struct): smaller is kept first; the id,
    # last, makes it total.
    key_exprs = [F.col(_ORD), F.col(_ID)]
    if keep == "longest":
        key_exprs.insert(0, -F.length(_TXT))
    keys = [f"{_K}{i}" for i in range(len(key_exprs))]
    docs = docs.select(
        _ID,
        F.monotonically_increasing_id().alias(_IX),
        *(e.alias(k) for e, k in zip(key_exprs, keys, strict=True)),
        shingles(F.col(_ID), F.col(_TXT)).alias(_SH),
    ).persist(_storage_level())
    cached = [docs]
    if facts:  # read from the cache: the UDF runs once per text
        docs = docs.select(
            _ID, _IX, *keys, F.col(f"{_SH}.s").alias(_SH), F.col(f"{_SH}.f").alias(_FA)
        )
    try:
        sc.setJobDescription(f"{STAGE_PREFIX}shingles")
        n_docs = _validate(docs, F, id_col, order_col, keys[-2])
        rule = cfg.boilerplate
        prune = None
        if rule is not None:
            sc.setJobDescription(f"{STAGE_PREFIX}max_df")
            prune = _common_shingles(docs, rule, n_docs, F)
        sc.setJobDescription(f"{STAGE_PREFIX}buckets")
        edges = _verified_edges(docs, keys, cfg, prune, F, cached, cpus)
        assign = _clusters(edges, keys, F, on_round, sc)
        sc.setJobDescription(f"{STAGE_PREFIX}result")
        d = assign[_V]
        # From the cached documents, computed now: the caller's input is not read again (a
        # second evaluation could even give other ids, e.g. monotonically_increasing_id).
        return _materialize(
            docs.select(_ID)
            .join(assign, F.col(_ID) == F.col(_LATER), "left")
            .select(
                F.col(_ID).alias(id_col),
                F.coalesce(d, F.col(_ID)).alias("cluster_id"),
                d.isNull().alias("keep"),
                d.alias("duplicate_of"),
                F.coalesce(F.col(_SIM), F.lit(1.0)).alias("similarity"),
            )
        )
    finally:
        for frame in cached:
            frame.unpersist()
        sc.setJobDescription(None)


def _task_cpus(sc: Any) -> int:
    """The cores each task owns (``spark.task.cpus``, Spark's default 1): the kernels' threads
    per task, so that the executor's concurrent tasks do not oversubscribe its cores."""
    try:
        return max(1, int(sc.getConf().get("spark.task.cpus", "1")))
    except (TypeError, ValueError):
        return 1


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


def _validate(docs: DataFrame, F: Any, id_col: str, order_col: str | None, order_key: str) -> int:
    """Check ids are unique and orders are not null (one pass, which also fills the cache)."""
    row = docs.agg(
        F.count(F.lit(1)).alias("n"),
        F.count_distinct(_ID).alias("ids"),
        F.sum(F.col(order_key).isNull().cast("long")).alias("null_orders"),
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


def _common_shingles(
    docs: DataFrame, rule: BoilerplateRule, n_docs: int, F: Any
) -> CorpusStats | None:
    """``rule.apply_with_stats(sets)``'s statistics without leaving Spark: the same limit and
    the same document frequencies, as a :class:`CorpusStats` whose ``filter`` the later
    stages apply (with the rule's exemption for documents that are mostly common) to each set
    where they read it; None when nothing is common.

    Frequencies are counted in two passes that ship counts, not shingles: per cell of hashes
    (each partition sends its ``2**CELL_BITS`` cell counts in ``CELL_SLICES`` binary rows),
    then exactly for the hashes of the cells above the limit. Only the common hashes reach
    the driver (there are at most ``shingles / limit`` of them, whatever the corpus size)
    and travel back to the executors inside the later stages' closures.
    """
    import numpy as np

    from .udfs import cell_counts_fn, hot_cells_fn, hot_counts_fn

    limit = float(rule.limit(n_docs))
    sh = docs.select(_SH)
    cells = (
        sh.mapInArrow(cast(Any, cell_counts_fn(_SH)), "slice int, counts binary")
        .groupBy("slice")
        .applyInPandas(hot_cells_fn(limit), "cell int")
        .collect()
    )
    if not cells:
        return None
    hot = np.sort(np.array([r[0] for r in cells], dtype=np.int64))
    common_rows = (
        sh.mapInArrow(cast(Any, hot_counts_fn(_SH, hot)), "h int, c long")
        .groupBy("h")
        .agg(F.sum("c").alias("c"))
        .where(F.col("c") > F.lit(limit))
        .select("h")
        .collect()
    )
    if not common_rows:
        return None
    common = np.sort(np.array([r[0] for r in common_rows], dtype=np.int32).view(np.uint32))
    return CorpusStats(rule, n_docs, common)


def _verified_edges(
    docs: DataFrame,
    keys: list[str],
    cfg: DedupConfig,
    prune: CorpusStats | None,
    F: Any,
    cached: list[DataFrame],
    cpus: int,
) -> DataFrame:
    """Verified pairs oriented (first, later) in keep order, with both documents' keys
    (``f<key>``, ``l<key>``) and the similarity: the input of ``star_clusters``.

    Band rows (``bh``, index) are repartitioned by band hash and grouped into buckets by one
    numpy sort per partition (``udfs.buckets_fn``); buckets with the same members (a pair of
    near-copies shares most of its bands) are verified once, inside one ``applyInPandas``
    group that gets each member's shingles once and compares every pair among them. So a
    document's shingles travel once per distinct bucket it is in, not once per candidate pair.
    Every stage that reads shingles drops ``prune``'s common ones itself.

    A bucket of more than ``GIANT_BUCKET`` documents is not exploded into all its pairs
    (quadratic: 10^5 copies give 5 * 10^9): each member is paired with the bucket's first
    ``GIANT_HEADS`` members in keep order. Copies and near-copies of the earliest member
    decide as on one machine; a member whose only earlier match in that bucket lies beyond
    the heads (and shares no small bucket with it) is missed there, so it may be kept where
    ``arabic_dedup.find_duplicates``, which compares giant buckets' members with all their kept
    documents, would mark it. Inputs without giant buckets decide exactly as on one machine.
    """
    from pyspark.sql.types import DoubleType, StructField, StructType

    from .udfs import REJECTED, band_rows_fn, bucket_verify_fn, buckets_fn, verify_fn

    types = {f.name: f.dataType for f in docs.schema.fields}
    id_type = types[_ID]
    n_parts = int(docs.sparkSession.conf.get("spark.sql.shuffle.partitions") or 200)
    bands = docs.select(_IX, _SH).mapInArrow(
        cast(Any, band_rows_fn(cfg, _IX, _SH, prune=prune, cpus=cpus)), f"bh long, {_IX} long"
    )
    # Band hashes mix in the band index, so the hash alone is the bucket key (as in
    # ``candidates``).
    buckets = (
        bands.repartition(n_parts, "bh")
        .mapInArrow(
            cast(Any, buckets_fn(_IX, GIANT_BUCKET)), "bid long, giant boolean, m array<long>"
        )
        .persist(_storage_level())
    )
    cached.append(buckets)
    n_giant = buckets.where(F.col("giant")).count()
    small = (
        buckets.where(~F.col("giant"))
        .groupBy("m")
        .agg(F.min("bid").alias("bid"))
        .select("bid", F.explode("m").alias(_IX))
        .persist(_storage_level())
    )
    cached.append(small)
    # Broadcast, the members meet their documents where these are cached: only the members'
    # shingles are shuffled (to their verification groups), not every document's.
    if small.count() <= BROADCAST_MEMBERS:
        small = F.broadcast(small)
    out_fields = [StructField("a", id_type), StructField("b", id_type)]
    out_fields += [StructField(f"{p}{k}", types[k]) for p in "ab" for k in keys]
    out_fields.append(StructField(_SIM, DoubleType()))
    facts = cfg.fact_rule is not None
    bucket_pairs = bucket_verify_fn(
        cfg.verifier, "bid", _ID, _SH, keys, _SIM, prune=prune, cpus=cpus,
        fact_col=_FA if facts else None,
    )  # fmt: skip
    # Buckets are verified many to a group (band hashes are uniform, so ``bid`` modulo the
    # group count spreads them evenly): one pandas frame per bucket would cost more than
    # the verification itself.
    ver = (
        small.join(docs, _IX)
        .groupBy(F.pmod("bid", F.lit(4 * n_parts)).alias("_ad_group"))
        .applyInPandas(bucket_pairs, StructType(out_fields))
    )
    if n_giant:
        from pyspark.sql import Window

        verify_udf = F.pandas_udf(verify_fn(cfg.verifier, prune=prune, cpus=cpus), "double")
        members = (
            buckets.where(F.col("giant"))
            .select(F.col("bid").alias("bh"), F.explode("m").alias(_IX))
            .join(docs.select(_IX, _ID, *keys), _IX)
        )
        first_in_bucket = F.row_number().over(Window.partitionBy("bh").orderBy(*keys))
        heads = (
            members.withColumn("r", first_in_bucket)
            .where(F.col("r") <= F.lit(GIANT_HEADS))
            .select("bh", F.col(_ID).alias("h"))
        )
        giant = (
            members.select("bh", F.col(_ID).alias("x"))
            .join(heads, "bh")
            .where(F.col("x") != F.col("h"))
            .select(F.least("x", "h").alias("a"), F.greatest("x", "h").alias("b"))
            .distinct()
        )

        def one_side(x: str) -> DataFrame:
            """Each document as side ``x`` of a pair: id, keys, shingles (and facts)."""
            cols = [F.col(_ID).alias(x), *(F.col(k).alias(f"{x}{k}") for k in keys)]
            cols.append(F.col(_SH).alias(f"s{x}"))
            if facts:
                cols.append(F.col(_FA).alias(f"f{x}"))
            return docs.select(*cols)

        scored = ["sa", "sb", "fa", "fb"] if facts else ["sa", "sb"]
        gver = (
            giant.join(one_side("a"), "a")
            .join(one_side("b"), "b")
            .withColumn(_SIM, verify_udf(*scored))
            .where(F.col(_SIM) > F.lit(REJECTED))
            .select(*(f.name for f in out_fields))
        )
        ver = ver.unionByName(gver)
    a_first = F.struct(*(F.col(f"a{k}") for k in keys)) < F.struct(*(F.col(f"b{k}") for k in keys))

    def pick(when_a: str, when_b: str) -> Any:
        return F.when(a_first, F.col(when_a)).otherwise(F.col(when_b))

    edges = ver.select(
        pick("a", "b").alias(_FIRST),
        pick("b", "a").alias(_LATER),
        *(pick(f"a{k}", f"b{k}").alias(f"f{k}") for k in keys),
        *(pick(f"b{k}", f"a{k}").alias(f"l{k}") for k in keys),
        _SIM,
    ).dropDuplicates([_FIRST, _LATER])
    return _materialize(edges)


def _clusters(
    edges: DataFrame,
    keys: list[str],
    F: Any,
    on_round: Callable[[int, int], None] | None,
    sc: Any,
) -> DataFrame:
    """Each not-kept document's representative and similarity (columns ``_LATER, _V, _SIM``),
    as ``star_clusters`` decides on the verified pairs ``edges``.

    While more than ``LOCAL_PAIRS`` pairs are undecided, rounds of joins decide part of them
    (see :func:`_round`); the rest, a bounded table, is decided in one ``applyInPandas`` task
    by the sequential visit (``udfs.local_stars_fn``): usually all of them, in one job.
    """
    from pyspark.sql.types import DoubleType, StructField, StructType

    from .udfs import local_stars_fn

    id_type = {f.name: f.dataType for f in edges.schema.fields}[_FIRST]
    active = edges
    parts: list[DataFrame] = []
    rnd = 0
    while True:
        n_active = active.count()
        if n_active == 0:
            local = None
            break
        rnd += 1
        if on_round is not None:
            on_round(rnd, n_active)
        sc.setJobDescription(f"{STAGE_PREFIX}round {rnd}")
        if n_active <= LOCAL_PAIRS:
            stars = local_stars_fn(
                _FIRST,
                _LATER,
                [f"f{k}" for k in keys],
                [f"l{k}" for k in keys],
                _SIM,
                (_LATER, _V, _SIM),
            )
            schema = StructType(
                [
                    StructField(_LATER, id_type),
                    StructField(_V, id_type),
                    StructField(_SIM, DoubleType()),
                ]
            )
            local = _materialize(
                active.withColumn("_ad_all", F.lit(0))
                .groupBy("_ad_all")
                .applyInPandas(stars, schema)
            )
            break
        dropped, active = _round(active, F)
        parts.append(dropped)
    if not parts:
        if local is not None:
            return local
        return edges.select(F.col(_LATER), F.col(_FIRST).alias(_V), F.col(_SIM)).limit(0)
    sc.setJobDescription(f"{STAGE_PREFIX}assign")
    nonrep = parts[0]
    for p in parts[1:]:
        nonrep = nonrep.unionByName(p)
    if local is not None:
        nonrep = nonrep.unionByName(local.select(F.col(_LATER).alias(_V)))
    return _materialize(_assign(edges, nonrep, keys, F))


def _round(active: DataFrame, F: Any) -> tuple[DataFrame, DataFrame]:
    """One round of ``star_clusters`` in joins: (documents found not kept, pairs still active).

    Sequentially, a document is kept iff none of its earlier verified neighbours is kept: the
    lexicographically-first maximal independent set in keep order. In a round:

    * a document with active pairs to later ones but none from earlier ones is kept (every
      earlier neighbour is already known not to be kept);
    * every later neighbour of such a document is not kept;
    * pairs touching a not-kept document are dropped: they can no longer decide anything.

    The earliest document with an active pair always qualifies, so each round removes pairs.
    Documents left without pairs are kept: all their earlier neighbours were not. Each
    round is checkpointed so plans and lineage stay one round long.
    """
    firsts = active.select(F.col(_FIRST).alias(_V)).distinct()
    laters = active.select(F.col(_LATER).alias(_V)).distinct()
    kept = firsts.join(laters, _V, "left_anti")
    dropped = _materialize(
        active.join(kept.withColumnRenamed(_V, _FIRST), _FIRST, "left_semi")
        .select(F.col(_LATER).alias(_V))
        .distinct()
    )
    rest = _materialize(
        active.join(dropped.withColumnRenamed(_V, _LATER), _LATER, "left_anti").join(
            dropped.withColumnRenamed(_V, _FIRST), _FIRST, "left_anti"
        )
    )
    return dropped, rest


def _assign(edges: DataFrame, nonrep: DataFrame, keys: list[str], F: Any) -> DataFrame:
    """Each not-kept document's representative: its most similar kept earlier neighbour, ties
    to the earliest (``star_clusters``' visiting order). Columns ``_LATER, _V, _SIM``."""
    first_key = F.struct(*(F.col(f"f{k}") for k in keys)).alias("k")
    best = (
        edges.join(nonrep.withColumnRenamed(_V, _LATER), _LATER, "left_semi")
        .join(nonrep.withColumnRenamed(_V, _FIRST), _FIRST, "left_anti")
        .groupBy(_LATER)
        .agg(F.min(F.struct((-F.col(_SIM)).alias("ns"), first_key, _FIRST)).alias("b"))
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
