"""What dedup did, per cluster: ``DIR/clusters.jsonl``, the cluster counts of ``report.json``
and the ``cluster_id`` / ``cluster_size`` fields of kept records.

``clusters.jsonl`` has one line per cluster of two or more records, in the input order of
their kept records::

    {"kept": "a0", "size": 3, "members": [{"id": "c0", "similarity": 0.8125, "kind": "near"},
                                          {"id": "c2", "similarity": 1.0, "kind": "exact"}]}

``size`` counts the kept record too; ``members`` are the other records of the cluster in input
order, each with its verified similarity to the kept record (rounded as in
``duplicates.jsonl``) and its match kind (``_facts.MATCH_KINDS``). The lines are written one
cluster at a time and the members of a big cluster a chunk at a time: the work is one stable
sort of the records by cluster, and memory beyond the per-record arrays is one chunk.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._atomic import CLUSTERS_FILE
from ._cluster import KEPT, MEMBER_KINDS
from ._facts import MATCH_KINDS
from .formats import SIMILARITY_DIGITS, json_bytes

__all__ = [
    "CLUSTERS_FILE",
    "CLUSTER_FIELDS",
    "cluster_counts",
    "cluster_fields",
    "write_clusters",
]

#: The fields ``--cluster-fields`` adds to every kept record (and the pandas/datasets
#: helpers' columns): the cluster's id (its kept record's id) and its size.
CLUSTER_FIELDS = ("cluster_id", "cluster_size")
_CHUNK = 10_000  # members serialised at a time


def cluster_fields(kept_id: Any, size: int) -> dict[str, Any]:
    """The fields ``--cluster-fields`` adds to a kept record."""
    return dict(zip(CLUSTER_FIELDS, (kept_id, int(size)), strict=True))


def cluster_counts(representative: NDArray[np.int64], kinds: NDArray[np.int8]) -> dict[str, Any]:
    """``report.json``'s cluster counts: clusters of two or more, the largest one's size, and
    the duplicates per match kind (every kind named, zeros included)."""
    n = representative.size
    sizes = np.bincount(representative, minlength=n) if n else np.zeros(0, dtype=np.int64)
    by_code = np.bincount(kinds[kinds != KEPT].astype(np.int64), minlength=len(MATCH_KINDS))
    return {
        "clusters": int((sizes >= 2).sum()),
        "largest_cluster": int(sizes.max()) if n else 0,
        "duplicates_by_kind": {MATCH_KINDS[c]: int(by_code[c]) for c in MEMBER_KINDS},
    }


def _clusters(representative: NDArray[np.int64]) -> Iterator[tuple[int, NDArray[np.int64]]]:
    """(kept index, member indexes in input order) of every cluster of two or more, in the
    input order of the kept records."""
    n = representative.size
    if n == 0:
        return
    by = np.argsort(representative, kind="stable")  # grouped by kept index, input order inside
    reps = representative[by]
    starts = np.flatnonzero(np.r_[True, reps[1:] != reps[:-1]])
    ends = np.r_[starts[1:], n]
    big = ends - starts >= 2  # most records are alone: skip them without a Python step each
    for s, e in zip(starts[big].tolist(), ends[big].tolist(), strict=True):
        members = by[s:e]
        kept = int(reps[s])
        yield kept, members[members != kept]


def write_clusters(
    path: Path,
    ids: Sequence[Any],
    representative: NDArray[np.int64],
    similarity: NDArray[np.float64],
    kinds: NDArray[np.int8],
) -> int:
    """Write ``clusters.jsonl`` (see the module docstring); returns the number of lines."""
    n_lines = 0
    with open(path, "wb") as f:
        for kept, members in _clusters(representative):
            f.write(b'{"kept": ' + json_bytes(ids[kept]) + b', "size": ')
            f.write(str(members.size + 1).encode() + b', "members": [')
            for c in range(0, members.size, _CHUNK):
                part = members[c : c + _CHUNK]
                sims = [round(x, SIMILARITY_DIGITS) for x in similarity[part].tolist()]
                rows = [
                    {"id": ids[m], "similarity": s, "kind": MATCH_KINDS[k]}
                    for m, s, k in zip(part.tolist(), sims, kinds[part].tolist(), strict=True)
                ]
                f.write((b", " if c else b"") + json_bytes(rows)[1:-1])
            f.write(b"]}\n")
            n_lines += 1
    return n_lines
