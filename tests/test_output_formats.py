"""``dedup`` writes unique/duplicates in the inputs' format, or in ``--output-format``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from _cli import read_jsonl, report, run

pq = pytest.importorskip("pyarrow.parquet", reason="Parquet output needs pyarrow")

NEWS = "أعلنت وزارة المالية اليوم عن ميزانية العام المقبل بزيادة في الإنفاق على التعليم والصحة"
OTHER = "فاز فريق الهلال على النصر في مباراة مثيرة أقيمت مساء أمس في ملعب الملك فهد الدولي"
ROWS = [("a1", NEWS, "spa"), ("a2", NEWS + " ،", "alriyadh"), ("a3", OTHER, "okaz")]


def _write_csv(path: Path, delimiter: str = ",") -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=delimiter, lineterminator="\n")
        w.writerow(["id", "text", "outlet"])
        w.writerows(ROWS)
    return path


def _read_table(path: Path, delimiter: str = ",") -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as f:
        if delimiter == "\t":  # TSV is literal: one row per line, split at tabs
            return [line.rstrip("\n").split("\t") for line in f]
        return list(csv.reader(f))


def _ok(*args: str | Path) -> None:
    r = run("dedup", *args, "-q", "--no-html")
    assert r.returncode == 0, r.stderr


def _names(out: Path) -> set[str]:
    return {p.name for p in out.iterdir()}


def test_csv_input_gives_csv_outputs_with_its_columns_then_the_new_ones(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _ok(_write_csv(tmp_path / "news.csv"), "--out", out)
    assert {"unique.csv", "duplicates.csv"} <= _names(out)
    assert not {"unique.jsonl", "duplicates.jsonl"} & _names(out)
    unique = _read_table(out / "unique.csv")
    assert unique == [["id", "text", "outlet"], list(ROWS[0]), list(ROWS[2])]
    dups = _read_table(out / "duplicates.csv")
    assert dups[0] == ["id", "text", "outlet", "duplicate_of", "similarity"]
    assert dups[1][:4] == [*ROWS[1], "a1"]
    assert 0.5 < float(dups[1][4]) <= 1.0
    assert report(out)["parameters"]["output_format"] == "csv"


def test_tsv_input_gives_literal_tsv_outputs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _ok(_write_csv(tmp_path / "news.tsv", "\t"), "--out", out, "--source-field", "src")
    unique = _read_table(out / "unique.tsv", "\t")
    assert unique == [["id", "text", "outlet", "src"], [*ROWS[0], str(tmp_path / "news.tsv")],
                      [*ROWS[2], str(tmp_path / "news.tsv")]]  # fmt: skip
    dups = _read_table(out / "duplicates.tsv", "\t")
    assert dups[0] == ["id", "text", "outlet", "src", "duplicate_of", "similarity"]
    assert dups[1][4] == "a1"


def test_parquet_input_gives_parquet_outputs_with_types_kept(tmp_path: Path) -> None:
    import pyarrow as pa

    src = tmp_path / "news.parquet"
    table = pa.table({
        "id": [r[0] for r in ROWS], "text": [r[1] for r in ROWS], "views": [10, 20, 30],
    })  # fmt: skip
    pq.write_table(table, src)
    out = tmp_path / "out"
    _ok(src, "--out", out, "--cluster-fields")
    unique = pq.read_table(out / "unique.parquet")
    assert unique.column_names == ["id", "text", "views", "cluster_id", "cluster_size"]
    assert unique.schema.field("views").type == pa.int64()
    assert unique.to_pylist() == [
        {"id": "a1", "text": NEWS, "views": 10, "cluster_id": "a1", "cluster_size": 2},
        {"id": "a3", "text": OTHER, "views": 30, "cluster_id": "a3", "cluster_size": 1},
    ]
    (dup,) = pq.read_table(out / "duplicates.parquet").to_pylist()
    assert (dup["id"], dup["views"], dup["duplicate_of"]) == ("a2", 20, "a1")
    assert isinstance(dup["similarity"], float) and 0.5 < dup["similarity"] <= 1.0


def test_output_format_flag_overrides_the_input_format(tmp_path: Path) -> None:
    src = _write_csv(tmp_path / "news.csv")
    out = tmp_path / "out"
    _ok(src, "--out", out, "--output-format", "parquet")
    assert {"unique.parquet", "duplicates.parquet"} <= _names(out)
    assert [r["id"] for r in pq.read_table(out / "unique.parquet").to_pylist()] == ["a1", "a3"]
    # The same directory takes another format next time: the old outputs are replaced.
    _ok(src, "--out", out, "--output-format", "jsonl")
    assert not {"unique.parquet", "duplicates.parquet"} & _names(out)
    assert [r["id"] for r in read_jsonl(out / "unique.jsonl")] == ["a1", "a3"]
    assert read_jsonl(out / "duplicates.jsonl")[0]["duplicate_of"] == "a1"


def test_jsonl_input_written_as_csv_serialises_non_strings(tmp_path: Path) -> None:
    src = tmp_path / "news.jsonl"
    recs = [{"id": 1, "text": NEWS, "tags": ["x"]}, {"id": 2, "text": NEWS, "tags": None}]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), "utf-8")
    out = tmp_path / "out"
    _ok(src, "--out", out, "--output-format", "csv")
    assert _read_table(out / "unique.csv") == [["id", "text", "tags"], ["1", NEWS, '["x"]']]
    assert _read_table(out / "duplicates.csv")[1][:4] == ["2", NEWS, "", "1"]


def test_mixed_inputs_and_txt_give_jsonl(tmp_path: Path) -> None:
    csv_in = _write_csv(tmp_path / "a.csv")
    tsv_in = _write_csv(tmp_path / "b.tsv", "\t")
    out = tmp_path / "mixed"
    _ok(csv_in, tsv_in, "--out", out)
    assert {"unique.jsonl", "duplicates.jsonl"} <= _names(out)
    assert report(out)["parameters"]["output_format"] == "jsonl"
    two = tmp_path / "two"
    _ok(csv_in, _write_csv(tmp_path / "c.csv"), "--out", two)  # one format: kept
    assert len(_read_table(two / "unique.csv")) == 1 + 2  # header, a1, a3 (c.csv's all dups)
    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "a.txt").write_text(NEWS, "utf-8")
    out_txt = tmp_path / "txt"
    _ok(texts, "--out", out_txt)
    assert [r["text"] for r in read_jsonl(out_txt / "unique.jsonl")] == [NEWS]


def test_a_tab_in_a_value_refuses_tsv_output_naming_the_record(tmp_path: Path) -> None:
    src = tmp_path / "news.jsonl"
    src.write_text(json.dumps({"id": "r7", "text": NEWS + "\t" + OTHER}) + "\n", "utf-8")
    out = tmp_path / "out"
    r = run("dedup", src, "--out", out, "-q", "--output-format", "tsv")
    assert r.returncode == 1
    msg = r.stderr.strip().splitlines()[-1]
    assert f"{src} line 1" in msg and "'r7'" in msg and "'text'" in msg
    assert "--output-format csv" in msg
    assert not out.exists()  # nothing was replaced
    assert not list(tmp_path.glob(".out.tmp-*"))


def test_dry_run_writes_nothing_in_any_format(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run("dedup", _write_csv(tmp_path / "news.csv"), "--out", out, "--dry-run",
            "--output-format", "parquet")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["counts"]["duplicates"] == 1
    assert json.loads(r.stdout)["parameters"]["output_format"] == "parquet"
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["news.csv"]


def test_bad_output_format_is_a_usage_error(tmp_path: Path) -> None:
    r = run("dedup", _write_csv(tmp_path / "news.csv"), "--out", tmp_path / "o",
            "--output-format", "txt")  # fmt: skip
    assert r.returncode == 2
    assert "--output-format" in r.stderr


def test_parquet_is_written_in_row_groups_and_loses_no_row(tmp_path: Path) -> None:
    import pyarrow as pa

    from arabic_dedup.formats.parquet import WRITE_BATCH_ROWS

    n = WRITE_BATCH_ROWS + 5  # one full row group and a last, partial one
    ids = [f"r{i}" for i in range(n)]
    texts = [f"خبر{i} رقم{i} عن{i} موضوع{i} جديد{i}" for i in range(n)]
    src = tmp_path / "many.parquet"
    pq.write_table(pa.table({"id": ids, "text": texts, "n": list(range(n))}), src)
    out = tmp_path / "out"
    _ok(src, "--out", out)
    unique = pq.ParquetFile(out / "unique.parquet")
    assert unique.metadata.num_rows == n == report(out)["counts"]["unique"]
    assert unique.metadata.num_row_groups == 2
    assert unique.read().column("n").to_pylist() == list(range(n))
    empty = pq.read_table(out / "duplicates.parquet")  # no duplicates: no rows, no columns
    assert (empty.num_rows, empty.num_columns) == (0, 0)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "parquet"])
def test_a_column_named_twice_stops_the_run_before_a_value_is_lost(
    tmp_path: Path, fmt: str
) -> None:
    # A record holds one value per name: read, the second 'text' would overwrite the first
    # and be written back in its place (the text the decision read would be gone).
    src = tmp_path / f"news.{fmt}"
    if fmt == "parquet":
        import pyarrow as pa

        pq.write_table(pa.Table.from_arrays([pa.array(["a1"]), pa.array([NEWS]),
                                             pa.array([OTHER])], names=["id", "text", "text"]),
                       src)  # fmt: skip
    else:
        sep = "\t" if fmt == "tsv" else ","
        src.write_text(f"id{sep}text{sep}text\na1{sep}{NEWS}{sep}{OTHER}\n", "utf-8")
    out = tmp_path / "out"
    r = run("dedup", src, "--out", out, "-q")
    assert r.returncode == 1
    msg = r.stderr.strip().splitlines()[-1]
    assert str(src) in msg and "'text' is named twice (columns 2 and 3)" in msg
    assert "Traceback" not in r.stderr
    assert not out.exists()


@pytest.mark.parametrize("bad_at", [13, 4500])  # in the first batch; in a later, buffered one
def test_a_value_parquet_cannot_type_names_its_own_record_and_input_line(
    tmp_path: Path, bad_at: int
) -> None:
    from arabic_dedup.formats.parquet import WRITE_BATCH_ROWS

    n = bad_at + 10
    assert (n > WRITE_BATCH_ROWS) == (bad_at > WRITE_BATCH_ROWS)
    src = tmp_path / "news.jsonl"
    with open(src, "w", encoding="utf-8") as f:
        for i in range(n):
            rec = {"id": f"r{i}", "text": f"خبر{i} رقم{i} عن{i}", "n": "x" if i == bad_at else i}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    out = tmp_path / "out"
    r = run("dedup", src, "--out", out, "-q", "--output-format", "parquet")
    assert r.returncode == 1
    msg = r.stderr.strip().splitlines()[-1]
    assert f"{src} line {bad_at + 1}: record 'r{bad_at}': its field 'n'" in msg, msg
    assert "(writing unique.parquet)" in msg and ".tmp-" not in msg
    assert not out.exists()


def test_values_json_cannot_hold_are_written_as_strings_in_every_output(tmp_path: Path) -> None:
    # 1e400 reads as infinity; NaN / inf floats and dates come from Parquet. Bare NaN or
    # Infinity is not JSON; a date in a CSV cell is the date, not '"2015-07-21"'.
    import datetime

    import pyarrow as pa

    src = tmp_path / "ids.jsonl"
    line = '{"id":%s,"text":' + json.dumps(NEWS, ensure_ascii=False) + "}\n"
    src.write_text(line.replace("%s", "1e400") + line.replace("%s", "2"), encoding="utf-8")
    out = tmp_path / "out"
    _ok(src, "--out", out)

    def strict(line: str) -> object:
        return json.loads(line, parse_constant=lambda c: pytest.fail(f"bare {c} in {line}"))

    (dup,) = [strict(x) for x in (out / "duplicates.jsonl").read_text("utf-8").splitlines()]
    assert dup["duplicate_of"] == "Infinity"
    (cl,) = [strict(x) for x in (out / "clusters.jsonl").read_text("utf-8").splitlines()]
    assert cl["kept"] == "Infinity"
    strict((out / "report.json").read_text("utf-8"))
    pq_src = tmp_path / "f.parquet"
    day = datetime.date(2015, 7, 21)
    cols = {"id": ["a", "b"], "text": [NEWS, OTHER], "f": [float("nan"), float("-inf")]}
    pq.write_table(pa.table({**cols, "d": [day, day]}), pq_src)
    for fmt in ("jsonl", "csv"):
        o = tmp_path / f"o_{fmt}"
        _ok(pq_src, "--out", o, "--output-format", fmt)
        if fmt == "jsonl":
            rows = [strict(x) for x in (o / "unique.jsonl").read_text("utf-8").splitlines()]
            assert [(r["f"], r["d"]) for r in rows] == [("NaN", "2015-07-21"),
                                                        ("-Infinity", "2015-07-21")]  # fmt: skip
        else:
            table = _read_table(o / "unique.csv")
            assert table[0] == ["id", "text", "f", "d"]
            assert [r[2:] for r in table[1:]] == [
                ["NaN", "2015-07-21"],
                ["-Infinity", "2015-07-21"],
            ]
