"""Every docstring example in ``src/arabic_dedup`` runs and prints what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import arabic_dedup

# __main__ runs the CLI when imported; it has no examples of its own.
MODULES = [
    "arabic_dedup",
    *sorted(
        f"arabic_dedup.{m.name}"
        for m in pkgutil.iter_modules(arabic_dedup.__path__)
        if m.name != "__main__"
    ),
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as error:
        # Only a missing optional extra is a reason to skip; a broken import of our own is not.
        if (error.name or "").split(".")[0] == "arabic_dedup":
            raise
        pytest.skip(f"{name} needs an optional dependency: {error}")
    result = doctest.testmod(module, verbose=False, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_the_package_has_examples() -> None:
    # If discovery silently found nothing, every test above would pass vacuously.
    finder = doctest.DocTestFinder()
    examples = sum(
        len(t.examples)
        for name in ("arabic_dedup._shingle", "arabic_dedup._dedup", "arabic_dedup._verify")
        for t in finder.find(importlib.import_module(name))
    )
    assert examples >= 10
