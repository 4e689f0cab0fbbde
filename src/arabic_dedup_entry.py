"""The ``arabic-dedup`` console script's first step, outside the package on purpose.

Importing ``arabic_dedup`` loads numpy and the compiled kernels, a fifth of a second in which
Ctrl-C would print Python's traceback: the package's own signal handling is not there yet. This
module imports nothing of the package until :func:`entry` runs, so the interruption is caught
here and told as the command tells any other: one line, exit code 130.
"""

from __future__ import annotations

import sys

__all__ = ["EXIT_INTERRUPTED", "PROG", "entry", "error_line", "stopped"]

# The command's name, and how it ends when a signal stops it: here, or in ``arabic_dedup.cli``
# (which imports them from here).
PROG = "arabic-dedup"
EXIT_INTERRUPTED = 130


def error_line(message: str) -> str:
    """How the command states an error on stderr: ``arabic-dedup: error: <message>``."""
    return f"{PROG}: error: {message}"


def stopped(what: str) -> str:
    """The message of a run a signal stopped (``what``: interrupted, terminated)."""
    return f"{what}; no output was written"


def entry() -> int:
    """Import the CLI, then run it as the process's whole life (``arabic_dedup.cli.entry``)."""
    try:
        from arabic_dedup.cli import entry as run
    except KeyboardInterrupt:
        print(error_line(stopped("interrupted")), file=sys.stderr)
        return EXIT_INTERRUPTED
    return run()
