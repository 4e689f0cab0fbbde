"""The one place that chooses the engine: compiled kernels or the plain reference path.

Every stage that has a compiled kernel asks :func:`kernels` and, when it answers None, runs its
reference code (plain numpy/Python, easy to read and held equal to the kernel by property
tests), as RapidFuzz's ``fuzz.py`` picks its backend.

``ARABIC_DEDUP_IMPL`` is read at every call:

* ``auto`` (or unset): the kernels when numba is installed, else the reference path, silently
  — numba is the only thing whose absence may go unnoticed;
* ``fast``: the kernels, and an error when numba is missing;
* ``reference``: the reference path everywhere (the normaliser's per-call NumPy pass too).

If numba is installed but the kernels fail to import, that is a defect, never a reason to fall
back: :func:`kernels` raises :class:`~arabic_dedup.KernelError`, so a fast == reference test
can never end up comparing the reference with itself.
"""

from __future__ import annotations

import importlib.util
import os
from types import ModuleType
from typing import Literal

from ._errors import ConfigError, KernelError

__all__ = ["ENV", "SETTINGS", "Setting", "impl", "kernels", "setting", "use_threads"]

ENV = "ARABIC_DEDUP_IMPL"
Setting = Literal["auto", "fast", "reference"]
SETTINGS: tuple[Setting, ...] = ("auto", "fast", "reference")

_loaded: list[ModuleType | None] = []  # memo of the import; empty until the first call


def setting() -> Setting:
    """The validated value of ``ARABIC_DEDUP_IMPL`` ("auto" when unset or empty)."""
    value = os.environ.get(ENV, "auto").strip().lower() or "auto"
    for s in SETTINGS:
        if value == s:
            return s
    raise ConfigError(
        f"{ENV} must be one of {', '.join(SETTINGS)}; got {value!r}. "
        "Unset it to let arabic_dedup choose."
    )


def _load() -> ModuleType | None:
    if not _loaded:
        if importlib.util.find_spec("numba") is None:
            _loaded.append(None)
        else:
            try:
                from . import kernels as k
            except Exception as exc:  # numba is there, so this is a bug: say so loudly
                raise KernelError(
                    f"numba is installed but the compiled kernels failed to import ({exc!r}); "
                    f"set {ENV}=reference to run without them, and report this"
                ) from exc
            _loaded.append(k)
    return _loaded[0]


def kernels() -> ModuleType | None:
    """The kernels package, or None when this process runs the reference path."""
    s = setting()
    if s == "reference":
        return None
    k = _load()
    if k is None and s == "fast":
        raise ConfigError(
            f"{ENV}=fast needs numba, which is not installed: pip install numba, or set {ENV}=auto"
        )
    return k


def impl() -> Literal["fast", "reference"]:
    """``"fast"`` or ``"reference"``: which path this process uses right now."""
    return "reference" if kernels() is None else "fast"


def use_threads(n: int) -> None:
    """Run this thread's compiled kernels on at most ``n`` threads (no-op on the reference
    path). A Spark task owns ``spark.task.cpus`` cores while the executor runs other tasks on
    the rest: kernels sized for the whole machine would oversubscribe it (on ``local[2]`` two
    tasks of two threads each ran the shingle kernel at half the speed of one thread each)."""
    if kernels() is None:
        return
    import numba

    cores: int = numba.config.NUMBA_NUM_THREADS  # type: ignore[attr-defined]
    numba.set_num_threads(max(1, min(int(n), cores)))
