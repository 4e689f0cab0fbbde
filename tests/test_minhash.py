"""Stage 3: MinHash signatures, bit for bit the signatures datasketch computes."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _impl import with_impl
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from arabic_dedup import (
    ConfigError,
    MinHasher,
    ShingleConfig,
    ShingleSets,
    SignatureError,
    shingles,
)

SEEDS = [
    p.read_text(encoding="utf-8") for p in sorted(Path(__file__).parents[1].glob("seeds/*.txt"))
]

WORDS = [
    "قال",
    "المسؤول",
    "مسئولى",
    "فى",
    "بيان",
    "رسمىّ",
    "إنَّ",
    "الاتفاقَ",
    "نهائى",
    "ـــ",
    "\ufdfa",
    "\ufefb",
    "ا\u0654",
    "CNN",
    "2024",
    "٢٠٢٤",
    "😀",
    "\u200c",
    "،",
    "\ud800",
]
texts = st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join)
units = st.sampled_from(["word", "char"])
num_perms = st.sampled_from([2, 16, 128, 256])
seeds = st.one_of(st.sampled_from([0, 1, 42, 2**32 - 1]), st.integers(0, 2**32 - 1))


# -- datasketch is the reference ------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(text=texts, num_perm=num_perms, seed=seeds, unit=units, k=st.sampled_from([1, 3, 5]))
def test_signatures_are_bit_identical_to_datasketch(
    text: str, num_perm: int, seed: int, unit: str, k: int
) -> None:
    hasher = MinHasher(num_perm=num_perm, seed=seed, shingle=ShingleConfig(unit=unit, k=k))  # type: ignore[arg-type]
    m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=hasher.hashfunc)
    sh = shingles(text, k=k, unit=unit)  # type: ignore[arg-type]
    if sh:
        m.update_batch(sh)
    expected = np.asarray(m.hashvalues, dtype=np.uint32).tolist()
    assert hasher.signature(text).tolist() == expected
    assert with_impl(None, hasher.signatures, [text])[0].tolist() == expected
    assert with_impl("reference", hasher.signatures, [text])[0].tolist() == expected
    assert np.asarray(hasher.datasketch_minhash(text).hashvalues).tolist() == expected


def test_datasketch_hashfunc_accepts_bytes_like_a_str() -> None:
    f = MinHasher().hashfunc
    assert f("قال المسءول في".encode()) == f("قال المسءول في")


@pytest.mark.parametrize("num_perm", [2, 16, 128])
def test_empty_text_gives_all_max_values_like_datasketch(num_perm: int) -> None:
    hasher = MinHasher(num_perm=num_perm)
    empty = MinHash(num_perm=num_perm, seed=1, scheme="affine32").hashvalues
    for text in ("", "   ", "...!"):
        for sig in (
            hasher.signature(text),
            with_impl(None, hasher.signatures, [text])[0],
            with_impl("reference", hasher.signatures, [text])[0],
        ):
            assert sig.tolist() == [0xFFFFFFFF] * num_perm
            assert sig.tolist() == np.asarray(empty).tolist()


def test_signatures_shape_and_dtype() -> None:
    hasher = MinHasher(num_perm=64)
    for impl in (None, "reference"):
        sig = with_impl(impl, hasher.signatures, ["نص اول", "نص ثان مختلف", ""])
        assert sig.shape == (3, 64)
        assert sig.dtype == np.uint32
        none = with_impl(impl, hasher.signatures, [])
        assert none.shape == (0, 64)
        assert none.dtype == np.uint32


def test_different_seeds_give_different_signatures() -> None:
    text = SEEDS[0]
    assert MinHasher(seed=1).signature(text).tolist() != MinHasher(seed=2).signature(text).tolist()


# -- fast == reference on arbitrary shingle sets --------------------------------------------

hash_sets = st.lists(
    st.sets(st.one_of(st.integers(0, 2**32 - 1), st.sampled_from([0, 1, 2**32 - 1])), max_size=40),
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(sets=hash_sets, num_perm=num_perms, seed=seeds)
def test_fast_signatures_equal_reference(sets: list[set[int]], num_perm: int, seed: int) -> None:
    hasher = MinHasher(num_perm=num_perm, seed=seed)
    css = ShingleSets.from_arrays(np.array(sorted(s), dtype=np.uint32) for s in sets)
    fast = with_impl(None, hasher.signatures_from_sets, css)
    ref = with_impl("reference", hasher.signatures_from_sets, css)
    assert fast.dtype == ref.dtype == np.uint32
    assert fast.shape == ref.shape == (len(sets), num_perm)
    assert fast.tolist() == ref.tolist()
    # One set at a time, the plainest NumPy: the same again.
    for i in range(len(sets)):
        assert hasher.signature_from_hashes(css[i]).tolist() == ref[i].tolist()


# -- datasketch interop ---------------------------------------------------------------------


def test_lean_minhash_works_in_datasketch_lsh() -> None:
    from arabic_dedup.testing import syndicate

    hasher = MinHasher(num_perm=128, seed=1)
    copy = syndicate(
        SEEDS[2], ["prefix", "footer", "hamza_drop", "diacritics"], rng=random.Random(3)
    )
    sigs = hasher.signatures([*SEEDS, copy])
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    for i in range(len(SEEDS)):
        lsh.insert(f"seed{i}", hasher.to_lean_minhash(sigs[i]))
    query = hasher.to_lean_minhash(sigs[-1])
    assert lsh.query(query) == ["seed2"]
    lean = hasher.to_lean_minhash(sigs[2])
    assert lean.seed == 1
    assert np.asarray(lean.hashvalues).tolist() == sigs[2].tolist()
    assert query.jaccard(lean) > 0.8
    assert query.jaccard(hasher.to_lean_minhash(sigs[0])) < 0.2


def test_lean_minhash_rejects_a_wrong_shape() -> None:
    hasher = MinHasher(num_perm=16)
    with pytest.raises(SignatureError, match=r"\(16,\)") as info:
        hasher.to_lean_minhash(np.zeros(8, dtype=np.uint32))
    assert isinstance(info.value, ValueError)


_CHILD = """
import json, os, sys
from pathlib import Path
from arabic_dedup import MinHasher, ShingleConfig
texts = json.loads(sys.stdin.read())
out = {}
for impl in ("fast", "reference"):
    if impl == "reference":
        os.environ["ARABIC_DEDUP_IMPL"] = "reference"
    for unit in ("word", "char"):
        h = MinHasher(num_perm=32, seed=7, shingle=ShingleConfig(unit=unit))
        out[f"{impl}-{unit}"] = h.signatures(texts).tolist()
print(json.dumps(out))
"""


def test_signatures_are_the_same_in_another_process() -> None:
    texts = [*SEEDS, "قال المسؤول في بيان", "", "\ufdfa"]
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    env.pop("ARABIC_DEDUP_IMPL", None)
    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    child = json.loads(done.stdout)
    for unit in ("word", "char"):
        here = MinHasher(num_perm=32, seed=7, shingle=ShingleConfig(unit=unit)).signatures(texts)
        assert child[f"fast-{unit}"] == here.tolist()
        assert child[f"reference-{unit}"] == here.tolist()


# -- configuration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "word"),
    [
        ({"num_perm": 1}, "num_perm"),
        ({"num_perm": 4097}, "num_perm"),
        ({"num_perm": True}, "num_perm"),
        ({"num_perm": 64.0}, "num_perm"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**32}, "seed"),
        ({"seed": True}, "seed"),
        ({"seed": "1"}, "seed"),
    ],
)
def test_invalid_minhasher_options_raise_config_error(
    options: dict[str, object], word: str
) -> None:
    with pytest.raises(ConfigError, match=word) as info:
        MinHasher(**options)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert repr(next(iter(options.values()))) in str(info.value)


def test_minhasher_limits_are_inclusive() -> None:
    assert MinHasher(num_perm=2).signature("نص").shape == (2,)
    assert MinHasher(num_perm=4096, seed=2**32 - 1).a.shape == (4096,)


def test_params_record_what_a_signature_depends_on() -> None:
    p = MinHasher(num_perm=64, seed=9, shingle=ShingleConfig(unit="char", k=4)).params
    assert (p["scheme"], p["num_perm"], p["seed"]) == ("affine32", 64, 9)
    assert (p["shingle_unit"], p["shingle_k"]) == ("char", 4)
    assert p["normalizer"]["hamza"] == "uniform"
    assert p["normalizer_version"]


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(
        st.text(alphabet="أإآابتثجحخدذرزسشصضطظعغفقكلمنهويىةء ًٌٍَُِّْـ،.\u200c\u0653", max_size=80),
        min_size=1,
        max_size=30,
    ),
    batch_chars=st.integers(1, 120),
)
def test_batching_does_not_change_shingle_sets(texts: list[str], batch_chars: int) -> None:
    # The fast path cuts the texts into kernel calls of *KERNEL_BATCH_CHARS characters (at least one
    # text each, however long): where the cuts fall must not change any text's hashes.
    from arabic_dedup import _shingle

    hasher = MinHasher()
    whole = hasher.shingle_sets(texts)
    old = _shingle.KERNEL_BATCH_CHARS, _shingle.PARALLEL_KERNEL_BATCH_CHARS
    _shingle.KERNEL_BATCH_CHARS = _shingle.PARALLEL_KERNEL_BATCH_CHARS = batch_chars
    try:
        cut = hasher.shingle_sets(texts)
    finally:
        _shingle.KERNEL_BATCH_CHARS, _shingle.PARALLEL_KERNEL_BATCH_CHARS = old
    assert np.array_equal(whole.offsets, cut.offsets)
    assert np.array_equal(whole.hashes, cut.hashes)


def test_signatures_in_several_kernel_calls_equal_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    # Signatures are computed in batches of SIGNATURE_BATCH_DOCS documents (a signal is acted
    # on between them): where the cuts fall must not change a signature.
    from arabic_dedup import _minhash

    hasher = MinHasher()
    texts = [f"نص رقم {i} عن موضوع {i % 7} في مدينة {i % 3}" for i in range(300)]
    sets = hasher.shingle_sets(texts)
    whole = hasher.signatures_from_sets(sets)
    monkeypatch.setattr(_minhash, "SIGNATURE_BATCH_DOCS", 7)
    assert np.array_equal(hasher.signatures_from_sets(sets), whole)
