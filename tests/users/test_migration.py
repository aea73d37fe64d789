"""Sub-accounts become users: every SID and token keeps working, and permissions become rules."""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.support.database import MIGRATIONS_DIR, PostgresServer
from verifalia_server.service.permissions import (
    READ_CREDITS,
    READ_JOBS,
    SUBMIT_JOBS,
    Authorization,
    UserType,
)
from verifalia_server.store import users
from verifalia_server.store.migrations import apply_migrations

# (sid, name, permissions, seconds after the first) of one account's sub-accounts before the migration.
_SUB_ACCOUNTS = [
    ("OwnerSid00000001", "acme (owner)", ["submit", "read", "delete", "credits"], 0),
    ("ReaderSid0000002", "reader", ["read"], 1),
    ("FullSid000000003", "second full", ["submit", "read", "delete", "credits"], 2),
]


@pytest.fixture
async def before_users(postgres_server: PostgresServer, tmp_path: Path) -> AsyncIterator[str]:
    """A database migrated up to just before users, holding one account with three sub-accounts."""
    name = f"verifalia_migration_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres_server.admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = postgres_server.database_url(name)
    earlier = tmp_path / "migrations"
    earlier.mkdir()
    for path in MIGRATIONS_DIR.glob("*.sql"):
        if path.name < "040":
            shutil.copy(path, earlier / path.name)
    await apply_migrations(url, earlier)
    connection = await asyncpg.connect(url)
    try:
        account_id = await connection.fetchval("INSERT INTO accounts (name) VALUES ('acme') RETURNING id")
        for sid, display_name, permissions, offset in _SUB_ACCOUNTS:
            salt = sid.encode()
            await connection.execute(
                "INSERT INTO sub_accounts (sid, account_id, name, token_salt, token_hash, permissions,"
                " created_on) VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))",
                sid,
                account_id,
                display_name,
                salt,
                hashlib.sha256(salt + f"token-of-{sid}".encode()).digest(),
                permissions,
                float(offset),
            )
        await connection.execute("UPDATE sub_accounts SET disabled = true WHERE sid = 'ReaderSid0000002'")
    finally:
        await connection.close()
    try:
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_sub_accounts_become_users_with_their_credentials_and_rules(before_users: str) -> None:
    assert await apply_migrations(before_users, MIGRATIONS_DIR) == [
        path.name for path in sorted(MIGRATIONS_DIR.glob("*.sql")) if path.name >= "040"
    ]
    pool: Any = await asyncpg.create_pool(before_users, min_size=1, max_size=2)
    try:
        migrated = {sid: await users.find_login(pool, sid) for sid, *_ in _SUB_ACCOUNTS}
    finally:
        await pool.close()
    owner, reader, second = (migrated[sid] for sid, *_ in _SUB_ACCOUNTS)
    assert owner is not None
    assert reader is not None
    assert second is not None
    # The SID is the user's id and login name, and the auth token its password.
    for sid, user in migrated.items():
        assert user is not None
        assert (user.id, user.profile.username) == (sid, sid)
        assert users.password_matches(user, f"token-of-{sid}")
        assert not users.password_matches(user, "another token")
    assert [user.type for user in (owner, reader, second)] == [
        UserType.ADMINISTRATOR,
        UserType.STANDARD,
        UserType.STANDARD,
    ]
    assert reader.profile.rules == ("email-verifications:read",)
    assert second.profile.rules == (
        "email-verifications:write",
        "email-verifications:read",
        "email-verifications:delete",
        "credits:read",
    )
    assert (owner.profile.display_name, owner.profile.is_active, reader.profile.is_active) == (
        "acme (owner)",
        True,
        False,
    )
    # The permissions each one had are the permissions it has.
    reading = Authorization.of(reader.type, reader.profile.rules)
    assert reading.allows(READ_JOBS, own=False)
    assert not reading.allows(SUBMIT_JOBS, own=True)
    assert not reading.allows(READ_CREDITS, own=False)
