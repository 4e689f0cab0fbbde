"""Stage 2: tokens -> shingles -> 32-bit shingle hashes.

A shingle is ``k`` consecutive normalised tokens (``unit="word"``) or ``k`` consecutive
characters of the normalised, space-joined token stream (``unit="char"``). Texts with fewer
units than ``k`` give one shingle made of all of them, so short texts still compare; texts
with no tokens give no shingles and never match anything.

The shingle hash is defined on code points, not on bytes, so the compiled fast path can
compute it straight from the text without building strings: each unit (a token, or one
character) is hashed with 64-bit FNV-1a over its code points; the unit hashes of a shingle are
folded in order with a multiply-xorshift step and the result is finished with the SplitMix64
mixer, keeping the top 32 bits.  :func:`shingle_hash` is that definition, and it is the
``hashfunc`` given to :class:`datasketch.MinHash`, so datasketch itself is the reference for
the signatures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ._errors import ConfigError
from ._normalize import NormalizerConfig, tokens

__all__ = [
    "ShingleConfig",
    "ShingleHasher",
    "ShingleUnit",
    "hash_shingles",
    "shingle_hash",
    "shingles",
]

ShingleUnit = Literal["word", "char"]

MASK64 = (1 << 64) - 1
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
FOLD_SEED = 0x9E3779B97F4A7C15
FOLD_MULT = 0xBF58476D1CE4E5B9
MIX_M1 = 0xBF58476D1CE4E5B9
MIX_M2 = 0x94D049BB133111EB

# Word 2-shingles: chosen by benchmarks/bench_quality.py (docs/benchmarks/quality.md).
DEFAULT_K = {"word": 2, "char": 5}


@dataclass(frozen=True, slots=True)
class ShingleConfig:
    """How a normalised text becomes shingles.

    >>> ShingleConfig()
    ShingleConfig(unit='word', k=2)
    >>> ShingleConfig(unit="char").k
    5
    """

    unit: ShingleUnit = "word"
    k: int = 0  # 0 = the unit's default (word: 2, char: 5)

    def __post_init__(self) -> None:
        if self.unit not in ("word", "char"):
            raise ConfigError(f"shingle unit must be 'word' or 'char', got {self.unit!r}")
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 0 or self.k > 64:
            raise ConfigError(
                f"shingle size k must be an int from 1 to 64 (0 = default), got {self.k!r}"
            )
        if self.k == 0:
            object.__setattr__(self, "k", DEFAULT_K[self.unit])


def _unit_hash(unit: str) -> int:
    h = FNV_OFFSET
    for ch in unit:
        h = ((h ^ ord(ch)) * FNV_PRIME) & MASK64
    return h


def _fold(unit_hashes: list[int]) -> int:
    h = FOLD_SEED
    for uh in unit_hashes:
        h = ((h ^ uh) * FOLD_MULT) & MASK64
        h ^= h >> 29
    # SplitMix64 finaliser: every input bit reaches the 32 bits we keep.
    h ^= h >> 30
    h = (h * MIX_M1) & MASK64
    h ^= h >> 27
    h = (h * MIX_M2) & MASK64
    h ^= h >> 31
    return h >> 32


def shingle_hash(shingle: str, unit: ShingleUnit = "word") -> int:
    """The project's 32-bit hash of one shingle string (as returned by :func:`shingles`).

    >>> shingle_hash("a b c") == shingle_hash("a b c")
    True
    >>> 0 <= shingle_hash("a b c") < 2**32
    True
    """
    units = shingle.split(" ") if unit == "word" else list(shingle)
    return _fold([_unit_hash(u) for u in units])


class ShingleHasher:
    """``shingle_hash`` bound to a unit: the ``hashfunc`` handed to datasketch."""

    __slots__ = ("unit",)

    def __init__(self, unit: ShingleUnit = "word") -> None:
        self.unit: ShingleUnit = unit

    def __call__(self, shingle: str | bytes) -> int:
        if isinstance(shingle, bytes):
            shingle = shingle.decode("utf-8")
        return shingle_hash(shingle, self.unit)


def _units(text: str, shingle: ShingleConfig, normalizer: NormalizerConfig | None) -> list[str]:
    toks = tokens(text, config=normalizer)
    if shingle.unit == "word":
        return toks
    return list(" ".join(toks))


def shingles(
    text: str,
    /,
    *,
    k: int = 0,
    unit: ShingleUnit = "word",
    normalizer: NormalizerConfig | None = None,
) -> list[str]:
    """The distinct shingles of ``text``, in order of first occurrence (the reference path).

    >>> shingles("قال المسؤول في بيان رسمي", k=3)
    ['قال المسءول في', 'المسءول في بيان', 'في بيان رسمي']
    >>> shingles("كلمتان فقط", k=3)
    ['كلمتان فقط']
    >>> shingles("  ")
    []
    """
    cfg = ShingleConfig(unit=unit, k=k)
    units = _units(text, cfg, normalizer)
    if not units:
        return []
    joiner = " " if cfg.unit == "word" else ""
    n = max(1, len(units) - cfg.k + 1)
    out = [joiner.join(units[i : i + cfg.k]) for i in range(n)]
    return list(dict.fromkeys(out))


def hash_shingles(
    text: str,
    /,
    *,
    shingle: ShingleConfig | None = None,
    normalizer: NormalizerConfig | None = None,
) -> np.ndarray:
    """Sorted distinct 32-bit shingle hashes of ``text`` (reference path), dtype ``uint32``.

    >>> hash_shingles("").size
    0
    """
    cfg = shingle or ShingleConfig()
    units = _units(text, cfg, normalizer)
    if not units:
        return np.empty(0, dtype=np.uint32)
    uh = [_unit_hash(u) for u in units]
    n = max(1, len(uh) - cfg.k + 1)
    hashes = {_fold(uh[i : i + cfg.k]) for i in range(n)}
    return np.array(sorted(hashes), dtype=np.uint32)
