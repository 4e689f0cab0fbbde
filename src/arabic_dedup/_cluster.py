"""Stage 6: verified pairs -> clusters, without chaining.

Single-linkage (connected components) chains: A~B and B~C would put A and C together even
when they share little. Here every cluster is a star around one kept document, the
representative: documents are visited in keep order (first seen, longest, or the caller's
key), and each joins the most similar representative it was verified against, or becomes a
representative itself. So every member is a verified near-duplicate of its representative.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ._errors import ConfigError

__all__ = ["KEEP_POLICIES", "Clusters", "KeepPolicy", "keep_order", "star_clusters"]

KeepPolicy = Literal["first", "longest"]
KEEP_POLICIES: tuple[KeepPolicy, ...] = ("first", "longest")


@dataclass(frozen=True)
class Clusters:
    representative: NDArray[np.int64]  # index of each document's representative (itself if kept)
    similarity: NDArray[np.float64]  # similarity to the representative (1.0 for representatives)


def star_clusters(
    n: int,
    pairs: NDArray[np.int64],
    sims: NDArray[np.float64],
    order: NDArray[np.int64],
) -> Clusters:
    """Assign every document to a representative.

    ``pairs`` are the verified pairs (already above the threshold), ``sims`` their
    similarities, ``order`` the documents in keep priority (most preferred first).

    >>> import numpy as np
    >>> pairs = np.array([[0, 1], [1, 2]]); sims = np.array([0.9, 0.9])
    >>> star_clusters(3, pairs, sims, np.arange(3)).representative.tolist()  # 2 is not like 0
    [0, 0, 2]
    """
    rep = np.arange(n, dtype=np.int64)
    sim_to_rep = np.ones(n, dtype=np.float64)
    if len(pairs) == 0:
        return Clusters(rep, sim_to_rep)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    # Orient every pair as (earlier in keep order, later): only earlier documents can be
    # representatives of later ones.
    a, b = pairs[:, 0], pairs[:, 1]
    swap = rank[a] > rank[b]
    first = np.where(swap, b, a)
    later = np.where(swap, a, b)
    # Visit the later side in keep order; within a document, best similarity first, then the
    # most preferred representative.
    visit = np.lexsort((rank[first], -sims, rank[later]))
    is_rep = np.ones(n, dtype=bool)
    assigned = np.zeros(n, dtype=bool)
    for t in visit:
        d = int(later[t])
        if assigned[d]:
            continue
        r = int(first[t])
        if is_rep[r]:
            rep[d] = r
            sim_to_rep[d] = sims[t]
            is_rep[d] = False
            assigned[d] = True
    return Clusters(rep, sim_to_rep)


def keep_order(
    lengths: NDArray[np.int64], keep: KeepPolicy | Callable[[int], Any]
) -> NDArray[np.int64]:
    """Documents in keep priority (most preferred first): input order, longest first (ties
    in input order), or by ``keep(index)`` ascending (ties in input order)."""
    n = lengths.size
    if keep == "first":
        return np.arange(n, dtype=np.int64)
    if keep == "longest":
        return np.lexsort((np.arange(n), -lengths)).astype(np.int64)
    if callable(keep):
        return np.array(sorted(range(n), key=lambda i: (keep(i), i)), dtype=np.int64)
    raise ConfigError(
        f"keep must be 'first', 'longest' or a callable index -> sort key, got {keep!r}"
    )
