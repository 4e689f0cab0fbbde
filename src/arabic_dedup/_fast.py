"""The compiled fast path, and the switch between it and the reference path.

One numba kernel per document batch does what the reference path does in four Python steps:
map every code point through the normaliser's compiled table, split tokens on separator code
points, hash tokens and shingles (the definition in :mod:`._shingle`), and sort the distinct
hashes. A second kernel turns shingle hashes into MinHash signatures. Both release the GIL and
spread documents over the cores; every document is computed independently, so the result is
the same for any number of threads.

``ARABIC_DEDUP_IMPL=reference`` (read at call time) forces the plain Python path everywhere;
the property tests hold the two to identical output.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ._normalize import NormalizerConfig, compile_table, tokens
from ._normalize import _impl as _impl_setting
from ._normalize import has_trigger as _has_trigger
from ._shingle import (
    FNV_OFFSET,
    FNV_PRIME,
    FOLD_MULT,
    FOLD_SEED,
    MIX_M1,
    MIX_M2,
    ShingleConfig,
    hash_shingles,
)

if TYPE_CHECKING:
    from ._minhash import ShingleSets

__all__ = ["impl", "shingle_sets", "signatures_from_sets"]

# Characters per kernel call. On one thread, the code-point buffer (4 bytes a character) of a
# 1M-character batch stays in cache and malloc reuses it from batch to batch; 32M-character
# batches were page-faulted afresh each time and cost ~20 % more CPU on SaudiNewsNet (0.89
# against 0.72 s). With several threads every call is a fork-join, and on a busy machine a
# join waits for a preempted thread: there 32M-character batches won (find_duplicates on
# SaudiNewsNet, the other core busy: 1.67-1.76 s against 1.84-2.93 s).
BATCH_CHARS = 1 << 20
PARALLEL_BATCH_CHARS = 32_000_000
# Below this many documents the serial kernels win: no thread-pool start-up.
PARALLEL_MIN_DOCS = 64
# The hash constants as numpy scalars: numba's C-level dispatcher types those directly, but
# falls back to typing every argument in Python when one is an int beyond int64 (FNV_OFFSET
# is): that fallback cost ~130 us a call, 8x the kernel's own time on one news article.
_HASH_CONSTANTS = tuple(
    np.uint64(c) for c in (FNV_OFFSET, FNV_PRIME, FOLD_SEED, FOLD_MULT, MIX_M1, MIX_M2)
)


def impl() -> str:
    """``"fast"`` or ``"reference"``: which path this process uses right now.

    ``ARABIC_DEDUP_IMPL`` is read at every call, by the same rule as the normaliser's:
    ``reference`` forces the plain Python path, ``auto``/``fast`` (or unset) take the compiled
    kernels when numba is available, anything else is a ConfigError.
    """
    if _impl_setting() == "reference":
        return "reference"
    return "fast" if _kernels() is not None else "reference"


_KERNELS: object = None


def _kernels() -> Any:
    """Compile (or load from cache) the numba kernels once; None when numba is unavailable."""
    global _KERNELS
    if _KERNELS is None:
        try:
            from . import _kernels as k
        except ImportError:  # numba missing or broken: the reference path still works
            _KERNELS = False
        else:
            _KERNELS = k
    return _KERNELS or None


def code_points(text: str) -> NDArray[np.uint32]:
    """The code points of ``text`` (lone surrogates included) as one uint32 array.

    numpy widens a str to UCS-4 with a copy loop; ``str.encode("utf-32")`` checks every
    character on the way and took 0.38 of the 1.1 s a SaudiNewsNet signature pass costs.
    """
    if not text:
        return np.empty(0, dtype=np.uint32)
    return np.array(text).reshape(1).view(np.uint32)[: len(text)]


def _from_sets(arrays: list[NDArray[np.uint32]]) -> ShingleSets:
    from ._minhash import ShingleSets

    return ShingleSets.from_arrays(arrays)


def shingle_sets(
    texts: Iterable[str],
    *,
    shingle: ShingleConfig,
    normalizer: NormalizerConfig,
) -> ShingleSets:
    """Sorted distinct shingle hashes for every text, as a :class:`ShingleSets`."""
    from ._minhash import ShingleSets

    texts = texts if isinstance(texts, Sequence) else list(texts)
    k = _kernels()
    if impl() == "reference" or k is None or normalizer.mask_numbers or normalizer.squeeze_repeats:
        return _from_sets([hash_shingles(t, shingle=shingle, normalizer=normalizer) for t in texts])
    table = compile_table(normalizer)
    import numba  # importable: the kernels loaded

    limit = BATCH_CHARS if numba.get_num_threads() == 1 else PARALLEL_BATCH_CHARS
    parts_h: list[NDArray[np.uint32]] = []
    parts_n: list[NDArray[np.int64]] = []
    start = 0
    n = len(texts)
    while start < n:
        stop, chars = start, 0
        while stop < n and (chars == 0 or chars + len(texts[stop]) <= limit):
            chars += len(texts[stop])
            stop += 1
        # Combining madda/hamza need composing first (rare): hand the kernel those texts'
        # reference tokens instead, which the table maps to themselves (idempotence).
        batch = [
            " ".join(tokens(t, config=normalizer)) if normalizer.compose and _has_trigger(t) else t
            for t in texts[start:stop]
        ]
        cps = code_points("".join(batch))
        offsets = np.zeros(len(batch) + 1, dtype=np.int64)
        np.cumsum([len(t) for t in batch], out=offsets[1:])
        kernel = k.shingle_batch if len(batch) >= PARALLEL_MIN_DOCS else k.shingle_batch_serial
        hashes, counts = kernel(
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
        )
        parts_h.append(hashes)
        parts_n.append(counts)
        start = stop
    if not parts_h:
        return ShingleSets(np.empty(0, np.uint32), np.zeros(1, np.int64))
    counts_all = np.concatenate(parts_n)
    offsets_all = np.zeros(len(counts_all) + 1, dtype=np.int64)
    np.cumsum(counts_all, out=offsets_all[1:])
    return ShingleSets(np.concatenate(parts_h), offsets_all)


def signatures_from_sets(
    sets: ShingleSets, a: NDArray[np.uint32], b: NDArray[np.uint32]
) -> NDArray[np.uint32]:
    """MinHash signatures (n, num_perm) of every shingle set."""
    k = _kernels()
    if impl() == "reference" or k is None:
        from ._minhash import EMPTY_HASH, fmix32

        out = np.full((len(sets), a.size), EMPTY_HASH, dtype=np.uint32)
        for i in range(len(sets)):
            h = sets[i]
            if h.size:
                mixed = fmix32(h)
                out[i] = (a[:, None] * mixed[None, :] + b[:, None]).min(axis=1)
        return out
    kernel = k.signature_batch if len(sets) >= PARALLEL_MIN_DOCS else k.signature_batch_serial
    return kernel(sets.hashes, sets.offsets, a, b)  # type: ignore[no-any-return]
