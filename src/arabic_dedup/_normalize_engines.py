"""The two engines that run the normaliser's steps on plain text: reference and fast.

Both implement the table pass (every code point through the compiled table, then the table's
tidy rewrites: the whitespace collapse) and the token split; everything else comes from the
step definitions in :mod:`._normalize_steps`, applied the same way by both.

* :data:`REFERENCE`: ``str.translate`` and the steps' own rewrites. Obviously correct.
* :data:`FAST`: NumPy gathers over UTF-32, one pass for a whole batch of texts.

Hypothesis tests prove them equal; :mod:`._normalize` chooses between them.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from . import _chardata
from ._normalize_steps import (
    DELETED,
    MAX_CODE_POINT,
    BoolArray,
    CharTable,
    Rewrite,
    U32Array,
)

__all__ = ["ENGINES", "FAST", "REFERENCE", "Engine"]

_SPACE: Final = 0x20
_NO_GROWTH: Final = np.zeros(0, dtype=np.int64)
_NO_POSITIONS: Final = np.zeros(0, dtype=np.intp)


class Engine(ABC):
    """Runs the steps on plain ``str`` (a :class:`~._normalize_steps.Medium` of ``str``)."""

    name: str

    def text(self, value: str) -> str:
        return value

    def rewrite(self, value: str, step: str, rewrite: Rewrite) -> str:
        return rewrite.apply(value)

    @abstractmethod
    def table(self, value: str, table: CharTable) -> str:
        """The table pass on one text."""

    @abstractmethod
    def table_many(self, texts: list[str], table: CharTable) -> list[str]:
        """The table pass on each of ``texts``."""

    @abstractmethod
    def split(self, text: str, table: CharTable) -> list[str]:
        """The non-empty runs of ``text`` between separator code points."""


# ---------------------------------------------------------------------------------------------
# Reference
# ---------------------------------------------------------------------------------------------


@functools.cache
def _separators_to_space() -> dict[int, int]:
    return {
        cp: _SPACE for first, last in _chardata.SEPARATOR_RANGES for cp in range(first, last + 1)
    }


class _Reference(Engine):
    name = "reference"

    def table(self, value: str, table: CharTable) -> str:
        value = value.translate(table.mapping)
        for _, rewrite in table.tidy:
            value = rewrite.apply(value)
        return value

    def table_many(self, texts: list[str], table: CharTable) -> list[str]:
        return [self.table(text, table) for text in texts]

    def split(self, text: str, table: CharTable) -> list[str]:
        return [token for token in text.translate(_separators_to_space()).split(" ") if token]


# ---------------------------------------------------------------------------------------------
# Fast
# ---------------------------------------------------------------------------------------------


def _code_points(text: str) -> U32Array:
    # surrogatepass: lone surrogates are valid str content and must round-trip.
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def _from_code_points(cps: U32Array) -> str:
    # Decoding straight from the array's buffer skips a bytes copy of the whole text.
    buffer: Any = np.ascontiguousarray(cps, dtype="<u4")
    return str(memoryview(buffer).cast("B"), "utf-32-le", "surrogatepass")


def _apply_table(
    cps: U32Array, table: CharTable, *, track: bool
) -> tuple[U32Array, npt.NDArray[np.intp], npt.NDArray[np.int64]]:
    """Map code points through the table with one full-size gather.

    Returns the output, the input positions whose output is not exactly one code point
    (sorted), and the running total of (output length - 1) over those positions, so callers
    can move input positions to output positions cheaply. The last two are only computed
    when ``track`` is set or some code point expands.
    """
    out: U32Array = table.single[cps]
    top = int(out.max()) if out.size else 0
    if top <= MAX_CODE_POINT:  # nothing deleted or expanded
        return out, _NO_POSITIONS, _NO_GROWTH
    if top == DELETED and not track:  # deletions only: the usual case for Arabic text
        return out[out <= MAX_CODE_POINT], _NO_POSITIONS, _NO_GROWTH
    odd = np.flatnonzero(out > MAX_CODE_POINT)
    odd_cps = cps[odd]
    odd_lengths = table.lengths[odd_cps].astype(np.int64)
    growth = np.cumsum(odd_lengths - 1)
    if top == DELETED:
        return out[out <= MAX_CODE_POINT], odd, growth
    is_exp = odd_lengths > 1
    exp = odd[is_exp]
    exp_lengths = odd_lengths[is_exp]
    offsets = table.exp_offsets[odd_cps[is_exp]].astype(np.int64)
    out[exp] = table.exp_data[offsets]  # the first output code point takes the slot
    rest = exp_lengths - 1
    rest_starts = np.cumsum(rest) - rest
    within = np.arange(int(rest.sum()), dtype=np.int64) - np.repeat(rest_starts, rest)
    tail = table.exp_data[np.repeat(offsets + 1, rest) + within]
    gone = odd[~is_exp]
    out = np.insert(out, np.repeat(exp + 1, rest), tail)
    # Deleted positions, moved past the expansions inserted before them.
    gone = gone + np.concatenate(([0], np.cumsum(rest)))[np.searchsorted(exp, gone)]
    return _without(out, gone), odd, growth


def _without(values: U32Array, positions: npt.NDArray[np.intp]) -> U32Array:
    """``np.delete`` for sorted positions, minus its argument handling."""
    if positions.size == 0:
        return values
    keep = np.ones(values.size, dtype=np.bool_)
    keep[positions] = False
    return values[keep]


def _output_positions(
    positions: npt.NDArray[np.int64], odd: npt.NDArray[np.intp], growth: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Where input positions (each the start of an input span) land in the output."""
    if odd.size == 0:
        return positions
    before = np.searchsorted(odd, positions)  # odd positions strictly before each position
    return positions + np.concatenate(([0], growth))[before]


class _Fast(Engine):
    name = "fast"

    def table(self, value: str, table: CharTable) -> str:
        return self.table_many([value], table)[0]

    def table_many(self, texts: list[str], table: CharTable) -> list[str]:
        """One vectorised pass over all ``texts``; boundaries are tracked, so no sentinel.

        The whitespace step's tidy rewrites (collapse runs, strip the ends) are done here with
        array operations: a shifted compare finds every space right after a space.
        """
        if not texts:
            return []
        one = len(texts) == 1
        collapse = table.config.whitespace
        out, odd, growth = _apply_table(
            _code_points(texts[0] if one else "".join(texts)), table, track=not one
        )
        bounds = np.zeros(len(texts) + 1, dtype=np.int64)
        if not one:
            np.cumsum(
                np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), out=bounds[1:]
            )
            bounds = _output_positions(bounds, odd, growth)
        if collapse:
            # A run straddling two texts only loses spaces that are leading in the later text,
            # which the per-text strip below removes anyway; so runs may be collapsed globally.
            spaces = out == _SPACE
            doubles = spaces[1:] & spaces[:-1]
            if doubles.any():
                keep = np.ones(out.size, dtype=np.bool_)
                keep[1:] = ~doubles
                out = out[keep]
                if not one:
                    bounds = bounds - np.searchsorted(np.flatnonzero(doubles) + 1, bounds)
        joined = _from_code_points(out)
        if one:
            return [joined.strip(" ") if collapse else joined]
        edges = bounds.tolist()
        if collapse:
            return [joined[edges[i] : edges[i + 1]].strip(" ") for i in range(len(texts))]
        return [joined[edges[i] : edges[i + 1]] for i in range(len(texts))]

    def split(self, text: str, table: CharTable) -> list[str]:
        return _split(text, table.is_sep)


def _split(text: str, is_sep: BoolArray) -> list[str]:
    if not text:
        return []
    inside = np.zeros(len(text) + 2, dtype=np.int8)
    inside[1:-1] = ~is_sep[_code_points(text)]
    edges = np.diff(inside)
    starts = np.flatnonzero(edges == 1).tolist()
    stops = np.flatnonzero(edges == -1).tolist()
    return [text[a:b] for a, b in zip(starts, stops, strict=True)]


REFERENCE: Final[Engine] = _Reference()
FAST: Final[Engine] = _Fast()
#: Both engines, by name (the values of ``ARABIC_DEDUP_IMPL`` that force one).
ENGINES: Final[dict[str, Engine]] = {engine.name: engine for engine in (REFERENCE, FAST)}
