"""pandas and Hugging Face ``datasets`` pipeline steps (``arabic_dedup.integrations``)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from arabic_dedup import ConfigError, InputError, find_duplicates
from arabic_dedup.testing import syndicate

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def corpus() -> list[str]:
    """a0, a1, c0 (copy of a0), a2, c1 (copy of a1)."""
    bases = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))][:3]
    rng = random.Random(5)
    c0 = syndicate(bases[0], ["prefix", "alef_maksura", "diacritics"], rng=rng)
    c1 = syndicate(bases[1], ["footer", "teh_marbuta", "kashida"], rng=rng)
    return [bases[0], bases[1], c0, bases[2], c1]


def test_dedup_dataframe_adds_columns_and_leaves_the_rest() -> None:
    pd = pytest.importorskip("pandas")
    from arabic_dedup.integrations import dedup_dataframe

    texts = corpus()
    df = pd.DataFrame(
        {"text": texts, "outlet": ["spa", "sabq", "okaz", "wam", "mz"]},
        index=["a0", "a1", "c0", "a2", "c1"],
    )
    before = df.copy()
    out = dedup_dataframe(df)
    pd.testing.assert_frame_equal(df, before)  # the input is not modified
    pd.testing.assert_frame_equal(out[["text", "outlet"]], before)
    assert list(out.columns) == [
        "text",
        "outlet",
        "cluster_id",
        "keep",
        "duplicate_of",
        "similarity",
    ]
    assert out["keep"].tolist() == [True, True, False, True, False]
    assert out["duplicate_of"].tolist() == [None, None, "a0", None, "a1"]
    assert out["cluster_id"].tolist() == ["a0", "a1", "a0", "a2", "a1"]
    r = find_duplicates(texts)
    assert out["similarity"].tolist() == r.similarity.tolist()

    # Options go to the detector; keep="longest" picks the longer copy.
    out = dedup_dataframe(df, keep="longest", threshold=0.5)
    assert out.loc["a0", "duplicate_of"] == "c0" and out.loc["c0", "keep"]


def test_dedup_dataframe_integer_index_keeps_none_not_nan() -> None:
    pd = pytest.importorskip("pandas")
    from arabic_dedup.integrations import dedup_dataframe

    out = dedup_dataframe(pd.DataFrame({"body": corpus()}), "body")
    assert out["duplicate_of"].tolist() == [None, None, 0, None, 1]


def test_dedup_dataframe_errors() -> None:
    pd = pytest.importorskip("pandas")
    from arabic_dedup.integrations import dedup_dataframe

    with pytest.raises(ConfigError, match="no column 'text'"):
        dedup_dataframe(pd.DataFrame({"body": ["x"]}))
    with pytest.raises(ConfigError, match="already has column"):
        dedup_dataframe(pd.DataFrame({"text": ["x"], "keep": [1]}))
    with pytest.raises(ConfigError, match="repeated labels"):
        dedup_dataframe(pd.DataFrame({"text": ["x", "y"]}, index=[1, 1]))
    with pytest.raises(InputError, match="row 'b': column 'text' is missing"):
        dedup_dataframe(pd.DataFrame({"text": ["x", None]}, index=["a", "b"]))
    with pytest.raises(ConfigError, match="unknown option"):
        dedup_dataframe(pd.DataFrame({"text": ["x"]}), treshold=0.5)


def test_dedup_dataset_and_filter() -> None:
    datasets = pytest.importorskip(
        "datasets", reason="Hugging Face datasets is not installed (pip install datasets)"
    )
    texts = corpus()
    ds = datasets.Dataset.from_dict({"text": texts, "n": list(range(5))})
    from arabic_dedup.integrations import dedup_dataset, duplicate_filter

    out = dedup_dataset(ds)
    assert out["n"][:] == [0, 1, 3] and out.column_names == ["text", "n"]
    kept = ds.filter(duplicate_filter(ds), with_indices=True)
    assert kept["n"][:] == [0, 1, 3]
    assert dedup_dataset(ds, keep="longest")["n"][:] == [2, 3, 4]
    with pytest.raises(ConfigError, match="no column 'body'"):
        dedup_dataset(ds, "body")
    with pytest.raises(InputError, match=r"expected a datasets\.Dataset"):
        dedup_dataset([{"text": "x"}])


def test_text_column_is_a_deprecated_spelling_of_text_col() -> None:
    datasets = pytest.importorskip("datasets")
    from arabic_dedup.integrations import dedup_dataset

    ds = datasets.Dataset.from_dict({"body": ["نص عربي قصير هنا", "نص عربي قصير هنا", "آخر مختلف"]})
    with pytest.warns(DeprecationWarning, match="text_col="):
        old = dedup_dataset(ds, text_column="body")
    assert old["body"] == dedup_dataset(ds, "body")["body"] == ["نص عربي قصير هنا", "آخر مختلف"]
