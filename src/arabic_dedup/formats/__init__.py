"""Input formats: one reader per format behind one registry.

A format is a :class:`~.base.Reader` subclass in a module of its own, registered in
``READERS`` below; :class:`Source` finds it from ``--format`` or the file name. The
``unique`` and ``duplicates`` outputs are written by one :class:`~.base.Writer` per format,
registered in ``WRITERS``: in the inputs' format (:func:`output_format`) or the one asked.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .._errors import ConfigError, RecordError
from .base import BOM, BadRecord, Reader, Record, Writer
from .delimited import CsvReader, CsvWriter, TsvReader, TsvWriter
from .jsonl import SIMILARITY_DIGITS, JsonlReader, JsonlWriter, json_bytes, write_json
from .parquet import ParquetReader, ParquetWriter
from .txt import TxtReader

__all__ = [
    "FOLDER_FORMAT",
    "FORMATS",
    "OUTPUT_FORMATS",
    "READERS",
    "RECORD_FILES",
    "RECORD_OUTPUTS",
    "SIMILARITY_DIGITS",
    "WRITERS",
    "BadRecord",
    "JsonlWriter",
    "Reader",
    "Record",
    "Source",
    "Writer",
    "json_bytes",
    "output_format",
    "output_path",
    "write_json",
]

READERS: dict[str, type[Reader]] = {
    r.name: r for r in (JsonlReader, CsvReader, TsvReader, ParquetReader, TxtReader)
}
FORMATS: tuple[str, ...] = tuple(READERS)
WRITERS: dict[str, type[Writer]] = {
    w.name: w for w in (JsonlWriter, CsvWriter, TsvWriter, ParquetWriter)
}
OUTPUT_FORMATS: tuple[str, ...] = tuple(WRITERS)
#: The record outputs (file name = output + the writer's suffix), kept and removed records.
RECORD_OUTPUTS = ("unique", "duplicates")
#: Every name a record output can have, whatever the format (the output dir check accepts them).
RECORD_FILES: tuple[str, ...] = tuple(
    o + w.suffix for w in WRITERS.values() for o in RECORD_OUTPUTS
)
_SUFFIXES = {suffix: r for r in READERS.values() for suffix in r.suffixes}
_FOLDER_READER = next(r for r in READERS.values() if r.reads_folders)
FOLDER_FORMAT = _FOLDER_READER.name  # the format a folder given as input is read in


@dataclass(frozen=True)
class Source:
    """One input: a file (or a folder of .txt files) and how to read it."""

    path: Path
    format: str
    compressed: bool = False
    label: str | None = None  # how messages and the report name it, if not by its path

    @property
    def name(self) -> str:
        """The input as messages, ids and the report name it."""
        return self.label if self.label is not None else str(self.path)

    @classmethod
    def detect(cls, path: str | os.PathLike[str], fmt: str | None = None) -> Source:
        """The source for ``path``, its format taken from ``fmt`` or from the file name.

        >>> Source.detect("news.jsonl.gz")
        Source(path=PosixPath('news.jsonl.gz'), format='jsonl', compressed=True, label=None)
        """
        p = Path(path)
        compressed = p.suffix.lower() == ".gz"
        if fmt is not None:
            if fmt not in READERS:
                raise ConfigError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
            return cls(p, fmt, compressed)
        if p.is_dir():
            return cls(p, _FOLDER_READER.name)
        suffix = Path(p.stem).suffix if compressed else p.suffix
        found = _SUFFIXES.get(suffix.lower())
        if found is None or (compressed and not found.compressible):
            known = ", ".join(sorted(_SUFFIXES))
            raise ConfigError(
                f"cannot tell the format of {str(p)!r} from its name (known: {known}, "
                "optionally .gz, or a folder of .txt files); name it with --format"
            )
        return cls(p, found.name, compressed)

    @classmethod
    def sniff(cls, path: Path, label: str, fmt: str | None = None) -> Source:
        """The source for ``path`` (standard input, saved to a file) in format ``fmt``, or
        in the format its first bytes show: ``PAR1`` is Parquet; a first line starting with
        ``{`` is JSON Lines; else a tab in it means TSV and a comma CSV. Gzip is unpacked.

        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile(suffix=".tmp") as f:
        ...     _ = f.write(b'{"text": "a, b"}\\n')
        ...     f.flush()
        ...     Source.sniff(Path(f.name), "<stdin>").format
        'jsonl'
        """
        with open(path, "rb") as f:
            head = f.read(65536)
        if fmt is not None and fmt not in READERS:
            raise ConfigError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        if head.startswith(b"PAR1") and fmt in (None, ParquetReader.name):
            return cls(path, ParquetReader.name, False, label)
        compressed = head.startswith(b"\x1f\x8b")
        if fmt is not None:
            return cls(path, fmt, compressed and READERS[fmt].compressible, label)
        if compressed:
            try:
                with gzip.open(path, "rb") as g:
                    head = g.read(65536)
            except (OSError, EOFError, zlib.error) as exc:
                raise RecordError(label, 0, f"cannot read the gzip data: {exc}") from exc
        first = next((ln for ln in head.removeprefix(BOM).splitlines() if ln.strip()), b"")
        if first.lstrip().startswith(b"{"):
            return cls(path, JsonlReader.name, compressed, label)
        for sep, reader in ((b"\t", TsvReader), (b",", CsvReader)):
            if sep in first:
                return cls(path, reader.name, compressed, label)
        if not first:
            raise ConfigError(f"{label} is empty: name its format with --format to accept it")
        raise ConfigError(
            f"cannot tell the format of {label} from its first line (not a JSON object, no "
            f"tab or comma); name it with --format ({', '.join(FORMATS)})"
        )

    @property
    def unit(self) -> str:
        return READERS[self.format].unit

    def reader(self, *, text_field: str, id_field: str, id_prefix: str | None) -> Reader:
        """A new reader of this source's records."""
        return READERS[self.format](
            self.path,
            compressed=self.compressed,
            text_field=text_field,
            id_field=id_field,
            id_prefix=id_prefix,
            label=self.label,
        )

    def stat(self) -> tuple[int, int]:
        """(total bytes, newest mtime) of the input, to detect changes between passes."""
        files = self.reader(text_field="", id_field="", id_prefix=None).files()
        stats = [f.stat() for f in files]
        return sum(s.st_size for s in stats), max((s.st_mtime_ns for s in stats), default=0)


def output_format(sources: Sequence[Source], requested: str | None = None) -> str:
    """The format the record outputs are written in: ``requested`` if given, else the inputs'
    format when they all have one and it can be written, else JSON Lines (.txt folders, inputs
    of different formats).

    >>> output_format([Source(Path("a.csv"), "csv"), Source(Path("b.csv"), "csv")])
    'csv'
    >>> output_format([Source(Path("a.csv"), "csv"), Source(Path("b.parquet"), "parquet")])
    'jsonl'
    """
    if requested is not None:
        if requested not in WRITERS:
            raise ConfigError(
                f"output format must be one of {', '.join(OUTPUT_FORMATS)}, got {requested!r}"
            )
        return requested
    formats = {s.format for s in sources}
    if len(formats) == 1 and (fmt := formats.pop()) in WRITERS:
        return fmt
    return JsonlWriter.name


def output_path(out_dir: Path, output: str, fmt: str) -> Path:
    """Where record output ``output`` (``"unique"``, ``"duplicates"``) in ``fmt`` is written."""
    return out_dir / (output + WRITERS[fmt].suffix)
