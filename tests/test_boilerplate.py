"""The boilerplate filter: the compiled path equals the numpy reference, exemption included."""

from __future__ import annotations

import numpy as np
import pytest

from arabic_dedup._boilerplate import BoilerplateRule, drop_common, removed_shingles
from arabic_dedup._shingle import ShingleSets


def _corpus(seed: int) -> ShingleSets:
    rng = np.random.default_rng(seed)
    boiler = rng.integers(0, 2**32, 40, dtype=np.uint64).astype(np.uint32)
    story = rng.integers(0, 2**32, 30, dtype=np.uint64).astype(np.uint32)
    docs = []
    for d in range(400):
        own = rng.integers(0, 2**32, int(rng.integers(0, 60)), dtype=np.uint64).astype(np.uint32)
        parts = [own, rng.choice(boiler, int(rng.integers(0, 20)), replace=False)]
        if d % 9 == 0:  # a widely copied story: almost all of it is "common"
            parts = [story, own[:2]]
        docs.append(np.unique(np.concatenate(parts)))
    return ShingleSets.from_arrays(docs)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("max_df", ["auto", 5, 12, 0.02, 10_000])
def test_fast_filter_equals_reference(
    seed: int, max_df: float | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sets = _corpus(seed)
    rule = BoilerplateRule.of(max_df)
    fast = rule.apply(sets)
    ref = drop_common(sets, rule.common(sets), rule)
    assert np.array_equal(fast.offsets, ref.offsets)
    assert np.array_equal(fast.hashes, ref.hashes)
    # split: the filtered and the removed sets in one pass, in place or not (exempt
    # documents here: the widely copied story keeps everything and loses nothing).
    ref_removed = removed_shingles(sets, ref, rule.common(sets))
    for in_place in (False, True):
        given = ShingleSets(sets.hashes.copy(), sets.offsets)
        kept, removed, _ = rule.split(given, keep_removed=True, in_place=in_place)
        assert removed is not None
        assert np.array_equal(kept.offsets, ref.offsets)
        assert np.array_equal(kept.hashes, ref.hashes)
        assert np.array_equal(removed.offsets, ref_removed.offsets)
        assert np.array_equal(removed.hashes, ref_removed.hashes)
    monkeypatch.setenv("ARABIC_DEDUP_IMPL", "reference")
    forced = rule.apply(sets)
    assert np.array_equal(forced.hashes, ref.hashes)
    kept, removed, _ = rule.split(sets, keep_removed=True, in_place=True)
    assert removed is not None
    assert np.array_equal(kept.hashes, ref.hashes)
    assert np.array_equal(removed.hashes, ref_removed.hashes)


def test_filter_removes_common_and_exempts_copied_story() -> None:
    sets = _corpus(0)
    out = BoilerplateRule.of(12).apply(sets)
    assert out.hashes.size < sets.hashes.size  # boilerplate went
    # Documents that are mostly the widely copied story keep every shingle.
    for d in range(0, 400, 9):
        assert np.array_equal(out[d], sets[d])


@pytest.mark.parametrize(
    "values",
    [[], [7], [3, 3, 3], [0, 2**32 - 1, 65535, 65536, 1, 2**31, 65536]],
)
def test_radix_sort_sorts(values: list[int]) -> None:
    from arabic_dedup.kernels.boilerplate import _radix_sort

    a = np.array(values, dtype=np.uint32)
    assert _radix_sort(a).tolist() == sorted(values)
    assert a.tolist() == sorted(values)  # in place
    rng = np.random.default_rng(5)
    big = rng.integers(0, 2**32, 100_000, dtype=np.uint64).astype(np.uint32)
    big[::7] = big[0]  # repeats, as hot hashes have
    want = np.sort(big)
    assert np.array_equal(_radix_sort(big), want)


def test_fast_filter_equals_reference_with_many_common_shingles() -> None:
    """Tens of thousands of common shingles: the filter's 2**18-bit bitmap in front of the
    common set collides often, and must still keep exactly what the reference keeps."""
    from arabic_dedup.kernels.boilerplate import boilerplate_filter

    rng = np.random.default_rng(11)
    vocab = rng.integers(0, 2**32, 60_000, dtype=np.uint64).astype(np.uint32)
    docs = []
    for _ in range(3000):
        words = vocab[np.minimum(rng.zipf(1.2, 120), vocab.size) - 1]
        own = rng.integers(0, 2**32, 40, dtype=np.uint64).astype(np.uint32)
        docs.append(np.unique(np.concatenate([words, own])))
    sets = ShingleSets.from_arrays(docs)
    rule = BoilerplateRule.of(3)
    common = rule.common(sets)
    assert common.size > 1000
    ref = drop_common(sets, common, rule)
    ref_removed = removed_shingles(sets, ref, common)
    assert ref_removed.hashes.size > 0
    for in_place in (False, True):
        given = sets.hashes.copy()  # what the in-place filter may overwrite
        hashes, counts, fast_common, removed, r_counts = boilerplate_filter(
            given, sets.offsets, rule.limit(len(sets)), rule.exempt_share, rule.cell_bits,
            with_removed=True, in_place=in_place,
        )  # fmt: skip
        assert np.array_equal(fast_common, common)
        assert np.array_equal(counts, ref.sizes())
        assert np.array_equal(hashes, ref.hashes)
        assert np.array_equal(removed, ref_removed.hashes)
        assert np.array_equal(r_counts, ref_removed.sizes())
        # In place, the kept hashes are the front of the array handed over; else it is intact.
        assert np.shares_memory(hashes, given) == in_place
        if not in_place:
            assert np.array_equal(given, sets.hashes)


@pytest.mark.parametrize("threads", [1, 2])
def test_hot_hashes_are_the_hashes_in_hot_cells_in_input_order(threads: int) -> None:
    import numba

    from arabic_dedup.kernels.boilerplate import HOT_BLOCK, cell_counts, hot_hashes

    rng = np.random.default_rng(3)
    n = 3 * HOT_BLOCK + 77  # several blocks, the last one partial and not a multiple of 64
    hashes = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32) & np.uint32(0xFFF)
    cells = cell_counts(hashes, 10)
    limit = float(np.median(cells))
    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        got = hot_hashes(hashes, cells, limit)
    finally:
        numba.set_num_threads(before)
    want = hashes[cells[hashes & np.uint32(1023)] > limit]
    assert 0 < want.size < n
    assert np.array_equal(got, want)


def test_take_sets_in_place_equals_the_copy() -> None:
    """keep_rows takes the distinct rows of handed-over sets in place: chunk by chunk
    (TAKE_ROWS rows), over several chunks, the first rows dropped or kept."""
    from arabic_dedup._lsh import TAKE_ROWS, take_sets

    rng = np.random.default_rng(8)
    n = 2 * TAKE_ROWS + 123
    sizes = rng.integers(0, 9, n)
    hashes = rng.integers(0, 2**32, int(sizes.sum()), dtype=np.uint64).astype(np.uint32)
    offsets = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    for keep in (0.5, 0.97):
        rows = np.flatnonzero(rng.random(n) < keep).astype(np.int64)
        want = take_sets(ShingleSets(hashes, offsets), rows)
        given = ShingleSets(hashes.copy(), offsets)
        got = take_sets(given, rows, in_place=True)
        assert np.array_equal(got.offsets, want.offsets)
        assert np.array_equal(got.hashes, want.hashes)
        assert np.shares_memory(got.hashes, given.hashes)
    with pytest.raises(ValueError, match="ascending"):
        take_sets(ShingleSets(hashes.copy(), offsets), np.array([3, 1]), in_place=True)
