"""Stage 4: banding parameters (datasketch's rule), candidate pairs, and the streaming index."""

from __future__ import annotations

import importlib.util
import itertools

import numpy as np
import pytest
from datasketch.lsh import (
    _false_negative_probability,
    _false_positive_probability,
    _optimal_param,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from arabic_dedup import ConfigError, DedupConfig, SignatureError, optimal_params
from arabic_dedup._lsh import LSHIndex, band_hashes, candidate_pairs

# -- optimal_params -------------------------------------------------------------------------


def _ds_error(threshold: float, b: int, r: int, wfp: float, wfn: float) -> float:
    return wfp * _false_positive_probability(threshold, b, r) + wfn * _false_negative_probability(
        threshold, b, r
    )


@pytest.mark.parametrize(
    ("threshold", "num_perm", "wfp", "wfn"),
    [
        (0.2, 16, 0.5, 0.5),
        (0.35, 128, 0.5, 0.5),  # the default LSH threshold
        (0.5, 128, 0.5, 0.5),
        (0.7, 64, 0.5, 0.5),
        (0.9, 128, 0.5, 0.5),
        (1 / 3, 96, 0.5, 0.5),  # a threshold between grid points
        (0.3, 256, 0.5, 0.5),
        (0.5, 64, 0.9, 0.1),
        (0.5, 64, 0.1, 0.9),
    ],
)
def test_optimal_params_agree_with_datasketch(
    threshold: float, num_perm: int, wfp: float, wfn: float
) -> None:
    ours = optimal_params(threshold, num_perm, wfp, wfn)
    theirs = _optimal_param(threshold, num_perm, wfp, wfn)
    b, r = ours
    assert b >= 1 and r >= 1 and b * r <= num_perm
    if ours != theirs:
        # Only the integration method differs; our choice must be as good, within 1 %.
        assert _ds_error(threshold, b, r, wfp, wfn) <= 1.01 * _ds_error(
            threshold, *theirs, wfp, wfn
        )


@pytest.mark.parametrize("threshold", [0.0, 1.0, -0.1, 1.5])
def test_optimal_params_reject_thresholds_outside_0_1(threshold: float) -> None:
    with pytest.raises(ConfigError, match="threshold") as info:
        optimal_params(threshold, 128)
    assert isinstance(info.value, ValueError)


def test_explicit_banding_larger_than_num_perm_shows_the_numbers() -> None:
    with pytest.raises(ConfigError) as info:
        DedupConfig(num_perm=128, bands=20, rows=10)
    msg = str(info.value)
    for number in ("20", "10", "200", "128"):
        assert number in msg
    assert isinstance(info.value, ValueError)
    DedupConfig(num_perm=128, bands=16, rows=8)  # exactly num_perm is fine
    assert DedupConfig(num_perm=128, bands=16, rows=8).banding() == (16, 8)


def test_the_default_banding_proposes_pairs_at_the_threshold() -> None:
    """LSH_AIM: a pair whose Jaccard is at the default threshold is proposed with probability
    >= 0.97 (aiming at 0.7 of it, 29 x 2, gave 0.914 and lost labelled copies)."""
    cfg = DedupConfig()
    bands, rows = cfg.banding()
    assert 1 - (1 - cfg.cutoff**rows) ** bands >= 0.97
    assert bands * rows <= cfg.num_perm
    old = DedupConfig(lsh_threshold=round(0.7 * cfg.cutoff, 3)).banding()
    assert 1 - (1 - cfg.cutoff ** old[1]) ** old[0] < 0.95


def test_band_hashes_are_the_same_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """band_hashes works BAND_BLOCK documents at a time: a document's hashes do not depend on
    the block it falls in (the last one partial)."""
    import arabic_dedup._lsh as lsh

    sig = np.random.default_rng(3).integers(0, 2**32, (20, 16), dtype=np.uint32)
    whole = band_hashes(sig, 8, 2)
    monkeypatch.setattr(lsh, "BAND_BLOCK", 7)
    blocked = band_hashes(sig, 8, 2)
    alone = np.vstack([band_hashes(sig[i : i + 1], 8, 2) for i in range(sig.shape[0])])
    assert np.array_equal(blocked, whole) and np.array_equal(alone, whole)
    assert np.unique(whole).size == whole.size  # 160 distinct (document, band) hashes


def test_bands_without_rows_is_an_error() -> None:
    with pytest.raises(ConfigError, match="both bands and rows"):
        DedupConfig(bands=16)


def test_band_hashes_check_banding_and_shape() -> None:
    sig = np.zeros((3, 16), dtype=np.uint32)
    with pytest.raises(ConfigError, match="num_perm=16"):
        band_hashes(sig, 5, 4)
    with pytest.raises(SignatureError, match="2-D"):
        band_hashes(sig[0], 4, 4)
    assert band_hashes(sig, 4, 4).shape == (3, 4)
    assert band_hashes(sig, 4, 4).dtype == np.uint64


# -- candidate_pairs against brute force ----------------------------------------------------


def brute_force_pairs(sig: np.ndarray, bands: int, rows: int, active: np.ndarray | None) -> set:
    n = sig.shape[0]
    out = set()
    for i, j in itertools.combinations(range(n), 2):
        if active is not None and not (active[i] and active[j]):
            continue
        for band in range(bands):
            cols = slice(band * rows, (band + 1) * rows)
            if np.array_equal(sig[i, cols], sig[j, cols]):
                out.add((i, j))
                break
    return out


@st.composite
def planted_signatures(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(0, 25))
    bands = draw(st.integers(1, 8))
    rows = draw(st.integers(1, 4))
    extra = draw(st.integers(0, 3))  # columns past bands*rows are ignored
    high = draw(st.sampled_from([3, 2**32]))  # tiny alphabets collide by themselves
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    sig = rng.integers(0, high, size=(n, bands * rows + extra), dtype=np.uint64).astype(np.uint32)
    for _ in range(draw(st.integers(0, 2 * n))):  # plant equal bands
        i, j = rng.integers(0, n, size=2)
        band = rng.integers(0, bands)
        sig[j, band * rows : (band + 1) * rows] = sig[i, band * rows : (band + 1) * rows]
    use_active = draw(st.booleans())
    active = rng.random(n) < 0.7 if use_active else None
    return sig, bands, rows, active


@settings(max_examples=150, deadline=None)
@given(case=planted_signatures())
def test_candidate_pairs_equal_brute_force(case) -> None:  # type: ignore[no-untyped-def]
    sig, bands, rows, active = case
    got = candidate_pairs(sig, bands, rows, active=active)
    assert got.dtype == np.int64
    assert got.shape[1] == 2
    rows_list = [tuple(p) for p in got.tolist()]
    assert rows_list == sorted(set(rows_list))  # sorted, no repeats
    assert all(i < j for i, j in rows_list)
    assert set(rows_list) == brute_force_pairs(sig, bands, rows, active)


def test_candidate_pairs_active_mask_excludes_documents() -> None:
    sig = np.tile(np.arange(8, dtype=np.uint32), (4, 1))  # four identical signatures
    assert candidate_pairs(sig, 2, 4).tolist() == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]
    active = np.array([True, False, True, False])
    assert candidate_pairs(sig, 2, 4, active=active).tolist() == [[0, 2]]
    assert candidate_pairs(sig, 2, 4, active=np.zeros(4, dtype=bool)).shape == (0, 2)


def test_candidate_pairs_of_distinct_signatures_is_empty() -> None:
    sig = np.arange(40, dtype=np.uint32).reshape(5, 8)
    got = candidate_pairs(sig, 4, 2)
    assert got.shape == (0, 2)
    assert got.dtype == np.int64


# -- LSHIndex -------------------------------------------------------------------------------


def test_lsh_index_insert_query_remove() -> None:
    idx = LSHIndex(bands=2, rows=2)
    assert len(idx) == 0
    a = np.array([1, 2, 3, 4], dtype=np.uint32)
    b = np.array([1, 2, 7, 8], dtype=np.uint32)  # shares band 0 with a
    c = np.array([5, 6, 7, 8], dtype=np.uint32)  # shares band 1 with b
    idx.insert("a", a)
    idx.insert("b", b)
    idx.insert("c", c)
    assert len(idx) == 3
    assert "a" in idx and "z" not in idx
    assert list(idx) == ["a", "b", "c"]
    assert sorted(idx.query(a)) == ["a", "b"]
    assert sorted(idx.query(b)) == ["a", "b", "c"]
    assert idx.query(np.array([9, 9, 9, 9], dtype=np.uint32)) == []
    idx.remove("b")
    assert "b" not in idx
    assert len(idx) == 2
    assert sorted(idx.query(b)) == ["a", "c"]
    assert idx.query(np.array([1, 2, 0, 0], dtype=np.uint32)) == ["a"]
    with pytest.raises(KeyError):
        idx.remove("b")
    idx.insert("b", c)  # a removed key can come back
    assert sorted(idx.query(c)) == ["b", "c"]


def test_lsh_index_duplicate_key_is_an_error() -> None:
    idx = LSHIndex(bands=2, rows=2)
    idx.insert("a", np.arange(4, dtype=np.uint32))
    with pytest.raises(KeyError, match="'a'"):
        idx.insert("a", np.arange(4, 8, dtype=np.uint32))
    assert idx.query(np.arange(4, 8, dtype=np.uint32)) == []  # the failed insert left no trace
    assert len(idx) == 1


def test_lsh_index_checks_signatures_and_params() -> None:
    idx = LSHIndex(bands=4, rows=2)
    with pytest.raises(SignatureError, match="bands\\*rows=8"):
        idx.insert("a", np.zeros(7, dtype=np.uint32))
    with pytest.raises(SignatureError):
        idx.query(np.zeros((2, 8), dtype=np.uint32))
    with pytest.raises(ConfigError):
        LSHIndex(bands=0, rows=2)
    with pytest.raises(ConfigError):
        LSHIndex(bands=2, rows=0)


@settings(max_examples=60, deadline=None)
@given(case=planted_signatures())
def test_lsh_index_agrees_with_candidate_pairs(case) -> None:  # type: ignore[no-untyped-def]
    sig, bands, rows, _ = case
    idx = LSHIndex(bands=bands, rows=rows)
    for i in range(sig.shape[0]):
        idx.insert(i, sig[i])
    pairs = {tuple(p) for p in candidate_pairs(sig, bands, rows).tolist()}
    for i in range(sig.shape[0]):
        expected = {j for j in range(sig.shape[0]) if j == i or (min(i, j), max(i, j)) in pairs}
        assert set(idx.query(sig[i])) == expected


def test_lsh_index_is_deprecated_at_the_top_level() -> None:
    import arabic_dedup

    with pytest.warns(DeprecationWarning, match="LSHIndex is deprecated.*Deduplicator"):
        cls = arabic_dedup.LSHIndex
    assert cls is LSHIndex
    assert "LSHIndex" not in arabic_dedup.__all__


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba is not installed")
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_the_radix_sort_gives_the_stable_argsort(dtype: type) -> None:
    # Band keys: many singletons, runs of equal keys (whose positions must stay ascending),
    # keys differing only in one 16-bit digit, and the extremes of uint64.
    from arabic_dedup.kernels import sort_with_order

    rng = np.random.default_rng(7)
    keys = rng.integers(0, 2**64, 20_000, dtype=np.uint64)
    keys[::7] = keys[3]  # a large run
    keys[1::11] = rng.integers(0, 50, keys[1::11].size).astype(np.uint64) << np.uint64(48)
    keys[:4] = [0, 2**64 - 1, 2**64 - 1, 0]
    want = np.argsort(keys, kind="stable")
    got_keys = keys.copy()
    order = np.empty(keys.size, dtype=dtype)
    sort_with_order(got_keys, order)
    assert order.tolist() == want.tolist()
    assert np.array_equal(got_keys, keys[want])


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba is not installed")
def test_candidates_are_the_same_with_and_without_the_kernels() -> None:
    from _impl import with_impl

    from arabic_dedup import _engine

    assert with_impl(None, _engine.impl) == "fast"  # else this compares the reference with itself
    sig = np.random.default_rng(3).integers(0, 40, (400, 16), dtype=np.uint32)
    fast = with_impl(None, candidate_pairs, sig, 8, 2)
    ref = with_impl("reference", candidate_pairs, sig, 8, 2)
    assert fast.tolist() == ref.tolist() and len(fast) > 100
