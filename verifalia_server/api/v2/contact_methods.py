"""Contact method routes of a user (API v2.7 and later): list, create, read, rename, delete and activate.

`POST` mails an activation code through the node's mail relay and answers the pending contact method (200);
no relay configured, or one that does not take the message, answers 503 and stores nothing. `POST
.../activation` with `{"code"}` answers the active contact method (200); a wrong code is 400, an expired
code (or one tried wrongly too often) 410, an active contact method 409. `PATCH` takes an RFC 6902 document
that may change only `displayName`, with an optional `If-Match` (412 when stale); `DELETE` answers 200.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import hdrs, web

from verifalia_server.api.shared.auth import authenticate
from verifalia_server.api.shared.errors import ApiError, bad_request
from verifalia_server.api.shared.keys import POOL_KEY
from verifalia_server.api.v2 import contact_method_wire as wire
from verifalia_server.api.v2.jobs import json_response
from verifalia_server.api.v2.json_patch import MEDIA_TYPE, apply_patch, parse_patch
from verifalia_server.api.v2.preconditions import if_match
from verifalia_server.service import contact_methods
from verifalia_server.service.contact_methods import ActivationMailer
from verifalia_server.service.errors import MailUnavailable, PreconditionFailed
from verifalia_server.store.contact_methods import ContactMethod

# The node's activation mailer, set on the root application; absent when no mail relay is configured.
MAILER_KEY: web.AppKey[ActivationMailer] = web.AppKey("activation_mailer")
# Seconds a client is asked to wait after the mail relay failed.
_MAIL_RETRY_AFTER = 60
_STALE = "The contact method has changed since the entity tag in 'If-Match'; read it again."


async def list_methods(request: web.Request) -> web.Response:
    """The user's contact methods, in one segment."""
    principal = await authenticate(request)
    found = await contact_methods.list_methods(request.app[POOL_KEY], principal, request.match_info["userId"])
    return json_response(
        {"meta": {"isTruncated": False}, "data": [wire.contact_method(method) for method in found]}
    )


async def create_method(request: web.Request) -> web.Response:
    """Create a pending e-mail contact method and mail its activation code."""
    principal = await authenticate(request)
    new = wire.new_method(await _json(request, wire.SHAPE))
    try:
        created = await contact_methods.create_method(
            request.app[POOL_KEY],
            principal,
            request.match_info["userId"],
            new,
            request.config_dict.get(MAILER_KEY),
        )
    except MailUnavailable as error:
        # RFC 9110 §10.2.3: Retry-After in seconds.
        raise ApiError(
            503, "Service Unavailable", str(error), headers={"Retry-After": str(_MAIL_RETRY_AFTER)}
        ) from None
    return _answer(created)


async def get_method(request: web.Request) -> web.Response:
    """One contact method, with its entity tag."""
    principal = await authenticate(request)
    method = await contact_methods.read_method(
        request.app[POOL_KEY], principal, request.match_info["userId"], request.match_info["id"]
    )
    return _answer(method)


async def patch_method(request: web.Request) -> web.Response:
    """Apply a JSON Patch document (only `displayName` may change)."""
    principal = await authenticate(request)
    if request.content_type != MEDIA_TYPE:
        # RFC 5789 §3.1: Accept-Patch names the patch formats the resource takes.
        raise ApiError(
            415,
            "Unsupported Media Type",
            f"The request body must be a JSON Patch document with the Content-Type {MEDIA_TYPE}.",
            headers={"Accept-Patch": MEDIA_TYPE},
        )
    condition = if_match(request.headers)
    pool = request.app[POOL_KEY]
    current = await contact_methods.writable_method(
        pool, principal, request.match_info["userId"], request.match_info["id"]
    )
    patched = apply_patch(
        wire.contact_method(current), parse_patch(await _json(request, "a JSON Patch document"))
    )
    # RFC 9110 §13.2.2: the condition is evaluated before the change is made.
    if condition is not None and not condition.matches(current.etag):
        raise PreconditionFailed(_STALE)
    name = _patched_name(current, patched)
    try:
        updated = await contact_methods.rename_method(pool, principal, current, name)
    except PreconditionFailed:
        raise PreconditionFailed(_STALE) from None
    return _answer(updated)


async def delete_method(request: web.Request) -> web.Response:
    """Delete a contact method."""
    principal = await authenticate(request)
    condition = if_match(request.headers)
    pool = request.app[POOL_KEY]
    current = await contact_methods.writable_method(
        pool, principal, request.match_info["userId"], request.match_info["id"]
    )
    if condition is not None and not condition.matches(current.etag):
        raise PreconditionFailed(_STALE)
    expected = None if condition is None else current.version
    await contact_methods.delete_method(pool, principal, current, expected_version=expected)
    return json_response({})


async def activate_method(request: web.Request) -> web.Response:
    """Activate a pending contact method with the code mailed to it."""
    principal = await authenticate(request)
    code = wire.activation_code(await _json(request, '{"code": "..."}'))
    method = await contact_methods.activate_method(
        request.app[POOL_KEY], principal, request.match_info["userId"], request.match_info["id"], code
    )
    return _answer(method)


def _patched_name(current: ContactMethod, patched: object) -> str:
    """The display name a patch leaves, once its other members are checked unchanged (400 otherwise)."""
    if not isinstance(patched, dict):
        raise bad_request("The patched contact method must be an object.")
    original = wire.contact_method(current)
    for member in wire.READ_ONLY:
        if patched.get(member) != original[member]:
            raise bad_request(f"The contact method's '{member}' cannot be changed.")
    extra = sorted(set(patched) - set(original))
    if extra:
        raise bad_request(f"Unknown contact method member '{extra[0]}'.")
    name = patched.get("displayName")
    if not isinstance(name, str):
        raise bad_request("'displayName' must be a string.")
    return name


def _answer(method: ContactMethod) -> web.Response:
    # RFC 9110 §8.8.3: the ETag field.
    return json_response(wire.contact_method(method), headers={"ETag": method.etag})


async def _json(request: web.Request, shape: str) -> Any:
    """The request body as JSON; 400 when it is not JSON."""
    try:
        return orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise bad_request(f"The request body must be {shape}.") from None


ROUTES = (
    (hdrs.METH_GET, "/users/{userId}/contact-methods", list_methods),
    (hdrs.METH_POST, "/users/{userId}/contact-methods", create_method),
    (hdrs.METH_GET, "/users/{userId}/contact-methods/{id}", get_method),
    (hdrs.METH_PATCH, "/users/{userId}/contact-methods/{id}", patch_method),
    (hdrs.METH_DELETE, "/users/{userId}/contact-methods/{id}", delete_method),
    (hdrs.METH_POST, "/users/{userId}/contact-methods/{id}/activation", activate_method),
)
