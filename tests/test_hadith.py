"""The spec's real-text acceptance test: 9,293 hadith pairs, fully vocalised vs plain.

After normalisation each pair must give identical tokens. The data lives outside the repo
(``../shared/data/hadith-tashkeel/``, or ``$ARABIC_DEDUP_SHARED/data/...``) and may not be
copied into it; without it the tests skip and say which path was missing.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import pytest
from _shared import HADITH, shared_file

from arabic_dedup._normalize import NormalizerConfig, normalize_many, tokens, tokens_with
from arabic_dedup._normalize_engines import REFERENCE

pytestmark = pytest.mark.data
EXPECTED_PAIRS = 9293

# Pairs whose plain text has genuinely different letters from the vocalised one (data noise,
# not a folding fault), by id, with the reason. Every pair was checked against tables 1.0.0:
# none needed excluding, so the list is empty; add an entry only after reading the pair.
EXCLUDED: dict[str, str] = {}


def _pairs() -> Iterator[dict[str, str]]:
    path = shared_file(HADITH)
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


@pytest.fixture(scope="module")
def pairs() -> list[dict[str, str]]:
    return list(_pairs())


def test_pair_count(pairs: list[dict[str, str]]) -> None:
    assert len(pairs) == EXPECTED_PAIRS


def test_every_pair_gives_identical_tokens(pairs: list[dict[str, str]]) -> None:
    mismatched = [
        pair["id"]
        for pair in pairs
        if pair["id"] not in EXCLUDED
        and tokens(pair["with_tashkeel"]) != tokens(pair["without_tashkeel"])
    ]
    assert mismatched == [], f"{len(mismatched)} pairs differ, first: {mismatched[:10]}"


def test_every_pair_identical_with_the_reference_path(pairs: list[dict[str, str]]) -> None:
    config = NormalizerConfig()
    mismatched = [
        pair["id"]
        for pair in pairs
        if pair["id"] not in EXCLUDED
        and tokens_with(pair["with_tashkeel"], config, REFERENCE)
        != tokens_with(pair["without_tashkeel"], config, REFERENCE)
    ]
    assert mismatched == []


def test_normalized_text_is_identical_too(pairs: list[dict[str, str]]) -> None:
    # Stronger than tokens: the whole normalised text matches (batch path, one pass).
    vocalised = normalize_many([pair["with_tashkeel"] for pair in pairs])
    plain = normalize_many([pair["without_tashkeel"] for pair in pairs])
    differing = [
        pair["id"]
        for pair, a, b in zip(pairs, vocalised, plain, strict=True)
        if a != b and pair["id"] not in EXCLUDED
    ]
    assert differing == []


def test_the_data_is_really_vocalised(pairs: list[dict[str, str]]) -> None:
    # Guards against a silently swapped or emptied file making the main test vacuous.
    differing = sum(pair["with_tashkeel"] != pair["without_tashkeel"] for pair in pairs)
    assert differing > 0.9 * len(pairs)
