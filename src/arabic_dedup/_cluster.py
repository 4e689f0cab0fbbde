"""Stage 6: verified pairs -> clusters, without chaining.

Single-linkage (connected components) chains: A~B and B~C would put A and C together even
when they share little. Here every cluster is a star around one kept document, the
representative: documents are visited in keep order (first seen, longest, or the caller's
key), and each joins the most similar representative it was verified against, or becomes a
representative itself. So every member is a verified near-duplicate of its representative.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from ._engine import kernels
from ._errors import ConfigError, InputError
from ._facts import MATCH_KINDS
from ._lsh import Candidates, decode_pairs, encode_pairs
from ._shingle import ShingleSets
from ._verify import Verifier

__all__ = [
    "KEEP_ORDERS",
    "KEEP_POLICIES",
    "Clusters",
    "KeepOrder",
    "KeepPolicy",
    "KeepRule",
    "SortValues",
    "cluster_sizes",
    "grouped_star_clusters",
    "keep_order",
    "kind_names",
    "leader_ranks",
    "listed_pairs",
    "match_kinds",
    "prefer_ranks",
    "star_clusters",
]

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


def leader_ranks(order: NDArray[np.int64], group: NDArray[np.int64], m: int) -> NDArray[np.int64]:
    """Each of the ``m`` groups' first position in keep ``order`` (its leader's rank)."""
    n = order.size
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    leader_rank = np.full(m, n, dtype=np.int64)
    np.minimum.at(leader_rank, group, rank)
    return leader_rank


def grouped_star_clusters(
    order: NDArray[np.int64],
    group: NDArray[np.int64],
    sims: NDArray[np.float64],
    cands: Candidates,
    sets: ShingleSets | None,
    verifier: Verifier,
    facts: ShingleSets | None = None,
) -> Clusters:
    """:func:`star_clusters` of documents collapsed into groups of identical shingle sets.

    ``group[d]`` is document ``d``'s group (row of ``sets``, the distinct sets);
    ``cands.pairs`` are the verified group pairs from small buckets, ``sims`` their
    similarities; members of giant buckets are compared, as documents are visited in keep
    ``order``, with that bucket's documents kept so far only (``verifier`` decides). The
    decisions are star_clusters' on every verified document pair, because a document only
    ever joins a kept document earlier in keep order (the most similar, ties to the earliest):

    * only a group's first document in keep order (its leader) can be kept; every copy after
      a kept leader joins it (similarity 1.0 is the maximum, and an earlier kept document
      equally similar would have taken the leader);
    * a copy after a leader that was not kept joins the best kept document earlier than
      itself, which may be one kept after the leader: each group remembers its best so far
      and what it has scanned, so copies cost no new comparisons.
    """
    n = order.size
    m = int(group.max()) + 1 if n else 0
    if sets is None:  # no giant bucket: nothing is compared here
        sets = ShingleSets(np.empty(0, dtype=np.uint32), np.zeros(1, dtype=np.int64))
    leader_rank = leader_ranks(order, group, m)
    # Small-bucket neighbours of each group, both directions, in their leaders' keep order:
    # edge 2k is pair k's (i -> j), edge 2k + 1 its (j -> i). No two edges share a key (pairs
    # are distinct, a leader leads one group), so the order is the key's alone. Temporaries
    # are freed as soon as they are used: with a pair a document, these arrays are the
    # stage's peak (spilled runs).
    pairs = cands.pairs
    src = pairs.ravel()  # a view
    dst = pairs[:, ::-1].ravel()  # a copy
    key = leader_rank[dst]
    key += src * np.int64(n + 1)
    by = np.argsort(key, kind="stable")
    del key
    adj_dst = dst[by]
    del dst
    adj_sim = np.repeat(sims, 2)[by]
    del by
    adj_off = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=m), out=adj_off[1:])
    # Each group's giant buckets.
    gb_off = cands.giant_offsets
    gb_mem = cands.giant_members
    bucket = np.repeat(np.arange(gb_off.size - 1, dtype=np.int64), np.diff(gb_off))
    by = np.argsort(gb_mem, kind="stable")
    gg_bucket = bucket[by]
    gg_off = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(gb_mem, minlength=m), out=gg_off[1:])
    if verifier.facts is not None and cands.n_giant:
        facts = verifier.fingerprints(facts)  # the giant loop judges pairs by them
    k = kernels()
    if k is not None:
        rep, sim = k.grouped_stars(
            order, group, leader_rank, adj_off, adj_dst, adj_sim, gb_off, gg_off, gg_bucket,
            sets.hashes, sets.offsets, *verifier.kernel_args(),
            verifier.fact_kernel_args(facts),
        )  # fmt: skip
        return Clusters(rep, sim)
    return _grouped_stars(
        order, group, leader_rank, adj_off, adj_dst, adj_sim, gb_off, gg_off, gg_bucket, sets,
        verifier, facts,
    )  # fmt: skip


def _grouped_stars(
    order: NDArray[np.int64],
    group: NDArray[np.int64],
    leader_rank: NDArray[np.int64],
    adj_off: NDArray[np.int64],
    adj_dst: NDArray[np.int64],
    adj_sim: NDArray[np.float64],
    gb_off: NDArray[np.int64],
    gg_off: NDArray[np.int64],
    gg_bucket: NDArray[np.int64],
    sets: ShingleSets,
    verifier: Verifier,
    facts: ShingleSets | None = None,
) -> Clusters:
    """The reference loop (``kernels.cluster.grouped_stars`` is its compiled twin)."""
    n, m = order.size, leader_rank.size
    rep = np.arange(n, dtype=np.int64)
    sim = np.ones(n, dtype=np.float64)
    seen = [False] * m
    kept = [False] * m
    best: list[tuple[float, int, int] | None] = [None] * m  # (similarity, -rank, group)
    adj_ptr = adj_off[:-1].tolist()
    gg_ptr = [0] * gg_bucket.size
    kept_in: list[list[int]] = [[] for _ in range(gb_off.size - 1)]

    def offer(g: int, s: float, k: int) -> None:
        cand = (s, -int(leader_rank[k]), k)
        cur = best[g]
        if cur is None or cand[:2] > cur[:2]:
            best[g] = cand

    for t, d in enumerate(order.tolist()):
        g = int(group[d])
        first = not seen[g]
        seen[g] = True
        if not first and kept[g]:
            rep[d] = order[leader_rank[g]]
            continue
        p = adj_ptr[g]
        while p < adj_off[g + 1] and leader_rank[adj_dst[p]] < t:
            if kept[int(adj_dst[p])]:
                offer(g, float(adj_sim[p]), int(adj_dst[p]))
            p += 1
        adj_ptr[g] = p
        new: dict[int, None] = {}
        for q in range(int(gg_off[g]), int(gg_off[g + 1])):
            b = int(gg_bucket[q])
            new.update(dict.fromkeys(kept_in[b][gg_ptr[q] :]))
            gg_ptr[q] = len(kept_in[b])
        if new:
            others = np.array(list(new), dtype=np.int64)
            pairs = np.stack([np.full(others.size, g, dtype=np.int64), others], axis=1)
            sims, ok = verifier(sets, pairs, facts)
            for k, s in zip(others[ok].tolist(), sims[ok].tolist(), strict=True):
                offer(g, s, k)
        chosen = best[g]
        if chosen is None:
            kept[g] = True
            for q in range(int(gg_off[g]), int(gg_off[g + 1])):
                kept_in[int(gg_bucket[q])].append(g)
        else:
            rep[d] = order[leader_rank[chosen[2]]]
            sim[d] = chosen[0]
    return Clusters(rep, sim)


def listed_pairs(
    order: NDArray[np.int64],
    group: NDArray[np.int64],
    sims: NDArray[np.float64],
    cands: Candidates,
    clusters: Clusters,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """The document pairs ``DedupResult.pairs`` lists, sorted, with their similarities:

    * every verified pair (at or above the threshold, or joined by the boilerplate rescue)
      of two documents sharing an LSH bucket of at most ``GIANT_BUCKET`` documents (so every
      such pair when no bucket is bigger);
    * whatever the buckets, each duplicate with its kept document (``duplicate_of``), and
      each exact duplicate (identical shingle set) with the first of its copies in keep order.

    Inside giant buckets, all verified pairs would be quadratic in the bucket's size.
    """
    n = group.size
    sizes = np.bincount(group)  # documents per group (every group has one)
    if cands.n_giant == 0 and sizes.size == n and bool((sizes == 1).all()):
        return cands.pairs, sims  # groups are documents and every bucket is small
    # The parts are freed as soon as they are joined: with a pair or two a document, this
    # is the cluster stage's peak (a spilled run's highest at 5M documents).
    members = np.argsort(group, kind="stable")
    mem_off = np.zeros(sizes.size + 1, dtype=np.int64)
    np.cumsum(sizes, out=mem_off[1:])
    codes = []
    values = []
    # Small-bucket group pairs: every member of one with every member of the other.
    ga, gb = cands.pairs[:, 0], cands.pairs[:, 1]
    codes_s, take = _cross(members, mem_off, sizes, ga, gb, n)
    codes.append(codes_s)
    values.append(sims[take])
    # Copies sharing a small bucket: every pair of them.
    multi = np.flatnonzero((sizes > 1) & cands.has_small[: sizes.size])
    codes_w, _ = _cross(members, mem_off, sizes, multi, multi, n)
    codes.append(codes_w)
    values.append(np.ones(codes_w.size))
    del members, mem_off, take, multi  # the parts themselves stay in codes until joined
    # Each duplicate with its kept document; each copy with its first copy in keep order.
    rep = clusters.representative
    dup = np.flatnonzero(rep != np.arange(n))
    codes.append(encode_pairs(rep[dup], dup, n))
    values.append(clusters.similarity[dup])
    lead_rank = leader_ranks(order, group, sizes.size)
    lead = order[np.minimum(lead_rank, n - 1)][group] if n else group
    copy = np.flatnonzero(lead != np.arange(n))
    codes.append(encode_pairs(lead[copy], copy, n))
    values.append(np.ones(copy.size))
    del dup, lead_rank, lead, copy
    code = np.concatenate(codes)
    del codes
    value = np.concatenate(values)
    del values
    by = np.argsort(code, kind="stable")
    code = code[by]
    value = value[by]
    del by
    keep = np.r_[True, code[1:] != code[:-1]] if code.size else np.zeros(0, dtype=bool)
    code = code[keep]
    value = value[keep]
    del keep
    return decode_pairs(code, n), value


def _cross(
    members: NDArray[np.int64],
    mem_off: NDArray[np.int64],
    sizes: NDArray[np.int64],
    ga: NDArray[np.int64],
    gb: NDArray[np.int64],
    n: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Codes ``i * n + j`` (``i < j``) of the member pairs of group pairs ``(ga, gb)`` (for
    ``ga == gb``, the pairs within the group), and for each the index of its group pair."""
    sa, sb = sizes[ga], sizes[gb]
    count = sa * sb
    which = np.repeat(np.arange(ga.size, dtype=np.int64), count)
    start = np.repeat(np.cumsum(count) - count, count)
    k = np.arange(which.size, dtype=np.int64) - start
    del start
    x = members[mem_off[ga][which] + k // sb[which]]
    y = members[mem_off[gb][which] + k % sb[which]]
    del k
    if ga is gb:
        ok = x < y
        x, y, which = x[ok], y[ok], which[ok]
    return np.minimum(x, y) * n + np.maximum(x, y), which


def keep_order(
    lengths: NDArray[np.int64], keep: KeepPolicy | KeepRule | Callable[[int], Any]
) -> NDArray[np.int64]:
    """Documents in keep priority (most preferred first): input order, longest first (ties
    in input order), by a :class:`KeepRule` (the data: earliest, latest, a source priority),
    or by ``keep(index)`` ascending (ties in input order)."""
    n = lengths.size
    if keep == "first":
        return np.arange(n, dtype=np.int64)
    if keep == "longest":
        return np.lexsort((np.arange(n), -lengths)).astype(np.int64)
    if isinstance(keep, KeepRule):
        keys = keep.sort_keys(lengths)
        return np.lexsort((np.arange(n), *reversed(keys))).astype(np.int64)
    if callable(keep):
        return np.array(sorted(range(n), key=lambda i: (keep(i), i)), dtype=np.int64)
    raise ConfigError(
        f"keep must be 'first', 'longest', a KeepRule or a callable index -> sort key, got {keep!r}"
    )


def cluster_sizes(representative: NDArray[np.int64]) -> NDArray[np.int64]:
    """Every document's cluster size (1 without duplicates), kept document included.

    >>> cluster_sizes(np.array([0, 0, 2, 0])).tolist()
    [3, 3, 1, 3]
    """
    if representative.size == 0:
        return representative.copy()
    return np.bincount(representative, minlength=representative.size)[representative]


# -- what kind of match a duplicate is ---------------------------------------------------------

# ``match_kinds`` gives each duplicate a code into ``_facts.MATCH_KINDS`` (the one vocabulary,
# shared with the fact check's pair kinds), kept documents ``KEPT``; every output
# (``DedupResult.match_kind``, ``clusters.jsonl``, ``report.json``) reads the names from there.
EXACT, NEAR = MATCH_KINDS.index("exact"), MATCH_KINDS.index("near")
BOILERPLATE, UPDATE = MATCH_KINDS.index("boilerplate"), MATCH_KINDS.index("update")
MEMBER_KINDS = (EXACT, NEAR, BOILERPLATE, UPDATE)  # the codes match_kinds gives
KEPT = -1


def match_kinds(
    group: NDArray[np.int64],
    representative: NDArray[np.int64],
    rescued: NDArray[np.int64] | None = None,
    updates: NDArray[np.int64] | None = None,
) -> NDArray[np.int8]:
    """How each document matches its kept document, as a code into ``MATCH_KINDS`` (``KEPT``
    for kept documents): ``exact`` when the two have the same shingle set as the detector
    compares them (``group``: after normalisation, boilerplate shingles ignored),
    ``update`` when the two are a pair of ``updates`` (rows: document pairs the fact check
    judged an update, joined with ``facts="join"``: one figure revised, so the member is marked
    and never looks like a plain copy), ``boilerplate`` when their groups are a pair of
    ``rescued`` (rows: group pairs the boilerplate rescue joined), ``near`` for every other
    verified match.

    >>> import numpy as np
    >>> match_kinds(np.array([0, 0, 1, 2]), np.array([0, 0, 0, 3])).tolist()
    [-1, 0, 1, -1]
    >>> match_kinds(np.array([0, 1, 2]), np.array([0, 0, 0]), np.array([[2, 0]])).tolist()
    [-1, 1, 7]
    >>> match_kinds(np.array([0, 1]), np.array([0, 0]), updates=np.array([[0, 1]])).tolist()
    [-1, 4]
    """
    n = representative.size
    out = np.where(group == group[representative], EXACT, NEAR).astype(np.int8)
    if rescued is not None and rescued.size:
        m = max(int(group.max()), int(rescued.max())) + 1
        key = encode_pairs(group, group[representative], m)
        rkey = encode_pairs(rescued[:, 0], rescued[:, 1], m)
        out[np.isin(key, rkey) & (out == NEAR)] = BOILERPLATE
    if updates is not None and updates.size:
        key = encode_pairs(np.arange(n, dtype=np.int64), representative, n)
        ukey = encode_pairs(updates[:, 0], updates[:, 1], n)
        out[np.isin(key, ukey) & (out != EXACT)] = UPDATE
    out[representative == np.arange(n)] = KEPT
    return out


def kind_names(codes: NDArray[np.int8]) -> list[str | None]:
    """The names of ``match_kinds`` codes (None for kept documents)."""
    names: list[str | None] = [*MATCH_KINDS, None]  # code -1 indexes the last entry
    return [names[c] for c in codes.tolist()]


# -- keep rules from the data ------------------------------------------------------------------

KeepOrder = Literal["first", "longest", "earliest", "latest"]
KEEP_ORDERS: tuple[KeepOrder, ...] = ("first", "longest", "earliest", "latest")
_BY_VALUE: tuple[KeepOrder, ...] = ("earliest", "latest")
_SORTABLE = "a number or an ISO 8601 date (2015-07-21, 2015-07-21T08:30:00+03:00)"


class SortValues:
    """``earliest`` / ``latest`` values, read one at a time: numbers, or dates and times
    (ISO 8601 strings, or date objects as Parquet and pandas give them; a time without a zone
    counts as UTC). A string holding a number is a number (CSV fields are strings). Missing
    values (None, NaN, NaT, NA, empty or blank strings) are NaN and sort last. One rule for
    every caller: values of both kinds in one run are an error, as is a string that is
    neither."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.kind: str | None = None  # "number" or "date", from the first value present

    def add(self, value: Any) -> str | None:
        """Add one value; returns why it cannot be used (then nothing is added), or None."""
        parsed = _sort_value(value)
        if isinstance(parsed, str):
            return parsed
        if parsed is None:
            self.values.append(float("nan"))
            return None
        kind, x = parsed
        if self.kind is None:
            self.kind = kind
        elif kind != self.kind:
            return (
                f"{_shown(value)} is a {kind} where earlier records hold {self.kind}s; "
                "earliest/latest compares values of one kind"
            )
        self.values.append(x)
        return None

    def array(self) -> NDArray[np.float64]:
        return np.array(self.values, dtype=np.float64)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _sort_value(value: Any) -> tuple[str, float] | str | None:
    import datetime as dt
    import math

    try:
        if value is None or bool(value != value):  # NaN, and pandas' NaT
            return None
    except TypeError:  # pandas' NA: its truth is undefined
        return None
    if isinstance(value, bool):
        return f"{value!r} is a boolean, not {_SORTABLE}"
    if isinstance(value, int | float | np.integer | np.floating):
        return "number", float(value)
    if isinstance(value, dt.datetime | dt.date):
        return "date", _timestamp(value)
    if not isinstance(value, str):
        return f"{_shown(value)} is a {type(value).__name__}, not {_SORTABLE}"
    text = value.strip()
    if not text:
        return None
    try:
        x = float(text)
    except ValueError:
        pass
    else:
        return None if math.isnan(x) else ("number", x)
    try:
        return "date", _timestamp(dt.datetime.fromisoformat(text))
    except ValueError:
        return f"{_shown(value)} is not {_SORTABLE}"


def _timestamp(value: Any) -> float:
    import datetime as dt

    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return float(value.timestamp())


@dataclass(frozen=True)
class KeepRule:
    """Which text of a cluster is kept, from data about the texts.

    ``order``: ``first`` (input order), ``longest``, ``earliest`` or ``latest`` (smallest or
    largest of ``by``, one value per text: numbers, or ISO 8601 dates; missing values are
    placed last). ``prefer``: values of ``prefer_by`` (one per text, e.g. each text's source)
    in priority order: a text whose value is earlier in the list is kept first, texts with
    another or no value come after every listed one; ``order`` decides among equals, then
    input order.

    >>> rule = KeepRule("earliest", by=["2015-07-21", "2015-07-20", None, "2015-07-20"])
    >>> keep_order(np.zeros(4, dtype=np.int64), rule).tolist()
    [1, 3, 0, 2]
    >>> rule = KeepRule(prefer=["spa"], prefer_by=["sabq", "spa", "okaz"])
    >>> keep_order(np.zeros(3, dtype=np.int64), rule).tolist()
    [1, 0, 2]
    """

    order: KeepOrder = "first"
    by: Sequence[Any] | NDArray[Any] | None = None
    prefer: Sequence[Any] = ()
    prefer_by: Sequence[Any] | None = None

    def __post_init__(self) -> None:
        if self.order not in KEEP_ORDERS:
            raise ConfigError(
                f"KeepRule order must be one of {', '.join(KEEP_ORDERS)}, got {self.order!r}"
            )
        if (self.order in _BY_VALUE) != (self.by is not None):
            raise ConfigError(
                f"KeepRule order {self.order!r} "
                + ("needs by=, one value per text" if self.by is None else "takes no by= values")
                + "; by= goes with earliest or latest"
            )
        if bool(self.prefer) != (self.prefer_by is not None):
            raise ConfigError(
                "KeepRule prefer= (the values in priority order) and prefer_by= (each text's "
                "value) go together; give both or neither"
            )
        if isinstance(self.prefer, str):
            raise ConfigError(
                f"KeepRule prefer= is a list of values, got the string {self.prefer!r}; "
                f"wrap it: prefer=[{self.prefer!r}]"
            )
        object.__setattr__(self, "prefer", tuple(self.prefer))

    def describe(self) -> dict[str, Any]:
        """The rule as reports record it (the values themselves are left out)."""
        return {"order": self.order, "prefer": list(self.prefer)}

    def sort_keys(self, lengths: NDArray[np.int64]) -> list[NDArray[Any]]:
        """The keys this rule sorts by, most significant first (input order breaks ties)."""
        n = lengths.size
        keys: list[NDArray[Any]] = []
        if self.prefer_by is not None:
            values = self._per_text(self.prefer_by, "prefer_by", n)
            keys.append(prefer_ranks(values, self.prefer))
        if self.order == "longest":
            keys.append(-lengths)
        elif self.by is not None:
            if isinstance(self.by, np.ndarray) and self.by.dtype.kind == "f":
                values_f = self.by.astype(np.float64)  # already parsed (the file engine)
            else:
                sv = SortValues()
                for i, v in enumerate(self._per_text(self.by, "by", n)):
                    why = sv.add(v)
                    if why is not None:
                        raise InputError(f"KeepRule by= value of text #{i}: {why}")
                values_f = sv.array()
            missing = np.isnan(values_f)
            x = np.where(missing, 0.0, values_f)
            keys += [missing, x if self.order == "earliest" else -x]
        return keys

    @staticmethod
    def _per_text(
        values: Sequence[Any] | NDArray[Any], name: str, n: int
    ) -> Sequence[Any] | NDArray[Any]:
        if len(values) != n:
            raise InputError(f"KeepRule {name}= has {len(values)} values for {n} texts")
        return values


def prefer_ranks(values: Sequence[Any] | NDArray[Any], prefer: Sequence[Any]) -> NDArray[np.int64]:
    """Each value's position in ``prefer`` (``len(prefer)`` when absent or missing)."""
    rank = {v: i for i, v in reversed(list(enumerate(prefer)))}
    last = len(prefer)
    out = np.full(len(values), last, dtype=np.int64)
    for i, v in enumerate(values):
        try:
            out[i] = rank.get(v, last)
        except TypeError:  # unhashable (a list, a dict): never one of the preferred values
            pass
    return out


@dataclass(frozen=True)
class KeepFields:
    """A :class:`KeepRule` read from each record's fields (the CLI's ``--keep``,
    ``--keep-by``, ``--prefer-field`` and ``--prefer``): the file engine collects the values
    record by record (:meth:`collector`) and sorts by the rule they make.

    A record without the ``by`` field (or with null) is placed last; a value that is neither a
    number nor an ISO 8601 date is an error naming the record. ``prefer_field`` values are
    compared as text (a JSON number ``1`` matches ``"1"``); a record with another value, or
    none, comes after every listed one.
    """

    order: KeepOrder = "first"
    by: str | None = None
    prefer_field: str | None = None
    prefer: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.order not in KEEP_ORDERS:
            raise ConfigError(f"--keep must be one of {', '.join(KEEP_ORDERS)}, got {self.order!r}")
        if self.order in _BY_VALUE and self.by is None:
            raise ConfigError(
                f"--keep {self.order} needs --keep-by FIELD, the date or number field to compare"
            )
        if self.by is not None and self.order not in _BY_VALUE:
            raise ConfigError(
                f"--keep-by {self.by} needs --keep earliest or --keep latest "
                f"(got --keep {self.order})"
            )
        if bool(self.prefer) != (self.prefer_field is not None):
            raise ConfigError(
                "--prefer-field FIELD and --prefer VALUE,... go together (the field, and its "
                "values in priority order); give both or neither"
            )

    def describe(self) -> dict[str, Any]:
        """The rule as report.json records it."""
        return {
            "order": self.order,
            "by": self.by,
            "prefer_field": self.prefer_field,
            "prefer": list(self.prefer),
        }

    def collector(self) -> FieldCollector:
        return FieldCollector(self)


class FieldCollector:
    """Collects one run's :class:`KeepFields` values, one record at a time (8 bytes and a
    reference per record, never the records)."""

    def __init__(self, fields: KeepFields) -> None:
        self.fields = fields
        self.by = SortValues() if fields.by is not None else None
        self.preferred: list[str | None] = []
        self._prefer = set(fields.prefer)
        self._records = 0
        # The fields a flag names that no record has had yet (emptied as soon as they are seen).
        self._unseen = {n for n in (fields.by, fields.prefer_field) if n is not None}
        self._first: list[str] = []  # the first record's field names, for the message

    def add(self, record: dict[str, Any]) -> str | None:
        """Take one record's values; returns why they cannot be used, or None."""
        f = self.fields
        if not self._records:
            self._first = [str(k) for k in record]
        self._records += 1
        if self._unseen:
            self._unseen -= record.keys()
        if self.by is not None and f.by is not None:
            why = self.by.add(record.get(f.by))
            if why is not None:
                return (
                    f"field {f.by!r} (--keep-by): {why}; fix or remove the value "
                    "(records without the field are kept last)"
                )
        if f.prefer_field is not None:
            v = record.get(f.prefer_field)
            text = v if isinstance(v, str) or v is None else json.dumps(v, ensure_ascii=False)
            self.preferred.append(text if text in self._prefer else None)
        return None

    def rule(self) -> KeepRule:
        """The rule of the values collected; ConfigError when records were read but none had
        the field a flag names (a misspelt --keep-by would otherwise keep by input order)."""
        f = self.fields
        if self._records and self._unseen:
            flag, name = (
                ("--keep-by", f.by) if f.by in self._unseen else ("--prefer-field", f.prefer_field)
            )
            shown = ", ".join(repr(n) for n in self._first[:12])
            raise ConfigError(
                f"{flag} {name!r}: none of the {self._records:,} records has this field "
                f"(the first has {shown or 'no fields'}); check the name"
            )
        prefer_by = self.preferred if f.prefer_field is not None else None
        by = self.by.array() if self.by is not None else None
        return KeepRule(f.order, by=by, prefer=f.prefer, prefer_by=prefer_by)
