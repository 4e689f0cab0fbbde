"""A throwaway real ``redis-server`` for the tests: loopback only, free port, no persistence.

``tools/ensure_redis.sh`` installs the server on a fresh machine (``make test`` runs it).
When the binary is missing the Redis tests skip with that reason, never silently.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _services import missing_service


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        missing_service("redis-server not found on PATH; run tools/ensure_redis.sh to install it")
    try:
        import redis
    except ImportError:
        missing_service("the redis client is missing: pip install redis>=5")
    import redis

    for _ in range(5):  # another process may grab the port between probe and bind
        port = free_port()
        proc = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--dir",
                str(tmp),
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                redis.Redis.from_url(url, socket_timeout=1).ping()
                return proc, url
            except redis.ConnectionError:
                time.sleep(0.02)
        proc.kill()
        proc.wait()
    pytest.fail("redis-server did not start on a free loopback port")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, url = _start(tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture
def redis_ns(redis_url: str, request: pytest.FixtureRequest) -> str:
    """A namespace of its own for each test, on the shared server."""
    return "t:" + request.node.name
