"""Running the installed ``arabic-dedup`` command in tests, and reading what it wrote."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

EXE = Path(sys.executable).parent / "arabic-dedup"
CLI = str(EXE) if EXE.exists() else shutil.which("arabic-dedup")


def run(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    assert CLI is not None
    return subprocess.run(
        [CLI, *map(str, args)],
        input=stdin.decode("utf-8", "surrogateescape") if stdin is not None else None,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def report(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    c = data["counts"]
    assert c["unique"] + c["duplicates"] + c["errors"] == c["records_read"]
    return data
