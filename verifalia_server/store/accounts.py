"""Accounts and their sub-accounts (SID, hashed auth token, permissions).

API: `create_account`, `create_subaccount`, `set_subaccount_disabled`, `get_subaccount`, `get_account`,
`any_account`, `token_matches`, `add_credits`. Tokens are shown once, when created, and stored as a salted
SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg

from verifalia_server.store.database import Pool

PERMISSIONS: tuple[str, ...] = ("submit", "read", "delete", "credits")
# letters and digits only: a SID never starts with "-", so it is always taken as a command-line value
_SID_ALPHABET = string.ascii_letters + string.digits
_SID_LENGTH = 16


class UnknownAccountError(LookupError):
    """No account (or sub-account) has the given identifier."""


@dataclass(frozen=True, slots=True)
class Account:
    """A customer account: credit packs and a daily allowance of free credits."""

    id: int
    name: str
    credit_packs: Decimal
    free_daily_credits: Decimal


@dataclass(frozen=True, slots=True)
class Credentials:
    """A freshly created sub-account: the only moment its token is known in clear."""

    account_id: int
    sid: str
    token: str
    permissions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SubAccount:
    """A sub-account as stored: its token only as salt and hash."""

    sid: str
    account_id: int
    name: str
    permissions: frozenset[str]
    disabled: bool
    token_salt: bytes
    token_hash: bytes
    token_generation: int


def hash_token(salt: bytes, token: str) -> bytes:
    """The stored form of a token."""
    return hashlib.sha256(salt + token.encode("utf-8")).digest()


def token_matches(sub_account: SubAccount, token: str) -> bool:
    """Compare a presented token with the stored hash in constant time."""
    return hmac.compare_digest(hash_token(sub_account.token_salt, token), sub_account.token_hash)


def _check_permissions(permissions: tuple[str, ...]) -> tuple[str, ...]:
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        raise ValueError(
            f"unknown permissions: {', '.join(unknown)}; expected some of {', '.join(PERMISSIONS)}"
        )
    return tuple(permission for permission in PERMISSIONS if permission in permissions)


async def create_account(
    pool: Pool[Any],
    name: str,
    *,
    credits: Decimal = Decimal(0),
    free_daily_credits: Decimal = Decimal(0),
) -> tuple[Account, Credentials]:
    """Create an account and its first sub-account, which holds every permission."""
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            "INSERT INTO accounts (name, credit_packs, free_daily_credits) VALUES ($1, $2, $3)"
            " RETURNING id, name, credit_packs, free_daily_credits",
            name,
            credits,
            free_daily_credits,
        )
        account = Account(row["id"], row["name"], row["credit_packs"], row["free_daily_credits"])
        credentials = await _insert_subaccount(connection, account.id, f"{name} (owner)", PERMISSIONS)
    return account, credentials


async def create_subaccount(
    pool: Pool[Any], account_id: int, name: str, permissions: tuple[str, ...] = PERMISSIONS
) -> Credentials:
    """Create a sub-account with a fresh random SID and token."""
    checked = _check_permissions(permissions)
    async with pool.acquire() as connection:
        if await connection.fetchval("SELECT 1 FROM accounts WHERE id = $1", account_id) is None:
            raise UnknownAccountError(f"no account {account_id}")
        return await _insert_subaccount(connection, account_id, name, checked)


async def _insert_subaccount(
    connection: Any, account_id: int, name: str, permissions: tuple[str, ...]
) -> Credentials:
    sid = "".join(secrets.choice(_SID_ALPHABET) for _ in range(_SID_LENGTH))
    token = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    await connection.execute(
        "INSERT INTO sub_accounts (sid, account_id, name, token_salt, token_hash, permissions)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        sid,
        account_id,
        name,
        salt,
        hash_token(salt, token),
        list(permissions),
    )
    return Credentials(account_id, sid, token, permissions)


async def set_subaccount_disabled(pool: Pool[Any], sid: str, disabled: bool) -> None:
    """Disable (or enable again) a sub-account; disabled credentials answer 401.

    Disabling also revokes the bearer tokens issued so far: enabling again does not bring them back.
    """
    result = await pool.execute(
        "UPDATE sub_accounts SET disabled = $2,"
        " token_generation = token_generation + CASE WHEN $2 THEN 1 ELSE 0 END WHERE sid = $1",
        sid,
        disabled,
    )
    if result == "UPDATE 0":
        raise UnknownAccountError(f"no sub-account {sid}")


async def get_subaccount(pool: Pool[Any], sid: str) -> SubAccount | None:
    """Load a sub-account by SID."""
    row = await pool.fetchrow(
        "SELECT sid, account_id, name, permissions, disabled, token_salt, token_hash, token_generation"
        " FROM sub_accounts WHERE sid = $1",
        sid,
    )
    if row is None:
        return None
    return SubAccount(
        row["sid"],
        row["account_id"],
        row["name"],
        frozenset(row["permissions"]),
        row["disabled"],
        bytes(row["token_salt"]),
        bytes(row["token_hash"]),
        row["token_generation"],
    )


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
