"""User routes (API v2.7 and later): create, read, change (JSON Patch) and delete one user.

`GET` and `PATCH` answer the whole user with its `ETag`; `PATCH` takes an RFC 6902 document
(`application/json-patch+json`) and an optional `If-Match` (412 when stale, nothing changed); without one, a
change racing another is re-applied to the newer user. `POST` answers the new user's overview (200, as the C#
SDK expects), with its generated password when it was given none. `DELETE` answers 200; a deleted user is not
found afterwards (404), though `GET /users?includeDeleted=true` still lists it.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from verifalia_server.api.shared.auth import authenticate, require
from verifalia_server.api.shared.errors import ApiError, bad_request
from verifalia_server.api.shared.keys import POOL_KEY
from verifalia_server.api.shared.models import parse_body
from verifalia_server.api.v2 import user_wire
from verifalia_server.api.v2.jobs import json_response
from verifalia_server.api.v2.json_patch import MEDIA_TYPE, apply_patch, parse_patch
from verifalia_server.api.v2.preconditions import IfMatch, if_match
from verifalia_server.api.v2.user_requests import UserRequest
from verifalia_server.service import users
from verifalia_server.service.errors import PreconditionFailed
from verifalia_server.service.permissions import DELETE_USERS, READ_USERS, WRITE_USERS
from verifalia_server.store.users import User

# How often a PATCH without If-Match is re-applied when another change keeps overtaking it.
_ATTEMPTS = 3
_STALE = "The user has changed since the entity tag in 'If-Match'; read it again."


async def create_user(request: web.Request) -> web.Response:
    """Create a user of the caller's account."""
    principal = await authenticate(request)
    principal.require_account_wide(WRITE_USERS)
    body = parse_body(UserRequest, await _json(request, UserRequest.shape))
    created = await users.create_user(request.app[POOL_KEY], principal, body.new_user())
    return json_response(
        user_wire.created(created.user, created.generated_password), headers=_etag(created.user)
    )


async def get_user(request: web.Request) -> web.Response:
    """One user of the caller's account, with its entity tag."""
    principal = await require(request, READ_USERS)
    user = await users.read_user(request.app[POOL_KEY], principal, request.match_info["id"])
    return json_response(user_wire.user(user), headers=_etag(user))


async def patch_user(request: web.Request) -> web.Response:
    """Apply a JSON Patch document to a user."""
    principal = await require(request, WRITE_USERS)
    if request.content_type != MEDIA_TYPE:
        # RFC 5789 §3.1: Accept-Patch names the patch formats the resource takes.
        raise ApiError(
            415,
            "Unsupported Media Type",
            f"The request body must be a JSON Patch document with the Content-Type {MEDIA_TYPE}.",
            headers={"Accept-Patch": MEDIA_TYPE},
        )
    condition = if_match(request.headers)
    current = await users.writable_user(request.app[POOL_KEY], principal, request.match_info["id"])
    operations = parse_patch(await _json(request, "a JSON Patch document"))
    _check(condition, current)
    attempts = 1
    while True:
        change = _patched_user(current, apply_patch(user_wire.user(current), operations)).change()
        try:
            updated = await users.update_user(request.app[POOL_KEY], principal, current, change)
        except PreconditionFailed:
            if condition is not None:
                raise PreconditionFailed(_STALE) from None
            if attempts == _ATTEMPTS:
                raise
            attempts += 1
            current = await users.writable_user(request.app[POOL_KEY], principal, current.id)
            continue
        return json_response(user_wire.user(updated), headers=_etag(updated))


async def delete_user(request: web.Request) -> web.Response:
    """Delete a user: its credentials stop working at once, its jobs stay the account's."""
    principal = await require(request, DELETE_USERS)
    condition = if_match(request.headers)
    pool = request.app[POOL_KEY]
    user = await users.deletable_user(pool, principal, request.match_info["id"])
    _check(condition, user)
    try:
        await users.delete_user(
            pool, principal, user, expected_version=None if condition is None else user.version
        )
    except PreconditionFailed:
        raise PreconditionFailed(_STALE) from None
    return json_response({})


def _check(condition: IfMatch | None, user: User) -> None:
    """412 when `If-Match` does not hold for the user (RFC 9110 §13.2.2: evaluated before the change is made;
    a malformed body is refused first)."""
    if condition is not None and not condition.matches(user.etag):
        raise PreconditionFailed(_STALE)


def _patched_user(current: User, patched: object) -> UserRequest:
    """The user a patch leaves, once its read-only members are checked unchanged (400 otherwise)."""
    if not isinstance(patched, dict):
        raise bad_request(f"The patched user must be {UserRequest.shape}.")
    original = user_wire.user(current)
    for member in user_wire.READ_ONLY:
        if patched.get(member) != original[member]:
            raise bad_request(f"The user's '{member}' cannot be changed.")
    writable = {key: value for key, value in patched.items() if key not in user_wire.READ_ONLY}
    return parse_body(UserRequest, {**writable, "type": current.type.value})


async def _json(request: web.Request, shape: str) -> Any:
    """The request body as JSON; 400 when it is not JSON."""
    try:
        return orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise bad_request(f"The request body must be {shape}.") from None


def _etag(user: User) -> dict[str, str]:
    # RFC 9110 §8.8.3: the ETag field.
    return {"ETag": user.etag}
