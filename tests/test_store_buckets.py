"""Band buckets under adds and removes: every store hands ``decide`` exactly the kept records
that share a band bucket with the text, whatever happened to the buckets before.

The memory store files a bucket of one text as the key alone and a bucket of several as a
set of keys; these tests drive buckets through one, several, back to one and empty, against a
plain model of the rule (a record is a candidate when some band ``b`` has the same band hash).
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arabic_dedup import SQLiteOptions
from arabic_dedup.stores import Found, MemoryOptions, Store, open_store

BANDS = 3

# An operation: ("add", band hashes, keep?) or ("remove", which earlier key).
ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("add"),
            st.lists(st.integers(0, 3), min_size=BANDS, max_size=BANDS),
            st.booleans(),
        ),
        st.tuples(st.just("remove"), st.integers(0, 40), st.just(False)),
    ),
    max_size=40,
)


def _run(store: Store, steps: list[tuple[str, Any, bool]]) -> None:
    kept: dict[str, tuple[int, ...]] = {}  # the model: live kept keys and their band hashes
    live: list[str] = []
    for n, (op, arg, keep) in enumerate(steps):
        if op == "remove":
            if not live:
                continue
            key = live.pop(arg % len(live))
            store.remove(key)
            kept.pop(key, None)
            continue
        key = f"k{n}"
        bands = tuple(arg)
        seen: list[list[Hashable]] = []

        def decide(found: Found, keep: bool = keep, seen: list[list[Hashable]] = seen) -> Any:
            seen.append(sorted(str(c.key) for c in found.candidates))
            return None if keep else ("someone", 0.5, None)

        hashes = np.array([n], dtype=np.uint32)
        store.add(key, hashes, np.array(bands, dtype=np.uint64), decide, ttl=None)
        shares = [k for k, b in kept.items() if any(map(int.__eq__, b, bands))]
        want = sorted(shares)
        assert seen == [want], (n, bands, kept)
        live.append(key)
        if keep:
            kept[key] = bands
    assert store.count() == len(live)
    assert store.stats().kept == len(kept)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_memory_buckets_follow_adds_and_removes(steps: list[tuple[str, Any, bool]]) -> None:
    _run(open_store(MemoryOptions(), df=None), steps)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops)
def test_sqlite_buckets_follow_adds_and_removes(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, Any, bool]]
) -> None:
    path: Path = tmp_path_factory.mktemp("buckets") / "index.sqlite"
    store = open_store(SQLiteOptions(path), df=None)
    try:
        _run(store, steps)
    finally:
        store.close()
