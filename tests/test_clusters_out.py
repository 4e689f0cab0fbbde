"""What dedup did, per cluster: ``clusters.jsonl``, the report's cluster counts, the match kind,
``--cluster-fields`` and the keep rules from the data (``--keep earliest/latest --keep-by``,
``--prefer-field/--prefer``, ``KeepRule``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _cli import CLI, read_jsonl, report, run
from _corpus import corpus

from arabic_dedup import find_duplicates
from arabic_dedup._cluster import EXACT, KEPT, NEAR, match_kinds
from arabic_dedup._clusters_out import cluster_counts, write_clusters
from arabic_dedup._facts import MATCH_KINDS
from arabic_dedup._io import Source, dedup_files


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


def records_with_an_exact_copy() -> list[dict[str, Any]]:
    """corpus() plus e0, a byte-identical copy of a0 at the end."""
    recs = [{"id": i, "text": t} for i, t in corpus()]
    return [*recs, {"id": "e0", "text": recs[0]["text"]}]


# -- the match kind: one decision ----------------------------------------------------------------


def test_match_kind_is_exact_for_the_same_shingle_set_and_near_otherwise() -> None:
    group = np.array([0, 1, 0, 2, 1])  # documents 0 and 2 have the same set, 1 and 4 too
    rep = np.array([0, 1, 0, 0, 4])  # 3 joined 0 without sharing its set; 4 is kept
    assert match_kinds(group, rep).tolist() == [KEPT, KEPT, EXACT, NEAR, KEPT]
    assert MATCH_KINDS[EXACT] == "exact" and MATCH_KINDS[NEAR] == "near"


def test_find_duplicates_reports_kinds_and_cluster_sizes() -> None:
    texts = [r["text"] for r in records_with_an_exact_copy()]
    r = find_duplicates(texts)
    ids = [r_["id"] for r_ in records_with_an_exact_copy()]
    kinds = dict(zip(ids, r.match_kind, strict=True))
    assert kinds == {
        "a0": None, "a1": None, "c0": "near", "a2": None, "c1": "near", "a3": None,
        "c2": "near", "a4": None, "c3": "exact", "e0": "exact",
    }  # fmt: skip
    sizes = dict(zip(ids, r.cluster_sizes().tolist(), strict=True))
    assert sizes == {
        "a0": 4, "a1": 2, "c0": 4, "a2": 1, "c1": 2, "a3": 2, "c2": 4, "a4": 1, "c3": 2, "e0": 4,
    }  # fmt: skip
    # Every exact member really has similarity 1.0; kept texts have no kind.
    for k, s, kept in zip(r.match_kind, r.similarity.tolist(), r.keep.tolist(), strict=True):
        assert (k is None) == kept
        if k == "exact":
            assert s == 1.0


# -- clusters.jsonl --------------------------------------------------------------------------------


needs_cli = pytest.mark.skipif(CLI is None, reason="the arabic-dedup command is not installed")


@needs_cli
def test_clusters_file_and_report_counts_through_the_cli(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "news.jsonl", records_with_an_exact_copy())
    out = tmp_path / "out"
    res = run("dedup", src, "--out", out)
    assert res.returncode == 0, res.stderr
    lines = read_jsonl(out / "clusters.jsonl")
    # One line per cluster of two or more, in the input order of the kept records; members
    # in input order, the kept record not among them; size counts it.
    assert [(c["kept"], c["size"], [m["id"] for m in c["members"]]) for c in lines] == [
        ("a0", 4, ["c0", "c2", "e0"]),
        ("a1", 2, ["c1"]),
        ("a3", 2, ["c3"]),
    ]
    assert [list(c) for c in lines] == [["kept", "size", "members"]] * 3
    kinds = {m["id"]: m["kind"] for c in lines for m in c["members"]}
    assert kinds == {"c0": "near", "c2": "near", "e0": "exact", "c1": "near", "c3": "exact"}
    # Member similarities are exactly those of duplicates.jsonl.
    dups = {
        d["id"]: (d["duplicate_of"], d["similarity"]) for d in read_jsonl(out / "duplicates.jsonl")
    }
    assert {m["id"]: (c["kept"], m["similarity"]) for c in lines for m in c["members"]} == dups
    counts = report(out)["counts"]
    assert counts["clusters"] == 3 and counts["largest_cluster"] == 4
    assert counts["duplicates_by_kind"] == {"exact": 2, "near": 3, "boilerplate": 0, "update": 0}
    assert "clusters.jsonl" in res.stdout


def test_no_duplicates_gives_an_empty_clusters_file(tmp_path: Path) -> None:
    recs = [{"id": i, "text": t} for i, t in corpus() if i.startswith("a")]
    src = write_jsonl(tmp_path / "in.jsonl", recs)
    rep = dedup_files([Source.detect(src)], tmp_path / "out")
    assert (tmp_path / "out" / "clusters.jsonl").read_bytes() == b""
    assert rep["counts"]["clusters"] == 0 and rep["counts"]["largest_cluster"] == 1
    assert rep["counts"]["duplicates_by_kind"] == {
        "exact": 0,
        "near": 0,
        "boilerplate": 0,
        "update": 0,
    }


def test_a_big_cluster_is_one_line_written_in_chunks(tmp_path: Path) -> None:
    # 100,001 records: one kept record with 100,000 members (more than one serialising chunk),
    # plus a singleton in the middle. Linear work: a stable sort, one pass.
    n = 100_002
    rep = np.zeros(n, dtype=np.int64)
    rep[5] = 5
    sim = np.full(n, 0.5)
    sim[0] = sim[5] = 1.0
    sim[7] = 1 / 3
    kinds = np.full(n, NEAR, dtype=np.int8)
    kinds[[0, 5]] = KEPT
    kinds[9] = EXACT
    ids = [f"r{i}" for i in range(n)]
    path = tmp_path / "clusters.jsonl"
    assert write_clusters(path, ids, rep, sim, kinds) == 1
    (line,) = path.read_text(encoding="utf-8").splitlines()
    c = json.loads(line)
    assert c["kept"] == "r0" and c["size"] == n - 1
    assert [m["id"] for m in c["members"]] == [f"r{i}" for i in range(1, n) if i != 5]
    assert c["members"][5]["similarity"] == 0.333333  # r7: rounded as duplicates.jsonl rounds
    assert c["members"][7]["kind"] == "exact" and c["members"][8]["kind"] == "near"
    assert cluster_counts(rep, kinds) == {
        "clusters": 1, "largest_cluster": n - 1,
        "duplicates_by_kind": {"exact": 1, "near": n - 3, "boilerplate": 0, "update": 0},
    }  # fmt: skip


# -- cluster_id / cluster_size on kept records ---------------------------------------------------


@needs_cli
def test_cluster_fields_on_kept_records_through_the_cli(tmp_path: Path) -> None:
    recs = [{**r, "n": 1.50} for r in records_with_an_exact_copy()]
    src = tmp_path / "news.jsonl"
    src.write_text(
        "".join(json.dumps(r, ensure_ascii=False).replace("1.5", "1.50") + "\n" for r in recs),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    res = run("dedup", src, "--out", out, "--cluster-fields", "-q")
    assert res.returncode == 0, res.stderr
    unique = read_jsonl(out / "unique.jsonl")
    assert [(r["id"], r["cluster_id"], r["cluster_size"]) for r in unique] == [
        ("a0", "a0", 4), ("a1", "a1", 2), ("a2", "a2", 1), ("a3", "a3", 2), ("a4", "a4", 1),
    ]  # fmt: skip
    assert list(unique[0]) == ["id", "text", "n", "cluster_id", "cluster_size"]
    # The original bytes of every field are kept (1.50 is not re-serialised as 1.5).
    assert (
        b'"n": 1.50, "cluster_id": "a0", "cluster_size": 4}' in (out / "unique.jsonl").read_bytes()
    )
    # Sizes add up: every record is in exactly one cluster.
    assert sum(r["cluster_size"] for r in unique) == len(recs)
    assert "cluster_id" not in read_jsonl(out / "duplicates.jsonl")[0]
    assert report(out)["parameters"]["cluster_fields"] is True
    # Without the flag, kept records are unchanged.
    assert run("dedup", src, "--out", out, "-q").returncode == 0
    assert all("cluster_id" not in r for r in read_jsonl(out / "unique.jsonl"))


@needs_cli
def test_cluster_fields_on_csv_rows_and_a_record_that_has_one(tmp_path: Path) -> None:
    src = tmp_path / "news.csv"
    rows = [("a0", corpus()[0][1], "x"), ("c0", corpus()[2][1], "y"), ("a1", corpus()[1][1], "z")]
    with open(src, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "text", "cluster_size"])
        w.writerows(rows)
    out = tmp_path / "out"
    res = run("dedup", src, "--out", out, "--cluster-fields", "-q", "--output-format", "jsonl")
    assert res.returncode == 0, res.stderr
    unique = read_jsonl(out / "unique.jsonl")
    # A record's own cluster_size column is replaced, in its place.
    assert unique == [
        {"id": "a0", "text": rows[0][1], "cluster_size": 2, "cluster_id": "a0"},
        {"id": "a1", "text": rows[2][1], "cluster_size": 1, "cluster_id": "a1"},
    ]


def test_dataframe_and_dataset_cluster_columns() -> None:
    pd = pytest.importorskip("pandas")
    from arabic_dedup.integrations import dedup_dataframe, dedup_dataset

    recs = records_with_an_exact_copy()
    df = pd.DataFrame({"text": [r["text"] for r in recs]}, index=[r["id"] for r in recs])
    out = dedup_dataframe(df, cluster_fields=True)
    assert list(out.columns)[-2:] == ["cluster_size", "match_kind"]
    assert out["cluster_size"].tolist() == [4, 2, 4, 1, 2, 2, 4, 1, 2, 4]
    assert out["match_kind"].tolist() == [
        None, None, "near", None, "near", None, "near", None, "exact", "exact",
    ]  # fmt: skip
    assert "cluster_size" not in dedup_dataframe(df).columns
    from arabic_dedup import ConfigError

    with pytest.raises(ConfigError, match="already has column"):
        dedup_dataframe(df.assign(match_kind=1), cluster_fields=True)

    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_dict({"text": [r["text"] for r in recs]})
    kept = dedup_dataset(ds, cluster_fields=True)
    assert kept.column_names == ["text", "cluster_id", "cluster_size"]
    assert kept["cluster_id"][:] == [0, 1, 3, 5, 7]
    assert kept["cluster_size"][:] == [4, 2, 1, 2, 1]
    assert dedup_dataset(ds).column_names == ["text"]
    with pytest.raises(ConfigError, match="cluster_fields=True adds"):
        dedup_dataset(kept, cluster_fields=True)


# -- keep rules from the data --------------------------------------------------------------------

# a0 and its copies c0 (a day earlier, from spa) and c2 (no date, alriyadh); a1 and its copy c1
# (earlier once the zones are counted: 06:00Z against 07:00Z).
DATED = [
    ("a0", "2015-07-21", "sabq"),
    ("c0", "2015-07-20", "spa"),
    ("c2", None, "alriyadh"),
    ("a1", "2015-07-23T10:00:00+03:00", "okaz"),
    ("c1", "2015-07-23T06:00:00Z", "alriyadh"),
]


def dated_records() -> list[dict[str, Any]]:
    texts = dict(corpus())
    out = []
    for i, date, source in DATED:
        r: dict[str, Any] = {"id": i, "text": texts[i], "source": source}
        if date is not None:
            r["date"] = date
        out.append(r)
    return out


def kept_of(out: Path) -> dict[str, list[str]]:
    """kept id -> member ids, from clusters.jsonl."""
    return {c["kept"]: [m["id"] for m in c["members"]] for c in read_jsonl(out / "clusters.jsonl")}


def test_keep_rule_orders_by_value_with_missing_values_last() -> None:
    from arabic_dedup import KeepRule
    from arabic_dedup._keep import keep_order

    zero = np.zeros(5, dtype=np.int64)
    by = ["2015-07-21", None, "2015-07-20", " ", "2015-07-20T00:00:00+00:00"]
    # Missing (None, blank) last, in input order; ties in input order.
    assert keep_order(zero, KeepRule("earliest", by=by)).tolist() == [2, 4, 0, 1, 3]
    assert keep_order(zero, KeepRule("latest", by=by)).tolist() == [0, 2, 4, 1, 3]
    # Numbers, as numbers or as the strings CSV gives; NaN is missing.
    nums = [10, "9", 11.5, float("nan"), "-1"]
    assert keep_order(zero, KeepRule("earliest", by=nums)).tolist() == [4, 1, 0, 2, 3]
    # The source priority comes first, then the order, then input order.
    rule = KeepRule("longest", prefer=["spa", "wam"], prefer_by=["x", "wam", "spa", None, "wam"])
    lengths = np.array([50, 10, 5, 99, 30])
    assert keep_order(lengths, rule).tolist() == [2, 4, 1, 3, 0]


def test_keep_rule_errors_name_the_text_and_the_fix() -> None:
    from arabic_dedup import ConfigError, InputError, KeepRule

    with pytest.raises(InputError, match=r"text #1: 'yesterday' is not a number or an ISO 8601"):
        find_duplicates(
            ["a b c", "d e f"], keep=KeepRule("earliest", by=["2015-07-21", "yesterday"])
        )
    with pytest.raises(
        InputError, match=r"text #1: .* is a number where earlier records hold dates"
    ):
        find_duplicates(["a b c", "d e f"], keep=KeepRule("latest", by=["2015-07-21", 3]))
    with pytest.raises(InputError, match="by= has 1 values for 2 texts"):
        find_duplicates(["a b c", "d e f"], keep=KeepRule("latest", by=[1]))
    with pytest.raises(ConfigError, match="needs by="):
        KeepRule("earliest")
    with pytest.raises(ConfigError, match="takes no by= values"):
        KeepRule("longest", by=[1])
    with pytest.raises(ConfigError, match="give both or neither"):
        KeepRule(prefer=["spa"])
    with pytest.raises(ConfigError, match=r"wrap it: prefer=\['spa'\]"):
        KeepRule(prefer="spa", prefer_by=["spa"])


def test_find_duplicates_and_the_file_engine_keep_the_same_record(tmp_path: Path) -> None:
    from arabic_dedup import KeepRule
    from arabic_dedup._keep import KeepFields

    recs = dated_records()
    src = write_jsonl(tmp_path / "in.jsonl", recs)
    texts = [r["text"] for r in recs]
    ids = [r["id"] for r in recs]
    cases = [
        (KeepFields("earliest", "date"), KeepRule("earliest", by=[r.get("date") for r in recs])),
        (KeepFields("latest", "date"), KeepRule("latest", by=[r.get("date") for r in recs])),
        (
            KeepFields("first", None, "source", ("alriyadh", "spa")),
            KeepRule(prefer=("alriyadh", "spa"), prefer_by=[r["source"] for r in recs]),
        ),
    ]
    for fields, rule in cases:
        dedup_files([Source.detect(src)], tmp_path / "out", keep=fields)
        r = find_duplicates(texts, keep=rule)
        want = {ids[k]: [ids[m] for m in ms if m != k] for k, ms in r.clusters().items()}
        assert kept_of(tmp_path / "out") == want


def test_dedup_dataframe_takes_a_keep_rule_from_its_columns() -> None:
    pd = pytest.importorskip("pandas")
    from arabic_dedup import KeepRule
    from arabic_dedup.integrations import dedup_dataframe

    recs = dated_records()
    df = pd.DataFrame(recs).set_index("id")
    df["date"] = pd.to_datetime(df["date"], utc=True, format="ISO8601")  # c2's missing: NaT
    rule = KeepRule("latest", by=df["date"].tolist())
    out = dedup_dataframe(df, keep=rule)
    assert out[out.keep].index.tolist() == ["a0", "a1"]
    assert out["duplicate_of"].tolist() == [None, "a0", "a0", None, "a1"]
    rule = KeepRule(
        "earliest", by=df["date"].tolist(), prefer=["alriyadh"], prefer_by=df["source"].tolist()
    )
    out = dedup_dataframe(df, keep=rule)
    assert out[out.keep].index.tolist() == ["c2", "c1"]


@needs_cli
def test_keep_earliest_latest_and_prefer_through_the_cli(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "news.jsonl", dated_records())
    out = tmp_path / "out"
    assert (
        run("dedup", src, "--out", out, "--keep", "earliest", "--keep-by", "date").returncode == 0
    )
    assert kept_of(out) == {"c0": ["a0", "c2"], "c1": ["a1"]}
    assert report(out)["parameters"]["keep"] == {
        "order": "earliest", "by": "date", "prefer_field": None, "prefer": [],
    }  # fmt: skip
    # latest: c2 has no date, so it is kept only if nothing else is.
    assert run("dedup", src, "--out", out, "--keep", "latest", "--keep-by", "date").returncode == 0
    assert kept_of(out) == {"a0": ["c0", "c2"], "a1": ["c1"]}
    # The source priority first; records of unlisted sources after, in input order.
    res = run("dedup", src, "--out", out, "--prefer-field", "source", "--prefer", "alriyadh,spa")
    assert res.returncode == 0, res.stderr
    assert kept_of(out) == {"c2": ["a0", "c0"], "c1": ["a1"]}
    # ... then --keep among equals: spa first, then the earliest of the rest.
    res = run("dedup", src, "--out", out, "--prefer-field", "source", "--prefer", "spa",
              "--keep", "latest", "--keep-by", "date")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert kept_of(out) == {"c0": ["a0", "c2"], "a1": ["c1"]}


@needs_cli
def test_keep_by_on_csv_number_strings_and_its_errors(tmp_path: Path) -> None:
    texts = dict(corpus())
    src = tmp_path / "news.csv"
    with open(src, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [("id", "text", "n"), ("a0", texts["a0"], "10"), ("c0", texts["c0"], "9")]
        )
    out = tmp_path / "out"
    res = run("dedup", src, "--out", out, "--keep", "earliest", "--keep-by", "n", "-q")
    assert res.returncode == 0, res.stderr
    assert kept_of(out) == {"c0": ["a0"]}  # 9 < 10 as numbers (as text "10" < "9")
    before = (out / "clusters.jsonl").read_bytes()
    # A value that is neither a number nor a date: exit 1 naming file, line and record; the
    # earlier output is untouched.
    res = run("dedup", src, "--out", out, "--keep", "latest", "--keep-by", "text", "-q")
    assert res.returncode == 1
    assert res.stderr.startswith(
        f"arabic-dedup: error: {src} line 2: record 'a0': field 'text' (--keep-by): "
    )
    assert "is not a number or an ISO 8601 date" in res.stderr
    assert (out / "clusters.jsonl").read_bytes() == before
    # Usage errors: exit 2 before anything is read.
    for args, message in [
        (["--keep", "earliest"], "--keep earliest needs --keep-by FIELD"),
        (["--keep-by", "n"], "--keep-by n needs --keep earliest or --keep latest"),
        (["--prefer", "spa"], "--prefer VALUE,... needs --prefer-field FIELD"),
        (["--prefer-field", "source"], "--prefer-field FIELD and --prefer VALUE,... go together"),
        (["--prefer-field", "s", "--prefer", "a,,b"], "without empty items"),
    ]:
        res = run("dedup", src, "--out", tmp_path / "never", *args)
        assert res.returncode == 2 and message in res.stderr, (args, res.stderr)
        assert not (tmp_path / "never").exists()
    # A field no record has (a misspelt name would keep by input order): exit 2, naming the
    # flag and the fields the records do have; the earlier output is untouched.
    for args, flag in [
        (["--keep", "latest", "--keep-by", "nn"], "--keep-by 'nn'"),
        (["--prefer-field", "outlet", "--prefer", "spa"], "--prefer-field 'outlet'"),
    ]:
        res = run("dedup", src, "--out", out, *args, "-q")
        assert res.returncode == 2, res.stderr
        assert (
            f"{flag}: none of the 2 records has this field (the first has 'id', 'text', 'n')"
            in (res.stderr)
        )
        assert (out / "clusters.jsonl").read_bytes() == before
