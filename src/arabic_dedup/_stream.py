"""Stage 7b: the streaming dedup API — ``Deduplicator`` checks each new text against every
text kept so far, so a feed can be deduplicated as it arrives."""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._dedup import DedupConfig, _config
from ._errors import ConfigError, InputError
from ._lsh import LSHIndex
from ._verify import similarity

__all__ = ["Deduplicator", "Match"]


class Match(NamedTuple):
    """An earlier kept document that a text duplicates, with their verified similarity."""

    key: Hashable
    similarity: float


class Deduplicator:
    """Streaming dedup: add texts one by one; each is checked against every kept text so far.

    >>> d = Deduplicator(threshold=0.5)
    >>> d.add("a1", "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في مدينة الرياض") is None
    True
    >>> d.add("a2", "اعلنت وزارة الصحه اليوم عن افتتاح مستشفى جديد فى مدينة الرياض")
    Match(key='a1', similarity=1.0)
    >>> len(d), "a2" in d
    (2, True)
    """

    def __init__(self, *, config: DedupConfig | None = None, **options: Any) -> None:
        self.config = _config(config, options)
        if self.config.max_df is not None:
            raise ConfigError(
                "max_df needs the whole corpus and applies to find_duplicates only; "
                "a Deduplicator compares every shingle"
            )
        self._hasher = self.config.hasher()
        bands, rows = self.config.banding()
        self._lsh = LSHIndex(bands=bands, rows=rows)
        self._sets: dict[Hashable, NDArray[np.uint32]] = {}  # kept texts only
        self._dup_of: dict[Hashable, Hashable] = {}  # duplicate key -> kept key

    @property
    def params(self) -> dict[str, Any]:
        return {**self.config.as_dict(), **self._hasher.params}

    def _matches(self, hashes: NDArray[np.uint32]) -> list[Match]:
        if hashes.size == 0:
            return []
        sig = self._hasher.signature_from_hashes(hashes)
        found = []
        for key in self._lsh.query(sig):
            s = similarity(hashes, self._sets[key], self.config.similarity)
            if s >= self.config.threshold:
                found.append(Match(key, s))
        found.sort(key=lambda m: -m.similarity)
        return found

    def _hashes(self, text: str) -> NDArray[np.uint32]:
        if not isinstance(text, str):
            raise InputError(f"text must be str, got {type(text).__name__}")
        return self._hasher.hash_shingles(text)

    def query(self, text: str) -> list[Match]:
        """Every kept text that ``text`` duplicates, most similar first."""
        return self._matches(self._hashes(text))

    def add(self, key: Hashable, text: str) -> Match | None:
        """Record ``text`` under ``key``: None if it is new (kept), else its best match."""
        if key in self:
            raise KeyError(f"key {key!r} was already added")
        hashes = self._hashes(text)
        found = self._matches(hashes)
        if found:
            self._dup_of[key] = found[0].key
            return found[0]
        self._sets[key] = hashes
        if hashes.size:
            self._lsh.insert(key, self._hasher.signature_from_hashes(hashes))
        return None

    def __len__(self) -> int:
        return len(self._sets) + len(self._dup_of)

    def __contains__(self, key: object) -> bool:
        return key in self._sets or key in self._dup_of

    def __iter__(self) -> Iterator[Hashable]:
        yield from self._sets
        yield from self._dup_of
