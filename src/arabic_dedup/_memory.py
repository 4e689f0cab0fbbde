"""Bounded memory: the memory limit, the temporary directory, and shingle sets on disk.

The detector holds little per document except its shingle hashes (4 bytes a shingle: 1.3 GB
at 1M news articles), and its in-memory stages peak near :data:`IN_MEMORY_FACTOR` times what
pass 1 holds. So pass 1 keeps the hashes in memory while that product fits the limit; past
it, they *spill*: everything held so far and everything after goes to a :class:`SetArena`, a
file of hashes in a temporary directory, and the stages read it in windows of
:attr:`MemoryPlan.window_bytes` (``._sources.SpilledSets``). The decisions are the same either
way (``tests/test_memory.py``).

One owner for each rule of it: :func:`parse_memory_limit` (what "auto", "2GB" or 10**9 mean),
:class:`MemoryPlan` (when to spill, how big a window is), :class:`SpillDir` (where the files
go, how much disk they took, that they are removed on success, failure and Ctrl-C).
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._errors import ConfigError, SpillError
from ._shingle import ShingleSets

__all__ = [
    "DEFAULT_MEMORY_LIMIT",
    "IN_MEMORY_FACTOR",
    "MemoryLimit",
    "MemoryPlan",
    "Pass1Sink",
    "SetArena",
    "SpillDir",
    "current_rss",
    "parse_memory_limit",
    "physical_memory",
    "process_budget",
    "release_free",
]

MemoryLimit = int | str | None

#: ``memory_limit``'s default: half of this machine's memory (or of the container's limit).
DEFAULT_MEMORY_LIMIT = "auto"
AUTO_SHARE = 0.5
#: The smallest limit accepted: below it the fixed costs (interpreter, numba, per-document
#: arrays) alone exceed it.
MIN_LIMIT = 64 * 2**20
#: The in-memory detector peaks at about this many times the shingle hashes pass 1 holds
#: (docs/benchmarks/scaling.md: 1M documents, 1.29 GB of hashes, 3.86 GB peak RSS).
IN_MEMORY_FACTOR = 3.0
#: A spilled run reads the arena in windows of limit / WINDOW_SHARE bytes: filtering a window
#: takes ~5 times its size (an index and a document number per hash), and the per-document
#: arrays (~100 bytes a document) must fit beside it (at 8, 1M documents peaked at 2.35 GB
#: under a 2 GB limit).
WINDOW_SHARE = 16
#: Gathering sets from the spilled file reads two sets in one piece when less than this many
#: bytes lie between them (fewer reads for a few bytes more).
GATHER_GAP = 8192

_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
_BINARY = {"k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]?)(i?)(b?)\s*", re.IGNORECASE)


def current_rss() -> int:
    """Bytes this process holds in memory now (Linux: /proc/self/statm; 0 where unknown)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def process_budget(limit: int, held: int) -> int:
    """What a run may plan with under a whole-process ``limit`` when the process already
    ``held`` that many bytes; ConfigError when that leaves it less than ``MIN_LIMIT``.

    >>> process_budget(2 * 10**9, 200 * 2**20)
    1790284800
    """
    if limit - held < MIN_LIMIT:
        least = -(-(held + MIN_LIMIT) // 10**6)
        raise ConfigError(
            f"a memory limit of {limit / 10**6:,.0f} MB leaves the run no room: this process "
            f"already holds {held / 2**20:,.0f} MiB (Python, numpy, the compiled kernels) and "
            f"a run needs {MIN_LIMIT // 2**20} MiB more; give at least {least:,}MB"
        )
    return limit - held


def physical_memory() -> int:
    """Bytes of memory this process may use: the machine's, or its cgroup's limit if lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return int(total)


def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL(None).malloc_trim  # glibc; absent on musl, macOS and Windows
    except (OSError, AttributeError, TypeError):
        return None


_TRIM = _malloc_trim()


def release_free() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``; nothing
    elsewhere). The spilled stages call it after each window: arrays under glibc's mmap
    threshold (up to 32 MB) are freed into the heap, which keeps their pages resident, so
    without it the peak grew with the corpus (~370 bytes a document of freed memory at 300k,
    measured) although the live data did not."""
    if _TRIM is not None:
        _TRIM(0)


def parse_memory_limit(value: MemoryLimit) -> int | None:
    """Bytes of a memory limit: "auto" (half of :func:`physical_memory`), a size ("2GB",
    "512MB", "1.5GiB"; decimal units unless written with i), a number of bytes, or None /
    "none" (no limit: everything in memory).

    >>> parse_memory_limit("2GB"), parse_memory_limit("512MiB"), parse_memory_limit(None)
    (2000000000, 536870912, None)
    """
    if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
        return None
    if isinstance(value, str) and value.strip().lower() == "auto":
        return max(MIN_LIMIT, int(physical_memory() * AUTO_SHARE))
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigError(
            f"memory_limit must be 'auto', None, a size such as '2GB' or a number of bytes, "
            f"got {value!r}"
        )
    if isinstance(value, int):
        n = value
    else:
        m = _SIZE.fullmatch(value)
        if m is None:
            raise ConfigError(
                f"memory limit {value!r} is not a size: write e.g. 2GB, 512MB, 1.5GiB, auto or none"
            )
        unit = m.group(2).lower()
        scale = _BINARY[unit] if m.group(3) and unit else _UNITS[unit]
        n = int(float(m.group(1)) * scale)
    if n < MIN_LIMIT:
        raise ConfigError(
            f"memory limit {value!r} is below the smallest workable one, {MIN_LIMIT // 2**20} MiB"
        )
    return n


@dataclass(frozen=True)
class MemoryPlan:
    """What a memory limit means for a run: when pass 1 spills, how big a window is.

    ``window`` overrides the window size (tests spill a small corpus in many windows with
    ``MemoryPlan(limit=1, window=4096)``).
    """

    limit: int | None
    window: int | None = None

    @classmethod
    def of(cls, value: MemoryLimit | MemoryPlan) -> MemoryPlan:
        return value if isinstance(value, MemoryPlan) else cls(parse_memory_limit(value))

    def fits(self, held_bytes: int) -> bool:
        """Whether the in-memory stages fit the limit, given what pass 1 holds."""
        return self.limit is None or IN_MEMORY_FACTOR * held_bytes <= self.limit

    @property
    def gather_bytes(self) -> int:
        """How many bytes of shingle hashes a block of pairs gathers from the spilled sets: a
        quarter window, as a gather holds its read buffer, an 8-byte index per hash and the
        result at once."""
        return max(1, self.window_bytes // 4)

    @property
    def window_bytes(self) -> int:
        """How many bytes of shingle hashes a spilled stage reads (or gathers) at a time."""
        if self.window is not None:
            return self.window
        return (self.limit or 2**31) // WINDOW_SHARE


@dataclass
class SpillDir:
    """The temporary directory of one run: made on first use inside ``parent`` (default: the
    system's, ``TMPDIR``), removed when the ``with`` block ends, however it ends.

    Tracks the disk its files take (``disk_bytes``: the most at any time) and how many times
    the stages read them (``passes``).
    """

    parent: str | os.PathLike[str] | None = None
    path: Path | None = None
    disk_bytes: int = 0
    passes: int = 0
    _live: dict[Path, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.parent is not None and not isinstance(self.parent, str | os.PathLike):
            raise ConfigError(
                f"tmp_dir must be a directory path (str or os.PathLike), got "
                f"{type(self.parent).__name__}"
            )
        if self.parent is not None and not isinstance(os.fspath(self.parent), str):
            raise ConfigError("tmp_dir must be a str path, not bytes (decode it first)")
        if self.parent is not None and not Path(self.parent).is_dir():
            raise ConfigError(f"temporary directory {os.fspath(self.parent)!r} does not exist")

    def __enter__(self) -> SpillDir:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    def new_file(self, name: str) -> Path:
        """A new file's path in the directory (made now if it is not there yet)."""
        if self.path is None:
            try:
                self.path = Path(tempfile.mkdtemp(prefix="arabic-dedup-", dir=self.parent))
            except OSError as exc:
                raise SpillError(self._where(), exc) from None
        p = self.path / name
        self._live[p] = 0
        return p

    def grew(self, path: Path, nbytes: int) -> None:
        """``path`` now holds ``nbytes``: the disk in use is recounted."""
        self._live[path] = nbytes
        self.disk_bytes = max(self.disk_bytes, sum(self._live.values()))

    def remove(self, path: Path) -> None:
        self._live.pop(path, None)
        path.unlink(missing_ok=True)

    def cleanup(self) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            self._live.clear()

    def error(self, exc: OSError) -> SpillError:
        """The project's error for a failed write or read of a spill file."""
        return SpillError(self._where(), exc)

    def _where(self) -> str:
        if self.path is not None:
            return str(self.path)
        return os.fspath(self.parent) if self.parent is not None else tempfile.gettempdir()

    def report(self, plan: MemoryPlan) -> dict[str, Any]:
        """What ``DedupResult.spill`` and report.json's ``spill`` say."""
        return {
            "spilled": self.path is not None,
            "limit_bytes": plan.limit,
            "disk_bytes": self.disk_bytes,
            "passes": self.passes,
            "tmp_dir": None if self.path is None else str(self.path),
        }


class SetArena:
    """Shingle sets in a file: the hashes (uint32) appended set after set, the offsets in
    memory (8 bytes a document). Read in contiguous windows (:meth:`windows`) or gathered by
    document through a memory map (:meth:`gather`)."""

    def __init__(self, spill: SpillDir, name: str) -> None:
        self.spill = spill
        self.path = spill.new_file(name)
        self._sizes: list[NDArray[np.int64]] = []
        self._file: Any = open(self.path, "wb")
        self._written = 0
        self.offsets = np.zeros(1, dtype=np.int64)

    def append(self, sets: ShingleSets) -> None:
        try:
            np.ascontiguousarray(sets.hashes, dtype=np.uint32).tofile(self._file)
        except OSError as exc:
            raise self.spill.error(exc) from None
        self._sizes.append(sets.sizes())
        self._written += int(sets.hashes.size) * 4
        self.spill.grew(self.path, self._written)

    def finish(self) -> SetArena:
        """Close the file for writing; from here on it is read only."""
        if self._file is not None:
            try:
                self._file.close()
            except OSError as exc:
                raise self.spill.error(exc) from None
            self._file = None
            sizes = np.concatenate(self._sizes) if self._sizes else np.zeros(0, np.int64)
            self._sizes = []
            self.offsets = np.zeros(sizes.size + 1, dtype=np.int64)
            np.cumsum(sizes, out=self.offsets[1:])
        return self

    def __len__(self) -> int:
        return int(self.offsets.size - 1)

    def sizes(self) -> NDArray[np.int64]:
        return np.diff(self.offsets)

    @property
    def nbytes(self) -> int:
        return int(self.offsets[-1]) * 4

    def windows(self, max_bytes: int) -> Iterator[tuple[int, ShingleSets]]:
        """``(first document, its sets)`` of consecutive documents, at most ``max_bytes`` of
        hashes at a time (at least one document), read from the file into memory."""
        self.spill.passes += 1
        n = len(self)
        per = max(1, max_bytes // 4)
        lo = 0
        try:
            with open(self.path, "rb") as f:
                while lo < n:
                    hi = int(np.searchsorted(self.offsets, self.offsets[lo] + per, "right")) - 1
                    hi = min(max(hi, lo + 1), n)
                    start, end = int(self.offsets[lo]), int(self.offsets[hi])
                    f.seek(start * 4)
                    hashes = np.fromfile(f, dtype=np.uint32, count=end - start)
                    if hashes.size != end - start:
                        raise OSError(errno.EIO, f"{self.path} is shorter than written")
                    yield lo, ShingleSets(hashes, self.offsets[lo : hi + 1] - start)
                    lo = hi
        except OSError as exc:
            raise self.spill.error(exc) from None

    def gather(self, docs: NDArray[np.int64], at: NDArray[np.int64], n: int) -> ShingleSets:
        """A ShingleSets of ``n`` documents where position ``at[k]`` (sorted, distinct) holds
        document ``docs[k]``'s set and every other position an empty set: indexes into it
        are the caller's, with no remapping. ``docs`` ascending (as rows map to documents)."""
        sizes = self.offsets[docs + 1] - self.offsets[docs]
        all_sizes = np.zeros(n, dtype=np.int64)
        all_sizes[at] = sizes
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(all_sizes, out=offsets[1:])
        total = int(offsets[-1])
        if total == 0:
            return ShingleSets(np.zeros(0, dtype=np.uint32), offsets)
        if docs.size > 1 and bool((docs[1:] < docs[:-1]).any()):
            raise ValueError("SetArena.gather needs its documents in ascending order")
        buf, where = self._read_runs(docs)
        src = np.repeat(where - offsets[at], sizes) + np.arange(total)
        return ShingleSets(buf[src], offsets)

    def _read_runs(self, docs: NDArray[np.int64]) -> tuple[NDArray[np.uint32], NDArray[np.int64]]:
        """The hashes of ``docs`` (sorted) read from the file into one buffer, and where each
        document's start is in it. Documents less than ``GATHER_GAP`` apart are read in one
        piece. Plain reads, not a memory map: mapped file pages count as the process's
        resident memory, and the kernel maps whole folios around every page touched (a
        memory-mapped gather across a 6 GB arena counted 4.9 GB resident)."""
        starts = self.offsets[docs]
        ends = self.offsets[docs + 1]
        new = np.r_[True, starts[1:] - ends[:-1] > GATHER_GAP // 4]
        first = np.flatnonzero(new)
        run_lo = starts[first]
        run_hi = np.maximum.reduceat(ends, first)
        lengths = run_hi - run_lo
        base = np.zeros(first.size, dtype=np.int64)
        np.cumsum(lengths[:-1], out=base[1:])
        buf = np.empty(int(lengths.sum()), dtype=np.uint32)
        raw = buf.data.cast("B")
        try:
            with open(self.path, "rb") as f:
                fd = f.fileno()
                for lo, n, at in zip(run_lo.tolist(), lengths.tolist(), base.tolist(), strict=True):
                    if os.preadv(fd, [raw[at * 4 : (at + n) * 4]], lo * 4) != n * 4:
                        raise OSError(errno.EIO, f"{self.path} is shorter than written")
        except OSError as exc:
            raise self.spill.error(exc) from None
        run = np.cumsum(new) - 1
        return buf, base[run] + (starts - run_lo[run])


class Pass1Sink:
    """Where pass 1 puts each batch's shingle sets (and fact fingerprints): in memory while
    the plan says the stages fit, else in arenas on disk. :meth:`result` hands them over."""

    def __init__(self, plan: MemoryPlan, spill: SpillDir, *, facts: bool) -> None:
        self.plan, self.spill, self.facts = plan, spill, facts
        self._parts: list[ShingleSets] = []
        self._fparts: list[ShingleSets] = []
        self._held = 0
        self._arenas: tuple[SetArena, SetArena | None] | None = None
        self._n = 0
        self._shingle_free: list[NDArray[np.int64]] = []

    @property
    def shingle_free(self) -> NDArray[np.int64]:
        """Indexes (over every document added) of those without a shingle."""
        if not self._shingle_free:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate(self._shingle_free)

    def add(self, sets: ShingleSets, facts: ShingleSets | None = None) -> NDArray[np.int64]:
        """Take one batch; returns the indexes, within it, of its documents without a
        shingle (:attr:`shingle_free` gathers them over every batch)."""
        free = sets.shingle_free()
        if free.size:
            self._shingle_free.append(free + self._n)
        self._n += len(sets)
        if self._arenas is None:
            self._parts.append(sets)
            if facts is not None:
                self._fparts.append(facts)
            self._held += sets.hashes.nbytes + (0 if facts is None else facts.hashes.nbytes)
            if not self.plan.fits(self._held):
                self._spill()
            return free
        arena, farena = self._arenas
        arena.append(sets)
        if farena is not None and facts is not None:
            farena.append(facts)
        return free

    def _spill(self) -> None:
        arena = SetArena(self.spill, "shingles.u32")
        farena = SetArena(self.spill, "facts.u32") if self.facts else None
        for p in self._parts:
            arena.append(p)
        for p in self._fparts:
            assert farena is not None  # fact parts only come with facts on
            farena.append(p)
        self._parts, self._fparts = [], []
        self._arenas = (arena, farena)

    @property
    def spilled(self) -> bool:
        return self._arenas is not None

    def result(
        self,
    ) -> tuple[ShingleSets, ShingleSets | None] | tuple[SetArena, SetArena | None]:
        """The sets (and facts, None when not asked): in memory, or finished arenas."""
        if self._arenas is not None:
            arena, farena = self._arenas
            return arena.finish(), None if farena is None else farena.finish()
        sets = ShingleSets.concatenate(self._parts)
        facts = ShingleSets.concatenate(self._fparts) if self.facts else None
        return sets, facts
