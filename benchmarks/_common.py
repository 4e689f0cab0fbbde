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
N_CHUNKS_MAX = 100  # 1,000,000 documents (v1; v2 goes to V2_CHUNKS_MAX)
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
    name = f"v{GEN_V2_VERSION}_seed{SEED}_{_v2_source()}"
    if k >= V2_BASE_CHUNKS:  # a round image: its construction has its own version
        name += f"_round{k // V2_BASE_CHUNKS}v{V2_ROUND_VERSION}"
    return CACHE_DIR / "synthetic_v2" / f"{name}_chunk{k:03d}"


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


def _make_chunk_v2(k: int, n: int = CHUNK_DOCS) -> tuple[list[str], list[int]]:
    """Chunk ``k`` (10,000 documents) of the v2 corpus and each document's group id.

    A group is one base and its 0-3 syndicated copies (``syndicate(base,
    random_transforms(rng))``); its id is the global index of the base. A function of ``k``;
    ``n < CHUNK_DOCS`` gives the chunk's first ``n`` documents (for checks and tests).
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
    while len(docs) < n:
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
    return docs[:n], groups[:n]


# -- v2 rounds: documents 1M..5M as letter-permuted images of the first 1M ---------------------
# Generating a v2 chunk costs ~17 s of one core, so 5M documents would cost hours. Instead
# chunk k >= V2_BASE_CHUNKS is chunk k % V2_BASE_CHUNKS with every JSON line passed through
# round r = k // V2_BASE_CHUNKS's letter permutation (``v2_round_table``), and its group ids
# are the base chunk's plus r * V2_ROUND_GROUP_OFFSET. The permutation is built to commute
# with the normaliser (normalize(translate(x)) == permute(normalize(x)), property-tested), so
# it maps every document's shingle set bijectively: within a round, every pair of documents
# has exactly the Jaccard it has in round 0 (copies stay copies, unrelated stays unrelated),
# while a word changes whenever it holds one permuted letter, so rounds share almost no
# shingles (``v2_round_check`` measures both).
V2_BASE_CHUNKS = 100  # chunks generated from scratch: documents 0 .. 999,999
V2_ROUNDS = 5  # round 0 (the base) and 4 images
V2_CHUNKS_MAX = V2_BASE_CHUNKS * V2_ROUNDS  # 5,000,000 documents
V2_ROUND_GROUP_OFFSET = V2_BASE_CHUNKS * CHUNK_DOCS  # larger than every base group id
# Bump when the permutation, or what the normaliser folds into its letters, changes (the
# tests in tests/test_bench_corpus.py fail then): the round files' names include it.
V2_ROUND_VERSION = 1
# The permuted letters: each is its own normal form and no other letter folds into it (only
# its presentation forms and ligatures normalise to it, and they follow it, below). Left
# alone: alef and hamza variants, teh marbuta / heh, alef maksura / yeh, and beh, feh, qaf,
# kaf, noon, waw, which dotless, Persian or waw-variant letters fold into. Two classes, so a
# letter that joins on both sides maps to another that does, and a shaped (presentation
# form) copy stays correctly shaped.
V2_ROUND_DUAL_JOINING = "تثجحخسشصضطظعغلم"
V2_ROUND_NON_JOINING = "دذرز"
# Round r moves each dual-joining letter r places along the class (a derangement for every
# r, and rounds r != s never agree on a letter). Four non-joining letters allow only three
# such shifts: round 4 swaps pairs instead, and agrees with rounds 1 and 3 on two of them.
_V2_NON_JOINING_IMAGES = ("دذرز", "ذرزد", "رزدذ", "زدذر", "ذدزر")
_POSITIONAL_FORMS = ("ISOLATED", "INITIAL", "MEDIAL", "FINAL")
# Code points whose normal form can contain a letter: presentation forms A and B, and the
# Arabic mathematical letters (tests/test_bench_corpus.py checks no other code point does).
_V2_SHAPED_RANGES = ((0xFB50, 0xFDFF), (0xFE70, 0xFEFF), (0x1EE00, 0x1EEFF))


def v2_round_letters(r: int) -> dict[str, str]:
    """Round ``r``'s letter permutation (empty for round 0, the base corpus)."""
    if not 0 <= r < V2_ROUNDS:
        raise ValueError(f"round {r} is outside 0..{V2_ROUNDS - 1}")
    if r == 0:
        return {}
    dual = V2_ROUND_DUAL_JOINING
    out = {c: dual[(i + r) % len(dual)] for i, c in enumerate(dual)}
    out.update(zip(V2_ROUND_NON_JOINING, _V2_NON_JOINING_IMAGES[r], strict=True))
    return out


_V2_ROUND_TABLES: dict[int, dict[int, str]] = {}


def v2_round_table(r: int) -> dict[int, str]:
    """The ``str.translate`` table of round ``r``: its letters, and what normalises to them.

    A positional presentation form of a permuted letter becomes the same form of the letter's
    image; any other character whose normal form holds a permuted letter (ligatures such as
    U+FDFA, letters with a superscript alef) becomes the permuted normal form, so translation
    and normalisation commute.
    """
    if r not in _V2_ROUND_TABLES:
        import unicodedata

        from arabic_dedup import normalize

        letters = v2_round_letters(r)
        table = {ord(a): b for a, b in letters.items()}
        for lo, hi in _V2_SHAPED_RANGES:
            for cp in range(lo, hi + 1):
                ch = chr(cp)
                norm = normalize(ch)
                if not letters or not any(x in letters for x in norm):
                    continue
                name = unicodedata.name(ch, "")
                image = norm.translate(table)
                for form in _POSITIONAL_FORMS:
                    if len(norm) == 1 and name == f"{unicodedata.name(norm)} {form} FORM":
                        image = unicodedata.lookup(f"{unicodedata.name(letters[norm])} {form} FORM")
                table[cp] = image
        _V2_ROUND_TABLES[r] = table
    return _V2_ROUND_TABLES[r]


_V2_ROUND_LUTS: dict[int, tuple[Any, Any, dict[int, str]]] = {}


def v2_translate(text: str, r: int) -> str:
    """``text.translate(v2_round_table(r))``, ~20x faster: a numpy lookup over code points
    for the 1:1 part, then a regex pass for the rare characters that expand (ligatures)."""
    import re

    import numpy as np

    if r not in _V2_ROUND_LUTS:
        table = v2_round_table(r)
        lut = np.arange(0x110000, dtype=np.uint32)
        expanding: dict[int, str] = {}
        for cp, image in table.items():
            if len(image) == 1:
                lut[cp] = ord(image)
            else:
                expanding[cp] = image
        pattern = re.compile("[" + "".join(map(chr, expanding)) + "]") if expanding else None
        _V2_ROUND_LUTS[r] = (lut, pattern, expanding)
    lut, pattern, expanding = _V2_ROUND_LUTS[r]
    code_points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    out = str(lut[code_points].tobytes().decode("utf-32-le"))
    if pattern is not None:
        out = pattern.sub(lambda m: expanding[ord(m[0])], out)
    return out


def _ensure_round_chunk_v2(k: int) -> int:
    """Write chunk ``k >= V2_BASE_CHUNKS`` as round ``k // V2_BASE_CHUNKS`` of its base chunk."""
    import numpy as np

    texts_path, groups_path = synthetic_v2_paths(k)
    if texts_path.exists() and groups_path.exists():
        return k
    r, base = divmod(k, V2_BASE_CHUNKS)
    base_texts, base_groups = synthetic_v2_paths(base)
    texts_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = texts_path.with_suffix(f".tmp{os.getpid()}")
    # The whole JSON-lines file at once: the permuted characters are letters, never JSON
    # syntax, so translating the lines is translating each text.
    tmp.write_text(v2_translate(base_texts.read_text(encoding="utf-8"), r), encoding="utf-8")
    gtmp = groups_path.with_suffix(f".tmp{os.getpid()}.npy")
    np.save(gtmp, np.load(base_groups) + r * V2_ROUND_GROUP_OFFSET)
    gtmp.replace(groups_path)
    tmp.replace(texts_path)
    return k


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
    """Generate (once, cached in ``CACHE_DIR/synthetic_v2``) chunks for ``n_docs`` documents.

    The first ``V2_BASE_CHUNKS`` chunks are generated; later ones are round images of them.
    """
    n_chunks = -(-n_docs // CHUNK_DOCS)
    if n_chunks > V2_CHUNKS_MAX:
        raise ValueError(f"at most {V2_CHUNKS_MAX * CHUNK_DOCS:,} synthetic v2 documents")

    def missing(k: int) -> bool:
        return not all(p.exists() for p in synthetic_v2_paths(k))

    base = [k for k in range(min(n_chunks, V2_BASE_CHUNKS)) if missing(k)]
    rounds = [k for k in range(V2_BASE_CHUNKS, n_chunks) if missing(k)]
    if base:
        _v2_pool()  # built once here; forked workers share it
    for todo, make, what in (
        (base, _ensure_chunk_v2, "generated"),
        (rounds, _ensure_round_chunk_v2, "translated"),
    ):
        if processes > 1 and len(todo) > 1:
            import multiprocessing as mp

            with mp.get_context("fork").Pool(processes) as pool:
                for k in pool.imap_unordered(make, todo):
                    print(f"  {what} v2 chunk {k}", file=sys.stderr, flush=True)
        else:
            for k in todo:
                make(k)


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


def synthetic_v2_parquet(n_docs: int) -> list[Path]:
    """Parquet copies (columns ``id`` = input index, ``text``) of the chunks holding the first
    ``n_docs`` v2 documents, written once beside the JSON-lines files: the columnar input a
    Spark user has, read natively by both Spark and pyarrow."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    ensure_synthetic_v2(n_docs)
    paths = []
    for k in range(-(-n_docs // CHUNK_DOCS)):
        src = synthetic_v2_paths(k)[0]
        path = src.with_suffix(".parquet")
        if not path.exists():
            with src.open("r", encoding="utf-8") as f:
                texts = [json.loads(line) for line in f]
            first = k * CHUNK_DOCS
            table = pa.table(
                {"id": pa.array(range(first, first + len(texts)), pa.int64()), "text": texts}
            )
            tmp = path.with_suffix(f".tmp{os.getpid()}.parquet")
            pq.write_table(table, tmp)
            tmp.replace(path)
        paths.append(path)
    return paths


def iter_synthetic_v2_parquet(n_docs: int) -> Any:
    """:func:`iter_synthetic_v2` read from the Parquet copies (a batch of texts at a time)."""
    import pyarrow.parquet as pq

    left = n_docs
    for path in synthetic_v2_parquet(n_docs):
        for batch in pq.ParquetFile(path).iter_batches(columns=["text"]):
            texts = batch.column(0).to_pylist()[:left]
            yield from texts
            left -= len(texts)
            if left == 0:
                return


def synthetic_v2_groups(n_docs: int) -> Any:
    """Group id (index of the base document) of each of the first ``n_docs`` v2 documents."""
    import numpy as np

    parts = [np.load(synthetic_v2_paths(k)[1]) for k in range(-(-n_docs // CHUNK_DOCS))]
    return np.concatenate(parts)[:n_docs]


def synthetic_v2_mb(n_docs: int) -> float:
    """UTF-8 megabytes of the first ``n_docs`` v2 documents (as decoded text, not JSON)."""
    return sum(len(t.encode("utf-8")) for t in iter_synthetic_v2(n_docs)) / 1e6


def v2_round_check(
    docs: Sequence[str], groups: Sequence[int], *, rounds: Sequence[int] = (1, 2, 3, 4)
) -> dict[str, Any]:
    """Check the round construction on ``docs`` (round-0 documents) and their images.

    (a) ``find_duplicates`` on the union of round 0 and the ``rounds`` images: pairs that
    cross rounds (should be none), pair precision against the groups (group ids shifted per
    round, as in the files), and duplicates flagged per round (equal up to LSH sampling: the
    minhash values of a permuted word differ); and, exactly, every within-group pair's word
    2-shingle Jaccard (reference path) in each round against round 0. (b) The share of a
    base's word 2-shingles found in its image, and between images of two rounds.
    """
    import json
    from itertools import combinations

    import numpy as np

    from arabic_dedup import find_duplicates, shingles

    n = len(docs)
    g0 = np.asarray(groups, dtype=np.int64)
    all_rounds = [0, *rounds]
    images = {
        r: [json.loads(v2_translate(json.dumps(d, ensure_ascii=False), r)) for d in docs]
        for r in all_rounds
    }
    res = find_duplicates([d for r in all_rounds for d in images[r]])
    g = np.concatenate([g0 + r * V2_ROUND_GROUP_OFFSET for r in all_rounds])
    rnd = np.repeat(np.arange(len(all_rounds)), n)
    pi, pj = np.asarray(res.pairs.i), np.asarray(res.pairs.j)
    keep = np.asarray(res.keep)
    sets = {r: [frozenset(shingles(d)) for d in images[r]] for r in all_rounds}
    in_group = [(i, j) for i, j in combinations(range(n), 2) if g0[i] == g0[j]]

    def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
        return len(a & b) / len(a | b) if a or b else 1.0

    bases = [i for i in range(n) if i == 0 or g0[i] != g0[i - 1]]

    def shared(r: int, s: int) -> float:
        common = sum(len(sets[r][i] & sets[s][i]) for i in bases)
        return common / max(1, sum(len(sets[r][i]) for i in bases))

    per_round = []
    for k, r in enumerate(all_rounds):
        table = v2_round_table(r)
        words = [w for d in docs for w in d.split()]
        per_round.append(
            {
                "round": r,
                "duplicates": int((~keep[rnd == k]).sum()),
                "pairs": int(((rnd[pi] == k) & (rnd[pj] == k)).sum()),
                "group_pairs_jaccard_changed": sum(
                    jaccard(sets[r][i], sets[r][j]) != jaccard(sets[0][i], sets[0][j])
                    for i, j in in_group
                ),
                "words_unchanged": sum(w.translate(table) == w for w in words) / len(words),
                "base_shingles_shared_with_round_0": shared(0, r),
            }
        )
    between = {f"{r}-{s}": shared(r, s) for r, s in combinations(rounds, 2)}
    same = g[pi] == g[pj]
    return {
        "docs_per_round": n,
        "bases": len(bases),
        "within_group_pairs": len(in_group),
        "pairs": len(pi),
        "cross_round_pairs": int((rnd[pi] != rnd[pj]).sum()),
        "precision": float(same.mean()) if len(pi) else 1.0,
        "rounds": per_round,
        "base_shingles_shared_between_rounds": between,
        "max_shared": max(
            [x["base_shingles_shared_with_round_0"] for x in per_round[1:]] + list(between.values())
        ),
    }
