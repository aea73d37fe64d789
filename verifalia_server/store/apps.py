"""LeadRocks apps: an account's API tokens (stored as SHA-256), their on/off switch, limits and rate windows.

API: `create_app`, `list_apps`, `set_app_enabled`, `set_app_limits`, `find_app_by_token`, `count_request`.
A token is 32 random bytes, URL-safe base64, shown once when the app is created.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import asyncpg

from verifalia_server.store.database import Pool
from verifalia_server.store.users import UnknownAccountError

_APP_COLUMNS = (
    "id, account_id, name, enabled, max_concurrent_lists, verifies_per_minute, requests_per_minute,"
    " created_on"
)


class UnknownAppError(LookupError):
    """No app has the given identifier."""


class RequestKind(StrEnum):
    """What a rate window counts: every request of an app, or its realtime verifies."""

    REQUEST = "request"
    VERIFY = "verify"


@dataclass(frozen=True, slots=True)
class AppLimits:
    """Per-app limits; None means the service default, 0 means no limit."""

    max_concurrent_lists: int | None = None
    verifies_per_minute: int | None = None
    requests_per_minute: int | None = None


@dataclass(frozen=True, slots=True)
class App:
    """A LeadRocks app as stored (its token only as a hash)."""

    id: int
    account_id: int
    name: str
    enabled: bool
    limits: AppLimits
    created_on: datetime


@dataclass(frozen=True, slots=True)
class RateWindow:
    """The state of a rate window after counting one request in it."""

    hits: int
    seconds_left: float


def hash_app_token(token: str) -> bytes:
    """The stored form of an app token (tokens are random, so an unsalted hash can be looked up)."""
    return hashlib.sha256(token.encode("utf-8")).digest()


def _app(row: asyncpg.Record) -> App:
    return App(
        id=row["id"],
        account_id=row["account_id"],
        name=row["name"],
        enabled=row["enabled"],
        limits=AppLimits(row["max_concurrent_lists"], row["verifies_per_minute"], row["requests_per_minute"]),
        created_on=row["created_on"],
    )


async def create_app(
    pool: Pool[Any], account_id: int, name: str, limits: AppLimits = AppLimits()
) -> tuple[App, str]:
    """Create an app for an account; return it with its token (the only time the token is known)."""
    token = secrets.token_urlsafe(32)
    try:
        row = await pool.fetchrow(
            "INSERT INTO leadrocks_apps"
            " (account_id, name, token_hash, max_concurrent_lists, verifies_per_minute, requests_per_minute)"
            f" VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_APP_COLUMNS}",
            account_id,
            name,
            hash_app_token(token),
            limits.max_concurrent_lists,
            limits.verifies_per_minute,
            limits.requests_per_minute,
        )
    except asyncpg.ForeignKeyViolationError:
        raise UnknownAccountError(f"no account {account_id}") from None
    return _app(row), token


async def list_apps(pool: Pool[Any], account_id: int) -> list[App]:
    """The apps of an account, oldest first."""
    rows = await pool.fetch(
        f"SELECT {_APP_COLUMNS} FROM leadrocks_apps WHERE account_id = $1 ORDER BY id", account_id
    )
    return [_app(row) for row in rows]


async def set_app_enabled(pool: Pool[Any], app_id: int, enabled: bool) -> App:
    """Turn an app's token on or off."""
    row = await pool.fetchrow(
        f"UPDATE leadrocks_apps SET enabled = $2 WHERE id = $1 RETURNING {_APP_COLUMNS}", app_id, enabled
    )
    if row is None:
        raise UnknownAppError(f"no app {app_id}")
    return _app(row)


async def set_app_limits(pool: Pool[Any], app_id: int, limits: AppLimits) -> App:
    """Replace an app's limits (None restores the service default)."""
    row = await pool.fetchrow(
        "UPDATE leadrocks_apps"
        " SET max_concurrent_lists = $2, verifies_per_minute = $3, requests_per_minute = $4"
        f" WHERE id = $1 RETURNING {_APP_COLUMNS}",
        app_id,
        limits.max_concurrent_lists,
        limits.verifies_per_minute,
        limits.requests_per_minute,
    )
    if row is None:
        raise UnknownAppError(f"no app {app_id}")
    return _app(row)


async def find_app_by_token(pool: Pool[Any], token: str) -> App | None:
    """The app a presented token belongs to, enabled or not."""
    row = await pool.fetchrow(
        f"SELECT {_APP_COLUMNS} FROM leadrocks_apps WHERE token_hash = $1", hash_app_token(token)
    )
    return None if row is None else _app(row)


async def count_request(pool: Pool[Any], app_id: int, kind: RequestKind, window_seconds: float) -> RateWindow:
    """Count one request in the app's current window of `kind`, opening a new window when the last one ended.

    The database clock is the only clock, so every node shares the same windows.
    """
    row = await pool.fetchrow(
        "INSERT INTO leadrocks_rate_windows AS w (app_id, kind, window_start, hits)"
        " VALUES ($1, $2, now(), 1)"
        " ON CONFLICT (app_id, kind) DO UPDATE SET"
        "  hits = CASE WHEN w.window_start > now() - make_interval(secs => $3) THEN w.hits + 1 ELSE 1 END,"
        "  window_start = CASE WHEN w.window_start > now() - make_interval(secs => $3)"
        "   THEN w.window_start ELSE now() END"
        " RETURNING hits,"
        "  EXTRACT(EPOCH FROM w.window_start + make_interval(secs => $3) - now())::float8 AS seconds_left",
        app_id,
        kind.value,
        window_seconds,
    )
    return RateWindow(hits=row["hits"], seconds_left=max(0.0, row["seconds_left"]))
