"""Pipeline steps for pandas DataFrames and Hugging Face datasets.

Neither library is imported until a function here is called; both are optional extras
(``pip install 'arabic-dedup[pandas]'``, ``pip install 'arabic-dedup[datasets]'``). The work is
:func:`arabic_dedup.find_duplicates`, so the options (``threshold``, ``similarity``, ``max_df``,
``config=`` ...) and the answers are the same as everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._clusters_out import CLUSTER_FIELDS
from ._dedup import DedupResult, find_duplicates
from ._errors import ConfigError, InputError

__all__ = [
    "CLUSTER_COLUMNS",
    "OUTPUT_COLUMNS",
    "dedup_dataframe",
    "dedup_dataset",
    "duplicate_filter",
]

#: The columns :func:`dedup_dataframe` adds.
OUTPUT_COLUMNS = ("cluster_id", "keep", "duplicate_of", "similarity")
#: The columns ``cluster_fields=True`` adds: :func:`dedup_dataframe` the size and the match
#: kind, :func:`dedup_dataset` the cluster's id and size (as the CLI's ``--cluster-fields``).
CLUSTER_COLUMNS = ("cluster_size", "match_kind")


def _require_pandas() -> Any:
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError(
            "dedup_dataframe needs pandas: pip install 'arabic-dedup[pandas]'"
        ) from exc
    return pd


def _texts(values: list[Any], where: Callable[[int], str], column: str) -> list[str]:
    for i, t in enumerate(values):
        if not isinstance(t, str):
            what = "missing" if t is None or t != t else f"a {type(t).__name__}"
            raise InputError(
                f"{where(i)}: column {column!r} is {what}, not a string; "
                "drop or fill such rows first (e.g. df.dropna(subset=[...]))"
            )
    return values


def dedup_dataframe(
    df: Any,
    text_col: str = "text",
    *,
    keep: Any = "first",
    cluster_fields: bool = False,
    **options: Any,
) -> Any:
    """``df`` with four columns added: ``cluster_id`` and ``duplicate_of`` (index labels of the
    kept row; ``duplicate_of`` is None for kept rows), ``keep`` (bool) and ``similarity`` (to
    the kept row, 1.0 for kept rows); with ``cluster_fields=True`` also ``cluster_size`` (rows
    in the cluster, 1 without duplicates) and ``match_kind`` ("exact", "near", "boilerplate",
    "update"; None for kept rows). The original columns are untouched; ``df`` itself is not
    modified.
    ``options`` are :class:`DedupConfig` fields; ``keep`` as in ``find_duplicates`` (a
    ``KeepRule`` too).

    >>> import pandas as pd
    >>> df = pd.DataFrame({"text": [
    ...     "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في مدينة الرياض",
    ...     "اعلنت وزارة الصحه اليوم عن افتتاح مستشفى جديد فى مدينة الرياض",
    ... ]}, index=["spa-1", "sabq-7"])
    >>> out = dedup_dataframe(df)
    >>> out[out.keep].index.tolist(), out.loc["sabq-7", "duplicate_of"]
    (['spa-1'], 'spa-1')
    """
    pd = _require_pandas()
    if text_col not in df.columns:
        raise ConfigError(
            f"no column {text_col!r} (columns: {', '.join(map(str, df.columns))}); "
            "name the text column with text_col="
        )
    added = OUTPUT_COLUMNS + (CLUSTER_COLUMNS if cluster_fields else ())
    clash = [c for c in added if c in df.columns]
    if clash:
        raise ConfigError(
            f"df already has column(s) {', '.join(clash)}, which dedup_dataframe adds; "
            "rename or drop them first"
        )
    if not df.index.is_unique:
        raise ConfigError(
            "df's index has repeated labels, so duplicate_of would be ambiguous; "
            "use df.reset_index() first"
        )
    labels = df.index
    texts = _texts(df[text_col].tolist(), lambda i: f"row {labels[i]!r}", text_col)
    r = find_duplicates(texts, keep=keep, **options)
    dup = [None if d is None else labels[d] for d in r.duplicate_of]
    out = df.assign(
        cluster_id=labels.take(r.cluster_ids),
        keep=r.keep,
        duplicate_of=pd.Series(dup, index=labels, dtype=object),
        similarity=r.similarity,
    )
    if cluster_fields:
        out = out.assign(
            cluster_size=r.cluster_sizes(),
            match_kind=pd.Series(r.match_kind, index=labels, dtype=object),
        )
    return out


def _text_col(text_col: str, options: dict[str, Any]) -> str:
    # Deprecated in 0.2.0 (CHANGELOG.md): the datasets helpers took ``text_column`` where every
    # other DataFrame entry point (pandas, Spark) takes ``text_col``.
    if "text_column" in options:
        import warnings

        warnings.warn(
            "text_column= is deprecated and will be removed in 0.3.0; use text_col=",
            DeprecationWarning,
            stacklevel=3,
        )
        return str(options.pop("text_column"))
    return text_col


def _dataset_result(ds: Any, text_column: str, keep: Any, options: dict[str, Any]) -> DedupResult:
    names = getattr(ds, "column_names", None)
    if names is None or not hasattr(ds, "select"):
        raise InputError(
            f"expected a datasets.Dataset, got {type(ds).__name__} "
            "(for an IterableDataset, use arabic_dedup.Deduplicator as you iterate)"
        )
    if text_column not in names:
        raise ConfigError(
            f"no column {text_column!r} (columns: {', '.join(names)}); "
            "name the text column with text_col="
        )
    texts = _texts(list(ds[text_column]), lambda i: f"row {i}", text_column)
    return find_duplicates(texts, keep=keep, **options)


def dedup_dataset(
    ds: Any,
    text_col: str = "text",
    *,
    keep: Any = "first",
    cluster_fields: bool = False,
    **options: Any,
) -> Any:
    """The rows of a Hugging Face ``Dataset`` that are kept (one per cluster), in order; with
    ``cluster_fields=True`` each gets ``cluster_id`` (its row number in ``ds``) and
    ``cluster_size`` (rows of ``ds`` in its cluster, itself included), as the CLI's
    ``--cluster-fields`` adds them.

    >>> from datasets import Dataset  # doctest: +SKIP
    >>> dedup_dataset(Dataset.from_dict({"text": texts}), threshold=0.5)  # doctest: +SKIP
    """
    r = _dataset_result(ds, _text_col(text_col, options), keep, options)
    clash = [c for c in CLUSTER_FIELDS if cluster_fields and c in ds.column_names]
    if clash:
        raise ConfigError(
            f"the dataset already has column(s) {', '.join(clash)}, which "
            "cluster_fields=True adds; rename or drop them first"
        )
    kept = r.kept()
    out = ds.select(kept)
    if cluster_fields:
        sizes = r.cluster_sizes()[kept].tolist()
        out = out.add_column(CLUSTER_FIELDS[0], kept).add_column(CLUSTER_FIELDS[1], sizes)
    return out


def duplicate_filter(
    ds: Any, text_col: str = "text", *, keep: Any = "first", **options: Any
) -> Callable[[Any, int], bool]:
    """A predicate for ``ds.filter(..., with_indices=True)`` that keeps one row per cluster.

    The duplicates are found once, when this is called; the predicate only looks them up.

    >>> ds = ds.filter(duplicate_filter(ds), with_indices=True)  # doctest: +SKIP
    """
    kept = np.asarray(_dataset_result(ds, _text_col(text_col, options), keep, options).keep)

    def is_kept(_example: Any, index: int) -> bool:
        return bool(kept[index])

    return is_kept
