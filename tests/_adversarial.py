"""Records that try to break the file readers: good ones that look odd, bad ones of every kind.

Each maker returns one JSONL line (bytes, no line ending). ``GOOD`` records must come out of
``arabic-dedup dedup`` byte for byte; ``BAD`` ones must be reported with their line and the
start of the expected reason. Texts are synthetic Arabic words, never corpus text.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

WORDS = "كتب قال وزير الصحة المستشفى الجديد مدينة الرياض أمطار غزيرة جدة الطرق اليوم بيان".split()


def arabic_text(rng: random.Random, n: int = 12) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


# -- good records: valid JSON objects with a string text, however unusual -----------------------


def good_plain(rng: random.Random, i: int) -> bytes:
    return json.dumps({"id": f"g{i}", "text": arabic_text(rng)}, ensure_ascii=False).encode()


def good_escaped(rng: random.Random, i: int) -> bytes:
    # \u escapes, a float that re-serialising would change, odd spacing.
    text = json.dumps(arabic_text(rng))
    return f'{{ "id" :"e{i}",  "n": 1.50, "text":{text} }}'.encode()


def good_surrogates(rng: random.Random, i: int) -> bytes:
    # Lone surrogates are valid JSON escapes but cannot be encoded as UTF-8.
    text = json.dumps(arabic_text(rng) + " \ud800")
    return f'{{"id": "s{i}\\udfff", "text": {text}, "note": "\\udc80"}}'.encode()


def good_null_id(rng: random.Random, i: int) -> bytes:
    return json.dumps({"id": None, "text": arabic_text(rng)}, ensure_ascii=False).encode()


def good_no_id(rng: random.Random, i: int) -> bytes:
    return json.dumps({"text": arabic_text(rng), "x": [1, {"y": None}]}).encode()


GOOD: list[Callable[[random.Random, int], bytes]] = [
    good_plain,
    good_escaped,
    good_surrogates,
    good_null_id,
    good_no_id,
]

# -- bad records: (line, the start of the reason the report must give) -------------------------


def bad_syntax(rng: random.Random, i: int) -> tuple[bytes, str]:
    return b'{"id": 1, "text": "x"', "malformed JSON"


def bad_deep(rng: random.Random, i: int) -> tuple[bytes, str]:
    return b"[" * 100_000 + b"]" * 100_000, "malformed JSON"


def bad_big_int(rng: random.Random, i: int) -> tuple[bytes, str]:
    return b'{"id": ' + b"7" * 5000 + b', "text": "x"}', "malformed JSON"


def bad_array(rng: random.Random, i: int) -> tuple[bytes, str]:
    return b'["an", "array"]', "expected a JSON object"


def bad_no_text(rng: random.Random, i: int) -> tuple[bytes, str]:
    return b'{"id": "m", "body": "x"}', "no 'text' field"


def bad_text_type(rng: random.Random, i: int) -> tuple[bytes, str]:
    return b'{"id": "n", "text": null}', "field 'text' is null"


def bad_utf8(rng: random.Random, i: int) -> tuple[bytes, str]:
    return '{"text": "سطر '.encode() + b'\xff"}', "invalid UTF-8"


BAD: list[Callable[[random.Random, int], tuple[bytes, str]]] = [
    bad_syntax,
    bad_deep,
    bad_big_int,
    bad_array,
    bad_no_text,
    bad_text_type,
    bad_utf8,
]


def mixed_file(kinds: list[int], seed: int) -> tuple[list[bytes], dict[int, str], set[int]]:
    """Lines for ``kinds`` (>= 0: a GOOD maker, < 0: a BAD one); returns the lines, line ->
    expected reason for bad lines, and the line numbers of good records. Some good records
    repeat an earlier text, so the run has duplicates too."""
    rng = random.Random(seed)
    lines: list[bytes] = []
    bad: dict[int, str] = {}
    good: set[int] = set()
    for n, kind in enumerate(kinds, 1):
        if kind >= 0:
            lines.append(GOOD[kind % len(GOOD)](random.Random(rng.randrange(4)), n))
            good.add(n)
        else:
            line, reason = BAD[(-kind - 1) % len(BAD)](rng, n)
            lines.append(line)
            bad[n] = reason
    return lines, bad, good
