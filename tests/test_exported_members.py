"""The public namespace is complete (httpx's ``test_exported_members`` pattern).

Implementation lives in private ``_modules``; users import from ``arabic_dedup`` (and the
public submodules ``testing``, ``cli``, ``spark``), so everything they need must be there.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import types
import typing

import pytest

import arabic_dedup
from arabic_dedup import _errors

DUNDERS = {"__version__"}
PUBLIC_SUBMODULES = sorted(
    m.name
    for m in pkgutil.iter_modules(arabic_dedup.__path__)
    if not m.name.startswith("_") and m.name != "__main__"
)


def _defined_in_package(obj: object) -> bool:
    return getattr(obj, "__module__", "").split(".")[0] == "arabic_dedup"


def test_every_name_in_all_exists() -> None:
    assert len(arabic_dedup.__all__) == len(set(arabic_dedup.__all__))
    for name in arabic_dedup.__all__:
        assert hasattr(arabic_dedup, name), name


def test_all_imports_are_exported() -> None:
    public = {
        name
        for name, value in vars(arabic_dedup).items()
        if (not name.startswith("_") or name in DUNDERS) and not isinstance(value, types.ModuleType)
    }
    assert public == set(arabic_dedup.__all__)


def test_exported_objects_come_from_this_package() -> None:
    for name in arabic_dedup.__all__:
        obj = getattr(arabic_dedup, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert _defined_in_package(obj), name


def test_every_documented_exception_is_exported() -> None:
    for name in _errors.__all__:
        assert name in arabic_dedup.__all__, name
        exc = getattr(arabic_dedup, name)
        assert issubclass(exc, arabic_dedup.ArabicDedupError)


@pytest.mark.parametrize("module_name", PUBLIC_SUBMODULES)
def test_public_submodules_export_their_public_names(module_name: str) -> None:
    mod = importlib.import_module(f"arabic_dedup.{module_name}")
    assert hasattr(mod, "__all__"), f"arabic_dedup.{module_name} has no __all__"
    for name in mod.__all__:
        assert hasattr(mod, name), name
    defined_here = {
        name
        for name, value in vars(mod).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and value.__module__ == mod.__name__
    }
    assert defined_here - set(mod.__all__) == set()


def _package_classes_in(hint: object) -> set[type]:
    found: set[type] = set()
    if inspect.isclass(hint) and _defined_in_package(hint):
        found.add(hint)
    for arg in typing.get_args(hint):
        found |= _package_classes_in(arg)
    return found


def _public_callables() -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for name in arabic_dedup.__all__:
        obj = getattr(arabic_dedup, name)
        if inspect.isfunction(obj):
            out.append((name, obj))
        elif inspect.isclass(obj) and _defined_in_package(obj):
            for attr, member in vars(obj).items():
                if attr.startswith("_") and attr != "__init__":
                    continue
                if isinstance(member, property):
                    member = member.fget
                if inspect.isfunction(member):
                    out.append((f"{name}.{attr}", member))
    return out


def test_types_in_public_signatures_are_exported() -> None:
    # A user who gets a value back (or must pass one in) should be able to import its type.
    exported = {id(getattr(arabic_dedup, n)) for n in arabic_dedup.__all__}
    missing: dict[str, str] = {}
    for qualname, fn in _public_callables():
        try:
            hints = typing.get_type_hints(fn)
        except Exception:  # a hint only resolvable under TYPE_CHECKING: nothing to check
            continue
        for hint in hints.values():
            for cls in _package_classes_in(hint):
                if id(cls) not in exported:
                    missing[cls.__qualname__] = qualname
    assert missing == {}
