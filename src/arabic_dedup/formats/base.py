"""What every reader shares: the record types, the id rule, line iteration and progress."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, ClassVar

from .._errors import RecordError
from .._interrupt import check

__all__ = [
    "BOM",
    "CHECK_EVERY",
    "DUPLICATE_FIELDS",
    "SHOWN_CHARS",
    "SIMILARITY_DIGITS",
    "BadRecord",
    "Reader",
    "Record",
    "RowWriter",
    "Writer",
    "duplicate_fields",
    "json_type",
    "repeated_name",
    "shorten",
    "shown_names",
]

BOM = b"\xef\xbb\xbf"
# Records between two interruption checks: cheap enough per record, prompt enough per batch.
CHECK_EVERY = 1024
#: A value quoted in a message (a column name, an id, an option value) is cut to this length.
SHOWN_CHARS = 80
#: The fields a duplicate gets: the kept record's id and the verified similarity.
DUPLICATE_FIELDS = ("duplicate_of", "similarity")
SIMILARITY_DIGITS = 6  # similarities are written rounded to this many decimals


def shorten(value: str, limit: int = SHOWN_CHARS) -> str:
    """``value`` cut to ``limit`` characters, the cut marked with "…".

    >>> shorten("x" * 100, 10)
    'xxxxxxxxx…'
    """
    return value if len(value) <= limit else value[: limit - 1] + "…"


def repeated_name(names: Sequence[str]) -> str | None:
    """Why a header that names one column twice cannot be read (None when every name is its
    own): a record holds one value per name, so one of the two columns would be lost.

    >>> repeated_name(["id", "text", "text"])
    "column 'text' is named twice (columns 2 and 3): one of them would be lost; rename one"
    """
    seen: dict[str, int] = {}
    for at, name in enumerate(names, 1):
        if name in seen:
            return (
                f"column {shorten(name)!r} is named twice (columns {seen[name]} and {at}): "
                "one of them would be lost; rename one"
            )
        seen[name] = at
    return None


def shown_names(names: list[str], most: int = 20) -> str:
    """Field or column names for a message: each cut, at most ``most`` of them."""
    shown = ", ".join(shorten(n) for n in names[:most])
    return shown + (f" and {len(names) - most:,} more" if len(names) > most else "")


@dataclass(frozen=True, slots=True)
class Record:
    """One good record: where it starts, its id, its text and its fields as read."""

    line: int  # 1-based line (row, for Parquet) where the record starts
    id: Any
    text: str
    fields: dict[str, Any]
    raw: bytes | None = None  # JSONL: the original line, without its line ending
    file: str = ""  # the input it was read from, as messages name it
    unit: str = "line"  # what ``line`` counts ("row" for Parquet)


@dataclass(frozen=True, slots=True)
class BadRecord:
    """A record that cannot be used, and why."""

    file: str
    line: int
    reason: str


class Reader:
    """Iterates one input's records, good and bad, counting bytes read for progress.

    A format is a subclass naming itself and its file suffixes, with :meth:`records`;
    ``formats/__init__.py`` registers it.
    """

    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]]
    compressible: ClassVar[bool] = True  # may be gzipped (name.ext.gz)
    reads_folders: ClassVar[bool] = False  # the format of a folder given as input
    unit: ClassVar[str] = "line"  # what a record's location counts

    def __init__(
        self,
        path: Path,
        *,
        compressed: bool,
        text_field: str,
        id_field: str,
        id_prefix: str | None,
        label: str | None = None,
    ) -> None:
        self.path = path
        self.compressed = compressed
        self.text_field = text_field
        self.id_field = id_field
        self.id_prefix = id_prefix
        self.bytes_read = 0
        self.file = str(path) if label is None else label  # as messages name the input

    def __iter__(self) -> Iterator[Record | BadRecord]:
        try:
            for n, item in enumerate(self.records()):
                if n % CHECK_EVERY == 0:
                    check()
                yield item
        except (OSError, EOFError, zlib.error) as exc:
            raise RecordError(self.file, 0, f"cannot read the file: {exc}") from exc

    def records(self) -> Iterator[Record | BadRecord]:
        raise NotImplementedError

    def files(self) -> list[Path]:
        """The files this input reads (their sizes and times tell whether it changed)."""
        return [self.path]

    def record_id(self, value: Any, location: int | str) -> Any:
        """The id rule of every format: the id field's value, or, when the record has none
        (missing or null), its location: the line (row) number, or the file name for .txt
        files, prefixed with the input's path when there are several inputs."""
        if value is not None:
            return value
        if self.id_prefix is None:
            return location
        sep = "/" if isinstance(location, str) else ":"
        return f"{self.id_prefix}{sep}{location}"

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """(1-based number, line with its ending) of the file, plain or gzip; a UTF-8 BOM
        at the start is dropped."""
        with open(self.path, "rb") as raw:
            stream: IO[bytes] = (
                gzip.GzipFile(fileobj=raw) if self.compressed else raw  # type: ignore[assignment]
            )
            start = 0
            for n, line in enumerate(stream, 1):
                if n == 1 and line.startswith(BOM):
                    line = line[len(BOM) :]
                pos = raw.tell()
                self.bytes_read += pos - start
                start = pos
                yield n, line

    def looks_like_json(self) -> str | None:
        """For a table format: the message saying the file looks like JSON Lines, if it does."""
        first = next(self.lines(), (0, b""))[1].decode("utf-8", "replace").lstrip()
        if not first.startswith(("{", "[")):
            return None
        return (
            f"the header row looks like JSON ({shorten(first.rstrip(), 20)!r}), not "
            f"{self.name.upper()} column names; for JSON Lines use --format jsonl"
        )

    def missing_column(self, columns: list[str], line: int) -> RecordError:
        """The error for a header without the text column; a header that looks like JSON
        (a JSON Lines file read as CSV) says so instead of listing its pieces as columns."""
        hint = self.looks_like_json()
        if hint:
            return RecordError(self.file, line, hint)
        return RecordError(
            self.file,
            line,
            f"no column {shorten(self.text_field)!r} in the header "
            f"(columns: {shown_names(columns)}); "
            "choose the text column with --text-field",
        )


def json_type(value: object) -> str:
    """How a JSON value's type is named in messages ("null", "a number", ...)."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def duplicate_fields(dup_of: Any, sim: float) -> dict[str, Any]:
    """The fields a duplicate gets (``DUPLICATE_FIELDS``), the similarity rounded."""
    return dict(zip(DUPLICATE_FIELDS, (dup_of, round(sim, SIMILARITY_DIGITS)), strict=True))


class Writer:
    """Writes one output file (``unique`` or ``duplicates``) in one format.

    A format's writer is a subclass naming the format and its file suffix;
    ``formats/__init__.py`` registers it in ``WRITERS``. A value the format cannot hold
    raises :class:`RecordError` naming the record (the caller names the input).
    """

    name: ClassVar[str]
    suffix: ClassVar[str]

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> Writer:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError

    def unique(self, rec: Record, extra: dict[str, Any] | None = None) -> None:
        """A kept record, with ``extra`` fields appended if given (``--cluster-fields``,
        ``--source-field``)."""
        raise NotImplementedError

    def duplicate(
        self, rec: Record, dup_of: Any, sim: float, extra: dict[str, Any] | None = None
    ) -> None:
        """A duplicate, with ``extra`` and the ``DUPLICATE_FIELDS`` appended."""
        raise NotImplementedError


class RowWriter(Writer):
    """A table format: the columns are the first record's fields plus the new ones, in that
    order; a later record's missing field is empty, a field not among the columns an error."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.columns: list[str] | None = None

    def start(self, columns: list[str]) -> None:
        """Open the file and write the header (or schema) of ``columns``."""
        raise NotImplementedError

    def write_row(self, rec: Record, values: list[Any]) -> None:
        raise NotImplementedError

    def unique(self, rec: Record, extra: dict[str, Any] | None = None) -> None:
        self._row(rec, {**rec.fields, **(extra or {})})

    def duplicate(
        self, rec: Record, dup_of: Any, sim: float, extra: dict[str, Any] | None = None
    ) -> None:
        self._row(rec, {**rec.fields, **(extra or {}), **duplicate_fields(dup_of, sim)})

    def refuse(self, rec: Record, problem: str) -> RecordError:
        """The error for a record this output cannot hold: where the record was read (the
        output is written to a temporary name until the run succeeds, so it is named by its
        final file name)."""
        return RecordError(
            rec.file or self.path.name, rec.line,
            f"record {shorten(repr(rec.id))}: {problem} (writing {self.path.name})",
            unit=rec.unit,
        )  # fmt: skip

    def _row(self, rec: Record, row: dict[str, Any]) -> None:
        if self.columns is None:
            self.columns = list(row)
            self.start(self.columns)
        elif not row.keys() <= set(self.columns):
            new = [k for k in row if k not in self.columns]
            raise self.refuse(
                rec,
                f"fields {shown_names(new)} are not among the columns of the first record "
                f"written ({shown_names(self.columns)}); a {self.name.upper()} output has one "
                "set of columns: use --output-format jsonl for records of different fields",
            )
        self.write_row(rec, [row.get(c) for c in self.columns])
