"""The normaliser's steps, each defined once, and the one walk over them.

A step is named like its :class:`NormalizerConfig` field and is one of three kinds:

* ``compose`` — a rewrite before the table (NFC around combining madda/hamza);
* ``table`` — a generated character table from :mod:`._chardata`; all enabled ones are
  compiled into one closed :class:`CharTable` (:func:`compile_table`), so the order of steps
  cannot create bugs and one pass over the text is enough. A table step may add rewrites that
  complete every table pass (``whitespace``: collapse runs, strip the ends);
* ``text`` — a whole-text rewrite after everything else (``mask_numbers``,
  ``squeeze_repeats``).

:func:`run` walks them over a :class:`Medium`: the plain text of an engine (reference or fast,
:mod:`._normalize_engines`), or the text with its history for ``explain``
(:mod:`._normalize_explain`). A step knows nothing of the medium it runs on: a table is
a mapping, a rewrite says both how to apply itself and which spans it edits.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from . import _chardata
from ._errors import ConfigError
from ._normalize_config import NormalizerConfig

__all__ = [
    "DELETED",
    "EXPANDS",
    "MAX_CODE_POINT",
    "PIPELINE",
    "STEPS",
    "STEP_RANK",
    "CharTable",
    "Edit",
    "Medium",
    "Rewrite",
    "Step",
    "StripSpaces",
    "Substitute",
    "after_table",
    "before_table",
    "compile_table",
    "has_trigger",
    "run",
    "table_steps",
]

U8Array = npt.NDArray[np.uint8]
U32Array = npt.NDArray[np.uint32]
BoolArray = npt.NDArray[np.bool_]

#: An edit of the current text: replace ``text[start:stop]`` by the string.
Edit = tuple[int, int, str]

MAX_CODE_POINT: Final = 0x10FFFF
_N_CODE_POINTS: Final = 0x110000
# Markers in CharTable.single where the output is not one code point: one gather then tells
# the fast engine whether a text has deletions (max == DELETED) or expansions (max == EXPANDS).
DELETED: Final = 0xFFFFFFFE
EXPANDS: Final = 0xFFFFFFFF


# ---------------------------------------------------------------------------------------------
# Regexes over the pinned character classes
# ---------------------------------------------------------------------------------------------


def _char_class(ranges: Iterable[tuple[int, int]]) -> str:
    return "".join(f"\\U{first:08x}-\\U{last:08x}" for first, last in ranges)


_TRIGGERS: Final = tuple(chr(cp) for cp in _chardata.COMPOSE_TRIGGERS)
_COMBINING: Final = _char_class(_chardata.COMBINING_RANGES)
# A cluster = an optional base + its maximal run of combining marks. Matching every cluster
# and testing for U+0653–0655 afterwards keeps the scan linear; a pattern that demanded the
# trigger inside the run would backtrack quadratically on long runs of other marks.
_CLUSTER_RE: Final = re.compile(f"[^{_COMBINING}]?[{_COMBINING}]+")
_SPACE_RUN_RE: Final = re.compile(" {2,}")


@functools.cache
def _number_re() -> re.Pattern[str]:
    digit = f"[{_char_class(_chardata.DECIMAL_RANGES)}]"
    return re.compile(f"{digit}+(?:[.,\u066b\u066c]{digit}+)*")


@functools.cache
def _repeat_re() -> re.Pattern[str]:
    return re.compile(f"([{_char_class(_chardata.LETTER_RANGES)}])\\1{{2,}}")


def has_trigger(text: str) -> bool:
    """Whether ``text`` holds a combining madda/hamza U+0653–0655 (the compose step's cue)."""
    return any(trigger in text for trigger in _TRIGGERS)


def _compose_cluster(match: re.Match[str]) -> str:
    cluster = match.group()
    return unicodedata.normalize("NFC", cluster) if has_trigger(cluster) else cluster


def _fold_cluster(cluster: str, mapping: Mapping[int, str]) -> str:
    """Compose a cluster's base with its combining madda/hamza, mapping each result at once.

    The composition rules of NFC (marks in canonical order; a mark is blocked by an earlier
    uncomposed mark of the same class), except that every composed letter goes through the
    table before the next mark is tried: ا + U+0654 + U+0654 gives أ -> ا, then أ -> ا again,
    in one pass instead of one pass per hamza.
    """
    if not has_trigger(cluster) or unicodedata.combining(cluster[0]):
        return cluster
    base = cluster[0]
    kept: list[str] = []
    blocking = 0  # highest combining class among the marks left uncomposed so far
    for mark in sorted(cluster[1:], key=unicodedata.combining):  # stable: canonical order
        ccc = unicodedata.combining(mark)
        if blocking < ccc:
            pair = unicodedata.normalize("NFC", base + mark)
            if len(pair) == 1:
                letter = mapping.get(ord(pair), pair)
                if len(letter) != 1 or unicodedata.combining(letter):
                    return cluster  # not a plain letter: leave it to the general loop
                base = letter
                continue
        kept.append(mark)
        blocking = max(blocking, ccc)
    return base + "".join(kept)


# ---------------------------------------------------------------------------------------------
# Rewrites: whole-text steps, defined once for every medium
# ---------------------------------------------------------------------------------------------


class Rewrite(Protocol):
    """A whole-text rewrite: ``apply`` it, or list the ``edits`` it makes (for explain).

    Applying ``edits(text)`` to ``text`` gives ``apply(text)``.
    """

    def apply(self, text: str) -> str: ...

    def edits(self, text: str) -> list[Edit]: ...


@dataclass(frozen=True, slots=True)
class Substitute:
    """``pattern().sub(replacement, text)``, skipped when ``guard(text)`` is false.

    As edits: each match becomes one edit, or with ``per_char`` (for one-character
    replacements) its first character becomes the replacement and the others are deleted,
    so that explain reports every input character on its own.
    """

    pattern: Callable[[], re.Pattern[str]]
    replacement: str | Callable[[re.Match[str]], str]
    per_char: bool = False
    guard: Callable[[str], bool] | None = None

    def apply(self, text: str) -> str:
        if self.guard is not None and not self.guard(text):
            return text
        return self.pattern().sub(self.replacement, text)

    def edits(self, text: str) -> list[Edit]:
        if self.guard is not None and not self.guard(text):
            return []
        edits: list[Edit] = []
        replacement = self.replacement
        for match in self.pattern().finditer(text):
            new = match.expand(replacement) if isinstance(replacement, str) else replacement(match)
            start, stop = match.span()
            if not self.per_char:
                if new != match.group():
                    edits.append((start, stop, new))
                continue
            if new != text[start]:
                edits.append((start, start + 1, new))
            edits.extend((i, i + 1, "") for i in range(start + 1, stop))
        return edits


@dataclass(frozen=True, slots=True)
class StripSpaces:
    """``text.strip(" ")``; as edits, the deletion of each stripped space."""

    def apply(self, text: str) -> str:
        return text.strip(" ")

    def edits(self, text: str) -> list[Edit]:
        lead = len(text) - len(text.lstrip(" "))
        trail = len(text) - len(text.rstrip(" ")) if lead < len(text) else 0
        stripped = [*range(lead), *range(len(text) - trail, len(text))]
        return [(i, i + 1, "") for i in stripped]


_COMPOSE: Final = Substitute(lambda: _CLUSTER_RE, _compose_cluster, guard=has_trigger)


def _folding(mapping: Mapping[int, str]) -> Substitute:
    """The compose rewrite that also maps each composed letter (see :func:`_fold_cluster`)."""
    return Substitute(
        lambda: _CLUSTER_RE, lambda match: _fold_cluster(match.group(), mapping), guard=has_trigger
    )


# ---------------------------------------------------------------------------------------------
# The steps
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Step:
    """One normalisation step: its config field and what it does."""

    name: str
    """The :class:`NormalizerConfig` field that switches it; also the name explain reports."""
    kind: Literal["compose", "table", "text"]
    select: Callable[[NormalizerConfig], str | None] | None = None
    """Table steps with modes: the ``_chardata.STEP_TABLES`` entry a config selects (None:
    off). Without it, the table named like the step, when its field is True."""
    rewrites: tuple[Rewrite, ...] = ()
    """What the step does to the whole text (compose, text steps), or what completes each
    table pass (table steps)."""

    def table_name(self, config: NormalizerConfig) -> str | None:
        if self.select is not None:
            return self.select(config)
        return self.name if getattr(config, self.name) else None


#: Every step, in the order it is applied (and the order ``explain`` attributes changes in).
PIPELINE: Final[tuple[Step, ...]] = (
    Step("compose", "compose", rewrites=(_COMPOSE,)),
    Step("presentation_forms", "table"),
    Step("nfkc", "table"),
    # "delete" has no table of its own: the diacritics step deletes U+0670.
    Step(
        "dagger_alef", "table", select=lambda c: "dagger_alef" if c.dagger_alef == "alef" else None
    ),
    Step("diacritics", "table"),
    Step("tatweel", "table"),
    Step("invisibles", "table"),
    Step(
        "whitespace",
        "table",
        rewrites=(Substitute(lambda: _SPACE_RUN_RE, " ", per_char=True), StripSpaces()),
    ),
    Step("alef", "table"),
    Step("hamza", "table", select=lambda c: None if c.hamza == "keep" else f"hamza_{c.hamza}"),
    Step("alef_maksura", "table"),
    Step("teh_marbuta", "table"),
    Step("lookalikes", "table"),
    Step("persian_letters", "table"),
    Step("digits", "table"),
    Step("punctuation", "table"),
    Step("case", "table"),
    Step("mask_numbers", "text", rewrites=(Substitute(_number_re, "0", per_char=True),)),
    Step("squeeze_repeats", "text", rewrites=(Substitute(_repeat_re, r"\1", per_char=True),)),
)
STEPS: Final[tuple[str, ...]] = tuple(step.name for step in PIPELINE)
STEP_RANK: Final[dict[str, int]] = {step: rank for rank, step in enumerate(STEPS)}
_COMPOSE_STEPS: Final = tuple(step for step in PIPELINE if step.kind == "compose")
_TABLE_STEPS: Final = tuple(step for step in PIPELINE if step.kind == "table")
_TEXT_STEPS: Final = tuple(step for step in PIPELINE if step.kind == "text")


def table_steps(config: NormalizerConfig) -> list[tuple[str, dict[int, str]]]:
    """The enabled character tables, in application order, with their step names."""
    steps: list[tuple[str, dict[int, str]]] = []
    for step in _TABLE_STEPS:
        name = step.table_name(config)
        if name is not None:
            steps.append((step.name, _chardata.STEP_TABLES[name]))
    return steps


# ---------------------------------------------------------------------------------------------
# The compiled table
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CharTable:
    """One config's character steps, closed under themselves: each code point -> final output.

    ``mapping`` feeds ``str.translate`` (reference engine); the arrays, indexed by code point,
    feed the NumPy engine and the fused kernels. Arrays are read-only and shared.
    """

    lengths: U8Array
    """Output length per code point: 0 deletes, 1 maps to ``single``, >= 2 expands."""
    single: U32Array
    """The output code point where the length is 1 (identity for untouched code points);
    0xFFFFFFFE where the code point is deleted and 0xFFFFFFFF where it expands."""
    exp_offsets: U32Array
    """Where the expansion of a code point starts in ``exp_data`` (length >= 2 only)."""
    exp_data: U32Array
    """All expansions, back to back."""
    is_sep: BoolArray
    """True for output code points that separate tokens (Z*, P*, S*, Cc)."""
    mapping: dict[int, str]
    """Code point -> output for every code point the config changes."""
    config: NormalizerConfig
    tidy: tuple[tuple[str, Rewrite], ...] = ()
    """The rewrites that complete each table pass, with their step (whitespace collapse)."""


def _closure(steps: list[tuple[str, dict[int, str]]]) -> dict[int, str]:
    """Run every touched code point through all steps, repeatedly, until its output is stable.

    So ﻷ -> لأ -> لا and ﷺ -> صلى الله عليه وسلم -> صلي الله عليه وسلم whatever the step order.
    """
    touched: set[int] = set()
    for _, table in steps:
        touched.update(table)
    tables = [table for _, table in steps]

    def one_pass(text: str) -> str:
        for table in tables:
            text = text.translate(table)
        return text

    mapping: dict[int, str] = {}
    for cp in sorted(touched):
        out = chr(cp)
        for _ in range(16):
            nxt = one_pass(out)
            if nxt == out:
                break
            out = nxt
        else:  # pragma: no cover - would mean two steps undo each other
            raise RuntimeError(f"normaliser tables do not converge for U+{cp:04X}")
        if out != chr(cp):
            mapping[cp] = out
    return mapping


@functools.cache
def _separator_mask() -> BoolArray:
    mask = np.zeros(_N_CODE_POINTS, dtype=np.bool_)
    for first, last in _chardata.SEPARATOR_RANGES:
        mask[first : last + 1] = True
    mask.flags.writeable = False
    return mask


@functools.lru_cache(maxsize=16)
def compile_table(config: NormalizerConfig) -> CharTable:
    """Compile the enabled character steps of ``config`` into one closed table (cached).

    >>> table = compile_table(NormalizerConfig())
    >>> table.mapping[ord("ﻷ")]
    'لا'
    >>> int(table.lengths[ord("َ")]), chr(table.single[ord("ى")])
    (0, 'ي')
    """
    if not isinstance(config, NormalizerConfig):
        raise ConfigError(f"compile_table needs a NormalizerConfig; got {type(config).__name__}")
    mapping = _closure(table_steps(config))

    lengths = np.ones(_N_CODE_POINTS, dtype=np.uint8)
    single = np.arange(_N_CODE_POINTS, dtype=np.uint32)
    exp_offsets = np.zeros(_N_CODE_POINTS, dtype=np.uint32)
    keys = np.fromiter(mapping.keys(), dtype=np.int64, count=len(mapping))
    out_lengths = np.fromiter(map(len, mapping.values()), dtype=np.int64, count=len(mapping))
    if out_lengths.size and out_lengths.max() > 255:  # pragma: no cover - uint8 lengths
        raise RuntimeError("a normaliser expansion is longer than 255 code points")
    lengths[keys] = out_lengths
    single[keys[out_lengths == 0]] = DELETED
    single[keys[out_lengths >= 2]] = EXPANDS
    ones = out_lengths == 1
    single[keys[ones]] = [ord(out) for out in mapping.values() if len(out) == 1]
    expansions = [out for out in mapping.values() if len(out) >= 2]
    exp_keys = keys[out_lengths >= 2]
    exp_lengths = out_lengths[out_lengths >= 2]
    exp_offsets[exp_keys] = np.cumsum(exp_lengths) - exp_lengths
    exp_data = np.fromiter(
        (ord(ch) for out in expansions for ch in out), dtype=np.uint32, count=int(exp_lengths.sum())
    )
    for array in (lengths, single, exp_offsets, exp_data):
        array.flags.writeable = False
    tidy = tuple(
        (step.name, rewrite)
        for step in _TABLE_STEPS
        if step.table_name(config) is not None
        for rewrite in step.rewrites
    )
    return CharTable(
        lengths=lengths,
        single=single,
        exp_offsets=exp_offsets,
        exp_data=exp_data,
        is_sep=_separator_mask(),
        mapping=mapping,
        config=config,
        tidy=tidy,
    )


# ---------------------------------------------------------------------------------------------
# The walk
# ---------------------------------------------------------------------------------------------

V = TypeVar("V")


class Medium(Protocol[V]):
    """What the steps run on: plain text (an engine) or text with its history (explain)."""

    def text(self, value: V) -> str:
        """The current text."""
        ...

    def table(self, value: V, table: CharTable) -> V:
        """Map every code point through ``table``, then apply ``table.tidy``."""
        ...

    def rewrite(self, value: V, step: str, rewrite: Rewrite) -> V:
        """Apply one whole-text rewrite of ``step``."""
        ...


def run(value: V, table: CharTable, medium: Medium[V]) -> V:
    """Every step of ``table.config``, in order: compose, the table, then the text steps."""
    return after_table(medium.table(before_table(value, table, medium), table), table, medium)


def before_table(value: V, table: CharTable, medium: Medium[V]) -> V:
    """The steps before the table pass (a batch maps many texts in one pass between them)."""
    return _rewrite(value, _COMPOSE_STEPS, table.config, medium)


def after_table(value: V, table: CharTable, medium: Medium[V]) -> V:
    """The steps after the table pass: compose settles, then the whole-text steps."""
    config = table.config
    if config.compose and has_trigger(medium.text(value)):
        value = _settle(value, table, medium)
    return _rewrite(value, _TEXT_STEPS, config, medium)


def _rewrite(value: V, steps: tuple[Step, ...], config: NormalizerConfig, medium: Medium[V]) -> V:
    for step in steps:
        if getattr(config, step.name):
            for rewrite in step.rewrites:
                value = medium.rewrite(value, step.name, rewrite)
    return value


def _settle(value: V, table: CharTable, medium: Medium[V]) -> V:
    """Compose and map again until nothing composes (the output must be idempotent).

    Only reachable when combining madda/hamza survive the table (diacritics off) and a base
    that composes with them stands in front. :func:`_fold_cluster` settles every cluster in
    one linear pass; the loop after it is a safety net that normally checks once and stops
    (each round composes at least one pair, so it terminates).
    """
    (compose,) = _COMPOSE_STEPS
    before = medium.text(value)
    folded = medium.rewrite(value, compose.name, _folding(table.mapping))
    if medium.text(folded) != before:
        value = medium.table(folded, table)
    for _ in range(len(medium.text(value)) + 1):
        before = medium.text(value)
        composed = _rewrite(value, _COMPOSE_STEPS, table.config, medium)
        if medium.text(composed) == before:
            break
        value = medium.table(composed, table)
    return value
