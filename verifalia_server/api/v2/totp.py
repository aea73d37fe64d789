"""TOTP second factor routes: the login's second step and a user's own enrolment.

- `POST /auth/totp/verifications` `{"passCode": "123456"}` with the first-factor bearer token from
  `POST /auth/tokens` -> 200 `{"accessToken": "<jwt>"}`, a token good everywhere; a wrong, expired or
  reused code -> 403; too many codes tried for the user lately -> 429 with `Retry-After`.
- `POST /users/{id}/totp` -> 200 `{"secret", "provisioningUri"}`: a new secret, pending until confirmed.
- `POST /users/{id}/totp/confirmation` `{"passCode"}` -> 204: from now on a password login needs a code;
  the bearer tokens issued so far are revoked.
- `DELETE /users/{id}/totp` -> 204: no second factor any more; the bearer tokens issued so far are revoked.

A user manages its own second factor; a user who may write users account-wide manages its account's.
Bodies are read as JSON whatever their Content-Type (the JS SDK sends `text/plain`).
"""

from __future__ import annotations

from typing import ClassVar

import orjson
from aiohttp import hdrs, web

from verifalia_server.api.shared import tokens
from verifalia_server.api.shared.auth import authenticate, first_factor_user, jwt_secret, unauthorized
from verifalia_server.api.shared.errors import ApiError, bad_request
from verifalia_server.api.shared.keys import POOL_KEY, V2_SETTINGS_KEY
from verifalia_server.api.shared.models import RequestBody, parse_body
from verifalia_server.api.v2.jobs import json_response
from verifalia_server.service import totp
from verifalia_server.store.users import User


class PassCodeRequest(RequestBody):
    """A TOTP code, as the SDKs send it."""

    shape: ClassVar[str] = "a JSON object with 'passCode'"

    passCode: str


async def _pass_code(request: web.Request) -> str:
    try:
        decoded = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise bad_request(f"The request body must be {PassCodeRequest.shape}.") from None
    return parse_body(PassCodeRequest, decoded).passCode


def _refusal(error: totp.TotpError) -> ApiError:
    """The answer to a refused code or enrolment step."""
    if isinstance(error, totp.TooManyAttempts):
        # RFC 6585 §4 and RFC 9110 §10.2.3: too many requests, and the seconds to wait.
        return ApiError(429, "Too Many Requests", str(error), headers={"Retry-After": str(error.retry_after)})
    if isinstance(error, totp.EnrolmentConflict):
        return ApiError(409, "Conflict", str(error))
    if isinstance(error, totp.WrongPassCode):
        # A 403 makes the official SDKs ask their TOTP provider for another code (JS: 3 attempts in all).
        return ApiError(403, "Forbidden", str(error))
    return unauthorized(str(error))


async def _checked(request: web.Request, user: User, pass_code: str, *, confirming: bool) -> None:
    pool = request.app[POOL_KEY]
    try:
        if confirming:
            await totp.confirm(pool, user, pass_code)
        else:
            await totp.verify(pool, user, pass_code)
    except totp.TotpError as error:
        raise _refusal(error) from None


async def verify_login(request: web.Request) -> web.Response:
    """Exchange a first-factor token and a valid code for a token good everywhere."""
    user = await first_factor_user(request, totp.TOTP_FACTOR)
    await _checked(request, user, await _pass_code(request), confirming=False)
    ttl = request.app[V2_SETTINGS_KEY].token_ttl_seconds
    token = tokens.issue(user.id, await jwt_secret(request), ttl, user.token_generation)
    return json_response({"accessToken": token})


async def _managed_user(request: web.Request) -> User:
    principal = await authenticate(request)
    return await totp.managed_user(request.app[POOL_KEY], principal, request.match_info["id"])


async def enable(request: web.Request) -> web.Response:
    """Give the user a new secret and its provisioning URI, pending until a first code confirms it."""
    user = await _managed_user(request)
    try:
        enrolment = await totp.enable(request.app[POOL_KEY], user)
    except totp.TotpError as error:
        raise _refusal(error) from None
    return json_response({"secret": enrolment.secret, "provisioningUri": enrolment.provisioning_uri})


async def confirm(request: web.Request) -> web.Response:
    """Check a first code of the pending secret and require the second factor from now on."""
    user = await _managed_user(request)
    await _checked(request, user, await _pass_code(request), confirming=True)
    return web.Response(status=204)


async def disable(request: web.Request) -> web.Response:
    """Remove the user's second factor."""
    user = await _managed_user(request)
    await totp.disable(request.app[POOL_KEY], user)
    return web.Response(status=204)


ROUTES = (
    (hdrs.METH_POST, "/auth/totp/verifications", verify_login),
    (hdrs.METH_POST, "/users/{id}/totp", enable),
    (hdrs.METH_POST, "/users/{id}/totp/confirmation", confirm),
    (hdrs.METH_DELETE, "/users/{id}/totp", disable),
)
