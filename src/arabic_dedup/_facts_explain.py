"""The fact check explained for one pair of texts at hand (``compare A B``, the HTML report's
cluster view): the decision of :func:`._facts.judge`, and the words that differ in each slot."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._facts import FACT_KINDS, FactRule, MatchKind, fact_hashes, facts, judge, render
from ._normalize import NormalizerConfig
from ._shingle import ShingleSets

__all__ = ["explain_pair"]


def explain_pair(
    tokens_a: Sequence[str],
    tokens_b: Sequence[str],
    similarity: float,
    *,
    threshold: float,
    containment: bool = False,
    rule: FactRule | None = None,
    normalizer: NormalizerConfig | None = None,
) -> tuple[bool, MatchKind, str]:
    """Judge one pair whose texts are at hand (``compare A B``) and name the differing words:
    (duplicate, match kind, explanation). The decision is :func:`judge`'s.

    >>> from arabic_dedup import tokens
    >>> dup, kind, why = explain_pair(
    ...     tokens("الرحلة الخامسة تحمل 12 طنا"), tokens("الرحلة السادسة تحمل 11 طنا"),
    ...     0.4, threshold=0.3)
    >>> dup, kind, why.split(": ", 2)[2]
    (False, 'template', 'number 12 vs 11, ordinal الخامسه vs السادسه; 0 agree')
    """
    fa = facts(tokens_a, normalizer=normalizer)
    fb = facts(tokens_b, normalizer=normalizer)
    fs = ShingleSets.from_arrays(
        [fact_hashes(tokens_a, normalizer=normalizer), fact_hashes(tokens_b, normalizer=normalizer)]
    )
    j = judge(
        fs,
        np.array([[0, 1]], dtype=np.int64),
        np.array([similarity]),
        threshold=threshold,
        containment=containment,
        rule=rule,
    )
    kind = j.match_kind(0)
    va = {(f.kind, f.value) for f in fa}
    vb = {(f.kind, f.value) for f in fb}
    words: list[list[tuple[str, str]]] = [[] for _ in FACT_KINDS]
    for x in fa:
        if (x.kind, x.value) in vb or x.approximate:  # an approximate figure never conflicts
            continue
        for y in fb:
            if (
                (y.kind, y.value) not in va
                and not y.approximate
                and (y.kind, y.before, y.after) == (x.kind, x.before, x.after)
                and (x.word, y.word) not in words[FACT_KINDS.index(x.kind)]
            ):
                words[FACT_KINDS.index(x.kind)].append((x.word, y.word))
    text = render(
        kind,
        similarity,
        j.shared[0].tolist(),
        j.only_a[0].tolist(),
        j.only_b[0].tolist(),
        j.conflict[0].tolist(),
        words=words,
    )
    return bool(j.duplicate[0]), kind, text
