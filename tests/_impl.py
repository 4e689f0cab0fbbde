"""Run a call on a chosen engine (see ``arabic_dedup._engine``): ``None`` = the default
choice, ``"reference"`` = the plain path, ``"fast"`` = the compiled kernels."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from arabic_dedup._engine import ENV

T = TypeVar("T")


def with_impl(value: str | None, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with pytest.MonkeyPatch.context() as mp:
        if value is None:
            mp.delenv(ENV, raising=False)
        else:
            mp.setenv(ENV, value)
        return fn(*args, **kwargs)
