"""The per-batch work behind :mod:`arabic_dedup.spark`, as plain pandas -> pandas functions.

Nothing here imports pyspark: these are the single-machine stages (:class:`MinHasher`,
:func:`band_hashes`, :func:`verify_pairs`) applied to one Arrow batch of rows, so the Spark
executor only decides where they run. Each factory returns a closure over the (picklable,
frozen) configuration; :mod:`arabic_dedup.spark` wraps it in ``pandas_udf``.

Spark has no unsigned integer types, so 32-bit shingle hashes travel as ``int`` and 64-bit band
hashes as ``bigint``, bit for bit (``.view``); a shingle array keeps the single-machine order
(ascending as ``uint32``), which is what the intersection kernels need.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .._config import DedupConfig
from .._errors import InputError
from .._lsh import band_hashes, in_buckets
from .._shingle import ShingleSets
from .._verify import Verifier

__all__ = ["REJECTED", "band_hash_fn", "shingle_fn", "to_sets", "verify_fn"]


def to_sets(arrays: pd.Series) -> ShingleSets:
    """A batch's shingle arrays (``int32`` bit patterns) as one :class:`ShingleSets`."""
    return ShingleSets.from_arrays(
        np.asarray(a, dtype=np.int32).view(np.uint32) for a in arrays.tolist()
    )


def _split(sets: ShingleSets) -> list[NDArray[np.int32]]:
    return [sets[i].view(np.int32) for i in range(len(sets))]


def shingle_fn(cfg: DedupConfig, text_col: str) -> Callable[[pd.Series, pd.Series], pd.Series]:
    """ids, texts -> each text's sorted distinct shingle hashes (``MinHasher.shingle_sets``)."""

    def shingles(ids: pd.Series, texts: pd.Series) -> pd.Series:
        # A null would be silently hashed as "None" or crash deep in the kernel: name it instead.
        bad = ids.isna().to_numpy() | texts.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            key = ids.iloc[i]
            key = key.item() if isinstance(key, np.generic) else key
            what = "id" if pd.isna(key) else f"{text_col!r} of id {key!r}"
            raise InputError(
                f"{what} is null; every row needs an id and a str text "
                f"(filter or fill nulls first, e.g. df.na.fill({{{text_col!r}: ''}}))"
            )
        sets = cfg.hasher().shingle_sets(texts.tolist())
        return pd.Series(_split(sets), index=texts.index, dtype=object)

    return shingles


def band_hash_fn(cfg: DedupConfig) -> Callable[[pd.Series], pd.Series]:
    """shingle arrays -> each document's band hashes (``bigint``); empty for empty sets, which,
    as on one machine, take part in no candidate pair."""
    bands, rows = cfg.banding()

    def band_hash(arrays: pd.Series) -> pd.Series:
        sets = to_sets(arrays)
        sigs = cfg.hasher().signatures_from_sets(sets)
        bh = band_hashes(sigs, bands, rows).view(np.int64)
        empty = np.empty(0, dtype=np.int64)
        filed = in_buckets(sets.sizes()).tolist()
        out = [bh[i] if f else empty for i, f in enumerate(filed)]
        return pd.Series(out, index=arrays.index, dtype=object)

    return band_hash


# What ``verify_fn`` gives a pair the verifier rejects (similarities are never negative).
REJECTED = -1.0


def verify_fn(verifier: Verifier) -> Callable[[pd.Series, pd.Series], pd.Series]:
    """two shingle-array columns -> each row's exact similarity if ``verifier`` accepts the
    pair, else REJECTED: the same decision as on one machine."""

    def verify(a: pd.Series, b: pd.Series) -> pd.Series:
        m = len(a)
        sets = to_sets(pd.concat([a, b], ignore_index=True))
        idx = np.arange(m, dtype=np.int64)
        sims, ok = verifier(sets, np.stack([idx, idx + m], axis=1))
        return pd.Series(np.where(ok, sims, REJECTED), index=a.index)

    return verify
