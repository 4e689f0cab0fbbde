#!/usr/bin/env python3
"""Regenerate the detector-options table in docs/cli.md from DedupConfig's field docs.

.venv/bin/python tools/gen_cli_docs.py          # rewrite the block
.venv/bin/python tools/gen_cli_docs.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from arabic_dedup.cli import dedup_options_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
BLOCK = re.compile(
    r"(<!-- detector-options: [^\n]*-->\n)(.*?)(<!-- /detector-options -->)", re.DOTALL
)


def render(text: str) -> str:
    if not BLOCK.search(text):
        raise SystemExit(f"{DOC}: no <!-- detector-options --> block")
    return BLOCK.sub(lambda m: m.group(1) + dedup_options_table() + m.group(3), text)


def main() -> int:
    text = DOC.read_text(encoding="utf-8")
    new = render(text)
    if "--check" in sys.argv[1:]:
        return 0 if new == text else 1
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
