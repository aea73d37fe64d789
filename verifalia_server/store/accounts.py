"""Accounts: credit packs, a daily allowance of free credits, and their users (see `store.users`).

API: `create_account`, `get_account`, `any_account`, `add_credits`. An account is created with its first
user, an administrator, whose password (auth token) is shown once.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg

from verifalia_server.service.permissions import UserType
from verifalia_server.store.database import Pool
from verifalia_server.store.users import Profile, UnknownAccountError, insert_user, new_password


@dataclass(frozen=True, slots=True)
class Account:
    """A customer account: credit packs and a daily allowance of free credits."""

    id: int
    name: str
    credit_packs: Decimal
    free_daily_credits: Decimal


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user's SID (its id) and auth token (its password): the only moment the token is known in clear."""

    account_id: int
    sid: str
    token: str


async def create_account(
    pool: Pool[Any],
    name: str,
    *,
    credits: Decimal = Decimal(0),
    free_daily_credits: Decimal = Decimal(0),
) -> tuple[Account, Credentials]:
    """Create an account and its first user, an administrator."""
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            "INSERT INTO accounts (name, credit_packs, free_daily_credits) VALUES ($1, $2, $3)"
            " RETURNING id, name, credit_packs, free_daily_credits",
            name,
            credits,
            free_daily_credits,
        )
        account = Account(row["id"], row["name"], row["credit_packs"], row["free_daily_credits"])
        password = new_password()
        owner = await insert_user(
            connection, account.id, UserType.ADMINISTRATOR, Profile(f"{name} (owner)"), password
        )
    return account, Credentials(account.id, owner.id, password)


async def get_account(pool: Pool[Any], account_id: int) -> Account | None:
    """Load an account by id."""
    row = await pool.fetchrow(
        "SELECT id, name, credit_packs, free_daily_credits FROM accounts WHERE id = $1", account_id
    )
    if row is None:
        return None
    return Account(row["id"], row["name"], row["credit_packs"], row["free_daily_credits"])


async def any_account(database: Pool[Any] | asyncpg.Connection[Any]) -> bool:
    """Whether at least one account exists."""
    exists: bool = await database.fetchval("SELECT EXISTS (SELECT 1 FROM accounts)")
    return exists


async def add_credits(pool: Pool[Any], account_id: int, amount: Decimal) -> Decimal:
    """Add a credit pack to an account; return the new credit-pack balance."""
    if amount <= 0:
        raise ValueError("the amount of credits to add must be positive")
    balance: Decimal | None = await pool.fetchval(
        "UPDATE accounts SET credit_packs = credit_packs + $2 WHERE id = $1 RETURNING credit_packs",
        account_id,
        amount,
    )
    if balance is None:
        raise UnknownAccountError(f"no account {account_id}")
    return balance
