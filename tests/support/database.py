"""PostgreSQL fixtures: one server per test session, a migrated template, a fresh database per test.

With DATABASE_URL unset the session starts an embedded PostgreSQL in a temporary directory; otherwise it
uses that server (creating and dropping its own databases).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from verifalia_server.service.permissions import UserType
from verifalia_server.settings import ServiceSettings
from verifalia_server.store import accounts, users
from verifalia_server.store.database import create_pool, start_embedded, stop_embedded
from verifalia_server.store.migrations import apply_migrations

T = TypeVar("T")

MIGRATIONS_DIR = ServiceSettings().migrations_dir


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a private event loop in a worker thread."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


async def _admin(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@dataclass(frozen=True)
class PostgresServer:
    """The session's server: an admin URL and the name of the migrated template database."""

    admin_url: str
    template: str

    def database_url(self, name: str) -> str:
        """The URL of a database on this server."""
        return with_database(self.admin_url, name)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session, with a migrated template database."""
    external = os.environ.get("DATABASE_URL")
    workdir: Path | None = None
    if external:
        admin_url = external
    else:
        workdir = Path(tempfile.mkdtemp(prefix="verifalia-pg-"))
        admin_url = start_embedded(workdir / "pgdata")
        # A throwaway server: durability buys nothing here, and disk flushes would dominate test time.
        run_sync(
            _admin(
                admin_url,
                "ALTER SYSTEM SET fsync = off",
                "ALTER SYSTEM SET synchronous_commit = off",
                "ALTER SYSTEM SET full_page_writes = off",
                "SELECT pg_reload_conf()",
            )
        )
    template = f"verifalia_template_{uuid.uuid4().hex[:12]}"
    run_sync(_admin(admin_url, f'CREATE DATABASE "{template}"'))
    run_sync(apply_migrations(with_database(admin_url, template), MIGRATIONS_DIR))
    try:
        yield PostgresServer(admin_url, template)
    finally:
        if workdir is not None:
            stop_embedded(workdir / "pgdata")
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            run_sync(_admin(admin_url, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)'))


@pytest.fixture
async def database_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """A fresh, migrated database for one test, dropped afterwards."""
    name = f"verifalia_test_{uuid.uuid4().hex[:12]}"
    await _admin(postgres_server.admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{postgres_server.template}"')
    try:
        yield postgres_server.database_url(name)
    finally:
        await _admin(postgres_server.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    """An asyncpg pool (with the service's codecs) on the test's database."""
    connection_pool = await create_pool(database_url, min_size=1, max_size=8)
    try:
        yield connection_pool
    finally:
        await connection_pool.close()


@dataclass(frozen=True)
class TestAccount:
    """An account and the SID/token of one of its users (of its administrator, unless made otherwise)."""

    __test__ = False

    account_id: int
    sid: str
    token: str

    @property
    def basic_auth(self) -> tuple[str, str]:
        """The (login, password) pair for HTTP Basic auth."""
        return self.sid, self.token


async def create_test_account(
    pool: asyncpg.Pool[Any], *, credits: int = 1_000_000, free_daily: int = 0, name: str = "test"
) -> TestAccount:
    """Create an account with its administrator and return the administrator's credentials."""
    account, credentials = await accounts.create_account(
        pool, name, credits=Decimal(credits), free_daily_credits=Decimal(free_daily)
    )
    return TestAccount(account.id, credentials.sid, credentials.token)


async def create_test_user(
    pool: asyncpg.Pool[Any],
    account_id: int,
    rules: tuple[str, ...],
    user_type: UserType = UserType.STANDARD,
    name: str = "user",
) -> TestAccount:
    """Create a user of the account with these authorization rules and return its credentials."""
    token = users.new_password()
    user = await users.create_user(pool, account_id, user_type, users.Profile(name, rules=rules), token)
    return TestAccount(account_id, user.id, token)


@pytest.fixture
async def account(pool: asyncpg.Pool[Any]) -> TestAccount:
    """An account with plenty of credits."""
    return await create_test_account(pool)
