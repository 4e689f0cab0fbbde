"""The ``arabic-dedup`` flags generated from the config dataclasses.

Each NormalizerConfig and DedupConfig field becomes one flag: its name, type, choices, default
and help (the field's docstring) come from the code, so ``--help``, ``docs/cli.md`` (whose
option table :func:`dedup_options_table` writes) and the library cannot drift apart. The CLI
builds its parsers with :func:`add_normalizer_options` and :func:`add_dedup_options` and turns
the parsed flags back into configs with :func:`dedup_config`.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import itertools
import textwrap
import typing
from collections.abc import Sequence
from typing import Any

from ._config import DOC_VALUES, DedupConfig
from ._normalize import NormalizerConfig

__all__ = [
    "DedupOption",
    "add_dedup_options",
    "add_normalizer_options",
    "dedup_config",
    "dedup_given",
    "dedup_options",
    "dedup_options_table",
    "normalizer",
    "normalizer_given",
]


def _field_docs(cls: type) -> dict[str, str]:
    """The attribute docstrings of a dataclass's fields (the string after each field)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):  # no source (frozen app): help without docs
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs = {}
    for a, b in itertools.pairwise(body):
        if (
            isinstance(a, ast.AnnAssign)
            and isinstance(a.target, ast.Name)
            and isinstance(b, ast.Expr)
            and isinstance(b.value, ast.Constant)
            and isinstance(b.value.value, str)
        ):
            docs[a.target.id] = " ".join(b.value.value.split())
    return docs


def add_normalizer_options(parser: argparse.ArgumentParser) -> None:
    """One flag per NormalizerConfig field: ``--digits/--no-digits``, ``--hamza MODE``, ..."""
    group = parser.add_argument_group(
        "normaliser options", "Each flag switches one normaliser step (NormalizerConfig field)."
    )
    hints = typing.get_type_hints(NormalizerConfig)
    docs = _field_docs(NormalizerConfig)
    for f in dataclasses.fields(NormalizerConfig):
        flag = "--" + f.name.replace("_", "-")
        doc = docs.get(f.name, "").replace("%", "%%")
        if hints[f.name] is bool:
            group.add_argument(
                flag,
                action=argparse.BooleanOptionalAction,
                default=None,
                dest=f"norm_{f.name}",
                help=f"{doc} (default: {'on' if f.default else 'off'})",
            )
        else:
            choices = typing.get_args(hints[f.name])
            group.add_argument(
                flag,
                choices=choices,
                default=None,
                dest=f"norm_{f.name}",
                help=f"{doc} (default: {f.default})",
            )


def normalizer_given(args: argparse.Namespace) -> dict[str, Any]:
    """The normaliser flags given on the command line."""
    return {
        f.name: getattr(args, f"norm_{f.name}")
        for f in dataclasses.fields(NormalizerConfig)
        if getattr(args, f"norm_{f.name}") is not None
    }


def normalizer(args: argparse.Namespace) -> NormalizerConfig:
    return NormalizerConfig(**normalizer_given(args))


# The detector flags are generated from DedupConfig's fields: name, type, choices, default and
# help (the field's docstring) come from the code, so help and docs cannot drift from it.
_NOT_FLAGS = ("normalizer",)  # it has its own generated group
_METAVARS = {"threshold": "T", "num_perm": "N", "seed": "S", "k": "K", "bands": "B", "rows": "R"}
_METAVARS |= {"lsh_threshold": "J", "max_df": "N", "boilerplate_rescue": "R"}


@dataclasses.dataclass(frozen=True)
class DedupOption:
    """One generated ``arabic-dedup`` flag for a DedupConfig field."""

    field: str
    flag: str
    type: Any
    choices: tuple[str, ...] | None
    metavar: str | None
    help: str

    @property
    def usage(self) -> str:
        """The flag as docs/cli.md shows it: ``--k K``, ``--similarity {jaccard,containment}``."""
        arg = "{" + ",".join(self.choices) + "}" if self.choices else self.metavar
        return f"{self.flag} {arg}"


def dedup_options() -> list[DedupOption]:
    """Every detector flag, in DedupConfig's field order."""
    hints = typing.get_type_hints(DedupConfig)
    docs = _field_docs(DedupConfig)
    out = []
    for f in dataclasses.fields(DedupConfig):
        if f.name in _NOT_FLAGS:
            continue
        doc = docs.get(f.name, "").format(**DOC_VALUES)
        if f.default is not None:
            doc = doc.removesuffix(".") + f" (default: {f.default})."
        args = [a for a in typing.get_args(hints[f.name]) if a is not type(None)]
        choices: tuple[str, ...] | None = None
        typ: Any = hints[f.name]
        if f.name == "max_df":
            typ = _max_df
        elif typing.get_origin(typ) is typing.Literal:
            choices, typ = typing.get_args(typ), str
        elif args:  # Optional[X]
            typ = args[0]
        out.append(
            DedupOption(
                f.name,
                "--" + f.name.replace("_", "-"),
                typ,
                choices,
                None if choices else _METAVARS.get(f.name, f.name.upper()),
                doc,
            )
        )
    return out


def dedup_options_table() -> str:
    """The Markdown table of the detector flags that docs/cli.md carries (regenerated by
    ``tools/gen_cli_docs.py``; a test checks the two are equal)."""
    rows = [f"| `{o.usage}` | {o.help} |" for o in dedup_options()]
    return "\n".join(["| option | meaning |", "|--------|---------|", *rows]) + "\n"


def add_dedup_options(parser: argparse.ArgumentParser, names: Sequence[str] | None = None) -> None:
    group = parser.add_argument_group("detector options (DedupConfig fields)")
    for opt in dedup_options():
        if names is not None and opt.field not in names:
            continue
        group.add_argument(
            opt.flag,
            dest=f"cfg_{opt.field}",
            metavar=opt.metavar,
            type=opt.type,
            choices=opt.choices,
            default=None,
            help=opt.help.replace("%", "%%"),
        )


def _max_df(value: str) -> float | str:
    if value.lower() in ("auto", "none"):
        return value.lower()
    try:
        return float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number, 'auto' or 'none', got {value!r}"
        ) from None


def dedup_given(args: argparse.Namespace) -> dict[str, Any]:
    """The detector flags given on the command line, as DedupConfig fields."""
    given = {
        opt.field: getattr(args, f"cfg_{opt.field}")
        for opt in dedup_options()
        if getattr(args, f"cfg_{opt.field}", None) is not None
    }
    if given.get("max_df") == "none":
        given["max_df"] = None
    return given


def dedup_config(args: argparse.Namespace) -> DedupConfig:
    return DedupConfig(normalizer=normalizer(args), **dedup_given(args))
