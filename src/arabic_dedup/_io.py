"""Files in, files out: deduplicate corpora larger than memory (the engine behind the CLI).

Two passes over the input. Pass 1 streams the records, computes their shingle sets in batches
and keeps only compact data per record (shingle hashes, id, text length, line number); the
texts themselves are dropped batch by batch. The detector's stages then run on the shingle
sets exactly as :func:`find_duplicates` runs them. Pass 2 re-reads the input in the same order
and writes every record to ``unique`` or ``duplicates`` (``.jsonl``, or the inputs' format:
``formats.output_format``); ``clusters.jsonl`` is written from the per-record arrays
(:mod:`._clusters_out`).

Reading is :mod:`.formats` (one reader per format); the atomic replacement of the output
directory is :mod:`._atomic`. Texts reach the detector exactly as read: a lone surrogate is a
code point like any other.
"""

from __future__ import annotations

import os
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ._atomic import (
    CLUSTERS_FILE,
    HTML_FILE,
    OUTPUT_FILES,
    STATS_FILE,
    prepare_output,
    temporary_output,
)
from ._boilerplate import CorpusStats
from ._cluster import cluster_sizes
from ._clusters_out import cluster_counts, cluster_fields, write_clusters
from ._config import DedupConfig
from ._dedup import detect, sets_source, shingle_batch
from ._errors import ConfigError, OutputDirError, RecordError
from ._interrupt import check
from ._keep import FieldCollector, KeepFields, KeepPolicy, KeepRule, keep_order
from ._memory import DEFAULT_MEMORY_LIMIT, MemoryLimit, MemoryPlan, Pass1Sink, SpillDir
from ._minhash import MinHasher
from ._report_html import ReportBuilder
from ._shingle import ShingleSets
from ._sources import SpilledSets
from .formats import (
    FORMATS,
    RECORD_OUTPUTS,
    WRITERS,
    BadRecord,
    Reader,
    Record,
    Source,
    output_path,
    write_json,
)
from .formats import output_format as choose_output_format
from .formats.audit import InputAudit

__all__ = [
    "FORMATS",
    "OUTPUT_FILES",
    "BadRecord",
    "OutputDirError",
    "Record",
    "RecordError",
    "Source",
    "dedup_files",
    "run_stages",
]

OnError = Literal["fail", "skip"]
#: stage name, work done, work total (bytes while reading; 0/1 for the other stages).
ProgressFn = Callable[[str, int, int], None]

# Shingle sets are computed this many texts (or characters) at a time, so pass 1 holds at most
# one batch of texts in memory.
BATCH_TEXTS = 10_000
READ_BATCH_CHARS = 16_000_000


# -- the detector on precomputed shingle sets --------------------------------------------------


@dataclass
class StageResult:
    representative: NDArray[np.int64]
    similarity: NDArray[np.float64]
    n_pairs: int
    params: dict[str, Any]
    stats: CorpusStats | None
    kinds: NDArray[np.int8]  # _cluster.match_kinds of every record


def run_stages(
    sets: list[ShingleSets] | SpilledSets,
    lengths: NDArray[np.int64],
    *,
    config: DedupConfig,
    hasher: MinHasher,
    keep: KeepPolicy | KeepRule,
    timings: dict[str, float],
    progress: ProgressFn | None = None,
    html: ReportBuilder | None = None,
    facts: ShingleSets | None = None,
) -> StageResult:
    """``find_duplicates``'s stages after shingling, on precomputed shingle sets: the same
    :func:`arabic_dedup._dedup.detect` that ``find_duplicates`` runs, plus timings/progress
    (and, given ``html``, what the review page needs from the verify stage). ``sets``: the
    sets handed over in a one-element list (emptied), or spilled to disk."""
    order = keep_order(lengths, keep)

    def on_stage(name: str, finished: bool) -> None:
        check()
        if progress:
            progress(name, int(finished), 1)

    on_verify = html.on_verify if html else None
    det = detect(
        sets, order, config=config, hasher=hasher, on_stage=on_stage, on_verify=on_verify,
        facts=facts,
    )  # fmt: skip
    if html:
        html.add_joined(det.pair_similarity)
    timings.update(det.timings)
    cl = det.clusters
    params = {**det.params, "keep": keep.describe() if isinstance(keep, KeepRule) else keep}
    return StageResult(
        cl.representative, cl.similarity, len(det.pairs), params, det.stats, det.kinds
    )


# -- the steps of a run ------------------------------------------------------------------------


@dataclass
class _Run:
    """What the steps share: the inputs, how to read them, and what pass 1 kept."""

    sources: Sequence[Source]
    text_field: str
    id_field: str
    on_error: OnError
    progress: ProgressFn | None
    batch_texts: int
    total_bytes: int = 0
    stats: list[tuple[int, int]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    ids: list[Any] = field(default_factory=list)
    # 8 bytes a record, not a Python int each (5M records: 80 MB, not 360 MB)
    lines: array[int] = field(default_factory=lambda: array("q"))
    lengths: array[int] = field(default_factory=lambda: array("q"))
    per_source: list[int] = field(default_factory=list)  # good records per source
    errors: list[BadRecord] = field(default_factory=list)
    errors_per_source: list[int] = field(default_factory=list)
    keep_values: FieldCollector | None = None  # the --keep-by / --prefer values, if asked
    audit: InputAudit = field(default_factory=lambda: InputAudit("id"))
    source_field: str | None = None  # each output record gets this field: its input's name
    output_format: str = "jsonl"  # of unique/duplicates (formats.WRITERS)
    cluster_fields: bool = False  # kept records get cluster_id / cluster_size
    spill: dict[str, Any] = field(default_factory=dict)  # SpillDir.report of the run

    def reader(self, s: Source) -> Reader:
        prefix = s.name if len(self.sources) > 1 else None
        return s.reader(text_field=self.text_field, id_field=self.id_field, id_prefix=prefix)

    def report_progress(self, stage: str, done: int) -> None:
        if self.progress:
            self.progress(stage, done, self.total_bytes)


def _check_arguments(sources: Sequence[Source], keep: str | KeepFields, on_error: str) -> None:
    if not isinstance(keep, KeepFields) and keep not in ("first", "longest"):
        raise ConfigError(f"keep must be 'first', 'longest' or a KeepFields, got {keep!r}")
    if on_error not in ("fail", "skip"):
        raise ConfigError(f"on_error must be 'fail' or 'skip', got {on_error!r}")
    if not sources:
        raise ConfigError("give at least one input")


def _pass1_shingle_sets(run: _Run, hasher: MinHasher, sink: Pass1Sink) -> None:
    """Read every record; keep ids, lines and lengths, and put the shingle sets (and fact
    fingerprints) into ``sink``, batch by batch; never the texts."""
    t0 = time.perf_counter()
    batch: list[str] = []
    batch_chars = 0

    def flush() -> None:
        nonlocal batch, batch_chars
        if batch:
            free = shingle_batch(hasher, batch, sink)
            first = len(run.ids) - len(batch)
            for j in free.tolist():
                run.audit.add_wordless(batch[j], run.ids[first + j])
            batch, batch_chars = [], 0
        check()

    done_bytes = 0
    for s in run.sources:
        r = run.reader(s)
        good = bad = 0
        for item in r:
            if isinstance(item, BadRecord):
                if run.on_error == "fail":
                    raise RecordError(item.file, item.line, item.reason, unit=s.unit)
                run.errors.append(item)
                bad += 1
                continue
            _collect_keep_values(run, s, item)
            good += 1
            run.audit.add(item, r.file, s.unit)
            run.ids.append(item.id)
            run.lines.append(item.line)
            run.lengths.append(len(item.text))
            batch.append(item.text)
            batch_chars += len(item.text)
            if len(batch) >= run.batch_texts or batch_chars >= READ_BATCH_CHARS:
                flush()
                run.report_progress("reading", done_bytes + r.bytes_read)
        flush()
        done_bytes += r.bytes_read
        run.report_progress("reading", done_bytes)
        run.per_source.append(good)
        run.errors_per_source.append(bad)
        run.audit.end_input(r.file, good + bad, folder=s.path.is_dir())
    run.timings["read_and_shingle"] = round(time.perf_counter() - t0, 6)


def _keep_rule(run: _Run, keep: KeepPolicy | KeepFields) -> KeepPolicy | KeepRule:
    """What ``keep_order`` sorts by: the policy, or the rule of the values pass 1 collected."""
    if isinstance(keep, KeepFields):
        return (run.keep_values or keep.collector()).rule()  # pass 1 filled run.keep_values
    return keep


def _collect_keep_values(run: _Run, s: Source, item: Record) -> None:
    if run.keep_values is not None:
        why = run.keep_values.add(item.fields)
        if why is not None:
            raise RecordError(str(s.path), item.line, f"record {item.id!r}: {why}", unit=s.unit)


def _pass2_write(
    run: _Run,
    res: StageResult,
    tmp: Path,
    collect: Callable[[int, str], None] | None = None,
) -> tuple[int, int]:
    """Re-read the inputs in the same order; write every good record to one of the outputs
    (kept records with ``cluster_id`` / ``cluster_size`` if asked) and hand each record's
    index and text to ``collect`` (the review page). Returns (unique, duplicates) written."""
    t0 = time.perf_counter()
    n = len(run.ids)
    rep = res.representative
    is_kept = rep == np.arange(n)
    sizes = cluster_sizes(rep) if run.cluster_fields else None
    n_unique = n_dup = idx = done_bytes = 0
    writer = WRITERS[run.output_format]
    paths = [output_path(tmp, o, run.output_format) for o in RECORD_OUTPUTS]
    with writer(paths[0]) as fu, writer(paths[1]) as fd:
        for s, before in zip(run.sources, run.stats, strict=True):
            r = run.reader(s)
            for item in r:
                if isinstance(item, BadRecord):
                    continue
                if idx >= n or item.line != run.lines[idx]:
                    raise RecordError(s.name, 0, "the input changed during the run")
                extra = {run.source_field: s.name} if run.source_field else None
                # A value the output format cannot hold fails with the record's own input
                # place (RowWriter.refuse), also from a buffered batch written later.
                if is_kept[idx]:
                    fields = None if sizes is None else cluster_fields(item.id, sizes[idx])
                    if extra:
                        fields = {**extra, **(fields or {})}
                    fu.unique(item, fields)
                    n_unique += 1
                else:
                    dup_of = run.ids[int(rep[idx])]
                    fd.duplicate(item, dup_of, float(res.similarity[idx]), extra)
                    n_dup += 1
                if collect:
                    collect(idx, item.text)
                idx += 1
                if idx % run.batch_texts == 0:
                    run.report_progress("writing", done_bytes + r.bytes_read)
            done_bytes += r.bytes_read
            if s.stat() != before:
                raise RecordError(s.name, 0, "the input changed during the run")
        if idx != n:
            raise RecordError(run.sources[-1].name, 0, "the input changed during the run")
    run.report_progress("writing", run.total_bytes)
    run.timings["write"] = round(time.perf_counter() - t0, 6)
    return n_unique, n_dup


def _report(
    run: _Run, res: StageResult, written: tuple[int, int], keep: str | KeepFields
) -> dict[str, Any]:
    n = len(run.ids)
    n_errors = len(run.errors)
    return {
        "counts": {
            "records_read": n + n_errors,
            "unique": written[0],
            "duplicates": written[1],
            "errors": n_errors,
            **cluster_counts(res.representative, res.kinds),
            "verified_pairs": res.n_pairs,
        },
        "inputs": [
            {
                "path": s.name,
                "format": s.format,
                "compressed": s.compressed,
                "records": good + bad,
                "errors": bad,
            }
            for s, good, bad in zip(run.sources, run.per_source, run.errors_per_source, strict=True)
        ],
        "parameters": {
            "text_field": run.text_field,
            "id_field": run.id_field,
            "on_error": run.on_error,
            "keep": keep.describe() if isinstance(keep, KeepFields) else keep,
            "cluster_fields": run.cluster_fields,
            "source_field": run.source_field,
            "output_format": run.output_format,
            "dedup": res.params,
        },
        "versions": _versions(),
        "timings_seconds": run.timings,
        "spill": run.spill,
        "errors": [{"file": e.file, "line": e.line, "reason": e.reason} for e in run.errors],
        "input_checks": run.audit.report(),
        "warnings": run.audit.warnings(),
    }


def _versions() -> dict[str, str]:
    import platform

    from . import __version__
    from ._engine import impl
    from ._normalize import NORMALIZER_VERSION

    return {
        "arabic_dedup": __version__,
        "normalizer": NORMALIZER_VERSION,
        "impl": impl(),
        "python": platform.python_version(),
        "numpy": np.__version__,
    }


def _write_html(
    page: ReportBuilder,
    path: Path,
    report: dict[str, Any],
    run: _Run,
    config: DedupConfig,
    stats: CorpusStats | None,
) -> None:
    t0 = time.perf_counter()
    page.write(path, report, run.ids, config, stats)
    run.timings["html_report"] = round(time.perf_counter() - t0, 6)  # report["timings_seconds"]
    run.timings["total"] = round(run.timings["total"] + run.timings["html_report"], 6)


# -- the whole run -----------------------------------------------------------------------------


def dedup_files(
    sources: Sequence[Source],
    out_dir: str | os.PathLike[str] | None,
    *,
    config: DedupConfig | None = None,
    keep: KeepPolicy | KeepFields = "first",
    text_field: str = "text",
    id_field: str = "id",
    on_error: OnError = "fail",
    progress: ProgressFn | None = None,
    batch_texts: int = BATCH_TEXTS,
    with_cluster_fields: bool = False,
    require_id: bool = False,
    source_field: str | None = None,
    html: bool = True,
    output_format: str | None = None,
    memory_limit: MemoryLimit | MemoryPlan = DEFAULT_MEMORY_LIMIT,
    tmp_dir: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Deduplicate the records of ``sources`` into ``out_dir``; returns the report.

    Writes ``unique.jsonl``, ``duplicates.jsonl``, ``clusters.jsonl`` and ``report.json`` (the
    returned dict) atomically; the first two in ``output_format`` (``jsonl``, ``csv``, ``tsv``,
    ``parquet``) if given, else in the inputs' format (:func:`.formats.output_format`: JSON
    Lines for .txt and mixed inputs), named by it (``unique.csv``): ``out_dir`` is replaced
    only when everything is written.
    ``out_dir`` must be new, empty, or an earlier output of this function, and hold no input.
    Bad records raise :class:`RecordError` (``on_error="fail"``) or are listed in the report
    (``"skip"``). ``keep`` is a policy or a :class:`KeepFields` rule read from the records'
    fields (``--keep earliest --keep-by date``, ``--prefer-field``). ``with_cluster_fields``
    adds ``cluster_id`` and ``cluster_size`` to the kept records (``--cluster-fields``).
    What would surprise but is no error (empty texts, repeated or missing ids, empty inputs)
    is in the report's ``input_checks`` and ``warnings``; with ``require_id``, no record
    holding ``id_field`` raises :class:`ConfigError` (see :mod:`.formats.audit`).
    ``source_field`` adds that field, the input's name, to every output record (a record that
    already has it raises :class:`ConfigError`). ``out_dir=None`` is a dry run: the same
    detection and report, nothing written (the counts say what a real run would write).
    With ``html``, the review page ``report.html`` (:mod:`._report_html`) is written too.
    ``memory_limit`` and ``tmp_dir``: as in :func:`arabic_dedup.find_duplicates` (over the
    limit the shingle sets spill to ``tmp_dir``; the report's ``spill`` says how much).
    """
    cfg = config or DedupConfig()
    _check_arguments(sources, keep, on_error)
    fmt = choose_output_format(sources, output_format)
    out = None if out_dir is None else prepare_output(out_dir, [s.path for s in sources])
    t_start = time.perf_counter()
    run = _Run(sources, text_field, id_field, on_error, progress, batch_texts)
    run.audit = InputAudit(id_field, require_id=require_id, source_field=source_field)
    run.source_field = source_field
    run.output_format = fmt
    run.cluster_fields = with_cluster_fields
    run.stats = [s.stat() for s in sources]
    run.total_bytes = sum(size for size, _ in run.stats)
    run.keep_values = keep.collector() if isinstance(keep, KeepFields) else None
    hasher = cfg.hasher()
    plan = MemoryPlan.of(memory_limit)
    with SpillDir(tmp_dir) as spill:
        sink = Pass1Sink(plan, spill, facts=cfg.fact_rule is not None)
        _pass1_shingle_sets(run, hasher, sink)
        run.audit.check()
        lengths = np.asarray(run.lengths, dtype=np.int64)
        rule = _keep_rule(run, keep)
        page = ReportBuilder() if html and out is not None else None
        sets, facts = sets_source(sink, plan, spill, progress)
        del sink
        res = run_stages(
            sets, lengths, config=cfg, hasher=hasher, keep=rule, timings=run.timings,
            progress=progress, html=page, facts=facts,
        )  # fmt: skip
        del sets, facts
    run.spill = spill.report(plan)
    if out is None:  # dry run
        n_unique = int(np.count_nonzero(res.representative == np.arange(len(run.ids))))
        run.timings["total"] = round(time.perf_counter() - t_start, 6)
        return _report(run, res, (n_unique, len(run.ids) - n_unique), keep)
    if page:
        page.choose(res.representative, res.similarity)
    with temporary_output(out) as tmp:
        written = _pass2_write(run, res, tmp, page.collect if page else None)
        write_clusters(tmp / CLUSTERS_FILE, run.ids, res.representative, res.similarity, res.kinds)
        run.timings["total"] = round(time.perf_counter() - t_start, 6)
        report = _report(run, res, written, keep)
        if page:
            _write_html(page, tmp / HTML_FILE, report, run, cfg, res.stats)
        write_json(tmp / "report.json", report)
        if res.stats is not None:
            res.stats.save(tmp / STATS_FILE, cfg.stats_params(), cfg.run_options())
        check()  # the last point a signal stops the run; the swap itself is never interrupted
    return report
