"""Every command and every option of ``arabic-dedup`` is documented in docs/cli.md."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from arabic_dedup.cli import build_parser

DOC = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return [s for action in parser._actions for s in action.option_strings]


PARSER = build_parser()
COMMANDS = _subcommands(PARSER)
CASES = [(None, opt) for opt in _options(PARSER)] + [
    (name, opt) for name, sub in COMMANDS.items() for opt in _options(sub)
]


def test_the_parser_has_the_commands_we_document() -> None:
    assert set(COMMANDS) == {"dedup", "normalize", "compare", "warm-up"}
    assert len(CASES) > 60  # the generated normaliser flags are in there


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_a_section(command: str) -> None:
    assert f"## `arabic-dedup {command}`" in DOC


@pytest.mark.parametrize(("command", "option"), CASES)
def test_every_option_is_documented(command: str | None, option: str) -> None:
    # `--k` must not be satisfied by `--keep`: the option must end where a word ends.
    assert re.search(rf"`{re.escape(option)}[` ]", DOC), f"{command or 'global'}: {option}"


def test_detector_options_table_is_generated_from_the_config() -> None:
    # docs/cli.md carries the table the code generates from DedupConfig's field docs
    # (tools/gen_cli_docs.py rewrites it): a changed default or help cannot drift.
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "gen_cli_docs", Path(__file__).resolve().parents[1] / "tools" / "gen_cli_docs.py"
    )
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.render(DOC) == DOC, "docs/cli.md is stale: run tools/gen_cli_docs.py"
    assert "(2 words, 5 characters)" in DOC  # the shingle default, as the code has it
