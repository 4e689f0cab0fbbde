"""Where a Deduplicator keeps its index, and how: one frozen options class per backend.

``Deduplicator(store=SQLiteOptions("feed.index", busy_timeout=120))``; the shortcuts
``path=`` and ``redis_url=`` build :class:`SQLiteOptions` / :class:`RedisOptions` with the
defaults. Every option is checked when the options are made (:class:`ConfigError`).
"""

from __future__ import annotations

import os
from dataclasses import KW_ONLY, dataclass
from typing import Literal

from .._errors import ConfigError

__all__ = ["MemoryOptions", "RedisOptions", "SQLiteOptions", "StoreOptions", "store_options"]


MAX_SECONDS = 86_400


def _seconds(name: str, value: object, *, none_ok: bool = False) -> None:
    if value is None and none_ok:
        return
    # A day is past any useful timeout and far from what the OS's timers can hold (1e300 s
    # overflowed them at the first call).
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 < value <= MAX_SECONDS
    ):
        allowed = f"a positive number of seconds up to {MAX_SECONDS:,}"
        allowed += " or None" if none_ok else ""
        raise ConfigError(f"{name} must be {allowed}, got {value!r}")


@dataclass(frozen=True)
class MemoryOptions:
    """The index in this process's memory (the default): fastest, gone when it exits.

    >>> MemoryOptions().where
    'in memory'
    """

    @property
    def where(self) -> str:
        return "in memory"


@dataclass(frozen=True)
class SQLiteOptions:
    """The index in one SQLite file (WAL mode), shared by the processes of one host.

    ``busy_timeout``: seconds an add waits for another writer's lock before
    :class:`~arabic_dedup.IndexBusyError`. ``synchronous``: "normal" keeps every committed add
    when the process is killed; "full" also through a power cut (slower commits).

    >>> SQLiteOptions("feed.index", busy_timeout=120).busy_timeout
    120
    """

    path: str | os.PathLike[str]
    _: KW_ONLY
    busy_timeout: float = 60.0
    synchronous: Literal["normal", "full"] = "normal"

    def __post_init__(self) -> None:
        if not isinstance(self.path, str | os.PathLike) or not os.fspath(self.path):
            raise ConfigError(f"path must be a non-empty str or path, got {self.path!r}")
        if "\x00" in str(os.fspath(self.path)):
            raise ConfigError(f"path must not hold a NUL character, got {self.path!r}")
        _seconds("busy_timeout", self.busy_timeout)
        if self.synchronous not in ("normal", "full"):
            raise ConfigError(f"synchronous must be 'normal' or 'full', got {self.synchronous!r}")

    @property
    def where(self) -> str:
        return f"at {os.fspath(self.path)!r}"


@dataclass(frozen=True)
class RedisOptions:
    """The index in a Redis namespace, shared by processes on several hosts.

    ``namespace``: the prefix of every key the index writes. ``retries``: how often an add
    re-reads when concurrent writers keep changing its band buckets, before
    :class:`~arabic_dedup.IndexBusyError`. ``socket_timeout`` / ``socket_connect_timeout``:
    seconds to wait for the server (None: no limit), after which a call raises
    :class:`~arabic_dedup.IndexUnavailableError`.

    >>> RedisOptions("redis://localhost:6379/0", namespace="feeds").where
    "in Redis namespace 'feeds' at redis://localhost:6379/0"
    """

    url: str
    _: KW_ONLY
    namespace: str = "arabic_dedup"
    retries: int = 100
    socket_timeout: float | None = None
    socket_connect_timeout: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.url, str) or not self.url.startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise ConfigError(
                f"redis url must be a str like 'redis://host:6379/0' (or rediss://, unix://), "
                f"got {self.url!r}"
            )
        if not isinstance(self.namespace, str) or not self.namespace:
            raise ConfigError(f"namespace must be a non-empty str, got {self.namespace!r}")
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 1:
            raise ConfigError(f"retries must be an int >= 1, got {self.retries!r}")
        _seconds("socket_timeout", self.socket_timeout, none_ok=True)
        _seconds("socket_connect_timeout", self.socket_connect_timeout, none_ok=True)

    @property
    def server(self) -> str:
        """The url without a password, fit for messages."""
        head, sep, tail = self.url.partition("://")
        return head + sep + tail.rpartition("@")[2]

    @property
    def where(self) -> str:
        return f"in Redis namespace {self.namespace!r} at {self.server}"


StoreOptions = MemoryOptions | SQLiteOptions | RedisOptions


def store_options(
    *,
    path: str | os.PathLike[str] | None,
    redis_url: str | None,
    namespace: str | None,
    store: StoreOptions | None,
) -> StoreOptions:
    """The one store ``Deduplicator``'s arguments describe: the shortcuts, or ``store=``."""
    given = [n for n, v in (("path", path), ("redis_url", redis_url)) if v is not None]
    if store is not None:
        if not isinstance(store, MemoryOptions | SQLiteOptions | RedisOptions):
            raise ConfigError(
                "store must be MemoryOptions(), SQLiteOptions(path) or RedisOptions(url), "
                f"got {type(store).__name__} {store!r}"
            )
        if given or namespace is not None:
            names = ", ".join(f"{n}=" for n in [*given, *(["namespace"] if namespace else [])])
            raise ConfigError(
                f"give store= or the shortcut {names}, not both: put every option in "
                f"{type(store).__name__}(...)"
            )
        return store
    if len(given) == 2:
        raise ConfigError("give path= (SQLite) or redis_url= (Redis), not both")
    if path is not None:
        return SQLiteOptions(path)
    if redis_url is not None:
        return RedisOptions(redis_url, namespace="arabic_dedup" if namespace is None else namespace)
    if namespace is not None:
        raise ConfigError("namespace= names a Redis namespace: give it with redis_url=")
    return MemoryOptions()
