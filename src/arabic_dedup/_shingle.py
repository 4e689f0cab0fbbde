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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._engine import kernels
from ._errors import ConfigError
from ._interrupt import check
from ._normalize import NormalizerConfig, compile_table, has_trigger, tokens

__all__ = [
    "FactPass",
    "ShingleConfig",
    "ShingleHasher",
    "ShingleSets",
    "ShingleUnit",
    "hash_shingles",
    "shingle_fact_sets",
    "shingle_hash",
    "shingle_sets",
    "shingles",
    "unit_hash",
]

ShingleUnit = Literal["word", "char"]
U32 = NDArray[np.uint32]

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


def unit_hash(unit: str) -> int:
    """The 64-bit FNV-1a hash of one unit (a token, or a character): what shingles fold."""
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
    return _fold([unit_hash(u) for u in units])


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
    uh = [unit_hash(u) for u in units]
    n = max(1, len(uh) - cfg.k + 1)
    hashes = {_fold(uh[i : i + cfg.k]) for i in range(n)}
    return np.array(sorted(hashes), dtype=np.uint32)


# -- many texts at once: ShingleSets, the fused kernel --------------------------------------

# Characters per kernel call. On one thread, the code-point buffer (4 bytes a character) of a
# 1M-character batch stays in cache and malloc reuses it from batch to batch; 32M-character
# batches were page-faulted afresh each time and cost ~20 % more CPU on SaudiNewsNet (0.89
# against 0.72 s). With several threads every call is a fork-join, and on a busy machine a
# join waits for a preempted thread: there 32M-character batches won (find_duplicates on
# SaudiNewsNet, the other core busy: 1.67-1.76 s against 1.84-2.93 s).
KERNEL_BATCH_CHARS = 1 << 20
PARALLEL_KERNEL_BATCH_CHARS = 32_000_000
# Below this many documents the serial kernels win: no thread-pool start-up.
PARALLEL_MIN_DOCS = 64
# The hash constants as numpy scalars: numba's C-level dispatcher types those directly, but
# falls back to typing every argument in Python when one is an int beyond int64 (FNV_OFFSET
# is): that fallback cost ~130 us a call, 8x the kernel's own time on one news article.
_HASH_CONSTANTS = tuple(
    np.uint64(c) for c in (FNV_OFFSET, FNV_PRIME, FOLD_SEED, FOLD_MULT, MIX_M1, MIX_M2)
)


def _read_only(a: NDArray[np.int8]) -> NDArray[np.int8]:
    a.flags.writeable = False
    return a


# The kernel's fact arguments when no fingerprints are wanted, typed as FactTables gives them
# (its digit table is read-only): one compiled kernel serves both, where a writable array here
# compiled the kernel a second time (tests/test_facts.py checks the types).
_NO_FACTS = (
    np.zeros(1, np.uint64), np.full(1, -1, np.int64), np.zeros(1, np.uint64),
    _read_only(np.zeros(1, np.int8)),
    np.zeros(0, np.uint32), np.zeros(0, np.uint32), np.zeros(0, np.uint64),
    np.zeros(0, np.uint64), np.zeros(0, np.uint64), np.zeros(0, np.uint64), np.uint64(0), 0,
    np.uint32(0), np.uint32(0), 0, 16,
)  # fmt: skip


@dataclass(frozen=True)
class ShingleSets:
    """Many documents' sorted distinct shingle hashes in one flat array (CSR layout).

    Document ``i`` owns ``hashes[offsets[i]:offsets[i + 1]]``. No per-document Python objects,
    so millions of documents cost 4 bytes a shingle.
    """

    hashes: U32
    offsets: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> U32:
        return self.hashes[self.offsets[i] : self.offsets[i + 1]]

    def sizes(self) -> NDArray[np.int64]:
        return np.diff(self.offsets)

    def shingle_free(self) -> NDArray[np.int64]:
        """Indexes of the documents with no shingle: empty, or no words after normalisation
        (only emoji, punctuation, symbols). They can match nothing, not even each other."""
        return np.flatnonzero(self.sizes() == 0)

    @classmethod
    def concatenate(cls, parts: list[ShingleSets]) -> ShingleSets:
        """One structure holding the documents of ``parts``, in order; empties the list.

        The result is allocated with np.empty, whose pages the OS commits only when written,
        and each part is freed right after it is copied, so resident memory stays near one
        copy (np.concatenate holds parts and result at once: 2.6 GB instead of 1.3 GB of
        shingle hashes at 1M documents).
        """
        if len(parts) == 1:
            return parts.pop()
        sizes = np.concatenate([p.sizes() for p in parts]) if parts else np.zeros(0, np.int64)
        offsets = np.zeros(sizes.size + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        hashes = np.empty(int(offsets[-1]), dtype=np.uint32)
        at = 0
        parts.reverse()
        while parts:
            part = parts.pop()
            hashes[at : at + part.hashes.size] = part.hashes
            at += part.hashes.size
            del part
        return cls(hashes, offsets)

    @classmethod
    def from_sizes(cls, hashes: U32, sizes: NDArray[np.int64]) -> ShingleSets:
        """The sets laid out one after another in ``hashes``, ``sizes[d]`` hashes each.

        >>> ShingleSets.from_sizes(np.array([5, 7, 9], dtype=np.uint32), np.array([2, 0, 1]))[2]
        array([9], dtype=uint32)
        """
        offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        return cls(hashes, offsets)

    @classmethod
    def from_arrays(cls, arrays: Iterable[U32]) -> ShingleSets:
        arrs = list(arrays)
        offsets = np.zeros(len(arrs) + 1, dtype=np.int64)
        if arrs:
            np.cumsum([a.size for a in arrs], out=offsets[1:])
        flat = np.concatenate(arrs).astype(np.uint32) if arrs else np.empty(0, np.uint32)
        return cls(flat, offsets)


def code_points(text: str) -> NDArray[np.uint32]:
    """The code points of ``text`` (lone surrogates included) as one uint32 array.

    numpy widens a str to UCS-4 with a copy loop; ``str.encode("utf-32")`` checks every
    character on the way and took 0.38 of the 1.1 s a SaudiNewsNet signature pass costs.
    """
    if not text:
        return np.empty(0, dtype=np.uint32)
    return np.array(text).reshape(1).view(np.uint32)[: len(text)]


def shingle_sets(
    texts: Iterable[str],
    *,
    shingle: ShingleConfig,
    normalizer: NormalizerConfig,
) -> ShingleSets:
    """Sorted distinct shingle hashes for every text, as a :class:`ShingleSets`."""
    return _sets(texts, shingle, normalizer, None)[0]


class FactPass(NamedTuple):
    """How this stage computes fact fingerprints beside the shingles, handed in by
    ``_facts.fact_pass`` (the fact check builds on this stage, so this stage does not know
    what a fact is): one text's fingerprint on the reference path, and the fused kernel's
    fact arguments."""

    reference: Callable[[str], NDArray[np.uint32]]
    kernel_args: Callable[[], tuple[object, ...]]


def shingle_fact_sets(
    texts: Iterable[str],
    *,
    shingle: ShingleConfig,
    normalizer: NormalizerConfig,
    facts: FactPass,
) -> tuple[ShingleSets, ShingleSets]:
    """Shingle hashes and fact fingerprints (``_facts.fact_hashes``) of every text, in one
    walk over the text when the kernels run."""
    sets, fsets = _sets(texts, shingle, normalizer, facts)
    assert fsets is not None  # asked for
    return sets, fsets


def _sets(
    texts: Iterable[str],
    shingle: ShingleConfig,
    normalizer: NormalizerConfig,
    facts: FactPass | None,
) -> tuple[ShingleSets, ShingleSets | None]:
    want_facts = facts is not None
    texts = texts if isinstance(texts, Sequence) else list(texts)
    k = kernels()
    if k is None or normalizer.mask_numbers or normalizer.squeeze_repeats:
        sets = ShingleSets.from_arrays(
            [hash_shingles(t, shingle=shingle, normalizer=normalizer) for t in texts]
        )
        if facts is None:
            return sets, None
        return sets, ShingleSets.from_arrays([facts.reference(t) for t in texts])
    fact_args = facts.kernel_args() if facts is not None else _NO_FACTS
    table = compile_table(normalizer)
    import numba  # importable: the kernels loaded

    limit = KERNEL_BATCH_CHARS if numba.get_num_threads() == 1 else PARALLEL_KERNEL_BATCH_CHARS
    parts_h: list[NDArray[np.uint32]] = []
    parts_n: list[NDArray[np.int64]] = []
    parts_fh: list[NDArray[np.uint32]] = []
    parts_fn: list[NDArray[np.int64]] = []
    start = 0
    n = len(texts)
    while start < n:
        check()  # between kernel calls: a signal never lands as an exception inside one
        stop, chars = start, 0
        while stop < n and (chars == 0 or chars + len(texts[stop]) <= limit):
            chars += len(texts[stop])
            stop += 1
        # Combining madda/hamza need composing first (rare): hand the kernel those texts'
        # reference tokens instead, which the table maps to themselves (idempotence).
        batch = [
            " ".join(tokens(t, config=normalizer)) if normalizer.compose and has_trigger(t) else t
            for t in texts[start:stop]
        ]
        cps = code_points("".join(batch))
        offsets = np.zeros(len(batch) + 1, dtype=np.int64)
        np.cumsum([len(t) for t in batch], out=offsets[1:])
        kernel = k.shingle_batch if len(batch) >= PARALLEL_MIN_DOCS else k.shingle_batch_serial
        hashes, counts, fhashes, fcounts = kernel(
            cps,
            offsets,
            table.lengths,
            table.single,
            table.exp_offsets,
            table.exp_data,
            table.is_sep,
            shingle.k,
            shingle.unit == "char",
            *_HASH_CONSTANTS,
            want_facts,
            *fact_args,
        )
        parts_h.append(hashes)
        parts_n.append(counts)
        parts_fh.append(fhashes)
        parts_fn.append(fcounts)
        start = stop
    sets = _joined(parts_h, parts_n)
    return sets, _joined(parts_fh, parts_fn) if want_facts else None


def _joined(hashes: list[NDArray[np.uint32]], counts: list[NDArray[np.int64]]) -> ShingleSets:
    if not hashes:
        return ShingleSets(np.empty(0, np.uint32), np.zeros(1, np.int64))
    return ShingleSets.from_sizes(np.concatenate(hashes), np.concatenate(counts))
