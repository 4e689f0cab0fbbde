"""No silent surprises (issue 15): what the installed ``arabic-dedup`` says about inputs that
are legal but probably not what the user meant, and about usage mistakes.

Every test runs the real command on real files.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _corpus import corpus

EXE = Path(sys.executable).parent / "arabic-dedup"
CLI = str(EXE) if EXE.exists() else shutil.which("arabic-dedup")
pytestmark = pytest.mark.skipif(CLI is None, reason="the arabic-dedup command is not installed")
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}
WARN = "arabic-dedup: warning: "


def run(
    *args: str | Path, stdin: bytes | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    assert CLI is not None
    return subprocess.run(
        [CLI, *map(str, args)],
        input=stdin.decode("utf-8") if stdin is not None else None,
        capture_output=True, text=True, encoding="utf-8", env=ENV, timeout=120, cwd=cwd,
    )  # fmt: skip


def jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def report(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return data


def warnings(res: subprocess.CompletedProcess[str]) -> list[str]:
    lines = res.stderr.splitlines()
    assert all(line.startswith(WARN) for line in lines), res.stderr
    return [line.removeprefix(WARN) for line in lines]


# -- 1. the id field -----------------------------------------------------------------------------


def test_an_id_field_no_record_has_is_an_error_naming_the_fields(tmp_path: Path) -> None:
    src = jsonl(tmp_path / "in.jsonl", [{"uid": k, "source": "s", "text": t} for k, t in corpus()])
    out = tmp_path / "out"
    res = run("dedup", src, "--out", out, "--id-field", "uuid")
    assert res.returncode == 2, res.stderr
    assert res.stderr == (
        "arabic-dedup: error: no record has the id field 'uuid' (fields: uid, source, text); "
        "choose the id field with --id-field, or leave it unset to number the records\n"
    )
    assert not out.exists()
    # The default id field may be absent: records are numbered, as documented, silently.
    res = run("dedup", src, "--out", out, "-q")
    assert (res.returncode, res.stderr) == (0, "")
    assert read_jsonl(out / "duplicates.jsonl")[0]["duplicate_of"] == 1
    assert report(out)["input_checks"]["missing_ids"] == {
        "field": "id", "count": 9, "first": [f"{src} line {n}" for n in range(1, 6)],
    }  # fmt: skip


def test_an_id_field_some_records_lack_warns_with_counts(tmp_path: Path) -> None:
    records: list[dict[str, Any]] = [{"uid": k, "text": t} for k, t in corpus()]
    del records[2]["uid"]
    records[5]["uid"] = None
    src = jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out"
    res = run("dedup", src, "--out", out, "--id-field", "uid", "-q")  # warnings survive -q
    assert res.returncode == 0, res.stderr
    assert warnings(res) == [
        "2 of 9 records have no 'uid' field (or it is null): their ids are where they start "
        f"in the input ({src} line 3, {src} line 6)"
    ]
    assert report(out)["input_checks"]["missing_ids"]["count"] == 2
    ids = [r.get("uid") for r in read_jsonl(out / "unique.jsonl")]
    assert ids == ["a0", "a1", "a2", None, "a4"]  # a3 (line 6) is kept, its uid null


# -- 2. empty and whitespace-only texts -----------------------------------------------------------


def test_empty_texts_are_counted_listed_and_never_joined(tmp_path: Path) -> None:
    blanks = ["", " ", "   ", "\n", "\t \u00a0\u3000", " "]
    records = [{"id": k, "text": t} for k, t in corpus()]
    records += [{"id": f"e{i}", "text": t} for i, t in enumerate(blanks)]
    src = jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out"
    res = run("dedup", src, "--out", out)
    assert res.returncode == 0, res.stderr
    assert warnings(res) == [
        "6 of 15 records have an empty or whitespace-only text (ids 'e0', 'e1', 'e2', 'e3', "
        "'e4' and 1 more): each is kept as unique and never joined to another; report.json "
        "lists them under input_checks.empty_texts"
    ]
    rep = report(out)
    assert rep["input_checks"]["empty_texts"] == {"count": 6, "ids": [f"e{i}" for i in range(6)]}
    assert rep["warnings"] == warnings(res)
    # Six identical " "-like texts, yet none is a duplicate of another (or of anything).
    unique = [r["id"] for r in read_jsonl(out / "unique.jsonl")]
    assert [u for u in unique if u.startswith("e")] == [f"e{i}" for i in range(6)]
    assert all(not d["id"].startswith("e") for d in read_jsonl(out / "duplicates.jsonl"))
    assert rep["counts"]["duplicates"] == 4


def test_the_empty_text_list_is_capped_and_the_count_exact(tmp_path: Path) -> None:
    src = jsonl(tmp_path / "in.jsonl", [{"id": i, "text": " "} for i in range(130)])
    out = tmp_path / "out"
    res = run("dedup", src, "--out", out, "-q")
    assert res.returncode == 0, res.stderr
    empty = report(out)["input_checks"]["empty_texts"]
    assert empty["count"] == 130 and empty["ids"] == list(range(100))
    assert "(ids 0, 1, 2, 3, 4 and 125 more)" in res.stderr


def test_texts_with_no_words_are_told_and_never_joined(tmp_path: Path) -> None:
    # Emoji, punctuation and symbols normalise away: such a text has no shingles and joins
    # nothing, not even its identical twin, which a user would otherwise expect to see joined.
    # Two inputs: the ids come from the right records across reading batches.
    first = jsonl(tmp_path / "a.jsonl", [{"id": k, "text": t} for k, t in corpus()])
    wordless = ["\U0001f600\U0001f600 !!!", "\U0001f600\U0001f600 !!!", "... \u060c \u061f", " "]
    second = jsonl(
        tmp_path / "b.jsonl", [{"id": f"w{i}", "text": t} for i, t in enumerate(wordless)]
    )
    out = tmp_path / "out"
    res = run("dedup", first, second, "--out", out)
    assert res.returncode == 0, res.stderr
    rep = report(out)
    assert rep["input_checks"]["wordless_texts"] == {"count": 3, "ids": ["w0", "w1", "w2"]}
    assert rep["input_checks"]["empty_texts"] == {"count": 1, "ids": ["w3"]}  # told once, as empty
    assert (
        "3 of 13 records have a text with no words after normalisation, only emoji, "
        "punctuation or symbols (ids 'w0', 'w1', 'w2'): each is kept as unique and never joined "
        "to another, not even to the same text; report.json lists them under "
        "input_checks.wordless_texts"
    ) in warnings(res)
    unique = {r["id"] for r in read_jsonl(out / "unique.jsonl")}
    assert {"w0", "w1", "w2", "w3"} <= unique
    assert rep["counts"]["duplicates"] == 4  # the corpus's own copies, nothing of b.jsonl


# -- 3. empty inputs and repeated ids ------------------------------------------------------------


def test_empty_inputs_warn_and_exit_0(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")  # blank lines are no records
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "notes.md").write_text("not a .txt file", encoding="utf-8")
    out = tmp_path / "out"
    res = run("dedup", empty, folder, "--out", out, "-q")
    assert res.returncode == 0, res.stderr
    assert warnings(res) == [
        f"{empty}: no records (an empty input)",
        f"{folder}: no .txt files (an empty input)",
        "no records in any input: the outputs are empty",
    ]
    assert report(out)["input_checks"]["empty_inputs"] == [
        {"path": str(empty), "reason": "no records"},
        {"path": str(folder), "reason": "no .txt files"},
    ]
    assert (out / "unique.jsonl").read_bytes() == b""
    # One empty input among good ones: only that one is named.
    good = jsonl(tmp_path / "good.jsonl", [{"id": k, "text": t} for k, t in corpus()])
    res = run("dedup", good, empty, "--out", out, "-q")
    assert res.returncode == 0, res.stderr
    assert warnings(res) == [f"{empty}: no records (an empty input)"]


def test_repeated_ids_warn_with_counts_and_the_first_ids(tmp_path: Path) -> None:
    records = [{"id": k, "text": t} for k, t in corpus()]
    for r, rid in zip(records, ["x", "y", "x", "z", "y", "x", 1, "1", 1], strict=True):
        r["id"] = rid
    src = jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out"
    res = run("dedup", src, "--out", out, "-q")
    assert res.returncode == 0, res.stderr
    # 1 and "1" are different ids (JSON compares them so); "z" and "1" occur once.
    assert warnings(res) == [
        "3 ids occur more than once (7 records; 'x' x3, 'y' x2, 1 x2): duplicate_of cannot "
        "tell those records apart; give every record a unique id"
    ]
    assert report(out)["input_checks"]["repeated_ids"] == {
        "count": 3, "records": 7,
        "ids": [{"id": "x", "records": 3}, {"id": "y", "records": 2}, {"id": 1, "records": 2}],
    }  # fmt: skip


def test_clean_input_has_no_warnings(tmp_path: Path) -> None:
    src = jsonl(tmp_path / "in.jsonl", [{"id": k, "text": t} for k, t in corpus()])
    out = tmp_path / "out"
    res = run("dedup", src, "--out", out)
    assert (res.returncode, res.stderr) == (0, "")
    assert "(3 clusters)" in res.stdout
    assert report(out)["warnings"] == []


# -- 4. usage errors are one line ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["dedpu", "x.jsonl"], "argument COMMAND: invalid choice: 'dedpu' (choose from 'dedup', "
         "'normalize', 'compare', 'warm-up'); did you mean 'dedup'? (see arabic-dedup --help)"),
        (["dedup", "x.jsonl"], "the following arguments are required: -o/--out "
         "(or --dry-run) (see arabic-dedup dedup --help)"),
        (["dedup", "x.jsonl", "-o", "o", "--treshold", "0.5"], "unrecognized arguments: "
         "--treshold 0.5; did you mean --threshold? (see arabic-dedup dedup --help)"),
        (["dedup", "x.jsonl", "-o", "o", "--keep", "lngest"], "argument --keep: invalid choice: "
         "'lngest' (choose from 'first', 'longest', 'earliest', 'latest'); did you mean 'longest'? "
         "(see arabic-dedup dedup --help)"),
        (["compare", "a"], "the following arguments are required: B "
         "(see arabic-dedup compare --help)"),
        (["normalize", "--hamza", "x" * 200], "argument --hamza: invalid choice: '"
         + "x" * 79 + "…' (choose from 'uniform', 'drop', 'keep') "
         "(see arabic-dedup normalize --help)"),
        ([], "the following arguments are required: COMMAND (see arabic-dedup --help)"),
    ],
)  # fmt: skip
def test_usage_errors_are_one_line_with_a_hint(args: list[str], line: str) -> None:
    res = run(*args)
    assert res.returncode == 2
    assert res.stderr == f"arabic-dedup: error: {line}\n"
    assert res.stdout == ""


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_a_jsonl_file_read_as_a_table_says_so_briefly(tmp_path: Path, fmt: str) -> None:
    long_text = corpus()[0][1]  # thousands of characters, commas included
    src = jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": long_text}])
    res = run("dedup", src, "--out", tmp_path / "out", "--format", fmt)
    assert res.returncode == 1
    head = json.dumps({"id": 1, "text": long_text}, ensure_ascii=False)[:19] + "…"
    assert res.stderr == (
        f"arabic-dedup: error: {src} line 1: the header row looks like JSON ({head!r}), not "
        f"{fmt.upper()} column names; for JSON Lines use --format jsonl\n"
    )


def test_many_long_column_names_are_cut(tmp_path: Path) -> None:
    src = tmp_path / "wide.csv"
    names = [f"c{i}" + "w" * 100 for i in range(25)]
    src.write_text(",".join(names) + "\n" + ",".join("v" for _ in names) + "\n", "utf-8")
    res = run("dedup", src, "--out", tmp_path / "out")
    assert res.returncode == 1
    (line,) = res.stderr.splitlines()
    shown = ", ".join(n[:79] + "…" for n in names[:20])
    assert line == (
        f"arabic-dedup: error: {src} line 1: no column 'text' in the header (columns: {shown} "
        "and 5 more); choose the text column with --text-field"
    )


# -- 5. inputs ------------------------------------------------------------------------------------


def test_a_txt_file_given_directly_gets_its_path_as_id_not_a_doubled_one(tmp_path: Path) -> None:
    folder = tmp_path / "txt"
    folder.mkdir()
    texts = dict(corpus())
    (folder / "a0.txt").write_text(texts["a0"], encoding="utf-8")
    single = folder / "2015-07-21_0.txt"
    single.write_text(texts["c0"], encoding="utf-8")
    out = tmp_path / "out"
    res = run("dedup", "txt/2015-07-21_0.txt", "txt/a0.txt", "--out", out, "-q", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    ids = [r["id"] for r in read_jsonl(out / "unique.jsonl")]
    ids += [r["id"] for r in read_jsonl(out / "duplicates.jsonl")]
    assert ids == ["txt/2015-07-21_0.txt", "txt/a0.txt"]
    res = run("dedup", "txt/2015-07-21_0.txt", "--out", out, "-q", cwd=tmp_path)
    assert read_jsonl(out / "unique.jsonl")[0]["id"] == "2015-07-21_0.txt"  # one input: its name


def test_standard_input_format_guessed_and_said_or_given(tmp_path: Path) -> None:
    records = [{"id": k, "text": t} for k, t in corpus()]
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()
    out = tmp_path / "out"
    res = run("dedup", "-", "--out", out, "-q", stdin=data)
    assert res.returncode == 0, res.stderr
    assert res.stderr == (
        "arabic-dedup: reading standard input as jsonl, guessed from its first line; set the "
        "format with --format\n"
    )
    rep = report(out)
    assert rep["inputs"] == [{"path": "<stdin>", "format": "jsonl", "compressed": False,
                              "records": 9, "errors": 0}]  # fmt: skip
    assert rep["counts"]["duplicates"] == 4
    assert (out / "unique.jsonl").read_bytes().splitlines()[0] == data.splitlines()[0]
    # CSV with the format given: nothing guessed, nothing said; bad rows name <stdin>.
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([("id", "text"), *corpus()])
    csv_data = buf.getvalue() + "bad\n"
    res = run("dedup", "-", "--out", out, "--format", "csv", "-q", "--on-error", "skip",
              stdin=csv_data.encode())  # fmt: skip
    assert (res.returncode, res.stderr) == (0, ""), res.stderr
    rep = report(out)
    assert rep["counts"]["duplicates"] == 4 and rep["inputs"][0]["format"] == "csv"
    assert [e["file"] for e in rep["errors"]] == ["<stdin>"]
    res = run("dedup", "-", "--out", out, stdin=b"just words\n")
    assert res.returncode == 2
    assert "cannot tell the format of <stdin> from its first line" in res.stderr
    res = run("dedup", "-", "-", "--out", out, stdin=b"")
    assert (res.returncode, res.stderr) == (
        2, "arabic-dedup: error: standard input (-) can be given only once\n"
    )  # fmt: skip


def test_dry_run_prints_the_report_and_writes_nothing(tmp_path: Path) -> None:
    src = jsonl(tmp_path / "in.jsonl", [{"id": k, "text": t} for k, t in corpus()])
    res = run("dedup", src, "--dry-run")
    assert res.returncode == 0, res.stderr
    dry = json.loads(res.stdout)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]  # nothing written
    out = tmp_path / "out"
    assert run("dedup", src, "--out", out, "-q").returncode == 0
    real = report(out)
    assert dry["counts"] == real["counts"]
    assert dry["counts"]["unique"] == 5 and dry["counts"]["duplicates"] == 4
    # With --out, DIR is checked as a real run would, but not touched.
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    res = run("dedup", src, "--out", out, "--dry-run", "--keep", "longest")
    assert res.returncode == 0 and json.loads(res.stdout)["parameters"]["keep"] == "longest"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.md").write_text("mine", encoding="utf-8")
    res = run("dedup", src, "--out", tmp_path / "mine", "--dry-run")
    assert res.returncode == 2 and "holds files this tool did not write" in res.stderr


def test_source_field_names_each_records_input(tmp_path: Path) -> None:
    items = [{"id": k, "text": t} for k, t in corpus()]
    a = jsonl(tmp_path / "a.jsonl", items[:5])
    b = jsonl(tmp_path / "b.jsonl", items[5:])
    out = tmp_path / "out"
    res = run("dedup", a, b, "--out", out, "--source-field", "input", "-q")
    assert res.returncode == 0, res.stderr
    got = read_jsonl(out / "unique.jsonl") + read_jsonl(out / "duplicates.jsonl")
    where = {r["id"]: r["input"] for r in got}
    assert where == {r["id"]: str(a if i < 5 else b) for i, r in enumerate(items)}
    # The original bytes stay; the field is appended before the closing brace.
    first = (out / "unique.jsonl").read_bytes().splitlines()[0]
    original = json.dumps(items[0], ensure_ascii=False).encode()
    assert first == original[:-1] + b', "input": ' + json.dumps(str(a)).encode() + b"}"
    assert report(out)["parameters"]["source_field"] == "input"
    # A name the records already use would overwrite their data: refused at once.
    res = run("dedup", a, b, "--out", tmp_path / "o2", "--source-field", "text")
    assert res.returncode == 2
    assert res.stderr == (
        f"arabic-dedup: error: {a} line 1: the record already has a field 'text', which "
        "--source-field would overwrite; choose another name for it\n"
    )
    assert not (tmp_path / "o2").exists()


def test_an_empty_standard_input_needs_its_format(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = run("dedup", "-", "--out", out, stdin=b"")
    assert (res.returncode, res.stderr) == (
        2, "arabic-dedup: error: <stdin> is empty: name its format with --format to accept it\n"
    )  # fmt: skip
    res = run("dedup", "-", "--out", out, "--format", "jsonl", "-q", stdin=b"")
    assert res.returncode == 0, res.stderr
    assert warnings(res) == [
        "<stdin>: no records (an empty input)",
        "no records in any input: the outputs are empty",
    ]


def test_gzipped_standard_input_is_unpacked_and_broken_gzip_is_a_data_error(
    tmp_path: Path,
) -> None:
    import gzip

    data = "".join(json.dumps({"id": k, "text": t}, ensure_ascii=False) + "\n" for k, t in corpus())
    out = tmp_path / "out"
    res = run_bytes("dedup", "-", "--out", out, "-q", stdin=gzip.compress(data.encode()))
    assert res.returncode == 0, res.stderr
    assert b"reading standard input as jsonl (gzip)" in res.stderr
    assert report(out)["inputs"][0]["compressed"] is True
    assert report(out)["counts"]["duplicates"] == 4
    res = run_bytes("dedup", "-", "--out", out, stdin=gzip.compress(data.encode())[:-30])
    assert res.returncode == 1
    assert res.stderr.startswith(b"arabic-dedup: error: <stdin>: cannot read the gzip data")


def run_bytes(*args: str | Path, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    assert CLI is not None
    return subprocess.run([CLI, *map(str, args)], input=stdin, capture_output=True, env=ENV,
                          timeout=120)  # fmt: skip
