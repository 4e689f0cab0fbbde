"""What the whole suite shares: markers, the shared-data location, service fixtures.

Markers (select with ``-m``; ``make test-fast`` runs ``not redis and not spark and not slow and
not browser``):

* ``redis``: starts a real ``redis-server`` (any test using the ``redis_url`` fixture);
* ``spark``: a real local Spark session (``tests/test_spark.py``);
* ``slow``:  over a few seconds on this 2-core machine;
* ``data``:  reads the licensed corpora under ``../shared/data`` and skips, saying where it
  looked, when they are absent (a clean clone without ``../shared`` is a supported set-up);
* ``browser``: renders a page in a real headless Chromium (``tests/test_report_html.py``).

Tests find the shared corpora through ``_shared.shared_file`` (one variable,
``$ARABIC_DEDUP_SHARED``, overrides where ``../shared`` is).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _redis_server import redis_ns, redis_url
from _services import missing_service

__all__ = ["redis_ns", "redis_url", "spark", "stored", "where"]

MARKERS = {
    "redis": "starts a real redis-server",
    "spark": "runs a real local Spark session",
    "slow": "takes more than a few seconds",
    "data": "reads the licensed corpora under ../shared/data (skips when absent)",
    "browser": "runs a real headless Chromium (tools/ensure_chromium.sh)",
}


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "redis_url" in names:
            item.add_marker(pytest.mark.redis)
        if "spark" in names:
            item.add_marker(pytest.mark.spark)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One real local Spark session for the whole run (starting Spark costs tens of seconds)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing_service("pyspark is not installed: pip install -e '.[dev]'")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        missing_service("Spark needs a Java runtime (17+): run tools/ensure_java.sh")
    from pyspark.sql import SparkSession

    # Python workers must be this interpreter (the venv with arabic_dedup), not `python3`.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("arabic-dedup-tests")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


# -- stores: the same Deduplicator tests on memory, SQLite and a real Redis -----------------

BACKENDS = ("memory", "sqlite", "redis")


def _where(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    if request.param == "memory":
        return {}
    if request.param == "sqlite":
        return {"path": tmp_path / "index.sqlite"}
    url = request.getfixturevalue("redis_url")
    return {"redis_url": url, "namespace": request.getfixturevalue("redis_ns")}


@pytest.fixture(params=BACKENDS)
def where(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Deduplicator keyword arguments selecting one store (fresh for each test)."""
    return _where(request, tmp_path)


@pytest.fixture(params=("sqlite", "redis"))
def stored(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Like ``where``, for the persistent stores only."""
    return _where(request, tmp_path)
