"""The OpenAPI 3.1 description of a user's contact methods (API v2.7 and later): their paths and schemas."""

from __future__ import annotations

from typing import Any

from verifalia_server.api.shared.openapi_parts import (
    JSON,
    USERS_PREFLIGHT,
    USERS_VERSION,
    etag_header,
    if_match,
    path_parameter,
    problem,
    ref,
)
from verifalia_server.api.v2.contact_method_wire import READ_ONLY
from verifalia_server.api.v2.json_patch import MEDIA_TYPE
from verifalia_server.service.contact_methods import CODE_DIGITS, EMAIL, MAX_DISPLAY_NAME_LENGTH

_BASE = "/{version}/users/{userId}/contact-methods"
_PARAMETERS = [USERS_VERSION, path_parameter("userId", "User id.")]
_METHOD_PARAMETERS = [*_PARAMETERS, path_parameter("id", "Contact method id.")]
_IF_MATCH = if_match("contact method")
_ETAG = etag_header("contact method")
_ERRORS = {
    "400": problem("Invalid request; the detail names the field."),
    "401": problem("Missing, invalid or expired credentials, or an inactive user."),
    "403": problem("The credentials lack users:read / users:write for this user (own covers the caller)."),
    "404": problem("No such user or contact method in this account, or the version is before v2.7."),
    "429": problem("Too many concurrent requests from this IP address."),
    "503": problem("The database is unavailable; retry after `Retry-After` seconds."),
}


def _method_json(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _ETAG,
        "content": {JSON: {"schema": ref("ContactMethod")}},
    }


def paths() -> dict[str, Any]:
    """The contact methods routes."""
    return {
        _BASE: {
            "parameters": _PARAMETERS,
            "get": {
                "summary": "List a user's contact methods (users:read; the scope own covers the caller)",
                "responses": {
                    "200": {
                        "description": "Every contact method of the user, in one segment.",
                        "content": {JSON: {"schema": ref("ContactMethodPage")}},
                    },
                    **_ERRORS,
                },
            },
            "post": {
                "summary": "Create an e-mail contact method and mail its activation code (users:write)",
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": ref("ContactMethodRequest")}},
                },
                "responses": {
                    "200": _method_json("The pending contact method; its activation code was mailed."),
                    **_ERRORS,
                    "400": problem(
                        "Invalid request, a type other than Email (SMS is not available), or an address the"
                        " mail relay refused for good; the detail names it."
                    ),
                    "503": problem(
                        "No mail relay configured, the relay did not take the e-mail, or the database is"
                        " unavailable: nothing was stored; retry after `Retry-After` seconds."
                    ),
                },
            },
            "options": USERS_PREFLIGHT,
        },
        f"{_BASE}/{{id}}": {
            "parameters": _METHOD_PARAMETERS,
            "get": {
                "summary": "Get a contact method and its entity tag (users:read)",
                "responses": {"200": _method_json("The contact method."), **_ERRORS},
            },
            "patch": {
                "summary": "Rename a contact method with a JSON Patch document (RFC 6902) (users:write)",
                "parameters": [_IF_MATCH],
                "requestBody": {"required": True, "content": {MEDIA_TYPE: {"schema": ref("JsonPatch")}}},
                "responses": {
                    "200": _method_json("The changed contact method."),
                    **_ERRORS,
                    "400": problem("Not a JSON Patch document, or a member other than displayName changed."),
                    "409": problem("A failed `test` operation."),
                    "412": problem("The contact method's entity tag is not one `If-Match` names."),
                    "415": problem(f"The Content-Type is not {MEDIA_TYPE}."),
                    "422": problem("An operation's location does not exist in the contact method."),
                },
            },
            "delete": {
                "summary": "Delete a contact method (users:write)",
                "parameters": [_IF_MATCH],
                "responses": {
                    "200": {"description": "Deleted.", "content": {JSON: {"schema": {"type": "object"}}}},
                    **_ERRORS,
                    "412": problem("The contact method's entity tag is not one `If-Match` names."),
                },
            },
            "options": USERS_PREFLIGHT,
        },
        f"{_BASE}/{{id}}/activation": {
            "parameters": _METHOD_PARAMETERS,
            "post": {
                "summary": "Activate a pending contact method with the code mailed to it (users:write)",
                "requestBody": {
                    "required": True,
                    "content": {JSON: {"schema": ref("ContactMethodActivation")}},
                },
                "responses": {
                    "200": _method_json("The active contact method."),
                    **_ERRORS,
                    "400": problem("A malformed body, or a wrong activation code."),
                    "409": problem("The contact method is already active."),
                    "410": problem(
                        "The activation code expired or was tried wrongly too often: create it again."
                    ),
                },
            },
            "options": USERS_PREFLIGHT,
        },
    }


def schemas() -> dict[str, Any]:
    """The contact method schemas."""
    name = {"type": "string", "minLength": 1, "maxLength": MAX_DISPLAY_NAME_LENGTH}
    return {
        "ContactMethod": {
            "type": "object",
            "required": [
                "id",
                "etag",
                "type",
                "status",
                "createdOn",
                "activatedOn",
                "displayName",
                "emailAddress",
            ],
            "properties": {
                "id": {"type": "string"},
                "etag": {"type": "string"},
                "type": {"const": EMAIL},
                "status": {"enum": ["PendingActivation", "Active"]},
                "createdOn": {"type": "string", "format": "date-time"},
                "activatedOn": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
                "displayName": name,
                "emailAddress": {"type": "string"},
            },
        },
        "ContactMethodRequest": {
            "type": "object",
            "description": (
                "Members the SDK also sends (id, etag, status, createdOn, activatedOn) are ignored."
            ),
            "required": ["type", "displayName", "emailAddress"],
            "properties": {
                "type": {
                    "enum": [EMAIL],
                    "description": "Only Email: a phone (SMS) contact method is refused with 400.",
                },
                "displayName": name,
                "emailAddress": {"type": "string", "format": "email"},
                # The SDK sends the read-only members too; they are ignored.
                **{
                    member: {"description": "Ignored."}
                    for member in READ_ONLY
                    if member not in ("type", "emailAddress")
                },
            },
            "additionalProperties": False,
        },
        "ContactMethodActivation": {
            "type": "object",
            "required": ["code"],
            "properties": {
                "code": {"type": "string", "description": f"The {CODE_DIGITS}-digit code mailed."}
            },
            "additionalProperties": False,
        },
        "ContactMethodPage": {
            "type": "object",
            "required": ["meta", "data"],
            "properties": {
                "meta": {"type": "object", "properties": {"isTruncated": {"const": False}}},
                "data": {"type": "array", "items": ref("ContactMethod")},
            },
        },
    }
