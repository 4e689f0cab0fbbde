"""The kernels' on-disk builds are one unit: imported first by :mod:`arabic_dedup.kernels`."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def drop_stale_caches(here: Path = Path(__file__).parent) -> None:
    """Drop every kernel's on-disk build when any kernel module's source has changed.

    numba checks a cached build against its own function's file only, but kernels inline
    helpers from other modules (``cluster.grouped_stars`` inlines ``verify.pair_score``): after
    an edit to ``verify.py`` it would load the old build of ``grouped_stars``, and a
    fast == reference test would pass on a formula the source no longer has. So the kernels'
    builds are one unit, keyed by a digest of all their sources. Only the default cache
    beside the sources is managed (with ``NUMBA_CACHE_DIR`` set, clear that yourself after
    editing kernels); where it is not writable, numba cannot write there either.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(here.glob("*.py"))))
    cache = here / "__pycache__"
    stamp = cache / "kernels.sources"
    try:
        if stamp.read_text() == digest.hexdigest():
            return
    except OSError:
        pass
    try:
        for f in [*cache.glob("*.nbi"), *cache.glob("*.nbc")]:
            f.unlink()
        cache.mkdir(exist_ok=True)
        stamp.write_text(digest.hexdigest())
    except OSError:
        pass


drop_stale_caches()
