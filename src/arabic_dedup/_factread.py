"""Reading facts from a text's tokens (see :mod:`._facts`, which packs them into fingerprints
and judges pairs by them): the lexicon of number words, ordinals, dates and places in the
caller's normalisation, figures read digit by digit (groups, clock times), and each fact's
slot, the words either side. :func:`facts` is the fast path, :func:`facts_reference` the
definition it is tested against; the fused kernel (``kernels/facts.py``) reads the same.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Literal, NamedTuple

from ._factdata import (
    APPROX_HEADS,
    APPROX_TAILS,
    APPROX_WORDS,
    CARDINALS,
    DATE_SUFFIXES,
    DATES,
    GROUP_DIGITS,
    HOUR_WORDS,
    ORDINALS,
    PLACES,
    PREFIXES,
)
from ._normalize import NormalizerConfig, normalize

__all__ = [
    "Approximations",
    "Fact",
    "FactKind",
    "approximations",
    "facts",
    "facts_reference",
    "hours",
    "lexicon",
    "surface_lexicon",
]

FactKind = Literal["number", "ordinal", "date", "place"]


class Fact(NamedTuple):
    """One fact of a text: its kind, canonical value (what is compared), the word seen, and
    its slot: the words either side of it (what tells a formula's slot from a rewritten
    sentence). ``approximate``: a number after an approximation (نحو 12, أكثر من 12; see
    :data:`~arabic_dedup._factdata.APPROX_WORDS`), which never conflicts with another."""

    kind: FactKind
    value: str
    word: str
    before: str
    after: str
    approximate: bool = False


@functools.lru_cache(maxsize=8)
def lexicon(config: NormalizerConfig) -> dict[str, tuple[FactKind, str]]:
    """Normalised word -> (kind, canonical value), in the caller's normalisation."""
    table: dict[str, tuple[FactKind, str]] = {}

    def add(words: Iterable[str], kind: FactKind, value: str) -> None:
        for w in words:
            table.setdefault(normalize(w, config=config), (kind, value))

    for n, words in ORDINALS.items():
        add(words, "ordinal", str(n))
    for n, words in CARDINALS.items():
        add(words, "number", _canonical_number(n))
    for v, words in DATES.items():
        add(words, "date", v)
    for entry in PLACES.split():
        spellings = entry.split("|")
        add(spellings, "place", normalize(spellings[0], config=config))
    return table


def _number_digits(token: str) -> tuple[str, bool] | None:
    """A number token (digits, perhaps behind one glued prefix letter, perhaps followed by one
    calendar letter: 1436هـ, 2015م) -> (its digits in ASCII, whether a calendar letter
    follows); ``None`` for any other token."""
    body = token[1:] if token[:1] in PREFIXES and len(token) > 1 else token
    dated = len(body) > 1 and body[-1] in DATE_SUFFIXES
    if dated:
        body = body[:-1]
    # Decimal digits of any script (what int() reads; superscripts are digits but not decimal),
    # read as a string: int() refuses more than sys.get_int_max_str_digits() digits.
    if not body.isdecimal():
        return None
    return "".join(str(unicodedata.decimal(c)) for c in body), dated


def _digits_value(digits: str) -> str:
    """A figure's value: its digits without leading or trailing zeros, so ``12,000``, ``12000``
    and ``12 ألف`` all give ``12``; ``""`` for zero (no fact)."""
    return digits.lstrip("0").rstrip("0")


def _is_group(token: str) -> bool:
    return len(token) == GROUP_DIGITS and token.isdecimal()


def _read_number(
    tokens: Sequence[str], i: int, is_hour: Callable[[str], bool]
) -> tuple[str, int] | None:
    """The figure that starts at number token ``tokens[i]``: (value, index of its last token),
    or ``None`` when ``tokens[i]`` is no number or its value is zero.

    - Digit groups: tokens of :data:`GROUP_DIGITS` digits right after it continue it
      (12,794 and 15.541 are split at the separator: the figure is 12794, not 12 beside 794).
    - Clock times: an hour 13..24 right after an hour word (:data:`HOUR_WORDS`) is read on a
      12-hour clock, so that الساعة 16:00 and الساعة 4:00 agree.
    """
    got = _number_digits(tokens[i])
    if got is None:
        return None
    digits, dated = got
    value = _digits_value(digits)
    if not value:
        return None
    end = i
    if not dated:
        while end + 1 < len(tokens) and _is_group(tokens[end + 1]):
            end += 1
            digits += "".join(str(unicodedata.decimal(c)) for c in tokens[end])
        value = _digits_value(digits)
    hour = digits.lstrip("0")
    if end == i and not dated and i > 0 and len(hour) == 2 and 13 <= int(hour) <= 24:
        if is_hour(tokens[i - 1]):
            value = _canonical_number(int(digits) - 12)
    return value, end


def _canonical_number(n: int) -> str:
    return str(n).rstrip("0")


def _lookup(token: str, lexicon: dict[str, tuple[FactKind, str]]) -> tuple[FactKind, str] | None:
    hit = lexicon.get(token)
    if hit is not None:
        return hit
    if len(token) > 2 and token[0] in PREFIXES:
        rest = token[1:]
        hit = lexicon.get(rest)
        if hit is None and rest.startswith("ل") and len(rest) > 2:
            hit = lexicon.get("ا" + rest)  # للرياض = ل + الرياض
        if hit is None and len(rest) > 2 and rest[0] in PREFIXES:
            hit = lexicon.get(rest[1:])  # وبالرياض
        return hit
    return None


def _surface_forms(lexicon: dict[str, tuple[FactKind, str]]) -> dict[str, tuple[FactKind, str]]:
    """Every token :func:`_lookup` accepts in ``lexicon`` -> its hit, precomputed: one dict
    probe per token instead of up to four (``test_facts`` proves it equal to the reference)."""
    out = dict(lexicon)
    passes: list[dict[str, tuple[FactKind, str]]] = [{}, {}, {}]
    for w, hit in lexicon.items():
        for p in PREFIXES:
            passes[0].setdefault(p + w, hit)  # والرياض
            if w.startswith("ال") and len(w) - 1 > 2:
                passes[1].setdefault(p + w[1:], hit)  # للرياض = ل + الرياض
            for q in PREFIXES:
                if len(q + w) > 2:
                    passes[2].setdefault(p + q + w, hit)  # وبالرياض
    for table in passes:
        for t, hit in table.items():
            if len(t) > 2:
                out.setdefault(t, hit)
    return out


@functools.lru_cache(maxsize=8)
def surface_lexicon(config: NormalizerConfig) -> dict[str, tuple[FactKind, str]]:
    """The lexicon's surface forms (the fast path's table)."""
    return _surface_forms(lexicon(config))


@functools.lru_cache(maxsize=8)
def _hour_words(config: NormalizerConfig) -> dict[str, tuple[FactKind, str]]:
    """The hour words (:data:`HOUR_WORDS`), normalised (a lexicon for :func:`_lookup`)."""
    return {normalize(w, config=config): ("number", "") for w in HOUR_WORDS}


@functools.lru_cache(maxsize=8)
def hours(config: NormalizerConfig) -> frozenset[str]:
    """Every token :func:`_lookup` accepts as an hour word (والساعة, بالساعة, للساعة)."""
    return frozenset(_surface_forms(_hour_words(config)))


class Approximations(NamedTuple):
    """The approximation words of one normalisation as tokens: ``words`` and ``heads`` in
    every surface form (لأكثر), ``tails`` plain."""

    words: frozenset[str]
    heads: frozenset[str]
    tails: frozenset[str]

    def before(self, tokens: Sequence[str], i: int) -> bool:
        """Whether the figure at ``tokens[i]`` follows an approximation."""
        prev = tokens[i - 1] if i > 0 else ""
        if prev in self.words:
            return True
        return prev in self.tails and i > 1 and tokens[i - 2] in self.heads


@functools.lru_cache(maxsize=32)
def _plain(words: tuple[str, ...], config: NormalizerConfig) -> dict[str, tuple[FactKind, str]]:
    return {normalize(w, config=config): ("number", "") for w in words}


@functools.lru_cache(maxsize=8)
def approximations(config: NormalizerConfig) -> Approximations:
    """The approximation words (:data:`APPROX_WORDS`, heads and tails) in ``config``'s
    normalisation, as :func:`_lookup` accepts them."""
    return Approximations(
        frozenset(_surface_forms(_plain(APPROX_WORDS, config))),
        frozenset(_surface_forms(_plain(APPROX_HEADS, config))),
        frozenset(_plain(APPROX_TAILS, config)),
    )


def _approximate_reference(tokens: Sequence[str], i: int, config: NormalizerConfig) -> bool:
    """:meth:`Approximations.before` read word by word with :func:`_lookup` (the definition)."""
    prev = tokens[i - 1] if i > 0 else ""
    if _lookup(prev, _plain(APPROX_WORDS, config)) is not None:
        return True
    return (
        prev in _plain(APPROX_TAILS, config)
        and i > 1
        and _lookup(tokens[i - 2], _plain(APPROX_HEADS, config)) is not None
    )


def facts_reference(tokens: Sequence[str], config: NormalizerConfig) -> list[Fact]:
    """The facts of ``tokens`` read word by word from the plain lexicon (no precomputed
    surface forms): the specification :func:`facts` and the fused kernel are tested against."""
    table = lexicon(config)
    hour_words = _hour_words(config)
    out: list[Fact] = []
    n = len(tokens)
    i = 0
    while i < n:
        tok = tokens[i]
        end = i
        hit: tuple[FactKind, str] | None
        if _number_digits(tok) is not None:
            read = _read_number(tokens, i, lambda t: _lookup(t, hour_words) is not None)
            hit, end = (None, i) if read is None else (("number", read[0]), read[1])
        else:
            hit = _lookup(tok, table)
        if hit is not None:
            approx = hit[0] == "number" and _approximate_reference(tokens, i, config)
            out.append(_fact(tokens, i, end, hit, approx))
        i = end + 1
    return out


def _fact(
    tokens: Sequence[str], i: int, end: int, hit: tuple[FactKind, str], approximate: bool
) -> Fact:
    """The fact ``hit`` read from ``tokens[i..end]``, its slot the words either side."""
    before = tokens[i - 1] if i > 0 else ""
    after = tokens[end + 1] if end + 1 < len(tokens) else ""
    return Fact(hit[0], hit[1], ",".join(tokens[i : end + 1]), before, after, approximate)


def facts(tokens: Sequence[str], /, *, normalizer: NormalizerConfig | None = None) -> list[Fact]:
    """The facts of a token sequence (as :func:`arabic_dedup.tokens` gives it), in text order.

    >>> from arabic_dedup import tokens
    >>> [(f.kind, f.value) for f in facts(tokens("وصلت الطائرة الخامسة إلى عدن تحمل 12,000 طن"))]
    [('ordinal', '5'), ('place', 'عدن'), ('number', '12')]
    >>> [f.value for f in facts(tokens("سجل 12,794 خريجا حتى الساعة 16:00"))]
    ['12794', '4']
    """
    config = normalizer or NormalizerConfig()
    get = surface_lexicon(config).get
    hour_set = hours(config)
    approx = approximations(config)
    out: list[Fact] = []
    n = len(tokens)
    i = 0
    while i < n:
        tok = tokens[i]
        hit = get(tok)
        end = i
        # a number ends in a digit, or in a digit and a calendar letter (1436هـ)
        if hit is None and (tok[-1:].isdigit() or tok[-2:-1].isdigit()):
            read = _read_number(tokens, i, hour_set.__contains__)
            if read is not None:
                hit, end = ("number", read[0]), read[1]
        if hit is not None:
            out.append(_fact(tokens, i, end, hit, hit[0] == "number" and approx.before(tokens, i)))
        i = end + 1
    return out
