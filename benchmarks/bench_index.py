"""Persistent indexes: ``Deduplicator`` add / query throughput and latency per store.

For each store — memory, SQLite (``path=``), Redis (``redis_url=``) — the first N documents of
the synthetic syndication corpus (SaudiNewsNet articles, new articles recombined from their
sentences, and syndicated copies; see ``_common.synthetic_texts``) are added one by one, each
add timed; then 2,000 queries (half indexed texts, half texts not in the index) are timed.
Shingle hashing is done once up front with the batch fast path and reported on its own, so
the figures are the index's own cost: candidate lookup, verification, the committed write.
Also reported: index size per document (SQLite file after a checkpoint; Redis ``used_memory``
growth; memory: the stored payload).

Run: ``python benchmarks/bench_index.py [--quick] [--n N] [--large] [--redis-url URL]
[--max-df auto|none] [--facts apart|join]``. ``--max-df`` compares the cost of
document-frequency counting (the default, "auto") with none; its results go to
``results/index_max_df_<value>.json`` and the markdown page is left alone. ``--facts MODE``
runs every store twice in the same process, fact check off and ``MODE`` (fingerprints hashed
up front beside the shingles), and reports the ratio; results to
``results/index_facts_<mode>.json``.
Without ``--redis-url`` a private ``redis-server`` is started on a free loopback port (and
killed at the end); if none is installed the Redis row is skipped and says so.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common as c
import numpy as np

N_QUERIES = 2000


def _start_redis(tmp: Path) -> tuple[subprocess.Popen[bytes] | None, str | None, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        return None, None, "redis-server not installed (tools/ensure_redis.sh)"
    import redis

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(tmp)]
    proc = subprocess.Popen(
        [*args, "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(500):
        try:
            redis.Redis.from_url(url).ping()
            return proc, url, "private redis-server, loopback, no persistence"
        except redis.ConnectionError:
            time.sleep(0.02)
    proc.kill()
    return None, None, "redis-server did not start"


def _pct(lat: np.ndarray, q: float) -> float:
    return float(np.percentile(lat, q) * 1e3)


def bench_store(name: str, kw: dict[str, Any], sets: Any, n: int, qidx: np.ndarray,
                qsets: Any, max_df: Any = "auto", code: str = "", facts: str = "off",
                fsets: Any = None) -> dict[str, Any]:  # fmt: skip
    from arabic_dedup import Deduplicator
    from arabic_dedup.stores import NO_FACTS

    def fp(i: int) -> Any:  # a document's fact fingerprint (none with the check off)
        return NO_FACTS if facts == "off" else fsets[i]

    redis_before = 0
    if name == "redis":
        import redis

        r = redis.Redis.from_url(kw["redis_url"])
        r.flushdb()
        t0 = time.perf_counter()
        for _ in range(1000):
            r.ping()
        ping_ms = time.perf_counter() - t0  # seconds for 1000 = ms per ping
        redis_before = int(r.info("memory")["used_memory"])
    d = Deduplicator(max_df=max_df, facts=facts, **kw)
    lat = np.empty(n)
    cpu = np.empty(n)
    dups = 0
    t_all = time.perf_counter()
    for i in range(n):
        h = sets[i]
        c0 = time.thread_time()
        t0 = time.perf_counter()
        m = d._add_hashes(f"doc-{i:07d}", h, fp(i))
        lat[i] = time.perf_counter() - t0
        cpu[i] = time.thread_time() - c0
        dups += m is not None
        if i and i % 20000 == 0:
            print(f"    {name}: {i:,} added", file=sys.stderr, flush=True)
    add_s = time.perf_counter() - t_all
    qlat = np.empty(len(qidx))
    hits = 0
    for j in range(len(qidx)):
        at = int(qidx[j]) if j % 2 == 0 else n + j // 2  # qsets: the documents after n
        h = sets[at] if j % 2 == 0 else qsets[j // 2]
        t0 = time.perf_counter()
        hits += bool(d._query_hashes(h, fp(at)))
        qlat[j] = time.perf_counter() - t0
    st = d.stats() if name != "redis" else None
    if name == "sqlite":
        d._store.checkpoint()  # type: ignore[attr-defined]
        size = Path(kw["path"]).stat().st_size
        size_note = "SQLite file after a WAL checkpoint"
    elif name == "redis":
        size = int(r.info("memory")["used_memory"]) - redis_before
        size_note = "growth of Redis used_memory"
    else:
        assert st is not None
        size = st.bytes
        size_note = "stored payload (hashes + band hashes), not Python object overhead"
    count = len(d)
    d.close()
    extra = {"redis_ping_ms": ping_ms} if name == "redis" else {}
    return {
        **extra,
        "store": name,
        "facts": facts,
        "machine": c.machine_info(),  # stores may run in separate (even concurrent) processes
        "code_commit": code,  # the commit this process imported (HEAD may move during a run)
        "n_docs": n,
        "records": count,
        "duplicates_found": dups,
        "add": {
            "total_s": add_s,
            "per_s": n / add_s,
            "p50_ms": _pct(lat, 50),
            "p99_ms": _pct(lat, 99),
            "last_10pct_p50_ms": _pct(lat[-max(1, n // 10) :], 50),
            # The adds made with 90-100 % of the documents already indexed.
            "last_10pct_p99_ms": _pct(lat[-max(1, n // 10) :], 99),
            # The calling thread's CPU time: the work itself, without waiting for a core.
            "cpu_p50_ms": _pct(cpu, 50),
            "cpu_p99_ms": _pct(cpu, 99),
        },
        "query": {
            "n": len(qidx),
            "per_s": len(qidx) / float(qlat.sum()),
            "p50_ms": _pct(qlat, 50),
            "p99_ms": _pct(qlat, 99),
            "with_match": hits,
        },
        "bytes": size,
        "bytes_per_doc": size / n,
        "bytes_note": size_note,
    }


def main() -> None:
    p = c.base_parser(__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=None, help="documents to index (default 100,000)")
    p.add_argument("--large", action="store_true", help="1,000,000 documents")
    p.add_argument("--redis-url", default=None, help="use this Redis (its db is FLUSHED)")
    p.add_argument("--stores", default="memory,sqlite,redis", help="comma-separated subset")
    p.add_argument(
        "--docs-only", action="store_true", help="rewrite the markdown from the saved JSON"
    )
    p.add_argument("--max-df", choices=("auto", "none"), default=None,
                   help="index max_df (default: the library default, 'auto'); results to "
                        "index_max_df_<value>.json")  # fmt: skip
    p.add_argument("--facts", choices=("apart", "join"), default=None,
                   help="also run each store with this fact check, in the same process; "
                        "results to index_facts_<mode>.json")  # fmt: skip
    args = p.parse_args()
    max_df = "auto" if args.max_df in (None, "auto") else None
    if args.docs_only:
        write_docs()
        return
    n = args.n or (1_000_000 if args.large else 5_000 if args.quick else 100_000)

    from arabic_dedup import DedupConfig

    code = c.machine_info()["git_commit"]

    print(f"bench_index: {n:,} documents", file=sys.stderr, flush=True)
    # Unseen query texts: the documents after the indexed ones (a live feed's mix); past the
    # end of the synthetic corpus (--large), word-shuffled indexed texts instead.
    extra = max(0, min(N_QUERIES // 2, c.N_CHUNKS_MAX * c.CHUNK_DOCS - n))
    texts = c.synthetic_texts(n + extra)
    if extra < N_QUERIES // 2:
        import random

        rng_w = random.Random(c.SEED)
        for _ in range(N_QUERIES // 2 - extra):
            words = texts[rng_w.randrange(n)].split()
            rng_w.shuffle(words)
            texts.append(" ".join(words))
    corpus = c.load_corpus()
    hasher = DedupConfig().hasher()
    hasher.shingle_sets(texts[:100])  # compile / load the kernels before timing
    if args.facts is not None:
        hasher.shingle_fact_sets(texts[:100])  # the fused kernel with the fact pass, too

    def timed(f: Any) -> tuple[Any, float]:
        t0 = time.perf_counter()
        out = f()
        return out, time.perf_counter() - t0

    def per_text_ms(f: Any) -> float:  # one text a call, as Deduplicator.add(key, text) does
        return timed(lambda: [f([t]) for t in texts[:200]])[1] / 200 * 1e3

    all_sets, hash_s = timed(lambda: hasher.shingle_sets(texts))
    hashing: dict[str, Any] = {
        "reference_ms_per_doc": timed(lambda: [hasher.hash_shingles(t) for t in texts[:200]])[1]
        / 200
        * 1e3,
        "note": "shingle hashing, done before the timed adds (batch fast path)",
    }
    all_facts = None
    if args.facts is not None:
        # Each batch twice, alternating, the faster kept: the first big call also pays for
        # touching fresh memory, which would bias whichever ran first.
        (_, all_facts), fact_s = timed(lambda: hasher.shingle_fact_sets(texts))
        hash_s = min(hash_s, timed(lambda: hasher.shingle_sets(texts))[1])
        fact_s = min(fact_s, timed(lambda: hasher.shingle_fact_sets(texts))[1])
        hashing["with_facts_docs_per_s"] = len(texts) / fact_s
        hashing["single_text_ms_per_doc"] = per_text_ms(hasher.shingle_sets)
        hashing["single_text_with_facts_ms_per_doc"] = per_text_ms(hasher.shingle_fact_sets)
    hashing["batch_docs_per_s"] = len(texts) / hash_s
    rng = np.random.default_rng(c.SEED)
    qidx = rng.choice(n, size=N_QUERIES, replace=False)
    qsets = [all_sets[n + j] for j in range(N_QUERIES // 2)]  # never added

    tmp = Path(tempfile.mkdtemp(prefix="bench_index_"))
    proc = None
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    results: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    try:
        for name in stores:
            kw: dict[str, Any]
            if name == "memory":
                kw = {}
            elif name == "sqlite":
                kw = {"path": str(tmp / "index.sqlite")}
            elif name == "redis":
                url, how = args.redis_url, "given --redis-url"
                if url is None:
                    proc, url, how = _start_redis(tmp)
                if url is None:
                    skipped[name] = how
                    print(f"  redis skipped: {how}", file=sys.stderr)
                    continue
                kw = {"redis_url": url, "namespace": "bench"}
            else:
                raise SystemExit(f"unknown store {name!r}")
            for facts in ("off",) if args.facts is None else ("off", args.facts):
                print(f"  {name} facts={facts} ...", file=sys.stderr, flush=True)
                if name == "sqlite":  # a fresh file per run (the index records facts)
                    kw = {"path": str(tmp / f"index_{facts}.sqlite")}
                res = bench_store(name, kw, all_sets, n, qidx, qsets, max_df, code, facts,
                                  all_facts)  # fmt: skip
                results.append(res)
                _print_store(name, res)
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    _finish(args, n, corpus, max_df, hashing, results, skipped)


def _print_store(name: str, res: dict[str, Any]) -> None:
    print(
        f"  {name}: add {res['add']['per_s']:,.0f}/s p50 {res['add']['p50_ms']:.3f} ms "
        f"p99 {res['add']['p99_ms']:.3f} ms; query {res['query']['per_s']:,.0f}/s "
        f"p99 {res['query']['p99_ms']:.3f} ms; {res['bytes_per_doc']:,.0f} B/doc"
        + (f"; PING {res['redis_ping_ms']:.3f} ms" if "redis_ping_ms" in res else ""),
        file=sys.stderr,
        flush=True,
    )


def _finish(args: Any, n: int, corpus: Any, max_df: Any, hashing: dict[str, Any],
            results: list[dict[str, Any]], skipped: dict[str, str]) -> None:  # fmt: skip
    from arabic_dedup import DedupConfig

    payload = {
        "n_docs": n,
        "corpus": corpus.note,
        "params": {
            k: v for k, v in DedupConfig(max_df=max_df).as_dict().items() if k != "normalizer"
        },
        "hashing": hashing,
        "stores": results,
        "skipped": skipped,
        "note": payload_note(),
    }
    if args.facts is not None:
        by = {(s["store"], s["facts"]): s for s in results}
        payload["facts_cost"] = {
            store: {
                "add_per_s_ratio": by[store, args.facts]["add"]["per_s"] / s["add"]["per_s"],
                "add_cpu_p50_ratio": by[store, args.facts]["add"]["cpu_p50_ms"]
                / s["add"]["cpu_p50_ms"],
                "query_per_s_ratio": by[store, args.facts]["query"]["per_s"]
                / s["query"]["per_s"],
                "bytes_per_doc_ratio": by[store, args.facts]["bytes_per_doc"] / s["bytes_per_doc"],
                "duplicates_off_on": [s["duplicates_found"],
                                      by[store, args.facts]["duplicates_found"]],
            }
            for (store, facts), s in by.items()
            if facts == "off" and (store, args.facts) in by
        }  # fmt: skip
        c.write_results(f"index_facts_{args.facts}", payload)
        return
    if args.max_df is not None:
        c.write_results(f"index_max_df_{args.max_df}", payload)
        return
    name = _results_name(n)
    # Stores may be run one per process (e.g. in parallel at 1M): keep the other stores'
    # results of the same size, replace those run now.
    path = c.RESULTS_DIR / f"{name}.json"
    if path.exists():
        import json

        old = json.loads(path.read_text(encoding="utf-8"))
        if old.get("n_docs") == n and old.get("params") == payload["params"]:
            ran = {s["store"] for s in results}
            kept = [s for s in old["stores"] if s["store"] not in ran]
            order = {k: i for i, k in enumerate(("memory", "sqlite", "redis"))}
            payload["stores"] = sorted(kept + results, key=lambda s: order.get(s["store"], 9))
            payload["skipped"] = {
                **{k: v for k, v in old.get("skipped", {}).items() if k not in ran},
                **skipped,
            }
    c.write_results(name, payload)
    if name in ("index", "index_1m"):
        write_docs()


def _results_name(n: int) -> str:
    return {100_000: "index", 1_000_000: "index_1m"}.get(n, f"index_n{n}")


def payload_note() -> str:
    return (
        "One run per store (a build of N documents is long); latencies are percentiles over "
        "every operation of that run, so noise from other work on the machine shows in p99: "
        "compare the CPU column and the load average."
    )


def _section(r: dict[str, Any]) -> str:
    rows = [
        [
            s["store"],
            f"{s['add']['per_s']:,.0f}",
            c.fmt(s["add"]["p50_ms"]),
            c.fmt(s["add"]["p99_ms"]),
            c.fmt(s["add"].get("last_10pct_p99_ms")) if "last_10pct_p99_ms" in s["add"] else "-",
            c.fmt(s["add"]["cpu_p99_ms"]) if "cpu_p99_ms" in s["add"] else "-",
            f"{s['query']['per_s']:,.0f}",
            c.fmt(s["query"]["p50_ms"]),
            c.fmt(s["query"]["p99_ms"]),
            f"{s['bytes_per_doc']:,.0f}",
            str((s.get("machine") or r.get("machine") or {}).get("load_average_1_5_15", "-")),
        ]
        for s in r["stores"]
    ]
    table = c.md_table(
        [
            "store",
            "adds/s",
            "add p50 ms",
            "add p99 ms",
            "p99 ms, last 10 %",
            "CPU p99 ms",
            "queries/s",
            "query p50 ms",
            "query p99 ms",
            "bytes/doc",
            "load avg at end",
        ],
        rows,
    )
    skipped = "".join(f"\n- {k}: skipped — {v}" for k, v in r["skipped"].items())
    notes = "\n".join(f"- {s['store']}: bytes/doc = {s['bytes_note']}" for s in r["stores"])
    h = r["hashing"]
    dups = {s["store"]: s["duplicates_found"] for s in r["stores"]}
    agree = (
        f"Every store made the same decisions: {next(iter(dups.values())):,} of the "
        f"{r['n_docs']:,} documents were recorded as duplicates in each."
        if len(set(dups.values())) == 1
        else f"Stores disagreed on the number of duplicates: {dups}."
    )
    pings = [s["redis_ping_ms"] for s in r["stores"] if "redis_ping_ms" in s]
    ping = f" A bare Redis PING took {pings[0]:.3f} ms during the Redis run." if pings else ""
    commits = sorted(
        {
            s.get("code_commit") or (s.get("machine") or r["machine"])["git_commit"]
            for s in r["stores"]
        }
    )
    return f"""## {r["n_docs"]:,} documents

{agree} Shingle hashing, done up front: {h["batch_docs_per_s"]:,.0f} documents/s with the
batch fast path (`add_many`), {h["reference_ms_per_doc"]:.2f} ms per text on the single-text
path that `add(key, text)` adds to the figures below.{ping}

{table}
{skipped}

{notes}

Commit(s): {", ".join(f"`{x}`" for x in commits)}. {r["note"]}
"""


def write_docs() -> None:
    sections = [_section(r) for r in c.saved_results(*("index", "index_1m"))]
    text = f"""# Persistent indexes: `Deduplicator` per store

`python benchmarks/bench_index.py` (100,000 documents; `--large` for 1,000,000; `--stores`
runs a subset, and the results of the other stores of the same size are kept). Results:
`benchmarks/results/index.json` and `index_1m.json`.

The first N documents of the synthetic syndication corpus (SaudiNewsNet articles, new
articles recombined from their sentences, and syndicated copies) are added one by one to
each store, each `add` timed (candidate lookup, exact verification, committed write); then
{N_QUERIES:,} `query` calls (half indexed texts, half unseen) are timed with all N indexed.
"p99, last 10 %" is over the adds made with 90-100 % of N already indexed; "CPU p99" is the
calling thread's CPU time per add (the work without waiting for a core). SQLite commits every
add (WAL, `synchronous=NORMAL`); Redis runs a read script and a write script (two round trips
on loopback, three when the verifier asks about the boilerplate of candidates its bound leaves)
against a private `redis-server` without persistence, the client and the server sharing the
machine's 2 cores.

{chr(10).join(sections)}
{c.NOISE_NOTE}

{c.machine_md()}
"""
    c.write_markdown("index", text)


if __name__ == "__main__":
    main()
