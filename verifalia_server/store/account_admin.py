"""Operator views of accounts and sub-accounts, and token rotation.

API: `list_accounts(pool)`, `list_subaccounts(pool, account_id)`, `rotate_token(pool, sid) -> str`.
Balances and usage come from `store.credits`; enabling and disabling from `store.accounts`.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from verifalia_server.store.accounts import UnknownAccountError, hash_token
from verifalia_server.store.database import Pool


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """An account as listed: its credit packs, daily allowance and how many sub-accounts and jobs."""

    id: int
    name: str
    credit_packs: Decimal
    free_daily_credits: Decimal
    sub_accounts: int
    jobs_in_progress: int
    created_on: dt.datetime


@dataclass(frozen=True, slots=True)
class SubAccountSummary:
    """A sub-account as listed (never its token)."""

    sid: str
    account_id: int
    name: str
    permissions: tuple[str, ...]
    disabled: bool
    created_on: dt.datetime


async def list_accounts(pool: Pool[Any]) -> list[AccountSummary]:
    """Every account, oldest first."""
    rows = await pool.fetch(
        "SELECT a.id, a.name, a.credit_packs, a.free_daily_credits, a.created_on,"
        " (SELECT count(*) FROM sub_accounts s WHERE s.account_id = a.id) AS sub_accounts,"
        " (SELECT count(*) FROM jobs j WHERE j.account_id = a.id AND j.status = 'InProgress') AS running"
        " FROM accounts a ORDER BY a.id"
    )
    return [
        AccountSummary(
            row["id"],
            row["name"],
            row["credit_packs"],
            row["free_daily_credits"],
            row["sub_accounts"],
            row["running"],
            row["created_on"],
        )
        for row in rows
    ]


async def list_subaccounts(pool: Pool[Any], account_id: int) -> list[SubAccountSummary]:
    """The account's sub-accounts, oldest first; UnknownAccountError when there is no such account."""
    async with pool.acquire() as connection:
        if await connection.fetchval("SELECT 1 FROM accounts WHERE id = $1", account_id) is None:
            raise UnknownAccountError(f"no account {account_id}")
        rows = await connection.fetch(
            "SELECT sid, account_id, name, permissions, disabled, created_on FROM sub_accounts"
            " WHERE account_id = $1 ORDER BY created_on, sid",
            account_id,
        )
    return [
        SubAccountSummary(
            row["sid"],
            row["account_id"],
            row["name"],
            tuple(row["permissions"]),
            row["disabled"],
            row["created_on"],
        )
        for row in rows
    ]


async def rotate_token(pool: Pool[Any], sid: str) -> str:
    """Give a sub-account a new random token and return it.

    The old token, and every bearer token issued so far, stop working at once.
    """
    token = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    result = await pool.execute(
        "UPDATE sub_accounts SET token_salt = $2, token_hash = $3, token_generation = token_generation + 1"
        " WHERE sid = $1",
        sid,
        salt,
        hash_token(salt, token),
    )
    if result == "UPDATE 0":
        raise UnknownAccountError(f"no sub-account {sid}")
    return token
