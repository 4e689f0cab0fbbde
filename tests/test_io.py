"""The file engine behind the CLI (``arabic_dedup._io``), tested in process.

The command itself is tested as an installed program in ``test_cli.py``; here we check that
the two-pass, batched pipeline gives exactly ``find_duplicates``'s answer.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from _corpus import corpus

from arabic_dedup import ConfigError, find_duplicates
from arabic_dedup._io import OutputDirError, RecordError, Source, dedup_files

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def outcome(out: Path) -> dict[str, Any]:
    """id -> None for unique records, the kept id for duplicates."""
    got: dict[str, Any] = {r["id"]: None for r in read_jsonl(out / "unique.jsonl")}
    got.update({r["id"]: r["duplicate_of"] for r in read_jsonl(out / "duplicates.jsonl")})
    return got


def expected(records: list[tuple[str, str]], **options: Any) -> dict[str, Any]:
    r = find_duplicates([t for _, t in records], **options)
    ids = [i for i, _ in records]
    return {ids[i]: None if d is None else ids[d] for i, d in enumerate(r.duplicate_of)}


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"keep": "longest"},
        {"similarity": "containment", "threshold": 0.8},
        {"max_df": 2, "shingle_unit": "char", "k": 5},
    ],
)
def test_batched_two_pass_run_equals_find_duplicates(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    records = corpus()
    src = tmp_path / "in.jsonl"
    write_jsonl(src, [{"id": i, "text": t} for i, t in records])
    from arabic_dedup import DedupConfig

    keep = options.pop("keep", "first")
    config = DedupConfig(**options)
    # batch_texts=2: shingle sets come from five batches and must be stitched correctly.
    report = dedup_files(
        [Source.detect(src)], tmp_path / "out", config=config, keep=keep, batch_texts=2
    )
    assert outcome(tmp_path / "out") == expected(records, keep=keep, **options)
    c = report["counts"]
    assert c["unique"] + c["duplicates"] + c["errors"] == c["records_read"] == len(records)


def test_default_corpus_truth(tmp_path: Path) -> None:
    records = corpus()
    src = tmp_path / "in.jsonl"
    write_jsonl(src, [{"id": i, "text": t} for i, t in records])
    dedup_files([Source.detect(src)], tmp_path / "out")
    assert outcome(tmp_path / "out") == {
        "a0": None, "a1": None, "a2": None, "a3": None, "a4": None,
        "c0": "a0", "c1": "a1", "c2": "a0", "c3": "a3",
    }  # fmt: skip


def test_source_detect() -> None:
    assert Source.detect("a.jsonl.gz").format == "jsonl"
    assert Source.detect("a.CSV").format == "csv"
    assert Source.detect("a.tsv.gz").compressed
    assert Source.detect("a.parquet").format == "parquet"
    with pytest.raises(ConfigError, match="--format"):
        Source.detect("a.xml")
    with pytest.raises(ConfigError, match="format must be one of"):
        Source.detect("a.jsonl", "xml")  # type: ignore[arg-type]


def test_bad_record_raises_with_location(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "نص"}\n\n{"text": null}\n', encoding="utf-8")
    with pytest.raises(RecordError) as info:
        dedup_files([Source.detect(src)], tmp_path / "out")
    assert (info.value.file, info.value.line) == (str(src), 3)
    assert "field 'text' is null, not a string" in str(info.value)
    assert isinstance(info.value, ValueError)
    assert not (tmp_path / "out").exists()


def test_duplicate_keeps_original_bytes_and_appends_fields(tmp_path: Path) -> None:
    text = corpus()[0][1]
    src = tmp_path / "in.jsonl"
    # 1.50 and 1e3 would change if re-serialised; the \u escape too.
    first = '{"id": 1, "n": 1.50, "text": ' + json.dumps(text) + ', "e": "\\u0627"}'
    second = '{"n": 1e3, "text": ' + json.dumps(text, ensure_ascii=False) + "}"
    src.write_text(first + "\r\n" + second + "\n", encoding="utf-8")
    dedup_files([Source.detect(src)], tmp_path / "out")
    assert (tmp_path / "out" / "unique.jsonl").read_text(encoding="utf-8") == first + "\n"
    dup = (tmp_path / "out" / "duplicates.jsonl").read_text(encoding="utf-8")
    assert dup == second[:-1] + ', "duplicate_of": 1, "similarity": 1.0}\n'


def test_existing_duplicate_of_field_is_replaced(tmp_path: Path) -> None:
    text = corpus()[0][1]
    src = tmp_path / "in.jsonl"
    write_jsonl(src, [{"id": "x", "text": text}, {"text": text, "duplicate_of": "old"}])
    dedup_files([Source.detect(src)], tmp_path / "out")
    (dup,) = read_jsonl(tmp_path / "out" / "duplicates.jsonl")
    assert dup == {"text": text, "duplicate_of": "x", "similarity": 1.0}


def test_refuses_to_replace_a_foreign_directory(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    write_jsonl(src, [{"text": "نص"}])
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.md").write_text("mine")
    with pytest.raises(OutputDirError, match=r"notes\.md"):
        dedup_files([Source.detect(src)], out)
    assert [p.name for p in out.iterdir()] == ["notes.md"]


def test_progress_callback_reaches_the_end(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    write_jsonl(src, [{"id": i, "text": t} for i, t in corpus()])
    calls: list[tuple[str, int, int]] = []
    dedup_files([Source.detect(src)], tmp_path / "out", progress=lambda *a: calls.append(a))
    stages = [c[0] for c in calls]
    assert stages[0] == "reading" and stages[-1] == "writing"
    assert {"signatures", "candidates", "verify", "cluster"} <= set(stages)
    size = src.stat().st_size
    assert ("reading", size, size) in calls and ("writing", size, size) in calls


def test_missing_pyarrow_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    src = tmp_path / "in.parquet"
    src.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)  # import now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'arabic-dedup\[parquet\]'"):
        dedup_files([Source.detect(src)], tmp_path / "out")
    assert not (tmp_path / "out").exists()
