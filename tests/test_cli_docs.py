"""Every command and every option of ``arabic-dedup`` is documented in docs/cli.md."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest
from _corpus import corpus

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


# -- every example in README.md and docs/*.md runs, and shows what it prints --------------------
#
# Each fenced block is one of:
#   ```python with >>>      a doctest (ELLIPSIS), run in a folder of the files the docs name;
#   ```python without >>>   a script, run in a fresh interpreter with the set-up and the checks
#                           of SCRIPTS below (Spark/Redis blocks run in process under their
#                           markers, on the suite's real session/server);
#   ```sh/```text with `$ ` a session: each command is run by bash, its output must be the lines
#                           shown after it;
#   ```sh without `$ `      commands: each line is run and must exit 0 (or is a synopsis, a
#                           `pip install` of an extra, a `make` target: each checked for what
#                           it claims; NOT_RUN lists, with the reason, the few that cannot run);
#   ```json / ```text       checked by the function in CHECKS;
#   ``` (no language)       a diagram, not code.
# A block none of these rules covers fails the test: new examples cannot go unchecked.

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BIN = Path(sys.executable).parent


@dataclasses.dataclass(frozen=True)
class Block:
    file: str  # relative to the repository
    line: int  # of the opening fence
    lang: str
    text: str

    @property
    def key(self) -> tuple[str, str]:
        """(file, first line that is not blank or an import): how the tables below name it."""
        lines = [ln.strip() for ln in self.text.splitlines() if ln.strip()]
        body = [ln for ln in lines if not re.match(r"(import|from \S+ import) ", ln)]
        return self.file, (body or lines)[0]

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


def doc_blocks() -> list[Block]:
    out = []
    for path in DOC_FILES:
        lines = path.read_text(encoding="utf-8").splitlines()
        start, lang = -1, ""
        for n, line in enumerate(lines, 1):
            if not line.startswith("```"):
                continue
            if start < 0:
                start, lang = n, line[3:].strip()
            else:
                text = "\n".join(lines[start : n - 1]) + "\n"
                out.append(Block(path.relative_to(ROOT).as_posix(), start, lang, text))
                start = -1
        assert start < 0, f"{path}: unclosed code block at line {start}"
    return out


BLOCKS = doc_blocks()


@dataclasses.dataclass(frozen=True)
class Script:
    """How a ```python block without >>> runs: ``setup`` before it, ``after`` (assertions on
    what it made) after it, ``stdout`` what it must print; ``needs`` a real Spark session or
    Redis server, on which it runs in process (the block's own names are bound as shown)."""

    setup: str = ""
    after: str = ""
    stdout: str | None = None
    needs: str | None = None
    replace: tuple[tuple[str, str], ...] = ()


TESTS = str(Path(__file__).resolve().parent)
CORPUS = f"import sys; sys.path.insert(0, {TESTS!r}); from _corpus import corpus\n"

SCRIPTS: dict[tuple[str, str], Script] = {
    ("docs/pipelines.md", 'df = pd.read_parquet("news.parquet").set_index("url")'): Script(
        after="cols = [*df.columns, 'cluster_id', 'keep', 'duplicate_of', 'similarity']\n"
        "assert list(out.columns) == cols, list(out.columns)\n"
        "assert 0 < len(unique) < len(df) and unique['keep'].all()\n"
    ),
    ("docs/pipelines.md", 'ds = load_dataset("json", data_files="news.jsonl", split="train")'):
    Script(after="assert 0 < len(ds) < 9, len(ds)\n"),
    ("docs/pipelines.md", "d = Deduplicator(threshold=0.5)"): Script(
        setup=CORPUS + "iterable_ds = [{'id': k, 'text': t} for k, t in corpus()]\n",
        after="kept = [ex['id'] for ex in stream]\n"
        "assert kept[:2] == ['a0', 'a1'] and 'c0' not in kept, kept\n",
    ),
    ("docs/streaming.md", 'd = ad.Deduplicator(path="news.index")'):
    Script(
        setup=CORPUS + "text = corpus()[0][1]\n",
        after="assert m is None\nassert [x.key for x in d.query(text)] == ['spa-2024-06-11-001']\n"
        "d.close()\n",
    ),
    ("docs/streaming.md", 'path = Path(tempfile.mkdtemp()) / "news.index"'): Script(
        stdout="synchronous must be 'normal' or 'full', got 'off'\n"
    ),
    ("docs/streaming.md", 'def run(feed, path="/var/lib/news/dedup.index"):'): Script(
        after=CORPUS + "published, copies = [], []\n"
        "def publish(item): published.append(item['url'])\n"
        "def link_as_copy(item, original, similarity): copies.append((item['url'], original))\n"
        "class Feed(list):\n    def ack(self, item): pass\n"
        "items = [{'url': k, 'text': t} for k, t in corpus()]\n"
        "run(Feed(items), path='dedup.index')\n"
        "assert published == ['a0', 'a1', 'a2', 'a3', 'a4'], published\n"
        "assert dict(copies) == {'c0': 'a0', 'c1': 'a1', 'c2': 'a0', 'c3': 'a3'}, copies\n"
        "run(Feed(items[:2]), path='dedup.index')  # redelivered: decided as the first time\n"
        "assert published[5:] == ['a0', 'a1'], published\n"
    ),
    ("docs/streaming.md", 'd = ad.Deduplicator(redis_url="redis://dedup-redis:6379/0"'):
    Script(
        setup="import arabic_dedup as ad\n", needs="redis",
        after="assert d.add('x', 'نص قصير للتجربة هنا') is None\nd.close()\n",
        replace=(("redis://dedup-redis:6379/0", "{redis_url}"), ('"news"', '"docs:news"')),
    ),
    ("docs/spark.md", "spark = SparkSession.builder.getOrCreate()"): Script(
        needs="spark",
        # the JVM resolves relative paths against its own working directory, not Python's
        replace=(('"articles.jsonl"', '"{cwd}/articles.jsonl"'),),
        after="assert deduped.count() == 5, deduped.count()\n"
        "assert result.where(~F.col('keep')).count() == 4\n",
    ),
}  # fmt: skip

NOT_RUN: dict[tuple[str, str], str] = {
    ("docs/spark.md", "# a) install it in the cluster's Python environment"):
    "deploys to a YARN cluster (spark-submit, HDFS); tests/test_spark.py runs the same code "
    "on a real local Spark",
}  # fmt: skip
NOT_RUN_LINES = {
    # rewrites src/arabic_dedup/_chardata.py; its --check form, on the next line, runs
    ".venv/bin/python tools/gen_chardata.py",
}


def check_report_example(text: str, cwd: Path) -> None:
    """docs/cli.md's report.json: the same keys, at every level shown, as a real report."""
    res = shell("arabic-dedup dedup news.jsonl --out deduped -q", cwd)
    assert res.returncode == 0, res.stderr
    real = json.loads((cwd / "deduped" / "report.json").read_text(encoding="utf-8"))
    shown = json.loads(text)

    def same_keys(a: Any, b: Any, where: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            keys = set(a) - {"..."}
            assert keys <= set(b), f"{where}: shown keys not in a report: {keys - set(b)}"
            if "..." not in a:
                assert keys == set(b), f"{where}: report keys not shown: {set(b) - keys}"
            for k in keys:
                same_keys(a[k], b[k], f"{where}.{k}")
        elif isinstance(a, list) and a and isinstance(b, list) and b:
            same_keys(a[0], b[0], f"{where}[0]")

    # Timings depend on the stages that ran; the ones shown must be real ones.
    assert set(shown.pop("timings_seconds")) <= set(real.pop("timings_seconds"))
    same_keys(shown, real, "report")


def check_mismatch_message(text: str, cwd: Path) -> None:
    """docs/streaming.md's IndexMismatchError: the message the library raises."""
    import arabic_dedup as ad

    with ad.Deduplicator(path=cwd / "news.index"):
        pass
    with pytest.raises(ad.IndexMismatchError) as err:
        ad.Deduplicator(path=cwd / "news.index", threshold=0.5)
    message = str(err.value).replace(str(cwd / "news.index"), "news.index")
    assert f"IndexMismatchError: {message}" == " ".join(text.split())


CHECKS = {
    ("docs/cli.md", "{"): check_report_example,
    ("docs/streaming.md", "IndexMismatchError: the index at 'news.index' was built"):
    check_mismatch_message,
}  # fmt: skip


def fixtures(where: Path) -> Path:
    """The files the examples name, made from the test corpus (a.txt/b.txt are a syndicated
    pair, so `compare a.txt b.txt` says duplicates)."""
    import gzip

    texts = dict(corpus())
    records = [{"id": k, "text": t, "date": f"2015-07-{i + 10}", "url": f"https://x/{k}"}
               for i, (k, t) in enumerate(corpus())]  # fmt: skip
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    for name in ("news.jsonl", "articles.jsonl"):
        (where / name).write_bytes(body)
    for name in ("news.jsonl.gz", "articles.jsonl.gz", "crawl/a.jsonl.gz", "crawl/b.jsonl.gz"):
        (where / name).parent.mkdir(exist_ok=True)
        (where / name).write_bytes(gzip.compress(body))
    (where / "a.txt").write_text(texts["a0"], encoding="utf-8")
    (where / "b.txt").write_text(texts["c0"], encoding="utf-8")
    for name in ("text.txt", "articles.txt"):
        (where / name).write_text(texts["a1"], encoding="utf-8")
    import pandas as pd

    pd.DataFrame(records).to_parquet(where / "news.parquet")
    return where


def blocks_of(kind: str) -> list[Block]:
    return [b for b in BLOCKS if classify(b) == kind]


T = typing.TypeVar("T")


def entry(table: dict[tuple[str, str], T], b: Block) -> tuple[str, str] | None:
    """The key of ``table`` naming block ``b``: its file, and the start of its first line
    that is not blank or an import."""
    found = [k for k in table if k[0] == b.file and b.key[1].startswith(k[1])]
    assert len(found) <= 1, f"{b}: several entries name it: {found}"
    return found[0] if found else None


def classify(b: Block) -> str:
    if entry(NOT_RUN, b):
        return "not run"
    if entry(CHECKS, b):
        return "check"
    if b.lang == "":
        return "diagram"
    if b.lang == "python":
        return "doctest" if ">>>" in b.text else "script"
    if b.lang in ("sh", "text", "console"):
        if any(ln.startswith("$ ") for ln in b.text.splitlines()):
            return "session"
        if b.lang == "sh":
            return "commands"
    return "unclassified"


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
           "PYTHONIOENCODING": "utf-8", "HF_DATASETS_OFFLINE": "1",
           "HF_HOME": str(cwd / ".hf")}  # fmt: skip
    command = re.sub(r"^\.venv/bin/python\b", sys.executable, command)
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=300)  # fmt: skip


def test_every_example_block_is_classified() -> None:
    assert len(BLOCKS) > 30
    bad = [str(b) for b in BLOCKS if classify(b) == "unclassified"]
    assert bad == [], f"code blocks no rule runs or checks (add one): {bad}"
    for b in blocks_of("diagram"):  # a diagram holds no code that should have run
        assert not re.search(r"^(>>>|\$ |arabic-dedup |import )", b.text, re.M), str(b)
    named = {entry(t, b) for t in (NOT_RUN, CHECKS, SCRIPTS) for b in BLOCKS}
    stale = (set(NOT_RUN) | set(CHECKS) | set(SCRIPTS)) - named
    assert not stale, f"entries for blocks no longer in the docs: {stale}"
    missing = [str(b) for b in blocks_of("script") if entry(SCRIPTS, b) is None]
    assert not missing, f"python blocks without a SCRIPTS entry: {missing}"


@pytest.mark.parametrize("file", sorted({b.file for b in blocks_of("doctest")}), ids=str)
def test_doc_doctests(file: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file's >>> blocks run in order in one namespace, as a reader runs them."""
    import doctest

    monkeypatch.chdir(fixtures(tmp_path))
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    globs: dict[str, Any] = {}
    report: list[str] = []
    attempted = 0
    for block in (b for b in blocks_of("doctest") if b.file == file):
        test = parser.get_doctest(block.text, globs, str(block), block.file, block.line)
        test.globs = globs  # get_doctest copies them; the blocks share one namespace
        result = runner.run(test, out=report.append, clear_globs=False)
        attempted += result.attempted
    assert attempted > 0
    assert runner.failures == 0, "".join(report)


@pytest.mark.parametrize("block", blocks_of("session"), ids=str)
def test_doc_session(block: Block, tmp_path: Path) -> None:
    cwd = fixtures(tmp_path)
    steps: list[tuple[str, list[str]]] = []
    lines = block.text.splitlines()
    while lines:
        line = lines.pop(0)
        if line.startswith("$ "):
            command = [line[2:]]
            if m := re.search(r"<<'(\w+)'", line):  # a here-document runs to its terminator
                while lines and command[-1] != m.group(1):
                    command.append(lines.pop(0))
            steps.append(("\n".join(command), []))
        elif steps:
            steps[-1][1].append(line)
    assert steps
    for command, shown in steps:
        res = shell("{ " + command + "\n} 2>&1", cwd)
        assert res.stdout.splitlines() == shown, f"{block}: $ {command}"


def _check_command(line: str, cwd: Path, block: Block) -> None:
    if m := re.fullmatch(r"pip install '([\w-]+)\[(\w+)\]'.*", line):
        import tomllib

        project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        assert m.group(1) == project["name"] and m.group(2) in project["optional-dependencies"]
    elif m := re.fullmatch(r"make (\w+)\b.*", line):
        makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
        assert re.search(rf"^{m.group(1)}:", makefile, re.M), line
    elif re.search(r"\b[A-Z]{2,}\b(\.\.\.)?|\[options\]|\[FILE", line):  # a synopsis
        sub = line.split()[1]
        assert shell(f"arabic-dedup {sub} --help", cwd).returncode == 0, line
    else:
        res = shell(line, ROOT if " tools/" in line else cwd)
        assert res.returncode == 0, f"{block}: {line}\n{res.stderr}"


@pytest.mark.parametrize("block", blocks_of("commands"), ids=str)
def test_doc_commands(block: Block, tmp_path: Path) -> None:
    cwd = fixtures(tmp_path)
    text = block.text.replace("\\\n", " ")
    lines = [re.sub(r"\s+#.*$", "", ln).strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    assert lines
    for line in lines:
        if line in NOT_RUN_LINES:
            continue
        _check_command(line, cwd, block)


@pytest.mark.parametrize("block", blocks_of("not run"), ids=str)
def test_doc_not_run(block: Block) -> None:
    """A block that cannot run here (it deploys to a cluster) is still valid shell, its
    `pip install` extras exist, and the reason it is not run is written down."""
    key = entry(NOT_RUN, block)
    assert key is not None and NOT_RUN[key]
    syntax = subprocess.run(["bash", "-n"], input=block.text, capture_output=True, text=True)
    assert syntax.returncode == 0, f"{block}: {syntax.stderr}"
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for name, extra in re.findall(r"pip install '([\w-]+)\[(\w+)\]'", block.text):
        assert name == project["name"] and extra in project["optional-dependencies"], block


@pytest.mark.parametrize("block", blocks_of("script"), ids=str)
def test_doc_script(block: Block, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    key = entry(SCRIPTS, block)
    assert key is not None, f"{block}: no SCRIPTS entry"
    spec = SCRIPTS[key]
    cwd = fixtures(tmp_path)
    code = block.text
    if spec.needs:
        fixture = "redis_url" if spec.needs == "redis" else spec.needs
        values = {fixture: request.getfixturevalue(fixture), "cwd": cwd}
        for old, new in spec.replace:
            code = code.replace(old, new.format(**values))
        old_cwd = os.getcwd()
        os.chdir(cwd)
        try:
            namespace: dict[str, Any] = {}
            exec(compile(spec.setup + code + spec.after, str(block), "exec"), namespace)
        finally:
            os.chdir(old_cwd)
        return
    res = subprocess.run(
        [sys.executable, "-"], input=spec.setup + code + spec.after, cwd=cwd, capture_output=True,
        text=True, encoding="utf-8", timeout=300,
        env={**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(cwd / ".hf")},
    )  # fmt: skip
    assert res.returncode == 0, f"{block}:\n{res.stderr}"
    if spec.stdout is not None:
        assert res.stdout == spec.stdout


@pytest.mark.parametrize("block", blocks_of("check"), ids=str)
def test_doc_checked_block(block: Block, tmp_path: Path) -> None:
    key = entry(CHECKS, block)
    assert key is not None
    CHECKS[key](block.text, fixtures(tmp_path))
