"""The fact check: template pairs (same formula, different facts) apart, edited copies joined.

Hand-made sentences in the style of the corpora (no corpus text).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from _impl import with_impl
from hypothesis import given, settings
from hypothesis import strategies as st

from arabic_dedup import (
    ConfigError,
    DedupConfig,
    Deduplicator,
    InputError,
    NormalizerConfig,
    _engine,
    find_duplicates,
    tokens,
)
from arabic_dedup._dedup import detect, read_all
from arabic_dedup._factread import facts_reference, lexicon
from arabic_dedup._facts import (
    FACT_KINDS,
    MATCH_KINDS,
    MAX_FACTS,
    FactRule,
    Judgement,
    evidence,
    fact_hashes,
    fact_sets,
    facts,
    judge,
)
from arabic_dedup._facts_explain import explain_pair
from arabic_dedup._io import Source, dedup_files
from arabic_dedup._keep import keep_order
from arabic_dedup._shingle import ShingleSets

FLIGHT_5 = (
    "وصلت إلى مطار عدن الدولي اليوم الطائرة الخامسة التابعة لمركز الملك سلمان للإغاثة "
    "والأعمال الإنسانية وعلى متنها 12 طنا من الأدوية والمستلزمات الطبية"
)
FLIGHT_6 = (
    "وصلت إلى مطار عدن الدولي اليوم الطائرة السادسة التابعة لمركز الملك سلمان للإغاثة "
    "والأعمال الإنسانية وعلى متنها 11 طنا من المواد الغذائية والمستلزمات الطبية"
)
CABLE_NIGER = (
    "بعث خادم الحرمين الشريفين الملك سلمان بن عبدالعزيز آل سعود برقية تهنئة لرئيس جمهورية "
    "النيجر بمناسبة ذكرى استقلال بلاده"
)
CABLE_BOLIVIA = (
    "بعث خادم الحرمين الشريفين الملك سلمان بن عبدالعزيز آل سعود برقية تهنئة لرئيس جمهورية "
    "بوليفيا بمناسبة ذكرى استقلال بلاده"
)
# A copy edited heavily: clauses reordered, honorifics dropped, reported speech; every fact
# (the date, the number of projects, the amount, the places) agrees.
REPORT = (
    "أعلن صاحب السمو الملكي أمير منطقة تبوك يوم الأحد 12 يوليو عن اعتماد 35 مشروعا جديدا "
    "في تبوك وضباء بتكلفة 480 مليون ريال وقال سموه إن المشاريع تشمل الطرق والمدارس"
)
REPORT_EDITED = (
    "بتكلفة 480 مليون ريال اعتمد أمير تبوك 35 مشروعا جديدا في ضباء وتبوك مشيرا إلى أن "
    "المشاريع تشمل المدارس والطرق وذلك يوم الأحد 12 يوليو"
)


def _judge(a: str, b: str, sim: float, **kw: object) -> tuple[bool, str, str]:
    return explain_pair(tokens(a), tokens(b), sim, threshold=0.3, **kw)  # type: ignore[arg-type]


# -- extraction --------------------------------------------------------------------------------
def test_facts_by_kind_and_canonical_value() -> None:
    text = "الدورة الخامسة في 12,000 موقع بالرياض يوم الأحد"
    got = [(f.kind, f.value) for f in facts(tokens(text))]
    assert got == [("ordinal", "5"), ("number", "12"), ("place", "الرياض"), ("date", "d1")]


def test_spellings_of_one_fact_agree() -> None:
    # gender agreement of ordinals, digits vs words, thousands separators, month synonyms,
    # glued prefixes, and the calendar letter after a year
    pairs = [
        ("المرحلة الأولى", "الدور الأول"),
        ("خمسة أيام", "5 أيام"),
        ("12,000 ريال", "12000 ريال"),
        ("في يوليو", "في تموز"),
        ("وصل إلى الرياض", "وصل للرياض"),
        ("عام 1436هـ", "عام 1436"),
        ("1,200 ريال", "1200 ريال"),  # a digit group continues the figure
        ("في الساعة 16:00", "في الساعة 4:00"),  # a clock time on a 12-hour clock
        ("للساعة 22", "والساعة 10"),
    ]
    for a, b in pairs:
        va = {(f.kind, f.value) for f in facts(tokens(a))}
        vb = {(f.kind, f.value) for f in facts(tokens(b))}
        assert va and va == vb, (a, b, va, vb)


def test_digit_groups_and_clock_times_are_read_as_one_figure() -> None:
    # 12,794 is one figure (not 12 beside 794), so two counts with the same first group differ;
    # a group after a year with its calendar letter, or after zero, starts a figure of its own
    def values(text: str) -> list[str]:
        return [f.value for f in facts(tokens(text))]

    assert values("سجل 12,794 خريجا و12,541 زائرا") == ["12794", "12541"]
    assert values("بلغ 1,200,500 ريال") == ["12005"]
    assert values("عام 2015م 123 و0 500") == ["2015", "123", "5"]
    [f] = facts(tokens("سجل 15.541 خريجا"))
    assert (f.word, f.before, f.after) == ("15,541", "سجل", "خريجا")  # the slot is around it
    # an hour only after an hour word, and only 13..24; not a figure with its group or a year
    assert values("الساعة 13 و13 يوما") == ["1", "13"]
    assert values("الساعة 25 الساعة 12 الساعة 1,300 الساعة 16م") == ["25", "12", "13", "16"]


def test_templates_differing_in_a_grouped_figure_are_told_apart() -> None:
    a = "وبلغ عدد المسجلين في موقع المعرض خلال تلك الفترة (12,794) خريج باحث عن عمل"
    b = a.replace("12,794", "15,541")
    dup, kind, text = _judge(a, b, 0.6)
    assert (dup, kind) == (False, "template")
    assert "number 12,794 vs 15,541" in text
    c = "وصلت الطائرة الساعة 16:00 إلى عدن تحمل 12 طنا"
    dup, kind, _ = _judge(c, c.replace("16:00", "4:00"), 0.6)
    assert (dup, kind) == (True, "copy")


def test_common_nouns_are_not_places() -> None:
    # الخبر "the news", المدينة "the city": names of places too, but far more often nouns
    assert facts(tokens("نشر الخبر في المدينة")) == []


def test_fingerprint_is_packed_sorted_distinct_and_capped() -> None:
    h = fact_hashes(tokens("تحمل 12 طنا و12 طنا في اليوم الخامس"))
    assert h.dtype == np.uint32
    assert h.tolist() == sorted(set(h.tolist()))
    assert {FACT_KINDS[int(x) & 3] for x in h} == {"number", "ordinal"}
    many = " ".join(f"بند {n} مقره" for n in range(1, 200))
    capped = fact_hashes(tokens(many))
    assert capped.size == MAX_FACTS
    assert capped.tolist() == sorted(fact_hashes(tokens(many)).tolist())


# -- decisions -----------------------------------------------------------------------------------
def test_relief_flight_template_is_rejected_with_its_facts() -> None:
    dup, kind, text = _judge(FLIGHT_5, FLIGHT_6, 0.55)
    assert (dup, kind) == (False, "template")
    assert "ordinal الخامسه vs السادسه" in text
    assert "number 12 vs 11" in text


def test_cable_to_another_country_is_rejected() -> None:
    dup, kind, text = _judge(CABLE_NIGER, CABLE_BOLIVIA, 0.8)
    # nearly the same text, one place changed: never joined by default (kept apart as an
    # update), and the evidence names the places
    assert not dup
    assert kind == "update"
    assert "place النيجر vs بوليفيا" in text


def test_update_policy_join_marks_it() -> None:
    dup, kind, _ = _judge(CABLE_NIGER, CABLE_BOLIVIA, 0.8, rule=FactRule(updates="join"))
    assert (dup, kind) == (True, "update")


def test_reordered_copy_without_honorifics_is_accepted() -> None:
    dup, kind, text = _judge(REPORT, REPORT_EDITED, 0.32)
    assert (dup, kind) == (True, "copy")
    assert text.startswith("copy: facts agree (")
    assert "none differ" in text


def test_edited_copy_below_threshold_is_rescued_by_agreeing_facts() -> None:
    dup, kind, text = _judge(REPORT, REPORT_EDITED, 0.22)
    assert (dup, kind) == (True, "copy")
    assert "similarity 0.22" in text
    # ...but not below the rescue floor, nor in containment mode
    assert not _judge(REPORT, REPORT_EDITED, 0.15)[0]
    assert not _judge(REPORT, REPORT_EDITED, 0.22, containment=True)[0]


def test_a_fact_differing_in_a_rewritten_sentence_is_no_conflict() -> None:
    # the number differs, but with different words either side: a rewrite, not a slot
    a = REPORT + " وأوضح أن العمل يبدأ بعد 3 أشهر"
    b = REPORT_EDITED + " على أن ينطلق التنفيذ خلال 4 مراحل متتالية"
    dup, kind, _ = _judge(a, b, 0.35)
    assert (dup, kind) == (True, "copy")


def test_below_threshold_without_facts_is_different() -> None:
    dup, kind, text = _judge("كلام عام بلا أرقام", "حديث آخر بلا أرقام", 0.25)
    assert (dup, kind) == (False, "different")
    assert text.startswith("different: similarity 0.25 below the threshold")


def test_judge_counts_evidence_and_explains_without_texts() -> None:
    fs = fact_sets([tokens(FLIGHT_5), tokens(FLIGHT_6), tokens(REPORT), tokens(REPORT_EDITED)])
    pairs = np.array([[0, 1], [2, 3]])
    j = judge(fs, pairs, np.array([0.55, 0.32]), threshold=0.3)
    assert j.duplicate.tolist() == [False, True]
    assert [j.match_kind(0), j.match_kind(1)] == ["template", "copy"]
    num, ordn = FACT_KINDS.index("number"), FACT_KINDS.index("ordinal")
    assert j.conflict[0, num] == 1 and j.conflict[0, ordn] == 1
    assert j.conflict[1].sum() == 0 and j.only_a[1].sum() == 0 and j.only_b[1].sum() == 0
    assert j.explain(0).startswith("template: same formula (similarity 0.55)")
    assert "number 1, ordinal 1" in j.explain(0)


def test_judge_validates_its_inputs() -> None:
    fs = fact_sets([tokens(FLIGHT_5), tokens(FLIGHT_6)])
    with pytest.raises(InputError, match="one verified similarity per pair"):
        judge(fs, np.array([[0, 1]]), np.array([0.5, 0.5]), threshold=0.3)
    with pytest.raises(InputError, match=r"pair indexes must be in \[0, 2\)"):
        judge(fs, np.array([[0, 2]]), np.array([0.5]), threshold=0.3)
    with pytest.raises(ConfigError, match="min_conflict_share"):
        FactRule(min_conflict_share=1.5)
    with pytest.raises(ConfigError, match="updates"):
        FactRule(updates="hide")  # type: ignore[arg-type]


def test_empty_inputs() -> None:
    fs = fact_sets([[], []])
    j = judge(fs, np.zeros((0, 2), dtype=np.int64), np.zeros(0), threshold=0.3)
    assert len(j) == 0
    j = judge(fs, np.array([[0, 1]]), np.array([0.9]), threshold=0.3)
    assert j.match_kind(0) == "copy" and "no shared facts" in j.explain(0)


# -- properties ----------------------------------------------------------------------------------
VOCAB = [
    "وصلت",
    "الطائرة",
    "تحمل",
    "طنا",
    "إلى",
    "في",
    "الرياض",
    "جدة",
    "عدن",
    "الأحد",
    "الخميس",
    "يوليو",
    "الخامسة",
    "السادسة",
    "الأولى",
    "خمسة",
    "12",
    "11",
    "40",
    "45",
    "1436",
    "مشروعا",
]
docs = st.lists(st.sampled_from(VOCAB), min_size=0, max_size=40)


@settings(max_examples=150, deadline=None)
@given(docs, docs, st.floats(0.0, 1.0))
def test_judgement_is_symmetric(a: list[str], b: list[str], sim: float) -> None:
    fs = fact_sets([a, b])
    fwd = judge(fs, np.array([[0, 1]]), np.array([sim]), threshold=0.3)
    rev = judge(fs, np.array([[1, 0]]), np.array([sim]), threshold=0.3)
    assert fwd.duplicate.tolist() == rev.duplicate.tolist()
    assert fwd.kind.tolist() == rev.kind.tolist()
    assert np.array_equal(fwd.shared, rev.shared)
    assert np.array_equal(fwd.only_a, rev.only_b) and np.array_equal(fwd.conflict, rev.conflict)


@settings(max_examples=60, deadline=None)
@given(st.lists(docs, min_size=2, max_size=8), st.randoms(use_true_random=False))
def test_batch_equals_one_pair_at_a_time_in_any_order(texts: list[list[str]], rnd: object) -> None:
    fs = fact_sets(texts)
    n = len(texts)
    pairs = np.array([(i, j) for i in range(n) for j in range(i + 1, n)], dtype=np.int64)
    sims = np.linspace(0.1, 0.9, len(pairs))
    perm = np.arange(len(pairs))
    rnd.shuffle(perm)  # type: ignore[attr-defined]
    batch = judge(fs, pairs[perm], sims[perm], threshold=0.3)
    for pos, p in enumerate(perm.tolist()):
        one = judge(fs, pairs[p : p + 1], sims[p : p + 1], threshold=0.3)
        assert one.kind[0] == batch.kind[pos]
        assert np.array_equal(one.conflict[0], batch.conflict[pos])
        assert np.array_equal(one.shared[0], batch.shared[pos])


@settings(max_examples=100, deadline=None)
@given(docs, docs)
def test_evidence_matches_a_plain_set_computation(a: list[str], b: list[str]) -> None:
    fs = fact_sets([a, b])
    shared, only_a, only_b, _ = evidence(fs, np.array([[0, 1]]))
    ha, hb = (set((fs[i] & 0xFFFF).tolist()) for i in (0, 1))
    kinds = [FACT_KINDS.index(k) for k in FACT_KINDS]
    for k in kinds:
        assert shared[0, k] == sum(1 for v in ha & hb if v & 3 == k)
        assert only_a[0, k] == sum(1 for v in ha - hb if v & 3 == k)
        assert only_b[0, k] == sum(1 for v in hb - ha if v & 3 == k)


def test_match_kinds_are_named_once() -> None:
    assert MATCH_KINDS == (
        "exact", "near", "copy", "partial", "update", "template", "different", "boilerplate"
    )  # fmt: skip
    assert isinstance(fact_sets([["12"]]), ShingleSets)


def _surface_tokens() -> st.SearchStrategy[str]:
    words = sorted(lexicon(NormalizerConfig()))
    prefix = st.sampled_from(["", "و", "ب", "ل", "ف", "ك", "وب", "ول", "لل", "ال", "ا"])
    word = st.one_of(
        st.sampled_from(words),
        st.sampled_from([w[1:] for w in words] + [w[2:] for w in words]),
        st.from_regex(r"\A[0-9٠-٩]{1,5}[هم]?\Z"),
        st.sampled_from(["كلمة", "و", "ه", "م", "12ب", "x9"]),
        # clock times and digit groups (_read_number): hour words, hours, groups
        st.sampled_from(
            ["الساعه", "ساعه", "13", "16", "24", "016", "25", "12", "000", "500", "٧٩٤"]
        ),
        # approximations (_factread.Approximations): single words, heads, tails
        st.sampled_from(["نحو", "حوالي", "قرابه", "اكثر", "لاكثر", "اقل", "يزيد", "من", "على"]),
    )
    return st.builds(lambda p, w: (p + w) or "و", prefix, word)


@settings(max_examples=300, deadline=None)
@given(st.lists(_surface_tokens(), max_size=30))
def test_fast_facts_equal_the_reference(toks: list[str]) -> None:
    assert facts(toks) == facts_reference(toks, NormalizerConfig())


# -- the compiled fingerprints (inside the fused shingle kernel) == the reference --------------

_FACT_NORMALIZERS = [
    NormalizerConfig(),
    NormalizerConfig(hamza="drop"),
    NormalizerConfig(digits=False),
]


def _both_paths(
    texts: list[str], normalizer: NormalizerConfig, unit: str = "word"
) -> tuple[list[list[int]], list[list[int]], list[list[int]]]:
    """Fingerprints from the kernel, from the reference shingle path, and the definition
    (``fact_hashes`` of ``tokens``)."""
    hasher = DedupConfig(normalizer=normalizer, shingle_unit=unit).hasher()  # type: ignore[arg-type]
    _, fast = with_impl(None, hasher.shingle_fact_sets, texts)
    _, ref = with_impl("reference", hasher.shingle_fact_sets, texts)
    want = [fact_hashes(tokens(t, config=normalizer), normalizer=normalizer) for t in texts]
    return (
        [fast[i].tolist() for i in range(len(fast))],
        [ref[i].tolist() for i in range(len(ref))],
        [w.tolist() for w in want],
    )


_sentences = st.lists(
    st.one_of(_surface_tokens(), st.sampled_from(VOCAB), st.sampled_from([" ", "\n", "،", "."])),
    max_size=60,
).map(" ".join)


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba is not installed")
@settings(max_examples=150, deadline=None)
@given(
    st.lists(_sentences, min_size=1, max_size=6),
    st.sampled_from(_FACT_NORMALIZERS),
    st.sampled_from(["word", "char"]),
)
def test_compiled_fingerprints_equal_the_reference(
    texts: list[str], normalizer: NormalizerConfig, unit: str
) -> None:
    assert with_impl(None, _engine.impl) == "fast"  # else this compares the reference with itself
    fast, ref, want = _both_paths(texts, normalizer, unit)
    assert fast == ref == want


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba is not installed")
def test_the_compiled_tables_are_built_once_per_normalizer() -> None:
    # Every hashing call asks for them (a stream's add hashes one text): rebuilding them hashed
    # the whole lexicon each time, 20 ms per add instead of under 1 ms.
    from arabic_dedup._facts import fact_tables

    a, b = NormalizerConfig(), NormalizerConfig(hamza="drop")
    assert fact_tables(a) is fact_tables(NormalizerConfig())
    assert fact_tables(b) is not fact_tables(a)
    assert fact_tables(b).normalizer == b


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba is not installed")
def test_the_kernel_without_facts_takes_the_fact_tables_types() -> None:
    # The shingle stage's stand-in arguments (no fingerprints wanted) must type as the real
    # tables do, or the fused kernel compiles once more for facts="off" (a writable digit
    # table did: two specialisations, two compiles at warm-up).
    import numba

    from arabic_dedup._facts import fact_tables
    from arabic_dedup._shingle import _NO_FACTS

    for normalizer in _FACT_NORMALIZERS:
        real = fact_tables(normalizer).kernel_args()
        assert [numba.typeof(a) for a in _NO_FACTS] == [numba.typeof(a) for a in real]


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba is not installed")
def test_compiled_fingerprints_on_hard_cases() -> None:
    texts = [
        "",
        "12",  # a fact as the only token: both neighbours are the empty token
        "الخامسة وصلت",  # a fact first
        "وصلت الخامسة",  # a fact last
        "0 00 000 0012000 و0",  # zeros are no fact; leading and trailing zeros drop
        "١٢٣ ٤٥ 1436هـ 2015م و5 ب12 5ه ه م و",  # Arabic-Indic digits, calendar letters, prefixes
        "x² ²³ 3²",  # superscripts are digits but not decimal: no number
        "0" * 5000 + "7",  # longer than int()'s digit limit
        " ".join(f"{n} كلمة" for n in range(1, 80)),  # more facts than MAX_FACTS: bottom-k
        "وبالرياض للرياض والرياض بالرياض كالخامسة",
        "ا\u0653لاف 12 ي\u0655",  # composing text goes to the kernel pre-tokenised
        "\ufdfa 12 \ufdfa",  # one code point expanding to four words
        "1,200,500 12 000 000 و12 500 2015م 123 0 500 15.541",  # digit groups
        "الساعة 16 للساعة 24 والساعة 13,500 وللساعة 20 الساعة 25 الساعة 0016 ساعة 16",  # hours
        "نحو 12 لأكثر من 1,300 حالة أكثر من خمسة من 7 ما يزيد على 20 وحوالي 3 يقارب 4",  # approx
    ]
    for normalizer in _FACT_NORMALIZERS:
        fast, ref, want = _both_paths(texts, normalizer)
        assert fast == ref == want
    assert len(want[8]) == MAX_FACTS
    assert want[1] and want[2] and want[3]
    assert [FACT_KINDS[x & 3] for x in want[5]].count("number") >= 6
    assert not want[6]
    assert want[12] and want[13]
    assert len(want[14]) == 7


def test_approximate_figures_never_conflict_and_still_agree() -> None:
    read = facts(tokens("نحو 12 و12 لأكثر من 1,300 حالة من 7 ما يزيد على خمسة"))
    assert [(f.value, f.approximate) for f in read] == [
        ("12", True), ("12", False), ("13", True), ("7", False), ("5", True)
    ]  # fmt: skip
    flight = "وصلت الطائرة إلى عدن تحمل {} طنا من الأدوية والمواد الغذائية"

    def judged(a: str, b: str) -> Judgement:
        fs = fact_sets([tokens(flight.format(a)), tokens(flight.format(b))])
        return judge(fs, np.array([[0, 1]]), np.array([0.6]), threshold=0.3)

    assert judged("12", "11").match_kind(0) == "template"  # an exact figure differs
    for a, b in (("نحو 12", "نحو 11"), ("أكثر من 12", "أكثر من 11"), ("حوالي 12", "11")):
        j = judged(a, b)
        assert j.conflict.sum() == 0 and j.match_kind(0) == "copy", (a, b)
    j = judged("أكثر من 12", "12")  # equal values agree, approximate or not
    assert j.shared[0, FACT_KINDS.index("number")] == 1 and j.match_kind(0) == "copy"


# -- the decision, wired in: config -> Verifier -> every batch path ----------------------------

# One story syndicated twice (a heavy edit, every fact agreeing), two relief flights (same
# formula, different facts), and a death toll revised (same text, one figure changed).
TOLL_10 = (
    "أعلنت المديرية العامة للدفاع المدني أن عدد ضحايا الحريق الذي اندلع في مستودع بمحافظة "
    "جدة مساء أمس بلغ 10 أشخاص فيما نقل المصابون إلى المستشفيات القريبة لتلقي العلاج"
)
TOLL_12 = TOLL_10.replace(" 10 ", " 12 ")
WIRED = [FLIGHT_5, FLIGHT_6, REPORT, REPORT_EDITED, TOLL_10, TOLL_12, CABLE_NIGER, CABLE_BOLIVIA]


def _joined(result: object) -> set[tuple[int, int]]:
    return {(p.i, p.j) for p in result.pairs}  # type: ignore[attr-defined]


def test_facts_option_decides_find_duplicates() -> None:
    off = find_duplicates(WIRED, max_df=None, facts="off")
    on = find_duplicates(WIRED, max_df=None)  # facts="apart", the default
    # The threshold alone joins the templates and the update; the fact check does not.
    assert {(0, 1), (4, 5), (6, 7)} <= _joined(off)
    assert off.pairs.kinds() is None
    assert (0, 1) not in _joined(on) and (6, 7) not in _joined(on) and (4, 5) not in _joined(on)
    assert on.keep[[0, 1, 4, 5, 6, 7]].all()
    kinds = dict(zip(((p.i, p.j) for p in on.pairs), on.pairs.kinds() or [], strict=True))
    assert kinds.get((2, 3)) == "copy"
    assert on.params["facts"] == "apart"


def test_updates_join_is_joined_and_marked(tmp_path: Path) -> None:
    r = find_duplicates(WIRED, max_df=None, facts="join")
    kinds = dict(zip(((p.i, p.j) for p in r.pairs), r.pairs.kinds() or [], strict=True))
    assert kinds.get((4, 5)) == "update" and r.duplicate_of[5] == 4
    assert (0, 1) not in kinds  # a template is never joined
    # The member is marked too, in the result and in every file output: an update joined
    # must never read as a plain near copy.
    assert r.match_kind[5] == "update" and r.match_kind[3] == "near"
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(WIRED)),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    dedup_files([Source.detect(str(src))], out, config=DedupConfig(max_df=None, facts="join"))
    members = {
        m["id"]: m["kind"]
        for line in (out / "clusters.jsonl").read_text("utf-8").splitlines()
        for m in json.loads(line)["members"]
    }
    assert members["5"] == "update" and members["3"] == "near"
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["counts"]["duplicates_by_kind"]["update"] == r.match_kind.count("update") > 0
    apart = find_duplicates(WIRED, max_df=None)  # the default keeps the update apart
    assert "update" not in apart.match_kind and apart.duplicate_of[5] is None


def test_facts_mode_is_validated() -> None:
    with pytest.raises(ConfigError, match="facts must be one of off, apart, join"):
        DedupConfig(facts="yes")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="facts must be one of off, apart, join"):
        Deduplicator(facts="yes")
    assert DedupConfig(facts="join").verifier.facts == FactRule(updates="join")
    assert DedupConfig().verifier.facts == FactRule()  # on by default: "apart"
    assert DedupConfig(facts="off").verifier.facts is None


def test_verifier_needs_fingerprints_when_it_checks_facts() -> None:
    v = DedupConfig(facts="apart").verifier
    sets = ShingleSets.from_arrays([np.array([1, 2], np.uint32), np.array([1, 2], np.uint32)])
    with pytest.raises(InputError, match="no fact fingerprints were given"):
        v(sets, np.array([[0, 1]]))


@pytest.mark.parametrize("facts_mode", ["apart", "join"])
def test_every_engine_and_the_file_pipeline_decide_alike(tmp_path: Path, facts_mode: str) -> None:
    texts = [*WIRED, REPORT + " " + FLIGHT_5, TOLL_10]  # an exact copy: one shingle-set group
    cfg = DedupConfig(max_df=None, facts=facts_mode)  # type: ignore[arg-type]
    results = [with_impl(impl, find_duplicates, texts, config=cfg) for impl in ("reference", None)]
    assert results[0].duplicate_of == results[1].duplicate_of
    assert results[0].pairs == results[1].pairs and results[0].pairs.kind is not None
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts)),
        encoding="utf-8",
    )
    dedup_files([Source.detect(str(src))], tmp_path / "out", config=cfg)
    dups = {
        r["id"]: r["duplicate_of"]
        for line in (tmp_path / "out" / "duplicates.jsonl").read_text("utf-8").splitlines()
        if (r := json.loads(line))
    }
    want = {str(i): str(d) for i, d in enumerate(results[0].duplicate_of) if d is not None}
    assert dups == want


def _batch_matches(texts: list[str], **opts: object) -> list[tuple[int, float, str] | None]:
    """What find_duplicates says of each text: its kept text, similarity and pair kind."""
    r = find_duplicates(texts, **opts)  # type: ignore[arg-type]
    kind = dict(zip(((p.i, p.j) for p in r.pairs), r.pairs.kinds() or [], strict=True))
    return [
        None if d is None else (d, float(r.similarity[i]), kind[min(d, i), max(d, i)])
        for i, d in enumerate(r.duplicate_of)
    ]


@pytest.mark.parametrize("facts_mode", ["apart", "join"])
def test_a_stream_decides_as_find_duplicates(where: dict[str, object], facts_mode: str) -> None:
    texts = [*WIRED, REPORT + " " + FLIGHT_5, TOLL_10]
    keys = [f"t{i}" for i in range(len(texts))]
    # boilerplate_rescue off: the copy rescue alone reaches REPORT_EDITED (0.26 < 0.3), so the
    # stream's candidate bound must be cut at FactRule.lowest (0.2 here), not above.
    opts = {"max_df": None, "facts": facts_mode, "boilerplate_rescue": None}
    want = _batch_matches(texts, **opts)
    assert want[3] is not None and want[3][1] < 0.3 and want[3][2] == "copy"
    assert want[1] is None and (want[5] is None) == (facts_mode == "apart")
    with Deduplicator(**where, **opts) as d:  # type: ignore[arg-type]
        got = d.add_many(zip(keys, texts, strict=True))
        looked = [d.lookup(k) for k in keys]
        asked = d.query(REPORT_EDITED)
    for i, (w, g, lk) in enumerate(zip(want, got, looked, strict=True)):
        if w is None:
            assert g is None and lk is None, i
        else:
            assert g is not None and (g.key, g.kind) == (keys[w[0]], w[2]), i
            assert g.similarity == pytest.approx(w[1]) and lk == g, i
    assert [(m.key, m.kind) for m in asked] == [("t2", "copy")]
    with Deduplicator(max_df=None, boilerplate_rescue=None, facts="off") as off:
        off_got = off.add_many(zip(keys, texts, strict=True))
    assert off_got[1] is not None and off_got[1].kind is None  # the threshold alone: joined


def test_a_stream_index_records_its_fact_mode(tmp_path: Path) -> None:
    from arabic_dedup import IndexMismatchError

    path = tmp_path / "facts.index"
    with Deduplicator(path=path, facts="apart") as d:
        d.add("a", FLIGHT_5)
    with pytest.raises(IndexMismatchError, match='facts: stored "apart", requested "off"'):
        Deduplicator(path=path, facts="off")
    with pytest.raises(IndexMismatchError, match='facts: stored "apart", requested "join"'):
        Deduplicator(path=path, facts="join")
    with Deduplicator(path=path, facts="apart") as d:  # reopened: fingerprints kept
        m = d.add("b", FLIGHT_5.replace("اليوم ", ""))
        assert m is not None and (m.key, m.kind) == ("a", "copy")
        assert d.add("c", FLIGHT_6) is None  # the template, judged on the stored fingerprint


def test_an_index_whose_fingerprints_an_earlier_version_read_is_refused(tmp_path: Path) -> None:
    # Fingerprints are stored, not recomputed: an index written before digit groups and clock
    # times were read (no facts_version recorded) would judge new texts against old readings.
    import sqlite3

    from arabic_dedup import IndexMismatchError
    from arabic_dedup._facts import FACTS_VERSION

    path = tmp_path / "old.index"
    with Deduplicator(path=path) as d:
        d.add("a", FLIGHT_5)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM meta WHERE name = 'facts_version'")
    db.close()
    with pytest.raises(
        IndexMismatchError, match=f"facts_version: stored \\(absent\\), requested {FACTS_VERSION}"
    ):
        Deduplicator(path=path)
    # no fingerprints, nothing to version: an index without them opens as before
    off = tmp_path / "off.index"
    with Deduplicator(path=off, facts="off") as d:
        d.add("a", FLIGHT_5)
        assert "facts_version" not in d.params
    with sqlite3.connect(off) as db:
        stored = db.execute("SELECT count(*) FROM meta WHERE name = 'facts_version'").fetchone()
    db.close()
    assert stored == (0,)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(WIRED), min_size=2, max_size=14), st.integers(1, 4))
def test_giant_buckets_apply_the_fact_check_too(texts: list[str], limit: int) -> None:
    cfg = DedupConfig(max_df=None, facts="apart")
    hasher = cfg.hasher()

    def run(giant: float) -> tuple[list[int], list[list[int]]]:
        sets, lengths, fsets = read_all(texts, hasher, facts=True)
        det = detect(sets, keep_order(lengths, "first"), config=cfg, hasher=hasher,
                     giant_bucket=giant, facts=fsets)  # fmt: skip
        return det.clusters.representative.tolist(), det.pairs.tolist()

    every = with_impl(None, run, float("inf"))
    assert with_impl(None, run, limit)[0] == every[0]
    assert with_impl("reference", run, limit)[0] == every[0]
    # no template is ever joined, whichever path
    for a, b in ((0, 1), (6, 7)):
        for i, t in enumerate(texts):
            if t == WIRED[b] and WIRED[a] in texts:
                assert texts[every[0][i]] != WIRED[a]


def test_compare_decides_by_the_fact_check_when_it_is_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from arabic_dedup._compare import compare_report, print_compare

    off = compare_report([FLIGHT_5, FLIGHT_6], DedupConfig(facts="off"), None)
    on = compare_report([FLIGHT_5, FLIGHT_6], DedupConfig(), None)  # facts="apart", the default
    assert off["verdict"] == "duplicates" and not off["facts"]["decides"]
    assert on["verdict"] == "not duplicates" and on["facts"]["decides"]
    assert on["facts"]["kind"] == "template"
    print_compare(on, 0)
    text = capsys.readouterr().out
    assert "verdict      not duplicates (fact check: template" in text
    assert "12 vs 11" in text and "advisory" not in text
    print_compare(off, 0)
    assert "(not deciding: --facts off)" in capsys.readouterr().out


@st.composite
def _fingerprints(draw: st.DrawFn) -> ShingleSets:
    """Random fingerprints with few slots and values, so that values, slots and conflicts
    collide often; some reach MAX_FACTS (the bottom-k cut)."""
    out = []
    for _ in range(draw(st.integers(2, 6))):
        n = draw(st.sampled_from([0, 1, 3, 8, 20, 40]))
        slots = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
        values = draw(st.lists(st.integers(0, 11), min_size=n, max_size=n))
        packed = {
            (s << 16) | (v * 0x1111 & 0xFFFC) | (v & 3) for s, v in zip(slots, values, strict=True)
        }
        out.append(np.array(sorted(packed)[:MAX_FACTS], dtype=np.uint32))
    return ShingleSets.from_arrays(out)


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba is not installed")
@settings(max_examples=200, deadline=None)
@given(_fingerprints())
def test_compiled_evidence_equals_the_reference(fs: ShingleSets) -> None:
    n = len(fs)
    pairs = np.array([(i, j) for i in range(n) for j in range(n)], dtype=np.int64)
    fast = with_impl(None, evidence, fs, pairs)
    ref = with_impl("reference", evidence, fs, pairs)
    for f, r in zip(fast, ref, strict=True):
        assert f.dtype == r.dtype == np.int32
        assert np.array_equal(f, r)
    assert with_impl(None, _engine.impl) == "fast"


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba is not installed")
@settings(max_examples=150, deadline=None)
@given(
    _fingerprints(),
    st.sampled_from([0.3, 0.5, 0.9]),
    st.booleans(),
    st.builds(
        FactRule,
        min_conflict_share=st.sampled_from([0.0, 0.1, 0.5]),
        update_similarity=st.sampled_from([0.2, 0.8]),
        rescue_share=st.sampled_from([0.5, 2 / 3, 1.0]),
        rescue_min_shared=st.integers(1, 6),
        updates=st.sampled_from(["apart", "join"]),
    ),
    st.integers(0, 2**32 - 1),
)
def test_the_compiled_judgement_equals_judge(
    fs: ShingleSets, threshold: float, containment: bool, rule: FactRule, seed: int
) -> None:
    # kernels.facts.judge_one decides the pairs of giant buckets in the compiled cluster loop:
    # for every pair it must say what judge says, at and around each bound of the rule.
    from arabic_dedup.kernels.facts import judge_one

    n = len(fs)
    pairs = np.array([(i, j) for i in range(n) for j in range(n)], dtype=np.int64)
    lowest = rule.lowest(threshold, containment)
    bounds = [threshold, lowest, rule.update_similarity, 0.0, 1.0]
    sims = np.random.default_rng(seed).choice(
        np.r_[bounds, np.nextafter(bounds, -1.0), np.random.default_rng(seed).random(8)],
        size=len(pairs),
    )
    want = judge(fs, pairs, sims, threshold=threshold, containment=containment, rule=rule)
    shared, only_a, only_b, conflict = evidence(fs, pairs)
    args = rule.kernel_args(threshold, containment)
    got = [
        judge_one(shared[p], only_a[p], only_b[p], conflict[p], sims[p], threshold, *args)
        for p in range(len(pairs))
    ]
    assert got == want.duplicate.tolist()
