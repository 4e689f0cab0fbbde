"""`arabic-dedup warm-up` compiles every kernel a run uses, so a first run compiles nothing.

Checked by numba's own counters, not by time: in a fresh ``NUMBA_CACHE_DIR``, after
``warm-up``, a batch dedup through the CLI and a stream of adds report no cache miss (a miss is
a compilation) on any kernel, and a hit on each kernel they call.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from _corpus import corpus

from arabic_dedup.testing import random_transforms, syndicate

pytest.importorskip("numba", reason="no numba: there is nothing to compile")

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent / "arabic-dedup"

# Runs a batch dedup (CLI, in process) and a few stream adds, then prints each kernel's
# numba counters.
WORKLOAD = r"""
import json, sys
from arabic_dedup.cli import main
from arabic_dedup import Deduplicator
import arabic_dedup.kernels as K
code = main(["dedup", sys.argv[1], "--out", sys.argv[2], "-q"])
with Deduplicator() as d:
    for i, line in enumerate(open(sys.argv[1], encoding="utf-8")):
        d.add(i, json.loads(line)["text"])
stats = {}
for mod in (K.shingle, K.minhash, K.boilerplate, K.lsh, K.verify, K.cluster):
    for name, obj in vars(mod).items():
        if hasattr(obj, "stats") and hasattr(obj, "py_func"):
            s = obj.stats
            stats[mod.__name__ + "." + name] = [sum(s.cache_hits.values()),
                                                sum(s.cache_misses.values())]
print(json.dumps({"code": code, "stats": stats}))
"""


def test_after_warm_up_a_first_run_compiles_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    warm = subprocess.run([str(BIN), "warm-up"], env=env, capture_output=True, text=True)
    assert warm.returncode == 0, warm.stderr
    assert "kernels ready" in warm.stderr

    src = tmp_path / "in.jsonl"
    # The shared corpus twice (exact copies), then 60 syndicated copies of each seed: enough
    # distinct documents and verified pairs for the parallel kernels as well as the serial.
    rng = random.Random(3)
    bases = [t for k, t in corpus() if k.startswith("a")]
    rows = [t for _, t in corpus()] * 2
    rows += [syndicate(b, random_transforms(rng), rng=rng) for b in bases for _ in range(60)]
    src.write_text(
        "".join(
            json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(rows)
        ),
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, "-c", WORKLOAD, str(src), str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.splitlines()[-1])
    assert out["code"] == 0
    stats = out["stats"]
    compiled = {k: v for k, v in stats.items() if v[1]}
    assert compiled == {}, f"kernels compiled after warm-up: {compiled}"
    used = {k.removeprefix("arabic_dedup.kernels.") for k, v in stats.items() if v[0]}
    # The workload reached every stage (which twin a stage calls depends on batch sizes).
    assert {"shingle.shingle_batch", "boilerplate._filter_docs", "lsh.bucket_pairs"} <= used
    assert used & {"minhash.signature_batch", "minhash.signature_batch_serial"}, sorted(used)
    assert used & {"verify.intersect_counts", "verify.intersect_counts_serial"}, sorted(used)
