"""Contact methods of users: create, read, list, rename, delete, and the activation code's bookkeeping.

API: `ContactMethod`, `create_contact_method`, `get_contact_method`, `list_contact_methods`,
`rename_contact_method` (with `expected_version`), `delete_contact_method`, `count_attempt`, `activate`.
A contact method is pending until activated; only the digest of its activation code is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import asyncpg

from verifalia_server.store.database import Pool

_COLUMNS = (
    "id, user_id, type, display_name, email_address, created_on, activated_on, version, code_digest,"
    " code_expires_on, code_attempts"
)


@dataclass(frozen=True, slots=True)
class ContactMethod:
    """A stored contact method, with its pending activation code's digest, expiry and codes tried."""

    id: str
    user_id: str
    type: str
    display_name: str
    email_address: str
    created_on: dt.datetime
    activated_on: dt.datetime | None
    version: int
    code_digest: bytes | None
    code_expires_on: dt.datetime | None
    code_attempts: int

    @property
    def etag(self) -> str:
        """The entity tag (RFC 9110 §8.8.3: an opaque quoted string)."""
        return f'"{self.version}"'


@dataclass(frozen=True, slots=True)
class NewContactMethod:
    """A contact method to store, pending, with its activation code's digest and expiry."""

    id: str
    user_id: str
    type: str
    display_name: str
    email_address: str
    code_digest: bytes
    code_expires_on: dt.datetime


def _contact_method(row: asyncpg.Record) -> ContactMethod:
    return ContactMethod(**dict(row.items()))


async def create_contact_method(pool: Pool[Any], new: NewContactMethod) -> ContactMethod:
    """Store a pending contact method."""
    row = await pool.fetchrow(
        "INSERT INTO contact_methods (id, user_id, type, display_name, email_address, code_digest,"
        f" code_expires_on) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {_COLUMNS}",
        new.id,
        new.user_id,
        new.type,
        new.display_name,
        new.email_address,
        new.code_digest,
        new.code_expires_on,
    )
    assert row is not None
    return _contact_method(row)


async def get_contact_method(pool: Pool[Any], user_id: str, method_id: str) -> ContactMethod | None:
    """One contact method of the user, None when it has no such one."""
    row = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM contact_methods WHERE id = $1 AND user_id = $2", method_id, user_id
    )
    return None if row is None else _contact_method(row)


async def list_contact_methods(pool: Pool[Any], user_id: str) -> list[ContactMethod]:
    """The user's contact methods, oldest first."""
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM contact_methods WHERE user_id = $1 ORDER BY created_on, id", user_id
    )
    return [_contact_method(row) for row in rows]


async def rename_contact_method(
    pool: Pool[Any], user_id: str, method_id: str, display_name: str, *, expected_version: int
) -> ContactMethod | None:
    """Change the display name if the version is still `expected_version`; None when it is not (or gone)."""
    row = await pool.fetchrow(
        "UPDATE contact_methods SET display_name = $4, version = version + 1"
        f" WHERE id = $1 AND user_id = $2 AND version = $3 RETURNING {_COLUMNS}",
        method_id,
        user_id,
        expected_version,
        display_name,
    )
    return None if row is None else _contact_method(row)


async def delete_contact_method(
    pool: Pool[Any], user_id: str, method_id: str, *, expected_version: int | None
) -> bool:
    """Delete a contact method (only at `expected_version` when given); False when nothing was deleted."""
    status = await pool.execute(
        "DELETE FROM contact_methods"
        " WHERE id = $1 AND user_id = $2 AND ($3::integer IS NULL OR version = $3)",
        method_id,
        user_id,
        expected_version,
    )
    return str(status) == "DELETE 1"


async def count_attempt(pool: Pool[Any], method_id: str, limit: int) -> int | None:
    """Count one more activation code tried, unless `limit` were tried already (None then); the count."""
    attempts = await pool.fetchval(
        "UPDATE contact_methods SET code_attempts = code_attempts + 1"
        " WHERE id = $1 AND code_attempts < $2 RETURNING code_attempts",
        method_id,
        limit,
    )
    return None if attempts is None else int(attempts)


async def activate(pool: Pool[Any], method_id: str, code_digest: bytes) -> ContactMethod | None:
    """Activate a pending contact method whose code has this digest, once; None when it did not apply."""
    row = await pool.fetchrow(
        "UPDATE contact_methods SET activated_on = now(), version = version + 1, code_digest = NULL,"
        " code_expires_on = NULL WHERE id = $1 AND activated_on IS NULL AND code_digest = $2"
        f" RETURNING {_COLUMNS}",
        method_id,
        code_digest,
    )
    return None if row is None else _contact_method(row)
