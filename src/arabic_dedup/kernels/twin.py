"""Serial twins of parallel kernels, for small batches (a single document, a stream's add):
starting the parallel thread pool costs far more than the work there."""

from __future__ import annotations

import types
from typing import Any

from numba import njit


def serial_twin(kernel: Any, name: str) -> Any:
    """A serial ``njit`` build of ``kernel``'s Python function under another name.

    numba's on-disk cache is keyed by the function's qualified name, so two dispatchers built
    from one function would overwrite each other's cache entries (and the parallel one could
    load the serial build).
    """
    fn = kernel.py_func
    twin = types.FunctionType(fn.__code__, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    twin.__qualname__ = name
    return njit(nogil=True, cache=True)(twin)
