"""Which document of a cluster is kept: the keep order every engine visits documents in.

Stars are built in keep order (``_cluster``), so the most preferred document of a cluster is
its representative. The order is input order, longest first, a :class:`KeepRule` made from
data about the texts (earliest or latest by a date or number, a source priority), or a
caller's key. :class:`KeepFields` is the same rule named by record fields, as the CLI's
``--keep``, ``--keep-by``, ``--prefer-field`` and ``--prefer`` give it: the file engine
collects the values record by record (:class:`FieldCollector`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ._errors import ConfigError, InputError

__all__ = [
    "KEEP_ORDERS",
    "KEEP_POLICIES",
    "FieldCollector",
    "KeepFields",
    "KeepOrder",
    "KeepPolicy",
    "KeepRule",
    "SortValues",
    "keep_order",
    "prefer_ranks",
]

KeepPolicy = Literal["first", "longest"]
KEEP_POLICIES: tuple[KeepPolicy, ...] = ("first", "longest")


def keep_order(
    lengths: NDArray[np.int64], keep: KeepPolicy | KeepRule | Callable[[int], Any]
) -> NDArray[np.int64]:
    """Documents in keep priority (most preferred first): input order, longest first (ties
    in input order), by a :class:`KeepRule` (the data: earliest, latest, a source priority),
    or by ``keep(index)`` ascending (ties in input order)."""
    n = lengths.size
    if keep == "first":
        return np.arange(n, dtype=np.int64)
    if keep == "longest":
        return np.lexsort((np.arange(n), -lengths)).astype(np.int64)
    if isinstance(keep, KeepRule):
        keys = keep.sort_keys(lengths)
        return np.lexsort((np.arange(n), *reversed(keys))).astype(np.int64)
    if callable(keep):
        return np.array(sorted(range(n), key=lambda i: (keep(i), i)), dtype=np.int64)
    raise ConfigError(
        f"keep must be 'first', 'longest', a KeepRule or a callable index -> sort key, got {keep!r}"
    )


KeepOrder = Literal["first", "longest", "earliest", "latest"]
KEEP_ORDERS: tuple[KeepOrder, ...] = ("first", "longest", "earliest", "latest")
_BY_VALUE: tuple[KeepOrder, ...] = ("earliest", "latest")
_SORTABLE = "a number or an ISO 8601 date (2015-07-21, 2015-07-21T08:30:00+03:00)"


class SortValues:
    """``earliest`` / ``latest`` values, read one at a time: numbers, or dates and times
    (ISO 8601 strings, or date objects as Parquet and pandas give them; a time without a zone
    counts as UTC). A string holding a number is a number (CSV fields are strings). Missing
    values (None, NaN, NaT, NA, empty or blank strings) are NaN and sort last. One rule for
    every caller: values of both kinds in one run are an error, as is a string that is
    neither."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.kind: str | None = None  # "number" or "date", from the first value present

    def add(self, value: Any) -> str | None:
        """Add one value; returns why it cannot be used (then nothing is added), or None."""
        parsed = _sort_value(value)
        if isinstance(parsed, str):
            return parsed
        if parsed is None:
            self.values.append(float("nan"))
            return None
        kind, x = parsed
        if self.kind is None:
            self.kind = kind
        elif kind != self.kind:
            return (
                f"{_shown(value)} is a {kind} where earlier records hold {self.kind}s; "
                "earliest/latest compares values of one kind"
            )
        self.values.append(x)
        return None

    def array(self) -> NDArray[np.float64]:
        return np.array(self.values, dtype=np.float64)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _sort_value(value: Any) -> tuple[str, float] | str | None:
    import datetime as dt
    import math

    try:
        if value is None or bool(value != value):  # NaN, and pandas' NaT
            return None
    except TypeError:  # pandas' NA: its truth is undefined
        return None
    if isinstance(value, bool):
        return f"{value!r} is a boolean, not {_SORTABLE}"
    if isinstance(value, int | float | np.integer | np.floating):
        return "number", float(value)
    if isinstance(value, dt.datetime | dt.date):
        return "date", _timestamp(value)
    if not isinstance(value, str):
        return f"{_shown(value)} is a {type(value).__name__}, not {_SORTABLE}"
    text = value.strip()
    if not text:
        return None
    try:
        x = float(text)
    except ValueError:
        pass
    else:
        return None if math.isnan(x) else ("number", x)
    try:
        return "date", _timestamp(dt.datetime.fromisoformat(text))
    except ValueError:
        return f"{_shown(value)} is not {_SORTABLE}"


def _timestamp(value: Any) -> float:
    import datetime as dt

    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return float(value.timestamp())


@dataclass(frozen=True)
class KeepRule:
    """Which text of a cluster is kept, from data about the texts.

    ``order``: ``first`` (input order), ``longest``, ``earliest`` or ``latest`` (smallest or
    largest of ``by``, one value per text: numbers, or ISO 8601 dates; missing values are
    placed last). ``prefer``: values of ``prefer_by`` (one per text, e.g. each text's source)
    in priority order: a text whose value is earlier in the list is kept first, texts with
    another or no value come after every listed one; ``order`` decides among equals, then
    input order.

    >>> rule = KeepRule("earliest", by=["2015-07-21", "2015-07-20", None, "2015-07-20"])
    >>> keep_order(np.zeros(4, dtype=np.int64), rule).tolist()
    [1, 3, 0, 2]
    >>> rule = KeepRule(prefer=["spa"], prefer_by=["sabq", "spa", "okaz"])
    >>> keep_order(np.zeros(3, dtype=np.int64), rule).tolist()
    [1, 0, 2]
    """

    order: KeepOrder = "first"
    by: Sequence[Any] | NDArray[Any] | None = None
    prefer: Sequence[Any] = ()
    prefer_by: Sequence[Any] | None = None

    def __post_init__(self) -> None:
        if self.order not in KEEP_ORDERS:
            raise ConfigError(
                f"KeepRule order must be one of {', '.join(KEEP_ORDERS)}, got {self.order!r}"
            )
        if (self.order in _BY_VALUE) != (self.by is not None):
            raise ConfigError(
                f"KeepRule order {self.order!r} "
                + ("needs by=, one value per text" if self.by is None else "takes no by= values")
                + "; by= goes with earliest or latest"
            )
        if bool(self.prefer) != (self.prefer_by is not None):
            raise ConfigError(
                "KeepRule prefer= (the values in priority order) and prefer_by= (each text's "
                "value) go together; give both or neither"
            )
        if isinstance(self.prefer, str):
            raise ConfigError(
                f"KeepRule prefer= is a list of values, got the string {self.prefer!r}; "
                f"wrap it: prefer=[{self.prefer!r}]"
            )
        object.__setattr__(self, "prefer", tuple(self.prefer))

    def describe(self) -> dict[str, Any]:
        """The rule as reports record it (the values themselves are left out)."""
        return {"order": self.order, "prefer": list(self.prefer)}

    def sort_keys(self, lengths: NDArray[np.int64]) -> list[NDArray[Any]]:
        """The keys this rule sorts by, most significant first (input order breaks ties)."""
        n = lengths.size
        keys: list[NDArray[Any]] = []
        if self.prefer_by is not None:
            values = self._per_text(self.prefer_by, "prefer_by", n)
            keys.append(prefer_ranks(values, self.prefer))
        if self.order == "longest":
            keys.append(-lengths)
        elif self.by is not None:
            if isinstance(self.by, np.ndarray) and self.by.dtype.kind == "f":
                values_f = self.by.astype(np.float64)  # already parsed (the file engine)
            else:
                sv = SortValues()
                for i, v in enumerate(self._per_text(self.by, "by", n)):
                    why = sv.add(v)
                    if why is not None:
                        raise InputError(f"KeepRule by= value of text #{i}: {why}")
                values_f = sv.array()
            missing = np.isnan(values_f)
            x = np.where(missing, 0.0, values_f)
            keys += [missing, x if self.order == "earliest" else -x]
        return keys

    @staticmethod
    def _per_text(
        values: Sequence[Any] | NDArray[Any], name: str, n: int
    ) -> Sequence[Any] | NDArray[Any]:
        if len(values) != n:
            raise InputError(f"KeepRule {name}= has {len(values)} values for {n} texts")
        return values


def prefer_ranks(values: Sequence[Any] | NDArray[Any], prefer: Sequence[Any]) -> NDArray[np.int64]:
    """Each value's position in ``prefer`` (``len(prefer)`` when absent or missing)."""
    rank = {v: i for i, v in reversed(list(enumerate(prefer)))}
    last = len(prefer)
    out = np.full(len(values), last, dtype=np.int64)
    for i, v in enumerate(values):
        try:
            out[i] = rank.get(v, last)
        except TypeError:  # unhashable (a list, a dict): never one of the preferred values
            pass
    return out


@dataclass(frozen=True)
class KeepFields:
    """A :class:`KeepRule` read from each record's fields (the CLI's ``--keep``,
    ``--keep-by``, ``--prefer-field`` and ``--prefer``): the file engine collects the values
    record by record (:meth:`collector`) and sorts by the rule they make.

    A record without the ``by`` field (or with null) is placed last; a value that is neither a
    number nor an ISO 8601 date is an error naming the record. ``prefer_field`` values are
    compared as text (a JSON number ``1`` matches ``"1"``); a record with another value, or
    none, comes after every listed one.
    """

    order: KeepOrder = "first"
    by: str | None = None
    prefer_field: str | None = None
    prefer: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.order not in KEEP_ORDERS:
            raise ConfigError(f"--keep must be one of {', '.join(KEEP_ORDERS)}, got {self.order!r}")
        if self.order in _BY_VALUE and self.by is None:
            raise ConfigError(
                f"--keep {self.order} needs --keep-by FIELD, the date or number field to compare"
            )
        if self.by is not None and self.order not in _BY_VALUE:
            raise ConfigError(
                f"--keep-by {self.by} needs --keep earliest or --keep latest "
                f"(got --keep {self.order})"
            )
        if bool(self.prefer) != (self.prefer_field is not None):
            raise ConfigError(
                "--prefer-field FIELD and --prefer VALUE,... go together (the field, and its "
                "values in priority order); give both or neither"
            )

    def describe(self) -> dict[str, Any]:
        """The rule as report.json records it."""
        return {
            "order": self.order,
            "by": self.by,
            "prefer_field": self.prefer_field,
            "prefer": list(self.prefer),
        }

    def collector(self) -> FieldCollector:
        return FieldCollector(self)


class FieldCollector:
    """Collects one run's :class:`KeepFields` values, one record at a time (8 bytes and a
    reference per record, never the records)."""

    def __init__(self, fields: KeepFields) -> None:
        self.fields = fields
        self.by = SortValues() if fields.by is not None else None
        self.preferred: list[str | None] = []
        self._prefer = set(fields.prefer)
        self._records = 0
        # The fields a flag names that no record has had yet (emptied as soon as they are seen).
        self._unseen = {n for n in (fields.by, fields.prefer_field) if n is not None}
        self._first: list[str] = []  # the first record's field names, for the message

    def add(self, record: dict[str, Any]) -> str | None:
        """Take one record's values; returns why they cannot be used, or None."""
        f = self.fields
        if not self._records:
            self._first = [str(k) for k in record]
        self._records += 1
        if self._unseen:
            self._unseen -= record.keys()
        if self.by is not None and f.by is not None:
            why = self.by.add(record.get(f.by))
            if why is not None:
                return (
                    f"field {f.by!r} (--keep-by): {why}; fix or remove the value "
                    "(records without the field are kept last)"
                )
        if f.prefer_field is not None:
            v = record.get(f.prefer_field)
            text = v if isinstance(v, str) or v is None else json.dumps(v, ensure_ascii=False)
            self.preferred.append(text if text in self._prefer else None)
        return None

    def rule(self) -> KeepRule:
        """The rule of the values collected; ConfigError when records were read but none had
        the field a flag names (a misspelt --keep-by would otherwise keep by input order)."""
        f = self.fields
        if self._records and self._unseen:
            flag, name = (
                ("--keep-by", f.by) if f.by in self._unseen else ("--prefer-field", f.prefer_field)
            )
            shown = ", ".join(repr(n) for n in self._first[:12])
            raise ConfigError(
                f"{flag} {name!r}: none of the {self._records:,} records has this field "
                f"(the first has {shown or 'no fields'}); check the name"
            )
        prefer_by = self.preferred if f.prefer_field is not None else None
        by = self.by.array() if self.by is not None else None
        return KeepRule(f.order, by=by, prefer=f.prefer, prefer_by=prefer_by)
