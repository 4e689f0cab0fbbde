"""The real datatrove MinHash pipeline as an anchor: FineWeb-2's configuration, in process.

datatrove (``pip install -e '.[bench]'``; its Arabic word tokenizer is spaCy's) deduplicates
in four stages that talk through files: signatures -> buckets -> clusters -> filter. This
runs the first three with ``LocalPipelineExecutor`` (one task, one worker, so in this
process) on a list of texts in a temporary folder, and reads the cluster of every document
from the ``.clusters`` file stage 3 writes (``save_cluster_id``): the union-find clusters
datatrove's filter would keep one document of. FineWeb-2's settings: word 5-grams after
datatrove's own normalisation, 14 buckets x 8 hashes, 64-bit xxhash, language ``arb_Arab``.

``available()`` says whether it can run (and why not); benchmarks skip the row when it is not.
"""

from __future__ import annotations

import contextlib
import io
import struct
import tempfile
from pathlib import Path

import numpy as np

LANGUAGE = "arb_Arab"
INSTALL_HINT = "pip install -e '.[bench]' (datatrove, spaCy)"


def available() -> str | None:
    """None when the anchor can run, else why not."""
    try:
        import datatrove  # noqa: F401
        import spacy  # noqa: F401
    except ImportError as e:
        return f"datatrove anchor skipped: {e.name} is not installed ({INSTALL_HINT})"
    return None


def version() -> str:
    from importlib.metadata import version as v

    return v("datatrove")


def datatrove_minhash(texts: list[str]) -> np.ndarray:
    """Cluster label per text (the text's own index when datatrove found no duplicate)."""
    from datatrove.data import Document
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupSignature,
    )
    from datatrove.utils.hashing import HashConfig
    from loguru import logger

    config = MinhashConfig(
        n_grams=5,
        num_buckets=14,
        hashes_per_bucket=8,
        hash_config=HashConfig(precision=64, hash_fc="xxhash"),
    )
    docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]
    with tempfile.TemporaryDirectory(prefix="datatrove-anchor-") as tmp:
        root = Path(tmp)
        sigs, buckets, clusters = root / "sigs", root / "buckets", root / "clusters"

        def run(pipeline: list, tasks: int = 1) -> None:  # type: ignore[type-arg]
            # Each task logs every stage to stderr through loguru, and the stats table too:
            # kept in its log folder instead, the benchmark's own output stays readable.
            with contextlib.redirect_stderr(io.StringIO()):
                LocalPipelineExecutor(
                    pipeline=pipeline,
                    tasks=tasks,
                    workers=1,
                    logging_dir=str(root / f"logs-{len(list(root.iterdir()))}"),
                    skip_completed=False,
                ).run()
                logger.remove()

        run(
            [docs, MinhashDedupSignature(output_folder=str(sigs), config=config, language=LANGUAGE)]
        )
        run(
            [
                MinhashDedupBuckets(
                    input_folder=str(sigs), output_folder=str(buckets), config=config
                )
            ],
            tasks=config.num_buckets,
        )
        run(
            [
                MinhashDedupCluster(
                    input_folder=str(buckets),
                    output_folder=str(clusters),
                    config=config,
                    save_cluster_id=True,
                )
            ]
        )
        labels = np.arange(len(texts))
        path = clusters / "000000.clusters"
        if path.exists():  # absent when no two documents share a bucket
            raw = path.read_bytes()
            pairs = np.array(struct.unpack(f"<{len(raw) // 4}I", raw), dtype=np.int64)
            doc, cluster = pairs[0::2], pairs[1::2]
            # a cluster's label: the smallest index among its documents
            first = {}
            for d, c in zip(doc.tolist(), cluster.tolist(), strict=True):
                first.setdefault(c, d)
                first[c] = min(first[c], d)
            labels[doc] = [first[c] for c in cluster.tolist()]
    return labels
