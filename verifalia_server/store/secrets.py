"""Secrets shared by every node (e.g. the JWT signing key), created on first use.

API: `get_or_create(pool, name) -> str`; `SharedSecret(pool, name, configured).get()` caches it per node.
"""

from __future__ import annotations

import secrets
from typing import Any

from verifalia_server.store.database import Pool


async def get_or_create(pool: Pool[Any], name: str) -> str:
    """Return the named secret, creating a random one the first time; every node gets the same value."""
    await pool.execute(
        "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        name,
        secrets.token_urlsafe(48),
    )
    value: str = await pool.fetchval("SELECT value FROM secrets WHERE name = $1", name)
    return value


class SharedSecret:
    """A named secret read once per node: the configured value, or the one stored for every node."""

    def __init__(self, pool: Pool[Any], name: str, configured: str | None = None) -> None:
        self._pool = pool
        self._name = name
        self._value = configured

    async def get(self) -> str:
        """Return the secret, loading (or creating) it on first use."""
        if self._value is None:
            self._value = await get_or_create(self._pool, self._name)
        return self._value
