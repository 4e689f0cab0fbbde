"""A small accuracy check at the default configuration (the benchmark measures the real thing).

30 base articles made of the seed articles' sentences, each with three syndicated copies made
by random newsroom recipes under a fixed seed. The truth: every pair within one family (base
and its copies) is a duplicate pair, every other pair is not.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from arabic_dedup import find_duplicates
from arabic_dedup.testing import random_transforms, split_sentences, syndicate

SEEDS = [
    p.read_text(encoding="utf-8") for p in sorted(Path(__file__).parents[1].glob("seeds/*.txt"))
]
N_BASES = 30
N_COPIES = 3
MIN_PRECISION = 0.99
MIN_RECALL = 0.95


def corpus(seed: int) -> tuple[list[str], list[int]]:
    rng = random.Random(seed)
    sentences = [s for text in SEEDS for s in split_sentences(text)]
    bases = [" ".join(rng.sample(sentences, rng.randint(8, 14))) for _ in range(N_BASES)]
    texts: list[str] = []
    family: list[int] = []
    for b, base in enumerate(bases):
        texts.append(base)
        family.append(b)
        for _ in range(N_COPIES):
            copy = syndicate(
                base,
                random_transforms(rng),
                rng=rng,
                title=base[:40],
                related=[bases[(b + 1) % N_BASES][:60]],
                extra=rng.choice(sentences),
            )
            texts.append(copy)
            family.append(b)
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], [family[i] for i in order]


@pytest.mark.parametrize("seed", [0, 1])
def test_pair_precision_and_recall_at_defaults(
    seed: int, capsys: pytest.CaptureFixture[str]
) -> None:
    texts, family = corpus(seed)
    result = find_duplicates(texts)
    predicted = {(p.i, p.j) for p in result.pairs}
    truth = {
        (i, j) for i, j in itertools.combinations(range(len(texts)), 2) if family[i] == family[j]
    }
    assert len(truth) == N_BASES * (N_COPIES + 1) * N_COPIES // 2
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(truth)
    assert precision >= MIN_PRECISION, (precision, sorted(predicted - truth)[:10])
    assert recall >= MIN_RECALL, (recall, sorted(truth - predicted)[:10])
    # Clusters never mix families, and one text per family (at most a few) is kept.
    for i, rep in enumerate(result.duplicate_of):
        if rep is not None:
            assert family[rep] == family[i]
    assert result.keep.sum() <= N_BASES * 1.1
    # The library reports through return values only.
    out, err = capsys.readouterr()
    assert out == "" and err == ""
