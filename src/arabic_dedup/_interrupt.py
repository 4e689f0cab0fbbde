"""Signals turned into an error at safe points, never inside compiled code.

Python's default SIGINT handler raises ``KeyboardInterrupt`` wherever the main thread happens
to be; inside a numba kernel call that left the dispatcher with an exception set
(``SystemError: CPUDispatcher(...) returned a result with an exception set``) and, under load,
crashed the process. :func:`recording_signals` (installed by the CLI for a run) replaces the
handlers with ones that only record the signal; :func:`check`, called between record batches
and kernel batches, raises :class:`RunInterrupted` there. Without the handlers (the library
used on its own) ``check()`` costs one global read.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from ._errors import RunInterrupted

__all__ = ["check", "recording_signals"]

_received: int | None = None


def check() -> None:
    """Raise :class:`RunInterrupted` if a recorded signal arrived since the run started."""
    if _received is not None:
        raise RunInterrupted(_received)


def _record(signum: int, frame: FrameType | None) -> None:
    global _received
    _received = signum


@contextmanager
def recording_signals(*signums: signal.Signals, ignore_after: bool = False) -> Iterator[None]:
    """Within the block, ``signums`` are recorded for :func:`check` instead of acting at once.

    Only the main thread can install handlers (Python's rule); elsewhere the block runs with
    the handlers unchanged. The previous handlers come back on exit, and a signal still
    pending is forgotten. ``ignore_after``: when the block ends without an exception, the
    signals are ignored from then on instead (the process ends with the block: a run whose
    output is in place must not be killed during the interpreter's shutdown).
    """
    global _received
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received = None
    previous = {s: signal.signal(s, _record) for s in signums}
    done = False
    try:
        yield
        done = True
    finally:
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_IGN if done and ignore_after else handler)
        _received = None
