"""Managing the users of an account as one of its users: create, read, list, change and delete them.

Every operation checks the caller's permission: `users:read`, `users:write` and `users:delete`, where the
scope `own` covers the caller itself (creating and listing users, and changing rules, need the account-wide
grant).
Users of another account, and deleted users, are not found. Only an Administrator may create, change or delete
an Administrator; no user may deactivate or delete itself; the last active Administrator of an account can be
neither deactivated nor deleted (`Conflict`), and as a user's type never changes, it cannot be demoted either.
A browser app has no password and logs in with its id; a Standard user or Administrator created without a
password gets a generated one, returned once, at creation.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from verifalia_server.service.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed
from verifalia_server.service.permissions import (
    DEFAULT_RULES,
    DELETE_USERS,
    READ_USERS,
    WRITE_USERS,
    Principal,
    UserType,
    canonical_rules,
)
from verifalia_server.service.text import require_storable
from verifalia_server.store import users as store
from verifalia_server.store.database import Pool
from verifalia_server.store.users import Profile, User

_BROWSER_APP_LOGIN = (
    "A browser app has no password nor other login settings: it logs in with its id as the username and an"
    " empty password."
)


@dataclass(frozen=True, slots=True)
class NewUser:
    """A user to create: its type, profile (its rules: `rules`, or its type's defaults) and password."""

    user_type: UserType
    profile: Profile
    rules: tuple[str, ...] | None = None
    password: str | None = None


@dataclass(frozen=True, slots=True)
class CreatedUser:
    """A new user, and the password generated for it (None when the request gave one; for a browser app)."""

    user: User
    generated_password: str | None


@dataclass(frozen=True, slots=True)
class UserChange:
    """A user's whole new profile, and its new password when it changes."""

    profile: Profile
    password: str | None = None


@dataclass(frozen=True, slots=True)
class UserListing:
    """Which users to list, in which order, from where (a `store.users.sort_key`) and how many."""

    include_deleted: bool = False
    types: tuple[UserType, ...] | None = None
    by_name: bool = False
    descending: bool = False
    after: tuple[dt.datetime | str, str] | None = None
    limit: int | None = None


async def create_user(pool: Pool[Any], principal: Principal, new: NewUser) -> CreatedUser:
    """Create a user of the caller's account (`users:write` account-wide)."""
    principal.require_account_wide(WRITE_USERS)
    _require_administrator_for(principal, new.user_type)
    rules = new.rules if new.rules is not None else DEFAULT_RULES[new.user_type]
    profile = _checked(new.user_type, dataclasses.replace(new.profile, rules=rules), new.password)
    generated = None
    if new.user_type is not UserType.BROWSER_APP and new.password is None:
        generated = store.new_password()
    try:
        user = await store.create_user(
            pool, principal.account_id, new.user_type, profile, new.password or generated
        )
    except store.UsernameTakenError as error:
        raise Conflict(f"{error}: another user already logs in with it.") from None
    return CreatedUser(user, generated)


async def read_user(pool: Pool[Any], principal: Principal, user_id: str) -> User:
    """A user of the caller's account (`users:read`; with the scope `own`, only the caller itself)."""
    user = await _find(pool, principal, user_id)
    principal.require(READ_USERS, owner=user.id)
    return user


async def list_users(pool: Pool[Any], principal: Principal, listing: UserListing) -> list[User]:
    """The account's users (`users:read` account-wide)."""
    principal.require_account_wide(READ_USERS)
    return await store.list_users(
        pool,
        principal.account_id,
        include_deleted=listing.include_deleted,
        types=listing.types,
        by_name=listing.by_name,
        descending=listing.descending,
        after=listing.after,
        limit=listing.limit,
    )


async def writable_user(pool: Pool[Any], principal: Principal, user_id: str) -> User:
    """A user of the caller's account that the caller may change (`users:write`)."""
    user = await _find(pool, principal, user_id)
    principal.require(WRITE_USERS, owner=user.id)
    _require_administrator_for(principal, user.type)
    return user


async def update_user(pool: Pool[Any], principal: Principal, current: User, change: UserChange) -> User:
    """Replace the profile of `current` (as `writable_user` returned it) if it has not changed since.

    Raises `PreconditionFailed` when it has, `Conflict` for a username in use, a caller deactivating itself or
    the account's last active Administrator deactivated, `InvalidInput` for malformed settings.
    """
    principal.require(WRITE_USERS, owner=current.id)
    _require_administrator_for(principal, current.type)
    profile = _checked(current.type, change.profile, change.password)
    if profile.rules != current.profile.rules:
        principal.require_account_wide(WRITE_USERS)
    deactivating = current.profile.is_active and not profile.is_active
    if deactivating and current.id == principal.user_id:
        raise Conflict("A user cannot deactivate itself.")
    async with store.users_locked(pool, principal.account_id) as locked:
        try:
            updated = await store.update_user(
                locked, current.id, profile, expected_version=current.version, password=change.password
            )
        except store.StaleVersionError:
            raise PreconditionFailed(f"The user {current.id} changed since it was read.") from None
        except store.UnknownUserError:
            raise _not_found(current.id) from None
        except store.UsernameTakenError as error:
            raise Conflict(f"{error}: another user already logs in with it.") from None
        if deactivating and current.type is UserType.ADMINISTRATOR:
            await _keep_an_administrator(locked, principal.account_id, "deactivated")
    return updated


async def deletable_user(pool: Pool[Any], principal: Principal, user_id: str) -> User:
    """A user of the caller's account that the caller may delete (`users:delete`), never itself."""
    user = await _find(pool, principal, user_id)
    principal.require(DELETE_USERS, owner=user.id)
    _require_administrator_for(principal, user.type)
    if user.id == principal.user_id:
        raise Conflict("A user cannot delete itself.")
    return user


async def delete_user(
    pool: Pool[Any], principal: Principal, current: User, *, expected_version: int | None = None
) -> None:
    """Delete `current` (as `deletable_user` returned it): its credentials stop working, its jobs stay.

    Raises `PreconditionFailed` when it is no longer at `expected_version` (when given), `Conflict` when it is
    the account's last active Administrator.
    """
    async with store.users_locked(pool, principal.account_id) as locked:
        latest = await store.get_user(locked, current.id)
        if latest is None or latest.deleted_on is not None:
            raise _not_found(current.id)
        if expected_version is not None and latest.version != expected_version:
            raise PreconditionFailed(f"The user {current.id} changed since it was read.")
        await store.delete_user(locked, current.id)
        if latest.type is UserType.ADMINISTRATOR and latest.profile.is_active:
            await _keep_an_administrator(locked, principal.account_id, "deleted")


async def _find(pool: Pool[Any], principal: Principal, user_id: str) -> User:
    """A user of the caller's account, not deleted; `NotFound` otherwise (another account's included)."""
    user = await store.get_user(pool, require_storable(user_id, "id"))
    if user is None or user.account_id != principal.account_id or user.deleted_on is not None:
        raise _not_found(user_id)
    return user


def _not_found(user_id: str) -> NotFound:
    return NotFound(f"No user has the id {user_id!r}.")


def _require_administrator_for(principal: Principal, user_type: UserType) -> None:
    """Only an Administrator creates, changes or deletes an Administrator."""
    if user_type is UserType.ADMINISTRATOR and principal.user_type is not UserType.ADMINISTRATOR:
        raise Forbidden("Administrator")


async def _keep_an_administrator(locked: Pool[Any], account_id: int, change: str) -> None:
    """Undo the locked transaction's change (`Conflict`) when it left the account no active Administrator."""
    if await store.count_active_administrators(locked, account_id) == 0:
        raise Conflict(f"The account's last active Administrator cannot be {change}.")


def _checked(user_type: UserType, profile: Profile, password: str | None) -> Profile:
    """The profile with canonical rules; `InvalidInput` for a malformed rule, unstorable text or login
    settings a browser app cannot have."""
    try:
        rules = canonical_rules(require_storable(rule, "authorization.rules") for rule in profile.rules)
    except ValueError as error:
        raise InvalidInput(f"Invalid 'authorization.rules': {error}.") from None
    require_storable(profile.display_name, "displayName")
    require_storable(profile.username, "authentication.password.username")
    for origin in profile.origins:
        require_storable(origin, "trustedOrigin.expressions")
    if password is not None:
        require_storable(password, "authentication.password.password")
    if user_type is UserType.BROWSER_APP and (
        password is not None
        or profile.username
        or profile.password_enabled
        or profile.mfa_required
        or profile.certificate_login
    ):
        raise InvalidInput(_BROWSER_APP_LOGIN)
    return dataclasses.replace(profile, rules=rules)
