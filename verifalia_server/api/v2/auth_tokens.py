"""`POST /auth/tokens`: exchange a username and password (a SID and auth token) for a bearer token (JWT).

The body is read as JSON whatever its Content-Type (some SDKs send `text/plain`). The token is valid for
`VERIFALIA_TOKEN_TTL_SECONDS`; deactivating the user or changing its password revokes those issued before.
For a user with a second factor it is a first-factor token (claim `verifalia:mfa`, a few minutes long),
good only for `POST /auth/totp/verifications` (`api.v2.totp`).
"""

from __future__ import annotations

import orjson
from aiohttp import web

from verifalia_server.api.shared import tokens
from verifalia_server.api.shared.auth import jwt_secret, unauthorized
from verifalia_server.api.shared.errors import bad_request
from verifalia_server.api.shared.keys import POOL_KEY, V2_SETTINGS_KEY
from verifalia_server.api.shared.models import TokenRequest, parse_body
from verifalia_server.api.v2.jobs import json_response
from verifalia_server.service import totp
from verifalia_server.service.text import is_storable
from verifalia_server.store.users import find_login, password_matches


async def issue_token(request: web.Request) -> web.Response:
    """Answer `{"accessToken": "<jwt>"}` for valid credentials, 401 otherwise."""
    try:
        decoded = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise bad_request(f"The request body must be {TokenRequest.shape}.") from None
    credentials = parse_body(TokenRequest, decoded)
    username = credentials.username
    user = await find_login(request.app[POOL_KEY], username) if is_storable(username) else None
    if user is None or not user.profile.password_enabled or not password_matches(user, credentials.password):
        raise unauthorized("Invalid username or password.")
    if not user.can_log_in:
        raise unauthorized("This user is inactive.")
    ttl = request.app[V2_SETTINGS_KEY].token_ttl_seconds
    if user.profile.mfa_required:
        ttl = min(ttl, totp.FIRST_FACTOR_TTL_SECONDS)
        factors: tuple[str, ...] = (totp.TOTP_FACTOR,)
    else:
        factors = ()
    token = tokens.issue(user.id, await jwt_secret(request), ttl, user.token_generation, factors)
    return json_response({"accessToken": token})
