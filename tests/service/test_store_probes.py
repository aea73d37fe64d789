"""Small store queries the API and CLI rely on: database ping, first-account check, callback triggers."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from tests.support.database import create_test_account
from verifalia_server.store.accounts import any_account
from verifalia_server.store.database import connect, create_pool, ping


async def test_ping_answers_while_the_database_is_reachable(database_url: str) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    await ping(pool)
    await pool.close()
    with pytest.raises(asyncpg.InterfaceError):
        await ping(pool)


async def test_any_account_is_false_until_an_account_exists(
    pool: asyncpg.Pool[Any], database_url: str
) -> None:
    assert await any_account(pool) is False
    await create_test_account(pool)
    assert await any_account(pool) is True
    connection = await connect(database_url)
    try:
        assert await any_account(connection) is True
    finally:
        await connection.close()


async def test_only_the_completion_update_trigger_enqueues_callbacks(pool: asyncpg.Pool[Any]) -> None:
    triggers = await pool.fetch(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'jobs'::regclass AND tgname LIKE 'jobs_completed_%'"
    )
    assert [row["tgname"] for row in triggers] == ["jobs_completed_callback_update"]
