"""Shared plumbing for the speed benchmarks: data, timing, peak memory, reports.

Every ``bench_*.py`` script imports this module (they run as scripts, so ``benchmarks/`` is on
``sys.path``). The data set is SaudiNewsNet, read at run time from the shared data folder (its
CC BY-NC-SA licence keeps it out of the repository); when it is missing, the benchmarks fall
back to the seed articles in ``seeds/`` plus syndicated copies of them and say so in their
output. Decoded texts are cached outside the repository (``CACHE_DIR``) so that the many
fresh subprocesses a benchmark starts do not each spend seconds on gzip + JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"
DOCS_DIR = ROOT / "docs" / "benchmarks"
SEEDS_DIR = ROOT / "seeds"
# The same variable as the tests' (tests/_shared.py): the folder that holds data/.
SHARED_DIR = Path(os.environ.get("ARABIC_DEDUP_SHARED", str(ROOT.parent / "shared")))
DATA_PATH = SHARED_DIR / "data" / "saudinewsnet" / "saudinewsnet.jsonl.gz"
CACHE_DIR = Path(os.environ.get("ARABIC_DEDUP_BENCH_CACHE", "/tmp/arabic_dedup_bench"))
SEED = 20240611  # every random choice in the benchmarks derives from this


# -- data -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Corpus:
    texts: list[str]
    name: str  # "SaudiNewsNet" or "seeds+syndicated"
    note: str  # one line for reports: where the texts came from

    @property
    def megabytes(self) -> float:
        return sum(len(t.encode("utf-8")) for t in self.texts) / 1e6

    @property
    def is_real(self) -> bool:
        return self.name == "SaudiNewsNet"


def _read_saudinewsnet() -> list[str]:
    import gzip

    cache = CACHE_DIR / "saudinewsnet_texts.pkl"
    st = DATA_PATH.stat()
    key = (str(DATA_PATH), st.st_size, int(st.st_mtime))
    if cache.exists():
        try:
            with cache.open("rb") as f:
                cached_key, texts = pickle.load(f)
            if tuple(cached_key) == key:
                return list(texts)
        except Exception:  # a stale or truncated cache is simply rebuilt
            pass
    with gzip.open(DATA_PATH, "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(f".tmp{os.getpid()}")
    with tmp.open("wb") as f:
        pickle.dump((key, texts), f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(cache)
    return texts


def _seed_corpus(copies_per_seed: int = 20) -> list[str]:
    from arabic_dedup.testing import random_transforms as rt
    from arabic_dedup.testing import syndicate

    rng = random.Random(SEED)
    bases = [p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt"))]
    out = list(bases)
    for b in bases:
        for _ in range(copies_per_seed):
            out.append(syndicate(b, rt(rng), rng=rng))
    return out


def load_corpus() -> Corpus:
    """All SaudiNewsNet article texts, or the seed fallback when the data set is absent."""
    if DATA_PATH.exists():
        texts = _read_saudinewsnet()
        return Corpus(texts, "SaudiNewsNet", f"SaudiNewsNet, {len(texts):,} articles")
    texts = _seed_corpus()
    note = (
        f"FALLBACK: {DATA_PATH} not found; using {len(list(SEEDS_DIR.glob('*.txt')))} seed "
        f"articles + syndicated copies ({len(texts):,} texts). Figures are NOT comparable "
        "with the SaudiNewsNet targets."
    )
    return Corpus(texts, "seeds+syndicated", note)


def subset(texts: Sequence[str], n: int, *, seed: int = SEED) -> list[str]:
    """A fixed random subset of ``n`` texts (all of them when ``n >= len(texts)``)."""
    if n >= len(texts):
        return list(texts)
    idx = sorted(random.Random(seed).sample(range(len(texts)), n))
    return [texts[i] for i in idx]


# -- timing and memory ----------------------------------------------------------------------
def time_runs(fn: Callable[[], Any], *, runs: int, warmup: int = 1) -> dict[str, Any]:
    """Run ``fn`` ``warmup`` times untimed, then ``runs`` times; seconds per run and median."""
    for _ in range(warmup):
        fn()
    times, cpu = [], []
    for _ in range(runs):
        gc.collect()
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {
        "cpu_s": statistics.median(cpu),
        "median_s": statistics.median(times),
        "min_s": min(times),
        "max_s": max(times),
        "runs_s": times,
        "spread": (max(times) - min(times)) / statistics.median(times) if times else 0.0,
    }


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB."""
    ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return ru / 1e6 if sys.platform == "darwin" else ru / 1e3  # bytes on macOS, KiB elsewhere


def current_rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 1e6


def run_child(script: Path, args: Sequence[str], *, timeout: float | None = None) -> dict[str, Any]:
    """Run ``script`` in a fresh interpreter; it prints one JSON object as its last line.

    A fresh process per measurement makes ``ru_maxrss`` the peak of that measurement alone
    (the child reports its own ``RUSAGE_SELF``, so concurrent children cannot mix).
    """
    proc = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(ROOT),
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{script.name} {' '.join(args)} failed with exit code {proc.returncode}:\n"
            f"{proc.stderr[-4000:]}"
        )
    last = [ln for ln in proc.stdout.splitlines() if ln.strip()][-1]
    return dict(json.loads(last))


# -- reports --------------------------------------------------------------------------------
def _version(mod: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(mod)
    except PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=str(ROOT),
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    try:
        import psutil

        mem_gb = round(psutil.virtual_memory().total / 1e9, 1)
    except ImportError:
        mem_gb = None
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model or platform.processor(),
        "memory_gb": mem_gb,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            m: _version(m)
            for m in ("arabic-dedup", "numpy", "numba", "datasketch", "rensa", "xxhash")
        },
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "git_commit": commit,
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def summary_row(
    metric: str,
    ours: float | None,
    *,
    unit: str,
    anchor: float | None = None,
    anchor_name: str = "",
    ratio: float | None = None,
    target: str = "",
    met: bool | None = None,
) -> dict[str, Any]:
    """One line of the cross-benchmark summary table (``docs/benchmarks/README.md``)."""
    return {
        "metric": metric,
        "ours": ours,
        "unit": unit,
        "anchor": anchor,
        "anchor_name": anchor_name,
        "ratio": ratio,
        "target": target,
        "met": met,
    }


def write_results(name: str, payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {"benchmark": name, "machine": machine_info(), **payload}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def saved_results(*names: str) -> list[dict[str, Any]]:
    """The saved results files among ``names`` (``benchmarks/results/<name>.json``), in order."""
    paths = (RESULTS_DIR / f"{name}.json" for name in names)
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths if p.exists()]


def fmt(x: Any, digits: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "**no**"
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        if x == 0:
            return "0"
        if abs(x) >= 1000:
            return f"{x:,.0f}"
        if abs(x) >= 100:
            return f"{x:.0f}"
        if abs(x) >= 10:
            return f"{x:.1f}"
        return f"{x:.{digits}g}"
    return str(x)


def md_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(fmt(c) for c in r) + " |")
    return "\n".join(lines)


def machine_md(info: dict[str, Any] | None = None) -> str:
    m = info or machine_info()
    v = m["versions"]
    vs = ", ".join(f"{k} {val}" for k, val in v.items() if val)
    return (
        f"Machine: {m['cpu_count']} CPUs ({m['cpu_model']}), {m['memory_gb']} GB RAM, "
        f"Python {m['python']}, {vs}; commit `{m['git_commit']}` (plus uncommitted work), "
        f"{m['date_utc']}; load average when the report was written "
        f"{m.get('load_average_1_5_15')} (1, 5, 15 min)."
    )


def write_markdown(name: str, text: str) -> Path:
    DOCS_DIR.mkdir(parents=True, exist_ok=True)
    path = DOCS_DIR / f"{name}.md"
    path.write_text(text.rstrip() + "\n", encoding="utf-8")
    return path


def base_parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="fast smoke run (smaller data, 1-2 runs)")
    p.add_argument("--runs", type=int, default=None, help="timed runs per measurement")
    return p


NOISE_NOTE = (
    "The machine is shared (other engineers run test suites on the same 2 cores), so single "
    "runs are noisy: figures are medians, and the min-max spread is recorded in the JSON."
)


# -- synthetic corpus for scaling -----------------------------------------------------------
CHUNK_DOCS = 10_000
N_CHUNKS_MAX = 100  # 1,000,000 documents
GEN_VERSION = 1  # bump when the generator changes: the cache key includes it


def _chunk_path(k: int) -> Path:
    source = "saudinewsnet" if DATA_PATH.exists() else "seeds"
    return CACHE_DIR / "synthetic" / f"v{GEN_VERSION}_seed{SEED}_{source}_chunk{k:03d}.pkl"


def _make_chunk(k: int) -> list[str]:
    """Chunk ``k`` (10,000 documents) of the synthetic corpus; a function of ``k`` alone.

    Bases are real articles (each real article used once across the 100 chunks, so every
    prefix has the same mix) and new articles built from runs of sentences of 2-4 real
    articles, with a real article's length; each base is followed by 0-3 syndicated copies
    made by :func:`arabic_dedup.testing.syndicate` with :func:`random_transforms`.
    """
    import functools

    from arabic_dedup import testing

    # to_presentation_forms is a pure function of the word and dominates the generator's
    # cost; memoising it here changes no output.
    if not hasattr(testing.to_presentation_forms, "cache_info"):
        testing.to_presentation_forms = functools.lru_cache(maxsize=200_000)(  # type: ignore[assignment]
            testing.to_presentation_forms
        )
    real = load_corpus().texts
    perm = list(range(len(real)))
    random.Random(SEED).shuffle(perm)
    per_chunk = -(-len(real) // N_CHUNKS_MAX)
    reals = [real[i] for i in perm[k * per_chunk : (k + 1) * per_chunk]]
    rng = random.Random(SEED * 1000 + k)
    sentences: dict[int, list[str]] = {}

    def sents(i: int) -> list[str]:
        if i not in sentences:
            sentences[i] = testing.split_sentences(real[i]) or [real[i]]
        return sentences[i]

    def recombined() -> str:
        target = len(real[rng.randrange(len(real))])
        parts: list[str] = []
        size = 0
        for _ in range(rng.randint(2, 4)):
            s = sents(rng.randrange(len(real)))
            a = rng.randrange(len(s))
            b = min(len(s), a + rng.randint(1, 8))
            parts.extend(s[a:b])
            size += sum(len(x) for x in s[a:b])
            if size >= target:
                break
        return " ".join(parts)

    out: list[str] = []
    # Spread the real bases evenly through the chunk.
    n_bases_est = CHUNK_DOCS * 2 // 5  # 1 + mean(0..3) = 2.5 documents per base
    real_every = max(1, n_bases_est // max(1, len(reals)))
    j = 0
    while len(out) < CHUNK_DOCS:
        if reals and j % real_every == 0:
            base = reals.pop()
        else:
            base = recombined()
        j += 1
        out.append(base)
        related = [sents(rng.randrange(len(real)))[0] for _ in range(4)]
        for _ in range(rng.randint(0, 3)):
            recipe = testing.random_transforms(rng)
            out.append(testing.syndicate(base, recipe, rng=rng, title=related[0], related=related))
    return out[:CHUNK_DOCS]


def _ensure_chunk(k: int) -> int:
    path = _chunk_path(k)
    if not path.exists():
        docs = _make_chunk(k)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with tmp.open("wb") as f:
            pickle.dump(docs, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    return k


def ensure_synthetic(n_docs: int, *, processes: int = 2) -> None:
    """Generate (once, cached in ``CACHE_DIR``) enough chunks for ``n_docs`` documents."""
    n_chunks = -(-n_docs // CHUNK_DOCS)
    if n_chunks > N_CHUNKS_MAX:
        raise ValueError(f"at most {N_CHUNKS_MAX * CHUNK_DOCS:,} synthetic documents")
    todo = [k for k in range(n_chunks) if not _chunk_path(k).exists()]
    if not todo:
        return
    load_corpus()  # build the text cache once before the workers read it
    if processes > 1 and len(todo) > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(processes) as pool:
            for k in pool.imap_unordered(_ensure_chunk, todo):
                print(f"  generated chunk {k}", file=sys.stderr, flush=True)
    else:
        for k in todo:
            _ensure_chunk(k)


def synthetic_texts(n_docs: int, *, start: int = 0) -> list[str]:
    """Documents ``start .. start + n_docs`` of the synthetic corpus (generated if needed)."""
    ensure_synthetic(start + n_docs)
    out: list[str] = []
    k = start // CHUNK_DOCS
    while len(out) < n_docs:
        with _chunk_path(k).open("rb") as f:
            chunk = pickle.load(f)
        lo = start - k * CHUNK_DOCS if k == start // CHUNK_DOCS else 0
        out.extend(chunk[lo : lo + n_docs - len(out)])
        k += 1
    return out


# -- synthetic corpus v2: distinct bases at any size, streamed from disk -----------------------
# v1 above (``synthetic_texts``) recombines runs of sentences of only 31k real articles, so its
# bases overlap more and more as the corpus grows (verified pairs per document rose from 1.1 at
# 10k to 15.8 at 1M). v2 builds every base from single sentences of many different articles and
# perturbs it word by word, so unrelated bases share almost no word 2-shingles at any size; the
# generator knows which documents are copies of which (``synthetic_v2_groups``). Documents are
# written to JSON-lines chunk files and read back lazily (``iter_synthetic_v2``), so a benchmark
# can hand ``find_duplicates`` a generator without holding the corpus in memory.
GEN_V2_VERSION = 2
V2_SUBSTITUTE = 0.35  # share of words replaced by a random corpus word
V2_INSERT = 0.10  # chance of a random 3-6 letter token after each word
_V2_LETTERS = "بتثجحخدذرزسشصضطظعغفقكلمنهو"  # letters the normaliser leaves alone
_V2_POOL: tuple[list[str], list[int], list[str]] | None = None


def _v2_source() -> str:
    return "saudinewsnet" if DATA_PATH.exists() else "seeds"


def _v2_stem(k: int) -> Path:
    return CACHE_DIR / "synthetic_v2" / f"v{GEN_V2_VERSION}_seed{SEED}_{_v2_source()}_chunk{k:03d}"


def synthetic_v2_paths(k: int) -> tuple[Path, Path]:
    """(texts ``.jsonl``, group ids ``.npy``) of chunk ``k`` of the v2 corpus."""
    stem = _v2_stem(k)
    return stem.with_suffix(".jsonl"), stem.with_suffix(".groups.npy")


def _v2_pool() -> tuple[list[str], list[int], list[str]]:
    """(every sentence of the real corpus, real article lengths in words, vocabulary)."""
    global _V2_POOL
    if _V2_POOL is None:
        import re

        from arabic_dedup.testing import split_sentences

        real = load_corpus().texts
        sentences: list[str] = []
        for t in real:
            sentences.extend(s for s in split_sentences(t) if len(s.split()) >= 3)
        lengths = [n for n in (len(t.split()) for t in real) if n >= 20]
        word = re.compile(r"[\u0621-\u064a]{2,}")
        vocab = sorted({w for t in real for w in t.split() if word.fullmatch(w)})
        _V2_POOL = (sentences, lengths, vocab)
    return _V2_POOL


def _v2_perturb(sentence: str, rng: random.Random) -> str:
    _, _, vocab = _v2_pool()
    out: list[str] = []
    for w in sentence.split():
        out.append(vocab[rng.randrange(len(vocab))] if rng.random() < V2_SUBSTITUTE else w)
        if rng.random() < V2_INSERT:
            out.append("".join(rng.choice(_V2_LETTERS) for _ in range(rng.randint(3, 6))))
    return " ".join(out)


def _v2_base(rng: random.Random) -> str:
    """A new article: real sentences from many different articles, each perturbed."""
    sentences, lengths, _ = _v2_pool()
    target = lengths[rng.randrange(len(lengths))]
    parts: list[str] = []
    size = 0
    while size < target:
        s = _v2_perturb(sentences[rng.randrange(len(sentences))], rng)
        parts.append(s)
        size += s.count(" ") + 1
    return " ".join(parts)


def _make_chunk_v2(k: int) -> tuple[list[str], list[int]]:
    """Chunk ``k`` (10,000 documents) of the v2 corpus and each document's group id.

    A group is one base and its 0-3 syndicated copies (``syndicate(base,
    random_transforms(rng))``); its id is the global index of the base. A function of ``k``.
    """
    import functools

    from arabic_dedup import testing

    if not hasattr(testing.to_presentation_forms, "cache_info"):
        testing.to_presentation_forms = functools.lru_cache(maxsize=200_000)(  # type: ignore[assignment]
            testing.to_presentation_forms
        )
    rng = random.Random(f"v2-{SEED}-{k}")
    sentences, _, _ = _v2_pool()
    docs: list[str] = []
    groups: list[int] = []
    while len(docs) < CHUNK_DOCS:
        gid = k * CHUNK_DOCS + len(docs)
        base = _v2_base(rng)
        docs.append(base)
        groups.append(gid)
        related = [_v2_perturb(sentences[rng.randrange(len(sentences))], rng) for _ in range(5)]
        for _ in range(rng.randint(0, 3)):
            docs.append(
                testing.syndicate(
                    base,
                    testing.random_transforms(rng),
                    rng=rng,
                    title=related[0],
                    related=related[1:],
                    extra=related[4],
                )
            )
            groups.append(gid)
    return docs[:CHUNK_DOCS], groups[:CHUNK_DOCS]


def _ensure_chunk_v2(k: int) -> int:
    import numpy as np

    texts_path, groups_path = synthetic_v2_paths(k)
    if texts_path.exists() and groups_path.exists():
        return k
    docs, groups = _make_chunk_v2(k)
    texts_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = texts_path.with_suffix(f".tmp{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False))
            f.write("\n")
    gtmp = groups_path.with_suffix(f".tmp{os.getpid()}.npy")
    np.save(gtmp, np.array(groups, dtype=np.int64))
    gtmp.replace(groups_path)
    tmp.replace(texts_path)
    return k


def ensure_synthetic_v2(n_docs: int, *, processes: int = 2) -> None:
    """Generate (once, cached in ``CACHE_DIR/synthetic_v2``) chunks for ``n_docs`` documents."""
    n_chunks = -(-n_docs // CHUNK_DOCS)
    if n_chunks > N_CHUNKS_MAX:
        raise ValueError(f"at most {N_CHUNKS_MAX * CHUNK_DOCS:,} synthetic documents")
    todo = [k for k in range(n_chunks) if not all(p.exists() for p in synthetic_v2_paths(k))]
    if not todo:
        return
    _v2_pool()  # built once here; forked workers share it
    if processes > 1 and len(todo) > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(processes) as pool:
            for k in pool.imap_unordered(_ensure_chunk_v2, todo):
                print(f"  generated v2 chunk {k}", file=sys.stderr, flush=True)
    else:
        for k in todo:
            _ensure_chunk_v2(k)


def iter_synthetic_v2(n_docs: int) -> Any:
    """A generator over the first ``n_docs`` v2 documents, read lazily from the cache files."""
    left = n_docs
    k = 0
    while left > 0:
        with synthetic_v2_paths(k)[0].open("r", encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)
                left -= 1
                if left == 0:
                    return
        k += 1


def synthetic_v2_groups(n_docs: int) -> Any:
    """Group id (index of the base document) of each of the first ``n_docs`` v2 documents."""
    import numpy as np

    parts = [np.load(synthetic_v2_paths(k)[1]) for k in range(-(-n_docs // CHUNK_DOCS))]
    return np.concatenate(parts)[:n_docs]


def synthetic_v2_mb(n_docs: int) -> float:
    """UTF-8 megabytes of the first ``n_docs`` v2 documents (as decoded text, not JSON)."""
    return sum(len(t.encode("utf-8")) for t in iter_synthetic_v2(n_docs)) / 1e6
