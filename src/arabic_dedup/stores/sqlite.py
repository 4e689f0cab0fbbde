"""The embedded, persistent store: one SQLite file in WAL mode.

Layout (``STORE_FORMAT`` 3)::

    meta(name TEXT PRIMARY KEY, value TEXT)            parameters, as canonical JSON
    docs(seq INTEGER PRIMARY KEY, key TEXT UNIQUE,
         hashes BLOB,      -- kept: sorted distinct shingle hashes, little-endian uint32
         facts BLOB,       -- kept: its fact fingerprint, little-endian uint32 (empty: facts off)
         bands BLOB,       -- kept: one band hash per LSH band, little-endian uint64
         dup_of TEXT,      -- duplicate: the kept key it matched
         kind TEXT,        -- duplicate: the fact check's match kind (NULL: facts off)
         similarity REAL, expires REAL)                 expires: unix time, NULL = never
    buckets(band, h, seq) PRIMARY KEY (band, h, seq) WITHOUT ROWID
    df(cell INTEGER PRIMARY KEY, n INTEGER)            documents the cell's shingles occur in
    df_pending(seq INTEGER PRIMARY KEY AUTOINCREMENT,
               delta INTEGER,  -- +1: a text added, -1: a kept text removed
               cells BLOB)     -- the text's cells (one per hash), little-endian uint32
    counts(name TEXT PRIMARY KEY, n INTEGER)           'docs': documents seen;
                                                        'folded': last df_pending seq in df

(``df``, ``df_pending`` and ``counts`` stay empty when the index was built with
``max_df=None``.)

A cell's count is its ``df`` row plus ``delta`` for each of its occurrences in the
``df_pending`` rows after 'folded'. Updating ~300 ``df`` rows per add would touch ~300 random
B-tree pages per commit (~1 MB of WAL); instead an add appends its cells as one ``df_pending``
row, and every ``_FOLD_EVERY`` rows an add folds them into ``df`` in its own transaction (sums
per cell, one UPSERT pass in cell order), sets 'folded' to its own seq, and deletes the rows
of the previous fold ('pruned'), so that other connections can still read rows for one more
fold period. Each connection keeps every cell's count in memory (16 MiB, like
:class:`~arabic_dedup.stores.memory.MemoryStore`): loaded from ``df`` plus the rows after
'folded' on first use, then, inside each transaction, plus the rows committed since the last it read
(seqs only grow: AUTOINCREMENT, one writer at a time); if some of those were pruned unread, it
loads again. Counts are read from that copy, never from ``df``, so they are exactly those of
the transaction's snapshot.

A query is one primary-key range lookup per band. ``add`` runs inside ``BEGIN IMMEDIATE``,
which takes the write lock before reading, so several processes adding to one file are
serialised: each add sees every add (and every count) committed before it, and a key is
recorded once; the counts are updated in the same transaction as the record. ``add``
returns after ``COMMIT``; in WAL mode a committed transaction survives the process being
killed (``synchronous=NORMAL``), and also a power cut with ``synchronous="full"``.

Failures come out as this project's errors, all from one place (``SQLiteStore._guard``): a
damaged file as :class:`IndexCorruptError`, a full disk as :class:`IndexFullError` (the add
that hit it is rolled back whole: no half-written record; inside :meth:`SQLiteStore.batch`
SQLite rolls back the batch's whole transaction, so the batch leaves the index as it found
it), a locked file past ``busy_timeout`` as :class:`IndexBusyError`, a closed handle as
:class:`IndexClosedError`; each names the file.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager

import numpy as np
from numpy.typing import NDArray

from .._boilerplate import BoilerplateRule
from .._errors import (
    ArabicDedupError,
    ConfigError,
    IndexBusyError,
    IndexClosedError,
    IndexCorruptError,
    IndexFullError,
    IndexUnavailableError,
)
from ._base import (
    DF_CELLS,
    NO_FACTS,
    U32,
    U64,
    Candidate,
    Decide,
    Decision,
    Found,
    IndexStats,
    StoredDecision,
    T,
    all_hashes,
    common_of,
    corrupt_record,
    decode_hashes,
    decode_kept,
    decode_sorted,
    df_cells,
    encode_bands,
    encode_hashes,
    no_common,
    str_key,
)
from .options import SQLiteOptions

__all__ = ["SQLiteStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS docs (
    seq INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    hashes BLOB,
    facts BLOB,
    bands BLOB,
    dup_of TEXT,
    kind TEXT,
    similarity REAL NOT NULL,
    expires REAL
);
CREATE INDEX IF NOT EXISTS docs_expires ON docs(expires) WHERE expires IS NOT NULL;
CREATE TABLE IF NOT EXISTS buckets (
    band INTEGER NOT NULL,
    h INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (band, h, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS df (cell INTEGER PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS df_pending (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    delta INTEGER NOT NULL,
    cells BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS counts (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
"""
_OUR_TABLES = {"meta", "docs", "buckets"}
_LIVE = "(d.expires IS NULL OR d.expires > ?)"
# Expired records are filtered out of every read at once; their rows are deleted in batches
# this often (adds per handle), inside an add's transaction.
_PURGE_EVERY = 512
_PURGE_BATCH = 2048
# Pending document-frequency rows folded into ``df`` this often (see the module docstring).
_FOLD_EVERY = 2048
_FOLD = "INSERT INTO df VALUES (?, ?) ON CONFLICT(cell) DO UPDATE SET n = n + excluded.n"
_MARK = "INSERT INTO counts VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET n = excluded.n"
_COUNT_DOCS = (
    "INSERT INTO counts VALUES ('docs', ?) ON CONFLICT(name) DO UPDATE SET n = n + excluded.n"
)
# Cells per "IN (...)" lookup (well under SQLite's bound-parameter limit).
_CHUNK = 500


def _signed(bands: U64) -> list[int]:
    # SQLite integers are signed 64-bit: store the band hash's bit pattern.
    return [int(x) for x in np.asarray(bands, dtype="<u8").view("<i8")]


class SQLiteStore:
    """A Deduplicator index in one SQLite file; several processes may share it."""

    def __init__(self, options: SQLiteOptions, *, df: BoilerplateRule | None = None) -> None:
        self.path = os.fspath(options.path)
        self._where = options.where
        busy_timeout, synchronous = options.busy_timeout, options.synchronous
        self._df_limit = df
        self._lock = threading.RLock()
        self._adds = 0
        self._in_batch = False  # inside batch(): adds are savepoints of one transaction
        # This connection's copy of every cell's count (allocated and loaded on first use),
        # and the last df_pending seq it includes (see the module docstring).
        self._tot: NDArray[np.int32] | None = None
        self._seen = 0
        try:
            self._db = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.OperationalError as e:
            raise ConfigError(f"cannot open index file {self.path!r}: {e}") from e
        try:
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise ConfigError(
                    f"{self.path!r} cannot use SQLite WAL mode (got {mode!r}); put the index "
                    "on a local file system"
                )
            self._db.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            with self._write():
                tables = {
                    r[0]
                    for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                }
                if tables and not tables & _OUR_TABLES:
                    raise ConfigError(
                        f"{self.path!r} is an SQLite database but not an arabic-dedup index "
                        f"(tables: {', '.join(sorted(tables))}); give a new path"
                    )
                lost = sorted(_OUR_TABLES - tables)
                if tables & _OUR_TABLES and lost:  # every format has had these three
                    raise IndexCorruptError(
                        f"the index file {self.path!r} has lost its table(s) {', '.join(lost)}: "
                        "re-created empty, they would hide its records. Restore it from a "
                        "backup, or rebuild it by re-adding the history to a new path"
                    )
                for stmt in _SCHEMA.split(";"):
                    if stmt.strip():
                        self._db.execute(stmt)
        except sqlite3.DatabaseError as e:
            self._db.close()
            ours = self._translate(e)
            # A damaged SQLite file is a damaged index; one that is no SQLite file at all is
            # not an index (below).
            damaged = str(e).startswith("database disk image")
            if isinstance(ours, IndexBusyError | IndexFullError) or (damaged and ours is not None):
                raise ours from e
            raise ConfigError(f"{self.path!r} is not an arabic-dedup index: {e}") from e
        except BaseException:
            self._db.close()
            raise

    # -- errors ----------------------------------------------------------------------------
    def _translate(self, e: sqlite3.Error) -> ArabicDedupError | None:
        """This project's error for what SQLite reported (None: a bug of ours, let through)."""
        msg, path = str(e), repr(self.path)
        if isinstance(e, sqlite3.ProgrammingError):
            if "closed" in msg:
                return IndexClosedError(
                    f"the index {path} was closed (e.g. used after its with block); open a new "
                    "Deduplicator on it"
                )
            return None
        if isinstance(e, sqlite3.OperationalError):
            if "locked" in msg or "busy" in msg:
                return IndexBusyError(
                    f"the index {path} stayed locked by another writer ({msg}); retry, or "
                    "raise busy_timeout (Deduplicator(store=SQLiteOptions(path, "
                    "busy_timeout=...)))"
                )
            if "full" in msg:
                if self._in_batch and not self._db.in_transaction:
                    # SQLite rolled the batch's whole transaction back, not just this add.
                    lost = "the batch of adds it was part of was rolled back whole (the index "
                    lost += "is as before that batch; earlier batches are recorded)"
                else:
                    lost = "the add was not recorded, the ones before it are"
                return IndexFullError(
                    f"no room to write to the index {path} ({msg}); {lost}. Free disk space "
                    "(or move the index) and retry"
                )
            if not msg.startswith(("no such", "database disk image")):
                return IndexUnavailableError(f"cannot read or write the index {path}: {msg}")
        if isinstance(e, sqlite3.DatabaseError):
            return IndexCorruptError(
                f"the index file {path} is damaged ({msg}). Restore it from a backup, or "
                "rebuild it by re-adding the history to a new path ('sqlite3 FILE .recover' "
                "may salvage its records)"
            )
        return None

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Raise SQLite's failures as this project's errors: the one place that does."""
        try:
            yield
        except sqlite3.Error as e:
            ours = self._translate(e)
            if ours is None:
                raise
            raise ours from e

    # -- transactions ----------------------------------------------------------------------
    class _Txn:
        """One write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``), or, inside
        :meth:`batch`, one savepoint of the batch's transaction."""

        def __init__(self, store: SQLiteStore) -> None:
            self.store = store

        def __enter__(self) -> sqlite3.Connection:
            st = self.store
            st._lock.acquire()
            try:
                with st._guard():
                    st._db.execute("SAVEPOINT one_add" if st._in_batch else "BEGIN IMMEDIATE")
            except BaseException:
                st._lock.release()
                raise
            return st._db

        def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
            st, db = self.store, self.store._db
            # The counts copy never holds the rows an add being undone wrote: each add reads
            # the pending rows (``_sync``) before writing its own.
            try:
                with st._guard():
                    if exc_type is None:
                        try:
                            db.execute("RELEASE one_add" if st._in_batch else "COMMIT")
                        except BaseException:
                            st._abandon()
                            raise
                    elif not db.in_transaction:
                        # SQLite rolled the whole transaction back itself (a full disk, an
                        # I/O error): the copy of the counts may hold rows that are gone.
                        st._tot = None
                    elif st._in_batch:
                        db.execute("ROLLBACK TO one_add")
                        db.execute("RELEASE one_add")
                    else:
                        db.execute("ROLLBACK")
            finally:
                st._lock.release()

    def _abandon(self) -> None:
        """After a failed COMMIT: roll back what is left, and reload the counts on next use."""
        self._tot = None
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the COMMIT's error is the one to report

    def _write(self) -> SQLiteStore._Txn:
        return SQLiteStore._Txn(self)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run the adds inside the block in one transaction, each in its own savepoint: an add
        that fails is undone alone, the others commit together at the end of the block.

        Committing once per batch instead of once per add writes each touched page of the
        bucket index to the write-ahead log once, not once per add. Other writers wait for
        the whole block (up to the busy timeout)."""
        with self._lock:
            if self._in_batch:
                yield
                return
            with self._guard():
                self._db.execute("BEGIN IMMEDIATE")
            self._in_batch = True
            try:
                yield
            except BaseException:
                self._in_batch = False
                if self._db.in_transaction:
                    with self._guard():
                        self._db.execute("COMMIT")  # the adds before the failing one stay
                raise
            self._in_batch = False
            with self._guard():
                try:
                    self._db.execute("COMMIT")
                except BaseException:
                    self._abandon()
                    raise

    # -- the Store protocol ------------------------------------------------------------------
    def init_meta(self, params: Mapping[str, str]) -> dict[str, str]:
        with self._guard(), self._write() as db:
            stored = dict(db.execute("SELECT name, value FROM meta").fetchall())
            if not stored and db.execute("SELECT 1 FROM docs LIMIT 1").fetchone() is not None:
                raise IndexCorruptError(
                    f"the index file {self.path!r} holds records but its parameters (table "
                    "meta) are gone; its records cannot be checked against these options. "
                    "Restore it from a backup, or rebuild it by re-adding the history to a new "
                    "path"
                )
            if not stored:
                db.executemany("INSERT INTO meta VALUES (?, ?)", sorted(params.items()))
                stored = dict(params)
        return stored

    def _delete(self, db: sqlite3.Connection, seq: int, bands: bytes | None) -> None:
        db.execute("DELETE FROM docs WHERE seq = ?", (seq,))
        if isinstance(bands, bytes) and bands and len(bands) % 8 == 0:  # else: foreign, left
            # to dangle (a bucket row whose doc is gone is never a candidate: JOIN docs)
            hs = _signed(np.frombuffer(bands, dtype="<u8"))
            db.executemany(
                "DELETE FROM buckets WHERE band = ? AND h = ? AND seq = ?",
                [(b, h, seq) for b, h in enumerate(hs)],
            )

    def _purge(self, db: sqlite3.Connection, now: float) -> None:
        rows = db.execute(
            "SELECT seq, bands FROM docs WHERE expires IS NOT NULL AND expires <= ? LIMIT ?",
            (now, _PURGE_BATCH),
        ).fetchall()
        for seq, bands in rows:
            self._delete(db, seq, bands)

    def _candidates(self, db: sqlite3.Connection, bands: U64, now: float) -> list[Candidate]:
        # Every band's bucket in one statement, not a round through the Python driver per
        # band (25 of them took ~40 % of an add). CROSS JOIN keeps the VALUES list outermost,
        # so each (band, h) is a primary-key search of ``buckets`` (``IN (VALUES ...)`` made
        # the planner scan the table).
        keys = list(enumerate(_signed(bands)))
        if not keys:
            return []
        values = ",".join(["(?,?)"] * len(keys))
        sql = (
            f"WITH k(band, h) AS (VALUES {values}) "
            "SELECT DISTINCT d.seq, d.key, d.hashes, d.facts FROM k "
            "CROSS JOIN buckets b ON b.band = k.band AND b.h = k.h "
            f"JOIN docs d ON d.seq = b.seq WHERE {_LIVE} ORDER BY d.seq"
        )
        params = [x for pair in keys for x in pair]
        out = []
        for seq, key, raw, facts in db.execute(sql, (*params, now)):
            kept = decode_kept(raw, facts)
            if isinstance(kept, str):
                warnings.warn(corrupt_record(repr(key), self._where, kept), stacklevel=5)
            else:
                out.append(Candidate(key, seq, *kept))
        return out

    @staticmethod
    def _n_docs(db: sqlite3.Connection) -> int:
        row = db.execute("SELECT n FROM counts WHERE name = 'docs'").fetchone()
        return 0 if row is None else int(row[0])

    @staticmethod
    def _mark(db: sqlite3.Connection, name: str) -> int:
        row = db.execute("SELECT n FROM counts WHERE name = ?", (name,)).fetchone()
        return 0 if row is None else int(row[0])

    @contextmanager
    def _counts_read(self) -> Iterator[None]:
        """Reading the document-frequency counts (tables ``counts``, ``df``, ``df_pending``):
        a value no add wrote (a cell out of range, a blob of the wrong length, a count that
        is no number) is a damaged index, named as such, not numpy's or int()'s complaint."""
        try:
            yield
        except (ValueError, IndexError, TypeError, OverflowError) as e:
            if isinstance(e, ArabicDedupError):
                raise
            raise IndexCorruptError(
                f"the index file {self.path!r} has damaged document-frequency counts (a row "
                f"of its counts, df or df_pending tables no add wrote: {type(e).__name__}). "
                "Restore it from a backup, or rebuild it by re-adding the history to a new path"
            ) from e

    def _sync(self, db: sqlite3.Connection) -> NDArray[np.int32]:
        """This connection's counts, brought to the transaction's snapshot: the pending rows
        committed since the last it read, or, if some of those were pruned unread (or on first
        use), everything again from ``df`` and ``df_pending``. Only committed rows are read:
        call it before this transaction writes its own."""
        with self._counts_read():
            return self._synced(db)

    def _synced(self, db: sqlite3.Connection) -> NDArray[np.int32]:
        tot = self._tot
        if tot is None or self._seen < self._mark(db, "pruned"):
            tot = np.zeros(DF_CELLS, dtype=np.int32)  # calloc'd: pages cost on first touch
            cur = db.execute("SELECT cell, n FROM df")
            while rows := cur.fetchmany(1 << 16):
                a = np.array(rows, dtype=np.int64)
                tot[a[:, 0]] = a[:, 1]
            self._tot, self._seen = tot, self._mark(db, "folded")
        for seq, delta, raw in db.execute(
            "SELECT seq, delta, cells FROM df_pending WHERE seq > ? ORDER BY seq", (self._seen,)
        ):
            np.add.at(tot, decode_hashes(raw), delta)  # a cell twice in a text counts twice
            self._seen = seq
        return tot

    def _counts(self, db: sqlite3.Connection, hashes: U32, above: float) -> NDArray[np.int64]:
        """The count of each of ``hashes``' cells, 0 where it is ``above`` or less."""
        counts = self._sync(db)[df_cells(hashes)].astype(np.int64)
        return np.where(counts > above, counts, 0)

    def _found(self, db: sqlite3.Connection, hashes: U32, cands: list[Candidate]) -> Found:
        lim = self._df_limit
        if lim is None or not cands:
            return Found(cands, no_common)
        with self._counts_read():
            limit = lim.limit(self._n_docs(db))

        def common(cs: Sequence[Candidate]) -> U32:
            # Valid inside this transaction: the counts copy is its snapshot until it writes.
            u = all_hashes(hashes, cs)
            return common_of(u, self._counts(db, u, limit) > 0)

        return Found(cands, common)

    def _count(self, db: sqlite3.Connection, hashes: U32, step: int) -> None:
        """Count ``hashes`` as one more (``step`` 1) or one fewer (-1) document: one
        ``df_pending`` row; every ``_FOLD_EVERY`` rows, fold them into ``df``."""
        if self._df_limit is None:
            return
        with self._counts_read():
            self._counted(db, hashes, step)

    def _counted(self, db: sqlite3.Connection, hashes: U32, step: int) -> None:
        # Read the rows committed since this connection last did (not yet its own): a writer
        # stays current and never reloads everything because its rows were pruned unread.
        self._sync(db)
        db.execute(_COUNT_DOCS, (step,))
        if hashes.size == 0:
            return
        cells = encode_hashes(df_cells(hashes).astype(np.uint32))
        seq = db.execute(
            "INSERT INTO df_pending (delta, cells) VALUES (?, ?)", (step, cells)
        ).lastrowid
        assert seq is not None
        folded = self._mark(db, "folded")
        if seq - folded >= _FOLD_EVERY:
            self._fold(db, folded, seq)

    def _fold(self, db: sqlite3.Connection, folded: int, seq: int) -> None:
        """Add the pending rows after ``folded`` up to ``seq`` (this transaction's own) to
        ``df``, and prune the rows the previous fold added (kept until now so that other
        connections can still read them)."""
        rows = db.execute(
            "SELECT delta, cells FROM df_pending WHERE seq > ? AND seq <= ?", (folded, seq)
        ).fetchall()
        parts = [decode_hashes(raw) for _, raw in rows]
        allc = np.concatenate(parts)
        allw = np.repeat(np.array([d for d, _ in rows], dtype=np.int64), [p.size for p in parts])
        order = np.argsort(allc, kind="stable")
        allc, allw = allc[order], allw[order]
        starts = np.flatnonzero(np.r_[True, allc[1:] != allc[:-1]])
        sums = np.add.reduceat(allw, starts)
        nz = sums != 0
        uc, us = allc[starts][nz].tolist(), sums[nz].tolist()
        db.executemany(_FOLD, zip(uc, us, strict=True))  # in cell order: sequential pages
        if (sums < 0).any():  # a removed text: drop the cells it took to zero
            db.executemany(
                "DELETE FROM df WHERE cell = ? AND n <= 0",
                [(c,) for c, n in zip(uc, us, strict=True) if n < 0],
            )
        db.execute("DELETE FROM df_pending WHERE seq <= ?", (folded,))
        db.executemany(_MARK, [("folded", seq), ("pruned", folded)])

    def add(
        self,
        key: Hashable,
        hashes: U32,
        bands: U64,
        decide: Decide,
        *,
        ttl: float | None,
        facts: U32 = NO_FACTS,
    ) -> Decision:
        skey = str_key(key)
        with self._guard(), self._write() as db:
            now = time.time()
            self._adds += 1
            if self._adds % _PURGE_EVERY == 0:
                self._purge(db, now)
            row = db.execute(
                "SELECT seq, bands, expires FROM docs WHERE key = ?", (skey,)
            ).fetchone()
            if row is not None:
                if row[2] is None or row[2] > now:
                    raise KeyError(f"key {skey!r} was already added")
                self._delete(db, row[0], row[1])  # expired: the key is free again
            decision = decide(self._found(db, hashes, self._candidates(db, bands, now)))
            expires = None if ttl is None else now + ttl
            if decision is None:
                cur = db.execute(
                    "INSERT INTO docs (key, hashes, facts, bands, similarity, expires) "
                    "VALUES (?, ?, ?, ?, 1.0, ?)",
                    (
                        skey,
                        encode_hashes(hashes),
                        encode_hashes(facts),
                        encode_bands(bands),
                        expires,
                    ),
                )
                seq = cur.lastrowid
                db.executemany(
                    "INSERT INTO buckets VALUES (?, ?, ?)",
                    [(b, h, seq) for b, h in enumerate(_signed(bands))],
                )
            else:
                dup, sim, kind = decision
                db.execute(
                    "INSERT INTO docs (key, dup_of, kind, similarity, expires) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (skey, str_key(dup), kind, sim, expires),
                )
            self._count(db, hashes, 1)
        return decision

    def candidates(self, hashes: U32, bands: U64, use: Callable[[Found], T]) -> T:
        with self._lock, self._guard():
            db = self._db
            if self._in_batch:  # the batch's transaction is the snapshot
                return use(self._found(db, hashes, self._candidates(db, bands, time.time())))
            # One read transaction: the candidates and the counts are one snapshot.
            db.execute("BEGIN")
            try:
                return use(self._found(db, hashes, self._candidates(db, bands, time.time())))
            finally:
                db.execute("COMMIT")

    def doc_freq(self, hashes: U32) -> tuple[int, NDArray[np.int64]]:
        """Documents seen, and the count of each hash's cell (for tests: see ``Store``)."""
        with self._lock, self._guard():
            self._db.execute("BEGIN")
            try:
                n = self._n_docs(self._db)
                counts = self._counts(self._db, hashes, 0)
            finally:
                self._db.execute("COMMIT")
        return n, counts

    def get(self, key: Hashable) -> StoredDecision | None:
        skey = str_key(key)
        with self._lock, self._guard():
            row = self._db.execute(
                f"SELECT d.dup_of, d.similarity, d.kind FROM docs d WHERE d.key = ? AND {_LIVE}",
                (skey, time.time()),
            ).fetchone()
        return None if row is None else StoredDecision(row[0], float(row[1]), row[2])

    def remove(self, key: Hashable) -> None:
        skey = str_key(key)
        with self._guard(), self._write() as db:
            row = db.execute(
                f"SELECT d.seq, d.bands, d.hashes FROM docs d WHERE d.key = ? AND {_LIVE}",
                (skey, time.time()),
            ).fetchone()
            if row is None:
                raise KeyError(key)
            self._delete(db, row[0], row[1])
            if row[2] is None:  # a duplicate: its hashes were never stored
                return
            hashes = decode_sorted("shingle hashes", row[2])
            if isinstance(hashes, str):  # removing is the remedy for a corrupt record
                warnings.warn(
                    corrupt_record(repr(skey), self._where, hashes, removed=True), stacklevel=3
                )
            else:  # a kept text: its hashes are known, uncount them
                self._count(db, hashes, -1)

    def keys(self) -> Iterator[Hashable]:
        # Pages by seq, so adds and removals during iteration never break it.
        last = 0
        while True:
            with self._lock, self._guard():
                rows = self._db.execute(
                    f"SELECT d.seq, d.key FROM docs d WHERE d.seq > ? AND {_LIVE} "
                    "ORDER BY d.seq LIMIT 1000",
                    (last, time.time()),
                ).fetchall()
            if not rows:
                return
            for _, key in rows:
                yield key
            last = rows[-1][0]

    def count(self) -> int:
        with self._lock, self._guard():
            row = self._db.execute(f"SELECT count(*) FROM docs d WHERE {_LIVE}", (time.time(),))
            return int(row.fetchone()[0])

    def stats(self) -> IndexStats:
        with self._lock, self._guard():
            n, kept = self._db.execute(
                f"SELECT count(*), count(d.hashes) FROM docs d WHERE {_LIVE}", (time.time(),)
            ).fetchone()
            pages = self._db.execute("PRAGMA page_count").fetchone()[0]
            size = self._db.execute("PRAGMA page_size").fetchone()[0]
        return IndexStats(int(n), int(kept), int(n - kept), int(pages * size))

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the main file (e.g. before measuring or copying it)."""
        with self._lock, self._guard():
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._lock:
            self._db.close()
