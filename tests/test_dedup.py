"""Stage 7: ``find_duplicates`` and the streaming ``Deduplicator``, end to end."""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path
from typing import Any

import numba
import numpy as np
import pytest
from _impl import with_impl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import arabic_dedup as ad
from arabic_dedup import (
    ConfigError,
    DedupConfig,
    Deduplicator,
    DedupResult,
    InputError,
    Match,
    find_duplicates,
    similarity,
)
from arabic_dedup.testing import TRANSFORMS, split_sentences, syndicate

SEEDS = [
    p.read_text(encoding="utf-8") for p in sorted(Path(__file__).parents[1].glob("seeds/*.txt"))
]
TITLES = [s.split("\n", 1)[0] for s in SEEDS]
SENTENCES = [s for text in SEEDS for s in split_sentences(text)]
EXTRA = "وأضاف المصدر أن المفاوضات ستستأنف الأسبوع المقبل في العاصمة بحضور الوفود المعنية."


def copy_of(i: int, transforms: list[str], rng: random.Random) -> str:
    return syndicate(
        SEEDS[i],
        transforms,
        rng=rng,
        title=TITLES[i],
        related=[t for j, t in enumerate(TITLES) if j != i],
        extra=EXTRA,
    )


def exact_similarity(a: str, b: str, kind: str = "jaccard") -> float:
    h = DedupConfig().hasher()
    return similarity(h.hash_shingles(a), h.hash_shingles(b), kind)  # type: ignore[arg-type]


def check_consistent(r: DedupResult, texts: list[str], **options) -> None:  # type: ignore[no-untyped-def]
    """What every result must satisfy, whatever the input (``options`` as given to the call)."""
    cfg = DedupConfig(**options)
    threshold = r.params["threshold"]
    # Boilerplate filtering changes the sets; "auto" cannot reach 30 documents here.
    exact = cfg.max_df is None or (cfg.max_df == "auto" and len(texts) <= 30)
    hasher = cfg.hasher()
    n = len(texts)
    assert len(r) == n
    assert r.keep.dtype == np.bool_
    assert r.cluster_ids.shape == r.similarity.shape == (n,)
    for i in range(n):
        assert (r.duplicate_of[i] is None) == bool(r.keep[i])
        if r.keep[i]:
            assert r.cluster_ids[i] == i
            assert r.similarity[i] == 1.0
        else:
            rep = r.duplicate_of[i]
            assert rep is not None and r.keep[rep]
            assert r.cluster_ids[i] == rep
            assert r.similarity[i] >= cfg.verifier.lowest
    # Under the threshold only a rescue joins a pair: the fact check's (a copy whose facts all
    # agree, down to FactRule.lowest) or the boilerplate rescue's.
    kinds = r.pairs.kinds() or [None] * len(r.pairs)
    for p, kind in zip(r.pairs, kinds, strict=True):
        assert 0 <= p.i < p.j < n
        assert p.similarity >= cfg.verifier.lowest
        assert p.similarity >= threshold or kind in ("copy", "boilerplate"), (p, kind)
        if exact:  # verified, not estimated
            a, b = hasher.hash_shingles(texts[p.i]), hasher.hash_shingles(texts[p.j])
            assert p.similarity == similarity(a, b, cfg.similarity)
    pair_set = {(p.i, p.j) for p in r.pairs}
    assert len(pair_set) == len(r.pairs)
    for i in range(n):
        if not r.keep[i]:  # every duplicate is a verified pair with its representative
            assert (min(i, r.duplicate_of[i]), max(i, r.duplicate_of[i])) in pair_set
    assert r.n_duplicates == n - len(r.kept())
    assert r.kept() == [i for i in range(n) if r.keep[i]]


def result_tuple(r: DedupResult):  # type: ignore[no-untyped-def]
    return (
        r.cluster_ids.tolist(),
        r.keep.tolist(),
        r.duplicate_of,
        r.similarity.tolist(),
        [tuple(p) for p in r.pairs],
    )


# -- syndicated copies ----------------------------------------------------------------------


def test_the_seed_articles_are_never_merged() -> None:
    # Five independent reports of one story: related, but not copies of each other.
    for options in ({}, {"similarity": "containment"}, {"shingle_unit": "char"}):
        r = find_duplicates(SEEDS, **options)
        assert r.keep.all(), options
        assert r.pairs == [], options


@pytest.mark.parametrize("transform", list(TRANSFORMS))
def test_each_transform_copy_joins_its_base(transform: str) -> None:
    rng = random.Random(f"copy-{transform}")
    copies = [copy_of(i, [transform], rng) for i in range(len(SEEDS))]
    texts = SEEDS + copies
    r = find_duplicates(texts)
    check_consistent(r, texts)
    assert r.keep[: len(SEEDS)].all()
    assert r.duplicate_of[len(SEEDS) :] == list(range(len(SEEDS)))
    assert r.clusters() == {i: [i, i + len(SEEDS)] for i in range(len(SEEDS))}


def test_copies_listed_before_their_base_with_keep_first() -> None:
    rng = random.Random(5)
    copies = [copy_of(i, ["prefix", "kashida"], rng) for i in range(len(SEEDS))]
    r = find_duplicates(copies + SEEDS, keep="first")
    assert r.keep.tolist() == [True] * 5 + [False] * 5
    assert r.duplicate_of[5:] == [0, 1, 2, 3, 4]


def test_keep_longest_and_keep_callable() -> None:
    rng = random.Random(11)
    short = copy_of(0, ["truncate"], rng)
    longer = copy_of(0, ["footer", "related"], rng)
    texts = [short, SEEDS[0], longer, SEEDS[1]]
    assert len(short) < len(SEEDS[0]) < len(longer)

    first = find_duplicates(texts, keep="first")
    assert first.duplicate_of == [None, 0, 0, None]

    longest = find_duplicates(texts, keep="longest")
    check_consistent(longest, texts)
    assert longest.duplicate_of == [2, 2, None, None]
    assert longest.params["keep"] == "longest"

    # A callable maps an index to a sort key; the smallest key is kept (here: the original).
    priority = {1: 0}
    chosen = find_duplicates(texts, keep=lambda i: priority.get(i, 1))
    check_consistent(chosen, texts)
    assert chosen.duplicate_of == [1, None, 1, None]
    assert chosen.params["keep"] == "key"

    # Equal keys fall back to input order.
    assert find_duplicates(texts, keep=lambda i: 0).duplicate_of == first.duplicate_of


def test_keep_longest_breaks_ties_by_input_order() -> None:
    texts = [SEEDS[3], SEEDS[3]]
    assert find_duplicates(texts, keep="longest").duplicate_of == [None, 0]


def test_pairs_hold_every_verified_pair_at_or_above_the_threshold() -> None:
    rng = random.Random(21)
    texts = [*SEEDS]
    for i in range(len(SEEDS)):
        texts.append(copy_of(i, ["truncate", "hamza_seat"], rng))
        texts.append(copy_of(i, ["add_sentence", "diacritics"], rng))
    for threshold in (0.5, 0.8):
        r = find_duplicates(texts, threshold=threshold)
        check_consistent(r, texts, threshold=threshold)
        got = {(p.i, p.j) for p in r.pairs}
        # Far above the LSH threshold, LSH cannot miss: pairs equal the exhaustive check.
        sure = {
            (i, j)
            for i, j in itertools.combinations(range(len(texts)), 2)
            if exact_similarity(texts[i], texts[j]) >= max(threshold, 0.7)
        }
        assert sure <= got
        if threshold == 0.5:
            assert len(got) >= 3 * len(SEEDS)  # base~copy, base~copy, copy~copy per story


def test_containment_finds_a_truncated_copy() -> None:
    base = " ".join(SENTENCES[:20])
    part = " ".join(SENTENCES[:6])
    assert exact_similarity(base, part) < 0.5 <= exact_similarity(base, part, "containment")
    assert find_duplicates([base, part], threshold=0.5).keep.tolist() == [True, True]
    r = find_duplicates([base, part], similarity="containment", threshold=0.5)
    assert r.duplicate_of == [None, 0]
    assert r.pairs[0].similarity == exact_similarity(base, part, "containment")


def test_default_threshold_follows_the_similarity_given_as_an_option() -> None:
    # DedupConfig documents a default threshold per similarity; asking for containment by
    # keyword must get containment's default, as DedupConfig(similarity=...) does.
    expected = DedupConfig(similarity="containment").threshold
    assert expected != DedupConfig().threshold
    r = find_duplicates(SEEDS[:2], similarity="containment")
    assert r.params["threshold"] == expected
    assert Deduplicator(similarity="containment").config.threshold == expected
    # ...and an explicit threshold still wins.
    assert (
        find_duplicates(SEEDS[:2], similarity="containment", threshold=0.9).params["threshold"]
        == 0.9
    )


def test_result_records_its_parameters() -> None:
    r = find_duplicates(SEEDS[:2], num_perm=64, seed=3, threshold=0.6, k=4)
    p = r.params
    assert (p["num_perm"], p["seed"], p["threshold"]) == (64, 3, 0.6)
    assert p["bands"] * p["rows"] <= 64
    assert p["scheme"] == "affine32"
    assert p["k"] == p["shingle_k"] == 4
    assert find_duplicates(SEEDS[:2]).params["k"] == DedupConfig().shingle.k


# -- defined behaviour on odd input ---------------------------------------------------------


def test_empty_corpus() -> None:
    for empty in ([], (), iter([])):
        r = find_duplicates(empty)
        assert len(r) == 0
        assert r.pairs == [] and r.duplicate_of == [] and r.kept() == []


def test_texts_without_tokens_are_always_kept_and_never_matched() -> None:
    texts = ["", "", "   ", "\n\t", "...!؟", "\u200c\u064e", SEEDS[0], ""]
    r = find_duplicates(texts)
    check_consistent(r, texts)
    assert r.keep.all()
    assert r.pairs == []
    assert r.no_words.tolist() == [0, 1, 2, 3, 4, 5, 7]  # all but the seed: nothing to compare
    r = find_duplicates(texts, similarity="containment", threshold=0.01)
    assert r.keep.all()
    assert r.pairs == []
    assert r.no_words.tolist() == [0, 1, 2, 3, 4, 5, 7]


def test_identical_very_short_texts_are_duplicates() -> None:
    # Fewer tokens than k: the whole text is one shingle, so short texts still compare.
    texts = ["نعم", "نعم", "لا", "نَعَمْ", "تم الاتفاق", "تم  الاتفاق!", "تم"]
    r = find_duplicates(texts)
    check_consistent(r, texts)
    assert r.duplicate_of == [None, 0, None, 0, None, 4, None]
    assert all(p.similarity == 1.0 for p in r.pairs)


def test_english_text_is_deduplicated_like_arabic() -> None:
    a = "The ministry announced on Monday that the new hospital will open next month in Riyadh."
    b = "THE MINISTRY announced on Monday that the new hospital will open next month in Riyadh!!"
    c = "Heavy rain hit the city of Jeddah last night and closed several main roads downtown."
    r = find_duplicates([a, b, c])
    assert r.duplicate_of == [None, 0, None]


def test_cjk_text_without_spaces_is_one_token() -> None:
    # A run of CJK letters is one token: identical texts match, a one-character edit does not.
    a = "东京是日本的首都也是最大的城市"
    b = "东京是日本的首都也是最大的城巿"
    r = find_duplicates([a, a, b])
    assert r.duplicate_of == [None, 0, None]
    # With character shingles they compare character by character.
    r = find_duplicates([a, b], shingle_unit="char", threshold=0.6)
    assert r.duplicate_of == [None, 0]


def test_mixed_script_text() -> None:
    a = "أعلنت شركة Apple اليوم عن هاتف iPhone 15 الجديد في مؤتمر WWDC بمدينة سان فرانسيسكو"
    b = "اعلنت شركة APPLE اليوم عن هاتف iphone ١٥ الجديد فى مؤتمر wwdc بمدينه سان فرانسيسكو"
    c = "أعلنت شركة Samsung اليوم عن هاتف Galaxy S24 الجديد في مؤتمر صحفي بمدينة سيول"
    r = find_duplicates([a, b, c])
    assert r.duplicate_of == [None, 0, None]
    assert r.pairs[0].similarity == 1.0


@pytest.mark.parametrize("bad", [None, 3, b"\xd9\x86\xd8\xb5", ["نص"]])
def test_non_str_input_raises_input_error_naming_the_index(bad: object) -> None:
    with pytest.raises(InputError, match="#2") as info:
        find_duplicates(["نص", "نص آخر", bad, "نص"])  # type: ignore[list-item]
    assert isinstance(info.value, TypeError)
    assert type(bad).__name__ in str(info.value)
    if isinstance(bad, bytes):
        assert "decode" in str(info.value)


def test_a_single_str_is_not_a_corpus() -> None:
    # A str is an iterable of characters; taking it for a corpus of one-letter texts would
    # silently return nonsense (scikit-learn's vectorizers refuse it the same way).
    with pytest.raises(InputError) as info:
        find_duplicates("قال المسؤول في بيان")
    assert isinstance(info.value, TypeError)


def test_unknown_option_lists_the_valid_options() -> None:
    with pytest.raises(ConfigError) as info:
        find_duplicates(["نص"], treshold=0.5)
    msg = str(info.value)
    assert "treshold" in msg
    for name in ("threshold", "similarity", "num_perm", "seed", "shingle_unit", "max_df"):
        assert name in msg
    assert isinstance(info.value, ValueError)
    with pytest.raises(ConfigError, match="treshold"):
        Deduplicator(treshold=0.5)


@pytest.mark.parametrize(
    "options",
    [
        {"threshold": 0},
        {"threshold": 1.5},
        {"threshold": True},
        {"similarity": "cosine"},
        {"shingle_unit": "byte"},
        {"k": -1},
        {"max_df": 0},
        {"lsh_threshold": 1.0},
        {"num_perm": 1},
        {"seed": -1},
        {"bands": 64, "rows": 4},
    ],
)
def test_bad_options_raise_config_error(options: dict[str, object]) -> None:
    with pytest.raises(ConfigError) as info:
        find_duplicates(["نص"], **options)
    assert isinstance(info.value, ValueError)


def test_bad_keep_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="'newest'"):
        find_duplicates(["نص"], keep="newest")  # type: ignore[arg-type]


def test_config_object_and_options_combine() -> None:
    cfg = DedupConfig(threshold=0.9)
    texts = [" ".join(SENTENCES[:20]), " ".join(SENTENCES[:14])]
    assert 0.5 <= exact_similarity(*texts) < 0.9
    assert find_duplicates(texts, config=cfg).keep.all()
    assert not find_duplicates(texts, config=cfg, threshold=0.5).keep.all()


def test_generators_and_tuples_are_accepted() -> None:
    rng = random.Random(8)
    texts = [*SEEDS, *(copy_of(i, ["footer"], rng) for i in range(3))]
    expected = result_tuple(find_duplicates(texts))
    assert result_tuple(find_duplicates(t for t in texts)) == expected
    assert result_tuple(find_duplicates(tuple(texts))) == expected


# -- fast == reference, threads -------------------------------------------------------------


@st.composite
def corpora(draw):  # type: ignore[no-untyped-def]
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    n_bases = draw(st.integers(1, 4))
    bases = [" ".join(rng.sample(SENTENCES, rng.randint(1, 8))) for _ in range(n_bases)]
    texts = list(bases)
    for _ in range(draw(st.integers(0, 6))):
        names = draw(st.lists(st.sampled_from(list(TRANSFORMS)), min_size=1, max_size=4))
        texts.append(syndicate(rng.choice(bases), names, rng=rng, title="عنوان", extra=EXTRA))
    texts += draw(st.lists(st.sampled_from(["", " ", "نعم", "\ufdfa", "نص قصير جدا"]), max_size=2))
    rng.shuffle(texts)
    return texts


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    texts=corpora(),
    options=st.sampled_from(
        [{}, {"similarity": "containment"}, {"shingle_unit": "char"}, {"k": 1}, {"max_df": 2}]
    ),
)
def test_fast_and_reference_give_identical_results(texts: list[str], options: dict) -> None:
    fast = with_impl(None, find_duplicates, texts, **options)
    ref = with_impl("reference", find_duplicates, texts, **options)
    assert result_tuple(fast) == result_tuple(ref)
    assert fast.params == ref.params
    check_consistent(fast, texts, **options)


def test_thread_count_does_not_change_results() -> None:
    rng = random.Random(13)
    texts = [*SEEDS]
    for i in range(len(SEEDS)):
        texts.append(copy_of(i, ["truncate", "digits", "presentation"], rng))
        texts.append(copy_of(i, ["drop_sentence", "nbsp"], rng))
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = find_duplicates(texts)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = find_duplicates(texts)
    finally:
        numba.set_num_threads(before)
    assert result_tuple(one) == result_tuple(two)
    assert one.n_duplicates == 2 * len(SEEDS)


# -- Deduplicator ---------------------------------------------------------------------------


def test_deduplicator_add_query_len_contains_iter() -> None:
    rng = random.Random(4)
    d = Deduplicator()
    assert len(d) == 0
    assert d.add("a", SEEDS[0]) is None
    assert d.add("b", SEEDS[1]) is None
    copy = copy_of(0, ["prefix", "alef_maksura"], rng)
    assert d.query(copy) == [Match("a", exact_similarity(SEEDS[0], copy), "copy")]
    assert len(d) == 2 and "c" not in d  # query records nothing
    m = d.add("c", copy)
    assert isinstance(m, Match)
    assert m == Match("a", exact_similarity(SEEDS[0], copy), "copy")
    assert len(d) == 3
    assert "a" in d and "b" in d and "c" in d and "z" not in d
    assert sorted(d) == ["a", "b", "c"]
    assert d.query(SEEDS[2]) == []
    assert d.query("") == []


def test_deduplicator_duplicate_key_is_a_key_error() -> None:
    d = Deduplicator()
    d.add(1, SEEDS[0])
    d.add(2, SEEDS[0])  # a duplicate
    for key in (1, 2):
        with pytest.raises(KeyError, match=repr(key)):
            d.add(key, SEEDS[3])
    assert len(d) == 2
    assert d.add(3, SEEDS[3]) is None  # the failed adds left no trace


def test_deduplicator_matches_only_kept_texts() -> None:
    # A~B, B~C, A!~C: B is a duplicate of A, so C (like B only) is new.
    a = " ".join(SENTENCES[0:12])
    b = " ".join(SENTENCES[3:15])
    c = " ".join(SENTENCES[6:18])
    assert exact_similarity(a, b) >= 0.5 and exact_similarity(b, c) >= 0.5
    assert exact_similarity(a, c) < 0.5
    d = Deduplicator(threshold=0.5)
    assert d.add("a", a) is None
    assert d.add("b", b) == Match("a", exact_similarity(a, b), "copy")
    assert d.query(c) == []
    assert d.add("c", c) is None
    assert find_duplicates([a, b, c], threshold=0.5).duplicate_of == [None, 0, None]


def test_deduplicator_texts_without_tokens_are_kept() -> None:
    d = Deduplicator()
    assert d.add(0, "") is None
    assert d.add(1, "") is None
    assert d.add(2, " ... ") is None
    assert len(d) == 3


def test_deduplicator_takes_max_df_and_validates_it() -> None:
    # A Deduplicator counts document frequencies as it goes (tests/test_stream_boilerplate.py),
    # so max_df is an option like any other, validated the same way.
    assert Deduplicator(max_df=10).config.max_df == 10
    with pytest.raises(ConfigError, match="max_df"):
        Deduplicator(max_df=0)


def test_deduplicator_non_str_raises_input_error_naming_the_key() -> None:
    d = Deduplicator()
    with pytest.raises(InputError) as info:
        d.add("doc-17", b"\xd9\x86\xd8\xb5")  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)
    assert "bytes" in str(info.value)
    assert "doc-17" not in d
    # InputError's contract: "the message names the record (index or key)".
    assert "doc-17" in str(info.value)


def test_deduplicator_add_many_non_str_names_the_key() -> None:
    d = Deduplicator()
    with pytest.raises(InputError, match="doc-18") as info:
        d.add_many([("doc-17", "نص"), ("doc-18", None)])  # type: ignore[list-item]
    assert isinstance(info.value, TypeError)
    assert "doc-18" not in d


def stream_decisions(texts: list[str], **options) -> list:  # type: ignore[no-untyped-def]
    d = Deduplicator(**options)
    return [d.add(i, t) for i, t in enumerate(texts)]


def assert_same_decisions(texts: list[str], **options) -> None:  # type: ignore[no-untyped-def]
    batch = find_duplicates(texts, keep="first", max_df=None, **options)
    stream = stream_decisions(texts, max_df=None, **options)
    assert Deduplicator(max_df=None, **options).add_many(enumerate(texts)) == stream
    assert [m is None for m in stream] == batch.keep.tolist()
    assert [None if m is None else m.key for m in stream] == batch.duplicate_of
    assert [1.0 if m is None else m.similarity for m in stream] == batch.similarity.tolist()


def test_deduplicator_decides_like_find_duplicates() -> None:
    # Same signatures, same banding (so the same candidates) and exact verification: the
    # stream makes the batch's keep="first" decisions.
    rng = random.Random(99)
    texts = [*SEEDS]
    for i in range(len(SEEDS)):
        texts.append(copy_of(i, ["truncate", "html"], rng))
        texts.append(copy_of(i, ["related", "bidi", "kashida"], rng))
    texts += ["", "نعم", "نعم"]
    rng.shuffle(texts)
    for options in ({}, {"similarity": "containment"}, {"shingle_unit": "char", "k": 4}):
        assert_same_decisions(texts, **options)


def test_deduplicator_breaks_ties_like_find_duplicates() -> None:
    # C is exactly as similar to A as to B (k=1, Jaccard 0.5 each). find_duplicates joins the
    # most preferred representative (the first); the stream must pick the same one, whatever
    # LSH band happens to find B first.
    words = "الف باء تاء ثاء جيم حاء خاء دال ذال راء زاي سين شين صاد ضاد طاء".split()
    a, b = " ".join(words[:8]), " ".join(words[8:])
    texts = [a, b, f"{a} {b}"]
    for seed in range(1, 12):
        assert_same_decisions(texts, k=1, seed=seed)


def test_batched_input_reading_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # find_duplicates reads its input in batches and concatenates them part by part; the
    # result must be the same as one batch (here: batches of 3 texts, the last one partial).
    import arabic_dedup._dedup as dedup_module

    texts = [
        *SEEDS,
        *(syndicate(s, ["prefix", "digits"], rng=random.Random(i)) for i, s in enumerate(SEEDS)),
    ] * 2
    whole = find_duplicates(texts)
    monkeypatch.setattr(dedup_module, "INPUT_BATCH", 3)
    batched = find_duplicates(iter(texts))
    assert batched.duplicate_of == whole.duplicate_of
    assert batched.pairs == whole.pairs
    assert np.array_equal(batched.similarity, whole.similarity)


def test_texts_with_nothing_to_compare_are_listed_across_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # no_words indexes the whole input, not each read batch (batches of 3 texts here)
    import arabic_dedup._dedup as dedup_module

    texts = [SEEDS[0], "😀😀 !!!", SEEDS[1], SEEDS[2], "", "😀😀 !!!", "  ", SEEDS[0]]
    monkeypatch.setattr(dedup_module, "INPUT_BATCH", 3)
    r = find_duplicates(iter(texts))
    assert r.no_words.tolist() == [1, 4, 5, 6]
    assert r.keep[[1, 4, 5, 6]].all()  # kept, and the twin emoji texts not joined
    assert r.duplicate_of[7] == 0  # the real copy still joins
    assert find_duplicates(SEEDS).no_words.tolist() == []


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: ad.find_duplicates(None), ad.InputError, "texts must be an iterable of str"),
        (lambda: ad.find_duplicates("نص واحد"), ad.InputError, "wrap one text in a list"),
        (lambda: ad.find_duplicates(["ا ب"], config="x"), ad.ConfigError, "must be a DedupConfig"),
        (lambda: ad.Deduplicator(config="x"), ad.ConfigError, "must be a DedupConfig"),
        (lambda: ad.find_duplicates(["ا ب"], lsh_threshold="x"), ad.ConfigError, "lsh_threshold"),
        (lambda: ad.find_duplicates(["ا ب"], max_df=10**20), ad.ConfigError, "up to 2,147,483,647"),
        (lambda: ad.Deduplicator(max_df=10**20), ad.ConfigError, "up to 2,147,483,647"),
        (lambda: ad.find_duplicates(["ا ب"], tmp_dir=5), ad.ConfigError, "tmp_dir must be"),
        (lambda: ad.find_duplicates(["ا ب"], tmp_dir=b"/tmp"), ad.ConfigError, "got bytes"),
        (lambda: ad.Deduplicator().add_many(None), ad.InputError, "iterable of (key, text)"),
        (lambda: ad.Deduplicator().add_many([("k", "t", "x")]), ad.InputError, "got 3 values"),
        (
            lambda: ad.RedisOptions("redis://h:1/0", socket_timeout=1e300),
            ad.ConfigError,
            "up to 86,400",
        ),
        (lambda: ad.Deduplicator(path="a\x00b.sqlite"), ad.ConfigError, "NUL character"),
    ],
)
def test_misused_api_raises_our_error_naming_the_problem(
    call: Any, error: type[Exception], message: str
) -> None:
    # Each of these raised a raw TypeError, ValueError, AttributeError, OverflowError or a
    # numba TypingError from deep inside.
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_add_many_records_the_adds_before_a_bad_item() -> None:
    with ad.Deduplicator() as d:
        with pytest.raises(ad.InputError, match=r"item 1 must be a \(key, text\) pair"):
            d.add_many([("k0", "نص أول للتجربة هنا"), ("k1",)])
        assert set(d) == {"k0"}
