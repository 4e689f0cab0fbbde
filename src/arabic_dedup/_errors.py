"""The exceptions arabic_dedup raises.

Every error is an :class:`ArabicDedupError`, so ``except ArabicDedupError`` catches all of them,
and each also subclasses the built-in it refines, so ``except ValueError`` / ``except TypeError``
keep working for callers who do not know this package. Messages state the rule, the offending
value and the fix.

Hierarchy::

    ArabicDedupError(Exception)
    ├── ConfigError(ArabicDedupError, ValueError)          bad option name, type or mode
    ├── NormalizerTypeError(ArabicDedupError, TypeError)   normaliser given a non-str
    ├── InputError(ArabicDedupError, TypeError)            a text that is not a str
    ├── SignatureError(ArabicDedupError, ValueError)       signature of the wrong shape/params
    ├── RecordError(ArabicDedupError, ValueError)          a bad record in a file (file, line)
    ├── OutputDirError(ArabicDedupError, ValueError)       an output directory that is unsafe
    ├── IndexMismatchError(ArabicDedupError, ValueError)   a stored index made with other params
    ├── IndexBusyError(ArabicDedupError, TimeoutError)     a stored index stayed locked too long
    ├── IndexCorruptError(ArabicDedupError, ValueError)    a stored index holds data it cannot read
    ├── IndexFullError(ArabicDedupError, OSError)          no room left to write to the index
    ├── IndexClosedError(ArabicDedupError, ValueError)     a Deduplicator used after close()
    ├── IndexUnavailableError(ArabicDedupError, ConnectionError)   the index server is unreachable
    ├── RunInterrupted(ArabicDedupError, KeyboardInterrupt) a run stopped by SIGINT/SIGTERM
    ├── KernelError(ArabicDedupError, ImportError)         numba installed, kernels broken
    └── UsageError(ArabicDedupError, ValueError)           the command line asks the impossible

A record someone else wrote into a shared index is skipped with an
:class:`~arabic_dedup.IndexCorruptWarning` (a ``UserWarning``) naming its key.
"""

from __future__ import annotations

__all__ = [
    "ArabicDedupError",
    "ConfigError",
    "IndexBusyError",
    "IndexClosedError",
    "IndexCorruptError",
    "IndexFullError",
    "IndexMismatchError",
    "IndexUnavailableError",
    "InputError",
    "KernelError",
    "NormalizerTypeError",
    "OutputDirError",
    "RecordError",
    "RunInterrupted",
    "SignatureError",
    "SpillError",
    "UsageError",
]


class ArabicDedupError(Exception):
    """Base class of every error raised by arabic_dedup."""


class ConfigError(ArabicDedupError, ValueError):
    """An option has an unknown name, a wrong type or a value outside its allowed modes.

    Raised when a config is built (``NormalizerConfig(hamza="merge")``), so a bad option
    fails at the call that made it, not deep inside a pipeline.
    """


class NormalizerTypeError(ArabicDedupError, TypeError):
    """The normaliser was given something that is not a ``str`` (for example ``bytes``)."""


class InputError(ArabicDedupError, TypeError):
    """A detector input is not a ``str``; the message names the record (index or key)."""


class SignatureError(ArabicDedupError, ValueError):
    """A signature or index does not fit: wrong shape, or made with other parameters."""


# Persistent indexes (Deduplicator(path=...) / Deduplicator(redis_url=...)).


class IndexMismatchError(ArabicDedupError, ValueError):
    """A stored index was built with other parameters than the ones requested.

    Signatures, band hashes and recorded decisions are only comparable under the normaliser
    version, shingle, MinHash, LSH and threshold parameters they were made with, so an index
    refuses to open with different ones; the message lists each differing parameter, stored vs
    requested. Open it with the stored parameters, or start a new index.
    """


class IndexBusyError(ArabicDedupError, TimeoutError):
    """A shared index stayed locked or contended for longer than the configured wait.

    Other writers held the SQLite write lock past ``busy_timeout``, or concurrent Redis writers
    kept changing the same band buckets through every retry. Retry the call, or raise
    ``busy_timeout``.
    """


class IndexCorruptError(ArabicDedupError, ValueError):
    """A stored index holds data it cannot read: a damaged SQLite file, or a key of a Redis
    namespace that something else overwrote. The message names the path or key; restore the
    file from a backup (or rebuild the index from the history), or delete the bad key."""


class IndexFullError(ArabicDedupError, OSError):
    """The index has no room for the write (disk full, SQLite ``max_page_count``, Redis
    ``maxmemory``). The add that failed was not recorded; every earlier one is."""


class IndexClosedError(ArabicDedupError, ValueError):
    """The Deduplicator (or its store) was closed, e.g. used after its ``with`` block; like
    ``ValueError: I/O operation on closed file``. Open a new one on the same path/namespace."""


class IndexUnavailableError(ArabicDedupError, ConnectionError):
    """The server holding the index (Redis) cannot be reached or refused the call; the message
    names the server. Adds that returned are recorded; the one in progress may not be."""


class RecordError(ArabicDedupError, ValueError):
    """A bad record or unreadable input file; ``file`` and ``line`` say where (line 0 = the
    whole file)."""

    def __init__(self, file: str, line: int, reason: str, *, unit: str = "line") -> None:
        self.file, self.line, self.reason = file, line, reason
        where = f"{file} {unit} {line}" if line else file
        super().__init__(f"{where}: {reason}")


class OutputDirError(ArabicDedupError, ValueError):
    """The output directory cannot be used (it holds files this tool did not write)."""


class KernelError(ArabicDedupError, ImportError):
    """numba is installed but the compiled kernels could not be loaded.

    Never a silent fallback: the reference path is chosen only by ``ARABIC_DEDUP_IMPL=reference``
    or when numba itself is absent (see :mod:`arabic_dedup._engine`).
    """


class RunInterrupted(ArabicDedupError, KeyboardInterrupt):
    """A run stopped at a safe point because SIGINT or SIGTERM arrived (``signum`` says which).

    Raised only while the CLI records signals (see ``arabic_dedup._interrupt``); like
    ``KeyboardInterrupt`` it means "stop now", and nothing was written.
    """

    def __init__(self, signum: int) -> None:
        import signal

        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


class UsageError(ArabicDedupError, ValueError):
    """The command line asks for something impossible (exit code 2)."""


class SpillError(ArabicDedupError, OSError):
    """A run over its memory limit could not write or read its temporary files (disk full,
    no permission, a file removed under it). The message names the directory; give
    ``tmp_dir`` (``--tmp-dir``) on a disk with room, or a higher memory limit. Nothing was
    written to the output."""

    def __init__(self, where: str, exc: OSError) -> None:
        self.where = where
        why = "the disk is full" if exc.errno == 28 else (exc.strerror or str(exc))
        super().__init__(
            exc.errno or 0,
            f"temporary files in {where}: {why}; give --tmp-dir (tmp_dir=) on a disk with "
            "room, or a higher --memory-limit",
        )

    def __str__(self) -> str:
        return str(self.args[1])
