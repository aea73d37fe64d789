"""LeadRocks apps and bulk lists in a real PostgreSQL database."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from tests.support.database import create_test_account
from verifalia_server.store import apps, jobs, lists
from verifalia_server.store.users import UnknownAccountError


async def _job(pool: asyncpg.Pool[Any], account_id: int, addresses: list[str]) -> jobs.Job:
    new_job = jobs.NewJob(
        account_id=account_id,
        owner="leadrocks",
        quality="Standard",
        client_ip="127.0.0.1",
        retention=dt.timedelta(days=1),
        source="leadrocks",
    )
    entries = [jobs.NewEntry(address, None, address.rpartition("@")[2]) for address in addresses]
    return await jobs.create_job(pool, new_job, entries, Decimal(len(entries)))


async def test_apps_are_created_listed_switched_and_found_by_token(pool: asyncpg.Pool[Any]) -> None:
    account = await create_test_account(pool)
    first, first_token = await apps.create_app(pool, account.account_id, "crm")
    second, second_token = await apps.create_app(
        pool, account.account_id, "site", apps.AppLimits(requests_per_minute=7)
    )
    assert first_token != second_token
    assert [app.name for app in await apps.list_apps(pool, account.account_id)] == ["crm", "site"]
    assert second.limits == apps.AppLimits(None, None, 7)
    assert await apps.find_app_by_token(pool, first_token) == first
    assert await apps.find_app_by_token(pool, first_token + "x") is None

    disabled = await apps.set_app_enabled(pool, first.id, False)
    assert not disabled.enabled
    assert await apps.find_app_by_token(pool, first_token) == disabled
    assert (await apps.set_app_enabled(pool, first.id, True)).enabled
    limited = await apps.set_app_limits(pool, second.id, apps.AppLimits(max_concurrent_lists=0))
    assert limited.limits == apps.AppLimits(0, None, None)


async def test_unknown_account_and_app_are_reported(pool: asyncpg.Pool[Any]) -> None:
    with pytest.raises(UnknownAccountError):
        await apps.create_app(pool, 424242, "nobody")
    with pytest.raises(apps.UnknownAppError):
        await apps.set_app_enabled(pool, 424242, False)
    with pytest.raises(apps.UnknownAppError):
        await apps.set_app_limits(pool, 424242, apps.AppLimits())


async def test_tokens_are_stored_hashed(pool: asyncpg.Pool[Any]) -> None:
    account = await create_test_account(pool)
    app, token = await apps.create_app(pool, account.account_id, "crm")
    stored = await pool.fetchval("SELECT token_hash FROM leadrocks_apps WHERE id = $1", app.id)
    assert bytes(stored) == apps.hash_app_token(token)
    assert token.encode() not in bytes(stored)


async def test_rate_window_counts_and_reopens(pool: asyncpg.Pool[Any]) -> None:
    account = await create_test_account(pool)
    app, _ = await apps.create_app(pool, account.account_id, "crm")
    counts = [(await apps.count_request(pool, app.id, apps.RequestKind.REQUEST, 0.5)).hits for _ in range(3)]
    assert counts == [1, 2, 3]
    verify = await apps.count_request(pool, app.id, apps.RequestKind.VERIFY, 0.5)
    assert verify.hits == 1
    assert 0 < verify.seconds_left <= 0.5
    await asyncio.sleep(0.6)
    assert (await apps.count_request(pool, app.id, apps.RequestKind.REQUEST, 0.5)).hits == 1


async def test_lists_follow_their_job(pool: asyncpg.Pool[Any]) -> None:
    account = await create_test_account(pool)
    other = await create_test_account(pool, name="other")
    app, _ = await apps.create_app(pool, account.account_id, "crm")
    job = await _job(pool, account.account_id, ["a@example.org", "b@example.org"])
    new_list = lists.NewList(account.account_id, app.id, job.id, "in.csv", "email", b"email\na\nb\n", 2)
    async with pool.acquire() as connection, connection.transaction():
        list_id = await lists.insert_list(connection, new_list)
    assert lists.LIST_ID_MIN <= list_id <= lists.LIST_ID_MAX
    assert len(str(list_id)) == 16
    assert await lists.count_active_lists(pool, app.id) == 1

    stored = await lists.get_list(pool, account.account_id, list_id)
    assert stored is not None
    assert (stored.job_id, stored.content, stored.no_of_rows) == (job.id, b"email\na\nb\n", 2)
    assert not stored.job_completed
    assert await lists.get_progress(pool, account.account_id, list_id) == lists.ListProgress(
        list_id, job_completed=False, verifying_started=False
    )
    assert await lists.get_list(pool, other.account_id, list_id) is None
    assert await lists.get_progress(pool, other.account_id, list_id) is None
    assert [result.status for result in await lists.list_results(pool, job.id)] == [None, None]

    await jobs.delete_job(pool, account.account_id, job.id, allow_in_progress=True)
    assert await lists.get_list(pool, account.account_id, list_id) is None
    assert await lists.get_progress(pool, account.account_id, list_id) is None
    assert await lists.count_active_lists(pool, app.id) == 0
    assert await pool.fetchval("SELECT count(*) FROM leadrocks_lists") == 0


async def test_submission_lock_serialises_one_app(database_url: str, pool: asyncpg.Pool[Any]) -> None:
    account = await create_test_account(pool)
    app, _ = await apps.create_app(pool, account.account_id, "crm")
    other, _ = await apps.create_app(pool, account.account_id, "site")
    order: list[str] = []

    async def hold(app_id: int, name: str, seconds: float) -> None:
        async with lists.app_submission_lock(database_url, app_id):
            order.append(f"{name} in")
            await asyncio.sleep(seconds)
            order.append(f"{name} out")

    first = asyncio.create_task(hold(app.id, "first", 0.3))
    await asyncio.sleep(0.1)
    await asyncio.gather(hold(app.id, "second", 0), hold(other.id, "other", 0))
    await first
    assert order.index("first out") < order.index("second in")
    assert order.index("other out") < order.index("first out")
