"""Skip, or fail in CI: a missing service (redis-server, Java, pyspark) is a broken set-up there.

``make test`` installs everything the integration tests start, so under ``CI`` a missing piece
must fail the run rather than let a skipped test pass for a tested one. Locally it skips with
the command that fixes it. (Missing shared *data* is different: it always skips, because a
clean clone without ``../shared`` is a supported set-up.)
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing_service(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: make test should have installed it)")
    pytest.skip(reason)
