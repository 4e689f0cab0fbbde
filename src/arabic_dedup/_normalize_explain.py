"""``explain()``'s bookkeeping: the normaliser's steps run on text that remembers its origin.

:func:`trace` walks the same step list as ``normalize`` (:func:`._normalize_steps.run`), on a
medium of segments: spans of the input with what they have become so far and which steps
touched them. Tables map each segment; a rewrite's edits replace spans of the current text,
merging the segments they cross.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ._normalize_config import NormalizerConfig
from ._normalize_steps import STEP_RANK, CharTable, Edit, Rewrite, run, table_steps

__all__ = ["Change", "Explanation", "trace"]


@dataclass(frozen=True, slots=True)
class Change:
    """One input character (or composed cluster) that the normaliser changed."""

    step: str
    """The first step, in :data:`STEPS` order, that changed it."""
    position: int
    """Index of the first changed code point in the input text."""
    original: str
    """The input code point(s)."""
    replacement: str
    """What they became in the normalised text ("" = deleted)."""

    def __str__(self) -> str:
        before, after = _show(self.original), _show(self.replacement)
        return f"{self.step}  pos {self.position}  {before} -> {after}"


def _show(text: str) -> str:
    if not text:
        return "'' (deleted)"
    if len(text) > 4:
        return repr(text)
    return f"{text!r} " + " ".join(f"U+{ord(ch):04X}" for ch in text)


@dataclass(frozen=True, slots=True)
class Explanation:
    """What :func:`explain` found: the input, its normal form, and every change."""

    text: str
    normalized: str
    changes: list[Change]

    def __str__(self) -> str:
        if not self.changes:
            return "no changes"
        step_width = max(len(change.step) for change in self.changes)
        pos_width = max(len(str(change.position)) for change in self.changes)
        return "\n".join(
            f"{change.step:<{step_width}}  pos {change.position:<{pos_width}}  "
            f"{_show(change.original)} -> {_show(change.replacement)}"
            for change in self.changes
        )


@dataclass(slots=True)
class _Segment:
    """Input code points [start, end) and what they have become so far."""

    start: int
    end: int
    out: str
    steps: set[str]


@functools.lru_cache(maxsize=16)
def _first_steps(config: NormalizerConfig) -> dict[int, str]:
    """For each code point the config changes, the first step (in order) that changes it."""
    first: dict[int, str] = {}
    for step, table in table_steps(config):
        for cp, out in table.items():
            if out != chr(cp):
                first.setdefault(cp, step)
    return first


def _edit(segments: list[_Segment], edits: list[Edit], step: str) -> list[_Segment]:
    """Replace spans of the current output; a span crossing segments merges them.

    Builds a new list in one pass (edits sorted, non-overlapping), so explaining a long text
    with many edits stays linear.
    """
    if not edits:
        return segments
    owner: list[int] = []
    starts: list[int] = []
    for index, segment in enumerate(segments):
        starts.append(len(owner))
        owner.extend([index] * len(segment.out))
    groups: list[tuple[int, int, list[Edit]]] = []
    for edit in sorted(edits):
        first, last = owner[edit[0]], owner[edit[1] - 1]
        if groups and first <= groups[-1][1]:
            group_first, group_last, group_edits = groups[-1]
            group_edits.append(edit)
            groups[-1] = (group_first, max(group_last, last), group_edits)
        else:
            groups.append((first, last, [edit]))
    result: list[_Segment] = []
    cursor = 0
    for first, last, group_edits in groups:
        result.extend(segments[cursor:first])
        merged = segments[first : last + 1]
        base = starts[first]
        out = "".join(segment.out for segment in merged)
        for start, stop, replacement in reversed(group_edits):
            out = out[: start - base] + replacement + out[stop - base :]
        steps = {step}.union(*(segment.steps for segment in merged))
        result.append(_Segment(merged[0].start, merged[-1].end, out, steps))
        cursor = last + 1
    result.extend(segments[cursor:])
    return result


class _Trace:
    """The steps' medium for explain: a list of segments (see the module docstring)."""

    def text(self, value: list[_Segment]) -> str:
        return "".join(segment.out for segment in value)

    def table(self, value: list[_Segment], table: CharTable) -> list[_Segment]:
        # Each segment is mapped on its own, and blamed on the earliest step that changes
        # one of its characters.
        mapping = table.mapping
        first = _first_steps(table.config)
        for segment in value:
            changed = [ch for ch in segment.out if ord(ch) in mapping]
            if changed:
                segment.steps.add(
                    min((first[ord(ch)] for ch in changed), key=STEP_RANK.__getitem__)
                )
                segment.out = segment.out.translate(mapping)
        for step, rewrite in table.tidy:
            value = self.rewrite(value, step, rewrite)
        return value

    def rewrite(self, value: list[_Segment], step: str, rewrite: Rewrite) -> list[_Segment]:
        return _edit(value, rewrite.edits(self.text(value)), step)


_TRACE = _Trace()


def trace(text: str, table: CharTable) -> list[Change]:
    """Every change the steps of ``table.config`` make to ``text``, in input order."""
    segments = run([_Segment(i, i + 1, ch, set()) for i, ch in enumerate(text)], table, _TRACE)
    return [
        Change(
            step=min(segment.steps, key=STEP_RANK.__getitem__) if segment.steps else "compose",
            position=segment.start,
            original=text[segment.start : segment.end],
            replacement=segment.out,
        )
        for segment in segments
        if segment.out != text[segment.start : segment.end]
    ]
