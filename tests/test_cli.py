"""The installed ``arabic-dedup`` command, run as a subprocess on real files."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _cli import CLI, read_jsonl, report, run
from _corpus import corpus

SEEDS = Path(__file__).resolve().parents[1] / "seeds"

pytestmark = pytest.mark.skipif(CLI is None, reason="the arabic-dedup command is not installed")

# What the default settings must find in corpus(): copy -> the article it was made from.
TRUTH = {
    "a0": None, "a1": None, "a2": None, "a3": None, "a4": None,
    "c0": "a0", "c1": "a1", "c2": "a0", "c3": "a3",
}  # fmt: skip


def outcome(out: Path) -> dict[Any, Any]:
    got: dict[Any, Any] = {r["id"]: None for r in read_jsonl(out / "unique.jsonl")}
    for r in read_jsonl(out / "duplicates.jsonl"):
        assert r["id"] not in got
        got[r["id"]] = r["duplicate_of"]
    return got


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


# -- dedup ----------------------------------------------------------------------------------------


def test_gzip_jsonl_exact_outputs(tmp_path: Path) -> None:
    records = [{"id": i, "source": "s", "text": t} for i, t in corpus()]
    src = tmp_path / "news.jsonl.gz"
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    with gzip.open(src, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    out = tmp_path / "out"
    res = run("dedup", src, "--out", out)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""  # no progress bar when stderr is not a terminal
    assert "9 records read" in res.stdout and "unique" in res.stdout
    assert outcome(out) == TRUTH
    # Kept records are the original lines, byte for byte, in input order.
    kept = [line for line, r in zip(lines, records, strict=True) if TRUTH[r["id"]] is None]
    assert (out / "unique.jsonl").read_text(encoding="utf-8") == "\n".join(kept) + "\n"
    for dup in read_jsonl(out / "duplicates.jsonl"):
        original = next(r for r in records if r["id"] == dup["id"])
        assert list(dup) == [*original, "duplicate_of", "similarity"]
        assert {k: dup[k] for k in original} == original
        assert 0.5 <= dup["similarity"] <= 1.0
    rep = report(out)
    assert rep["counts"] == {
        "records_read": 9, "unique": 5, "duplicates": 4, "errors": 0, "clusters": 3,
        "largest_cluster": 3,
        "duplicates_by_kind": {"exact": 1, "near": 3, "boilerplate": 0, "update": 0},
        "verified_pairs": rep["counts"]["verified_pairs"],
    }  # fmt: skip
    assert rep["versions"]["normalizer"] and rep["versions"]["arabic_dedup"]
    assert rep["parameters"]["dedup"]["similarity"] == "jaccard"
    assert rep["parameters"]["dedup"]["normalizer_version"] == rep["versions"]["normalizer"]
    assert {"read_and_shingle", "signatures", "verify", "write", "total"} <= set(
        rep["timings_seconds"]
    )
    assert rep["errors"] == []
    assert leftovers(tmp_path) == []


def test_csv_multiline_fields_ids_are_line_numbers_and_bad_rows_skipped(tmp_path: Path) -> None:
    src = tmp_path / "news.csv"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["outlet", "text"])
    starts: dict[str, int] = {}
    for name, text in corpus():
        starts[name] = buf.getvalue().count("\n") + 1
        w.writerow([f"outlet-{name}", text])  # texts hold line breaks: quoted multi-line fields
    bad_line = buf.getvalue().count("\n") + 1
    buf.write("only-one-field\n")
    src.write_text(buf.getvalue(), encoding="utf-8")

    out = tmp_path / "out"
    res = run("dedup", src, "-o", out, "--on-error", "skip", "--quiet", "--output-format", "jsonl")
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""
    # No id column: duplicate_of is the line where the kept record starts in the input.
    by_line = {v: k for k, v in starts.items()}
    got = {r["outlet"][7:]: None for r in read_jsonl(out / "unique.jsonl")}
    got |= {
        r["outlet"][7:]: by_line[r["duplicate_of"]] for r in read_jsonl(out / "duplicates.jsonl")
    }
    assert got == TRUTH
    first = read_jsonl(out / "unique.jsonl")[0]
    assert first == {"outlet": "outlet-a0", "text": corpus()[0][1]}
    rep = report(out)
    assert rep["errors"] == [
        {"file": str(src), "line": bad_line, "reason": "row has 1 fields, the header has 2 "
         "(no text column)"}
    ]  # fmt: skip
    assert rep["counts"]["records_read"] == 10


def test_folder_of_txt_files_and_invalid_utf8(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from arabic_dedup.cli import main

    folder = tmp_path / "texts"
    folder.mkdir()
    for name, text in corpus():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    (folder / "zz_bad.txt").write_bytes("سطر أول\nسطر ثان ".encode() + b"\xff\xfe\n")
    (folder / "ignored.md").write_text("not a .txt file")
    out = tmp_path / "out"

    # In process, to save a start-up: the exit code and message are main()'s.
    assert main(["dedup", str(folder), "--out", str(out)]) == 1
    assert f"{folder / 'zz_bad.txt'} line 2: invalid UTF-8" in capsys.readouterr().err
    assert not out.exists() and leftovers(tmp_path) == []

    res = run("dedup", folder, "--out", out, "--on-error", "skip")
    assert res.returncode == 0, res.stderr
    assert outcome(out) == {f"{k}.txt": v and f"{v}.txt" for k, v in TRUTH.items()}
    assert read_jsonl(out / "unique.jsonl")[0] == {"id": "a0.txt", "text": corpus()[0][1]}
    rep = report(out)
    assert rep["errors"] == [
        {"file": str(folder / "zz_bad.txt"), "line": 2, "reason": "invalid UTF-8"}
    ]
    assert "errors               1" in res.stdout


def test_parquet(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    records = [{"id": k, "n": i, "text": t} for i, (k, t) in enumerate(corpus())]
    records.insert(3, {"id": "nul", "n": 99, "text": None})
    src = tmp_path / "news.parquet"
    pq.write_table(pa.Table.from_pylist(records), src)
    out = tmp_path / "out"
    res = run("dedup", src, "--out", out, "--on-error", "skip", "--keep", "longest",
              "--output-format", "jsonl")  # fmt: skip
    assert res.returncode == 0, res.stderr
    got = outcome(out)
    assert set(got) == set(TRUTH)
    # --keep longest: the copy with a prefix outlives its shorter original.
    assert got["a0"] == "c0" and got["c0"] is None and got["c2"] == "c0"
    assert read_jsonl(out / "unique.jsonl")[0] == records[2]  # c0, fields unchanged
    rep = report(out)
    assert rep["errors"] == [
        {"file": str(src), "line": 4, "reason": "column 'text' is null, not a string"}
    ]
    assert rep["parameters"]["keep"] == "longest"


def bad_jsonl(path: Path) -> dict[int, str]:
    """A JSONL file with one bad record of each kind; returns line -> expected reason."""
    good = [json.dumps({"id": k, "text": t}, ensure_ascii=False) for k, t in corpus()]
    bad = {
        2: (b"{not json", "malformed JSON"),
        4: (b'["an", "array"]', "expected a JSON object, got an array"),
        6: (b'{"id": "m", "body": "x"}', "no 'text' field"),
        8: (b'{"id": "n", "text": 42}', "field 'text' is a number, not a string"),
        10: ('{"id": "u", "text": "سطر '.encode() + b'\xff"}', "invalid UTF-8"),
    }
    lines: list[bytes] = []
    g = iter(good)
    for n in range(1, len(good) + len(bad) + 1):
        lines.append(bad[n][0] if n in bad else next(g).encode("utf-8"))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return {n: reason for n, (_, reason) in bad.items()}


def test_on_error_fail_then_skip_and_atomic_replacement(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text(
        "".join(json.dumps({"id": k, "text": t}, ensure_ascii=False) + "\n" for k, t in corpus()),
        encoding="utf-8",
    )
    reasons = bad_jsonl(bad)
    out = tmp_path / "out"
    assert run("dedup", good, "--out", out, "-q").returncode == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(before) == [
        "clusters.jsonl",
        "corpus_stats.npz",
        "duplicates.jsonl",
        "report.html",
        "report.json",
        "unique.jsonl",
    ]

    # --on-error fail (the default): stops at the first bad record, after good.jsonl was read,
    # names file and line, and leaves the earlier output exactly as it was.
    res = run("dedup", good, bad, "--out", out)
    assert res.returncode == 1
    assert res.stderr == f"arabic-dedup: error: {bad} line 2: malformed JSON: " + (
        "Expecting property name enclosed in double quotes (column 2)\n"
    )
    assert res.stdout == ""
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert leftovers(tmp_path) == []

    # --on-error skip: every bad record listed, every good one kept; the output is replaced
    # as a whole.
    res = run("dedup", good, bad, "--out", out, "--on-error", "skip")
    assert res.returncode == 0, res.stderr
    assert "errors               5" in res.stdout
    rep = report(out)
    assert [(e["file"], e["line"]) for e in rep["errors"]] == [(str(bad), n) for n in reasons]
    for e in rep["errors"]:
        assert e["reason"].startswith(reasons[e["line"]])
    assert rep["counts"]["records_read"] == 9 + 14 and rep["counts"]["errors"] == 5
    assert [i["records"] for i in rep["inputs"]] == [9, 14]
    # Every good record of bad.jsonl repeats one of good.jsonl, so all are duplicates.
    unique = read_jsonl(out / "unique.jsonl")
    assert [r["id"] for r in unique] == ["a0", "a1", "a2", "a3", "a4"]
    assert len(read_jsonl(out / "duplicates.jsonl")) == 4 + 9
    assert leftovers(tmp_path) == []


def test_usage_errors_exit_2_and_touch_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from arabic_dedup.cli import main

    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "نص"}\n', encoding="utf-8")
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.md").write_text("keep me")
    res = run("dedup", src, "-o", tmp_path / "o", "--threshold", "1.5")  # the real command
    assert res.returncode == 2
    assert res.stderr == "arabic-dedup: error: threshold must be a number in (0, 1], got 1.5\n"
    cases = [
        (["dedup", tmp_path / "nope.jsonl", "-o", tmp_path / "o"], "does not exist"),
        (["dedup", src, "-o", foreign], "holds files this tool did not write (notes.md)"),
        (["dedup", src, "-o", tmp_path / "o", "--bands", "4"], "give both bands and rows"),
        (["dedup", foreign / "notes.md", "-o", tmp_path / "o"], "cannot tell the format"),
        (["dedup", src, "-o", tmp_path / "o", "--keep", "shortest"], "invalid choice"),
        (["dedup", src], "--out"),
        (["compare", src, tmp_path / "missing.txt"], "does not exist"),
    ]
    for args, message in cases:
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code  # type: ignore[assignment]
        assert code == 2, args
        assert message in capsys.readouterr().err, args
    assert not (tmp_path / "o").exists()
    assert [p.name for p in foreign.iterdir()] == ["notes.md"]


def test_python_dash_m_runs_the_same_cli() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "arabic_dedup", "--version"], capture_output=True, text=True
    )
    assert res.returncode == 0 and res.stdout.startswith("arabic-dedup ")


# -- normalize and compare ----------------------------------------------------------------------


def test_normalize_stdin_files_and_flags(tmp_path: Path) -> None:
    res = run("normalize", stdin="مسئولى  ﻻ\nأَعْلَنَتْ الوزارةُ فى بيانٍ\n".encode())
    assert res.returncode == 0, res.stderr
    assert res.stdout == "مسءولي لا\nاعلنت الوزاره في بيان\n"

    f = tmp_path / "a.txt"
    f.write_text("مستشفى فى ٢٠٢٤\n", encoding="utf-8")
    res = run("normalize", "--no-alef-maksura", "--no-digits", "--hamza", "keep", f, "-",
              stdin="مسئول\n".encode())  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout == "مستشفى فى ٢٠٢٤\nمسئول\n"


def test_normalize_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.txt"
    f.write_bytes("سطر\n".encode() + b"\xc3(\n")
    res = run("normalize", f)
    assert res.returncode == 1
    assert res.stdout == "سطر\n"  # lines before the bad one were already written
    assert res.stderr == f"arabic-dedup: error: {f} line 2: invalid UTF-8 at byte 1\n"


def test_compare_texts_and_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from arabic_dedup.cli import main

    res = run("compare", "--text", "مسئولى في الوزارة اليوم", "مسؤولي فى الوزاره اليوم",
              "--threshold", "0.5")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "jaccard      1.0000" in res.stdout
    assert "verdict      duplicates (fact check: copy; jaccard 1.0000, threshold 0.5)" in res.stdout
    assert "alef_maksura" in res.stdout and "hamza" in res.stdout

    texts = dict(corpus())
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(texts["a0"], encoding="utf-8")
    b.write_text(texts["a1"], encoding="utf-8")
    assert main(["compare", str(a), str(b), "--threshold", "0.8"]) == 1  # the verdict
    assert "verdict      not duplicates (fact check: different; jaccard " in capsys.readouterr().out


def test_compare_says_why_a_text_without_words_joins_nothing() -> None:
    # Emoji and punctuation normalise away: two identical such texts share no shingle.
    res = run("compare", "--text", "\U0001f600\U0001f600 !!!", "\U0001f600\U0001f600 !!!")
    assert res.returncode == 1, res.stderr
    assert "A and B have no words after normalisation" in res.stdout
    assert "joins nothing, not even the same text" in res.stdout
    res = run("compare", "--text", "\U0001f600 !!!", "مرحبا بكم")
    assert " A has no words after normalisation" in res.stdout
    ok = run("compare", "--text", "مرحبا بكم", "مرحبا بكم")
    assert ok.returncode == 0 and "no words after normalisation" not in ok.stdout


def test_progress_bar_draws_and_clears() -> None:
    from arabic_dedup._progress import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar("reading", 50, 100)
    bar("reading", 60, 100)  # throttled: within 0.1 s of the last draw
    bar("reading", 100, 100)  # the end is always drawn
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 2 + 2 and " 50%" in text and "100%" in text
    assert "60%" not in text
