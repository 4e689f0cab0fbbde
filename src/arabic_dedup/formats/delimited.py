"""CSV and TSV with a header row.

CSV is parsed strictly (RFC 4180 quoting; quoted fields may span lines). A row that does not
parse (an unterminated quote, a stray character after a closing quote) or that spans several
lines and has the wrong number of fields is one bad record at the line where it starts, and
the lines after that line are read again as rows: a broken quote never swallows the records
behind it. (Until the quote's fate is known, the lines of the row in progress are held in
memory: an unterminated quote early in a big file holds the rest of it once.)

TSV has no quoting: every line is one row, split at tabs, fields taken literally.

Writing (:class:`CsvWriter`, :class:`TsvWriter`): a header row of the first record's columns
plus the new ones, then one row per record. Strings are written as they are, a missing or null
value as an empty field, any other value as its JSON (``3``, ``true``, ``{"a": 1}``). CSV quotes
where needed; TSV cannot quote, so a value holding a tab or a line break is an error naming the
record.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from .._errors import RecordError
from .base import BadRecord, Reader, Record, RowWriter, repeated_name, shorten
from .jsonl import finite_or_name, json_bytes, json_default

__all__ = ["CsvReader", "CsvWriter", "TsvReader", "TsvWriter"]

csv.field_size_limit(2**31 - 1)


class _Table(Reader):
    """Rows to records: the header, field counts, the text and id columns."""

    width: int | None = None  # fields per row, once the header is read

    def rows(self) -> Iterator[tuple[int, int, list[str] | str]]:
        """(first line, last line, the fields or why the row is bad)."""
        raise NotImplementedError

    def records(self) -> Iterator[Record | BadRecord]:
        rows = self.rows()
        header: list[str] | None = None
        at_line = 1
        for first, _, row in rows:
            if isinstance(row, str):
                raise RecordError(self.file, first, self.looks_like_json() or f"bad header: {row}")
            if row:
                header, at_line = row, first
                break
        if header is None:
            return
        if self.text_field not in header:
            raise self.missing_column(header, at_line)
        repeated = repeated_name(header)
        if repeated:
            raise RecordError(self.file, at_line, repeated)
        self.width = len(header)
        ti = header.index(self.text_field)
        ii = header.index(self.id_field) if self.id_field in header else None
        for first, last, row in rows:
            if isinstance(row, str):
                yield BadRecord(self.file, first, row)
            elif not row:
                continue  # blank line
            elif len(row) != len(header):
                missing = " (no text column)" if len(row) <= ti else ""
                span = f" (lines {first}-{last}; the lines after {first} were read again)"
                yield BadRecord(
                    self.file,
                    first,
                    f"row has {len(row)} fields, the header has {len(header)}{missing}"
                    + (span if last > first else ""),
                )
            else:
                fields = dict(zip(header, row, strict=True))
                rid = self.record_id(row[ii] if ii is not None else None, first)
                yield Record(first, rid, row[ti], fields, file=self.file)

    def decoded(self) -> Iterator[tuple[int, str, bool]]:
        """(line number, text, whether the line is valid UTF-8) per line."""
        for n, line in self.lines():
            try:
                yield n, line.decode("utf-8"), True
            except UnicodeDecodeError:
                yield n, line.decode("utf-8", "replace"), False


class CsvReader(_Table):
    name = "csv"
    suffixes = (".csv",)

    def rows(self) -> Iterator[tuple[int, int, list[str] | str]]:
        pending: deque[tuple[int, str, bool]] = deque()  # lines to read (again) first
        source = self.decoded()
        taken: list[tuple[int, str, bool]] = []  # the lines of the row being parsed

        def feed() -> Iterator[str]:
            while True:
                if pending:
                    item = pending.popleft()
                else:
                    got = next(source, None)
                    if got is None:
                        return
                    item = got
                taken.append(item)
                yield item[1]

        def take() -> tuple[int, int, list[tuple[int, str, bool]]]:
            lines = list(taken)
            taken.clear()
            return lines[0][0], lines[-1][0], lines

        while True:
            try:
                for row in csv.reader(feed(), strict=True):
                    first, last, lines = take()
                    if not all(ok for *_, ok in lines):
                        yield first, last, "invalid UTF-8"
                        continue
                    yield first, last, row
                    if last > first and row and self.width and len(row) != self.width:
                        break  # a broken row may have swallowed rows: read them again
                else:
                    return
            except csv.Error as exc:
                first, last, lines = take()
                span = f" (lines {first}-{last}; the lines after {first} were read again)"
                yield first, last, f"malformed CSV: {exc}" + (span if last > first else "")
            pending.extendleft(reversed(lines[1:]))


class TsvReader(_Table):
    name = "tsv"
    suffixes = (".tsv",)

    def rows(self) -> Iterator[tuple[int, int, list[str] | str]]:
        for n, text, ok in self.decoded():
            if not ok:
                yield n, n, "invalid UTF-8"
                continue
            body = text[:-1] if text.endswith("\n") else text
            body = body[:-1] if body.endswith("\r") else body
            yield n, n, body.split("\t") if body else []


def cell(value: Any) -> str:
    """A value as one CSV/TSV field: strings as they are, null empty, a value JSON writes as
    a string (a Parquet date, decimal, bytes) as that string, the rest as JSON.

    >>> import datetime, decimal
    >>> cell(datetime.date(2015, 7, 21)), cell(decimal.Decimal("2.00")), cell(3), cell([1])
    ('2015-07-21', '2.00', '3', '[1]')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float | np.floating):
        value = finite_or_name(value)  # NaN and infinities by name, like json_bytes
        if isinstance(value, str):
            return value
    if not isinstance(value, bool | int | float | list | tuple | dict):
        value = json_default(value)
        if isinstance(value, str):
            return value
    return json_bytes(value).decode("utf-8")


class _TableWriter(RowWriter):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        # Lone surrogates (valid in JSON input, not in UTF-8) become their \uXXXX escapes.
        self._f: IO[str] = open(path, "w", encoding="utf-8", errors="backslashreplace",
                                newline="")  # fmt: skip

    def close(self) -> None:
        self._f.close()


class CsvWriter(_TableWriter):
    name = CsvReader.name
    suffix = ".csv"

    def start(self, columns: list[str]) -> None:
        self._w = csv.writer(self._f, lineterminator="\n")
        self._w.writerow(columns)

    def write_row(self, rec: Record, values: list[Any]) -> None:
        self._w.writerow([cell(v) for v in values])


class TsvWriter(_TableWriter):
    name = TsvReader.name
    suffix = ".tsv"

    def start(self, columns: list[str]) -> None:
        self._line(None, columns)

    def write_row(self, rec: Record, values: list[Any]) -> None:
        self._line(rec, [cell(v) for v in values])

    def _line(self, rec: Record | None, fields: list[str]) -> None:
        for name, value in zip(self.columns or fields, fields, strict=True):
            if "\t" in value or "\n" in value or "\r" in value:
                what = f"{shorten(name)!r} holds a tab or line break, which TSV cannot write (it "
                what += "has no quoting); use --output-format csv or jsonl"
                if rec is None:
                    raise RecordError(self.path.name, 0, f"column name {what}")
                raise self.refuse(rec, f"field {what}")
        self._f.write("\t".join(fields) + "\n")
