"""Authentication (HTTP Basic `SID:token` or a Bearer JWT) and permission checks."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from aiohttp import web

from verifalia_server.api.shared import tokens
from verifalia_server.api.shared.errors import ApiError
from verifalia_server.api.shared.keys import JWT_SECRET_KEY, POOL_KEY
from verifalia_server.service.errors import Forbidden
from verifalia_server.service.text import is_storable
from verifalia_server.store.accounts import get_subaccount, token_matches

# RFC 7617 §2: the challenge a client answers with Basic credentials.
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="verifalia"'}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts for: the sub-account, its account and its permissions."""

    account_id: int
    sid: str
    permissions: frozenset[str]
    is_bearer: bool

    def require(self, permission: str) -> None:
        """Raise `Forbidden` unless the sub-account holds `permission` (each surface answers it 403)."""
        if permission not in self.permissions:
            raise Forbidden(permission)


PRINCIPAL_KEY = web.RequestKey("principal", Principal)


def unauthorized(detail: str = "Missing or invalid credentials.") -> ApiError:
    """A 401 error carrying the Basic challenge."""
    return ApiError(401, "Unauthorized", detail, headers=_CHALLENGE)


async def jwt_secret(request: web.Request) -> str:
    """The bearer-token key: VERIFALIA_JWT_SECRET, or one secret shared by all nodes via the database."""
    return await request.app[JWT_SECRET_KEY].get()


def _basic_credentials(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise unauthorized("Malformed Basic credentials.") from None
    # RFC 7617 §2: user-id and password are separated by the first colon.
    sid, colon, token = decoded.partition(":")
    if not colon or not sid:
        raise unauthorized("Malformed Basic credentials.")
    return sid, token


async def authenticate(request: web.Request) -> Principal:
    """Identify the request's sub-account; raise 401 for missing, bad or disabled credentials."""
    if PRINCIPAL_KEY in request:
        return request[PRINCIPAL_KEY]
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    pool = request.app[POOL_KEY]
    if scheme.lower() == "basic":
        sid, token = _basic_credentials(value)
        # A SID PostgreSQL cannot store names no sub-account; it is never looked up.
        sub_account = await get_subaccount(pool, sid) if is_storable(sid) else None
        if sub_account is None or not token_matches(sub_account, token):
            raise unauthorized("Invalid SID or auth token.")
        is_bearer = False
    elif scheme.lower() == "bearer":
        subject = tokens.subject_of(value.strip(), await jwt_secret(request))
        sub_account = None if subject is None else await get_subaccount(pool, subject.sid)
        # A token issued before the auth token was rotated or the sub-account disabled is revoked.
        if sub_account is None or subject is None or sub_account.token_generation != subject.generation:
            raise unauthorized("Invalid, expired or revoked bearer token.")
        is_bearer = True
    else:
        raise unauthorized()
    if sub_account.disabled:
        raise unauthorized("This sub-account is disabled.")
    principal = Principal(sub_account.account_id, sub_account.sid, sub_account.permissions, is_bearer)
    request[PRINCIPAL_KEY] = principal
    return principal


async def require(request: web.Request, permission: str) -> Principal:
    """Authenticate the request and check one permission (401, then 403)."""
    principal = await authenticate(request)
    principal.require(permission)
    return principal
