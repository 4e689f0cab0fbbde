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


# -- the pieces behind dedup_files ---------------------------------------------------------------


def test_registry_maps_every_suffix_to_its_reader() -> None:
    from arabic_dedup.formats import FORMATS, READERS

    assert FORMATS == ("jsonl", "csv", "tsv", "parquet", "txt")
    for name, reader in READERS.items():
        assert reader.name == name
        for suffix in reader.suffixes:
            assert Source.detect(f"a{suffix}").format == name
            if reader.compressible:
                assert Source.detect(f"a{suffix}.gz").compressed
            else:
                with pytest.raises(ConfigError, match="cannot tell the format"):
                    Source.detect(f"a{suffix}.gz")


def records_of(path: Path, fmt: str | None = None) -> list[Any]:
    src = Source.detect(path, fmt)
    return list(src.reader(text_field="text", id_field="id", id_prefix=None))


def test_csv_rows_after_a_broken_quote_are_read_again(tmp_path: Path) -> None:
    from arabic_dedup.formats import BadRecord, Record

    src = tmp_path / "in.csv"
    # Line 4's quote closes on line 6, making a 3-field row out of lines 4-6: bad, and lines
    # 5 and 6 are read again as rows (line 6 alone has 3 fields: bad too, without a span).
    src.write_text('id,text\na,"one\ntwo"\nb,"open\nc,three\nd,x",extra\ne,four\n', "utf-8")
    got = records_of(src)
    assert [(r.line, r.id, r.text) for r in got if isinstance(r, Record)] == [
        (2, "a", "one\ntwo"), (5, "c", "three"), (7, "e", "four"),
    ]  # fmt: skip
    bad = [(b.line, b.reason) for b in got if isinstance(b, BadRecord)]
    assert [line for line, _ in bad] == [4, 6]
    assert "lines 4-6" in bad[0][1] and bad[0][1].startswith("row has 3 fields")
    assert bad[1][1] == "row has 3 fields, the header has 2"


def test_invalid_utf8_in_a_multiline_csv_row_spoils_that_row_only(tmp_path: Path) -> None:
    from arabic_dedup.formats import BadRecord, Record

    src = tmp_path / "in.csv"
    src.write_bytes(b'id,text\na,"x\n\xff y"\nb,z\n')
    got = records_of(src)
    assert [(type(r), r.line) for r in got] == [(BadRecord, 2), (Record, 4)]


def test_swap_replaces_an_earlier_output_with_and_without_exchange(tmp_path: Path) -> None:
    from arabic_dedup._atomic import exchange, temporary_output

    out = tmp_path / "out"
    for use_exchange in (True, False):
        out.mkdir(exist_ok=True)
        (out / "report.json").write_text("old")
        with temporary_output(out, use_exchange=use_exchange) as tmp:
            (tmp / "report.json").write_text("new")
        assert (out / "report.json").read_text() == "new"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "f").write_text("a")
    if exchange(a, b):  # Linux with renameat2: both still exist, contents swapped
        assert (b / "f").read_text() == "a" and list(a.iterdir()) == []


def test_failed_block_removes_the_temporary_output_and_keeps_the_old(tmp_path: Path) -> None:
    from arabic_dedup._atomic import temporary_output

    out = tmp_path / "out"
    out.mkdir()
    (out / "unique.jsonl").write_text("old")
    with pytest.raises(RuntimeError), temporary_output(out) as tmp:
        (tmp / "unique.jsonl").write_text("new")
        raise RuntimeError("boom")
    assert (out / "unique.jsonl").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_check_is_a_no_op_until_a_recorded_signal_arrives() -> None:
    import os
    import signal

    from arabic_dedup import RunInterrupted
    from arabic_dedup._interrupt import check, recording_signals

    check()  # no handler installed: nothing happens
    before = signal.getsignal(signal.SIGTERM)
    with recording_signals(signal.SIGTERM):
        check()
        os.kill(os.getpid(), signal.SIGTERM)  # recorded, not acted on: the process lives
        with pytest.raises(RunInterrupted) as info:
            check()
    assert info.value.signum == signal.SIGTERM and isinstance(info.value, KeyboardInterrupt)
    assert signal.getsignal(signal.SIGTERM) is before
    check()  # forgotten once the block is left


def test_null_and_missing_ids_share_the_location_rule(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": null, "text": "a"}\n{"text": "b"}\n{"id": 0, "text": "c"}\n', "utf-8")
    assert [r.id for r in records_of(src)] == [1, 2, 0]
    multi = Source.detect(src).reader(text_field="text", id_field="id", id_prefix="in.jsonl")
    assert [r.id for r in multi] == ["in.jsonl:1", "in.jsonl:2", 0]  # type: ignore[union-attr]


def test_recording_signals_outside_the_main_thread_leaves_the_handlers_alone() -> None:
    import signal
    import threading

    from arabic_dedup._interrupt import check, recording_signals

    before = signal.getsignal(signal.SIGINT)
    failures: list[BaseException] = []

    def body() -> None:
        try:
            with recording_signals(signal.SIGINT):
                check()
        except BaseException as exc:  # reported to the test thread
            failures.append(exc)

    t = threading.Thread(target=body)
    t.start()
    t.join()
    assert failures == [] and signal.getsignal(signal.SIGINT) is before
