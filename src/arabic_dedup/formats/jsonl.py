"""JSON Lines: the reader and the writer (the output format of .txt and mixed inputs).

Reading: one JSON object per line, blank lines skipped. Anything Python's parser refuses is a
bad record of that line: syntax errors, nesting beyond its recursion limit, integers longer
than its 4,300-digit limit.

Writing: a JSONL record is written back as its original bytes (a duplicate gets its two new
fields inserted before the closing brace), so it comes out exactly as it went in, lone
surrogate escapes (``"\\ud800"``, valid JSON) included. Values that must be serialised are
UTF-8 JSON in which a lone surrogate, which UTF-8 cannot encode, is written as its
``\\uXXXX`` escape: the same JSON value, and a file any UTF-8 reader accepts.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from .base import (
    DUPLICATE_FIELDS,
    SIMILARITY_DIGITS,
    BadRecord,
    Reader,
    Record,
    Writer,
    duplicate_fields,
    json_type,
)

__all__ = [
    "DUPLICATE_FIELDS",
    "SIMILARITY_DIGITS",
    "JsonlReader",
    "JsonlWriter",
    "finite_or_name",
    "json_bytes",
    "json_default",
    "write_json",
]


class JsonlReader(Reader):
    name = "jsonl"
    suffixes = (".jsonl", ".ndjson", ".json")

    def records(self) -> Iterator[Record | BadRecord]:
        for n, line in self.lines():
            body = line.rstrip(b"\r\n")
            if not body.strip():
                continue  # blank lines are not records
            parsed = self._parse(n, body)
            yield parsed if isinstance(parsed, Record) else BadRecord(self.file, n, parsed)

    def _parse(self, n: int, body: bytes) -> Record | str:
        """The record on line ``n``, or why it is bad."""
        try:
            obj = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError as exc:
            return f"invalid UTF-8 at byte {exc.start + 1} of the line"
        except json.JSONDecodeError as exc:
            return f"malformed JSON: {exc.msg} (column {exc.colno})"
        except RecursionError:
            return "malformed JSON: nested too deeply to parse"
        except ValueError as exc:  # e.g. an integer beyond Python's 4,300-digit limit
            return f"malformed JSON: {str(exc).split(';')[0]}"
        if not isinstance(obj, dict):
            return f"expected a JSON object, got {json_type(obj)}"
        f = self.text_field
        if f not in obj:
            return f"no {f!r} field (choose the text field with --text-field)"
        if not isinstance(obj[f], str):
            return f"field {f!r} is {json_type(obj[f])}, not a string"
        return Record(n, self.record_id(obj.get(self.id_field), n), obj[f], obj, body, self.file)


def json_default(value: object) -> Any:
    """JSON for values Parquet can hold and JSON cannot (dates, decimals, bytes, NumPy)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def json_bytes(value: object, *, indent: int | None = None) -> bytes:
    """``value`` as UTF-8 JSON; lone surrogates (only possible inside strings) become their
    ``\\uXXXX`` escapes, which is what ``backslashreplace`` writes for them. A number JSON
    cannot hold (NaN, infinity: a Parquet float, or ``1e400`` read from JSON) is written as
    the string ``"NaN"``, ``"Infinity"`` or ``"-Infinity"``, never as the invalid bare word.

    >>> json_bytes({"id": float("inf"), "x": [float("nan"), 1.5]})
    b'{"id": "Infinity", "x": ["NaN", 1.5]}'
    """
    try:
        text = json.dumps(
            value, ensure_ascii=False, indent=indent, default=json_default, allow_nan=False
        )
    except ValueError:  # a non-finite float somewhere (rare: only then is the value walked)
        text = json.dumps(
            finite_or_name(value), ensure_ascii=False, indent=indent, default=json_default,
            allow_nan=False,
        )  # fmt: skip
    return text.encode("utf-8", "backslashreplace")


def finite_or_name(value: Any) -> Any:
    """``value`` with every non-finite float replaced by its name as a string."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, np.floating):
        return finite_or_name(float(value))
    if isinstance(value, dict):
        return {k: finite_or_name(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_name(v) for v in value]
    return value


def write_json(path: Path, value: object) -> None:
    """One indented JSON document (the report)."""
    path.write_bytes(json_bytes(value, indent=2) + b"\n")


class JsonlWriter(Writer):
    """Writes records to a JSONL file: kept records as read, duplicates with their fields."""

    name = JsonlReader.name
    suffix = ".jsonl"

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._f: IO[bytes] = open(path, "wb")  # closed by __exit__

    def close(self) -> None:
        self._f.close()

    def unique(self, rec: Record, extra: dict[str, Any] | None = None) -> None:
        """A kept record as read, with ``extra`` fields appended if given (``--cluster-fields``,
        ``--source-field``)."""
        if extra:
            self._with_fields(rec, extra)
        else:
            self._f.write((rec.raw if rec.raw is not None else json_bytes(rec.fields)) + b"\n")

    def duplicate(
        self, rec: Record, dup_of: Any, sim: float, extra: dict[str, Any] | None = None
    ) -> None:
        self._with_fields(rec, {**(extra or {}), **duplicate_fields(dup_of, sim)})

    def _with_fields(self, rec: Record, extra: dict[str, Any]) -> None:
        if rec.raw is not None and not any(k in rec.fields for k in extra):
            # Keep the original bytes of every field (number formatting, escapes, spacing)
            # and append the new fields before the closing brace.
            body = rec.raw.rstrip()
            tail = b", ".join(json_bytes(k) + b": " + json_bytes(v) for k, v in extra.items())
            sep = b", " if rec.fields else b""
            self._f.write(body[:-1] + sep + tail + b"}\n")
        else:
            self._f.write(json_bytes({**rec.fields, **extra}) + b"\n")
