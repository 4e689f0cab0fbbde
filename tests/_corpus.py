"""The small syndicated corpus the CLI and file-pipeline tests share."""

from __future__ import annotations

import random
from pathlib import Path

from arabic_dedup.testing import syndicate

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def corpus() -> list[tuple[str, str]]:
    """Five real articles and four syndicated copies: c0, c2 of a0; c1 of a1; c3 of a3."""
    bases = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    rng = random.Random(5)

    def syn(i: int, recipe: list[str]) -> str:
        return syndicate(bases[i], recipe, rng=rng)

    return [
        ("a0", bases[0]),
        ("a1", bases[1]),
        ("c0", syn(0, ["prefix", "alef_maksura", "diacritics"])),
        ("a2", bases[2]),
        ("c1", syn(1, ["footer", "teh_marbuta", "kashida"])),
        ("a3", bases[3]),
        ("c2", syn(0, ["hamza_drop", "digits", "nbsp", "truncate"])),
        ("a4", bases[4]),
        ("c3", syn(3, ["presentation", "quotes", "related"])),
    ]
