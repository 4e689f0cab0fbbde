"""Stage 2: ``shingles`` semantics, ``hash_shingles`` against ``shingle_hash``, and the compiled
fast path (``MinHasher.shingle_sets``) held to the reference path on hostile text."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arabic_dedup import (
    ConfigError,
    MinHasher,
    NormalizerConfig,
    ShingleConfig,
    shingle_hash,
    shingles,
    tokens,
)
from arabic_dedup._shingle import hash_shingles

# -- hostile text ---------------------------------------------------------------------------
# Pieces rather than characters, so that combining madda/hamza follow their carrier letters.
PIECES = [
    *"ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئىة",  # letters, hamza carriers, alef variants
    *"\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670",  # harakat, shadda, dagger alef
    "\u0640",  # tatweel
    "\ufdfa",  # ﷺ: one code point, four words
    "\ufdf2",  # ﷲ
    "\ufefb",  # ﻻ
    "\ufef7",  # ﻷ
    "ا\u0653",  # alef + combining madda  -> آ
    "ا\u0654",  # alef + combining hamza above -> أ
    "ا\u0655",  # alef + combining hamza below -> إ
    "و\u0654",  # waw + hamza -> ؤ
    "ي\u0654",  # yeh + hamza -> ئ
    "\u0654",  # a combining hamza with no carrier
    "\u200c",  # ZWNJ
    "\u200f",  # RLM
    "\u00a0",  # NBSP
    *" \n\t",
    *"،؛؟.,!«»\"'()-:",
    *"0123456789٠١٢٣٤٥٦٧٨٩۴۵",
    *"abcXYZ",
    "😀",
    "\U0001f1f8\U0001f1e6",  # a flag: two regional indicators
    "\ud800",  # lone surrogates are valid str content
    "\udfff",
    "قال",
    "المسؤول",
    "مسئولى",
    "الوزارة",
]

pieces = st.one_of(
    st.sampled_from(PIECES),
    st.characters(min_codepoint=0xFB50, max_codepoint=0xFDFF),
    st.characters(min_codepoint=0xFE70, max_codepoint=0xFEFF),
    st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
)
hostile_texts = st.lists(pieces, max_size=60).map("".join)
# Long enough, now and then, for the normaliser's own NumPy path (>= 256 code points).
long_texts = st.lists(st.sampled_from(PIECES), min_size=200, max_size=400).map("".join)
any_text = st.one_of(hostile_texts, hostile_texts, long_texts)

NORMALIZERS = [
    NormalizerConfig(),
    NormalizerConfig(hamza="keep"),
    NormalizerConfig(digits=False),
    NormalizerConfig(mask_numbers=True),  # the fast path falls back to the reference
]
KS = [1, 2, 3, 5, 7]


def reference_sets(hasher: MinHasher, texts: list[str]) -> list[np.ndarray]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ARABIC_DEDUP_IMPL", "reference")
        sets = hasher.shingle_sets(texts)
    return [sets[i] for i in range(len(sets))]


def fast_sets(hasher: MinHasher, texts: list[str]) -> list[np.ndarray]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("ARABIC_DEDUP_IMPL", raising=False)
        sets = hasher.shingle_sets(texts)
    return [sets[i] for i in range(len(sets))]


# -- shingles() semantics -------------------------------------------------------------------


def test_word_shingles_default_k_is_two() -> None:
    # Word 2-shingles: the default chosen by benchmarks/bench_quality.py.
    assert ShingleConfig().k == 2
    assert ShingleConfig(unit="word", k=0).k == 2
    assert shingles("one two three four") == ["one two", "two three", "three four"]
    assert shingles("one two three four", k=3) == ["one two three", "two three four"]


def test_char_shingles_default_k_is_five() -> None:
    assert ShingleConfig(unit="char").k == 5
    assert shingles("abcdefg", unit="char") == ["abcde", "bcdef", "cdefg"]


def test_char_shingles_cross_token_boundaries_with_one_space() -> None:
    # Punctuation and runs of spaces become one separating space between tokens.
    assert shingles("ab,  cd", unit="char", k=4) == ["ab c", "b cd"]


def test_shingles_are_distinct_in_order_of_first_occurrence() -> None:
    assert shingles("x y x y x y z", k=2) == ["x y", "y x", "y z"]
    assert shingles("abababc", unit="char", k=2) == ["ab", "ba", "bc"]


def test_fewer_units_than_k_gives_one_shingle_of_all() -> None:
    assert shingles("كلمتان فقط", k=3) == ["كلمتان فقط"]
    assert shingles("كلمتان فقط", k=7) == ["كلمتان فقط"]
    assert shingles("abc", unit="char", k=5) == ["abc"]
    assert shingles("a b", unit="char", k=5) == ["a b"]


@pytest.mark.parametrize("text", ["", " ", "\n\t \u00a0", "...،؛!", "\u200c\u200f", "\u064e\u0651"])
@pytest.mark.parametrize("unit", ["word", "char"])
def test_no_tokens_gives_no_shingles(text: str, unit: str) -> None:
    assert shingles(text, unit=unit) == []  # type: ignore[arg-type]
    assert hash_shingles(text, shingle=ShingleConfig(unit=unit)).size == 0  # type: ignore[arg-type]


def test_shingles_are_built_from_normalised_tokens() -> None:
    # ى -> ي, ة -> ه, harakat and tatweel removed: one spelling, one set of shingles.
    assert shingles("فى مدينةِ الريـــاض") == shingles("في مدينه الرياض")


def test_presentation_ligature_expands_to_four_words() -> None:
    assert shingles("\ufdfa", k=1) == ["صلي", "الله", "عليه", "وسلم"]
    assert shingles("\ufdfa") == shingles("صلى الله عليه وسلم")


@pytest.mark.parametrize("k", [-1, 65, True, 2.0, "3"])
def test_invalid_k_raises_config_error(k: object) -> None:
    with pytest.raises(ConfigError, match="shingle size k") as info:
        shingles("نص", k=k)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)


def test_invalid_unit_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="'byte'"):
        ShingleConfig(unit="byte")  # type: ignore[arg-type]


def test_k_limits_are_inclusive() -> None:
    assert ShingleConfig(k=1).k == 1
    assert ShingleConfig(k=64).k == 64


@settings(max_examples=80, deadline=None)
@given(text=any_text, k=st.sampled_from(KS), unit=st.sampled_from(["word", "char"]))
def test_shingles_match_the_token_definition(text: str, k: int, unit: str) -> None:
    toks = tokens(text)
    units = toks if unit == "word" else list(" ".join(toks))
    joiner = " " if unit == "word" else ""
    expected: list[str] = []
    if units:
        for i in range(max(1, len(units) - k + 1)):
            s = joiner.join(units[i : i + k])
            if s not in expected:
                expected.append(s)
    assert shingles(text, k=k, unit=unit) == expected  # type: ignore[arg-type]


# -- hash_shingles and shingle_hash ---------------------------------------------------------


def test_shingle_hash_is_32_bit_and_order_sensitive() -> None:
    h = shingle_hash("قال المسءول في")
    assert isinstance(h, int)
    assert 0 <= h < 2**32
    assert h == shingle_hash("قال المسءول في")
    assert h != shingle_hash("في المسءول قال")
    # The same string hashes differently as characters than as words.
    assert shingle_hash("ab", "word") != shingle_hash("ab", "char")


@settings(max_examples=80, deadline=None)
@given(
    text=any_text,
    k=st.sampled_from(KS),
    unit=st.sampled_from(["word", "char"]),
    normalizer=st.sampled_from(NORMALIZERS),
)
def test_hash_shingles_is_sorted_distinct_shingle_hash(
    text: str, k: int, unit: str, normalizer: NormalizerConfig
) -> None:
    cfg = ShingleConfig(unit=unit, k=k)  # type: ignore[arg-type]
    got = hash_shingles(text, shingle=cfg, normalizer=normalizer)
    expected = sorted(
        {
            shingle_hash(s, cfg.unit)
            for s in shingles(text, k=k, unit=cfg.unit, normalizer=normalizer)
        }
    )
    assert got.dtype == np.uint32
    assert got.tolist() == expected


# -- fast path == reference path ------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(any_text, max_size=8),
    k=st.sampled_from(KS),
    unit=st.sampled_from(["word", "char"]),
    normalizer=st.sampled_from(NORMALIZERS),
)
def test_fast_shingle_sets_equal_reference(
    texts: list[str], k: int, unit: str, normalizer: NormalizerConfig
) -> None:
    hasher = MinHasher(num_perm=2, shingle=ShingleConfig(unit=unit, k=k), normalizer=normalizer)  # type: ignore[arg-type]
    fast = fast_sets(hasher, texts)
    ref = reference_sets(hasher, texts)
    assert len(fast) == len(ref) == len(texts)
    for text, f, r in zip(texts, fast, ref, strict=True):
        assert f.dtype == r.dtype == np.uint32
        assert f.tolist() == r.tolist(), repr(text)
    # ...and both are the definition: the hashes of shingles().
    for text, r in zip(texts, ref, strict=True):
        assert (
            r.tolist()
            == hash_shingles(text, shingle=hasher.shingle, normalizer=normalizer).tolist()
        )


@pytest.mark.parametrize("unit", ["word", "char"])
@pytest.mark.parametrize("k", KS)
def test_fast_path_on_known_hard_cases(unit: str, k: int) -> None:
    texts = [
        "\ufdfa",
        "محمد \ufdfa قال",
        "ا\u0653لاف و\u0654طن ي\u0655",  # composes to آلاف ؤطن ئ
        "\ud800 abc \udfff",
        "a\u200cb",
        "😀😀 نص",
        "\u0640\u0640\u0640",
        "١٢٣ 456",
        "\ufefb \ufef7 \ufdf2",
        " \n\t",
        "",
        "x",
        "اَلسَّلَامُ عَلَيْكُمْ",
    ]
    hasher = MinHasher(num_perm=2, shingle=ShingleConfig(unit=unit, k=k))  # type: ignore[arg-type]
    assert [a.tolist() for a in fast_sets(hasher, texts)] == [
        a.tolist() for a in reference_sets(hasher, texts)
    ]


def test_fast_path_counts_the_expanded_ligature_as_four_words() -> None:
    hasher = MinHasher(num_perm=2, shingle=ShingleConfig(k=3))
    got = fast_sets(hasher, ["\ufdfa"])[0]
    assert got.size == 2  # four words, k=3: two shingles
    assert got.tolist() == hasher.hash_shingles("صلى الله عليه وسلم").tolist()


def test_shingle_sets_of_no_texts_is_empty() -> None:
    hasher = MinHasher(num_perm=2)
    for sets in (hasher.shingle_sets([]), hasher.shingle_sets(iter([]))):
        assert len(sets) == 0
        assert sets.hashes.size == 0
        assert sets.offsets.tolist() == [0]


def test_shingle_sets_accept_a_generator() -> None:
    hasher = MinHasher(num_perm=2)
    texts = ["قال المسؤول في بيان", "", "نص آخر مختلف تماما"]
    gen = hasher.shingle_sets(t for t in texts)
    lst = hasher.shingle_sets(texts)
    assert gen.offsets.tolist() == lst.offsets.tolist()
    assert gen.hashes.tolist() == lst.hashes.tolist()
    assert gen.sizes().tolist() == [len(set(shingles(t))) for t in texts]
