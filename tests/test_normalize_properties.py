"""Hypothesis properties of the normaliser: total, idempotent, fast == reference.

The engines are called by name (never through ``ARABIC_DEDUP_IMPL`` or the length rule), so
every comparison below really runs both.

The text strategy is weighted toward the Arabic blocks and the characters the steps touch,
but also draws from every code point, surrogates and astral planes included.
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings

from arabic_dedup import _chardata
from arabic_dedup._errors import NormalizerTypeError
from arabic_dedup._normalize import (
    NormalizerConfig,
    compile_table,
    explain,
    normalize,
    normalize_many,
    normalize_many_with,
    normalize_with,
    tokens,
    tokens_with,
)
from arabic_dedup._normalize_config import FIELD_CHOICES
from arabic_dedup._normalize_engines import FAST, REFERENCE
from arabic_dedup._normalize_steps import PIPELINE, Rewrite

SPECIAL = (
    "\u0653\u0654\u0655"  # combining madda / hamza: the compose step
    "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670\u06d6\u06e1\u0301"  # marks
    "\u0640"  # tatweel
    "\u200b\u200c\u200d\u200e\u200f\u061c\u202b\u2066\u00ad\ufeff\ufe0f\u0600\u06dd"  # invisibles
    " \t\n\r\u00a0\u2028\u3000\u202f  "  # whitespace, plain space weighted up
    "اأإآٱؤئءىيةهکیە"  # letters the steps fold
    "٠١٢٫٬٪۴0123.,"  # digits and number punctuation
    "،؛؟«»“”‘’!-"  # punctuation
    "ﷺﷲ﷽﷼ﻻﻷﺍﻟﺴﻼﻡﹶﱠ"  # presentation forms
    "AZİßＡ²ﬁ"  # case and compatibility
    "پچژگ"  # Persian letters
    "\x00\ud800\udfff\U0001ee00\U0001f600\U000e0080\u0378"  # robustness
)

# Code points some step expands (ﻻ -> لا, ﷺ -> a phrase, ß -> ss): the fast engine's hardest
# case, which the other strategies draw in only about 2 % of texts.
EXPANDING = sorted(
    {
        chr(cp)
        for table in _chardata.STEP_TABLES.values()
        for cp, out in table.items()
        if len(out) > 1
    }
)

CHARACTERS = st.one_of(
    st.sampled_from(SPECIAL),
    st.sampled_from(EXPANDING),
    st.characters(min_codepoint=0x0600, max_codepoint=0x06FF, exclude_categories=()),
    st.characters(min_codepoint=0x0750, max_codepoint=0x077F, exclude_categories=()),
    st.characters(min_codepoint=0x08A0, max_codepoint=0x08FF, exclude_categories=()),
    st.characters(min_codepoint=0xFB50, max_codepoint=0xFDFF, exclude_categories=()),
    st.characters(min_codepoint=0xFE70, max_codepoint=0xFEFF, exclude_categories=()),
    st.characters(categories=["M"]),
    st.characters(categories=["Z", "Cc", "Cf"]),
    st.characters(exclude_categories=()),  # anything, lone surrogates included
    st.characters(min_codepoint=0x10000, exclude_categories=()),
)
TEXT = st.text(alphabet=CHARACTERS, max_size=60)
TEXTS = st.lists(TEXT, max_size=6)

_ALL_OFF: dict[str, Any] = {
    "compose": False,
    "presentation_forms": False,
    "diacritics": False,
    "tatweel": False,
    "invisibles": False,
    "whitespace": False,
    "alef": False,
    "hamza": "keep",
    "alef_maksura": False,
    "teh_marbuta": False,
    "lookalikes": False,
    "digits": False,
    "punctuation": False,
    "case": False,
}
CONFIGS = {
    "default": NormalizerConfig(),
    "all-off": NormalizerConfig(**_ALL_OFF),
    "hamza-drop": NormalizerConfig(hamza="drop"),
    "hamza-keep": NormalizerConfig(hamza="keep"),
    "opt-ins": NormalizerConfig(
        persian_letters=True, mask_numbers=True, nfkc=True, dagger_alef="alef", squeeze_repeats=True
    ),
    # Marks survive the table here, so the compose-settling loop is exercised.
    "marks-kept": NormalizerConfig(diacritics=False, dagger_alef="alef", hamza="keep"),
    "marks-kept-drop": NormalizerConfig(diacritics=False, hamza="drop"),
    "no-whitespace-step": NormalizerConfig(whitespace=False, nfkc=True, presentation_forms=False),
}
CONFIG = st.sampled_from(list(CONFIGS.values()))

MANY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@MANY
@given(text=TEXT, config=CONFIG)
@example(text="ه\u0670\u0654", config=CONFIGS["marks-kept"])
@example(text="\ud800", config=CONFIGS["default"])
def test_never_raises_and_returns_str(text: str, config: NormalizerConfig) -> None:
    assert isinstance(normalize(text, config=config), str)
    assert isinstance(tokens(text, config=config), list)


@MANY
@given(text=TEXT, config=CONFIG)
@example(text="ه\u0670\u0654", config=CONFIGS["marks-kept"])
@example(text="ا \u0654", config=CONFIGS["marks-kept"])
@example(text="1,000,", config=CONFIGS["opt-ins"])
@example(text="ا\u0654\u0654\u0655 و\u0654\u0654", config=CONFIGS["marks-kept-drop"])
def test_idempotent(text: str, config: NormalizerConfig) -> None:
    once = normalize(text, config=config)
    assert normalize(once, config=config) == once


@MANY
@given(text=TEXT, config=CONFIG)
@example(text=" ﻻ  ﷺ\u064e ", config=CONFIGS["default"])
@example(text="ﷺ  ß\u0640", config=CONFIGS["no-whitespace-step"])
def test_fast_equals_reference(text: str, config: NormalizerConfig) -> None:
    assert normalize_with(text, config, FAST) == normalize_with(text, config, REFERENCE)
    assert tokens_with(text, config, FAST) == tokens_with(text, config, REFERENCE)


@MANY
@given(texts=TEXTS, config=CONFIG)
@example(texts=[" ﻻ ", "", "\u064e  ﷺ", "  "], config=CONFIGS["default"])
def test_engines_agree_on_the_table_pass_and_split(
    texts: list[str], config: NormalizerConfig
) -> None:
    # The only code the engines do not share: the table pass (one text and a batch) and the
    # split, here on raw text, without the compose steps around them.
    table = compile_table(config)
    expected = [REFERENCE.table(text, table) for text in texts]
    assert FAST.table_many(texts, table) == expected
    assert [FAST.table(text, table) for text in texts] == expected
    for text in texts:
        assert FAST.split(text, table) == REFERENCE.split(text, table)


@MANY
@given(texts=TEXTS, config=CONFIG)
@example(texts=["ﻻ\u064e  ", " ﷺ ß\u0640", "", "ﻷ"], config=CONFIGS["default"])
def test_normalize_many_equals_reference(texts: list[str], config: NormalizerConfig) -> None:
    expected = [normalize_with(text, config, REFERENCE) for text in texts]
    assert normalize_many_with(texts, config, FAST) == expected
    assert normalize_many_with(texts, config, REFERENCE) == expected
    assert normalize_many(texts, config=config) == expected


_REWRITES = [
    pytest.param(rewrite, id=f"{step.name}-{index}")
    for step in PIPELINE
    for index, rewrite in enumerate(step.rewrites)
]


@pytest.mark.parametrize("rewrite", _REWRITES)
@MANY
@given(text=TEXT)
def test_rewrite_edits_give_the_applied_text(rewrite: Rewrite, text: str) -> None:
    # explain() runs every rewrite as edits, normalize() applies it: the two must agree.
    edits = rewrite.edits(text)
    rebuilt, cursor = [], 0
    for start, stop, replacement in edits:
        assert start >= cursor
        rebuilt.append(text[cursor:start] + replacement)
        cursor = stop
    rebuilt.append(text[cursor:])
    assert "".join(rebuilt) == rewrite.apply(text)
    assert (edits == []) == (rewrite.apply(text) == text)


@MANY
@given(text=TEXT, config=CONFIG)
def test_tokens_are_non_empty_and_separator_free(text: str, config: NormalizerConfig) -> None:
    is_sep = compile_table(config).is_sep
    for token in tokens(text, config=config):
        assert token
        assert not any(is_sep[ord(ch)] for ch in token)
        assert token in normalize(text, config=config)


_DELETED = frozenset(
    chr(cp)
    for name in ("diacritics", "tatweel", "invisibles")
    for cp in _chardata.STEP_TABLES[name]
)


@MANY
@given(text=TEXT)
def test_default_output_has_no_deleted_code_points(text: str) -> None:
    out = normalize(text)
    assert not _DELETED.intersection(out)
    assert "  " not in out
    assert out == out.strip(" ")


@MANY
@given(text=TEXT)
def test_default_output_has_no_folded_letters(text: str) -> None:
    out = normalize(text)
    assert not set("أإآٱؤئىةکیﻻ٠١٫،؟«»").intersection(out)


@FEW
@given(text=TEXT, config=CONFIG)
def test_explain_agrees_with_normalize(text: str, config: NormalizerConfig) -> None:
    result = explain(text, config=config)
    assert result.normalized == normalize(text, config=config)
    rebuilt, cursor = [], 0
    for change in result.changes:
        assert change.position >= cursor
        rebuilt.append(text[cursor : change.position] + change.replacement)
        cursor = change.position + len(change.original)
    rebuilt.append(text[cursor:])
    assert "".join(rebuilt) == result.normalized


@FEW
@given(
    value=st.one_of(
        st.binary(), st.integers(), st.none(), st.lists(st.text()), st.floats(allow_nan=False)
    )
)
def test_non_str_raises_normalizer_type_error(value: object) -> None:
    for function in (normalize, tokens, explain):
        with pytest.raises(NormalizerTypeError):
            function(value)  # type: ignore[arg-type]


@FEW
@given(
    config=st.builds(
        NormalizerConfig,
        **{name: (st.sampled_from(choices)) for name, choices in FIELD_CHOICES.items()},
    ),
    text=TEXT,
)
def test_any_config_is_idempotent_and_consistent(config: NormalizerConfig, text: str) -> None:
    once = normalize_with(text, config, FAST)
    assert normalize_with(text, config, REFERENCE) == once
    assert normalize_with(once, config, REFERENCE) == once


def test_separator_mask_matches_generated_ranges() -> None:
    is_sep = compile_table(NormalizerConfig()).is_sep
    expected = np.zeros(0x110000, dtype=bool)
    for first, last in _chardata.SEPARATOR_RANGES:
        expected[first : last + 1] = True
    assert (is_sep == expected).all()
