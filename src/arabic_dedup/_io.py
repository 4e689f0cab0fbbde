"""Files in, files out: deduplicate corpora larger than memory (the engine behind the CLI).

Two passes over the input. Pass 1 streams the records, computes their shingle sets in batches
and keeps only compact data per record (shingle hashes, id, text length, line number); the
texts themselves are dropped batch by batch. The detector's stages then run on the shingle
sets exactly as :func:`find_duplicates` runs them. Pass 2 re-reads the input in the same order
and writes every record to ``unique.jsonl`` or ``duplicates.jsonl``.

Reading is :mod:`.formats` (one reader per format); the atomic replacement of the output
directory is :mod:`._atomic`. Texts reach the detector exactly as read: a lone surrogate is a
code point like any other.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ._atomic import OUTPUT_FILES, STATS_FILE, prepare_output, temporary_output
from ._boilerplate import CorpusStats
from ._cluster import KeepPolicy, keep_order
from ._config import DedupConfig
from ._dedup import detect
from ._errors import ConfigError, OutputDirError, RecordError
from ._interrupt import check
from ._minhash import MinHasher
from ._shingle import ShingleSets
from .formats import FORMATS, BadRecord, JsonlWriter, Reader, Record, Source, write_json

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


def run_stages(
    sets: ShingleSets,
    lengths: NDArray[np.int64],
    *,
    config: DedupConfig,
    hasher: MinHasher,
    keep: KeepPolicy,
    timings: dict[str, float],
    progress: ProgressFn | None = None,
    facts: ShingleSets | None = None,
) -> StageResult:
    """``find_duplicates``'s stages after shingling, on precomputed shingle sets: the same
    :func:`arabic_dedup._dedup.detect` that ``find_duplicates`` runs, plus timings/progress."""
    order = keep_order(lengths, keep)

    def on_stage(name: str, finished: bool) -> None:
        check()
        if progress:
            progress(name, int(finished), 1)

    det = detect(sets, order, config=config, hasher=hasher, on_stage=on_stage, facts=facts)
    timings.update(det.timings)
    cl = det.clusters
    params = {**det.params, "keep": keep}
    return StageResult(cl.representative, cl.similarity, len(det.pairs), params, det.stats)


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
    lines: list[int] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    per_source: list[int] = field(default_factory=list)  # good records per source
    errors: list[BadRecord] = field(default_factory=list)
    errors_per_source: list[int] = field(default_factory=list)

    def reader(self, s: Source) -> Reader:
        prefix = str(s.path) if len(self.sources) > 1 else None
        return s.reader(text_field=self.text_field, id_field=self.id_field, id_prefix=prefix)

    def report_progress(self, stage: str, done: int) -> None:
        if self.progress:
            self.progress(stage, done, self.total_bytes)


def _check_arguments(sources: Sequence[Source], keep: str, on_error: str) -> None:
    if keep not in ("first", "longest"):
        raise ConfigError(f"keep must be 'first' or 'longest', got {keep!r}")
    if on_error not in ("fail", "skip"):
        raise ConfigError(f"on_error must be 'fail' or 'skip', got {on_error!r}")
    if not sources:
        raise ConfigError("give at least one input")


def _pass1_shingle_sets(
    run: _Run, hasher: MinHasher, facts: list[ShingleSets] | None = None
) -> ShingleSets:
    """Read every record; keep ids, lines, lengths and shingle sets, never the texts (and,
    given a list ``facts``, append each batch's fact fingerprints to it)."""
    t0 = time.perf_counter()
    hashes: list[NDArray[np.uint32]] = []
    sizes: list[NDArray[np.int64]] = []
    batch: list[str] = []
    batch_chars = 0

    def flush() -> None:
        nonlocal batch, batch_chars
        if batch:
            if facts is None:
                s = hasher.shingle_sets(batch)
            else:
                s, f = hasher.shingle_fact_sets(batch)
                facts.append(f)
            hashes.append(s.hashes)
            sizes.append(s.sizes())
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
            good += 1
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
    offsets = np.zeros(len(run.ids) + 1, dtype=np.int64)
    if sizes:
        np.cumsum(np.concatenate(sizes), out=offsets[1:])
    all_hashes = np.concatenate(hashes) if hashes else np.empty(0, np.uint32)
    run.timings["read_and_shingle"] = round(time.perf_counter() - t0, 6)
    return ShingleSets(all_hashes.astype(np.uint32, copy=False), offsets)


def _pass2_write(run: _Run, res: StageResult, tmp: Path) -> tuple[int, int]:
    """Re-read the inputs in the same order; write every good record to one of the outputs.
    Returns (unique, duplicates) written."""
    t0 = time.perf_counter()
    n = len(run.ids)
    rep = res.representative
    is_kept = rep == np.arange(n)
    n_unique = n_dup = idx = done_bytes = 0
    with JsonlWriter(tmp / "unique.jsonl") as fu, JsonlWriter(tmp / "duplicates.jsonl") as fd:
        for s, before in zip(run.sources, run.stats, strict=True):
            r = run.reader(s)
            for item in r:
                if isinstance(item, BadRecord):
                    continue
                if idx >= n or item.line != run.lines[idx]:
                    raise RecordError(str(s.path), 0, "the input changed during the run")
                if is_kept[idx]:
                    fu.unique(item)
                    n_unique += 1
                else:
                    fd.duplicate(item, run.ids[int(rep[idx])], float(res.similarity[idx]))
                    n_dup += 1
                idx += 1
                if idx % run.batch_texts == 0:
                    run.report_progress("writing", done_bytes + r.bytes_read)
            done_bytes += r.bytes_read
            if s.stat() != before:
                raise RecordError(str(s.path), 0, "the input changed during the run")
        if idx != n:
            raise RecordError(str(run.sources[-1].path), 0, "the input changed during the run")
    run.report_progress("writing", run.total_bytes)
    run.timings["write"] = round(time.perf_counter() - t0, 6)
    return n_unique, n_dup


def _report(run: _Run, res: StageResult, written: tuple[int, int], keep: str) -> dict[str, Any]:
    n = len(run.ids)
    is_kept = res.representative == np.arange(n)
    n_errors = len(run.errors)
    return {
        "counts": {
            "records_read": n + n_errors,
            "unique": written[0],
            "duplicates": written[1],
            "errors": n_errors,
            "clusters": int(np.unique(res.representative[~is_kept]).size),
            "verified_pairs": res.n_pairs,
        },
        "inputs": [
            {
                "path": str(s.path),
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
            "keep": keep,
            "dedup": res.params,
        },
        "versions": _versions(),
        "timings_seconds": run.timings,
        "errors": [{"file": e.file, "line": e.line, "reason": e.reason} for e in run.errors],
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


# -- the whole run -----------------------------------------------------------------------------


def dedup_files(
    sources: Sequence[Source],
    out_dir: str | os.PathLike[str],
    *,
    config: DedupConfig | None = None,
    keep: KeepPolicy = "first",
    text_field: str = "text",
    id_field: str = "id",
    on_error: OnError = "fail",
    progress: ProgressFn | None = None,
    batch_texts: int = BATCH_TEXTS,
) -> dict[str, Any]:
    """Deduplicate the records of ``sources`` into ``out_dir``; returns the report.

    Writes ``unique.jsonl``, ``duplicates.jsonl`` and ``report.json`` (the returned dict)
    atomically: ``out_dir`` is replaced only when everything is written. ``out_dir`` must be
    new, empty, or an earlier output of this function, and hold no input. Bad records raise
    :class:`RecordError` (``on_error="fail"``) or are listed in the report (``"skip"``).
    """
    cfg = config or DedupConfig()
    _check_arguments(sources, keep, on_error)
    out = prepare_output(out_dir, [s.path for s in sources])
    t_start = time.perf_counter()
    run = _Run(sources, text_field, id_field, on_error, progress, batch_texts)
    run.stats = [s.stat() for s in sources]
    run.total_bytes = sum(size for size, _ in run.stats)
    hasher = cfg.hasher()

    fparts: list[ShingleSets] | None = None if cfg.fact_rule is None else []
    sets = _pass1_shingle_sets(run, hasher, fparts)
    facts = None if fparts is None else ShingleSets.concatenate(fparts)
    lengths = np.asarray(run.lengths, dtype=np.int64)
    res = run_stages(
        sets, lengths, config=cfg, hasher=hasher, keep=keep, timings=run.timings,
        progress=progress, facts=facts,
    )  # fmt: skip
    del sets
    with temporary_output(out) as tmp:
        written = _pass2_write(run, res, tmp)
        run.timings["total"] = round(time.perf_counter() - t_start, 6)
        report = _report(run, res, written, keep)
        write_json(tmp / "report.json", report)
        if res.stats is not None:
            res.stats.save(tmp / STATS_FILE, cfg.stats_params())
        check()  # the last point a signal stops the run; the swap itself is never interrupted
    return report
