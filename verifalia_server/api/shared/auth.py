"""Authentication (HTTP Basic `username:password`, a browser app's key, a Bearer JWT, or a registered client
certificate presented in the TLS handshake) and permissions."""

from __future__ import annotations

import base64
import binascii

from aiohttp import hdrs, web

from verifalia_server.api.shared import tokens
from verifalia_server.api.shared.errors import ApiError
from verifalia_server.api.shared.keys import JWT_SECRET_KEY, POOL_KEY
from verifalia_server.api.shared.tls import peer_fingerprint
from verifalia_server.service.browser_apps import check_origin
from verifalia_server.service.permissions import Authorization, Permission, Principal, UserType
from verifalia_server.service.text import is_storable
from verifalia_server.store.certificates import certificate_owner
from verifalia_server.store.users import User, find_login, get_user, password_matches

# RFC 7617 §2: the challenge a client answers with Basic credentials.
_CHALLENGE = {"WWW-Authenticate": 'Basic realm="verifalia"'}


PRINCIPAL_KEY = web.RequestKey("principal", Principal)
_SECOND_FACTOR_NEEDED = (
    "This user has two-factor authentication: get a bearer token from POST /auth/tokens and complete it"
    " with a TOTP code at POST /auth/totp/verifications."
)
_FIRST_FACTOR_ONLY = (
    "This bearer token only completes the second factor: send a TOTP code to POST /auth/totp/verifications."
)
# The browser app a request is authenticated as, for its origin, CORS and submission limits.
BROWSER_APP_KEY = web.RequestKey("browser_app", User)


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
    """Identify the request's user; raise 401 for missing, bad, inactive or deleted credentials."""
    if PRINCIPAL_KEY in request:
        return request[PRINCIPAL_KEY]
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    pool = request.app[POOL_KEY]
    user: User | None
    if scheme.lower() == "basic":
        username, password = _basic_credentials(value)
        # A name PostgreSQL cannot store names no user; it is never looked up.
        user = await find_login(pool, username) if is_storable(username) else None
        if user is None or not _password_accepted(user, password):
            raise unauthorized("Invalid username or password.")
        # A password alone must not pass for a user with a second factor.
        if user.profile.mfa_required:
            raise unauthorized(_SECOND_FACTOR_NEEDED)
        is_bearer = False
    elif scheme.lower() == "bearer":
        user, subject = await _bearer_user(request, value)
        if subject.pending_factors:
            raise unauthorized(_FIRST_FACTOR_ONLY)
        is_bearer = True
    elif not header and (fingerprint := peer_fingerprint(request)) is not None:
        owner = await certificate_owner(pool, fingerprint)
        user = None if owner is None else await get_user(pool, owner)
        if user is None:
            raise unauthorized("The client certificate logs no user in.")
        is_bearer = False
    else:
        raise unauthorized()
    if not user.can_log_in:
        raise unauthorized("This user is inactive.")
    if user.type is UserType.BROWSER_APP:
        request[BROWSER_APP_KEY] = user
        check_origin(user, request.headers.get(hdrs.ORIGIN))
    principal = Principal(
        user.account_id, user.id, Authorization.of(user.type, user.profile.rules), is_bearer
    )
    request[PRINCIPAL_KEY] = principal
    return principal


async def _bearer_user(request: web.Request, value: str) -> tuple[User, tokens.Subject]:
    """The user a valid, unrevoked bearer token was issued to, and what the token says (401 otherwise)."""
    subject = tokens.subject_of(value.strip(), await jwt_secret(request))
    user = None if subject is None else await get_user(request.app[POOL_KEY], subject.user_id)
    # A token issued before the password was changed or the user deactivated is revoked.
    if user is None or subject is None or user.token_generation != subject.generation:
        raise unauthorized("Invalid, expired or revoked bearer token.")
    return user, subject


async def first_factor_user(request: web.Request, factor: str) -> User:
    """The user of the request's first-factor bearer token that still owes `factor` (401 otherwise)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        raise unauthorized("Send the token from POST /auth/tokens as a Bearer token.")
    user, subject = await _bearer_user(request, value)
    if factor not in subject.pending_factors:
        raise unauthorized(f"This bearer token does not await a {factor} code.")
    if not user.can_log_in:
        raise unauthorized("This user is inactive.")
    return user


def _password_accepted(user: User, password: str) -> bool:
    """A browser app's key is its user name with an empty password; other users need their password."""
    if user.type is UserType.BROWSER_APP:
        return password == ""
    return user.profile.password_enabled and password_matches(user, password)


async def require(request: web.Request, permission: Permission) -> Principal:
    """Authenticate the request and check that the user holds `permission` at least on its own (401, 403)."""
    principal = await authenticate(request)
    principal.require(permission)
    return principal
