"""Bounded memory: a run over its memory limit spills to disk and decides exactly as in memory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _cli import read_jsonl, report, run
from hypothesis import given, settings
from hypothesis import strategies as st
from test_giant import corpora

from arabic_dedup import ConfigError, DedupConfig, InputError, SpillError, find_duplicates
from arabic_dedup._dedup import INPUT_BATCH, detect, read_all
from arabic_dedup._io import Source, dedup_files
from arabic_dedup._keep import keep_order
from arabic_dedup._memory import (
    IN_MEMORY_FACTOR,
    MIN_LIMIT,
    WINDOW_SHARE,
    MemoryPlan,
    SetArena,
    SpillDir,
    parse_memory_limit,
    physical_memory,
)
from arabic_dedup._sources import SpilledSets
from arabic_dedup.testing import random_transforms, syndicate

# Small windows: a few documents each, so every stage reads and gathers many times.
TINY = MemoryPlan(limit=1, window=20_000)


def corpus(n_bases: int = 60, seed: int = 7) -> list[str]:
    """Bases with 0-3 syndicated copies, exact copies, a repeated notice and empty texts."""
    import random

    rng = random.Random(seed)
    words = [f"كلمة{i}" for i in range(3000)]
    texts: list[str] = []
    for _ in range(n_bases):
        base = " ".join(rng.choice(words) for _ in range(rng.randint(40, 160)))
        texts.append(base)
        for _ in range(rng.randint(0, 3)):
            texts.append(syndicate(base, random_transforms(rng), rng=rng))
    texts += ["سياسة الخصوصية وملفات تعريف الارتباط لهذا الموقع"] * 40 + ["", "  "]
    texts += texts[:25]
    rng.shuffle(texts)
    return texts


def same_result(a: Any, b: Any) -> None:
    assert np.array_equal(a.cluster_ids, b.cluster_ids)
    assert np.array_equal(a.similarity, b.similarity)
    assert a.pairs == b.pairs
    assert a.match_kind == b.match_kind
    assert a.params == b.params
    assert np.array_equal(a.no_words, b.no_words)


# -- the limit ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2GB", 2 * 10**9),
        ("512MB", 512 * 10**6),
        ("1.5GiB", int(1.5 * 2**30)),
        ("100m", 10**8),
        (" 3 g ", 3 * 10**9),
        (10**9, 10**9),
        (None, None),
        ("none", None),
    ],
)
def test_memory_limit_sizes(value: Any, expected: int | None) -> None:
    assert parse_memory_limit(value) == expected


def test_auto_is_half_the_machine() -> None:
    auto = parse_memory_limit("auto")
    assert auto is not None and abs(auto - physical_memory() // 2) <= 1


@pytest.mark.parametrize("value", ["2XB", "lots", "", "-1GB", 1000, True, 2.5])
def test_bad_memory_limits_are_config_errors(value: Any) -> None:
    with pytest.raises(ConfigError, match="memory"):
        parse_memory_limit(value)


def test_plan_spills_when_the_stages_would_not_fit() -> None:
    plan = MemoryPlan(limit=300)
    assert plan.fits(int(300 / IN_MEMORY_FACTOR))
    assert not plan.fits(int(300 / IN_MEMORY_FACTOR) + 1)
    assert MemoryPlan(limit=None).fits(10**15)
    assert MIN_LIMIT // WINDOW_SHARE == MemoryPlan(limit=MIN_LIMIT).window_bytes


# -- same decisions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"max_df": None},
        {"max_df": 3},
        {"similarity": "containment"},
        {"facts": "apart"},
        {"keep": "longest"},
    ],
)
def test_spilled_run_decides_as_in_memory(options: dict[str, Any], tmp_path: Path) -> None:
    texts = corpus()
    ref = find_duplicates(texts, memory_limit=None, **options)
    got = find_duplicates(texts, memory_limit=TINY, tmp_dir=tmp_path, **options)
    assert ref.n_duplicates > 50  # the corpus has copies to find
    assert ref.no_words.size == 2  # and two blank texts
    assert ref.spill["spilled"] is False and ref.spill["disk_bytes"] == 0
    assert got.spill["spilled"] is True
    assert got.spill["passes"] >= 4  # windows were read again and again
    assert got.spill["disk_bytes"] > 0
    assert Path(got.spill["tmp_dir"]).parent == tmp_path
    same_result(ref, got)
    assert list(tmp_path.iterdir()) == []  # removed on success


def test_generous_limit_stays_in_memory(tmp_path: Path) -> None:
    texts = corpus(10)
    r = find_duplicates(texts, memory_limit="1GB", tmp_dir=tmp_path)
    assert r.spill == {
        "spilled": False, "limit_bytes": 10**9, "disk_bytes": 0, "passes": 0, "tmp_dir": None,
    }  # fmt: skip


def spilled_detect(texts: list[str], limit: float, cfg: DedupConfig, keep: str, spill: SpillDir):  # type: ignore[no-untyped-def]
    hasher = cfg.hasher()
    sets, lengths, facts = read_all(texts, hasher, facts=cfg.fact_rule is not None)
    arena = SetArena(spill, "s.u32")
    arena.append(sets)
    farena = None
    if facts is not None:
        farena = SetArena(spill, "f.u32")
        farena.append(facts)
        farena.finish()
    src = SpilledSets(arena.finish(), farena, spill, MemoryPlan(1, window=64))
    return detect(src, keep_order(lengths, keep), config=cfg, hasher=hasher, giant_bucket=limit)


@settings(max_examples=40, deadline=None)
@given(
    texts=corpora(),
    similarity=st.sampled_from(["jaccard", "containment"]),
    keep=st.sampled_from(["first", "longest"]),
    max_df=st.sampled_from([None, 3]),
    facts=st.sampled_from(["off", "apart"]),
    limit=st.sampled_from([2, 5, float("inf")]),
)
def test_spilled_giant_buckets_decide_as_in_memory(  # type: ignore[no-untyped-def]
    texts, similarity, keep, max_df, facts, limit
) -> None:
    cfg = DedupConfig(similarity=similarity, threshold=0.6, max_df=max_df, facts=facts)
    hasher = cfg.hasher()
    sets, lengths, fsets = read_all(texts, hasher, facts=facts != "off")
    order = keep_order(lengths, keep)
    ref = detect([sets], order, config=cfg, hasher=hasher, giant_bucket=limit, facts=fsets)
    with SpillDir() as spill:
        got = spilled_detect(texts, limit, cfg, keep, spill)
    assert got.clusters.representative.tolist() == ref.clusters.representative.tolist()
    assert got.clusters.similarity.tolist() == ref.clusters.similarity.tolist()
    assert got.pairs.tolist() == ref.pairs.tolist()
    assert got.pair_similarity.tolist() == ref.pair_similarity.tolist()
    ref_kinds = None if ref.pair_kind is None else ref.pair_kind.tolist()
    assert (None if got.pair_kind is None else got.pair_kind.tolist()) == ref_kinds
    assert got.kinds.tolist() == ref.kinds.tolist()


def test_spilled_file_run_writes_the_same_outputs(tmp_path: Path) -> None:
    texts = corpus()
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"id": f"d{i}", "text": t}, ensure_ascii=False) + "\n"
                for i, t in enumerate(texts)),
        encoding="utf-8",
    )  # fmt: skip
    tmp = tmp_path / "spill"
    tmp.mkdir()
    a = dedup_files([Source.detect(src)], tmp_path / "a", memory_limit=None)
    b = dedup_files([Source.detect(src)], tmp_path / "b", memory_limit=TINY, tmp_dir=tmp)
    assert a["spill"]["spilled"] is False and b["spill"]["spilled"] is True
    assert a["counts"] == b["counts"] and a["counts"]["duplicates"] > 50
    for name in ("unique.jsonl", "duplicates.jsonl", "clusters.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert list(tmp.iterdir()) == []


# -- the temporary directory ----------------------------------------------------------------


def test_temporary_files_go_when_the_run_fails(tmp_path: Path) -> None:
    def texts():  # type: ignore[no-untyped-def]
        yield from corpus(20)
        yield b"bytes, not text"

    with pytest.raises(InputError, match="must be str"):
        find_duplicates(texts(), memory_limit=TINY, tmp_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_temporary_files_go_on_ctrl_c(tmp_path: Path) -> None:
    seen: list[Path] = []

    def texts():  # type: ignore[no-untyped-def]
        for i, t in enumerate(corpus(20) * 100):
            if i == INPUT_BATCH + 50:  # the first batch has spilled
                seen.extend(tmp_path.iterdir())
                raise KeyboardInterrupt
            yield t

    with pytest.raises(KeyboardInterrupt):
        find_duplicates(texts(), memory_limit=TINY, tmp_dir=tmp_path)
    assert seen and seen[0].name.startswith("arabic-dedup-")
    assert list(tmp_path.iterdir()) == []


def test_missing_tmp_dir_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        find_duplicates(["نص"], tmp_dir=tmp_path / "nowhere")


def test_a_spill_file_removed_under_the_run_is_a_spill_error() -> None:
    with SpillDir() as spill:
        arena = SetArena(spill, "s.u32")
        sets, _, _ = read_all(corpus(5), DedupConfig().hasher(), facts=False)
        arena.append(sets)
        arena.finish().path.unlink()
        with pytest.raises(SpillError, match=r"temporary files in .*--tmp-dir") as info:
            list(arena.windows(1000))
        assert isinstance(info.value, OSError)
        assert spill.path is not None
    assert not spill.path.exists()


# -- the command line -----------------------------------------------------------------------


def test_cli_memory_limit_reaches_the_run(tmp_path: Path) -> None:
    """The smallest limit is still far above this corpus (spilling itself: the dedup_files
    test above, at a plan only code can give)."""
    src = tmp_path / "in.jsonl"
    texts = corpus(100, seed=3)
    src.write_text(
        "".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts),
        encoding="utf-8",
    )
    tmp = tmp_path / "t"
    tmp.mkdir()
    small = run("dedup", src, "-o", tmp_path / "a", "-q", "--memory-limit", "512MiB",
                "--tmp-dir", tmp)  # fmt: skip
    big = run("dedup", src, "-o", tmp_path / "b", "-q", "--memory-limit", "none")
    assert small.returncode == 0, small.stderr
    assert big.returncode == 0, big.stderr
    ra, rb = report(tmp_path / "a"), report(tmp_path / "b")
    assert rb["spill"]["spilled"] is False and rb["spill"]["limit_bytes"] is None
    # The run plans with the limit less what the process held before reading (~200 MB).
    assert 64 * 2**20 <= ra["spill"]["limit_bytes"] <= 512 * 2**20 - 100 * 2**20
    assert ra["counts"] == rb["counts"]
    assert read_jsonl(tmp_path / "a" / "duplicates.jsonl") == read_jsonl(
        tmp_path / "b" / "duplicates.jsonl"
    )
    assert list(tmp.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--memory-limit", "2XB"], "is not a size"),
        (["--memory-limit", "1MB"], "below the smallest"),
        (["--tmp-dir", "/nonexistent/dir"], "does not exist"),
        # Accepted on its own, but the process holds ~200 MB before reading: no room is left.
        (["--memory-limit", "64MiB"], "leaves the run no room: this process already holds"),
    ],
)
def test_cli_bad_memory_options(tmp_path: Path, args: list[str], message: str) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "نص"}\n', encoding="utf-8")
    r = run("dedup", src, "-o", tmp_path / "out", *args)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_progress_bar_gives_each_pass_its_own_eta() -> None:
    import io
    import re
    import time

    from arabic_dedup._progress import ProgressBar

    out = io.StringIO()
    bar = ProgressBar(out)
    bar("boilerplate 1/3", 0, 100)
    assert "ETA     ?" in out.getvalue()  # no rate yet
    time.sleep(0.6)
    bar("boilerplate 1/3", 50, 100)  # half done in ~0.6 s: ~0.6 s left
    eta = re.findall(r"ETA\s+(\d+)s", out.getvalue())
    assert eta and int(eta[-1]) <= 2
    bar("boilerplate 2/3", 1, 100)  # a new pass: its own clock, no estimate yet
    assert out.getvalue().rstrip().endswith("?")
    bar.close()
    assert out.getvalue().endswith("\r")


def test_release_free_hands_freed_heap_memory_back() -> None:
    """Arrays under glibc's mmap threshold are freed into the heap, whose pages stay resident
    (the spilled stages' peak grew with the corpus so): ``release_free`` returns them."""
    import subprocess
    import sys

    script = """
import numpy as np
from arabic_dedup._memory import release_free
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20
held = [np.ones(8_000) for _ in range(3_000)]  # 64 KB each: heap, not mmap; 190 MB
last = held[-1]  # the top chunk stays in use, so free() alone cannot shrink the heap
del held
before = rss()
release_free()
print(before, rss())
"""
    if not Path("/proc/self/statm").exists():
        pytest.skip("needs Linux's /proc to read the resident set")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    before, after = map(float, out.stdout.split())
    assert before - after > 150, (before, after)
