"""Client certificate routes (API v2.7): the certificates a user logs in with over mutual TLS.

- `GET /users/{userId}/certificates` -> 200 `{meta: {cursor, isTruncated}, data: [certificate]}`, oldest
  first, paged with `limit` and `cursor` / `cursor:prev`; without them every certificate in one page.
- `POST /users/{userId}/certificates` with a `multipart/form-data` `certificate` part (PEM or DER) -> 200 and
  the registered certificate; 400 for no certificate, a private key or an expired one, 409 when registered.
- `DELETE /users/{userId}/certificates/{certificateId}` -> 200 `{}`: the certificate logs nobody in.

Each needs `client-certificates:read`, `:write` or `:delete`, on the caller's own certificates when scoped
`own`. A registration is trusted at once in this node's TLS handshakes and shortly after in the others'.
"""

from __future__ import annotations

import datetime as dt
import uuid

from aiohttp import hdrs, web

from verifalia_server.api.shared.auth import authenticate
from verifalia_server.api.shared.errors import bad_request
from verifalia_server.api.shared.keys import POOL_KEY, V2_SETTINGS_KEY
from verifalia_server.api.shared.tls import CLIENT_TRUST_KEY
from verifalia_server.api.v2.certificate_wire import certificate, read_certificate_upload
from verifalia_server.api.v2.jobs import json_response
from verifalia_server.api.v2.query import (
    cursor_instant_position,
    cursor_limit,
    cut_page,
    instant_position,
    paging,
)
from verifalia_server.service.certificates import (
    register_certificate,
    unregister_certificate,
    user_certificates,
)
from verifalia_server.service.errors import NotFound
from verifalia_server.store.certificates import StoredCertificate, sort_key

_NOT_A_CURSOR = "The cursor is not a client certificate listing cursor."


async def list_user_certificates(request: web.Request) -> web.Response:
    """List a user's certificates."""
    principal = await authenticate(request)
    user_id = request.match_info["userId"]
    max_page_size = request.app[V2_SETTINGS_KEY].max_page_size
    page = paging(request.query, max_page_size)
    limit = page.limit
    after: tuple[dt.datetime, uuid.UUID] | None = None
    if page.cursor is not None:
        if page.cursor.get("u") != user_id:
            raise bad_request(_NOT_A_CURSOR)
        limit = limit or cursor_limit(page.cursor, max_page_size, _NOT_A_CURSOR)
        after = cursor_instant_position(page.cursor, "f" if page.backward else "l", _NOT_A_CURSOR)
    rows = await user_certificates(
        request.app[POOL_KEY],
        principal,
        user_id,
        descending=page.backward,
        after=after,
        limit=None if limit is None else limit + 1,
    )
    rows, meta = cut_page(rows, limit, page.backward, {"u": user_id}, _position)
    return json_response({"meta": meta, "data": [certificate(row) for row in rows]})


async def register(request: web.Request) -> web.Response:
    """Register a certificate for a user."""
    principal = await authenticate(request)
    upload = await read_certificate_upload(request)
    stored = await register_certificate(
        request.app[POOL_KEY], principal, request.match_info["userId"], upload
    )
    trust = request.config_dict.get(CLIENT_TRUST_KEY)
    if trust is not None:
        await trust.sync()
    return json_response(certificate(stored))


async def delete(request: web.Request) -> web.Response:
    """Unregister one of a user's certificates."""
    principal = await authenticate(request)
    user_id = request.match_info["userId"]
    try:
        certificate_id = uuid.UUID(request.match_info["certificateId"])
    except ValueError:
        raise NotFound(
            f"The user {user_id} has no certificate {request.match_info['certificateId']}."
        ) from None
    await unregister_certificate(request.app[POOL_KEY], principal, user_id, certificate_id)
    return json_response({})


def _position(row: StoredCertificate) -> list[str]:
    return instant_position(*sort_key(row))


ROUTES = (
    (hdrs.METH_GET, "/users/{userId}/certificates", list_user_certificates),
    (hdrs.METH_POST, "/users/{userId}/certificates", register),
    (hdrs.METH_DELETE, "/users/{userId}/certificates/{certificateId}", delete),
)
