"""The compiled kernels: numba versions of the stages' inner loops, one module per stage.

A leaf: nothing here imports a stage module. Each stage hands its kernel everything the rule
needs (constants, limits) as arguments, so the rule keeps one owner, and chooses between its
kernel and its reference code through :func:`arabic_dedup._engine.kernels` alone. Importing
this package compiles nothing: numba compiles (or loads from its on-disk cache) each kernel at
its first call.
"""

from __future__ import annotations

# First: drops stale builds before any kernel module sets up its cache (see _cache).
from . import _cache  # noqa: F401
from .boilerplate import (
    boilerplate_filter,
    cell_counts,
    common_of,
    filter_common,
    hot_hashes,
    merge_rows,
    removed_of,
)
from .cluster import grouped_stars
from .facts import build_lexicon_table, fact_evidence
from .lsh import bucket_pairs, set_hashes, sets_equal, sort_with_order
from .minhash import signature_batch, signature_batch_serial
from .shingle import shingle_batch, shingle_batch_serial
from .verify import intersect_counts, intersect_counts_serial

__all__ = [
    "boilerplate_filter",
    "bucket_pairs",
    "build_lexicon_table",
    "cell_counts",
    "common_of",
    "fact_evidence",
    "filter_common",
    "grouped_stars",
    "hot_hashes",
    "intersect_counts",
    "intersect_counts_serial",
    "merge_rows",
    "removed_of",
    "set_hashes",
    "sets_equal",
    "shingle_batch",
    "shingle_batch_serial",
    "signature_batch",
    "signature_batch_serial",
    "sort_with_order",
]
