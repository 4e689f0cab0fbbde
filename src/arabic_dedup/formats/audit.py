"""What reading noticed that is not an error but would surprise: no silent fallbacks.

:class:`InputAudit` watches every good record of pass 1 and reports, for ``report.json``
(``input_checks``) and as warning lines (``warnings``, which the CLI prints on stderr):

* empty and whitespace-only texts (they are kept, each unique: they never join anything);
* texts with no words after normalisation (only emoji, punctuation or symbols): the same;
* ids that occur more than once (``duplicate_of`` cannot tell those records apart);
* records without the id field (or with a null one), whose ids fall back to their location;
  when the id field was asked for explicitly and *no* record has it, that is an error naming
  the fields the records do have;
* inputs that hold no records (an empty file, a folder without ``.txt`` files).

Values quoted in these messages are cut to :data:`SHOWN_CHARS` characters (:func:`shorten`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .._errors import ConfigError
from .base import Record, shorten, shown_names
from .jsonl import json_bytes

__all__ = ["LISTED_IDS", "SHOWN_IDS", "InputAudit"]

#: At most this many ids are listed per check in report.json (the count is always exact).
LISTED_IDS = 100
#: ... and this many in a warning line.
SHOWN_IDS = 5
# Field names are collected from this many records for the "no record has it" message.
_FIELD_SAMPLE = 100


def _show(value: Any) -> str:
    return shorten(repr(value))


def _count(n: int, word: str) -> str:
    """``1 record``, ``2 records``."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _of(n: int, total: int) -> str:
    """``1 of 4 records has``, ``3 of 4 records have``."""
    return f"{n:,} of {_count(total, 'record')} " + ("has" if n == 1 else "have")


def _more(shown: list[str], total: int) -> str:
    return ", ".join(shown) + (f" and {total - len(shown):,} more" if total > len(shown) else "")


@dataclass
class _Listed:
    """Records of one kind: counted exactly, their ids listed up to :data:`LISTED_IDS`."""

    count: int = 0
    ids: list[Any] = field(default_factory=list)

    def add(self, id_: Any) -> None:
        self.count += 1
        if len(self.ids) < LISTED_IDS:
            self.ids.append(id_)

    def report(self) -> dict[str, Any]:
        return {"count": self.count, "ids": self.ids}

    def shown(self) -> str:
        """The first :data:`SHOWN_IDS` ids for a warning line, and how many more."""
        return _more([_show(i) for i in self.ids[:SHOWN_IDS]], self.count)


@dataclass
class InputAudit:
    """Counts what pass 1 reads; :meth:`check` raises, :meth:`report`/:meth:`warnings` tell."""

    id_field: str
    require_id: bool = False  # the id field was named explicitly: none at all is an error
    source_field: str | None = None  # to be added to every record: none may have it already
    records: int = 0
    empty: _Listed = field(default_factory=_Listed)
    wordless: _Listed = field(default_factory=_Listed)
    missing_count: int = 0
    missing_where: list[str] = field(default_factory=list)  # "file line N" of the first few
    fields_seen: dict[str, None] = field(default_factory=dict)  # ordered set
    id_counts: Counter[bytes] = field(default_factory=Counter)
    id_values: dict[bytes, Any] = field(default_factory=dict)  # first value of a repeated id
    empty_inputs: list[tuple[str, str]] = field(default_factory=list)  # (input, why)

    def add(self, rec: Record, file: str, unit: str) -> None:
        """One good record of input ``file`` (``unit``: line or row)."""
        self.records += 1
        if self.source_field is not None and self.source_field in rec.fields:
            raise ConfigError(
                f"{file} {unit} {rec.line}: the record already has a field "
                f"{shorten(self.source_field)!r}, which --source-field would overwrite; "
                "choose another name for it"
            )
        if not rec.text.strip():
            self.empty.add(rec.id)
        if rec.fields.get(self.id_field) is None:
            self.missing_count += 1
            if len(self.missing_where) < SHOWN_IDS:
                self.missing_where.append(f"{file} {unit} {rec.line}")
        if self.records <= _FIELD_SAMPLE:
            self.fields_seen.update(dict.fromkeys(map(str, rec.fields)))
        # Ids are any JSON (or Parquet) value: compared by their JSON form, so 1 and "1" differ.
        key = json_bytes(rec.id)
        n = self.id_counts[key] = self.id_counts[key] + 1
        if n == 2:
            self.id_values[key] = rec.id

    def add_wordless(self, text: str, id_: Any) -> None:
        """A record whose text has no shingles (its words all normalise away); a blank text
        is told as empty instead."""
        if text.strip():
            self.wordless.add(id_)

    def end_input(self, name: str, records: int, *, folder: bool) -> None:
        """An input is read; ``records`` counts its good and bad records."""
        if records == 0:
            self.empty_inputs.append((name, "no .txt files" if folder else "no records"))

    def check(self) -> None:
        """Raise :class:`ConfigError` when the id field was asked for and no record has it."""
        if self.require_id and self.records and self.missing_count == self.records:
            raise ConfigError(
                f"no record has the id field {shorten(self.id_field)!r} "
                f"(fields: {shown_names(list(self.fields_seen))}); "
                "choose the id field with --id-field, or leave it unset to number the records"
            )

    def _repeated(self) -> list[tuple[Any, int]]:
        return [(self.id_values[k], n) for k, n in self.id_counts.items() if n > 1]

    def report(self) -> dict[str, Any]:
        """The ``input_checks`` section of report.json."""
        repeated = self._repeated()
        return {
            "empty_texts": self.empty.report(),
            "wordless_texts": self.wordless.report(),
            "repeated_ids": {
                "count": len(repeated),
                "records": sum(n for _, n in repeated),
                "ids": [{"id": v, "records": n} for v, n in repeated[:LISTED_IDS]],
            },
            "missing_ids": {
                "field": self.id_field,
                "count": self.missing_count,
                "first": self.missing_where,
            },
            "empty_inputs": [{"path": p, "reason": why} for p, why in self.empty_inputs],
        }

    def warnings(self) -> list[str]:
        """One line per surprise, without the ``warning:`` prefix (the CLI adds it)."""
        out = [f"{name}: {why} (an empty input)" for name, why in self.empty_inputs]
        if not self.records:
            out.append("no records in any input: the outputs are empty")
            return out
        if self.empty.count:
            out.append(
                f"{_of(self.empty.count, self.records)} an empty or "
                f"whitespace-only text (ids {self.empty.shown()}): each is kept as "
                "unique and never joined to another; report.json lists them under "
                "input_checks.empty_texts"
            )
        if self.wordless.count:
            out.append(
                f"{_of(self.wordless.count, self.records)} a text with no words after "
                f"normalisation, only emoji, punctuation or symbols (ids "
                f"{self.wordless.shown()}): each is kept as unique and never joined "
                "to another, not even to the same text; report.json lists them under "
                "input_checks.wordless_texts"
            )
        if 0 < self.missing_count < self.records:
            f = shorten(self.id_field)
            out.append(
                f"{_of(self.missing_count, self.records)} no {f!r} field (or "
                "it is null): their ids are where they start in the input "
                f"({_more(self.missing_where, self.missing_count)})"
            )
        repeated = self._repeated()
        if repeated:
            shown = [f"{_show(v)} x{n:,}" for v, n in repeated[:SHOWN_IDS]]
            records = _count(sum(n for _, n in repeated), "record")
            verb = "occurs" if len(repeated) == 1 else "occur"
            out.append(
                f"{_count(len(repeated), 'id')} {verb} more than once ({records}; "
                f"{_more(shown, len(repeated))}): duplicate_of cannot tell those records "
                "apart; give every record a unique id"
            )
        return out
