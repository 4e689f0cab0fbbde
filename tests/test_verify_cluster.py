"""Stages 5 and 6: exact verification of candidate pairs, and star clusters without chaining."""

from __future__ import annotations

import numpy as np
from _impl import with_impl
from hypothesis import given, settings
from hypothesis import strategies as st

from arabic_dedup import ShingleSets, similarity
from arabic_dedup._cluster import star_clusters
from arabic_dedup._verify import intersections, verify_pairs

# Small values overlap often; a few huge ones exercise the full uint32 range.
values = st.one_of(st.integers(0, 40), st.sampled_from([2**31, 2**32 - 2, 2**32 - 1]))
hash_sets = st.sets(values, max_size=30)


def arr(s: set[int]) -> np.ndarray:
    return np.array(sorted(s), dtype=np.uint32)


def py_similarity(a: set[int], b: set[int], kind: str) -> float:
    inter = len(a & b)
    denom = len(a | b) if kind == "jaccard" else min(len(a), len(b))
    return inter / denom if denom else 0.0


# -- similarity / verify_pairs --------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(a=hash_sets, b=hash_sets, kind=st.sampled_from(["jaccard", "containment"]))
def test_similarity_is_set_arithmetic(a: set[int], b: set[int], kind: str) -> None:
    got = similarity(arr(a), arr(b), kind)  # type: ignore[arg-type]
    assert isinstance(got, float)
    assert got == py_similarity(a, b, kind)
    assert got == similarity(arr(b), arr(a), kind)  # type: ignore[arg-type]


def test_similarity_edge_cases() -> None:
    empty = arr(set())
    one = arr({5})
    assert similarity(empty, empty) == 0.0
    assert similarity(empty, one) == 0.0
    assert similarity(one, one) == 1.0
    assert similarity(arr({1, 2}), arr({1, 2, 3, 4}), "containment") == 1.0
    assert similarity(arr({1, 2}), arr({1, 2, 3, 4}), "jaccard") == 0.5


@settings(max_examples=60, deadline=None)
@given(
    sets=st.lists(hash_sets, min_size=1, max_size=10),
    data=st.data(),
    kind=st.sampled_from(["jaccard", "containment"]),
)
def test_verify_pairs_fast_equals_reference_equals_sets(
    sets: list[set[int]], data: st.DataObject, kind: str
) -> None:
    n = len(sets)
    pairs_list = data.draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30)
    )
    pairs = np.array(pairs_list, dtype=np.int64).reshape(-1, 2)
    css = ShingleSets.from_arrays(arr(s) for s in sets)
    fast = with_impl(None, verify_pairs, css, pairs, kind)
    ref = with_impl("reference", verify_pairs, css, pairs, kind)
    expected = [py_similarity(sets[i], sets[j], kind) for i, j in pairs_list]
    assert fast.dtype == ref.dtype == np.float64
    assert fast.tolist() == ref.tolist() == expected
    inter = [len(sets[i] & sets[j]) for i, j in pairs_list]
    assert with_impl(None, intersections, css, pairs).tolist() == inter
    assert with_impl("reference", intersections, css, pairs).tolist() == inter


def test_verify_pairs_of_no_pairs() -> None:
    css = ShingleSets.from_arrays([arr({1, 2}), arr({2, 3})])
    out = verify_pairs(css, np.empty((0, 2), dtype=np.int64))
    assert out.shape == (0,)
    assert out.dtype == np.float64


# -- star clusters --------------------------------------------------------------------------


@st.composite
def graphs(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(1, 12))
    all_pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    edges = draw(st.lists(st.sampled_from(all_pairs), unique=True)) if all_pairs else []
    # A few distinct values, so that ties between representatives happen.
    sims = [draw(st.sampled_from([0.5, 0.6, 0.75, 0.9, 1.0])) for _ in edges]
    order = draw(st.permutations(range(n)))
    return n, edges, sims, list(order)


def run(n: int, edges: list, sims: list, order: list):  # type: ignore[no-untyped-def]
    pairs = np.array(edges, dtype=np.int64).reshape(-1, 2)
    return star_clusters(
        n, pairs, np.array(sims, dtype=np.float64), np.array(order, dtype=np.int64)
    )


@settings(max_examples=200, deadline=None)
@given(g=graphs())
def test_star_cluster_invariants(g) -> None:  # type: ignore[no-untyped-def]
    n, edges, sims, order = g
    cl = run(n, edges, sims, order)
    rep = cl.representative.tolist()
    rank = {d: r for r, d in enumerate(order)}
    sim_of = {}
    for (i, j), s in zip(edges, sims, strict=True):
        sim_of[(i, j)] = sim_of[(j, i)] = s
    kept = {d for d in range(n) if rep[d] == d}
    for d in range(n):
        r = rep[d]
        assert r in kept  # every representative is kept
        if d in kept:
            assert cl.similarity[d] == 1.0
            # Kept <=> no verified pair to a representative that comes earlier.
            assert not any((d, k) in sim_of and rank[k] < rank[d] for k in kept)
            continue
        assert (d, r) in sim_of  # every member is verified against its representative
        assert rank[r] < rank[d]  # the representative comes first in keep order
        assert cl.similarity[d] == sim_of[(d, r)]
        # It joined the most similar earlier representative; on a tie, the most preferred.
        best = max(sim_of[(d, k)] for k in kept if (d, k) in sim_of and rank[k] < rank[d])
        assert sim_of[(d, r)] == best
        tied = [k for k in kept if sim_of.get((d, k)) == best and rank[k] < rank[d]]
        assert rank[r] == min(rank[k] for k in tied)


@settings(max_examples=120, deadline=None)
@given(g=graphs(), data=st.data())
def test_star_clusters_do_not_depend_on_pair_order(g, data) -> None:  # type: ignore[no-untyped-def]
    n, edges, sims, order = g
    perm = data.draw(st.permutations(range(len(edges))))
    flips = data.draw(st.lists(st.booleans(), min_size=len(edges), max_size=len(edges)))
    edges2 = [edges[t][::-1] if flips[t] else edges[t] for t in perm]
    sims2 = [sims[t] for t in perm]
    a = run(n, edges, sims, order)
    b = run(n, edges2, sims2, order)
    assert a.representative.tolist() == b.representative.tolist()
    assert a.similarity.tolist() == b.similarity.tolist()


def test_chaining_does_not_merge_a_and_c() -> None:
    # A~B, B~C, A!~C: B joins A, so C (not like A) stays apart.
    cl = run(3, [(0, 1), (1, 2)], [0.9, 0.9], [0, 1, 2])
    assert cl.representative.tolist() == [0, 0, 2]
    assert cl.similarity.tolist() == [1.0, 0.9, 1.0]
    # With B preferred, both A and C are verified against B and join it.
    cl = run(3, [(0, 1), (1, 2)], [0.9, 0.8], [1, 0, 2])
    assert cl.representative.tolist() == [1, 1, 1]
    assert cl.similarity.tolist() == [0.9, 1.0, 0.8]


def test_a_document_joins_its_most_similar_representative() -> None:
    # 0 and 1 are both kept; 2 is verified against both, more similar to 1.
    cl = run(3, [(0, 2), (1, 2)], [0.6, 0.8], [0, 1, 2])
    assert cl.representative.tolist() == [0, 1, 1]
    cl = run(3, [(0, 2), (1, 2)], [0.8, 0.8], [1, 0, 2])  # a tie: the preferred one
    assert cl.representative.tolist() == [0, 1, 1]


def test_no_pairs_keeps_everything() -> None:
    cl = run(4, [], [], [3, 2, 1, 0])
    assert cl.representative.tolist() == [0, 1, 2, 3]
    assert cl.similarity.tolist() == [1.0] * 4
    assert run(0, [], [], []).representative.tolist() == []
