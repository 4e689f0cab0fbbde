"""Where a :class:`~arabic_dedup.Deduplicator` keeps what it has seen: the index stores.

One module per backend — :mod:`.memory` (this process, the default), :mod:`.sqlite` (an
embedded, persistent file) and :mod:`.redis` (shared by processes and hosts) — behind the
small :class:`Store` protocol of :mod:`._base`, which also holds what they share (record
types, encodings, the counting cells, the key rule). :mod:`.options` has the typed options a
user passes as ``Deduplicator(store=...)``; :func:`open_store` turns them into a store. The
Redis scripts are package data (``lua/*.lua``).
"""

from __future__ import annotations

from .._boilerplate import BoilerplateRule
from ._base import (
    DF_CELLS,
    NO_FACTS,
    STORE_FORMAT,
    Candidate,
    Decision,
    Found,
    IndexCorruptWarning,
    IndexStats,
    Store,
    StoredDecision,
    check_index_params,
    df_cells,
    encode_params,
)
from .memory import MemoryStore
from .options import MemoryOptions, RedisOptions, SQLiteOptions, StoreOptions, store_options
from .redis import RedisStore
from .sqlite import SQLiteStore

__all__ = [
    "DF_CELLS",
    "NO_FACTS",
    "STORE_FORMAT",
    "Candidate",
    "Decision",
    "Found",
    "IndexCorruptWarning",
    "IndexStats",
    "MemoryOptions",
    "MemoryStore",
    "RedisOptions",
    "RedisStore",
    "SQLiteOptions",
    "SQLiteStore",
    "Store",
    "StoreOptions",
    "StoredDecision",
    "check_index_params",
    "df_cells",
    "encode_params",
    "open_store",
    "store_options",
]


def open_store(options: StoreOptions, *, df: BoilerplateRule | None) -> Store:
    """The store ``options`` describe, counting documents under ``df`` (None: no counts)."""
    if isinstance(options, SQLiteOptions):
        return SQLiteStore(options, df=df)
    if isinstance(options, RedisOptions):
        return RedisStore(options, df=df)
    return MemoryStore(df=df)
