"""Users of an account: their type, login, authorization rules, browser-app settings and entity tag.

API: `create_user`, `get_user`, `find_login`, `list_users`, `update_user`, `delete_user`, `set_user_active`,
`rotate_password`, `password_matches`, `set_totp_secret`, `users_locked`, `count_active_administrators`.
A user's id is also its login name unless it has another one; passwords are stored as a salted SHA-256 and
shown once, when generated. Every change moves the user's `version` on (its entity tag); changing a password,
deactivating or deleting a user also moves its `token_generation` on, which revokes the bearer tokens issued
before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import string
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import asyncpg
import orjson

from verifalia_server.service.permissions import UserType
from verifalia_server.store.database import Pool
from verifalia_server.store.keyset import page_query

# letters and digits only: an id never starts with "-", so it is always taken as a command-line value
_ID_ALPHABET = string.ascii_letters + string.digits
_ID_LENGTH = 16
_COLUMNS = (
    "id, account_id, type, display_name, username, password_enabled, is_active, rules, version, created_on,"
    " deleted_on, token_salt, token_hash, token_generation, totp_secret, mfa_required, certificate_login,"
    " origins_enabled, origins, captcha_required, max_entries_per_job, throttling"
)
# The advisory lock key that serialises changes to one account's users.
_USERS_LOCK_KEY = "hashtextextended('users:' || $1::bigint::text, 0)"


class UnknownAccountError(LookupError):
    """No account has the given identifier."""


class UnknownUserError(LookupError):
    """No user has the given identifier."""


class UsernameTakenError(ValueError):
    """Another user already logs in with this name."""


class StaleVersionError(RuntimeError):
    """The user changed since the version the caller saw (its entity tag no longer matches)."""


@dataclass(frozen=True, slots=True)
class ThrottlingRule:
    """At most `limit` jobs per `period` (minute, hour or day), per user or per client IP address."""

    limit: int
    period: str
    scope: str


@dataclass(frozen=True, slots=True)
class Profile:
    """Everything about a user that an administrator can change."""

    display_name: str
    username: str = ""
    is_active: bool = True
    rules: tuple[str, ...] = ()
    password_enabled: bool = True
    mfa_required: bool = False
    certificate_login: bool = False
    origins_enabled: bool = False
    origins: tuple[str, ...] = ()
    captcha_required: bool = False
    max_entries_per_job: int | None = None
    throttling: tuple[ThrottlingRule, ...] = ()


@dataclass(frozen=True, slots=True)
class User:
    """A user as stored: its password only as salt and hash."""

    id: str
    account_id: int
    type: UserType
    profile: Profile
    version: int
    created_on: dt.datetime
    deleted_on: dt.datetime | None
    token_generation: int
    totp_secret: str | None = field(repr=False)
    token_salt: bytes = field(repr=False)
    token_hash: bytes = field(repr=False)

    @property
    def etag(self) -> str:
        """The user's entity tag (RFC 9110 §8.8.3: an opaque quoted string)."""
        return f'"{self.version}"'

    @property
    def can_log_in(self) -> bool:
        """Whether the user's credentials are accepted at all."""
        return self.profile.is_active and self.deleted_on is None


def hash_password(salt: bytes, password: str) -> bytes:
    """The stored form of a password (an auth token)."""
    return hashlib.sha256(salt + password.encode("utf-8")).digest()


def password_matches(user: User, password: str) -> bool:
    """Compare a presented password with the stored hash in constant time."""
    return hmac.compare_digest(hash_password(user.token_salt, password), user.token_hash)


def new_password() -> str:
    """A random password (auth token) of 256 bits."""
    return secrets.token_urlsafe(32)


def _user(row: asyncpg.Record) -> User:
    throttling = orjson.loads(row["throttling"]) if isinstance(row["throttling"], str) else row["throttling"]
    profile = Profile(
        display_name=row["display_name"],
        username=row["username"],
        is_active=row["is_active"],
        rules=tuple(row["rules"]),
        password_enabled=row["password_enabled"],
        mfa_required=row["mfa_required"],
        certificate_login=row["certificate_login"],
        origins_enabled=row["origins_enabled"],
        origins=tuple(row["origins"]),
        captcha_required=row["captcha_required"],
        max_entries_per_job=row["max_entries_per_job"],
        throttling=tuple(ThrottlingRule(rule["limit"], rule["period"], rule["scope"]) for rule in throttling),
    )
    return User(
        id=row["id"],
        account_id=row["account_id"],
        type=UserType(row["type"]),
        profile=profile,
        version=row["version"],
        created_on=row["created_on"],
        deleted_on=row["deleted_on"],
        token_generation=row["token_generation"],
        totp_secret=row["totp_secret"],
        token_salt=bytes(row["token_salt"]),
        token_hash=bytes(row["token_hash"]),
    )


def _profile_values(user_id: str, profile: Profile) -> tuple[Any, ...]:
    """The profile as the values of the columns display_name, username, is_active, rules, password_enabled,
    mfa_required, certificate_login, origins_enabled, origins, captcha_required, max_entries_per_job and
    throttling (jsonb text), in that order."""
    throttling = [
        {"limit": rule.limit, "period": rule.period, "scope": rule.scope} for rule in profile.throttling
    ]
    return (
        profile.display_name,
        profile.username or user_id,
        profile.is_active,
        list(profile.rules),
        profile.password_enabled,
        profile.mfa_required,
        profile.certificate_login,
        profile.origins_enabled,
        list(profile.origins),
        profile.captcha_required,
        profile.max_entries_per_job,
        orjson.dumps(throttling).decode(),
    )


async def insert_user(
    connection: Any, account_id: int, user_type: UserType, profile: Profile, password: str | None
) -> User:
    """Insert a user in the caller's transaction; an empty username means the user's id."""
    user_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))
    salt = secrets.token_bytes(16)
    try:
        row = await connection.fetchrow(
            "INSERT INTO users (id, account_id, type, token_salt, token_hash, display_name, username,"
            " is_active, rules, password_enabled, mfa_required, certificate_login, origins_enabled, origins,"
            " captcha_required, max_entries_per_job, throttling)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17::jsonb)"
            f" RETURNING {_COLUMNS}",
            user_id,
            account_id,
            user_type.value,
            salt,
            hash_password(salt, password if password is not None else secrets.token_urlsafe(32)),
            *_profile_values(
                user_id, replace(profile, password_enabled=profile.password_enabled and password is not None)
            ),
        )
    except asyncpg.UniqueViolationError:
        raise UsernameTakenError(f"the username {profile.username!r} is taken") from None
    except asyncpg.ForeignKeyViolationError:
        raise UnknownAccountError(f"no account {account_id}") from None
    return _user(row)


async def create_user(
    pool: Pool[Any], account_id: int, user_type: UserType, profile: Profile, password: str | None
) -> User:
    """Create a user of the account; `password` None means the user cannot log in with one."""
    async with pool.acquire() as connection:
        return await insert_user(connection, account_id, user_type, profile, password)


async def get_user(pool: Pool[Any], user_id: str) -> User | None:
    """Load a user by id, deleted or not."""
    row = await pool.fetchrow(f"SELECT {_COLUMNS} FROM users WHERE id = $1", user_id)
    return None if row is None else _user(row)


async def find_login(pool: Pool[Any], username: str) -> User | None:
    """The user who logs in as `username` (never a deleted one)."""
    row = await pool.fetchrow(
        f"SELECT {_COLUMNS} FROM users WHERE username = $1 AND deleted_on IS NULL", username
    )
    return None if row is None else _user(row)


async def list_users(
    pool: Pool[Any],
    account_id: int,
    *,
    include_deleted: bool = False,
    types: tuple[UserType, ...] | None = None,
    by_name: bool = False,
    descending: bool = False,
    after: tuple[dt.datetime | str, str] | None = None,
    limit: int | None = None,
) -> list[User]:
    """The account's users by creation or display name, ties by id, after the key `after` (see `sort_key`)."""
    conditions = ["account_id = $1"]
    arguments: list[Any] = [account_id]
    if not include_deleted:
        conditions.append("deleted_on IS NULL")
    if types is not None:
        arguments.append([user_type.value for user_type in types])
        conditions.append(f"type = ANY(${len(arguments)}::text[])")
    query, arguments = page_query(
        f"SELECT {_COLUMNS} FROM users",
        conditions,
        arguments,
        "display_name" if by_name else "created_on",
        descending=descending,
        after=after,
        limit=limit,
    )
    return [_user(row) for row in await pool.fetch(query, *arguments)]


def sort_key(user: User, by_name: bool) -> tuple[dt.datetime | str, str]:
    """The key `list_users` orders by."""
    return (user.profile.display_name if by_name else user.created_on, user.id)


async def update_user(
    pool: Pool[Any], user_id: str, profile: Profile, *, expected_version: int, password: str | None = None
) -> User:
    """Replace a user's profile (and password, when given) if it is still at `expected_version`.

    Raises UnknownUserError, StaleVersionError or UsernameTakenError. A new password, a deactivation or a
    login method switched off revokes the bearer tokens issued before.
    """
    salt = secrets.token_bytes(16)
    try:
        row = await pool.fetchrow(
            "UPDATE users SET display_name = $3, username = $4, is_active = $5, rules = $6,"
            " password_enabled = $7, mfa_required = $8, certificate_login = $9, origins_enabled = $10,"
            " origins = $11, captcha_required = $12, max_entries_per_job = $13, throttling = $14::jsonb,"
            " token_salt = CASE WHEN $15::text IS NULL THEN token_salt ELSE $16 END,"
            " token_hash = CASE WHEN $15::text IS NULL THEN token_hash ELSE $17 END,"
            " token_generation = token_generation + CASE WHEN $15::text IS NOT NULL OR (is_active AND NOT $5)"
            "   OR (password_enabled AND NOT $7) OR (NOT mfa_required AND $8) THEN 1 ELSE 0 END,"
            " version = version + 1"
            f" WHERE id = $1 AND version = $2 AND deleted_on IS NULL RETURNING {_COLUMNS}",
            user_id,
            expected_version,
            *_profile_values(user_id, profile),
            password,
            salt,
            hash_password(salt, password or ""),
        )
    except asyncpg.UniqueViolationError:
        raise UsernameTakenError(f"the username {profile.username!r} is taken") from None
    if row is None:
        current = await get_user(pool, user_id)
        if current is None or current.deleted_on is not None:
            raise UnknownUserError(f"no user {user_id}")
        raise StaleVersionError(f"user {user_id} is at version {current.version}, not {expected_version}")
    return _user(row)


async def delete_user(pool: Pool[Any], user_id: str) -> None:
    """Mark a user deleted: its credentials stop working at once; its jobs stay the account's."""
    result = await pool.execute(
        "UPDATE users SET deleted_on = now(), is_active = false, version = version + 1,"
        " token_generation = token_generation + 1 WHERE id = $1 AND deleted_on IS NULL",
        user_id,
    )
    if result == "UPDATE 0":
        raise UnknownUserError(f"no user {user_id}")


async def set_user_active(pool: Pool[Any], user_id: str, active: bool) -> None:
    """Deactivate (or activate again) a user; deactivating revokes the bearer tokens issued so far."""
    result = await pool.execute(
        "UPDATE users SET is_active = $2, version = version + 1,"
        " token_generation = token_generation + CASE WHEN $2 THEN 0 ELSE 1 END"
        " WHERE id = $1 AND deleted_on IS NULL",
        user_id,
        active,
    )
    if result == "UPDATE 0":
        raise UnknownUserError(f"no user {user_id}")


async def rotate_password(pool: Pool[Any], user_id: str) -> str:
    """Give a user a new random password (auth token) and return it; the old one stops working at once."""
    password = new_password()
    salt = secrets.token_bytes(16)
    result = await pool.execute(
        "UPDATE users SET token_salt = $2, token_hash = $3, password_enabled = true, version = version + 1,"
        " token_generation = token_generation + 1 WHERE id = $1 AND deleted_on IS NULL AND type <> $4",
        user_id,
        salt,
        hash_password(salt, password),
        UserType.BROWSER_APP.value,
    )
    if result == "UPDATE 0":
        raise UnknownUserError(f"no user {user_id} with a password")
    return password


async def set_totp_secret(pool: Pool[Any], user_id: str, secret: str | None) -> None:
    """Store (or clear) a user's TOTP secret; clearing also drops the second-factor requirement."""
    result = await pool.execute(
        "UPDATE users SET totp_secret = $2, mfa_required = mfa_required AND $2::text IS NOT NULL,"
        " version = version + 1, token_generation = token_generation + 1"
        " WHERE id = $1 AND deleted_on IS NULL",
        user_id,
        secret,
    )
    if result == "UPDATE 0":
        raise UnknownUserError(f"no user {user_id}")


@asynccontextmanager
async def users_locked(pool: Pool[Any], account_id: int) -> AsyncIterator[Pool[Any]]:
    """A transaction in which no other locked change to the account's users runs; pass what it yields as the
    pool of `update_user`, `delete_user` and `count_active_administrators` to make them part of it."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(f"SELECT pg_advisory_xact_lock({_USERS_LOCK_KEY})", account_id)
        yield connection


async def count_active_administrators(pool: Pool[Any], account_id: int) -> int:
    """How many active, undeleted Administrators the account has."""
    count: int = await pool.fetchval(
        "SELECT count(*) FROM users WHERE account_id = $1 AND type = $2 AND is_active AND deleted_on IS NULL",
        account_id,
        UserType.ADMINISTRATOR.value,
    )
    return count
