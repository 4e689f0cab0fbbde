"""Compile the kernels before the first run: ``arabic-dedup warm-up`` (``make`` runs it at install).

numba compiles each kernel at its first call and caches the machine code on disk
(``cache=True``: ``__pycache__`` beside the kernels, or ``NUMBA_CACHE_DIR``). A fresh install
therefore spends its first run compiling: about 26 CPU seconds on this project's kernels, for
a run that takes 2 once they are cached (5,000 SaudiNewsNet articles, measured with an empty
``NUMBA_CACHE_DIR``). :func:`warm_up` calls every kernel once, with the argument types real
runs use, on a small generated corpus, so the compiling happens at install time instead.

The corpus is shaped to reach every kernel: more than ``PARALLEL_MIN_DOCS`` documents (the
parallel shingle and signature kernels; a few single adds reach their serial twins), one
sentence in every document (the boilerplate filter), exact copies (identical-set grouping), a
family of near-copies with more than ``PARALLEL_MIN_PAIRS`` verified pairs (the parallel
verify kernel), the same corpus once more with a small giant-bucket limit (the giant-bucket
cluster kernel), a batch of 20 (the serial twins, as a small file's last batch calls
them), and the corpus spilled to disk in small windows (the windowed boilerplate steps of a
run over its memory limit). ``tests/test_warm.py`` checks by numba's own counters that a
run after it compiles nothing.
"""

from __future__ import annotations

import random
import time

import numpy as np

from ._config import DedupConfig
from ._dedup import detect, find_duplicates
from ._engine import kernels
from ._memory import MemoryPlan
from ._stream import Deduplicator
from ._verify import PARALLEL_MIN_PAIRS

__all__ = ["warm_up"]

_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def _corpus(seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    vocab = ["".join(rng.choice(_LETTERS) for _ in range(rng.randint(3, 7))) for _ in range(2000)]
    common = " ".join(rng.choice(vocab) for _ in range(8))
    bases = [" ".join(rng.choice(vocab) for _ in range(60)) for _ in range(120)]
    texts = [f"{b} {common}" for b in bases]
    texts += texts[:10]  # exact copies
    # Near-copies of one text, each with one word replaced: all pairs verified.
    words = bases[0].split()
    family = max(100, int((2 * PARALLEL_MIN_PAIRS) ** 0.5) + 2)
    for i in range(family):
        w = list(words)
        w[i % len(w)] = rng.choice(vocab)
        texts.append(" ".join(w))
    return texts


def warm_up() -> float:
    """Compile (or load from the on-disk cache) every kernel; returns the CPU seconds spent.

    Without numba there is nothing to compile and it returns at once. Safe to run again: a
    second call loads the cached builds in well under a second.
    """
    if kernels() is None:
        return 0.0
    t0 = time.process_time()
    full = _corpus()
    for similarity in ("jaccard", "containment"):
        cfg = DedupConfig(similarity=similarity)
        hasher = cfg.hasher()
        # The whole corpus (parallel kernels), with and without the giant-bucket path, and a
        # batch too small for them (their serial twins, called with batch arrays).
        for texts, giant in ((full, None), (full, 50.0), (full[:20], None)):
            order = np.arange(len(texts), dtype=np.int64)
            sets, fsets = hasher.shingle_fact_sets(texts)  # the fact check is on by default
            detect([sets], order, config=cfg, hasher=hasher, giant_bucket=giant, facts=fsets)
        hasher.shingle_sets(full[:20])  # the shingle kernel without the fact pass
        # Spilled to disk (a run over its memory limit): the windowed boilerplate steps.
        find_duplicates(full, similarity=similarity, memory_limit=MemoryPlan(1, window=20_000))
    with Deduplicator() as d:
        for i, t in enumerate(texts[:4] + texts[-2:]):
            d.add(i, t)
    return time.process_time() - t0
