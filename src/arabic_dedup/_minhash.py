"""Stage 3: shingle hashes -> MinHash signatures, bit-identical to datasketch's ``affine32``.

For every permutation ``(a, b)`` and shingle hash ``h`` datasketch computes
``a * fmix32(h) + b (mod 2**32)`` and keeps the minimum. :class:`MinHasher` draws its
permutations exactly as ``datasketch.MinHash(num_perm, seed, scheme="affine32")`` does, and
property tests hold every signature here to datasketch's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._engine import kernels
from ._errors import ConfigError, SignatureError
from ._facts import fact_pass
from ._interrupt import check
from ._normalize import NORMALIZER_VERSION, NormalizerConfig
from ._shingle import (
    ShingleConfig,
    ShingleHasher,
    ShingleSets,
    ShingleUnit,
    shingle_fact_sets,
    shingle_sets,
    shingles,
)

__all__ = ["EMPTY_HASH", "MinHasher", "fmix32", "signatures_from_sets"]

SCHEME = "affine32"
EMPTY_HASH = np.uint32(0xFFFFFFFF)

U32 = NDArray[np.uint32]


def fmix32(h: U32) -> U32:
    """MurmurHash3's 32-bit finaliser, as datasketch applies it before permuting."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


class MinHasher:
    """Computes MinHash signatures of Arabic texts.

    >>> mh = MinHasher(num_perm=64, seed=1)
    >>> sig = mh.signatures(["نص عربي قصير للتجربة", "نص عربى قصير للتجربة"])
    >>> sig.shape, sig.dtype.name
    ((2, 64), 'uint32')
    >>> bool((sig[0] == sig[1]).all())  # ى and ي fold together
    True
    """

    def __init__(
        self,
        *,
        num_perm: int = 128,
        seed: int = 1,
        shingle: ShingleConfig | None = None,
        normalizer: NormalizerConfig | None = None,
    ) -> None:
        if isinstance(num_perm, bool) or not isinstance(num_perm, int) or not 2 <= num_perm <= 4096:
            raise ConfigError(f"num_perm must be an int from 2 to 4096, got {num_perm!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
            raise ConfigError(f"seed must be an int from 0 to 2**32 - 1, got {seed!r}")
        self.num_perm = num_perm
        self.seed = seed
        self.shingle = shingle or ShingleConfig()
        self.normalizer = normalizer or NormalizerConfig()
        # The same draw as datasketch's MinHash(scheme="affine32")._init_permutations (odd a),
        # without importing datasketch (and scipy) on every start; tests compare the two.
        gen = np.random.RandomState(seed)
        self.a: U32 = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(
            1
        )
        self.b: U32 = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)

    @property
    def params(self) -> dict[str, Any]:
        """Everything a stored signature depends on (recorded with indexes and reports)."""
        return {
            "scheme": SCHEME,
            "num_perm": self.num_perm,
            "seed": self.seed,
            "shingle_unit": self.shingle.unit,
            "shingle_k": self.shingle.k,
            "normalizer_version": NORMALIZER_VERSION,
            "normalizer": _config_dict(self.normalizer),
        }

    @property
    def hashfunc(self) -> ShingleHasher:
        """The shingle hash as a datasketch ``hashfunc``."""
        unit: ShingleUnit = self.shingle.unit
        return ShingleHasher(unit)

    # -- shingle hashes -------------------------------------------------------------------
    def shingle_sets(self, texts: Iterable[str]) -> ShingleSets:
        """Sorted distinct shingle hashes of every text, in one CSR structure."""
        return shingle_sets(texts, shingle=self.shingle, normalizer=self.normalizer)

    def shingle_fact_sets(self, texts: Iterable[str]) -> tuple[ShingleSets, ShingleSets]:
        """Shingle hashes and fact fingerprints (``_facts.fact_hashes``) of every text."""
        facts = fact_pass(self.normalizer)
        return shingle_fact_sets(
            texts, shingle=self.shingle, normalizer=self.normalizer, facts=facts
        )

    def hash_shingles(self, text: str) -> U32:
        """Sorted distinct shingle hashes of one text (the fast path when available)."""
        return self.shingle_sets([text])[0]

    # -- signatures -----------------------------------------------------------------------
    def signature_from_hashes(self, hashes: U32) -> U32:
        """Signature of one set of shingle hashes (all ``0xFFFFFFFF`` for the empty set)."""
        if hashes.size == 0:
            return np.full(self.num_perm, EMPTY_HASH, dtype=np.uint32)
        mixed = fmix32(hashes.astype(np.uint32, copy=False))
        phv = self.a[:, None] * mixed[None, :] + self.b[:, None]
        return np.asarray(phv.min(axis=1), dtype=np.uint32)

    def signatures_from_sets(self, sets: ShingleSets) -> NDArray[np.uint32]:
        """Signatures of many shingle sets, shape ``(len(sets), num_perm)``."""
        return signatures_from_sets(sets, self.a, self.b)

    def signatures(self, texts: Iterable[str]) -> NDArray[np.uint32]:
        """Signatures of many texts, shape ``(n, num_perm)``, dtype ``uint32``."""
        return self.signatures_from_sets(self.shingle_sets(texts))

    def signature(self, text: str) -> U32:
        return self.signature_from_hashes(self.hash_shingles(text))

    # -- datasketch interop ---------------------------------------------------------------
    def to_lean_minhash(self, signature: U32) -> Any:
        """A ``datasketch.LeanMinHash`` holding ``signature`` (accepted by ``MinHashLSH``)."""
        from datasketch import LeanMinHash

        sig = np.asarray(signature)
        if sig.shape != (self.num_perm,):
            raise SignatureError(
                f"signature must have shape ({self.num_perm},) for num_perm={self.num_perm}, "
                f"got {sig.shape}"
            )
        return LeanMinHash(seed=self.seed, hashvalues=sig.astype(np.uint32), scheme=SCHEME)

    def datasketch_minhash(self, text: str) -> Any:
        """The reference: a ``datasketch.MinHash`` updated with :func:`shingles` of ``text``."""
        from datasketch import MinHash

        m = MinHash(num_perm=self.num_perm, seed=self.seed, scheme=SCHEME, hashfunc=self.hashfunc)
        sh = shingles(text, k=self.shingle.k, unit=self.shingle.unit, normalizer=self.normalizer)
        if sh:
            m.update_batch(sh)
        return m


# Below this many documents the serial kernels win: no thread-pool start-up.
PARALLEL_MIN_DOCS = 64
# Documents per signature kernel call: a signal is acted on between calls (~0.1 s each).
SIGNATURE_BATCH_DOCS = 1 << 16


def signatures_from_sets(
    sets: ShingleSets, a: NDArray[np.uint32], b: NDArray[np.uint32]
) -> NDArray[np.uint32]:
    """MinHash signatures ``(len(sets), a.size)`` of every shingle set under the permutations
    ``(a, b)``: the kernel when there is one, else the reference below."""
    k = kernels()
    if k is not None:
        kernel = k.signature_batch if len(sets) >= PARALLEL_MIN_DOCS else k.signature_batch_serial
        if len(sets) <= SIGNATURE_BATCH_DOCS:
            return kernel(sets.hashes, sets.offsets, a, b)  # type: ignore[no-any-return]
        out = np.empty((len(sets), a.size), dtype=np.uint32)
        for lo in range(0, len(sets), SIGNATURE_BATCH_DOCS):
            check()  # between kernel calls: a signal never lands as an exception inside one
            hi = min(lo + SIGNATURE_BATCH_DOCS, len(sets))
            offs = sets.offsets[lo : hi + 1]
            out[lo:hi] = kernel(sets.hashes[offs[0] : offs[-1]], offs - offs[0], a, b)
        return out
    out = np.full((len(sets), a.size), EMPTY_HASH, dtype=np.uint32)
    for i in range(len(sets)):
        h = sets[i]
        if h.size:
            mixed = fmix32(h)
            out[i] = (a[:, None] * mixed[None, :] + b[:, None]).min(axis=1)
    return out


def _config_dict(cfg: NormalizerConfig) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(cfg)
