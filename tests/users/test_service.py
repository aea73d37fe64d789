"""The users application layer on a real database: an account always keeps an active Administrator, even when
two administrators act on each other at the same time."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import asyncpg
import pytest

from tests.support.database import create_test_account, create_test_user
from verifalia_server.service import users
from verifalia_server.service.errors import Conflict
from verifalia_server.service.permissions import Authorization, Principal, UserType
from verifalia_server.store import users as store


def _administrator(account_id: int, user_id: str) -> Principal:
    """An Administrator's principal, as a request authenticated before any change below."""
    return Principal(account_id, user_id, Authorization.of(UserType.ADMINISTRATOR, ()), is_bearer=False)


async def _deactivate(pool: asyncpg.Pool[Any], principal: Principal, user_id: str) -> store.User:
    current = await users.writable_user(pool, principal, user_id)
    change = users.UserChange(dataclasses.replace(current.profile, is_active=False))
    return await users.update_user(pool, principal, current, change)


async def _active(pool: asyncpg.Pool[Any], user_id: str) -> bool:
    user = await store.get_user(pool, user_id)
    assert user is not None
    return user.can_log_in


async def test_the_last_active_administrator_can_be_neither_deactivated_nor_deleted(
    pool: asyncpg.Pool[Any],
) -> None:
    account = await create_test_account(pool)
    second = await create_test_user(pool, account.account_id, (), UserType.ADMINISTRATOR, name="second")
    first_admin = _administrator(account.account_id, account.sid)
    second_admin = _administrator(account.account_id, second.sid)

    await _deactivate(pool, first_admin, second.sid)
    assert not await _active(pool, second.sid)
    with pytest.raises(Conflict, match="last active Administrator cannot be deactivated"):
        await _deactivate(pool, second_admin, account.sid)
    first = await users.deletable_user(pool, second_admin, account.sid)
    with pytest.raises(Conflict, match="last active Administrator cannot be deleted"):
        await users.delete_user(pool, second_admin, first)
    assert await _active(pool, account.sid)

    third = await create_test_user(pool, account.account_id, (), UserType.ADMINISTRATOR, name="third")
    await users.delete_user(pool, first_admin, await users.deletable_user(pool, first_admin, third.sid))
    assert not await _active(pool, third.sid)


async def test_two_administrators_deactivating_each_other_leave_one_active(pool: asyncpg.Pool[Any]) -> None:
    account = await create_test_account(pool)
    second = await create_test_user(pool, account.account_id, (), UserType.ADMINISTRATOR, name="second")
    first_admin = _administrator(account.account_id, account.sid)
    second_admin = _administrator(account.account_id, second.sid)

    outcomes = await asyncio.gather(
        _deactivate(pool, first_admin, second.sid),
        _deactivate(pool, second_admin, account.sid),
        return_exceptions=True,
    )
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["Conflict", "User"]
    assert await store.count_active_administrators(pool, account.account_id) == 1


async def _until_a_change_waits(pool: asyncpg.Pool[Any]) -> None:
    """Return once a session waits for an advisory lock; fail after 5 s."""
    for _ in range(500):
        if await pool.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no change waited for the account's lock")


async def test_changes_to_one_accounts_users_wait_for_each_other(pool: asyncpg.Pool[Any]) -> None:
    account = await create_test_account(pool)
    other = await create_test_account(pool, name="other")
    entered = asyncio.Event()

    async def second_change() -> None:
        async with store.users_locked(pool, account.account_id):
            entered.set()

    async with store.users_locked(pool, account.account_id):
        waiting = asyncio.create_task(second_change())
        await _until_a_change_waits(pool)
        assert not entered.is_set()
        async with asyncio.timeout(5), store.users_locked(pool, other.account_id):
            assert not entered.is_set()
    await asyncio.wait_for(waiting, 5)
    assert entered.is_set()
