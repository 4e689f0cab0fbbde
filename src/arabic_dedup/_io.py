"""Files in, files out: deduplicate corpora larger than memory (the engine behind the CLI).

Two passes over the input. Pass 1 streams the records, computes their shingle sets in batches
and keeps only compact data per record (shingle hashes, id, text length, line number); the
texts themselves are dropped batch by batch. The detector's stages then run on the shingle
sets exactly as :func:`find_duplicates` runs them. Pass 2 re-reads the input in the same order
and writes every record to ``unique.jsonl`` or ``duplicates.jsonl``.

Output is atomic: everything is written into a temporary sibling of the output directory,
which replaces the output directory only once complete. A failed or interrupted run leaves
the previous output (or no output) in place, never a mix.

Formats: JSON Lines (``.jsonl``, ``.ndjson``, ``.json``), CSV (``.csv``), TSV (``.tsv``), each
optionally gzipped (``.gz``); Parquet (``.parquet``, needs ``pyarrow``); a folder of ``.txt``
files (one record per file) or a single ``.txt`` file.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import secrets
import shutil
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
from numpy.typing import NDArray

from ._cluster import KeepPolicy, keep_order
from ._config import DedupConfig
from ._dedup import detect
from ._errors import ConfigError, OutputDirError, RecordError
from ._minhash import MinHasher
from ._shingle import ShingleSets

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

Format = Literal["jsonl", "csv", "tsv", "parquet", "txt"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "tsv", "parquet", "txt")
OnError = Literal["fail", "skip"]
#: stage name, work done, work total (bytes while reading; 0/1 for the other stages).
ProgressFn = Callable[[str, int, int], None]

OUTPUT_FILES = ("unique.jsonl", "duplicates.jsonl", "report.json")
_SUFFIXES: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".txt": "txt",
}
_BOM = b"\xef\xbb\xbf"
# Shingle sets are computed this many texts (or characters) at a time, so pass 1 holds at most
# one batch of texts in memory.
BATCH_TEXTS = 10_000
BATCH_CHARS = 16_000_000


# -- records -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Record:
    """One good record: where it starts, its id, its text and its fields as read."""

    line: int  # 1-based line (row, for Parquet) where the record starts
    id: Any
    text: str
    fields: dict[str, Any]
    raw: bytes | None = None  # JSONL: the original line, without its line ending


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A record that cannot be used, and why."""

    file: str
    line: int
    reason: str


@dataclass(frozen=True)
class Source:
    """One input: a file (or a folder of .txt files) and how to read it."""

    path: Path
    format: Format
    compressed: bool = False

    @classmethod
    def detect(cls, path: str | os.PathLike[str], fmt: Format | None = None) -> Source:
        """The source for ``path``, its format taken from ``fmt`` or from the file name.

        >>> Source.detect("news.jsonl.gz")
        Source(path=PosixPath('news.jsonl.gz'), format='jsonl', compressed=True)
        """
        p = Path(path)
        compressed = p.suffix.lower() == ".gz"
        if fmt is not None:
            if fmt not in FORMATS:
                raise ConfigError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
            return cls(p, fmt, compressed)
        if p.is_dir():
            return cls(p, "txt")
        suffix = Path(p.stem).suffix if compressed else p.suffix
        found = _SUFFIXES.get(suffix.lower())
        if found is None or (compressed and found in ("parquet", "txt")):
            known = ", ".join(sorted(_SUFFIXES))
            raise ConfigError(
                f"cannot tell the format of {str(p)!r} from its name (known: {known}, "
                "optionally .gz, or a folder of .txt files); name it with --format"
            )
        return cls(p, found, compressed)

    @property
    def unit(self) -> str:
        return "row" if self.format == "parquet" else "line"

    def stat(self) -> tuple[int, int]:
        """(total bytes, newest mtime) of the input, to detect changes between passes."""
        files = _txt_files(self.path) if self.path.is_dir() else [self.path]
        stats = [f.stat() for f in files]
        return sum(s.st_size for s in stats), max((s.st_mtime_ns for s in stats), default=0)


def _txt_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.txt") if p.is_file())


class _Reader:
    """Iterates a source's records (good and bad), counting bytes read for progress."""

    def __init__(
        self, source: Source, *, text_field: str, id_field: str, id_prefix: str | None
    ) -> None:
        self.source = source
        self.text_field = text_field
        self.id_field = id_field
        self.id_prefix = id_prefix
        self.bytes_read = 0
        self.name = str(source.path)

    def default_id(self, line: int) -> Any:
        return line if self.id_prefix is None else f"{self.id_prefix}:{line}"

    def __iter__(self) -> Iterator[Record | BadRecord]:
        fmt = self.source.format
        try:
            if fmt == "jsonl":
                yield from self._jsonl()
            elif fmt in ("csv", "tsv"):
                yield from self._csv("\t" if fmt == "tsv" else ",")
            elif fmt == "parquet":
                yield from self._parquet()
            else:
                yield from self._txt()
        except (OSError, EOFError, zlib.error) as exc:
            raise RecordError(self.name, 0, f"cannot read the file: {exc}") from exc

    # binary line iteration, plain or gzip, with bytes-read accounting on the file on disk
    def _lines(self) -> Iterator[tuple[int, bytes]]:
        with open(self.source.path, "rb") as raw:
            stream: IO[bytes] = (
                gzip.GzipFile(fileobj=raw) if self.source.compressed else raw  # type: ignore[assignment]
            )
            start = 0
            for n, line in enumerate(stream, 1):
                if n == 1 and line.startswith(_BOM):
                    line = line[len(_BOM) :]
                pos = raw.tell()
                self.bytes_read += pos - start
                start = pos
                yield n, line

    def _jsonl(self) -> Iterator[Record | BadRecord]:
        for n, line in self._lines():
            body = line.rstrip(b"\r\n")
            if not body.strip():
                continue  # blank lines are not records
            try:
                text_line = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield BadRecord(self.name, n, f"invalid UTF-8 at byte {exc.start + 1} of the line")
                continue
            try:
                obj = json.loads(text_line)
            except json.JSONDecodeError as exc:
                yield BadRecord(self.name, n, f"malformed JSON: {exc.msg} (column {exc.colno})")
                continue
            if not isinstance(obj, dict):
                yield BadRecord(self.name, n, f"expected a JSON object, got {_json_type(obj)}")
                continue
            bad = self._check_text(obj)
            if bad:
                yield BadRecord(self.name, n, bad)
                continue
            rid = obj[self.id_field] if self.id_field in obj else self.default_id(n)
            yield Record(n, rid, obj[self.text_field], obj, body)

    def _check_text(self, obj: dict[str, Any]) -> str | None:
        f = self.text_field
        if f not in obj:
            return f"no {f!r} field (choose the text field with --text-field)"
        if not isinstance(obj[f], str):
            return f"field {f!r} is {_json_type(obj[f])}, not a string"
        return None

    def _csv(self, delimiter: str) -> Iterator[Record | BadRecord]:
        bad_lines: set[int] = set()

        def decoded() -> Iterator[str]:
            for n, line in self._lines():
                try:
                    yield line.decode("utf-8")
                except UnicodeDecodeError:
                    bad_lines.add(n)
                    yield line.decode("utf-8", "replace")

        csv.field_size_limit(2**31 - 1)
        reader = csv.reader(decoded(), delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise RecordError(self.name, 1, f"malformed CSV header: {exc}") from exc
        if self.text_field not in header:
            raise RecordError(
                self.name,
                1,
                f"no column {self.text_field!r} in the header (columns: {', '.join(header)}); "
                "choose the text column with --text-field",
            )
        ti = header.index(self.text_field)
        ii = header.index(self.id_field) if self.id_field in header else None
        prev = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield BadRecord(self.name, prev + 1, f"malformed CSV: {exc}")
                prev = reader.line_num
                continue
            start, prev = prev + 1, reader.line_num
            if not row:
                continue  # blank line
            if any(n in bad_lines for n in range(start, prev + 1)):
                yield BadRecord(self.name, start, "invalid UTF-8")
                continue
            if len(row) != len(header):
                missing = " (no text column)" if len(row) <= ti else ""
                yield BadRecord(
                    self.name,
                    start,
                    f"row has {len(row)} fields, the header has {len(header)}{missing}",
                )
                continue
            fields = dict(zip(header, row, strict=True))
            rid = row[ii] if ii is not None else self.default_id(start)
            yield Record(start, rid, row[ti], fields)

    def _parquet(self) -> Iterator[Record | BadRecord]:
        pq = _require_pyarrow()
        import pyarrow

        try:
            yield from self._parquet_rows(pq)
        except pyarrow.ArrowException as exc:
            raise RecordError(self.name, 0, f"cannot read the Parquet file: {exc}") from exc

    def _parquet_rows(self, pq: Any) -> Iterator[Record | BadRecord]:
        pf = pq.ParquetFile(self.source.path)
        names = pf.schema_arrow.names
        if self.text_field not in names:
            raise RecordError(
                self.name,
                0,
                f"no column {self.text_field!r} (columns: {', '.join(names)}); "
                "choose the text column with --text-field",
            )
        total_rows = max(1, pf.metadata.num_rows)
        size = self.source.path.stat().st_size
        row = 0
        for batch in pf.iter_batches(batch_size=4096):
            for rec in batch.to_pylist():
                row += 1
                text = rec[self.text_field]
                if not isinstance(text, str):
                    what = "null" if text is None else type(text).__name__
                    yield BadRecord(
                        self.name, row, f"column {self.text_field!r} is {what}, not a string"
                    )
                    continue
                rid = rec[self.id_field] if self.id_field in rec else self.default_id(row)
                yield Record(row, rid, text, rec)
            self.bytes_read = size * row // total_rows

    def _txt(self) -> Iterator[Record | BadRecord]:
        path = self.source.path
        files = _txt_files(path) if path.is_dir() else [path]
        for f in files:
            rel = f.relative_to(path).as_posix() if path.is_dir() else f.name
            rid = rel if self.id_prefix is None else f"{self.id_prefix}/{rel}"
            data = f.read_bytes()
            self.bytes_read += len(data)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = data.count(b"\n", 0, exc.start) + 1
                yield BadRecord(str(f), line, "invalid UTF-8")
                continue
            yield Record(1, rid, text, {self.id_field: rid, self.text_field: text})


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def _require_pyarrow() -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ImportError(
            "reading Parquet needs pyarrow: pip install 'arabic-dedup[parquet]'"
        ) from exc
    return pq


def _json_default(value: object) -> Any:
    """JSON for values Parquet can hold and JSON cannot (dates, decimals, bytes, NumPy)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default)


# -- the detector on precomputed shingle sets --------------------------------------------------


@dataclass
class StageResult:
    representative: NDArray[np.int64]
    similarity: NDArray[np.float64]
    n_pairs: int
    params: dict[str, Any]


def run_stages(
    sets: ShingleSets,
    lengths: NDArray[np.int64],
    *,
    config: DedupConfig,
    hasher: MinHasher,
    keep: KeepPolicy,
    timings: dict[str, float],
    progress: ProgressFn | None = None,
) -> StageResult:
    """``find_duplicates``'s stages after shingling, on precomputed shingle sets: the same
    :func:`arabic_dedup._dedup.detect` that ``find_duplicates`` runs, plus timings/progress."""
    order = keep_order(lengths, keep)

    def on_stage(name: str, finished: bool) -> None:
        if progress:
            progress(name, int(finished), 1)

    det = detect(sets, order, config=config, hasher=hasher, on_stage=on_stage)
    timings.update(det.timings)
    cl = det.clusters
    params = {**det.params, "keep": keep}
    return StageResult(cl.representative, cl.similarity, len(det.pairs), params)


# -- the whole run -----------------------------------------------------------------------------


@dataclass
class _Pass1:
    ids: list[Any] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    hashes: list[NDArray[np.uint32]] = field(default_factory=list)
    sizes: list[NDArray[np.int64]] = field(default_factory=list)
    per_source: list[int] = field(default_factory=list)  # good records per source
    errors: list[BadRecord] = field(default_factory=list)
    errors_per_source: list[int] = field(default_factory=list)


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
    new, empty, or an earlier output of this function. Bad records raise :class:`RecordError`
    (``on_error="fail"``) or are listed in the report (``on_error="skip"``).
    """
    cfg = config or DedupConfig()
    if keep not in ("first", "longest"):
        raise ConfigError(f"keep must be 'first' or 'longest', got {keep!r}")
    if on_error not in ("fail", "skip"):
        raise ConfigError(f"on_error must be 'fail' or 'skip', got {on_error!r}")
    if not sources:
        raise ConfigError("give at least one input")
    out = Path(out_dir)
    _check_out_dir(out)
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    hasher = cfg.hasher()
    multi = len(sources) > 1
    total_bytes = sum(s.stat()[0] for s in sources)
    stats = [s.stat() for s in sources]

    def reader(s: Source) -> _Reader:
        return _Reader(
            s, text_field=text_field, id_field=id_field, id_prefix=str(s.path) if multi else None
        )

    # Pass 1: shingle sets in batches; the texts are dropped batch by batch.
    t0 = time.perf_counter()
    p1 = _Pass1()
    batch: list[str] = []
    batch_chars = 0

    def flush() -> None:
        nonlocal batch, batch_chars
        if batch:
            s = hasher.shingle_sets(batch)
            p1.hashes.append(s.hashes)
            p1.sizes.append(s.sizes())
            batch, batch_chars = [], 0

    done_bytes = 0
    for s in sources:
        r = reader(s)
        good = bad = 0
        for item in r:
            if isinstance(item, BadRecord):
                if on_error == "fail":
                    raise RecordError(item.file, item.line, item.reason, unit=s.unit)
                p1.errors.append(item)
                bad += 1
                continue
            good += 1
            p1.ids.append(item.id)
            p1.lines.append(item.line)
            p1.lengths.append(len(item.text))
            batch.append(item.text)
            batch_chars += len(item.text)
            if len(batch) >= batch_texts or batch_chars >= BATCH_CHARS:
                flush()
                if progress:
                    progress("reading", done_bytes + r.bytes_read, total_bytes)
        flush()
        done_bytes += r.bytes_read
        if progress:
            progress("reading", done_bytes, total_bytes)
        p1.per_source.append(good)
        p1.errors_per_source.append(bad)
    n = len(p1.ids)
    offsets = np.zeros(n + 1, dtype=np.int64)
    if p1.sizes:
        np.cumsum(np.concatenate(p1.sizes), out=offsets[1:])
    hashes = np.concatenate(p1.hashes) if p1.hashes else np.empty(0, np.uint32)
    sets = ShingleSets(hashes.astype(np.uint32, copy=False), offsets)
    p1.hashes.clear()
    p1.sizes.clear()
    timings["read_and_shingle"] = round(time.perf_counter() - t0, 6)

    lengths = np.asarray(p1.lengths, dtype=np.int64)
    res = run_stages(
        sets, lengths, config=cfg, hasher=hasher, keep=keep, timings=timings, progress=progress
    )
    del sets
    rep = res.representative
    is_kept = rep == np.arange(n)

    # Pass 2: re-read in the same order and write every good record to one of the outputs.
    t0 = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = _make_temp_dir(out, "tmp")
    try:
        n_unique = n_dup = 0
        with (
            open(tmp / "unique.jsonl", "w", encoding="utf-8", newline="\n") as fu,
            open(tmp / "duplicates.jsonl", "w", encoding="utf-8", newline="\n") as fd,
        ):
            idx = 0
            done_bytes = 0
            for s, before in zip(sources, stats, strict=True):
                r = reader(s)
                for item in r:
                    if isinstance(item, BadRecord):
                        continue
                    if idx >= n or item.line != p1.lines[idx]:
                        raise RecordError(str(s.path), 0, "the input changed during the run")
                    if is_kept[idx]:
                        fu.write(_unique_line(item))
                        n_unique += 1
                    else:
                        r_i = int(rep[idx])
                        fd.write(_duplicate_line(item, p1.ids[r_i], float(res.similarity[idx])))
                        n_dup += 1
                    idx += 1
                    if progress and idx % batch_texts == 0:
                        progress("writing", done_bytes + r.bytes_read, total_bytes)
                done_bytes += r.bytes_read
                if s.stat() != before:
                    raise RecordError(str(s.path), 0, "the input changed during the run")
            if idx != n:
                raise RecordError(str(sources[-1].path), 0, "the input changed during the run")
        if progress:
            progress("writing", total_bytes, total_bytes)
        timings["write"] = round(time.perf_counter() - t0, 6)
        timings["total"] = round(time.perf_counter() - t_start, 6)
        n_errors = len(p1.errors)
        clusters = int(np.unique(rep[~is_kept]).size)
        report = {
            "counts": {
                "records_read": n + n_errors,
                "unique": n_unique,
                "duplicates": n_dup,
                "errors": n_errors,
                "clusters": clusters,
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
                for s, good, bad in zip(sources, p1.per_source, p1.errors_per_source, strict=True)
            ],
            "parameters": {
                "text_field": text_field,
                "id_field": id_field,
                "on_error": on_error,
                "keep": keep,
                "dedup": res.params,
            },
            "versions": _versions(),
            "timings_seconds": timings,
            "errors": [{"file": e.file, "line": e.line, "reason": e.reason} for e in p1.errors],
        }
        with open(tmp / "report.json", "w", encoding="utf-8") as f:
            json.dump(report, f, ensure_ascii=False, indent=2, default=_json_default)
            f.write("\n")
        _swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return report


def _unique_line(rec: Record) -> str:
    if rec.raw is not None:
        return rec.raw.decode("utf-8") + "\n"
    return _dumps(rec.fields) + "\n"


def _duplicate_line(rec: Record, dup_of: Any, sim: float) -> str:
    extra = {"duplicate_of": dup_of, "similarity": round(sim, 6)}
    if rec.raw is not None and not any(k in rec.fields for k in extra):
        # Keep the original bytes of every field (number formatting, escapes, spacing) and
        # append the two new fields before the closing brace.
        body = rec.raw.decode("utf-8").rstrip()
        tail = ", ".join(f"{json.dumps(k)}: {_dumps(v)}" for k, v in extra.items())
        sep = ", " if rec.fields else ""
        return f"{body[:-1]}{sep}{tail}}}\n"
    return _dumps({**rec.fields, **extra}) + "\n"


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


# -- atomic output directory -------------------------------------------------------------------


def _check_out_dir(out: Path) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise OutputDirError(f"output {str(out)!r} exists and is not a directory")
    foreign = sorted(p.name for p in out.iterdir() if p.name not in OUTPUT_FILES)
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise OutputDirError(
            f"output directory {str(out)!r} holds files this tool did not write ({shown}); "
            "it would be replaced, so choose a new or empty directory"
        )


def _make_temp_dir(out: Path, kind: str) -> Path:
    """A new hidden sibling of ``out`` (same file system, so renames are atomic); unlike
    ``mkdtemp`` it gets the usual permissions (umask), which the output directory keeps."""
    for _ in range(100):
        path = out.parent / f".{out.name}.{kind}-{secrets.token_hex(4)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"cannot create a temporary directory next to {str(out)!r}")


def _swap_in(tmp: Path, out: Path) -> None:
    """Replace ``out`` by ``tmp``; ``out`` is either the old output or the new, never a mix."""
    _check_out_dir(out)  # again: something may have appeared while we worked
    if not out.exists():
        os.replace(tmp, out)
        return
    old = _make_temp_dir(out, "old")
    os.replace(out, old / out.name)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old / out.name, out)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)
