"""Golden cases, configuration, tables and explain() for the Arabic normaliser.

Hypothesis properties live in test_normalize_properties.py; the 9,293 hadith pairs in
test_hadith.py.
"""

from __future__ import annotations

import dataclasses
import doctest
import json
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from arabic_dedup import (
    _chardata,
    _normalize,
    _normalize_config,
    _normalize_engines,
    _normalize_explain,
    _normalize_steps,
)
from arabic_dedup._errors import ArabicDedupError, ConfigError, NormalizerTypeError
from arabic_dedup._normalize import (
    NORMALIZER_VERSION,
    STEPS,
    NormalizerConfig,
    compile_table,
    engine_for,
    explain,
    normalize,
    normalize_many,
    normalize_with,
    tokens,
    tokens_with,
)
from arabic_dedup._normalize_config import FIELD_CHOICES
from arabic_dedup._normalize_engines import ENGINES, FAST, REFERENCE

REPO = Path(__file__).resolve().parents[1]
GOLDEN_PATH = REPO / "tests" / "golden" / "normalize_cases.json"
GOLDEN: list[dict[str, Any]] = json.loads(GOLDEN_PATH.read_text(encoding="utf-8"))
FIELDS = [field.name for field in dataclasses.fields(NormalizerConfig)]


def _golden_params(with_tokens: bool = False) -> list[Any]:
    params = []
    for case in GOLDEN:
        if with_tokens and "expected_tokens" not in case:
            continue
        marks = []
        if "xfail_strict" in case:
            marks.append(pytest.mark.xfail(strict=True, reason=case["xfail_strict"]))
        params.append(pytest.param(case, id=case["id"], marks=marks))
    return params


# ---------------------------------------------------------------------------------------------
# Golden cases
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", _golden_params())
@pytest.mark.parametrize("impl", ["public", *ENGINES])
def test_golden_normalize(case: dict[str, Any], impl: str) -> None:
    config = NormalizerConfig(**case["config"])
    if impl == "public":
        got = normalize(case["input"], config=config)
    else:
        got = normalize_with(case["input"], config, ENGINES[impl])
    assert got == case["expected"], case["note"]


@pytest.mark.parametrize("case", _golden_params(with_tokens=True))
@pytest.mark.parametrize("impl", ["public", *ENGINES])
def test_golden_tokens(case: dict[str, Any], impl: str) -> None:
    config = NormalizerConfig(**case["config"])
    if impl == "public":
        got = tokens(case["input"], config=config)
    else:
        got = tokens_with(case["input"], config, ENGINES[impl])
    assert got == case["expected_tokens"], case["note"]


def test_golden_file_is_well_formed() -> None:
    assert len(GOLDEN) >= 90
    ids = [case["id"] for case in GOLDEN]
    assert len(ids) == len(set(ids)), "duplicate golden ids"
    for case in GOLDEN:
        assert set(case) <= {
            "id",
            "input",
            "expected",
            "config",
            "steps",
            "note",
            "expected_tokens",
            "xfail_strict",
        }, case["id"]
        assert set(case["config"]) <= set(FIELDS), case["id"]
        assert set(case["steps"]) <= set(STEPS), case["id"]
        assert case["note"], case["id"]


def test_every_step_has_a_golden_case() -> None:
    covered = {step for case in GOLDEN for step in case["steps"]}
    assert set(FIELDS) - covered == set()


def test_every_opt_in_and_mode_is_exercised_by_golden_config() -> None:
    used = {(key, value) for case in GOLDEN for key, value in case["config"].items()}
    for field in FIELDS:
        default = getattr(NormalizerConfig(), field)
        for choice in FIELD_CHOICES[field]:
            if choice != default:
                assert (field, choice) in used, f"no golden case sets {field}={choice!r}"


def test_golden_negative_cases_exist() -> None:
    unchanged = [c for c in GOLDEN if c["input"] == c["expected"] and not c["config"]]
    assert len(unchanged) >= 8


def test_normalize_many_matches_golden() -> None:
    by_config: dict[str, list[dict[str, Any]]] = {}
    for case in GOLDEN:
        if "xfail_strict" not in case:
            by_config.setdefault(json.dumps(case["config"], sort_keys=True), []).append(case)
    for cases in by_config.values():
        config = NormalizerConfig(**cases[0]["config"])
        got = normalize_many([case["input"] for case in cases], config=config)
        assert got == [case["expected"] for case in cases]


# ---------------------------------------------------------------------------------------------
# Configuration and errors
# ---------------------------------------------------------------------------------------------


def test_config_defaults_follow_the_spec() -> None:
    config = NormalizerConfig()
    on = [
        "compose",
        "presentation_forms",
        "diacritics",
        "tatweel",
        "invisibles",
        "whitespace",
        "alef",
        "alef_maksura",
        "teh_marbuta",
        "lookalikes",
        "digits",
        "punctuation",
        "case",
    ]
    off = ["persian_letters", "mask_numbers", "nfkc", "squeeze_repeats"]
    assert all(getattr(config, name) is True for name in on)
    assert all(getattr(config, name) is False for name in off)
    assert config.hamza == "uniform"
    assert config.dagger_alef == "delete"
    assert set(STEPS) == set(FIELDS)


def test_config_is_frozen_and_hashable() -> None:
    config = NormalizerConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.alef = False  # type: ignore[misc]
    assert hash(config) == hash(NormalizerConfig())


@pytest.mark.parametrize(
    ("field", "value", "fragments"),
    [
        ("hamza", "merge", ["NormalizerConfig.hamza", "'merge'", "'uniform', 'drop', 'keep'"]),
        ("dagger_alef", "remove", ["NormalizerConfig.dagger_alef", "'remove'", "'delete', 'alef'"]),
        ("diacritics", 1, ["NormalizerConfig.diacritics", "bool", "1 (int)"]),
        ("case", "yes", ["NormalizerConfig.case", "bool", "'yes' (str)"]),
        ("hamza", None, ["NormalizerConfig.hamza", "None"]),
    ],
)
def test_config_validation_names_field_value_and_choices(
    field: str, value: object, fragments: list[str]
) -> None:
    with pytest.raises(ConfigError) as info:
        NormalizerConfig(**{field: value})
    for fragment in fragments:
        assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, ArabicDedupError)


def test_unknown_override_lists_valid_names() -> None:
    with pytest.raises(ConfigError) as info:
        normalize("x", diacritic=False)
    message = str(info.value)
    assert "'diacritic'" in message
    for field in FIELDS:
        assert field in message


def test_bad_override_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"NormalizerConfig\.hamza"):
        tokens("x", hamza="merge")
    with pytest.raises(ConfigError, match=r"NormalizerConfig\.alef"):
        normalize("x", alef=["unhashable"])


def test_cached_overrides_still_check_types() -> None:
    assert normalize("فى", alef_maksura=True) == "في"
    with pytest.raises(ConfigError, match=r"1 \(int\)"):
        normalize("فى", alef_maksura=1)


def test_config_must_be_a_normalizer_config() -> None:
    with pytest.raises(ConfigError, match="NormalizerConfig"):
        normalize("x", config={"alef": False})  # type: ignore[arg-type]


def test_config_and_overrides_combine() -> None:
    config = NormalizerConfig(hamza="keep")
    assert normalize("مُسئول", config=config) == "مسئول"
    assert normalize("مُسئول", config=config, diacritics=False) == "مُسئول"
    assert normalize("مُسئول", config=config, hamza="drop") == "مسيول"
    assert config.hamza == "keep"  # the caller's config is not touched


@pytest.mark.parametrize("function", [normalize, tokens, explain])
@pytest.mark.parametrize("value", [b"\xd9\x85", bytearray(b"x"), memoryview(b"x")])
def test_bytes_input_suggests_decode(function: Any, value: object) -> None:
    with pytest.raises(NormalizerTypeError) as info:
        function(value)
    assert 'decode("utf-8")' in str(info.value)
    assert type(value).__name__ in str(info.value)
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize("function", [normalize, tokens, explain])
@pytest.mark.parametrize("value", [None, 3, ["نص"], 1.5])
def test_non_str_input_names_the_type(function: Any, value: object) -> None:
    with pytest.raises(NormalizerTypeError, match=type(value).__name__):
        function(value)


def test_normalize_many_names_the_bad_index() -> None:
    with pytest.raises(NormalizerTypeError, match=r"texts\[1\].*decode"):
        normalize_many(["نص", b"x"])


def test_str_subclass_is_accepted() -> None:
    class Text(str):
        pass

    assert normalize(Text("فى")) == "في"
    assert type(normalize(Text("فى"))) is str


# ---------------------------------------------------------------------------------------------
# Implementation choice
# ---------------------------------------------------------------------------------------------


def test_impl_env_var_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    long_text = "فى " * 1000
    monkeypatch.delenv("ARABIC_DEDUP_IMPL", raising=False)
    assert engine_for(len(long_text)) is FAST
    assert engine_for(len("فى")) is REFERENCE
    assert engine_for(None) is FAST  # a batch
    monkeypatch.setenv("ARABIC_DEDUP_IMPL", "reference")
    assert engine_for(len(long_text)) is REFERENCE
    assert engine_for(None) is REFERENCE
    monkeypatch.setenv("ARABIC_DEDUP_IMPL", "fast")
    assert engine_for(len("فى")) is FAST
    assert normalize("فى") == "في"
    monkeypatch.setenv("ARABIC_DEDUP_IMPL", "quick")
    with pytest.raises(ConfigError, match="ARABIC_DEDUP_IMPL"):
        normalize("فى")


def test_env_forces_one_engine_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each engine in turn is made to fail: with the other one forced, every entry point
    # (one text, tokens, a batch, explain) must still work, so none bypasses the switch.
    texts = ["فى", "إلى " * 200]
    for forced, broken in (("reference", FAST), ("fast", REFERENCE)):
        with monkeypatch.context() as patch:
            patch.setenv("ARABIC_DEDUP_IMPL", forced)
            for method in ("table", "table_many", "split"):
                patch.setattr(broken, method, _fail)
            assert normalize_many(texts) == ["في", ("الي " * 200).strip()]
            assert [normalize(text) for text in texts] == ["في", ("الي " * 200).strip()]
            assert tokens(texts[1]) == ["الي"] * 200
            assert explain(texts[0]).normalized == "في"
        with monkeypatch.context() as patch:
            patch.setenv("ARABIC_DEDUP_IMPL", broken.name)
            patch.setattr(broken, "table_many", _fail)
            with pytest.raises(RuntimeError, match="broken engine"):
                normalize_many(texts)


def _fail(*args: object) -> Any:
    raise RuntimeError("broken engine")


def test_normalize_many_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["  فى  ", "", "ﷺ", " ", "مسو\u0654ول", "أ" * 7, "\u064e", "ب  "]
    expected = [normalize(text) for text in texts]
    for batch in (1, 3, 5, 1000):
        monkeypatch.setattr(_normalize, "BATCH_CHARS", batch)
        assert normalize_many(texts) == expected
        assert normalize_many(iter(texts)) == expected
    assert normalize_many([]) == []


# ---------------------------------------------------------------------------------------------
# The compiled table
# ---------------------------------------------------------------------------------------------

SAMPLE_CONFIGS = [
    NormalizerConfig(),
    NormalizerConfig(hamza="drop"),
    NormalizerConfig(hamza="keep", diacritics=False),
    NormalizerConfig(nfkc=True, persian_letters=True, dagger_alef="alef"),
    NormalizerConfig(presentation_forms=False, nfkc=True),
    NormalizerConfig(**{name: False for name in FIELDS if name not in ("hamza", "dagger_alef")}),
]


def test_compile_table_is_cached() -> None:
    assert compile_table(NormalizerConfig()) is compile_table(NormalizerConfig())


def test_compile_table_closure_examples() -> None:
    mapping = compile_table(NormalizerConfig()).mapping
    assert mapping[0xFEF7] == "لا"  # ﻷ -> لأ -> لا
    assert mapping[0xFDFA] == "صلي الله عليه وسلم"  # ﷺ, with ى folded
    assert mapping[0xFDFD] == "بسم الله الرحمن الرحيم"
    assert mapping[0xFDFC] == "ريال"
    assert mapping[0xFE94] == "ه"  # final-form teh marbuta
    assert mapping[0x0130] == "i"  # İ -> i + U+0307 -> the mark is a diacritic
    assert mapping[0x064E] == ""
    assert 0x0627 not in mapping


@pytest.mark.parametrize("config", SAMPLE_CONFIGS, ids=range(len(SAMPLE_CONFIGS)))
def test_table_outputs_are_fixed_points(config: NormalizerConfig) -> None:
    # If no output character is itself remapped, str.translate is idempotent.
    mapping = compile_table(config).mapping
    for out in mapping.values():
        for ch in out:
            assert ord(ch) not in mapping, (out, ch)
    assert 0x20 not in mapping


@pytest.mark.parametrize("config", SAMPLE_CONFIGS, ids=range(len(SAMPLE_CONFIGS)))
def test_arrays_agree_with_mapping(config: NormalizerConfig) -> None:
    table = compile_table(config)
    for cp, out in table.mapping.items():
        assert table.lengths[cp] == len(out)
        if len(out) == 1:
            assert table.single[cp] == ord(out)
        elif len(out) >= 2:
            start = int(table.exp_offsets[cp])
            assert "".join(map(chr, table.exp_data[start : start + len(out)])) == out
    untouched = np.ones(0x110000, dtype=bool)
    untouched[list(table.mapping)] = False
    assert (table.lengths[untouched] == 1).all()
    assert (table.single[untouched] == np.arange(0x110000)[untouched]).all()
    for array in (table.lengths, table.single, table.exp_offsets, table.exp_data, table.is_sep):
        assert not array.flags.writeable


@pytest.mark.parametrize("config", SAMPLE_CONFIGS, ids=range(len(SAMPLE_CONFIGS)))
def test_only_the_whitespace_step_completes_the_table_pass(config: NormalizerConfig) -> None:
    # The fast engine does these rewrites natively (collapse, strip): a new one on another
    # step would need teaching it too, and this test says so.
    steps = [step for step, _ in compile_table(config).tidy]
    assert steps == (["whitespace", "whitespace"] if config.whitespace else [])


def test_steps_are_the_config_fields_in_the_order_they_run() -> None:
    # The walk runs compose, then the table, then the text steps, whatever their place in
    # PIPELINE; explain ranks by PIPELINE order, so the two orders must be the same.
    kinds = [step.kind for step in _normalize_steps.PIPELINE]
    assert kinds == sorted(kinds, key=["compose", "table", "text"].index)
    assert set(STEPS) == set(FIELDS)


def test_separator_class() -> None:
    is_sep = compile_table(NormalizerConfig()).is_sep
    for ch in " \t\n\u00a0\u3000.,،؟«»-_'\"$+😀❤\x00\x7f":
        assert is_sep[ord(ch)], repr(ch)
    for ch in "اa9٠\u064e\u200c\ue000\u0378\ud800中":
        assert not is_sep[ord(ch)], repr(ch)
    categories = {unicodedata.category(chr(cp))[0] for cp in np.flatnonzero(is_sep)[::97]}
    assert categories <= {"Z", "P", "S", "C"}


def test_compile_table_is_fast() -> None:
    config = NormalizerConfig(nfkc=True, persian_letters=True, hamza="drop")
    uncached = compile_table.__wrapped__  # type: ignore[attr-defined]
    best = min(_timed(uncached, config) for _ in range(3))
    assert best < 0.3, f"compile_table took {best:.3f} s"


def _timed(function: Any, *args: Any) -> float:
    # CPU time, not wall time: the test machine is shared, and the budget is about our work.
    start = time.process_time()
    function(*args)
    return time.process_time() - start


def test_compose_settles_when_a_step_creates_a_base() -> None:
    # Diacritics off keeps U+0654; dagger_alef="alef" turns U+0670 into an alef in front of
    # it, which must compose too, or the output would not be idempotent.
    config = NormalizerConfig(diacritics=False, dagger_alef="alef")
    text = "ه\u0670\u0654"
    for engine in ENGINES.values():
        assert normalize_with(text, config, engine) == "ها"
    assert normalize(normalize(text, config=config), config=config) == "ها"
    assert explain(text, config=config).normalized == "ها"


def test_long_mark_runs_stay_linear() -> None:
    # "Zalgo" text: a long run of combining marks, with a combining hamza elsewhere so the
    # compose step runs. A backtracking cluster pattern took seconds here.
    text = "\u0301" * 20_000 + "ا\u0654" + "\u0654" * 20_000
    start = time.process_time()
    for impl in (normalize, tokens, explain):
        impl(text)
    assert time.process_time() - start < 2.0
    assert normalize(text) == "ا"


@pytest.mark.parametrize("hamza", ["uniform", "drop", "keep"])
def test_stacked_combining_hamza_settles_in_linear_time(hamza: str) -> None:
    # With diacritics off the marks survive the table, so ا + n x U+0654 needs n compositions
    # (أ -> ا each time); one pass per composition would be quadratic.
    config = NormalizerConfig(diacritics=False, hamza=hamza)  # type: ignore[arg-type]
    text = "ب ا" + "\u0654" * 20_000 + " و" + "\u0654" * 3 + " ي\u0655\u0654\u0654"
    start = time.process_time()
    once = normalize(text, config=config)
    assert time.process_time() - start < 2.0
    assert normalize(once, config=config) == once
    assert once.startswith("ب ا ")
    expected_tail = {
        "uniform": "ء\u0654\u0654 ء\u0655\u0654",  # ؤ ئ -> ء, which takes no more hamza
        "drop": "و ي\u0655",  # the carrier comes back and takes the next one
        "keep": "ؤ\u0654\u0654 ئ\u0655\u0654",  # carriers kept, so nothing more composes
    }[hamza]
    short = normalize_with("ب ا\u0654\u0654" + text[-13:], config, REFERENCE)
    assert short == "ب ا " + expected_tail


# ---------------------------------------------------------------------------------------------
# Generated data
# ---------------------------------------------------------------------------------------------


def test_chardata_is_up_to_date(tmp_path: Path) -> None:
    if unicodedata.unidata_version != _chardata.UNIDATA_VERSION:
        pytest.skip(
            f"_chardata.py was generated with Unicode {_chardata.UNIDATA_VERSION}; this Python "
            f"has {unicodedata.unidata_version}, so regenerating would legitimately differ"
        )
    out = tmp_path / "_chardata.py"
    subprocess.run(
        [sys.executable, str(REPO / "tools" / "gen_chardata.py"), "--output", str(out)], check=True
    )
    committed = (REPO / "src" / "arabic_dedup" / "_chardata.py").read_text(encoding="utf-8")
    assert out.read_text(encoding="utf-8") == committed, "run tools/gen_chardata.py"


def test_chardata_is_ascii_with_escapes() -> None:
    raw = (REPO / "src" / "arabic_dedup" / "_chardata.py").read_bytes()
    assert raw.isascii()


def test_chardata_spec_exceptions() -> None:
    forms = _chardata.PRESENTATION_FORMS
    assert forms[0xFDFD] == "بسم الله الرحمن الرحيم"
    assert forms[0xFDFC] == "ريال"
    assert all(forms[cp] == "" for cp in range(0xFC5E, 0xFC64))
    assert all(forms[cp] == "" for cp in range(0xFE70, 0xFE80) if cp != 0xFE75)
    assert 0xFE75 not in forms  # unassigned: never delete a character just because it is unknown
    phrases = {forms[0xFDFA], forms[0xFDFB], forms[0xFDFD]}
    assert all(" " not in out for out in forms.values() if out not in phrases)
    assert set(_chardata.WHITESPACE.values()) == {" "}
    assert _chardata.DIGITS[0x0663] == "3" and _chardata.DIGITS[0x06F4] == "4"


def test_version_comes_from_the_tables() -> None:
    assert NORMALIZER_VERSION == f"{_chardata.TABLES_VERSION}+unicode{_chardata.UNIDATA_VERSION}"


# ---------------------------------------------------------------------------------------------
# explain()
# ---------------------------------------------------------------------------------------------


def test_explain_attributes_each_change_to_the_first_step() -> None:
    result = explain("ﻷ مسئولى")
    assert result.normalized == normalize("ﻷ مسئولى")
    assert [(c.step, c.position, c.original, c.replacement) for c in result.changes] == [
        ("presentation_forms", 0, "ﻷ", "لا"),
        ("hamza", 4, "ئ", "ء"),
        ("alef_maksura", 7, "ى", "ي"),
    ]


def test_explain_compose_cluster_and_whitespace() -> None:
    result = explain(" مسو\u0654ول  x ")
    steps = [(c.step, c.position, c.original, c.replacement) for c in result.changes]
    assert steps == [
        ("whitespace", 0, " ", ""),
        ("compose", 3, "و\u0654", "ء"),
        ("whitespace", 8, " ", ""),
        ("whitespace", 10, " ", ""),
    ]


def test_explain_deletions_and_opt_ins() -> None:
    result = explain("هههه ١٢٫٥", squeeze_repeats=True, mask_numbers=True)
    assert result.normalized == "ه 0"
    assert [(c.step, c.position) for c in result.changes] == [
        ("squeeze_repeats", 1),
        ("squeeze_repeats", 2),
        ("squeeze_repeats", 3),
        ("digits", 5),
        ("digits", 6),
        ("digits", 7),
        ("digits", 8),
    ]
    assert [c.replacement for c in result.changes[3:]] == ["0", "", "", ""]


def test_explain_no_changes() -> None:
    result = explain("هذا الكتاب جميل")
    assert result.changes == []
    assert str(result) == "no changes"


def test_explain_str_is_a_table() -> None:
    text = str(explain("أَ"))
    assert text.splitlines() == [
        "alef        pos 0  'أ' U+0623 -> 'ا' U+0627",
        "diacritics  pos 1  'َ' U+064E -> '' (deleted)",
    ]


@pytest.mark.parametrize("case", [pytest.param(case, id=case["id"]) for case in GOLDEN])
def test_explain_reconstructs_golden(case: dict[str, Any]) -> None:
    # Replacing every reported span by its replacement must give the normalised text.
    config = NormalizerConfig(**case["config"])
    result = explain(case["input"], config=config)
    assert result.normalized == normalize(case["input"], config=config)
    assert _rebuild(result) == result.normalized
    assert all(change.step in STEPS for change in result.changes)


def _rebuild(result: _normalize.Explanation) -> str:
    pieces = []
    cursor = 0
    for change in sorted(result.changes, key=lambda c: c.position):
        pieces.append(result.text[cursor : change.position])
        pieces.append(change.replacement)
        cursor = change.position + len(change.original)
    pieces.append(result.text[cursor:])
    return "".join(pieces)


# ---------------------------------------------------------------------------------------------
# Doctests
# ---------------------------------------------------------------------------------------------


NORMALIZER_MODULES = [
    _normalize,
    _normalize_config,
    _normalize_steps,
    _normalize_engines,
    _normalize_explain,
]


def test_doctests() -> None:
    tried = 0
    for module in NORMALIZER_MODULES:
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__
        tried += result.attempted
    assert tried >= 12


def test_docs_examples() -> None:
    # docs/normalizer.md is the user's guide: its examples must stay true.
    failures, tried = doctest.testfile(
        str(REPO / "docs" / "normalizer.md"), module_relative=False, optionflags=doctest.ELLIPSIS
    )
    assert tried >= 10
    assert failures == 0
