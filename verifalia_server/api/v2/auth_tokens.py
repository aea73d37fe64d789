"""`POST /auth/tokens`: exchange a SID and auth token for a signed bearer token (JWT).

The body is read as JSON whatever its Content-Type (some SDKs send `text/plain`). The token is valid for
`VERIFALIA_TOKEN_TTL_SECONDS`; disabling the sub-account or rotating its auth token revokes the tokens
issued so far.
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
from verifalia_server.service.text import is_storable
from verifalia_server.store.accounts import get_subaccount, token_matches


async def issue_token(request: web.Request) -> web.Response:
    """Answer `{"accessToken": "<jwt>"}` for valid credentials, 401 otherwise."""
    try:
        decoded = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise bad_request(f"The request body must be {TokenRequest.shape}.") from None
    credentials = parse_body(TokenRequest, decoded)
    username = credentials.username
    sub_account = await get_subaccount(request.app[POOL_KEY], username) if is_storable(username) else None
    if sub_account is None or not token_matches(sub_account, credentials.password):
        raise unauthorized("Invalid username or password.")
    if sub_account.disabled:
        raise unauthorized("This sub-account is disabled.")
    ttl = request.app[V2_SETTINGS_KEY].token_ttl_seconds
    token = tokens.issue(sub_account.sid, await jwt_secret(request), ttl, sub_account.token_generation)
    return json_response({"accessToken": token})
