"""What the whole suite shares: markers, the shared-data location, service fixtures.

Markers (select with ``-m``; ``make test-fast`` runs ``not redis and not spark and not slow``):

* ``redis``: starts a real ``redis-server`` (any test using the ``redis_url`` fixture);
* ``spark``: a real local Spark session (``tests/test_spark.py``);
* ``slow``:  over a few seconds on this 2-core machine;
* ``data``:  reads the licensed corpora under ``../shared/data`` and skips, saying where it
  looked, when they are absent (a clean clone without ``../shared`` is a supported set-up).

Tests find the shared corpora through ``_shared.shared_file`` (one variable,
``$ARABIC_DEDUP_SHARED``, overrides where ``../shared`` is).
"""

from __future__ import annotations

import pytest
from _redis_server import redis_ns, redis_url

__all__ = ["redis_ns", "redis_url"]

MARKERS = {
    "redis": "starts a real redis-server",
    "spark": "runs a real local Spark session",
    "slow": "takes more than a few seconds",
    "data": "reads the licensed corpora under ../shared/data (skips when absent)",
}


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "redis_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.redis)
