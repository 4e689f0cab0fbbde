"""Where the licensed corpora are: ``../shared`` beside the checkout, or
``$ARABIC_DEDUP_SHARED`` — one variable for every test and benchmark that reads them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_ENV = "ARABIC_DEDUP_SHARED"
SAUDINEWSNET = Path("data") / "saudinewsnet" / "saudinewsnet.jsonl.gz"
HADITH = Path("data") / "hadith-tashkeel" / "hadith_diacritized_vs_plain_pairs.jsonl.gz"


def shared_dir() -> Path:
    override = os.environ.get(SHARED_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2] / "shared"  # the checkout's sibling


def shared_file(relative: Path) -> Path:
    """``relative`` under the shared folder; skips the calling test, with where it looked,
    when the file is absent."""
    path = shared_dir() / relative
    if not path.exists():
        pytest.skip(f"{path} not found (set {SHARED_ENV} to the folder holding data/)")
    return path
