"""The per-batch work behind :mod:`arabic_dedup.spark`, as plain pandas -> pandas functions.

Nothing here imports pyspark: these are the single-machine stages (:class:`MinHasher`,
:func:`band_hashes`, :class:`Verifier`, :func:`drop_common`) applied to one Arrow batch or one
group of rows, so the Spark executor only decides where they run. Each factory returns a
closure over (picklable, frozen) configuration; :mod:`arabic_dedup.spark` wraps it in
``pandas_udf``, ``mapInPandas`` or ``applyInPandas``. Those that run compiled kernels take
``cpus``, the cores a Spark task owns (``spark.task.cpus``): their kernels use that many
threads, not the machine's, since the executor runs other tasks on the other cores.

A shingle set travels as one ``binary`` value: its sorted distinct 32-bit hashes, little-endian
``uint32`` bytes (4 bytes a shingle; an Arrow ``binary`` is one buffer, where ``array<int>``
is converted element by element). 64-bit band hashes travel as ``bigint``, bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import NDArray

from .._boilerplate import CorpusStats
from .._config import DedupConfig
from .._engine import use_threads
from .._errors import InputError
from .._lsh import band_hashes, in_buckets
from .._shingle import ShingleSets
from .._verify import Verifier

__all__ = [
    "CELL_BITS",
    "arrow_sets",
    "band_rows_fn",
    "bucket_verify_fn",
    "buckets_fn",
    "cell_counts_fn",
    "hot_cells_fn",
    "hot_counts_fn",
    "local_stars_fn",
    "shingle_fn",
    "to_bytes",
    "to_sets",
    "verify_fn",
]

_U32 = np.dtype("<u4")

# Document frequencies are first counted per cell of 2**CELL_BITS (the top bits of a hash),
# then exactly for the hashes of cells above the limit only: a hash in more than ``limit``
# documents lies in a cell counted more than ``limit`` times, so no common shingle is missed,
# and a partition ships at most 2**CELL_BITS counts instead of one row per shingle.
CELL_BITS = 20
CELL_SLICES = 16  # cell counts travel as this many rows per partition


def to_sets(blobs: Sequence[bytes] | pd.Series) -> ShingleSets:
    """Shingle sets from their ``binary`` values (one ``uint32`` buffer, no per-set copy)."""
    values = list(blobs)
    sizes = np.fromiter((len(b) // 4 for b in values), dtype=np.int64, count=len(values))
    # bytearray: a writable buffer, so the kernels get an ordinary array.
    hashes = np.frombuffer(bytearray().join(values), dtype=_U32).astype(np.uint32, copy=False)
    return ShingleSets.from_sizes(hashes, sizes)


def to_bytes(sets: ShingleSets) -> list[bytes]:
    """Each set of ``sets`` as its ``binary`` value."""
    raw = np.ascontiguousarray(sets.hashes, dtype=_U32).tobytes()
    off = (sets.offsets * 4).tolist()
    return [raw[off[i] : off[i + 1]] for i in range(len(sets))]


def arrow_sets(blobs: pa.Array | pa.ChunkedArray) -> ShingleSets:
    """Shingle sets from an Arrow ``binary`` column, read from its buffers (no Python object
    per set): what ``mapInArrow`` stages get."""
    if isinstance(blobs, pa.ChunkedArray):
        blobs = pa.concat_arrays(blobs.chunks) if blobs.num_chunks else pa.array([], pa.binary())
    n = len(blobs)
    if n == 0:
        return ShingleSets(np.zeros(0, np.uint32), np.zeros(1, np.int64))
    _, off_buf, data_buf = blobs.buffers()
    off = np.frombuffer(off_buf, dtype=np.int32)[blobs.offset : blobs.offset + n + 1]
    start, stop = int(off[0]), int(off[-1])
    hashes = np.frombuffer(data_buf, dtype=np.uint8)[start:stop].copy().view(_U32)
    offsets = (off.astype(np.int64) - start) // 4
    return ShingleSets(hashes.astype(np.uint32, copy=False), offsets)


def _pruned(sets: ShingleSets, stats: CorpusStats | None) -> ShingleSets:
    """``sets`` without the corpus's common shingles (the ``max_df`` pass's ``stats``; None:
    nothing is common)."""
    return sets if stats is None else stats.filter(sets)


def shingle_fn(
    cfg: DedupConfig, text_col: str, *, cpus: int = 1
) -> Callable[[pd.Series, pd.Series], pd.Series] | Callable[[pd.Series, pd.Series], pd.DataFrame]:
    """ids, texts -> each text's sorted distinct shingle hashes (``MinHasher.shingle_sets``);
    with the fact check on (``cfg.facts``), a frame of two ``binary`` columns: ``s``, the
    shingle hashes, and ``f``, the fact fingerprints (``MinHasher.shingle_fact_sets``, one
    walk over each text). Two closures, each with exact type hints: ``pandas_udf`` reads them
    to choose the kind of UDF."""

    def checked(ids: pd.Series, texts: pd.Series) -> list[str]:
        use_threads(cpus)
        # A null would be silently hashed as "None" or crash deep in the kernel: name it instead.
        bad = ids.isna().to_numpy() | texts.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            key = ids.iloc[i]
            key = key.item() if isinstance(key, np.generic) else key
            what = "id" if pd.isna(key) else f"{text_col!r} of id {key!r}"
            raise InputError(
                f"{what} is null; every row needs an id and a str text "
                f"(filter or fill nulls first, e.g. df.na.fill({{{text_col!r}: ''}}))"
            )
        return texts.tolist()  # type: ignore[no-any-return]

    def shingles(ids: pd.Series, texts: pd.Series) -> pd.Series:
        sets = cfg.hasher().shingle_sets(checked(ids, texts))
        return pd.Series(to_bytes(sets), index=texts.index, dtype=object)

    def shingles_and_facts(ids: pd.Series, texts: pd.Series) -> pd.DataFrame:
        sets, fsets = cfg.hasher().shingle_fact_sets(checked(ids, texts))
        return pd.DataFrame({"s": to_bytes(sets), "f": to_bytes(fsets)}, index=texts.index)

    return shingles if cfg.fact_rule is None else shingles_and_facts


def _cells(hashes: NDArray[np.uint32], bits: int) -> NDArray[np.int64]:
    return (hashes >> np.uint32(32 - bits)).astype(np.int64)


def cell_counts_fn(sh_col: str) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """A partition's shingle sets (``mapInArrow``) -> its occurrence counts per cell, as
    ``CELL_SLICES`` rows (``slice``, ``counts``: that slice's cells as ``int64`` bytes). A few
    large rows, not a row per cell: Spark moves a row at a time, so a million small rows cost
    seconds."""

    def cell_counts(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        counts = np.zeros(1 << CELL_BITS, dtype=np.int64)
        for batch in batches:
            sets = arrow_sets(batch.column(sh_col))
            counts += np.bincount(_cells(sets.hashes, CELL_BITS), minlength=counts.size)
        parts = counts.reshape(CELL_SLICES, -1)
        yield pa.RecordBatch.from_pydict(
            {
                "slice": pa.array(np.arange(CELL_SLICES, dtype=np.int32)),
                "counts": pa.array([p.tobytes() for p in parts], pa.binary()),
            }
        )

    return cell_counts


def hot_cells_fn(limit: float) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Every partition's counts of one slice -> the cells of that slice counted more than
    ``limit`` times in all (column ``cell``)."""

    def hot_cells(pdf: pd.DataFrame) -> pd.DataFrame:
        total = np.zeros((1 << CELL_BITS) // CELL_SLICES, dtype=np.int64)
        for blob in pdf["counts"].tolist():
            total += np.frombuffer(blob, dtype=np.int64)
        first = int(pdf["slice"].iloc[0]) * total.size
        cells = np.flatnonzero(total > limit) + first
        return pd.DataFrame({"cell": cells.astype(np.int32)})

    return hot_cells


def hot_counts_fn(
    sh_col: str, hot: NDArray[np.int64]
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """A partition's shingle arrays (``mapInArrow``) -> exact document frequency (columns
    ``h``, ``c``) of each of its hashes lying in a ``hot`` cell (sorted)."""

    def hot_counts(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        found: list[NDArray[np.uint32]] = []
        for batch in batches:
            h = arrow_sets(batch.column(sh_col)).hashes
            cell = _cells(h, CELL_BITS)
            at = np.minimum(np.searchsorted(hot, cell), max(hot.size - 1, 0))
            if hot.size:
                found.append(h[hot[at] == cell])
        s = np.sort(np.concatenate(found)) if found else np.zeros(0, dtype=np.uint32)
        starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]]) if s.size else np.zeros(0, int)
        counts = np.diff(np.r_[starts, s.size])
        yield pa.RecordBatch.from_pydict(
            {"h": pa.array(s[starts].view(np.int32)), "c": pa.array(counts.astype(np.int64))}
        )

    return hot_counts


def band_rows_fn(
    cfg: DedupConfig, ix_col: str, sh_col: str, *, prune: CorpusStats | None = None, cpus: int = 1
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """documents (``mapInArrow``: internal index, shingles) -> one row (``bh``, index) per band
    of every document with shingles after ``prune``; as on one machine, empty sets take part
    in no bucket."""
    bands, rows = cfg.banding()

    def band_rows(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        use_threads(cpus)
        hasher = cfg.hasher()
        for batch in batches:
            sets = _pruned(arrow_sets(batch.column(sh_col)), prune)
            filed = np.flatnonzero(in_buckets(sets.sizes()))
            if filed.size < len(sets):
                sets = ShingleSets.from_arrays(sets[int(i)] for i in filed)
            bh = band_hashes(hasher.signatures_from_sets(sets), bands, rows).view(np.int64)
            ix = batch.column(ix_col).to_numpy()[filed]
            yield pa.RecordBatch.from_pydict(
                {"bh": pa.array(bh.ravel()), ix_col: pa.array(np.repeat(ix, bands))}
            )

    return band_rows


def buckets_fn(
    ix_col: str, giant: int
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """All the band rows (``bh``, index) of some band hashes (``mapInArrow`` after a
    repartition by ``bh``) -> one row per bucket of two or more documents: ``bid`` (its band
    hash), ``giant`` (more than ``giant`` members) and ``m``, its members' indexes in
    ascending order. The grouping is one numpy sort: Spark's ``collect_list`` aggregation
    falls back to sorting rows one object at a time once a task sees many keys."""

    def buckets(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        got = [(b.column("bh").to_numpy(), b.column(ix_col).to_numpy()) for b in batches]
        bh = np.concatenate([g[0] for g in got]) if got else np.zeros(0, np.int64)
        ix = np.concatenate([g[1] for g in got]) if got else np.zeros(0, np.int64)
        del got
        by = np.lexsort((ix, bh))
        bh, ix = bh[by], ix[by]
        starts = np.flatnonzero(np.r_[True, bh[1:] != bh[:-1]]) if bh.size else np.zeros(0, int)
        sizes = np.diff(np.r_[starts, bh.size])
        shared = sizes > 1
        member = np.repeat(shared, sizes)
        starts, sizes = starts[shared], sizes[shared]
        offsets = np.zeros(sizes.size + 1, dtype=np.int32)
        np.cumsum(sizes, out=offsets[1:])
        yield pa.RecordBatch.from_pydict(
            {
                "bid": pa.array(bh[starts]),
                "giant": pa.array(sizes > giant),
                "m": pa.ListArray.from_arrays(pa.array(offsets), pa.array(ix[member])),
            }
        )

    return buckets


def bucket_verify_fn(
    verifier: Verifier,
    bucket_col: str,
    id_col: str,
    sh_col: str,
    key_cols: Sequence[str],
    sim_col: str,
    *,
    prune: CorpusStats | None = None,
    cpus: int = 1,
    fact_col: str | None = None,
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Members (bucket, id, keys, shingles) of one or more buckets -> every verified pair
    within a bucket: columns ``a``, ``b`` (ids), ``a<key>``, ``b<key>`` and ``sim_col``, in no
    particular orientation. Many buckets share one call (a pandas frame costs milliseconds,
    most buckets hold two documents); their pairs are listed per bucket size, vectorised.
    The rows carry full shingle sets: ``prune`` filters them, and the verifier's boilerplate
    rescue scores the pairs it asks about on the full sets, as on one machine. ``fact_col``:
    the members' fact fingerprints, for a verifier with the fact check (``Verifier.facts``)."""

    def verify(pdf: pd.DataFrame) -> pd.DataFrame:
        use_threads(cpus)
        pdf = pdf.sort_values(bucket_col, kind="stable")
        bucket = pdf[bucket_col].to_numpy()
        m = bucket.size
        starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]]) if m else np.zeros(0, int)
        sizes = np.diff(np.r_[starts, m])
        chunks = [np.zeros((0, 2), dtype=np.int64)]
        for size in np.unique(sizes[sizes > 1]).tolist():
            first = starts[sizes == size][:, None]
            ii, jj = np.triu_indices(size, k=1)
            chunks.append(np.stack([(first + ii).ravel(), (first + jj).ravel()], axis=1))
        pairs = np.concatenate(chunks).astype(np.int64)
        full = to_sets(pdf[sh_col])
        facts = None if fact_col is None else to_sets(pdf[fact_col])
        # The boilerplate rescue scores on the full sets these rows carry.
        rescue = None if prune is None else lambda at: verifier.scores(full, pairs[at])
        sims, ok, _, _ = verifier.verify(_pruned(full, prune), pairs, facts, rescue)
        a, b = pairs[ok, 0], pairs[ok, 1]
        ids = pdf[id_col].to_numpy()
        out = {"a": ids[a], "b": ids[b]}
        for k in key_cols:
            col = pdf[k].to_numpy()
            out[f"a{k}"], out[f"b{k}"] = col[a], col[b]
        out[sim_col] = sims[ok]
        return pd.DataFrame(out)

    return verify


# What ``verify_fn`` gives a pair the verifier rejects (similarities are never negative).
REJECTED = -1.0


def verify_fn(
    verifier: Verifier, *, prune: CorpusStats | None = None, cpus: int = 1
) -> Callable[..., pd.Series]:
    """two shingle columns (and, for a verifier with the fact check, two fact fingerprint
    columns after them) -> each row's exact similarity if ``verifier`` accepts the pair, else
    REJECTED: the same decision as on one machine (inside giant buckets the threshold and the
    fact check decide, without the boilerplate rescue, as there)."""

    def verify(a: pd.Series, b: pd.Series, *fact_cols: pd.Series) -> pd.Series:
        use_threads(cpus)
        m = len(a)
        sets = _pruned(to_sets([*a.tolist(), *b.tolist()]), prune)
        facts = None
        if fact_cols:
            fa, fb = fact_cols
            facts = to_sets([*fa.tolist(), *fb.tolist()])
        idx = np.arange(m, dtype=np.int64)
        sims, ok = verifier(sets, np.stack([idx, idx + m], axis=1), facts)
        return pd.Series(np.where(ok, sims, REJECTED), index=a.index)

    return verify


def local_stars_fn(
    first: str,
    later: str,
    fkeys: Sequence[str],
    lkeys: Sequence[str],
    sim: str,
    out: tuple[str, str, str],
) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """All the remaining verified pairs, oriented (first, later) in keep order, each with both
    documents' keys -> ``star_clusters``' decision for every later document that is not kept:
    columns ``out``: the document, its representative and its similarity to it.

    The sequential visit: documents in keep order, one kept iff none of its earlier neighbours
    is kept (pairs sorted by their later document: a first's own pairs, where it is later,
    all come before); a document not kept joins its most similar kept earlier neighbour, ties
    to the earliest in keep order.
    """

    def stars(pdf: pd.DataFrame) -> pd.DataFrame:
        n_keys = len(fkeys)
        nodes = pd.concat(
            [
                pd.DataFrame({"id": pdf[first], **{f"k{i}": pdf[c] for i, c in enumerate(fkeys)}}),
                pd.DataFrame({"id": pdf[later], **{f"k{i}": pdf[c] for i, c in enumerate(lkeys)}}),
            ],
            ignore_index=True,
        ).drop_duplicates("id")
        # The key ends with the id, so the order is total; Python's order of str (code
        # points) is Spark's (UTF-8 bytes), of numbers and dates the same.
        nodes = nodes.sort_values([f"k{i}" for i in range(n_keys)], kind="stable")
        index = pd.Index(nodes["id"])
        rf = index.get_indexer(pdf[first])
        rl = index.get_indexer(pdf[later])
        sims = pdf[sim].to_numpy(dtype=np.float64)
        by = np.lexsort((rf, -sims, rl))
        rf, rl, sims = rf[by], rl[by], sims[by]
        kept = np.ones(len(index), dtype=bool)
        rep = np.full(len(index), -1, dtype=np.int64)
        rep_sim = np.zeros(len(index), dtype=np.float64)
        for t, (f, g) in enumerate(zip(rf.tolist(), rl.tolist(), strict=True)):
            if kept[f] and rep[g] < 0:
                kept[g] = False
                rep[g] = f
                rep_sim[g] = sims[t]
        dup = np.flatnonzero(~kept)
        ids = nodes["id"].to_numpy()
        return pd.DataFrame(dict(zip(out, (ids[dup], ids[rep[dup]], rep_sim[dup]), strict=True)))

    return stars
