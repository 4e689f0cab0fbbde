"""The 5M-document scaling corpus: rounds 1-4 are letter-permuted images of the first 1M.

``benchmarks/_common.py`` builds documents 1M..5M by translating the generated v2 chunks
with a per-round letter permutation. The construction is honest only if translation commutes
with the normaliser (then every pair of documents keeps its exact Jaccard inside a round) and
images of one base share almost nothing across rounds. The first tests need no data; the last
generates 2,000 real v2 documents from SaudiNewsNet and skips when it is absent.
"""

from __future__ import annotations

import importlib
import sys
import unicodedata
from pathlib import Path
from types import ModuleType

import hypothesis.strategies as st
import numpy as np
import pytest
from _shared import SAUDINEWSNET, shared_file
from hypothesis import HealthCheck, given, settings

from arabic_dedup import normalize
from arabic_dedup._normalize import normalize_many

ROUNDS = (1, 2, 3, 4)


def _import_bench_common() -> ModuleType:
    bench = str(Path(__file__).resolve().parents[1] / "benchmarks")
    sys.path.insert(0, bench)
    try:
        return importlib.import_module("_common")
    finally:
        sys.path.remove(bench)


_COMMON = _import_bench_common()


@pytest.fixture
def common() -> ModuleType:
    return _COMMON


@pytest.mark.slow  # normalises every code point
def test_permuted_letters_are_classes_of_their_own(common: ModuleType) -> None:
    """No code point outside the shaped ranges normalises to text holding a permuted letter,
    and each permuted letter is its own normal form: nothing else folds into it."""
    letters = set(common.V2_ROUND_DUAL_JOINING + common.V2_ROUND_NON_JOINING)
    assert len(letters) == 19
    shaped = [range(lo, hi + 1) for lo, hi in common._V2_SHAPED_RANGES]
    cps = [cp for cp in range(0x110000) if not 0xD800 <= cp < 0xE000]
    outside = []
    for cp, norm in zip(cps, normalize_many([chr(cp) for cp in cps]), strict=True):
        if chr(cp) in letters:
            assert norm == chr(cp)
        elif letters & set(norm) and not any(cp in r for r in shaped):
            outside.append(f"U+{cp:04X}")
    assert outside == []


def test_rounds_are_derangements_within_joining_classes(common: ModuleType) -> None:
    assert common.v2_round_letters(0) == {}
    images = {r: common.v2_round_letters(r) for r in ROUNDS}
    for r, perm in images.items():
        for cls in (common.V2_ROUND_DUAL_JOINING, common.V2_ROUND_NON_JOINING):
            assert sorted(perm[c] for c in cls) == sorted(cls)  # a permutation of the class
            assert all(perm[c] != c for c in cls), f"round {r} fixes a letter"
    for r in ROUNDS:
        for s in ROUNDS:
            if r < s:  # no two rounds agree on a dual-joining letter
                dual = common.V2_ROUND_DUAL_JOINING
                assert all(images[r][c] != images[s][c] for c in dual), (r, s)
    with pytest.raises(ValueError, match="round 5"):
        common.v2_round_letters(5)


def test_presentation_forms_follow_their_letter(common: ModuleType) -> None:
    table = common.v2_round_table(1)
    letters = common.v2_round_letters(1)
    teh_initial = "\ufe97"  # ARABIC LETTER TEH INITIAL FORM
    image = table[ord(teh_initial)]
    assert unicodedata.name(image) == f"{unicodedata.name(letters['ت'])} INITIAL FORM"
    # a ligature becomes the permuted letters it stands for
    assert table[0xFDFA] == normalize("\ufdfa").translate(str.maketrans(letters))
    assert ord("ا") not in table and ord("ه") not in table and ord("\ufe8e") not in table


def _alphabet() -> list[str]:
    letters = [chr(c) for c in range(0x0621, 0x064B)]
    forms = [chr(c) for c in range(0xFE70, 0xFEFD)]
    ligatures = ["\ufdfa", "\ufdf2", "\ufefb", "\ufc5b", "\ufd3e", "\U0001ee03"]
    marks = ["\u064e", "\u0651", "\u0652", "\u0653", "\u0654", "\u0655", "\u0670", "\u0640"]
    other = [" ", "\u00a0", "\n", "،", ".", "«", "5", "٣", "a", "B", "\u200f", "ی", "ک", "ٮ"]
    return letters + forms + ligatures + marks + other


_TEXT = st.text(alphabet=st.sampled_from(_alphabet()), max_size=60)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXT, r=st.sampled_from(ROUNDS))
def test_translation_commutes_with_the_normaliser(text: str, r: int) -> None:
    c = _COMMON
    permute = str.maketrans(c.v2_round_letters(r))
    translated = c.v2_translate(text, r)
    assert translated == text.translate(c.v2_round_table(r))  # fast path == plain translate
    assert normalize(translated) == normalize(text).translate(permute)


def test_round_chunk_files(
    common: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks 100..499 are written from the base chunk: texts translated, group ids offset."""
    monkeypatch.setattr(common, "CACHE_DIR", tmp_path)
    docs = ["قال الرئيس في بيان", "\ufee3\ufeae\ufea3\ufe92\ufe8e", 'سطر "مقتبس"\nجديد']
    texts, groups = common.synthetic_v2_paths(0)
    texts.parent.mkdir(parents=True)
    texts.write_text("".join(common.json.dumps(d, ensure_ascii=False) + "\n" for d in docs))
    np.save(groups, np.array([0, 0, 2], dtype=np.int64))
    for k in (100, 400):
        common._ensure_round_chunk_v2(k)
        r = k // 100
        out_texts, out_groups = common.synthetic_v2_paths(k)
        got = [common.json.loads(line) for line in out_texts.open(encoding="utf-8")]
        assert got == [common.v2_translate(d, r) for d in docs]
        assert got != docs
        assert np.load(out_groups).tolist() == [r * 1_000_000, r * 1_000_000, r * 1_000_000 + 2]
        assert f"round{r}v" in out_texts.name


@pytest.mark.data
@pytest.mark.slow
def test_rounds_keep_copies_and_stay_apart(
    common: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(a) No pair found across rounds; every within-group Jaccard is unchanged in every
    round; duplicates per round equal up to LSH sampling. (b) Shingles shared across rounds:
    well under 2 % (measured: 0.6 %, 1.1 % between rounds 1 and 4)."""
    if shared_file(SAUDINEWSNET) != common.DATA_PATH:
        pytest.skip(f"benchmarks read {common.DATA_PATH}; the tests' data is elsewhere")
    monkeypatch.setattr(common, "CACHE_DIR", tmp_path)  # the text cache goes there
    docs, groups = common._make_chunk_v2(0, 2000)
    check = common.v2_round_check(docs, groups, rounds=(1, 4))
    assert check["within_group_pairs"] > 1000
    assert check["cross_round_pairs"] == 0
    assert check["precision"] == 1.0
    base = check["rounds"][0]
    for rnd in check["rounds"][1:]:
        assert rnd["group_pairs_jaccard_changed"] == 0
        assert abs(rnd["duplicates"] - base["duplicates"]) <= 0.01 * base["duplicates"]
        assert rnd["words_unchanged"] < 0.1
    assert 0 < check["max_shared"] < 0.02
