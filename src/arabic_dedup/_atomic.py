"""The output directory: checked before anything is read, replaced in one step at the end.

Everything is written into a hidden sibling ``.DIR.tmp-*`` (same file system), which then
takes ``DIR``'s place. On Linux the swap is one ``renameat2(RENAME_EXCHANGE)`` call, so at
every instant ``DIR`` is either the old output or the new one, even if the process is killed;
the old output, now in the temporary directory, is deleted afterwards. Where the call is
missing (other systems, old kernels, file systems without it) the old output is first renamed
to ``.DIR.old-*/DIR`` and the new one renamed into place: a kill between the two renames
leaves ``DIR`` missing and the old output in ``.DIR.old-*/``.

A symlink ``DIR`` is followed: the directory it points to is replaced, the link stays.
"""

from __future__ import annotations

import ctypes
import errno
import os
import secrets
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ._errors import OutputDirError
from .formats import RECORD_FILES

__all__ = [
    "CLUSTERS_FILE",
    "HTML_FILE",
    "OUTPUT_FILES",
    "STATS_FILE",
    "check_out_dir",
    "exchange",
    "prepare_output",
    "temporary_output",
]

# What dedup learned about the corpus (boilerplate), for ``compare --stats`` (with max_df).
STATS_FILE = "corpus_stats.npz"
CLUSTERS_FILE = "clusters.jsonl"  # one line per cluster (written by ._clusters_out)
# The review page (``_report_html``); ``dedup --no-html`` leaves it out.
HTML_FILE = "report.html"
#: Every file an output directory may hold (the record outputs in each output format).
OUTPUT_FILES = (
    *RECORD_FILES,
    CLUSTERS_FILE,
    "report.json",
    STATS_FILE,
    HTML_FILE,
)
_AT_FDCWD = -100
_RENAME_EXCHANGE = 1 << 1


def prepare_output(out_dir: str | os.PathLike[str], inputs: Sequence[Path]) -> Path:
    """The real directory to replace for ``out_dir``, after every check that needs no reading:
    not the current directory or one of its parents, no input inside it, no foreign files."""
    given = Path(out_dir)
    out = Path(os.path.realpath(given))  # follows a symlink: its target is replaced
    cwd = Path(os.path.realpath(os.getcwd()))
    if out == cwd or out in cwd.parents:
        raise OutputDirError(
            f"output {str(given)!r} is the current directory or one of its parents, which "
            "would be replaced; name a new directory, e.g. --out deduped"
        )
    for p in inputs:
        real = Path(os.path.realpath(p))
        if real == out or out in real.parents:
            raise OutputDirError(
                f"input {str(p)!r} is inside the output directory {str(given)!r}, which the "
                "run replaces; write the output to another directory"
            )
    check_out_dir(out)
    return out


def check_out_dir(out: Path) -> None:
    if not out.exists():
        return
    if not out.is_dir():
        raise OutputDirError(f"output {str(out)!r} exists and is not a directory")
    foreign = sorted(p.name for p in out.iterdir() if p.name not in OUTPUT_FILES)
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise OutputDirError(
            f"output directory {str(out)!r} holds files this tool did not write ({shown}); "
            "it would be replaced, so choose a new or empty directory"
        )


@contextmanager
def temporary_output(out: Path, *, use_exchange: bool = True) -> Iterator[Path]:
    """A new temporary directory that replaces ``out`` when the block succeeds and is
    deleted when it fails (any exception, an interruption included)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = _make_temp_dir(out, "tmp")
    try:
        yield tmp
        _swap_in(tmp, out, use_exchange=use_exchange)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _make_temp_dir(out: Path, kind: str) -> Path:
    """A new hidden sibling of ``out`` (same file system, so renames are atomic); unlike
    ``mkdtemp`` it gets the usual permissions (umask), which the output directory keeps."""
    for _ in range(100):
        path = out.parent / f".{out.name}.{kind}-{secrets.token_hex(4)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"cannot create a temporary directory next to {str(out)!r}")


def exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step; False where the system cannot (then nothing moved)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # no libc symbol (glibc < 2.28, musl < 1.2.?)
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]  # fmt: skip
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):  # kernel or file system lacks it
        return False
    raise OSError(err, f"cannot swap {str(a)!r} and {str(b)!r}: {os.strerror(err)}")


def _swap_in(tmp: Path, out: Path, *, use_exchange: bool) -> None:
    """Replace ``out`` by ``tmp``; ``out`` is either the old output or the new, never a mix."""
    check_out_dir(out)  # again: something may have appeared while we worked
    if not out.exists():
        os.replace(tmp, out)
        return
    if use_exchange and exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old output
        return
    old = _make_temp_dir(out, "old")
    os.replace(out, old / out.name)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old / out.name, out)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)
